//! X.509 certificates of the scheme's profile: `Certificate::from_der`
//! (the x5chain of statements) and `from_pem` (trust roots, `cert show`),
//! and `validate_chain` against the demo root.
//!
//! Asserts: from_der keeps the input as its DER; to_pem → from_pem gives
//! the same certificate; a certificate that validates under the demo root
//! (for any role, at the start or end of its validity) is one of the
//! committed demo certificates (no forgery).
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::identity::{validate_chain, Certificate, Role};
use triage_ledger_fuzz::demo;

fuzz_target!(|data: &[u8]| {
    let der = Certificate::from_der(data);
    if let Ok(c) = &der {
        assert_eq!(c.der(), data);
    }
    for c in [der.ok(), Certificate::from_pem(data).ok()]
        .into_iter()
        .flatten()
    {
        let pem = c.to_pem();
        assert_eq!(
            Certificate::from_pem(pem.as_bytes()).expect("to_pem parses back"),
            c
        );
        let _ = (
            c.subject(),
            c.issuer(),
            c.party(),
            c.serial(),
            c.role_names(),
            c.is_ca(),
            c.roles(),
        );
        let d = demo();
        let v = c.validity();
        for at in [v.not_before, v.not_after] {
            for role in [
                None,
                Some(Role::Operator),
                Some(Role::UserCio),
                Some(Role::Ssc),
            ] {
                if validate_chain(std::slice::from_ref(&c), &d.trust.root, at, role).is_ok() {
                    assert!(
                        d.certs.contains(&c.fingerprint()),
                        "a certificate the demo root never signed validates"
                    );
                }
            }
        }
    }
});
