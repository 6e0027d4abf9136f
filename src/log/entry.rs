//! One log entry: what a command did with personal data, described without any of it.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// What one run of a command did: when, who, which files by hash, under which policy and key,
/// how many records. Never a value from the records, never a file name (names of answers and
/// folders may hold a child's name).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The entry's number in the log, from 1.
    pub seq: u64,
    /// When the run ended, RFC 3339 in UTC.
    pub time: String,
    /// The command (`export`, `sar`, `retention apply`, …).
    pub command: String,
    /// Who ran it: `--operator`, else the operating system's user name.
    pub operator: String,
    /// How it ended: `ok`, `rejects` (some records rejected) or `failed`.
    pub outcome: String,
    /// The files it read, by content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<FileRef>,
    /// The files it wrote, by content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<FileRef>,
    /// The policy applied, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyRef>,
    /// The id of the pseudonymisation or token key used, if any (never the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Record counts (`in`, `out`, `rejected`, `suppressed`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<String, u64>,
    /// The reference of a subject-access request (its case number), never the subject's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// A file named by its content: SHA-256 and size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// A policy named by its name and the SHA-256 of its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRef {
    /// The policy's name (a preset's or the file's `name`).
    pub name: String,
    /// SHA-256 of the policy's TOML text, lower-case hex.
    pub sha256: String,
}

impl FileRef {
    /// The reference of one file, hashed as it is streamed (a 1 GB export is never held).
    pub fn of(path: &Path) -> Result<FileRef> {
        let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0; 1 << 16];
        let mut bytes = 0u64;
        loop {
            let n = file.read(&mut buffer).map_err(|e| Error::io(path, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            bytes += n as u64;
        }
        Ok(FileRef { sha256: crate::crypto::keys::hex(&hasher.finalize()), bytes })
    }

    /// The references of a file, or of every file under a folder (in name order, so the same
    /// folder always lists the same way).
    pub fn all_under(path: &Path) -> Result<Vec<FileRef>> {
        if !path.is_dir() {
            return Ok(vec![FileRef::of(path)?]);
        }
        let mut names: Vec<_> = std::fs::read_dir(path)
            .and_then(|dir| dir.map(|e| e.map(|e| e.path())).collect::<std::io::Result<_>>())
            .map_err(|e| Error::io(path, e))?;
        names.sort();
        let mut files = Vec::new();
        for name in names {
            files.extend(FileRef::all_under(&name)?);
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_named_by_its_sha256_and_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "abc").unwrap();
        let reference = FileRef::of(&path).unwrap();
        assert_eq!(
            reference.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(reference.bytes, 3);
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b.txt"), "").unwrap();
        assert_eq!(FileRef::all_under(dir.path()).unwrap().len(), 2);
    }

    #[test]
    fn an_entry_reads_back_and_unknown_keys_are_refused() {
        let entry = Entry { seq: 3, command: "sar".into(), ..Entry::default() };
        let text = serde_json::to_string(&entry).unwrap();
        assert_eq!(serde_json::from_str::<Entry>(&text).unwrap(), entry);
        let tampered = text.replacen('{', "{\"pesel\":\"44051401458\",", 1);
        assert!(serde_json::from_str::<Entry>(&tampered).is_err());
    }
}
