//! Dates: each within a plausible range, and pairs in the right order.
//!
//! That a date exists in the calendar is the readers' job (`parse_leaf` refuses 30 February);
//! here a real date is checked for being plausible. The range depends on what the date is:
//!
//! | dates | earliest | latest |
//! |---|---|---|
//! | birth date | 1900-01-01 | today |
//! | events (admission, grades, attendance, consents, payments, …) | 1900-01-01 | today + 1 year (planned admissions, consents for next year) |
//! | horizons (leaving date, contract end, opinion valid until) | 1900-01-01 | today + 20 years (a ruling can run to the end of schooling) |
//!
//! Open-ended periods are left empty; sentinel dates such as 9999-12-31 are reported.

use super::{Findings, Item, Problem};
use crate::model::record::Rule;
use crate::model::Pupil;
use chrono::{Months, NaiveDate};

const TOO_EARLY: Problem = Problem::error(
    Rule::DateRange,
    "a date before 1900 is not plausible here: correct it (often a placeholder such as \
     1899-12-30 written by a spreadsheet)",
);
const BIRTH_IN_FUTURE: Problem =
    Problem::error(Rule::DateRange, "a birth date in the future: correct it");
const EVENT_IN_FUTURE: Problem = Problem::error(
    Rule::DateRange,
    "a date more than a year in the future: correct it (check the year and the day-month order)",
);
const HORIZON_IN_FUTURE: Problem = Problem::error(
    Rule::DateRange,
    "a date more than 20 years in the future: correct it, or leave it empty if the period has \
     no end",
);
const CONSENT_ORDER: Problem = Problem::error(
    Rule::ConsentOrder,
    "the consent is withdrawn before it was given: correct `given_at` or `withdrawn_at`",
);
const CONTRACT_ORDER: Problem =
    Problem::error(Rule::DateOrder, "the contract ends before it starts: correct `start` or `end`");
const LEAVING_ORDER: Problem = Problem::error(
    Rule::DateOrder,
    "the leaving date is before the admission date: correct one of them",
);
const VALID_ORDER: Problem = Problem::error(
    Rule::DateOrder,
    "the opinion is valid until a date before it was issued: correct `issued_on` or \
     `valid_until`",
);
const ADMISSION_ORDER: Problem = Problem::error(
    Rule::DateOrder,
    "the admission date is before the birth date: correct one of them",
);

/// How far into the future a date may plausibly lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Span {
    /// Not after today.
    Birth,
    /// Up to a year ahead.
    Event,
    /// Up to 20 years ahead.
    Horizon,
}

/// The range problem of `date`, if any.
fn range(date: NaiveDate, span: Span, today: NaiveDate) -> Option<Problem> {
    if date < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN) {
        return Some(TOO_EARLY);
    }
    let (months, problem) = match span {
        Span::Birth => (0, BIRTH_IN_FUTURE),
        Span::Event => (12, EVENT_IN_FUTURE),
        Span::Horizon => (12 * 20, HORIZON_IN_FUTURE),
    };
    let latest = today.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX);
    (date > latest).then_some(problem)
}

/// Whether two dates, both given, are in the wrong order.
fn reversed(first: Option<NaiveDate>, then: Option<NaiveDate>) -> bool {
    matches!((first, then), (Some(first), Some(then)) if then < first)
}

/// Call `f` with every date field of `pupil` (given or not), its path, item and span.
fn visit(pupil: &Pupil, mut f: impl FnMut(&'static str, Item, Option<NaiveDate>, Span)) {
    use Span::*;
    f("birth_date", Item::Pupil, pupil.birth_date, Birth);
    if let Some(e) = &pupil.enrolment {
        f("enrolment.admission_date", Item::Pupil, e.admission_date, Event);
        f("enrolment.leaving_date", Item::Pupil, e.leaving_date, Horizon);
    }
    for (i, a) in pupil.attendance.iter().enumerate() {
        f("attendance[].date", Item::Nth("attendance entry", i), a.date, Event);
    }
    for (i, r) in pupil.remarks.iter().enumerate() {
        f("remarks[].date", Item::Nth("remark", i), r.date, Event);
    }
    for (i, e) in pupil.exams.iter().enumerate() {
        f("exams[].date", Item::Nth("exam", i), e.date, Event);
    }
    for (i, a) in pupil.achievements.iter().enumerate() {
        f("achievements[].date", Item::Nth("achievement", i), a.date, Event);
    }
    for (i, c) in pupil.counselling.iter().enumerate() {
        f("counselling[].issued_on", Item::Nth("opinion", i), c.issued_on, Event);
        f("counselling[].valid_until", Item::Nth("opinion", i), c.valid_until, Horizon);
    }
    for (i, h) in pupil.health.iter().enumerate() {
        f("health[].recorded_on", Item::Nth("health note", i), h.recorded_on, Event);
    }
    for (i, c) in pupil.consents.iter().enumerate() {
        f("consents[].given_at", Item::Nth("consent", i), c.given_at, Event);
        f("consents[].withdrawn_at", Item::Nth("consent", i), c.withdrawn_at, Event);
    }
    for (i, c) in pupil.contracts.iter().enumerate() {
        f("contracts[].start", Item::Nth("contract", i), c.start, Event);
        f("contracts[].end", Item::Nth("contract", i), c.end, Horizon);
    }
    for (i, p) in pupil.payments.iter().enumerate() {
        f("payments[].date", Item::Nth("payment", i), p.date, Event);
    }
    for (i, a) in pupil.assessments.iter().enumerate() {
        f("assessments[].date", Item::Nth("assessment", i), a.date, Event);
    }
    if let Some(r) = &pupil.cz_register {
        f("cz_register.collection_date", Item::Pupil, r.collection_date, Event);
    }
}

/// Check every date of `pupil` for its range, and the pairs that must be in order.
pub(super) fn check(pupil: &Pupil, today: NaiveDate, out: &mut Findings) {
    visit(pupil, |field, item, date, span| {
        if let Some(p) = date.and_then(|d| range(d, span, today)) {
            out.add(field, item, p);
        }
    });
    if let Some(e) = &pupil.enrolment {
        if reversed(pupil.birth_date, e.admission_date) {
            out.add("enrolment.admission_date", Item::Pupil, ADMISSION_ORDER);
        }
        if reversed(e.admission_date, e.leaving_date) {
            out.add("enrolment.leaving_date", Item::Pupil, LEAVING_ORDER);
        }
    }
    for (i, c) in pupil.counselling.iter().enumerate() {
        if reversed(c.issued_on, c.valid_until) {
            out.add("counselling[].valid_until", Item::Nth("opinion", i), VALID_ORDER);
        }
    }
    for (i, c) in pupil.consents.iter().enumerate() {
        if reversed(c.given_at, c.withdrawn_at) {
            out.add("consents[].withdrawn_at", Item::Nth("consent", i), CONSENT_ORDER);
        }
    }
    for (i, c) in pupil.contracts.iter().enumerate() {
        if reversed(c.start, c.end) {
            out.add("contracts[].end", Item::Nth("contract", i), CONTRACT_ORDER);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fields::{fields, ValueKind};
    use crate::model::*;
    use crate::validate::tests::date;

    #[test]
    fn range_depends_on_what_the_date_is() {
        use Span::*;
        let today = date("2025-09-01");
        for (d, span, expected) in [
            ("2025-09-01", Birth, None),
            ("2025-09-02", Birth, Some(BIRTH_IN_FUTURE)),
            ("1900-01-01", Birth, None),
            ("1899-12-31", Birth, Some(TOO_EARLY)),
            ("1899-12-30", Event, Some(TOO_EARLY)),
            ("1899-12-30", Horizon, Some(TOO_EARLY)),
            ("2026-09-01", Event, None),
            ("2026-09-02", Event, Some(EVENT_IN_FUTURE)),
            ("2045-09-01", Horizon, None),
            ("2045-09-02", Horizon, Some(HORIZON_IN_FUTURE)),
            ("9999-12-31", Horizon, Some(HORIZON_IN_FUTURE)),
        ] {
            assert_eq!(range(date(d), span, today), expected, "{d} {span:?}");
        }
        // Near the end of the calendar the bound saturates rather than failing.
        assert_eq!(range(NaiveDate::MAX, Horizon, NaiveDate::MAX), None);
    }

    #[test]
    fn order_needs_both_dates() {
        let d = |s| Some(date(s));
        for (first, then, expected) in [
            (d("2024-01-02"), d("2024-01-01"), true),
            (d("2024-01-01"), d("2024-01-01"), false),
            (d("2024-01-01"), d("2024-01-02"), false),
            (None, d("2024-01-01"), false),
            (d("2024-01-01"), None, false),
        ] {
            assert_eq!(reversed(first, then), expected, "{first:?} {then:?}");
        }
    }

    #[test]
    fn every_date_field_of_the_model_is_visited() {
        let pupil = Pupil {
            enrolment: Some(Enrolment::default()),
            attendance: vec![Attendance::default()],
            remarks: vec![Remark::default()],
            exams: vec![Exam::default()],
            achievements: vec![Achievement::default()],
            counselling: vec![Counselling::default()],
            health: vec![HealthNote::default()],
            consents: vec![Consent::default()],
            contracts: vec![Contract::default()],
            payments: vec![Payment::default()],
            assessments: vec![Assessment::default()],
            cz_register: Some(crate::model::CzRegister::default()),
            ..Pupil::default()
        };
        let mut visited = Vec::new();
        visit(&pupil, |field, _, _, _| visited.push(field.to_string()));
        let mut expected: Vec<String> =
            fields().iter().filter(|f| f.kind == ValueKind::Date).map(|f| f.path.clone()).collect();
        visited.sort();
        expected.sort();
        assert_eq!(visited, expected);
    }

    #[test]
    fn check_reports_ranges_and_orders_on_the_later_field() {
        let d = |s| Some(date(s));
        let pupil = Pupil {
            birth_date: d("2010-05-01"),
            enrolment: Some(Enrolment {
                admission_date: d("2009-09-01"),
                leaving_date: d("2009-06-30"),
                ..Enrolment::default()
            }),
            counselling: vec![Counselling {
                issued_on: d("2020-01-01"),
                valid_until: d("2019-01-01"),
                ..Counselling::default()
            }],
            consents: vec![
                Consent { given_at: d("2020-01-01"), ..Consent::default() },
                Consent {
                    given_at: d("2020-01-02"),
                    withdrawn_at: d("2020-01-01"),
                    ..Consent::default()
                },
            ],
            contracts: vec![Contract {
                start: d("2020-01-02"),
                end: d("2020-01-01"),
                ..Contract::default()
            }],
            payments: vec![Payment { date: d("1899-12-30"), ..Payment::default() }],
            ..Pupil::default()
        };
        let mut out = Findings::default();
        check(&pupil, date("2025-09-01"), &mut out);
        let got: Vec<_> = out.items.iter().map(|f| (f.field.as_ref(), f.message.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("payments[].date", format!("payment 1: {}", TOO_EARLY.message)),
                ("enrolment.admission_date", ADMISSION_ORDER.message.to_string()),
                ("enrolment.leaving_date", LEAVING_ORDER.message.to_string()),
                ("counselling[].valid_until", format!("opinion 1: {}", VALID_ORDER.message)),
                ("consents[].withdrawn_at", format!("consent 2: {}", CONSENT_ORDER.message)),
                ("contracts[].end", format!("contract 1: {}", CONTRACT_ORDER.message)),
            ]
        );
        assert_eq!(out.items[4].rule, Rule::ConsentOrder);
        assert!(out.items.iter().all(|f| f.severity == crate::Severity::Error));
    }
}
