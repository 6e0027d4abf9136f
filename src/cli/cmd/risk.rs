//! `teczka risk`: measure re-identification risk before and after a policy.

use super::{CheckArgs, Job, PolicyArgs, ReportTo};
use crate::cli::{Exit, ReadArgs, ReportFormat};
use teczka::write::output::AtomicFile;

use anyhow::{bail, Context};
use std::io::Write;
use std::path::{Path, PathBuf};
use teczka::pipeline::Discard;

/// Measure how re-identifiable the pupils are, before and after a policy.
///
/// Reads the inputs, validates them, applies the policy as `convert --policy` would (without
/// writing the records) and reports, before and after: equivalence classes over the
/// quasi-identifiers (an equivalence class is the pupils who share the same released values of
/// sex, birth date, postcode and the like; k is the size of the smallest) and how many have 1,
/// 2, 3-4, 5-9, 10-19 and 20+ pupils, the smallest class, the share of unique pupils, the
/// highest and average prosecutor re-identification risk (the chance to pick out a pupil one
/// knows is in the data: 1 / the size of the pupil's class), pupils suppressed and the l-diversity of the sensitive attributes; the share of pupils
/// an attacker who knows the quasi-identifiers and one more released fact (one exam score, one
/// achievement) singles out, and which fields single pupils out; journalist risk with
/// --population; and per class, school and commune, flagging units whose pupils sit in classes
/// smaller than k. A policy without an [anonymity] table is measured over the
/// quasi-identifiers it releases (sex, birth date, country of birth, citizenship, postcode,
/// commune, school, class level), every other field it releases counting as a fact.
///
/// Examples:
///
///   teczka risk export/ --policy statistics
///
///   teczka risk pupils.xml --policy mine.toml --key school.key \
///       --report json -o risk.json
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
    let finished = job.run(&mut Discard)?;
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
