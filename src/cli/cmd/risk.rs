//! `teczka risk`: measure re-identification risk before and after a policy.

use super::{CheckArgs, Job, PolicyArgs, ReportTo};
use crate::cli::{Exit, ReadArgs, ReportFormat};

use anyhow::{bail, Context};
use std::io::Write;
use std::path::{Path, PathBuf};
use teczka::{AtomicFile, Discard};

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka risk export/ --policy statistics

  teczka risk pupils.xml --policy mine.toml --key school.key \
      --report json -o risk.json";

/// Measure how re-identifiable the pupils are, before and after a policy.
///
/// Reads the inputs, validates them and applies the policy as `convert --policy` would, without
/// writing the records. The report compares the data before and after the policy.
///
/// Quasi-identifiers are the released fields that together can point at one pupil: sex, birth
/// date, country of birth, citizenship, postcode, commune, school, class level. Pupils who share
/// the same released values of all of them form an equivalence class; the data is k-anonymous
/// when every class holds at least k pupils (no pupil can be told apart from k - 1 others).
///
/// Reported before and after: the number of classes and how many hold 1, 2, 3-4, 5-9, 10-19 and
/// 20+ pupils, the smallest class, the share of unique pupils, and the highest and average
/// prosecutor risk (the chance that someone who knows a pupil is in the data picks out that
/// pupil's record: 1 divided by the size of the pupil's class). Also: the pupils suppressed, the
/// l-diversity of the sensitive fields (how many different values each class holds, so a class
/// does not give away its pupils' health notes), the share of pupils singled out by someone who
/// also knows one more released fact (one exam score, one achievement) and which fields single
/// pupils out, and per class, school and commune the units whose pupils sit in classes smaller
/// than k. With --population, journalist risk too (the chance when the attacker does not know
/// who is in the sample).
///
/// A policy without an [anonymity] table is measured over the quasi-identifiers it releases,
/// every other field it releases counting as a fact.
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
    /// The smallest acceptable class size (k) when the policy sets none: smaller classes are
    /// flagged.
    #[arg(long, value_name = "K", default_value_t = 5)]
    k: u64,
    /// The data is a sample of a population of N pupils (e.g. some schools of a municipality
    /// of N pupils): also estimate journalist risk. Overrides the policy's `population`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    population: Option<u64>,
    /// Write the report as a self-contained HTML page (class-size chart included) to FILE too.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
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
    if let Some(output) = &args.output {
        let inputs =
            [args.read.read_paths(), args.check.read_paths(), args.policy.read_paths()].concat();
        crate::cli::refuse_overwriting(&inputs, &[output])?;
    }
    let job = Job {
        read: &args.read,
        check: &args.check,
        report_to: ReportTo::StderrSummary,
        rejects: None,
        release: Some(&release),
        staged: None,
        policy_files: args.policy.read_paths().into_iter().map(Path::to_path_buf).collect(),
        refuse_dropped_columns: false,
    };
    let finished = job.run(&mut Discard, None)?;
    let Some(mut risk) = finished.risk else {
        bail!("the policy measured no quasi-identifier: it drops them all, so nothing to measure");
    };
    if let Some(population) = args.population {
        if population < risk.before.records {
            bail!(
                "--population {population} is smaller than the {} pupils read: give the number \
                 of pupils in the whole population the data was drawn from",
                risk.before.records
            );
        }
        risk = risk.with_population(Some(population));
    }
    if let Some(path) = &args.html {
        let mut file = AtomicFile::create(path)?;
        risk.write_html(&mut file).with_context(|| format!("{}: cannot write", path.display()))?;
        file.commit()?;
    }
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        match args.check.report_format() {
            ReportFormat::Text => risk.write_text(&mut *out),
            ReportFormat::Json => risk.write_json(&mut *out),
            ReportFormat::JsonCounts => risk.clone().counts_only().write_json(&mut *out),
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
