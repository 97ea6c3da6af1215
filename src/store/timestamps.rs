//! The log's time-stamp tokens (FORMATS §29): `log/timestamps/SIZE`, each
//! an RFC 3161 token (DER) over the body of the log's checkpoint of that
//! tree size. Public, like the checkpoint it stamps: a token holds the
//! checkpoint's digest, the TSA's time and its signature, nothing of a
//! record.

use std::path::PathBuf;

use super::{Layout, StoreError};

/// The largest token read back (`tsa::MAX_TOKEN_SIZE`).
const MAX_KEPT: usize = 64 << 10;

/// Keeps `token` as the time-stamp of the tree of `size` (atomically and
/// durably; a token for the same size already kept is replaced, both are
/// equally good).
pub fn write(layout: &Layout, size: u64, token: &[u8]) -> Result<PathBuf, StoreError> {
    let dest = layout.timestamps_dir().join(size.to_string());
    super::fsio::AtomicWriter::new(layout.tmp_dir())?.write(&dest, token, true)?;
    Ok(dest)
}

/// The tree sizes that have a token, smallest first.
pub fn sizes(layout: &Layout) -> Result<Vec<u64>, StoreError> {
    let dir = layout.timestamps_dir();
    let mut sizes: Vec<u64> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter_map(|e| crate::note::parse_decimal(&e.file_name().to_string_lossy()))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io(&dir, e)),
    };
    sizes.sort_unstable();
    Ok(sizes)
}

/// The token kept for the tree of `size`.
pub fn read(layout: &Layout, size: u64) -> Result<Vec<u8>, StoreError> {
    let p = layout.timestamps_dir().join(size.to_string());
    let bytes = std::fs::read(&p).map_err(|e| StoreError::io(&p, e))?;
    if bytes.len() > MAX_KEPT {
        return Err(StoreError::corrupt(
            &p,
            format!("{} bytes, larger than a token ({MAX_KEPT})", bytes.len()),
        ));
    }
    Ok(bytes)
}
