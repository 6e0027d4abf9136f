//! `teczka validate`: check records and report every problem, without writing records.

use super::{finish, CheckArgs, Job, ReportTo};
use crate::cli::{Exit, ReadArgs};
use std::path::PathBuf;
use teczka::Discard;

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka validate uczniowie.csv

  teczka validate export/ --report json --report-file report.json

  teczka validate pupils=uczniowie.csv grades=oceny.csv --rejects rejects.jsonl";

/// Check pupil records against the schema and the domain rules and report every problem.
///
/// Prints one line per problem (file, record, line, field, rule — never the value), a tally by
/// rule, and ends with `records: in=N out=N rejected=N` on standard error. Exits 0 when every
/// record is valid, 1 when some would be rejected, 2 on failure.
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
    /// Also write the rejected records (original text and reasons, JSON Lines) to FILE.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
}

/// Run `validate`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    let job = Job {
        read: &args.read,
        check: &args.check,
        report_to: ReportTo::Stdout,
        rejects: args.rejects.clone(),
        release: None,
        staged: None,
        policy_files: Vec::new(),
        refuse_dropped_columns: false,
    };
    let finished = job.run(&mut Discard, None)?;
    Ok(finish(&finished.counts))
}
