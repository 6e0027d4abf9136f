//! Writing: the push sinks that turn accepted records into CSV, SOU-like XML or JSON Lines.
//!
//! Every writer implements [`Sink`] (modelled on ripgrep's `Sink`): the constructor begins the
//! output, [`Sink::write`] takes one pupil, [`Sink::finish`] closes documents and flushes. The
//! pipeline is the only caller, from one thread, in input order, so outputs are deterministic.

pub mod csv;
pub mod jsonl;
pub mod xml;

pub use self::csv::{CsvWriteOptions, CsvWriter};
pub use self::jsonl::JsonlWriter;
pub use self::xml::XmlWriter;

use crate::error::Result;
use crate::model::Pupil;

/// A destination for accepted pupils.
pub trait Sink {
    /// Write one pupil.
    fn write(&mut self, pupil: &Pupil) -> Result<()>;

    /// Finish the output (close the document, flush buffers). Called once, last.
    fn finish(&mut self) -> Result<()>;
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn write(&mut self, pupil: &Pupil) -> Result<()> {
        (**self).write(pupil)
    }

    fn finish(&mut self) -> Result<()> {
        (**self).finish()
    }
}
