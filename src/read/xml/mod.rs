//! SOU-like XML: a `<pupils>` document with one `<pupil>` element per record, read one pupil at
//! a time.
//!
//! The XML shape of the model is [`crate::model::tree`]'s (shared with [`crate::write::xml`] and the XSD in
//! `schemas/pupils.xsd`): every leaf field of the catalogue is an element named
//! after the field, nested structs (`enrolment`, a guardian's `address`) are elements holding
//! their fields, and lists are a wrapper element named after the collection holding one item
//! element per entry (`<grades><grade>…</grade></grades>`, named by [`Entity::element`]). The
//! shape is derived from the catalogue, so a new model field needs no XML code.
//!
//! Hostile input is expected. The reader holds one `<pupil>` element at a time (bounded by
//! [`Limits::max_record_bytes`]) besides the chunks in flight (a few MiB), refuses any DOCTYPE
//! (so no entity can expand and no external resource is fetched), allows only the five
//! predefined entities and numeric character references, bounds nesting depth, and reports
//! invalid UTF-8 with its byte position. Lines are counted here because quick-xml reports byte
//! offsets only.
//!
//! Parsing is spread over every core by cutting the document's bytes before `<pupil` tags
//! (`split.rs`) and parsing the chunks on rayon threads with the sequential reader itself
//! (`chunks.rs`); a chunk is used only when its parse proves it is what one sequential parse
//! gives, and read again sequentially otherwise, so positions, ids, messages and errors never
//! depend on how the document was cut.
//!
//! The same reader reads the Czech školní matrika ([`crate::read::matrika`]): when the root
//! element is `<MATRIKA>` (or `--format matrika` asks for it), each record element goes to the
//! matrika's collector instead of the SOU element builder, through the `Collect` trait, so both
//! families share every protection above.

mod build;
mod chunks;
mod split;
mod tap;

use self::build::Builder;
use self::chunks::{Batch, Chunked};
use self::split::{Position, Rewound};
use self::tap::{forbidden_char, is_plain_space, utf8, Tap};
use super::{source_name, Limits, ReadOptions};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::model::record::{Part, Record, Severity};
use crate::model::Entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

/// The XML namespace of teczka's SOU-like documents. Readers also accept documents without a
/// namespace; any other namespace is refused.
pub const NAMESPACE: &str = "https://teczka.example/ns/sou/1";

/// The document format version written in `<pupils version="1">`.
pub const VERSION: &str = "1";

/// The root element's name.
pub const ROOT: &str = "pupils";

/// Whether `c` may appear in an XML 1.0 document (the `Char` production, minus surrogates,
/// which Rust strings cannot hold).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// Which XML document family a reader accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Whichever the root element names: `<pupils>` or the matrika root.
    Auto,
    /// teczka's SOU-like `<pupils>` only.
    Sou,
    /// The Czech MŠMT školní matrika only ([`crate::read::matrika`]).
    Matrika,
}

/// Gathers one record element's events into a pupil: the SOU-like [`Builder`] or the
/// matrika's flat record ([`crate::read::matrika`]). The reader owns the XML safety (depth,
/// entities, encoding, sizes); a collector sees only checked names and text.
pub(crate) trait Collect {
    /// An element opens inside the record (names as raw bytes, already checked as UTF-8).
    fn open(&mut self, local: &[u8], qname: &[u8], ours: bool, line: u64, attributes: &[String]);
    /// The innermost open element closes; `true` when it was the record's own element.
    fn close(&mut self) -> bool;
    /// Checked text inside the innermost open element.
    fn text(&mut self, text: &str, line: u64);
    /// Whether whitespace read now would be dropped, so the reader may skip it unchecked.
    fn drops_space(&self) -> bool;
    /// Give up: drop what was read, read past the rest, reject the record for `message`.
    fn too_large(&mut self, field: String, message: String);
    /// The pupil and every problem found, as `(field, rule, message)`.
    fn finish(self: Box<Self>) -> (crate::model::Pupil, Vec<(String, crate::Rule, String)>);
}

impl Collect for Builder {
    fn open(&mut self, local: &[u8], qname: &[u8], ours: bool, line: u64, attributes: &[String]) {
        Builder::open(self, local, qname, ours, line, attributes)
    }
    fn close(&mut self) -> bool {
        Builder::close(self)
    }
    fn text(&mut self, text: &str, line: u64) {
        Builder::text(self, text, line)
    }
    fn drops_space(&self) -> bool {
        Builder::drops_space(self)
    }
    fn too_large(&mut self, field: String, message: String) {
        Builder::too_large(self, field, message)
    }
    fn finish(self: Box<Self>) -> (crate::model::Pupil, Vec<(String, crate::Rule, String)>) {
        Builder::finish(*self)
    }
}

// ---------------------------------------------------------------------------------------------
// The reader.
// ---------------------------------------------------------------------------------------------

/// Where the reader is in the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the root element.
    Prolog,
    /// Inside `<pupils>`, between records.
    Root,
    /// After `</pupils>`.
    Epilog,
}

/// One piece read outside any record.
#[allow(
    clippy::large_enum_variant,
    reason = "returned and matched at once, never stored: a box would cost an allocation a record"
)]
enum Step {
    /// A whole record.
    Record(Record),
    /// An event outside any record (the root's start tag, a comment, white space).
    Next,
    /// The end of the document, or of the chunk.
    End,
}

/// The namespace of an element, as far as teczka cares.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ns {
    /// teczka's namespace, or none at all.
    Ours,
    /// Some other namespace.
    Foreign,
    /// A prefix that no `xmlns:` declares.
    Undeclared(String),
}

fn classify(ns: &ResolveResult<'_>) -> Ns {
    match ns {
        ResolveResult::Unbound => Ns::Ours,
        ResolveResult::Bound(ns) if ns.as_ref() == NAMESPACE.as_bytes() => Ns::Ours,
        ResolveResult::Bound(_) => Ns::Foreign,
        ResolveResult::Unknown(prefix) => Ns::Undeclared(String::from_utf8_lossy(prefix).into()),
    }
}

/// Streams records from a SOU-like XML document, one `<pupil>` element at a time.
///
/// Syntax errors, a DOCTYPE, an undefined entity, invalid UTF-8 and exceeded limits stop the run
/// with an [`Error`] that names the line and byte. Problems inside one pupil (an element the
/// model lacks, a value of the wrong type, a missing `<id>`, an over-long value) are
/// [`Violation`](crate::Violation)s on that record, which is then rejected with its original
/// text. An element other than `<pupil>` directly inside `<pupils>` is read as a rejected
/// record too, so that nothing in the document is silently ignored.
///
/// Element order inside a pupil is not enforced (the XSD does enforce it); text of leaf
/// elements is kept exactly, including surrounding whitespace; whitespace between elements is
/// ignored.
///
/// The document is parsed on every core: its bytes are cut into chunks of about a MiB before a
/// `<pupil` and each chunk is parsed on a rayon thread, then the records are given out in
/// document order with the ids, positions and messages one sequential parse gives. A chunk
/// whose parse cannot be trusted to be that (a cut inside a comment, a CDATA section or
/// another element, an error, an element near the size limit) is read again sequentially from
/// its start, and chunking resumes past it; a document in a declared 8-bit encoding, a školní
/// matrika, and any document on a one-thread rayon pool are read sequentially throughout.
///
/// # Example
///
/// ```
/// use teczka::{ReadOptions, XmlReader};
///
/// let data = r#"<?xml version="1.0" encoding="UTF-8"?>
/// <pupils xmlns="https://teczka.example/ns/sou/1" version="1">
///   <pupil><id>P1</id><surname>Nowak</surname></pupil>
///   <pupil><id>P2</id><birth_date>2012-02-30</birth_date></pupil>
/// </pupils>
/// "#;
/// let records: Vec<_> = XmlReader::new(data.as_bytes(), "pupils.xml", &ReadOptions::default())
///     .collect::<Result<_, _>>()
///     .unwrap();
/// assert_eq!(records[0].pupil.surname.as_deref(), Some("Nowak"));
/// assert_eq!(records[1].location().line, 4);
/// assert!(records[1].is_rejected());
/// ```
pub struct XmlReader<R> {
    mode: Mode<R>,
    /// Records parsed ahead, given out in document order.
    ahead: VecDeque<Record>,
    /// The size chunks are cut to; `None` reads on this thread only.
    chunk_bytes: Option<usize>,
}

/// How the document is being read.
enum Mode<R> {
    /// On this thread, one piece after another; cut into chunks again once the reader stands
    /// between two pieces of the root's content at or past file offset `split_from`.
    Sequential { reader: Box<Sequential<Rewound<R>>>, split_from: Option<u64> },
    /// In chunks, on every core.
    Chunked(Box<Chunked<R>>),
    /// Read to its end.
    Over,
}

/// What the reader does after one turn.
#[allow(
    clippy::large_enum_variant,
    reason = "returned and matched at once, never stored: a box would cost an allocation a record"
)]
enum Turn {
    /// Give this out.
    Give(Option<Result<Record>>),
    /// Records were parsed ahead, or the mode changed: go on.
    Again,
}

/// The size of the chunks a document is cut into: big enough that a chunk's parse outweighs
/// scheduling it, small enough that a batch of them in flight stays a few MiB.
pub const CHUNK_BYTES: usize = 1 << 20;

impl XmlReader<File> {
    /// Open an XML file.
    pub fn open(path: &Path, options: &ReadOptions) -> Result<XmlReader<File>> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(XmlReader::new(file, source_name(path), options))
    }
}

impl<R: Read> XmlReader<R> {
    /// Read a document from any reader; `source` names it in locations. It is parsed in
    /// chunks of about 1 MiB when rayon has more than one thread.
    pub fn new(reader: R, source: impl Into<Arc<str>>, options: &ReadOptions) -> XmlReader<R> {
        let reader = Sequential::new(Rewound::new(reader), source.into(), options.limits);
        XmlReader {
            mode: Mode::Sequential { reader: Box::new(reader), split_from: Some(0) },
            ahead: VecDeque::new(),
            chunk_bytes: (rayon::current_num_threads() > 1).then_some(CHUNK_BYTES),
        }
    }

    /// Parse in chunks of about `bytes` (at least one pupil each), however many threads
    /// rayon has. Call before reading.
    ///
    /// ```
    /// use teczka::{ReadOptions, XmlReader};
    ///
    /// let data = "<pupils><pupil><id>P1</id></pupil><pupil><id>P2</id></pupil></pupils>";
    /// let options = ReadOptions::default();
    /// let chunked: Vec<_> = XmlReader::new(data.as_bytes(), "p.xml", &options)
    ///     .with_chunk_bytes(16)
    ///     .map(|r| r.map(|r| r.location()))
    ///     .collect::<Result<_, _>>()
    ///     .unwrap();
    /// let one_thread: Vec<_> = XmlReader::new(data.as_bytes(), "p.xml", &options)
    ///     .sequential()
    ///     .map(|r| r.map(|r| r.location()))
    ///     .collect::<Result<_, _>>()
    ///     .unwrap();
    /// assert_eq!(chunked, one_thread);
    /// assert_eq!(chunked[1].record, 1);
    /// ```
    pub fn with_chunk_bytes(mut self, bytes: usize) -> XmlReader<R> {
        self.chunk_bytes = Some(bytes.max(1));
        self
    }

    /// Parse on this thread only, in one pass. Call before reading.
    pub fn sequential(mut self) -> XmlReader<R> {
        self.chunk_bytes = None;
        self
    }

    /// Accept only the given document family (a forced `--format`).
    pub(crate) fn with_dialect(mut self, dialect: Dialect) -> XmlReader<R> {
        if let Mode::Sequential { reader, .. } = &mut self.mode {
            reader.dialect = dialect;
        }
        self
    }

    /// One turn in `mode`: a record or the end to give out, or records parsed ahead.
    fn turn(&mut self, mode: Mode<R>) -> (Mode<R>, Turn) {
        match mode {
            Mode::Sequential { mut reader, split_from } => {
                if let (Some(from), Some(bytes)) = (split_from, self.chunk_bytes) {
                    if let Err(e) = reader.open_document() {
                        return (Mode::Sequential { reader, split_from }, Turn::Give(Some(Err(e))));
                    }
                    if let Some(at) = reader.split_position(from) {
                        let chunked = reader.into_chunks(at, bytes);
                        return (Mode::Chunked(Box::new(chunked)), Turn::Again);
                    }
                }
                let item = reader.next();
                (Mode::Sequential { reader, split_from }, Turn::Give(item))
            }
            Mode::Chunked(mut chunked) => match chunked.read_batch(&mut self.ahead) {
                Batch::Read => (Mode::Chunked(chunked), Turn::Again),
                Batch::Ended => (Mode::Over, Turn::Give(None)),
                Batch::Untrusted(failed) => {
                    let (reader, split_from) = chunked.fall_back(failed);
                    let mode =
                        Mode::Sequential { reader: Box::new(reader), split_from: Some(split_from) };
                    (mode, Turn::Again)
                }
            },
            Mode::Over => (Mode::Over, Turn::Give(None)),
        }
    }
}

impl<R: Read> Iterator for XmlReader<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        loop {
            if let Some(record) = self.ahead.pop_front() {
                return Some(Ok(record));
            }
            let mode = std::mem::replace(&mut self.mode, Mode::Over);
            let (mode, turn) = self.turn(mode);
            self.mode = mode;
            if let Turn::Give(item) = turn {
                return item;
            }
        }
    }
}

/// Reads a document (or one chunk of it) on the calling thread, one piece after another: what
/// [`XmlReader`] parses each chunk with, and falls back to.
struct Sequential<R> {
    xml: NsReader<Tap<R>>,
    source: Arc<str>,
    limits: Limits,
    buf: Vec<u8>,
    state: State,
    /// Whether any event has been read (the XML declaration must come first).
    started: bool,
    record: u64,
    done: bool,
    dialect: Dialect,
    /// The input is one chunk of a document: its end at the root level is the chunk's end,
    /// not a truncated document.
    in_chunk: bool,
    /// The root element's start tag as it stands in the file, replayed ahead of every chunk so
    /// each is parsed under the root's namespace declarations.
    root_tag: Option<Arc<[u8]>>,
}

impl<R: Read> Sequential<R> {
    /// Read a document from its start.
    fn new(reader: R, source: Arc<str>, limits: Limits) -> Sequential<R> {
        Sequential::with_tap(Tap::new(reader, limits.max_record_bytes), source, limits)
    }

    /// Read on from `at`, where `record` records have been read, over `input` that starts with
    /// the replayed `root_tag`.
    fn resume(
        input: R,
        source: Arc<str>,
        limits: Limits,
        root_tag: Arc<[u8]>,
        at: Position,
        record: u64,
    ) -> Sequential<R> {
        let tap = Tap::resume(input, limits.max_record_bytes, &root_tag, at.byte, at.newlines);
        let mut reader = Sequential::with_tap(tap, source, limits);
        reader.dialect = Dialect::Sou;
        reader.record = record;
        reader.root_tag = Some(root_tag);
        reader
    }

    fn with_tap(tap: Tap<R>, source: Arc<str>, limits: Limits) -> Sequential<R> {
        let mut xml = NsReader::from_reader(tap);
        let config = xml.config_mut();
        config.check_end_names = true;
        config.check_comments = false;
        config.allow_dangling_amp = false;
        config.allow_unmatched_ends = false;
        config.expand_empty_elements = false;
        config.trim_text(false);
        Sequential {
            xml,
            source,
            limits,
            buf: Vec::new(),
            state: State::Prolog,
            started: false,
            record: 0,
            done: false,
            dialect: Dialect::Auto,
            in_chunk: false,
            root_tag: None,
        }
    }

    /// End at the end of the input when it leaves the root open (a chunk of a document).
    fn in_chunk(mut self) -> Sequential<R> {
        self.in_chunk = true;
        self
    }

    /// A location at quick-xml offset `offset` (which must not precede the checkpoint).
    fn location_at(&mut self, offset: u64) -> Location {
        let tap = self.xml.get_mut();
        Location {
            source: self.source.clone(),
            record: self.record,
            line: tap.line_at(offset),
            byte: tap.base + offset,
            sheet: None,
        }
    }

    fn syntax(&mut self, offset: u64, message: impl Into<String>) -> Error {
        Error::syntax(self.location_at(offset), message)
    }

    /// Read the next event into `buf`, with UTF-8 checked and errors mapped to teczka's.
    fn read_event<'b>(&mut self, buf: &'b mut Vec<u8>) -> Result<(Ns, Event<'b>)> {
        buf.clear();
        let result = match self.xml.read_resolved_event_into(buf) {
            Ok((ns, event)) => Ok((classify(&ns), event)),
            Err(e) => Err(e),
        };
        // A character cut at the end of what was read is invalid only at the end of input; after
        // another error (a size limit hit at a buffer boundary) it is just unfinished.
        let at_end = matches!(result, Ok((_, Event::Eof)));
        if let Err(bad) = self.xml.get_mut().check_utf8(at_end) {
            let location = self.location_at(bad);
            return Err(ErrorKind::Encoding { location, encoding: "UTF-8" }.into());
        }
        self.started = true;
        match result {
            Ok(ok) => Ok(ok),
            Err(e) => Err(self.map_xml_error(e)),
        }
    }

    fn map_xml_error(&mut self, e: quick_xml::Error) -> Error {
        let offset = self.xml.error_position();
        match e {
            quick_xml::Error::Io(io) if self.xml.get_ref().over_cap => {
                drop(io);
                let start = self.xml.get_ref().tail_start;
                Error::limit(
                    self.location_at(start),
                    "the size of one XML element",
                    self.limits.max_record_bytes as u64,
                    "raise --max-record-bytes if the file is trusted",
                )
            }
            quick_xml::Error::Io(io) => {
                Error::io(&*self.source, io::Error::new(io.kind(), io.to_string()))
            }
            other => self.syntax(offset, format!("malformed XML: {other}")),
        }
    }

    /// The text of a general reference, refusing anything but the five predefined entities
    /// and numeric character references.
    fn resolve_ref(&mut self, offset: u64, raw: &[u8]) -> Result<String> {
        let name = String::from_utf8_lossy(raw).into_owned();
        if let Some(number) = name.strip_prefix('#') {
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => number.parse::<u32>().ok(),
            };
            return match code.and_then(char::from_u32).filter(|&c| is_xml_char(c)) {
                Some(c) => Ok(c.to_string()),
                None => Err(self.syntax(
                    offset,
                    format!(
                        "character reference `&{name};` does not name a character XML allows: \
                         fix or remove it"
                    ),
                )),
            };
        }
        match quick_xml::escape::resolve_xml_entity(&name) {
            Some(text) => Ok(text.to_string()),
            None => Err(self.syntax(
                offset,
                format!(
                    "entity reference `&{name};` is not allowed: teczka expands no entities \
                     (they can grow without bound or read other files); only `&amp;` `&lt;` \
                     `&gt;` `&quot;` `&apos;` and numeric references such as `&#261;` may be used"
                ),
            )),
        }
    }

    /// Decode character data (text or CDATA), normalising line ends as XML 1.0 requires and
    /// refusing characters XML does not allow.
    /// Decode and check a text or CDATA section, then add it to the field being read.
    fn add_char_data<E: std::fmt::Display>(
        &mut self,
        builder: &mut dyn Collect,
        offset: u64,
        content: std::result::Result<std::borrow::Cow<'_, str>, E>,
    ) -> Result<()> {
        let text = match content {
            Ok(text) => text,
            Err(e) => return Err(self.syntax(offset, format!("malformed XML: {e}"))),
        };
        self.char_data(offset, &text)?;
        self.add_text(builder, offset, &text);
        Ok(())
    }

    /// Add checked text to the field being read, noting its line for messages.
    fn add_text(&mut self, builder: &mut dyn Collect, offset: u64, text: &str) {
        let line = self.xml.get_mut().line_at(offset);
        builder.text(text, line);
    }

    fn char_data(&mut self, offset: u64, text: &str) -> Result<()> {
        if let Some(c) = forbidden_char(text) {
            return Err(self.syntax(
                offset,
                format!(
                    "the text holds the control character U+{:04X}, which XML does not allow: \
                     remove it from the file",
                    c as u32
                ),
            ));
        }
        Ok(())
    }

    /// The encoding a declaration names must be UTF-8 or the one the tap decodes; anything
    /// else (UTF-16 declared over ASCII bytes, a name encoding_rs does not know) is refused.
    fn check_declared_encoding(&self, label: &str) -> Result<()> {
        let named = encoding_rs::Encoding::for_label(label.trim().as_bytes());
        if named.is_some()
            && (named == Some(encoding_rs::UTF_8) || named == self.xml.get_ref().declared)
        {
            return Ok(());
        }
        Err(Error::input(
            &*self.source,
            format!(
                "the XML declares encoding `{label}`, which teczka cannot read as declared: \
                 convert the file to UTF-8 and declare encoding=\"UTF-8\" (teczka reads UTF-8 \
                 and every 8-bit encoding, such as windows-1250 or iso-8859-2, when declared)"
            ),
        ))
    }

    /// The next record, or `None` at the end of the document (or of the chunk).
    fn next_record(&mut self, buf: &mut Vec<u8>) -> Result<Option<Record>> {
        loop {
            match self.step(buf)? {
                Step::Record(record) => return Ok(Some(record)),
                Step::End => return Ok(None),
                Step::Next => {}
            }
        }
    }

    /// Read the prolog and the root element's start tag (or on to the end of the input).
    fn open_document(&mut self) -> Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        let mut result = Ok(());
        // No record comes before the root is open: an element in the prolog is the root.
        while self.state == State::Prolog && !self.done {
            match self.step(&mut buf) {
                Ok(Step::End) => break,
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    result = Err(e);
                }
            }
        }
        self.buf = buf;
        result
    }

    /// Read one piece outside any record: an event, or a whole record.
    fn step(&mut self, buf: &mut Vec<u8>) -> Result<Step> {
        let before = self.xml.buffer_position();
        self.xml.get_mut().advance_to(before);
        let first = !self.started;
        let (ns, event) = self.read_event(buf)?;
        match event {
            Event::Decl(decl) => {
                if !first {
                    return Err(self.syntax(
                        before,
                        "an XML declaration `<?xml …?>` may only stand at the very start of \
                         the document",
                    ));
                }
                let encoding = match decl.encoding() {
                    Some(Ok(encoding)) => Some(String::from_utf8_lossy(&encoding).into_owned()),
                    Some(Err(e)) => return Err(self.syntax(before, format!("malformed XML: {e}"))),
                    None => None,
                };
                if let Some(encoding) = encoding {
                    self.check_declared_encoding(&encoding)?;
                }
            }
            Event::DocType(_) => {
                let location = self.location_at(before);
                return Err(ErrorKind::Doctype { location }.into());
            }
            Event::PI(_) | Event::Comment(_) => {}
            Event::Text(text) => {
                let text = match text.xml10_content() {
                    Ok(text) => text,
                    Err(e) => return Err(self.syntax(before, format!("malformed XML: {e}"))),
                };
                if !text.chars().all(char::is_whitespace) {
                    return Err(self.stray_text(before));
                }
            }
            Event::CData(_) => return Err(self.stray_text(before)),
            Event::GeneralRef(reference) => {
                let raw = reference.to_vec();
                self.resolve_ref(before, &raw)?;
                return Err(self.stray_text(before));
            }
            Event::Start(start) => {
                let start = start.into_owned();
                if let Some(record) = self.element(buf, before, ns, start, false)? {
                    return Ok(Step::Record(record));
                }
            }
            Event::Empty(start) => {
                let start = start.into_owned();
                if let Some(record) = self.element(buf, before, ns, start, true)? {
                    return Ok(Step::Record(record));
                }
            }
            Event::End(_) => self.state = State::Epilog,
            Event::Eof => return self.end_of_input(before),
        }
        Ok(Step::Next)
    }

    /// The end of the input: of the document after its root, of a chunk at the root level,
    /// or too early.
    fn end_of_input(&mut self, before: u64) -> Result<Step> {
        match self.state {
            State::Epilog => Ok(Step::End),
            State::Root if self.in_chunk => Ok(Step::End),
            State::Prolog => {
                let (root, kind) = match self.dialect {
                    Dialect::Matrika => (self.root_name(), "a školní matrika file"),
                    _ => (ROOT, "teczka's SOU-like XML"),
                };
                Err(self.syntax(
                    before,
                    format!(
                        "the document has no `<{root}>` root element: is it empty or not {kind}?"
                    ),
                ))
            }
            State::Root => {
                let root = self.root_name();
                Err(self.syntax(
                    before,
                    format!(
                        "the document ends before `</{root}>`: the file is truncated; export or \
                         copy it again"
                    ),
                ))
            }
        }
    }

    /// Handle an element start outside any record: the root, a record, or an error.
    fn element(
        &mut self,
        buf: &mut Vec<u8>,
        before: u64,
        ns: Ns,
        start: BytesStart<'static>,
        empty: bool,
    ) -> Result<Option<Record>> {
        match self.state {
            State::Prolog => {
                self.open_root(before, &ns, &start)?;
                if !empty && self.root_tag.is_none() {
                    let end = self.xml.buffer_position();
                    self.root_tag = Some(self.xml.get_ref().slice(before, end).into());
                }
                // A `<pupils/>` root holds no records.
                self.state = if empty { State::Epilog } else { State::Root };
                Ok(None)
            }
            State::Root => self.read_pupil(buf, before, ns, start, empty).map(Some),
            State::Epilog => {
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                let root = self.root_name();
                Err(self.syntax(
                    before,
                    format!(
                        "element `{name}` after the end of `</{root}>`: a document has only one \
                         root element"
                    ),
                ))
            }
        }
    }

    fn open_root(&mut self, before: u64, ns: &Ns, start: &BytesStart<'_>) -> Result<()> {
        self.check_depth(1, before)?;
        let ours = self.namespace_ok(before, ns)?;
        let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
        let matrika = start.name().as_ref() == crate::read::matrika::ROOT.as_bytes();
        match (self.dialect, matrika) {
            (Dialect::Auto | Dialect::Matrika, true) => {
                self.dialect = Dialect::Matrika;
                return self.root_attributes_within_limit(before, start);
            }
            (Dialect::Matrika, false) => {
                return Err(self.syntax(
                    before,
                    format!(
                        "the root element is `<{name}>`, not `<{}>`: this is not a školní \
                         matrika file; drop --format matrika to read other XML",
                        crate::read::matrika::ROOT
                    ),
                ))
            }
            _ => self.dialect = Dialect::Sou,
        }
        if start.local_name().as_ref() != ROOT.as_bytes() {
            return Err(self.syntax(
                before,
                format!(
                    "the root element is `<{name}>`, not `<{ROOT}>`: this is not teczka's \
                     SOU-like XML (see schemas/pupils.xsd)"
                ),
            ));
        }
        if !ours {
            return Err(self.syntax(
                before,
                format!(
                    "the root element `<{name}>` is in a foreign namespace: use \
                     xmlns=\"{NAMESPACE}\" or no namespace"
                ),
            ));
        }
        self.root_attributes_within_limit(before, start)?;
        for attribute in start.attributes() {
            let attribute = match attribute {
                Ok(attribute) => attribute,
                Err(e) => return Err(self.syntax(before, format!("malformed XML: {e}"))),
            };
            if attribute.key.as_ref() != b"version" {
                continue;
            }
            let version = match attribute.decode_and_unescape_value(self.xml.decoder()) {
                Ok(version) => version.into_owned(),
                Err(e) => return Err(self.syntax(before, format!("malformed XML: {e}"))),
            };
            if version != VERSION {
                return Err(Error::input(
                    &*self.source,
                    format!(
                        "the document is version `{version}` of teczka's SOU-like XML; this \
                         teczka reads version {VERSION}: use a matching teczka release"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn root_attributes_within_limit(&mut self, before: u64, start: &BytesStart<'_>) -> Result<()> {
        if self.attribute_count(before, start)?.is_none() {
            return Err(Error::limit(
                self.location_at(before),
                "attributes on the root element",
                self.limits.max_attributes as u64,
                "raise --max-attributes only if the file is trusted",
            ));
        }
        Ok(())
    }

    /// The root element of the document family being read.
    fn root_name(&self) -> &'static str {
        match self.dialect {
            Dialect::Matrika => crate::read::matrika::ROOT,
            _ => ROOT,
        }
    }

    fn stray_text(&mut self, offset: u64) -> Error {
        if self.dialect == Dialect::Matrika {
            let (root, record) = (crate::read::matrika::ROOT, crate::read::matrika::RECORD);
            return self.syntax(
                offset,
                format!(
                    "text outside any `<{record}>` element: the `<{root}>` document holds text \
                     only inside record items; remove it"
                ),
            );
        }
        self.syntax(
            offset,
            format!(
                "text outside any `<pupil>` element: the `<{ROOT}>` document holds text only \
                 inside pupil fields; remove it"
            ),
        )
    }

    fn check_depth(&mut self, depth: usize, offset: u64) -> Result<()> {
        if depth <= self.limits.max_depth {
            return Ok(());
        }
        Err(Error::limit(
            self.location_at(offset),
            "XML nesting depth",
            self.limits.max_depth as u64,
            "teczka's documents nest 6 deep; raise --max-depth only if the file is trusted",
        ))
    }

    /// Whether an element is in teczka's namespace (or none); an undeclared prefix stops.
    fn namespace_ok(&mut self, offset: u64, ns: &Ns) -> Result<bool> {
        match ns {
            Ns::Ours => Ok(true),
            Ns::Foreign => Ok(false),
            Ns::Undeclared(prefix) => Err(self.syntax(
                offset,
                format!(
                    "namespace prefix `{prefix}` is not declared: declare it with \
                     `xmlns:{prefix}=\"…\"` or remove the prefix"
                ),
            )),
        }
    }

    /// The number of an element's attributes, or `None` when it is over
    /// [`Limits::max_attributes`].
    ///
    /// Counted without quick-xml's duplicate check, whose cost grows with the square of the
    /// count (a million attributes took minutes). Namespace declarations over the limit stop
    /// the run: quick-xml has already bound them, and every element inside would be resolved
    /// against all of them.
    fn attribute_count(&mut self, offset: u64, start: &BytesStart<'_>) -> Result<Option<usize>> {
        let (mut count, mut bindings) = (0usize, 0usize);
        for attribute in start.attributes().with_checks(false) {
            // A malformed attribute is reported by the checked pass that follows.
            let Ok(attribute) = attribute else { break };
            count += 1;
            bindings += usize::from(attribute.key.as_namespace_binding().is_some());
        }
        if bindings > self.limits.max_attributes {
            return Err(Error::limit(
                self.location_at(offset),
                "namespace declarations on one XML element",
                self.limits.max_attributes as u64,
                "raise --max-attributes only if the file is trusted",
            ));
        }
        Ok((count <= self.limits.max_attributes).then_some(count))
    }

    /// Names of an element's attributes, except namespace declarations and `xml:*`; `None`
    /// when there are more than [`Limits::max_attributes`].
    fn attribute_names(
        &mut self,
        offset: u64,
        start: &BytesStart<'_>,
    ) -> Result<Option<Vec<String>>> {
        let mut names = Vec::new();
        // Nearly every element has none: spare the attribute parser then.
        if start.attributes_raw().iter().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
            return Ok(Some(names));
        }
        if self.attribute_count(offset, start)?.is_none() {
            return Ok(None);
        }
        for attribute in start.attributes() {
            let attribute = match attribute {
                Ok(attribute) => attribute,
                Err(e) => return Err(self.syntax(offset, format!("malformed XML: {e}"))),
            };
            let key = attribute.key;
            if key.as_namespace_binding().is_some() || key.prefix().is_some_and(|p| p.is_xml()) {
                continue;
            }
            names.push(String::from_utf8_lossy(key.as_ref()).into_owned());
        }
        Ok(Some(names))
    }

    /// The message for an element over the attribute limit.
    fn too_many_attributes(&self, qname: &[u8], line: u64) -> String {
        format!(
            "element `<{}>` at line {line} has more than {} attributes: the pupil is rejected \
             unread; raise --max-attributes if the file is trusted",
            utf8(qname),
            self.limits.max_attributes
        )
    }

    /// Open an element inside a record.
    fn open_child(
        &mut self,
        builder: &mut dyn Collect,
        at: u64,
        depth: usize,
        ns: &Ns,
        start: &BytesStart<'_>,
    ) -> Result<()> {
        self.check_depth(depth, at)?;
        let ours = self.namespace_ok(at, ns)?;
        let attributes = self.attribute_names(at, start)?;
        let line = self.xml.get_mut().line_at(at);
        let local = start.local_name();
        let qname = start.name();
        let Some(attributes) = attributes else {
            let message = self.too_many_attributes(qname.as_ref(), line);
            builder.too_large(String::new(), message);
            builder.open(local.as_ref(), qname.as_ref(), ours, line, &[]);
            return Ok(());
        };
        builder.open(local.as_ref(), qname.as_ref(), ours, line, &attributes);
        Ok(())
    }

    /// Read one child element of the root (normally `<pupil>`) to its end tag.
    fn read_pupil(
        &mut self,
        buf: &mut Vec<u8>,
        before: u64,
        ns: Ns,
        start: BytesStart<'static>,
        empty: bool,
    ) -> Result<Record> {
        let location = self.location_at(before);
        let mut depth = 2;
        self.check_depth(depth, before)?;
        let ours = self.namespace_ok(before, &ns)?;
        let attributes = self.attribute_names(before, &start)?;
        let qname = String::from_utf8_lossy(start.name().as_ref()).into_owned();
        let names = attributes.as_deref().unwrap_or_default();
        let mut builder: Box<dyn Collect> = if self.dialect == Dialect::Matrika {
            crate::read::matrika::collector(&self.limits, &qname, location.line, names, self.record)
        } else if ours && start.local_name().as_ref() == Entity::Pupil.element().as_bytes() {
            Box::new(Builder::pupil(&self.limits, location.line, names))
        } else {
            Box::new(Builder::other(&qname, location.line, &self.limits))
        };
        if attributes.is_none() {
            let message = self.too_many_attributes(qname.as_bytes(), location.line);
            builder.too_large(String::new(), message);
        }
        let mut finished = empty;
        while !finished {
            let at = self.xml.buffer_position();
            let (ns, event) = self.read_event(buf)?;
            match event {
                Event::Start(e) => {
                    depth += 1;
                    self.open_child(&mut *builder, at, depth, &ns, &e)?;
                }
                Event::Empty(e) => {
                    self.open_child(&mut *builder, at, depth + 1, &ns, &e)?;
                    builder.close();
                }
                Event::End(_) => {
                    depth -= 1;
                    finished = builder.close();
                }
                Event::Text(text) => {
                    // Indentation between elements is most of the text events: plain spaces
                    // and line feeds need no decoding, no check and no line number there.
                    if builder.drops_space() && is_plain_space(&text) {
                        continue;
                    }
                    self.add_char_data(&mut *builder, at, text.xml10_content())?;
                }
                Event::CData(data) => {
                    self.add_char_data(&mut *builder, at, data.xml10_content())?
                }
                Event::GeneralRef(reference) => {
                    let raw = reference.to_vec();
                    let text = self.resolve_ref(at, &raw)?;
                    self.add_text(&mut *builder, at, &text);
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::Decl(_) => {
                    return Err(self.syntax(
                        at,
                        "an XML declaration `<?xml …?>` may only stand at the very start of the \
                         document",
                    ))
                }
                Event::DocType(_) => {
                    let location = self.location_at(at);
                    return Err(ErrorKind::Doctype { location }.into());
                }
                Event::Eof => {
                    return Err(self.syntax(
                        at,
                        format!(
                            "the document ends inside the `<{qname}>` element that starts at \
                             line {}: the file is truncated; export or copy it again",
                            location.line
                        ),
                    ))
                }
            }
        }
        let end = self.xml.buffer_position();
        // The bytes were validated as UTF-8 while they were read.
        let original = utf8(self.xml.get_ref().slice(before, end)).into_owned();
        self.record += 1;
        let (pupil, problems) = builder.finish();
        let mut record = Record {
            pupil,
            parts: vec![Part { entity: Entity::Pupil, location, original }],
            ..Record::default()
        };
        for (field, rule, message) in problems {
            record.report(&field, rule, Severity::Error, message);
        }
        Ok(record)
    }
}

impl<R: Read> Iterator for Sequential<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        if self.done {
            return None;
        }
        // The event buffer is reused across records; it is taken out so events can borrow it
        // while the reader is borrowed mutably.
        let mut buf = std::mem::take(&mut self.buf);
        let result = self.next_record(&mut buf);
        self.buf = buf;
        super::fused(&mut self.done, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::Rule;
    use crate::model::tree::{pupil_tree, Node};
    use crate::model::Sex;

    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                        <pupils xmlns=\"https://teczka.example/ns/sou/1\" version=\"1\">\n";

    fn read_with(data: &[u8], options: &ReadOptions) -> Vec<Result<Record>> {
        XmlReader::new(data, "p.xml", options).collect()
    }

    fn read(data: &[u8]) -> Vec<Result<Record>> {
        read_with(data, &ReadOptions::default())
    }

    fn records(data: &str) -> Vec<Record> {
        read(data.as_bytes()).into_iter().collect::<Result<_>>().expect("no error")
    }

    /// The error that stops reading `data`, with every record before it read fine.
    fn error(data: &[u8]) -> Error {
        error_with(data, &ReadOptions::default())
    }

    fn error_with(data: &[u8], options: &ReadOptions) -> Error {
        let mut results = read_with(data, options);
        let last = results.pop().expect("some result");
        assert!(results.iter().all(Result::is_ok), "only the last result is an error");
        last.expect_err("reading stops with an error")
    }

    fn at(line: u64, byte: u64, record: u64) -> Location {
        Location { source: "p.xml".into(), record, line, byte, sheet: None }
    }

    fn problems(record: &Record) -> Vec<(String, Rule)> {
        record.problems.iter().map(|v| (v.field.clone(), v.rule)).collect()
    }

    /// A reader that hands out one byte per call, to test splits at every boundary.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), out.first_mut()) {
                (Some((&b, rest)), Some(slot)) => {
                    *slot = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn second_pupil_has_its_exact_line_byte_and_ordinal_and_original_text() {
        let second = "<pupil>\n    <id>P2</id>\n  </pupil>";
        let data =
            format!("{HEAD}  <pupil><id>P1</id></pupil>\n  <!-- c -->\n  {second}\n</pupils>\n");
        let byte = data.find("<pupil>\n").unwrap() as u64;
        let read = records(&data);
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].location(), at(3, HEAD.len() as u64 + 2, 0));
        assert_eq!(read[1].location(), at(5, byte, 1));
        assert_eq!(read[1].parts[0].original, second);
        assert_eq!(read[1].pupil.id, "P2");
        assert!(read.iter().all(|r| r.problems.is_empty()));
    }

    #[test]
    fn a_byte_order_mark_counts_in_byte_offsets_and_one_byte_reads_change_nothing() {
        let data =
            format!("\u{FEFF}{HEAD}<pupil><id>Ż1</id><surname>Dvořák</surname></pupil></pupils>");
        let whole: Vec<Record> = read(data.as_bytes()).into_iter().collect::<Result<_>>().unwrap();
        assert_eq!(whole[0].location(), at(3, 3 + HEAD.len() as u64, 0));
        let trickled: Vec<Record> =
            XmlReader::new(Trickle(data.as_bytes()), "p.xml", &ReadOptions::default())
                .collect::<Result<_>>()
                .unwrap();
        assert_eq!(trickled[0].location(), whole[0].location());
        assert_eq!(trickled[0].pupil, whole[0].pupil);
        assert_eq!(trickled[0].parts[0].original, whole[0].parts[0].original);
        assert_eq!(whole[0].pupil.surname.as_deref(), Some("Dvořák"));
    }

    #[test]
    fn leaf_text_is_kept_exactly_with_entities_char_refs_cdata_and_line_ends() {
        let data = format!(
            "{HEAD}<pupil>\n  <id> P&amp;1 </id>\n  <surname>&lt;&#x17B;&#243;&gt;&quot;&apos;</surname>\
             <first_name><![CDATA[a<b>&amp;]]></first_name>\
             <second_name>x\r\ny\rz&#13;</second_name></pupil></pupils>"
        );
        let pupil = &records(&data)[0].pupil;
        assert_eq!(pupil.id, " P&1 ");
        assert_eq!(pupil.surname.as_deref(), Some("<Żó>\"'"));
        assert_eq!(pupil.first_name.as_deref(), Some("a<b>&amp;"));
        assert_eq!(pupil.second_name.as_deref(), Some("x\ny\nz\r"));
    }

    #[test]
    fn nested_structs_and_lists_are_read_generically() {
        let data = format!(
            "{HEAD}<pupil><id>P1</id><sex>k</sex>\
             <guardians><guardian><surname>Nowak</surname><address><town>Łódź</town></address>\
             </guardian><guardian/></guardians>\
             <enrolment/><grades><grade><kind>final</kind><behaviour>tak</behaviour></grade></grades>\
             <payments><payment><amount_minor>12050</amount_minor></payment></payments>\
             </pupil></pupils>"
        );
        let pupil = &records(&data)[0].pupil;
        assert_eq!(pupil.sex, Some(Sex::Female));
        assert_eq!(pupil.guardians.len(), 2);
        assert_eq!(
            pupil.guardians[0].address.as_ref().and_then(|a| a.town.as_deref()),
            Some("Łódź")
        );
        assert_eq!(pupil.guardians[1], crate::model::Guardian::default());
        assert_eq!(pupil.enrolment, Some(crate::model::Enrolment::default()));
        assert_eq!(pupil.grades[0].behaviour, Some(true));
        assert_eq!(pupil.payments[0].amount_minor, Some(12050));
    }

    #[test]
    fn no_namespace_is_accepted_and_a_foreign_one_is_refused() {
        let plain = records("<pupils><pupil><id>A</id></pupil></pupils>");
        assert_eq!(plain[0].pupil.id, "A");
        let prefixed = records(
            "<s:pupils xmlns:s=\"https://teczka.example/ns/sou/1\"><s:pupil><s:id>A</s:id>\
             </s:pupil></s:pupils>",
        );
        assert_eq!(prefixed[0].pupil.id, "A");
        let e = error(b"<pupils xmlns=\"urn:other\"><pupil/></pupils>");
        assert!(e.to_string().contains("foreign namespace"), "{e}");
        let e = error(b"<x:pupils><pupil/></x:pupils>");
        assert!(e.to_string().contains("prefix `x` is not declared"), "{e}");
    }

    #[test]
    fn unknown_elements_and_attributes_are_violations_naming_the_path() {
        let data = format!(
            "{HEAD}<pupil nr=\"7\"><id>P1</id><shoe>42</shoe>\n\
             <guardians><guardian><shoe><size>42</size></shoe></guardian><parent/></guardians>\
             <x:extra xmlns:x=\"urn:x\">1</x:extra></pupil></pupils>"
        );
        let record = &records(&data)[0];
        assert_eq!(
            problems(record),
            vec![
                ("@nr".to_string(), Rule::UnknownField),
                ("shoe".to_string(), Rule::UnknownField),
                ("guardians[].shoe".to_string(), Rule::UnknownField),
                ("guardians.parent".to_string(), Rule::UnknownField),
                ("x:extra".to_string(), Rule::UnknownField),
            ]
        );
        assert!(record.problems[2].message.contains("line 4"), "{}", record.problems[2].message);
        assert!(record.problems.iter().all(|v| !v.message.contains("42")));
        assert!(record.is_rejected());
        assert_eq!(record.problems[0].record_id.as_deref(), Some("P1"));
    }

    #[test]
    fn a_bad_date_is_a_type_violation_without_the_value_and_other_fields_survive() {
        let data = format!(
            "{HEAD}<pupil>\n<id>P1</id>\n<birth_date>2012-02-30</birth_date>\n\
             <surname>Nowak</surname><exams><exam><score>dużo</score></exam></exams></pupil></pupils>"
        );
        let record = &records(&data)[0];
        assert_eq!(
            problems(record),
            vec![("birth_date".to_string(), Rule::Type), ("exams[].score".to_string(), Rule::Type)]
        );
        let message = &record.problems[0].message;
        assert!(
            message.starts_with("the value at line 5 is not a real calendar date"),
            "{message}"
        );
        assert!(!message.contains("2012-02-30") && !record.problems[1].message.contains("dużo"));
        assert_eq!(record.pupil.surname.as_deref(), Some("Nowak"));
        assert_eq!(record.pupil.birth_date, None);
    }

    #[test]
    fn a_missing_id_is_required_and_mixed_or_repeated_content_is_a_schema_violation() {
        let data = format!(
            "{HEAD}<pupil>stray<surname>A<b/></surname><sex>k</sex><sex>m</sex></pupil>\
             <pupil><id></id></pupil></pupils>"
        );
        let read = records(&data);
        assert_eq!(
            problems(&read[0]),
            vec![
                (String::new(), Rule::Schema),
                ("surname".to_string(), Rule::Schema),
                ("sex".to_string(), Rule::Schema),
                ("id".to_string(), Rule::Required),
            ]
        );
        assert_eq!(problems(&read[1]), vec![("id".to_string(), Rule::Required)]);
    }

    #[test]
    fn an_element_other_than_pupil_under_the_root_is_a_rejected_record() {
        let data = format!(
            "{HEAD}<header><school>SP 1</school></header><pupil><id>A</id></pupil></pupils>"
        );
        let read = records(&data);
        assert_eq!(read.len(), 2);
        assert_eq!(problems(&read[0]), vec![("header".to_string(), Rule::UnknownField)]);
        assert_eq!(read[0].parts[0].original, "<header><school>SP 1</school></header>");
        assert_eq!(read[1].location().record, 1);
    }

    #[test]
    fn doctype_is_refused_billion_laughs_and_external_entities_alike() {
        let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n \
                      <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n]>\n\
                      <pupils><pupil><id>&lol2;</id></pupil></pupils>";
        let e = error(laughs.as_bytes());
        assert!(matches!(e.kind(), ErrorKind::Doctype { .. }), "{e}");
        assert_eq!(e.location(), Some(&at(2, 22, 0)));
        let external = "<!DOCTYPE pupils SYSTEM \"file:///etc/passwd\"><pupils/>";
        assert!(matches!(error(external.as_bytes()).kind(), ErrorKind::Doctype { .. }));
        let inner = format!("{HEAD}<pupil><id>A</id></pupil>\n<!DOCTYPE x>");
        assert!(matches!(error(inner.as_bytes()).kind(), ErrorKind::Doctype { .. }));
    }

    #[test]
    fn an_undefined_entity_reference_stops_with_its_position() {
        let data = format!("{HEAD}<pupil>\n<id>&xxe;</id></pupil></pupils>");
        let e = error(data.as_bytes());
        let byte = data.find("&xxe").unwrap() as u64;
        assert!(matches!(e.kind(), ErrorKind::Syntax { .. }));
        assert_eq!(e.location(), Some(&at(4, byte, 0)));
        assert!(e.to_string().contains("entity reference `&xxe;` is not allowed"), "{e}");
        let e = error(format!("{HEAD}<pupil><id>&#0;</id></pupil></pupils>").as_bytes());
        assert!(e.to_string().contains("`&#0;`"), "{e}");
        let e = error(format!("{HEAD}<pupil><id>a\u{1}</id></pupil></pupils>").as_bytes());
        assert!(e.to_string().contains("U+0001"), "{e}");
    }

    #[test]
    fn nesting_deeper_than_the_limit_stops() {
        let options = ReadOptions {
            limits: Limits { max_depth: 8, ..Limits::default() },
            ..ReadOptions::default()
        };
        let deep = format!("{HEAD}<pupil><id>A</id>{}", "<x>\n".repeat(100));
        let e = error_with(deep.as_bytes(), &options);
        assert!(matches!(e.kind(), ErrorKind::Limit { limit: 8, .. }), "{e}");
        // pupils = 1, pupil = 2, the seventh <x> is depth 9.
        assert_eq!(e.location().map(|l| l.line), Some(9));
        let fine = format!(
            "{HEAD}<pupil><id>A</id>{}{}</pupil></pupils>",
            "<x>".repeat(6),
            "</x>".repeat(6)
        );
        assert_eq!(read_with(fine.as_bytes(), &options).len(), 1);
    }

    fn capped(max_list_items: usize, max_attributes: usize) -> ReadOptions {
        ReadOptions {
            limits: Limits { max_list_items, max_attributes, ..Limits::default() },
            ..ReadOptions::default()
        }
    }

    /// The records of `data` read under `options`, every one read without a stop.
    fn records_with(data: &str, options: &ReadOptions) -> Vec<Record> {
        read_with(data.as_bytes(), options).into_iter().collect::<Result<_>>().expect("no error")
    }

    #[test]
    fn too_many_attributes_reject_the_pupil_and_the_next_one_is_read() {
        let attributes: String = (0..5).map(|i| format!(" a{i}=\"x\"")).collect();
        let data = format!(
            "{HEAD}<pupil{attributes}><id>A</id><guardians><guardian><surname>S</surname>\
             </guardian></guardians></pupil>\n\
             <pupil><id>B</id><surname x=\"1\"{attributes}>N</surname><first_name>J</first_name></pupil>\n\
             <pupil><id>C</id><surname>N</surname><first_name>J</first_name></pupil></pupils>"
        );
        let records = records_with(&data, &capped(100, 4));
        assert_eq!(records.len(), 3);
        assert_eq!(problems(&records[0]), [(String::new(), Rule::RecordTooLarge)]);
        assert_eq!(records[0].pupil.id, "");
        assert!(records[0].pupil.guardians.is_empty());
        let message = &records[0].problems[0].message;
        assert!(message.contains("`<pupil>` at line 3 has more than 4 attributes"), "{message}");
        assert!(message.contains("--max-attributes"), "{message}");
        // The id read before the limit still names the record.
        assert_eq!(problems(&records[1]), [(String::new(), Rule::RecordTooLarge)]);
        assert_eq!(records[1].pupil.id, "B");
        assert!(records[1].problems[0].message.contains("`<surname>` at line 4"));
        assert!(!records[2].is_rejected(), "{:?}", records[2].problems);
        // Within the limit, attributes are unknown fields as before.
        let records = records_with(&data, &capped(100, 8));
        assert_eq!(records[0].problems.len(), 5);
        assert!(records[0].problems.iter().all(|v| v.rule == Rule::UnknownField));
    }

    #[test]
    fn too_many_attributes_on_the_root_or_namespace_declarations_stop() {
        let options = capped(100, 2);
        let root = "<pupils a=\"1\" b=\"2\" c=\"3\"><pupil><id>A</id></pupil></pupils>";
        let e = error_with(root.as_bytes(), &options);
        assert!(matches!(e.kind(), ErrorKind::Limit { limit: 2, .. }), "{e}");
        let bindings = format!(
            "{HEAD}<pupil xmlns:a=\"u\" xmlns:b=\"u\" xmlns:c=\"u\"><id>A</id></pupil></pupils>"
        );
        let e = error_with(bindings.as_bytes(), &options);
        assert!(e.to_string().contains("namespace declarations"), "{e}");
        assert_eq!(e.location().map(|l| l.line), Some(3));
    }

    #[test]
    fn a_list_over_the_limit_rejects_the_pupil_keeping_its_text() {
        let item = "<guardian><surname>S</surname></guardian>";
        let pupil = |id: &str, n: usize| {
            format!("<pupil><id>{id}</id><guardians>{}</guardians></pupil>\n", item.repeat(n))
        };
        let data = format!("{HEAD}{}{}</pupils>", pupil("A", 4), pupil("B", 3));
        let records = records_with(&data, &capped(3, 32));
        assert_eq!(problems(&records[0]), [("guardians".to_string(), Rule::RecordTooLarge)]);
        assert_eq!(records[0].pupil.id, "A");
        assert!(records[0].problems[0].message.contains("more than 3 items"));
        assert_eq!(records[0].parts[0].original, pupil("A", 4).trim_end());
        assert_eq!(records[1].pupil.guardians.len(), 3);
        // Problems are a list too: past the limit they are summed up, not listed.
        let data = format!("{HEAD}<pupil><id>A</id>{}</pupil></pupils>", "<x/>".repeat(10));
        let records = records_with(&data, &capped(3, 32));
        let rules: Vec<Rule> = records[0].problems.iter().map(|v| v.rule).collect();
        assert_eq!(
            rules,
            [Rule::UnknownField; 3].into_iter().chain([Rule::RecordTooLarge]).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_truncated_document_stops_with_a_syntax_error_at_the_end() {
        let data = format!("{HEAD}<pupil><id>A</id></pupil>\n<pupil>\n<id>B</id>\n");
        let e = error(data.as_bytes());
        assert!(matches!(e.kind(), ErrorKind::Syntax { .. }));
        assert_eq!(e.location(), Some(&at(6, data.len() as u64, 1)));
        assert!(e.to_string().contains("truncated"), "{e}");
        let e = error(format!("{HEAD}<pupil><id>A</id></pupil>\n").as_bytes());
        assert!(e.to_string().contains("ends before `</pupils>`"), "{e}");
        let e = error(format!("{HEAD}<pupil><id>A</i").as_bytes());
        assert!(e.to_string().contains("malformed XML"), "{e}");
        let e = error(format!("{HEAD}<pupil><id>A</surname></pupil></pupils>").as_bytes());
        assert!(e.to_string().contains("malformed XML"), "{e}");
        assert!(error(b"").to_string().contains("no `<pupils>` root element"));
    }

    #[test]
    fn invalid_utf8_stops_with_the_byte_position() {
        let mut data = format!("{HEAD}<pupil><id>A</id>\n<surname>Nowak").into_bytes();
        let byte = data.len() as u64;
        data.extend_from_slice(b"\xC5</surname></pupil></pupils>");
        let e = error(&data);
        assert!(matches!(e.kind(), ErrorKind::Encoding { encoding: "UTF-8", .. }), "{e}");
        assert_eq!(e.location(), Some(&at(4, byte, 0)));
        let e = error(b"\xFF\xFE<\x00p\x00");
        assert!(matches!(e.kind(), ErrorKind::Encoding { .. }), "{e}");
    }

    #[test]
    fn declared_8_bit_encodings_are_decoded_with_the_file_s_lines() {
        for (label, encoding) in [
            ("windows-1250", encoding_rs::WINDOWS_1250),
            ("ISO-8859-2", encoding_rs::ISO_8859_2),
            ("cp1250", encoding_rs::WINDOWS_1250),
        ] {
            let text = format!(
                "<?xml version='1.0' encoding='{label}'?>\n<pupils>\n<pupil><id>1</id>\
                 <surname>Świątek-Żółć</surname></pupil>\n<pupil><id>2</id>\
                 <surname>Šťastná</surname><sex>x</sex></pupil>\n</pupils>\n"
            );
            let (bytes, _, _) = encoding.encode(&text);
            // A byte at a time: the declaration and every character split across reads.
            let records: Vec<Record> =
                XmlReader::new(Trickle(&bytes), "p.xml", &ReadOptions::default())
                    .collect::<Result<_>>()
                    .unwrap();
            assert_eq!(records[0].pupil.surname.as_deref(), Some("Świątek-Żółć"), "{label}");
            assert_eq!(records[1].pupil.surname.as_deref(), Some("Šťastná"), "{label}");
            assert_eq!(records[1].location().line, 4, "{label}");
            // The rejects file gets the element's text in UTF-8.
            assert!(records[1].parts[0].original.contains("Šťastná"), "{label}");
        }
    }

    #[test]
    fn the_declared_encoding_is_found_only_in_a_declaration() {
        assert_eq!(
            tap::declared_encoding(b"<?xml version=\"1.0\" encoding = \"latin2\" ?><a/>"),
            Some(encoding_rs::ISO_8859_2)
        );
        assert_eq!(tap::declared_encoding(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), None);
        assert_eq!(tap::declared_encoding(b"<pupils encoding=\"windows-1250\"?>"), None);
        assert_eq!(tap::declared_encoding(b"<?xml version=\"1.0\" encoding=\"windows-1250"), None);
    }

    #[test]
    fn other_declared_encodings_wrong_roots_and_versions_are_refused() {
        let e = error(b"<?xml version=\"1.0\" encoding=\"klingon-8\"?><pupils/>");
        assert!(e.to_string().contains("declares encoding `klingon-8`"), "{e}");
        // UTF-16 named over ASCII bytes cannot be what the file is.
        let e = error(b"<?xml version=\"1.0\" encoding=\"UTF-16\"?><pupils/>");
        assert!(e.to_string().contains("declares encoding `UTF-16`"), "{e}");
        let e = error(b"<students><pupil/></students>");
        assert!(e.to_string().contains("the root element is `<students>`"), "{e}");
        let e = error(b"<pupils version=\"2\"/>");
        assert!(e.to_string().contains("version `2`"), "{e}");
        assert!(records("<?xml version=\"1.0\" encoding=\"utf-8\"?><pupils/>").is_empty());
        let e = error(b"<pupils/>stray");
        assert!(e.to_string().contains("text outside any `<pupil>`"), "{e}");
        let e = error(b"<pupils/><pupils/>");
        assert!(e.to_string().contains("one root element"), "{e}");
    }

    #[test]
    fn size_limits_a_field_is_a_violation_a_record_stops() {
        let options = ReadOptions {
            limits: Limits { max_field_bytes: 10, max_record_bytes: 200, ..Limits::default() },
            ..ReadOptions::default()
        };
        let data = format!(
            "{HEAD}<pupil><id>A</id><surname>{}</surname></pupil></pupils>",
            "x".repeat(11)
        );
        let read: Vec<Record> =
            read_with(data.as_bytes(), &options).into_iter().collect::<Result<_>>().unwrap();
        assert_eq!(problems(&read[0]), vec![("surname".to_string(), Rule::FieldSize)]);
        let big = format!(
            "{HEAD}<pupil><id>A</id>{}</pupil></pupils>",
            "<!-- padding -->".repeat(1 << 13)
        );
        let e = error_with(big.as_bytes(), &options);
        assert!(matches!(e.kind(), ErrorKind::Limit { limit: 200, .. }), "{e}");
        assert_eq!(e.location().map(|l| (l.line, l.byte)), Some((3, HEAD.len() as u64)));
    }

    #[test]
    fn a_size_limit_hit_inside_a_multibyte_character_is_still_a_limit_error() {
        let options = ReadOptions {
            limits: Limits { max_record_bytes: 70_000, ..Limits::default() },
            ..ReadOptions::default()
        };
        // One of the two paddings puts a 64 KiB buffer boundary inside a `ż`.
        for pad in ["", " "] {
            let data = format!(
                "{HEAD}<pupil>{pad}<id>A</id><surname>{}</surname></pupil></pupils>",
                "ż".repeat(100_000)
            );
            let e = error_with(data.as_bytes(), &options);
            assert!(matches!(e.kind(), ErrorKind::Limit { limit: 70_000, .. }), "{e}");
        }
    }

    proptest::proptest! {
        /// Whatever the bytes, reading ends (with records or one error) and never panics.
        #[test]
        fn any_mutation_of_a_document_is_read_without_panicking(
            edits in proptest::collection::vec((0usize..400, proptest::prelude::any::<u8>()), 0..8),
            cut in 0usize..400,
        ) {
            let mut data = format!(
                "{HEAD}<pupil a=\"1\"><id>P&amp;1</id><sex>k</sex><guardians><guardian><address>\
                 <town>Łódź</town></address></guardian></guardians><!-- c --><x><y/></x>\
                 <remarks><remark><text><![CDATA[]]>]]></text></remark></remarks></pupil>\
                 <pupil/></pupils>"
            )
            .into_bytes();
            for (at, byte) in edits {
                let at = at % (data.len() + 1);
                data.insert(at, byte);
            }
            data.truncate(cut.max(data.len() / 2));
            let options = ReadOptions {
                limits: Limits { max_depth: 6, max_field_bytes: 8, max_record_bytes: 300, ..Limits::default() },
                ..ReadOptions::default()
            };
            let results = read_with(&data, &options);
            proptest::prop_assert!(results.iter().rev().skip(1).all(Result::is_ok));
            let trickled: Vec<_> = XmlReader::new(Trickle(&data), "p.xml", &options).collect();
            proptest::prop_assert_eq!(results.len(), trickled.len());
        }
    }

    #[test]
    fn whitespace_is_kept_inside_a_field_and_dropped_between_elements() {
        let data = format!(
            "{HEAD}<pupil>\n\t <id>P1</id>\n <surname> \n\t</surname><first_name>\r\n</first_name>\
             <guardians> <guardian> <surname>  </surname> </guardian> </guardians></pupil></pupils>"
        );
        let record = &records(&data)[0];
        assert_eq!(problems(record), vec![]);
        assert_eq!(record.pupil.surname.as_deref(), Some(" \n\t"));
        assert_eq!(record.pupil.first_name.as_deref(), Some("\n"));
        assert_eq!(record.pupil.guardians[0].surname.as_deref(), Some("  "));
    }

    #[test]
    fn a_repeated_struct_is_merged_and_a_repeated_list_is_appended() {
        let data = format!(
            "{HEAD}<pupil><id>P1</id>\
             <enrolment><school_name>SP 1</school_name></enrolment>\
             <guardians><guardian><surname>A</surname></guardian></guardians>\
             <enrolment><class_level>3</class_level></enrolment>\n\
             <enrolment><school_name>SP 2</school_name></enrolment>\
             <guardians><guardian><surname>B</surname></guardian></guardians><guardians/>\
             </pupil></pupils>"
        );
        let record = &records(&data)[0];
        assert_eq!(problems(record), vec![("enrolment.school_name".to_string(), Rule::Schema)]);
        assert!(record.problems[0].message.contains("again at line 4"), "{:?}", record.problems);
        let enrolment = record.pupil.enrolment.as_ref().expect("enrolment");
        assert_eq!(enrolment.school_name.as_deref(), Some("SP 2"));
        assert_eq!(enrolment.class_level.as_deref(), Some("3"));
        let surnames: Vec<_> =
            record.pupil.guardians.iter().map(|g| g.surname.as_deref()).collect();
        assert_eq!(surnames, vec![Some("A"), Some("B")]);
    }

    #[test]
    fn fields_out_of_catalogue_order_are_found() {
        let data = format!(
            "{HEAD}<pupil><surname>Nowak</surname><sex>m</sex><id>P1</id><surname>X</surname>\
             </pupil></pupils>"
        );
        let record = &records(&data)[0];
        assert_eq!(problems(record), vec![("surname".to_string(), Rule::Schema)]);
        assert_eq!(record.pupil.id, "P1");
        assert_eq!(record.pupil.sex, Some(Sex::Male));
        assert_eq!(record.pupil.surname.as_deref(), Some("X"));
    }

    #[test]
    fn the_tree_follows_the_catalogue() {
        let names: Vec<&str> = pupil_tree().iter().map(Node::name).collect();
        assert_eq!(&names[..3], &["id", "education_id", "pesel"]);
        let Some(Node::List { item, path, children, .. }) =
            pupil_tree().iter().find(|n| n.name() == "guardians")
        else {
            panic!("guardians is a list")
        };
        assert_eq!((*item, path.as_str()), ("guardian", "guardians[]"));
        assert!(children
            .iter()
            .any(|n| matches!(n, Node::Group { path, .. } if path == "guardians[].address")));
    }
}
