//! `log audit`: re-reads every entry, recomputes every tile and the root, and
//! checks them against the files and the signed checkpoint.
//!
//! The entries are the data and the checkpoint is the signed commitment; tiles
//! are derived. So the audit recomputes everything from the entries in one
//! streaming pass (memory O(log n)), notes every disagreement by kind, and
//! then decides whom to blame:
//! - if the entries hash to the signed root, the entries are right and the
//!   first tile (then old partial tile, then index record) that differs is
//!   named;
//! - otherwise an entry was changed: the first entry whose hash differs from
//!   the committed leaf hash is named, or, if the level-0 tile was changed
//!   along with it, the bundle under the lowest upper-level hash that differs.

use std::path::{Path, PathBuf};

use super::interior::InteriorChecker;
use super::public::{DirTree, OpenTree, PublicTree};
use super::tiles::{
    bundle_at, hash_tile_at, tile_bytes, tile_rel_path, tile_width, RightEdge, TileKind,
    TILE_HEIGHT, TILE_WIDTH,
};
use super::{read_vkey, Layout, StoreError};
use crate::merkle::{leaf_hash, Hash, HASH_SIZE};
use crate::note::VerifierKey;

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
    /// Partial tiles and bundles of earlier checkpoints compared with the
    /// committed tiles they must be prefixes of.
    pub old_partials: u64,
    /// Tile interiors checked in the private index (`index/interior-<L>`).
    pub index_records: u64,
    /// False when the tree could not list its older partial tiles (over
    /// HTTP), so none were compared.
    pub partials_listed: bool,
    /// False when there was no private index to compare (a remote tree).
    pub index_checked: bool,
}

struct Finding {
    path: PathBuf,
    reason: String,
}

/// The first disagreement of each kind.
#[derive(Default)]
struct Findings {
    /// An entry whose leaf hash differs from the level-0 tile.
    entry: Option<Finding>,
    /// A level-0 tile differing from the entries' leaf hashes.
    leaf_tile: Option<Finding>,
    /// The lowest upper-level tile hash that differs, with the first entry it covers.
    upper_tile: Option<(u8, Finding, u64)>,
    /// An older partial tile or bundle that is not a prefix of its tile.
    partial: Option<Finding>,
    /// An interior index record that differs.
    index: Option<Finding>,
}

fn note(slot: &mut Option<Finding>, path: PathBuf, reason: String) {
    if slot.is_none() {
        *slot = Some(Finding { path, reason });
    }
}

/// Compares the partial versions `<tile>.p/<W>` of a tile with the prefix of
/// its committed content. `prefix_len(W)` gives the length of that prefix, or
/// `None` for a width past the checkpoint (left by a crashed writer, never
/// committed, so not the audit's business). Returns how many were checked,
/// or `None` when the tree cannot list them.
fn check_partials(
    tree: &dyn PublicTree,
    full: &str,
    current: &[u8],
    prefix_len: impl Fn(u64) -> Option<usize>,
    f: &mut Findings,
) -> Result<Option<u64>, StoreError> {
    let Some(widths) = tree.partial_widths(full)? else {
        return Ok(None);
    };
    let mut checked = 0;
    for w in widths {
        let Some(len) = prefix_len(w) else {
            continue;
        };
        let rel = format!("{full}.p/{w}");
        let Some(data) = tree.get(&rel)? else {
            continue;
        };
        if data != current[..len] {
            note(
                &mut f.partial,
                tree.locate(&rel),
                "this partial tile is not a prefix of the committed tile".into(),
            );
        }
        checked += 1;
    }
    Ok(Some(checked))
}

fn hash_prefix(current_len: usize) -> impl Fn(u64) -> Option<usize> {
    move |w| (w as usize * HASH_SIZE <= current_len).then_some(w as usize * HASH_SIZE)
}

/// Audits the ledger at `root`: its public tree, and the private index of
/// tile interiors. `Err(StoreError::Corrupt)` names the first file or entry
/// found wrong; `Err(StoreError::Note)` a bad checkpoint.
pub fn audit(root: &Path) -> Result<AuditReport, StoreError> {
    let layout = Layout::new(root);
    let vkey = read_vkey(&layout)?;
    let tree = DirTree::new(layout.log_dir());
    let index = InteriorChecker::open(&layout);
    audit_with(&tree, &vkey, Some(&index))
}

/// Audits a public tree wherever it is (a directory, a URL) against the
/// log key `vkey`: every entry, every tile, the root; older partial tiles
/// where the tree can list them.
pub fn audit_tree(tree: &dyn PublicTree, vkey: &VerifierKey) -> Result<AuditReport, StoreError> {
    audit_with(tree, vkey, None)
}

fn audit_with(
    tree: &dyn PublicTree,
    vkey: &VerifierKey,
    index: Option<&InteriorChecker>,
) -> Result<AuditReport, StoreError> {
    let open = OpenTree::open(tree, vkey)?;
    let cp = open.checkpoint();
    let size = cp.root().size();
    let mut findings = Findings::default();
    let mut report = AuditReport {
        size,
        root: *cp.root().hash(),
        bundles: 0,
        tiles: 0,
        old_partials: 0,
        index_records: 0,
        partials_listed: true,
        index_checked: index.is_some(),
    };
    let listed = |r: Option<u64>, report: &mut AuditReport| match r {
        Some(n) => report.old_partials += n,
        None => report.partials_listed = false,
    };
    let mut edge = RightEdge::new();
    for n in 0..size.div_ceil(TILE_WIDTH) {
        let width = tile_width(size, n);
        let bundle_rel = tile_rel_path(TileKind::Entries, n, width);
        let bundle_path = tree.locate(&bundle_rel);
        let data = open.read_committed(&bundle_rel)?;
        let entries = bundle_at(&data, width, &bundle_path)?;
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
        let full_bundle = tile_rel_path(TileKind::Entries, n, TILE_WIDTH);
        let bundle_prefix = |w: u64| offsets.get(w as usize - 1).copied();
        let r = check_partials(tree, &full_bundle, &data, bundle_prefix, &mut findings)?;
        listed(r, &mut report);

        // The stored level-0 tile must hold exactly these leaf hashes.
        let tile_rel = tile_rel_path(TileKind::Hashes(0), n, width);
        let tile_path = tree.locate(&tile_rel);
        let stored = open.read_committed(&tile_rel)?;
        let stored = hash_tile_at(&stored, width, &tile_path)?;
        if let Some(k) = (0..leaves.len()).find(|&k| leaves[k] != stored[k]) {
            let index = n * TILE_WIDTH + k as u64;
            let reason = format!(
                "entry {index} does not hash to the leaf hash the log committed to in {}",
                tile_path.display()
            );
            note(&mut findings.entry, bundle_path.clone(), reason);
            let reason = format!("hash {k} differs from the leaf hash of entry {index}");
            note(&mut findings.leaf_tile, tile_path.clone(), reason);
        }
        report.tiles += 1;
        let bytes = tile_bytes(&leaves);
        let full_tile = tile_rel_path(TileKind::Hashes(0), n, TILE_WIDTH);
        let r = check_partials(
            tree,
            &full_tile,
            &bytes,
            hash_prefix(bytes.len()),
            &mut findings,
        )?;
        listed(r, &mut report);

        let mut on_full =
            |level: u8, tn: u64, hashes: &[Hash], interior: &[Hash]| -> Result<(), StoreError> {
                if let Some(index) = index {
                    match index.check(level, tn, interior)? {
                        Some((path, reason)) => note(&mut findings.index, path, reason),
                        None => report.index_records += 1,
                    }
                }
                if level == 0 {
                    return Ok(()); // compared above, against the entries directly
                }
                let rel = tile_rel_path(TileKind::Hashes(level), tn, TILE_WIDTH);
                let bytes = tile_bytes(hashes);
                compare_tile(&open, level, tn, &rel, &bytes, &mut findings)?;
                report.tiles += 1;
                let r =
                    check_partials(tree, &rel, &bytes, hash_prefix(bytes.len()), &mut findings)?;
                listed(r, &mut report);
                Ok(())
            };
        for leaf in leaves {
            edge.push(leaf, &mut on_full)?;
        }
    }
    // The partial tiles the checkpoint names above level 0.
    for (level, hashes) in edge.levels().iter().enumerate().skip(1) {
        if hashes.is_empty() {
            continue;
        }
        let level = level as u8;
        let n = RightEdge::count_at(size, level) / TILE_WIDTH;
        let rel = tile_rel_path(TileKind::Hashes(level), n, hashes.len() as u64);
        let bytes = tile_bytes(hashes);
        compare_tile(&open, level, n, &rel, &bytes, &mut findings)?;
        report.tiles += 1;
        let full = tile_rel_path(TileKind::Hashes(level), n, TILE_WIDTH);
        let r = check_partials(tree, &full, &bytes, hash_prefix(bytes.len()), &mut findings)?;
        listed(r, &mut report);
    }

    let computed = edge.root();
    if computed == *cp.root().hash() {
        let Findings {
            leaf_tile,
            upper_tile,
            partial,
            index,
            ..
        } = findings;
        return match leaf_tile
            .or(upper_tile.map(|(_, f, _)| f))
            .or(partial)
            .or(index)
        {
            Some(f) => Err(StoreError::corrupt(&f.path, f.reason)),
            None => Ok(report),
        };
    }
    if let Some(f) = findings.entry {
        return Err(StoreError::corrupt(&f.path, f.reason));
    }
    if let Some((level, tile, first_entry)) = findings.upper_tile {
        let bundle = tree.locate(&tile_rel_path(
            TileKind::Entries,
            first_entry / TILE_WIDTH,
            tile_width(size, first_entry / TILE_WIDTH),
        ));
        return Err(StoreError::corrupt(
            &bundle,
            format!(
                "the entries from {first_entry} on do not hash to what the log committed to at tree level {} ({}); \
                 their level-0 tile was changed with them",
                level as u32 * TILE_HEIGHT,
                tile.path.display()
            ),
        ));
    }
    Err(StoreError::corrupt(
        &tree.locate("checkpoint"),
        format!(
            "the entries hash to root {computed} but the checkpoint commits to {} for size {size}",
            cp.root().hash()
        ),
    ))
}

/// Compares a stored upper-level tile with the one recomputed from the entries.
fn compare_tile(
    open: &OpenTree,
    level: u8,
    n: u64,
    rel: &str,
    expected: &[u8],
    f: &mut Findings,
) -> Result<(), StoreError> {
    let stored = open.read_committed(rel)?;
    let path = &open.tree().locate(rel);
    if stored.len() != expected.len() {
        return Err(StoreError::corrupt(
            path,
            format!("is {} bytes, expected {}", stored.len(), expected.len()),
        ));
    }
    if stored == expected || f.upper_tile.as_ref().is_some_and(|(l, _, _)| *l <= level) {
        return Ok(());
    }
    let k = (0..expected.len() / HASH_SIZE)
        .find(|&k| {
            stored[k * HASH_SIZE..(k + 1) * HASH_SIZE]
                != expected[k * HASH_SIZE..(k + 1) * HASH_SIZE]
        })
        .unwrap_or(0) as u64;
    let first_entry = (n * TILE_WIDTH + k) << (level as u32 * TILE_HEIGHT);
    let finding = Finding {
        path: path.to_path_buf(),
        reason: format!("hash {k} differs from the hash recomputed from the entries"),
    };
    f.upper_tile = Some((level, finding, first_entry));
    Ok(())
}
