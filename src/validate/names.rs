//! Name shape: the typing slips transfer tools keep meeting (stray spaces, two first names in
//! one field, `Kowalska - Nowak`, digits).
//!
//! Always warnings and never fixed: a name may really be written that way, and changing a
//! person's name is for a person to decide (`DOMAIN.md` §3).

use super::{text, Findings, Item, Problem};
use crate::model::record::Rule;
use crate::model::Pupil;

const EDGE_SPACES: Problem = Problem::warning(
    Rule::NameShape,
    "the name starts or ends with a space: check it and remove the space in the source",
);
const DOUBLE_SPACE: Problem = Problem::warning(
    Rule::NameShape,
    "the name has two spaces in a row: check it and remove one in the source",
);
const TWO_GIVEN_NAMES: Problem = Problem::warning(
    Rule::NameShape,
    "a first-name field holds more than one name: check it, and put a second name in its own \
     field",
);
const HYPHEN_SPACING: Problem = Problem::warning(
    Rule::NameShape,
    "a double-barrelled name is written with spaces around the hyphen: check it, and write it \
     without them (Kowalska-Nowak)",
);
const DIGITS: Problem = Problem::warning(
    Rule::NameShape,
    "the name contains digits: check whether another field slipped into it",
);

/// What kind of name a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Name {
    /// A surname: several words are normal (`de la Cruz`).
    Surname,
    /// One given name per field.
    Given,
}

/// Dashes people type between the parts of a double-barrelled name.
const DASHES: [char; 3] = ['-', '‐', '–'];

/// The shape problems of one name, each reported once.
fn shape(name: &str, kind: Name) -> Vec<Problem> {
    let mut problems = Vec::new();
    let trimmed = name.trim();
    if trimmed.len() != name.len() {
        problems.push(EDGE_SPACES);
    }
    let mut chars = trimmed.chars().peekable();
    let (mut double_space, mut hyphen_spacing, mut words) = (false, false, 1);
    let mut previous = None;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        if c.is_whitespace() {
            double_space |= next.is_some_and(char::is_whitespace);
            let by_dash = previous.is_some_and(|p| DASHES.contains(&p))
                || next.is_some_and(|n| DASHES.contains(&n));
            hyphen_spacing |= by_dash;
            // A space next to a dash joins parts of one name rather than separating two.
            if !by_dash && !next.is_some_and(char::is_whitespace) {
                words += 1;
            }
        }
        previous = Some(c);
    }
    if double_space {
        problems.push(DOUBLE_SPACE);
    }
    if kind == Name::Given && words > 1 {
        problems.push(TWO_GIVEN_NAMES);
    }
    if hyphen_spacing {
        problems.push(HYPHEN_SPACING);
    }
    if trimmed.chars().any(|c| c.is_numeric()) {
        problems.push(DIGITS);
    }
    problems
}

/// Check the names of `pupil` and the guardians.
pub(super) fn check(pupil: &Pupil, out: &mut Findings) {
    let mut name = |field: &'static str, item, value: &Option<String>, kind| {
        for p in text(value).map(|v| shape(v, kind)).unwrap_or_default() {
            out.add(field, item, p);
        }
    };
    name("surname", Item::Pupil, &pupil.surname, Name::Surname);
    name("birth_surname", Item::Pupil, &pupil.birth_surname, Name::Surname);
    name("first_name", Item::Pupil, &pupil.first_name, Name::Given);
    name("second_name", Item::Pupil, &pupil.second_name, Name::Given);
    for (i, guardian) in pupil.guardians.iter().enumerate() {
        let item = Item::Nth("guardian", i);
        name("guardians[].surname", item, &guardian.surname, Name::Surname);
        name("guardians[].first_name", item, &guardian.first_name, Name::Given);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Guardian;
    use Name::*;

    /// `text, kind => [problems];` as one test each, like quick-xml's `syntax_err!`.
    macro_rules! cases {
        ($($test:ident: $text:expr, $kind:expr => [$($p:expr),*];)*) => {
            $(
                #[test]
                fn $test() {
                    assert_eq!(shape($text, $kind), vec![$($p),*]);
                }
            )*
        };
    }

    cases! {
        plain_surname: "Kowalska", Surname => [];
        double_barrelled: "Kowalska-Nowak", Surname => [];
        multiword_surname: "de la Cruz", Surname => [];
        plain_given: "Żaneta", Given => [];
        hyphenated_given: "Anna-Maria", Given => [];
        leading_space: " Kowalska", Surname => [EDGE_SPACES];
        trailing_space: "Ala ", Given => [EDGE_SPACES];
        trailing_nbsp: "Ala\u{a0}", Given => [EDGE_SPACES];
        double_space_surname: "de  la Cruz", Surname => [DOUBLE_SPACE];
        double_space_given: "Ala  Maria", Given => [DOUBLE_SPACE, TWO_GIVEN_NAMES];
        two_given: "Ala Maria", Given => [TWO_GIVEN_NAMES];
        three_given: "Ala Maria Ewa", Given => [TWO_GIVEN_NAMES];
        hyphen_spaced: "Kowalska - Nowak", Surname => [HYPHEN_SPACING];
        hyphen_space_after: "Kowalska- Nowak", Surname => [HYPHEN_SPACING];
        en_dash_spaced: "Kowalska – Nowak", Surname => [HYPHEN_SPACING];
        hyphen_spaced_given_is_one_name: "Anna - Maria", Given => [HYPHEN_SPACING];
        digits: "Kowalska2", Surname => [DIGITS];
        everything: " Ala  Maria - 2", Given =>
            [EDGE_SPACES, DOUBLE_SPACE, TWO_GIVEN_NAMES, HYPHEN_SPACING, DIGITS];
    }

    #[test]
    fn check_covers_pupil_and_guardian_names_and_only_warns() {
        let pupil = Pupil {
            surname: Some("Nowak ".into()),
            birth_surname: Some("Kowalska - Nowak".into()),
            first_name: Some("Ala Maria".into()),
            second_name: Some("Ewa1".into()),
            guardians: vec![
                Guardian::default(),
                Guardian {
                    surname: Some("de la Cruz".into()),
                    first_name: Some("Jan Paweł".into()),
                    ..Guardian::default()
                },
            ],
            ..Pupil::default()
        };
        let mut out = Findings::default();
        check(&pupil, &mut out);
        let got: Vec<_> = out.items.iter().map(|f| (f.field.as_ref(), f.message.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("surname", EDGE_SPACES.message.to_string()),
                ("birth_surname", HYPHEN_SPACING.message.to_string()),
                ("first_name", TWO_GIVEN_NAMES.message.to_string()),
                ("second_name", DIGITS.message.to_string()),
                ("guardians[].first_name", format!("guardian 2: {}", TWO_GIVEN_NAMES.message)),
            ]
        );
        assert!(out.items.iter().all(|f| f.severity == crate::Severity::Warning));
    }
}
