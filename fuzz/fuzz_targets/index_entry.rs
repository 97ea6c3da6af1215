//! The log's index of itself: index entries (`IndexEntry::parse`, log
//! leaves a monitor and every replay read), the attribution of a leaf
//! (`attribution_of`), and stored map nodes (`StoredNode::decode`).
//!
//! Asserts: IndexEntry parse → to_bytes = input; StoredNode decode →
//! encode = input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::history::{attribution_of, is_index_entry, IndexEntry, StoredNode};

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = IndexEntry::parse(data) {
        assert!(is_index_entry(data));
        assert_eq!(e.to_bytes().expect("a parsed index entry encodes"), data);
    }
    let _ = attribution_of(data);
    if let Ok(n) = StoredNode::decode(data) {
        assert_eq!(n.encode(), data);
    }
});
