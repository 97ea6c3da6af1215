//! Record payloads (`Record::decode`: serde CBOR of each kind, then the
//! record's own validation and canonical-form check).
//!
//! Input: one byte choosing the kind (its content type), then the payload.
//!
//! Asserts: a decoded record re-encodes to the payload, has the kind
//! asked for, and decodes again to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::record::{Kind, Record};

fuzz_target!(|data: &[u8]| {
    let Some((&k, payload)) = data.split_first() else {
        return;
    };
    let kind = Kind::ALL[usize::from(k) % Kind::ALL.len()];
    let ct = kind.content_type();
    assert_eq!(Kind::from_content_type(&ct), Some(kind));
    let Ok(r) = Record::decode(&ct, payload) else {
        return;
    };
    assert_eq!(r.kind(), kind);
    let again = r.encode().expect("a decoded record encodes");
    assert_eq!(again, payload);
    assert_eq!(Record::decode(&ct, &again).expect("decodes again"), r);
    let _ = (
        r.facility(),
        r.references(),
        kind.signer(),
        kind.is_scheme_level(),
    );
});
