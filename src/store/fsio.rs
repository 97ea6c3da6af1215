//! File-system primitives: atomic replacement, directory sync, whole-file-system
//! sync, private files.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::StoreError;

/// Writes files through a temporary directory and renames them into place, so
/// no reader ever sees a half-written file at its final name.
pub struct AtomicWriter {
    tmp_dir: PathBuf,
    counter: u64,
    last_dir: Option<PathBuf>,
}

impl AtomicWriter {
    /// Uses `tmp_dir` (created if needed) for temporary files; it must be on
    /// the same file system as the destinations.
    pub fn new(tmp_dir: PathBuf) -> Result<Self, StoreError> {
        fs::create_dir_all(&tmp_dir).map_err(|e| StoreError::io(&tmp_dir, e))?;
        Ok(AtomicWriter { tmp_dir, counter: 0, last_dir: None })
    }

    /// Removes stale temporary files left by a crash.
    pub fn clear_stale(&self) -> Result<(), StoreError> {
        let rd = fs::read_dir(&self.tmp_dir).map_err(|e| StoreError::io(&self.tmp_dir, e))?;
        for entry in rd {
            let entry = entry.map_err(|e| StoreError::io(&self.tmp_dir, e))?;
            let p = entry.path();
            fs::remove_file(&p).map_err(|e| StoreError::io(&p, e))?;
        }
        Ok(())
    }

    /// Writes `data` to `dest` atomically. With `sync`, the file is fsynced
    /// before the rename and its directory after it (full durability on its
    /// own); without, durability comes from a later [`sync_filesystem`].
    pub fn write(&mut self, dest: &Path, data: &[u8], sync: bool) -> Result<(), StoreError> {
        let dir = dest.parent().ok_or_else(|| StoreError::corrupt(dest, "has no parent directory".to_string()))?;
        if self.last_dir.as_deref() != Some(dir) {
            fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
            self.last_dir = Some(dir.to_path_buf());
        }
        self.counter += 1;
        let tmp = self.tmp_dir.join(format!("{}.{}.tmp", std::process::id(), self.counter));
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
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `f` is an open file descriptor for the duration of the call.
        let rc = unsafe { libc::syncfs(f.as_raw_fd()) };
        if rc != 0 {
            return Err(StoreError::io(path, std::io::Error::last_os_error()));
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        drop(f);
        // SAFETY: sync(2) takes no arguments and cannot fail.
        unsafe { libc::sync() };
    }
    Ok(())
}

/// Creates a directory readable only by its owner (0700).
pub fn create_private_dir(path: &Path) -> Result<(), StoreError> {
    fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(path)
        .map_err(|e| StoreError::io(path, e))
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
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}
