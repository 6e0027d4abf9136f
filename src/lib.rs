//! teczka moves school pupil records between systems without losing them and without leaking
//! them.
//!
//! Data flows one way: read → validate (in parallel) → policy → write → archive, with the
//! reports on the side and the [`Pipeline`] driving, which checks that `in = out + rejected`.
//! Beside it, for the school's data-protection officer: subject-access requests, the record of
//! processing activities and the retention schedule, all from one [`Controller`] file, and a
//! tamper-evident [`Log`] of every run on personal data.
//!
//! # The API
//!
//! The modules are private; the API is the one flat list of re-exports in this file, grouped
//! by stage:
//!
//! * **errors** — [`Error`], [`Result`], [`Location`]: every failure names its file, row and
//!   field, never a value;
//! * **the model** — [`Pupil`] and its parts, the [`Record`] in flight with its [`Violation`]s
//!   and [`Counts`], the classified field catalogue ([`fields`]), the published schemas
//!   ([`pupil_schema_text`]) and the [`walk`] over a pupil;
//! * **reading** — [`open`] any input (CSV, SOU-like XML, JSON Lines, spreadsheets, OneRoster,
//!   školní matrika) as a stream of records under [`ReadOptions`], or one format's reader
//!   ([`CsvReader`], [`XmlReader`], [`JsonlReader`], [`OneRosterReader`]);
//! * **validation** — [`ValidatorBuilder`], [`Validator`], [`Duplicates`];
//! * **writing** — the [`Sink`] per format ([`CsvWriter`], [`XmlWriter`], [`JsonlWriter`],
//!   [`XlsxWriter`], [`ParquetWriter`], [`MappedCsvWriter`], [`OneRosterWriter`],
//!   [`MatrikaWriter`]), outputs that appear whole or not at all ([`open_output`],
//!   [`AtomicFile`]) and private files ([`create_private_file`]);
//! * **reports** — the validation [`Report`] ([`TextReport`], [`JsonReport`],
//!   [`CountsReport`]), the [`RejectsWriter`] and the aggregate [`TablesWriter`];
//! * **the pipeline** — [`Pipeline`], [`Outputs`], [`RejectSink`];
//! * **policies** — [`Policy`] and its [`PRESETS`], the [`TwoPassRelease`] that anonymises, the
//!   anonymity search ([`anonymise`]), the [`RiskReport`] and tokens ([`Tokeniser`],
//!   [`TokenMap`]);
//! * **keys and encryption** — the pseudonymisation [`Key`], passphrases
//!   ([`check_passphrase`]) and age ([`encrypt_to_recipients`], [`AgeIdentity`]);
//! * **archives** — the BagIt bag in a deterministic zip ([`BagBuilder`], [`Staging`]), its
//!   metadata ([`ExportMetadata`], [`ArchiveMetadata`]), signing ([`SigningKey`],
//!   [`TrustedKey`]), and reading one back without trusting it ([`SafeArchive`],
//!   [`verify_bag`]);
//! * **the log** — [`Log`], its [`LogEntry`], [`verify_log`] and inclusion proofs
//!   ([`LogProof`]);
//! * **retention** — [`RetentionSchedule`], [`run_retention_report`], [`run_retention_apply`];
//! * **subject-access requests** (GDPR Art. 15) — [`SarSearch`] for a [`SarSubject`], answered
//!   as a [`SarPackage`] ([`sar_index_html`], [`art15_information`]);
//! * **the record of processing activities** (GDPR Art. 30(1)) — [`Ropa`], [`ropa_html`];
//! * **synthetic data** — [`Generator`] and the [`damage`] that makes test input realistic.
//!
//! A name that would clash with another stage's, or would not say what it is at the crate's
//! root, takes its stage's name in front: [`ReadLimits`] and [`ArchiveLimits`], [`open_output`]
//! beside [`open`], [`SarRequest`], [`RetentionReport`]. The two exchange formats keep a small
//! namespace for their own toolkit, reader and writer side together: [`matrika`] and
//! [`oneroster`].

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod archive;
mod crypto;
mod error;
mod log;
mod model;
mod pipeline;
mod policy;
mod read;
mod report;
mod retention;
mod ropa;
mod sar;
mod synth;
mod validate;
mod write;

// Errors: every fallible call returns a `Result` whose `Error` names the file, row and field.
pub use crate::error::{escape_controls, Error, ErrorKind, Location, Result};

// The model: the pupil tree, a record on its way through the pipeline with its violations and
// counts, the classified field catalogue, the published schemas and the walk over a pupil.
pub use crate::model::fields::fields;
pub use crate::model::record::{Counts, Part, Record, Rule, Severity, Violation};
pub use crate::model::released::ReleasedPupil;
pub use crate::model::schema::{
    pupil_schema_text, released_schema, released_schema_text, released_xsd, PUPILS_XSD,
};
pub use crate::model::tree::Node;
pub use crate::model::value::parse_leaf;
pub use crate::model::walk::{walk, Scalar, Visitor};
pub use crate::model::{
    Achievement, Address, AddressKind, Assessment, Attendance, AttendanceStatus, Class, Consent,
    Contract, Counselling, CzRegister, Enrolment, Entity, Exam, FieldSpec, Grade, GradeKind,
    Guardian, HealthNote, Indicators, Payment, Pupil, Remark, Sex, ValueKind,
};

// Reading: open any supported input as a stream of records, or use one format's reader.
pub use crate::read::csv::CsvReader;
pub use crate::read::jsonl::JsonlReader;
pub use crate::read::oneroster::OneRosterReader;
pub use crate::read::xml::XmlReader;
pub use crate::read::{
    detect_encoding, encoding_by_name, open, Format, Input, Limits as ReadLimits, Mapping, Notice,
    NoticeLevel, Prefilter, ReadOptions,
};

// Validation: the domain rules, and duplicate identifiers across a whole run.
pub use crate::validate::{Duplicates, Validator, ValidatorBuilder};

// Writing: a sink per record format, and outputs that appear under their name only when whole
// and are created private (0600/0700).
pub use crate::write::output::{
    not_written_notes, open as open_output, open_released as open_released_output,
    remove_registered as remove_registered_outputs, AtomicDir, AtomicFile, OutFile, OutFormat,
};
pub use crate::write::private::{
    create_dir_all as create_private_dir_all, create_file as create_private_file,
    write_file as write_private_file,
};
pub use crate::write::staged::Store;
pub use crate::write::{
    CsvWriteOptions, CsvWriter, JsonlWriter, MappedCsvWriter, MatrikaWriter, OneRosterWriter,
    Outgoing, ParquetWriter, Sink, Tee, XlsxWriter, XmlWriter,
};

// Reports: the validation report in text, JSON or counts, the rejects file, and the
// aggregate tables.
pub use crate::report::tables::TablesWriter;
pub use crate::report::{CountsReport, JsonReport, RejectsWriter, Report, TextReport};

// The pipeline: read → stages → write, with `in = out + rejected` checked.
pub use crate::pipeline::{Discard, Outputs, Pipeline, RejectSink};

// Policies: what a release for a purpose keeps, masks, pseudonymises or tokenises, the shipped
// presets, the anonymity search and the risk measurement.
pub use crate::policy::anonymity::{
    anonymise, Histogram, Ladder as AnonymityLadder, Settings as AnonymitySettings,
};
pub use crate::policy::risk::RiskReport;
pub use crate::policy::tokens::{
    Recipient as TokenRecipient, TextFormat as TokenTextFormat, TokenMap, Tokeniser,
};
pub use crate::policy::{
    op_name, preset, Exposure, Policy, Purpose, Secrets, TextIdentifiers, TwoPassRelease, PRESETS,
};

// Keys and encryption: the pseudonymisation key, passphrases, age identities and sealing.
pub use crate::crypto::age::{
    encrypt_to_recipients, encrypt_with_passphrase, read_age_header, write_new_age_identity,
    Identity as AgeIdentity,
};
pub use crate::crypto::keys::{check_passphrase, generate_passphrase, hex, Key, KeySource};

// Archives: BagIt bags in deterministic zips, their metadata and README, signing with
// minisign, and reading an archive back without trusting it.
pub use crate::archive::bag::{BagBuilder, BagSummary, Source as BagSource};
pub use crate::archive::metadata::{
    to_text as metadata_to_text, CsvDialect, ExportMetadata, PolicyInfo, SignatureInfo, SourceFile,
    TokensInfo, Tool as MetadataTool, PATH as METADATA_PATH,
    SCHEMA_VERSION as METADATA_SCHEMA_VERSION,
};
pub use crate::archive::read::{Limits as ArchiveLimits, SafeArchive};
pub use crate::archive::readme::ExportReadme;
pub use crate::archive::sign::{
    generate_key_pair, SigningKey, TrustedKey, SIGNATURE_FILE, SIGNED_FILE,
};
pub use crate::archive::staging::{archive_time, Protection, SealOptions, Staging};
pub use crate::archive::verify::{check_signature, verify_bag, SignatureCheck};
pub use crate::archive::zip_writer::{
    parse_source_date_epoch, prepare as prepare_zip_entry, DeterministicZip, ZipOptions,
};
pub use crate::archive::{record_sink, ArchiveMetadata};

// The audit log: one entry per run on personal data, Merkle-tree proofs, signed checkpoints.
pub use crate::log::checkpoint::verifier_key as log_verifier_key;
pub use crate::log::{
    lines_of as log_lines_of, read_lines as read_log_lines, verify as verify_log,
    verify_lines as verify_log_lines, Entry as LogEntry, FileRef, Line as LogLine, Log, PolicyRef,
    Proof as LogProof,
};

// Retention: the controller file's schedule, reported on or applied to records.
pub use crate::retention::{
    apply as apply_retention, run_apply as run_retention_apply, run_report as run_retention_report,
    ApplyOptions as RetentionApplyOptions, Report as RetentionReport,
    Schedule as RetentionSchedule, Summary as RetentionSummary, Tally as RetentionTally,
};

// Subject-access requests (GDPR Art. 15), and the controller file they, the record of
// processing activities and retention are made from.
pub use crate::sar::files as sar_files;
pub use crate::sar::metadata::{SarCounts, SarMetadata, SarRequestInfo};
pub use crate::sar::{
    art15_information, index_html as sar_index_html, readme_txt as sar_readme_txt, withholding_log,
    Controller, Disclosure as SarDisclosure, Extension as SarExtension, Hold, Lang,
    Package as SarPackage, Request as SarRequest, Role as SarRole, Scope as SarScope,
    Search as SarSearch, Subject as SarSubject,
};

// The record of processing activities (GDPR Art. 30(1)).
pub use crate::ropa::files as ropa_files;
pub use crate::ropa::{html as ropa_html, json as ropa_json, legal_bases, Ropa};

// Synthetic pupils, and the damage that makes them realistic test input.
pub use crate::synth::{damage, Country, Damage, Detail, Generator, GeneratorConfig};

/// The Czech školní matrika (MŠMT register) format's toolkit: its reader, its items and their
/// checks and code lists. The writer is [`MatrikaWriter`].
pub mod matrika {
    pub use crate::read::matrika::{
        decode_other_items, encode_other_items, is_eu, is_other_item_name, is_valid, reader,
        record_id, support_degree, support_kind, CZECHIA, ITEMS,
    };
}

/// The OneRoster 1.2 CSV binding's toolkit beside [`OneRosterReader`] and [`OneRosterWriter`]:
/// how a reader opens a table, the binding's codes, and the writer's output.
pub mod oneroster {
    pub use crate::read::oneroster::Opener;
    pub use crate::write::oneroster::guardian_role;
    pub use crate::write::output::open_oneroster as open_output;
}
