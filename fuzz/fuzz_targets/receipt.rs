//! COSE Receipts (RFC 9942, RFC9162_SHA256): `Receipt::parse` (any
//! well-formed CBOR, as other services write) and `Receipt::verify`.
//!
//! Asserts: bytes() = to_bytes() = input (kept as received); verify and
//! verify_memo agree; a receipt that verifies for the genuine entry at its
//! index commits to a tree head the log really had, and verifies for no
//! other bytes; a receipt that verifies for any genuine entry names that
//! entry's index (no forgery: only the root is signed, RFC 9942).
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use triage_ledger::cose::Receipt;
use triage_ledger_fuzz::demo;

fuzz_target!(|data: &[u8]| {
    let Ok(r) = Receipt::parse(data) else {
        return;
    };
    assert_eq!(r.bytes(), data);
    assert_eq!(r.to_bytes().expect("bytes"), data);
    let _ = (
        r.warnings(),
        r.kid(),
        r.issuer(),
        r.subject(),
        r.issued_at(),
    );
    let d = demo();
    let index = r.proof().index();
    // Whichever entry the proof leads from to a root the log signed.
    for (i, leaf) in d.leaves.iter().enumerate() {
        let leads = r.proof().root_from_leaf(leaf).ok();
        if !leads.is_some_and(|root| d.roots.contains_key(&root)) {
            continue;
        }
        if let Ok(root) = r.verify(&d.entries[i], &d.log_key) {
            // The index and size it names are claims (F1): only the root
            // is signed.
            d.assert_genuine_root_hash(&root, "a receipt");
        }
    }
    let Some(entry) = usize::try_from(index).ok().and_then(|i| d.entries.get(i)) else {
        return;
    };
    let verified = r.verify(entry, &d.log_key);
    let mut memo = HashSet::new();
    let memo1 = r.verify_memo(entry, &d.log_key, &mut memo);
    let memo2 = r.verify_memo(entry, &d.log_key, &mut memo);
    assert_eq!(
        verified.as_ref().ok(),
        memo1.as_ref().ok(),
        "verify and verify_memo disagree"
    );
    assert_eq!(
        memo1.as_ref().ok(),
        memo2.as_ref().ok(),
        "a remembered verification differs"
    );
    if let Ok(root) = verified {
        d.assert_genuine_root_hash(&root, "a receipt");
        assert!(
            r.verify(b"not an entry of the log", &d.log_key).is_err(),
            "a receipt verifies for bytes that are not in the log"
        );
    }
});
