//! One pupil's record against the schedule: where each item stands on the run's day, and what
//! becomes of the record.
//!
//! **Where periods run from.** A pupil's *leaving* is the recorded leaving date; a record
//! without one is taken to end with the last school year it shows (31 August after the latest
//! of its grades' school years and its dated entries), and the report counts such pupils. An
//! item's own date is: an attendance day, a remark's, exam's, achievement's, payment's or
//! assessment's date; a grade's school year (its 31 August); a counselling document's validity
//! end, else its issue date; a health note's recording date; a consent's withdrawal; a
//! contract's end. `school-year-end` is the 31 August ending the school year of that date;
//! `contract-end` is the end of the pupil's last contract (none while a contract has no end).
//! An item without the date its rule needs (an address, a guardian, a consent never withdrawn)
//! follows the pupil's leaving; with no leaving either it is *undated* and never expires.
//!
//! **What becomes of the record.** The record as a whole (the `pupils` category: identity and
//! enrolment) goes only when its own period is over *and* every item in it is past its period
//! too: an item still within a longer period keeps its pupil, as a grades sheet kept 50 years
//! keeps the name it belongs to. A record whose schedule says `erase` but which holds items to
//! anonymise is anonymised instead, to carry them. A pupil under a hold over the whole record
//! is left exactly as read.

use super::schedule::{school_year_end, school_year_text_end, Rule, Schedule};
use crate::model::{Entity, Pupil};
use crate::sar::RetentionAction;
use chrono::NaiveDate;

/// Where an item stands against its period on the run's day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Within its period, which does not end within the horizon.
    Current,
    /// Within its period, which ends within the horizon (`--within` months).
    DueSoon,
    /// Past its period.
    Expired,
    /// Past its period, but archival (file-plan category `A`): handed to the state archive,
    /// never erased.
    Archival,
    /// Under a legal hold.
    Held,
    /// The event its period runs from is not in the record.
    Undated,
    /// The schedule gives its category no period.
    Unscheduled,
}

/// One item's standing, with the last day of its period when known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// Where it stands.
    pub standing: Standing,
    /// The last day of its period.
    pub last_day: Option<NaiveDate>,
    /// The hold protecting it (position in [`Schedule::holds`]), when held.
    pub hold: Option<usize>,
    /// The day its period runs from, when known.
    pub event: Option<NaiveDate>,
}

/// What happens to the record as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Written to the remainder (items past their period removed or anonymised).
    Keep,
    /// Left out of the remainder.
    Erase,
    /// Written with the pupil's identity anonymised.
    Anonymise,
}

/// What happens to one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Written as read.
    Kept,
    /// Left out.
    Erased,
    /// Written anonymised.
    Anonymised,
}

/// One pupil's evaluation.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The record itself (category `pupils`).
    pub record: Status,
    /// Each child category's items, in [`Entity`] order (index 0, the pupil, is empty).
    pub items: Vec<Vec<Status>>,
    /// What becomes of the record.
    pub fate: Fate,
    /// The hold over the whole record, if any.
    pub held_whole: Option<usize>,
    /// The record's period is over, but items still within theirs keep it.
    pub kept_for_items: bool,
    /// No leaving date was recorded: it was taken from the last school year seen.
    pub leaving_inferred: bool,
}

impl Plan {
    /// The statuses of `entity`'s items (the record itself for [`Entity::Pupil`]).
    pub fn statuses(&self, entity: Entity) -> &[Status] {
        match entity {
            Entity::Pupil => std::slice::from_ref(&self.record),
            _ => self.items.get(entity as usize).map_or(&[], Vec::as_slice),
        }
    }

    /// What happens to item `status` of `entity`.
    pub fn outcome(&self, schedule: &Schedule, entity: Entity, status: &Status) -> Outcome {
        if entity == Entity::Pupil {
            return match self.fate {
                Fate::Keep => Outcome::Kept,
                Fate::Erase => Outcome::Erased,
                Fate::Anonymise => Outcome::Anonymised,
            };
        }
        match (self.fate, status.standing) {
            (Fate::Erase, _) => Outcome::Erased,
            (_, Standing::Expired) => match schedule.rule(entity).map(|r| r.action) {
                Some(RetentionAction::Anonymise) => Outcome::Anonymised,
                _ => Outcome::Erased,
            },
            _ => Outcome::Kept,
        }
    }
}

/// Evaluate `pupil` against `schedule`.
pub fn evaluate(schedule: &Schedule, pupil: &Pupil) -> Plan {
    let (leaving, leaving_inferred) = leaving(pupil);
    let contract_end = contract_end(pupil);
    let held_whole = schedule.holds_whole(&pupil.id);
    let status = |entity: Entity, own: Option<NaiveDate>, year_end: Option<NaiveDate>| {
        let rule = schedule.rule(entity);
        let event = rule.and_then(|r| match r.from {
            crate::sar::RetentionEvent::Leaving => None,
            crate::sar::RetentionEvent::SchoolYearEnd => year_end,
            crate::sar::RetentionEvent::ContractEnd if entity == Entity::Contract => own,
            crate::sar::RetentionEvent::ContractEnd => contract_end,
            crate::sar::RetentionEvent::Item => own,
        });
        let hold = held_whole.or_else(|| schedule.holds_over(&pupil.id, entity).next());
        standing(schedule, rule, event.or(leaving), hold)
    };
    let record = status(Entity::Pupil, leaving, leaving.and_then(school_year_end));
    let mut items = vec![Vec::new(); Entity::ALL.len()];
    for entity in Entity::ALL.into_iter().skip(1) {
        items[entity as usize] = own_dates(pupil, entity)
            .into_iter()
            .map(|(own, year_end)| status(entity, own, year_end))
            .collect();
    }
    let mut plan = Plan {
        record,
        items,
        fate: Fate::Keep,
        held_whole,
        kept_for_items: false,
        leaving_inferred: leaving_inferred && leaving.is_some(),
    };
    if held_whole.is_none() && record.standing == Standing::Expired {
        let all_expired = plan.items.iter().flatten().all(|s| s.standing == Standing::Expired);
        plan.kept_for_items = !all_expired;
        if all_expired {
            plan.fate = record_fate(schedule, &plan);
        }
    }
    plan
}

/// The fate of a record whose period is over and whose items are all past theirs: the
/// `pupils` entry's action, or anonymise when items are to be anonymised and need it.
fn record_fate(schedule: &Schedule, plan: &Plan) -> Fate {
    let action = schedule.rule(Entity::Pupil).map(|r| r.action);
    let carries = Entity::ALL.into_iter().skip(1).any(|e| {
        !plan.statuses(e).is_empty()
            && schedule.rule(e).is_some_and(|r| r.action == RetentionAction::Anonymise)
    });
    match action {
        Some(RetentionAction::Anonymise) => Fate::Anonymise,
        _ if carries => Fate::Anonymise,
        _ => Fate::Erase,
    }
}

fn standing(
    schedule: &Schedule,
    rule: Option<&Rule>,
    event: Option<NaiveDate>,
    hold: Option<usize>,
) -> Status {
    let last_day = rule.zip(event).and_then(|(r, e)| r.period.last_day(e));
    let standing = match (rule, event, last_day) {
        _ if hold.is_some() => Standing::Held,
        (None, _, _) => Standing::Unscheduled,
        (Some(_), None, _) => Standing::Undated,
        // A period that runs off the calendar never ends.
        (Some(_), Some(_), None) => Standing::Current,
        (Some(rule), Some(_), Some(last)) if schedule.today > last => {
            if rule.archival {
                Standing::Archival
            } else {
                Standing::Expired
            }
        }
        (Some(_), Some(_), Some(last)) if last <= schedule.horizon() => Standing::DueSoon,
        _ => Standing::Current,
    };
    Status { standing, last_day, hold, event }
}

/// The pupil's leaving: the recorded date, else the end of the last school year the record
/// shows (then `true`).
pub fn leaving(pupil: &Pupil) -> (Option<NaiveDate>, bool) {
    if let Some(date) = pupil.enrolment.as_ref().and_then(|e| e.leaving_date) {
        return (Some(date), false);
    }
    let admitted = pupil.enrolment.as_ref().and_then(|e| e.admission_date);
    let last = Entity::ALL
        .into_iter()
        .skip(1)
        .flat_map(|e| own_dates(pupil, e))
        .filter_map(|(own, year_end)| year_end.or(own.and_then(school_year_end)))
        .chain(admitted.and_then(school_year_end))
        .max();
    (last, true)
}

/// The end of the pupil's last contract; `None` with no contract or one without an end.
fn contract_end(pupil: &Pupil) -> Option<NaiveDate> {
    if pupil.contracts.iter().any(|c| c.end.is_none()) {
        return None;
    }
    pupil.contracts.iter().filter_map(|c| c.end).max()
}

/// Each item of `entity`: its own date and the end of its school year (see the module
/// documentation).
fn own_dates(pupil: &Pupil, entity: Entity) -> Vec<(Option<NaiveDate>, Option<NaiveDate>)> {
    fn dated<T>(
        items: &[T],
        date: impl Fn(&T) -> Option<NaiveDate>,
    ) -> Vec<(Option<NaiveDate>, Option<NaiveDate>)> {
        items.iter().map(|i| (date(i), date(i).and_then(school_year_end))).collect()
    }
    match entity {
        Entity::Pupil => Vec::new(),
        Entity::Address => vec![(None, None); pupil.addresses.len()],
        Entity::Guardian => vec![(None, None); pupil.guardians.len()],
        Entity::Grade => pupil
            .grades
            .iter()
            .map(|g| {
                let end = g.school_year.as_deref().and_then(school_year_text_end);
                (end, end)
            })
            .collect(),
        Entity::Attendance => dated(&pupil.attendance, |a| a.date),
        Entity::Remark => dated(&pupil.remarks, |r| r.date),
        Entity::Exam => dated(&pupil.exams, |e| e.date),
        Entity::Achievement => dated(&pupil.achievements, |a| a.date),
        Entity::Counselling => dated(&pupil.counselling, |c| c.valid_until.or(c.issued_on)),
        Entity::Health => dated(&pupil.health, |h| h.recorded_on),
        Entity::Consent => dated(&pupil.consents, |c| c.withdrawn_at),
        Entity::Contract => dated(&pupil.contracts, |c| c.end),
        Entity::Payment => dated(&pupil.payments, |p| p.date),
        Entity::Assessment => dated(&pupil.assessments, |a| a.date),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attendance, Enrolment, Grade};
    use crate::retention::testing::{d, schedule};

    const REGISTERS: &str = r#"
[[retention]]
data = "arkusze ocen"
period = "50 lat"
categories = ["pupils", "grades"]
years = 50
from = "leaving"
[[retention]]
data = "dzienniki"
period = "5 lat od końca roku szkolnego"
categories = ["attendance"]
years = 5
from = "school-year-end"
"#;

    fn pupil(id: &str, leaving: Option<NaiveDate>) -> Pupil {
        Pupil {
            id: id.into(),
            enrolment: Some(Enrolment { leaving_date: leaving, ..Enrolment::default() }),
            ..Pupil::default()
        }
    }

    fn attended(pupil: &mut Pupil, day: NaiveDate) {
        pupil.attendance.push(Attendance { date: Some(day), ..Attendance::default() });
    }

    #[test]
    fn the_school_year_boundary_is_31_august() {
        // 31 August 2020 closes 2019/20 (kept to 31 August 2025); 1 September 2020 opens
        // 2020/21 (kept to 31 August 2026, within a year of the run: due soon).
        let mut p = pupil("P-1", Some(d(2030, 6, 30)));
        attended(&mut p, d(2020, 8, 31));
        attended(&mut p, d(2020, 9, 1));
        let plan = evaluate(&schedule(REGISTERS, d(2025, 9, 1)), &p);
        let attendance = plan.statuses(Entity::Attendance);
        assert_eq!(attendance[0].standing, Standing::Expired);
        assert_eq!(attendance[0].last_day, Some(d(2025, 8, 31)));
        assert_eq!(attendance[1].standing, Standing::DueSoon);
        assert_eq!(attendance[1].last_day, Some(d(2026, 8, 31)));
        // On the period's last day the entry is still within it.
        let plan = evaluate(&schedule(REGISTERS, d(2025, 8, 31)), &p);
        assert_eq!(plan.statuses(Entity::Attendance)[0].standing, Standing::DueSoon);
    }

    #[test]
    fn a_record_goes_only_when_every_item_is_past_its_period() {
        let mut p = pupil("P-1", Some(d(2020, 6, 26)));
        attended(&mut p, d(2020, 5, 4));
        let within = evaluate(&schedule(REGISTERS, d(2069, 1, 1)), &p);
        assert_eq!(within.statuses(Entity::Attendance)[0].standing, Standing::Expired);
        assert_eq!((within.record.standing, within.fate), (Standing::Current, Fate::Keep));
        let past = evaluate(&schedule(REGISTERS, d(2071, 1, 1)), &p);
        assert_eq!((past.record.standing, past.fate), (Standing::Expired, Fate::Erase));

        // Grades on a 50-year period keep a record whose own period is one year.
        let short = REGISTERS.replacen("categories = [\"pupils\", \"grades\"]", "categories = [\"grades\"]", 1)
            + "[[retention]]\ndata = \"dane\"\nperiod = \"rok\"\ncategories = [\"pupils\"]\nyears = 1\nfrom = \"leaving\"\n";
        p.grades.push(Grade { school_year: Some("2019/2020".into()), ..Grade::default() });
        let plan = evaluate(&schedule(&short, d(2030, 1, 1)), &p);
        assert_eq!(plan.record.standing, Standing::Expired);
        assert_eq!(plan.statuses(Entity::Grade)[0].standing, Standing::Current);
        assert!(plan.kept_for_items);
        assert_eq!(plan.fate, Fate::Keep);
    }

    #[test]
    fn without_a_leaving_date_the_last_school_year_seen_counts() {
        let mut p = pupil("P-1", None);
        p.grades.push(Grade { school_year: Some("2018/2019".into()), ..Grade::default() });
        attended(&mut p, d(2019, 10, 1));
        assert_eq!(leaving(&p), (Some(d(2020, 8, 31)), true));
        let plan = evaluate(&schedule(REGISTERS, d(2071, 1, 1)), &p);
        assert!(plan.leaving_inferred);
        assert_eq!(plan.record.last_day, Some(d(2070, 8, 31)));
        // Nothing dated at all: undated, never expired.
        let bare = evaluate(&schedule(REGISTERS, d(2200, 1, 1)), &pupil("P-2", None));
        assert_eq!((bare.record.standing, bare.fate), (Standing::Undated, Fate::Keep));
    }

    #[test]
    fn holds_keep_what_they_name_until_they_lapse() {
        let mut p = pupil("P-1", Some(d(2020, 6, 26)));
        attended(&mut p, d(2020, 5, 4));
        let whole = format!(
            "{REGISTERS}[[holds]]\ncase = \"I C 1/25\"\npupils = [\"P-1\"]\nreason = \"sąd\"\n\
             set_by = \"IOD\"\n"
        );
        let plan = evaluate(&schedule(&whole, d(2100, 1, 1)), &p);
        assert_eq!(plan.held_whole, Some(0));
        assert_eq!(plan.fate, Fate::Keep);
        assert_eq!(plan.statuses(Entity::Attendance)[0].standing, Standing::Held);
        // Another pupil is not held.
        let other = evaluate(&schedule(&whole, d(2100, 1, 1)), &pupil("P-2", Some(d(2020, 6, 26))));
        assert_eq!(other.fate, Fate::Erase);

        let category = format!(
            "{REGISTERS}[[holds]]\ncase = \"kontrola\"\ncategories = [\"attendance\"]\n\
             reason = \"kontrola\"\nset_by = \"dyrektor\"\n"
        );
        let plan = evaluate(&schedule(&category, d(2100, 1, 1)), &p);
        assert_eq!(plan.held_whole, None);
        assert_eq!(plan.statuses(Entity::Attendance)[0].standing, Standing::Held);
        assert_eq!(plan.record.standing, Standing::Expired);
        assert_eq!(plan.fate, Fate::Keep, "a held item keeps its record");

        let lapsed = format!("{whole}until = 2099-12-31\n");
        let s = schedule(&lapsed, d(2100, 1, 1));
        assert_eq!((s.holds().len(), s.lapsed.len()), (0, 1));
        assert_eq!(evaluate(&s, &p).fate, Fate::Erase);
    }
}
