//! A build without the `service` feature has no object storage client: a
//! ledger whose public tree is in a bucket (`LEDGER/public.json`) is refused
//! at opening, by name, and nothing here is ever reached.

use super::placement::PublicConfig;
use super::{Layout, StoreError};
use crate::note::{SignedCheckpoint, VerifierKey};

/// The object store and lock of a ledger's public tree: none in this build.
pub(crate) enum Publisher {}

impl Publisher {
    /// Refuses: this build cannot reach object storage.
    pub(crate) fn open(
        cfg: &PublicConfig,
        _vkey: &VerifierKey,
        _layout: &Layout,
    ) -> Result<Publisher, StoreError> {
        Err(StoreError::Io {
            path: cfg.public.clone().into(),
            source: std::io::Error::other(
                "the ledger's public tree is in object storage, and this build of triage-ledger has none (built without the `service` feature)",
            ),
        })
    }

    pub(crate) fn publish(
        &mut self,
        _layout: &Layout,
        _old: u64,
        _cp: &SignedCheckpoint,
    ) -> Result<(), StoreError> {
        match *self {}
    }

    pub(crate) fn put_checkpoint(&self, _body: &[u8]) -> Result<(), StoreError> {
        match *self {}
    }

    pub(crate) fn writes(&self) -> u64 {
        match *self {}
    }
}
