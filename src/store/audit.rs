//! `log audit`: re-reads every entry, recomputes every tile and the root, and
//! checks them against the files and the signed checkpoint.
//!
//! The entries are the data and the checkpoint is the signed commitment; tiles
//! are derived. So the audit recomputes everything from the entries in one
//! streaming pass (memory O(log n)) and then decides whom to blame: if the
//! entries hash to the signed root, every tile that differs is corrupt;
//! otherwise the first entry whose hash differs from the committed leaf hash
//! is named.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::interior::InteriorChecker;
use super::tiles::{
    parse_bundle, parse_hash_tile, tile_bytes, tile_width, RightEdge, TileKind, TILE_WIDTH,
};
use super::{read_checkpoint, read_vkey, Layout, StoreError};
use crate::merkle::{leaf_hash, Hash};

/// What a clean audit covered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditReport {
    /// Tree size of the checkpoint audited.
    pub size: u64,
    /// The root hash recomputed from the entries (equal to the checkpoint's).
    pub root: Hash,
    /// Entry bundles read.
    pub bundles: u64,
    /// Hash tiles compared (full and current partial).
    pub tiles: u64,
    /// Older partial tiles and bundles compared with their full versions.
    pub old_partials: u64,
    /// Tile interiors checked in the private index (`index/interior-<L>`).
    pub index_records: u64,
}

struct Finding {
    path: PathBuf,
    reason: String,
}

#[derive(Default)]
struct Findings {
    first_tile: Option<Finding>,
    first_entry: Option<Finding>,
}

fn read_committed(path: &Path) -> Result<Vec<u8>, StoreError> {
    fs::read(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => {
            StoreError::corrupt(path, "is missing, but the checkpoint commits to it".into())
        }
        _ => StoreError::io(path, e),
    })
}

/// Compares the partial versions `<tile>.p/<W>` of a tile with the prefix of
/// its committed content. `prefix_len(W)` gives the length of that prefix, or
/// `None` for a width past the checkpoint (left by a crashed writer, not
/// committed, and so not the audit's business). Returns how many were checked.
fn check_partials(
    full: &Path,
    current: &[u8],
    prefix_len: impl Fn(u64) -> Option<usize>,
    f: &mut Findings,
) -> Result<u64, StoreError> {
    let mut dir = full.as_os_str().to_owned();
    dir.push(".p");
    let dir = PathBuf::from(dir);
    let rd = match fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(StoreError::io(&dir, e)),
    };
    let mut checked = 0;
    for entry in rd {
        let entry = entry.map_err(|e| StoreError::io(&dir, e))?;
        let Some(len) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u64>().ok())
            .and_then(&prefix_len)
        else {
            continue;
        };
        let path = entry.path();
        let data = fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
        if data != current[..len] && f.first_tile.is_none() {
            f.first_tile = Some(Finding {
                path,
                reason: "this partial tile is not a prefix of the committed tile".to_string(),
            });
        }
        checked += 1;
    }
    Ok(checked)
}

fn hash_prefix(current_len: usize) -> impl Fn(u64) -> Option<usize> {
    move |w| (w >= 1 && (w as usize) * 32 <= current_len).then_some(w as usize * 32)
}

/// Audits the ledger at `root`. `Err(StoreError::Corrupt)` names the first
/// file or entry found wrong; `Err(StoreError::Note)` a bad checkpoint.
pub fn audit(root: &Path) -> Result<AuditReport, StoreError> {
    let layout = Layout::new(root);
    let vkey = read_vkey(&layout)?;
    let cp = read_checkpoint(&layout, &vkey)?;
    let size = cp.root().size();
    let mut findings = Findings::default();
    let mut report = AuditReport {
        size,
        root: *cp.root().hash(),
        bundles: 0,
        tiles: 0,
        old_partials: 0,
        index_records: 0,
    };
    let mut edge = RightEdge::new();
    let index = InteriorChecker::open(&layout);

    let bundles = size.div_ceil(TILE_WIDTH);
    for n in 0..bundles {
        let width = tile_width(size, n);
        let bundle_path = layout.tile(TileKind::Entries, n, width);
        let data = read_committed(&bundle_path)?;
        let entries = parse_bundle(&data, width, &bundle_path)?;
        report.bundles += 1;
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
        // Partial versions of this bundle must be prefixes of it.
        let offsets: Vec<usize> = entries
            .iter()
            .scan(0usize, |off, e| {
                *off += 2 + e.len();
                Some(*off)
            })
            .collect();
        let full_bundle = layout.tile(TileKind::Entries, n, TILE_WIDTH);
        let bundle_prefix = |w: u64| {
            (w >= 1)
                .then(|| offsets.get(w as usize - 1).copied())
                .flatten()
        };
        report.old_partials += check_partials(&full_bundle, &data, bundle_prefix, &mut findings)?;

        // The stored level-0 tile must hold exactly these leaf hashes.
        let tile_path = layout.tile(TileKind::Hashes(0), n, width);
        let stored = read_committed(&tile_path)?;
        let stored = parse_hash_tile(&stored, width, &tile_path)?;
        if let Some(k) = (0..leaves.len()).find(|&k| leaves[k] != stored[k]) {
            let index = n * TILE_WIDTH + k as u64;
            if findings.first_entry.is_none() {
                findings.first_entry = Some(Finding {
                    path: bundle_path.clone(),
                    reason: format!(
                        "entry {index} does not hash to the leaf hash the log committed to in {}",
                        tile_path.display()
                    ),
                });
            }
            if findings.first_tile.is_none() {
                findings.first_tile = Some(Finding {
                    path: tile_path.clone(),
                    reason: format!("hash {k} differs from the leaf hash of entry {index}"),
                });
            }
        }
        report.tiles += u64::from(width == TILE_WIDTH);
        let bytes = tile_bytes(&leaves);
        let full_tile = layout.tile(TileKind::Hashes(0), n, TILE_WIDTH);
        report.old_partials +=
            check_partials(&full_tile, &bytes, hash_prefix(bytes.len()), &mut findings)?;

        let mut on_full =
            |level: u8, tn: u64, hashes: &[Hash], interior: &[Hash]| -> Result<(), StoreError> {
                if let Some((path, reason)) = index.check(level, tn, interior)? {
                    if findings.first_tile.is_none() {
                        findings.first_tile = Some(Finding { path, reason });
                    }
                } else {
                    report.index_records += 1;
                }
                if level == 0 {
                    return Ok(()); // compared above, against the entries directly
                }
                let path = layout.tile(TileKind::Hashes(level), tn, TILE_WIDTH);
                let bytes = tile_bytes(hashes);
                compare_tile(&path, &bytes, &mut findings)?;
                report.tiles += 1;
                report.old_partials +=
                    check_partials(&path, &bytes, hash_prefix(bytes.len()), &mut findings)?;
                Ok(())
            };
        for leaf in leaves {
            edge.push(leaf, &mut on_full)?;
        }
    }
    // The partial tiles the checkpoint names, above level 0 (level 0 was compared above).
    for (level, hashes) in edge.levels().iter().enumerate().skip(1) {
        if hashes.is_empty() {
            continue;
        }
        let count = RightEdge::count_at(size, level as u8);
        let path = layout.tile(
            TileKind::Hashes(level as u8),
            count / TILE_WIDTH,
            hashes.len() as u64,
        );
        let bytes = tile_bytes(hashes);
        compare_tile(&path, &bytes, &mut findings)?;
        report.tiles += 1;
        let full = layout.tile(
            TileKind::Hashes(level as u8),
            count / TILE_WIDTH,
            TILE_WIDTH,
        );
        report.old_partials +=
            check_partials(&full, &bytes, hash_prefix(bytes.len()), &mut findings)?;
    }
    if size % TILE_WIDTH != 0 {
        report.tiles += 1;
    }

    let computed = edge.root();
    if computed == *cp.root().hash() {
        if let Some(f) = findings.first_tile {
            return Err(StoreError::corrupt(&f.path, f.reason));
        }
        return Ok(report);
    }
    let f = findings
        .first_entry
        .or(findings.first_tile)
        .unwrap_or(Finding {
            path: layout.checkpoint(),
            reason: format!(
                "the entries hash to root {} but the checkpoint commits to {} for size {size}",
                computed,
                cp.root().hash()
            ),
        });
    Err(StoreError::corrupt(&f.path, f.reason))
}

fn compare_tile(path: &Path, expected: &[u8], f: &mut Findings) -> Result<(), StoreError> {
    let stored = read_committed(path)?;
    if stored.len() != expected.len() {
        return Err(StoreError::corrupt(
            path,
            format!("is {} bytes, expected {}", stored.len(), expected.len()),
        ));
    }
    if stored != expected && f.first_tile.is_none() {
        let k = (0..expected.len() / 32)
            .find(|&k| stored[k * 32..k * 32 + 32] != expected[k * 32..k * 32 + 32])
            .unwrap_or(0);
        f.first_tile = Some(Finding {
            path: path.to_path_buf(),
            reason: format!("hash {k} differs from the hash recomputed from the entries"),
        });
    }
    Ok(())
}
