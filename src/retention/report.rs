//! `teczka retention report`: per category, how many items and pupils are past their period,
//! due within the horizon, held, undated — counts only, never a value or an id.

use super::evaluate::{evaluate, Plan, Standing};
use super::schedule::Schedule;
use crate::error::Result;
use crate::model::record::Record;
use crate::model::Entity;
use chrono::NaiveDate;
use serde::Serialize;

/// Items and the pupils they belong to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Items (list entries; for `pupils`, records).
    pub items: u64,
    /// Pupils with at least one such item.
    pub pupils: u64,
}

impl Tally {
    fn add(&mut self, items: u64) {
        if items > 0 {
            self.items += items;
            self.pupils += 1;
        }
    }
}

/// One category's counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CategoryCounts {
    /// The category, as the controller file names it (`attendance`).
    pub category: &'static str,
    /// The `[[retention]]` entry it follows (position in the file), if any.
    pub entry: Option<usize>,
    /// Whether that entry is its own (`false`: it follows the `pupils` entry).
    pub own_entry: bool,
    /// Every item.
    pub total: Tally,
    /// Past their period.
    pub expired: Tally,
    /// Within their period, which ends within the horizon.
    pub due_soon: Tally,
    /// Under a legal hold.
    pub held: Tally,
    /// Archival (category `A`) past their period: to hand over to the state archive.
    pub archival: Tally,
    /// Without the date their period runs from.
    pub undated: Tally,
    /// In a category the schedule gives no period.
    pub unscheduled: Tally,
}

/// One hold's reach.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HoldCounts {
    /// The hold's position among the holds in force.
    pub hold: usize,
    /// Items it protects.
    pub items: u64,
    /// Pupils it protects (whole or in part).
    pub pupils: u64,
    /// Pupil ids it names that no record of the input has: a mistyped id protects nobody.
    pub unmatched: u64,
    /// Which of its named ids were seen.
    #[serde(skip)]
    seen: Vec<bool>,
}

/// What a retention report found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The day evaluated at.
    pub today: Option<NaiveDate>,
    /// The last day of "due soon".
    pub horizon: Option<NaiveDate>,
    /// Pupils read.
    pub pupils: u64,
    /// Pupils under a hold over their whole record.
    pub pupils_held: u64,
    /// Records whose own period is over and which go as a whole (erased or anonymised).
    pub records_expiring: u64,
    /// Records whose own period is over but which items within a longer period keep.
    pub records_kept_for_items: u64,
    /// Pupils without a recorded leaving date, whose leaving was taken from the last school
    /// year their record shows.
    pub leaving_inferred: u64,
    /// Input records with fields that could not be read (`teczka validate` lists them).
    pub unreadable: u64,
    /// Per category, in [`Entity`] order.
    pub categories: Vec<CategoryCounts>,
    /// Per hold in force.
    pub holds: Vec<HoldCounts>,
}

impl Report {
    /// An empty report for `schedule`.
    pub fn new(schedule: &Schedule) -> Report {
        let categories = Entity::ALL
            .into_iter()
            .map(|e| CategoryCounts {
                category: e.file_stem(),
                entry: schedule.rule(e).map(|r| r.entry),
                own_entry: schedule.has_own_rule(e),
                ..CategoryCounts::default()
            })
            .collect();
        let holds = schedule
            .holds()
            .iter()
            .enumerate()
            .map(|(hold, h)| HoldCounts {
                hold,
                unmatched: h.pupils.len() as u64,
                seen: vec![false; h.pupils.len()],
                ..HoldCounts::default()
            })
            .collect();
        Report {
            today: Some(schedule.today),
            horizon: Some(schedule.horizon()),
            categories,
            holds,
            ..Report::default()
        }
    }

    /// Count one pupil's plan; `id` is the pupil's, matched against the holds' ids.
    pub fn add(&mut self, plan: &Plan, id: &str, schedule: &Schedule) {
        for (counts, hold) in self.holds.iter_mut().zip(schedule.holds()) {
            for (named, seen) in hold.pupils.iter().zip(counts.seen.iter_mut()) {
                if named == id && !*seen {
                    *seen = true;
                    counts.unmatched -= 1;
                }
            }
        }
        self.pupils += 1;
        self.pupils_held += u64::from(plan.held_whole.is_some());
        self.records_expiring += u64::from(plan.fate != super::Fate::Keep);
        self.records_kept_for_items += u64::from(plan.kept_for_items);
        self.leaving_inferred += u64::from(plan.leaving_inferred);
        let mut held_by = vec![0u64; self.holds.len()];
        for (entity, counts) in Entity::ALL.into_iter().zip(&mut self.categories) {
            let statuses = plan.statuses(entity);
            let count = |standing: Standing| {
                statuses.iter().filter(|s| s.standing == standing).count() as u64
            };
            counts.total.add(statuses.len() as u64);
            counts.expired.add(count(Standing::Expired));
            counts.due_soon.add(count(Standing::DueSoon));
            counts.held.add(count(Standing::Held));
            counts.archival.add(count(Standing::Archival));
            counts.undated.add(count(Standing::Undated));
            counts.unscheduled.add(count(Standing::Unscheduled));
            for hold in statuses.iter().filter_map(|s| s.hold) {
                if let Some(n) = held_by.get_mut(hold) {
                    *n += 1;
                }
            }
        }
        for (counts, items) in self.holds.iter_mut().zip(held_by) {
            if items > 0 {
                counts.items += items;
                counts.pupils += 1;
            }
        }
    }

    /// The counts of `entity` (`None` in a report not made by [`Report::new`]).
    pub fn category(&self, entity: Entity) -> Option<&CategoryCounts> {
        self.categories.get(entity as usize)
    }
}

/// Evaluate every record of `records` against `schedule` and count, reading each once.
/// Blank CSV rows are skipped; records with fields that could not be read are evaluated on
/// what was read and counted as unreadable.
pub fn report(
    records: impl Iterator<Item = Result<Record>>,
    schedule: &Schedule,
) -> Result<Report> {
    let mut report = Report::new(schedule);
    for record in records {
        let record = record?;
        if record.is_blank_row() {
            continue;
        }
        report.unreadable += u64::from(record.is_rejected());
        report.add(&evaluate(schedule, &record.pupil), &record.pupil.id, schedule);
    }
    Ok(report)
}
