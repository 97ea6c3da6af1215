//! The monitors of a confidential ledger at scale: the ledger of
//! `benches/history.rs` (1,000,000 signed statements about 10,000
//! facilities, 100 commits of 10,000 with the index entries `submit`
//! writes), made confidential: every statement logged as a commitment leaf,
//! the index naming facilities by their VRF labels. Then:
//! - the privileged monitor (`monitor LEDGER` run by the ledger's operator:
//!   every commitment opened, every statement's attribution checked against
//!   its label, every commit recomputed);
//! - the public monitor of the same tree (`monitor` over its tiles alone:
//!   the index's structure and every commit recomputed over commitments).
//!
//! Run: `cargo bench --bench history_confidential` (the ledger is built
//! once into target/bench-history-1m-confidential and reused; delete it to
//! rebuild).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use triage_ledger::store::{DirTree, Snapshot};

mod common;

use common::{ledger_of, BATCH, FACILITIES};

const ENTRIES: u64 = 1_000_000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-history-1m-confidential");
    let (l, _) = ledger_of(&dir, ENTRIES, true);
    let snap = Snapshot::open(&l).unwrap();
    let size = snap.checkpoint().root().size();
    assert!(triage_ledger::commitment::is_leaf(
        &snap.read_leaf(0).unwrap()
    ));
    println!("confidential ledger: {size} entries ({ENTRIES} statements as commitments, {FACILITIES} facilities by label, index entries after each of {} commits)", ENTRIES / BATCH);

    let mut runs = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let (run, _) = triage_ledger::monitor::monitor(&l, None, None, None).unwrap();
        runs.push(t.elapsed());
        assert!(run.fault.is_none());
        assert_eq!(run.commits, ENTRIES / BATCH);
        assert_eq!(
            run.hidden, 0,
            "the privileged monitor opens every commitment"
        );
    }
    println!(
        "privileged monitor: {size} entries, every commitment opened and its attribution checked, every commit recomputed: {:.2?} (median of 3)",
        median(runs)
    );

    let tree = DirTree::new(snap.layout().log_dir());
    let mut runs = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let (run, _) = triage_ledger::monitor::monitor_tree(
            &tree,
            Some(snap.vkey().clone()),
            None,
            None,
            None,
        )
        .unwrap();
        runs.push(t.elapsed());
        assert!(run.fault.is_none());
        assert_eq!(run.commits, ENTRIES / BATCH);
        assert_eq!(run.hidden, ENTRIES, "a public monitor opens nothing");
    }
    println!(
        "public monitor of the same tree: {:.2?} (median of 3)",
        median(runs)
    );
}
