//! `data/metadata/archive.json`: what an archive says about itself. `export` writes it from
//! these types, `sar` from its own on the same [`Tool`] and [`CsvDialect`]
//! (`crate::sar::metadata`, so the archive stage needs nothing of a later one), and `verify` and
//! `import` read it back through [`ArchiveMetadata`], so the writers and the readers cannot
//! drift apart on a key's name or type.

use serde::{Deserialize, Serialize};

use crate::model::record::Counts;

/// Where the metadata lies in the bag's payload (`data/` is the bag's).
pub const PATH: &str = "metadata/archive.json";

/// The metadata's own version: raised when a key changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// The program that wrote the archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// `teczka`.
    pub name: String,
    /// Its version.
    pub version: String,
}

impl Tool {
    /// This build of teczka.
    pub fn teczka() -> Tool {
        Tool { name: "teczka".into(), version: env!("CARGO_PKG_VERSION").into() }
    }
}

/// How the archive's CSV files are written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvDialect {
    /// Always `utf-8`.
    pub encoding: String,
    /// Always `,`.
    pub delimiter: String,
    /// Whether cells a spreadsheet would run as formulas were guarded.
    pub formula_guard: bool,
}

impl CsvDialect {
    /// The dialect every archive's CSV is written in.
    pub fn archive() -> CsvDialect {
        CsvDialect { encoding: "utf-8".into(), delimiter: ",".into(), formula_guard: true }
    }
}

/// An input file of an export: its name (never its folder) and size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// The file's name.
    pub name: Option<String>,
    /// Its size in bytes (none for standard input or a folder).
    pub bytes: Option<u64>,
}

/// The policy an export was made under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyInfo {
    /// The policy's name.
    pub name: String,
    /// Its purpose (`transfer`, `statistics`, …).
    pub purpose: String,
    /// A preset's name or the file it was read from.
    pub origin: String,
    /// SHA-256 of `text`.
    pub sha256: String,
    /// The policy, as compiled, in TOML.
    pub text: String,
}

/// The minisign signature the bag carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureInfo {
    /// The signature file.
    pub file: String,
    /// The file it signs.
    pub signs: String,
    /// The signing key's id.
    pub minisign_key_id: String,
}

/// Tokens an export replaced values with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensInfo {
    /// How many values were tokenised.
    pub values: usize,
    /// Where the mapping is (never in the archive).
    pub mapping: String,
}

/// `archive.json` of an export.
#[derive(Clone, Debug, Serialize)]
pub struct ExportMetadata {
    /// The writer.
    pub tool: Tool,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The policy's purpose.
    pub archive_kind: String,
    /// The archive's time (`SOURCE_DATE_EPOCH` or the clock), RFC 3339 UTC.
    pub created: String,
    /// The input files.
    pub sources: Vec<SourceFile>,
    /// The run's counts.
    pub counts: Counts,
    /// The policy.
    pub policy: PolicyInfo,
    /// The pseudonymisation key's id, if one was used.
    pub key_id: Option<String>,
    /// The bag's signature, if signed.
    pub signature: Option<SignatureInfo>,
    /// Tokens, if the policy tokenised.
    pub tokens: Option<TokensInfo>,
    /// The record formats inside.
    pub formats: Vec<String>,
    /// The CSV dialect.
    pub csv: CsvDialect,
    /// Fields released as text (generalised, masked), which the typed model cannot take back.
    pub released_as_text: Vec<String>,
}

/// What `verify` and `import` read of any teczka archive's `archive.json`; other keys are
/// left alone, so an archive of a later version with more keys still reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ArchiveMetadata {
    /// `transfer`, `statistics`, `sar`, ….
    #[serde(default)]
    pub archive_kind: String,
    /// The counts.
    #[serde(default)]
    pub counts: ReadCounts,
    /// Fields released as text.
    #[serde(default)]
    pub released_as_text: Vec<String>,
}

/// The counts as read back: every one optional, since a package of a subject-access request
/// has no input counts to reconcile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ReadCounts {
    /// Input records.
    #[serde(rename = "in")]
    pub input: Option<u64>,
    /// Records written.
    pub out: Option<u64>,
    /// Records rejected.
    pub rejected: Option<u64>,
    /// Records suppressed by an anonymising policy.
    pub suppressed: Option<u64>,
    /// Blank rows skipped.
    pub blank: Option<u64>,
    /// Pupils written.
    pub pupils_out: Option<u64>,
}

impl ArchiveMetadata {
    /// Read `archive.json`'s text; the error is serde's, with line and column.
    pub fn from_json(text: &str) -> serde_json::Result<ArchiveMetadata> {
        serde_json::from_str(text)
    }
}

/// The pretty JSON text of a metadata value, as archives carry it.
pub fn to_text(metadata: &impl Serialize) -> serde_json::Result<String> {
    Ok(serde_json::to_string_pretty(metadata)? + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_export_writes_reads_back() {
        let counts =
            Counts { input: 5, output: 3, rejected: 2, pupils_out: 3, ..Counts::default() };
        let written = ExportMetadata {
            tool: Tool::teczka(),
            schema_version: SCHEMA_VERSION,
            archive_kind: "transfer".into(),
            created: "2026-01-01T00:00:00Z".into(),
            sources: vec![SourceFile { name: Some("a.csv".into()), bytes: Some(10) }],
            counts,
            policy: PolicyInfo {
                name: "transfer".into(),
                purpose: "transfer".into(),
                origin: "preset".into(),
                sha256: "00".into(),
                text: String::new(),
            },
            key_id: None,
            signature: None,
            tokens: None,
            formats: vec!["sou".into()],
            csv: CsvDialect::archive(),
            released_as_text: vec!["birth_date".into()],
        };
        let read = ArchiveMetadata::from_json(&to_text(&written).unwrap()).unwrap();
        assert_eq!(read.archive_kind, "transfer");
        assert_eq!(
            (read.counts.input, read.counts.out, read.counts.rejected, read.counts.pupils_out),
            (Some(5), Some(3), Some(2), Some(3))
        );
        assert_eq!(read.released_as_text, ["birth_date"]);
        // Absent keys are written as null, as archives always had them.
        assert!(to_text(&written).unwrap().contains("\"key_id\": null"));
    }
}
