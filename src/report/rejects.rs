//! The rejects file: every rejected input record, untouched, with every reason.

use crate::error::{Error, Result};
use crate::model::record::{Record, Rule, Severity, Violation};
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::sync::Arc;

/// Writes rejected records as JSON Lines: one line per rejected input record (a CSV row, an
/// XML element, a JSON line), holding its location, its original text and the reasons.
///
/// When one part of a pupil is wrong (a grade row with a bad date), the whole pupil is
/// rejected so that no receiving system gets half a pupil; its other rows are written too, each
/// with a `linked-rejection` reason pointing at the row that caused it.
///
/// # Example
///
/// ```
/// use teczka::{Entity, Location, Part, Record, RejectsWriter, Rule, Severity};
///
/// let mut record = Record::default();
/// record.parts.push(Part {
///     entity: Entity::Pupil,
///     location: Location::start_of("pupils.csv"),
///     original: "P1;Nowak".into(),
/// });
/// record.report("pesel", Rule::PeselChecksum, Severity::Error, "the check digit is wrong");
/// let mut out = Vec::new();
/// let mut rejects = RejectsWriter::new(&mut out, "rejects.jsonl");
/// assert_eq!(rejects.write(&record).unwrap(), 1);
/// rejects.finish().unwrap();
/// drop(rejects);
/// assert!(String::from_utf8(out).unwrap().contains("\"original\":\"P1;Nowak\""));
/// ```
pub struct RejectsWriter<W: Write> {
    out: BufWriter<W>,
    name: Arc<str>,
}

#[derive(Serialize)]
struct RejectLine<'a> {
    source: &'a str,
    /// The worksheet of a spreadsheet row (then `line` is its row number).
    #[serde(skip_serializing_if = "Option::is_none")]
    sheet: Option<&'a str>,
    record: u64,
    line: u64,
    byte: u64,
    entity: &'a str,
    pupil_id: &'a str,
    reasons: Vec<Reason<'a>>,
    original: &'a str,
}

#[derive(Serialize)]
struct Reason<'a> {
    field: &'a str,
    rule: Rule,
    severity: Severity,
    message: std::borrow::Cow<'a, str>,
}

impl<'a> From<&'a Violation> for Reason<'a> {
    fn from(v: &'a Violation) -> Reason<'a> {
        Reason {
            field: &v.field,
            rule: v.rule,
            severity: v.severity,
            message: v.message.as_str().into(),
        }
    }
}

impl<W: Write> RejectsWriter<W> {
    /// Write rejects to `out`; `name` is used in error messages.
    pub fn new(out: W, name: impl Into<Arc<str>>) -> RejectsWriter<W> {
        RejectsWriter { out: BufWriter::new(out), name: name.into() }
    }

    /// Write every part of a rejected record; returns the number of lines (input records)
    /// written, which the pipeline counts as rejected.
    pub fn write(&mut self, record: &Record) -> Result<u64> {
        let first_error = record.problems.iter().find(|v| v.severity == Severity::Error);
        for part in &record.parts {
            let mut reasons: Vec<Reason> = record
                .problems
                .iter()
                .filter(|v| v.location == part.location)
                .map(Reason::from)
                .collect();
            // Problems of the record as a whole (a duplicate id) belong to its first part.
            if std::ptr::eq(part, &record.parts[0]) {
                let unplaced = record
                    .problems
                    .iter()
                    .filter(|v| !record.parts.iter().any(|p| p.location == v.location));
                reasons.extend(unplaced.map(Reason::from));
            }
            if !reasons.iter().any(|r| r.severity == Severity::Error) {
                let cause = first_error.map(|v| v.location.to_string()).unwrap_or_default();
                reasons.push(Reason {
                    field: "",
                    rule: Rule::LinkedRejection,
                    severity: Severity::Error,
                    message: format!("rejected with the rest of its pupil because of {cause}")
                        .into(),
                });
            }
            let line = RejectLine {
                source: &part.location.source,
                sheet: part.location.sheet.as_deref(),
                record: part.location.record + 1,
                line: part.location.line,
                byte: part.location.byte,
                entity: part.entity.file_stem(),
                pupil_id: &record.pupil.id,
                reasons,
                original: &part.original,
            };
            serde_json::to_writer(&mut self.out, &line)
                .map_err(|e| Error::io(&*self.name, e.into()))?;
            self.out.write_all(b"\n").map_err(|e| Error::io(&*self.name, e))?;
        }
        Ok(record.input_count())
    }

    /// Flush the file.
    pub fn finish(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&*self.name, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;
    use crate::model::record::Part;
    use crate::model::Entity;

    fn part(source: &str, line: u64, original: &str, entity: Entity) -> Part {
        Part {
            entity,
            location: Location {
                source: source.into(),
                record: line - 2,
                line,
                byte: 0,
                sheet: None,
            },
            original: original.into(),
        }
    }

    #[test]
    fn every_part_of_a_rejected_pupil_is_written_with_its_own_or_a_linked_reason() {
        let mut record = Record::default();
        record.pupil.id = "P1".into();
        record.parts.push(part("pupils.csv", 2, "P1;Nowak", Entity::Pupil));
        record.parts.push(part("grades.csv", 5, "P1;2024/2025;x", Entity::Grade));
        let grade_location = record.parts[1].location.clone();
        record.report_at(
            grade_location,
            "grades[].grade",
            Rule::Type,
            Severity::Error,
            "not a grade",
        );
        let mut out = Vec::new();
        let written = RejectsWriter::new(&mut out, "r").write(&record).unwrap();
        assert_eq!(written, 2);
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["reasons"][0]["rule"], "linked-rejection");
        assert!(lines[0]["reasons"][0]["message"]
            .as_str()
            .unwrap()
            .contains("grades.csv: record 4 (line 5"));
        assert_eq!(lines[1]["reasons"][0]["rule"], "type");
        assert_eq!(lines[1]["original"], "P1;2024/2025;x");
        assert_eq!(lines[1]["entity"], "grades");
    }
}
