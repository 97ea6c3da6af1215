//! The log signer's high-water mark: the largest tree the log's key has
//! signed and committed (the lock swapped to it, the checkpoint durable) or
//! seen published, kept beside the key
//! (`LEDGER/private/log.high-water`, the signed checkpoint note), never in
//! the object store or the lock, which an attacker with write access to
//! them can roll back. The writer signs a checkpoint only if its tree
//! extends the mark (issue 23: a restored lock row, or an older lock
//! object, must never make the honest key sign a fork); a lock or a
//! directory found behind it is reported as a rollback
//! ([`StoreError::RolledBack`]).

use std::path::PathBuf;

use super::fsio::AtomicWriter;
use super::{Layout, StoreError};
use crate::merkle::{Hash, RootHash};
use crate::note::{SignedCheckpoint, VerifierKey};

/// The mark, as loaded from beside the key.
pub(crate) struct HighWater {
    path: PathBuf,
    mark: Option<SignedCheckpoint>,
}

impl HighWater {
    /// Reads the mark; a ledger from before it has none (the first commit
    /// or catch-up sets it). A mark that does not open with the log's key
    /// is refused: signing without knowing what was signed is the danger.
    pub(crate) fn load(layout: &Layout, vkey: &VerifierKey) -> Result<HighWater, StoreError> {
        let path = layout.private_dir().join("log.high-water");
        let mark = match std::fs::read(&path) {
            Ok(bytes) => Some(SignedCheckpoint::open(&bytes, vkey).map_err(|e| {
                StoreError::corrupt(
                    &path,
                    format!("is not a checkpoint signed by this log's key ({e}); it records the largest tree the key signed, so the writer will not sign until it is restored"),
                )
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        Ok(HighWater { path, mark })
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
    /// `cp` is durable; the mark is written atomically but without an fsync
    /// of its own: the next commit's sync of the file system makes it
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
        files.write(&self.path, &cp.to_bytes(), false)?;
        self.mark = Some(cp.clone());
        Ok(())
    }
}
