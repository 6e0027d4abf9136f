//! The archive a command hands over: a staging folder filled by the command, then sealed as one
//! BagIt bag in a deterministic zip, optionally encrypted and signed, and renamed into place.
//!
//! `export` and `sar` share this, so both kinds of archive have the same layout, checksums,
//! timestamps and encryption choices, and `verify` reads both. The command line only turns its
//! flags (and the secrets in the environment variables they name) into [`SealOptions`].

use crate::archive::bag::{BagBuilder, BagSummary, Source};
use crate::archive::early::EarlyEntries;
use crate::archive::sign::SigningKey;
use crate::archive::zip_writer::{source_date_epoch, write_atomically, ZipOptions};
use crate::crypto::age::{passphrase_encryptor, recipients_encryptor};
use crate::error::{Error, Result};
use crate::write::output as private;
use crate::write::private as private_files;
use crate::write::staged::Store;
use chrono::{DateTime, NaiveDateTime};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How the sealed archive is protected. Age encrypts the whole zip (names and sizes too); zip
/// AES encrypts every entry for recipients who only have 7-Zip. Nothing set: the archive is
/// written in the clear.
#[derive(Clone, Debug, Default)]
pub struct Protection {
    /// Encrypt the whole archive with age to these recipients (`age1…`).
    pub age_recipients: Vec<String>,
    /// Encrypt the whole archive with age under this passphrase (used when given, instead of
    /// the recipients).
    pub age_passphrase: Option<String>,
    /// Encrypt every zip entry with AES-256 under this password.
    pub zip_aes_password: Option<String>,
}

impl Protection {
    /// Whether age encrypts the whole archive.
    pub fn age(&self) -> bool {
        !self.age_recipients.is_empty() || self.age_passphrase.is_some()
    }

    /// Whether the archive is encrypted at all (age or zip AES).
    pub fn encrypts(&self) -> bool {
        self.age() || self.zip_aes_password.is_some()
    }
}

/// Everything about the archive that is fixed before any record is read.
#[derive(Debug)]
pub struct SealOptions {
    /// The archive to write.
    pub output: PathBuf,
    /// The bag's name (the archive's top folder); `None`: the output file name without `.zip`
    /// and `.age`.
    pub name: Option<String>,
    /// Who made the archive, for `bag-info.txt` (the school's name).
    pub source_organization: Option<String>,
    /// Encryption of the archive.
    pub protection: Protection,
    /// The minisign key the bag's tag manifest is signed with, if any.
    pub signing_key: Option<SigningKey>,
    /// Deflate level, 1 (fastest) to 9 (smallest); 0 stores the entries uncompressed.
    pub level: i64,
    /// The archive's one timestamp (every entry, `Bagging-Date`, the metadata); see
    /// [`archive_time`].
    pub modified: NaiveDateTime,
}

/// A staging folder beside the output that becomes the bag's `data/` when sealed.
///
/// Dropping it unsealed removes the folder, so an interrupted run leaves nothing behind under
/// the final name (and only a hidden `.teczka-<pid>-export-*` folder if the process is killed).
///
/// When the archive is encrypted with age, the staging is sealed: every file the command
/// writes into it goes through [`Staging::store`], which encrypts it under a key held in
/// memory only, and is decrypted again when the bag is hashed and zipped; the compressed
/// entries waiting for the zip are sealed the same way, and the zip is streamed straight into
/// age. No plaintext record reaches the disk (see [`Store`](crate::write::staged::Store)).
pub struct Staging {
    options: SealOptions,
    folder: tempfile::TempDir,
    store: Store,
    /// Where compressed entries wait for the zip; held only so it is removed with the staging.
    _work: tempfile::TempDir,
    zip: ZipOptions,
    /// The bag's entries, hashed and compressed while the command writes their files.
    early: Arc<EarlyEntries>,
}

impl Staging {
    /// Check the zip options and the output folder and create the staging folder.
    pub fn create(options: SealOptions) -> Result<Staging> {
        let mut zip = ZipOptions::new(options.modified);
        zip.level = Some(options.level);
        zip.aes_password = options.protection.zip_aes_password.clone();
        zip.validate()?;

        // Sealed when age encrypts the archive; zip AES leaves the names, sizes and the
        // staging in the clear anyway, and an unencrypted archive is plaintext by choice.
        let store = if options.protection.age() { Store::sealed() } else { Store::plain() };
        zip.store = store.clone();

        let parent = match options.output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        private_files::create_dir_all(&parent).map_err(|e| {
            Error::archive(format!("{}: cannot create the folder", parent.display()), Some(e))
        })?;
        // Staging and the compressed entries waiting for the zip live in private (0700),
        // registered folders named after this process: a signal removes them, and what
        // `kill -9` leaves is removed by the next run writing here.
        private::remove_leftovers(&parent);
        // Registered before anything is created in it, so a signal at any moment finds it.
        private::register_folder(&parent);
        let staging = |what: &str| {
            let prefix = format!("{}{what}-", private::temp_prefix());
            let folder = private_files::temp_dir_in(&parent, &prefix).map_err(|e| {
                let message = format!("{}: cannot create a staging folder", parent.display());
                Error::archive(message, Some(e))
            })?;
            Ok::<_, Error>(folder)
        };
        let work = staging("zip")?;
        zip.temp_dir = Some(work.path().to_path_buf());
        let folder = staging("export")?;
        // The store the command writes through shows every file to `early` as it is written;
        // the zip's own temporary entries are not watched.
        let early = Arc::new(EarlyEntries::new(folder.path(), &bag_name(&options), zip.clone()));
        let store = store.watched(early.clone());
        Ok(Staging { options, folder, store, _work: work, zip, early })
    }

    /// The folder that becomes `data/`.
    pub fn data(&self) -> &Path {
        self.folder.path()
    }

    /// How to write files into [`data`](Staging::data): sealed when the archive is encrypted
    /// with age.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Create a folder (and its parents) under [`data`](Staging::data), `0700`.
    pub fn create_dir(&self, relative: &str) -> Result<PathBuf> {
        let folder = self.data().join(relative);
        private_files::create_dir_all(&folder)?;
        Ok(folder)
    }

    /// Write a file under [`data`](Staging::data) through the store.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> Result<()> {
        self.store.write(&self.data().join(relative), contents)
    }

    /// The archive's one timestamp (every entry, `Bagging-Date`, the metadata).
    pub fn modified(&self) -> NaiveDateTime {
        self.options.modified
    }

    /// Whether the archive will be encrypted (age or zip AES).
    pub fn encrypted(&self) -> bool {
        self.options.protection.encrypts()
    }

    /// The id of the minisign key the archive will be signed with, if any.
    pub fn signing_key_id(&self) -> Option<String> {
        self.options.signing_key.as_ref().map(SigningKey::id)
    }

    /// The archive being written.
    pub fn output(&self) -> &Path {
        &self.options.output
    }

    /// Bag everything under the staging folder with `bag-info.txt` saying `kind`, sign its tag
    /// manifest if asked, write the zip (encrypted as asked) under a temporary name and rename
    /// it into place.
    pub fn seal(mut self, kind: &str) -> Result<BagSummary> {
        let options = &self.options;
        let name = bag_name(options);
        let mut bag = BagBuilder::new(&name)?;
        if let Some(org) = &options.source_organization {
            bag.info("Source-Organization", org)?;
        }
        bag.info("Bagging-Date", &options.modified.date().format("%Y-%m-%d").to_string())?;
        bag.info("External-Identifier", &name)?;
        bag.info("Archive-Kind", kind)?;
        bag.info("Bag-Software-Agent", &format!("teczka {}", env!("CARGO_PKG_VERSION")))?;
        for (relative, path) in files_under(self.data())? {
            bag.add(&relative, Source::Stored { path, store: self.store.clone() })?;
        }
        if let Some(key) = self.options.signing_key.take() {
            bag.sign_with(key);
        }
        bag.prepared_early(self.early.clone());
        let protection = &self.options.protection;
        if let Some(passphrase) = &protection.age_passphrase {
            self.encrypted_zip(bag, passphrase_encryptor(passphrase)?)
        } else if !protection.age_recipients.is_empty() {
            self.encrypted_zip(bag, recipients_encryptor(&protection.age_recipients)?)
        } else {
            write_atomically(&self.options.output, |file| bag.write_zip(file, &self.zip))
        }
    }

    /// Stream the zip straight into age, into a temporary file beside the output that is
    /// renamed into place: the plaintext zip is never on disk.
    fn encrypted_zip(&self, bag: BagBuilder, encryptor: age::Encryptor) -> Result<BagSummary> {
        let output = self.options.output.display().to_string();
        write_atomically(&self.options.output, |out| {
            let io_error = |e| Error::io(&output, e);
            let mut age = encryptor.wrap_output(std::io::BufWriter::new(out)).map_err(io_error)?;
            let summary = bag.write_zip_stream(&mut age, &self.zip)?;
            let mut out = age.finish().map_err(io_error)?;
            std::io::Write::flush(&mut out).map_err(io_error)?;
            Ok(summary)
        })
    }
}

/// `SOURCE_DATE_EPOCH`, or else the newest modification time of `inputs` (files, or folders
/// whose files count): never the clock, so the same input gives the same archive.
pub fn archive_time<'a>(inputs: impl IntoIterator<Item = &'a Path>) -> Result<NaiveDateTime> {
    if let Some(time) = source_date_epoch()? {
        return Ok(time);
    }
    let mut newest = None;
    for input in inputs {
        let mut consider = |path: &Path| {
            if let Ok(modified) = fs::metadata(path).and_then(|m| m.modified()) {
                newest = newest.max(Some(modified));
            }
        };
        if input.is_dir() {
            for entry in fs::read_dir(input).map_err(|e| Error::io(input, e))?.flatten() {
                consider(&entry.path());
            }
        } else {
            consider(input);
        }
    }
    let newest = newest.ok_or_else(|| {
        Error::archive("cannot read the inputs' modification times: set SOURCE_DATE_EPOCH", None)
    })?;
    let seconds = newest.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    // Zip timestamps start in 1980.
    let seconds = seconds.max(315_532_800);
    DateTime::from_timestamp(i64::try_from(seconds).unwrap_or(i64::MAX), 0)
        .map(|t| t.naive_utc())
        .ok_or_else(|| {
            let message = "the inputs' modification time is out of range: set SOURCE_DATE_EPOCH";
            Error::archive(message, None)
        })
}

/// The bag's name: the one given, or the output's file name without its extensions.
fn bag_name(options: &SealOptions) -> String {
    options.name.clone().unwrap_or_else(|| default_name(&options.output))
}

/// The output's file name without `.zip` / `.age` extensions.
fn default_name(output: &Path) -> String {
    let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut stem = name.as_str();
    for ext in [".age", ".zip"] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    if stem.is_empty() {
        "teczka-export".to_string()
    } else {
        stem.to_string()
    }
}

/// Every file under `root`, as (path with `/`, full path), sorted.
fn files_under(root: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let entries = fs::read_dir(&folder).map_err(|e| Error::io(&folder, e))?;
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&folder, e))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(relative) = path.strip_prefix(root) {
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push((parts.join("/"), path));
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bag_is_named_after_the_output_without_its_extensions() {
        assert_eq!(default_name(Path::new("out/szkola.zip.age")), "szkola");
        assert_eq!(default_name(Path::new("szkola.zip")), "szkola");
        assert_eq!(default_name(Path::new(".zip")), "teczka-export");
    }

    #[test]
    fn files_are_listed_with_slashes_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        for file in ["b/c/z.txt", "a.txt", "b/y.txt"] {
            std::fs::write(dir.path().join(file), "x").unwrap();
        }
        let names: Vec<String> =
            files_under(dir.path()).unwrap().into_iter().map(|f| f.0).collect();
        assert_eq!(names, ["a.txt", "b/c/z.txt", "b/y.txt"]);
    }
}
