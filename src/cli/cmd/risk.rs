//! `teczka risk`: measure re-identification risk before and after a policy.

use super::{CheckArgs, Job, PolicyArgs, ReportTo};
use crate::cli::output::AtomicFile;
use crate::cli::{Exit, ReadArgs, ReportFormat};

use anyhow::{bail, Context};
use std::io::Write;
use std::path::PathBuf;
use teczka::pipeline::Discard;

/// Measure how re-identifiable the pupils are, before and after a policy.
///
/// Reads the inputs, validates them, applies the policy as `convert --policy` would (without
/// writing the records) and reports, before and after: equivalence classes over the
/// quasi-identifiers, the smallest class, the share of unique pupils, the highest and average
/// prosecutor re-identification risk, pupils suppressed and the l-diversity of the sensitive
/// attributes — overall and per class, school and commune, flagging units smaller than k.
/// A policy without an [anonymity] table is measured over the quasi-identifiers it releases
/// (sex, birth date, country of birth, citizenship, postcode, commune, school, class level).
///
/// Examples:
///
///   teczka risk export/ --policy statistics
///
///   teczka risk pupils.xml --policy mine.toml --key school.key --report json -o risk.json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    check: CheckArgs,
    #[command(flatten)]
    policy: PolicyArgs,
    /// The smallest acceptable group when the policy sets no k (flags smaller classes).
    #[arg(long, value_name = "K", default_value_t = 5)]
    k: u64,
    /// Write the risk report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Run `risk`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    if args.policy.policy.is_none() {
        bail!("give --policy NAME|FILE: the risk is measured before and after a policy");
    }
    let Some(mut release) = args.policy.load(args.check.today(), None)? else {
        bail!("give --policy NAME|FILE");
    };
    release.policy = release.policy.for_measurement(args.k);
    let job = Job {
        read: &args.read,
        check: &args.check,
        report_to: ReportTo::StderrSummary,
        rejects: None,
        release: Some(&release),
    };
    let finished = job.run(&mut Discard)?;
    let Some(risk) = finished.risk else {
        bail!("the policy measured no quasi-identifier: it drops them all, so nothing to measure");
    };
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        match args.check.report {
            ReportFormat::Text => risk.write_text(&mut *out),
            ReportFormat::Json => risk.write_json(&mut *out),
        }
    };
    match &args.output {
        Some(path) => {
            let mut file = AtomicFile::create(path)?;
            write(&mut &mut file).with_context(|| format!("{}: cannot write", path.display()))?;
            file.commit()?;
        }
        None => write(&mut std::io::stdout().lock()).context("cannot write to standard output")?,
    }
    Ok(super::finish(&finished.counts))
}
