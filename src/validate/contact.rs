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
const POSTCODE_PL_BARE: Problem = Problem::error(
    Rule::Postcode,
    "a Polish postcode is written NN-NNN: this one has its five digits without the hyphen; put \
     it after the second digit (12345 becomes 12-345)",
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
        Country::Poland if shaped(text, "99999") => Some(POSTCODE_PL_BARE),
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
    let home = home(pupil);
    for (i, address) in pupil.addresses.iter().enumerate() {
        check_postcode(address, home, "addresses[].postcode", Item::Nth("address", i), out);
    }
    for (i, guardian) in pupil.guardians.iter().enumerate() {
        let item = Item::Nth("guardian", i);
        if text(&guardian.email).is_some_and(|e| !email(e)) {
            out.add("guardians[].email", item, EMAIL);
        }
        if text(&guardian.phone).is_some_and(|p| !phone(p)) {
            out.add("guardians[].phone", item, PHONE);
        }
        if let Some(address) = &guardian.address {
            check_postcode(address, home, "guardians[].address.postcode", item, out);
        }
    }
}

/// Check one address's postcode, and say so in `out`. An address without a country takes the
/// pupil's (`home`): csv2sou addresses carry none, and a Polish pupil's `00950` must not pass
/// as a Czech postcode.
fn check_postcode(
    address: &Address,
    home: Option<Home>,
    field: &'static str,
    item: Item,
    out: &mut Findings,
) {
    let Some(code) = text(&address.postcode) else { return };
    let given = country(address.country.as_deref());
    let (country, home) = match (given, home) {
        (Country::Unknown, Some(home)) => (home.country, Some(home)),
        _ => (given, None),
    };
    let Some(problem) = postcode(code, country) else { return };
    match home {
        None => out.add(field, item, problem),
        Some(home) => {
            let message = format!(
                "{} (the address names no country; {} makes it {}: fill in `country` if the \
                 address is abroad)",
                problem.message, home.because, home.adjective
            );
            out.add_text(field, item, problem.rule, problem.severity, &message);
        }
    }
}

/// The country a pupil's addresses without one are taken to be in, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Home {
    country: Country,
    because: &'static str,
    adjective: &'static str,
}

/// The pupil's country from the strongest evidence the record holds: a PESEL, a rodné číslo,
/// then another address that names Poland or Czechia.
fn home(pupil: &Pupil) -> Option<Home> {
    const POLISH: &str = "Polish";
    const CZECH: &str = "Czech";
    if text(&pupil.pesel).is_some() {
        return Some(Home {
            country: Country::Poland,
            because: "the pupil's PESEL",
            adjective: POLISH,
        });
    }
    if text(&pupil.birth_number).is_some() {
        return Some(Home {
            country: Country::Czechia,
            because: "the pupil's rodné číslo",
            adjective: CZECH,
        });
    }
    let named = pupil.addresses.iter().map(|a| country(a.country.as_deref()));
    named.into_iter().find_map(|c| match c {
        Country::Poland => {
            Some(Home { country: c, because: "the pupil's other address", adjective: POLISH })
        }
        Country::Czechia => {
            Some(Home { country: c, because: "the pupil's other address", adjective: CZECH })
        }
        _ => None,
    })
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
            ("00950", Poland, Some(POSTCODE_PL_BARE)),
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
        // The address without a country is Czech like the pupil's other address.
        let inferred = "(the address names no country; the pupil's other address makes it \
                        Czech: fill in `country` if the address is abroad)";
        assert_eq!(
            got,
            vec![
                ("addresses[].postcode", format!("address 1: {} {inferred}", POSTCODE_CZ.message)),
                ("addresses[].postcode", format!("address 2: {}", POSTCODE_CZ.message)),
                ("guardians[].email", format!("guardian 1: {}", EMAIL.message)),
                ("guardians[].phone", format!("guardian 1: {}", PHONE.message)),
                (
                    "guardians[].address.postcode",
                    format!("guardian 1: {} {inferred}", POSTCODE_CZ.message)
                ),
            ]
        );
    }

    fn postcode_messages(pupil: &Pupil) -> Vec<String> {
        let mut out = Findings::default();
        check(pupil, &mut out);
        out.items.into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn an_address_without_a_country_takes_the_pupil_s() {
        let at = |code: &str| Address { postcode: Some(code.into()), ..Address::default() };
        let polish = |code: &str| Pupil {
            pesel: Some("12230701234".into()),
            addresses: vec![at(code)],
            ..Pupil::default()
        };
        // csv2sou: a Polish pupil, an address with no country, a postcode without its hyphen.
        let messages = postcode_messages(&polish("00950"));
        assert_eq!(messages.len(), 1);
        assert!(messages[0].starts_with(&format!("address 1: {}", POSTCODE_PL_BARE.message)));
        assert!(messages[0].contains("the pupil's PESEL makes it Polish"), "{messages:?}");
        assert!(postcode_messages(&polish("00-950")).is_empty());
        assert_eq!(postcode_messages(&polish("110 00")).len(), 1);
        let czech = Pupil {
            birth_number: Some("0852010009".into()),
            addresses: vec![at("00-950"), at("110 00")],
            ..Pupil::default()
        };
        let messages = postcode_messages(&czech);
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(messages[0].contains("the pupil's rodné číslo makes it Czech"), "{messages:?}");
        // Nothing to go by: either country's shape passes.
        let unknown = Pupil { addresses: vec![at("00-950"), at("110 00")], ..Pupil::default() };
        assert!(postcode_messages(&unknown).is_empty());
        // An address abroad says so and is not checked.
        let abroad = Address { country: Some("Deutschland".into()), ..at("10115") };
        assert!(
            postcode_messages(&Pupil { addresses: vec![abroad], ..polish("00-950") }).is_empty()
        );
    }
}
