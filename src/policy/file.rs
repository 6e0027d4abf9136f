//! The policy file as written by people: TOML, every key known, every operator spelled out.
//!
//! ```toml
//! [policy]
//! name = "statistics for the municipality"
//! purpose = "statistics"            # transfer | sar | statistics | other
//! reference_date = "2026-09-01"     # age bands are computed at this date
//!
//! [anonymity]                        # only for anonymised releases
//! k = 5
//! l = 2
//! quasi_identifiers = ["sex", "birth_date", "addresses[].commune"]
//! sensitive = ["counselling[].kind"]
//! max_suppression = 0.05
//!
//! [fields]
//! "id" = "pseudonymise"
//! "pesel" = { op = "drop", derive = ["birth_date", "sex"] }
//! "birth_date" = { op = "generalise", levels = ["year", "age-band:5"] }
//! "grades[].*" = "keep"
//! ```
//!
//! This module only parses; [`super::Policy`] checks the paths against the field catalogue and
//! the rules against the data-protection classes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A whole policy file.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// What the policy is for.
    pub policy: Header,
    /// k-anonymity and l-diversity, for anonymised releases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymity: Option<Anonymity>,
    /// One rule per field path (exact, or a `prefix.*` wildcard), parsed field by field by
    /// [`RuleSpec::parse`] so that an error names the field.
    pub fields: BTreeMap<String, toml::Value>,
    /// Aggregate tables (`--to tables`), counted from the pupils as read and suppressed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableSpec>,
}

/// One `[[tables]]` entry of a policy file.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// File name of the table (`pupils-by-commune` → `pupils-by-commune.csv`).
    pub name: String,
    /// A heading for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Field paths the pupils are counted by; the last one is the columns, the others the rows
    /// (one dimension: a single column). A list field counts by its first item.
    pub dimensions: Vec<String>,
    /// `count` (pupils), `mean:FIELD` (mean of a number, e.g. `mean:indicators.absences`), or
    /// `count-if:FIELD=VALUE` (pupils whose value, or one of its `+`-joined codes, is VALUE,
    /// e.g. `count-if:indicators.counselling=special-needs`).
    #[serde(default = "count")]
    pub measure: String,
}

fn count() -> String {
    "count".to_string()
}

/// Check a policy's tables against the field catalogue; the message names the table.
pub fn check_tables(specs: &[TableSpec]) -> std::result::Result<(), String> {
    let mut names = BTreeSet::new();
    for spec in specs {
        let name = &spec.name;
        let safe = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !safe {
            return Err(format!(
                "[[tables]] name `{name}`: use letters, digits, `-` and `_` only (it names a file)"
            ));
        }
        if !names.insert(name) {
            return Err(format!("[[tables]] name `{name}` is used twice"));
        }
        if spec.dimensions.is_empty() {
            return Err(format!("table `{name}`: give at least one of `dimensions`"));
        }
        let measure =
            TableMeasure::parse(&spec.measure).map_err(|m| format!("table `{name}`: {m}"))?;
        for path in spec.dimensions.iter().map(String::as_str).chain(measure.field()) {
            if crate::model::fields::field(path).is_none() {
                return Err(format!(
                    "table `{name}`: `{path}` is not a field of the model (`teczka schema` \
                     lists them)"
                ));
            }
        }
    }
    Ok(())
}

/// The `[policy]` table.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// A name for reports and archive metadata.
    pub name: String,
    /// The job the release serves; checked against the rules (a statistics release keeps no
    /// direct identifier).
    pub purpose: Purpose,
    /// A sentence for the reader of the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The date ages and age bands are computed at; default: the day of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_date: Option<NaiveDate>,
    /// Whether an archive made under this policy must be encrypted.
    #[serde(default)]
    pub require_encryption: bool,
    /// What happens to a PESEL, rodné číslo or e-mail address found inside a released
    /// free-text field: `report` it (position and field, never the value) or `redact` it as
    /// well. Default: `report` for `transfer` and `sar` (the data must arrive as held),
    /// `redact` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifiers_in_text: Option<TextIdentifiers>,
}

/// What a release does with identifiers found inside free text.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TextIdentifiers {
    /// Release the text as it is and report where an identifier was found.
    Report,
    /// Replace each identifier by `[redacted]` and report where.
    Redact,
}

/// The job a release serves.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// A vendor change: everything handed over (GDPR Art. 28(3)(g)).
    Transfer,
    /// A subject-access request: everything about one person (Art. 15).
    Sar,
    /// Anonymised statistics: no child re-identifiable.
    Statistics,
    /// Anything else (research extracts, pseudonymised analytics).
    Other,
}

impl Purpose {
    /// The word used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Transfer => "transfer",
            Purpose::Sar => "sar",
            Purpose::Statistics => "statistics",
            Purpose::Other => "other",
        }
    }
}

/// The `[anonymity]` table.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Anonymity {
    /// Every combination of quasi-identifier values released is shared by at least k pupils.
    pub k: u64,
    /// Every such group holds at least l distinct values of each sensitive attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l: Option<u64>,
    /// The fields whose combination could single a pupil out.
    pub quasi_identifiers: Vec<String>,
    /// The fields l-diversity is measured and enforced on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<String>,
    /// The largest share of pupils that may be left out to reach k (and l).
    #[serde(default = "default_max_suppression")]
    pub max_suppression: f64,
    /// Pupils in the population the data is a sample of (all pupils of the municipality when
    /// the export covers some schools): the risk report then estimates journalist risk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<u64>,
}

fn default_max_suppression() -> f64 {
    0.05
}

/// One field's rule: an operator name alone (`"keep"`), or a table with `op` and options.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum RuleSpec {
    /// `"drop"`: the operator with its default options.
    Bare(OpName),
    /// `{ op = "mask", keep_end = 3 }`.
    Table(RuleTable),
}

/// The operators a policy can name.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OpName {
    /// Release the value as it is.
    Keep,
    /// Leave the field out.
    Drop,
    /// Replace the value by a fixed marker (the field stays, its content does not).
    Redact,
    /// Hide part of the value: letters and digits outside the kept ends become `*`.
    Mask,
    /// Keyed HMAC-SHA-256 token: stable across files and across exports with the same key.
    Pseudonymise,
    /// Random token; the token→value table is written encrypted, separately.
    Tokenise,
    /// Coarser value: date → month/year/age band, text → prefix or address level, number → band.
    Generalise,
    /// Move dates by a keyed per-pupil number of days.
    DateShift,
    /// Replace values rarer than a threshold by `*`.
    Suppress,
    /// Compute an `indicators.*` field from the pupil's lists (absence rate, grade average,
    /// coded counselling kinds, …), then generalise it along `to` / `levels` if given.
    Derive,
}

impl OpName {
    /// The name as written in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            OpName::Keep => "keep",
            OpName::Drop => "drop",
            OpName::Redact => "redact",
            OpName::Mask => "mask",
            OpName::Pseudonymise => "pseudonymise",
            OpName::Tokenise => "tokenise",
            OpName::Generalise => "generalise",
            OpName::DateShift => "date-shift",
            OpName::Suppress => "suppress",
            OpName::Derive => "derive",
        }
    }
}

/// A rule with options. Options that do not belong to the operator are refused when the
/// policy is compiled, so a typo never silently weakens a rule.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleTable {
    /// The operator.
    pub op: Option<OpName>,
    /// `redact`: the marker (default `[redacted]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
    /// `mask`: letters and digits kept at the start (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_start: Option<usize>,
    /// `mask`: letters and digits kept at the end (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_end: Option<usize>,
    /// `pseudonymise`, `tokenise`: the role the value plays; equal values in different
    /// domains get unrelated tokens. Default: the field path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// `generalise`, `derive`: one level (`to = "year"`, `to = "band:10"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `generalise`, `derive`: the ladder for a quasi-identifier, finest first; anonymisation
    /// climbs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Vec<String>>,
    /// `date-shift`: the largest shift in days, either way (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_days: Option<u32>,
    /// `suppress`: values held by fewer pupils than this become `*` (default: k, or 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<u64>,
    /// On a PESEL or rodné číslo: fill `birth_date` and/or `sex` from the number where the
    /// record lacks them, before their own rules apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derive: Vec<String>,
}

/// Every operator name, for messages.
pub const OPERATORS: &str =
    "keep, drop, redact, mask, pseudonymise, tokenise, generalise, date-shift, suppress, derive";

impl RuleSpec {
    /// Parse the rule written for `path`; the error names the field and lists what is allowed.
    pub fn parse(path: &str, value: &toml::Value) -> Result<RuleSpec, String> {
        match value {
            toml::Value::String(name) => OpName::deserialize(toml::Value::String(name.clone()))
                .map(RuleSpec::Bare)
                .map_err(|_| {
                    format!("field `{path}`: unknown operator `{name}`: use one of {OPERATORS}")
                }),
            toml::Value::Table(_) => RuleTable::deserialize(value.clone())
                .map(RuleSpec::Table)
                .map_err(|e| format!("field `{path}`: {}", e.message())),
            _ => Err(format!(
                "field `{path}`: write an operator name (\"keep\") or a table \
                 ({{ op = \"mask\", keep_end = 3 }})"
            )),
        }
    }

    /// The rule as a table (a bare name becomes `{ op = name }`).
    pub fn table(&self) -> RuleTable {
        match self {
            RuleSpec::Bare(op) => RuleTable { op: Some(*op), ..RuleTable::default() },
            RuleSpec::Table(table) => table.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_and_tables_parse_and_unknown_keys_are_refused() {
        let file: PolicyFile = toml::from_str(
            r#"
            [policy]
            name = "t"
            purpose = "other"
            [fields]
            "id" = "pseudonymise"
            "phone" = { op = "mask", keep_end = 2 }
            "#,
        )
        .unwrap();
        let rule = |path: &str| RuleSpec::parse(path, &file.fields[path]);
        assert_eq!(rule("id"), Ok(RuleSpec::Bare(OpName::Pseudonymise)));
        assert_eq!(rule("phone").unwrap().table().keep_end, Some(2));

        let typo = toml::from_str::<toml::Value>("id = { op = 'mask', keep_ends = 2 }").unwrap();
        let message = RuleSpec::parse("id", &typo["id"]).unwrap_err();
        assert!(message.starts_with("field `id`: unknown field `keep_ends`"), "{message}");
        let unknown = RuleSpec::parse("id", &toml::Value::String("hash".into())).unwrap_err();
        assert!(unknown.contains("unknown operator `hash`: use one of keep, drop"), "{unknown}");
        let unknown_table =
            toml::from_str::<PolicyFile>("[policy]\nname='t'\npurpose='other'\n[feilds]\n");
        assert!(unknown_table.unwrap_err().to_string().contains("feilds"));
    }
}

/// A table's measure, parsed from [`TableSpec::measure`].
#[derive(Clone, Debug, PartialEq)]
pub enum TableMeasure {
    /// Pupils.
    Count,
    /// The mean of a number field.
    Mean(String),
    /// Pupils whose field holds a value (or has it among its `+`-joined codes).
    CountIf(String, String),
}

impl TableMeasure {
    /// Parse `count`, `mean:FIELD` or `count-if:FIELD=VALUE`.
    pub fn parse(text: &str) -> std::result::Result<TableMeasure, String> {
        if text == "count" {
            return Ok(TableMeasure::Count);
        }
        if let Some(path) = text.strip_prefix("mean:") {
            return Ok(TableMeasure::Mean(path.to_string()));
        }
        if let Some((path, value)) = text.strip_prefix("count-if:").and_then(|r| r.split_once('='))
        {
            return Ok(TableMeasure::CountIf(path.to_string(), value.to_string()));
        }
        Err(format!(
            "measure `{text}`: write `count`, `mean:FIELD` or `count-if:FIELD=VALUE`, e.g. \
             `count-if:indicators.counselling=special-needs`"
        ))
    }

    /// The field the measure reads, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            TableMeasure::Count => None,
            TableMeasure::Mean(path) | TableMeasure::CountIf(path, _) => Some(path),
        }
    }
}
