//! The portable archive (SPEC §6): a zip whose single top-level folder is a BagIt bag (RFC 8493).
//! [`read`] opens such an archive defensively — every entry name and header is checked before a
//! byte is extracted, and every read is bounded — and decrypts an age-encrypted one; [`verify`]
//! checks the bag inside (structure, manifests, checksums, Payload-Oxum) and collects every
//! problem it finds rather than stopping at the first.

pub mod read;
pub mod verify;
