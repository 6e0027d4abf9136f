//! JSON Lines of the canonical model: the exact values, one pupil per line.

use super::{Outgoing, Sink};
use crate::error::{Error, Result};

use std::io::{BufWriter, Write};
use std::sync::Arc;

/// Writes one JSON object per pupil, `\n`-terminated, fields in model order.
///
/// # Example
///
/// ```
/// use teczka::{JsonlWriter, Outgoing, Pupil, Sink};
///
/// let mut out = Vec::new();
/// let mut writer = JsonlWriter::new(&mut out, "-");
/// writer.write(Outgoing::Pupil(&Pupil { id: "P1".into(), ..Pupil::default() })).unwrap();
/// writer.finish().unwrap();
/// drop(writer);
/// assert_eq!(out, b"{\"id\":\"P1\"}\n");
/// ```
pub struct JsonlWriter<W: Write> {
    out: BufWriter<W>,
    name: Arc<str>,
}

impl<W: Write> JsonlWriter<W> {
    /// Write to `out`; `name` is used in error messages.
    pub fn new(out: W, name: impl Into<Arc<str>>) -> JsonlWriter<W> {
        JsonlWriter { out: BufWriter::with_capacity(1 << 16, out), name: name.into() }
    }
}

impl<W: Write> JsonlWriter<W> {
    fn line(&mut self, value: &impl serde::Serialize) -> Result<()> {
        serde_json::to_writer(&mut self.out, value)
            .map_err(|e| Error::io(&*self.name, std::io::Error::other(e)))?;
        self.out.write_all(b"\n").map_err(|e| Error::io(&*self.name, e))
    }
}

impl<W: Write> Sink for JsonlWriter<W> {
    fn write(&mut self, pupil: Outgoing<'_>) -> Result<()> {
        let io = |e| Error::io(&*self.name, e);
        match pupil {
            Outgoing::Pupil(pupil) => return self.line(pupil),
            Outgoing::Released(pupil) => pupil.write_json(&mut self.out).map_err(io)?,
        }
        self.out.write_all(b"\n").map_err(io)
    }

    fn finish(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&*self.name, e))
    }
}
