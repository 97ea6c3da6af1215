//! What commands write: `--out` never replaces a file without `--force`
//! (packs, receipts, statements, keys, certificates, disclosures, witness
//! requests), `-` is standard output (and standard input where a file is
//! read), and an interrupted seal leaves no temporary file.

use std::path::Path;
use std::process::Stdio;

use crate::common::{bin, s};

fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let o = bin().args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        o.stdout,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn demo(dir: &Path) -> std::path::PathBuf {
    let d = dir.join("demo");
    let (code, _, err) = run(&["demo", s(&d)]);
    assert_eq!(code, 0, "{err}");
    d
}

/// Each command: the first write succeeds, a second is refused (exit 2,
/// naming --out and --force, the file unchanged), --force replaces it.
#[test]
fn out_never_replaces_a_file_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let d = demo(tmp.path());
    let l = d.join("ledger");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let k = tmp.path().join("k");
    let cases: Vec<(&str, Vec<String>, std::path::PathBuf)> = vec![
        (
            "pack",
            vec![
                "pack".into(),
                s(&l).into(),
                "--facility".into(),
                "TF-0002".into(),
            ],
            tmp.path().join("p.pack"),
        ),
        (
            "receipt",
            vec![
                "receipt".into(),
                s(&l).into(),
                "--index".into(),
                "22".into(),
            ],
            tmp.path().join("r.cbor"),
        ),
        (
            "witness request",
            vec!["witness".into(), "request".into(), s(&l).into()],
            tmp.path().join("req"),
        ),
        (
            "report",
            vec![
                "report".into(),
                s(&l).into(),
                "--facility".into(),
                "TF-0001".into(),
            ],
            tmp.path().join("r.html"),
        ),
        (
            "cert root",
            vec![
                "cert".into(),
                "root".into(),
                "--key".into(),
                s(&tmp.path().join("k.key")).into(),
                "--name".into(),
                "Root".into(),
                "--org".into(),
                "SSC".into(),
            ],
            tmp.path().join("root.pem"),
        ),
    ];
    let (code, _, err) = run(&["keys", "new", "--out", s(&k)]);
    assert_eq!(code, 0, "{err}");
    let key_before = std::fs::read(tmp.path().join("k.key")).unwrap();
    let (code, _, err) = run(&["keys", "new", "--out", s(&k)]);
    assert_eq!(code, 2, "keys new: {err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(tmp.path().join("k.key")).unwrap(), key_before);
    for (name, args, out) in &cases {
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend(["--out", s(out)]);
        let (code, _, err) = run(&a);
        assert_eq!(code, 0, "{name}: {err}");
        let before = std::fs::read(out).unwrap();
        let (code, _, err) = run(&a);
        assert_eq!(code, 2, "{name}: a second write: {err}");
        assert!(
            err.contains(&format!(
                "--out {}: the file exists, and it was not replaced\nhint: give --force",
                out.display()
            )),
            "{name}: {err}"
        );
        assert_eq!(std::fs::read(out).unwrap(), before, "{name}: changed");
        a.push("--force");
        let (code, _, err) = run(&a);
        assert_eq!(code, 0, "{name} --force: {err}");
    }
    // The key pair, replaced: still 0600, and different.
    let (code, _, err) = run(&["keys", "new", "--out", s(&k), "--force"]);
    assert_eq!(code, 0, "{err}");
    assert_ne!(std::fs::read(tmp.path().join("k.key")).unwrap(), key_before);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(tmp.path().join("k.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // No temporary file anywhere.
    let tmps: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(tmps.is_empty(), "{tmps:?}");
    let _ = root;
}

/// `-` writes to standard output and reads from standard input: a pack
/// piped into `verify -`, a statement into `inspect -`.
#[test]
fn dash_is_standard_output_and_input() {
    let tmp = tempfile::tempdir().unwrap();
    let d = demo(tmp.path());
    let (code, pack, err) = run(&[
        "pack",
        s(&d.join("ledger")),
        "--facility",
        "TF-0002",
        "--out",
        "-",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(pack.len() > 1000);
    let mut child = bin()
        .args(["verify", "-", "--trust", s(&d.join("trust"))])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &pack).unwrap();
    let o = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.starts_with("VERIFIED"), "{text}");
    // A certificate to stdout: the PEM on stdout, its description on stderr.
    let (code, _, err) = run(&["keys", "new", "--out", s(&tmp.path().join("k"))]);
    assert_eq!(code, 0, "{err}");
    let (code, pem, err) = run(&[
        "cert",
        "root",
        "--key",
        s(&tmp.path().join("k.key")),
        "--name",
        "R",
        "--org",
        "O",
        "--out",
        "-",
    ]);
    assert_eq!(code, 0, "{err}");
    let pem = String::from_utf8(pem).unwrap();
    assert!(
        pem.starts_with("-----BEGIN CERTIFICATE-----")
            && pem.trim_end().ends_with("-----END CERTIFICATE-----"),
        "{pem}"
    );
    assert!(err.contains("subject:"), "{err}");
    // A private key is never written to stdout.
    let (code, out, err) = run(&["keys", "new", "--out", "-"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
}

/// SIGINT while sealing a large file: the process exits 130 and the
/// manifest's temporary file is gone (it existed while hashing).
#[test]
fn an_interrupted_seal_leaves_no_temporary_file() {
    let (_tmp, files) = interrupt_a_seal(None);
    assert!(files.is_empty(), "left behind: {files:?}");
}

/// The same with --force over an earlier manifest: it was set aside while
/// the new one was hashed, and is back, unchanged, after the interruption.
#[test]
fn an_interrupted_seal_with_force_puts_back_the_manifest_it_was_to_replace() {
    let (_tmp, files) = interrupt_a_seal(Some(b"the earlier manifest"));
    assert_eq!(
        files,
        [("m.cbor".to_string(), b"the earlier manifest".to_vec())]
    );
}

/// Seals an 8 GiB sparse file into `out/m.cbor` (over `existing`, with
/// --force, when given), interrupts it with SIGINT once the manifest's
/// temporary file exists, checks the exit code (130) and returns what is
/// left in `out/`.
fn interrupt_a_seal(existing: Option<&[u8]>) -> (tempfile::TempDir, Vec<(String, Vec<u8>)>) {
    let tmp = tempfile::tempdir().unwrap();
    let ev = tmp.path().join("evidence");
    std::fs::create_dir(&ev).unwrap();
    // 8 GiB, sparse: takes seconds to hash, no disk.
    let f = std::fs::File::create(ev.join("big.bin")).unwrap();
    f.set_len(8 << 30).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let keys = tmp.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    let (k, c) = (keys.join("op.key"), keys.join("op.pem"));
    std::fs::copy(root.join("keys/demo-operator.key"), &k).unwrap();
    std::fs::copy(root.join("keys/demo-operator.pem"), &c).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    if let Some(bytes) = existing {
        std::fs::write(out.join("m.cbor"), bytes).unwrap();
    }
    let force = existing.map(|_| "--force");
    let mut child = bin()
        .args([
            "seal",
            s(&ev),
            "--facility",
            "TF-1",
            "--manifest",
            s(&out.join("m.cbor")),
            "--key",
            s(&k),
            "--cert",
            s(&c),
            "--out",
            s(&out.join("seal.cose")),
            "--quiet",
        ])
        .args(force)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let listing = || -> Vec<String> {
        std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !listing().iter().any(|n| n.ends_with(".tmp")) {
        assert!(
            std::time::Instant::now() < deadline,
            "no temporary manifest appeared"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the seal ended before it could be interrupted"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status:?}");
    let mut files: Vec<(String, Vec<u8>)> = listing()
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(out.join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    files.sort();
    (tmp, files)
}

/// Signer settings and the ledger from a configuration file or the
/// environment: a flag wins over the environment, the environment over
/// the file; a mistake in the file is named by line (exit 2).
#[test]
fn settings_come_from_flags_then_environment_then_the_configuration_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = demo(tmp.path());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    use std::os::unix::fs::PermissionsExt;
    let key = tmp.path().join("op.key");
    std::fs::copy(root.join("keys/demo-operator.key"), &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let cfg = tmp.path().join("config");
    std::fs::write(
        &cfg,
        format!(
            "# the operator\nTRIAGE_LEDGER_KEY={}\nTRIAGE_LEDGER_CERT=\"{}\"\nTRIAGE_LEDGER_LEDGER={}\n",
            key.display(),
            root.join("keys/demo-operator.pem").display(),
            d.join("ledger").display()
        ),
    )
    .unwrap();
    let go = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = bin();
        c.args(args).env("TRIAGE_LEDGER_CONFIG", &cfg);
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    // All from the file: signed by the operator, submitted to the ledger.
    let (code, out, err) = go(
        &[
            "register",
            "--facility",
            "TF-0003",
            "--name",
            "Bay 3",
            "--site",
            "Unit 9",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("entry 60"), "{out}");
    let (code, out, err) = go(&["status", "--facility", "TF-0003"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("TF-0003 — Bay 3"), "{out}");
    // The environment wins over the file: another ledger that does not exist.
    let (code, _, err) = go(
        &["status"],
        &[("TRIAGE_LEDGER_LEDGER", "/nonexistent/ledger")],
    );
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/ledger"), "{err}");
    // A flag wins over both: --out writes the statement and submits nothing.
    let st = tmp.path().join("reg.cose");
    let (code, _, err) = go(
        &[
            "register",
            "--facility",
            "TF-0004",
            "--name",
            "B4",
            "--site",
            "U",
            "--out",
            s(&st),
        ],
        &[("TRIAGE_LEDGER_LEDGER", "/nonexistent/ledger")],
    );
    assert_eq!(code, 0, "{err}");
    assert!(st.is_file());
    let (_, out, _) = go(&["status"], &[]);
    assert!(!out.contains("TF-0004"), "{out}");
    // A mistake in the file, named by file and line.
    std::fs::write(&cfg, "TRIAGE_LEDGER_KEY=k\nTRIAGE_LEDGER_LEDGR=x\n").unwrap();
    let (code, _, err) = go(&["status"], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "{}:2: unknown setting \"TRIAGE_LEDGER_LEDGR\"",
            cfg.display()
        )),
        "{err}"
    );
    // TRIAGE_LEDGER_CONFIG naming a missing file is an error, not ignored.
    std::fs::remove_file(&cfg).unwrap();
    let (code, _, err) = go(&["status"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("configuration file"), "{err}");
}
