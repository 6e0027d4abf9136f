//! `teczka retention`: what is past its retention period (`report`), and the retained
//! remainder with a deletion protocol (`apply`).

use crate::cli::audit::{self, LogArgs, LogDefaults};
use crate::cli::package::open_signing_key;
use crate::cli::say::note;
use crate::cli::{refuse_overwriting_inputs, CsvOutArgs, Exit, OutArg, ReadArgs};
use anyhow::{bail, Context};
use chrono::NaiveDate;
use std::path::{Path, PathBuf};
use teczka::{
    run_retention_apply, run_retention_report, Controller, Format, Hold, Lang, OutFormat,
    RetentionApplyOptions, RetentionReport, RetentionSchedule, RetentionSummary, RetentionTally,
};

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r#"Examples:

  teczka retention report eksport/ --controller szkola.toml --today 2026-09-01

  teczka retention report eksport/ --controller szkola.toml --within 6 --json

  teczka retention apply eksport/ --controller szkola.toml \
      --by "Jan Nowak, dyrektor" -o po_brakowaniu/

  teczka retention apply matrika.xml --controller skola.toml --lang cs \
      --by "Eva Malá, ředitelka" --sign skola-sign.key -o po_skartaci/"#;

/// Apply the controller file's retention schedule: report what is past its period, or write the retained remainder with a deletion protocol.
///
/// The schedule is the controller file's `[[retention]]` entries that give a period (`years`, `months`), the event it runs from (`from`: leaving, school-year-end, contract-end, item), what happens past it (`action`: erase or anonymise) and the file-plan code and legal basis; `[[holds]]` keep pupils or categories whatever their period. A category without an entry of its own follows the `pupils` entry. See the README's "teczka retention" section.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    Report(ReportArgs),
    Apply(ApplyArgs),
}

/// The schedule: the controller file and the day it is evaluated at.
#[derive(Debug, clap::Args)]
struct ScheduleArgs {
    /// The controller file (TOML) with the retention schedule and holds. See fixtures/sar/.
    #[arg(long, value_name = "FILE")]
    controller: PathBuf,
    /// The day to evaluate at; default: the system date. Fix it to re-run reproducibly.
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: Option<NaiveDate>,
    /// "Due soon" means: the period ends within this many months.
    #[arg(long, value_name = "MONTHS", default_value_t = 12)]
    within: u32,
}

impl ScheduleArgs {
    fn load(&self) -> anyhow::Result<(Controller, RetentionSchedule)> {
        let controller = Controller::load(&self.controller)?;
        let today = self.today.unwrap_or_else(|| chrono::Local::now().date_naive());
        let schedule = RetentionSchedule::new(&controller, &self.controller, today, self.within)?;
        for warning in &schedule.notes {
            eprintln!("{}: warning: {warning}", self.controller.display());
        }
        Ok((controller, schedule))
    }
}

/// Count, per category, what is past its retention period, due soon, held or undated.
///
/// Counts only: no name, id or date of any pupil is printed. Nothing is written.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
struct ReportArgs {
    /// Where this run is logged.
    #[command(flatten)]
    log: LogArgs,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    schedule: ScheduleArgs,
    /// Print the report as JSON (the counts and paths an audit log records).
    #[arg(long)]
    json: bool,
}

/// Write the retained remainder and a deletion protocol into a new folder.
///
/// OUT receives the remainder (records.jsonl, records.xml, records.xlsx or the folder records/ for CSV) with items past their period erased or anonymised as the schedule says, and protocol.html and protocol.json: per category and schedule entry, how many items of how many pupils were erased or anonymised, the period, its code and legal basis, the holds respected, who ran it and when, and the inputs' SHA-256 — no personal value. Held pupils are written exactly as read. The inputs are never changed; OUT appears whole or not at all. The run ends with `items: in=N kept=N erased=N anonymised=N` and the same line for pupils.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
struct ApplyArgs {
    /// Where this run is logged.
    #[command(flatten)]
    log: LogArgs,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    schedule: ScheduleArgs,
    /// Who carries the disposal out, as the protocol names them (name and role).
    #[arg(long, value_name = "NAME")]
    by: String,
    /// The output folder (must not exist, or be empty).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// The remainder's format; default: the input's.
    #[arg(long, value_enum)]
    to: Option<OutArg>,
    /// Language of the protocol; default: the controller file's.
    #[arg(long, value_name = "pl|cs|en")]
    lang: Option<Lang>,
    /// Sign protocol.json with this minisign secret key (`teczka keygen --minisign`): the
    /// signature goes beside it as protocol.json.minisig.
    #[arg(long, value_name = "FILE")]
    sign: Option<PathBuf>,
    /// The environment variable holding the password of an encrypted --sign key.
    #[arg(long, value_name = "VAR", requires = "sign")]
    sign_password_env: Option<String>,
    #[command(flatten)]
    csv: CsvOutArgs,
}

impl Args {
    /// The name this run is logged under, its log flags and the controller file's `[log]`.
    pub fn logged(&self) -> (&'static str, &LogArgs, LogDefaults) {
        match &self.command {
            Sub::Report(a) => {
                ("retention report", &a.log, LogDefaults::of_controller(&a.schedule.controller))
            }
            Sub::Apply(a) => {
                ("retention apply", &a.log, LogDefaults::of_controller(&a.schedule.controller))
            }
        }
    }
}

/// Run `retention`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    match args.command {
        Sub::Report(args) => report(args),
        Sub::Apply(args) => apply(args),
    }
}

fn report(args: ReportArgs) -> anyhow::Result<Exit> {
    let (_, schedule) = args.schedule.load()?;
    let options = args.read.options()?;
    let mut reads = args.read.read_paths();
    reads.push(&args.schedule.controller);
    audit::files(&reads, &[]);
    let summary =
        run_retention_report(args.read.inputs(), &options, &args.schedule.controller, &schedule)?;
    log_counts(&summary);
    warn_unmatched(&summary.report, &schedule, &args.schedule.controller);
    if args.json {
        let text = serde_json::to_string_pretty(&summary).context("cannot write the report")?;
        println!("{text}");
    } else {
        print!("{}", report_text(&summary.report, &schedule));
    }
    Ok(Exit::Clean)
}

fn apply(args: ApplyArgs) -> anyhow::Result<Exit> {
    let mut reads = vec![args.schedule.controller.as_path()];
    reads.extend(args.sign.as_deref());
    refuse_overwriting_inputs(&args.read, &reads, &args.output)?;
    if args.output == Path::new("-") {
        bail!("-o names a folder (the remainder and the protocol): give a folder name");
    }
    let (controller, schedule) = args.schedule.load()?;
    if schedule.today > chrono::Local::now().date_naive() {
        note!(
            "teczka: note: --today {} is after today's date; the protocol is dated {0}",
            schedule.today
        );
    }
    let signing_key = open_signing_key(args.sign.as_deref(), args.sign_password_env.as_deref())?;
    let format = match args.to {
        Some(to) => OutFormat::from(to),
        None => input_format(&args.read)?,
    };
    let options = RetentionApplyOptions {
        output: args.output.clone(),
        format,
        csv: args.csv.options(),
        controller: &controller,
        controller_path: args.schedule.controller.clone(),
        lang: args.lang.unwrap_or(controller.default_language),
        performed_by: args.by.clone(),
        signing_key,
    };
    let summary =
        run_retention_apply(args.read.inputs(), &args.read.options()?, &schedule, options)?;
    log_counts(&summary);
    warn_unmatched(&summary.report, &schedule, &args.schedule.controller);
    print_applied(&summary, &controller);
    Ok(Exit::Clean)
}

/// The run's counts, for its log entry: pupils and what the schedule found, and for `apply`
/// the reconciliation of items and pupils.
fn log_counts(summary: &RetentionSummary) {
    let report = &summary.report;
    audit::count("pupils", report.pupils);
    audit::count("pupils_held", report.pupils_held);
    audit::count("records_expiring", report.records_expiring);
    if let Some(applied) = &summary.applied {
        for (what, r) in [("items", &applied.items), ("pupils", &applied.pupils)] {
            audit::count(&format!("{what}_in"), r.input);
            audit::count(&format!("{what}_kept"), r.kept);
            audit::count(&format!("{what}_erased"), r.erased);
            audit::count(&format!("{what}_anonymised"), r.anonymised);
        }
    }
}

/// The format of the inputs: `--format`, else the first input's extension; a folder is a
/// multi-file CSV export.
fn input_format(read: &ReadArgs) -> anyhow::Result<OutFormat> {
    if let Some(format) = read.format {
        return Ok(Format::from(format).into());
    }
    let first = read.inputs().first().map(|i| i.path.as_path()).unwrap_or(Path::new("-"));
    if first.is_dir() {
        return Ok(OutFormat::Csv);
    }
    match Format::from_path(first) {
        Some(format) => Ok(format.into()),
        None => bail!(
            "{}: cannot tell the input's format from its name: give --to csv|sou|jsonl|xlsx",
            first.display()
        ),
    }
}

/// What apply did, on standard error: the files, one line per disposal, the reconciliation.
fn print_applied(summary: &RetentionSummary, controller: &Controller) {
    let Some(applied) = &summary.applied else { return };
    let files: Vec<String> =
        summary.outputs.iter().skip(1).map(|p| p.display().to_string()).collect();
    note!("teczka: wrote {}", files.join(", "));
    for d in &applied.disposals {
        let code = controller.retention.get(d.entry).and_then(|r| r.code.as_deref());
        note!(
            "teczka: {}: {} items of {} pupils {} (retention[{}]{})",
            d.category.file_stem(),
            d.count.items,
            d.count.pupils,
            if d.anonymised { "anonymised" } else { "erased" },
            d.entry,
            code.map(|c| format!(", {c}")).unwrap_or_default()
        );
    }
    let held = applied.report.pupils_held;
    if held > 0 {
        note!("teczka: {held} pupils under a legal hold written as read");
    }
    eprintln!("items: {}", applied.items);
    eprintln!("pupils: {}", applied.pupils);
}

/// A hold as messages name it: its case, else its position.
fn hold_name(hold: &Hold) -> String {
    hold.case.clone().unwrap_or_else(|| "(no case reference)".to_string())
}

/// Warn about holds naming pupil ids the input does not hold: a mistyped id protects nobody.
fn warn_unmatched(report: &RetentionReport, schedule: &RetentionSchedule, controller: &Path) {
    for (hold, counts) in schedule.holds().iter().zip(&report.holds) {
        if counts.unmatched > 0 {
            eprintln!(
                "{}: warning: hold {} names {} pupil ids that no input record has: check them \
                 (a mistyped id protects nobody)",
                controller.display(),
                hold_name(hold),
                counts.unmatched
            );
        }
    }
}

/// The report as a table for people: one row per category holding items.
fn report_text(report: &RetentionReport, schedule: &RetentionSchedule) -> String {
    let mut out = format!(
        "retention on {}: due soon = period ends by {} ({} months)\n\n",
        schedule.today,
        schedule.horizon(),
        schedule.within_months
    );
    out.push_str(&format!(
        "{:<13}{:>14}{:>14}{:>14}{:>12}{:>12}  {}\n",
        "category", "items/pupils", "past period", "due soon", "held", "no date", "rule"
    ));
    let cell = |t: RetentionTally| format!("{}/{}", t.items, t.pupils);
    for c in report.categories.iter().filter(|c| c.total.items > 0) {
        let rule = match (c.entry, c.own_entry) {
            (Some(entry), true) => format!("retention[{entry}]"),
            (Some(entry), false) => format!("retention[{entry}] (as pupils)"),
            (None, _) => "none".to_string(),
        };
        let archival = if c.archival.items > 0 {
            format!("; {} archival to hand over", cell(c.archival))
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{:<13}{:>14}{:>14}{:>14}{:>12}{:>12}  {rule}{archival}\n",
            c.category,
            cell(c.total),
            cell(c.expired),
            cell(c.due_soon),
            cell(c.held),
            cell(c.undated)
        ));
    }
    out.push_str(&format!(
        "\npupils: {} read, {} whole records past their period, {} kept for items within a \
         longer period, {} held\n",
        report.pupils, report.records_expiring, report.records_kept_for_items, report.pupils_held
    ));
    if report.leaving_inferred > 0 {
        out.push_str(&format!(
            "leaving date not recorded for {} pupils: taken as the end of the last school year \
             their record shows\n",
            report.leaving_inferred
        ));
    }
    for (hold, counts) in schedule.holds().iter().zip(&report.holds) {
        out.push_str(&format!(
            "hold {}: set by {}: keeps {} items of {} pupils\n",
            hold_name(hold),
            hold.set_by,
            counts.items,
            counts.pupils
        ));
    }
    for hold in &schedule.lapsed {
        out.push_str(&format!(
            "hold {}: lapsed on {}: not applied\n",
            hold_name(hold),
            hold.until.map(|d| d.to_string()).unwrap_or_default()
        ));
    }
    if report.unreadable > 0 {
        out.push_str(&format!(
            "{} records hold fields that could not be read: `teczka validate` lists them; \
             `retention apply` refuses them\n",
            report.unreadable
        ));
    }
    out
}
