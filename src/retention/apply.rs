//! `teczka retention apply`: the retained remainder of every record, written to a sink.
//!
//! Items past their period are left out (`erase`) or written anonymised (`anonymise`);
//! held items and pupils are written exactly as read. Anonymising reuses the policy engine's
//! catalogue and ladders: direct identifiers, free text and special-category fields are
//! dropped; the pupil's own fields and every quasi-identifier are released as the shipped
//! `statistics` preset releases them (birth date as the year, school and class level kept,
//! class symbol and register number dropped, communes kept, postcodes and towns dropped), at
//! the first level of its ladders; other dates become their year (an exact day of absence is
//! a fact someone may know); other plain fields are kept. An anonymised record's id becomes
//! `anon-N`, numbered in output order. Nothing is measured here: run `teczka risk` on what is
//! released further.
//!
//! Every item is counted once as kept, erased or anonymised, and the totals are checked
//! against the items read before the run reports success.

use super::evaluate::{evaluate, Fate, Outcome, Plan};
use super::report::{Report, Tally};
use super::schedule::Schedule;
use crate::error::{Error, Result};
use crate::model::record::{Record, Released};
use crate::model::released::ReleasedPupil;
use crate::model::tree::Node;
use crate::model::walk::{walk, Scalar, Visitor};
use crate::model::{Class, Entity, FieldSpec, Pupil, ValueKind};
use crate::policy::generalise::TOP;
use crate::policy::{Ladder, Op, Policy};
use crate::write::{Outgoing, Sink};
use chrono::Datelike;
use serde::Serialize;
use std::collections::BTreeMap;

/// `in = kept + erased + anonymised`, for items or pupils.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    /// Read.
    #[serde(rename = "in")]
    pub input: u64,
    /// Written as read (items past their period removed from a kept record count apart).
    pub kept: u64,
    /// Left out.
    pub erased: u64,
    /// Written anonymised.
    pub anonymised: u64,
}

impl Reconciliation {
    /// Whether `in = kept + erased + anonymised`.
    pub fn balances(&self) -> bool {
        self.kept + self.erased + self.anonymised == self.input
    }

    fn count(&mut self, outcome: Outcome, n: u64) {
        self.input += n;
        match outcome {
            Outcome::Kept => self.kept += n,
            Outcome::Erased => self.erased += n,
            Outcome::Anonymised => self.anonymised += n,
        }
    }
}

impl std::fmt::Display for Reconciliation {
    /// `in=N kept=N erased=N anonymised=N`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "in={} kept={} erased={} anonymised={}",
            self.input, self.kept, self.erased, self.anonymised
        )
    }
}

/// What was erased or anonymised under one schedule entry in one category: a line of the
/// deletion protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disposal {
    /// The category.
    #[serde(serialize_with = "category_name")]
    pub category: Entity,
    /// The `[[retention]]` entry (position in the controller file).
    pub entry: usize,
    /// Erased or anonymised.
    pub anonymised: bool,
    /// Items and the pupils they belonged to.
    pub count: Tally,
    /// The earliest and latest year the items' periods ran from (the protocol's date range).
    pub years: Option<(i32, i32)>,
}

fn category_name<S: serde::Serializer>(
    entity: &Entity,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(entity.file_stem())
}

/// What an apply run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The evaluation, as `retention report` counts it.
    pub report: Report,
    /// Items (the records themselves included, one each).
    pub items: Reconciliation,
    /// Pupils: a kept record with items removed counts as kept.
    pub pupils: Reconciliation,
    /// Per category, in [`Entity`] order.
    pub categories: Vec<(String, Reconciliation)>,
    /// The protocol's lines, by category and entry.
    pub disposals: Vec<Disposal>,
}

/// Write the retained remainder of `records` into `sink` (and finish it), counting every
/// item. A record with fields that could not be read stops the run: its retained copy would
/// lose them.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use std::path::Path;
/// use teczka::{
///     apply_retention, Controller, Enrolment, JsonlWriter, Pupil, Record, RetentionSchedule,
/// };
///
/// let path = Path::new("fixtures/sar/controller-pl.toml");
/// let controller = Controller::load(path)?;
/// let today = NaiveDate::from_ymd_opt(2080, 1, 1).unwrap();
/// let schedule = RetentionSchedule::new(&controller, path, today, 12)?;
/// let left = NaiveDate::from_ymd_opt(2020, 6, 26);
/// let enrolment = Enrolment { leaving_date: left, ..Enrolment::default() };
/// let pupil = Pupil { id: "P-1".into(), enrolment: Some(enrolment), ..Pupil::default() };
///
/// let mut out = Vec::new();
/// let mut sink = JsonlWriter::new(&mut out, "-");
/// let records = [Ok(Record { pupil, ..Record::default() })];
/// let applied = apply_retention(records.into_iter(), &schedule, &mut sink)?;
/// drop(sink);
/// assert_eq!(applied.pupils.to_string(), "in=1 kept=0 erased=1 anonymised=0");
/// assert!(out.is_empty(), "50 years after leaving, the record is gone");
/// # Ok::<(), teczka::Error>(())
/// ```
pub fn apply(
    records: impl Iterator<Item = Result<Record>>,
    schedule: &Schedule,
    sink: &mut dyn Sink,
) -> Result<Applied> {
    let anonymiser = Anonymiser::new(schedule.today)?;
    let mut tally = Tallies::new(schedule);
    for record in records {
        let mut record = record?;
        if record.is_blank_row() {
            continue;
        }
        if record.is_rejected() {
            return Err(Error::syntax(
                record.location(),
                "this record holds fields that could not be read, which its retained copy \
                 would lose: correct them first (`teczka validate` lists them); nothing was \
                 written",
            ));
        }
        let plan = evaluate(schedule, &record.pupil);
        tally.add(schedule, &plan, &record.pupil.id);
        remainder(&mut record, &plan, schedule, &anonymiser, &mut tally.next_anonymous)?;
        if plan.fate != Fate::Erase {
            sink.write(Outgoing::of(&record))?;
        }
    }
    sink.finish()?;
    tally.finish()
}

/// The first and last year of a protocol line's items.
type Years = Option<(i32, i32)>;

/// A protocol line: the category, the schedule entry, and whether it anonymised.
type LineKey = (Entity, usize, bool);

/// Per-run counts.
struct Tallies {
    applied: Applied,
    lines: BTreeMap<LineKey, (Tally, Years)>,
    next_anonymous: u64,
}

impl Tallies {
    fn new(schedule: &Schedule) -> Tallies {
        let categories =
            Entity::ALL.iter().map(|e| (e.file_stem().to_string(), Reconciliation::default()));
        Tallies {
            applied: Applied {
                report: Report::new(schedule),
                categories: categories.collect(),
                ..Applied::default()
            },
            lines: BTreeMap::new(),
            next_anonymous: 1,
        }
    }

    fn add(&mut self, schedule: &Schedule, plan: &Plan, id: &str) {
        self.applied.report.add(plan, id, schedule);
        let pupil_outcome = match plan.fate {
            Fate::Keep => Outcome::Kept,
            Fate::Erase => Outcome::Erased,
            Fate::Anonymise => Outcome::Anonymised,
        };
        self.applied.pupils.count(pupil_outcome, 1);
        for entity in Entity::ALL {
            let mut per_line: BTreeMap<(usize, bool), (u64, Years)> = BTreeMap::new();
            for status in plan.statuses(entity) {
                let outcome = plan.outcome(schedule, entity, status);
                self.applied.items.count(outcome, 1);
                self.applied.categories[entity as usize].1.count(outcome, 1);
                let Some(rule) = schedule.rule(entity).filter(|_| outcome != Outcome::Kept) else {
                    continue;
                };
                let line =
                    per_line.entry((rule.entry, outcome == Outcome::Anonymised)).or_default();
                line.0 += 1;
                line.1 = widen(line.1, status.event.map(|d| d.year()));
            }
            for ((entry, anonymised), (items, years)) in per_line {
                let line = self.lines.entry((entity, entry, anonymised)).or_default();
                line.0.items += items;
                line.0.pupils += 1;
                line.1 = years.map_or(line.1, |(a, b)| widen(widen(line.1, Some(a)), Some(b)));
            }
        }
    }

    fn finish(mut self) -> Result<Applied> {
        let (items, pupils) = (self.applied.items, self.applied.pupils);
        if !items.balances() || !pupils.balances() {
            return Err(Error::input(
                "retention",
                format!(
                    "the counts do not reconcile (items {items}; pupils {pupils}): this is a bug \
                     in teczka; the output was not committed"
                ),
            ));
        }
        self.applied.disposals = self
            .lines
            .into_iter()
            .map(|((category, entry, anonymised), (count, years))| Disposal {
                category,
                entry,
                anonymised,
                count,
                years,
            })
            .collect();
        Ok(self.applied)
    }
}

fn widen(range: Years, year: Option<i32>) -> Years {
    match (range, year) {
        (Some((a, b)), Some(y)) => Some((a.min(y), b.max(y))),
        (None, Some(y)) => Some((y, y)),
        (range, None) => range,
    }
}

/// Turn `record` into its retained remainder: items to erase removed from the typed pupil,
/// and, when anything is to be anonymised, its released form made; an anonymised record takes
/// the number `next` (and moves it on).
fn remainder(
    record: &mut Record,
    plan: &Plan,
    schedule: &Schedule,
    anonymiser: &Anonymiser,
    next: &mut u64,
) -> Result<()> {
    if plan.fate == Fate::Erase || plan.held_whole.is_some() {
        return Ok(());
    }
    let mut marks: Vec<Vec<bool>> = vec![Vec::new(); Entity::ALL.len()];
    for entity in Entity::ALL.into_iter().skip(1) {
        let outcomes: Vec<Outcome> =
            plan.statuses(entity).iter().map(|s| plan.outcome(schedule, entity, s)).collect();
        let keep: Vec<bool> = outcomes.iter().map(|o| *o != Outcome::Erased).collect();
        retain_items(&mut record.pupil, entity, &keep);
        marks[entity as usize] = outcomes
            .into_iter()
            .filter(|o| *o != Outcome::Erased)
            .map(|o| o == Outcome::Anonymised)
            .collect();
    }
    let whole = plan.fate == Fate::Anonymise;
    if !whole && !marks.iter().flatten().any(|m| *m) {
        return Ok(());
    }
    let id = if whole {
        *next += 1;
        format!("anon-{}", *next - 1)
    } else {
        record.pupil.id.clone()
    };
    let released = anonymiser.release(&record.pupil, &marks, whole, &id)?;
    record.released = Some(Box::new(Released { record: released, ..Released::default() }));
    Ok(())
}

/// Keep the items of `entity` whose `keep` is true.
fn retain_items(pupil: &mut Pupil, entity: Entity, keep: &[bool]) {
    fn retain<T>(items: &mut Vec<T>, keep: &[bool]) {
        let mut at = 0;
        items.retain(|_| {
            at += 1;
            keep.get(at - 1).copied().unwrap_or(true)
        });
    }
    match entity {
        Entity::Pupil => {}
        Entity::Address => retain(&mut pupil.addresses, keep),
        Entity::Guardian => retain(&mut pupil.guardians, keep),
        Entity::Grade => retain(&mut pupil.grades, keep),
        Entity::Attendance => retain(&mut pupil.attendance, keep),
        Entity::Remark => retain(&mut pupil.remarks, keep),
        Entity::Exam => retain(&mut pupil.exams, keep),
        Entity::Achievement => retain(&mut pupil.achievements, keep),
        Entity::Counselling => retain(&mut pupil.counselling, keep),
        Entity::Health => retain(&mut pupil.health, keep),
        Entity::Consent => retain(&mut pupil.consents, keep),
        Entity::Contract => retain(&mut pupil.contracts, keep),
        Entity::Payment => retain(&mut pupil.payments, keep),
        Entity::Assessment => retain(&mut pupil.assessments, keep),
    }
}

/// Anonymises marked items (and, for a whole record, the pupil's own fields) by the field
/// catalogue's classes and the `statistics` preset's ladders; see the module documentation.
struct Anonymiser {
    statistics: Policy,
    /// Dates to their year.
    year: Ladder,
}

impl Anonymiser {
    fn new(today: chrono::NaiveDate) -> Result<Anonymiser> {
        let year = Ladder::new(&["year".to_string()], &ValueKind::Date, false, today)
            .map_err(|m| Error::config("preset statistics", m))?;
        Ok(Anonymiser { statistics: Policy::load("statistics", today)?, year })
    }
}

impl Anonymiser {
    fn release(
        &self,
        pupil: &Pupil,
        marks: &[Vec<bool>],
        whole: bool,
        id: &str,
    ) -> Result<ReleasedPupil> {
        let mut walker = Walker {
            out: ReleasedPupil::default(),
            marks,
            whole,
            id,
            item: None,
            anonymiser: self,
        };
        walk(pupil, &mut walker)?;
        Ok(walker.out)
    }
}

struct Walker<'a> {
    out: ReleasedPupil,
    marks: &'a [Vec<bool>],
    whole: bool,
    id: &'a str,
    /// The top-level list item being walked.
    item: Option<usize>,
    anonymiser: &'a Anonymiser,
}

impl Visitor for Walker<'_> {
    fn leaf(&mut self, node: &'static Node, value: Scalar<'_>) -> Result<()> {
        let Node::Leaf { spec, index, .. } = node else { return Ok(()) };
        let anonymise = match spec.entity {
            Entity::Pupil => self.whole,
            entity => self
                .item
                .and_then(|i| self.marks.get(entity as usize).and_then(|m| m.get(i)))
                .copied()
                .unwrap_or(false),
        };
        if !anonymise {
            self.out.push_leaf(node, value);
        } else if spec.entity == Entity::Pupil && spec.path == "id" {
            self.out.push_leaf(node, Scalar::Text(self.id));
        } else if let Some(text) = self.anonymiser.leaf(spec, *index, value) {
            match text {
                Some(text) => self.out.push_leaf(node, Scalar::Text(&text)),
                None => self.out.push_leaf(node, value),
            }
        }
        Ok(())
    }

    fn enter(&mut self, node: &'static Node) -> Result<()> {
        self.out.push_enter(node);
        Ok(())
    }

    fn leave(&mut self, node: &'static Node) -> Result<()> {
        self.out.push_leave(node);
        Ok(())
    }

    fn enter_item(&mut self, list: &'static Node, index: usize) -> Result<()> {
        self.item = Some(index);
        self.out.push_enter_item(list, index);
        Ok(())
    }

    fn leave_item(&mut self, list: &'static Node) -> Result<()> {
        self.item = None;
        self.out.push_leave_item(list);
        Ok(())
    }
}

impl Anonymiser {
    /// An anonymised leaf: `None` drops it, `Some(None)` keeps it, `Some(Some(text))`
    /// replaces it.
    fn leaf(&self, spec: &FieldSpec, index: usize, value: Scalar<'_>) -> Option<Option<String>> {
        if spec.free_text || matches!(spec.class, Class::Direct | Class::Sensitive) {
            return None;
        }
        let generalised = |ladder: &Ladder| {
            let mut text = String::new();
            value.push_text(&mut text);
            match ladder.apply_text(0, &text, |_| None) {
                None => Some(None),
                Some(general) if general == TOP => None,
                Some(general) => Some(Some(general)),
            }
        };
        if spec.entity == Entity::Pupil || spec.class == Class::Quasi {
            return match self.statistics.rule(index).map(|r| &r.op) {
                Some(Op::Keep) => Some(None),
                Some(Op::Generalise(ladder)) => generalised(ladder),
                _ => None,
            };
        }
        match spec.kind {
            ValueKind::Date => generalised(&self.year),
            _ => Some(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attendance, Enrolment, Guardian, Remark};
    use crate::retention::testing::{d, schedule};
    use crate::write::JsonlWriter;
    use chrono::NaiveDate;
    use serde_json::Value;

    const SCHEDULE: &str = r#"
[[retention]]
data = "akta ucznia"
period = "10 lat od ukończenia szkoły, potem anonimizacja"
categories = ["pupils"]
years = 10
from = "leaving"
action = "anonymise"
[[retention]]
data = "dzienniki"
period = "5 lat"
categories = ["attendance", "remarks"]
years = 5
from = "school-year-end"
[[retention]]
data = "rodzice"
period = "5 lat od ukończenia szkoły, potem anonimizacja"
categories = ["guardians"]
years = 5
from = "leaving"
action = "anonymise"
[[holds]]
case = "I C 1/25"
pupils = ["P-3"]
reason = "sąd"
set_by = "IOD"
"#;

    fn pupil(id: &str, leaving: NaiveDate) -> Pupil {
        Pupil {
            id: id.into(),
            pesel: Some("10220127656".into()),
            surname: Some("Rutkowski".into()),
            first_name: Some("Mikołaj".into()),
            birth_date: Some(d(2010, 2, 1)),
            enrolment: Some(Enrolment {
                leaving_date: Some(leaving),
                school_id: Some("76475".into()),
                ..Enrolment::default()
            }),
            guardians: vec![Guardian {
                relation: Some("matka".into()),
                surname: Some("Rutkowska".into()),
                phone: Some("+48 600 000 000".into()),
                ..Guardian::default()
            }],
            attendance: vec![Attendance { date: Some(d(2019, 5, 6)), ..Attendance::default() }],
            remarks: vec![Remark {
                date: Some(d(2019, 5, 6)),
                text: Some("Pochwała".into()),
                ..Remark::default()
            }],
            ..Pupil::default()
        }
    }

    fn run(pupils: Vec<Pupil>, today: NaiveDate) -> (Applied, Vec<Value>) {
        let records = pupils.into_iter().map(|pupil| Ok(Record { pupil, ..Record::default() }));
        let mut out = Vec::new();
        let mut sink = JsonlWriter::new(&mut out, "test");
        let applied = apply(records, &schedule(SCHEDULE, today), &mut sink).expect("apply");
        drop(sink);
        let lines = String::from_utf8(out).expect("utf-8");
        (applied, lines.lines().map(|l| serde_json::from_str(l).expect("json")).collect())
    }

    #[test]
    fn erase_removes_items_and_anonymise_keeps_them_without_identifiers() {
        // 2026: the registers (to 2024) are past; guardians (to 2025) are anonymised; the
        // record itself (to 2030) stays.
        let (applied, out) = run(vec![pupil("P-1", d(2020, 6, 26))], d(2026, 1, 1));
        let p = &out[0];
        assert_eq!(p["id"], "P-1");
        assert_eq!(p["surname"], "Rutkowski");
        assert!(p.get("attendance").is_none() && p.get("remarks").is_none(), "{p}");
        assert_eq!(p["guardians"][0], serde_json::json!({ "relation": "matka" }));
        assert_eq!(applied.items, Reconciliation { input: 4, kept: 1, erased: 2, anonymised: 1 });
        assert!(applied.items.balances());
        assert_eq!(applied.pupils, Reconciliation { input: 1, kept: 1, erased: 0, anonymised: 0 });
    }

    #[test]
    fn a_record_past_its_period_is_anonymised_whole() {
        let (applied, out) = run(vec![pupil("P-1", d(2020, 6, 26))], d(2031, 1, 1));
        let p = &out[0];
        assert_eq!(p["id"], "anon-1");
        assert_eq!(p["birth_date"], "2010", "the birth date generalised to the year");
        assert_eq!(p["enrolment"]["school_id"], "76475");
        for gone in ["pesel", "surname", "first_name", "attendance", "remarks"] {
            assert!(p.get(gone).is_none(), "{gone}: {p}");
        }
        assert_eq!(applied.pupils, Reconciliation { input: 1, kept: 0, erased: 0, anonymised: 1 });
        assert_eq!(applied.items, Reconciliation { input: 4, kept: 0, erased: 2, anonymised: 2 });
    }

    #[test]
    fn held_pupils_are_written_as_read_and_counts_reconcile() {
        let pupils = vec![pupil("P-1", d(2020, 6, 26)), pupil("P-3", d(2020, 6, 26))];
        let held = pupils[1].clone();
        let (applied, out) = run(pupils, d(2031, 1, 1));
        assert_eq!(out.len(), 2);
        assert_eq!(out[1], serde_json::to_value(&held).expect("json"));
        assert_eq!(applied.pupils, Reconciliation { input: 2, kept: 1, erased: 0, anonymised: 1 });
        assert!(applied.items.balances() && applied.pupils.balances());
        assert_eq!(applied.report.pupils_held, 1);
        assert_eq!(applied.report.holds[0].pupils, 1);
        let kept: u64 = applied.categories.iter().map(|(_, r)| r.kept).sum();
        assert_eq!(kept, applied.items.kept, "the categories add up to the total");
    }

    #[test]
    fn a_hold_naming_an_id_the_input_lacks_is_counted() {
        let (applied, _) = run(vec![pupil("P-1", d(2020, 6, 26))], d(2031, 1, 1));
        assert_eq!((applied.report.holds[0].pupils, applied.report.holds[0].unmatched), (0, 1));
        let pupils = vec![pupil("P-3", d(2020, 6, 26)), pupil("P-3", d(2020, 6, 26))];
        let (applied, _) = run(pupils, d(2031, 1, 1));
        assert_eq!((applied.report.holds[0].pupils, applied.report.holds[0].unmatched), (2, 0));
    }

    #[test]
    fn a_record_with_unreadable_fields_stops_the_run() {
        let mut record = Record { pupil: pupil("P-1", d(2020, 6, 26)), ..Record::default() };
        record.report("birth_date", crate::Rule::Type, crate::Severity::Error, "not a date");
        let mut sink = JsonlWriter::new(Vec::new(), "test");
        let e = apply([Ok(record)].into_iter(), &schedule(SCHEDULE, d(2031, 1, 1)), &mut sink)
            .unwrap_err()
            .to_string();
        assert!(e.contains("could not be read") && e.contains("nothing was written"), "{e}");
    }
}
