//! `archive.json` of a subject-access package: the archive's common keys
//! ([`crate::archive::metadata`]) with the request it answers and what was searched.

use super::search::{Role, Searched};
use crate::archive::metadata::{CsvDialect, Tool};
use serde::Serialize;

/// The request a subject-access package answers.
#[derive(Clone, Debug, Serialize)]
pub struct SarRequestInfo {
    /// The case number.
    pub reference: String,
    /// When the request came.
    pub received: chrono::NaiveDate,
    /// When it was answered.
    pub answered: chrono::NaiveDate,
    /// As whom the subject was found.
    pub role: Option<Role>,
    /// Whether a guardian asked on behalf of their children.
    pub on_behalf_of_children: bool,
    /// Whether the school vouched for parental rights its records do not state.
    pub parental_rights_confirmed: bool,
}

/// What a subject-access package counts.
#[derive(Clone, Debug, Serialize)]
pub struct SarCounts {
    /// Pupils disclosed.
    pub pupils_out: usize,
    /// Fields withheld to protect others.
    pub withheld_fields: usize,
}

/// `archive.json` of a subject-access package.
#[derive(Clone, Debug, Serialize)]
pub struct SarMetadata {
    /// The writer.
    pub tool: Tool,
    /// [`SCHEMA_VERSION`](crate::archive::metadata::SCHEMA_VERSION).
    pub schema_version: u32,
    /// Always `sar`.
    pub archive_kind: String,
    /// The archive's time, RFC 3339 UTC.
    pub created: String,
    /// The request.
    pub request: SarRequestInfo,
    /// How much was searched.
    pub searched: Searched,
    /// What was disclosed and withheld.
    pub counts: SarCounts,
    /// SHA-256 of the controller file the answer was made from.
    pub controller_sha256: String,
    /// The signing key's id, if signed.
    pub signed_by: Option<String>,
    /// The record formats inside.
    pub formats: Vec<String>,
    /// The CSV dialect.
    pub csv: CsvDialect,
}
