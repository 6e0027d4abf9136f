//! `teczka verify`: check an archive end to end before trusting it.

use crate::cli::Exit;
use anyhow::Context;
use serde_json::Value;
use std::hash::BuildHasher;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use teczka::{
    check_signature, released_schema, released_schema_text, verify_bag, AgeIdentity, ArchiveLimits,
    ArchiveMetadata, JsonlReader, ReadOptions, SafeArchive, SignatureCheck, TrustedKey, XmlReader,
    SIGNATURE_FILE,
};

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka verify przekazanie.zip

  teczka verify przekazanie.zip.age --identity vendor.age-id

  teczka verify przekazanie.zip.age --identity vendor.age-id \
      --trusted-key school-sign.pub

  teczka verify podpisane.zip --allow-unverified-signer

  teczka verify przekazanie.zip.age --identity vendor.age-id \
      --log przekazanie.proof.json --log-trusted-key school-sign.pub

  unzip przekazanie.zip -d rozpakowane && teczka verify rozpakowane/";

/// Check a teczka archive: structure, checksums, counts and records against the schemas.
///
/// A teczka archive is a zip holding a BagIt bag (RFC 8493: a folder of files with lists of
/// their checksums). Checked: the bag's structure, every checksum, Payload-Oxum (the
/// `BYTES.FILES` line of bag-info.txt: the total size and number of the bag's data files, which
/// shows a missing or added file at a glance),
/// record counts against the metadata, and the records against the schemas.
///
/// The archive is read defensively first (no absolute or `..` paths, links, duplicate or
/// case-colliding names, oversized or over-compressed entries: see the limits below). An
/// age-encrypted archive needs --identity or --passphrase-env; AES entries need
/// --zip-aes-env. Without teczka, a recipient can unzip the archive and run
/// `bagit.py --validate FOLDER`.
///
/// A bag already unzipped (the bag folder, or the folder the archive was unzipped into) is
/// checked as its zip would be, with the same findings and exit codes; symbolic links in it
/// are refused, never followed. A bag another tool made (bagit-python writes BagIt 0.97; 1.0
/// is RFC 8493; other versions are refused) is checked as a plain BagIt bag: structure,
/// checksums and Payload-Oxum.
///
/// A signed archive (`export --sign`) carries tagmanifest-sha512.txt.minisig. With
/// --trusted-key (the school's minisign public key, a `.pub` file or the `RW…` key itself) the
/// signature must be there and hold, or verify fails. Without it, a signature proves nothing —
/// anyone can sign with their own key under the school's key id — so a signed archive is
/// reported as "signature present, signer NOT verified" and fails, unless
/// --allow-unverified-signer accepts it on its checksums alone.
///
/// Exit codes: 0 the archive is sound; 1 it was read but something does not match, or its
/// signer was not verified (every finding is listed); 2 it could not be read at all.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The archive (a zip, an age-encrypted zip, or a bag already unzipped into a folder).
    #[arg(value_name = "ARCHIVE")]
    archive: PathBuf,
    #[command(flatten)]
    signer: SignerArgs,
    #[command(flatten)]
    open: OpenArgs,
    /// Check that the school's log holds the run that wrote this archive: the proof `teczka log
    /// prove` wrote, or the log itself. Needs --log-trusted-key.
    #[arg(long, value_name = "PROOF_OR_LOG", requires = "log_trusted_key")]
    log: Option<PathBuf>,
    /// The minisign public key that signs the log's checkpoints (usually the school's
    /// `school-sign.pub`, the same as --trusted-key).
    #[arg(long, value_name = "PUBKEY_FILE_OR_KEY", requires = "log")]
    log_trusted_key: Option<String>,
}

/// Who must have signed the archive (shared by `verify` and `import`).
#[derive(Debug, clap::Args)]
pub struct SignerArgs {
    /// Require a valid minisign signature by this public key (a `.pub` file, or the key).
    #[arg(long, value_name = "PUBKEY_FILE_OR_KEY")]
    trusted_key: Option<String>,
    /// Accept a signed archive without --trusted-key: its signature is reported as "signer
    /// NOT verified" and not checked, since without the school's public key it proves nothing.
    #[arg(long, conflicts_with = "trusted_key")]
    allow_unverified_signer: bool,
}

impl SignerArgs {
    /// The files these flags read: `--trusted-key` when it names a file.
    pub fn read_paths(&self) -> Vec<&Path> {
        self.trusted_key.as_deref().map(Path::new).filter(|p| p.is_file()).into_iter().collect()
    }

    /// The trusted key, read before the archive: a mistyped key path should not cost a full
    /// check.
    pub fn trusted(&self) -> anyhow::Result<Option<TrustedKey>> {
        Ok(self.trusted_key.as_deref().map(TrustedKey::from_arg).transpose()?)
    }

    /// What the archive's signature says (see [`signature`]).
    pub fn check(
        &self,
        archive: &mut SafeArchive,
        trusted: Option<&TrustedKey>,
    ) -> anyhow::Result<Result<Option<String>, String>> {
        signature(archive, trusted, self.allow_unverified_signer)
    }
}

/// How to open an archive (shared by `verify` and `import`).
#[derive(Debug, clap::Args)]
pub struct OpenArgs {
    /// The age identity file for an age-encrypted archive.
    #[arg(long, value_name = "FILE", conflicts_with = "passphrase_env")]
    identity: Option<PathBuf>,
    /// The environment variable holding the passphrase of an age-encrypted archive.
    #[arg(long, value_name = "VAR")]
    passphrase_env: Option<String>,
    /// The environment variable holding the password of AES-encrypted zip entries.
    #[arg(long, value_name = "VAR")]
    zip_aes_env: Option<String>,
    /// The most entries the archive may hold.
    #[arg(long, value_name = "N", default_value_t = ArchiveLimits::default().max_entries)]
    max_entries: u64,
    /// The largest uncompressed entry, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = ArchiveLimits::default().max_entry_bytes)]
    max_entry_bytes: u64,
    /// The largest uncompressed total, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = ArchiveLimits::default().max_total_bytes)]
    max_total_bytes: u64,
    /// The highest compression ratio an entry may have (zip bombs have thousands).
    #[arg(long, value_name = "N", default_value_t = ArchiveLimits::default().max_ratio)]
    max_ratio: u64,
}

impl OpenArgs {
    /// The files these flags read: the `--identity` file.
    pub fn read_paths(&self) -> Vec<&Path> {
        self.identity.as_deref().into_iter().collect()
    }

    /// Open `path` safely, decrypting it first if it is an age file.
    pub fn open(&self, path: &Path) -> anyhow::Result<SafeArchive> {
        let limits = ArchiveLimits {
            max_entries: self.max_entries,
            max_entry_bytes: self.max_entry_bytes,
            max_total_bytes: self.max_total_bytes,
            max_ratio: self.max_ratio,
        };
        if path.is_dir() {
            // An unzipped bag: checked as the archive it came from.
            return Ok(SafeArchive::open_folder(path, &limits)?);
        }
        let password = self.zip_aes_env.as_deref().map(env).transpose()?;
        let mut magic = [0u8; 21];
        let is_age = std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok_and(|_| &magic == b"age-encryption.org/v1");
        if !is_age {
            return Ok(SafeArchive::open(path, &limits, password.as_deref())?);
        }
        let identity = match (&self.identity, &self.passphrase_env) {
            (Some(file), _) => AgeIdentity::File(file.clone()),
            (None, Some(var)) => AgeIdentity::Passphrase(env(var)?),
            (None, None) => anyhow::bail!(
                "{}: the archive is age-encrypted: pass --identity FILE (your age identity) or \
                 --passphrase-env VAR",
                path.display()
            ),
        };
        Ok(SafeArchive::open_age(path, &identity, &limits, password.as_deref())?)
    }
}

fn env(var: &str) -> anyhow::Result<String> {
    std::env::var(var).with_context(|| format!("environment variable {var} is not set"))
}

/// Run `verify`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    let trusted = args.signer.trusted()?;
    let mut archive = args.open.open(&args.archive)?;
    let (mut findings, plain) = check_any(&mut archive)?;
    let name = args.archive.display();
    let signature = match args.signer.check(&mut archive, trusted.as_ref())? {
        Ok(note) => note.map(|n| format!("; {n}")).unwrap_or_default(),
        Err(finding) => {
            findings.push(finding);
            String::new()
        }
    };
    let log_key = args.log_trusted_key.as_deref().map(TrustedKey::from_arg).transpose()?;
    let logged = match (&args.log, &log_key) {
        (Some(log), Some(key)) => match logged(&args.archive, log, key)? {
            Ok(note) => format!("; {note}"),
            Err(finding) => {
                findings.push(finding);
                String::new()
            }
        },
        _ => String::new(),
    };
    let signature = format!("{signature}{logged}");
    if findings.is_empty() && plain {
        println!(
            "{name}: sound as a BagIt bag — bag, checksums and Payload-Oxum agree{signature}; \
             not written by teczka, so there are no record counts or schemas to check"
        );
        Ok(Exit::Clean)
    } else if findings.is_empty() {
        println!(
            "{name}: sound — bag, checksums, Payload-Oxum, record counts and schemas \
             agree{signature}"
        );
        Ok(Exit::Clean)
    } else {
        println!("{name}: {} problem(s)", findings.len());
        for finding in &findings {
            println!("  {finding}");
        }
        Ok(Exit::Rejects)
    }
}

/// Whether the log behind `log` (a proof from `teczka log prove`, or the log itself) holds
/// the run that wrote `archive`, under a checkpoint `key` signed: the note to print, or the
/// finding.
fn logged(archive: &Path, log: &Path, key: &TrustedKey) -> anyhow::Result<Result<String, String>> {
    if archive.is_dir() {
        anyhow::bail!(
            "{}: --log proves the archive file the log recorded: give the zip, not an unzipped \
             folder",
            archive.display()
        );
    }
    let file = teczka::FileRef::of(archive)?;
    let text =
        std::fs::read_to_string(log).with_context(|| format!("cannot read {}", log.display()))?;
    let proof = match serde_json::from_str::<teczka::LogProof>(&text) {
        Ok(proof) => proof,
        Err(_) => match teczka::LogProof::of_output(log, &file, key) {
            Ok(proof) => proof,
            Err(why) => return Ok(Err(format!("log: {why}"))),
        },
    };
    Ok(match proof.check(&file, key) {
        Ok(entry) => Ok(format!(
            "in the log as entry {} (`{}` by {}, {}) under a signed checkpoint of {} entries",
            entry.seq, entry.command, entry.operator, entry.time, proof.tree_size
        )),
        Err(why) => Err(format!("{}: the log proof {why}", log.display())),
    })
}

/// What the bag's signature says: `Ok(None)` unsigned, `Ok(Some(note))` signed and checked
/// against `trusted` (or, with `allow_unverified`, not checked), `Err(finding)` when a trusted
/// key was given and the signature is missing, another key's, or does not hold — and when the
/// bag is signed but no trusted key was given to check it.
///
/// An unchecked signature never shows the key id it claims: a forger re-signs with a key of
/// their own under the school's key id, and "signed (key …)" would read as if it were the
/// school's.
pub fn signature(
    archive: &mut SafeArchive,
    trusted: Option<&TrustedKey>,
    allow_unverified: bool,
) -> anyhow::Result<Result<Option<String>, String>> {
    Ok(match check_signature(archive, trusted)? {
        SignatureCheck::Unsigned => Ok(None),
        SignatureCheck::Unverified if allow_unverified => Ok(Some(
            "signature present, signer NOT verified (--allow-unverified-signer): anyone could \
             have signed it; only --trusted-key tells who made the archive"
                .to_string(),
        )),
        SignatureCheck::Unverified => Err(format!(
            "{SIGNATURE_FILE}: signature present, signer NOT verified: pass --trusted-key with \
             the school's public key, or --allow-unverified-signer to accept the archive \
             without knowing who made it"
        )),
        SignatureCheck::Good { key_id, trusted_comment } => {
            Ok(Some(format!("signature good (minisign key {key_id}, `{trusted_comment}`)")))
        }
        SignatureCheck::Bad(finding) => Err(finding.to_string()),
    })
}

/// Every problem with an opened archive: the bag's findings, then the records' against the
/// metadata and the schemas.
pub fn check(archive: &mut SafeArchive) -> anyhow::Result<Vec<String>> {
    let (mut findings, plain) = check_any(archive)?;
    if plain {
        findings.push(format!("{ARCHIVE_JSON}: missing: this bag was not written by teczka"));
    }
    Ok(findings)
}

const ARCHIVE_JSON: &str = "data/metadata/archive.json";

/// [`check`], for a bag of any maker: a bag that neither holds `data/metadata/archive.json`
/// nor names teczka as its `Bag-Software-Agent` (one bagit-python or another tool made) is
/// checked as a plain BagIt bag, and `true` says so. A teczka bag without its metadata is a
/// finding.
pub fn check_any(archive: &mut SafeArchive) -> anyhow::Result<(Vec<String>, bool)> {
    let verification = verify_bag(archive)?;
    let mut findings: Vec<String> = verification.findings.iter().map(|f| f.to_string()).collect();
    if !verification.is_ok() {
        // Records in a bag whose checksums fail are not worth reading.
        return Ok((findings, false));
    }
    if archive.entry(ARCHIVE_JSON).is_none() && !made_by_teczka(archive) {
        return Ok((findings, true));
    }
    findings.extend(check_records(archive)?);
    Ok((findings, false))
}

/// Whether `bag-info.txt` names teczka as the software that made the bag.
fn made_by_teczka(archive: &mut SafeArchive) -> bool {
    read_entry(archive, "bag-info.txt").is_ok_and(|info| {
        info.lines().any(|l| l.starts_with("Bag-Software-Agent:") && l.contains("teczka"))
    })
}

/// The records of a teczka bag against its metadata and schemas.
fn check_records(archive: &mut SafeArchive) -> anyhow::Result<Vec<String>> {
    let mut findings = Vec::new();
    let read = read_entry(archive, ARCHIVE_JSON)
        .map_err(|e| e.to_string())
        .and_then(|text| ArchiveMetadata::from_json(&text).map_err(|e| e.to_string()));
    let metadata = match read {
        Ok(metadata) => metadata,
        Err(e) => {
            findings.push(format!("{ARCHIVE_JSON}: {e}"));
            return Ok(findings);
        }
    };
    findings.extend(check_counts(archive, &metadata)?);
    let pupils = metadata.counts.pupils_out.unwrap_or(0);
    // Fields a policy released as text do not parse as their model type, by design.
    let typed = metadata.released_as_text.is_empty();
    // Each pupil of a typed JSON Lines copy by a keyed hash (unforgeable without the key, which
    // lives only in this process), held to the XML copy pupil by pupil.
    let keyed = std::hash::RandomState::new();
    let mut fingerprints: Vec<u64> = Vec::new();
    for (name, format) in
        [("data/records/pupils.jsonl", "jsonl"), ("data/records/pupils.xml", "xml")]
    {
        if archive.entry(name).is_none() {
            continue;
        }
        let reader = BufReader::new(archive.open_entry(name)?);
        let options = ReadOptions::default();
        let records: Box<dyn Iterator<Item = teczka::Result<teczka::Record>>> = match format {
            "jsonl" => Box::new(JsonlReader::new(reader, name, &options)),
            _ => Box::new(XmlReader::new(reader, name, &options)),
        };
        let (mut count, mut invalid, mut differing) = (0u64, 0u64, None);
        for record in records {
            match record {
                Ok(record) => {
                    invalid += u64::from(typed && record.is_rejected());
                    let fingerprint = keyed.hash_one(content(&record));
                    if !typed {
                        // Text values fail their types, and the two readers keep different
                        // parts of a record that fails: only typed copies compare.
                    } else if format == "jsonl" {
                        fingerprints.push(fingerprint);
                    } else if differing.is_none()
                        && fingerprints.get(count as usize) != Some(&fingerprint)
                    {
                        differing = Some((count + 1, record.location().line));
                    }
                    count += 1;
                }
                Err(e) => {
                    findings.push(format!("{name}: {e}"));
                    break;
                }
            }
        }
        if count != pupils {
            findings.push(format!(
                "{name}: {count} pupils, but metadata/archive.json counts {pupils} written"
            ));
        }
        if invalid > 0 {
            findings.push(format!("{name}: {invalid} pupils do not follow the schema"));
        }
        if let Some((number, line)) = differing.filter(|_| !fingerprints.is_empty()) {
            findings.push(format!(
                "{name}: pupil {number} (line {line}) differs from pupil {number} of \
                 data/records/pupils.jsonl: the archive's two copies of the records disagree, \
                 so at least one was changed after export; do not import it"
            ));
        }
    }
    if !typed {
        let as_text: Vec<&str> = metadata.released_as_text.iter().map(String::as_str).collect();
        findings.extend(check_released(archive, "data/records/pupils.jsonl", &as_text)?);
    }
    if archive.entry("data/records/csv/pupils.csv").is_some() {
        let reader = BufReader::new(archive.open_entry("data/records/csv/pupils.csv")?);
        let rows = csv::ReaderBuilder::new().from_reader(reader).records().count() as u64;
        if rows != pupils {
            findings.push(format!(
                "data/records/csv/pupils.csv: {rows} rows, but metadata/archive.json counts \
                 {pupils} pupils written"
            ));
        }
    }
    Ok(findings)
}

/// What a pupil holds, as both typed record copies carry it.
fn content(record: &teczka::Record) -> String {
    serde_json::to_string(&record.pupil).unwrap_or_default()
}

/// The archive's counts against each other and against its rejects file: every input record
/// is out, rejected or suppressed, and each rejected one is in `reports/rejects.jsonl`
/// (which a statistics archive never carries). Archives without input counts (a subject-access
/// package) have nothing to reconcile.
fn check_counts(
    archive: &mut SafeArchive,
    metadata: &ArchiveMetadata,
) -> anyhow::Result<Vec<String>> {
    const METADATA: &str = ARCHIVE_JSON;
    const REJECTS: &str = "data/reports/rejects.jsonl";
    let counts = &metadata.counts;
    let Some(input) = counts.input else {
        return Ok(Vec::new());
    };
    let mut findings = Vec::new();
    let (Some(out), Some(rejected)) = (counts.out, counts.rejected) else {
        findings.push(format!("{METADATA}: counts in, out and rejected must all be given"));
        return Ok(findings);
    };
    let suppressed = counts.suppressed.unwrap_or(0);
    let blank = counts.blank.unwrap_or(0);
    let accounted = out.saturating_add(rejected).saturating_add(suppressed).saturating_add(blank);
    if input != accounted {
        findings.push(format!(
            "{METADATA}: counts in={input}, but out={out} + rejected={rejected} + \
             suppressed={suppressed} + blank={blank} = {accounted}: records are unaccounted for"
        ));
    }
    if archive.entry(REJECTS).is_some() {
        let mut lines = 0u64;
        for line in BufReader::new(archive.open_entry(REJECTS)?).lines() {
            lines += u64::from(!line.with_context(|| REJECTS)?.trim().is_empty());
        }
        if lines != rejected {
            findings.push(format!(
                "{REJECTS}: {lines} rejected records, but {METADATA} counts rejected={rejected}"
            ));
        }
    } else if rejected > 0 && metadata.archive_kind != "statistics" {
        findings.push(format!(
            "{REJECTS}: missing, but {METADATA} counts rejected={rejected}: the rejected \
             records were not handed over"
        ));
    }
    Ok(findings)
}

/// Check a release whose fields were turned into text against the schema it ships,
/// `data/schemas/released.schema.json` (formats included, so `2014-13-40` is no date).
fn check_released(
    archive: &mut SafeArchive,
    name: &str,
    as_text: &[&str],
) -> anyhow::Result<Vec<String>> {
    const SCHEMA: &str = "data/schemas/released.schema.json";
    if archive.entry(name).is_none() {
        return Ok(Vec::new());
    }
    // The records are checked against the schema the metadata implies, not against whatever
    // the archive ships: an unsigned archive could ship `{}`.
    let expected = released_schema_text(as_text);
    let mut findings = Vec::new();
    match read_entry(archive, SCHEMA) {
        Ok(shipped) if shipped == expected => {}
        Ok(_) => findings.push(format!(
            "{SCHEMA}: differs from the schema the fields released as text in \
             metadata/archive.json imply; the records were checked against the latter"
        )),
        Err(_) => findings.push(format!(
            "{SCHEMA}: missing, but metadata/archive.json lists fields released as text; the \
             records were checked against the schema they imply"
        )),
    }
    let schema = released_schema(as_text);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| anyhow::anyhow!("{SCHEMA}: not a usable JSON Schema: {e}"))?;
    // The first few are named; a broken file would otherwise flood the report.
    const SHOWN: usize = 10;
    let mut invalid = Vec::new();
    let mut count = 0usize;
    let reader = BufReader::new(archive.open_entry(name)?);
    for (number, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("{name}: line {}", number + 1))?;
        let record: Value = match serde_json::from_str(&line) {
            Ok(record) => record,
            Err(e) => {
                count += 1;
                if count <= SHOWN {
                    invalid.push(format!("{name}:{}: not JSON: {e}", number + 1));
                }
                continue;
            }
        };
        let problem = validator
            .iter_errors(&record)
            .next()
            .map(|error| format!("{error} at {}", error.instance_path()));
        if let Some(problem) = problem {
            count += 1;
            if count <= SHOWN {
                invalid.push(format!("{name}:{}: does not follow {SCHEMA}: {problem}", number + 1));
            }
        }
    }
    if count > SHOWN {
        invalid.push(format!("{name}: {count} pupils in all do not follow {SCHEMA}"));
    }
    findings.extend(invalid);
    Ok(findings)
}

/// One (small) entry of the archive as text.
pub fn read_entry(archive: &mut SafeArchive, name: &str) -> anyhow::Result<String> {
    let mut text = String::new();
    let mut reader = BufReader::new(archive.open_entry(name)?);
    while reader.read_line(&mut text)? > 0 {}
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use teczka::{BagBuilder, BagSource, ZipOptions};

    /// A sound bag (checksums agree) holding a statistics-style release with these records.
    fn release_archive(dir: &Path, records: &str) -> SafeArchive {
        release_archive_with(dir, records, &released_schema_text(&["sex", "birth_date"]))
    }

    fn release_archive_with(dir: &Path, records: &str, schema: &str) -> SafeArchive {
        let metadata = serde_json::json!({
            "counts": { "pupils_out": records.lines().count() },
            "released_as_text": ["sex", "birth_date"],
        });
        let mut bag = BagBuilder::new("r").unwrap();
        let files = [
            ("metadata/archive.json", metadata.to_string()),
            ("records/pupils.jsonl", records.to_string()),
            ("schemas/released.schema.json", schema.to_string()),
        ];
        for (name, text) in files {
            bag.add(name, BagSource::Bytes(text.into_bytes())).unwrap();
        }
        let path = dir.join("r.zip");
        let time = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0);
        let mut file = std::fs::File::create(&path).unwrap();
        bag.write_zip(&mut file, &ZipOptions::new(time.unwrap())).unwrap();
        SafeArchive::open(&path, &ArchiveLimits::default(), None).unwrap()
    }

    #[test]
    fn a_release_is_checked_against_the_schema_it_ships() {
        let dir = tempfile::tempdir().unwrap();
        let good = "{\"birth_date\":\"2010-2014\",\"sex\":\"*\"}\n{\"sex\":\"female\"}\n";
        assert_eq!(check(&mut release_archive(dir.path(), good)).unwrap(), Vec::<String>::new());

        let bad = "{\"sex\":\"*\"}\n{\"sex\":5}\n{\"nickname\":\"Zosia\"}\n";
        let findings = check(&mut release_archive(dir.path(), bad)).unwrap();
        assert_eq!(findings.len(), 2, "{findings:?}");
        assert!(findings[0].starts_with("data/records/pupils.jsonl:2: does not follow"));
        assert!(findings[1].starts_with("data/records/pupils.jsonl:3:"));
    }

    #[test]
    fn a_release_shipping_a_lax_schema_is_still_checked_against_the_real_one() {
        let dir = tempfile::tempdir().unwrap();
        let bad = "{\"sex\":5}\n";
        let findings = check(&mut release_archive_with(dir.path(), bad, "{}")).unwrap();
        assert_eq!(findings.len(), 2, "{findings:?}");
        assert!(findings[0].contains("differs from the schema"), "{findings:?}");
        assert!(findings[1].starts_with("data/records/pupils.jsonl:1: does not follow"));
    }
}
