//! The flags of the archive a command hands over (shared by `export` and `sar`), turned into
//! the library's [`SealOptions`]; the staging and sealing themselves are
//! [`teczka::Staging`]'s.

use crate::cli::say::note;
use crate::cli::ReadArgs;
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use teczka::{
    archive_time, check_passphrase, BagSummary, Exposure, Protection, SealOptions, SigningKey,
    Staging,
};

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

    /// Check the secrets (opening the signing key now, so a wrong password stops the run before
    /// any record is read) and the output folder, fix the archive's timestamp from the inputs (or
    /// `SOURCE_DATE_EPOCH`) and create the staging folder.
    pub fn staging(&self, read: &ReadArgs) -> anyhow::Result<Staging> {
        if self.output == Path::new("-") {
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
        let age_passphrase = self.passphrase_env.as_deref().map(secret).transpose()?;
        let zip_aes_password = self.zip_aes_env.as_deref().map(secret).transpose()?;
        let signing_key = self.signing_key()?;
        let modified = archive_time(read.inputs().iter().map(|input| input.path.as_path()))?;
        let protection = Protection {
            age_recipients: self.encrypt_to.clone(),
            age_passphrase,
            zip_aes_password,
        };
        Ok(Staging::create(SealOptions {
            output: self.output.clone(),
            name: self.name.clone(),
            source_organization: self.source_organization.clone(),
            protection,
            signing_key,
            level: self.level,
            modified,
        })?)
    }

    /// The `--sign` key, opened with the password from `--sign-password-env` if given.
    fn signing_key(&self) -> anyhow::Result<Option<SigningKey>> {
        open_signing_key(self.sign.as_deref(), self.sign_password_env.as_deref())
    }
}

/// Seal `staging` as an archive of `kind` (showing a spinner meanwhile) and say what was
/// written.
pub fn seal(staging: Staging, kind: &str) -> anyhow::Result<BagSummary> {
    let output = staging.output().to_path_buf();
    let encrypted = staging.encrypted();
    let signed_by = staging.signing_key_id();
    let sealing = crate::cli::say::spinner("hashing, compressing and sealing the archive");
    let summary = staging.seal(kind)?;
    sealing.finish_and_clear();
    note!(
        "teczka: archive {} written: bag `{}`, {} files, Payload-Oxum {}{}{}",
        output.display(),
        summary.name,
        summary.files,
        summary.payload_oxum,
        if encrypted { ", encrypted" } else { "" },
        signed_by.map(|id| format!(", signed with minisign key {id}")).unwrap_or_default()
    );
    Ok(summary)
}

/// A `--sign` key, opened with the password in the environment variable `var` if one is named
/// (`export`, `sar` and `retention` take the same two flags).
pub(crate) fn open_signing_key(
    path: Option<&Path>,
    var: Option<&str>,
) -> anyhow::Result<Option<SigningKey>> {
    let Some(path) = path else { return Ok(None) };
    let password = var
        .map(|var| {
            std::env::var(var)
                .map(zeroize::Zeroizing::new)
                .with_context(|| format!("environment variable {var} is not set"))
        })
        .transpose()?;
    Ok(Some(SigningKey::read(path, password.as_ref().map(|p| p.as_str()))?))
}
