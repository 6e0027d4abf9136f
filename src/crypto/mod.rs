//! Secrets, in one place for every stage that needs them: the policy (pseudonyms, date shifts,
//! sealed token mappings) and the archive (age encryption, passphrases, checksums in hex).
//!
//! * [`keys`] — the secret key file (`teczka keygen`), keyed pseudonyms and date shifts
//!   (HMAC-SHA-256, domain-separated), the key id, passphrase strength, random bytes, hex, and
//!   writing secret files privately;
//! * [`age`] — age encryption of whole files to X25519 recipients or under a passphrase, the
//!   identity or passphrase that opens them ([`age::Identity`]), and the bounds an age header
//!   must stay within before age parses it.

pub mod age;
pub mod keys;
