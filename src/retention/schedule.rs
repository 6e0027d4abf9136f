//! The retention schedule as `teczka retention` runs it: the controller file's
//! machine-readable `[[retention]]` entries per category, its `[[holds]]`, and the date
//! arithmetic of periods.
//!
//! A category without an entry of its own follows the `pupils` entry: it is part of the
//! pupil's file and goes when the file goes. A category with neither is never touched and is
//! reported as having no period. Where two entries name one category, the one written first
//! wins, and loading says so.

use crate::error::{Error, Result};
use crate::model::Entity;
use crate::sar::{Controller, Hold, Retention, RetentionAction, RetentionEvent};
use chrono::{Datelike, Months, NaiveDate};
use std::path::Path;

/// How long an entry keeps data, and how it counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// Whole months (years × 12 + months).
    pub months: u32,
    /// Count from 1 January after the event instead of from the event's day.
    pub calendar_years: bool,
}

impl Period {
    /// The last day of the period that runs from `event`: data is past its period the day
    /// after. `None` when the date would leave the calendar.
    pub fn last_day(&self, event: NaiveDate) -> Option<NaiveDate> {
        // As the civil codes count a period in years or months: the event's day is not
        // counted, and the period ends on the day of the last month that matches it (five
        // years from 31 August 2020 run through 31 August 2025). Whole calendar years start on
        // 1 January after the event and end on 31 December.
        if self.calendar_years {
            let start = NaiveDate::from_ymd_opt(event.year().checked_add(1)?, 1, 1)?;
            return start.checked_add_months(Months::new(self.months))?.pred_opt();
        }
        event.checked_add_months(Months::new(self.months))
    }
}

/// One machine-readable schedule entry.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Its position among the controller file's `[[retention]]` entries.
    pub entry: usize,
    /// The period.
    pub period: Period,
    /// What it runs from.
    pub from: RetentionEvent,
    /// What happens past it.
    pub action: RetentionAction,
    /// The file-plan code (`B5`, `S 10`, `A 45`), as written.
    pub code: Option<String>,
    /// Whether the code marks archival records (`A`, `A 45`): handed to the state archive
    /// past their period, never erased by teczka.
    pub archival: bool,
}

/// The schedule of one run: a rule per category, the holds, and the run's dates.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// The rule of each category ([`Entity`] order); `None` where the category has none.
    rules: Vec<Option<Rule>>,
    /// Whether a category's rule is its own entry (`false`: it follows `pupils`).
    own: Vec<bool>,
    /// The holds in force on `today` (lapsed ones are in `lapsed`).
    holds: Vec<Hold>,
    /// Holds whose `until` is before `today`: reported, not applied.
    pub lapsed: Vec<Hold>,
    /// The day the schedule is evaluated at.
    pub today: NaiveDate,
    /// "Due soon" means: the period ends within this many months of `today`.
    pub within_months: u32,
    /// Warnings from building: categories named twice.
    pub notes: Vec<String>,
}

impl Schedule {
    /// The schedule of `controller` (loaded from `origin`) evaluated at `today`. Refused when
    /// the file has no machine-readable entry at all: a run would do nothing, silently.
    pub fn new(
        controller: &Controller,
        origin: &Path,
        today: NaiveDate,
        within_months: u32,
    ) -> Result<Schedule> {
        let mut rules: Vec<Option<Rule>> = vec![None; Entity::ALL.len()];
        let mut own = vec![false; Entity::ALL.len()];
        let mut notes = Vec::new();
        for (i, entry) in controller.retention.iter().enumerate() {
            let Some(rule) = rule_of(i, entry) else { continue };
            for category in &entry.categories {
                let slot = category.0 as usize;
                match &rules[slot] {
                    Some(first) => notes.push(format!(
                        "`retention[{i}]` names `{}` again: `retention[{}]` applies to it",
                        category.0.file_stem(),
                        first.entry
                    )),
                    None => {
                        rules[slot] = Some(rule.clone());
                        own[slot] = true;
                    }
                }
            }
        }
        if rules.iter().all(Option::is_none) {
            return Err(Error::config(
                origin,
                "no `[[retention]]` entry has a machine-readable period: add `years = N`, \
                 `from = \"…\"` and `categories = [\"…\"]` to the entries teczka should act on \
                 (see fixtures/sar/controller-pl.toml)",
            ));
        }
        let pupil_rule = rules[Entity::Pupil as usize].clone();
        for rule in rules.iter_mut().filter(|r| r.is_none()) {
            rule.clone_from(&pupil_rule);
        }
        let (holds, lapsed) =
            controller.holds.iter().cloned().partition(|h| h.until.is_none_or(|u| u >= today));
        Ok(Schedule { rules, own, holds, lapsed, today, within_months, notes })
    }

    /// The rule `entity` follows, if any.
    pub fn rule(&self, entity: Entity) -> Option<&Rule> {
        self.rules.get(entity as usize).and_then(Option::as_ref)
    }

    /// Whether `entity` has an entry of its own (else it follows `pupils`).
    pub fn has_own_rule(&self, entity: Entity) -> bool {
        self.own.get(entity as usize).copied().unwrap_or(false)
    }

    /// The holds in force.
    pub fn holds(&self) -> &[Hold] {
        &self.holds
    }

    /// The holds in force over `entity` of the pupil `id`, by their position in
    /// [`Schedule::holds`].
    pub fn holds_over(&self, id: &str, entity: Entity) -> impl Iterator<Item = usize> + '_ {
        let id = id.to_string();
        self.holds.iter().enumerate().filter_map(move |(i, h)| {
            let pupil = h.pupils.is_empty() || h.pupils.contains(&id);
            let category = h.categories.is_empty() || h.categories.iter().any(|c| c.0 == entity);
            (pupil && category).then_some(i)
        })
    }

    /// The hold over the whole record of pupil `id` (no categories named), if any.
    pub fn holds_whole(&self, id: &str) -> Option<usize> {
        self.holds.iter().position(|h| {
            h.categories.is_empty() && (h.pupils.is_empty() || h.pupils.iter().any(|p| p == id))
        })
    }

    /// The last day of "due soon": `today` plus the months asked for.
    pub fn horizon(&self) -> NaiveDate {
        self.today.checked_add_months(Months::new(self.within_months)).unwrap_or(NaiveDate::MAX)
    }
}

fn rule_of(entry: usize, r: &Retention) -> Option<Rule> {
    let from = r.from?;
    let months = r.years.unwrap_or(0).saturating_mul(12).saturating_add(r.months.unwrap_or(0));
    (months > 0).then(|| Rule {
        entry,
        period: Period { months, calendar_years: r.calendar_years },
        from,
        action: r.action.unwrap_or(RetentionAction::Erase),
        code: r.code.clone(),
        archival: r.code.as_deref().is_some_and(is_archival),
    })
}

/// Whether a file-plan code marks archival records: Polish JRWA `A`, Czech `A 45`.
fn is_archival(code: &str) -> bool {
    let code = code.trim();
    code.starts_with('A') && code[1..].trim().chars().all(|c| c.is_ascii_digit())
}

/// The last day (31 August) of the school year `date` falls in: the Polish and Czech school
/// year runs from 1 September to 31 August.
pub fn school_year_end(date: NaiveDate) -> Option<NaiveDate> {
    let year = if date.month() >= 9 { date.year().checked_add(1)? } else { date.year() };
    NaiveDate::from_ymd_opt(year, 8, 31)
}

/// The last day of a school year written `2024/2025`, `2024/25` or `2024-2025`.
pub fn school_year_text_end(text: &str) -> Option<NaiveDate> {
    let (first, _) = text.trim().split_once(['/', '-'])?;
    let first: i32 = first.trim().parse().ok()?;
    NaiveDate::from_ymd_opt(first.checked_add(1)?, 8, 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_school_year_ends_on_31_august() {
        assert_eq!(school_year_end(d(2024, 8, 31)), Some(d(2024, 8, 31)));
        assert_eq!(school_year_end(d(2024, 9, 1)), Some(d(2025, 8, 31)));
        assert_eq!(school_year_end(d(2025, 1, 15)), Some(d(2025, 8, 31)));
        assert_eq!(school_year_text_end("2024/2025"), Some(d(2025, 8, 31)));
        assert_eq!(school_year_text_end("2024/25"), Some(d(2025, 8, 31)));
        assert_eq!(school_year_text_end("2024-2025"), Some(d(2025, 8, 31)));
        assert_eq!(school_year_text_end("rok szkolny"), None);
    }

    #[test]
    fn a_period_runs_through_its_last_day() {
        let five_years = Period { months: 60, calendar_years: false };
        assert_eq!(five_years.last_day(d(2020, 8, 31)), Some(d(2025, 8, 31)));
        // A year from 29 February ends on the last day of February.
        let one_year = Period { months: 12, calendar_years: false };
        assert_eq!(one_year.last_day(d(2024, 2, 29)), Some(d(2025, 2, 28)));
        let archival = Period { months: 60, calendar_years: true };
        assert_eq!(archival.last_day(d(2020, 8, 31)), Some(d(2025, 12, 31)));
        assert_eq!(archival.last_day(d(2020, 1, 1)), Some(d(2025, 12, 31)));
    }

    #[test]
    fn archival_codes_are_recognised() {
        for code in ["A", "A 45", "A45", " A 10 "] {
            assert!(is_archival(code), "{code}");
        }
        for code in ["B5", "S 10", "V 5", "Bc", "AB"] {
            assert!(!is_archival(code), "{code}");
        }
    }
}
