//! CSV writer, one file per entity (being built).

use super::Sink;
use crate::error::Result;
use crate::model::Pupil;
use encoding_rs::Encoding;
use std::path::Path;

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

/// Writes `pupils.csv`, `addresses.csv`, `guardians.csv`, … into a folder.
pub struct CsvWriter {}

impl CsvWriter {
    /// Create the folder's files.
    pub fn create(_dir: &Path, _options: CsvWriteOptions) -> Result<CsvWriter> {
        Ok(CsvWriter {})
    }
}

impl Sink for CsvWriter {
    fn write(&mut self, _pupil: &Pupil) -> Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}
