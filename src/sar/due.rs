//! The request and when its answer is due.
//!
//! GDPR Art. 12(3) gives one month from receipt, extendable by two further months. How a
//! month is counted is set by Regulation (EEC, Euratom) No 1182/71: Art. 3(2)(c) ends a period
//! of months on the same date of the last month, or on that month's last day when the date does
//! not exist there (31 January + 1 month = 28 February); Art. 3(4) moves an end falling on a
//! Saturday, a Sunday or a public holiday to the next working day. Public holidays are the
//! controller's country's: Poland's (ustawa o dniach wolnych od pracy) or Czechia's (zákon
//! 245/2000 Sb.).

use super::controller::Country;
use super::lang::Lang;
use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

/// The request being answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The request's reference (case number), shown on every page of the answer.
    pub reference: String,
    /// When the controller received the request (or verified the requester's identity).
    pub received: NaiveDate,
    /// An extension of the deadline (Art. 12(3)), if one was taken.
    pub extension: Option<Extension>,
    /// The language the answer is written in.
    pub lang: Lang,
    /// The date of this answer.
    pub answered: NaiveDate,
}

/// An extension of the answer's deadline by one or two further months (Art. 12(3)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    /// Further months: 1 or 2.
    pub months: u8,
    /// Why (the complexity or number of requests); the requester must be told within the first
    /// month.
    pub reason: String,
}

impl Request {
    /// The deadline without any extension: one month from receipt, moved to the next working
    /// day when it falls on a weekend or public holiday. An extension must be announced, with
    /// its reasons, by this date.
    pub fn initial_due(&self, country: Country) -> NaiveDate {
        deadline(self.received, 1, country)
    }

    /// The deadline in force: one month from receipt, plus the extension's months if one was
    /// taken (at most two), moved to the next working day when needed.
    pub fn due(&self, country: Country) -> NaiveDate {
        let extra = self.extension.as_ref().map_or(0, |e| u32::from(e.months.min(2)));
        deadline(self.received, 1 + extra, country)
    }

    /// The latest deadline an extension could give: three months from receipt.
    pub fn longest_due(&self, country: Country) -> NaiveDate {
        deadline(self.received, 3, country)
    }

    /// Whether the answer is dated after the deadline in force: it must say so, to the
    /// requester and to whoever sends it.
    pub fn is_late(&self, country: Country) -> bool {
        self.answered > self.due(country)
    }
}

/// The end of a period of `months` months starting on `start` (Regulation 1182/71 Art. 3(2)(c)
/// and 3(4)).
pub fn deadline(start: NaiveDate, months: u32, country: Country) -> NaiveDate {
    // chrono clamps to the month's last day when the date does not exist there, which is
    // exactly Art. 3(2)(c).
    let end = start.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX);
    next_working_day(end, country)
}

/// `date` itself when it is a working day, otherwise the first working day after it.
pub fn next_working_day(date: NaiveDate, country: Country) -> NaiveDate {
    let mut day = date;
    while !is_working_day(day, country) {
        match day.checked_add_days(Days::new(1)) {
            Some(next) => day = next,
            None => break,
        }
    }
    day
}

/// Whether `date` is neither a weekend day nor a public holiday in `country`.
pub fn is_working_day(date: NaiveDate, country: Country) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_public_holiday(date, country)
}

/// Whether `date` is a public holiday in `country`.
pub fn is_public_holiday(date: NaiveDate, country: Country) -> bool {
    let year = date.year();
    let fixed = (date.month(), date.day());
    let easter = easter_sunday(year);
    let from_easter =
        |days: i64| easter.and_then(|e| e.checked_add_signed(chrono::Duration::days(days)));
    match country {
        Country::Pl => {
            // Christmas Eve is a holiday since 2025 (ustawa of 6 December 2024).
            let christmas_eve = year >= 2025 && fixed == (12, 24);
            matches!(
                fixed,
                (1, 1) | (1, 6) | (5, 1) | (5, 3) | (8, 15) | (11, 1) | (11, 11) | (12, 25) | (12, 26)
            ) || christmas_eve
                // Easter Sunday and Monday, Whit Sunday, Corpus Christi.
                || [0, 1, 49, 60].into_iter().any(|d| from_easter(d) == Some(date))
        }
        Country::Cz => {
            // Good Friday is a holiday since 2016 (zákon 245/2000 Sb. as amended).
            let good_friday = year >= 2016 && from_easter(-2) == Some(date);
            matches!(
                fixed,
                (1, 1)
                    | (5, 1)
                    | (5, 8)
                    | (7, 5)
                    | (7, 6)
                    | (9, 28)
                    | (10, 28)
                    | (11, 17)
                    | (12, 24)
                    | (12, 25)
                    | (12, 26)
            ) || good_friday
                || from_easter(1) == Some(date)
        }
    }
}

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous Gregorian algorithm,
/// "Meeus/Jones/Butcher").
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn request(received: NaiveDate, extension: Option<u8>) -> Request {
        Request {
            reference: "SAR/2026/1".into(),
            received,
            extension: extension.map(|months| Extension { months, reason: "many requests".into() }),
            lang: Lang::Pl,
            answered: received,
        }
    }

    #[test]
    fn easter_dates_are_right() {
        assert_eq!(easter_sunday(2024), Some(d(2024, 3, 31)));
        assert_eq!(easter_sunday(2025), Some(d(2025, 4, 20)));
        assert_eq!(easter_sunday(2026), Some(d(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(d(2027, 3, 28)));
    }

    #[test]
    fn a_missing_day_ends_the_period_on_the_months_last_day_then_moves_off_the_weekend() {
        // 31 January + 1 month = 28 February 2026, a Saturday → Monday 2 March.
        let r = request(d(2026, 1, 31), None);
        assert_eq!(d(2026, 2, 28).weekday(), Weekday::Sat);
        assert_eq!(r.due(Country::Pl), d(2026, 3, 2));
        assert!(!Request { answered: d(2026, 3, 2), ..r.clone() }.is_late(Country::Pl));
        assert!(Request { answered: d(2026, 3, 3), ..r.clone() }.is_late(Country::Pl));
        assert_eq!(r.due(Country::Cz), d(2026, 3, 2));
        // A leap year keeps the 29th (a Tuesday in 2028).
        assert_eq!(request(d(2028, 1, 31), None).due(Country::Pl), d(2028, 2, 29));
    }

    #[test]
    fn national_holidays_move_the_deadline_in_their_country_only() {
        // 11 November (Independence Day) is a Wednesday in 2026: a Polish holiday only.
        let r = request(d(2026, 10, 11), None);
        assert_eq!(r.due(Country::Pl), d(2026, 11, 12));
        assert_eq!(r.due(Country::Cz), d(2026, 11, 11));
        // 17 November (Struggle for Freedom and Democracy Day) is a Czech holiday only.
        let r = request(d(2026, 10, 17), None);
        assert_eq!(r.due(Country::Cz), d(2026, 11, 18));
        assert_eq!(r.due(Country::Pl), d(2026, 11, 17));
        // Easter Monday 2026 (6 April) in both.
        let r = request(d(2026, 3, 6), None);
        assert_eq!(r.due(Country::Pl), d(2026, 4, 7));
        assert_eq!(r.due(Country::Cz), d(2026, 4, 7));
        // Corpus Christi 2026 (Thursday 4 June) in Poland only.
        let r = request(d(2026, 5, 4), None);
        assert_eq!(r.due(Country::Pl), d(2026, 6, 5));
        assert_eq!(r.due(Country::Cz), d(2026, 6, 4));
        // Good Friday 2026 (3 April) in Czechia only.
        let r = request(d(2026, 3, 3), None);
        assert_eq!(r.due(Country::Cz), d(2026, 4, 7));
        assert_eq!(r.due(Country::Pl), d(2026, 4, 3));
        // 24 December is a Polish holiday from 2025: 24.12.2026 is a Thursday; with the 25th,
        // the 26th (Saturday) and Sunday the answer is due on Monday 28 December.
        assert_eq!(request(d(2026, 11, 24), None).due(Country::Pl), d(2026, 12, 28));
        assert!(!is_public_holiday(d(2024, 12, 24), Country::Pl));
    }

    #[test]
    fn an_extension_adds_up_to_two_months_counted_from_receipt() {
        let received = d(2026, 1, 15);
        assert_eq!(request(received, Some(2)).due(Country::Pl), d(2026, 4, 15));
        assert_eq!(request(received, Some(2)).initial_due(Country::Pl), d(2026, 2, 16));
        assert_eq!(request(received, Some(1)).due(Country::Pl), d(2026, 3, 16));
        // More than two is not allowed by Art. 12(3): capped.
        assert_eq!(request(received, Some(5)).due(Country::Pl), d(2026, 4, 15));
    }
}
