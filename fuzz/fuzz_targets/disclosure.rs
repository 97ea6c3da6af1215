//! Selective disclosures of a sealed bundle: `Disclosure::parse`, `open`
//! (items and multi-proof to a root) and `check_disclosure` against each
//! of the demo's seals.
//!
//! Asserts: parse → to_bytes = input; a disclosure accepted against a
//! demo seal discloses exactly the sealed items at their indexes (the
//! multi-proof cannot be forged).
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::bundle::{check_disclosure, Disclosure};
use triage_ledger_fuzz::demo;

fuzz_target!(|data: &[u8]| {
    let Ok(dz) = Disclosure::parse(data) else {
        return;
    };
    assert_eq!(dz.to_bytes().expect("a parsed disclosure encodes"), data);
    let Ok(opened) = dz.open() else {
        return;
    };
    assert_eq!(opened.items.len(), dz.items.len());
    for (items, sealed) in &demo().manifests {
        if let Ok(o) = check_disclosure(&dz, sealed) {
            assert_eq!(o.root, sealed.root);
            for (i, item) in &o.items {
                assert_eq!(
                    items.get(*i as usize),
                    Some(item),
                    "a disclosure accepted against a seal shows an item that was not sealed there"
                );
            }
        }
    }
});
