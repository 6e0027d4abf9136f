//! National identifiers: PESEL and rodné číslo built from a birth date, a sex and a serial.

use crate::model::Sex;
use chrono::{Datelike, NaiveDate};

/// PESEL weights of the first ten digits.
const PESEL_WEIGHTS: [u32; 10] = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];

/// Serials a PESEL has per birth date and sex: three free digits times the five digits of the
/// right parity in position 10.
pub(super) const PESEL_SERIALS: u64 = 5_000;

/// Serials a 10-digit rodné číslo has per birth date and sex: the four-digit tails that make
/// the whole number divisible by 11 (909 or 910 of them; 909 always fit).
pub(super) const BIRTH_NUMBER_SERIALS: u64 = 909;

/// The PESEL check digit of ten digits: (10 − Σ wᵢdᵢ mod 10) mod 10.
pub(super) fn pesel_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits.iter().zip(PESEL_WEIGHTS).map(|(&d, w)| u32::from(d) * w).sum();
    ((10 - sum % 10) % 10) as u8
}

/// The month offset a PESEL uses for the century of `year`, if PESEL can encode it.
fn pesel_month_offset(year: i32) -> Option<u32> {
    match year {
        1800..=1899 => Some(80),
        1900..=1999 => Some(0),
        2000..=2099 => Some(20),
        2100..=2199 => Some(40),
        2200..=2299 => Some(60),
        _ => None,
    }
}

/// The PESEL of someone born on `date` with sex `sex` and serial `serial` (`0..PESEL_SERIALS`).
///
/// `None` when the year is outside 1800–2299, which PESEL cannot encode.
pub(super) fn pesel(date: NaiveDate, sex: Sex, serial: u64) -> Option<String> {
    let month = date.month() + pesel_month_offset(date.year())?;
    let yy = date.year().rem_euclid(100) as u32;
    let serial = serial % PESEL_SERIALS;
    // Digits 7–9 are free; digit 10 carries the sex in its parity, leaving five choices.
    let free = (serial / 5) as u32;
    let parity = match sex {
        Sex::Female => 0,
        Sex::Male => 1,
    };
    let sex_digit = 2 * (serial % 5) as u32 + parity;
    let mut digits = [0u8; 11];
    let parts = [yy / 10, yy % 10, month / 10, month % 10, date.day() / 10, date.day() % 10];
    for (slot, d) in digits.iter_mut().zip(parts) {
        *slot = d as u8;
    }
    digits[6] = (free / 100) as u8;
    digits[7] = (free / 10 % 10) as u8;
    digits[8] = (free % 10) as u8;
    digits[9] = sex_digit as u8;
    digits[10] = pesel_check_digit(&digits[..10]);
    Some(digits.iter().map(|&d| char::from(b'0' + d)).collect())
}

/// The 10-digit rodné číslo, written `YYMMDD/NNNN`, of someone born on `date` with sex `sex`
/// and serial `serial` (`0..BIRTH_NUMBER_SERIALS`).
///
/// Women have 50 added to the month. The tail is the `serial`-th four-digit number that makes
/// the whole ten-digit number divisible by 11, which is the same as "the first nine digits mod
/// 11, then mod 10, equal the last" without ever needing the old remainder-10 exception.
/// `None` for years before 1954, when 9-digit numbers were issued instead.
pub(super) fn birth_number(date: NaiveDate, sex: Sex, serial: u64) -> Option<String> {
    if date.year() < 1954 {
        return None;
    }
    let month = date.month()
        + match sex {
            Sex::Female => 50,
            Sex::Male => 0,
        };
    let prefix = u64::from(date.year().rem_euclid(100) as u32) * 10_000
        + u64::from(month) * 100
        + u64::from(date.day());
    let first = (11 - (prefix * 10_000) % 11) % 11;
    let tail = first + 11 * (serial % BIRTH_NUMBER_SERIALS);
    Some(format!("{prefix:06}/{tail:04}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn pesel_matches_the_published_examples() {
        // DOMAIN.md §2: 02211307589 is a woman born 2002-01-13 (serial 075, sex digit 8).
        assert_eq!(pesel(date(2002, 1, 13), Sex::Female, 75 * 5 + 4).unwrap(), "02211307589");
        // 44051401359: a man born 1944-05-14 (serial 013, sex digit 5).
        assert_eq!(pesel(date(1944, 5, 14), Sex::Male, 13 * 5 + 2).unwrap(), "44051401359");
    }

    #[test]
    fn pesel_encodes_centuries_and_refuses_what_it_cannot() {
        assert!(pesel(date(1899, 12, 31), Sex::Male, 0).unwrap().starts_with("9992"));
        assert!(pesel(date(2150, 3, 1), Sex::Male, 0).unwrap().starts_with("504301"));
        assert_eq!(pesel(date(2300, 1, 1), Sex::Male, 0), None);
    }

    #[test]
    fn birth_number_is_divisible_by_eleven_with_the_sex_in_the_month() {
        let woman = birth_number(date(2011, 4, 7), Sex::Female, 0).unwrap();
        assert!(woman.starts_with("115407/"), "{woman}");
        let man = birth_number(date(2011, 4, 7), Sex::Male, 908).unwrap();
        assert!(man.starts_with("110407/"), "{man}");
        for s in [woman, man] {
            let n: u64 = s.replace('/', "").parse().unwrap();
            assert_eq!(n % 11, 0, "{s}");
        }
        assert_eq!(birth_number(date(1953, 12, 31), Sex::Male, 0), None);
    }
}
