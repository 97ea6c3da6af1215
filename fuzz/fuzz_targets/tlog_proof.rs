//! The text proof format c2sp.org/tlog-proof@v1 (`TlogProof::parse`,
//! `verify` with the log key), as `log verify-inclusion` reads it.
//!
//! Asserts: parse → to_text = input; a proof that verifies for the
//! genuine entry at its index carries a checkpoint the log really signed,
//! and no proof verifies for bytes that are not in the log.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::note::TlogProof;
use triage_ledger_fuzz::demo;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = TlogProof::parse(data) else {
        return;
    };
    assert_eq!(
        p.to_text().as_bytes(),
        data,
        "TlogProof::parse → to_text changed the proof"
    );
    let _ = p.extra();
    let d = demo();
    assert!(
        p.verify(b"not an entry of the log", &d.log_key).is_err(),
        "a tlog-proof verifies for bytes that are not in the log"
    );
    let Some(entry) = usize::try_from(p.index())
        .ok()
        .and_then(|i| d.entries.get(i))
    else {
        return;
    };
    if let Ok(cp) = p.verify(entry, &d.log_key) {
        d.assert_genuine_root(cp.root(), "a tlog-proof's checkpoint");
    }
});
