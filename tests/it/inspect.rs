//! `inspect` recognises every file the tool writes, shows it readably and
//! as one JSON object tagged with its kind, and fails (exit 1) what it can
//! check and does not hold.

use std::path::Path;

use crate::common::{bin, s};

fn run(args: &[&str]) -> (i32, String, String) {
    let o = bin().args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn every_kind_of_file_is_recognised_as_text_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("demo");
    assert_eq!(run(&["demo", s(&d)]).0, 0);
    let t = |p: &str| tmp.path().join(p);
    let l = d.join("ledger");
    assert_eq!(
        run(&["receipt", s(&l), "--index", "22", "--out", s(&t("r.cbor"))]).0,
        0
    );
    assert_eq!(
        run(&[
            "receipt",
            s(&l),
            "--index",
            "22",
            "--out",
            s(&t("ts.cose")),
            "--transparent"
        ])
        .0,
        0
    );
    assert_eq!(
        run(&["witness", "request", s(&l), "--out", s(&t("req"))]).0,
        0
    );
    assert_eq!(
        run(&[
            "disclose",
            "--manifest",
            s(&d.join("manifests/TF-0001-reset-logs.cbor")),
            "--paths",
            "2027-03-01.log",
            "--out",
            s(&t("d.disc")),
        ])
        .0,
        0
    );
    let vkey = d.join("trust/log.vkey");
    let cases: [(&Path, &str, &str); 10] = [
        (
            &d.join("statements/13-decision.cose"),
            "statement",
            "kind        decision",
        ),
        (&t("ts.cose"), "statement", "receipt"),
        (&t("r.cbor"), "receipt", "receipt (COSE Receipt"),
        (&d.join("packs/TF-0002.pack"), "pack", "evidence pack"),
        (
            &d.join("manifests/TF-0001-reset-logs.cbor"),
            "manifest",
            "bundle manifest",
        ),
        (&t("d.disc"), "disclosure", "disclosure of 1 of 2 items"),
        (
            &l.join("log/checkpoint"),
            "checkpoint",
            "checkpoint (C2SP signed note)",
        ),
        (
            &d.join("trust/root.pem"),
            "certificate",
            "X.509 certificate",
        ),
        (
            &d.join("trust/policy"),
            "trust-policy",
            "quorum      1 of {w1, w2}",
        ),
        (&t("req"), "witness-request", "add-checkpoint request"),
    ];
    for (file, kind, says) in cases {
        let (code, out, err) = run(&["inspect", s(file), "--vkey", s(&vkey)]);
        assert_eq!(code, 0, "{kind}: {err}");
        assert!(out.contains(says), "{kind}: {out}");
        assert!(
            !out.contains("Some(") && !out.contains("[0, "),
            "{kind}: a debug dump: {out}"
        );
        let (code, json, err) = run(&["inspect", s(file), "--json"]);
        assert_eq!(code, 0, "{kind}: {err}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["file"], kind, "{json}");
    }
    // What --vkey checks: the log's signature on a checkpoint.
    let (code, out, _) = run(&["inspect", s(&l.join("log/checkpoint")), "--vkey", s(&vkey)]);
    assert_eq!(code, 0);
    assert!(out.contains("(ed25519): verified with --vkey"), "{out}");
    let cp = std::fs::read_to_string(l.join("log/checkpoint")).unwrap();
    let forged = cp.replacen("\n60\n", "\n61\n", 1);
    assert_ne!(forged, cp);
    std::fs::write(t("forged"), forged).unwrap();
    let (code, out, err) = run(&["inspect", s(&t("forged")), "--vkey", s(&vkey)]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("NOT VERIFIED"), "{out}");
    // Something else: exit 2, saying what each reader found.
    std::fs::write(t("junk"), b"\xff\x00junk").unwrap();
    let (code, _, err) = run(&["inspect", s(&t("junk"))]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not a file triage-ledger writes or reads"),
        "{err}"
    );
    // A damaged pack names itself as a pack.
    let mut pack = std::fs::read(d.join("packs/TF-0002.pack")).unwrap();
    pack.truncate(pack.len() - 10);
    std::fs::write(t("cut.pack"), pack).unwrap();
    let (code, _, err) = run(&["inspect", s(&t("cut.pack"))]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cut.pack"), "{err}");
}
