//! A CSV file's plan: what each column of its header means, checked and described once.

use super::super::fill::Shape;
use super::super::mapping::{self, Target};
use super::super::{Notice, NoticeLevel, ReadOptions};
use crate::error::{column_letters, Error, Location, Result};
use crate::model::Entity;
use std::collections::HashMap;
use std::sync::Arc;

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
    pub(super) fn column_name(&self, i: usize) -> String {
        let header = self.headers.get(i).filter(|h| !h.is_empty());
        match (header, &self.sheet) {
            (Some(h), None) => format!("`{h}`"),
            (None, None) => format!("column {} (no name)", i + 1),
            (Some(h), Some(_)) => format!("`{h}` (column {})", column_letters(i as u64)),
            (None, Some(_)) => format!("column {} (no name)", column_letters(i as u64)),
        }
    }

    /// The field path a column's problems are reported under.
    pub(super) fn field_path(&self, i: usize) -> String {
        match self.targets.get(i) {
            Some(Target::Field(f)) => f.path.clone(),
            Some(Target::Address { field, .. } | Target::Guardian { field, .. }) => {
                field.path.clone()
            }
            _ => self.headers.get(i).cloned().unwrap_or_default(),
        }
    }
}
