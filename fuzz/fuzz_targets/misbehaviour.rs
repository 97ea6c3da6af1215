//! Proofs of misbehaviour (what `monitor` writes when the log lies):
//! `Misbehaviour::parse`, then `verify_misbehaviour` against the demo's
//! trust.
//!
//! Asserts: parse → to_bytes = input; no proof of misbehaviour of the
//! honest demo log verifies (its checkpoint cannot be forged, and what it
//! committed is consistent).
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::verify::{verify_misbehaviour, Misbehaviour};
use triage_ledger_fuzz::demo;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Misbehaviour::parse(data) else {
        return;
    };
    assert_eq!(m.to_bytes().expect("a parsed proof encodes"), data);
    let r = verify_misbehaviour(&m, &demo().trust);
    let _ = (r.to_text(), r.to_json());
    assert!(
        !r.verified(),
        "a proof of misbehaviour of the honest demo log verified"
    );
});
