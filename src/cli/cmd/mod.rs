//! One file per subcommand, and the run shared by the commands that stream records.

pub mod convert;
pub mod detokenise;
pub mod generate;
pub mod keygen;
pub mod schema;
pub mod validate;

use super::output::AtomicFile;
use super::{Exit, ReadArgs, ReportFormat};
use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use teczka::pipeline::{Discard, Outputs, Pipeline, RejectSink};
use teczka::report::{Counts, JsonReport, RejectsWriter, Report, TextReport};
use teczka::validate::{Duplicates, Validator, ValidatorBuilder};
use teczka::write::Sink;

/// How records are checked and where the findings go (shared by `validate` and `convert`).
#[derive(Debug, Args)]
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
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    report: ReportFormat,
    /// Write the full report to FILE.
    #[arg(long, value_name = "FILE")]
    report_file: Option<PathBuf>,
}

impl CheckArgs {
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
}

impl Job<'_> {
    /// Read, validate and deliver every record into `sink`; print the summary line; return
    /// the counts. The rejects file is written atomically when asked for.
    pub fn run(self, sink: &mut dyn Sink) -> anyhow::Result<Counts> {
        let options = self.read.options()?;
        let opened = teczka::read::open(self.read.inputs(), &options)?;
        let validator = self.check.validator()?;
        let mut duplicates = Duplicates::new();

        let mut rejects_file = self.rejects.as_deref().map(AtomicFile::create).transpose()?;
        let mut rejects_writer = rejects_file.as_mut().map(|f| RejectsWriter::new(f, "rejects"));
        let rejected: &mut dyn RejectSink = match rejects_writer.as_mut() {
            Some(writer) => writer,
            None => &mut Discard,
        };

        let mut report_file =
            self.check.report_file.as_deref().map(AtomicFile::create).transpose()?;
        let mut buffered = Vec::new();
        let to_terminal;
        let mut report: Box<dyn Report + '_> = match (report_file.as_mut(), &self.report_to) {
            (Some(file), _) => {
                to_terminal = false;
                make_report(self.check.report, file, None)
            }
            (None, ReportTo::Stdout) => {
                to_terminal = std::io::stdout().is_terminal();
                make_report(self.check.report, std::io::stdout().lock(), None)
            }
            (None, ReportTo::StderrSummary) => {
                to_terminal = false;
                make_report(self.check.report, &mut buffered, Some(SHOWN_ON_STDERR))
            }
        };

        let progress = progress_bar(to_terminal);
        let counts = Pipeline::new()
            .parallel(|record| validator.check(record))
            .sequential(|record| duplicates.check(record))
            .progress(|n| {
                progress.set_position(n);
                let seconds = progress.elapsed().as_secs_f64().max(0.001);
                progress.set_message(format!("{:.0} records/s", n as f64 / seconds));
            })
            .run(
                opened.records,
                &opened.notices,
                Outputs { accepted: sink, rejected, report: report.as_mut() },
            )?;
        progress.finish_and_clear();
        drop(report);
        drop(rejects_writer);
        std::io::stderr().write_all(&buffered).context("cannot write to standard error")?;
        if let Some(file) = report_file {
            file.commit()?;
        }
        if let (Some(file), Some(path)) = (rejects_file, &self.rejects) {
            file.commit()?;
            if counts.rejected > 0 {
                eprintln!(
                    "teczka: {} rejected records written to {}",
                    counts.rejected,
                    path.display()
                );
            }
        }
        Ok(counts)
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
    }
}

/// A record counter on standard error, drawn only on a terminal and only when the report is
/// not being printed there too.
fn progress_bar(report_on_terminal: bool) -> ProgressBar {
    if report_on_terminal || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {human_pos} records ({msg}, {elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message("reading");
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
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
