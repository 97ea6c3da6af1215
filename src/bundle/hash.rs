//! Hashing evidence at disk speed: one read pass per file feeds SHA-256 and
//! BLAKE3. Large files are read in big chunks with the two hashes on the two
//! cores (the chunk buffers are recycled, so memory stays a few chunks);
//! small files are hashed several at a time, one per core. Every file is
//! checked not to have changed while it was read.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{io, BundleError};

/// A file's size and digests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileHash {
    /// Bytes read.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: [u8; 32],
    /// BLAKE3 of the content.
    pub blake3: [u8; 32],
}

/// Files at least this large are hashed alone, with the two hashes on two cores.
pub const LARGE_FILE: u64 = 8 << 20;
/// Read size for large files.
const CHUNK: usize = 4 << 20;
/// Chunk buffers in flight for one large file.
const BUFFERS: usize = 4;
/// Small files hashed together: at most this many, or this many bytes.
const BATCH_FILES: usize = 256;
const BATCH_BYTES: u64 = 64 << 20;

/// What identifies a file's content version: size, change times, inode.
fn version(m: &std::fs::Metadata) -> (u64, i64, i64, i64, i64, u64, u64) {
    (
        m.len(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
        m.ino(),
        m.dev(),
    )
}

fn read_full(f: &mut File, buf: &mut [u8], path: &Path) -> Result<usize, BundleError> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(path)(e)),
        }
    }
    Ok(n)
}

/// Hashes one file (choosing the large-file path by its size).
pub fn hash_file(path: &Path) -> Result<FileHash, BundleError> {
    // Never follow a symbolic link swapped in since the listing, and never
    // block on a pipe: the open itself refuses both.
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                BundleError::NotAFile {
                    path: path.to_path_buf(),
                    what: "symbolic links",
                }
            } else {
                io(path)(e)
            }
        })?;
    let before = f.metadata().map_err(io(path))?;
    if !before.is_file() {
        return Err(BundleError::NotAFile {
            path: path.to_path_buf(),
            what: "things other than regular files",
        });
    }
    // Read at most one byte past the size: a file that keeps growing is
    // caught as changed instead of being read for ever.
    let limit = before.len().saturating_add(1);
    let h = if before.len() >= LARGE_FILE {
        hash_large(&mut f, path, limit)?
    } else {
        hash_small(&mut f, path, limit)?
    };
    let after_fd = f.metadata().map_err(io(path))?;
    let after_path = std::fs::symlink_metadata(path).map_err(io(path))?;
    if h.size != before.len()
        || version(&after_fd) != version(&before)
        || version(&after_path) != version(&before)
    {
        return Err(BundleError::Changed {
            path: path.to_path_buf(),
        });
    }
    Ok(h)
}

/// Bytes hashed by this process so far, counted as they are read (inside
/// large files too): what a progress line reads while a file is hashed.
static HASHED: AtomicU64 = AtomicU64::new(0);

/// Bytes this process has hashed so far (a monotonic counter).
pub fn bytes_hashed() -> u64 {
    HASHED.load(Ordering::Relaxed)
}

fn hash_small(f: &mut File, path: &Path, limit: u64) -> Result<FileHash, BundleError> {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 1 << 20]);
    }
    BUF.with(|b| {
        let mut buf = b.borrow_mut();
        let mut sha = Sha256::new();
        let mut b3 = blake3::Hasher::new();
        let mut size = 0u64;
        loop {
            let n = read_full(f, &mut buf, path)?;
            if n == 0 {
                break;
            }
            sha.update(&buf[..n]);
            b3.update(&buf[..n]);
            size += n as u64;
            HASHED.fetch_add(n as u64, Ordering::Relaxed);
            if size >= limit {
                break;
            }
        }
        Ok(FileHash {
            size,
            sha256: sha.finalize().into(),
            blake3: *b3.finalize().as_bytes(),
        })
    })
}

fn hash_large(f: &mut File, path: &Path, limit: u64) -> Result<FileHash, BundleError> {
    let (to_b3, b3_in) = sync_channel::<(Arc<Vec<u8>>, usize)>(BUFFERS);
    let (back, returned) = sync_channel::<Arc<Vec<u8>>>(BUFFERS);
    std::thread::scope(|s| {
        let b3_thread = s.spawn(move || {
            let mut b3 = blake3::Hasher::new();
            for (buf, n) in b3_in {
                b3.update(&buf[..n]);
                let _ = back.send(buf);
            }
            *b3.finalize().as_bytes()
        });
        let mut pool: Vec<Vec<u8>> = Vec::new();
        let mut made = 0;
        let mut sha = Sha256::new();
        let mut size = 0u64;
        let result = loop {
            let mut buf = if let Some(b) = pool.pop() {
                b
            } else if made < BUFFERS {
                made += 1;
                vec![0u8; CHUNK]
            } else {
                match returned.recv() {
                    Ok(a) => Arc::try_unwrap(a).unwrap_or_else(|a| a.to_vec()),
                    Err(_) => break Err(io(path)(std::io::Error::other("hashing thread stopped"))),
                }
            };
            let n = match read_full(f, &mut buf, path) {
                Ok(n) => n,
                Err(e) => break Err(e),
            };
            if n == 0 || size >= limit {
                pool.push(buf);
                break Ok(());
            }
            size += n as u64;
            let a = Arc::new(buf);
            if to_b3.send((Arc::clone(&a), n)).is_err() {
                break Err(io(path)(std::io::Error::other("hashing thread stopped")));
            }
            sha.update(&a[..n]);
            HASHED.fetch_add(n as u64, Ordering::Relaxed);
            drop(a);
            while let Ok(a) = returned.try_recv() {
                pool.push(Arc::try_unwrap(a).unwrap_or_else(|a| a.to_vec()));
            }
        };
        // The BLAKE3 thread never blocks on `back`: it holds at most BUFFERS.
        drop(to_b3);
        let blake3 = b3_thread
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        result.map(|()| FileHash {
            size,
            sha256: sha.finalize().into(),
            blake3,
        })
    })
}

/// A job: a tag, and the file to hash (with its listed size), if any. Jobs
/// without a file pass through in order (e.g. a finding to report).
pub type Job<T> = (T, Option<(PathBuf, u64)>);

/// Hashes files in order: small ones in batches across the cores, large ones
/// one at a time (their two hashes on two cores). `emit` gets each job's tag
/// and result (`None` for jobs without a file), in input order; an `Err`
/// from `emit` stops everything.
pub fn for_each_hashed<T: Send>(
    jobs: impl Iterator<Item = Result<Job<T>, BundleError>>,
    mut emit: impl FnMut(T, Option<Result<FileHash, BundleError>>) -> Result<(), BundleError>,
) -> Result<(), BundleError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    type Emit<'e, T> =
        dyn FnMut(T, Option<Result<FileHash, BundleError>>) -> Result<(), BundleError> + 'e;
    let mut batch: Vec<(T, Option<PathBuf>)> = Vec::new();
    let mut batch_bytes = 0u64;
    let flush = |batch: &mut Vec<(T, Option<PathBuf>)>,
                 emit: &mut Emit<'_, T>|
     -> Result<(), BundleError> {
        let items = std::mem::take(batch);
        let paths: Vec<&Path> = items.iter().filter_map(|(_, p)| p.as_deref()).collect();
        let mut results = hash_parallel(&paths, threads).into_iter();
        for (tag, p) in items {
            let r = p.map(|_| {
                results.next().unwrap_or_else(|| {
                    Err(BundleError::Manifest(
                        "internal: a file was not hashed".into(),
                    ))
                })
            });
            emit(tag, r)?;
        }
        Ok(())
    };
    for job in jobs {
        let (tag, file) = job?;
        let Some((path, size)) = file else {
            batch.push((tag, None));
            continue;
        };
        if size >= LARGE_FILE {
            flush(&mut batch, &mut emit)?;
            batch_bytes = 0;
            let r = hash_file(&path);
            emit(tag, Some(r))?;
            continue;
        }
        batch.push((tag, Some(path)));
        batch_bytes += size;
        if batch.len() >= BATCH_FILES || batch_bytes >= BATCH_BYTES {
            flush(&mut batch, &mut emit)?;
            batch_bytes = 0;
        }
    }
    flush(&mut batch, &mut emit)
}

fn hash_parallel(paths: &[&Path], threads: usize) -> Vec<Result<FileHash, BundleError>> {
    if threads == 1 || paths.len() < 2 {
        return paths.iter().map(|p| hash_file(p)).collect();
    }
    // Interleaved, so files of uneven sizes spread evenly.
    let mut out: Vec<Option<Result<FileHash, BundleError>>> =
        (0..paths.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (t..paths.len())
                        .step_by(threads)
                        .map(|i| (i, hash_file(paths[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (i, r) in h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)) {
                out[i] = Some(r);
            }
        }
    });
    out.into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(BundleError::Manifest(
                    "internal: a file was not hashed".into(),
                ))
            })
        })
        .collect()
}
