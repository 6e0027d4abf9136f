//! Generalisation hierarchies: each level makes a value coarser, up to `*`.
//!
//! A quasi-identifier's ladder (`levels = ["month", "year", "age-band:5"]`) is what
//! anonymisation climbs; a plain `generalise` rule uses its first level. Address levels read
//! the address's own `commune`, `county`, `region` and `country` fields, so a town generalises
//! to its commune without a gazetteer: the register already holds the hierarchy.
//!
//! Every level is computed from the *original* value; levels are checked to become strictly
//! coarser (each one a function of the one below), which the anonymisation search relies on.
//! Ages are counted by year group, as schools count them: reference year − birth year.

use crate::model::ValueKind;
use chrono::{Datelike, NaiveDate};

/// The value every ladder ends in: nothing released.
pub const TOP: &str = "*";

/// Separates an original value from its address siblings in a ladder input.
const PART: char = '\u{1f}';
/// Separates the items of a list field (a pupil's several addresses) in a ladder input.
const ITEM: char = '\u{1e}';

/// The address fields a town (or postcode, or teryt code) generalises to, finest first.
const ADDRESS_LEVELS: [&str; 4] = ["commune", "county", "region", "country"];

/// One level of a generalisation ladder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Level {
    /// The value itself.
    Exact,
    /// A date's `YYYY-MM`.
    Month,
    /// A date's `YYYY`.
    Year,
    /// Age reached in the reference year (reference year − birth year).
    Age,
    /// That age in bands of N (`10-14` for N = 5).
    AgeBand(u32),
    /// The first N characters of a text, then `*` (`80*` for a postcode `80-180`).
    Prefix(usize),
    /// A number's band of width N, as a half-open interval (`[80,90)`).
    Band(u64),
    /// The value of the address's `commune` / `county` / `region` / `country` field.
    Address(usize),
    /// `*`: nothing.
    Top,
}

impl Level {
    /// Parse a level for a field of `kind`; `address` says whether the field sits in an address.
    pub fn parse(text: &str, kind: &ValueKind, address: bool) -> Result<Level, String> {
        let (name, arg) = match text.split_once(':') {
            Some((name, arg)) => (name, Some(arg)),
            None => (text, None),
        };
        let number = |what: &str| -> Result<u64, String> {
            arg.and_then(|a| a.parse::<u64>().ok()).filter(|n| *n > 0).ok_or_else(|| {
                format!("level `{text}`: write {what} as a whole number above 0, e.g. `{name}:5`")
            })
        };
        let level = match (name, kind) {
            ("exact", _) if arg.is_none() => Level::Exact,
            ("*", _) if arg.is_none() => Level::Top,
            ("month", ValueKind::Date) => Level::Month,
            ("year", ValueKind::Date) => Level::Year,
            ("age", ValueKind::Date) => Level::Age,
            ("age-band", ValueKind::Date) => {
                Level::AgeBand(u32::try_from(number("the band width")?).unwrap_or(u32::MAX))
            }
            ("prefix", ValueKind::Text) => {
                Level::Prefix(usize::try_from(number("the kept length")?).unwrap_or(usize::MAX))
            }
            ("band", ValueKind::Integer | ValueKind::Number) => Level::Band(number("the width")?),
            (name, ValueKind::Text) if address && ADDRESS_LEVELS.contains(&name) => {
                Level::Address(ADDRESS_LEVELS.iter().position(|l| *l == name).unwrap_or(0))
            }
            _ => return Err(unsupported(text, kind, address)),
        };
        if arg.is_some() && !matches!(level, Level::AgeBand(_) | Level::Prefix(_) | Level::Band(_))
        {
            return Err(unsupported(text, kind, address));
        }
        Ok(level)
    }

    /// Whether `self` is strictly coarser than `finer` (ladders must climb).
    fn coarser_than(&self, finer: &Level) -> bool {
        use Level::*;
        match (finer, self) {
            (_, Top) => !matches!(finer, Top),
            (Exact, _) => !matches!(self, Exact),
            (Month, Year | Age | AgeBand(_)) | (Year | Age, AgeBand(_)) => true,
            (AgeBand(a), AgeBand(b)) => b > a && b % a == 0,
            (Prefix(a), Prefix(b)) => b < a,
            (Prefix(_), Address(_)) => true,
            (Address(a), Address(b)) => b > a,
            (Band(a), Band(b)) => b > a && b % a == 0,
            _ => false,
        }
    }
}

fn unsupported(text: &str, kind: &ValueKind, address: bool) -> String {
    let allowed = match kind {
        ValueKind::Date => "exact, month, year, age, age-band:N, *",
        ValueKind::Text if address => {
            "exact, prefix:N, commune, county, region, country, * (address levels read the \
             address's own fields)"
        }
        ValueKind::Text => "exact, prefix:N, *",
        ValueKind::Integer | ValueKind::Number => "exact, band:N, *",
        ValueKind::Bool | ValueKind::Enum(_) => "exact, *",
    };
    format!("level `{text}` does not apply to this field: use one of {allowed}")
}

/// A field's generalisation ladder, with the date ages are computed at.
#[derive(Clone, Debug, PartialEq)]
pub struct Ladder {
    levels: Vec<Level>,
    reference: NaiveDate,
}

impl Ladder {
    /// A ladder from its level names, finest first; `*` is added on top if missing.
    pub fn new(
        names: &[String],
        kind: &ValueKind,
        address: bool,
        reference: NaiveDate,
    ) -> Result<Ladder, String> {
        if names.is_empty() {
            return Err("give at least one level, e.g. `to = \"year\"`".to_string());
        }
        let mut levels = Vec::with_capacity(names.len() + 1);
        for name in names {
            let level = Level::parse(name, kind, address)?;
            if let Some(previous) = levels.last() {
                if !level.coarser_than(previous) {
                    return Err(format!(
                        "level `{name}` is not coarser than the level before it: list levels \
                         finest first, each one coarser (band widths must be multiples)"
                    ));
                }
            }
            levels.push(level);
        }
        if levels.last() != Some(&Level::Top) {
            levels.push(Level::Top);
        }
        Ok(Ladder { levels, reference })
    }

    /// Number of levels, `*` included.
    pub fn len(&self) -> usize {
        self.levels.len()
    }

    /// Whether the ladder is only `*` (never: [`Ladder::new`] needs a level).
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// The name of `level` as a policy writes it (`year`, `age-band:5`, `*`).
    pub fn level_name(&self, level: usize) -> String {
        match self.levels.get(level).unwrap_or(&Level::Top) {
            Level::Exact => "exact".into(),
            Level::Month => "month".into(),
            Level::Year => "year".into(),
            Level::Age => "age".into(),
            Level::AgeBand(n) => format!("age-band:{n}"),
            Level::Prefix(n) => format!("prefix:{n}"),
            Level::Band(n) => format!("band:{n}"),
            Level::Address(i) => ADDRESS_LEVELS.get(*i).copied().unwrap_or("*").into(),
            Level::Top => TOP.into(),
        }
    }

    /// Whether `level` releases the value unchanged.
    pub fn is_exact(&self, level: usize) -> bool {
        self.levels.get(level) == Some(&Level::Exact)
    }

    /// Whether any level reads the address's sibling fields.
    pub fn reads_address(&self) -> bool {
        self.levels.iter().any(|l| matches!(l, Level::Address(_)))
    }

    /// The value of one item at `level`, given its text and `sibling` giving the text of
    /// another field of the same item (empty fields as `None`): `None` keeps the original
    /// value unchanged ([`Level::Exact`]), `Some(text)` replaces it.
    pub fn apply_text(
        &self,
        level: usize,
        text: &str,
        sibling: impl Fn(&str) -> Option<String>,
    ) -> Option<String> {
        let level = self.levels.get(level).unwrap_or(&Level::Top);
        if *level == Level::Exact {
            return None;
        }
        Some(self.generalise(level, text, sibling))
    }

    /// The ladder input for one item: its value's text, and its address siblings (as in
    /// [`Ladder::apply_text`]) if a level reads them. Feed several items' inputs to
    /// [`Ladder::join_items`].
    pub fn original_text(&self, value: &str, sibling: impl Fn(&str) -> Option<String>) -> String {
        let mut text = value.to_string();
        if self.reads_address() {
            for name in ADDRESS_LEVELS {
                text.push(PART);
                text.push_str(&sibling(name).unwrap_or_default());
            }
        }
        text
    }

    /// The ladder input of a list field: the items' inputs, sorted and without repeats, so
    /// the order of a pupil's addresses does not matter.
    pub fn join_items(mut items: Vec<String>) -> String {
        items.sort();
        items.dedup();
        items.join(&ITEM.to_string())
    }

    /// The released text of a ladder input (from `Ladder::original` or
    /// [`Ladder::join_items`]) at `level`: each item generalised, repeats removed, joined by
    /// `|`. This is the function anonymisation climbs.
    pub fn generalise_original(&self, original: &str, level: usize) -> String {
        // Nothing held stays nothing at every level: a `*` here would count a pupil without
        // the field together with pupils whose value was hidden, while the release shows the
        // difference.
        if original.is_empty() {
            return String::new();
        }
        let level = self.levels.get(level).unwrap_or(&Level::Top);
        if *level == Level::Top {
            return TOP.to_string();
        }
        let mut items: Vec<String> = original
            .split(ITEM)
            .map(|item| {
                let mut parts = item.split(PART);
                let value = parts.next().unwrap_or_default().to_string();
                let siblings: Vec<&str> = parts.collect();
                match level {
                    Level::Exact => value,
                    _ => self.generalise(level, &value, |name| {
                        let i = ADDRESS_LEVELS.iter().position(|l| *l == name)?;
                        siblings.get(i).filter(|s| !s.is_empty()).map(|s| s.to_string())
                    }),
                }
            })
            .collect();
        items.sort();
        items.dedup();
        items.join("|")
    }

    fn generalise(
        &self,
        level: &Level,
        value: &str,
        sibling: impl Fn(&str) -> Option<String>,
    ) -> String {
        if value.is_empty() {
            return String::new();
        }
        let date = || crate::model::value::parse_date(value).ok();
        let generalised = match level {
            Level::Exact => Some(value.to_string()),
            Level::Top => None,
            Level::Month => date().map(|d| format!("{:04}-{:02}", d.year(), d.month())),
            Level::Year => date().map(|d| format!("{:04}", d.year())),
            Level::Age => date().and_then(|d| age(d, self.reference)).map(|a| a.to_string()),
            Level::AgeBand(width) => date().and_then(|d| age(d, self.reference)).map(|a| {
                let low = a / width * width;
                format!("{low}-{}", low + width - 1)
            }),
            Level::Prefix(n) => {
                let kept: String = value.chars().take(*n).collect();
                Some(if kept.len() < value.len() { format!("{kept}*") } else { kept })
            }
            Level::Band(width) => value.parse::<f64>().ok().filter(|v| v.is_finite()).map(|v| {
                let width = *width as f64;
                let low = (v / width).floor() * width;
                format!("[{low},{})", low + width)
            }),
            Level::Address(i) => ADDRESS_LEVELS[*i..].iter().find_map(|name| sibling(name)),
        };
        generalised.unwrap_or_else(|| TOP.to_string())
    }
}

/// The age reached in the reference year (`reference year − birth year`), the way Polish and
/// Czech schools count year groups (*rocznik*): every child born in one year has the same
/// age, so age bands coarsen birth years and months and the ladder stays a hierarchy, which
/// the anonymisation search relies on. `None` for a birth after the reference year.
fn age(birth: NaiveDate, at: NaiveDate) -> Option<u32> {
    u32::try_from(at.year() - birth.year()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    fn ladder(names: &[&str], kind: ValueKind, address: bool) -> Ladder {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        Ladder::new(&names, &kind, address, NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()).unwrap()
    }

    #[test]
    fn dates_climb_month_year_age_band_to_star() {
        let l = ladder(&["month", "year", "age-band:5", "age-band:10"], ValueKind::Date, false);
        let at = |level| l.apply_text(level, "2014-09-02", none).unwrap();
        // Reaches 12 in 2026, the reference year: the whole year group is 12.
        assert_eq!([at(0), at(1), at(2), at(3), at(4)], ["2014-09", "2014", "10-14", "10-19", "*"]);
        assert_eq!(l.len(), 5);
        assert_eq!(l.generalise_original("2014-09-01", 2), "10-14");
        assert_eq!(l.generalise_original("2014-09-01", 0), "2014-09");
    }

    #[test]
    fn towns_climb_their_own_address_fields_and_missing_levels_fall_through() {
        let l = ladder(&["exact", "commune", "county", "region"], ValueKind::Text, true);
        let sibling = |name: &str| match name {
            "commune" => Some("Gdańsk".to_string()),
            "region" => Some("pomorskie".to_string()),
            _ => None,
        };
        assert_eq!(l.apply_text(0, "Oliwa", sibling), None, "exact keeps the typed value");
        assert_eq!(l.apply_text(1, "Oliwa", sibling).unwrap(), "Gdańsk");
        // No county written: the region stands in rather than inventing one.
        assert_eq!(l.apply_text(2, "Oliwa", sibling).unwrap(), "pomorskie");
        let original = l.original_text("Oliwa", sibling);
        assert_eq!(l.generalise_original(&original, 1), "Gdańsk");
        assert_eq!(l.generalise_original(&original, 0), "Oliwa");
        assert_eq!(l.generalise_original(&original, 4), "*");
    }

    #[test]
    fn list_fields_generalise_item_by_item_without_repeats() {
        let l = ladder(&["prefix:2"], ValueKind::Text, true);
        let joined = Ladder::join_items(vec!["80-180".into(), "80-299".into(), "00-950".into()]);
        assert_eq!(l.generalise_original(&joined, 0), "00*|80*");
        assert_eq!(l.generalise_original(&joined, 1), "*");
    }

    #[test]
    fn numbers_band_into_half_open_intervals() {
        let l = ladder(&["band:10", "band:50"], ValueKind::Number, false);
        assert_eq!(l.apply_text(0, "87.5", none).unwrap(), "[80,90)");
        assert_eq!(l.apply_text(1, "87.5", none).unwrap(), "[50,100)");
        assert_eq!(l.apply_text(0, "-3", none).unwrap(), "[-10,0)");
    }

    #[test]
    fn ladders_must_climb_and_levels_must_fit_the_field() {
        let reference = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let err = Ladder::new(&names(&["year", "month"]), &ValueKind::Date, false, reference);
        assert!(err.unwrap_err().contains("`month` is not coarser"));
        let err =
            Ladder::new(&names(&["band:10", "band:15"]), &ValueKind::Integer, false, reference);
        assert!(err.unwrap_err().contains("multiples"));
        let err = Ladder::new(&names(&["commune"]), &ValueKind::Text, false, reference);
        assert!(err.unwrap_err().contains("use one of exact, prefix:N, *"));
        let err = Ladder::new(&names(&["age-band:0"]), &ValueKind::Date, false, reference);
        assert!(err.unwrap_err().contains("above 0"));
        let err = Ladder::new(&names(&["year:3"]), &ValueKind::Date, false, reference);
        assert!(err.is_err());
    }

    #[test]
    fn unparseable_and_future_values_become_star_not_a_leak() {
        let l = ladder(&["month", "age"], ValueKind::Date, false);
        assert_eq!(l.apply_text(0, "not a date", none).unwrap(), "*");
        assert_eq!(l.apply_text(1, "2030-01-01", none).unwrap(), "*");
    }
}
