//! `teczka sar`: answer a subject-access request (GDPR Art. 15) with one package holding
//! everything the school's records say about one person.

use crate::cli::package::{self, ArchiveArgs};
use crate::cli::say::note;
use crate::cli::{refuse_overwriting_inputs, Exit, ReadArgs};
use anyhow::{bail, Context};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use std::fs;
use std::path::PathBuf;
use teczka::{
    art15_information, hex, metadata_to_text, pupil_schema_text, record_sink, sar_files,
    sar_index_html, sar_readme_txt, withholding_log, Controller, CsvDialect, Format, Lang,
    MetadataTool, OutFormat, Outgoing, Policy, SarCounts, SarDisclosure, SarExtension, SarMetadata,
    SarPackage, SarRequest, SarRequestInfo, SarRole, SarScope, SarSearch, SarSubject, Staging,
    METADATA_PATH, METADATA_SCHEMA_VERSION, PUPILS_XSD,
};

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  SUBJECT=pesel:14210512345 teczka sar eksport/ --subject-env SUBJECT \
      --controller szkola.toml --received 2026-11-02 \
      --encrypt-to age1… -o odpowiedz.zip.age

  teczka sar eksport/ --subject-file - --controller szkola.toml \
      --received 2026-11-02 --encrypt-to age1… -o odpowiedz.zip.age \
      < wniosek.txt

  ZIP_PASS=… teczka sar eksport/ --subject email:anna.nowak@example.pl \
      --on-behalf-of-children --controller szkola.toml --received 2026-11-02 \
      --zip-aes-env ZIP_PASS -o dla_rodzica.zip

  teczka sar matrika.xml --subject rc:140512/1234 --controller skola.toml \
      --received 2026-11-02 --lang cs --passphrase-env HESLO -o odpoved.zip.age";

/// Answer a subject-access request: everything held about one pupil or guardian.
///
/// A subject-access request is someone asking for a copy of what is held about them (GDPR
/// Art. 15). The answer is a readable report and a machine-readable copy in one zip holding a
/// BagIt bag (a folder of files with lists of their checksums, RFC 8493; Archive-Kind: sar).
///
/// Every input is searched in one streaming pass for the subject: a pupil by PESEL, rodné
/// číslo or id; a guardian by id or e-mail. The package's data/ holds index.html (the answer
/// a parent reads on a phone or prints: the controller, the request's dates, the
/// Art. 15(1)(a)–(h) and 15(2) information from the controller file, then every record by
/// category), art15-information.json, the records as CSV, JSON Lines and SOU-like XML in
/// records/, and withheld.json, the withholding log: what was left out to protect others
/// (staff who wrote remarks, other guardians' contact details, a guardian's children's
/// records) and why.
///
/// A guardian asking about themselves receives their own entries and the names of the pupils
/// they are linked to; with --on-behalf-of-children (a parent exercising the child's right) the
/// children's records too, if the records show the guardian's parental rights over each child
/// (unrecorded rights count as none unless --parental-rights-confirmed). Finding nobody is also
/// an answer: the package says so.
///
/// The package holds the subject's identifiers and may hold health and counselling records,
/// so it must be encrypted (--encrypt-to, --passphrase-env or --zip-aes-env) unless
/// --unencrypted is given, which names what is written in the clear.
///
/// The run is refused, and nothing written, when the records found for the subject do not
/// agree on who they are about: pupil records on national id, name and birth date (a PESEL
/// mistyped onto another child's record), guardian entries on guardian id, name and phone (one
/// e-mail address on several guardians). The message names the fields and record positions
/// that disagree, never their values.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// Where this run is logged.
    #[command(flatten)]
    pub log: crate::cli::audit::LogArgs,
    #[command(flatten)]
    read: ReadArgs,
    /// Who the request is about: pesel:…, rc:… (rodné číslo), id:… (pupil's or guardian's id
    /// in the school's system) or email:… (a guardian's). Other local users can read a
    /// command line (`ps`, /proc/PID/cmdline): prefer --subject-file or --subject-env.
    #[arg(
        long,
        value_name = "KIND:VALUE",
        required_unless_present_any = ["subject_file", "subject_env"],
        conflicts_with_all = ["subject_file", "subject_env"]
    )]
    subject: Option<String>,
    /// Read the subject (KIND:VALUE, one line) from this file, or from standard input for `-`.
    #[arg(long, value_name = "FILE", conflicts_with = "subject_env")]
    subject_file: Option<PathBuf>,
    /// Read the subject (KIND:VALUE) from this environment variable.
    #[arg(long, value_name = "VAR")]
    subject_env: Option<String>,
    /// The controller file (TOML): the school, its DPO, purposes and legal bases, recipients,
    /// retention, sources, the supervisory authority. See fixtures/sar/.
    #[arg(long, value_name = "FILE")]
    controller: PathBuf,
    /// The day the request was received (or the requester's identity confirmed): the month
    /// to answer runs from it.
    #[arg(long, value_name = "YYYY-MM-DD")]
    received: NaiveDate,
    /// Language of the report; default: the controller file's.
    #[arg(long, value_name = "pl|cs|en")]
    lang: Option<Lang>,
    /// The request's reference (case number); default: SAR-<received>-<6 random hex digits>.
    #[arg(long, value_name = "TEXT")]
    reference: Option<String>,
    /// The day the answer is given; default: SOURCE_DATE_EPOCH's day, else today.
    #[arg(long, value_name = "YYYY-MM-DD")]
    answered: Option<NaiveDate>,
    /// A guardian asks on behalf of their children: disclose the children's records too
    /// (other guardians' contact details and staff names stay redacted).
    #[arg(long)]
    on_behalf_of_children: bool,
    /// With --on-behalf-of-children: the school has confirmed the guardian's parental rights
    /// (birth certificate, court decision) where its records do not state them. Without it, a
    /// guardian with no rights recorded is refused the children's records; rights recorded as
    /// absent are refused either way. The package's metadata says the flag was given.
    #[arg(long, requires = "on_behalf_of_children")]
    parental_rights_confirmed: bool,
    /// The answer period was extended by this many months (1 or 2, GDPR Art. 12(3)).
    #[arg(long, value_name = "N", requires = "extension_reason", value_parser = clap::value_parser!(u8).range(1..=2))]
    extend_months: Option<u8>,
    /// Why the period was extended (told to the requester within the first month).
    #[arg(long, value_name = "TEXT", requires = "extend_months")]
    extension_reason: Option<String>,
    #[command(flatten)]
    archive: ArchiveArgs,
}

impl Args {
    /// The controller file's `[log]` (see [`LogDefaults::of_controller`]).
    ///
    /// [`LogDefaults::of_controller`]: crate::cli::audit::LogDefaults::of_controller
    pub fn log_defaults(&self) -> crate::cli::audit::LogDefaults {
        crate::cli::audit::LogDefaults::of_controller(&self.controller)
    }
}

/// Run `sar`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    let mut reads = vec![args.controller.as_path()];
    reads.extend(args.subject_file.as_deref().filter(|p| *p != std::path::Path::new("-")));
    reads.extend(args.archive.sign.as_deref());
    refuse_overwriting_inputs(&args.read, &reads, &args.archive.output)?;
    // A package holds the subject's identifiers and any health or counselling record: what
    // the `sar` policy releases. Refused in the clear before anything is searched.
    let sar = Policy::load("sar", chrono::Local::now().date_naive())?;
    args.archive.refuse_cleartext(&sar.exposure(), "a subject-access package")?;
    // Read once: parsed for the report, hashed for the metadata.
    let controller_text = fs::read_to_string(&args.controller).with_context(|| {
        format!("{}: cannot read the controller file", args.controller.display())
    })?;
    let controller = Controller::from_toml(&controller_text, &args.controller)?;
    let staging = args.archive.staging(&args.read)?;
    let disclosure = search(&args)?;
    let request = SarRequest {
        reference: match &args.reference {
            Some(reference) => reference.clone(),
            None => default_reference(&args)?,
        },
        received: args.received,
        extension: args.extend_months.map(|months| SarExtension {
            months,
            reason: args.extension_reason.clone().unwrap_or_default(),
        }),
        lang: args.lang.unwrap_or(controller.default_language),
        answered: args.answered.unwrap_or_else(|| answer_day(&staging)),
    };
    if request.answered < request.received {
        bail!(
            "--answered {} is before --received {}: check the dates",
            request.answered,
            request.received
        );
    }
    crate::cli::audit::subject(&request.reference);
    let package =
        SarPackage { controller: &controller, request: &request, disclosure: &disclosure };
    write_records(&staging, &disclosure)?;
    write_report(&staging, &package)?;
    let controller_sha256 = hex(&Sha256::digest(controller_text.as_bytes()));
    let confirmed = args.parental_rights_confirmed;
    write_metadata(&package, &staging, &controller_sha256, confirmed)?;
    package::seal(staging, "sar")?;
    say_what_was_found(&disclosure, &request);
    warn_if_late(&request, &controller);
    Ok(Exit::Clean)
}

/// The subject, from the command line, a file, standard input or an environment variable.
/// Parsed here rather than by clap, whose error would repeat the value.
fn subject(args: &Args) -> anyhow::Result<SarSubject> {
    let text = match (&args.subject, &args.subject_file, &args.subject_env) {
        (Some(text), _, _) => text.clone(),
        (None, Some(path), _) if path.as_os_str() == "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_line(&mut text)
                .map_err(|e| anyhow::anyhow!("cannot read the subject from standard input: {e}"))?;
            text
        }
        (None, Some(path), _) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("cannot read the subject from {}: {e}", path.display())
            })?;
            text.lines().next().unwrap_or_default().to_string()
        }
        (None, None, Some(var)) => std::env::var(var).map_err(|_| {
            anyhow::anyhow!("the environment variable `{var}` holding the subject is not set")
        })?,
        (None, None, None) => {
            anyhow::bail!("name the subject: --subject-file, --subject-env or --subject")
        }
    };
    Ok(text.trim().parse::<SarSubject>()?)
}

/// The one streaming pass over every input.
fn search(args: &Args) -> anyhow::Result<SarDisclosure> {
    let subject = subject(args)?;
    let mut options = args.read.options()?;
    // Rows that cannot be about the subject are counted but not parsed.
    let prefilter = subject.prefilter();
    options.prefilter = Some(prefilter.clone());
    let opened = teczka::open(args.read.inputs(), &options)?;
    let mut search = SarSearch::new(subject, count_files(&args.read));
    let searching = crate::cli::say::spinner("searching every record for the subject");
    for (n, record) in opened.records.enumerate() {
        if n % 4096 == 0 {
            searching.set_message(format!("searching every record for the subject: {n} read"));
        }
        let record = record.map_err(|e| {
            anyhow::anyhow!(
                "{e}\nThe search stopped there and no package was written: an incomplete search \
                 would under-report what the school holds. Fix the input and run it again."
            )
        })?;
        search.look_at(&record);
    }
    search.count_ruled_out(prefilter.ruled_out());
    searching.finish_and_clear();
    for problem in search.unreadable() {
        eprintln!(
            "teczka: warning: {problem} — this record is about the subject: what could not be \
             read is missing from the package; check it in the source system by hand"
        );
    }
    Ok(search.disclose(scope(args))?)
}

fn scope(args: &Args) -> SarScope {
    if args.on_behalf_of_children {
        SarScope::OnBehalfOfChildren { rights_confirmed: args.parental_rights_confirmed }
    } else {
        SarScope::Own
    }
}

/// The files the search reads: each file named, and the record files inside each folder.
fn count_files(read: &ReadArgs) -> usize {
    read.inputs()
        .iter()
        .map(|input| match fs::read_dir(&input.path) {
            Ok(entries) => entries
                .flatten()
                .filter(|e| e.path().is_file() && Format::from_path(&e.path()).is_some())
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .count(),
            Err(_) => 1,
        })
        .sum()
}

/// The records, written through the staging's store (sealed when the package is encrypted).
fn write_records(staging: &Staging, disclosure: &SarDisclosure) -> anyhow::Result<()> {
    let store = staging.store();
    let records = staging.data().join("records");
    for format in [OutFormat::Xml, OutFormat::Jsonl, OutFormat::Csv] {
        let mut sink = record_sink(store, &records, format, &[])?;
        for pupil in &disclosure.pupils {
            sink.write(Outgoing::Pupil(pupil))?;
        }
        sink.finish()?;
    }
    staging.create_dir("schemas")?;
    staging.write("schemas/pupil.schema.json", pupil_schema_text())?;
    staging.write("schemas/pupils.xsd", PUPILS_XSD)?;
    Ok(())
}

fn write_report(staging: &Staging, package: &SarPackage) -> anyhow::Result<()> {
    let pretty = |value: serde_json::Value| -> anyhow::Result<String> {
        Ok(serde_json::to_string_pretty(&value)? + "\n")
    };
    staging.write(sar_files::INDEX_HTML, sar_index_html(package))?;
    staging.write(sar_files::ART15_JSON, pretty(art15_information(package))?)?;
    staging.write(sar_files::WITHHELD_JSON, pretty(withholding_log(package))?)?;
    staging.write(sar_files::README_TXT, sar_readme_txt(package))?;
    Ok(())
}

/// The metadata `teczka verify` checks the records against, as in every teczka archive.
fn write_metadata(
    package: &SarPackage,
    staging: &Staging,
    controller_sha256: &str,
    parental_rights_confirmed: bool,
) -> anyhow::Result<()> {
    let disclosure = package.disclosure;
    let metadata = SarMetadata {
        tool: MetadataTool::teczka(),
        schema_version: METADATA_SCHEMA_VERSION,
        archive_kind: "sar".to_string(),
        created: staging.modified().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        request: SarRequestInfo {
            reference: package.request.reference.clone(),
            received: package.request.received,
            answered: package.request.answered,
            role: disclosure.role,
            on_behalf_of_children: disclosure.on_behalf_of_children,
            // The school vouched for rights its records do not state: an audit must see it.
            parental_rights_confirmed,
        },
        searched: disclosure.searched.clone(),
        counts: SarCounts {
            pupils_out: disclosure.pupils.len(),
            withheld_fields: disclosure.withheld.len(),
        },
        controller_sha256: controller_sha256.to_string(),
        signed_by: staging.signing_key_id(),
        formats: ["sou", "csv", "jsonl"].map(String::from).to_vec(),
        csv: CsvDialect::archive(),
    };
    staging.create_dir("metadata")?;
    staging.write(METADATA_PATH, metadata_to_text(&metadata)?)?;
    Ok(())
}

/// `SAR-<received>-<6 random hex digits>`. Random, not derived from the subject: a hash of a
/// PESEL is easily reversed (a birth year holds a few million), and references travel in
/// e-mail subjects and registers.
fn default_reference(args: &Args) -> anyhow::Result<String> {
    let mut random = [0u8; 3];
    getrandom::fill(&mut random).map_err(|e| {
        anyhow::anyhow!("the system's random source failed ({e}): give --reference")
    })?;
    Ok(format!("SAR-{}-{}", args.received.format("%Y%m%d"), hex(&random)))
}

fn answer_day(staging: &Staging) -> NaiveDate {
    match std::env::var_os("SOURCE_DATE_EPOCH") {
        Some(_) => staging.modified().date(),
        None => chrono::Local::now().date_naive(),
    }
}

/// An answer dated after its deadline is still given, but never silently: the page says so
/// too.
fn warn_if_late(request: &SarRequest, controller: &Controller) {
    let country = controller.country;
    if !request.is_late(country) {
        return;
    }
    eprintln!(
        "teczka: warning: the answer is dated {}, after its due date {} (request received {}); \
         the report says it is late",
        request.answered,
        request.due(country),
        request.received
    );
    if request.extension.is_none() && request.answered <= request.longest_due(country) {
        eprintln!(
            "teczka: if the requester was told of an extension and its reasons by {}, give \
             --extend-months and --extension-reason so the report states it",
            request.initial_due(country)
        );
    }
}

fn say_what_was_found(disclosure: &SarDisclosure, request: &SarRequest) {
    let searched = &disclosure.searched;
    let count = |n: usize, noun: &str| format!("{n} {noun}{}", if n == 1 { "" } else { "s" });
    let found = match disclosure.role {
        None => "nobody matching the subject: the package is a negative answer".to_string(),
        Some(SarRole::Pupil) => {
            format!("the subject as a pupil in {}", count(disclosure.pupils.len(), "record"))
        }
        Some(SarRole::Guardian) => format!(
            "the subject as a guardian of {}{}",
            count(disclosure.linked.len(), "pupil"),
            if disclosure.on_behalf_of_children { " (their records included)" } else { "" }
        ),
    };
    let withheld = disclosure.withheld.iter().map(|w| w.count).sum::<usize>();
    crate::cli::audit::count("searched", searched.records);
    crate::cli::audit::count("found", disclosure.pupils.len() as u64);
    crate::cli::audit::count("withheld", withheld as u64);
    note!(
        "teczka: searched {} in {}; found {found}; {} withheld to protect others; reference {}",
        count(searched.records as usize, "record"),
        count(searched.files, "file"),
        count(withheld, "value"),
        request.reference,
    );
    if has_free_text(disclosure) {
        // teczka cannot tell whether a remark names another child: a person must read it.
        eprintln!(
            "teczka: before sending, read the free-text fields (remarks, counselling notes, \
             health notes) in index.html: they may name other children or staff"
        );
    }
}

fn has_free_text(disclosure: &SarDisclosure) -> bool {
    disclosure.pupils.iter().any(|p| {
        p.remarks.iter().any(|r| r.text.is_some())
            || p.counselling.iter().any(|c| c.notes.is_some())
            || p.health.iter().any(|h| h.note.is_some())
    })
}
