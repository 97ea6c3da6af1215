//! `submit` of one statement into ledgers of 10,000, 100,000 and 1,000,000
//! statements (10,000 facilities; the ledgers of `benches/common`), with the
//! persisted state index:
//! - the first submission after the ledger was written without one, which
//!   builds the index from the log (once);
//! - then 20 submissions of one new statement each: the library call's
//!   median and slowest, and the CLI's (`triage-ledger submit`, a new
//!   process each time: open, admit, append, commit, index) median and
//!   largest resident set (getrusage of the child).
//!
//! Run: `cargo bench --bench submit_one` (ledgers are built once into
//! target/bench-submit-N, the 1M one shared with `benches/history.rs`).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{ledger, sign, sign_at, T};
use triage_ledger::ledger::Ledger;

/// Runs the CLI under GNU time (Debian: `time`), which measures its own
/// child: the child's peak resident set in KiB. (getrusage here would count
/// this bench's own pages, which a spawned child inherits until exec.)
fn run_measured(bin: &std::path::Path, args: &[&std::ffi::OsStr]) -> u64 {
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("maxrss %M")
        .arg(bin)
        .args(args)
        .output()
        .expect("/usr/bin/time (apt-get install time)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    err.lines()
        .rev()
        .find_map(|l| l.strip_prefix("maxrss "))
        .and_then(|v| v.trim().parse().ok())
        .expect("GNU time's output")
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/release/triage-ledger");
    assert!(
        bin.exists(),
        "build the CLI first: cargo build --release (the bench spawns it)"
    );
    let now = T + 100;
    for entries in [10_000u64, 100_000, 1_000_000] {
        let dir = if entries == 1_000_000 {
            root.join("target/bench-history-1m")
        } else {
            root.join(format!("target/bench-submit-{entries}"))
        };
        let (l, ids) = ledger(&dir, entries);
        let _ = std::fs::remove_file(l.join("index/state.redb"));
        // Fresh statements each run: numbers past the ledger's, by time.
        let base = 10_000_000
            + entries * 100
            + (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                % 100_000)
                * 1_000_000_000;
        let fresh = sign(base..base + 21, &ids.key, &ids.cert);
        let t = Instant::now();
        let first = Ledger::open(&l)
            .unwrap()
            .submit(&[("first".into(), fresh[0].clone())], now, 300)
            .unwrap();
        let build = t.elapsed();
        let size = first.checkpoint.root().size();
        let mut lib = Vec::new();
        for st in &fresh[1..21] {
            let t = Instant::now();
            Ledger::open(&l)
                .unwrap()
                .submit(&[("one".into(), st.clone())], now, 300)
                .unwrap();
            lib.push(t.elapsed());
        }
        let mut cli = Vec::new();
        let mut rss = 0;
        let file = dir.join("one.cose");
        // The CLI judges `iat` by the clock.
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        for st in &sign_at(base + 100..base + 120, &ids.key, &ids.cert, wall) {
            std::fs::write(&file, st).unwrap();
            let t = Instant::now();
            let kib = run_measured(&bin, &["submit".as_ref(), l.as_os_str(), file.as_os_str()]);
            cli.push(t.elapsed());
            rss = rss.max(kib);
        }
        lib.sort();
        cli.sort();
        let med = |v: &[Duration]| v[v.len() / 2];
        println!(
            "{entries} statements ({size} entries): index built by the first submit in {build:.2?}; \
             submit of one statement: library median {:.2?}, slowest {:.2?}; \
             CLI median {:.2?} (under GNU time), largest peak RSS {:.1} MiB",
            med(&lib),
            lib[lib.len() - 1],
            med(&cli),
            rss as f64 / 1024.0
        );
    }
}
