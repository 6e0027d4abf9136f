//! SOU-like XML reader (being built).

use super::ReadOptions;
use crate::error::Result;
use crate::model::record::Record;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Streams `<pupil>` elements from a SOU-like XML document.
pub struct XmlReader<R> {
    _reader: R,
}

impl XmlReader<File> {
    /// Open an XML file.
    pub fn open(path: &Path, _options: &ReadOptions) -> Result<XmlReader<File>> {
        let file = File::open(path).map_err(|e| crate::Error::io(path, e))?;
        Ok(XmlReader { _reader: file })
    }
}

impl<R: Read> Iterator for XmlReader<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        None
    }
}
