//! A BagIt bag (RFC 8493) written as one deterministic zip.
//!
//! The zip holds a single top-level folder, the bag, laid out like this and written in exactly
//! this order (so a reader meets the manifests before the payload):
//!
//! ```text
//! <name>/
//! <name>/bagit.txt                BagIt-Version 1.0, UTF-8
//! <name>/bag-info.txt             the caller's fields in order, then Bagging-Date (unless
//!                                 given), Payload-Oxum and Bag-Size
//! <name>/manifest-sha512.txt      every payload file, sorted by path
//! <name>/manifest-sha256.txt
//! <name>/tagmanifest-sha512.txt   bagit.txt, bag-info.txt and the two manifests
//! <name>/tagmanifest-sha256.txt
//! <name>/tagmanifest-sha512.txt.minisig   only when signed: the minisign signature of
//!                                 tagmanifest-sha512.txt (listed in no manifest: it vouches
//!                                 for them, so no manifest can vouch for it)
//! <name>/data/                    then every folder and file under data/, sorted by the bytes
//!                                 of their path (a folder comes right before its contents)
//! ```
//!
//! Every folder has its own entry, so an empty `data/` survives. Payload is read once: each
//! file is hashed (SHA-512 and SHA-256) while it is compressed, all of them in parallel on rayon
//! threads, and streamed, so a multi-gigabyte export never sits in memory. A file over 4 GiB is
//! the exception: it is hashed in the parallel pass and read a second time to be compressed
//! straight into the archive (zip 7.4 cannot raw-copy a Zip64 entry); a file that changed in
//! between is an error.
//!
//! Payload paths are checked when added: relative, forward slashes, no `.`/`..` segments, no
//! characters or device names (`NUL`, `COM1`, …) Windows cannot store, no `%` (RFC 8493
//! percent-encodes it in manifests and bagit-python does not decode it), no duplicates, no two
//! names that differ only in case (they would overwrite each other when unpacked on Windows or
//! macOS; compared with Unicode lower-casing), no name used as both a file and a folder.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use sha2::{Digest, Sha256, Sha512};

use crate::archive::early::EarlyEntries;
use crate::archive::sign::{trusted_comment, SigningKey, SIGNATURE_FILE};
use crate::archive::zip_writer::{
    self, DeterministicZip, Forward, Patched, PreparedEntry, ZipOptions,
};
use crate::crypto::keys::hex;
use crate::error::{Error, Result};
use crate::write::private;
use crate::write::staged::Store;

/// The tag files, in the order they are written and listed in the tag manifests.
const BAGIT_TXT: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

/// bag-info.txt fields teczka computes itself; callers may not set them.
const COMPUTED: [&str; 2] = ["Payload-Oxum", "Bag-Size"];

/// Where a payload file's bytes come from.
#[derive(Debug)]
pub enum Source {
    /// Bytes already in memory (a README, a small report).
    Bytes(Vec<u8>),
    /// A file on disk, read once and streamed (the records, which may be gigabytes).
    File(PathBuf),
    /// A file written through `store` (sealed staging: see [`Store`](crate::write::staged::Store)),
    /// decrypted as it is read, hashed and compressed.
    Stored {
        /// Where the file is.
        path: PathBuf,
        /// The store it was written through, holding its key.
        store: Store,
    },
}

/// Collects a bag's name, bag-info fields and payload, then writes it with
/// [`write_zip`](BagBuilder::write_zip).
///
/// # Example
///
/// ```
/// use std::io::Cursor;
/// use teczka::{parse_source_date_epoch, BagBuilder, BagSource, ZipOptions};
///
/// let mut bag = BagBuilder::new("transfer-2024")?;
/// bag.info("Source-Organization", "Szkoła Podstawowa nr 1")?;
/// bag.info("Archive-Kind", "transfer")?;
/// bag.add("README.txt", BagSource::Bytes(b"How to read this archive.\n".to_vec()))?;
/// bag.add("records/pupils.jsonl", BagSource::Bytes(b"{}\n".to_vec()))?;
///
/// let options = ZipOptions::new(parse_source_date_epoch("1700000000")?);
/// let mut zip = Cursor::new(Vec::new());
/// let summary = bag.write_zip(&mut zip, &options)?;
/// assert_eq!((summary.files, summary.payload_bytes), (2, 29));
/// assert_eq!(summary.payload_oxum, "29.2");
/// # Ok::<(), teczka::Error>(())
/// ```
#[derive(Debug)]
pub struct BagBuilder {
    name: String,
    info: Vec<(String, String)>,
    payload: Vec<(String, Source)>,
    /// Lower-cased path under data/ → (path as given, is a folder), to refuse collisions.
    seen: HashMap<String, (String, bool)>,
    /// The key the tag manifest is signed with, if any.
    signer: Option<SigningKey>,
    /// Payload files hashed and compressed while they were written, if any.
    early: Option<Arc<EarlyEntries>>,
}

/// What was written, for the caller's report and signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BagSummary {
    /// The bag's name: the archive's top-level folder.
    pub name: String,
    /// Payload files written.
    pub files: u64,
    /// Payload bytes written (uncompressed).
    pub payload_bytes: u64,
    /// `Payload-Oxum` as written in bag-info.txt: `<octets>.<files>`.
    pub payload_oxum: String,
    /// The text of `tagmanifest-sha512.txt`: it pins every tag file, which pin every payload
    /// file, so a signature over it (minisign) covers the whole bag.
    pub tag_manifest: String,
}

impl BagBuilder {
    /// A bag named `name`: the zip's top-level folder, so it must be a safe folder name (no
    /// slashes, no `.`/`..`, no characters Windows refuses, at most 255 bytes).
    pub fn new(name: &str) -> Result<BagBuilder> {
        check_segment(name).map_err(|why| {
            Error::input(
                "bag name",
                format!(
                    "`{}` {why}; choose a plain folder name such as `transfer-2024`",
                    name.escape_debug()
                ),
            )
        })?;
        Ok(BagBuilder {
            name: name.to_owned(),
            info: Vec::new(),
            payload: Vec::new(),
            seen: HashMap::new(),
            signer: None,
            early: None,
        })
    }

    /// Sign the bag's `tagmanifest-sha512.txt` with `key`: the signature goes beside it as
    /// `tagmanifest-sha512.txt.minisig` (see [`SigningKey`](crate::archive::sign::SigningKey)),
    /// its trusted comment stamped with [`ZipOptions::modified`], so signing keeps the archive
    /// reproducible.
    pub fn sign_with(&mut self, key: SigningKey) {
        self.signer = Some(key);
    }

    /// Take payload files' digests and compressed entries from `early` where it prepared them
    /// while they were written (checked unchanged since), instead of reading the files again.
    /// The archive's bytes are the same.
    pub fn prepared_early(&mut self, early: Arc<EarlyEntries>) {
        self.early = Some(early);
    }

    /// Add a `bag-info.txt` field; fields are written in the order added (e.g.
    /// `Source-Organization`, `Bagging-Date`, `External-Identifier`, `Archive-Kind`).
    ///
    /// A line break in `value` becomes a continuation line, as RFC 8493 allows. Without a
    /// `Bagging-Date`, the date of [`ZipOptions::modified`] is used. `Payload-Oxum` and
    /// `Bag-Size` are computed and cannot be set.
    pub fn info(&mut self, key: &str, value: &str) -> Result<()> {
        let bad_key = |why: &str| {
            Error::input("bag-info.txt", format!("field name `{}` {why}", key.escape_debug()))
        };
        if key.is_empty() {
            return Err(bad_key("is empty; name the field, e.g. `Source-Organization`"));
        }
        if key.contains(':') || key.chars().any(char::is_control) || key.trim() != key {
            return Err(bad_key(
                "contains a colon, a control character or surrounding spaces; use a name such \
                 as `External-Identifier`",
            ));
        }
        if COMPUTED.iter().any(|c| c.eq_ignore_ascii_case(key)) {
            return Err(bad_key("is computed by teczka; do not set it"));
        }
        let value = value.replace("\r\n", "\n");
        if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            // Never echo the value: it may be personal data.
            return Err(Error::input(
                "bag-info.txt",
                format!(
                    "field `{}`: the value contains a control character; remove it",
                    key.escape_debug()
                ),
            ));
        }
        self.info.push((key.to_owned(), value));
        Ok(())
    }

    /// Add a payload file at `data/<path_in_data>`.
    ///
    /// `path_in_data` uses forward slashes and must be relative, without `.` or `..` segments,
    /// control characters, `%` (BagIt tools disagree on how to list it) or characters Windows
    /// cannot store (`\ : * ? " < > |`), and must not repeat or differ only in case from a path
    /// already added, nor use a file's name as a folder (or the reverse).
    pub fn add(&mut self, path_in_data: &str, source: Source) -> Result<()> {
        let path = path_in_data;
        let label = format!("data/{}", path.escape_debug());
        let bad = |why: String| Error::input(&label, why);
        if path.is_empty() {
            return Err(bad("the payload path is empty; give a file name under data/".into()));
        }
        if path.starts_with('/') {
            return Err(bad("the payload path is absolute; give it relative to data/".into()));
        }
        let segments: Vec<&str> = path.split('/').collect();
        for segment in &segments {
            check_segment(segment).map_err(|why| {
                bad(format!("the segment `{}` {why}; rename it", segment.escape_debug()))
            })?;
        }
        // Every ancestor folder must not be a file, nor collide in case with another folder.
        let mut prefix = String::new();
        let mut new_folders = Vec::new();
        for segment in segments.iter().take(segments.len().saturating_sub(1)) {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(segment);
            match self.seen.get(&prefix.to_lowercase()) {
                Some((other, false)) => {
                    return Err(bad(format!(
                        "`data/{}` is already a file, so it cannot also be a folder",
                        other.escape_debug()
                    )))
                }
                Some((other, true)) if *other != prefix => {
                    return Err(bad(format!(
                        "the folder `data/{}` differs only in case from `data/{}`; such names \
                         overwrite each other on Windows and macOS: rename one",
                        prefix.escape_debug(),
                        other.escape_debug()
                    )))
                }
                Some(_) => {}
                None => new_folders.push(prefix.clone()),
            }
        }
        match self.seen.get(&path.to_lowercase()) {
            Some((_, true)) => {
                return Err(bad("is already a folder, so it cannot also be a file".into()))
            }
            Some((other, false)) if other == path => {
                return Err(bad("was added twice; each payload path must be unique".into()))
            }
            Some((other, false)) => {
                return Err(bad(format!(
                    "differs only in case from `data/{}`; such names overwrite each other on \
                     Windows and macOS: rename one",
                    other.escape_debug()
                )))
            }
            None => {}
        }
        for folder in new_folders {
            self.seen.insert(folder.to_lowercase(), (folder, true));
        }
        self.seen.insert(path.to_lowercase(), (path.to_owned(), false));
        self.payload.push((path.to_owned(), source));
        Ok(())
    }

    /// Hash and compress every payload file in parallel, build the tag files (bagit.txt,
    /// bag-info.txt with Payload-Oxum and Bag-Size, SHA-512 and SHA-256 manifests and tag
    /// manifests), and write the bag as a zip to `out` in the fixed order the module describes.
    ///
    /// Without AES, the same bag and options give the same bytes.
    pub fn write_zip(self, out: impl Write + Seek, options: &ZipOptions) -> Result<BagSummary> {
        options.validate()?;
        let BagBuilder { name, mut info, payload, signer, early, .. } = self;
        let early = early.as_deref();
        let mut payload: Vec<Hashed> = payload
            .into_par_iter()
            .map(|(path, source)| hash_and_prepare(&name, path, source, options, early))
            .collect::<Result<_>>()?;
        payload.sort_by(|a, b| a.path.cmp(&b.path));

        let files = payload.len() as u64;
        let payload_bytes = payload.iter().map(|p| p.bytes).sum::<u64>();
        let payload_oxum = format!("{payload_bytes}.{files}");
        if !info.iter().any(|(k, _)| k.eq_ignore_ascii_case("Bagging-Date")) {
            info.push((
                "Bagging-Date".into(),
                options.modified.date().format("%Y-%m-%d").to_string(),
            ));
        }
        info.push(("Payload-Oxum".into(), payload_oxum.clone()));
        info.push(("Bag-Size".into(), human_size(payload_bytes)));

        let mut tags: Vec<(&str, String)> = vec![
            ("bagit.txt", BAGIT_TXT.to_owned()),
            ("bag-info.txt", bag_info_text(&info)),
            ("manifest-sha512.txt", manifest(payload.iter().map(|p| (&p.sha512, &p.path)))),
            ("manifest-sha256.txt", manifest(payload.iter().map(|p| (&p.sha256, &p.path)))),
        ];
        let tag_manifest_512 = tag_manifest::<Sha512>(&tags);
        let tag_manifest_256 = tag_manifest::<Sha256>(&tags);
        tags.push(("tagmanifest-sha512.txt", tag_manifest_512.clone()));
        tags.push(("tagmanifest-sha256.txt", tag_manifest_256));
        if let Some(key) = &signer {
            let comment = trusted_comment(&name, options.modified.and_utc().timestamp());
            tags.push((SIGNATURE_FILE, key.sign(tag_manifest_512.as_bytes(), &comment)?));
        }
        let prepared_tags: Vec<PreparedEntry> = tags
            .par_iter()
            .map(|(file, text)| {
                let entry = format!("{name}/{file}");
                zip_writer::prepare(&entry, &mut text.as_bytes(), text.len() as u64, options)
            })
            .collect::<Result<_>>()?;

        // data/, its folders and files, in the byte order of their paths.
        let mut folders = BTreeSet::new();
        folders.insert("data/".to_owned());
        for p in &payload {
            let mut end = 0;
            while let Some(slash) = p.path.get(end..).and_then(|rest| rest.find('/')) {
                end += slash + 1;
                folders.insert(format!("data/{}", p.path.get(..end).unwrap_or_default()));
            }
        }
        enum Item {
            Folder(String),
            File(Payload, String),
        }
        let mut data: Vec<(String, Item)> =
            folders.into_iter().map(|f| (f.clone(), Item::Folder(f))).collect();
        data.extend(
            payload
                .into_iter()
                .map(|p| (format!("data/{}", p.path), Item::File(p.entry, p.sha512))),
        );
        data.sort_by(|a, b| a.0.cmp(&b.0));

        let mut zip = DeterministicZip::new(out, options);
        zip.add_directory(&format!("{name}/"))?;
        for entry in prepared_tags {
            zip.append(entry)?;
        }
        for (path, item) in data {
            match item {
                Item::Folder(folder) => zip.add_directory(&format!("{name}/{folder}"))?,
                Item::File(Payload::Prepared(entry), _) => zip.append(entry)?,
                Item::File(Payload::Deferred(source), sha512) => {
                    write_deferred(&mut zip, &format!("{name}/{path}"), source, &sha512, options)?
                }
            }
        }
        let mut out = zip.finish()?;
        out.flush().map_err(|e| Error::io(format!("{name}.zip"), e))?;
        Ok(BagSummary { name, files, payload_bytes, payload_oxum, tag_manifest: tag_manifest_512 })
    }

    /// [`write_zip`](BagBuilder::write_zip) to the file `path`, atomically: the archive is
    /// written beside it under a temporary name, synced and renamed, so a crash never leaves a
    /// half archive under that name.
    pub fn write_zip_file(self, path: &Path, options: &ZipOptions) -> Result<BagSummary> {
        zip_writer::write_atomically(path, |file| self.write_zip(io::BufWriter::new(file), options))
    }
}

impl BagBuilder {
    /// [`write_zip`](BagBuilder::write_zip) into a stream that cannot seek (an age encryptor),
    /// with the same bytes: every entry is prepared with its CRC-32 and sizes known, so the
    /// archive is written front to back and nothing goes back to fix a header.
    ///
    /// A payload over 4 GiB is the exception: it is compressed straight into the archive,
    /// whose header must be fixed afterwards. Then the zip is written into a temporary file in
    /// [`ZipOptions::temp_dir`] (sealed when [`ZipOptions::store`] is), fixed in memory while
    /// it is read back, and copied into `out`.
    pub fn write_zip_stream(self, mut out: impl Write, options: &ZipOptions) -> Result<BagSummary> {
        let zip_name = format!("{}.zip", self.name);
        let label = |e| Error::io(&zip_name, e);
        if !self.needs_zip64()? {
            let mut forward = Forward::sequential(&mut out);
            let summary = self.write_zip(&mut forward, options)?;
            out.flush().map_err(label)?;
            return Ok(summary);
        }
        let dir = options.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
        let (file, path) = private::temp_file_in(&dir, ".teczka-zip-", "")?.into_parts();
        let staged = options.store.wrap(file, &path)?;
        let mut forward = Forward::patching(staged);
        let summary =
            self.write_zip(io::BufWriter::with_capacity(1 << 16, &mut forward), options)?;
        let (mut staged, patches) = forward.into_parts();
        staged.close()?;
        let (zip, _) = options.store.open(&path)?;
        io::copy(&mut Patched::new(zip, patches), &mut out).map_err(label)?;
        out.flush().map_err(label)?;
        Ok(summary)
    }

    /// Whether a payload file may need a Zip64 entry (a file's size on disk is at least its
    /// content's, so a sealed file is judged on the safe side).
    fn needs_zip64(&self) -> Result<bool> {
        for (_, source) in &self.payload {
            let size = match source {
                Source::Bytes(bytes) => bytes.len() as u64,
                Source::File(path) | Source::Stored { path, .. } => {
                    std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len()
                }
            };
            if zip_writer::needs_zip64(size) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Why `segment` cannot be one file or folder name, if it cannot.
fn check_segment(segment: &str) -> std::result::Result<(), &'static str> {
    if segment.is_empty() {
        return Err("is empty (a doubled or trailing `/`?)");
    }
    if segment == "." || segment == ".." {
        return Err("is `.` or `..`, which would point outside its folder");
    }
    if segment.chars().any(char::is_control) {
        return Err("contains a control character");
    }
    if segment.chars().any(|c| matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')) {
        return Err("contains one of `/ \\ : * ? \" < > |`, which Windows cannot store");
    }
    if segment.contains('%') {
        // RFC 8493 wants `%` percent-encoded in manifests, but bagit-python does not decode it:
        // no encoding satisfies both, so such names are refused.
        return Err("contains `%`, which BagIt tools disagree on how to list");
    }
    if segment.ends_with('.') || segment.ends_with(' ') {
        return Err("ends with a dot or a space, which Windows drops");
    }
    let stem = segment.split('.').next().unwrap_or_default().to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4
            && (stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.ends_with(|c: char| c.is_ascii_digit() && c != '0'));
    if reserved {
        return Err("is a device name on Windows (CON, PRN, AUX, NUL, COM1–9, LPT1–9)");
    }
    if segment.len() > 255 {
        return Err("is longer than 255 bytes");
    }
    Ok(())
}

/// One payload file, hashed and compressed.
struct Hashed {
    path: String,
    sha512: String,
    sha256: String,
    bytes: u64,
    entry: Payload,
}

/// A payload file's compressed form, or the source itself when it is over 4 GiB: zip 7.4 cannot
/// raw-copy a Zip64 entry correctly, so such a file is hashed in the parallel pass and
/// compressed straight into the archive, in its place, while the archive is assembled.
enum Payload {
    Prepared(PreparedEntry),
    Deferred(Source),
}

fn hash_and_prepare(
    bag: &str,
    path: String,
    source: Source,
    options: &ZipOptions,
    early: Option<&EarlyEntries>,
) -> Result<Hashed> {
    let name = payload_entry(bag, &path);
    let (tap, entry) = match source {
        Source::File(ref file_path) | Source::Stored { path: ref file_path, .. }
            if early.is_some() =>
        {
            match early.and_then(|e| e.take(file_path)).filter(|(_, e)| e.name() == name) {
                Some((digests, entry)) => (digests, Payload::Prepared(entry)),
                None => return hash_and_prepare(bag, path, source, options, None),
            }
        }
        Source::Bytes(bytes) if zip_writer::needs_zip64(bytes.len() as u64) => {
            let mut tap = Tap::new(&bytes[..]);
            io::copy(&mut tap, &mut io::sink()).map_err(|e| Error::io(&name, e))?;
            (tap.finish(), Payload::Deferred(Source::Bytes(bytes)))
        }
        Source::Bytes(bytes) => {
            let mut tap = Tap::new(&bytes[..]);
            let entry = zip_writer::prepare(&name, &mut tap, bytes.len() as u64, options)?;
            (tap.finish(), Payload::Prepared(entry))
        }
        Source::File(file_path) => {
            hash_and_prepare_file(&name, file_path, Store::plain(), options)?
        }
        Source::Stored { path: file_path, store } => {
            hash_and_prepare_file(&name, file_path, store, options)?
        }
    };
    Ok(Hashed { path, sha512: tap.0, sha256: tap.1, bytes: tap.2, entry })
}

/// Hash a payload file written through `store` and compress it into an entry, or keep it for
/// later when it is over 4 GiB.
fn hash_and_prepare_file(
    name: &str,
    file_path: PathBuf,
    store: Store,
    options: &ZipOptions,
) -> Result<(Digests, Payload)> {
    let (reader, size) = open_payload(&file_path, &store, name)?;
    let mut tap = Tap::new(reader);
    if zip_writer::needs_zip64(size) {
        // Hash now, compress while assembling (see `Payload::Deferred`).
        io::copy(&mut tap, &mut io::sink()).map_err(|e| Error::io(&file_path, e))?;
        return Ok((tap.finish(), Payload::Deferred(source_of(file_path, store))));
    }
    let entry = match zip_writer::prepare(name, &mut tap, size, options) {
        Ok(entry) => entry,
        // A failure reading the source names the source, not the entry.
        Err(e) => return Err(tap.error.take().map_or(e, |re| Error::io(&file_path, re))),
    };
    Ok((tap.finish(), Payload::Prepared(entry)))
}

/// A file as a [`Source`]: plain files as [`Source::File`].
fn source_of(path: PathBuf, store: Store) -> Source {
    if store.is_sealed() {
        Source::Stored { path, store }
    } else {
        Source::File(path)
    }
}

/// The zip entry of the payload file at `path_in_data` (`records/pupils.jsonl`) in the bag
/// `bag`.
pub(crate) fn payload_entry(bag: &str, path_in_data: &str) -> String {
    format!("{bag}/data/{path_in_data}")
}

/// (SHA-512 hex, SHA-256 hex, bytes read).
pub(crate) type Digests = (String, String, u64);

/// Open a payload file written through `store`, refusing anything but a regular file; returns
/// a reader of its content and the content's size.
fn open_payload(path: &Path, store: &Store, entry: &str) -> Result<(Box<dyn Read + Send>, u64)> {
    let (file, _) = open_regular(path, entry)?;
    let (reader, size) = store.open_file(file, path).map_err(|e| Error::io(path, e))?;
    Ok((Box::new(BufReader::with_capacity(1 << 16, reader)), size))
}

/// Open a payload file, refusing anything but a regular file; returns it and its size.
fn open_regular(path: &Path, entry: &str) -> Result<(File, u64)> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::input(
            path,
            format!("is not a regular file, so it cannot be archived as `{entry}`"),
        ));
    }
    Ok((file, meta.len()))
}

/// Compress a deferred (over 4 GiB) payload file straight into the archive, checking that it
/// still has the SHA-512 the manifest already records.
fn write_deferred<W: Write + Seek>(
    zip: &mut DeterministicZip<W>,
    entry: &str,
    source: Source,
    sha512: &str,
    options: &ZipOptions,
) -> Result<()> {
    let (mut tap, size, path) = match source {
        Source::Bytes(bytes) => {
            return zip.write_streamed(entry, &mut &bytes[..], bytes.len() as u64, options)
        }
        Source::File(path) => {
            let (reader, size) = open_payload(&path, &Store::plain(), entry)?;
            (Tap::new(reader), size, path)
        }
        Source::Stored { path, store } => {
            let (reader, size) = open_payload(&path, &store, entry)?;
            (Tap::new(reader), size, path)
        }
    };
    if let Err(e) = zip.write_streamed(entry, &mut tap, size, options) {
        return Err(tap.error.take().map_or(e, |re| Error::io(&path, re)));
    }
    if tap.finish().0 != sha512 {
        return Err(Error::input(
            &path,
            format!(
                "changed while it was being archived as `{entry}`; archive a copy that nothing \
                 writes to"
            ),
        ));
    }
    Ok(())
}

/// A reader that hashes (SHA-512 and SHA-256) and counts what passes through it, and keeps a
/// copy of the first read error so the caller can blame the right file.
pub(crate) struct Tap<R> {
    inner: R,
    sha512: Sha512,
    sha256: Sha256,
    bytes: u64,
    /// The first read error, if any.
    pub(crate) error: Option<io::Error>,
}

impl<R: Read> Tap<R> {
    pub(crate) fn new(inner: R) -> Tap<R> {
        Tap { inner, sha512: Sha512::new(), sha256: Sha256::new(), bytes: 0, error: None }
    }

    /// (SHA-512 hex, SHA-256 hex, bytes read).
    pub(crate) fn finish(self) -> Digests {
        (hex(&self.sha512.finalize()), hex(&self.sha256.finalize()), self.bytes)
    }
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                let read = buf.get(..n).unwrap_or_default();
                self.sha512.update(read);
                self.sha256.update(read);
                self.bytes += n as u64;
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted && self.error.is_none() {
                    self.error = Some(io::Error::new(e.kind(), e.to_string()));
                }
                Err(e)
            }
        }
    }
}

/// A manifest: `<digest>  data/<path>` per line, in the order given (sorted by path). RFC 8493
/// §2.1.3 percent-encodes CR, LF and `%` in paths; [`BagBuilder::add`] refuses all three, so
/// paths are written as they are.
fn manifest<'a>(lines: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    lines.map(|(digest, path)| format!("{digest}  data/{path}\n")).collect()
}

/// A tag manifest over the tag files so far.
fn tag_manifest<D: Digest>(tags: &[(&str, String)]) -> String {
    tags.iter()
        .map(|(file, text)| format!("{}  {file}\n", hex(&D::digest(text.as_bytes()))))
        .collect()
}

/// bag-info.txt: `Key: value` per field; a value's further lines are indented continuation
/// lines (RFC 8493 §2.2.2).
fn bag_info_text(info: &[(String, String)]) -> String {
    let mut text = String::new();
    for (key, value) in info {
        text.push_str(key);
        text.push(':');
        for (i, line) in value.split('\n').enumerate() {
            text.push_str(if i == 0 { " " } else { "\n  " });
            text.push_str(line);
        }
        text.push('\n');
    }
    text
}

/// `Bag-Size`: a rounded, human-readable size (decimal units, like the RFC's `260 GB`).
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut size = bytes as f64 / 1000.0;
    let mut unit = 0;
    while size >= 1000.0 && unit + 1 < UNITS.len() {
        size /= 1000.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS.get(unit).unwrap_or(&"PB"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use zip::ZipArchive;

    fn options(epoch: &str) -> ZipOptions {
        ZipOptions::new(zip_writer::parse_source_date_epoch(epoch).unwrap())
    }

    fn sample(dir: &Path) -> BagBuilder {
        let big = dir.join("pupils.xml");
        let xml: String = (0..40_000).map(|i| format!("<pupil id=\"{i}\"/>\n")).collect();
        std::fs::write(&big, xml).unwrap();
        let mut bag = BagBuilder::new("transfer").unwrap();
        bag.info("Source-Organization", "SP 1").unwrap();
        bag.info("Archive-Kind", "transfer").unwrap();
        bag.add("records/pupils.xml", Source::File(big)).unwrap();
        bag.add("README.txt", Source::Bytes(b"read me\n".to_vec())).unwrap();
        bag.add("reports/empty.txt", Source::Bytes(Vec::new())).unwrap();
        bag.add("metadata/archive.json", Source::Bytes(b"{}".to_vec())).unwrap();
        bag
    }

    fn write(bag: BagBuilder, options: &ZipOptions) -> (Vec<u8>, BagSummary) {
        let mut out = Cursor::new(Vec::new());
        let summary = bag.write_zip(&mut out, options).unwrap();
        (out.into_inner(), summary)
    }

    /// Pseudo-random bytes (they do not compress, so the entry spills), with `canary` in them.
    fn noise(len: usize, canary: &[u8]) -> Vec<u8> {
        let mut bytes: Vec<u8> =
            (0..len as u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        bytes.splice(1000..1000 + canary.len(), canary.iter().copied());
        bytes
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn entries_prepared_while_written_give_the_same_archive_as_files_read_back() {
        let staging = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let mut zip_options = options("1700000000");
        zip_options.store = Store::sealed();
        zip_options.temp_dir = Some(work.path().to_owned());
        let early = Arc::new(EarlyEntries::new(staging.path(), "transfer", zip_options.clone()));
        let store = zip_options.store.watched(early.clone());
        let text: Vec<u8> = (0..150_000u32)
            .flat_map(|i| {
                format!("P{i};Nowak;{}\n", i.wrapping_mul(2_654_435_761) % 89).into_bytes()
            })
            .collect();
        let files = [("records/csv/pupils.csv", &text[..]), ("reports/small.txt", b"ok\n")];
        std::fs::create_dir_all(staging.path().join("records/csv")).unwrap();
        std::fs::create_dir_all(staging.path().join("reports")).unwrap();
        for (name, bytes) in files {
            let mut file = store.create(&staging.path().join(name)).unwrap();
            // Cut as a writer's buffer cuts it, not as the bag reads it back.
            for piece in bytes.chunks(8_191) {
                file.write_all(piece).unwrap();
            }
            file.close().unwrap();
        }
        let bag = |early: Option<Arc<EarlyEntries>>| {
            let mut bag = BagBuilder::new("transfer").unwrap();
            for (name, _) in files {
                let path = staging.path().join(name);
                bag.add(name, Source::Stored { path, store: store.clone() }).unwrap();
            }
            if let Some(early) = early {
                bag.prepared_early(early);
            }
            bag
        };
        let (taken, summary) = write(bag(Some(early.clone())), &zip_options);
        assert_eq!(early.taken(), 1, "the large file taken as prepared, the small one read back");
        let (read_back, again) = write(bag(None), &zip_options);
        assert_eq!(summary, again);
        assert!(taken == read_back, "the same bytes either way");
        assert_eq!(early.taken(), 1, "the second bag read the files back");
        assert_eq!(entries(&taken).len(), 1 + 6 + 4 + 2, "bag, tags, data folders, files");
    }

    #[test]
    fn sealed_staging_streamed_into_a_writer_gives_the_same_bytes_and_no_plaintext_on_disk() {
        let canary = b"Grzegorzewska-Szczepanik";
        let staging = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let store = Store::sealed();
        let mut text = b"{\"surname\":\"Grzegorzewska-Szczepanik\"}\n".repeat(2_000);
        text.extend(noise(3 << 20, canary));
        let (sealed, small) = (staging.path().join("pupils.jsonl"), staging.path().join("h.csv"));
        store.write(&sealed, &text).unwrap();
        store.write(&small, "P1,Grzegorzewska-Szczepanik,astma\n").unwrap();
        let plain_dir = tempfile::tempdir().unwrap();
        let (plain, plain_small) = (plain_dir.path().join("a"), plain_dir.path().join("b"));
        std::fs::write(&plain, &text).unwrap();
        std::fs::write(&plain_small, "P1,Grzegorzewska-Szczepanik,astma\n").unwrap();
        let bag = |big: Source, small: Source| {
            let mut bag = BagBuilder::new("transfer").unwrap();
            bag.add("records/pupils.jsonl", big).unwrap();
            bag.add("records/csv/health.csv", small).unwrap();
            bag
        };

        let (today, summary) =
            write(bag(Source::File(plain), Source::File(plain_small)), &options("1700000000"));
        let mut sealed_options = options("1700000000");
        sealed_options.store = store.clone();
        sealed_options.temp_dir = Some(work.path().to_owned());
        let stored = |path: &Path| Source::Stored { path: path.to_owned(), store: store.clone() };
        // A sink that is not seekable, and that checks the work folder while entries wait in it.
        struct Watch<'a>(Vec<u8>, &'a Path, &'a [u8], usize);
        impl Write for Watch<'_> {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                for entry in std::fs::read_dir(self.1)?.flatten() {
                    self.3 += 1;
                    assert!(!contains(&std::fs::read(entry.path())?, self.2), "plaintext spill");
                }
                self.0.extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Watch(Vec::new(), work.path(), canary, 0);
        let streamed =
            bag(stored(&sealed), stored(&small)).write_zip_stream(&mut out, &sealed_options);
        assert_eq!(streamed.unwrap(), summary);
        assert!(out.3 > 0, "the large entry waited in the work folder");
        assert!(out.0 == today, "the same archive, byte for byte");
        assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 0, "spill removed");
        for entry in std::fs::read_dir(staging.path()).unwrap().flatten() {
            assert!(!contains(&std::fs::read(entry.path()).unwrap(), canary));
        }
    }

    #[test]
    fn forward_writers_refuse_going_back_or_keep_it_as_patches() {
        let mut sequential = Forward::sequential(Vec::new());
        sequential.write_all(b"abcdef").unwrap();
        assert_eq!(sequential.seek(io::SeekFrom::End(0)).unwrap(), 6);
        assert_eq!(sequential.seek(io::SeekFrom::Start(6)).unwrap(), 6);
        assert!(sequential.seek(io::SeekFrom::Start(2)).is_err());
        let mut patching = Forward::patching(Vec::new());
        patching.write_all(b"abcdef").unwrap();
        patching.seek(io::SeekFrom::Start(4)).unwrap();
        patching.write_all(b"XYZ").unwrap();
        patching.seek(io::SeekFrom::Start(1)).unwrap();
        patching.write_all(b"Q").unwrap();
        assert!(patching.seek(io::SeekFrom::Start(9)).is_err(), "past the end");
        let (bytes, patches) = patching.into_parts();
        assert_eq!(bytes, b"abcdefZ");
        let mut read = String::new();
        Patched::new(Cursor::new(bytes), patches).read_to_string(&mut read).unwrap();
        assert_eq!(read, "aQcdXYZ");
    }

    fn entries(bytes: &[u8]) -> Vec<(String, String)> {
        let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut file = archive.by_index(i).unwrap();
                let mut text = Vec::new();
                file.read_to_end(&mut text).unwrap();
                (file.name().unwrap().into_owned(), String::from_utf8_lossy(&text).into_owned())
            })
            .collect()
    }

    #[test]
    fn writes_a_bag_in_the_documented_order_with_correct_tag_files() {
        let dir = tempfile::tempdir().unwrap();
        let (bytes, summary) = write(sample(dir.path()), &options("1700000000"));
        let entries = entries(&bytes);
        let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "transfer/",
                "transfer/bagit.txt",
                "transfer/bag-info.txt",
                "transfer/manifest-sha512.txt",
                "transfer/manifest-sha256.txt",
                "transfer/tagmanifest-sha512.txt",
                "transfer/tagmanifest-sha256.txt",
                "transfer/data/",
                "transfer/data/README.txt",
                "transfer/data/metadata/",
                "transfer/data/metadata/archive.json",
                "transfer/data/records/",
                "transfer/data/records/pupils.xml",
                "transfer/data/reports/",
                "transfer/data/reports/empty.txt",
            ]
        );
        let text = |name: &str| &entries.iter().find(|(n, _)| n == name).unwrap().1;
        assert_eq!(text("transfer/bagit.txt"), BAGIT_TXT);
        let xml_len = text("transfer/data/records/pupils.xml").len() as u64;
        let total = xml_len + 8 + 2;
        assert_eq!(summary.payload_bytes, total);
        assert_eq!(summary.files, 4);
        assert_eq!(summary.payload_oxum, format!("{total}.4"));
        assert_eq!(
            text("transfer/bag-info.txt"),
            &format!(
                "Source-Organization: SP 1\nArchive-Kind: transfer\nBagging-Date: 2023-11-14\n\
                 Payload-Oxum: {total}.4\nBag-Size: {}\n",
                human_size(total)
            )
        );
        let m256 = text("transfer/manifest-sha256.txt");
        let lines: Vec<&str> = m256.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[3],
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  data/reports/empty.txt"
        );
        assert!(lines[0].ends_with("  data/README.txt"));
        assert_eq!(lines[0].split(' ').next().unwrap(), hex(&Sha256::digest(b"read me\n")));
        let m512 = text("transfer/manifest-sha512.txt");
        assert!(m512.lines().all(|l| l.split(' ').next().unwrap().len() == 128));
        let tm = text("transfer/tagmanifest-sha512.txt");
        assert_eq!(tm, &summary.tag_manifest);
        let expected: String =
            ["bagit.txt", "bag-info.txt", "manifest-sha512.txt", "manifest-sha256.txt"]
                .iter()
                .map(|f| {
                    format!(
                        "{}  {f}\n",
                        hex(&Sha512::digest(text(&format!("transfer/{f}")).as_bytes()))
                    )
                })
                .collect();
        assert_eq!(tm, &expected);
    }

    #[test]
    fn the_same_bag_twice_gives_the_same_bytes_and_another_epoch_only_other_times() {
        let dir = tempfile::tempdir().unwrap();
        let (one, _) = write(sample(dir.path()), &options("1700000000"));
        let (two, _) = write(sample(dir.path()), &options("1700000000"));
        assert_eq!(one, two);
        // Same day, other time: only the entries' time fields differ.
        let (three, _) = write(sample(dir.path()), &options("1700003600"));
        assert_eq!(one.len(), three.len());
        let differing: Vec<usize> = (0..one.len()).filter(|&i| one[i] != three[i]).collect();
        assert!(!differing.is_empty());
        for at in &differing {
            let window = &one[at.saturating_sub(16)..*at];
            assert!(window.windows(4).any(|w| w == b"PK\x03\x04" || w == b"PK\x01\x02"), "{at}");
        }
        // Another day changes Bagging-Date too, hence bag-info.txt and the tag manifests.
        let (four, _) = write(sample(dir.path()), &options("1600000000"));
        let (e1, e4) = (entries(&one), entries(&four));
        let changed: Vec<&str> =
            e1.iter().zip(&e4).filter(|(a, b)| a != b).map(|(a, _)| a.0.as_str()).collect();
        assert_eq!(
            changed,
            [
                "transfer/bag-info.txt",
                "transfer/tagmanifest-sha512.txt",
                "transfer/tagmanifest-sha256.txt"
            ]
        );
    }

    #[test]
    fn a_signed_bag_carries_a_reproducible_signature_of_its_tag_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let key_path = dir.path().join("school.key");
        let (public, _) = crate::archive::sign::generate_key_pair(&key_path, None).unwrap();
        let signed = || {
            let mut bag = sample(dir.path());
            bag.sign_with(SigningKey::read(&key_path, None).unwrap());
            write(bag, &options("1700000000"))
        };
        let (one, summary) = signed();
        let (two, _) = signed();
        assert_eq!(one, two, "same input and key, same bytes");
        let entries = entries(&one);
        let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[6], "transfer/tagmanifest-sha256.txt");
        assert_eq!(names[7], "transfer/tagmanifest-sha512.txt.minisig");
        assert_eq!(names[8], "transfer/data/");
        let signature = &entries[7].1;
        assert_eq!(
            public.check(summary.tag_manifest.as_bytes(), signature).unwrap(),
            "timestamp:1700000000\tfile:transfer/tagmanifest-sha512.txt\thashed"
        );
        // The signature is listed in no manifest: the manifests cannot vouch for it.
        assert!(entries.iter().all(|(_, text)| !text.contains(".minisig")));
    }

    #[test]
    fn an_empty_bag_still_has_its_data_folder() {
        let bag = BagBuilder::new("empty").unwrap();
        let (bytes, summary) = write(bag, &options("0"));
        assert_eq!(summary.payload_oxum, "0.0");
        let entries = entries(&bytes);
        assert!(entries.iter().any(|(n, _)| n == "empty/data/"));
        let info = &entries.iter().find(|(n, _)| n == "empty/bag-info.txt").unwrap().1;
        assert_eq!(info, "Bagging-Date: 1970-01-01\nPayload-Oxum: 0.0\nBag-Size: 0 bytes\n");
        assert_eq!(entries.iter().find(|(n, _)| n == "empty/manifest-sha512.txt").unwrap().1, "");
    }

    #[test]
    fn bad_names_and_paths_are_refused_with_the_reason() {
        for name in ["", ".", "..", "a/b", "a\\b", "c:", "x.", "tab\t"] {
            assert!(BagBuilder::new(name).is_err(), "{name:?}");
        }
        let e = BagBuilder::new("a/b").unwrap_err();
        assert_eq!(
            e.to_string(),
            "bag name: `a/b` contains one of `/ \\ : * ? \" < > |`, which Windows cannot store; \
             choose a plain folder name such as `transfer-2024`"
        );
        let mut bag = BagBuilder::new("b").unwrap();
        let add = |bag: &mut BagBuilder, p: &str| bag.add(p, Source::Bytes(Vec::new()));
        let cases = [
            ("", "data/: the payload path is empty; give a file name under data/"),
            ("/etc/passwd", "data//etc/passwd: the payload path is absolute; give it relative to data/"),
            ("a/../b", "data/a/../b: the segment `..` is `.` or `..`, which would point outside its folder; rename it"),
            ("a//b", "data/a//b: the segment `` is empty (a doubled or trailing `/`?); rename it"),
            ("a\\b", "data/a\\\\b: the segment `a\\\\b` contains one of `/ \\ : * ? \" < > |`, which Windows cannot store; rename it"),
            ("a\nb", "data/a\\nb: the segment `a\\nb` contains a control character; rename it"),
            ("100%.csv", "data/100%.csv: the segment `100%.csv` contains `%`, which BagIt tools disagree on how to list; rename it"),
            ("nul.txt", "data/nul.txt: the segment `nul.txt` is a device name on Windows (CON, PRN, AUX, NUL, COM1–9, LPT1–9); rename it"),
            ("x/COM1", "data/x/COM1: the segment `COM1` is a device name on Windows (CON, PRN, AUX, NUL, COM1–9, LPT1–9); rename it"),
            ("a./b", "data/a./b: the segment `a.` ends with a dot or a space, which Windows drops; rename it"),
        ];
        for (path, message) in cases {
            assert_eq!(add(&mut bag, path).unwrap_err().to_string(), message, "{path:?}");
        }
        add(&mut bag, "records/Pupils.xml").unwrap();
        assert_eq!(
            add(&mut bag, "records/Pupils.xml").unwrap_err().to_string(),
            "data/records/Pupils.xml: was added twice; each payload path must be unique"
        );
        assert_eq!(
            add(&mut bag, "records/pupils.XML").unwrap_err().to_string(),
            "data/records/pupils.XML: differs only in case from `data/records/Pupils.xml`; such \
             names overwrite each other on Windows and macOS: rename one"
        );
        assert_eq!(
            add(&mut bag, "Records/x.csv").unwrap_err().to_string(),
            "data/Records/x.csv: the folder `data/Records` differs only in case from \
             `data/records`; such names overwrite each other on Windows and macOS: rename one"
        );
        assert_eq!(
            add(&mut bag, "records/Pupils.xml/inner").unwrap_err().to_string(),
            "data/records/Pupils.xml/inner: `data/records/Pupils.xml` is already a file, so it \
             cannot also be a folder"
        );
        assert_eq!(
            add(&mut bag, "records").unwrap_err().to_string(),
            "data/records: is already a folder, so it cannot also be a file"
        );
        add(&mut bag, "records/other.xml").unwrap();
        add(&mut bag, "console.txt").unwrap();
        add(&mut bag, "COM10").unwrap();
    }

    #[test]
    fn bag_info_refuses_bad_keys_never_echoes_values_and_folds_lines() {
        let mut bag = BagBuilder::new("b").unwrap();
        assert_eq!(
            bag.info("Payload-Oxum", "1.1").unwrap_err().to_string(),
            "bag-info.txt: field name `Payload-Oxum` is computed by teczka; do not set it"
        );
        assert!(bag.info("A: B", "x").is_err());
        assert!(bag.info("", "x").is_err());
        let e = bag.info("Contact-Name", "Jan\u{7}Kowalski").unwrap_err().to_string();
        assert!(!e.contains("Jan") && !e.contains("Kowalski"), "{e}");
        bag.info("Internal-Sender-Description", "line one\r\nline two").unwrap();
        bag.info("Bagging-Date", "2024-01-02").unwrap();
        assert_eq!(
            bag_info_text(&bag.info),
            "Internal-Sender-Description: line one\n  line two\nBagging-Date: 2024-01-02\n"
        );
    }

    #[test]
    fn a_missing_or_unreadable_source_names_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let mut bag = BagBuilder::new("b").unwrap();
        let missing = dir.path().join("gone.xml");
        bag.add("gone.xml", Source::File(missing.clone())).unwrap();
        let e = bag.write_zip(Cursor::new(Vec::new()), &options("0")).unwrap_err();
        assert!(e.is_io_error());
        assert!(e.to_string().starts_with(&format!("{}: ", missing.display())), "{e}");
        let mut bag = BagBuilder::new("b").unwrap();
        bag.add("dir", Source::File(dir.path().to_owned())).unwrap();
        let e = bag.write_zip(Cursor::new(Vec::new()), &options("0")).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("is not a regular file, so it cannot be archived as `b/data/dir`"),
            "{e}"
        );
    }

    #[test]
    fn write_zip_file_is_atomic_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out").join("bag.zip");
        std::fs::create_dir(dir.path().join("out")).unwrap();
        let summary = sample(dir.path()).write_zip_file(&path, &options("1700000000")).unwrap();
        assert_eq!(summary.files, 4);
        assert_eq!(std::fs::read_dir(dir.path().join("out")).unwrap().count(), 1);
        let (bytes, _) = write(sample(dir.path()), &options("1700000000"));
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }

    #[test]
    fn human_size_rounds_in_decimal_units() {
        assert_eq!(human_size(0), "0 bytes");
        assert_eq!(human_size(999), "999 bytes");
        assert_eq!(human_size(1500), "1.5 KB");
        assert_eq!(human_size(6_200_000_000), "6.2 GB");
    }
}
