//! The largest legitimate pack: one facility's statements (a registration,
//! then seals each countersigned) in a pack as close below
//! `MAX_PACK_SIZE` (16 MiB) as whole statements allow, with a receipt each
//! and a witness cosignature. Then the release CLI reads it the way a
//! panel would, and each command's time and peak resident size (wait4) are
//! printed: the issue-14 bound is `verify` of any input under 64 MiB.
//!
//! Run: `cargo bench --bench pack_limit` (about a minute after the build).
//! The pack and trust directory stay in `target/bench-pack-limit/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use triage_ledger::identity::{generate_key, issue_role, issue_root, Role, Validity};
use triage_ledger::ledger::{Ledger, Selection};
use triage_ledger::policy;
use triage_ledger::record::{Countersignature, Record, Ref, Registration, Seal};
use triage_ledger::verify::MAX_PACK_SIZE;
use triage_ledger::witness::{request_for, Witness};

const T: u64 = 1_790_000_000;

/// Builds a ledger of one facility with `pairs` sealed-and-countersigned
/// bundles in `dir` and writes its pack and trust; returns the pack's size
/// and statements (over the limit: the size of its statements alone).
fn build(dir: &Path, pairs: usize) -> (usize, usize) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let v = Validity {
        not_before: T as i64 - 1000,
        not_after: T as i64 + 10_000_000,
    };
    let rk = generate_key();
    let root = issue_root("Root", "Scheme", &rk, v).unwrap();
    let role = |name: &str, role: Role| {
        let k = generate_key();
        let c = issue_role(name, "Org", name, role, &k.verifying_key(), &root, &rk, v).unwrap();
        (k, c)
    };
    let (ok, oc) = role("Operator", Role::Operator);
    let (ck, cc) = role("Assessor", Role::UserCio);
    let designation = Record::Designation(triage_ledger::record::Designation {
        role: triage_ledger::record::DesignatedRole::UserCio,
        party: "Assessor".into(),
        note: "appointed".into(),
    });
    let sign = |r: &Record, k, c| policy::sign_statement(r, k, c, T).unwrap().bytes().to_vec();
    let mut sts = vec![
        sign(&designation, &rk, &root),
        sign(
            &Record::Registration(Registration {
                facility: "TF-1".into(),
                name: "N".into(),
                site: "S".into(),
            }),
            &ok,
            &oc,
        ),
    ];
    for i in 0..pairs {
        let mut h = [0u8; 32];
        h[..8].copy_from_slice(&(i as u64).to_be_bytes());
        let s = sign(
            &Record::Seal(Seal {
                facility: "TF-1".into(),
                description: format!("returned meters, batch {i}: reset logs and photos"),
                root: triage_ledger::merkle::Hash::from_bytes(h),
                items: 40,
                manifest_sha256: triage_ledger::merkle::Hash::from_bytes(h),
                addresses: None,
            }),
            &ok,
            &oc,
        );
        let seal = Ref {
            index: sts.len() as u64,
            sha256: triage_ledger::merkle::Hash::digest(&s),
        };
        sts.push(s);
        sts.push(sign(
            &Record::Countersignature(Countersignature {
                facility: "TF-1".into(),
                seal,
                note: "reviewed on site".into(),
            }),
            &ck,
            &cc,
        ));
    }
    let ledger = dir.join("ledger");
    let vkey = triage_ledger::store::init(&ledger, "bench.example/pack-limit").unwrap();
    triage_ledger::store::install_trust_root(&ledger, root.to_pem().as_bytes()).unwrap();
    // One batch: the references count entries, and every submit adds a
    // commit entry after its statements.
    let batch: Vec<(String, Vec<u8>)> = sts
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("s{i}"), s))
        .collect();
    Ledger::open(&ledger)
        .unwrap()
        .submit(&batch, T + 100, 300)
        .unwrap();
    let wdir = dir.join("w");
    Witness::create(&wdir, "bench.example/w1").unwrap();
    let mut w = Witness::open(&wdir).unwrap();
    w.add_log(vkey.clone()).unwrap();
    let l = triage_ledger::store::Snapshot::open(&ledger).unwrap();
    let sig = w.add_checkpoint(&request_for(&l, 0).unwrap(), T).unwrap();
    triage_ledger::store::Writer::open(&ledger)
        .unwrap()
        .attach_cosignatures(&w.vkey(), sig.to_line().as_bytes())
        .unwrap();
    let pack = Ledger::open(&ledger)
        .unwrap()
        .pack(&Selection::Facility("TF-1".into()), T + 200, None)
        .unwrap();
    let Ok(bytes) = pack.to_bytes() else {
        // Too large to write: what its statements alone take.
        return (
            pack.statements.iter().map(Vec::len).sum(),
            pack.statements.len(),
        );
    };
    std::fs::write(dir.join("TF-1.pack"), &bytes).unwrap();
    let trust = dir.join("trust");
    std::fs::create_dir_all(&trust).unwrap();
    std::fs::write(trust.join("root.pem"), root.to_pem()).unwrap();
    std::fs::write(
        trust.join("policy"),
        format!("log {vkey}\nwitness w1 {}\nquorum w1\n", w.vkey()),
    )
    .unwrap();
    (bytes.len(), pack.statements.len())
}

/// Runs the CLI; returns (exit code, seconds, peak resident KiB). Through
/// this program run again (`--measure`): a child forked from this process,
/// which holds the whole ledger it built, would count this process's
/// resident size as its own peak (Linux carries the forked copy's high
/// water mark across exec).
fn measure(args: &[&str]) -> (i32, f64, i64) {
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--measure")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let f: Vec<&str> = text.split_whitespace().collect();
    (
        f[0].parse().unwrap(),
        f[1].parse().unwrap(),
        f[2].parse().unwrap(),
    )
}

/// `--measure ARGS`: runs the CLI with ARGS and prints its exit code,
/// seconds and peak resident KiB (wait4).
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives its rusage
fn measure_here(args: &[String]) {
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_triage-ledger"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; wait4 writes into the status and
    // rusage it is given.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut u) };
    assert_eq!(pid, child.id() as i32);
    let secs = start.elapsed().as_secs_f64();
    println!("{} {secs} {}", libc::WEXITSTATUS(status), u.ru_maxrss);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--measure") {
        return measure_here(&args[1..]);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-pack-limit");
    // The size per pair from a small pack, then the largest that fits
    // (receipts grow by a hash per doubling: step down until it fits).
    let (small, n) = build(&dir, 500);
    let per_pair = small as f64 / (n as f64 / 2.0);
    let mut pairs = (MAX_PACK_SIZE as f64 / per_pair * 0.995) as usize;
    let (size, statements) = loop {
        let t = Instant::now();
        let (size, statements) = build(&dir, pairs);
        println!(
            "built a pack of {statements} statements, {size} bytes ({:.1} MiB) in {:.1} s",
            size as f64 / (1 << 20) as f64,
            t.elapsed().as_secs_f64()
        );
        if size <= MAX_PACK_SIZE {
            break (size, statements);
        }
        pairs = (pairs as f64 * MAX_PACK_SIZE as f64 / size as f64 * 0.998) as usize;
    };
    println!(
        "the pack: {statements} statements, {size} bytes, {:.2} % of the limit ({MAX_PACK_SIZE})",
        100.0 * size as f64 / MAX_PACK_SIZE as f64
    );
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let (pack, trust, html) = (p("TF-1.pack"), p("trust"), p("TF-1.html"));
    let _ = std::fs::remove_file(&html);
    let runs: [(&str, Vec<&str>); 4] = [
        ("verify", vec!["verify", &pack, "--trust", &trust]),
        ("inspect", vec!["inspect", &pack]),
        (
            "history",
            vec!["history", &pack, "--trust", &trust, "--facility", "TF-1"],
        ),
        (
            "report",
            vec![
                "report",
                &pack,
                "--trust",
                &trust,
                "--facility",
                "TF-1",
                "--out",
                &html,
                "--force",
            ],
        ),
    ];
    println!("| command | exit | time | peak RSS |");
    println!("|---|---:|---:|---:|");
    for (name, args) in runs {
        let (code, secs, kib) = measure(&args);
        println!(
            "| `{name}` | {code} | {secs:.2} s | {:.1} MiB |",
            kib as f64 / 1024.0
        );
    }
}
