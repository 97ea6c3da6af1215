//! File-system primitives: atomic replacement, directory sync, whole-file-system
//! sync, private files.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::StoreError;

/// Directories an [`AtomicWriter`] remembers as existing: a commit writes
/// into one per tile level, the entry bundles', the checkpoint's and the
/// private one, so fewer would make it create them again at every commit.
const KNOWN_DIRS: usize = 16;

/// Writes files through a temporary directory and renames them into place, so
/// no reader ever sees a half-written file at its final name.
pub struct AtomicWriter {
    tmp_dir: PathBuf,
    counter: u64,
    pid: u32,
    /// Directories known to exist (the few most recently used).
    known_dirs: Vec<PathBuf>,
}

impl AtomicWriter {
    /// Uses `tmp_dir` (created if needed) for temporary files; it must be on
    /// the same file system as the destinations.
    pub fn new(tmp_dir: PathBuf) -> Result<Self, StoreError> {
        fs::create_dir_all(&tmp_dir).map_err(|e| StoreError::io(&tmp_dir, e))?;
        Ok(AtomicWriter {
            tmp_dir,
            counter: 0,
            pid: std::process::id(),
            known_dirs: Vec::with_capacity(KNOWN_DIRS),
        })
    }

    /// Removes stale temporary files (and worker directories) left by a crash.
    pub fn clear_stale(&self) -> Result<(), StoreError> {
        let rd = fs::read_dir(&self.tmp_dir).map_err(|e| StoreError::io(&self.tmp_dir, e))?;
        for entry in rd {
            let entry = entry.map_err(|e| StoreError::io(&self.tmp_dir, e))?;
            let p = entry.path();
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            let res = if is_dir {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
            res.map_err(|e| StoreError::io(&p, e))?;
        }
        Ok(())
    }

    /// Writes `data` to `dest` atomically. With `sync`, the file is fsynced
    /// before the rename and its directory after it (full durability on its
    /// own); without, durability comes from a later [`sync_filesystem`].
    pub fn write(&mut self, dest: &Path, data: &[u8], sync: bool) -> Result<(), StoreError> {
        let dir = parent_dir(dest)
            .ok_or_else(|| StoreError::corrupt(dest, "has no parent directory".to_string()))?;
        if !self.known_dirs.iter().any(|d| d == dir) {
            fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
            if self.known_dirs.len() == KNOWN_DIRS {
                self.known_dirs.remove(0);
            }
            self.known_dirs.push(dir.to_path_buf());
        }
        self.counter += 1;
        let tmp = self
            .tmp_dir
            .join(format!("{}.{}.tmp", self.pid, self.counter));
        let mut f = File::create(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
        f.write_all(data).map_err(|e| StoreError::io(&tmp, e))?;
        if sync {
            f.sync_all().map_err(|e| StoreError::io(&tmp, e))?;
        }
        drop(f);
        fs::rename(&tmp, dest).map_err(|e| StoreError::io(dest, e))?;
        if sync {
            sync_dir(dir)?;
        }
        Ok(())
    }
}

/// fsyncs a directory so that renames and creations in it are durable.
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

/// Makes every write to the file system holding `path` durable: `syncfs(2)`
/// on Linux (one call for the whole batch, instead of one fsync per file and
/// directory); elsewhere `sync(2)`.
pub fn sync_filesystem(path: &Path) -> Result<(), StoreError> {
    let f = File::open(path).map_err(|e| StoreError::io(path, e))?;
    crate::os::sync_filesystem(&f).map_err(|e| StoreError::io(path, e))
}

/// Creates a directory readable only by its owner (0700).
pub fn create_private_dir(path: &Path) -> Result<(), StoreError> {
    fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(path)
        .map_err(|e| StoreError::io(path, e))
}

/// Writes or replaces a file readable only by its owner (0600), durably
/// and atomically: a temporary file made 0600 beside it, renamed over it.
#[cfg_attr(not(feature = "service"), allow(dead_code))] // object storage only
pub fn replace_private_file(path: &Path, data: &[u8]) -> Result<(), StoreError> {
    let dir = parent_dir(path)
        .ok_or_else(|| StoreError::corrupt(path, "has no parent directory".to_string()))?;
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let _ = fs::remove_file(&tmp);
    write_private_file(&tmp, data)?;
    fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e))?;
    sync_dir(dir)
}

/// Writes a new file readable only by its owner (0600), durably. Fails if it exists.
pub fn write_private_file(path: &Path, data: &[u8]) -> Result<(), StoreError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| StoreError::io(path, e))?;
    f.write_all(data).map_err(|e| StoreError::io(path, e))?;
    f.sync_all().map_err(|e| StoreError::io(path, e))?;
    if let Some(dir) = parent_dir(path) {
        sync_dir(dir)?;
    }
    Ok(())
}

/// The directory `path` is in: `.` for a bare file name (whose `parent()`
/// is empty, which no file call accepts).
pub(crate) fn parent_dir(path: &Path) -> Option<&Path> {
    match path.parent() {
        Some(d) if d.as_os_str().is_empty() => Some(Path::new(".")),
        d => d,
    }
}

/// Writes many new files concurrently. Creating a file costs a round trip to
/// the disk when the file system's metadata is not cached (on the VMs this
/// project runs on, about a millisecond), so the tiles of a large append are
/// written by a few threads, each creating its temporary files in its own
/// directory (creations in one directory are serialised by the kernel).
///
/// It also flushes early: every [`FLUSH_EVERY`] bytes queued, a flusher thread
/// syncs the file system, so that disk writes overlap with hashing and the
/// sync at commit only has the tail left.
pub struct ParallelWriter {
    tx: Option<std::sync::mpsc::SyncSender<(PathBuf, Vec<u8>)>>,
    workers: Vec<std::thread::JoinHandle<()>>,
    error: std::sync::Arc<std::sync::Mutex<Option<StoreError>>>,
    flush_tx: Option<std::sync::mpsc::SyncSender<()>>,
    flusher: Option<std::thread::JoinHandle<()>>,
    queued: u64,
}

/// Bytes queued between two early flushes.
pub const FLUSH_EVERY: u64 = 16 << 20;

impl ParallelWriter {
    /// Starts `threads` writers whose temporary files live under
    /// `tmp_root/w<N>`, and a flusher that syncs the file system of `sync_root`.
    pub fn new(tmp_root: &Path, sync_root: &Path, threads: usize) -> Result<Self, StoreError> {
        use std::sync::{mpsc, Arc, Mutex};
        let (tx, rx) = mpsc::sync_channel::<(PathBuf, Vec<u8>)>(threads * 8);
        let rx = Arc::new(Mutex::new(rx));
        let error = Arc::new(Mutex::new(None));
        let mut workers = Vec::with_capacity(threads);
        for n in 0..threads {
            let mut w = AtomicWriter::new(tmp_root.join(format!("w{n}")))?;
            let (rx, error) = (Arc::clone(&rx), Arc::clone(&error));
            workers.push(std::thread::spawn(move || loop {
                // A poisoned lock means another worker panicked; stop quietly,
                // `finish` reports the panic.
                let job = match rx.lock() {
                    Ok(guard) => guard.recv(),
                    Err(_) => return,
                };
                let Ok((path, data)) = job else { return };
                if let Err(e) = w.write(&path, &data, false) {
                    if let Ok(mut slot) = error.lock() {
                        slot.get_or_insert(e);
                    }
                    return;
                }
            }));
        }
        let (flush_tx, flush_rx) = mpsc::sync_channel::<()>(1);
        let sync_root = sync_root.to_path_buf();
        let flush_error = Arc::clone(&error);
        // syncfs(2) reports a write-back error only once per open file, so an
        // error seen here must reach `finish` (the commit's own sync, on
        // another descriptor, would not see it again).
        let flusher = std::thread::spawn(move || {
            while flush_rx.recv().is_ok() {
                if let Err(e) = sync_filesystem(&sync_root) {
                    if let Ok(mut slot) = flush_error.lock() {
                        slot.get_or_insert(e);
                    }
                }
            }
        });
        Ok(ParallelWriter {
            tx: Some(tx),
            workers,
            error,
            flush_tx: Some(flush_tx),
            flusher: Some(flusher),
            queued: 0,
        })
    }

    fn take_error(&self) -> Option<StoreError> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }

    /// Queues a file; blocks while the queue is full.
    pub fn submit(&mut self, path: PathBuf, data: Vec<u8>) -> Result<(), StoreError> {
        if let Some(e) = self.take_error() {
            return Err(e);
        }
        let before = self.queued / FLUSH_EVERY;
        self.queued += data.len() as u64;
        if self.queued / FLUSH_EVERY != before {
            if let Some(f) = &self.flush_tx {
                let _ = f.try_send(()); // one pending flush is enough
            }
        }
        let sent = self
            .tx
            .as_ref()
            .map(|tx| tx.send((path.clone(), data)).is_ok())
            .unwrap_or(false);
        if !sent {
            return Err(self.take_error().unwrap_or_else(|| {
                StoreError::io(&path, std::io::Error::other("file writer threads stopped"))
            }));
        }
        Ok(())
    }

    /// Waits until every queued file is written; reports the first error.
    pub fn finish(mut self) -> Result<(), StoreError> {
        let panicked = self.stop();
        if let Some(e) = self.take_error() {
            return Err(e);
        }
        if panicked {
            return Err(StoreError::io(
                Path::new("tile writer"),
                std::io::Error::other("a writer thread panicked"),
            ));
        }
        Ok(())
    }

    /// Closes the queues and joins every thread; true if one panicked.
    fn stop(&mut self) -> bool {
        drop(self.tx.take());
        drop(self.flush_tx.take());
        let mut panicked = false;
        if let Some(f) = self.flusher.take() {
            panicked |= f.join().is_err();
        }
        for w in self.workers.drain(..) {
            panicked |= w.join().is_err();
        }
        panicked
    }
}

impl Drop for ParallelWriter {
    /// No thread may outlive the writer (and its lock): a late write could
    /// land after the next writer cleaned up past the checkpoint.
    fn drop(&mut self) {
        self.stop();
    }
}
