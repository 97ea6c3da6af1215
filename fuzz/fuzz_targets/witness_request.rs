//! The body of a c2sp.org/tlog-witness add-checkpoint request
//! (`AddCheckpoint::parse`), then the witness answering it
//! (`Witness::add_checkpoint`), on a copy of the demo's witness w1 (which
//! has cosigned the demo log's latest checkpoint).
//!
//! Asserts: parse → to_bytes = input; the witness only ever cosigns a
//! checkpoint the log really signed, its cosignature verifies, and what
//! it records never moves back or off the genuine log (no rollback, no
//! split view).
#![no_main]

use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use triage_ledger::note::{verify_cosignature, CosignatureCheck, SignedCheckpoint};
use triage_ledger::witness::{AddCheckpoint, Witness};
use triage_ledger_fuzz::{copy_dir, demo, scratch_dir};

/// A fixed time (2026-12-02), so runs reproduce.
const NOW: u64 = 1_796_169_600;

fn witness() -> &'static Mutex<Witness> {
    static W: OnceLock<Mutex<Witness>> = OnceLock::new();
    W.get_or_init(|| {
        let dir = scratch_dir("witness").join("w1");
        copy_dir(&demo().dir.join("witnesses/w1"), &dir);
        Mutex::new(Witness::open(&dir).expect("the demo witness opens"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(req) = AddCheckpoint::parse(data) else {
        return;
    };
    assert_eq!(
        req.to_bytes(),
        data,
        "AddCheckpoint::parse → to_bytes changed the request"
    );
    let d = demo();
    let w = witness().lock().unwrap_or_else(|e| e.into_inner());
    let origin = d.signed.checkpoint().origin();
    let before = w
        .latest(origin)
        .expect("state")
        .expect("w1 cosigned the demo log");
    if let Ok(sig) = w.add_checkpoint(&req, NOW) {
        let cp = SignedCheckpoint::open(&req.checkpoint, &d.log_key)
            .expect("the witness cosigned a checkpoint that does not open with the log key");
        d.assert_genuine_root(cp.root(), "a checkpoint the witness cosigned");
        let with = cp.with_cosignature(sig).expect("attaches");
        assert!(matches!(
            verify_cosignature(&with, &w.vkey()).expect("cosigner"),
            CosignatureCheck::Valid { .. }
        ));
    }
    let after = w.latest(origin).expect("state").expect("still there");
    assert!(after.size() >= before.size(), "the witness moved back");
    d.assert_genuine_root(after.root(), "the witness's recorded checkpoint");
});
