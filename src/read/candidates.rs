//! A search's first look at a multi-file export: which pupils can the subject be in?
//!
//! A subject-access search ([`ReadOptions::prefilter`](super::ReadOptions::prefilter)) over a
//! school's 14-file export needs the few pupils whose rows mention the subject, parsed and
//! joined in full, and an exact count of everything else. Joining every row to find them
//! (indexing, or spooling through bucket files, 30 million child rows of a million pupils)
//! took half a minute on one core. Here the files are scanned row by row with the prefilter
//! first, the child files in parallel, keeping only:
//!
//! * the pupil rows and child rows of *candidates*: pupils one of whose rows (their own or a
//!   child row naming them) the prefilter admits;
//! * child rows naming no pupil (orphans) that the prefilter admits.
//!
//! Those are joined by [`Join::of_candidates`], as the full join would join them. Every other
//! record is counted on the prefilter ([`Prefilter::ruled_out`]), not built: a pupil with its
//! child rows is one record, an orphan child row is one record, exactly as the full join makes
//! them. (One difference from the full join: an oversized pupil the subject is not
//! in counts as one record, where the full join passes its rows past the size limit on in
//! separate records.)
//!
//! A pupil can become a candidate only after some of its rows were passed over: through a
//! child row (a guardian's e-mail address), or through a second pupil row with the same id.
//! Then the scan runs again over every file with the candidates found, at most
//! [`MAX_SCANS`] times in all. When what a scan keeps — candidate rows and the map of pupil
//! ids it checks child rows against — would pass half the join budget (a prefilter admitting
//! most rows), the scan gives up and the ordinary join runs, which gives the same records.

use super::csv::{CsvFile, FilePlan, RawRow};
use super::join::{row_id, ChildIndex, Join, Splitters, ROW_COST};
use super::{Limits, Notice, Prefilter};
use crate::error::Result;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Scans before giving up: the first finds candidates through child rows, the second keeps
/// their rows and cannot find more, since the admitted rows are the same in every scan.
pub(crate) const MAX_SCANS: usize = 3;

/// What a pupil row's id costs in [`PupilIds`] besides its text: its end and its place in
/// the sorted order.
const ID_COST: u64 = 8;

type Hasher = foldhash::fast::RandomState;

/// The id of every pupil row, in file order, and the rows sorted by id.
///
/// Kept compact (the ids' text in one string, 8 bytes a row besides) because it holds a
/// million pupils' ids. Child files list their rows pupil by pupil, mostly in the pupils
/// file's order, so the rows just after the last one found are tried before a binary search:
/// looking every child row's id up in a map of a million boxed ids was a sixth of a search.
#[derive(Default)]
struct PupilIds {
    text: String,
    /// Where each row's id ends in `text` (it starts where the previous one ends).
    ends: Vec<u32>,
    /// Row numbers ordered by id, then by row ([`PupilIds::sort`]).
    sorted: Vec<u32>,
}

/// How many rows after the last one found are tried before the binary search.
const NEAR: u32 = 4;

impl PupilIds {
    /// Add the next pupil row's id; `false` when the ids no longer fit a `u32` offset.
    fn push(&mut self, id: &str) -> bool {
        self.text.push_str(id);
        match u32::try_from(self.text.len()) {
            Ok(end) => {
                self.ends.push(end);
                true
            }
            Err(_) => false,
        }
    }

    /// The id of pupil row `row`.
    fn id(&self, row: u32) -> &str {
        let end = self.ends.get(row as usize).copied().unwrap_or(0) as usize;
        let start = match row.checked_sub(1) {
            Some(before) => self.ends.get(before as usize).copied().unwrap_or(0) as usize,
            None => 0,
        };
        self.text.get(start..end).unwrap_or("")
    }

    /// Order the rows by id, once every pupil row is in.
    fn sort(&mut self) {
        let mut sorted: Vec<u32> = (0..self.ends.len() as u32).collect();
        sorted.par_sort_unstable_by(|&a, &b| self.id(a).cmp(self.id(b)).then(a.cmp(&b)));
        self.sorted = sorted;
    }

    /// A pupil row with id `id`, trying the few after row `last` first.
    fn find(&self, id: &str, last: Option<u32>) -> Option<u32> {
        let next = last.map_or(0, |n| n + 1);
        let rows = self.ends.len() as u32;
        if let Some(near) = (next..rows.min(next + NEAR)).find(|&row| self.id(row) == id) {
            return Some(near);
        }
        let at = self.sorted.partition_point(|&row| self.id(row) < id);
        self.sorted.get(at).copied().filter(|&row| self.id(row) == id)
    }

    /// How many pupil rows have the id `id`.
    fn rows_with(&self, id: &str) -> usize {
        let from = self.sorted.partition_point(|&row| self.id(row) < id);
        self.sorted[from..].partition_point(|&row| self.id(row) == id)
    }

    /// Every distinct id with its number of rows.
    fn rows(&self) -> impl Iterator<Item = (&str, u32)> {
        self.sorted.chunk_by(|&a, &b| self.id(a) == self.id(b)).map(|same| {
            let id = same.first().map_or("", |&row| self.id(row));
            (id, same.len() as u32)
        })
    }
}

/// Ids of candidate pupils.
type Candidates = HashSet<Box<str>, Hasher>;

/// The files of one export: its pupil files and its child files, opened.
pub(crate) struct Files {
    /// The pupil files, in the order given.
    pub pupils: Vec<CsvFile>,
    /// The child files (grades, guardians, …), in the order given.
    pub children: Vec<CsvFile>,
}

/// Join the candidates of `files` for a search with `filter`; `reopen` opens the same files
/// again for another scan. `None` when the scan gave up: the caller joins the ordinary way.
pub(crate) fn join(
    files: Files,
    reopen: impl Fn() -> Result<Files>,
    limits: Limits,
    budget: u64,
    filter: &Prefilter,
) -> Result<Option<Join>> {
    let room = Room { left: AtomicU64::new(budget / 2) };
    let mut candidates = Candidates::default();
    let mut files = Some(files);
    for _ in 0..MAX_SCANS {
        let opened = match files.take() {
            Some(files) => files,
            None => reopen()?,
        };
        let Some(scan) = scan(opened, candidates, filter, &room)? else { return Ok(None) };
        if scan.late.is_empty() {
            return Ok(Some(scan.into_join(limits, filter)?));
        }
        candidates = scan.candidates;
        candidates.extend(scan.late);
        room.left.store(budget / 2, Ordering::Relaxed);
    }
    Ok(None)
}

/// Memory a scan may still use for what it keeps; shared by the threads scanning.
struct Room {
    left: AtomicU64,
}

impl Room {
    /// Take `bytes`; `false` when there is not that much left (the scan gives up).
    fn take(&self, bytes: u64) -> bool {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(bytes))
            .is_ok()
    }
}

/// What one scan over every file found.
struct Scan {
    /// Plans of every file: the pupil files first, then the child files.
    plans: Vec<Arc<FilePlan>>,
    /// The candidates' pupil rows with their file numbers, in file order.
    held: VecDeque<(usize, RawRow)>,
    /// How many pupil rows of each candidate were kept.
    held_ids: HashMap<Box<str>, usize, Hasher>,
    /// Child rows kept (candidates' and admitted orphans'), with file number and pupil id,
    /// in file order.
    kept: Vec<(usize, String, RawRow)>,
    pupils: PupilIds,
    candidates: Candidates,
    /// Pupils that became candidates after some of their rows were passed over.
    late: Candidates,
    /// Orphan child rows the prefilter ruled out.
    orphans_ruled_out: u64,
}

/// Scan every file once, with the candidates known so far.
fn scan(
    files: Files,
    candidates: Candidates,
    filter: &Prefilter,
    room: &Room,
) -> Result<Option<Scan>> {
    let plans = files.pupils.iter().chain(&files.children).map(|f| f.plan.clone()).collect();
    let first_child = files.pupils.len();
    let mut scan = Scan {
        plans,
        held: VecDeque::new(),
        held_ids: HashMap::default(),
        kept: Vec::new(),
        pupils: PupilIds::default(),
        candidates,
        late: Candidates::default(),
        orphans_ruled_out: 0,
    };
    for (n, file) in files.pupils.into_iter().enumerate() {
        if !scan.pupil_file(n, file, filter, room)? {
            return Ok(None);
        }
    }
    scan.pupils.sort();
    scan.late_pupils();
    let known = (&scan.pupils, &scan.candidates);
    let children: Vec<Result<Option<ChildScan>>> = files
        .children
        .into_par_iter()
        .enumerate()
        .map(|(n, file)| scan_child_file(first_child + n, file, known, filter, room))
        .collect();
    for child in children {
        let Some(child) = child? else { return Ok(None) };
        scan.kept.extend(child.kept);
        scan.late.extend(child.late);
        scan.orphans_ruled_out += child.orphans_ruled_out;
    }
    Ok(Some(scan))
}

impl Scan {
    /// Read pupil file `n`: every id into the map of pupil ids, candidates' rows kept.
    /// `false` when the scan must give up.
    fn pupil_file(
        &mut self,
        n: usize,
        mut file: CsvFile,
        filter: &Prefilter,
        room: &Room,
    ) -> Result<bool> {
        let mut splitters = Splitters::default();
        while let Some(row) = file.next_row()? {
            let id = row_id(&file.plan, &mut splitters, &row.text);
            let admitted = filter.admits(&row.text);
            if !room.take(id.len() as u64 + ID_COST) || !self.pupils.push(&id) {
                return Ok(false);
            }
            let candidate = self.candidates.contains(id.as_str());
            if admitted && !candidate {
                self.candidates.insert(id.as_str().into());
            }
            if admitted || candidate {
                if !room.take(row.text.len() as u64 + ROW_COST) {
                    return Ok(false);
                }
                *self.held_ids.entry(id.into()).or_default() += 1;
                self.held.push_back((n, row));
            }
        }
        Ok(true)
    }

    /// Mark late the candidates with pupil rows that were not kept: a row with the same id
    /// came before the one the prefilter admitted.
    fn late_pupils(&mut self) {
        for (id, held) in &self.held_ids {
            if self.pupils.rows_with(id) > *held {
                self.late.insert(id.clone());
            }
        }
    }

    /// The join of what was kept; the records not kept are counted on `filter`.
    fn into_join(self, limits: Limits, filter: &Prefilter) -> Result<Join> {
        let ruled_out_pupils: u64 = self
            .pupils
            .rows()
            .filter(|(id, _)| !self.candidates.contains(*id))
            .map(|(_, rows)| u64::from(rows))
            .sum();
        filter.rule_out(ruled_out_pupils + self.orphans_ruled_out);
        let mut index = ChildIndex::new(&limits);
        for (file, id, row) in self.kept {
            index.push(file, id, row)?;
        }
        let source = self.plans.first().map(|p| p.source.to_string()).unwrap_or_default();
        let notice = Notice::info(
            source,
            format!(
                "searched the {} file(s) row by row first: {} pupil(s) may be about the \
                 subject and were joined and read in full; the other {} record(s) were counted \
                 without being read",
                self.plans.len(),
                self.held.len(),
                ruled_out_pupils + self.orphans_ruled_out
            ),
        );
        Ok(Join::of_candidates(self.plans, limits, self.held, index, notice))
    }
}

/// What a scan of one child file found.
struct ChildScan {
    kept: Vec<(usize, String, RawRow)>,
    late: Candidates,
    orphans_ruled_out: u64,
}

/// Scan child file `n` against the pupil ids and candidates `known`; `None` when the scan
/// must give up.
fn scan_child_file(
    n: usize,
    mut file: CsvFile,
    (pupils, candidates): (&PupilIds, &Candidates),
    filter: &Prefilter,
    room: &Room,
) -> Result<Option<ChildScan>> {
    let mut splitters = Splitters::default();
    let mut scan =
        ChildScan { kept: Vec::new(), late: Candidates::default(), orphans_ruled_out: 0 };
    // A pupil's child rows mostly follow one another: the last row's answers are reused.
    let mut last: Option<(String, bool, bool)> = None;
    let mut last_pupil = None;
    while let Some(row) = file.next_row()? {
        let id = row_id(&file.plan, &mut splitters, &row.text);
        let admitted = filter.admits(&row.text);
        let (orphan, candidate) = match &last {
            Some((last_id, orphan, candidate)) if *last_id == id => (*orphan, *candidate),
            _ => {
                // An empty id names no pupil, even when a pupil row has none (as the full
                // join has it).
                let pupil = pupils.find(&id, last_pupil).filter(|_| !id.is_empty());
                last_pupil = pupil.or(last_pupil);
                let orphan = pupil.is_none();
                let candidate = candidates.contains(id.as_str());
                last = Some((id.clone(), orphan, candidate));
                (orphan, candidate)
            }
        };
        let keep = if orphan {
            scan.orphans_ruled_out += u64::from(!admitted);
            admitted
        } else if candidate {
            true
        } else {
            if admitted {
                scan.late.insert(id.as_str().into());
            }
            false
        };
        if keep {
            if !room.take(row.text.len() as u64 + ROW_COST) {
                return Ok(None);
            }
            scan.kept.push((n, id, row));
        }
    }
    Ok(Some(scan))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::multi_file::open_with_budget;
    use crate::read::{Input, ReadOptions};
    use crate::Record;
    use std::path::Path;

    fn write(dir: &Path, name: &str, text: &str) -> Input {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Input { entity: None, path }
    }

    /// Pupil 1 twice (the second row carries `Lis`), pupil 2 admitted by a guardian row that
    /// comes after its grade row, pupil 3 by its own row, pupil 4 by nothing; two orphans,
    /// one admitted.
    fn export(dir: &Path) -> Vec<Input> {
        vec![
            write(dir, "pupils.csv", "id,surname\n1,Nowak\n2,Kowal\n3,Lis\n4,Zając\n1,Lis\n"),
            write(dir, "grades.csv", "pupil_id,subject,grade\n2,fizyka,4\n9,chemia,3\n1,wf,5\n"),
            write(
                dir,
                "guardians.csv",
                "pupil_id,surname,email\n2,Kotowa,k@x.pl\n4,Zając,z@x.pl\n8,Lis,l@x.pl\n",
            ),
        ]
    }

    fn search(inputs: &[Input], budget: u64, words: &'static [&str]) -> (Vec<Record>, u64) {
        let filter = Prefilter::new(move |text| words.iter().any(|w| text.contains(w)));
        let options = ReadOptions { prefilter: Some(filter.clone()), ..ReadOptions::default() };
        let opened = open_with_budget(inputs, &options, budget).unwrap();
        let records: Vec<Record> = opened.records.collect::<crate::Result<_>>().unwrap();
        (records, filter.ruled_out())
    }

    fn full(inputs: &[Input]) -> Vec<Record> {
        let opened = open_with_budget(inputs, &ReadOptions::default(), u64::MAX).unwrap();
        opened.records.collect::<crate::Result<_>>().unwrap()
    }

    #[test]
    fn pupil_ids_are_found_in_order_and_out_of_it() {
        let mut ids = PupilIds::default();
        for id in ["c", "a", "b", "", "e", "f", "g", "h", "i", "b"] {
            assert!(ids.push(id));
        }
        ids.sort();
        assert_eq!(ids.find("a", Some(0)), Some(1), "the next one");
        assert_eq!(ids.find("c", Some(1)), Some(0), "an earlier one");
        assert_eq!(ids.find("i", Some(1)), Some(8), "a later one than the rows tried first");
        assert_eq!(ids.find("b", Some(8)), Some(9), "the next one, a second row of an id");
        assert_eq!(ids.find("", None).map(|row| ids.id(row)), Some(""));
        assert_eq!(ids.find("z", Some(2)), None);
        assert_eq!(ids.find("bb", None), None);
        assert_eq!((ids.rows_with("b"), ids.rows_with("a"), ids.rows_with("z")), (2, 1, 0));
        let rows: Vec<(&str, u32)> = ids.rows().collect();
        assert_eq!(rows[..4], [("", 1), ("a", 1), ("b", 2), ("c", 1)]);
    }

    #[test]
    fn candidates_come_out_as_the_full_join_makes_them_and_the_rest_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = export(dir.path());
        let all = full(&inputs);
        let (found, ruled_out) = search(&inputs, 1 << 20, &["Kotowa", "Lis"]);
        assert_eq!(found.len() as u64 + ruled_out, all.len() as u64);
        // Both rows of pupil 1 (the first takes the child rows), 2, 3 and the orphan 8.
        let expected: Vec<&Record> =
            all.iter().filter(|r| ["1", "2", "3", "8"].contains(&r.pupil.id.as_str())).collect();
        assert_eq!(found.len(), expected.len());
        for (record, same) in found.iter().zip(expected) {
            assert_eq!(record.location(), same.location());
            assert_eq!(record.pupil, same.pupil);
            assert_eq!(record.problems, same.problems);
            assert_eq!(format!("{:?}", record.parts), format!("{:?}", same.parts));
        }
        assert_eq!(found[0].pupil.grades.len(), 1, "the first pupil 1 takes the grade row");
    }

    #[test]
    fn a_late_candidate_gets_the_rows_passed_over_before_it_was_found() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = export(dir.path());
        let (found, ruled_out) = search(&inputs, 1 << 20, &["Kotowa"]);
        assert_eq!(ruled_out, 6, "pupil rows 1 (twice), 3 and 4; the orphans 9 and 8");
        let ids: Vec<&str> = found.iter().map(|r| r.pupil.id.as_str()).collect();
        assert_eq!(ids, ["2"]);
        assert_eq!(found[0].pupil.grades.len(), 1, "the grade row read before the guardian");
        assert_eq!(found[0].pupil.guardians.len(), 1);
    }

    #[test]
    fn a_scan_that_would_keep_too_much_gives_way_to_the_full_join() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = export(dir.path());
        // Every row is admitted: the candidates' rows would pass half of a 64-byte budget.
        let (found, ruled_out) = search(&inputs, 64, &[","]);
        assert_eq!(ruled_out, 0);
        let all = full(&inputs);
        let key = |r: &Record| (r.pupil.id.clone(), r.location().line);
        let (mut found, mut all) = (found, all);
        found.sort_by_key(key);
        all.sort_by_key(key);
        assert_eq!(format!("{found:?}"), format!("{all:?}"));
    }
}
