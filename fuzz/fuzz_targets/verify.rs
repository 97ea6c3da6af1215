//! The offline verifier end to end, as `triage-ledger verify PACK --trust
//! DIR` runs it: the input is a pack (or a proof of misbehaviour), checked
//! against the demo's trust directory (root, policy with two witnesses).
//! A pack that carries a consistency proof is also verified `--since` an
//! older demo checkpoint.
//!
//! Asserts (soundness; the fuzzer has no log, witness or signer key): a
//! pack that verifies holds only statements that are genuine log entries,
//! and a checkpoint the log really signed; a proof of misbehaviour of the
//! honest demo log never verifies. The report renders as text and JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::cose::split_transparent;
use triage_ledger::verify::{
    summarise, verify_misbehaviour, verify_pack_state, Misbehaviour, Pack,
};
use triage_ledger_fuzz::demo;

fuzz_target!(|data: &[u8]| {
    let d = demo();
    let pack = match Pack::parse(data) {
        Ok(p) => p,
        Err(_) => {
            if let Ok(m) = Misbehaviour::parse(data) {
                let r = verify_misbehaviour(&m, &d.trust);
                let _ = (r.to_text(), r.to_json());
                assert!(
                    !r.verified(),
                    "a proof of misbehaviour of the honest demo log verified"
                );
            }
            return;
        }
    };
    let mut runs = vec![None];
    if pack.consistency.is_some() {
        runs.push(Some(d.old_checkpoint.as_slice()));
    }
    for since in runs {
        let (report, state) = verify_pack_state(&pack, &d.trust, since);
        let _ = (
            report.to_text(),
            report.to_text_with(true),
            report.to_json(),
        );
        let cp = d.trust.policy.open_checkpoint(&pack.checkpoint).ok();
        let _ = summarise(&state, cp.as_ref()).to_text();
        if report.verified() {
            let cp = cp.expect("a verified pack's checkpoint opens with the trust policy");
            d.assert_genuine_root(cp.root(), "a verified pack's checkpoint");
            for s in &pack.statements {
                let t = split_transparent(s).expect("a verified pack's statement splits");
                assert!(
                    d.entry_set.contains(t.statement.bytes()),
                    "a verified pack holds a statement that is not in the log"
                );
            }
        }
    }
});
