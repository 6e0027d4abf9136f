//! The portable archive (SPEC §6): a zip whose single top-level folder is a BagIt bag
//! (RFC 8493), written deterministically with entries compressed in parallel, optionally
//! encrypted as a whole with age or entry by entry with AES-256 — and read back defensively.
//!
//! * [`bag`] builds the bag: payload under `data/`, manifests, tag manifests, `bag-info.txt`;
//! * [`early`] hashes and compresses the staging's files while the pipeline writes them, so
//!   sealing the bag does not read them back;
//! * [`zip_writer`] writes any set of entries as a byte-reproducible zip, compressing them on
//!   rayon threads and copying them into the archive in a fixed order;
//! * [`sign`] signs the tag manifest with a minisign key and checks such signatures;
//! * encryption of the finished archive with age is [`crate::crypto::age`]'s;
//! * [`read`] opens an archive defensively — every entry name and header is checked before a
//!   byte is extracted, and every read is bounded — and decrypts an age-encrypted one;
//! * [`folder`] lets a bag that is already unzipped be checked the same way;
//! * [`staging`] is the archive a command fills and then seals: the staging folder that becomes
//!   the bag's `data/`, the bag's description, signing, encryption and the atomic rename;
//! * [`record_sink`] opens a record format where every teczka archive keeps it
//!   (`data/records/pupils.xml`, `pupils.jsonl`, `csv/`);
//! * [`readme`] is the `README.txt` an export carries;
//! * [`verify`] checks the bag inside (structure, manifests, checksums, Payload-Oxum) and
//!   collects every problem rather than stopping at the first.

pub mod bag;
pub mod early;
pub mod folder;
mod layout;
pub mod metadata;
pub mod read;
pub mod readme;
pub mod sign;
pub mod staging;
pub mod verify;
pub mod zip_writer;

pub use self::layout::record_sink;
pub use self::metadata::ArchiveMetadata;
