//! Measured re-identification risk: equivalence classes over the quasi-identifiers, prosecutor
//! risk, l-diversity, the sizes of the classes, what an attacker who knows one more released
//! fact can do ([`attack`]), journalist risk when the data is a sample, and the same numbers per
//! unit of the school hierarchy (pupil ⊂ class ⊂ school ⊂ commune).
//!
//! A [`RiskAccumulator`] is fed one record at a time (its quasi-identifier and sensitive values
//! as strings, the values of the other released facts, and the names of its class, school and
//! commune) and keeps only counts of distinct combinations — overall and per hierarchy unit —
//! never the records. [`RiskAccumulator::finish`] gives a [`RiskSummary`]; a [`RiskReport`]
//! puts the summaries before and after anonymisation side by side for people (text, HTML) and
//! machines (JSON).
//!
//! Definitions (as in ARX and El Emam's *Guide to the De-Identification of Personal Health
//! Information*): an *equivalence class* is a set of records sharing every quasi-identifier
//! value; the *prosecutor risk* of a record is 1 / (size of its class), so the highest risk is
//! 1 / smallest class and the average over records is classes / records; a record is *unique*
//! when its class has one record. *Distinct l-diversity* of a class is the number of distinct
//! values of a sensitive attribute in it. The *journalist risk* applies when the data is a
//! sample of a known population of N pupils: with the sampling fraction π = records / N, a
//! class of f records stands for about f / π pupils of the population, so a record's risk is
//! estimated as π / f (at most 1) — the highest is π / smallest class, the average π × classes /
//! records. It assumes the sample was drawn at random; without N it is not computed.
//!
//! Per hierarchy level, a unit's records keep the equivalence classes of the whole data set:
//! the classes are what the release shows, and a unit (a class of 12 pupils) is not itself
//! visible in a release that generalised schools away. A unit is *below k* when some of its
//! records sit in an equivalence class smaller than k, so a k-anonymous release has no unit
//! below k, however small its units are; a unit with fewer than k records is counted as
//! *small*, which is not a privacy failure by itself.
//!
//! Reports carry no record values: only counts, the quasi-identifiers' names with their
//! generalisation levels, and unit names (class, school and commune names are not personal
//! data, but an anonymised release may have generalised them away: [`RiskReport::counts_only`]
//! leaves them out). Unit names must identify a unit in the whole data set — pass
//! `school/3b`, not `3b`.

pub mod attack;
mod html;

use self::attack::{Attack, AttackRisk};
use crate::policy::anonymity::Histogram;
use serde::Serialize;
use std::collections::HashMap;
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
/// distinct combinations (per hierarchy unit, and per released fact for the attack), never
/// with the number of records.
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
    /// The other released facts, for the attack measure.
    attack: Attack,
    /// Keys of classes by their quasi-identifier values.
    class_keys: ClassKeys,
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
            attack: Attack::default(),
            class_keys: ClassKeys::default(),
        }
    }

    /// Also count the classes with fewer than `l` distinct values of each sensitive attribute.
    pub fn with_l(mut self, l: Option<u64>) -> RiskAccumulator {
        self.l = l;
        self
    }

    /// Also measure what an attacker who knows one of these released facts besides the
    /// quasi-identifiers can single out (see [`attack`]); pass their values to
    /// [`add_with_facts`](RiskAccumulator::add_with_facts) in this order.
    pub fn with_facts(mut self, facts: Vec<String>) -> RiskAccumulator {
        self.attack = Attack::new(facts);
        self
    }

    /// Count one record without facts: [`add_with_facts`](RiskAccumulator::add_with_facts)
    /// with none.
    #[cfg(test)]
    pub fn add(&mut self, quasi: &[&str], sensitive: &[&str], units: &Units<'_>) {
        self.add_with_facts(quasi, sensitive, &[], units);
    }

    /// Count one record: its quasi-identifier values, sensitive values (one string per
    /// attribute; join a list's values yourself), hierarchy units, and the values the record
    /// holds of each fact named in [`with_facts`](RiskAccumulator::with_facts) (several for a
    /// list: one per item). Missing values read as empty strings.
    pub fn add_with_facts(
        &mut self,
        quasi: &[&str],
        sensitive: &[&str],
        facts: &[Vec<String>],
        units: &Units<'_>,
    ) {
        self.overall.add(quasi, sensitive);
        let mut key: Vec<&str> = Vec::with_capacity(self.quasi_names.len() + 1);
        key.push("");
        key.extend((0..self.quasi_names.len()).map(|i| quasi.get(i).copied().unwrap_or("")));
        if !self.attack.is_empty() {
            self.attack.add(self.class_keys.key(key[1..].iter().copied()), facts);
        }
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

    /// The measured risk.
    pub fn finish(self) -> RiskSummary {
        let quasi = self.quasi_names.len();
        let sensitive = self.sensitive_names.len();
        let k = self.k;

        // Sorted combinations put each class's rows next to each other.
        let mut combos: Vec<(&[u32], u64)> = self.overall.iter().collect();
        combos.sort_unstable();
        let mut classes = Stats::default();
        let mut bins =
            SIZE_BINS.map(|(label, _)| SizeBin { size: label.into(), classes: 0, records: 0 });
        let mut min_l = vec![u64::MAX; sensitive];
        let mut below_l = vec![0u64; sensitive];
        let mut values: Vec<u32> = Vec::new();
        // Class sizes by quasi-identifier values, for the units' records.
        let class_keys = &self.class_keys;
        let mut class_size: HashMap<u128, u64> = HashMap::new();
        for group in combos.chunk_by(|a, b| a.0[..quasi] == b.0[..quasi]) {
            let size: u64 = group.iter().map(|g| g.1).sum();
            classes.add(size, size, k);
            let bin = SIZE_BINS.iter().rposition(|(_, from)| size >= *from).unwrap_or(0);
            bins[bin].classes += 1;
            bins[bin].records += size;
            let key = class_keys.key((0..quasi).map(|c| self.overall.value(c, group[0].0[c])));
            class_size.insert(key, size);
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
            .map(|((&level, histogram), &without)| {
                level_risk(level, histogram, (class_keys, &class_size), without, k)
            })
            .collect();
        let attack = self.attack.finish(classes.records, classes.unique);

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
            class_sizes: bins.to_vec(),
            attack,
            l_diversity,
            levels,
        }
    }
}

/// Keys an equivalence class by its quasi-identifier values: 128 bits from two hashes seeded
/// afresh for each measurement, so the class sizes a unit's records look up cost 24 bytes a
/// class instead of a copy of every value. Two classes share a key only if both 64-bit
/// hashes collide at once, and with seeds no input can know, none can be made to.
#[derive(Clone, Debug, Default)]
struct ClassKeys(foldhash::quality::RandomState, foldhash::quality::RandomState);

impl ClassKeys {
    fn key<'v>(&self, values: impl Iterator<Item = &'v str> + Clone) -> u128 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let half = |state: &foldhash::quality::RandomState| {
            let mut hasher = state.build_hasher();
            // `str`'s `Hash` ends each value with a marker: ("ab", "c") ≠ ("a", "bc").
            values.clone().for_each(|value| value.hash(&mut hasher));
            hasher.finish()
        };
        u128::from(half(&self.0)) << 64 | u128::from(half(&self.1))
    }
}

/// The class-size histogram's bins: label and smallest size.
const SIZE_BINS: [(&str, u64); 6] =
    [("1", 1), ("2", 2), ("3-4", 3), ("5-9", 5), ("10-19", 10), ("20+", 20)];

/// Running class statistics of one population (the whole data set or one unit's records).
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
    /// Count `records` records sitting in a class of `size` records.
    fn add(&mut self, records: u64, size: u64, k: u64) {
        self.records += records;
        self.classes += 1;
        self.smallest = if self.classes == 1 { size } else { self.smallest.min(size) };
        if size == 1 {
            self.unique += records;
        }
        if size < k {
            self.below_k += 1;
            self.records_below_k += records;
        }
    }
}

/// One level's units: each unit's records, measured by the size of the equivalence class (of
/// the whole data set) each sits in.
fn level_risk(
    level: &str,
    histogram: &Histogram,
    (class_keys, class_size): (&ClassKeys, &HashMap<u128, u64>),
    without_unit: u64,
    k: u64,
) -> LevelRisk {
    let mut combos: Vec<(&[u32], u64)> = histogram.iter().collect();
    combos.sort_unstable();
    let columns = histogram.quasi();
    let mut units: Vec<UnitRisk> = combos
        .chunk_by(|a, b| a.0.first() == b.0.first())
        .map(|group| {
            let mut stats = Stats::default();
            for &(ids, n) in group {
                let key = class_keys.key((1..columns).map(|c| histogram.value(c, ids[c])));
                // Every unit combination was counted overall too; `n` is a safe floor.
                let size = class_size.get(&key).copied().unwrap_or(n);
                stats.add(n, size, k);
            }
            let name =
                group.first().and_then(|g| g.0.first()).map_or("", |&id| histogram.value(0, id));
            UnitRisk {
                name: name.to_string(),
                records: stats.records,
                below_k: stats.records_below_k > 0,
                records_in_classes_below_k: stats.records_below_k,
                small: stats.records < k,
                smallest_class: stats.smallest,
                unique_records: stats.unique,
                unique_share: share(stats.unique, stats.records),
            }
        })
        .collect();
    // Worst first: pupils in too-small classes, most unique, smallest class; then by name.
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
        small_units: units.iter().filter(|u| u.small).count() as u64,
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

/// One bin of the class-size histogram.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SizeBin {
    /// The class sizes it holds: `1`, `2`, `3-4`, `5-9`, `10-19`, `20+`.
    pub size: String,
    /// Equivalence classes of that size.
    pub classes: u64,
    /// Records in them.
    pub records: u64,
}

/// The risk numbers of one unit of the school hierarchy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnitRisk {
    /// The unit's name (a class, school or commune name; not personal data).
    pub name: String,
    /// Records in the unit.
    pub records: u64,
    /// Some of the unit's records sit in equivalence classes smaller than `k`: flagged.
    pub below_k: bool,
    /// The unit's records in equivalence classes smaller than `k`.
    pub records_in_classes_below_k: u64,
    /// The unit has fewer than `k` records; not a privacy failure by itself.
    pub small: bool,
    /// Records in the smallest equivalence class holding one of the unit's records.
    pub smallest_class: u64,
    /// The unit's records alone in their equivalence class.
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
    /// Units with records in equivalence classes smaller than `k`.
    pub units_below_k: u64,
    /// Units with fewer than `k` records.
    pub small_units: u64,
    /// Records whose unit at this level is unknown (not counted in any unit).
    pub records_without_unit: u64,
    /// Every unit, worst first (records in too-small classes, most unique, smallest class,
    /// then by name); empty in a report reduced to counts.
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
    /// How many classes (and records) have 1, 2, 3–4, 5–9, 10–19 and 20 or more records.
    pub class_sizes: Vec<SizeBin>,
    /// What an attacker who knows the quasi-identifiers and one more released fact singles out.
    pub attack: AttackRisk,
    /// Distinct l-diversity per sensitive attribute.
    pub l_diversity: Vec<LDiversity>,
    /// The same numbers per unit of the school hierarchy: class, school, commune.
    pub levels: Vec<LevelRisk>,
}

/// Journalist risk, estimated for a sample of a population of known size.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Journalist {
    /// Pupils in the population the data was drawn from.
    pub population: u64,
    /// Before the policy.
    pub before: JournalistRisk,
    /// As released.
    pub after: JournalistRisk,
}

/// Journalist risk of one data set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JournalistRisk {
    /// records / population.
    pub sampling_fraction: f64,
    /// The highest: sampling fraction / smallest class, at most 1.
    pub max: f64,
    /// The average over records: sampling fraction × classes / records.
    pub avg: f64,
}

impl JournalistRisk {
    fn of(summary: &RiskSummary, population: u64) -> JournalistRisk {
        let fraction = share(summary.records, population).min(1.0);
        JournalistRisk {
            sampling_fraction: fraction,
            max: if summary.smallest_class == 0 {
                0.0
            } else {
                (fraction / summary.smallest_class as f64).min(1.0)
            },
            avg: (fraction * summary.avg_prosecutor_risk).min(1.0),
        }
    }
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
    /// Journalist risk, when the population size is known (`null`: not computed).
    pub journalist: Option<Journalist>,
    /// Unit names were left out (a report for an anonymised archive): levels carry counts only.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub counts_only: bool,
}

impl RiskReport {
    /// This report with journalist risk for a sample of `population` pupils (or none).
    pub fn with_population(mut self, population: Option<u64>) -> RiskReport {
        self.journalist = population.map(|population| Journalist {
            population,
            before: JournalistRisk::of(&self.before, population),
            after: JournalistRisk::of(&self.after, population),
        });
        self
    }

    /// This report without unit names, for an anonymised archive: each level keeps its counts
    /// (units, units below k, small units) and loses its per-unit table, whose class, school
    /// and commune names the release may have generalised away.
    pub fn counts_only(mut self) -> RiskReport {
        for summary in [&mut self.before, &mut self.after] {
            for level in &mut summary.levels {
                level.units.clear();
            }
        }
        self.counts_only = true;
        self
    }

    /// The report as pretty-printed JSON with every unit, followed by a newline.
    pub fn write_json(&self, mut out: impl Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut out, self)?;
        writeln!(out)
    }

    /// The report as one self-contained HTML page (inline CSS and SVG, no script): the
    /// before/after table, the class-size histogram as a bar chart, the attack and the levels.
    pub fn write_html(&self, out: impl Write) -> io::Result<()> {
        html::write(self, out)
    }

    /// The report for people: a before/after table, the class-size histogram, the attack by
    /// one more fact, then the flagged and worst units per level of the school hierarchy (the
    /// worst ten of each).
    pub fn write_text(&self, mut out: impl Write) -> io::Result<()> {
        let (b, a) = (&self.before, &self.after);
        match self.l {
            Some(l) => writeln!(out, "risk report: policy `{}`, k={}, l={l}", self.policy, self.k)?,
            None => writeln!(out, "risk report: policy `{}`, k={}", self.policy, self.k)?,
        }
        writeln!(out, "quasi-identifiers: {}", list(&self.quasi_labels()))?;
        writeln!(out, "sensitive attributes: {}", list(&self.sensitive))?;
        if !self.withheld.is_empty() {
            writeln!(
                out,
                "withheld (fewer than l distinct values in the whole data set): {}",
                list(&self.withheld)
            )?;
        }
        writeln!(out)?;
        writeln!(out, "  {:<32} {:>10} {:>10}", "", "before", "after")?;
        for (name, before, after) in self.table() {
            writeln!(out, "  {name:<32} {before:>10} {after:>10}")?;
        }

        writeln!(out)?;
        writeln!(out, "equivalence classes by size: classes (records)")?;
        writeln!(out, "  {:<32} {:>10} {:>10}", "size", "before", "after")?;
        for (bb, ba) in b.class_sizes.iter().zip(&a.class_sizes) {
            let cell = |bin: &SizeBin| format!("{} ({})", bin.classes, bin.records);
            writeln!(out, "  {:<32} {:>10} {:>10}", bb.size, cell(bb), cell(ba))?;
        }

        writeln!(out)?;
        self.write_attack_text(&mut out)?;

        writeln!(out)?;
        self.write_journalist_text(&mut out)?;
        self.write_levels_text(&mut out)
    }

    fn write_journalist_text(&self, out: &mut impl Write) -> io::Result<()> {
        match &self.journalist {
            Some(j) => {
                writeln!(out, "journalist risk (a sample of {} pupils):", j.population)?;
                let rows = [
                    ("sampling fraction", j.before.sampling_fraction, j.after.sampling_fraction),
                    ("max journalist risk", j.before.max, j.after.max),
                    ("avg journalist risk", j.before.avg, j.after.avg),
                ];
                for (name, before, after) in rows {
                    writeln!(out, "  {name:<32} {before:>10.3} {after:>10.3}")?;
                }
            }
            None => writeln!(
                out,
                "journalist risk: not computed (no population size given: --population N, or \
                 `population` in the policy's [anonymity] table)"
            )?,
        }
        Ok(())
    }

    /// Per level of the school hierarchy: how many units fall below k, and the worst ones.
    fn write_levels_text(&self, out: &mut impl Write) -> io::Result<()> {
        let (b, a) = (&self.before, &self.after);
        for (lb, la) in b.levels.iter().zip(&a.levels) {
            writeln!(out)?;
            writeln!(
                out,
                "{}: {} units, {} below k={} (holding pupils in classes smaller than k; before: \
                 {} of {}); {} with fewer than k pupils",
                la.level,
                la.unit_count,
                la.units_below_k,
                self.k,
                lb.units_below_k,
                lb.unit_count,
                la.small_units
            )?;
            if la.records_without_unit > 0 {
                writeln!(out, "  {} records without a {}", la.records_without_unit, la.level)?;
            }
            if self.counts_only {
                writeln!(out, "  (unit names left out of an anonymised release: counts only)")?;
                continue;
            }
            if la.units.is_empty() {
                continue;
            }
            let width = la.units.iter().take(TEXT_UNITS).map(|u| u.name.chars().count()).max();
            let width = width.unwrap_or(0).max(4);
            writeln!(
                out,
                "  {:<width$}  {:>8}  {:>8}  {:>8}  {:>7}",
                "unit", "records", "below k", "smallest", "unique"
            )?;
            for u in la.units.iter().take(TEXT_UNITS) {
                writeln!(
                    out,
                    "  {:<width$}  {:>8}  {:>8}  {:>8}  {:>7}{}",
                    u.name,
                    u.records,
                    u.records_in_classes_below_k,
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

    fn write_attack_text(&self, out: &mut impl Write) -> io::Result<()> {
        let (b, a) = (&self.before.attack, &self.after.attack);
        writeln!(out, "an attacker who knows the quasi-identifiers and one more released fact:")?;
        if b.facts.is_empty() && a.facts.is_empty() && a.not_measured.is_empty() {
            writeln!(out, "  no released field besides the quasi-identifiers was measured")?;
            return Ok(());
        }
        writeln!(
            out,
            "  {:<32} {:>10} {:>10}",
            "pupils singled out",
            percent(b.singled_out_share),
            percent(a.singled_out_share)
        )?;
        writeln!(out, "  pupils a fact singles out beyond the quasi-identifiers alone:")?;
        for fa in &a.facts {
            let before = b.facts.iter().find(|fb| fb.fact == fa.fact);
            let before = before.map_or("-".to_string(), |fb| fb.newly_unique.to_string());
            writeln!(out, "    {:<30} {before:>10} {:>10}", fa.fact, fa.newly_unique)?;
        }
        for fb in b.facts.iter().filter(|fb| !a.facts.iter().any(|fa| fa.fact == fb.fact)) {
            writeln!(out, "    {:<30} {:>10} {:>10}", fb.fact, fb.newly_unique, "-")?;
        }
        let mut not_measured: Vec<&String> = b.not_measured.iter().chain(&a.not_measured).collect();
        not_measured.sort();
        not_measured.dedup();
        if !not_measured.is_empty() {
            writeln!(
                out,
                "  not measured (too many distinct values for the memory budget; the share is a \
                 lower bound): {}",
                not_measured.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )?;
        }
        Ok(())
    }

    /// The quasi-identifiers with their released levels, when anonymised.
    fn quasi_labels(&self) -> Vec<String> {
        if self.generalisation.is_empty() {
            self.quasi_identifiers.clone()
        } else {
            self.generalisation.iter().map(|(name, level)| format!("{name} ({level})")).collect()
        }
    }

    /// The before/after table: (row, before, after).
    fn table(&self) -> Vec<(String, String, String)> {
        let (b, a) = (&self.before, &self.after);
        let mut rows = vec![
            ("records".into(), b.records.to_string(), a.records.to_string()),
            ("records suppressed".into(), "-".into(), self.suppressed.to_string()),
            (
                "equivalence classes".into(),
                b.equivalence_classes.to_string(),
                a.equivalence_classes.to_string(),
            ),
            ("smallest class".into(), b.smallest_class.to_string(), a.smallest_class.to_string()),
            ("unique records".into(), percent(b.unique_share), percent(a.unique_share)),
            (
                format!("records in classes below k={}", self.k),
                b.records_in_classes_below_k.to_string(),
                a.records_in_classes_below_k.to_string(),
            ),
            (
                "max prosecutor risk".into(),
                format!("{:.3}", b.max_prosecutor_risk),
                format!("{:.3}", a.max_prosecutor_risk),
            ),
            (
                "avg prosecutor risk".into(),
                format!("{:.3}", b.avg_prosecutor_risk),
                format!("{:.3}", a.avg_prosecutor_risk),
            ),
        ];
        for la in &a.l_diversity {
            let Some(lb) = b.l_diversity.iter().find(|lb| lb.attribute == la.attribute) else {
                continue;
            };
            rows.push((
                format!("min l ({})", lb.attribute),
                lb.min_distinct.to_string(),
                la.min_distinct.to_string(),
            ));
        }
        rows
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

    /// A unit: name, records, records in classes below k, smallest class, unique records.
    fn unit(name: &str, records: u64, below: u64, smallest: u64, unique: u64, k: u64) -> UnitRisk {
        UnitRisk {
            name: name.into(),
            records,
            below_k: below > 0,
            records_in_classes_below_k: below,
            small: records < k,
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
        let sizes: Vec<(&str, u64, u64)> =
            s.class_sizes.iter().map(|b| (b.size.as_str(), b.classes, b.records)).collect();
        assert_eq!(
            sizes,
            vec![
                ("1", 2, 2),
                ("2", 3, 6),
                ("3-4", 0, 0),
                ("5-9", 0, 0),
                ("10-19", 0, 0),
                ("20+", 0, 0)
            ]
        );
        let class = &s.levels[0];
        assert_eq!(
            (
                class.level.as_str(),
                class.unit_count,
                class.units_below_k,
                class.small_units,
                class.records_without_unit
            ),
            ("class", 3, 3, 2, 1)
        );
        // A/1a: (10,M) 2 + (10,F) 1, every class below k=3. Most unique first, then by name.
        assert_eq!(
            class.units,
            vec![
                unit("A/1a", 3, 3, 1, 1, 3),
                unit("A/1b", 2, 2, 2, 0, 3),
                unit("B/1a", 2, 2, 2, 0, 3)
            ]
        );
        let school = &s.levels[1];
        assert_eq!(
            (school.unit_count, school.units_below_k, school.records_without_unit),
            (2, 2, 0)
        );
        assert_eq!(school.units, vec![unit("B", 3, 3, 1, 1, 3), unit("A", 5, 5, 1, 1, 3)]);
        assert_eq!(s.levels[2].units, vec![unit("Y", 3, 3, 1, 1, 3), unit("X", 5, 5, 1, 1, 3)]);
    }

    /// A unit is below k when its pupils sit in equivalence classes smaller than k, not when it
    /// is small: a k-anonymous data set of one-pupil school classes flags none.
    #[test]
    fn a_unit_is_below_k_only_when_its_pupils_sit_in_classes_below_k() {
        let rows: [(&str, &str, &str); 4] =
            [("10", "A", "A/1a"), ("10", "B", "B/1a"), ("11", "A", "A/1b"), ("11", "B", "B/1b")];
        let measure = |extra: Option<(&str, &str, &str)>| {
            let mut acc = RiskAccumulator::new(vec!["age".into()], vec![], 2);
            for (age, school, class) in rows.iter().copied().chain(extra) {
                let units = Units { class: Some(class), school: Some(school), commune: None };
                acc.add(&[age], &[], &units);
            }
            acc.finish()
        };
        let anonymous = measure(None);
        assert_eq!(anonymous.smallest_class, 2);
        for level in &anonymous.levels[..2] {
            assert_eq!(level.units_below_k, 0, "{}: no pupil in a class below k", level.level);
            assert!(level.units.iter().all(|u| !u.below_k && u.records_in_classes_below_k == 0));
        }
        assert_eq!(anonymous.levels[0].small_units, 4, "every school class has one pupil");
        // One pupil of 12 is alone: its class and school are flagged, nothing else.
        let one_alone = measure(Some(("12", "A", "A/1a")));
        let flagged = |level: usize| -> Vec<&str> {
            let units = &one_alone.levels[level].units;
            units.iter().filter(|u| u.below_k).map(|u| u.name.as_str()).collect()
        };
        assert_eq!(flagged(0), vec!["A/1a"]);
        assert_eq!(flagged(1), vec!["A"]);
        assert_eq!(one_alone.levels[0].units[0], unit("A/1a", 2, 1, 1, 1, 2));
    }

    #[test]
    fn a_fact_known_besides_the_quasi_identifiers_is_measured() {
        let mut acc = RiskAccumulator::new(vec!["sex".into()], vec![], 2)
            .with_facts(vec!["exams[].score".into()]);
        let none = Units::default();
        let scores: [&[&str]; 3] = [&["90", "70"], &["70"], &[]];
        for held in scores {
            let held: Vec<String> = held.iter().map(|s| s.to_string()).collect();
            acc.add_with_facts(&["F"], &[], &[held], &none);
        }
        let s = acc.finish();
        assert_eq!(s.unique_records, 0);
        assert_eq!((s.attack.singled_out, s.attack.facts[0].newly_unique), (1, 1));
        assert!((s.attack.singled_out_share - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn journalist_risk_scales_the_prosecutor_risk_by_the_sampling_fraction() {
        let sampled = report().with_population(Some(80));
        let j = sampled.journalist.as_ref().unwrap();
        assert_eq!(j.population, 80);
        assert_eq!(j.before.sampling_fraction, 0.1);
        assert_eq!(j.before.max, 0.1, "smallest class 1: 0.1 / 1");
        assert!((j.after.max - 7.0 / 80.0 / 2.0).abs() < 1e-12);
        assert!((j.before.avg - 0.1 * 0.625).abs() < 1e-12);
        assert!(report().journalist.is_none());
    }

    #[test]
    fn a_report_reduced_to_counts_names_no_unit() {
        let report = report().counts_only();
        let mut json = Vec::new();
        report.write_json(&mut json).unwrap();
        let mut text = Vec::new();
        report.write_text(&mut text).unwrap();
        let mut html = Vec::new();
        report.write_html(&mut html).unwrap();
        for out in [json, text, html] {
            let out = String::from_utf8(out).unwrap();
            for name in ["A/1a", "A/1b", "B/1a", "\"X\"", " Y "] {
                assert!(!out.contains(name), "unit {name} named: {out}");
            }
        }
        assert_eq!(report.after.levels[0].unit_count, 3);
        assert_eq!(report.after.levels[0].small_units, 2);
    }

    #[test]
    fn the_html_report_is_one_page_with_an_svg_chart_and_no_script() {
        let mut out = Vec::new();
        report().write_html(&mut out).unwrap();
        let html = String::from_utf8(out).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains("<svg"), "{html}");
        assert_eq!(html.matches("<rect").count(), 6 * 2 + 2, "two bars a bin, two legend keys");
        for banned in ["<script", "src=", "href=", "@import", "url("] {
            assert!(!html.contains(banned), "{banned} in {html}");
        }
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
            journalist: None,
            counts_only: false,
        }
    }

    #[test]
    fn text_report_has_the_before_after_table_and_worst_units_and_no_values() {
        let mut out = Vec::new();
        report().write_text(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, EXPECTED_TEXT);
        // The size bin `10-19` is a label, not a value.
        let text = text.replace("10-19", "");
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
        assert_eq!(json["before"]["levels"][0]["units"][0]["name"], "A/1a");
        assert_eq!(json["journalist"], serde_json::Value::Null);
        assert_eq!(
            json["after"]["class_sizes"][2],
            serde_json::json!({"size": "3-4", "classes": 1, "records": 3})
        );
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

equivalence classes by size: classes (records)
  size                                 before      after
  1                                     2 (2)      0 (0)
  2                                     3 (6)      2 (4)
  3-4                                   0 (0)      1 (3)
  5-9                                   0 (0)      0 (0)
  10-19                                 0 (0)      0 (0)
  20+                                   0 (0)      0 (0)

an attacker who knows the quasi-identifiers and one more released fact:
  no released field besides the quasi-identifiers was measured

journalist risk: not computed (no population size given: --population N, or `population` in the policy's [anonymity] table)

class: 3 units, 2 below k=3 (holding pupils in classes smaller than k; before: 3 of 3); 2 with fewer than k pupils
  unit   records   below k  smallest   unique
  A/1a         3         2         2     0.0%  below k
  B/1a         2         2         2     0.0%  below k
  A/1b         2         0         3     0.0%

school: 2 units, 2 below k=3 (holding pupils in classes smaller than k; before: 2 of 2); 1 with fewer than k pupils
  unit   records   below k  smallest   unique
  A            5         2         2     0.0%  below k
  B            2         2         2     0.0%  below k

commune: 2 units, 2 below k=3 (holding pupils in classes smaller than k; before: 2 of 2); 1 with fewer than k pupils
  unit   records   below k  smallest   unique
  X            5         2         2     0.0%  below k
  Y            2         2         2     0.0%  below k
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
            journalist: None,
            counts_only: false,
        };
        let mut out = Vec::new();
        report.write_text(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("quasi-identifiers: sex\nsensitive attributes: none\n"), "{text}");
        assert!(
            text.contains("  class 00         1         0        78     0.0%\n  class 01 "),
            "{text}"
        );
        assert!(!text.contains("class 11"), "{text}");
        assert!(text.contains("  … 2 more in the JSON report\n\nschool: 0 units"), "{text}");
        assert!(text.contains("  78 records without a school\n"), "{text}");
    }
}
