//! Two-pass releases: anonymisation and rare-value suppression need the whole data set.
//!
//! [`TwoPassRelease`] is the pipeline's barrier stage ([`crate::pipeline::Barrier`]). Pass 1
//! collects: each released pupil goes to a temporary file (one JSON line, with its
//! quasi-identifier ladder inputs), while the quasi-identifier histogram, the "before" risk
//! and the value counts for `suppress` are gathered. Once the input has ended, the lattice
//! search chooses the generalisation, and pass 2 reads the spill back, releases each pupil at
//! the chosen levels (or suppresses it), and writes it to the pipeline's sink while measuring
//! the "after" risk. Memory holds the histogram — distinct
//! quasi-identifier combinations, never records; the spill is deleted when the run ends.

use super::anonymity::{self, Histogram, Settings, Solution};
use super::generalise::TOP;
use super::{Op, Policy, Purpose};
use crate::error::{Error, Result};
use crate::model::fields::fields;
use crate::model::record::Record;
use crate::model::released::ReleasedPupil;
use crate::model::value::format_leaf;
use crate::pipeline::{Barrier, Withheld};
use crate::policy::risk::{RiskAccumulator, RiskReport, Units};
use crate::write::{Outgoing, Sink};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, BufWriter, Seek, Write};

/// What pass 2 did.
#[derive(Debug)]
pub struct Outcome {
    /// Input records of suppressed pupils.
    pub suppressed_records: u64,
    /// Pupils suppressed.
    pub suppressed_pupils: u64,
    /// Risk before and after (only for anonymising policies).
    pub risk: Option<RiskReport>,
}

/// One spilled pupil.
#[derive(Serialize, Deserialize)]
struct Line {
    /// Input records the pupil accounts for.
    n: u64,
    /// Quasi-identifier ladder inputs per slot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    q: Vec<Vec<String>>,
    /// Hierarchy units: class, school, commune.
    #[serde(default)]
    h: [Option<String>; 3],
    /// The released record.
    r: Map<String, Value>,
}

/// [`Line`] borrowed from the record, for writing without copying it.
#[derive(Serialize)]
struct LineRef<'a> {
    n: u64,
    #[serde(skip_serializing_if = "<[Vec<String>]>::is_empty")]
    q: &'a [Vec<String>],
    h: [&'a Option<String>; 3],
    r: &'a Map<String, Value>,
}

/// A release that needs the whole data set (anonymisation, rare-value suppression): a
/// pipeline barrier ([`Pipeline::barrier`](crate::pipeline::Pipeline::barrier)) that spills
/// the released pupils and measures the data set as they are collected, then chooses the
/// generalisation and releases them into the pipeline's sink, telling the accounting which
/// pupils it suppressed.
pub struct TwoPassRelease<'p> {
    policy: &'p Policy,
    file: Option<BufWriter<std::fs::File>>,
    outcome: Option<Outcome>,
    histogram: Option<Histogram>,
    before: Option<RiskAccumulator>,
    /// `suppress` rules: catalogue index → threshold, and value → pupils holding it.
    rare: Vec<(usize, u64, HashMap<String, u64>)>,
    pupils: u64,
    /// The released facts besides the quasi-identifiers, for the attack measure.
    facts: Vec<Fact>,
}

impl<'p> TwoPassRelease<'p> {
    /// A release under `policy` spilling into a fresh anonymous temporary file (removed by the
    /// OS when closed).
    pub fn new(policy: &'p Policy) -> Result<TwoPassRelease<'p>> {
        let file = tempfile::tempfile().map_err(|e| Error::io("temporary spill file", e))?;
        let default_below = policy.anonymity().map_or(5, |a| a.k);
        let rare = fields()
            .iter()
            .enumerate()
            .filter_map(|(i, _)| match policy.rule(i).map(|r| &r.op) {
                Some(Op::Suppress(below)) => {
                    Some((i, if *below == 0 { default_below } else { *below }, HashMap::new()))
                }
                _ => None,
            })
            .collect();
        let facts = attack_facts(policy);
        let (histogram, before) = match policy.anonymity() {
            Some(a) => (
                Some(Histogram::new(a.quasi.len(), a.sensitive.len())),
                Some(
                    RiskAccumulator::new(quasi_names(policy), a.sensitive.clone(), a.k)
                        .with_l(a.l)
                        .with_facts(facts.iter().map(Fact::name).collect()),
                ),
            ),
            None => (None, None),
        };
        Ok(TwoPassRelease {
            policy,
            file: Some(BufWriter::new(file)),
            outcome: None,
            histogram,
            before,
            rare,
            pupils: 0,
            facts,
        })
    }

    /// What pass 2 did, once the pipeline has run.
    pub fn outcome(&mut self) -> Option<Outcome> {
        self.outcome.take()
    }

    /// Choose the generalisation and write every pupil it releases to `target`.
    fn pass_two(&mut self, target: &mut dyn Sink) -> Result<Outcome> {
        let Some(spill) = self.file.take() else {
            return Err(Error::input("spill", "the spill was finished twice: a bug"));
        };
        let plan = self.plan()?;
        let mut file =
            spill.into_inner().map_err(|e| Error::io("temporary spill file", e.into_error()))?;
        file.rewind().map_err(|e| Error::io("temporary spill file", e))?;
        let rare = std::mem::take(&mut self.rare);
        let facts = std::mem::take(&mut self.facts);
        let mut after = self.policy.anonymity().map(|a| {
            RiskAccumulator::new(quasi_names(self.policy), plan.sensitive.clone(), a.k)
                .with_l(a.l)
                .with_facts(facts.iter().map(Fact::name).collect())
        });
        let mut outcome = Outcome { suppressed_records: 0, suppressed_pupils: 0, risk: None };
        // An anonymised release must not keep the input's order: a register sorted by surname
        // would let a reader who knows the class line released rows up with names.
        let mut shuffle = match self.policy.anonymity() {
            Some(a) if a.enforce => Some(Shuffle::new(self.pupils)?),
            _ => None,
        };
        let policy = self.policy;
        let shuffled = shuffle.is_some();
        // Parsing, generalising and serialising run in parallel a batch at a time; counting,
        // measuring and writing stay in order on this thread.
        let mut lines = BufReader::new(file).lines();
        loop {
            let batch: Vec<String> = lines
                .by_ref()
                .take(PASS_TWO_BATCH)
                .collect::<std::io::Result<_>>()
                .map_err(|e| Error::io("temporary spill file", e))?;
            if batch.is_empty() {
                break;
            }
            let fates: Vec<Result<Fate>> = batch
                .par_iter()
                .map(|line| release_line(policy, line, &plan, &rare, &facts, shuffled))
                .collect();
            for fate in fates {
                match fate? {
                    Fate::Suppressed(records) => {
                        outcome.suppressed_records += records;
                        outcome.suppressed_pupils += 1;
                    }
                    Fate::Released(kept) => {
                        let Kept { record, quasi, sensitive, facts: known, units: h, shuffled } =
                            *kept;
                        if let Some(after) = after.as_mut() {
                            let v: Vec<&str> = quasi.iter().map(String::as_str).collect();
                            let s: Vec<&str> = sensitive.iter().map(String::as_str).collect();
                            after.add_with_facts(&v, &s, &known, &units(&h));
                        }
                        match (shuffle.as_mut(), shuffled) {
                            (Some(shuffle), Some((hash, line))) => shuffle.push(hash, &line)?,
                            _ => {
                                let released = ReleasedPupil::from_map(&record)?;
                                target.write(Outgoing::Released(&released))?;
                            }
                        }
                    }
                }
            }
        }
        if let Some(shuffle) = shuffle {
            shuffle.drain_into(target)?;
        }
        if let (Some(solution), Some(before), Some(after), Some(a)) =
            (&plan.solution, self.before.take(), after, self.policy.anonymity())
        {
            outcome.risk = Some(
                RiskReport {
                    policy: self.policy.name().to_string(),
                    k: a.k,
                    l: a.l,
                    quasi_identifiers: quasi_names(self.policy),
                    sensitive: plan.sensitive.clone(),
                    withheld: plan.withheld.clone(),
                    before: before.finish(),
                    after: after.finish(),
                    suppressed: outcome.suppressed_pupils,
                    generalisation: solution
                        .generalisation()
                        .into_iter()
                        .zip(&a.quasi)
                        .map(|((path, level), (_, ladder))| (path, ladder.level_name(level)))
                        .collect(),
                    journalist: None,
                    counts_only: false,
                }
                .with_population(a.population),
            );
        }
        Ok(outcome)
    }

    /// Between the passes: which sensitive attributes can be released, and the generalisation.
    fn plan(&self) -> Result<Plan> {
        let (Some(histogram), Some(a)) = (&self.histogram, self.policy.anonymity()) else {
            return Ok(Plan { solution: None, sensitive: Vec::new(), withheld: Vec::new() });
        };
        // An attribute with fewer than l distinct values in the whole data set cannot be
        // l-diverse in any grouping (every pupil's value would be known): it is withheld from
        // the release instead of suppressing everyone, and the risk report says so.
        let keep: Vec<bool> = (0..a.sensitive.len())
            .map(|i| {
                !(a.enforce && a.l.is_some_and(|l| (histogram.sensitive_distinct(i) as u64) < l))
            })
            .collect();
        let (sensitive, withheld): (Vec<_>, Vec<_>) =
            a.sensitive.iter().zip(&keep).partition(|(_, keep)| **keep);
        let projected;
        let histogram = if withheld.is_empty() {
            histogram
        } else {
            projected = histogram.keep_sensitive(&keep);
            &projected
        };
        let ladders = engine_ladders(self.policy);
        let settings = if a.enforce {
            let l = if sensitive.is_empty() { None } else { a.l };
            Settings { k: a.k, l, max_suppression: a.max_suppression }
        } else {
            // Measuring only: the finest node, nothing suppressed.
            Settings { k: 1, l: None, max_suppression: 0.0 }
        };
        Ok(Plan {
            solution: Some(anonymity::anonymise(histogram, &ladders, &settings)?),
            sensitive: sensitive.into_iter().map(|(p, _)| p.clone()).collect(),
            withheld: withheld.into_iter().map(|(p, _)| p.clone()).collect(),
        })
    }
}

/// What pass 2 releases: the chosen generalisation and which sensitive attributes leave.
struct Plan {
    solution: Option<Solution>,
    /// Sensitive attributes released (and held to l).
    sensitive: Vec<String>,
    /// Sensitive attributes withheld: too few distinct values in the whole data set for any
    /// grouping to be l-diverse.
    withheld: Vec<String>,
}

/// Pass 2 for one spilled pupil: suppressed, or released at the chosen levels (and, for an
/// anonymised release, serialised for the shuffle).
fn release_line(
    policy: &Policy,
    text: &str,
    plan: &Plan,
    rare: &[(usize, u64, HashMap<String, u64>)],
    facts: &[Fact],
    shuffle: bool,
) -> Result<Fate> {
    let line: Line = serde_json::from_str(text)
        .map_err(|e| Error::input("temporary spill file", e.to_string()))?;
    let mut record = line.r;
    let mut quasi = Vec::new();
    let mut sensitive = Vec::new();
    let mut known = Vec::new();
    for path in &plan.withheld {
        remove_leaves(&mut record, path);
    }
    if let Some(solution) = &plan.solution {
        let joined = joined_quasi(&line.q);
        let refs: Vec<&str> = joined.iter().map(String::as_str).collect();
        let Some(values) = solution.release(&refs) else {
            return Ok(Fate::Suppressed(line.n));
        };
        apply_levels(policy, &mut record, &line.q, &solution.levels);
        quasi = values;
        sensitive = sensitive_values(&plan.sensitive, &record);
    }
    suppress_rare(&mut record, rare);
    if policy.purpose() == Purpose::Statistics {
        canonical_lists(&mut record);
    }
    if plan.solution.is_some() {
        known = fact_values(facts, &record);
    }
    let shuffled = if shuffle {
        let text = serde_json::to_string(&record)
            .map_err(|e| Error::io("temporary shuffle file", std::io::Error::other(e)))?;
        Some((fnv1a(text.as_bytes()), text))
    } else {
        None
    };
    Ok(Fate::Released(Box::new(Kept {
        record,
        quasi,
        sensitive,
        facts: known,
        units: line.h,
        shuffled,
    })))
}

/// Pupils per parallel batch of pass 2.
const PASS_TWO_BATCH: usize = 1024;

/// What pass 2 made of one spilled pupil.
enum Fate {
    /// Left out; it accounted for this many input records.
    Suppressed(u64),
    /// Released.
    Released(Box<Kept>),
}

/// A pupil pass 2 releases.
struct Kept {
    record: Map<String, Value>,
    /// The released quasi-identifier values, for the "after" risk.
    quasi: Vec<String>,
    /// The released sensitive values, for l.
    sensitive: Vec<String>,
    /// The released values of each attack fact.
    facts: Vec<Vec<String>>,
    /// Hierarchy units: class, school, commune.
    units: [Option<String>; 3],
    /// The serialised record and its hash, when the release is shuffled.
    shuffled: Option<(u64, String)>,
}

impl Barrier for TwoPassRelease<'_> {
    fn collect(&mut self, record: &Record) -> Result<()> {
        let Some(released) = record.released.as_deref() else {
            return Err(Error::input("spill", "a record reached the spill unreleased: a bug"));
        };
        self.pupils += 1;
        // Pass 2 generalises, withholds and reorders by path: the spill holds the JSON form.
        let map = released.record.to_map();
        if let Some(histogram) = self.histogram.as_mut() {
            let joined = joined_quasi(&released.quasi);
            let paths = self.policy.anonymity().map_or(&[][..], |a| &a.sensitive[..]);
            let sensitive = sensitive_values(paths, &map);
            let q: Vec<&str> = joined.iter().map(String::as_str).collect();
            let s: Vec<&str> = sensitive.iter().map(String::as_str).collect();
            histogram.add(&q, &s);
            if let Some(before) = self.before.as_mut() {
                let raw = raw_quasi(&released.quasi);
                let r: Vec<&str> = raw.iter().map(String::as_str).collect();
                let u = &released.units;
                let h = [u.class.clone(), u.school.clone(), u.commune.clone()];
                let known = fact_values(&self.facts, &map);
                before.add_with_facts(&r, &s, &known, &units(&h));
            }
        }
        for (index, _, counts) in &mut self.rare {
            let mut seen = BTreeSet::new();
            for_each_leaf(&map, &fields()[*index].path, &mut |v, _| {
                if let Some(text) = format_leaf(v) {
                    seen.insert(text);
                }
            });
            for value in seen {
                *counts.entry(value).or_default() += 1;
            }
        }
        let u = &released.units;
        let line = LineRef {
            n: record.input_count(),
            q: &released.quasi,
            h: [&u.class, &u.school, &u.commune],
            r: &map,
        };
        let Some(file) = self.file.as_mut() else {
            return Err(Error::input("spill", "a record arrived after the spill was finished"));
        };
        serde_json::to_writer(&mut *file, &line)
            .map_err(|e| Error::io("temporary spill file", std::io::Error::other(e)))?;
        file.write_all(b"\n").map_err(|e| Error::io("temporary spill file", e))
    }

    fn release(&mut self, sink: &mut dyn Sink) -> Result<Withheld> {
        let outcome = self.pass_two(sink)?;
        let withheld =
            Withheld { records: outcome.suppressed_records, pupils: outcome.suppressed_pupils };
        self.outcome = Some(outcome);
        Ok(withheld)
    }
}

fn quasi_names(policy: &Policy) -> Vec<String> {
    policy.anonymity().map(|a| a.quasi.iter().map(|(p, _)| p.clone()).collect()).unwrap_or_default()
}

/// The engine's view of the policy's ladders: ladder inputs in, released text out.
fn engine_ladders(policy: &Policy) -> Vec<anonymity::Ladder> {
    policy
        .anonymity()
        .map(|a| {
            a.quasi
                .iter()
                .map(|(path, ladder)| {
                    let ladder = ladder.clone();
                    anonymity::Ladder::new(path.clone(), ladder.len(), move |original, level| {
                        ladder.generalise_original(original, level)
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Each quasi-identifier's slots joined into one ladder input.
fn joined_quasi(quasi: &[Vec<String>]) -> Vec<String> {
    quasi.iter().map(|slots| super::Ladder::join_items(slots.clone())).collect()
}

/// Each quasi-identifier's values as held, for the "before" risk: the slots without their
/// address context, joined.
fn raw_quasi(quasi: &[Vec<String>]) -> Vec<String> {
    quasi
        .iter()
        .map(|slots| {
            let mut values: Vec<&str> =
                slots.iter().map(|s| s.split('\u{1f}').next().unwrap_or_default()).collect();
            values.sort_unstable();
            values.dedup();
            values.join("|")
        })
        .collect()
}

/// Each sensitive attribute's released values: distinct, sorted, joined by `|`.
fn sensitive_values(paths: &[String], record: &Map<String, Value>) -> Vec<String> {
    paths
        .iter()
        .map(|path| {
            let mut values = BTreeSet::new();
            for_each_leaf(record, path, &mut |v, _| {
                if let Some(text) = format_leaf(v) {
                    values.insert(text);
                }
            });
            values.into_iter().collect::<Vec<_>>().join("|")
        })
        .collect()
}

/// A released fact an attacker may know besides the quasi-identifiers (see
/// [`crate::policy::risk::attack`]).
#[derive(Clone, Debug, PartialEq)]
enum Fact {
    /// One released field that is not a quasi-identifier: its value, or one item's value.
    Field(String),
    /// One whole item of a list that releases two or more such fields (an olympiad's title
    /// with its date), by the list's name.
    Item(String),
}

impl Fact {
    fn name(&self) -> String {
        match self {
            Fact::Field(path) => path.clone(),
            Fact::Item(list) => format!("{list}[] (one whole item)"),
        }
    }
}

/// Every field the policy releases besides the quasi-identifiers (sensitive attributes too),
/// then the lists releasing two or more of them as whole items: what an attacker may know.
fn attack_facts(policy: &Policy) -> Vec<Fact> {
    let Some(anonymity) = policy.anonymity() else { return Vec::new() };
    let mut facts = Vec::new();
    let mut lists: Vec<(&str, usize)> = Vec::new();
    for (i, field) in fields().iter().enumerate() {
        let released = policy.rule(i).is_some_and(|r| r.op != Op::Drop);
        if !released || anonymity.quasi.iter().any(|(p, _)| p == &field.path) {
            continue;
        }
        facts.push(Fact::Field(field.path.clone()));
        if let Some((list, _)) = field.path.split_once("[]") {
            match lists.iter_mut().find(|(l, _)| *l == list) {
                Some((_, n)) => *n += 1,
                None => lists.push((list, 1)),
            }
        }
    }
    facts.extend(lists.into_iter().filter(|(_, n)| *n > 1).map(|(l, _)| Fact::Item(l.into())));
    facts
}

/// The values a released record holds of each fact: a field's values (one per list item), or
/// each whole item as its JSON text.
fn fact_values(facts: &[Fact], record: &Map<String, Value>) -> Vec<Vec<String>> {
    facts
        .iter()
        .map(|fact| match fact {
            Fact::Field(path) => {
                let mut values = Vec::new();
                for_each_leaf(record, path, &mut |v, _| values.extend(format_leaf(v)));
                values
            }
            Fact::Item(list) => match record.get(list) {
                Some(Value::Array(items)) => items.iter().map(Value::to_string).collect(),
                _ => Vec::new(),
            },
        })
        .collect()
}

fn units(h: &[Option<String>; 3]) -> Units<'_> {
    Units { class: h[0].as_deref(), school: h[1].as_deref(), commune: h[2].as_deref() }
}

/// A statistics release's lists as sets: items sorted, repeats and empty items removed. The
/// quasi-identifier value of a list field is the set of its generalised values, so a list
/// that still showed two identical communes (or an empty entry) would tell an attacker how
/// many addresses a pupil has, which k never counted.
fn canonical_lists(record: &mut Map<String, Value>) {
    let mut emptied = Vec::new();
    for (key, value) in record.iter_mut() {
        let Value::Array(items) = value else { continue };
        let mut texts: Vec<(String, Value)> = items
            .drain(..)
            .filter(|item| !item.as_object().is_some_and(Map::is_empty))
            .map(|item| (item.to_string(), item))
            .collect();
        texts.sort_by(|a, b| a.0.cmp(&b.0));
        texts.dedup_by(|a, b| a.0 == b.0);
        items.extend(texts.into_iter().map(|(_, item)| item));
        if items.is_empty() {
            emptied.push(key.clone());
        }
    }
    for key in emptied {
        record.shift_remove(&key);
    }
}

/// Replace values held by fewer pupils than their rule's threshold by `*`.
fn suppress_rare(record: &mut Map<String, Value>, rare: &[(usize, u64, HashMap<String, u64>)]) {
    for (index, below, counts) in rare {
        set_slots(record, &fields()[*index].path, &mut |value| {
            let held = format_leaf(value).and_then(|t| counts.get(&t).copied()).unwrap_or(0);
            if held < *below {
                *value = Value::String(TOP.to_string());
            }
        });
    }
}

/// Buckets of an external sort by content hash: released records come out in an order that
/// depends only on what is released, never on the input's order, and the same release always
/// comes out the same. Memory holds one bucket — about [`SHUFFLE_BUCKET_RECORDS`] records —
/// at a time.
struct Shuffle {
    buckets: Vec<BufWriter<std::fs::File>>,
}

/// Records per shuffle bucket aimed at (a few megabytes of released JSON).
const SHUFFLE_BUCKET_RECORDS: u64 = 8192;
/// Open temporary files at most; beyond ~4 M pupils buckets grow instead.
const SHUFFLE_MAX_BUCKETS: u64 = 512;

impl Shuffle {
    fn new(records: u64) -> Result<Shuffle> {
        let count = (records / SHUFFLE_BUCKET_RECORDS).clamp(1, SHUFFLE_MAX_BUCKETS);
        let buckets = (0..count)
            .map(|_| {
                tempfile::tempfile()
                    .map(BufWriter::new)
                    .map_err(|e| Error::io("temporary shuffle file", e))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Shuffle { buckets })
    }

    fn push(&mut self, hash: u64, line: &str) -> Result<()> {
        let count = self.buckets.len() as u64;
        // The high bits pick the bucket, so buckets read in order give one global hash order.
        let index = ((u128::from(hash) * u128::from(count)) >> 64) as usize;
        let Some(bucket) = self.buckets.get_mut(index) else {
            return Err(Error::input("temporary shuffle file", "bucket out of range: a bug"));
        };
        writeln!(bucket, "{line}").map_err(|e| Error::io("temporary shuffle file", e))
    }

    fn drain_into(self, sink: &mut dyn Sink) -> Result<()> {
        let io = |e| Error::io("temporary shuffle file", e);
        for bucket in self.buckets {
            let mut file = bucket.into_inner().map_err(|e| io(e.into_error()))?;
            file.rewind().map_err(io)?;
            let mut lines: Vec<(u64, String)> = BufReader::new(file)
                .lines()
                .map(|l| l.map(|l| (fnv1a(l.as_bytes()), l)))
                .collect::<std::io::Result<_>>()
                .map_err(io)?;
            lines.sort_unstable();
            for (_, line) in &lines {
                sink.write(Outgoing::ReleasedJson(line))?;
            }
        }
        Ok(())
    }
}

/// FNV-1a, 64 bits: a fixed, platform-independent hash for the release order.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// Finish a released record once anonymisation has chosen the ladder levels: each
/// quasi-identifier slot of `record` (the released JSON form) is set to its generalised
/// value (`Exact` keeps the typed original). `quasi` holds the slots' ladder inputs, as
/// [`crate::model::record::Released::quasi`] does.
fn apply_levels(
    policy: &Policy,
    record: &mut Map<String, Value>,
    quasi: &[Vec<String>],
    levels: &[usize],
) {
    let Some(anonymity) = policy.anonymity() else { return };
    for (q, (path, ladder)) in anonymity.quasi.iter().enumerate() {
        let level = levels.get(q).copied().unwrap_or(ladder.len() - 1);
        let Some(slots) = quasi.get(q) else { continue };
        let mut slot = 0;
        set_slots(record, path, &mut |value: &mut Value| {
            if let Some(original) = slots.get(slot) {
                if !ladder.is_exact(level) {
                    *value = Value::String(ladder.generalise_original(original, level));
                }
            }
            slot += 1;
        });
    }
}

/// Call `f` on every present leaf of `path` (`a.b`, `list[].c`) with the object holding it
/// (an address, for the ladders that read its siblings).
fn for_each_leaf(
    object: &Map<String, Value>,
    path: &str,
    f: &mut dyn FnMut(&Value, &Map<String, Value>),
) {
    let (head, rest) = path.split_once('.').map_or((path, None), |(h, r)| (h, Some(r)));
    let key = head.strip_suffix("[]").unwrap_or(head);
    match (object.get(key), rest) {
        (Some(Value::Array(items)), Some(rest)) => {
            for item in items {
                if let Value::Object(child) = item {
                    for_each_leaf(child, rest, f);
                }
            }
        }
        (Some(Value::Object(child)), Some(rest)) => for_each_leaf(child, rest, f),
        (Some(value), None) if !value.is_null() => f(value, object),
        _ => {}
    }
}

/// Call `f` on every present slot of `path`, in the order [`slots`] and [`for_each_leaf`]
/// visit them.
fn set_slots(object: &mut Map<String, Value>, path: &str, f: &mut dyn FnMut(&mut Value)) {
    let (head, rest) = path.split_once('.').map_or((path, None), |(h, r)| (h, Some(r)));
    let key = head.strip_suffix("[]").unwrap_or(head);
    match (object.get_mut(key), rest) {
        (Some(Value::Array(items)), Some(rest)) => {
            for item in items {
                if let Value::Object(child) = item {
                    set_slots(child, rest, f);
                }
            }
        }
        (Some(Value::Object(child)), Some(rest)) => set_slots(child, rest, f),
        (Some(value), None) if !value.is_null() => f(value),
        _ => {}
    }
}

/// Remove every present leaf of `path`, and the object holding it when nothing else is left
/// in it (an `indicators` group whose one released field is withheld).
fn remove_leaves(object: &mut Map<String, Value>, path: &str) {
    let (head, rest) = path.split_once('.').map_or((path, None), |(h, r)| (h, Some(r)));
    let key = head.strip_suffix("[]").unwrap_or(head);
    let emptied = match (object.get_mut(key), rest) {
        (Some(Value::Array(items)), Some(rest)) => {
            for item in items.iter_mut() {
                if let Value::Object(child) = item {
                    remove_leaves(child, rest);
                }
            }
            items.iter().all(|i| i.as_object().is_some_and(Map::is_empty))
        }
        (Some(Value::Object(child)), Some(rest)) => {
            remove_leaves(child, rest);
            child.is_empty()
        }
        (Some(_), None) => true,
        _ => false,
    };
    if emptied {
        object.shift_remove(key);
    }
}
