//! Retention and deletion: the controller file's schedule applied to the records.
//!
//! The controller file's `[[retention]]` entries gain machine-readable fields — a period
//! (`years`, `months`), the event it runs from (`from`), what happens past it (`action`:
//! erase or anonymise), the file-plan code (`code`: Polish JRWA `B5`, Czech `S 10`) and its
//! legal basis — and `[[holds]]` name pupils or categories that must stay whatever their
//! period (see [`crate::sar::Controller`]). From them:
//!
//! * [`schedule`] builds the run's [`Schedule`] (a rule per category; categories without one
//!   follow the `pupils` entry) and counts periods as the civil codes do;
//! * `evaluate` decides, per pupil, where every item stands on the run's day and what becomes
//!   of the record (its module documentation says where each period runs from);
//! * [`report()`] counts, per category, what is past its period, due soon, held or undated;
//! * [`apply()`] writes the retained remainder into a [`Sink`](crate::write::Sink), checking
//!   `in = kept + erased + anonymised` for items and pupils;
//! * [`protocol`] writes the deletion protocol (JSON and a self-contained HTML page).
//!
//! [`run_report`] and [`run_apply`] do a whole run over input files, as the `teczka retention`
//! commands do, and return a [`Summary`]: counts and paths, no personal value — what an audit
//! log entry records. Nothing is ever changed in place: `apply` writes a new folder.

pub mod apply;
pub mod evaluate;
pub mod protocol;
pub mod report;
pub mod schedule;

pub use self::apply::{apply, Applied, Disposal};
pub use self::evaluate::Fate;
pub use self::protocol::{digest_inputs, Protocol};
pub use self::report::{HoldCounts, Report, Tally};
pub use self::schedule::Schedule;

use crate::archive::sign::SigningKey;
use crate::error::{Error, Result};
use crate::read::{Input, ReadOptions};
use crate::sar::{Controller, Lang};
use crate::write::output::{self, AtomicDir, AtomicFile, OutFormat};
use crate::write::CsvWriteOptions;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Which retention command ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// `retention report`: nothing written but the report.
    Report,
    /// `retention apply`: the remainder and the protocol written.
    Apply,
}

/// What a retention run did, for the audit log: counts per category and the paths read and
/// written. Never a value or an id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The command.
    pub operation: Operation,
    /// The controller file the schedule came from.
    pub controller: PathBuf,
    /// The inputs, as given.
    pub inputs: Vec<PathBuf>,
    /// What was written: the output folder and the files in it (empty for a report).
    pub outputs: Vec<PathBuf>,
    /// The evaluation: per category, past period, due soon, held, undated.
    pub report: Report,
    /// For `apply`: what was done, with the reconciliation per category and in total.
    pub applied: Option<Applied>,
}

/// Read `inputs` and count them against `schedule` (`teczka retention report`).
pub fn run_report(
    inputs: &[Input],
    options: &ReadOptions,
    controller: &Path,
    schedule: &Schedule,
) -> Result<Summary> {
    let opened = crate::read::open(inputs, options)?;
    let report = report::report(opened.records, schedule)?;
    Ok(Summary {
        operation: Operation::Report,
        controller: controller.to_path_buf(),
        inputs: inputs.iter().map(|i| i.path.clone()).collect(),
        outputs: Vec::new(),
        report,
        applied: None,
    })
}

/// How `apply` writes.
pub struct ApplyOptions<'a> {
    /// The output folder (must not exist, or be empty).
    pub output: PathBuf,
    /// The remainder's format.
    pub format: OutFormat,
    /// How CSV is written.
    pub csv: CsvWriteOptions,
    /// The controller file, loaded.
    pub controller: &'a Controller,
    /// Where it was loaded from.
    pub controller_path: PathBuf,
    /// The protocol's language.
    pub lang: Lang,
    /// Who carries the disposal out (name and role).
    pub performed_by: String,
    /// Sign `protocol.json` with this minisign key.
    pub signing_key: Option<SigningKey>,
}

/// The remainder's name in the output folder for `format`.
pub fn remainder_name(format: OutFormat) -> &'static str {
    match format {
        OutFormat::Csv => "records",
        OutFormat::Xml => "records.xml",
        OutFormat::Jsonl => "records.jsonl",
        OutFormat::Xlsx => "records.xlsx",
        OutFormat::Parquet => "records-parquet",
        OutFormat::OneRoster => "records-oneroster",
        OutFormat::Matrika => "records-matrika.xml",
    }
}

/// Read `inputs`, write their retained remainder and the deletion protocol into a new folder
/// (`teczka retention apply`). The folder appears whole or not at all; the inputs are only
/// read.
pub fn run_apply(
    inputs: &[Input],
    read: &ReadOptions,
    schedule: &Schedule,
    options: ApplyOptions<'_>,
) -> Result<Summary> {
    let paths: Vec<PathBuf> = inputs.iter().map(|i| i.path.clone()).collect();
    // Digests before reading: the protocol names the bytes the run started from.
    if matches!(options.format, OutFormat::OneRoster | OutFormat::Matrika) {
        // A roster or the register has no place for most of what is retained (grades, …).
        return Err(crate::Error::config(
            "--to",
            "a OneRoster roster or a školní matrika cannot carry the retained records whole: \
             give --to jsonl, sou or csv",
        ));
    }
    let digests = digest_inputs(&paths)?;
    let dir = AtomicDir::create(&options.output)?;
    let name = remainder_name(options.format);
    // Anonymised dates are years: in a typed format every date column is text, since kept
    // and anonymised records share the files.
    let dates = date_paths();
    let mut out =
        output::open_released(options.format, &dir.path().join(name), options.csv, &dates)?;
    let opened = crate::read::open(inputs, read)?;
    let applied = apply::apply(opened.records, schedule, out.sink())?;
    out.commit()?;
    let meta = protocol::Meta {
        controller: options.controller,
        lang: options.lang,
        performed_by: options.performed_by.clone(),
        inputs: digests,
        output: name.to_string(),
        signed_with: options.signing_key.as_ref().map(SigningKey::id),
    };
    let protocol = Protocol::new(&applied, schedule, meta);
    let json = protocol.to_json();
    let mut written = vec![name.to_string()];
    written.extend(write_released_schemas(dir.path(), name, options.format, &applied)?);
    written.extend([protocol::files::JSON.to_string(), protocol::files::HTML.to_string()]);
    write_file(dir.path(), protocol::files::JSON, json.as_bytes())?;
    write_file(dir.path(), protocol::files::HTML, protocol.to_html().as_bytes())?;
    if let Some(key) = &options.signing_key {
        let comment = format!(
            "timestamp:{}\tfile:{}\thashed",
            schedule.today.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp()),
            protocol::files::JSON
        );
        let signature = key.sign(json.as_bytes(), &comment)?;
        write_file(dir.path(), protocol::files::SIGNATURE, signature.as_bytes())?;
        written.push(protocol::files::SIGNATURE.to_string());
    }
    dir.commit()?;
    let mut outputs = vec![options.output.clone()];
    outputs.extend(written.iter().map(|f| options.output.join(f)));
    Ok(Summary {
        operation: Operation::Apply,
        controller: options.controller_path,
        inputs: paths,
        outputs,
        report: applied.report.clone(),
        applied: Some(applied),
    })
}

/// When records were anonymised, their dates are years: the schemas they follow, beside them
/// (`records.released.schema.json`, and `records.released.xsd` for XML), as `convert --policy`
/// writes them. Returns the names written.
fn write_released_schemas(
    dir: &Path,
    name: &str,
    format: OutFormat,
    applied: &Applied,
) -> Result<Vec<String>> {
    if applied.items.anonymised == 0 {
        return Ok(Vec::new());
    }
    let dates = date_paths();
    let stem = name.split('.').next().unwrap_or(name);
    let mut written = vec![format!("{stem}.released.schema.json")];
    write_file(dir, &written[0], crate::model::schema::released_schema_text(&dates).as_bytes())?;
    if format == OutFormat::Xml {
        written.push(format!("{stem}.released.xsd"));
        write_file(dir, &written[1], crate::model::schema::released_xsd(&dates).as_bytes())?;
    }
    Ok(written)
}

/// The paths of every date field: what anonymising turns into years.
fn date_paths() -> Vec<&'static str> {
    crate::model::fields::fields()
        .iter()
        .filter(|f| f.kind == crate::model::ValueKind::Date)
        .map(|f| f.path.as_str())
        .collect()
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    let mut file = AtomicFile::create(&path)?;
    (&mut file).write_all(bytes).map_err(|e| Error::io(&path, e))?;
    file.commit()
}

/// Controllers, pupils and schedules for the unit tests of this module.
#[cfg(test)]
pub(crate) mod testing {
    use super::Schedule;
    use crate::sar::Controller;
    use chrono::NaiveDate;
    use std::path::Path;

    /// A date.
    pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    /// A controller file with `schedule` (retention entries and holds) after the fixed
    /// Art. 15 part.
    pub fn controller(schedule: &str) -> Controller {
        let text = format!(
            r#"
country = "pl"
default_language = "pl"
source = "rodzice"
[controller]
name = "Szkoła"
[dpo]
name = "IOD"
[authority]
name = "Prezes UODO"
address = "ul. Stawki 2, 00-193 Warszawa"
website = "https://www.uodo.gov.pl"
[automated_decisions]
exists = false
[[purposes]]
purpose = "edukacja"
legal_basis = "art. 6 ust. 1 lit. c RODO"
{schedule}"#
        );
        Controller::from_toml(&text, Path::new("c.toml")).expect("test controller")
    }

    /// The schedule of `schedule` evaluated at `today`, due soon within 12 months.
    pub fn schedule(schedule: &str, today: NaiveDate) -> Schedule {
        Schedule::new(&controller(schedule), Path::new("c.toml"), today, 12).expect("schedule")
    }
}
