//! The portable archive (SPEC §6): a zip whose single top-level folder is a BagIt bag
//! (RFC 8493), written deterministically with entries compressed in parallel, optionally
//! encrypted as a whole with age or entry by entry with AES-256.
//!
//! * [`bag`] builds the bag: payload under `data/`, manifests, tag manifests, `bag-info.txt`;
//! * [`zip_writer`] writes any set of entries as a byte-reproducible zip, compressing them on
//!   rayon threads and copying them into the archive in a fixed order;
//! * [`encrypt`] encrypts a finished archive with age (X25519 recipients or a passphrase).

pub mod bag;
pub mod encrypt;
pub mod zip_writer;
