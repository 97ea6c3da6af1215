//! An in-memory tree that keeps every complete subtree hash: the reference
//! [`NodeSource`] for tests, benchmarks and small trees.

use super::{fold_right, leaf_hash, node_hash, Hash, MerkleError, NodeSource, RootHash};

/// All complete-subtree hashes of a tree, level by level.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    /// `levels[l][i]` is the hash of the complete subtree (level l, index i).
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        MemoryTree {
            levels: vec![Vec::new()],
        }
    }

    /// Builds a tree from entries.
    pub fn from_entries<I, E>(entries: I) -> Self
    where
        I: IntoIterator<Item = E>,
        E: AsRef<[u8]>,
    {
        let mut t = Self::new();
        for e in entries {
            t.push(leaf_hash(e.as_ref()));
        }
        t
    }

    /// Appends one leaf hash, updating the complete subtrees it finishes.
    pub fn push(&mut self, leaf: Hash) {
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let n = self.levels[level].len();
            let parent = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Leaf hashes.
    pub fn leaves(&self) -> &[Hash] {
        &self.levels[0]
    }

    /// The root of the prefix of `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<RootHash, MerkleError> {
        if size > self.size() {
            return Err(MerkleError::IndexOutOfRange {
                index: size,
                size: self.size(),
            });
        }
        if size == 0 {
            return Ok(RootHash::new(0, super::empty_root()));
        }
        let mut pieces = Vec::new();
        let mut start = 0u64;
        let mut rest = size;
        while rest > 0 {
            let level = 63 - rest.leading_zeros();
            pieces.push(self.subtree(level as u8, start >> level)?);
            start += 1 << level;
            rest -= 1 << level;
        }
        Ok(RootHash::new(size, fold_right(&pieces)))
    }

    /// The root of the whole tree.
    pub fn root(&self) -> RootHash {
        // The full size is always within range.
        self.root_at(self.size())
            .unwrap_or(RootHash::new(0, super::empty_root()))
    }
}

impl NodeSource for MemoryTree {
    fn subtree(&self, level: u8, index: u64) -> Result<Hash, MerkleError> {
        self.levels
            .get(level as usize)
            .and_then(|l| l.get(index as usize))
            .copied()
            .ok_or_else(|| MerkleError::Source {
                level,
                index,
                reason: "not a complete subtree of this tree".into(),
            })
    }
}

/// The root of a stream of leaves in O(log n) memory: the roots of the
/// maximal complete subtrees seen so far (a "compact range"), merged as
/// leaves arrive.
#[derive(Clone, Debug, Default)]
pub struct RootBuilder {
    /// (height, hash), heights strictly decreasing from the bottom of the stack.
    stack: Vec<(u32, Hash)>,
    count: u64,
}

impl RootBuilder {
    /// An empty stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (0u32, leaf);
        while let Some(&(h, left)) = self.stack.last() {
            if h != node.0 {
                break;
            }
            self.stack.pop();
            node = (h + 1, node_hash(&left, &node.1));
        }
        self.stack.push(node);
        self.count += 1;
    }

    /// Leaves pushed so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The RFC 9162 root of the leaves pushed so far.
    pub fn root(&self) -> RootHash {
        let pieces: Vec<Hash> = self.stack.iter().map(|&(_, h)| h).collect();
        RootHash::new(self.count, fold_right(&pieces))
    }
}
