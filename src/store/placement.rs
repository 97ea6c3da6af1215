//! Where a ledger's public tree lives: its own `log/` directory, or object
//! storage named in `LEDGER/public.json` (read in every build; writing to
//! object storage needs the `service` feature).

use std::path::Path;

use super::{Layout, StoreError, Writer};

/// `LEDGER/public.json`: where the public tree is and which lock guards it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicConfig {
    /// The public tree: `s3://BUCKET/PREFIX`.
    pub public: String,
    /// The lock: `postgres://USER@HOST:PORT/DB`; absent when the store's
    /// own conditional writes are the lock (proved at every opening).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
}

/// The ledger's public-tree configuration; `None` when its public tree is
/// its `log/` directory.
pub fn read_config(root: &Path) -> Result<Option<PublicConfig>, StoreError> {
    let path = Layout::new(root).public_config();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io(&path, e)),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| StoreError::Io {
        path,
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a public-tree configuration ({{\"public\": \"s3://…\", \"lock\": \"postgres://…\"}}): {e}"),
        ),
    })
}

/// Waits a random while, longer after each lost attempt, so that two
/// sequencers contending for the lock do not keep colliding.
pub(crate) fn backoff(attempt: u32) {
    use rand_core::RngCore;
    let jitter = u64::from(rand_core::OsRng.next_u32() % 10) + 1;
    std::thread::sleep(std::time::Duration::from_millis(
        jitter * u64::from(attempt.min(8)),
    ));
}

/// Brings the local copy of a ledger whose public tree is in object
/// storage up to the lock's checkpoint (see [`Writer::open`]), unless a
/// writer holds it (that writer keeps it current).
pub fn refresh(root: &Path) -> Result<(), StoreError> {
    match Writer::open(root) {
        Ok(_) | Err(StoreError::Locked { .. } | StoreError::HeldByService { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}
