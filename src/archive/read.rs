//! Opening a teczka archive without trusting it.
//!
//! An archive comes from outside — another vendor, a parent, an e-mail — so [`SafeArchive`]
//! treats it as hostile (DOMAIN §5, SPEC §9). Before a single byte is extracted, [`SafeArchive::open`]
//! reads the central directory and refuses the whole archive, naming the entry, if any entry:
//!
//! * has a name that could land outside the folder it is extracted into or mean different
//!   things on different systems: absolute (`/x`), a drive letter (`C:`) or any other `:`, a
//!   `..` or `.` or empty component, a backslash, a control character;
//! * repeats another entry's name, or collides with one when case is ignored (`Data/x` and
//!   `data/x` are one file on Windows and macOS), or is both a file and a folder;
//! * is a symbolic link or another special file (device, FIFO, socket), judged by the Unix
//!   mode bits in its external attributes;
//! * overlaps another entry (or the central directory) in the file: overlapping entries let a
//!   small archive declare many large files made of the same compressed bytes;
//! * is an archive itself (`.zip`, `.age`, `.7z`, …): a teczka archive never holds one, and
//!   unpacking archives inside archives is how bombs recurse — refused rather than reported,
//!   because nothing in teczka would ever read it;
//! * is encrypted while no password was given, or — when a password was given — is a file
//!   that is *not* encrypted (in an encrypted archive an unencrypted file is unauthenticated,
//!   so anyone could have put it there);
//! * uses a compression method other than Stored or Deflate;
//! * declares a size over [`Limits::max_entry_bytes`], a compression ratio over
//!   [`Limits::max_ratio`], or brings the total over [`Limits::max_total_bytes`]; or the archive
//!   has more than [`Limits::max_entries`] entries.
//!
//! The archive must also hold exactly one top-level folder, the bag, and every other entry
//! inside it ([`SafeArchive::root`]).
//!
//! Headers can lie, so reading is bounded as well: [`SafeArchive::open_entry`] stops with an
//! error as soon as an entry yields more bytes than its header declared or its compression
//! ratio passes the limit, and when it ends short of the declared size. [`SafeArchive::extract_to`]
//! writes only into a folder it creates, creates nothing but folders and regular files, and
//! never follows a link.
//!
//! An age-encrypted archive (`ARCHIVE.zip.age`) is decrypted first, into an anonymous temporary
//! file, by [`SafeArchive::open_age`] (or [`decrypt_age`] to do it by hand).

use crate::crypto::age::{Identity, Sealed};
use crate::error::{Error, Result};
use crate::write::private;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;
use zip::read::ZipFile;
use zip::{CompressionMethod, ZipArchive};

/// Below this many bytes an entry's compression ratio is not judged: small, repetitive tag
/// files and CSV files legitimately compress far better than 100:1, and a bomb needs volume.
const RATIO_FLOOR: u64 = 1 << 20;
/// Bytes copied at a time when extracting or decrypting.
const CHUNK: usize = 64 * 1024;
/// File name endings of archives and compressed files, refused inside an archive.
const NESTED_ARCHIVE_ENDINGS: &[&str] = &[
    ".zip", ".age", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".lz", ".lzma",
    ".cab", ".jar",
];
/// Unix file-type bits (`S_IFMT`) and the two types an archive may hold.
const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFLNK: u32 = 0o120000;

/// The bounds an archive must stay within. [`Limits::default`] holds safe values; the command
/// line exposes each as a flag for archives that are legitimately bigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most entries (files and folders) an archive may hold.
    pub max_entries: u64,
    /// The largest size, uncompressed, of one entry in bytes.
    pub max_entry_bytes: u64,
    /// The largest total size, uncompressed, of all entries in bytes.
    pub max_total_bytes: u64,
    /// The highest compression ratio (uncompressed ÷ compressed) an entry may have once it is
    /// larger than 1 MiB; ordinary records compress well below 20:1, bombs above 1000:1.
    pub max_ratio: u64,
}

impl Default for Limits {
    /// 10,000 entries, 64 GiB per entry, 256 GiB in all, ratio 100:1.
    fn default() -> Limits {
        Limits {
            max_entries: 10_000,
            max_entry_bytes: 64 << 30,
            max_total_bytes: 256 << 30,
            max_ratio: 100,
        }
    }
}

/// One entry of a [`SafeArchive`], as its (checked) central directory declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryInfo {
    /// The name relative to the bag folder, `/`-separated, without a trailing `/`
    /// (`data/records/pupils.xml`, `data` for the folder).
    pub name: String,
    /// The declared uncompressed size in bytes (0 for a folder).
    pub size: u64,
    /// Whether the entry is a folder.
    pub is_dir: bool,
    /// The entry's index in the zip.
    index: usize,
    /// The declared compressed size in bytes.
    compressed: u64,
}

/// Anything an archive can be read from: a file, or bytes in memory.
trait Source: Read + Seek + Send {}
impl<T: Read + Seek + Send> Source for T {}

/// A zip archive whose every entry name and header has been checked, holding one bag folder.
///
/// # Example
///
/// ```
/// use std::io::{Cursor, Read, Write};
/// use teczka::{ArchiveLimits, SafeArchive};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // A tiny archive holding one bag folder.
/// let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
/// let options = zip::write::SimpleFileOptions::default();
/// zip.start_file("bag/bagit.txt", options)?;
/// zip.write_all(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")?;
/// let bytes = zip.finish()?.into_inner();
///
/// let mut archive = SafeArchive::open_reader(
///     Cursor::new(bytes),
///     "bag.zip".as_ref(),
///     &ArchiveLimits::default(),
///     None,
/// )?;
/// assert_eq!(archive.root(), "bag");
/// let names: Vec<&str> = archive.entries().map(|e| e.name.as_str()).collect();
/// assert_eq!(names, ["bagit.txt"]);
/// let mut text = String::new();
/// archive.open_entry("bagit.txt")?.read_to_string(&mut text)?;
/// assert!(text.starts_with("BagIt-Version: 1.0"));
/// # Ok(())
/// # }
/// ```
pub struct SafeArchive {
    zip: ZipArchive<Box<dyn Source>>,
    /// The archive's name as the user gave it, for messages.
    source: PathBuf,
    root: String,
    entries: Vec<EntryInfo>,
    /// Relative name → position in `entries`.
    by_name: HashMap<String, usize>,
    limits: Limits,
    password: Option<Zeroizing<Vec<u8>>>,
}

impl SafeArchive {
    /// Open the archive at `path` and check every entry name and header before anything is
    /// extracted (see the module documentation for the rules). `password` opens AES-encrypted
    /// entries (the "7-Zip" kind of encryption); give `None` for an unencrypted archive.
    pub fn open(path: &Path, limits: &Limits, password: Option<&str>) -> Result<SafeArchive> {
        let file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
        SafeArchive::open_reader(io::BufReader::new(file), path, limits, password)
    }

    /// Like [`SafeArchive::open`], for an archive already open or in memory; `source` names it
    /// in messages.
    pub fn open_reader(
        reader: impl Read + Seek + Send + 'static,
        source: &Path,
        limits: &Limits,
        password: Option<&str>,
    ) -> Result<SafeArchive> {
        let boxed: Box<dyn Source> = Box::new(reader);
        let zip = ZipArchive::new(boxed).map_err(|e| {
            Error::input(
                source,
                format!("not a readable zip archive ({e}): give the archive teczka wrote, whole"),
            )
        })?;
        if zip.has_duplicate_names() {
            let dir_start = zip.central_directory_start();
            let name = first_duplicate(zip.into_inner(), dir_start, limits.max_entries);
            return Err(Error::input(
                source,
                format!(
                    "entry `{}`: appears twice: extracting would keep only one of them, and \
                     tools disagree on which; the archive was not written by teczka or was \
                     altered",
                    shown(&name.unwrap_or_default())
                ),
            ));
        }
        let zip = check_local_names(zip, source, limits)?;
        let password = password.map(|p| Zeroizing::new(p.as_bytes().to_vec()));
        let mut archive = SafeArchive {
            zip,
            source: source.to_path_buf(),
            root: String::new(),
            entries: Vec::new(),
            by_name: HashMap::new(),
            limits: *limits,
            password,
        };
        archive.check()?;
        Ok(archive)
    }

    /// Open a bag that is already unzipped (the folder `dir`, holding `bagit.txt`) as an
    /// archive of its files, so every check of a zip applies unchanged.
    pub fn open_folder(dir: &Path, limits: &Limits) -> Result<SafeArchive> {
        let zip = super::folder::zip_folder(dir, limits)?;
        SafeArchive::open_reader(io::BufReader::new(zip), dir, limits, None)
    }

    /// Decrypt the age-encrypted archive at `path` (`ARCHIVE.zip.age`) into an anonymous
    /// temporary file — deleted when the returned archive is dropped — and open it as
    /// [`SafeArchive::open`] does. `identity` is the age identity file or the passphrase the
    /// archive was encrypted to; `password` is for AES entries inside, if any.
    pub fn open_age(
        path: &Path,
        identity: &Identity,
        limits: &Limits,
        password: Option<&str>,
    ) -> Result<SafeArchive> {
        let input = fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut plain = private::anonymous_file(None)?;
        decrypt_age(io::BufReader::new(input), &mut plain, identity, path)?;
        plain.seek(SeekFrom::Start(0)).map_err(|e| Error::io(path, e))?;
        SafeArchive::open_reader(io::BufReader::new(plain), path, limits, password)
    }

    /// The bag folder: the archive's single top-level folder.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Every entry inside the bag folder, in the archive's order (the folder itself is not
    /// listed).
    pub fn entries(&self) -> impl Iterator<Item = &EntryInfo> {
        self.entries.iter()
    }

    /// The entry named `name` (relative to the bag folder), if there is one.
    pub fn entry(&self, name: &str) -> Option<&EntryInfo> {
        self.by_name.get(name).and_then(|&i| self.entries.get(i))
    }

    /// Stream the bytes of the file `name` (relative to the bag folder).
    ///
    /// The reader fails (with an [`io::ErrorKind::InvalidData`] error naming the entry) as soon
    /// as the entry yields more bytes than its header declared or more than the limits allow,
    /// when it ends short of the declared size, and when its CRC-32 or AES authentication code
    /// does not match at the end — so read it to the end before trusting what it gave.
    pub fn open_entry(&mut self, name: &str) -> Result<EntryReader<'_>> {
        let Some(info) = self.entry(name).cloned() else {
            return Err(Error::input(
                &self.source,
                format!("holds no entry `{}` in its bag folder", shown(name)),
            ));
        };
        if info.is_dir {
            return Err(Error::input(
                &self.source,
                format!("entry `{}` is a folder, not a file", shown(name)),
            ));
        }
        let options = zip::ZipReadOptions::new().password(self.password.as_deref().map(|p| &p[..]));
        let source = &self.source;
        let full = format!("{}/{}", self.root, info.name);
        let inner = self
            .zip
            .by_index_with_options(info.index, options)
            .map_err(|e| Error::input(source, entry_open_error(&full, &e)))?;
        Ok(EntryReader {
            inner,
            name: full,
            declared: info.size,
            compressed: info.compressed,
            read: 0,
            limits: self.limits,
            head: Some(Vec::with_capacity(SNIFF)),
        })
    }

    /// Extract the bag into `dest`, which must not exist: it is created (its parent must
    /// exist) and becomes the bag folder, holding `bagit.txt`, `data/` and so on.
    ///
    /// Only folders and regular files are created, each file with `create_new`, so nothing
    /// that already exists is overwritten and no link is followed. On any error the
    /// half-extracted `dest` is removed again.
    pub fn extract_to(&mut self, dest: &Path) -> Result<()> {
        crate::write::private::create_dir(dest).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                Error::input(
                    dest,
                    "already exists: give a folder that does not exist yet; teczka extracts \
                     only into a folder it creates, so nothing there can be overwritten",
                )
            } else {
                Error::io(dest, e)
            }
        })?;
        let result = self.extract_all(dest);
        if result.is_err() {
            // Best effort: a half-extracted bag must not pass for a whole one. `dest` is ours.
            let _ = fs::remove_dir_all(dest);
        }
        result
    }

    fn extract_all(&mut self, dest: &Path) -> Result<()> {
        let entries = self.entries.clone();
        let mut buf = vec![0u8; CHUNK];
        for entry in &entries {
            // Names were checked at open: plain components only, so joining stays inside.
            let target = entry.name.split('/').fold(dest.to_path_buf(), |p, c| p.join(c));
            // Folders 0700 and files 0600, whatever the umask: the bag holds records.
            if entry.is_dir {
                private::create_dir_all(&target)?;
                continue;
            }
            if let Some(parent) = target.parent() {
                private::create_dir_all(parent)?;
            }
            let mut out = private::create_new_file(&target)?;
            let source = self.source.clone();
            let mut reader = self.open_entry(&entry.name)?;
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::input(&source, e.to_string())),
                };
                out.write_all(buf.get(..n).unwrap_or_default())
                    .map_err(|e| Error::io(&target, e))?;
            }
            out.flush().map_err(|e| Error::io(&target, e))?;
        }
        Ok(())
    }

    /// Check the central directory and every entry header; fill `root`, `entries`, `by_name`.
    fn check(&mut self) -> Result<()> {
        self.check_count()?;
        let (raw, first_encrypted) = self.read_headers()?;
        self.check_overlaps(&raw)?;
        let root = self.single_root(&raw)?;
        self.check_collisions(&raw)?;
        self.check_password(&raw, first_encrypted)?;
        self.index(raw, root);
        Ok(())
    }

    /// Refuse an archive with more entries than the limit, or none.
    fn check_count(&self) -> Result<()> {
        let source = self.source.clone();
        let limits = self.limits;
        let count = self.zip.len() as u64;
        if count > limits.max_entries {
            return Err(Error::input(
                &source,
                format!(
                    "holds {count} entries, more than the limit of {}: a teczka archive holds \
                     one file per output; raise `--max-entries` if the archive is trusted",
                    limits.max_entries
                ),
            ));
        }
        if count == 0 {
            return Err(Error::input(&source, "is an empty zip archive: it holds no bag folder"));
        }
        Ok(())
    }

    /// Every entry's header: its name, kind, encryption, method and sizes (alone and in all);
    /// the entries, and the first encrypted one.
    fn read_headers(&mut self) -> Result<(Vec<Raw>, Option<usize>)> {
        let source = self.source.clone();
        let refuse = |name: &str, problem: &str| {
            Error::input(&source, format!("entry `{}`: {problem}", shown(name)))
        };
        let limits = self.limits;
        let mut raw = Vec::with_capacity(self.zip.len());
        let mut total: u64 = 0;
        let mut total_compressed: u64 = 0;
        let mut first_encrypted = None;
        for index in 0..self.zip.len() {
            let file = self.zip.by_index_raw(index).map_err(|e| {
                Error::input(
                    &source,
                    format!(
                        "entry #{}: header cannot be read ({e}): the archive is damaged",
                        index + 1
                    ),
                )
            })?;
            let name = match file.name() {
                Ok(name) => name.into_owned(),
                Err(_) => {
                    return Err(Error::input(
                        &source,
                        format!("entry #{}: the name cannot be decoded", index + 1),
                    ))
                }
            };
            check_name(&name).map_err(|problem| refuse(&name, problem))?;
            let is_dir = name.ends_with('/');
            check_kind(&file, is_dir).map_err(|problem| refuse(&name, problem))?;
            let encrypted = file.encrypted();
            if let Some(problem) = encryption_problem(encrypted, self.password.is_some(), is_dir) {
                return Err(refuse(&name, problem));
            }
            if encrypted && first_encrypted.is_none() && !is_dir {
                first_encrypted = Some(index);
            }
            let (size, compressed) = (file.size(), file.compressed_size());
            // For AES entries the crate reports the real method from the AES extra field.
            if let Some(problem) = entry_problem(file.compression(), size, compressed, &limits) {
                return Err(refuse(&name, &problem));
            }
            total = total.saturating_add(size);
            total_compressed = total_compressed.saturating_add(compressed);
            if total > limits.max_total_bytes {
                return Err(refuse(
                    &name,
                    &format!(
                        "brings the archive's total size over the limit of {} bytes; raise \
                         `--max-total-bytes` if the archive is trusted",
                        limits.max_total_bytes
                    ),
                ));
            }
            let start = file.header_start();
            let end = file.data_start().unwrap_or(start).saturating_add(compressed);
            raw.push(Raw { index, name, is_dir, size, compressed, start, end });
        }

        // Many entries each just under the per-entry floor add up to a bomb all the same.
        if ratio_exceeded(total, total_compressed, limits.max_ratio) {
            return Err(Error::input(
                &source,
                format!(
                    "declares {total} bytes in all compressed into {total_compressed}, a ratio \
                     over the limit of {}:1 (a zip bomb of many entries looks like this); raise \
                     `--max-ratio` if the archive is trusted",
                    limits.max_ratio
                ),
            ));
        }
        Ok((raw, first_encrypted))
    }

    /// Refuse entries whose bytes overlap each other or the central directory.
    fn check_overlaps(&self, raw: &[Raw]) -> Result<()> {
        let source = self.source.clone();
        let refuse = |name: &str, problem: &str| {
            Error::input(&source, format!("entry `{}`: {problem}", shown(name)))
        };
        // Overlaps: sorted by where each entry starts, an entry must end before the next
        // begins, and all before the central directory.
        let mut order: Vec<usize> = (0..raw.len()).collect();
        order.sort_by_key(|&i| raw.get(i).map_or(0, |r| r.start));
        let dir_start = self.zip.central_directory_start();
        for pair in order.windows(2) {
            if let (Some(a), Some(b)) = (raw.get(pair[0]), raw.get(pair[1])) {
                if a.end > b.start {
                    return Err(refuse(
                        &b.name,
                        &format!(
                            "overlaps entry `{}` in the file: overlapping entries let a small \
                             archive unpack to many large files; the archive was not written \
                             by teczka",
                            shown(&a.name)
                        ),
                    ));
                }
            }
        }
        if let Some(r) = raw.iter().find(|r| r.end > dir_start) {
            return Err(refuse(
                &r.name,
                "overlaps the archive's central directory: the archive is damaged or forged",
            ));
        }
        Ok(())
    }

    /// The one top-level folder, the bag.
    fn single_root(&self, raw: &[Raw]) -> Result<String> {
        let source = self.source.clone();
        let refuse = |name: &str, problem: &str| {
            Error::input(&source, format!("entry `{}`: {problem}", shown(name)))
        };
        // One top-level folder, the bag.
        let mut roots: Vec<&str> = Vec::new();
        for r in raw {
            let first = r.name.split('/').next().unwrap_or_default();
            if !roots.contains(&first) {
                roots.push(first);
            }
            if !r.name.contains('/') {
                return Err(refuse(
                    &r.name,
                    "is a file at the top level: a teczka archive holds one folder, the bag, \
                     and everything inside it",
                ));
            }
        }
        let root = match roots.as_slice() {
            [one] => (*one).to_string(),
            [a, b, ..] => {
                return Err(Error::input(
                    &source,
                    format!(
                        "has several top-level folders (`{}`, `{}`): a teczka archive holds \
                         exactly one, the bag",
                        shown(a),
                        shown(b)
                    ),
                ))
            }
            [] => return Err(Error::input(&source, "holds no bag folder")),
        };
        Ok(root)
    }

    /// Refuse names one file system would take for one, and names both a file and a folder.
    fn check_collisions(&self, raw: &[Raw]) -> Result<()> {
        let source = self.source.clone();
        let refuse = |name: &str, problem: &str| {
            Error::input(&source, format!("entry `{}`: {problem}", shown(name)))
        };
        // Names (and folders along them) that one file system would take for one: case, or
        // Unicode normalisation (macOS stores `ó` decomposed, Windows ignores case).
        let mut spellings: HashMap<String, &str> = HashMap::new();
        let mut files: HashSet<String> = HashSet::new();
        let mut whole: HashSet<String> = HashSet::new();
        for r in raw {
            let name = r.name.trim_end_matches('/');
            for path in ancestors_and_self(name) {
                let folded = folded(path);
                match spellings.get(folded.as_str()) {
                    Some(other) if *other != path => {
                        return Err(refuse(
                            &r.name,
                            &format!(
                                "collides with `{}` {}: on Windows and macOS they are one file \
                                 or folder, so one would silently replace or merge with the \
                                 other",
                                shown(other),
                                if other.to_lowercase() == path.to_lowercase() {
                                    "when case is ignored"
                                } else {
                                    "in another Unicode normalisation (an accent composed in \
                                     one, decomposed in the other) or case"
                                }
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        spellings.insert(folded, path);
                    }
                }
            }
            // Spelled alike (else refused above): the same name as a file and a folder.
            if !whole.insert(folded(name)) {
                return Err(refuse(
                    &r.name,
                    "is in the archive twice, once as a file and once as a folder: a name \
                     cannot be both",
                ));
            }
            if !r.is_dir {
                files.insert(folded(name));
            }
        }
        for r in raw {
            let key = folded(r.name.trim_end_matches('/'));
            let mut prefix = key.as_str();
            while let Some(cut) = prefix.rfind('/') {
                prefix = prefix.get(..cut).unwrap_or_default();
                if files.contains(prefix) {
                    return Err(refuse(
                        &r.name,
                        "lies inside a path that the archive also holds as a file: a name \
                         cannot be both a file and a folder",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Refuse a wrong password now, not halfway through an extraction.
    fn check_password(&mut self, raw: &[Raw], first_encrypted: Option<usize>) -> Result<()> {
        let source = self.source.clone();
        // A wrong password is said now, not halfway through an extraction. The AES password
        // verifier is checked when an entry is opened; nothing is decompressed here.
        if let (Some(index), Some(password)) = (first_encrypted, self.password.as_deref()) {
            let name = raw.get(index).map(|r| r.name.clone()).unwrap_or_default();
            let options = zip::ZipReadOptions::new().password(Some(&password[..]));
            if let Err(e) = self.zip.by_index_with_options(index, options) {
                return Err(Error::input(&source, entry_open_error(&name, &e)));
            }
        }
        Ok(())
    }

    /// Index the checked entries by their names inside the bag.
    fn index(&mut self, raw: Vec<Raw>, root: String) {
        let prefix = format!("{root}/");
        for r in raw {
            let rel = r.name.get(prefix.len()..).unwrap_or_default().trim_end_matches('/');
            if rel.is_empty() {
                continue; // the bag folder itself
            }
            self.by_name.insert(rel.to_string(), self.entries.len());
            self.entries.push(EntryInfo {
                name: rel.to_string(),
                size: r.size,
                is_dir: r.is_dir,
                index: r.index,
                compressed: r.compressed,
            });
        }
        self.root = root;
    }
}

/// An entry as its central directory record declares it, with where its bytes lie.
struct Raw {
    index: usize,
    name: String,
    is_dir: bool,
    size: u64,
    compressed: u64,
    start: u64,
    end: u64,
}

/// Refuse an entry whose local header names another file than the central directory does.
///
/// Tools disagree on which of the two they trust: `unzip` and streaming readers write the local
/// name (`base/../../READ.txt`), listings and this reader show the central one, so a checked
/// listing would not be what lands on disk. The archive is handed back for reading.
fn check_local_names(
    mut zip: ZipArchive<Box<dyn Source>>,
    source: &Path,
    limits: &Limits,
) -> Result<ZipArchive<Box<dyn Source>>> {
    if zip.len() as u64 > limits.max_entries {
        return Ok(zip); // refused by `check` without reading further
    }
    let mut central = Vec::with_capacity(zip.len());
    for index in 0..zip.len() {
        if let Ok(file) = zip.by_index_raw(index) {
            central.push((file.header_start(), file.name_raw().to_vec()));
        } // an unreadable header is `check`'s to report
    }
    let mut reader = zip.into_inner();
    for (start, name) in &central {
        let local = local_name(&mut reader, *start);
        if local.as_deref() != Some(name.as_slice()) {
            let said = local.map_or_else(
                || "no readable local header".to_string(),
                |l| format!("the name `{}`", shown(&String::from_utf8_lossy(&l))),
            );
            return Err(Error::input(
                source,
                format!(
                    "entry `{}`: its local header holds {said}: tools disagree on which name \
                     to trust, so what is listed is not what would be unpacked; the archive \
                     was not written by teczka or was altered",
                    shown(&String::from_utf8_lossy(name))
                ),
            ));
        }
    }
    ZipArchive::new(reader).map_err(|e| {
        Error::input(source, format!("not a readable zip archive ({e}): the archive is damaged"))
    })
}

/// The file name in the local file header at `start`, or `None` when there is none.
fn local_name(reader: &mut (impl Read + Seek), start: u64) -> Option<Vec<u8>> {
    const SIGNATURE: [u8; 4] = [0x50, 0x4b, 0x03, 0x04];
    reader.seek(SeekFrom::Start(start)).ok()?;
    let mut fixed = [0u8; 30];
    reader.read_exact(&mut fixed).ok()?;
    if fixed.get(..4)? != SIGNATURE {
        return None;
    }
    let length = u16::from_le_bytes([*fixed.get(26)?, *fixed.get(27)?]);
    let mut name = vec![0u8; usize::from(length)];
    reader.read_exact(&mut name).ok()?;
    Some(name)
}

/// `path` and every folder above it (`a/b/c` → `a`, `a/b`, `a/b/c`).
fn ancestors_and_self(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(|(at, _)| &path[..at]).chain(std::iter::once(path))
}

/// A name as a case-insensitive, normalisation-insensitive file system sees it.
fn folded(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfc().collect::<String>().to_lowercase()
}

/// How many leading bytes of an entry are kept to recognise an archive by its content.
const SNIFF: usize = 24;

/// The name of the archive or compressed format `head` (an entry's first bytes) starts like.
///
/// Names can lie (`inner.dat`); content cannot: these are the formats' own magic numbers, none
/// of which a record file (text) can begin with.
fn archive_format(head: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"PK\x03\x04", "zip"),
        (b"PK\x05\x06", "zip"),
        (b"PK\x07\x08", "zip"),
        (b"\x1f\x8b", "gzip"),
        (b"\xfd7zXZ\x00", "xz"),
        (b"\x28\xb5\x2f\xfd", "zstd"),
        (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
        (b"Rar!\x1a\x07", "RAR"),
        (b"\x04\x22\x4d\x18", "LZ4"),
        (b"MSCF\x00\x00\x00\x00", "cabinet"),
        (b"age-encryption.org/", "age"),
    ];
    if let Some((_, format)) = MAGIC.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Some(format);
    }
    // bzip2: `BZh`, the block size digit, then the block magic (π's digits in BCD).
    let bzip2 = head.len() >= 10
        && head.starts_with(b"BZh")
        && matches!(head.get(3), Some(b'1'..=b'9'))
        && head.get(4..10) == Some(b"1AY&SY".as_slice());
    bzip2.then_some("bzip2")
}

/// The first name the central directory holds twice, read from the raw directory records
/// (the zip crate's index keeps only one entry per name). At most `max_entries` records are
/// read; `None` when the directory cannot be walked.
fn first_duplicate(
    mut reader: impl Read + Seek,
    dir_start: u64,
    max_entries: u64,
) -> Option<String> {
    const SIGNATURE: [u8; 4] = [0x50, 0x4b, 0x01, 0x02];
    reader.seek(SeekFrom::Start(dir_start)).ok()?;
    let mut reader = io::BufReader::new(reader);
    let mut seen = HashSet::new();
    for _ in 0..=max_entries {
        let mut fixed = [0u8; 46];
        reader.read_exact(&mut fixed).ok()?;
        if fixed.get(..4)? != SIGNATURE {
            return None;
        }
        let field = |at: usize| -> Option<u64> {
            Some(u64::from(u16::from_le_bytes([*fixed.get(at)?, *fixed.get(at + 1)?])))
        };
        let (name_len, extra_len, comment_len) = (field(28)?, field(30)?, field(32)?);
        let mut name = Vec::new();
        (&mut reader).take(name_len).read_to_end(&mut name).ok()?;
        io::copy(&mut (&mut reader).take(extra_len + comment_len), &mut io::sink()).ok()?;
        if !seen.insert(name.clone()) {
            return Some(String::from_utf8_lossy(&name).into_owned());
        }
    }
    None
}

/// Why an entry name is refused, or `Ok` when it is a plain relative path.
fn check_name(name: &str) -> std::result::Result<(), &'static str> {
    if name.is_empty() {
        return Err("has an empty name");
    }
    if name.chars().any(char::is_control) {
        return Err("has a control character in its name: names like this hide what a file is \
                    or break the tools that list it");
    }
    if name.contains('\\') {
        return Err("has a backslash in its name: Windows reads it as a folder separator, so the \
                    file could land somewhere other than it seems; zip names use `/`");
    }
    if name.starts_with('/') {
        return Err("has an absolute path: extracting it would write outside the target folder");
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err("starts with a drive letter: extracting it on Windows would write outside \
                    the target folder");
    }
    if name.contains(':') {
        return Err("has a `:` in its name: Windows reads it as a drive or a hidden data stream");
    }
    let body = name.strip_suffix('/').unwrap_or(name);
    for component in body.split('/') {
        match component {
            ".." => {
                return Err("has a `..` component: extracting it would write outside the target \
                            folder (zip slip)")
            }
            "." => return Err("has a `.` component: zip names never need one"),
            "" => return Err("has an empty path component (`//`)"),
            _ => {}
        }
    }
    if !name.ends_with('/') {
        let lower = name.to_lowercase();
        if NESTED_ARCHIVE_ENDINGS.iter().any(|ending| lower.ends_with(ending)) {
            return Err("is an archive inside the archive: a teczka archive never holds one, and \
                        nested archives are how zip bombs recurse; unpack it separately if you \
                        trust it");
        }
    }
    Ok(())
}

/// Why an entry's file type is refused: only regular files and folders are accepted.
fn check_kind(
    file: &ZipFile<'_, Box<dyn Source>>,
    is_dir: bool,
) -> std::result::Result<(), &'static str> {
    if file.is_symlink() {
        return Err("is a symbolic link: extracting it could make later files land outside the \
                    target folder");
    }
    if file.system() != zip::System::Unix {
        return Ok(());
    }
    match (file.external_attributes() >> 16) & S_IFMT {
        0 | S_IFREG if !is_dir => Ok(()),
        0 | S_IFDIR if is_dir => Ok(()),
        S_IFREG | S_IFDIR => Err("is marked as a folder in its name but as a file in its mode \
                                  bits, or the other way round: the archive is forged"),
        S_IFLNK => Err("is a symbolic link: extracting it could make later files land outside \
                        the target folder"),
        _ => Err("is a special file (device, FIFO or socket): archives of records hold only \
                  files and folders"),
    }
}

/// Why an entry's encryption does not fit how the archive is opened, if it does not.
fn encryption_problem(encrypted: bool, password: bool, is_dir: bool) -> Option<&'static str> {
    match (encrypted, password) {
        (true, false) => Some("is encrypted: give the archive's password (`--zip-aes-env`)"),
        (false, true) if !is_dir => Some(
            "is not encrypted although the archive is opened with a password: in an encrypted \
             archive an unencrypted file is not authenticated, so anyone could have put it there",
        ),
        _ => None,
    }
}

/// Why an entry's compression method or declared sizes are refused, if they are.
fn entry_problem(
    method: CompressionMethod,
    size: u64,
    compressed: u64,
    limits: &Limits,
) -> Option<String> {
    if !matches!(method, CompressionMethod::Stored | CompressionMethod::Deflated) {
        return Some(format!(
            "uses compression method {method}: teczka reads only Stored and Deflate entries, \
             which every zip tool writes"
        ));
    }
    if size > limits.max_entry_bytes {
        return Some(format!(
            "declares {size} bytes, more than the limit of {} per entry; raise \
             `--max-entry-bytes` if the archive is trusted",
            limits.max_entry_bytes
        ));
    }
    if ratio_exceeded(size, compressed, limits.max_ratio) {
        return Some(format!(
            "declares {size} bytes compressed into {compressed}, a ratio over the limit of {}:1 \
             (a zip bomb looks like this); raise `--max-ratio` if the archive is trusted",
            limits.max_ratio
        ));
    }
    None
}

/// Whether `size` bytes out of `compressed` exceed the ratio limit (judged past
/// [`RATIO_FLOOR`] only).
fn ratio_exceeded(size: u64, compressed: u64, max_ratio: u64) -> bool {
    size > RATIO_FLOOR && size > compressed.saturating_mul(max_ratio)
}

/// A name made safe to print: control characters escaped, so a hostile name cannot rewrite
/// the terminal or forge log lines.
fn shown(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// The message for an entry that cannot be opened for reading.
fn entry_open_error(name: &str, error: &zip::result::ZipError) -> String {
    match error {
        zip::result::ZipError::InvalidPassword => {
            format!("entry `{}`: wrong password: the entry does not open with it", shown(name))
        }
        other => {
            format!("entry `{}` cannot be opened ({other}): the archive is damaged", shown(name))
        }
    }
}

/// The bytes of one archive entry, counted and bounded as they are read
/// (see [`SafeArchive::open_entry`]).
pub struct EntryReader<'a> {
    inner: ZipFile<'a, Box<dyn Source>>,
    /// The full entry name, for messages.
    name: String,
    declared: u64,
    compressed: u64,
    read: u64,
    limits: Limits,
    /// The entry's first bytes, until [`SNIFF`] are seen: an archive inside is recognised
    /// by its content, whatever its name. `None` once judged.
    head: Option<Vec<u8>>,
}

impl EntryReader<'_> {
    /// Keep the first bytes of `chunk` (or, at the end, what there was) and refuse the entry
    /// once they show an archive or a compressed file.
    fn sniff(&mut self, chunk: &[u8]) -> io::Result<()> {
        let Some(head) = self.head.as_mut() else { return Ok(()) };
        let wanted = SNIFF.saturating_sub(head.len()).min(chunk.len());
        head.extend_from_slice(chunk.get(..wanted).unwrap_or_default());
        if head.len() < SNIFF && !chunk.is_empty() {
            return Ok(()); // judged once SNIFF bytes or the end are reached
        }
        let format = archive_format(head);
        self.head = None;
        match format {
            Some(format) => Err(self.fail(&format!(
                "holds a {format} archive or compressed file, whatever its name says: a teczka \
                 archive never holds one, and nested archives are how zip bombs recurse; \
                 unpack it separately if you trust it"
            ))),
            None => Ok(()),
        }
    }
}

impl EntryReader<'_> {
    fn fail(&self, problem: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("entry `{}`: {problem}", shown(&self.name)),
        )
    }
}

impl Read for EntryReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                let text = e.to_string();
                let problem = if text.contains("checksum") {
                    "checksum (CRC-32) does not match: the entry is damaged or was altered"
                        .to_string()
                } else if text.contains("larger than its declared") {
                    "holds more bytes than its header declares: the archive is damaged or \
                     forged (zip bombs hide this way)"
                        .to_string()
                } else {
                    format!("cannot be read ({text}): the archive is damaged")
                };
                return Err(self.fail(&problem));
            }
        };
        self.read = self.read.saturating_add(n as u64);
        // The zip crate already stops at the declared size; these checks keep that promise
        // even if it did not.
        if self.read > self.declared {
            return Err(self.fail(
                "holds more bytes than its header declares: the archive is damaged or forged \
                 (zip bombs hide this way)",
            ));
        }
        if self.read > self.limits.max_entry_bytes {
            return Err(self.fail("is larger than the limit per entry"));
        }
        if ratio_exceeded(self.read, self.compressed, self.limits.max_ratio) {
            return Err(self.fail(&format!(
                "unpacks past the compression ratio limit of {}:1 (a zip bomb looks like this)",
                self.limits.max_ratio
            )));
        }
        if !buf.is_empty() {
            self.sniff(buf.get(..n).unwrap_or_default())?;
        }
        if n == 0 && !buf.is_empty() && self.read < self.declared {
            return Err(self.fail(&format!(
                "ends after {} of the {} bytes its header declares: the archive is damaged",
                self.read, self.declared
            )));
        }
        Ok(n)
    }
}

/// Decrypt an age-encrypted archive (binary or ASCII-armored) from `input` into `out`,
/// returning the number of bytes written. `source` names the input in messages.
///
/// A wrong identity or passphrase is an error saying so, as is a file that is not age or that
/// was altered (age authenticates every chunk, so a changed byte is an error, never wrong
/// output — but what was written before the error must be thrown away).
pub fn decrypt_age(
    input: impl Read,
    mut out: impl Write,
    identity: &Identity,
    source: &Path,
) -> Result<u64> {
    let mut reader = identity.open(input, &ARCHIVE, source)?;
    let mut buf = vec![0u8; CHUNK];
    let mut written = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ARCHIVE.error(source, identity, age::DecryptError::Io(e))),
        };
        out.write_all(buf.get(..n).unwrap_or_default())
            .map_err(|e| Error::io("decrypted archive", e))?;
        written = written.saturating_add(n as u64);
    }
    out.flush().map_err(|e| Error::io("decrypted archive", e))?;
    Ok(written)
}

/// The archive, as [`decrypt_age`] names it in messages.
const ARCHIVE: Sealed = Sealed {
    noun: "archive",
    give: "the `.age` archive as it was sent",
    passphrase_hint: "the passphrase",
    identity_hint: "its identity file",
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use zip::write::SimpleFileOptions;

    fn options() -> SimpleFileOptions {
        SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
    }

    /// A zip of `(name, content)` files, Deflate-compressed.
    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in files {
            zip.start_file(*name, options()).unwrap();
            zip.write_all(content).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// Replace every occurrence of `from` by `to` (same length): for names and fields the zip
    /// writer refuses to write.
    fn patch(mut bytes: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
        assert_eq!(from.len(), to.len());
        let mut hits = 0;
        let mut at = 0;
        while let Some(pos) = bytes[at..].windows(from.len()).position(|w| w == from) {
            bytes[at + pos..at + pos + from.len()].copy_from_slice(to);
            at += pos + from.len();
            hits += 1;
        }
        assert!(hits > 0, "nothing to patch");
        bytes
    }

    /// Offsets of every central directory record.
    fn central_records(bytes: &[u8]) -> Vec<usize> {
        bytes.windows(4).enumerate().filter(|(_, w)| *w == b"PK\x01\x02").map(|(i, _)| i).collect()
    }

    fn open_with(bytes: Vec<u8>, limits: &Limits, password: Option<&str>) -> Result<SafeArchive> {
        SafeArchive::open_reader(Cursor::new(bytes), Path::new("bag.zip"), limits, password)
    }

    fn open(bytes: Vec<u8>) -> Result<SafeArchive> {
        open_with(bytes, &Limits::default(), None)
    }

    fn refusal(bytes: Vec<u8>) -> String {
        match open(bytes) {
            Ok(_) => panic!("the archive was accepted"),
            Err(e) => e.to_string(),
        }
    }

    fn read_all(archive: &mut SafeArchive, name: &str) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        archive.open_entry(name).unwrap().read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn a_plain_bag_opens_and_reads() {
        let bytes = zip_of(&[("bag/bagit.txt", b"BagIt-Version: 1.0\n"), ("bag/data/x", b"hi")]);
        let mut archive = open(bytes).unwrap();
        assert_eq!(archive.root(), "bag");
        let names: Vec<(&str, u64, bool)> =
            archive.entries().map(|e| (e.name.as_str(), e.size, e.is_dir)).collect();
        assert_eq!(names, [("bagit.txt", 19, false), ("data/x", 2, false)]);
        assert_eq!(read_all(&mut archive, "data/x").unwrap(), b"hi");
        let e = archive.open_entry("data/y").err().unwrap();
        assert_eq!(e.to_string(), "bag.zip: holds no entry `data/y` in its bag folder");
    }

    #[test]
    fn folders_are_listed_without_their_slash_and_the_bag_folder_not_at_all() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.add_directory("bag/", options()).unwrap();
        zip.add_directory("bag/data/", options()).unwrap();
        zip.start_file("bag/data/x", options()).unwrap();
        let mut archive = open(zip.finish().unwrap().into_inner()).unwrap();
        let names: Vec<(&str, bool)> =
            archive.entries().map(|e| (e.name.as_str(), e.is_dir)).collect();
        assert_eq!(names, [("data", true), ("data/x", false)]);
        let e = archive.open_entry("data").err().unwrap();
        assert_eq!(e.to_string(), "bag.zip: entry `data` is a folder, not a file");
    }

    #[test]
    fn refuses_absolute_paths() {
        let bytes = patch(zip_of(&[("xbag/x", b"1")]), b"xbag/x", b"/bag/x");
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `/bag/x`: has an absolute path: extracting it would write outside \
             the target folder"
        );
    }

    #[test]
    fn refuses_drive_letters_and_colons() {
        let bytes = patch(zip_of(&[("C-/bag/x", b"1")]), b"C-/bag/x", b"C:/bag/x");
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `C:/bag/x`: starts with a drive letter: extracting it on Windows \
             would write outside the target folder"
        );
        let bytes = zip_of(&[("bag/x:stream", b"1")]);
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `bag/x:stream`: has a `:` in its name: Windows reads it as a drive \
             or a hidden data stream"
        );
    }

    #[test]
    fn refuses_parent_components() {
        let bytes = patch(zip_of(&[("bag/xx/y", b"1")]), b"bag/xx/y", b"bag/../y");
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `bag/../y`: has a `..` component: extracting it would write outside \
             the target folder (zip slip)"
        );
        let bytes = patch(zip_of(&[("bag/x/y", b"1")]), b"bag/x/y", b"bag/./y");
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `bag/./y`: has a `.` component: zip names never need one"
        );
        let bytes = patch(zip_of(&[("bag/x/y", b"1")]), b"bag/x/y", b"bag//yy");
        assert_eq!(refusal(bytes), "bag.zip: entry `bag//yy`: has an empty path component (`//`)");
    }

    #[test]
    fn refuses_backslashes() {
        let bytes = patch(zip_of(&[("bag/x-y", b"1")]), b"bag/x-y", b"bag/x\\y");
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `bag/x\\y`: has a backslash in its name: Windows reads it as a \
             folder separator, so the file could land somewhere other than it seems; zip names \
             use `/`"
        );
    }

    #[test]
    fn refuses_control_characters_and_escapes_them_in_the_message() {
        let bytes = patch(zip_of(&[("bag/x-y", b"1")]), b"bag/x-y", b"bag/x\x1by");
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `bag/x\\u{1b}y`: has a control character in its name: names like \
             this hide what a file is or break the tools that list it"
        );
    }

    #[test]
    fn refuses_duplicate_names() {
        let bytes = patch(zip_of(&[("bag/a", b"1"), ("bag/b", b"2")]), b"bag/b", b"bag/a");
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `bag/a`: appears twice: extracting would keep only one of them, and \
             tools disagree on which; the archive was not written by teczka or was altered"
        );
    }

    #[test]
    fn refuses_names_colliding_when_case_is_ignored() {
        let bytes = zip_of(&[("bag/data/Pupils.csv", b"1"), ("bag/data/pupils.csv", b"2")]);
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `bag/data/pupils.csv`: collides with `bag/data/Pupils.csv` when \
             case is ignored: on Windows and macOS they are one file or folder, so one would \
             silently replace or merge with the other"
        );
        // A folder spelled two ways is one folder there, as is a file with a name in two
        // Unicode normalisations.
        let bytes = zip_of(&[("bag/data/x", b"1"), ("bag/DATA/y", b"2")]);
        assert!(refusal(bytes).contains("collides with `bag/data` when case is ignored"));
        let bytes =
            zip_of(&[("bag/data/z\u{f3}\u{142}w", b"1"), ("bag/data/zo\u{301}\u{142}w", b"2")]);
        assert!(refusal(bytes).contains("in another Unicode normalisation"));
    }

    #[test]
    fn refuses_a_local_header_naming_another_file() {
        let bytes = zip_of(&[("bag/data/README.txt", b"1")]);
        // Only the local header's copy of the name changes; the central directory keeps it.
        let at = bytes.windows(19).position(|w| w == b"bag/data/README.txt").unwrap();
        let mut bytes = bytes;
        bytes[at..at + 19].copy_from_slice(b"bag/../../READ.txtx");
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `bag/data/README.txt`: its local header holds the name \
             `bag/../../READ.txtx`: tools disagree on which name to trust, so what is listed is \
             not what would be unpacked; the archive was not written by teczka or was altered"
        );
    }

    #[test]
    fn refuses_many_entries_that_together_exceed_the_ratio() {
        // Each entry 1 MiB, just at the per-entry floor; together 8 MiB of zeros.
        let zeros = vec![0u8; 1 << 20];
        let names: Vec<String> = (0..8).map(|i| format!("bag/data/{i}.csv")).collect();
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &zeros[..])).collect();
        let why = refusal(zip_of(&files));
        assert!(why.contains("a zip bomb of many entries"), "{why}");
    }

    #[test]
    fn refuses_an_archive_inside_whatever_its_name() {
        let inner = zip_of(&[("a/b.txt", b"x")]);
        let mut archive =
            open(zip_of(&[("bag/data/inner.dat", &inner), ("bag/data/ok.txt", b"PK")])).unwrap();
        let why = read_all(&mut archive, "data/inner.dat").unwrap_err().to_string();
        assert!(why.contains("holds a zip archive or compressed file, whatever its name"), "{why}");
        assert_eq!(read_all(&mut archive, "data/ok.txt").unwrap(), b"PK");
        for (head, format) in [
            (&b"\x1f\x8b\x08\x00"[..], "gzip"),
            (b"BZh91AY&SY", "bzip2"),
            (b"age-encryption.org/v1\n", "age"),
            (b"7z\xbc\xaf\x27\x1c\x00", "7-Zip"),
        ] {
            assert_eq!(archive_format(head), Some(format));
        }
        assert_eq!(archive_format(b"BZh,plain text"), None);
        assert_eq!(archive_format(b"pupil_id;surname"), None);
    }

    #[test]
    fn refuses_a_name_that_is_both_file_and_folder() {
        let bytes = zip_of(&[("bag/data/a", b"1"), ("bag/data/a/b", b"2")]);
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `bag/data/a/b`: lies inside a path that the archive also holds as a \
             file: a name cannot be both a file and a folder"
        );
    }

    #[test]
    fn refuses_symlinks() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.add_symlink("bag/data/link", "/etc/passwd", options()).unwrap();
        assert_eq!(
            refusal(zip.finish().unwrap().into_inner()),
            "bag.zip: entry `bag/data/link`: is a symbolic link: extracting it could make later \
             files land outside the target folder"
        );
    }

    #[test]
    fn refuses_special_files() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        // A FIFO: file type 0o010000 in the Unix mode (upper 16 bits).
        let fifo = options().external_attributes(0o010644 << 16);
        zip.start_file("bag/data/fifo", fifo).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `bag/data/fifo`: is a special file (device, FIFO or socket): \
             archives of records hold only files and folders"
        );
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("bag/data/d", options().external_attributes(0o040755 << 16)).unwrap();
        assert_eq!(
            refusal(zip.finish().unwrap().into_inner()),
            "bag.zip: entry `bag/data/d`: is marked as a folder in its name but as a file in its \
             mode bits, or the other way round: the archive is forged"
        );
    }

    #[test]
    fn refuses_overlapping_entries() {
        let bytes = zip_of(&[("bag/a", b"first file"), ("bag/b", b"second file")]);
        // Point the second central directory record at the first entry's local header.
        let mut bytes = bytes;
        let second = central_records(&bytes)[1];
        bytes[second + 42..second + 46].copy_from_slice(&0u32.to_le_bytes());
        // Its local header names `bag/a`, which is refused before the overlap is judged;
        // overlaps whose local names agree (each entry its own header over shared data) are
        // the overlap check's.
        let why = refusal(bytes);
        assert!(why.starts_with("bag.zip: entry `bag/b`: its local header holds"), "{why}");

        // Each entry its own header, but the first claims data running into the second's.
        let mut bytes = zip_of(&[("bag/a", b"first file"), ("bag/b", b"second file")]);
        let first = central_records(&bytes)[0];
        bytes[first + 20..first + 24].copy_from_slice(&40u32.to_le_bytes());
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `bag/b`: overlaps entry `bag/a` in the file: overlapping entries let \
             a small archive unpack to many large files; the archive was not written by teczka"
        );
    }

    #[test]
    fn refuses_too_many_entries() {
        let bytes = zip_of(&[("bag/a", b"1"), ("bag/b", b"2"), ("bag/c", b"3")]);
        let limits = Limits { max_entries: 2, ..Limits::default() };
        let e = open_with(bytes, &limits, None).err().unwrap();
        assert_eq!(
            e.to_string(),
            "bag.zip: holds 3 entries, more than the limit of 2: a teczka archive holds one file \
             per output; raise `--max-entries` if the archive is trusted"
        );
    }

    #[test]
    fn refuses_declared_sizes_over_the_limits() {
        let bytes = zip_of(&[("bag/a", &[b'a'; 20]), ("bag/b", &[b'b'; 20])]);
        let limits = Limits { max_entry_bytes: 19, ..Limits::default() };
        let e = open_with(bytes.clone(), &limits, None).err().unwrap();
        assert_eq!(
            e.to_string(),
            "bag.zip: entry `bag/a`: declares 20 bytes, more than the limit of 19 per entry; \
             raise `--max-entry-bytes` if the archive is trusted"
        );
        let limits = Limits { max_total_bytes: 39, ..Limits::default() };
        let e = open_with(bytes, &limits, None).err().unwrap();
        assert_eq!(
            e.to_string(),
            "bag.zip: entry `bag/b`: brings the archive's total size over the limit of 39 bytes; \
             raise `--max-total-bytes` if the archive is trusted"
        );
    }

    #[test]
    fn refuses_a_compression_ratio_over_the_limit() {
        let zeros = vec![0u8; 4 << 20];
        let bytes = zip_of(&[("bag/data/bomb", &zeros)]);
        let compressed =
            open_with(bytes.clone(), &Limits { max_ratio: 10_000, ..Limits::default() }, None)
                .unwrap()
                .entries
                .first()
                .unwrap()
                .compressed;
        assert_eq!(
            refusal(bytes),
            format!(
                "bag.zip: entry `bag/data/bomb`: declares 4194304 bytes compressed into \
                 {compressed}, a ratio over the limit of 100:1 (a zip bomb looks like this); \
                 raise `--max-ratio` if the archive is trusted"
            )
        );
        // Small files are not judged by ratio: tag files compress very well.
        assert!(open(zip_of(&[("bag/data/small", &[0u8; 100_000])])).is_ok());
    }

    #[test]
    fn a_header_that_understates_the_size_does_not_let_a_bomb_through() {
        let zeros = vec![0u8; 4 << 20];
        let bytes = zip_of(&[("bag/data/bomb", &zeros)]);
        // Declare 1,000 bytes instead of 4 MiB, in the local and the central header.
        let bytes = patch(bytes, &(4u32 << 20).to_le_bytes(), &1000u32.to_le_bytes());
        let mut archive = open(bytes).unwrap();
        assert_eq!(archive.entry("data/bomb").unwrap().size, 1000);
        let e = read_all(&mut archive, "data/bomb").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            e.to_string(),
            "entry `bag/data/bomb`: holds more bytes than its header declares: the archive is \
             damaged or forged (zip bombs hide this way)"
        );
    }

    #[test]
    fn a_header_that_overstates_the_size_is_an_error_at_the_end() {
        let options = options().compression_method(CompressionMethod::Stored);
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("bag/data/x", options).unwrap();
        zip.write_all(b"0123456789").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        // Uncompressed size field: 10 → 20 (the compressed size stays 10).
        let mut bytes = bytes;
        for record in central_records(&bytes) {
            bytes[record + 24..record + 28].copy_from_slice(&20u32.to_le_bytes());
        }
        let mut archive = open(bytes).unwrap();
        let e = read_all(&mut archive, "data/x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "entry `bag/data/x`: ends after 10 of the 20 bytes its header declares: the archive \
             is damaged"
        );
    }

    #[test]
    fn a_damaged_entry_fails_its_checksum() {
        let options = options().compression_method(CompressionMethod::Stored);
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("bag/data/x", options).unwrap();
        zip.write_all(b"hello world").unwrap();
        let bytes = patch(zip.finish().unwrap().into_inner(), b"hello world", b"hellO world");
        let mut archive = open(bytes).unwrap();
        assert_eq!(
            read_all(&mut archive, "data/x").unwrap_err().to_string(),
            "entry `bag/data/x`: checksum (CRC-32) does not match: the entry is damaged or was \
             altered"
        );
    }

    #[test]
    fn refuses_nested_archives() {
        let bytes = zip_of(&[("bag/data/inner.ZIP", b"PK")]);
        assert_eq!(
            refusal(bytes),
            "bag.zip: entry `bag/data/inner.ZIP`: is an archive inside the archive: a teczka \
             archive never holds one, and nested archives are how zip bombs recurse; unpack it \
             separately if you trust it"
        );
        assert!(refusal(zip_of(&[("bag/data/x.age", b"")])).contains("archive inside"));
        assert!(refusal(zip_of(&[("bag/data/x.7z", b"")])).contains("archive inside"));
    }

    fn aes_zip(files: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content, encrypted) in files {
            let o = if *encrypted {
                options().with_aes_encryption(zip::AesMode::Aes256, "correct horse battery")
            } else {
                options()
            };
            zip.start_file(*name, o).unwrap();
            zip.write_all(content).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn encrypted_entries_need_the_password() {
        let bytes = aes_zip(&[("bag/data/x", b"secret records", true)]);
        assert_eq!(
            refusal(bytes.clone()),
            "bag.zip: entry `bag/data/x`: is encrypted: give the archive's password \
             (`--zip-aes-env`)"
        );
        let e = open_with(bytes.clone(), &Limits::default(), Some("wrong")).err().unwrap();
        assert_eq!(
            e.to_string(),
            "bag.zip: entry `bag/data/x`: wrong password: the entry does not open with it"
        );
        let mut archive =
            open_with(bytes, &Limits::default(), Some("correct horse battery")).unwrap();
        assert_eq!(read_all(&mut archive, "data/x").unwrap(), b"secret records");
    }

    #[test]
    fn with_a_password_every_file_must_be_encrypted() {
        let bytes = aes_zip(&[("bag/data/x", b"secret", true), ("bag/data/y", b"planted", false)]);
        let e = open_with(bytes, &Limits::default(), Some("correct horse battery")).err().unwrap();
        assert_eq!(
            e.to_string(),
            "bag.zip: entry `bag/data/y`: is not encrypted although the archive is opened with a \
             password: in an encrypted archive an unencrypted file is not authenticated, so \
             anyone could have put it there"
        );
    }

    #[test]
    fn refuses_compression_methods_other_than_stored_and_deflate() {
        let options = options().compression_method(CompressionMethod::Stored);
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("bag/data/x", options).unwrap();
        zip.write_all(b"x").unwrap();
        let mut bytes = zip.finish().unwrap().into_inner();
        for record in central_records(&bytes) {
            bytes[record + 10..record + 12].copy_from_slice(&12u16.to_le_bytes());
            // bzip2
        }
        let message = refusal(bytes);
        assert!(
            message.starts_with("bag.zip: entry `bag/data/x`: uses compression method "),
            "{message}"
        );
        assert!(
            message.ends_with(
                ": teczka reads only Stored and Deflate entries, which every zip tool writes"
            ),
            "{message}"
        );
    }

    #[test]
    fn needs_exactly_one_top_level_folder() {
        assert_eq!(
            refusal(zip_of(&[("a/x", b"1"), ("b/x", b"2")])),
            "bag.zip: has several top-level folders (`a`, `b`): a teczka archive holds exactly \
             one, the bag"
        );
        assert_eq!(
            refusal(zip_of(&[("bagit.txt", b"1")])),
            "bag.zip: entry `bagit.txt`: is a file at the top level: a teczka archive holds one \
             folder, the bag, and everything inside it"
        );
        assert_eq!(
            refusal(zip_of(&[])),
            "bag.zip: is an empty zip archive: it holds no bag folder"
        );
        assert!(refusal(b"not a zip at all".to_vec())
            .starts_with("bag.zip: not a readable zip archive ("));
    }

    #[test]
    fn extracts_into_a_new_folder_only() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = zip_of(&[("bag/bagit.txt", b"B"), ("bag/data/records/p.csv", b"a;b\n")]);
        let mut archive = open(bytes.clone()).unwrap();
        let dest = dir.path().join("out");
        archive.extract_to(&dest).unwrap();
        assert_eq!(fs::read(dest.join("bagit.txt")).unwrap(), b"B");
        assert_eq!(fs::read(dest.join("data/records/p.csv")).unwrap(), b"a;b\n");
        let e = open(bytes).unwrap().extract_to(&dest).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: already exists: give a folder that does not exist yet; teczka extracts only \
                 into a folder it creates, so nothing there can be overwritten",
                dest.display()
            )
        );
    }

    #[test]
    fn a_failed_extraction_leaves_nothing_behind() {
        let options = options().compression_method(CompressionMethod::Stored);
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("bag/a", options).unwrap();
        zip.write_all(b"fine").unwrap();
        zip.start_file("bag/data/x", options).unwrap();
        zip.write_all(b"hello world").unwrap();
        let bytes = patch(zip.finish().unwrap().into_inner(), b"hello world", b"hellO world");
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        let e = open(bytes).unwrap().extract_to(&dest).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bag.zip: entry `bag/data/x`: checksum (CRC-32) does not match: the entry is damaged \
             or was altered"
        );
        assert!(!dest.exists());
    }

    #[test]
    fn age_encrypted_archives_open_with_the_passphrase_only() {
        let bytes = zip_of(&[("bag/data/x", b"hi")]);
        let mut recipient = age::scrypt::Recipient::new(age::secrecy::SecretString::from(
            "a long passphrase".to_string(),
        ));
        // Fixed: age calibrates the work factor to the machine, past what teczka accepts on
        // a fast one.
        recipient.set_work_factor(crate::crypto::age::SCRYPT_LOG_N);
        let encrypted = age::encrypt(&recipient, &bytes).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bag.zip.age");
        fs::write(&path, &encrypted).unwrap();
        let good = Identity::Passphrase("a long passphrase".into());
        let mut archive = SafeArchive::open_age(&path, &good, &Limits::default(), None).unwrap();
        assert_eq!(read_all(&mut archive, "data/x").unwrap(), b"hi");
        let bad = Identity::Passphrase("another passphrase".into());
        let e = SafeArchive::open_age(&path, &bad, &Limits::default(), None).err().unwrap();
        assert_eq!(
            e.to_string(),
            format!("{}: wrong passphrase: the archive does not open with it", path.display())
        );
        let mut out = Vec::new();
        let e = decrypt_age(&bytes[..], &mut out, &good, Path::new("bag.zip")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bag.zip: not an age-encrypted file: give the `.age` archive as it was sent"
        );
    }

    /// An age file to `recipient` with `extra` random X25519 stanzas inserted before its own.
    fn crowded_age(plain: &[u8], recipient: &age::x25519::Recipient, extra: usize) -> Vec<u8> {
        let sealed = age::encrypt(recipient, plain).unwrap();
        let at = sealed.windows(4).position(|w| w == b"\n-> ").unwrap() + 1;
        let stanza = "-> X25519 C6Nc4nSc8QWdC0WtD0rE6Vp9bLiGvyqF4QPlWuFvQhk\n\
                      8tAVYvG5T1oQeWr8kL7JmHhb2bT5m3rNw1dZp0sXyZc\n";
        let mut out = sealed[..at].to_vec();
        out.extend(stanza.repeat(extra).into_bytes());
        out.extend_from_slice(&sealed[at..]);
        out
    }

    #[test]
    fn hostile_age_headers_are_refused_before_any_key_is_tried() {
        use crate::crypto::age::{MAX_AGE_STANZAS, SCRYPT_LOG_N};
        let dir = tempfile::tempdir().unwrap();
        let id_path = dir.path().join("id.txt");
        let recipient = crate::crypto::age::write_new_age_identity(&id_path).unwrap();
        let recipient: age::x25519::Recipient = recipient.parse().unwrap();
        let identity = Identity::File(id_path);
        let plain = zip_of(&[("bag/data/x", b"hi")]);

        // Up to the cap, stanzas are fine (age adds one of its own, "grease"): a file to
        // 62 others and to us opens.
        let others: Vec<age::x25519::Recipient> = (0..MAX_AGE_STANZAS - 2)
            .map(|_| age::x25519::Identity::generate().to_public())
            .collect();
        let all = others.iter().chain(std::iter::once(&recipient)).map(|r| r as _);
        let mut fine = Vec::new();
        let mut writer =
            age::Encryptor::with_recipients(all).unwrap().wrap_output(&mut fine).unwrap();
        io::Write::write_all(&mut writer, &plain).unwrap();
        writer.finish().unwrap();
        let mut out = Vec::new();
        decrypt_age(&fine[..], &mut out, &identity, Path::new("ok.age")).unwrap();
        assert_eq!(out, plain);

        // 2,000 stanzas (237 KB) took the age crate up to a minute to refuse.
        let started = std::time::Instant::now();
        for extra in [MAX_AGE_STANZAS, 2_000, 5_000] {
            let hostile = crowded_age(&plain, &recipient, extra);
            let e = decrypt_age(&hostile[..], Vec::new(), &identity, Path::new("s.age"))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("s.age: the age header holds more than 64"), "{e}");
        }
        // One endless header line, and a header with no end.
        let mut long = b"age-encryption.org/v1\n-> X25519 ".to_vec();
        long.extend(vec![b'A'; 200_000]);
        let mut lines = b"age-encryption.org/v1\n-> X25519 AAAA\n".to_vec();
        lines.extend(b"AAAA\n".repeat(50_000));
        for hostile in [long, lines] {
            let e = decrypt_age(&hostile[..], Vec::new(), &identity, Path::new("h.age"))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("h.age: the age header is longer than 64 KiB"), "{e}");
        }
        assert!(started.elapsed().as_millis() < 1_000, "took {:?}", started.elapsed());

        // A passphrase file asking for 2^20 scrypt work (1 GiB) is refused before any work.
        let mut scrypt = age::scrypt::Recipient::new(age::secrecy::SecretString::from(
            "a long passphrase".to_string(),
        ));
        scrypt.set_work_factor(SCRYPT_LOG_N);
        let sealed = age::encrypt(&scrypt, &plain).unwrap();
        let at = sealed.windows(4).position(|w| w == b" 18\n").unwrap();
        let mut greedy = sealed.clone();
        greedy[at..at + 4].copy_from_slice(b" 20\n");
        let passphrase = Identity::Passphrase("a long passphrase".into());
        let started = std::time::Instant::now();
        let e = decrypt_age(&greedy[..], Vec::new(), &passphrase, Path::new("w.age"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("w.age: the archive asks for passphrase work 2^20, more than"),
            "{e}"
        );
        assert!(started.elapsed().as_millis() < 1_000, "took {:?}", started.elapsed());
        let mut out = Vec::new();
        decrypt_age(&sealed[..], &mut out, &passphrase, Path::new("ok.age")).unwrap();
        assert_eq!(out, plain);
    }

    #[test]
    fn shown_escapes_control_characters_only() {
        assert_eq!(shown("żółw/a\nb\u{7f}"), "żółw/a\\u{a}b\\u{7f}");
    }
}
