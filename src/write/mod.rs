//! Writing: the push sinks that turn accepted records into CSV, SOU-like XML or JSON Lines.
//!
//! Every writer implements [`Sink`] (modelled on ripgrep's `Sink`): the constructor begins the
//! output, [`Sink::write`] takes one pupil, [`Sink::finish`] closes documents and flushes. The
//! pipeline is the only caller, from one thread, in input order, so outputs are deterministic.

pub mod csv;
pub mod jsonl;
pub mod mapped;
pub mod matrika;
pub mod oneroster;
pub mod output;
pub mod parquet;
pub mod private;
pub mod staged;
pub mod xlsx;
pub mod xml;

pub use self::csv::{CsvWriteOptions, CsvWriter};
pub use self::jsonl::JsonlWriter;
pub use self::mapped::MappedCsvWriter;
pub use self::matrika::MatrikaWriter;
pub use self::oneroster::OneRosterWriter;
pub use self::parquet::ParquetWriter;
pub use self::xlsx::XlsxWriter;
pub use self::xml::XmlWriter;

use crate::error::Result;
use crate::model::record::Record;
use crate::model::released::ReleasedPupil;
use crate::model::Pupil;

/// A destination for accepted pupils.
pub trait Sink {
    /// Write one pupil.
    fn write(&mut self, pupil: &Pupil) -> Result<()>;

    /// Write one pupil in the released form a policy made of it (the model's shape, but
    /// fields may be missing and values generalised to text).
    fn write_released(&mut self, pupil: &ReleasedPupil) -> Result<()>;

    /// Write one released pupil given as a JSON object's text (the anonymisation shuffle keeps
    /// records as text); JSON Lines writes it as it is, other sinks parse it first.
    fn write_released_json(&mut self, json: &str) -> Result<()> {
        self.write_released(&released_from_json(json)?)
    }

    /// Take an accepted record from the pipeline: its released form when a policy made one,
    /// else the pupil as read. Sinks that need more of the record (the anonymisation spill)
    /// override this.
    fn accept(&mut self, record: &Record) -> Result<()> {
        match &record.released {
            Some(released) => self.write_released(&released.record),
            None => self.write(&record.pupil),
        }
    }

    /// See an accepted record as read, before any policy released it. Only sinks that
    /// aggregate the data themselves (aggregate tables) use it; a two-pass release calls it in
    /// its first pass, where the released records are not written yet.
    fn observe(&mut self, _record: &Record) -> Result<()> {
        Ok(())
    }

    /// Finish the output (close the document, flush buffers). Called once, last.
    fn finish(&mut self) -> Result<()>;

    /// After [`Sink::finish`]: the input records and pupils accepted but deliberately not
    /// written (suppressed by anonymisation), so the accounting can say where they went.
    fn withheld(&self) -> (u64, u64) {
        (0, 0)
    }
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn write(&mut self, pupil: &Pupil) -> Result<()> {
        (**self).write(pupil)
    }

    fn write_released(&mut self, pupil: &ReleasedPupil) -> Result<()> {
        (**self).write_released(pupil)
    }

    fn accept(&mut self, record: &Record) -> Result<()> {
        (**self).accept(record)
    }

    fn observe(&mut self, record: &Record) -> Result<()> {
        (**self).observe(record)
    }

    fn withheld(&self) -> (u64, u64) {
        (**self).withheld()
    }

    fn write_released_json(&mut self, json: &str) -> Result<()> {
        (**self).write_released_json(json)
    }

    fn finish(&mut self) -> Result<()> {
        (**self).finish()
    }
}

/// A released record from the JSON text of its object (the anonymisation spill's form).
fn released_from_json(json: &str) -> Result<ReleasedPupil> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json)
        .map_err(|e| crate::Error::input("released record", e.to_string()))?;
    ReleasedPupil::from_map(&object)
}

/// Several sinks fed the same pupils: an archive writes XML, CSV and JSON Lines in one pass.
pub struct Tee<'a> {
    sinks: Vec<Box<dyn Sink + 'a>>,
}

impl<'a> Tee<'a> {
    /// Feed every sink in `sinks`, in order.
    pub fn new(sinks: Vec<Box<dyn Sink + 'a>>) -> Tee<'a> {
        Tee { sinks }
    }
}

impl Sink for Tee<'_> {
    fn write(&mut self, pupil: &Pupil) -> Result<()> {
        self.sinks.iter_mut().try_for_each(|s| s.write(pupil))
    }

    fn write_released(&mut self, pupil: &ReleasedPupil) -> Result<()> {
        self.sinks.iter_mut().try_for_each(|s| s.write_released(pupil))
    }

    fn accept(&mut self, record: &Record) -> Result<()> {
        self.sinks.iter_mut().try_for_each(|s| s.accept(record))
    }

    fn observe(&mut self, record: &Record) -> Result<()> {
        self.sinks.iter_mut().try_for_each(|s| s.observe(record))
    }

    fn write_released_json(&mut self, json: &str) -> Result<()> {
        // Parsed once for all the sinks that need a value, not once per sink.
        if self.sinks.len() == 1 {
            return self.sinks[0].write_released_json(json);
        }
        self.write_released(&released_from_json(json)?)
    }

    fn finish(&mut self) -> Result<()> {
        self.sinks.iter_mut().try_for_each(|s| s.finish())
    }
}
