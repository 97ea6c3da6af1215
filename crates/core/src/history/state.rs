//! A [`History`] saved and restored (a monitor's state file), as
//! deterministic CBOR:
//!
//! ```cddl
//! history-state = {
//!   "next": uint, ? "last_index": uint,
//!   ? "last_commit": [uint, bstr, uint, bstr, uint],   ; position, map, facilities, scheme, scheme_entries
//!   "facilities": [* [tstr, bstr]],                     ; id, its indexes as u64 BE, sorted by id
//!   "scheme": bstr,                                     ; u64 BE each
//!   "pending": [* (tstr / 0 / 1)],                      ; facility id, 0 scheme-level, 1 unreadable
//! }
//! ```

use ciborium::Value;

use super::{Attribution, Commit, EntryList, History, Map, MapError, NodeId};
use crate::merkle::Hash;

fn t(s: &str) -> Value {
    Value::Text(s.into())
}

fn u64s(v: &[u64]) -> Value {
    Value::Bytes(v.iter().flat_map(|i| i.to_be_bytes()).collect())
}

fn list_from(b: &[u8]) -> Result<EntryList, String> {
    if !b.len().is_multiple_of(8) {
        return Err("an index list is not a multiple of 8 bytes".into());
    }
    let mut l = EntryList::default();
    let mut last = None;
    for c in b.chunks_exact(8) {
        let i = u64::from_be_bytes(c.try_into().map_err(|_| "bad index")?);
        if last.is_some_and(|p| p >= i) {
            return Err("an index list is not increasing".into());
        }
        last = Some(i);
        l.push(i);
    }
    Ok(l)
}

impl History {
    /// The state as a CBOR value.
    pub fn to_value(&self) -> Value {
        let mut ids: Vec<&String> = self.facilities.keys().collect();
        ids.sort();
        let mut m = vec![
            (t("next"), Value::Integer(self.next.into())),
            (
                t("facilities"),
                Value::Array(
                    ids.into_iter()
                        .map(|id| Value::Array(vec![t(id), u64s(&self.facilities[id].entries)]))
                        .collect(),
                ),
            ),
            (t("scheme"), u64s(&self.scheme.entries)),
            (
                t("pending"),
                Value::Array(
                    self.pending
                        .iter()
                        .map(|a| match a {
                            Attribution::Facility(id) => t(id),
                            Attribution::Scheme => Value::Integer(0.into()),
                            _ => Value::Integer(1.into()),
                        })
                        .collect(),
                ),
            ),
        ];
        if let Some(p) = self.last_index {
            m.push((t("last_index"), Value::Integer(p.into())));
        }
        if let Some((p, c)) = self.last_commit {
            m.push((
                t("last_commit"),
                Value::Array(vec![
                    Value::Integer(p.into()),
                    Value::Bytes(c.map.as_bytes().to_vec()),
                    Value::Integer(c.facilities.into()),
                    Value::Bytes(c.scheme.as_bytes().to_vec()),
                    Value::Integer(c.scheme_entries.into()),
                ]),
            ));
        }
        Value::Map(m)
    }

    /// Restores a state saved by [`History::to_value`].
    pub fn from_value(v: &Value) -> Result<History, String> {
        let Value::Map(m) = v else {
            return Err("history: not a map".into());
        };
        // Only the keys it writes (found by fuzzing: an unknown key was
        // ignored, and the state then saved without it).
        const KEYS: [&str; 9] = [
            "next",
            "facilities",
            "scheme",
            "pending",
            "last_index",
            "last_commit",
            "count",
            "map_len",
            "map_root",
        ];
        if let Some((k, _)) = m
            .iter()
            .find(|(k, _)| !k.as_text().is_some_and(|k| KEYS.contains(&k)))
        {
            return Err(match k.as_text() {
                Some(k) => format!("history: unknown key {:?}", crate::text::one_line(k)),
                None => "history: a key that is not text".into(),
            });
        }
        let get = |k: &str| crate::cbor::get(m, k);
        let uint = |v: &Value| v.as_integer().and_then(|i| u64::try_from(i).ok());
        let hash = |v: &Value| v.as_bytes().and_then(|b| Hash::from_slice(b).ok());
        let mut h = History::new();
        h.next = get("next").and_then(uint).ok_or("history: no next")?;
        h.last_index = match get("last_index") {
            None => None,
            Some(v) => Some(uint(v).ok_or("history: bad last_index")?),
        };
        if let Some(v) = get("last_commit") {
            let a = v.as_array().filter(|a| a.len() == 5);
            let parsed = a.and_then(|a| {
                Some((
                    uint(&a[0])?,
                    Commit {
                        map: hash(&a[1])?,
                        facilities: uint(&a[2])?,
                        scheme: hash(&a[3])?,
                        scheme_entries: uint(&a[4])?,
                    },
                ))
            });
            h.last_commit = Some(parsed.ok_or("history: bad last_commit")?);
        }
        let mut previous: Option<&str> = None;
        for f in get("facilities")
            .and_then(Value::as_array)
            .ok_or("history: no facilities")?
        {
            let pair = f.as_array().filter(|a| a.len() == 2);
            let (id, list) = pair
                .and_then(|a| Some((a[0].as_text()?, a[1].as_bytes()?)))
                .ok_or("history: bad facility")?;
            // Sorted by id, each once: the one encoding of a history
            // (found by fuzzing: a duplicate or out-of-order facility was
            // taken, and the state then saved differently).
            if previous.is_some_and(|p| p >= id) {
                return Err(format!(
                    "history: facility {:?} is out of order or repeated (ids are sorted, each once)",
                    crate::text::one_line(id)
                ));
            }
            previous = Some(id);
            h.facilities.insert(id.to_string(), list_from(list)?);
            h.dirty.insert(id.to_string());
        }
        h.scheme = list_from(
            get("scheme")
                .and_then(Value::as_bytes)
                .ok_or("history: no scheme")?,
        )?;
        for p in get("pending")
            .and_then(Value::as_array)
            .ok_or("history: no pending")?
        {
            let a = match p {
                Value::Text(id) => Attribution::Facility(id.clone()),
                v if uint(v) == Some(0) => Attribution::Scheme,
                v if uint(v) == Some(1) => Attribution::Unreadable,
                _ => return Err("history: bad pending attribution".into()),
            };
            if let Attribution::Facility(id) = &a {
                if h.pending_ids.insert(id.clone()) {
                    h.pending_bytes += id.len() + 2;
                }
            }
            h.pending_bytes += 2;
            h.pending.push(a);
        }
        h.count = h.facilities.len() as u64;
        if let Some(c) = get("count") {
            // A history kept in a store: its lists are loaded on demand.
            h.count = uint(c).ok_or("history: bad count")?;
            let len = get("map_len").and_then(uint).ok_or("history: no map_len")?;
            let root = match get("map_root") {
                None => None,
                Some(v) => {
                    let a = v.as_array().filter(|a| a.len() == 2);
                    let r = a.and_then(|a| {
                        let id = NodeId::from_bytes(a[0].as_bytes()?).ok()?;
                        Some((id, hash(&a[1])?))
                    });
                    Some(r.ok_or("history: bad map_root")?)
                }
            };
            if root.is_some() != (len > 0) || h.count != len {
                return Err("history: the map does not match the facility count".into());
            }
            h.map = Map::resumed(root, len);
        }
        // The parts must describe one log of `next` leaves.
        let next = h.next;
        let before = |i: u64| i < next;
        let consistent = h.pending.len() as u64 <= next
            && h.last_index
                .is_none_or(|i| i + h.pending.len() as u64 + 1 == next)
            && (h.last_index.is_some() || h.pending.len() as u64 == next)
            && h.last_commit
                .is_none_or(|(c, _)| h.last_index.is_some_and(|i| c <= i))
            && h.scheme.entries.iter().all(|&i| before(i))
            && h.facilities
                .values()
                .all(|l| l.entries.iter().all(|&i| before(i)));
        if !consistent {
            return Err("history: its parts do not describe one log (positions beyond it, or pending leaves that do not fit)".into());
        }
        Ok(h)
    }
}

impl History {
    /// The state of a history kept in a store, without the facilities'
    /// lists (kept apart, see [`History::take_changed`]): the map's root
    /// place and size and the facility count instead. Call
    /// [`History::sync_map`] first.
    pub fn summary_value(&mut self) -> Value {
        let root_hash = self.map.root();
        let Value::Map(mut m) = self.to_value_without_lists() else {
            return Value::Null;
        };
        m.push((t("count"), Value::Integer(self.count.into())));
        m.push((t("map_len"), Value::Integer(self.map.len().into())));
        if let Some(id) = self.map.root_id() {
            m.push((
                t("map_root"),
                Value::Array(vec![
                    Value::Bytes(id.as_bytes().to_vec()),
                    Value::Bytes(root_hash.as_bytes().to_vec()),
                ]),
            ));
        }
        Value::Map(m)
    }

    fn to_value_without_lists(&self) -> Value {
        let lists = History {
            facilities: Default::default(),
            scheme: self.scheme.clone(),
            next: self.next,
            last_index: self.last_index,
            last_commit: self.last_commit,
            pending: self.pending.clone(),
            ..History::default()
        };
        lists.to_value()
    }

    /// True when the facility's list is in memory (always, unless resumed
    /// from a store).
    pub fn is_loaded(&self, id: &str) -> bool {
        self.facilities.contains_key(id)
    }

    /// Loads a facility's list and the map's path to its key from the
    /// store (an empty list for a facility without statements).
    pub fn load(
        &mut self,
        id: &str,
        entries: &[u64],
        fetch: &mut dyn FnMut(&NodeId) -> Result<super::StoredNode, MapError>,
    ) -> Result<(), MapError> {
        self.map.load_path(&super::key_of(id), fetch)?;
        if !entries.is_empty() {
            let mut l = EntryList::default();
            for &e in entries {
                l.push(e);
            }
            self.facilities.insert(id.to_string(), l);
        }
        Ok(())
    }

    /// The facilities whose lists changed since the last call, with their
    /// lists, and the map nodes that changed (after [`History::sync_map`]).
    #[allow(clippy::type_complexity)]
    pub fn take_changed(
        &mut self,
    ) -> Result<(Vec<(String, Vec<u64>)>, Vec<(NodeId, super::StoredNode)>), MapError> {
        self.sync_map()?;
        let mut lists: Vec<(String, Vec<u64>)> = self
            .changed
            .drain()
            .filter_map(|id| {
                let l = self.facilities.get(&id)?.entries.clone();
                Some((id, l))
            })
            .collect();
        lists.sort();
        let nodes = self.map.take_dirty();
        Ok((lists, nodes))
    }

    /// Forgets the loaded lists and map paths (after
    /// [`History::take_changed`]), keeping only what the summary holds.
    pub fn evict(&mut self) {
        self.facilities.clear();
        self.map.evict();
    }
}
