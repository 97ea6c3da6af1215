//! `submit --url` believes a registration only when its receipt verifies
//! against the log's key: the trust directory's, else the key pinned for
//! the URL, else the service's own, pinned on first use. The attackers are
//! real: a second ledger service with another key on the URL the client
//! pinned, and a small HTTP server that answers `201` with receipts of its
//! own making.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::common::{identity, run_env, s, Served};

/// What the rogue answers to `POST /entries`.
#[derive(Clone)]
enum Answer {
    /// A receipt for the statement it got, signed by its own key (named
    /// as the log is).
    OwnKey,
    /// These bytes (a genuine receipt, of another statement).
    Replay(Vec<u8>),
}

/// A hand-written HTTP/1.1 server on `port` that claims to be the log
/// whose key is `claimed` (its transparency configuration says so) and
/// answers every registration `201`, as `answer` says.
struct Rogue {
    port: u16,
    answer: Arc<Mutex<Option<Answer>>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The statements it was sent.
    got: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Rogue {
    fn start(port: u16, claimed: &str, answer: Answer) -> Rogue {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let answer = Arc::new(Mutex::new(Some(answer)));
        let got = Arc::new(Mutex::new(Vec::new()));
        let key = triage_ledger::note::SignerKey::generate(
            claimed.split('+').next().unwrap(),
            triage_ledger::note::SigType::Ed25519,
        )
        .unwrap();
        let config = {
            let mut b = Vec::new();
            let t = |x: &str| ciborium::Value::Text(x.to_string());
            ciborium::into_writer(&ciborium::Value::Map(vec![(t("vkey"), t(claimed))]), &mut b)
                .unwrap();
            b
        };
        let (a, g) = (answer.clone(), got.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Some(mode) = a.lock().unwrap().clone() else {
                    return;
                };
                let Ok(conn) = conn else { continue };
                serve_one(conn, &mode, &key, &config, &g);
            }
        });
        Rogue {
            port,
            answer,
            thread: Some(thread),
            got,
        }
    }
}

impl Drop for Rogue {
    fn drop(&mut self) {
        *self.answer.lock().unwrap() = None;
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

fn serve_one(
    conn: TcpStream,
    mode: &Answer,
    key: &triage_ledger::note::SignerKey,
    config: &[u8],
    got: &Mutex<Vec<Vec<u8>>>,
) {
    let mut r = BufReader::new(conn.try_clone().unwrap());
    let mut request = String::new();
    if r.read_line(&mut request).unwrap_or(0) == 0 {
        return;
    }
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        if h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0u8; length];
    r.read_exact(&mut body).unwrap();
    let (status, extra, answer): (&str, String, Vec<u8>) =
        if request.starts_with("GET /.well-known/transparency-configuration") {
            ("200 OK", String::new(), config.to_vec())
        } else if request.starts_with("POST /entries") {
            got.lock().unwrap().push(body.clone());
            let receipt = match mode {
                Answer::OwnKey => {
                    use triage_ledger::merkle::{leaf_hash, InclusionProof, RootHash};
                    let root = RootHash::new(1, leaf_hash(&body));
                    triage_ledger::cose::Receipt::issue(
                        key,
                        &InclusionProof::new(0, 1, Vec::new()),
                        &root,
                        0,
                    )
                    .unwrap()
                    .to_bytes()
                    .unwrap()
                }
                Answer::Replay(b) => b.clone(),
            };
            ("201 Created", "Location: /entries/0\r\n".into(), receipt)
        } else {
            ("404 Not Found", String::new(), Vec::new())
        };
    let mut w = conn;
    let head = format!(
        "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        answer.len()
    );
    let _ = w.write_all(head.as_bytes());
    let _ = w.write_all(&answer);
}

/// A policy ledger of its own key in `dir`, its vkey (`name+id+key`).
fn ledger(dir: &Path) -> (PathBuf, String) {
    let root_pem = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem");
    let (code, _, err) = run_env(
        &[
            "init",
            s(dir),
            "--origin",
            "example.org/srv",
            "--trust-root",
            s(&root_pem),
            "--records",
            "public",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let vkey = std::fs::read_to_string(dir.join("vkey")).unwrap();
    (dir.to_path_buf(), vkey.trim().to_string())
}

fn name_id(vkey: &str) -> String {
    let mut p = vkey.split('+');
    format!("{}+{}", p.next().unwrap(), p.next().unwrap())
}

fn tree_size(ledger: &Path) -> u64 {
    let cp = std::fs::read_to_string(ledger.join("log/checkpoint")).unwrap();
    cp.lines().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_rogue_service_is_not_believed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // This test's own configuration directory: where the key is pinned.
    let cfg = d.join("cfg");
    let env = [("XDG_CONFIG_HOME", s(&cfg).to_string())];
    let known = cfg.join("triage-ledger/known-logs");
    let (a, a_key) = ledger(&d.join("a"));
    let (b, b_key) = ledger(&d.join("b"));
    assert_ne!(a_key, b_key);
    let root = identity(d, "demo-root");
    let st = |name: &str, args: &[&str]| {
        let bytes = std::fs::read(crate::common::sign(d, "designate", &root, args)).unwrap();
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let s1 = st(
        "s1.cose",
        &["--role", "ssc", "--party", "SECGB-SSC-DEMO", "--note", "n"],
    );
    let s2 = st(
        "s2.cose",
        &[
            "--role",
            "user-cio",
            "--party",
            "NTRGB-DEMO0002",
            "--note",
            "u",
        ],
    );
    let transparent = |p: &Path| PathBuf::from(format!("{}.transparent", p.display()));
    let submit = |url: &str, file: &Path, more: &[&str]| {
        let mut args = vec!["submit", "--url", url, s(file), "--transparent"];
        args.extend_from_slice(more);
        run_env(&args, &env)
    };

    // First use of the real service: its key is learnt, checked against
    // the receipt, pinned, and the CLI says so.
    let port = crate::common::free_port();
    let listen = format!("127.0.0.1:{port}");
    let real = Served::start(&["serve", s(&a), "--listen", &listen], &[]);
    let url = real.url.clone();
    let (code, out, err) = submit(&url, &s1, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("s1.cose: entry 0"), "{out}");
    assert!(
        err.contains(&format!(
            "pinned the log key {} of {url} on first use (in {}); later answers must be signed by it",
            name_id(&a_key),
            known.display()
        )),
        "{err}"
    );
    let pinned = std::fs::read_to_string(&known).unwrap();
    assert!(pinned.contains(&format!("{url} {a_key}\n")), "{pinned}");
    assert!(transparent(&s1).is_file());
    // The next time, the pinned key is used and said; nothing new pinned.
    let (code, out, err) = submit(&url, &s1, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("pinned for"), "{err}");
    assert!(!err.contains("on first use"), "{err}");
    assert_eq!(std::fs::read_to_string(&known).unwrap(), pinned);
    drop(real);
    let genuine = triage_ledger::cose::split_transparent(&std::fs::read(transparent(&s1)).unwrap())
        .unwrap()
        .receipts[0]
        .bytes()
        .to_vec();

    // A rogue on the pinned URL, claiming the pinned key, answering 201
    // with a receipt signed by a key of its own: exit 1, nothing written.
    let rogue = Rogue::start(port, &a_key, Answer::OwnKey);
    let (code, out, err) = submit(&url, &s2, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("entry"), "{out}");
    assert!(
        err.contains(&format!(
            "the receipt for entry 0 does not verify against the log key {} (pinned in {})",
            name_id(&a_key),
            known.display()
        )),
        "{err}"
    );
    assert!(err.contains("hint: "), "{err}");
    assert!(!transparent(&s2).exists(), "nothing written");
    assert_eq!(rogue.got.lock().unwrap().len(), 1);
    drop(rogue);
    // A rogue that replays a genuine receipt, of another statement: its
    // proof does not lead from this statement's leaf.
    let rogue = Rogue::start(port, &a_key, Answer::Replay(genuine.clone()));
    let (code, out, err) = submit(&url, &s2, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("does not verify"), "{err}");
    assert!(!transparent(&s2).exists());
    // With --trust, the trust directory's key decides, pinned or not.
    let trust = d.join("trust");
    std::fs::create_dir_all(&trust).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem"),
        trust.join("root.pem"),
    )
    .unwrap();
    std::fs::write(trust.join("log.vkey"), format!("{a_key}\n")).unwrap();
    let (code, _, err) = submit(&url, &s2, &["--trust", s(&trust)]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("(the trust directory ") && err.contains("does not verify"),
        "{err}"
    );
    assert!(!transparent(&s2).exists());
    // ... and the genuine receipt, for the statement it is for, verifies.
    let (code, out, err) = submit(&url, &s1, &["--trust", s(&trust)]);
    assert_eq!(code, 0, "{out}{err}");
    drop(rogue);

    // An honest service of another log on the pinned URL: refused before
    // anything is sent, naming both keys.
    let other = Served::start(&["serve", s(&b), "--listen", &listen], &[]);
    let (code, out, err) = submit(&url, &s2, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(&format!(
            "{url} presents the log key {}, but {} is pinned for it in {}; nothing was submitted",
            name_id(&b_key),
            name_id(&a_key),
            known.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "remove the line for {url} from {}",
            known.display()
        )),
        "{err}"
    );
    assert_eq!(tree_size(&b), 0, "nothing was submitted");
    assert!(!transparent(&s2).exists());
    drop(other);
    assert_eq!(
        std::fs::read_to_string(&known).unwrap(),
        pinned,
        "the pin is kept"
    );

    // Back to the real service: the pinned key verifies its receipts.
    let real = Served::start(&["serve", s(&a), "--listen", &listen], &[]);
    let (code, out, err) = submit(&real.url, &s2, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("s2.cose: entry 2"), "{out}");
    assert!(transparent(&s2).is_file());
    let (code, _, err) = run_env(
        &[
            "inspect",
            s(&transparent(&s2)),
            "--vkey",
            s(&a.join("vkey")),
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
}

/// On first use, a service that does not say its key (or says nothing)
/// cannot be checked: exit 2, with a hint to give --trust.
#[test]
fn without_a_key_to_check_with_nothing_is_sent() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let env = [("XDG_CONFIG_HOME", s(&d.join("cfg")).to_string())];
    let port = crate::common::free_port();
    // A rogue whose configuration names no valid key.
    let rogue = Rogue::start(port, "not-a-key", Answer::OwnKey);
    let file = d.join("x.cose");
    std::fs::write(&file, b"\xd2\x84").unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let (code, _, err) = run_env(&["submit", "--url", &url, s(&file)], &env);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no log key to check its receipts with"),
        "{err}"
    );
    assert!(err.contains("hint: give --trust DIR"), "{err}");
    assert!(rogue.got.lock().unwrap().is_empty(), "nothing was sent");
    assert!(!d.join("cfg/triage-ledger/known-logs").exists());
}
