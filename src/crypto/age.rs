//! Whole-archive encryption with age: to X25519 recipients (a receiving vendor's public keys,
//! `age1…`) or under a passphrase (scrypt, for a family).
//!
//! age is authenticated and hides entry names and sizes, which AES zip entries do not. The
//! output is the binary age format (`<name>.zip.age`), which `age -d` and rage decrypt. Input is
//! streamed in 64 KiB chunks: memory does not grow with the archive.
//!
//! Reading an age file someone else wrote is bounded before any key is tried
//! ([`read_age_header`]): the age crate parses a header again for every piece it reads, so a
//! header of thousands of recipient stanzas took a minute to refuse, and it honours any scrypt
//! work factor a file asks for, so 2^20 allocated 1 GiB. teczka takes at most
//! [`MAX_AGE_STANZAS`] stanzas in at most [`MAX_AGE_HEADER`] bytes, and a passphrase work
//! factor of at most [`SCRYPT_MAX_LOG_N`], the one it writes.

use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::keys::write_secret_file;
use crate::error::{Error, Result};

/// The label errors writing the encrypted output carry (the functions see only streams).
const OUTPUT: &str = "encrypted archive";

/// The most recipient stanzas an age header may hold when teczka reads it: twice
/// [`MAX_AGE_RECIPIENTS`], which leaves room for the random "grease" stanza age adds and for
/// other tools' habits.
pub const MAX_AGE_STANZAS: usize = 64;

/// The most recipients teczka encrypts to: a school hands an archive to one vendor or
/// family, not to dozens.
pub const MAX_AGE_RECIPIENTS: usize = 32;

/// The longest age header read, in bytes: 64 X25519 stanzas take about 8 KiB.
pub const MAX_AGE_HEADER: usize = 64 * 1024;

/// The scrypt work factor teczka encrypts passphrase files with: 2^18 (256 MiB, about a second),
/// the age reference implementation's fixed choice. Fixed rather than calibrated to the
/// machine, so whatever machine (or debug build) wrote a file, every teczka opens it.
pub const SCRYPT_LOG_N: u8 = 18;

/// The most scrypt work a passphrase file may ask of a reader: the factor teczka (and
/// `age -p`) write. More is refused before any work: a hostile file asking for 2^20 would
/// allocate 1 GiB, and 2^22 run for minutes.
pub const SCRYPT_MAX_LOG_N: u8 = 18;

/// The first line of every age v1 file.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// Read the start of an age file from `input` (already unarmored) and check its header's
/// size and stanza count before age parses it. Returns the bytes read, which the caller
/// puts back in front of the rest of `input`; a problem is told in plain words.
///
/// Input that does not start like an age file is returned as read, for age to refuse in its
/// own words. A header of more than 64 stanzas, or not ended within 64 KiB, is refused as soon
/// as it is seen, so refusing costs no more than reading 64 KiB.
///
/// # Example
///
/// ```
/// use teczka::read_age_header;
///
/// let key = age::x25519::Identity::generate();
/// let sealed = age::encrypt(&key.to_public(), b"PK...").unwrap();
/// let head = read_age_header(&mut &sealed[..])?.unwrap();
/// assert!(sealed.starts_with(&head));
///
/// let stanza = "-> X25519 AAAA\nAAAA\n";
/// let crowded = format!("age-encryption.org/v1\n{}--- AAAA\n", stanza.repeat(65));
/// let why = read_age_header(&mut crowded.as_bytes())?.unwrap_err();
/// assert!(why.starts_with("the age header holds more than 64 recipient stanzas"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_age_header(input: &mut impl Read) -> io::Result<std::result::Result<Vec<u8>, String>> {
    let mut head = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    // Where the next unscanned line starts, and the stanzas counted so far.
    let (mut line_start, mut stanzas) = (0usize, 0usize);
    loop {
        let n = match input.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        head.extend_from_slice(chunk.get(..n).unwrap_or_default());
        let compared = head.len().min(AGE_MAGIC.len());
        if head.get(..compared) != AGE_MAGIC.get(..compared) {
            return Ok(Ok(head));
        }
        while let Some(end) =
            head.get(line_start..).and_then(|t| t.iter().position(|&b| b == b'\n'))
        {
            let line = head.get(line_start..line_start + end).unwrap_or_default();
            if line.starts_with(b"---") {
                return Ok(Ok(head));
            }
            if line.starts_with(b"-> ") {
                stanzas += 1;
                if stanzas > MAX_AGE_STANZAS {
                    return Ok(Err(format!(
                        "the age header holds more than {MAX_AGE_STANZAS} recipient stanzas, \
                         the most teczka accepts: it was not written by teczka (or was altered \
                         to stall the reader); ask the sender to encrypt to fewer recipients"
                    )));
                }
            }
            line_start += end + 1;
        }
        if line_start > MAX_AGE_HEADER || head.len() > MAX_AGE_HEADER + chunk.len() {
            return Ok(Err(format!(
                "the age header is longer than {} KiB, the most teczka accepts: it was not \
                 written by teczka (or was altered to stall the reader)",
                MAX_AGE_HEADER / 1024
            )));
        }
        if n == 0 {
            // Cut short: age says so in its own words.
            return Ok(Ok(head));
        }
    }
}

/// Encrypt `input` to every recipient in `recipients` (age X25519 public keys, `age1…`); any one
/// of the matching secret keys decrypts it.
///
/// # Example
///
/// ```
/// use age::secrecy::ExposeSecret;
///
/// let key = age::x25519::Identity::generate();
/// let recipient = key.to_public().to_string();
/// let mut sealed = Vec::new();
/// teczka::encrypt_to_recipients(&b"PK..."[..], &mut sealed, &[recipient])?;
/// assert_eq!(age::decrypt(&key, &sealed).unwrap(), b"PK...");
/// # Ok::<(), teczka::Error>(())
/// ```
pub fn encrypt_to_recipients(
    input: impl Read,
    out: impl Write,
    recipients: &[String],
) -> Result<()> {
    seal(recipients_encryptor(recipients)?, input, out)
}

/// The age encryptor to X25519 `recipients` (`age1…`), checked as
/// [`encrypt_to_recipients`] checks them; stream into it with
/// [`age::Encryptor::wrap_output`].
pub fn recipients_encryptor(recipients: &[String]) -> Result<age::Encryptor> {
    if recipients.is_empty() {
        return Err(Error::config(
            "recipients",
            "no age recipient given; pass the receiver's public key (`age1…`)",
        ));
    }
    if recipients.len() > MAX_AGE_RECIPIENTS {
        return Err(Error::config(
            "recipients",
            format!(
                "{} age recipients given, more than the {MAX_AGE_RECIPIENTS} teczka encrypts \
                 to: make one archive per group of recipients",
                recipients.len()
            ),
        ));
    }
    let mut parsed = Vec::with_capacity(recipients.len());
    for (i, text) in recipients.iter().enumerate() {
        let recipient = text.trim().parse::<age::x25519::Recipient>().map_err(|_| {
            Error::config(
                "recipients",
                format!(
                    "recipient {} is not an age X25519 public key; it must start with `age1` \
                     (ask the receiver for the output of `age-keygen -y`)",
                    i + 1
                ),
            )
        })?;
        parsed.push(recipient);
    }
    age::Encryptor::with_recipients(parsed.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| Error::config("recipients", format!("age refused the recipients: {e}")))
}

/// Encrypt `input` under `passphrase` (age scrypt, work factor 2^18). The
/// passphrase must pass
/// [`check_passphrase`](crate::crypto::keys::check_passphrase): 12 or more characters with
/// lower- and upper-case letters, a digit and another character.
pub fn encrypt_with_passphrase(input: impl Read, out: impl Write, passphrase: &str) -> Result<()> {
    seal(passphrase_encryptor(passphrase)?, input, out)
}

/// The age encryptor under `passphrase`, checked as [`encrypt_with_passphrase`] checks it.
pub fn passphrase_encryptor(passphrase: &str) -> Result<age::Encryptor> {
    crate::crypto::keys::check_passphrase(passphrase)?;
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    recipient.set_work_factor(SCRYPT_LOG_N);
    age::Encryptor::with_recipients(std::iter::once(&recipient as _))
        .map_err(|e| Error::config("passphrase", format!("age refused the passphrase: {e}")))
}

fn seal(encryptor: age::Encryptor, mut input: impl Read, out: impl Write) -> Result<()> {
    let output_error = |e: io::Error| Error::io(OUTPUT, e);
    let mut writer = encryptor.wrap_output(out).map_err(output_error)?;
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = match input.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("archive to encrypt", e)),
        };
        writer.write_all(buffer.get(..n).unwrap_or_default()).map_err(output_error)?;
    }
    let mut out = writer.finish().map_err(output_error)?;
    out.flush().map_err(output_error)
}

/// What opens an age file (an archive, a token mapping).
#[derive(Clone)]
pub enum Identity {
    /// An age identity file: `AGE-SECRET-KEY-1…` lines (from `teczka keygen --age` or
    /// `age-keygen`), `#` comments allowed.
    File(PathBuf),
    /// The passphrase the mapping was encrypted with.
    Passphrase(String),
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::File(path) => f.debug_tuple("File").field(path).finish(),
            Identity::Passphrase(_) => f.write_str("Passphrase(<hidden>)"),
        }
    }
}

/// Write a new age X25519 identity file at `path` (mode 0600 on unix, never overwriting), in
/// `age-keygen`'s layout: `# created:` and `# public key:` comments, then the
/// `AGE-SECRET-KEY-1…` line. Returns the public recipient (`age1…`) to encrypt mappings to.
pub fn write_new_age_identity(path: &Path) -> Result<String> {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let created = chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let text = Zeroizing::new(format!(
        "# created: {created}\n# public key: {recipient}\n{}\n",
        identity.to_string().expose_secret()
    ));
    write_secret_file(path, text.as_bytes())?;
    Ok(recipient)
}

/// The words that tell the user what an age file is and what to give instead, so the shared
/// decryption ([`Identity::open`]) speaks of the file in hand.
pub struct Sealed {
    /// `mapping`, `archive`.
    pub noun: &'static str,
    /// What to give when the file is not age at all.
    pub give: &'static str,
    /// What to pass for a passphrase, and for an identity file.
    pub passphrase_hint: &'static str,
    /// What to pass for an identity file.
    pub identity_hint: &'static str,
}

impl Identity {
    /// Start decrypting an age file (binary or ASCII-armored) with this identity or
    /// passphrase. A wrong identity or passphrase, the wrong kind of secret, and a file that is
    /// not age are each an error saying so in `sealed`'s words, naming `source`.
    pub fn open<'a, R: Read + 'a>(
        &self,
        input: R,
        sealed: &Sealed,
        source: &Path,
    ) -> Result<impl Read + 'a> {
        let identities: Vec<Box<dyn age::Identity>> = match self {
            Identity::File(path) => {
                let file = age::IdentityFile::from_file(path.display().to_string())
                    .map_err(|e| Error::config(path, format!("not an age identity file: {e}")))?;
                let list = file.into_identities().map_err(|e| {
                    Error::config(path, format!("not a usable age identity file: {e}"))
                })?;
                if list.is_empty() {
                    return Err(Error::config(
                        path,
                        "holds no identity (`AGE-SECRET-KEY-1…` line): give the file `teczka \
                         keygen --age` wrote",
                    ));
                }
                list.into_iter().map(|i| i as Box<dyn age::Identity>).collect()
            }
            Identity::Passphrase(passphrase) => {
                let mut identity =
                    age::scrypt::Identity::new(SecretString::from(passphrase.clone()));
                identity.set_max_work_factor(SCRYPT_MAX_LOG_N);
                vec![Box::new(identity)]
            }
        };
        // The header is bounded before age parses it: age reparses a header for every piece
        // it reads, and tries every stanza, so a crowded one stalls it for minutes.
        let mut unarmored = age::armor::ArmoredReader::new(input);
        let head = read_age_header(&mut unarmored)
            .map_err(|e| sealed.error(source, self, age::DecryptError::Io(e)))?
            .map_err(|why| Error::input(source, why))?;
        let decryptor = age::Decryptor::new(std::io::Cursor::new(head).chain(unarmored))
            .map_err(|e| sealed.error(source, self, e))?;
        if decryptor.is_scrypt() != matches!(self, Identity::Passphrase(_)) {
            let what = if decryptor.is_scrypt() {
                format!(
                    "the {} is encrypted with a passphrase: give {}, not an identity file",
                    sealed.noun, sealed.passphrase_hint
                )
            } else {
                format!(
                    "the {} is encrypted to an age recipient: give {}, not a passphrase",
                    sealed.noun, sealed.identity_hint
                )
            };
            return Err(Error::input(source, what));
        }
        decryptor
            .decrypt(identities.iter().map(|i| i.as_ref()))
            .map_err(|e| sealed.error(source, self, e))
    }
}

impl Sealed {
    /// Say why an age file does not open, in the words of the identity given.
    pub fn error(&self, source: &Path, identity: &Identity, error: age::DecryptError) -> Error {
        use age::DecryptError as D;
        let noun = self.noun;
        let message = match (&error, identity) {
            (
                D::NoMatchingKeys | D::KeyDecryptionFailed | D::DecryptionFailed,
                Identity::Passphrase(_),
            ) => format!("wrong passphrase: the {noun} does not open with it"),
            (D::NoMatchingKeys | D::KeyDecryptionFailed, Identity::File(path)) => format!(
                "wrong identity: the {noun} was not encrypted to the identity in {}",
                path.display()
            ),
            (D::ExcessiveWork { required, .. }, _) => format!(
                "the {noun} asks for passphrase work 2^{required}, more than the \
                 2^{SCRYPT_MAX_LOG_N} accepted (2^20 needs 1 GiB of memory): it was not written \
                 by teczka; ask the sender to encrypt it with teczka or `age -p`"
            ),
            (D::InvalidHeader | D::UnknownFormat, _) => {
                format!("not an age-encrypted file: give {}", self.give)
            }
            (D::Io(e), _) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                format!("not an age-encrypted file, or cut short: give the whole {noun}")
            }
            (D::Io(e), _) => {
                format!("cannot decrypt ({e}): the {noun} is damaged or was altered")
            }
            (other, _) => format!("cannot decrypt (damaged or altered file?): {other}"),
        };
        Error::input(source, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_decrypt_and_others_do_not() {
        let one = age::x25519::Identity::generate();
        let two = age::x25519::Identity::generate();
        let stranger = age::x25519::Identity::generate();
        let data = vec![42u8; 200_000];
        let mut sealed = Vec::new();
        let recipients = [one.to_public().to_string(), format!(" {} ", two.to_public())];
        encrypt_to_recipients(&data[..], &mut sealed, &recipients).unwrap();
        assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
        assert_eq!(age::decrypt(&one, &sealed).unwrap(), data);
        assert_eq!(age::decrypt(&two, &sealed).unwrap(), data);
        assert!(age::decrypt(&stranger, &sealed).is_err());
    }

    #[test]
    fn bad_or_missing_recipients_are_named_by_position() {
        let good = age::x25519::Identity::generate().to_public().to_string();
        let e = encrypt_to_recipients(&b"x"[..], Vec::new(), &[good, "ssh-rsa AAAA".into()])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "recipients: recipient 2 is not an age X25519 public key; it must start with `age1` \
             (ask the receiver for the output of `age-keygen -y`)"
        );
        let e = encrypt_to_recipients(&b"x"[..], Vec::new(), &[]).unwrap_err();
        assert!(e.to_string().starts_with("recipients: no age recipient given"), "{e}");
    }

    #[test]
    fn age_headers_are_read_up_to_their_end_and_no_further_than_the_caps() {
        let stanza = "-> X25519 AAAA\nAAAA\n";
        let header = |n: usize| format!("age-encryption.org/v1\n{}--- MAC\n", stanza.repeat(n));
        for n in [1, MAX_AGE_STANZAS] {
            let file = format!("{}payload", header(n));
            let head = read_age_header(&mut file.as_bytes()).unwrap().unwrap();
            assert!(file.as_bytes().starts_with(&head), "what was read is given back");
            assert!(head.len() >= header(n).len());
        }
        let file = header(MAX_AGE_STANZAS + 1);
        let why = read_age_header(&mut file.as_bytes()).unwrap().unwrap_err();
        assert!(why.starts_with("the age header holds more than 64 recipient stanzas"), "{why}");
        // A header of few stanzas but huge bodies, and one never ended.
        let fat = format!("age-encryption.org/v1\n-> X25519 A\n{}--- MAC\n", "A\n".repeat(40_000));
        let why = read_age_header(&mut fat.as_bytes()).unwrap().unwrap_err();
        assert!(why.starts_with("the age header is longer than 64 KiB"), "{why}");
        // Not age, or cut short: passed on as read, for age to name.
        for text in ["PK\x03\x04 a zip", "age-encryption.org/v1\n-> X25519 A\n", ""] {
            let head = read_age_header(&mut text.as_bytes()).unwrap().unwrap();
            assert_eq!(head, text.as_bytes());
        }
    }

    #[test]
    fn too_many_recipients_are_refused_and_passphrases_use_the_fixed_work_factor() {
        let recipient = age::x25519::Identity::generate().to_public().to_string();
        let most = vec![recipient; MAX_AGE_RECIPIENTS];
        let mut sealed = Vec::new();
        encrypt_to_recipients(&b"x"[..], &mut sealed, &most).unwrap();
        read_age_header(&mut &sealed[..]).unwrap().expect("teczka reads what it writes");
        let many = vec![most[0].clone(); MAX_AGE_RECIPIENTS + 1];
        let e = encrypt_to_recipients(&b"x"[..], Vec::new(), &many).unwrap_err();
        assert!(e.to_string().contains("more than the 32 teczka encrypts to"), "{e}");
        let mut sealed = Vec::new();
        encrypt_with_passphrase(&b"x"[..], &mut sealed, "Correct-Horse-7battery").unwrap();
        let head = String::from_utf8_lossy(&sealed[..80]).into_owned();
        assert!(head.contains(&format!(" {SCRYPT_LOG_N}\n")), "{head}");
    }

    #[test]
    fn passphrase_round_trips_and_weak_ones_are_refused() {
        let e = encrypt_with_passphrase(&b"x"[..], Vec::new(), "password").unwrap_err();
        assert!(e.to_string().starts_with("passphrase: too weak"), "{e}");
        let mut sealed = Vec::new();
        encrypt_with_passphrase(&b"the archive"[..], &mut sealed, "Correct-Horse-7battery")
            .unwrap();
        let identity =
            age::scrypt::Identity::new(SecretString::from("Correct-Horse-7battery".to_owned()));
        assert_eq!(age::decrypt(&identity, &sealed).unwrap(), b"the archive");
    }
}
