//! A witness's answer to an add-checkpoint request (c2sp.org/tlog-witness:
//! signature lines), as the log reads it: `cosignatures_from_response` for
//! the demo's latest checkpoint and each demo witness.
//!
//! Asserts: every line it returns verifies on the checkpoint and is a
//! cosignature the witness really made (no forgery); the checkpoint with
//! those lines attached meets the quorum.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::note::{cosignatures_from_response, verify_cosignature, CosignatureCheck};
use triage_ledger_fuzz::demo;

fuzz_target!(|data: &[u8]| {
    let d = demo();
    for w in &d.witness_keys {
        let Ok(lines) = cosignatures_from_response(&d.signed, data, w) else {
            continue;
        };
        assert!(!lines.is_empty());
        let mut cp = d.signed.clone();
        for s in &lines {
            assert!(
                d.note_signatures.contains(&s.to_line()),
                "a cosignature the witness never made was accepted"
            );
            cp = cp.with_cosignature(s.clone()).expect("attaches");
        }
        assert!(matches!(
            verify_cosignature(&cp, w).expect("a cosigner key"),
            CosignatureCheck::Valid { .. }
        ));
        assert!(d.trust.policy.check_quorum(&cp).expect("quorum").met);
    }
});
