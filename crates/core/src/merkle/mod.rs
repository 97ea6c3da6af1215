//! RFC 9162 Merkle tree hashing and proofs: pure functions, no I/O.
//!
//! The tree size always travels with its root ([`RootHash`]); proofs are
//! opaque types that know the sizes they were made for. Generation works over
//! any [`NodeSource`] (in memory, or tiles on disk in `store`), verification
//! follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step.

mod hash;
mod memory;
mod multi;
mod proof;

#[doc(hidden)]
pub use hash::{complete_subtree_root, fold_right, truncate_for_message};
pub use hash::{empty_root, leaf_hash, node_hash, root_from_leaf_hashes, Hash, HASH_SIZE};

pub use memory::{MemoryTree, RootBuilder};
pub use multi::{multi_proof, multi_root};
pub use proof::{
    consistency_proof, inclusion_proof, range_root, ConsistencyProof, InclusionProof, NodeSource,
};

/// A tree size and the root hash of the tree of that size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootHash {
    size: u64,
    hash: Hash,
}

impl RootHash {
    /// Pairs a size with its root hash.
    pub const fn new(size: u64, hash: Hash) -> Self {
        RootHash { size, hash }
    }
    /// Number of leaves.
    pub const fn size(&self) -> u64 {
        self.size
    }
    /// The root hash.
    pub const fn hash(&self) -> &Hash {
        &self.hash
    }
}

/// Why a Merkle computation or proof check failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MerkleError {
    /// A hash was not 32 bytes long.
    #[error("a hash must be 32 bytes, got {len}")]
    BadHashLength {
        /// The length received.
        len: usize,
    },
    /// A hash was not valid standard base64.
    #[error("not a base64 hash: {text:?}")]
    BadHashEncoding {
        /// The offending text (truncated).
        text: String,
    },
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// Requested index.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// The old tree is larger than the new one.
    #[error("old tree size {old} is larger than new tree size {new}")]
    OldSizeTooLarge {
        /// Old size.
        old: u64,
        /// New size.
        new: u64,
    },
    /// The proof does not have the number of hashes RFC 9162 prescribes.
    #[error("proof for {what} has {got} hashes, expected {expected}")]
    WrongProofLength {
        /// Which proof ("leaf 5 in tree 9", "tree 3 → 9").
        what: String,
        /// Hashes expected.
        expected: usize,
        /// Hashes received.
        got: usize,
    },
    /// The proof does not lead to the expected root.
    #[error("inclusion proof for leaf {index} does not lead to the root of tree size {size}")]
    InclusionRootMismatch {
        /// Leaf index.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// The proof and the checkpoints disagree about the old tree.
    #[error("consistency proof {old} → {new} does not reproduce the old root")]
    ConsistencyOldRootMismatch {
        /// Old size.
        old: u64,
        /// New size.
        new: u64,
    },
    /// The proof and the checkpoints disagree about the new tree.
    #[error("consistency proof {old} → {new} does not reproduce the new root")]
    ConsistencyNewRootMismatch {
        /// Old size.
        old: u64,
        /// New size.
        new: u64,
    },
    /// Two trees of equal size have different roots: a split view.
    #[error("two trees of size {size} have different roots (split view)")]
    EqualSizeRootMismatch {
        /// The common size.
        size: u64,
    },
    /// The proof was made for different sizes or index than the check needs.
    #[error("proof is for {proof}, but the check is for {check}")]
    ProofParamsMismatch {
        /// What the proof says.
        proof: String,
        /// What the verifier needs.
        check: String,
    },
    /// A hash the proof needs could not be read.
    #[error("cannot read the hash of subtree (level {level}, index {index}): {reason}")]
    Source {
        /// Level (log2 of the subtree size).
        level: u8,
        /// Index of the subtree at that level.
        index: u64,
        /// What went wrong.
        reason: String,
    },
}

impl MerkleError {}

impl crate::class::Classify for MerkleError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            MerkleError::BadHashLength { .. } | MerkleError::BadHashEncoding { .. } => {
                Class::BadInput
            }
            MerkleError::Source { .. } => Class::Internal,
            _ => Class::VerificationFailed,
        }
    }
}

#[cfg(test)]
mod tests;
