//! Index entries: the leaves the log appends after statements to commit to
//! its own index (FORMATS.md §18).
//!
//! ```cddl
//! index-entry = {
//!   "type": "triage-ledger/index@1",
//!   ? "prev": uint,          ; the previous index entry's position (absent for the first)
//!   "ids": [* tstr],         ; facility ids, in order of first use below
//!   "of": bstr,              ; per leaf between prev (or 0) and this entry: u16 BE, its id's position, 0xFFFF = scheme-level
//!   ? "commit": {            ; present in the last index entry of a commit
//!     "map": bstr .size 32,  ; root of the facility map over every statement before this entry
//!     "facilities": uint,    ; facilities in the map
//!     "scheme": bstr .size 32, ; digest of the scheme-level statements' indexes
//!     "scheme_entries": uint,
//!   },
//! }
//! ```

use ciborium::Value;

use super::Attribution;
use crate::cbor;
use crate::cose::MAX_STATEMENT_SIZE;
use crate::merkle::Hash;

/// The `type` of an index entry.
pub const INDEX_TYPE: &str = "triage-ledger/index@1";

const SCHEME: u16 = 0xFFFF;

/// What a commit entry states about everything before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commit {
    /// Root of the facility map.
    pub map: Hash,
    /// Number of facilities.
    pub facilities: u64,
    /// Digest of the scheme-level statements' indexes.
    pub scheme: Hash,
    /// Number of scheme-level statements.
    pub scheme_entries: u64,
}

/// A decoded index entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// The previous index entry's position.
    pub prev: Option<u64>,
    /// Attribution of each leaf after `prev` (or from 0) up to this entry.
    pub of: Vec<Attribution>,
    /// Present on the last index entry of a commit.
    pub commit: Option<Commit>,
}

/// Why bytes are not an index entry.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("index entry: {0}")]
pub struct IndexEntryError(pub String);

fn bad(m: impl Into<String>) -> IndexEntryError {
    IndexEntryError(m.into())
}

/// True if a log entry is meant as an index entry (a CBOR map; statements
/// are tagged COSE_Sign1 arrays).
pub fn is_index_entry(bytes: &[u8]) -> bool {
    bytes.first().is_some_and(|b| b >> 5 == 5)
}

impl IndexEntry {
    /// Encodes (deterministic CBOR). Fails if it exceeds the entry limit.
    pub fn to_bytes(&self) -> Result<Vec<u8>, IndexEntryError> {
        let mut ids: Vec<&str> = Vec::new();
        let mut of = Vec::with_capacity(self.of.len() * 2);
        for a in &self.of {
            let code = match a {
                Attribution::Scheme => SCHEME,
                Attribution::Facility(id) => {
                    let pos = match ids.iter().position(|x| x == id) {
                        Some(p) => p,
                        None => {
                            ids.push(id);
                            ids.len() - 1
                        }
                    };
                    u16::try_from(pos)
                        .ok()
                        .filter(|&p| p != SCHEME)
                        .ok_or_else(|| bad("more than 65,534 facilities in one entry"))?
                }
                Attribution::Index | Attribution::Unreadable | Attribution::Hidden => {
                    return Err(bad("only statements can be attributed to a list"))
                }
            };
            of.extend_from_slice(&code.to_be_bytes());
        }
        let t = |s: &str| Value::Text(s.into());
        let mut map = vec![
            (t("type"), t(INDEX_TYPE)),
            (t("ids"), Value::Array(ids.iter().map(|s| t(s)).collect())),
            (t("of"), Value::Bytes(of)),
        ];
        if let Some(p) = self.prev {
            map.push((t("prev"), Value::Integer(p.into())));
        }
        if let Some(c) = &self.commit {
            map.push((
                t("commit"),
                Value::Map(vec![
                    (t("map"), Value::Bytes(c.map.as_bytes().to_vec())),
                    (t("facilities"), Value::Integer(c.facilities.into())),
                    (t("scheme"), Value::Bytes(c.scheme.as_bytes().to_vec())),
                    (t("scheme_entries"), Value::Integer(c.scheme_entries.into())),
                ]),
            ));
        }
        let bytes = cbor::encode(&Value::Map(map)).map_err(|e| bad(e.to_string()))?;
        if bytes.len() > MAX_STATEMENT_SIZE {
            return Err(bad(format!(
                "{} bytes, more than an entry may hold",
                bytes.len()
            )));
        }
        Ok(bytes)
    }

    /// Decodes, refusing anything but the canonical form.
    pub fn parse(bytes: &[u8]) -> Result<IndexEntry, IndexEntryError> {
        if bytes.len() > MAX_STATEMENT_SIZE {
            return Err(bad("larger than an entry may be"));
        }
        let Value::Map(m) = cbor::decode(bytes).map_err(|e| bad(e.to_string()))? else {
            return Err(bad("not a map"));
        };
        let get = |k: &str| crate::cbor::get(&m, k);
        if get("type").and_then(Value::as_text) != Some(INDEX_TYPE) {
            return Err(bad(format!("type is not {INDEX_TYPE:?}")));
        }
        let prev = match get("prev") {
            None => None,
            Some(v) => Some(uint(v).ok_or_else(|| bad("prev is not an unsigned integer"))?),
        };
        let commit = match get("commit") {
            None => None,
            Some(v) => Some(parse_commit(v)?),
        };
        let expected = 3 + usize::from(prev.is_some()) + usize::from(commit.is_some());
        if m.len() != expected {
            return Err(bad(
                "expected exactly the keys type, ids, of (and prev, commit)",
            ));
        }
        let ids = get("ids")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no ids array"))?
            .iter()
            .map(|v| {
                v.as_text()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| bad("ids must be non-empty text"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // A set, not a scan of the earlier ids: an entry may name 10,000
        // facilities, and a quadratic check was 40% of a monitor's replay.
        let mut seen = std::collections::HashSet::with_capacity(ids.len());
        if !ids.iter().all(|id| seen.insert(id.as_str())) {
            return Err(bad("an id appears twice"));
        }
        let codes = get("of")
            .and_then(Value::as_bytes)
            .ok_or_else(|| bad("no of byte string"))?;
        if !codes.len().is_multiple_of(2) {
            return Err(bad("of must hold 2 bytes per entry"));
        }
        let mut used = 0usize;
        let mut of = Vec::with_capacity(codes.len() / 2);
        for c in codes.chunks_exact(2) {
            let code = u16::from_be_bytes([c[0], c[1]]);
            if code == SCHEME {
                of.push(Attribution::Scheme);
                continue;
            }
            let pos = usize::from(code);
            // Canonical: ids appear in order of first use, each used.
            if pos > used || pos >= ids.len() {
                return Err(bad(format!(
                    "of names id {pos} out of first-use order or beyond the {} ids",
                    ids.len()
                )));
            }
            if pos == used {
                used += 1;
            }
            of.push(Attribution::Facility(ids[pos].clone()));
        }
        if used != ids.len() {
            return Err(bad("every id must be used"));
        }
        Ok(IndexEntry { prev, of, commit })
    }
}

fn uint(v: &Value) -> Option<u64> {
    v.as_integer().and_then(|i| u64::try_from(i).ok())
}

fn parse_commit(v: &Value) -> Result<Commit, IndexEntryError> {
    let Value::Map(m) = v else {
        return Err(bad("commit is not a map"));
    };
    if m.len() != 4 {
        return Err(bad(
            "commit must hold exactly map, facilities, scheme, scheme_entries",
        ));
    }
    let get = |k: &str| crate::cbor::get(m, k);
    let hash = |k: &str| {
        get(k)
            .and_then(Value::as_bytes)
            .and_then(|b| Hash::from_slice(b).ok())
            .ok_or_else(|| bad(format!("commit {k} is not a 32-byte hash")))
    };
    let count = |k: &str| {
        get(k)
            .and_then(uint)
            .ok_or_else(|| bad(format!("commit {k} is not an unsigned integer")))
    };
    Ok(Commit {
        map: hash("map")?,
        facilities: count("facilities")?,
        scheme: hash("scheme")?,
        scheme_entries: count("scheme_entries")?,
    })
}
