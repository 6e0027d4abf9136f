//! A school's CSV export as one stream of pupils: one pupil file (a csv2sou single file), or a
//! pupil file with child files (grades, guardians, …) joined to it by pupil id.
//!
//! This is where the two CSV readers meet: `csv.rs` reads one file, `join.rs` joins several.
//! Deciding which files hold which records, and whether a join is needed, happens here so that
//! neither of them needs the other's entry point.

use super::csv::{CsvFile, CsvReader};
use super::join;
use super::{mapping, Input, Opened, ReadOptions};
use crate::error::{Error, Result};
use crate::model::Entity;
use std::path::Path;

/// Open CSV inputs as one export.
///
/// Each input's entity comes from `entity=path`, else the mapping file's `file` stems, else
/// the file name (`pupils`, `uczniowie`, `oceny_2024`, …); a lone CSV file whose name says
/// nothing is the pupil file (a csv2sou single file). Pupil files alone are streamed one after
/// another; with child files (grades, guardians, …) they are joined by pupil id
/// (`read::join`).
pub fn open(inputs: &[Input], options: &ReadOptions) -> Result<Opened> {
    open_with_budget(inputs, options, options.join_budget)
}

/// [`open`], with the memory budget of the multi-file join in bytes: child files whose total
/// size is under it are joined in memory, larger ones through temporary bucket files.
pub fn open_with_budget(inputs: &[Input], options: &ReadOptions, budget: u64) -> Result<Opened> {
    let mapping = options.mapping.as_ref();
    let mut pupils = Vec::new();
    let mut children = Vec::new();
    for input in inputs {
        let entity = match input.entity.or_else(|| mapping::entity_for_file(&input.path, mapping)) {
            Some(entity) => entity,
            None if inputs.len() == 1 => Entity::Pupil,
            None => {
                return Err(Error::input(
                    &input.path,
                    format!(
                        "cannot tell from the file name which records the file holds: name it \
                         on the command line like `grades=FILE` (one of {}), or rename it (e.g. \
                         `oceny.csv`, `uczniowie.csv`)",
                        Entity::ALL.map(|e| e.file_stem()).join(", ")
                    ),
                ))
            }
        };
        if entity == Entity::Pupil {
            pupils.push(input.path.as_path());
        } else {
            children.push((input.path.as_path(), entity));
        }
    }
    let mut notices = Vec::new();
    if children.is_empty() {
        let mut readers = Vec::new();
        let mut numbered = 0;
        for path in pupils {
            let mut reader = CsvReader::open(path, options)?;
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
        return Ok(Opened { records: Box::new(readers.into_iter().flatten()), notices });
    }
    if pupils.is_empty() {
        let child = children.first().map(|(p, _)| *p).unwrap_or(Path::new("-"));
        return Err(Error::input(
            child,
            "this is a child file of a multi-file export, but no pupils file was given: add the \
             pupils file (e.g. `pupils=uczniowie.csv`), whose rows the child rows are joined to \
             by pupil id",
        ));
    }
    let mut pupil_files = Vec::new();
    for path in pupils {
        let file = CsvFile::open(path, Entity::Pupil, options, &mut notices)?;
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
    let mut child_bytes = 0;
    for (path, entity) in children {
        child_bytes += std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
        child_files.push(CsvFile::open(path, entity, options, &mut notices)?);
    }
    let prefilter = options.prefilter.clone();
    let joined =
        join::Join::new(pupil_files, child_files, child_bytes, options.limits, budget, prefilter)?;
    notices.push(joined.notice());
    Ok(Opened { records: Box::new(joined), notices })
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
