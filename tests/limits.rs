//! Issue 14, item 4: untrusted inputs are refused by their size before
//! they are read, and read with a bound when their size is not known (a
//! pipe). `verify`, `inspect` and `submit` given 1 GiB stay under 64 MiB of
//! memory. One test in its own binary: the peak resident size of the
//! children (getrusage) then covers these commands only.

use std::io::Write;
use std::process::Stdio;

mod common;
use common::{bin, s};

fn peak_children_kib() -> i64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the rusage it is given.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) }, 0);
    u.ru_maxrss
}

#[test]
fn a_gigabyte_input_is_refused_without_being_read() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    let o = bin().args(["demo", s(&demo)]).output().unwrap();
    assert!(o.status.success());
    let before = peak_children_kib();
    let big = tmp.path().join("big");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let trust = demo.join("trust");
    let ledger = demo.join("ledger");
    for args in [
        vec!["verify", s(&big), "--trust", s(&trust)],
        vec!["inspect", s(&big)],
        vec!["submit", s(&ledger), s(&big)],
        vec!["verify-disclosure", s(&big), "--seal", s(&big)],
    ] {
        let o = bin().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("1073741824 bytes, larger than the"),
            "{args:?}: {err}"
        );
    }
    // From a pipe the size is unknown: reading stops past the limit.
    let mut child = bin()
        .args(["verify", "-", "--trust", s(&trust)])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            if stdin.write_all(&chunk).is_err() {
                break; // the reader stopped, as it should
            }
        }
    });
    let o = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("-: larger than the 16777216-byte limit"),
        "{err}"
    );
    let peak = peak_children_kib();
    assert!(
        peak < 64 * 1024,
        "a child peaked at {peak} KiB (the demo before: {before} KiB)"
    );
}
