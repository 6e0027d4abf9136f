//! JSON Lines of the canonical model: one [`Pupil`] object per line.

use super::{source_name, Ahead, Prefilter, ReadOptions};
use crate::error::{Error, Location, Result};
use crate::model::record::{Part, Record, Rule, Severity};
use crate::model::{fields, Entity, Pupil, ValueKind};
use rayon::prelude::*;
use serde_json::Value;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// Streams records from a JSON Lines file in file order; lines are read a few hundred at a
/// time and parsed on every core.
///
/// A line that is not a pupil object is rejected on its own (lines are independent, like CSV
/// rows); an over-long line stops the run, since it cannot be a record written by a sane tool.
///
/// # Example
///
/// ```
/// use teczka::{JsonlReader, ReadOptions};
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
    max_list_items: usize,
    /// Lines it rules out are passed on unparsed ([`ReadOptions::prefilter`]).
    prefilter: Option<Prefilter>,
    ahead: Ahead,
    done: bool,
}

/// Lines read ahead and parsed at once, on every core: enough to keep both busy, few enough
/// that the lines held stay small.
const LINES_AHEAD: usize = 256;
/// Read-ahead also stops at this much text: a line may be up to `--max-record-bytes`.
const BYTES_AHEAD: usize = 4 << 20;

/// One line read, to be parsed: its text (with its line end) and where it starts.
struct Line {
    text: Vec<u8>,
    location: Location,
}

/// What parsing a line needs besides the line.
struct LineRules<'a> {
    max_list_items: usize,
    prefilter: Option<&'a Prefilter>,
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
            max_list_items: options.limits.max_list_items,
            prefilter: options.prefilter.clone(),
            ahead: Ahead::default(),
            done: false,
        }
    }

    /// Read the next lines (up to [`LINES_AHEAD`] or [`BYTES_AHEAD`]) and parse them in
    /// parallel, keeping file order. Reading stays sequential: only the lines' own work is
    /// spread. An error (unreadable file, over-long line, invalid UTF-8) ends the file after
    /// the records before it.
    fn read_ahead(&mut self) {
        let mut lines = Vec::with_capacity(LINES_AHEAD);
        let mut bytes = 0;
        let mut stop = None;
        while lines.len() < LINES_AHEAD && bytes < BYTES_AHEAD {
            match self.next_line() {
                Ok(true) => {
                    let location = self.location();
                    self.byte += self.buf.len() as u64;
                    self.record += 1;
                    bytes += self.buf.len();
                    lines.push(Line { text: std::mem::take(&mut self.buf), location });
                }
                Ok(false) => break,
                Err(e) => {
                    stop = Some(e);
                    break;
                }
            }
        }
        let rules =
            LineRules { max_list_items: self.max_list_items, prefilter: self.prefilter.as_ref() };
        let parsed: Vec<Result<Record>> =
            lines.into_par_iter().map(|line| rules.parse(line)).collect();
        let mut records = Vec::with_capacity(parsed.len());
        for result in parsed {
            match result {
                Ok(record) => records.push(record),
                Err(e) => {
                    stop = Some(e);
                    break;
                }
            }
        }
        self.ahead.fill(records, stop);
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
            sheet: None,
        }
    }
}

impl LineRules<'_> {
    /// The record of one line: parsed, or rejected with its reasons.
    fn parse(&self, line: Line) -> Result<Record> {
        let Line { text, location } = line;
        let mut text = String::from_utf8(text).map_err(|e| {
            let e = e.utf8_error();
            let mut at = location.clone();
            at.byte += e.valid_up_to() as u64;
            Error::from(crate::error::ErrorKind::Encoding { location: at, encoding: "UTF-8" })
        })?;
        text.truncate(text.trim_end_matches(['\n', '\r']).len());
        // The part first (problems are placed by it), its text once the line is parsed.
        let part = Part { entity: Entity::Pupil, location, original: String::new() };
        let mut record = Record { parts: vec![part], ..Record::default() };
        self.fill(&text, &mut record);
        record.parts[0].original = text;
        Ok(record)
    }

    /// Parse `text` into `record`, or report why it cannot be.
    fn fill(&self, text: &str, record: &mut Record) {
        // An escape (`\/`, `\u0040`) can spell any character differently: such lines are
        // always parsed.
        if let Some(filter) = self.prefilter {
            if !text.contains('\\') && !filter.admits(text) {
                return;
            }
        }
        // Count before building: a 16 MiB line of `{},` is five million guardians, each a
        // few hundred bytes once built. An oversized list rejects the line unparsed.
        if let Some(over) = oversized_container(text.as_bytes(), self.max_list_items) {
            #[derive(serde::Deserialize)]
            struct IdOnly {
                id: Option<String>,
            }
            // Skipped values are not built (serde's `IgnoredAny`), so this costs no memory.
            if let Ok(IdOnly { id: Some(id) }) = serde_json::from_str::<IdOnly>(text) {
                record.pupil.id = id;
            }
            let field = known_path(&over.path).unwrap_or_default();
            let what = if over.object { "members" } else { "entries" };
            record.report(
                &field,
                Rule::RecordTooLarge,
                Severity::Error,
                format!(
                    "a list or object at column {} holds more than {} {what}: the line is \
                     rejected unread; raise --max-list-items if the file is trusted",
                    over.column, self.max_list_items
                ),
            );
            return;
        }
        match serde_json::from_str::<Pupil>(text) {
            Ok(pupil) => record.pupil = pupil,
            Err(e) => match serde_json::from_str::<Value>(text) {
                // Valid JSON of the wrong shape: name every offending field.
                Ok(value) => {
                    if let Some(id) = value.get("id").and_then(Value::as_str) {
                        record.pupil.id = id.to_string();
                    }
                    let mut problems = Vec::new();
                    shape_problems(&value, "", &mut problems);
                    if problems.is_empty() {
                        problems.push((String::new(), Rule::Type, describe_json_error(&e)));
                    }
                    // Millions of unknown keys would be millions of messages: list the first.
                    if problems.len() > self.max_list_items {
                        problems.truncate(self.max_list_items);
                        problems.push((
                            String::new(),
                            Rule::RecordTooLarge,
                            format!(
                                "more than {} problems in one line; only the first are listed: \
                                 raise --max-list-items to see more",
                                self.max_list_items
                            ),
                        ));
                    }
                    for (field, rule, message) in problems {
                        record.report(&field, rule, Severity::Error, message);
                    }
                }
                Err(e) => record.report(
                    "",
                    Rule::Type,
                    Severity::Error,
                    format!("the line is not valid JSON (column {}): fix or remove it", e.column()),
                ),
            },
        }
    }
}

/// A JSON array or object with more entries than allowed.
#[derive(Debug, PartialEq, Eq)]
struct Oversized {
    /// The keys leading to it (`["guardians"]`), `[]` for an array item; a key longer than
    /// [`MAX_KEY`] is shown as `…`.
    path: Vec<String>,
    /// Whether it is an object (members) rather than an array (entries).
    object: bool,
    /// Its 1-based column (in bytes) where the limit was passed.
    column: usize,
}

/// Keys are remembered for the path only up to this length.
const MAX_KEY: usize = 64;

/// The first array or object in `json` with more than `max` entries, found in one pass with
/// no allocation beyond the nesting stack (bounded by the line length). Strings are skipped
/// with their escapes; the text need not be valid JSON (the parser judges that afterwards).
fn oversized_container(json: &[u8], max: usize) -> Option<Oversized> {
    // A container has more than `max` entries only after `max` commas: a line with fewer in
    // all (every real pupil) needs no walk, and counting them is one vectorised scan.
    if memchr::memchr_iter(b',', json).count() < max {
        return None;
    }
    struct Frame {
        object: bool,
        commas: usize,
        key: Option<String>,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut string_start = 0;
    let mut last_string: Option<(usize, usize)> = None;
    for (at, &b) in json.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
                last_string = Some((string_start, at));
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                string_start = at + 1;
            }
            b'[' | b'{' => stack.push(Frame { object: b == b'{', commas: 0, key: None }),
            b']' | b'}' => {
                stack.pop();
            }
            b':' => {
                if let (Some(frame), Some((from, to))) = (stack.last_mut(), last_string) {
                    if frame.object {
                        let key = json.get(from..to).unwrap_or_default();
                        frame.key = Some(if key.len() <= MAX_KEY {
                            String::from_utf8_lossy(key).into_owned()
                        } else {
                            "…".to_string()
                        });
                    }
                }
            }
            b',' => {
                let Some(frame) = stack.last_mut() else { continue };
                frame.commas += 1;
                // Entries are commas + 1.
                if frame.commas >= max {
                    let object = frame.object;
                    let last = stack.len() - 1;
                    let path =
                        stack
                            .iter()
                            .take(last)
                            .map(|f| {
                                if f.object {
                                    f.key.clone().unwrap_or_default()
                                } else {
                                    "[]".into()
                                }
                            })
                            .collect();
                    return Some(Oversized { path, object, column: at + 1 });
                }
            }
            _ => {}
        }
    }
    None
}

/// The catalogue name of a container path (`guardians`, `guardians[].address`), when it is
/// one the model has; unknown keys are not repeated in messages.
fn known_path(path: &[String]) -> Option<String> {
    let mut joined = String::new();
    for step in path {
        if step == "[]" {
            joined.push_str("[]");
        } else {
            if !joined.is_empty() {
                joined.push('.');
            }
            joined.push_str(step);
        }
    }
    let known = joined.is_empty()
        || fields::fields().iter().any(|f| {
            f.path == joined
                || f.path.starts_with(&format!("{joined}."))
                || f.path.starts_with(&format!("{joined}[]"))
        });
    (known && !joined.is_empty()).then_some(joined)
}

/// A fallback message for a shape error the field walk did not pin down; never quotes the value.
fn describe_json_error(e: &serde_json::Error) -> String {
    format!("the record does not match the pupil model near column {}", e.column())
}

/// Walk a JSON value against the field catalogue and list every field that is unknown or of
/// the wrong type, as `(field path, rule, message)`. Messages never contain the value.
fn shape_problems(value: &Value, path: &str, out: &mut Vec<(String, Rule, String)>) {
    let Some(object) = value.as_object() else {
        let what = if path.is_empty() { "the line" } else { "this field" };
        out.push((path.to_string(), Rule::Type, format!("{what} must be a JSON object")));
        return;
    };
    for (name, child) in object {
        let child_path = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
        if let Some(spec) = fields::field(&child_path) {
            if let Err(message) = leaf_matches(&spec.kind, child) {
                out.push((child_path, Rule::Type, message));
            }
        } else if let Value::Array(items) = child {
            let list_path = format!("{child_path}[]");
            if !fields::fields().iter().any(|f| f.path.starts_with(&format!("{list_path}."))) {
                out.push((
                    child_path,
                    Rule::UnknownField,
                    "the model has no such list".to_string(),
                ));
            }
            for item in items {
                shape_problems(item, &list_path, out);
            }
        } else if fields::fields().iter().any(|f| f.path.starts_with(&format!("{child_path}."))) {
            if !child.is_null() {
                shape_problems(child, &child_path, out);
            }
        } else {
            out.push((
                child_path,
                Rule::UnknownField,
                "the model has no such field: remove it or rename it".to_string(),
            ));
        }
    }
    if path.is_empty() && !matches!(object.get("id"), Some(Value::String(id)) if !id.is_empty()) {
        out.push((
            "id".to_string(),
            Rule::Required,
            "every pupil needs a non-empty `id` string".to_string(),
        ));
    }
}

/// Whether a JSON value fits a leaf of the given kind.
fn leaf_matches(kind: &ValueKind, value: &Value) -> std::result::Result<(), String> {
    let ok = match (kind, value) {
        (_, Value::Null) => true,
        (ValueKind::Text, Value::String(_)) => true,
        (ValueKind::Date, Value::String(s)) => {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
        }
        (ValueKind::Bool, Value::Bool(_)) => true,
        (ValueKind::Integer, Value::Number(n)) => n.is_i64(),
        (ValueKind::Number, Value::Number(_)) => true,
        (ValueKind::Enum(words), Value::String(s)) => words.iter().any(|w| w == s),
        _ => false,
    };
    if ok {
        return Ok(());
    }
    Err(match kind {
        ValueKind::Text => "must be a string (identifiers are text, never numbers)".to_string(),
        ValueKind::Date => "must be a real date written as \"YYYY-MM-DD\"".to_string(),
        ValueKind::Bool => "must be true or false".to_string(),
        ValueKind::Integer => "must be a whole number".to_string(),
        ValueKind::Number => "must be a number".to_string(),
        ValueKind::Enum(words) => format!("must be one of: {}", words.join(", ")),
    })
}

impl<R: Read> Iterator for JsonlReader<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        if self.done {
            return None;
        }
        if self.ahead.is_spent() {
            self.read_ahead();
        }
        let step = self.ahead.next();
        super::fused(&mut self.done, step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(data: &str) -> Vec<Result<Record>> {
        JsonlReader::new(data.as_bytes(), "p.jsonl", &ReadOptions::default()).collect()
    }

    #[test]
    fn lines_a_prefilter_rules_out_come_unparsed_unless_an_escape_could_hide_a_match() {
        let options = ReadOptions {
            prefilter: Some(Prefilter::new(|text| text.contains("a/b"))),
            ..ReadOptions::default()
        };
        let data = "{\"id\":\"x\"}\n{\"id\":\"a/b\"}\n{\"id\":\"a\\/b\"}\n";
        let records: Vec<Record> =
            JsonlReader::new(data.as_bytes(), "p.jsonl", &options).collect::<Result<_>>().unwrap();
        let ids: Vec<&str> = records.iter().map(|r| r.pupil.id.as_str()).collect();
        assert_eq!(ids, ["", "a/b", "a/b"], "ruled out, matched, escaped");
        assert_eq!(records[0].parts[0].original, "{\"id\":\"x\"}");
        assert_eq!(records[2].location().line, 3);
    }

    #[test]
    fn positions_count_lines_bytes_and_records_skipping_blanks() {
        let records = read("{\"id\":\"A\"}\n\n{\"id\":\"B\"}\n");
        let second = records[1].as_ref().unwrap();
        assert_eq!(
            second.location(),
            Location { source: "p.jsonl".into(), record: 1, line: 3, byte: 12, sheet: None }
        );
    }

    #[test]
    fn bad_lines_are_rejected_without_echoing_values() {
        let records =
            read("{\"id\":\"A\",\"sex\":\"secret-value\"}\n{\"id\":\"B\",\"shoe\":1}\nnot json\n");
        let problems: Vec<_> =
            records.iter().map(|r| r.as_ref().unwrap().problems[0].clone()).collect();
        assert_eq!((problems[0].rule, problems[0].field.as_str()), (Rule::Type, "sex"));
        assert!(!problems[0].message.contains("secret-value"));
        assert_eq!(problems[0].message, "must be one of: female, male");
        assert_eq!(problems[0].record_id.as_deref(), Some("A"));
        assert_eq!((problems[1].rule, problems[1].field.as_str()), (Rule::UnknownField, "shoe"));
        assert_eq!(problems[2].rule, Rule::Type);
        assert!(problems[2].message.starts_with("the line is not valid JSON"));
    }

    #[test]
    fn nested_fields_are_named_by_their_catalogue_path() {
        let line = r#"{"id":"A","guardians":[{"email":5,"address":{"town":"X","moon":1}}],"grades":[{"kind":"weekly"}],"pesel":44051401359}"#;
        let records = read(&format!("{line}\n"));
        let record = records[0].as_ref().unwrap();
        let found: Vec<(&str, Rule)> =
            record.problems.iter().map(|v| (v.field.as_str(), v.rule)).collect();
        assert_eq!(
            found,
            vec![
                ("guardians[].email", Rule::Type),
                ("guardians[].address.moon", Rule::UnknownField),
                ("grades[].kind", Rule::Type),
                ("pesel", Rule::Type),
            ]
        );
    }

    fn read_capped(data: &str, max_list_items: usize) -> Vec<Record> {
        let options = ReadOptions {
            limits: crate::read::Limits { max_list_items, ..Default::default() },
            ..Default::default()
        };
        JsonlReader::new(data.as_bytes(), "p.jsonl", &options).map(Result::unwrap).collect()
    }

    #[test]
    fn a_list_over_the_limit_rejects_the_line_unread_and_the_next_line_is_read() {
        let guardians = [r#"{"surname":"a,b]"}"#; 4].join(",");
        let data = format!(
            "{{\"id\":\"P-1\",\"guardians\":[{guardians}]}}\n{{\"id\":\"P-2\",\"guardians\":[{{}},{{}},{{}}]}}\n"
        );
        let records = read_capped(&data, 3);
        let first = &records[0];
        assert!(first.pupil.guardians.is_empty());
        assert_eq!(first.pupil.id, "P-1");
        assert_eq!(first.problems.len(), 1);
        let problem = &first.problems[0];
        assert_eq!((problem.rule, problem.field.as_str()), (Rule::RecordTooLarge, "guardians"));
        assert!(problem.message.contains("more than 3 entries"), "{}", problem.message);
        assert!(problem.message.contains("--max-list-items"));
        assert_eq!(first.parts[0].original.len(), data.find('\n').unwrap());
        assert!(!records[1].is_rejected(), "{:?}", records[1].problems);
        assert_eq!(records[1].pupil.guardians.len(), 3);
    }

    #[test]
    fn lines_parsed_ahead_come_in_file_order_then_the_error_after_the_lines_before_it() {
        let mut data = Vec::new();
        let mut starts = Vec::new();
        for n in 0..600 {
            starts.push(data.len() as u64);
            data.extend_from_slice(format!("{{\"id\":\"P{n}\"}}\n").as_bytes());
            if n == 450 {
                data.extend_from_slice(b"{\"id\":\"\xff\"}\n");
            }
        }
        let results: Vec<Result<Record>> =
            JsonlReader::new(&data[..], "p.jsonl", &ReadOptions::default()).collect();
        assert_eq!(results.len(), 452, "451 records, the error, nothing after it");
        for (n, result) in results[..451].iter().enumerate() {
            let record = result.as_ref().unwrap();
            assert_eq!(record.pupil.id, format!("P{n}"));
            let at = record.location();
            assert_eq!((at.record, at.line, at.byte), (n as u64, n as u64 + 1, starts[n]));
            assert_eq!(record.parts[0].original, format!("{{\"id\":\"P{n}\"}}"));
        }
        let err = results[451].as_ref().unwrap_err().to_string();
        assert!(err.contains("UTF-8") && err.contains("line 452"), "{err}");
    }

    #[test]
    fn the_scan_counts_every_container_and_skips_strings() {
        let over = |json: &str| oversized_container(json.as_bytes(), 2);
        assert_eq!(over(r#"{"a":"[,,,,]","b":[1,2]}"#), None);
        assert_eq!(over(r#"{"a":"\",,,","b":[1,2]}"#), None);
        let found =
            over(r#"{"grades":[{"x":1}],"guardians":[{"address":{"a":1,"b":2,"c":3}}]}"#).unwrap();
        assert_eq!(found.path, ["guardians", "[]", "address"]);
        assert!(found.object);
        assert_eq!(known_path(&found.path).as_deref(), Some("guardians[].address"));
        assert_eq!(known_path(&["shoe".to_string()]), None);
        // Objects count too: a million unknown keys are a million messages.
        assert!(over(r#"{"a":1,"b":2,"c":3}"#).is_some());
        // Exactly at the limit passes; one entry more does not (the comma count's shortcut).
        assert_eq!(over("[1,2]"), None);
        assert_eq!(over("[1,2,3]").map(|o| o.column), Some(5));
    }

    #[test]
    fn problems_past_the_limit_are_summed_up_not_listed() {
        let records = read_capped(r#"{"id":"A","grades":[{"p":1,"q":1},{"r":1,"s":1}]}"#, 2);
        let rules: Vec<Rule> = records[0].problems.iter().map(|v| v.rule).collect();
        assert_eq!(rules, [Rule::UnknownField, Rule::UnknownField, Rule::RecordTooLarge]);
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
