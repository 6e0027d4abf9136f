//! Derived indicators: the `derive` operator's arithmetic.
//!
//! A statistics release must not carry event lists: one olympiad title with its date, one exam
//! score or the dates of a few payments single a pupil out of twenty thousand. What a
//! statistician wants from those lists is a handful of coarse numbers per pupil — how much
//! school was missed, the grade average, the exam result, how many achievements at what level,
//! and whether there is a counselling ruling or a health note of some kind. This module
//! computes them from the typed pupil; the policy then generalises them like any other
//! quasi-identifier (number bands) or measures l-diversity over them (the coded categories).
//!
//! Counselling kinds and health categories are free text in the register. They leave only as
//! codes from the fixed lists below, matched on the words Polish and Czech registers use: a
//! typed name or number never reaches a statistics release through them.

use crate::model::{AttendanceStatus, GradeKind, Indicators, Pupil};
use std::collections::BTreeSet;

/// The code of a category the register holds but the lists below do not know.
pub const OTHER: &str = "other";
/// The value of a coded indicator for a pupil without such entries.
pub const NONE: &str = "none";

/// Counselling document codes, each with the lowercase word stems that identify it, most
/// specific first (an *orzeczenie o potrzebie indywidualnego nauczania* is not a generic
/// *orzeczenie*).
const COUNSELLING_CODES: [(&str, &[&str]); 5] = [
    ("individual-teaching", &["indywidualnego nauczania", "individuální"]),
    ("early-support", &["wczesnego wspomagania", "rané péče"]),
    ("deferral", &["odrocz", "odklad"]),
    ("special-needs", &["orzeczenie", "kształcenia specjalnego", "svp", "doporučení"]),
    ("opinion", &["opinia", "zpráva", "vyšetření", "opinion", "report"]),
];

/// Health-note category codes with their word stems.
const HEALTH_CODES: [(&str, &[&str]); 5] = [
    ("allergy", &["alerg", "uczul"]),
    ("diet", &["diet"]),
    ("chronic", &["przewlek", "chronick", "chronic"]),
    ("medication", &["lek", "lék", "medic"]),
    ("disability", &["niepełnospr", "postiž", "disab"]),
];

/// Achievement levels, school first, as Polish and Czech registers name them; the position
/// plus one is the released level.
const ACHIEVEMENT_LEVELS: [&[&str]; 5] = [
    &["szkol", "školn", "school"],
    &["powiat", "gmin", "okres", "district", "county"],
    &["wojew", "kraj", "region"],
    &["ogólnopol", "krajow", "celostát", "národn", "national"],
    &["międzynar", "mezinár", "international"],
];

/// Copy into `target` the fields of `derived` that `computed` names (`absence_rate`, …):
/// a computed indicator replaces any value in the data, even with nothing.
pub fn merge_computed(
    target: &mut Indicators,
    derived: Indicators,
    computed: impl Fn(&str) -> bool,
) {
    macro_rules! take {
        ($($field:ident),*) => {
            // Destructured so that a new indicator field fails to compile until listed here.
            let Indicators { $($field),* } = derived;
            $(if computed(stringify!($field)) {
                target.$field = $field;
            })*
        };
    }
    take!(
        absence_rate,
        absences,
        grade_average,
        exam_score,
        achievement_count,
        achievement_level,
        counselling,
        health
    );
}

/// Every indicator of one pupil, computed from its lists. An indicator without input (no
/// attendance recorded, no exam sat) is `None`, except the coded categories, which say `none`.
pub fn derive(pupil: &Pupil) -> Indicators {
    Indicators {
        absence_rate: absence_rate(pupil),
        absences: Some(
            pupil
                .attendance
                .iter()
                .filter(|a| {
                    matches!(a.status, Some(AttendanceStatus::Absent | AttendanceStatus::Excused))
                })
                .count() as i64,
        ),
        grade_average: grade_average(pupil),
        exam_score: mean(pupil.exams.iter().filter_map(|e| e.score)).map(|m| round(m, 1)),
        achievement_count: Some(pupil.achievements.len() as i64),
        achievement_level: pupil
            .achievements
            .iter()
            .filter_map(|a| a.level.as_deref().and_then(achievement_level))
            .max(),
        counselling: Some(coded(
            pupil.counselling.iter().map(|c| c.kind.as_deref()),
            &COUNSELLING_CODES,
        )),
        health: Some(coded(pupil.health.iter().map(|h| h.category.as_deref()), &HEALTH_CODES)),
    }
}

/// Percent of recorded periods not attended (absent, excused or late), one decimal.
fn absence_rate(pupil: &Pupil) -> Option<f64> {
    let recorded: Vec<AttendanceStatus> =
        pupil.attendance.iter().filter_map(|a| a.status).collect();
    if recorded.is_empty() {
        return None;
    }
    let missed = recorded.iter().filter(|s| **s != AttendanceStatus::Present).count();
    Some(round(100.0 * missed as f64 / recorded.len() as f64, 1))
}

/// Mean of the final grades that are numbers (`4`, `5+` counts as 5; `nb`, `zw` do not),
/// two decimals.
fn grade_average(pupil: &Pupil) -> Option<f64> {
    let finals = pupil
        .grades
        .iter()
        .filter(|g| g.kind == Some(GradeKind::Final) && g.behaviour != Some(true))
        .filter_map(|g| g.grade.as_deref().and_then(grade_value));
    mean(finals).map(|m| round(m, 2))
}

/// The number in a grade as written: its first digit, 1 to 6.
fn grade_value(grade: &str) -> Option<f64> {
    let digit = grade.trim().chars().next()?.to_digit(10)?;
    (1..=6).contains(&digit).then_some(f64::from(digit))
}

fn achievement_level(level: &str) -> Option<i64> {
    let level = level.to_lowercase();
    ACHIEVEMENT_LEVELS
        .iter()
        .position(|stems| stems.iter().any(|s| level.contains(s)))
        .map(|i| i as i64 + 1)
}

/// The distinct codes of a list's free-text categories, sorted and joined by `+`; `none` for
/// an empty list.
fn coded<'a>(values: impl Iterator<Item = Option<&'a str>>, codes: &[(&str, &[&str])]) -> String {
    let found: BTreeSet<&str> = values
        .map(|value| {
            let text = value.unwrap_or_default().to_lowercase();
            codes
                .iter()
                .find(|(_, stems)| stems.iter().any(|s| text.contains(s)))
                .map_or(OTHER, |(code, _)| *code)
        })
        .collect();
    if found.is_empty() {
        NONE.to_string()
    } else {
        found.into_iter().collect::<Vec<_>>().join("+")
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) =
        values.filter(|v| v.is_finite()).fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
    (count > 0).then(|| sum / f64::from(count))
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pupil(value: serde_json::Value) -> Pupil {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn lists_become_coarse_numbers() {
        let p = pupil(json!({
            "id": "P1",
            "attendance": [{"status": "present"}, {"status": "absent"}, {"status": "late"},
                           {"status": "present"}, {"date": "2025-10-01"}],
            "grades": [{"grade": "5", "kind": "final"}, {"grade": "4+", "kind": "final"},
                       {"grade": "1", "kind": "mid_year"}, {"grade": "nb", "kind": "final"},
                       {"grade": "6", "kind": "final", "behaviour": true}],
            "exams": [{"score": 80.0}, {"score": 65.5}],
            "achievements": [{"level": "szkolny"}, {"level": "wojewódzki"}, {"title": "x"}],
        }));
        let i = derive(&p);
        assert_eq!(i.absence_rate, Some(50.0));
        assert_eq!(i.absences, Some(1));
        assert_eq!(i.grade_average, Some(4.5));
        assert_eq!(i.exam_score, Some(72.8));
        assert_eq!(i.achievement_count, Some(3));
        assert_eq!(i.achievement_level, Some(3));
        assert_eq!(i.counselling.as_deref(), Some(NONE));
        assert_eq!(i.health.as_deref(), Some(NONE));
    }

    #[test]
    fn free_text_categories_leave_only_as_codes() {
        let p = pupil(json!({
            "id": "P1",
            "counselling": [
                {"kind": "orzeczenie o potrzebie kształcenia specjalnego"},
                {"kind": "opinia 02270803624 Jan Nowak"},
                {"kind": "zupełnie coś innego"},
                {"kind": "doporučení ke vzdělávání žáka se SVP"},
            ],
            "health": [{"category": "alergia"}, {"category": "dieta"}, {"category": "alergie"}],
        }));
        let i = derive(&p);
        assert_eq!(i.counselling.as_deref(), Some("opinion+other+special-needs"));
        assert_eq!(i.health.as_deref(), Some("allergy+diet"));
        // No input means no number, not zero.
        let empty = derive(&pupil(json!({"id": "P2"})));
        assert_eq!((empty.absence_rate, empty.grade_average, empty.exam_score), (None, None, None));
        assert_eq!(empty.achievement_count, Some(0));
    }
}
