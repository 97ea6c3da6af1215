//! The persisted state index (FORMATS.md §21): the policy state a writer
//! needs, kept in `LEDGER/index/state.redb` (redb: copy-on-write B-trees,
//! atomic and crash-safe commits) so that a submission reads what its
//! statements touch instead of replaying the log.
//!
//! It is derived data. The log is the source of truth: the index records
//! the tree size and root it reflects; when it is missing, damaged, or was
//! built from another tree it is rebuilt, and when it is behind (a crash
//! between the log's commit and the index's) the missing entries are
//! replayed into it. `log audit` compares it with a full replay.
//!
//! Tables: `meta` (format, size, root, the log's index summary, the
//! scheme-level state), `hashes` (SHA-256 of logged bytes → index),
//! `facilities` (id → lifecycle state, CBOR), `lists` (id → its statements'
//! indexes, u64 BE), `map` (the facility map's nodes, [`NodeId`] →
//! [`StoredNode`]).

use std::path::PathBuf;
use std::sync::Arc;

use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
};

use super::LedgerError;
use crate::history::{History, MapError, NodeId, StoredNode};
use crate::merkle::{Hash, RootHash};
use crate::note::SignedCheckpoint;
use crate::policy::{FacilityState, LookupError, SchemeState, Source, State};
use crate::store::{for_each_entry_from, tile_width, Layout, RightEdge, TileKind, TILE_WIDTH};

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const HASHES: TableDefinition<&[u8], u64> = TableDefinition::new("hashes");
const FACILITIES: TableDefinition<&str, &[u8]> = TableDefinition::new("facilities");
const LISTS: TableDefinition<&str, &[u8]> = TableDefinition::new("lists");
const MAP: TableDefinition<&[u8], &[u8]> = TableDefinition::new("map");

// @2: facilities remember their records' digests (the `duplicate` rule);
// an index of another format is rebuilt from the log.
const FORMAT: &[u8] = b"triage-ledger/state-index@2";

/// Entries replayed between two writes while rebuilding, which bounds the
/// memory a rebuild takes.
const REBUILD_STEP: u64 = if cfg!(test) { 7 } else { 20_000 };

/// The page cache redb may keep.
const CACHE_BYTES: usize = 24 << 20;

/// How often at most a save of the state index is made durable on its
/// own (an fsync of the database); saves in between are written without
/// one and made durable by the next durable save. The index is derived from
/// the log: a crash that loses the last saves leaves it at an earlier tree,
/// which the next opening catches up from the log.
const DURABLE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// An open state index (a clone shares the open database).
#[derive(Clone)]
pub struct StateIndex {
    db: Arc<Database>,
    path: PathBuf,
    /// When a save was last made durable.
    durable_at: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

fn err(path: &std::path::Path, e: impl std::fmt::Display) -> LedgerError {
    LedgerError::StateIndex {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn cbor<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

fn from_cbor<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T, String> {
    ciborium::from_reader(b).map_err(|e| e.to_string())
}

fn u64s(v: &[u64]) -> Vec<u8> {
    v.iter().flat_map(|i| i.to_be_bytes()).collect()
}

fn from_u64s(b: &[u8]) -> Result<Vec<u64>, String> {
    if !b.len().is_multiple_of(8) {
        return Err("an index list is not a multiple of 8 bytes".into());
    }
    Ok(b.chunks_exact(8)
        .map(|c| u64::from_be_bytes(c.try_into().unwrap_or_default()))
        .collect())
}

/// What the index says it reflects, and its state there.
struct Resumed {
    at: RootHash,
    history: History,
    scheme: SchemeState,
}

/// Reads what a resumed state needs from the index and the log.
struct DbSource {
    db: Arc<Database>,
    layout: Layout,
    size: u64,
}

impl DbSource {
    fn get<K: redb::Key + 'static, V: redb::Value + 'static, R>(
        &self,
        table: TableDefinition<K, V>,
        key: K::SelfType<'_>,
        f: impl FnOnce(V::SelfType<'_>) -> R,
    ) -> Result<Option<R>, LookupError> {
        let unreadable = |e: &dyn std::fmt::Display| LookupError::unreadable("the state index", e);
        let txn = self.db.begin_read().map_err(|e| unreadable(&e))?;
        let t = match txn.open_table(table) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(unreadable(&e)),
        };
        let v = t.get(key).map_err(|e| unreadable(&e))?;
        Ok(v.map(|g| f(g.value())))
    }
}

impl DbSource {
    /// The openings of a confidential ledger (`None` for a public one), to
    /// open the entries of a run with one read of their bundle.
    fn openings(&self) -> Option<crate::store::confidential::Openings> {
        self.layout
            .is_confidential()
            .then(|| crate::store::confidential::Openings::new(&self.layout, self.size))
    }

    /// What entry `index` (public leaf `leaf`) holds: for a confidential
    /// ledger, a statement from its opening.
    fn opened(
        openings: &mut Option<crate::store::confidential::Openings>,
        index: u64,
        leaf: &[u8],
    ) -> Result<Vec<u8>, LookupError> {
        match openings {
            Some(o) if crate::commitment::is_leaf(leaf) => o
                .open(index, leaf)
                .map_err(|e| LookupError::unreadable(format!("the opening of entry {index}"), e)),
            _ => Ok(leaf.to_vec()),
        }
    }
}

impl Source for DbSource {
    fn statement_at(&self, sha256: &[u8; 32]) -> Result<Option<u64>, LookupError> {
        self.get(HASHES, sha256.as_slice(), |i| i)
    }

    fn facility(&self, id: &str) -> Result<Option<(FacilityState, Vec<u64>)>, LookupError> {
        let Some(state) = self.get(FACILITIES, id, from_cbor::<FacilityState>)? else {
            return Ok(None);
        };
        let what = || format!("facility {id:?} in the state index");
        let list = self
            .get(LISTS, id, from_u64s)?
            .transpose()
            .map_err(|e| LookupError::unreadable(what(), e))?;
        let state = state.map_err(|e| LookupError::unreadable(what(), e))?;
        Ok(Some((state, list.unwrap_or_default())))
    }

    fn list(&self, name: &str) -> Result<Vec<u64>, LookupError> {
        let list = self
            .get(LISTS, name, from_u64s)?
            .transpose()
            .map_err(|e| LookupError::unreadable(format!("list {name:?} in the state index"), e))?;
        Ok(list.unwrap_or_default())
    }

    fn entry(&self, index: u64) -> Result<Vec<u8>, LookupError> {
        if index >= self.size {
            return Err(LookupError::Missing {
                what: format!("entry {index} of the log"),
            });
        }
        let n = index / TILE_WIDTH;
        let width = tile_width(self.size, n);
        let path = self.layout.tile(TileKind::Entries, n, width);
        let data = std::fs::read(&path)
            .map_err(|e| LookupError::unreadable(path.display().to_string(), e))?;
        let entries = crate::tiles::parse_bundle(&data, width)
            .map_err(|e| LookupError::unreadable(path.display().to_string(), e))?;
        Self::opened(
            &mut self.openings(),
            index,
            entries[(index % TILE_WIDTH) as usize],
        )
    }

    /// Reads each entry tile once for a run of `indexes` it holds.
    fn entries(&self, indexes: &[u64]) -> Result<Vec<Vec<u8>>, LookupError> {
        let mut out = Vec::with_capacity(indexes.len());
        let mut openings = self.openings();
        for run in indexes.chunk_by(|a, b| a / TILE_WIDTH == b / TILE_WIDTH) {
            if let Some(&index) = run.iter().find(|&&i| i >= self.size) {
                return Err(LookupError::Missing {
                    what: format!("entry {index} of the log"),
                });
            }
            let n = run[0] / TILE_WIDTH;
            let width = tile_width(self.size, n);
            let path = self.layout.tile(TileKind::Entries, n, width);
            let data = std::fs::read(&path)
                .map_err(|e| LookupError::unreadable(path.display().to_string(), e))?;
            let entries = crate::tiles::parse_bundle(&data, width)
                .map_err(|e| LookupError::unreadable(path.display().to_string(), e))?;
            for &i in run {
                out.push(Self::opened(
                    &mut openings,
                    i,
                    entries[(i % TILE_WIDTH) as usize],
                )?);
            }
        }
        Ok(out)
    }

    fn map_node(&self, id: &NodeId) -> Result<StoredNode, MapError> {
        let found = self
            .get(MAP, id.as_bytes().as_slice(), StoredNode::decode)
            .map_err(|e| MapError::Stored(e.to_string()))?;
        found.ok_or_else(|| MapError::Stored("a map node is missing".into()))?
    }
}

impl StateIndex {
    /// Opens (or creates, or rebuilds) the state index of the ledger at
    /// `layout` and brings it up to `checkpoint`: the state to admit
    /// statements against. Call under the writer lock.
    pub fn open(
        layout: &Layout,
        checkpoint: &SignedCheckpoint,
    ) -> Result<(StateIndex, State), LedgerError> {
        let index = Self::open_file(layout)?;
        let state = index.state_at(layout, checkpoint)?;
        Ok((index, state))
    }

    /// Opens (or creates, or rebuilds when redb cannot read it) the state
    /// index file of the ledger at `layout`, to keep open across commits.
    /// Call under the writer lock.
    pub fn open_file(layout: &Layout) -> Result<StateIndex, LedgerError> {
        let dir = layout.index_dir();
        std::fs::create_dir_all(&dir).map_err(|e| err(&dir, e))?;
        let path = dir.join("state.redb");
        let db = match open_db(&path) {
            Ok(db) => db,
            Err(e @ redb::DatabaseError::DatabaseAlreadyOpen) => return Err(err(&path, e)),
            Err(_) => {
                // Derived data: a file redb cannot open is rebuilt.
                std::fs::remove_file(&path).map_err(|e| err(&path, e))?;
                open_db(&path).map_err(|e| err(&path, e))?
            }
        };
        Ok(StateIndex {
            db: Arc::new(db),
            path,
            durable_at: Default::default(),
        })
    }

    /// The state to admit statements against at `checkpoint`, resumed from
    /// this index (brought up to it from the log when behind, rebuilt when
    /// it is another tree's).
    pub fn state_at(
        &self,
        layout: &Layout,
        checkpoint: &SignedCheckpoint,
    ) -> Result<State, LedgerError> {
        let index = self;
        let target = *checkpoint.root();
        let resumed = index
            .resume(layout, &target)
            .map_err(|e| err(&index.path, e))?;
        let (from, history, scheme) = match resumed {
            Some(r) => (Some(r.at), r.history, r.scheme),
            None => {
                index.clear().map_err(|e| err(&index.path, e))?;
                (None, History::new(), SchemeState::default())
            }
        };
        let source = DbSource {
            db: index.db.clone(),
            layout: layout.clone(),
            size: target.size(),
        };
        let mut state = State::resumed(scheme, history, Box::new(source))
            .with_naming(super::naming(layout).map_err(|e| err(&index.path, e))?);
        if from.map(|r| r.size()) != Some(target.size()) {
            index.catch_up(layout, checkpoint, from, &mut state)?;
        }
        Ok(state)
    }

    /// The index's state, if it reflects a prefix of the log.
    fn resume(&self, layout: &Layout, target: &RootHash) -> Result<Option<Resumed>, String> {
        let txn = self.db.begin_read().map_err(|e| e.to_string())?;
        let meta = match txn.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let get = |k: &str| -> Result<Option<Vec<u8>>, String> {
            Ok(meta
                .get(k)
                .map_err(|e| e.to_string())?
                .map(|g| g.value().to_vec()))
        };
        if get("format")?.as_deref() != Some(FORMAT) {
            return Ok(None);
        }
        let (Some(size), Some(root), Some(history), Some(scheme)) =
            (get("size")?, get("root")?, get("history")?, get("scheme")?)
        else {
            return Ok(None);
        };
        let size = u64::from_be_bytes(size.try_into().map_err(|_| "bad size")?);
        let root = Hash::from_slice(&root).map_err(|e| e.to_string())?;
        let at = RootHash::new(size, root);
        if size > target.size() || (size == target.size() && at != *target) {
            return Ok(None);
        }
        // The log at the index's size must be the tree it was built from
        // (a size this log never committed has no partial tile to read).
        if size < target.size() && edge_at(layout, size).map(|e| e.root()) != Ok(root) {
            return Ok(None);
        }
        let value: ciborium::Value = from_cbor(&history)?;
        let history = History::from_value(&value)?;
        if history.len() != size {
            return Ok(None);
        }
        Ok(Some(Resumed {
            at,
            history,
            scheme: from_cbor(&scheme)?,
        }))
    }

    fn clear(&self) -> Result<(), String> {
        let txn = self.db.begin_write().map_err(|e| e.to_string())?;
        for t in ["meta", "facilities", "lists"] {
            txn.delete_table(TableDefinition::<&str, &[u8]>::new(t))
                .map_err(|e| e.to_string())?;
        }
        txn.delete_table(HASHES).map_err(|e| e.to_string())?;
        txn.delete_table(MAP).map_err(|e| e.to_string())?;
        txn.commit().map_err(|e| e.to_string())
    }

    /// Replays the log from `from` (the index's size; `None`: empty) to the
    /// checkpoint, writing every [`REBUILD_STEP`] entries (the size is
    /// recorded only at the end, so a rebuild cut short starts again).
    fn catch_up(
        &self,
        layout: &Layout,
        checkpoint: &SignedCheckpoint,
        from: Option<RootHash>,
        state: &mut State,
    ) -> Result<(), LedgerError> {
        let start = from.map_or(0, |r| r.size());
        let edge = edge_at(layout, start).map_err(|e| err(&self.path, e))?;
        let mut failed = None;
        for_each_entry_from(layout, checkpoint, edge, |index, bytes| {
            if failed.is_some() {
                return Ok(());
            }
            if let Err(source) = state.replay(index, bytes) {
                failed = Some(LedgerError::Replay { index, source });
                return Ok(());
            }
            if (index + 1 - start).is_multiple_of(REBUILD_STEP) {
                if let Err(e) = self.write(state, None, false) {
                    failed = Some(err(&self.path, e));
                }
                state.evict();
            }
            Ok(())
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        self.write(state, Some(checkpoint.root()), true)
            .map_err(|e| err(&self.path, e))
    }

    /// Writes what changed in `state` since it was opened or last saved,
    /// as the state of the tree `at`: durably if no save was for
    /// `DURABLE_EVERY` (a second), else made durable by the next durable one.
    pub fn save(&self, state: &mut State, at: &RootHash) -> Result<(), LedgerError> {
        let due = self
            .durable_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none_or(|t| t.elapsed() >= DURABLE_EVERY);
        self.write(state, Some(at), due)
            .map_err(|e| err(&self.path, e))
    }

    fn write(&self, state: &mut State, at: Option<&RootHash>, durable: bool) -> Result<(), String> {
        let changes = state.take_changes();
        let scheme = cbor(&state.scheme_state())?;
        let facilities: Vec<(String, Vec<u8>)> = changes
            .facilities
            .iter()
            .filter_map(|id| Some((id.clone(), state.facilities().get(id)?)))
            .map(|(id, f)| Ok((id, cbor(f)?)))
            .collect::<Result<_, String>>()?;
        let h = state
            .history_mut()
            .ok_or("a partial state has no index to keep")?;
        let (lists, nodes) = h.take_changed().map_err(|e| e.to_string())?;
        let summary = cbor(&h.summary_value())?;
        let mut txn = self.db.begin_write().map_err(|e| e.to_string())?;
        let durability = if durable {
            Durability::Immediate
        } else {
            Durability::None
        };
        txn.set_durability(durability).map_err(|e| e.to_string())?;
        {
            let mut t = txn.open_table(HASHES).map_err(|e| e.to_string())?;
            for (hash, i) in &changes.hashes {
                t.insert(hash.as_slice(), i).map_err(|e| e.to_string())?;
            }
            let mut t = txn.open_table(FACILITIES).map_err(|e| e.to_string())?;
            for (id, f) in &facilities {
                t.insert(id.as_str(), f.as_slice())
                    .map_err(|e| e.to_string())?;
            }
            let mut t = txn.open_table(LISTS).map_err(|e| e.to_string())?;
            for (id, l) in &lists {
                t.insert(id.as_str(), u64s(l).as_slice())
                    .map_err(|e| e.to_string())?;
            }
            let mut t = txn.open_table(MAP).map_err(|e| e.to_string())?;
            for (id, n) in &nodes {
                t.insert(id.as_bytes().as_slice(), n.encode().as_slice())
                    .map_err(|e| e.to_string())?;
            }
            let mut m = txn.open_table(META).map_err(|e| e.to_string())?;
            m.insert("format", FORMAT).map_err(|e| e.to_string())?;
            m.insert("history", summary.as_slice())
                .map_err(|e| e.to_string())?;
            m.insert("scheme", scheme.as_slice())
                .map_err(|e| e.to_string())?;
            match at {
                Some(at) => {
                    m.insert("size", at.size().to_be_bytes().as_slice())
                        .map_err(|e| e.to_string())?;
                    m.insert("root", at.hash().as_bytes().as_slice())
                        .map_err(|e| e.to_string())?;
                }
                None => {
                    m.remove("size").map_err(|e| e.to_string())?;
                    m.remove("root").map_err(|e| e.to_string())?;
                }
            }
        }
        txn.commit().map_err(|e| e.to_string())?;
        if durable {
            *self.durable_at.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(std::time::Instant::now());
        }
        Ok(())
    }
}

fn open_db(path: &std::path::Path) -> Result<Database, redb::DatabaseError> {
    Database::builder().set_cache_size(CACHE_BYTES).create(path)
}

/// The tree's right edge at `size`, read from the hash tiles.
/// A partial tile the log no longer keeps is read from the full tile that
/// replaced it.
fn edge_at(layout: &Layout, size: u64) -> Result<RightEdge, String> {
    RightEdge::load(size, |level, n, width| {
        let kind = TileKind::Hashes(level);
        let (path, full) = match layout.tile(kind, n, width) {
            p if p.exists() => (p, false),
            _ => (layout.tile(kind, n, TILE_WIDTH), true),
        };
        let data = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let read = if full { TILE_WIDTH } else { width };
        let mut hashes = crate::tiles::parse_hash_tile(&data, read)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        hashes.truncate(width as usize);
        Ok(hashes)
    })
}

/// What [`super::Ledger::check_index`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexCheck {
    /// No index yet (a ledger without a trust root, or never submitted to
    /// since): the next submission builds it.
    Absent,
    /// The index reflects an older tree (a crash between the log's commit
    /// and the index's): the next submission replays what it lacks. What it
    /// holds was not compared.
    Behind {
        /// The size it reflects.
        size: u64,
    },
    /// The index was not closed cleanly (a process stopped while writing
    /// it): redb repairs it at the next submission, which needs write access;
    /// a read-only check cannot, so nothing was compared.
    NeedsRepair,
    /// Every facility's state and list, every statement digest, the map and
    /// the scheme-level state equal a full replay of the log.
    Consistent {
        /// Facilities compared.
        facilities: u64,
        /// Statement digests compared.
        statements: u64,
    },
}

impl StateIndex {
    /// Compares the state index of the ledger `ledger` with a full replay
    /// of its log (read-only; `log audit`). A difference is an error that
    /// names it.
    pub(super) fn check(ledger: &super::Ledger) -> Result<IndexCheck, LedgerError> {
        let path = ledger.layout().index_dir().join("state.redb");
        if !path.exists() {
            return Ok(IndexCheck::Absent);
        }
        let (mut full, cp) = ledger.replay()?;
        // Through the handle's own opening when it holds the index (a
        // second opening of the file in this process would be refused).
        let txn = match ledger.held_index() {
            Some(index) => index.db.begin_read(),
            None => match redb::ReadOnlyDatabase::open(&path) {
                Ok(db) => db.begin_read(),
                Err(redb::DatabaseError::RepairAborted) => return Ok(IndexCheck::NeedsRepair),
                Err(e) => return Err(err(&path, e)),
            },
        }
        .map_err(|e| err(&path, e))?;
        let fail = |what: String| {
            err(
                &path,
                format!("{what}; delete the file to rebuild it from the log"),
            )
        };
        let text = |e: redb::TableError| err(&path, e);
        let meta = txn.open_table(META).map_err(text)?;
        let get = |k: &str| -> Result<Option<Vec<u8>>, LedgerError> {
            Ok(meta
                .get(k)
                .map_err(|e| err(&path, e))?
                .map(|g| g.value().to_vec()))
        };
        let size = get("size")?
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| fail("it records no tree size (a rebuild was cut short)".into()))?;
        if size < cp.root().size() {
            return Ok(IndexCheck::Behind { size });
        }
        let root_hash = get("root")?.unwrap_or_default();
        if size != cp.root().size() || root_hash != cp.root().hash().as_bytes() {
            return Err(fail(format!(
                "it reflects a tree of size {size} that is not this log's"
            )));
        }
        if get("scheme")? != Some(cbor(&full.scheme_state()).map_err(|e| err(&path, e))?) {
            return Err(fail("its scheme-level state differs from the log's".into()));
        }
        // Digests: as many as statements, each at its statement's index.
        let hashes = txn.open_table(HASHES).map_err(text)?;
        let mut statements = 0u64;
        for row in hashes.iter().map_err(|e| err(&path, e))? {
            let (k, v) = row.map_err(|e| err(&path, e))?;
            let hash: [u8; 32] = k.value().try_into().unwrap_or([0; 32]);
            if full.index_of(&hash) != Some(v.value()) {
                return Err(fail(format!(
                    "it places a statement at entry {} that the log does not hold there",
                    v.value()
                )));
            }
            statements += 1;
        }
        if statements != full.statement_count() {
            return Err(fail(format!(
                "it knows {statements} statements; the log holds {}",
                full.statement_count()
            )));
        }
        // Facilities: the same set, each with the same state and list.
        let facilities = txn.open_table(FACILITIES).map_err(text)?;
        let lists = txn.open_table(LISTS).map_err(text)?;
        let n = facilities.len().map_err(|e| err(&path, e))?;
        if n != full.facilities().len() as u64 {
            return Err(fail(format!(
                "it holds {n} facilities; the log has {}",
                full.facilities().len()
            )));
        }
        let summary = get("history")?.unwrap_or_default();
        let value: ciborium::Value = from_cbor(&summary).map_err(|e| err(&path, e))?;
        let mut stored_index = History::from_value(&value).map_err(|e| err(&path, e))?;
        let stored_root = stored_index.commit_now().map_err(|e| err(&path, e))?.map;
        let ids: Vec<String> = full.facilities().keys().cloned().collect();
        for id in &ids {
            let stored = facilities
                .get(id.as_str())
                .map_err(|e| err(&path, e))?
                .map(|g| from_cbor::<FacilityState>(g.value()));
            // The index names the facility's list by its id, or its label.
            let name = full
                .naming()
                .name(id)
                .ok_or_else(|| fail(format!("facility {id:?} has no name in the index")))?;
            let list = lists
                .get(name.as_str())
                .map_err(|e| err(&path, e))?
                .map(|g| from_u64s(g.value()));
            let ok_state = match (&stored, full.facilities().get(id)) {
                (Some(Ok(s)), Some(f)) => s == f,
                _ => false,
            };
            let h = full.history().ok_or_else(|| fail("no index".into()))?;
            let ok_list = matches!(&list, Some(Ok(l)) if l.as_slice() == h.entries_of(&name));
            if !ok_state || !ok_list {
                return Err(fail(format!("facility {id:?} differs from the log's")));
            }
            // Its leaf in the stored map, proven against the stored root.
            let mut fetch = |nid: &NodeId| -> Result<StoredNode, MapError> {
                let t = txn
                    .open_table(MAP)
                    .map_err(|e| MapError::Stored(e.to_string()))?;
                let g = t
                    .get(nid.as_bytes().as_slice())
                    .map_err(|e| MapError::Stored(e.to_string()))?
                    .ok_or_else(|| MapError::Stored("a map node is missing".into()))?;
                StoredNode::decode(g.value())
            };
            let proven = stored_index
                .load(&name, &[], &mut fetch)
                .and_then(|_| stored_index.prove(&name));
            let entries = h.entries_of(&name);
            let leaf = proven.map(|p| {
                p.proof
                    .evaluate(&crate::history::key_of(&name), &stored_root)
                    .ok()
                    .flatten()
            });
            let want = (entries.len() as u64, crate::history::list_digest(entries));
            if !matches!(leaf, Ok(Some(l)) if (l.count, l.digest) == want) {
                return Err(fail(format!(
                    "the facility map does not hold facility {id:?}'s list"
                )));
            }
        }
        let committed = full.history_mut().and_then(|h| h.commit_now().ok());
        if committed.map(|c| c.map) != Some(stored_root) {
            return Err(fail("its facility map's root is not the log's".into()));
        }
        Ok(IndexCheck::Consistent {
            facilities: ids.len() as u64,
            statements,
        })
    }
}
