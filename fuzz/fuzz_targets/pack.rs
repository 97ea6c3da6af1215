//! Evidence packs: `Pack::parse` (deterministic CBOR, the exact structure,
//! the consistency proof, the committed history).
//!
//! Asserts: parse → to_bytes = input; `old_checkpoint` (how `--since`
//! reads a pack) takes its checkpoint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::verify::{old_checkpoint, Pack};

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Pack::parse(data) else {
        return;
    };
    assert_eq!(p.to_bytes().expect("a parsed pack encodes"), data);
    assert_eq!(old_checkpoint(data), p.checkpoint);
});
