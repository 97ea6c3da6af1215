//! The HTTP services, really started on a loopback port and used through the
//! CLI client and a plain HTTP client (ureq).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_triage-ledger"))
}

fn run(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
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

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A server process, stopped (SIGKILL) if the test ends without stopping it.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = bin()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the server said {line:?}"))
            .to_string();
        Server { child, url }
    }

    /// SIGTERM, then the exit code.
    fn terminate(mut self) -> Option<i32> {
        send_signal(self.child.id(), "TERM");
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status.code()
    }
}

fn send_signal(pid: u32, signal: &str) {
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

fn post(url: &str, body: &[u8]) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
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
