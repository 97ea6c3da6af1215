//! Transparent statements (RFC 9943 §7): `split_transparent` (the envelope
//! in any well-formed CBOR, the receipts in label 394 as byte strings, or
//! in the old form) and `transparent_statement`, which assembles one.
//!
//! Asserts: split → transparent_statement → split gives the same statement
//! and receipts, in the RFC form; a deterministic RFC-form input is exactly
//! its re-assembly; and a receipt that verifies with the log key proves the
//! statement is the genuine log entry at the receipt's index.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::cose::{
    split_transparent, transparent_statement, CoseSign1, MAX_RECEIPT_SIZE, MAX_TRANSPARENT_SIZE,
};
use triage_ledger_fuzz::demo;

fuzz_target!(|data: &[u8]| {
    let Ok(t) = split_transparent(data) else {
        return;
    };
    let _ = t.warnings();
    if !t.receipts.is_empty() {
        let again = transparent_statement(&t.statement, &t.receipts)
            .expect("a split statement re-assembles");
        if !t.legacy_form && CoseSign1::parse(data).is_ok() {
            assert_eq!(
                again, data,
                "a deterministic transparent statement is not its re-assembly"
            );
        }
        if again.len() <= MAX_TRANSPARENT_SIZE
            && t.receipts
                .iter()
                .all(|r| r.bytes().len() <= MAX_RECEIPT_SIZE)
        {
            let t2 =
                split_transparent(&again).expect("a re-assembled transparent statement splits");
            assert_eq!(t2.statement, t.statement);
            assert!(!t2.legacy_form);
            assert_eq!(t2.receipts.len(), t.receipts.len());
            for (a, b) in t2.receipts.iter().zip(&t.receipts) {
                assert_eq!(a.bytes(), b.bytes());
                if !t.legacy_form {
                    assert_eq!(a, b);
                }
            }
        }
    }
    let d = demo();
    for r in &t.receipts {
        if let Ok(root) = r.verify(t.statement.bytes(), &d.log_key) {
            // The root is signed; the index it names is a claim (F1).
            d.assert_genuine_root_hash(&root, "a receipt of a transparent statement");
            assert!(
                d.entry_set.contains(t.statement.bytes()),
                "a receipt verifies for a statement that is not an entry of the log"
            );
        }
    }
});
