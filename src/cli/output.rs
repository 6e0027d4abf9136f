//! Output files written atomically: a crash never leaves half a file under the final name.
//!
//! Everything is written to a temporary file (or folder) beside the destination and renamed
//! into place only when complete; a rename within one folder is atomic.

use super::private;
use anyhow::{bail, Context};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use teczka::write::staged::{StagedFile, Store};

/// A file being written; becomes visible under its name only on [`AtomicFile::commit`].
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Start writing `path`.
    pub fn create(path: &Path) -> anyhow::Result<AtomicFile> {
        let parent = parent_of(path);
        private::remove_leftovers(parent);
        // 0600 whatever the umask (the rename keeps the mode).
        let temp =
            teczka::write::private::temp_file_in(parent, &private::temp_prefix(), ".partial")
                .with_context(|| {
                    format!("{}: cannot create the output file here", path.display())
                })?;
        private::register(temp.path());
        Ok(AtomicFile { temp, path: path.to_path_buf() })
    }

    /// The file to write into.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Flush to disk and move the file under its final name.
    pub fn commit(self) -> anyhow::Result<()> {
        self.temp
            .as_file()
            .sync_all()
            .with_context(|| format!("{}: cannot flush", self.path.display()))?;
        let temp_path = self.temp.path().to_path_buf();
        self.temp
            .persist(&self.path)
            .with_context(|| format!("{}: cannot write the output", self.path.display()))?;
        private::forget(&temp_path);
        Ok(())
    }
}

impl Write for &mut AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.temp.flush()
    }
}

/// A folder being filled; renamed to its final name on [`AtomicDir::commit`].
pub struct AtomicDir {
    temp: tempfile::TempDir,
    path: PathBuf,
}

impl AtomicDir {
    /// Start filling the folder `path`. An existing non-empty folder is refused, so a run never
    /// mixes its files with another's.
    pub fn create(path: &Path) -> anyhow::Result<AtomicDir> {
        if path.exists() && !is_empty_dir(path) {
            bail!(
                "{}: the output folder exists and is not empty: remove it or choose another -o",
                path.display()
            );
        }
        let parent = parent_of(path);
        private::remove_leftovers(parent);
        // 0700 whatever the umask; the writers make their files inside 0600.
        let temp = teczka::write::private::temp_dir_in(parent, &private::temp_prefix())
            .with_context(|| format!("{}: cannot create the output folder here", path.display()))?;
        private::register(temp.path());
        Ok(AtomicDir { temp, path: path.to_path_buf() })
    }

    /// The folder to write into.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// Move the folder under its final name.
    pub fn commit(self) -> anyhow::Result<()> {
        if self.path.exists() {
            std::fs::remove_dir(&self.path)
                .with_context(|| format!("{}: cannot replace", self.path.display()))?;
        }
        let temp = self.temp.keep();
        std::fs::rename(&temp, &self.path)
            .with_context(|| format!("{}: cannot write the output", self.path.display()))?;
        private::forget(&temp);
        Ok(())
    }
}

/// The folder the output goes in, created if missing (`-o out/pupils.xml` on a fresh clone).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            // Private (0700) whatever the umask. A failure here resurfaces, with the path,
            // when the temporary file is created.
            let _ = teczka::write::private::create_dir_all(parent);
            parent
        }
        _ => Path::new("."),
    }
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
}

/// A file a run writes beside its records: an [`AtomicFile`] for an output of its own, or a
/// file in an export's staging folder, written through the staging's store (sealed when the
/// archive will be encrypted).
pub enum OutFile {
    /// An output renamed into place on commit.
    Atomic(AtomicFile),
    /// A staged file, closed on commit.
    Staged(StagedFile),
}

impl OutFile {
    /// Start writing `path`: through `staged` when given, else atomically.
    pub fn create(path: &Path, staged: Option<&Store>) -> anyhow::Result<OutFile> {
        Ok(match staged {
            Some(store) => OutFile::Staged(store.create(path)?),
            None => OutFile::Atomic(AtomicFile::create(path)?),
        })
    }

    /// Finish the file.
    pub fn commit(self) -> anyhow::Result<()> {
        match self {
            OutFile::Atomic(file) => file.commit(),
            OutFile::Staged(mut file) => Ok(file.close()?),
        }
    }
}

impl Write for &mut OutFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut **self {
            OutFile::Atomic(file) => {
                let mut file: &mut AtomicFile = file;
                file.write(buf)
            }
            OutFile::Staged(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut **self {
            OutFile::Atomic(file) => {
                let mut file: &mut AtomicFile = file;
                file.flush()
            }
            OutFile::Staged(file) => file.flush(),
        }
    }
}
