//! The HTTP services, really started on a loopback port and used through the
//! CLI client and a plain HTTP client (ureq).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The CLI, with a configuration directory of this test process's own
/// (the log keys `submit --url` pins stay there).
fn bin() -> Command {
    crate::common::bin()
}

pub(super) fn run(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    use std::io::Write;
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(super) fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A server process, stopped (SIGKILL) if the test ends without stopping it.
pub(super) struct Server {
    pub(super) child: Child,
    pub(super) url: String,
    /// What it wrote to stderr so far (its logs).
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    pub(super) fn start(args: &[&str]) -> Server {
        Server::start_env(args, &[])
    }

    pub(super) fn start_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = bin()
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The first line that names the address (the demo prints its story
        // first).
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let url = loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).unwrap();
            assert!(n > 0, "the server stopped before listening");
            if let Some(u) = line.trim().strip_prefix("listening on ") {
                break u.to_string();
            }
        };
        // Keep draining its output so it never blocks on a full pipe; its
        // log lines (stderr) are kept for the tests to read.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let keep = log.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while err.read_line(&mut line).unwrap_or(0) > 0 {
                keep.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        Server { child, url, log }
    }

    /// Waits for the process (already signalled), then its exit code.
    pub(super) fn terminate_wait(mut self) -> Option<i32> {
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status.code()
    }

    /// SIGTERM, then the exit code.
    pub(super) fn terminate(mut self) -> Option<i32> {
        send_signal(self.child.id(), "TERM");
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status.code()
    }
}

pub(super) fn send_signal(pid: u32, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client that returns 4xx and 5xx answers instead of failing on them.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn post(url: &str, body: &[u8]) -> (u16, String) {
    let agent = agent();
    let mut r = agent.post(url).send(body).unwrap();
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().unwrap_or_default())
}

fn append(ledger: &Path, lines: &str) {
    let (code, _, err) = run(&["log", "append", s(ledger), "--lines"], lines.as_bytes());
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_witness_over_http_cosigns_consistent_checkpoints_and_refuses_a_fork() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    let w = dir.path().join("w");
    let (code, _, err) = run(&["init", s(&ledger), "--origin", "example.org/log"], b"");
    assert_eq!(code, 0, "{err}");
    append(&ledger, "a\nb\nc\n");
    // A raw log (no trust root) is not served: exit 2, before listening.
    let (code, _, err) = run(&["serve", s(&ledger), "--listen", "127.0.0.1:0"], b"");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("only a policy ledger is served"), "{err}");
    let (code, wkey, _) = run(&["witness", "new", s(&w), "--name", "example.org/w"], b"");
    assert_eq!(code, 0);
    let wkey_file = dir.path().join("w.vkey");
    std::fs::write(&wkey_file, &wkey).unwrap();
    let (code, _, err) = run(
        &[
            "witness",
            "add-log",
            s(&w),
            "--vkey",
            s(&ledger.join("vkey")),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let server = Server::start(&["witness", "serve", s(&w), "--listen", "127.0.0.1:0"]);
    let round = |l: &Path| {
        run(
            &[
                "witness",
                "run",
                "--url",
                &server.url,
                "--witness",
                s(&wkey_file),
                "--ledger",
                s(l),
            ],
            b"",
        )
    };
    // First round from size 0; the second follows the 409 to size 3.
    let (code, _, err) = round(&ledger);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("at size 3 (consistent with size 0)"), "{err}");
    let fork = dir.path().join("fork");
    let ok = Command::new("cp")
        .args(["-a", s(&ledger), s(&fork)])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    append(&ledger, "d\n");
    let (code, _, err) = round(&ledger);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("at size 4 (consistent with size 3)"), "{err}");
    let cp = std::fs::read_to_string(ledger.join("log/checkpoint")).unwrap();
    assert!(cp.contains("\u{2014} example.org/w "), "{cp}");
    // The fork: the same key, another fourth entry. Refused, exit 1.
    append(&fork, "x\n");
    let (code, _, err) = round(&fork);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("409"), "{err}");
    // Malformed, oversized, unknown: clear 4xx, and the server lives on.
    let add = format!("{}/add-checkpoint", server.url);
    let (status, body) = post(&add, b"old x\n\n");
    assert_eq!(status, 400, "{body}");
    let (status, _) = post(&add, &vec![b'a'; 200_000]);
    assert_eq!(status, 413);
    let (status, _) = post(&format!("{}/nothing", server.url), b"");
    assert_eq!(status, 404);
    let (status, body) = post(&add, b"");
    assert_eq!(status, 400, "{body}");
    // Still answering: the honest ledger again (nothing new: same size).
    let (code, _, err) = round(&ledger);
    assert_eq!(code, 0, "{err}");
    // A witness that is down is an I/O error (exit 2), with the URL.
    let url = server.url.clone();
    assert_eq!(server.terminate(), Some(0), "SIGTERM stops it cleanly");
    let (code, _, err) = run(
        &[
            "witness",
            "run",
            "--url",
            &url,
            "--witness",
            s(&wkey_file),
            "--ledger",
            s(&ledger),
        ],
        b"",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&url), "{err}");
}

/// A new ledger `d/ledger` whose trust root is the demo scheme's root;
/// returns it and the root certificate's path.
pub(super) fn policy_ledger(d: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let ledger = d.join("ledger");
    let root_pem = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem");
    let (code, _, err) = run(
        &[
            "init",
            s(&ledger),
            "--origin",
            "example.org/srv",
            "--trust-root",
            s(&root_pem),
            "--records",
            "public",
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    (ledger, root_pem)
}

/// A policy ledger `d/ledger`, a witness `d/w` (`example.org/w`) that
/// witnesses it, and a trust directory `d/trust` whose policy needs that
/// witness: (ledger, witness, trust).
fn witnessed_policy_ledger(
    d: &Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let (ledger, root_pem) = policy_ledger(d);
    let w = d.join("w");
    let (_, wkey, _) = run(&["witness", "new", s(&w), "--name", "example.org/w"], b"");
    let (code, _, err) = run(
        &[
            "witness",
            "add-log",
            s(&w),
            "--vkey",
            s(&ledger.join("vkey")),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let trust = d.join("trust");
    std::fs::create_dir_all(&trust).unwrap();
    std::fs::copy(&root_pem, trust.join("root.pem")).unwrap();
    let log = std::fs::read_to_string(ledger.join("vkey")).unwrap();
    std::fs::write(
        trust.join("policy"),
        format!("log {}\nwitness w {}\nquorum w\n", log.trim(), wkey.trim()),
    )
    .unwrap();
    (ledger, w, trust)
}

/// A demo identity copied with mode 0600.
pub(super) fn identity(dir: &Path, name: &str) -> (String, String) {
    use std::os::unix::fs::PermissionsExt;
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys");
    let (k, c) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pem")),
    );
    std::fs::copy(keys.join(format!("{name}.key")), &k).unwrap();
    std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::copy(keys.join(format!("{name}.pem")), &c).unwrap();
    (s(&k).to_string(), s(&c).to_string())
}

/// Signs a statement with a verb's `--out` form and returns its bytes.
pub(super) fn sign(dir: &Path, verb: &str, id: &(String, String), args: &[&str]) -> Vec<u8> {
    let out = dir.join(format!("st-{}.cose", args.join("-").replace('/', "_")));
    let mut all = vec![verb, "--key", &id.0, "--cert", &id.1, "--out", s(&out)];
    all.extend_from_slice(args);
    let (code, _, err) = run(&all, b"");
    assert_eq!(code, 0, "{verb}: {err}");
    std::fs::read(out).unwrap()
}

pub(super) fn post_cose(url: &str, body: &[u8]) -> (u16, Option<String>, Vec<u8>) {
    let agent = agent();
    let Ok(mut r) = agent
        .post(&format!("{url}/entries"))
        .header("Content-Type", "application/cose")
        .send(body)
    else {
        // Not answered (the server is gone): status 0.
        return (0, None, Vec::new());
    };
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let status = r.status().as_u16();
    (status, loc, r.body_mut().read_to_vec().unwrap_or_default())
}

pub(super) fn get(url: &str) -> (u16, Vec<u8>) {
    let agent = agent();
    let mut r = agent.get(url).call().unwrap();
    (r.status().as_u16(), r.body_mut().read_to_vec().unwrap())
}

#[test]
fn the_ledger_registers_over_http_in_groups_and_answers_only_what_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ledger, root_pem) = policy_ledger(d);
    let root = identity(d, "demo-root");
    let op = identity(d, "demo-operator");
    let server = Server::start(&["serve", s(&ledger), "--listen", "127.0.0.1:0"]);
    // The CLI client: a designation and a registration, then a refusal.
    let des = sign(
        d,
        "designate",
        &root,
        &["--role", "ssc", "--party", "SECGB-SSC-DEMO", "--note", "n"],
    );
    let reg = sign(
        d,
        "register",
        &op,
        &["--facility", "TF-1", "--name", "N", "--site", "S"],
    );
    std::fs::write(d.join("des.cose"), &des).unwrap();
    std::fs::write(d.join("reg.cose"), &reg).unwrap();
    let (code, out, err) = run(
        &[
            "submit",
            "--url",
            &server.url,
            s(&d.join("des.cose")),
            s(&d.join("reg.cose")),
            "--transparent",
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("des.cose: entry 0") && out.contains("reg.cose: entry 2"),
        "{out}"
    );
    // The transparent statement carries a receipt that verifies offline.
    let (code, out, err) = run(
        &[
            "inspect",
            s(&d.join("reg.cose.transparent")),
            "--vkey",
            s(&ledger.join("vkey")),
        ],
        b"",
    );
    assert_eq!(code, 0, "{out}{err}");
    // The operator cannot decide: 400, the rule named, nothing appended.
    let dec = sign(
        d,
        "decide",
        &op,
        &[
            "--facility",
            "TF-1",
            "--assessment",
            "FUSA",
            "--outcome",
            "approved",
            "--report",
            s(&root_pem),
        ],
    );
    let size = |url: &str| {
        let (_, cp) = get(&format!("{url}/checkpoint"));
        String::from_utf8(cp)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let before = size(&server.url);
    let (status, _, body) = post_cose(&server.url, &dec);
    assert_eq!(status, 400);
    let v: ciborium::Value = ciborium::from_reader(body.as_slice()).unwrap();
    let field = |name: &str| {
        v.as_map()
            .unwrap()
            .iter()
            .find(|(k, _)| k.as_text() == Some(name))
            .and_then(|(_, v)| v.as_text())
            .map(str::to_string)
    };
    // The rule, and the refusal's stable code.
    assert_eq!(field("rule").as_deref(), Some("role"), "{v:?}");
    assert_eq!(field("code").as_deref(), Some("role/wrong-role"), "{v:?}");
    assert_eq!(size(&server.url), before, "nothing appended");
    // 16 registrations at once (grouped as they arrive): all 201, each with
    // its own index.
    let regs: Vec<Vec<u8>> = (100..116)
        .map(|i| {
            sign(
                d,
                "register",
                &op,
                &[
                    "--facility",
                    &format!("TF-{i}"),
                    "--name",
                    "N",
                    "--site",
                    "S",
                ],
            )
        })
        .collect();
    let url = server.url.clone();
    let answers: Vec<(u16, Option<String>)> = std::thread::scope(|sc| {
        let hs: Vec<_> = regs
            .iter()
            .map(|r| {
                let url = url.clone();
                sc.spawn(move || {
                    let (st, loc, _) = post_cose(&url, r);
                    (st, loc)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut indexes: Vec<u64> = answers
        .iter()
        .map(|(st, loc)| {
            assert_eq!(*st, 201);
            loc.as_deref()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    indexes.sort();
    indexes.dedup();
    assert_eq!(indexes.len(), 16);
    // Receipts, statements and tiles are served; the tree audits clean.
    let (st, b) = get(&format!("{}/entries/{}/statement", server.url, indexes[0]));
    assert_eq!(st, 200);
    assert!(regs.contains(&b));
    // Asked for by Accept (RFC 9943's media type): the transparent
    // statement, whose receipt verifies with the log's key.
    let mut r = agent()
        .get(&format!("{}/entries/{}/statement", server.url, indexes[0]))
        .header(
            "Accept",
            "application/json, application/scitt-statement+cose",
        )
        .call()
        .unwrap();
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/scitt-statement+cose"
    );
    let ts = r.body_mut().read_to_vec().unwrap();
    let t = triage_ledger::cose::split_transparent(&ts).unwrap();
    let (logged, receipts) = (t.statement, t.receipts);
    assert_eq!(logged.bytes(), b.as_slice());
    let vkey = std::fs::read_to_string(ledger.join("vkey")).unwrap();
    let vkey = triage_ledger::note::VerifierKey::parse(vkey.trim()).unwrap();
    receipts[0].verify(logged.bytes(), &vkey).unwrap();
    assert_eq!(
        get(&format!("{}/entries/{}", server.url, indexes[0])).0,
        200
    );
    assert_eq!(get(&format!("{}/entries/99999", server.url)).0, 404);
    assert_eq!(
        get(&format!("{}/tile/0/..%2F..%2Fprivate", server.url)).0,
        404
    );
    let (st, json) = get(&format!("{}/facilities/TF-1", server.url));
    assert_eq!(st, 200);
    assert!(String::from_utf8_lossy(&json).contains("\"id\":\"TF-1\""));
    let (st, pack) = get(&format!("{}/facilities/TF-1/pack", server.url));
    assert_eq!(st, 200);
    std::fs::write(d.join("tf1.pack"), pack).unwrap();
    std::fs::create_dir_all(d.join("trust")).unwrap();
    std::fs::copy(&root_pem, d.join("trust/root.pem")).unwrap();
    std::fs::copy(ledger.join("vkey"), d.join("trust/log.vkey")).unwrap();
    let (code, out, _) = run(
        &[
            "verify",
            s(&d.join("tf1.pack")),
            "--trust",
            s(&d.join("trust")),
        ],
        b"",
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("complete:   every statement of facility TF-1"),
        "{out}"
    );
    // The CLI's --url forms print what the local forms print.
    let local = run(
        &["status", s(&ledger), "--json", "--as-of", "2027-01-01"],
        b"",
    );
    let remote = run(
        &["status", "--url", &url, "--json", "--as-of", "2027-01-01"],
        b"",
    );
    assert_eq!((remote.0, &remote.1), (0, &local.1), "{}", remote.2);
    let local = run(&["status", s(&ledger), "--facility", "TF-1"], b"");
    let remote = run(&["status", "--url", &url, "--facility", "TF-1"], b"");
    assert_eq!(remote.1, local.1);
    let (code, _, err) = run(&["status", "--url", &url, "--facility", "TF-404"], b"");
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(
        &[
            "pack",
            "--url",
            &url,
            "--facility",
            "TF-1",
            "--out",
            s(&d.join("r.pack")),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(
        &[
            "verify",
            s(&d.join("r.pack")),
            "--trust",
            s(&d.join("trust")),
        ],
        b"",
    );
    assert_eq!(code, 0, "{out}");
    let (st, conf) = get(&format!("{url}/.well-known/transparency-configuration"));
    assert_eq!(st, 200);
    let conf: ciborium::Value = ciborium::from_reader(conf.as_slice()).unwrap();
    assert!(format!("{conf:?}").contains("example.org/srv"));
    // Malformed statements are refused with 400, oversized ones with 413.
    assert_eq!(post_cose(&server.url, b"\xd2\x84").0, 400);
    assert_eq!(post_cose(&server.url, &vec![0u8; 70_000]).0, 413);
    // Metrics, in the Prometheus text format.
    let (st, m) = get(&format!("{url}/metrics"));
    assert_eq!(st, 200);
    let m = String::from_utf8(m).unwrap();
    let value = |name: &str| -> u64 {
        m.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in {m}"))
    };
    assert_eq!(
        value("triage_ledger_registrations_total{result=\"logged\"}"),
        18
    );
    assert_eq!(
        value("triage_ledger_registrations_total{result=\"refused\"}"),
        2
    );
    let groups = value("triage_ledger_commit_groups_total");
    assert!((1..=20).contains(&groups), "{m}");
    assert!(value("triage_ledger_tree_size") >= 18, "{m}");
    // SIGTERM while statements arrive: every one answered 201 is logged.
    let more: Vec<Vec<u8>> = (200..240)
        .map(|i| {
            sign(
                d,
                "register",
                &op,
                &[
                    "--facility",
                    &format!("TF-{i}"),
                    "--name",
                    "N",
                    "--site",
                    "S",
                ],
            )
        })
        .collect();
    let pid = server.child.id();
    let acknowledged: Vec<(Vec<u8>, u64)> = std::thread::scope(|sc| {
        let hs: Vec<_> = more
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let url = url.clone();
                sc.spawn(move || {
                    if k == 20 {
                        send_signal(pid, "TERM");
                    }
                    match post_cose(&url, r) {
                        (201, Some(loc), _) => {
                            Some((r.clone(), loc.rsplit('/').next().unwrap().parse().unwrap()))
                        }
                        _ => None,
                    }
                })
            })
            .collect();
        hs.into_iter().filter_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(server.terminate_wait(), Some(0));
    let (code, _, err) = run(&["log", "audit", s(&ledger)], b"");
    assert_eq!(code, 0, "{err}");
    let l = triage_ledger::store::Snapshot::open(&ledger).unwrap();
    for (bytes, index) in &acknowledged {
        assert_eq!(
            &l.read_entry(*index).unwrap(),
            bytes,
            "entry {index} answered 201"
        );
    }
}

#[test]
fn the_demo_can_serve_its_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    // The demo is confidential: over plain HTTP no reader can present a
    // certificate, so only the public tree is answered.
    let server = Server::start(&["demo", s(&demo), "--serve", "127.0.0.1:0"]);
    let (st, _) = get(&format!("{}/checkpoint", server.url));
    assert_eq!(st, 200);
    let (st, _) = get(&format!("{}/facilities/TF-0001", server.url));
    assert_eq!(st, 401);
    assert_eq!(server.terminate(), Some(0));
    // With its records public, it answers everything to anyone, as before.
    let demo = dir.path().join("public-demo");
    let server = Server::start(&[
        "demo",
        s(&demo),
        "--records",
        "public",
        "--serve",
        "127.0.0.1:0",
    ]);
    let (st, json) = get(&format!("{}/facilities/TF-0001", server.url));
    assert_eq!(st, 200);
    assert!(String::from_utf8_lossy(&json).contains("\"id\":\"TF-0001\""));
    let (st, receipt) = get(&format!("{}/entries/22", server.url));
    assert_eq!(st, 200);
    assert!(!receipt.is_empty());

    // The served tree, audited and monitored from afar: the same findings
    // as the local forms, and what could not be checked said so.
    let ledger = demo.join("ledger");
    let vkey = ledger.join("vkey");
    let (code, out, err) = run(
        &["log", "audit", "--url", &server.url, "--vkey", s(&vkey)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok: 60 entries in 1 bundles"), "{out}");
    assert!(out.contains("not checked: older partial tiles"), "{out}");
    let state = dir.path().join("mon");
    let (code, remote, err) = run(
        &[
            "monitor",
            "--url",
            &server.url,
            "--trust",
            s(&demo.join("trust")),
            "--state",
            s(&state),
            "--facility",
            "TF-0002",
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let (_, local, _) = run(&["monitor", s(&ledger), "--facility", "TF-0002"], b"");
    assert_eq!(remote, local);
    // Resumed with the key the state pinned; no key at all is refused.
    let (code, out, err) = run(
        &["monitor", "--url", &server.url, "--state", s(&state)],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nothing new since tree size 60"), "{out}");
    let (code, _, err) = run(&["monitor", "--url", &server.url], b"");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no log key"), "{err}");
    // Another log's key: refused by the signature (exit 1).
    let other = dir.path().join("other");
    let (_, other_vkey, _) = run(
        &[
            "init",
            s(&other),
            "--origin",
            "demo.triage-ledger.example/mp203",
        ],
        b"",
    );
    let (code, _, err) = run(
        &[
            "log",
            "audit",
            "--url",
            &server.url,
            "--vkey",
            other_vkey.trim(),
        ],
        b"",
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(server.terminate(), Some(0));

    // One entry changed under a running service (which refuses to start
    // on a damaged ledger): the remote audit names it, the remote monitor
    // refuses the tree.
    let server = Server::start(&["serve", s(&ledger), "--listen", "127.0.0.1:0"]);
    let bundle = ledger.join("log/tile/entries/000.p/60");
    let mut bytes = std::fs::read(&bundle).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&bundle, bytes).unwrap();
    let (code, _, err) = run(
        &["log", "audit", "--url", &server.url, "--vkey", s(&vkey)],
        b"",
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("does not hash to the leaf hash"), "{err}");
    assert!(err.contains("/tile/entries/000.p/60"), "{err}");
    let (code, _, err) = run(&["monitor", "--url", &server.url, "--vkey", s(&vkey)], b"");
    assert_eq!(code, 1, "{err}");
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn the_ledger_asks_its_witnesses_after_each_commit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ledger, w, trust) = witnessed_policy_ledger(d);
    let witness = Server::start(&["witness", "serve", s(&w), "--listen", "127.0.0.1:0"]);
    let server = Server::start(&[
        "serve",
        s(&ledger),
        "--listen",
        "127.0.0.1:0",
        "--trust",
        s(&trust),
        "--witness",
        &format!("w={}", witness.url),
    ]);
    let root = identity(d, "demo-root");
    let des = sign(
        d,
        "designate",
        &root,
        &["--role", "ssc", "--party", "SECGB-SSC-DEMO", "--note", "n"],
    );
    assert_eq!(post_cose(&server.url, &des).0, 201);
    // Answered once durable; the witness round follows (no witness stands
    // between a commit and its 201), and the checkpoint is published with
    // its cosignature when the round is over.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let cp = loop {
        let (_, cp) = get(&format!("{}/checkpoint", server.url));
        let cp = String::from_utf8(cp).unwrap();
        if cp.lines().nth(1) == Some("2") || std::time::Instant::now() > until {
            break cp;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(cp.lines().nth(1) == Some("2"), "{cp}");
    assert!(cp.contains("\u{2014} example.org/w "), "{cp}");
    let (code, _, err) = run(&["monitor", s(&ledger), "--trust", s(&trust)], b"");
    assert_eq!(code, 0, "the quorum is met: {err}");
    // An unknown witness name is refused at start.
    let (code, _, err) = run(
        &[
            "serve",
            s(&ledger),
            "--listen",
            "127.0.0.1:0",
            "--trust",
            s(&trust),
            "--witness",
            "nobody=http://127.0.0.1:1",
        ],
        b"",
    );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn the_openapi_description_matches_the_server_and_sigkill_loses_no_201() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ledger, _) = policy_ledger(d);
    let op = identity(d, "demo-operator");
    let regs: Vec<Vec<u8>> = (0..40)
        .map(|i| {
            sign(
                d,
                "register",
                &op,
                &[
                    "--facility",
                    &format!("TF-{i}"),
                    "--name",
                    "N",
                    "--site",
                    "S",
                ],
            )
        })
        .collect();
    let server = Server::start(&["serve", s(&ledger), "--listen", "127.0.0.1:0"]);
    let url = server.url.clone();
    assert_eq!(post_cose(&url, &regs[0]).0, 201);
    // Every documented route answers with a documented status.
    let spec: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json"))
            .unwrap(),
    )
    .unwrap();
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() >= 10);
    for (path, ops) in paths {
        let concrete = path
            .replace("{index}", "0")
            .replace("{id}", "TF-0")
            .replace("{path}", "entries/000.p/2")
            .replace("{n}", "0001")
            .replace("{operation}", "0123456789abcdef0123456789abcdef");
        for (method, op) in ops.as_object().unwrap() {
            let documented: Vec<u16> = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(|k| k.parse().unwrap())
                .collect();
            let status = match method.as_str() {
                "get" => get(&format!("{url}{concrete}")).0,
                "post" => post_cose(&url, &regs[0]).0,
                m => panic!("undocumented method {m}"),
            };
            assert!(
                documented.contains(&status),
                "{method} {path}: {status} is not among {documented:?}"
            );
        }
    }
    // SIGKILL while statements arrive: the ledger audits clean, and every
    // statement answered 201 is in it.
    let pid = server.child.id();
    let acknowledged: Vec<(Vec<u8>, u64)> = std::thread::scope(|sc| {
        let hs: Vec<_> = regs[1..]
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let url = url.clone();
                sc.spawn(move || {
                    if k == 15 {
                        send_signal(pid, "KILL");
                    }
                    match post_cose(&url, r) {
                        (201, Some(loc), _) => {
                            Some((r.clone(), loc.rsplit('/').next().unwrap().parse().unwrap()))
                        }
                        _ => None,
                    }
                })
            })
            .collect();
        hs.into_iter().filter_map(|h| h.join().unwrap()).collect()
    });
    let _ = server.terminate_wait();
    let (code, _, err) = run(&["log", "audit", s(&ledger)], b"");
    assert_eq!(code, 0, "{err}");
    let l = triage_ledger::store::Snapshot::open(&ledger).unwrap();
    for (bytes, index) in &acknowledged {
        assert_eq!(
            &l.read_entry(*index).unwrap(),
            bytes,
            "entry {index} answered 201"
        );
    }
    // And the ledger takes statements again.
    let again = Server::start(&["serve", s(&ledger), "--listen", "127.0.0.1:0"]);
    let (st, _, _) = post_cose(&again.url, &regs[39]);
    assert!(st == 201, "{st}");
}

/// The checkpoint is staged while the witnesses are asked: a witness that
/// holds the request (a stalled TCP peer, to observe the round) keeps the
/// new checkpoint unpublished until it answers or fails.
#[test]
fn the_checkpoint_is_published_only_after_the_witness_round() {
    use std::io::Read as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ledger, _w, trust) = witnessed_policy_ledger(d);
    let stalled = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = stalled.local_addr().unwrap();
    let (arrived_tx, arrived) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        for (n, conn) in stalled.incoming().enumerate() {
            let mut conn = conn.unwrap();
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            if n > 0 {
                arrived_tx.send(()).unwrap();
                let _ = release_rx.recv();
            }
            // Closing without an answer: the round counts a failure.
            drop(conn);
        }
    });
    let server = Server::start(&[
        "serve",
        s(&ledger),
        "--listen",
        "127.0.0.1:0",
        "--trust",
        s(&trust),
        "--witness",
        &format!("w=http://{addr}"),
    ]);
    let before = get(&format!("{}/checkpoint", server.url)).1;
    let root = identity(d, "demo-root");
    let des = sign(
        d,
        "designate",
        &root,
        &["--role", "ssc", "--party", "SECGB-SSC-DEMO", "--note", "n"],
    );
    let url = server.url.clone();
    let posting = std::thread::spawn(move || post_cose(&url, &des).0);
    arrived.recv().unwrap();
    // Committed (the tiles are on disk) but not yet published.
    let on_disk = std::fs::read(ledger.join("log/checkpoint")).unwrap();
    assert_ne!(on_disk, before, "the commit is written");
    assert_eq!(get(&format!("{}/checkpoint", server.url)).1, before);
    // Answered while the witness still stalls: durable is enough for 201.
    assert_eq!(posting.join().unwrap(), 201);
    assert_eq!(get(&format!("{}/checkpoint", server.url)).1, before);
    release.send(()).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let after = loop {
        let after = get(&format!("{}/checkpoint", server.url)).1;
        if after == on_disk || std::time::Instant::now() > deadline {
            break after;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(after, on_disk, "published once the round is over");
    let metrics = String::from_utf8(get(&format!("{}/metrics", server.url)).1).unwrap();
    assert!(
        metrics.contains("triage_ledger_witness_rounds_total{result=\"failed\"} 2"),
        "{metrics}"
    );
    // The structured log names the failed rounds, the commit and the
    // requests with their status.
    // A request's line is logged once its response is sent: wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let log = loop {
        let log = server.log.lock().unwrap().clone();
        if log.contains("status=201") || std::time::Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(log.contains("witness round failed"), "{log}");
    assert!(log.contains("commit") && log.contains("new=1"), "{log}");
    assert!(log.contains("status=201"), "{log}");
}

/// A self-signed TLS certificate for 127.0.0.1 and localhost (rcgen):
/// (certificate file, key file).
pub(super) fn tls_pair(dir: &Path, name: &str) -> (String, String) {
    let made =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.tls-key")),
    );
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (s(&cert).to_string(), s(&key).to_string())
}

pub(super) fn run_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = bin().args(args).envs(env.iter().copied()).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_ledger_and_its_witness_serve_https_with_rustls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ledger, w, trust) = witnessed_policy_ledger(d);
    let (cert, key) = tls_pair(d, "srv");
    let tls = ["--tls-cert", &cert, "--tls-key", &key];
    let trusted = [("TRIAGE_LEDGER_CA", cert.as_str())];
    let mut args = vec!["witness", "serve", s(&w), "--listen", "127.0.0.1:0"];
    args.extend(tls);
    let witness = Server::start(&args);
    assert!(
        witness.url.starts_with("https://127.0.0.1:"),
        "{}",
        witness.url
    );
    // The ledger asks its witness over HTTPS, trusting the same CA.
    let wurl = format!("w={}", witness.url);
    let mut args = vec![
        "serve",
        s(&ledger),
        "--listen",
        "127.0.0.1:0",
        "--trust",
        s(&trust),
        "--witness",
        &wurl,
    ];
    args.extend(tls);
    let server = Server::start_env(&args, &trusted);
    assert!(server.url.starts_with("https://"), "{}", server.url);

    // A client that never starts its handshake holds up no one.
    let silent = std::net::TcpStream::connect(server.url.trim_start_matches("https://")).unwrap();

    let root = identity(d, "demo-root");
    let des = sign(
        d,
        "designate",
        &root,
        &["--role", "ssc", "--party", "SECGB-SSC-DEMO", "--note", "n"],
    );
    let file = d.join("des.cose");
    std::fs::write(&file, &des).unwrap();
    let (code, out, err) = run_env(
        &["submit", "--url", &server.url, s(&file), "--transparent"],
        &trusted,
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, status, err) = run_env(&["status", "--url", &server.url, "--json"], &trusted);
    assert_eq!(code, 0, "{err}");
    let (_, local, _) = run(&["status", s(&ledger), "--json"], b"");
    assert_eq!(status, local, "the same answer as the local form");
    // The witness round over HTTPS follows the 201: cosigned.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let cp = loop {
        let cp = std::fs::read_to_string(ledger.join("log/checkpoint")).unwrap();
        if cp.contains("\u{2014} example.org/w ") || std::time::Instant::now() > deadline {
            break cp;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(cp.contains("\u{2014} example.org/w "), "{cp}");
    drop(silent);

    // Without the CA, the certificate is not trusted: an I/O error (exit
    // 2) that says so. A plain-HTTP client gets no answer either.
    let (code, _, err) = run(&["status", "--url", &server.url], b"");
    assert_eq!(code, 2, "{err}");
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    let plain = server.url.replace("https://", "http://");
    let (code, _, err) = run_env(&["status", "--url", &plain], &trusted);
    assert_eq!(code, 2, "{err}");
    // A CA file that holds no certificate is named.
    let (code, _, err) = run_env(
        &["status", "--url", &server.url],
        &[("TRIAGE_LEDGER_CA", key.as_str())],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("TRIAGE_LEDGER_CA="), "{err}");
    // The service lived through all that.
    let (code, _, err) = run_env(&["status", "--url", &server.url], &trusted);
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.terminate(), Some(0));

    // Refused at start, before listening: a key that is no key, the key of
    // another certificate.
    let (_, other_key) = tls_pair(d, "other");
    for (k, says) in [(cert.as_str(), "TLS key"), (other_key.as_str(), "TLS")] {
        let (code, _, err) = run(
            &[
                "witness",
                "serve",
                s(&w),
                "--listen",
                "127.0.0.1:0",
                "--tls-cert",
                &cert,
                "--tls-key",
                k,
            ],
            b"",
        );
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(says), "{err}");
    }
}

/// A self-signed certificate marked as a CA (what `openssl req -x509` makes
/// by default) for `names`: (certificate file, key file).
fn tls_ca_pair(dir: &Path, name: &str, names: &[&str]) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let (c, k) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.tls-key")),
    );
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (s(&c).to_string(), s(&k).to_string())
}

/// Every network error says what failed, where (the URL) and what to try,
/// in words: never a library's internals.
#[test]
fn network_errors_say_what_failed_where_and_what_to_try() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let internals = [
        "OtherError",
        "CaUsedAsEndEntity",
        "http: invalid format",
        "io: ",
        "os error",
        "rustls:",
    ];
    let fails = |args: &[&str], env: &[(&str, &str)], says: &[&str]| {
        let (code, out, err) = run_env(args, env);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        for s in says {
            assert!(err.contains(s), "{args:?}: {s:?} not in {err}");
        }
        for i in internals {
            assert!(!err.contains(i), "{args:?}: {i:?} in {err}");
        }
        err
    };
    let (ledger, _) = policy_ledger(d);
    let vkey_file = ledger.join("vkey");
    // Malformed URLs, whatever the command.
    for url in ["localhost:8090", "127.0.0.1:8090"] {
        let said = format!("error: not a valid URL: {url:?}");
        let expected = "expected http(s)://HOST:PORT";
        fails(&["status", "--url", url], &[], &[&said, expected, "hint: "]);
        fails(
            &["monitor", "--url", url, "--vkey", s(&vkey_file)],
            &[],
            &[expected],
        );
        fails(&["submit", "--url", url, "x.cose"], &[], &[expected]);
    }
    fails(
        &["status", "--url", "ftp://127.0.0.1:21"],
        &[],
        &["scheme \"ftp\" is not http or https"],
    );
    // Nothing listens there.
    let closed = format!("http://127.0.0.1:{}", crate::common::free_port());
    fails(
        &["status", "--url", &closed],
        &[],
        &[
            &format!("could not connect to {closed}/facilities: connection refused; is the service running?"),
            "hint: ",
        ],
    );
    let vkey = std::fs::read_to_string(&vkey_file).unwrap();
    fails(
        &["log", "audit", "--url", &closed, "--vkey", vkey.trim()],
        &[],
        &[
            &format!("could not connect to {closed}/checkpoint: connection refused"),
            "hint: ",
        ],
    );
    // A service whose certificate is a CA certificate.
    let (ca, ca_key) = tls_ca_pair(d, "ca", &["127.0.0.1", "localhost"]);
    let server = Server::start(&[
        "serve",
        s(&ledger),
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        &ca,
        "--tls-key",
        &ca_key,
    ]);
    let url = server.url.clone();
    fails(
        &["status", "--url", &url],
        &[("TRIAGE_LEDGER_CA", &ca)],
        &[
            &format!("error: {url}/facilities: the server's TLS certificate is a CA certificate"),
            "hint: give the server an end-entity certificate naming its host or IP",
        ],
    );
    // Plain HTTP to a TLS service.
    let plain = url.replace("https://", "http://");
    fails(&["status", "--url", &plain], &[], &[&plain, "hint: "]);
    drop(server);
    // A certificate for another name than the one asked.
    let (other, other_key) = tls_pair_for(d, "named", &["ledger.example.org"]);
    let server = Server::start(&[
        "serve",
        s(&ledger),
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        &other,
        "--tls-key",
        &other_key,
    ]);
    fails(
        &["status", "--url", &server.url],
        &[("TRIAGE_LEDGER_CA", &other)],
        &["the server's TLS certificate is not for \"127.0.0.1\" (it names ledger.example.org)"],
    );
    // Not trusted at all.
    fails(
        &["status", "--url", &server.url],
        &[],
        &[
            "the server's TLS certificate is not issued by a CA this client trusts (Mozilla's root CAs; TRIAGE_LEDGER_CA is not set)",
            "hint: if the service uses a private CA or a self-signed certificate, set TRIAGE_LEDGER_CA",
        ],
    );
    // TLS to a plain HTTP service.
    drop(server);
    let plain = Server::start(&["serve", s(&ledger), "--listen", "127.0.0.1:0"]);
    let tls_url = plain.url.replace("http://", "https://");
    fails(
        &["status", "--url", &tls_url],
        &[],
        &["the server did not answer in TLS; is it serving http:// rather than https://?"],
    );
}

/// A self-signed end-entity certificate for `names`.
fn tls_pair_for(dir: &Path, name: &str, names: &[&str]) -> (String, String) {
    let made =
        rcgen::generate_simple_self_signed(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.tls-key")),
    );
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (s(&cert).to_string(), s(&key).to_string())
}

/// A confidential ledger `d/ledger` (what `init --trust-root` makes by
/// default) named `origin`, admitting the demo scheme's statements:
/// (ledger, the scheme root's certificate file).
pub(super) fn confidential_ledger(
    d: &Path,
    origin: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let ledger = d.join("ledger");
    let root_pem = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem");
    let (code, _, err) = run(
        &[
            "init",
            s(&ledger),
            "--origin",
            origin,
            "--trust-root",
            s(&root_pem),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        ledger.join("labels.vrf").exists(),
        "confidential by default"
    );
    (ledger, root_pem)
}

/// A confidential ledger over HTTP: registration works and its receipt
/// verifies (it carries the salt); the public tree serves commitments that
/// name nothing; every route that would read a record answers 401 with one
/// body that names nothing, whatever the path.
#[test]
fn a_confidential_ledgers_service_serves_commitments_and_refuses_readers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ledger, _) = confidential_ledger(d, "example.org/secret");
    let root = identity(d, "demo-root");
    let op = identity(d, "demo-operator");
    // Plain HTTP only on loopback: elsewhere statements would cross the
    // network in clear.
    let (code, _, err) = run(&["serve", s(&ledger), "--listen", "0.0.0.0:0"], b"");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("serve it with --tls-cert and --tls-key"),
        "{err}"
    );
    let server = Server::start(&["serve", s(&ledger), "--listen", "127.0.0.1:0"]);
    let des = sign(
        d,
        "designate",
        &root,
        &["--role", "ssc", "--party", "SECGB-SSC-DEMO", "--note", "n"],
    );
    let reg = sign(
        d,
        "register",
        &op,
        &[
            "--facility",
            "TF-SECRET-7",
            "--name",
            "Bay 9",
            "--site",
            "Hidden Road",
        ],
    );
    std::fs::write(d.join("des.cose"), &des).unwrap();
    std::fs::write(d.join("reg.cose"), &reg).unwrap();
    // The client checks each receipt against its statement: with the salt.
    let (code, out, err) = run(
        &[
            "submit",
            "--url",
            &server.url,
            s(&d.join("des.cose")),
            s(&d.join("reg.cose")),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("reg.cose: entry 2") && out.contains("receipt verified"),
        "{out}"
    );
    // Public: the checkpoint and the entry bundle, which name nothing.
    let (status, cp) = get(&format!("{}/checkpoint", server.url));
    assert_eq!(status, 200);
    let size: u64 = String::from_utf8(cp)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let (status, bundle) = get(&format!("{}/tile/entries/000.p/{size}", server.url));
    assert_eq!(status, 200);
    for secret in [
        &b"TF-SECRET-7"[..],
        b"Hidden Road",
        b"Bay 9",
        b"NTRGB",
        b"SECGB",
        &reg[reg.len() - 64..],
    ] {
        assert!(
            !bundle.windows(secret.len()).any(|w| w == secret),
            "{} is in the public bundle",
            String::from_utf8_lossy(secret)
        );
    }
    // Not public: one 401, one body, for a path that exists or not.
    let agent = agent();
    let mut bodies = std::collections::BTreeSet::new();
    for path in [
        "/entries/2",
        "/entries/2/statement",
        "/facilities",
        "/facilities/TF-SECRET-7",
        "/facilities/TF-SECRET-7/pack",
        "/facilities/TF-NONE",
    ] {
        let mut r = agent.get(&format!("{}{path}", server.url)).call().unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path}");
        let body = r.body_mut().read_to_string().unwrap();
        assert!(!body.contains("TF-"), "{path}: {body}");
        bodies.insert(body);
    }
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    // The service's own log (its requests, commits) names no record: the
    // paths' facility ids are masked.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let log = loop {
        let log = server.log.lock().unwrap().clone();
        if log.contains("/facilities/*/pack") || std::time::Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(log.contains("/facilities/*/pack"), "{log}");
    for secret in ["TF-SECRET-7", "TF-NONE", "Bay 9", "Hidden Road", "SECGB"] {
        assert!(!log.contains(secret), "the log names {secret}:\n{log}");
    }
    assert_eq!(server.terminate(), Some(0));
}
