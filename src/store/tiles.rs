//! Reading hashes from the public tree's tiles as a [`NodeSource`] for
//! proofs, and the tile codecs of [`crate::tiles`] with the file named in
//! their errors.

use std::cell::RefCell;
use std::path::Path;

use super::StoreError;
use crate::merkle::{complete_subtree_root, Hash, MerkleError, NodeSource, HASH_SIZE};
pub use crate::tiles::*;

/// [`crate::tiles::parse_bundle`] of the file at `path`.
pub(crate) fn bundle_at<'a>(
    bytes: &'a [u8],
    expect: u64,
    path: &Path,
) -> Result<Vec<&'a [u8]>, StoreError> {
    crate::tiles::parse_bundle(bytes, expect).map_err(|e| StoreError::corrupt(path, e.to_string()))
}

/// [`crate::tiles::parse_hash_tile`] of the file at `path`.
pub(crate) fn hash_tile_at(bytes: &[u8], width: u64, path: &Path) -> Result<Vec<Hash>, StoreError> {
    crate::tiles::parse_hash_tile(bytes, width)
        .map_err(|e| StoreError::corrupt(path, e.to_string()))
}

/// Reads subtree hashes of a tree of a given size from the tiles under `log/`.
/// Keeps the last few tiles it read, since proofs touch one tile per level.
pub struct TileSource<'a> {
    tree: &'a dyn super::PublicTree,
    size: u64,
    cache: RefCell<Vec<(String, Vec<u8>)>>,
}

impl<'a> TileSource<'a> {
    /// A source for the tree of `size` leaves published as `tree`.
    pub fn over(tree: &'a dyn super::PublicTree, size: u64) -> Self {
        TileSource {
            tree,
            size,
            cache: RefCell::new(Vec::with_capacity(8)),
        }
    }

    fn with_tile<R>(&self, rel: &str, f: impl FnOnce(&[u8]) -> R) -> Result<R, String> {
        let mut cache = self.cache.borrow_mut();
        if let Some((_, data)) = cache.iter().find(|(p, _)| p == rel) {
            return Ok(f(data));
        }
        let data = self
            .tree
            .get(rel)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{}: missing", self.tree.locate(rel).display()))?;
        let r = f(&data);
        if cache.len() == 8 {
            cache.remove(0);
        }
        cache.push((rel.to_string(), data));
        Ok(r)
    }
}

impl NodeSource for TileSource<'_> {
    fn subtree(&self, level: u8, index: u64) -> Result<Hash, MerkleError> {
        let err = |reason: String| MerkleError::Source {
            level,
            index,
            reason,
        };
        let tile_level = level as u32 / TILE_HEIGHT;
        let j = level as u32 % TILE_HEIGHT;
        let first = index << j;
        let count = 1u64 << j;
        let hashes_at_level = self.size >> (tile_level * TILE_HEIGHT);
        if first + count > hashes_at_level {
            return Err(err(format!(
                "not a complete subtree of the tree of size {}",
                self.size
            )));
        }
        let n = first / TILE_WIDTH;
        let width = tile_width(hashes_at_level, n);
        let rel = tile_rel_path(TileKind::Hashes(tile_level as u8), n, width);
        let offset = (first % TILE_WIDTH) as usize;
        self.with_tile(&rel, |data| {
            if data.len() as u64 != width * HASH_SIZE as u64 {
                return Err(format!(
                    "{rel}: is {} bytes, expected {}",
                    data.len(),
                    width * HASH_SIZE as u64
                ));
            }
            let slice = &data[offset * HASH_SIZE..(offset + count as usize) * HASH_SIZE];
            let hashes: Vec<Hash> = slice
                .chunks_exact(HASH_SIZE)
                .map(|c| Hash::from_slice(c).unwrap_or_default())
                .collect();
            Ok(complete_subtree_root(&hashes))
        })
        .map_err(err)?
        .map_err(err)
    }
}
