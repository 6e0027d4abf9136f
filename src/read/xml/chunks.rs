//! Parsing a document's chunks on every core, and trusting only what one parse of the whole
//! document would have given.
//!
//! Once the root element is open, the rest of the document is cut into chunks
//! (`read::xml::split`), a batch of them is parsed at once on rayon's threads, and their records
//! are given out in document order, numbered on from the records before. Each chunk is parsed
//! by the sequential reader itself, over the root's start tag replayed ahead of the chunk's
//! bytes (so the root's namespace declarations and end-tag check hold), from the line and byte
//! where the chunk starts.
//!
//! A chunk's records are used only when its parse proves them to be what one sequential parse
//! gives: it ended at the root level with nothing open (at the document's end for the last
//! one), met no error, and no piece of it came near the record-size limit (which the sequential
//! reader checks only when its buffer runs dry). The first chunk that does not — a cut inside a
//! comment, a CDATA section, an attribute or another element, a syntax error, a huge pupil — and
//! every chunk after it in the batch are read again by one sequential reader from that chunk's
//! start, which reports the real error if there is one; past that chunk, chunking resumes.

use super::split::{Chunk, Kind, Position, Rewound, Splitter};
use super::{Dialect, Sequential, State};
use crate::model::record::Record;
use crate::read::Limits;
use rayon::prelude::*;
use std::collections::VecDeque;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// What one batch of chunks came to.
pub(super) enum Batch {
    /// Their records are ahead, in order.
    Read,
    /// Nothing was left to read.
    Ended,
    /// The first of these chunks could not be trusted; the rest were not used.
    Untrusted(Vec<Chunk>),
}

/// The rest of a document, read in chunks.
pub(super) struct Chunked<R> {
    splitter: Splitter<R>,
    root_tag: Arc<[u8]>,
    source: Arc<str>,
    limits: Limits,
    /// Records given out so far: the ordinal of the next chunk's first record.
    record: u64,
    /// Chunks parsed at once: a few per thread, so one slow chunk leaves the others busy.
    batch: usize,
}

impl<R: Read> Chunked<R> {
    /// Parse the next batch of chunks, putting their records `ahead` up to the first chunk
    /// that cannot be trusted.
    pub(super) fn read_batch(&mut self, ahead: &mut VecDeque<Record>) -> Batch {
        let chunks: Vec<Chunk> =
            std::iter::from_fn(|| self.splitter.next_chunk()).take(self.batch).collect();
        if chunks.is_empty() {
            return Batch::Ended;
        }
        let (root_tag, source, limits) = (&*self.root_tag, &self.source, &self.limits);
        let parsed: Vec<Option<Vec<Record>>> =
            chunks.par_iter().map(|chunk| parse(chunk, root_tag, source, limits)).collect();
        for (index, records) in parsed.into_iter().enumerate() {
            let Some(mut records) = records else {
                return Batch::Untrusted(chunks.into_iter().skip(index).collect());
            };
            for record in &mut records {
                renumber(record, self.record);
            }
            self.record += records.len() as u64;
            ahead.extend(records);
        }
        for chunk in chunks {
            self.splitter.recycle(chunk.bytes);
        }
        Batch::Read
    }

    /// A sequential reader over the `failed` chunks and everything after them, from the first
    /// one's start; and the file offset past which chunking may resume.
    pub(super) fn fall_back(self, failed: Vec<Chunk>) -> (Sequential<Rewound<R>>, u64) {
        let at = failed.first().map_or(self.splitter.position(), |chunk| chunk.at);
        // Past the failed chunk, and never where it started: an empty last chunk (a document
        // cut short after its root tag) would fail there again and again.
        let resume_past = failed.first().map_or(at.byte, Chunk::end).max(at.byte + 1);
        let mut unread = self.splitter.into_unread();
        for chunk in failed.into_iter().rev() {
            unread.put_back(chunk.bytes, chunk.ends);
        }
        let input = Rewound::replaying(&self.root_tag, at.byte, unread);
        let reader =
            Sequential::resume(input, self.source, self.limits, self.root_tag, at, self.record);
        (reader, resume_past)
    }
}

impl<R: Read> Sequential<Rewound<R>> {
    /// Where the reader stands, when it may hand the rest of the document over to chunks:
    /// between two pieces of a SOU-like root's content, at or past file offset `from`, reading
    /// the file's bytes as they are.
    pub(super) fn split_position(&mut self, from: u64) -> Option<Position> {
        let offset = self.xml.buffer_position();
        let tap = self.xml.get_mut();
        let between = !self.done
            && self.state == State::Root
            && self.dialect == Dialect::Sou
            && self.root_tag.is_some()
            && tap.reads_raw_bytes()
            // quick-xml holds no byte it has not handed on.
            && tap.consumed() == offset;
        let byte = tap.base + offset;
        (between && byte >= from)
            .then(|| Position { byte, newlines: tap.line_at(offset).saturating_sub(1) })
    }

    /// Hand the rest of the document, from `at`, over to chunks of about `chunk_bytes`.
    pub(super) fn into_chunks(self, at: Position, chunk_bytes: usize) -> Chunked<R> {
        let root_tag = self.root_tag.unwrap_or_else(|| Arc::from(&b""[..]));
        let (buffered, rewound) = self.xml.into_inner().into_unread();
        let mut unread = rewound.into_unread();
        // The tap's buffer was filled by one read, which ended where its bytes end.
        if !buffered.is_empty() {
            let end = at.byte + buffered.len() as u64;
            unread.put_back(buffered, vec![end]);
        }
        let record = record_name(&root_tag);
        Chunked {
            splitter: Splitter::new(unread, at, &record, chunk_bytes),
            root_tag,
            source: self.source,
            limits: self.limits,
            record: self.record,
            batch: 2 * rayon::current_num_threads().max(1),
        }
    }
}

impl<R: Read> Sequential<R> {
    /// Whether the reader ended where its input's kind says it must, with every piece within
    /// the record-size limit: a chunk at the root level, the last chunk after the root.
    fn ended_cleanly(&self) -> bool {
        let expected = if self.in_chunk { State::Root } else { State::Epilog };
        self.state == expected && self.xml.get_ref().peak <= self.limits.max_record_bytes
    }
}

/// The records of `chunk`, when they are what one sequential parse of the document gives
/// (numbered from 0). A panic is a bug to meet again in the sequential reader, not here.
fn parse(
    chunk: &Chunk,
    root_tag: &[u8],
    source: &Arc<str>,
    limits: &Limits,
) -> Option<Vec<Record>> {
    if chunk.kind == Kind::Uncut {
        return None;
    }
    catch_unwind(AssertUnwindSafe(|| parse_trusted(chunk, root_tag, source, limits))).ok().flatten()
}

fn parse_trusted(
    chunk: &Chunk,
    root_tag: &[u8],
    source: &Arc<str>,
    limits: &Limits,
) -> Option<Vec<Record>> {
    let input = root_tag.chain(&chunk.bytes[..]);
    let root = Arc::from(root_tag);
    let mut reader = Sequential::resume(input, source.clone(), *limits, root, chunk.at, 0);
    if chunk.kind == Kind::Cut {
        reader = reader.in_chunk();
    }
    reader.open_document().ok()?;
    // The replayed root tag was measured in the header already.
    reader.xml.get_mut().peak = 0;
    let mut records = Vec::new();
    let mut buf = Vec::new();
    while let Some(record) = reader.next_record(&mut buf).ok()? {
        records.push(record);
    }
    reader.ended_cleanly().then_some(records)
}

/// Number a record of a chunk on from `first`, the document's ordinal of the chunk's first.
fn renumber(record: &mut Record, first: u64) {
    for part in &mut record.parts {
        part.location.record += first;
    }
    for problem in &mut record.problems {
        problem.location.record += first;
    }
}

/// The qualified name records are expected under: `pupil`, with the root's prefix if it has
/// one. Other names are still read right, only never cut before.
fn record_name(root_tag: &[u8]) -> Vec<u8> {
    let name_end = root_tag
        .iter()
        .position(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/'))
        .unwrap_or(root_tag.len());
    let name = root_tag.get(1..name_end).unwrap_or_default();
    let record = crate::model::Entity::Pupil.element().as_bytes();
    match name.iter().position(|&b| b == b':') {
        Some(colon) => [&name[..=colon], record].concat(),
        None => record.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Mode, XmlReader};
    use super::*;
    use crate::read::ReadOptions;
    use proptest::prelude::*;
    use std::io;

    const NS: &str = "https://teczka.example/ns/sou/1";

    #[test]
    fn records_are_cut_before_under_the_root_s_prefix() {
        assert_eq!(record_name(b"<pupils xmlns=\"u\">"), b"pupil");
        assert_eq!(record_name(b"<s:pupils\nxmlns:s=\"u\">"), b"s:pupil");
        assert_eq!(record_name(b"<pupils>"), b"pupil");
    }

    /// A reader giving out at most `step` bytes a read, failing after `fail_at` bytes.
    struct Steps<'a> {
        data: &'a [u8],
        step: usize,
        fail_at: Option<usize>,
        given: usize,
    }

    impl Read for Steps<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.fail_at.is_some_and(|at| self.given >= at) {
                return Err(io::Error::other("the disk went away"));
            }
            let room = self.fail_at.map_or(usize::MAX, |at| at - self.given);
            let n = self.data.len().min(out.len()).min(self.step).min(room);
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            self.given += n;
            Ok(n)
        }
    }

    fn steps(data: &[u8], step: usize) -> Steps<'_> {
        Steps { data, step, fail_at: None, given: 0 }
    }

    /// Everything a reader gives out: records (ids, positions, problems, text) and the error.
    fn outcome(reader: impl Iterator<Item = crate::Result<Record>>) -> Vec<String> {
        reader.map(|item| format!("{item:?}")).collect()
    }

    /// What `data` gives read sequentially and in chunks of `chunk` bytes, each over reads of
    /// at most `step` bytes.
    fn both(data: &[u8], step: usize, chunk: usize, options: &ReadOptions) -> [Vec<String>; 2] {
        let sequential = XmlReader::new(steps(data, step), "p.xml", options).sequential();
        let chunked = XmlReader::new(steps(data, step), "p.xml", options).with_chunk_bytes(chunk);
        [outcome(sequential), outcome(chunked)]
    }

    fn assert_same(data: &[u8], step: usize, chunk: usize, options: &ReadOptions) {
        let [sequential, chunked] = both(data, step, chunk, options);
        assert!(!sequential.is_empty());
        assert_eq!(chunked, sequential, "step {step}, chunk {chunk}");
    }

    fn small_limits() -> ReadOptions {
        ReadOptions {
            limits: Limits {
                max_depth: 6,
                max_field_bytes: 64,
                max_record_bytes: 300,
                max_list_items: 3,
                max_attributes: 3,
            },
            ..ReadOptions::default()
        }
    }

    /// The start of a document, and the prefix its records carry.
    fn head(kind: u8) -> (&'static str, &'static str) {
        match kind {
            0 => (
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<pupils xmlns=\"NS\" version=\"1\">\n",
                "",
            ),
            1 => ("\u{FEFF}<pupils>", ""),
            2 => {
                ("<?xml version='1.0'?>\r\n<!-- <pupil> -->\r\n<s:pupils\r\n xmlns:s=\"NS\">", "s:")
            }
            3 => ("<pupils xmlns=\"NS\" xmlns:x=\"urn:x\"><?pi <pupil>?>", ""),
            4 => ("<!DOCTYPE pupils [<!ENTITY e \"x\">]><pupils>", ""),
            5 => ("<?xml version=\"1.0\" encoding=\"windows-1250\"?><pupils>", ""),
            6 => ("<pupils/>", ""),
            7 => ("<pupils xmlns=\"urn:other\">", ""),
            _ => ("<pupils\n  xmlns=\"NS\"\n  version=\"1\"\n>", ""),
        }
    }

    /// One piece of a root's content: pupils good and bad, and every trap for a cut.
    fn piece(kind: u8, n: u16, p: &str) -> Vec<u8> {
        let id = format!("<id>P{n}</id>");
        let text = match kind {
            0 => format!("\n  <{p}pupil>{id}<surname>Nowak</surname></{p}pupil>"),
            1 => {
                format!("<{p}pupil>\r\n{id}\r\n<birth_date>2012-02-30</birth_date></{p}pupil>\r\n")
            }
            2 => format!(
                "<{p}pupil>{id}<remarks><remark><text><![CDATA[<pupil>x</pupil>]]></text>\
                 </remark></remarks></{p}pupil>"
            ),
            3 => format!("<!-- <{p}pupil><id>c</id></{p}pupil> -->"),
            4 => format!("<{p}pupil>{id}<!-- <{p}pupil> --><surname>A</surname></{p}pupil>"),
            5 => format!("<{p}pupil>{id}<{p}pupil><id>inner</id></{p}pupil></{p}pupil>"),
            6 => format!("<{p}pupil a=\"x>y\" b='<{p}pupil>'>{id}</{p}pupil>"),
            7 => format!("<?pi <{p}pupil> ?>"),
            8 => format!("<other><{p}pupil/></other>"),
            9 => format!("<{p}pupil>{id}<surname>&amp;&#x17B;&lt;pupil&gt;</surname></{p}pupil>"),
            10 => format!("<{p}pupil>{id}<surname>&bad;</surname></{p}pupil>"),
            11 => format!("<{p}pupil>{id}</surname></{p}pupil>"),
            12 => "stray text".to_string(),
            13 => format!("<![CDATA[<{p}pupil>]]>"),
            14 => "<!DOCTYPE x>".to_string(),
            15 => "<?xml version=\"1.0\"?>".to_string(),
            16 => {
                let open = format!("<{p}pupil>{id}<surname>");
                let close = format!("</surname></{p}pupil>");
                return [open.as_bytes(), b"\xC5", close.as_bytes()].concat();
            }
            17 => {
                let surname = "x".repeat(usize::from(n) % 700);
                format!("<{p}pupil>{id}<surname>{surname}</surname></{p}pupil>")
            }
            18 => format!("<{p}pupil/>"),
            19 => format!("<{p}pupil>{id}<x:y xmlns:x=\"urn:x\">1</x:y><q:z/></{p}pupil>"),
            20 => format!("<{p}pupil>"),
            21 => format!("</{p}pupil>"),
            22 => "\n\t \r\n".to_string(),
            23 => format!(
                "<{p}pupil>{id}<guardians>{}</guardians></{p}pupil>",
                "<guardian><surname>S</surname></guardian>".repeat(usize::from(n) % 6)
            ),
            24 => format!("<{p}pupil xmlns:s2=\"urn:y\">{id}<s2:x/></{p}pupil>"),
            25 => {
                let depth = usize::from(n) % 9;
                format!("<{p}pupil>{id}{}{}</{p}pupil>", "<a>".repeat(depth), "</a>".repeat(depth))
            }
            26 => format!("<{p}pupilx/><{p}pupils/>"),
            27 => format!("<{p}pupil>{id}</{p}pupil></{p}pupils><{p}pupil/>"),
            _ => format!("<{p}pupil x=\"1\" y=\"2\" z=\"3\" w=\"4\">{id}</{p}pupil>"),
        };
        text.into_bytes()
    }

    /// The end of a document.
    fn tail(kind: u8, p: &str) -> String {
        match kind {
            0 => format!("\n</{p}pupils>\n"),
            1 => format!("</{p}pupils><!-- end -->\r\n"),
            2 => String::new(),
            3 => format!("</{p}pupils>junk"),
            _ => format!("</{p}pupils>"),
        }
    }

    fn document(head_kind: u8, pieces: &[(u8, u16)], tail_kind: u8) -> Vec<u8> {
        let (head, p) = head(head_kind);
        let mut data = head.replace("NS", NS).into_bytes();
        for &(kind, n) in pieces {
            data.extend(piece(kind, n, p));
        }
        data.extend(tail(tail_kind, p).into_bytes());
        data
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 512,
            max_shrink_iters: 200,
            ..ProptestConfig::default()
        })]

        /// Whatever the document (well-formed or not, traps for the cut or not), read in
        /// chunks it gives exactly what one sequential read gives.
        #[test]
        fn chunked_reading_gives_what_sequential_reading_gives(
            head_kind in prop_oneof![6 => Just(0u8), 4 => 1u8..9],
            pieces in prop::collection::vec(
                (prop_oneof![8 => Just(0u8), 2 => Just(1u8), 12 => 2u8..29], any::<u16>()),
                0..24,
            ),
            tail_kind in prop_oneof![4 => Just(0u8), 1 => 1u8..5],
            edits in prop::option::weighted(
                0.2,
                prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
            ),
            cut in prop::option::weighted(0.1, any::<usize>()),
            chunk in prop_oneof![Just(1usize), Just(5), Just(64), Just(333), Just(1 << 20)],
            step in prop_oneof![Just(usize::MAX), Just(1usize), Just(7), Just(4096)],
            small in any::<bool>(),
        ) {
            let mut data = document(head_kind, &pieces, tail_kind);
            for (at, byte) in edits.unwrap_or_default() {
                let at = at % (data.len() + 1);
                data.insert(at, byte);
            }
            if let Some(cut) = cut {
                data.truncate(cut % (data.len() + 1));
            }
            let options = if small { small_limits() } else { ReadOptions::default() };
            let [sequential, chunked] = both(&data, step, chunk, &options);
            prop_assert_eq!(chunked, sequential);
        }
    }

    /// A reader's mode after it has given out `n` records.
    fn mode_after(reader: &mut XmlReader<&[u8]>, n: usize) -> &'static str {
        for _ in 0..n {
            reader.next();
        }
        match reader.mode {
            Mode::Sequential { .. } => "sequential",
            Mode::Chunked(_) => "chunked",
            Mode::Over => "over",
        }
    }

    fn pupils(range: std::ops::Range<u16>) -> Vec<u8> {
        range.flat_map(|n| piece(0, n, "")).collect()
    }

    #[test]
    fn a_cut_in_a_comment_is_read_sequentially_and_chunking_resumes_past_it() {
        let mut body = pupils(0..20);
        // The first `<pupil` past 64 bytes is in a comment.
        let comment: &[u8] =
            b"<!-- a comment long enough that the pupil tag in it lies past 64 bytes: <pupil> -->";
        body.splice(0..0, comment.iter().copied());
        let data = [&b"<pupils>"[..], &body, b"</pupils>"].concat();
        let options = ReadOptions::default();
        let mut reader = XmlReader::new(&data[..], "p.xml", &options).with_chunk_bytes(64);
        assert_eq!(mode_after(&mut reader, 1), "sequential");
        assert_eq!(mode_after(&mut reader, 1), "chunked");
        assert_same(&data, usize::MAX, 64, &options);
    }

    #[test]
    fn a_clean_document_is_read_in_chunks_numbered_in_order() {
        let data = [&b"<pupils>"[..], &pupils(0..50), b"</pupils>"].concat();
        let options = ReadOptions::default();
        let mut reader = XmlReader::new(&data[..], "p.xml", &options).with_chunk_bytes(100);
        assert_eq!(mode_after(&mut reader, 1), "chunked");
        let records: Vec<Record> = XmlReader::new(&data[..], "p.xml", &options)
            .with_chunk_bytes(100)
            .collect::<crate::Result<_>>()
            .unwrap();
        let ordinals: Vec<u64> = records.iter().map(|r| r.location().record).collect();
        assert_eq!(ordinals, (0..50).collect::<Vec<u64>>());
        assert_eq!(records[49].pupil.id, "P49");
        assert_same(&data, usize::MAX, 100, &options);
    }

    /// Pupils around the record-size limit in documents larger than the tap's buffer: whether
    /// the limit is met depends on where the buffer runs dry, which chunking must not change.
    #[test]
    fn pupils_near_the_size_limit_stop_the_run_where_a_sequential_read_does() {
        let options = ReadOptions {
            limits: Limits { max_record_bytes: 70_000, ..Limits::default() },
            ..ReadOptions::default()
        };
        for big in [60_000, 69_990, 70_050, 90_000, 140_000] {
            let mut pieces: Vec<u8> = pupils(0..300);
            let large = format!("<pupil><id>L</id><surname>{}</surname></pupil>", "x".repeat(big));
            pieces.extend(large.into_bytes());
            pieces.extend(pupils(300..3000));
            let data = [&b"<pupils>"[..], &pieces, b"</pupils>"].concat();
            for step in [usize::MAX, 4096, 65_537] {
                for chunk in [1, 1000, 1 << 20] {
                    assert_same(&data, step, chunk, &options);
                }
            }
        }
    }

    #[test]
    fn a_pupil_larger_than_the_splitter_holds_is_read_sequentially_then_chunking_resumes() {
        let large =
            format!("<pupil><id>L</id><surname>{}</surname></pupil>", "x".repeat(1_500_000));
        let data =
            [&b"<pupils>"[..], &pupils(0..10), large.as_bytes(), &pupils(10..400), b"</pupils>"]
                .concat();
        let options = ReadOptions::default();
        let mut reader = XmlReader::new(&data[..], "p.xml", &options).with_chunk_bytes(64);
        assert_eq!(mode_after(&mut reader, 11), "sequential");
        assert_eq!(mode_after(&mut reader, 1), "chunked");
        assert_same(&data, usize::MAX, 64, &options);
    }

    #[test]
    fn a_read_error_stops_the_run_after_the_same_records() {
        let data = [&b"<pupils>"[..], &pupils(0..2000), b"</pupils>"].concat();
        let options = ReadOptions::default();
        for fail_at in [5, 300, 70_000, 100_001] {
            let run = |chunked: bool| {
                let input =
                    Steps { data: &data, step: usize::MAX, fail_at: Some(fail_at), given: 0 };
                let reader = XmlReader::new(input, "p.xml", &options);
                outcome(if chunked { reader.with_chunk_bytes(1000) } else { reader.sequential() })
            };
            let sequential = run(false);
            assert!(sequential.last().is_some_and(|e| e.contains("the disk went away")));
            assert_eq!(run(true), sequential, "failing at {fail_at}");
        }
    }
}
