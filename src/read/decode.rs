//! Text encodings of CSV inputs: detection, forced names, and decoding rows to UTF-8.
//!
//! Polish and Czech schools hand over UTF-8 (with or without Excel's BOM), Windows-1250 (what
//! Excel in those locales saves) and ISO-8859-2 (older Unix tools). The two 8-bit encodings
//! agree on ASCII and most letters but differ on `ą ś ź Ą Ś Ź` and Czech `š ť ž Š Ť Ž`, so
//! [`detect_encoding`] decodes a sample both ways and counts which reading gives letters of
//! these languages rather than symbols and control characters.
//!
//! Every supported 8-bit encoding keeps the CSV structure bytes (`;` `,` tab `"` CR LF) as
//! single ASCII bytes, so the CSV reader splits rows on the *undecoded* bytes and decodes each
//! row afterwards: byte offsets in locations are offsets in the file as it lies on disk. The
//! exception is UTF-16 (Excel's "Unicode text"), which is transcoded to UTF-8 first; its
//! offsets count bytes of the transcoded UTF-8 text.

use crate::error::{Error, ErrorKind, Location, Result};
use encoding_rs::{Encoding, ISO_8859_2, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1250};
use std::io::{self, Read};

/// How many bytes of a file [`detect_encoding`] looks at.
pub(crate) const SAMPLE_BYTES: usize = 64 * 1024;

/// Detect the encoding of a sample from the start of a file.
///
/// A UTF-8 byte-order mark means UTF-8, a UTF-16 one (or a sample full of zero bytes) UTF-16;
/// valid UTF-8 (allowing a character cut off at the end of the sample) means UTF-8; otherwise
/// Windows-1250 or ISO-8859-2, whichever reads as more Polish or Czech letters, Windows-1250
/// when the evidence is even (it is what Polish and Czech Excel writes).
///
/// # Example
///
/// ```
/// use teczka::read::detect_encoding;
///
/// let (cp1250, _, _) = encoding_rs::WINDOWS_1250.encode("Świętosław;Łódź");
/// assert_eq!(detect_encoding(&cp1250), encoding_rs::WINDOWS_1250);
/// let (latin2, _, _) = encoding_rs::ISO_8859_2.encode("Świętosław;Łódź");
/// assert_eq!(detect_encoding(&latin2), encoding_rs::ISO_8859_2);
/// assert_eq!(detect_encoding("Świętosław".as_bytes()), encoding_rs::UTF_8);
/// ```
pub fn detect_encoding(sample: &[u8]) -> &'static Encoding {
    sniff(sample).0
}

/// The encoding and the length of its byte-order mark.
fn sniff(sample: &[u8]) -> (&'static Encoding, usize) {
    if let Some((encoding, bom)) = Encoding::for_bom(sample) {
        return (encoding, bom);
    }
    if let Some(encoding) = utf16_without_bom(sample) {
        return (encoding, 0);
    }
    match std::str::from_utf8(sample) {
        Ok(_) => return (UTF_8, 0),
        // A sequence cut off by the end of the sample is not evidence against UTF-8.
        Err(e) if e.error_len().is_none() => return (UTF_8, 0),
        Err(_) => {}
    }
    if letter_score(ISO_8859_2, sample) > letter_score(WINDOWS_1250, sample) {
        (ISO_8859_2, 0)
    } else {
        (WINDOWS_1250, 0)
    }
}

/// UTF-16 text without a BOM shows a zero byte in every other position (ASCII letters).
fn utf16_without_bom(sample: &[u8]) -> Option<&'static Encoding> {
    let head = &sample[..sample.len().min(4096)];
    if head.len() < 4 {
        return None;
    }
    let zeros = |parity: usize| {
        head.iter().enumerate().filter(|(i, b)| i % 2 == parity && **b == 0).count()
    };
    let (even, odd) = (zeros(0), zeros(1));
    let half = head.len() / 2;
    if odd > half / 2 && even == 0 {
        Some(UTF_16LE)
    } else if even > half / 2 && odd == 0 {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// How Polish or Czech the sample reads in `encoding`: letters of these languages count for,
/// C1 control characters (never in real text) and rare symbols against.
fn letter_score(encoding: &'static Encoding, sample: &[u8]) -> i64 {
    const LETTERS: &str = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻáčďéěíňřšťúůýžÁČĎÉĚÍŇŘŠŤÚŮÝŽ";
    const SYMBOLS: &str = "±¶¬¦©«»®ˇ˘˝¤§¨°´¸";
    let (text, _) = encoding.decode_without_bom_handling(sample);
    text.chars()
        .filter(|c| !c.is_ascii())
        .map(|c| {
            if LETTERS.contains(c) {
                1
            } else if ('\u{80}'..='\u{9f}').contains(&c) {
                -5
            } else if SYMBOLS.contains(c) {
                -1
            } else {
                0
            }
        })
        .sum()
}

/// Look up an encoding by a user-given name: any WHATWG label (`utf-8`, `windows-1250`,
/// `cp1250`, `iso-8859-2`, `latin2`, …) plus the spellings people type (`win1250`, `1250`,
/// `utf8-bom`, `iso88592`).
pub fn encoding_by_name(name: &str) -> Option<&'static Encoding> {
    let name = name.trim().to_ascii_lowercase();
    match name.as_str() {
        "win1250" | "win-1250" | "windows1250" | "1250" | "ansi" => Some(WINDOWS_1250),
        "iso88592" | "8859-2" | "latin-2" => Some(ISO_8859_2),
        "utf8-bom" | "utf-8-bom" | "utf-8-sig" | "utf8-sig" => Some(UTF_8),
        _ => Encoding::for_label(name.as_bytes()),
    }
}

/// What opening a CSV stream found out about its encoding.
pub(crate) struct Prepared {
    /// The stream to split into rows: starts after the BOM, in `decoder`'s encoding.
    pub reader: Box<dyn Read + Send>,
    /// The first bytes of `reader` (up to [`SAMPLE_BYTES`]), for delimiter detection.
    pub head: Vec<u8>,
    /// Decodes rows of `reader`.
    pub decoder: TextDecoder,
    /// The file offset `reader` starts at (the BOM's length).
    pub start: u64,
    /// The encoding of the file as detected or forced (UTF-16 files are transcoded to UTF-8,
    /// so this differs from `decoder`'s encoding for them).
    pub file_encoding: &'static Encoding,
}

/// Read the head of `input`, settle its encoding (forced, or detected; `more_evidence` is
/// asked for a later sample when the head is plain ASCII) and return the stream to split.
pub(crate) fn prepare(
    mut input: Box<dyn Read + Send>,
    source: &str,
    forced: Option<&'static Encoding>,
    more_evidence: impl FnOnce() -> Option<Vec<u8>>,
) -> Result<Prepared> {
    let mut head = read_head(&mut input).map_err(|e| Error::io(source, e))?;
    let (mut encoding, bom) = sniff(&head);
    if let Some(forced) = forced {
        // Trust the user about the encoding but still drop a BOM of that very encoding.
        encoding = forced;
    } else if head.len() == SAMPLE_BYTES && head.is_ascii() {
        // Plain ASCII says nothing; a Windows-1250 file may show its first `ą` much later.
        if let Some(later) = more_evidence() {
            encoding = sniff(&later).0;
        }
    }
    let bom = match Encoding::for_bom(&head) {
        Some((e, len)) if e == encoding && bom == len => len,
        _ => 0,
    };
    if encoding == UTF_16LE || encoding == UTF_16BE {
        let rest = io::Cursor::new(head).chain(input);
        let mut transcoded: Box<dyn Read + Send> = Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .strip_bom(true)
                .build(rest),
        );
        let head = read_head(&mut transcoded).map_err(|e| Error::io(source, e))?;
        let reader = Box::new(io::Cursor::new(head.clone()).chain(transcoded));
        return Ok(Prepared {
            reader,
            head,
            decoder: TextDecoder { encoding: UTF_8 },
            start: 0,
            file_encoding: encoding,
        });
    }
    head.drain(..bom);
    let reader = Box::new(io::Cursor::new(head.clone()).chain(input));
    Ok(Prepared {
        reader,
        head,
        decoder: TextDecoder { encoding },
        start: bom as u64,
        file_encoding: encoding,
    })
}

fn read_head(input: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(SAMPLE_BYTES);
    input.take(SAMPLE_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Scan `input` for its first non-ASCII byte and return up to [`SAMPLE_BYTES`] from there;
/// `None` if the whole stream is ASCII (or cannot be read: the main read will say why).
pub(crate) fn first_non_ascii_sample(mut input: impl Read) -> Option<Vec<u8>> {
    let mut chunk = vec![0; SAMPLE_BYTES];
    loop {
        let n = input.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(at) = chunk[..n].iter().position(|b| !b.is_ascii()) {
            // Step back a little so a UTF-8 sequence is not cut at its start.
            let mut sample = chunk[at..n].to_vec();
            let missing = SAMPLE_BYTES.saturating_sub(sample.len());
            input.take(missing as u64).read_to_end(&mut sample).ok()?;
            return Some(sample);
        }
    }
}

/// Decodes the bytes of one row to UTF-8, refusing invalid input.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TextDecoder {
    encoding: &'static Encoding,
}

impl TextDecoder {
    /// A decoder for `encoding` (8-bit encodings or UTF-8).
    #[cfg(test)]
    pub fn new(encoding: &'static Encoding) -> TextDecoder {
        TextDecoder { encoding }
    }

    /// Decode `bytes`, which start at `at`; an invalid sequence is an
    /// [`ErrorKind::Encoding`] error at the offset of its first byte.
    pub fn decode(&self, bytes: &[u8], at: &Location) -> Result<String> {
        if self.encoding == UTF_8 {
            return match std::str::from_utf8(bytes) {
                Ok(text) => Ok(text.to_string()),
                Err(e) => Err(self.error(at, e.valid_up_to())),
            };
        }
        // Windows-1250 and ISO-8859-2 map every byte (WHATWG maps the unassigned ones to C1
        // controls), so this cannot fail for them; other encodings forced by the user may.
        match self.encoding.decode_without_bom_handling_and_without_replacement(bytes) {
            Some(text) => Ok(text.into_owned()),
            None => Err(self.error(at, first_invalid(self.encoding, bytes))),
        }
    }

    fn error(&self, at: &Location, offset: usize) -> Error {
        let mut location = at.clone();
        location.byte += offset as u64;
        ErrorKind::Encoding { location, encoding: self.encoding.name() }.into()
    }
}

/// The offset of the first byte of the first malformed sequence in `bytes`.
fn first_invalid(encoding: &'static Encoding, bytes: &[u8]) -> usize {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder.max_utf8_buffer_length_without_replacement(bytes.len()).unwrap_or(0);
    let mut out = String::with_capacity(capacity);
    match decoder.decode_to_string_without_replacement(bytes, &mut out, true) {
        (encoding_rs::DecoderResult::Malformed(bad, pending), read) => {
            read.saturating_sub(bad as usize + pending as usize)
        }
        (_, read) => read,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLISH: &str = "nazwisko;imie\nŚliwińska;Źdźisława\nĄbczak;Łucja\nŻółć;Gęś\n";
    const CZECH: &str = "prijmeni;jmeno\nŠťastná;Žofie\nŘezníček;Tomáš\n";

    #[test]
    fn bom_and_valid_utf8_mean_utf8() {
        assert_eq!(sniff(b"\xEF\xBB\xBFid;x\n"), (UTF_8, 3));
        assert_eq!(sniff(POLISH.as_bytes()), (UTF_8, 0));
        assert_eq!(sniff(b"plain ascii"), (UTF_8, 0));
        // `ą` cut in half by the end of the sample is still UTF-8.
        assert_eq!(sniff(&"abcą".as_bytes()[..4]), (UTF_8, 0));
    }

    #[test]
    fn windows_1250_and_iso_8859_2_are_told_apart_in_polish_and_czech() {
        for text in [POLISH, CZECH] {
            let (cp, _, _) = WINDOWS_1250.encode(text);
            let (latin2, _, _) = ISO_8859_2.encode(text);
            assert_eq!(detect_encoding(&cp), WINDOWS_1250, "{text}");
            assert_eq!(detect_encoding(&latin2), ISO_8859_2, "{text}");
        }
        // Only letters the two share (ł, ó, ż) plus `ą`, which is š in ISO-8859-2: even
        // evidence, so the Excel default wins.
        let (cp, _, _) = WINDOWS_1250.encode("Łąka;żółw");
        assert_eq!(detect_encoding(&cp), WINDOWS_1250);
        // A lone `ś` in ISO-8859-2 (0xB6) reads as `¶` in Windows-1250.
        assert_eq!(detect_encoding(b"Ko\xB6ciuszko"), ISO_8859_2);
        // Any byte in 0x80-0x9F is a control character in ISO-8859-2.
        assert_eq!(detect_encoding(b"\x9Cwi\xEAty"), WINDOWS_1250);
    }

    #[test]
    fn utf16_is_recognised_with_and_without_bom() {
        let le: Vec<u8> = "id\tnazwisko\r\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(sniff(&le), (UTF_16LE, 0));
        let be: Vec<u8> = "id\tnazwisko\r\n".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(sniff(&be), (UTF_16BE, 0));
        assert_eq!(sniff(b"\xFF\xFEi\0d\0"), (UTF_16LE, 2));
    }

    #[test]
    fn names_people_type_are_understood() {
        assert_eq!(encoding_by_name("cp1250"), Some(WINDOWS_1250));
        assert_eq!(encoding_by_name("Win1250"), Some(WINDOWS_1250));
        assert_eq!(encoding_by_name("latin2"), Some(ISO_8859_2));
        assert_eq!(encoding_by_name("ISO-8859-2"), Some(ISO_8859_2));
        assert_eq!(encoding_by_name("utf8"), Some(UTF_8));
        assert_eq!(encoding_by_name("klingon"), None);
    }

    #[test]
    fn invalid_utf8_is_an_error_at_the_byte_not_a_replacement() {
        let at = Location { source: "p.csv".into(), record: 4, line: 6, byte: 100 };
        let err = TextDecoder::new(UTF_8).decode(b"Nowak;J\xF3zef", &at).unwrap_err();
        match err.kind() {
            ErrorKind::Encoding { location, encoding } => {
                assert_eq!(location.byte, 107);
                assert_eq!(*encoding, "UTF-8");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(TextDecoder::new(WINDOWS_1250).decode(b"J\xF3zef", &at).unwrap(), "Józef");
    }

    #[test]
    fn prepare_strips_the_bom_and_counts_it_in_offsets() {
        let data = b"\xEF\xBB\xBFid;x\n1;2\n".to_vec();
        let prepared = prepare(Box::new(io::Cursor::new(data)), "p.csv", None, || None).unwrap();
        assert_eq!(prepared.start, 3);
        assert_eq!(prepared.head, b"id;x\n1;2\n");

        // Forced Windows-1250 on a file with a UTF-8 BOM: the user is trusted, nothing dropped.
        let data = b"\xEF\xBB\xBFid\n".to_vec();
        let prepared =
            prepare(Box::new(io::Cursor::new(data)), "p.csv", Some(WINDOWS_1250), || None).unwrap();
        assert_eq!((prepared.start, prepared.head.len()), (0, 6));
    }

    #[test]
    fn ascii_head_asks_for_later_evidence() {
        let mut data = vec![b'a'; SAMPLE_BYTES + 10];
        data.extend_from_slice(b"\x9C\n");
        let tail = data.clone();
        let prepared = prepare(Box::new(io::Cursor::new(data)), "p.csv", None, || {
            first_non_ascii_sample(io::Cursor::new(tail))
        })
        .unwrap();
        assert_eq!(prepared.file_encoding, WINDOWS_1250);
    }

    #[test]
    fn utf16_is_transcoded_to_utf8() {
        let mut data = vec![0xFF, 0xFE];
        data.extend("id\tnazwisko\r\n1\tŻak\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        let mut prepared =
            prepare(Box::new(io::Cursor::new(data)), "p.txt", None, || None).unwrap();
        assert_eq!(prepared.file_encoding, UTF_16LE);
        let mut text = String::new();
        prepared.reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "id\tnazwisko\r\n1\tŻak\r\n");
    }
}
