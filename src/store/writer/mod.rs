//! The single writer: creating a ledger, appending entries, committing a
//! checkpoint, and recovering from a crash.
//!
//! Appends stream: entries go into the current bundle and their hashes into
//! the right edge of each tile level (at most 255 hashes per level, so memory
//! is O(log n) whatever the log's size); full tiles and bundles are written as
//! soon as they fill. [`Writer::commit`] writes the partial tiles, makes
//! everything durable with one file-system sync, and only then replaces the
//! checkpoint (temp file, fsync, rename, fsync directory): the checkpoint is
//! the commit point. On open, files past the checkpoint are deleted.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use super::fsio::{self, AtomicWriter, ParallelWriter};
use super::interior::InteriorWriter;

/// Threads that write full tiles during large appends.
const WRITER_THREADS: usize = 6;
/// Empty tile indexes in a row after which cleanup stops looking. Far more
/// than the jobs that can be in flight (queue plus threads, per tile kind).
const CLEANUP_LOOKAHEAD: u64 = 256;
use super::tiles::{
    bundle_at, hash_tile_at, tile_bytes, RightEdge, TileKind, MAX_ENTRY_SIZE, TILE_WIDTH,
};
use super::writelock::{command_name, take_lock, SERVICE_LINE};
pub use super::writelock::{OnWait, Waiting, DEFAULT_LOCK_WAIT};
use super::{read_checkpoint, read_vkey, Layout, StoreError};

mod lifecycle;
use crate::merkle::{empty_root, leaf_hash, Hash, RootHash};
use crate::note::{Checkpoint, SigType, SignedCheckpoint, Signer, SignerKey, VerifierKey};
pub use lifecycle::{read_frozen, read_predecessor, write_public_file, NewKey};

/// Creates a new ledger at `root` with a fresh log key named `origin` and a
/// signed empty checkpoint. Returns the log's verifier key.
pub fn init(root: &Path, origin: &str) -> Result<VerifierKey, StoreError> {
    init_keyed(root, origin, None)
}

/// [`init`], the log's key being the Ed25519 key in a PKCS#11 token that
/// `uri` names (RFC 7512; the PIN from the environment or the URI's
/// `pin-source` file): no private key file is written, `LEDGER/log-key.pkcs11`
/// holds the URI, and every checkpoint and receipt is signed in the token.
pub fn init_with_token(root: &Path, origin: &str, uri: &str) -> Result<VerifierKey, StoreError> {
    init_keyed(root, origin, Some(uri))
}

/// The token signer `uri` names, for the log `origin`.
fn token_signer(uri: &str, origin: &str, at: &Path) -> Result<Arc<dyn Signer>, StoreError> {
    #[cfg(feature = "service")]
    {
        let s = crate::token::TokenSigner::open(uri, origin).map_err(|e| StoreError::Io {
            path: at.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        Ok(Arc::new(s))
    }
    #[cfg(not(feature = "service"))]
    {
        let _ = (uri, origin);
        Err(StoreError::Io {
            path: at.to_path_buf(),
            source: std::io::Error::other(
                "the log's key is in a PKCS#11 token, and this build has no PKCS#11 (built without the `service` feature)",
            ),
        })
    }
}

/// Opens the log's signer: the key in a token if `LEDGER/log-key.pkcs11`
/// names one, else `LEDGER/private/log.key` ([`read_log_key`]); checked to
/// be the ledger's verifier key. Returns it with any warnings.
pub fn open_log_signer(layout: &Layout) -> Result<(Arc<dyn Signer>, Vec<String>), StoreError> {
    // A key hand-over a crash interrupted after its note is finished first:
    // the retired key must not sign again.
    super::rotate::finish_interrupted(layout)?;
    let uri_path = layout.log_key_uri();
    if !uri_path.exists() {
        let (key, warnings) = read_log_key(layout)?;
        return Ok((Arc::new(key), warnings));
    }
    let vkey = read_vkey(layout)?;
    let uri = fs::read_to_string(&uri_path).map_err(|e| StoreError::io(&uri_path, e))?;
    let signer = token_signer(uri.trim(), vkey.name(), &uri_path)?;
    if signer.public_key() != &vkey {
        return Err(StoreError::NotALedger {
            path: layout.root().to_path_buf(),
            reason: format!(
                "the token key {} names is not {} ({})",
                uri_path.display(),
                vkey,
                layout.vkey().display()
            ),
        });
    }
    Ok((signer, Vec::new()))
}

fn init_keyed(root: &Path, origin: &str, uri: Option<&str>) -> Result<VerifierKey, StoreError> {
    crate::note::validate_key_name(origin).map_err(|source| StoreError::Note {
        path: root.to_path_buf(),
        source,
    })?;
    if root.exists() {
        let mut rd = fs::read_dir(root).map_err(|e| StoreError::io(root, e))?;
        if rd.next().is_some() {
            return Err(StoreError::AlreadyExists {
                path: root.to_path_buf(),
            });
        }
    }
    let layout = Layout::new(root);
    // The token is opened first: a wrong URI or PIN leaves nothing behind.
    let token = match uri {
        Some(u) => Some(token_signer(u, origin, &layout.log_key_uri())?),
        None => None,
    };
    fs::create_dir_all(layout.log_dir()).map_err(|e| StoreError::io(&layout.log_dir(), e))?;
    fsio::create_private_dir(&layout.private_dir())?;
    let key: Arc<dyn Signer> = match token {
        Some(t) => t,
        None => {
            let key = SignerKey::generate(origin, SigType::Ed25519).map_err(|source| {
                StoreError::Note {
                    path: root.to_path_buf(),
                    source,
                }
            })?;
            fsio::write_private_file(&layout.log_key(), key.to_private_string().as_bytes())?;
            Arc::new(key)
        }
    };
    let vkey = key.public_key().clone();
    let mut w = AtomicWriter::new(layout.tmp_dir())?;
    if let Some(u) = uri {
        w.write(&layout.log_key_uri(), format!("{u}\n").as_bytes(), true)?;
    }
    w.write(&layout.vkey(), format!("{vkey}\n").as_bytes(), true)?;
    let cp = Checkpoint::new(origin, RootHash::new(0, empty_root()))
        .and_then(|c| SignedCheckpoint::sign(c, key.as_ref()))
        .map_err(|source| StoreError::Note {
            path: layout.checkpoint(),
            source,
        })?;
    w.write(&layout.checkpoint(), &cp.to_bytes(), true)?;
    fsio::sync_dir(root)?;
    Ok(vkey)
}

/// Installs the scheme's trust root (PEM) that statements are admitted
/// against: `LEDGER/trust/root.pem`, written durably.
pub fn install_trust_root(root: &Path, pem: &[u8]) -> Result<(), StoreError> {
    let layout = Layout::new(root);
    let mut w = AtomicWriter::new(layout.tmp_dir())?;
    w.write(&layout.trust_root(), pem, true)
}

/// Reads the log's signing key from `LEDGER/private/log.key` and checks it
/// is the ledger's verifier key; also says (as a warning) when the file is
/// readable by other users.
pub fn read_log_key(layout: &Layout) -> Result<(SignerKey, Vec<String>), StoreError> {
    let vkey = read_vkey(layout)?;
    let mut warnings = Vec::new();
    let key_path = layout.log_key();
    let meta = fs::metadata(&key_path).map_err(|e| StoreError::io(&key_path, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        warnings.push(format!(
            "{} is readable by other users (mode {:o}); run: chmod 600 {}",
            key_path.display(),
            meta.permissions().mode() & 0o777,
            key_path.display()
        ));
    }
    let key_text = zeroize::Zeroizing::new(
        fs::read_to_string(&key_path).map_err(|e| StoreError::io(&key_path, e))?,
    );
    let key = SignerKey::parse(&key_text).map_err(|source| StoreError::Note {
        path: key_path.clone(),
        source,
    })?;
    if key.verifier() != vkey {
        return Err(StoreError::NotALedger {
            path: layout.root().to_path_buf(),
            reason: format!(
                "{} does not match {}",
                key_path.display(),
                layout.vkey().display()
            ),
        });
    }
    Ok((key, warnings))
}

/// The one writer of a ledger. Holds the OS lock until dropped.
pub struct Writer {
    layout: Layout,
    key: Arc<dyn Signer>,
    files: AtomicWriter,
    /// The interior index, appended to as tiles fill.
    index: InteriorWriter,
    /// Writes full tiles and bundles in the background until the next commit.
    background: Option<ParallelWriter>,
    committed: SignedCheckpoint,
    /// The right edge of the tree of all entries appended, committed or not.
    edge: RightEdge,
    /// Hashes per tile level at the last commit, to skip rewriting unchanged partials.
    committed_counts: Vec<u64>,
    /// The incomplete entry bundle.
    bundle: Vec<u8>,
    /// A confidential ledger's incomplete openings bundle (`None` for a
    /// public ledger): statements are appended as commitment leaves, and
    /// their openings kept here, entry for entry.
    openings: Option<Vec<u8>>,
    /// The salts drawn for statements appended since the last
    /// [`Writer::take_salts`] (a confidential ledger's receipts carry them).
    salts: Vec<(u64, [u8; crate::commitment::SALT_LEN])>,
    warnings: Vec<String>,
    /// Set when an append or commit failed: the in-memory state may no longer
    /// match the files, so the writer refuses further work.
    failed: bool,
    /// The object store and lock each commit is published to, when the
    /// public tree is not `log/` (then `log/` is this sequencer's copy).
    public: Option<super::publish::Publisher>,
    /// The largest tree the log's key has signed or seen published.
    high_water: super::highwater::HighWater,
    /// The freeze note, once the log is frozen: nothing more is appended.
    frozen: Option<crate::note::SignedFrozen>,
    /// Declared last so that it is released last, after `Drop` has joined the
    /// background threads (no write may land once another writer can start).
    _lock: File,
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Join the tile writers and hand buffered index records to the kernel
        // while the lock is still held; errors no longer matter (nothing
        // uncommitted is kept, the next writer cleans up past the checkpoint).
        drop(self.background.take());
        let _ = self.index.flush();
        // No longer the holder (the OS lock goes with the file, below).
        let _ = self._lock.set_len(0);
    }
}

impl Writer {
    /// Opens a raw log for appending arbitrary entries (`log append`). A
    /// ledger with a trust root admits statements only through the
    /// registration policy (`policy::submit`), so it is refused here.
    pub fn open_raw(root: &Path) -> Result<Self, StoreError> {
        Self::open_with(root, true, None)
    }

    /// [`Writer::open`] (or [`Writer::open_raw`] if `raw`), waiting for
    /// the lock if another writer holds it and `on_wait` is given: it is
    /// called once, with who holds the lock, before the wait.
    pub fn open_with(root: &Path, raw: bool, on_wait: OnWait) -> Result<Self, StoreError> {
        let (key, warnings) = open_log_signer(&Layout::new(root))?;
        let mut w = Self::open_signed(root, raw, on_wait, key)?;
        w.warnings.extend(warnings);
        Ok(w)
    }

    /// [`Writer::open_with`], signing with `signer` (opened once by the
    /// caller, e.g. a ledger handle) instead of reading
    /// `LEDGER/private/log.key`. The signer's public key must be the
    /// ledger's verifier key.
    pub fn open_signed(
        root: &Path,
        raw: bool,
        on_wait: OnWait,
        signer: Arc<dyn Signer>,
    ) -> Result<Self, StoreError> {
        let layout = Layout::new(root);
        if raw && layout.trust_root().exists() {
            return Err(StoreError::PolicyLedger {
                path: root.to_path_buf(),
            });
        }
        Self::open_inner(root, on_wait, signer)
    }

    /// Takes the writer lock, verifies the checkpoint, rebuilds the right edge
    /// of the tree from the partial tiles it names (checking them against its
    /// root), and deletes anything a crashed writer left past it. This is the
    /// writer of the registration policy and of cosignature attachment; it
    /// appends whatever it is given, so tools that append entries of their
    /// own use [`Writer::open_raw`].
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        Self::open_with(root, false, None)
    }

    fn open_inner(root: &Path, on_wait: OnWait, key: Arc<dyn Signer>) -> Result<Self, StoreError> {
        let layout = Layout::new(root);
        let vkey = read_vkey(&layout)?;
        if key.public_key() != &vkey {
            return Err(StoreError::NotALedger {
                path: root.to_path_buf(),
                reason: format!(
                    "its signer's key {} is not its verifier key {} ({})",
                    key.public_key(),
                    vkey,
                    layout.vkey().display()
                ),
            });
        }
        let lock = take_lock(&layout.lock(), on_wait)?;
        let warnings = Vec::new();
        let committed = read_checkpoint(&layout, &vkey)?;
        let high_water = super::highwater::HighWater::load(&layout, &vkey, &key)?;
        let files = AtomicWriter::new(layout.tmp_dir())?;
        files.clear_stale()?;
        let index = InteriorWriter::open(&layout, committed.root().size())?;
        let mut w = Writer {
            layout,
            _lock: lock,
            key,
            files,
            index,
            background: None,
            edge: RightEdge::new(),
            committed,
            committed_counts: Vec::new(),
            bundle: Vec::new(),
            openings: None,
            salts: Vec::new(),
            warnings,
            failed: false,
            public: None,
            high_water,
            frozen: None,
        };
        if w.layout.is_confidential() {
            w.openings = Some(Vec::new());
        }
        w.load_edge()?;
        w.remove_uncommitted()?;
        if let Some(cfg) = super::read_config(root)? {
            #[allow(unused_mut)]
            let mut p = super::publish::Publisher::open(&cfg, &vkey, &w.layout)?;
            #[cfg(feature = "service")]
            w.catch_up(&mut p)?;
            w.public = Some(p);
        }
        // A directory restored from an older backup would have the key sign
        // a fork at its next commit: refused now.
        let committed = *w.committed.root();
        let found = format!(
            "this ledger's checkpoint ({})",
            w.layout.checkpoint().display()
        );
        w.high_water.check(&committed, &found, |n| w.root_at(n))?;
        let cp = w.committed.clone();
        w.high_water.raise(&cp, &mut w.files)?;
        w.frozen = read_frozen(&w.layout, w.key.public_key())?;
        if let Some(f) = &w.frozen {
            if let Some(why) = f.frozen().contradicted_by(&w.committed) {
                return Err(StoreError::corrupt(&w.layout.checkpoint(), why));
            }
        }
        Ok(w)
    }

    /// Says in the lock file that a service holds this writer and where it
    /// listens: a writer that finds the ledger held then names the service
    /// at once instead of waiting ([`StoreError::HeldByService`]).
    pub fn announce_service(&mut self, url: &str) -> Result<(), StoreError> {
        use std::io::{Seek, Write};
        let text = format!(
            "pid {}: {}\n{SERVICE_LINE}{url}\n",
            std::process::id(),
            command_name()
        );
        let path = self.layout.lock();
        let mut f = &self._lock;
        f.rewind()
            .and_then(|()| f.write_all(text.as_bytes()))
            .and_then(|()| f.set_len(text.len() as u64))
            .and_then(|()| f.sync_data())
            .map_err(|e| StoreError::io(&path, e))
    }

    /// Non-fatal findings (e.g. a private key readable by others).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The ledger's directory layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The last committed checkpoint.
    pub fn committed(&self) -> &SignedCheckpoint {
        &self.committed
    }

    /// The salts of the statements appended since the last call (index,
    /// salt): a confidential ledger's receipts carry them, and reading them
    /// back from the openings costs a read of a whole bundle.
    pub fn take_salts(&mut self) -> Vec<(u64, [u8; crate::commitment::SALT_LEN])> {
        std::mem::take(&mut self.salts)
    }

    /// Entries appended so far, including uncommitted ones.
    pub fn size(&self) -> u64 {
        self.edge.size()
    }

    fn load_edge(&mut self) -> Result<(), StoreError> {
        let size = self.committed.root().size();
        let layout = &self.layout;
        self.edge = RightEdge::load(size, |level, n, width| {
            let path = layout.tile(TileKind::Hashes(level), n, width);
            let data = fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
            hash_tile_at(&data, width, &path)
        })?;
        self.committed_counts = self.level_counts();
        let width = size % TILE_WIDTH;
        if width > 0 {
            let path = self
                .layout
                .tile(TileKind::Entries, size / TILE_WIDTH, width);
            let data = fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
            let entries = bundle_at(&data, width, &path)?;
            for (i, e) in entries.iter().enumerate() {
                if leaf_hash(e) != self.edge.levels()[0][i] {
                    return Err(StoreError::corrupt(
                        &path,
                        format!(
                            "entry {} does not match tile level 0; run `log audit`",
                            size - width + i as u64
                        ),
                    ));
                }
            }
            if self.openings.is_some() {
                let path = self.layout.openings(size / TILE_WIDTH, width);
                let data = fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
                let opened = bundle_at(&data, width, &path)?;
                for (i, (o, e)) in opened.iter().zip(&entries).enumerate() {
                    let fits = match crate::commitment::is_leaf(e) {
                        true => {
                            crate::commitment::Opening::from_bytes(o).is_some_and(|o| o.opens(e))
                        }
                        false => o.is_empty(),
                    };
                    if !fits {
                        return Err(StoreError::corrupt(
                            &path,
                            format!(
                                "does not hold the opening of entry {}; run `log audit`",
                                size - width + i as u64
                            ),
                        ));
                    }
                }
                self.openings = Some(data);
            }
            self.bundle = data;
        }
        if self.edge.root() != *self.committed.root().hash() {
            return Err(StoreError::corrupt(
                &self.layout.checkpoint(),
                "the partial tiles do not hash to the checkpoint's root; run `log audit`"
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// Deletes tiles and bundles past the committed size (left by a writer
    /// that crashed before its checkpoint). Partial tiles of earlier commits
    /// stay: clients holding older checkpoints still fetch them.
    ///
    /// Full tiles are written by several threads taking jobs in order from
    /// one queue, so after a crash the written ones past the checkpoint form a
    /// run with holes only among the last few in flight; scanning on until
    /// [`CLEANUP_LOOKAHEAD`] indexes in a row hold nothing finds them all.
    fn remove_uncommitted(&self) -> Result<(), StoreError> {
        let size = self.edge.size();
        let mut kinds = vec![(TileKind::Entries, false)];
        if self.openings.is_some() {
            kinds.push((TileKind::Entries, true));
        }
        kinds.extend((0..8u8).map(|l| (TileKind::Hashes(l), false)));
        for (kind, openings) in kinds {
            let count = match kind {
                TileKind::Entries => size,
                TileKind::Hashes(l) => RightEdge::count_at(size, l),
            };
            let first = count / TILE_WIDTH;
            let keep_width = count % TILE_WIDTH;
            let mut n = first;
            let mut empty_run = 0;
            while empty_run < CLEANUP_LOOKAHEAD {
                let full = match openings {
                    true => self.layout.openings(n, TILE_WIDTH),
                    false => self.layout.tile(kind, n, TILE_WIDTH),
                };
                let mut partial_dir = full.clone().into_os_string();
                partial_dir.push(".p");
                let partial_dir = std::path::PathBuf::from(partial_dir);
                let mut found = false;
                if full.exists() {
                    fs::remove_file(&full).map_err(|e| StoreError::io(&full, e))?;
                    found = true;
                }
                if partial_dir.exists() {
                    found = true;
                    let rd =
                        fs::read_dir(&partial_dir).map_err(|e| StoreError::io(&partial_dir, e))?;
                    for entry in rd {
                        let entry = entry.map_err(|e| StoreError::io(&partial_dir, e))?;
                        let width = entry
                            .file_name()
                            .to_str()
                            .and_then(|w| w.parse::<u64>().ok());
                        let committed = n == first && width.is_some_and(|w| w <= keep_width);
                        if !committed {
                            let p = entry.path();
                            fs::remove_file(&p).map_err(|e| StoreError::io(&p, e))?;
                        }
                    }
                }
                empty_run = if found { 0 } else { empty_run + 1 };
                n += 1;
            }
        }
        Ok(())
    }

    /// Brings the local copy up to the lock's checkpoint: completes in the
    /// bucket a batch that a crashed sequencer locked but did not publish
    /// (from its staged bundles), then appends here what the bucket has
    /// past this copy, every entry checked against the lock's signed root.
    #[cfg(feature = "service")]
    fn catch_up(&mut self, p: &mut super::publish::Publisher) -> Result<(), StoreError> {
        // The lock, the bucket's checkpoint and the staged batch are read
        // one after the other while another sequencer may be committing: if
        // they do not fit together (the bucket ahead of the lock read, or
        // the batch already published and its staging deleted), read again.
        // Entries published past the lock mean a rollback, unless the lock
        // moved on meanwhile (a commit racing this read): read again then.
        let mut attempt = 0;
        let (lock, public, staged, beyond) = loop {
            attempt += 1;
            p.refetch()?;
            let lock = p.lock_checkpoint()?;
            let public = p.public_checkpoint()?;
            let size = |c: &Option<SignedCheckpoint>| c.as_ref().map_or(0, |c| c.root().size());
            if size(&public) > lock.root().size() && attempt < 8 {
                super::backoff(attempt);
                continue;
            }
            let beyond = p.published_beyond(lock.root().size())?;
            if beyond.is_some() && attempt < 8 {
                p.refetch()?;
                if p.lock_checkpoint()?.root().size() > lock.root().size() {
                    continue;
                }
            }
            if public.as_ref().is_some_and(|c| c.root() == lock.root()) {
                break (lock, public, None, beyond);
            }
            let staged = p.staged(lock.root())?;
            if staged.is_none() {
                // Published, and its staging removed, between the reads
                // above (another sequencer committing fast): what the bucket
                // says now is the tree.
                let now = p.public_checkpoint()?;
                if now.as_ref().is_some_and(|c| c.root() == lock.root()) {
                    break (lock, now, None, beyond);
                }
            }
            if staged.is_none() && attempt < 8 {
                super::backoff(attempt);
                continue;
            }
            break (lock, public, staged, beyond);
        };
        let (local, target) = (*self.committed.root(), *lock.root());
        // A rollback of the lock (a restored row, an older lock object)
        // shows as a bucket, a mark or a copy ahead of it, or as tiles
        // published past it: reported as what it is, and nothing signed.
        let lock_name = format!("the lock ({})", p.lock_name());
        if let Some(public) = &public {
            if public.root().size() > target.size() {
                return Err(StoreError::RolledBack {
                    found: lock_name,
                    size: target.size(),
                    signed: public.root().size(),
                    detail: " (the bucket's checkpoint)".into(),
                });
            }
        }
        if let Some(beyond) = beyond {
            return Err(StoreError::RolledBack {
                found: lock_name,
                size: target.size(),
                signed: beyond,
                detail: format!(
                    " (entries are published in the bucket up to at least size {beyond})"
                ),
            });
        }
        if target.size() < local.size() && self.root_at(target.size())? == *target.hash() {
            return Err(StoreError::RolledBack {
                found: lock_name,
                size: target.size(),
                signed: local.size(),
                detail: " (this copy's checkpoint)".into(),
            });
        }
        if target.size() < self.high_water.size() {
            return Err(StoreError::RolledBack {
                found: lock_name,
                size: target.size(),
                signed: self.high_water.size(),
                detail: " (LEDGER/private/log.high-water)".into(),
            });
        }
        if target.size() < local.size() || (target.size() == local.size() && target != local) {
            return Err(StoreError::corrupt(
                &self.layout.checkpoint(),
                format!(
                    "this copy's tree (size {}) is not a prefix of the tree the lock holds (size {}): it is not a copy of this log's sequencer",
                    local.size(),
                    target.size()
                ),
            ));
        }
        let published = public.as_ref().is_some_and(|c| *c.root() == target);
        // Keep the bucket's checkpoint when it is this tree: it may carry
        // cosignatures the lock's does not.
        let keep = match &public {
            Some(c) if *c.root() == target => c.clone(),
            _ => lock,
        };
        if local != target {
            if !published && staged.is_none() {
                return Err(p.missing_staging(&target));
            }
            let reader = p.reader(staged.as_ref());
            let edge = self.edge.clone();
            // A confidential ledger's leaves come with their openings, sealed
            // in the bucket (or in the staged batch).
            let mut openings = p.openings(staged.as_ref(), target.size());
            super::OpenTree::at(&reader, keep.clone()).for_each_entry_from(edge, |i, e| {
                match openings.as_mut() {
                    Some(o) => self.append_opened(e, o.opening(i, e)?),
                    None => self.append(e),
                }
                .map(|_| ())
            })?;
            self.commit_as(keep.clone())?;
        }
        if published {
            p.discard_staging(&target);
        } else {
            let start = match &public {
                Some(c) if c.root().size() <= target.size() => c.root().size(),
                _ => staged.as_ref().map_or(0, |s| s.first),
            };
            p.complete(&self.layout, start, &keep)?;
        }
        Ok(())
    }

    /// Objects this writer has written to the public tree's store (0 for a
    /// directory ledger): what a commit costs there.
    pub fn object_writes(&self) -> u64 {
        self.public.as_ref().map_or(0, |p| p.writes())
    }

    /// True once an append or commit has failed: the writer refuses
    /// further work and the ledger must be opened again.
    pub fn has_failed(&self) -> bool {
        self.failed
    }

    fn check_usable(&self) -> Result<(), StoreError> {
        if self.failed {
            return Err(StoreError::NotALedger {
                path: self.layout.root().to_path_buf(),
                reason: "this writer failed earlier and holds no consistent state; open the ledger again".into(),
            });
        }
        Ok(())
    }

    /// Appends one entry (not yet committed). Returns its index. An entry
    /// that is too large is refused without harm; any other error leaves the
    /// writer unusable (open the ledger again: nothing uncommitted is kept).
    pub fn append(&mut self, entry: &[u8]) -> Result<u64, StoreError> {
        self.check_usable()?;
        self.check_not_frozen()?;
        if entry.len() > MAX_ENTRY_SIZE {
            return Err(StoreError::EntryTooLarge {
                what: format!("entry {}", self.size()),
                len: entry.len(),
            });
        }
        let r = self.append_inner(entry);
        self.failed |= r.is_err();
        r
    }

    fn append_inner(&mut self, entry: &[u8]) -> Result<u64, StoreError> {
        // A confidential ledger logs a statement as its commitment leaf and
        // keeps the opening; an index entry is public as is.
        let opening = match &self.openings {
            Some(_) if !crate::history::is_index_entry(entry) => {
                Some(crate::commitment::Opening::new(entry.to_vec()))
            }
            _ => None,
        };
        let longest = entry.len() + opening.as_ref().map_or(0, |_| crate::commitment::SALT_LEN);
        if longest > MAX_ENTRY_SIZE {
            return Err(StoreError::EntryTooLarge {
                what: format!("entry {}", self.size()),
                len: longest,
            });
        }
        if let Some(o) = &opening {
            self.salts.push((self.size(), o.salt));
        }
        let leaf = opening.as_ref().map(|o| o.leaf());
        let entry = leaf.as_ref().map_or(entry, |l| &l[..]);
        self.push(entry, opening.as_ref())
    }

    /// Appends a leaf of a confidential ledger read from elsewhere (catching
    /// up from a bucket) with its opening, which must open it; an index
    /// entry (public as is) has none.
    #[cfg(feature = "service")]
    fn append_opened(
        &mut self,
        leaf: &[u8],
        opening: Option<crate::commitment::Opening>,
    ) -> Result<u64, StoreError> {
        self.check_usable()?;
        let fits = match &opening {
            Some(o) => o.opens(leaf),
            None => !crate::commitment::is_leaf(leaf),
        };
        if !fits || self.openings.is_none() || leaf.len() > MAX_ENTRY_SIZE {
            self.failed = true;
            return Err(StoreError::corrupt(
                &self.layout.openings_dir(),
                format!("entry {} comes without its opening", self.size()),
            ));
        }
        let r = self.push(leaf, opening.as_ref());
        self.failed |= r.is_err();
        r
    }

    /// Appends the public leaf `entry`, with the opening it commits to on
    /// a confidential ledger (`None` there for an index entry).
    fn push(
        &mut self,
        entry: &[u8],
        opening: Option<&crate::commitment::Opening>,
    ) -> Result<u64, StoreError> {
        let index = self.size();
        if self.background.is_none() {
            self.background = Some(ParallelWriter::new(
                &self.layout.tmp_dir(),
                &self.layout.log_dir(),
                WRITER_THREADS,
            )?);
        }
        let (layout, edge, interiors) = (&self.layout, &mut self.edge, &mut self.index);
        let Some(bg) = self.background.as_mut() else {
            unreachable!("started just above")
        };
        self.bundle
            .extend_from_slice(&(entry.len() as u16).to_be_bytes());
        self.bundle.extend_from_slice(entry);
        if let Some(openings) = self.openings.as_mut() {
            let o = opening.map(|o| o.to_bytes()).unwrap_or_default();
            openings.extend_from_slice(&(o.len() as u16).to_be_bytes());
            openings.extend_from_slice(&o);
        }
        if (index + 1).is_multiple_of(TILE_WIDTH) {
            // Both bundles are durable before the checkpoint that commits
            // them (`write_tiles`); past it, both are removed at the next
            // opening.
            if let Some(openings) = self.openings.as_mut() {
                let path = layout.openings(index / TILE_WIDTH, TILE_WIDTH);
                let cap = openings.capacity();
                bg.submit(path, std::mem::replace(openings, Vec::with_capacity(cap)))?;
            }
            let path = layout.tile(TileKind::Entries, index / TILE_WIDTH, TILE_WIDTH);
            let cap = self.bundle.capacity();
            let full = std::mem::replace(&mut self.bundle, Vec::with_capacity(cap));
            bg.submit(path, full)?;
        }
        edge.push(
            leaf_hash(entry),
            &mut |level, n, hashes: &[Hash], interior: &[Hash]| {
                interiors.append(level, n, interior)?;
                bg.submit(
                    layout.tile(TileKind::Hashes(level), n, TILE_WIDTH),
                    tile_bytes(hashes),
                )
            },
        )?;
        Ok(index)
    }

    /// Attaches a witness's cosignatures (its answer: signature lines) to the
    /// committed checkpoint and writes it durably. Each line by `witness`
    /// must verify over this very checkpoint; an earlier line by the same key
    /// is replaced. Appends made but not committed are refused (commit first).
    pub fn attach_cosignatures(
        &mut self,
        witness: &VerifierKey,
        response: &[u8],
    ) -> Result<&SignedCheckpoint, StoreError> {
        self.check_usable()?;
        if self.size() != self.committed.root().size() {
            return Err(StoreError::NotALedger {
                path: self.layout.root().to_path_buf(),
                reason:
                    "entries are appended but not committed; commit before attaching cosignatures"
                        .into(),
            });
        }
        let path = self.layout.checkpoint();
        let note_err = |source| StoreError::Note {
            path: path.clone(),
            source,
        };
        let sigs = crate::note::cosignatures_from_response(&self.committed, response, witness)
            .map_err(note_err)?;
        let mut cp = self.committed.clone();
        for s in sigs {
            cp = cp.with_cosignature(s).map_err(note_err)?;
        }
        self.files.write(&path, &cp.to_bytes(), true)?;
        if let Some(p) = &self.public {
            p.put_checkpoint(&cp.to_bytes())?;
        }
        self.committed = cp;
        Ok(&self.committed)
    }

    fn level_counts(&self) -> Vec<u64> {
        (0..self.edge.levels().len())
            .map(|l| RightEdge::count_at(self.size(), l as u8))
            .collect()
    }

    /// Commits everything appended: writes partial tiles, syncs, then writes
    /// and syncs the new checkpoint. Returns it (the existing one if nothing
    /// was appended).
    pub fn commit(&mut self) -> Result<&SignedCheckpoint, StoreError> {
        self.check_usable()?;
        if let Err(e) = self.commit_inner() {
            self.failed = true;
            return Err(e);
        }
        Ok(&self.committed)
    }

    fn commit_inner(&mut self) -> Result<(), StoreError> {
        let size = self.size();
        if size == self.committed.root().size() {
            return Ok(());
        }
        self.write_tiles()?;
        let new = RootHash::new(size, self.edge.root());
        // Never sign a tree that does not extend the largest one signed or
        // seen (the mark is kept with the key, not in the store), nor
        // before the last one signed is marked.
        self.high_water.settle()?;
        self.high_water
            .check(&new, "the tree this writer built", |n| self.root_at(n))?;
        let cp = Checkpoint::new(self.key.public_key().name(), new)
            .and_then(|c| SignedCheckpoint::sign(c, self.key.as_ref()))
            .map_err(|source| StoreError::Note {
                path: self.layout.checkpoint(),
                source,
            })?;
        if let Some(p) = self.public.as_mut() {
            p.publish(&self.layout, self.committed.root().size(), &cp)?;
        }
        self.write_checkpoint(cp.clone())?;
        // Raised once the tree is committed (the lock swapped, the
        // checkpoint durable): a checkpoint signed for a swap that another
        // sequencer won was never published, and a crash before this line
        // leaves a mark the next opening raises from the checkpoint.
        self.high_water.raise(&cp, &mut self.files)
    }

    /// Commits what was appended under `cp`, a checkpoint signed elsewhere
    /// (the lock's, when catching up) whose tree must be the one appended.
    #[cfg_attr(not(feature = "service"), allow(dead_code))] // object storage only
    fn commit_as(&mut self, cp: SignedCheckpoint) -> Result<(), StoreError> {
        self.write_tiles()?;
        if *cp.root() != RootHash::new(self.size(), self.edge.root()) {
            self.failed = true;
            return Err(StoreError::corrupt(
                &self.layout.checkpoint(),
                format!(
                    "the entries read do not make the tree of the checkpoint (size {})",
                    cp.root().size()
                ),
            ));
        }
        self.write_checkpoint(cp)
    }

    /// The root of this writer's first `n` entries (its tiles are written
    /// up to its size).
    fn root_at(&self, n: u64) -> Result<crate::merkle::Hash, StoreError> {
        if n == 0 {
            return Ok(empty_root());
        }
        let source = super::interior::IndexedSource::new(&self.layout, self.size());
        Ok(crate::merkle::range_root(&source, 0, n)?)
    }

    fn write_checkpoint(&mut self, cp: SignedCheckpoint) -> Result<(), StoreError> {
        self.files
            .write(&self.layout.checkpoint(), &cp.to_bytes(), true)?;
        self.committed = cp;
        self.committed_counts = self.level_counts();
        Ok(())
    }

    /// Writes the partial tiles and makes every tile durable.
    fn write_tiles(&mut self) -> Result<(), StoreError> {
        let size = self.size();
        if let Some(bg) = self.background.take() {
            bg.finish()?;
        }
        self.index.flush()?;
        for (level, hashes) in self.edge.levels().iter().enumerate() {
            let width = hashes.len();
            let count = RightEdge::count_at(size, level as u8);
            if width == 0 || self.committed_counts.get(level) == Some(&count) {
                continue;
            }
            let path = self.layout.tile(
                TileKind::Hashes(level as u8),
                count / TILE_WIDTH,
                width as u64,
            );
            self.files.write(&path, &tile_bytes(hashes), false)?;
        }
        let width = size % TILE_WIDTH;
        if width > 0 {
            if let Some(openings) = &self.openings {
                let path = self.layout.openings(size / TILE_WIDTH, width);
                self.files.write(&path, openings, false)?;
            }
            let path = self
                .layout
                .tile(TileKind::Entries, size / TILE_WIDTH, width);
            self.files.write(&path, &self.bundle, false)?;
        }
        fsio::sync_filesystem(&self.layout.log_dir())
    }
}
