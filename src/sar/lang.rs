//! The report's languages: which ones exist, how each writes a date, and a helper to pick one
//! of three translations.
//!
//! Translations sit side by side as `[pl, cs, en]` arrays at the place they are used, so a
//! reviewer reads all three together and a missing one is a compile error, not a blank.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A language the subject-access report speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Polish.
    Pl,
    /// Czech.
    Cs,
    /// English.
    En,
}

impl Lang {
    /// Every language, in the order translations are written: `[pl, cs, en]`.
    pub const ALL: [Lang; 3] = [Lang::Pl, Lang::Cs, Lang::En];

    /// The language's code (`pl`, `cs`, `en`), also its HTML `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Pl => "pl",
            Lang::Cs => "cs",
            Lang::En => "en",
        }
    }

    /// Pick this language's entry of a `[pl, cs, en]` triple.
    pub fn pick<T: Copy>(self, texts: [T; 3]) -> T {
        texts[self as usize]
    }

    /// A date as people of this language write it: `30.11.2026`, `30. 11. 2026`,
    /// `30 November 2026`.
    pub fn date(self, date: NaiveDate) -> String {
        let (d, m, y) = (date.day(), date.month(), date.year());
        match self {
            Lang::Pl => format!("{d:02}.{m:02}.{y}"),
            Lang::Cs => format!("{d}. {m}. {y}"),
            Lang::En => format!("{d} {} {y}", ENGLISH_MONTHS[m as usize - 1]),
        }
    }

    /// The name of `other` in this language, as "provided in … only" needs it
    /// (`po polsku`, `v polštině`, `in Polish`).
    pub fn in_language(self, other: Lang) -> &'static str {
        let names = match other {
            Lang::Pl => ["po polsku", "v polštině", "in Polish"],
            Lang::Cs => ["po czesku", "v češtině", "in Czech"],
            Lang::En => ["po angielsku", "v angličtině", "in English"],
        };
        self.pick(names)
    }

    /// A decimal number with this language's decimal separator (`12,5` in pl and cs).
    pub fn number(self, value: f64) -> String {
        let text = value.to_string();
        match self {
            Lang::En => text,
            Lang::Pl | Lang::Cs => text.replace('.', ","),
        }
    }
}

const ENGLISH_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl FromStr for Lang {
    type Err = String;

    /// `pl`, `cs` or `en` (any case); `cz` is accepted for Czech because people type it.
    fn from_str(s: &str) -> Result<Lang, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pl" => Ok(Lang::Pl),
            "cs" | "cz" => Ok(Lang::Cs),
            "en" => Ok(Lang::En),
            other => Err(format!("unknown language `{other}`: use pl, cs or en")),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_each_languages_convention() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(Lang::Pl.date(date), "30.11.2026");
        assert_eq!(Lang::Cs.date(date), "30. 11. 2026");
        assert_eq!(Lang::En.date(date), "30 November 2026");
        let early = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(Lang::Pl.date(early), "02.03.2026");
        assert_eq!(Lang::Cs.date(early), "2. 3. 2026");
    }

    #[test]
    fn languages_parse_and_display_by_code() {
        for lang in Lang::ALL {
            assert_eq!(lang.to_string().parse::<Lang>(), Ok(lang));
        }
        assert_eq!("CZ".parse::<Lang>(), Ok(Lang::Cs));
        assert!("de".parse::<Lang>().unwrap_err().contains("use pl, cs or en"));
        assert_eq!(Lang::Cs.number(12.5), "12,5");
    }
}
