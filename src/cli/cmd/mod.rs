//! One file per subcommand, and the run shared by the commands that stream records.

pub mod completions;
pub mod convert;
pub mod detokenise;
pub mod export;
pub mod generate;
pub mod import;
pub mod keygen;
pub mod log;
pub mod man;
pub mod policy;
pub mod retention;
pub mod risk;
pub mod ropa;
pub mod sar;
pub mod schema;
pub mod validate;
pub mod verify;

use super::{Exit, ReadArgs, ReportFormat};
use crate::cli::say::note;
use crate::cli::say::{self, Verbosity};
use anyhow::bail;
use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::path::PathBuf;
use teczka::{
    fields, AtomicFile, Counts, CountsReport, Discard, Duplicates, JsonReport, Key, KeySource,
    Notice, NoticeLevel, OutFile, Outputs, Pipeline, Policy, Record, RejectSink, RejectsWriter,
    Report, RiskReport, Rule, Secrets, Severity, Sink, Store, TextIdentifiers, TextReport,
    TokenRecipient, Tokeniser, TwoPassRelease, Validator, ValidatorBuilder,
};

/// How records are checked and where the findings go (shared by `validate` and `convert`).
#[derive(Clone, Debug, Args)]
pub struct CheckArgs {
    /// Restore the leading zero Excel strips from PESELs of children born 2000–2009 (only where
    /// the padded number is valid and matches the birth date). Without it the repair is only
    /// suggested.
    #[arg(long)]
    repair_pesel: bool,
    /// Also check every record against this JSON Schema, e.g. what the receiving system
    /// requires (fields it makes mandatory, value formats). Remote references are never fetched.
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// The date the checks treat as today (future birth dates, …); default: the system date.
    /// Fix it to re-run a validation reproducibly.
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: Option<chrono::NaiveDate>,
    /// Report format (also of the risk report of `teczka risk`); default: text.
    #[arg(long, value_enum)]
    pub report: Option<ReportFormat>,
    /// Write the full report to FILE.
    #[arg(long, value_name = "FILE")]
    report_file: Option<PathBuf>,
}

impl CheckArgs {
    /// The files these flags read (`--schema`).
    pub fn read_paths(&self) -> Vec<&Path> {
        self.schema.iter().map(PathBuf::as_path).collect()
    }

    /// The report format asked for, text when none was.
    pub fn report_format(&self) -> ReportFormat {
        self.report.unwrap_or(ReportFormat::Text)
    }

    /// Refuse `--report` and `--report-file` where the command writes its report itself
    /// (`export` puts it in the archive), naming where the report goes instead of ignoring
    /// them.
    pub fn refuse_report_flags(&self, instead: &str) -> anyhow::Result<()> {
        if self.report.is_some() || self.report_file.is_some() {
            anyhow::bail!("--report and --report-file do not apply here: {instead}");
        }
        Ok(())
    }

    /// The date treated as today (the reference date of policies without their own).
    pub fn today(&self) -> NaiveDate {
        self.today.unwrap_or_else(|| chrono::Local::now().date_naive())
    }

    /// The validator these flags ask for.
    fn validator(&self) -> anyhow::Result<Validator> {
        let mut builder = ValidatorBuilder::new();
        builder.repair_pesel(self.repair_pesel);
        if let Some(today) = self.today {
            builder.today(today);
        }
        if let Some(path) = &self.schema {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read the schema", path.display()))?;
            let schema = serde_json::from_str(&text).with_context(|| {
                format!("{}: not a JSON document: give a JSON Schema file", path.display())
            })?;
            builder.extra_schema(path, schema);
        }
        Ok(builder.build()?)
    }
}

/// Which policy to apply and the secrets it needs (shared by `convert` and `risk`).
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Apply a policy on the way: a preset (`transfer`, `sar`, `statistics`; print one with
    /// `teczka policy show NAME`) or a policy file.
    #[arg(long, value_name = "NAME|FILE")]
    pub policy: Option<String>,
    /// The secret key for `pseudonymise` and `date-shift` rules (make one with
    /// `teczka keygen -o FILE`; it must be readable by you alone).
    #[arg(long, value_name = "FILE", conflicts_with = "key_env")]
    pub key: Option<PathBuf>,
    /// Read the secret key from this environment variable instead of a file.
    #[arg(long, value_name = "VAR")]
    pub key_env: Option<String>,
    /// Encrypt the token mapping of `tokenise` rules to this age recipient (`age1…`; make an
    /// identity with `teczka keygen --age -o FILE`).
    #[arg(long, value_name = "AGE_RECIPIENT", conflicts_with = "token_passphrase_env")]
    pub token_recipient: Option<String>,
    /// Encrypt the token mapping with the passphrase in this environment variable.
    #[arg(long, value_name = "VAR")]
    pub token_passphrase_env: Option<String>,
    /// Where the encrypted token mapping goes; default OUT.tokens.age.
    #[arg(long, value_name = "FILE")]
    pub tokens: Option<PathBuf>,
}

/// A loaded policy with its secrets, ready to run.
pub struct Release {
    /// The checked policy.
    pub policy: Policy,
    /// The key, when a rule needs it.
    pub key: Option<Key>,
    /// The run's tokeniser, when a rule tokenises.
    pub tokens: Option<Tokeniser>,
    /// Where the token mapping goes and to whom it is encrypted.
    pub mapping: Option<(PathBuf, TokenRecipient)>,
}

impl PolicyArgs {
    /// The files these flags read: the policy when given as a file, the `--key` file.
    pub fn read_paths(&self) -> Vec<&Path> {
        let policy = self.policy.as_deref().map(Path::new).filter(|p| p.is_file());
        policy.into_iter().chain(self.key.as_deref()).collect()
    }

    /// Load the policy and its secrets, refusing up front what the run would need but lacks.
    /// `output` names the default place of the token mapping.
    pub fn load(&self, today: NaiveDate, output: Option<&Path>) -> anyhow::Result<Option<Release>> {
        let Some(name) = &self.policy else { return Ok(None) };
        let policy = Policy::load(name, today)?;
        let text = match teczka::preset(name) {
            Some(preset) => preset.as_bytes().to_vec(),
            None => std::fs::read(name).with_context(|| format!("cannot read {name}"))?,
        };
        crate::cli::audit::policy(policy.name(), &text);
        let key = match (&self.key, &self.key_env) {
            (Some(path), _) => Some(Key::load(&KeySource::File(path.clone()))?),
            (None, Some(var)) => Some(Key::load(&KeySource::Env(var.clone()))?),
            (None, None) if policy.needs_key() => bail!(
                "policy `{}` pseudonymises or shifts dates, which needs the secret key: pass \
                 --key FILE or --key-env VAR (make a key with `teczka keygen -o FILE`)",
                policy.name()
            ),
            (None, None) => None,
        };
        if let Some(key) = &key {
            crate::cli::audit::key_id(&key.id().to_string());
        }
        let (tokens, mapping) = if policy.tokenises() {
            let recipient = match (&self.token_recipient, &self.token_passphrase_env) {
                (Some(r), _) => TokenRecipient::Public(r.clone()),
                (None, Some(var)) => {
                    TokenRecipient::Passphrase(std::env::var(var).with_context(|| {
                        format!("environment variable {var} (--token-passphrase-env) is not set")
                    })?)
                }
                (None, None) => bail!(
                    "policy `{}` tokenises, and its token mapping must be encrypted: pass \
                     --token-recipient age1… or --token-passphrase-env VAR",
                    policy.name()
                ),
            };
            let path = match (&self.tokens, output) {
                (Some(path), _) => path.clone(),
                (None, Some(out)) => sibling(out, "tokens.age"),
                (None, None) => bail!("give --tokens FILE for the encrypted token mapping"),
            };
            (Some(Tokeniser::new()), Some((path, recipient)))
        } else {
            (None, None)
        };
        Ok(Some(Release { policy, key, tokens, mapping }))
    }
}

impl Release {
    /// The secrets for the policy stage.
    pub fn secrets(&self) -> Secrets<'_> {
        Secrets { key: self.key.as_ref(), tokens: self.tokens.as_ref() }
    }

    /// Write the encrypted token mapping, if the policy tokenised.
    pub fn write_mapping(&self) -> anyhow::Result<()> {
        let (Some(tokens), Some((path, recipient))) = (&self.tokens, &self.mapping) else {
            return Ok(());
        };
        let mut file = AtomicFile::create(path)?;
        tokens.write_mapping(&mut file, recipient)?;
        file.commit()?;
        note!(
            "teczka: token mapping ({} values) written encrypted to {}; keep it apart from the \
             output: it reverses the tokens",
            tokens.len(),
            path.display()
        );
        Ok(())
    }
}

/// One line on what anonymisation did: k reached, pupils suppressed, the chosen levels.
pub fn anonymity_summary(risk: &RiskReport) -> String {
    let levels: Vec<String> =
        risk.generalisation.iter().map(|(path, level)| format!("{path}={level}")).collect();
    format!(
        "anonymised to k={} (smallest group {} pupils, {} groups), {} pupils suppressed; \
         released at {}",
        risk.k,
        risk.after.smallest_class,
        risk.after.equivalence_classes,
        risk.suppressed,
        levels.join(", ")
    )
}

/// `OUT.suffix` beside an output path (a folder's trailing slash removed).
pub fn sibling(output: &Path, suffix: &str) -> PathBuf {
    let trimmed = output.to_string_lossy().trim_end_matches(['/', '\\']).to_string();
    PathBuf::from(format!("{trimmed}.{suffix}"))
}

/// Where the report goes when no `--report-file` is given.
pub enum ReportTo {
    /// Standard output, every line (`validate`).
    Stdout,
    /// Standard error, the first few problems (`convert`, whose stdout may carry data).
    StderrSummary,
}

/// Problems shown on the terminal by commands whose job is not reporting.
const SHOWN_ON_STDERR: u64 = 20;

/// Everything one streaming run needs besides its sink.
pub struct Job<'a> {
    /// How to read.
    pub read: &'a ReadArgs,
    /// How to check and report.
    pub check: &'a CheckArgs,
    /// Where the report goes without `--report-file`.
    pub report_to: ReportTo,
    /// Where rejected records go, if anywhere.
    pub rejects: Option<PathBuf>,
    /// The policy to apply to accepted records, if any.
    pub release: Option<&'a Release>,
    /// Write the rejects and the report file through this store (an export's staging folder,
    /// sealed when the archive is encrypted) rather than as outputs of their own.
    pub staged: Option<&'a Store>,
    /// The policy and key files the release was loaded from, which no output may replace.
    pub policy_files: Vec<PathBuf>,
    /// Refuse inputs with CSV columns whose data would not be carried over (a transfer
    /// export, which promises every field), unless the user confirmed leaving them out.
    pub refuse_dropped_columns: bool,
}

/// What a run did.
pub struct Finished {
    /// The accounting.
    pub counts: Counts,
    /// Risk before and after, when the policy anonymised.
    pub risk: Option<RiskReport>,
}

impl Job<'_> {
    /// Read, validate and deliver every record into `sink` (and, as read, into `as_read`, for
    /// the aggregate tables); print the summary line; return the counts. The rejects file is
    /// written atomically when asked for.
    pub fn run(
        self,
        sink: &mut dyn Sink,
        as_read: Option<&mut dyn Sink>,
    ) -> anyhow::Result<Finished> {
        self.refuse_overwriting_inputs()?;
        let options = self.read.options()?;
        let opened = teczka::open(self.read.inputs(), &options)?;
        if self.refuse_dropped_columns {
            refuse_dropped_columns(&opened.notices)?;
        }
        if self.check.report_file.is_some() {
            print_notices(&opened.notices);
        }
        let validator = self.check.validator()?;
        let mut duplicates = Duplicates::new();

        let create = |path: &Path| OutFile::create(path, self.staged);
        let mut rejects_file = self.rejects.as_deref().map(create).transpose()?;
        let mut rejects_writer = rejects_file.as_mut().map(|f| RejectsWriter::new(f, "rejects"));
        let rejected: &mut dyn RejectSink = match rejects_writer.as_mut() {
            Some(writer) => writer,
            None => &mut Discard,
        };

        let mut report_file = self.check.report_file.as_deref().map(create).transpose()?;
        let mut buffered = Vec::new();
        let (mut report, to_terminal) = self.open_report(report_file.as_mut(), &mut buffered);

        let input_bytes = InputBytes::of(self.read.inputs());
        let progress = progress_bar(to_terminal, input_bytes.total);
        let two_passes = self.release.is_some_and(|r| r.policy.needs_two_passes());
        let mut two_pass = match self.release {
            Some(release) if two_passes => Some(TwoPassRelease::new(&release.policy)?),
            _ => None,
        };
        let release = self.release;
        let identity = release.is_some_and(|r| r.policy.is_identity());
        let mut pipeline = Pipeline::new()
            .parallel(|record| validator.check(record))
            .sequential(|record| duplicates.check(record))
            .fallible(|record| match release.filter(|_| !record.is_rejected()) {
                Some(release) => release_record(release, identity, record),
                None => Ok(()),
            })
            .progress(|done| {
                let seconds = progress.elapsed().as_secs_f64().max(0.001);
                let rate = done.pupils as f64 / seconds;
                progress.set_message(format!("{} pupils, {rate:.0} pupils/s", done.pupils));
                if let Some(byte) = done.at.and_then(|at| input_bytes.position(at)) {
                    progress.set_position(byte);
                }
            });
        if let Some(two_pass) = two_pass.as_mut() {
            pipeline = pipeline.barrier(two_pass);
        }
        // Reborrowed for the run alone (`Option` hides the `&mut dyn` from the coercion).
        let as_read = as_read.map(|sink| sink as &mut dyn Sink);
        let counts = pipeline.run(
            opened.records,
            &opened.notices,
            Outputs { accepted: sink, as_read, rejected, report: report.as_mut() },
        );
        progress.finish_and_clear();
        drop(report);
        // The problems found before a stop are shown too: they may be why it stopped.
        if say::level() > Verbosity::Quiet {
            std::io::stderr().write_all(&buffered).context("cannot write to standard error")?;
        }
        let counts = counts?;
        // Whatever fails after this point, the run's summary line says what was read.
        let _ = RUN_COUNTS.set(counts);
        let risk = two_pass.as_mut().and_then(|s| s.outcome()).and_then(|o| o.risk);
        drop(rejects_writer);
        if let Some(file) = report_file {
            file.commit()?;
        }
        if let (Some(file), Some(path)) = (rejects_file, &self.rejects) {
            file.commit()?;
            if counts.rejected > 0 {
                note!("teczka: {} rejected records written to {}", counts.rejected, path.display());
            }
        }
        Ok(Finished { counts, risk })
    }

    /// No output of the run may replace an input (`--rejects IN` truncated it).
    fn refuse_overwriting_inputs(&self) -> anyhow::Result<()> {
        let mut inputs = [self.read.read_paths(), self.check.read_paths()].concat();
        inputs.extend(self.policy_files.iter().map(PathBuf::as_path));
        let mapping = self.release.and_then(|r| r.mapping.as_ref()).map(|(path, _)| path.as_path());
        let outputs: Vec<&Path> =
            [self.rejects.as_deref(), self.check.report_file.as_deref(), mapping]
                .into_iter()
                .flatten()
                .collect();
        crate::cli::refuse_overwriting(&inputs, &outputs)
    }

    /// The validation report: into `file` when one is asked for, else on standard output or
    /// (the first few problems) buffered for standard error. Also whether the report goes to a
    /// terminal, where no progress bar may draw over it.
    fn open_report<'r>(
        &self,
        file: Option<&'r mut OutFile>,
        buffered: &'r mut Vec<u8>,
    ) -> (Box<dyn Report + 'r>, bool) {
        let format = self.check.report_format();
        match (file, &self.report_to) {
            (Some(file), _) => (make_report(format, file, None), false),
            (None, ReportTo::Stdout) => {
                let to_terminal = std::io::stdout().is_terminal();
                (make_report(format, std::io::stdout().lock(), None), to_terminal)
            }
            (None, ReportTo::StderrSummary) => {
                let shown = (say::level() < Verbosity::Verbose).then_some(SHOWN_ON_STDERR);
                (make_report(format, buffered, shown), false)
            }
        }
    }
}

/// The policy stage of one accepted record: its released form, and the identifiers its
/// released free text holds reported on it. A policy that keeps everything (`identity`)
/// releases the pupil as read: no copy is made, and the writers write the typed pupil.
fn release_record(release: &Release, identity: bool, record: &mut Record) -> teczka::Result<()> {
    if identity {
        if let Some(found) = release.policy.release_unchanged(&record.pupil)? {
            report_text_identifiers(record, &found, &release.policy);
            return Ok(());
        }
    }
    let released = release.policy.release(&record.pupil, release.secrets())?;
    report_text_identifiers(record, &released.text_identifiers, &release.policy);
    record.released = Some(Box::new(released));
    Ok(())
}

/// Say the input notices on the terminal when the report goes to a file (an export's goes into
/// the archive): warnings always, what was detected with `--verbose`.
fn print_notices(notices: &[Notice]) {
    for notice in notices {
        match notice.level {
            NoticeLevel::Warning => eprintln!("{}: warning: {}", notice.source, notice.message),
            NoticeLevel::Info if say::level() == Verbosity::Verbose => {
                eprintln!("{}: {}", notice.source, notice.message)
            }
            NoticeLevel::Info => {}
        }
    }
}

/// Stop before reading a record when a column's data would not be carried over.
fn refuse_dropped_columns(notices: &[Notice]) -> anyhow::Result<()> {
    let dropped: Vec<String> = notices
        .iter()
        .flat_map(|n| n.dropped_columns.iter().map(move |c| format!("{}: `{c}`", n.source)))
        .collect();
    if dropped.is_empty() {
        return Ok(());
    }
    bail!(
        "the policy promises every field, but teczka does not know {} and would not carry {} \
         over: {}; map them to model fields in a mapping file (`--mapping`), map them to \"-\" \
         there, or pass --drop-unknown-columns to confirm leaving them out",
        if dropped.len() == 1 { "this column" } else { "these columns" },
        if dropped.len() == 1 { "its data" } else { "their data" },
        dropped.join(", ")
    )
}

/// Warn, at the record's place, about every identifier the release found in free text.
fn report_text_identifiers(record: &mut Record, found: &[(usize, &'static str)], policy: &Policy) {
    let done = match policy.identifiers_in_text() {
        TextIdentifiers::Redact => "it was redacted in the release".to_string(),
        TextIdentifiers::Report => format!(
            "it was released as written: check the text, or set `identifiers_in_text = \
             \"redact\"` in the [policy] table of {}",
            policy.origin
        ),
    };
    for (index, kind) in found {
        let path = fields().get(*index).map_or("?", |f| f.path.as_str());
        record.report(
            path,
            Rule::IdentifierInText,
            Severity::Warning,
            format!("free text holds {kind}, which may name someone; {done}"),
        );
    }
}

fn make_report<'w>(
    format: ReportFormat,
    out: impl Write + 'w,
    shown: Option<u64>,
) -> Box<dyn Report + 'w> {
    match format {
        ReportFormat::Text => Box::new(TextReport::new(out, "report", shown)),
        ReportFormat::Json => Box::new(JsonReport::new(out, "report")),
        ReportFormat::JsonCounts => Box::new(CountsReport::new(out, "report")),
    }
}

/// A progress line on standard error, drawn only on a terminal, only when the report is not
/// being printed there too, and never under `--quiet`: pupils done and their rate, and, when
/// the inputs' total size is known, the share read and an estimate of the time left.
fn progress_bar(report_on_terminal: bool, total_bytes: Option<u64>) -> ProgressBar {
    if report_on_terminal || say::level() == Verbosity::Quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (bar, template) = match total_bytes {
        Some(total) => {
            (ProgressBar::new(total), "{spinner} {msg}: {percent}%, {eta} left ({elapsed})")
        }
        None => (ProgressBar::new_spinner(), "{spinner} {msg} ({elapsed})"),
    };
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message("reading");
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Where each input file starts in the run's bytes, for a byte-based estimate: known when
/// every input is a named file (a folder or standard input has no size up front).
struct InputBytes {
    start: std::collections::HashMap<String, u64>,
    total: Option<u64>,
}

impl InputBytes {
    fn of(inputs: &[teczka::Input]) -> InputBytes {
        let mut start = std::collections::HashMap::new();
        let mut total = 0;
        for input in inputs {
            let size = std::fs::metadata(&input.path).ok().filter(|m| m.is_file()).map(|m| m.len());
            let Some(size) = size.filter(|_| !input.is_stdin()) else {
                return InputBytes { start: Default::default(), total: None };
            };
            start.insert(input.path.display().to_string(), total);
            total += size;
        }
        InputBytes { start, total: Some(total).filter(|&t| t > 0) }
    }

    /// The run's byte position of a record at `at`.
    fn position(&self, at: &teczka::Location) -> Option<u64> {
        self.start.get(&*at.source).map(|start| start + at.byte)
    }
}

/// The counts of this process's record run, once its pipeline has finished.
static RUN_COUNTS: std::sync::OnceLock<Counts> = std::sync::OnceLock::new();

/// The counts of this process's record run, if it ran one to its end.
pub fn run_counts() -> Option<&'static Counts> {
    RUN_COUNTS.get()
}

/// The summary line a failed run of a record command ends with: how far the pipeline came
/// when the error stopped it, all it read when something after it failed, or nothing read.
pub fn summary_of_failed_run(error: &anyhow::Error) -> Counts {
    let stopped = error.chain().find_map(|cause| {
        cause.downcast_ref::<teczka::Error>().and_then(teczka::Error::counts_so_far)
    });
    stopped.or(RUN_COUNTS.get()).copied().unwrap_or_default()
}

/// Print the summary line every run ends with, and choose the exit code.
pub fn finish(counts: &Counts) -> Exit {
    eprintln!("{counts}");
    if counts.rejected > 0 {
        Exit::Rejects
    } else {
        Exit::Clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teczka::Input;

    #[test]
    fn byte_positions_run_on_across_the_input_files() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
        std::fs::write(&a, "x".repeat(100)).unwrap();
        std::fs::write(&b, "y".repeat(50)).unwrap();
        let inputs =
            [Input { path: a.clone(), entity: None }, Input { path: b.clone(), entity: None }];
        let bytes = InputBytes::of(&inputs);
        assert_eq!(bytes.total, Some(150));
        let at = |path: &Path, byte| teczka::Location {
            source: path.display().to_string().into(),
            byte,
            ..teczka::Location::default()
        };
        assert_eq!(bytes.position(&at(&a, 40)), Some(40));
        assert_eq!(bytes.position(&at(&b, 10)), Some(110));
        // A folder has no size up front: no estimate, only the count.
        let folder = [Input { path: dir.path().to_path_buf(), entity: None }];
        assert_eq!(InputBytes::of(&folder).total, None);
    }
}
