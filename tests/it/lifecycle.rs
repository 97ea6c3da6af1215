//! A log's lifecycle (issue 26, FORMATS §28): freezing a log at its final
//! tree, a successor that names it, and what verifiers and the service say.

use std::path::Path;

use crate::http::{get, identity, post_cose, run, s, sign, Server};

/// A policy ledger at `d/NAME` with origin `example.org/NAME`.
fn ledger(d: &Path, name: &str) -> std::path::PathBuf {
    let l = d.join(name);
    let root_pem = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem");
    let origin = format!("example.org/{name}");
    let (code, _, err) = run(
        &[
            "init",
            s(&l),
            "--origin",
            &origin,
            "--trust-root",
            s(&root_pem),
            "--records",
            "public",
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    l
}

/// A trust directory for `ledger` (the demo root, its key, no witnesses).
fn trust(d: &Path, ledger: &Path) -> std::path::PathBuf {
    let t = d.join(format!(
        "trust-{}",
        ledger.file_name().unwrap().to_string_lossy()
    ));
    std::fs::create_dir_all(&t).unwrap();
    let root_pem = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem");
    std::fs::copy(root_pem, t.join("root.pem")).unwrap();
    std::fs::copy(ledger.join("vkey"), t.join("log.vkey")).unwrap();
    t
}

fn submit(d: &Path, ledger: &Path, name: &str, bytes: &[u8]) -> (i32, String, String) {
    let f = d.join(name);
    std::fs::write(&f, bytes).unwrap();
    run(&["submit", s(ledger), s(&f)], b"")
}

fn pack_and_verify(d: &Path, ledger: &Path, trust: &Path) -> (i32, String, String) {
    let pack = d.join(format!(
        "tf1-{}.pack",
        ledger.file_name().unwrap().to_string_lossy()
    ));
    let (code, _, err) = run(
        &["pack", s(ledger), "--facility", "TF-1", "--out", s(&pack)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    run(&["verify", s(&pack), "--trust", s(trust), "-v"], b"")
}

#[test]
fn a_frozen_log_takes_nothing_more_and_its_packs_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = ledger(d, "old");
    let new = ledger(d, "new");
    let op = identity(d, "demo-operator");
    let reg = |f: &str| {
        sign(
            d,
            "register",
            &op,
            &["--facility", f, "--name", "N", "--site", "S"],
        )
    };
    let tf1 = reg("TF-1");
    let (code, out, err) = submit(d, &old, "r1.cose", &tf1);
    assert_eq!(code, 0, "{out}{err}");
    // A successor cannot name a log that is not frozen.
    let (code, _, err) = run(
        &["log", "name-predecessor", s(&new), "--predecessor", s(&old)],
        b"",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not frozen"), "{err}");
    // Freeze, naming the successor.
    let checkpoint = std::fs::read(old.join("log/checkpoint")).unwrap();
    let (code, out, err) = run(
        &[
            "log",
            "freeze",
            s(&old),
            "--successor",
            s(&new.join("vkey")),
            "--reason",
            "moved to the new service",
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("frozen at tree size"), "{out}");
    // The checkpoint is unchanged: the freeze signs the last one's tree.
    assert_eq!(
        std::fs::read(old.join("log/checkpoint")).unwrap(),
        checkpoint
    );
    let note = std::fs::read_to_string(old.join("log/frozen")).unwrap();
    assert!(
        note.starts_with("triage-ledger/frozen/v1\nexample.org/old\n"),
        "{note}"
    );
    // Appends are refused, by name, and nothing changes.
    let (code, _, err) = submit(d, &old, "r2.cose", &reg("TF-2"));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("the log is frozen at tree size"), "{err}");
    assert!(
        err.contains("append to its successor example.org/new+"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(old.join("log/checkpoint")).unwrap(),
        checkpoint
    );
    let (code, _, err) = run(&["log", "freeze", s(&old)], b"");
    assert_eq!(code, 1, "frozen once: {err}");
    let (code, out, err) = run(&["log", "audit", s(&old)], b"");
    assert_eq!(code, 0, "{out}{err}");
    // Its packs verify, and say it is frozen and what follows it.
    let t = trust(d, &old);
    let (code, out, err) = pack_and_verify(d, &old, &t);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("log frozen"), "{out}");
    assert!(out.contains("its successor is example.org/new+"), "{out}");
    assert!(out.contains("reason: moved to the new service"), "{out}");
    // A tampered freeze note fails the pack, naming it.
    let mut bad = note.clone().into_bytes();
    let at = note.find("moved").unwrap();
    bad[at] = b'M';
    std::fs::write(old.join("log/frozen"), &bad).unwrap();
    let pack = d.join("tampered.pack");
    let (code, _, err) = run(
        &["pack", s(&old), "--facility", "TF-1", "--out", s(&pack)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(&["verify", s(&pack), "--trust", s(&t), "-v"], b"");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("log frozen") && out.contains("not signed by the log's key"),
        "{out}"
    );
    std::fs::write(old.join("log/frozen"), note.as_bytes()).unwrap();

    // The successor names its predecessor; its packs say so.
    let (code, out, err) = run(
        &["log", "name-predecessor", s(&new), "--predecessor", s(&old)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("continues example.org/old+"), "{out}");
    let (code, out, err) = submit(d, &new, "r1-again.cose", &tf1);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = pack_and_verify(d, &new, &trust(d, &new));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("log predecessor"), "{out}");
    assert!(out.contains("this log continues example.org/old+"), "{out}");
    // A third ledger is not the successor the old one named.
    let other = ledger(d, "other");
    let (code, _, err) = run(
        &[
            "log",
            "name-predecessor",
            s(&other),
            "--predecessor",
            s(&old),
        ],
        b"",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("names its successor"), "{err}");

    // The service of a frozen log serves it and refuses registrations.
    let server = Server::start(&["serve", s(&old), "--listen", "127.0.0.1:0"]);
    let (status, _, body) = post_cose(&server.url, &reg("TF-3"));
    assert_eq!(status, 400);
    assert!(
        String::from_utf8_lossy(&body).contains("the log is frozen"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    let (status, served) = get(&format!("{}/frozen", server.url));
    assert_eq!((status, served), (200, note.clone().into_bytes()));
    // Monitors are told, from the directory and over HTTP.
    let vkey = s(&old.join("vkey")).to_string();
    let (code, out, err) = run(&["monitor", s(&old)], b"");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("is frozen at tree size"), "{out}");
    let (code, out, err) = run(
        &["monitor", "--url", &server.url, "--vkey", &vkey, "--json"],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["frozen"]["successor"]
            .as_str()
            .unwrap()
            .starts_with("example.org/new+"),
        "{out}"
    );
    drop(server);

    // A log that signs past its freeze (its note taken away, an entry
    // appended, the note put back): the monitor shows the contradiction,
    // the writer refuses to go on, and its packs fail.
    let liar = d.join("liar");
    let st = std::process::Command::new("cp")
        .args(["-a", s(&old), s(&liar)])
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::remove_file(liar.join("log/frozen")).unwrap();
    let (code, out, err) = submit(d, &liar, "r9.cose", &reg("TF-9"));
    assert_eq!(code, 0, "{out}{err}");
    std::fs::write(liar.join("log/frozen"), note.as_bytes()).unwrap();
    let (code, out, err) = run(&["monitor", s(&liar)], b"");
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("MISBEHAVIOUR") && err.contains("signed a checkpoint of size"),
        "{err}"
    );
    let (code, _, err) = submit(d, &liar, "r10.cose", &reg("TF-10"));
    assert_ne!(code, 0);
    assert!(err.contains("signed a checkpoint of size"), "{err}");
    let pack = d.join("liar.pack");
    let (code, _, err) = run(
        &["pack", s(&liar), "--facility", "TF-1", "--out", s(&pack)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(&["verify", s(&pack), "--trust", s(&t), "-v"], b"");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("signed a checkpoint of size"), "{out}");
}
