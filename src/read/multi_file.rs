//! A school's CSV export as one stream of pupils: one pupil file (a csv2sou single file), or a
//! pupil file with child files (grades, guardians, …) joined to it by pupil id. A workbook is
//! the same export with worksheets for files (`Uczniowie`, `Oceny`, …).
//!
//! This is where the two CSV readers meet: `csv.rs` reads one file, `join.rs` joins several.
//! Deciding which files (and sheets) hold which records, and whether a join is needed, happens
//! here so that neither of them needs the other's entry point.

use super::candidates::{self, Files};
use super::csv::{CsvFile, CsvReader};
use super::sheet::{self, Workbook};
use super::{join, Format};
use super::{mapping, Input, Notice, Opened, ReadOptions};
use crate::error::{Error, Result};
use crate::model::Entity;
use std::path::Path;

/// How many bytes of row text a byte of `.xlsx` file is taken to hold, when choosing between
/// the in-memory and the on-disk join (a compressed package holds more than its size).
const SHEET_TEXT_PER_BYTE: u64 = 4;

/// One table of an export: a CSV file or a worksheet.
enum Table<'a> {
    File(&'a Path),
    Sheet {
        path: &'a Path,
        /// The workbook, already open for the first of its sheets.
        book: Option<Workbook>,
        name: String,
    },
}

impl Table<'_> {
    fn path(&self) -> &Path {
        match self {
            Table::File(path) | Table::Sheet { path, .. } => path,
        }
    }

    /// Open the table as one of `entity`.
    fn open(
        self,
        entity: Entity,
        options: &ReadOptions,
        notices: &mut Vec<Notice>,
    ) -> Result<CsvFile> {
        match self {
            Table::File(path) => CsvFile::open(path, entity, options, notices),
            Table::Sheet { path, book, name } => {
                sheet::open(path, book, &name, entity, options, notices)
            }
        }
    }

    /// The bytes of row text the table is taken to hold.
    fn text_bytes(&self) -> Result<u64> {
        let path = self.path();
        let size = std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
        Ok(match self {
            Table::File(_) => size,
            Table::Sheet { .. } => size.saturating_mul(SHEET_TEXT_PER_BYTE),
        })
    }
}

/// Open CSV and spreadsheet inputs as one export.
///
/// Each input's entity comes from `entity=path`, else the mapping file's `file` stems, else
/// the file name (`pupils`, `uczniowie`, `oceny_2024`, …); a lone CSV file whose name says
/// nothing is the pupil file (a csv2sou single file). A workbook's worksheets are named the
/// same way (`Uczniowie`, `Oceny`, …), and a workbook read for one sheet (`--sheet`, or its
/// only one) is named like a file. Pupil files alone are streamed one after another; with
/// child files (grades, guardians, …) they are joined by pupil id (`read::join`).
pub fn open(inputs: &[Input], options: &ReadOptions) -> Result<Opened> {
    open_with_budget(inputs, options, options.join_budget)
}

/// [`open`], with the memory budget of the multi-file join in bytes: child files whose total
/// size is under it are joined in memory, larger ones through temporary bucket files. A search
/// ([`ReadOptions::prefilter`]) scans the files for its candidates first
/// ([`candidates`](super::candidates)) and joins only theirs.
pub fn open_with_budget(inputs: &[Input], options: &ReadOptions, budget: u64) -> Result<Opened> {
    let mut notices = Vec::new();
    let (files, child_bytes) = match open_export(inputs, options, &mut notices)? {
        Export::Pupils(pupils) => return stream_pupils(pupils, options, notices),
        Export::Joined { files, child_bytes } => (files, child_bytes),
    };
    let (limits, prefilter) = (options.limits, options.prefilter.clone());
    let mut files = Some(files);
    if let Some(filter) = &prefilter {
        let reopen = || reopen_joined(inputs, options);
        let opened = files.take().map_or_else(reopen, Ok)?;
        if let Some(joined) = candidates::join(opened, reopen, limits, budget, filter)? {
            notices.push(joined.notice());
            return Ok(Opened { records: Box::new(joined), notices });
        }
    }
    let Files { pupils, children } = files.map_or_else(|| reopen_joined(inputs, options), Ok)?;
    let joined = join::Join::new(pupils, children, child_bytes, limits, budget, prefilter)?;
    notices.push(joined.notice());
    Ok(Opened { records: Box::new(joined), notices })
}

/// An export as opened: pupil tables alone (streamed), or files to join.
enum Export<'a> {
    Pupils(Vec<Table<'a>>),
    Joined {
        files: Files,
        /// The child files' text size, which chooses between the in-memory and on-disk join.
        child_bytes: u64,
    },
}

/// The files of an export with child files, opened again (for a search's next scan).
fn reopen_joined(inputs: &[Input], options: &ReadOptions) -> Result<Files> {
    match open_export(inputs, options, &mut Vec::new())? {
        Export::Joined { files, .. } => Ok(files),
        Export::Pupils(_) => Err(Error::input(
            inputs.first().map_or(Path::new("-"), |i| i.path.as_path()),
            "the export changed while it was read (its child files are gone): read it again",
        )),
    }
}

/// Open the inputs as one export: decide which tables hold pupils and which child rows.
fn open_export<'a>(
    inputs: &'a [Input],
    options: &ReadOptions,
    notices: &mut Vec<Notice>,
) -> Result<Export<'a>> {
    let tables = tables(inputs, options, notices)?;
    let alone = tables.len() == 1;
    let mut pupils = Vec::new();
    let mut children = Vec::new();
    for (table, named) in tables {
        let entity = match named {
            Some(entity) => entity,
            None if alone => Entity::Pupil,
            None => return Err(unnamed(&table)),
        };
        if entity == Entity::Pupil {
            pupils.push(table);
        } else {
            children.push((table, entity));
        }
    }
    if children.is_empty() {
        return Ok(Export::Pupils(pupils));
    }
    if pupils.is_empty() {
        let child = children.first().map(|(t, _)| t.path()).unwrap_or(Path::new("-"));
        return Err(Error::input(
            child,
            "this is a child file of a multi-file export, but no pupils file was given: add the \
             pupils file (e.g. `pupils=uczniowie.csv`, or a sheet named `Uczniowie`), whose rows \
             the child rows are joined to by pupil id",
        ));
    }
    let mut pupil_files = Vec::new();
    for table in pupils {
        let path = table.path().to_path_buf();
        let file = table.open(Entity::Pupil, options, notices)?;
        if file.plan.id_column.is_none() {
            return Err(Error::input(
                path,
                "the pupils file has no pupil id column (`id`, `id_ucznia`, `pupil_id`), so the \
                 other files cannot be joined to it: add the column or map one in a mapping file",
            ));
        }
        pupil_files.push(file);
    }
    let mut child_files = Vec::new();
    let mut child_bytes = 0u64;
    for (table, entity) in children {
        child_bytes = child_bytes.saturating_add(table.text_bytes()?);
        child_files.push(table.open(entity, options, notices)?);
    }
    let files = Files { pupils: pupil_files, children: child_files };
    Ok(Export::Joined { files, child_bytes })
}

/// Pupil tables without child tables, streamed one after another.
fn stream_pupils(
    pupils: Vec<Table<'_>>,
    options: &ReadOptions,
    mut notices: Vec<Notice>,
) -> Result<Opened> {
    let mut readers = Vec::new();
    let mut numbered = 0;
    for table in pupils {
        let mut own = Vec::new();
        let file = table.open(Entity::Pupil, options, &mut own)?;
        let mut reader = CsvReader::with_file(file, options, own);
        if reader.numbers_rows() {
            numbered += 1;
            // Two files numbered `row-1`, `row-2`, … would give two pupils one id.
            if numbered > 1 {
                reader.number_rows_by_file();
            }
        }
        notices.append(&mut reader.notices);
        readers.push(reader);
    }
    Ok(Opened { records: Box::new(readers.into_iter().flatten()), notices })
}

/// The tables of the inputs, each with the entity its name (or `entity=`) gives, if any. An
/// empty sheet whose name says nothing, among others, is left out (and `notices` say so).
fn tables<'a>(
    inputs: &'a [Input],
    options: &ReadOptions,
    notices: &mut Vec<Notice>,
) -> Result<Vec<(Table<'a>, Option<Entity>)>> {
    let mapping = options.mapping.as_ref();
    let mut tables = Vec::new();
    for input in inputs {
        let path = input.path.as_path();
        let format = options.format.or_else(|| Format::from_path(path));
        let named = input.entity.or_else(|| mapping::entity_for_file(path, mapping));
        if format != Some(Format::Spreadsheet) {
            tables.push((Table::File(path), named));
            continue;
        }
        let book = Workbook::open(path)?;
        let names = chosen_sheets(path, &book, options)?;
        let mut book = Some(book);
        let single = names.len() == 1;
        for name in names {
            let by_name = mapping
                .and_then(|m| m.entity_for_stem(&name))
                .or_else(|| mapping::entity_by_stem(&name));
            // One sheet read alone is named like a file: by `entity=`, then by either name.
            let entity = match single {
                true => input.entity.or(by_name).or(named),
                false => by_name,
            };
            if entity.is_none() && !single && sheet::is_empty(path, &name, options)? {
                let message = format!("sheet `{name}` is empty: nothing to read");
                notices.push(Notice::info(path.display().to_string(), message));
                continue;
            }
            tables.push((Table::Sheet { path, book: book.take(), name }, entity));
        }
    }
    Ok(tables)
}

/// The sheets of `book` to read: the one `--sheet` names, else every one.
fn chosen_sheets(path: &Path, book: &Workbook, options: &ReadOptions) -> Result<Vec<String>> {
    let names = book.sheet_names();
    let Some(wanted) = &options.sheet else {
        if names.is_empty() {
            return Err(Error::input(path, "the workbook has no worksheet"));
        }
        return Ok(names);
    };
    if names.iter().any(|n| n == wanted) {
        return Ok(vec![wanted.clone()]);
    }
    Err(Error::input(
        path,
        format!(
            "the workbook has no sheet `{wanted}`: its sheets are {}",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ),
    ))
}

/// The error for a table whose name says nothing, among several.
fn unnamed(table: &Table<'_>) -> Error {
    let entities = Entity::ALL.map(|e| e.file_stem()).join(", ");
    match table {
        Table::File(path) => Error::input(
            path,
            format!(
                "cannot tell from the file name which records the file holds: name it on the \
                 command line like `grades=FILE` (one of {entities}), or rename it (e.g. \
                 `oceny.csv`, `uczniowie.csv`)"
            ),
        ),
        Table::Sheet { path, name, .. } => Error::input(
            path,
            format!(
                "cannot tell from the name of sheet `{name}` which records it holds: rename the \
                 sheet (e.g. `Uczniowie`, `Oceny`; one of {entities} or their Polish and Czech \
                 names), or read one sheet with `--sheet`"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_unnamed_file_is_the_pupil_file_and_unknown_names_need_an_entity() {
        let dir = tempfile::tempdir().unwrap();
        let export = dir.path().join("export.csv");
        std::fs::write(&export, "nazwisko\nNowak\n").unwrap();
        let input = Input { path: export.clone(), entity: None };
        let opened = open(std::slice::from_ref(&input), &ReadOptions::default()).unwrap();
        assert_eq!(opened.records.count(), 1);
        let other = dir.path().join("other.csv");
        std::fs::write(&other, "nazwisko\nNowak\n").unwrap();
        let inputs = [input, Input { path: other, entity: None }];
        let err = open(&inputs, &ReadOptions::default()).err().unwrap().to_string();
        assert!(err.contains("export.csv: cannot tell"), "{err}");
        assert!(err.contains("`grades=FILE`"), "{err}");
    }

    #[test]
    fn two_pupil_files_without_ids_never_give_two_pupils_one_id() {
        let dir = tempfile::tempdir().unwrap();
        let input = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            Input { path, entity: Some(Entity::Pupil) }
        };
        let inputs = [
            input("a.csv", "nazwisko,imie\nNowak,Anna\nLis,Jan\n"),
            input("b.csv", "nazwisko,imie\nKowal,Ewa\n"),
        ];
        let opened = open(&inputs, &ReadOptions::default()).unwrap();
        let notices = opened.notices.clone();
        let ids: Vec<String> = opened.records.map(|r| r.unwrap().pupil.id).collect();
        let second = format!("{}:row-1", inputs[1].path.display());
        assert_eq!(ids, ["row-1", "row-2", second.as_str()]);
        let told = notices.iter().any(|n| n.message.contains(&format!("`{second}`")));
        assert!(told, "the notice names the ids the second file's pupils get: {notices:?}");
    }

    #[test]
    fn a_child_file_without_pupils_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let grades = dir.path().join("oceny.csv");
        std::fs::write(&grades, "id_ucznia;przedmiot;ocena\n1;matematyka;5\n").unwrap();
        let err = open(&[Input { path: grades, entity: None }], &ReadOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("oceny.csv: this is a child file"), "{err}");
        assert!(err.contains("no pupils file was given"), "{err}");
    }
}
