//! `teczka export`: the records under a policy, with their reports, schemas and metadata, as one
//! BagIt bag in a deterministic zip — optionally encrypted.

use super::{finish, CheckArgs, Job, PolicyArgs, Release, ReportTo};
use crate::cli::package::{self, ArchiveArgs};
use crate::cli::say::note;
use crate::cli::{refuse_overwriting_inputs, Exit, ReadArgs, ReportFormat};
use anyhow::{bail, Context};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::Path;
use teczka::{
    hex, metadata_to_text, not_written_notes, pupil_schema_text, record_sink, released_schema_text,
    released_xsd, Counts, CsvDialect, ExportMetadata, ExportReadme, MatrikaWriter, MetadataTool,
    OneRosterWriter, OutFormat, PolicyInfo, Purpose, SignatureInfo, Sink, SourceFile, Staging,
    TablesWriter, Tee, TokensInfo, METADATA_PATH, METADATA_SCHEMA_VERSION, PUPILS_XSD,
    SIGNATURE_FILE, SIGNED_FILE,
};

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka export export/ --policy transfer --encrypt-to age1… \
      -o przekazanie.zip.age

  teczka export pupils.xml --policy statistics --unencrypted -o gmina-2026.zip

  teczka export export/ --policy transfer --encrypt-to age1… \
      --sign school-sign.key -o t.zip.age

  ZIP_PASS=… teczka export uczniowie.csv --policy transfer \
      --zip-aes-env ZIP_PASS -o dla_7zip.zip";

/// Export pupil records as a portable archive: a zip holding one BagIt bag.
///
/// A BagIt bag (RFC 8493, the archivists' packaging format) is a folder of files with lists of
/// their checksums, so the recipient can check that nothing was lost or changed.
///
/// The records are released under the policy (a preset or a file), validated, and written in
/// the formats asked (SOU-like XML, one CSV per entity, JSON Lines) into data/records/, with the
/// validation report, the rejects (never in a statistics archive) and the risk report in
/// data/reports/, the schemas in data/schemas/, data/metadata/archive.json (tool and schema
/// versions, sources, time, counts, the policy and its SHA-256, the key id — never the key) and
/// a README.txt for the recipient. Every file is listed with SHA-512 and SHA-256 checksums.
///
/// An archive whose policy releases direct identifiers or special-category data (anything but
/// `drop` on such a field) must be encrypted: --encrypt-to or --passphrase-env (age), or
/// --zip-aes-env (7-Zip). --unencrypted writes it in the clear anyway and names the categories
/// of fields it exposes.
///
/// With --sign, the archive is signed with a minisign key (`teczka keygen --minisign`), so the
/// recipient can check who made it (`teczka verify --trusted-key`).
///
/// The same input, policy and key give a byte-identical archive: entries are compressed in
/// parallel but written in a fixed order, stamped with SOURCE_DATE_EPOCH or else the newest
/// input's modification time. The archive is written to a temporary file and renamed.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// Where this run is logged.
    #[command(flatten)]
    pub log: crate::cli::audit::LogArgs,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    check: CheckArgs,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Record formats in the archive, comma-separated; `tables` adds the policy's aggregate
    /// tables (data/records/tables/).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "sou,csv,jsonl")]
    formats: Vec<ExportFormat>,
    /// Leave out CSV columns teczka does not know. A policy that keeps every field
    /// (`transfer`) otherwise refuses them, since their data would not reach the new system;
    /// mapping them in a mapping file (`--mapping`) keeps them instead.
    #[arg(long)]
    drop_unknown_columns: bool,
    #[command(flatten)]
    archive: ArchiveArgs,
}

/// What an archive's data/records/ can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ExportFormat {
    /// SOU-like XML.
    #[value(alias = "xml")]
    Sou,
    /// One CSV per entity.
    Csv,
    /// JSON Lines of the canonical model.
    Jsonl,
    /// The policy's `[[tables]]`, suppressed (CSV per table and tables.html).
    Tables,
    /// One Parquet file per entity, typed columns (released-as-text fields as text).
    Parquet,
    /// A OneRoster 1.2 bulk CSV folder (data/records/oneroster/).
    #[value(name = "oneroster")]
    OneRoster,
    /// The Czech MŠMT školní matrika XML (data/records/matrika.xml); what it has no item for
    /// is counted and reported.
    Matrika,
}

impl ExportFormat {
    fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Sou => "sou",
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Tables => "tables",
            ExportFormat::Parquet => "parquet",
            ExportFormat::OneRoster => "oneroster",
            ExportFormat::Matrika => "matrika",
        }
    }
}

/// Run `export`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    if args.policy.policy.is_none() {
        bail!("give --policy transfer|statistics|FILE: an archive always says what was released");
    }
    args.check.refuse_report_flags(
        "export writes the validation report into the archive (data/reports/validation.json, \
         read after `age -d` and `unzip`) and the summary to standard error: drop the flag",
    )?;
    let mut reads = [args.check.read_paths(), args.policy.read_paths()].concat();
    reads.extend(args.archive.sign.as_deref());
    refuse_overwriting_inputs(&args.read, &reads, &args.archive.output)?;
    let Some(release) = args.policy.load(args.check.today(), Some(&args.archive.output))? else {
        bail!("give --policy transfer|statistics|FILE");
    };
    // Decided from the policy, not from a flag in it a copied policy can lose.
    let released = format!("policy `{}`", release.policy.name());
    args.archive.refuse_cleartext(&release.policy.exposure(), &released)?;
    let staging = args.archive.staging(&args.read)?;
    if release.policy.file.policy.require_encryption && !staging.encrypted() {
        bail!(
            "policy `{}` requires an encrypted archive: pass --encrypt-to age1… (the receiver's \
             public key), --passphrase-env VAR or --zip-aes-env VAR",
            release.policy.name()
        );
    }
    for folder in ["records", "reports", "schemas", "metadata"] {
        staging.create_dir(folder)?;
    }

    let statistics = release.policy.purpose() == Purpose::Statistics;
    let counts = write_records(&args, &release, &staging, statistics)?;
    let retyped = release.policy.retyped_fields();
    release.write_mapping()?;
    write_schemas(&staging, &retyped)?;
    let signed_by = staging.signing_key_id();
    write_metadata(&args, &release, &staging, &counts, signed_by.as_deref())?;
    staging.write(
        "README.txt",
        ExportReadme {
            policy: release.policy.name(),
            purpose: release.policy.purpose().as_str(),
            counts: &counts,
            statistics,
            retyped: !retyped.is_empty(),
            signed_by: signed_by.as_deref(),
            pseudonymised: release.key.is_some(),
        }
        .text(),
    )?;
    package::seal(staging, release.policy.purpose().as_str())?;
    Ok(finish(&counts))
}

/// Run the pipeline into the record files, the reports and the rejects (all written through
/// the staging's store); return the counts.
fn write_records(
    args: &Args,
    release: &Release,
    staging: &Staging,
    statistics: bool,
) -> anyhow::Result<Counts> {
    let data = staging.data();
    let store = staging.store();
    let records = data.join("records");
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    // The tables count the pupils as read, not as released: a sink of their own.
    let mut tables = None;
    let mut not_written = None;
    let mut matrika_not_written = None;
    let mut formats = args.formats.clone();
    formats.dedup();
    for format in formats {
        match format {
            ExportFormat::Tables => {
                let folder = staging.create_dir("records/tables")?;
                let k = release.policy.anonymity().map_or(5, |a| a.k);
                if release.policy.file.tables.is_empty() {
                    bail!(
                        "--formats tables: policy {} declares no [[tables]] (see `teczka policy \
                         show statistics`)",
                        release.policy.origin
                    );
                }
                let writer = TablesWriter::new_in(store, &folder, &release.policy.file.tables, k)?;
                tables = Some(writer);
            }
            ExportFormat::Sou => sinks.push(record_sink(store, &records, OutFormat::Xml, &[])?),
            ExportFormat::Jsonl => {
                sinks.push(record_sink(store, &records, OutFormat::Jsonl, &[])?);
            }
            ExportFormat::Csv => sinks.push(record_sink(store, &records, OutFormat::Csv, &[])?),
            ExportFormat::Parquet => {
                let as_text = release.policy.retyped_fields();
                sinks.push(record_sink(store, &records, OutFormat::Parquet, &as_text)?);
            }
            ExportFormat::OneRoster => {
                let folder = records.join("oneroster");
                let writer = OneRosterWriter::create_in(store, &folder, args.check.today())?;
                not_written = Some((OutFormat::OneRoster, writer.not_written()));
                sinks.push(Box::new(writer));
            }
            ExportFormat::Matrika => {
                let path = records.join("matrika.xml");
                let name = path.display().to_string();
                let writer = MatrikaWriter::new(store.create(&path)?, name)?;
                matrika_not_written = Some((OutFormat::Matrika, writer.not_written()));
                sinks.push(Box::new(writer));
            }
        }
    }
    let mut tee = Tee::new(sinks);
    let mut check = args.check.clone();
    // An anonymised archive holds nothing about a single pupil: the validation report is
    // reduced to counts by rule and field (no record ids, no positions).
    check.report = Some(if statistics { ReportFormat::JsonCounts } else { ReportFormat::Json });
    check.report_file = Some(data.join("reports/validation.json"));
    // The rejects hold the untouched original records: never in an anonymised release.
    let rejects = (!statistics).then(|| data.join("reports/rejects.jsonl"));
    let job = Job {
        read: &args.read,
        check: &check,
        report_to: ReportTo::StderrSummary,
        rejects,
        release: Some(release),
        staged: Some(store),
        policy_files: args.policy.read_paths().into_iter().map(Path::to_path_buf).collect(),
        refuse_dropped_columns: release.policy.is_identity() && !args.drop_unknown_columns,
    };
    let finished = job.run(&mut tee, tables.as_mut().map(|t| t as &mut dyn Sink))?;
    drop(tee);
    for (format, counts) in not_written.iter().chain(&matrika_not_written) {
        for line in not_written_notes(*format, counts) {
            note!("teczka: {line}");
        }
    }
    if let Some(risk) = &finished.risk {
        note!("teczka: {}", super::anonymity_summary(risk));
        // Class, school and commune names are what the release generalised away: an
        // anonymised archive's risk reports keep the counts per level, not the units.
        let risk = if statistics { risk.clone().counts_only() } else { risk.clone() };
        let mut html = Vec::new();
        risk.write_html(&mut html)?;
        staging.write("reports/risk.html", html)?;
        let mut json = Vec::new();
        risk.write_json(&mut json)?;
        staging.write("reports/risk.json", json)?;
        let mut text = Vec::new();
        risk.write_text(&mut text)?;
        staging.write("reports/risk.txt", text)?;
    }
    Ok(finished.counts)
}

/// The published schemas and, when the policy releases typed fields as text, the schemas the
/// released JSON Lines and XML follow (so a recipient can check them without teczka).
fn write_schemas(staging: &Staging, as_text: &[&str]) -> anyhow::Result<()> {
    staging.write("schemas/pupil.schema.json", pupil_schema_text())?;
    staging.write("schemas/pupils.xsd", PUPILS_XSD)?;
    if !as_text.is_empty() {
        staging.write("schemas/released.schema.json", released_schema_text(as_text))?;
        staging.write("schemas/released.xsd", released_xsd(as_text))?;
    }
    Ok(())
}

fn write_metadata(
    args: &Args,
    release: &Release,
    staging: &Staging,
    counts: &Counts,
    signed_by: Option<&str>,
) -> anyhow::Result<()> {
    let modified = staging.modified();
    let policy = &release.policy;
    let canonical = toml::to_string(&policy.file).context("cannot serialise the policy")?;
    let sources = args
        .read
        .inputs()
        .iter()
        .map(|input| SourceFile {
            name: input.path.file_name().map(|n| n.to_string_lossy().into_owned()),
            bytes: fs::metadata(&input.path).ok().filter(|m| m.is_file()).map(|m| m.len()),
        })
        .collect();
    let metadata = ExportMetadata {
        tool: MetadataTool::teczka(),
        schema_version: METADATA_SCHEMA_VERSION,
        archive_kind: policy.purpose().as_str().to_string(),
        created: modified.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        sources,
        counts: *counts,
        policy: PolicyInfo {
            name: policy.name().to_string(),
            purpose: policy.purpose().as_str().to_string(),
            origin: policy.origin.clone(),
            sha256: hex(&Sha256::digest(canonical.as_bytes())),
            text: canonical,
        },
        key_id: release.key.as_ref().map(|k| k.id().to_string()),
        signature: signed_by.map(|id| SignatureInfo {
            file: SIGNATURE_FILE.to_string(),
            signs: SIGNED_FILE.to_string(),
            minisign_key_id: id.to_string(),
        }),
        tokens: release.tokens.as_ref().map(|t| TokensInfo {
            values: t.len(),
            mapping: "kept by the controller, outside this archive".to_string(),
        }),
        formats: args.formats.iter().map(|f| f.as_str().to_string()).collect(),
        csv: CsvDialect::archive(),
        released_as_text: policy.retyped_fields().iter().map(|f| f.to_string()).collect(),
    };
    let text = metadata_to_text(&metadata)?;
    staging.write(METADATA_PATH, text)?;
    Ok(())
}
