//! The multi-file CSV join: child rows (grades, guardians, consents, …) attached to their pupil
//! by pupil id, in bounded memory.
//!
//! This module owns the join. It is a Grace hash join:
//!
//! * **in memory** when the child files together are under the budget (256 MiB by default):
//!   every child row is indexed by pupil id (its decoded text and position only, about 48
//!   bytes per row besides the text, parsed again when attached), then the pupil files are
//!   streamed in order and each pupil takes its rows (releasing their memory).
//!   Output order is the pupil files' order, then the orphans in child-file order.
//! * **through buckets** otherwise: pupil rows and child rows are first partitioned by a fixed
//!   hash of the pupil id into temporary bucket files (deleted on drop), as many buckets as it
//!   takes for one bucket's child rows to fit half the budget (at most 256); then bucket by
//!   bucket the child rows are indexed and the bucket's pupils streamed. Output order is bucket
//!   order — within a bucket, pupil-file order, then that bucket's orphans. The hash is fixed
//!   (FNV-1a), so the order is the same on every run and machine.
//!
//! One pupil is bounded too, whichever way the join runs: hashing cannot spread one pupil's
//! rows over buckets. The rows indexed for one pupil may cost at most
//! [`Limits::max_record_bytes`] (their text plus [`ROW_COST`] bytes each); rows past that go to
//! a temporary overflow file. Such a pupil, or one with a list over
//! [`Limits::max_list_items`], is rejected whole with [`Rule::RecordTooLarge`] and its rows
//! are not parsed: the pupil's record holds the rows that were indexed, and the overflow rows
//! follow at the end of the bucket in records of at most [`CHUNK_ROWS`] rows each, so memory
//! stays bounded and every row still reaches the rejects file.
//!
//! Accounting: every input row ends up in exactly one [`Record`]'s parts. A pupil takes its
//! child rows in child-file order, each as a [`Part`] with its own location and text; a child
//! row's problems are reported on the pupil's record at the child row's location. A child row
//! whose pupil id matches no pupil becomes its own record with a [`Rule::Orphan`] error. Two
//! pupils with the same id are both passed on (the validator reports the duplicate); the child
//! rows go to the first.

use super::csv::{assign, pupil_record, CsvFile, FilePlan, RawRow, RowIds, Splitter};
use super::fill::{Row, Shape};
use super::{Limits, Notice, Prefilter};
use crate::error::{Error, Location, Result};
use crate::model::record::{Part, Record, Rule, Severity};
use crate::model::{Entity, Pupil};
use serde::de::DeserializeOwned;
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::sync::Arc;

/// More buckets would mean more open temporary files than an operating system allows.
const MAX_BUCKETS: u64 = 256;

/// What an indexed child row costs besides its text (its [`StoredRow`], its member index and
/// allocation overhead), counted against the size limit of one pupil.
pub(crate) const ROW_COST: u64 = 64;

/// Rows per record when an oversized pupil's overflow rows are passed on to the rejects.
const CHUNK_ROWS: usize = 4096;

/// The joined records of a multi-file export.
pub(crate) struct Join {
    /// Plans of every file: the pupil files first, then the child files.
    plans: Vec<Arc<FilePlan>>,
    limits: Limits,
    /// Pupils none of whose rows it admits are counted on it, not built
    /// ([`ReadOptions::prefilter`](super::ReadOptions::prefilter)).
    prefilter: Option<Prefilter>,
    splitters: Splitters,
    current: Option<Bucket>,
    spooled: VecDeque<(SpoolReader, SpoolReader)>,
    notice: Notice,
    done: bool,
}

impl Join {
    /// Join `children` to `pupils`; `child_bytes` is the child files' total size, compared
    /// with `budget` to choose between memory and buckets.
    pub fn new(
        pupils: Vec<CsvFile>,
        children: Vec<CsvFile>,
        child_bytes: u64,
        limits: Limits,
        budget: u64,
        prefilter: Option<Prefilter>,
    ) -> Result<Join> {
        let plans: Vec<Arc<FilePlan>> =
            pupils.iter().chain(&children).map(|f| f.plan.clone()).collect();
        let source = plans.first().map(|p| p.source.to_string()).unwrap_or_default();
        let mut join = Join {
            plans,
            limits,
            prefilter,
            splitters: Splitters::default(),
            current: None,
            spooled: VecDeque::new(),
            notice: Notice::info(source, String::new()),
            done: false,
        };
        let first_child = pupils.len();
        if child_bytes <= budget {
            let mut index = ChildIndex::new(&limits);
            for (n, mut file) in children.into_iter().enumerate() {
                let plan = file.plan.clone();
                while let Some(row) = file.next_row()? {
                    let id = row_id(&plan, &mut join.splitters, &row.text);
                    index.push(first_child + n, id, row)?;
                }
            }
            join.notice.message = format!(
                "joined {} child file(s) to the pupils by pupil id in memory ({child_bytes} \
                 bytes, under the join budget of {} MiB)",
                join.plans.len() - first_child,
                budget >> 20
            );
            let files = pupils.into_iter().enumerate().collect();
            join.current = Some(Bucket::new(PupilRows::Files(files), index));
        } else {
            let buckets = child_bytes.saturating_mul(2).div_ceil(budget.max(1));
            let buckets = buckets.clamp(2, MAX_BUCKETS) as usize;
            join.spool(pupils, children, buckets)?;
            join.notice.message = format!(
                "the child files ({child_bytes} bytes) are over the join budget of {} MiB: \
                 joined through {buckets} temporary bucket files, so pupils come out grouped \
                 by bucket, not in the pupils file's order",
                budget >> 20
            );
        }
        Ok(join)
    }

    /// The join of rows already picked out of the files by a search's first scan
    /// ([`candidates`](super::candidates)): `pupils` (with their file numbers, in file order)
    /// take their child rows from `index`; the index's rows no pupil takes come out after them
    /// as orphans. Every row given is parsed.
    pub(crate) fn of_candidates(
        plans: Vec<Arc<FilePlan>>,
        limits: Limits,
        pupils: VecDeque<(usize, RawRow)>,
        index: ChildIndex,
        notice: Notice,
    ) -> Join {
        Join {
            plans,
            limits,
            prefilter: None,
            splitters: Splitters::default(),
            current: Some(Bucket::new(PupilRows::Held(pupils), index)),
            spooled: VecDeque::new(),
            notice,
            done: false,
        }
    }

    /// The notice describing how the join ran.
    pub fn notice(&self) -> Notice {
        self.notice.clone()
    }

    /// Spool every row into its bucket's file.
    fn spool(
        &mut self,
        pupils: Vec<CsvFile>,
        children: Vec<CsvFile>,
        buckets: usize,
    ) -> Result<()> {
        let spool_error = |e: io::Error| Error::io("temporary join file", e);
        let create = || -> Result<Vec<BufWriter<File>>> {
            (0..buckets)
                .map(|_| tempfile::tempfile().map(BufWriter::new).map_err(spool_error))
                .collect()
        };
        let (mut pupil_spools, mut child_spools) = (create()?, create()?);
        let first_child = pupils.len();
        let files = pupils.into_iter().chain(children).enumerate();
        for (n, mut file) in files {
            let plan = file.plan.clone();
            let spools = if n < first_child { &mut pupil_spools } else { &mut child_spools };
            while let Some(row) = file.next_row()? {
                let id = row_id(&plan, &mut self.splitters, &row.text);
                let bucket = (fnv1a(id.as_bytes()) % buckets as u64) as usize;
                if let Some(spool) = spools.get_mut(bucket) {
                    write_spooled(spool, n, &id, &row).map_err(spool_error)?;
                }
            }
        }
        for (pupils, children) in pupil_spools.into_iter().zip(child_spools) {
            let rewind = |w: BufWriter<File>| -> Result<SpoolReader> {
                let mut file = w.into_inner().map_err(|e| spool_error(e.into_error()))?;
                file.rewind().map_err(spool_error)?;
                Ok(SpoolReader(BufReader::new(file)))
            };
            self.spooled.push_back((rewind(pupils)?, rewind(children)?));
        }
        Ok(())
    }

    /// Load the next spooled bucket's child rows; `None` when no bucket is left.
    fn next_bucket(&mut self) -> Result<Option<Bucket>> {
        let Some((pupils, mut children)) = self.spooled.pop_front() else { return Ok(None) };
        let mut index = ChildIndex::new(&self.limits);
        while let Some((file, id, row)) = children.read(&self.plans)? {
            index.push(file, id, row)?;
        }
        Ok(Some(Bucket::new(PupilRows::Spool(pupils), index)))
    }
}

impl Iterator for Join {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        while !self.done {
            let bucket = match self.current.as_mut() {
                Some(bucket) => bucket,
                None => match self.next_bucket() {
                    Ok(Some(bucket)) => self.current.insert(bucket),
                    Ok(None) => {
                        self.done = true;
                        return None;
                    }
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                },
            };
            let context = Context {
                plans: &self.plans,
                limits: &self.limits,
                prefilter: self.prefilter.as_ref(),
            };
            match bucket.next(&context, &mut self.splitters) {
                Ok(Some(record)) => return Some(Ok(record)),
                Ok(None) => self.current = None,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

/// The pupil id a row names (its own id in a pupil file, its pupil in a child file), trimmed.
pub(crate) fn row_id(plan: &FilePlan, splitters: &mut Splitters, text: &str) -> String {
    let splitter = splitters.get(plan.delimiter);
    let cell = plan.id_column.and_then(|i| splitter.cell(text, i));
    cell.map(|c| c.trim().to_string()).unwrap_or_default()
}

/// FNV-1a: a fixed hash, so bucket order does not change between runs.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One splitter per delimiter in use (files of one export may differ).
#[derive(Default)]
pub(crate) struct Splitters(Vec<(u8, Splitter)>);

impl Splitters {
    pub(crate) fn get(&mut self, delimiter: u8) -> &mut Splitter {
        let at = match self.0.iter().position(|(d, _)| *d == delimiter) {
            Some(at) => at,
            None => {
                self.0.push((delimiter, Splitter::new(delimiter)));
                self.0.len() - 1
            }
        };
        &mut self.0[at].1
    }
}

/// Child rows grouped by pupil id, in file order.
///
/// Kept lean because it holds every child row of a bucket: about 48 bytes per row plus its
/// text, and one id per distinct pupil.
pub(crate) struct ChildIndex {
    rows: Vec<StoredRow>,
    groups: HashMap<Box<str>, u32>,
    /// Per group: its pupil id, its rows (indices into `rows`), whether a pupil took them.
    ids: Vec<Box<str>>,
    members: Vec<Vec<u32>>,
    matched: Vec<bool>,
    /// Per group: what its indexed rows cost (text plus [`ROW_COST`] each).
    cost: Vec<u64>,
    /// Per group: where it passed the size limit, if it did; its later rows are in `overflow`.
    oversized: Vec<Option<Location>>,
    /// Rows of oversized groups past the limit, in file order (created when first needed).
    overflow: Option<BufWriter<File>>,
    max_cost: u64,
}

/// A child row waiting for its pupil; its source name is its file's plan's.
struct StoredRow {
    file: u32,
    group: u32,
    record: u64,
    line: u64,
    byte: u64,
    text: Box<str>,
}

impl StoredRow {
    /// Take the row out (its text is moved, so memory is released as pupils take rows).
    fn take(&mut self, plans: &[Arc<FilePlan>]) -> Option<(Arc<FilePlan>, RawRow)> {
        let plan = plans.get(self.file as usize)?.clone();
        let location = plan.location(self.record, self.line, self.byte);
        let text = std::mem::take(&mut self.text).into_string();
        Some((plan, RawRow { location, text }))
    }
}

impl ChildIndex {
    pub(crate) fn new(limits: &Limits) -> ChildIndex {
        ChildIndex {
            rows: Vec::new(),
            groups: HashMap::new(),
            ids: Vec::new(),
            members: Vec::new(),
            matched: Vec::new(),
            cost: Vec::new(),
            oversized: Vec::new(),
            overflow: None,
            max_cost: limits.max_record_bytes as u64,
        }
    }

    pub(crate) fn push(&mut self, file: usize, pupil_id: String, row: RawRow) -> Result<()> {
        if self.rows.len() >= u32::MAX as usize {
            return Err(Error::limit(
                row.location,
                "child rows in one join bucket",
                u64::from(u32::MAX),
                "lower the join budget so the rows are spread over more buckets",
            ));
        }
        let group = match self.groups.get(pupil_id.as_str()) {
            Some(&group) => group,
            None => {
                let group = self.ids.len() as u32;
                let id: Box<str> = pupil_id.into();
                self.groups.insert(id.clone(), group);
                self.ids.push(id);
                self.members.push(Vec::new());
                self.matched.push(false);
                self.cost.push(0);
                self.oversized.push(None);
                group
            }
        };
        let g = group as usize;
        let cost = row.text.len() as u64 + ROW_COST;
        let total = self.cost.get(g).copied().unwrap_or(0).saturating_add(cost);
        if let (Some(place), Some(oversized)) = (self.cost.get_mut(g), self.oversized.get_mut(g)) {
            if oversized.is_none() && total > self.max_cost {
                *oversized = Some(row.location.clone());
            }
            if oversized.is_some() {
                return self.spill(file, g, row);
            }
            *place = total;
        }
        if let Some(members) = self.members.get_mut(group as usize) {
            members.push(self.rows.len() as u32);
        }
        let location = row.location;
        self.rows.push(StoredRow {
            file: file as u32,
            group,
            record: location.record,
            line: location.line,
            byte: location.byte,
            text: row.text.into_boxed_str(),
        });
        Ok(())
    }

    /// Write a row of an oversized group to the overflow file.
    fn spill(&mut self, file: usize, group: usize, row: RawRow) -> Result<()> {
        let spool_error = |e: io::Error| Error::io("temporary join file", e);
        let out = match &mut self.overflow {
            Some(out) => out,
            None => {
                self.overflow.insert(BufWriter::new(tempfile::tempfile().map_err(spool_error)?))
            }
        };
        let id = self.ids.get(group).map(|id| &**id).unwrap_or_default();
        write_spooled(out, file, id, &row).map_err(spool_error)
    }

    /// The overflow rows, ready to be read back; `None` when there are none.
    fn take_overflow(&mut self) -> Result<Option<SpoolReader>> {
        let spool_error = |e: io::Error| Error::io("temporary join file", e);
        let Some(out) = self.overflow.take() else { return Ok(None) };
        let mut file = out.into_inner().map_err(|e| spool_error(e.into_error()))?;
        file.rewind().map_err(spool_error)?;
        Ok(Some(SpoolReader(BufReader::new(file))))
    }
}

/// Where a bucket's pupil rows come from.
enum PupilRows {
    /// Straight from the pupil files (in-memory join), with their file numbers.
    Files(VecDeque<(usize, CsvFile)>),
    /// From a bucket file.
    Spool(SpoolReader),
    /// Rows already read, with their file numbers: a search's candidates
    /// ([`candidates`](super::candidates)).
    Held(VecDeque<(usize, RawRow)>),
}

impl PupilRows {
    fn next(&mut self, plans: &[Arc<FilePlan>]) -> Result<Option<(usize, RawRow)>> {
        match self {
            PupilRows::Files(files) => {
                while let Some((n, file)) = files.front_mut() {
                    if let Some(row) = file.next_row()? {
                        return Ok(Some((*n, row)));
                    }
                    files.pop_front();
                }
                Ok(None)
            }
            PupilRows::Spool(spool) => Ok(spool.read(plans)?.map(|(n, _, row)| (n, row))),
            PupilRows::Held(rows) => Ok(rows.pop_front()),
        }
    }
}

/// One bucket being joined: its pupils streamed, its child rows indexed.
struct Bucket {
    pupils: PupilRows,
    index: ChildIndex,
    pupils_done: bool,
    orphans_from: usize,
    /// The overflow rows of oversized pupils, read once the orphans are out.
    overflow: Option<SpoolReader>,
    /// An overflow row read ahead (it belongs to the next chunk).
    ahead: Option<(usize, String, RawRow)>,
}

impl Bucket {
    fn new(pupils: PupilRows, index: ChildIndex) -> Bucket {
        Bucket { pupils, index, pupils_done: false, orphans_from: 0, overflow: None, ahead: None }
    }

    /// The next pupil with its child rows, then the orphans; `None` when the bucket is done.
    fn next(&mut self, context: &Context<'_>, splitters: &mut Splitters) -> Result<Option<Record>> {
        let (plans, limits) = (context.plans, context.limits);
        if !self.pupils_done {
            while let Some((n, row)) = self.pupils.next(plans)? {
                let Some(plan) = plans.get(n) else { return Ok(None) };
                if let Some(filter) = context.prefilter {
                    let id = row_id(plan, splitters, &row.text);
                    if !filter.admits(&row.text) && !self.admits_children(&id, filter) {
                        self.rule_out_pupil(&id, filter);
                        continue;
                    }
                }
                let splitter = splitters.get(plan.delimiter);
                let mut record = pupil_record(plan, row, splitter, limits, RowIds::Column);
                self.attach_children(&mut record, plans, splitters, limits);
                return Ok(Some(record));
            }
            self.pupils_done = true;
        }
        while let Some(stored) = self.index.rows.get_mut(self.orphans_from) {
            self.orphans_from += 1;
            let group = stored.group as usize;
            if self.index.matched.get(group).copied().unwrap_or(true) {
                continue;
            }
            let Some((plan, row)) = stored.take(plans) else { continue };
            let id = self.index.ids.get(group).map(|id| &**id).unwrap_or_default();
            if let Some(filter) = context.prefilter.filter(|f| !f.admits(&row.text)) {
                filter.rule_out(1);
                continue;
            }
            return Ok(Some(orphan_record(&plan, id, row, splitters, limits)));
        }
        if self.overflow.is_none() {
            self.overflow = self.index.take_overflow()?;
        }
        self.next_overflow(plans, splitters, limits)
    }

    /// The next record of overflow rows: an orphan row on its own, or up to [`CHUNK_ROWS`]
    /// consecutive rows of one oversized pupil, rejected with it.
    fn next_overflow(
        &mut self,
        plans: &[Arc<FilePlan>],
        splitters: &mut Splitters,
        limits: &Limits,
    ) -> Result<Option<Record>> {
        let Some(spool) = self.overflow.as_mut() else { return Ok(None) };
        let first = match self.ahead.take() {
            Some(row) => row,
            None => match spool.read(plans)? {
                Some(row) => row,
                None => return Ok(None),
            },
        };
        let (file, id, row) = first;
        let group = self.index.groups.get(id.as_str()).map(|&g| g as usize);
        let matched = group.and_then(|g| self.index.matched.get(g).copied()).unwrap_or(false);
        let Some(plan) = plans.get(file) else { return Ok(None) };
        if !matched {
            return Ok(Some(orphan_record(plan, &id, row, splitters, limits)));
        }
        let mut record =
            Record { pupil: Pupil { id: id.clone(), ..Pupil::default() }, ..Record::default() };
        let passed = group
            .and_then(|g| self.index.oversized.get(g).cloned().flatten())
            .unwrap_or_else(|| row.location.clone());
        record.report_at(
            row.location.clone(),
            "",
            Rule::RecordTooLarge,
            Severity::Error,
            format!(
                "rows joined to one pupil may hold at most {} bytes (the text plus {ROW_COST} \
                 bytes a row), and this pupil's rows passed that at {passed}: the pupil and \
                 every row of it are rejected; raise --max-record-bytes if the files are trusted",
                limits.max_record_bytes
            ),
        );
        record.parts.push(Part { entity: plan.entity, location: row.location, original: row.text });
        while record.parts.len() < CHUNK_ROWS {
            let Some((file, next_id, row)) = spool.read(plans)? else { break };
            if next_id != id {
                self.ahead = Some((file, next_id, row));
                break;
            }
            let entity = plans.get(file).map_or(Entity::Grade, |p| p.entity);
            record.parts.push(Part { entity, location: row.location, original: row.text });
        }
        Ok(Some(record))
    }

    /// Whether `filter` admits any child row of the pupil `id` that is still to be taken.
    fn admits_children(&self, id: &str, filter: &Prefilter) -> bool {
        let Some(group) = self.unclaimed(id) else { return false };
        let members = self.index.members.get(group).map_or(&[][..], Vec::as_slice);
        members
            .iter()
            .filter_map(|&at| self.index.rows.get(at as usize))
            .any(|stored| filter.admits(&stored.text))
    }

    /// Count a pupil the prefilter rules out, with its child rows, as one record not built.
    /// The child rows are taken (and their memory released) as a parsed pupil would take
    /// them, so a later pupil with the same id gets none.
    fn rule_out_pupil(&mut self, id: &str, filter: &Prefilter) {
        let (_, members) = self.claim(id).unwrap_or_default();
        for at in members {
            if let Some(stored) = self.index.rows.get_mut(at as usize) {
                stored.text = Box::default();
            }
        }
        filter.rule_out(1);
    }

    /// The group of child rows naming pupil `id`, unless there is none or an earlier pupil
    /// with the same id took them.
    fn unclaimed(&self, id: &str) -> Option<usize> {
        let group = *self.index.groups.get(id).filter(|_| !id.is_empty())? as usize;
        (!self.index.matched.get(group).copied().unwrap_or(true)).then_some(group)
    }

    /// Take the child rows of pupil `id` for this pupil: the group and its rows' indices,
    /// marked taken so a later pupil with the same id gets none.
    fn claim(&mut self, id: &str) -> Option<(usize, Vec<u32>)> {
        let group = self.unclaimed(id)?;
        if let Some(matched) = self.index.matched.get_mut(group) {
            *matched = true;
        }
        let members = self.index.members.get_mut(group).map(std::mem::take).unwrap_or_default();
        Some((group, members))
    }

    /// Give the pupil every child row naming its id, unless an earlier pupil with the same id
    /// took them.
    fn attach_children(
        &mut self,
        record: &mut Record,
        plans: &[Arc<FilePlan>],
        splitters: &mut Splitters,
        limits: &Limits,
    ) {
        let Some((group, members)) = self.claim(record.pupil.id.trim()) else { return };
        let too_large = self.too_large(group, &members, plans, limits);
        for at in members {
            let Some(stored) = self.index.rows.get_mut(at as usize) else { continue };
            let Some((plan, row)) = stored.take(plans) else { continue };
            if too_large.is_some() {
                // Rejected whole: kept as text for the rejects, not built into items.
                record.parts.push(Part {
                    entity: plan.entity,
                    location: row.location,
                    original: row.text,
                });
            } else {
                attach_row(record, &plan, row, splitters, limits);
            }
        }
        if let Some(message) = too_large {
            record.report("", Rule::RecordTooLarge, Severity::Error, message);
        }
    }

    /// Why the pupil of `group` is too large to be built, if it is: its rows passed the size
    /// limit, or one of its lists has more rows than [`Limits::max_list_items`].
    fn too_large(
        &self,
        group: usize,
        members: &[u32],
        plans: &[Arc<FilePlan>],
        limits: &Limits,
    ) -> Option<String> {
        if let Some(passed) = self.index.oversized.get(group).cloned().flatten() {
            return Some(format!(
                "rows joined to one pupil may hold at most {} bytes (the text plus {ROW_COST} \
                 bytes a row), and this pupil's rows passed that at {passed}: the pupil and \
                 every row of it are rejected; raise --max-record-bytes if the files are trusted",
                limits.max_record_bytes
            ));
        }
        let mut counts = [0usize; Entity::ALL.len()];
        for &at in members {
            let Some(stored) = self.index.rows.get(at as usize) else { continue };
            let Some(plan) = plans.get(stored.file as usize) else { continue };
            let Some(slot) = Entity::ALL.iter().position(|&e| e == plan.entity) else { continue };
            counts[slot] += 1;
            if counts[slot] > limits.max_list_items {
                let location = plan.location(stored.record, stored.line, stored.byte);
                return Some(format!(
                    "the pupil has more than {} `{}` rows (passed at {location}): the pupil and \
                     every row of it are rejected; raise --max-list-items if the files are \
                     trusted",
                    limits.max_list_items,
                    plan.entity.file_stem()
                ));
            }
        }
        None
    }
}

/// What a bucket needs of the join to produce records.
struct Context<'j> {
    plans: &'j [Arc<FilePlan>],
    limits: &'j Limits,
    prefilter: Option<&'j Prefilter>,
}

/// A child row whose pupil is missing: its own record, rejected.
fn orphan_record(
    plan: &FilePlan,
    pupil_id: &str,
    row: RawRow,
    splitters: &mut Splitters,
    limits: &Limits,
) -> Record {
    let mut record = Record {
        pupil: Pupil { id: pupil_id.to_string(), ..Pupil::default() },
        ..Record::default()
    };
    let column = plan
        .id_column
        .and_then(|i| plan.headers.get(i))
        .map(|h| format!("`{h}`"))
        .unwrap_or_else(|| "the pupil id column".into());
    let message = if pupil_id.is_empty() {
        format!("the row names no pupil ({column} is empty): fill in the pupil's id")
    } else {
        format!(
            "no pupil in the pupils file has the id in {column}: add the pupil to the pupils \
             file, correct the id, or remove the row"
        )
    };
    // A blank row names no pupil either, but it is skipped as blank, not rejected.
    let blank = splitters.get(plan.delimiter).split(&row.text).iter().all(|c| c.trim().is_empty());
    if !blank {
        record.report_at(row.location.clone(), "", Rule::Orphan, Severity::Error, message);
    }
    attach_row(&mut record, plan, row, splitters, limits);
    record
}

/// Parse a child row and add it to `record`: its item to the pupil's list, itself as a part,
/// its problems at its own location.
fn attach_row(
    record: &mut Record,
    plan: &FilePlan,
    row: RawRow,
    splitters: &mut Splitters,
    limits: &Limits,
) {
    let problems = {
        let cells = splitters.get(plan.delimiter).split(&row.text);
        let assigned = assign(plan, &cells, limits);
        let mut problems = assigned.problems;
        if !assigned.unusable {
            let values = Row { cells: &assigned.cells, id: None };
            if let Err(message) = attach(&mut record.pupil, plan.entity, &plan.shape, &values) {
                problems.push((String::new(), Rule::Type, message));
            }
        }
        problems
    };
    let location = row.location;
    for (field, rule, message) in problems {
        let at = plan.problem_location(&location, &field);
        record.report_at(at, &field, rule, rule.reader_severity(), message);
    }
    record.parts.push(Part { entity: plan.entity, location, original: row.text });
}

/// Add the child item `row` holds (read by `shape`) to the pupil's list for `entity`.
fn attach(
    pupil: &mut Pupil,
    entity: Entity,
    shape: &Shape,
    row: &Row<'_, '_>,
) -> std::result::Result<(), String> {
    fn push<T: DeserializeOwned>(
        list: &mut Vec<T>,
        (shape, row): (&Shape, &Row<'_, '_>),
    ) -> std::result::Result<(), String> {
        let item = shape.build(row).map_err(|_| {
            "the row could not be assembled into an item; please report this as a bug".to_string()
        })?;
        list.push(item);
        Ok(())
    }
    let item = (shape, row);
    match entity {
        Entity::Pupil => Err("a pupil row cannot belong to another pupil".into()),
        Entity::Address => push(&mut pupil.addresses, item),
        Entity::Guardian => push(&mut pupil.guardians, item),
        Entity::Grade => push(&mut pupil.grades, item),
        Entity::Attendance => push(&mut pupil.attendance, item),
        Entity::Remark => push(&mut pupil.remarks, item),
        Entity::Exam => push(&mut pupil.exams, item),
        Entity::Achievement => push(&mut pupil.achievements, item),
        Entity::Counselling => push(&mut pupil.counselling, item),
        Entity::Health => push(&mut pupil.health, item),
        Entity::Consent => push(&mut pupil.consents, item),
        Entity::Contract => push(&mut pupil.contracts, item),
        Entity::Payment => push(&mut pupil.payments, item),
        Entity::Assessment => push(&mut pupil.assessments, item),
    }
}

/// Frame: file number, record, line, byte, id length, id, text length, text (little endian).
fn write_spooled(out: &mut impl Write, file: usize, id: &str, row: &RawRow) -> io::Result<()> {
    let file = u32::try_from(file).map_err(io::Error::other)?;
    out.write_all(&file.to_le_bytes())?;
    for n in [row.location.record, row.location.line, row.location.byte] {
        out.write_all(&n.to_le_bytes())?;
    }
    for text in [id, row.text.as_str()] {
        out.write_all(&(text.len() as u64).to_le_bytes())?;
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// Reads rows back from a bucket file.
struct SpoolReader(BufReader<File>);

impl SpoolReader {
    /// The next row with its file number and pupil id; `None` at the end.
    fn read(&mut self, plans: &[Arc<FilePlan>]) -> Result<Option<(usize, String, RawRow)>> {
        self.read_frame(plans).map_err(|e| Error::io("temporary join file", e))
    }

    fn read_frame(
        &mut self,
        plans: &[Arc<FilePlan>],
    ) -> io::Result<Option<(usize, String, RawRow)>> {
        let mut file = [0; 4];
        match self.0.read_exact(&mut file) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let file = u32::from_le_bytes(file) as usize;
        let mut number = || -> io::Result<u64> {
            let mut bytes = [0; 8];
            self.0.read_exact(&mut bytes)?;
            Ok(u64::from_le_bytes(bytes))
        };
        let (record, line, byte) = (number()?, number()?, number()?);
        let mut text = || -> io::Result<String> {
            let mut len = [0; 8];
            self.0.read_exact(&mut len)?;
            let mut bytes = Vec::new();
            (&mut self.0).take(u64::from_le_bytes(len)).read_to_end(&mut bytes)?;
            String::from_utf8(bytes).map_err(io::Error::other)
        };
        let (id, text) = (text()?, text()?);
        let location = match plans.get(file) {
            Some(plan) => plan.location(record, line, byte),
            None => Location { record, line, byte, ..Location::default() },
        };
        Ok(Some((file, id, RawRow { location, text })))
    }
}

#[cfg(test)]
mod tests {
    use crate::read::multi_file::open_with_budget;
    use crate::read::{Input, Limits, NoticeLevel, ReadOptions};
    use crate::{Entity, Location, Record, Rule};
    use std::path::Path;

    fn write(dir: &Path, name: &str, text: &str) -> Input {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Input { path, entity: None }
    }

    fn read(inputs: &[Input], budget: u64) -> (Vec<Record>, Vec<crate::read::Notice>) {
        let opened = open_with_budget(inputs, &ReadOptions::default(), budget).unwrap();
        (opened.records.collect::<crate::Result<_>>().unwrap(), opened.notices)
    }

    const PUPILS: &str = "id;nazwisko\n1;Nowak\n2;Kot\n3;Lis\n";
    // Unsorted, with an orphan (9), a row without a pupil id and a type error for pupil 1.
    const GRADES: &str = "id_ucznia;przedmiot;ocena;rodzaj\n\
                          3;fizyka;4;roczna\n\
                          1;matematyka;5;roczna\n\
                          9;chemia;2;roczna\n\
                          1;polski;3;nonsense\n\
                          ;historia;4;roczna\n";
    const GUARDIANS: &str = "pupil_id,id,nazwisko,address.town\n2,G1,Kotowa,Łódź\n";

    fn export(dir: &Path) -> Vec<Input> {
        vec![
            write(dir, "uczniowie.csv", PUPILS),
            write(dir, "oceny.csv", GRADES),
            write(dir, "guardians.csv", GUARDIANS),
        ]
    }

    fn parts(records: &[Record]) -> usize {
        records.iter().map(|r| r.parts.len()).sum()
    }

    #[test]
    fn in_memory_join_attaches_children_in_file_order_and_rejects_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let (records, notices) = read(&export(dir.path()), u64::MAX);
        // 3 pupil rows + 5 grade rows + 1 guardian row, each in exactly one record.
        assert_eq!(parts(&records), 9);
        let ids: Vec<_> = records.iter().map(|r| r.pupil.id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3", "9", ""]);

        let first = &records[0];
        let subjects: Vec<_> =
            first.pupil.grades.iter().map(|g| g.subject.as_deref().unwrap_or("-")).collect();
        assert_eq!(subjects, ["matematyka", "polski"]);
        assert_eq!(first.parts.len(), 3);
        assert_eq!(first.parts[1].entity, Entity::Grade);
        assert_eq!(first.parts[1].original, "1;matematyka;5;roczna");
        // The child row's problem is on the pupil, at the child row's location.
        assert_eq!(first.problems.len(), 1);
        let problem = &first.problems[0];
        assert_eq!(problem.rule, Rule::Type);
        assert_eq!(problem.field, "grades[].kind");
        assert_eq!(problem.record_id.as_deref(), Some("1"));
        let grades = dir.path().join("oceny.csv").display().to_string();
        assert_eq!(
            problem.location,
            Location { source: grades.as_str().into(), record: 3, line: 5, byte: 91, sheet: None }
        );

        let second = &records[1].pupil;
        assert_eq!(second.guardians[0].id.as_deref(), Some("G1"));
        assert_eq!(
            second.guardians[0].address.as_ref().and_then(|a| a.town.as_deref()),
            Some("Łódź")
        );
        assert!(records[1].problems.is_empty());

        let orphan = &records[3];
        assert_eq!(orphan.parts.len(), 1);
        assert_eq!(orphan.problems[0].rule, Rule::Orphan);
        assert_eq!(orphan.problems[0].location.line, 4);
        assert!(orphan.problems[0].message.contains("`id_ucznia`"));
        assert_eq!(orphan.pupil.grades[0].subject.as_deref(), Some("chemia"));
        assert!(records[4].problems[0].message.starts_with("the row names no pupil"));
        assert!(notices.iter().any(|n| n.message.starts_with("joined 2 child file(s)")));
    }

    #[test]
    fn a_prefilter_counts_ruled_out_pupils_and_parses_the_rest_in_both_join_modes() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = export(dir.path());
        // Pupil 2 is admitted by its guardian row only, pupil 3 by its own row. A budget of
        // one byte is too small for the search's first scan: the bucket join runs.
        for budget in [1 << 20, 1] {
            let prefilter =
                crate::read::Prefilter::new(|text| text.contains("Kotowa") || text.contains("Lis"));
            let options =
                ReadOptions { prefilter: Some(prefilter.clone()), ..ReadOptions::default() };
            let (all, _) = read(&inputs, budget);
            let opened = open_with_budget(&inputs, &options, budget).unwrap();
            let some: Vec<Record> = opened.records.collect::<crate::Result<_>>().unwrap();
            assert_eq!(
                some.len() as u64 + prefilter.ruled_out(),
                all.len() as u64,
                "every record is either built or counted"
            );
            let ids: Vec<&str> = some.iter().map(|r| r.pupil.id.as_str()).collect();
            assert_eq!(ids, ["2", "3"], "budget {budget}");
            for filtered in &some {
                let parsed = all.iter().find(|r| r.location() == filtered.location()).unwrap();
                let same = format!("{filtered:?}") == format!("{parsed:?}");
                assert!(same, "the same record as without the prefilter: {filtered:?}");
            }
        }
    }

    #[test]
    fn bucket_join_gives_the_same_records_grouped_by_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = export(dir.path());
        let (memory, _) = read(&inputs, u64::MAX);
        let (buckets, notices) = read(&inputs, 16);
        assert!(notices
            .iter()
            .any(|n| n.level == NoticeLevel::Info && n.message.contains("temporary bucket files")));
        assert_eq!(parts(&buckets), 9);
        let key = |r: &Record| (r.pupil.id.clone(), r.location().line);
        let mut memory = memory;
        let mut buckets = buckets;
        memory.sort_by_key(key);
        buckets.sort_by_key(key);
        assert_eq!(memory.len(), buckets.len());
        for (m, b) in memory.iter().zip(&buckets) {
            assert_eq!(m.pupil, b.pupil);
            assert_eq!(m.problems, b.problems);
            let originals =
                |r: &Record| r.parts.iter().map(|p| p.original.clone()).collect::<Vec<_>>();
            assert_eq!(originals(m), originals(b));
            assert_eq!(m.location(), b.location());
        }
        // The bucket order is fixed: the same on every run.
        let (again, _) = read(&inputs, 16);
        let order = |rs: &[Record]| rs.iter().map(|r| r.location()).collect::<Vec<_>>();
        let (first_run, _) = read(&inputs, 16);
        assert_eq!(order(&again), order(&first_run));
    }

    #[test]
    fn duplicate_pupil_ids_give_children_to_the_first_and_both_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = vec![
            write(dir.path(), "pupils.csv", "id;nazwisko\n1;Nowak\n1;Nowakowski\n"),
            write(dir.path(), "grades.csv", "pupil_id;subject\n1;art\n1;music\n"),
        ];
        for budget in [u64::MAX, 1] {
            let (records, _) = read(&inputs, budget);
            assert_eq!(records.len(), 2);
            assert_eq!(parts(&records), 4);
            assert_eq!(records[0].pupil.grades.len(), 2);
            assert_eq!(records[1].pupil.grades.len(), 0);
        }
    }

    #[test]
    fn ragged_child_rows_are_parts_of_their_pupil_and_reject_it() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = vec![
            write(dir.path(), "pupils.csv", "id;nazwisko\n1;Nowak\n"),
            write(dir.path(), "remarks.csv", "pupil_id;text\n1;a;b\n"),
        ];
        let (records, _) = read(&inputs, u64::MAX);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].parts.len(), 2);
        assert_eq!(records[0].problems[0].rule, Rule::RaggedRow);
        assert_eq!(records[0].problems[0].location.line, 2);
        assert!(records[0].pupil.remarks.is_empty());
    }

    fn read_limited(inputs: &[Input], budget: u64, limits: Limits) -> Vec<Record> {
        let options = ReadOptions { limits, ..ReadOptions::default() };
        let opened = open_with_budget(inputs, &options, budget).unwrap();
        opened.records.collect::<crate::Result<_>>().unwrap()
    }

    #[test]
    fn an_oversized_pupil_is_rejected_whole_in_bounded_chunks_with_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let grades: String = (0..10_000).map(|i| format!("2;s{i}\n")).collect();
        let inputs = vec![
            write(dir.path(), "pupils.csv", "id;nazwisko\n1;Nowak\n2;Kot\n3;Lis\n"),
            write(dir.path(), "grades.csv", &format!("pupil_id;subject\n1;art\n{grades}3;art\n")),
        ];
        // 2 KiB holds a few dozen rows of pupil 2; the rest overflow.
        let limits = Limits { max_record_bytes: 2048, ..Limits::default() };
        for budget in [u64::MAX, 1] {
            let records = read_limited(&inputs, budget, limits);
            assert_eq!(parts(&records), 3 + 10_002);
            let (big, rest): (Vec<&Record>, Vec<&Record>) =
                records.iter().partition(|r| r.pupil.id == "2");
            assert!(rest.iter().all(|r| !r.is_rejected() && r.pupil.grades.len() == 1));
            assert_eq!(rest.len(), 2);
            // The pupil's own record, then chunks; no chunk over CHUNK_ROWS.
            assert!(big.iter().all(|r| r.is_rejected() && r.parts.len() <= super::CHUNK_ROWS));
            assert!(big.iter().all(|r| r.problems.iter().any(|v| v.rule == Rule::RecordTooLarge)));
            assert!(big[0].pupil.grades.is_empty());
            assert_eq!(big[0].parts[0].entity, Entity::Pupil);
            // Rows of 4 to 7 bytes, 64 more each: about 30 fit in 2 KiB.
            assert!((1 + 2048 / 71..=1 + 2048 / 68).contains(&big[0].parts.len()));
            assert!(big[0].problems[0].message.contains("--max-record-bytes"));
            assert!(big[1..].iter().all(|r| r.parts.iter().all(|p| p.entity == Entity::Grade)));
            // Every grade row, once, in file order.
            let all: Vec<u64> = big
                .iter()
                .flat_map(|r| r.parts.iter())
                .filter(|p| p.entity == Entity::Grade)
                .map(|p| p.location.line)
                .collect();
            assert_eq!(all, (3..10_003).collect::<Vec<u64>>());
        }
    }

    #[test]
    fn a_list_over_the_item_limit_rejects_the_pupil_unparsed() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = vec![
            write(dir.path(), "pupils.csv", "id;nazwisko\n1;Nowak\n2;Kot\n"),
            write(dir.path(), "grades.csv", "pupil_id;subject\n1;a\n1;b\n1;c\n2;a\n2;b\n"),
        ];
        let limits = Limits { max_list_items: 2, ..Limits::default() };
        let records = read_limited(&inputs, u64::MAX, limits);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].parts.len(), 4);
        assert!(records[0].pupil.grades.is_empty());
        let problem = &records[0].problems[0];
        assert_eq!(problem.rule, Rule::RecordTooLarge);
        assert!(problem.message.contains("more than 2 `grades` rows"), "{}", problem.message);
        assert!(problem.message.contains("line 4"), "{}", problem.message);
        assert_eq!(records[1].pupil.grades.len(), 2);
        assert!(records[1].problems.is_empty());
    }

    #[test]
    fn pupils_file_needs_an_id_column_to_be_joined() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = vec![
            write(dir.path(), "pupils.csv", "nazwisko\nNowak\n"),
            write(dir.path(), "grades.csv", "pupil_id;subject\n1;art\n"),
        ];
        let err =
            open_with_budget(&inputs, &ReadOptions::default(), u64::MAX).err().unwrap().to_string();
        assert!(err.contains("the pupils file has no pupil id column"), "{err}");
    }
}
