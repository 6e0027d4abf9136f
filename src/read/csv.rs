//! CSV as real schools produce it: one csv2sou-style pupil file, or a multi-file export.
//!
//! This module owns the CSV reading. A file is opened in four steps:
//!
//! 1. its encoding is settled (`read::decode`: forced, or detected from the head of the file);
//! 2. its delimiter is settled (forced, or whichever of `;` `,` tab splits the header into the
//!    most columns and the next rows into as many);
//! 3. its header is mapped to model fields (`read::mapping`), and every header that maps to
//!    nothing is reported in a [`Notice`] — its data is not carried over, and the user is told;
//! 4. its rows are split on the *undecoded* bytes by `csv_core` (quoted multi-line fields,
//!    CRLF, blank lines), so a row's [`Location`] has the data-row ordinal (from 0, the header
//!    is not a record), the line it starts on (from 1: the header is line 1) and the byte
//!    offset in the file as it lies on disk (a UTF-8 BOM counts; for UTF-16 input, transcoded
//!    first, the offset counts bytes of the UTF-8 text).
//!
//! Each row becomes a [`Record`] whose [`Part`] holds the row's exact text (decoded, without
//! its line terminator). Cells are parsed with `model::value::parse_cell` by the field's kind; a cell that
//! does not parse, a cell over the field-size limit and a row with the wrong number of cells
//! are violations on the record (it is rejected, never dropped); a row over the record-size
//! limit stops the run. Only the current row is held in memory; a multi-file export is joined
//! by pupil id in `read::join`, in bounded memory.

use super::decode::{
    damaged_header, first_non_ascii_sample, prepare, TextDecoder, DAMAGED, SAMPLE_BYTES,
};
use super::fill::{Row, Shape};
use super::mapping::{self, Target};
use super::{source_name, Limits, Notice, NoticeLevel, Prefilter, ReadOptions};
use crate::error::{column_letters, Error, Location, Result};
use crate::model::record::{Part, Record, Rule};
use crate::model::value::{parse_cell, Cell};
use crate::model::FieldSpec;
use crate::model::{Entity, Pupil};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

/// How many bytes are read from a file at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// Streams the pupils of one pupil CSV file (a csv2sou single file, or the pupil file of an
/// export without child files), one row at a time.
///
/// Inline addresses (`ADRES_U_*`, `ADRES_Z_*`, `ADRES_K_*`) and guardians (`OPIEKUNn_*`) on
/// the row become the pupil's addresses and guardians. A file without a pupil id column gives
/// its pupils the ids `row-1`, `row-2`, … by row order (and says so in a notice).
///
/// # Example
///
/// ```
/// use teczka::read::{csv::CsvReader, ReadOptions};
/// use teczka::Rule;
///
/// let data = "nazwisko;imie;data_ur;ADRES_U_miejscowosc\n\
///             Nowak;Anna;07.03.2012;Kraków\n\
///             Zając;Piotr;31.02.2012;\n";
/// let reader = CsvReader::new(data.as_bytes(), "uczniowie.csv", &ReadOptions::default()).unwrap();
/// let records: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
/// assert_eq!(records[0].pupil.surname.as_deref(), Some("Nowak"));
/// assert_eq!(records[0].pupil.addresses[0].town.as_deref(), Some("Kraków"));
/// assert_eq!(records[1].problems[0].rule, Rule::Type);
/// assert_eq!(records[1].problems[0].location.line, 3);
/// ```
pub struct CsvReader {
    file: CsvFile,
    limits: Limits,
    ids: RowIds,
    pub(super) notices: Vec<Notice>,
    /// Records assembled ahead, in file order.
    ahead: std::vec::IntoIter<Record>,
    /// The error that ended the file, given out once the records before it are.
    stop: Option<Error>,
    /// Rows it rules out are passed on unparsed ([`ReadOptions::prefilter`]).
    prefilter: Option<Prefilter>,
    done: bool,
}

/// Rows split and assembled into pupils at once, on every core: enough to keep both busy,
/// few enough that the rows held ahead stay small.
const ROWS_AHEAD: usize = 256;

impl CsvReader {
    /// Open a pupil CSV file.
    pub fn open(path: &Path, options: &ReadOptions) -> Result<CsvReader> {
        let mut notices = Vec::new();
        let file = CsvFile::open(path, Entity::Pupil, options, &mut notices)?;
        Ok(CsvReader::with_file(file, options, notices))
    }

    /// Read a pupil CSV from any reader; `source` names it in locations and notices. The
    /// encoding is detected from the first 64 KiB only (a file opened by path is scanned
    /// further when those are plain ASCII).
    pub fn new<R: Read + Send + 'static>(
        reader: R,
        source: impl Into<Arc<str>>,
        options: &ReadOptions,
    ) -> Result<CsvReader> {
        let mut notices = Vec::new();
        let file = CsvFile::from_reader(
            Box::new(reader),
            source.into(),
            Entity::Pupil,
            options,
            &mut notices,
            || None,
        )?;
        Ok(CsvReader::with_file(file, options, notices))
    }

    /// Stream the pupils of an opened file (a CSV file or a worksheet).
    pub(super) fn with_file(
        file: CsvFile,
        options: &ReadOptions,
        mut notices: Vec<Notice>,
    ) -> CsvReader {
        let ids = if file.plan.id_column.is_none() { RowIds::Numbered } else { RowIds::Column };
        if ids == RowIds::Numbered {
            notices.push(Notice::info(&*file.plan.source, ids.notice(&file.plan.source)));
        }
        CsvReader {
            file,
            limits: options.limits,
            ids,
            notices,
            ahead: Vec::new().into_iter(),
            stop: None,
            prefilter: options.prefilter.clone(),
            done: false,
        }
    }

    /// Whether the file has no id column, so its pupils are numbered by row.
    pub(super) fn numbers_rows(&self) -> bool {
        self.ids != RowIds::Column
    }

    /// Number the pupils `FILE:row-1`, `FILE:row-2`, …: another file of the run numbers its
    /// rows too, and two pupils `row-1` would be one id on two pupils.
    pub(super) fn number_rows_by_file(&mut self) {
        if self.ids == RowIds::Numbered {
            let source = self.file.plan.source.clone();
            let before = RowIds::Numbered.notice(&source);
            self.ids = RowIds::NumberedInFile;
            for notice in self.notices.iter_mut().filter(|n| n.message == before) {
                notice.message = self.ids.notice(&source);
            }
        }
    }

    /// Read the next rows (up to [`ROWS_AHEAD`]) and assemble their pupils in parallel,
    /// keeping file order. Reading stays sequential: only the rows' own work is spread.
    fn read_ahead(&mut self) {
        let mut rows = Vec::with_capacity(ROWS_AHEAD);
        while rows.len() < ROWS_AHEAD {
            match self.file.next_row() {
                Ok(Some(row)) => rows.push(row),
                Ok(None) => break,
                Err(e) => {
                    self.stop = Some(e);
                    break;
                }
            }
        }
        let (plan, limits, ids) = (&*self.file.plan, &self.limits, self.ids);
        let prefilter = self.prefilter.as_ref();
        let records: Vec<Record> = rows
            .into_par_iter()
            .map(|row| match prefilter {
                Some(filter) if !admitted(filter, &row, ids) => unparsed_record(row, ids),
                _ => with_splitter(plan.delimiter, |splitter| {
                    pupil_record(plan, row, splitter, limits, ids)
                }),
            })
            .collect();
        self.ahead = records.into_iter();
    }

    /// What was noticed while opening the file: the encoding and delimiter read, columns
    /// that map to nothing.
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }
}

impl Iterator for CsvReader {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        if self.done {
            return None;
        }
        if self.ahead.len() == 0 && self.stop.is_none() {
            self.read_ahead();
        }
        let step = match (self.ahead.next(), self.stop.take()) {
            (Some(record), stop) => {
                self.stop = stop;
                Ok(Some(record))
            }
            (None, Some(error)) => Err(error),
            (None, None) => Ok(None),
        };
        super::fused(&mut self.done, step)
    }
}

/// One CSV file's layout: what each column means.
#[derive(Debug)]
pub(crate) struct FilePlan {
    /// The file's name as the user gave it.
    pub source: Arc<str>,
    /// What its rows are.
    pub entity: Entity,
    /// The cell delimiter.
    pub delimiter: u8,
    /// The file's text encoding, for messages.
    pub encoding: &'static str,
    /// The header names as written (trimmed, BOM dropped), for messages.
    pub headers: Vec<String>,
    /// What each column carries.
    pub targets: Vec<Target>,
    /// Which column fills which field of the model object a row reads into, compiled once
    /// here rather than looked up by name for every cell.
    pub shape: Shape,
    /// The column holding the pupil id: `id` in a pupil file, the pupil reference in a child
    /// file.
    pub id_column: Option<usize>,
    /// The worksheet, when the table is one (its locations name cells).
    pub sheet: Option<Arc<str>>,
}

/// One row as read: where it starts and its decoded text without the line terminator.
#[derive(Clone, Debug)]
pub(crate) struct RawRow {
    pub location: Location,
    pub text: String,
}

/// An opened CSV file (or worksheet, read as one): its plan and its rows after the header.
pub(crate) struct CsvFile {
    pub plan: Arc<FilePlan>,
    rows: Rows,
}

/// Where a table's rows come from.
enum Rows {
    /// Delimited text (boxed: its buffers make it the larger by far).
    Text(Box<RowReader>),
    /// A worksheet, its cells already joined into CSV row text.
    Sheet(super::sheet::SheetRows),
}

impl CsvFile {
    /// Open `path` as a file of `entity`, adding what was noticed to `notices`.
    pub fn open(
        path: &Path,
        entity: Entity,
        options: &ReadOptions,
        notices: &mut Vec<Notice>,
    ) -> Result<CsvFile> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        CsvFile::from_reader(Box::new(file), source_name(path), entity, options, notices, || {
            File::open(path).ok().and_then(first_non_ascii_sample)
        })
    }

    /// Open a stream as a file of `entity`; `more_evidence` gives a later sample of it when
    /// the head is plain ASCII.
    pub fn from_reader(
        input: Box<dyn Read + Send>,
        source: Arc<str>,
        entity: Entity,
        options: &ReadOptions,
        notices: &mut Vec<Notice>,
        more_evidence: impl FnOnce() -> Option<Vec<u8>>,
    ) -> Result<CsvFile> {
        let prepared = prepare(input, &source, options.encoding, more_evidence)?;
        let complete = prepared.head.len() < SAMPLE_BYTES;
        let delimiter =
            options.delimiter.unwrap_or_else(|| detect_delimiter(&prepared.head, complete));
        let mut rows = RowReader {
            input: prepared.reader,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            buf: Vec::new(),
            pos: 0,
            row_start: 0,
            base: prepared.start,
            eof: false,
            line: 1,
            next_record: 0,
            scratch: vec![0; CHUNK_BYTES],
            scratch_ends: vec![0; 256],
            decoder: prepared.decoder,
            delimiter,
            source: source.clone(),
            max_record_bytes: options.limits.max_record_bytes,
            finished: false,
        };
        let header = rows.next_row()?.ok_or_else(|| {
            Error::input(&*source, "the file is empty: a CSV file needs a header row")
        })?;
        rows.next_record = 0;
        if header.text.contains(DAMAGED) {
            // Which column is which cannot be known: nothing after it could be trusted.
            return Err(damaged_header(&header.location, rows.decoder.name()));
        }
        let mut splitter = Splitter::new(delimiter);
        let headers: Vec<&str> = splitter.split(&header.text);
        let layout = Layout { source, entity, delimiter, encoding: prepared.file_encoding.name() };
        let plan = FilePlan::new(layout, &headers, None, options, notices)?;
        Ok(CsvFile { plan: Arc::new(plan), rows: Rows::Text(Box::new(rows)) })
    }

    /// A worksheet read as a CSV file: `plan` from its header row, `rows` its data rows.
    pub(super) fn sheet(plan: Arc<FilePlan>, rows: super::sheet::SheetRows) -> CsvFile {
        CsvFile { plan, rows: Rows::Sheet(rows) }
    }

    /// The next data row, or `None` at the end of the file.
    pub fn next_row(&mut self) -> Result<Option<RawRow>> {
        match &mut self.rows {
            Rows::Text(rows) => rows.next_row(),
            Rows::Sheet(rows) => rows.next_row(),
        }
    }
}

/// How a table's text is laid out, before its header is read.
pub(crate) struct Layout {
    /// The file's name as the user gave it.
    pub source: Arc<str>,
    /// What its rows are.
    pub entity: Entity,
    /// The cell delimiter of the row text.
    pub delimiter: u8,
    /// The text encoding, for messages.
    pub encoding: &'static str,
}

impl FilePlan {
    /// The plan of a table with these header cells, checked, its layout described in
    /// `notices`; `sheet` names the worksheet it is, if one.
    pub(crate) fn new(
        layout: Layout,
        header: &[&str],
        sheet: Option<Arc<str>>,
        options: &ReadOptions,
        notices: &mut Vec<Notice>,
    ) -> Result<FilePlan> {
        let Layout { source, entity, delimiter, encoding } = layout;
        let headers: Vec<String> = header
            .iter()
            .map(|h| h.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}').to_string())
            .collect();
        let mapping = options.mapping.as_ref();
        let targets: Vec<Target> =
            headers.iter().map(|h| mapping::resolve(entity, h, mapping)).collect();
        let plan = FilePlan {
            shape: Shape::of_file(entity, &targets),
            id_column: targets.iter().position(|t| match t {
                Target::Field(f) => entity == Entity::Pupil && f.key == "id",
                Target::PupilRef => true,
                _ => false,
            }),
            source,
            entity,
            delimiter,
            encoding,
            headers,
            targets,
            sheet,
        };
        plan.check(notices)?;
        Ok(plan)
    }

    /// The location of a row of this table.
    pub(crate) fn location(&self, record: u64, line: u64, byte: u64) -> Location {
        Location { source: self.source.clone(), record, line, byte, sheet: self.sheet.clone() }
    }

    /// Where a problem with `field` on the row at `row` is: in a worksheet the field's cell
    /// (`Oceny!C17`), else the row.
    pub(crate) fn problem_location(&self, row: &Location, field: &str) -> Location {
        let column = match self.sheet {
            Some(_) if !field.is_empty() => {
                (0..self.targets.len()).find(|&i| self.field_path(i) == field)
            }
            _ => None,
        };
        match column {
            Some(i) => Location { byte: i as u64 + 1, ..row.clone() },
            None => row.clone(),
        }
    }

    /// The table's name in messages: the file, and its sheet if it is a worksheet.
    fn name(&self) -> String {
        match &self.sheet {
            Some(sheet) => format!("{}: sheet `{sheet}`", self.source),
            None => self.source.to_string(),
        }
    }

    /// Refuse layouts that would lose data silently, and describe the file in notices.
    fn check(&self, notices: &mut Vec<Notice>) -> Result<()> {
        self.refuse_unusable_layout()?;
        self.describe(notices);
        Ok(())
    }

    /// A layout that would read nothing, read one meaning twice or could not be joined.
    fn refuse_unusable_layout(&self) -> Result<()> {
        let known = self.targets.iter().filter(|t| !matches!(t, Target::Unknown)).count();
        if known == 0 {
            // Never list the headers here: a file without a header row would have its first
            // record's values printed.
            return Err(Error::input(
                self.name(),
                format!(
                    "none of the {} column headers is known to teczka: the first row must be a \
                     header row with the names the README lists, or pass a mapping file \
                     (`--mapping`)",
                    self.headers.len()
                ),
            ));
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, target) in self.targets.iter().enumerate() {
            let meaning = match target {
                Target::Field(f) => f.path.clone(),
                Target::PupilRef => "the pupil id".to_string(),
                Target::Address { slot, field } => format!("address {} {}", slot + 1, field.key),
                Target::Guardian { number, field } => format!("guardian {number} {}", field.key),
                Target::Skip | Target::Unknown => continue,
            };
            if let Some(first) = seen.insert(meaning.clone(), i) {
                return Err(Error::input(
                    self.name(),
                    format!(
                        "columns {} and {} both mean `{meaning}`: remove one, or map one \
                         elsewhere in a mapping file",
                        self.column_name(first),
                        self.column_name(i)
                    ),
                ));
            }
        }
        if self.entity != Entity::Pupil && self.id_column.is_none() {
            return Err(Error::input(
                self.name(),
                format!(
                    "no column names the pupil of each {} row: add a `pupil_id` (or \
                     `id_ucznia`) column, or map one in a mapping file",
                    self.entity
                ),
            ));
        }
        Ok(())
    }

    /// The notices: how the file was read, and the columns whose data is left behind.
    fn describe(&self, notices: &mut Vec<Notice>) {
        let source = self.name();
        let delimiter = match self.delimiter {
            b'\t' => "tab".to_string(),
            d => format!("`{}`", d as char),
        };
        let how = match self.sheet {
            Some(_) => format!("a worksheet, {} columns", self.headers.len()),
            None => format!(
                "{}, cells separated by {delimiter}, {} columns",
                self.encoding,
                self.headers.len()
            ),
        };
        notices.push(Notice::info(&source, format!("read as {} records, {how}", self.entity)));
        let list = |wanted: fn(&Target) -> bool| -> Vec<String> {
            (0..self.targets.len())
                .filter(|&i| wanted(&self.targets[i]))
                .map(|i| self.column_name(i))
                .collect()
        };
        let unknown = list(|t| matches!(t, Target::Unknown));
        if !unknown.is_empty() {
            let (noun, is, its, it) = if unknown.len() == 1 {
                ("column", "is", "its", "it")
            } else {
                ("columns", "are", "their", "them")
            };
            let dropped_columns = (0..self.targets.len())
                .filter(|&i| matches!(self.targets[i], Target::Unknown))
                .map(|i| match self.headers.get(i) {
                    Some(h) if !h.is_empty() => h.clone(),
                    _ => format!("column {}", i + 1),
                })
                .collect();
            notices.push(Notice {
                source: source.clone(),
                level: NoticeLevel::Warning,
                message: format!(
                    "{noun} {} {is} not known to teczka: {its} data will NOT be carried over; to \
                     keep it, add {it} to a mapping file (`--mapping`), or map {it} to \"-\" \
                     there to confirm leaving {it} out",
                    unknown.join(", ")
                ),
                dropped_columns,
            });
        }
        let skipped = list(|t| matches!(t, Target::Skip));
        if !skipped.is_empty() {
            notices.push(Notice::info(
                source,
                format!("left out as the mapping file says: {}", skipped.join(", ")),
            ));
        }
    }

    /// `` `nazwisko` `` or, for a header left empty, `column 7`.
    /// In a worksheet: `` `ocena` (column C) `` or `column C (no name)`.
    fn column_name(&self, i: usize) -> String {
        let header = self.headers.get(i).filter(|h| !h.is_empty());
        match (header, &self.sheet) {
            (Some(h), None) => format!("`{h}`"),
            (None, None) => format!("column {} (no name)", i + 1),
            (Some(h), Some(_)) => format!("`{h}` (column {})", column_letters(i as u64)),
            (None, Some(_)) => format!("column {} (no name)", column_letters(i as u64)),
        }
    }

    /// The field path a column's problems are reported under.
    fn field_path(&self, i: usize) -> String {
        match self.targets.get(i) {
            Some(Target::Field(f)) => f.path.clone(),
            Some(Target::Address { field, .. } | Target::Guardian { field, .. }) => {
                field.path.clone()
            }
            _ => self.headers.get(i).cloned().unwrap_or_default(),
        }
    }
}

/// Splits a byte stream into raw CSV rows with their positions, holding one row at a time.
struct RowReader {
    input: Box<dyn Read + Send>,
    core: csv_core::Reader,
    /// Bytes read but not yet given out as rows: `buf[row_start..pos]` is the row being
    /// parsed, `buf[pos..]` is read ahead.
    buf: Vec<u8>,
    pos: usize,
    row_start: usize,
    /// The file offset of `buf[0]`.
    base: u64,
    eof: bool,
    /// The line number at `row_start`.
    line: u64,
    next_record: u64,
    /// `csv_core` insists on writing the unescaped cells somewhere; rows are split again from
    /// their decoded text, so these are only scratch space.
    scratch: Vec<u8>,
    scratch_ends: Vec<usize>,
    decoder: TextDecoder,
    delimiter: u8,
    source: Arc<str>,
    max_record_bytes: usize,
    finished: bool,
}

impl RowReader {
    fn next_row(&mut self) -> Result<Option<RawRow>> {
        if self.finished {
            return Ok(None);
        }
        loop {
            if self.pos == self.buf.len() && !self.eof {
                self.refill()?;
                continue;
            }
            let (result, read, _, _) = self.core.read_record(
                &self.buf[self.pos..],
                &mut self.scratch,
                &mut self.scratch_ends,
            );
            self.pos += read;
            if self.pos - self.row_start > self.max_record_bytes {
                self.finished = true;
                return Err(Error::limit(
                    self.location(0),
                    "CSV row length",
                    self.max_record_bytes as u64,
                    "a quote may be missing its closing pair; fix the file, or raise \
                     --max-record-bytes if it is trusted",
                ));
            }
            match result {
                csv_core::ReadRecordResult::Record if self.eof && self.pos == self.buf.len() => {
                    self.refuse_open_quote()?;
                    return Ok(Some(self.take_row()));
                }
                csv_core::ReadRecordResult::Record => return Ok(Some(self.take_row())),
                csv_core::ReadRecordResult::End => {
                    self.finished = true;
                    return Ok(None);
                }
                csv_core::ReadRecordResult::InputEmpty
                | csv_core::ReadRecordResult::OutputFull
                | csv_core::ReadRecordResult::OutputEndsFull => {}
            }
        }
    }

    /// The last row of the file must not end inside a quoted cell: `csv_core` would give
    /// everything after the opening quote as one cell, swallowing the rows in it.
    fn refuse_open_quote(&mut self) -> Result<()> {
        let raw = &self.buf[self.row_start..self.pos];
        let Some(quote) = open_quote(raw, self.delimiter) else { return Ok(()) };
        self.finished = true;
        let mut location = self.location(quote);
        location.line += count_newlines(&raw[..quote]);
        let swallowed = count_newlines(&raw[quote..]);
        Err(Error::syntax(
            location,
            format!(
                "a quote opens a cell here and is never closed: the {swallowed} line(s) from \
                 here to the end of the file would be one cell; close the quote (or double it, \
                 `\"\"`, where it is part of the value) and read the file again"
            ),
        ))
    }

    fn location(&self, skipped: usize) -> Location {
        Location {
            source: self.source.clone(),
            record: self.next_record,
            line: self.line,
            byte: self.base + (self.row_start + skipped) as u64,
            sheet: None,
        }
    }

    /// Read more input, first dropping the bytes of rows already given out.
    fn refill(&mut self) -> Result<()> {
        self.buf.drain(..self.row_start);
        self.base += self.row_start as u64;
        self.pos -= self.row_start;
        self.row_start = 0;
        let old = self.buf.len();
        self.buf.resize(old + CHUNK_BYTES, 0);
        let read = loop {
            match self.input.read(&mut self.buf[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.finished = true;
                    return Err(Error::io(&*self.source, e));
                }
            }
        };
        self.buf.truncate(old + read);
        self.eof = read == 0;
        Ok(())
    }

    /// Give out `buf[row_start..pos]` as a row: blank lines and the previous row's line
    /// terminator before it are skipped (and counted), its own terminator is cut off.
    fn take_row(&mut self) -> RawRow {
        let raw = &self.buf[self.row_start..self.pos];
        let lead = raw.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        self.line += count_newlines(&raw[..lead]);
        let body = &raw[lead..];
        let end = body.len() - body.iter().rev().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        let location = self.location(lead);
        let text = self.decoder.decode(&body[..end]);
        self.line += count_newlines(body);
        self.next_record += 1;
        self.row_start = self.pos;
        RawRow { location, text }
    }
}

/// The offset of the quote that opens a cell of `row` and is still open at its end, if one
/// is. Quotes count as `csv_core` counts them: only at the start of a cell, `""` inside a
/// quoted cell is one quote, and after the closing quote the cell goes on unquoted.
fn open_quote(row: &[u8], delimiter: u8) -> Option<usize> {
    let (mut opened, mut at_cell_start) = (None, true);
    let mut bytes = row.iter().enumerate().peekable();
    while let Some((i, &b)) = bytes.next() {
        match opened {
            // `""` inside a quoted cell is a quote; a lone `"` closes the cell.
            Some(_) if b == b'"' && bytes.next_if(|(_, &next)| next == b'"').is_none() => {
                opened = None;
            }
            Some(_) => {}
            None if b == b'"' && at_cell_start => opened = Some(i),
            None => {}
        }
        at_cell_start = opened.is_none() && (b == delimiter || b == b'\n' || b == b'\r');
    }
    opened
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Splits one row's decoded text into its cells (unquoting them).
pub(crate) struct Splitter {
    delimiter: u8,
    core: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
}

/// Run `f` with this thread's splitter for `delimiter`. Building one compiles csv_core's
/// state machine, which costs more than splitting a few rows: each thread keeps its own.
fn with_splitter<T>(delimiter: u8, f: impl FnOnce(&mut Splitter) -> T) -> T {
    thread_local! {
        static SPLITTERS: std::cell::RefCell<Vec<Splitter>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    SPLITTERS.with(|cell| {
        let mut splitters = cell.borrow_mut();
        let at = match splitters.iter().position(|s| s.delimiter == delimiter) {
            Some(at) => at,
            None => {
                splitters.push(Splitter::new(delimiter));
                splitters.len() - 1
            }
        };
        f(&mut splitters[at])
    })
}

impl Splitter {
    /// A splitter for cells separated by `delimiter`.
    pub fn new(delimiter: u8) -> Splitter {
        Splitter {
            delimiter,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            out: Vec::new(),
            ends: vec![0; 64],
        }
    }

    /// The cells of `text`, which holds exactly one row.
    pub fn split<'a>(&'a mut self, text: &'a str) -> Vec<&'a str> {
        // Without quotes or line breaks csv_core only cuts at the delimiter: the cells are
        // slices of the text, with no copy (most rows of real exports; a tenth of `validate`).
        let plain = |b: u8| !matches!(b, b'"' | b'\r' | b'\n');
        if self.delimiter.is_ascii() && !text.is_empty() && text.bytes().all(plain) {
            return text.split(char::from(self.delimiter)).collect();
        }
        self.split_by_csv_core(text)
    }

    /// The cells of `text` as csv_core unquotes them.
    fn split_by_csv_core<'a>(&'a mut self, text: &'a str) -> Vec<&'a str> {
        self.core.reset();
        // Unquoting only ever shortens the text, so the output always fits.
        self.out.resize(text.len() + 1, 0);
        let mut input = text.as_bytes();
        let (mut nout, mut nend) = (0, 0);
        loop {
            // Once the text is used up, the empty input tells csv_core the row has ended.
            let (result, read, wrote, ended) =
                self.core.read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            input = &input[read..];
            nout += wrote;
            nend += ended;
            match result {
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                csv_core::ReadRecordResult::OutputFull => {
                    let len = self.out.len();
                    self.out.resize(len * 2 + 1, 0);
                }
                csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => break,
            }
        }
        // csv_core only drops ASCII quotes and cuts at the ASCII delimiter, so the cells of valid
        // UTF-8 text are valid UTF-8 and every end is a char boundary: one check for the row
        // (a call per cell cost 4 % of a validate run).
        let all = std::str::from_utf8(&self.out[..nout]).unwrap_or("");
        let mut cells = Vec::with_capacity(nend);
        let mut start = 0;
        for &end in &self.ends[..nend] {
            cells.push(all.get(start..end).unwrap_or(""));
            start = end;
        }
        cells
    }
}

/// The delimiter among `;` `,` tab that splits the header into more than one column and the
/// following rows into as many; ties go to the more columns, then to `;` (Polish and Czech
/// Excel), `,`, tab in that order.
pub(crate) fn detect_delimiter(head: &[u8], complete: bool) -> u8 {
    let mut best = (b';', (false, 0, 0));
    for delimiter in [b';', b',', b'\t'] {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(head);
        let mut counts: Vec<usize> =
            reader.byte_records().take(50).map_while(|r| r.ok()).map(|r| r.len()).collect();
        if !complete && counts.len() > 1 {
            // The sample may end in the middle of a row.
            counts.pop();
        }
        let Some(&header) = counts.first() else { continue };
        let consistent = counts[1..].iter().filter(|&&n| n == header).count();
        let key = (header > 1, consistent, header);
        if key > best.1 {
            best = (delimiter, key);
        }
    }
    best.0
}

/// A problem found while reading one row: field path, rule, message.
pub(crate) type Problem = (String, Rule, String);

/// What a row's cells say.
pub(crate) struct Assigned<'c> {
    /// Per column, its cell parsed by its field's kind; `None` for an empty cell, one that
    /// did not parse (see `problems`) and a column that maps to no field.
    pub cells: Vec<Option<Cell<'c>>>,
    /// The id cell (the pupil's own id, or a child row's pupil reference), trimmed.
    pub id: Option<String>,
    /// Whether the row's values are not used: it has the wrong number of cells, or none of
    /// its cells holds anything (Excel's blank rows, only delimiters).
    pub unusable: bool,
    /// What went wrong.
    pub problems: Vec<Problem>,
}

/// Parse the cells of one row by the plan.
pub(crate) fn assign<'c>(plan: &FilePlan, cells: &[&'c str], limits: &Limits) -> Assigned<'c> {
    let mut out = Assigned {
        cells: Vec::new(),
        id: plan.id_column.and_then(|i| cells.get(i)).map(|c| c.trim().to_string()),
        unusable: false,
        problems: Vec::new(),
    };
    if let Some(problem) = unusable_row(plan, cells) {
        out.unusable = true;
        out.problems.push(problem);
        return out;
    }
    out.cells.reserve_exact(cells.len());
    for (i, (&cell, target)) in cells.iter().zip(&plan.targets).enumerate() {
        let parsed = match target {
            Target::Field(field)
            | Target::Address { field, .. }
            | Target::Guardian { field, .. } => parse_column(plan, i, field, cell, limits),
            Target::PupilRef | Target::Skip | Target::Unknown => Ok(None),
        };
        out.cells.push(parsed.unwrap_or_else(|problem| {
            out.problems.push(problem);
            None
        }));
    }
    out
}

/// Parse the cell of column `i`, whose field is `field`: its value, or the problem with it.
fn parse_column<'c>(
    plan: &FilePlan,
    i: usize,
    field: &'static FieldSpec,
    cell: &'c str,
    limits: &Limits,
) -> std::result::Result<Option<Cell<'c>>, Problem> {
    // `is_ascii` first: most cells are digits and dates, and the char search costs more.
    if !cell.is_ascii() && cell.contains(DAMAGED) {
        return Err(damaged_cell(plan, i));
    }
    if cell.len() > limits.max_field_bytes {
        return Err((
            plan.field_path(i),
            Rule::FieldSize,
            format!(
                "column {}: the value is {} bytes long, over the limit of {}; raise \
                 --max-field-bytes if the file is trusted",
                plan.column_name(i),
                cell.len(),
                limits.max_field_bytes
            ),
        ));
    }
    parse_cell(&field.kind, cell).map_err(|message| {
        (plan.field_path(i), Rule::Type, format!("column {}: {message}", plan.column_name(i)))
    })
}

/// Why a row cannot be read cell by cell, if it cannot: blank, ragged (more or fewer cells than
/// the header), or holding whole rows inside a quoted cell.
fn unusable_row(plan: &FilePlan, cells: &[&str]) -> Option<Problem> {
    if cells.iter().all(|cell| cell.trim().is_empty()) {
        return Some((
            String::new(),
            Rule::BlankRow,
            "the row holds no values, only delimiters (a blank row in a spreadsheet): skipped"
                .into(),
        ));
    }
    if cells.len() != plan.targets.len() {
        let message = match plan.sheet {
            Some(_) => format!(
                "the row has a value in column {}, right of the last column with a header ({}): \
                 give that column a header (or move the value) and read the file again",
                column_letters(cells.len() as u64 - 1),
                column_letters(plan.targets.len().saturating_sub(1) as u64)
            ),
            None => format!(
                "the row has {} cells but the header has {}: a delimiter or a quote is missing \
                 or extra in this row; fix it and read the file again{}",
                cells.len(),
                plan.targets.len(),
                spanned_lines(cells)
            ),
        };
        return Some((String::new(), Rule::RaggedRow, message));
    }
    // A worksheet's cells are split by the reader, never by quotes in the text; and only a
    // cell with a line break can hold swallowed rows (one look per cell, most have none).
    if plan.sheet.is_some() || !cells.iter().any(|cell| cell.as_bytes().contains(&b'\n')) {
        return None;
    }
    swallowed_rows(plan, cells)
}

/// For a row whose quoted cells hold line breaks: how many lines it took, since a quote
/// missing its closing pair makes one row of the lines up to the next quote.
fn spanned_lines(cells: &[&str]) -> String {
    let breaks: usize = cells.iter().map(|c| c.matches('\n').count()).sum();
    if breaks == 0 {
        return String::new();
    }
    format!(
        " (the row runs over {} lines: a quote opened in it is probably missing its closing \
         pair, and the lines up to the next quote were read as part of this row)",
        breaks + 1
    )
}

/// The problem of a row whose quoted cell holds lines that look like whole rows (as many
/// delimiters as the header has): a quote missing its closing pair joined them into the cell,
/// where they would pass as one long value and the pupils in them would be lost.
fn swallowed_rows(plan: &FilePlan, cells: &[&str]) -> Option<Problem> {
    let row_like = |line: &str| {
        line.bytes().filter(|&b| b == plan.delimiter).count() + 1 >= plan.targets.len()
    };
    cells.iter().enumerate().find_map(|(i, cell)| {
        let rows = cell.lines().skip(1).filter(|line| row_like(line)).count();
        (rows > 0).then(|| {
            (
                plan.field_path(i),
                Rule::RaggedRow,
                format!(
                    "column {}: the cell runs over {} lines and {rows} of them look like whole \
                     rows: a quote opened in it is probably missing its closing pair, so the \
                     rows up to the next quote were read into this cell; fix the quote and read \
                     the file again",
                    plan.column_name(i),
                    cell.lines().count()
                ),
            )
        })
    })
}

/// The problem of a cell holding bytes that are not valid in the file's encoding.
fn damaged_cell(plan: &FilePlan, i: usize) -> Problem {
    (
        plan.field_path(i),
        Rule::Encoding,
        format!(
            "column {}: holds bytes that are not valid {} (damaged in a copy, or pasted from a \
             file in another encoding); correct the value and read the file again, or pass \
             `--encoding` if the whole file is in another encoding",
            plan.column_name(i),
            plan.encoding
        ),
    )
}

/// Where the ids of a file's pupils come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowIds {
    /// The file's id column.
    Column,
    /// No id column: `row-1`, `row-2`, … by row order.
    Numbered,
    /// No id column, and another file of the run is numbered too: `FILE:row-1`, …
    NumberedInFile,
}

impl RowIds {
    /// The id the row at `location` gets, when the file has no id column.
    fn of(self, location: &Location) -> Option<String> {
        match self {
            RowIds::Column => None,
            RowIds::Numbered => Some(format!("row-{}", location.record + 1)),
            RowIds::NumberedInFile => {
                Some(format!("{}:row-{}", location.source, location.record + 1))
            }
        }
    }

    /// What the user is told about the ids of `source`.
    fn notice(self, source: &str) -> String {
        let (prefix, why) = match self {
            RowIds::NumberedInFile => (
                format!("{source}:row-"),
                " (with the file's name: another input numbers its rows too)",
            ),
            _ => ("row-".to_string(), ""),
        };
        format!(
            "no pupil id column (`id`, `id_ucznia`, `pupil_id`): pupils get the ids `{prefix}1`, \
             `{prefix}2`, … by their row order{why}"
        )
    }
}

/// Whether `filter` lets a row through: by its text, or by the id the row will get when the
/// file has none (which appears nowhere in the text).
fn admitted(filter: &Prefilter, row: &RawRow, ids: RowIds) -> bool {
    filter.admits(&row.text) || ids.of(&row.location).is_some_and(|id| filter.admits(&id))
}

/// The record of a row a prefilter ruled out: its part, and a pupil holding only the id the
/// row would get when the file has no id column.
fn unparsed_record(row: RawRow, ids: RowIds) -> Record {
    let id = ids.of(&row.location).unwrap_or_default();
    let part = Part { entity: Entity::Pupil, location: row.location, original: row.text };
    Record { pupil: Pupil { id, ..Pupil::default() }, parts: vec![part], ..Record::default() }
}

/// Build the record of one pupil row.
pub(crate) fn pupil_record(
    plan: &FilePlan,
    row: RawRow,
    splitter: &mut Splitter,
    limits: &Limits,
    ids: RowIds,
) -> Record {
    let synthetic = ids.of(&row.location);
    let (pupil, problems) = {
        let cells = splitter.split(&row.text);
        let assigned = assign(plan, &cells, limits);
        let own_id = plan.id_column.and_then(|i| assigned.cells.get(i)?.as_ref());
        // The pupil keeps its id as written (only matching trims it), unless it has none.
        let id = match (synthetic, own_id) {
            (Some(id), _) => Some(id),
            (None, Some(_)) => None,
            (None, None) => Some(assigned.id.clone().unwrap_or_default()),
        };
        let values = Row { cells: &assigned.cells, id: id.as_deref() };
        let mut problems = assigned.problems;
        let pupil = plan.shape.build::<Pupil>(&values).unwrap_or_else(|_| {
            problems.push((
                String::new(),
                Rule::Type,
                "the row could not be assembled into a pupil; please report this as a bug".into(),
            ));
            let id = id.or(assigned.id).unwrap_or_default();
            Pupil { id, ..Pupil::default() }
        });
        (pupil, problems)
    };
    let mut record = Record { pupil, ..Record::default() };
    for (field, rule, message) in problems {
        let location = plan.problem_location(&row.location, &field);
        record.report_at(location, &field, rule, rule.reader_severity(), message);
    }
    let part = Part { entity: Entity::Pupil, location: row.location, original: row.text };
    record.parts.push(part);
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::model::record::Severity;
    use crate::model::{AddressKind, Sex};
    use chrono::NaiveDate;

    fn reader(data: &[u8]) -> CsvReader {
        CsvReader::new(io::Cursor::new(data.to_vec()), "p.csv", &ReadOptions::default()).unwrap()
    }

    #[test]
    fn rows_a_prefilter_rules_out_come_unparsed_in_order_with_their_positions() {
        let mut data = String::from("id;surname;pesel\n");
        for n in 0..600 {
            data.push_str(&format!("P{n};Nowak;{}\n", if n == 437 { "02211307589" } else { "" }));
        }
        let options = ReadOptions {
            prefilter: Some(Prefilter::new(|text| text.contains("02211307589"))),
            ..ReadOptions::default()
        };
        let records: Vec<Record> =
            CsvReader::new(io::Cursor::new(data.into_bytes()), "p.csv", &options)
                .unwrap()
                .collect::<Result<_>>()
                .unwrap();
        assert_eq!(records.len(), 600, "every row is still a record");
        for (n, record) in records.iter().enumerate() {
            assert_eq!(record.location().record, n as u64);
            assert_eq!(record.location().line, n as u64 + 2);
            if n == 437 {
                assert_eq!(record.pupil.id, "P437");
                assert_eq!(record.pupil.pesel.as_deref(), Some("02211307589"));
            } else {
                assert_eq!(record.pupil, Pupil::default(), "row {n} is not parsed");
                assert!(record.parts[0].original.starts_with(&format!("P{n};")));
            }
        }
    }

    #[test]
    fn without_an_id_column_a_prefilter_also_sees_the_id_a_row_will_get() {
        let data = b"surname;pesel\nNowak;\nKowal;\nLis;\n";
        let options = ReadOptions {
            prefilter: Some(Prefilter::new(|text| text == "row-2")),
            ..ReadOptions::default()
        };
        let records: Vec<Record> =
            CsvReader::new(io::Cursor::new(data.to_vec()), "p.csv", &options)
                .unwrap()
                .collect::<Result<_>>()
                .unwrap();
        let ids: Vec<&str> = records.iter().map(|r| r.pupil.id.as_str()).collect();
        assert_eq!(ids, ["row-1", "row-2", "row-3"]);
        let surnames: Vec<Option<&str>> =
            records.iter().map(|r| r.pupil.surname.as_deref()).collect();
        assert_eq!(surnames, [None, Some("Kowal"), None]);
    }

    fn read(data: &[u8]) -> Vec<Record> {
        reader(data).collect::<Result<_>>().unwrap()
    }

    fn loc(record: u64, line: u64, byte: u64) -> Location {
        Location { source: "p.csv".into(), record, line, byte, sheet: None }
    }

    #[test]
    fn delimiter_is_detected_from_the_header_and_rows() {
        assert_eq!(detect_delimiter(b"id;nazwisko;imie\n1;Nowak, Anna;x\n", true), b';');
        assert_eq!(detect_delimiter(b"id,nazwisko,imie\n1,\"Nowak; Anna\",x\n", true), b',');
        assert_eq!(detect_delimiter(b"id\tnazwisko\n1\tNowak\n", true), b'\t');
        // A comma inside the header's names is outvoted by consistent row lengths.
        assert_eq!(detect_delimiter(b"a;b,c;d\n1;2;3\n4;5;6\n", true), b';');
        assert_eq!(detect_delimiter(b"id\n1\n", true), b';');
    }

    #[test]
    fn csv2sou_row_maps_to_pupil_with_inline_address_and_guardians() {
        let data = "nazwisko;IMIE;imie2;plec;data_ur;pesel;poziom;symbol;ADRES_U_miejscowosc;\
                    ADRES_U_kod;ADRES_Z_ktg;ADRES_Z_ulica;OPIEKUN2_nazwisko;OPIEKUN1_nazwisko;\
                    OPIEKUN1_ADRES_miejscowosc;OPIEKUN1_wladza\r\n\
                    Nowak;Anna;Maria;k;07.03.2012;12230701234;2;c;Kraków;30-001;\
                    korespondencyjny;Długa;Kowalski;Nowakowa;Wieliczka;t\r\n";
        let records = read(data.as_bytes());
        assert_eq!(records.len(), 1);
        let p = &records[0].pupil;
        assert_eq!(p.id, "row-1");
        assert_eq!(p.first_name.as_deref(), Some("Anna"));
        assert_eq!(p.sex, Some(Sex::Female));
        assert_eq!(p.birth_date, NaiveDate::from_ymd_opt(2012, 3, 7));
        let enrolment = p.enrolment.as_ref().unwrap();
        assert_eq!(enrolment.class_level.as_deref(), Some("2"));
        assert_eq!(p.addresses.len(), 2);
        assert_eq!(p.addresses[0].kind, Some(AddressKind::Residence));
        assert_eq!(p.addresses[0].postcode.as_deref(), Some("30-001"));
        // `ktg` overrides the slot's default kind.
        assert_eq!(p.addresses[1].kind, Some(AddressKind::Correspondence));
        // Guardians come in number order, whatever the column order.
        assert_eq!(p.guardians[0].surname.as_deref(), Some("Nowakowa"));
        assert_eq!(p.guardians[0].parental_rights, Some(true));
        assert_eq!(
            p.guardians[0].address.as_ref().and_then(|a| a.town.as_deref()),
            Some("Wieliczka")
        );
        assert_eq!(p.guardians[1].surname.as_deref(), Some("Kowalski"));
        assert!(records[0].problems.is_empty(), "{:?}", records[0].problems);
    }

    #[test]
    fn header_case_bom_and_spaces_do_not_matter() {
        let records = read(b"\xEF\xBB\xBF ID ;NAZWISKO;Imi\xC4\x99\n7;Nowak;Anna\n");
        assert_eq!(records[0].pupil.id, "7");
        assert_eq!(records[0].pupil.surname.as_deref(), Some("Nowak"));
        assert_eq!(records[0].pupil.first_name.as_deref(), Some("Anna"));
        // The BOM counts in byte offsets: they are offsets in the file on disk.
        assert_eq!(records[0].location(), loc(0, 2, 23));
    }

    #[test]
    fn unknown_columns_are_named_in_a_warning_without_values() {
        let reader =
            reader(b"id;nazwisko;ADRES_U_tel;ulubiony_kolor;\n1;Nowak;600100200;zielony;\n");
        let warnings: Vec<_> =
            reader.notices().iter().filter(|n| n.level == NoticeLevel::Warning).collect();
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            warnings[0].message,
            "columns `ADRES_U_tel`, `ulubiony_kolor`, column 5 (no name) are not known to \
             teczka: their data will NOT be carried over; to keep it, add them to a mapping \
             file (`--mapping`), or map them to \"-\" there to confirm leaving them out"
        );
        assert_eq!(warnings[0].source, "p.csv");
        assert!(!warnings[0].message.contains("600100200"));
        let info = &reader.notices()[0];
        assert_eq!(
            info.message,
            "read as pupils records, UTF-8, cells separated by `;`, 5 columns"
        );
    }

    #[test]
    fn a_file_without_a_known_header_is_refused_without_echoing_it() {
        let err =
            CsvReader::new(&b"Nowak;Anna;12230701234\n"[..], "p.csv", &ReadOptions::default())
                .err()
                .unwrap()
                .to_string();
        assert!(err.contains("none of the 3 column headers is known"), "{err}");
        assert!(!err.contains("Nowak"), "{err}");
    }

    #[test]
    fn duplicate_meanings_are_refused() {
        let err = CsvReader::new(&b"nazwisko;surname\n"[..], "p.csv", &ReadOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            err,
            "p.csv: columns `nazwisko` and `surname` both mean `surname`: remove one, or map one \
             elsewhere in a mapping file"
        );
    }

    #[test]
    fn ragged_rows_become_rejected_records_and_reading_goes_on() {
        let records = read(b"id;nazwisko;imie\n1;Nowak\n2;Zaj\xC4\x85c;Piotr;extra\n3;Kot;Ola\n");
        assert_eq!(records.len(), 3);
        let ragged = &records[0].problems[0];
        assert_eq!(ragged.rule, Rule::RaggedRow);
        assert_eq!(ragged.location, loc(0, 2, 17));
        assert_eq!(ragged.record_id.as_deref(), Some("1"));
        assert!(ragged.message.starts_with("the row has 2 cells but the header has 3"));
        assert_eq!(records[1].problems[0].rule, Rule::RaggedRow);
        assert!(records[2].problems.is_empty());
        assert_eq!(records[2].pupil.first_name.as_deref(), Some("Ola"));
        assert_eq!(records[0].parts[0].original, "1;Nowak");
    }

    #[test]
    fn type_errors_are_violations_at_the_exact_location() {
        let data = b"id;data_ur;plec\r\n1;07.03.2012;k\r\n2;31.02.2012;x\r\n";
        let records = read(data);
        assert!(records[0].problems.is_empty());
        let problems = &records[1].problems;
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].location, loc(1, 3, 33));
        assert_eq!(problems[0].field, "birth_date");
        assert_eq!(problems[0].rule, Rule::Type);
        assert_eq!(
            problems[0].message,
            "column `data_ur`: not a real calendar date: write it as YYYY-MM-DD or DD.MM.YYYY"
        );
        assert_eq!(problems[1].field, "sex");
        assert!(!problems[1].message.contains("31.02"));
        // The record is still produced, with what did parse.
        assert_eq!(records[1].pupil.id, "2");
        assert_eq!(records[1].parts[0].original, "2;31.02.2012;x");
    }

    #[test]
    fn quoted_multi_line_fields_keep_line_numbers_and_exact_text() {
        let data = "id;nazwisko;imie\n\
                    1;\"Nowak\nKowalska\";\"Anna \"\"Ania\"\"\"\n\
                    \n\
                    2;Kot;\"Ola\r\nOla\"\n\
                    3;Lis;Ewa";
        let records = read(data.as_bytes());
        let locations: Vec<_> = records.iter().map(|r| r.location()).collect();
        assert_eq!(locations, vec![loc(0, 2, 17), loc(1, 5, 53), loc(2, 7, 70)]);
        assert_eq!(records[0].pupil.surname.as_deref(), Some("Nowak\nKowalska"));
        assert_eq!(records[0].pupil.first_name.as_deref(), Some("Anna \"Ania\""));
        assert_eq!(records[0].parts[0].original, "1;\"Nowak\nKowalska\";\"Anna \"\"Ania\"\"\"");
        assert_eq!(records[1].pupil.first_name.as_deref(), Some("Ola\r\nOla"));
        assert_eq!(records[2].pupil.first_name.as_deref(), Some("Ewa"));
    }

    #[test]
    fn windows_1250_rows_are_decoded_and_offsets_stay_on_disk_bytes() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1250.encode("id;nazwisko\n1;Świątek\n2;Łęcka\n");
        let records = read(&bytes);
        assert_eq!(records[0].pupil.surname.as_deref(), Some("Świątek"));
        assert_eq!(records[1].pupil.surname.as_deref(), Some("Łęcka"));
        // `Świątek` is 7 bytes in Windows-1250 (10 in UTF-8).
        assert_eq!(records[1].location(), loc(1, 3, 22));
        let (bytes, _, _) = encoding_rs::ISO_8859_2.encode("id;nazwisko\n1;Ścibor\n");
        assert_eq!(read(&bytes)[0].pupil.surname.as_deref(), Some("Ścibor"));
    }

    #[test]
    fn forced_encoding_and_delimiter_are_obeyed() {
        let options = ReadOptions {
            encoding: Some(encoding_rs::ISO_8859_2),
            delimiter: Some(b','),
            ..ReadOptions::default()
        };
        // 0xB1 is `ą` in ISO-8859-2; `;` is data, not a delimiter, here.
        let records: Vec<_> = CsvReader::new(&b"id,nazwisko\n1,W\xB1s;ik\n"[..], "p.csv", &options)
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(records[0].pupil.surname.as_deref(), Some("Wąs;ik"));
    }

    #[test]
    fn invalid_utf8_rejects_only_its_row_naming_the_column() {
        let data = b"id;nazwisko;imie\n1;Nowak;Anna\n2;J\xF3zefowicz;Jan\n3;Kot;Ewa\n".to_vec();
        let options = ReadOptions { encoding: Some(encoding_rs::UTF_8), ..ReadOptions::default() };
        let reader = CsvReader::new(io::Cursor::new(data), "p.csv", &options).unwrap();
        let records: Vec<Record> = reader.collect::<Result<_>>().unwrap();
        assert_eq!(records.len(), 3);
        assert!(records[0].problems.is_empty() && records[2].problems.is_empty());
        let damaged = &records[1];
        assert!(damaged.is_rejected());
        assert_eq!(damaged.problems.len(), 1, "{:?}", damaged.problems);
        let problem = &damaged.problems[0];
        assert_eq!((problem.rule, problem.field.as_str()), (Rule::Encoding, "surname"));
        assert_eq!(problem.location, loc(1, 3, 30));
        assert!(problem
            .message
            .starts_with("column `nazwisko`: holds bytes that are not valid UTF-8"));
        // The undamaged cells of the row are still read; the damaged one is not.
        assert_eq!(damaged.pupil.first_name.as_deref(), Some("Jan"));
        assert_eq!(damaged.pupil.surname, None);
    }

    #[test]
    fn a_damaged_header_stops_before_any_row() {
        let options = ReadOptions { encoding: Some(encoding_rs::UTF_8), ..ReadOptions::default() };
        let err = CsvReader::new(&b"id;nazwisko;imi\xEA\n1;Nowak;Anna\n"[..], "p.csv", &options)
            .err()
            .unwrap();
        match err.kind() {
            ErrorKind::Encoding { location, encoding } => {
                assert_eq!((location.line, *encoding), (1, "UTF-8"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn blank_rows_are_skipped_as_blank_not_missing_names() {
        let records = read(b"id;nazwisko;imie\n1;Nowak;Anna\n;;\n ; ;\n2;Kot;Ewa\n");
        assert_eq!(records.len(), 4);
        for blank in &records[1..3] {
            assert!(blank.is_blank_row() && !blank.is_rejected());
            assert_eq!(blank.problems.len(), 1);
            assert_eq!(blank.problems[0].rule, Rule::BlankRow);
            assert_eq!(blank.problems[0].severity, Severity::Warning);
        }
        assert_eq!(records[2].problems[0].location.line, 4);
        assert!(!records[3].is_blank_row());
    }

    #[test]
    fn open_quote_counts_quotes_as_csv_core_does() {
        assert_eq!(open_quote(b"1;\"Nowak\n2;Kot\n", b';'), Some(2));
        assert_eq!(open_quote(b"1;\"No\"\"wak\";x\n", b';'), None);
        assert_eq!(open_quote(b"1;\"a\nb\"\n", b';'), None);
        // A quote inside an unquoted cell is a letter, not an opening.
        assert_eq!(open_quote(b"1;O\"Brien\n", b';'), None);
        // After a closing quote the cell goes on unquoted.
        assert_eq!(open_quote(b"\"a\"b\";c\n", b';'), None);
        assert_eq!(open_quote(b"\r\n\"x", b','), Some(2));
    }

    #[test]
    fn a_quote_never_closed_stops_where_it_opened_counting_what_it_swallowed() {
        let mut data = "id;nazwisko\n1;Nowak\n2;\"Kot\n".to_string();
        for n in 3..=1000 {
            data.push_str(&format!("{n};Lis\n"));
        }
        let mut reader = reader(data.as_bytes());
        assert!(reader.next().unwrap().is_ok());
        let err = reader.next().unwrap().unwrap_err();
        assert_eq!(err.location(), Some(&loc(1, 3, 22)));
        assert!(err.to_string().contains("the 999 line(s) from here"), "{err}");
        assert!(reader.next().is_none());
    }

    #[test]
    fn a_row_run_together_by_a_late_quote_says_how_many_lines_it_took() {
        let records =
            read(b"id;nazwisko;imie\n1;\"Nowak;Anna\n2;Kot;Ewa\n3;Lis\";Jan\n4;Sowa;Ola\n");
        assert_eq!(records.len(), 2);
        let problem = &records[0].problems[0];
        assert_eq!((problem.rule, problem.field.as_str()), (Rule::RaggedRow, "surname"));
        assert!(problem.message.contains("runs over 3 lines and 1 of them look"), "{problem:?}");
        assert_eq!(records[1].pupil.id, "4");
        // Fewer cells than the header: ragged, and the lines it took are said.
        let records = read(b"id;nazwisko;imie\n1;\"Nowak;Anna\n2;Kot;Ewa\n3;Lis\"\n4;Sowa;Ola\n");
        assert!(records[0].problems[0].message.contains("the row runs over 3 lines"));
        // A name on two lines is a value, not swallowed rows.
        let records = read(b"id;nazwisko;imie\n1;\"Nowak\nKowalska\";Anna\n");
        assert!(records[0].problems.is_empty());
    }

    #[test]
    fn oversized_field_is_a_violation_and_oversized_row_stops() {
        let options = ReadOptions {
            limits: Limits { max_field_bytes: 5, max_record_bytes: 40, ..Limits::default() },
            ..ReadOptions::default()
        };
        let data = b"id;nazwisko\n1;Kowalczykowska\n2;\"unterminated quote runs on and on and on\n";
        let mut reader = CsvReader::new(&data[..], "p.csv", &options).unwrap();
        let first = reader.next().unwrap().unwrap();
        assert_eq!(first.problems[0].rule, Rule::FieldSize);
        assert_eq!(first.problems[0].field, "surname");
        assert_eq!(first.pupil.surname, None);
        let err = reader.next().unwrap().unwrap_err();
        assert!(err.to_string().contains("CSV row length exceeds the limit of 40"), "{err}");
        assert_eq!(err.location(), Some(&loc(1, 3, 29)));
        assert!(reader.next().is_none());
    }

    #[test]
    fn rows_longer_than_a_read_chunk_are_read_whole() {
        let long = "x".repeat(CHUNK_BYTES * 2 + 7);
        let data = format!("id;nazwisko\n1;{long}\n2;Kot\n");
        let records = read(data.as_bytes());
        assert_eq!(records[0].pupil.surname.as_deref(), Some(long.as_str()));
        assert_eq!(records[1].location().byte, (12 + 2 + long.len() + 1) as u64);
    }

    #[test]
    fn invalid_utf8_after_a_detected_utf8_head_rejects_that_row() {
        let mut data = "id;nazwisko\n".to_string();
        let mut n = 0;
        while data.len() < SAMPLE_BYTES + 100 {
            n += 1;
            data.push_str(&format!("{n};Łukasiewicz\n"));
        }
        let bad_row_at = data.len() as u64;
        let mut bytes = data.into_bytes();
        bytes.extend_from_slice(b"x;Gr\xFCn\n");
        let records: Vec<Record> = reader(&bytes).collect::<Result<_>>().unwrap();
        assert_eq!(records.len(), n + 1);
        assert!(records[..n].iter().all(|r| r.problems.is_empty()));
        let problem = &records[n].problems[0];
        assert_eq!(problem.rule, Rule::Encoding);
        assert_eq!(problem.location, loc(n as u64, n as u64 + 2, bad_row_at));
    }

    #[test]
    fn a_mapping_file_maps_a_custom_layout() {
        let toml = "[pupils.columns]\n\"Nr\" = \"id\"\n\"Nazwisko ucznia\" = \"surname\"\n\
                    \"Ulica\" = \"ADRES_U_ulica\"\n\"Notatki\" = \"-\"\n";
        let mapping = crate::read::Mapping::from_reader(toml.as_bytes(), "m.toml").unwrap();
        let options = ReadOptions { mapping: Some(mapping), ..ReadOptions::default() };
        let data = "Nr,Nazwisko ucznia,Ulica,Notatki\n5,Nowak,Długa,tajne\n";
        let reader = CsvReader::new(io::Cursor::new(data), "p.csv", &options).unwrap();
        assert!(reader.notices().iter().all(|n| n.level == NoticeLevel::Info));
        assert_eq!(reader.notices()[1].message, "left out as the mapping file says: `Notatki`");
        let records: Vec<_> = reader.collect::<Result<_>>().unwrap();
        let pupil = &records[0].pupil;
        assert_eq!((pupil.id.as_str(), pupil.surname.as_deref()), ("5", Some("Nowak")));
        assert_eq!(pupil.addresses[0].street.as_deref(), Some("Długa"));
    }

    #[test]
    fn excel_unicode_text_utf16_with_tabs_is_read() {
        let mut data = vec![0xFF, 0xFE];
        data.extend(
            "id\tnazwisko\r\n1\tŻak\r\n2\tŘezník\r\n".encode_utf16().flat_map(u16::to_le_bytes),
        );
        let records = read(&data);
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].pupil.surname.as_deref(), Some("Řezník"));
        // Offsets of transcoded UTF-16 count bytes of the UTF-8 text.
        assert_eq!(records[1].location(), loc(1, 3, 21));
    }

    proptest::proptest! {
        #[test]
        fn splitting_a_plain_row_by_its_delimiter_gives_what_csv_core_gives(
            text in "[a-zA-Zżółć0-9 ;,\t.\"-]{0,60}",
            delimiter in proptest::sample::select(vec![b';', b',', b'\t']),
        ) {
            let mut fast = Splitter::new(delimiter);
            let mut core = Splitter::new(delimiter);
            let by_core: Vec<String> =
                core.split_by_csv_core(&text).into_iter().map(str::to_string).collect();
            proptest::prop_assert_eq!(fast.split(&text), by_core);
        }

        #[test]
        fn arbitrary_bytes_never_panic_and_every_row_is_a_record(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)
        ) {
            let mut data = b"id;nazwisko;data_ur\n".to_vec();
            data.extend_from_slice(&bytes);
            if let Ok(reader) = CsvReader::new(io::Cursor::new(data), "p.csv", &ReadOptions::default()) {
                for record in reader.flatten() {
                    proptest::prop_assert_eq!(record.parts.len(), 1);
                }
            }
        }
    }
}
