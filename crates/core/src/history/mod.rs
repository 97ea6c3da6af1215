//! Committed histories: the log's index of itself, committed in its own
//! Merkle tree so that witnesses' consistency checks cover it.
//!
//! After the statements of every commit the log appends index entries
//! ([`IndexEntry`]): each attributes the leaves since the previous index
//! entry to their facility (or to the scheme, for revocations, designations
//! and framework versions), and the last one of a commit carries a
//! [`Commit`]: the root of the facility [`Map`] (facility → the indexes of
//! all its statements) and the digest of the scheme-level statements'
//! indexes. A pack proves with them that it holds every statement of its
//! facility and every scheme-level statement; a monitor replays the log and
//! checks every index entry against the leaves it attributes.
//!
//! A leaf's attribution comes from its protected header alone: a content
//! type that names a scheme-level kind → scheme; any other record kind → the
//! CWT `sub` (the registration policy makes it the record's facility).

mod entry;
mod map;
mod state;
mod stored;

pub use entry::{is_index_entry, Commit, IndexEntry, IndexEntryError, INDEX_TYPE};
pub use map::{key_of, Map, MapError, MapLeaf, MapProof, EMPTY_MAP_ROOT, MAX_PATH};
pub use stored::{NodeId, StoredNode};

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::cose::Statement;
use crate::merkle::Hash;
use crate::record::Kind;

/// What a log leaf is, for the index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Attribution {
    /// A statement about this facility.
    Facility(String),
    /// A scheme-level statement (revocation, designation, framework).
    Scheme,
    /// An index entry (never attributed).
    Index,
    /// A commitment leaf of a confidential ledger: a statement whose
    /// attribution only its opening shows (any list's, to a public reader).
    Hidden,
    /// Neither a statement of a known kind nor an index entry.
    Unreadable,
}

impl fmt::Display for Attribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attribution::Facility(id) => write!(f, "a statement of facility {id:?}"),
            Attribution::Scheme => f.write_str("a scheme-level statement"),
            Attribution::Index => f.write_str("an index entry"),
            Attribution::Hidden => f.write_str("a committed (hidden) statement"),
            Attribution::Unreadable => f.write_str("neither a statement nor an index entry"),
        }
    }
}

/// The attribution of a log leaf, from its protected header alone (what
/// else makes a statement valid is the registration policy's concern).
pub fn attribution_of(bytes: &[u8]) -> Attribution {
    if crate::commitment::is_leaf(bytes) {
        return Attribution::Hidden;
    }
    if is_index_entry(bytes) {
        return match IndexEntry::parse(bytes) {
            Ok(_) => Attribution::Index,
            Err(_) => Attribution::Unreadable,
        };
    }
    match crate::cose::peek_type_and_subject(bytes) {
        Some((ct, sub)) => classify(&ct, sub),
        None => Attribution::Unreadable,
    }
}

/// The attribution of a parsed statement (the same as [`attribution_of`]
/// its bytes).
pub fn attribution_of_statement(st: &Statement) -> Attribution {
    classify(&st.header().content_type, st.header().subject.clone())
}

fn classify(content_type: &str, subject: String) -> Attribution {
    match Kind::from_content_type(content_type) {
        None => Attribution::Unreadable,
        Some(k) if k.is_scheme_level() => Attribution::Scheme,
        Some(_) => Attribution::Facility(subject),
    }
}

/// The VRF input of the label a confidential ledger files its scheme-level
/// statements under, as if they were one more facility's: a public reader
/// cannot tell which list is the scheme's, nor which leaves are
/// scheme-level. No facility id can be this (ids hold no spaces).
pub const SCHEME_LIST: &str = "scheme-level statements";

/// What a confidential ledger labels a statement of attribution `a` by:
/// its facility's id, or [`SCHEME_LIST`] for a scheme-level statement.
pub fn label_input(a: &Attribution) -> Option<&str> {
    match a {
        Attribution::Facility(id) => Some(id),
        Attribution::Scheme => Some(SCHEME_LIST),
        _ => None,
    }
}

/// How the index names a facility's list: by the facility's id in a public
/// ledger; by its label ([`crate::commitment`]) in a confidential one.
#[derive(Clone, Default)]
pub enum Naming {
    /// By id.
    #[default]
    Ids,
    /// By label, computed with the ledger's VRF key (its writer).
    Labels(Arc<Labeler>),
    /// By labels proven to a verifier: id → label name (a pack's).
    Proven(Arc<HashMap<String, String>>),
}

/// Computes and remembers facilities' labels.
pub struct Labeler {
    key: crate::vrf::VrfSecretKey,
    names: Mutex<HashMap<String, String>>,
}

impl Naming {
    /// Labels under `key`.
    pub fn labels(key: crate::vrf::VrfSecretKey) -> Naming {
        Naming::Labels(Arc::new(Labeler {
            key,
            names: Mutex::new(HashMap::new()),
        }))
    }

    /// True when facilities are named by labels.
    pub fn is_labels(&self) -> bool {
        !matches!(self, Naming::Ids)
    }

    /// The name of facility `id`'s list; `None` when a verifier was given
    /// no label for it.
    pub fn name(&self, id: &str) -> Option<String> {
        match self {
            Naming::Ids => Some(id.to_string()),
            Naming::Labels(l) => {
                let mut names = l.names.lock().unwrap_or_else(|p| p.into_inner());
                Some(
                    names
                        .entry(id.to_string())
                        .or_insert_with(|| {
                            crate::commitment::label_name(&crate::commitment::label_only(
                                &l.key, id,
                            ))
                        })
                        .clone(),
                )
            }
            Naming::Proven(m) => m.get(id).cloned(),
        }
    }

    /// The VRF proof of facility `id`'s label (labels only).
    pub fn label_proof(&self, id: &str) -> Option<crate::vrf::VrfProof> {
        match self {
            Naming::Labels(l) => Some(crate::commitment::label(&l.key, id).1),
            _ => None,
        }
    }

    /// A statement's attribution, its facility named.
    pub fn attribution(&self, st: &Statement) -> Attribution {
        self.rename(attribution_of_statement(st))
    }

    /// Attribution `a` (by id) as the index holds it: a facility named by
    /// its list's name; under labels, a scheme-level statement filed under
    /// the label of [`SCHEME_LIST`], as one more facility's.
    pub fn rename(&self, a: Attribution) -> Attribution {
        match (&a, self.is_labels()) {
            (Attribution::Facility(_), _) | (Attribution::Scheme, true) => {
                let input = label_input(&a).expect("a facility or the scheme");
                self.name(input)
                    .map_or(Attribution::Unreadable, Attribution::Facility)
            }
            _ => a,
        }
    }
}

/// The digest of a list of log indexes: SHA-256(0x05 ‖ u64be(i₁) ‖ … ‖ u64be(iₙ)).
pub fn list_digest(entries: &[u64]) -> Hash {
    let mut l = EntryList::default();
    for &e in entries {
        l.push(e);
    }
    l.digest()
}

/// A list of log indexes with its running digest.
#[derive(Clone)]
struct EntryList {
    entries: Vec<u64>,
    hasher: Sha256,
}

impl Default for EntryList {
    fn default() -> Self {
        EntryList {
            entries: Vec::new(),
            hasher: Sha256::new_with_prefix([0x05]),
        }
    }
}

impl EntryList {
    fn push(&mut self, i: u64) {
        self.entries.push(i);
        self.hasher.update(i.to_be_bytes());
    }
    fn digest(&self) -> Hash {
        Hash::from_bytes(self.hasher.clone().finalize().into())
    }
}

/// How an index entry contradicts the leaves before it. Each names the index
/// entry (`at`) and what a proof of misbehaviour needs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// A leaf that looks like an index entry cannot be read as one, or a
    /// leaf is neither a statement nor an index entry.
    #[error("entry {at} is {0}", Attribution::Unreadable)]
    Unreadable {
        /// Its position.
        at: u64,
    },
    /// The index could not be computed here: a history resumed from a
    /// store lacked a path (not a fault of the log; no proof).
    #[error("index entry {at} cannot be checked: {reason}")]
    Unloaded {
        /// The index entry.
        at: u64,
        /// Why.
        reason: String,
    },
    /// `prev` is not the previous index entry.
    #[error("index entry {at} names {} as the previous index entry; it is {}", opt(*claimed), opt(*actual))]
    Prev {
        /// The index entry.
        at: u64,
        /// What it says.
        claimed: Option<u64>,
        /// What the log holds.
        actual: Option<u64>,
    },
    /// It attributes a different number of leaves than lie before it.
    #[error("index entry {at} attributes {claimed} entries; {actual} lie between it and the previous one")]
    Count {
        /// The index entry.
        at: u64,
        /// Leaves attributed.
        claimed: usize,
        /// Leaves there.
        actual: usize,
    },
    /// It attributes a leaf wrongly.
    #[error("index entry {at} says entry {entry} is {claimed}; it is {actual}")]
    Attribution {
        /// The index entry.
        at: u64,
        /// The leaf.
        entry: u64,
        /// What the index entry says.
        claimed: Attribution,
        /// What the leaf is.
        actual: Attribution,
    },
    /// Its commit is not the index of the leaves before it.
    #[error(
        "index entry {at} commits {}; the log's own attributions give {}",
        commit_text(claimed),
        commit_text(actual)
    )]
    Commit {
        /// The index entry.
        at: u64,
        /// What it commits.
        claimed: Box<Commit>,
        /// What the attributions before it give.
        actual: Box<Commit>,
    },
}

fn opt(p: Option<u64>) -> String {
    p.map_or_else(|| "none".to_string(), |p| format!("entry {p}"))
}

fn commit_text(c: &Commit) -> String {
    format!(
        "{} facilities (map root {}) and {} scheme-level statements (digest {})",
        c.facilities,
        c.map.to_hex(),
        c.scheme_entries,
        c.scheme.to_hex()
    )
}

impl Fault {
    /// The index entry at fault.
    pub fn at(&self) -> u64 {
        match self {
            Fault::Unreadable { at }
            | Fault::Unloaded { at, .. }
            | Fault::Prev { at, .. }
            | Fault::Count { at, .. }
            | Fault::Attribution { at, .. }
            | Fault::Commit { at, .. } => *at,
        }
    }
}

/// Whether [`History::push_index`] recomputes the facility map's root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Roots {
    /// Check every commit's map root (a monitor).
    Check,
    /// Check attributions, counts and the scheme digest only (a writer
    /// replaying its own log; the map root is computed when it commits).
    Skip,
}

/// Most attribution bytes a commit entry carries itself; more go into an
/// index entry before it, so the commit entry a pack carries stays small.
const COMMIT_ATTRIBUTIONS: usize = 256;

/// Largest estimated size of an index entry before the writer closes it:
/// the entry limit less room for one more statement (a 128-byte id).
const CHUNK_LIMIT: usize = 65_535 - 200 - 132;

/// The index the log keeps: every facility's entries, the scheme-level
/// entries, and the leaves not yet attributed by an index entry.
#[derive(Default)]
pub struct History {
    facilities: HashMap<String, EntryList>,
    scheme: EntryList,
    next: u64,
    last_index: Option<u64>,
    last_commit: Option<(u64, Commit)>,
    pending: Vec<Attribution>,
    pending_ids: HashSet<String>,
    pending_bytes: usize,
    map: Map,
    /// Facilities whose map leaf is behind their list.
    dirty: HashSet<String>,
    /// How many facilities have statements (the lists of a history resumed
    /// from a store are loaded on demand, so this is not `facilities.len()`).
    count: u64,
    /// Facilities whose list changed since [`History::take_changed`].
    changed: HashSet<String>,
}

/// One facility's committed history and its proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacilityHistory {
    /// The facility id.
    pub id: String,
    /// Its statements' log indexes, in order (empty if it has none).
    pub entries: Vec<u64>,
    /// The map proof for its key.
    pub proof: MapProof,
    /// In a confidential ledger, the VRF proof of the facility's label: the
    /// map's key is then that of the label's name, not of the id.
    pub label: Option<crate::vrf::VrfProof>,
}

impl FacilityHistory {
    /// The name the index gives the facility's list: its id, or the name
    /// of the label its proof gives (checked against the ledger's VRF key
    /// separately); `None` for a label proof that does not decode.
    pub fn name(&self) -> Option<String> {
        match &self.label {
            None => Some(self.id.clone()),
            Some(p) => p
                .to_hash()
                .ok()
                .map(|o| crate::commitment::label_name(&crate::commitment::label_of(&o))),
        }
    }
}

impl History {
    /// An empty log's index.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next leaf position.
    pub fn len(&self) -> u64 {
        self.next
    }

    /// True before any leaf.
    pub fn is_empty(&self) -> bool {
        self.next == 0
    }

    /// The latest commit entry's position and commit.
    pub fn last_commit(&self) -> Option<(u64, Commit)> {
        self.last_commit
    }

    /// The latest index entry's position.
    pub fn last_index(&self) -> Option<u64> {
        self.last_index
    }

    /// Leaves after the latest index entry (not yet attributed).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// A facility's statements so far.
    pub fn entries_of(&self, id: &str) -> &[u64] {
        self.facilities.get(id).map_or(&[], |l| &l.entries)
    }

    /// The scheme-level statements so far.
    pub fn scheme_entries(&self) -> &[u64] {
        &self.scheme.entries
    }

    /// Number of facilities with statements.
    pub fn facility_count(&self) -> u64 {
        self.count
    }

    /// Appends a leaf, classified by its bytes; an index entry is checked.
    pub fn push_leaf(&mut self, pos: u64, bytes: &[u8], roots: Roots) -> Result<(), Fault> {
        match attribution_of(bytes) {
            Attribution::Index => {
                // attribution_of parsed it already; parse cannot fail here.
                let e = IndexEntry::parse(bytes).map_err(|_| Fault::Unreadable { at: pos })?;
                self.push_index(pos, &e, roots)
            }
            a => {
                self.push_statement(pos, a);
                Ok(())
            }
        }
    }

    /// Appends a statement (or an unreadable leaf) at position `pos`, which
    /// must be [`History::len`].
    pub fn push_statement(&mut self, pos: u64, a: Attribution) {
        debug_assert_eq!(pos, self.next);
        self.file(pos, &a);
        self.pending_bytes += 2;
        self.pending.push(a);
        self.next = pos + 1;
    }

    /// Adds leaf `pos` to the list `a` names. A hidden leaf is filed when
    /// the index entry that attributes it is pushed.
    fn file(&mut self, pos: u64, a: &Attribution) {
        match a {
            Attribution::Facility(id) => {
                let list = self.facilities.entry(id.clone()).or_insert_with(|| {
                    self.count += 1;
                    EntryList::default()
                });
                list.push(pos);
                self.dirty.insert(id.clone());
                self.changed.insert(id.clone());
                if self.pending_ids.insert(id.clone()) {
                    self.pending_bytes += id.len() + 2;
                }
            }
            Attribution::Scheme => self.scheme.push(pos),
            Attribution::Index | Attribution::Unreadable | Attribution::Hidden => {}
        }
    }

    /// True when the writer should close an index entry before the next
    /// statement (the pending attributions fill most of an entry).
    pub fn chunk_full(&self) -> bool {
        self.pending_bytes + 200 > CHUNK_LIMIT
    }

    /// Brings the facility map up to the facilities' lists.
    pub fn sync_map(&mut self) -> Result<(), MapError> {
        for id in self.dirty.drain() {
            if let Some(l) = self.facilities.get(&id) {
                self.map.insert(MapLeaf {
                    key: key_of(&id),
                    count: l.entries.len() as u64,
                    digest: l.digest(),
                })?;
            }
        }
        Ok(())
    }

    /// What a commit entry appended now must state. Fails only for a
    /// history resumed from a store whose touched facilities were not
    /// loaded first.
    pub fn commit_now(&mut self) -> Result<Commit, MapError> {
        self.sync_map()?;
        Ok(Commit {
            map: self.map.root(),
            facilities: self.count,
            scheme: self.scheme.digest(),
            scheme_entries: self.scheme.entries.len() as u64,
        })
    }

    /// The index entry the writer appends next (at [`History::len`]),
    /// attributing the pending leaves; with `commit`, it also commits.
    pub fn next_entry(&mut self, commit: bool) -> Result<(u64, Vec<u8>), IndexEntryError> {
        let e = IndexEntry {
            prev: self.last_index,
            of: self.pending.clone(),
            commit: match commit {
                true => Some(
                    self.commit_now()
                        .map_err(|e| IndexEntryError(e.to_string()))?,
                ),
                false => None,
            },
        };
        let bytes = e.to_bytes()?;
        let pos = self.next;
        self.push_index(pos, &e, Roots::Skip)
            .map_err(|f| IndexEntryError(f.to_string()))?;
        Ok((pos, bytes))
    }

    /// The index entries that close a commit: the commit entry, preceded by
    /// an index entry for the pending attributions when they would make the
    /// commit entry (which every pack carries) larger than a few hundred bytes.
    pub fn commit_entries(&mut self) -> Result<Vec<(u64, Vec<u8>)>, IndexEntryError> {
        let mut out = Vec::with_capacity(2);
        if self.pending_bytes > COMMIT_ATTRIBUTIONS {
            out.push(self.next_entry(false)?);
        }
        out.push(self.next_entry(true)?);
        Ok(out)
    }

    /// Appends an index entry at `pos`, checking it against the leaves it
    /// attributes (and its commit against everything before it).
    pub fn push_index(&mut self, pos: u64, e: &IndexEntry, roots: Roots) -> Result<(), Fault> {
        if e.prev != self.last_index {
            return Err(Fault::Prev {
                at: pos,
                claimed: e.prev,
                actual: self.last_index,
            });
        }
        if e.of.len() != self.pending.len() {
            return Err(Fault::Count {
                at: pos,
                claimed: e.of.len(),
                actual: self.pending.len(),
            });
        }
        let first = pos - self.pending.len() as u64;
        for (k, (claimed, actual)) in e.of.iter().zip(&self.pending).enumerate() {
            // A reader without the openings checks that a hidden leaf is
            // attributed to some list, and files it there.
            let hidden = *actual == Attribution::Hidden
                && matches!(claimed, Attribution::Facility(_) | Attribution::Scheme);
            if claimed != actual && !hidden {
                return Err(Fault::Attribution {
                    at: pos,
                    entry: first + k as u64,
                    claimed: claimed.clone(),
                    actual: actual.clone(),
                });
            }
        }
        let hidden: Vec<(u64, Attribution)> =
            e.of.iter()
                .zip(&self.pending)
                .enumerate()
                .filter(|(_, (_, a))| **a == Attribution::Hidden)
                .map(|(k, (c, _))| (first + k as u64, c.clone()))
                .collect();
        for (at, a) in &hidden {
            self.file(*at, a);
        }
        if let Some(claimed) = e.commit {
            let mut actual = Commit {
                map: claimed.map,
                facilities: self.count,
                scheme: self.scheme.digest(),
                scheme_entries: self.scheme.entries.len() as u64,
            };
            if roots == Roots::Check {
                actual.map = self
                    .commit_now()
                    .map_err(|e| Fault::Unloaded {
                        at: pos,
                        reason: e.to_string(),
                    })?
                    .map;
            }
            if claimed != actual {
                return Err(Fault::Commit {
                    at: pos,
                    claimed: Box::new(claimed),
                    actual: Box::new(actual),
                });
            }
            self.last_commit = Some((pos, claimed));
        }
        self.pending.clear();
        self.pending_ids.clear();
        self.pending_bytes = 0;
        self.last_index = Some(pos);
        self.next = pos + 1;
        Ok(())
    }

    /// A facility's committed history and the map proof for it, against the
    /// map as of the latest commit entry (call right after it).
    pub fn prove(&mut self, id: &str) -> Result<FacilityHistory, MapError> {
        self.sync_map()?;
        Ok(FacilityHistory {
            id: id.to_string(),
            entries: self.entries_of(id).to_vec(),
            proof: self.map.prove(&key_of(id))?,
            label: None,
        })
    }
}

#[cfg(test)]
mod tests;
