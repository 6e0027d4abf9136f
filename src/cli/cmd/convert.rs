//! `teczka convert`: read records in one format, validate them, write them in another.

use super::{finish, CheckArgs, Job, PolicyArgs, ReportTo};
use crate::cli::say::note;
use crate::cli::{refuse_overwriting_inputs, CsvOutArgs, Exit, ReadArgs};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use teczka::{
    not_written_notes, oneroster, open_released_output, released_schema_text, released_xsd,
    AtomicDir, AtomicFile, OutFormat, TablesWriter,
};

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka convert uczniowie.csv --to sou -o uczniowie.xml

  teczka convert export/ --to jsonl -o pupils.jsonl

  teczka convert pupils.xml --to csv --out-delimiter ';' \
      --out-encoding windows-1250 -o dla_excela/

  teczka convert export/ --policy statistics --to jsonl -o gmina.jsonl

  teczka convert export/ --policy mine.toml --key school.key --to sou \
      -o pseudonymised.xml";

/// Convert pupil records between CSV, SOU-like XML and JSON Lines, validating on the way.
///
/// Valid records go to OUT; records with errors go, untouched and with every reason, to the
/// rejects file (OUT.rejects.jsonl unless --rejects says otherwise). `--to csv` writes a
/// folder with one file per entity (pupils.csv, guardians.csv, grades.csv, …) joined by
/// `pupil_id`; cells a spreadsheet would run as a formula are prefixed with `'` unless
/// --no-formula-guard is given (XML and JSON Lines keep exact values). `--to oneroster` writes
/// a OneRoster 1.2 bulk CSV folder (manifest.csv, users.csv, classes.csv, …) for a learning
/// platform and prints, per field, how many values it has no column for.
///
/// With --policy, every accepted record is released under the policy first (fields dropped,
/// masked, pseudonymised, generalised…; see `teczka policy show`). An anonymising policy
/// (statistics) reads the data twice and leaves out pupils whose combination stays too rare:
/// the summary line then ends with `suppressed=N`. The schemas the released records follow are
/// written beside OUT: OUT.released.schema.json, and OUT.released.xsd for `--to sou` (the
/// published ones with the fields the policy turns into text, such as years, typed as text
/// and nothing required).
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
    /// Output format; `tables` writes the policy's aggregate tables (CSV per table and
    /// tables.html) instead of records.
    #[arg(long, value_enum)]
    to: To,
    /// Output file (`-` for standard output), or folder for `--to csv` and `--to oneroster`.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Where rejected records go (JSON Lines); default OUT.rejects.jsonl.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    #[command(flatten)]
    csv: CsvOutArgs,
}

/// What `convert` writes: records in a format, or aggregate tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum To {
    /// Delimited text.
    Csv,
    /// SOU-like XML.
    #[value(alias = "xml")]
    Sou,
    /// JSON Lines of the canonical model.
    Jsonl,
    /// An Excel workbook, one sheet per entity, PESELs and other identifiers as text cells.
    Xlsx,
    /// A folder of Parquet files, one per entity, typed columns (for DuckDB, R, pandas).
    Parquet,
    /// The policy's `[[tables]]`: counts and means with small cells suppressed.
    Tables,
    /// A OneRoster 1.2 bulk CSV folder (manifest.csv, users.csv, classes.csv, …) for a
    /// learning platform's roster import.
    #[value(name = "oneroster")]
    OneRoster,
    /// The Czech MŠMT školní matrika XML (one <VETA> per pupil); what it has no item for
    /// (names, guardians, grades, …) is counted and reported.
    Matrika,
}

/// Run `convert`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    let to = match args.to {
        To::Csv => OutFormat::Csv,
        To::Sou => OutFormat::Xml,
        To::Jsonl => OutFormat::Jsonl,
        To::Xlsx => OutFormat::Xlsx,
        To::Parquet => OutFormat::Parquet,
        To::Tables => return tables(args),
        To::OneRoster => OutFormat::OneRoster,
        To::Matrika => OutFormat::Matrika,
    };
    let stdout = args.output == Path::new("-");
    if stdout && matches!(to, OutFormat::Csv | OutFormat::Parquet | OutFormat::OneRoster) {
        bail!(
            "--to {} writes a folder of files: give -o a folder name instead of `-`",
            to_name(to)
        );
    }
    let reads = [args.check.read_paths(), args.policy.read_paths()].concat();
    if !stdout {
        refuse_overwriting_inputs(&args.read, &reads, &args.output)?;
    }
    let rejects = match args.rejects.clone() {
        Some(path) => path,
        None => default_rejects_path(&args.output, stdout)?,
    };
    let inputs = [args.read.read_paths(), reads.clone()].concat();
    crate::cli::refuse_overwriting(&inputs, &[&args.output, &rejects])?;
    let release = args.policy.load(args.check.today(), (!stdout).then_some(&*args.output))?;
    if let Some(release) = release.as_ref().filter(|_| to == OutFormat::Xml && stdout) {
        let retyped = release.policy.retyped_fields();
        if !retyped.is_empty() {
            eprintln!(
                "teczka: note: the policy releases {} as text (generalised, masked or \
                 tokenised), so the XML does not follow schemas/pupils.xsd for those fields: \
                 write to a file to get the released XSD beside it",
                retyped.join(", ")
            );
        }
    }
    let job = Job {
        read: &args.read,
        check: &args.check,
        report_to: ReportTo::StderrSummary,
        rejects: Some(rejects),
        release: release.as_ref(),
        staged: None,
        policy_files: args.policy.read_paths().into_iter().map(Path::to_path_buf).collect(),
        refuse_dropped_columns: false,
    };
    let as_text = release.as_ref().map(|r| r.policy.retyped_fields()).unwrap_or_default();
    let mut out = match to {
        OutFormat::OneRoster => oneroster::open_output(&args.output, args.check.today())?,
        _ => open_released_output(to, &args.output, args.csv.options(), &as_text)?,
    };
    let not_written = out.not_written();
    let finished = job.run(out.sink(), None)?;
    // The token mapping first: an output is never committed without the mapping that
    // reverses its tokens.
    write_mapping(release.as_ref())?;
    out.commit()?;
    if let Some(counts) = &not_written {
        for line in not_written_notes(to, counts) {
            note!("teczka: {line}");
        }
    }
    if let Some(release) = release.as_ref().filter(|_| !stdout) {
        write_released_schemas(&args.output, to, &release.policy.retyped_fields())?;
    }
    if let Some(key) = release.as_ref().and_then(|r| r.key.as_ref()) {
        // The id, never the key: receivers compare it to know which exports link.
        note!("teczka: pseudonyms and date shifts made with key {}", key.id());
    }
    if let Some(risk) = &finished.risk {
        note!("teczka: {}", super::anonymity_summary(risk));
    }
    Ok(finish(&finished.counts))
}

/// `--to tables`: count the accepted pupils, as read, into the policy's tables. No pupil is
/// released record by record, so the policy's per-field rules and anonymity do not run; the
/// tables hide counts below the policy's k (5 without `[anonymity]`).
fn tables(args: Args) -> anyhow::Result<Exit> {
    if args.output == Path::new("-") {
        bail!("--to tables writes a folder (a CSV per table and tables.html): give -o a folder");
    }
    let reads = [args.check.read_paths(), args.policy.read_paths()].concat();
    refuse_overwriting_inputs(&args.read, &reads, &args.output)?;
    let Some(release) = args.policy.load(args.check.today(), None)? else {
        bail!("--to tables needs --policy with [[tables]] (the statistics preset has some)");
    };
    let specs = &release.policy.file.tables;
    if specs.is_empty() {
        bail!(
            "policy {} declares no [[tables]]: add some (see `teczka policy show statistics`)",
            release.policy.origin
        );
    }
    let k = release.policy.anonymity().map_or(5, |a| a.k);
    let rejects = match args.rejects.clone() {
        Some(path) => path,
        None => default_rejects_path(&args.output, false)?,
    };
    let inputs = [args.read.read_paths(), reads.clone()].concat();
    crate::cli::refuse_overwriting(&inputs, &[&args.output, &rejects])?;
    let job = Job {
        read: &args.read,
        check: &args.check,
        report_to: ReportTo::StderrSummary,
        rejects: Some(rejects),
        release: None,
        staged: None,
        policy_files: args.policy.read_paths().into_iter().map(Path::to_path_buf).collect(),
        refuse_dropped_columns: false,
    };
    let dir = AtomicDir::create(&args.output)?;
    let mut sink = TablesWriter::new(dir.path(), specs, k)?;
    let finished = job.run(&mut sink, None)?;
    dir.commit()?;
    note!(
        "teczka: {} tables written to {} (counts below {k} and what would reveal them hidden)",
        specs.len(),
        args.output.display()
    );
    Ok(finish(&finished.counts))
}

/// The token mapping is written before the output is committed: an output whose tokens
/// nobody could reverse must not appear.
fn write_mapping(release: Option<&super::Release>) -> anyhow::Result<()> {
    release.map_or(Ok(()), |r| r.write_mapping())
}

/// The schemas the released records follow, beside the output: `OUT.released.schema.json`
/// (the published JSON Schema with the fields the policy turns into text loosened, nothing
/// required) and for XML `OUT.released.xsd` (the XSD loosened the same way).
fn write_released_schemas(output: &Path, to: OutFormat, as_text: &[&str]) -> anyhow::Result<()> {
    let write = |suffix: &str, text: String| -> anyhow::Result<()> {
        let path = super::sibling(output, suffix);
        let mut file = AtomicFile::create(&path)?;
        std::io::Write::write_all(&mut &mut file, text.as_bytes())
            .with_context(|| format!("{}: cannot write", path.display()))?;
        file.commit()?;
        note!("teczka: the released records follow {}", path.display());
        Ok(())
    };
    write("released.schema.json", released_schema_text(as_text))?;
    if to == OutFormat::Xml {
        write("released.xsd", released_xsd(as_text))?;
    }
    Ok(())
}

/// The `--to` value of an output format, for messages.
fn to_name(to: OutFormat) -> &'static str {
    match to {
        OutFormat::OneRoster => "oneroster",
        OutFormat::Parquet => "parquet",
        _ => "csv",
    }
}

fn default_rejects_path(output: &Path, stdout: bool) -> anyhow::Result<PathBuf> {
    if stdout {
        let here = PathBuf::from("rejects.jsonl");
        if here.exists() {
            bail!(
                "-o - puts the rejected records in ./rejects.jsonl, which exists: give \
                 --rejects FILE (nothing was written)"
            );
        }
        return Ok(here);
    }
    Ok(super::sibling(output, "rejects.jsonl"))
}
