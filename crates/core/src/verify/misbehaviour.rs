//! Proofs that a log lied about its own index: log-signed objects that
//! contradict each other, checked offline (FORMATS.md §19).
//!
//! ```cddl
//! misbehaviour = {
//!   "type": "triage-ledger/misbehaviour@1",
//!   "checkpoint": bstr,                      ; a checkpoint signed by the log
//!   "entries": [+ [uint, bstr, [* bstr], ? opening]], ; (position, leaf bytes, inclusion path in the checkpoint's tree)
//! }
//! opening = [bstr .size 32, bstr, ? bstr .size 80]  ; a confidential log's commitment leaf opened:
//!                                                     ; salt, statement, VRF proof of its facility's label
//! ```
//!
//! The first entry is the index entry at fault; the others are what it
//! contradicts: a leaf it attributes wrongly, the leaf it names as the
//! previous index entry, or (for a false commit) the chain of every earlier
//! index entry, from which the verifier recomputes the index.

use ciborium::Value;

use super::{Report, Trust};
use crate::cbor;
use crate::history::{attribution_of, Attribution, Commit, History, IndexEntry, Roots};
use crate::merkle::{leaf_hash, Hash, InclusionProof};

/// The type string.
pub const MISBEHAVIOUR_TYPE: &str = "triage-ledger/misbehaviour@1";

/// One log leaf with its inclusion path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvenEntry {
    /// Its position.
    pub index: u64,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its inclusion path in the checkpoint's tree.
    pub path: Vec<Hash>,
    /// For a confidential log's commitment leaf: what opens it, so that its
    /// attribution can be read (FORMATS §27).
    pub opening: Option<OpenedLeaf>,
}

/// A commitment leaf opened: the statement, its salt, and the VRF proof of
/// its facility's label (none for a scheme-level statement).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedLeaf {
    /// The salt.
    pub salt: [u8; crate::commitment::SALT_LEN],
    /// The statement.
    pub statement: Vec<u8>,
    /// The label proof of the statement's facility.
    pub label: Option<crate::vrf::VrfProof>,
}

/// A proof of misbehaviour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Misbehaviour {
    /// The checkpoint note.
    pub checkpoint: Vec<u8>,
    /// The index entry at fault first, then what it contradicts.
    pub entries: Vec<ProvenEntry>,
}

impl Misbehaviour {
    /// Encodes (deterministic CBOR).
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let t = |s: &str| Value::Text(s.into());
        let entries = self
            .entries
            .iter()
            .map(|e| {
                let mut a = vec![
                    Value::Integer(e.index.into()),
                    Value::Bytes(e.bytes.clone()),
                    Value::Array(
                        e.path
                            .iter()
                            .map(|h| Value::Bytes(h.as_bytes().to_vec()))
                            .collect(),
                    ),
                ];
                if let Some(o) = &e.opening {
                    let mut opened = vec![
                        Value::Bytes(o.salt.to_vec()),
                        Value::Bytes(o.statement.clone()),
                    ];
                    if let Some(p) = &o.label {
                        opened.push(Value::Bytes(p.as_bytes().to_vec()));
                    }
                    a.push(Value::Array(opened));
                }
                Value::Array(a)
            })
            .collect();
        cbor::encode(&Value::Map(vec![
            (t("type"), t(MISBEHAVIOUR_TYPE)),
            (t("checkpoint"), Value::Bytes(self.checkpoint.clone())),
            (t("entries"), Value::Array(entries)),
        ]))
        .map_err(|e| e.to_string())
    }

    /// Decodes, refusing anything but this structure.
    pub fn parse(bytes: &[u8]) -> Result<Misbehaviour, String> {
        let v = cbor::decode_with_limit(bytes, super::MAX_PACK_SIZE).map_err(|e| e.to_string())?;
        let Value::Map(m) = v else {
            return Err("not a map".into());
        };
        let get = |k: &str| crate::cbor::get(&m, k);
        if m.len() != 3 || get("type").and_then(Value::as_text) != Some(MISBEHAVIOUR_TYPE) {
            return Err(format!(
                "not a {MISBEHAVIOUR_TYPE} (exactly type, checkpoint, entries)"
            ));
        }
        let checkpoint = get("checkpoint")
            .and_then(Value::as_bytes)
            .ok_or("no checkpoint")?
            .clone();
        let entries = get("entries")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .ok_or("no entries")?
            .iter()
            .map(|e| {
                let a = e
                    .as_array()
                    .filter(|a| a.len() == 3 || a.len() == 4)
                    .ok_or("bad entry")?;
                let index = a[0]
                    .as_integer()
                    .and_then(|i| u64::try_from(i).ok())
                    .ok_or("bad entry index")?;
                let bytes = a[1].as_bytes().ok_or("bad entry bytes")?.clone();
                let path = a[2]
                    .as_array()
                    .filter(|p| p.len() <= 64)
                    .ok_or("bad entry path")?
                    .iter()
                    .map(|h| {
                        h.as_bytes()
                            .and_then(|b| Hash::from_slice(b).ok())
                            .ok_or("bad path hash")
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let opening = match a.get(3) {
                    None => None,
                    Some(o) => {
                        let o = o
                            .as_array()
                            .filter(|o| o.len() == 2 || o.len() == 3)
                            .ok_or("bad opening")?;
                        let salt = o[0]
                            .as_bytes()
                            .and_then(|b| {
                                <[u8; crate::commitment::SALT_LEN]>::try_from(b.as_slice()).ok()
                            })
                            .ok_or("bad opening salt")?;
                        let statement = o[1].as_bytes().ok_or("bad opening statement")?.clone();
                        let label = match o.get(2) {
                            None => None,
                            Some(p) => Some(
                                p.as_bytes()
                                    .and_then(|b| crate::vrf::VrfProof::from_slice(b).ok())
                                    .ok_or("bad label proof")?,
                            ),
                        };
                        Some(OpenedLeaf {
                            salt,
                            statement,
                            label,
                        })
                    }
                };
                Ok(ProvenEntry {
                    index,
                    bytes,
                    path,
                    opening,
                })
            })
            .collect::<Result<Vec<_>, &str>>()?;
        Ok(Misbehaviour {
            checkpoint,
            entries,
        })
    }
}

/// Checks a proof of misbehaviour offline: the checkpoint against the trust
/// policy's log keys, each entry's inclusion, then the contradiction. The
/// report verifies only if every part holds and the contradiction is shown.
pub fn verify_misbehaviour(m: &Misbehaviour, trust: &Trust) -> Report {
    let mut r = Report::default();
    let cp = match trust.policy.open_checkpoint(&m.checkpoint) {
        Ok(cp) => cp,
        Err(e) => {
            r.check("checkpoint", false, e.to_string());
            return r;
        }
    };
    let origin = cp.checkpoint().origin().to_string();
    r.check(
        "checkpoint",
        true,
        format!(
            "signed by log {origin}, tree size {}, root {}",
            cp.root().size(),
            cp.root().hash()
        ),
    );
    let mut all_in = true;
    for e in &m.entries {
        let proof = InclusionProof::new(e.index, cp.root().size(), e.path.clone());
        match proof.verify(&leaf_hash(&e.bytes), cp.root()) {
            Ok(()) => r.check(
                format!("entry {}: in the log", e.index),
                true,
                format!("in the checkpoint's tree (size {})", cp.root().size()),
            ),
            Err(err) => {
                all_in = false;
                r.check(
                    format!("entry {}: in the log", e.index),
                    false,
                    err.to_string(),
                )
            }
        }
    }
    if !all_in {
        r.check(
            "misbehaviour",
            false,
            "not shown: an entry is not in the checkpoint's tree",
        );
        return r;
    }
    // An opened commitment must open its leaf; its attribution is then the
    // statement's, its facility named by the label proven under the trust
    // directory's VRF key.
    let mut opened = std::collections::HashMap::new();
    for e in &m.entries {
        let Some(o) = &e.opening else { continue };
        match open_attribution(e, o, trust) {
            Ok(a) => {
                r.check(
                    format!("entry {}: opened", e.index),
                    true,
                    format!("the statement and salt given make its commitment leaf: {a}"),
                );
                opened.insert(e.index, a);
            }
            Err(why) => {
                r.check(format!("entry {}: opened", e.index), false, why);
                r.check("misbehaviour", false, "not shown: an opening does not hold");
                return r;
            }
        }
    }
    match contradiction(&m.entries, &opened) {
        Some(what) => r.check(
            "misbehaviour",
            true,
            format!("PROVEN: log {origin} signed contradicting entries: {what}"),
        ),
        None => r.check(
            "misbehaviour",
            false,
            "not shown: these entries do not contradict each other",
        ),
    }
    r.not_checked.push(
        "anything else about this log: a proof of misbehaviour shows one lie, not what else is true".into(),
    );
    r
}

/// The attribution an opened commitment leaf shows, its facility named by
/// its proven label.
fn open_attribution(e: &ProvenEntry, o: &OpenedLeaf, trust: &Trust) -> Result<Attribution, String> {
    if !crate::commitment::is_leaf(&e.bytes)
        || crate::commitment::leaf(&o.salt, &o.statement)[..] != e.bytes[..]
    {
        return Err(format!(
            "the statement and salt given do not make entry {}'s commitment leaf",
            e.index
        ));
    }
    let st =
        crate::cose::Statement::parse(&o.statement).map_err(|e| format!("the statement: {e}"))?;
    // A confidential log files a scheme-level statement under the label
    // of the scheme's list, as it files a facility's under the facility's.
    let a = crate::history::attribution_of_statement(&st);
    match crate::history::label_input(&a) {
        Some(id) => {
            let lk = trust.labels.as_ref().ok_or(
                "the trust directory holds no labels.vrf to check the statement's label with",
            )?;
            let p = o
                .label
                .as_ref()
                .ok_or("no label proof for the statement's facility (or the scheme's list)")?;
            let l = crate::commitment::check_label(&lk.key, id, p)
                .map_err(|e| format!("the label of {id}: {e}"))?;
            Ok(Attribution::Facility(crate::commitment::label_name(&l)))
        }
        None => Ok(a),
    }
}

/// The contradiction the entries show, in words; `None` if they show none.
fn contradiction(
    entries: &[ProvenEntry],
    opened: &std::collections::HashMap<u64, Attribution>,
) -> Option<String> {
    let first = entries.first()?;
    let at = first.index;
    // Only an index entry can lie about the index.
    let e = IndexEntry::parse(&first.bytes).ok()?;
    let start = match e.prev {
        Some(p) if p >= at => {
            return Some(format!(
                "index entry {at} names entry {p}, not an earlier one, as the previous index entry"
            ))
        }
        Some(p) => p + 1,
        None => 0,
    };
    if e.of.len() as u64 != at - start {
        return Some(format!(
            "index entry {at} attributes {} entries, but {} lie between it and {}",
            e.of.len(),
            at - start,
            e.prev
                .map_or("the start of the log".to_string(), |p| format!("entry {p}"))
        ));
    }
    for o in &entries[1..] {
        let actual = opened
            .get(&o.index)
            .cloned()
            .unwrap_or_else(|| attribution_of(&o.bytes));
        if o.index >= start && o.index < at {
            let claimed = &e.of[(o.index - start) as usize];
            if *claimed != actual {
                return Some(format!(
                    "index entry {at} says entry {} is {claimed}; entry {} is {actual}",
                    o.index, o.index
                ));
            }
        }
        if Some(o.index) == e.prev && actual != Attribution::Index {
            return Some(format!(
                "index entry {at} names entry {} as the previous index entry; entry {} is {actual}",
                o.index, o.index
            ));
        }
    }
    let claimed = e.commit?;
    let actual = recompute(entries)?;
    (claimed != actual).then(|| {
        format!(
            "index entry {at} commits {} facilities (map root {}) and {} scheme-level statements; the {} index entries up to it attribute {} facilities (map root {}) and {} scheme-level statements",
            claimed.facilities,
            claimed.map.to_hex(),
            claimed.scheme_entries,
            entries.len(),
            actual.facilities,
            actual.map.to_hex(),
            actual.scheme_entries
        )
    })
}

/// The commit the chain of index entries (latest first, each the previous
/// one's `prev`, down to the first) implies; `None` if they are no chain.
fn recompute(entries: &[ProvenEntry]) -> Option<Commit> {
    let mut chain = Vec::with_capacity(entries.len());
    for (k, p) in entries.iter().enumerate() {
        let e = IndexEntry::parse(&p.bytes).ok()?;
        let next_prev = e.prev;
        chain.push((p.index, e));
        match (next_prev, entries.get(k + 1)) {
            (Some(prev), Some(n)) if n.index == prev => {}
            (None, None) => break,
            _ => return None,
        }
    }
    chain.reverse();
    // The same index the log keeps, built from the chain's attributions.
    let mut h = History::new();
    for (at, e) in &chain {
        let start = e.prev.map_or(0, |p| p + 1);
        if start != h.len() || e.of.len() as u64 != at.checked_sub(start)? {
            return None;
        }
        for (k, a) in e.of.iter().enumerate() {
            h.push_statement(start + k as u64, a.clone());
        }
        let unchecked = IndexEntry {
            commit: None,
            ..e.clone()
        };
        h.push_index(*at, &unchecked, Roots::Skip).ok()?;
    }
    h.commit_now().ok()
}
