//! Where a run's intermediate files go: plain private files, or files sealed under a key that
//! exists only in this process's memory.
//!
//! An encrypted export still has to lay its records out before it can hash them into a bag
//! and compress them into a zip: `pupils.jsonl`, `csv/health.csv`, the reports, and the
//! compressed entries waiting for the archive. When the archive will be encrypted, those
//! intermediate files are no plaintext either. A [`Store::sealed`] generates a fresh age X25519
//! key when it is made, keeps it in memory only (never written, never printed, gone when the
//! process ends), and every file created through it is an age file encrypted to that key (age's
//! STREAM: ChaCha20-Poly1305 in 64 KiB chunks). Reading a file back through the same store
//! decrypts it, and authenticates it: a file cut short (a disk that filled up, a run killed
//! while writing) is an error when read, never silently shorter. What a killed run leaves on
//! disk is ciphertext under a key that died with it.
//!
//! A [`Store::plain`] writes ordinary files; both create them `0600` (see
//! [`private`]), so the writers take a store and need not know which.
//!
//! The key protects against what is left on disk (another local account, a backup of the
//! temporary folder, a killed run's leftovers, a stolen disk); it cannot protect against
//! someone who can read this process's memory, who could read the records anyway.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::write::private;

/// How intermediate files are stored: plain, or sealed under an in-memory key. Cheap to clone;
/// clones share the key.
///
/// # Example
///
/// ```
/// use std::io::{Read, Write};
/// use teczka::Store;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("pupils.jsonl");
/// let store = Store::sealed();
/// let mut file = store.create(&path)?;
/// file.write_all(b"{\"surname\":\"Nowak\"}\n")?;
/// file.close()?;
/// // On disk: an age file, no plaintext.
/// let on_disk = std::fs::read(&path)?;
/// assert!(on_disk.starts_with(b"age-encryption.org/v1"));
/// assert!(!on_disk.windows(5).any(|w| w == b"Nowak"));
/// // Through the store: the plaintext, and its length.
/// let (mut reader, len) = store.open(&path)?;
/// let mut text = String::new();
/// reader.read_to_string(&mut text)?;
/// assert_eq!((text.as_str(), len), ("{\"surname\":\"Nowak\"}\n", 20));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct Store {
    seal: Option<Arc<Seal>>,
    /// Sees every file created through the store as it is written, if set.
    watcher: Option<Arc<dyn Watcher>>,
}

/// Something that sees the bytes of files as they are written through a [`Store`]: the archive
/// hashes and compresses a record file while the pipeline is still writing it, instead of
/// reading it back afterwards (see [`Store::watched`]).
pub trait Watcher: Send + Sync {
    /// A watch for the file just created at `path`, or `None` to leave it alone.
    fn watch(&self, path: &Path) -> Option<Box<dyn Watch>>;
}

/// The bytes of one file as they are written, in order; told when the file is complete.
pub trait Watch: Write + Send {
    /// The file was closed whole: every byte written to it was written to this watch too. A
    /// watch dropped without this saw a file that was abandoned.
    fn complete(self: Box<Self>);
}

/// The in-memory key.
struct Seal {
    identity: age::x25519::Identity,
    recipient: age::x25519::Recipient,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Store")
            .field("sealed", &self.is_sealed())
            .field("watched", &self.watcher.is_some())
            .finish()
    }
}

/// A reader of a stored file: seekable, so a zip can be read from it.
pub trait StoredRead: Read + Seek + Send {}

impl<T: Read + Seek + Send> StoredRead for T {}

impl Store {
    /// Plain private files.
    pub fn plain() -> Store {
        Store { seal: None, watcher: None }
    }

    /// Files sealed under a new key held in memory only.
    pub fn sealed() -> Store {
        let identity = age::x25519::Identity::generate();
        let recipient = identity.to_public();
        Store { seal: Some(Arc::new(Seal { identity, recipient })), watcher: None }
    }

    /// The same store (same key), with `watcher` shown every file [`create`](Store::create)
    /// makes, as it is written. Files made by [`wrap`](Store::wrap) are not shown.
    pub fn watched(&self, watcher: Arc<dyn Watcher>) -> Store {
        Store { seal: self.seal.clone(), watcher: Some(watcher) }
    }

    /// Whether files are sealed.
    pub fn is_sealed(&self) -> bool {
        self.seal.is_some()
    }

    /// Create (or truncate) `path`, mode `0600`, to be written through this store. Call the
    /// file's `close` when done; a file dropped without it is closed then, and an error
    /// closing a sealed file shows when it is read back (it fails authentication).
    pub fn create(&self, path: &Path) -> Result<StagedFile> {
        let file = private::create_file(path)?;
        let mut staged = self.wrap(file, path)?;
        staged.watch = self.watcher.as_ref().and_then(|w| w.watch(path));
        Ok(staged)
    }

    /// Seal (or not) an already created, empty, private `file` at `path`.
    pub fn wrap(&self, file: File, path: &Path) -> Result<StagedFile> {
        let inner = match &self.seal {
            None => Inner::Plain(file),
            Some(seal) => {
                let encryptor = age::Encryptor::with_recipients(std::iter::once(
                    &seal.recipient as &dyn age::Recipient,
                ))
                .map_err(|e| Error::io(path, io::Error::other(e.to_string())))?;
                Inner::Sealed(encryptor.wrap_output(file).map_err(|e| Error::io(path, e))?)
            }
        };
        Ok(StagedFile { path: path.to_path_buf(), inner: Some(inner), watch: None })
    }

    /// Write `contents` to `path` through this store.
    pub fn write(&self, path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
        let mut file = self.create(path)?;
        file.write_all(contents.as_ref()).map_err(|e| Error::io(path, e))?;
        file.close()
    }

    /// Open `path`, written through this store, for reading its plaintext; returns the reader
    /// and the plaintext's length. A sealed file that was cut short or changed is an error.
    pub fn open(&self, path: &Path) -> Result<(Box<dyn StoredRead>, u64)> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let meta = file.metadata().map_err(|e| Error::io(path, e))?;
        if !meta.is_file() {
            return Err(Error::input(path, "is not a regular file"));
        }
        self.open_file(file, path).map_err(|e| Error::io(path, e))
    }

    /// [`open`](Store::open) for a file already open (at its start).
    pub fn open_file(&self, file: File, path: &Path) -> io::Result<(Box<dyn StoredRead>, u64)> {
        let Some(seal) = &self.seal else {
            let len = file.metadata()?.len();
            return Ok((Box::new(file), len));
        };
        let reader = BufReader::with_capacity(1 << 16, file);
        let broken = |e: age::DecryptError| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: a sealed staging file does not open with this run's key ({e}): it was \
                     changed or cut short",
                    path.display()
                ),
            )
        };
        let decryptor = age::Decryptor::new_buffered(reader).map_err(broken)?;
        let mut stream = decryptor
            .decrypt(std::iter::once(&seal.identity as &dyn age::Identity))
            .map_err(broken)?;
        let len = stream.seek(SeekFrom::End(0))?;
        stream.seek(SeekFrom::Start(0))?;
        Ok((Box::new(stream), len))
    }
}

/// A file being written through a [`Store`].
pub struct StagedFile {
    path: PathBuf,
    inner: Option<Inner>,
    /// Shown every byte written, once the file has taken it; dropped at the first error.
    watch: Option<Box<dyn Watch>>,
}

enum Inner {
    Plain(File),
    Sealed(age::stream::StreamWriter<File>),
}

impl StagedFile {
    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Finish the file: a sealed file gets its last, authenticated chunk. Writing after this
    /// is an error; closing again does nothing.
    pub fn close(&mut self) -> Result<()> {
        let closing = |e| Error::io(&self.path, e);
        let closed = match self.inner.take() {
            None => return Ok(()),
            Some(Inner::Plain(mut file)) => file.flush().map_err(closing),
            Some(Inner::Sealed(stream)) => {
                stream.finish().map_err(closing).and_then(|mut file| file.flush().map_err(closing))
            }
        };
        // A file that did not close whole is not complete, whatever its watch saw.
        if let (Ok(()), Some(watch)) = (&closed, self.watch.take()) {
            watch.complete();
        }
        closed
    }

    fn writer(&mut self) -> io::Result<&mut dyn Write> {
        match &mut self.inner {
            Some(Inner::Plain(file)) => Ok(file),
            Some(Inner::Sealed(stream)) => Ok(stream),
            None => Err(io::Error::other("the staged file is already closed")),
        }
    }
}

impl Write for StagedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.writer()?.write(buf);
        if let (Ok(n), Some(watch)) = (&written, &mut self.watch) {
            // A watch that fails (its reader gave up) is dropped: it never completes, so
            // nothing trusts what it saw, and the file itself is unaffected.
            if watch.write_all(buf.get(..*n).unwrap_or_default()).is_err() {
                self.watch = None;
            }
        }
        if written.is_err() {
            self.watch = None;
        }
        written
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer()?.flush()
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        // An error here surfaces when the file is read back: a sealed file without its last
        // chunk fails authentication.
        let _ = self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte on disk under `dir`.
    fn bytes_under(dir: &Path) -> Vec<u8> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            all.extend(std::fs::read(entry.path()).unwrap());
        }
        all
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn sealed_files_hold_no_plaintext_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::sealed();
        // Several chunks, and a canary in the first and the last.
        let mut text = b"Kowalczykowska\n".to_vec();
        text.extend((0..200_000u32).flat_map(|i| format!("{i},").into_bytes()));
        text.extend_from_slice(b"Kowalczykowska\n");
        let path = dir.path().join("pupils.jsonl");
        store.write(&path, &text).unwrap();
        let mut small = store.create(&dir.path().join("health.csv")).unwrap();
        small.write_all(b"P1,Kowalczykowska,astma\n").unwrap();
        drop(small);
        assert!(!contains(&bytes_under(dir.path()), b"Kowalczykowska"));
        let (mut reader, len) = store.open(&path).unwrap();
        let mut back = Vec::new();
        reader.read_to_end(&mut back).unwrap();
        assert_eq!((back.len() as u64, back == text), (len, true));
        // Seekable, as a zip reader needs.
        reader.seek(SeekFrom::Start(len - 15)).unwrap();
        let mut tail = String::new();
        reader.read_to_string(&mut tail).unwrap();
        assert_eq!(tail, "Kowalczykowska\n");
        let (mut reader, _) = store.open(&dir.path().join("health.csv")).unwrap();
        let mut small = String::new();
        reader.read_to_string(&mut small).unwrap();
        assert_eq!(small, "P1,Kowalczykowska,astma\n", "closed when dropped");
    }

    #[test]
    fn another_key_or_a_cut_file_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::sealed();
        let path = dir.path().join("a");
        store.write(&path, vec![7u8; 200_000]).unwrap();
        assert!(Store::sealed().open(&path).is_err(), "another run's key");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
        assert!(store.open(&path).is_err(), "cut short");
        let mut unfinished = store.create(&path).unwrap();
        unfinished.write_all(&[1u8; 100_000]).unwrap();
        // Dropped unclosed after losing its tail: simulated by reading mid-way.
        unfinished.flush().unwrap();
        assert!(store.open(&path).is_err(), "no last chunk yet");
        unfinished.close().unwrap();
        assert_eq!(store.open(&path).unwrap().1, 100_000);
    }

    #[test]
    fn plain_files_are_the_bytes_written_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::plain();
        let path = dir.path().join("a.csv");
        store.write(&path, "x,y\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"x,y\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(store.open(&path).unwrap().1, 4);
        assert!(!format!("{store:?} {:?}", Store::sealed()).contains("AGE-SECRET"));
    }
}
