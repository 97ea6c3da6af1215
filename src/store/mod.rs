//! The ledger directory: a C2SP tlog-tiles tree under `LEDGER/log/` that a
//! static web server can publish as is, plus private state beside it.
//!
//! ```text
//! LEDGER/
//!   log/checkpoint            latest signed checkpoint (the commit point)
//!   log/tile/<L>/<N>[.p/<W>]  hash tiles
//!   log/tile/entries/<N>[.p/<W>]  entry bundles
//!   vkey                      the log's verifier key (public)
//!   private/log.key           the log's signing key (0600, directory 0700)
//!   index/interior-<L>        derived index of tile interiors (for fast proofs)
//!   lock                      held by the one writer (OS file lock)
//!   tmp/                      temporary files, cleared by each writer
//! ```
//!
//! Readers never lock: they read the checkpoint first and then only files it
//! commits to, which are immutable.

mod audit;
pub mod confidential;
pub(crate) mod fsio;
mod highwater;
mod interior;
#[cfg(feature = "service")]
mod lock;
#[cfg(feature = "service")]
pub mod memory;
#[cfg(feature = "service")]
mod object;
mod placement;
mod public;
#[cfg(feature = "service")]
mod publish;
#[cfg(not(feature = "service"))]
#[path = "unpublished.rs"]
mod publish;
pub mod rotate;
#[cfg(feature = "service")]
pub mod sealed;
mod tiles;
pub mod timestamps;
mod writelock;
mod writer;

use std::path::{Path, PathBuf};

pub use audit::{audit, audit_tree, AuditReport};
#[cfg(feature = "service")]
pub use lock::{CheckpointLock, ObjectLock, PgLock};
#[cfg(feature = "service")]
pub use object::{is_object_url, ConditionalWrites, ObjectTree};
pub(crate) use placement::backoff;
pub use placement::{read_config, refresh, PublicConfig};
pub use public::{dir_tree, read_checkpoint_bytes, DirTree, OpenTree, PublicTree};
#[cfg(feature = "service")]
pub use publish::{
    append_batch, append_stream, audit_public, migrate, publish_new, Appended, PublishedAudit,
    BATCH_BYTES, BATCH_ENTRIES,
};
pub use tiles::{
    index_path, tile_rel_path, tile_width, RightEdge, TileKind, TileSource, MAX_ENTRY_SIZE,
    TILE_WIDTH,
};
pub use writer::{
    init, init_with_token, install_trust_root, open_log_signer, read_frozen, read_log_key,
    read_predecessor, write_public_file, NewKey, OnWait, Waiting, Writer, DEFAULT_LOCK_WAIT,
};

use crate::merkle::{
    consistency_proof, inclusion_proof, range_root, ConsistencyProof, InclusionProof, MerkleError,
    NodeSource, RootHash,
};
use crate::note::{NoteError, SignedCheckpoint, VerifierKey};
use interior::IndexedSource;

/// Why a ledger operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// An object of a public tree served over HTTP(S) could not be fetched
    /// (the source, `remote::NetError`, names the URL and what to try).
    #[error("{source}")]
    Fetch {
        /// The object's URL.
        url: String,
        /// Why.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Another process holds the writer lock.
    #[error("{path} is locked by another writer ({holder}); only one may append at a time")]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// Who holds it, as it wrote in the lock file: `pid N: COMMAND`.
        holder: String,
    },
    /// The directory is not a ledger (or not a complete one).
    #[error("{path} is not a triage-ledger ledger: {reason}")]
    NotALedger {
        /// The directory.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// `init` found something already there.
    #[error("{path} already exists and is not empty")]
    AlreadyExists {
        /// The directory.
        path: PathBuf,
    },
    /// An entry is larger than the log allows.
    #[error("{what} is {len} bytes; log entries are at most 65535 bytes (the log holds signed statements, not evidence files)")]
    EntryTooLarge {
        /// Which entry (file name or line number).
        what: String,
        /// Its length.
        len: usize,
    },
    /// A file of the log does not have the content the log committed to.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The checkpoint or a key is bad.
    #[error("{path}: {source}")]
    Note {
        /// The file.
        path: PathBuf,
        /// The error.
        source: NoteError,
    },
    /// An index past the end of the log.
    #[error("entry {index} is not in the log (tree size {size})")]
    NotInLog {
        /// Requested index.
        index: u64,
        /// Tree size of the checkpoint.
        size: u64,
    },
    /// The ledger has a trust root: it admits statements only through the
    /// registration policy, not as raw entries.
    #[error("{path} admits statements only through the registration policy; a raw append would bypass it")]
    PolicyLedger {
        /// The ledger.
        path: PathBuf,
    },
    /// A reference names an index entry (the log's own index), not a
    /// statement.
    #[error("entry {index} is one of the log's index entries, not a statement")]
    NotAStatement {
        /// The entry.
        index: u64,
    },
    /// A consistency proof was asked from a size past the end of the log.
    #[error("size {old} is larger than the log's tree size {size}")]
    OldSizeTooLarge {
        /// Requested old size.
        old: u64,
        /// Tree size of the checkpoint.
        size: u64,
    },
    /// The lock, the bucket or this directory holds a smaller (or other)
    /// tree than the log's key has signed or seen published: it was rolled
    /// back. Nothing is signed on top of it (that would be a fork).
    #[error("ROLLBACK: {found} holds tree size {size}, but this log's key has signed or seen published tree size {signed}{detail}. Someone restored an older lock, checkpoint or directory; signing on top of it would fork the log, so nothing was signed. Put the newer checkpoint back (the bucket's `checkpoint`, or the directory's), or find out who changed it; the mark is kept with the key (LEDGER/private/log.high-water beside a key file, a data object in a key's token)")]
    RolledBack {
        /// What was found behind (the lock, the bucket's checkpoint, this
        /// directory).
        found: String,
        /// The tree size it holds.
        size: u64,
        /// The largest tree size signed or seen.
        signed: u64,
        /// More: a different root at the signed size, or where the newer
        /// tree was seen.
        detail: String,
    },
    /// A running ledger service holds the ledger: while it runs it is the
    /// one writer, so statements go through it.
    #[error("{path} is held by the ledger service at {url} ({holder}): while it runs, it is the ledger's one writer")]
    HeldByService {
        /// The lock file.
        path: PathBuf,
        /// Where the service listens.
        url: String,
        /// Who holds it: `pid N: COMMAND`.
        holder: String,
    },
    /// Another writer kept the ledger for longer than the wait.
    #[error("{path} is locked by another writer ({holder}); gave up after waiting {waited} s")]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// Who holds it: `pid N: COMMAND`.
        holder: String,
        /// How long this writer waited, in seconds.
        waited: u64,
    },
    /// The log is frozen: it takes no more entries.
    #[error("the log is frozen at tree size {size} ({path}): it takes no more entries{successor}")]
    Frozen {
        /// The freeze note.
        path: PathBuf,
        /// Its final tree size.
        size: u64,
        /// Where appends go now (", append to its successor …"), if named.
        successor: String,
    },
    /// Another sequencer moved the lock first: this commit was not
    /// published (nothing of it is in the public tree).
    #[error("another sequencer committed first (the lock {lock} now holds tree size {size}); this batch was not published")]
    Superseded {
        /// The lock.
        lock: String,
        /// The tree size the lock holds now.
        size: u64,
    },
    /// The object store does not enforce conditional writes and no lock was
    /// configured.
    #[error(
        "{public} does not enforce conditional writes ({found}), so it cannot hold the lock itself"
    )]
    LockRequired {
        /// The public tree.
        public: String,
        /// What the probe found.
        found: String,
    },
    /// A proof could not be made.
    #[error(transparent)]
    Merkle(#[from] MerkleError),
}

impl StoreError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    pub(crate) fn corrupt(path: &Path, reason: String) -> Self {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            reason,
        }
    }
}

impl crate::class::Classify for StoreError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            StoreError::Corrupt { .. } | StoreError::RolledBack { .. } => Class::VerificationFailed,
            StoreError::Frozen { .. } => Class::Refused,
            StoreError::Note { source, .. } => source.class(),
            StoreError::Merkle(e) => e.class(),
            StoreError::Io { .. } => Class::Internal,
            StoreError::Fetch { .. }
            | StoreError::Locked { .. }
            | StoreError::HeldByService { .. }
            | StoreError::LockTimeout { .. }
            | StoreError::Superseded { .. } => Class::Unavailable,
            StoreError::NotInLog { .. } => Class::NotFound,
            StoreError::NotALedger { .. }
            | StoreError::AlreadyExists { .. }
            | StoreError::EntryTooLarge { .. }
            | StoreError::PolicyLedger { .. }
            | StoreError::NotAStatement { .. }
            | StoreError::OldSizeTooLarge { .. }
            | StoreError::LockRequired { .. } => Class::BadInput,
        }
    }
}

/// Paths inside a ledger directory.
#[derive(Clone, Debug)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout of the ledger at `root`.
    pub fn new(root: &Path) -> Self {
        Layout {
            root: root.to_path_buf(),
        }
    }
    /// The ledger directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// The public tlog-tiles tree.
    pub fn log_dir(&self) -> PathBuf {
        self.root.join("log")
    }
    /// The latest checkpoint.
    pub fn checkpoint(&self) -> PathBuf {
        self.root.join("log").join("checkpoint")
    }
    /// The freeze note, once the log is frozen (public, beside the
    /// checkpoint).
    pub fn frozen(&self) -> PathBuf {
        self.root.join("log").join("frozen")
    }
    /// The log key's rotation notes (public), `NNNN` each.
    pub fn rotations_dir(&self) -> PathBuf {
        self.root.join("log").join("rotations")
    }
    /// RFC 3161 time-stamp tokens over the log's checkpoints (public),
    /// one file per tree size (FORMATS §29).
    pub fn timestamps_dir(&self) -> PathBuf {
        self.root.join("log").join("timestamps")
    }
    /// A successor's note naming its predecessor (public).
    pub fn predecessor(&self) -> PathBuf {
        self.root.join("log").join("predecessor")
    }
    /// The public verifier key.
    pub fn vkey(&self) -> PathBuf {
        self.root.join("vkey")
    }
    /// The private directory.
    pub fn private_dir(&self) -> PathBuf {
        self.root.join("private")
    }
    /// The log's signing key.
    pub fn log_key(&self) -> PathBuf {
        self.root.join("private").join("log.key")
    }
    /// Where the public tree lives when it is not `log/` (object storage),
    /// and which lock guards its checkpoint.
    pub fn public_config(&self) -> PathBuf {
        self.root.join("public.json")
    }
    /// The writer lock file.
    pub fn lock(&self) -> PathBuf {
        self.root.join("lock")
    }
    /// Derived indexes (rebuilt from the log when missing).
    pub fn index_dir(&self) -> PathBuf {
        self.root.join("index")
    }
    /// The scheme's trust root, against which statements are admitted.
    pub fn trust_root(&self) -> PathBuf {
        self.root.join("trust").join("root.pem")
    }
    /// Temporary files.
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }
    /// A tile's full path.
    pub fn tile(&self, kind: TileKind, n: u64, width: u64) -> PathBuf {
        self.log_dir().join(tile_rel_path(kind, n, width))
    }
    /// A confidential ledger's VRF public key (its presence makes the
    /// ledger confidential).
    pub fn label_key(&self) -> PathBuf {
        self.root.join("labels.vrf")
    }
    /// A confidential ledger's VRF secret key.
    pub fn label_secret(&self) -> PathBuf {
        self.root.join("private").join("labels.vrf.key")
    }
    /// A confidential ledger's openings, bundled as the public entries are.
    pub fn openings_dir(&self) -> PathBuf {
        self.root.join("private").join("openings")
    }
    /// The openings bundle beside entry bundle `n` of `width` entries.
    pub fn openings(&self, n: u64, width: u64) -> PathBuf {
        self.openings_dir()
            .join(tile_rel_path(TileKind::Entries, n, width))
    }
    /// The `pkcs11:` URI of the log's key when it is in a token (instead of
    /// `private/log.key`): public, it holds no PIN.
    pub fn log_key_uri(&self) -> PathBuf {
        self.root.join("log-key.pkcs11")
    }
    /// The key a confidential ledger's sequencers seal its openings with
    /// in a bucket (`store::sealed`).
    pub fn openings_key(&self) -> PathBuf {
        self.root.join("private").join("openings.key")
    }
    /// True for a confidential ledger.
    pub fn is_confidential(&self) -> bool {
        self.label_key().exists()
    }
}

/// Read-only access to a ledger as of one of its checkpoints: entries and
/// proofs against it.
pub struct Snapshot {
    layout: Layout,
    vkey: VerifierKey,
    checkpoint: SignedCheckpoint,
    source: IndexedSource,
}

impl Snapshot {
    /// Opens a ledger: reads its verifier key, then opens (verifies, then
    /// parses) its latest checkpoint.
    ///
    /// A ledger whose public tree is in object storage is first brought up
    /// to the lock's checkpoint (see [`refresh`]).
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        let layout = Layout::new(root);
        if layout.public_config().exists() {
            refresh(root)?;
        }
        let vkey = read_vkey(&layout)?;
        Self::latest(&layout, &vkey)
    }

    /// The ledger at `layout` as of its latest checkpoint on disk, opened
    /// with `vkey` (a ledger handle that already knows its key; nothing is
    /// refreshed from object storage).
    pub fn latest(layout: &Layout, vkey: &VerifierKey) -> Result<Self, StoreError> {
        let checkpoint = read_checkpoint(layout, vkey)?;
        Ok(Self::with_checkpoint(layout, vkey, checkpoint))
    }

    /// The ledger at `layout` as of `checkpoint`, a checkpoint of its own
    /// already opened with its key (e.g. the one its writer just committed).
    pub fn with_checkpoint(
        layout: &Layout,
        vkey: &VerifierKey,
        checkpoint: SignedCheckpoint,
    ) -> Self {
        let source = IndexedSource::new(layout, checkpoint.root().size());
        Snapshot {
            layout: layout.clone(),
            vkey: vkey.clone(),
            checkpoint,
            source,
        }
    }

    /// The ledger as of an earlier checkpoint of its own (the note's
    /// bytes, opened with the log's key): proofs, receipts and entries are
    /// against that tree, e.g. the latest checkpoint a trust policy accepts
    /// while a newer one waits for its witnesses. A checkpoint of a larger
    /// tree than the ledger's is refused.
    pub fn earlier(&self, checkpoint: &[u8]) -> Result<Self, StoreError> {
        let checkpoint =
            SignedCheckpoint::open(checkpoint, &self.vkey).map_err(|source| StoreError::Note {
                path: self.layout.checkpoint(),
                source,
            })?;
        let size = self.checkpoint.root().size();
        if checkpoint.root().size() > size {
            return Err(StoreError::OldSizeTooLarge {
                old: checkpoint.root().size(),
                size,
            });
        }
        Ok(Self::with_checkpoint(&self.layout, &self.vkey, checkpoint))
    }

    /// The log's verifier key.
    pub fn vkey(&self) -> &VerifierKey {
        &self.vkey
    }
    /// The latest checkpoint.
    pub fn checkpoint(&self) -> &SignedCheckpoint {
        &self.checkpoint
    }
    /// The directory layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The inclusion proof of entry `index` against the latest checkpoint.
    /// Made from the interior index and checked against the signed root
    /// before it is returned; if the index disagrees, made again from the
    /// tiles alone.
    pub fn prove_inclusion(&self, index: u64) -> Result<InclusionProof, StoreError> {
        let root = self.checkpoint.root();
        if index >= root.size() {
            return Err(StoreError::NotInLog {
                index,
                size: root.size(),
            });
        }
        let fast = &self.source;
        let leaf = fast.subtree(0, index);
        let proof = inclusion_proof(fast, index, root.size())?;
        if let Ok(leaf) = leaf {
            if proof.verify(&leaf, root).is_ok() {
                return Ok(proof);
            }
        }
        let log_dir = self.layout.log_dir();
        let tree = DirTree::new(&log_dir);
        let slow = TileSource::over(&tree, root.size());
        let proof = inclusion_proof(&slow, index, root.size())?;
        proof.verify(&slow.subtree(0, index)?, root).map_err(|e| {
            StoreError::corrupt(
                &log_dir,
                format!("the tiles do not match the checkpoint ({e}); run `log audit`"),
            )
        })?;
        Ok(proof)
    }

    /// The consistency proof from the tree of `old` entries to the latest
    /// checkpoint, checked against the signed root like inclusion proofs.
    pub fn prove_consistency(&self, old: u64) -> Result<ConsistencyProof, StoreError> {
        Ok(self.prove_consistency_from(old)?.1)
    }

    /// [`Snapshot::prove_consistency`], with this log's root at size `old`
    /// (the root the proof leads from).
    pub fn prove_consistency_from(
        &self,
        old: u64,
    ) -> Result<(RootHash, ConsistencyProof), StoreError> {
        let root = self.checkpoint.root();
        if old > root.size() {
            return Err(StoreError::OldSizeTooLarge {
                old,
                size: root.size(),
            });
        }
        let fast = &self.source;
        let proof = consistency_proof(fast, old, root.size())?;
        if old == 0 {
            return Ok((RootHash::new(0, crate::merkle::empty_root()), proof));
        }
        if old == root.size() {
            return Ok((*root, proof));
        }
        let old_root = range_root(fast, 0, old).map(|h| RootHash::new(old, h));
        if let Ok(old_root) = old_root {
            if proof.verify(&old_root, root).is_ok() {
                return Ok((old_root, proof));
            }
        }
        let log_dir = self.layout.log_dir();
        let tree = DirTree::new(&log_dir);
        let slow = TileSource::over(&tree, root.size());
        let proof = consistency_proof(&slow, old, root.size())?;
        let old_root = RootHash::new(old, range_root(&slow, 0, old)?);
        proof.verify(&old_root, root).map_err(|e| {
            StoreError::corrupt(
                &log_dir,
                format!("the tiles do not match the checkpoint ({e}); run `log audit`"),
            )
        })?;
        Ok((old_root, proof))
    }

    /// Reads entry `index` and checks it: its leaf hash must be the one the
    /// signed root commits to at that index. For a confidential ledger it is
    /// what the entry holds (a statement, from its opening checked against
    /// the public leaf; an index entry as is); [`Snapshot::read_leaf`] reads
    /// the public leaf.
    pub fn read_entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        let leaf = self.read_leaf(index)?;
        if !self.layout.is_confidential() {
            return Ok(leaf);
        }
        confidential::Openings::new(&self.layout, self.checkpoint.root().size()).open(index, &leaf)
    }

    /// The opening of entry `index` of a confidential ledger, checked
    /// against its public leaf; `None` for an entry public as is (or any
    /// entry of a public ledger).
    pub fn read_opening(
        &self,
        index: u64,
    ) -> Result<Option<crate::commitment::Opening>, StoreError> {
        let leaf = self.read_leaf(index)?;
        if !self.layout.is_confidential() {
            return Ok(None);
        }
        confidential::Openings::new(&self.layout, self.checkpoint.root().size())
            .opening(index, &leaf)
    }

    /// Reads entry `index`'s public leaf from its bundle and checks it
    /// against the signed root.
    pub fn read_leaf(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        let size = self.checkpoint.root().size();
        if index >= size {
            return Err(StoreError::NotInLog { index, size });
        }
        let n = index / TILE_WIDTH;
        let width = tiles::tile_width(size, n);
        let path = self.layout.tile(TileKind::Entries, n, width);
        let data = std::fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
        let entries = tiles::bundle_at(&data, width, &path)?;
        let entry = entries[(index % TILE_WIDTH) as usize].to_vec();
        let proof = self.prove_inclusion(index)?;
        proof
            .verify(&crate::merkle::leaf_hash(&entry), self.checkpoint.root())
            .map_err(|_| {
                StoreError::corrupt(
                    &path,
                    format!(
                        "entry {index} is not the entry the checkpoint commits to; run `log audit`"
                    ),
                )
            })?;
        Ok(entry)
    }
}

/// Calls `f` with every entry committed by `checkpoint` (what it holds, for
/// a confidential ledger: see [`Snapshot::read_entry`]), in order, while
/// recomputing the tree; fails if the entries do not hash to the checkpoint's
/// root. The callback runs before that final check, so a caller must treat an
/// error as invalidating everything it was given.
pub fn for_each_entry(
    layout: &Layout,
    checkpoint: &SignedCheckpoint,
    f: impl FnMut(u64, &[u8]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    for_each_entry_from(layout, checkpoint, RightEdge::new(), f).map(|_| ())
}

/// Like [`for_each_entry`], from the tree whose right edge is `edge` (a
/// prefix the caller has already checked) to the checkpoint; returns the
/// checkpoint's edge, to resume from later.
pub fn for_each_entry_from(
    layout: &Layout,
    checkpoint: &SignedCheckpoint,
    edge: RightEdge,
    f: impl FnMut(u64, &[u8]) -> Result<(), StoreError>,
) -> Result<RightEdge, StoreError> {
    let tree = DirTree::new(layout.log_dir());
    let open = OpenTree::at(&tree, checkpoint.clone());
    if !layout.is_confidential() {
        return open.for_each_entry_from(edge, f);
    }
    // The leaves are checked against the root only at the end, as the
    // callback's contract says; each opening is checked against its leaf.
    let mut openings = confidential::Openings::new(layout, checkpoint.root().size());
    let mut f = f;
    open.for_each_entry_from(edge, |i, leaf| f(i, &openings.open(i, leaf)?))
}

fn not_a_ledger(layout: &Layout, reason: String) -> StoreError {
    StoreError::NotALedger {
        path: layout.root().to_path_buf(),
        reason,
    }
}

/// Reads a ledger's verifier key (`LEDGER/vkey`).
pub fn read_vkey(layout: &Layout) -> Result<VerifierKey, StoreError> {
    let path = layout.vkey();
    let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            not_a_ledger(layout, format!("{} is missing", path.display()))
        }
        _ => StoreError::io(&path, e),
    })?;
    VerifierKey::parse(text.trim()).map_err(|source| StoreError::Note { path, source })
}

pub(crate) fn read_checkpoint(
    layout: &Layout,
    vkey: &VerifierKey,
) -> Result<SignedCheckpoint, StoreError> {
    let path = layout.checkpoint();
    let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            not_a_ledger(layout, format!("{} is missing", path.display()))
        }
        _ => StoreError::io(&path, e),
    })?;
    SignedCheckpoint::open(&bytes, vkey).map_err(|source| StoreError::Note { path, source })
}

#[cfg(test)]
mod tests;
