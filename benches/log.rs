//! Proof speed on a 1,000,000-entry ledger stored as tiles on disk, and tree
//! building against a peer implementation (Cloudflare's `tlog_tiles`, a port
//! of Go's sumdb tlog).
//!
//! Run: `cargo bench --bench log`. The ledger is built once under
//! `target/bench-ledger-1m` and reused.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use triage_ledger::merkle::{leaf_hash, InclusionProof};
use triage_ledger::note::SignedCheckpoint;
use triage_ledger::store::{self, RightEdge, Snapshot, Writer};

const SIZE: u64 = 1_000_000;

fn entry(i: u64) -> Vec<u8> {
    let mut e = format!("statement {i:07} ").into_bytes();
    e.resize(99, b'x');
    e
}

fn ledger() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-ledger-1m");
    if let Ok(l) = Snapshot::open(&root) {
        if l.checkpoint().root().size() == SIZE {
            return root;
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    store::init(&root, "bench.example/log").unwrap();
    let mut w = Writer::open(&root).unwrap();
    for i in 0..SIZE {
        w.append(&entry(i)).unwrap();
    }
    w.commit().unwrap();
    root
}

/// A fixed pseudo-random walk over the indexes, so each iteration proves a
/// different entry (tiles come from the page cache, not a per-entry cache).
struct Walk(u64);
impl Walk {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) % SIZE
    }
}

fn proofs(c: &mut Criterion) {
    let root = ledger();
    let l = Snapshot::open(&root).unwrap();
    let cp_bytes = l.checkpoint().to_bytes();
    let vkey = l.vkey().clone();
    let mut g = c.benchmark_group("ledger 1M");
    let mut walk = Walk(1);
    g.bench_function("inclusion proof: generate from tiles", |b| {
        b.iter(|| black_box(l.prove_inclusion(walk.next()).unwrap()))
    });
    let samples: Vec<(InclusionProof, triage_ledger::merkle::Hash)> = (0..1000)
        .map(|_| {
            let i = walk.next();
            (l.prove_inclusion(i).unwrap(), leaf_hash(&entry(i)))
        })
        .collect();
    let root_hash = *l.checkpoint().root();
    let mut k = 0;
    g.bench_function("inclusion proof: verify", |b| {
        b.iter(|| {
            k = (k + 1) % samples.len();
            let (p, leaf) = &samples[k];
            p.verify(leaf, &root_hash).unwrap();
        })
    });
    g.bench_function("consistency proof: generate from tiles", |b| {
        b.iter(|| black_box(l.prove_consistency(1 + walk.next()).unwrap()))
    });
    g.bench_function("checkpoint: open (verify + parse)", |b| {
        b.iter(|| black_box(SignedCheckpoint::open(&cp_bytes, &vkey).unwrap()))
    });
    g.finish();
}

/// Hash 100,000 entries into a tree in memory: ours vs the peer's.
fn tree_building(c: &mut Criterion) {
    const N: u64 = 100_000;
    let entries: Vec<Vec<u8>> = (0..N).map(entry).collect();
    let mut g = c.benchmark_group("tree of 100k entries in memory");
    g.sample_size(10);
    g.bench_function("triage-ledger RightEdge", |b| {
        b.iter_batched(
            RightEdge::new,
            |mut edge| {
                for e in &entries {
                    edge.push(leaf_hash(e), &mut |_, _, _, _| Ok::<(), ()>(()))
                        .unwrap();
                }
                black_box(edge.root())
            },
            BatchSize::LargeInput,
        )
    });
    struct Peer(Vec<tlog_tiles::Hash>);
    impl tlog_tiles::HashReader for Peer {
        fn read_hashes(&self, idx: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
            Ok(idx.iter().map(|&i| self.0[i as usize]).collect())
        }
    }
    g.bench_function("peer: tlog_tiles stored_hashes (Go sumdb tlog port)", |b| {
        b.iter(|| {
            let mut p = Peer(Vec::with_capacity(2 * N as usize));
            for (i, e) in entries.iter().enumerate() {
                let h = tlog_tiles::stored_hashes(i as u64, e, &p).unwrap();
                p.0.extend(h);
            }
            black_box(tlog_tiles::tree_hash(N, &p).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, proofs, tree_building);
criterion_main!(benches);
