//! Measured re-identification risk: equivalence classes over the quasi-identifiers, prosecutor
//! risk, l-diversity, and the same numbers per unit of the school hierarchy (pupil ⊂ class ⊂
//! school ⊂ commune).
//!
//! A [`RiskAccumulator`] is fed one record at a time (its quasi-identifier and sensitive values
//! as strings, and the names of its class, school and commune) and keeps only counts of
//! distinct combinations — overall and per hierarchy unit — never the records. Accumulators
//! built on several threads [`merge`](RiskAccumulator::merge). [`RiskAccumulator::finish`]
//! gives a [`RiskSummary`]; a [`RiskReport`] puts the summaries before and after anonymisation
//! side by side for people (text) and machines (JSON).
//!
//! Definitions (as in ARX and El Emam's *Guide to the De-Identification of Personal Health
//! Information*): an *equivalence class* is a set of records sharing every quasi-identifier
//! value; the *prosecutor risk* of a record is 1 / (size of its class), so the highest risk is
//! 1 / smallest class and the average over records is classes / records; a record is *unique*
//! when its class has one record. *Distinct l-diversity* of a class is the number of distinct
//! values of a sensitive attribute in it.
//!
//! Per hierarchy level, a unit's classes are the records *of that unit* grouped by their
//! quasi-identifiers: what an attacker who knows the pupil's class (or school, or commune) can
//! single out. A unit with fewer than `k` records is flagged whatever its classes look like.
//!
//! Reports carry no record values: only counts, the quasi-identifiers' names with their
//! generalisation levels, and unit names (class, school and commune names are not personal
//! data). Unit names must identify a unit in the whole data set — pass `school/3b`, not `3b`.

use crate::policy::anonymity::Histogram;
use serde::Serialize;
use std::io::{self, Write};

/// The hierarchy levels measured, from the smallest unit up.
const LEVELS: [&str; 3] = ["class", "school", "commune"];

/// Units shown per level in the text report (JSON has them all).
const TEXT_UNITS: usize = 10;

/// The hierarchy units one record belongs to; `None` when unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Units<'a> {
    /// The pupil's class (school class, e.g. `SP 12 Kraków/3b`).
    pub class: Option<&'a str>,
    /// The pupil's school.
    pub school: Option<&'a str>,
    /// The commune (gmina / obec) of the school.
    pub commune: Option<&'a str>,
}

impl<'a> Units<'a> {
    fn get(&self, level: usize) -> Option<&'a str> {
        match level {
            0 => self.class,
            1 => self.school,
            _ => self.commune,
        }
    }
}

/// Collects the distinct combinations needed to measure risk. Memory grows with the number of
/// distinct combinations (per hierarchy unit), never with the number of records.
#[derive(Clone, Debug)]
pub struct RiskAccumulator {
    quasi_names: Vec<String>,
    sensitive_names: Vec<String>,
    k: u64,
    l: Option<u64>,
    /// (quasi-identifiers, sensitive values) → records.
    overall: Histogram,
    /// Per level: (unit, quasi-identifiers) → records.
    units: Vec<Histogram>,
    /// Per level: records with no unit at that level.
    without_unit: Vec<u64>,
}

impl RiskAccumulator {
    /// An empty accumulator for records with these quasi-identifiers and sensitive attributes;
    /// `k` is the threshold below which classes and units are flagged.
    pub fn new(quasi_names: Vec<String>, sensitive_names: Vec<String>, k: u64) -> RiskAccumulator {
        let quasi = quasi_names.len();
        RiskAccumulator {
            overall: Histogram::new(quasi, sensitive_names.len()),
            units: LEVELS.iter().map(|_| Histogram::new(quasi + 1, 0)).collect(),
            without_unit: vec![0; LEVELS.len()],
            quasi_names,
            sensitive_names,
            k,
            l: None,
        }
    }

    /// Also count the classes with fewer than `l` distinct values of each sensitive attribute.
    pub fn with_l(mut self, l: Option<u64>) -> RiskAccumulator {
        self.l = l;
        self
    }

    /// Count one record: its quasi-identifier values, sensitive values (one string per
    /// attribute; join a list's values yourself) and hierarchy units. Missing values read as
    /// empty strings.
    pub fn add(&mut self, quasi: &[&str], sensitive: &[&str], units: &Units<'_>) {
        self.overall.add(quasi, sensitive);
        let mut key: Vec<&str> = Vec::with_capacity(self.quasi_names.len() + 1);
        key.push("");
        key.extend((0..self.quasi_names.len()).map(|i| quasi.get(i).copied().unwrap_or("")));
        for (level, histogram) in self.units.iter_mut().enumerate() {
            match units.get(level) {
                Some(unit) => {
                    key[0] = unit;
                    histogram.add(&key, &[]);
                }
                None => self.without_unit[level] += 1,
            }
        }
    }

    /// Add another accumulator's counts (built with the same names) to this one.
    pub fn merge(&mut self, other: RiskAccumulator) {
        self.overall.merge(other.overall);
        for (mine, theirs) in self.units.iter_mut().zip(other.units) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.without_unit.iter_mut().zip(other.without_unit) {
            *mine += theirs;
        }
    }

    /// The measured risk.
    pub fn finish(self) -> RiskSummary {
        let quasi = self.quasi_names.len();
        let sensitive = self.sensitive_names.len();
        let k = self.k;

        // Sorted combinations put each class's rows next to each other.
        let mut combos: Vec<(&[u32], u64)> = self.overall.iter().collect();
        combos.sort_unstable();
        let mut classes = Stats::default();
        let mut min_l = vec![u64::MAX; sensitive];
        let mut below_l = vec![0u64; sensitive];
        let mut values: Vec<u32> = Vec::new();
        for group in combos.chunk_by(|a, b| a.0[..quasi] == b.0[..quasi]) {
            let size: u64 = group.iter().map(|g| g.1).sum();
            classes.add(size, k);
            for j in 0..sensitive {
                values.clear();
                values.extend(group.iter().map(|g| g.0[quasi + j]));
                values.sort_unstable();
                values.dedup();
                let distinct = values.len() as u64;
                min_l[j] = min_l[j].min(distinct);
                if self.l.is_some_and(|l| distinct < l) {
                    below_l[j] += 1;
                }
            }
        }
        let l_diversity = self
            .sensitive_names
            .iter()
            .zip(min_l.iter().zip(&below_l))
            .map(|(name, (&min, &below))| LDiversity {
                attribute: name.clone(),
                min_distinct: if classes.classes == 0 { 0 } else { min },
                classes_below_l: self.l.map(|_| below),
            })
            .collect();

        let levels = LEVELS
            .iter()
            .zip(&self.units)
            .zip(&self.without_unit)
            .map(|((&level, histogram), &without)| level_risk(level, histogram, without, k))
            .collect();

        RiskSummary {
            records: classes.records,
            equivalence_classes: classes.classes,
            smallest_class: classes.smallest,
            unique_records: classes.unique,
            unique_share: share(classes.unique, classes.records),
            max_prosecutor_risk: if classes.smallest == 0 {
                0.0
            } else {
                1.0 / classes.smallest as f64
            },
            avg_prosecutor_risk: share(classes.classes, classes.records),
            classes_below_k: classes.below_k,
            records_in_classes_below_k: classes.records_below_k,
            l_diversity,
            levels,
        }
    }
}

/// Running class statistics of one population (the whole data set or one unit).
#[derive(Default)]
struct Stats {
    records: u64,
    classes: u64,
    smallest: u64,
    unique: u64,
    below_k: u64,
    records_below_k: u64,
}

impl Stats {
    fn add(&mut self, size: u64, k: u64) {
        self.records += size;
        self.classes += 1;
        self.smallest = if self.classes == 1 { size } else { self.smallest.min(size) };
        if size == 1 {
            self.unique += 1;
        }
        if size < k {
            self.below_k += 1;
            self.records_below_k += size;
        }
    }
}

fn level_risk(level: &str, histogram: &Histogram, without_unit: u64, k: u64) -> LevelRisk {
    let mut combos: Vec<(&[u32], u64)> = histogram.iter().collect();
    combos.sort_unstable();
    let mut units: Vec<UnitRisk> = combos
        .chunk_by(|a, b| a.0.first() == b.0.first())
        .map(|group| {
            let mut stats = Stats::default();
            for &(_, n) in group {
                stats.add(n, k);
            }
            let name =
                group.first().and_then(|g| g.0.first()).map_or("", |&id| histogram.value(0, id));
            UnitRisk {
                name: name.to_string(),
                records: stats.records,
                below_k: stats.records < k,
                smallest_class: stats.smallest,
                unique_records: stats.unique,
                unique_share: share(stats.unique, stats.records),
            }
        })
        .collect();
    // Worst first: too small, then most unique, then smallest class; by name for stability.
    units.sort_by(|a, b| {
        b.below_k
            .cmp(&a.below_k)
            .then(b.unique_share.total_cmp(&a.unique_share))
            .then(a.smallest_class.cmp(&b.smallest_class))
            .then(a.name.cmp(&b.name))
    });
    LevelRisk {
        level: level.to_string(),
        unit_count: units.len() as u64,
        units_below_k: units.iter().filter(|u| u.below_k).count() as u64,
        records_without_unit: without_unit,
        units,
    }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Distinct l-diversity of one sensitive attribute.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LDiversity {
    /// The sensitive attribute (a field path).
    pub attribute: String,
    /// The fewest distinct values of the attribute in any equivalence class (0 with no records).
    pub min_distinct: u64,
    /// Classes with fewer than `l` distinct values, when an `l` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes_below_l: Option<u64>,
}

/// The risk numbers of one unit of the school hierarchy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnitRisk {
    /// The unit's name (a class, school or commune name; not personal data).
    pub name: String,
    /// Records in the unit.
    pub records: u64,
    /// The unit has fewer than `k` records: flagged.
    pub below_k: bool,
    /// Records in the smallest equivalence class inside the unit.
    pub smallest_class: u64,
    /// Records alone in their class inside the unit.
    pub unique_records: u64,
    /// `unique_records / records`.
    pub unique_share: f64,
}

/// The risk at one level of the school hierarchy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelRisk {
    /// `class`, `school` or `commune`.
    pub level: String,
    /// Units at this level.
    pub unit_count: u64,
    /// Units with fewer than `k` records.
    pub units_below_k: u64,
    /// Records whose unit at this level is unknown (not counted in any unit).
    pub records_without_unit: u64,
    /// Every unit, worst first (too small, most unique, smallest class, then by name).
    pub units: Vec<UnitRisk>,
}

/// The measured re-identification risk of one data set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RiskSummary {
    /// Records measured.
    pub records: u64,
    /// Distinct quasi-identifier combinations.
    pub equivalence_classes: u64,
    /// Records in the smallest class (0 with no records).
    pub smallest_class: u64,
    /// Records alone in their class.
    pub unique_records: u64,
    /// `unique_records / records`.
    pub unique_share: f64,
    /// The highest prosecutor risk: 1 / smallest class.
    pub max_prosecutor_risk: f64,
    /// The average prosecutor risk over records: classes / records.
    pub avg_prosecutor_risk: f64,
    /// Classes with fewer than `k` records.
    pub classes_below_k: u64,
    /// Records in classes with fewer than `k` records.
    pub records_in_classes_below_k: u64,
    /// Distinct l-diversity per sensitive attribute.
    pub l_diversity: Vec<LDiversity>,
    /// The same numbers per unit of the school hierarchy: class, school, commune.
    pub levels: Vec<LevelRisk>,
}

/// The risk report: the policy's privacy model and the risk before and after it was applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RiskReport {
    /// The policy's name (e.g. the preset `statistics` or the policy file's name).
    pub policy: String,
    /// The k of k-anonymity.
    pub k: u64,
    /// The l of distinct l-diversity, if required.
    pub l: Option<u64>,
    /// The quasi-identifiers' names.
    pub quasi_identifiers: Vec<String>,
    /// The sensitive attributes' names.
    pub sensitive: Vec<String>,
    /// Sensitive attributes left out of the release: they take fewer than l distinct values
    /// in the whole data set, so no grouping could be l-diverse.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<String>,
    /// The risk of the data as read.
    pub before: RiskSummary,
    /// The risk of the data as released.
    pub after: RiskSummary,
    /// Records suppressed by anonymisation.
    pub suppressed: u64,
    /// The chosen generalisation level per quasi-identifier, by name (`year`, `age-band:5`,
    /// `*`); empty when not anonymised.
    pub generalisation: Vec<(String, String)>,
}

impl RiskReport {
    /// The report as pretty-printed JSON with every unit, followed by a newline.
    pub fn write_json(&self, mut out: impl Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut out, self)?;
        writeln!(out)
    }

    /// The report for people: a before/after table, then the flagged and worst units per
    /// level of the school hierarchy (the worst ten of each).
    pub fn write_text(&self, mut out: impl Write) -> io::Result<()> {
        let (b, a) = (&self.before, &self.after);
        match self.l {
            Some(l) => writeln!(out, "risk report: policy `{}`, k={}, l={l}", self.policy, self.k)?,
            None => writeln!(out, "risk report: policy `{}`, k={}", self.policy, self.k)?,
        }
        let quasi: Vec<String> = if self.generalisation.is_empty() {
            self.quasi_identifiers.clone()
        } else {
            self.generalisation.iter().map(|(name, level)| format!("{name} ({level})")).collect()
        };
        writeln!(out, "quasi-identifiers: {}", list(&quasi))?;
        writeln!(out, "sensitive attributes: {}", list(&self.sensitive))?;
        if !self.withheld.is_empty() {
            writeln!(
                out,
                "withheld (fewer than l distinct values in the whole data set): {}",
                list(&self.withheld)
            )?;
        }
        writeln!(out)?;
        let row = |out: &mut dyn Write, name: &str, before: String, after: String| {
            writeln!(out, "  {name:<32} {before:>10} {after:>10}")
        };
        row(&mut out, "", "before".into(), "after".into())?;
        row(&mut out, "records", b.records.to_string(), a.records.to_string())?;
        row(&mut out, "records suppressed", "-".into(), self.suppressed.to_string())?;
        row(
            &mut out,
            "equivalence classes",
            b.equivalence_classes.to_string(),
            a.equivalence_classes.to_string(),
        )?;
        row(
            &mut out,
            "smallest class",
            b.smallest_class.to_string(),
            a.smallest_class.to_string(),
        )?;
        row(&mut out, "unique records", percent(b.unique_share), percent(a.unique_share))?;
        row(
            &mut out,
            &format!("records in classes below k={}", self.k),
            b.records_in_classes_below_k.to_string(),
            a.records_in_classes_below_k.to_string(),
        )?;
        row(
            &mut out,
            "max prosecutor risk",
            format!("{:.3}", b.max_prosecutor_risk),
            format!("{:.3}", a.max_prosecutor_risk),
        )?;
        row(
            &mut out,
            "avg prosecutor risk",
            format!("{:.3}", b.avg_prosecutor_risk),
            format!("{:.3}", a.avg_prosecutor_risk),
        )?;
        for la in &a.l_diversity {
            let Some(lb) = b.l_diversity.iter().find(|lb| lb.attribute == la.attribute) else {
                continue;
            };
            row(
                &mut out,
                &format!("min l ({})", lb.attribute),
                lb.min_distinct.to_string(),
                la.min_distinct.to_string(),
            )?;
        }
        for (lb, la) in b.levels.iter().zip(&a.levels) {
            writeln!(out)?;
            writeln!(
                out,
                "{}: {} units, {} with fewer than k={} records (before: {} units, {} below k)",
                la.level, la.unit_count, la.units_below_k, self.k, lb.unit_count, lb.units_below_k
            )?;
            if la.records_without_unit > 0 {
                writeln!(out, "  {} records without a {}", la.records_without_unit, la.level)?;
            }
            if la.units.is_empty() {
                continue;
            }
            let width = la.units.iter().take(TEXT_UNITS).map(|u| u.name.chars().count()).max();
            let width = width.unwrap_or(0).max(4);
            writeln!(
                out,
                "  {:<width$}  {:>8}  {:>8}  {:>7}",
                "unit", "records", "smallest", "unique"
            )?;
            for u in la.units.iter().take(TEXT_UNITS) {
                writeln!(
                    out,
                    "  {:<width$}  {:>8}  {:>8}  {:>7}{}",
                    u.name,
                    u.records,
                    u.smallest_class,
                    percent(u.unique_share),
                    if u.below_k { "  below k" } else { "" }
                )?;
            }
            if la.units.len() > TEXT_UNITS {
                writeln!(out, "  … {} more in the JSON report", la.units.len() - TEXT_UNITS)?;
            }
        }
        Ok(())
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (age, sex, kind, class, school, commune)
    type Row = (
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static str,
        &'static str,
    );

    const ROWS: [Row; 8] = [
        ("10", "M", "a", Some("A/1a"), "A", "X"),
        ("10", "M", "b", Some("A/1a"), "A", "X"),
        ("10", "F", "a", Some("A/1a"), "A", "X"),
        ("11", "F", "a", Some("A/1b"), "A", "X"),
        ("11", "F", "a", Some("A/1b"), "A", "X"),
        ("12", "M", "b", Some("B/1a"), "B", "Y"),
        ("12", "M", "b", Some("B/1a"), "B", "Y"),
        ("13", "F", "a", None, "B", "Y"),
    ];

    fn accumulator(rows: &[Row], k: u64, l: Option<u64>) -> RiskAccumulator {
        let mut acc =
            RiskAccumulator::new(vec!["age".into(), "sex".into()], vec!["kind".into()], k)
                .with_l(l);
        for &(age, sex, kind, class, school, commune) in rows {
            let units = Units { class, school: Some(school), commune: Some(commune) };
            acc.add(&[age, sex], &[kind], &units);
        }
        acc
    }

    fn unit(name: &str, records: u64, below_k: bool, smallest: u64, unique: u64) -> UnitRisk {
        UnitRisk {
            name: name.into(),
            records,
            below_k,
            smallest_class: smallest,
            unique_records: unique,
            unique_share: unique as f64 / records as f64,
        }
    }

    #[test]
    fn summary_numbers_match_a_hand_count() {
        // Classes: (10,M) 2 {a,b}, (10,F) 1 {a}, (11,F) 2 {a}, (12,M) 2 {b}, (13,F) 1 {a}.
        let s = accumulator(&ROWS, 3, Some(2)).finish();
        assert_eq!((s.records, s.equivalence_classes, s.smallest_class), (8, 5, 1));
        assert_eq!((s.unique_records, s.unique_share), (2, 0.25));
        assert_eq!((s.max_prosecutor_risk, s.avg_prosecutor_risk), (1.0, 0.625));
        assert_eq!((s.classes_below_k, s.records_in_classes_below_k), (5, 8));
        assert_eq!(
            s.l_diversity,
            vec![LDiversity {
                attribute: "kind".into(),
                min_distinct: 1,
                classes_below_l: Some(4)
            }]
        );
        let class = &s.levels[0];
        assert_eq!(
            (
                class.level.as_str(),
                class.unit_count,
                class.units_below_k,
                class.records_without_unit
            ),
            ("class", 3, 2, 1)
        );
        // A/1a: (10,M) 2 + (10,F) 1. Too-small units first, then by name.
        assert_eq!(
            class.units,
            vec![
                unit("A/1b", 2, true, 2, 0),
                unit("B/1a", 2, true, 2, 0),
                unit("A/1a", 3, false, 1, 1)
            ]
        );
        let school = &s.levels[1];
        assert_eq!(
            (school.unit_count, school.units_below_k, school.records_without_unit),
            (2, 0, 0)
        );
        assert_eq!(school.units, vec![unit("B", 3, false, 1, 1), unit("A", 5, false, 1, 1)]);
        assert_eq!(s.levels[2].units, vec![unit("Y", 3, false, 1, 1), unit("X", 5, false, 1, 1)]);
    }

    #[test]
    fn merged_accumulators_measure_like_one() {
        let mut left = accumulator(&ROWS[..3], 3, Some(2));
        left.merge(accumulator(&ROWS[3..], 3, Some(2)));
        assert_eq!(left.finish(), accumulator(&ROWS, 3, Some(2)).finish());
    }

    #[test]
    fn empty_data_measures_zero_risk() {
        let s = accumulator(&[], 5, None).finish();
        assert_eq!((s.records, s.equivalence_classes, s.smallest_class), (0, 0, 0));
        assert_eq!((s.max_prosecutor_risk, s.avg_prosecutor_risk, s.unique_share), (0.0, 0.0, 0.0));
        assert_eq!(s.l_diversity[0].min_distinct, 0);
        assert_eq!(s.l_diversity[0].classes_below_l, None);
    }

    fn report() -> RiskReport {
        // After: ages generalised to bands, (13,F) suppressed.
        let after: Vec<Row> = ROWS[..7]
            .iter()
            .map(|r| {
                let band = if r.0 < "12" { "10-11" } else { "12-13" };
                (band, r.1, r.2, r.3, r.4, r.5)
            })
            .collect();
        RiskReport {
            policy: "statistics".into(),
            k: 3,
            l: None,
            quasi_identifiers: vec!["age".into(), "sex".into()],
            sensitive: vec!["kind".into()],
            withheld: vec![],
            before: accumulator(&ROWS, 3, None).finish(),
            after: accumulator(&after, 3, None).finish(),
            suppressed: 1,
            generalisation: vec![
                ("age".into(), "age-band:5".into()),
                ("sex".into(), "exact".into()),
            ],
        }
    }

    #[test]
    fn text_report_has_the_before_after_table_and_worst_units_and_no_values() {
        let mut out = Vec::new();
        report().write_text(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, EXPECTED_TEXT);
        for value in ["10", "11", "12-13", "\"M\""] {
            assert!(!text.contains(value), "value {value} in the report");
        }
    }

    #[test]
    fn json_report_has_every_unit_and_the_generalisation() {
        let mut out = Vec::new();
        report().write_json(&mut out).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            json["generalisation"],
            serde_json::json!([["age", "age-band:5"], ["sex", "exact"]])
        );
        assert_eq!(json["after"]["records"], 7);
        assert_eq!(json["after"]["levels"][0]["units"].as_array().map(Vec::len), Some(3));
        assert_eq!(json["before"]["levels"][0]["units"][0]["name"], "A/1b");
        assert_eq!(json["l"], serde_json::Value::Null);
        assert!(json["after"]["l_diversity"][0].get("classes_below_l").is_none());
    }

    const EXPECTED_TEXT: &str = r"risk report: policy `statistics`, k=3
quasi-identifiers: age (age-band:5), sex (exact)
sensitive attributes: kind

                                       before      after
  records                                   8          7
  records suppressed                        -          1
  equivalence classes                       5          3
  smallest class                            1          2
  unique records                        25.0%       0.0%
  records in classes below k=3              8          4
  max prosecutor risk                   1.000      0.500
  avg prosecutor risk                   0.625      0.429
  min l (kind)                              1          1

class: 3 units, 2 with fewer than k=3 records (before: 3 units, 2 below k)
  unit   records  smallest   unique
  A/1b         2         2     0.0%  below k
  B/1a         2         2     0.0%  below k
  A/1a         3         1    33.3%

school: 2 units, 1 with fewer than k=3 records (before: 2 units, 0 below k)
  unit   records  smallest   unique
  B            2         2     0.0%  below k
  A            5         2     0.0%

commune: 2 units, 1 with fewer than k=3 records (before: 2 units, 0 below k)
  unit   records  smallest   unique
  Y            2         2     0.0%  below k
  X            5         2     0.0%
";

    #[test]
    fn text_report_shows_the_worst_ten_units_and_counts_the_rest() {
        let mut acc = RiskAccumulator::new(vec!["sex".into()], vec![], 2);
        let names: Vec<String> = (0..12).map(|i| format!("class {i:02}")).collect();
        for (i, name) in names.iter().enumerate() {
            for _ in 0..=i {
                acc.add(&["F"], &[], &Units { class: Some(name), school: None, commune: None });
            }
        }
        let summary = acc.finish();
        let report = RiskReport {
            policy: "p".into(),
            k: 2,
            l: None,
            quasi_identifiers: vec!["sex".into()],
            sensitive: vec![],
            withheld: vec![],
            before: summary.clone(),
            after: summary,
            suppressed: 0,
            generalisation: vec![],
        };
        let mut out = Vec::new();
        report.write_text(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("quasi-identifiers: sex\nsensitive attributes: none\n"), "{text}");
        assert!(
            text.contains("  class 00         1         1   100.0%  below k\n  class 01 "),
            "{text}"
        );
        assert!(!text.contains("class 11"), "{text}");
        assert!(text.contains("  … 2 more in the JSON report\n\nschool: 0 units"), "{text}");
        assert!(text.contains("  78 records without a school\n"), "{text}");
    }
}
