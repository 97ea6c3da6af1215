//! COSE_Sign1 envelopes: `CoseSign1::parse` (deterministic) and
//! `parse_relaxed` (any well-formed CBOR, as others write), and the quick
//! `peek_type_and_subject` a monitor uses.
//!
//! Asserts: parse → to_bytes = input; a relaxed parse re-encodes to a
//! message that parses strictly with the same protected header bytes,
//! payload and signature (what the signature covers is kept verbatim).
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::cose::{peek_type_and_subject, CoseSign1, MAX_TRANSPARENT_SIZE};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = CoseSign1::parse(data) {
        assert_eq!(m.to_bytes().expect("a parsed message encodes"), data);
        let _ = m.protected_map();
    }
    if let Ok(m) = CoseSign1::parse_relaxed(data, MAX_TRANSPARENT_SIZE) {
        let canonical = m.to_bytes().expect("a relaxed-parsed message encodes");
        let again = CoseSign1::parse(&canonical)
            .expect("the deterministic form of a relaxed-parsed message does not parse");
        assert_eq!(again.protected_bytes(), m.protected_bytes());
        assert_eq!(again.payload(), m.payload());
        assert_eq!(again.signature(), m.signature());
        assert_eq!(again.to_bytes().expect("encodes"), canonical);
        let _ = m.protected_map_relaxed();
    }
    let _ = peek_type_and_subject(data);
});
