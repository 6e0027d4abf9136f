//! A bag that is already unzipped: a folder checked as an archive is.
//!
//! Rather than a second set of checks for folders, the folder's regular files are copied,
//! stored (not compressed), into an anonymous temporary zip (`0600`, removed when closed, as
//! a decrypted archive is) under the folder's name, and that zip is opened as any archive:
//! the same name rules, limits, manifests and messages apply. A bag holds files only, so a
//! symbolic link, a device or a socket stops the check before any file is read — following a
//! link could make the checksums cover a file outside the bag.

use super::read::Limits;
use crate::error::{Error, Result};
use crate::write::private;
use std::fs::{self, File};
use std::io::{self, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Copy the bag folder `dir` into an anonymous temporary zip whose single top folder is named
/// after `dir`, and return it rewound.
pub fn zip_folder(dir: &Path, limits: &Limits) -> Result<File> {
    let root = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "bag".to_string());
    let files = list_files(dir, limits)?;
    let mut zip = ZipWriter::new(private::anonymous_file(None)?);
    let options =
        SimpleFileOptions::default().compression_method(CompressionMethod::Stored).large_file(true);
    for (relative, path) in files {
        let name = format!("{root}/{relative}");
        zip.start_file(name, options).map_err(|e| zip_error(dir, e))?;
        let mut file = BufReader::new(File::open(&path).map_err(|e| Error::io(&path, e))?);
        io::copy(&mut file, &mut zip).map_err(|e| Error::io(&path, e))?;
    }
    let mut file = zip.finish().map_err(|e| zip_error(dir, e))?;
    file.seek(SeekFrom::Start(0)).map_err(|e| Error::io(dir, e))?;
    Ok(file)
}

/// Every regular file under `dir`, as (`/`-separated relative name, path), sorted by name;
/// anything else but a folder is refused.
fn list_files(dir: &Path, limits: &Limits) -> Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
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
                files.push((relative, path));
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
    files.sort();
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
    }
}
