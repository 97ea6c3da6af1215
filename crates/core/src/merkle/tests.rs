//! Merkle tests: the RFC's recursive definitions as a reference, exhaustive
//! agreement for small trees, and mutation properties.

use super::*;
use proptest::prelude::*;

/// RFC 9162 §2.1.1 MTH, literally.
fn ref_mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&ref_mth(&leaves[..k]), &ref_mth(&leaves[k..]))
        }
    }
}

/// RFC 9162 §2.1.3.1 PATH(m, D[n]), literally.
fn ref_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
    if m < k {
        let mut p = ref_path(m, &leaves[..k]);
        p.push(ref_mth(&leaves[k..]));
        p
    } else {
        let mut p = ref_path(m - k, &leaves[k..]);
        p.push(ref_mth(&leaves[..k]));
        p
    }
}

/// RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b), literally.
fn ref_subproof(m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if b { vec![] } else { vec![ref_mth(leaves)] };
    }
    let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
    if m <= k {
        let mut p = ref_subproof(m, &leaves[..k], b);
        p.push(ref_mth(&leaves[k..]));
        p
    } else {
        let mut p = ref_subproof(m - k, &leaves[k..], false);
        p.push(ref_mth(&leaves[..k]));
        p
    }
}

fn tree(n: u64) -> MemoryTree {
    MemoryTree::from_entries((0..n).map(|i| i.to_string()))
}

#[test]
fn roots_agree_with_the_rfc_definition_up_to_300() {
    let t = tree(300);
    for n in 0..=300u64 {
        let want = ref_mth(&t.leaves()[..n as usize]);
        assert_eq!(*t.root_at(n).unwrap().hash(), want, "size {n}");
        assert_eq!(root_from_leaf_hashes(&t.leaves()[..n as usize]), want);
    }
}

#[test]
fn every_inclusion_proof_up_to_64_matches_the_rfc_and_verifies() {
    let t = tree(64);
    for n in 1..=64u64 {
        let root = t.root_at(n).unwrap();
        for i in 0..n {
            let p = inclusion_proof(&t, i, n).unwrap();
            assert_eq!(p.path(), ref_path(i as usize, &t.leaves()[..n as usize]));
            p.verify(&t.leaves()[i as usize], &root).unwrap();
        }
        assert_eq!(
            inclusion_proof(&t, n, n).unwrap_err(),
            MerkleError::IndexOutOfRange { index: n, size: n }
        );
    }
}

#[test]
fn every_consistency_proof_up_to_64_matches_the_rfc_and_verifies() {
    let t = tree(64);
    for n in 0..=64u64 {
        let new = t.root_at(n).unwrap();
        for m in 0..=n {
            let p = consistency_proof(&t, m, n).unwrap();
            if m > 0 && m < n {
                assert_eq!(
                    p.path(),
                    ref_subproof(m as usize, &t.leaves()[..n as usize], true)
                );
            } else {
                assert!(p.path().is_empty());
            }
            p.verify(&t.root_at(m).unwrap(), &new).unwrap();
        }
    }
    assert_eq!(
        consistency_proof(&t, 5, 4).unwrap_err(),
        MerkleError::OldSizeTooLarge { old: 5, new: 4 }
    );
}

#[test]
fn edge_cases_of_the_rfc() {
    let t = tree(8);
    let r8 = t.root_at(8).unwrap();
    let r0 = t.root_at(0).unwrap();
    // Equal sizes: empty proof, equal roots.
    ConsistencyProof::new(8, 8, vec![])
        .verify(&r8, &r8)
        .unwrap();
    let other = RootHash::new(8, leaf_hash(b"x"));
    assert_eq!(
        ConsistencyProof::new(8, 8, vec![])
            .verify(&r8, &other)
            .unwrap_err(),
        MerkleError::EqualSizeRootMismatch { size: 8 }
    );
    // Equal sizes with a non-empty proof fail.
    assert!(matches!(
        ConsistencyProof::new(8, 8, vec![leaf_hash(b"")]).verify(&r8, &r8),
        Err(MerkleError::WrongProofLength { .. })
    ));
    // Old size 0: empty proof only.
    ConsistencyProof::new(0, 8, vec![])
        .verify(&r0, &r8)
        .unwrap();
    assert!(ConsistencyProof::new(0, 8, vec![leaf_hash(b"")])
        .verify(&r0, &r8)
        .is_err());
    // Old larger than new.
    assert!(ConsistencyProof::new(9, 8, vec![])
        .verify(&RootHash::new(9, leaf_hash(b"")), &r8)
        .is_err());
    // Single-leaf tree: empty path, root is the leaf hash.
    let t1 = tree(1);
    let p = inclusion_proof(&t1, 0, 1).unwrap();
    assert!(p.path().is_empty());
    p.verify(&t1.leaves()[0], &t1.root()).unwrap();
    // Index ≥ size fails verification.
    assert!(matches!(
        InclusionProof::new(8, 8, vec![]).verify(&t.leaves()[0], &r8),
        Err(MerkleError::IndexOutOfRange { .. })
    ));
    // Proof for another size than the root's.
    let p = inclusion_proof(&t, 0, 7).unwrap();
    assert!(matches!(
        p.verify(&t.leaves()[0], &r8),
        Err(MerkleError::ProofParamsMismatch { .. })
    ));
}

/// Every way to damage an honest inclusion proof must make it fail.
fn inclusion_mutants(p: &InclusionProof) -> Vec<InclusionProof> {
    let mut out = Vec::new();
    for (h, _) in p.path().iter().enumerate() {
        for bit in [0usize, 7, 100, 255] {
            let mut path = p.path().to_vec();
            let mut bytes = *path[h].as_bytes();
            bytes[bit / 8] ^= 1 << (bit % 8);
            path[h] = Hash::from_bytes(bytes);
            out.push(InclusionProof::new(p.index(), p.size(), path));
        }
    }
    if !p.path().is_empty() {
        let mut short = p.path().to_vec();
        short.pop();
        out.push(InclusionProof::new(p.index(), p.size(), short));
        out.push(InclusionProof::new(
            p.index(),
            p.size(),
            p.path()[1..].to_vec(),
        ));
    }
    let mut long = p.path().to_vec();
    long.push(leaf_hash(b"extra"));
    out.push(InclusionProof::new(p.index(), p.size(), long));
    out
}

#[test]
fn damaged_inclusion_proofs_fail_up_to_40() {
    let t = tree(40);
    for n in 1..=40u64 {
        let root = t.root_at(n).unwrap();
        for i in 0..n {
            let p = inclusion_proof(&t, i, n).unwrap();
            let leaf = t.leaves()[i as usize];
            for bad in inclusion_mutants(&p) {
                assert!(
                    bad.verify(&leaf, &root).is_err(),
                    "mutant of {i}/{n} verified"
                );
            }
            // Wrong index (same path), wrong leaf.
            for j in (0..n).filter(|&j| j != i) {
                let wrong = InclusionProof::new(j, n, p.path().to_vec());
                assert!(wrong.verify(&leaf, &root).is_err(), "index {j} for {i}/{n}");
            }
            assert!(p.verify(&leaf_hash(b"not this"), &root).is_err());
            // The same path claimed for the next tree size does not lead to that
            // tree's root. (A path can fit two sizes with the *same* root hash,
            // which is why roots are only trusted as signed (size, hash) pairs.)
            if n < 40 {
                let wrong = InclusionProof::new(i, n + 1, p.path().to_vec());
                assert!(wrong.verify(&leaf, &t.root_at(n + 1).unwrap()).is_err());
            }
        }
    }
}

#[test]
fn damaged_consistency_proofs_fail_up_to_40() {
    let t = tree(40);
    for n in 1..=40u64 {
        let new = t.root_at(n).unwrap();
        for m in 1..n {
            let old = t.root_at(m).unwrap();
            let p = consistency_proof(&t, m, n).unwrap();
            for h in 0..p.path().len() {
                let mut path = p.path().to_vec();
                let mut bytes = *path[h].as_bytes();
                bytes[h % 32] ^= 0x80;
                path[h] = Hash::from_bytes(bytes);
                assert!(ConsistencyProof::new(m, n, path)
                    .verify(&old, &new)
                    .is_err());
            }
            let mut short = p.path().to_vec();
            short.pop();
            assert!(ConsistencyProof::new(m, n, short)
                .verify(&old, &new)
                .is_err());
            let mut long = p.path().to_vec();
            long.push(leaf_hash(b""));
            assert!(ConsistencyProof::new(m, n, long)
                .verify(&old, &new)
                .is_err());
            // Wrong old size with the same proof and roots.
            for m2 in (1..n).filter(|&x| x != m) {
                let bad = ConsistencyProof::new(m2, n, p.path().to_vec());
                assert!(bad.verify(&RootHash::new(m2, *old.hash()), &new).is_err());
            }
            // Tampered roots.
            let bad_old = RootHash::new(m, leaf_hash(b"x"));
            assert!(p.verify(&bad_old, &new).is_err());
            let bad_new = RootHash::new(n, leaf_hash(b"x"));
            assert!(p.verify(&old, &bad_new).is_err());
        }
    }
}

#[test]
fn ct_reference_vectors() {
    let text = include_str!("../../../../fixtures/merkle/ct-reference-vectors.txt");
    let hex = |s: &str| -> Vec<u8> {
        if s == "-" {
            return vec![];
        }
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    let h = |s: &str| Hash::from_slice(&hex(s)).unwrap();
    let mut t = MemoryTree::new();
    let mut checked = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f[0] {
            "leaf" => t.push(leaf_hash(&hex(f[2]))),
            "root" => {
                let n: u64 = f[1].parse().unwrap();
                assert_eq!(*t.root_at(n).unwrap().hash(), h(f[2]), "root {n}");
            }
            "inclusion" => {
                let (i, n): (u64, u64) = (f[1].parse().unwrap(), f[2].parse().unwrap());
                let want: Vec<Hash> = f[3..].iter().map(|s| h(s)).collect();
                let p = inclusion_proof(&t, i, n).unwrap();
                assert_eq!(p.path(), want.as_slice(), "inclusion {i} {n}");
                p.verify(&t.leaves()[i as usize], &t.root_at(n).unwrap())
                    .unwrap();
            }
            "consistency" => {
                let (m, n): (u64, u64) = (f[1].parse().unwrap(), f[2].parse().unwrap());
                let want: Vec<Hash> = f[3..].iter().map(|s| h(s)).collect();
                let p = consistency_proof(&t, m, n).unwrap();
                assert_eq!(p.path(), want.as_slice(), "consistency {m} {n}");
                p.verify(&t.root_at(m).unwrap(), &t.root_at(n).unwrap())
                    .unwrap();
            }
            other => panic!("unknown line kind {other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 25);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_honest_proofs_verify_and_mutants_fail(n in 1u64..2000, i_frac in 0.0f64..1.0, m_frac in 0.0f64..1.0, flip in 0usize..256) {
        let t = tree(n);
        let i = ((n as f64) * i_frac) as u64 % n;
        let root = t.root();
        let p = inclusion_proof(&t, i, n).unwrap();
        p.verify(&t.leaves()[i as usize], &root).unwrap();
        for (k, _) in p.path().iter().enumerate() {
            let mut path = p.path().to_vec();
            let mut b = *path[k].as_bytes();
            b[flip / 8] ^= 1 << (flip % 8);
            path[k] = Hash::from_bytes(b);
            prop_assert!(InclusionProof::new(i, n, path).verify(&t.leaves()[i as usize], &root).is_err());
        }
        let m = ((n as f64) * m_frac) as u64;
        let old = t.root_at(m).unwrap();
        let c = consistency_proof(&t, m, n).unwrap();
        c.verify(&old, &root).unwrap();
        for (k, _) in c.path().iter().enumerate() {
            let mut path = c.path().to_vec();
            let mut b = *path[k].as_bytes();
            b[flip / 8] ^= 1 << (flip % 8);
            path[k] = Hash::from_bytes(b);
            prop_assert!(ConsistencyProof::new(m, n, path).verify(&old, &root).is_err());
        }
    }
}

#[test]
fn a_streamed_root_equals_the_tree_root_at_every_size() {
    let mut b = RootBuilder::new();
    let mut leaves = Vec::new();
    assert_eq!(b.root(), RootHash::new(0, empty_root()));
    for i in 0..300u32 {
        let l = leaf_hash(&i.to_be_bytes());
        b.push(l);
        leaves.push(l);
        assert_eq!(
            b.root().hash(),
            &root_from_leaf_hashes(&leaves),
            "size {}",
            i + 1
        );
        assert_eq!(b.count(), i as u64 + 1);
    }
}

/// The fewest hashes a multi-proof can have: one per maximal subtree with no
/// disclosed leaf whose sibling has one (computed independently of the prover).
fn minimal(lo: u64, hi: u64, idx: &[u64]) -> usize {
    let any = idx.iter().any(|&i| i >= lo && i < hi);
    if !any {
        return 1;
    }
    if hi - lo == 1 {
        return 0;
    }
    let k = 1u64 << (63 - (hi - lo - 1).leading_zeros());
    minimal(lo, lo + k, idx) + minimal(lo + k, hi, idx)
}

#[test]
fn multi_proofs_of_every_subset_of_small_trees_verify_and_are_minimal() {
    for n in 1..=9u64 {
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let root = root_from_leaf_hashes(&leaves);
        for mask in 1u32..(1 << n) {
            let idx: Vec<u64> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
            let proof = multi_proof(&leaves, &idx).unwrap();
            assert_eq!(proof.len(), minimal(0, n, &idx), "n {n} subset {idx:?}");
            let disclosed: Vec<(u64, Hash)> =
                idx.iter().map(|&i| (i, leaves[i as usize])).collect();
            assert_eq!(multi_root(n, &disclosed, &proof).unwrap(), root);
            // Any changed hash, a hash too many or too few: another root or an error.
            for k in 0..proof.len() {
                let mut p = proof.clone();
                p[k] = Hash::digest(b"x");
                assert_ne!(multi_root(n, &disclosed, &p).ok(), Some(root));
            }
            let mut longer = proof.clone();
            longer.push(Hash::digest(b"x"));
            assert!(multi_root(n, &disclosed, &longer).is_err());
            if !proof.is_empty() {
                assert!(multi_root(n, &disclosed, &proof[1..]).is_err());
            }
            let mut wrong = disclosed.clone();
            wrong[0].1 = Hash::digest(b"y");
            assert_ne!(multi_root(n, &wrong, &proof).ok(), Some(root));
        }
    }
    let leaves: Vec<Hash> = (0..4u64).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    assert!(multi_proof(&leaves, &[]).is_err());
    assert!(multi_proof(&leaves, &[2, 1]).is_err());
    assert!(multi_proof(&leaves, &[4]).is_err());
}
