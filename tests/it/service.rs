//! The ledger service under attack (issue 23): slow and idle connections,
//! a witness that never settles, and packs that must verify. Real `serve`
//! and `witness serve` processes on loopback; the attackers are real
//! sockets, and the rogue witness a real HTTP server that misbehaves.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{bin, identity, run_env, s, sign};

/// A service process with its stderr kept; killed when dropped.
struct Service {
    child: Child,
    url: String,
    err: Arc<Mutex<String>>,
}

impl Service {
    fn start(args: &[&str]) -> Service {
        let mut child = bin()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = Arc::new(Mutex::new(String::new()));
        let keep = err.clone();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            let mut line = String::new();
            while stderr.read_line(&mut line).unwrap_or(0) > 0 {
                keep.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let url = loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).unwrap();
            assert!(n > 0, "stopped before listening: {}", err.lock().unwrap());
            if let Some(u) = line.trim().strip_prefix("listening on ") {
                break u.to_string();
            }
        };
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        Service { child, url, err }
    }

    fn addr(&self) -> SocketAddr {
        self.url.strip_prefix("http://").unwrap().parse().unwrap()
    }

    fn stderr(&self) -> String {
        self.err.lock().unwrap().clone()
    }

    /// Whether its stderr says `needle` within a few seconds.
    fn says(&self, needle: &str) -> bool {
        let until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < until {
            if self.stderr().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Resident memory (VmRSS) in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// SIGTERM; the exit code, or None if it had not exited after `limit`.
    fn terminate_within(mut self, limit: Duration) -> Option<i32> {
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(args: &[&str]) -> (i32, String, String) {
    run_env(args, &[])
}

/// A policy ledger, the demo root and operator identities, and a trust
/// directory naming a witness `w` (made here, not started).
struct World {
    _dir: tempfile::TempDir,
    d: PathBuf,
    ledger: PathBuf,
    trust: PathBuf,
    witness: PathBuf,
    root: (String, String),
    op: (String, String),
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let ledger = d.join("ledger");
    let root_pem = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem");
    let (code, _, err) = run(&[
        "init",
        s(&ledger),
        "--origin",
        "example.org/svc",
        "--trust-root",
        s(&root_pem),
        "--records",
        "public",
    ]);
    assert_eq!(code, 0, "{err}");
    let witness = d.join("w");
    let (code, wkey, err) = run(&["witness", "new", s(&witness), "--name", "example.org/w"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&[
        "witness",
        "add-log",
        s(&witness),
        "--vkey",
        s(&ledger.join("vkey")),
    ]);
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
    let root = identity(&d, "demo-root");
    let op = identity(&d, "demo-operator");
    World {
        _dir: dir,
        d,
        ledger,
        trust,
        witness,
        root,
        op,
    }
}

impl World {
    fn registration(&self, facility: &str) -> PathBuf {
        sign(
            &self.d,
            "register",
            &self.op,
            &["--facility", facility, "--name", "N", "--site", "S"],
        )
    }
}

/// POSTs a statement from 127.0.0.1; the status.
fn register(url: &str, statement: &Path) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let body = std::fs::read(statement).unwrap();
    match agent
        .post(&format!("{url}/entries"))
        .header("Content-Type", "application/cose")
        .send(&body[..])
    {
        Ok(r) => r.status().as_u16(),
        Err(e) => panic!("registration not answered: {e}"),
    }
}

fn get(url: &str) -> (u16, Vec<u8>, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut r = agent
        .get(url)
        .call()
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let basis = r
        .headers()
        .get("triage-ledger-pack-basis")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (
        r.status().as_u16(),
        r.body_mut().read_to_vec().unwrap(),
        basis,
    )
}

/// A connection to `server` from the loopback address `from` (127.0.0.N).
fn connect_from(from: &str, server: SocketAddr) -> std::io::Result<TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(format!("{from}:0").parse().unwrap())?;
        socket.connect(server).await?.into_std()
    })
    .and_then(|s| {
        s.set_nonblocking(false)?;
        Ok(s)
    })
}

/// True if the server closed `conn` (EOF or reset) within `wait`.
fn closed_within(conn: &mut TcpStream, wait: Duration) -> bool {
    conn.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(0) => return true,
            // A 408 or other answer before closing: read on.
            Ok(_) => continue,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn a_thousand_slow_and_idle_connections_do_not_deny_service() {
    let _ = triage_ledger::os::raise_open_files_limit();
    let w = world();
    let server = Service::start(&["serve", s(&w.ledger), "--listen", "127.0.0.1:0"]);
    let addr = server.addr();
    let statement = w.registration("TF-1");
    let rss_before = server.rss_kib();
    // 1,000 attackers from ten loopback addresses (100 each, under the
    // per-peer cap): idle, half a request line, headers without their end,
    // and a body that never comes.
    let kinds: [&[u8]; 4] = [
        b"",
        b"GET /check",
        b"POST /entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/cose\r\n",
        b"POST /entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/cose\r\nContent-Length: 60000\r\n\r\nA",
    ];
    let mut attackers = Vec::new();
    for i in 0..1000 {
        let from = format!("127.0.0.{}", 2 + i / 100);
        let mut c = connect_from(&from, addr).expect("an attacker connects");
        c.write_all(kinds[i % 4]).unwrap();
        attackers.push(c);
    }
    // Honest clients from 127.0.0.1 are answered while they are open.
    let started = Instant::now();
    let (status, cp, _) = get(&format!("{}/checkpoint", server.url));
    let checkpoint_took = started.elapsed();
    assert_eq!(status, 200);
    assert!(cp.starts_with(b"example.org/svc\n"));
    let started = Instant::now();
    assert_eq!(register(&server.url, &statement), 201);
    let register_took = started.elapsed();
    let rss = server.rss_kib();
    eprintln!(
        "with 1000 attackers: GET /checkpoint {checkpoint_took:?}, registration {register_took:?}, RSS {} KiB (before {rss_before} KiB)",
        rss
    );
    assert!(rss < 128 * 1024, "RSS {rss} KiB");
    // The attackers are closed by the idle deadline (10 s) — the slow body
    // first answered 408 — and none was answered as a request.
    let mut open = 0;
    for c in attackers.iter_mut() {
        if !closed_within(c, Duration::from_secs(30)) {
            open += 1;
        }
    }
    assert_eq!(open, 0, "attacker connections still open");
    // The per-peer cap: 200 connections from one address, at most 128 kept.
    let mut same = Vec::new();
    for _ in 0..200 {
        same.push(connect_from("127.0.0.20", addr).unwrap());
    }
    let mut closed = 0;
    for c in same.iter_mut() {
        if closed_within(c, Duration::from_millis(500)) {
            closed += 1;
        }
    }
    assert!(
        closed >= 72,
        "only {closed} of 200 over the per-peer cap closed"
    );
    drop(same);
    // A slow body gets 408 from the handler's own deadline.
    let mut slow = connect_from("127.0.0.21", addr).unwrap();
    slow.write_all(kinds[3]).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut answer = Vec::new();
    let read = slow.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{read:?}: {answer}");
    assert_eq!(server.terminate_within(Duration::from_secs(30)), Some(0));
}

/// A witness that answers every request 409, naming size 1 and 2 in turn
/// (a state that keeps moving: never the size it was just shown); counts
/// the requests.
fn rogue_witness() -> (String, Arc<AtomicU64>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let count = Arc::new(AtomicU64::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { continue };
            let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
            std::thread::spawn(move || {
                let mut r = BufReader::new(conn.try_clone().unwrap());
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; len];
                let _ = r.read_exact(&mut body);
                let size = format!("{}\n", 1 + n % 2);
                let _ = write!(
                    conn,
                    "HTTP/1.1 409 Conflict\r\nContent-Type: text/x.tlog.size\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{size}",
                    size.len()
                );
            });
        }
    });
    (url, count)
}

#[test]
fn a_witness_that_never_settles_cannot_wedge_registration_or_shutdown() {
    let w = world();
    let (rogue, requests) = rogue_witness();
    let witness_arg = format!("w={rogue}");
    let args = [
        "serve",
        s(&w.ledger),
        "--listen",
        "127.0.0.1:0",
        "--trust",
        s(&w.trust),
        "--witness",
        &witness_arg,
    ];
    // It listens although the start-up round cannot finish well.
    let server = Service::start(&args);
    assert_eq!(register(&server.url, &w.registration("TF-1")), 201);
    assert_eq!(register(&server.url, &w.registration("TF-2")), 201);
    std::thread::sleep(Duration::from_secs(2));
    let asked = requests.load(Ordering::SeqCst);
    // A round is the first request and one follow-up; three rounds at most
    // (start-up and two commits).
    assert!((1..=6).contains(&asked), "{asked} requests to the witness");
    assert!(server.says("answered 409 twice"), "{}", server.stderr());
    // SIGTERM is obeyed, and a restart listens again.
    assert_eq!(server.terminate_within(Duration::from_secs(30)), Some(0));
    let again = Service::start(&args);
    assert_eq!(register(&again.url, &w.registration("TF-3")), 201);
    assert_eq!(again.terminate_within(Duration::from_secs(30)), Some(0));
    // `witness run --url` gives up the same way: exit 1, two requests.
    let before = requests.load(Ordering::SeqCst);
    let (code, _, err) = run(&[
        "witness",
        "run",
        "--url",
        &rogue,
        "--witness",
        s(&w.witness.join("witness.vkey")),
        "--ledger",
        s(&w.ledger),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("answered 409 twice"), "{err}");
    assert_eq!(requests.load(Ordering::SeqCst) - before, 2);
}

#[test]
fn a_served_pack_is_made_against_the_checkpoint_the_trust_policy_accepts() {
    let w = world();
    // Without witnesses: said loudly at start.
    let bare = Service::start(&["serve", s(&w.ledger), "--listen", "127.0.0.1:0"]);
    assert!(bare.says("warning: no witnesses"), "{}", bare.stderr());
    assert_eq!(bare.terminate_within(Duration::from_secs(30)), Some(0));
    // With the trust policy and its witness, served for real.
    let witness = Service::start(&["witness", "serve", s(&w.witness), "--listen", "127.0.0.1:0"]);
    let witness_arg = format!("w={}", witness.url);
    let server = Service::start(&[
        "serve",
        s(&w.ledger),
        "--listen",
        "127.0.0.1:0",
        "--trust",
        s(&w.trust),
        "--witness",
        &witness_arg,
    ]);
    assert!(!server.stderr().contains("warning: no witnesses"));
    // The service opened the ledger once, at start, and read its key then:
    // with the key file gone, it still signs every checkpoint, receipt and
    // pack below (a per-request opening would fail on the missing file).
    std::fs::rename(
        w.ledger.join("private").join("log.key"),
        w.d.join("log.key.away"),
    )
    .unwrap();
    let des = sign(
        &w.d,
        "designate",
        &w.root,
        &["--role", "ssc", "--party", "SECGB-SSC-DEMO", "--note", "n"],
    );
    assert_eq!(register(&server.url, &des), 201);
    assert_eq!(register(&server.url, &w.registration("TF-1")), 201);
    let size_now = || {
        let (_, cp, _) = get(&format!("{}/checkpoint", server.url));
        let text = String::from_utf8(cp).unwrap();
        text.lines().nth(1).unwrap().parse::<u64>().unwrap()
    };
    let with_tf1 = {
        let (code, out, err) = run(&["status", "--url", &server.url]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("TF-1"), "{out}");
        // The witness round runs after the 201: wait for the checkpoint
        // that holds TF-1's registration to be published.
        let until = Instant::now() + Duration::from_secs(20);
        while size_now() < 4 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(100));
        }
        size_now()
    };
    assert_eq!(
        with_tf1, 4,
        "designation, index entry, registration, index entry"
    );
    let pack_of = |what: &str, want: u64| {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            let (status, pack, basis) = get(&format!("{}/facilities/TF-1/pack", server.url));
            let basis = basis.expect("the basis is named");
            if basis == format!("accepted {want}") || Instant::now() > until {
                assert_eq!(status, 200, "{what}");
                return (pack, basis);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let (status, _, _) = get(&format!("{}/entries/2", server.url));
    assert_eq!(status, 200, "a receipt, signed with the key read at start");
    let (pack, basis) = pack_of("witnessed", with_tf1);
    assert_eq!(basis, "accepted 4");
    let file = w.d.join("tf1.pack");
    std::fs::write(&file, &pack).unwrap();
    let (code, out, err) = run(&["verify", s(&file), "--trust", s(&w.trust)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("VERIFIED: "), "{out}");
    // The witness goes away; the log grows; packs stay on the checkpoint
    // the policy accepted, and still verify.
    assert_eq!(witness.terminate_within(Duration::from_secs(30)), Some(0));
    assert_eq!(register(&server.url, &w.registration("TF-2")), 201);
    let until = Instant::now() + Duration::from_secs(20);
    while size_now() < 6 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(size_now(), 6, "published although no witness answered");
    let (pack, basis) = pack_of("after the witness left", 4);
    assert_eq!(basis, "accepted 4");
    std::fs::write(&file, &pack).unwrap();
    let (code, out, err) = run(&["verify", s(&file), "--trust", s(&w.trust)]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(server.terminate_within(Duration::from_secs(30)), Some(0));
}

#[test]
fn a_writer_beside_a_running_service_is_told_at_once_to_use_its_url() {
    let w = world();
    let server = Service::start(&["serve", s(&w.ledger), "--listen", "127.0.0.1:0"]);
    let statement = w.registration("TF-1");
    // submit LEDGER, and a signing verb with --ledger (which now takes
    // --no-wait and --wait too): refused at once, naming the service.
    let started = Instant::now();
    let (code, _, err) = run(&["submit", s(&w.ledger), s(&statement)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("held by the ledger service at {}", server.url)),
        "{err}"
    );
    assert!(
        err.contains(&format!("submit --url {}", server.url)),
        "{err}"
    );
    for wait in [&["--no-wait"][..], &["--wait", "600"][..], &[][..]] {
        let mut args = vec![
            "register",
            "--key",
            &w.op.0,
            "--cert",
            &w.op.1,
            "--ledger",
            s(&w.ledger),
            "--facility",
            "TF-2",
            "--name",
            "N",
            "--site",
            "S",
        ];
        args.extend_from_slice(wait);
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{wait:?}: {err}");
        assert!(
            err.contains("held by the ledger service"),
            "{wait:?}: {err}"
        );
    }
    // Not a wait: all five answers came while the service still runs.
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(register(&server.url, &statement), 201);
    assert_eq!(server.terminate_within(Duration::from_secs(30)), Some(0));
    // Stopped, the ledger is anyone's again.
    let again = w.registration("TF-2");
    let (code, _, err) = run(&["submit", s(&w.ledger), s(&again), "--no-wait"]);
    assert_eq!(code, 0, "{err}");
}
