//! Trust policies (c2sp.org/tlog-policy: `log`, `witness`, `group`,
//! `quorum` lines, verifier keys): `Policy::parse`, then the policy used
//! on the demo's checkpoint (`open_checkpoint`, `check_quorum`,
//! `describe_quorum`).
//!
//! Asserts: logs are Ed25519 keys and witnesses cosigner keys; every key
//! prints as a verifier key that parses back to itself; a checkpoint the
//! policy opens is the demo's genuine one; a policy naming only the demo's
//! own log and witnesses never finds a cosignature invalid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::note::{CosignatureCheck, Policy, SigType, VerifierKey};
use triage_ledger_fuzz::demo;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Policy::parse(data) else {
        return;
    };
    let _ = (p.describe_quorum(), p.needs_cosignatures());
    for k in p.logs() {
        assert_eq!(k.sig_type(), SigType::Ed25519);
        assert_eq!(
            &VerifierKey::parse(&k.to_string()).expect("prints as a key"),
            k
        );
    }
    for w in p.witnesses() {
        assert_eq!(w.key.sig_type(), SigType::Cosignature);
        assert_eq!(
            &VerifierKey::parse(&w.key.to_string()).expect("prints as a key"),
            &w.key
        );
    }
    let d = demo();
    let Ok(cp) = p.open_checkpoint(&d.checkpoint) else {
        return;
    };
    assert_eq!(cp.root(), d.signed.root());
    let q = p.check_quorum(&cp).expect("witness keys are cosigner keys");
    if p.witnesses()
        .iter()
        .all(|w| d.witness_keys.contains(&w.key))
    {
        assert!(!q
            .witnesses
            .iter()
            .any(|(_, c)| *c == CosignatureCheck::Invalid));
    }
});
