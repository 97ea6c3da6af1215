//! The public log as a reader sees it (c2sp.org/tlog-tiles): entry
//! bundles (`parse_bundle`), hash tiles (`parse_hash_tile`), and the whole
//! tree read through `OpenTree` (entries, inclusion proofs, the replay of
//! every entry) and by the monitor (`monitor_tree`), with one object of
//! the demo log (the checkpoint, a hash tile or an entry bundle) replaced
//! by the fuzzer's bytes.
//!
//! Input: one byte choosing the object (and the entry count for
//! `parse_bundle`), then its new bytes.
//!
//! Asserts: a bundle and a hash tile re-encode to their bytes; whatever
//! the tree serves, an entry read, a proof made, or a replay that
//! succeeds is the genuine log's (tampering is caught, never served); a
//! checkpoint that opens is genuine; the monitor reports no lie of the
//! honest log, and no proof of misbehaviour it writes verifies.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use triage_ledger::merkle::leaf_hash;
use triage_ledger::monitor::monitor_tree;
use triage_ledger::store::OpenTree;
use triage_ledger::tiles::{
    parse_bundle, parse_hash_tile, tile_rel_path, tile_width, RightEdge, TileKind, TILE_WIDTH,
};
use triage_ledger::verify::verify_misbehaviour;
use triage_ledger_fuzz::{demo, MemTree};

/// The objects a reader of the demo log's checkpoint reads, sorted (the
/// order fuzz/seeds.sh numbers them in).
fn objects() -> &'static [String] {
    static O: OnceLock<Vec<String>> = OnceLock::new();
    O.get_or_init(|| {
        let d = demo();
        let size = d.signed.root().size();
        let mut keys = vec!["checkpoint".to_string()];
        for level in 0..8u8 {
            let count = if u32::from(level) * 8 >= 64 {
                0
            } else {
                size >> (u32::from(level) * 8)
            };
            if count == 0 && level > 0 {
                break;
            }
            for n in 0..count.div_ceil(TILE_WIDTH) {
                keys.push(tile_rel_path(
                    TileKind::Hashes(level),
                    n,
                    tile_width(count, n),
                ));
            }
        }
        for n in 0..size.div_ceil(TILE_WIDTH) {
            keys.push(tile_rel_path(TileKind::Entries, n, tile_width(size, n)));
        }
        keys.retain(|k| d.log_objects.contains_key(k));
        keys.sort();
        keys
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, content)) = data.split_first() else {
        return;
    };
    if let Ok(entries) = parse_bundle(content, u64::from(sel)) {
        assert_eq!(entries.len(), usize::from(sel));
        let mut again = Vec::new();
        for e in &entries {
            again.extend_from_slice(&u16::try_from(e.len()).expect("u16").to_be_bytes());
            again.extend_from_slice(e);
        }
        assert_eq!(
            again, content,
            "an entry bundle does not re-encode to its bytes"
        );
    }
    if content.len() % 32 == 0 {
        let hashes =
            parse_hash_tile(content, (content.len() / 32) as u64).expect("a whole tile");
        let again: Vec<u8> = hashes.iter().flat_map(|h| h.as_bytes().to_vec()).collect();
        assert_eq!(
            again, content,
            "a hash tile does not re-encode to its bytes"
        );
    }

    let d = demo();
    let objs = objects();
    let key = &objs[usize::from(sel) % objs.len()];
    let tree = MemTree {
        base: &d.log_objects,
        replaced: Some((key.as_str(), Some(content))),
    };
    let open = match OpenTree::open(&tree, &d.log_key) {
        Ok(o) => {
            d.assert_genuine_root(o.checkpoint().root(), "a served checkpoint");
            o
        }
        Err(_) => OpenTree::at(&tree, d.signed.clone()),
    };
    let size = open.checkpoint().root().size();
    if size > 0 {
        for i in [0, size - 1, content.len() as u64 % size] {
            if let Ok(e) = open.read_entry(i) {
                assert_eq!(
                    e, d.entries[i as usize],
                    "a tampered entry was served as genuine"
                );
            }
            if let Ok(proof) = open.prove_inclusion(i) {
                proof
                    .verify(&leaf_hash(&d.entries[i as usize]), open.checkpoint().root())
                    .expect("a proof served for a genuine entry does not verify");
            }
        }
    }
    let mut seen = Vec::new();
    if open
        .for_each_entry_from(RightEdge::new(), |_, e| {
            seen.push(e.to_vec());
            Ok(())
        })
        .is_ok()
    {
        assert_eq!(
            seen,
            d.entries[..size as usize],
            "a replay served a tampered log"
        );
    }

    match monitor_tree(
        &tree,
        Some(d.log_key.clone()),
        None,
        Some(&d.trust.policy),
        Some("TF-0001"),
    ) {
        Ok((run, _)) => {
            assert!(
                run.fault.is_none(),
                "the monitor found a lie in the honest log: {:?}",
                run.fault
            );
            if let Some(m) = &run.proof {
                assert!(!verify_misbehaviour(m, &d.trust).verified());
            }
        }
        Err(_) => {}
    }
});
