//! Required fields: what a pupil record cannot do without.
//!
//! The schema makes only `id` required (real exports are patchy); SOU makes the pupil's
//! personal data mandatory, so a pupil without a surname or first name is an error too: no
//! receiving system can file a pupil it cannot name.

use super::{text, Findings, Item, Problem};
use crate::model::record::Rule;
use crate::model::Pupil;

const ID: Problem = Problem::error(
    Rule::Required,
    "every pupil needs the local id of the source system, which joins the files of an export: \
     fill in `id`",
);
const SURNAME: Problem = Problem::error(
    Rule::Required,
    "the pupil's surname is missing (personal data is mandatory): fill it in",
);
const FIRST_NAME: Problem = Problem::error(
    Rule::Required,
    "the pupil's first name is missing (personal data is mandatory): fill it in",
);

/// Check that `pupil` has its required fields; blank counts as missing.
pub(super) fn check(pupil: &Pupil, out: &mut Findings) {
    if pupil.id.trim().is_empty() {
        out.add("id", Item::Pupil, ID);
    }
    // The Czech MŠMT register (školní matrika) carries no names: its pupils are identified by
    // rodné číslo. A pupil read from it (holding its codes) and named nowhere is complete.
    let (surname, first_name) = (text(&pupil.surname), text(&pupil.first_name));
    if pupil.cz_register.is_some() && surname.is_none() && first_name.is_none() {
        return;
    }
    if surname.is_none() {
        out.add("surname", Item::Pupil, SURNAME);
    }
    if first_name.is_none() {
        out.add("first_name", Item::Pupil, FIRST_NAME);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_blank_fields_are_errors() {
        let named = |id: &str, surname: Option<&str>, first: Option<&str>| Pupil {
            id: id.into(),
            surname: surname.map(String::from),
            first_name: first.map(String::from),
            ..Pupil::default()
        };
        for (pupil, expected) in [
            (named("P-1", Some("Nowak"), Some("Ala")), vec![]),
            (named("", Some("Nowak"), Some("Ala")), vec![("id", ID)]),
            (named("  ", Some("Nowak"), Some("Ala")), vec![("id", ID)]),
            (named("P-1", None, Some("Ala")), vec![("surname", SURNAME)]),
            (named("P-1", Some(""), Some("Ala")), vec![("surname", SURNAME)]),
            (named("P-1", Some("Nowak"), Some(" ")), vec![("first_name", FIRST_NAME)]),
            (
                named("", None, None),
                vec![("id", ID), ("surname", SURNAME), ("first_name", FIRST_NAME)],
            ),
        ] {
            let mut out = Findings::default();
            check(&pupil, &mut out);
            let got: Vec<_> =
                out.items.iter().map(|f| (f.field.as_ref(), f.rule, f.message.as_str())).collect();
            let expected: Vec<_> =
                expected.iter().map(|(field, p)| (*field, p.rule, p.message)).collect();
            assert_eq!(got, expected, "{pupil:?}");
        }
        assert_eq!(ID.severity, crate::Severity::Error);
    }

    #[test]
    fn a_register_pupil_named_nowhere_needs_no_name_but_half_a_name_is_still_an_error() {
        let register = Some(crate::model::CzRegister::default());
        let nameless =
            Pupil { id: "P-1".into(), cz_register: register.clone(), ..Pupil::default() };
        let mut out = Findings::default();
        check(&nameless, &mut out);
        assert!(out.items.is_empty());
        let half = Pupil { surname: Some("Nováková".into()), ..nameless };
        let mut out = Findings::default();
        check(&half, &mut out);
        let fields: Vec<_> = out.items.iter().map(|f| f.field.as_ref()).collect();
        assert_eq!(fields, ["first_name"]);
    }
}
