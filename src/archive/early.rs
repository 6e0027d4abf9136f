//! Payload files hashed and compressed while they are written.
//!
//! Without this, a command first writes its record files into the staging folder, and the bag
//! then reads every one back to hash and compress it: on a large export a tail of seconds after
//! the pipeline, in which the largest file keeps one core busy on its own. [`EarlyEntries`]
//! watches the staging's store ([`Watcher`]): every file created under the staging folder is
//! also streamed, chunk by chunk, to a thread of its own, which hashes it (SHA-512 and SHA-256)
//! and prepares its zip entry exactly as the bag would, while the pipeline runs on the other
//! threads.
//!
//! What the bag gets is a shortcut, checked before it is taken: the file must have been closed
//! whole, and must still have the length and modification time it had then. Anything else — a
//! file abandoned or written again, one that grew past 4 GiB, a preparation that failed — falls
//! back to reading the file, as before. The archive's bytes are the same either way: the entry
//! is prepared by the same function, under the same name, with the same options.
//!
//! Only a file past [`SMALL`] bytes gets a thread; the bag reads smaller ones back in no time.
//! Memory stays bounded: a watched file holds at most [`IN_FLIGHT`] chunks of [`CHUNK`] bytes
//! on their way to its thread, and at most [`MAX_WATCHED`] files are prepared at once (later
//! ones take the old path).

use std::collections::HashMap;
use std::io::{self, Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::SystemTime;

use crate::archive::bag::{payload_entry, Digests, Tap};
use crate::archive::zip_writer::{self, PreparedEntry, ZipOptions, IN_MEMORY_LIMIT};
use crate::write::staged::{Watch, Watcher};

/// Bytes a watch gathers before handing them to its thread.
pub const CHUNK: usize = 64 << 10;

/// Chunks a watched file may have on their way to its thread before its writer waits.
pub const IN_FLIGHT: usize = 2;

/// Files prepared at once; a file that grows past [`SMALL`] while this many are being
/// prepared is left to the bag.
pub const MAX_WATCHED: usize = 64;

/// A file is only prepared early once it is larger than this: the bag reads small files back
/// in no time, and a thread for each would cost more than it saves.
pub const SMALL: usize = 64 << 10;

/// A payload file's digests and its prepared zip entry.
pub type Prepared = (Digests, PreparedEntry);

/// What a file looked like on disk when it was closed whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Stamp { len: meta.len(), modified: meta.modified().ok() })
    }
}

/// One watched file: the thread preparing it and, once it was closed whole, its stamp.
struct Pending {
    /// Tells this watch from a later one of a file created again at the same path.
    generation: u64,
    thread: JoinHandle<Option<Prepared>>,
    closed: Option<Stamp>,
}

/// The files being prepared while they are written, by path.
#[derive(Default)]
struct Registry {
    pending: Mutex<HashMap<PathBuf, Pending>>,
    generation: AtomicU64,
    /// Watches not yet completed or dropped.
    open: AtomicUsize,
    /// Entries handed to the bag.
    taken: AtomicUsize,
}

/// The [`Watcher`] of a staging folder: prepares the bag's entries while the files under
/// `data` are written. Give it to the store with [`Store::watched`](crate::Store::watched)
/// and to the bag with [`BagBuilder::prepared_early`](crate::BagBuilder::prepared_early).
pub struct EarlyEntries {
    data: PathBuf,
    bag: String,
    options: ZipOptions,
    registry: Arc<Registry>,
}

impl std::fmt::Debug for EarlyEntries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EarlyEntries").field("data", &self.data).field("bag", &self.bag).finish()
    }
}

impl EarlyEntries {
    /// Prepare entries for the files under `data`, the bag named `bag`'s `data/` folder, with
    /// the zip `options` the bag will be written with.
    pub fn new(data: &Path, bag: &str, options: ZipOptions) -> EarlyEntries {
        EarlyEntries {
            data: data.to_path_buf(),
            bag: bag.to_owned(),
            options,
            registry: Arc::default(),
        }
    }

    /// The file at `path`'s digests and entry, if it was prepared while written, closed whole,
    /// and has not changed since; `None` sends the bag back to reading the file.
    pub fn take(&self, path: &Path) -> Option<Prepared> {
        let pending = self.registry.pending.lock().ok()?.remove(path)?;
        let closed = pending.closed?;
        let prepared = pending.thread.join().ok().flatten()?;
        let unchanged = Stamp::of(path) == Some(closed);
        if unchanged {
            self.registry.taken.fetch_add(1, Ordering::Relaxed);
        }
        unchanged.then_some(prepared)
    }

    /// How many entries [`take`](EarlyEntries::take) has handed out.
    pub fn taken(&self) -> usize {
        self.registry.taken.load(Ordering::Relaxed)
    }
}

impl Watcher for EarlyEntries {
    fn watch(&self, path: &Path) -> Option<Box<dyn Watch>> {
        let relative = path.strip_prefix(&self.data).ok()?;
        let parts: Vec<&str> =
            relative.components().map(|c| c.as_os_str().to_str()).collect::<Option<_>>()?;
        Some(Box::new(Streamed {
            path: path.to_path_buf(),
            name: payload_entry(&self.bag, &parts.join("/")),
            options: self.options.clone(),
            registry: Arc::clone(&self.registry),
            state: State::Gathering,
            buffer: Vec::new(),
        }))
    }
}

/// What a watch sends its thread.
enum Message {
    Bytes(Vec<u8>),
    /// The file was closed whole: everything it holds was sent.
    End,
}

/// Where a watched file stands.
enum State {
    /// Not past [`SMALL`] bytes yet, so no thread: a file closed now is left to the bag.
    Gathering,
    /// Streaming to its thread.
    Sending { sender: SyncSender<Message>, generation: u64 },
    /// Given up on (too many files watched, or the thread stopped): the bag reads it back.
    Left,
}

/// The writer's side of a watched file: gathers bytes into chunks and sends them.
struct Streamed {
    path: PathBuf,
    /// The entry's name in the archive.
    name: String,
    options: ZipOptions,
    registry: Arc<Registry>,
    state: State,
    buffer: Vec<u8>,
}

impl Streamed {
    /// Start the file's thread, unless [`MAX_WATCHED`] files are already being prepared.
    fn start(&mut self) {
        let registry = &self.registry;
        if registry.open.fetch_add(1, Ordering::SeqCst) >= MAX_WATCHED {
            registry.open.fetch_sub(1, Ordering::SeqCst);
            self.leave();
            return;
        }
        let (sender, receiver) = sync_channel(IN_FLIGHT);
        let (name, options) = (self.name.clone(), self.options.clone());
        let thread = std::thread::Builder::new()
            .name("teczka-early-entry".into())
            .spawn(move || prepare_streamed(&name, receiver, &options));
        let (Ok(thread), Ok(mut pending)) = (thread, registry.pending.lock()) else {
            registry.open.fetch_sub(1, Ordering::SeqCst);
            self.leave();
            return;
        };
        let generation = registry.generation.fetch_add(1, Ordering::SeqCst);
        pending.insert(self.path.clone(), Pending { generation, thread, closed: None });
        self.state = State::Sending { sender, generation };
    }

    /// Stop watching: the bag will read the file back.
    fn leave(&mut self) {
        if matches!(self.state, State::Sending { .. }) {
            self.registry.open.fetch_sub(1, Ordering::SeqCst);
        }
        self.state = State::Left;
        self.buffer = Vec::new();
    }

    /// Send `message` to the thread; leave the file if the thread stopped listening.
    fn send(&mut self, message: Message) -> io::Result<()> {
        let sent = match &self.state {
            State::Sending { sender, .. } => sender.send(message).is_ok(),
            State::Gathering | State::Left => false,
        };
        if !sent {
            self.leave();
            return Err(io::Error::other("the entry's thread stopped"));
        }
        Ok(())
    }

    /// Send what was gathered.
    fn send_buffer(&mut self) -> io::Result<()> {
        let full = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.send(Message::Bytes(full))
    }
}

impl Write for Streamed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if matches!(self.state, State::Left) {
            return Ok(buf.len());
        }
        self.buffer.extend_from_slice(buf);
        if matches!(self.state, State::Gathering) && self.buffer.len() > SMALL {
            self.start();
        }
        if matches!(self.state, State::Sending { .. }) && self.buffer.len() >= CHUNK {
            self.send_buffer()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Watch for Streamed {
    fn complete(mut self: Box<Self>) {
        let State::Sending { generation, .. } = self.state else { return };
        let sent_all = self.buffer.is_empty() || self.send_buffer().is_ok();
        if !(sent_all && self.send(Message::End).is_ok()) {
            return;
        }
        let stamp = Stamp::of(&self.path);
        if let Ok(mut pending) = self.registry.pending.lock() {
            if let Some(p) = pending.get_mut(&self.path).filter(|p| p.generation == generation) {
                p.closed = stamp;
            }
        }
    }
}

impl Drop for Streamed {
    fn drop(&mut self) {
        if matches!(self.state, State::Sending { .. }) {
            self.registry.open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// The thread's side: the chunks of one file as a reader, ending where the file was closed;
/// an error if the file was abandoned.
struct Chunks {
    receiver: Receiver<Message>,
    current: Cursor<Vec<u8>>,
    ended: bool,
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.current.read(buf)?;
            if n > 0 || buf.is_empty() || self.ended {
                return Ok(n);
            }
            match self.receiver.recv() {
                Ok(Message::Bytes(bytes)) => self.current = Cursor::new(bytes),
                Ok(Message::End) => self.ended = true,
                Err(_) => {
                    return Err(io::Error::other("the file was abandoned before it was closed"))
                }
            }
        }
    }
}

/// Hash and prepare the entry `name` from the chunks of its file, as the bag would from the
/// closed file; `None` when the file was abandoned or the entry could not be prepared (the bag
/// then reads the file, and reports any error itself).
fn prepare_streamed(
    name: &str,
    receiver: Receiver<Message>,
    options: &ZipOptions,
) -> Option<Prepared> {
    let chunks = Chunks { receiver, current: Cursor::new(Vec::new()), ended: false };
    let mut tap = Tap::new(chunks);
    // Past SMALL bytes already, so kept in a temporary file; one that outgrows 4 GiB fails
    // here, and the bag writes it with Zip64.
    let entry = zip_writer::prepare(name, &mut tap, IN_MEMORY_LIMIT + 1, options).ok()?;
    if tap.error.is_some() {
        return None;
    }
    Some((tap.finish(), entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::staged::Store;

    fn options() -> ZipOptions {
        ZipOptions::new(zip_writer::parse_source_date_epoch("1700000000").unwrap())
    }

    fn watched(dir: &Path) -> (Arc<EarlyEntries>, Store) {
        let early = Arc::new(EarlyEntries::new(dir, "bag", options()));
        let store = Store::plain().watched(early.clone());
        (early, store)
    }

    fn write(store: &Store, path: &Path, bytes: &[u8]) {
        let mut file = store.create(path).unwrap();
        for piece in bytes.chunks(10_000) {
            file.write_all(piece).unwrap();
        }
        file.close().unwrap();
    }

    /// `len` bytes that compress, and are not the same at every offset.
    fn bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn a_file_closed_whole_comes_prepared_with_the_digests_of_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (early, store) = watched(dir.path());
        std::fs::create_dir(dir.path().join("records")).unwrap();
        for len in [SMALL + 1, CHUNK + SMALL, 3 * CHUNK + 5] {
            let path = dir.path().join(format!("records/{len}.csv"));
            let bytes = bytes(len);
            write(&store, &path, &bytes);
            let ((sha512, sha256, read), entry) = early.take(&path).expect("prepared");
            let mut tap = Tap::new(&bytes[..]);
            io::copy(&mut tap, &mut io::sink()).unwrap();
            assert_eq!((sha512, sha256, read), tap.finish(), "{len}");
            assert_eq!(entry.name(), format!("bag/data/records/{len}.csv"));
            assert!(early.take(&path).is_none(), "taken once");
        }
        for len in [0, 17, SMALL] {
            let path = dir.path().join(format!("records/{len}.csv"));
            write(&store, &path, &bytes(len));
            assert!(early.take(&path).is_none(), "{len} bytes: small, read back by the bag");
        }
        assert_eq!(early.taken(), 3);
    }

    #[test]
    fn a_file_changed_after_closing_or_never_closed_is_not_taken() {
        let dir = tempfile::tempdir().unwrap();
        let (early, store) = watched(dir.path());
        let changed = dir.path().join("changed.csv");
        write(&store, &changed, &bytes(SMALL + 10));
        std::fs::write(&changed, bytes(SMALL + 11)).unwrap();
        assert!(early.take(&changed).is_none(), "rewritten behind the store's back");

        let open = dir.path().join("open.csv");
        let mut file = store.create(&open).unwrap();
        file.write_all(&bytes(SMALL + 10)).unwrap();
        assert!(early.take(&open).is_none(), "still open");
        drop(file);

        let again = dir.path().join("again.csv");
        let mut first = store.create(&again).unwrap();
        first.write_all(&bytes(SMALL + 10)).unwrap();
        write(&store, &again, &bytes(SMALL + 20));
        first.write_all(b"late\n").unwrap();
        first.close().unwrap();
        assert!(early.take(&again).is_none(), "written to after the second writer closed it");
        assert_eq!(early.taken(), 0);
    }

    #[test]
    fn files_outside_the_folder_and_past_the_limit_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let inside = dir.path().join("data");
        std::fs::create_dir(&inside).unwrap();
        let (early, store) = watched(&inside);
        let outside = dir.path().join("elsewhere.csv");
        write(&store, &outside, &bytes(SMALL + 1));
        assert!(early.take(&outside).is_none());

        let open: Vec<_> = (0..MAX_WATCHED + 1)
            .map(|i| {
                let mut file = store.create(&inside.join(format!("{i}.csv"))).unwrap();
                file.write_all(&bytes(SMALL + 1)).unwrap();
                file
            })
            .collect();
        drop(open);
        let last = inside.join(format!("{MAX_WATCHED}.csv"));
        assert!(early.take(&last).is_none(), "the 65th open file was not prepared");
        let first = inside.join("0.csv");
        assert!(early.take(&first).is_some(), "closed whole when dropped");
        write(&store, &last, &bytes(SMALL + 1));
        assert!(early.take(&last).is_some(), "prepared once the others were closed");
    }
}
