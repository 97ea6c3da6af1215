//! The scheme root's trust updates (issue 26, FORMATS §30): a witness
//! rotates its key, the root signs the windows of the old key and the new,
//! and a verifier years later knows which cosignatures counted; a log key
//! given an end; an update not signed by the root.

use std::path::{Path, PathBuf};

use crate::http::{identity, run, s, sign};

fn ok(args: &[&str]) -> String {
    let (code, out, err) = run(args, b"");
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    out + &err
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("keys")
}

fn submit(d: &Path, ledger: &Path, st: &[u8], name: &str) {
    let f = d.join(name);
    std::fs::write(&f, st).unwrap();
    ok(&["submit", s(ledger), s(&f)]);
}

/// Signs `lines` as the demo scheme root into TRUST/updates/NNNN.
fn update(d: &Path, trust: &Path, serial: u64, lines: &str) -> String {
    let f = d.join(format!("update-{serial}.txt"));
    std::fs::write(&f, lines).unwrap();
    std::fs::create_dir_all(trust.join("updates")).unwrap();
    ok(&[
        "cert",
        "sign-trust-update",
        "--root-cert",
        s(&keys().join("demo-root.pem")),
        "--root-key",
        s(&keys().join("demo-root.key")),
        "--serial",
        &serial.to_string(),
        "--in",
        s(&f),
        "--out",
        s(&trust.join(format!("updates/{serial:04}"))),
    ])
}

fn verify(d: &Path, ledger: &Path, trust: &Path, name: &str) -> (i32, String) {
    let p = d.join(name);
    ok(&["pack", s(ledger), "--facility", "TF-1", "--out", s(&p)]);
    let (code, out, err) = run(&["verify", s(&p), "--trust", s(trust), "-v"], b"");
    (code, out + &err)
}

#[test]
fn a_witness_key_rotated_counts_only_within_the_windows_the_root_signed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let l = d.join("ledger");
    ok(&[
        "init",
        s(&l),
        "--origin",
        "example.org/windows",
        "--trust-root",
        s(&keys().join("demo-root.pem")),
        "--records",
        "public",
    ]);
    let vkey = std::fs::read_to_string(l.join("vkey")).unwrap();
    let vkey = vkey.trim();
    let w1 = d.join("w1");
    ok(&["witness", "new", s(&w1), "--name", "w.example/1"]);
    ok(&["witness", "add-log", s(&w1), "--vkey", vkey]);
    let old_w = std::fs::read_to_string(w1.join("witness.vkey")).unwrap();
    let old_w = old_w.trim().to_string();
    let op = identity(d, "demo-operator");
    let reg = |f: &str| {
        sign(
            d,
            "register",
            &op,
            &["--facility", f, "--name", "N", "--site", "S"],
        )
    };
    submit(d, &l, &reg("TF-1"), "r1.cose");
    ok(&["witness", "run", s(&w1), "--ledger", s(&l)]);
    // Someone keeps a copy of the witness, old key and all.
    let stolen = d.join("w1-stolen");
    crate::common::copy_dir(&w1, &stolen);

    // The witness rotates; its operator tells the scheme.
    let out = ok(&["witness", "rotate", s(&w1)]);
    assert!(out.contains(&format!("retired: {old_w}")), "{out}");
    let new_w = std::fs::read_to_string(w1.join("witness.vkey")).unwrap();
    let new_w = new_w.trim().to_string();
    assert_ne!(new_w, old_w);
    let t = d.join("trust");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::copy(keys().join("demo-root.pem"), t.join("root.pem")).unwrap();
    std::fs::write(
        t.join("policy"),
        format!(
            "log {vkey}\nwitness w1 {old_w}\nwitness w1b {new_w}\ngroup w1-any 1 w1 w1b\nquorum w1-any\n"
        ),
    )
    .unwrap();
    let cut = now();
    let signed = update(
        d,
        &t,
        1,
        &format!(
            "# w1 rotated its key\nwitness {old_w} until {cut}\nwitness {new_w} from {cut}\nreason w1 rotated its key\n"
        ),
    );
    assert!(
        signed.starts_with("triage-ledger/trust-update/v1\nserial 1\n"),
        "{signed}"
    );
    assert!(
        signed.contains("\u{2014} triage-ledger/scheme-root "),
        "{signed}"
    );
    while now() <= cut {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    // The new key cosigns the next tree: counted.
    submit(d, &l, &reg("TF-2"), "r2.cose");
    ok(&["witness", "run", s(&w1), "--ledger", s(&l)]);
    let (code, out) = verify(d, &l, &t, "after.pack");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok:     trust update 1: signed by the scheme root"),
        "{out}"
    );
    assert!(out.contains("ok:     witness w1b: cosigned"), "{out}");

    // The stolen old key cosigns the same tree after its end: refused, by
    // the root's word.
    ok(&["witness", "run", s(&stolen), "--ledger", s(&l)]);
    let (code, out) = verify(d, &l, &t, "stolen.pack");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED: witness w1: ")
            && out.contains("outside the window its key counts for: until ")
            && out.contains("(the scheme root's trust update 1)"),
        "{out}"
    );
    // Without the update, the verifier could not tell: both count.
    std::fs::remove_dir_all(t.join("updates")).unwrap();
    let (code, out) = verify(d, &l, &t, "unbounded.pack");
    assert_eq!(code, 0, "{out}");

    // The root gives the log key an end at tree size 2: a larger tree it
    // signs fails.
    update(d, &t, 2, &format!("log {vkey} until-size 2\n"));
    let (code, out) = verify(d, &l, &t, "log-window.pack");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED: log key window: tree size 4 is signed only by keys outside the windows the scheme root gave them"),
        "{out}"
    );

    // An update signed by another key than the root's: the trust directory
    // is refused, naming the file.
    let forged = t.join("updates/0003");
    let mut bytes = std::fs::read(t.join("updates/0002")).unwrap();
    let at = bytes.windows(6).position(|w| w == b"serial").unwrap() + 7;
    bytes[at] = b'3';
    std::fs::write(&forged, &bytes).unwrap();
    let (code, _, err) = run(&["verify", s(&d.join("after.pack")), "--trust", s(&t)], b"");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("updates/0003") && err.contains("signed by the scheme root"),
        "{err}"
    );
}
