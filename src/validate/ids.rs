//! National and official identifiers: PESEL, rodné číslo, REGON and TERYT.
//!
//! Each check is a pure function from the text (and, for personal numbers, the recorded birth
//! date and sex they must agree with) to the problems found; [`check`] applies them to a pupil.
//! The rules are those of the domain reference (`DOMAIN.md` §2).

use super::{text, Findings, Item, Problem};
use crate::model::record::Rule;
use crate::model::{Pupil, Sex};
use chrono::NaiveDate;

const PESEL_FORMAT: Problem = Problem::error(
    Rule::PeselFormat,
    "a PESEL must be exactly 11 digits with nothing else in the field: correct it from the \
     pupil's documents",
);
const PESEL_CHECKSUM: Problem = Problem::error(
    Rule::PeselChecksum,
    "the PESEL's check digit does not match, so a digit is mistyped: correct it from the \
     pupil's documents",
);
const PESEL_NO_DATE: Problem = Problem::error(
    Rule::PeselBirthDate,
    "the PESEL encodes a birth date that does not exist: correct it from the pupil's documents",
);
const PESEL_OTHER_DATE: Problem = Problem::error(
    Rule::PeselBirthDate,
    "the birth date encoded in the PESEL differs from `birth_date`: correct whichever is wrong",
);
const PESEL_OTHER_SEX: Problem = Problem::error(
    Rule::PeselSex,
    "the sex encoded in the PESEL (its tenth digit) differs from `sex`: correct whichever is \
     wrong",
);
// An error, not a warning: a 10-digit PESEL fails its own format rule and must not reach an
// output unmarked. teczka changes a value only when asked, so the repair is a flag.
const PESEL_LEADING_ZERO: Problem = Problem::error(
    Rule::PeselLeadingZero,
    "10 digits that form a valid PESEL, matching the birth date, once a leading zero is \
     restored (Excel strips it from PESELs of children born in 2000-2009): rerun with \
     `--repair-pesel` to restore it, and format the column as text in the spreadsheet",
);
const PESEL_REPAIRED: Problem = Problem::warning(
    Rule::PeselLeadingZero,
    "the PESEL had lost its leading zero (Excel strips it) and was repaired by restoring it: \
     format the column as text in the spreadsheet so the source stays right",
);

const BIRTH_NUMBER_FORMAT: Problem = Problem::error(
    Rule::BirthNumberFormat,
    "a rodné číslo must be 9 or 10 digits, with an optional slash after the sixth \
     (YYMMDD/NNNN), or the register's form for pupils without one (YYMMDD/X and three \
     digits): correct it from the pupil's documents",
);
const BIRTH_NUMBER_NINE_DIGITS_LATE: Problem = Problem::error(
    Rule::BirthNumberFormat,
    "9-digit rodná čísla were issued only for births before 1954, so this one lacks its check \
     digit: correct it from the pupil's documents",
);
const BIRTH_NUMBER_CHECKSUM: Problem = Problem::error(
    Rule::BirthNumberChecksum,
    "the rodné číslo fails the mod-11 check, so a digit is mistyped: correct it from the \
     pupil's documents",
);
const BIRTH_NUMBER_NO_DATE: Problem = Problem::error(
    Rule::BirthNumberBirthDate,
    "the rodné číslo encodes a birth date that does not exist: correct it from the pupil's \
     documents",
);
const BIRTH_NUMBER_OTHER_DATE: Problem = Problem::error(
    Rule::BirthNumberBirthDate,
    "the birth date encoded in the rodné číslo differs from `birth_date`: correct whichever is \
     wrong",
);
const BIRTH_NUMBER_OTHER_SEX: Problem = Problem::error(
    Rule::BirthNumberSex,
    "the sex encoded in the rodné číslo (women have 50 added to the month) differs from `sex`: \
     correct whichever is wrong",
);

// A 9-digit id may be a Czech IZO (also 9 digits, no REGON check digit), so only a warning.
const REGON_9: Problem = Problem::warning(
    Rule::Regon,
    "this 9-digit id fails the REGON check digit: if it is a REGON, correct it; if it is a \
     Czech IZO or another kind of id, ignore this warning",
);
// Nothing but a long REGON has 14 digits, so a failed check is an error.
const REGON_14: Problem = Problem::error(
    Rule::Regon,
    "this 14-digit id fails the REGON check (its check digit, or that of its first 9 digits): \
     correct it from the institution's records",
);

const TERYT: Problem = Problem::error(
    Rule::Teryt,
    "a TERYT commune code (TERC) is 7 digits: voivodeship (an even number 02-32), county and \
     commune (01-99), and a kind digit 1-5, 8 or 9: correct it from the TERYT register",
);

/// Check the identifiers of `pupil`; with `repair` on, pad a PESEL that lost its leading zero.
pub(super) fn check(pupil: &mut Pupil, repair: bool, out: &mut Findings) {
    if let Some(value) = text(&pupil.pesel) {
        let restored = pesel_with_restored_zero(value, pupil.birth_date);
        if let (true, Some(padded)) = (repair, restored) {
            out.add("pesel", Item::Pupil, PESEL_REPAIRED);
            for p in pesel(&padded, pupil.birth_date, pupil.sex) {
                out.add("pesel", Item::Pupil, p);
            }
            pupil.pesel = Some(padded);
        } else {
            for p in pesel(value, pupil.birth_date, pupil.sex) {
                out.add("pesel", Item::Pupil, p);
            }
        }
    }
    if let Some(value) = text(&pupil.birth_number) {
        for p in birth_number(value, pupil.birth_date, pupil.sex) {
            out.add("birth_number", Item::Pupil, p);
        }
    }
    // REGON is Polish; a Czech school's 9-digit id is an IZO, which has no REGON check digit.
    if !is_czech(pupil) {
        regons(pupil, out);
    }
    for (i, address) in pupil.addresses.iter().enumerate() {
        if text(&address.teryt).is_some_and(|t| !teryt(t)) {
            out.add("addresses[].teryt", Item::Nth("address", i), TERYT);
        }
    }
    for (i, guardian) in pupil.guardians.iter().enumerate() {
        if guardian.address.as_ref().and_then(|a| text(&a.teryt)).is_some_and(|t| !teryt(t)) {
            out.add("guardians[].address.teryt", Item::Nth("guardian", i), TERYT);
        }
    }
}

/// The text as `N` ASCII digit values, if it is exactly `N` ASCII digits.
fn digits<const N: usize>(text: &str) -> Option<[u32; N]> {
    let bytes = text.as_bytes();
    if bytes.len() != N || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut out = [0; N];
    for (d, b) in out.iter_mut().zip(bytes) {
        *d = u32::from(b - b'0');
    }
    Some(out)
}

/// Σ digit × weight over the shorter of the two.
fn weighted(digits: &[u32], weights: &[u32]) -> u32 {
    digits.iter().zip(weights).map(|(d, w)| d * w).sum()
}

/// What an 11-digit PESEL says: whether its check digit fits, the birth date it encodes (if
/// that date exists) and the sex.
struct PeselFacts {
    checksum_ok: bool,
    birth_date: Option<NaiveDate>,
    sex: Sex,
}

fn pesel_facts(text: &str) -> Option<PeselFacts> {
    let d = digits::<11>(text)?;
    let sum = weighted(&d, &[1, 3, 7, 9, 1, 3, 7, 9, 1, 3]);
    let checksum_ok = (10 - sum % 10) % 10 == d[10];
    // The century is carried in the month: +80 for the 1800s, +0, +20, +40, +60 after.
    let month = d[2] * 10 + d[3];
    let (century, month) = match month {
        1..=12 => (1900, month),
        21..=32 => (2000, month - 20),
        41..=52 => (2100, month - 40),
        61..=72 => (2200, month - 60),
        81..=92 => (1800, month - 80),
        _ => (0, 0),
    };
    let year = century + (d[0] * 10 + d[1]) as i32;
    let birth_date = NaiveDate::from_ymd_opt(year, month, d[4] * 10 + d[5]);
    let sex = if d[9] % 2 == 0 { Sex::Female } else { Sex::Male };
    Some(PeselFacts { checksum_ok, birth_date, sex })
}

/// The problems of a PESEL, given the recorded birth date and sex to cross-check.
///
/// A 10-digit value whose zero-padded form is a valid PESEL with a real date that agrees with
/// `birth` (when known) is Excel damage: [`PESEL_LEADING_ZERO`] instead of a format error.
fn pesel(text: &str, birth: Option<NaiveDate>, sex: Option<Sex>) -> Vec<Problem> {
    let Some(facts) = pesel_facts(text) else {
        let excel_damage = digits::<10>(text).is_some()
            && pesel_facts(&format!("0{text}")).is_some_and(|f| {
                f.checksum_ok
                    && f.birth_date.is_some()
                    && (birth.is_none() || f.birth_date == birth)
            });
        return vec![if excel_damage { PESEL_LEADING_ZERO } else { PESEL_FORMAT }];
    };
    let mut problems = Vec::new();
    if !facts.checksum_ok {
        problems.push(PESEL_CHECKSUM);
    }
    match (facts.birth_date, birth) {
        (None, _) => problems.push(PESEL_NO_DATE),
        (Some(encoded), Some(recorded)) if encoded != recorded => problems.push(PESEL_OTHER_DATE),
        _ => {}
    }
    if sex.is_some_and(|s| s != facts.sex) {
        problems.push(PESEL_OTHER_SEX);
    }
    problems
}

/// The PESEL `text` stands for once the leading zero a spreadsheet stripped is restored:
/// `Some` exactly for the values validation reports as `PESEL_LEADING_ZERO` (10 digits whose
/// zero-padded form is a valid PESEL whose date agrees with `birth`, when recorded). A
/// 10-digit PESEL does not exist, so the restored one is the only reading of such a value.
pub fn pesel_with_restored_zero(text: &str, birth: Option<NaiveDate>) -> Option<String> {
    (pesel(text, birth, None) == [PESEL_LEADING_ZERO]).then(|| format!("0{text}"))
}

/// The rodné číslo 9 digits stand for once the leading zero a spreadsheet stripped is
/// restored: `Some` only when the recorded `birth` date is known and the zero-padded number is
/// a valid rodné číslo of that date. Unlike a 10-digit PESEL, 9 digits can be a real (pre-1954)
/// rodné číslo, so the recorded birth date must say which one it is.
pub fn birth_number_with_restored_zero(text: &str, birth: Option<NaiveDate>) -> Option<String> {
    let padded = format!("0{text}");
    (digits::<9>(text).is_some()
        && birth.is_some()
        && birth_number(&padded, birth, None).is_empty())
    .then_some(padded)
}

/// What a rodné číslo says: whether its check digit fits, its birth date (if that date exists)
/// and the sex; `Err` for a number that is malformed as a whole.
struct BirthNumberFacts {
    checksum_ok: bool,
    birth_date: Option<NaiveDate>,
    sex: Sex,
}

fn birth_number_facts(text: &str) -> Result<BirthNumberFacts, Problem> {
    // The slash, when written, sits after the date part.
    let (date_part, serial) = match text.split_once('/') {
        Some((date, serial)) if date.len() == 6 => (date, serial),
        Some(_) => return Err(BIRTH_NUMBER_FORMAT),
        None => (text.get(..6).unwrap_or(text), text.get(6..).unwrap_or("")),
    };
    // Pupils without a Czech rodné číslo get one from the school for the MŠMT register:
    // the date part by the same rules, then `X` and a three-digit serial of the school's
    // (`RRNNDDX###`). It has no check digit; its date and sex are checked as usual.
    let foreign = serial.len() == 4 && serial.starts_with('X');
    let serial = if foreign { &serial[1..] } else { serial };
    let (Some(d), true) = (digits::<6>(date_part), serial.bytes().all(|b| b.is_ascii_digit()))
    else {
        return Err(BIRTH_NUMBER_FORMAT);
    };
    let yy = (d[0] * 10 + d[1]) as i32;
    let mut checksum_ok = true;
    let year = match serial.len() {
        // 9 digits: issued until 1953, no check digit.
        3 if foreign && yy < 54 => 2000 + yy,
        3 if foreign => 1900 + yy,
        3 if yy < 54 => 1900 + yy,
        3 => return Err(BIRTH_NUMBER_NINE_DIGITS_LATE),
        4 => {
            let all: u64 = format!("{date_part}{serial}").parse().unwrap_or(u64::MAX);
            // The first 9 digits mod 11, then mod 10 (remainder 10 → check digit 0, the rule
            // for numbers issued until 1985), equals the last digit.
            checksum_ok = (all / 10) % 11 % 10 == all % 10;
            if yy < 54 {
                2000 + yy
            } else {
                1900 + yy
            }
        }
        _ => return Err(BIRTH_NUMBER_FORMAT),
    };
    // Women have 50 added to the month; since 2004, 20 more may be added when a day's serial
    // numbers run out.
    let raw_month = d[2] * 10 + d[3];
    let female = raw_month > 50;
    let month = if female { raw_month - 50 } else { raw_month };
    let (month, plus_twenty) = if month > 20 { (month - 20, true) } else { (month, false) };
    let birth_date = NaiveDate::from_ymd_opt(year, month, d[4] * 10 + d[5])
        .filter(|_| !plus_twenty || year >= 2004);
    Ok(BirthNumberFacts {
        checksum_ok,
        birth_date,
        sex: if female { Sex::Female } else { Sex::Male },
    })
}

/// The problems of a Czech rodné číslo, given the recorded birth date and sex to cross-check.
fn birth_number(text: &str, birth: Option<NaiveDate>, sex: Option<Sex>) -> Vec<Problem> {
    let facts = match birth_number_facts(text) {
        Ok(facts) => facts,
        Err(problem) => return vec![problem],
    };
    let mut problems = Vec::new();
    if !facts.checksum_ok {
        problems.push(BIRTH_NUMBER_CHECKSUM);
    }
    match (facts.birth_date, birth) {
        (None, _) => problems.push(BIRTH_NUMBER_NO_DATE),
        (Some(encoded), Some(recorded)) if encoded != recorded => {
            problems.push(BIRTH_NUMBER_OTHER_DATE)
        }
        _ => {}
    }
    if sex.is_some_and(|s| s != facts.sex) {
        problems.push(BIRTH_NUMBER_OTHER_SEX);
    }
    problems
}

/// The birth date and sex a valid PESEL encodes (policies derive them before dropping it).
pub fn pesel_birth(text: &str) -> Option<(NaiveDate, Sex)> {
    let facts = pesel_facts(text).filter(|f| f.checksum_ok)?;
    Some((facts.birth_date?, facts.sex))
}

/// The birth date and sex a valid rodné číslo encodes.
pub fn birth_number_birth(text: &str) -> Option<(NaiveDate, Sex)> {
    let facts = birth_number_facts(text).ok().filter(|f| f.checksum_ok)?;
    Some((facts.birth_date?, facts.sex))
}

/// Whether a 9-digit REGON's check digit fits.
/// Whether the record is Czech: no PESEL, and a rodné číslo or a Czech address.
fn is_czech(pupil: &Pupil) -> bool {
    text(&pupil.pesel).is_none()
        && (text(&pupil.birth_number).is_some()
            || pupil.addresses.iter().any(|a| super::contact::is_czechia(a.country.as_deref())))
}

/// Check the ids that may be REGONs: the school's and the counselling centres'.
fn regons(pupil: &Pupil, out: &mut Findings) {
    if let Some(p) = pupil.enrolment.as_ref().and_then(|e| text(&e.school_id)).and_then(regon) {
        out.add("enrolment.school_id", Item::Pupil, p);
    }
    for (i, opinion) in pupil.counselling.iter().enumerate() {
        if let Some(p) = text(&opinion.issuer).and_then(regon) {
            out.add("counselling[].issuer", Item::Nth("opinion", i), p);
        }
    }
}

fn regon9_ok(d: &[u32]) -> bool {
    d.len() == 9 && weighted(d, &[8, 9, 2, 3, 4, 5, 6, 7]) % 11 % 10 == d[8]
}

/// The problem of a REGON-shaped id (9 or 14 digits) whose check fails; `None` for a valid
/// REGON and for ids of any other shape (RSPO numbers, names), which have no checksum.
fn regon(text: &str) -> Option<Problem> {
    if let Some(d) = digits::<9>(text) {
        return (!regon9_ok(&d)).then_some(REGON_9);
    }
    let d = digits::<14>(text)?;
    let ok = regon9_ok(&d[..9])
        && weighted(&d, &[2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8]) % 11 % 10 == d[13];
    (!ok).then_some(REGON_14)
}

/// Whether `text` is a well-formed TERC commune code.
fn teryt(text: &str) -> bool {
    let Some(d) = digits::<7>(text) else { return false };
    let voivodeship = d[0] * 10 + d[1];
    let county = d[2] * 10 + d[3];
    let commune = d[4] * 10 + d[5];
    (2..=32).contains(&voivodeship)
        && voivodeship % 2 == 0
        && county != 0
        && commune != 0
        && matches!(d[6], 1..=5 | 8 | 9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::tests::date;

    const F: Option<Sex> = Some(Sex::Female);
    const M: Option<Sex> = Some(Sex::Male);

    /// `name: text, birth date or "", sex => [problems];` — one test per case, like quick-xml's
    /// `syntax_err!`.
    macro_rules! cases {
        ($check:ident: $($name:ident: $text:expr, $birth:expr, $sex:expr => [$($p:expr),*];)*) => {
            $(
                #[test]
                fn $name() {
                    let birth = Some($birth).filter(|b: &&str| !b.is_empty()).map(date);
                    assert_eq!($check($text, birth, $sex), vec![$($p),*]);
                }
            )*
        };
    }

    cases! { pesel:
        pesel_valid_1944_male: "44051401359", "", None => [];
        pesel_valid_2002_female_agrees: "02211307589", "2002-01-13", F => [];
        pesel_valid_1990_female: "90123101346", "1990-12-31", F => [];
        pesel_short: "4405140135", "", None => [PESEL_FORMAT];
        pesel_long: "440514013590", "", None => [PESEL_FORMAT];
        pesel_letter: "4405140135X", "", None => [PESEL_FORMAT];
        pesel_space: " 44051401359", "", None => [PESEL_FORMAT];
        pesel_non_ascii_digit: "٤4051401359", "", None => [PESEL_FORMAT];
        pesel_empty: "", "", None => [PESEL_FORMAT];
        pesel_checksum: "44051401358", "", None => [PESEL_CHECKSUM];
        pesel_no_such_day: "02222901110", "", None => [PESEL_NO_DATE];
        pesel_no_such_month: "44135101359", "", None => [PESEL_CHECKSUM, PESEL_NO_DATE];
        pesel_feb_30_1900: "00023001116", "", None => [PESEL_NO_DATE];
        pesel_other_birth_date: "02211307589", "2002-01-14", None => [PESEL_OTHER_DATE];
        pesel_other_sex: "02211307589", "", M => [PESEL_OTHER_SEX];
        pesel_all_at_once: "02211307580", "2002-01-14", M =>
            [PESEL_CHECKSUM, PESEL_OTHER_DATE, PESEL_OTHER_SEX];
        pesel_leading_zero_no_birth_date: "2211307589", "", None => [PESEL_LEADING_ZERO];
        pesel_leading_zero_agrees: "5211501236", "2005-01-15", M => [PESEL_LEADING_ZERO];
        pesel_leading_zero_other_date_is_format: "2211307589", "2002-01-14", None =>
            [PESEL_FORMAT];
        pesel_leading_zero_bad_checksum_is_format: "2211307588", "", None => [PESEL_FORMAT];
        pesel_leading_zero_no_date_is_format: "2222901110", "", None => [PESEL_FORMAT];
    }

    cases! { birth_number:
        rc_female_1978_slash: "785212/1233", "1978-02-12", F => [];
        rc_female_1978_no_slash: "7852121233", "", F => [];
        rc_male_2008_remainder_10_modern: "080523/1230", "2008-05-23", M => [];
        rc_male_1985_remainder_10_historic: "850101/0090", "1985-01-01", M => [];
        rc_male_plus_20_since_2004: "042101/1239", "2004-01-01", M => [];
        rc_female_plus_20_since_2004: "047101/1233", "2004-01-01", F => [];
        rc_nine_digits_1945: "450101/123", "1945-01-01", M => [];
        rc_nine_digits_no_slash: "450101123", "", None => [];
        rc_nine_digits_after_1953: "600101/123", "", None => [BIRTH_NUMBER_NINE_DIGITS_LATE];
        rc_plus_20_before_2004: "012101/1231", "", None => [BIRTH_NUMBER_NO_DATE];
        rc_plus_20_nine_digits: "537101/123", "", None => [BIRTH_NUMBER_NO_DATE];
        rc_checksum: "785212/1234", "", None => [BIRTH_NUMBER_CHECKSUM];
        rc_month_13: "781312/1233", "", None => [BIRTH_NUMBER_CHECKSUM, BIRTH_NUMBER_NO_DATE];
        rc_month_00: "000001/1230", "", None => [BIRTH_NUMBER_CHECKSUM, BIRTH_NUMBER_NO_DATE];
        rc_slash_misplaced: "78521/21233", "", None => [BIRTH_NUMBER_FORMAT];
        rc_two_slashes: "785212//1233", "", None => [BIRTH_NUMBER_FORMAT];
        rc_eight_digits: "785212/12", "", None => [BIRTH_NUMBER_FORMAT];
        rc_eleven_digits: "785212/12334", "", None => [BIRTH_NUMBER_FORMAT];
        rc_letters: "78521A/1233", "", None => [BIRTH_NUMBER_FORMAT];
        rc_dash: "785212-1233", "", None => [BIRTH_NUMBER_FORMAT];
        rc_short: "7852", "", None => [BIRTH_NUMBER_FORMAT];
        rc_multibyte: "78521ž/123", "", None => [BIRTH_NUMBER_FORMAT];
        rc_other_date: "785212/1233", "1978-02-13", None => [BIRTH_NUMBER_OTHER_DATE];
        rc_other_sex: "785212/1233", "", M => [BIRTH_NUMBER_OTHER_SEX];
        rc_other_sex_plus_20: "047101/1233", "", M => [BIRTH_NUMBER_OTHER_SEX];
        rc_register_form_1998: "985725/X001", "1998-07-25", F => [];
        rc_register_form_no_slash_2012: "125725X001", "2012-07-25", F => [];
        rc_register_form_other_sex: "125725X001", "", M => [BIRTH_NUMBER_OTHER_SEX];
        rc_register_form_no_date: "121325X001", "", None => [BIRTH_NUMBER_NO_DATE];
        rc_register_form_lowercase: "125725x001", "", None => [BIRTH_NUMBER_FORMAT];
        rc_register_form_short: "125725X01", "", None => [BIRTH_NUMBER_FORMAT];
    }

    #[test]
    fn regon_checks_only_regon_shaped_ids() {
        table! { regon:
            "123456785" => None;
            "012345675" => None;
            "123456784" => Some(REGON_9);
            "12345678500010" => None;
            "12345678400014" => Some(REGON_14); // own check digit fits, first 9 do not
            "12345678500011" => Some(REGON_14);
            "1234" => None;              // RSPO number: no checksum
            "12345678" => None;
            "1234567890" => None;
            "12345678X" => None;         // not REGON-shaped
            "Poradnia nr 3" => None;
        }
    }

    #[test]
    fn teryt_checks_the_terc_shape() {
        table! { teryt:
            "1465011" => true;   // Warszawa
            "1261011" => true;   // Kraków
            "0201011" => true;
            "3201015" => true;
            "0201019" => true;
            "0201018" => true;
            "0201016" => false;  // kind 6 does not exist
            "0201017" => false;
            "0201010" => false;
            "0301011" => false;  // odd voivodeship
            "0101011" => false;
            "3401011" => false;  // past 32
            "0001011" => false;
            "0200011" => false;  // county 00
            "0201001" => false;  // commune 00
            "020101" => false;
            "02010111" => false;
            "02-01-01-1" => false;
        }
    }

    #[test]
    fn check_reports_ids_of_pupil_opinions_addresses_and_guardians() {
        use crate::model::{Address, Counselling, Enrolment, Guardian};
        let bad_teryt = || Some(Address { teryt: Some("0201016".into()), ..Address::default() });
        let mut pupil = Pupil {
            pesel: Some("44051401358".into()),
            birth_number: Some("785212/1234".into()),
            enrolment: Some(Enrolment {
                school_id: Some("12345678500011".into()),
                ..Enrolment::default()
            }),
            counselling: vec![
                Counselling { issuer: Some("123456785".into()), ..Counselling::default() },
                Counselling { issuer: Some("123456784".into()), ..Counselling::default() },
            ],
            addresses: vec![bad_teryt().unwrap_or_default()],
            guardians: vec![
                Guardian::default(),
                Guardian { address: bad_teryt(), ..Guardian::default() },
            ],
            ..Pupil::default()
        };
        let mut out = Findings::default();
        check(&mut pupil, false, &mut out);
        let got: Vec<_> =
            out.items.iter().map(|f| (f.field.as_ref(), f.rule, f.message.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("pesel", Rule::PeselChecksum, PESEL_CHECKSUM.message.to_string()),
                ("birth_number", Rule::BirthNumberChecksum, BIRTH_NUMBER_CHECKSUM.message.into()),
                ("enrolment.school_id", Rule::Regon, REGON_14.message.into()),
                ("counselling[].issuer", Rule::Regon, format!("opinion 2: {}", REGON_9.message)),
                ("addresses[].teryt", Rule::Teryt, format!("address 1: {}", TERYT.message)),
                (
                    "guardians[].address.teryt",
                    Rule::Teryt,
                    format!("guardian 2: {}", TERYT.message)
                ),
            ]
        );
    }

    #[test]
    fn severities_follow_the_documented_table() {
        use crate::model::record::Severity::*;
        for (p, s) in [
            (PESEL_FORMAT, Error),
            (PESEL_CHECKSUM, Error),
            (PESEL_NO_DATE, Error),
            (PESEL_OTHER_DATE, Error),
            (PESEL_OTHER_SEX, Error),
            (PESEL_LEADING_ZERO, Error),
            (PESEL_REPAIRED, Warning),
            (BIRTH_NUMBER_FORMAT, Error),
            (BIRTH_NUMBER_NINE_DIGITS_LATE, Error),
            (BIRTH_NUMBER_CHECKSUM, Error),
            (BIRTH_NUMBER_NO_DATE, Error),
            (BIRTH_NUMBER_OTHER_DATE, Error),
            (BIRTH_NUMBER_OTHER_SEX, Error),
            (REGON_9, Warning),
            (REGON_14, Error),
            (TERYT, Error),
        ] {
            assert_eq!(p.severity, s, "{:?}", p.rule);
        }
    }

    #[test]
    fn a_czech_schools_izo_is_not_taken_for_a_regon() {
        let mut pupil = Pupil {
            birth_number: Some("0452125446".into()),
            enrolment: Some(crate::model::Enrolment {
                school_id: Some("600012345".into()),
                ..Default::default()
            }),
            ..Pupil::default()
        };
        let mut out = Findings::default();
        check(&mut pupil, false, &mut out);
        assert!(out.items.iter().all(|f| f.rule != Rule::Regon), "{:?}", out.items);
        pupil.birth_number = None;
        pupil.pesel = Some("44051401359".into());
        let mut out = Findings::default();
        check(&mut pupil, false, &mut out);
        assert!(
            out.items.iter().any(|f| f.rule == Rule::Regon),
            "a Polish record's 9-digit id is checked"
        );
    }

    #[test]
    fn a_stripped_leading_zero_is_restored_only_where_no_other_reading_exists() {
        let born = date("2005-01-15");
        assert_eq!(
            pesel_with_restored_zero("5211501236", Some(born)).as_deref(),
            Some("05211501236")
        );
        assert_eq!(pesel_with_restored_zero("5211501236", None).as_deref(), Some("05211501236"));
        assert_eq!(pesel_with_restored_zero("5211501236", Some(date("2005-01-16"))), None);
        assert_eq!(pesel_with_restored_zero("5211501237", Some(born)), None, "checksum");
        assert_eq!(pesel_with_restored_zero("05211501236", Some(born)), None, "not damaged");

        // Without its zero, 045212/5443 is 9 digits, which a pre-1954 rodné číslo can be: the
        // recorded birth date must say which it is.
        let girl = date("2004-02-12");
        assert_eq!(
            birth_number_with_restored_zero("452125443", Some(girl)).as_deref(),
            Some("0452125443")
        );
        assert_eq!(birth_number_with_restored_zero("452125443", None), None);
        assert_eq!(birth_number_with_restored_zero("452125443", Some(date("1945-02-12"))), None);
        assert_eq!(birth_number_with_restored_zero("0452125443", Some(girl)), None);
    }
}
