//! Whole-archive encryption with age: to X25519 recipients (a receiving vendor's public keys,
//! `age1…`) or under a passphrase (scrypt, for a family).
//!
//! age is authenticated and hides entry names and sizes, which AES zip entries do not. The
//! output is the binary age format (`<name>.zip.age`), which `age -d` and rage decrypt. Input is
//! streamed in 64 KiB chunks: memory does not grow with the archive.

use std::io::{self, Read, Write};

use age::secrecy::SecretString;

use crate::error::{Error, Result};

/// The label errors writing the encrypted output carry (the functions see only streams).
const OUTPUT: &str = "encrypted archive";

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
/// teczka::archive::encrypt::encrypt_to_recipients(&b"PK..."[..], &mut sealed, &[recipient])?;
/// assert_eq!(age::decrypt(&key, &sealed).unwrap(), b"PK...");
/// # Ok::<(), teczka::Error>(())
/// ```
pub fn encrypt_to_recipients(
    input: impl Read,
    out: impl Write,
    recipients: &[String],
) -> Result<()> {
    if recipients.is_empty() {
        return Err(Error::config(
            "recipients",
            "no age recipient given; pass the receiver's public key (`age1…`)",
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
    let encryptor =
        age::Encryptor::with_recipients(parsed.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| Error::config("recipients", format!("age refused the recipients: {e}")))?;
    seal(encryptor, input, out)
}

/// Encrypt `input` under `passphrase` (age scrypt). The passphrase must pass
/// [`check_passphrase`](crate::policy::keys::check_passphrase): 12 or more characters with
/// lower- and upper-case letters, a digit and another character.
pub fn encrypt_with_passphrase(input: impl Read, out: impl Write, passphrase: &str) -> Result<()> {
    crate::policy::keys::check_passphrase(passphrase)?;
    let encryptor = age::Encryptor::with_user_passphrase(SecretString::from(passphrase.to_owned()));
    seal(encryptor, input, out)
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
