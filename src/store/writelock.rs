//! The writer's lock file: one writer at a time holds an OS lock on
//! `LEDGER/lock` and writes who it is into it (`pid N: COMMAND`, and a
//! service's `service: URL`); another writer is told who holds it, waits a
//! bounded time, or is sent to the service at once.

use std::fs::{self, File, OpenOptions};
use std::path::Path;
use std::time::Duration;

use super::StoreError;

/// How long a writer waits by default for another command-line writer to
/// let go of the ledger (`--wait` changes it).
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(60);

/// Waiting for the writer lock: whom to tell (once, with who holds it:
/// `pid N: COMMAND`) and for how long at most.
#[derive(Clone)]
pub struct Waiting {
    /// Told who holds the lock, before the wait.
    pub say: std::sync::Arc<dyn Fn(&str) + Send + Sync>,
    /// The longest wait ([`StoreError::LockTimeout`] after it).
    pub limit: Duration,
}

/// What opening a writer does when another command-line writer holds the
/// ledger: `None` fails at once ([`StoreError::Locked`]); `Some` waits as
/// it says. A ledger held by a running service is never waited for
/// ([`StoreError::HeldByService`]: write through the service).
pub type OnWait = Option<Waiting>;

/// The line a service adds to the lock file it holds: how to reach it.
pub(super) const SERVICE_LINE: &str = "service: ";

/// Takes the OS lock on `path`, then writes who holds it into the file
/// (for the message of the next writer that finds it taken).
pub(super) fn take_lock(path: &Path, on_wait: OnWait) -> Result<File, StoreError> {
    use std::io::{Read, Seek, Write};

    let mut lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| StoreError::io(path, e))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::Error(e)) => return Err(StoreError::io(path, e)),
        Err(fs::TryLockError::WouldBlock) => {
            let mut said = String::new();
            let _ = (&lock).take(1024).read_to_string(&mut said);
            let service = said
                .lines()
                .find_map(|l| l.strip_prefix(SERVICE_LINE))
                .map(str::trim)
                .map(str::to_string);
            let holder = match said.lines().next().map(str::trim) {
                None | Some("") => "a writer that has not said who it is".to_string(),
                Some(h) => h.to_string(),
            };
            if let Some(url) = service {
                return Err(StoreError::HeldByService {
                    path: path.to_path_buf(),
                    url,
                    holder,
                });
            }
            let Some(wait) = on_wait else {
                return Err(StoreError::Locked {
                    path: path.to_path_buf(),
                    holder,
                });
            };
            (wait.say)(&holder);
            let until = std::time::Instant::now() + wait.limit;
            loop {
                match lock.try_lock() {
                    Ok(()) => break,
                    Err(fs::TryLockError::Error(e)) => return Err(StoreError::io(path, e)),
                    Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() >= until => {
                        return Err(StoreError::LockTimeout {
                            path: path.to_path_buf(),
                            holder,
                            waited: wait.limit.as_secs(),
                        })
                    }
                    Err(fs::TryLockError::WouldBlock) => {
                        std::thread::sleep(Duration::from_millis(50))
                    }
                }
            }
        }
    }
    let said = format!("pid {}: {}\n", std::process::id(), command_name());
    // Best effort: the lock holds whether or not this is written. Written
    // over the old text, then cut to length, so it is never seen empty.
    let _ = lock
        .rewind()
        .and_then(|()| lock.write_all(said.as_bytes()))
        .and_then(|()| lock.set_len(said.len() as u64));
    Ok(lock)
}

/// This process's program and subcommand (`triage-ledger log append`):
/// its plain words only, never an argument that could carry a secret.
pub(super) fn command_name() -> String {
    let mut args = std::env::args();
    let program = args
        .next()
        .map(|a| {
            Path::new(&a)
                .file_name()
                .map_or(a.clone(), |f| f.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "?".into());
    let words = args.take(2).take_while(|a| {
        !a.is_empty()
            && a.chars().all(|c| c.is_ascii_lowercase() || c == '-')
            && !a.starts_with('-')
    });
    std::iter::once(program)
        .chain(words)
        .collect::<Vec<_>>()
        .join(" ")
}
