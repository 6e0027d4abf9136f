//! Writing: the push sinks that turn accepted records into CSV, SOU-like XML or JSON Lines.
//!
//! Every writer implements [`Sink`] (modelled on ripgrep's `Sink`): the constructor begins the
//! output, [`Sink::write`] takes one [`Outgoing`] pupil — as read or as released —,
//! [`Sink::finish`] closes documents and flushes. The pipeline is the only caller, from one
//! thread, in input order, so outputs are deterministic.

pub mod csv;
pub mod jsonl;
pub(crate) mod leaves;
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

/// One accepted pupil on its way into a sink: as read, or as a policy released it.
#[derive(Clone, Copy, Debug)]
pub enum Outgoing<'r> {
    /// The pupil as read (no policy released it, or the policy keeps everything as it is).
    Pupil(&'r Pupil),
    /// The released form a policy made of it: the model's shape, but fields may be missing
    /// and values generalised to text.
    Released(&'r ReleasedPupil),
}

impl<'r> Outgoing<'r> {
    /// What the sinks get of an accepted record: its released form when a policy made one,
    /// else the pupil as read.
    pub fn of(record: &'r Record) -> Outgoing<'r> {
        match &record.released {
            Some(released) => Outgoing::Released(&released.record),
            None => Outgoing::Pupil(&record.pupil),
        }
    }
}

impl<'r> From<&'r Pupil> for Outgoing<'r> {
    fn from(pupil: &'r Pupil) -> Outgoing<'r> {
        Outgoing::Pupil(pupil)
    }
}

impl<'r> From<&'r ReleasedPupil> for Outgoing<'r> {
    fn from(pupil: &'r ReleasedPupil) -> Outgoing<'r> {
        Outgoing::Released(pupil)
    }
}

/// A destination for accepted pupils: the constructor begins the output, [`Sink::write`]
/// takes one pupil, [`Sink::finish`] ends it.
pub trait Sink {
    /// Write one pupil.
    fn write(&mut self, pupil: Outgoing<'_>) -> Result<()>;

    /// Finish the output (close the document, flush buffers). Called once, last.
    fn finish(&mut self) -> Result<()>;
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn write(&mut self, pupil: Outgoing<'_>) -> Result<()> {
        (**self).write(pupil)
    }

    fn finish(&mut self) -> Result<()> {
        (**self).finish()
    }
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
    fn write(&mut self, pupil: Outgoing<'_>) -> Result<()> {
        self.sinks.iter_mut().try_for_each(|s| s.write(pupil))
    }

    fn finish(&mut self) -> Result<()> {
        self.sinks.iter_mut().try_for_each(|s| s.finish())
    }
}
