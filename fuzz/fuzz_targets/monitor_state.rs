//! The monitor's state file (`MonitorState::parse`: the tree edge, its
//! root, the replayed index), then a monitor run from that state over the
//! honest demo log (`monitor_tree`).
//!
//! Asserts: parse → to_bytes = input; whatever the state says, no proof of
//! misbehaviour the monitor writes about the honest log verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::monitor::{monitor_tree, MonitorState};
use triage_ledger::verify::verify_misbehaviour;
use triage_ledger_fuzz::{demo, MemTree};

fuzz_target!(|data: &[u8]| {
    let Ok(state) = MonitorState::parse(data) else {
        return;
    };
    assert_eq!(state.to_bytes().expect("a parsed state encodes"), data);
    let d = demo();
    let tree = MemTree {
        base: &d.log_objects,
        replaced: None,
    };
    if let Ok((run, next)) = monitor_tree(
        &tree,
        None,
        Some(state),
        Some(&d.trust.policy),
        Some("TF-0001"),
    ) {
        if let Some(m) = &run.proof {
            assert!(
                !verify_misbehaviour(m, &d.trust).verified(),
                "the monitor proved a lie of the honest log"
            );
        }
        if let Some(s) = next {
            let bytes = s.to_bytes().expect("the next state encodes");
            MonitorState::parse(&bytes).expect("the next state parses");
        }
    }
});
