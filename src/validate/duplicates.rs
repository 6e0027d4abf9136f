//! Duplicates across records: the same PESEL or rodné číslo on two pupils, the same local id.
//!
//! The one stateful check, so the pipeline runs it sequentially, in input order, after the
//! per-record [`Validator`](super::Validator) (which may repair a PESEL first). The first
//! occurrence passes; the second and later are errors whose message says where the first one
//! is — never the value.
//!
//! # Memory
//!
//! Values are not stored: each is reduced to a 64-bit SipHash-1-3 keyed with a random key
//! drawn for this run (std's `RandomState`), mapped to the ordinal of the record it was first
//! seen on (32 bits). An entry is 12 bytes (13 with the table's control byte), so a million
//! pupils with a PESEL or rodné číslo and a local id fill two tables of 2²¹ slots: about 55 MB
//! at worst, 68 MB while the second one grows. No national id is kept in memory longer than
//! its record.
//!
//! Where an ordinal's record is comes from [`Places`]: runs of consecutive records of one
//! source, so a file read in order is one run whatever its length.
//!
//! The trade-off: two different values sharing a hash would be reported as a duplicate.
//! With n values the chance of any such collision in a run is about n² / 2⁶⁵ — 3 in 100
//! million for a million pupils. Because the key is random per run, a false report would not
//! repeat on the next run, and no one can craft inputs that collide on purpose.

use super::{text, Findings, Item};
use crate::model::record::{Record, Rule, Severity};
use std::collections::hash_map::{Entry, HashMap, RandomState};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

/// Domain separation: a PESEL and a local id that happen to be the same text are different
/// keys.
const PESEL: u8 = 1;
const BIRTH_NUMBER: u8 = 2;
const LOCAL_ID: u8 = 3;

/// The ordinal of a record whose place is not kept (after 4 billion records): reported as
/// "an earlier record".
const UNKNOWN: u32 = u32::MAX;

/// A keyed 64-bit hash, stored as two `u32`s so that an entry with its `u32` ordinal packs
/// into 12 bytes (a `u64` would align the entry to 16).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key([u32; 2]);

impl Key {
    fn new(hash: u64) -> Key {
        Key([(hash >> 32) as u32, hash as u32])
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from(self.0[0]) << 32 | u64::from(self.0[1]));
    }
}

/// A table from keyed hash to the ordinal of the record it was first seen on.
type Seen = HashMap<Key, u32, BuildHasherDefault<PassThrough>>;

/// Finds pupils that share a national id (PESEL, rodné číslo) or a local id.
///
/// # Example
///
/// ```
/// use teczka::{Duplicates, Pupil, Record, Rule};
///
/// let pupil = |id: &str| Pupil {
///     id: id.into(),
///     pesel: Some("44051401359".into()),
///     ..Pupil::default()
/// };
/// let mut duplicates = Duplicates::new();
/// let mut first = Record { pupil: pupil("P-1"), ..Record::default() };
/// let mut second = Record { pupil: pupil("P-2"), ..Record::default() };
/// duplicates.check(&mut first);
/// duplicates.check(&mut second);
/// assert!(first.problems.is_empty());
/// assert_eq!(second.problems[0].rule, Rule::DuplicateNationalId);
/// ```
#[derive(Debug, Default)]
pub struct Duplicates {
    key: RandomState,
    national: Seen,
    ids: Seen,
    places: Places,
}

impl Duplicates {
    /// An empty set of seen ids, with a fresh random hash key.
    pub fn new() -> Duplicates {
        Duplicates::default()
    }

    /// Remember the record's ids, and report each one that an earlier record already had.
    ///
    /// Call it once per record, in input order.
    pub fn check(&mut self, record: &mut Record) {
        // Child rows without their pupil (orphans, the overflow of a pupil too large to read)
        // carry the id they name, not an identity of their own: no duplicate to report.
        if !record.parts.is_empty()
            && !record.parts.iter().any(|p| p.entity == crate::model::Entity::Pupil)
        {
            return;
        }
        let here = self.places.ordinal_of(&record.location());
        let mut out = Findings::default();
        let pupil = &record.pupil;
        if let Some(pesel) = text(&pupil.pesel) {
            let key = self.hash(PESEL, pesel.as_bytes());
            if let Some(first) = first_seen(&mut self.national, key, here) {
                let message = self.message("PESEL", "number", first);
                out.add_text(
                    "pesel",
                    Item::Pupil,
                    Rule::DuplicateNationalId,
                    Severity::Error,
                    &message,
                );
            }
        }
        if let Some(number) = text(&pupil.birth_number) {
            // With or without the slash, it is the same number.
            let digits: Vec<u8> = number.bytes().filter(|&b| b != b'/').collect();
            let key = self.hash(BIRTH_NUMBER, &digits);
            if let Some(first) = first_seen(&mut self.national, key, here) {
                let message = self.message("rodné číslo", "number", first);
                out.add_text(
                    "birth_number",
                    Item::Pupil,
                    Rule::DuplicateNationalId,
                    Severity::Error,
                    &message,
                );
            }
        }
        if !pupil.id.trim().is_empty() {
            let key = self.hash(LOCAL_ID, pupil.id.as_bytes());
            if let Some(first) = first_seen(&mut self.ids, key, here) {
                let message = self.message("local id", "id", first);
                out.add_text("id", Item::Pupil, Rule::DuplicateId, Severity::Error, &message);
            }
        }
        for f in out.items {
            record.report(&f.field, f.rule, f.severity, f.message);
        }
    }

    /// The keyed hash of `bytes` in `domain`. Fed as one slice: SipHash takes a byte at a
    /// time through `write_u8` at several times the cost (2 % of a validate run in perf).
    fn hash(&self, domain: u8, bytes: &[u8]) -> u64 {
        let mut hasher = self.key.build_hasher();
        hasher.write_u8(domain);
        hasher.write(bytes);
        hasher.finish()
    }

    /// The message for a value of `what` first seen at `first`.
    fn message(&self, what: &str, noun: &str, first: u32) -> String {
        let place = match self.places.place_of(first) {
            Some((source, record)) => format!("`{source}` record {}", record + 1),
            None => "an earlier record".to_string(),
        };
        format!(
            "the same {what} is already on the pupil in {place}: each pupil must appear once, so \
             merge the two records or correct the wrong {noun}"
        )
    }
}

/// Where `key` was first seen, or `None` after remembering it as seen `here`.
fn first_seen(map: &mut Seen, key: u64, here: u32) -> Option<u32> {
    match map.entry(Key::new(key)) {
        Entry::Occupied(seen) => Some(*seen.get()),
        Entry::Vacant(slot) => {
            slot.insert(here);
            None
        }
    }
}

/// Where each checked record is, by ordinal: runs of consecutive records of one source.
///
/// Records arrive in input order, so a file's pupils are one run (a run breaks only where
/// records were skipped, such as orphan child rows, or a new source starts): a few runs in
/// place of a location per record.
#[derive(Debug, Default)]
struct Places {
    /// Input names seen so far; a run holds an index into this.
    sources: Vec<Arc<str>>,
    /// Runs in ordinal order.
    runs: Vec<Run>,
    /// Records given an ordinal so far.
    next: u64,
}

/// Records `first_ordinal..` are records `first_record..` of source `source`.
#[derive(Debug)]
struct Run {
    first_ordinal: u32,
    source: u32,
    first_record: u64,
}

impl Places {
    /// The next ordinal, given to the record at `location`.
    fn ordinal_of(&mut self, location: &crate::Location) -> u32 {
        let ordinal = u32::try_from(self.next).unwrap_or(UNKNOWN);
        if ordinal == UNKNOWN {
            return UNKNOWN;
        }
        self.next += 1;
        let source = self.source_index(&location.source);
        let extends = self.runs.last().is_some_and(|run| {
            run.source == source
                && run.first_record + u64::from(ordinal - run.first_ordinal) == location.record
        });
        if !extends {
            self.runs.push(Run { first_ordinal: ordinal, source, first_record: location.record });
        }
        ordinal
    }

    fn source_index(&mut self, source: &Arc<str>) -> u32 {
        // Records arrive grouped by source, so the last source is almost always the one.
        let index = match self.sources.iter().rposition(|s| s == source) {
            Some(index) => index,
            None => {
                self.sources.push(source.clone());
                self.sources.len() - 1
            }
        };
        index as u32
    }

    /// The source and record number (from 0) of the record given `ordinal`.
    fn place_of(&self, ordinal: u32) -> Option<(&str, u64)> {
        if ordinal == UNKNOWN {
            return None;
        }
        let run = &self.runs[self.runs.partition_point(|r| r.first_ordinal <= ordinal) - 1];
        let source = self.sources.get(run.source as usize)?;
        Some((source, run.first_record + u64::from(ordinal - run.first_ordinal)))
    }
}

/// The map's own hasher: the keys are already keyed SipHash values, hashing them again would
/// only cost time.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used for `u64` keys; this keeps the hasher correct for anything.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::Part;
    use crate::model::{Entity, Pupil};
    use crate::Location;

    fn record(
        source: &str,
        number: u64,
        id: &str,
        pesel: Option<&str>,
        rc: Option<&str>,
    ) -> Record {
        Record {
            pupil: Pupil {
                id: id.into(),
                pesel: pesel.map(String::from),
                birth_number: rc.map(String::from),
                ..Pupil::default()
            },
            parts: vec![Part {
                entity: Entity::Pupil,
                location: Location {
                    source: source.into(),
                    record: number,
                    line: number + 2,
                    byte: 0,
                    sheet: None,
                },
                original: String::new(),
            }],
            problems: Vec::new(),
            released: None,
        }
    }

    /// Run `records` through one `Duplicates`, returning (field, rule, message) per record.
    fn run(records: Vec<Record>) -> Vec<Vec<(String, Rule, String)>> {
        let mut duplicates = Duplicates::new();
        records
            .into_iter()
            .map(|mut r| {
                duplicates.check(&mut r);
                r.problems.into_iter().map(|v| (v.field, v.rule, v.message)).collect()
            })
            .collect()
    }

    #[test]
    fn second_and_later_occurrences_name_the_first_and_never_the_value() {
        let got = run(vec![
            record("a.csv", 0, "P-1", Some("44051401359"), None),
            record("a.csv", 1, "P-2", Some("02211307589"), None),
            record("a.csv", 2, "P-3", Some("44051401359"), None),
            record("b.csv", 0, "P-4", Some("44051401359"), None),
        ]);
        let msg = |place: &str| {
            format!(
                "the same PESEL is already on the pupil in {place}: each pupil must appear \
                 once, so merge the two records or correct the wrong number"
            )
        };
        assert_eq!(got[0], vec![]);
        assert_eq!(got[1], vec![]);
        assert_eq!(
            got[2],
            vec![("pesel".into(), Rule::DuplicateNationalId, msg("`a.csv` record 1"))]
        );
        assert_eq!(
            got[3],
            vec![("pesel".into(), Rule::DuplicateNationalId, msg("`a.csv` record 1"))]
        );
        for (field, _, message) in got.iter().flatten() {
            assert_eq!(field, "pesel");
            assert!(!message.contains("44051401359") && !message.contains("440514"));
        }
    }

    #[test]
    fn birth_numbers_match_with_or_without_the_slash() {
        let got = run(vec![
            record("a.csv", 0, "P-1", None, Some("785212/1233")),
            record("a.csv", 1, "P-2", None, Some("7852121233")),
        ]);
        assert_eq!(got[1].len(), 1);
        assert_eq!(
            (got[1][0].0.as_str(), got[1][0].1),
            ("birth_number", Rule::DuplicateNationalId)
        );
        assert!(got[1][0]
            .2
            .starts_with("the same rodné číslo is already on the pupil in `a.csv` record 1"));
    }

    #[test]
    fn local_ids_repeat_independently_of_national_ids() {
        let got = run(vec![
            record("a.csv", 0, "P-1", Some("44051401359"), None),
            record("a.csv", 1, "P-1", Some("02211307589"), None),
            record("a.csv", 2, "44051401359", None, None), // same text, other domain
            record("a.csv", 3, "", None, None),
            record("a.csv", 4, " ", None, None),
            record("a.csv", 5, "P-1", Some("02211307589"), Some("785212/1233")),
        ]);
        let rules: Vec<Vec<Rule>> = got.iter().map(|r| r.iter().map(|v| v.1).collect()).collect();
        assert_eq!(
            rules,
            vec![
                vec![],
                vec![Rule::DuplicateId],
                vec![],
                vec![],
                vec![],
                vec![Rule::DuplicateNationalId, Rule::DuplicateId],
            ]
        );
        assert!(got[1][0]
            .2
            .starts_with("the same local id is already on the pupil in `a.csv` record 1"));
        assert!(got[5][0].2.contains("`a.csv` record 2"), "{}", got[5][0].2);
    }

    #[test]
    fn duplicates_are_errors_located_at_the_later_record() {
        let mut duplicates = Duplicates::new();
        let mut first = record("a.csv", 0, "P-1", None, None);
        let mut second = record("a.csv", 7, "P-1", None, None);
        duplicates.check(&mut first);
        duplicates.check(&mut second);
        assert!(second.is_rejected());
        assert_eq!(second.problems[0].location.record, 7);
        assert_eq!(second.problems[0].record_id.as_deref(), Some("P-1"));
    }

    #[test]
    fn places_follow_runs_across_sources_and_gaps() {
        let at = |source: &str, record: u64| Location {
            source: source.into(),
            record,
            line: record + 2,
            byte: 0,
            sheet: None,
        };
        let mut places = Places::default();
        let checked = [("a.csv", 0), ("a.csv", 1), ("a.csv", 5), ("b.csv", 0), ("a.csv", 6)];
        let ordinals: Vec<u32> =
            checked.iter().map(|&(s, r)| places.ordinal_of(&at(s, r))).collect();
        assert_eq!(ordinals, [0, 1, 2, 3, 4]);
        assert_eq!(places.runs.len(), 4, "one run per gap or change of source");
        for (ordinal, &(source, record)) in ordinals.iter().zip(&checked) {
            assert_eq!(places.place_of(*ordinal), Some((source, record)));
        }
        assert_eq!(places.place_of(UNKNOWN), None);
    }

    #[test]
    fn a_file_read_in_order_is_one_run() {
        let mut duplicates = Duplicates::new();
        for i in 0..10_000 {
            duplicates.check(&mut record("a.csv", i, &format!("P-{i}"), None, None));
        }
        assert_eq!(duplicates.places.runs.len(), 1);
        assert_eq!(std::mem::size_of::<(Key, u32)>(), 12, "an entry packs into 12 bytes");
    }

    #[test]
    fn records_past_the_ordinals_are_named_as_earlier() {
        let mut duplicates = Duplicates::new();
        duplicates.places.next = u64::from(UNKNOWN);
        let mut first = record("a.csv", 1, "P-1", None, None);
        let mut second = record("a.csv", 2, "P-1", None, None);
        duplicates.check(&mut first);
        duplicates.check(&mut second);
        assert!(second.problems[0].message.contains("the pupil in an earlier record"));
    }
}
