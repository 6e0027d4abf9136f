//! `teczka export`: the records under a policy, with their reports, schemas and metadata, as one
//! BagIt bag in a deterministic zip — optionally encrypted.

use super::{finish, CheckArgs, Job, PolicyArgs, Release, ReportTo};
use crate::cli::{refuse_overwriting_inputs, Exit, FormatArg, ReadArgs, ReportFormat};
use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDateTime};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use teczka::archive::bag::{BagBuilder, Source};
use teczka::archive::encrypt::{encrypt_to_recipients, encrypt_with_passphrase};
use teczka::archive::zip_writer::{source_date_epoch, write_atomically, ZipOptions};
use teczka::model::schema::{pupil_schema_text, PUPILS_XSD};
use teczka::policy::keys::{check_passphrase, hex};
use teczka::policy::Purpose;
use teczka::report::Counts;
use teczka::write::{CsvWriteOptions, CsvWriter, JsonlWriter, Sink, Tee, XmlWriter};

/// Export pupil records as a portable archive: a zip holding one BagIt bag.
///
/// The records are released under the policy (a preset or a file), validated, and written in
/// the formats asked (SOU-like XML, one CSV per entity, JSON Lines) into data/records/, with the
/// validation report, the rejects (never in a statistics archive) and the risk report in
/// data/reports/, the schemas in data/schemas/, data/metadata/archive.json (tool and schema
/// versions, sources, time, counts, the policy and its SHA-256, the key id — never the key) and
/// a README.txt for the recipient. Every file is listed with SHA-512 and SHA-256 checksums.
///
/// The same input, policy and key give a byte-identical archive: entries are compressed in
/// parallel but written in a fixed order, stamped with SOURCE_DATE_EPOCH or else the newest
/// input's modification time. The archive is written to a temporary file and renamed.
///
/// Examples:
///
///   teczka export export/ --policy transfer --encrypt-to age1… -o przekazanie.zip.age
///
///   teczka export pupils.xml --policy statistics -o gmina-2026.zip
///
///   ZIP_PASS=… teczka export uczniowie.csv --policy transfer --zip-aes-env ZIP_PASS -o dla_7zip.zip
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    check: CheckArgs,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Record formats in the archive, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "sou,csv,jsonl")]
    formats: Vec<FormatArg>,
    /// The bag's name (the archive's top folder); default: the output file name without
    /// extensions.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Who made the archive, for bag-info.txt (the school's name).
    #[arg(long, value_name = "TEXT")]
    source_organization: Option<String>,
    /// Encrypt the whole archive with age to this recipient (`age1…`); repeat for several.
    #[arg(long = "encrypt-to", value_name = "AGE_RECIPIENT")]
    encrypt_to: Vec<String>,
    /// Encrypt the whole archive with age under the passphrase in this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "encrypt_to")]
    passphrase_env: Option<String>,
    /// Encrypt every zip entry with AES-256 under the password in this environment variable,
    /// for recipients who only have 7-Zip (Windows Explorer cannot open it).
    #[arg(long, value_name = "VAR")]
    zip_aes_env: Option<String>,
    /// Deflate level, 0 (fastest) to 9 (smallest).
    #[arg(long, value_name = "N", default_value_t = 6)]
    level: i64,
    /// The archive to write.
    #[arg(short, long, value_name = "ARCHIVE")]
    output: PathBuf,
}

/// Run `export`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    if args.policy.policy.is_none() {
        bail!("give --policy transfer|statistics|FILE: an archive always says what was released");
    }
    refuse_overwriting_inputs(args.read.inputs(), &args.output)?;
    let Some(release) = args.policy.load(args.check.today(), Some(&args.output))? else {
        bail!("give --policy transfer|statistics|FILE");
    };
    let secret = |var: &str| -> anyhow::Result<String> {
        let value =
            std::env::var(var).with_context(|| format!("environment variable {var} is not set"))?;
        check_passphrase(&value)?;
        Ok(value)
    };
    let passphrase = args.passphrase_env.as_deref().map(secret).transpose()?;
    let zip_password = args.zip_aes_env.as_deref().map(secret).transpose()?;
    let encrypted = !args.encrypt_to.is_empty() || passphrase.is_some() || zip_password.is_some();
    if release.policy.file.policy.require_encryption && !encrypted {
        bail!(
            "policy `{}` requires an encrypted archive: pass --encrypt-to age1… (the receiver's \
             public key), --passphrase-env VAR or --zip-aes-env VAR",
            release.policy.name()
        );
    }
    let modified = archive_time(&args.read)?;
    let mut options = ZipOptions::new(modified);
    options.level = Some(args.level);
    options.aes_password = zip_password;
    options.validate()?;

    let parent = match args.output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)
        .with_context(|| format!("{}: cannot create the folder", parent.display()))?;
    options.temp_dir = Some(parent.clone());
    let staging = tempfile::Builder::new()
        .prefix(".teczka-export-")
        .tempdir_in(&parent)
        .with_context(|| format!("{}: cannot create a staging folder", parent.display()))?;
    let data = staging.path();
    for folder in ["records", "reports", "schemas", "metadata"] {
        fs::create_dir_all(data.join(folder))?;
    }

    let statistics = release.policy.purpose() == Purpose::Statistics;
    let counts = write_records(&args, &release, data, statistics)?;
    release.write_mapping()?;
    write_schemas(data)?;
    write_metadata(&args, &release, data, &counts, modified)?;
    fs::write(data.join("README.txt"), readme(&release, &counts, statistics))?;

    let bag_name = args.name.clone().unwrap_or_else(|| default_name(&args.output));
    let mut bag = BagBuilder::new(&bag_name)?;
    if let Some(org) = &args.source_organization {
        bag.info("Source-Organization", org)?;
    }
    bag.info("Bagging-Date", &modified.date().format("%Y-%m-%d").to_string())?;
    bag.info("External-Identifier", &bag_name)?;
    bag.info("Archive-Kind", release.policy.purpose().as_str())?;
    bag.info("Bag-Software-Agent", &format!("teczka {}", env!("CARGO_PKG_VERSION")))?;
    for (relative, path) in files_under(data)? {
        bag.add(&relative, Source::File(path))?;
    }
    let summary = if let Some(passphrase) = &passphrase {
        encrypted_zip(bag, &options, &args.output, &parent, |zip, out| {
            encrypt_with_passphrase(zip, out, passphrase)
        })?
    } else if !args.encrypt_to.is_empty() {
        encrypted_zip(bag, &options, &args.output, &parent, |zip, out| {
            encrypt_to_recipients(zip, out, &args.encrypt_to)
        })?
    } else {
        write_atomically(&args.output, |file| bag.write_zip(file, &options))?
    };
    eprintln!(
        "teczka: archive {} written: bag `{}`, {} files, Payload-Oxum {}{}",
        args.output.display(),
        summary.name,
        summary.files,
        summary.payload_oxum,
        if encrypted { ", encrypted" } else { "" }
    );
    Ok(finish(&counts))
}

/// Run the pipeline into the record files, the reports and the rejects; return the counts.
fn write_records(
    args: &Args,
    release: &Release,
    data: &Path,
    statistics: bool,
) -> anyhow::Result<Counts> {
    let records = data.join("records");
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    let mut formats = args.formats.clone();
    formats.dedup();
    for format in formats {
        let name = |file: &str| records.join(file);
        match format {
            FormatArg::Sou => {
                let path = name("pupils.xml");
                let file = fs::File::create(&path)?;
                sinks.push(Box::new(XmlWriter::new(file, &path.display().to_string())?));
            }
            FormatArg::Jsonl => {
                let path = name("pupils.jsonl");
                let file = fs::File::create(&path)?;
                sinks.push(Box::new(JsonlWriter::new(file, path.display().to_string())));
            }
            FormatArg::Csv => {
                let folder = name("csv");
                fs::create_dir_all(&folder)?;
                sinks.push(Box::new(CsvWriter::create(&folder, CsvWriteOptions::default())?));
            }
        }
    }
    let mut tee = Tee::new(sinks);
    let mut check = args.check.clone();
    check.report = ReportFormat::Json;
    check.report_file = Some(data.join("reports/validation.json"));
    // The rejects hold the untouched original records: never in an anonymised release.
    let rejects = (!statistics).then(|| data.join("reports/rejects.jsonl"));
    let job = Job {
        read: &args.read,
        check: &check,
        report_to: ReportTo::StderrSummary,
        rejects,
        release: Some(release),
    };
    let finished = job.run(&mut tee)?;
    drop(tee);
    if let Some(risk) = &finished.risk {
        eprintln!("teczka: {}", super::anonymity_summary(risk));
        let mut json = Vec::new();
        risk.write_json(&mut json)?;
        fs::write(data.join("reports/risk.json"), json)?;
        let mut text = Vec::new();
        risk.write_text(&mut text)?;
        fs::write(data.join("reports/risk.txt"), text)?;
    }
    Ok(finished.counts)
}

fn write_schemas(data: &Path) -> anyhow::Result<()> {
    fs::write(data.join("schemas/pupil.schema.json"), pupil_schema_text())?;
    fs::write(data.join("schemas/pupils.xsd"), PUPILS_XSD)?;
    Ok(())
}

fn write_metadata(
    args: &Args,
    release: &Release,
    data: &Path,
    counts: &Counts,
    modified: NaiveDateTime,
) -> anyhow::Result<()> {
    let policy = &release.policy;
    let canonical = toml::to_string(&policy.file).context("cannot serialise the policy")?;
    let sources: Vec<serde_json::Value> = args
        .read
        .inputs()
        .iter()
        .map(|input| {
            let name = input.path.file_name().map(|n| n.to_string_lossy().into_owned());
            let bytes = fs::metadata(&input.path).ok().filter(|m| m.is_file()).map(|m| m.len());
            json!({ "name": name, "bytes": bytes })
        })
        .collect();
    let formats: Vec<&str> = args
        .formats
        .iter()
        .map(|f| match f {
            FormatArg::Sou => "sou",
            FormatArg::Csv => "csv",
            FormatArg::Jsonl => "jsonl",
        })
        .collect();
    let metadata = json!({
        "tool": { "name": "teczka", "version": env!("CARGO_PKG_VERSION") },
        "schema_version": 1,
        "archive_kind": policy.purpose().as_str(),
        "created": modified.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "sources": sources,
        "counts": counts,
        "policy": {
            "name": policy.name(),
            "purpose": policy.purpose().as_str(),
            "origin": policy.origin,
            "sha256": hex(&Sha256::digest(canonical.as_bytes())),
            "text": canonical,
        },
        "key_id": release.key.as_ref().map(|k| k.id().to_string()),
        "tokens": release.tokens.as_ref().map(|t| json!({
            "values": t.len(),
            "mapping": "kept by the controller, outside this archive",
        })),
        "formats": formats,
        "csv": { "encoding": "utf-8", "delimiter": ",", "formula_guard": true },
        "released_as_text": policy.retyped_fields(),
    });
    let text = serde_json::to_string_pretty(&metadata)? + "\n";
    fs::write(data.join("metadata/archive.json"), text)?;
    Ok(())
}

fn readme(release: &Release, counts: &Counts, statistics: bool) -> String {
    let policy = &release.policy;
    let mut text = format!(
        "This archive was made by teczka {version} under the policy `{name}` ({purpose}).\n\n\
         Pupils: {pupils} released from {input} input records ({rejected} rejected{suppressed}).\n\n",
        version = env!("CARGO_PKG_VERSION"),
        name = policy.name(),
        purpose = policy.purpose().as_str(),
        pupils = counts.pupils_out,
        input = counts.input,
        rejected = counts.rejected,
        suppressed = if counts.suppressed > 0 {
            format!(", {} left out to keep every group of at least k pupils", counts.pupils_suppressed)
        } else {
            String::new()
        },
    );
    text.push_str(
        "WHAT IS HERE\n\
         data/records/     the pupils: pupils.xml (SOU-like XML, schemas/pupils.xsd),\n\
         \x20                 csv/ (one UTF-8 file per entity, joined by pupil_id),\n\
         \x20                 pupils.jsonl (one JSON object per pupil, schemas/pupil.schema.json)\n\
         data/reports/     validation.json (every problem found), rejects.jsonl (records not\n\
         \x20                 taken, with reasons), risk.json / risk.txt (re-identification risk)\n\
         data/schemas/     the schemas the records follow\n\
         data/metadata/    archive.json: tool, sources, counts, the policy and its SHA-256, key id\n\n\
         HOW TO CHECK IT\n\
         teczka verify ARCHIVE, or without teczka: unzip it and run `bagit.py --validate FOLDER`\n\
         (pip install bagit), or `sha512sum -c manifest-sha512.txt` inside the folder.\n\n",
    );
    if statistics {
        text.push_str(
            "This is an anonymised statistical release: no names, identifiers or contact data;\n\
             quasi-identifiers are generalised (see reports/risk.txt). Do not try to\n\
             re-identify anyone.\n",
        );
    } else {
        text.push_str(
            "This archive holds personal data of children. Keep it encrypted, give access only\n\
             to those who need it, and delete it when its purpose is fulfilled.\n",
        );
    }
    if release.key.is_some() {
        text.push_str(
            "Identifiers marked pseudonymised are keyed tokens: archives with the same key id\n\
             (metadata/archive.json) link; the key stays with the school.\n",
        );
    }
    text
}

/// Write the zip to a temporary file beside the output, then encrypt it into the output.
fn encrypted_zip(
    bag: BagBuilder,
    options: &ZipOptions,
    output: &Path,
    parent: &Path,
    encrypt: impl FnOnce(fs::File, &mut fs::File) -> teczka::Result<()>,
) -> anyhow::Result<teczka::archive::bag::BagSummary> {
    let mut plain = tempfile::tempfile_in(parent)
        .with_context(|| format!("{}: cannot create a temporary file", parent.display()))?;
    let summary = bag.write_zip(&mut plain, options)?;
    use std::io::Seek;
    plain.rewind()?;
    write_atomically(output, |out| encrypt(plain, out))?;
    Ok(summary)
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
