//! Monitors: replay a ledger's log, check every index entry against the
//! leaves it attributes and every commit against the index they imply, and
//! write a self-contained proof when the log lied (FORMATS.md §19).
//!
//! A monitor keeps a state file (the tree's right edge, the index so far,
//! the log key) and resumes from it: the saved edge extended by the new
//! leaves must hash to the new checkpoint's root, so a log that rewrote
//! what the monitor has seen is caught without a separate consistency proof.

use std::path::Path;

use ciborium::Value;

use crate::cbor;
use crate::cose::Statement;
use crate::history::{
    attribution_of, is_index_entry, Attribution, Fault, History, IndexEntry, Roots,
};
use crate::merkle::Hash;
use crate::note::Policy;
use crate::note::{SignedCheckpoint, VerifierKey};
use crate::record::Kind;
use crate::store::{
    read_checkpoint_bytes, DirTree, OpenTree, PublicTree, RightEdge, Snapshot, StoreError,
};
use crate::verify::{Misbehaviour, ProvenEntry};

/// The state file's type string.
pub const MONITOR_STATE_TYPE: &str = "triage-ledger/monitor-state@1";

/// What a monitor remembers between runs.
pub struct MonitorState {
    /// The log's verifier key (pinned at the first run).
    pub vkey: String,
    /// The tree checked so far.
    pub edge: RightEdge,
    /// Its root.
    pub root: Hash,
    /// The index replayed so far.
    pub history: History,
}

/// A statement of the watched facility.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watched {
    /// Its log index.
    pub index: u64,
    /// Its record kind.
    pub kind: String,
    /// Its signer (`iss`).
    pub issuer: String,
    /// Its `iat`.
    pub issued_at: u64,
}

/// What one run found.
#[derive(Debug)]
pub struct MonitorRun {
    /// The log's origin.
    pub origin: String,
    /// First leaf read this run.
    pub from: u64,
    /// The checkpoint's tree size.
    pub to: u64,
    /// Index entries checked this run.
    pub index_entries: u64,
    /// Commits among them (each map root recomputed).
    pub commits: u64,
    /// Facilities in the index.
    pub facilities: u64,
    /// Leaves after the last index entry (not yet committed).
    pub pending: usize,
    /// New statements of the watched facility.
    pub watched: Vec<Watched>,
    /// Statements read as commitments this run (a confidential ledger's
    /// public tree): no facility can be recognised among them.
    pub hidden: u64,
    /// The index names lists by labels (a confidential ledger's, seen
    /// through its commitments or opened by its operator): its lists are
    /// the facilities' and one for the scheme-level statements.
    pub labelled: bool,
    /// The first lie found.
    pub fault: Option<Fault>,
    /// Its proof.
    pub proof: Option<Misbehaviour>,
    /// The log's freeze note, if it is frozen (FORMATS §28).
    pub frozen: Option<crate::note::Frozen>,
    /// The key hand-overs followed since the pinned key (FORMATS §28).
    pub rotations: Vec<crate::note::Rotation>,
}

/// Why a monitor could not run.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The ledger could not be read, or its leaves do not extend what the
    /// monitor saw to its checkpoint.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The state file is unreadable.
    #[error("monitor state: {0}")]
    State(String),
    /// A tree that is not a ledger directory, with no key to check it by.
    #[error("no log key to check this tree's checkpoint with: no verifier key or trust policy was given, and no saved state pinned one")]
    NoKey,
    /// The ledger's log key is not the one the state pinned.
    #[error("the ledger's log key {found} is not the key this monitor pinned, {pinned}")]
    Key {
        /// From the state.
        pinned: String,
        /// From the ledger.
        found: String,
    },
    /// The ledger's checkpoint does not satisfy the trust policy (log key,
    /// witness quorum).
    #[error("trust policy: {0}")]
    Trust(String),
    /// The ledger's checkpoint is older than what the monitor checked.
    #[error("the ledger's checkpoint (tree size {now}) is behind the tree this monitor checked (size {seen}): the log was rolled back, or this is another copy")]
    Behind {
        /// Checked before.
        seen: u64,
        /// The checkpoint's.
        now: u64,
    },
    /// The log signed past its own freeze note (both are signed by its
    /// key: keep them, they are the proof).
    #[error("MISBEHAVIOUR: {0}; keep the freeze note and the checkpoint: both are signed by the log's key")]
    PastFreeze(String),
    /// The saved tree is not a prefix of the ledger's tree.
    #[error("the ledger's entries do not extend the tree this monitor checked (size {size}, root {root}): the log rewrote its history. Keep the state file and the ledger's checkpoint: both are signed views")]
    Fork {
        /// Checked before.
        size: u64,
        /// Its root.
        root: String,
    },
}

impl MonitorError {}

impl crate::class::Classify for MonitorError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            MonitorError::Store(e) => e.class(),
            MonitorError::State(_) | MonitorError::NoKey => Class::BadInput,
            _ => Class::VerificationFailed,
        }
    }
}

/// The rotation notes of `tree` (`rotations/0001`, …) that hand over from
/// `pinned`, in order: each one's old key is the previous one's new key.
/// A note that does not open is an error; notes of other keys are passed.
fn follow_rotations(
    tree: &dyn PublicTree,
    pinned: &VerifierKey,
) -> Result<Vec<crate::note::Rotation>, MonitorError> {
    let mut chain: Vec<crate::note::Rotation> = Vec::new();
    let mut current = pinned.clone();
    for n in 1..=9999u32 {
        let rel = format!("rotations/{n:04}");
        let Some(bytes) = tree.get(&rel)? else { break };
        let note =
            crate::note::SignedRotation::open(&bytes).map_err(|source| StoreError::Note {
                path: tree.locate(&rel),
                source,
            })?;
        let r = note.rotation();
        if r.old == current {
            current = r.new.clone();
            chain.push(r.clone());
        }
    }
    Ok(chain)
}

/// Replays the ledger from `state` (or from the start) to its checkpoint.
/// Returns what it found and, if the log told no lie, the state to resume
/// from. With `policy` (a tlog-policy: the log keys to accept and the
/// witness quorum), the ledger's checkpoint must be signed by one of its
/// logs and carry its quorum of cosignatures, so the monitor checks the
/// tree the witnesses saw; a state pins the log key it was made with.
/// `watch` names a facility whose new statements to list.
pub fn monitor(
    ledger: &Path,
    state: Option<MonitorState>,
    policy: Option<&Policy>,
    watch: Option<&str>,
) -> Result<(MonitorRun, Option<MonitorState>), MonitorError> {
    let l = Snapshot::open(ledger)?;
    let tree = DirTree::new(l.layout().log_dir());
    // The ledger's own operator monitors a confidential ledger with its
    // openings and VRF key: each statement's attribution is then checked
    // against the statement itself, as for a public ledger (the privileged
    // monitor); without them, against nothing but the index's structure.
    let private = match l.layout().is_confidential() {
        true => crate::store::confidential::read_label_secret(l.layout())
            .ok()
            .map(|k| (l.layout().clone(), crate::history::Naming::labels(k))),
        false => None,
    };
    monitor_with(&tree, Some(l.vkey().clone()), state, policy, watch, private)
}

/// [`monitor`] of a public tree wherever it is (a directory, a URL). The
/// checkpoint is checked with `key` (a ledger's own), else with the
/// policy's log key, else with the key the state pinned.
pub fn monitor_tree(
    tree: &dyn PublicTree,
    key: Option<VerifierKey>,
    state: Option<MonitorState>,
    policy: Option<&Policy>,
    watch: Option<&str>,
) -> Result<(MonitorRun, Option<MonitorState>), MonitorError> {
    monitor_with(tree, key, state, policy, watch, None)
}

/// [`monitor_tree`], opening each commitment leaf of a confidential
/// ledger with the openings in `private`'s layout and naming facilities
/// with its labels.
fn monitor_with(
    tree: &dyn PublicTree,
    key: Option<VerifierKey>,
    state: Option<MonitorState>,
    policy: Option<&Policy>,
    watch: Option<&str>,
    private: Option<(crate::store::Layout, crate::history::Naming)>,
) -> Result<(MonitorRun, Option<MonitorState>), MonitorError> {
    let bytes = read_checkpoint_bytes(tree)?;
    let pinned = match &state {
        Some(s) => Some(
            VerifierKey::parse(&s.vkey).map_err(|e| MonitorError::State(format!("vkey: {e}")))?,
        ),
        None => None,
    };
    // The log key's rotation notes, followed from the key this monitor
    // pinned: a hand-over both keys signed moves the pin (FORMATS §28).
    let handovers = match &pinned {
        Some(p) => follow_rotations(tree, p)?,
        None => Vec::new(),
    };
    let key = key
        .or_else(|| {
            policy.and_then(|p| {
                p.logs()
                    .iter()
                    .find(|k| SignedCheckpoint::open(&bytes, k).is_ok())
                    .cloned()
            })
        })
        .or_else(|| handovers.last().map(|r| r.new.clone()))
        .or(pinned.clone())
        .ok_or(MonitorError::NoKey)?;
    let vkey = key.to_string();
    if let Some(p) = policy {
        let cp = p
            .open_checkpoint(&bytes)
            .map_err(|e| MonitorError::Trust(e.to_string()))?;
        if p.needs_cosignatures() {
            let q = p
                .check_quorum(&cp)
                .map_err(|e| MonitorError::Trust(e.to_string()))?;
            if !q.met {
                return Err(MonitorError::Trust(format!(
                    "the checkpoint (tree size {}) lacks the witness quorum the policy needs ({}): attach cosignatures first",
                    cp.root().size(),
                    p.describe_quorum()
                )));
            }
        }
    }
    let cp = SignedCheckpoint::open(&bytes, &key).map_err(|source| StoreError::Note {
        path: tree.locate("checkpoint"),
        source,
    })?;
    // A frozen log says so in a note beside its checkpoint; a checkpoint
    // past it (or beside it) is the log's own contradiction.
    let frozen = match tree.get("frozen")? {
        None => None,
        Some(b) => Some(
            crate::note::SignedFrozen::open(&b, &key)
                .map_err(|source| StoreError::Note {
                    path: tree.locate("frozen"),
                    source,
                })?
                .frozen()
                .clone(),
        ),
    };
    if let Some(why) = frozen.as_ref().and_then(|f| f.contradicted_by(&cp)) {
        return Err(MonitorError::PastFreeze(why));
    }
    let open = OpenTree::at(tree, cp.clone());
    let size = cp.root().size();
    let mut run_rotations = Vec::new();
    let (edge, mut history) = match state {
        None => (RightEdge::new(), History::new()),
        Some(s) => {
            if s.vkey != vkey {
                // Accepted if the pinned key handed over to it, and did
                // not sign past its hand-over.
                let Some(at) = handovers.iter().position(|r| r.new == key) else {
                    return Err(MonitorError::Key {
                        pinned: s.vkey,
                        found: vkey,
                    });
                };
                let first = &handovers[0];
                if s.edge.size() > first.root.size() {
                    return Err(MonitorError::Trust(format!(
                        "this monitor checked tree size {} under {}, but that key handed over at tree size {}: it signed past its hand-over",
                        s.edge.size(),
                        first.old,
                        first.root.size()
                    )));
                }
                run_rotations = handovers[..=at].to_vec();
            }
            if s.edge.size() > size {
                return Err(MonitorError::Behind {
                    seen: s.edge.size(),
                    now: size,
                });
            }
            (s.edge, s.history)
        }
    };
    let (from, old_root) = (edge.size(), edge.root());
    let mut run = MonitorRun {
        origin: cp.checkpoint().origin().to_string(),
        from,
        to: size,
        index_entries: 0,
        commits: 0,
        facilities: 0,
        pending: 0,
        watched: Vec::new(),
        hidden: 0,
        labelled: private.is_some(),
        fault: None,
        proof: None,
        frozen,
        rotations: run_rotations,
    };
    let mut openings = private
        .as_ref()
        .map(|(layout, _)| crate::store::confidential::Openings::new(layout, size));
    let walked = open.for_each_entry_from(edge, |i, leaf| {
        if run.fault.is_some() {
            return Ok(());
        }
        let opened;
        let bytes = match openings.as_mut() {
            Some(o) => {
                opened = o.open(i, leaf)?;
                &opened[..]
            }
            None => leaf,
        };
        if is_index_entry(bytes) {
            let r = match IndexEntry::parse(bytes) {
                Ok(e) => {
                    run.index_entries += 1;
                    run.commits += u64::from(e.commit.is_some());
                    history.push_index(i, &e, Roots::Check)
                }
                Err(_) => Err(Fault::Unreadable { at: i }),
            };
            run.fault = r.err();
            return Ok(());
        }
        let a = attribution_of(bytes);
        run.hidden += u64::from(a == Attribution::Hidden);
        if let (Some(w), Attribution::Facility(id)) = (watch, &a) {
            if id == w {
                // Only the watched facility's statements are parsed whole.
                let st = Statement::parse(bytes).ok();
                let h = st.as_ref().map(|s| s.header());
                run.watched.push(Watched {
                    index: i,
                    kind: h
                        .and_then(|h| Kind::from_content_type(&h.content_type))
                        .map_or("unreadable statement", |k| k.name())
                        .to_string(),
                    issuer: h.map_or(String::new(), |h| h.issuer.clone()),
                    issued_at: h.map_or(0, |h| h.issued_at),
                });
            }
        }
        // A confidential ledger's index names the facility by its label.
        let a = match &private {
            Some((_, naming)) => naming.rename(a),
            None => a,
        };
        history.push_statement(i, a);
        Ok(())
    });
    let edge = match walked {
        Ok(edge) => edge,
        Err(StoreError::Corrupt { .. }) if from > 0 => {
            return Err(MonitorError::Fork {
                size: from,
                root: old_root.to_base64(),
            })
        }
        Err(e) => return Err(e.into()),
    };
    run.facilities = history.facility_count();
    run.labelled |= run.hidden > 0;
    run.pending = history.pending();
    if let Some(f) = &run.fault {
        // An unreadable leaf that looks like an index entry breaks the
        // format; it contradicts no other signed object, so there is no
        // offline proof to write (the monitor still fails).
        // A misattribution seen through the openings is shown by the index
        // entry and the commitment leaf it misfiles, opened: the statement,
        // its salt and its facility's label proof, nothing else.
        match (f, &private) {
            (Fault::Attribution { at, entry, .. }, Some((layout, naming))) => {
                let mut opened = proven(&open, *entry)?;
                let mut openings = crate::store::confidential::Openings::new(layout, size);
                if let Some(o) = openings.opening(*entry, &opened.bytes)? {
                    let label = Statement::parse(&o.statement).ok().and_then(|st| {
                        let a = crate::history::attribution_of_statement(&st);
                        crate::history::label_input(&a).and_then(|id| naming.label_proof(id))
                    });
                    opened.opening = Some(crate::verify::OpenedLeaf {
                        salt: o.salt,
                        statement: o.statement,
                        label,
                    });
                }
                run.proof = Some(Misbehaviour {
                    checkpoint: open.checkpoint().to_bytes(),
                    entries: vec![proven(&open, *at)?, opened],
                });
            }
            (Fault::Unreadable { .. } | Fault::Unloaded { .. }, _) => {}
            _ => run.proof = Some(prove(&open, f)?),
        }
        return Ok((run, None));
    }
    let root = *cp.root().hash();
    Ok((
        run,
        Some(MonitorState {
            vkey,
            edge,
            root,
            history,
        }),
    ))
}

fn proven(l: &OpenTree, index: u64) -> Result<ProvenEntry, StoreError> {
    Ok(ProvenEntry {
        index,
        bytes: l.read_entry(index)?,
        path: l.prove_inclusion(index)?.path().to_vec(),
        opening: None,
    })
}

/// The entries that show a fault, against the ledger's checkpoint.
fn prove(l: &OpenTree, fault: &Fault) -> Result<Misbehaviour, StoreError> {
    let at = fault.at();
    let mut entries = vec![proven(l, at)?];
    match fault {
        Fault::Unreadable { .. } | Fault::Unloaded { .. } | Fault::Count { .. } => {}
        Fault::Attribution { entry, .. } => entries.push(proven(l, *entry)?),
        Fault::Prev {
            claimed, actual, ..
        } => {
            // A claimed previous entry later than the real one is a leaf
            // that is no index entry; an earlier (or none) leaves the real
            // one inside the attributed range.
            let shown = match (claimed, actual) {
                // Not an earlier leaf: the entry alone shows it.
                (Some(c), _) if *c >= at => None,
                (Some(c), Some(a)) if c > a => Some(*c),
                (Some(c), None) => Some(*c),
                (_, a) => *a,
            };
            if let Some(s) = shown {
                entries.push(proven(l, s)?);
            }
        }
        Fault::Commit { .. } => {
            // The whole chain of index entries, latest first.
            let mut prev = IndexEntry::parse(&entries[0].bytes)
                .ok()
                .and_then(|e| e.prev);
            while let Some(p) = prev {
                let e = proven(l, p)?;
                prev = IndexEntry::parse(&e.bytes).ok().and_then(|x| x.prev);
                entries.push(e);
            }
        }
    }
    Ok(Misbehaviour {
        checkpoint: l.checkpoint().to_bytes(),
        entries,
    })
}

impl MonitorState {
    /// Encodes the state (deterministic CBOR).
    pub fn to_bytes(&self) -> Result<Vec<u8>, MonitorError> {
        let t = |s: &str| Value::Text(s.into());
        let edge = self
            .edge
            .levels()
            .iter()
            .map(|l| {
                Value::Array(
                    l.iter()
                        .map(|h| Value::Bytes(h.as_bytes().to_vec()))
                        .collect(),
                )
            })
            .collect();
        cbor::encode(&Value::Map(vec![
            (t("type"), t(MONITOR_STATE_TYPE)),
            (t("vkey"), t(&self.vkey)),
            (t("size"), Value::Integer(self.edge.size().into())),
            (t("root"), Value::Bytes(self.root.as_bytes().to_vec())),
            (t("edge"), Value::Array(edge)),
            (t("history"), self.history.to_value()),
        ]))
        .map_err(|e| MonitorError::State(e.to_string()))
    }

    /// Saves the state durably: written beside `path`, fsynced, renamed into
    /// place, the directory fsynced, so a crash leaves the old state or the
    /// new one.
    pub fn save(&self, path: &Path) -> Result<(), MonitorError> {
        let bytes = self.to_bytes()?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        crate::store::fsio::AtomicWriter::new(dir)?.write(path, &bytes, true)?;
        Ok(())
    }

    /// Decodes a state file; the edge must hash to the saved root.
    pub fn parse(bytes: &[u8]) -> Result<MonitorState, MonitorError> {
        let bad = |m: &str| MonitorError::State(m.to_string());
        let v = cbor::decode_with_limit(bytes, 1 << 30).map_err(|e| bad(&e.to_string()))?;
        let Value::Map(m) = v else {
            return Err(bad("not a map"));
        };
        let get = |k: &str| crate::cbor::get(&m, k);
        if get("type").and_then(Value::as_text) != Some(MONITOR_STATE_TYPE) {
            return Err(bad(&format!("not a {MONITOR_STATE_TYPE} file")));
        }
        // Exactly the keys it writes: a state has one encoding.
        const KEYS: [&str; 6] = ["type", "vkey", "size", "root", "edge", "history"];
        if m.len() != KEYS.len() || KEYS.iter().any(|k| get(k).is_none()) {
            return Err(bad(&format!(
                "expected exactly the keys {}",
                KEYS.join(", ")
            )));
        }
        let vkey = get("vkey")
            .and_then(Value::as_text)
            .ok_or_else(|| bad("no vkey"))?
            .to_string();
        let size = get("size")
            .and_then(Value::as_integer)
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| bad("no size"))?;
        let root = get("root")
            .and_then(Value::as_bytes)
            .and_then(|b| Hash::from_slice(b).ok())
            .ok_or_else(|| bad("no root"))?;
        let levels = get("edge")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no edge"))?
            .iter()
            .map(|l| {
                l.as_array()?
                    .iter()
                    .map(|h| h.as_bytes().and_then(|b| Hash::from_slice(b).ok()))
                    .collect::<Option<Vec<_>>>()
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("bad edge"))?;
        let edge = RightEdge::from_levels(size, levels).ok_or_else(|| bad("bad edge"))?;
        if edge.root() != root {
            return Err(bad("the saved tree edge does not hash to the saved root"));
        }
        let history = History::from_value(get("history").ok_or_else(|| bad("no history"))?)
            .map_err(|e| bad(&e))?;
        if history.len() != size {
            return Err(bad("the saved index does not cover the saved tree"));
        }
        Ok(MonitorState {
            vkey,
            edge,
            root,
            history,
        })
    }
}

#[cfg(test)]
mod tests;
