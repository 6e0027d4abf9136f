//! minisign signatures of a bag's tag manifest (SPEC §6: "optional minisign signature of the
//! tag manifest").
//!
//! `tagmanifest-sha512.txt` pins every tag file, and the payload manifests among them pin every
//! payload file, so one signature over it vouches for the whole bag. The signature lies beside
//! it in the bag as `tagmanifest-sha512.txt.minisig`, in minisign's own format, so a recipient
//! without teczka checks an unzipped bag with
//! `minisign -Vm tagmanifest-sha512.txt -p school.pub`.
//!
//! Keys are minisign's files: a secret key (optionally encrypted with a password, scrypt as
//! minisign does it) and a public key (`untrusted comment: …` and one base64 line), made by
//! `teczka keygen --minisign` or by `minisign -G`. The `minisign` crate reads and writes them
//! and checks signatures.
//!
//! Signing is done here rather than by that crate, because its signatures mix in random bytes
//! (hedged Ed25519) and teczka's archives must be byte-identical for the same input and key.
//! Plain Ed25519 (RFC 8032) is deterministic and just as valid: every minisign verifier accepts
//! it. The signature is minisign's prehashed kind (`ED`: Ed25519 over the BLAKE2b-512 of the
//! file), the one current minisign writes and accepts by default; its trusted comment carries
//! the archive's own time, never the clock.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use blake2::{Blake2b512, Digest};
use ed25519_dalek::Signer;
use zeroize::Zeroizing;

use crate::crypto::keys::write_secret_file;
use crate::error::{Error, Result};

/// The file signed: the SHA-512 tag manifest.
pub const SIGNED_FILE: &str = "tagmanifest-sha512.txt";

/// The signature's name in the bag, as minisign names a file's signature.
pub const SIGNATURE_FILE: &str = "tagmanifest-sha512.txt.minisig";

/// minisign's algorithm tag for an Ed25519 key.
const KEY_ALG: &[u8; 2] = b"Ed";
/// minisign's algorithm tag for a signature over the BLAKE2b-512 of the file.
const PREHASHED: &[u8; 2] = b"ED";
/// minisign's key-derivation tag for a password-encrypted secret key (scrypt).
const SCRYPT: &[u8; 2] = b"Sc";
/// Where the key id and the Ed25519 key pair lie in a decoded minisign secret key: algorithm,
/// KDF and checksum tags (2 bytes each), salt (32), ops and memory limits (8 each), then the
/// key id (8) and the 64-byte key pair (seed, public key), then a 32-byte checksum.
const KEY_ID_AT: usize = 2 + 2 + 2 + 32 + 8 + 8;
const KEY_PAIR_AT: usize = KEY_ID_AT + 8;
const SECRET_KEY_BYTES: usize = KEY_PAIR_AT + 64 + 32;

/// A minisign secret key, ready to sign.
///
/// Its `Debug` shows the key id only; the key bytes are wiped when it is dropped.
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    key_id: [u8; 8],
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("id", &key_id_text(&self.key_id)).finish()
    }
}

impl SigningKey {
    /// Read a minisign secret key file; `password` opens an encrypted one.
    ///
    /// An encrypted key without a password, a wrong password, or a file that is not a minisign
    /// secret key are errors naming the file and what to do.
    pub fn read(path: &Path, password: Option<&str>) -> Result<SigningKey> {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?);
        SigningKey::from_text(&text, password).map_err(|why| Error::config(path, why))
    }

    /// A key from the text of a minisign secret key file (see [`read`](SigningKey::read)); the
    /// error is the reason in plain words.
    fn from_text(text: &str, password: Option<&str>) -> std::result::Result<SigningKey, String> {
        let not_a_key = "is not a minisign secret key (two lines: `untrusted comment: …` and one \
                         base64 line): give the secret key file `teczka keygen --minisign` or \
                         `minisign -G` wrote";
        let encoded = text.lines().nth(1).map(str::trim).ok_or(not_a_key)?;
        let raw = Zeroizing::new(BASE64.decode(encoded).map_err(|_| not_a_key)?);
        if raw.len() != SECRET_KEY_BYTES || raw.get(..2) != Some(&KEY_ALG[..]) {
            return Err(not_a_key.into());
        }
        let encrypted = raw.get(2..4) == Some(&SCRYPT[..]);
        let bytes = match (encrypted, password) {
            // minisign 0.11 (`-G -W`) leaves an unencrypted key's checksum zero, which the
            // minisign crate refuses as corrupted; the key pair's halves are checked below
            // instead, which catches damage just as well.
            (false, _) => raw,
            (true, None) => {
                return Err("the minisign secret key is encrypted: put its password in an \
                            environment variable and name it with --sign-password-env VAR"
                    .into())
            }
            (true, Some(password)) => {
                let boxed = minisign::SecretKeyBox::from_string(text).map_err(|_| not_a_key)?;
                let opened = boxed.into_secret_key(Some(password.to_owned())).map_err(|e| {
                    if matches!(e.kind(), minisign::ErrorKind::Verify) {
                        "wrong password for this minisign secret key: check the variable \
                         --sign-password-env names"
                            .to_string()
                    } else {
                        format!("cannot open the minisign secret key: {e}")
                    }
                })?;
                Zeroizing::new(opened.to_bytes())
            }
        };
        let key_id: [u8; 8] =
            bytes.get(KEY_ID_AT..KEY_PAIR_AT).and_then(|s| s.try_into().ok()).ok_or(not_a_key)?;
        let pair: Zeroizing<[u8; 64]> = Zeroizing::new(
            bytes
                .get(KEY_PAIR_AT..KEY_PAIR_AT + 64)
                .and_then(|s| s.try_into().ok())
                .ok_or(not_a_key)?,
        );
        let key = ed25519_dalek::SigningKey::from_keypair_bytes(&pair).map_err(|_| {
            "the minisign secret key's two halves do not match: the file is damaged; use an \
             intact copy"
                .to_string()
        })?;
        Ok(SigningKey { key, key_id })
    }

    /// The key id, as minisign prints it (16 hexadecimal digits).
    pub fn id(&self) -> String {
        key_id_text(&self.key_id)
    }

    /// A plain Ed25519 signature (RFC 8032) over `message`: what a signed note (the log's
    /// checkpoints) carries, rather than minisign's own format.
    pub fn sign_ed25519(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// The public key that checks this key's signatures.
    pub fn public_key(&self) -> Result<TrustedKey> {
        let mut raw = Vec::with_capacity(42);
        raw.extend_from_slice(KEY_ALG);
        raw.extend_from_slice(&self.key_id);
        raw.extend_from_slice(self.key.verifying_key().as_bytes());
        TrustedKey::from_base64(&BASE64.encode(raw))
    }

    /// The text of a minisign signature file over `data`, with `trusted_comment` (one line;
    /// it is signed too).
    ///
    /// The same key, data and comment always give the same text.
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> Result<String> {
        if trusted_comment.contains(['\n', '\r']) {
            return Err(Error::input(
                SIGNATURE_FILE,
                "a trusted comment must be one line: remove the line break",
            ));
        }
        let signature = self.key.sign(&Blake2b512::digest(data)).to_bytes();
        let mut bones = Vec::with_capacity(74);
        bones.extend_from_slice(PREHASHED);
        bones.extend_from_slice(&self.key_id);
        bones.extend_from_slice(&signature);
        let mut signed_comment = signature.to_vec();
        signed_comment.extend_from_slice(trusted_comment.as_bytes());
        let global = self.key.sign(&signed_comment).to_bytes();
        let text = format!(
            "untrusted comment: signature from teczka, minisign key {}\n{}\ntrusted comment: \
             {trusted_comment}\n{}\n",
            self.id(),
            BASE64.encode(bones),
            BASE64.encode(global)
        );
        // Checked with minisign's own verifier, so a format slip here cannot ship unnoticed.
        self.public_key()?.check(data, &text).map_err(|why| {
            Error::input(SIGNATURE_FILE, format!("the signature just made does not verify: {why}"))
        })?;
        Ok(text)
    }
}

/// A minisign public key that signatures are checked against.
#[derive(Clone, Debug)]
pub struct TrustedKey {
    key: minisign::PublicKey,
}

/// Why a signature does not vouch for the data, in plain words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadSignature(pub String);

impl TrustedKey {
    /// A key given on the command line: a public key file (`minisign.pub`, `school.pub`) if
    /// `file_or_key` names one, else the key itself (the base64 line, `RW…`).
    pub fn from_arg(file_or_key: &str) -> Result<TrustedKey> {
        let path = Path::new(file_or_key);
        if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            return TrustedKey::from_text(&text).map_err(|e| Error::config(path, e.to_string()));
        }
        TrustedKey::from_base64(file_or_key.trim()).map_err(|_| {
            Error::config(
                "--trusted-key",
                "is neither a public key file nor a minisign public key (`RW…`, 56 \
                 characters): give the school's `.pub` file or the key it holds",
            )
        })
    }

    /// A key from the text of a public key file: its base64 line (the last non-empty line), or
    /// the base64 alone.
    pub fn from_text(text: &str) -> Result<TrustedKey> {
        let line = text.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or_default();
        TrustedKey::from_base64(line)
    }

    fn from_base64(line: &str) -> Result<TrustedKey> {
        let not_a_key = || {
            Error::config(
                "public key",
                "is not a minisign public key (`RW…`, 56 characters): give the `.pub` file \
                 `teczka keygen --minisign` or `minisign -G` wrote",
            )
        };
        let key = minisign::PublicKey::from_base64(line).map_err(|_| not_a_key())?;
        if !line.starts_with("RW") {
            return Err(not_a_key());
        }
        Ok(TrustedKey { key })
    }

    /// The key id, as minisign prints it (16 hexadecimal digits).
    pub fn id(&self) -> String {
        key_id_text(self.key.keynum())
    }

    /// The raw Ed25519 public key (32 bytes) inside the minisign key.
    pub fn ed25519(&self) -> [u8; 32] {
        let bytes = self.key.to_bytes();
        let mut raw = [0; 32];
        // minisign's public key: algorithm (2 bytes), key id (8), then the Ed25519 key.
        raw.copy_from_slice(&bytes[10..42]);
        raw
    }

    /// Whether `signature` is a valid Ed25519 signature (RFC 8032) of `message` by this key.
    pub fn check_ed25519(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        ed25519_dalek::VerifyingKey::from_bytes(&self.ed25519())
            .is_ok_and(|key| key.verify_strict(message, &signature.into()).is_ok())
    }

    /// The public key's base64 line (`RW…`), what `minisign -P` takes.
    pub fn base64(&self) -> String {
        self.key.to_base64()
    }

    /// The text of a public key file, as minisign writes one.
    pub fn file_text(&self) -> String {
        format!("untrusted comment: minisign public key {}\n{}\n", self.id(), self.base64())
    }

    /// Check the minisign signature `signature` (a `.minisig` file's text) over `data`; on
    /// success, its trusted comment.
    pub fn check(&self, data: &[u8], signature: &str) -> std::result::Result<String, BadSignature> {
        check_signature_shape(signature)?;
        let signature = minisign::SignatureBox::from_string(signature).map_err(|_| {
            BadSignature(
                "is not a minisign signature: the file is damaged or was replaced".to_string(),
            )
        })?;
        let signer = key_id_text(signature.keynum());
        if signer != self.id() {
            return Err(BadSignature(format!(
                "was made with minisign key {signer}, not with the trusted key {}: the archive \
                 was signed by someone else, or the public key given is the wrong one",
                self.id()
            )));
        }
        minisign::verify(&self.key, &signature, std::io::Cursor::new(data), true, false, false)
            .map_err(|_| {
                BadSignature(format!(
                    "does not match {SIGNED_FILE}: the bag was changed after it was signed \
                     (or the signature was damaged); do not trust it"
                ))
            })?;
        signature.trusted_comment().map_err(|_| {
            BadSignature("has an unreadable trusted comment: the file is damaged".to_string())
        })
    }
}

/// Refuse a signature file that is not exactly minisign's four lines (a final newline
/// allowed): whatever follows them is covered by no signature, yet a reader of the file would
/// take it as part of what was signed.
fn check_signature_shape(text: &str) -> std::result::Result<(), BadSignature> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<&str> = body.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let shaped = matches!(
        lines.as_slice(),
        [untrusted, signature, trusted, global]
            if untrusted.starts_with("untrusted comment:")
                && trusted.starts_with("trusted comment:")
                && !signature.is_empty()
                && !global.is_empty()
    );
    if shaped {
        return Ok(());
    }
    Err(BadSignature(format!(
        "is not exactly a minisign signature ({} lines where minisign writes 4: untrusted \
         comment, signature, trusted comment, global signature): text was added to or removed \
         from it; do not trust the archive",
        lines.len()
    )))
}

/// The trusted comment of a bag's signature: the archive's time (never the clock, so the same
/// input signs to the same bytes) and the file signed, in the form minisign writes.
pub fn trusted_comment(bag: &str, unix_time: i64) -> String {
    format!("timestamp:{unix_time}\tfile:{bag}/{SIGNED_FILE}\thashed")
}

/// Make a minisign key pair: the secret key at `secret` (mode 0600, never overwriting; encrypted
/// under `password` if given) and the public key beside it with the extension `.pub`. Returns
/// the public key and where it was written.
pub fn generate_key_pair(secret: &Path, password: Option<&str>) -> Result<(TrustedKey, PathBuf)> {
    let public_path = secret.with_extension("pub");
    if public_path == secret {
        return Err(Error::config(
            secret,
            "the secret key would be written where its public key goes: name it `….key`",
        ));
    }
    if public_path.exists() {
        return Err(Error::config(
            &public_path,
            "exists: a key file is never overwritten; choose another -o path",
        ));
    }
    let generated = match password {
        Some(password) => minisign::KeyPair::generate_encrypted_keypair(Some(password.to_owned())),
        None => minisign::KeyPair::generate_unencrypted_keypair(),
    };
    let failed = |e: minisign::PError| Error::config(secret, format!("cannot make a key: {e}"));
    let pair = generated.map_err(failed)?;
    let comment = if password.is_some() {
        "teczka minisign secret key (encrypted)"
    } else {
        "teczka minisign secret key (not encrypted: keep the file safe)"
    };
    let secret_text = Zeroizing::new(pair.sk.to_box(Some(comment)).map_err(failed)?.into_string());
    let public = TrustedKey { key: pair.pk };
    write_secret_file(secret, secret_text.as_bytes())?;
    let written =
        std::fs::OpenOptions::new().write(true).create_new(true).open(&public_path).and_then(
            |mut file| std::io::Write::write_all(&mut file, public.file_text().as_bytes()),
        );
    if let Err(e) = written {
        // A secret key without its public half is useless and would block the next try.
        let _ = std::fs::remove_file(secret);
        return Err(Error::io(&public_path, e));
    }
    Ok((public, public_path))
}

/// A key id as minisign prints it: the 8 bytes read as a little-endian number, in upper-case
/// hexadecimal.
fn key_id_text(id: &[u8]) -> String {
    let mut bytes = [0u8; 8];
    for (to, from) in bytes.iter_mut().zip(id) {
        *to = *from;
    }
    format!("{:016X}", u64::from_le_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_key(dir: &Path, password: Option<&str>) -> (SigningKey, TrustedKey) {
        let path = dir.join("school.key");
        let (public, public_path) = generate_key_pair(&path, password).unwrap();
        assert_eq!(public_path, dir.join("school.pub"));
        (SigningKey::read(&path, password).unwrap(), public)
    }

    #[test]
    fn a_signature_verifies_is_deterministic_and_binds_data_and_comment() {
        let dir = tempfile::tempdir().unwrap();
        let (key, public) = new_key(dir.path(), None);
        assert_eq!(key.public_key().unwrap().base64(), public.base64());
        assert_eq!(key.id(), public.id());
        let comment = trusted_comment("transfer", 1_700_000_000);
        assert_eq!(comment, "timestamp:1700000000\tfile:transfer/tagmanifest-sha512.txt\thashed");
        let text = key.sign(b"manifest\n", &comment).unwrap();
        assert_eq!(text, key.sign(b"manifest\n", &comment).unwrap());
        assert_eq!(public.check(b"manifest\n", &text).unwrap(), comment);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(&BASE64.decode(lines[1]).unwrap()[..2], b"ED", "a prehashed signature");
        assert!(public.check(b"manifest!\n", &text).unwrap_err().0.contains("changed after"));
        let forged = text.replace("timestamp:1700000000", "timestamp:1800000000");
        assert!(public.check(b"manifest\n", &forged).is_err());
        assert!(public.check(b"manifest\n", "not a signature").is_err());
        assert!(key.sign(b"x", "two\nlines").is_err());
    }

    #[test]
    fn a_signature_file_with_anything_added_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (key, public) = new_key(dir.path(), None);
        let text = key.sign(b"manifest\n", "c").unwrap();
        assert!(public.check(b"manifest\n", &text).is_ok());
        assert!(public.check(b"manifest\n", &text.replace('\n', "\r\n")).is_ok());
        for tampered in [
            format!("{text}garbage"),
            format!("{text}\n"),
            format!("{text}untrusted comment: a second signature\n"),
            text.lines().take(3).collect::<Vec<_>>().join("\n"),
        ] {
            let why = public.check(b"manifest\n", &tampered).unwrap_err().0;
            assert!(why.contains("not exactly a minisign signature"), "{why}");
        }
    }

    #[test]
    fn another_key_is_named_in_the_refusal() {
        let dir = tempfile::tempdir().unwrap();
        let (key, _) = new_key(dir.path(), None);
        let other = tempfile::tempdir().unwrap();
        let (_, stranger) = new_key(other.path(), None);
        let text = key.sign(b"x", "c").unwrap();
        let why = stranger.check(b"x", &text).unwrap_err().0;
        assert!(why.contains(&key.id()) && why.contains(&stranger.id()), "{why}");
    }

    #[test]
    fn encrypted_keys_need_the_right_password() {
        let dir = tempfile::tempdir().unwrap();
        let (key, public) = new_key(dir.path(), Some("correct horse battery"));
        assert_eq!(key.id(), public.id());
        let path = dir.path().join("school.key");
        let e = SigningKey::read(&path, None).unwrap_err().to_string();
        assert!(e.contains("encrypted") && e.contains("--sign-password-env"), "{e}");
        let e = SigningKey::read(&path, Some("wrong")).unwrap_err().to_string();
        assert!(e.contains("wrong password"), "{e}");
    }

    #[test]
    fn key_files_are_private_never_overwritten_and_public_keys_parse_every_way() {
        let dir = tempfile::tempdir().unwrap();
        let (_, public) = new_key(dir.path(), None);
        let path = dir.path().join("school.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(generate_key_pair(&path, None).is_err());
        let pub_path = dir.path().join("school.pub");
        let from_file = TrustedKey::from_arg(pub_path.to_str().unwrap()).unwrap();
        assert_eq!(from_file.base64(), public.base64());
        assert_eq!(TrustedKey::from_arg(&public.base64()).unwrap().id(), public.id());
        assert!(TrustedKey::from_arg("nonsense").is_err());
        let e = SigningKey::read(&pub_path, None).unwrap_err().to_string();
        assert!(e.contains("is not a minisign secret key"), "{e}");
        assert!(format!("{:?}", SigningKey::read(&path, None).unwrap()).contains(&public.id()));
    }
}
