//! The byte tap: buffering, BOM, declared encodings, line counting, capture of the current
//! pupil's bytes.
//!
//! A document that declares an encoding other than UTF-8 (`<?xml … encoding="windows-1250"?>`,
//! as older Polish and Czech school exports are written) is decoded to UTF-8 here, before
//! quick-xml sees it; byte offsets in its locations then count bytes of that UTF-8 text (lines
//! are the file's lines either way).

use super::is_xml_char;
use encoding_rs::{DecoderResult, Encoding, UTF_8};
use std::borrow::Cow;
use std::io::{self, BufRead, Read};

/// How far into the file an XML declaration must have ended.
const DECLARATION_MAX: usize = 1024;

/// The tap's buffer, and the most it asks of its reader at once. The record-size limit is
/// checked whenever the buffer runs dry, so a reader resumed in the middle of a document
/// (`read::xml::split`) replays the same reads to find the same limit errors.
pub(super) const TAP_BUFFER: usize = 1 << 16;

/// A buffered reader that keeps every byte quick-xml consumes since the last checkpoint.
///
/// quick-xml reports byte offsets only; the kept bytes let us count lines exactly, validate
/// UTF-8 with a position, and hand out the untouched text of a `<pupil>` element for the
/// rejects file. Outside a pupil the checkpoint moves with every event, so only the current
/// event is kept; inside a pupil it stays at `<pupil`, and `cap` bounds what may accumulate.
pub(super) struct Tap<R> {
    pub(super) inner: R,
    pub(super) buf: Box<[u8]>,
    pub(super) pos: usize,
    pub(super) filled: usize,
    pub(super) started: bool,
    /// What turns a quick-xml offset into a file offset: the length of a UTF-8 byte-order
    /// mark stripped before quick-xml saw the input, or, for a tap resumed in the middle of a
    /// document, where its input starts in the file.
    pub(super) base: u64,
    /// Bytes consumed since the checkpoint, starting at quick-xml offset `tail_start`.
    pub(super) tail: Vec<u8>,
    pub(super) tail_start: u64,
    /// Index into `tail` up to which UTF-8 has been validated.
    pub(super) validated: usize,
    /// Index into `tail` up to which newlines were counted, and how many lines precede it.
    pub(super) cursor: usize,
    pub(super) cursor_newlines: u64,
    /// Most bytes `tail` may hold before reading stops with a limit error.
    pub(super) cap: usize,
    pub(super) over_cap: bool,
    /// The most bytes `tail` has held: the largest stretch between two checkpoints, so a
    /// chunk whose every element stayed within `cap` is known to have met no limit.
    pub(super) peak: usize,
    /// The encoding the document declares, when it is not UTF-8 and the tap decodes it.
    pub(super) declared: Option<&'static Encoding>,
    transcoder: Option<Transcoder>,
}

impl<R: Read> Tap<R> {
    pub(super) fn new(inner: R, cap: usize) -> Tap<R> {
        Tap {
            inner,
            buf: vec![0; TAP_BUFFER].into_boxed_slice(),
            pos: 0,
            filled: 0,
            started: false,
            base: 0,
            tail: Vec::new(),
            tail_start: 0,
            validated: 0,
            cursor: 0,
            cursor_newlines: 0,
            cap,
            over_cap: false,
            peak: 0,
            declared: None,
            transcoder: None,
        }
    }

    /// A tap over UTF-8 input that starts in the middle of a document: `lead` bytes replayed
    /// ahead of it (the root element's start tag), then what lies at file offset `byte`,
    /// after `newlines` line feeds. The first read may bring the lead and a whole buffer.
    pub(super) fn resume(inner: R, cap: usize, lead: &[u8], byte: u64, newlines: u64) -> Tap<R> {
        let mut tap = Tap::new(inner, cap);
        tap.buf = vec![0; TAP_BUFFER + lead.len()].into_boxed_slice();
        tap.started = true;
        tap.base = byte.saturating_sub(lead.len() as u64);
        tap.cursor_newlines = newlines.saturating_sub(self::newlines(lead));
        tap
    }

    /// Whether the tap reads the file's bytes as they are (no declared encoding decoded).
    pub(super) fn reads_raw_bytes(&self) -> bool {
        self.transcoder.is_none()
    }

    /// Bytes quick-xml has consumed, as a quick-xml offset.
    pub(super) fn consumed(&self) -> u64 {
        self.tail_start + self.tail.len() as u64
    }

    /// The bytes read ahead of quick-xml, and the reader they came from.
    pub(super) fn into_unread(self) -> (Vec<u8>, R) {
        (self.buf[self.pos..self.filled].to_vec(), self.inner)
    }

    fn read_more(&mut self) -> io::Result<usize> {
        let out = &mut self.buf[self.filled..];
        let n = match self.transcoder.as_mut() {
            Some(transcoder) => transcoder.decode_into(&mut self.inner, out)?,
            None => read_retrying(&mut self.inner, out)?,
        };
        self.filled += n;
        Ok(n)
    }

    /// Read at least three bytes (or to the end) and drop a UTF-8 BOM, so quick-xml's offsets
    /// plus `bom` are offsets in the file, whatever sizes the underlying reads come in; without
    /// a BOM, read the XML declaration and decode from then on the 8-bit encoding it declares.
    fn start(&mut self) -> io::Result<()> {
        self.started = true;
        while self.filled < 3 && self.read_more()? > 0 {}
        if self.buf[..self.filled].starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
            self.base = 3;
            return Ok(());
        }
        while !declaration_read(&self.buf[..self.filled]) && self.read_more()? > 0 {}
        let Some(encoding) = declared_encoding(&self.buf[..self.filled]) else { return Ok(()) };
        self.declared = Some(encoding);
        self.transcoder = Some(Transcoder {
            decoder: encoding.new_decoder_without_bom_handling(),
            raw: self.buf[..self.filled].to_vec(),
            raw_pos: 0,
            eof: false,
            finished: false,
        });
        self.filled = 0;
        while self.filled < 3 && self.read_more()? > 0 {}
        Ok(())
    }

    /// Forget the bytes before quick-xml offset `offset`, counting their lines.
    pub(super) fn advance_to(&mut self, offset: u64) {
        let n = usize::try_from(offset.saturating_sub(self.tail_start))
            .unwrap_or(usize::MAX)
            .min(self.tail.len());
        self.line_at(offset);
        self.tail.drain(..n);
        self.tail_start += n as u64;
        self.validated = self.validated.saturating_sub(n);
        self.cursor = self.cursor.saturating_sub(n);
    }

    /// The line (from 1) of quick-xml offset `offset`, which must not precede the checkpoint.
    pub(super) fn line_at(&mut self, offset: u64) -> u64 {
        let index = usize::try_from(offset.saturating_sub(self.tail_start))
            .unwrap_or(usize::MAX)
            .min(self.tail.len());
        if index >= self.cursor {
            self.cursor_newlines += newlines(&self.tail[self.cursor..index]);
            self.cursor = index;
            self.cursor_newlines + 1
        } else {
            self.cursor_newlines + 1 - newlines(&self.tail[index..self.cursor])
        }
    }

    /// Validate the consumed bytes as UTF-8; on failure the quick-xml offset of the first bad
    /// byte. A sequence cut at the end is left for the next call unless `at_end`.
    pub(super) fn check_utf8(&mut self, at_end: bool) -> std::result::Result<(), u64> {
        match std::str::from_utf8(&self.tail[self.validated..]) {
            Ok(_) => {
                self.validated = self.tail.len();
                Ok(())
            }
            Err(e) if e.error_len().is_none() && !at_end => {
                self.validated += e.valid_up_to();
                Ok(())
            }
            Err(e) => Err(self.tail_start + (self.validated + e.valid_up_to()) as u64),
        }
    }

    /// The kept bytes between two quick-xml offsets.
    pub(super) fn slice(&self, from: u64, to: u64) -> &[u8] {
        let start = usize::try_from(from.saturating_sub(self.tail_start)).unwrap_or(usize::MAX);
        let end = usize::try_from(to.saturating_sub(self.tail_start)).unwrap_or(usize::MAX);
        let end = end.min(self.tail.len());
        self.tail.get(start.min(end)..end).unwrap_or_default()
    }
}

/// One `read`, retried when a signal interrupts it.
pub(super) fn read_retrying(inner: &mut impl Read, out: &mut [u8]) -> io::Result<usize> {
    loop {
        match inner.read(out) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// Whether `head` holds the whole XML declaration, has none, or is past where one may end.
fn declaration_read(head: &[u8]) -> bool {
    let may_be_one = b"<?xml".starts_with(&head[..head.len().min(5)]);
    !may_be_one || head.windows(2).any(|w| w == b"?>") || head.len() >= DECLARATION_MAX
}

/// The encoding an XML declaration at the start of `head` names, when it is one the tap must
/// decode: ASCII-compatible (so the declaration itself could be read) and not UTF-8. Any
/// other declared name is left for the reader to accept or refuse.
pub(super) fn declared_encoding(head: &[u8]) -> Option<&'static Encoding> {
    let end = head.windows(2).position(|w| w == b"?>")?;
    let declaration = head.get(..end).filter(|d| d.starts_with(b"<?xml"))?;
    let at = declaration.windows(8).position(|w| w == b"encoding")? + 8;
    let rest = declaration[at..].trim_ascii_start().strip_prefix(b"=")?.trim_ascii_start();
    let (&quote, rest) = rest.split_first().filter(|(q, _)| matches!(q, b'"' | b'\''))?;
    let label = &rest[..rest.iter().position(|&b| b == quote)?];
    Encoding::for_label(label).filter(|e| *e != UTF_8 && e.is_ascii_compatible())
}

/// Decodes the bytes of a document in a declared 8-bit (or other ASCII-compatible) encoding
/// to UTF-8, a read at a time.
struct Transcoder {
    decoder: encoding_rs::Decoder,
    /// Bytes read from the file and not yet decoded: `raw[raw_pos..]`.
    raw: Vec<u8>,
    raw_pos: usize,
    eof: bool,
    /// Whether the decoder has been told the input ended (it must not be used after).
    finished: bool,
}

impl Transcoder {
    const CHUNK: usize = 16 * 1024;

    /// Decode into `out` (which has room for at least one character); 0 at the end.
    fn decode_into(&mut self, inner: &mut impl Read, out: &mut [u8]) -> io::Result<usize> {
        while !self.finished {
            if self.raw_pos == self.raw.len() && !self.eof {
                self.raw.resize(Self::CHUNK, 0);
                let n = read_retrying(inner, &mut self.raw)?;
                self.raw.truncate(n);
                self.raw_pos = 0;
                self.eof = n == 0;
            }
            let last = self.eof;
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.raw[self.raw_pos..],
                out,
                last,
            );
            self.raw_pos += read;
            match result {
                DecoderResult::Malformed(..) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "a byte sequence that is not valid {}, the encoding the XML \
                             declares: correct the declaration or the file",
                            self.decoder.encoding().name()
                        ),
                    ))
                }
                DecoderResult::InputEmpty if last => self.finished = true,
                _ => {}
            }
            if written > 0 {
                return Ok(written);
            }
        }
        Ok(0)
    }
}

/// Bytes already validated as UTF-8 as text, without the cost of a lossy conversion.
pub(super) fn utf8(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The first character of `text` that XML 1.0 does not allow.
///
/// Checked byte-wise first: outside ASCII controls, the only characters XML refuses that a
/// Rust string can hold are U+FFFE and U+FFFF, both encoded starting with 0xEF.
pub(super) fn forbidden_char(text: &str) -> Option<char> {
    let suspicious = |&b: &u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF;
    if !text.as_bytes().iter().any(suspicious) {
        return None;
    }
    text.chars().find(|&c| !is_xml_char(c))
}

/// Whether raw text is only spaces, tabs and line feeds (which need no decoding).
pub(super) fn is_plain_space(raw: &[u8]) -> bool {
    raw.iter().all(|b| matches!(b, b' ' | b'\t' | b'\n'))
}

pub(super) fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Tap<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if !self.started {
            self.start()?;
        }
        if self.pos >= self.filled {
            if self.tail.len() > self.cap {
                // Stop before buffering more: quick-xml would keep the whole element too.
                self.over_cap = true;
                return Err(io::Error::other("teczka record size limit"));
            }
            self.pos = 0;
            self.filled = 0;
            self.read_more()?;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amount: usize) {
        let end = (self.pos + amount).min(self.filled);
        self.tail.extend_from_slice(&self.buf[self.pos..end]);
        self.pos = end;
        self.peak = self.peak.max(self.tail.len());
    }
}
