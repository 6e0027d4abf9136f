//! Random tokens, the age-encrypted mapping that reverses them, and detokenising.
//!
//! `tokenise` replaces a value by a random token (`tok_` and 26 base32 characters, 130 random
//! bits): unlike a keyed pseudonym, nothing about the value can be tested against the token,
//! even with every key of the school. The way back is the *mapping* (token → domain, value),
//! written separately from the export and encrypted with [age] — to an X25519 recipient
//! (`age1…`, from `teczka keygen --age`) or to a passphrase — so only the controller can
//! reverse it, with `teczka detokenise`.
//!
//! The mapping is a standard binary (not ASCII-armored) age v1 file; `age -d -i IDENTITY` or
//! `rage -d` decrypt it too. Inside are JSON Lines sorted by token:
//! `{"token":"tok_…","domain":"pupil.pesel","value":"05210112345"}`.
//!
//! Memory: the [`Tokeniser`] keeps one entry per distinct (domain, value) it has tokenised —
//! it must, to give the same pupil the same token in every file of a run — and the
//! [`TokenMap`] one per token. Both grow with the number of distinct tokenised values, not
//! with the number of records.
//!
//! [age]: https://age-encryption.org/v1

pub use crate::crypto::age::Identity;
use crate::crypto::age::{Sealed, SCRYPT_LOG_N};
use crate::crypto::keys::{base32_lower, check_passphrase, fill_random};
use crate::error::{Error, Result};
use age::secrecy::SecretString;
use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::Mutex;
use zeroize::Zeroizing;

/// Every token starts with this.
const TOKEN_PREFIX: &[u8] = b"tok_";
/// Random base32 characters after the prefix: 130 bits, so tokens never collide in practice
/// (a billion tokens collide with probability below 10^-20).
const TOKEN_CHARS: usize = 26;
/// A token's length in bytes.
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + TOKEN_CHARS;
/// The longest mapping line accepted: a token, a domain and one field value.
const MAX_MAPPING_LINE: u64 = 1 << 20;
/// Bytes read at a time when detokenising JSON or XML.
const CHUNK: usize = 64 * 1024;

/// Makes random tokens and remembers them, so the same (domain, value) gets the same token
/// throughout a run. Shared by reference between threads.
///
/// ```
/// use teczka::Tokeniser;
///
/// let tokeniser = Tokeniser::new();
/// let a = tokeniser.token("pupil.pesel", "05210112345");
/// assert!(a.starts_with("tok_") && a.len() == 30);
/// assert_eq!(a, tokeniser.token("pupil.pesel", "05210112345"));
/// assert_ne!(a, tokeniser.token("guardian.phone", "05210112345"));
/// assert_eq!(tokeniser.len(), 2);
/// ```
#[derive(Default)]
pub struct Tokeniser {
    /// One lock: the work under it is a hash lookup, and a new
    /// token's 17 random bytes.
    tokens: Mutex<TokensByDomain>,
}

/// domain → value → token.
type TokensByDomain = HashMap<Box<str>, HashMap<Box<str>, Box<str>>>;

/// Whom a token mapping is encrypted to.
#[derive(Clone)]
pub enum Recipient {
    /// An age X25519 recipient, `age1…` (printed by `teczka keygen --age`).
    Public(String),
    /// A passphrase; it must pass [`check_passphrase`].
    Passphrase(String),
}

/// A decrypted token mapping: token → original value.
pub struct TokenMap {
    values: HashMap<Box<str>, Box<str>>,
}

/// The text format a detokenised file is in; it decides how a restored value is escaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFormat {
    /// JSON or JSON Lines: tokens sit inside JSON strings; values get JSON string escaping.
    Json,
    /// XML: tokens sit in text or attribute values; values get `&amp; &lt; &gt; &quot;
    /// &apos;` escaping.
    Xml,
    /// Delimited text, UTF-8. The file is parsed as CSV, tokens are replaced inside each
    /// cell, and the cells are written back quoted only where needed (so a restored value
    /// holding the delimiter, a quote or a line break is quoted correctly; untouched cells
    /// that were quoted without need lose their quotes). A restored cell a spreadsheet would
    /// run as a formula gets a leading `'`, as teczka's CSV writer does. The byte-order mark
    /// and the line ending of the first line are kept.
    Csv {
        /// The delimiter; `None` guesses from the first line (`;`, `,` or tab).
        delimiter: Option<u8>,
    },
}

/// What [`TokenMap::detokenise`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Detokenised {
    /// Tokens replaced by their values.
    pub replaced: u64,
    /// Token-shaped strings not in the mapping (made by another run?), left as they were.
    pub unknown: u64,
}

impl Tokeniser {
    /// An empty tokeniser.
    pub fn new() -> Tokeniser {
        Tokeniser::default()
    }

    /// The token for `value` in `domain`: new and random the first time, the same afterwards.
    ///
    /// # Panics
    ///
    /// When the operating system's random source fails (see
    /// [`Key::generate`](crate::crypto::keys::Key::generate)).
    pub fn token(&self, domain: &str, value: &str) -> String {
        let mut tokens = self.tokens.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(token) = tokens.get(domain).and_then(|values| values.get(value)) {
            return token.to_string();
        }
        let mut random = [0u8; 17];
        fill_random(&mut random);
        let mut token = String::with_capacity(TOKEN_LEN);
        token.push_str("tok_");
        token.push_str(&base32_lower(&random)[..TOKEN_CHARS]);
        if !tokens.contains_key(domain) {
            tokens.insert(domain.into(), HashMap::new());
        }
        if let Some(values) = tokens.get_mut(domain) {
            values.insert(value.into(), token.as_str().into());
        }
        token
    }

    /// How many distinct (domain, value) pairs have a token.
    pub fn len(&self) -> usize {
        let tokens = self.tokens.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        tokens.values().map(HashMap::len).sum()
    }

    /// Whether no token has been made.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Write the mapping, encrypted with age to `to`, into `out`: JSON Lines sorted by token
    /// (so the plaintext does not keep the order pupils were met in).
    ///
    /// A passphrase that fails [`check_passphrase`], or a recipient that is not `age1…`, is
    /// refused before anything is written.
    ///
    /// ```
    /// use teczka::{AgeIdentity, TokenMap, TokenRecipient, TokenTextFormat, Tokeniser};
    ///
    /// let tokeniser = Tokeniser::new();
    /// let token = tokeniser.token("pupil.surname", "Nowak");
    /// let identity = age::x25519::Identity::generate();
    /// let mut mapping = Vec::new();
    /// tokeniser.write_mapping(&mut mapping, &TokenRecipient::Public(identity.to_public().to_string()))?;
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("id.txt");
    /// # use age::secrecy::ExposeSecret;
    /// # std::fs::write(&path, identity.to_string().expose_secret())?;
    /// let map = TokenMap::read(&mapping[..], &AgeIdentity::File(path))?;
    /// let mut out = Vec::new();
    /// let line = format!("{{\"surname\":\"{token}\"}}\n");
    /// map.detokenise(line.as_bytes(), &mut out, TokenTextFormat::Json)?;
    /// assert_eq!(out, b"{\"surname\":\"Nowak\"}\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_mapping(&self, out: impl Write, to: &Recipient) -> Result<()> {
        let name = "token mapping";
        let recipient: Box<dyn age::Recipient> = match to {
            Recipient::Public(text) => {
                Box::new(text.trim().parse::<age::x25519::Recipient>().map_err(|_| {
                    Error::config(
                        "token recipient",
                        "not an age X25519 recipient (`age1…`): make one with `teczka keygen \
                         --age -o FILE` and pass the recipient it prints",
                    )
                })?)
            }
            Recipient::Passphrase(passphrase) => {
                check_passphrase(passphrase)?;
                let mut recipient =
                    age::scrypt::Recipient::new(SecretString::from(passphrase.clone()));
                recipient.set_work_factor(SCRYPT_LOG_N);
                Box::new(recipient)
            }
        };
        let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient.as_ref()))
            .map_err(|e| Error::config(name, format!("cannot encrypt: {e}")))?;
        let mut writer = encryptor.wrap_output(out).map_err(|e| Error::io(name, e))?;
        {
            let tokens = self.tokens.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let mut entries: Vec<(&str, &str, &str)> = tokens
                .iter()
                .flat_map(|(domain, values)| {
                    values.iter().map(move |(value, token)| (&**token, &**domain, &**value))
                })
                .collect();
            entries.sort_unstable();
            let mut line = Zeroizing::new(Vec::new());
            for (token, domain, value) in entries {
                line.clear();
                serde_json::to_writer(&mut *line, &Entry { token, domain, value })
                    .map_err(|e| Error::io(name, e.into()))?;
                line.push(b'\n');
                writer.write_all(&line).map_err(|e| Error::io(name, e))?;
            }
        }
        let mut out = writer.finish().map_err(|e| Error::io(name, e))?;
        out.flush().map_err(|e| Error::io(name, e))
    }
}

impl fmt::Debug for Tokeniser {
    /// Counts only: the values are personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokeniser").field("len", &self.len()).finish()
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Public(text) => f.debug_tuple("Public").field(text).finish(),
            Recipient::Passphrase(_) => f.write_str("Passphrase(<hidden>)"),
        }
    }
}

/// One line of the mapping.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry<'a> {
    token: &'a str,
    domain: &'a str,
    value: &'a str,
}

/// The owned form of [`Entry`], for reading (values may hold escapes).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnedEntry {
    token: String,
    #[allow(dead_code)] // Read to check the line's shape; tokens alone identify values.
    domain: String,
    value: String,
}

impl TokenMap {
    /// Decrypt a mapping written by [`Tokeniser::write_mapping`] (binary or ASCII-armored
    /// age) and load it.
    ///
    /// A wrong identity or passphrase is an error saying so; so is a file that is not an age
    /// file or whose plaintext is not a teczka token mapping (named by line, never quoted).
    pub fn read(input: impl Read, identity: &Identity) -> Result<TokenMap> {
        let name = "token mapping";
        let reader = identity.open(input, &MAPPING, Path::new(name))?;
        let mut reader = BufReader::new(reader);
        let mut values = HashMap::new();
        let mut line = Zeroizing::new(Vec::new());
        for number in 1u64.. {
            line.clear();
            let read = (&mut reader)
                .take(MAX_MAPPING_LINE)
                .read_until(b'\n', &mut line)
                .map_err(|e| MAPPING.error(Path::new(name), identity, age::DecryptError::Io(e)))?;
            if read == 0 {
                break;
            }
            if line.last() != Some(&b'\n') && read as u64 == MAX_MAPPING_LINE {
                return Err(Error::input(
                    name,
                    format!("line {number}: too long for a token mapping"),
                ));
            }
            let bad = || {
                Error::input(
                    name,
                    format!(
                        "line {number}: not a teczka token mapping line (token, domain, value)"
                    ),
                )
            };
            let entry: OwnedEntry = serde_json::from_slice(&line).map_err(|_| bad())?;
            if !is_token(entry.token.as_bytes()) {
                return Err(bad());
            }
            let value = entry.value.into_boxed_str();
            if let Some(earlier) = values.insert(entry.token.into_boxed_str(), value.clone()) {
                if earlier != value {
                    return Err(Error::input(
                        name,
                        format!("line {number}: a token appears twice with different values"),
                    ));
                }
            }
        }
        Ok(TokenMap { values })
    }

    /// How many tokens the mapping holds.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the mapping holds no token.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Copy `input` to `output`, replacing every token of this mapping by its original value,
    /// escaped for `format`. A token is `tok_` and 26 base32 characters not touching another
    /// letter, digit or `_`. Token-shaped strings the mapping does not know are left as they
    /// are and counted.
    ///
    /// JSON and XML are streamed in 64 KiB chunks; CSV a record at a time.
    pub fn detokenise(
        &self,
        input: impl BufRead,
        output: impl Write,
        format: TextFormat,
    ) -> Result<Detokenised> {
        let name = "detokenised output";
        match format {
            TextFormat::Json => self.detokenise_text(input, output, escape_json),
            TextFormat::Xml => self.detokenise_text(input, output, escape_xml),
            TextFormat::Csv { delimiter } => self.detokenise_csv(input, output, delimiter),
        }
        .map_err(|e| match e {
            Failure::Read(e) => Error::input("input", format!("cannot read: {e}")),
            Failure::Write(e) => Error::io(name, e),
            Failure::Csv(e) => e,
        })
    }

    fn detokenise_text(
        &self,
        mut input: impl BufRead,
        mut output: impl Write,
        escape: fn(&str, &mut Vec<u8>),
    ) -> std::result::Result<Detokenised, Failure> {
        let mut counts = Detokenised::default();
        let mut scanner = Scanner { prev: 0 };
        let mut work: Vec<u8> = Vec::with_capacity(CHUNK + TOKEN_LEN);
        let mut out = Vec::with_capacity(CHUNK + TOKEN_LEN);
        let mut chunk = vec![0u8; CHUNK];
        loop {
            let n = read_some(&mut input, &mut chunk).map_err(Failure::Read)?;
            let last = n == 0;
            work.extend_from_slice(&chunk[..n]);
            let done = scanner.replace(self, &work, last, &mut out, escape, &mut counts);
            output.write_all(&out).map_err(Failure::Write)?;
            out.clear();
            work.drain(..done);
            if last {
                break;
            }
        }
        output.flush().map_err(Failure::Write)?;
        Ok(counts)
    }

    fn detokenise_csv(
        &self,
        mut input: impl BufRead,
        mut output: impl Write,
        delimiter: Option<u8>,
    ) -> std::result::Result<Detokenised, Failure> {
        // Keep the byte-order mark and learn the line ending and delimiter from the first line.
        let head = input.fill_buf().map_err(Failure::Read)?;
        let bom = head.starts_with(b"\xEF\xBB\xBF");
        if bom {
            output.write_all(b"\xEF\xBB\xBF").map_err(Failure::Write)?;
            input.consume(3);
        }
        let head = input.fill_buf().map_err(Failure::Read)?;
        let first_line = match head.iter().position(|&b| b == b'\n') {
            Some(end) => &head[..end + 1],
            None => head,
        };
        let crlf = first_line.ends_with(b"\r\n");
        let delimiter = delimiter.unwrap_or_else(|| guess_delimiter(first_line));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(input);
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .delimiter(delimiter)
            .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .from_writer(output);
        let mut counts = Detokenised::default();
        let mut record = csv::ByteRecord::new();
        let mut cells: Vec<Vec<u8>> = Vec::new();
        loop {
            let more = reader.read_byte_record(&mut record).map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                Failure::Csv(Error::input(
                    "input",
                    format!("line {line}: not readable as CSV: is the file and --delimiter right?"),
                ))
            })?;
            if !more {
                break;
            }
            let line = record.position().map_or(0, |p| p.line());
            cells.resize_with(record.len(), Vec::new);
            for (cell, field) in cells.iter_mut().zip(record.iter()) {
                cell.clear();
                let before = counts.replaced;
                let mut scanner = Scanner { prev: 0 };
                scanner.replace(self, field, true, cell, escape_raw, &mut counts);
                if counts.replaced != before {
                    if std::str::from_utf8(field).is_err() {
                        return Err(Failure::Csv(Error::input(
                            "input",
                            format!(
                                "line {line}: not UTF-8: detokenise reads UTF-8 CSV; write the \
                                 tokenised export with --out-encoding utf-8"
                            ),
                        )));
                    }
                    neutralise_formula(cell);
                }
            }
            writer.write_record(&cells).map_err(|e| Failure::Write(e.into()))?;
        }
        writer.flush().map_err(Failure::Write)?;
        Ok(counts)
    }
}

impl fmt::Debug for TokenMap {
    /// Counts only: the values are personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenMap").field("len", &self.len()).finish()
    }
}

/// Why detokenising stopped, before it is given a name.
enum Failure {
    Read(std::io::Error),
    Write(std::io::Error),
    Csv(Error),
}

/// Finds tokens in text that arrives in pieces.
struct Scanner {
    /// The byte before the part not yet scanned (0 at the start: a boundary).
    prev: u8,
}

impl Scanner {
    /// Scan `work`, writing it to `out` with known tokens replaced; return how many bytes
    /// were consumed. Unless `last`, the final [`TOKEN_LEN`] bytes stay unconsumed, so a
    /// token and the byte after it are always seen whole.
    fn replace(
        &mut self,
        map: &TokenMap,
        work: &[u8],
        last: bool,
        out: &mut Vec<u8>,
        escape: fn(&str, &mut Vec<u8>),
        counts: &mut Detokenised,
    ) -> usize {
        let limit = if last { work.len() } else { work.len().saturating_sub(TOKEN_LEN) };
        let mut copied = 0;
        let mut i = 0;
        while i < limit {
            let rest = &work[i..];
            let at_token = rest.starts_with(TOKEN_PREFIX)
                && !is_word(self.prev)
                && rest.len() >= TOKEN_LEN
                && is_token(&rest[..TOKEN_LEN])
                && rest.get(TOKEN_LEN).is_none_or(|&b| !is_word(b));
            if at_token {
                let token = &rest[..TOKEN_LEN];
                let value = std::str::from_utf8(token).ok().and_then(|t| map.values.get(t));
                match value {
                    Some(value) => {
                        out.extend_from_slice(&work[copied..i]);
                        escape(value, out);
                        copied = i + TOKEN_LEN;
                        counts.replaced += 1;
                    }
                    None => counts.unknown += 1,
                }
                i += TOKEN_LEN;
                self.prev = b'_';
                continue;
            }
            self.prev = work[i];
            i += 1;
        }
        // A token that started before `limit` may reach past it: consume through its end.
        let consumed = i.max(limit);
        out.extend_from_slice(&work[copied..consumed]);
        consumed
    }
}

/// Read into `buf` until it is full or the input ends; `0` only at the end.
fn read_some(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Whether `bytes` is exactly a token: `tok_` and 26 lowercase base32 characters.
fn is_token(bytes: &[u8]) -> bool {
    bytes.len() == TOKEN_LEN
        && bytes.starts_with(TOKEN_PREFIX)
        && bytes[TOKEN_PREFIX.len()..]
            .iter()
            .all(|&b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
}

/// Letters, digits and `_` glue onto a token; anything else ends it.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn escape_json(value: &str, out: &mut Vec<u8>) {
    // A string always serialises; the quotes are the token's already.
    if let Ok(quoted) = serde_json::to_string(value) {
        let inner = quoted.as_bytes().get(1..quoted.len().saturating_sub(1));
        out.extend_from_slice(inner.unwrap_or_default());
    }
}

fn escape_xml(value: &str, out: &mut Vec<u8>) {
    for c in value.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '"' => out.extend_from_slice(b"&quot;"),
            '\'' => out.extend_from_slice(b"&apos;"),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

/// CSV cells are quoted by the csv writer, so values go in as they are.
fn escape_raw(value: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(value.as_bytes());
}

/// Prefix `'` to a restored cell a spreadsheet would run as a formula, by the rule of
/// teczka's CSV writer (`write/csv.rs`): cells made only of digits, spaces and `+ - ( ) . , /`
/// (phone numbers, amounts) pass.
fn neutralise_formula(cell: &mut Vec<u8>) {
    let triggers = matches!(cell.first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'));
    let harmless = |b: &u8| b.is_ascii_digit() || b" +-().,/".contains(b);
    if triggers && !(cell.iter().any(u8::is_ascii_digit) && cell.iter().all(harmless)) {
        cell.insert(0, b'\'');
    }
}

/// The most frequent of `;`, `,` and tab outside quotes in the first line; `,` on a tie.
fn guess_delimiter(line: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => counts[0] += 1,
            b',' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = [(counts[1], b','), (counts[0], b';'), (counts[2], b'\t')]
        .into_iter()
        .fold((0, b','), |best, next| if next.0 > best.0 { next } else { best });
    best.1
}

/// The token mapping, as [`TokenMap::read`] names it.
const MAPPING: Sealed = Sealed {
    noun: "mapping",
    give: "the mapping written with the export",
    passphrase_hint: "--passphrase-env",
    identity_hint: "--identity FILE",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::age::write_new_age_identity;
    use std::path::PathBuf;

    fn identity_file(dir: &Path) -> (PathBuf, String) {
        let path = dir.join("id.txt");
        let recipient = write_new_age_identity(&path).unwrap();
        (path, recipient)
    }

    fn map_of(pairs: &[(&str, &str)]) -> (Tokeniser, TokenMap, Vec<String>) {
        let tokeniser = Tokeniser::new();
        let tokens: Vec<String> = pairs.iter().map(|(d, v)| tokeniser.token(d, v)).collect();
        let dir = tempfile::tempdir().unwrap();
        let (path, recipient) = identity_file(dir.path());
        let mut mapping = Vec::new();
        tokeniser.write_mapping(&mut mapping, &Recipient::Public(recipient)).unwrap();
        let map = TokenMap::read(&mapping[..], &Identity::File(path)).unwrap();
        (tokeniser, map, tokens)
    }

    fn detokenise(map: &TokenMap, text: &str, format: TextFormat) -> (String, Detokenised) {
        let mut out = Vec::new();
        let counts = map.detokenise(text.as_bytes(), &mut out, format).unwrap();
        (String::from_utf8(out).unwrap(), counts)
    }

    #[test]
    fn tokens_are_random_shaped_and_stable_per_pair() {
        let tokeniser = Tokeniser::new();
        let a = tokeniser.token("pupil.pesel", "1");
        assert!(is_token(a.as_bytes()), "{a}");
        assert_eq!(tokeniser.token("pupil.pesel", "1"), a);
        assert_ne!(tokeniser.token("pupil.pesel", "2"), a);
        assert_ne!(tokeniser.token("guardian.phone", "1"), a);
        assert_ne!(Tokeniser::new().token("pupil.pesel", "1"), a, "a new run, new tokens");
        assert_eq!(tokeniser.len(), 3);
        assert!(!tokeniser.is_empty() && Tokeniser::new().is_empty());
        assert_eq!(format!("{tokeniser:?}"), "Tokeniser { len: 3 }");
    }

    #[test]
    fn tokeniser_is_consistent_across_threads() {
        use rayon::prelude::*;
        let tokeniser = Tokeniser::new();
        let tokens: Vec<String> = (0..2000)
            .into_par_iter()
            .map(|i| tokeniser.token("d", &(i % 100).to_string()))
            .collect();
        assert_eq!(tokeniser.len(), 100);
        for (i, token) in tokens.iter().enumerate() {
            assert_eq!(*token, tokens[i % 100]);
        }
    }

    #[test]
    fn mapping_is_sorted_json_lines_inside_a_binary_age_file() {
        let tokeniser = Tokeniser::new();
        for v in ["a", "b", "c\"\n"] {
            tokeniser.token("pupil.surname", v);
        }
        let dir = tempfile::tempdir().unwrap();
        let (path, recipient) = identity_file(dir.path());
        let mut mapping = Vec::new();
        tokeniser.write_mapping(&mut mapping, &Recipient::Public(recipient)).unwrap();
        assert!(mapping.starts_with(b"age-encryption.org/v1\n-> X25519 "));
        assert!(!mapping.windows(4).any(|w| w == b"tok_"), "tokens are encrypted");
        let text = std::fs::read_to_string(&path).unwrap();
        let secret = text.lines().find(|l| l.starts_with("AGE-SECRET-KEY-1")).unwrap();
        let identity: age::x25519::Identity = secret.parse().unwrap();
        let plain = age::decrypt(&identity, &mapping).unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(plain)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        let tokens: Vec<&str> = lines.iter().map(|l| l["token"].as_str().unwrap()).collect();
        let mut sorted = tokens.clone();
        sorted.sort();
        assert_eq!(tokens, sorted);
        assert!(lines.iter().any(|l| l["value"] == "c\"\n" && l["domain"] == "pupil.surname"));
    }

    #[test]
    fn identity_file_looks_like_age_keygen_output_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let (path, recipient) = identity_file(dir.path());
        assert!(recipient.starts_with("age1") && recipient.len() == 62, "{recipient}");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("# created: "));
        assert_eq!(lines[1], format!("# public key: {recipient}"));
        assert!(lines[2].starts_with("AGE-SECRET-KEY-1") && lines.len() == 3);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let err = write_new_age_identity(&path).unwrap_err().to_string();
        assert!(err.contains("exists"), "{err}");
    }

    #[test]
    fn passphrase_mappings_round_trip_and_weak_or_wrong_passphrases_fail() {
        let tokeniser = Tokeniser::new();
        let token = tokeniser.token("pupil.pesel", "05210112345");
        let weak = tokeniser.write_mapping(Vec::new(), &Recipient::Passphrase("password".into()));
        assert!(weak.unwrap_err().to_string().starts_with("passphrase: too weak"));
        let mut mapping = Vec::new();
        let good = "Correct-Horse-9-Battery";
        tokeniser.write_mapping(&mut mapping, &Recipient::Passphrase(good.into())).unwrap();
        assert!(mapping.starts_with(b"age-encryption.org/v1\n-> scrypt "));
        assert!(String::from_utf8_lossy(&mapping).contains(" 18\n"), "work factor 2^18");
        let map = TokenMap::read(&mapping[..], &Identity::Passphrase(good.into())).unwrap();
        assert_eq!(map.len(), 1);
        assert_eq!(detokenise(&map, &token, TextFormat::Json).0, "05210112345");
        let wrong = TokenMap::read(&mapping[..], &Identity::Passphrase("Wrong-Horse-9".into()));
        assert_eq!(
            wrong.unwrap_err().to_string(),
            "token mapping: wrong passphrase: the mapping does not open with it"
        );
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = identity_file(dir.path());
        let err = TokenMap::read(&mapping[..], &Identity::File(path)).unwrap_err().to_string();
        assert!(err.contains("encrypted with a passphrase: give --passphrase-env"), "{err}");
    }

    #[test]
    fn wrong_identity_bad_recipient_and_garbage_are_explained() {
        let tokeniser = Tokeniser::new();
        tokeniser.token("d", "v");
        let dir = tempfile::tempdir().unwrap();
        let (_, recipient) = identity_file(dir.path());
        let other = dir.path().join("other.txt");
        write_new_age_identity(&other).unwrap();
        let mut mapping = Vec::new();
        tokeniser.write_mapping(&mut mapping, &Recipient::Public(recipient)).unwrap();
        let err = TokenMap::read(&mapping[..], &Identity::File(other.clone())).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "token mapping: wrong identity: the mapping was not encrypted to the identity in {}",
                other.display()
            )
        );
        let err = TokenMap::read(&mapping[..], &Identity::Passphrase("Aa1-aaaaaaaa".into()));
        assert!(err.unwrap_err().to_string().contains("encrypted to an age recipient"));
        let err = TokenMap::read(&b"not age at all\n"[..], &Identity::File(other.clone()));
        assert_eq!(
            err.unwrap_err().to_string(),
            "token mapping: not an age-encrypted file, or cut short: give the whole mapping"
        );
        let garbage = "x\n".repeat(100);
        let err = TokenMap::read(garbage.as_bytes(), &Identity::File(other.clone()));
        assert_eq!(
            err.unwrap_err().to_string(),
            "token mapping: not an age-encrypted file: give the mapping written with the export"
        );
        let err = TokenMap::read(&mapping[..mapping.len() - 10], &Identity::File(other.clone()));
        assert!(err.is_err());
        let bad = tokeniser.write_mapping(Vec::new(), &Recipient::Public("age1nope".into()));
        assert!(bad.unwrap_err().to_string().starts_with("token recipient: not an age X25519"));
        let not_identity = dir.path().join("secret.txt");
        std::fs::write(&not_identity, "hunter2\n").unwrap();
        let err = TokenMap::read(&mapping[..], &Identity::File(not_identity)).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn armored_mappings_open_too() {
        let tokeniser = Tokeniser::new();
        let token = tokeniser.token("d", "v");
        let dir = tempfile::tempdir().unwrap();
        let (path, recipient) = identity_file(dir.path());
        let mut binary = Vec::new();
        tokeniser.write_mapping(&mut binary, &Recipient::Public(recipient)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let secret = text.lines().find(|l| l.starts_with("AGE-SECRET-KEY-1")).unwrap();
        let identity: age::x25519::Identity = secret.parse().unwrap();
        let plain = age::decrypt(&identity, &binary).unwrap();
        let armored = age::encrypt_and_armor(&identity.to_public(), &plain).unwrap();
        let map = TokenMap::read(armored.as_bytes(), &Identity::File(path)).unwrap();
        assert_eq!(detokenise(&map, &token, TextFormat::Xml).0, "v");
    }

    #[test]
    fn json_and_xml_values_are_escaped_and_unknown_tokens_counted() {
        let (_, map, t) = map_of(&[("s", "Nowak \"Jr\" <&>"), ("p", "05210112345")]);
        let unknown = "tok_aaaaaaaaaaaaaaaaaaaaaaaaaa";
        let line = format!("{{\"a\":\"{}\",\"b\":\"{}\",\"c\":\"{unknown}\"}}\n", t[0], t[1]);
        let (out, counts) = detokenise(&map, &line, TextFormat::Json);
        assert_eq!(
            out,
            format!(
                "{{\"a\":\"Nowak \\\"Jr\\\" <&>\",\"b\":\"05210112345\",\"c\":\"{unknown}\"}}\n"
            )
        );
        assert_eq!(counts, Detokenised { replaced: 2, unknown: 1 });
        let xml = format!("<p s=\"{}\"><x>{}</x></p>", t[0], t[0]);
        let (out, counts) = detokenise(&map, &xml, TextFormat::Xml);
        let esc = "Nowak &quot;Jr&quot; &lt;&amp;&gt;";
        assert_eq!(out, format!("<p s=\"{esc}\"><x>{esc}</x></p>"));
        assert_eq!(counts.replaced, 2);
    }

    #[test]
    fn tokens_glued_to_other_word_characters_are_not_tokens() {
        let (_, map, t) = map_of(&[("d", "V")]);
        let text = format!("x{0} {0}x {0}_ _{0} {0}7 -{0}-", t[0]);
        let (out, counts) = detokenise(&map, &text, TextFormat::Json);
        assert_eq!(out, format!("x{0} {0}x {0}_ _{0} {0}7 -V-", t[0]));
        assert_eq!(counts, Detokenised { replaced: 1, unknown: 0 });
    }

    #[test]
    fn tokens_split_across_chunks_are_found() {
        let (_, map, t) = map_of(&[("d", "VALUE")]);
        // Put tokens at every offset around the chunk boundary.
        for shift in 0..=TOKEN_LEN + 2 {
            let pad = "y".repeat(CHUNK - TOKEN_LEN + shift - 1);
            let text = format!("{pad} {} {}\n", t[0], t[0]);
            let (out, counts) = detokenise(&map, &text, TextFormat::Json);
            assert_eq!(out, format!("{pad} VALUE VALUE\n"), "shift {shift}");
            assert_eq!(counts.replaced, 2);
        }
        let (out, counts) = detokenise(&map, &t[0], TextFormat::Json);
        assert_eq!((out.as_str(), counts.replaced), ("VALUE", 1));
        assert_eq!(detokenise(&map, "", TextFormat::Json).0, "");
    }

    #[test]
    fn csv_cells_are_requoted_neutralised_and_line_endings_kept() {
        let (_, map, t) =
            map_of(&[("a", "Kowalski; Jan"), ("b", "=SUM(A1)"), ("c", "+48 601"), ("d", "x\"y")]);
        let text = format!(
            "\u{feff}id;name;f;phone;q\r\n1;{};{};{};\"{} z\"\r\n2;\"plain\";;;\r\n",
            t[0], t[1], t[2], t[3]
        );
        let (out, counts) = detokenise(&map, &text, TextFormat::Csv { delimiter: None });
        assert_eq!(
            out,
            "\u{feff}id;name;f;phone;q\r\n1;\"Kowalski; Jan\";'=SUM(A1);+48 601;\"x\"\"y z\"\r\n2;plain;;;\r\n"
        );
        assert_eq!(counts.replaced, 4);
        let (out, _) =
            detokenise(&map, &format!("a,b\n{},2\n", t[0]), TextFormat::Csv { delimiter: None });
        assert_eq!(out, "a,b\nKowalski; Jan,2\n", "no `,` in the value, no quotes");
    }

    #[test]
    fn csv_with_a_token_in_a_non_utf8_cell_is_refused() {
        let (_, map, t) = map_of(&[("a", "Żak")]);
        let mut text = b"id;name\n1;\xAF".to_vec();
        text.extend_from_slice(t[0].as_bytes());
        text.push(b'\n');
        let err = map.detokenise(&text[..], Vec::new(), TextFormat::Csv { delimiter: Some(b';') });
        assert_eq!(
            err.unwrap_err().to_string(),
            "input: line 2: not UTF-8: detokenise reads UTF-8 CSV; write the tokenised export with --out-encoding utf-8"
        );
    }

    #[test]
    fn delimiter_guess_counts_outside_quotes() {
        assert_eq!(guess_delimiter(b"a;b;c\n"), b';');
        assert_eq!(guess_delimiter(b"a,b,c\n"), b',');
        assert_eq!(guess_delimiter(b"a\tb\n"), b'\t');
        assert_eq!(guess_delimiter(b"\"a;b;c\",d\n"), b',');
        assert_eq!(guess_delimiter(b"single\n"), b',');
    }

    #[test]
    fn mapping_lines_that_are_not_entries_are_refused_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let (path, recipient) = identity_file(dir.path());
        let recipient: age::x25519::Recipient = recipient.parse().unwrap();
        let plain = "{\"token\":\"tok_abcdefghijklmnopqrstuvwxyz\",\"domain\":\"d\",\"value\":\"v\"}\n{\"token\":\"secret-ish\",\"domain\":\"d\",\"value\":\"Kowalski\"}\n";
        let file = age::encrypt(&recipient, plain.as_bytes()).unwrap();
        let err = TokenMap::read(&file[..], &Identity::File(path)).unwrap_err().to_string();
        assert_eq!(
            err,
            "token mapping: line 2: not a teczka token mapping line (token, domain, value)"
        );
    }
}
