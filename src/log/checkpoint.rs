//! Signed checkpoints: the tree's size and root, signed with the school's key in the C2SP
//! formats (`tlog-checkpoint` inside a `signed-note`), as Go's checksum database, sigstore and
//! the witness network write them:
//!
//! ```text
//! teczka-log/3F1B0E0C8F3C5A41
//! 12
//! 8Ns6ZyXA0R8a0Hx1a8vVx0b8Fvj4z3yQ0W2w1T4jQ5Y=
//!
//! — teczka-log/3F1B0E0C8F3C5A41 Aq9Gf0…
//! ```
//!
//! The signature line holds the key's 4-byte hash (SHA-256 of the name, a newline, the type
//! byte 0x01 and the Ed25519 public key) and the Ed25519 signature of the text above the blank
//! line. The school's minisign key is an Ed25519 key, so the same key signs archives and
//! checkpoints.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::merkle::Hash;
use crate::archive::sign::{SigningKey, TrustedKey};

/// The signed-note algorithm byte of an Ed25519 key.
const ED25519: u8 = 0x01;

/// A tree head: the log's name, how many entries it covers and their root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name: `teczka-log/` and the signing key's id, so checkpoints of two schools'
    /// logs can never be taken for each other.
    pub origin: String,
    /// The number of entries the root covers.
    pub size: u64,
    /// The Merkle root of the first `size` entries.
    pub root: Hash,
}

impl Checkpoint {
    /// The origin of a log whose checkpoints `key_id` signs.
    pub fn origin_for(key_id: &str) -> String {
        format!("teczka-log/{key_id}")
    }

    /// The checkpoint's text: origin, size and base64 root, one per line.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, BASE64.encode(self.root))
    }

    /// The signed note: the body, a blank line and the signature line.
    pub fn sign(&self, key: &SigningKey) -> crate::Result<String> {
        let body = self.body();
        let public = key.public_key()?.ed25519();
        let mut blob = key_hash(&self.origin, &public).to_vec();
        blob.extend_from_slice(&key.sign_ed25519(body.as_bytes()));
        Ok(format!("{body}\n\u{2014} {} {}\n", self.origin, BASE64.encode(blob)))
    }

    /// Read a signed note and check it is a checkpoint signed by `key`; the error says, in
    /// plain words, what is wrong with it.
    pub fn open(note: &str, key: &TrustedKey) -> Result<Checkpoint, String> {
        let (body, signatures) = note
            .split_once("\n\n")
            .ok_or("is not a signed note (no blank line before the signature)")?;
        let body = format!("{body}\n");
        let checkpoint = Checkpoint::parse(&body)?;
        let expected = Checkpoint::origin_for(&key.id());
        if checkpoint.origin != expected {
            return Err(format!(
                "belongs to the log `{}`, not to the log of the trusted key ({expected}): it was \
                 signed with another key",
                checkpoint.origin
            ));
        }
        let public = key.ed25519();
        let wanted = key_hash(&expected, &public);
        let signature = signatures
            .lines()
            .filter_map(|line| signature_of(line, &expected))
            .find(|blob| blob[..4] == wanted)
            .ok_or_else(|| format!("carries no signature of the trusted key {}", key.id()))?;
        let signature: [u8; 64] = signature[4..].try_into().map_err(|_| "a damaged signature")?;
        if !key.check_ed25519(body.as_bytes(), &signature) {
            return Err("has a signature that does not match its text: it was changed after it \
                        was signed"
                .into());
        }
        Ok(checkpoint)
    }

    fn parse(body: &str) -> Result<Checkpoint, String> {
        let mut lines = body.lines();
        let origin = lines.next().filter(|o| !o.is_empty()).ok_or("has no origin line")?;
        let size = lines
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or("has no tree size on its second line")?;
        let root = lines
            .next()
            .and_then(|r| BASE64.decode(r).ok())
            .and_then(|r| <Hash>::try_from(r).ok())
            .ok_or("has no 32-byte base64 root hash on its third line")?;
        Ok(Checkpoint { origin: origin.to_string(), size, root })
    }
}

/// The verifier key of a log, in the signed-note form (`name+hash+base64key`) that Go's
/// `note.NewVerifier` and the C2SP tools take.
pub fn verifier_key(key: &TrustedKey) -> String {
    let name = Checkpoint::origin_for(&key.id());
    let public = key.ed25519();
    let mut typed = vec![ED25519];
    typed.extend_from_slice(&public);
    let hash = crate::crypto::keys::hex(&key_hash(&name, &public));
    format!("{name}+{hash}+{}", BASE64.encode(typed))
}

/// The 4-byte key hash a signature line starts with.
fn key_hash(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([ED25519]);
    hasher.update(public);
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// The decoded key hash and signature of one signature line by `name`, if it is one.
fn signature_of(line: &str, name: &str) -> Option<Vec<u8>> {
    let rest = line.strip_prefix("\u{2014} ")?;
    let (signer, blob) = rest.split_once(' ')?;
    let blob = BASE64.decode(blob).ok()?;
    (signer == name && blob.len() == 68).then_some(blob)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::sign::generate_key_pair;

    fn key(dir: &std::path::Path, name: &str) -> (SigningKey, TrustedKey) {
        let secret = dir.join(name);
        let (public, _) = generate_key_pair(&secret, None).unwrap();
        (SigningKey::read(&secret, None).unwrap(), public)
    }

    #[test]
    fn a_signed_checkpoint_opens_with_its_key_and_not_with_another() {
        let dir = tempfile::tempdir().unwrap();
        let (secret, public) = key(dir.path(), "a.key");
        let (_, other) = key(dir.path(), "b.key");
        let checkpoint =
            Checkpoint { origin: Checkpoint::origin_for(&public.id()), size: 7, root: [9; 32] };
        let note = checkpoint.sign(&secret).unwrap();
        assert!(note.starts_with(&checkpoint.body()), "{note}");
        assert_eq!(Checkpoint::open(&note, &public), Ok(checkpoint.clone()));
        let refused = Checkpoint::open(&note, &other).unwrap_err();
        assert!(refused.contains("another key"), "{refused}");
        let edited = note.replacen("\n7\n", "\n8\n", 1);
        let refused = Checkpoint::open(&edited, &public).unwrap_err();
        assert!(refused.contains("changed after"), "{refused}");
    }

    #[test]
    fn the_verifier_key_names_the_log_and_its_key_hash() {
        let dir = tempfile::tempdir().unwrap();
        let (_, public) = key(dir.path(), "a.key");
        let vkey = verifier_key(&public);
        let parts: Vec<&str> = vkey.splitn(3, '+').collect();
        assert_eq!(parts[0], Checkpoint::origin_for(&public.id()));
        assert_eq!(parts[1].len(), 8);
        assert_eq!(BASE64.decode(parts[2]).unwrap()[0], ED25519);
    }
}
