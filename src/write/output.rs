//! Outputs written atomically, and one place that opens a record format's output.
//!
//! Everything is written to a temporary file (or folder) beside the destination and renamed
//! into place only when complete; a rename within one folder is atomic, so a crash never
//! leaves half a file under the final name.
//!
//! Temporary paths are named `.teczka-<pid>-…`, and the folder each is made in is registered
//! before it is created ([`register_folder`]): the binary's signal handler removes this
//! process's entries there ([`remove_registered`]) before `SIGINT`, `SIGTERM` or `SIGHUP` end
//! the run, as a normal exit or an error does through their destructors. `kill -9`
//! cannot be caught: what it leaves is private (`0700`/`0600`), and the next output created in
//! the same folder removes such leftovers of processes that no longer exist
//! ([`remove_leftovers`]).

use super::oneroster::NotWritten;
use super::staged::{StagedFile, Store};
use super::{private, CsvWriteOptions, CsvWriter, JsonlWriter, ParquetWriter, Sink};
use super::{MatrikaWriter, OneRosterWriter, XlsxWriter, XmlWriter};
use crate::error::{Error, Result};
use crate::read::Format;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The output path that means standard output.
pub const STDOUT: &str = "-";

/// A record format's output being written: write every pupil into [`Output::sink`], then
/// [`Output::commit`] it under its name.
///
/// # Example
///
/// ```
/// use teczka::{open_output, CsvWriteOptions, Format, Outgoing, Pupil};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("pupils.jsonl");
/// let mut out = open_output(Format::Jsonl, &path, CsvWriteOptions::default())?;
/// out.sink().write(Outgoing::Pupil(&Pupil { id: "P-1".into(), ..Pupil::default() }))?;
/// out.sink().finish()?;
/// assert!(!path.exists(), "nothing under the name before the commit");
/// out.commit()?;
/// assert_eq!(std::fs::read_to_string(&path)?, "{\"id\":\"P-1\"}\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Output {
    sink: Box<dyn Sink>,
    target: Target,
    not_written: Option<NotWritten>,
}

/// Where an [`Output`]'s bytes go until the commit.
enum Target {
    File(AtomicFile),
    Dir(AtomicDir),
    Stdout,
}

/// What an output is written as: every record format teczka reads, and XLSX workbooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutFormat {
    /// A folder of CSV files, one per entity.
    Csv,
    /// SOU-like XML.
    Xml,
    /// JSON Lines of the canonical model.
    Jsonl,
    /// An `.xlsx` workbook, one worksheet per entity, identifiers as text cells.
    Xlsx,
    /// A folder of Parquet files, one per entity, typed columns.
    Parquet,
    /// A OneRoster 1.2 bulk CSV folder (`manifest.csv` and a table per file).
    OneRoster,
    /// A Czech MŠMT školní matrika document (`<MATRIKA>`, one `<VETA>` per pupil).
    Matrika,
}

impl From<Format> for OutFormat {
    fn from(format: Format) -> OutFormat {
        match format {
            Format::Csv => OutFormat::Csv,
            Format::Xml => OutFormat::Xml,
            Format::Matrika => OutFormat::Matrika,
            Format::Jsonl => OutFormat::Jsonl,
            Format::OneRoster => OutFormat::OneRoster,
            Format::Spreadsheet => OutFormat::Xlsx,
        }
    }
}

/// Open the output of `format` at `path`: a folder of files for CSV (`options` say how) and
/// Parquet, one file for XML, JSON Lines and XLSX, standard output for those when `path` is
/// `-`.
pub fn open(format: impl Into<OutFormat>, path: &Path, options: CsvWriteOptions) -> Result<Output> {
    open_released(format, path, options, &[])
}

/// [`open`] for records a policy released: `as_text` are the fields released as text
/// (`Policy::retyped_fields`), which a typed format (Parquet) writes as text columns.
pub fn open_released(
    format: impl Into<OutFormat>,
    path: &Path,
    options: CsvWriteOptions,
    as_text: &[&str],
) -> Result<Output> {
    let format = format.into();
    let name = path.display().to_string();
    let stdout = path == Path::new(STDOUT);
    let (sink, target): (Box<dyn Sink>, Target) = match format {
        // Classes belong to the school year holding today; `open_oneroster` takes the date.
        OutFormat::OneRoster => return open_oneroster(path, chrono::Local::now().date_naive()),
        OutFormat::Csv | OutFormat::Parquet if stdout => {
            let why = "CSV and Parquet are a folder of files (one per entity): give -o a folder \
                       name, not `-`";
            return Err(Error::io(path, io::Error::new(io::ErrorKind::InvalidInput, why)));
        }
        OutFormat::Csv => {
            let dir = AtomicDir::create(path)?;
            (Box::new(CsvWriter::create(dir.path(), options)?), Target::Dir(dir))
        }
        OutFormat::Parquet => {
            let dir = AtomicDir::create(path)?;
            (Box::new(ParquetWriter::create(dir.path(), as_text)?), Target::Dir(dir))
        }
        OutFormat::Matrika => return open_matrika(path),
        _ if stdout => (record_sink(format, io::stdout(), &name, None)?, Target::Stdout),
        _ => {
            let file = AtomicFile::create(path)?;
            let handle = file.temp.as_file().try_clone().map_err(|e| Error::io(path, e))?;
            // A workbook's worksheets spool beside the output: same disk, same privacy.
            let tempdir = Some(parent_of(path));
            (record_sink(format, handle, &name, tempdir)?, Target::File(file))
        }
    };
    Ok(Output { sink, target, not_written: None })
}

/// Open a OneRoster 1.2 bulk CSV folder at `path`, its classes in the school year holding
/// `today`; the output's `not_written` then counts the values it has no column for.
pub fn open_oneroster(path: &Path, today: chrono::NaiveDate) -> Result<Output> {
    if path == Path::new(STDOUT) {
        let why = "OneRoster is a folder of files: give -o a folder name, not `-`";
        return Err(Error::io(path, io::Error::new(io::ErrorKind::InvalidInput, why)));
    }
    let dir = AtomicDir::create(path)?;
    let writer = OneRosterWriter::create(dir.path(), today)?;
    let not_written = Some(writer.not_written());
    Ok(Output { sink: Box::new(writer), target: Target::Dir(dir), not_written })
}

/// Open a školní matrika document at `path` (standard output for `-`);
/// [`Output::not_written`] then counts the values the register has no item for.
pub fn open_matrika(path: &Path) -> Result<Output> {
    let name = path.display().to_string();
    if path == Path::new(STDOUT) {
        let writer = MatrikaWriter::new(io::stdout(), name)?;
        let not_written = Some(writer.not_written());
        return Ok(Output { sink: Box::new(writer), target: Target::Stdout, not_written });
    }
    let file = AtomicFile::create(path)?;
    let handle = file.temp.as_file().try_clone().map_err(|e| Error::io(path, e))?;
    let writer = MatrikaWriter::new(handle, name)?;
    let not_written = Some(writer.not_written());
    Ok(Output { sink: Box::new(writer), target: Target::File(file), not_written })
}

/// The run's notices for the values an output had no place for, one line per field, named by
/// the format: `matrika: surname: 24 values not written: …`.
pub fn not_written_notes(format: OutFormat, counts: &NotWritten) -> Vec<String> {
    let (name, reason): (&str, fn(&str) -> &'static str) = match format {
        OutFormat::Matrika => ("matrika", super::matrika::reason),
        _ => ("oneroster", super::oneroster::reason),
    };
    let Ok(counts) = counts.lock() else { return Vec::new() };
    counts
        .iter()
        .map(|(field, n)| format!("{name}: {field}: {n} values not written: {}", reason(field)))
        .collect()
}

/// The one-stream writer of `format` (XML, JSON Lines or XLSX) on `out`.
fn record_sink<W: Write + Send + 'static>(
    format: OutFormat,
    out: W,
    name: &str,
    tempdir: Option<&Path>,
) -> Result<Box<dyn Sink>> {
    Ok(match format {
        OutFormat::Xml => Box::new(XmlWriter::new(out, name)?),
        OutFormat::Xlsx => Box::new(XlsxWriter::new(out, name, tempdir)?),
        _ => Box::new(JsonlWriter::new(out, name)),
    })
}

impl Output {
    /// The sink to write the pupils into; call its [`Sink::finish`] before [`Output::commit`].
    pub fn sink(&mut self) -> &mut dyn Sink {
        &mut *self.sink
    }

    /// For a OneRoster or matrika output, the counts of values it had no place for, by
    /// field.
    pub fn not_written(&self) -> Option<NotWritten> {
        self.not_written.clone()
    }

    /// Whether the output is standard output (nothing to name, nothing beside it).
    pub fn is_stdout(&self) -> bool {
        matches!(self.target, Target::Stdout)
    }

    /// Move the finished output under its name (a no-op on standard output).
    pub fn commit(self) -> Result<()> {
        // The sink holds the last handle to the temporary file: close it first.
        drop(self.sink);
        match self.target {
            Target::File(file) => file.commit(),
            Target::Dir(dir) => dir.commit(),
            Target::Stdout => Ok(()),
        }
    }
}

/// A file being written; becomes visible under its name only on [`AtomicFile::commit`].
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Start writing `path` (`0600`), creating its folder (`0700`) if missing.
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let parent = parent_of(path);
        remove_leftovers(parent);
        register_folder(parent);
        // 0600 whatever the umask (the rename keeps the mode).
        let temp = private::temp_file_in(parent, &temp_prefix(), ".partial")?;
        Ok(AtomicFile { temp, path: path.to_path_buf() })
    }

    /// The file to write into.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Flush to disk and move the file under its final name.
    pub fn commit(self) -> Result<()> {
        self.temp.as_file().sync_all().map_err(|e| Error::io(&self.path, e))?;
        self.temp.persist(&self.path).map_err(|e| Error::io(&self.path, e.error))?;
        Ok(())
    }
}

impl Write for &mut AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

/// A folder being filled; renamed to its final name on [`AtomicDir::commit`].
pub struct AtomicDir {
    temp: tempfile::TempDir,
    path: PathBuf,
}

impl AtomicDir {
    /// Start filling the folder `path` (`0700`). An existing non-empty folder is refused, so
    /// a run never mixes its files with another's.
    pub fn create(path: &Path) -> Result<AtomicDir> {
        if path.exists() && !is_empty_dir(path) {
            let why = "the output folder exists and is not empty: remove it or choose another -o";
            return Err(Error::io(path, io::Error::new(io::ErrorKind::AlreadyExists, why)));
        }
        let parent = parent_of(path);
        remove_leftovers(parent);
        register_folder(parent);
        let temp = private::temp_dir_in(parent, &temp_prefix())?;
        Ok(AtomicDir { temp, path: path.to_path_buf() })
    }

    /// The folder to write into.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// Move the folder under its final name.
    pub fn commit(self) -> Result<()> {
        if self.path.exists() {
            std::fs::remove_dir(&self.path).map_err(|e| Error::io(&self.path, e))?;
        }
        let temp = self.temp.keep();
        std::fs::rename(&temp, &self.path).map_err(|e| Error::io(&self.path, e))?;
        Ok(())
    }
}

/// The folder the output goes in, created if missing (`-o out/pupils.xml` on a fresh clone).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            // Private (0700) whatever the umask. A failure here resurfaces, with the path,
            // when the temporary file is created.
            let _ = private::create_dir_all(parent);
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
    pub fn create(path: &Path, staged: Option<&Store>) -> Result<OutFile> {
        Ok(match staged {
            Some(store) => OutFile::Staged(store.create(path)?),
            None => OutFile::Atomic(AtomicFile::create(path)?),
        })
    }

    /// Finish the file.
    pub fn commit(self) -> Result<()> {
        match self {
            OutFile::Atomic(file) => file.commit(),
            OutFile::Staged(mut file) => file.close(),
        }
    }
}

impl Write for &mut OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut **self {
            OutFile::Atomic(file) => {
                let mut file: &mut AtomicFile = file;
                file.write(buf)
            }
            OutFile::Staged(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut **self {
            OutFile::Atomic(file) => {
                let mut file: &mut AtomicFile = file;
                file.flush()
            }
            OutFile::Staged(file) => file.flush(),
        }
    }
}

/// Folders this process makes temporary entries in: a signal removes every entry in them named
/// with [`temp_prefix`], including one created a moment before it could be registered.
static FOLDERS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The prefix of every temporary name this process creates: `.teczka-<pid>-`.
pub fn temp_prefix() -> String {
    format!(".teczka-{}-", std::process::id())
}

/// Remember that this process makes temporary entries (named with [`temp_prefix`]) in
/// `folder`, for [`remove_registered`]. Call it *before* creating one, so a signal at any
/// moment finds the entry; once renamed to its final name it is no longer one of them.
pub fn register_folder(folder: &Path) {
    if let Ok(mut folders) = FOLDERS.lock() {
        if !folders.iter().any(|f| f == folder) {
            folders.push(folder.to_path_buf());
        }
    }
}

/// Remove this process's temporary entries in every registered folder: what a signal handler
/// calls before it exits.
pub fn remove_registered() {
    let folders = match FOLDERS.lock() {
        Ok(folders) => folders.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    remove_ours_in(&folders, &temp_prefix());
}

/// Remove every entry of `folders` whose name starts with `prefix` (this process's own).
fn remove_ours_in(folders: &[PathBuf], prefix: &str) {
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(folder) else { continue };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(prefix) {
                remove_path(&entry.path());
            }
        }
    }
}

/// Remove a file or a folder with everything in it; a symbolic link itself, never its target.
fn remove_path(path: &Path) {
    let is_dir = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    let _ = if is_dir { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) };
}

/// Remove what killed teczka runs left in `folder`: `.teczka-<pid>-…` entries whose process no
/// longer exists. Entries of running processes, and anything else, are left alone.
pub fn remove_leftovers(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = leftover_pid(&name.to_string_lossy()) else { continue };
        if pid == std::process::id() || process_exists(pid) {
            continue;
        }
        let path = entry.path();
        // Only our own leftovers: owned by this user (and private, as every run makes them).
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if !owned_by_us(&meta) {
            continue;
        }
        remove_path(&path);
    }
}

/// The process id in a `.teczka-<pid>-…` name.
fn leftover_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(".teczka-")?;
    let (pid, tail) = rest.split_once('-')?;
    (!tail.is_empty()).then_some(())?;
    pid.parse().ok()
}

/// Whether process `pid` runs. Without `/proc` there is no safe way to tell, so every
/// process counts as running and its leftovers stay.
fn process_exists(pid: u32) -> bool {
    !Path::new("/proc/self").exists() || Path::new("/proc").join(pid.to_string()).exists()
}

/// Whether `meta` belongs to this process's user: `/proc/self` is owned by the process's
/// effective user (teczka never makes itself non-dumpable, which would hand it to root).
/// Elsewhere nothing counts as ours, so nothing is removed.
#[cfg(unix)]
fn owned_by_us(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|own| own.uid() == meta.uid())
}

#[cfg(not(unix))]
fn owned_by_us(_meta: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::Outgoing;
    use crate::Pupil;

    #[test]
    fn leftovers_are_recognised_by_their_process_id() {
        assert_eq!(leftover_pid(".teczka-4242-export-x1"), Some(4242));
        assert_eq!(leftover_pid(".teczka-4242-"), None);
        assert_eq!(leftover_pid(".teczka-abc-x"), None);
        assert_eq!(leftover_pid("teczka-4242-x"), None);
    }

    #[test]
    fn leftovers_of_dead_processes_go_and_others_stay() {
        let dir = tempfile::tempdir().unwrap();
        // A pid above Linux's pid_max (4194304) never runs.
        let dead = dir.path().join(".teczka-4194305-export-abc");
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join("pupils.jsonl"), "{}").unwrap();
        let alive = dir.path().join(format!("{}x", temp_prefix()));
        std::fs::write(&alive, "").unwrap();
        let other = dir.path().join("pupils.jsonl");
        std::fs::write(&other, "").unwrap();
        remove_leftovers(dir.path());
        assert!(!dead.exists());
        assert!(alive.exists() && other.exists());
    }

    #[test]
    fn a_signal_removes_this_process_entries_in_registered_folders_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let ours_dir = dir.path().join(format!("{}export-abc", temp_prefix()));
        std::fs::create_dir(&ours_dir).unwrap();
        std::fs::write(ours_dir.join("pupils.jsonl"), "{}").unwrap();
        let ours_file = dir.path().join(format!("{}x.partial", temp_prefix()));
        std::fs::write(&ours_file, "").unwrap();
        let others = dir.path().join(".teczka-4194305-export-abc");
        std::fs::create_dir(&others).unwrap();
        let output = dir.path().join("pupils.jsonl");
        std::fs::write(&output, "").unwrap();
        // A link named like ours goes, the folder it points to stays.
        let target = tempfile::tempdir().unwrap();
        let link = dir.path().join(format!("{}link", temp_prefix()));
        std::os::unix::fs::symlink(target.path(), &link).unwrap();
        remove_ours_in(&[dir.path().to_path_buf()], &temp_prefix());
        assert!(!ours_dir.exists() && !ours_file.exists() && !link.exists());
        assert!(others.exists() && output.exists() && target.path().exists());
    }

    #[test]
    fn each_format_appears_under_its_name_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        for (format, name) in
            [(Format::Csv, "csv"), (Format::Xml, "p.xml"), (Format::Jsonl, "p.jsonl")]
        {
            let path = dir.path().join(name);
            let mut out = open(format, &path, CsvWriteOptions::default()).unwrap();
            assert!(!out.is_stdout());
            out.sink()
                .write(Outgoing::Pupil(&Pupil { id: "P-1".into(), ..Pupil::default() }))
                .unwrap();
            out.sink().finish().unwrap();
            assert!(!path.exists(), "{name} before the commit");
            out.commit().unwrap();
            assert!(path.exists(), "{name} after the commit");
        }
        let written = std::fs::read_to_string(dir.path().join("p.xml")).unwrap();
        assert!(written.contains("<id>P-1</id>") && written.trim_end().ends_with('>'), "{written}");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".teczka-"))
            .collect();
        assert_eq!(leftovers, Vec::<String>::new());
    }

    #[test]
    fn csv_on_standard_output_and_a_full_folder_are_refused_with_the_fix() {
        let error = open(Format::Csv, Path::new(STDOUT), CsvWriteOptions::default()).err().unwrap();
        assert!(error.to_string().contains("give -o a folder name"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), "").unwrap();
        let error = open(Format::Csv, dir.path(), CsvWriteOptions::default()).err().unwrap();
        assert!(error.to_string().contains("remove it or choose another -o"), "{error}");
        assert!(open(Format::Jsonl, Path::new(STDOUT), CsvWriteOptions::default())
            .unwrap()
            .is_stdout());
    }
}
