//! `triage-ledger inspect -`: the format sniffer and every viewer behind
//! it (statement, receipt, pack, disclosure, misbehaviour, checkpoint,
//! certificate, trust policy, witness request), with and without the log
//! key, rendered as text and JSON.
//!
//! Asserts: no panic; what it reads renders.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use triage_ledger::inspect::view_file;
use triage_ledger_fuzz::demo;

fuzz_target!(|data: &[u8]| {
    let d = demo();
    for vkey in [None, Some(&d.log_key)] {
        if let Ok(v) = view_file(Path::new("-"), data, vkey) {
            let _ = v.to_text("-");
            let _ = v.failed();
            serde_json::to_string(&v).expect("renders as JSON");
        }
    }
});
