//! A pack's proof of completeness: the log's commit entry (the last leaf of
//! the pack's checkpoint) with its inclusion path, and for each facility of
//! the pack its committed list of entries with the map proof; plus the
//! committed list of scheme-level statements (FORMATS.md §18).
//!
//! ```cddl
//! pack-history = {
//!   "selection": "facility" / "entries", ; facility: the whole list is in the pack; entries: a prefix
//!   "index": bstr,                       ; the commit entry, leaf (tree size − 1) of the checkpoint
//!   "path": [* bstr .size 32],           ; its RFC 9162 inclusion path
//!   "facilities": [* {
//!     "id": tstr,
//!     "entries": [* uint],               ; the facility's committed statements, in log order
//!     "path": [* [uint, bstr .size 32]], ; map proof: (branch bit, sibling) from the root down
//!     ? "leaf": [bstr .size 32, uint, bstr .size 32], ; absence: the other key's leaf the path ends at
//!   }],
//!   "scheme": [* uint],                  ; the committed scheme-level statements
//! }
//! ```

use std::collections::{BTreeMap, HashSet};

use ciborium::Value;

use super::Report;
use crate::history::{
    key_of, list_digest, Attribution, FacilityHistory, IndexEntry, MapLeaf, MapProof, MAX_PATH,
};
use crate::merkle::{leaf_hash, Hash, InclusionProof, RootHash};

/// What the pack claims to hold of each facility's committed list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistorySelection {
    /// All of it (`pack --facility`).
    Facility,
    /// A prefix of it (`pack --entry`): the later statements are named as
    /// left out.
    Entries,
}

/// The history part of a pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackHistory {
    /// What the pack claims to hold.
    pub selection: HistorySelection,
    /// The commit entry's bytes.
    pub index: Vec<u8>,
    /// Its inclusion path in the checkpoint's tree.
    pub path: Vec<Hash>,
    /// The facilities' committed lists and map proofs.
    pub facilities: Vec<FacilityHistory>,
    /// The committed scheme-level entries.
    pub scheme: Vec<u64>,
}

fn t(s: &str) -> Value {
    Value::Text(s.into())
}

fn hashes(v: &[Hash]) -> Value {
    Value::Array(
        v.iter()
            .map(|h| Value::Bytes(h.as_bytes().to_vec()))
            .collect(),
    )
}

fn uints(v: &[u64]) -> Value {
    Value::Array(v.iter().map(|&i| Value::Integer(i.into())).collect())
}

impl PackHistory {
    /// As CBOR.
    pub fn to_value(&self) -> Value {
        let facilities = self
            .facilities
            .iter()
            .map(|f| {
                let mut m = vec![
                    (t("id"), t(&f.id)),
                    (t("entries"), uints(&f.entries)),
                    (
                        t("path"),
                        Value::Array(
                            f.proof
                                .path
                                .iter()
                                .map(|(b, h)| {
                                    Value::Array(vec![
                                        Value::Integer((*b).into()),
                                        Value::Bytes(h.as_bytes().to_vec()),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                ];
                if let Some(p) = &f.label {
                    m.push((t("label"), Value::Bytes(p.as_bytes().to_vec())));
                }
                let own = key_of(&f.name().unwrap_or_default());
                if let Some(l) = f.proof.terminal.filter(|l| l.key != own) {
                    m.push((
                        t("leaf"),
                        Value::Array(vec![
                            Value::Bytes(l.key.to_vec()),
                            Value::Integer(l.count.into()),
                            Value::Bytes(l.digest.as_bytes().to_vec()),
                        ]),
                    ));
                }
                Value::Map(m)
            })
            .collect();
        Value::Map(vec![
            (
                t("selection"),
                t(match self.selection {
                    HistorySelection::Facility => "facility",
                    HistorySelection::Entries => "entries",
                }),
            ),
            (t("index"), Value::Bytes(self.index.clone())),
            (t("path"), hashes(&self.path)),
            (t("facilities"), Value::Array(facilities)),
            (t("scheme"), uints(&self.scheme)),
        ])
    }

    /// From CBOR, exactly this structure.
    pub fn from_value(v: &Value) -> Result<PackHistory, String> {
        let m = map(
            v,
            &["selection", "index", "path", "facilities", "scheme"],
            &[],
        )?;
        let selection = match m["selection"].as_text() {
            Some("facility") => HistorySelection::Facility,
            Some("entries") => HistorySelection::Entries,
            _ => return Err("selection is neither \"facility\" nor \"entries\"".into()),
        };
        let index = m["index"].as_bytes().ok_or("index is not bytes")?.clone();
        let path = hash_list(m["path"], 64, "path")?;
        let facilities = m["facilities"]
            .as_array()
            .ok_or("facilities is not an array")?
            .iter()
            .map(facility_from)
            .collect::<Result<Vec<_>, _>>()?;
        let scheme = uint_list(m["scheme"], "scheme")?;
        Ok(PackHistory {
            selection,
            index,
            path,
            facilities,
            scheme,
        })
    }
}

fn map<'a>(
    v: &'a Value,
    required: &[&'static str],
    optional: &[&'static str],
) -> Result<BTreeMap<&'static str, &'a Value>, String> {
    let Value::Map(m) = v else {
        return Err("not a map".into());
    };
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let k = k.as_text().unwrap_or("");
        let Some(name) = required.iter().chain(optional).find(|n| **n == k) else {
            return Err(format!("unexpected key {k:?}"));
        };
        out.insert(*name, v);
    }
    if let Some(missing) = required.iter().find(|n| !out.contains_key(*n)) {
        return Err(format!("no {missing}"));
    }
    Ok(out)
}

fn uint(v: &Value) -> Option<u64> {
    v.as_integer().and_then(|i| u64::try_from(i).ok())
}

fn hash_of(v: &Value) -> Option<Hash> {
    v.as_bytes().and_then(|b| Hash::from_slice(b).ok())
}

fn hash_list(v: &Value, max: usize, what: &str) -> Result<Vec<Hash>, String> {
    let a = v.as_array().ok_or(format!("{what} is not an array"))?;
    if a.len() > max {
        return Err(format!("{what} has more than {max} hashes"));
    }
    a.iter()
        .map(|h| hash_of(h).ok_or(format!("{what} holds a value that is not a 32-byte hash")))
        .collect()
}

fn uint_list(v: &Value, what: &str) -> Result<Vec<u64>, String> {
    v.as_array()
        .ok_or(format!("{what} is not an array"))?
        .iter()
        .map(|i| uint(i).ok_or(format!("{what} holds a value that is not an index")))
        .collect()
}

fn facility_from(v: &Value) -> Result<FacilityHistory, String> {
    let m = map(v, &["id", "entries", "path"], &["leaf", "label"])?;
    let id = m["id"]
        .as_text()
        .ok_or("a facility id is not text")?
        .to_string();
    let label = match m.get("label") {
        None => None,
        Some(l) => Some(
            l.as_bytes()
                .and_then(|b| crate::vrf::VrfProof::from_slice(b).ok())
                .ok_or("a label proof is not 80 bytes")?,
        ),
    };
    let entries = uint_list(m["entries"], "entries")?;
    let steps = m["path"].as_array().ok_or("a map path is not an array")?;
    if steps.len() > MAX_PATH {
        return Err("a map path has more than 256 steps".into());
    }
    let path = steps
        .iter()
        .map(|s| {
            let a = s.as_array().filter(|a| a.len() == 2);
            a.and_then(|a| Some((u8::try_from(uint(&a[0])?).ok()?, hash_of(&a[1])?)))
                .ok_or_else(|| "a map path step is not [bit, hash]".to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let named = FacilityHistory {
        id: id.clone(),
        entries: Vec::new(),
        proof: MapProof::default(),
        label,
    };
    let key = key_of(&named.name().ok_or("a label proof does not decode")?);
    let terminal = match m.get("leaf") {
        Some(l) => {
            let a = l.as_array().filter(|a| a.len() == 3);
            let leaf = a
                .and_then(|a| {
                    Some(MapLeaf {
                        key: a[0].as_bytes()?.as_slice().try_into().ok()?,
                        count: uint(&a[1])?,
                        digest: hash_of(&a[2])?,
                    })
                })
                .ok_or("leaf is not [key, count, digest]")?;
            if leaf.key == key || !entries.is_empty() {
                return Err("leaf is only for a facility absent from the map".into());
            }
            Some(leaf)
        }
        None if entries.is_empty() && path.is_empty() => None,
        None => Some(MapLeaf {
            key,
            count: entries.len() as u64,
            digest: list_digest(&entries),
        }),
    };
    Ok(FacilityHistory {
        id,
        entries,
        proof: MapProof { path, terminal },
        label,
    })
}

/// Compares the pack's statements of one list with the committed list.
/// Returns the committed entries left out after the pack's last one (a
/// prefix selection), or what is wrong.
fn compare(pack: &[u64], committed: &[u64], prefix_ok: bool) -> Result<Vec<u64>, String> {
    let mut seen = HashSet::new();
    for w in pack.windows(2) {
        if w[1] == w[0] {
            return Err(format!("entry {} appears twice in the pack", w[0]));
        }
        if w[1] < w[0] {
            return Err(format!(
                "entry {} comes after entry {} in the pack: out of log order",
                w[1], w[0]
            ));
        }
    }
    let committed_set: HashSet<u64> = committed.iter().copied().collect();
    for &i in pack {
        if !seen.insert(i) {
            return Err(format!("entry {i} appears twice in the pack"));
        }
        if !committed_set.contains(&i) {
            return Err(format!(
                "entry {i} is in the pack but is not one of the committed statements"
            ));
        }
    }
    let last = pack.last().copied();
    let mut left_out = Vec::new();
    for (k, &i) in committed.iter().enumerate() {
        if seen.contains(&i) {
            continue;
        }
        if prefix_ok && last.is_none_or(|l| i > l) {
            left_out.push(i);
        } else {
            return Err(format!(
                "entry {i} (statement {} of {} committed) is missing from the pack",
                k + 1,
                committed.len()
            ));
        }
    }
    Ok(left_out)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Checks the pack's history against its checkpoint `root` and the pack's
/// statements (`items`: each statement's log index from its receipt and its
/// attribution, in pack order). Adds checks and not-checked lines; returns
/// the facilities the pack is proven complete for (empty unless the
/// `complete` check passed).
pub fn check_history(
    r: &mut Report,
    h: &PackHistory,
    root: Option<&RootHash>,
    items: &[(u64, Attribution)],
    labels: Option<&crate::commitment::LabelKey>,
) -> Vec<String> {
    let Some(root) = root else {
        r.check(
            "history: index entry",
            false,
            "cannot be checked: the checkpoint did not verify",
        );
        return Vec::new();
    };
    let Some(at) = root.size().checked_sub(1) else {
        r.check(
            "history: index entry",
            false,
            "the checkpoint's tree is empty",
        );
        return Vec::new();
    };
    let name = format!("history: index entry {at}");
    let entry = match IndexEntry::parse(&h.index) {
        Ok(e) => e,
        Err(e) => {
            r.check(name, false, e.to_string());
            return Vec::new();
        }
    };
    let Some(commit) = entry.commit else {
        r.check(name, false, "it commits nothing (no commit part)");
        return Vec::new();
    };
    let proof = InclusionProof::new(at, root.size(), h.path.clone());
    if let Err(e) = proof.verify(&leaf_hash(&h.index), root) {
        r.check(
            name,
            false,
            format!("not the last leaf of the checkpoint's tree: {e}"),
        );
        return Vec::new();
    }
    r.check(
        name,
        true,
        format!(
            "the log's commit entry is the last leaf of the checkpoint's tree (size {}): {} facilities, {} scheme-level statements before it",
            root.size(),
            commit.facilities,
            commit.scheme_entries
        ),
    );
    let mut ok = true;
    // The pack in log order, each entry once (the receipts say so too; here
    // it also decides completeness).
    if let Some(w) = items.windows(2).find(|w| w[1].0 <= w[0].0) {
        r.check(
            "history: order",
            false,
            format!(
                "entry {} comes after entry {} in the pack: a pack lists statements in log order, once each",
                w[1].0, w[0].0
            ),
        );
        ok = false;
    }
    // A confidential log files the scheme-level statements under a label,
    // as one more facility's list (FORMATS §27): checked with the
    // facilities below.
    let scheme_list = crate::history::SCHEME_LIST;
    let confidential = labels.is_some();
    let renamed: Vec<(u64, Attribution)>;
    let items = match confidential {
        false => items,
        true => {
            renamed = items
                .iter()
                .map(|(i, a)| match a {
                    Attribution::Scheme => (*i, Attribution::Facility(scheme_list.to_string())),
                    a => (*i, a.clone()),
                })
                .collect();
            &renamed[..]
        }
    };
    // Scheme-level statements: always the whole list.
    let pack_scheme: Vec<u64> = items
        .iter()
        .filter(|(_, a)| *a == Attribution::Scheme)
        .map(|(i, _)| *i)
        .collect();
    let name = "history: scheme-level statements";
    if confidential {
        if !h.scheme.is_empty() || commit.scheme_entries != 0 || commit.scheme != list_digest(&[]) {
            r.check(
                name,
                false,
                "the log is confidential, but its index lists scheme-level statements apart instead of under their label",
            );
            ok = false;
        } else if !h.facilities.iter().any(|f| f.id == scheme_list) {
            r.check(
                name,
                false,
                "the pack gives no committed list of the scheme-level statements (a confidential log files them under a label)",
            );
            ok = false;
        }
    } else if list_digest(&h.scheme) != commit.scheme
        || h.scheme.len() as u64 != commit.scheme_entries
    {
        r.check(
            name,
            false,
            "the list the pack gives is not the one the index entry commits to",
        );
        ok = false;
    } else {
        match compare(&pack_scheme, &h.scheme, false) {
            Ok(_) => r.check(
                name,
                true,
                format!(
                    "{} (revocations, designations, framework versions) committed before entry {at}, all in this pack",
                    plural(h.scheme.len(), "statement", "statements")
                ),
            ),
            Err(e) => {
                r.check(name, false, e);
                ok = false;
            }
        }
    }
    // Each facility.
    let mut covered = HashSet::new();
    let mut complete = Vec::new();
    for f in &h.facilities {
        let name = match f.id == scheme_list {
            true => "history: scheme-level statements (under their label)".to_string(),
            false => format!("history: facility {}", f.id),
        };
        if !covered.insert(f.id.clone()) {
            r.check(name, false, "the pack gives this facility's history twice");
            ok = false;
            continue;
        }
        // A confidential log's map is keyed by labels: each facility's
        // label must be proven under the log's VRF key from the trust
        // directory (a label the log chose freely could be a key it never
        // filed anything under, and "prove" an absence).
        let key = match (labels, &f.label) {
            (None, None) => key_of(&f.id),
            (Some(lk), Some(p)) => match crate::commitment::check_label(&lk.key, &f.id, p) {
                Ok(l) => key_of(&crate::commitment::label_name(&l)),
                Err(e) => {
                    r.check(name, false, format!("its label: {e}"));
                    ok = false;
                    continue;
                }
            },
            (Some(_), None) => {
                r.check(
                    name,
                    false,
                    "the log is confidential (the trust directory holds its labels.vrf), but the pack gives no label proof for this facility",
                );
                ok = false;
                continue;
            }
            (None, Some(_)) => {
                r.check(
                    name,
                    false,
                    "the pack names this facility by a label, but the trust directory holds no labels.vrf for this log to check it with",
                );
                ok = false;
                continue;
            }
        };
        let held = match f.proof.evaluate(&key, &commit.map) {
            Err(e) => {
                r.check(name, false, e.to_string());
                ok = false;
                continue;
            }
            Ok(Some(l)) => (l.count, l.digest),
            Ok(None) => (0, list_digest(&[])),
        };
        if held != (f.entries.len() as u64, list_digest(&f.entries)) {
            r.check(
                name,
                false,
                format!(
                    "the committed index holds {} for this facility, not the {} listed",
                    plural(held.0 as usize, "statement", "statements"),
                    f.entries.len()
                ),
            );
            ok = false;
            continue;
        }
        let in_pack: Vec<u64> = items
            .iter()
            .filter(|(_, a)| matches!(a, Attribution::Facility(id) if *id == f.id))
            .map(|(i, _)| *i)
            .collect();
        let prefix_ok = h.selection == HistorySelection::Entries;
        match compare(&in_pack, &f.entries, prefix_ok) {
            Err(e) => {
                r.check(name, false, e);
                ok = false;
            }
            Ok(left_out) if f.entries.is_empty() => {
                debug_assert!(left_out.is_empty());
                r.check(
                    name,
                    true,
                    format!(
                        "the committed index has no statement of this facility before entry {at}"
                    ),
                );
                if f.id != scheme_list {
                    complete.push(f.id.clone());
                }
            }
            Ok(left_out) => {
                r.check(
                    name,
                    true,
                    format!(
                        "{} committed before entry {at}; the pack holds {}",
                        plural(f.entries.len(), "statement", "statements"),
                        if left_out.is_empty() {
                            "all of them".to_string()
                        } else {
                            format!("the first {}", in_pack.len())
                        }
                    ),
                );
                if left_out.is_empty() {
                    if f.id != scheme_list {
                        complete.push(f.id.clone());
                    }
                } else {
                    r.not_checked.push(format!(
                        "{} of facility {} after the pack's selection, left out: entries {}",
                        plural(left_out.len(), "later statement", "later statements"),
                        f.id,
                        left_out
                            .iter()
                            .map(u64::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
    }
    let mut uncovered: Vec<&str> = items
        .iter()
        .filter_map(|(_, a)| match a {
            Attribution::Facility(id) if !covered.contains(id) && id != scheme_list => {
                Some(id.as_str())
            }
            _ => None,
        })
        .collect();
    uncovered.sort();
    uncovered.dedup();
    for id in uncovered {
        if h.selection == HistorySelection::Facility {
            // A facility pack answers for every facility it holds
            // statements of.
            r.check(
                format!("history: facility {id}"),
                false,
                "the pack holds statements of this facility but no committed history for it",
            );
            ok = false;
        } else {
            r.not_checked.push(format!(
                "whether the pack holds every statement of facility {id}: it carries no committed history for it"
            ));
        }
    }
    if ok && h.selection == HistorySelection::Facility && !complete.is_empty() {
        let (some, none): (Vec<&String>, Vec<&String>) = complete.iter().partition(|id| {
            h.facilities
                .iter()
                .any(|f| f.id == **id && !f.entries.is_empty())
        });
        let join = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        let n = root.size();
        let scheme = "every revocation, designation and framework version";
        let detail = match (some.is_empty(), none.is_empty()) {
            (false, true) => format!(
                "every statement of facility {} up to tree size {n}, and {scheme}, is in this pack",
                join(&some)
            ),
            (true, false) => format!(
                "facility {} has no statement up to tree size {n}, and {scheme} is in this pack",
                join(&none)
            ),
            _ => format!(
                "every statement of facility {} up to tree size {n} is in this pack, facility {} has none, and {scheme} is in this pack",
                join(&some),
                join(&none)
            ),
        };
        r.check("complete", true, detail);
        return complete;
    } else if !ok {
        r.check(
            "complete",
            false,
            "the pack does not hold exactly what the log's committed index lists (see the failed history checks)",
        );
    }
    Vec::new()
}
