//! Appends to a ledger whose public tree is in object storage against a
//! directory ledger, side by side in one run: the same entries (1 KiB each)
//! committed in batches of 1, 256 and 4,096 entries, to a local Garage (the
//! S3 server the tests use, on loopback) with the checkpoint lock in a
//! local PostgreSQL, and to a directory on the same disk.
//!
//! `cargo bench --bench object_append` (needs `garage` and PostgreSQL, as
//! `scripts/test` installs them; run as root, like the tests, to start
//! PostgreSQL as the `postgres` user).
//!
//! Reports entries per second, commits per second, and the object writes
//! (puts to the bucket: staging, tiles, checkpoint) per commit and per
//! entry; each commit also swaps the lock row and locks it once more while
//! the checkpoint is written (two PostgreSQL round trips), and deletes its
//! staging object.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::Instant;

use triage_ledger::store::{self, Writer};

/// (batch size, commits) per case: about the same work per case.
const CASES: [(usize, usize); 3] = [(1, 300), (256, 40), (4096, 8)];
const ENTRY: usize = 1024;

fn entry(i: usize) -> Vec<u8> {
    let mut e = format!("entry {i} ").into_bytes();
    e.resize(ENTRY, b'x');
    e
}

struct Run {
    seconds: f64,
    entries: usize,
    commits: usize,
    writes: u64,
}

fn run(root: &Path, batch: usize, commits: usize) -> Run {
    let mut w = Writer::open_raw(root).unwrap();
    let before = w.object_writes();
    let mut n = w.size() as usize;
    let started = Instant::now();
    for _ in 0..commits {
        for _ in 0..batch {
            w.append(&entry(n)).unwrap();
            n += 1;
        }
        w.commit().unwrap();
    }
    Run {
        seconds: started.elapsed().as_secs_f64(),
        entries: batch * commits,
        commits,
        writes: w.object_writes() - before,
    }
}

fn main() {
    let garage = common::Garage::start();
    let pg = common::Postgres::start();
    let env = garage.set_env();
    let dir = tempfile::tempdir_in(concat!(env!("CARGO_MANIFEST_DIR"), "/target")).unwrap();
    println!(
        "| Batch | Directory: entries/s | Bucket: entries/s | Bucket: commits/s | Share | Object writes per commit | per entry |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (i, (batch, commits)) in CASES.into_iter().enumerate() {
        let plain = dir.path().join(format!("plain-{i}"));
        let obj = dir.path().join(format!("obj-{i}"));
        store::init(&plain, "example.org/bench-dir").unwrap();
        let (code, _, err) = common::run_env(
            &[
                "init",
                obj.to_str().unwrap(),
                "--origin",
                &format!("example.org/bench-{i}"),
                "--public",
                &format!("s3://ledger/bench-{i}"),
                "--lock",
                &pg.url,
            ],
            &env,
        );
        assert_eq!(code, 0, "{err}");
        let d = run(&plain, batch, commits);
        let o = run(&obj, batch, commits);
        let rate = |r: &Run| r.entries as f64 / r.seconds;
        println!(
            "| {batch} | {:.0} | {:.0} | {:.1} | {:.0} % | {:.1} | {:.3} |",
            rate(&d),
            rate(&o),
            o.commits as f64 / o.seconds,
            100.0 * rate(&o) / rate(&d),
            o.writes as f64 / o.commits as f64,
            o.writes as f64 / o.entries as f64,
        );
        store::audit_public(&obj).unwrap().expect("a bucket ledger");
    }
}
