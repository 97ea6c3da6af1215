//! The log signer's high-water mark: the largest tree the log's key has
//! signed and committed (the lock swapped to it, the checkpoint durable) or
//! seen published, kept with the key: beside a key file
//! (`LEDGER/private/log.high-water`, the signed checkpoint note), or in the
//! token that holds a hardware key (a private data object,
//! [`crate::note::MarkKeeper`]); never in the object store or the lock,
//! which an attacker with write access to them can roll back. The writer
//! signs a checkpoint only if its tree extends the mark (issue 23: a
//! restored lock row, or an older lock object, must never make the honest
//! key sign a fork); a lock or a directory found behind it is reported as a
//! rollback ([`StoreError::RolledBack`]).

use std::path::PathBuf;
use std::sync::Arc;

use super::fsio::AtomicWriter;
use super::{Layout, StoreError};
use crate::merkle::{Hash, RootHash};
use crate::note::{SignedCheckpoint, Signer, VerifierKey};

/// Where the mark is kept.
enum Place {
    /// A file beside the key file.
    File(PathBuf),
    /// With the signer (a token).
    Signer(Arc<dyn Signer>),
}

/// The mark, as loaded from where the key keeps it.
pub(crate) struct HighWater {
    place: Place,
    mark: Option<SignedCheckpoint>,
    /// The thread that keeps the mark in the signer (a token), once
    /// started.
    keeper: Option<Keeper>,
}

impl HighWater {
    /// Reads the mark; a ledger from before it has none (the first commit
    /// or catch-up sets it). A mark that does not open with the log's key
    /// is refused: signing without knowing what was signed is the danger.
    pub(crate) fn load(
        layout: &Layout,
        vkey: &VerifierKey,
        key: &Arc<dyn Signer>,
    ) -> Result<HighWater, StoreError> {
        let path = layout.private_dir().join("log.high-water");
        let refused = |at: &str, e: &dyn std::fmt::Display| {
            StoreError::corrupt(
                std::path::Path::new(at),
                format!("is not a checkpoint signed by this log's key ({e}); it records the largest tree the key signed, so the writer will not sign until it is restored"),
            )
        };
        if let Some(keeper) = key.marks() {
            let place = keeper.place();
            let notes = keeper.read_marks().map_err(|e| {
                StoreError::io(
                    std::path::Path::new(&place),
                    std::io::Error::other(format!("the high-water mark could not be read: {e}")),
                )
            })?;
            // The largest of the marks that open with the key. One that
            // does not (a write the token tore) is passed over if another
            // opens: only the key's holder can write them.
            let mut mark: Option<SignedCheckpoint> = None;
            let mut unreadable = None;
            let kept = notes.len();
            for n in notes {
                match SignedCheckpoint::open(&n, vkey) {
                    Ok(cp) => {
                        if mark
                            .as_ref()
                            .is_none_or(|m| cp.root().size() > m.root().size())
                        {
                            mark = Some(cp);
                        }
                    }
                    Err(e) => unreadable = Some(e),
                }
            }
            if let (None, Some(e)) = (&mark, unreadable) {
                return Err(refused(
                    &format!("the high-water mark in {place} ({kept} kept)"),
                    &e,
                ));
            }
            return Ok(HighWater {
                place: Place::Signer(key.clone()),
                mark,
                keeper: None,
            });
        }
        let mark = match std::fs::read(&path) {
            Ok(bytes) => Some(
                SignedCheckpoint::open(&bytes, vkey)
                    .map_err(|e| refused(&path.display().to_string(), &e))?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        Ok(HighWater {
            place: Place::File(path),
            mark,
            keeper: None,
        })
    }

    /// Fails if the signer could not keep a mark: called before every
    /// signature, so that a key whose mark cannot be kept signs nothing
    /// more (fail closed).
    pub(crate) fn settle(&mut self) -> Result<(), StoreError> {
        match &self.keeper {
            Some(k) => k.failed(),
            None => Ok(()),
        }
    }

    /// The marked tree (size 0 when there is none).
    pub(crate) fn size(&self) -> u64 {
        self.mark.as_ref().map_or(0, |m| m.root().size())
    }

    /// Checks that the tree `new` extends the mark: `root_at(n)` is this
    /// writer's root of its first `n` entries. `found` names where `new`
    /// comes from, for the message.
    pub(crate) fn check(
        &self,
        new: &RootHash,
        found: &str,
        root_at: impl FnOnce(u64) -> Result<Hash, StoreError>,
    ) -> Result<(), StoreError> {
        let Some(mark) = &self.mark else {
            return Ok(());
        };
        let m = mark.root();
        let rolled_back = |detail: String| StoreError::RolledBack {
            found: found.to_string(),
            size: new.size(),
            signed: m.size(),
            detail,
        };
        if new.size() < m.size() {
            return Err(rolled_back(String::new()));
        }
        let ours = if new.size() == m.size() {
            *new.hash()
        } else {
            root_at(m.size())?
        };
        if ours != *m.hash() {
            return Err(rolled_back(format!(
                ": at size {} its root is {}, but the key signed root {}",
                m.size(),
                ours,
                m.hash()
            )));
        }
        Ok(())
    }

    /// Raises the mark to `cp` if `cp` is of a larger tree. Called once
    /// `cp` is durable. In a token, it is kept at once. In a file, it is
    /// written atomically but without an fsync of its own: the next commit's sync of the file system makes it
    /// durable. A crash before then loses only a raise, never the
    /// checkpoint it follows, and the next opening raises the mark from
    /// that checkpoint; the mark is never durable ahead of its checkpoint
    /// (which would read as a rollback).
    pub(crate) fn raise(
        &mut self,
        cp: &SignedCheckpoint,
        files: &mut AtomicWriter,
    ) -> Result<(), StoreError> {
        if self.mark.is_some() && cp.root().size() <= self.size() {
            return Ok(());
        }
        match &self.place {
            Place::File(path) => files.write(path, &cp.to_bytes(), false)?,
            // Handed to the keeper thread, which keeps the latest in the
            // token (the checkpoint is durable already).
            Place::Signer(key) => {
                let key = key.clone();
                self.settle()?;
                let keeper = match self.keeper.take() {
                    Some(k) => k,
                    None => Keeper::start(key)?,
                };
                keeper.keep(cp.to_bytes());
                self.keeper = Some(keeper);
            }
        }
        self.mark = Some(cp.clone());
        Ok(())
    }
}

/// Keeps a signer's high-water mark on a thread of its own: a token's
/// write takes milliseconds of CPU (SoftHSM2: about 2 ms), so marks are
/// coalesced. The thread keeps the latest mark handed to it, then waits
/// [`MARK_INTERVAL`] before the next write: the token's mark trails the
/// latest commit by at most that interval and one write, and costs at most
/// one write per interval. Dropping it (the writer closing) keeps the last
/// mark before returning.
struct Keeper {
    shared: Arc<(std::sync::Mutex<Wanted>, std::sync::Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The least time between two writes of a signer's mark.
pub(crate) const MARK_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);

#[derive(Default)]
struct Wanted {
    /// The latest mark not yet kept.
    note: Option<Vec<u8>>,
    /// Why the last write failed.
    failed: Option<String>,
    stop: bool,
}

impl Keeper {
    fn start(key: Arc<dyn Signer>) -> Result<Keeper, StoreError> {
        let shared: Arc<(std::sync::Mutex<Wanted>, std::sync::Condvar)> = Default::default();
        let theirs = shared.clone();
        let thread = std::thread::Builder::new()
            .name("high-water".into())
            .spawn(move || Self::run(&key, &theirs))
            .map_err(|e| {
                StoreError::io(
                    std::path::Path::new("high-water"),
                    std::io::Error::other(format!("no thread to keep the high-water mark: {e}")),
                )
            })?;
        Ok(Keeper {
            shared,
            thread: Some(thread),
        })
    }

    fn run(key: &Arc<dyn Signer>, shared: &(std::sync::Mutex<Wanted>, std::sync::Condvar)) {
        let (lock, cv) = shared;
        let Some(keeper) = key.marks() else { return };
        loop {
            let note = {
                let mut w = lock.lock().unwrap_or_else(|p| p.into_inner());
                while w.note.is_none() && !w.stop {
                    w = cv.wait(w).unwrap_or_else(|p| p.into_inner());
                }
                match w.note.take() {
                    Some(n) => n,
                    None => return,
                }
            };
            let started = std::time::Instant::now();
            if let Err(e) = keeper.keep_mark(&note) {
                let mut w = lock.lock().unwrap_or_else(|p| p.into_inner());
                w.failed = Some(format!("{}: {e}", keeper.place()));
                return;
            }
            // Coalesce: wait out the interval (unless stopping).
            let mut w = lock.lock().unwrap_or_else(|p| p.into_inner());
            while !w.stop && started.elapsed() < MARK_INTERVAL {
                let left = MARK_INTERVAL.saturating_sub(started.elapsed());
                w = cv
                    .wait_timeout(w, left)
                    .map(|(w, _)| w)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
        }
    }

    /// Hands `note` over as the latest mark to keep.
    fn keep(&self, note: Vec<u8>) {
        let (lock, cv) = &*self.shared;
        lock.lock().unwrap_or_else(|p| p.into_inner()).note = Some(note);
        cv.notify_all();
    }

    /// The failure of the last write, if it failed.
    fn failed(&self) -> Result<(), StoreError> {
        let w = self.shared.0.lock().unwrap_or_else(|p| p.into_inner());
        match &w.failed {
            Some(f) => Err(StoreError::io(
                std::path::Path::new("high-water"),
                std::io::Error::other(format!(
                    "the log key's high-water mark could not be kept, so the key signs nothing more: {f}"
                )),
            )),
            None => Ok(()),
        }
    }
}

impl Drop for Keeper {
    /// Keeps the last mark handed over, then stops the thread.
    fn drop(&mut self) {
        let (lock, cv) = &*self.shared;
        lock.lock().unwrap_or_else(|p| p.into_inner()).stop = true;
        cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
