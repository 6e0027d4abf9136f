//! Errors that stop a run, and the [`Location`] every record and problem carries.
//!
//! Two kinds of trouble exist in teczka and they are kept apart on purpose:
//!
//! * an [`Error`] stops the run: an unreadable file, malformed XML syntax, a refused DOCTYPE, a
//!   limit exceeded, a mapping file that makes no sense;
//! * a [`Violation`](crate::Violation) belongs to one record: that record is rejected (never
//!   dropped) and the run goes on.
//!
//! Messages name the place and the fix, and never echo a field value: records are personal data
//! and error messages travel (into logs, e-mails and tickets).

use crate::model::record::Counts;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// A `Result` whose error is teczka's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Where a record or a problem sits in its input.
///
/// Modelled on rust-csv's `Position`: `byte` counts from 0, `line` from 1, `record` from 0 (the
/// first data row of a CSV file, the first pupil element of an XML file, the first line of a
/// JSON Lines file).
///
/// A spreadsheet has no lines nor bytes to point at, so there `sheet` names the worksheet,
/// `line` is the row number the spreadsheet shows (from 1) and `byte` the column, from 1
/// (`A` is 1; 0 for the whole row): a cell is shown as `Oceny!C17`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The input file's name as the user gave it.
    pub source: Arc<str>,
    /// The record's ordinal within its source, from 0.
    pub record: u64,
    /// The line the record starts on, from 1 (0 when unknown).
    pub line: u64,
    /// The byte offset the record starts at, from 0, in the undecoded input; in a
    /// spreadsheet, the column, from 1 (0: the whole row).
    pub byte: u64,
    /// The worksheet, when the source is a spreadsheet (`None` for text inputs).
    pub sheet: Option<Arc<str>>,
}

impl Location {
    /// A location at the start of `source`, before any record.
    pub fn start_of(source: impl Into<Arc<str>>) -> Location {
        Location { source: source.into(), record: 0, line: 1, byte: 0, sheet: None }
    }

    /// The cell a spreadsheet location names, `Oceny!C17`; `None` for text inputs and for a
    /// whole row.
    pub fn cell(&self) -> Option<String> {
        let sheet = self.sheet.as_deref()?;
        let column = self.byte.checked_sub(1)?;
        Some(format!("{sheet}!{}{}", column_letters(column), self.line))
    }
}

/// A spreadsheet column's letters: 0 is `A`, 25 `Z`, 26 `AA`.
pub fn column_letters(column: u64) -> String {
    let mut letters = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        let digit = ((n - 1) % 26) as u8;
        letters.push(char::from(b'A' + digit));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

impl fmt::Display for Location {
    /// `students.xml: record 12 (line 40, byte 803)`; the record number is shown from 1, as a
    /// person counts. In a spreadsheet: `szkola.xlsx: record 16 (Oceny!C17)` for a cell,
    /// ``szkola.xlsx: record 16 (sheet `Oceny`, row 17)`` for a row.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (source, record) = (&self.source, self.record + 1);
        match (self.cell(), &self.sheet) {
            (Some(cell), _) => return write!(f, "{source}: record {record} ({cell})"),
            (None, Some(sheet)) => {
                return write!(f, "{source}: record {record} (sheet `{sheet}`, row {})", self.line)
            }
            (None, None) => {}
        }
        write!(
            f,
            "{}: record {} (line {}, byte {})",
            self.source,
            self.record + 1,
            self.line,
            self.byte
        )
    }
}

/// An error that stops a run.
///
/// Boxed so that `Result<T>` stays one pointer wide on the hot path.
#[derive(Debug)]
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    /// How far a record run came before the error stopped it, for the summary line.
    counts: Option<Counts>,
}

/// What went wrong, with where it went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved, or `-` for standard input/output.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The input is not well-formed in its own format (broken XML syntax, a JSON line that does
    /// not parse, CSV that cannot be tokenised). The run stops because later positions cannot
    /// be trusted.
    #[error("{location}: {message}")]
    Syntax {
        /// Where the syntax broke.
        location: Location,
        /// What is wrong, in plain words, and what to do.
        message: String,
    },
    /// The XML input declares a DOCTYPE. teczka never expands entities nor fetches external
    /// resources, so such documents are refused outright.
    #[error(
        "{location}: the XML declares a DOCTYPE; teczka refuses DTDs and entities (they can \
         expand without bound or read other files): remove the `<!DOCTYPE …>` declaration"
    )]
    Doctype {
        /// Where the declaration starts.
        location: Location,
    },
    /// A safety limit was exceeded (nesting depth, field size, entry count, …).
    #[error("{location}: {what} exceeds the limit of {limit}; {hint}")]
    Limit {
        /// Where the limit was hit.
        location: Location,
        /// What was measured, e.g. "XML nesting depth".
        what: String,
        /// The limit in force.
        limit: u64,
        /// How to proceed, e.g. which flag raises the limit.
        hint: String,
    },
    /// Bytes that are not valid in the input's declared or detected encoding.
    #[error(
        "{location}: invalid {encoding} byte sequence; re-save the file as UTF-8 or pass \
             `--encoding` with the file's real encoding"
    )]
    Encoding {
        /// Where the first invalid byte is.
        location: Location,
        /// The encoding in force.
        encoding: &'static str,
    },
    /// The inputs as given cannot be read together (an unrecognised file, a missing pupils
    /// file, an unknown format).
    #[error("{path}: {message}")]
    Input {
        /// The input concerned.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// A configuration file (mapping, policy, controller) is invalid.
    #[error("{path}: {message}")]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// An archive could not be staged or sealed (its folder or staging not created, its time
    /// not fixed). The message says what and what to do; the cause, if any, is the source.
    #[error("{message}")]
    Archive {
        /// What could not be done, and what to do.
        message: String,
        /// What made it fail.
        #[source]
        source: Option<Box<Error>>,
    },
    /// The program's own accounting failed: records in ≠ records out + rejected. This is a bug
    /// in teczka, reported rather than hidden.
    #[error(
        "record count mismatch: in={input} but out={output} + rejected={rejected}; nothing was \
         silently dropped, but the output must not be trusted: please report this as a bug"
    )]
    CountMismatch {
        /// Records read.
        input: u64,
        /// Records written.
        output: u64,
        /// Records rejected.
        rejected: u64,
    },
}

impl Error {
    /// The kind of this error.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Consume the error, returning its kind.
    pub fn into_kind(self) -> ErrorKind {
        self.0.kind
    }

    /// The error of a record run that stopped after `counts` records: the summary line a
    /// failed run still ends with says how far it came.
    pub fn stopped_after(mut self, counts: &Counts) -> Error {
        self.0.counts = Some(*counts);
        self
    }

    /// How far the record run came before this error stopped it, if it stopped one.
    pub fn counts_so_far(&self) -> Option<&Counts> {
        self.0.counts.as_ref()
    }

    /// Whether this is an I/O error (a file could not be read or written).
    pub fn is_io_error(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Io { .. })
    }

    /// The input position the error refers to, if it has one.
    pub fn location(&self) -> Option<&Location> {
        match &self.0.kind {
            ErrorKind::Syntax { location, .. }
            | ErrorKind::Doctype { location }
            | ErrorKind::Limit { location, .. }
            | ErrorKind::Encoding { location, .. } => Some(location),
            _ => None,
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        ErrorKind::Io { path: path.into(), source }.into()
    }

    /// A syntax error at `location`.
    pub fn syntax(location: Location, message: impl Into<String>) -> Error {
        ErrorKind::Syntax { location, message: message.into() }.into()
    }

    /// An input that cannot be read as given.
    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        ErrorKind::Input { path: path.into(), message: message.into() }.into()
    }

    /// An invalid configuration file.
    pub fn config(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        ErrorKind::Config { path: path.into(), message: message.into() }.into()
    }

    /// An archive that could not be staged or sealed, because of `source` if given.
    pub fn archive(message: impl Into<String>, source: Option<Error>) -> Error {
        ErrorKind::Archive { message: message.into(), source: source.map(Box::new) }.into()
    }

    /// A safety limit exceeded.
    pub fn limit(location: Location, what: &str, limit: u64, hint: &str) -> Error {
        ErrorKind::Limit { location, what: what.into(), limit, hint: hint.into() }.into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error(Box::new(Inner { kind, counts: None }))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.kind.fmt(f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Io { source, .. } => Some(source),
            ErrorKind::Archive { source: Some(source), .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_displays_record_from_one_and_line_and_byte() {
        let loc = Location {
            source: "students.xml".into(),
            record: 11,
            line: 40,
            byte: 803,
            sheet: None,
        };
        assert_eq!(loc.to_string(), "students.xml: record 12 (line 40, byte 803)");
    }

    #[test]
    fn a_spreadsheet_location_names_its_sheet_and_cell() {
        let sheet = Some("Oceny".into());
        let loc = Location { source: "szkola.xlsx".into(), record: 15, line: 17, byte: 3, sheet };
        assert_eq!(loc.to_string(), "szkola.xlsx: record 16 (Oceny!C17)");
        let row = Location { byte: 0, ..loc };
        assert_eq!(row.to_string(), "szkola.xlsx: record 16 (sheet `Oceny`, row 17)");
        let letters: Vec<String> = [0, 25, 26, 51, 52, 701, 702].map(column_letters).into();
        assert_eq!(letters, ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]);
    }

    #[test]
    fn error_exposes_its_location_and_io_nature() {
        let loc = Location::start_of("a.csv");
        let e = Error::syntax(loc.clone(), "unterminated quote");
        assert_eq!(e.location(), Some(&loc));
        assert!(!e.is_io_error());
        let e = Error::io("a.csv", io::Error::new(io::ErrorKind::NotFound, "gone"));
        assert!(e.is_io_error());
        assert_eq!(e.to_string(), "a.csv: gone");
    }
}

/// `text` as it may be shown on a terminal or in a text report: control characters (an ESC
/// that would recolour the terminal, a line feed that would forge a `records:` line) become
/// `\u{1b}`, everything else is kept.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// A TOML parser's complaint about a file that may hold personal data (a data file given as
/// a policy by mistake): its line, column and short reason, never its snippet of the file, and
/// no quoted value from the reason.
pub(crate) fn toml_reason(text: &str, error: &toml::de::Error) -> String {
    let mut reason = String::new();
    let mut quoted = false;
    for c in error.message().trim_end().chars() {
        match (c, quoted) {
            ('"', false) => {
                quoted = true;
                reason.push_str("\"…");
            }
            ('"', true) => {
                quoted = false;
                reason.push('"');
            }
            (_, true) => {}
            (c, false) => reason.push(c),
        }
    }
    let reason = escape_controls(&reason).into_owned();
    match error.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {reason}")
        }
        None => reason,
    }
}

#[cfg(test)]
mod escape_tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_plain_text_is_borrowed() {
        assert_eq!(escape_controls("X\u{1b}[31mRED\nrecords:"), "X\\u{1b}[31mRED\\u{a}records:");
        assert!(matches!(escape_controls("P-1 Łódź"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn toml_reasons_keep_the_place_and_drop_the_snippet_and_values() {
        let text = "a = 1\n{\"id\":\"P-1\",\"pesel\":\"44051401359\"}\n";
        let e = toml::from_str::<toml::Value>(text).unwrap_err();
        let reason = toml_reason(text, &e);
        assert!(reason.starts_with("line 2, column 1: "), "{reason}");
        assert!(!reason.contains("44051401359") && !reason.contains("P-1"), "{reason}");
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct T {
            a: u32,
        }
        let text = "a = \"44051401359\"\n";
        let e = toml::from_str::<T>(text).unwrap_err();
        let reason = toml_reason(text, &e);
        assert!(!reason.contains("44051401359"), "{reason}");
        assert!(reason.starts_with("line 1, column 5: "), "{reason}");
    }
}
