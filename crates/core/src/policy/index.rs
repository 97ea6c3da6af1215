//! The log's committed index as the policy state keeps it: the writer side
//! of [`crate::history`] (index entries closed while admitting, the commit).

use super::{PolicyError, State};
use crate::history::History;

impl State {
    /// A state for a selection of the log (a pack): statements at sparse
    /// indexes, no index of the log.
    pub fn partial() -> Self {
        State {
            history: None,
            ..Self::default()
        }
    }

    /// The log's index (`None` for a partial state).
    pub fn history(&self) -> Option<&History> {
        self.history.as_ref()
    }

    /// The log's index, mutable (proofs compute the map).
    pub fn history_mut(&mut self) -> Option<&mut History> {
        self.history.as_mut()
    }

    /// Takes the index entries `admit` closed since the last call, with
    /// their positions.
    pub fn take_index_leaves(&mut self) -> Vec<(u64, Vec<u8>)> {
        std::mem::take(&mut self.index_leaves)
    }

    /// Closes the commit: the index entries to append after everything
    /// admitted, attributing the leaves since the last index entry, the
    /// last committing to the whole index. The first goes at [`State::len`].
    pub fn commit_entries(&mut self) -> Result<Vec<(u64, Vec<u8>)>, PolicyError> {
        let h = self
            .history
            .as_mut()
            .ok_or_else(|| PolicyError::Index("a partial state has no index".into()))?;
        let entries = h.commit_entries().map_err(|e| {
            PolicyError::Index(format!(
                "{e}: the ledger holds more unindexed statements than one index entry can attribute (a ledger made before committed histories); start a new ledger"
            ))
        })?;
        if let Some((pos, _)) = entries.last() {
            self.next = pos + 1;
        }
        Ok(entries)
    }
}
