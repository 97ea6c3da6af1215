//! The public tree as published — the checkpoint, hash tiles and entry
//! bundles under their c2sp.org/tlog-tiles paths — read from wherever it
//! lives: the ledger's `log/` directory ([`DirTree`]) or a URL prefix
//! (`remote::HttpTree`). This is all that audits, monitors and proofs need
//! of a tree; nothing private is in it.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::tiles::{self, TileKind, TileSource, TILE_WIDTH};
use super::{RightEdge, StoreError};
use crate::merkle::{inclusion_proof, leaf_hash, InclusionProof, NodeSource};
use crate::note::{SignedCheckpoint, VerifierKey};

/// A public tree, read object by object.
pub trait PublicTree {
    /// The object at `rel` (`checkpoint`, `tile/0/000.p/5`,
    /// `tile/entries/001`, …); `None` if there is none.
    fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Where `rel` is, for messages: a path or a URL.
    fn locate(&self, rel: &str) -> PathBuf;

    /// The widths `W` of the partial objects `<full_rel>.p/<W>` present, or
    /// `None` when this tree cannot list them (over HTTP).
    fn partial_widths(&self, _full_rel: &str) -> Result<Option<Vec<u64>>, StoreError> {
        Ok(None)
    }
}

/// The tree in a directory (`LEDGER/log`).
pub struct DirTree {
    dir: PathBuf,
}

impl DirTree {
    /// The tree under `log_dir`.
    pub fn new(log_dir: impl Into<PathBuf>) -> DirTree {
        DirTree {
            dir: log_dir.into(),
        }
    }
}

impl PublicTree for DirTree {
    fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.dir.join(rel);
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }

    fn locate(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    fn partial_widths(&self, full_rel: &str) -> Result<Option<Vec<u64>>, StoreError> {
        let dir = self.dir.join(format!("{full_rel}.p"));
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Some(Vec::new())),
            Err(e) => return Err(StoreError::io(&dir, e)),
        };
        let mut widths = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| StoreError::io(&dir, e))?;
            if let Some(w) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u64>().ok())
                .filter(|w| (1..TILE_WIDTH).contains(w))
            {
                widths.push(w);
            }
        }
        widths.sort_unstable();
        Ok(Some(widths))
    }
}

/// A public tree opened at its signed checkpoint: entries and proofs
/// against that checkpoint, each checked before it is returned.
pub struct OpenTree<'a> {
    tree: &'a dyn PublicTree,
    checkpoint: SignedCheckpoint,
}

impl<'a> OpenTree<'a> {
    /// Reads the tree's checkpoint and verifies it with `vkey`.
    pub fn open(tree: &'a dyn PublicTree, vkey: &VerifierKey) -> Result<Self, StoreError> {
        let bytes = read_checkpoint_bytes(tree)?;
        let checkpoint =
            SignedCheckpoint::open(&bytes, vkey).map_err(|source| StoreError::Note {
                path: tree.locate("checkpoint"),
                source,
            })?;
        Ok(OpenTree { tree, checkpoint })
    }

    /// The tree at a checkpoint the caller has verified.
    pub fn at(tree: &'a dyn PublicTree, checkpoint: SignedCheckpoint) -> Self {
        OpenTree { tree, checkpoint }
    }

    /// Its checkpoint.
    pub fn checkpoint(&self) -> &SignedCheckpoint {
        &self.checkpoint
    }

    /// The tree read.
    pub fn tree(&self) -> &'a dyn PublicTree {
        self.tree
    }

    /// An object the checkpoint commits to; its absence is corruption.
    pub fn read_committed(&self, rel: &str) -> Result<Vec<u8>, StoreError> {
        self.tree.get(rel)?.ok_or_else(|| {
            StoreError::corrupt(
                &self.tree.locate(rel),
                "is missing, but the checkpoint commits to it".into(),
            )
        })
    }

    /// The inclusion proof of entry `index`, from the hash tiles, checked
    /// against the checkpoint.
    pub fn prove_inclusion(&self, index: u64) -> Result<InclusionProof, StoreError> {
        let root = self.checkpoint.root();
        if index >= root.size() {
            return Err(StoreError::NotInLog {
                index,
                size: root.size(),
            });
        }
        let source = TileSource::over(self.tree, root.size());
        let proof = inclusion_proof(&source, index, root.size())?;
        proof
            .verify(&source.subtree(0, index)?, root)
            .map_err(|e| {
                StoreError::corrupt(
                    &self.tree.locate("tile"),
                    format!("the tiles do not match the checkpoint ({e})"),
                )
            })?;
        Ok(proof)
    }

    /// Entry `index`, checked against the checkpoint.
    pub fn read_entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        let size = self.checkpoint.root().size();
        if index >= size {
            return Err(StoreError::NotInLog { index, size });
        }
        let n = index / TILE_WIDTH;
        let width = tiles::tile_width(size, n);
        let rel = tiles::tile_rel_path(TileKind::Entries, n, width);
        let data = self.read_committed(&rel)?;
        let at = self.tree.locate(&rel);
        let entry = tiles::bundle_at(&data, width, &at)?[(index % TILE_WIDTH) as usize].to_vec();
        self.prove_inclusion(index)?
            .verify(&leaf_hash(&entry), self.checkpoint.root())
            .map_err(|_| {
                StoreError::corrupt(
                    &at,
                    format!("entry {index} is not the entry the checkpoint commits to"),
                )
            })?;
        Ok(entry)
    }

    /// Calls `f` with each entry from the tree whose right edge is `edge`
    /// (a prefix the caller has already checked) to the checkpoint, and
    /// returns the checkpoint's edge; `Err(Corrupt)` if the entries do not
    /// hash to the checkpoint's root.
    pub fn for_each_entry_from(
        &self,
        mut edge: RightEdge,
        mut f: impl FnMut(u64, &[u8]) -> Result<(), StoreError>,
    ) -> Result<RightEdge, StoreError> {
        let size = self.checkpoint.root().size();
        if edge.size() > size {
            return Err(StoreError::corrupt(
                &self.tree.locate("checkpoint"),
                format!(
                    "the checkpoint (size {size}) is behind the tree already read (size {})",
                    edge.size()
                ),
            ));
        }
        for n in edge.size() / TILE_WIDTH..size.div_ceil(TILE_WIDTH) {
            let width = tiles::tile_width(size, n);
            let rel = tiles::tile_rel_path(TileKind::Entries, n, width);
            let data = self.read_committed(&rel)?;
            let at = self.tree.locate(&rel);
            for (k, e) in tiles::bundle_at(&data, width, &at)?.into_iter().enumerate() {
                let index = n * TILE_WIDTH + k as u64;
                if index < edge.size() {
                    continue;
                }
                f(index, e)?;
                edge.push(leaf_hash(e), &mut |_, _, _, _| Ok::<(), StoreError>(()))?;
            }
        }
        if edge.root() != *self.checkpoint.root().hash() {
            return Err(StoreError::corrupt(
                &self.tree.locate(""),
                "the entries do not hash to the checkpoint's root; run `log audit`".into(),
            ));
        }
        Ok(edge)
    }
}

/// The checkpoint's bytes; a tree without one is no tree.
pub fn read_checkpoint_bytes(tree: &dyn PublicTree) -> Result<Vec<u8>, StoreError> {
    tree.get("checkpoint")?
        .ok_or_else(|| StoreError::NotALedger {
            path: tree.locate(""),
            reason: format!("{} is missing", tree.locate("checkpoint").display()),
        })
}

/// The tree of a ledger directory (`LEDGER/log`).
pub fn dir_tree(root: &Path) -> DirTree {
    DirTree::new(super::Layout::new(root).log_dir())
}
