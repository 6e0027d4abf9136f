//! `teczka ropa`: write the record of processing activities (GDPR Art. 30(1)) from the
//! controller file.

use crate::cli::say::note;
use crate::cli::{refuse_overwriting, Exit};
use anyhow::Context;
use chrono::NaiveDate;
use std::path::PathBuf;
use teczka::{
    ropa_files, ropa_html, ropa_json, write_private_file, AtomicDir, Controller, Lang, Ropa,
};

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka ropa --controller szkola.toml -o rejestr-2026/

  teczka ropa --controller skola.toml --lang en --today 2026-09-01 \
      -o records-2026-09/";

/// Write the record of processing activities (GDPR Art. 30(1)) from the controller file.
///
/// The record is what a controller keeps about its processing and shows the supervisory authority
/// (UODO, ÚOOÚ) on request: the controller, joint controllers, representative and data-protection
/// officer with their contact details (a); the purposes (b); the categories of data subjects and of
/// personal data (c); the recipients (d); transfers to third countries with their safeguards (e);
/// the time limits for erasure (f); and a general description of the security measures (g). It is
/// read from the same controller file `teczka sar` answers access requests from (see
/// fixtures/sar/), whose `[[data_subjects]]` and `[[security_measures]]` sections exist for it.
///
/// The folder given with -o receives ropa.html, a self-contained page to print or send (no scripts,
/// nothing fetched), and ropa.json, the same record as JSON-LD in the terms of the W3C Data Privacy
/// Vocabulary (dpv:, pd: and eu-gdpr:). Both are created together (the folder must not exist or be
/// empty), readable by their owner only. Both name the SHA-256 of the controller file and the
/// record's date, so the same file and date give the same bytes.
///
/// An item the controller file does not give is not filled in: it is reported as a gap, on standard
/// error, at the top of the page and in the JSON's `gaps`, with the key to add and an example. The
/// record is still written, and the exit code is 1 until the file is complete.
///
/// Exit codes: 0 the record is complete; 1 the record is written, with gaps; 2 failure (nothing
/// written).
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The controller file (TOML): the school, its DPO, purposes, data subjects, recipients,
    /// retention, security measures. See fixtures/sar/.
    #[arg(long, value_name = "FILE")]
    controller: PathBuf,
    /// Language of the record; default: the controller file's.
    #[arg(long, value_name = "pl|cs|en")]
    lang: Option<Lang>,
    /// The day the record is dated; default: SOURCE_DATE_EPOCH's day, else today.
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: Option<NaiveDate>,
    /// The folder to write ropa.html and ropa.json into (created; an existing one must be
    /// empty).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
}

/// Run `ropa`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    refuse_overwriting(&[args.controller.as_path()], &[args.output.as_path()])?;
    // Read once: parsed for the record, hashed as it is.
    let text = std::fs::read_to_string(&args.controller).with_context(|| {
        format!("{}: cannot read the controller file", args.controller.display())
    })?;
    let controller = Controller::from_toml(&text, &args.controller)?;
    let lang = args.lang.unwrap_or(controller.default_language);
    let date = args.today.map_or_else(today, Ok)?;
    let record = Ropa::new(&controller, text.as_bytes(), lang, date);

    let dir = AtomicDir::create(&args.output)?;
    write_private_file(&dir.path().join(ropa_files::HTML), ropa_html(&record))?;
    let json = serde_json::to_string_pretty(&ropa_json(&record))? + "\n";
    write_private_file(&dir.path().join(ropa_files::JSON), json)?;
    dir.commit()?;

    note!(
        "teczka: record of processing activities as of {date} written to {} ({}, {})",
        args.output.display(),
        ropa_files::HTML,
        ropa_files::JSON
    );
    for gap in &record.gaps {
        eprintln!(
            "teczka: warning: {}: the controller file does not give {}: add `{}` (an example \
             is in {})",
            gap.letter().provision(Lang::En),
            gap.what(Lang::En),
            gap.key(),
            ropa_files::HTML
        );
    }
    if record.is_complete() {
        return Ok(Exit::Clean);
    }
    eprintln!(
        "teczka: the record is incomplete ({} of Art. 30(1) missing): the page says so; \
         complete {} and run again",
        match record.gaps.len() {
            1 => "1 item".to_string(),
            n => format!("{n} items"),
        },
        args.controller.display()
    );
    Ok(Exit::Rejects)
}

/// SOURCE_DATE_EPOCH's day when it is set (a reproducible run), else the system's date.
fn today() -> anyhow::Result<NaiveDate> {
    let Some(epoch) = std::env::var_os("SOURCE_DATE_EPOCH") else {
        return Ok(chrono::Local::now().date_naive());
    };
    let seconds: i64 = epoch.to_str().and_then(|s| s.trim().parse().ok()).with_context(|| {
        "SOURCE_DATE_EPOCH is not a number of seconds: unset it or give --today".to_string()
    })?;
    let time = chrono::DateTime::from_timestamp(seconds, 0)
        .context("SOURCE_DATE_EPOCH is out of range: unset it or give --today")?;
    Ok(time.date_naive())
}
