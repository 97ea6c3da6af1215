//! A private index of tile interiors, so that proofs read hashes instead of
//! recomputing them.
//!
//! Tiles store one tree level in eight; a proof needs hashes at the levels in
//! between, which cost up to 255 SHA-256 computations per tile to rebuild.
//! For every full tile, `LEDGER/index/interior-<L>` keeps its interior
//! hashes at heights 4..=7 (30 hashes, 960 bytes) as one fixed-size record;
//! heights 1..=3 cost at most 7 hashes to recompute from the tile. The index is derived data:
//! it is written with the tiles and synced before the checkpoint, cut back or
//! rebuilt from the tiles when a writer opens the ledger, checked by
//! `log audit`, and readers verify every proof they make from it against the
//! signed root, falling back to the tiles if it ever disagrees.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Mutex;

use super::tiles::{
    hash_tile_at, interior_offset, tile_bytes, tile_interior, tile_width, RightEdge, TileKind,
    INTERIOR_HASHES, TILE_HEIGHT, TILE_WIDTH,
};
use super::{Layout, StoreError};
use crate::merkle::{complete_subtree_root, Hash, MerkleError, NodeSource, HASH_SIZE};

/// The lowest height kept: lower subtrees (at most 7 hashes to combine) are
/// cheaper to recompute from the tile, which the proof reads anyway, than to
/// write for every tile.
pub const STORED_FROM_HEIGHT: u32 = 4;
/// Interior hashes kept per tile: heights 4..=7, 16 + 8 + 4 + 2.
pub const RECORD_HASHES: usize = INTERIOR_HASHES - interior_offset_const(STORED_FROM_HEIGHT);
/// Bytes of one tile's interior record.
pub const RECORD_BYTES: u64 = (RECORD_HASHES * HASH_SIZE) as u64;

const fn interior_offset_const(j: u32) -> usize {
    256 - (256 >> (j - 1))
}

/// The part of a tile's interior that the index keeps.
fn stored(interior: &[Hash]) -> &[Hash] {
    &interior[interior_offset(STORED_FROM_HEIGHT)..]
}
/// Tile levels a tree of up to 2^64 leaves can have.
const LEVELS: usize = 8;

/// The index file of tile level `level`.
pub fn interior_path(layout: &Layout, level: u8) -> PathBuf {
    layout.index_dir().join(format!("interior-{level}"))
}

/// Appends interior records as full tiles are made.
pub struct InteriorWriter {
    layout: Layout,
    files: Vec<Option<BufWriter<File>>>,
    next: Vec<u64>,
}

impl InteriorWriter {
    /// Opens the index of a ledger whose committed size is `size`: records
    /// past it are cut off, missing ones rebuilt from the tiles.
    pub fn open(layout: &Layout, size: u64) -> Result<Self, StoreError> {
        let dir = layout.index_dir();
        fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let mut w = InteriorWriter {
            layout: layout.clone(),
            files: Vec::new(),
            next: Vec::new(),
        };
        for level in 0..LEVELS as u8 {
            let full = RightEdge::count_at(size, level) / TILE_WIDTH;
            let path = interior_path(layout, level);
            if full == 0 && !path.exists() {
                w.files.push(None);
                w.next.push(0);
                continue;
            }
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| StoreError::io(&path, e))?;
            let len = f.metadata().map_err(|e| StoreError::io(&path, e))?.len();
            let have = (len / RECORD_BYTES).min(full);
            if len != have * RECORD_BYTES {
                f.set_len(have * RECORD_BYTES)
                    .map_err(|e| StoreError::io(&path, e))?;
            }
            let mut out = BufWriter::with_capacity(1 << 20, f);
            use std::io::Seek;
            out.seek(std::io::SeekFrom::End(0))
                .map_err(|e| StoreError::io(&path, e))?;
            let mut interior = Vec::with_capacity(INTERIOR_HASHES);
            for n in have..full {
                let tile = layout.tile(TileKind::Hashes(level), n, TILE_WIDTH);
                let data = fs::read(&tile).map_err(|e| StoreError::io(&tile, e))?;
                let hashes = hash_tile_at(&data, TILE_WIDTH, &tile)?;
                tile_interior(&hashes, &mut interior);
                out.write_all(&tile_bytes(stored(&interior)))
                    .map_err(|e| StoreError::io(&path, e))?;
            }
            w.files.push(Some(out));
            w.next.push(full);
        }
        Ok(w)
    }

    /// Records the interior of full tile `n` at tile level `level`.
    pub fn append(&mut self, level: u8, n: u64, interior: &[Hash]) -> Result<(), StoreError> {
        let l = level as usize;
        let path = interior_path(&self.layout, level);
        if self.files[l].is_none() {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| StoreError::io(&path, e))?;
            self.files[l] = Some(BufWriter::with_capacity(1 << 20, f));
        }
        if self.next[l] != n {
            return Err(StoreError::corrupt(
                &path,
                format!("expected the record of tile {}, got tile {n}", self.next[l]),
            ));
        }
        if let Some(out) = self.files[l].as_mut() {
            out.write_all(&tile_bytes(stored(interior)))
                .map_err(|e| StoreError::io(&path, e))?;
        }
        self.next[l] += 1;
        Ok(())
    }

    /// Hands buffered records to the kernel (the commit's sync makes them durable).
    pub fn flush(&mut self) -> Result<(), StoreError> {
        for (level, f) in self.files.iter_mut().enumerate() {
            if let Some(out) = f {
                out.flush()
                    .map_err(|e| StoreError::io(&interior_path(&self.layout, level as u8), e))?;
            }
        }
        Ok(())
    }
}

/// Reads subtree hashes from the interior index and from tiles; computes
/// only what the index cannot hold (the incomplete tiles at the right edge).
///
/// A ledger snapshot keeps one source, and the source keeps the last tiles and
/// interior records it read, so a proof costs a few reads, no hashing but the
/// check against the signed root.
pub struct IndexedSource {
    layout: Layout,
    size: u64,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    /// Whole tiles recently read: (tile level, n) → hashes.
    tiles: Vec<((u8, u64), Vec<u8>)>,
    /// The index files, opened on first use, with their lengths.
    interiors: Option<Vec<Option<(File, u64)>>>,
    /// The last interior record read at each tile level.
    records: Vec<Option<(u64, Vec<u8>)>>,
    /// Subtrees computed from the incomplete tiles at the right edge.
    edge: Vec<((u8, u64), Hash)>,
}

/// Tiles kept in memory (proofs touch one per tile level).
const CACHED_TILES: usize = 8;

impl IndexedSource {
    /// A source for the tree of `size` leaves.
    pub fn new(layout: &Layout, size: u64) -> Self {
        IndexedSource {
            layout: layout.clone(),
            size,
            cache: Mutex::new(Cache::default()),
        }
    }

    fn with_tile<R>(
        &self,
        cache: &mut Cache,
        level: u8,
        n: u64,
        width: u64,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, String> {
        if let Some((_, data)) = cache.tiles.iter().find(|(k, _)| *k == (level, n)) {
            return Ok(f(data));
        }
        let path = self.layout.tile(TileKind::Hashes(level), n, width);
        let data = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if data.len() as u64 != width * HASH_SIZE as u64 {
            return Err(format!(
                "{}: is {} bytes, expected {}",
                path.display(),
                data.len(),
                width * HASH_SIZE as u64
            ));
        }
        let r = f(&data);
        if cache.tiles.len() == CACHED_TILES {
            cache.tiles.remove(0);
        }
        cache.tiles.push(((level, n), data));
        Ok(r)
    }

    /// Reads a hash from the interior index, if the index covers it.
    fn read_interior(&self, cache: &mut Cache, level: u8, n: u64, offset: usize) -> Option<Hash> {
        let size = self.size;
        let layout = &self.layout;
        let files = cache.interiors.get_or_insert_with(|| {
            (0..LEVELS as u8)
                .map(|l| {
                    if RightEdge::count_at(size, l) < TILE_WIDTH {
                        return None;
                    }
                    let f = File::open(interior_path(layout, l)).ok()?;
                    let len = f.metadata().ok()?.len();
                    Some((f, len))
                })
                .collect()
        });
        let (f, len) = files.get(level as usize)?.as_ref()?;
        if (n + 1) * RECORD_BYTES > *len {
            return None;
        }
        if cache.records.len() < LEVELS {
            cache.records.resize(LEVELS, None);
        }
        let slot = &mut cache.records[level as usize];
        if slot.as_ref().map(|(m, _)| *m) != Some(n) {
            let mut buf = vec![0u8; RECORD_BYTES as usize];
            f.read_exact_at(&mut buf, n * RECORD_BYTES).ok()?;
            *slot = Some((n, buf));
        }
        let (_, rec) = slot.as_ref()?;
        Hash::from_slice(&rec[offset * HASH_SIZE..(offset + 1) * HASH_SIZE]).ok()
    }
}

impl NodeSource for IndexedSource {
    fn subtree(&self, level: u8, index: u64) -> Result<Hash, MerkleError> {
        let err = |reason: String| MerkleError::Source {
            level,
            index,
            reason,
        };
        let tile_level = (level as u32 / TILE_HEIGHT) as u8;
        let j = level as u32 % TILE_HEIGHT;
        let first = index << j;
        let count = RightEdge::count_at(self.size, tile_level);
        if first + (1 << j) > count {
            return Err(err(format!(
                "not a complete subtree of the tree of size {}",
                self.size
            )));
        }
        let n = first / TILE_WIDTH;
        let width = tile_width(count, n);
        let within = (first % TILE_WIDTH) as usize;
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| err("cache lock poisoned".into()))?;
        if j == 0 {
            return self
                .with_tile(&mut cache, tile_level, n, width, |d| {
                    Hash::from_slice(&d[within * HASH_SIZE..(within + 1) * HASH_SIZE])
                        .unwrap_or_default()
                })
                .map_err(err);
        }
        if width == TILE_WIDTH && j >= STORED_FROM_HEIGHT {
            let offset = interior_offset(j) - interior_offset(STORED_FROM_HEIGHT) + (within >> j);
            if let Some(h) = self.read_interior(&mut cache, tile_level, n, offset) {
                return Ok(h);
            }
        }
        if width < TILE_WIDTH {
            if let Some((_, h)) = cache.edge.iter().find(|(k, _)| *k == (level, index)) {
                return Ok(*h);
            }
        }
        let h = self
            .with_tile(&mut cache, tile_level, n, width, |d| {
                let hashes: Vec<Hash> = d[within * HASH_SIZE..(within + (1 << j)) * HASH_SIZE]
                    .chunks_exact(HASH_SIZE)
                    .map(|c| Hash::from_slice(c).unwrap_or_default())
                    .collect();
                complete_subtree_root(&hashes)
            })
            .map_err(err)?;
        // Bounded: only subtrees inside the incomplete tiles are kept.
        if width < TILE_WIDTH && cache.edge.len() < 256 {
            cache.edge.push(((level, index), h));
        }
        Ok(h)
    }
}

/// Checks an interior index file against the interiors recomputed by the
/// audit, one record at a time.
pub struct InteriorChecker {
    files: Vec<Option<(PathBuf, File, u64)>>,
}

impl InteriorChecker {
    /// Opens whatever index files exist.
    pub fn open(layout: &Layout) -> Self {
        let files = (0..LEVELS as u8)
            .map(|l| {
                let path = interior_path(layout, l);
                let f = File::open(&path).ok()?;
                let len = f.metadata().ok()?.len();
                Some((path, f, len))
            })
            .collect();
        InteriorChecker { files }
    }

    /// Compares record `n` of level `level` with `interior`; `Ok(None)` when
    /// it matches or is not in the index (readers then use the tiles).
    pub fn check(
        &self,
        level: u8,
        n: u64,
        interior: &[Hash],
    ) -> Result<Option<(PathBuf, String)>, StoreError> {
        let Some(Some((path, f, len))) = self.files.get(level as usize) else {
            return Ok(None);
        };
        if (n + 1) * RECORD_BYTES > *len {
            return Ok(None);
        }
        let mut buf = vec![0u8; RECORD_BYTES as usize];
        f.read_exact_at(&mut buf, n * RECORD_BYTES)
            .map_err(|e| StoreError::io(path, e))?;
        if buf != tile_bytes(stored(interior)) {
            return Ok(Some((
                path.clone(),
                format!("record {n} does not match the tile's recomputed interior (this index is derived: delete it and the next writer rebuilds it)"),
            )));
        }
        Ok(None)
    }
}
