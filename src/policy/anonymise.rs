//! Two-pass releases: anonymisation and rare-value suppression need the whole data set.
//!
//! [`TwoPassRelease`] is the pipeline's barrier stage ([`crate::pipeline::Barrier`]). Pass 1
//! collects: each released pupil goes to a temporary file (the typed released record in a
//! compact binary form, with its quasi-identifier ladder inputs), while the quasi-identifier
//! histogram, the "before" risk and the value counts for `suppress` are gathered. Once the
//! input has ended, the lattice search chooses the generalisation, and pass 2 reads the spill
//! back, releases each pupil at the chosen levels (or suppresses it), and writes it to the
//! pipeline's sink while measuring the "after" risk. No record becomes a JSON map on the way.
//! Memory holds the histogram — distinct quasi-identifier combinations, never records; the
//! spill is deleted when the run ends.

use super::anonymity::{self, Histogram, Settings, Solution};
use super::generalise::TOP;
use super::{Op, Policy, Purpose};
use crate::error::{Error, Result};
use crate::model::fields::fields;
use crate::model::record::Record;
use crate::model::released::{
    put_str, put_u32, take, take_str, take_u32, take_u64, Change, ReleasedPupil,
};
use crate::model::tree::Node;
use crate::pipeline::{Barrier, Withheld};
use crate::policy::risk::{RiskAccumulator, RiskReport, Units};
use crate::write::{Outgoing, Sink};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::io::{BufReader, BufWriter, Read, Seek, Write};

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

/// One spilled pupil, as pass 2 reads it back.
struct Spilled {
    /// Input records the pupil accounts for.
    n: u64,
    /// Quasi-identifier ladder inputs per slot.
    q: Vec<Vec<String>>,
    /// Hierarchy units: class, school, commune.
    h: [Option<String>; 3],
    /// The released record.
    record: ReleasedPupil,
}

impl Spilled {
    /// Append a spilled pupil's frame to `out`: its length, then `n`, `q`, `h` and the record.
    fn encode(
        n: u64,
        q: &[Vec<String>],
        h: [&Option<String>; 3],
        record: &ReleasedPupil,
        out: &mut Vec<u8>,
    ) {
        let start = out.len();
        put_u32(out, 0);
        out.extend_from_slice(&n.to_le_bytes());
        put_u32(out, q.len() as u32);
        for slots in q {
            put_u32(out, slots.len() as u32);
            for slot in slots {
                put_str(out, slot);
            }
        }
        for unit in h {
            match unit {
                Some(text) => {
                    out.push(1);
                    put_str(out, text);
                }
                None => out.push(0),
            }
        }
        record.encode(out);
        let length = (out.len() - start - 4) as u32;
        out[start..start + 4].copy_from_slice(&length.to_le_bytes());
    }

    /// A frame's contents (without its length), as [`Spilled::encode`] wrote them.
    fn decode(mut bytes: &[u8]) -> Result<Spilled> {
        let bytes = &mut bytes;
        let n = take_u64(bytes)?;
        let quasi = take_u32(bytes)? as usize;
        let mut q = Vec::with_capacity(quasi.min(bytes.len()));
        for _ in 0..quasi {
            let count = take_u32(bytes)? as usize;
            q.push((0..count).map(|_| take_str(bytes)).collect::<Result<Vec<_>>>()?);
        }
        let mut h: [Option<String>; 3] = Default::default();
        for unit in &mut h {
            if take(bytes, 1)?[0] == 1 {
                *unit = Some(take_str(bytes)?);
            }
        }
        Ok(Spilled { n, q, h, record: ReleasedPupil::decode(bytes)? })
    }
}

/// Read the next frame [`Spilled::encode`] wrote into `frame`; `false` at the end.
fn read_frame(from: &mut impl Read, frame: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut length = [0u8; 4];
    match from.read_exact(&mut length) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(e),
    }
    frame.resize(u32::from_le_bytes(length) as usize, 0);
    from.read_exact(frame)?;
    Ok(true)
}

/// Catalogue paths whose values a release reads from every record, found by catalogue index
/// in one pass over the record.
struct Paths {
    /// Catalogue index → position in the list of paths.
    positions: Vec<Option<usize>>,
    count: usize,
}

impl Paths {
    fn new<'a>(paths: impl IntoIterator<Item = &'a str>) -> Paths {
        let catalogue = fields();
        let mut positions = vec![None; catalogue.len()];
        let mut count = 0;
        for (position, path) in paths.into_iter().enumerate() {
            if let Some(index) = catalogue.iter().position(|f| f.path == path) {
                positions[index] = Some(position);
            }
            count = position + 1;
        }
        Paths { positions, count }
    }

    /// The position of a leaf's path, if it is one of these.
    fn position(&self, node: &Node) -> Option<usize> {
        match node {
            Node::Leaf { index, .. } => self.positions.get(*index).copied().flatten(),
            _ => None,
        }
    }

    /// The text of every present leaf of each path, in record order.
    fn texts(&self, record: &ReleasedPupil) -> Vec<Vec<String>> {
        let mut out = vec![Vec::new(); self.count];
        // Collecting cannot fail; each_leaf passes on only the closure's errors.
        let _ = record.each_leaf(|node, value, _| {
            if let Some(values) = self.position(node).and_then(|p| out.get_mut(p)) {
                let mut text = String::new();
                value.push_text(&mut text);
                values.push(text);
            }
            Ok(())
        });
        out
    }

    /// Each path's released values: distinct, sorted, joined by `|`.
    fn joined(&self, record: &ReleasedPupil) -> Vec<String> {
        self.texts(record)
            .into_iter()
            .map(|values| {
                values
                    .into_iter()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    }
}

/// A `suppress` rule: its field's values and how many pupils hold each.
struct Rare {
    index: usize,
    below: u64,
    counts: HashMap<String, u64>,
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
    /// `suppress` rules, and their fields as paths to read.
    rare: Vec<Rare>,
    rare_paths: Paths,
    /// The sensitive attributes, as paths to read.
    sensitive: Paths,
    pupils: u64,
    /// The released facts besides the quasi-identifiers, for the attack measure.
    facts: Facts,
    /// A frame being written.
    frame: Vec<u8>,
}

impl<'p> TwoPassRelease<'p> {
    /// A release under `policy` spilling into a fresh anonymous temporary file (removed by the
    /// OS when closed).
    pub fn new(policy: &'p Policy) -> Result<TwoPassRelease<'p>> {
        let file = tempfile::tempfile().map_err(|e| Error::io("temporary spill file", e))?;
        let default_below = policy.anonymity().map_or(5, |a| a.k);
        let rare: Vec<Rare> = fields()
            .iter()
            .enumerate()
            .filter_map(|(index, _)| match policy.rule(index).map(|r| &r.op) {
                Some(Op::Suppress(below)) => Some(Rare {
                    index,
                    below: if *below == 0 { default_below } else { *below },
                    counts: HashMap::new(),
                }),
                _ => None,
            })
            .collect();
        let rare_paths = Paths::new(rare.iter().map(|r| fields()[r.index].path.as_str()));
        let facts = Facts::new(attack_facts(policy));
        let sensitive = Paths::new(
            policy.anonymity().iter().flat_map(|a| a.sensitive.iter().map(String::as_str)),
        );
        let (histogram, before) = match policy.anonymity() {
            Some(a) => (
                Some(Histogram::new(a.quasi.len(), a.sensitive.len())),
                Some(
                    RiskAccumulator::new(quasi_names(policy), a.sensitive.clone(), a.k)
                        .with_l(a.l)
                        .with_facts(facts.names()),
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
            rare_paths,
            sensitive,
            pupils: 0,
            facts,
            frame: Vec::new(),
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
        let io = |e| Error::io("temporary spill file", e);
        let mut file = spill.into_inner().map_err(|e| io(e.into_error()))?;
        file.rewind().map_err(io)?;
        let rare = std::mem::take(&mut self.rare);
        let mut after = self.policy.anonymity().map(|a| {
            RiskAccumulator::new(quasi_names(self.policy), plan.sensitive.clone(), a.k)
                .with_l(a.l)
                .with_facts(self.facts.names())
        });
        let mut outcome = Outcome { suppressed_records: 0, suppressed_pupils: 0, risk: None };
        // An anonymised release must not keep the input's order: a register sorted by surname
        // would let a reader who knows the class line released rows up with names.
        let mut shuffle = match self.policy.anonymity() {
            Some(a) if a.enforce => Some(Shuffle::new(self.pupils)?),
            _ => None,
        };
        let pass = PassTwo {
            policy: self.policy,
            plan: &plan,
            rare: &rare,
            rare_paths: &self.rare_paths,
            facts: &self.facts,
            shuffle: shuffle.is_some(),
        };
        // Decoding, generalising and encoding run in parallel a batch at a time; counting,
        // measuring and writing stay in order on this thread.
        let mut spill = BufReader::new(file);
        loop {
            let mut frames = Vec::with_capacity(PASS_TWO_BATCH);
            let mut frame = Vec::new();
            while frames.len() < PASS_TWO_BATCH && read_frame(&mut spill, &mut frame).map_err(io)? {
                frames.push(std::mem::take(&mut frame));
            }
            if frames.is_empty() {
                break;
            }
            let fates: Vec<Result<Fate>> = frames.par_iter().map(|f| pass.release(f)).collect();
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
                            (Some(shuffle), Some((hash, bytes))) => shuffle.push(hash, &bytes)?,
                            _ => target.write(Outgoing::Released(&record))?,
                        }
                    }
                }
            }
        }
        if let Some(shuffle) = shuffle {
            shuffle.drain_into(target)?;
        }
        if let (Some(before), Some(after)) = (self.before.take(), after) {
            outcome.risk = self.risk_report(&plan, before, after, outcome.suppressed_pupils);
        }
        Ok(outcome)
    }

    /// The risk before and after, for an anonymising release that chose a generalisation.
    fn risk_report(
        &self,
        plan: &Plan,
        before: RiskAccumulator,
        after: RiskAccumulator,
        suppressed: u64,
    ) -> Option<RiskReport> {
        let (Some(solution), Some(a)) = (&plan.solution, self.policy.anonymity()) else {
            return None;
        };
        let report = RiskReport {
            policy: self.policy.name().to_string(),
            k: a.k,
            l: a.l,
            quasi_identifiers: quasi_names(self.policy),
            sensitive: plan.sensitive.clone(),
            withheld: plan.withheld.clone(),
            before: before.finish(),
            after: after.finish(),
            suppressed,
            generalisation: solution
                .generalisation()
                .into_iter()
                .zip(&a.quasi)
                .map(|((path, level), (_, ladder))| (path, ladder.level_name(level)))
                .collect(),
            journalist: None,
            counts_only: false,
        };
        Some(report.with_population(a.population))
    }

    /// Between the passes: which sensitive attributes can be released, and the generalisation.
    fn plan(&self) -> Result<Plan> {
        let (Some(histogram), Some(a)) = (&self.histogram, self.policy.anonymity()) else {
            return Ok(Plan::new(None, Vec::new(), Vec::new()));
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
        Ok(Plan::new(
            Some(anonymity::anonymise(histogram, &ladders, &settings)?),
            sensitive.into_iter().map(|(p, _)| p.clone()).collect(),
            withheld.into_iter().map(|(p, _)| p.clone()).collect(),
        ))
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
    /// The same two lists as paths to read.
    sensitive_paths: Paths,
    withheld_paths: Paths,
}

impl Plan {
    fn new(solution: Option<Solution>, sensitive: Vec<String>, withheld: Vec<String>) -> Plan {
        let sensitive_paths = Paths::new(sensitive.iter().map(String::as_str));
        let withheld_paths = Paths::new(withheld.iter().map(String::as_str));
        Plan { solution, sensitive, withheld, sensitive_paths, withheld_paths }
    }
}

/// What pass 2 needs for every pupil, shared by the threads.
struct PassTwo<'a> {
    policy: &'a Policy,
    plan: &'a Plan,
    rare: &'a [Rare],
    rare_paths: &'a Paths,
    facts: &'a Facts,
    shuffle: bool,
}

impl PassTwo<'_> {
    /// Pass 2 for one spilled pupil: suppressed, or released at the chosen levels (and, for
    /// an anonymised release, encoded for the shuffle).
    fn release(&self, frame: &[u8]) -> Result<Fate> {
        let Spilled { n, q, h, record } = Spilled::decode(frame)?;
        let mut quasi = Vec::new();
        let mut sensitive = Vec::new();
        let mut known = Vec::new();
        let levels = match &self.plan.solution {
            Some(solution) => {
                let joined = joined_quasi(&q);
                let refs: Vec<&str> = joined.iter().map(String::as_str).collect();
                let Some(values) = solution.release(&refs) else {
                    return Ok(Fate::Suppressed(n));
                };
                quasi = values;
                Some(&solution.levels[..])
            }
            None => None,
        };
        let mut record = self.generalised(record, &q, levels)?;
        if levels.is_some() {
            sensitive = self.plan.sensitive_paths.joined(&record);
        }
        if !self.rare.is_empty() {
            record = self.rare_suppressed(&record)?;
        }
        if self.policy.purpose() == Purpose::Statistics {
            record = record.canonical_lists();
        }
        if levels.is_some() {
            known = self.facts.values(&record);
        }
        let shuffled = if self.shuffle {
            let mut json = Vec::new();
            record.write_json(&mut json).map_err(|e| Error::io("temporary shuffle file", e))?;
            let mut bytes = Vec::new();
            record.encode(&mut bytes);
            Some((fnv1a(&json), bytes))
        } else {
            None
        };
        Ok(Fate::Released(Box::new(Kept {
            record,
            quasi,
            sensitive,
            facts: known,
            units: h,
            shuffled,
        })))
    }

    /// The record with the withheld sensitive attributes left out and each quasi-identifier
    /// slot at its chosen level (`Exact` keeps the typed original). `quasi` holds the slots'
    /// ladder inputs, as [`crate::model::record::Released::quasi`] does.
    fn generalised(
        &self,
        record: ReleasedPupil,
        quasi: &[Vec<String>],
        levels: Option<&[usize]>,
    ) -> Result<ReleasedPupil> {
        if levels.is_none() && self.plan.withheld.is_empty() {
            return Ok(record); // rare-value suppression alone: nothing to generalise
        }
        let anonymity = self.policy.anonymity();
        let mut slot = vec![0usize; quasi.len()];
        record.rebuild(|node, _, _| {
            if self.plan.withheld_paths.position(node).is_some() {
                return Ok(Change::Drop);
            }
            let (Some(levels), Some(anonymity), Node::Leaf { index, .. }) =
                (levels, anonymity, node)
            else {
                return Ok(Change::Keep);
            };
            let Some(q) = self.policy.quasi_of.get(*index).copied().flatten() else {
                return Ok(Change::Keep);
            };
            let Some((_, ladder)) = anonymity.quasi.get(q) else { return Ok(Change::Keep) };
            let level = levels.get(q).copied().unwrap_or(ladder.len() - 1);
            let original = quasi.get(q).and_then(|slots| slots.get(slot[q]));
            slot[q] += 1;
            Ok(match original {
                Some(original) if !ladder.is_exact(level) => {
                    Change::Replace(ladder.generalise_original(original, level))
                }
                _ => Change::Keep,
            })
        })
    }

    /// The record with values held by fewer pupils than their rule's threshold replaced by
    /// `*`.
    fn rare_suppressed(&self, record: &ReleasedPupil) -> Result<ReleasedPupil> {
        record.rebuild(|node, value, _| {
            let Some(rare) = self.rare_paths.position(node).and_then(|p| self.rare.get(p)) else {
                return Ok(Change::Keep);
            };
            let mut text = String::new();
            value.push_text(&mut text);
            let held = rare.counts.get(&text).copied().unwrap_or(0);
            Ok(if held < rare.below { Change::Replace(TOP.to_string()) } else { Change::Keep })
        })
    }
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
    record: ReleasedPupil,
    /// The released quasi-identifier values, for the "after" risk.
    quasi: Vec<String>,
    /// The released sensitive values, for l.
    sensitive: Vec<String>,
    /// The released values of each attack fact.
    facts: Vec<Vec<String>>,
    /// Hierarchy units: class, school, commune.
    units: [Option<String>; 3],
    /// The encoded record and the hash of its JSON text, when the release is shuffled.
    shuffled: Option<(u64, Vec<u8>)>,
}

impl Barrier for TwoPassRelease<'_> {
    fn collect(&mut self, record: &Record) -> Result<()> {
        let Some(released) = record.released.as_deref() else {
            return Err(Error::input("spill", "a record reached the spill unreleased: a bug"));
        };
        self.pupils += 1;
        if let Some(histogram) = self.histogram.as_mut() {
            let joined = joined_quasi(&released.quasi);
            let sensitive = self.sensitive.joined(&released.record);
            let q: Vec<&str> = joined.iter().map(String::as_str).collect();
            let s: Vec<&str> = sensitive.iter().map(String::as_str).collect();
            histogram.add(&q, &s);
            if let Some(before) = self.before.as_mut() {
                let raw = raw_quasi(&released.quasi);
                let r: Vec<&str> = raw.iter().map(String::as_str).collect();
                let u = &released.units;
                let h = [u.class.clone(), u.school.clone(), u.commune.clone()];
                let known = self.facts.values(&released.record);
                before.add_with_facts(&r, &s, &known, &units(&h));
            }
        }
        if !self.rare.is_empty() {
            let texts = self.rare_paths.texts(&released.record);
            for (rare, values) in self.rare.iter_mut().zip(texts) {
                for value in values.into_iter().collect::<BTreeSet<_>>() {
                    *rare.counts.entry(value).or_default() += 1;
                }
            }
        }
        let u = &released.units;
        self.frame.clear();
        Spilled::encode(
            record.input_count(),
            &released.quasi,
            [&u.class, &u.school, &u.commune],
            &released.record,
            &mut self.frame,
        );
        let Some(file) = self.file.as_mut() else {
            return Err(Error::input("spill", "a record arrived after the spill was finished"));
        };
        file.write_all(&self.frame).map_err(|e| Error::io("temporary spill file", e))
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

/// The facts of a policy, and their fields as paths to read.
struct Facts {
    list: Vec<Fact>,
    paths: Paths,
}

impl Facts {
    fn new(list: Vec<Fact>) -> Facts {
        let paths = Paths::new(list.iter().map(|fact| match fact {
            Fact::Field(path) => path.as_str(),
            Fact::Item(_) => "",
        }));
        Facts { list, paths }
    }

    fn names(&self) -> Vec<String> {
        self.list.iter().map(Fact::name).collect()
    }

    /// The values a released record holds of each fact: a field's values (one per list
    /// item), or each whole item as its JSON text.
    fn values(&self, record: &ReleasedPupil) -> Vec<Vec<String>> {
        let mut values = self.paths.texts(record);
        for (fact, values) in self.list.iter().zip(values.iter_mut()) {
            if let Fact::Item(list) = fact {
                *values = record.item_texts(list);
            }
        }
        values
    }
}

fn units(h: &[Option<String>; 3]) -> Units<'_> {
    Units { class: h[0].as_deref(), school: h[1].as_deref(), commune: h[2].as_deref() }
}

/// Buckets of an external sort by content hash: released records come out in an order that
/// depends only on what is released, never on the input's order, and the same release always
/// comes out the same. Memory holds one bucket — about [`SHUFFLE_BUCKET_RECORDS`] records —
/// at a time.
struct Shuffle {
    buckets: Vec<BufWriter<std::fs::File>>,
}

/// Records per shuffle bucket aimed at (a few megabytes of released records).
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

    /// Put an encoded record in the bucket its hash (of its JSON text) picks.
    fn push(&mut self, hash: u64, record: &[u8]) -> Result<()> {
        let count = self.buckets.len() as u64;
        // The high bits pick the bucket, so buckets read in order give one global hash order.
        let index = ((u128::from(hash) * u128::from(count)) >> 64) as usize;
        let Some(bucket) = self.buckets.get_mut(index) else {
            return Err(Error::input("temporary shuffle file", "bucket out of range: a bug"));
        };
        let mut frame = Vec::with_capacity(record.len() + 12);
        put_u32(&mut frame, (record.len() + 8) as u32);
        frame.extend_from_slice(&hash.to_le_bytes());
        frame.extend_from_slice(record);
        bucket.write_all(&frame).map_err(|e| Error::io("temporary shuffle file", e))
    }

    fn drain_into(self, sink: &mut dyn Sink) -> Result<()> {
        let io = |e| Error::io("temporary shuffle file", e);
        for bucket in self.buckets {
            let mut file = bucket.into_inner().map_err(|e| io(e.into_error()))?;
            file.rewind().map_err(io)?;
            let mut reader = BufReader::new(file);
            let mut records: Vec<(u64, Vec<u8>)> = Vec::new();
            let mut frame = Vec::new();
            while read_frame(&mut reader, &mut frame).map_err(io)? {
                let mut bytes = &frame[..];
                let hash = take_u64(&mut bytes)?;
                records.push((hash, bytes.to_vec()));
            }
            // By hash, then by the bytes: a fixed order for records whose hashes collide.
            records.sort_unstable();
            for (_, bytes) in &records {
                let record = ReleasedPupil::decode(&mut &bytes[..])?;
                sink.write(Outgoing::Released(&record))?;
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
