//! Shorthands for the library's own tests: one operation on a freshly
//! opened handle, as a command would do it.

use std::path::Path;

use super::{Ledger, LedgerError, MakePackError, Selection, Submitted};
use crate::policy::State;
use crate::verify::Pack;

/// Opens the ledger at `root` and submits `statements` as one batch.
pub(crate) fn submit(
    root: &Path,
    statements: &[(String, Vec<u8>)],
    now: u64,
    skew: u64,
) -> Result<Submitted, LedgerError> {
    Ledger::open(root)?.submit(statements, now, skew)
}

/// Opens the ledger at `root` and makes a pack against its latest checkpoint.
pub(crate) fn make_pack(
    root: &Path,
    selection: &Selection,
    issued_at: u64,
    since: Option<u64>,
) -> Result<Pack, MakePackError> {
    Ledger::open(root)
        .map_err(MakePackError::State)?
        .pack(selection, issued_at, since)
}

/// The state of the ledger at `root`, replayed from its whole log.
pub(crate) fn load_state(
    root: &Path,
) -> Result<(State, crate::note::SignedCheckpoint), LedgerError> {
    Ledger::open(root)?.replay()
}
