//! The command line as a user drives it: exit codes, outputs, and the errors
//! that bad input of every kind produces.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], stdin: &[u8]) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_triage-ledger"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut si = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let t = std::thread::spawn(move || {
        let _ = si.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    t.join().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
    ledger: PathBuf,
}

fn setup(lines: usize) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let ledger = root.join("ledger");
    let o = run(
        &["init", s(&ledger), "--origin", "ledger.example.org/cli"],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("ledger.example.org/cli+"));
    if lines > 0 {
        let input: String = (0..lines).map(|i| format!("statement {i}\n")).collect();
        let o = run(&["log", "append", s(&ledger), "--lines"], input.as_bytes());
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    Env {
        _dir: dir,
        root,
        ledger,
    }
}

fn write(env: &Env, name: &str, data: &[u8]) -> PathBuf {
    let p = env.root.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn append_prove_and_verify_inclusion() {
    let env = setup(1000);
    let o = run(&["log", "checkpoint", s(&env.ledger)], b"");
    assert!(
        o.stdout.starts_with("ledger.example.org/cli\n1000\n"),
        "{}",
        o.stdout
    );
    let vkey = run(&["log", "vkey", s(&env.ledger)], b"")
        .stdout
        .trim()
        .to_string();

    let proof = run(&["log", "prove", s(&env.ledger), "--index", "733"], b"");
    assert_eq!(proof.code, 0);
    assert!(proof
        .stdout
        .starts_with("c2sp.org/tlog-proof@v1\nindex 733\n"));
    let proof_file = write(&env, "p.tlog-proof", proof.stdout.as_bytes());
    let entry = write(&env, "e", b"statement 733");
    let o = run(
        &[
            "log",
            "verify-inclusion",
            "--vkey",
            &vkey,
            "--proof",
            s(&proof_file),
            "--entry",
            s(&entry),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("is entry 733 of tree size 1000"));
    assert!(o.stdout.contains("not checked: witness cosignatures"));
    // `--vkey` also takes the ledger's vkey file.
    let o = run(
        &[
            "log",
            "verify-inclusion",
            "--vkey",
            s(&env.ledger.join("vkey")),
            "--proof",
            s(&proof_file),
            "--entry",
            s(&entry),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);

    // Wrong entry: verification failure, exit 1.
    let wrong = write(&env, "w", b"statement 734");
    let o = run(
        &[
            "log",
            "verify-inclusion",
            "--vkey",
            &vkey,
            "--proof",
            s(&proof_file),
            "--entry",
            s(&wrong),
        ],
        b"",
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("does not lead to the root"),
        "{}",
        o.stderr
    );

    // A flipped path hash: exit 1; a truncated path: exit 1 naming the length.
    let mut lines: Vec<String> = proof.stdout.lines().map(String::from).collect();
    let original = lines[3].clone();
    lines[3] = original.replacen(&original[..4], "AAAA", 1);
    let tampered = write(&env, "t", (lines.join("\n") + "\n").as_bytes());
    let o = run(
        &[
            "log",
            "verify-inclusion",
            "--vkey",
            &vkey,
            "--proof",
            s(&tampered),
            "--entry",
            s(&entry),
        ],
        b"",
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    lines[3] = original;
    lines.remove(3);
    let truncated = write(&env, "tr", (lines.join("\n") + "\n").as_bytes());
    let o = run(
        &[
            "log",
            "verify-inclusion",
            "--vkey",
            &vkey,
            "--proof",
            s(&truncated),
            "--entry",
            s(&entry),
        ],
        b"",
    );
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("hashes, expected"), "{}", o.stderr);

    // Another log's key: exit 1, and the error says no trusted signature.
    let other = setup(0);
    let other_vkey = run(&["log", "vkey", s(&other.ledger)], b"")
        .stdout
        .trim()
        .to_string();
    let o = run(
        &[
            "log",
            "verify-inclusion",
            "--vkey",
            &other_vkey,
            "--proof",
            s(&proof_file),
            "--entry",
            s(&entry),
        ],
        b"",
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("no signature by a trusted key"),
        "{}",
        o.stderr
    );

    // Malformed proofs and keys: exit 2 naming the problem.
    for (bad, needle) in [
        (
            proof.stdout.replace("tlog-proof@v1", "tlog-proof@v9"),
            "first line",
        ),
        (proof.stdout.replace("index 733", "index -1"), "index"),
        (proof.stdout.replacen('=', "!", 1), "path hash 1"),
        (String::from("\u{0}\u{1}garbage"), "tlog-proof"),
        (proof.stdout[..40].to_string(), "tlog-proof"),
    ] {
        let f = write(&env, "bad", bad.as_bytes());
        let o = run(
            &[
                "log",
                "verify-inclusion",
                "--vkey",
                &vkey,
                "--proof",
                s(&f),
                "--entry",
                s(&entry),
            ],
            b"",
        );
        assert!(o.code == 2 || o.code == 1, "{needle}: {}", o.stderr);
        assert!(
            o.stderr.contains(needle) || o.code == 1,
            "wanted {needle:?} in {}",
            o.stderr
        );
        assert!(!o.stderr.contains("panicked"));
    }
    let o = run(
        &[
            "log",
            "verify-inclusion",
            "--vkey",
            "nonsense+zz+AAAA",
            "--proof",
            s(&proof_file),
            "--entry",
            s(&entry),
        ],
        b"",
    );
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("neither a verifier key"), "{}", o.stderr);
}

#[test]
fn consistency_between_checkpoints() {
    let env = setup(300);
    let old = write(
        &env,
        "old",
        run(&["log", "checkpoint", s(&env.ledger)], b"")
            .stdout
            .as_bytes(),
    );
    let o = run(&["log", "append", s(&env.ledger), "--lines"], b"a\nb\nc");
    assert_eq!(o.code, 0);
    assert!(
        o.stdout.starts_with("ledger.example.org/cli\n303\n"),
        "final line without newline is an entry"
    );
    let new = write(&env, "new", o.stdout.as_bytes());
    let proof = write(
        &env,
        "c",
        run(&["log", "prove", s(&env.ledger), "--from", "300"], b"")
            .stdout
            .as_bytes(),
    );
    let vkey = s(&env.ledger.join("vkey")).to_string();
    let o = run(
        &[
            "log",
            "verify-consistency",
            "--vkey",
            &vkey,
            "--old",
            s(&old),
            "--new",
            s(&new),
            "--proof",
            s(&proof),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("tree 300") && o.stdout.contains("prefix of tree 303"));
    // Swapped: usage error. Tampered proof: exit 1.
    let o = run(
        &[
            "log",
            "verify-consistency",
            "--vkey",
            &vkey,
            "--old",
            s(&new),
            "--new",
            s(&old),
            "--proof",
            s(&proof),
        ],
        b"",
    );
    assert_eq!(o.code, 2);
    let text = std::fs::read_to_string(&proof).unwrap();
    let bad = write(&env, "cb", text.replacen(&text[..2], "AA", 1).as_bytes());
    let o = run(
        &[
            "log",
            "verify-consistency",
            "--vkey",
            &vkey,
            "--old",
            s(&old),
            "--new",
            s(&new),
            "--proof",
            s(&bad),
        ],
        b"",
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    // A checkpoint with one changed byte: exit 1 (signature) or 2 (unparseable), never 0.
    let cp = std::fs::read(&new).unwrap();
    for at in [0, 24, 30, cp.len() - 5] {
        let mut b = cp.clone();
        b[at] ^= 0x02;
        let f = write(&env, "newbad", &b);
        let o = run(
            &[
                "log",
                "verify-consistency",
                "--vkey",
                &vkey,
                "--old",
                s(&old),
                "--new",
                s(&f),
                "--proof",
                s(&proof),
            ],
            b"",
        );
        assert!(o.code == 1 || o.code == 2, "byte {at}: {}", o.stderr);
        assert!(o.stderr.contains("newbad"), "{}", o.stderr);
    }
}

#[test]
fn oversized_entries_append_nothing() {
    let env = setup(10);
    let mut input = b"ok line\n".to_vec();
    input.extend(vec![b'x'; 70_000]);
    input.push(b'\n');
    let o = run(&["log", "append", s(&env.ledger), "--lines"], &input);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("stdin line 2") && o.stderr.contains("nothing was appended"),
        "{}",
        o.stderr
    );
    let big = write(&env, "big", &vec![0u8; 65_536]);
    let small = write(&env, "small", b"fine");
    let o = run(&["log", "append", s(&env.ledger), s(&small), s(&big)], b"");
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("big") && o.stderr.contains("65535"),
        "{}",
        o.stderr
    );
    let o = run(&["log", "checkpoint", s(&env.ledger)], b"");
    assert!(
        o.stdout.starts_with("ledger.example.org/cli\n10\n"),
        "{}",
        o.stdout
    );
    let o = run(&["log", "audit", s(&env.ledger)], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    // Files and stdin as one entry each.
    let o = run(
        &["log", "append", s(&env.ledger), s(&small), "-"],
        b"from stdin\n",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(&["log", "get", s(&env.ledger), "--index", "11"], b"");
    assert_eq!(o.stdout, "from stdin\n");
}

#[test]
fn audit_names_tampered_files_with_exit_1() {
    let env = setup(5000);
    let log = env.ledger.join("log");
    let o = run(&["log", "audit", s(&env.ledger)], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("audit passed"));
    for (rel, at) in [
        ("tile/0/004", 77),
        ("tile/entries/010", 300),
        ("tile/1/000.p/19", 5),
        ("checkpoint", 30),
    ] {
        let p = log.join(rel);
        let orig = std::fs::read(&p).unwrap();
        let mut b = orig.clone();
        b[at] ^= 0x10;
        std::fs::write(&p, &b).unwrap();
        let o = run(&["log", "audit", s(&env.ledger)], b"");
        assert_eq!(o.code, 1, "{rel}: {}", o.stderr);
        assert!(
            o.stderr.contains(rel),
            "audit should name {rel}: {}",
            o.stderr
        );
        std::fs::write(&p, &orig).unwrap();
    }
    let o = run(&["log", "audit", s(&env.ledger)], b"");
    assert_eq!(o.code, 0);
}

#[test]
fn a_second_writer_waits_for_the_first_or_with_no_wait_fails_naming_it() {
    let env = setup(3);
    // The first `log append --lines` holds the ledger while it reads stdin.
    let mut first = Command::new(env!("CARGO_BIN_EXE_triage-ledger"))
        .args(["log", "append", s(&env.ledger), "--lines"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = env.ledger.join("lock");
    let started = std::time::Instant::now();
    let holder = format!("pid {}: ", first.id());
    while !std::fs::read_to_string(&lock)
        .unwrap_or_default()
        .contains(&holder)
    {
        assert!(
            started.elapsed().as_secs() < 30,
            "the first never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let f = write(&env, "x", b"x");
    let o = run(&["log", "append", s(&env.ledger), s(&f), "--no-wait"], b"");
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains(&format!("(pid {}: triage-ledger log append)", first.id())),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("without --no-wait"), "{}", o.stderr);
    // Without --no-wait the second says it waits, and does once the first
    // is done.
    let second = Command::new(env!("CARGO_BIN_EXE_triage-ledger"))
        .args(["log", "append", s(&env.ledger), s(&f)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    {
        let mut stdin = first.stdin.take().unwrap();
        stdin.write_all(b"from the first\n").unwrap();
    }
    assert!(first.wait().unwrap().success());
    let out = second.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("waiting for"), "{err}");
    assert!(
        err.contains("indexes 4..=4"),
        "after the first's entry: {err}"
    );
}

#[test]
fn the_signer_can_come_from_the_environment() {
    let env = setup(0);
    let (key, cert) = demo_identity(&env.root, "demo-root");
    let out = env.root.join("des.cose");
    let o = Command::new(env!("CARGO_BIN_EXE_triage-ledger"))
        .args(["designate", "--role", "ssc", "--party", "SECGB-SSC-DEMO"])
        .args(["--note", "n", "--out", s(&out)])
        .env("TRIAGE_LEDGER_KEY", &key)
        .env("TRIAGE_LEDGER_CERT", &cert)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["inspect", s(&out)], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("kind        designation"), "{}", o.stdout);
    // Without them, and without the flags: a usage error naming both ways.
    let o = run(
        &[
            "designate",
            "--role",
            "ssc",
            "--party",
            "P",
            "--note",
            "n",
            "--out",
            s(&out),
        ],
        b"",
    );
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("--key"), "{}", o.stderr);
}

// Usage errors, help and exit codes are data: tests/cases/*.cases
// (tests/it/cases.rs).

#[test]
fn demo_builds_a_verifiable_ledger_and_says_what_to_try() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("demo");
    let o = run(&["demo", s(&d)], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    for needle in [
        "designates party NTRGB-DEMO0002 as the User CIO",
        "publishes framework 2027.1 (21 obligations, 17 apply to triage)",
        "rule coverage: an approval with G3.7, G3.22 not met",
        "FUSA: approved subject to steps S1 (G3.7), S2 (G3.22); 17 findings",
        "acknowledges the FUSA: accepts the findings",
        "VUSA: approved",
        "submits its USSA self-assessment",
        "rule authority: facility \"TF-0001\" belongs to party NTRGB-DEMO0001",
        "rule revoked",
        "WARNING   tool ResetWorks ResetStation R2 serial RS2-0091",
        "coverage  framework 2027.1: 11 of 17 applicable obligations met with evidence",
        "Try next",
    ] {
        assert!(
            o.stdout.contains(needle),
            "demo output lacks {needle:?}:\n{}",
            o.stdout
        );
    }
    assert!(d.join("trust/root.pem").exists() && d.join("trust/log.vkey").exists());
    // The key lifecycle: the second ledger's log key moved into a SoftHSM2
    // token (scripts/test installs it) by a rotation; no key file is left,
    // and both packs verify under the trust made before the hand-over.
    assert!(
        o.stdout.contains(
            "the log key was handed over at tree size 2 to a key made inside a SoftHSM2 token"
        ),
        "{}",
        o.stdout
    );
    let lc = d.join("lifecycle");
    assert!(lc.join("ledger/log-key.pkcs11").exists());
    assert!(!lc.join("ledger/private/log.key").exists());
    for p in ["before.pack", "after.pack"] {
        let o = run(
            &[
                "verify",
                s(&lc.join(p)),
                "--trust",
                s(&lc.join("trust")),
                "-v",
            ],
            b"",
        );
        assert_eq!(o.code, 0, "{p}: {}{}", o.stdout, o.stderr);
        assert_eq!(
            o.stdout.contains("ok:     log key rotation 1 (the pack)"),
            p == "after.pack",
            "{p}: {}",
            o.stdout
        );
    }
    let o = run(&["status", s(&d.join("ledger")), "--json"], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["tree_size"], 60);
    assert_eq!(v["statements"], 30);
    assert_eq!(v["index"]["entry"], 59);
    assert_eq!(v["index"]["facilities"], 2);
    assert_eq!(v["facilities"][0]["id"], "TF-0001");
    assert_eq!(v["facilities"][0]["framework"], "2027.1");
    assert_eq!(v["facilities"][0]["coverage"].as_array().unwrap().len(), 17);
    // The statement files: the first decision logged is the FUSA (entry 22;
    // each submit's commit entry follows its statement).
    let statement = |suffix: &str| {
        let mut names: Vec<String> = std::fs::read_dir(d.join("statements"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| {
                n.ends_with(suffix) && (suffix.contains("refused") || !n.contains("refused"))
            })
            .collect();
        names.sort();
        d.join("statements").join(&names[0])
    };
    let fusa_file = statement("-decision.cose");
    // The statement signed with the revoked key stays refused (exit 1), and
    // the ledger is unchanged.
    let o = run(
        &[
            "submit",
            s(&d.join("ledger")),
            s(&statement("-refused-revoked-registration.cose")),
        ],
        b"",
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("rule revoked") && o.stderr.contains("nothing was appended"));
    // So does the rival's seal, by rule authority.
    let o = run(
        &[
            "submit",
            s(&d.join("ledger")),
            s(&statement("-refused-authority-seal.cose")),
        ],
        b"",
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("rule authority"), "{}", o.stderr);
    // An inclusion proof of the FUSA decision verifies against the trust material.
    let proof = run(
        &["log", "prove", s(&d.join("ledger")), "--index", "22"],
        b"",
    );
    let pf = d.join("fusa.tlog-proof");
    std::fs::write(&pf, proof.stdout).unwrap();
    // The demo is confidential: the log holds the decision's commitment,
    // and `log prove` tells the salt that opens it.
    let salt = proof
        .stderr
        .split("--salt ")
        .nth(1)
        .map(|t| t.trim().to_string())
        .expect("log prove names the salt");
    // Without it, the statement is not what the log holds.
    let o = run(
        &[
            "log",
            "verify-inclusion",
            "--vkey",
            s(&d.join("trust/log.vkey")),
            "--proof",
            s(&pf),
            "--entry",
            s(&fusa_file),
        ],
        b"",
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    let o = run(
        &[
            "log",
            "verify-inclusion",
            "--vkey",
            s(&d.join("trust/log.vkey")),
            "--proof",
            s(&pf),
            "--entry",
            s(&fusa_file),
            "--salt",
            &salt,
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(&["log", "audit", s(&d.join("ledger"))], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    // A receipt and a transparent statement for the FUSA decision verify
    // with the log's key, and a tampered statement is refused by inspect.
    let t = d.join("fusa.transparent.cose");
    let o = run(
        &[
            "receipt",
            s(&d.join("ledger")),
            "--index",
            "22",
            "--out",
            s(&t),
            "--transparent",
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(
        &["inspect", s(&t), "--vkey", s(&d.join("trust/log.vkey"))],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("says entry 22 of tree size 60") && o.stdout.contains("verified with"),
        "{}",
        o.stdout
    );
    // As a person reads it: the scheme's names, hex digests, ISO 8601 times,
    // one finding a line; no Rust debug output.
    for want in [
        "kind        decision",
        "  assessment: FUSA\n",
        "  outcome: approved-with-steps\n",
        "    - obligation: G3.7, result: not-met, note: ",
        "(party: NTRGB-DEMO0002; roles: user-cio)",
    ] {
        assert!(o.stdout.contains(want), "{want:?} in:\n{}", o.stdout);
    }
    assert!(o.stdout.contains("signed at   20") && o.stdout.contains("Z (as its signer says)"));
    for unwanted in ["Fusa", "POSIX", "Decision {", "ApprovedWithSteps"] {
        assert!(
            !o.stdout.contains(unwanted),
            "{unwanted:?} in:\n{}",
            o.stdout
        );
    }
    assert!(o.stdout.lines().count() < 60, "{}", o.stdout);
    let o = run(
        &[
            "inspect",
            s(&t),
            "--vkey",
            s(&d.join("trust/log.vkey")),
            "--json",
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["kind"], "decision");
    assert_eq!(v["record"]["assessment"], "FUSA");
    assert_eq!(v["receipts"][0]["verified"], true);
    assert_eq!(v["receipts"][0]["index"], 22);
    assert!(v["signed_at"].as_str().unwrap().ends_with('Z'));
    let other = setup(0);
    let o = run(
        &["inspect", s(&t), "--vkey", s(&other.ledger.join("vkey"))],
        b"",
    );
    assert_eq!(o.code, 1, "{}", o.stdout);
    let mut bad = std::fs::read(&fusa_file).unwrap();
    let n = bad.len();
    bad[n - 10] ^= 1;
    let bf = d.join("bad.cose");
    std::fs::write(&bf, bad).unwrap();
    let o = run(&["inspect", s(&bf)], b"");
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(o.stdout.contains("DOES NOT VERIFY"));
    // An evidence pack verifies offline with the trust material; a changed
    // byte makes it fail with exit 1.
    let pack = d.join("tf1.pack");
    let o = run(
        &[
            "pack",
            s(&d.join("ledger")),
            "--facility",
            "TF-0001",
            "--out",
            s(&pack),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // The answer first: the verdict, the checkpoint, the witnesses,
    // completeness, then what the pack establishes and who signed it.
    let o = run(&["verify", s(&pack), "--trust", s(&d.join("trust"))], b"");
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let first: Vec<&str> = o.stdout.lines().take(4).collect();
    assert!(first[0].starts_with("VERIFIED: all "), "{}", o.stdout);
    assert!(
        first[1].starts_with("checkpoint: signed by log "),
        "{}",
        o.stdout
    );
    assert!(
        first[2].contains("valid cosignatures from: w1"),
        "{}",
        o.stdout
    );
    assert!(
        first[3].starts_with("complete:   every statement of facility TF-0001 up to tree size 60"),
        "{}",
        o.stdout
    );
    for want in [
        "TF-0001 — ",
        "  current   VUSA approved (entry 38)",
        "  next      USSA due ",
        "signed by\n",
        "(party NTRGB-DEMO0002): countersignature, decision, step-acceptance",
        "checks passed (-v lists every check)",
    ] {
        assert!(o.stdout.contains(want), "{want:?} in:\n{}", o.stdout);
    }
    assert!(!o.stdout.contains("ok:     "), "passed checks only with -v");
    let o = run(
        &["verify", s(&pack), "--trust", s(&d.join("trust")), "-v"],
        b"",
    );
    assert_eq!(o.code, 0);
    assert!(o.stdout.contains("ok:     witness quorum"), "{}", o.stdout);
    assert!(
        o.stdout
            .contains("ok:     complete: every statement of facility TF-0001 up to tree size 60"),
        "{}",
        o.stdout
    );
    // The summary is in the JSON report too.
    let o = run(
        &["verify", s(&pack), "--trust", s(&d.join("trust")), "--json"],
        b"",
    );
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["summary"]["tree_size"], 60);
    assert_eq!(v["summary"]["status"]["facilities"][0]["id"], "TF-0001");
    // The demo's own packs: one per facility, and TF-0001's proves that the
    // log extends the one the FUSA pack was made from.
    let o = run(
        &[
            "verify",
            s(&d.join("packs/TF-0001.pack")),
            "--trust",
            s(&d.join("trust")),
            "--since",
            s(&d.join("packs/TF-0001-fusa.pack")),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("extends OLD's tree of size 26"),
        "{}",
        o.stdout
    );
    let o = run(
        &[
            "verify",
            s(&d.join("packs/TF-0002.pack")),
            "--trust",
            s(&d.join("trust")),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = run(
        &["verify", s(&pack), "--trust", s(&d.join("trust")), "--json"],
        b"",
    );
    assert_eq!(o.code, 0);
    let head = "{\"verified\": true, \"verdict\": \"VERIFIED: all ";
    assert!(o.stdout.starts_with(head), "{}", o.stdout);
    assert!(
        o.stdout
            .contains("\"scope\": {\"kind\": \"complete\", \"facilities\": [\"TF-0001\"]"),
        "{}",
        o.stdout
    );
    let mut bytes = std::fs::read(&pack).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0x01;
    std::fs::write(&pack, &bytes).unwrap();
    let o = run(&["verify", s(&pack), "--trust", s(&d.join("trust"))], b"");
    assert!(o.code == 1 || o.code == 2, "{}", o.stdout);
    assert!(o.stdout.contains("FAILED") || o.code == 2, "{}", o.stdout);
    // A verifier who relies on completeness: a facility pack has it, a pack
    // of selected entries does not (exit 1, check `complete`).
    let o = run(
        &[
            "verify",
            s(&d.join("packs/TF-0002.pack")),
            "--trust",
            s(&d.join("trust")),
            "--require-complete",
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let sel = d.join("sel.pack");
    let o = run(
        &[
            "pack",
            s(&d.join("ledger")),
            "--entry",
            "22",
            "--out",
            s(&sel),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // Without --require-complete it verifies, and its first words say it
    // proves the selected entries only.
    let o = run(&["verify", s(&sel), "--trust", s(&d.join("trust"))], b"");
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(
        o.stdout.starts_with("VERIFIED, ENTRIES ONLY: all "),
        "{}",
        o.stdout
    );
    let o = run(
        &[
            "verify",
            s(&sel),
            "--trust",
            s(&d.join("trust")),
            "--require-complete",
        ],
        b"",
    );
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(
        o.stdout.contains("FAILED: complete: required"),
        "{}",
        o.stdout
    );
    // The first line names the failure; the summary says it is a claim.
    assert!(
        o.stdout
            .lines()
            .next()
            .unwrap()
            .starts_with("NOT VERIFIED: 1 of "),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("complete:   NO: required"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("what the pack claims (it did not verify"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("later statements of facility TF-0001"),
        "{}",
        o.stdout
    );
    // A facility's history, and what is overdue at a date.
    let ledger = d.join("ledger");
    let o = run(
        &[
            "history",
            s(&ledger),
            "--facility",
            "TF-0001",
            "--as-of",
            "2028-10-01",
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    for want in [
        "TF-0001 — ",
        "entry 22    decision          NTRGB-DEMO0002   FUSA approved-with-steps; 17 findings, 2 not met; steps S1 due 2027-06-30",
        "entry 42    determination     SECGB-SSC-DEMO   next assessment: USSA due 2028-09-30",
        "OVERDUE   the USSA was due 2028-09-30 and is not decided",
    ] {
        assert!(o.stdout.contains(want), "{want:?} in:\n{}", o.stdout);
    }
    let o = run(
        &["history", s(&ledger), "--facility", "TF-0001", "--json"],
        b"",
    );
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["events"].as_array().unwrap().len(), 20);
    assert_eq!(v["events"][0]["kind"], "registration");
    let o = run(&["history", s(&ledger), "--facility", "TF-0099"], b"");
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("not registered"), "{}", o.stderr);
    let o = run(
        &["status", s(&ledger), "--overdue", "--as-of", "2027-01-01"],
        b"",
    );
    assert_eq!(o.code, 0);
    assert!(
        o.stdout
            .contains("no facility has an overdue step or assessment as of 2027-01-01"),
        "{}",
        o.stdout
    );
    let o = run(
        &["status", s(&ledger), "--overdue", "--as-of", "2028-10-01"],
        b"",
    );
    assert!(o.stdout.contains("TF-0001 — "), "{}", o.stdout);
    assert!(!o.stdout.contains("TF-0002 — "), "{}", o.stdout);
    monitor_catches_a_lying_copy_of(&d);
    // Running it again over the same directory refuses to overwrite.
    let o = run(&["demo", s(&d)], b"");
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("already exists"), "{}", o.stderr);
    assert!(o.stderr.contains("--force"), "{}", o.stderr);
    let o = run(&["demo", s(&d), "--force"], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(d.join("reports/TF-0002.html").is_file());
}

/// Copies a demo identity into `dir` with mode 0600 (git does not keep modes).
fn demo_identity(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys");
    let (k, c) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pem")),
    );
    std::fs::copy(keys.join(format!("{name}.key")), &k).unwrap();
    std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::copy(keys.join(format!("{name}.pem")), &c).unwrap();
    (k, c)
}

#[test]
fn each_role_signs_and_submits_as_the_readme_shows() {
    let env = setup(0);
    let l = env.root.join("mp203");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = |rel: &str| repo.join("fixtures").join(rel);
    let root_pem = repo.join("keys/demo-root.pem");
    let o = run(
        &[
            "init",
            s(&l),
            "--origin",
            "ledger.example.org/mp203",
            "--trust-root",
            s(&root_pem),
            "--records",
            "public",
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let (rootk, rootc) = demo_identity(&env.root, "demo-root");
    let (opk, opc) = demo_identity(&env.root, "demo-operator");
    let (rivk, rivc) = demo_identity(&env.root, "demo-rival-operator");
    let (ciok, cioc) = demo_identity(&env.root, "demo-user-cio");
    let (ssck, sscc) = demo_identity(&env.root, "demo-ssc");
    let ok = |o: Out| {
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(!o.stderr.contains("warning"), "{}", o.stderr);
        o
    };
    let signer = |k: &PathBuf, c: &PathBuf| {
        vec![
            "--key".to_string(),
            s(k).into(),
            "--cert".into(),
            s(c).into(),
        ]
    };
    let cmd = |verb: &str, who: &[String], rest: &[&str]| {
        let mut v: Vec<String> = vec![verb.into()];
        v.extend(who.iter().cloned());
        v.extend(rest.iter().map(|x| x.to_string()));
        v
    };
    let go = |v: Vec<String>| {
        let args: Vec<&str> = v.iter().map(String::as_str).collect();
        run(&args, b"")
    };
    let (root, op, rival, cio, ssc) = (
        signer(&rootk, &rootc),
        signer(&opk, &opc),
        signer(&rivk, &rivc),
        signer(&ciok, &cioc),
        signer(&ssck, &sscc),
    );
    let on = ["--ledger", s(&l)];
    // The scheme: the root designates the SSC, the SSC the User CIO and
    // publishes its framework.
    ok(go(cmd(
        "designate",
        &root,
        &[
            &on[..],
            &[
                "--role",
                "ssc",
                "--party",
                "SECGB-SSC-DEMO",
                "--note",
                "the SSC",
            ],
        ]
        .concat(),
    )));
    ok(go(cmd(
        "designate",
        &ssc,
        &[
            &on[..],
            &[
                "--role",
                "user-cio",
                "--party",
                "NTRGB-DEMO0002",
                "--note",
                "appointed",
            ],
        ]
        .concat(),
    )));
    let fw = fixture("scheme/framework-2027.1.json");
    let o = ok(go(cmd(
        "publish-framework",
        &ssc,
        &[&[s(&fw)], &on[..]].concat(),
    )));
    assert!(o.stdout.contains("entry 4"), "{}", o.stdout);
    // Operator: register directly, record tools, seal to a file and submit it.
    ok(go(cmd(
        "register",
        &op,
        &[
            &on[..],
            &[
                "--facility",
                "TF-9",
                "--name",
                "Nine",
                "--site",
                "Somewhere",
            ],
        ]
        .concat(),
    )));
    let tools = fixture("scheme/TF-0001-tools.json");
    ok(go(cmd(
        "inventory",
        &op,
        &[&on[..], &["--facility", "TF-9", "--file", s(&tools)]].concat(),
    )));
    let ev = env.root.join("ev");
    std::fs::create_dir_all(ev.join("logs")).unwrap();
    std::fs::write(ev.join("logs/reset.log"), b"reset ok").unwrap();
    let seal = env.root.join("seal.cose");
    let m = env.root.join("m.cbor");
    let o = ok(go(cmd(
        "seal",
        &op,
        &[
            s(&ev),
            "--facility",
            "TF-9",
            "--manifest",
            s(&m),
            "--addresses",
            "G3.20,G3.21",
            "--refs",
            s(&l),
            "--out",
            s(&seal),
        ],
    )));
    assert!(
        o.stderr.contains("citing framework 2027.1 (entry 4)"),
        "{}",
        o.stderr
    );
    let o = ok(run(&["submit", s(&l), s(&seal)], b""));
    assert!(o.stdout.contains("entry 10"), "{}", o.stdout);
    // Another party's operator cannot seal into TF-9: exit 1, nothing appended.
    let o = go(cmd(
        "seal",
        &rival,
        &[
            s(&ev),
            "--facility",
            "TF-9",
            "--manifest",
            s(&env.root.join("m2.cbor")),
            "--ledger",
            s(&l),
        ],
    ));
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("rule authority") && o.stderr.contains("belongs to party NTRGB-DEMO0001"),
        "{}",
        o.stderr
    );
    // The refused seal left no manifest behind (nor its temporary file).
    assert!(!env.root.join("m2.cbor").exists(), "{}", o.stderr);
    assert!(o.stderr.contains("removed"), "{}", o.stderr);
    assert!(
        !std::fs::read_dir(&env.root).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")),
        "a temporary file is left"
    );
    // A refused seal with --force leaves the manifest it was to replace (of
    // entry 10's seal) as it was; a seal that is made replaces it.
    let before = std::fs::read(&m).unwrap();
    let replaced = env.root.join(".m.cbor.replaced");
    let o = go(cmd(
        "seal",
        &rival,
        &[
            s(&ev),
            "--facility",
            "TF-9",
            "--manifest",
            s(&m),
            "--force",
            "--ledger",
            s(&l),
        ],
    ));
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("restored the earlier"), "{}", o.stderr);
    assert_eq!(std::fs::read(&m).unwrap(), before, "the manifest changed");
    assert!(!replaced.exists());
    let o = ok(go(cmd(
        "seal",
        &op,
        &[
            s(&ev),
            "--facility",
            "TF-9",
            "--manifest",
            s(&m),
            "--force",
            "--out",
            s(&env.root.join("again.cose")),
        ],
    )));
    assert!(!o.stderr.contains("restored"), "{}", o.stderr);
    assert_ne!(std::fs::read(&m).unwrap(), before, "not replaced");
    assert!(!replaced.exists());
    // The assessor: countersign by bare index; decide offline with --refs,
    // one finding per applicable obligation from a file.
    ok(go(cmd(
        "countersign",
        &cio,
        &[&on[..], &["--facility", "TF-9", "--seal", "10"]].concat(),
    )));
    let report = write(&env, "report.md", b"report");
    let findings = fixture("scheme/TF-0001-fusa-findings.txt");
    let dec = env.root.join("decision.cose");
    let decide = |outcome: &str, steps: &[&str], out: &Path| {
        let mut rest = vec![
            "--out",
            s(out),
            "--refs",
            s(&l),
            "--facility",
            "TF-9",
            "--assessment",
            "FUSA",
            "--outcome",
            outcome,
            "--report",
            s(&report),
            "--evidence",
            "10",
            "--findings-file",
            s(&findings),
        ];
        for st in steps {
            rest.extend(["--step", st]);
        }
        go(cmd("decide", &cio, &rest))
    };
    // Approving with G3.7 and G3.22 not met is refused at submission (rule coverage).
    let bad = env.root.join("approval.cose");
    ok(decide("approved", &[], &bad));
    let o = run(&["submit", s(&l), s(&bad)], b"");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("rule coverage") && o.stderr.contains("G3.7, G3.22 not met"),
        "{}",
        o.stderr
    );
    ok(decide(
        "approved-with-steps",
        &[
            "S1|sign the custody log|2027-06-30|G3.7",
            "S2|attest firmware|2027-06-30|G3.22",
        ],
        &dec,
    ));
    let o = ok(run(&["inspect", s(&dec)], b""));
    assert!(
        o.stdout.contains("signature verifies") && o.stdout.contains("party: NTRGB-DEMO0002"),
        "{}",
        o.stdout
    );
    let o = ok(run(&["submit", s(&l), s(&dec)], b""));
    assert!(o.stdout.contains("entry 14"), "{}", o.stdout);
    // The operator acknowledges with its Security Assessment Response and
    // completes the steps; the User CIO accepts them.
    let response = write(&env, "response.md", b"we accept");
    ok(go(cmd(
        "acknowledge",
        &op,
        &[
            &on[..],
            &[
                "--facility",
                "TF-9",
                "--decision",
                "14",
                "--response",
                s(&response),
                "--position",
                "accepted",
            ],
        ]
        .concat(),
    )));
    for (step, completion) in [("S1", "18"), ("S2", "22")] {
        ok(go(cmd(
            "complete-step",
            &op,
            &[
                &on[..],
                &["--facility", "TF-9", "--decision", "14", "--step", step],
            ]
            .concat(),
        )));
        ok(go(cmd(
            "accept-step",
            &cio,
            &[&on[..], &["--facility", "TF-9", "--completion", completion]].concat(),
        )));
    }
    // The SSC determines the follow-up.
    ok(go(cmd(
        "determine",
        &ssc,
        &[
            &on[..],
            &[
                "--facility",
                "TF-9",
                "--decision",
                "14",
                "--next",
                "USSA",
                "--due",
                "2028-03-31",
            ],
        ]
        .concat(),
    )));
    let o = ok(run(
        &[
            "status",
            s(&l),
            "--facility",
            "TF-9",
            "--as-of",
            "2027-12-01",
        ],
        b"",
    ));
    assert!(
        o.stdout.contains("FUSA approved-with-steps")
            && o.stdout.contains("next      USSA due 2028-03-31")
            && o.stdout.contains("acknowledged (accepted, entry 16)")
            && o.stdout
                .contains("CPA certificate CPA-DEMO-UC004-0091 expires 2028-01-31"),
        "{}",
        o.stdout
    );
    let o = ok(run(
        &[
            "status",
            s(&l),
            "--facility",
            "TF-9",
            "--as-of",
            "2028-04-01",
            "--json",
        ],
        b"",
    ));
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let f = &v["facilities"][0];
    assert_eq!(f["framework"], "2027.1");
    assert_eq!(f["coverage"].as_array().unwrap().len(), 17);
    let g37 = f["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["obligation"] == "G3.7")
        .unwrap();
    assert_eq!(
        (&g37["finding"], &g37["step"]),
        (&"not-met".into(), &"S1".into())
    );
    let g320 = &f["coverage"].as_array().unwrap()[7];
    assert_eq!(g320["obligation"], "G3.20");
    assert_eq!(g320["evidence"][0], 10);
    let kinds: Vec<&str> = f["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["assessment-overdue", "cpa-expired"], "{}", o.stdout);
    let o = run(&["status", s(&l), "--as-of", "2027-02-30"], b"");
    assert_eq!(o.code, 2, "{}", o.stderr);
    // Wrong role: the operator cannot decide. Exit 1, rule named, nothing appended.
    let o = go(cmd(
        "decide",
        &op,
        &[
            &on[..],
            &[
                "--facility",
                "TF-9",
                "--assessment",
                "FUSA",
                "--outcome",
                "approved",
                "--report",
                s(&report),
            ],
        ]
        .concat(),
    ));
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("rule role"), "{}", o.stderr);
    let o = run(&["log", "checkpoint", s(&l)], b"");
    assert!(o.stdout.contains("\n28\n"), "{}", o.stdout);
    // Mismatched key and certificate; malformed references.
    let o = run(
        &[
            "register",
            "--key",
            s(&opk),
            "--cert",
            s(&cioc),
            "--out",
            s(&env.root.join("x.cose")),
            "--facility",
            "X",
            "--name",
            "n",
            "--site",
            "s",
        ],
        b"",
    );
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("does not certify"), "{}", o.stderr);
    let o = run(
        &[
            "countersign",
            "--key",
            s(&ciok),
            "--cert",
            s(&cioc),
            "--out",
            s(&env.root.join("y.cose")),
            "--facility",
            "TF-9",
            "--seal",
            "1",
        ],
        b"",
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("needs --ledger or --refs"),
        "{}",
        o.stderr
    );
    let o = run(&["submit", s(&l), s(&report)], b"");
    assert_eq!(o.code, 2, "{}", o.stderr);
    // Malformed hand-written input names the problem (exit 2).
    let bad_fw = write(&env, "fw.json", br#"{"version": "x", "title": "t", "obligations": [{"id": "G1", "title": "t", "applies": false}]}"#);
    let o = go(cmd(
        "publish-framework",
        &ssc,
        &[&[s(&bad_fw)], &on[..]].concat(),
    ));
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("G1 does not apply: give the reason"),
        "{}",
        o.stderr
    );
    let o = go(cmd(
        "decide",
        &cio,
        &[
            &on[..],
            &[
                "--facility",
                "TF-9",
                "--assessment",
                "FUSA",
                "--outcome",
                "approved",
                "--report",
                s(&report),
                "--finding",
                "G3.7|perhaps|x",
            ],
        ]
        .concat(),
    ));
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("--finding \"G3.7|perhaps|x\""),
        "{}",
        o.stderr
    );
    // A ledger with a trust root takes statements only through the policy.
    let o = run(&["log", "append", s(&l), s(&dec)], b"");
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("bypass") && o.stderr.contains("hint: use: triage-ledger submit"),
        "{}",
        o.stderr
    );
    // Names cannot hold control characters (they would forge lines of the
    // text status); JSON stays JSON whatever else they hold.
    let reg = |name: &str| {
        run(
            &[
                "register",
                "--key",
                s(&opk),
                "--cert",
                s(&opc),
                "--ledger",
                s(&l),
                "--facility",
                "TF-\"q\"",
                "--name",
                name,
                "--site",
                "s",
            ],
            b"",
        )
    };
    let o = reg("tab\there\u{7f}");
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("control character U+0009"),
        "{}",
        o.stderr
    );
    ok(reg("quote \" backslash \\ naïve"));
    let o = ok(run(&["status", s(&l), "--json"], b""));
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let names: Vec<(&str, &str)> = v["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["name"].as_str().unwrap()))
        .collect();
    assert!(
        names.contains(&("TF-\"q\"", "quote \" backslash \\ naïve")),
        "{}",
        o.stdout
    );
}

#[test]
fn an_administrator_creates_keys_and_certificates() {
    let env = setup(0);
    let p = |n: &str| env.root.join(n);
    for name in ["root", "op"] {
        let o = run(&["keys", "new", "--out", s(&p(name))], b"");
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    let o = run(&["keys", "new", "--out", s(&p("op"))], b"");
    assert_eq!(o.code, 2, "keys new must not overwrite");
    let o = run(
        &[
            "cert",
            "root",
            "--key",
            s(&p("root.key")),
            "--name",
            "Scheme Root",
            "--org",
            "Scheme",
            "--valid-from",
            "2026-01-01",
            "--out",
            s(&p("root.pem")),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("ca:          yes"));
    let o = run(
        &[
            "cert",
            "issue",
            "--root-cert",
            s(&p("root.pem")),
            "--root-key",
            s(&p("root.key")),
            "--key",
            s(&p("op.pub")),
            "--role",
            "operator",
            "--name",
            "Op",
            "--org",
            "Triage Ltd",
            "--party-id",
            "NTRGB-01234567",
            "--out",
            s(&p("op.pem")),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("roles:       operator"), "{}", o.stdout);
    assert!(
        o.stdout.contains("party:       NTRGB-01234567"),
        "{}",
        o.stdout
    );
    let o = run(&["cert", "show", s(&p("op.pem"))], b"");
    assert!(
        o.stdout.contains("organizationIdentifier=NTRGB-01234567"),
        "{}",
        o.stdout
    );
    // OpenSSL agrees (scripts/test installs it; a missing one fails).
    let out = Command::new("openssl")
        .args([
            "verify",
            "-x509_strict",
            "-CAfile",
            s(&p("root.pem")),
            s(&p("op.pem")),
        ])
        .output()
        .expect("openssl is not installed: run the tests with scripts/test, which installs it");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (args, needle) in [
        (
            vec![
                "cert",
                "issue",
                "--root-cert",
                s(&p("root.pem")),
                "--root-key",
                s(&p("op.key")),
                "--key",
                s(&p("op.pub")),
                "--role",
                "ssc",
                "--name",
                "x",
                "--org",
                "y",
                "--party-id",
                "Y-1",
                "--out",
                s(&p("x.pem")),
            ],
            "does not match",
        ),
        (
            vec![
                "cert",
                "issue",
                "--root-cert",
                s(&p("op.pem")),
                "--root-key",
                s(&p("op.key")),
                "--key",
                s(&p("op.pub")),
                "--role",
                "ssc",
                "--name",
                "x",
                "--org",
                "y",
                "--party-id",
                "Y-1",
                "--out",
                s(&p("x.pem")),
            ],
            "not a CA",
        ),
        (
            vec![
                "cert",
                "issue",
                "--root-cert",
                s(&p("root.pem")),
                "--root-key",
                s(&p("root.key")),
                "--key",
                s(&p("op.pub")),
                "--role",
                "ssc",
                "--name",
                "x",
                "--org",
                "y",
                "--party-id",
                "Example Ltd",
                "--out",
                s(&p("x.pem")),
            ],
            "party identifier",
        ),
        (
            vec![
                "cert",
                "root",
                "--key",
                s(&p("op.pub")),
                "--name",
                "x",
                "--org",
                "y",
                "--out",
                s(&p("y.pem")),
            ],
            "PKCS#8",
        ),
        (
            vec![
                "cert",
                "root",
                "--key",
                s(&p("root.key")),
                "--name",
                "x",
                "--org",
                "y",
                "--valid-from",
                "2026-13-01",
                "--out",
                s(&p("y.pem")),
            ],
            "--valid-from \"2026-13-01\": not a calendar date",
        ),
        (vec!["cert", "show", s(&p("op.key"))], "certificate"),
    ] {
        let o = run(&args, b"");
        assert_eq!(o.code, 2, "{args:?}");
        assert!(o.stderr.contains(needle), "wanted {needle:?}: {}", o.stderr);
    }
}

#[test]
fn witnesses_cosign_only_consistent_checkpoints_and_since_names_a_split() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("demo");
    assert_eq!(run(&["demo", s(&d)], b"").code, 0);
    let ledger = d.join("ledger");
    let trust = d.join("trust");
    let w = d.join("w3");
    let o = run(&["witness", "new", s(&w), "--name", "example.org/w3"], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let wvkey = o.stdout.trim().to_string();
    assert!(wvkey.starts_with("example.org/w3+"), "{wvkey}");
    let req = d.join("req");
    let sig = d.join("sig");
    let cosign = |old: &str| {
        let o = run(
            &[
                "witness",
                "request",
                s(&ledger),
                "--old",
                old,
                "--out",
                s(&req),
                "--force",
            ],
            b"",
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
        run(
            &[
                "witness",
                "cosign",
                s(&w),
                "--request",
                s(&req),
                "--out",
                s(&sig),
                "--force",
            ],
            b"",
        )
    };
    // 404 until the witness knows the log.
    let o = cosign("0");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("404 Not Found") && o.stderr.contains("add-log"),
        "{}",
        o.stderr
    );
    let o = run(
        &[
            "witness",
            "add-log",
            s(&w),
            "--vkey",
            s(&trust.join("log.vkey")),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // 409 names the size the witness wants.
    let o = cosign("5");
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("409 Conflict") && o.stderr.contains("--old 0"),
        "{}",
        o.stderr
    );
    // As the spec's 409 body: the size, one line.
    assert_eq!(std::fs::read_to_string(&sig).unwrap(), "0\n");
    let o = cosign("0");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(
        &[
            "witness",
            "attach",
            s(&ledger),
            "--witness",
            &wvkey,
            "--cosignature",
            s(&sig),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let cp = std::fs::read_to_string(ledger.join("log/checkpoint")).unwrap();
    assert!(cp.contains("\u{2014} example.org/w3 "), "{cp}");
    let o = cosign("0");
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("--old 60"), "{}", o.stderr);
    // A bad request is a usage error (exit 2).
    std::fs::write(&req, b"old x\n\n").unwrap();
    let o = run(
        &[
            "witness",
            "cosign",
            s(&w),
            "--request",
            s(&req),
            "--out",
            "-",
        ],
        b"",
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("400 Bad Request"), "{}", o.stderr);

    // A fork: a copy of the ledger (same log key) that takes another statement.
    let fork = d.join("fork");
    assert!(Command::new("cp")
        .args(["-a", s(&ledger), s(&fork)])
        .status()
        .unwrap()
        .success());
    let (opk, opc) = demo_identity(&d, "demo-operator");
    for (l, id) in [(&ledger, "TF-0100"), (&fork, "TF-0666")] {
        let o = run(
            &[
                "register",
                "--key",
                s(&opk),
                "--cert",
                s(&opc),
                "--ledger",
                s(l),
                "--facility",
                id,
                "--name",
                "N",
                "--site",
                "S",
            ],
            b"",
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    // The witness follows the honest log, and refuses the fork: same size, another root.
    let o = run(&["witness", "run", s(&w), "--ledger", s(&ledger)], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(&["witness", "run", s(&w), "--ledger", s(&fork)], b"");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("SPLIT VIEW"), "{}", o.stderr);
    // Packs: the fork's pack verifies on its own (no quorum needed with a
    // trust dir that has only root.pem and log.vkey)…
    let plain = d.join("plain-trust");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::copy(trust.join("root.pem"), plain.join("root.pem")).unwrap();
    std::fs::copy(trust.join("log.vkey"), plain.join("log.vkey")).unwrap();
    std::fs::copy(trust.join("labels.vrf"), plain.join("labels.vrf")).unwrap();
    let fork_pack = d.join("fork.pack");
    let o = run(
        &[
            "pack",
            s(&fork),
            "--facility",
            "TF-0666",
            "--out",
            s(&fork_pack),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(&["verify", s(&fork_pack), "--trust", s(&plain)], b"");
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    // …but with the policy's witness quorum it fails: no witness cosigned the fork.
    let o = run(&["verify", s(&fork_pack), "--trust", s(&trust)], b"");
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(o.stdout.contains("FAILED: witness quorum"), "{}", o.stdout);
    // And the honest log's pack --since the fork's names the split.
    let new_pack = d.join("new.pack");
    let o = run(
        &[
            "pack",
            s(&ledger),
            "--facility",
            "TF-0001",
            "--since",
            s(&fork_pack),
            "--out",
            s(&new_pack),
        ],
        b"",
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("SPLIT VIEW"), "{}", o.stderr);
    let o = run(
        &[
            "verify",
            s(&new_pack),
            "--trust",
            s(&plain),
            "--since",
            s(&fork_pack),
        ],
        b"",
    );
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(
        o.stdout.contains("FAILED: since: consistency: SPLIT VIEW"),
        "{}",
        o.stdout
    );
    // A checkpoint kept from before works as OLD too; the same log, no split.
    let kept = d.join("kept-checkpoint");
    std::fs::copy(fork.join("log/checkpoint"), &kept).unwrap();
    let o = run(
        &[
            "verify",
            s(&fork_pack),
            "--trust",
            s(&plain),
            "--since",
            s(&kept),
            "--json",
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(
        o.stdout
            .contains("\"name\": \"since: consistency\", \"passed\": true"),
        "{}",
        o.stdout
    );
}

#[test]
fn a_bundle_is_sealed_checked_and_disclosed_from_the_command_line() {
    let env = setup(0);
    let r = &env.root;
    let ev = r.join("ev");
    for (rel, data) in [
        ("tool-inventory/inventory.csv", "tool,firmware\nT1,abc\n"),
        ("reset-logs/2027-03-01.log", "reset ok\n"),
        ("reset-logs/2027-03-02.log", "reset ok again\n"),
        ("report.md", "# report\n"),
    ] {
        std::fs::create_dir_all(ev.join(rel).parent().unwrap()).unwrap();
        std::fs::write(ev.join(rel), data).unwrap();
    }
    let (k, c) = demo_identity(r, "demo-operator");
    let (m, seal) = (r.join("ev.manifest"), r.join("seal.cose"));
    let o = run(
        &[
            "seal",
            s(&ev),
            "--facility",
            "TF-1",
            "--key",
            s(&k),
            "--cert",
            s(&c),
            "--manifest",
            s(&m),
            "--out",
            s(&seal),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // stdout: results only; no progress line when stderr is not a terminal.
    assert_eq!(o.stdout.trim(), s(&seal));
    assert!(!o.stderr.contains('\r'), "{:?}", o.stderr);
    let check = || {
        run(
            &[
                "verify-bundle",
                s(&ev),
                "--seal",
                s(&seal),
                "--manifest",
                s(&m),
            ],
            b"",
        )
    };
    let o = check();
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("VERIFIED") && o.stdout.contains("4 files"),
        "{}",
        o.stdout
    );
    // Disclose two files; check them with and without their contents.
    let d = r.join("two.disclosure");
    let o = run(
        &[
            "disclose",
            "--manifest",
            s(&m),
            "--paths",
            "report.md",
            "reset-logs/2027-03-02.log",
            "--out",
            s(&d),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(&["verify-disclosure", s(&d), "--seal", s(&seal)], b"");
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("not checked: the files' contents"),
        "{}",
        o.stdout
    );
    assert!(
        !o.stdout.contains("inventory"),
        "an undisclosed name: {}",
        o.stdout
    );
    let o = run(
        &[
            "verify-disclosure",
            s(&d),
            "--seal",
            s(&seal),
            "--files",
            s(&ev),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    // Damage: a changed, a missing and an extra file, each named; exit 1.
    std::fs::write(ev.join("report.md"), "# report, edited\n").unwrap();
    std::fs::remove_file(ev.join("reset-logs/2027-03-01.log")).unwrap();
    std::fs::write(ev.join("extra.txt"), "x").unwrap();
    let o = check();
    assert_eq!(o.code, 1, "{}", o.stdout);
    for want in [
        "missing: reset-logs/2027-03-01.log",
        "changed: report.md",
        "extra:   extra.txt",
    ] {
        assert!(o.stdout.contains(want), "{want}: {}", o.stdout);
    }
    let o = run(
        &[
            "verify-disclosure",
            s(&d),
            "--seal",
            s(&seal),
            "--files",
            s(&ev),
        ],
        b"",
    );
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(o.stdout.contains("changed: report.md"), "{}", o.stdout);
    // A damaged disclosure fails (1) or cannot be read (2), never passes.
    let bytes = std::fs::read(&d).unwrap();
    for pos in (0..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[pos] ^= 1;
        let bad = r.join("bad.disclosure");
        std::fs::write(&bad, &b).unwrap();
        let o = run(&["verify-disclosure", s(&bad), "--seal", s(&seal)], b"");
        assert!(o.code == 1 || o.code == 2, "byte {pos}: {}", o.stdout);
    }
    // A statement that is not a seal, and a manifest that is not the sealed one.
    let reg = r.join("reg.cose");
    let o = run(
        &[
            "register",
            "--key",
            s(&k),
            "--cert",
            s(&c),
            "--out",
            s(&reg),
            "--facility",
            "TF-1",
            "--name",
            "N",
            "--site",
            "S",
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(
        &[
            "verify-bundle",
            s(&ev),
            "--seal",
            s(&reg),
            "--manifest",
            s(&m),
        ],
        b"",
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("not a seal"), "{}", o.stderr);
    // Sealing again never overwrites the manifest.
    let o = run(
        &[
            "seal",
            s(&ev),
            "--facility",
            "TF-1",
            "--key",
            s(&k),
            "--cert",
            s(&c),
            "--manifest",
            s(&m),
            "--out",
            s(&r.join("again.cose")),
        ],
        b"",
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("--manifest")
            && o.stderr
                .contains("the file exists, and it was not replaced")
            && o.stderr.contains("hint: give --force"),
        "{}",
        o.stderr
    );
}

/// A log holding the demo's statements whose commit entry attributes
/// TF-0001's FUSA decision to TF-0002: `monitor` exits 1 and writes a proof
/// that `verify` accepts (exit 0, PROVEN); the honest demo log passes.
fn monitor_catches_a_lying_copy_of(demo: &Path) {
    use triage_ledger::history::{attribution_of, is_index_entry, Attribution, History};
    let honest = demo.join("ledger");
    let state = demo.join("mon.state");
    let o = run(
        &[
            "monitor",
            s(&honest),
            "--state",
            s(&state),
            "--trust",
            s(&demo.join("trust")),
            "--facility",
            "TF-0001",
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("30 commits recomputed"), "{}", o.stdout);
    assert!(
        o.stdout.contains("facility TF-0001: entry 22: decision by"),
        "{}",
        o.stdout
    );
    let o = run(
        &["monitor", s(&honest), "--state", s(&state), "--json"],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!((v["from"].as_u64(), v["to"].as_u64()), (Some(60), Some(60)));
    assert!(v["misbehaviour"].is_null());

    let l = triage_ledger::store::Snapshot::open(&honest).unwrap();
    let lying = demo.join("lying");
    triage_ledger::store::init(&lying, "demo.triage-ledger.example/lying").unwrap();
    let mut w = triage_ledger::store::Writer::open(&lying).unwrap();
    let mut h = History::new();
    for i in 0..60 {
        let b = l.read_entry(i).unwrap();
        if is_index_entry(&b) {
            continue;
        }
        let mut a = attribution_of(&b);
        let pos = h.len();
        if pos == 11 {
            assert_eq!(a, Attribution::Facility("TF-0001".into()));
            a = Attribution::Facility("TF-0002".into());
        }
        assert_eq!(w.append(&b).unwrap(), pos);
        h.push_statement(pos, a);
    }
    w.append(&h.next_entry(true).unwrap().1).unwrap();
    w.commit().unwrap();
    let proof = demo.join("lie.cbor");
    // Expecting the honest log's key, the copy is refused outright.
    let o = run(
        &[
            "monitor",
            s(&lying),
            "--vkey",
            s(&demo.join("trust/log.vkey")),
        ],
        b"",
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("trust policy"), "{}", o.stderr);
    let o = run(&["monitor", s(&lying), "--proof-out", s(&proof)], b"");
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("MISBEHAVIOUR: index entry 30 says entry 11 is a statement of facility \"TF-0002\"; it is a statement of facility \"TF-0001\""),
        "{}",
        o.stderr
    );
    let trust = demo.join("lying-trust");
    std::fs::create_dir_all(&trust).unwrap();
    std::fs::copy(demo.join("trust/root.pem"), trust.join("root.pem")).unwrap();
    std::fs::copy(lying.join("vkey"), trust.join("log.vkey")).unwrap();
    let o = run(&["verify", s(&proof), "--trust", s(&trust)], b"");
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("ok:     misbehaviour: PROVEN"),
        "{}",
        o.stdout
    );
    // Against the honest log's key, the proof proves nothing (exit 1).
    let o = run(
        &["verify", s(&proof), "--trust", s(&demo.join("trust"))],
        b"",
    );
    assert_eq!(o.code, 1, "{}", o.stdout);
}

/// Issue 14, item 5: a string from an input (here a file name in a bundle,
/// and a path on the command line) never reaches the terminal with its
/// control characters: an escape sequence that would clear the screen and
/// draw a "VERIFIED" line is shown as `\u001b…`.
#[test]
fn control_characters_from_inputs_are_shown_not_sent_to_the_terminal() {
    let env = setup(0);
    let r = &env.root;
    let ev = r.join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    let evil = "x\u{1b}[2J\u{1b}[HVERIFIED: all checks passed";
    std::fs::write(ev.join(evil), "one\n").unwrap();
    std::fs::write(ev.join("b.txt"), "two\n").unwrap();
    let (k, c) = demo_identity(r, "demo-operator");
    let (m, seal) = (r.join("ev.manifest"), r.join("seal.cose"));
    let o = run(
        &[
            "seal",
            s(&ev),
            "--facility",
            "TF-1",
            "--key",
            s(&k),
            "--cert",
            s(&c),
            "--manifest",
            s(&m),
            "--out",
            s(&seal),
        ],
        b"",
    );
    let mut outputs = vec![o.stdout.clone() + &o.stderr];
    if o.code == 0 {
        std::fs::write(ev.join(evil), "changed\n").unwrap();
        let o = run(
            &[
                "verify-bundle",
                s(&ev),
                "--seal",
                s(&seal),
                "--manifest",
                s(&m),
            ],
            b"",
        );
        assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
        outputs.push(o.stdout + &o.stderr);
        let o = run(&["inspect", s(&m)], b"");
        outputs.push(o.stdout + &o.stderr);
    }
    let o = run(&["inspect", &format!("{}/{evil}.pack", s(r))], b"");
    assert_eq!(o.code, 2);
    outputs.push(o.stdout + &o.stderr);
    for out in &outputs {
        assert!(
            !out.contains('\u{1b}'),
            "a raw escape reached the output: {out:?}"
        );
    }
    assert!(
        outputs
            .iter()
            .all(|o| o.contains("x\\u001b[2J\\u001b[HVERIFIED")),
        "{outputs:?}"
    );
}

/// `man --out DIR` writes a page per command; again, it replaces nothing
/// without --force (exit 2, no page written), and with it replaces them all.
#[test]
fn manual_pages_are_not_replaced_without_force() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("man1");
    let o = run(&["man", "--out", s(&dir)], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let top = dir.join("triage-ledger.1");
    let verify = dir.join("triage-ledger-verify.1");
    assert!(std::fs::read_to_string(&top)
        .unwrap()
        .contains(".TH triage-ledger"));
    assert!(verify.is_file());
    let pages = std::fs::read_dir(&dir).unwrap().count();
    assert!(pages > 40, "{pages} pages");
    assert!(
        o.stderr.contains(&format!("wrote {pages} manual pages")),
        "{}",
        o.stderr
    );
    std::fs::write(&top, b"edited").unwrap();
    std::fs::remove_file(&verify).unwrap();
    let o = run(&["man", "--out", s(&dir)], b"");
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("the file exists, and no page was written")
            && o.stderr.contains("hint: give --force"),
        "{}",
        o.stderr
    );
    assert_eq!(std::fs::read(&top).unwrap(), b"edited");
    assert!(!verify.exists(), "a page was written before the refusal");
    let o = run(&["man", "--out", s(&dir), "--force"], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(std::fs::read_to_string(&top)
        .unwrap()
        .contains(".TH triage-ledger"));
    assert!(verify.is_file());
    assert_eq!(run(&["man", "--force"], b"").code, 2);
}

/// A pack whose committed index was stripped cannot prove completeness:
/// `verify` fails and the hint names `--partial` (matched on the finding's
/// code, not its text); with it, the verdict's first words say PARTIAL.
#[test]
fn a_pack_without_its_index_fails_with_a_hint_and_verifies_as_partial() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("demo");
    let o = run(&["demo", s(&d)], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let bytes = std::fs::read(d.join("packs/TF-0001.pack")).unwrap();
    let mut pack = triage_ledger::verify::Pack::parse(&bytes).unwrap();
    assert!(pack.history.is_some());
    pack.history = None;
    let stripped = dir.path().join("stripped.pack");
    std::fs::write(&stripped, pack.to_bytes().unwrap()).unwrap();
    let trust = d.join("trust");
    let o = run(&["verify", s(&stripped), "--trust", s(&trust)], b"");
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("hint: give --partial"), "{}", o.stderr);
    let o = run(
        &["verify", s(&stripped), "--trust", s(&trust), "--partial"],
        b"",
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.lines().any(|l| l.starts_with("VERIFIED, PARTIAL")),
        "{}",
        o.stdout
    );
    // The complete pack needs no hint.
    let o = run(
        &[
            "verify",
            s(&d.join("packs/TF-0001.pack")),
            "--trust",
            s(&trust),
        ],
        b"",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stderr.contains("hint:"), "{}", o.stderr);
}

/// A trust directory whose `labels.vrf` names a log its policy does not
/// list is refused by name: the VRF key must be the trusted log's.
#[test]
fn a_labels_key_of_a_log_the_trust_policy_does_not_list_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("demo");
    let o = run(&["demo", s(&d)], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let pack = std::fs::read_dir(d.join("packs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "pack"))
        .unwrap();
    let o = run(&["verify", s(&pack), "--trust", s(&d.join("trust"))], b"");
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let text = std::fs::read_to_string(d.join("trust/labels.vrf")).unwrap();
    let (_, key) = text.trim().split_once(' ').unwrap();
    std::fs::write(
        d.join("trust/labels.vrf"),
        format!("another.example/log {key}\n"),
    )
    .unwrap();
    let o = run(&["verify", s(&pack), "--trust", s(&d.join("trust"))], b"");
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("labels.vrf"), "{}", o.stderr);
    assert!(
        o.stderr.contains(
            "is the VRF key of log another.example/log, which the trust policy does not list"
        ),
        "{}",
        o.stderr
    );
}
