//! Command-line interface: clap arguments, shared option groups, exit codes and output files.
//!
//! Declared only from `main.rs`, so clap types stay out of the library. Each subcommand lives
//! in `cmd/<name>.rs` with its `Args` and `run(args) -> anyhow::Result<Exit>`.

pub mod audit;
mod cmd;
pub mod say;

pub use self::cmd::summary_of_failed_run;
mod package;
pub mod private;

use anyhow::bail;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use teczka::{Format, Input, Mapping, ReadLimits, ReadOptions};

/// Move school pupil records between systems without losing them and without leaking them.
///
/// Reads pupil records from CSV (csv2sou-style, as Polish and Czech Excel saves it), SOU-like
/// XML and JSON Lines; validates them; writes them in open formats. Every input record ends up
/// in the output or in a rejects file with its reasons, and every run ends with the line
/// `records: in=N out=N rejected=N` on standard error.
///
/// Exit codes: 0 all records went through; 1 finished, but some records were rejected;
/// 2 failure (nothing or only part was done: see the message).
#[derive(Debug, Parser)]
#[command(name = "teczka", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Say only errors, safety warnings and the summary line: no progress, no list of
    /// problems on the terminal (reports written to files stay whole).
    #[arg(short, long, global = true, conflicts_with = "verbose", display_order = 900)]
    quiet: bool,
    /// List every problem on the terminal, not only the first ones, and every notice.
    #[arg(short, long, global = true, display_order = 900)]
    verbose: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    Validate(cmd::validate::Args),
    Convert(cmd::convert::Args),
    Schema(cmd::schema::Args),
    Generate(cmd::generate::Args),
    Keygen(cmd::keygen::Args),
    Detokenise(cmd::detokenise::Args),
    Export(cmd::export::Args),
    Import(cmd::import::Args),
    Policy(cmd::policy::Args),
    Risk(cmd::risk::Args),
    Retention(cmd::retention::Args),
    Sar(cmd::sar::Args),
    Ropa(cmd::ropa::Args),
    Verify(cmd::verify::Args),
    Log(cmd::log::Args),
    Completions(cmd::completions::Args),
    Man(cmd::man::Args),
}

/// Run the chosen command.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    say::set(match (cli.quiet, cli.verbose) {
        (true, _) => say::Verbosity::Quiet,
        (_, true) => say::Verbosity::Verbose,
        _ => say::Verbosity::Normal,
    });
    let session = match cli.command.logged() {
        Some((name, args, defaults)) => audit::Session::start(name, args, &defaults)?,
        None => None,
    };
    let outcome = dispatch(cli.command);
    match session.map(|s| s.finish(&outcome)) {
        // The run's own error comes first; the log's is said beside it.
        Some(Err(logging)) if outcome.is_err() => eprintln!("teczka: {logging:#}"),
        Some(Err(logging)) => return Err(logging),
        _ => {}
    }
    outcome
}

fn dispatch(command: Command) -> anyhow::Result<Exit> {
    match command {
        Command::Validate(args) => cmd::validate::run(args),
        Command::Convert(args) => cmd::convert::run(args),
        Command::Schema(args) => cmd::schema::run(args),
        Command::Generate(args) => cmd::generate::run(args),
        Command::Keygen(args) => cmd::keygen::run(args),
        Command::Detokenise(args) => cmd::detokenise::run(args),
        Command::Export(args) => cmd::export::run(args),
        Command::Import(args) => cmd::import::run(args),
        Command::Policy(args) => cmd::policy::run(args),
        Command::Risk(args) => cmd::risk::run(args),
        Command::Retention(args) => cmd::retention::run(args),
        Command::Sar(args) => cmd::sar::run(args),
        Command::Ropa(args) => cmd::ropa::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Log(args) => cmd::log::run(args),
        Command::Completions(args) => cmd::completions::run(args),
        Command::Man(args) => cmd::man::run(args),
    }
}

impl Command {
    /// The name a logged command is entered in the log under, its log flags, and what its
    /// controller file says about the log; `None` for commands that touch no personal data.
    fn logged(&self) -> Option<(&'static str, &audit::LogArgs, audit::LogDefaults)> {
        let none = audit::LogDefaults::default();
        Some(match self {
            Command::Validate(a) => ("validate", &a.log, none),
            Command::Convert(a) => ("convert", &a.log, none),
            Command::Export(a) => ("export", &a.log, none),
            Command::Import(a) => ("import", &a.log, none),
            Command::Risk(a) => ("risk", &a.log, none),
            Command::Detokenise(a) => ("detokenise", &a.log, none),
            Command::Sar(a) => ("sar", &a.log, a.log_defaults()),
            Command::Retention(a) => a.logged(),
            _ => return None,
        })
    }
}

impl Cli {
    /// Whether the command reads records and so ends every run, failed or not, with the
    /// summary line `records: in=N out=N rejected=N`.
    pub fn ends_with_summary(&self) -> bool {
        matches!(
            self.command,
            Command::Validate(_)
                | Command::Convert(_)
                | Command::Export(_)
                | Command::Import(_)
                | Command::Risk(_)
        )
    }
}

/// What the process tells its caller. Scripts rely on these numbers; they are tested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Every record went through (warnings allowed).
    Clean = 0,
    /// The run finished, but some records were rejected (see the rejects file); for `verify`,
    /// the archive has findings; for `ropa`, the record was written with gaps.
    Rejects = 1,
    /// The run failed: bad arguments, unreadable input, broken syntax, an I/O error.
    Failure = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// How to read the inputs (shared by every command that reads records).
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Input files or folders: CSV (one csv2sou-style file, or one file per entity joined by
    /// pupil id), SOU-like XML, JSON Lines, spreadsheets (`.xlsx`, `.xls`, `.ods`: one sheet
    /// per entity). Name a file's entity with `grades=FILE` when its name does not say it. `-` is standard input (its format from --format or its first
    /// byte).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<Input>,
    /// Read every input as this format instead of guessing from the file extension.
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Text encoding of CSV inputs (`utf-8`, `windows-1250`, `iso-8859-2`, …); detected when
    /// absent.
    #[arg(long, value_name = "NAME", value_parser = parse_encoding)]
    encoding: Option<&'static encoding_rs::Encoding>,
    /// CSV delimiter: `;`, `,`, `tab` or any single character; detected when absent.
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// Read only this worksheet of each spreadsheet input (else every sheet, each as the
    /// entity its name says: `Uczniowie`, `Oceny`, …).
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// Column mapping for CSV layouts the built-in csv2sou aliases do not cover (TOML).
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
    /// Deepest XML nesting accepted.
    #[arg(long, value_name = "N", default_value_t = ReadLimits::default().max_depth)]
    max_depth: usize,
    /// Longest single field value accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = ReadLimits::default().max_field_bytes)]
    max_field_bytes: usize,
    /// Longest single input record (CSV row, XML pupil, JSON line) accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = ReadLimits::default().max_record_bytes)]
    max_record_bytes: usize,
    /// Most entries in one list of one pupil (guardians, grades, …; in JSON any array or
    /// object); a pupil over it is rejected with `record-too-large`.
    #[arg(long, value_name = "N", default_value_t = ReadLimits::default().max_list_items)]
    max_list_items: usize,
    /// Most attributes on one XML element; a pupil over it is rejected with
    /// `record-too-large` (namespace declarations over it stop the run).
    #[arg(long, value_name = "N", default_value_t = ReadLimits::default().max_attributes)]
    max_attributes: usize,
    /// Memory for joining a multi-file CSV export, in MiB; larger exports are joined through
    /// temporary files (slower, same result).
    #[arg(long, value_name = "MIB", default_value_t = ReadOptions::default().join_budget >> 20)]
    join_memory: u64,
}

impl ReadArgs {
    /// The library's read options, with the mapping file loaded.
    pub fn options(&self) -> anyhow::Result<ReadOptions> {
        let mapping = match &self.mapping {
            Some(path) => Some(Mapping::from_path(path)?),
            None => None,
        };
        Ok(ReadOptions {
            encoding: self.encoding,
            delimiter: self.delimiter,
            format: self.format.map(Format::from),
            mapping,
            limits: ReadLimits {
                max_depth: self.max_depth,
                max_field_bytes: self.max_field_bytes,
                max_record_bytes: self.max_record_bytes,
                max_list_items: self.max_list_items,
                max_attributes: self.max_attributes,
            },
            join_budget: self.join_memory << 20,
            prefilter: None,
            sheet: self.sheet.clone(),
        })
    }

    /// The inputs as given.
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// Every file these flags read: the inputs and the --mapping file.
    pub fn read_paths(&self) -> Vec<&std::path::Path> {
        let inputs = self.inputs.iter().map(|i| i.path.as_path());
        inputs.chain(self.mapping.as_deref()).collect()
    }
}

/// How CSV output is written (shared by `convert` and `import`).
#[derive(Debug, Args)]
pub struct CsvOutArgs {
    /// Delimiter of CSV output [default: `,`, or what the --mapping file says].
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    out_delimiter: Option<u8>,
    /// Encoding of CSV output (`utf-8`, or `windows-1250` for Polish and Czech Excel)
    /// [default: utf-8, or what the --mapping file says].
    #[arg(long, value_name = "NAME", value_parser = parse_encoding)]
    out_encoding: Option<&'static encoding_rs::Encoding>,
    /// Start UTF-8 CSV files with a byte-order mark, so Excel detects UTF-8.
    #[arg(long)]
    bom: bool,
    /// Keep CSV cells starting with `=`, `+`, `-` or `@` exactly as they are. Only for CSV that
    /// no spreadsheet will open: such cells can run as formulas.
    #[arg(long)]
    no_formula_guard: bool,
}

impl CsvOutArgs {
    /// The writer options these flags ask for.
    pub fn options(&self) -> teczka::CsvWriteOptions {
        self.options_over(teczka::CsvWriteOptions::default())
    }

    /// The writer options of a vendor layout (`base`, from its mapping file), with what these
    /// flags give explicitly taking precedence.
    pub fn options_over(&self, base: teczka::CsvWriteOptions) -> teczka::CsvWriteOptions {
        teczka::CsvWriteOptions {
            delimiter: self.out_delimiter.unwrap_or(base.delimiter),
            encoding: self.out_encoding.unwrap_or(base.encoding),
            bom: self.bom || base.bom,
            neutralise_formulas: !self.no_formula_guard,
        }
    }
}

/// A record format on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Delimited text.
    Csv,
    /// SOU-like XML only (without `--format`, an `.xml` file is read as its root element
    /// says: `<pupils>` or a školní matrika's `<MATRIKA>`).
    #[value(alias = "xml")]
    Sou,
    /// JSON Lines of the canonical model.
    Jsonl,
    /// A spreadsheet: written as `.xlsx`; read as `.xlsx`, `.xls` or `.ods`, whichever its
    /// content is.
    #[value(alias = "spreadsheet")]
    Xlsx,
    /// The Czech MŠMT školní matrika XML (`<MATRIKA>` root; recognised without this flag).
    Matrika,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Csv => Format::Csv,
            FormatArg::Sou => Format::Xml,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Xlsx => Format::Spreadsheet,
            FormatArg::Matrika => Format::Matrika,
        }
    }
}

/// A format records are written in on the command line: the record formats and XLSX.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutArg {
    /// A folder of CSV files, one per entity.
    Csv,
    /// SOU-like XML.
    #[value(alias = "xml")]
    Sou,
    /// JSON Lines of the canonical model.
    Jsonl,
    /// An Excel workbook, one sheet per entity, PESELs and other identifiers as text cells.
    Xlsx,
    /// A folder of Parquet files, one per entity, typed columns.
    Parquet,
    /// The Czech MŠMT školní matrika XML; what it has no item for is counted and reported.
    Matrika,
}

impl From<OutArg> for teczka::OutFormat {
    fn from(format: OutArg) -> teczka::OutFormat {
        use teczka::OutFormat;
        match format {
            OutArg::Csv => OutFormat::Csv,
            OutArg::Sou => OutFormat::Xml,
            OutArg::Jsonl => OutFormat::Jsonl,
            OutArg::Xlsx => OutFormat::Xlsx,
            OutArg::Parquet => OutFormat::Parquet,
            OutArg::Matrika => OutFormat::Matrika,
        }
    }
}

/// The report a command writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Lines for people.
    Text,
    /// One JSON document for machines.
    Json,
    /// One JSON document of counts only (rules and counts per field; risk without unit
    /// names), for anonymised archives. Not offered on the command line.
    #[value(skip)]
    JsonCounts,
}

pub(crate) fn parse_encoding(name: &str) -> Result<&'static encoding_rs::Encoding, String> {
    teczka::encoding_by_name(name).ok_or_else(|| {
        format!("unknown encoding `{name}`: use utf-8, windows-1250, iso-8859-2 or another WHATWG label")
    })
}

pub(crate) fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        "semicolon" => Ok(b';'),
        "comma" => Ok(b','),
        _ if text.len() == 1 && text.is_ascii() => Ok(text.as_bytes()[0]),
        _ => Err("the delimiter must be one ASCII character, or `tab`".to_string()),
    }
}

/// Refuse an `output` that would replace one of the files `read` and `more` name (inputs,
/// mapping, policy, key, schema, controller…) or be written inside an input folder (see
/// [`refuse_overwriting`]).
fn refuse_overwriting_inputs(
    read: &ReadArgs,
    more: &[&std::path::Path],
    output: &std::path::Path,
) -> anyhow::Result<()> {
    let inputs = [read.read_paths(), more.to_vec()].concat();
    refuse_overwriting(&inputs, &[output])
}

/// Refuse, before anything is written, any of `outputs` that is one of the `inputs` — the same
/// file after following links, hard links included (same device and inode) — or lies inside an
/// input folder, and two outputs that are one file. `-` (standard output) is never a clash.
pub fn refuse_overwriting(
    inputs: &[&std::path::Path],
    outputs: &[&std::path::Path],
) -> anyhow::Result<()> {
    audit::files(inputs, outputs);
    let outputs: Vec<&std::path::Path> =
        outputs.iter().copied().filter(|o| *o != std::path::Path::new("-")).collect();
    for output in &outputs {
        for input in inputs {
            if clash(input, output) {
                bail!(
                    "{}: this output would replace or write into the input {}: choose another \
                     output path (nothing was written)",
                    output.display(),
                    input.display()
                );
            }
        }
    }
    for (i, a) in outputs.iter().enumerate() {
        if let Some(b) = outputs[i + 1..].iter().find(|b| same_place(a, b)) {
            bail!(
                "{} and {}: two outputs of this run are one file: give them different paths",
                a.display(),
                b.display()
            );
        }
    }
    Ok(())
}

/// Whether writing `output` would touch `input`: the same file (by device and inode, so
/// symbolic and hard links are seen through), the same path, or a path inside an input folder.
fn clash(input: &std::path::Path, output: &std::path::Path) -> bool {
    if same_file(input, output) || same_place(input, output) {
        return true;
    }
    let (Ok(folder), Some(target)) = (input.canonicalize(), resolved(output)) else {
        return false;
    };
    folder.is_dir() && target.starts_with(&folder)
}

#[cfg(unix)]
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_a: &std::path::Path, _b: &std::path::Path) -> bool {
    false
}

/// Whether two paths name one place once their folders are resolved (for files that do not
/// exist yet).
fn same_place(a: &std::path::Path, b: &std::path::Path) -> bool {
    same_file(a, b) || matches!((resolved(a), resolved(b)), (Some(a), Some(b)) if a == b)
}

/// `path` with its folder resolved (links followed), whether or not the file itself exists.
fn resolved(path: &std::path::Path) -> Option<std::path::PathBuf> {
    if let Ok(full) = path.canonicalize() {
        return Some(full);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    Some(parent.canonicalize().ok()?.join(name))
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// `teczka --help` lists each command by its first paragraph: one line of source, so
    /// that clap wraps it at the terminal's width instead of at the doc comment's breaks.
    #[test]
    fn every_command_summary_is_one_line() {
        for command in Cli::command().get_subcommands() {
            let about = command.get_about().map(|a| a.to_string()).unwrap_or_default();
            assert!(!about.is_empty(), "`{}` has no summary", command.get_name());
            assert!(!about.contains('\n'), "`{}`: {about:?}", command.get_name());
        }
    }

    /// Every command, nested ones included, the top one first.
    pub(crate) fn every_command() -> Vec<clap::Command> {
        fn collect(command: &clap::Command, all: &mut Vec<clap::Command>) {
            all.push(command.clone());
            for sub in command.get_subcommands() {
                collect(sub, all);
            }
        }
        let mut top = Cli::command();
        top.build();
        let mut all = Vec::new();
        collect(&top, &mut all);
        all
    }

    /// Prose is written as one source line per paragraph once clap has joined the doc comment:
    /// a line break kept inside a paragraph (`verbatim_doc_comment`) makes clap break the
    /// sentence there and again at the terminal's width, leaving ragged half-lines at 80
    /// columns. Examples, which need their line breaks, live in `after_long_help`.
    #[test]
    fn help_paragraphs_carry_no_hard_line_breaks() {
        for command in every_command() {
            let name = command.get_name().to_string();
            let abouts = [command.get_about(), command.get_long_about()];
            let args = command.get_arguments().flat_map(|a| [a.get_help(), a.get_long_help()]);
            for text in abouts.into_iter().chain(args).flatten() {
                let text = text.to_string();
                let lone_breaks = text.replace("\n\n", "");
                assert!(!lone_breaks.contains('\n'), "`{name}`: a line break inside: {text:?}");
            }
        }
    }

    /// `--help` of every command reads at 80 columns: clap wraps prose and option text within
    /// 80, and every example line arrives whole, as written (no line of `after_long_help` is
    /// broken by the wrapping). Only the usage line, which clap never wraps, and a line that is
    /// one unbreakable token (a URL) may run over.
    #[test]
    fn long_help_fits_eighty_columns() {
        for command in every_command() {
            let name = command.get_name().to_string();
            let examples = command.get_after_long_help().map(|e| e.to_string());
            let help = command.term_width(80).max_term_width(80).render_long_help().to_string();
            for line in help.lines() {
                let width = line.chars().count();
                let usage = line.starts_with("Usage: ");
                let one_token = !line.trim().contains(char::is_whitespace);
                assert!(width <= 80 || usage || one_token, "`{name}` ({width} columns): {line}");
            }
            let lines: Vec<&str> = help.lines().collect();
            for example in examples.iter().flat_map(|e| e.lines()) {
                assert!(lines.contains(&example), "`{name}`: example line broken: {example:?}");
            }
        }
    }

    /// Every command has examples, headed `Examples:`; each example line fits 80 columns as
    /// written (longer ones continue with `\` and an indented next line), so it pastes into a
    /// shell as printed, and each example runs teczka.
    #[test]
    fn every_command_has_examples_that_fit_eighty_columns_and_paste() {
        for command in Cli::command().get_subcommands() {
            let name = command.get_name();
            let Some(examples) = command.get_after_long_help().map(|e| e.to_string()) else {
                panic!("`{name}` has no examples (`after_long_help`)");
            };
            let body = examples.strip_prefix("Examples:\n\n").unwrap_or_else(|| {
                panic!("`{name}`: examples start with `Examples:` and a blank line")
            });
            for line in body.lines() {
                let width = line.chars().count();
                assert!(width <= 80, "`{name}` ({width}): {line}");
                assert!(line.is_empty() || line.starts_with("  "), "`{name}`: indent: {line}");
            }
            for example in body.split("\n\n") {
                let runs = example.split_whitespace().any(|word| word == "teczka");
                assert!(runs, "`{name}`: example does not run teczka: {example}");
                let mut lines = example.lines().peekable();
                while let Some(line) = lines.next() {
                    if line.ends_with('\\') {
                        let next = lines.peek().unwrap_or_else(|| panic!("`{name}`: {example}"));
                        assert!(next.starts_with("      "), "`{name}`: continuation: {next}");
                    }
                }
            }
        }
    }
}
