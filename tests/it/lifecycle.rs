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

/// Rotating the log key: the tree at the hand-over is signed by both keys,
/// the rotation note by both; packs from before and after verify under the
/// old key (the note hands trust on) and the new; a checkpoint the retired
/// key signs past the hand-over fails; an interrupted hand-over is finished
/// at the next opening.
#[test]
fn a_rotated_log_key_hands_over_and_the_retired_key_cannot_sign_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let l = ledger(d, "rot");
    let op = identity(d, "demo-operator");
    let reg = |f: &str| {
        sign(
            d,
            "register",
            &op,
            &["--facility", f, "--name", "N", "--site", "S"],
        )
    };
    let (code, out, err) = submit(d, &l, "r1.cose", &reg("TF-1"));
    assert_eq!(code, 0, "{out}{err}");
    let old_vkey = std::fs::read_to_string(l.join("vkey")).unwrap();
    let old_trust = trust(d, &l);
    let before = d.join("before.pack");
    let (code, _, err) = run(
        &["pack", s(&l), "--facility", "TF-1", "--out", s(&before)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    // A witness of the old key, which cosigns the tree before the rotation.
    let w = d.join("w");
    let (code, _, err) = run(&["witness", "new", s(&w), "--name", "example.org/w"], b"");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        &["witness", "add-log", s(&w), "--vkey", s(&l.join("vkey"))],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&["witness", "run", s(&w), "--ledger", s(&l)], b"");
    assert_eq!(code, 0, "{out}{err}");
    // A monitor pinned to the old key.
    let state = d.join("monitor.state");
    let (code, _, err) = run(&["monitor", s(&l), "--state", s(&state)], b"");
    assert_eq!(code, 0, "{err}");
    // A copy that never rotates: its old key signs on (a fork's view).
    let fork = d.join("fork");
    let cp_a = |from: &Path, to: &Path| {
        let st = std::process::Command::new("cp")
            .args(["-a", s(from), s(to)])
            .status()
            .unwrap();
        assert!(st.success());
    };
    cp_a(&l, &fork);

    let (code, out, err) = run(&["log", "rotate", s(&l)], b"");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("handed over at tree size"), "{out}");
    let new_vkey = std::fs::read_to_string(l.join("vkey")).unwrap();
    assert_ne!(new_vkey, old_vkey);
    let cp = std::fs::read_to_string(l.join("log/checkpoint")).unwrap();
    assert_eq!(cp.matches("\n\u{2014} example.org/rot ").count(), 2, "{cp}");
    let note = std::fs::read(l.join("log/rotations/0001")).unwrap();
    assert!(String::from_utf8_lossy(&note).starts_with("triage-ledger/rotation/v1\n"));
    let staged: Vec<_> = std::fs::read_dir(l.join("private"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("log-"))
        .collect();
    assert!(staged.is_empty(), "{staged:?}");
    let (code, out, err) = run(&["log", "audit", s(&l)], b"");
    assert_eq!(code, 0, "{out}{err}");
    // A pack made at the hand-over: its checkpoint carries both signatures.
    let during = d.join("during.pack");
    let (code, _, err) = run(
        &["pack", s(&l), "--facility", "TF-1", "--out", s(&during)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    // The new key signs from now on.
    let (code, out, err) = submit(d, &l, "r2.cose", &reg("TF-2"));
    assert_eq!(code, 0, "{out}{err}");
    let after = d.join("after.pack");
    let (code, _, err) = run(
        &["pack", s(&l), "--facility", "TF-1", "--out", s(&after)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    // The witness does not know the new key until it follows the note;
    // then it cosigns the new key's tree.
    let (code, _, _) = run(&["witness", "run", s(&w), "--ledger", s(&l)], b"");
    assert_ne!(code, 0, "a key the witness does not know");
    let (code, _, err) = run(
        &[
            "witness",
            "add-log",
            s(&w),
            "--rotation",
            s(&l.join("log/rotations/0001")),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("retired"), "{err}");
    let (code, out, err) = run(&["witness", "run", s(&w), "--ledger", s(&l)], b"");
    assert_eq!(code, 0, "{out}{err}");
    // The monitor follows the hand-over both keys signed, and pins the new
    // key; then it goes on quietly.
    let (code, out, err) = run(&["monitor", s(&l), "--state", s(&state)], b"");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("its key handed over at tree size"), "{out}");
    let (code, out, err) = run(&["monitor", s(&l), "--state", s(&state)], b"");
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("handed over"), "{out}");
    // Under the old key alone: the note hands trust to the new key.
    for p in [&before, &during, &after] {
        let (code, out, err) = run(&["verify", s(p), "--trust", s(&old_trust), "-v"], b"");
        assert_eq!(code, 0, "{}: {out}{err}", p.display());
    }
    let (_, out, _) = run(&["verify", s(&after), "--trust", s(&old_trust), "-v"], b"");
    assert!(
        out.contains("log key rotation 1") && out.contains("on the old key's word"),
        "{out}"
    );
    // Under the new key alone: the pack from after verifies.
    let new_trust = d.join("trust-new");
    std::fs::create_dir_all(&new_trust).unwrap();
    std::fs::copy(old_trust.join("root.pem"), new_trust.join("root.pem")).unwrap();
    std::fs::write(new_trust.join("log.vkey"), &new_vkey).unwrap();
    for p in [&during, &after] {
        let (code, out, err) = run(&["verify", s(p), "--trust", s(&new_trust)], b"");
        assert_eq!(code, 0, "{}: {out}{err}", p.display());
    }

    // The retired key signs a larger tree (the fork), and the pack carries
    // the rotation note: refused, naming the retired key.
    let (code, out, err) = submit(d, &fork, "r3.cose", &reg("TF-3"));
    assert_eq!(code, 0, "{out}{err}");
    let forked = d.join("fork.pack");
    let (code, _, err) = run(
        &["pack", s(&fork), "--facility", "TF-1", "--out", s(&forked)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    // The witness refuses the retired key's larger tree.
    let (code, _, err) = run(&["witness", "run", s(&w), "--ledger", s(&fork)], b"");
    assert_ne!(code, 0);
    assert!(err.contains("retired"), "{err}");
    let mut p = triage_ledger::verify::Pack::parse(&std::fs::read(&forked).unwrap()).unwrap();
    p.rotations = vec![note.clone()];
    std::fs::write(&forked, p.to_bytes().unwrap()).unwrap();
    let (code, out, _) = run(&["verify", s(&forked), "--trust", s(&old_trust), "-v"], b"");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("retired at tree size"), "{out}");
    // A verifier who keeps the note in its trust directory knows the
    // window even from a pack that leaves the note out.
    let plain = d.join("fork-plain.pack");
    let (code, _, err) = run(
        &["pack", s(&fork), "--facility", "TF-1", "--out", s(&plain)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(&["verify", s(&plain), "--trust", s(&old_trust), "-v"], b"");
    assert_eq!(
        code, 0,
        "without the note, the old key's tree verifies: {out}"
    );
    let kept = d.join("trust-kept");
    std::fs::create_dir_all(kept.join("rotations")).unwrap();
    std::fs::copy(old_trust.join("root.pem"), kept.join("root.pem")).unwrap();
    std::fs::copy(old_trust.join("log.vkey"), kept.join("log.vkey")).unwrap();
    std::fs::write(kept.join("rotations/0001"), &note).unwrap();
    let (code, out, _) = run(&["verify", s(&plain), "--trust", s(&kept), "-v"], b"");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("retired at tree size") && out.contains("the trust directory"),
        "{out}"
    );
    let (code, out, err) = run(&["verify", s(&after), "--trust", s(&kept), "-v"], b"");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.matches("log key rotation").count(),
        1,
        "the note once: {out}"
    );

    // A hand-over interrupted after its note (the crash between the note
    // and `vkey`): the next opening finishes it, and the old key never
    // signs again.
    let l2 = ledger(d, "crash");
    let (code, out, err) = submit(
        d,
        &l2,
        "r1.cose",
        &std::fs::read(d.join("r1.cose")).unwrap(),
    );
    assert_eq!(code, 0, "{out}{err}");
    let old_key = std::fs::read(l2.join("private/log.key")).unwrap();
    let old_v = std::fs::read(l2.join("vkey")).unwrap();
    let (code, _, err) = run(&["log", "rotate", s(&l2)], b"");
    assert_eq!(code, 0, "{err}");
    let new_v = std::fs::read_to_string(l2.join("vkey")).unwrap();
    // name+id+key (the key's base64 may hold '+' too).
    let id = new_v.split('+').nth(1).unwrap().to_string();
    std::fs::rename(
        l2.join("private/log.key"),
        l2.join(format!("private/log-{id}.key")),
    )
    .unwrap();
    std::fs::write(l2.join("private/log.key"), &old_key).unwrap();
    std::fs::write(l2.join("vkey"), &old_v).unwrap();
    let (code, out, err) = submit(
        d,
        &l2,
        "r2.cose",
        &std::fs::read(d.join("r2.cose")).unwrap(),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(std::fs::read_to_string(l2.join("vkey")).unwrap(), new_v);
    assert!(!l2.join(format!("private/log-{id}.key")).exists());
    let cp = std::fs::read_to_string(l2.join("log/checkpoint")).unwrap();
    assert_eq!(
        cp.matches("\n\u{2014} example.org/crash ").count(),
        1,
        "{cp}"
    );
    let (code, out, err) = run(&["log", "audit", s(&l2)], b"");
    assert_eq!(code, 0, "{out}{err}");
}
