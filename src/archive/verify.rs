//! Checking the BagIt bag (RFC 8493) inside a [`SafeArchive`].
//!
//! [`verify_bag`] checks what `bagit.py --validate` checks, plus what a teczka archive
//! promises (SPEC §6):
//!
//! * `bagit.txt` exists, is UTF-8, and says `BagIt-Version: 1.0` (or `0.97`, bagit-python's
//!   default) and
//!   `Tag-File-Character-Encoding: UTF-8`;
//! * manifest paths are read as the declared version writes them: RFC 8493
//!   percent-encodes CR, LF and `%`, while a 0.97 bag leaves `%` as it is;
//! * there is a payload manifest in an algorithm teczka checks (`manifest-sha512.txt`,
//!   `manifest-sha256.txt`; others are reported as unchecked), every payload file under
//!   `data/` is listed in every manifest, every listed file exists, every checksum matches;
//! * every tag file a `tagmanifest-<alg>.txt` lists exists and matches, and every tag file
//!   is listed (when there is a tag manifest);
//! * `bag-info.txt` has a `Payload-Oxum` (`octets.count`) matching the payload;
//! * nothing lies outside `data/` but tag files, and there is no `fetch.txt` (a teczka bag is
//!   complete); `tagmanifest-sha512.txt.minisig`, the bag's signature, is a tag file no
//!   manifest lists (it vouches for them), and [`check_signature`] checks it.
//!
//! Every problem found becomes a [`Finding`] and checking goes on: the person verifying wants
//! the whole list, not the first item. Each file is read once, hashing with every algorithm
//! needed as it streams, so memory stays bounded whatever the payload's size; tag files are
//! read into memory up to 64 MiB each (a manifest of 10,000 files is about 1.5 MiB).

use super::read::SafeArchive;
use super::sign::{TrustedKey, SIGNATURE_FILE, SIGNED_FILE};
use crate::crypto::keys::hex;
use crate::error::Result;
use sha2::{Digest, Sha256, Sha512};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::{self, Read};

/// The largest tag file (manifest, `bag-info.txt`, …) read into memory.
const MAX_TAG_FILE: u64 = 64 << 20;
/// Bytes hashed at a time.
const CHUNK: usize = 64 * 1024;

/// One problem with a bag: which file, what is wrong and what it means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The file concerned, relative to the bag folder (`data/records/pupils.xml`,
    /// `manifest-sha512.txt`), or `(bag)` for the bag as a whole.
    pub file: String,
    /// What is wrong and what it means, in plain words.
    pub problem: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.problem)
    }
}

/// The outcome of [`verify_bag`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verification {
    /// Every problem found, in the order found; empty when the bag is sound.
    pub findings: Vec<Finding>,
    /// Payload files (under `data/`) read.
    pub files: u64,
    /// Payload bytes read.
    pub payload_bytes: u64,
    /// The `bag-info.txt` entries (label, value), in file order.
    pub bag_info: Vec<(String, String)>,
}

impl Verification {
    /// Whether the bag is sound: no finding at all.
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }

    fn find(&mut self, file: &str, problem: impl Into<String>) {
        self.findings.push(Finding { file: file.to_string(), problem: problem.into() });
    }
}

/// A checksum algorithm teczka checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Alg {
    Sha256,
    Sha512,
}

impl Alg {
    fn from_name(name: &str) -> Option<Alg> {
        match name {
            "sha256" => Some(Alg::Sha256),
            "sha512" => Some(Alg::Sha512),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Alg::Sha256 => "sha256",
            Alg::Sha512 => "sha512",
        }
    }
}

/// How a manifest writes a file's path, which is what the bag's `BagIt-Version` says: the one
/// difference between BagIt 1.0 and 0.97 that changes what a checksum is matched against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PathEncoding {
    /// RFC 8493 (BagIt 1.0) §2.1.3: CR, LF and `%` are percent-encoded (`%0D`, `%0A`, `%25`).
    Rfc8493,
    /// BagIt 0.97 defines no encoding. bagit-python, which writes 0.97, writes CR and LF as
    /// `%0D` and `%0A` and leaves `%` as it is, so `data/100%25.txt` names a file called
    /// `100%25.txt`, not `100%.txt`.
    Draft097,
}

impl PathEncoding {
    /// The encoding the `BagIt-Version` in `bagit.txt` (its content) declares: 0.97's for
    /// `0.97`, RFC 8493's otherwise. Another version, or none, is a finding of its own
    /// ([`verify_bag`] reports it); the manifests are then read as RFC 8493 writes them.
    fn declared_in(bagit_txt: &[u8]) -> PathEncoding {
        let text = String::from_utf8_lossy(bagit_txt);
        let version = text.lines().find_map(|line| {
            let (label, value) = line.split_once(':')?;
            (label.trim_start_matches('\u{feff}').trim() == "BagIt-Version").then(|| value.trim())
        });
        match version {
            Some("0.97") => PathEncoding::Draft097,
            _ => PathEncoding::Rfc8493,
        }
    }

    /// What `archive`'s `bagit.txt` declares (see [`PathEncoding::declared_in`]); RFC 8493's
    /// when it cannot be read, which is a finding of its own.
    fn of(archive: &mut SafeArchive) -> PathEncoding {
        let mut content = Vec::new();
        let read = archive
            .open_entry("bagit.txt")
            .ok()
            .map(|reader| reader.take(MAX_BAGIT_TXT).read_to_end(&mut content));
        match read {
            Some(Ok(_)) => PathEncoding::declared_in(&content),
            _ => PathEncoding::Rfc8493,
        }
    }
}

/// The most of `bagit.txt` read to learn the bag's version (the file has two short lines).
const MAX_BAGIT_TXT: u64 = 64 << 10;

/// A parsed (payload or tag) manifest.
struct Manifest {
    /// `manifest-sha512.txt` and so on.
    file: String,
    alg: Alg,
    /// Path → expected lowercase hex checksum.
    sums: BTreeMap<String, String>,
}

/// What reading one file gave.
struct Read_ {
    content: Option<Vec<u8>>,
    digests: HashMap<Alg, String>,
    bytes: u64,
}

/// Verify the bag in `archive`: structure, manifests, checksums and Payload-Oxum, as
/// `bagit.py --validate` checks them and more. Problems with the bag are the findings of the
/// verification it returns; an `Err` means the archive itself could not be read.
///
/// # Example
///
/// ```
/// use std::io::{Cursor, Write};
/// use teczka::{verify_bag, ArchiveLimits, SafeArchive};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
/// let options = zip::write::SimpleFileOptions::default();
/// zip.start_file("bag/bagit.txt", options)?;
/// zip.write_all(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")?;
/// zip.start_file("bag/data/x", options)?; // listed in no manifest
/// zip.write_all(b"hello")?;
/// let bytes = zip.finish()?.into_inner();
///
/// let mut archive = SafeArchive::open_reader(
///     Cursor::new(bytes),
///     "bag.zip".as_ref(),
///     &ArchiveLimits::default(),
///     None,
/// )?;
/// let verification = verify_bag(&mut archive)?;
/// assert!(!verification.is_ok());
/// assert_eq!(verification.files, 1);
/// let problems: Vec<String> = verification.findings.iter().map(|f| f.to_string()).collect();
/// assert_eq!(problems.len(), 2);
/// assert!(problems[0].starts_with("bag-info.txt: is missing"));
/// assert!(problems[1].starts_with("(bag): has no manifest-sha512.txt"));
/// # Ok(())
/// # }
/// ```
pub fn verify_bag(archive: &mut SafeArchive) -> Result<Verification> {
    let mut v = Verification::default();
    // By name, not in the zip's order: a bag's findings read the same whether it comes zipped
    // or unzipped into a folder, and whichever tool zipped it.
    let mut files: Vec<String> =
        archive.entries().filter(|e| !e.is_dir).map(|e| e.name.clone()).collect();
    files.sort();
    if !archive.entries().any(|e| e.name == "data" || is_payload(&e.name)) {
        v.find("data/", "the payload folder `data/` is missing: this is not a complete bag");
    }
    // The version first: it says how the manifests write paths. Then the tag manifests: they
    // say which algorithms the other tag files are hashed with.
    let encoding = PathEncoding::of(archive);
    let tag_manifests = read_tag_manifests(archive, &mut v, &files, encoding);
    let tags = read_tag_files(archive, &mut v, &files, &algs_of(&tag_manifests), encoding);
    let info = check_declarations(&mut v, &files, tags.bagit, tags.bag_info, &tags.manifests);
    check_payload(archive, &mut v, &files, &tags.manifests);
    let listed_tags = check_tag_manifests(&mut v, &files, &tag_manifests, &tags.digests);
    check_outside_payload(&mut v, &files, !tag_manifests.is_empty(), &listed_tags);
    if let Some(info) = &info {
        check_oxum(&mut v, info);
    }
    Ok(v)
}

/// Whether a path a manifest lists points out of the bag: absolute, or through `..`. Such a
/// path is never looked up (the archive holds no such name), only reported.
fn leaves_the_bag(path: &str) -> bool {
    path.starts_with(['/', '\\'])
        || path.split(['/', '\\']).any(|part| part == "..")
        || path.as_bytes().get(1) == Some(&b':')
}

/// The finding for a manifest path that [leaves the bag](leaves_the_bag).
fn leaves(manifest: &str) -> String {
    format!(
        "is listed in {manifest} but points outside the bag (an absolute path or `..`): a \
         manifest lists files inside the bag only, so it was written wrongly or tampered with; \
         the file was not read"
    )
}

fn is_payload(name: &str) -> bool {
    name.starts_with("data/")
}

fn top_level(name: &str) -> bool {
    !name.contains('/')
}

/// Whether `name` is one of the tag files a bag defines: `bagit.txt`, `bag-info.txt`, a
/// payload or a tag manifest.
fn is_known_tag(name: &str) -> bool {
    top_level(name)
        && (name == "bagit.txt"
            || name == "bag-info.txt"
            || manifest_alg(name, "manifest-").is_some()
            || manifest_alg(name, "tagmanifest-").is_some())
}

/// The finding for a file whose `alg` checksum differs from what `manifest` recorded.
fn mismatch(alg: Alg, manifest: &str) -> String {
    format!(
        "{} checksum does not match {manifest}: the file was changed or damaged after the bag \
         was made",
        alg.name()
    )
}

/// Every readable tag manifest of a supported algorithm.
fn read_tag_manifests(
    archive: &mut SafeArchive,
    v: &mut Verification,
    files: &[String],
    encoding: PathEncoding,
) -> Vec<Manifest> {
    let mut tag_manifests = Vec::new();
    for name in files.iter().filter(|n| top_level(n)) {
        let Some(alg) = manifest_alg(name, "tagmanifest-") else { continue };
        let Some(alg) = supported(v, name, alg) else { continue };
        if let Some(read) = read_file(archive, v, name, &[], true) {
            let content = read.content.as_deref();
            if let Some(manifest) = parse_manifest(v, name, alg, content, encoding) {
                tag_manifests.push(manifest);
            }
        }
    }
    tag_manifests
}

/// The files outside `data/` but the tag manifests, as read.
struct TagFiles {
    /// Each file's digests in the tag manifests' algorithms.
    digests: HashMap<String, HashMap<Alg, String>>,
    /// The payload manifests.
    manifests: Vec<Manifest>,
    bagit: Option<Vec<u8>>,
    bag_info: Option<Vec<u8>>,
}

/// Every other file outside `data/`: hashed for the tag manifests; `bagit.txt`,
/// `bag-info.txt` and the payload manifests kept to be parsed.
fn read_tag_files(
    archive: &mut SafeArchive,
    v: &mut Verification,
    files: &[String],
    tag_algs: &[Alg],
    encoding: PathEncoding,
) -> TagFiles {
    let mut tags =
        TagFiles { digests: HashMap::new(), manifests: Vec::new(), bagit: None, bag_info: None };
    for name in files.iter().filter(|n| !is_payload(n)) {
        if top_level(name) && manifest_alg(name, "tagmanifest-").is_some() {
            continue;
        }
        let keep = is_known_tag(name);
        let Some(read) = read_file(archive, v, name, tag_algs, keep) else { continue };
        tags.digests.insert(name.clone(), read.digests);
        match name.as_str() {
            "bagit.txt" => tags.bagit = read.content,
            "bag-info.txt" => tags.bag_info = read.content,
            _ => {
                let Some(alg) = manifest_alg(name, "manifest-") else { continue };
                let Some(alg) = supported(v, name, alg) else { continue };
                if let Some(m) = parse_manifest(v, name, alg, read.content.as_deref(), encoding) {
                    tags.manifests.push(m);
                }
            }
        }
    }
    tags
}

/// `bagit.txt`, `bag-info.txt` and at least one payload manifest: present and well-formed.
/// The parsed `bag-info.txt`, if any.
fn check_declarations(
    v: &mut Verification,
    files: &[String],
    bagit: Option<Vec<u8>>,
    bag_info: Option<Vec<u8>>,
    manifests: &[Manifest],
) -> Option<Vec<(String, String)>> {
    match bagit {
        Some(content) => check_bagit(v, &content),
        None if files.iter().any(|n| n == "bagit.txt") => {} // unreadable: already a finding
        None => v.find("bagit.txt", "is missing: without it the folder is not a BagIt bag"),
    }
    let info = bag_info.and_then(|content| parse_bag_info(v, &content));
    if let Some(info) = &info {
        v.bag_info = info.clone();
    } else if !files.iter().any(|n| n == "bag-info.txt") {
        v.find(
            "bag-info.txt",
            "is missing: a teczka bag records its source, date and Payload-Oxum there",
        );
    }
    if manifests.is_empty() {
        v.find(
            "(bag)",
            "has no manifest-sha512.txt or manifest-sha256.txt: the payload's checksums cannot \
             be checked",
        );
    }
    info
}

/// The payload, each file read once with every manifest's algorithm and checked against every
/// manifest; then every manifest's entries present and inside `data/`.
fn check_payload(
    archive: &mut SafeArchive,
    v: &mut Verification,
    files: &[String],
    manifests: &[Manifest],
) {
    let payload_algs = algs_of(manifests);
    let mut present: HashSet<&str> = HashSet::new();
    for name in files.iter().filter(|n| is_payload(n)) {
        present.insert(name);
        v.files += 1;
        let Some(read) = read_file(archive, v, name, &payload_algs, false) else {
            v.payload_bytes += archive.entry(name).map_or(0, |e| e.size);
            continue;
        };
        v.payload_bytes += read.bytes;
        for manifest in manifests {
            match manifest.sums.get(name.as_str()) {
                None => v.find(
                    name,
                    format!(
                        "is not listed in {}: the bag's maker did not record this file; it may \
                         have been added afterwards",
                        manifest.file
                    ),
                ),
                Some(expected) if read.digests.get(&manifest.alg) != Some(expected) => {
                    v.find(name, mismatch(manifest.alg, &manifest.file))
                }
                Some(_) => {}
            }
        }
    }
    for manifest in manifests {
        for path in manifest.sums.keys() {
            if leaves_the_bag(path) {
                v.find(path, leaves(&manifest.file));
            } else if !is_payload(path) {
                v.find(
                    path,
                    format!(
                        "is listed in {} but lies outside `data/`: a payload manifest lists \
                         only payload files",
                        manifest.file
                    ),
                );
            } else if !present.contains(path.as_str()) {
                v.find(path, format!("is listed in {} but missing from the bag", manifest.file));
            }
        }
    }
}

/// Every tag file the tag manifests list: present and matching. The names they list.
fn check_tag_manifests<'m>(
    v: &mut Verification,
    files: &[String],
    tag_manifests: &'m [Manifest],
    digests: &HashMap<String, HashMap<Alg, String>>,
) -> HashSet<&'m str> {
    let mut listed = HashSet::new();
    for manifest in tag_manifests {
        for (path, expected) in &manifest.sums {
            listed.insert(path.as_str());
            match digests.get(path) {
                None if leaves_the_bag(path) => v.find(path, leaves(&manifest.file)),
                None if files.contains(path) => {} // unreadable: already a finding
                None => {
                    v.find(path, format!("is listed in {} but missing from the bag", manifest.file))
                }
                Some(digests) if digests.get(&manifest.alg) != Some(expected) => {
                    v.find(path, mismatch(manifest.alg, &manifest.file))
                }
                Some(_) => {}
            }
        }
    }
    listed
}

/// What lies outside `data/`: tag files only, each listed in the tag manifest when there is
/// one.
fn check_outside_payload(
    v: &mut Verification,
    files: &[String],
    has_tag_manifest: bool,
    listed_tags: &HashSet<&str>,
) {
    for name in files.iter().filter(|n| !is_payload(n)) {
        let known_tag = is_known_tag(name);
        if name == SIGNATURE_FILE {
            // Signs the tag manifest, so no manifest can list it; check_signature checks it.
            continue;
        }
        if name == "fetch.txt" {
            v.find(
                name,
                "the bag refers to files to be downloaded: a teczka bag is complete, and teczka \
                 never fetches",
            );
        } else if !known_tag && !listed_tags.contains(name.as_str()) {
            v.find(
                name,
                "lies outside `data/` and is no tag file of the bag: nothing vouches for it",
            );
        } else if has_tag_manifest
            && known_tag
            && manifest_alg(name, "tagmanifest-").is_none()
            && !listed_tags.contains(name.as_str())
        {
            v.find(name, "is not listed in the tag manifest: its checksum cannot be checked");
        }
    }
}

/// What a bag's minisign signature ([`SIGNATURE_FILE`]) says, as far as the key given lets it
/// be checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The bag is not signed, and no signature was asked for.
    Unsigned,
    /// The bag carries a signature, but no trusted key was given to check it. The key id the
    /// signature names is not given: anyone can sign with their own key under the school's key
    /// id, so it proves nothing and must not be shown as if it did.
    Unverified,
    /// The signature holds under the trusted key.
    Good {
        /// The trusted key's id.
        key_id: String,
        /// The signed trusted comment (the archive's time and the file signed).
        trusted_comment: String,
    },
    /// A trusted key was given and the signature is missing, made by another key, or does not
    /// match.
    Bad(Finding),
}

/// Check the bag's signature of `tagmanifest-sha512.txt` against `trusted`, if given.
///
/// With a trusted key, the signature must be there and hold; without one, a signature found is
/// [`SignatureCheck::Unverified`]: it says nothing about who made the bag. An `Err` means the archive itself could not be read. The tag
/// manifest's own checksums are [`verify_bag`]'s work: run both.
pub fn check_signature(
    archive: &mut SafeArchive,
    trusted: Option<&TrustedKey>,
) -> Result<SignatureCheck> {
    let bad = |file: &str, problem: String| {
        Ok(SignatureCheck::Bad(Finding { file: file.to_string(), problem }))
    };
    if archive.entry(SIGNATURE_FILE).is_none() {
        return match trusted {
            None => Ok(SignatureCheck::Unsigned),
            Some(key) => bad(
                SIGNATURE_FILE,
                format!(
                    "is missing: the archive is not signed, but a signature by minisign key {} \
                     was required; ask the sender for a signed archive",
                    key.id()
                ),
            ),
        };
    }
    let mut scratch = Verification::default();
    let signature = read_file(archive, &mut scratch, SIGNATURE_FILE, &[], true)
        .and_then(|read| read.content)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let Some(signature) = signature else {
        let why = scratch.findings.pop().map_or_else(|| "cannot be read".into(), |f| f.problem);
        return bad(SIGNATURE_FILE, why);
    };
    let Some(key) = trusted else {
        return Ok(SignatureCheck::Unverified);
    };
    let signed = read_file(archive, &mut scratch, SIGNED_FILE, &[], true).and_then(|r| r.content);
    let Some(signed) = signed else {
        return bad(
            SIGNED_FILE,
            "is missing or unreadable, so the signature vouches for nothing".into(),
        );
    };
    match key.check(&signed, &signature) {
        // The signed comment names the bag it was made for: a genuine signature of another
        // (older) archive, renamed, must not pass.
        Ok(comment) if !signs_bag(&comment, archive.root()) => bad(
            SIGNATURE_FILE,
            format!(
                "was made for another bag (its signed comment says `{comment}`, this bag is \
                 `{}`): the archive may be an older one renamed; ask the sender",
                archive.root()
            ),
        ),
        Ok(trusted_comment) => Ok(SignatureCheck::Good { key_id: key.id(), trusted_comment }),
        Err(why) => bad(SIGNATURE_FILE, why.0),
    }
}

/// Whether a trusted comment names `bag`'s tag manifest (`…\tfile:<bag>/tagmanifest-sha512.txt…`).
fn signs_bag(comment: &str, bag: &str) -> bool {
    let expected = format!("file:{bag}/{SIGNED_FILE}");
    comment.split('\t').any(|part| part == expected)
}

/// The algorithm named by `manifest-<alg>.txt` (for `prefix` `manifest-`), if `name` is one.
fn manifest_alg<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    name.strip_prefix(prefix)?.strip_suffix(".txt").filter(|alg| !alg.is_empty())
}

/// The algorithm if teczka checks it; otherwise a finding saying the manifest went unchecked.
fn supported(v: &mut Verification, file: &str, alg: &str) -> Option<Alg> {
    let found = Alg::from_name(alg);
    if found.is_none() {
        v.find(
            file,
            "uses an algorithm teczka does not check (only sha512 and sha256): it was not \
             checked",
        );
    }
    found
}

fn algs_of(manifests: &[Manifest]) -> Vec<Alg> {
    let mut algs: Vec<Alg> = manifests.iter().map(|m| m.alg).collect();
    algs.sort();
    algs.dedup();
    algs
}

/// Read one file through the archive's bounded reader, hashing with `algs`, keeping the
/// content when `keep` (up to [`MAX_TAG_FILE`]). A file that cannot be read is a finding.
fn read_file(
    archive: &mut SafeArchive,
    v: &mut Verification,
    name: &str,
    algs: &[Alg],
    keep: bool,
) -> Option<Read_> {
    let mut reader = match archive.open_entry(name) {
        Ok(reader) => reader,
        Err(e) => {
            v.find(name, format!("cannot be read: {e}"));
            return None;
        }
    };
    let mut sha256 = algs.contains(&Alg::Sha256).then(Sha256::new);
    let mut sha512 = algs.contains(&Alg::Sha512).then(Sha512::new);
    let mut content = keep.then(Vec::new);
    let mut buf = vec![0u8; CHUNK];
    let mut bytes = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                v.find(name, format!("cannot be read: {e}"));
                return None;
            }
        };
        let chunk = buf.get(..n).unwrap_or_default();
        bytes += n as u64;
        if let Some(h) = sha256.as_mut() {
            h.update(chunk);
        }
        if let Some(h) = sha512.as_mut() {
            h.update(chunk);
        }
        if let Some(c) = content.as_mut() {
            if bytes > MAX_TAG_FILE {
                v.find(
                    name,
                    format!("is larger than {MAX_TAG_FILE} bytes, too large for a tag file"),
                );
                return None;
            }
            c.extend_from_slice(chunk);
        }
    }
    let mut digests = HashMap::new();
    if let Some(h) = sha256 {
        digests.insert(Alg::Sha256, hex(&h.finalize()));
    }
    if let Some(h) = sha512 {
        digests.insert(Alg::Sha512, hex(&h.finalize()));
    }
    Some(Read_ { content, digests, bytes })
}

/// A tag file's text, or a finding when it is not UTF-8.
fn text<'a>(v: &mut Verification, file: &str, content: &'a [u8]) -> Option<&'a str> {
    match std::str::from_utf8(content) {
        Ok(text) => Some(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(e) => {
            v.find(
                file,
                format!(
                    "is not UTF-8 (invalid byte at {}): BagIt tag files are UTF-8",
                    e.valid_up_to()
                ),
            );
            None
        }
    }
}

/// Parse `<checksum> <path>` lines, paths decoded as `encoding` says; a malformed line is a
/// finding and is skipped.
fn parse_manifest(
    v: &mut Verification,
    file: &str,
    alg: Alg,
    content: Option<&[u8]>,
    encoding: PathEncoding,
) -> Option<Manifest> {
    let text = text(v, file, content?)?;
    let hex_len = match alg {
        Alg::Sha256 => 64,
        Alg::Sha512 => 128,
    };
    let mut sums = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let parsed = line.split_once([' ', '\t']).and_then(|(sum, path)| {
            let path = path.trim_start_matches([' ', '\t']);
            let ok = sum.len() == hex_len && sum.bytes().all(|b| b.is_ascii_hexdigit());
            (ok && !path.is_empty())
                .then(|| (sum.to_ascii_lowercase(), decode_path(path, encoding)))
        });
        let Some((sum, path)) = parsed else {
            v.find(
                file,
                format!(
                    "line {}: not `<{}-checksum> <path>`: that line was not checked",
                    number + 1,
                    alg.name()
                ),
            );
            continue;
        };
        if sums.insert(path.clone(), sum).is_some() {
            v.find(&path, format!("is listed twice in {file}"));
        }
    }
    Some(Manifest { file: file.to_string(), alg, sums })
}

/// Undo the percent-encoding of a manifest path: of CR, LF and `%` (RFC 8493 §2.1.3), or of
/// CR and LF only in a 0.97 bag ([`PathEncoding::Draft097`]).
fn decode_path(path: &str, encoding: PathEncoding) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(at) = rest.find('%') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let code = rest.get(at..at + 3).unwrap_or_default();
        let (decoded, len) = match code.to_ascii_uppercase().as_str() {
            "%0A" => ("\n", 3),
            "%0D" => ("\r", 3),
            "%25" if encoding == PathEncoding::Rfc8493 => ("%", 3),
            _ => ("%", 1),
        };
        out.push_str(decoded);
        rest = rest.get(at + len..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// Parse `Label: value` lines, continuation lines starting with whitespace.
fn parse_tags(v: &mut Verification, file: &str, content: &[u8]) -> Option<Vec<(String, String)>> {
    let text = text(v, file, content)?;
    let mut tags: Vec<(String, String)> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            match tags.last_mut() {
                Some((_, value)) => {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                None => v.find(
                    file,
                    format!("line {}: a continuation line with no label before it", number + 1),
                ),
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        match line.split_once(':') {
            Some((label, value)) if !label.trim().is_empty() => {
                tags.push((label.trim().to_string(), value.trim().to_string()))
            }
            _ => v.find(file, format!("line {}: not `Label: value`", number + 1)),
        }
    }
    Some(tags)
}

fn check_bagit(v: &mut Verification, content: &[u8]) {
    let file = "bagit.txt";
    let Some(tags) = parse_tags(v, file, content) else { return };
    let get = |label: &str| tags.iter().find(|(l, _)| l == label).map(|(_, value)| value.as_str());
    // 0.97 is the draft bagit-python still writes by default. Of what teczka checks it differs
    // from RFC 8493's 1.0 only in how manifests write paths (PathEncoding); 0.97 also let tag
    // files be in another encoding than UTF-8, which teczka, as for 1.0, does not read.
    match get("BagIt-Version") {
        Some("1.0" | "0.97") => {}
        Some(version) => v.find(
            file,
            format!(
                "`BagIt-Version` is `{version}`, neither 1.0 (RFC 8493) nor 0.97 (bagit-python's \
                 default), the versions teczka checks: make the bag again with a tool that \
                 writes one of them"
            ),
        ),
        None => v.find(file, "has no `BagIt-Version`"),
    }
    match get("Tag-File-Character-Encoding") {
        Some(enc) if enc.eq_ignore_ascii_case("UTF-8") => {}
        Some(_) => v.find(file, "`Tag-File-Character-Encoding` is not UTF-8"),
        None => v.find(file, "has no `Tag-File-Character-Encoding`"),
    }
}

fn parse_bag_info(v: &mut Verification, content: &[u8]) -> Option<Vec<(String, String)>> {
    parse_tags(v, "bag-info.txt", content)
}

/// Compare `Payload-Oxum` (`octets.count`) with what the payload holds.
fn check_oxum(v: &mut Verification, info: &[(String, String)]) {
    let file = "bag-info.txt";
    let Some((_, oxum)) = info.iter().find(|(label, _)| label == "Payload-Oxum") else {
        v.find(file, "has no `Payload-Oxum`: the payload's size and file count cannot be checked");
        return;
    };
    let parsed = oxum.split_once('.').and_then(|(octets, count)| {
        Some((octets.parse::<u64>().ok()?, count.parse::<u64>().ok()?))
    });
    match parsed {
        None => v.find(file, "`Payload-Oxum` is not `<octets>.<file count>`"),
        Some((octets, count)) if (octets, count) != (v.payload_bytes, v.files) => {
            let (bytes, files) = (v.payload_bytes, v.files);
            v.find(
                file,
                format!(
                    "`Payload-Oxum` says {octets} bytes in {count} files, the payload holds \
                     {bytes} bytes in {files} files: files were added, removed or changed"
                ),
            )
        }
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::read::Limits;
    use std::io::{Cursor, Write};
    use std::path::Path;

    type Files = Vec<(String, Vec<u8>)>;

    fn sha512(bytes: &[u8]) -> String {
        hex(&Sha512::digest(bytes))
    }

    /// A sound bag holding `payload`: bagit.txt, bag-info.txt with the right Payload-Oxum,
    /// manifest-sha512.txt and tagmanifest-sha512.txt.
    fn bag(payload: &[(&str, &[u8])]) -> Files {
        let mut files: Files = Vec::new();
        files.push((
            "bagit.txt".into(),
            b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_vec(),
        ));
        let octets: usize = payload.iter().map(|(_, c)| c.len()).sum();
        let info = format!(
            "Source-Organization: SP 1 Kraków\nBagging-Date: 2025-01-31\nPayload-Oxum: {octets}.{}\n\
             Archive-Kind: transfer\n",
            payload.len()
        );
        files.push(("bag-info.txt".into(), info.into_bytes()));
        let manifest: String =
            payload.iter().map(|(n, c)| format!("{}  {n}\n", sha512(c))).collect();
        files.push(("manifest-sha512.txt".into(), manifest.into_bytes()));
        for (name, content) in payload {
            files.push((name.to_string(), content.to_vec()));
        }
        retag(files)
    }

    /// Rewrite tagmanifest-sha512.txt over the tag files as they are now.
    fn retag(mut files: Files) -> Files {
        files.retain(|(n, _)| n != "tagmanifest-sha512.txt");
        let tags: String = files
            .iter()
            .filter(|(n, _)| !n.starts_with("data/"))
            .map(|(n, c)| format!("{}  {n}\n", sha512(c)))
            .collect();
        files.push(("tagmanifest-sha512.txt".into(), tags.into_bytes()));
        files
    }

    fn set(files: &mut Files, name: &str, content: &[u8]) {
        match files.iter_mut().find(|(n, _)| n == name) {
            Some(file) => file.1 = content.to_vec(),
            None => files.push((name.to_string(), content.to_vec())),
        }
    }

    fn verify(files: &Files) -> Verification {
        verify_bag(&mut open(files)).unwrap()
    }

    fn open(files: &Files) -> SafeArchive {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options =
            zip::write::SimpleFileOptions::default().last_modified_time(zip::DateTime::default());
        for (name, content) in files {
            zip.start_file(format!("bag/{name}"), options).unwrap();
            zip.write_all(content).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        SafeArchive::open_reader(Cursor::new(bytes), Path::new("bag.zip"), &Limits::default(), None)
            .unwrap()
    }

    fn findings(v: &Verification) -> Vec<String> {
        v.findings.iter().map(Finding::to_string).collect()
    }

    #[test]
    fn a_sound_bag_verifies_clean() {
        let v = verify(&bag(&[("data/x", b"hello"), ("data/records/p.csv", b"a;b\n")]));
        assert_eq!(findings(&v), Vec::<String>::new());
        assert!(v.is_ok());
        assert_eq!((v.files, v.payload_bytes), (2, 9));
        assert_eq!(v.bag_info[2], ("Payload-Oxum".to_string(), "9.2".to_string()));
        assert_eq!(v.bag_info.len(), 4);
    }

    /// A signing key and its public key, made in `dir`.
    fn keys(dir: &Path) -> (crate::archive::sign::SigningKey, TrustedKey) {
        let path = dir.join("school.key");
        let (public, _) = crate::archive::sign::generate_key_pair(&path, None).unwrap();
        (crate::archive::sign::SigningKey::read(&path, None).unwrap(), public)
    }

    fn signed(files: Files, key: &crate::archive::sign::SigningKey) -> Files {
        let mut files = retag(files);
        let manifest = files.iter().find(|(n, _)| n == SIGNED_FILE).unwrap().1.clone();
        let comment = crate::archive::sign::trusted_comment("bag", 0);
        set(&mut files, SIGNATURE_FILE, key.sign(&manifest, &comment).unwrap().as_bytes());
        files
    }

    #[test]
    fn a_signature_is_a_tag_file_of_its_own_and_checked_only_against_a_trusted_key() {
        let dir = tempfile::tempdir().unwrap();
        let (key, public) = keys(dir.path());
        let files = signed(bag(&[("data/x", b"hello")]), &key);
        assert_eq!(findings(&verify(&files)), Vec::<String>::new());
        assert_eq!(check_signature(&mut open(&files), None).unwrap(), SignatureCheck::Unverified);
        assert_eq!(
            check_signature(&mut open(&files), Some(&public)).unwrap(),
            SignatureCheck::Good {
                key_id: key.id(),
                trusted_comment: crate::archive::sign::trusted_comment("bag", 0),
            }
        );
        let mut other = files.clone();
        let manifest = other.iter().find(|(n, _)| n == SIGNED_FILE).unwrap().1.clone();
        let comment = crate::archive::sign::trusted_comment("another-bag", 0);
        set(&mut other, SIGNATURE_FILE, key.sign(&manifest, &comment).unwrap().as_bytes());
        assert!(matches!(
            check_signature(&mut open(&other), Some(&public)).unwrap(),
            SignatureCheck::Bad(f) if f.problem.contains("made for another bag")
        ));
        let unsigned = bag(&[("data/x", b"hello")]);
        assert_eq!(check_signature(&mut open(&unsigned), None).unwrap(), SignatureCheck::Unsigned);
        let SignatureCheck::Bad(missing) =
            check_signature(&mut open(&unsigned), Some(&public)).unwrap()
        else {
            panic!("an unsigned bag must fail when a signature is required")
        };
        assert!(missing.to_string().starts_with(&format!("{SIGNATURE_FILE}: is missing")));
    }

    /// A minisign signature over `data` by a key of the forger's own, under the key id `id`
    /// (as minisign prints it): what anyone can make.
    fn forged_signature(data: &[u8], id: &str, comment: &str) -> String {
        use base64::Engine;
        use blake2::Digest;
        use ed25519_dalek::Signer;
        let engine = base64::engine::general_purpose::STANDARD;
        let forger = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let id = u64::from_str_radix(id, 16).unwrap().to_le_bytes();
        let signature = forger.sign(&blake2::Blake2b512::digest(data)).to_bytes();
        let bones = [&b"ED"[..], &id, &signature].concat();
        let global = forger.sign(&[&signature[..], comment.as_bytes()].concat()).to_bytes();
        format!(
            "untrusted comment: x\n{}\ntrusted comment: {comment}\n{}\n",
            engine.encode(bones),
            engine.encode(global)
        )
    }

    #[test]
    fn a_signature_under_the_schools_key_id_by_another_key_proves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (_, public) = keys(dir.path());
        let mut files = retag(bag(&[("data/x", b"forged")]));
        let manifest = files.iter().find(|(n, _)| n == SIGNED_FILE).unwrap().1.clone();
        let comment = crate::archive::sign::trusted_comment("bag", 0);
        let forged = forged_signature(&manifest, &public.id(), &comment);
        set(&mut files, SIGNATURE_FILE, forged.as_bytes());
        assert_eq!(findings(&verify(&files)), Vec::<String>::new(), "checksums agree");
        // Without a trusted key the claimed key id is not even reported.
        assert_eq!(check_signature(&mut open(&files), None).unwrap(), SignatureCheck::Unverified);
        let SignatureCheck::Bad(finding) =
            check_signature(&mut open(&files), Some(&public)).unwrap()
        else {
            panic!("a forged signature must fail against the school's key")
        };
        assert!(finding.problem.contains("does not match"), "{finding}");
    }

    #[test]
    fn a_bag_rewritten_with_fresh_checksums_fails_only_its_signature() {
        let dir = tempfile::tempdir().unwrap();
        let (key, public) = keys(dir.path());
        let mut files = signed(bag(&[("data/x", b"hello")]), &key);
        set(&mut files, "data/x", b"hellO");
        let manifest = format!("{}  data/x\n", sha512(b"hellO"));
        set(&mut files, "manifest-sha512.txt", manifest.as_bytes());
        let files = retag(files);
        assert_eq!(findings(&verify(&files)), Vec::<String>::new(), "checksums agree");
        let SignatureCheck::Bad(finding) =
            check_signature(&mut open(&files), Some(&public)).unwrap()
        else {
            panic!("the signature must fail")
        };
        assert_eq!(finding.file, SIGNATURE_FILE);
        assert!(finding.problem.contains("changed after it was signed"), "{finding}");
        let other = tempfile::tempdir().unwrap();
        let (_, stranger) = keys(other.path());
        let files = signed(bag(&[("data/x", b"hello")]), &key);
        let SignatureCheck::Bad(finding) =
            check_signature(&mut open(&files), Some(&stranger)).unwrap()
        else {
            panic!("another key must fail")
        };
        assert!(finding.problem.contains("not with the trusted key"), "{finding}");
    }

    #[test]
    fn a_changed_byte_is_found() {
        let mut files = bag(&[("data/x", b"hello")]);
        set(&mut files, "data/x", b"hellO");
        assert_eq!(
            findings(&verify(&files)),
            ["data/x: sha512 checksum does not match manifest-sha512.txt: the file was changed \
              or damaged after the bag was made"]
        );
    }

    #[test]
    fn a_missing_file_is_found() {
        let mut files = bag(&[("data/x", b"hello"), ("data/y", b"")]);
        files.retain(|(n, _)| n != "data/y");
        assert_eq!(
            findings(&verify(&files)),
            [
                "data/y: is listed in manifest-sha512.txt but missing from the bag",
                "bag-info.txt: `Payload-Oxum` says 5 bytes in 2 files, the payload holds 5 bytes \
                 in 1 files: files were added, removed or changed",
            ]
        );
    }

    #[test]
    fn an_extra_unlisted_file_is_found() {
        let mut files = bag(&[("data/x", b"hello")]);
        set(&mut files, "data/planted", b"!");
        assert_eq!(
            findings(&verify(&files)),
            [
                "data/planted: is not listed in manifest-sha512.txt: the bag's maker did not \
                 record this file; it may have been added afterwards",
                "bag-info.txt: `Payload-Oxum` says 5 bytes in 1 files, the payload holds 6 bytes \
                 in 2 files: files were added, removed or changed",
            ]
        );
    }

    #[test]
    fn a_wrong_payload_oxum_is_found() {
        let mut files = bag(&[("data/x", b"hello")]);
        set(&mut files, "bag-info.txt", b"Payload-Oxum: 6.1\n");
        let files = retag(files);
        assert_eq!(
            findings(&verify(&files)),
            ["bag-info.txt: `Payload-Oxum` says 6 bytes in 1 files, the payload holds 5 bytes in \
              1 files: files were added, removed or changed"]
        );
        let mut files = retag(files);
        set(&mut files, "bag-info.txt", b"Payload-Oxum: five\n");
        let files = retag(files);
        assert_eq!(
            findings(&verify(&files)),
            ["bag-info.txt: `Payload-Oxum` is not `<octets>.<file count>`"]
        );
    }

    #[test]
    fn a_changed_tag_file_is_found_by_the_tag_manifest() {
        let mut files = bag(&[("data/x", b"hello")]);
        set(&mut files, "bag-info.txt", b"Payload-Oxum: 5.1\nSource-Organization: someone else\n");
        assert_eq!(
            findings(&verify(&files)),
            ["bag-info.txt: sha512 checksum does not match tagmanifest-sha512.txt: the file was \
              changed or damaged after the bag was made"]
        );
    }

    /// Only the two versions whose differences teczka knows pass: a later or an earlier one
    /// may write manifests or tags another way, so its checksums would prove nothing.
    #[test]
    fn a_bagit_version_other_than_1_0_or_0_97_is_refused_whatever_else_holds() {
        let mut files = bag(&[("data/x", b"hello")]);
        for version in ["2.0", "1.1", "0.96", "0.93", "1", ""] {
            let bagit = format!("BagIt-Version: {version}\nTag-File-Character-Encoding: UTF-8\n");
            set(&mut files, "bagit.txt", bagit.as_bytes());
            let verification = verify(&retag(files.clone()));
            assert!(!verification.is_ok(), "{version}");
            assert_eq!(
                findings(&verification),
                [format!(
                    "bagit.txt: `BagIt-Version` is `{version}`, neither 1.0 (RFC 8493) nor 0.97 \
                     (bagit-python's default), the versions teczka checks: make the bag again \
                     with a tool that writes one of them"
                )],
                "{version}"
            );
        }
        // The version is compared whole, after the spaces around it.
        set(
            &mut files,
            "bagit.txt",
            b"BagIt-Version:   1.0  \r\nTag-File-Character-Encoding: UTF-8\r\n",
        );
        assert_eq!(findings(&verify(&retag(files))), Vec::<String>::new());
    }

    #[test]
    fn bagit_txt_must_say_version_1_0_or_0_97_in_utf_8() {
        let mut files = bag(&[("data/x", b"hello")]);
        set(&mut files, "bagit.txt", b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n");
        assert_eq!(findings(&verify(&retag(files.clone()))), Vec::<String>::new());
        set(
            &mut files,
            "bagit.txt",
            b"BagIt-Version: 0.93\nTag-File-Character-Encoding: ISO-8859-2\n",
        );
        assert_eq!(
            findings(&verify(&retag(files.clone()))),
            [
                "bagit.txt: `BagIt-Version` is `0.93`, neither 1.0 (RFC 8493) nor 0.97 \
                 (bagit-python's default), the versions teczka checks: make the bag again with a \
                 tool that writes one of them",
                "bagit.txt: `Tag-File-Character-Encoding` is not UTF-8",
            ]
        );
        set(&mut files, "bagit.txt", b"BagIt-Version: 1.0\n\xff\n");
        assert_eq!(
            findings(&verify(&retag(files.clone()))),
            ["bagit.txt: is not UTF-8 (invalid byte at 19): BagIt tag files are UTF-8"]
        );
        files.retain(|(n, _)| n != "bagit.txt");
        assert_eq!(
            findings(&verify(&retag(files))),
            ["bagit.txt: is missing: without it the folder is not a BagIt bag"]
        );
    }

    #[test]
    fn a_bag_without_a_usable_manifest_is_found() {
        let mut files = bag(&[("data/x", b"hello")]);
        files.retain(|(n, _)| n != "manifest-sha512.txt");
        set(&mut files, "manifest-md5.txt", b"5d41402abc4b2a76b9719d911017c592  data/x\n");
        assert_eq!(
            findings(&verify(&retag(files))),
            [
                "manifest-md5.txt: uses an algorithm teczka does not check (only sha512 and \
                 sha256): it was not checked",
                "(bag): has no manifest-sha512.txt or manifest-sha256.txt: the payload's \
                 checksums cannot be checked",
            ]
        );
    }

    #[test]
    fn sha256_manifests_are_checked_too() {
        let mut files = bag(&[("data/x", b"hello")]);
        let good = hex(&Sha256::digest(b"hello"));
        set(&mut files, "manifest-sha256.txt", format!("{good} data/x\n").as_bytes());
        assert!(verify(&retag(files.clone())).is_ok());
        let bad = hex(&Sha256::digest(b"other"));
        set(&mut files, "manifest-sha256.txt", format!("{bad}\tdata/x\nnonsense\n").as_bytes());
        assert_eq!(
            findings(&verify(&retag(files))),
            [
                "manifest-sha256.txt: line 2: not `<sha256-checksum> <path>`: that line was not \
                 checked",
                "data/x: sha256 checksum does not match manifest-sha256.txt: the file was changed \
                 or damaged after the bag was made",
            ]
        );
    }

    #[test]
    fn files_outside_data_must_be_tag_files() {
        let mut files = bag(&[("data/x", b"hello")]);
        set(&mut files, "notes/readme.txt", b"hi");
        set(&mut files, "fetch.txt", b"https://example.org/x 5 data/y\n");
        let mut files = retag(files);
        // Unlisted in the tag manifest, so nothing vouches for it.
        set(&mut files, "stray.txt", b"?");
        assert_eq!(
            findings(&verify(&files)),
            [
                "fetch.txt: the bag refers to files to be downloaded: a teczka bag is complete, \
                 and teczka never fetches",
                "stray.txt: lies outside `data/` and is no tag file of the bag: nothing vouches \
                 for it",
            ]
        );
    }

    #[test]
    fn an_unreadable_payload_file_is_a_finding_and_checking_goes_on() {
        let files = bag(&[("data/x", b"hello world"), ("data/y", b"fine")]);
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, content) in &files {
            zip.start_file(format!("bag/{name}"), options).unwrap();
            zip.write_all(content).unwrap();
        }
        let mut bytes = zip.finish().unwrap().into_inner();
        let at = bytes.windows(11).position(|w| w == b"hello world").unwrap();
        bytes[at] = b'H';
        let mut archive = SafeArchive::open_reader(
            Cursor::new(bytes),
            Path::new("bag.zip"),
            &Limits::default(),
            None,
        )
        .unwrap();
        let v = verify_bag(&mut archive).unwrap();
        assert_eq!(
            findings(&v),
            ["data/x: cannot be read: entry `bag/data/x`: checksum (CRC-32) does not match: the \
              entry is damaged or was altered"]
        );
        assert_eq!((v.files, v.payload_bytes), (2, 15));
    }

    /// A manifest path out of the bag is named as such, not looked for: the folder a bag was
    /// unzipped into, or the system around it, is never read (issue 14).
    #[test]
    fn a_manifest_path_out_of_the_bag_is_named_and_never_read() {
        let mut files = bag(&[("data/x", b"hello")]);
        let mut manifest =
            files.iter().find(|(n, _)| n == "manifest-sha512.txt").unwrap().1.clone();
        for path in ["data/../../secret.txt", "/etc/passwd", "C:\\Windows\\win.ini"] {
            manifest.extend_from_slice(format!("{}  {path}\n", sha512(b"x")).as_bytes());
        }
        set(&mut files, "manifest-sha512.txt", &manifest);
        let mut files = retag(files);
        let mut tags = files.iter().find(|(n, _)| n == "tagmanifest-sha512.txt").unwrap().1.clone();
        tags.extend_from_slice(format!("{}  ../bagit.txt\n", sha512(b"x")).as_bytes());
        set(&mut files, "tagmanifest-sha512.txt", &tags);
        let leaves = |path: &str, manifest: &str| {
            format!(
                "{path}: is listed in {manifest} but points outside the bag (an absolute path or \
                 `..`): a manifest lists files inside the bag only, so it was written wrongly or \
                 tampered with; the file was not read"
            )
        };
        let mut expected = vec![
            leaves("/etc/passwd", "manifest-sha512.txt"),
            leaves("C:\\Windows\\win.ini", "manifest-sha512.txt"),
            leaves("data/../../secret.txt", "manifest-sha512.txt"),
            leaves("../bagit.txt", "tagmanifest-sha512.txt"),
        ];
        let mut found = findings(&verify(&files));
        expected.sort();
        found.sort();
        assert_eq!(found, expected);
        assert!(!leaves_the_bag("data/a..b/..c"));
        assert!(leaves_the_bag("data/..\\..\\x"));
    }

    #[test]
    fn manifest_paths_are_percent_decoded() {
        let rfc = PathEncoding::Rfc8493;
        assert_eq!(decode_path("data/a%0Ab%25c%0d%41", rfc), "data/a\nb%c\r%41");
        assert_eq!(decode_path("data/100%", rfc), "data/100%");
        // BagIt 0.97 (bagit-python) encodes CR and LF only: `%25` is a file's own name.
        let draft = PathEncoding::Draft097;
        assert_eq!(decode_path("data/a%0Ab%25c%0d%41", draft), "data/a\nb%25c\r%41");
    }

    #[test]
    fn the_version_line_says_how_paths_are_encoded() {
        let declared = PathEncoding::declared_in;
        assert_eq!(declared(b"BagIt-Version: 0.97\n"), PathEncoding::Draft097);
        assert_eq!(declared(b"\xef\xbb\xbfBagIt-Version:0.97\r\n"), PathEncoding::Draft097);
        assert_eq!(declared(b"BagIt-Version: 1.0\n"), PathEncoding::Rfc8493);
        assert_eq!(declared(b"BagIt-Version: 0.96\n"), PathEncoding::Rfc8493);
        assert_eq!(declared(b"\xff\xfe"), PathEncoding::Rfc8493);
    }

    /// A payload file whose own name holds `%25` (a browser's download of `100%.txt`, say) as
    /// bagit-python lists it in a 0.97 bag, and as RFC 8493 asks a 1.0 bag to list it.
    #[test]
    fn a_percent_in_a_file_name_is_read_as_the_bags_version_writes_it() {
        let name = "data/100%25.txt";
        let mut files = bag(&[(name, b"hello")]);
        let bagit_097 = b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n";
        set(&mut files, "bagit.txt", bagit_097);
        assert_eq!(findings(&verify(&retag(files.clone()))), Vec::<String>::new());

        // The same listing in a 1.0 bag names `data/100%.txt`, which is not there.
        let bagit_1 = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
        set(&mut files, "bagit.txt", bagit_1);
        assert_eq!(
            findings(&verify(&retag(files.clone()))),
            [
                "data/100%25.txt: is not listed in manifest-sha512.txt: the bag's maker did not \
                 record this file; it may have been added afterwards",
                "data/100%.txt: is listed in manifest-sha512.txt but missing from the bag",
            ]
        );
        // RFC 8493 writes the `%` of the name as `%25`.
        let manifest = format!("{}  data/100%2525.txt\n", sha512(b"hello"));
        set(&mut files, "manifest-sha512.txt", manifest.as_bytes());
        assert_eq!(findings(&verify(&retag(files))), Vec::<String>::new());
    }
}
