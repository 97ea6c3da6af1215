//! The ledger's RFC 9162 Merkle code checked against `rs_merkle` (the
//! design card's crate), an independent implementation, given an RFC 9162
//! hasher: leaves are hashed by us (`SHA-256(0x00 ‖ entry)`), interior
//! nodes by rs_merkle through `Rfc9162` (`SHA-256(0x01 ‖ left ‖ right)`; a
//! node without a sibling is carried up, which gives RFC 9162's shape).
//! rs_merkle builds trees bottom-up and has no consistency proofs or tiles,
//! so it is the cross-check, not the engine: roots, single-leaf inclusion
//! proofs and multi-leaf proofs (what disclosures use) for many sizes.

use rs_merkle::{Hasher, MerkleTree};
use sha2::{Digest, Sha256};
use triage_ledger::merkle::{inclusion_proof, leaf_hash, multi_proof, multi_root, MemoryTree};

#[derive(Clone)]
struct Rfc9162;

impl Hasher for Rfc9162 {
    type Hash = [u8; 32];
    fn hash(data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }
    fn concat_and_hash(left: &[u8; 32], right: Option<&[u8; 32]>) -> [u8; 32] {
        match right {
            Some(r) => {
                let mut h = Sha256::new();
                h.update([0x01]);
                h.update(left);
                h.update(r);
                h.finalize().into()
            }
            None => *left,
        }
    }
}

fn sizes() -> Vec<u64> {
    (1..=130)
        .chain([255, 256, 257, 1000, 1023, 1024, 1025, 4097])
        .collect()
}

fn trees(n: u64) -> (MemoryTree, MerkleTree<Rfc9162>, Vec<[u8; 32]>) {
    let entries: Vec<Vec<u8>> = (0..n).map(|i| format!("entry {i}").into_bytes()).collect();
    let ours = MemoryTree::from_entries(&entries);
    let leaves: Vec<[u8; 32]> = entries.iter().map(|e| *leaf_hash(e).as_bytes()).collect();
    (ours, MerkleTree::<Rfc9162>::from_leaves(&leaves), leaves)
}

#[test]
fn roots_agree_for_every_size() {
    for n in sizes() {
        let (ours, theirs, _) = trees(n);
        assert_eq!(
            Some(*ours.root().hash().as_bytes()),
            theirs.root(),
            "size {n}"
        );
    }
}

#[test]
fn inclusion_proofs_agree_and_verify_both_ways() {
    for n in sizes() {
        let (ours, theirs, leaves) = trees(n);
        let root = *ours.root().hash().as_bytes();
        let step = (n / 17).max(1);
        for i in (0..n).step_by(step as usize).chain([n - 1]) {
            let our_path: Vec<[u8; 32]> = inclusion_proof(&ours, i, n)
                .unwrap()
                .path()
                .iter()
                .map(|h| *h.as_bytes())
                .collect();
            let their = theirs.proof(&[i as usize]);
            assert_eq!(
                their.proof_hashes(),
                our_path.as_slice(),
                "size {n} leaf {i}"
            );
            assert!(their.verify(root, &[i as usize], &[leaves[i as usize]], n as usize));
            // A wrong leaf does not verify with either.
            let wrong = *leaf_hash(b"not an entry").as_bytes();
            assert!(!their.verify(root, &[i as usize], &[wrong], n as usize));
        }
    }
}

#[test]
fn multi_leaf_proofs_lead_both_to_the_same_root() {
    for n in sizes().into_iter().filter(|n| *n >= 3) {
        let (ours, theirs, leaves) = trees(n);
        let root = ours.root();
        let picks: Vec<u64> = [0, n / 3, n / 2, n - 1]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let our_proof = multi_proof(ours.leaves(), &picks).unwrap();
        let disclosed: Vec<(u64, triage_ledger::merkle::Hash)> = picks
            .iter()
            .map(|&i| (i, ours.leaves()[i as usize]))
            .collect();
        assert_eq!(multi_root(n, &disclosed, &our_proof).unwrap(), *root.hash());
        let idx: Vec<usize> = picks.iter().map(|&i| i as usize).collect();
        let their_leaves: Vec<[u8; 32]> = idx.iter().map(|&i| leaves[i]).collect();
        let their = theirs.proof(&idx);
        assert!(
            their.verify(*root.hash().as_bytes(), &idx, &their_leaves, n as usize),
            "size {n}"
        );
        // The same set of sibling hashes, possibly in another order.
        let mut a: Vec<[u8; 32]> = our_proof.iter().map(|h| *h.as_bytes()).collect();
        let mut b = their.proof_hashes().to_vec();
        a.sort();
        b.sort();
        assert_eq!(a, b, "size {n} picks {picks:?}");
    }
}
