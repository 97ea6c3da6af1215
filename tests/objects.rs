//! The public tree in object storage: a real S3-compatible server (Garage,
//! `cargo install garage --locked`, which `scripts/test` installs) started
//! on loopback for the test, never a mock of it.

mod common;

use common::*;
use triage_ledger::store::{ObjectTree, PublicTree};

#[test]
fn a_public_tree_in_a_bucket_is_audited_where_it_is() {
    let garage = Garage::start();
    let env = garage.env();
    for (k, v) in &env {
        // This test binary's own client (the upload below) reads them too.
        std::env::set_var(k, v);
    }
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let (code, _, err) = run_env(&["demo", s(&demo)], &[]);
    assert_eq!(code, 0, "{err}");
    let ledger = demo.join("ledger");
    let log = ledger.join("log");
    let vkey = ledger.join("vkey");

    // The directory's public tree, object by object, into the bucket; read
    // back byte for byte.
    let tree = ObjectTree::open("s3://ledger/demo").unwrap();
    let names = files(&log);
    assert!(names.iter().any(|n| n.starts_with("tile/entries/")));
    for n in &names {
        tree.put(n, std::fs::read(log.join(n)).unwrap()).unwrap();
    }
    for n in &names {
        assert_eq!(
            tree.get(n).unwrap().unwrap(),
            std::fs::read(log.join(n)).unwrap(),
            "{n}"
        );
    }
    assert_eq!(tree.get("tile/0/999").unwrap(), None, "absent is None");

    let audit = |env: &[(&str, String)]| {
        run_env(
            &["log", "audit", "s3://ledger/demo", "--vkey", s(&vkey)],
            env,
        )
    };
    let (code, out, err) = audit(&env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok: 60 entries in 1 bundles"), "{out}");
    // The bucket can be listed, so older partial tiles are compared.
    assert!(out.contains("older partial tiles are prefixes"), "{out}");
    let (_, local, _) = run_env(&["log", "audit", s(&ledger)], &[]);
    assert_eq!(
        out.lines().next(),
        local.lines().next(),
        "the same checkpoint"
    );

    // The monitor reads the bucket as it reads a directory.
    let (code, remote, err) = run_env(
        &[
            "monitor",
            "s3://ledger/demo",
            "--trust",
            s(&demo.join("trust")),
            "--facility",
            "TF-0001",
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    let (_, local, _) = run_env(&["monitor", s(&ledger), "--facility", "TF-0001"], &[]);
    // The same log and index; the demo is confidential, so only the
    // ledger's own monitor (with the openings) sees TF-0001's statements,
    // and the bucket's says what it could not see.
    assert_eq!(remote.lines().next(), local.lines().next());
    assert!(
        local.contains("facility TF-0001: entry 22: decision by"),
        "{local}"
    );
    assert!(
        remote.contains("not checked: which of the 30 new statements are facility TF-0001's"),
        "{remote}"
    );

    // Wrong credentials: an I/O error (exit 2) naming the object.
    let mut wrong = env.clone();
    wrong.retain(|(k, _)| *k != "AWS_SECRET_ACCESS_KEY");
    wrong.push(("AWS_SECRET_ACCESS_KEY", "f".repeat(64)));
    let (code, _, err) = audit(&wrong);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("s3://ledger/demo/checkpoint"), "{err}");

    // One entry changed in the bucket: named, exit 1.
    let bundle = "tile/entries/000.p/60";
    let mut bytes = tree.get(bundle).unwrap().unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    tree.put(bundle, bytes).unwrap();
    let (code, _, err) = audit(&env);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("s3://ledger/demo/tile/entries/000.p/60"),
        "{err}"
    );
    assert!(err.contains("does not hash to the leaf hash"), "{err}");

    // Garage accepts conditional writes and does not enforce them: the
    // probe a lock must pass before it relies on them says so.
    let probed = tree.probe_conditional_writes().unwrap();
    assert_eq!(
        probed,
        triage_ledger::store::ConditionalWrites {
            create_refused: false,
            stale_update_refused: false,
        },
        "Garage {GARAGE:?} was measured to ignore both; if this changed, revisit the lock choice"
    );
    assert!(!probed.enforced());

    // Without a key there is nothing to check the checkpoint with.
    let (code, _, err) = run_env(&["log", "audit", "s3://ledger/demo"], &env);
    assert_eq!(code, 2, "{err}");
}
