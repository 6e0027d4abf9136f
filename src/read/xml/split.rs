//! Cutting the rest of a document into chunks of whole pupils, and handing bytes already read
//! back to a reader in the reads they came in.
//!
//! The splitter does not parse. It cuts before the first `<pupil` that lies at least a chunk's
//! size in, wherever that is: between two pupils, as nearly always, or inside a comment, a
//! CDATA section, an attribute value or another pupil. Parsing the chunk before the cut tells
//! which (`read::xml::chunks`): only a cut between two pieces of the root's content leaves that
//! parse at the root level with nothing unfinished. Line feeds are counted here, so each chunk
//! knows the line it starts on.
//!
//! The splitter reads as the tap does, at most [`TAP_BUFFER`] bytes a read, and remembers where
//! each read ended. The tap checks the record-size limit whenever its buffer runs dry, so a
//! reader resumed over bytes the splitter read ([`Rewound`]) gets them in those same reads and
//! finds exactly the limit errors that one reader of the whole input would.

use super::tap::{newlines, read_retrying, TAP_BUFFER};
use std::collections::VecDeque;
use std::io::{self, Read};

/// A place in the input between two pieces of the root element's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Position {
    /// Offset in the file (a byte-order mark counts).
    pub(super) byte: u64,
    /// Line feeds before it.
    pub(super) newlines: u64,
}

/// How a chunk ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Before a `<pupil`: a parse of it must end at the root level.
    Cut,
    /// At the end of the input: a parse of it must end the document.
    Last,
    /// Wherever the splitter gave up (no `<pupil` within reach, or a read failed): not parsed
    /// on its own; the document is read on sequentially from its start.
    Uncut,
}

/// A run of the document's bytes to parse on its own.
pub(super) struct Chunk {
    pub(super) bytes: Vec<u8>,
    pub(super) at: Position,
    /// File offsets at which the reads that brought its bytes ended.
    pub(super) ends: Vec<u64>,
    pub(super) kind: Kind,
}

impl Chunk {
    /// The file offset just past its bytes.
    pub(super) fn end(&self) -> u64 {
        self.at.byte + self.bytes.len() as u64
    }
}

/// The rest of an input, some of it already read.
pub(super) struct Unread<R> {
    /// Bytes read and not yet used.
    pub(super) bytes: Vec<u8>,
    /// File offsets at which the reads that brought `bytes` ended, in order.
    pub(super) ends: Vec<u64>,
    /// The error the read after `bytes` met: whoever reads on meets it there too.
    pub(super) failure: Option<io::Error>,
    /// The input after that.
    pub(super) rest: R,
}

impl<R> Unread<R> {
    /// Nothing read yet.
    pub(super) fn new(rest: R) -> Unread<R> {
        Unread { bytes: Vec::new(), ends: Vec::new(), failure: None, rest }
    }

    /// Put `bytes`, read just before these in reads ending at file offsets `ends`, in front.
    pub(super) fn put_back(&mut self, mut bytes: Vec<u8>, mut ends: Vec<u64>) {
        bytes.append(&mut self.bytes);
        self.bytes = bytes;
        ends.append(&mut self.ends);
        self.ends = ends;
    }
}

/// Cuts the rest of a document into [`Chunk`]s of at least `chunk_bytes` (but the last).
pub(super) struct Splitter<R> {
    /// Read and not yet cut: the bytes at `at`.
    unread: Unread<R>,
    at: Position,
    /// How far into `unread.bytes` no cut was found.
    searched: usize,
    /// `<` and the record element's qualified name: where a cut may go.
    tag: Vec<u8>,
    chunk_bytes: usize,
    /// Most bytes held without a cut before giving up.
    give_up: usize,
    at_end: bool,
    finished: bool,
    /// Buffers of parsed chunks, to cut the next ones into: fresh ones would each be new
    /// pages from the system, zeroed by it, and cost a tenth of the parse.
    spare: Vec<Vec<u8>>,
}

impl<R: Read> Splitter<R> {
    /// Cut `unread`, which starts at `at`, before records named `record` (`pupil`, `s:pupil`).
    pub(super) fn new(
        unread: Unread<R>,
        at: Position,
        record: &[u8],
        chunk_bytes: usize,
    ) -> Splitter<R> {
        let chunk_bytes = chunk_bytes.max(1);
        Splitter {
            unread,
            at,
            searched: 0,
            tag: [b"<", record].concat(),
            chunk_bytes,
            // A pupil may be far larger than a chunk, but not without bound: past this the
            // rest is read sequentially, which holds one pupil at a time.
            give_up: chunk_bytes.saturating_add(chunk_bytes.saturating_mul(4).max(1 << 20)),
            at_end: false,
            finished: false,
            spare: Vec::new(),
        }
    }

    /// Take back the buffer of a chunk that was parsed, to cut a later chunk into.
    pub(super) fn recycle(&mut self, mut bytes: Vec<u8>) {
        // As many as a batch holds are in use at once; more would only hold memory.
        if self.spare.len() < SPARE_BUFFERS {
            bytes.clear();
            self.spare.push(bytes);
        }
    }

    /// The next chunk, `None` once the last one was given out.
    pub(super) fn next_chunk(&mut self) -> Option<Chunk> {
        if self.finished {
            return None;
        }
        loop {
            if let Some(cut) = self.find_cut() {
                return Some(self.cut(cut, Kind::Cut));
            }
            let stuck = self.unread.failure.is_some() || self.unread.bytes.len() >= self.give_up;
            if self.at_end || stuck {
                self.finished = true;
                let kind = if self.at_end { Kind::Last } else { Kind::Uncut };
                return Some(self.cut(self.unread.bytes.len(), kind));
            }
            self.read_more();
        }
    }

    /// Where the bytes not cut yet start.
    pub(super) fn position(&self) -> Position {
        self.at
    }

    /// What is read and not cut, and the input after it.
    pub(super) fn into_unread(self) -> Unread<R> {
        self.unread
    }

    /// The first `<pupil` at or past `chunk_bytes` (never at 0: a chunk is never empty).
    fn find_cut(&mut self) -> Option<usize> {
        let bytes = &self.unread.bytes;
        let mut from = self.searched.max(self.chunk_bytes).max(1);
        while let Some(skip) = bytes.get(from..).and_then(|b| b.iter().position(|&c| c == b'<')) {
            let at = from + skip;
            let Some(&after) = bytes.get(at + self.tag.len()) else {
                // The name may go on in bytes not read yet.
                self.searched = at;
                return None;
            };
            if bytes[at..].starts_with(&self.tag) && ends_name(after) {
                return Some(at);
            }
            from = at + 1;
        }
        self.searched = bytes.len().max(from);
        None
    }

    fn cut(&mut self, len: usize, kind: Kind) -> Chunk {
        let mut rest = self.spare.pop().unwrap_or_default();
        rest.extend_from_slice(&self.unread.bytes[len..]);
        self.unread.bytes.truncate(len);
        let bytes = std::mem::replace(&mut self.unread.bytes, rest);
        let end = self.at.byte + len as u64;
        let later = self.unread.ends.partition_point(|&e| e <= end);
        let rest_ends = self.unread.ends.split_off(later);
        let ends = std::mem::replace(&mut self.unread.ends, rest_ends);
        let at = self.at;
        self.at = Position { byte: end, newlines: at.newlines + newlines(&bytes) };
        self.searched = 0;
        Chunk { bytes, at, ends, kind }
    }

    /// One read, as the tap makes them.
    fn read_more(&mut self) {
        let bytes = &mut self.unread.bytes;
        let len = bytes.len();
        bytes.resize(len + TAP_BUFFER, 0);
        let n = match read_retrying(&mut self.unread.rest, &mut bytes[len..]) {
            Ok(n) => n,
            Err(e) => {
                self.unread.failure = Some(e);
                0
            }
        };
        bytes.truncate(len + n);
        if n > 0 {
            self.unread.ends.push(self.at.byte + bytes.len() as u64);
        } else if self.unread.failure.is_none() {
            self.at_end = true;
        }
    }
}

/// Chunk buffers kept for reuse: more than a batch of chunks (a few per thread) in flight.
const SPARE_BUFFERS: usize = 8;

/// Whether `byte` may follow an element name in a start tag.
fn ends_name(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/')
}

/// An input whose first bytes were read already: a lead (the root element's start tag), the
/// bytes read, each in the read it came in, the error the next read met, then the rest.
pub(super) struct Rewound<R> {
    replay: Vec<u8>,
    at: usize,
    /// The file offset `replay[0]` stands for (the lead counted back from its bytes).
    origin: u64,
    /// File offsets at which the replayed reads end.
    ends: VecDeque<u64>,
    failure: Option<io::Error>,
    rest: R,
}

impl<R: Read> Rewound<R> {
    /// An input nothing was read from yet.
    pub(super) fn new(rest: R) -> Rewound<R> {
        Rewound::replaying(&[], 0, Unread::new(rest))
    }

    /// `lead`, then `unread`, whose bytes start at file offset `byte`. The first read gives
    /// the lead together with the first read's bytes.
    pub(super) fn replaying(lead: &[u8], byte: u64, unread: Unread<R>) -> Rewound<R> {
        let mut replay = Vec::with_capacity(lead.len() + unread.bytes.len());
        replay.extend_from_slice(lead);
        replay.extend_from_slice(&unread.bytes);
        Rewound {
            replay,
            at: 0,
            origin: byte.saturating_sub(lead.len() as u64),
            ends: unread.ends.into(),
            failure: unread.failure,
            rest: unread.rest,
        }
    }

    /// What was not read back yet, and the input after it.
    pub(super) fn into_unread(mut self) -> Unread<R> {
        let here = self.origin + self.at as u64;
        self.ends.retain(|&end| end > here);
        self.replay.drain(..self.at);
        Unread {
            bytes: self.replay,
            ends: self.ends.into(),
            failure: self.failure,
            rest: self.rest,
        }
    }
}

impl<R: Read> Read for Rewound<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at < self.replay.len() {
            let here = self.origin + self.at as u64;
            while self.ends.front().is_some_and(|&end| end <= here) {
                self.ends.pop_front();
            }
            let end = match self.ends.front() {
                Some(&end) => usize::try_from(end - self.origin).unwrap_or(usize::MAX),
                None => usize::MAX,
            };
            let n = (end.min(self.replay.len()) - self.at).min(out.len());
            out[..n].copy_from_slice(&self.replay[self.at..self.at + n]);
            self.at += n;
            return Ok(n);
        }
        if let Some(failure) = self.failure.take() {
            return Err(failure);
        }
        // No more than the tap asks of a file, so its buffer runs dry where it would have.
        let n = out.len().min(TAP_BUFFER);
        self.rest.read(&mut out[..n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader giving out at most `step` bytes a read.
    struct Steps<'a>(&'a [u8], usize);

    impl Read for Steps<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(out.len()).min(self.1);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn chunks(data: &[u8], chunk_bytes: usize) -> Vec<Chunk> {
        let start = Position { byte: 100, newlines: 7 };
        let mut splitter = Splitter::new(Unread::new(data), start, b"pupil", chunk_bytes);
        std::iter::from_fn(|| splitter.next_chunk()).collect()
    }

    #[test]
    fn cuts_before_the_first_record_tag_past_the_chunk_size_counting_lines() {
        let data = b"\n <pupil>a</pupil>\n <pupils/><pupilx/><pupil\n/>\n</pupils>";
        let got = chunks(data, 1);
        let texts: Vec<&[u8]> = got.iter().map(|c| &c.bytes[..]).collect();
        assert_eq!(
            texts,
            [&b"\n "[..], b"<pupil>a</pupil>\n <pupils/><pupilx/>", b"<pupil\n/>\n</pupils>"]
        );
        let at: Vec<(u64, u64)> = got.iter().map(|c| (c.at.byte, c.at.newlines)).collect();
        assert_eq!(at, [(100, 7), (102, 8), (138, 9)]);
        let kinds: Vec<Kind> = got.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [Kind::Cut, Kind::Cut, Kind::Last]);
        assert_eq!(got.concat_bytes(), data);
    }

    trait Concat {
        fn concat_bytes(&self) -> Vec<u8>;
    }

    impl Concat for Vec<Chunk> {
        fn concat_bytes(&self) -> Vec<u8> {
            self.iter().flat_map(|c| c.bytes.iter().copied()).collect()
        }
    }

    #[test]
    fn a_tag_split_across_reads_is_found_and_far_from_any_tag_it_gives_up() {
        let data = b"xx<pupil>yy<pupil>";
        let mut splitter = Splitter::new(
            Unread::new(Steps(data, 4)),
            Position { byte: 0, newlines: 0 },
            b"pupil",
            1,
        );
        let first = splitter.next_chunk().unwrap();
        assert_eq!(first.bytes, b"xx");
        // The read that brought the cut ended past it: it belongs to the next chunk.
        assert!(first.ends.is_empty());
        let second = splitter.next_chunk().unwrap();
        assert_eq!((&second.bytes[..], second.kind), (&b"<pupil>yy"[..], Kind::Cut));
        assert_eq!(second.ends, [4, 8]);
        let last = splitter.next_chunk().unwrap();
        assert_eq!(
            (&last.bytes[..], last.kind, &last.ends[..]),
            (&b"<pupil>"[..], Kind::Last, &[12, 16, 18][..])
        );
        assert!(splitter.next_chunk().is_none());
        let mut data = vec![b'x'; 3 << 20];
        data.extend_from_slice(b"<pupil>");
        let got = chunks(&data, 1);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].kind, Kind::Uncut);
        assert!(got[0].bytes.len() < data.len());
    }

    #[test]
    fn rewound_bytes_come_in_their_reads_then_the_failure_then_the_rest() {
        let unread = Unread {
            bytes: b"abcdefgh".to_vec(),
            ends: vec![13, 16, 18],
            failure: Some(io::Error::other("gone")),
            rest: &b"ij"[..],
        };
        let mut input = Rewound::replaying(b"<r>", 10, unread);
        let mut out = [0u8; 64];
        let mut reads = Vec::new();
        loop {
            match input.read(&mut out) {
                Ok(0) => break,
                Ok(n) => reads.push(String::from_utf8_lossy(&out[..n]).into_owned()),
                Err(e) => reads.push(format!("error: {e}")),
            }
        }
        assert_eq!(reads, ["<r>abc", "def", "gh", "error: gone", "ij"]);
    }

    #[test]
    fn what_is_not_rewound_yet_is_unread_again() {
        let unread =
            Unread { bytes: b"abcdef".to_vec(), ends: vec![3, 6], failure: None, rest: &b""[..] };
        let mut input = Rewound::replaying(b"", 0, unread);
        let mut out = [0u8; 2];
        assert_eq!(input.read(&mut out).unwrap(), 2);
        let unread = input.into_unread();
        assert_eq!((unread.bytes, unread.ends), (b"cdef".to_vec(), vec![3, 6]));
    }
}
