//! Every file and folder teczka creates: readable by its owner alone, whatever the umask.
//!
//! Outputs, rejects, reports, staging and temporary files all hold pupils' records, so the
//! library creates them here and nowhere else: files `0600` ([`FILE_MODE`]), folders `0700`
//! ([`DIR_MODE`]). The mode is given at creation (`OpenOptionsExt::mode`,
//! `DirBuilderExt::mode`), so a file is never readable by others even for an instant, and set
//! again right after, because a umask can only take bits away and a file that existed before
//! keeps its old mode: the result is exactly `0600` / `0700` under any umask. A program that
//! calls teczka's writers gets private files without touching its own umask; the `teczka`
//! binary also sets its umask to `077`, as a second guard for files other crates create.
//!
//! Folders that already exist are left as they are: they belong to whoever made them.
//!
//! On systems without unix modes these are plain `std::fs` calls.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The mode of every file teczka creates.
pub const FILE_MODE: u32 = 0o600;

/// The mode of every folder teczka creates.
pub const DIR_MODE: u32 = 0o700;

/// Create (or truncate) the file `path`, mode `0600`.
///
/// # Example
///
/// ```
/// # #[cfg(unix)] {
/// use std::os::unix::fs::PermissionsExt;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("health.csv");
/// teczka::create_private_file(&path)?;
/// assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn create_file(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    open_private(path, &mut options)
}

/// Create the file `path`, which must not exist yet (no link is followed), mode `0600`.
pub fn create_new_file(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    open_private(path, &mut options)
}

fn open_private(path: &Path, options: &mut OpenOptions) -> Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let file = options.open(path).map_err(|e| Error::io(path, e))?;
    set_file_mode(&file).map_err(|e| Error::io(path, e))?;
    Ok(file)
}

/// Set an open file's mode to `0600` (a file opened elsewhere, e.g. by `tempfile`).
pub fn set_file_mode(file: &File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Write `contents` to `path` (created or truncated), mode `0600`: [`std::fs::write`] for
/// files that hold records.
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    let mut file = create_file(path)?;
    file.write_all(contents.as_ref()).map_err(|e| Error::io(path, e))
}

/// Create the folder `path`, which must not exist yet, mode `0700`.
pub fn create_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(path)?;
    set_dir_mode(path)
}

/// Set a folder's mode to `0700` (a folder made elsewhere, e.g. by `tempfile`).
pub fn set_dir_mode(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(DIR_MODE))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Create `path` and every missing folder above it, each mode `0700`; folders that exist are
/// left as they are.
///
/// # Example
///
/// ```
/// # #[cfg(unix)] {
/// use std::os::unix::fs::PermissionsExt;
/// let dir = tempfile::tempdir()?;
/// let csv = dir.path().join("out/csv");
/// teczka::create_private_dir_all(&csv)?;
/// assert_eq!(std::fs::metadata(&csv)?.permissions().mode() & 0o777, 0o700);
/// assert_eq!(std::fs::metadata(dir.path().join("out"))?.permissions().mode() & 0o777, 0o700);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn create_dir_all(path: &Path) -> Result<()> {
    let mut missing: Vec<PathBuf> = Vec::new();
    let mut at = Some(path);
    while let Some(folder) = at.filter(|p| !p.as_os_str().is_empty() && !p.is_dir()) {
        missing.push(folder.to_path_buf());
        at = folder.parent();
    }
    for folder in missing.iter().rev() {
        match create_dir(folder) {
            Ok(()) => {}
            // Another thread or process made it meanwhile: it is theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && folder.is_dir() => {}
            Err(e) => return Err(Error::io(folder, e)),
        }
    }
    Ok(())
}

/// A named temporary file `<prefix><6 random characters><suffix>` in `dir`, mode `0600`,
/// removed when dropped.
pub fn temp_file_in(dir: &Path, prefix: &str, suffix: &str) -> Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(FILE_MODE));
    }
    let temp = builder.tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    set_file_mode(temp.as_file()).map_err(|e| Error::io(temp.path(), e))?;
    Ok(temp)
}

/// A temporary folder `<prefix><6 random characters>` in `dir`, mode `0700`, removed with
/// its contents when dropped.
pub fn temp_dir_in(dir: &Path, prefix: &str) -> Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(DIR_MODE));
    }
    let temp = builder.tempdir_in(dir).map_err(|e| Error::io(dir, e))?;
    set_dir_mode(temp.path()).map_err(|e| Error::io(temp.path(), e))?;
    Ok(temp)
}

/// A file with no name (`O_TMPFILE` where the file system has it), mode `0600`, in `dir` or
/// the system's temporary folder; the system removes it when it is closed, however the
/// process ends.
pub fn anonymous_file(dir: Option<&Path>) -> Result<File> {
    let dir = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
    let file = tempfile::tempfile_in(&dir).map_err(|e| Error::io(&dir, e))?;
    set_file_mode(&file).map_err(|e| Error::io(&dir, e))?;
    Ok(file)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// Run the test `name` of this module again in a child process whose umask is `000`
    /// (the library forbids `unsafe`, so it cannot set its own); true in that child.
    fn under_open_umask(name: &str) -> bool {
        if std::env::var_os("TECZKA_TEST_UMASK_000").is_some() {
            return true;
        }
        let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
        let status = std::process::Command::new("sh")
            .args(["-c", "umask 000; exec \"$0\" \"$@\""])
            .arg(std::env::current_exe().unwrap())
            .args(["--exact", &format!("{module}::{name}"), "--test-threads", "1"])
            .env("TECZKA_TEST_UMASK_000", "1")
            .status()
            .unwrap();
        assert!(status.success(), "the test under umask 000 failed: see its output above");
        false
    }

    #[test]
    fn files_and_folders_are_private_under_an_open_umask() {
        if !under_open_umask("files_and_folders_are_private_under_an_open_umask") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        // The umask really is open: std creates a file 0666.
        let control = dir.path().join("control");
        fs::write(&control, "").unwrap();
        assert_eq!(mode(&control), 0o666, "umask 000 in the child");
        let nested = dir.path().join("a/b/c");
        create_dir_all(&nested).unwrap();
        for folder in ["a", "a/b", "a/b/c"] {
            assert_eq!(mode(&dir.path().join(folder)), 0o700, "{folder}");
        }
        let health = nested.join("health.csv");
        write_file(&health, "pupil_id,note\n").unwrap();
        assert_eq!(mode(&health), 0o600);
        let fresh = nested.join("pupils.xml");
        create_new_file(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o600);
        assert!(create_new_file(&fresh).is_err(), "create_new never replaces");
        let temp = temp_file_in(&nested, ".teczka-", ".partial").unwrap();
        assert_eq!(mode(temp.path()), 0o600);
        let folder = temp_dir_in(&nested, ".teczka-").unwrap();
        assert_eq!(mode(folder.path()), 0o700);
    }

    #[test]
    fn an_existing_file_becomes_private_when_rewritten() {
        if !under_open_umask("an_existing_file_becomes_private_when_rewritten") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pupils.csv");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_file(&path, "new").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(fs::read(&path).unwrap(), b"new");
        // An existing folder is someone's: left as it is.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        create_dir_all(dir.path()).unwrap();
        assert_eq!(mode(dir.path()), 0o755);
    }
}
