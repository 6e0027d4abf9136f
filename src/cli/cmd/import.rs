//! `teczka import`: verify an archive, then convert its records for the receiving system.

use super::verify::{check, read_entry, OpenArgs, SignerArgs};
use crate::cli::say::note;
use crate::cli::{CsvOutArgs, Exit, OutArg};
use anyhow::{bail, Context};
use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::PathBuf;
use teczka::{
    not_written_notes, open_output, ArchiveMetadata, AtomicDir, CsvWriteOptions, JsonlReader,
    MappedCsvWriter, Mapping, Outgoing, ReadOptions, SafeArchive, Sink, XmlReader,
};

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka import przekazanie.zip.age --identity vendor.age-id --to csv \
      --out-delimiter ';' --out-encoding windows-1250 -o do_excela/

  teczka import przekazanie.zip --to csv --mapping dziennik.toml \
      -o do_dziennika/

  teczka import przekazanie.zip --to csv --mapping dziennik.toml \
      --drop-unmapped -o do_dziennika/

  teczka import przekazanie.zip --to sou -o uczniowie.xml";

/// Verify an archive, then write its records as CSV, SOU-like XML or JSON Lines.
///
/// Nothing is imported from an archive that does not verify (see `teczka verify`), nor from a
/// signed archive whose signer is not verified: give --trusted-key (the school's public key),
/// or --allow-unverified-signer to import it on its checksums alone. The records
/// are read from data/records/pupils.jsonl (or pupils.xml) and written to OUT: a folder of one
/// CSV per entity for `--to csv` — `--out-delimiter ';' --out-encoding windows-1250` for Polish
/// and Czech Excel, with cells that would run as formulas neutralised — or one file.
///
/// With --mapping, `--to csv` writes the receiving system's own layout instead: the files,
/// column names, column order, delimiter and encoding the mapping file gives (the same file
/// that reads that system's export with `convert --mapping`). A value the layout has no column
/// for stops the import, naming every such field, unless --drop-unmapped is given; then what
/// was left out is listed with counts.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// Where this run is logged.
    #[command(flatten)]
    pub log: crate::cli::audit::LogArgs,
    /// The archive (a zip, or an age-encrypted zip).
    #[arg(value_name = "ARCHIVE")]
    archive: PathBuf,
    #[command(flatten)]
    open: OpenArgs,
    #[command(flatten)]
    signer: SignerArgs,
    /// Output format.
    #[arg(long, value_enum)]
    to: OutArg,
    /// Output file, or folder for `--to csv`.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    #[command(flatten)]
    csv: CsvOutArgs,
    /// Write CSV in the layout this mapping file describes (TOML: files, columns in order,
    /// `delimiter`, `encoding`); --out-delimiter and --out-encoding override its keys.
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
    /// With --mapping: leave out values the layout has no column for (listed with counts on
    /// standard error) instead of refusing to import.
    #[arg(long, requires = "mapping")]
    drop_unmapped: bool,
}

/// Run `import`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    // `import a.zip.age -o a.zip.age` replaced the encrypted archive with plaintext.
    let mut inputs = vec![args.archive.as_path()];
    inputs.extend(args.mapping.as_deref());
    inputs.extend(args.open.read_paths());
    inputs.extend(args.signer.read_paths());
    crate::cli::refuse_overwriting(&inputs, &[&args.output])?;
    // The mapping is checked before the archive is opened: a typo in it should not cost a
    // decryption and a verification first.
    let mapping = match &args.mapping {
        Some(_) if args.to != OutArg::Csv => {
            bail!("--mapping describes a CSV layout: use it with --to csv, or leave it out")
        }
        Some(path) => Some(Mapping::from_path(path)?),
        None => None,
    };
    let trusted = args.signer.trusted()?;
    let mut archive = args.open.open(&args.archive)?;
    let mut findings = check(&mut archive)?;
    match args.signer.check(&mut archive, trusted.as_ref())? {
        Ok(Some(note)) => eprintln!("teczka: {}: {note}", args.archive.display()),
        Ok(None) => {}
        Err(finding) => findings.push(finding),
    }
    if !findings.is_empty() {
        for finding in &findings {
            eprintln!("  {finding}");
        }
        bail!(
            "{}: the archive does not verify ({} problems above): nothing was imported; ask the \
             sender for a sound copy",
            args.archive.display(),
            findings.len()
        );
    }
    let metadata =
        ArchiveMetadata::from_json(&read_entry(&mut archive, "data/metadata/archive.json")?)
            .context("data/metadata/archive.json")?;
    if !metadata.released_as_text.is_empty() {
        let names = &metadata.released_as_text;
        bail!(
            "{}: its policy released {} as text (generalised or masked), which the typed model \
             cannot take back: use data/records/ from the archive as they are",
            args.archive.display(),
            names.join(", ")
        );
    }
    let source = ["data/records/pupils.jsonl", "data/records/pupils.xml"]
        .into_iter()
        .find(|name| archive.entry(name).is_some());
    let Some(source) = source else {
        bail!("{}: holds no pupils.jsonl or pupils.xml to import", args.archive.display());
    };
    let name = args.output.display().to_string();
    let imported = match (&mapping, args.to) {
        (Some(mapping), OutArg::Csv) => {
            let dir = AtomicDir::create(&args.output)?;
            let options = args.csv.options_over(CsvWriteOptions::from_mapping(mapping));
            let mut sink = MappedCsvWriter::create(dir.path(), mapping, options)?
                .drop_unmapped(args.drop_unmapped);
            let n = copy(&mut archive, source, &mut sink)?;
            report_dropped(mapping, sink.dropped());
            dir.commit()?;
            n
        }
        (_, format) => {
            let mut out = open_output(format, &args.output, args.csv.options())?;
            let not_written = out.not_written();
            let n = copy(&mut archive, source, out.sink())?;
            out.commit()?;
            for line in not_written.iter().flat_map(|c| not_written_notes(format.into(), c)) {
                eprintln!("teczka: {line}");
            }
            n
        }
    };
    let expected = metadata.counts.pupils_out.unwrap_or(imported);
    if imported != expected {
        bail!("imported {imported} pupils but the archive's metadata counts {expected}: a bug");
    }
    note!("teczka: imported {imported} pupils from {} into {name}", args.archive.display());
    Ok(Exit::Clean)
}

/// Say on standard error what --drop-unmapped left out, field by field.
fn report_dropped(mapping: &Mapping, dropped: &BTreeMap<String, u64>) {
    if dropped.is_empty() {
        return;
    }
    let total: u64 = dropped.values().sum();
    eprintln!(
        "teczka: left out {total} values the layout of {} has no column for (--drop-unmapped):",
        mapping.source().display()
    );
    for (path, n) in dropped {
        eprintln!("  {path}: {n}");
    }
}

/// Stream every pupil of `source` into `sink`; a record that does not read cleanly stops the
/// import (a verified archive never has one).
fn copy(archive: &mut SafeArchive, source: &str, sink: &mut dyn Sink) -> anyhow::Result<u64> {
    let reader = BufReader::new(archive.open_entry(source)?);
    let options = ReadOptions::default();
    let records: Box<dyn Iterator<Item = teczka::Result<teczka::Record>>> =
        if source.ends_with(".jsonl") {
            Box::new(JsonlReader::new(reader, source, &options))
        } else {
            Box::new(XmlReader::new(reader, source, &options))
        };
    let mut count = 0;
    for record in records {
        let record = record?;
        if let Some(problem) = record.problems.first() {
            bail!("{source}: {problem}: the archive's records do not follow the model");
        }
        sink.write(Outgoing::Pupil(&record.pupil))?;
        count += 1;
    }
    sink.finish()?;
    Ok(count)
}
