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
//!
//! By concern: `rows.rs` finds, decodes and splits rows; `plan.rs` reads the header into a
//! `FilePlan`; `cells.rs` parses one row's cells by it; this file streams a pupils file and
//! assembles each row's record.

mod cells;
mod plan;
mod rows;

pub(crate) use self::cells::assign;
pub(crate) use self::plan::{FilePlan, Layout};
pub(crate) use self::rows::{CsvFile, RawRow, Splitter};

use self::rows::with_splitter;
use super::fill::Row;
use super::{Ahead, Limits, Notice, Prefilter, ReadOptions};
use crate::error::{Location, Result};
use crate::model::record::{Part, Record, Rule};
use crate::model::{Entity, Pupil};
use rayon::prelude::*;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

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
/// use teczka::{CsvReader, ReadOptions, Rule};
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
    ahead: Ahead,
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
            ahead: Ahead::default(),
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
        let mut stop = None;
        while rows.len() < ROWS_AHEAD {
            match self.file.next_row() {
                Ok(Some(row)) => rows.push(row),
                Ok(None) => break,
                Err(e) => {
                    stop = Some(e);
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
        self.ahead.fill(records, stop);
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
        if self.ahead.is_spent() {
            self.read_ahead();
        }
        let step = self.ahead.next();
        super::fused(&mut self.done, step)
    }
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
            (None, None) => Some(assigned.id.unwrap_or_default().to_string()),
        };
        let values = Row { cells: &assigned.cells, id: id.as_deref() };
        let mut problems = assigned.problems;
        let pupil = plan.shape.build::<Pupil>(&values).unwrap_or_else(|_| {
            problems.push((
                String::new(),
                Rule::Type,
                "the row could not be assembled into a pupil; please report this as a bug".into(),
            ));
            let id = id.or_else(|| assigned.id.map(str::to_string)).unwrap_or_default();
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
    use super::super::decode::SAMPLE_BYTES;
    use super::super::NoticeLevel;
    use super::rows::{detect_delimiter, open_quote, CHUNK_BYTES};
    use super::*;
    use crate::error::ErrorKind;
    use crate::model::record::Severity;
    use crate::model::{AddressKind, Sex};
    use chrono::NaiveDate;
    use std::io;

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
