//! Committed histories at scale: a ledger of 1,000,000 signed statements
//! about 10,000 facilities (written as 100 commits of 10,000, with the index
//! entries `submit` writes), then:
//! - the completeness proof for one facility: its size beyond the
//!   facility's own entries, and the time to check it;
//! - `submit` of 10,000 more statements, and the share of it that keeping
//!   the index costs (the index work of the replay and the commit, timed
//!   alone over the same 1,000,000 entries);
//! - `monitor` replaying all 1,000,000 entries (every commit recomputed).
//!
//! Run: `cargo bench --bench history` (the ledger is built once, ~2 minutes,
//! into target/bench-history-1m and reused; delete it to rebuild).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use triage_ledger::history::{
    attribution_of, is_index_entry, Attribution, History, IndexEntry, Roots,
};
use triage_ledger::ledger::Ledger;

use triage_ledger::store::{for_each_entry, Snapshot};
use triage_ledger::verify::{check_history, HistorySelection, PackHistory, Report};

mod common;

use common::{facility, ledger, sign, BATCH, FACILITIES, T};

const ENTRIES: u64 = 1_000_000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-history-1m");
    let (l, ids) = ledger(&dir, ENTRIES);
    let size = Snapshot::open(&l).unwrap().checkpoint().root().size();
    println!("ledger: {size} entries ({ENTRIES} statements, {FACILITIES} facilities, index entries after each of {} commits)", ENTRIES / BATCH);

    // The leaves' attributions, read once: the input of the index work.
    let mut leaves: Vec<Result<Attribution, IndexEntry>> = Vec::with_capacity(size as usize);
    let lg = Snapshot::open(&l).unwrap();
    for_each_entry(lg.layout(), lg.checkpoint(), |_, b| {
        leaves.push(if is_index_entry(b) {
            Err(IndexEntry::parse(b).unwrap())
        } else {
            Ok(attribution_of(b))
        });
        Ok(())
    })
    .unwrap();

    // 1. The index work of a submit's replay and commit, alone.
    let mut runs = Vec::new();
    let mut hist = None;
    for _ in 0..3 {
        let t = Instant::now();
        let mut h = History::new();
        for (pos, leaf) in leaves.iter().enumerate() {
            match leaf {
                Ok(a) => h.push_statement(pos as u64, a.clone()),
                Err(e) => h.push_index(pos as u64, e, Roots::Skip).unwrap(),
            }
        }
        let commit = h.commit_now().expect("the map is in memory");
        runs.push(t.elapsed());
        std::hint::black_box(commit);
        hist = Some(h);
    }
    let index_work = median(runs);
    println!("index work of a replay + commit over {size} leaves: {index_work:.2?} (median of 3)");

    // 2. The completeness proof for one facility.
    let mut h = hist.unwrap();
    let at = size - 1;
    let fac = facility(5_000);
    let fh = h.prove(&fac).expect("the map is in memory");
    let ph = PackHistory {
        selection: HistorySelection::Facility,
        index: lg.read_entry(at).unwrap(),
        path: lg.prove_inclusion(at).unwrap().path().to_vec(),
        facilities: vec![fh.clone()],
        scheme: h.scheme_entries().to_vec(),
    };
    let all = triage_ledger::cbor::encode(&ph.to_value()).unwrap().len();
    let own = triage_ledger::cbor::encode(&ciborium::Value::Array(
        fh.entries
            .iter()
            .map(|&i| ciborium::Value::Integer(i.into()))
            .collect(),
    ))
    .unwrap()
    .len();
    println!(
        "completeness proof for {fac}: {all} bytes in the pack, of which {own} are its {} entry indexes: {} bytes beyond them (index entry {} bytes, its path {} hashes, map path {} steps)",
        fh.entries.len(),
        all - own,
        ph.index.len(),
        ph.path.len(),
        fh.proof.path.len()
    );
    let items: Vec<(u64, Attribution)> = fh
        .entries
        .iter()
        .map(|&i| (i, Attribution::Facility(fac.clone())))
        .collect();
    let root = *lg.checkpoint().root();
    let n = 2_000;
    let t = Instant::now();
    for _ in 0..n {
        let mut r = Report::default();
        check_history(&mut r, &ph, Some(&root), &items, None);
        assert!(r.verified());
    }
    println!(
        "checking it (inclusion of the index entry, map proof, list digest, comparison): {:.1?} per proof (mean of {n})",
        t.elapsed() / n
    );

    // 3. monitor over the whole log.
    let mut runs = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let (run, _) = triage_ledger::monitor::monitor(&l, None, None, None).unwrap();
        runs.push(t.elapsed());
        assert!(run.fault.is_none());
        // benches/submit_one.rs shares this ledger and adds one commit per
        // statement it submits.
        assert!(run.commits >= ENTRIES / BATCH);
    }
    println!(
        "monitor: {size} entries replayed, every commit recomputed: {:.2?} (median of 3)",
        median(runs)
    );

    // 4. submit of 10,000 statements into (a copy of) the ledger, whose
    // persisted state index is built first (once; kept with the ledger).
    Ledger::open(&l).unwrap().open_index().unwrap();
    let copy = dir.join("copy");
    let mut runs = Vec::new();
    for r in 0..3u64 {
        let _ = std::fs::remove_dir_all(&copy);
        let status = std::process::Command::new("cp")
            .args(["-a", l.to_str().unwrap(), copy.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success());
        let from = ENTRIES + r * BATCH;
        let batch: Vec<(String, Vec<u8>)> = sign(from..from + BATCH, &ids.key, &ids.cert)
            .into_iter()
            .map(|s| ("s".to_string(), s))
            .collect();
        let t = Instant::now();
        Ledger::open(&copy)
            .unwrap()
            .submit(&batch, T + 100, 300)
            .unwrap();
        runs.push(t.elapsed());
    }
    let _ = std::fs::remove_dir_all(&copy);
    let submit = median(runs);
    println!(
        "submit of 10,000 statements into the ledger: {submit:.2?} (median of 3); the index work above is {:.1}% of it",
        100.0 * index_work.as_secs_f64() / submit.as_secs_f64()
    );
}
