//! Crash safety: SIGKILL `log append` at random moments, many times. After
//! each kill the ledger must open, audit clean, be at least as large as the
//! last checkpoint any append printed, and be consistent with every checkpoint
//! printed before.
//!
//! SIGKILL tests process crashes (the page cache survives); durability across
//! power loss rests on the write ordering (data synced before the checkpoint
//! is renamed into place), which this test cannot observe.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use triage_ledger::note::SignedCheckpoint;
use triage_ledger::store::{self, Snapshot, Writer};

/// xorshift64*: enough randomness for kill timing, reproducible from the seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn sigkill_at_random_moments_loses_nothing_committed() {
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test seed {seed} (rerun with CRASH_SEED={seed})");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ledger");
    let vkey = store::init(&root, "ledger.example.org/crash").unwrap();
    let mut printed: Vec<SignedCheckpoint> =
        vec![Snapshot::open(&root).unwrap().checkpoint().clone()];
    let (mut completed, mut killed) = (0, 0);

    for round in 0..40u64 {
        let n = 1 + rng.below(40_000);
        let input: Vec<u8> = (0..n)
            .flat_map(|i| {
                format!(
                    "round {round} statement {i} {}\n",
                    "x".repeat((i % 90) as usize)
                )
                .into_bytes()
            })
            .collect();
        let mut child = Command::new(env!("CARGO_BIN_EXE_triage-ledger"))
            .args(["log", "append", root.to_str().unwrap(), "--lines"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        std::thread::sleep(Duration::from_micros(rng.below(150_000)));
        let _ = child.kill(); // SIGKILL on Unix
        let out = child.wait_with_output().unwrap();
        let _ = feeder.join();
        if !out.stdout.is_empty() {
            // It finished: what it printed must be a valid checkpoint of the log.
            printed.push(
                SignedCheckpoint::open(&out.stdout, &vkey).expect("printed checkpoint verifies"),
            );
            completed += 1;
        } else {
            killed += 1;
        }

        // The ledger opens and audits clean, before and after writer recovery.
        let report = store::audit(&root)
            .unwrap_or_else(|e| panic!("round {round} (seed {seed}): audit failed: {e}"));
        drop(Writer::open(&root).unwrap_or_else(|e| panic!("round {round}: recovery failed: {e}")));
        store::audit(&root).unwrap();
        let ledger = Snapshot::open(&root).unwrap();
        let now = ledger.checkpoint().root();
        assert_eq!(report.size, now.size());
        let last = printed.last().unwrap().root();
        assert!(
            now.size() >= last.size(),
            "round {round}: size {} < printed {}",
            now.size(),
            last.size()
        );
        for old in &printed {
            let p = ledger.prove_consistency(old.root().size()).unwrap();
            p.verify(old.root(), now)
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
        }
    }
    eprintln!("{completed} appends completed, {killed} killed mid-way");
    assert!(
        killed > 0,
        "no append was killed mid-way; the test proved nothing"
    );
}
