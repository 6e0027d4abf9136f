//! The archive a command hands over: a staging folder filled by the command, then sealed as one
//! BagIt bag in a deterministic zip, optionally encrypted, and renamed into place.
//!
//! `export` and `sar` share this, so both kinds of archive have the same layout, checksums,
//! timestamps and encryption choices, and `verify` reads both.

use crate::cli::say::note;
use crate::cli::ReadArgs;
use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDateTime};
use std::fs;
use std::path::{Path, PathBuf};
use teczka::archive::bag::{BagBuilder, BagSummary, Source};
use teczka::archive::sign::SigningKey;
use teczka::archive::zip_writer::{source_date_epoch, write_atomically, ZipOptions};
use teczka::crypto::age::{passphrase_encryptor, recipients_encryptor};
use teczka::crypto::keys::check_passphrase;
use teczka::policy::Exposure;
use teczka::write::output as private;
use teczka::write::private as private_files;
use teczka::write::staged::Store;

/// Where the archive goes and how it is protected (shared by `export` and `sar`).
#[derive(Debug, clap::Args)]
pub struct ArchiveArgs {
    /// The bag's name (the archive's top folder); default: the output file name without
    /// extensions.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Who made the archive, for bag-info.txt (the school's name).
    #[arg(long, value_name = "TEXT")]
    pub source_organization: Option<String>,
    /// Encrypt the whole archive with age to this recipient (`age1…`); repeat for several.
    #[arg(long = "encrypt-to", value_name = "AGE_RECIPIENT")]
    pub encrypt_to: Vec<String>,
    /// Encrypt the whole archive with age under the passphrase in this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "encrypt_to")]
    pub passphrase_env: Option<String>,
    /// Encrypt every zip entry with AES-256 under the password in this environment variable,
    /// for recipients who only have 7-Zip (Windows Explorer cannot open it). Entry names and
    /// sizes stay visible: prefer age for anything with sensitive fields.
    #[arg(long, value_name = "VAR")]
    pub zip_aes_env: Option<String>,
    /// Write the archive unencrypted although it holds direct identifiers or special-category
    /// data (the run names which categories); without it, such an archive is refused unless
    /// encrypted.
    #[arg(long, conflicts_with_all = ["encrypt_to", "passphrase_env", "zip_aes_env"])]
    pub unencrypted: bool,
    /// Sign the bag's tag manifest (the checksums of the bag's own description files, which
    /// cover the record files' checksums) with this minisign secret key (`teczka keygen --minisign`
    /// or `minisign -G`): the signature goes into the bag as tagmanifest-sha512.txt.minisig,
    /// which `teczka verify --trusted-key` and `minisign -V` check.
    #[arg(long, value_name = "KEYFILE")]
    pub sign: Option<PathBuf>,
    /// The environment variable holding the password of an encrypted --sign key.
    #[arg(long, value_name = "VAR", requires = "sign")]
    pub sign_password_env: Option<String>,
    /// Deflate level, 1 (fastest) to 9 (smallest); 0 stores the entries uncompressed.
    #[arg(long, value_name = "N", default_value_t = 6)]
    pub level: i64,
    /// The archive to write.
    #[arg(short, long, value_name = "ARCHIVE")]
    pub output: PathBuf,
}

impl ArchiveArgs {
    /// Whether the archive will be encrypted (age or zip AES).
    pub fn encrypts(&self) -> bool {
        !self.encrypt_to.is_empty() || self.passphrase_env.is_some() || self.zip_aes_env.is_some()
    }

    /// Refuse to write an archive holding `exposure` (what `released`, e.g. "policy `sar`",
    /// releases) in the clear, unless --unencrypted was given; then say on standard error what
    /// anyone who gets the file can read. Called before any record is read.
    pub fn refuse_cleartext(&self, exposure: &Exposure, released: &str) -> anyhow::Result<()> {
        if self.encrypts() || exposure.is_empty() {
            return Ok(());
        }
        if !self.unencrypted {
            bail!(
                "{released} releases {exposure}: the archive must be encrypted: pass \
                 --encrypt-to age1… (the receiver's public key) or --passphrase-env VAR (age, \
                 which hides file names and sizes too), or --zip-aes-env VAR for 7-Zip; or \
                 --unencrypted to write it in the clear anyway"
            );
        }
        eprintln!(
            "teczka: warning: --unencrypted: {} is written in the clear with {exposure}: \
             anyone who gets the file can read them",
            self.output.display()
        );
        Ok(())
    }
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
/// age. No plaintext record reaches the disk (see `teczka::write::staged`).
pub struct Staging<'a> {
    args: &'a ArchiveArgs,
    folder: tempfile::TempDir,
    store: Store,
    /// Where compressed entries wait for the zip; held only so it is removed with the staging.
    _work: tempfile::TempDir,
    options: ZipOptions,
    passphrase: Option<String>,
    modified: NaiveDateTime,
    signing_key: Option<SigningKey>,
}

impl<'a> Staging<'a> {
    /// Check the secrets (opening the signing key now, so a wrong password stops the run before
    /// any record is read) and the output folder, fix the archive's timestamp from the inputs (or
    /// `SOURCE_DATE_EPOCH`) and create the staging folder.
    pub fn create(args: &'a ArchiveArgs, read: &ReadArgs) -> anyhow::Result<Staging<'a>> {
        if args.output == Path::new("-") {
            bail!(
                "-o -: an archive is hashed, signed and renamed into place whole, so it cannot \
                 stream to standard output: give -o a file name"
            );
        }
        let secret = |var: &str| -> anyhow::Result<String> {
            let value = std::env::var(var)
                .with_context(|| format!("environment variable {var} is not set"))?;
            check_passphrase(&value)?;
            Ok(value)
        };
        let passphrase = args.passphrase_env.as_deref().map(secret).transpose()?;
        let zip_password = args.zip_aes_env.as_deref().map(secret).transpose()?;
        let signing_key = open_signing_key(args)?;
        let modified = archive_time(read)?;
        let mut options = ZipOptions::new(modified);
        options.level = Some(args.level);
        options.aes_password = zip_password;
        options.validate()?;

        // Sealed when age encrypts the archive; zip AES leaves the names, sizes and the
        // staging in the clear anyway, and an unencrypted archive is plaintext by choice.
        let age = !args.encrypt_to.is_empty() || passphrase.is_some();
        let store = if age { Store::sealed() } else { Store::plain() };
        options.store = store.clone();

        let parent = match args.output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        private_files::create_dir_all(&parent)
            .with_context(|| format!("{}: cannot create the folder", parent.display()))?;
        // Staging and the compressed entries waiting for the zip live in private (0700),
        // registered folders named after this process: a signal removes them, and what
        // `kill -9` leaves is removed by the next run writing here.
        private::remove_leftovers(&parent);
        let staging = |what: &str| {
            let prefix = format!("{}{what}-", private::temp_prefix());
            let folder = private_files::temp_dir_in(&parent, &prefix)
                .with_context(|| format!("{}: cannot create a staging folder", parent.display()))?;
            private::register(folder.path());
            anyhow::Ok(folder)
        };
        let work = staging("zip")?;
        options.temp_dir = Some(work.path().to_path_buf());
        let folder = staging("export")?;
        Ok(Staging { args, folder, store, _work: work, options, passphrase, modified, signing_key })
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
    pub fn create_dir(&self, relative: &str) -> anyhow::Result<PathBuf> {
        let folder = self.data().join(relative);
        private_files::create_dir_all(&folder)?;
        Ok(folder)
    }

    /// Write a file under [`data`](Staging::data) through the store.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
        Ok(self.store.write(&self.data().join(relative), contents)?)
    }

    /// The archive's one timestamp (every entry, `Bagging-Date`, the metadata).
    pub fn modified(&self) -> NaiveDateTime {
        self.modified
    }

    /// Whether the archive will be encrypted (age or zip AES).
    pub fn encrypted(&self) -> bool {
        !self.args.encrypt_to.is_empty()
            || self.passphrase.is_some()
            || self.options.aes_password.is_some()
    }

    /// The id of the minisign key the archive will be signed with, if any.
    pub fn signing_key_id(&self) -> Option<String> {
        self.signing_key.as_ref().map(SigningKey::id)
    }

    /// Bag everything under the staging folder with `bag-info.txt` saying `kind`, sign its tag
    /// manifest if asked, write the zip (encrypted as asked) under a temporary name and rename
    /// it into place.
    pub fn seal(mut self, kind: &str) -> anyhow::Result<BagSummary> {
        let args = self.args;
        let bag_name = args.name.clone().unwrap_or_else(|| default_name(&args.output));
        let mut bag = BagBuilder::new(&bag_name)?;
        if let Some(org) = &args.source_organization {
            bag.info("Source-Organization", org)?;
        }
        bag.info("Bagging-Date", &self.modified.date().format("%Y-%m-%d").to_string())?;
        bag.info("External-Identifier", &bag_name)?;
        bag.info("Archive-Kind", kind)?;
        bag.info("Bag-Software-Agent", &format!("teczka {}", env!("CARGO_PKG_VERSION")))?;
        for (relative, path) in files_under(self.data())? {
            bag.add(&relative, Source::Stored { path, store: self.store.clone() })?;
        }
        let signed_by = self.signing_key_id();
        if let Some(key) = self.signing_key.take() {
            bag.sign_with(key);
        }
        let encrypted = self.encrypted();
        let sealing = crate::cli::say::spinner("hashing, compressing and sealing the archive");
        let summary = if let Some(passphrase) = &self.passphrase {
            self.encrypted_zip(bag, passphrase_encryptor(passphrase)?)?
        } else if !args.encrypt_to.is_empty() {
            self.encrypted_zip(bag, recipients_encryptor(&args.encrypt_to)?)?
        } else {
            write_atomically(&args.output, |file| bag.write_zip(file, &self.options))?
        };
        sealing.finish_and_clear();
        note!(
            "teczka: archive {} written: bag `{}`, {} files, Payload-Oxum {}{}{}",
            args.output.display(),
            summary.name,
            summary.files,
            summary.payload_oxum,
            if encrypted { ", encrypted" } else { "" },
            signed_by.map(|id| format!(", signed with minisign key {id}")).unwrap_or_default()
        );
        Ok(summary)
    }

    /// Stream the zip straight into age, into a temporary file beside the output that is
    /// renamed into place: the plaintext zip is never on disk.
    fn encrypted_zip(
        &self,
        bag: BagBuilder,
        encryptor: age::Encryptor,
    ) -> anyhow::Result<BagSummary> {
        let output = self.args.output.display().to_string();
        let summary = write_atomically(&self.args.output, |out| {
            let io_error = |e| teczka::Error::io(&output, e);
            let mut age = encryptor.wrap_output(std::io::BufWriter::new(out)).map_err(io_error)?;
            let summary = bag.write_zip_stream(&mut age, &self.options)?;
            let mut out = age.finish().map_err(io_error)?;
            std::io::Write::flush(&mut out).map_err(io_error)?;
            Ok(summary)
        })?;
        Ok(summary)
    }
}

/// The `--sign` key, opened with the password from `--sign-password-env` if given.
fn open_signing_key(args: &ArchiveArgs) -> anyhow::Result<Option<SigningKey>> {
    let Some(path) = &args.sign else { return Ok(None) };
    let password = args
        .sign_password_env
        .as_deref()
        .map(|var| {
            std::env::var(var)
                .map(zeroize::Zeroizing::new)
                .with_context(|| format!("environment variable {var} is not set"))
        })
        .transpose()?;
    Ok(Some(SigningKey::read(path, password.as_ref().map(|p| p.as_str()))?))
}

/// SOURCE_DATE_EPOCH, or else the newest modification time of the inputs: never the clock,
/// so the same input gives the same archive.
fn archive_time(read: &ReadArgs) -> anyhow::Result<NaiveDateTime> {
    if let Some(time) = source_date_epoch()? {
        return Ok(time);
    }
    let mut newest = None;
    for input in read.inputs() {
        let mut consider = |path: &Path| {
            if let Ok(modified) = fs::metadata(path).and_then(|m| m.modified()) {
                newest = newest.max(Some(modified));
            }
        };
        if input.path.is_dir() {
            for entry in fs::read_dir(&input.path)?.flatten() {
                consider(&entry.path());
            }
        } else {
            consider(&input.path);
        }
    }
    let newest =
        newest.context("cannot read the inputs' modification times: set SOURCE_DATE_EPOCH")?;
    let seconds = newest.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    // Zip timestamps start in 1980.
    let seconds = seconds.max(315_532_800);
    DateTime::from_timestamp(i64::try_from(seconds).unwrap_or(i64::MAX), 0)
        .map(|t| t.naive_utc())
        .context("the inputs' modification time is out of range: set SOURCE_DATE_EPOCH")
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
fn files_under(root: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(&folder)? {
            let path = entry?.path();
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
