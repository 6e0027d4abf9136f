//! teczka moves school pupil records between systems without losing them and without leaking
//! them.
//!
//! Data flows one way through the pipeline stages, one module each:
//!
//! * [`read`] turns CSV (csv2sou-style, Windows-1250 or UTF-8, one file or a multi-file
//!   export), SOU-like XML and JSON Lines into a stream of [`Record`]s;
//! * [`model`] is the canonical [`Pupil`] type tree, its generated JSON Schema and the
//!   classified field catalogue;
//! * [`validate`] checks domain rules (PESEL, rodné číslo, postcodes, dates, duplicates) and
//!   adds [`Violation`]s;
//! * `write` turns accepted records into CSV, SOU-like XML or JSON Lines;
//! * [`report`] writes the validation report and the rejects file;
//! * [`archive`] packs the results as a BagIt bag in a deterministic zip, optionally encrypted,
//!   and reads such archives back safely and verifies them;
//! * [`log`] is the tamper-evident log of every run on personal data: Merkle-tree entries with
//!   signed checkpoints;
//! * [`retention`] applies the controller file's retention schedule: reports what is past its
//!   period and writes the retained remainder with a deletion protocol;
//! * [`pipeline`] drives them: read → validate (in parallel) → write, and checks that
//!   `in = out + rejected`.
//!
//! Beside the pipeline, for the school's data-protection officer: [`sar`] answers
//! subject-access requests, and [`ropa`] writes the record of processing activities
//! (GDPR Art. 30(1)) from the same controller file.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod archive;
pub mod crypto;
mod error;
pub mod log;
pub mod model;
pub mod pipeline;
pub mod policy;
pub mod read;
pub mod report;
pub mod retention;
pub mod ropa;
pub mod sar;
pub mod synth;
pub mod validate;
pub mod write;

pub use crate::error::{escape_controls, Error, ErrorKind, Location, Result};
pub use crate::model::record::{Part, Record, Rule, Severity, Violation};
pub use crate::model::{Class, Entity, FieldSpec, Pupil, ValueKind};
