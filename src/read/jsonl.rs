//! JSON Lines of the canonical model: one [`Pupil`](crate::Pupil) object per line.

use super::{source_name, ReadOptions};
use crate::error::{Error, Location, Result};
use crate::model::record::{Part, Record, Rule, Severity};
use crate::model::{Entity, Pupil};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// Streams records from a JSON Lines file, one line at a time.
///
/// A line that is not a pupil object is rejected on its own (lines are independent, like CSV
/// rows); an over-long line stops the run, since it cannot be a record written by a sane tool.
///
/// # Example
///
/// ```
/// use teczka::read::{jsonl::JsonlReader, ReadOptions};
///
/// let data = "{\"id\":\"P1\",\"surname\":\"Nowak\"}\n{\"id\":\"P2\",\"sex\":\"x\"}\n";
/// let records: Vec<_> = JsonlReader::new(data.as_bytes(), "pupils.jsonl", &ReadOptions::default())
///     .collect::<Result<_, _>>()
///     .unwrap();
/// assert_eq!(records[0].pupil.surname.as_deref(), Some("Nowak"));
/// assert!(records[1].is_rejected());
/// ```
pub struct JsonlReader<R> {
    reader: BufReader<R>,
    source: Arc<str>,
    buf: Vec<u8>,
    line: u64,
    byte: u64,
    record: u64,
    max_record_bytes: usize,
    done: bool,
}

impl JsonlReader<File> {
    /// Open a JSON Lines file.
    pub fn open(path: &Path, options: &ReadOptions) -> Result<JsonlReader<File>> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(JsonlReader::new(file, source_name(path), options))
    }
}

impl<R: Read> JsonlReader<R> {
    /// Read JSON Lines from any reader; `source` names it in locations.
    pub fn new(reader: R, source: impl Into<Arc<str>>, options: &ReadOptions) -> JsonlReader<R> {
        JsonlReader {
            reader: BufReader::with_capacity(1 << 16, reader),
            source: source.into(),
            buf: Vec::new(),
            line: 0,
            byte: 0,
            record: 0,
            max_record_bytes: options.limits.max_record_bytes,
            done: false,
        }
    }

    /// Read the next non-blank line into `self.buf`; `Ok(false)` at the end.
    fn next_line(&mut self) -> Result<bool> {
        loop {
            self.buf.clear();
            let limit = self.max_record_bytes as u64 + 1;
            let read = (&mut self.reader)
                .take(limit)
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| Error::io(&*self.source, e))?;
            if read == 0 {
                return Ok(false);
            }
            self.line += 1;
            if self.buf.len() > self.max_record_bytes && !self.buf.ends_with(b"\n") {
                return Err(Error::limit(
                    self.location(),
                    "JSON line length",
                    self.max_record_bytes as u64,
                    "raise --max-record-bytes if the file is trusted",
                ));
            }
            if self.line == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
                self.buf.drain(..3);
                self.byte += 3;
            }
            let blank = self.buf.iter().all(u8::is_ascii_whitespace);
            if !blank {
                return Ok(true);
            }
            self.byte += self.buf.len() as u64;
        }
    }

    fn location(&self) -> Location {
        Location {
            source: self.source.clone(),
            record: self.record,
            line: self.line,
            byte: self.byte,
        }
    }

    fn parse_current(&self) -> Result<Record> {
        let location = self.location();
        let text = std::str::from_utf8(&self.buf).map_err(|e| {
            let mut at = location.clone();
            at.byte += e.valid_up_to() as u64;
            Error::from(crate::error::ErrorKind::Encoding { location: at, encoding: "UTF-8" })
        })?;
        let text = text.trim_end_matches(['\n', '\r']);
        let part = Part { entity: Entity::Pupil, location, original: text.to_string() };
        let mut record =
            Record { pupil: Pupil::default(), parts: vec![part], problems: Vec::new() };
        match serde_json::from_str::<Pupil>(text) {
            Ok(pupil) => record.pupil = pupil,
            Err(e) => {
                // Keep what identifies the record, if the line is at least a JSON object.
                if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
                    if let Some(id) = value.get("id").and_then(|v| v.as_str()) {
                        record.pupil.id = id.to_string();
                    }
                }
                let (rule, message) = describe_json_error(&e);
                record.report("", rule, Severity::Error, message);
            }
        }
        Ok(record)
    }
}

/// Turn a serde_json error into a rule and a message that never quotes the value.
fn describe_json_error(e: &serde_json::Error) -> (Rule, String) {
    let text = e.to_string();
    let column = e.column();
    if let Some(rest) = text.strip_prefix("unknown field ") {
        let name = rest.split(',').next().unwrap_or(rest);
        return (
            Rule::UnknownField,
            format!("unknown field {name} at column {column}: the model has no such field"),
        );
    }
    if let Some(rest) = text.strip_prefix("missing field ") {
        let name = rest.split(" at ").next().unwrap_or(rest);
        return (Rule::Required, format!("missing field {name}: every pupil needs it"));
    }
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            (Rule::Type, format!("the line is not valid JSON (column {column}): fix or remove it"))
        }
        _ => (
            Rule::Type,
            format!(
                "a value at column {column} has the wrong type or is not one of the allowed words"
            ),
        ),
    }
}

impl<R: Read> Iterator for JsonlReader<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        if self.done {
            return None;
        }
        match self.next_line() {
            Ok(true) => {
                let record = self.parse_current();
                self.byte += self.buf.len() as u64;
                self.record += 1;
                Some(record)
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(data: &str) -> Vec<Result<Record>> {
        JsonlReader::new(data.as_bytes(), "p.jsonl", &ReadOptions::default()).collect()
    }

    #[test]
    fn positions_count_lines_bytes_and_records_skipping_blanks() {
        let records = read("{\"id\":\"A\"}\n\n{\"id\":\"B\"}\n");
        let second = records[1].as_ref().unwrap();
        assert_eq!(
            second.location(),
            Location { source: "p.jsonl".into(), record: 1, line: 3, byte: 12 }
        );
    }

    #[test]
    fn bad_lines_are_rejected_without_echoing_values() {
        let records =
            read("{\"id\":\"A\",\"sex\":\"secret-value\"}\n{\"id\":\"B\",\"shoe\":1}\nnot json\n");
        let problems: Vec<_> =
            records.iter().map(|r| r.as_ref().unwrap().problems[0].clone()).collect();
        assert_eq!(problems[0].rule, Rule::Type);
        assert!(!problems[0].message.contains("secret-value"));
        assert_eq!(problems[0].record_id.as_deref(), Some("A"));
        assert_eq!(problems[1].rule, Rule::UnknownField);
        assert!(problems[1].message.contains("`shoe`"));
        assert_eq!(problems[2].rule, Rule::Type);
    }

    #[test]
    fn an_over_long_line_stops_with_a_limit_error() {
        let options = ReadOptions {
            limits: crate::read::Limits { max_record_bytes: 8, ..Default::default() },
            ..Default::default()
        };
        let mut reader = JsonlReader::new(&b"{\"id\":\"AAAAAAAAAAAA\"}\n"[..], "p.jsonl", &options);
        let err = reader.next().unwrap().unwrap_err();
        assert!(err.to_string().contains("exceeds the limit of 8"), "{err}");
        assert!(reader.next().is_none());
    }
}
