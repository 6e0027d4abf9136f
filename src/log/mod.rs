//! The tamper-evident log of every operation on personal data (GDPR Art. 5(2), Art. 30).
//!
//! The log is one JSON Lines file the school names. Each run of a command that reads or writes
//! personal data appends one [`Entry`] line — time, command, operator, files by SHA-256 and
//! size, policy, key id, counts; never a value — and right after it a checkpoint line: the
//! Merkle tree's size and root over every entry so far ([`merkle`], RFC 6962 hashing), signed
//! with the school's minisign (Ed25519) key as a C2SP signed note ([`checkpoint`]).
//!
//! What it proves: an entry was not changed, removed or reordered after a checkpoint covering
//! it was signed — and, against a checkpoint kept elsewhere (printed, mailed to the body that
//! runs the school), that nothing was cut off the end. It cannot stop someone holding the
//! signing key from writing a new log; keeping checkpoints outside the school's reach is what
//! makes that visible.
//!
//! Appending takes an exclusive lock on the file (two runs never interleave) and writes the
//! entry and its checkpoint in one `write` followed by `fsync`; a line cut short by a crash
//! carries no checkpoint, was never part of the log, and is cut away by the next append.

pub mod checkpoint;
pub mod entry;
pub mod merkle;
mod proof;
mod verify;

pub use checkpoint::Checkpoint;
pub use entry::{Entry, FileRef, PolicyRef};
pub use proof::Proof;
pub use verify::{verify, verify_lines};

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use merkle::{leaf_hash, Frontier};
use serde::{Deserialize, Serialize};

use crate::archive::sign::{SigningKey, TrustedKey};
use crate::error::{Error, Result};

/// The most bytes one log line may hold: far above any entry, low enough that a damaged or
/// foreign file cannot make teczka read a gigabyte as one line.
const MAX_LINE: usize = 1 << 20;

/// A checkpoint line of the log file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointLine {
    /// The signed note.
    checkpoint: String,
}

/// One line of a log file, as read.
#[derive(Clone, Debug)]
pub enum Line {
    /// An entry: its exact bytes (what the tree hashes) and their reading.
    Entry {
        /// The line's bytes, without the line break.
        raw: Vec<u8>,
        /// The entry, or why the bytes are not one.
        entry: Box<std::result::Result<Entry, String>>,
    },
    /// A signed checkpoint note.
    Checkpoint(String),
    /// The last line, without its line break: cut short by a crash or by hand; `checkpoint`
    /// when what is left of it is the start of a checkpoint.
    Torn {
        /// Whether the torn line began as a checkpoint (else as an entry).
        checkpoint: bool,
    },
}

/// Read every line of a log file (line numbers follow the order).
pub fn read_lines(path: &Path) -> Result<Vec<Line>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    lines_of(&bytes, path)
}

/// The lines of a log's bytes; `path` names it in messages.
pub fn lines_of(bytes: &[u8], path: &Path) -> Result<Vec<Line>> {
    let mut lines = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let Some(end) = rest.iter().position(|b| *b == b'\n') else {
            lines.push(Line::Torn { checkpoint: rest.starts_with(b"{\"checkpoint\"") });
            break;
        };
        let (line, tail) = (&rest[..end], &rest[end + 1..]);
        rest = tail;
        if line.len() > MAX_LINE {
            return Err(Error::input(
                path,
                format!(
                    "line {} is longer than any log entry: this is not a teczka log",
                    lines.len() + 1
                ),
            ));
        }
        lines.push(parse_line(line));
    }
    Ok(lines)
}

fn parse_line(line: &[u8]) -> Line {
    if line.starts_with(b"{\"checkpoint\":") {
        if let Ok(c) = serde_json::from_slice::<CheckpointLine>(line) {
            return Line::Checkpoint(c.checkpoint);
        }
    }
    let entry =
        serde_json::from_slice::<Entry>(line).map_err(|e| format!("is not a log entry ({e})"));
    Line::Entry { raw: line.to_vec(), entry: Box::new(entry) }
}

/// A log file teczka appends to.
#[derive(Clone, Debug)]
pub struct Log {
    path: PathBuf,
}

/// What an append did.
#[derive(Clone, Debug)]
pub struct Appended {
    /// The new entry's number.
    pub seq: u64,
    /// The signed checkpoint written after it.
    pub checkpoint: String,
    /// Bytes of an unfinished last line (a crash while appending) cut away first.
    pub cut_torn_bytes: u64,
}

impl Log {
    /// The log at `path` (created by the first append).
    pub fn new(path: impl Into<PathBuf>) -> Log {
        Log { path: path.into() }
    }

    /// Where the log lies.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Check, before a run, that the log can take its entry: it is a teczka log (or absent or
    /// empty) and its last checkpoint is `key`'s and covers every entry — so a run is never
    /// made only to find its log tampered with or kept by another key.
    pub fn check_head(&self, key: &SigningKey) -> Result<()> {
        match std::fs::read(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&self.path, e)),
            Ok(bytes) => self.head(&bytes, key).map(|_| ()),
        }
    }

    /// Append `entry` (its `seq` is set here) and a checkpoint signed with `key`.
    pub fn append(&self, mut entry: Entry, key: &SigningKey) -> Result<Appended> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(|e| Error::io(&self.path, e))?;
        file.lock().map_err(|e| Error::io(&self.path, e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| Error::io(&self.path, e))?;
        let (mut frontier, committed) = self.head(&bytes, key)?;
        let cut_torn_bytes = (bytes.len() - committed) as u64;
        if cut_torn_bytes > 0 {
            file.set_len(committed as u64).map_err(|e| Error::io(&self.path, e))?;
            file.seek(SeekFrom::End(0)).map_err(|e| Error::io(&self.path, e))?;
        }
        entry.seq = frontier.size() + 1;
        let line =
            serde_json::to_string(&entry).map_err(|e| Error::input(&self.path, e.to_string()))?;
        frontier.push(leaf_hash(line.as_bytes()));
        let checkpoint = Checkpoint {
            origin: Checkpoint::origin_for(&key.id()),
            size: frontier.size(),
            root: frontier.root(),
        }
        .sign(key)?;
        let note = serde_json::to_string(&CheckpointLine { checkpoint: checkpoint.clone() })
            .map_err(|e| Error::input(&self.path, e.to_string()))?;
        // One write: a crash leaves the log as it was, or a torn tail with no checkpoint.
        file.write_all(format!("{line}\n{note}\n").as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(Appended { seq: entry.seq, checkpoint, cut_torn_bytes })
    }

    /// The tree over the log's committed entries, and how many bytes are committed (up to the
    /// end of the last checkpoint line); refuses a log whose last checkpoint does not cover its
    /// entries or is not `key`'s.
    fn head(&self, bytes: &[u8], key: &SigningKey) -> Result<(Frontier, usize)> {
        let mut tree = Frontier::default();
        // The tree, the end offset and the note of the last checkpoint seen.
        let mut committed = (Frontier::default(), 0, None);
        let mut offset = 0;
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            offset += line.len();
            // A last line without its line break is the torn tail of a crashed append.
            let Some(text) = line.strip_suffix(b"\n") else { break };
            match parse_line(text) {
                Line::Checkpoint(note) => committed = (tree.clone(), offset, Some(note)),
                Line::Entry { raw, entry } if entry.is_ok() => tree.push(leaf_hash(&raw)),
                _ => return Err(self.not_a_log(tree.size() + 1)),
            }
        }
        let (tree, end, last) = committed;
        if let Some(note) = last {
            self.check_last(&note, &tree, &key.public_key()?)?;
        }
        // Entries after the last checkpoint were never committed: they are cut away.
        Ok((tree, end))
    }

    fn check_last(&self, note: &str, tree: &Frontier, key: &TrustedKey) -> Result<()> {
        let checkpoint = Checkpoint::open(note, key).map_err(|why| {
            Error::input(
                &self.path,
                format!(
                    "the log's last checkpoint {why}: give the key this log is kept with \
                     (--log-key), or start a new log; run `teczka log verify` to see more"
                ),
            )
        })?;
        if checkpoint.size != tree.size() || checkpoint.root != tree.root() {
            return Err(Error::input(
                &self.path,
                "the log no longer matches its last checkpoint: it was changed; run `teczka log \
                 verify` to find the entry, and nothing was appended",
            ));
        }
        Ok(())
    }

    fn not_a_log(&self, entry: u64) -> Error {
        Error::input(
            &self.path,
            format!(
                "line of entry {entry} is not a teczka log line: this file is not a teczka log \
                 (or was damaged): name another --log file; run `teczka log verify` to see more"
            ),
        )
    }
}

#[cfg(test)]
mod tests;
