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

/// Detect the encoding of a sample from the start of a file, or `None` when the sample does
/// not decide it (the caller then asks for `--encoding` rather than guess).
///
/// A UTF-8 byte-order mark means UTF-8, a UTF-16 one (or a sample full of zero bytes) UTF-16.
/// Otherwise the non-ASCII characters are counted as UTF-8: valid UTF-8 means UTF-8, and so
/// does UTF-8 with a few damaged sequences among many good letters (the damaged rows are then
/// rejected one by one). Mostly invalid UTF-8 is an 8-bit file: Windows-1250 or ISO-8859-2,
/// whichever reads as more Polish or Czech letters, Windows-1250 when the evidence is even (it
/// is what Polish and Czech Excel writes). A mixture, or 8-bit text that reads as neither
/// language, is `None`.
///
/// # Example
///
/// ```
/// use teczka::detect_encoding;
/// use encoding_rs::{ISO_8859_2, UTF_8, WINDOWS_1250};
///
/// let (cp1250, _, _) = WINDOWS_1250.encode("Świętosław;Łódź");
/// assert_eq!(detect_encoding(&cp1250), Some(WINDOWS_1250));
/// let (latin2, _, _) = ISO_8859_2.encode("Świętosław;Łódź");
/// assert_eq!(detect_encoding(&latin2), Some(ISO_8859_2));
/// assert_eq!(detect_encoding("Świętosław".as_bytes()), Some(UTF_8));
/// // One byte damaged among many good letters is still UTF-8 …
/// assert_eq!(detect_encoding(b"\xC5\x9Awi\xC4\x99tos\xC5\x82aw;\xC5\x81\xC3\xB3d\xC5\xBA;\xFF"), Some(UTF_8));
/// // … but half and half is not a guess to make.
/// assert_eq!(detect_encoding(b"\xC5\x9Awi\xEAtos\xB3aw"), None);
/// ```
pub fn detect_encoding(sample: &[u8]) -> Option<&'static Encoding> {
    sniff(sample).ok().map(|(encoding, _)| encoding)
}

/// The encoding and the length of its byte-order mark, or why the sample does not say.
fn sniff(sample: &[u8]) -> std::result::Result<(&'static Encoding, usize), String> {
    if let Some((encoding, bom)) = Encoding::for_bom(sample) {
        return Ok((encoding, bom));
    }
    if let Some(encoding) = utf16_without_bom(sample) {
        return Ok((encoding, 0));
    }
    let utf8 = Utf8Evidence::of(sample);
    if utf8.invalid == 0 {
        return Ok((UTF_8, 0));
    }
    // A real 8-bit text forms a valid UTF-8 sequence only by accident (`ÓŁ` is one), and a
    // UTF-8 file damaged by a bad copy keeps nearly all of its letters valid: a clear
    // majority either way decides, anything between is a guess teczka will not make.
    if utf8.valid >= DECISIVE * utf8.invalid {
        return Ok((UTF_8, 0));
    }
    if utf8.valid * DECISIVE > utf8.invalid {
        return Err(format!(
            "it is neither clean UTF-8 nor clearly 8-bit ({} valid UTF-8 letters, {} invalid \
             byte sequences)",
            utf8.valid, utf8.invalid
        ));
    }
    let (cp1250, latin2) = (letter_score(WINDOWS_1250, sample), letter_score(ISO_8859_2, sample));
    if cp1250.max(latin2) <= 0 {
        return Err("its non-ASCII bytes read as Polish or Czech letters neither in \
                    Windows-1250 nor in ISO-8859-2 (DOS code page 852 or another language?)"
            .into());
    }
    Ok((if latin2 > cp1250 { ISO_8859_2 } else { WINDOWS_1250 }, 0))
}

/// How many to one the valid UTF-8 letters must outnumber the invalid sequences (or the
/// other way round) for the sample to decide between UTF-8 and an 8-bit encoding.
const DECISIVE: usize = 4;

/// What a sample holds as UTF-8: multi-byte characters that decode, and sequences that do not.
#[derive(Debug, Default, PartialEq)]
struct Utf8Evidence {
    valid: usize,
    invalid: usize,
}

impl Utf8Evidence {
    fn of(mut sample: &[u8]) -> Utf8Evidence {
        let mut evidence = Utf8Evidence::default();
        loop {
            let (valid, rest) = match std::str::from_utf8(sample) {
                Ok(text) => (text, None),
                Err(e) => {
                    let (valid, after) = sample.split_at(e.valid_up_to());
                    // A sequence cut off by the end of the sample is not evidence either way.
                    let rest = e.error_len().map(|len| &after[len..]);
                    (std::str::from_utf8(valid).unwrap_or_default(), rest)
                }
            };
            evidence.valid += valid.chars().filter(|c| !c.is_ascii()).count();
            match rest {
                Some(rest) => {
                    evidence.invalid += 1;
                    sample = rest;
                }
                None => return evidence,
            }
        }
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
    const LETTERS: &str = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻáčďéěíňřšťúůýžÁČĎÉĚÍŇŘŠŤÚŮÝŽäôĺľŕÄÔĹĽŔöüÖÜß";
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
    let encoding = match forced {
        // Trust the user about the encoding but still drop a BOM of that very encoding.
        Some(forced) => forced,
        // Plain ASCII says nothing; a Windows-1250 file may show its first `ą` much later.
        None if head.len() == SAMPLE_BYTES && head.is_ascii() => {
            match more_evidence() {
                Some(later) => sniff(&later),
                None => Ok((UTF_8, 0)),
            }
            .map_err(|why| undecided(source, &why))?
            .0
        }
        None => sniff(&head).map_err(|why| undecided(source, &why))?.0,
    };
    let bom = match Encoding::for_bom(&head) {
        Some((e, len)) if e == encoding => len,
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

/// The refusal when the sample does not decide the encoding.
fn undecided(source: &str, why: &str) -> Error {
    Error::input(
        source,
        format!(
            "cannot tell the file's text encoding: {why}; pass `--encoding` with the encoding \
             the file was saved in (utf-8, windows-1250, iso-8859-2, …), or re-save it as UTF-8"
        ),
    )
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

/// Decodes the bytes of one row to UTF-8.
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

    /// The name of the encoding, for messages.
    pub fn name(&self) -> &'static str {
        self.encoding.name()
    }

    /// Decode `bytes`; each invalid sequence becomes U+FFFD, which the reader then reports on
    /// the cell holding it, so one damaged row is rejected and the rest of the file is read.
    /// Windows-1250 and ISO-8859-2 map every byte (WHATWG maps the unassigned ones to C1
    /// controls), so only UTF-8 and encodings forced by the user can have invalid input.
    pub fn decode(&self, bytes: &[u8]) -> String {
        if self.encoding == UTF_8 {
            // `from_utf8` checks ASCII a word at a time; the lossy conversion walks the text in
            // chunks (3 % of a search): take it only for text that needs it.
            return match std::str::from_utf8(bytes) {
                Ok(text) => text.to_owned(),
                Err(_) => String::from_utf8_lossy(bytes).into_owned(),
            };
        }
        self.encoding.decode_without_bom_handling(bytes).0.into_owned()
    }
}

/// What an invalid byte sequence turns into: a cell holding it was damaged on the way.
pub(crate) const DAMAGED: char = char::REPLACEMENT_CHARACTER;

/// The error for a header row holding invalid bytes: the columns cannot be known.
pub(crate) fn damaged_header(at: &Location, encoding: &'static str) -> Error {
    ErrorKind::Encoding { location: at.clone(), encoding }.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLISH: &str = "nazwisko;imie\nŚliwińska;Źdźisława\nĄbczak;Łucja\nŻółć;Gęś\n";
    const CZECH: &str = "prijmeni;jmeno\nŠťastná;Žofie\nŘezníček;Tomáš\n";

    #[test]
    fn bom_and_valid_utf8_mean_utf8() {
        assert_eq!(sniff(b"\xEF\xBB\xBFid;x\n"), Ok((UTF_8, 3)));
        assert_eq!(sniff(POLISH.as_bytes()), Ok((UTF_8, 0)));
        assert_eq!(sniff(b"plain ascii"), Ok((UTF_8, 0)));
        // `ą` cut in half by the end of the sample is still UTF-8.
        assert_eq!(sniff(&"abcą".as_bytes()[..4]), Ok((UTF_8, 0)));
    }

    #[test]
    fn windows_1250_and_iso_8859_2_are_told_apart_in_polish_and_czech() {
        for text in [POLISH, CZECH] {
            let (cp, _, _) = WINDOWS_1250.encode(text);
            let (latin2, _, _) = ISO_8859_2.encode(text);
            assert_eq!(detect_encoding(&cp), Some(WINDOWS_1250), "{text}");
            assert_eq!(detect_encoding(&latin2), Some(ISO_8859_2), "{text}");
        }
        // Only letters the two share (ł, ó, ż) plus `ą`, which is š in ISO-8859-2: even
        // evidence, so the Excel default wins.
        let (cp, _, _) = WINDOWS_1250.encode("Łąka;żółw");
        assert_eq!(detect_encoding(&cp), Some(WINDOWS_1250));
        // A lone `ś` in ISO-8859-2 (0xB6) reads as `¶` in Windows-1250.
        assert_eq!(detect_encoding(b"Ko\xB6ciuszko"), Some(ISO_8859_2));
        // Any byte in 0x80-0x9F is a control character in ISO-8859-2.
        assert_eq!(detect_encoding(b"\x9Cwi\xEAty"), Some(WINDOWS_1250));
    }

    #[test]
    fn utf16_is_recognised_with_and_without_bom() {
        let le: Vec<u8> = "id\tnazwisko\r\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(sniff(&le), Ok((UTF_16LE, 0)));
        let be: Vec<u8> = "id\tnazwisko\r\n".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(sniff(&be), Ok((UTF_16BE, 0)));
        assert_eq!(sniff(b"\xFF\xFEi\0d\0"), Ok((UTF_16LE, 2)));
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
    fn invalid_bytes_decode_to_the_damage_mark_for_the_reader_to_report() {
        assert_eq!(TextDecoder::new(UTF_8).decode(b"Nowak;J\xF3zef"), "Nowak;J\u{FFFD}zef");
        assert_eq!(TextDecoder::new(WINDOWS_1250).decode(b"J\xF3zef"), "Józef");
    }

    #[test]
    fn utf8_with_a_few_damaged_bytes_stays_utf8() {
        // Polish text in UTF-8 with two bytes of another encoding pasted in.
        let mut damaged = POLISH.repeat(3).into_bytes();
        damaged.extend_from_slice(b"Nowak;J\xF3zef\nZi\xEAba;Ola\n");
        assert_eq!(sniff(&damaged), Ok((UTF_8, 0)));
        // The same text saved in Windows-1250 is nearly all invalid UTF-8.
        let text = POLISH.repeat(3);
        let (cp, _, _) = WINDOWS_1250.encode(&text);
        assert_eq!(Utf8Evidence::of(&cp).valid, 0);
        assert_eq!(sniff(&cp), Ok((WINDOWS_1250, 0)));
    }

    #[test]
    fn undecided_samples_are_refused_not_guessed() {
        // Half UTF-8, half Windows-1250: someone joined two files.
        let (cp, _, _) = WINDOWS_1250.encode(POLISH);
        let mixed = [POLISH.as_bytes(), &cp].concat();
        assert!(sniff(&mixed).unwrap_err().contains("invalid byte sequences"));
        // DOS code page 852 (`Ą` 0xA4, `ł` 0x88, `ż` 0xBE) reads as neither language.
        assert!(sniff(b"\xA4\x88\xBE;\xA4\x88\xBE\n").unwrap_err().contains("852"));
        let source = Box::new(io::Cursor::new(mixed));
        let err = prepare(source, "uczniowie.csv", None, || None).err().unwrap().to_string();
        assert!(err.starts_with("uczniowie.csv: cannot tell the file's text encoding"), "{err}");
        assert!(err.contains("--encoding"), "{err}");
    }

    #[test]
    fn utf8_evidence_counts_letters_and_bad_sequences() {
        let evidence = Utf8Evidence::of(b"\xC5\x81\xC3\xB3d\xC5\xBA \xFF\xFE ok \xC4");
        // Ł ó ź valid; 0xFF and 0xFE invalid; the cut-off 0xC4 at the end is neither.
        assert_eq!(evidence, Utf8Evidence { valid: 3, invalid: 2 });
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
