//! A reader's copy of the ledger's state (the service's status and pack
//! endpoints): kept in memory and caught up with the log at each use by
//! replaying only the entries committed since, instead of the whole log.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::submit::SubmitError;
use super::State;
use crate::store::{for_each_entry_from, Ledger, RightEdge};

/// The state of a ledger as of its latest checkpoint, for readers.
pub struct Follower {
    root: PathBuf,
    cached: Mutex<Option<(State, RightEdge)>>,
}

impl Follower {
    /// Follows the ledger at `root` (replayed at first use).
    pub fn new(root: &Path) -> Follower {
        Follower {
            root: root.to_path_buf(),
            cached: Mutex::new(None),
        }
    }

    /// Calls `f` with the state as of the ledger's latest checkpoint and
    /// the ledger opened at that checkpoint. The entries since the last
    /// use are replayed first; the tree they extend is checked against the
    /// new checkpoint, so a log that rewrote what was replayed is an error
    /// (and the next use replays from the start). Uses are serialised.
    pub fn with<R>(&self, f: impl FnOnce(&mut State, &Ledger) -> R) -> Result<R, SubmitError> {
        self.with_ledger(Ledger::open(&self.root)?, f)
    }

    /// [`Follower::with`], as of the checkpoint `ledger` is opened at
    /// (e.g. [`Ledger::at`] an earlier checkpoint that a trust policy
    /// accepts). A follower used this way should only be given growing
    /// checkpoints: one behind the last use replays from the start.
    pub fn with_ledger<R>(
        &self,
        ledger: Ledger,
        f: impl FnOnce(&mut State, &Ledger) -> R,
    ) -> Result<R, SubmitError> {
        let cp = ledger.checkpoint();
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        let (mut state, edge) = match cached.take() {
            Some((s, e)) if e.size() <= cp.root().size() => (s, e),
            _ => (State::new(), RightEdge::new()),
        };
        let mut failed = None;
        let edge = for_each_entry_from(ledger.layout(), cp, edge, |index, bytes| {
            if failed.is_none() {
                if let Err(source) = state.replay(index, bytes) {
                    failed = Some(SubmitError::Replay { index, source });
                }
            }
            Ok(())
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        let r = f(&mut state, &ledger);
        *cached = Some((state, edge));
        Ok(r)
    }
}
