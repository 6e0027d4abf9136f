//! Inclusion proofs: that the run which wrote a file (an exported archive) is in the log, shown
//! with the entry, its audit path and a signed checkpoint — checkable without the log.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::path::Path;

use super::merkle::{inclusion_proof, leaf_hash, verify_inclusion, Hash};
use super::{read_lines, verify, Checkpoint, Entry, FileRef, Line};
use crate::archive::sign::TrustedKey;
use crate::error::{Error, Result};

/// An inclusion proof of one log entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    /// The log's name (its checkpoints' origin).
    pub log: String,
    /// The entry's number (from 1).
    pub entry: u64,
    /// The number of entries the checkpoint covers.
    pub tree_size: u64,
    /// The entry's exact text in the log (files by hash, counts: no personal value).
    pub entry_text: String,
    /// The audit path, leaf to root, base64 SHA-256 hashes (RFC 6962 §2.1.1).
    pub audit_path: Vec<String>,
    /// The signed checkpoint the path leads to.
    pub checkpoint: String,
}

impl Proof {
    /// The proof that the log at `path` holds the run which wrote `file`: its last entry with
    /// `file` among its outputs, up to the log's last checkpoint. The log is verified first.
    pub fn of_output(path: &Path, file: &FileRef, key: &TrustedKey) -> Result<Proof> {
        if let Err(broken) = verify(path, key, None)? {
            return Err(Error::input(
                path,
                format!("{broken}: no proof is made from a log that does not verify"),
            ));
        }
        let lines = read_lines(path)?;
        let mut leaves: Vec<Hash> = Vec::new();
        let (mut found, mut checkpoint) = (None, String::new());
        for line in &lines {
            match line {
                Line::Entry { raw, entry } => {
                    if entry.as_ref().as_ref().is_ok_and(|e| e.outputs.contains(file)) {
                        found = Some((leaves.len(), raw.clone()));
                    }
                    leaves.push(leaf_hash(raw));
                }
                Line::Checkpoint(note) => checkpoint.clone_from(note),
                _ => {}
            }
        }
        let (index, raw) = found.ok_or_else(|| {
            Error::input(
                path,
                format!(
                    "no entry of this log wrote a file with SHA-256 {}: the archive was made \
                     without this log, or it is not the file that was written",
                    file.sha256
                ),
            )
        })?;
        let audit_path = inclusion_proof(index, &leaves).iter().map(|h| BASE64.encode(h)).collect();
        Ok(Proof {
            log: Checkpoint::origin_for(&key.id()),
            entry: index as u64 + 1,
            tree_size: leaves.len() as u64,
            entry_text: String::from_utf8_lossy(&raw).into_owned(),
            audit_path,
            checkpoint,
        })
    }

    /// Check that the proof shows `file` written by a run in the log `key` signs; on success,
    /// the entry. The error says what does not hold.
    pub fn check(&self, file: &FileRef, key: &TrustedKey) -> std::result::Result<Entry, String> {
        let checkpoint = Checkpoint::open(&self.checkpoint, key)
            .map_err(|why| format!("its checkpoint {why}"))?;
        let entry: Entry = serde_json::from_str(&self.entry_text)
            .map_err(|e| format!("its entry is not a log entry ({e})"))?;
        if !entry.outputs.contains(file) {
            return Err(format!(
                "its entry (number {}) did not write this file: its SHA-256 {} is not among the \
                 entry's outputs",
                entry.seq, file.sha256
            ));
        }
        let path: Vec<Hash> = self
            .audit_path
            .iter()
            .map(|h| BASE64.decode(h).ok().and_then(|h| Hash::try_from(h).ok()))
            .collect::<Option<_>>()
            .ok_or("its audit path holds a hash that is not 32 bytes of base64")?;
        let leaf = leaf_hash(self.entry_text.as_bytes());
        let fits = checkpoint.size == self.tree_size
            && entry.seq == self.entry
            && self.entry.checked_sub(1).is_some_and(|index| {
                verify_inclusion(index, self.tree_size, &leaf, &path, &checkpoint.root)
            });
        if !fits {
            return Err(format!(
                "does not lead from entry {} to the signed root of {} entries: the proof or its \
                 entry was changed",
                self.entry, checkpoint.size
            ));
        }
        Ok(entry)
    }
}
