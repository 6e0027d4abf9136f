//! Spreadsheets (`.xlsx`, `.xls`, `.ods`) read as CSV is: each worksheet is one table.
//!
//! This module owns the workbook formats and nothing else. A worksheet's first row holding a
//! value is its header; every row after it that holds a value becomes a `RawRow` whose text
//! is the row's cells joined as one CSV row (`,`, quoted where needed). From there the CSV
//! reader's machinery takes over unchanged: header mapping and aliases, value parsing, PESEL
//! repair, the multi-file join (`read::multi_file`, one sheet per entity).
//!
//! Cells become text as a person reads them in the spreadsheet:
//!
//! * numbers without `.0` and without exponent (a PESEL stored as the number 2270803628 reads
//!   as `2270803628`, and the CSV path reports its lost leading zero);
//! * date-formatted cells, and plain numbers in a column whose field is a date, as ISO dates
//!   (Excel serials, 1900 date system for plain numbers; a time of day is kept when present);
//! * booleans as `true`/`false`, error cells as Excel shows them (`#N/A`), formulas as their
//!   cached value.
//!
//! A row's [`Location`] names the sheet and the row the spreadsheet shows (`Oceny`, 17);
//! problems with one cell name the cell (`Oceny!C17`).
//!
//! Memory: `.xlsx` worksheets are streamed cell by cell (calamine's cell reader) on a thread
//! of their own that hands rows over through a bounded channel; the workbook's shared-string
//! table is held whole, as calamine loads it. `.xls` and `.ods` can only be read whole sheet at
//! a time, so those files are refused over [`MAX_WHOLE_SHEET_FILE`].

use super::csv::{CsvFile, FilePlan, Layout, RawRow};
use super::{source_name, Notice, ReadOptions};
use crate::error::{Error, Location, Result};
use crate::model::fields::ValueKind;
use crate::model::Entity;
use calamine::{Data, ExcelDateTime, ExcelDateTimeType, Ods, Reader, Xls, Xlsx};
use crossbeam_channel::{Receiver, Sender};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The largest `.xls` or `.ods` file read: calamine reads these a whole sheet at a time, which
/// takes memory many times the file's size (32 bytes for every cell of the sheet's used
/// rectangle, plus the text).
pub const MAX_WHOLE_SHEET_FILE: u64 = 32 << 20;

/// Rows read ahead of the consumer, per worksheet.
const ROWS_AHEAD: usize = 1024;

/// The most columns a worksheet has (Excel's limit); a cell beyond is damage.
const MAX_COLUMNS: u32 = 16_384;

/// The most rows a worksheet has (Excel's limit); a cell beyond is damage.
const MAX_ROWS: u32 = 1_048_576;

/// The three workbook formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Office Open XML (`.xlsx`, `.xlsm`), streamed.
    Xlsx,
    /// The legacy binary format (`.xls`), read whole sheet at a time.
    Xls,
    /// OpenDocument (`.ods`), read whole sheet at a time.
    Ods,
}

/// An OLE compound file, the container of `.xls`.
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

impl Kind {
    /// The workbook format of `path`: by its first bytes (a zip holding an ODS `mimetype` is
    /// ODS, another zip is XLSX, an OLE file is XLS), else by its extension.
    pub fn of(path: &Path) -> Result<Kind> {
        let mut head = [0; 128];
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut len = 0;
        while len < head.len() {
            match file.read(&mut head[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(path, e)),
            }
        }
        let head = &head[..len];
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        if head.starts_with(OLE_MAGIC) {
            return Ok(Kind::Xls);
        }
        if head.starts_with(b"PK\x03\x04") {
            let ods = head.windows(8).any(|w| w == b"mimetype")
                && head.windows(11).any(|w| w == b"opendocumen");
            return Ok(if ods { Kind::Ods } else { Kind::Xlsx });
        }
        Err(Error::input(
            path,
            format!(
                "not a spreadsheet: {} files start as a zip package (`.xlsx`, `.ods`) or an OLE \
                 file (`.xls`); if it is text, read it as CSV (`--format csv`)",
                extension.map_or("spreadsheet".to_string(), |e| format!("`.{e}`"))
            ),
        ))
    }
}

/// An opened workbook.
pub(crate) enum Workbook {
    /// `.xlsx`.
    Xlsx(Box<Xlsx<BufReader<File>>>),
    /// `.xls`.
    Xls(Box<Xls<BufReader<File>>>),
    /// `.ods`.
    Ods(Box<Ods<BufReader<File>>>),
}

impl Workbook {
    /// Open the workbook at `path`.
    pub fn open(path: &Path) -> Result<Workbook> {
        let kind = Kind::of(path)?;
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        if kind != Kind::Xlsx {
            let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
            if size > MAX_WHOLE_SHEET_FILE {
                return Err(Error::input(
                    path,
                    format!(
                        "the file is {size} bytes: `.xls` and `.ods` workbooks are read a whole \
                         sheet at a time, which needs many times that in memory, so teczka reads \
                         them up to {MAX_WHOLE_SHEET_FILE} bytes; save it as `.xlsx` (read cell \
                         by cell) or CSV"
                    ),
                ));
            }
        }
        let reader = BufReader::new(file);
        // calamine has panicked on damaged files (arithmetic overflow on a cell reference, found
        // by fuzzing): a panic here is a damaged file, not a crash.
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Some(match kind {
                Kind::Xlsx => Workbook::Xlsx(Box::new(Xlsx::new(reader).ok()?)),
                Kind::Xls => Workbook::Xls(Box::new(Xls::new(reader).ok()?)),
                Kind::Ods => Workbook::Ods(Box::new(Ods::new(reader).ok()?)),
            })
        }));
        opened.ok().flatten().ok_or_else(|| damaged(path, None, PACKAGE))
    }

    /// The worksheets' names, in workbook order (chart sheets left out).
    pub fn sheet_names(&self) -> Vec<String> {
        match self {
            Workbook::Xlsx(book) => book.sheet_names(),
            Workbook::Xls(book) => book.sheet_names(),
            Workbook::Ods(book) => book.sheet_names(),
        }
    }
}

/// An error of a damaged workbook, saying what could not be read. calamine's own message is
/// left out on purpose: some of its errors quote the text they failed on (an error cell's
/// text, a boolean that is none), which may be a pupil's data.
fn damaged(path: &Path, sheet: Option<&str>, what: &str) -> Error {
    let at = sheet.map_or(String::new(), |s| format!("sheet `{s}`: "));
    Error::input(
        path,
        format!(
            "{at}the workbook cannot be read ({what}); open and save it again in a spreadsheet"
        ),
    )
}

/// What [`damaged`] says of a package that does not open.
const PACKAGE: &str = "its package or workbook part is damaged";
/// What [`damaged`] says of a sheet whose cells do not read.
const CELLS: &str = "the sheet's cells are damaged";

/// One cell's value as the reading thread hands it over.
#[derive(Debug)]
enum Value {
    Text(String),
    Number(f64),
    /// A date-formatted cell, already as ISO text.
    Date(String),
}

/// One worksheet row as read: the row's index (from 0) and its cells by column (from 0).
#[derive(Debug)]
struct SheetRow {
    row: u32,
    cells: Vec<(u32, Value)>,
}

/// The data rows of one worksheet, as CSV row text with their positions.
pub(crate) struct SheetRows {
    rows: Reading,
    plan: Option<Arc<FilePlan>>,
    /// Per column, whether its field is a date (plain numbers there are Excel serials).
    dates: Vec<bool>,
    width: usize,
    next_record: u64,
    done: bool,
}

/// Open sheet `sheet` of the workbook at `path` as a table of `entity`. `book` is the
/// workbook, when already open (it is moved to the reading thread).
pub(crate) fn open(
    path: &Path,
    book: Option<Workbook>,
    sheet: &str,
    entity: Entity,
    options: &ReadOptions,
    notices: &mut Vec<Notice>,
) -> Result<CsvFile> {
    let book = match book {
        Some(book) => book,
        None => Workbook::open(path)?,
    };
    let reading = spawn(path.to_path_buf(), book, sheet.to_string(), options.limits)?;
    let mut rows = SheetRows {
        rows: reading,
        plan: None,
        dates: Vec::new(),
        width: 0,
        next_record: 0,
        done: false,
    };
    let sheet_name: Arc<str> = sheet.into();
    let Some(header) = rows.rows.next()? else {
        return Err(Error::input(
            path,
            format!("sheet `{sheet}` is empty: its first row must be a header row"),
        ));
    };
    let texts = header_texts(&header);
    let cells: Vec<&str> = texts.iter().map(String::as_str).collect();
    let layout = Layout { source: source_name(path), entity, delimiter: b',', encoding: "UTF-8" };
    let plan = FilePlan::new(layout, &cells, Some(sheet_name), options, notices)?;
    rows.dates = plan
        .targets
        .iter()
        .map(|t| {
            let field = match t {
                super::mapping::Target::Field(f) => Some(*f),
                super::mapping::Target::Address { field, .. }
                | super::mapping::Target::Guardian { field, .. } => Some(*field),
                _ => None,
            };
            field.is_some_and(|f| matches!(f.kind, ValueKind::Date))
        })
        .collect();
    rows.width = plan.targets.len();
    let plan = Arc::new(plan);
    rows.plan = Some(plan.clone());
    Ok(CsvFile::sheet(plan, rows))
}

/// Whether sheet `sheet` of the workbook at `path` holds no value at all (Excel's empty
/// `Sheet2`, `Arkusz2`).
pub(crate) fn is_empty(path: &Path, sheet: &str, options: &ReadOptions) -> Result<bool> {
    let mut rows =
        spawn(path.to_path_buf(), Workbook::open(path)?, sheet.to_string(), options.limits)?;
    Ok(rows.next()?.is_none())
}

/// The header row's cells as text, up to its last cell holding one.
fn header_texts(header: &SheetRow) -> Vec<String> {
    let width = header.cells.last().map_or(0, |(c, _)| *c as usize + 1);
    let mut texts = vec![String::new(); width];
    for (column, value) in &header.cells {
        if let Some(text) = texts.get_mut(*column as usize) {
            *text = cell_text(value, false);
        }
    }
    texts
}

impl SheetRows {
    /// The next data row, or `None` at the end of the sheet.
    pub fn next_row(&mut self) -> Result<Option<RawRow>> {
        if self.done {
            return Ok(None);
        }
        let row = match self.rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => {
                self.done = true;
                return Ok(None);
            }
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        };
        let Some(plan) = &self.plan else { return Ok(None) };
        let width = row.cells.last().map_or(0, |(c, _)| *c as usize + 1).max(self.width);
        let mut texts = vec![String::new(); width];
        for (column, value) in &row.cells {
            let date = self.dates.get(*column as usize).copied().unwrap_or(false);
            if let Some(text) = texts.get_mut(*column as usize) {
                *text = cell_text(value, date);
            }
        }
        let location = plan.location(self.next_record, u64::from(row.row) + 1, 0);
        self.next_record += 1;
        Ok(Some(RawRow { location, text: csv_row(&texts) }))
    }
}

/// The rows of a sheet as its reading thread hands them over.
struct Reading {
    receiver: Receiver<Result<SheetRow>>,
    thread: Option<std::thread::JoinHandle<()>>,
    path: PathBuf,
    sheet: String,
}

impl Reading {
    /// The next row; `None` once the thread has finished the sheet. A thread that ended by a
    /// panic (a bug in reading a damaged file) is an error, never a sheet cut short.
    fn next(&mut self) -> Result<Option<SheetRow>> {
        match self.receiver.recv() {
            Ok(row) => row.map(Some),
            Err(_) => match self.thread.take().map(std::thread::JoinHandle::join) {
                Some(Err(_)) => {
                    let why = "the spreadsheet reader failed on it";
                    Err(damaged(&self.path, Some(&self.sheet), why))
                }
                _ => Ok(None),
            },
        }
    }
}

/// Start the thread that reads `sheet` and hands its non-empty rows over, in order; the
/// channel closes at the end of the sheet, after an error, or when the reader is dropped.
fn spawn(path: PathBuf, book: Workbook, sheet: String, limits: super::Limits) -> Result<Reading> {
    let (sender, receiver) = crossbeam_channel::bounded(ROWS_AHEAD);
    let (own_path, own_sheet) = (path.clone(), sheet.clone());
    let thread = std::thread::Builder::new().name(READER_THREAD.into()).spawn(move || {
        let mut rows = RowBuilder { sender, current: None, bytes: 0, limits, path, sheet };
        let result = match book {
            Workbook::Xlsx(mut book) => stream_xlsx(&mut book, &mut rows),
            Workbook::Xls(mut book) => match book.worksheet_range(&rows.sheet) {
                Ok(range) => whole_range(&range, &mut rows),
                Err(_) => Err(damaged(&rows.path, Some(&rows.sheet), CELLS)),
            },
            Workbook::Ods(mut book) => match book.worksheet_range(&rows.sheet) {
                Ok(range) => whole_range(&range, &mut rows),
                Err(_) => Err(damaged(&rows.path, Some(&rows.sheet), CELLS)),
            },
        };
        match result.and_then(|()| rows.flush()) {
            Ok(()) => {}
            // The reader is gone, or told of the error: nothing is left to do either way.
            Err(e) => drop(rows.sender.send(Err(e))),
        }
    });
    let thread = thread.map_err(|e| Error::io(&own_path, e))?;
    Ok(Reading { receiver, thread: Some(thread), path: own_path, sheet: own_sheet })
}

/// The name of the threads reading worksheets: a panic there (calamine's, on a damaged file)
/// is reported as a damaged sheet by `Reading::next`.
pub const READER_THREAD: &str = "teczka-sheet";

/// Gathers cells into rows on the reading thread.
struct RowBuilder {
    sender: Sender<Result<SheetRow>>,
    current: Option<SheetRow>,
    /// The text bytes of the current row, against the record-size limit.
    bytes: usize,
    limits: super::Limits,
    path: PathBuf,
    sheet: String,
}

impl RowBuilder {
    /// Add one cell; a cell of another row than the current one sends the current row.
    fn cell(&mut self, row: u32, column: u32, value: &Data) -> Result<()> {
        let Some(value) = value_of(value) else { return Ok(()) };
        if row >= MAX_ROWS {
            return Err(
                self.error_at(row, "a cell lies beyond row 1048576, the last a worksheet has")
            );
        }
        if column >= MAX_COLUMNS {
            return Err(
                self.error_at(row, "a cell lies beyond column XFD, the last a worksheet has")
            );
        }
        if self.current.as_ref().is_some_and(|r| r.row != row) {
            self.flush()?;
        }
        let current = self.current.get_or_insert_with(|| SheetRow { row, cells: Vec::new() });
        self.bytes += match &value {
            Value::Text(t) | Value::Date(t) => t.len() + 3,
            Value::Number(_) => 24,
        };
        if self.bytes > self.limits.max_record_bytes {
            return Err(Error::limit(
                self.location(row),
                "worksheet row length",
                self.limits.max_record_bytes as u64,
                "raise --max-record-bytes if the file is trusted",
            ));
        }
        match current.cells.last() {
            // Cells come in column order; one out of order (a damaged file) keeps its place.
            Some((last, _)) if *last >= column => {
                let at = current.cells.partition_point(|(c, _)| *c < column);
                if current.cells.get(at).is_some_and(|(c, _)| *c == column) {
                    return Err(self.error_at(row, "two cells of the row have the same column"));
                }
                current.cells.insert(at, (column, value));
            }
            _ => current.cells.push((column, value)),
        }
        Ok(())
    }

    /// Send the current row, if any.
    fn flush(&mut self) -> Result<()> {
        self.bytes = 0;
        if let Some(row) = self.current.take() {
            if self.sender.send(Ok(row)).is_err() {
                return Err(Error::input(&self.path, "the reader stopped"));
            }
        }
        Ok(())
    }

    fn location(&self, row: u32) -> Location {
        Location {
            source: source_name(&self.path),
            record: 0,
            line: u64::from(row) + 1,
            byte: 0,
            sheet: Some(self.sheet.as_str().into()),
        }
    }

    fn error_at(&self, row: u32, what: &str) -> Error {
        Error::syntax(
            self.location(row),
            format!("{what}: the file is damaged; open and save it again in a spreadsheet"),
        )
    }
}

/// Stream an `.xlsx` worksheet cell by cell.
fn stream_xlsx(book: &mut Xlsx<BufReader<File>>, rows: &mut RowBuilder) -> Result<()> {
    let sheet = rows.sheet.clone();
    let path = rows.path.clone();
    let mut cells =
        book.worksheet_cells_reader(&sheet).map_err(|_| damaged(&path, Some(&sheet), CELLS))?;
    loop {
        match cells.next_cell() {
            Ok(Some(cell)) => {
                let (row, column) = cell.get_position();
                let value = Data::from(cell.get_value().clone());
                rows.cell(row, column, &value)?;
            }
            Ok(None) => return Ok(()),
            Err(_) => return Err(damaged(&path, Some(&sheet), CELLS)),
        }
    }
}

/// Hand over a sheet read whole (`.xls`, `.ods`).
fn whole_range(range: &calamine::Range<Data>, rows: &mut RowBuilder) -> Result<()> {
    let Some((top, left)) = range.start() else { return Ok(()) };
    for (r, cells) in range.rows().enumerate() {
        for (c, value) in cells.iter().enumerate() {
            rows.cell(top + r as u32, left + c as u32, value)?;
        }
    }
    Ok(())
}

/// A cell's value, `None` for an empty cell.
fn value_of(data: &Data) -> Option<Value> {
    Some(match data {
        Data::Empty => return None,
        Data::String(s) if s.is_empty() => return None,
        Data::String(s) => Value::Text(s.clone()),
        Data::Int(n) => Value::Text(n.to_string()),
        Data::Float(f) => Value::Number(*f),
        Data::Bool(b) => Value::Text(b.to_string()),
        Data::DateTime(dt) => match excel_date(dt) {
            Some(text) => Value::Date(text),
            None => Value::Number(dt.as_f64()),
        },
        Data::DateTimeIso(s) => Value::Date(s.strip_suffix("T00:00:00").unwrap_or(s).to_string()),
        Data::DurationIso(s) => Value::Text(s.clone()),
        Data::Error(e) => Value::Text(e.to_string()),
    })
}

/// Serials from 1900-01-01 to 9999-12-31: outside them a number is no date.
const SERIALS: std::ops::Range<f64> = 1.0..2_958_466.0;

/// An Excel date-time as ISO text: the date, with the time only when it has one.
fn excel_date(dt: &ExcelDateTime) -> Option<String> {
    if !dt.is_datetime() || !SERIALS.contains(&dt.as_f64()) {
        return None;
    }
    let datetime = dt.as_datetime()?;
    Some(if datetime.time() == chrono::NaiveTime::MIN {
        datetime.format("%Y-%m-%d").to_string()
    } else {
        datetime.format("%Y-%m-%dT%H:%M:%S").to_string()
    })
}

/// A cell as the text a person reads; `date` when its column holds a date field, where a
/// plain number is an Excel serial.
fn cell_text(value: &Value, date: bool) -> String {
    match value {
        Value::Text(text) | Value::Date(text) => text.clone(),
        Value::Number(n) if date && SERIALS.contains(n) => {
            let serial = ExcelDateTime::new(*n, ExcelDateTimeType::DateTime, false);
            excel_date(&serial).unwrap_or_else(|| number_text(*n))
        }
        Value::Number(n) => number_text(*n),
    }
}

/// A number as written, never with `.0` nor an exponent: `2270803628`, `4.5`.
fn number_text(n: f64) -> String {
    // Rust's `Display` for f64 prints every digit, never an exponent, and no `.0` for whole
    // numbers: the shortest text that reads back as the same number.
    let text = n.to_string();
    if text == "-0" {
        "0".to_string()
    } else {
        text
    }
}

/// Cells joined as one CSV row: `,` between, quoted when they hold `,`, `"` or a line break.
fn csv_row(cells: &[String]) -> String {
    let mut out = String::with_capacity(cells.iter().map(|c| c.len() + 1).sum());
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::Record;
    use crate::read::{multi_file, Input};
    use rust_xlsxwriter::Workbook as Book;

    /// A school's workbook: pupils with a PESEL stored as a number and birth dates as plain
    /// serials, and a second sheet of grades, one of an unknown kind.
    fn school(dir: &Path) -> PathBuf {
        let mut book = Book::new();
        let pupils = book.add_worksheet().set_name("Uczniowie").unwrap();
        for (col, header) in ["id", "nazwisko", "data_ur", "pesel"].iter().enumerate() {
            pupils.write_string(0, col as u16, *header).unwrap();
        }
        pupils.write_string(1, 0, "U-1").unwrap();
        pupils.write_string(1, 1, "Nowak").unwrap();
        pupils.write_number(1, 2, 38367.0).unwrap(); // 2005-01-15, no date format
        pupils.write_number(1, 3, 5211501236.0).unwrap(); // the zero Excel strips
        pupils.write_number(2, 0, 2.0).unwrap();
        pupils.write_string(2, 1, "Lis, Jan \"Junior\"").unwrap();
        let grades = book.add_worksheet().set_name("Oceny").unwrap();
        for (col, header) in ["id_ucznia", "przedmiot", "ocena", "rodzaj_oceny"].iter().enumerate()
        {
            grades.write_string(0, col as u16, *header).unwrap();
        }
        for (row, (id, kind)) in
            [("U-1", "final"), ("U-1", "???"), ("2", "final")].iter().enumerate()
        {
            let row = row as u32 + 1;
            grades.write_string(row, 0, *id).unwrap();
            grades.write_string(row, 1, "matematyka").unwrap();
            grades.write_number(row, 2, 5.0).unwrap();
            grades.write_string(row, 3, *kind).unwrap();
        }
        let path = dir.join("szkola.xlsx");
        book.save(&path).unwrap();
        path
    }

    fn read(path: &Path, options: &ReadOptions) -> Result<Vec<Record>> {
        let inputs = [Input { path: path.to_path_buf(), entity: None }];
        multi_file::open(&inputs, options)?.records.collect()
    }

    #[test]
    fn a_workbook_is_an_export_of_one_sheet_per_entity_with_cells_as_positions() {
        let dir = tempfile::tempdir().unwrap();
        let records = read(&school(dir.path()), &ReadOptions::default()).unwrap();
        assert_eq!(records.len(), 2);
        let first = &records[0];
        assert_eq!(first.pupil.birth_date.map(|d| d.to_string()).as_deref(), Some("2005-01-15"));
        assert_eq!(first.pupil.pesel.as_deref(), Some("5211501236"), "as read: validation repairs");
        assert_eq!(first.pupil.grades.len(), 2);
        assert_eq!(first.parts.len(), 3, "the pupil row and both grade rows");
        let problem = &first.problems[0];
        assert_eq!(
            problem.location.to_string(),
            format!("{}: record 2 (Oceny!D3)", dir.path().join("szkola.xlsx").display())
        );
        assert!(!problem.message.contains("???"), "values never in messages");
        let second = &records[1];
        assert_eq!(second.pupil.id, "2", "a number id reads as written");
        assert_eq!(second.pupil.surname.as_deref(), Some("Lis, Jan \"Junior\""));
        assert_eq!(second.location().line, 3);
        assert_eq!(second.location().sheet.as_deref(), Some("Uczniowie"));
    }

    #[test]
    fn sheet_picks_one_sheet_and_names_the_sheets_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = school(dir.path());
        let options = ReadOptions { sheet: Some("Uczniowie".into()), ..ReadOptions::default() };
        let records = read(&path, &options).unwrap();
        assert_eq!(records.len(), 2);
        assert!(records.iter().all(|r| r.pupil.grades.is_empty()));
        let options = ReadOptions { sheet: Some("Arkusz1".into()), ..ReadOptions::default() };
        let err = read(&path, &options).err().unwrap().to_string();
        assert!(err.contains("no sheet `Arkusz1`: its sheets are `Uczniowie`, `Oceny`"), "{err}");
    }

    #[test]
    fn a_value_right_of_the_header_rejects_its_row_naming_the_column() {
        let dir = tempfile::tempdir().unwrap();
        let mut book = Book::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "nazwisko").unwrap();
        sheet.write_string(1, 0, "Nowak").unwrap();
        sheet.write_string(1, 2, "zgubione").unwrap();
        sheet.write_string(3, 0, "Lis").unwrap();
        let path = dir.path().join("lista.xlsx");
        book.save(&path).unwrap();
        let records = read(&path, &ReadOptions::default()).unwrap();
        assert_eq!(records.len(), 2, "the empty row 3 is no row");
        assert!(records[0].problems[0].message.contains("value in column C, right of"));
        assert_eq!(records[1].location().line, 4);
    }

    #[test]
    fn an_empty_sheet_whose_name_says_nothing_is_left_out_a_full_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut book = Book::new();
        book.add_worksheet().set_name("Uczniowie").unwrap().write_string(0, 0, "nazwisko").unwrap();
        book.add_worksheet().set_name("Arkusz2").unwrap();
        let path = dir.path().join("lista.xlsx");
        book.save(&path).unwrap();
        let inputs = [Input { path: path.clone(), entity: None }];
        let opened = multi_file::open(&inputs, &ReadOptions::default()).unwrap();
        assert!(opened
            .notices
            .iter()
            .any(|n| n.message == "sheet `Arkusz2` is empty: nothing to read"));
        let mut book = Book::new();
        book.add_worksheet().set_name("Uczniowie").unwrap().write_string(0, 0, "nazwisko").unwrap();
        book.add_worksheet().set_name("Arkusz2").unwrap().write_string(0, 0, "x").unwrap();
        book.save(&path).unwrap();
        let err = read(&path, &ReadOptions::default()).err().unwrap().to_string();
        assert!(err.contains("the name of sheet `Arkusz2`"), "{err}");
    }

    /// A minimal `.xlsx` package by hand, its one sheet `Uczniowie` holding `cells` (the
    /// inside of `<sheetData>`).
    fn package(path: &Path, cells: &str) {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
        let parts = [
            ("[Content_Types].xml", r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
            ("_rels/.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
            ("xl/workbook.xml", r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Uczniowie" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
            ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
            ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>"#)),
        ];
        for (name, text) in parts {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }

    #[test]
    fn a_damaged_cell_stops_the_run_at_its_sheet_without_quoting_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("uczniowie.xlsx");
        let header = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>nazwisko</t></is></c></row>"#;
        let good = r#"<row r="2"><c r="A2" t="inlineStr"><is><t>Nowak</t></is></c></row>"#;
        package(&path, &format!("{header}{good}"));
        let records = read(&path, &ReadOptions::default()).unwrap();
        assert_eq!(records[0].pupil.surname.as_deref(), Some("Nowak"));
        let bad = r#"<row r="3"><c r="A3" t="e"><v>Kowalski</v></c></row>"#;
        package(&path, &format!("{header}{good}{bad}"));
        let err = read(&path, &ReadOptions::default()).err().unwrap().to_string();
        assert!(err.contains("sheet `Uczniowie`: the workbook cannot be read"), "{err}");
        assert!(!err.contains("Kowalski"), "{err}");
        // Found by fuzzing: calamine's cell reference arithmetic overflows (a panic in debug
        // builds, caught; a wrapped number in release builds, refused as past the last row).
        let huge = r#"<row r="3"><c r="A99999999999" t="inlineStr"><is><t>Lis</t></is></c></row>"#;
        package(&path, &format!("{header}{huge}"));
        let err = read(&path, &ReadOptions::default()).err().unwrap().to_string();
        assert!(err.contains("sheet `Uczniowie`"), "{err}");
        let far = r#"<row r="3"><c r="XFE3" t="inlineStr"><is><t>Lis</t></is></c></row>"#;
        package(&path, &format!("{header}{far}"));
        let err = read(&path, &ReadOptions::default()).err().unwrap().to_string();
        assert!(err.contains("(sheet `Uczniowie`, row 3): a cell lies beyond column XFD"), "{err}");
    }

    #[test]
    fn damaged_and_foreign_files_are_refused_with_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("lista.xlsx");
        std::fs::write(&text, "nazwisko\nNowak\n").unwrap();
        let err = read(&text, &ReadOptions::default()).err().unwrap().to_string();
        assert!(err.contains("not a spreadsheet"), "{err}");
        let zip = dir.path().join("zip.xlsx");
        std::fs::write(&zip, b"PK\x03\x04 and then nothing").unwrap();
        let err = read(&zip, &ReadOptions::default()).err().unwrap().to_string();
        assert!(err.contains("zip.xlsx: the workbook cannot be read"), "{err}");
    }

    #[test]
    fn numbers_read_as_written_without_point_zero_or_exponent() {
        assert_eq!(number_text(2270803628.0), "2270803628");
        assert_eq!(number_text(4.5), "4.5");
        assert_eq!(number_text(1e20), "100000000000000000000");
        assert_eq!(number_text(-0.0), "0");
        assert_eq!(number_text(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn serials_in_date_columns_become_iso_dates() {
        assert_eq!(cell_text(&Value::Number(40975.0), true), "2012-03-07");
        assert_eq!(cell_text(&Value::Number(40975.0), false), "40975");
        assert_eq!(cell_text(&Value::Number(40975.5), true), "2012-03-07T12:00:00");
        // Out of the calendar's range a number stays a number.
        assert_eq!(cell_text(&Value::Number(-3.0), true), "-3");
        assert_eq!(cell_text(&Value::Number(1e300), true), number_text(1e300));
    }

    #[test]
    fn cells_are_joined_as_one_csv_row() {
        let cells =
            ["a".to_string(), "b,c".into(), "say \"hi\"".into(), "x\ny".into(), String::new()];
        assert_eq!(csv_row(&cells), "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\",");
        let mut splitter = super::super::csv::Splitter::new(b',');
        let row = csv_row(&cells);
        let back: Vec<&str> = splitter.split(&row);
        assert_eq!(back, cells.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
