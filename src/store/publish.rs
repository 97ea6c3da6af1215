//! A ledger whose public tree lives in object storage (`s3://BUCKET/PREFIX`)
//! and whose checkpoint is guarded by a compare-and-swap lock, so that any
//! number of sequencers (copies of the ledger directory on other machines)
//! can take over from each other without ever forking the log.
//!
//! The ledger directory keeps its `log/` as the sequencer's working copy:
//! every commit is first made there exactly as in a directory ledger (so
//! proofs, receipts, the state index and crash recovery stay as they are),
//! and then published, in the order Sunlight and Azul use:
//!
//! 1. **stage**: the batch's entry bundles go to one object,
//!    `staging/<size>-<root hex>`, named by the tree they make;
//! 2. **lock**: the lock's checkpoint is swapped from the one this sequencer
//!    built on to the new one — the commit point; a sequencer that loses
//!    the swap has published nothing and deletes its staging object;
//! 3. **tiles**: the batch's hash tiles and entry bundles (full ones and the
//!    new partial ones) are written;
//! 4. **checkpoint**: the public `checkpoint` is written, while the lock is
//!    held at that checkpoint (PostgreSQL: the row locked), so that a slow
//!    sequencer can never put an older checkpoint over a newer one; the
//!    staging object is deleted.
//!
//! A sequencer that opens the ledger first catches up ([`Writer::open`]):
//! if the lock is ahead of the bucket's checkpoint, a sequencer crashed
//! between 2 and 4, and the staged bundles let this one rebuild the batch
//! from its entries — checked against the lock's signed root — and write
//! the same bytes the crashed one would have (objects already there are
//! compared, never replaced with different bytes). A batch staged but never
//! locked is ignored. The local copy is then brought to the lock's
//! checkpoint from the bucket, every entry checked against its root.
//!
//! Each step broken on purpose — refused, or done with its answer lost —
//! and what the commit answers and the next opening recovers is the table
//! in docs/object-storage.md §6, run against a bucket in memory that
//! fails on purpose ([`memory`](super::memory), `store/tests/breaks.rs`).
//!
//! [`Writer::open`]: super::Writer::open

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::lock::{CheckpointLock, ObjectLock, PgLock};
use super::object::ObjectTree;
use super::placement::{backoff, read_config, refresh, PublicConfig};
use super::public::PublicTree;
use super::sealed::{is_sealed_rel, sealed_rel, OpeningsKey, MAX_SEALED};
use super::tiles::{tile_rel_path, RightEdge, TileKind, TILE_WIDTH};
use super::{fsio, Layout, StoreError, Writer};
use crate::merkle::RootHash;
use crate::note::{SignedCheckpoint, VerifierKey};

/// The largest staging object: a batch of [`BATCH_BYTES`] of entries,
/// the partial bundle it starts in and room to spare. A commit that would
/// stage more is refused (commit more often).
const STAGING_LIMIT: u64 = 96 << 20;
/// Entries a commit to object storage carries at most (bytes); larger
/// appends are committed in several batches ([`append_batch`]).
pub const BATCH_BYTES: u64 = 32 << 20;
const STAGING_MAGIC: &[u8] = b"triage-ledger staging v1\n";

/// The tile objects (hash tiles of every level, then entry bundles) that a
/// tree of `new` entries has and a tree of `old` entries does not: the full
/// tiles completed in between and the new partial ones.
pub(crate) fn changed_objects(old: u64, new: u64) -> Vec<(TileKind, u64, u64)> {
    let mut out = Vec::new();
    let mut kinds: Vec<TileKind> = (0..8u8).map(TileKind::Hashes).collect();
    kinds.push(TileKind::Entries);
    for kind in kinds {
        let (a, b) = match kind {
            TileKind::Entries => (old, new),
            TileKind::Hashes(l) => (RightEdge::count_at(old, l), RightEdge::count_at(new, l)),
        };
        if a >= b {
            continue;
        }
        out.extend((a / TILE_WIDTH..b / TILE_WIDTH).map(|n| (kind, n, TILE_WIDTH)));
        if b % TILE_WIDTH != 0 {
            out.push((kind, b / TILE_WIDTH, b % TILE_WIDTH));
        }
    }
    out
}

fn read_local(
    layout: &Layout,
    kind: TileKind,
    n: u64,
    width: u64,
) -> Result<(String, Vec<u8>), StoreError> {
    let path = layout.tile(kind, n, width);
    let data = std::fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
    Ok((tile_rel_path(kind, n, width), data))
}

fn staging_rel(root: &RootHash) -> String {
    format!(
        "staging/{}-{}",
        root.size(),
        crate::hex::encode(root.hash().as_bytes())
    )
}

/// A batch's entry bundles, staged before the lock moves.
pub(crate) struct Staged {
    /// Tree size the batch starts from.
    pub first: u64,
    /// Bundles by tile path.
    pub objects: HashMap<String, Vec<u8>>,
}

fn encode_staging(first: u64, size: u64, objects: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = STAGING_MAGIC.to_vec();
    out.extend_from_slice(&first.to_be_bytes());
    out.extend_from_slice(&size.to_be_bytes());
    for (rel, data) in objects {
        out.extend_from_slice(&(rel.len() as u16).to_be_bytes());
        out.extend_from_slice(rel.as_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(data);
    }
    out
}

fn decode_staging(bytes: &[u8], size: u64, at: &Path) -> Result<Staged, StoreError> {
    let bad = |why: &str| StoreError::corrupt(at, format!("not a staged batch: {why}"));
    let mut rest = bytes
        .strip_prefix(STAGING_MAGIC)
        .ok_or_else(|| bad("wrong header"))?;
    fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if rest.len() < n {
            return None;
        }
        let (head, tail) = rest.split_at(n);
        *rest = tail;
        Some(head)
    }
    let truncated = || bad("truncated");
    let mut number = |n: usize| -> Result<u64, StoreError> {
        let b = take(&mut rest, n).ok_or_else(truncated)?;
        Ok(b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
    };
    let first = number(8)?;
    if number(8)? != size || first > size {
        return Err(bad("it is not the batch of this tree size"));
    }
    let mut objects = HashMap::new();
    while !rest.is_empty() {
        let len = take(&mut rest, 2).ok_or_else(truncated)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let rel = take(&mut rest, len).ok_or_else(truncated)?;
        let rel = std::str::from_utf8(rel).map_err(|_| bad("a path is not UTF-8"))?;
        if !rel.starts_with("tile/entries/") && !is_sealed_rel(rel) {
            return Err(bad(
                "it holds something other than entry bundles and sealed openings",
            ));
        }
        let rel = rel.to_string();
        let dlen = take(&mut rest, 4).ok_or_else(truncated)?;
        let dlen = u32::from_be_bytes([dlen[0], dlen[1], dlen[2], dlen[3]]) as usize;
        let data = take(&mut rest, dlen).ok_or_else(truncated)?;
        objects.insert(rel, data.to_vec());
    }
    Ok(Staged { first, objects })
}

/// The bucket, with a staged batch laid over it.
struct Overlay<'a> {
    base: &'a ObjectTree,
    staged: Option<&'a Staged>,
}

impl PublicTree for Overlay<'_> {
    fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(b) = self.staged.and_then(|s| s.objects.get(rel)) {
            return Ok(Some(b.clone()));
        }
        self.base.get(rel)
    }
    fn locate(&self, rel: &str) -> PathBuf {
        self.base.locate(rel)
    }
}

/// The object store and lock of a ledger's public tree, as its writer
/// uses them.
pub(crate) struct Publisher {
    tree: ObjectTree,
    lock: Box<dyn CheckpointLock>,
    /// The lock's content this sequencer builds on (the base of its next
    /// swap).
    base: Vec<u8>,
    vkey: VerifierKey,
    /// A confidential ledger's key for its openings in the bucket.
    sealer: Option<OpeningsKey>,
}

fn open_lock(cfg: &PublicConfig, origin: &str) -> Result<Box<dyn CheckpointLock>, StoreError> {
    match cfg.lock.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Box::new(PgLock::connect(url, origin)?))
        }
        Some(other) => Err(StoreError::Io {
            path: other.into(),
            source: std::io::Error::other(
                "a lock is a PostgreSQL database: postgres://USER@HOST:PORT/DB",
            ),
        }),
        None => Ok(Box::new(ObjectLock::open(&cfg.public)?)),
    }
}

impl Publisher {
    /// Opens the store and the lock of `cfg` for the log of `vkey`, whose
    /// local copy is at `layout`.
    pub(crate) fn open(
        cfg: &PublicConfig,
        vkey: &VerifierKey,
        layout: &Layout,
    ) -> Result<Publisher, StoreError> {
        let origin = vkey.name();
        let sealer = match layout.is_confidential() {
            true => Some(OpeningsKey::load(layout, origin)?),
            false => None,
        };
        let tree = ObjectTree::open(&cfg.public)?;
        let lock = open_lock(cfg, origin)?;
        let base = lock.fetch()?.ok_or_else(|| StoreError::NotALedger {
            path: lock.name().into(),
            reason: format!(
                "the lock holds no checkpoint of {origin}: the public tree was never made there"
            ),
        })?;
        Ok(Publisher {
            tree,
            lock,
            base,
            vkey: vkey.clone(),
            sealer,
        })
    }

    /// Reads the lock again: the base of the next swap.
    pub(crate) fn refetch(&mut self) -> Result<(), StoreError> {
        self.base = self.lock.fetch()?.ok_or_else(|| StoreError::NotALedger {
            path: self.lock.name().into(),
            reason: "the lock holds no checkpoint any more".into(),
        })?;
        Ok(())
    }

    /// Where the lock is, for messages.
    pub(crate) fn lock_name(&self) -> String {
        self.lock.name()
    }

    /// A tree size past `size` that the bucket already holds entries of
    /// (a full entry tile, or a wider partial one, past the one that would
    /// hold entry `size`), if any: the evidence that the lock was rolled
    /// back behind what was published.
    pub(crate) fn published_beyond(&self, size: u64) -> Result<Option<u64>, StoreError> {
        let n = size / TILE_WIDTH;
        let width = size % TILE_WIDTH;
        if self
            .tree
            .get(&tile_rel_path(TileKind::Entries, n, TILE_WIDTH))?
            .is_some()
        {
            return Ok(Some((n + 1) * TILE_WIDTH));
        }
        let partials = tile_rel_path(TileKind::Entries, n, TILE_WIDTH) + ".p";
        let wider = self
            .tree
            .list(&partials)?
            .iter()
            .filter_map(|o| o.rsplit('/').next()?.parse::<u64>().ok())
            .filter(|&w| w > width)
            .max();
        Ok(wider.map(|w| n * TILE_WIDTH + w))
    }

    /// For a confidential ledger: checks that the bucket holds, for every
    /// commitment leaf of the tree of `cp`, a sealed opening that opens it.
    pub(crate) fn audit_openings(&self, cp: &SignedCheckpoint) -> Result<(), StoreError> {
        let Some(mut openings) = self.openings(None, cp.root().size()) else {
            return Ok(());
        };
        super::OpenTree::at(&self.tree, cp.clone())
            .for_each_entry_from(RightEdge::new(), |i, leaf| {
                openings.opening(i, leaf).map(|_| ())
            })
            .map(|_| ())
    }

    /// Objects written to the store so far.
    pub(crate) fn writes(&self) -> u64 {
        self.tree.writes()
    }

    /// The checkpoint the lock holds, verified.
    pub(crate) fn lock_checkpoint(&self) -> Result<SignedCheckpoint, StoreError> {
        SignedCheckpoint::open(&self.base, &self.vkey).map_err(|source| StoreError::Note {
            path: self.lock.name().into(),
            source,
        })
    }

    /// The bucket's checkpoint if it is there and verifies.
    pub(crate) fn public_checkpoint(&self) -> Result<Option<SignedCheckpoint>, StoreError> {
        Ok(self
            .tree
            .get("checkpoint")?
            .and_then(|b| SignedCheckpoint::open(&b, &self.vkey).ok()))
    }

    /// The staged batch that made the lock's tree `root`, if it is there.
    pub(crate) fn staged(&self, root: &RootHash) -> Result<Option<Staged>, StoreError> {
        let rel = staging_rel(root);
        let at = self.tree.locate(&rel);
        match self.tree.get_limited(&rel, STAGING_LIMIT)? {
            Some(bytes) => decode_staging(&bytes, root.size(), &at).map(Some),
            None => Ok(None),
        }
    }

    /// Removes the staging object of the tree `root` if one is left (a
    /// commit whose checkpoint landed but whose answer was lost): best
    /// effort, as after a commit.
    pub(crate) fn discard_staging(&self, root: &RootHash) {
        let _ = self.tree.delete(&staging_rel(root));
    }

    /// The error for a lock ahead of the bucket with no staged batch.
    pub(crate) fn missing_staging(&self, root: &RootHash) -> StoreError {
        StoreError::corrupt(
            &self.tree.locate(&staging_rel(root)),
            format!(
                "is missing: the lock is at tree size {} but the bucket's checkpoint is not, and the batch that made it was not staged",
                root.size()
            ),
        )
    }

    /// The overlay of `staged` on the bucket, to read entries from.
    pub(crate) fn reader<'a>(&'a self, staged: Option<&'a Staged>) -> impl PublicTree + 'a {
        Overlay {
            base: &self.tree,
            staged,
        }
    }

    /// Publishes a commit made in the local copy (`layout`), from tree size
    /// `old` to `cp`: stage, swap the lock, write the tiles, write the
    /// checkpoint. [`StoreError::Superseded`] if another sequencer moved
    /// the lock first (then nothing was published).
    pub(crate) fn publish(
        &mut self,
        layout: &Layout,
        old: u64,
        cp: &SignedCheckpoint,
    ) -> Result<(), StoreError> {
        let new = cp.root().size();
        let changed = changed_objects(old, new);
        let mut bundles = changed
            .iter()
            .filter(|(k, _, _)| *k == TileKind::Entries)
            .map(|&(k, n, w)| read_local(layout, k, n, w))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(sealer) = &self.sealer {
            for &(_, n, w) in changed.iter().filter(|(k, _, _)| *k == TileKind::Entries) {
                bundles.push(seal_local(layout, sealer, n, w)?);
            }
        }
        let srel = staging_rel(cp.root());
        let staging = encode_staging(old, new, &bundles);
        if staging.len() as u64 > STAGING_LIMIT {
            return Err(StoreError::Io {
                path: self.tree.locate(&srel),
                source: std::io::Error::other(format!(
                    "this commit would stage {} bytes, over the {STAGING_LIMIT}-byte limit of one commit to object storage; commit in smaller batches",
                    staging.len()
                )),
            });
        }
        self.tree.put(&srel, staging)?;
        crash_point("staged");
        let body = cp.to_bytes();
        if !self.lock.swap(Some(&self.base), &body)? {
            let _ = self.tree.delete(&srel);
            let size = self
                .lock
                .fetch()?
                .and_then(|b| SignedCheckpoint::open(&b, &self.vkey).ok())
                .map_or(0, |c| c.root().size());
            return Err(StoreError::Superseded {
                lock: self.lock.name(),
                size,
            });
        }
        self.base = body.clone();
        crash_point("locked");
        let mut objects = changed
            .iter()
            .filter(|(k, _, _)| *k != TileKind::Entries)
            .map(|&(k, n, w)| read_local(layout, k, n, w))
            .collect::<Result<Vec<_>, _>>()?;
        objects.extend(bundles);
        self.tree.put_all(objects)?;
        crash_point("tiles");
        self.put_checkpoint(&body)?;
        let _ = self.tree.delete(&srel);
        Ok(())
    }

    /// Completes a batch a crashed sequencer locked but did not publish:
    /// writes the tile objects of tree sizes `start..` the local copy's
    /// `cp` (read from the local copy, which holds them now), comparing
    /// with any already there, then the checkpoint.
    pub(crate) fn complete(
        &mut self,
        layout: &Layout,
        start: u64,
        cp: &SignedCheckpoint,
    ) -> Result<(), StoreError> {
        for (kind, n, w) in changed_objects(start, cp.root().size()) {
            if let (Some(sealer), TileKind::Entries) = (&self.sealer, kind) {
                self.complete_sealed(layout, sealer, n, w)?;
            }
            let (rel, data) = read_local(layout, kind, n, w)?;
            match self.tree.get(&rel)? {
                Some(there) if there == data => {}
                Some(_) => {
                    return Err(StoreError::corrupt(
                        &self.tree.locate(&rel),
                        "differs from the tile the lock's checkpoint commits to; it is not replaced (run `log audit` on the bucket)".into(),
                    ))
                }
                None => self.tree.put(&rel, data)?,
            }
        }
        self.put_checkpoint(&cp.to_bytes())?;
        let _ = self.tree.delete(&staging_rel(cp.root()));
        Ok(())
    }

    /// Completes the sealed openings of entry bundle `n` (`w` wide): one
    /// already in the bucket must open to the local copy's bundle (sealing
    /// is not deterministic, so the plaintexts are compared); a missing one
    /// is sealed and written.
    fn complete_sealed(
        &self,
        layout: &Layout,
        sealer: &OpeningsKey,
        n: u64,
        w: u64,
    ) -> Result<(), StoreError> {
        let path = layout.openings(n, w);
        let local = std::fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
        let rel = sealed_rel(n, w);
        match self.tree.get_limited(&rel, MAX_SEALED)? {
            Some(there) => {
                let at = self.tree.locate(&rel);
                if sealer.open(&rel, &there, &at)? != local {
                    return Err(StoreError::corrupt(
                        &at,
                        "opens to other openings than the ones the lock's checkpoint commits to; it is not replaced (run `log audit`)".into(),
                    ));
                }
                Ok(())
            }
            None => self.tree.put(&rel, sealer.seal(&rel, &local)),
        }
    }

    /// The openings of a confidential ledger's tree of `size` entries as
    /// the bucket (with `staged` laid over it) holds them; `None` for a
    /// ledger whose leaves are public as they are.
    pub(crate) fn openings<'a>(
        &'a self,
        staged: Option<&'a Staged>,
        size: u64,
    ) -> Option<SealedOpenings<'a>> {
        Some(SealedOpenings {
            tree: &self.tree,
            staged,
            sealer: self.sealer.as_ref()?,
            size,
            bundle: None,
        })
    }

    /// Writes the public checkpoint `body` (the lock's, perhaps with
    /// cosignatures) if the lock still holds this sequencer's checkpoint;
    /// if it has moved on, the newer sequencer publishes its own.
    pub(crate) fn put_checkpoint(&self, body: &[u8]) -> Result<(), StoreError> {
        let tree = &self.tree;
        self.lock
            .while_holding(&self.base, &mut || tree.put("checkpoint", body.to_vec()))?;
        Ok(())
    }
}

/// The sealed openings bundle of the local copy's entry bundle `n` (`w`
/// wide), named by its bucket path.
fn seal_local(
    layout: &Layout,
    sealer: &OpeningsKey,
    n: u64,
    w: u64,
) -> Result<(String, Vec<u8>), StoreError> {
    let path = layout.openings(n, w);
    let data = std::fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
    let rel = sealed_rel(n, w);
    let sealed = sealer.seal(&rel, &data);
    Ok((rel, sealed))
}

/// A confidential ledger's openings read from the bucket (a staged batch
/// laid over it), one sealed bundle at a time.
pub(crate) struct SealedOpenings<'a> {
    tree: &'a ObjectTree,
    staged: Option<&'a Staged>,
    sealer: &'a OpeningsKey,
    size: u64,
    bundle: Option<(u64, Vec<u8>)>,
}

impl SealedOpenings<'_> {
    /// The opening of entry `index`, whose public leaf is `leaf`, checked
    /// against it; `None` for a leaf that is public as is.
    pub(crate) fn opening(
        &mut self,
        index: u64,
        leaf: &[u8],
    ) -> Result<Option<crate::commitment::Opening>, StoreError> {
        if !crate::commitment::is_leaf(leaf) {
            return Ok(None);
        }
        let n = index / TILE_WIDTH;
        let width = super::tiles::tile_width(self.size, n);
        let rel = sealed_rel(n, width);
        let at = self.tree.locate(&rel);
        if self.bundle.as_ref().map(|(m, _)| *m) != Some(n) {
            let staged = self.staged.and_then(|s| s.objects.get(&rel)).cloned();
            let sealed = match staged {
                Some(b) => b,
                None => self.tree.get_limited(&rel, MAX_SEALED)?.ok_or_else(|| {
                    StoreError::corrupt(
                        &at,
                        format!("is missing: it holds the openings of entries {}.., which the lock's checkpoint commits to", n * TILE_WIDTH),
                    )
                })?,
            };
            self.bundle = Some((n, self.sealer.open(&rel, &sealed, &at)?));
        }
        let (_, data) = self.bundle.as_ref().expect("read above");
        let entries = super::tiles::bundle_at(data, width, &at)?;
        let raw = entries[(index % TILE_WIDTH) as usize];
        crate::commitment::Opening::from_bytes(raw)
            .filter(|o| o.opens(leaf))
            .map(Some)
            .ok_or_else(|| {
                StoreError::corrupt(&at, format!("does not hold the opening of entry {index}"))
            })
    }
}

/// Stops the process at a named point of a commit when
/// `TRIAGE_LEDGER_CRASH_AT` names it: the crash tests' way to kill a
/// sequencer exactly between two steps. Compiled only into debug builds.
fn crash_point(_name: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("TRIAGE_LEDGER_CRASH_AT").is_ok_and(|v| v == _name) {
        std::process::abort();
    }
}

/// Appends `entries` and commits them under one checkpoint through the
/// writer in `slot` (opened as a raw writer if empty or failed); if another
/// sequencer moved the lock first, opens the ledger again (catching up)
/// and retries, up to 16 times. On a directory ledger this is one append
/// and commit.
pub fn append_batch(
    root: &Path,
    slot: &mut Option<Writer>,
    entries: &[Vec<u8>],
) -> Result<SignedCheckpoint, StoreError> {
    append_batch_with(root, slot, entries, None)
}

/// [`append_batch`], waiting for the writer lock as `on_wait` says.
fn append_batch_with(
    root: &Path,
    slot: &mut Option<Writer>,
    entries: &[Vec<u8>],
    on_wait: super::OnWait,
) -> Result<SignedCheckpoint, StoreError> {
    let mut attempt: u32 = 0;
    loop {
        if slot.as_ref().is_some_and(Writer::has_failed) {
            *slot = None;
        }
        if slot.is_none() {
            *slot = Some(Writer::open_with(root, true, on_wait.clone())?);
        }
        let w = slot.as_mut().expect("opened above");
        let done = entries
            .iter()
            .try_for_each(|e| w.append(e).map(|_| ()))
            .and_then(|()| w.commit().cloned());
        match done {
            Ok(cp) => return Ok(cp),
            Err(StoreError::Superseded { .. }) if attempt < 16 => {
                *slot = None;
                attempt += 1;
                backoff(attempt);
            }
            Err(e) => {
                *slot = None;
                return Err(e);
            }
        }
    }
}

/// Entries a commit to object storage carries at most; larger appends are
/// committed in several batches ([`append_stream`]).
pub const BATCH_ENTRIES: usize = 4096;

/// What [`append_stream`] has committed so far.
#[derive(Clone, Debug, Default)]
pub struct Appended {
    /// The last checkpoint committed.
    pub checkpoint: Option<SignedCheckpoint>,
    /// Entries committed.
    pub count: u64,
    /// The index of the first entry committed.
    pub first: u64,
}

/// Appends the entries `next` gives, as they come, in batches of at most
/// [`BATCH_ENTRIES`] entries and [`BATCH_BYTES`] bytes, each committed
/// with [`append_batch`] (one checkpoint each; at least one, even for no
/// entries). `done` says what was committed, also when an error stops it.
/// `on_wait`: what to do when another writer holds the ledger.
pub fn append_stream<E: From<StoreError>>(
    root: &Path,
    done: &mut Appended,
    next: &mut dyn FnMut() -> Result<Option<Vec<u8>>, E>,
    on_wait: super::OnWait,
) -> Result<(), E> {
    let mut slot = None;
    loop {
        let mut batch = Vec::new();
        let mut bytes = 0u64;
        let mut ended = false;
        while batch.len() < BATCH_ENTRIES && bytes < BATCH_BYTES {
            match next()? {
                Some(e) => {
                    bytes += e.len() as u64;
                    batch.push(e);
                }
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if !batch.is_empty() || done.checkpoint.is_none() {
            let cp = append_batch_with(root, &mut slot, &batch, on_wait.clone())?;
            if done.count == 0 {
                done.first = cp.root().size() - batch.len() as u64;
            }
            done.count += batch.len() as u64;
            done.checkpoint = Some(cp);
        }
        if ended {
            return Ok(());
        }
    }
}

/// Publishes the ledger at `root` (its local copy, audited first) to a new
/// public tree at `public`, guarded by `lock` (or by the store's own
/// conditional writes, which must then be enforced), and records that in
/// its configuration. The bucket must hold no tree yet, or this very tree
/// (a move run again); a lock that already holds this very checkpoint is
/// reused (moving between buckets).
pub fn publish_new(
    root: &Path,
    public: &str,
    lock: Option<&str>,
) -> Result<PublishedAudit, StoreError> {
    let layout = Layout::new(root);
    let vkey = super::read_vkey(&layout)?;
    super::audit(root)?;
    let cp = super::read_checkpoint(&layout, &vkey)?;
    let cfg = PublicConfig {
        public: public.trim_end_matches('/').to_string(),
        lock: lock.map(str::to_string),
    };
    let tree = ObjectTree::open(&cfg.public)?;
    // A bucket that holds this very tree already (a move that stopped
    // before `public.json` was written) is completed; any other is kept.
    if let Some(there) = tree.get("checkpoint")? {
        let same = SignedCheckpoint::open(&there, &vkey).is_ok_and(|c| c.root() == cp.root());
        if !same {
            return Err(StoreError::AlreadyExists {
                path: tree.locate("checkpoint"),
            });
        }
    }
    let sealer = match layout.is_confidential() {
        true => Some(OpeningsKey::load_or_make(&layout, vkey.name())?),
        false => None,
    };
    let lock = open_lock(&cfg, vkey.name())?;
    let body = cp.to_bytes();
    let held = lock.fetch()?;
    if let Some(held) = &held {
        let same = SignedCheckpoint::open(held, &vkey).is_ok_and(|h| h.root() == cp.root());
        if !same {
            return Err(StoreError::AlreadyExists {
                path: lock.name().into(),
            });
        }
    }
    let changed = changed_objects(0, cp.root().size());
    let mut objects = Vec::new();
    if let Some(sealer) = &sealer {
        for &(_, n, w) in changed.iter().filter(|(k, _, _)| *k == TileKind::Entries) {
            objects.push(seal_local(&layout, sealer, n, w)?);
        }
    }
    for (k, n, w) in changed {
        objects.push(read_local(&layout, k, n, w)?);
    }
    for chunk in objects.chunks(256) {
        tree.put_all(chunk.to_vec())?;
    }
    let base = match held {
        Some(h) => h,
        None => {
            if !lock.swap(None, &body)? {
                return Err(StoreError::AlreadyExists {
                    path: lock.name().into(),
                });
            }
            body.clone()
        }
    };
    let publisher = Publisher {
        tree,
        lock,
        base,
        vkey: vkey.clone(),
        sealer,
    };
    publisher.put_checkpoint(&body)?;
    let audit = super::audit_tree(&publisher.tree, &vkey)?;
    // 0600: a lock's URL may carry its database password.
    let json = serde_json::to_vec_pretty(&cfg).expect("serializable");
    fsio::replace_private_file(&layout.public_config(), &json)?;
    Ok(PublishedAudit {
        public: cfg.public,
        lock: publisher.lock.name(),
        audit,
    })
}

/// A ledger's public tree in object storage, audited.
#[derive(Debug)]
pub struct PublishedAudit {
    /// The public tree.
    pub public: String,
    /// The lock.
    pub lock: String,
    /// The audit of the tree in the bucket.
    pub audit: super::AuditReport,
}

/// For a ledger whose public tree is in object storage: audits the tree in
/// the bucket (every entry, tile and old partial) and checks that the
/// lock, the bucket's checkpoint and the local copy hold the same tree.
/// `None` for a directory ledger.
pub fn audit_public(root: &Path) -> Result<Option<PublishedAudit>, StoreError> {
    let Some(cfg) = read_config(root)? else {
        return Ok(None);
    };
    refresh(root)?;
    let layout = Layout::new(root);
    let vkey = super::read_vkey(&layout)?;
    let publisher = Publisher::open(&cfg, &vkey, &layout)?;
    let lock = publisher.lock_checkpoint()?;
    let audit = super::audit_tree(&publisher.tree, &vkey)?;
    publisher.audit_openings(&lock)?;
    let local = super::read_checkpoint(&layout, &vkey)?;
    if audit.size != lock.root().size() || audit.root != *lock.root().hash() {
        return Err(StoreError::corrupt(
            &publisher.tree.locate("checkpoint"),
            format!(
                "the bucket's checkpoint (size {}) is not the lock's (size {}): a sequencer is committing or crashed mid-commit; the next one to open the ledger completes it",
                audit.size,
                lock.root().size()
            ),
        ));
    }
    if local.root() != lock.root() {
        return Err(StoreError::corrupt(
            &layout.checkpoint(),
            format!(
                "the local copy (size {}) is not at the lock's checkpoint (size {}): a writer of this copy is running",
                local.root().size(),
                lock.root().size()
            ),
        ));
    }
    Ok(Some(PublishedAudit {
        public: cfg.public,
        lock: publisher.lock.name(),
        audit,
    }))
}

/// `log migrate`: moves the public tree of the ledger at `root` to `to` —
/// `s3://BUCKET/PREFIX` (from its `log/` or another bucket: the local copy
/// is caught up and audited, uploaded, and the upload audited) or the
/// ledger's own `log/` directory (caught up, audited, and the bucket left
/// as it is, no longer written). Returns the new tree's audit.
pub fn migrate(
    root: &Path,
    to: &str,
    lock: Option<&str>,
) -> Result<super::AuditReport, StoreError> {
    let layout = Layout::new(root);
    let from = read_config(root)?;
    // Opening catches a bucket's local copy up; hold the writer lock throughout: no commit may land mid-move.
    let writer = Writer::open(root)?;
    if super::is_object_url(to) {
        if from
            .as_ref()
            .is_some_and(|c| c.public == to.trim_end_matches('/'))
        {
            return Err(StoreError::AlreadyExists { path: to.into() });
        }
        let done = publish_new(root, to, lock)?;
        drop(writer);
        return Ok(done.audit);
    }
    let own = layout.log_dir();
    let same = std::fs::canonicalize(to).ok() == std::fs::canonicalize(&own).ok();
    if !same {
        return Err(StoreError::NotALedger {
            path: to.into(),
            reason: format!(
                "a ledger's public tree in a directory is its own {}; give that, or s3://BUCKET/PREFIX",
                own.display()
            ),
        });
    }
    let audit = super::audit(root)?;
    if from.is_some() {
        let path = layout.public_config();
        std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
        fsio::sync_dir(root)?;
    }
    drop(writer);
    Ok(audit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_objects_a_commit_changes_are_the_new_full_tiles_and_the_new_partials() {
        let names = |old, new| -> Vec<String> {
            changed_objects(old, new)
                .into_iter()
                .map(|(k, n, w)| tile_rel_path(k, n, w))
                .collect()
        };
        assert!(names(5, 5).is_empty());
        assert_eq!(names(0, 1), ["tile/0/000.p/1", "tile/entries/000.p/1"]);
        assert_eq!(
            names(250, 300),
            [
                "tile/0/000",
                "tile/0/001.p/44",
                "tile/1/000.p/1",
                "tile/entries/000",
                "tile/entries/001.p/44"
            ]
        );
        // Level 1 does not change between 256 and 300 entries: not rewritten.
        assert_eq!(
            names(256, 300),
            ["tile/0/001.p/44", "tile/entries/001.p/44"]
        );
        assert_eq!(
            names(0, 512),
            [
                "tile/0/000",
                "tile/0/001",
                "tile/1/000.p/2",
                "tile/entries/000",
                "tile/entries/001"
            ]
        );
    }

    #[test]
    fn a_staged_batch_reads_back_and_damage_is_named() {
        let objects = vec![
            ("tile/entries/000".to_string(), vec![1u8; 300]),
            ("tile/entries/001.p/3".to_string(), vec![2u8; 9]),
        ];
        let bytes = encode_staging(200, 259, &objects);
        let at = Path::new("s3://b/staging/x");
        let back = decode_staging(&bytes, 259, at).unwrap();
        assert_eq!(back.first, 200);
        assert_eq!(back.objects.len(), 2);
        assert_eq!(back.objects["tile/entries/001.p/3"], vec![2u8; 9]);
        let err = |b: &[u8], size| decode_staging(b, size, at).err().unwrap().to_string();
        assert!(err(&bytes, 258).contains("not the batch of this tree size"));
        assert!(err(&bytes[..bytes.len() - 1], 259).contains("truncated"));
        assert!(err(&bytes[1..], 259).contains("wrong header"));
        let other = encode_staging(0, 1, &[("tile/0/000".into(), vec![0; 32])]);
        assert!(err(&other, 1).contains("other than entry bundles"));
    }
}
