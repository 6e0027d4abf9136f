//! A bag that is already unzipped: a folder checked as an archive is.
//!
//! Rather than a second set of checks for folders, the folder's regular files are copied,
//! stored (not compressed), into an anonymous temporary zip (`0600`, removed when closed, as
//! a decrypted archive is) under the folder's name, and that zip is opened as any archive:
//! the same name rules, limits, manifests and messages apply. A bag holds files only, so a
//! symbolic link, a device or a socket stops the check before any file is read — following a
//! link could make the checksums cover a file outside the bag.
//!
//! The folder may be the bag (it holds `bagit.txt`) or the folder an archive was unzipped into,
//! whose one entry is the bag folder — the shape of the zip itself, whose single top folder is
//! the bag.
//!
//! What is copied is what was listed: each file is opened without following a link (on Unix)
//! and must still be the regular file of the same size (and, on Unix, the same file on the
//! same device) that was listed, so a file or folder swapped for a link between the listing
//! and the copy — a tree someone else can write to — is refused, not followed out of the bag.

use super::read::Limits;
use crate::error::{Error, Result};
use crate::write::private;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Copy the bag folder `dir` (or the bag folder that is the one entry of `dir`, as after
/// `unzip ARCHIVE.zip -d dir`) into an anonymous temporary zip whose single top folder is named after the
/// bag folder, and return it rewound.
///
/// # Errors
///
/// [`Error`] (input) when the folder holds a symbolic link or a special file, no file at all, a
/// name that is not UTF-8, or more entries or bytes than `limits` allow; (I/O) when it cannot
/// be read or the temporary zip cannot be written.
pub fn zip_folder(dir: &Path, limits: &Limits) -> Result<File> {
    let bag = bag_folder(dir)?;
    let dir = bag.as_path();
    let root = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "bag".to_string());
    let files = list_files(dir, limits)?;
    if files.is_empty() {
        return Err(Error::input(
            dir,
            "holds no file, so no bag: give the folder that holds the bag's `bagit.txt` (or the \
             folder the archive was unzipped into)",
        ));
    }
    write_zip(dir, &root, &files)
}

/// A regular file of the bag as it was listed: what is copied must still be it.
#[derive(Debug)]
struct Listed {
    /// The `/`-separated name inside the bag folder.
    relative: String,
    path: PathBuf,
    /// Its size when listed; the limits were checked against it.
    size: u64,
    /// Its device and inode when listed (Unix), which no link can fake.
    #[cfg(unix)]
    id: (u64, u64),
}

impl Listed {
    fn new(relative: String, path: PathBuf, metadata: &fs::Metadata) -> Listed {
        #[cfg(unix)]
        let id = {
            use std::os::unix::fs::MetadataExt;
            (metadata.dev(), metadata.ino())
        };
        Listed {
            relative,
            path,
            size: metadata.len(),
            #[cfg(unix)]
            id,
        }
    }

    /// Open the file listed, never following a link, and check it is still that file.
    fn open(&self) -> Result<File> {
        let path = &self.path;
        let mut options = OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // A link is an error rather than followed; a FIFO put in a file's place does not
            // block the open (and is then refused as no regular file).
            options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        }
        let file = options.open(path).map_err(|e| {
            #[cfg(unix)]
            if e.raw_os_error() == Some(libc::ELOOP) {
                return changed(path);
            }
            Error::io(path, e)
        })?;
        let metadata = file.metadata().map_err(|e| Error::io(path, e))?;
        #[cfg(unix)]
        let same = {
            use std::os::unix::fs::MetadataExt;
            (metadata.dev(), metadata.ino()) == self.id
        };
        #[cfg(not(unix))]
        let same = true;
        if !same || !metadata.is_file() || metadata.len() != self.size {
            return Err(changed(path));
        }
        Ok(file)
    }
}

/// A file that is not what was listed a moment before.
fn changed(path: &Path) -> Error {
    Error::input(
        path,
        "changed while the bag was being checked (replaced, resized, or a folder on its path \
         swapped for a link): check the bag again once nothing else writes to it",
    )
}

/// Copy `files` of the bag folder `dir`, each as `root/<relative>`, stored, into an anonymous
/// temporary zip, and return it rewound.
fn write_zip(dir: &Path, root: &str, files: &[Listed]) -> Result<File> {
    let mut zip = ZipWriter::new(private::anonymous_file(None)?);
    let options =
        SimpleFileOptions::default().compression_method(CompressionMethod::Stored).large_file(true);
    for listed in files {
        let path = &listed.path;
        let file = listed.open()?;
        zip.start_file(format!("{root}/{}", listed.relative), options)
            .map_err(|e| zip_error(dir, e))?;
        // No more than was listed (and held to the limits), and no less.
        let mut file = BufReader::new(file).take(listed.size);
        let copied = io::copy(&mut file, &mut zip).map_err(|e| Error::io(path, e))?;
        if copied != listed.size {
            return Err(changed(path));
        }
    }
    let mut file = zip.finish().map_err(|e| zip_error(dir, e))?;
    file.seek(SeekFrom::Start(0)).map_err(|e| Error::io(dir, e))?;
    Ok(file)
}

/// The bag folder of `dir`: `dir` itself when it holds `bagit.txt` (or anything but exactly one
/// folder); the one folder inside it when that folder holds `bagit.txt`, as after
/// `unzip ARCHIVE.zip -d dir`. Links are looked at, never followed.
fn bag_folder(dir: &Path) -> Result<PathBuf> {
    let is_file = |path: &Path| fs::symlink_metadata(path).is_ok_and(|m| m.is_file());
    if is_file(&dir.join("bagit.txt")) {
        return Ok(dir.to_path_buf());
    }
    let mut entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let (Some(first), None) = (entries.next(), entries.next()) else {
        return Ok(dir.to_path_buf());
    };
    let first = first.map_err(|e| Error::io(dir, e))?;
    let inner = first.path();
    let is_folder = first.file_type().is_ok_and(|kind| kind.is_dir());
    Ok(if is_folder && is_file(&inner.join("bagit.txt")) { inner } else { dir.to_path_buf() })
}

/// Every regular file under `dir`, sorted by name; anything else but a folder is refused.
fn list_files(dir: &Path, limits: &Limits) -> Result<Vec<Listed>> {
    let mut files = Vec::new();
    let mut total = 0u64;
    let mut pending = vec![(String::new(), dir.to_path_buf())];
    while let Some((prefix, folder)) = pending.pop() {
        let entries = fs::read_dir(&folder).map_err(|e| Error::io(&folder, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&folder, e))?;
            let path = entry.path();
            let name = entry.file_name().into_string().map_err(|_| {
                Error::input(&path, "a file name that is not UTF-8: a bag's names are UTF-8")
            })?;
            let relative = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
            // The entry's own type: a link is looked at, never followed.
            let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if kind.is_dir() {
                pending.push((relative, path));
            } else if kind.is_file() {
                // Checked before a byte is copied, as a zip's sizes are before extraction.
                let metadata = entry.metadata().map_err(|e| Error::io(&path, e))?;
                total = total.saturating_add(metadata.len());
                if total > limits.max_total_bytes {
                    return Err(Error::input(
                        &path,
                        format!(
                            "brings the bag's total size over the limit of {} bytes; raise \
                             `--max-total-bytes` if the bag is trusted",
                            limits.max_total_bytes
                        ),
                    ));
                }
                files.push(Listed::new(relative, path, &metadata));
            } else {
                return Err(Error::input(
                    &path,
                    "is a symbolic link or a special file, not a regular file: a bag holds \
                     files only (a link could make the checksums cover a file outside the bag); \
                     replace it with the file it stands for, or verify the zip instead",
                ));
            }
            if (files.len() + pending.len()) as u64 > limits.max_entries {
                return Err(Error::input(
                    dir,
                    format!(
                        "holds more than {} entries, the most teczka checks; raise \
                         --max-entries if the bag is trusted",
                        limits.max_entries
                    ),
                ));
            }
        }
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(files)
}

fn zip_error(dir: &Path, e: zip::result::ZipError) -> Error {
    Error::io(dir, io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::read::SafeArchive;
    use std::io::Read;

    #[test]
    fn a_folder_opens_as_an_archive_of_its_files_under_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let bag = dir.path().join("przekazanie");
        fs::create_dir_all(bag.join("data/records")).unwrap();
        fs::write(bag.join("bagit.txt"), "BagIt-Version: 0.97\n").unwrap();
        fs::write(bag.join("data/records/pupils.jsonl"), "{}\n").unwrap();
        let zip = zip_folder(&bag, &Limits::default()).unwrap();
        let mut archive = SafeArchive::open_reader(zip, &bag, &Limits::default(), None).unwrap();
        assert_eq!(archive.root(), "przekazanie");
        let names: Vec<&str> = archive.entries().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["bagit.txt", "data/records/pupils.jsonl"]);
        let mut text = String::new();
        archive.open_entry("data/records/pupils.jsonl").unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "{}\n");
    }

    fn names(dir: &Path) -> (String, Vec<String>) {
        let zip = zip_folder(dir, &Limits::default()).unwrap();
        let archive = SafeArchive::open_reader(zip, dir, &Limits::default(), None).unwrap();
        let names = archive.entries().map(|e| e.name.clone()).collect();
        (archive.root().to_string(), names)
    }

    #[test]
    fn the_folder_an_archive_was_unzipped_into_opens_as_its_bag() {
        let dir = tempfile::tempdir().unwrap();
        let bag = dir.path().join("out/przekazanie");
        fs::create_dir_all(bag.join("data")).unwrap();
        fs::write(bag.join("bagit.txt"), "BagIt-Version: 1.0\n").unwrap();
        fs::write(bag.join("data/x"), "x").unwrap();
        let bag_names = ("przekazanie".to_string(), vec!["bagit.txt".into(), "data/x".into()]);
        assert_eq!(names(&dir.path().join("out")), bag_names);
        assert_eq!(names(&bag), bag_names);
        // Anything beside the bag folder: the folder given is the bag, and is checked as one.
        fs::write(dir.path().join("out/notes.txt"), "n").unwrap();
        let (root, listed) = names(&dir.path().join("out"));
        assert_eq!(root, "out");
        assert!(listed.contains(&"przekazanie/bagit.txt".to_string()), "{listed:?}");
    }

    #[test]
    fn an_empty_folder_is_no_bag() {
        let dir = tempfile::tempdir().unwrap();
        let err = zip_folder(dir.path(), &Limits::default()).unwrap_err().to_string();
        assert!(err.contains("holds no file, so no bag"), "{err}");
    }

    #[test]
    fn a_folder_over_the_size_limit_is_refused_before_it_is_copied() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("data")).unwrap();
        fs::write(dir.path().join("bagit.txt"), "BagIt-Version: 1.0\n").unwrap();
        fs::write(dir.path().join("data/x"), [0u8; 100]).unwrap();
        let limits = Limits { max_total_bytes: 99, ..Limits::default() };
        let err = zip_folder(dir.path(), &limits).unwrap_err().to_string();
        assert!(err.contains("over the limit of 99 bytes"), "{err}");
        assert!(err.contains("--max-total-bytes"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_in_the_bag_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let bag = dir.path().join("bag");
        fs::create_dir_all(bag.join("data")).unwrap();
        fs::write(dir.path().join("secret.txt"), "outside").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), bag.join("data/x")).unwrap();
        let err = zip_folder(&bag, &Limits::default()).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        // A link as the one entry of the folder given is not taken for the bag folder either.
        let out = dir.path().join("out");
        fs::create_dir_all(&out).unwrap();
        fs::remove_file(bag.join("data/x")).unwrap();
        fs::write(bag.join("bagit.txt"), "BagIt-Version: 1.0\n").unwrap();
        std::os::unix::fs::symlink(&bag, out.join("bag")).unwrap();
        let err = zip_folder(&out, &Limits::default()).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
    }

    /// A bag folder with `data/x` and `data/y`, listed.
    #[cfg(unix)]
    fn listed_bag(dir: &Path) -> (PathBuf, Vec<Listed>) {
        let bag = dir.join("bag");
        fs::create_dir_all(bag.join("data")).unwrap();
        fs::write(bag.join("bagit.txt"), "BagIt-Version: 1.0\n").unwrap();
        fs::write(bag.join("data/x"), "in the bag").unwrap();
        fs::write(bag.join("data/y"), "also").unwrap();
        let files = list_files(&bag, &Limits::default()).unwrap();
        let listed: Vec<&str> = files.iter().map(|f| f.relative.as_str()).collect();
        assert_eq!(listed, ["bagit.txt", "data/x", "data/y"]);
        // Unchanged, it copies.
        write_zip(&bag, "bag", &files).unwrap();
        (bag, files)
    }

    #[cfg(unix)]
    #[test]
    fn a_file_swapped_for_a_link_after_it_was_listed_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let (bag, files) = listed_bag(dir.path());
        fs::write(dir.path().join("secret.txt"), "outside!!!").unwrap();
        fs::remove_file(bag.join("data/x")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), bag.join("data/x")).unwrap();
        let err = write_zip(&bag, "bag", &files).unwrap_err().to_string();
        assert!(err.contains("data/x: changed while the bag was being checked"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_swapped_for_a_link_after_it_was_listed_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let (bag, files) = listed_bag(dir.path());
        // Elsewhere, files of the same names and sizes; `data` becomes a link to them.
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir_all(&elsewhere).unwrap();
        fs::write(elsewhere.join("x"), "not in bag").unwrap();
        fs::write(elsewhere.join("y"), "also").unwrap();
        fs::rename(bag.join("data"), dir.path().join("moved")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, bag.join("data")).unwrap();
        let err = write_zip(&bag, "bag", &files).unwrap_err().to_string();
        assert!(err.contains("data/x: changed while the bag was being checked"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_that_grew_or_became_a_fifo_after_it_was_listed_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (bag, files) = listed_bag(dir.path());
        fs::write(bag.join("data/y"), "also, and a great deal more").unwrap();
        let err = write_zip(&bag, "bag", &files).unwrap_err().to_string();
        assert!(err.contains("data/y: changed while"), "{err}");

        let (bag, files) = listed_bag(&dir.path().join("again"));
        fs::remove_file(bag.join("data/x")).unwrap();
        let made = std::process::Command::new("mkfifo").arg(bag.join("data/x")).status();
        assert!(made.unwrap().success());
        let err = write_zip(&bag, "bag", &files).unwrap_err().to_string();
        assert!(err.contains("data/x: changed while"), "{err}");
    }
}
