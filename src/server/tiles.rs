//! The public tree's tiles as the service serves them: paths checked
//! against c2sp.org/tlog-tiles names, read from the ledger's `log/tile/`,
//! and full tiles that the published checkpoint covers kept in memory
//! (they never change), within a byte budget.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use axum::body::Bytes;

/// Bytes of tiles kept in memory unless `TRIAGE_LEDGER_TILE_CACHE_MB`
/// says otherwise (0: none).
const DEFAULT_BUDGET_MB: usize = 256;

/// The largest tile kept: an entry bundle of 256 entries of 64 KiB.
const LARGEST: usize = 256 * (2 + 65_535);

/// Tiles under a `log/tile` directory or in the bucket that holds the
/// public tree, with the cache.
pub(super) struct Tiles {
    dir: PathBuf,
    bucket: Option<std::sync::Arc<crate::store::ObjectTree>>,
    budget: usize,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    map: HashMap<String, Bytes>,
    bytes: usize,
}

impl Tiles {
    /// The tiles of the ledger at `root`: from its public tree's bucket if
    /// it has one, else from its `log/`.
    pub(super) fn new(root: &std::path::Path) -> Result<Tiles, crate::store::StoreError> {
        let bucket = match crate::store::read_config(root)? {
            Some(cfg) => Some(std::sync::Arc::new(crate::store::ObjectTree::open(
                &cfg.public,
            )?)),
            None => None,
        };
        let mb = std::env::var("TRIAGE_LEDGER_TILE_CACHE_MB")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(DEFAULT_BUDGET_MB);
        Ok(Tiles {
            dir: crate::store::Layout::new(root).log_dir().join("tile"),
            bucket,
            budget: mb.saturating_mul(1 << 20),
            cache: Mutex::default(),
        })
    }

    async fn read(&self, path: &str) -> Option<Bytes> {
        match &self.bucket {
            None => Some(Bytes::from(
                tokio::fs::read(self.dir.join(path)).await.ok()?,
            )),
            Some(bucket) => {
                use crate::store::PublicTree;
                let (bucket, rel) = (bucket.clone(), format!("tile/{path}"));
                let got = tokio::task::spawn_blocking(move || bucket.get(&rel)).await;
                match got {
                    Ok(Ok(found)) => found.map(Bytes::from),
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "reading a tile from the bucket");
                        None
                    }
                    Err(_) => None,
                }
            }
        }
    }

    /// The tile at `path` (below `tile/`), `None` if there is none or the
    /// path names no tile. `published` is the published tree size: only
    /// full tiles it covers are kept.
    pub(super) async fn get(&self, path: &str, published: u64) -> Option<Bytes> {
        if !valid_tile_path(path) {
            return None;
        }
        if let Some(b) = self.cache.lock().ok()?.map.get(path) {
            return Some(b.clone());
        }
        let bytes = self.read(path).await?;
        if covered(path, published) && bytes.len() <= LARGEST.min(self.budget) {
            if let Ok(mut c) = self.cache.lock() {
                // Over budget: forget arbitrary tiles until it fits.
                while c.bytes + bytes.len() > self.budget {
                    let Some(k) = c.map.keys().next().cloned() else {
                        break;
                    };
                    if let Some(old) = c.map.remove(&k) {
                        c.bytes -= old.len();
                    }
                }
                c.bytes += bytes.len();
                if let Some(old) = c.map.insert(path.to_string(), bytes.clone()) {
                    c.bytes -= old.len();
                }
            }
        }
        Some(bytes)
    }
}

/// True for a full tile (no `.p/W`) whose every leaf is within a tree of
/// `size`: such a tile is final.
fn covered(path: &str, size: u64) -> bool {
    let Some((level, index)) = path.split_once('/') else {
        return false;
    };
    if index.contains(".p") {
        return false;
    }
    let level: u32 = match level {
        "entries" => 0,
        l => match l.parse() {
            Ok(l) if l < 8 => l,
            _ => return false,
        },
    };
    let Ok(n) = index.replace(['x', '/'], "").parse::<u128>() else {
        return false;
    };
    ((n + 1) << (8 * (level + 1))) <= u128::from(size)
}

/// A tile path as c2sp.org/tlog-tiles names them: `L/N[.p/W]` or
/// `entries/N[.p/W]`, N in 3-digit groups with `x` prefixes.
pub(super) fn valid_tile_path(p: &str) -> bool {
    let parts: Vec<&str> = p.split('/').collect();
    if parts.len() < 2 || parts.len() > 12 {
        return false;
    }
    let level_ok =
        parts[0] == "entries" || (parts[0].len() == 1 && parts[0].as_bytes()[0].is_ascii_digit());
    let digits = |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit());
    let mut rest = &parts[1..];
    // Optional partial suffix: ".p" on the last group, then the width.
    let mut width = None;
    if rest.len() >= 2 && rest[rest.len() - 2].ends_with(".p") {
        width = Some(rest[rest.len() - 1]);
        rest = &rest[..rest.len() - 1];
    }
    let Some((last, groups)) = rest.split_last() else {
        return false;
    };
    let last = if width.is_some() {
        last.strip_suffix(".p").unwrap_or("")
    } else {
        last
    };
    level_ok
        && groups
            .iter()
            .all(|g| g.strip_prefix('x').is_some_and(digits))
        && digits(last)
        && width
            .is_none_or(|w| !w.is_empty() && w.len() <= 3 && w.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::{covered, valid_tile_path};

    #[test]
    fn only_tile_paths_are_served() {
        for ok in [
            "0/000",
            "1/x001/234",
            "entries/000",
            "0/000.p/5",
            "entries/x001/067.p/255",
        ] {
            assert!(valid_tile_path(ok), "{ok}");
        }
        for bad in [
            "../x",
            "0/../../etc",
            "0/0",
            "00/000",
            "0/x01/000",
            "entries/000.p/",
            "0/000.p",
            "0/abc",
            "9/000/",
        ] {
            assert!(!valid_tile_path(bad), "{bad}");
        }
    }

    #[test]
    fn only_full_tiles_the_published_tree_covers_are_kept() {
        // Level 0 and bundles: tile N covers entries up to (N+1)*256.
        assert!(covered("0/000", 256));
        assert!(!covered("0/000", 255));
        assert!(covered("entries/001", 512));
        assert!(!covered("entries/001", 511));
        // Level 1 tile N covers (N+1)*65536 entries.
        assert!(covered("1/000", 65_536));
        assert!(!covered("1/000", 65_535));
        assert!(covered("0/x001/000", 1001 * 256));
        assert!(!covered("0/x001/000", 1001 * 256 - 1));
        // Partial tiles are never kept; nor are absurd levels.
        assert!(!covered("0/000.p/5", 1 << 40));
        assert!(!covered("9/000", u64::MAX));
    }
}
