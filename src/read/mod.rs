//! Reading: every input format becomes a stream of [`Record`]s.
//!
//! Format details stop here. [`open`] looks at the inputs (files, folders, `entity=path`
//! pairs), picks a reader per format and chains them into one iterator; downstream stages see
//! only model types. Readers stream, holding a bounded stretch of the input: CSV rows and
//! SOU-like XML are parsed a batch at a time on every core (256 rows, a few MiB of XML), JSON
//! lines one at a time (a multi-file CSV export additionally keeps a bounded join buffer, see
//! `read::join`). A spreadsheet's worksheets are tables like CSV files (`read::sheet`).

mod candidates;
pub mod csv;
mod decode;
mod fill;
mod join;
pub mod jsonl;
pub mod mapping;
pub mod matrika;
mod multi_file;
mod object;
pub mod oneroster;
pub mod sheet;
pub mod xml;

pub use self::decode::{detect_encoding, encoding_by_name};
pub use self::mapping::Mapping;

use crate::error::{Error, Result};
use crate::model::record::Record;
use crate::model::Entity;
use encoding_rs::Encoding;
use std::fmt;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

/// A stream of records, in input order, ready for validation.
pub type Records = Box<dyn Iterator<Item = Result<Record>> + Send>;

/// An input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Delimited text (`.csv`, `.tsv`, `.txt`): one file per entity, or one csv2sou-style file.
    Csv,
    /// XML (`.xml`): teczka's SOU-like `<pupils>`, or a Czech školní matrika, told apart by
    /// the root element.
    Xml,
    /// The Czech MŠMT školní matrika XML only (`--format matrika`; an `.xml` file whose root
    /// is `<MATRIKA>` is read as one without it).
    Matrika,
    /// JSON Lines of the canonical model (`.jsonl`, `.ndjson`).
    Jsonl,
    /// A OneRoster 1.2 CSV folder: a folder holding `manifest.csv`, or that file.
    OneRoster,
    /// A spreadsheet workbook (`.xlsx`, `.xlsm`, `.xls`, `.ods`; which one is told by its
    /// first bytes): one worksheet per entity, each read like a CSV file.
    Spreadsheet,
}

impl Format {
    /// The format a file name suggests, if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "xml" | "sou" => Some(Format::Xml),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "xlsx" | "xlsm" | "xls" | "ods" => Some(Format::Spreadsheet),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "csv",
            Format::Xml => "xml",
            Format::Matrika => "matrika",
            Format::Jsonl => "jsonl",
            Format::OneRoster => "oneroster",
            Format::Spreadsheet => "spreadsheet",
        })
    }
}

/// Safety limits against hostile or broken input; each is a command-line flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Deepest XML element nesting accepted.
    pub max_depth: usize,
    /// Longest single field value, in bytes.
    pub max_field_bytes: usize,
    /// Longest single input record (CSV row, XML pupil element, JSON line), in bytes; also
    /// the most text one pupil joined from a multi-file CSV export may gather from its rows.
    pub max_record_bytes: usize,
    /// Most entries one list of one pupil may hold (guardians, grades, …; in JSON any array
    /// or object, in XML any list wrapper). A pupil over it is rejected whole with
    /// [`Rule::RecordTooLarge`](crate::Rule::RecordTooLarge), its text kept for the rejects.
    pub max_list_items: usize,
    /// Most attributes (namespace declarations included) one XML element may carry.
    /// Checking attributes for duplicates costs time quadratic in their number, so this stays
    /// small: teczka's own documents carry at most three.
    pub max_attributes: usize,
}

/// The default of [`Limits::max_list_items`]: far above any real pupil (twelve years of
/// lessons, one attendance row each, are under 20,000 rows), far below what exhausts memory.
pub const DEFAULT_MAX_LIST_ITEMS: usize = 100_000;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 32,
            max_field_bytes: 1 << 20,
            max_record_bytes: 16 << 20,
            max_list_items: DEFAULT_MAX_LIST_ITEMS,
            max_attributes: 32,
        }
    }
}

/// How to read the inputs; everything left `None` is detected.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Force the text encoding of CSV inputs (else detected: BOM, valid UTF-8, or
    /// Windows-1250 vs ISO-8859-2 by their differing letters).
    pub encoding: Option<&'static Encoding>,
    /// Force the CSV delimiter (else detected from the header: `;`, `,` or tab).
    pub delimiter: Option<u8>,
    /// Force the format of every input (else from the file extension).
    pub format: Option<Format>,
    /// Column-name mapping for non-default CSV layouts (else the built-in csv2sou aliases).
    pub mapping: Option<Mapping>,
    /// Safety limits.
    pub limits: Limits,
    /// Memory the multi-file CSV join may use for child rows, in bytes; larger exports are
    /// joined through temporary bucket files (slower, same records).
    pub join_budget: u64,
    /// For a search that knows what it looks for (`sar`): CSV rows and JSON lines whose text
    /// this rules out are not parsed. From a single file each still comes out, in order, as
    /// a record holding its part (position and text) and an empty pupil. A multi-file export
    /// is searched first (`read::candidates`): only the pupils one of whose rows it admits
    /// are joined and parsed; every other record (a pupil with its rows, or a child row
    /// naming no pupil) is counted on the prefilter ([`Prefilter::ruled_out`]), not built,
    /// so counts stay true. SOU-like XML is always parsed.
    pub prefilter: Option<Prefilter>,
    /// Read only this worksheet of each spreadsheet (else every worksheet, each as the entity
    /// its name says: `Uczniowie`, `Oceny`, …).
    pub sheet: Option<String>,
}

/// A test on a record's decoded text before it is parsed: `false` only when the record
/// cannot hold what is searched for. Anything the parse could make match must pass.
///
/// Clones share one count of the records ruled out without being built.
#[derive(Clone)]
pub struct Prefilter {
    admits: std::sync::Arc<dyn Fn(&str) -> bool + Send + Sync>,
    ruled_out: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Prefilter {
    /// A prefilter running `admits` on each row's text.
    pub fn new(admits: impl Fn(&str) -> bool + Send + Sync + 'static) -> Prefilter {
        Prefilter { admits: std::sync::Arc::new(admits), ruled_out: Default::default() }
    }

    /// Whether the row may hold what is searched for.
    pub fn admits(&self, text: &str) -> bool {
        (self.admits)(text)
    }

    /// How many records a reader ruled out without building them (so none came out for
    /// them): add it to the records seen to count what was searched.
    pub fn ruled_out(&self) -> u64 {
        self.ruled_out.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Count `records` ruled out without being built.
    pub(crate) fn rule_out(&self, records: u64) {
        self.ruled_out.fetch_add(records, std::sync::atomic::Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Prefilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prefilter(..)")
    }
}

/// The default memory budget of the multi-file join: 256 MiB.
pub const DEFAULT_JOIN_BUDGET: u64 = 256 << 20;

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            encoding: None,
            delimiter: None,
            format: None,
            mapping: None,
            limits: Limits::default(),
            join_budget: DEFAULT_JOIN_BUDGET,
            prefilter: None,
            sheet: None,
        }
    }
}

/// A file-level remark found while opening the inputs: the detected encoding and delimiter, a
/// column that maps to nothing. Shown to the user and kept in the JSON report.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Notice {
    /// The file concerned.
    pub source: String,
    /// Whether the user should act on it.
    pub level: NoticeLevel,
    /// What was found and, for warnings, what to do.
    pub message: String,
    /// The columns (header names) whose data will not be carried over, for commands that
    /// must refuse to lose them (a transfer export).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped_columns: Vec<String>,
}

impl Notice {
    /// A notice for information: what was detected.
    pub fn info(source: impl Into<String>, message: impl Into<String>) -> Notice {
        Notice {
            source: source.into(),
            level: NoticeLevel::Info,
            message: message.into(),
            dropped_columns: Vec::new(),
        }
    }
}

/// How much a [`Notice`] matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeLevel {
    /// For information (what was detected).
    Info,
    /// Needs attention: data may not be carried over (an unmapped column).
    Warning,
}

/// One input as named on the command line: a path, optionally with the entity it holds
/// (`grades=oceny_2024.csv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// The file or folder.
    pub path: PathBuf,
    /// The entity, when given explicitly.
    pub entity: Option<Entity>,
}

impl Input {
    /// Whether the input is standard input (`-`).
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }
}

impl std::str::FromStr for Input {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Input, String> {
        if let Some((name, path)) = s.split_once('=') {
            if let Some(entity) = mapping::entity_by_name(name) {
                return Ok(Input { path: PathBuf::from(path), entity: Some(entity) });
            }
            if !Path::new(s).exists() {
                return Err(format!(
                    "`{name}` is not an entity: use one of {} before `=`",
                    Entity::ALL.map(|e| e.file_stem()).join(", ")
                ));
            }
        }
        Ok(Input { path: PathBuf::from(s), entity: None })
    }
}

/// The opened inputs: the record stream and what was noticed while opening.
pub struct Opened {
    /// Every record of every input, in order.
    pub records: Records,
    /// File-level remarks.
    pub notices: Vec<Notice>,
}

/// Open every input and chain their records.
///
/// Folders are expanded to the files inside them (sorted by name, hidden files skipped). All
/// CSV inputs together form one export (joined by pupil id); XML and JSON Lines files are
/// streamed one after another.
pub fn open(inputs: &[Input], options: &ReadOptions) -> Result<Opened> {
    if inputs.is_empty() {
        return Err(Error::input(
            "-",
            "no input given: name at least one CSV, XML, JSON Lines or spreadsheet file",
        ));
    }
    let mut csv_inputs = Vec::new();
    let mut streams: Vec<Records> = Vec::new();
    let mut notices = Vec::new();
    for input in expand_folders(inputs)? {
        let oneroster = options.format == Some(Format::OneRoster);
        if !input.is_stdin() && (oneroster || oneroster::is_oneroster(&input.path)) {
            streams.push(oneroster::open(&input.path, options)?);
            continue;
        }
        if input.is_stdin() {
            let (stream, notes) = open_stdin(inputs, options)?;
            streams.push(stream);
            notices.extend(notes);
            continue;
        }
        let format =
            options.format.or_else(|| Format::from_path(&input.path)).ok_or_else(|| {
                Error::input(
                &input.path,
                "cannot tell the format from the file name: use .csv, .xml, .jsonl or .xlsx, or \
                 pass --format",
            )
            })?;
        match format {
            // Worksheets are tables like CSV files: all of them form one export.
            Format::Csv | Format::Spreadsheet => csv_inputs.push(input),
            Format::Xml => {
                let reader = xml::XmlReader::open(&input.path, options)?;
                streams.push(Box::new(reader.with_dialect(xml_dialect(options))))
            }
            Format::Matrika => streams.push(Box::new(
                xml::XmlReader::open(&input.path, options)?.with_dialect(xml::Dialect::Matrika),
            )),
            Format::Jsonl => {
                streams.push(Box::new(jsonl::JsonlReader::open(&input.path, options)?))
            }
            Format::OneRoster => streams.push(oneroster::open(&input.path, options)?),
        }
    }
    if !csv_inputs.is_empty() {
        let opened = multi_file::open(&csv_inputs, options)?;
        notices.extend(opened.notices);
        streams.insert(0, opened.records);
    }
    Ok(Opened { records: Box::new(streams.into_iter().flatten()), notices })
}

/// How standard input is named in locations and messages.
pub const STDIN: &str = "<stdin>";

/// Open standard input (`-`) as the format `--format` names, or the one its first byte shows:
/// `<` XML, `{` JSON Lines, anything else CSV. A CSV on standard input cannot be joined with
/// other CSV files (they are matched by file name), so it must be the only CSV input.
fn open_stdin(inputs: &[Input], options: &ReadOptions) -> Result<(Records, Vec<Notice>)> {
    let mut stdin = io::BufReader::with_capacity(64 * 1024, io::stdin());
    let format = match options.format {
        Some(format) => format,
        None => sniff_format(stdin.fill_buf().map_err(|e| Error::io(STDIN, e))?),
    };
    Ok(match format {
        Format::Spreadsheet => {
            return Err(Error::input(
                STDIN,
                "a spreadsheet cannot be read from standard input (its parts are read out of \
                 order): give it by its path",
            ))
        }
        Format::Xml => {
            let reader = xml::XmlReader::new(stdin, STDIN, options);
            (Box::new(reader.with_dialect(xml_dialect(options))), Vec::new())
        }
        Format::Matrika => {
            let reader = xml::XmlReader::new(stdin, STDIN, options);
            (Box::new(reader.with_dialect(xml::Dialect::Matrika)), Vec::new())
        }
        Format::Jsonl => (Box::new(jsonl::JsonlReader::new(stdin, STDIN, options)), Vec::new()),
        Format::OneRoster => {
            return Err(Error::input(
                STDIN,
                "OneRoster is a folder of files: name the folder (the one with manifest.csv)",
            ))
        }
        Format::Csv => {
            let csv_files = inputs.iter().filter(|i| {
                i.is_stdin() || i.path.is_dir() || Format::from_path(&i.path) == Some(Format::Csv)
            });
            if csv_files.count() > 1 {
                return Err(Error::input(
                    STDIN,
                    "a CSV on standard input cannot be joined with other CSV files (they are \
                     matched by file name): give every file by its path",
                ));
            }
            let reader = csv::CsvReader::new(stdin, STDIN, options)?;
            let notices = reader.notices().to_vec();
            (Box::new(reader), notices)
        }
    })
}

/// Which XML an `.xml` input may be: the SOU-like kind only when `--format sou` says so, else
/// whichever its root element names (`<pupils>` or a školní matrika's `<MATRIKA>`).
fn xml_dialect(options: &ReadOptions) -> xml::Dialect {
    match options.format {
        Some(Format::Xml) => xml::Dialect::Sou,
        _ => xml::Dialect::Auto,
    }
}

/// The format the first bytes of a stream show (after a UTF-8 BOM and white space).
fn sniff_format(head: &[u8]) -> Format {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Format::Spreadsheet;
    }
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => Format::Xml,
        Some(b'{') => Format::Jsonl,
        _ => Format::Csv,
    }
}

fn expand_folders(inputs: &[Input]) -> Result<Vec<Input>> {
    let mut out = Vec::new();
    for input in inputs {
        if input.path.is_dir() && oneroster::is_oneroster(&input.path) {
            out.push(input.clone());
        } else if input.path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&input.path)
                .map_err(|e| Error::io(&input.path, e))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && !is_hidden(p) && Format::from_path(p).is_some())
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(Error::input(
                    &input.path,
                    "the folder holds no .csv, .xml, .jsonl or spreadsheet file",
                ));
            }
            out.extend(files.into_iter().map(|path| Input { path, entity: None }));
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

/// Records a reader has parsed ahead (rows or lines parsed on every core), given out in file
/// order, then the error that ended the file, if one did.
pub(crate) struct Ahead {
    records: std::vec::IntoIter<Record>,
    stop: Option<Error>,
}

impl Default for Ahead {
    fn default() -> Ahead {
        Ahead { records: Vec::new().into_iter(), stop: None }
    }
}

impl Ahead {
    /// Whether everything parsed ahead has been given out and the file has not ended in an
    /// error: time to read ahead again.
    pub(crate) fn is_spent(&self) -> bool {
        self.records.len() == 0 && self.stop.is_none()
    }

    /// Hold `records`, and the error found after them.
    pub(crate) fn fill(&mut self, records: Vec<Record>, stop: Option<Error>) {
        self.records = records.into_iter();
        self.stop = stop;
    }

    /// The next record; the error once the records before it are out; `None` at the end.
    pub(crate) fn next(&mut self) -> Result<Option<Record>> {
        match (self.records.next(), self.stop.take()) {
            (Some(record), stop) => {
                self.stop = stop;
                Ok(Some(record))
            }
            (None, Some(error)) => Err(error),
            (None, None) => Ok(None),
        }
    }
}

/// Turn a reader step (`Ok(Some)` a record, `Ok(None)` the end, `Err` a stop) into an
/// iterator item, and remember when the stream is over: after an error nothing more is read,
/// because positions past broken syntax cannot be trusted.
pub(crate) fn fused<T>(done: &mut bool, step: Result<Option<T>>) -> Option<Result<T>> {
    match step {
        Ok(Some(item)) => Some(Ok(item)),
        Ok(None) => {
            *done = true;
            None
        }
        Err(e) => {
            *done = true;
            Some(Err(e))
        }
    }
}

/// The name a location shows for `path`: as the user gave it.
pub(crate) fn source_name(path: &Path) -> std::sync::Arc<str> {
    path.display().to_string().into()
}
