//! C2SP tlog-tiles as pure functions (no I/O): tile paths, the tile and
//! entry-bundle encodings, the interior hashes of a tile and the right edge
//! of a tree. The store, the verifier, the monitor, the service and the
//! fuzz targets share them; a decoding error is a [`TileError`], which the
//! store names with the file it read.

use crate::merkle::{complete_subtree_root, Hash, HASH_SIZE};

/// Why a tile or an entry bundle does not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// A bundle ends inside an entry's 2-byte length prefix.
    #[error("entry {entry} has a truncated length prefix")]
    TruncatedPrefix {
        /// The entry's position in the bundle.
        entry: usize,
    },
    /// A bundle ends inside an entry.
    #[error("entry {entry} claims {claims} bytes but only {remain} remain")]
    ShortEntry {
        /// The entry's position in the bundle.
        entry: usize,
        /// Its length prefix.
        claims: usize,
        /// The bytes left.
        remain: usize,
    },
    /// A bundle holds another number of entries than its width.
    #[error("holds {found} entries, expected {expected}")]
    WrongCount {
        /// Entries found.
        found: usize,
        /// The tile's width.
        expected: u64,
    },
    /// A hash tile is not `width` hashes long.
    #[error("is {len} bytes, a tile of {width} hashes is {expected}")]
    WrongLength {
        /// Its length.
        len: usize,
        /// Its width.
        width: u64,
        /// The length it should have.
        expected: u64,
    },
}

impl crate::class::Classify for TileError {
    fn class(&self) -> crate::class::Class {
        // A tile of the log that does not decode is not the one the
        // checkpoint commits to.
        crate::class::Class::VerificationFailed
    }
}

/// Tile height: each tile holds up to 2^8 hashes.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes (or entries) in a full tile (or bundle).
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;
/// Largest entry the log accepts (bundles use a u16 length prefix).
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// Encodes a tile index as tlog-tiles path elements: 1234067 → `x001/x234/067`.
pub fn index_path(n: u64) -> String {
    let mut groups = Vec::with_capacity(7);
    let mut rest = n;
    loop {
        groups.push(rest % 1000);
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    let mut s = String::with_capacity(groups.len() * 5);
    for (i, g) in groups.iter().rev().enumerate() {
        if i > 0 {
            s.push('/');
        }
        if i + 1 < groups.len() {
            s.push('x');
        }
        s.push_str(&format!("{g:03}"));
    }
    s
}

/// Which kind of tile: hashes at a tile level, or entry bundles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileKind {
    /// Hash tile at tile level L (stores tree level 8L hashes).
    Hashes(u8),
    /// Entry bundle.
    Entries,
}

/// The path of a tile relative to the log root; `width` 256 is a full tile,
/// anything less a partial tile `.p/<W>`.
pub fn tile_rel_path(kind: TileKind, n: u64, width: u64) -> String {
    let base = match kind {
        TileKind::Hashes(l) => format!("tile/{l}/{}", index_path(n)),
        TileKind::Entries => format!("tile/entries/{}", index_path(n)),
    };
    if width == TILE_WIDTH {
        base
    } else {
        format!("{base}.p/{width}")
    }
}

/// Width of tile `n` in a tree of `count` hashes at that tile level.
pub fn tile_width(count: u64, n: u64) -> u64 {
    (count - n * TILE_WIDTH).min(TILE_WIDTH)
}

/// Splits an entry bundle into its entries, checking it holds exactly `expect`.
pub fn parse_bundle(bytes: &[u8], expect: u64) -> Result<Vec<&[u8]>, TileError> {
    let mut out = Vec::with_capacity(expect.min(TILE_WIDTH) as usize);
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 2 {
            return Err(TileError::TruncatedPrefix { entry: out.len() });
        }
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        if rest.len() < 2 + len {
            return Err(TileError::ShortEntry {
                entry: out.len(),
                claims: len,
                remain: rest.len() - 2,
            });
        }
        out.push(&rest[2..2 + len]);
        rest = &rest[2 + len..];
    }
    if out.len() as u64 != expect {
        return Err(TileError::WrongCount {
            found: out.len(),
            expected: expect,
        });
    }
    Ok(out)
}

/// Decodes a hash tile, checking it holds exactly `width` hashes.
pub fn parse_hash_tile(bytes: &[u8], width: u64) -> Result<Vec<Hash>, TileError> {
    let expected = width.saturating_mul(HASH_SIZE as u64);
    if bytes.len() as u64 != expected {
        return Err(TileError::WrongLength {
            len: bytes.len(),
            width,
            expected,
        });
    }
    Ok(bytes
        .chunks_exact(HASH_SIZE)
        .map(|c| Hash::from_slice(c).unwrap_or_default())
        .collect())
}

/// The right edge of a tree stored as tiles: for each tile level, the hashes
/// of its incomplete tile (fewer than 256). That is all it takes to extend the
/// tree and to compute its root, so memory is O(log n).
#[derive(Clone, Debug, Default)]
pub struct RightEdge {
    size: u64,
    levels: Vec<Vec<Hash>>,
    /// Interior hashes of the last full tile (see [`tile_interior`]).
    interior: Vec<Hash>,
}

/// Hashes inside a full tile's subtree, below its root: heights 1..=7 of the
/// 256-hash tile, 128 + 64 + … + 2 = 254 hashes, height by height.
pub const INTERIOR_HASHES: usize = 254;

/// Where height `j` (1..=7) starts among a tile's interior hashes.
pub fn interior_offset(j: u32) -> usize {
    256 - (256 >> (j - 1))
}

/// Computes the interior hashes of a full tile into `out` and returns the
/// tile's root (the hash it contributes to the next tile level).
pub fn tile_interior(hashes: &[Hash], out: &mut Vec<Hash>) -> Hash {
    debug_assert_eq!(hashes.len() as u64, TILE_WIDTH);
    out.clear();
    out.extend(
        hashes
            .chunks_exact(2)
            .map(|p| crate::merkle::node_hash(&p[0], &p[1])),
    );
    let mut start = 0;
    let mut len = out.len();
    while len > 2 {
        for k in 0..len / 2 {
            let h = crate::merkle::node_hash(&out[start + 2 * k], &out[start + 2 * k + 1]);
            out.push(h);
        }
        start += len;
        len /= 2;
    }
    crate::merkle::node_hash(&out[start], &out[start + 1])
}

impl RightEdge {
    /// An empty tree.
    pub fn new() -> Self {
        RightEdge {
            size: 0,
            levels: vec![Vec::with_capacity(TILE_WIDTH as usize)],
            interior: Vec::with_capacity(INTERIOR_HASHES),
        }
    }

    /// Rebuilds the edge of a tree of `size` leaves from its partial tiles;
    /// `read(level, n, width)` returns the hashes of one.
    pub fn load<E>(
        size: u64,
        mut read: impl FnMut(u8, u64, u64) -> Result<Vec<Hash>, E>,
    ) -> Result<Self, E> {
        let mut levels = Vec::new();
        for level in 0..8u8 {
            let count = Self::count_at(size, level);
            if count == 0 && level > 0 {
                break;
            }
            let width = count % TILE_WIDTH;
            let mut hashes = Vec::with_capacity(TILE_WIDTH as usize);
            if width > 0 {
                hashes = read(level, count / TILE_WIDTH, width)?;
            }
            levels.push(hashes);
        }
        Ok(RightEdge {
            size,
            levels,
            interior: Vec::with_capacity(INTERIOR_HASHES),
        })
    }

    /// Number of level-8L hashes (complete subtrees of 256^L leaves) in a tree of `size`.
    pub fn count_at(size: u64, level: u8) -> u64 {
        let shift = level as u32 * TILE_HEIGHT;
        if shift >= 64 {
            0
        } else {
            size >> shift
        }
    }

    /// Leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The hashes of the incomplete tile at each level.
    pub fn levels(&self) -> &[Vec<Hash>] {
        &self.levels
    }

    /// An edge saved with [`RightEdge::levels`]; `None` unless each level
    /// holds exactly the hashes a tree of `size` leaves leaves incomplete.
    pub fn from_levels(size: u64, levels: Vec<Vec<Hash>>) -> Option<Self> {
        if levels.is_empty() || levels.len() > 8 {
            return None;
        }
        for (l, hashes) in levels.iter().enumerate() {
            if hashes.len() as u64 != Self::count_at(size, l as u8) % TILE_WIDTH {
                return None;
            }
        }
        if Self::count_at(size, levels.len() as u8) >= TILE_WIDTH {
            return None;
        }
        Some(RightEdge {
            size,
            levels,
            interior: Vec::with_capacity(INTERIOR_HASHES),
        })
    }

    /// Adds a leaf hash. Each time a tile fills, `on_full(level, n, hashes,
    /// interior)` is called with it (and its interior hashes) before its root
    /// moves up as one hash of the next level.
    pub fn push<E>(
        &mut self,
        leaf: Hash,
        on_full: &mut impl FnMut(u8, u64, &[Hash], &[Hash]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.size += 1;
        let mut hash = leaf;
        let mut level = 0usize;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::with_capacity(TILE_WIDTH as usize));
            }
            self.levels[level].push(hash);
            if self.levels[level].len() as u64 != TILE_WIDTH {
                return Ok(());
            }
            let n = Self::count_at(self.size, level as u8) / TILE_WIDTH - 1;
            hash = tile_interior(&self.levels[level], &mut self.interior);
            on_full(level as u8, n, &self.levels[level], &self.interior)?;
            self.levels[level].clear();
            level += 1;
        }
    }

    /// The RFC 9162 root of the tree.
    pub fn root(&self) -> Hash {
        if self.size == 0 {
            return crate::merkle::empty_root();
        }
        let mut pieces = Vec::with_capacity(64);
        for hashes in self.levels.iter().rev() {
            let mut off = 0usize;
            for j in (0..TILE_HEIGHT).rev() {
                let n = 1usize << j;
                if hashes.len() & n != 0 {
                    pieces.push(complete_subtree_root(&hashes[off..off + n]));
                    off += n;
                }
            }
        }
        crate::merkle::fold_right(&pieces)
    }
}

/// Serialises hashes as a tile.
pub fn tile_bytes(hashes: &[Hash]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hashes.len() * HASH_SIZE);
    for h in hashes {
        out.extend_from_slice(h.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_paths_follow_the_spec() {
        assert_eq!(index_path(0), "000");
        assert_eq!(index_path(999), "999");
        assert_eq!(index_path(1000), "x001/000");
        assert_eq!(index_path(1234067), "x001/x234/067");
        assert_eq!(
            tile_rel_path(TileKind::Hashes(0), 1234067, 256),
            "tile/0/x001/x234/067"
        );
        assert_eq!(tile_rel_path(TileKind::Hashes(1), 5, 12), "tile/1/005.p/12");
        assert_eq!(
            tile_rel_path(TileKind::Entries, 3, 1),
            "tile/entries/003.p/1"
        );
    }

    #[test]
    fn tile_interior_matches_the_subtree_roots() {
        use crate::merkle::{leaf_hash, MemoryTree, NodeSource};
        let t = MemoryTree::from_entries((0..256u32).map(|i| i.to_be_bytes()));
        let mut interior = Vec::new();
        let root = tile_interior(t.leaves(), &mut interior);
        assert_eq!(root, *t.root().hash());
        assert_eq!(interior.len(), INTERIOR_HASHES);
        for j in 1..8u32 {
            for k in 0..(256usize >> j) {
                assert_eq!(
                    interior[interior_offset(j) + k],
                    t.subtree(j as u8, k as u64).unwrap(),
                    "height {j} index {k}"
                );
            }
        }
        assert_ne!(root, leaf_hash(b""));
    }

    #[test]
    fn bundles_are_length_prefixed_and_checked() {
        let b = [0u8, 1, b'a', 0, 0, 0, 2, b'b', b'c'];
        assert_eq!(
            parse_bundle(&b, 3).unwrap(),
            vec![&b"a"[..], &b""[..], &b"bc"[..]]
        );
        assert_eq!(
            parse_bundle(&b, 2),
            Err(TileError::WrongCount {
                found: 3,
                expected: 2
            })
        );
        assert_eq!(
            parse_bundle(&b[..8], 3),
            Err(TileError::ShortEntry {
                entry: 2,
                claims: 2,
                remain: 1
            })
        );
        assert_eq!(
            parse_bundle(&b[..1], 1),
            Err(TileError::TruncatedPrefix { entry: 0 })
        );
        assert!(matches!(
            parse_hash_tile(&[0; 33], 1),
            Err(TileError::WrongLength { expected: 32, .. })
        ));
    }
}
