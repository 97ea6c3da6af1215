//! The deterministic CBOR decoder (`cbor::decode`) and the relaxed one for
//! others' messages (`cbor::decode_relaxed`).
//!
//! Asserts: what `decode` accepts is its own encoding (decode → encode =
//! input) and `decode_relaxed` accepts it too, as the same value; what
//! `decode_relaxed` accepts has a deterministic encoding that decodes
//! strictly to the same value (up to map order, which relaxed input keeps).
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::cbor;
use triage_ledger_fuzz::normalise;

fuzz_target!(|data: &[u8]| {
    let strict = cbor::decode(data);
    let relaxed = cbor::decode_relaxed(data, data.len());
    if let Ok(v) = &strict {
        let again = cbor::encode(v).expect("a decoded value encodes");
        assert_eq!(again, data, "decode accepted a non-deterministic encoding");
        let r = relaxed
            .as_ref()
            .expect("decode_relaxed refuses what decode accepts");
        assert_eq!(r, v, "decode and decode_relaxed disagree");
    }
    if let Ok(v) = &relaxed {
        let canonical = cbor::encode(v).expect("a relaxed-decoded value encodes");
        let again = cbor::decode(&canonical)
            .expect("the deterministic encoding of a relaxed-decoded value does not decode");
        assert_eq!(
            normalise(&again),
            normalise(v),
            "encode changed the value (decode_relaxed → encode → decode)"
        );
        assert!(cbor::decode_relaxed(data, data.len().saturating_sub(1)).is_err());
    }
});
