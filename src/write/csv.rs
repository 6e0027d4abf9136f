//! CSV output: one file per entity, the layout teczka's own CSV reader reads back losslessly.
//!
//! This module owns the CSV writing. A folder gets `pupils.csv` (the pupil's own fields and
//! `enrolment.*`, `id` first) and one `<entity>.csv` per child entity (`pupil_id`, then the
//! entity's keys; guardians include `address.*`), headed by the canonical keys in catalogue
//! order, values written as [`Scalar::push_text`](crate::model::walk::Scalar::push_text) writes them.
//!
//! Decisions:
//! * **Every file is written, empty entities with just the header.** A receiving vendor's
//!   importer gets a fixed layout it can rely on (the same files and columns every time), an
//!   empty file says "none" rather than "forgotten", and an archive's listing does not depend
//!   on the data.
//! * **Lines end in CRLF, always** (RFC 4180): Excel, LibreOffice and every CSV library read it,
//!   and one rule is easier to rely on than a rule per locale.
//! * **Encoding is strict**: a character the chosen encoding (e.g. Windows-1250 for Polish and
//!   Czech Excel) cannot represent stops the run with an error naming the file, record and
//!   field — never a silent `?`.
//! * **Formula neutralisation** (on by default, OWASP's CSV-injection advice): a text cell
//!   starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, so a spreadsheet shows it
//!   instead of running it. Numbers, dates and yes/no values are never touched. Output written
//!   this way is for people; turn it off for output that is read back by a program.

use super::{Outgoing, Sink};
use crate::error::{Error, Result};
use crate::model::fields::{entity_fields, fields, FieldSpec, ValueKind};
use crate::model::released::ReleasedPupil;
use crate::model::tree::Node;
use crate::model::walk::{walk, Scalar, Visitor};
use crate::model::{Entity, Pupil};
use crate::write::private;
use crate::write::staged::{StagedFile, Store};
use encoding_rs::{Encoding, UTF_8};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// How CSV files are written.
#[derive(Clone, Debug)]
pub struct CsvWriteOptions {
    /// Cell delimiter.
    pub delimiter: u8,
    /// Text encoding.
    pub encoding: &'static Encoding,
    /// Whether to start UTF-8 files with a byte-order mark (Excel needs it to detect UTF-8).
    pub bom: bool,
    /// Whether to neutralise cells a spreadsheet would run as a formula.
    pub neutralise_formulas: bool,
}

impl Default for CsvWriteOptions {
    fn default() -> CsvWriteOptions {
        CsvWriteOptions {
            delimiter: b',',
            encoding: encoding_rs::UTF_8,
            bom: false,
            neutralise_formulas: true,
        }
    }
}

impl CsvWriteOptions {
    /// What Polish and Czech Excel opens with a double click: `;`, Windows-1250, formulas
    /// neutralised.
    pub fn excel() -> CsvWriteOptions {
        CsvWriteOptions {
            delimiter: b';',
            encoding: encoding_rs::WINDOWS_1250,
            bom: false,
            neutralise_formulas: true,
        }
    }
}

/// Writes `pupils.csv`, `addresses.csv`, `guardians.csv`, … into a folder.
///
/// # Example
///
/// ```
/// use teczka::{CsvWriteOptions, CsvWriter, Outgoing, Pupil, Sink};
///
/// let dir = tempfile::tempdir().unwrap();
/// let options = CsvWriteOptions { delimiter: b';', ..CsvWriteOptions::default() };
/// let mut writer = CsvWriter::create(dir.path(), options).unwrap();
/// let pupil = Pupil { id: "P1".into(), surname: Some("=Nowak".into()), ..Pupil::default() };
/// writer.write(Outgoing::Pupil(&pupil)).unwrap();
/// writer.finish().unwrap();
///
/// let pupils = std::fs::read_to_string(dir.path().join("pupils.csv")).unwrap();
/// assert!(pupils.starts_with("id;education_id;pesel;"));
/// assert!(pupils.contains("\r\nP1;;;;;'=Nowak;"));
/// let grades = std::fs::read_to_string(dir.path().join("grades.csv")).unwrap();
/// assert_eq!(grades, "pupil_id;school_year;term;subject;grade;kind;behaviour\r\n");
/// ```
pub type CsvWriter = TableWriter<CsvFiles>;

/// Writes pupils as one table per entity — the pupil's own row, a row per child item linked by
/// `pupil_id` — into a destination of tables: CSV files ([`CsvWriter`]) or worksheets
/// ([`XlsxWriter`](super::XlsxWriter)). The layout (tables, columns, cell texts) is decided
/// here once; the destination only stores rows.
pub struct TableWriter<D> {
    pub(crate) dest: D,
    /// One table per entity, in [`Entity::ALL`] order.
    tables: Vec<Table>,
    /// Whether text cells are neutralised against formulas (CSV for spreadsheets).
    neutralise_formulas: bool,
    /// Pupils written so far, for error messages.
    written: u64,
    /// Catalogue index → (table, column) of the field's cell, for typed pupils.
    cell_of: Vec<Option<(usize, usize)>>,
    /// Each table's cells of the row being filled, reused from pupil to pupil.
    cells: Vec<Vec<Option<String>>>,
}

/// One entity's table: its fields in column order (after `pupil_id` in a child table).
pub struct Table {
    /// The entity whose rows the table holds.
    pub entity: Entity,
    /// Its fields, in column order.
    pub columns: Vec<&'static FieldSpec>,
}

impl Table {
    /// The header names: `pupil_id` first in a child table, then the canonical keys.
    pub fn header(&self) -> Vec<&str> {
        let link = (self.entity != Entity::Pupil).then_some("pupil_id");
        link.into_iter().chain(self.columns.iter().map(|f| f.key.as_str())).collect()
    }
}

/// One row as the writer hands it to a destination: the pupil id linking a child row, then
/// a cell per column of the table, with the field it holds.
pub struct Row<'a> {
    /// The pupil id cell of a child row (`None` in the pupils table).
    pub link: Option<String>,
    /// The cells, one per column, with the field each holds.
    pub cells: Vec<(Option<String>, &'static FieldSpec)>,
    /// The pupil's ordinal in the output (from 1) and id, to name the row in an error.
    pub record: u64,
    /// The pupil's id.
    pub id: &'a str,
}

/// Where a [`TableWriter`]'s tables go.
pub trait Tables {
    /// Start every table with its header.
    fn start(&mut self, tables: &[Table]) -> Result<()>;
    /// Add a row to table `table`.
    fn row(&mut self, table: usize, row: Row<'_>) -> Result<()>;
    /// Close every table.
    fn finish(&mut self) -> Result<()>;
}

/// The table layout, the same for every destination.
fn layout() -> (Vec<Table>, Vec<Option<(usize, usize)>>) {
    let mut cell_of = vec![None; fields().len()];
    let mut tables = Vec::new();
    for entity in Entity::ALL {
        let mut columns: Vec<&'static FieldSpec> = entity_fields(entity).collect();
        // The pupil's id leads its table, whatever the catalogue's order.
        columns.sort_by_key(|f| !(entity == Entity::Pupil && f.key == "id"));
        for (column, spec) in columns.iter().enumerate() {
            if let Some(index) = fields().iter().position(|f| std::ptr::eq(f, *spec)) {
                cell_of[index] = Some((tables.len(), column));
            }
        }
        tables.push(Table { entity, columns });
    }
    (tables, cell_of)
}

impl<D: Tables> TableWriter<D> {
    /// A writer of every entity's table into `dest`, headers written.
    pub fn with_tables(mut dest: D, neutralise_formulas: bool) -> Result<TableWriter<D>> {
        let (tables, cell_of) = layout();
        dest.start(&tables)?;
        let cells = tables.iter().map(|t| vec![None; t.columns.len()]).collect();
        Ok(TableWriter { dest, tables, neutralise_formulas, written: 0, cell_of, cells })
    }

    /// The pupil id cell of a child row.
    fn link(&self, entity: Entity, id: &str) -> Option<String> {
        let id = id.to_string();
        (entity != Entity::Pupil).then(|| {
            if self.neutralise_formulas {
                neutralise(id.clone())
            } else {
                id
            }
        })
    }
}

/// CSV files, one per entity, in a folder.
pub struct CsvFiles {
    dir: PathBuf,
    store: Store,
    options: CsvWriteOptions,
    rows: Rows,
    files: Vec<(PathBuf, BufWriter<StagedFile>)>,
}

impl CsvWriter {
    /// Create the folder (if needed, `0700`) and every entity's file (`0600`) with its header
    /// row.
    pub fn create(dir: &Path, options: CsvWriteOptions) -> Result<CsvWriter> {
        CsvWriter::create_in(&Store::plain(), dir, options)
    }

    /// [`create`](CsvWriter::create), the files written through `store` (sealed when it is).
    pub fn create_in(store: &Store, dir: &Path, options: CsvWriteOptions) -> Result<CsvWriter> {
        let rows = Rows::new(dir, &options)?;
        private::create_dir_all(dir)?;
        let guard = options.neutralise_formulas;
        let files = CsvFiles {
            dir: dir.to_path_buf(),
            store: store.clone(),
            options,
            rows,
            files: Vec::new(),
        };
        TableWriter::with_tables(files, guard)
    }
}

impl Tables for CsvFiles {
    fn start(&mut self, tables: &[Table]) -> Result<()> {
        for table in tables {
            let path = self.dir.join(format!("{}.csv", table.entity.file_stem()));
            let mut out = BufWriter::new(self.store.create(&path)?);
            self.rows.start(&mut out, &path, self.options.bom)?;
            self.rows.write_header(&mut out, &path, &table.header())?;
            self.files.push((path, out));
        }
        Ok(())
    }

    fn row(&mut self, table: usize, row: Row<'_>) -> Result<()> {
        let Some((path, out)) = self.files.get_mut(table) else { return Ok(()) };
        let mut cells: Vec<(Option<String>, &str)> = Vec::with_capacity(row.cells.len() + 1);
        if let Some(link) = row.link {
            cells.push((Some(link), "id"));
        }
        cells.extend(row.cells.into_iter().map(|(cell, field)| (cell, field.path.as_str())));
        self.rows.write(out, path, &cells, row.record, row.id)
    }

    fn finish(&mut self) -> Result<()> {
        for (path, out) in &mut self.files {
            out.flush().map_err(|e| Error::io(&*path, e))?;
            out.get_mut().close()?;
        }
        Ok(())
    }
}

/// Turns cells into rows of delimited text in the chosen encoding: the quoting, CRLF line
/// ends and strict encoding every CSV output of teczka shares (the canonical folder here, a
/// vendor's layout in `write::mapped`).
pub(crate) struct Rows {
    delimiter: char,
    encoding: &'static Encoding,
    /// The current row as UTF-8 text, reused.
    row: String,
}

impl Rows {
    /// Check the options' delimiter; `dir` names the output in the error.
    pub(crate) fn new(dir: &Path, options: &CsvWriteOptions) -> Result<Rows> {
        if matches!(options.delimiter, b'"' | b'\'' | b'\r' | b'\n')
            || !options.delimiter.is_ascii()
        {
            return Err(Error::config(
                dir,
                "the CSV delimiter must be an ASCII character other than a quote or a line \
                 break: use `;`, `,` or tab",
            ));
        }
        Ok(Rows {
            delimiter: char::from(options.delimiter),
            encoding: options.encoding,
            row: String::new(),
        })
    }

    /// Start a file: the byte-order mark, if asked and the encoding is UTF-8.
    pub(crate) fn start(&self, out: &mut impl Write, path: &Path, bom: bool) -> Result<()> {
        if bom && self.encoding == UTF_8 {
            out.write_all(b"\xEF\xBB\xBF").map_err(|e| Error::io(path, e))?;
        }
        Ok(())
    }

    /// Write a header row of `names`.
    pub(crate) fn write_header(
        &mut self,
        out: &mut impl Write,
        path: &Path,
        names: &[&str],
    ) -> Result<()> {
        // A header names itself in an error: header names are not personal data.
        let cells: Vec<(Option<String>, &str)> =
            names.iter().map(|h| (Some(h.to_string()), *h)).collect();
        self.write(out, path, &cells, 0, "")
    }

    /// Format `cells` (value, field path) as one row and write it to `out`; `record` (from 1)
    /// and the pupil `id` name the row in an error.
    pub(crate) fn write(
        &mut self,
        out: &mut impl Write,
        path: &Path,
        cells: &[(Option<String>, &str)],
        record: u64,
        id: &str,
    ) -> Result<()> {
        let delimiter = self.delimiter;
        self.row.clear();
        for (i, (cell, _)) in cells.iter().enumerate() {
            if i > 0 {
                self.row.push(delimiter);
            }
            let cell = cell.as_deref().unwrap_or("");
            let needs_quotes = cell.contains([delimiter, '"', '\r', '\n'])
                // A lone empty cell would make an empty line, which readers skip.
                || (cells.len() == 1 && cell.is_empty());
            if needs_quotes {
                self.row.push('"');
                self.row.push_str(&cell.replace('"', "\"\""));
                self.row.push('"');
            } else {
                self.row.push_str(cell);
            }
        }
        self.row.push_str("\r\n");
        let encoding = self.encoding;
        let io_error = |e| Error::io(path, e);
        if encoding == UTF_8 {
            return out.write_all(self.row.as_bytes()).map_err(io_error);
        }
        let (bytes, _, unmappable) = encoding.encode(&self.row);
        if unmappable {
            let field = cells
                .iter()
                .find(|(cell, _)| cell.as_deref().is_some_and(|c| encoding.encode(c).2))
                .map(|(_, field)| *field)
                .unwrap_or_default();
            let whose = if id.is_empty() {
                String::new()
            } else {
                format!(" (pupil `{}`)", crate::error::escape_controls(id))
            };
            let what = match record {
                0 => format!("the header row: column `{field}`"),
                _ => format!("record {record}{whose}: field `{field}`"),
            };
            return Err(Error::input(
                path,
                format!(
                    "{what} has a character that {} cannot \
                     represent: write UTF-8 instead (`--out-encoding utf-8`); nothing was \
                     replaced",
                    encoding.name()
                ),
            ));
        }
        out.write_all(&bytes).map_err(io_error)
    }
}

/// The cell text of a value of `field`: neutralised when asked and the field is text (numbers,
/// dates and yes/no values are never formulas).
pub(crate) fn guarded(field: &FieldSpec, text: String, neutralise_formulas: bool) -> String {
    if neutralise_formulas && field.kind == ValueKind::Text {
        neutralise(text)
    } else {
        text
    }
}

/// Prefix `'` to a cell a spreadsheet would run as a formula (OWASP's CSV-injection advice).
///
/// A cell made only of digits, spaces and `+ - ( ) . , /` cannot call a function or refer to
/// another cell, so phone numbers (`+48 601 234 567`) and negative amounts pass unchanged;
/// everything else starting with `=`, `+`, `-`, `@`, tab or CR is neutralised.
pub(crate) fn neutralise(text: String) -> String {
    let harmless = |c: char| c.is_ascii_digit() || " +-().,/".contains(c);
    let triggers = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if triggers && !(text.chars().any(|c| c.is_ascii_digit()) && text.chars().all(harmless)) {
        format!("'{text}")
    } else {
        text
    }
}

/// The id a released pupil's child rows link by: its own, or, when the release dropped it,
/// its position in the output (`1`, `2`, …), which exists nowhere else.
pub(super) fn link_id(pupil: &ReleasedPupil, written: u64) -> String {
    match pupil.top_level_text("id") {
        Some(id) => id.to_string(),
        None => (written + 1).to_string(),
    }
}

impl<D: Tables> TableWriter<D> {
    /// Write one typed pupil: its values walked straight into the cells of each table's row
    /// (no JSON map), a child row written as its item ends, the pupil's own row last.
    fn write_typed(&mut self, pupil: &Pupil) -> Result<()> {
        self.write_walked(&pupil.id, |filler| walk(pupil, filler))
    }

    /// Write one released pupil the same way, its events replayed into the cells. A pupil
    /// whose release dropped its `id` links its rows by its position in the output.
    fn write_replayed(&mut self, released: &ReleasedPupil) -> Result<()> {
        let id = link_id(released, self.written);
        self.write_walked(&id, |filler| released.replay(filler))
    }

    /// Empty the cells, fill them by `walk`ing the pupil, and write the pupil's own row.
    fn write_walked(
        &mut self,
        id: &str,
        walk: impl FnOnce(&mut Filler<'_, D>) -> Result<()>,
    ) -> Result<()> {
        for row in &mut self.cells {
            row.fill(None);
        }
        walk(&mut Filler { writer: self, id })?;
        let pupil_table = self.tables.iter().position(|t| t.entity == Entity::Pupil);
        if let Some(table) = pupil_table {
            self.write_row(table, id)?;
        }
        self.written += 1;
        Ok(())
    }

    /// Write table `table`'s filled cells as a row (after the pupil id in a child table) and
    /// empty them for the next.
    fn write_row(&mut self, table: usize, id: &str) -> Result<()> {
        let (Some(spec), Some(row)) = (self.tables.get(table), self.cells.get_mut(table)) else {
            return Ok(());
        };
        let cells = row.iter_mut().zip(&spec.columns).map(|(cell, f)| (cell.take(), *f)).collect();
        let link = self.link(spec.entity, id);
        self.dest.row(table, Row { link, cells, record: self.written + 1, id })
    }
}

/// Fills the row cells of one typed pupil as it is walked.
struct Filler<'w, D> {
    writer: &'w mut TableWriter<D>,
    id: &'w str,
}

impl<D: Tables> Filler<'_, D> {
    /// The table a list's items are rows of.
    fn table_of(&self, list: &Node) -> Option<usize> {
        let entity = Entity::from_collection(list.name())?;
        self.writer.tables.iter().position(|t| t.entity == entity)
    }
}

impl<D: Tables> Visitor for Filler<'_, D> {
    fn leaf(&mut self, node: &'static Node, value: Scalar<'_>) -> Result<()> {
        let Node::Leaf { spec, index, .. } = node else { return Ok(()) };
        let Some(Some((table, column))) = self.writer.cell_of.get(*index).copied() else {
            return Ok(()); // no column for it in the canonical layout
        };
        let mut text = String::new();
        value.push_text(&mut text);
        let text = guarded(spec, text, self.writer.neutralise_formulas);
        if let Some(cell) = self.writer.cells.get_mut(table).and_then(|row| row.get_mut(column)) {
            *cell = Some(text);
        }
        Ok(())
    }

    fn leave_item(&mut self, list: &'static Node) -> Result<()> {
        match self.table_of(list) {
            Some(table) => self.writer.write_row(table, self.id),
            None => Ok(()),
        }
    }
}

impl<D: Tables> Sink for TableWriter<D> {
    /// A released pupil without an `id` (an anonymised release drops it) links its rows by
    /// its position in the output, `1`, `2`, …, which exists nowhere else.
    fn write(&mut self, pupil: Outgoing<'_>) -> Result<()> {
        match pupil {
            Outgoing::Pupil(pupil) => self.write_typed(pupil),
            Outgoing::Released(pupil) => self.write_replayed(pupil),
        }
    }

    fn finish(&mut self) -> Result<()> {
        self.dest.finish()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::*;
    use crate::read::{open, Input, ReadOptions};
    use chrono::NaiveDate;

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    fn s(text: &str) -> Option<String> {
        Some(text.to_string())
    }

    /// A pupil with every entity, Polish and Czech letters, multi-line text, quotes and
    /// delimiters inside values.
    pub(crate) fn full_pupil(id: &str) -> Pupil {
        let address = Address {
            kind: Some(AddressKind::Registered),
            town: s("Łódź"),
            street: s("ul. Żółkiewskiego; róg \"Kościuszki\", 2"),
            house_number: s("12a"),
            flat_number: s("3"),
            postcode: s("90-001"),
            post_town: s("Łódź"),
            commune: s("Łódź"),
            county: s("Łódź"),
            region: s("łódzkie"),
            country: s("Polska"),
            teryt: s("1061011"),
        };
        Pupil {
            id: id.into(),
            education_id: s("OSW-1"),
            pesel: s("02211307589"),
            birth_number: s("025113/1234"),
            foreign_document: s("X1"),
            surname: s("Żółć-Řeháková"),
            birth_surname: s("Šťastná"),
            first_name: s("Zdeňka"),
            second_name: s("Ůrsula Ěva"),
            sex: Some(Sex::Female),
            birth_date: date(2002, 1, 13),
            birth_place: s("Brno"),
            birth_place_locative: s("Brnie"),
            birth_region: s("Jihomoravský"),
            birth_country: s("Česko"),
            national_citizen: Some(false),
            eu_citizen: Some(true),
            addresses: vec![address.clone(), Address { kind: None, ..address.clone() }],
            guardians: vec![
                Guardian {
                    id: s("G1"),
                    relation: s("matka"),
                    surname: s("Řeháková"),
                    first_name: s("Jiřina"),
                    phone: s("+420 600 100 200"),
                    email: s("j@example.cz"),
                    parental_rights: Some(true),
                    address: Some(address),
                },
                Guardian { surname: s("Nowak"), ..Guardian::default() },
            ],
            enrolment: Some(Enrolment {
                school_name: s("Szkoła Podstawowa nr 5, \"Słoneczna\""),
                school_id: s("012345"),
                class_level: s("2"),
                class_symbol: s("c"),
                register_number: s("17"),
                pupil_book_number: s("123/2020"),
                admission_date: date(2020, 9, 1),
                leaving_date: date(2024, 6, 28),
                id_card_number: s("L-9"),
                district_school: s("SP 3"),
                next_school: s("LO 1"),
            }),
            indicators: Some(crate::model::Indicators {
                absence_rate: Some(12.5),
                absences: Some(3),
                grade_average: Some(4.25),
                exam_score: Some(71.0),
                achievement_count: Some(2),
                achievement_level: Some(3),
                counselling: s("special-needs"),
                health: s("none"),
            }),
            ..school_records()
        }
    }

    /// Every list of the school's records, one or two items each, for [`full_pupil`].
    fn school_records() -> Pupil {
        Pupil {
            grades: vec![
                Grade {
                    school_year: s("2023/2024"),
                    term: s("1"),
                    subject: s("język polski"),
                    grade: s("5+"),
                    kind: Some(GradeKind::MidYear),
                    behaviour: Some(false),
                },
                Grade { grade: s("wzorowe"), behaviour: Some(true), ..Grade::default() },
            ],
            attendance: vec![Attendance {
                date: date(2024, 3, 4),
                period: s("3"),
                status: Some(AttendanceStatus::Excused),
            }],
            remarks: vec![Remark {
                date: date(2024, 3, 5),
                author: s("Kowalski"),
                category: s("pochwała"),
                text: s("Pomogła koledze;\r\nbyła \"wzorowa\",\nnaprawdę.\n"),
            }],
            exams: vec![Exam {
                exam: s("egzamin ósmoklasisty"),
                subject: s("matematyka"),
                score: Some(87.5),
                percentile: Some(-0.25),
                date: date(2024, 5, 15),
            }],
            achievements: vec![Achievement {
                title: s("Olimpiada; 1. miejsce"),
                level: s("wojewódzki"),
                date: date(2024, 2, 1),
            }],
            counselling: vec![Counselling {
                kind: s("opinia"),
                number: s("PPP/1/2024"),
                issuer: s("Poradnia nr 2"),
                issued_on: date(2024, 1, 10),
                valid_until: date(2026, 1, 10),
                notes: s("dysleksja\nrozwojowa"),
            }],
            health: vec![HealthNote {
                category: s("alergia"),
                note: s("orzechy, \"laktoza\""),
                recorded_on: date(2023, 9, 1),
            }],
            consents: vec![Consent {
                purpose: s("wizerunek"),
                given_at: date(2023, 9, 1),
                withdrawn_at: date(2024, 1, 1),
                given_by: s("Jiřina Řeháková"),
            }],
            contracts: vec![Contract {
                kind: s("świetlica"),
                start: date(2023, 9, 1),
                end: date(2024, 6, 30),
            }],
            payments: vec![Payment {
                date: date(2024, 1, 5),
                amount_minor: Some(-12050),
                currency: s("PLN"),
                title: s("=opłata za świetlicę"),
            }],
            assessments: vec![Assessment {
                date: date(2024, 6, 1),
                subject: s("angielski"),
                level: s("B1"),
            }],
            ..Pupil::default()
        }
    }

    fn write_all(dir: &Path, options: CsvWriteOptions, pupils: &[Pupil]) {
        let mut writer = CsvWriter::create(dir, options).unwrap();
        for pupil in pupils {
            writer.write(Outgoing::Pupil(pupil)).unwrap();
        }
        writer.finish().unwrap();
    }

    fn read_back(dir: &Path) -> Vec<Pupil> {
        let inputs = [Input { path: dir.to_path_buf(), entity: None }];
        let opened = open(&inputs, &ReadOptions::default()).unwrap();
        let records: Vec<_> = opened.records.collect::<Result<_>>().unwrap();
        for record in &records {
            assert!(record.problems.is_empty(), "{:?}", record.problems);
        }
        records.into_iter().map(|r| r.pupil).collect()
    }

    #[test]
    fn typed_pupils_are_written_byte_for_byte_as_their_json_form_is() {
        use crate::synth::{Country, Detail, Generator, GeneratorConfig};
        let mut pupils = vec![full_pupil("=1"), Pupil { id: "bare".into(), ..Pupil::default() }];
        for country in [Country::Pl, Country::Cz] {
            let config = GeneratorConfig { country, detail: Detail::Full, ..Default::default() };
            pupils.extend(Generator::new(config).iter(0..100));
        }
        for options in [CsvWriteOptions::default(), CsvWriteOptions::excel()] {
            let (typed, json) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            let mut typed_writer = CsvWriter::create(typed.path(), options.clone()).unwrap();
            let mut json_writer = CsvWriter::create(json.path(), options.clone()).unwrap();
            for pupil in &pupils {
                typed_writer.write(Outgoing::Pupil(pupil)).unwrap();
                json_writer.write(Outgoing::Released(&ReleasedPupil::of(pupil).unwrap())).unwrap();
            }
            typed_writer.finish().unwrap();
            json_writer.finish().unwrap();
            for entity in Entity::ALL {
                let name = format!("{}.csv", entity.file_stem());
                let typed = std::fs::read(typed.path().join(&name)).unwrap();
                assert_eq!(typed, std::fs::read(json.path().join(&name)).unwrap(), "{name}");
                let rows = typed.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count();
                if matches!(entity, Entity::Pupil | Entity::Guardian | Entity::Grade) {
                    assert!(rows > 100, "{name}: the comparison needs rows, not just a header");
                }
            }
        }
    }

    #[test]
    fn every_entity_round_trips_in_every_encoding_and_delimiter() {
        let pupils = vec![full_pupil("P1"), Pupil { id: "P2".into(), ..Pupil::default() }];
        for (delimiter, encoding, bom) in [
            (b',', encoding_rs::UTF_8, false),
            (b';', encoding_rs::UTF_8, true),
            (b';', encoding_rs::WINDOWS_1250, false),
            (b'\t', encoding_rs::ISO_8859_2, false),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let options = CsvWriteOptions { delimiter, encoding, bom, neutralise_formulas: false };
            write_all(dir.path(), options, &pupils);
            assert_eq!(read_back(dir.path()), pupils, "{} {}", delimiter as char, encoding.name());
        }
    }

    #[test]
    fn files_have_a_fixed_layout_with_crlf_and_quoting() {
        let dir = tempfile::tempdir().unwrap();
        let options = CsvWriteOptions { delimiter: b';', ..CsvWriteOptions::default() };
        write_all(dir.path(), options, &[full_pupil("P1")]);
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names.len(), 14);
        let guardians = std::fs::read_to_string(dir.path().join("guardians.csv")).unwrap();
        let header = guardians.lines().next().unwrap();
        assert_eq!(
            header,
            "pupil_id;id;relation;surname;first_name;phone;email;parental_rights;address.kind;\
             address.town;address.street;address.house_number;address.flat_number;\
             address.postcode;address.post_town;address.commune;address.county;address.region;\
             address.country;address.teryt"
        );
        assert!(guardians.contains(
            "\r\nP1;G1;matka;Řeháková;Jiřina;+420 600 100 200;j@example.cz;true;registered;Łódź;\
             \"ul. Żółkiewskiego; róg \"\"Kościuszki\"\", 2\";12a;"
        ));
        let exams = std::fs::read_to_string(dir.path().join("exams.csv")).unwrap();
        // Numbers are never neutralised, even negative ones.
        assert!(exams.ends_with(";87.5;-0.25;2024-05-15\r\n"), "{exams}");
        let payments = std::fs::read_to_string(dir.path().join("payments.csv")).unwrap();
        assert!(payments.ends_with("\r\nP1;2024-01-05;-12050;PLN;'=opłata za świetlicę\r\n"));
    }

    #[test]
    fn unrepresentable_characters_are_an_error_naming_file_record_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = CsvWriter::create(dir.path(), CsvWriteOptions::excel()).unwrap();
        writer.write(Outgoing::Pupil(&full_pupil("P1"))).unwrap();
        let pupil = Pupil { id: "P2".into(), birth_place: s("Київ"), ..Pupil::default() };
        let err = writer.write(Outgoing::Pupil(&pupil)).unwrap_err().to_string();
        let path = dir.path().join("pupils.csv").display().to_string();
        assert_eq!(
            err,
            format!(
                "{path}: record 2 (pupil `P2`): field `birth_place` has a character that \
                 windows-1250 cannot represent: write UTF-8 instead (`--out-encoding utf-8`); \
                 nothing was replaced"
            )
        );
        assert!(!err.contains("Київ"));
    }

    #[test]
    fn bom_only_for_utf8_and_bad_delimiters_refused() {
        let dir = tempfile::tempdir().unwrap();
        let options = CsvWriteOptions { bom: true, ..CsvWriteOptions::default() };
        write_all(dir.path(), options, &[]);
        let bytes = std::fs::read(dir.path().join("pupils.csv")).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBFid,"));
        let options = CsvWriteOptions { bom: true, ..CsvWriteOptions::excel() };
        write_all(dir.path(), options, &[]);
        let bytes = std::fs::read(dir.path().join("pupils.csv")).unwrap();
        assert!(bytes.starts_with(b"id;"));
        let options = CsvWriteOptions { delimiter: b'"', ..CsvWriteOptions::default() };
        assert!(CsvWriter::create(dir.path(), options).is_err());
    }

    #[test]
    fn neutralising_touches_only_text_that_starts_like_a_formula() {
        assert_eq!(neutralise("=SUM(A1)".into()), "'=SUM(A1)");
        assert_eq!(neutralise("@x".into()), "'@x");
        assert_eq!(neutralise("\tx".into()), "'\tx");
        assert_eq!(neutralise("Nowak-Kowalska".into()), "Nowak-Kowalska");
    }

    #[test]
    fn formula_guard_spares_phone_numbers_and_negative_numbers_only() {
        for (cell, expected) in [
            ("+48 601 234 567", "+48 601 234 567"),
            ("-12,50", "-12,50"),
            ("+(48) 22-555", "+(48) 22-555"),
            ("=1+1", "'=1+1"),
            ("+HYPERLINK(\"x\")", "'+HYPERLINK(\"x\")"),
            ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("+", "'+"),
            ("-", "'-"),
            ("\t=1", "'\t=1"),
            ("Nowak", "Nowak"),
        ] {
            assert_eq!(neutralise(cell.to_string()), expected, "{cell:?}");
        }
    }
}
