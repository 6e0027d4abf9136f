//! Contact data: postcodes, e-mail addresses and phone numbers, of the pupil and the guardians.
//!
//! Shape checks only: an e-mail address is not checked against RFC 5322 (real exports hold
//! ordinary addresses, and a full parser would accept things no school system does), a phone
//! number is not checked against numbering plans.

use super::{text, Findings, Item, Problem};
use crate::model::record::Rule;
use crate::model::{Address, Pupil};

const POSTCODE_PL: Problem = Problem::error(
    Rule::Postcode,
    "a Polish postcode is written NN-NNN (two digits, a hyphen, three digits): correct it",
);
const POSTCODE_CZ: Problem = Problem::error(
    Rule::Postcode,
    "a Czech postcode is written NNN NN (five digits, a space after the third): correct it",
);
const POSTCODE_ANY: Problem = Problem::error(
    Rule::Postcode,
    "a postcode must be Polish (NN-NNN) or Czech (NNN NN): correct it, or fill in `country` \
     for an address abroad",
);
const EMAIL: Problem = Problem::error(
    Rule::Email,
    "an e-mail address needs one `@`, a name before it and a domain with a dot after it, and no \
     spaces: correct it, or leave the field empty",
);
const PHONE: Problem = Problem::error(
    Rule::Phone,
    "a phone number has 9 to 15 digits and only spaces, `-`, `(`, `)` and a leading `+` \
     besides: correct it and move any note (whose phone it is) elsewhere",
);

/// The country an address is in, as far as postcodes are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Country {
    Poland,
    Czechia,
    /// Some other country: its postcodes are not checked.
    Other,
    /// Not given: Polish and Czech shapes are both accepted.
    Unknown,
}

/// Recognise the country field, in Polish, Czech or English, or as an ISO code.
fn country(field: Option<&str>) -> Country {
    let Some(name) = field.map(|n| n.trim().to_lowercase()) else { return Country::Unknown };
    match name.as_str() {
        "" => Country::Unknown,
        "pl" | "pol" | "polska" | "poland" | "polsko" | "rzeczpospolita polska" => Country::Poland,
        "cz" | "cze" | "čr" | "česko" | "cesko" | "czechy" | "czechia" | "czech republic"
        | "česká republika" | "ceska republika" | "republika czeska" => Country::Czechia,
        _ => Country::Other,
    }
}

/// Whether a country field names Czechia.
pub(super) fn is_czechia(field: Option<&str>) -> bool {
    country(field) == Country::Czechia
}

/// Whether `text` matches `pattern`, where `9` stands for an ASCII digit and anything else for
/// itself.
fn shaped(text: &str, pattern: &str) -> bool {
    text.len() == pattern.len()
        && text.bytes().zip(pattern.bytes()).all(|(t, p)| match p {
            b'9' => t.is_ascii_digit(),
            _ => t == p,
        })
}

/// The problem of a postcode in `country`, if any.
fn postcode(text: &str, country: Country) -> Option<Problem> {
    let pl = shaped(text, "99-999");
    // Czech postcodes are printed `NNN NN`; `NNNNN` is what registers and spreadsheets keep.
    let cz = shaped(text, "999 99") || shaped(text, "99999");
    match country {
        Country::Poland => (!pl).then_some(POSTCODE_PL),
        Country::Czechia => (!cz).then_some(POSTCODE_CZ),
        Country::Unknown => (!pl && !cz).then_some(POSTCODE_ANY),
        Country::Other => None,
    }
}

/// Whether `text` looks like an e-mail address.
fn email(text: &str) -> bool {
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = text.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
}

/// Whether `text` looks like a phone number.
fn phone(text: &str) -> bool {
    let body = text.strip_prefix('+').unwrap_or(text);
    let allowed = body.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'));
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    allowed && (9..=15).contains(&digits)
}

/// Check the postcodes, e-mail addresses and phone numbers of `pupil` and the guardians.
pub(super) fn check(pupil: &Pupil, out: &mut Findings) {
    for (i, address) in pupil.addresses.iter().enumerate() {
        if let Some(p) = address_postcode(address) {
            out.add("addresses[].postcode", Item::Nth("address", i), p);
        }
    }
    for (i, guardian) in pupil.guardians.iter().enumerate() {
        let item = Item::Nth("guardian", i);
        if text(&guardian.email).is_some_and(|e| !email(e)) {
            out.add("guardians[].email", item, EMAIL);
        }
        if text(&guardian.phone).is_some_and(|p| !phone(p)) {
            out.add("guardians[].phone", item, PHONE);
        }
        if let Some(p) = guardian.address.as_ref().and_then(address_postcode) {
            out.add("guardians[].address.postcode", item, p);
        }
    }
}

fn address_postcode(address: &Address) -> Option<Problem> {
    postcode(text(&address.postcode)?, country(address.country.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Guardian;

    #[test]
    fn countries_are_recognised_in_three_languages() {
        use Country::*;
        let c = |t| country(Some(t));
        table! { c:
            "Polska" => Poland;
            " POLAND " => Poland;
            "PL" => Poland;
            "Polsko" => Poland;
            "Česko" => Czechia;
            "Česká republika" => Czechia;
            "czechia" => Czechia;
            "CZ" => Czechia;
            "Czechy" => Czechia;
            "Niemcy" => Other;
            "" => Unknown;
        }
        assert_eq!(country(None), Unknown);
    }

    #[test]
    fn postcodes_follow_the_country() {
        use Country::*;
        for (code, country, expected) in [
            ("00-950", Poland, None),
            ("00950", Poland, Some(POSTCODE_PL)),
            ("00 950", Poland, Some(POSTCODE_PL)),
            ("0-950", Poland, Some(POSTCODE_PL)),
            ("00–950", Poland, Some(POSTCODE_PL)), // en dash
            ("110 00", Czechia, None),
            ("11000", Czechia, None),
            ("11-000", Czechia, Some(POSTCODE_CZ)),
            ("110  00", Czechia, Some(POSTCODE_CZ)),
            ("1100", Czechia, Some(POSTCODE_CZ)),
            ("00-950", Unknown, None),
            ("110 00", Unknown, None),
            ("11000", Unknown, None),
            ("0095", Unknown, Some(POSTCODE_ANY)),
            ("SW1A 1AA", Unknown, Some(POSTCODE_ANY)),
            ("SW1A 1AA", Other, None),
            ("1O-950", Poland, Some(POSTCODE_PL)), // letter O
        ] {
            assert_eq!(postcode(code, country), expected, "{code:?} in {country:?}");
        }
    }

    #[test]
    fn email_shape() {
        table! { email:
            "jan.nowak@example.pl" => true;
            "a@b.cz" => true;
            "jan+szkola@poczta.example.com.pl" => true;
            "jan.nowak.example.pl" => false;
            "@example.pl" => false;
            "jan@" => false;
            "jan@localhost" => false;
            "jan@@example.pl" => false;
            "jan@ex@ample.pl" => false;
            "jan nowak@example.pl" => false;
            "jan@example.pl " => false;
            "jan@.example.pl" => false;
            "jan@example.pl." => false;
            "jan@example..pl" => false;
            "jan@exa\tmple.pl" => false;
        }
    }

    #[test]
    fn phone_shape() {
        table! { phone:
            "601234567" => true;
            "601 234 567" => true;
            "+48 601 234 567" => true;
            "(22) 123-45-67" => true;
            "+420 601 234 567" => true;
            "123456789012345" => true;
            "12345678" => false;          // 8 digits
            "1234567890123456" => false;  // 16 digits
            "601 234 567 (mama)" => false;
            "601.234.567" => false;
            "48+601234567" => false;
            "++48601234567" => false;
            "tel. 601234567" => false;
            "" => false;
        }
    }

    #[test]
    fn check_covers_pupil_and_guardian_addresses_emails_and_phones() {
        let pupil = Pupil {
            addresses: vec![
                Address { postcode: Some("00-950".into()), ..Address::default() },
                Address {
                    postcode: Some("00-950".into()),
                    country: Some("Česko".into()),
                    ..Address::default()
                },
            ],
            guardians: vec![Guardian {
                email: Some("x".into()),
                phone: Some("1".into()),
                address: Some(Address { postcode: Some("1".into()), ..Address::default() }),
                ..Guardian::default()
            }],
            ..Pupil::default()
        };
        let mut out = Findings::default();
        check(&pupil, &mut out);
        let got: Vec<_> = out.items.iter().map(|f| (f.field.as_ref(), f.message.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("addresses[].postcode", format!("address 2: {}", POSTCODE_CZ.message)),
                ("guardians[].email", format!("guardian 1: {}", EMAIL.message)),
                ("guardians[].phone", format!("guardian 1: {}", PHONE.message)),
                ("guardians[].address.postcode", format!("guardian 1: {}", POSTCODE_ANY.message)),
            ]
        );
    }
}
