//! Where a teczka archive keeps its records: one place for `export` and `sar` alike, and the
//! names `verify` and `import` look for.

use crate::error::{Error, Result};
use crate::write::output::OutFormat;
use crate::write::staged::Store;
use crate::write::{CsvWriteOptions, CsvWriter, JsonlWriter, ParquetWriter, Sink, XmlWriter};
use std::path::Path;

/// Open the writer of `format` in an archive's `records` folder (the staging's
/// `data/records`), its files written through `store` (sealed when the archive will be
/// encrypted): SOU-like XML as `pupils.xml`, JSON Lines as `pupils.jsonl`, CSV as the folder
/// `csv/` with one file per entity, Parquet as the folder `parquet/` with one file per entity
/// (`as_text`: the fields a policy released as text, written as text columns).
///
/// An XLSX workbook is refused: its worksheets would spool in the clear while the archive is
/// staged, which a sealed export must not do.
pub fn record_sink(
    store: &Store,
    records: &Path,
    format: OutFormat,
    as_text: &[&str],
) -> Result<Box<dyn Sink>> {
    crate::write::private::create_dir_all(records)?;
    let named = |file: &str| records.join(file);
    Ok(match format {
        OutFormat::Xml => {
            let path = named("pupils.xml");
            Box::new(XmlWriter::new(store.create(&path)?, &path.display().to_string())?)
        }
        OutFormat::Jsonl => {
            let path = named("pupils.jsonl");
            Box::new(JsonlWriter::new(store.create(&path)?, path.display().to_string()))
        }
        OutFormat::Csv => {
            Box::new(CsvWriter::create_in(store, &named("csv"), CsvWriteOptions::default())?)
        }
        OutFormat::Parquet => {
            Box::new(ParquetWriter::create_in(store, &named("parquet"), as_text)?)
        }
        OutFormat::OneRoster => {
            let today = chrono::Local::now().date_naive();
            Box::new(crate::write::OneRosterWriter::create_in(store, &named("oneroster"), today)?)
        }
        OutFormat::Matrika => {
            let path = named("matrika.xml");
            Box::new(crate::write::MatrikaWriter::new(
                store.create(&path)?,
                path.display().to_string(),
            )?)
        }
        OutFormat::Xlsx => {
            return Err(Error::config(
                "--formats",
                "an archive cannot hold an XLSX workbook yet: write sou, csv or jsonl into it, \
                 and make the workbook with `teczka import ARCHIVE --to xlsx`",
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pupil;
    use crate::write::Outgoing;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn each_format_lands_where_every_teczka_archive_keeps_it_privately() {
        let dir = tempfile::tempdir().unwrap();
        let records = dir.path().join("data/records");
        for format in [OutFormat::Xml, OutFormat::Jsonl, OutFormat::Csv] {
            let mut sink = record_sink(&Store::plain(), &records, format, &[]).unwrap();
            sink.write(Outgoing::Pupil(&Pupil { id: "P1".into(), ..Pupil::default() })).unwrap();
            sink.finish().unwrap();
        }
        for file in ["pupils.xml", "pupils.jsonl", "csv/pupils.csv"] {
            let meta = std::fs::metadata(records.join(file)).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{file}");
        }
        let mode = std::fs::metadata(&records).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let refused = record_sink(&Store::plain(), &records, OutFormat::Xlsx, &[]).err().unwrap();
        assert!(refused.to_string().contains("teczka import ARCHIVE --to xlsx"), "{refused}");
    }
}
