//! One row's cells parsed by the plan: each cell by its field's kind, and the problems of the
//! row (blank, ragged, swallowed rows, damaged or oversized cells) without echoing a value.

use super::super::decode::DAMAGED;
use super::super::mapping::Target;
use super::super::Limits;
use super::plan::FilePlan;
use crate::error::column_letters;
use crate::model::record::Rule;
use crate::model::value::{parse_cell, Cell};
use crate::model::FieldSpec;

/// A problem found while reading one row: field path, rule, message.
pub(crate) type Problem = (String, Rule, String);

/// What a row's cells say.
pub(crate) struct Assigned<'c> {
    /// Per column, its cell parsed by its field's kind; `None` for an empty cell, one that
    /// did not parse (see `problems`) and a column that maps to no field.
    pub cells: Vec<Option<Cell<'c>>>,
    /// The id cell (the pupil's own id, or a child row's pupil reference), trimmed.
    pub id: Option<&'c str>,
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
        id: plan.id_column.and_then(|i| cells.get(i)).map(|c| c.trim()),
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
