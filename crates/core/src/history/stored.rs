//! The facility map kept in a store, node by node, so that a writer loads
//! only the paths it changes (FORMATS.md §21).
//!
//! A node's place is canonical, so it never moves as the map grows (keys
//! are only added): a leaf is kept under its key, a branch under its bit
//! and the key prefix before that bit. A stored branch holds its children's
//! places and hashes; a path loaded from the store is checked hash by hash
//! against the root the store commits to, so a damaged store is refused
//! rather than folded into a commit.

use super::map::{branch_hash, Map, MapError, MapLeaf, Node};
use crate::merkle::Hash;

/// Where a node is kept: `0x00 ‖ 0x00 ‖ key` for a leaf, `0x01 ‖ bit ‖
/// prefix` for a branch, the prefix being any key below it with every bit
/// from `bit` on cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeId([u8; 34]);

impl NodeId {
    /// A leaf's place.
    pub fn leaf(key: &[u8; 32]) -> NodeId {
        let mut b = [0u8; 34];
        b[2..].copy_from_slice(key);
        NodeId(b)
    }

    /// The place of the branch on `bit` above `key`.
    pub fn branch(bit: u8, key: &[u8; 32]) -> NodeId {
        let mut b = [0u8; 34];
        b[0] = 1;
        b[1] = bit;
        for (i, byte) in key.iter().enumerate() {
            let first = (i * 8) as u16;
            let keep = u16::from(bit).saturating_sub(first).min(8);
            let mask = if keep == 0 { 0 } else { 0xFFu8 << (8 - keep) };
            b[2 + i] = byte & mask;
        }
        NodeId(b)
    }

    /// Its bytes.
    pub fn as_bytes(&self) -> &[u8; 34] {
        &self.0
    }

    /// Reads a place back.
    pub fn from_bytes(b: &[u8]) -> Result<NodeId, MapError> {
        let a: [u8; 34] = b
            .try_into()
            .map_err(|_| MapError::Stored(format!("a node place of {} bytes", b.len())))?;
        let id = NodeId(a);
        let key: [u8; 32] = a[2..].try_into().unwrap_or([0; 32]);
        let canonical = match a[0] {
            0 => NodeId::leaf(&key),
            1 => NodeId::branch(a[1], &key),
            t => return Err(MapError::Stored(format!("a node place of type {t}"))),
        };
        if canonical != id {
            return Err(MapError::Stored(
                "a node place that is not canonical".into(),
            ));
        }
        Ok(id)
    }

    fn prefix(&self) -> [u8; 32] {
        self.0[2..].try_into().unwrap_or([0; 32])
    }
}

/// A node as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredNode {
    /// `0x02 ‖ key ‖ u64be(count) ‖ digest`.
    Leaf(MapLeaf),
    /// `0x03 ‖ bit ‖ (place ‖ hash) of the left child ‖ of the right child`.
    Branch {
        /// The key bit it splits on.
        bit: u8,
        /// Left (bit 0) and right children: place and hash.
        children: [(NodeId, Hash); 2],
    },
}

impl StoredNode {
    /// Its bytes.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            StoredNode::Leaf(l) => {
                let mut v = Vec::with_capacity(73);
                v.push(0x02);
                v.extend_from_slice(&l.key);
                v.extend_from_slice(&l.count.to_be_bytes());
                v.extend_from_slice(l.digest.as_bytes());
                v
            }
            StoredNode::Branch { bit, children } => {
                let mut v = Vec::with_capacity(2 + 2 * 66);
                v.extend_from_slice(&[0x03, *bit]);
                for (id, h) in children {
                    v.extend_from_slice(id.as_bytes());
                    v.extend_from_slice(h.as_bytes());
                }
                v
            }
        }
    }

    /// Reads a node back.
    pub fn decode(b: &[u8]) -> Result<StoredNode, MapError> {
        let bad = || MapError::Stored(format!("a stored node of {} bytes", b.len()));
        match b.first() {
            Some(0x02) if b.len() == 73 => Ok(StoredNode::Leaf(MapLeaf {
                key: b[1..33].try_into().map_err(|_| bad())?,
                count: u64::from_be_bytes(b[33..41].try_into().map_err(|_| bad())?),
                digest: Hash::from_slice(&b[41..73]).map_err(|_| bad())?,
            })),
            Some(0x03) if b.len() == 2 + 2 * 66 => {
                let child = |o: usize| -> Result<(NodeId, Hash), MapError> {
                    Ok((
                        NodeId::from_bytes(&b[o..o + 34])?,
                        Hash::from_slice(&b[o + 34..o + 66]).map_err(|_| bad())?,
                    ))
                };
                Ok(StoredNode::Branch {
                    bit: b[1],
                    children: [child(2)?, child(68)?],
                })
            }
            _ => Err(bad()),
        }
    }
}

/// Turns a stored node into a loaded one whose children are stubs, checking
/// it is the node at `id` with hash `expected`.
fn expand(id: &NodeId, expected: &Hash, stored: StoredNode) -> Result<Node, MapError> {
    let mut node = match stored {
        StoredNode::Leaf(l) if NodeId::leaf(&l.key) == *id => Node::leaf(l),
        StoredNode::Branch { bit, children } if NodeId::branch(bit, &id.prefix()) == *id => {
            let [(l, lh), (r, rh)] = children;
            Node::Branch {
                bit,
                rep: id.prefix(),
                children: Box::new([Node::Stub(l, lh), Node::Stub(r, rh)]),
                hash: Some(branch_hash(bit, &lh, &rh)),
            }
        }
        _ => {
            return Err(MapError::Stored(
                "a stored node is not the one its parent names".into(),
            ))
        }
    };
    if node.hash() != *expected {
        return Err(MapError::Stored(
            "a stored node does not match the hash its parent commits to".into(),
        ));
    }
    Ok(node)
}

impl Map {
    /// A map kept in a store: its root's place and hash, and its size;
    /// nothing loaded yet.
    pub fn resumed(root: Option<(NodeId, Hash)>, len: u64) -> Map {
        Map {
            root: root.map(|(id, h)| Node::Stub(id, h)),
            len,
            dirty: Default::default(),
        }
    }

    /// The root's place in a store (`None` for the empty map).
    pub fn root_id(&self) -> Option<NodeId> {
        self.root.as_ref().map(Node::id)
    }

    /// Loads from the store the path to where `key` is or would go, so that
    /// inserting it and proving it need nothing else. Each node read is
    /// checked against the hash its parent holds.
    pub fn load_path(
        &mut self,
        key: &[u8; 32],
        fetch: &mut dyn FnMut(&NodeId) -> Result<StoredNode, MapError>,
    ) -> Result<(), MapError> {
        let mut node = match &mut self.root {
            None => return Ok(()),
            Some(n) => n,
        };
        loop {
            if let Node::Stub(id, h) = node {
                let (id, h) = (*id, *h);
                *node = expand(&id, &h, fetch(&id)?)?;
            }
            match node {
                // Down to a leaf, as a proof goes (a proof of absence ends
                // at another key's leaf); inserting needs a prefix of this.
                Node::Branch { bit, children, .. } => {
                    node = &mut children[usize::from(super::map::bit(key, *bit))];
                }
                _ => return Ok(()),
            }
        }
    }

    /// The nodes changed since loading or the last call, as the store keeps
    /// them.
    pub fn take_dirty(&mut self) -> Vec<(NodeId, StoredNode)> {
        self.root();
        let mut out = Vec::with_capacity(self.dirty.len());
        if let Some(n) = &mut self.root {
            collect(n, &self.dirty, &mut out);
        }
        self.dirty.clear();
        out
    }

    /// Forgets every loaded node (after [`Map::take_dirty`]): the map is its
    /// root stub again.
    pub fn evict(&mut self) {
        let root = self.root();
        if let Some(id) = self.root_id() {
            self.root = Some(Node::Stub(id, root));
        }
    }
}

fn collect(
    n: &mut Node,
    dirty: &std::collections::HashSet<NodeId>,
    out: &mut Vec<(NodeId, StoredNode)>,
) {
    let id = n.id();
    if !dirty.contains(&id) {
        return;
    }
    match n {
        Node::Leaf(l, _) => out.push((id, StoredNode::Leaf(*l))),
        Node::Branch { bit, children, .. } => {
            let [l, r] = children.as_mut();
            let c = [(l.id(), l.hash()), (r.id(), r.hash())];
            out.push((
                id,
                StoredNode::Branch {
                    bit: *bit,
                    children: c,
                },
            ));
            collect(l, dirty, out);
            collect(r, dirty, out);
        }
        Node::Stub(..) => {}
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::history::{key_of, list_digest};

    fn leaf(id: &str, n: u64) -> MapLeaf {
        let l: Vec<u64> = (0..n).collect();
        MapLeaf {
            key: key_of(id),
            count: n,
            digest: list_digest(&l),
        }
    }

    type Store = HashMap<NodeId, Vec<u8>>;

    fn fetch(store: &Store) -> impl FnMut(&NodeId) -> Result<StoredNode, MapError> + '_ {
        |id| StoredNode::decode(store.get(id).ok_or(MapError::Stored("missing".into()))?)
    }

    /// Rounds of inserts, each into a map resumed from the store with only
    /// the touched paths loaded, give the same roots as one map in memory.
    #[test]
    fn a_map_kept_in_a_store_has_the_roots_of_the_map_in_memory() {
        let mut store = Store::new();
        let mut root = None;
        let mut len = 0;
        let mut full = Map::new();
        let mut x = 7u64;
        for round in 0..40u64 {
            let mut m = Map::resumed(root, len);
            for k in 0..(1 + round % 7) {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let l = leaf(&format!("TF-{}", x % 120), round * 10 + k);
                m.load_path(&l.key, &mut fetch(&store)).unwrap();
                m.insert(l).unwrap();
                full.insert(l).unwrap();
            }
            let nodes = m.take_dirty();
            let r = m.root_id().map(|id| (id, m.root()));
            assert!(nodes.len() <= 200, "only changed paths are written");
            for (id, n) in nodes {
                let b = n.encode();
                assert_eq!(StoredNode::decode(&b).unwrap(), n);
                store.insert(id, b);
            }
            assert_eq!(r.map(|(_, h)| h), Some(full.root()));
            root = r;
            len = m.len();
            assert_eq!(len, full.len());
            // Proofs from a resumed map with its path loaded.
            let key = key_of("TF-3");
            let mut p = Map::resumed(root, len);
            p.load_path(&key, &mut fetch(&store)).unwrap();
            assert_eq!(p.prove(&key).unwrap(), full.prove(&key).unwrap());
        }
        // An unloaded path is reported, not answered.
        let mut m = Map::resumed(root, len);
        assert_eq!(m.insert(leaf("TF-new", 1)), Err(MapError::NotLoaded));
        // A damaged node is refused.
        let (id, _) = root.unwrap();
        let mut bad = StoredNode::decode(&store[&id]).unwrap();
        if let StoredNode::Branch { children, .. } = &mut bad {
            children[0].1 = Hash::from_bytes([9; 32]);
        }
        store.insert(id, bad.encode());
        let mut m = Map::resumed(root, len);
        let e = m
            .load_path(&key_of("TF-1"), &mut fetch(&store))
            .unwrap_err();
        assert!(e.to_string().contains("does not match"), "{e}");
        assert!(
            NodeId::from_bytes(&[1; 34]).is_err(),
            "a non-canonical place"
        );
    }
}
