//! Selective disclosure: some items of a sealed bundle, with their salts,
//! and one multi-proof that they are in the sealed root. Nothing else about
//! the other items is revealed — not their names, sizes or digests — only
//! how many there are (the seal says so anyway) and the disclosed items'
//! positions in path order, which the proof's shape needs.
//!
//! ```cddl
//! disclosure = {
//!   "type": "triage-ledger/disclosure@1",
//!   "count": uint,                          ; items in the bundle
//!   "items": [+ [index: uint, item: bstr]], ; each item's manifest bytes, verbatim
//!   "proof": [* bstr .size 32],             ; RFC 9162 multi-proof, left to right
//! }
//! ```

use std::path::Path;

use ciborium::Value;

use super::{BundleError, Item, ManifestReader};
use crate::cbor;
use crate::merkle::{leaf_hash, multi_proof, multi_root, Hash};

/// The type string of a disclosure.
pub const DISCLOSURE_TYPE: &str = "triage-ledger/disclosure@1";
/// Largest disclosure accepted.
pub const MAX_DISCLOSURE: usize = 16 << 20;

/// A disclosure as carried (not yet checked against a seal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disclosure {
    /// Items in the bundle.
    pub count: u64,
    /// Disclosed items: (index in the manifest, the item's manifest bytes).
    pub items: Vec<(u64, Vec<u8>)>,
    /// The multi-proof.
    pub proof: Vec<Hash>,
}

/// A disclosure whose items decoded and whose proof led to a root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    /// The root the items and proof lead to (compare with the seal's).
    pub root: Hash,
    /// The disclosed items, in path order, with their indexes.
    pub items: Vec<(u64, Item)>,
}

fn bad(m: impl Into<String>) -> BundleError {
    BundleError::Manifest(format!("disclosure: {}", m.into()))
}

impl Disclosure {
    /// Encodes the disclosure (deterministic CBOR).
    pub fn to_bytes(&self) -> Result<Vec<u8>, BundleError> {
        let v = Value::Map(vec![
            (
                Value::Text("type".into()),
                Value::Text(DISCLOSURE_TYPE.into()),
            ),
            (
                Value::Text("count".into()),
                Value::Integer(self.count.into()),
            ),
            (
                Value::Text("items".into()),
                Value::Array(
                    self.items
                        .iter()
                        .map(|(i, b)| {
                            Value::Array(vec![Value::Integer((*i).into()), Value::Bytes(b.clone())])
                        })
                        .collect(),
                ),
            ),
            (
                Value::Text("proof".into()),
                Value::Array(
                    self.proof
                        .iter()
                        .map(|h| Value::Bytes(h.as_bytes().to_vec()))
                        .collect(),
                ),
            ),
        ]);
        cbor::encode(&v).map_err(|e| bad(e.to_string()))
    }

    /// Decodes a disclosure, refusing anything but the exact structure.
    pub fn parse(bytes: &[u8]) -> Result<Self, BundleError> {
        let v = cbor::decode_with_limit(bytes, MAX_DISCLOSURE).map_err(|e| bad(e.to_string()))?;
        let Value::Map(m) = v else {
            return Err(bad("not a map"));
        };
        if m.len() != 4 {
            return Err(bad("expected exactly the keys type, count, items, proof"));
        }
        let get = |k: &str| crate::cbor::get(&m, k);
        if get("type").and_then(|v| v.as_text()) != Some(DISCLOSURE_TYPE) {
            return Err(bad(format!("type is not {DISCLOSURE_TYPE:?}")));
        }
        let uint = |v: &Value| {
            v.as_integer()
                .and_then(|i| u64::try_from(i).ok())
                .ok_or_else(|| bad("expected an unsigned integer"))
        };
        let count = uint(get("count").ok_or_else(|| bad("no count"))?)?;
        let items = get("items")
            .and_then(|v| v.as_array())
            .ok_or_else(|| bad("no items array"))?
            .iter()
            .map(|it| match it.as_array().map(|a| a.as_slice()) {
                Some([i, Value::Bytes(b)]) => Ok((uint(i)?, b.clone())),
                _ => Err(bad("each item is [index, bytes]")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let proof = get("proof")
            .and_then(|v| v.as_array())
            .ok_or_else(|| bad("no proof array"))?
            .iter()
            .map(|h| {
                h.as_bytes()
                    .ok_or_else(|| bad("proof hashes are byte strings"))
                    .and_then(|b| Hash::from_slice(b).map_err(|e| bad(e.to_string())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Disclosure {
            count,
            items,
            proof,
        })
    }

    /// Decodes the items (each must be an item's deterministic encoding) and
    /// recomputes the root from them and the proof.
    pub fn open(&self) -> Result<Opened, BundleError> {
        let mut items = Vec::with_capacity(self.items.len());
        let mut leaves = Vec::with_capacity(self.items.len());
        for (index, raw) in &self.items {
            let item: Item =
                cbor::from_slice(raw).map_err(|e| bad(format!("item at index {index}: {e}")))?;
            if cbor::to_vec(&item).ok().as_deref() != Some(raw.as_slice()) {
                return Err(bad(format!(
                    "item at index {index} is not an item's deterministic encoding"
                )));
            }
            item.validate()
                .map_err(|e| bad(format!("item at index {index}: {e}")))?;
            leaves.push((*index, leaf_hash(raw)));
            items.push((*index, item));
        }
        if let Some(w) = items.windows(2).find(|w| w[0].1.path >= w[1].1.path) {
            return Err(bad(format!(
                "items {:?} and {:?} are not in path order",
                w[0].1.path, w[1].1.path
            )));
        }
        let root = multi_root(self.count, &leaves, &self.proof).map_err(|e| {
            if crate::class::Classify::is_verdict(&e) {
                BundleError::NotSealed(format!("the multi-proof: {e}"))
            } else {
                bad(e.to_string())
            }
        })?;
        Ok(Opened { root, items })
    }
}

/// Builds the disclosure of `paths` from a manifest (streamed: only the
/// leaf hashes, 32 bytes an item, are kept).
pub fn disclose(manifest: &Path, paths: &[String]) -> Result<Disclosure, BundleError> {
    let mut wanted: Vec<&str> = paths.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut reader = ManifestReader::open(manifest)?;
    let mut leaves = Vec::new();
    let mut items = Vec::new();
    while let Some(item) = reader.next_item()? {
        let raw = reader.last_raw();
        let index = leaves.len() as u64;
        leaves.push(leaf_hash(raw));
        if wanted.binary_search(&item.path.as_str()).is_ok() {
            items.push((index, raw.to_vec()));
        }
    }
    if items.len() != wanted.len() {
        let found: Vec<String> = items
            .iter()
            .filter_map(|(_, raw)| cbor::from_slice::<Item>(raw).ok().map(|i| i.path))
            .collect();
        let missing: Vec<&str> = wanted
            .iter()
            .filter(|w| !found.iter().any(|f| f == *w))
            .copied()
            .collect();
        return Err(bad(format!("not in the manifest: {}", missing.join(", "))));
    }
    let indices: Vec<u64> = items.iter().map(|(i, _)| *i).collect();
    let proof = multi_proof(&leaves, &indices).map_err(|e| bad(e.to_string()))?;
    Ok(Disclosure {
        count: leaves.len() as u64,
        items,
        proof,
    })
}

/// Checks a disclosure against a seal's commitment: its items and proof
/// must lead to the sealed root, for the sealed number of items.
pub fn check_disclosure(d: &Disclosure, sealed: &super::Sealed) -> Result<Opened, BundleError> {
    if d.count != sealed.items {
        return Err(BundleError::NotSealed(format!(
            "it is for a bundle of {} items, the seal's has {}",
            d.count, sealed.items
        )));
    }
    let opened = d.open()?;
    if opened.root != sealed.root {
        return Err(BundleError::NotSealed(format!(
            "the disclosed items and proof lead to root {}, not the sealed root {}",
            opened.root, sealed.root
        )));
    }
    Ok(opened)
}

/// Hashes the disclosed files under `dir` and names each that is missing
/// or differs from its item.
pub fn check_files(opened: &Opened, dir: &Path) -> Result<Vec<super::Finding>, BundleError> {
    let mut out = Vec::new();
    let jobs = opened.items.iter().map(|(_, item)| {
        let full = dir.join(&item.path);
        // Not following links, and only regular files are hashed.
        let file = match std::fs::symlink_metadata(&full) {
            Ok(m) if m.is_file() => Ok(Some((full, m.len()))),
            Ok(_) => Err("not a regular file".to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        };
        Ok((item, file))
    });
    let jobs = jobs.map(|j| {
        j.map(|(item, file)| match file {
            Ok(f) => ((item, None), f),
            Err(why) => ((item, Some(why)), None),
        })
    });
    super::hash::for_each_hashed(jobs, |(item, why), h| {
        match h {
            None => out.push(match why {
                Some(reason) => super::Finding::Unreadable {
                    path: item.path.clone(),
                    reason,
                },
                None => super::Finding::Missing(item.path.clone()),
            }),
            Some(Err(e)) => out.push(super::Finding::Unreadable {
                path: item.path.clone(),
                reason: e.to_string(),
            }),
            Some(Ok(h)) => {
                if let Some(what) = super::check::compare(item, &h) {
                    out.push(super::Finding::Changed {
                        path: item.path.clone(),
                        what,
                    });
                }
            }
        }
        Ok(())
    })?;
    Ok(out)
}
