//! Deliberate damage for broken fixtures: each [`Damage`] breaks one thing in a generated pupil
//! so that exactly one validation [`Rule`] fires.

use crate::model::{Consent, Pupil};
use crate::Rule;
use chrono::Days;

/// One way to break a pupil, named after what real exports get wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Damage {
    /// Excel's damage: the leading zero of a PESEL is gone (10 digits left). Applies only to
    /// PESELs that start with `0` (born 2000–2009). Triggers [`Rule::PeselLeadingZero`].
    ExcelStrippedPeselZero,
    /// The PESEL's check digit is wrong (everything else intact). Triggers
    /// [`Rule::PeselChecksum`].
    BadPeselChecksum,
    /// The PESEL's sex digit has the other parity, with the check digit recomputed so that
    /// the PESEL is otherwise valid and still matches the birth date. Triggers
    /// [`Rule::PeselSex`].
    PeselSexMismatch,
    /// The first address's postcode loses its last digit (`31-00`, `110 0`). Triggers
    /// [`Rule::Postcode`].
    BadPostcode,
    /// The `@` of the first guardian's e-mail becomes a space (` at ` style typing). A first
    /// guardian without an e-mail is given a broken one. Triggers [`Rule::Email`].
    BadEmail,
    /// A consent withdrawn before it was given: the first consent's withdrawal date is set
    /// before its given date (a pupil without consents is given one). Triggers
    /// [`Rule::ConsentOrder`].
    ConsentBeforeGiven,
    /// The pupil's surname is missing. Triggers [`Rule::Required`] on `surname`.
    MissingSurname,
}

impl Damage {
    /// Every kind of damage.
    pub const ALL: [Damage; 7] = [
        Damage::ExcelStrippedPeselZero,
        Damage::BadPeselChecksum,
        Damage::PeselSexMismatch,
        Damage::BadPostcode,
        Damage::BadEmail,
        Damage::ConsentBeforeGiven,
        Damage::MissingSurname,
    ];

    /// The rule a validator must report for this damage.
    pub fn rule(self) -> Rule {
        match self {
            Damage::ExcelStrippedPeselZero => Rule::PeselLeadingZero,
            Damage::BadPeselChecksum => Rule::PeselChecksum,
            Damage::PeselSexMismatch => Rule::PeselSex,
            Damage::BadPostcode => Rule::Postcode,
            Damage::BadEmail => Rule::Email,
            Damage::ConsentBeforeGiven => Rule::ConsentOrder,
            Damage::MissingSurname => Rule::Required,
        }
    }

    /// The path of the field the damage changes (`guardians[].email`), in the notation of the
    /// field catalogue.
    pub fn field(self) -> &'static str {
        match self {
            Damage::ExcelStrippedPeselZero
            | Damage::BadPeselChecksum
            | Damage::PeselSexMismatch => "pesel",
            Damage::BadPostcode => "addresses[].postcode",
            Damage::BadEmail => "guardians[].email",
            Damage::ConsentBeforeGiven => "consents[].withdrawn_at",
            Damage::MissingSurname => "surname",
        }
    }
}

/// Break `pupil` as `kind` says. Returns whether the damage applied: the PESEL kinds need a
/// well-formed PESEL (and [`Damage::ExcelStrippedPeselZero`] one starting with `0`),
/// [`Damage::BadPostcode`] an address with a postcode, [`Damage::BadEmail`] a guardian; a
/// pupil the damage does not apply to is left unchanged.
///
/// ```
/// use teczka::{damage, Damage, Generator, GeneratorConfig};
///
/// let mut pupil = Generator::new(GeneratorConfig::default()).pupil(3);
/// assert!(damage(&mut pupil, Damage::MissingSurname));
/// assert_eq!(pupil.surname, None);
/// ```
pub fn damage(pupil: &mut Pupil, kind: Damage) -> bool {
    match kind {
        Damage::ExcelStrippedPeselZero => match pupil.pesel.as_mut() {
            Some(pesel) if pesel.len() == 11 && pesel.starts_with('0') => {
                pesel.remove(0);
                true
            }
            _ => false,
        },
        Damage::BadPeselChecksum => edit_pesel(pupil, |digits| {
            digits[10] = (digits[10] + 1 + digits[0] % 8) % 10;
        }),
        Damage::PeselSexMismatch => edit_pesel(pupil, |digits| {
            // 0↔1, 2↔3, … keeps the digit in range and flips its parity.
            digits[9] ^= 1;
            digits[10] = super::ids::pesel_check_digit(&digits[..10]);
        }),
        Damage::BadPostcode => match pupil.addresses.iter_mut().find_map(|a| a.postcode.as_mut()) {
            Some(code) if !code.is_empty() => {
                code.pop();
                true
            }
            _ => false,
        },
        Damage::BadEmail => match pupil.guardians.first_mut() {
            Some(guardian) => {
                let email = guardian.email.get_or_insert_with(|| "rodzic@example.com".into());
                *email = email.replacen('@', " ", 1);
                true
            }
            None => false,
        },
        Damage::ConsentBeforeGiven => {
            if pupil.consents.is_empty() {
                let given = pupil
                    .enrolment
                    .as_ref()
                    .and_then(|e| e.admission_date)
                    .or(pupil.birth_date)
                    .unwrap_or_default();
                pupil.consents.push(Consent {
                    purpose: Some("newsletter".into()),
                    given_at: Some(given),
                    withdrawn_at: None,
                    given_by: None,
                });
            }
            match pupil.consents.first_mut() {
                Some(consent) => {
                    let given = *consent.given_at.get_or_insert_with(Default::default);
                    consent.withdrawn_at = given.checked_sub_days(Days::new(10));
                    consent.withdrawn_at.is_some()
                }
                None => false,
            }
        }
        Damage::MissingSurname => {
            pupil.surname = None;
            true
        }
    }
}

/// Apply `edit` to the digits of an 11-digit PESEL; false if the pupil has none.
fn edit_pesel(pupil: &mut Pupil, edit: impl FnOnce(&mut [u8; 11])) -> bool {
    let Some(pesel) = pupil.pesel.as_mut() else { return false };
    let mut digits = [0u8; 11];
    if pesel.len() != 11 {
        return false;
    }
    for (slot, b) in digits.iter_mut().zip(pesel.bytes()) {
        if !b.is_ascii_digit() {
            return false;
        }
        *slot = b - b'0';
    }
    edit(&mut digits);
    *pesel = digits.iter().map(|&d| char::from(b'0' + d)).collect();
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, Guardian};

    fn pupil(pesel: &str) -> Pupil {
        Pupil {
            id: "P-1".into(),
            pesel: Some(pesel.into()),
            surname: Some("Nowak".into()),
            addresses: vec![Address { postcode: Some("31-001".into()), ..Address::default() }],
            guardians: vec![Guardian {
                email: Some("anna.nowak@wp.pl".into()),
                ..Guardian::default()
            }],
            ..Pupil::default()
        }
    }

    #[test]
    fn pesel_damage_changes_exactly_what_it_says() {
        let mut p = pupil("02211307589");
        assert!(damage(&mut p, Damage::ExcelStrippedPeselZero));
        assert_eq!(p.pesel.as_deref(), Some("2211307589"));

        let mut p = pupil("44051401359");
        assert!(!damage(&mut p, Damage::ExcelStrippedPeselZero));
        assert_eq!(p.pesel.as_deref(), Some("44051401359"));

        assert!(damage(&mut p, Damage::BadPeselChecksum));
        assert_eq!(p.pesel.as_deref(), Some("44051401354"));

        let mut p = pupil("02211307589");
        assert!(damage(&mut p, Damage::PeselSexMismatch));
        // Sex digit 8 → 9 (male), check digit recomputed: 1·0+3·2+7·2+9·1+1·1+3·3+7·0+9·7+1·5+3·9 = 134.
        assert_eq!(p.pesel.as_deref(), Some("02211307596"));

        let mut p = Pupil::default();
        assert!(!damage(&mut p, Damage::BadPeselChecksum));
        assert!(!damage(&mut p, Damage::PeselSexMismatch));
    }

    #[test]
    fn other_damage() {
        let mut p = pupil("02211307589");
        assert!(damage(&mut p, Damage::BadPostcode));
        assert_eq!(p.addresses[0].postcode.as_deref(), Some("31-00"));
        assert!(damage(&mut p, Damage::BadEmail));
        assert_eq!(p.guardians[0].email.as_deref(), Some("anna.nowak wp.pl"));
        assert!(damage(&mut p, Damage::MissingSurname));
        assert_eq!(p.surname, None);

        p.birth_date = chrono::NaiveDate::from_ymd_opt(2002, 1, 13);
        assert!(damage(&mut p, Damage::ConsentBeforeGiven));
        let consent = &p.consents[0];
        assert!(consent.withdrawn_at < consent.given_at);

        let mut empty = Pupil::default();
        assert!(!damage(&mut empty, Damage::BadPostcode));
        assert!(!damage(&mut empty, Damage::BadEmail));
    }

    #[test]
    fn every_damage_names_its_rule() {
        let codes: Vec<String> = Damage::ALL.iter().map(|d| d.rule().code()).collect();
        assert_eq!(
            codes,
            [
                "pesel-leading-zero",
                "pesel-checksum",
                "pesel-sex",
                "postcode",
                "email",
                "consent-order",
                "required"
            ]
        );
    }
}
