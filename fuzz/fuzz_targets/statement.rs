//! Signed statements as the ledger logs them (`Statement::parse`: the COSE
//! profile, the protected header, the record payload), their signature
//! against the certificate they carry, and the record (`Record::decode`).
//!
//! Asserts: bytes() = message().to_bytes() = input; the protected header
//! re-encodes to the protected bytes; `peek_type_and_subject` agrees with
//! the full parse; `split_transparent` reads a plain statement as itself
//! with no receipts; a decoded record re-encodes to the payload; and a
//! statement whose signature verifies under a certificate the demo root
//! validated is one the demo signed (no forgery).
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::cose::{peek_type_and_subject, split_transparent, Statement};
use triage_ledger::identity::{validate_chain, Certificate};
use triage_ledger::record::{Kind, Record};
use triage_ledger_fuzz::demo;

fuzz_target!(|data: &[u8]| {
    let Ok(st) = Statement::parse(data) else {
        return;
    };
    assert_eq!(st.bytes(), data);
    assert_eq!(st.message().to_bytes().expect("encodes"), data);
    let h = st.header();
    assert_eq!(
        h.encode().expect("a parsed header encodes"),
        st.message().protected_bytes(),
        "the protected header does not re-encode to its bytes"
    );
    assert_eq!(
        peek_type_and_subject(data),
        Some((h.content_type.clone(), h.subject.clone())),
        "peek_type_and_subject disagrees with Statement::parse"
    );
    let t =
        split_transparent(data).expect("a statement is a transparent statement without receipts");
    assert_eq!(t.statement, st);
    assert!(t.receipts.is_empty() && !t.legacy_form);

    if let Ok(r) = Record::decode(&h.content_type, st.payload()) {
        assert_eq!(r.encode().expect("a decoded record encodes"), st.payload());
        let _ = (r.facility(), r.references());
    }

    // The signature, against the certificate the statement carries.
    let Ok(cert) = Certificate::from_der(&h.x5chain[0]) else {
        return;
    };
    if st.verify(cert.key()).is_err() {
        return;
    }
    let d = demo();
    let role = Kind::from_content_type(&h.content_type).and_then(Kind::signer);
    let chain: Vec<Certificate> = h
        .x5chain
        .iter()
        .filter_map(|c| Certificate::from_der(c).ok())
        .collect();
    let at = i64::try_from(h.issued_at).unwrap_or(i64::MAX);
    if validate_chain(&chain, &d.trust.root, at, role).is_ok() {
        assert!(
            d.statements.contains(data),
            "a statement the demo never signed verifies under a certificate the demo root validates"
        );
    }
});
