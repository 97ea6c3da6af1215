//! The facility map: a compressed binary prefix tree (as in KEYTRANS's prefix
//! tree and CONIKS) from `SHA-256(facility id)` to the facility's entry count
//! and list digest. One proof is the sibling hashes on the path from the root
//! to the leaf where the key leads: O(log n) hashes for n facilities, and the
//! same shape proves absence (the path ends at another key's leaf).
//!
//! Hashes (FORMATS.md §18):
//! - leaf   = SHA-256(0x02 ‖ key ‖ u64be(count) ‖ digest)
//! - branch = SHA-256(0x03 ‖ u8(bit) ‖ left ‖ right), where the branch splits
//!   on key bit `bit` (0 = the most significant bit of key[0]) and `left`
//!   holds the keys whose bit is 0;
//! - the empty map's root is 32 zero bytes.
//!
//! The tree is canonical: a branch sits at the first bit where the keys below
//! it differ, so the root depends only on the set of leaves.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

pub use super::stored::NodeId;

use crate::merkle::Hash;

/// The root of a map with no facilities.
pub const EMPTY_MAP_ROOT: Hash = Hash::from_bytes([0; 32]);

/// Longest proof path: one branch per key bit.
pub const MAX_PATH: usize = 256;

/// A map key: SHA-256 of the facility id.
pub fn key_of(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

pub(super) fn bit(key: &[u8; 32], i: u8) -> bool {
    (key[usize::from(i / 8)] >> (7 - i % 8)) & 1 == 1
}

/// The first bit at which two keys differ (256 when equal).
pub(super) fn first_diff(a: &[u8; 32], b: &[u8; 32]) -> u16 {
    for i in 0..32 {
        let x = a[i] ^ b[i];
        if x != 0 {
            return (i * 8) as u16 + x.leading_zeros() as u16;
        }
    }
    256
}

/// One facility's entry in the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapLeaf {
    /// SHA-256 of the facility id.
    pub key: [u8; 32],
    /// How many statements the facility has.
    pub count: u64,
    /// The digest of their log indexes (see [`super::list_digest`]).
    pub digest: Hash,
}

impl MapLeaf {
    /// The leaf's hash.
    pub fn hash(&self) -> Hash {
        let mut h = Sha256::new();
        h.update([0x02]);
        h.update(self.key);
        h.update(self.count.to_be_bytes());
        h.update(self.digest.as_bytes());
        Hash::from_bytes(h.finalize().into())
    }
}

/// A branch's hash.
pub fn branch_hash(bit: u8, left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x03, bit]);
    h.update(left.as_bytes());
    h.update(right.as_bytes());
    Hash::from_bytes(h.finalize().into())
}

pub(super) enum Node {
    Leaf(MapLeaf, Hash),
    /// A subtree kept in a store and not loaded: its place and its hash.
    Stub(NodeId, Hash),
    Branch {
        bit: u8,
        /// Any key below (they all agree on bits before `bit`).
        rep: [u8; 32],
        children: Box<[Node; 2]>,
        /// Cached; `None` after a change below.
        hash: Option<Hash>,
    },
}

impl Node {
    pub(super) fn leaf(l: MapLeaf) -> Node {
        Node::Leaf(l, l.hash())
    }

    /// Where the node is kept in a store.
    pub(super) fn id(&self) -> NodeId {
        match self {
            Node::Leaf(l, _) => NodeId::leaf(&l.key),
            Node::Stub(id, _) => *id,
            Node::Branch { bit, rep, .. } => NodeId::branch(*bit, rep),
        }
    }

    /// Inserts or replaces; true if the key is new. Every node whose
    /// contents change is added to `dirty`.
    fn insert(&mut self, l: MapLeaf, dirty: &mut HashSet<NodeId>) -> Result<bool, MapError> {
        let (rep, limit) = match self {
            Node::Leaf(old, _) => (old.key, 256),
            Node::Branch { bit, rep, .. } => (*rep, u16::from(*bit)),
            Node::Stub(..) => return Err(MapError::NotLoaded),
        };
        let d = first_diff(&l.key, &rep);
        if d < limit {
            // The new key leaves this subtree's common prefix at bit d: a
            // new branch goes above it (d < 256, so it fits in a u8).
            let d = d as u8;
            let old = std::mem::replace(self, Node::leaf(l));
            let new = std::mem::replace(self, Node::leaf(l));
            let children = if bit(&l.key, d) {
                [old, new]
            } else {
                [new, old]
            };
            dirty.insert(NodeId::leaf(&l.key));
            dirty.insert(NodeId::branch(d, &l.key));
            *self = Node::Branch {
                bit: d,
                rep: l.key,
                children: Box::new(children),
                hash: None,
            };
            return Ok(true);
        }
        dirty.insert(self.id());
        match self {
            Node::Leaf(old, h) => {
                *old = l;
                *h = l.hash();
                Ok(false)
            }
            Node::Branch {
                bit: b,
                children,
                hash,
                ..
            } => {
                *hash = None;
                children[usize::from(bit(&l.key, *b))].insert(l, dirty)
            }
            Node::Stub(..) => Err(MapError::NotLoaded),
        }
    }

    pub(super) fn hash(&mut self) -> Hash {
        match self {
            Node::Leaf(_, h) | Node::Stub(_, h) => *h,
            Node::Branch {
                bit,
                children,
                hash,
                ..
            } => {
                if let Some(h) = hash {
                    return *h;
                }
                let [l, r] = children.as_mut();
                let h = branch_hash(*bit, &l.hash(), &r.hash());
                *hash = Some(h);
                h
            }
        }
    }
}

/// The map, kept in memory; updates rehash only the changed paths. A map
/// resumed from a store holds only the paths loaded into it (see
/// [`Map::load_path`]); the rest are stubs known by their hashes.
#[derive(Default)]
pub struct Map {
    pub(super) root: Option<Node>,
    pub(super) len: u64,
    /// Nodes changed since they were loaded or last taken.
    pub(super) dirty: HashSet<NodeId>,
}

impl Map {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sets a key's leaf. Fails only for a map resumed from a store whose
    /// path to the key was not loaded.
    pub fn insert(&mut self, l: MapLeaf) -> Result<(), MapError> {
        match &mut self.root {
            None => {
                self.root = Some(Node::leaf(l));
                self.dirty.insert(NodeId::leaf(&l.key));
                self.len = 1;
            }
            Some(n) => {
                if n.insert(l, &mut self.dirty)? {
                    self.len += 1;
                }
            }
        }
        Ok(())
    }

    /// The root hash.
    pub fn root(&mut self) -> Hash {
        match &mut self.root {
            None => EMPTY_MAP_ROOT,
            Some(n) => n.hash(),
        }
    }

    /// The proof for `key`: of its leaf if present, else of its absence.
    /// Fails only for a map resumed from a store whose path to the key was
    /// not loaded.
    pub fn prove(&mut self, key: &[u8; 32]) -> Result<MapProof, MapError> {
        self.root();
        let mut path = Vec::new();
        let mut node = match &self.root {
            None => return Ok(MapProof::default()),
            Some(n) => n,
        };
        loop {
            match node {
                Node::Stub(..) => return Err(MapError::NotLoaded),
                Node::Leaf(l, _) => {
                    return Ok(MapProof {
                        path,
                        terminal: Some(*l),
                    })
                }
                Node::Branch {
                    bit: b, children, ..
                } => {
                    let side = usize::from(bit(key, *b));
                    let sibling = match &children[1 - side] {
                        Node::Leaf(_, h) | Node::Stub(_, h) => *h,
                        Node::Branch { hash, .. } => hash.unwrap_or(EMPTY_MAP_ROOT),
                    };
                    path.push((*b, sibling));
                    node = &children[side];
                }
            }
        }
    }
}

/// A proof of what the map holds for one key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapProof {
    /// From the root down: each branch's bit and the sibling's hash.
    pub path: Vec<(u8, Hash)>,
    /// The leaf the path ends at: the key's own, or (absence) another key's;
    /// `None` only for the empty map.
    pub terminal: Option<MapLeaf>,
}

/// Why a map proof does not hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MapError {
    /// The path is malformed.
    #[error("map proof: {0}")]
    Malformed(String),
    /// The path does not lead to the root.
    #[error("map proof: the path does not lead to the committed root")]
    Root,
    /// A map resumed from a store was used where its path was not loaded
    /// (a bug in the caller, reported rather than answered wrongly).
    #[error("facility map: the path to a key was not loaded from the state index")]
    NotLoaded,
    /// A node read from the state index is malformed or does not match
    /// the hash its parent commits to.
    #[error("facility map: {0}")]
    Stored(String),
}

impl MapProof {
    /// What the map with `root` holds for `key`: its leaf, or `None` when
    /// the key is absent. Fails unless the proof leads to `root`.
    pub fn evaluate(&self, key: &[u8; 32], root: &Hash) -> Result<Option<MapLeaf>, MapError> {
        let Some(t) = self.terminal else {
            if !self.path.is_empty() {
                return Err(MapError::Malformed("a path without a leaf".into()));
            }
            return if *root == EMPTY_MAP_ROOT {
                Ok(None)
            } else {
                Err(MapError::Root)
            };
        };
        if self.path.len() > MAX_PATH {
            return Err(MapError::Malformed("longer than 256 branches".into()));
        }
        for w in self.path.windows(2) {
            if w[0].0 >= w[1].0 {
                return Err(MapError::Malformed(
                    "branch bits must increase from the root".into(),
                ));
            }
        }
        // The leaf must sit where its own key leads: where `key` leads too.
        for (b, _) in &self.path {
            if bit(&t.key, *b) != bit(key, *b) {
                return Err(MapError::Malformed(format!(
                    "the leaf's key does not follow the path at bit {b}"
                )));
            }
        }
        let mut h = t.hash();
        for (b, sibling) in self.path.iter().rev() {
            h = if bit(key, *b) {
                branch_hash(*b, sibling, &h)
            } else {
                branch_hash(*b, &h, sibling)
            };
        }
        if h != *root {
            return Err(MapError::Root);
        }
        Ok((t.key == *key).then_some(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(id: &str, count: u64) -> MapLeaf {
        MapLeaf {
            key: key_of(id),
            count,
            digest: Hash::digest(id.as_bytes()),
        }
    }

    /// The root computed from scratch, recursively over sorted leaves: the
    /// reference the incremental tree must match.
    fn reference(leaves: &mut Vec<MapLeaf>) -> Hash {
        fn rec(ls: &[MapLeaf], from: u16) -> Hash {
            if ls.len() == 1 {
                return ls[0].hash();
            }
            let d = (from..256)
                .find(|&b| {
                    ls.iter()
                        .any(|l| bit(&l.key, b as u8) != bit(&ls[0].key, b as u8))
                })
                .unwrap() as u8;
            let split = ls.partition_point(|l| !bit(&l.key, d));
            branch_hash(
                d,
                &rec(&ls[..split], u16::from(d) + 1),
                &rec(&ls[split..], u16::from(d) + 1),
            )
        }
        leaves.sort_by_key(|l| l.key);
        leaves.dedup_by_key(|l| l.key);
        if leaves.is_empty() {
            EMPTY_MAP_ROOT
        } else {
            rec(leaves, 0)
        }
    }

    #[test]
    fn incremental_root_matches_the_reference_and_proofs_evaluate() {
        let mut m = Map::new();
        let mut all = Vec::new();
        assert_eq!(m.root(), EMPTY_MAP_ROOT);
        assert_eq!(
            m.prove(&key_of("x"))
                .unwrap()
                .evaluate(&key_of("x"), &EMPTY_MAP_ROOT),
            Ok(None)
        );
        for i in 0..300u64 {
            let l = leaf(&format!("TF-{i}"), i);
            m.insert(l).unwrap();
            all.push(l);
            if i % 7 == 0 {
                // Updating an existing key changes its leaf only.
                let u = leaf(&format!("TF-{}", i / 2), i + 1000);
                m.insert(u).unwrap();
                all.retain(|x| x.key != u.key);
                all.push(u);
            }
            let mut sorted = all.clone();
            let root = m.root();
            assert_eq!(root, reference(&mut sorted), "after {i}");
        }
        assert_eq!(m.len(), 300);
        let root = m.root();
        for l in &all {
            let p = m.prove(&l.key).unwrap();
            assert_eq!(p.evaluate(&l.key, &root), Ok(Some(*l)));
            assert!(p.path.len() < 40);
            // A proof for one key says nothing for another.
            let other = key_of("TF-999999");
            assert!(p.evaluate(&other, &root).is_err() || p.evaluate(&other, &root) == Ok(None));
        }
        let absent = key_of("TF-absent");
        let p = m.prove(&absent).unwrap();
        assert_eq!(p.evaluate(&absent, &root), Ok(None));
        // Tampering with the terminal, a sibling or a bit breaks the proof.
        let mut bad = m.prove(&all[5].key).unwrap();
        bad.terminal.as_mut().unwrap().count += 1;
        assert_eq!(bad.evaluate(&all[5].key, &root), Err(MapError::Root));
        let mut bad = m.prove(&all[5].key).unwrap();
        bad.path[0].1 = Hash::digest(b"x");
        assert_eq!(bad.evaluate(&all[5].key, &root), Err(MapError::Root));
        let mut bad = m.prove(&all[5].key).unwrap();
        bad.path.swap(0, 1);
        assert!(matches!(
            bad.evaluate(&all[5].key, &root),
            Err(MapError::Malformed(_))
        ));
    }

    #[test]
    fn one_leaf_map_proves_absence_with_an_empty_path() {
        let mut m = Map::new();
        let l = leaf("TF-1", 3);
        m.insert(l).unwrap();
        assert_eq!(m.root(), l.hash());
        let absent = key_of("TF-2");
        let p = m.prove(&absent).unwrap();
        assert!(p.path.is_empty());
        assert_eq!(p.evaluate(&absent, &m.root()), Ok(None));
    }
}
