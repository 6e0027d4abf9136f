//! A record in flight: one pupil, the input records it was assembled from, and what is wrong
//! with it.
//!
//! Readers produce [`Record`]s; the validator adds [`Violation`]s; the pipeline sends a record
//! with any error-level violation to the rejects (with its original text and every reason) and
//! the rest to the writers. Counting is by input record ([`Part`]): a CSV row, an XML pupil
//! element, a JSON line; a run's [`Counts`] add them up and check that none went missing.

use super::{Entity, Pupil};
use crate::error::{ErrorKind, Location};
use serde::Serialize;
use std::fmt;

/// One pupil as assembled from the inputs, with its provenance and problems.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// The pupil as read (fields that failed to parse are left empty and reported).
    pub pupil: Pupil,
    /// The input records this pupil was built from, the pupil's own row or element first.
    pub parts: Vec<Part>,
    /// Every problem found, from reading and from validation.
    pub problems: Vec<Violation>,
    /// The pupil as a policy releases it; `None` when no policy applies (the pupil is written
    /// as read).
    pub released: Option<Box<Released>>,
}

impl Record {
    /// Where the record starts: its first part's location.
    pub fn location(&self) -> Location {
        self.parts.first().map(|p| p.location.clone()).unwrap_or_default()
    }

    /// Whether any problem is an error, which sends the record to the rejects.
    pub fn is_rejected(&self) -> bool {
        self.problems.iter().any(|v| v.severity == Severity::Error)
    }

    /// Whether the record is a blank CSV row: counted and listed, neither written nor rejected.
    pub fn is_blank_row(&self) -> bool {
        self.problems.iter().any(|v| v.rule == Rule::BlankRow)
    }

    /// The number of input records (rows, elements, lines) this record accounts for.
    pub fn input_count(&self) -> u64 {
        self.parts.len() as u64
    }

    /// Add a problem about `field` found under `rule`, located at the record's first part.
    pub fn report(
        &mut self,
        field: &str,
        rule: Rule,
        severity: Severity,
        message: impl Into<String>,
    ) {
        let location = self.location();
        self.report_at(location, field, rule, severity, message);
    }

    /// Add a problem at a given location (a child row of a multi-file export).
    pub fn report_at(
        &mut self,
        location: Location,
        field: &str,
        rule: Rule,
        severity: Severity,
        message: impl Into<String>,
    ) {
        self.problems.push(Violation {
            location,
            record_id: non_empty(&self.pupil.id),
            field: field.to_string(),
            rule,
            severity,
            message: message.into(),
        });
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// One pupil after the per-record rules.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Released {
    /// The released record, in the model's shape.
    pub record: super::released::ReleasedPupil,
    /// Per quasi-identifier: the ladder input of every present slot (list item) it occupies,
    /// in record order. Empty unless the policy anonymises.
    pub quasi: Vec<Vec<String>>,
    /// Where the pupil sits in the school hierarchy (for per-level risk).
    pub units: Hierarchy,
    /// Identifiers found in released free text: the field's catalogue index and what kind of
    /// identifier (`a PESEL-shaped number`), never the value. The command reports them.
    pub text_identifiers: Vec<(usize, &'static str)>,
}

/// Where the pupil sits in the school hierarchy, for per-level risk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hierarchy {
    /// School and class, e.g. `SP 12 Gdańsk/4b`.
    pub class: Option<String>,
    /// The school's id, or its name.
    pub school: Option<String>,
    /// The commune of the pupil's first address.
    pub commune: Option<String>,
}

impl Hierarchy {
    /// The pupil's units.
    pub fn of(pupil: &Pupil) -> Hierarchy {
        let school = pupil
            .enrolment
            .as_ref()
            .and_then(|e| e.school_id.clone().or_else(|| e.school_name.clone()));
        let class = pupil.enrolment.as_ref().and_then(|e| {
            let level = e.class_level.as_deref().unwrap_or("");
            let symbol = e.class_symbol.as_deref().unwrap_or("");
            (!level.is_empty() || !symbol.is_empty())
                .then(|| format!("{}/{level}{symbol}", school.as_deref().unwrap_or("?")))
        });
        let commune = pupil.addresses.iter().find_map(|a| a.commune.clone());
        Hierarchy { class, school, commune }
    }
}

/// One input record: a CSV row, an XML pupil element or a JSON line.
#[derive(Clone, Debug)]
pub struct Part {
    /// Which entity (which file of a multi-file export) it came from.
    pub entity: Entity,
    /// Where it is.
    pub location: Location,
    /// Its original text, decoded to UTF-8 but otherwise untouched, for the rejects file.
    pub original: String,
}

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The record is rejected.
    Error,
    /// Worth a look (a suggested repair, an odd-looking name); the record goes through.
    Warning,
}

/// Which rule a problem breaks. The kebab-case code is stable: scripts match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Rule {
    /// A value is not of its field's type (not a date, not a number, not one of the words).
    Type,
    /// A required field is missing.
    Required,
    /// A value is longer than the field-size limit.
    FieldSize,
    /// A CSV row has a different number of cells than the header.
    RaggedRow,
    /// An element, key or column that the model does not have.
    UnknownField,
    /// The record does not match the JSON Schema (the generated one or a user's extra schema).
    Schema,
    /// A child row names a pupil id that no pupil record has.
    Orphan,
    /// This input record is rejected because another part of the same pupil is.
    LinkedRejection,
    /// A PESEL is not 11 digits.
    PeselFormat,
    /// A PESEL's check digit is wrong.
    PeselChecksum,
    /// A PESEL encodes an impossible date or one that differs from the birth date.
    PeselBirthDate,
    /// A PESEL's sex digit disagrees with the recorded sex.
    PeselSex,
    /// A 10-digit PESEL that is a valid PESEL once Excel's stripped leading zero is restored.
    PeselLeadingZero,
    /// A rodné číslo is not 9 or 10 digits (with an optional slash).
    BirthNumberFormat,
    /// A 10-digit rodné číslo fails the mod-11 check.
    BirthNumberChecksum,
    /// A rodné číslo encodes an impossible date or one that differs from the birth date.
    BirthNumberBirthDate,
    /// A rodné číslo's month offset disagrees with the recorded sex.
    BirthNumberSex,
    /// A postcode of the wrong shape for its country.
    Postcode,
    /// A date outside the plausible range (in the future, or before 1900).
    DateRange,
    /// An e-mail address of the wrong shape.
    Email,
    /// A phone number of the wrong shape.
    Phone,
    /// A REGON with a wrong length or check digit.
    Regon,
    /// A TERYT code of the wrong shape.
    Teryt,
    /// A code outside its code list (a číselník of the Czech školní matrika).
    Code,
    /// A currency code that is not three capital letters.
    Currency,
    /// The same PESEL or rodné číslo on two pupils.
    DuplicateNationalId,
    /// The same local id on two pupils.
    DuplicateId,
    /// A consent withdrawn before it was given.
    ConsentOrder,
    /// A contract ending before it starts, or a leaving date before admission.
    DateOrder,
    /// A name that looks mistyped (stray spaces, two names in one field); reported, never fixed.
    NameShape,
    /// A released free-text field holds a PESEL, rodné číslo or e-mail address.
    IdentifierInText,
    /// A pupil over a reader's size limit (entries in one list, attributes on one XML
    /// element, text joined from a multi-file export): rejected whole, never half read, with
    /// the flag to raise if the data is trusted.
    RecordTooLarge,
    /// A cell holding bytes that are not valid in the file's encoding (a damaged copy, or text
    /// pasted from a file in another encoding).
    Encoding,
    /// A CSV row of delimiters only (a spreadsheet's blank row): skipped and listed, never a
    /// pupil.
    BlankRow,
}

impl Rule {
    /// How a reader reports the rule: a blank row is skipped (listed, not rejected), every
    /// other problem a reader finds rejects the record.
    pub fn reader_severity(self) -> Severity {
        match self {
            Rule::BlankRow => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// The stable code of the rule, as printed in reports (`pesel-checksum`).
    pub fn code(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// One problem with one record. Never holds the offending value: reports travel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Where the offending input record is.
    pub location: Location,
    /// The pupil's local id in the source system, when known.
    pub record_id: Option<String>,
    /// The field path (`guardians[].email`), or empty for the record as a whole.
    pub field: String,
    /// The rule broken.
    pub rule: Rule,
    /// Error (rejects the record) or warning.
    pub severity: Severity,
    /// What is wrong and what to do, in plain language, without the value.
    pub message: String,
}

impl fmt::Display for Violation {
    /// `pupils.csv: record 3 (line 4, byte 180): pupil `P-17`: field `pesel`: pesel-checksum: …`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.location)?;
        if let Some(id) = &self.record_id {
            write!(f, ": pupil `{}`", crate::error::escape_controls(id))?;
        }
        if !self.field.is_empty() {
            write!(f, ": field `{}`", self.field)?;
        }
        let level = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        write!(f, ": {level}{}: {}", self.rule, self.message)
    }
}

impl Serialize for crate::error::Location {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Location", 4)?;
        s.serialize_field("source", &*self.source)?;
        s.serialize_field("record", &(self.record + 1))?;
        match &self.sheet {
            // A spreadsheet row has no byte offsets: its sheet, row and (for a cell) column.
            Some(sheet) => {
                s.serialize_field("sheet", &**sheet)?;
                s.serialize_field("line", &self.line)?;
                if let Some(cell) = self.cell() {
                    s.serialize_field("cell", &cell)?;
                }
            }
            None => {
                s.serialize_field("line", &self.line)?;
                s.serialize_field("byte", &self.byte)?;
            }
        }
        s.end()
    }
}

/// The accounting of one run: every input record is either written or rejected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Input records read (CSV rows of every file, XML pupil elements, JSON lines).
    #[serde(rename = "in")]
    pub input: u64,
    /// Input records carried into the output.
    #[serde(rename = "out")]
    pub output: u64,
    /// Input records sent to the rejects file.
    pub rejected: u64,
    /// Input records of pupils an anonymising policy left out because their combination of
    /// quasi-identifiers stayed too rare (counted, never written anywhere).
    #[serde(skip_serializing_if = "is_zero")]
    pub suppressed: u64,
    /// Blank CSV rows (delimiters only) skipped: each is listed in the report with its line.
    #[serde(skip_serializing_if = "is_zero")]
    pub blank: u64,
    /// Pupils written.
    pub pupils_out: u64,
    /// Pupils rejected (with all their rows).
    pub pupils_rejected: u64,
    /// Warnings reported on records that went through.
    pub warnings: u64,
    /// Pupils suppressed by anonymisation.
    #[serde(skip_serializing_if = "is_zero")]
    pub pupils_suppressed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Counts {
    /// Check `in = out + rejected (+ suppressed + blank)`; a mismatch is a bug in teczka and
    /// stops the run loudly.
    pub fn check(&self) -> crate::Result<()> {
        if self.input == self.output + self.rejected + self.suppressed + self.blank {
            Ok(())
        } else {
            Err(ErrorKind::CountMismatch {
                input: self.input,
                output: self.output,
                rejected: self.rejected + self.suppressed + self.blank,
            }
            .into())
        }
    }
}

impl fmt::Display for Counts {
    /// The summary line every run ends with: `records: in=N out=N rejected=N`, then
    /// ` suppressed=N` when anonymisation left pupils out and ` blank=N` when blank rows were
    /// skipped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "records: in={} out={} rejected={}", self.input, self.output, self.rejected)?;
        if self.suppressed > 0 {
            write!(f, " suppressed={}", self.suppressed)?;
        }
        if self.blank > 0 {
            write!(f, " blank={}", self.blank)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_is_script_readable_and_mismatch_is_an_error() {
        let counts = Counts { input: 5, output: 3, rejected: 2, ..Counts::default() };
        assert_eq!(counts.to_string(), "records: in=5 out=3 rejected=2");
        assert!(counts.check().is_ok());
        let broken = Counts { input: 5, output: 3, rejected: 1, ..Counts::default() };
        assert!(broken.check().unwrap_err().to_string().contains("in=5 but out=3 + rejected=1"));
    }

    #[test]
    fn rule_codes_are_kebab_case() {
        assert_eq!(Rule::PeselChecksum.code(), "pesel-checksum");
        assert_eq!(Rule::DuplicateNationalId.code(), "duplicate-national-id");
    }

    #[test]
    fn violation_names_place_field_and_rule_and_rejects_only_on_error() {
        let mut record = Record {
            pupil: Pupil { id: "P-17".into(), ..Pupil::default() },
            parts: vec![Part {
                entity: Entity::Pupil,
                location: Location {
                    source: "pupils.csv".into(),
                    record: 2,
                    line: 4,
                    byte: 180,
                    sheet: None,
                },
                original: String::new(),
            }],
            problems: Vec::new(),
            released: None,
        };
        record.report(
            "pesel",
            Rule::PeselLeadingZero,
            Severity::Warning,
            "looks like Excel dropped a zero",
        );
        assert!(!record.is_rejected());
        record.report("pesel", Rule::PeselChecksum, Severity::Error, "the check digit is wrong");
        assert!(record.is_rejected());
        assert_eq!(
            record.problems[1].to_string(),
            "pupils.csv: record 3 (line 4, byte 180): pupil `P-17`: field `pesel`: pesel-checksum: the check digit is wrong"
        );
    }
}
