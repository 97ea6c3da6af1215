//! A reader's copy of the ledger's state (status and packs): kept in memory
//! and caught up with the log at each use by replaying only the entries
//! committed since, instead of the whole log.

use std::sync::Mutex;

use super::LedgerError;
use crate::policy::State;
use crate::store::{for_each_entry_from, RightEdge, Snapshot};

/// The state of a ledger as of a checkpoint, for readers.
#[derive(Default)]
pub(super) struct Follower {
    cached: Mutex<Option<(State, RightEdge)>>,
}

impl Follower {
    /// Calls `f` with the state as of the checkpoint `snapshot` is opened
    /// at, and the snapshot. The entries since the last use are replayed
    /// first; the tree they extend is checked against the new checkpoint, so
    /// a log that rewrote what was replayed is an error (and the next use
    /// replays from the start). Uses are serialised. A follower should only
    /// be given growing checkpoints: one behind the last use replays from the
    /// start.
    pub(super) fn with<R>(
        &self,
        snapshot: &Snapshot,
        f: impl FnOnce(&mut State, &Snapshot) -> R,
    ) -> Result<R, LedgerError> {
        let cp = snapshot.checkpoint();
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        let (mut state, edge) = match cached.take() {
            Some((s, e)) if e.size() <= cp.root().size() => (s, e),
            _ => (
                State::new().with_naming(super::naming(snapshot.layout())?),
                RightEdge::new(),
            ),
        };
        let mut failed = None;
        let edge = for_each_entry_from(snapshot.layout(), cp, edge, |index, bytes| {
            if failed.is_none() {
                if let Err(source) = state.replay(index, bytes) {
                    failed = Some(LedgerError::Replay { index, source });
                }
            }
            Ok(())
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        let r = f(&mut state, snapshot);
        *cached = Some((state, edge));
        Ok(r)
    }
}
