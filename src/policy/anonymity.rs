//! k-anonymity and l-diversity, enforced by full-domain generalisation plus record suppression.
//!
//! This module owns the search, not the record model: callers turn each released pupil into a
//! tuple of quasi-identifier strings (and sensitive-attribute strings) and run two passes.
//!
//! 1. **Pass 1** feeds every record to a [`Histogram`], which keeps one counter per distinct
//!    (quasi-identifiers, sensitive values) combination. Memory grows with the number of
//!    distinct combinations, never with the number of records, and histograms built on
//!    several threads [`merge`](Histogram::merge).
//! 2. [`anonymise`] searches the generalisation lattice — one [`Ladder`] per quasi-identifier,
//!    each node a choice of one level per ladder — for the node with the least information
//!    loss at which every equivalence class has at least `k` records (and at least `l` distinct
//!    values of every sensitive attribute) once at most `max_suppression` of the records have
//!    been suppressed, whole class by whole class.
//! 3. **Pass 2** asks the [`Solution`] for each record's released quasi-identifier values
//!    ([`Solution::release`]); `None` means the record's class is suppressed.
//!
//! # Information loss
//!
//! The metric is the *generalisation loss* of Iyengar (2002), which ARX calls "Loss" (LM): a
//! cell whose value is generalised to a group covering `g` of the `m` distinct level-0 values
//! of its quasi-identifier loses `(g − 1) / (m − 1)` (0 when `m = 1`); a suppressed record loses
//! 1 in every quasi-identifier cell; the loss of a node is the mean over all cells (records ×
//! quasi-identifiers), between 0 (nothing generalised) and 1 (everything suppressed or `*`).
//! The domain `m` is the set of level-0 values present in the data, since a ladder is a
//! function and does not enumerate its domain.
//!
//! # Search
//!
//! Generalisation and suppression are monotone: if a node satisfies the privacy model within
//! the suppression budget, so does every generalisation of it (classes only merge, so they only
//! grow and only gain distinct sensitive values). The search uses that in two phases.
//!
//! * **Classification** (after ARX's *Flash*): starting from the lowest unclassified node, build
//!   a path upwards through unclassified nodes and binary-search it. A node that passes tags its
//!   whole up-set as passing; a node that fails tags its whole down-set as failing. Each tag
//!   settles many nodes without evaluating them.
//! * **Optimisation**: the generalisation loss alone, with no record suppressed, is a lower
//!   bound of a node's loss and is cheap (additive over quasi-identifiers). Passing nodes are
//!   visited in order of that bound and evaluated in parallel batches until the bound exceeds
//!   the best loss found, so the chosen node is the exact optimum over the whole lattice.
//!
//! Ties are broken deterministically: least loss, then lowest height (sum of levels), then
//! lexicographically smallest levels.
//!
//! Evaluating a node is integer work over the distinct level-0 quasi-identifier tuples: each
//! ladder is called once per (distinct value, level) up front, and a node maps every tuple to
//! its class through those id tables. Since every class of a node is a union of classes of
//! any finer node, the search keeps the classes of the nodes it evaluated (within a memory
//! budget) and groups a node from the kept node below it with the fewest classes instead,
//! when there is one; both ways give the same classes.
//!
//! Ladders must be hierarchies: values grouped at one level stay grouped at every higher level.
//! [`anonymise`] checks this (monotonicity, and so the search, depends on it) and refuses a
//! ladder that splits a group.

use crate::error::{Error, Result};
use foldhash::fast::RandomState;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

/// The file name used in errors of this module: the anonymisation settings come from the policy.
const POLICY: &str = "policy";

/// The largest lattice searched; beyond it the ladders are too fine-grained to search.
const MAX_NODES: usize = 1 << 22;

/// The largest l accepted: each class keeps up to l values per sensitive attribute.
const MAX_L: usize = 100;

/// Two losses closer than this are a tie (they differ only by floating-point rounding).
const EPSILON: f64 = 1e-12;

/// A generalisation function: `(level-0 value, level) -> value released at that level`.
pub type Generalise = dyn Fn(&str, usize) -> String + Send + Sync;

/// A quasi-identifier's generalisation hierarchy.
///
/// Level 0 is the value as released at its finest; each higher level is coarser; the top level
/// (`levels - 1`) maps everything to `"*"`. Every level must coarsen the one below it: two
/// values that share a generalised value at one level must share one at every higher level.
#[derive(Clone)]
pub struct Ladder {
    /// The quasi-identifier's name (a field path), used in reports and error messages.
    pub name: String,
    /// The number of levels, at least 1.
    pub levels: usize,
    /// Maps a level-0 value to its released form at a level in `0..levels`.
    pub generalise: Arc<Generalise>,
}

impl Ladder {
    /// A ladder named `name` with `levels` levels computed by `generalise`.
    pub fn new(
        name: impl Into<String>,
        levels: usize,
        generalise: impl Fn(&str, usize) -> String + Send + Sync + 'static,
    ) -> Ladder {
        Ladder { name: name.into(), levels, generalise: Arc::new(generalise) }
    }
}

impl fmt::Debug for Ladder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ladder").field("name", &self.name).field("levels", &self.levels).finish()
    }
}

/// The privacy model to enforce.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Every released equivalence class has at least `k` records (0 and 1 mean no constraint).
    pub k: u64,
    /// When set, every released class has at least `l` distinct values of every sensitive
    /// attribute (distinct l-diversity).
    pub l: Option<u64>,
    /// The largest share of records that may be suppressed, in `0.0..=1.0` (e.g. `0.05`).
    pub max_suppression: f64,
}

/// Interns strings of one column to dense `u32` ids in order of first appearance.
#[derive(Clone, Default)]
struct Interner {
    ids: HashMap<Box<str>, u32, RandomState>,
    values: Vec<Box<str>>,
}

impl Interner {
    fn intern(&mut self, value: &str) -> u32 {
        if let Some(&id) = self.ids.get(value) {
            return id;
        }
        // 2^32 distinct values would exhaust memory long before the ids run out.
        let id = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.ids.insert(value.into(), id);
        self.values.push(value.into());
        id
    }
}

/// Pass 1: counts of distinct (quasi-identifier tuple at level 0, sensitive values)
/// combinations.
///
/// Memory grows with the number of distinct combinations, never with the number of records.
/// `Debug` shows only sizes, never values.
#[derive(Clone)]
pub struct Histogram {
    quasi: usize,
    sensitive: usize,
    columns: Vec<Interner>,
    counts: HashMap<Box<[u32]>, u64, RandomState>,
    records: u64,
    scratch: Vec<u32>,
}

impl Histogram {
    /// An empty histogram of records with `quasi` quasi-identifiers and `sensitive` sensitive
    /// attributes.
    pub fn new(quasi: usize, sensitive: usize) -> Histogram {
        Histogram {
            quasi,
            sensitive,
            columns: vec![Interner::default(); quasi + sensitive],
            counts: HashMap::default(),
            records: 0,
            scratch: Vec::with_capacity(quasi + sensitive),
        }
    }

    /// Count one record. A missing value (a slice shorter than declared) counts as the empty
    /// string; values beyond the declared number are ignored.
    pub fn add(&mut self, quasi: &[&str], sensitive: &[&str]) {
        let mut key = std::mem::take(&mut self.scratch);
        key.clear();
        let values = (0..self.quasi)
            .map(|i| quasi.get(i).copied().unwrap_or(""))
            .chain((0..self.sensitive).map(|i| sensitive.get(i).copied().unwrap_or("")));
        for (column, value) in self.columns.iter_mut().zip(values) {
            key.push(column.intern(value));
        }
        self.count(&key, 1);
        self.scratch = key;
    }

    fn count(&mut self, key: &[u32], n: u64) {
        self.records += n;
        if let Some(c) = self.counts.get_mut(key) {
            *c += n;
        } else {
            self.counts.insert(key.into(), n);
        }
    }

    /// The number of records counted.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The number of distinct (quasi-identifiers, sensitive values) combinations.
    pub fn combinations(&self) -> usize {
        self.counts.len()
    }

    /// The number of quasi-identifiers per record.
    pub fn quasi(&self) -> usize {
        self.quasi
    }

    /// The number of sensitive attributes per record.
    pub fn sensitive(&self) -> usize {
        self.sensitive
    }

    /// Every distinct combination as its column ids (quasi-identifiers, then sensitive
    /// attributes) and its count, in no particular order. For the risk measurement, which
    /// counts the same way.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u32], u64)> + '_ {
        self.counts.iter().map(|(key, &n)| (&key[..], n))
    }

    /// The value behind `id` in `column` (quasi-identifiers first, then sensitive attributes).
    pub(crate) fn value(&self, column: usize, id: u32) -> &str {
        self.columns.get(column).and_then(|c| c.values.get(id as usize)).map_or("", |v| v)
    }

    /// The number of distinct values sensitive attribute `index` takes over all records.
    pub fn sensitive_distinct(&self, index: usize) -> usize {
        self.columns.get(self.quasi + index).map_or(0, |c| c.values.len())
    }

    /// The same counts with only the sensitive attributes `keep` marks (for a release that
    /// withholds an attribute no grouping could make diverse).
    pub fn keep_sensitive(&self, keep: &[bool]) -> Histogram {
        let kept: Vec<usize> =
            (0..self.sensitive).filter(|&s| keep.get(s) == Some(&true)).collect();
        let mut out = Histogram::new(self.quasi, kept.len());
        let mut values: Vec<&str> = Vec::with_capacity(self.quasi + kept.len());
        for (key, &n) in &self.counts {
            values.clear();
            values.extend((0..self.quasi).map(|c| self.value(c, key[c])));
            values.extend(kept.iter().map(|s| self.value(self.quasi + s, key[self.quasi + s])));
            let mut ids = Vec::with_capacity(values.len());
            for (column, value) in out.columns.iter_mut().zip(&values) {
                ids.push(column.intern(value));
            }
            out.count(&ids, n);
        }
        out
    }

    /// Add another histogram's counts to this one (for per-thread histograms). Both must have
    /// been created with the same numbers of columns; a column the other lacks reads as empty.
    pub fn merge(&mut self, other: Histogram) {
        let columns = self.columns.len();
        let translate: Vec<Vec<u32>> = (0..columns)
            .map(|c| match other.columns.get(c) {
                Some(col) => col.values.iter().map(|v| self.columns[c].intern(v)).collect(),
                None => Vec::new(),
            })
            .collect();
        let empty: Vec<u32> = (0..columns).map(|c| self.columns[c].intern("")).collect();
        let mut key = Vec::with_capacity(columns);
        for (other_key, n) in other.counts {
            key.clear();
            for c in 0..columns {
                let id = other_key.get(c).and_then(|&id| translate[c].get(id as usize));
                key.push(id.copied().unwrap_or(empty[c]));
            }
            self.count(&key, n);
        }
    }
}

impl fmt::Debug for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Histogram")
            .field("quasi", &self.quasi)
            .field("sensitive", &self.sensitive)
            .field("records", &self.records)
            .field("combinations", &self.counts.len())
            .finish()
    }
}

/// The chosen generalisation: one level per quasi-identifier, which classes are suppressed, and
/// what it costs. `Debug` shows only the numbers, never values.
#[derive(Clone)]
pub struct Solution {
    /// The chosen level of each quasi-identifier, in ladder order.
    pub levels: Vec<usize>,
    /// Records suppressed (they are in classes too small or not diverse enough).
    pub suppressed: u64,
    /// Equivalence classes released (suppressed classes not counted).
    pub classes: u64,
    /// Records in the smallest released class (0 when nothing is released).
    pub smallest_class: u64,
    /// Information loss of the chosen node (generalisation loss, see the module docs), 0..=1.
    pub loss: f64,
    /// Lattice nodes evaluated against the data during the search.
    pub nodes_evaluated: u64,
    /// Lattice nodes in total (the product of the ladders' levels).
    pub lattice_size: u64,
    /// Records in the histogram.
    pub records: u64,
    names: Vec<String>,
    release: Vec<ReleaseColumn>,
    shifts: Vec<u32>,
    suppressed_classes: HashSet<u128, RandomState>,
}

/// One quasi-identifier's pass-2 table at the chosen level.
#[derive(Clone)]
struct ReleaseColumn {
    /// Level-0 value → generalised id.
    ids: HashMap<Box<str>, u32, RandomState>,
    /// Generalised id → released value.
    values: Vec<String>,
}

impl Solution {
    /// Pass 2: the released quasi-identifier values for a record with these level-0 values, or
    /// `None` when its class is suppressed. A value never seen in pass 1 also gives `None`
    /// (fail closed: a record outside the measured histogram is never released).
    pub fn release(&self, quasi: &[&str]) -> Option<Vec<String>> {
        let mut key = 0u128;
        let mut ids = Vec::with_capacity(self.release.len());
        for ((column, shift), i) in self.release.iter().zip(&self.shifts).zip(0..) {
            let id = *column.ids.get(quasi.get(i).copied().unwrap_or(""))?;
            key |= u128::from(id) << shift;
            ids.push(id);
        }
        if self.suppressed_classes.contains(&key) {
            return None;
        }
        self.release
            .iter()
            .zip(ids)
            .map(|(column, id)| column.values.get(id as usize).cloned())
            .collect()
    }

    /// The quasi-identifiers' names with their chosen levels, in ladder order.
    pub fn generalisation(&self) -> Vec<(String, usize)> {
        self.names.iter().cloned().zip(self.levels.iter().copied()).collect()
    }

    /// The share of records suppressed, 0..=1.
    pub fn suppressed_share(&self) -> f64 {
        share(self.suppressed, self.records)
    }
}

impl fmt::Debug for Solution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Solution")
            .field("generalisation", &self.generalisation())
            .field("suppressed", &self.suppressed)
            .field("classes", &self.classes)
            .field("smallest_class", &self.smallest_class)
            .field("loss", &self.loss)
            .field("nodes_evaluated", &self.nodes_evaluated)
            .field("lattice_size", &self.lattice_size)
            .field("records", &self.records)
            .finish()
    }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Search the generalisation lattice for the node with the least information loss at which
/// every equivalence class has at least `k` records (and at least `l` distinct values of each
/// sensitive attribute) after suppressing at most `max_suppression` of the records (whole small
/// classes are suppressed).
///
/// `ladders` has one ladder per quasi-identifier of `h`, in the same order. Errors (kind
/// `Config`, naming `policy`) when the settings or ladders are unusable, and when no node
/// qualifies — the message then gives the least suppression any node needs and what to change.
///
/// # Example
///
/// ```
/// use teczka::{anonymise, AnonymityLadder, AnonymitySettings, Histogram};
///
/// let mut h = Histogram::new(1, 0);
/// for year in ["2010", "2010", "2011", "2011", "2012"] {
///     h.add(&[year], &[]);
/// }
/// // 2010 → 2010-2011 / 2012-2013 → *
/// let years = AnonymityLadder::new("birth_year", 3, |v, level| match level {
///     0 => v.to_string(),
///     1 => {
///         let y: u32 = v.parse().unwrap_or(0);
///         format!("{}-{}", y - y % 2, y - y % 2 + 1)
///     }
///     _ => "*".to_string(),
/// });
/// let s = AnonymitySettings { k: 2, l: None, max_suppression: 0.2 };
/// let solution = anonymise(&h, &[years], &s).unwrap();
/// assert_eq!(solution.levels, vec![0]); // the lone 2012 is suppressed: 1 of 5 is 20%
/// assert_eq!(solution.release(&["2010"]), Some(vec!["2010".to_string()]));
/// assert_eq!(solution.release(&["2012"]), None);
/// ```
pub fn anonymise(h: &Histogram, ladders: &[Ladder], s: &Settings) -> Result<Solution> {
    let prepared = Prepared::new(h, ladders, s)?;
    let lattice = Lattice::new(ladders)?;
    let mut search = Search::new(&prepared, &lattice);
    search.classify();
    let best = search.optimise();
    let Some((node, eval)) = best else {
        return Err(search.impossible(s));
    };
    let levels = lattice.levels_of(node);
    let classes = search.classes(&levels);
    Ok(prepared.solution(&levels, &classes, &eval, search.evaluated, lattice.size as u64, ladders))
}

/// The result of evaluating one lattice node.
#[derive(Clone, Copy, Debug, Default)]
struct Eval {
    passes: bool,
    suppressed: u64,
    classes: u64,
    smallest: u64,
    loss: f64,
}

/// Everything the search needs, as integer tables over the distinct level-0 tuples.
struct Prepared {
    records: u64,
    k: u64,
    /// Capped size of the distinct-value sets (0 when l-diversity is off).
    l: usize,
    sensitive: usize,
    allowed: u64,
    /// `gen[d][level][base id]` → generalised id at that level.
    gen: Vec<Vec<Vec<u32>>>,
    /// `gen_values[d][level][generalised id]` → released value.
    gen_values: Vec<Vec<Vec<String>>>,
    /// `group_loss[d][level][generalised id]` → the loss of one cell with that value.
    group_loss: Vec<Vec<Vec<f64>>>,
    /// `avg_loss[d][level]` → mean cell loss over all records, suppressing nothing.
    avg_loss: Vec<Vec<f64>>,
    /// Bit offset and mask of each quasi-identifier in a packed class key.
    shifts: Vec<u32>,
    masks: Vec<u128>,
    /// `lift[d][from][to]` (`to > from`): generalised id at level `from` → its id at level
    /// `to`, for grouping a node's classes from those of a finer node.
    lift: Vec<Vec<Vec<Vec<u32>>>>,
    /// Distinct level-0 quasi-identifier tuples, by quasi-identifier (`columns[d][tuple]`):
    /// a node's keys are built a column at a time, each through one small table.
    columns: Vec<Vec<u32>>,
    counts: Vec<u64>,
    /// For each tuple and sensitive attribute, up to `l` distinct values (flat, `l` slots each,
    /// `u32::MAX` = empty slot).
    diverse: Vec<u32>,
    /// Level-0 values of each quasi-identifier, by base id (for the pass-2 tables).
    base_values: Vec<Vec<Box<str>>>,
}

/// The settings checked against the histogram; the `l` to enforce (0 for none).
fn checked_l(h: &Histogram, ladders: &[Ladder], s: &Settings) -> Result<usize> {
    if ladders.len() != h.quasi {
        return Err(Error::config(
            POLICY,
            format!(
                "{} generalisation ladders for {} quasi-identifiers; give every \
                 quasi-identifier exactly one ladder",
                ladders.len(),
                h.quasi
            ),
        ));
    }
    if let Some(ladder) = ladders.iter().find(|ladder| ladder.levels == 0) {
        return Err(Error::config(
            POLICY,
            format!("the ladder of `{}` has no levels; give it at least one", ladder.name),
        ));
    }
    if !(0.0..=1.0).contains(&s.max_suppression) {
        return Err(Error::config(
            POLICY,
            "the maximum suppression must be a share between 0 and 1 (e.g. 0.05 for 5%)",
        ));
    }
    let l = match s.l {
        Some(l) if l > 1 && h.sensitive == 0 => {
            return Err(Error::config(
                POLICY,
                format!(
                    "l-diversity (l={l}) needs at least one sensitive attribute; name them \
                     or drop `l`"
                ),
            ))
        }
        Some(l) if l > 1 => usize::try_from(l).unwrap_or(usize::MAX),
        _ => 0,
    };
    if l > MAX_L {
        return Err(Error::config(
            POLICY,
            format!("l={l} is more than teczka supports ({MAX_L}); lower it"),
        ));
    }
    Ok(l)
}

/// `[d][level-0 id]` → records holding that value of quasi-identifier `d`, for the loss
/// lower bounds.
fn records_per_value(h: &Histogram) -> Vec<Vec<u64>> {
    let mut value_records: Vec<Vec<u64>> =
        h.columns[..h.quasi].iter().map(|c| vec![0; c.values.len()]).collect();
    for (key, &n) in &h.counts {
        for (d, &id) in key[..h.quasi].iter().enumerate() {
            value_records[d][id as usize] += n;
        }
    }
    value_records
}

/// One quasi-identifier's ladder, level by level: what each level-0 value becomes, the
/// released values, and the loss of a cell and on average.
struct LadderTables {
    tables: Vec<Vec<u32>>,
    values: Vec<Vec<String>>,
    losses: Vec<Vec<f64>>,
    avgs: Vec<f64>,
}

impl LadderTables {
    fn new(
        ladder: &Ladder,
        base: &[Box<str>],
        value_records: &[u64],
        records: u64,
    ) -> Result<Self> {
        let m = base.len();
        let mut out = LadderTables {
            tables: Vec::with_capacity(ladder.levels),
            values: Vec::with_capacity(ladder.levels),
            losses: Vec::with_capacity(ladder.levels),
            avgs: Vec::with_capacity(ladder.levels),
        };
        for level in 0..ladder.levels {
            let mut interner = Interner::default();
            let table: Vec<u32> =
                base.iter().map(|v| interner.intern(&(ladder.generalise)(v, level))).collect();
            let mut sizes = vec![0u64; interner.values.len()];
            for &g in &table {
                sizes[g as usize] += 1;
            }
            let loss: Vec<f64> = sizes
                .iter()
                .map(|&g| if m > 1 { (g - 1) as f64 / (m - 1) as f64 } else { 0.0 })
                .collect();
            let total: f64 =
                table.iter().zip(value_records).map(|(&g, &n)| loss[g as usize] * n as f64).sum();
            out.avgs.push(if records == 0 { 0.0 } else { total / records as f64 });
            if let Some(below) = out.tables.last() {
                check_hierarchy(ladder, level, below, &table)?;
            }
            out.tables.push(table);
            out.values.push(interner.values.into_iter().map(String::from).collect());
            out.losses.push(loss);
        }
        Ok(out)
    }
}

/// The combinations folded into distinct quasi-identifier tuples (by column), their counts,
/// and the `l` smallest distinct values of each of the first `sensitive` attributes per tuple.
fn fold_tuples(h: &Histogram, sensitive: usize, l: usize) -> (Vec<Vec<u32>>, Vec<u64>, Vec<u32>) {
    let mut index: HashMap<&[u32], usize, RandomState> = HashMap::default();
    let mut columns = vec![Vec::new(); h.quasi];
    let mut counts = Vec::new();
    let mut diverse = Vec::new();
    // Iterate in a fixed order so that ids, and so results, never depend on hashing.
    let mut combos: Vec<(&[u32], u64)> = h.counts.iter().map(|(k, &n)| (&k[..], n)).collect();
    combos.sort_unstable();
    for (key, n) in combos {
        let (qi, sa) = key.split_at(h.quasi);
        let t = *index.entry(qi).or_insert_with(|| {
            for (column, &id) in columns.iter_mut().zip(qi) {
                column.push(id);
            }
            counts.push(0);
            diverse.resize(diverse.len() + sensitive * l, u32::MAX);
            counts.len() - 1
        });
        counts[t] += n;
        for (j, &v) in sa.iter().enumerate().take(sensitive) {
            let start = (t * sensitive + j) * l;
            insert_smallest(&mut diverse[start..start + l], v);
        }
    }
    (columns, counts, diverse)
}

impl Prepared {
    fn new(h: &Histogram, ladders: &[Ladder], s: &Settings) -> Result<Prepared> {
        let l = checked_l(h, ladders, s)?;
        let quasi = h.quasi;
        let records = h.records;
        let allowed = ((s.max_suppression * records as f64).floor() as u64).min(records);
        let value_records = records_per_value(h);
        let mut gen = Vec::with_capacity(quasi);
        let mut gen_values = Vec::with_capacity(quasi);
        let mut group_loss = Vec::with_capacity(quasi);
        let mut avg_loss = Vec::with_capacity(quasi);
        let mut shifts = Vec::with_capacity(quasi);
        let mut masks = Vec::with_capacity(quasi);
        let mut bits = 0u32;
        for (d, ladder) in ladders.iter().enumerate() {
            let base = &h.columns[d].values;
            let levels = LadderTables::new(ladder, base, &value_records[d], records)?;
            let width = u32::BITS - (base.len().max(1) as u32 - 1).leading_zeros();
            shifts.push(bits);
            masks.push(if width == 0 { 0 } else { (1u128 << width) - 1 });
            bits += width;
            gen.push(levels.tables);
            gen_values.push(levels.values);
            group_loss.push(levels.losses);
            avg_loss.push(levels.avgs);
        }
        if bits > u128::BITS {
            return Err(Error::config(
                POLICY,
                format!(
                    "the quasi-identifiers have too many distinct values together ({bits} bits \
                     per class key, at most 128); use fewer quasi-identifiers or coarser \
                     level-0 values"
                ),
            ));
        }
        let sensitive = if l > 0 { h.sensitive } else { 0 };
        let (columns, counts, diverse) = fold_tuples(h, sensitive, l);
        let lift = gen.iter().map(|levels| lift_tables(levels)).collect();
        Ok(Prepared {
            records,
            k: s.k,
            l,
            sensitive,
            allowed,
            gen,
            gen_values,
            group_loss,
            avg_loss,
            shifts,
            masks,
            lift,
            columns,
            counts,
            diverse,
            base_values: h.columns[..quasi].iter().map(|c| c.values.clone()).collect(),
        })
    }

    fn quasi(&self) -> usize {
        self.gen.len()
    }

    /// The loss of `levels` if nothing were suppressed: a lower bound of its real loss.
    fn lower_bound(&self, levels: &[usize]) -> f64 {
        let n = self.quasi();
        if n == 0 {
            return 0.0;
        }
        levels.iter().zip(&self.avg_loss).map(|(&lv, avg)| avg[lv]).sum::<f64>() / n as f64
    }

    /// Group the distinct tuples into classes at `levels`, directly or from the classes of a
    /// finer node (`from`): the classes' packed keys, record counts and (when l-diversity is
    /// on) smallest distinct values, in the order of each class's first tuple. Both ways give
    /// the same classes, since every class of a node is a union of classes of any finer node.
    ///
    /// Over many rows the two halves of the key space are grouped on two threads and merged
    /// back into that order, so the result is the same as one pass's: the search evaluates
    /// generalisations one after another, and this grouping is most of each evaluation.
    fn classes(&self, levels: &[usize], from: Source<'_>) -> Classes {
        let keys = self.keys(levels, from);
        if keys.len() < PARALLEL_TUPLES {
            return self.classes_where(&keys, from, |_| true);
        }
        let half = |key: u128| (fold_key(key) >> 63) == 1;
        let (low, high) = rayon::join(
            || self.classes_where(&keys, from, |key| !half(key)),
            || self.classes_where(&keys, from, half),
        );
        merge_in_first_order(low, high, self.sensitive * self.l)
    }

    /// The class key at `levels` of every row of `from`, on every core.
    fn keys(&self, levels: &[usize], from: Source<'_>) -> Vec<u128> {
        let rows = match from {
            Source::Tuples => self.counts.len(),
            Source::Finer(finer) => finer.classes.counts.len(),
        };
        let mut keys = vec![0u128; rows];
        keys.par_chunks_mut(KEYS_PER_TASK).enumerate().for_each(|(task, out)| {
            let start = task * KEYS_PER_TASK;
            match from {
                Source::Tuples => self.tuple_keys(levels, start, out),
                Source::Finer(finer) => self.lifted_keys(levels, finer, start, out),
            }
        });
        keys
    }

    /// The keys at `levels` of the tuples from `start` on, a quasi-identifier at a time over
    /// blocks of rows small enough that the keys stay in cache between columns.
    fn tuple_keys(&self, levels: &[usize], start: usize, out: &mut [u128]) {
        for (block, keys) in out.chunks_mut(KEYS_PER_BLOCK).enumerate() {
            let from = start + block * KEYS_PER_BLOCK;
            for ((column, gen), (&level, &shift)) in
                self.columns.iter().zip(&self.gen).zip(levels.iter().zip(&self.shifts))
            {
                let table = &gen[level][..];
                for (key, &id) in keys.iter_mut().zip(&column[from..]) {
                    *key |= u128::from(table[id as usize]) << shift;
                }
            }
        }
    }

    /// The keys at `levels` of the classes of `finer` from `start` on: each of its keys with
    /// the ids of the quasi-identifiers generalised further lifted to their level.
    fn lifted_keys(&self, levels: &[usize], finer: &Grouping, start: usize, out: &mut [u128]) {
        let mut same = 0u128;
        let mut lifted = Vec::new();
        for (d, (&level, &was)) in levels.iter().zip(&finer.levels).enumerate() {
            if level == was {
                same |= self.masks[d] << self.shifts[d];
            } else {
                lifted.push((&self.lift[d][was][level][..], self.shifts[d], self.masks[d]));
            }
        }
        for (key, &finer_key) in out.iter_mut().zip(&finer.classes.keys[start..]) {
            *key = finer_key & same;
            for &(table, shift, mask) in &lifted {
                let id = ((finer_key >> shift) & mask) as usize;
                *key |= u128::from(table[id]) << shift;
            }
        }
    }

    /// The classes of the rows of `from` whose key (in `keys`) `keep` takes.
    fn classes_where(
        &self,
        keys: &[u128],
        from: Source<'_>,
        keep: impl Fn(u128) -> bool,
    ) -> Classes {
        match from {
            Source::Tuples => self.group(keys, &self.counts, &self.diverse, None, keep),
            Source::Finer(finer) => {
                let c = &finer.classes;
                self.group(keys, &c.counts, &c.diverse, Some(&c.first), keep)
            }
        }
    }

    /// Group rows (tuples, or a finer node's classes) by their keys, in row order; `first` is
    /// each row's first tuple (a tuple is its own).
    fn group(
        &self,
        keys: &[u128],
        counts: &[u64],
        diverse: &[u32],
        first: Option<&[u32]>,
        keep: impl Fn(u128) -> bool,
    ) -> Classes {
        let width = self.sensitive * self.l;
        // Small to start with: most nodes have far fewer classes than rows, and a large table
        // would be fresh pages to fault in at every evaluation.
        let mut index: HashMap<u128, u32, RandomState> =
            HashMap::with_capacity_and_hasher(counts.len().min(1 << 12), RandomState::default());
        let mut c = Classes::default();
        for (row, (&key, &count)) in keys.iter().zip(counts).enumerate() {
            if !keep(key) {
                continue;
            }
            let next = c.counts.len() as u32;
            let class = *index.entry(key).or_insert(next) as usize;
            if class == c.counts.len() {
                c.keys.push(key);
                c.counts.push(0);
                c.diverse.resize(c.diverse.len() + width, u32::MAX);
                c.first.push(first.map_or(row as u32, |f| f[row]));
            }
            c.counts[class] += count;
            if width > 0 {
                let from = &diverse[row * width..row * width + width];
                let into = &mut c.diverse[class * width..class * width + width];
                for (src, dst) in from.chunks_exact(self.l).zip(into.chunks_exact_mut(self.l)) {
                    for &v in src.iter().take_while(|&&v| v != u32::MAX) {
                        if !insert_smallest(dst, v) {
                            break; // the rest of `src` is larger still
                        }
                    }
                }
            }
        }
        c
    }

    /// Whether a class of `classes` is released (large and diverse enough).
    fn released(&self, classes: &Classes, class: usize) -> bool {
        let width = self.sensitive * self.l;
        classes.counts[class] >= self.k
            && (width == 0
                || classes.diverse[class * width..class * width + width]
                    .chunks_exact(self.l)
                    .all(|set| set[self.l - 1] != u32::MAX))
    }

    /// How the node at `levels`, whose classes are `classes`, does.
    fn evaluate(&self, levels: &[usize], classes: &Classes) -> Eval {
        let n = self.quasi();
        let losses: Vec<&[f64]> =
            self.group_loss.iter().zip(levels).map(|(g, &lv)| &g[lv][..]).collect();
        let mut eval = Eval::default();
        let mut cell_loss = 0.0;
        for (class, (&count, &key)) in classes.counts.iter().zip(&classes.keys).enumerate() {
            if self.released(classes, class) {
                eval.classes += 1;
                eval.smallest = if eval.classes == 1 { count } else { eval.smallest.min(count) };
                let mut loss = 0.0;
                for ((table, &shift), &mask) in losses.iter().zip(&self.shifts).zip(&self.masks) {
                    loss += table[((key >> shift) & mask) as usize];
                }
                cell_loss += loss * count as f64;
            } else {
                eval.suppressed += count;
            }
        }
        eval.passes = eval.suppressed <= self.allowed;
        let cells = self.records as f64 * n as f64;
        eval.loss = if cells == 0.0 {
            0.0
        } else {
            (cell_loss + eval.suppressed as f64 * n as f64) / cells
        };
        eval
    }

    fn solution(
        &self,
        levels: &[usize],
        classes: &Classes,
        eval: &Eval,
        nodes_evaluated: u64,
        lattice_size: u64,
        ladders: &[Ladder],
    ) -> Solution {
        let suppressed_classes = (0..classes.counts.len())
            .filter(|&c| !self.released(classes, c))
            .map(|c| classes.keys[c])
            .collect();
        let release = (0..self.quasi())
            .map(|d| {
                let table = &self.gen[d][levels[d]];
                ReleaseColumn {
                    ids: self.base_values[d].iter().cloned().zip(table.iter().copied()).collect(),
                    values: self.gen_values[d][levels[d]].clone(),
                }
            })
            .collect();
        Solution {
            levels: levels.to_vec(),
            suppressed: eval.suppressed,
            classes: eval.classes,
            smallest_class: eval.smallest,
            loss: eval.loss,
            nodes_evaluated,
            lattice_size,
            records: self.records,
            names: ladders.iter().map(|l| l.name.clone()).collect(),
            release,
            shifts: self.shifts.clone(),
            suppressed_classes,
        }
    }
}

/// The classes of one node: packed keys, record counts, the `l` smallest distinct values of
/// each sensitive attribute (ascending, `u32::MAX` for an empty slot), and each class's first
/// tuple; in the order of that tuple.
#[derive(Debug, Default, PartialEq)]
struct Classes {
    keys: Vec<u128>,
    counts: Vec<u64>,
    diverse: Vec<u32>,
    first: Vec<u32>,
}

impl Classes {
    /// Bytes held, for the budget of kept groupings.
    fn bytes(&self) -> usize {
        self.keys.len() * 16 + self.counts.len() * 8 + self.diverse.len() * 4 + self.first.len() * 4
    }
}

/// What a node's classes are grouped from.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// The distinct level-0 tuples.
    Tuples,
    /// The classes of a node at least as fine in every quasi-identifier.
    Finer(&'a Grouping),
}

/// The classes of an evaluated node, kept to group coarser nodes from.
struct Grouping {
    levels: Vec<usize>,
    classes: Classes,
}

/// `[from][to]` → the id at level `to` of each id at level `from` (`to > from`; empty
/// otherwise), from a ladder's level tables. A hierarchy (checked) maps each group to one.
fn lift_tables(gen: &[Vec<u32>]) -> Vec<Vec<Vec<u32>>> {
    (0..gen.len())
        .map(|from| {
            (0..gen.len())
                .map(|to| {
                    if to <= from {
                        return Vec::new();
                    }
                    let ids = gen[from].iter().map(|&g| g as usize + 1).max().unwrap_or(0);
                    let mut table = vec![0u32; ids];
                    for (&lower, &upper) in gen[from].iter().zip(&gen[to]) {
                        table[lower as usize] = upper;
                    }
                    table
                })
                .collect()
        })
        .collect()
}

/// Distinct tuples from which a grouping runs on two threads: below it, a thread costs more
/// than it saves.
const PARALLEL_TUPLES: usize = 1 << 15;

/// Keys built per parallel task.
const KEYS_PER_TASK: usize = 1 << 14;
/// Keys built a column at a time within a task: 32 KiB of keys, which stay in the L1 cache.
const KEYS_PER_BLOCK: usize = 1 << 11;

/// A class key folded to 64 well-mixed bits, to split the key space in two (fixed, so the
/// split is the same on every run).
fn fold_key(key: u128) -> u64 {
    ((key as u64) ^ ((key >> 64) as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Two groupings of disjoint key sets as one, each class where the one-pass grouping puts it:
/// in the order of its first tuple (both inputs are already in that order).
fn merge_in_first_order(a: Classes, b: Classes, width: usize) -> Classes {
    let total = a.keys.len() + b.keys.len();
    let mut out = Classes {
        keys: Vec::with_capacity(total),
        counts: Vec::with_capacity(total),
        diverse: Vec::with_capacity(a.diverse.len() + b.diverse.len()),
        first: Vec::with_capacity(total),
    };
    let (mut i, mut j) = (0, 0);
    while i < a.keys.len() || j < b.keys.len() {
        let take_a = j == b.keys.len() || (i < a.keys.len() && a.first[i] < b.first[j]);
        let (from, at) = if take_a { (&a, i) } else { (&b, j) };
        out.keys.push(from.keys[at]);
        out.counts.push(from.counts[at]);
        out.first.push(from.first[at]);
        out.diverse.extend_from_slice(&from.diverse[at * width..at * width + width]);
        if take_a {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Keep in `set` (ascending, `u32::MAX` for a free slot) the smallest distinct values seen,
/// `v` among them: the same set whatever order the values come in, so classes grouped from
/// tuples or from a finer node's classes are equal. Whether `set` could take `v` (false when
/// it is full of smaller values).
fn insert_smallest(set: &mut [u32], v: u32) -> bool {
    let Some(at) = set.iter().position(|&slot| slot >= v) else { return false };
    if set[at] != v {
        set.copy_within(at..set.len() - 1, at + 1);
        set[at] = v;
    }
    true
}

/// Refuse a ladder whose level `level` splits a group of level `level - 1`.
fn check_hierarchy(ladder: &Ladder, level: usize, below: &[u32], table: &[u32]) -> Result<()> {
    let mut up = vec![u32::MAX; below.iter().map(|&g| g as usize + 1).max().unwrap_or(0)];
    for (&lower, &upper) in below.iter().zip(table) {
        let slot = &mut up[lower as usize];
        if *slot == u32::MAX {
            *slot = upper;
        } else if *slot != upper {
            return Err(Error::config(
                POLICY,
                format!(
                    "the ladder of `{}` is not a hierarchy: level {level} splits values that \
                     level {} groups together; every level must coarsen the one below",
                    ladder.name,
                    level - 1
                ),
            ));
        }
    }
    Ok(())
}

/// The lattice of level vectors, numbered in mixed radix with the first quasi-identifier most
/// significant, so that numeric order is lexicographic order of the levels.
struct Lattice {
    levels: Vec<usize>,
    strides: Vec<usize>,
    size: usize,
}

impl Lattice {
    fn new(ladders: &[Ladder]) -> Result<Lattice> {
        let levels: Vec<usize> = ladders.iter().map(|l| l.levels.max(1)).collect();
        let mut strides = vec![1; levels.len()];
        let mut size = 1usize;
        for d in (0..levels.len()).rev() {
            strides[d] = size;
            size = size.saturating_mul(levels[d]);
        }
        if size > MAX_NODES {
            return Err(Error::config(
                POLICY,
                format!(
                    "the generalisation lattice has {size} nodes (the product of the ladders' \
                     levels), more than {MAX_NODES}; use fewer quasi-identifiers or ladders with \
                     fewer levels"
                ),
            ));
        }
        Ok(Lattice { levels, strides, size })
    }

    fn level(&self, node: usize, d: usize) -> usize {
        node / self.strides[d] % self.levels[d]
    }

    fn levels_of(&self, node: usize) -> Vec<usize> {
        (0..self.levels.len()).map(|d| self.level(node, d)).collect()
    }

    fn height(&self, node: usize) -> usize {
        (0..self.levels.len()).map(|d| self.level(node, d)).sum()
    }

    /// The nodes one step more general than `node`.
    fn up(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.levels.len())
            .filter(move |&d| self.level(node, d) + 1 < self.levels[d])
            .map(move |d| node + self.strides[d])
    }

    /// The nodes one step more specific than `node`.
    fn down(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.levels.len())
            .filter(move |&d| self.level(node, d) > 0)
            .map(move |d| node - self.strides[d])
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Unknown,
    Pass,
    Fail,
}

struct Search<'a> {
    prepared: &'a Prepared,
    lattice: &'a Lattice,
    status: Vec<Status>,
    evals: HashMap<usize, Eval>,
    evaluated: u64,
    least_suppressed: Option<u64>,
    /// Classes of evaluated nodes, to group coarser ones from (within [`GROUPINGS_BYTES`]).
    groupings: Vec<Grouping>,
}

/// Memory for the classes of evaluated nodes kept to group coarser nodes from.
const GROUPINGS_BYTES: usize = 64 << 20;

impl<'a> Search<'a> {
    fn new(prepared: &'a Prepared, lattice: &'a Lattice) -> Search<'a> {
        Search {
            prepared,
            lattice,
            status: vec![Status::Unknown; lattice.size],
            evals: HashMap::new(),
            evaluated: 0,
            least_suppressed: None,
            groupings: Vec::new(),
        }
    }

    /// The cheapest way to group the node at `levels`: the kept node with the fewest classes
    /// among those at least as fine in every quasi-identifier, or the tuples.
    fn source(&self, levels: &[usize]) -> Source<'_> {
        self.groupings
            .iter()
            .filter(|g| g.levels.iter().zip(levels).all(|(was, lv)| was <= lv))
            .min_by_key(|g| g.classes.counts.len())
            .map_or(Source::Tuples, Source::Finer)
    }

    /// The classes of the node at `levels`.
    fn classes(&self, levels: &[usize]) -> Classes {
        self.prepared.classes(levels, self.source(levels))
    }

    /// Keep `classes` to group coarser nodes from, if they are few enough to save work;
    /// within the budget, the groupings with the most classes go first.
    fn keep(&mut self, levels: Vec<usize>, classes: Classes) {
        if classes.counts.len() * 2 > self.prepared.counts.len() {
            return;
        }
        self.groupings.push(Grouping { levels, classes });
        self.groupings.sort_by_key(|g| g.classes.counts.len());
        let mut total: usize = self.groupings.iter().map(|g| g.classes.bytes()).sum();
        while total > GROUPINGS_BYTES {
            let Some(largest) = self.groupings.pop() else { break };
            total -= largest.classes.bytes();
        }
    }

    fn record(&mut self, node: usize, eval: Eval) {
        self.evaluated += 1;
        self.least_suppressed =
            Some(self.least_suppressed.map_or(eval.suppressed, |s| s.min(eval.suppressed)));
        self.evals.insert(node, eval);
        if eval.passes {
            self.tag(node, Status::Pass);
        } else {
            self.tag(node, Status::Fail);
        }
    }

    fn evaluate(&mut self, node: usize) -> Eval {
        if let Some(&eval) = self.evals.get(&node) {
            return eval;
        }
        let levels = self.lattice.levels_of(node);
        let classes = self.classes(&levels);
        let eval = self.prepared.evaluate(&levels, &classes);
        self.record(node, eval);
        self.keep(levels, classes);
        eval
    }

    /// Tag `node` and, by monotonicity, its whole up-set (pass) or down-set (fail). Tagged sets
    /// are always closed, so the walk stops at nodes already carrying the tag.
    fn tag(&mut self, node: usize, status: Status) {
        self.status[node] = status;
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            let next: Vec<usize> = if status == Status::Pass {
                self.lattice.up(n).collect()
            } else {
                self.lattice.down(n).collect()
            };
            for m in next {
                if self.status[m] != status {
                    self.status[m] = status;
                    stack.push(m);
                }
            }
        }
    }

    /// Settle every node as passing or failing (Flash-style binary search on upward paths).
    fn classify(&mut self) {
        let mut order: Vec<usize> = (0..self.lattice.size).collect();
        order.sort_by_key(|&n| (self.lattice.height(n), n));
        for start in order {
            if self.status[start] != Status::Unknown {
                continue;
            }
            let mut path = vec![start];
            let mut current = start;
            while let Some(next) =
                self.lattice.up(current).find(|&m| self.status[m] == Status::Unknown)
            {
                path.push(next);
                current = next;
            }
            let (mut lo, mut hi) = (0usize, path.len());
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                let passes = match self.status[path[mid]] {
                    Status::Pass => true,
                    Status::Fail => false,
                    Status::Unknown => self.evaluate(path[mid]).passes,
                };
                if passes {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            // The tags of the last pass and the last failure settle the whole path; this loop
            // only guards that invariant.
            for &node in &path {
                if self.status[node] == Status::Unknown {
                    self.evaluate(node);
                }
            }
        }
    }

    /// The passing node with the least loss, visiting nodes by their loss lower bound.
    fn optimise(&mut self) -> Option<(usize, Eval)> {
        let lattice = self.lattice;
        let prepared = self.prepared;
        let mut candidates: Vec<(f64, usize, usize)> = (0..lattice.size)
            .filter(|&n| self.status[n] == Status::Pass)
            .map(|n| (prepared.lower_bound(&lattice.levels_of(n)), lattice.height(n), n))
            .collect();
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let batch = rayon::current_num_threads().max(1) * 2;
        let mut best: Option<(usize, Eval)> = None;
        let mut i = 0;
        while i < candidates.len() {
            let bound = best.map_or(f64::INFINITY, |(_, e)| e.loss + EPSILON);
            if candidates[i].0 > bound {
                break;
            }
            let end = candidates[i..].iter().take(batch).take_while(|c| c.0 <= bound).count() + i;
            let todo: Vec<usize> = candidates[i..end]
                .iter()
                .map(|c| c.2)
                .filter(|n| !self.evals.contains_key(n))
                .collect();
            let fresh: Vec<(usize, Eval, Vec<usize>, Classes)> = todo
                .par_iter()
                .map(|&n| {
                    let levels = lattice.levels_of(n);
                    let classes = self.classes(&levels);
                    (n, prepared.evaluate(&levels, &classes), levels, classes)
                })
                .collect();
            for (n, eval, levels, classes) in fresh {
                self.record(n, eval);
                self.keep(levels, classes);
            }
            for &(_, height, n) in &candidates[i..end] {
                let Some(&eval) = self.evals.get(&n) else { continue };
                if !eval.passes {
                    continue; // cannot happen by monotonicity; never choose a failing node
                }
                let better = match best {
                    None => true,
                    Some((b, be)) => {
                        if eval.loss < be.loss - EPSILON {
                            true
                        } else if eval.loss <= be.loss + EPSILON {
                            (height, n) < (lattice.height(b), b)
                        } else {
                            false
                        }
                    }
                };
                if better {
                    best = Some((n, eval));
                }
            }
            i = end;
        }
        best
    }

    fn impossible(&self, s: &Settings) -> Error {
        let records = self.prepared.records;
        let least = self.least_suppressed.unwrap_or(records);
        let model = match s.l {
            Some(l) if l > 1 => format!("{}-anonymity with {l}-diversity", s.k),
            _ => format!("{}-anonymity", s.k),
        };
        Error::config(
            POLICY,
            format!(
                "cannot reach {model}: the best generalisation still has to suppress {least} of \
                 {records} records ({:.1}%), more than the maximum suppression of {:.1}%; raise \
                 the maximum suppression, give the quasi-identifiers coarser ladders (up to `*`), \
                 or use fewer quasi-identifiers",
                share(least, records) * 100.0,
                s.max_suppression * 100.0
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// Ages 10..=13: the age, a two-year band, `*`.
    fn age() -> Ladder {
        Ladder::new("age", 3, |v, level| match level {
            0 => v.to_string(),
            1 => match v {
                "10" | "11" => "10-11".to_string(),
                _ => "12-13".to_string(),
            },
            _ => "*".to_string(),
        })
    }

    fn sex() -> Ladder {
        Ladder::new("sex", 2, |v, level| if level == 0 { v.to_string() } else { "*".to_string() })
    }

    fn histogram(rows: &[(&str, &str, usize)]) -> Histogram {
        let mut h = Histogram::new(2, 0);
        for &(a, s, n) in rows {
            for _ in 0..n {
                h.add(&[a, s], &[]);
            }
        }
        h
    }

    /// 12 records; at level (0,0) three records sit alone in their class.
    fn table_a() -> Histogram {
        histogram(&[
            ("10", "M", 2),
            ("11", "M", 1),
            ("10", "F", 1),
            ("11", "F", 2),
            ("12", "M", 3),
            ("13", "F", 2),
            ("12", "F", 1),
        ])
    }

    /// 12 records; at level (0,0) two records sit alone.
    fn table_b() -> Histogram {
        histogram(&[
            ("10", "M", 2),
            ("10", "F", 2),
            ("11", "M", 2),
            ("11", "F", 2),
            ("12", "M", 2),
            ("12", "F", 1),
            ("13", "F", 1),
        ])
    }

    fn settings(k: u64, l: Option<u64>, max_suppression: f64) -> Settings {
        Settings { k, l, max_suppression }
    }

    fn strings(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    /// Tuples over two quasi-identifiers of `a` and `b` values, with levels 1 and 2 merging
    /// them in tens and in hundreds, one sensitive attribute with l = 2.
    fn random_prepared(a: u32, b: u32, tuples_n: usize) -> Prepared {
        let levels = |size: u32| -> Vec<Vec<u32>> {
            vec![
                (0..size).collect(),
                (0..size).map(|v| v / 10).collect(),
                (0..size).map(|v| v / 100).collect(),
            ]
        };
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |bound: u32| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % u64::from(bound)) as u32
        };
        let columns: Vec<Vec<u32>> = {
            let pairs: Vec<[u32; 2]> = (0..tuples_n).map(|_| [next(a), next(b)]).collect();
            vec![pairs.iter().map(|p| p[0]).collect(), pairs.iter().map(|p| p[1]).collect()]
        };
        let counts: Vec<u64> = (0..tuples_n).map(|_| u64::from(next(4)) + 1).collect();
        let diverse: Vec<u32> = (0..tuples_n)
            .flat_map(|_| {
                let (x, y) = (next(5), next(5));
                match next(3) {
                    0 => [x, u32::MAX],
                    _ if x == y => [x, u32::MAX],
                    _ => [x.min(y), x.max(y)],
                }
            })
            .collect();
        let gen = vec![levels(a), levels(b)];
        Prepared {
            records: counts.iter().sum(),
            k: 2,
            l: 2,
            sensitive: 1,
            allowed: 0,
            lift: gen.iter().map(|g| lift_tables(g)).collect(),
            gen,
            gen_values: Vec::new(),
            group_loss: Vec::new(),
            avg_loss: Vec::new(),
            shifts: vec![0, 32],
            masks: vec![(1 << 9) - 1, (1 << 8) - 1],
            columns,
            counts,
            diverse,
            base_values: Vec::new(),
        }
    }

    #[test]
    fn grouping_on_two_threads_gives_the_one_pass_classes_in_the_same_order() {
        let prepared = random_prepared(300, 200, PARALLEL_TUPLES + 5_000);
        for levels in [[0, 0], [1, 0], [1, 1]] {
            let keys = prepared.keys(&levels, Source::Tuples);
            let one_pass = prepared.classes_where(&keys, Source::Tuples, |_| true);
            let two_threads = prepared.classes(&levels, Source::Tuples);
            assert!(one_pass.keys.len() > 1, "{levels:?}");
            assert_eq!(two_threads, one_pass, "{levels:?}");
        }
    }

    #[test]
    fn grouping_from_a_finer_node_gives_the_classes_grouping_the_tuples_gives() {
        let prepared = random_prepared(300, 200, 50_000);
        let nodes = [[0, 0], [1, 0], [0, 1], [1, 1], [2, 0], [1, 2], [2, 2]];
        for finer in nodes {
            let grouping = Grouping {
                levels: finer.to_vec(),
                classes: prepared.classes(&finer, Source::Tuples),
            };
            for coarser in nodes.iter().filter(|n| n.iter().zip(&finer).all(|(c, f)| c >= f)) {
                let direct = prepared.classes(coarser, Source::Tuples);
                let rolled = prepared.classes(coarser, Source::Finer(&grouping));
                assert!(direct.keys.len() > 1, "{coarser:?}");
                assert_eq!(rolled, direct, "{finer:?} → {coarser:?}");
                let full =
                    (0..direct.counts.len()).filter(|&c| direct.diverse[2 * c + 1] != u32::MAX);
                assert!(full.count() > 0, "some classes reach l = 2 at {coarser:?}");
            }
        }
    }

    #[test]
    fn a_diverse_set_keeps_the_smallest_values_whatever_their_order() {
        let mut set = [u32::MAX; 3];
        for v in [7, 3, 9, 3, 1, 8] {
            insert_smallest(&mut set, v);
        }
        assert_eq!(set, [1, 3, 7]);
        assert!(!insert_smallest(&mut set, 8), "full of smaller values");
        assert!(insert_smallest(&mut set, 3), "already there");
        assert_eq!(set, [1, 3, 7]);
    }

    #[test]
    fn histogram_counts_distinct_combinations_and_merges() {
        let h = table_a();
        assert_eq!((h.records(), h.combinations()), (12, 7));
        let mut left = histogram(&[("10", "M", 2), ("11", "F", 1)]);
        let right = histogram(&[("11", "F", 1), ("13", "F", 2), ("10", "M", 1)]);
        left.merge(right);
        assert_eq!((left.records(), left.combinations()), (7, 3));
        assert_eq!(
            format!("{left:?}"),
            "Histogram { quasi: 2, sensitive: 0, records: 7, combinations: 3 }"
        );
    }

    #[test]
    fn generalising_age_beats_generalising_sex_without_suppression() {
        // (0,0) suppresses 3 > 0. (1,0): bands × sex = 3,3,3,3, loss 12·(1/3)/24 = 1/6.
        // (0,1): ages 3,3,4,2, loss 12·1/24 = 1/2. (1,0) wins.
        let s = anonymise(&table_a(), &[age(), sex()], &settings(2, None, 0.0)).unwrap();
        assert_eq!(s.levels, vec![1, 0]);
        assert_eq!((s.suppressed, s.classes, s.smallest_class), (0, 4, 3));
        assert!((s.loss - 1.0 / 6.0).abs() < 1e-9, "{}", s.loss);
        assert_eq!(s.release(&["10", "M"]), strings(&["10-11", "M"]));
        assert_eq!(s.release(&["13", "F"]), strings(&["12-13", "F"]));
        assert_eq!(s.generalisation(), vec![("age".to_string(), 1), ("sex".to_string(), 0)]);
        assert_eq!(s.lattice_size, 6);
    }

    #[test]
    fn allowed_suppression_that_costs_more_is_not_taken() {
        // (0,0) now passes (3 ≤ 3 allowed) but loses 3·2/24 = 1/4 > 1/6.
        let s = anonymise(&table_a(), &[age(), sex()], &settings(2, None, 0.25)).unwrap();
        assert_eq!((s.levels.clone(), s.suppressed), (vec![1, 0], 0));
    }

    #[test]
    fn larger_k_forces_coarser_nodes() {
        // k=4: (1,0) has classes of 3, (0,1) has 13 alone with 2; (2,0) loses 1/2 and
        // (1,1) loses (4 + 12)/24 = 2/3.
        let s = anonymise(&table_a(), &[age(), sex()], &settings(4, None, 0.0)).unwrap();
        assert_eq!(s.levels, vec![2, 0]);
        assert_eq!((s.suppressed, s.classes, s.smallest_class), (0, 2, 6));
        assert_eq!(s.release(&["11", "F"]), strings(&["*", "F"]));
    }

    #[test]
    fn equal_loss_goes_to_the_lower_node_and_suppressed_records_are_not_released() {
        // (0,0) suppresses 12F and 13F: loss 2·2/24 = 1/6; (1,0) also loses 12·(1/3)/24 = 1/6.
        let s = anonymise(&table_b(), &[age(), sex()], &settings(2, None, 0.2)).unwrap();
        assert_eq!(s.levels, vec![0, 0]);
        assert_eq!((s.suppressed, s.classes, s.smallest_class), (2, 5, 2));
        assert_eq!(s.release(&["12", "F"]), None);
        assert_eq!(s.release(&["13", "F"]), None);
        assert_eq!(s.release(&["12", "M"]), strings(&["12", "M"]));
        // A value never counted in pass 1 is never released.
        assert_eq!(s.release(&["99", "M"]), None);
        // One record allowed (floor of 12 · 0.1): (0,0) fails, (1,0) wins.
        let s = anonymise(&table_b(), &[age(), sex()], &settings(2, None, 0.1)).unwrap();
        assert_eq!((s.levels.clone(), s.suppressed), (vec![1, 0], 0));
    }

    fn table_c() -> Histogram {
        let mut h = Histogram::new(1, 1);
        for (a, kind) in [
            ("10", "a"),
            ("10", "a"),
            ("11", "b"),
            ("11", "b"),
            ("12", "a"),
            ("12", "b"),
            ("13", "a"),
            ("13", "a"),
        ] {
            h.add(&[a], &[kind]);
        }
        h
    }

    #[test]
    fn l_diversity_suppresses_uniform_classes() {
        // Level 0: only 12 has two kinds, 6 of 8 would go. Level 1: both bands have {a, b}.
        let s = anonymise(&table_c(), &[age()], &settings(2, Some(2), 0.5)).unwrap();
        assert_eq!((s.levels.clone(), s.suppressed, s.classes), (vec![1], 0, 2));
        // Without l the ages are released as they are.
        let s = anonymise(&table_c(), &[age()], &settings(2, None, 0.0)).unwrap();
        assert_eq!(s.levels, vec![0]);
        // With 6 of 8 allowed, level 0 passes with loss 6/8 > 1/3: level 1 still wins.
        let s = anonymise(&table_c(), &[age()], &settings(2, Some(2), 0.75)).unwrap();
        assert_eq!(s.levels, vec![1]);
    }

    #[test]
    fn impossible_settings_error_with_the_best_suppression_and_what_to_do() {
        let e = anonymise(&table_c(), &[age()], &settings(2, Some(3), 0.0)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "policy: cannot reach 2-anonymity with 3-diversity: the best generalisation still has \
             to suppress 8 of 8 records (100.0%), more than the maximum suppression of 0.0%; \
             raise the maximum suppression, give the quasi-identifiers coarser ladders (up to \
             `*`), or use fewer quasi-identifiers"
        );
        let e = anonymise(&table_a(), &[age(), sex()], &settings(13, None, 0.05)).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "policy: cannot reach 13-anonymity: the best \
             generalisation still has to suppress 12 of 12 records (100.0%), more than the \
             maximum suppression of 5.0%"
            ),
            "{e}"
        );
    }

    #[test]
    fn unusable_ladders_and_settings_are_refused() {
        let h = table_a();
        let e = anonymise(&h, &[age()], &settings(2, None, 0.0)).unwrap_err();
        assert!(e.to_string().contains("1 generalisation ladders for 2 quasi-identifiers"), "{e}");
        let split = Ladder::new("sex", 3, |v, level| match level {
            0 | 2 => v.to_string(),
            _ => "*".to_string(),
        });
        let e = anonymise(&h, &[age(), split], &settings(2, None, 0.0)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "policy: the ladder of `sex` is not a hierarchy: level 2 splits values that level 1 \
             groups together; every level must coarsen the one below"
        );
        let e = anonymise(&h, &[age(), sex()], &settings(2, None, 1.5)).unwrap_err();
        assert!(e.to_string().contains("between 0 and 1"), "{e}");
        let e = anonymise(&h, &[age(), sex()], &settings(2, Some(2), 0.0)).unwrap_err();
        assert!(e.to_string().contains("needs at least one sensitive attribute"), "{e}");
    }

    #[test]
    fn empty_data_is_trivially_anonymous() {
        let s = anonymise(&Histogram::new(2, 0), &[age(), sex()], &settings(5, None, 0.0)).unwrap();
        assert_eq!(
            (s.levels.clone(), s.suppressed, s.classes, s.smallest_class),
            (vec![0, 0], 0, 0, 0)
        );
    }

    /// Small-integer ladder for the property test: v, v/2, v/4, `*`.
    fn halving(name: &str) -> Ladder {
        Ladder::new(name, 4, |v, level| {
            let n: u32 = v.parse().unwrap_or(0);
            match level {
                0 => n.to_string(),
                1 => format!("h{}", n / 2),
                2 => format!("q{}", n / 4),
                _ => "*".to_string(),
            }
        })
    }

    /// Brute force over every node, straight from the definitions, on strings.
    fn brute(
        rows: &[(Vec<String>, String)],
        ladders: &[Ladder],
        s: &Settings,
    ) -> Option<(Vec<usize>, u64, f64)> {
        let n = ladders.len();
        let domains: Vec<BTreeSet<&str>> =
            (0..n).map(|d| rows.iter().map(|r| r.0[d].as_str()).collect()).collect();
        let allowed = (s.max_suppression * rows.len() as f64).floor() as u64;
        let mut best: Option<(f64, usize, Vec<usize>, u64)> = None;
        let mut node = vec![0usize; n];
        loop {
            let mut classes: BTreeMap<Vec<String>, (u64, BTreeSet<&str>)> = BTreeMap::new();
            for (qi, sa) in rows {
                let key: Vec<String> =
                    (0..n).map(|d| (ladders[d].generalise)(&qi[d], node[d])).collect();
                let e = classes.entry(key).or_default();
                e.0 += 1;
                e.1.insert(sa);
            }
            let mut loss = 0.0;
            let mut suppressed = 0;
            for (key, (count, kinds)) in &classes {
                let ok = *count >= s.k && kinds.len() as u64 >= s.l.unwrap_or(0);
                if !ok {
                    suppressed += count;
                    loss += (*count * n as u64) as f64;
                    continue;
                }
                for d in 0..n {
                    let g = domains[d]
                        .iter()
                        .filter(|v| (ladders[d].generalise)(v, node[d]) == key[d])
                        .count();
                    let m = domains[d].len();
                    if m > 1 {
                        loss += *count as f64 * (g - 1) as f64 / (m - 1) as f64;
                    }
                }
            }
            let loss = if rows.is_empty() { 0.0 } else { loss / (rows.len() * n) as f64 };
            let height: usize = node.iter().sum();
            if suppressed <= allowed {
                let better = match &best {
                    None => true,
                    Some((bl, bh, bn, _)) => {
                        loss < bl - EPSILON || (loss <= bl + EPSILON && (height, &node) < (*bh, bn))
                    }
                };
                if better {
                    best = Some((loss, height, node.clone(), suppressed));
                }
            }
            // Next node in mixed radix.
            let mut d = n;
            loop {
                if d == 0 {
                    return best.map(|(loss, _, node, suppressed)| (node, suppressed, loss));
                }
                d -= 1;
                node[d] += 1;
                if node[d] < ladders[d].levels {
                    break;
                }
                node[d] = 0;
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn solution_is_k_anonymous_l_diverse_within_budget_and_optimal(
            rows in prop::collection::vec(((0u32..8, 0u32..8, 0u32..3), 0u32..3), 0..40),
            k in 1u64..5,
            l in prop::option::of(1u64..4),
            max in 0.0f64..0.3,
        ) {
            let ladders = [halving("a"), halving("b"), halving("c")];
            let rows: Vec<(Vec<String>, String)> = rows
                .iter()
                .map(|((a, b, c), kind)| {
                    (vec![a.to_string(), b.to_string(), c.to_string()], format!("k{kind}"))
                })
                .collect();
            let mut h = Histogram::new(3, 1);
            for (qi, sa) in &rows {
                let qi: Vec<&str> = qi.iter().map(String::as_str).collect();
                h.add(&qi, &[sa.as_str()]);
            }
            let s = settings(k, l, max);
            let expected = brute(&rows, &ladders, &s);
            match anonymise(&h, &ladders, &s) {
                Err(e) => prop_assert!(expected.is_none(), "{e} but brute force found {expected:?}"),
                Ok(solution) => {
                    let (levels, suppressed, loss) = expected.expect("brute force found none");
                    prop_assert_eq!(&solution.levels, &levels);
                    prop_assert_eq!(solution.suppressed, suppressed);
                    prop_assert!((solution.loss - loss).abs() < 1e-9);
                    let mut released: BTreeMap<Vec<String>, (u64, BTreeSet<&str>)> =
                        BTreeMap::new();
                    let mut none = 0;
                    for (qi, sa) in &rows {
                        let qi: Vec<&str> = qi.iter().map(String::as_str).collect();
                        match solution.release(&qi) {
                            None => none += 1,
                            Some(v) => {
                                let e = released.entry(v).or_default();
                                e.0 += 1;
                                e.1.insert(sa);
                            }
                        }
                    }
                    prop_assert_eq!(none, solution.suppressed);
                    prop_assert!(none as f64 <= max * rows.len() as f64);
                    prop_assert_eq!(released.len() as u64, solution.classes);
                    for (count, kinds) in released.values() {
                        prop_assert!(*count >= k);
                        prop_assert!(kinds.len() as u64 >= l.unwrap_or(0));
                    }
                }
            }
        }
    }
}
