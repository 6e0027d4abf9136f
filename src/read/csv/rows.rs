//! A CSV file's rows: found on the undecoded bytes (quotes, line breaks, exact positions),
//! decoded, and split into cells.

use super::super::decode::{
    damaged_header, first_non_ascii_sample, prepare, TextDecoder, DAMAGED, SAMPLE_BYTES,
};
use super::super::{source_name, Notice, ReadOptions};
use super::plan::{FilePlan, Layout};
use crate::error::{Error, Location, Result};
use crate::model::Entity;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

/// How many bytes are read from a file at a time.
pub(super) const CHUNK_BYTES: usize = 64 * 1024;

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
    Sheet(super::super::sheet::SheetRows),
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
            plain_rows: true,
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
    pub(crate) fn sheet(plan: Arc<FilePlan>, rows: super::super::sheet::SheetRows) -> CsvFile {
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
    /// Whether plain rows skip `csv_core` ([`RowReader::plain_row_end`]); off only in the
    /// test that compares the two ways.
    plain_rows: bool,
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
            if let Some(end) = self.plain_row_end().filter(|_| self.plain_rows) {
                self.pos = end;
                return Ok(Some(self.take_row()));
            }
            let (result, read, _, _) = self.core.read_record(
                &self.buf[self.pos..],
                &mut self.scratch,
                &mut self.scratch_ends,
            );
            self.pos += read;
            if self.pos - self.row_start - self.lead() > self.max_record_bytes {
                self.finished = true;
                return Err(Error::limit(
                    self.row_location(),
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

    /// Where the row starting at `pos` ends (after its `\n`) when it is plain: after any
    /// blank lines, it holds no quote and no carriage return but the one before its `\n`, and
    /// is within the length limit. `csv_core` would end such a row at the same place, having
    /// only cut it at the delimiter, so most rows of real exports skip its state machine (a
    /// quarter of a search's time). Anything else — a quote, a lone `\r` inside a row, a
    /// row not yet wholly in the buffer, the file's last row — goes through `csv_core`.
    fn plain_row_end(&self) -> Option<usize> {
        if self.pos != self.row_start {
            return None;
        }
        let rest = self.buf.get(self.pos..)?;
        // The `\n` of a `\r\n` csv_core ended the last row at, and blank lines: `take_row`
        // skips and counts them. Without this, one row read by csv_core in a CRLF file would
        // send every later row through it too.
        let lead = rest.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        let rest = rest.get(lead..)?;
        let window = rest.get(..rest.len().min(self.max_record_bytes.saturating_add(2)))?;
        let newline = memchr::memchr(b'\n', window)?;
        let line = window.get(..newline)?;
        let body = line.strip_suffix(b"\r").unwrap_or(line);
        // The length `csv_core` checks: the row and the one terminator byte it ends at.
        let fits = body.len() < self.max_record_bytes;
        let plain = !body.is_empty() && memchr::memchr2(b'"', b'\r', body).is_none();
        (plain && fits).then_some(self.pos + lead + newline + 1)
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

    /// Where the row being read starts: after the blank lines and the previous row's line
    /// terminator before it.
    fn row_location(&self) -> Location {
        let lead = self.lead();
        let mut location = self.location(lead);
        let skipped = self.buf.get(self.row_start..self.row_start + lead).unwrap_or_default();
        location.line += count_newlines(skipped);
        location
    }

    /// How many blank lines and line terminators the row being read starts with: they are
    /// not the row's, and do not count towards its length.
    fn lead(&self) -> usize {
        let raw = self.buf.get(self.row_start..self.pos).unwrap_or_default();
        raw.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count()
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
pub(super) fn open_quote(row: &[u8], delimiter: u8) -> Option<usize> {
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
pub(super) fn with_splitter<T>(delimiter: u8, f: impl FnOnce(&mut Splitter) -> T) -> T {
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

    /// Cell `index` of `text` (as [`Splitter::split`] would give it), without collecting the
    /// others when the row needs no unquoting: a search reads the pupil id of every row of an
    /// export this way.
    pub fn cell<'a>(&'a mut self, text: &'a str, index: usize) -> Option<&'a str> {
        if self.delimiter.is_ascii() && !text.is_empty() {
            if let Some(cell) = plain_cell(text, self.delimiter, index) {
                return cell;
            }
        }
        self.split_by_csv_core(text).get(index).copied()
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

/// Cell `index` of `text` cut at `delimiter`, when no quote or line break comes before its
/// end (`None` then: `csv_core` must read the row). A quote later in the row cannot change
/// the cells before it, so an id in the first column is read without looking further.
fn plain_cell(text: &str, delimiter: u8, index: usize) -> Option<Option<&str>> {
    let (mut start, mut cell) = (0, 0);
    for (at, &b) in text.as_bytes().iter().enumerate() {
        if matches!(b, b'"' | b'\r' | b'\n') {
            return None;
        }
        if b == delimiter {
            if cell == index {
                return Some(text.get(start..at));
            }
            (start, cell) = (at + 1, cell + 1);
        }
    }
    Some(text.get(start..).filter(|_| cell == index))
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

#[cfg(test)]
mod tests {
    use super::*;

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
        fn plain_rows_end_where_csv_core_ends_them(
            rows in proptest::collection::vec("[ab;,\"\r\n]{0,12}", 1..12),
            limit in 4usize..40,
        ) {
            let text = format!("id;surname\n{}", rows.concat());
            let read = |plain_rows: bool| -> Vec<String> {
                let options = ReadOptions {
                    limits: crate::read::Limits { max_record_bytes: limit, ..Default::default() },
                    ..ReadOptions::default()
                };
                let input = Box::new(std::io::Cursor::new(text.clone().into_bytes()));
                let mut notices = Vec::new();
                let opened =
                    CsvFile::from_reader(input, "t.csv".into(), Entity::Pupil, &options, &mut notices, || None);
                let Ok(mut file) = opened else { return vec!["refused".into()] };
                if let Rows::Text(reader) = &mut file.rows {
                    reader.plain_rows = plain_rows;
                }
                let mut out = Vec::new();
                loop {
                    match file.next_row() {
                        Ok(Some(row)) => out.push(format!("{:?} {:?}", row.location, row.text)),
                        Ok(None) => break,
                        Err(e) => {
                            out.push(e.to_string());
                            break;
                        }
                    }
                }
                out
            };
            proptest::prop_assert_eq!(read(true), read(false));
        }

        #[test]
        fn one_cell_is_the_cell_the_whole_split_gives(
            text in "[a-zA-Zżółć0-9 ;,\t.\"\n-]{0,60}",
            delimiter in proptest::sample::select(vec![b';', b',', b'\t']),
            index in 0usize..8,
        ) {
            let mut one = Splitter::new(delimiter);
            let mut all = Splitter::new(delimiter);
            let expected = all.split(&text).get(index).map(|c| c.to_string());
            proptest::prop_assert_eq!(one.cell(&text, index).map(str::to_string), expected);
        }
    }
}
