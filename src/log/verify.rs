//! Checking a whole log: every entry in its place, every checkpoint signed by the school's key
//! and matching the tree at that point, and nothing cut off before a checkpoint kept elsewhere.

use super::merkle::{leaf_hash, Frontier, Hash};
use super::{read_lines, Checkpoint, Entry, Line};
use crate::archive::sign::TrustedKey;
use crate::error::Result;
use std::path::Path;

/// A log that checks out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Entries in the log.
    pub entries: u64,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// The size of the kept checkpoint the log was checked against, if one was given.
    pub kept: Option<u64>,
}

/// The first place a log no longer fits its checkpoints.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{why}", match .entry { Some(n) => format!("entry {n} "), None => String::new() })]
pub struct Broken {
    /// The first entry (from 1) that no longer fits, when one can be named.
    pub entry: Option<u64>,
    /// What is wrong, in plain words.
    pub why: String,
}

fn broken(entry: u64, why: impl Into<String>) -> Broken {
    Broken { entry: Some(entry), why: why.into() }
}

/// Check the log at `path` against `key`, and against `kept` (a checkpoint the school kept
/// elsewhere) when given. The outer error is an unreadable file; the inner one names the first
/// entry that no longer fits.
pub fn verify(
    path: &Path,
    key: &TrustedKey,
    kept: Option<&str>,
) -> Result<std::result::Result<Verified, Broken>> {
    let lines = read_lines(path)?;
    Ok(verify_lines(&lines, key, kept))
}

/// [`verify`] over lines already read ([`lines_of`](super::lines_of)).
pub fn verify_lines(
    lines: &[Line],
    key: &TrustedKey,
    kept: Option<&str>,
) -> std::result::Result<Verified, Broken> {
    let mut tree = Frontier::default();
    // The root after each entry, to check a kept checkpoint of any size.
    let mut roots: Vec<Hash> = Vec::new();
    let (mut signed, mut checkpoints) = (0, 0);
    for line in lines {
        let n = tree.size();
        match line {
            Line::Torn { checkpoint } => {
                return Err(broken(
                    if *checkpoint { n } else { n + 1 },
                    "is cut short, or its checkpoint is (the file ends inside a line): the file \
                     was truncated, or a run crashed while appending — the next append cuts the \
                     unfinished line away",
                ))
            }
            Line::Entry { raw, entry } => {
                check_entry(n + 1, entry)?;
                tree.push(leaf_hash(raw));
                roots.push(tree.root());
            }
            Line::Checkpoint(note) => {
                check_checkpoint(note, &tree, signed, key)?;
                (signed, checkpoints) = (n, checkpoints + 1);
            }
        }
    }
    if tree.size() > signed {
        return Err(broken(
            signed + 1,
            "has no checkpoint after it: it was added by hand, or a run crashed before signing it",
        ));
    }
    let kept = kept.map(|note| check_kept(note, &roots, key)).transpose()?;
    Ok(Verified { entries: tree.size(), checkpoints, kept })
}

fn check_entry(
    n: u64,
    entry: &std::result::Result<Entry, String>,
) -> std::result::Result<(), Broken> {
    let entry = entry.as_ref().map_err(|why| broken(n, why.clone()))?;
    if entry.seq != n {
        return Err(broken(
            n,
            format!(
                "holds entry number {} where entry {n} belongs: entries were removed, added or \
                 moved here",
                entry.seq
            ),
        ));
    }
    Ok(())
}

/// Check the checkpoint after entry `tree.size()`; `signed` entries were covered by the last
/// checkpoint that held, so the first entry after them is the first that no longer fits.
fn check_checkpoint(
    note: &str,
    tree: &Frontier,
    signed: u64,
    key: &TrustedKey,
) -> std::result::Result<(), Broken> {
    let n = tree.size();
    let checkpoint = Checkpoint::open(note, key)
        .map_err(|why| broken(n, format!("is followed by a checkpoint that {why}")))?;
    if checkpoint.size != n {
        return Err(broken(
            signed + 1,
            format!(
                "no longer fits: the checkpoint after it covers {} entries, the log holds {n} \
                 there — entries were removed, added or moved",
                checkpoint.size
            ),
        ));
    }
    if checkpoint.root != tree.root() {
        return Err(broken(
            signed + 1,
            "no longer matches the checkpoint signed after it: it was changed after it was \
             logged",
        ));
    }
    Ok(())
}

fn check_kept(note: &str, roots: &[Hash], key: &TrustedKey) -> std::result::Result<u64, Broken> {
    let checkpoint = Checkpoint::open(note, key)
        .map_err(|why| Broken { entry: None, why: format!("the kept checkpoint {why}") })?;
    let held = roots.len() as u64;
    if checkpoint.size > held {
        return Err(broken(
            held + 1,
            format!(
                "is missing: the kept checkpoint covers {} entries, the log holds {held} — the \
                 end of the log was cut off",
                checkpoint.size
            ),
        ));
    }
    let at = checkpoint.size.checked_sub(1).map(|i| roots[i as usize]);
    if checkpoint.size > 0 && at != Some(checkpoint.root) {
        return Err(Broken {
            entry: None,
            why: format!(
                "the log's first {} entries no longer match the kept checkpoint: the log was \
                 rewritten and signed again",
                checkpoint.size
            ),
        });
    }
    Ok(checkpoint.size)
}
