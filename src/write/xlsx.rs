//! XLSX output: one worksheet per entity, for people who open pupil lists in Excel or
//! LibreOffice.
//!
//! The sheets hold the same tables as the CSV folder ([`TableWriter`]: `pupils`, then one
//! sheet per child entity linked by `pupil_id`, headed by the canonical keys). What a CSV
//! cannot promise, a workbook can:
//!
//! * **Identifiers stay text.** Every text field — PESEL, rodné číslo, postcodes, phone
//!   numbers, ids — is a string cell with the text number format `@`, so neither Excel nor
//!   LibreOffice turns `02270803628` into the number 2270803628, also when the cell is edited.
//! * **Dates are dates** (`yyyy-mm-dd`), numbers numbers, yes/no values booleans.
//! * **No cell is ever a formula**: values are written as strings, never parsed, so
//!   `=HYPERLINK(…)` in a name stays text (the CSV writer's `'` guard is not needed here).
//! * A frozen, bold header row and column widths set from the header and the field's kind.
//!
//! Worksheets are written in rust_xlsxwriter's constant-memory mode: each row goes to a
//! temporary file (anonymous, `0600`, in the output's folder) as it is written, so a million
//! pupils take bounded memory. A worksheet holds at most 1,048,576 rows; a table that would
//! exceed it stops the run with the advice to write CSV instead.

use super::csv::{Row, Table, TableWriter, Tables};
use crate::error::{Error, Result};
use crate::model::fields::{fields, FieldSpec, ValueKind};
use crate::model::Entity;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use std::io::Write;
use std::path::Path;

/// Writes pupils as an `.xlsx` workbook, one worksheet per entity.
///
/// # Example
///
/// ```
/// use teczka::{Outgoing, Pupil, Sink, XlsxWriter};
///
/// let mut out = Vec::new();
/// let mut writer = XlsxWriter::new(&mut out, "uczniowie.xlsx", None).unwrap();
/// let pupil = Pupil { id: "P1".into(), pesel: Some("02270803628".into()), ..Pupil::default() };
/// writer.write(Outgoing::Pupil(&pupil)).unwrap();
/// writer.finish().unwrap();
/// drop(writer);
/// assert!(out.starts_with(b"PK")); // a zip package, as every .xlsx is
/// ```
pub type XlsxWriter<'w> = TableWriter<Sheets<'w>>;

/// The most rows one worksheet holds (Excel's limit), the header included.
const MAX_ROWS: u32 = 1_048_576;

/// The worksheets of one workbook, and where it is saved when finished.
pub struct Sheets<'w> {
    workbook: Workbook,
    out: Option<Box<dyn Write + Send + 'w>>,
    /// The output's name, for messages.
    name: String,
    /// The next free row of each sheet.
    next_row: Vec<u32>,
    header: Format,
    text: Format,
    date: Format,
}

impl<'w> XlsxWriter<'w> {
    /// A workbook saved into `out` on [`finish`](crate::write::Sink::finish); `name` names it
    /// in messages; `tempdir` is where its worksheets' temporary files go (the system's when
    /// `None`).
    pub fn new(
        out: impl Write + Send + 'w,
        name: &str,
        tempdir: Option<&Path>,
    ) -> Result<XlsxWriter<'w>> {
        let mut workbook = Workbook::new();
        if let Some(dir) = tempdir {
            workbook.set_tempdir(dir).map_err(|e| xlsx_error(name, e))?;
        }
        let sheets = Sheets {
            workbook,
            out: Some(Box::new(out)),
            name: name.to_string(),
            next_row: Vec::new(),
            header: Format::new().set_bold().set_num_format("@"),
            text: Format::new().set_num_format("@"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        };
        // Cells are typed strings, never formulas: the CSV guard would only add a `'`.
        TableWriter::with_tables(sheets, false)
    }
}

impl Sheets<'_> {
    /// Write one cell as its field's kind says.
    fn cell(
        &mut self,
        sheet: usize,
        (row, col): (u32, u16),
        text: &str,
        field: &FieldSpec,
    ) -> std::result::Result<(), XlsxError> {
        let (text_format, date_format) = (&self.text, &self.date);
        let worksheet = self.workbook.worksheet_from_index(sheet)?;
        match field.kind {
            ValueKind::Date => match date(text) {
                Some(date) => worksheet.write_datetime_with_format(row, col, &date, date_format),
                None => worksheet.write_string_with_format(row, col, text, text_format),
            },
            ValueKind::Integer | ValueKind::Number => match text.parse::<f64>() {
                Ok(number) if number.is_finite() => worksheet.write_number(row, col, number),
                _ => worksheet.write_string_with_format(row, col, text, text_format),
            },
            ValueKind::Bool => worksheet.write_boolean(row, col, text == "true"),
            ValueKind::Text | ValueKind::Enum(_) => {
                worksheet.write_string_with_format(row, col, text, text_format)
            }
        }?;
        Ok(())
    }

    /// The next row of `sheet`, refusing one past the worksheet's limit.
    fn take_row(&mut self, sheet: usize, table: &str, record: u64) -> Result<u32> {
        let Some(next) = self.next_row.get_mut(sheet) else {
            return Err(Error::input(&*self.name, "a row for a sheet that does not exist"));
        };
        if *next >= MAX_ROWS {
            return Err(Error::input(
                &*self.name,
                format!(
                    "record {record}: the sheet `{table}` would pass {MAX_ROWS} rows, the most \
                     a worksheet holds: write CSV instead (`--to csv`), which has no such limit"
                ),
            ));
        }
        *next += 1;
        Ok(*next - 1)
    }
}

impl Tables for Sheets<'_> {
    fn start(&mut self, tables: &[Table]) -> Result<()> {
        for table in tables {
            let header = self.header.clone();
            let worksheet = self
                .workbook
                .add_worksheet_with_constant_memory()
                .map_err(|e| xlsx_error(&self.name, e))?;
            worksheet.set_name(table.entity.file_stem()).map_err(|e| xlsx_error(&self.name, e))?;
            worksheet.set_freeze_panes(1, 0).map_err(|e| xlsx_error(&self.name, e))?;
            let kinds = link_kind(table).into_iter().chain(table.columns.iter().map(|f| &f.kind));
            for (col, (name, kind)) in table.header().iter().zip(kinds).enumerate() {
                let col = u16::try_from(col).unwrap_or(u16::MAX);
                worksheet
                    .set_column_width(col, width(name, kind))
                    .map_err(|e| xlsx_error(&self.name, e))?;
                worksheet
                    .write_string_with_format(0, col, *name, &header)
                    .map_err(|e| xlsx_error(&self.name, e))?;
            }
            self.next_row.push(1);
        }
        Ok(())
    }

    fn row(&mut self, table: usize, row: Row<'_>) -> Result<()> {
        let sheet = self.workbook.worksheet_from_index(table).map(|w| w.name()).unwrap_or_default();
        let at = self.take_row(table, &sheet, row.record)?;
        let link = row.link.zip(pupil_id_field());
        let cells =
            link.into_iter().chain(row.cells.into_iter().map(|(c, f)| (c.unwrap_or_default(), f)));
        for (col, (text, field)) in cells.enumerate() {
            if text.is_empty() {
                continue;
            }
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            self.cell(table, (at, col), &text, field).map_err(|e| {
                Error::input(
                    &*self.name,
                    format!("sheet `{sheet}`, record {}: field `{}`: {e}", row.record, field.path),
                )
            })?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        let Some(out) = self.out.take() else { return Ok(()) };
        self.workbook.save_to_writer(out).map_err(|e| xlsx_error(&self.name, e))
    }
}

/// The pupil's `id` field, whose value a child row's `pupil_id` cell holds.
fn pupil_id_field() -> Option<&'static FieldSpec> {
    fields().iter().find(|f| f.entity == Entity::Pupil && f.key == "id")
}

/// The kind of a child table's leading `pupil_id` column (text), if it has one.
fn link_kind(table: &Table) -> Option<&'static ValueKind> {
    (table.entity != Entity::Pupil).then_some(&ValueKind::Text)
}

/// A column wide enough for its header and its values' usual length.
fn width(header: &str, kind: &ValueKind) -> f64 {
    let usual = match kind {
        ValueKind::Date => 11,
        ValueKind::Bool => 6,
        ValueKind::Integer | ValueKind::Number => 10,
        ValueKind::Enum(_) => 12,
        ValueKind::Text => 16,
    };
    (header.chars().count().max(usual) + 2) as f64
}

/// An ISO date (`YYYY-MM-DD`) as an Excel date.
fn date(text: &str) -> Option<ExcelDateTime> {
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    use chrono::Datelike;
    let year = u16::try_from(date.year()).ok()?;
    ExcelDateTime::from_ymd(year, date.month() as u8, date.day() as u8).ok()
}

/// A rust_xlsxwriter error as teczka's, naming the output. Its messages name limits and
/// formats, never a cell's value.
fn xlsx_error(name: &str, e: XlsxError) -> Error {
    Error::io(name, std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Grade, Pupil};
    use crate::write::{Outgoing, Sink};
    use chrono::NaiveDate;
    use std::io::Read;

    /// The XML of worksheet `n` (from 1) of a written workbook.
    fn sheet_xml(workbook: &[u8], n: usize) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(workbook)).unwrap();
        let mut xml = String::new();
        let name = format!("xl/worksheets/sheet{n}.xml");
        zip.by_name(&name).unwrap().read_to_string(&mut xml).unwrap();
        xml
    }

    fn written(pupils: &[Pupil]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut writer = XlsxWriter::new(&mut out, "t.xlsx", None).unwrap();
        for pupil in pupils {
            writer.write(Outgoing::Pupil(pupil)).unwrap();
        }
        writer.finish().unwrap();
        drop(writer);
        out
    }

    #[test]
    fn identifiers_are_text_dates_are_dates_and_nothing_is_a_formula() {
        let pupil = Pupil {
            id: "P1".into(),
            pesel: Some("02270803628".into()),
            surname: Some("=HYPERLINK(\"http://x\")".into()),
            birth_date: NaiveDate::from_ymd_opt(2002, 7, 8),
            grades: vec![Grade { subject: Some("matematyka".into()), ..Grade::default() }],
            ..Pupil::default()
        };
        let book = written(&[pupil]);
        let pupils = sheet_xml(&book, 1);
        // The PESEL keeps its zero as a string cell; the name is a string, not a formula.
        assert!(pupils.contains(">02270803628<"), "{pupils}");
        assert!(pupils.contains("=HYPERLINK"), "{pupils}");
        assert!(!pupils.contains("<f>"), "a formula cell: {pupils}");
        // 2002-07-08 is Excel's day 37445, written as a number with a date format.
        assert!(pupils.contains("<v>37445</v>"), "{pupils}");
        // The header row is frozen.
        assert!(pupils.contains("state=\"frozen\""), "{pupils}");
        // The grade is a row of the grades sheet, linked by the pupil id.
        let grades = sheet_xml(&book, 4);
        assert!(grades.contains(">P1<") && grades.contains(">matematyka<"), "{grades}");
    }

    #[test]
    fn a_sheet_past_the_row_limit_stops_with_the_advice_to_write_csv() {
        let mut out = Vec::new();
        let mut writer = XlsxWriter::new(&mut out, "t.xlsx", None).unwrap();
        writer.dest.next_row[0] = MAX_ROWS;
        let err = writer
            .write(Outgoing::Pupil(&Pupil { id: "P1".into(), ..Pupil::default() }))
            .unwrap_err();
        assert!(err.to_string().contains("--to csv"), "{err}");
    }
}
