//! A deterministic zip writer whose entries are compressed in parallel.
//!
//! The zip crate compresses an entry while it writes it, so a plain `ZipWriter` compresses one
//! entry at a time. Here each entry is first *prepared* on its own (on any rayon thread): it is
//! compressed with Deflate, and AES-encrypted when asked, into a single-entry zip of its own, kept
//! in memory when small and in a temporary file otherwise. [`DeterministicZip`] then raw-copies
//! the prepared entries into the archive in the order the caller gives, without recompressing.
//! The archive's bytes depend only on the entries, their order and the [`ZipOptions`], never on
//! which thread finished first.
//!
//! Determinism also needs fixed metadata, and this module fixes all of it:
//!
//! * every entry carries the same modification time, [`ZipOptions::modified`] (taken from the
//!   input or from `SOURCE_DATE_EPOCH`, never from the clock), clamped to the range a zip can
//!   store (1980-01-01 to 2107-12-31) and rounded down to even seconds as DOS time requires;
//! * files are `0644`, folders `0755` (unix permissions, "made by Unix");
//! * no extra fields except the ones the format needs (Zip64 for large entries, the AES header
//!   for encrypted ones); no data descriptors (the writer knows every entry's sizes before it
//!   writes it, or can seek back);
//! * Deflate only: every unzip tool reads it, unlike Zstd inside zip.
//!
//! AES-256 entries (for recipients who only have 7-Zip) are not reproducible: each carries a
//! random salt. They are prepared in parallel like the others, since the zip crate raw-copies an
//! AES entry without needing the password.
//!
//! AES entries are written as WinZip **AE-2**: their CRC-32 field is zero, in the local and the
//! central header alike, and the HMAC-SHA1 of the encrypted data is the only check. The zip
//! crate writes AE-1 (which stores the plaintext's CRC-32 in the clear) for every entry of 20
//! bytes or more; a CRC-32 of a small file such as an 82-byte `health.csv` lets anyone without
//! the password confirm a guessed content offline. So [`prepare`] patches the single-entry zip
//! it made before the entry is copied (see `make_ae2`). Entry names and sizes stay visible in
//! any zip, encrypted or not; age hides them.
//!
//! When the archive will be encrypted, [`ZipOptions::store`] is sealed (see
//! [`staged`](crate::write::staged)): an entry waiting in a temporary file is ciphertext under a
//! key held in memory only; the bytes the zip writer goes back to fix (the local header's
//! CRC-32 and sizes) are kept in memory as patches ([`Forward`], [`Patched`]) since a sealed
//! stream is written once. [`DeterministicZip`] itself never goes back over a prepared entry or
//! a folder, so the archive can be written into a stream that cannot seek, such as an age
//! encryptor, through [`Forward::sequential`] (see
//! [`BagBuilder::write_zip_stream`](crate::archive::bag::BagBuilder::write_zip_stream)).
//!
//! Memory stays bounded: an entry is streamed through the compressor, and an entry whose input
//! is larger than [`IN_MEMORY_LIMIT`] is prepared into a temporary file (closed until it is
//! copied, so thousands of entries do not hold thousands of open files). What does grow with
//! the number of entries is their bookkeeping, a few hundred bytes each.
//!
//! Entries over 4 GiB (Zip64) cannot be prepared: zip 7.4 raw-copies a Zip64 entry with zero
//! sizes in its local header, which unzip and 7-Zip reject. [`DeterministicZip::write_streamed`]
//! compresses such an entry straight into the archive instead, on the calling thread. It
//! refuses to AES-encrypt one: the zip crate would write it as AE-1, with its CRC-32.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use zip::result::ZipError;
use zip::write::SimpleFileOptions;
use zip::{AesMode, CompressionMethod, ZipArchive, ZipWriter};

use crate::error::{Error, Result};
use crate::write::private;
use crate::write::staged::Store;

/// Inputs up to this many bytes are prepared in memory; larger ones go to a temporary file.
pub const IN_MEMORY_LIMIT: u64 = 1 << 20;

/// Unix permissions of every file entry.
pub const FILE_MODE: u32 = 0o644;

/// Unix permissions of every folder entry.
pub const DIR_MODE: u32 = 0o755;

/// How entries are written: the fixed time, the compression level, optional AES encryption.
///
/// `Debug` never shows the password.
#[derive(Clone)]
pub struct ZipOptions {
    /// The modification time stamped on every entry (local time as a zip stores it, no time
    /// zone). Take it from `SOURCE_DATE_EPOCH` ([`parse_source_date_epoch`]) or from the
    /// input, never from the clock, so
    /// that the same input gives the same archive.
    pub modified: NaiveDateTime,
    /// The Deflate level, 1 (fastest) to 9 (smallest); 0 stores entries uncompressed (the zip
    /// crate's Deflate starts at 1); `None` is 6.
    pub level: Option<i64>,
    /// Encrypt every entry with AES-256 under this password (`--zip-aes`), for recipients who
    /// only have 7-Zip. Windows Explorer cannot open such archives. The password must pass
    /// [`check_passphrase`](crate::crypto::keys::check_passphrase).
    pub aes_password: Option<String>,
    /// Where prepared entries larger than 1 MiB are kept until they are copied;
    /// `None` is the system's temporary folder. Put it on the output's file system when the
    /// system temporary folder is small: a prepared entry is as large as its compressed data.
    pub temp_dir: Option<PathBuf>,
    /// How those temporary files are stored: [`Store::sealed`] when the archive will be
    /// encrypted, so compressed entries wait on disk as ciphertext under a key held in memory
    /// only (AES entries are ciphertext already and stay plain files); the archive's bytes
    /// are the same either way.
    pub store: Store,
}

impl ZipOptions {
    /// Options with the given modification time, the default level, no encryption.
    pub fn new(modified: NaiveDateTime) -> ZipOptions {
        ZipOptions {
            modified,
            level: None,
            aes_password: None,
            temp_dir: None,
            store: Store::plain(),
        }
    }

    /// Check the options before any work is done: the level must be 0–9 and an AES password
    /// must be strong.
    pub fn validate(&self) -> Result<()> {
        if let Some(level) = self.level {
            if !(0..=9).contains(&level) {
                return Err(Error::config(
                    "zip options",
                    format!("compression level {level} is out of range; use 0 (fastest) to 9 (smallest)"),
                ));
            }
        }
        if let Some(password) = &self.aes_password {
            crate::crypto::keys::check_passphrase(password)?;
        }
        Ok(())
    }

    /// The zip crate's options for a file entry: Deflate (or Stored at level 0), fixed time and
    /// mode, AES if asked.
    fn file_options(&self, large: bool) -> zip::write::FileOptions<'_, '_, ()> {
        let (method, level) = match self.level {
            Some(0) => (CompressionMethod::Stored, None),
            level => (CompressionMethod::Deflated, level),
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .compression_level(level)
            .last_modified_time(dos_time(self.modified))
            .unix_permissions(FILE_MODE)
            .large_file(large);
        match &self.aes_password {
            Some(password) => options.with_aes_encryption(AesMode::Aes256, password),
            None => options,
        }
    }
}

impl std::fmt::Debug for ZipOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipOptions")
            .field("modified", &self.modified)
            .field("level", &self.level)
            .field("aes_password", &self.aes_password.as_ref().map(|_| "<hidden>"))
            .field("temp_dir", &self.temp_dir)
            .field("store", &self.store)
            .finish()
    }
}

/// The time in `SOURCE_DATE_EPOCH` (reproducible-builds.org), if the variable is set.
///
/// An unset or empty variable is `Ok(None)`; a value that is not a whole number of seconds is an
/// error rather than silently falling back to another time, as the reproducible-builds
/// specification asks.
pub fn source_date_epoch() -> Result<Option<NaiveDateTime>> {
    match std::env::var_os("SOURCE_DATE_EPOCH") {
        None => Ok(None),
        Some(value) if value.is_empty() => Ok(None),
        Some(value) => match value.to_str() {
            Some(text) => parse_source_date_epoch(text).map(Some),
            None => Err(epoch_error()),
        },
    }
}

/// Parse a `SOURCE_DATE_EPOCH` value: seconds since 1970-01-01 00:00:00 UTC, as an integer.
pub fn parse_source_date_epoch(text: &str) -> Result<NaiveDateTime> {
    let seconds: i64 = text.trim().parse().map_err(|_| epoch_error())?;
    chrono::DateTime::from_timestamp(seconds, 0).map(|t| t.naive_utc()).ok_or_else(epoch_error)
}

fn epoch_error() -> Error {
    Error::config(
        "SOURCE_DATE_EPOCH",
        "not a whole number of seconds since 1970-01-01 UTC; set it to e.g. `1700000000` or unset it",
    )
}

/// The zip (DOS) form of `t`: clamped to 1980-01-01 00:00:00 … 2107-12-31 23:59:58, seconds
/// rounded down to even.
pub fn dos_time(t: NaiveDateTime) -> zip::DateTime {
    let lowest = NaiveDate::from_ymd_opt(1980, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    let highest = NaiveDate::from_ymd_opt(2107, 12, 31).and_then(|d| d.and_hms_opt(23, 59, 58));
    let t = match (lowest, highest) {
        (Some(low), _) if t < low => low,
        (_, Some(high)) if t > high => high,
        _ => t,
    };
    let (Ok(year), Ok(month), Ok(day), Ok(hour), Ok(minute), Ok(second)) = (
        u16::try_from(t.year()),
        u8::try_from(t.month()),
        u8::try_from(t.day()),
        u8::try_from(t.hour()),
        u8::try_from(t.minute()),
        u8::try_from(t.second()),
    ) else {
        return zip::DateTime::default();
    };
    zip::DateTime::from_date_and_time(year, month, day, hour, minute, second & !1)
        .unwrap_or_default()
}

/// One entry compressed (and maybe encrypted) ahead of time, waiting to be copied into the
/// archive by [`DeterministicZip::append`].
#[derive(Debug)]
pub struct PreparedEntry {
    name: String,
    storage: Storage,
}

#[derive(Debug)]
enum Storage {
    /// A single-entry zip in memory.
    Memory(Vec<u8>),
    /// A single-entry zip in a closed temporary file, deleted when dropped.
    Spilled(tempfile::TempPath),
    /// A single-entry zip sealed in a closed temporary file (see [`ZipOptions::store`]),
    /// deleted when dropped; `patches` are the bytes the zip writer went back to fix (the
    /// local header's CRC-32 and sizes), kept in memory since a sealed stream is written once.
    Sealed { path: tempfile::TempPath, patches: Vec<(u64, Vec<u8>)> },
}

impl PreparedEntry {
    /// The entry's name in the archive.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Whether an input of `size` bytes needs a Zip64 entry, so it must be written with
/// [`DeterministicZip::write_streamed`] rather than prepared. Deflate can grow incompressible
/// data by a few bytes per 16 KiB block, hence the margin below 4 GiB.
pub fn needs_zip64(size: u64) -> bool {
    size.saturating_add(size / 512).saturating_add(1 << 16) >= u64::from(u32::MAX)
}

/// Compress `input` into a prepared entry named `name`, for [`DeterministicZip::append`]; safe
/// to call on any thread.
///
/// `size_hint` is the input's expected size in bytes: it chooses memory or a temporary file.
/// Inputs that need a Zip64 entry (4 GiB or more) are refused (write them with
/// [`DeterministicZip::write_streamed`]); an input that outgrows its hint past 4 GiB fails with
/// an error naming the entry. Errors reading `input` come back as [`Error::io`] on `name`;
/// callers that know the input's own path relabel them.
pub fn prepare(
    name: &str,
    input: &mut dyn Read,
    size_hint: u64,
    options: &ZipOptions,
) -> Result<PreparedEntry> {
    let entry_error = |e: io::Error| Error::io(name, e);
    if needs_zip64(size_hint) {
        return Err(Error::input(
            name,
            "an entry over 4 GiB cannot be prepared in parallel; write it with `write_streamed` \
             (this is a bug in the caller: please report it)",
        ));
    }
    let large = false;
    let file_options = options.file_options(large);
    if size_hint <= IN_MEMORY_LIMIT {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file(name, file_options).map_err(|e| entry_error(zip_io(e)))?;
        copy_in_blocks(input, &mut zip).map_err(entry_error)?;
        let mut single = zip.finish().map_err(|e| entry_error(zip_io(e)))?;
        if options.aes_password.is_some() {
            make_ae2(&mut single).map_err(entry_error)?;
        }
        let bytes = single.into_inner();
        return Ok(PreparedEntry { name: name.to_owned(), storage: Storage::Memory(bytes) });
    }
    let dir = options.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    let temp = private::temp_file_in(&dir, ".teczka-entry-", "")?;
    let (mut file, path) = temp.into_parts();
    if options.store.is_sealed() && options.aes_password.is_none() {
        let staged = options.store.wrap(file, &path)?;
        let mut forward = Forward::patching(staged);
        {
            let mut zip = ZipWriter::new(io::BufWriter::with_capacity(1 << 16, &mut forward));
            zip.start_file(name, file_options).map_err(|e| entry_error(zip_io(e)))?;
            copy_in_blocks(input, &mut zip).map_err(|e| entry_error(too_large_hint(e, large)))?;
            let mut out = zip.finish().map_err(|e| entry_error(zip_io(e)))?;
            out.flush().map_err(entry_error)?;
        }
        let (mut staged, patches) = forward.into_parts();
        staged.close()?;
        return Ok(PreparedEntry {
            name: name.to_owned(),
            storage: Storage::Sealed { path, patches },
        });
    }
    {
        let mut zip = ZipWriter::new(io::BufWriter::with_capacity(1 << 16, &mut file));
        zip.start_file(name, file_options).map_err(|e| entry_error(zip_io(e)))?;
        copy_in_blocks(input, &mut zip).map_err(|e| entry_error(too_large_hint(e, large)))?;
        let mut out = zip.finish().map_err(|e| entry_error(zip_io(e)))?;
        out.flush().map_err(entry_error)?;
    }
    if options.aes_password.is_some() {
        make_ae2(&mut file).map_err(entry_error)?;
    }
    drop(file);
    Ok(PreparedEntry { name: name.to_owned(), storage: Storage::Spilled(path) })
}

/// The size of the blocks the compressor is fed.
const BLOCK: usize = 64 << 10;

/// Copy `input` into `out` in whole blocks of [`BLOCK`] bytes (the last one shorter), however
/// the input's reads happen to be cut.
///
/// Deflate's output depends on how its input was handed over, not only on the bytes: the same
/// file read through another buffer compresses to other (equally valid) bytes. Fixed blocks
/// keep an entry's bytes a function of its content alone, whether it was prepared from the
/// file or from the chunks it was written in (see [`crate::archive::early`]).
fn copy_in_blocks(input: &mut dyn Read, out: &mut impl Write) -> io::Result<u64> {
    let mut block = Vec::with_capacity(BLOCK);
    let mut total = 0u64;
    loop {
        block.clear();
        let filled = input.take(BLOCK as u64).read_to_end(&mut block)?;
        out.write_all(&block)?;
        total += filled as u64;
        if filled < BLOCK {
            return Ok(total);
        }
    }
}

/// The header ID of the WinZip AES extra field (APPNOTE 4.6.8 / WinZip's AES specification).
const AES_EXTRA_FIELD: u16 = 0x9901;
/// The AES extra field's vendor version meaning AE-2: no CRC-32 is stored.
const AE2: u16 = 2;

/// Turn the one AES entry of a single-entry zip that [`prepare`] wrote into AE-2: zero its
/// CRC-32 and set the AES extra field's vendor version to 2, in its local header and in its
/// central directory record alike.
///
/// The zip crate picks AE-1 (the plaintext's CRC-32 stored in the clear) for every entry of
/// 20 bytes or more, and offers no option to choose AE-2. AE-2 relies on the HMAC-SHA1 of the
/// encrypted data alone, which every AE-2 reader checks (the zip crate, 7-Zip, WinZip). The
/// zip is one entry, no Zip64 and no comment, as `prepare` writes it: anything else is refused
/// rather than patched blindly.
fn make_ae2<F: Read + Write + Seek>(zip: &mut F) -> io::Result<()> {
    let malformed = |what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("cannot make the AES entry AE-2: {what} (this is a bug: please report it)"),
        )
    };
    // Local header: signature, …, CRC-32 at 14, name length at 26, extra length at 28.
    let mut local = [0u8; 30];
    zip.seek(io::SeekFrom::Start(0))?;
    zip.read_exact(&mut local)?;
    if local[..4] != *b"PK\x03\x04" {
        return Err(malformed("no local header at the start"));
    }
    let (name, extra) = (u16_at(&local, 26), u16_at(&local, 28));
    patch_aes_header(zip, 14, 30 + name, extra).map_err(|_| malformed("local header"))?;
    // End of central directory, 22 bytes with no comment: the directory's offset at 16.
    let mut end = [0u8; 22];
    zip.seek(io::SeekFrom::End(-22))?;
    zip.read_exact(&mut end)?;
    if end[..4] != *b"PK\x05\x06" || u16_at(&end, 10) != 1 {
        return Err(malformed("not a single-entry zip without a comment"));
    }
    let directory = u64::from(u32::from_le_bytes([end[16], end[17], end[18], end[19]]));
    // Central directory record: CRC-32 at 16, name length at 28, extra length at 30.
    let mut central = [0u8; 46];
    zip.seek(io::SeekFrom::Start(directory))?;
    zip.read_exact(&mut central)?;
    if central[..4] != *b"PK\x01\x02" {
        return Err(malformed("no central directory record"));
    }
    let (name, extra) = (u16_at(&central, 28), u16_at(&central, 30));
    patch_aes_header(zip, directory + 16, directory + 46 + name, extra)
        .map_err(|_| malformed("central directory record"))?;
    zip.seek(io::SeekFrom::End(0))?;
    Ok(())
}

/// Zero the CRC-32 at `crc_at` and set the AES extra field among the `extra_len` bytes of
/// extra fields at `extra_at` to AE-2; an error if there is no AES field.
fn patch_aes_header<F: Read + Write + Seek>(
    zip: &mut F,
    crc_at: u64,
    extra_at: u64,
    extra_len: u64,
) -> io::Result<()> {
    let mut extra = vec![0u8; usize::try_from(extra_len).unwrap_or(0)];
    zip.seek(io::SeekFrom::Start(extra_at))?;
    zip.read_exact(&mut extra)?;
    let mut at = 0usize;
    let mut version_at = None;
    while at + 4 <= extra.len() {
        let (id, size) = (u16_at(&extra, at), u16_at(&extra, at + 2));
        // The AES field: vendor version (2 bytes), `AE`, strength, compression method.
        if id == u64::from(AES_EXTRA_FIELD) && size >= 7 {
            version_at = Some(at as u64 + 4);
            break;
        }
        at += 4 + size as usize;
    }
    let Some(version_at) = version_at else {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "no AES extra field"));
    };
    zip.seek(io::SeekFrom::Start(extra_at + version_at))?;
    zip.write_all(&AE2.to_le_bytes())?;
    zip.seek(io::SeekFrom::Start(crc_at))?;
    zip.write_all(&0u32.to_le_bytes())
}

/// The little-endian `u16` at `at` in `bytes` (0 past the end), widened for offset sums.
fn u16_at(bytes: &[u8], at: usize) -> u64 {
    match bytes.get(at..at + 2) {
        Some(&[low, high]) => u64::from(u16::from_le_bytes([low, high])),
        _ => 0,
    }
}

/// The zip crate refuses to grow a non-Zip64 entry past 4 GiB; say why that happened.
fn too_large_hint(e: io::Error, large: bool) -> io::Error {
    if large || !e.to_string().to_ascii_lowercase().contains("large") {
        return e;
    }
    io::Error::other(format!(
        "{e}: the input grew past 4 GiB while it was being archived; do not change files being \
         archived"
    ))
}

/// A zip crate error as an `io::Error`, keeping the operating system's error when it is one.
fn zip_io(e: ZipError) -> io::Error {
    match e {
        ZipError::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

/// Writes a zip archive from prepared entries ([`prepare`]) and folders, in exactly the order
/// given.
///
/// # Example
///
/// ```
/// use std::io::Cursor;
/// use teczka::{prepare_zip_entry, DeterministicZip, ZipOptions};
///
/// let options = ZipOptions::new(teczka::parse_source_date_epoch("0")?);
/// let entry = prepare_zip_entry("docs/a.txt", &mut &b"hello"[..], 5, &options)?;
/// let mut zip = DeterministicZip::new(Cursor::new(Vec::new()), &options);
/// zip.add_directory("docs/")?;
/// zip.append(entry)?;
/// let bytes = zip.finish()?.into_inner();
/// assert_eq!(&bytes[..4], b"PK\x03\x04");
/// # Ok::<(), teczka::Error>(())
/// ```
pub struct DeterministicZip<W: Write + Seek> {
    writer: ZipWriter<W>,
    modified: zip::DateTime,
    /// Opens sealed prepared entries.
    store: Store,
}

impl<W: Write + Seek> DeterministicZip<W> {
    /// Start an archive on `out` (a file or a buffer: it must be seekable, which also keeps
    /// data descriptors out of the archive).
    pub fn new(out: W, options: &ZipOptions) -> DeterministicZip<W> {
        DeterministicZip {
            writer: ZipWriter::new(out),
            modified: dos_time(options.modified),
            store: options.store.clone(),
        }
    }

    /// Add a folder entry (`0755`, the fixed time); `name` ends with `/`.
    pub fn add_directory(&mut self, name: &str) -> Result<()> {
        let options = SimpleFileOptions::default()
            .last_modified_time(self.modified)
            .unix_permissions(DIR_MODE);
        self.writer.add_directory(name, options).map_err(|e| Error::io(name, zip_io(e)))
    }

    /// Copy a prepared entry into the archive as it is (no recompression).
    pub fn append(&mut self, entry: PreparedEntry) -> Result<()> {
        let name = entry.name;
        let copy_error = |e: ZipError| Error::io(&name, zip_io(e));
        match entry.storage {
            Storage::Memory(bytes) => {
                let mut single = ZipArchive::new(Cursor::new(bytes)).map_err(copy_error)?;
                let file = single.by_index_raw(0).map_err(copy_error)?;
                self.writer.raw_copy_file(file).map_err(copy_error)?;
            }
            Storage::Spilled(path) => {
                let file = File::open(&path).map_err(|e| Error::io(&*path, e))?;
                let mut single =
                    ZipArchive::new(BufReader::with_capacity(1 << 16, file)).map_err(copy_error)?;
                let file = single.by_index_raw(0).map_err(copy_error)?;
                self.writer.raw_copy_file(file).map_err(copy_error)?;
                // `path` drops here and deletes the temporary file.
            }
            Storage::Sealed { path, patches } => {
                let (plain, _) = self.store.open(&path)?;
                let mut single =
                    ZipArchive::new(Patched::new(plain, patches)).map_err(copy_error)?;
                let file = single.by_index_raw(0).map_err(copy_error)?;
                self.writer.raw_copy_file(file).map_err(copy_error)?;
            }
        }
        Ok(())
    }

    /// Compress `input` straight into the archive as the entry `name`, on this thread; the way
    /// to write entries that need Zip64 (4 GiB or more). `size_hint` decides Zip64; errors
    /// reading `input` come back as [`Error::io`] on `name`.
    pub fn write_streamed(
        &mut self,
        name: &str,
        input: &mut dyn Read,
        size_hint: u64,
        options: &ZipOptions,
    ) -> Result<()> {
        if options.aes_password.is_some() {
            // Written straight into the archive, the entry would be AE-1, its CRC-32 in the
            // clear; only prepared entries can be made AE-2 (see `make_ae2`).
            return Err(Error::input(
                name,
                "an entry over 4 GiB cannot be AES-encrypted in a zip without exposing its \
                 checksum: encrypt the archive with age instead (--encrypt-to or \
                 --passphrase-env)",
            ));
        }
        let large = needs_zip64(size_hint);
        let file_options = options.file_options(large).last_modified_time(self.modified);
        let entry_error = |e: io::Error| Error::io(name, e);
        self.writer.start_file(name, file_options).map_err(|e| entry_error(zip_io(e)))?;
        copy_in_blocks(input, &mut self.writer)
            .map_err(|e| entry_error(too_large_hint(e, large)))?;
        Ok(())
    }

    /// Write the central directory and return the output.
    pub fn finish(self) -> Result<W> {
        self.writer.finish().map_err(|e| Error::io("central directory", zip_io(e)))
    }
}

/// A writer that only moves forward, so a zip can be written into a stream that cannot seek
/// (an age encryptor, a sealed file): the zip writer asks for its position and seeks to where
/// it already is, which costs nothing.
///
/// [`Forward::sequential`] refuses to go back. [`Forward::patching`] lets the zip writer go
/// back and overwrite bytes it already wrote (a local header's CRC-32 and sizes, known only
/// after the data): the stream keeps the first bytes, and the overwrites are kept in memory as
/// patches, applied when the stream is read back through [`Patched`].
pub struct Forward<W: Write> {
    inner: W,
    position: u64,
    end: u64,
    /// `None`: going back is an error.
    patches: Option<Vec<(u64, Vec<u8>)>>,
}

impl<W: Write> Forward<W> {
    /// A writer that refuses to go back.
    pub fn sequential(inner: W) -> Forward<W> {
        Forward { inner, position: 0, end: 0, patches: None }
    }

    /// A writer that keeps overwrites as patches.
    pub fn patching(inner: W) -> Forward<W> {
        Forward { inner, position: 0, end: 0, patches: Some(Vec::new()) }
    }

    /// The stream and the patches to apply over it when it is read.
    pub fn into_parts(self) -> (W, Vec<(u64, Vec<u8>)>) {
        (self.inner, self.patches.unwrap_or_default())
    }
}

impl<W: Write> Write for Forward<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.position == self.end {
            let n = self.inner.write(buf)?;
            self.position += n as u64;
            self.end = self.position;
            return Ok(n);
        }
        let Some(patches) = &mut self.patches else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "the zip writer went back in a stream that only goes forward (this is a bug: \
                 please report it)",
            ));
        };
        // Overwrite up to the end; what passes the end is written on the next call.
        let room = usize::try_from(self.end - self.position).unwrap_or(usize::MAX).min(buf.len());
        patches.push((self.position, buf.get(..room).unwrap_or_default().to_vec()));
        self.position += room as u64;
        Ok(room)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Seek for Forward<W> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let target = match to {
            io::SeekFrom::Start(at) => Some(at),
            io::SeekFrom::Current(by) => self.position.checked_add_signed(by),
            io::SeekFrom::End(by) => self.end.checked_add_signed(by),
        };
        match target {
            Some(at) if at == self.position => Ok(at),
            Some(at) if at <= self.end && self.patches.is_some() => {
                self.position = at;
                Ok(at)
            }
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "the zip writer tried to seek in a stream that only goes forward (this is a \
                 bug: please report it)",
            )),
        }
    }
}

/// A stream written through [`Forward::patching`], read back with its patches applied.
pub struct Patched<R> {
    inner: R,
    position: u64,
    patches: Vec<(u64, Vec<u8>)>,
}

impl<R: Read + Seek> Patched<R> {
    /// Read `inner` (at its start) with `patches` applied.
    pub fn new(inner: R, patches: Vec<(u64, Vec<u8>)>) -> Patched<R> {
        Patched { inner, position: 0, patches }
    }
}

impl<R: Read> Read for Patched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let (start, end) = (self.position, self.position + n as u64);
        // In the order written: a later overwrite wins.
        for (at, bytes) in &self.patches {
            let (from, to) = ((*at).max(start), (at + bytes.len() as u64).min(end));
            if from < to {
                let (source, target) = ((from - at) as usize, (from - start) as usize);
                let len = (to - from) as usize;
                if let (Some(dst), Some(src)) =
                    (buf.get_mut(target..target + len), bytes.get(source..source + len))
                {
                    dst.copy_from_slice(src);
                }
            }
        }
        self.position = end;
        Ok(n)
    }
}

impl<R: Seek> Seek for Patched<R> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        self.position = self.inner.seek(to)?;
        Ok(self.position)
    }
}

/// Write `path` atomically: `write` fills a temporary file beside it, which is synced and then
/// renamed to `path`, so a crash never leaves a half-written file under the final name. The file
/// is created readable by its owner only (it holds personal data).
pub fn write_atomically<T>(path: &Path, write: impl FnOnce(&mut File) -> Result<T>) -> Result<T> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // `.teczka-<pid>-…`: what a killed run leaves is recognised and removed by the next one.
    let mut temp =
        private::temp_file_in(dir, &format!(".teczka-{}-partial-", std::process::id()), "")?;
    let value = write(temp.as_file_mut())?;
    temp.as_file().sync_all().map_err(|e| Error::io(temp.path(), e))?;
    temp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn at(epoch: &str) -> ZipOptions {
        ZipOptions::new(parse_source_date_epoch(epoch).unwrap())
    }

    fn build(options: &ZipOptions, entries: &[(&str, &[u8])]) -> Vec<u8> {
        let prepared: Vec<PreparedEntry> = entries
            .iter()
            .map(|(name, data)| prepare(name, &mut &data[..], data.len() as u64, options).unwrap())
            .collect();
        let mut zip = DeterministicZip::new(Cursor::new(Vec::new()), options);
        zip.add_directory("d/").unwrap();
        for entry in prepared {
            zip.append(entry).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn read_all(bytes: &[u8], password: Option<&str>) -> Vec<(String, Vec<u8>, Option<u32>)> {
        let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = Vec::new();
        for i in 0..archive.len() {
            let mut file = match password {
                Some(p) if !archive.by_index_raw(i).unwrap().is_dir() => {
                    archive.by_index_decrypt(i, p.as_bytes()).unwrap()
                }
                _ => archive.by_index(i).unwrap(),
            };
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            out.push((file.name().unwrap().into_owned(), data, file.unix_mode()));
        }
        out
    }

    #[test]
    fn source_date_epoch_parses_whole_seconds_and_refuses_the_rest() {
        let t = parse_source_date_epoch("1700000000").unwrap();
        assert_eq!(t.to_string(), "2023-11-14 22:13:20");
        assert_eq!(parse_source_date_epoch(" 0\n").unwrap().to_string(), "1970-01-01 00:00:00");
        for bad in ["", "1.5", "soon", "99999999999999999999"] {
            let e = parse_source_date_epoch(bad).unwrap_err();
            assert!(e.to_string().starts_with("SOURCE_DATE_EPOCH: not a whole number"), "{e}");
        }
    }

    #[test]
    fn dos_time_clamps_and_rounds_to_even_seconds() {
        let t = |s: &str| dos_time(parse_source_date_epoch(s).unwrap());
        assert_eq!(t("0"), zip::DateTime::default());
        let d = t("1700000001");
        assert_eq!((d.year(), d.month(), d.day()), (2023, 11, 14));
        assert_eq!((d.hour(), d.minute(), d.second()), (22, 13, 20));
        let far = t("9999999999");
        assert_eq!((far.year(), far.month(), far.day(), far.second()), (2107, 12, 31, 58));
    }

    #[test]
    fn same_entries_give_the_same_bytes_and_a_readable_archive() {
        let options = at("1700000000");
        let entries: &[(&str, &[u8])] = &[("d/b.txt", b"bee\n"), ("d/a.txt", &[7u8; 100_000])];
        let one = build(&options, entries);
        let two = build(&options, entries);
        assert_eq!(one, two);
        let read = read_all(&one, None);
        let names: Vec<&str> = read.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(names, ["d/", "d/b.txt", "d/a.txt"], "the order given is kept");
        assert_eq!(read[1].1, b"bee\n");
        assert_eq!(read[2].1.len(), 100_000);
        assert_eq!(read[0].2.map(|m| m & 0o777), Some(0o755));
        assert_eq!(read[1].2.map(|m| m & 0o777), Some(0o644));
        let mut archive = ZipArchive::new(Cursor::new(&one[..])).unwrap();
        let file = archive.by_index(2).unwrap();
        assert_eq!(file.compression(), CompressionMethod::Deflated);
        assert!(file.compressed_size() < 1000, "deflated");
        let m = file.last_modified().unwrap();
        assert_eq!((m.year(), m.hour(), m.minute(), m.second()), (2023, 22, 13, 20));
    }

    #[test]
    fn another_time_changes_only_the_time_fields() {
        let entries: &[(&str, &[u8])] = &[("d/a.txt", b"alpha")];
        let one = build(&at("1700000000"), entries);
        let two = build(&at("1600000000"), entries);
        assert_eq!(one.len(), two.len());
        let differing: Vec<usize> = (0..one.len()).filter(|&i| one[i] != two[i]).collect();
        assert!(!differing.is_empty());
        // Each entry has its time in its local header (offset 10..14) and in its central
        // directory record (offset 12..16): 2 entries × 2 records × 4 bytes at most.
        assert!(differing.len() <= 16, "{differing:?}");
        for at in differing {
            let window = &one[at.saturating_sub(16)..at];
            assert!(
                window.windows(4).any(|w| w == b"PK\x03\x04" || w == b"PK\x01\x02"),
                "byte {at} is not in a header's time field"
            );
        }
    }

    #[test]
    fn large_inputs_are_prepared_in_a_temporary_file_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = at("1700000000");
        options.temp_dir = Some(dir.path().to_owned());
        let data: Vec<u8> =
            (0..3_000_000u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
        let entry = prepare("big.bin", &mut &data[..], data.len() as u64, &options).unwrap();
        assert!(matches!(entry.storage, Storage::Spilled(_)));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let mut zip = DeterministicZip::new(Cursor::new(Vec::new()), &options);
        zip.append(entry).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "temporary file removed");
        assert_eq!(read_all(&bytes, None)[0].1, data);
    }

    /// A reader handing its bytes over in pieces of the given lengths, in turn.
    struct Cut<'a> {
        data: &'a [u8],
        pieces: &'a [usize],
        next: usize,
    }

    impl Read for Cut<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let want = self.pieces[self.next % self.pieces.len()].min(buf.len());
            self.next += 1;
            let n = want.min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn an_entry_is_the_same_however_its_input_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = at("1700000000");
        options.temp_dir = Some(dir.path().to_owned());
        let text: Vec<u8> = (0..120_000u32)
            .flat_map(|i| {
                format!("P{i};Kowalska;{};Łódź\n", i.wrapping_mul(2654435761) % 977).into_bytes()
            })
            .collect();
        for len in [700_000, text.len()] {
            let entry = |pieces: &[usize]| {
                let mut input = Cut { data: &text[..len], pieces, next: 0 };
                let entry = prepare("p.csv", &mut input, len as u64, &options).unwrap();
                let mut zip = DeterministicZip::new(Cursor::new(Vec::new()), &options);
                zip.append(entry).unwrap();
                zip.finish().unwrap().into_inner()
            };
            let whole = entry(&[usize::MAX]);
            assert_eq!(whole, entry(&[1, 8191, 100_000, 3]), "{len} bytes");
            assert_eq!(whole, entry(&[131_072]), "{len} bytes");
        }
    }

    #[test]
    fn streamed_entries_sit_among_prepared_ones_and_huge_ones_cannot_be_prepared() {
        assert!(!needs_zip64(4_000_000_000));
        assert!(needs_zip64(u64::from(u32::MAX) - 1000));
        let options = at("1700000000");
        let e = prepare("big.bin", &mut &b""[..], 5 << 30, &options).unwrap_err();
        assert!(e.to_string().starts_with("big.bin: an entry over 4 GiB cannot be prepared"));
        let first = prepare("a.txt", &mut &b"first"[..], 5, &options).unwrap();
        let mut zip = DeterministicZip::new(Cursor::new(Vec::new()), &options);
        zip.append(first).unwrap();
        zip.write_streamed("b.txt", &mut &b"second"[..], 6, &options).unwrap();
        let last = prepare("c.txt", &mut &b"third"[..], 5, &options).unwrap();
        zip.append(last).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let read = read_all(&bytes, None);
        let got: Vec<(&str, &[u8])> = read.iter().map(|(n, d, _)| (n.as_str(), &d[..])).collect();
        assert_eq!(got, [("a.txt", &b"first"[..]), ("b.txt", b"second"), ("c.txt", b"third")]);
        assert_eq!(read[1].2.map(|m| m & 0o777), Some(0o644));
    }

    #[test]
    fn aes_entries_prepared_apart_decrypt_with_the_password() {
        let mut options = at("1700000000");
        options.aes_password = Some("Correct-Horse-7battery".into());
        options.validate().unwrap();
        let bytes = build(&options, &[("d/a.txt", b"a secret longer than twenty bytes")]);
        let mut archive = ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        assert!(archive.by_index(1).is_err(), "needs the password");
        let read = read_all(&bytes, Some("Correct-Horse-7battery"));
        assert_eq!(read[1].1, b"a secret longer than twenty bytes");
        let mut archive = ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        assert!(archive.by_index_decrypt(1, b"Wrong-Horse-7battery").is_err());
    }

    /// For every entry of a zip: (local CRC-32, local AES vendor version, central CRC-32,
    /// central AES vendor version); a version is 0 without an AES extra field.
    fn aes_headers(bytes: &[u8]) -> Vec<(u32, u64, u32, u64)> {
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let version = |extra: &[u8]| {
            let mut at = 0;
            while at + 4 <= extra.len() {
                if u16_at(extra, at) == u64::from(AES_EXTRA_FIELD) {
                    return u16_at(extra, at + 4);
                }
                at += 4 + u16_at(extra, at + 2) as usize;
            }
            0
        };
        let end = bytes.len() - 22;
        assert_eq!(&bytes[end..end + 4], b"PK\x05\x06");
        let mut at = u32_at(end + 16) as usize;
        let mut out = Vec::new();
        for _ in 0..u16_at(bytes, end + 10) {
            assert_eq!(&bytes[at..at + 4], b"PK\x01\x02");
            let (name, extra, comment) = (
                u16_at(bytes, at + 28) as usize,
                u16_at(bytes, at + 30) as usize,
                u16_at(bytes, at + 32) as usize,
            );
            let central_extra = &bytes[at + 46 + name..at + 46 + name + extra];
            let local = u32_at(at + 42) as usize;
            let (local_name, local_extra) =
                (u16_at(bytes, local + 26) as usize, u16_at(bytes, local + 28) as usize);
            let local_extra_bytes =
                &bytes[local + 30 + local_name..local + 30 + local_name + local_extra];
            out.push((
                u32_at(local + 14),
                version(local_extra_bytes),
                u32_at(at + 16),
                version(central_extra),
            ));
            at += 46 + name + extra + comment;
        }
        out
    }

    #[test]
    fn aes_entries_are_ae2_with_no_checksum_in_either_header() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = at("1700000000");
        options.aes_password = Some("Correct-Horse-7battery".into());
        options.temp_dir = Some(dir.path().to_owned());
        let health = b"pupil_id,category,note,recorded_on\r\nP-000005,dieta,dieta \
                       bezglutenowa,2019-09-03\r\n";
        // Large enough to be prepared in a temporary file.
        let big: Vec<u8> = (0..1_500_000u32).map(|i| (i % 251) as u8).collect();
        let entries: &[(&str, &[u8])] =
            &[("d/tiny.txt", b"x"), ("d/health.csv", health), ("d/big.bin", &big)];
        let bytes = build(&options, entries);
        let headers = aes_headers(&bytes);
        assert_eq!(headers.len(), 4);
        assert_eq!(headers[0], (0, 0, 0, 0), "the folder is not encrypted");
        for header in &headers[1..] {
            assert_eq!(*header, (0, 2, 0, 2), "CRC-32 zero and AE-2, local and central");
        }
        let read = read_all(&bytes, Some("Correct-Horse-7battery"));
        assert_eq!(read[2].1, health);
        assert_eq!(read[3].1, big);
        // The authentication code still guards the data: a flipped byte is refused.
        let mut archive = ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        let start = archive.by_index_raw(2).unwrap().data_start().unwrap() as usize;
        let mut damaged = bytes.clone();
        damaged[start + 30] ^= 1;
        let mut archive = ZipArchive::new(Cursor::new(&damaged[..])).unwrap();
        let mut data = Vec::new();
        let read = archive
            .by_index_decrypt(2, b"Correct-Horse-7battery")
            .and_then(|mut f| f.read_to_end(&mut data).map_err(Into::into));
        assert!(read.is_err(), "a changed byte must fail the AES authentication code");
        // Plain entries keep their CRC-32.
        let plain = build(&at("1700000000"), &[("d/health.csv", health)]);
        assert_eq!(aes_headers(&plain)[1].0, crc32fast_of(health));
    }

    #[test]
    fn aes_entries_are_not_streamed() {
        let mut options = at("1700000000");
        options.aes_password = Some("Correct-Horse-7battery".into());
        let mut zip = DeterministicZip::new(Cursor::new(Vec::new()), &options);
        let e = zip.write_streamed("huge.bin", &mut &b"x"[..], 5 << 30, &options).unwrap_err();
        assert!(e.to_string().contains("encrypt the archive with age instead"), "{e}");
    }

    /// CRC-32 (IEEE), as zip stores it.
    fn crc32fast_of(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn level_zero_stores_entries_and_reads_back() {
        let mut options = at("1700000000");
        options.level = Some(0);
        options.validate().unwrap();
        let text = b"stored, not deflated: stored, not deflated";
        let bytes = build(&options, &[("d/a.txt", text)]);
        let mut archive = ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        assert_eq!(archive.by_index(1).unwrap().compression(), CompressionMethod::Stored);
        assert_eq!(read_all(&bytes, None)[1].1, text);
    }

    #[test]
    fn options_refuse_bad_levels_and_weak_passwords_and_hide_the_password() {
        let mut options = at("0");
        options.level = Some(10);
        let e = options.validate().unwrap_err();
        assert_eq!(
            e.to_string(),
            "zip options: compression level 10 is out of range; use 0 (fastest) to 9 (smallest)"
        );
        options.level = Some(9);
        options.aes_password = Some("short".into());
        assert!(options.validate().unwrap_err().to_string().starts_with("passphrase: too weak"));
        assert!(!format!("{options:?}").contains("short"));
    }

    #[test]
    fn write_atomically_leaves_nothing_behind_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.zip");
        let e = write_atomically(&path, |_| -> Result<()> {
            Err(Error::input("x", "failed on purpose"))
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "x: failed on purpose");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_atomically(&path, |f| f.write_all(b"done").map_err(|e| Error::io("out", e))).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"done");
    }
}
