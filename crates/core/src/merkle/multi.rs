//! Multi-leaf inclusion proofs over RFC 9162 trees: the fewest subtree
//! hashes that, with the disclosed leaves, recompute the root. The proof
//! lists, left to right, the roots of the maximal subtrees that hold no
//! disclosed leaf; nothing else about those leaves is revealed.

use super::{node_hash, root_from_leaf_hashes, Hash, MerkleError};

fn split(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The multi-proof for the leaves at `indices` (strictly increasing, at
/// least one) of the tree whose leaf hashes are `leaves`.
pub fn multi_proof(leaves: &[Hash], indices: &[u64]) -> Result<Vec<Hash>, MerkleError> {
    let n = leaves.len() as u64;
    check_indices(indices, n)?;
    let mut out = Vec::new();
    prove(leaves, 0, n, indices, &mut out);
    Ok(out)
}

fn check_indices(indices: &[u64], size: u64) -> Result<(), MerkleError> {
    if indices.is_empty() {
        return Err(MerkleError::ProofParamsMismatch {
            proof: "no leaves".into(),
            check: "a multi-proof of at least one leaf".into(),
        });
    }
    if let Some(w) = indices.windows(2).find(|w| w[0] >= w[1]) {
        return Err(MerkleError::ProofParamsMismatch {
            proof: format!("indices {} then {}", w[0], w[1]),
            check: "strictly increasing indices".into(),
        });
    }
    let last = indices[indices.len() - 1];
    if last >= size {
        return Err(MerkleError::IndexOutOfRange { index: last, size });
    }
    Ok(())
}

fn prove(leaves: &[Hash], lo: u64, hi: u64, idx: &[u64], out: &mut Vec<Hash>) {
    if idx.is_empty() {
        out.push(root_from_leaf_hashes(&leaves[lo as usize..hi as usize]));
        return;
    }
    if hi - lo == 1 {
        return;
    }
    let mid = lo + split(hi - lo);
    let at = idx.partition_point(|&i| i < mid);
    prove(leaves, lo, mid, &idx[..at], out);
    prove(leaves, mid, hi, &idx[at..], out);
}

/// Recomputes the root of a tree of `size` leaves from the disclosed
/// (index, leaf hash) pairs (strictly increasing indices) and the proof.
/// Fails if the proof has too few or too many hashes.
pub fn multi_root(
    size: u64,
    disclosed: &[(u64, Hash)],
    proof: &[Hash],
) -> Result<Hash, MerkleError> {
    let indices: Vec<u64> = disclosed.iter().map(|d| d.0).collect();
    check_indices(&indices, size)?;
    let mut next = 0usize;
    let root = rebuild(0, size, disclosed, proof, &mut next)?;
    if next != proof.len() {
        return Err(MerkleError::WrongProofLength {
            what: format!("{} leaves of tree {size}", disclosed.len()),
            expected: next,
            got: proof.len(),
        });
    }
    Ok(root)
}

fn rebuild(
    lo: u64,
    hi: u64,
    disclosed: &[(u64, Hash)],
    proof: &[Hash],
    next: &mut usize,
) -> Result<Hash, MerkleError> {
    if disclosed.is_empty() {
        let h = proof
            .get(*next)
            .ok_or_else(|| MerkleError::WrongProofLength {
                what: format!("multi-proof (subtree {lo}..{hi})"),
                expected: *next + 1,
                got: proof.len(),
            })?;
        *next += 1;
        return Ok(*h);
    }
    if hi - lo == 1 {
        return Ok(disclosed[0].1);
    }
    let mid = lo + split(hi - lo);
    let at = disclosed.partition_point(|d| d.0 < mid);
    let l = rebuild(lo, mid, &disclosed[..at], proof, next)?;
    let r = rebuild(mid, hi, &disclosed[at..], proof, next)?;
    Ok(node_hash(&l, &r))
}
