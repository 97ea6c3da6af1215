//! Trusted time (issue 26, FORMATS §29), against OpenSSL's own TSA
//! (`scripts/openssl-tsa`: `openssl ts -reply` on loopback) and checked by
//! an independent verifier (`openssl ts -verify`): `log timestamp`, `witness
//! run --tsa`, `serve --tsa`, packs carrying the tokens, and `verify`
//! judging certificates at the TSA's time.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::http::{identity, run, s, sign};

/// OpenSSL's TSA behind RFC 3161's HTTP transport, killed when dropped.
pub(crate) struct Tsa {
    child: Child,
    pub(crate) url: String,
    pub(crate) dir: PathBuf,
}

impl Tsa {
    pub(crate) fn start(dir: &Path) -> Tsa {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/openssl-tsa");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs scripts/openssl-tsa (scripts/test installs python3 and openssl)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("scripts/openssl-tsa said {line:?}"))
            .to_string();
        Tsa {
            child,
            url,
            dir: dir.to_path_buf(),
        }
    }
}

impl Drop for Tsa {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A public ledger under the demo root, and a trust directory for it that
/// trusts the TSA.
fn setup(d: &Path, tsa: &Tsa) -> (PathBuf, PathBuf) {
    let l = d.join("ledger");
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys");
    let (code, _, err) = run(
        &[
            "init",
            s(&l),
            "--origin",
            "example.org/stamped",
            "--trust-root",
            s(&keys.join("demo-root.pem")),
            "--records",
            "public",
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let t = d.join("trust");
    std::fs::create_dir_all(t.join("tsa")).unwrap();
    std::fs::copy(keys.join("demo-root.pem"), t.join("root.pem")).unwrap();
    std::fs::copy(l.join("vkey"), t.join("log.vkey")).unwrap();
    std::fs::copy(tsa.dir.join("ca.pem"), t.join("tsa/openssl-test.pem")).unwrap();
    (l, t)
}

fn submit(ledger: &Path, st: &[u8]) {
    let f = ledger.with_extension(format!("st-{}", now_nanos()));
    std::fs::write(&f, st).unwrap();
    let (code, out, err) = run(&["submit", s(ledger), s(&f)], b"");
    assert_eq!(code, 0, "{out}{err}");
}

fn pack(d: &Path, ledger: &Path, name: &str) -> PathBuf {
    let p = d.join(name);
    let (code, _, err) = run(
        &["pack", s(ledger), "--facility", "TF-1", "--out", s(&p)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    p
}

fn verify(pack: &Path, trust: &Path) -> (i32, String, String) {
    run(&["verify", s(pack), "--trust", s(trust), "-v"], b"")
}

/// `openssl ts -verify` on a kept token: the checkpoint body it stamps,
/// rebuilt from the ledger (origin, size, root), checked by OpenSSL.
fn openssl_verifies(d: &Path, ledger: &Path, size: u64, tsa: &Tsa) -> String {
    let token = ledger.join(format!("log/timestamps/{size}"));
    // The body: the latest checkpoint's when it is of that size.
    let cp = std::fs::read_to_string(ledger.join("log/checkpoint")).unwrap();
    let body = cp.split_once("\n\n").unwrap().0.to_string() + "\n";
    assert!(body.lines().nth(1) == Some(&size.to_string()), "{body}");
    let data = d.join(format!("body-{size}"));
    std::fs::write(&data, &body).unwrap();
    let out = Command::new("openssl")
        .args([
            "ts",
            "-verify",
            "-token_in",
            "-in",
            s(&token),
            "-data",
            s(&data),
        ])
        .args(["-CAfile", s(&tsa.dir.join("ca.pem"))])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "openssl ts -verify: {text}");
    text
}

#[test]
fn a_stamped_pack_says_when_its_tree_existed_and_openssl_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tsa = Tsa::start(&d.join("tsa"));
    let (l, t) = setup(d, &tsa);
    let op = identity(d, "demo-operator");
    let reg = sign(
        d,
        "register",
        &op,
        &["--facility", "TF-1", "--name", "N", "--site", "S"],
    );
    submit(&l, &reg);
    let before = now();
    let (code, out, err) = run(
        &[
            "log",
            "timestamp",
            s(&l),
            "--tsa",
            &tsa.url,
            "--trust",
            s(&t),
        ],
        b"",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("tree size 2 existed by 20") && out.contains("according to TSA Test TSA"),
        "{out}"
    );
    // The kept token is OpenSSL's, and OpenSSL verifies it over the body.
    assert!(openssl_verifies(d, &l, 2, &tsa).contains("Verification: OK"));

    // A later statement is in no stamped tree yet.
    let ack = sign(
        d,
        "register",
        &op,
        &["--facility", "TF-2", "--name", "N2", "--site", "S"],
    );
    submit(&l, &ack);
    let p = pack(d, &l, "tf1.pack");
    let (code, out, err) = verify(&p, &t);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok:     timestamp (tree size 2): the log's tree of size 2 (entries 0 to 1) existed by 20"), "{out}");
    assert!(out.contains("according to TSA Test TSA"), "{out}");
    assert!(
        out.contains("statement 1 (entry 0): registration by")
            && out.contains(": trusted time: logged by 20"),
        "{out}"
    );
    // The TSA's time is now-ish: after we asked, at most a few seconds on.
    let line = out
        .lines()
        .find(|l| l.contains("trusted time: logged by"))
        .unwrap();
    let at = line.split("logged by ").nth(1).unwrap()[..20].to_string();
    let utc = triage_ledger::verify::utc;
    assert!(
        at >= utc(before) && at <= utc(now() + 5),
        "{at} vs {}",
        utc(before)
    );

    // Without TSA trust, the tokens count for nothing, and it says so.
    std::fs::remove_file(t.join("tsa/openssl-test.pem")).unwrap();
    let (code, out, _) = verify(&p, &t);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("RFC 3161 time-stamp(s): the trust policy names no TSA"),
        "{out}"
    );
    assert!(!out.contains("trusted time: logged by"), "{out}");

    // A TSA the trust does not name: the token fails, naming why.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/core/src/tsa/testdata/openssl-ca.pem"),
        t.join("tsa/other.pem"),
    )
    .unwrap();
    let (code, out, _) = verify(&p, &t);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED: timestamp (tree size 2): the TSA's certificate is not trusted"),
        "{out}"
    );

    // The scheme root ended this TSA's window before it stamped (its key
    // compromised, say): its token no longer counts.
    std::fs::remove_file(t.join("tsa/other.pem")).unwrap();
    std::fs::copy(tsa.dir.join("ca.pem"), t.join("tsa/openssl-test.pem")).unwrap();
    let lines = d.join("update.txt");
    std::fs::write(
        &lines,
        format!("tsa {} until 2026-01-01\n", s(&tsa.dir.join("ca.pem"))),
    )
    .unwrap();
    std::fs::create_dir_all(t.join("updates")).unwrap();
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys");
    let (code, out, err) = run(
        &[
            "cert",
            "sign-trust-update",
            "--root-cert",
            s(&keys.join("demo-root.pem")),
            "--root-key",
            s(&keys.join("demo-root.key")),
            "--serial",
            "1",
            "--in",
            s(&lines),
            "--out",
            s(&t.join("updates/0001")),
        ],
        b"",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("until 2026-01-01T00:00:00Z"), "{out}");
    let (code, out, _) = verify(&p, &t);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED: timestamp (tree size 2): TSA openssl-test stamped it at 20")
            && out.contains("outside the window it counts for: until 2026-01-01T00:00:00Z"),
        "{out}"
    );
}

#[test]
fn a_token_that_is_tampered_or_for_another_tree_fails() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tsa = Tsa::start(&d.join("tsa"));
    let (l, t) = setup(d, &tsa);
    let op = identity(d, "demo-operator");
    let reg = sign(
        d,
        "register",
        &op,
        &["--facility", "TF-1", "--name", "N", "--site", "S"],
    );
    submit(&l, &reg);
    let (code, out, err) = run(
        &[
            "log",
            "timestamp",
            s(&l),
            "--tsa",
            &tsa.url,
            "--trust",
            s(&t),
        ],
        b"",
    );
    assert_eq!(code, 0, "{out}{err}");
    let p = pack(d, &l, "tf1.pack");
    let mut pk = triage_ledger::verify::Pack::parse(&std::fs::read(&p).unwrap()).unwrap();
    assert_eq!(pk.timestamps.len(), 1);
    // The stamped body changed: the proof no longer leads to the pack's tree.
    let mut other = pk.clone();
    other.timestamps[0].checkpoint =
        b"example.org/stamped\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n".to_vec();
    let bad = d.join("bad.pack");
    std::fs::write(&bad, other.to_bytes().unwrap()).unwrap();
    let (code, out, _) = verify(&bad, &t);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED: timestamp (tree size 1): the proof from the stamped tree"),
        "{out}"
    );
    // A byte of the token's TSTInfo flipped: the signature fails.
    let tok = &mut pk.timestamps[0].token;
    let at = tok
        .windows(4)
        .position(|w| w == b"2026" || w == b"2027")
        .unwrap();
    tok[at + 3] ^= 1;
    std::fs::write(&bad, pk.to_bytes().unwrap()).unwrap();
    let (code, out, _) = verify(&bad, &t);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED: timestamp (tree size 2): the token's signature does not verify"),
        "{out}"
    );
    // A TSA that does not answer: named.
    let (code, _, err) = run(
        &[
            "log",
            "timestamp",
            s(&l),
            "--tsa",
            "http://127.0.0.1:9/",
            "--trust",
            s(&t),
        ],
        b"",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("could not connect to http://127.0.0.1:9/"),
        "{err}"
    );
    // No TSA anchor in the trust: refused before asking, naming the directory.
    let empty = d.join("empty-trust");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, _, err) = run(
        &[
            "log",
            "timestamp",
            s(&l),
            "--tsa",
            &tsa.url,
            "--trust",
            s(&empty),
        ],
        b"",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("holds no TSA certificate"), "{err}");
}

/// The operator's key under a certificate that expires `secs` from now.
fn short_lived(d: &Path, name: &str, valid_from: u64) -> (String, String) {
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys");
    let cert = d.join(format!("{name}.pem"));
    let from = valid_from.to_string();
    let (code, _, err) = run(
        &[
            "cert",
            "issue",
            "--root-cert",
            s(&keys.join("demo-root.pem")),
            "--root-key",
            s(&keys.join("demo-root.key")),
            "--key",
            s(&keys.join("demo-operator.pub")),
            "--role",
            "operator",
            "--name",
            "Short-lived operations",
            "--org",
            "Example Triage Ltd",
            "--party-id",
            "NTRGB-01234567",
            "--valid-from",
            &from,
            "--days",
            "1",
            "--out",
            s(&cert),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let (k, _) = identity(d, "demo-operator");
    (k, s(&cert).to_string())
}

#[test]
fn certificates_are_judged_at_the_tsa_time_not_the_signers_claim() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tsa = Tsa::start(&d.join("tsa"));
    let (l, t) = setup(d, &tsa);
    // A certificate that expires 12 s from now.
    let from = now() + 12 - 86_400;
    let soon = short_lived(d, "soon", from);
    let not_after = from + 86_400;
    let reg = sign(
        d,
        "register",
        &soon,
        &["--facility", "TF-1", "--name", "N", "--site", "S"],
    );
    submit(&l, &reg);
    let (code, out, err) = run(
        &["witness", "new", s(&d.join("w")), "--name", "w.example/1"],
        b"",
    );
    assert_eq!(code, 0, "{out}{err}");
    let vkey = std::fs::read_to_string(l.join("vkey")).unwrap();
    let (code, out, err) = run(
        &["witness", "add-log", s(&d.join("w")), "--vkey", vkey.trim()],
        b"",
    );
    assert_eq!(code, 0, "{out}{err}");
    // One witness round, with the TSA asked once.
    let (code, out, err) = run(
        &[
            "witness",
            "run",
            s(&d.join("w")),
            "--ledger",
            s(&l),
            "--tsa",
            &tsa.url,
            "--trust",
            s(&t),
        ],
        b"",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("tree size 2 existed by"), "{out}");
    assert!(err.contains("cosigned"), "{err}");
    assert!(
        now() < not_after,
        "the round took too long for this test's clock"
    );
    let p = pack(d, &l, "before-expiry.pack");
    // After the certificate expired, the pack still verifies: the TSA says
    // the statement was in the log before.
    while now() <= not_after + 1 {
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    let (code, out, err) = verify(&p, &t);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(": trusted time: logged by"), "{out}");
    assert!(out.contains("had not expired then"), "{out}");

    // Signed now, dated inside the old validity: the ledger takes it (the
    // certificate was valid at the iat it claims, within its max age), but
    // the TSA's time shows nothing was logged before the expiry.
    let late = sign(
        d,
        "register",
        &soon,
        &[
            "--facility",
            "TF-1-LATE",
            "--name",
            "N",
            "--site",
            "S",
            "--iat",
            &(not_after - 3600).to_string(),
        ],
    );
    submit(&l, &late);
    let (code, out, err) = run(
        &[
            "log",
            "timestamp",
            s(&l),
            "--tsa",
            &tsa.url,
            "--trust",
            s(&t),
        ],
        b"",
    );
    assert_eq!(code, 0, "{out}{err}");
    let p2 = d.join("late.pack");
    let (code, _, err) = run(
        &["pack", s(&l), "--facility", "TF-1-LATE", "--out", s(&p2)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = verify(&p2, &t);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("trusted time: the log's tree of size 4 holds it, and existed by")
            && out.contains(
                "after the certificate of O=Example Triage Ltd, CN=Short-lived operations"
            )
            && out.contains(
                "nothing in the pack shows that it was logged while the certificate was valid"
            ),
        "{out}"
    );
    let (_, json, _) = run(&["verify", s(&p2), "--trust", s(&t), "--json"], b"");
    assert!(json.contains("\"code\": \"time/after-expiry\""), "{json}");
    // Without the TSA's word, the same pack verifies on the signer's claim,
    // and the verifier says what it could not check.
    let bare = d.join("bare-trust");
    std::fs::create_dir_all(&bare).unwrap();
    std::fs::copy(t.join("root.pem"), bare.join("root.pem")).unwrap();
    std::fs::copy(t.join("log.vkey"), bare.join("log.vkey")).unwrap();
    let (code, out, _) = verify(&p2, &bare);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("the trust policy names no TSA"), "{out}");
}

#[test]
fn the_service_asks_the_tsa_once_per_round_and_its_packs_carry_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tsa = Tsa::start(&d.join("tsa"));
    let (l, t) = setup(d, &tsa);
    let served = crate::common::Served::start(
        &[
            "serve",
            s(&l),
            "--listen",
            "127.0.0.1:0",
            "--trust",
            s(&t),
            "--tsa",
            &tsa.url,
        ],
        &[],
    );
    let op = identity(d, "demo-operator");
    let reg = sign(
        d,
        "register",
        &op,
        &["--facility", "TF-1", "--name", "N", "--site", "S"],
    );
    let (status, _, body) = crate::http::post_cose(&served.url, &reg);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    // The round after the commit stamps its checkpoint (size 2: the
    // statement and the index entry).
    let kept = l.join("log/timestamps/2");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !kept.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(kept.exists(), "no token kept after the round");
    let (_, metrics) = crate::http::get(&format!("{}/metrics", served.url));
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(
        metrics.contains("triage_ledger_timestamp_rounds_total{result=\"stamped\"} 1"),
        "{metrics}"
    );
    // The token stamps the service's checkpoint; OpenSSL agrees.
    assert!(openssl_verifies(d, &l, 2, &tsa).contains("Verification: OK"));
    // A pack served over HTTP carries it and verifies with the TSA's word.
    let (status, pack) = crate::http::get(&format!("{}/facilities/TF-1/pack", served.url));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pack));
    let p = d.join("served.pack");
    std::fs::write(&p, &pack).unwrap();
    let (code, out, err) = verify(&p, &t);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(": trusted time: logged by"), "{out}");
}
