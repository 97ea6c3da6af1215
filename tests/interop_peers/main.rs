//! Interoperability with independent implementations that are separate
//! programs: Python packages from PyPI and npm packages, pinned in
//! `interop/requirements.txt` and `interop/package-lock.json` and installed
//! into `target/interop` by `scripts/interop-setup` (run once here; a
//! missing python3, node or npm fails the tests, it never skips them). The
//! probes in `interop/` each do one direction for one format: a peer checks
//! what our binary wrote, or a peer writes what our binary must accept.
//! Every direction is also run on a tampered copy (one byte or character
//! changed), which the peer or our binary must refuse with exit 1.
//! `interop/README.md` lists the peers, their versions and what was found.

#[path = "../common/mod.rs"]
mod common;
mod cose;
mod notes;
mod witness;

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

use common::{free_port, identity, run_env, s};

/// The longest a probe may take (the slowest takes about a second).
const PROBE_TIMEOUT: Duration = Duration::from_secs(120);

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn ours() -> &'static str {
    env!("CARGO_BIN_EXE_triage-ledger")
}

/// Runs `scripts/interop-setup` once per test process; panics with what it
/// printed if it fails.
fn setup() {
    static SETUP: OnceLock<Result<(), String>> = OnceLock::new();
    let done = SETUP.get_or_init(|| {
        let started = Instant::now();
        let out = Command::new("bash")
            .arg(repo().join("scripts/interop-setup"))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("bash scripts/interop-setup could not be started: {e}"))?;
        if out.status.success() {
            let said = String::from_utf8_lossy(&out.stderr);
            if !said.is_empty() {
                eprint!("{said}");
                eprintln!("interop-setup: {:.1} s", started.elapsed().as_secs_f64());
            }
            Ok(())
        } else {
            Err(format!(
                "scripts/interop-setup failed ({}): the interop tests need python3, node and npm \
                 and the registries\n--- stdout\n{}\n--- stderr\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(e) = done {
        panic!("{e}");
    }
}

/// A scratch directory under target/ for one test, removed when dropped.
fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("interop-peers-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

/// The demo (`triage-ledger demo`), built once per test process and only
/// read by the tests (a test that changes a ledger copies it first).
fn demo() -> &'static Path {
    static DEMO: OnceLock<PathBuf> = OnceLock::new();
    DEMO.get_or_init(|| make_demo("demo", &[]))
}

/// The demo with `--records public`: its entries are its statements in
/// clear, which is what peers of SCITT and COSE Receipts verify receipts
/// against (a confidential ledger's receipts prove the statement's
/// commitment leaf, which they do not compute).
fn public_demo() -> &'static Path {
    static DEMO: OnceLock<PathBuf> = OnceLock::new();
    DEMO.get_or_init(|| make_demo("public-demo", &["--records", "public"]))
}

fn make_demo(kind: &str, args: &[&str]) -> PathBuf {
    let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-peers");
    std::fs::create_dir_all(&parent).unwrap();
    // Demos of earlier runs whose process is gone.
    for e in std::fs::read_dir(&parent).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.rsplit('-').next() {
            if pid.chars().all(|c| c.is_ascii_digit()) && !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let d = parent.join(format!("{kind}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let mut all = vec!["demo", s(&d)];
    all.extend_from_slice(args);
    let (code, _, err) = run_env(&all, &[]);
    assert_eq!(code, 0, "demo: {err}");
    d
}

/// The demo log's tree size (60 when this was written).
fn demo_size() -> u64 {
    let note = std::fs::read_to_string(demo().join("ledger/log/checkpoint")).unwrap();
    note.split('\n').nth(1).unwrap().parse().unwrap()
}

/// Entry `index` of `ledger`, its bytes exactly (`log get`).
fn log_get(ledger: &Path, index: u64) -> Vec<u8> {
    let out = Command::new(ours())
        .args(["log", "get", s(ledger), "--index", &index.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "log get: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// What a program printed and how it ended.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Kills a process group (a probe and whatever it started) when dropped.
struct Group(u32);

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group of a child this test started
        // in its own group (its id is the group's id).
        unsafe {
            libc::kill(-(self.0 as i32), libc::SIGKILL);
        }
    }
}

/// Runs `cmd` in its own process group, with our binary in TRIAGE_LEDGER,
/// for at most PROBE_TIMEOUT; the group is killed afterwards whatever
/// happened (a server a probe failed to stop goes with it).
fn run(mut cmd: Command, what: &str) -> Run {
    cmd.process_group(0)
        .env("TRIAGE_LEDGER", ours())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: could not be started: {e}"));
    let _group = Group(child.id());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(PROBE_TIMEOUT) {
        Ok(out) => out.unwrap(),
        Err(_) => panic!("{what}: still running after {PROBE_TIMEOUT:?} (killed)"),
    };
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A Python probe, with the venv of scripts/interop-setup.
fn py(script: &str, args: &[&str]) -> Run {
    setup();
    let mut c = Command::new(repo().join("target/interop/venv/bin/python"));
    c.arg(repo().join("interop").join(script)).args(args);
    run(c, script)
}

/// A Node probe (it finds target/interop/npm/node_modules itself).
fn node(script: &str, args: &[&str]) -> Run {
    setup();
    let mut c = Command::new("node");
    c.arg(repo().join("interop").join(script)).args(args);
    run(c, script)
}

/// Our binary.
fn tl(args: &[&str]) -> Run {
    let (code, stdout, stderr) = run_env(args, &[]);
    Run {
        code,
        stdout,
        stderr,
    }
}

#[track_caller]
fn passes(r: Run, what: &str) -> String {
    assert_eq!(r.code, 0, "{what}: expected success\n{r}");
    r.stdout
}

/// Exit 1: the peer (or our binary) checked the input and refused it —
/// not a usage error (2) nor a broken probe (3).
#[track_caller]
fn refuses(r: Run, what: &str) -> String {
    assert_eq!(r.code, 1, "{what}: expected exit 1 (does not verify)\n{r}");
    r.stderr
}

#[track_caller]
fn says(out: &str, what: &str) {
    assert!(out.contains(what), "expected {what:?} in:\n{out}");
}

// ---- tampering ---------------------------------------------------------------

/// A copy of `src` at `dst` with the byte at `pos` (counted from the end
/// when negative) changed.
fn flip(src: &Path, dst: &Path, pos: isize) -> PathBuf {
    let mut b = std::fs::read(src).unwrap();
    let i = if pos < 0 {
        b.len() - pos.unsigned_abs()
    } else {
        pos as usize
    };
    b[i] ^= 0x01;
    std::fs::write(dst, b).unwrap();
    dst.to_path_buf()
}

/// A copy of `src` at `dst` with the first occurrence of `needle` replaced
/// by `with` (of the same length).
fn replace_once(src: &Path, dst: &Path, needle: &[u8], with: &[u8]) -> PathBuf {
    assert_eq!(needle.len(), with.len());
    let mut b = std::fs::read(src).unwrap();
    let i = b
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{} holds no {:?}", src.display(), needle));
    b[i..i + needle.len()].copy_from_slice(with);
    std::fs::write(dst, b).unwrap();
    dst.to_path_buf()
}

/// `text` with the character at `i` changed to another base64 character.
fn change_char(text: &str, i: usize) -> String {
    let mut c: Vec<char> = text.chars().collect();
    c[i] = if c[i] == 'A' { 'B' } else { 'A' };
    c.into_iter().collect()
}

/// A copy of the signed note `src` at `dst` with one base64 character of
/// the signature line by `name` changed (inside the signature, not its key
/// id or padding).
fn tamper_signature(src: &Path, dst: &Path, name: &str) -> PathBuf {
    let note = std::fs::read_to_string(src).unwrap();
    let prefix = format!("\u{2014} {name} ");
    let mut found = false;
    let lines: Vec<String> = note
        .split('\n')
        .map(|l| match l.strip_prefix(&prefix) {
            Some(b64) => {
                found = true;
                format!("{prefix}{}", change_char(b64, 40))
            }
            None => l.to_string(),
        })
        .collect();
    assert!(found, "no signature by {name} in:\n{note}");
    std::fs::write(dst, lines.join("\n")).unwrap();
    dst.to_path_buf()
}

/// A copy of the signed note `src` at `dst` with one character of its root
/// hash changed (the body every signature covers).
fn tamper_body(src: &Path, dst: &Path) -> PathBuf {
    let note = std::fs::read_to_string(src).unwrap();
    let mut lines: Vec<String> = note.split('\n').map(str::to_string).collect();
    lines[2] = change_char(&lines[2], 5);
    std::fs::write(dst, lines.join("\n")).unwrap();
    dst.to_path_buf()
}

/// The first receipt a transparent statement carries: the first byte
/// string of label 394 in its unprotected header (read with ciborium).
fn first_receipt(ts: &[u8]) -> Vec<u8> {
    use ciborium::value::Value;
    let v: Value = ciborium::de::from_reader(ts).expect("a transparent statement in CBOR");
    let Value::Tag(18, inner) = v else {
        panic!("not a tagged COSE_Sign1")
    };
    let Value::Array(parts) = *inner else {
        panic!("not a COSE_Sign1 array")
    };
    let Value::Map(unprotected) = &parts[1] else {
        panic!("no unprotected header map")
    };
    let receipts = unprotected
        .iter()
        .find(|(k, _)| matches!(k, Value::Integer(i) if i128::from(*i) == 394))
        .map(|(_, v)| v)
        .expect("label 394");
    match receipts {
        Value::Array(rs) => match rs.first() {
            Some(Value::Bytes(b)) => b.clone(),
            other => panic!("394 does not start with a byte string: {other:?}"),
        },
        other => panic!("394 is not an array: {other:?}"),
    }
}

/// A copy of the transparent statement `ts` at `dst` with the last byte of
/// the first receipt it carries (in the receipt's signature) changed.
fn tamper_receipt_inside(ts: &Path, dst: &Path) -> PathBuf {
    let mut b = std::fs::read(ts).unwrap();
    let r = first_receipt(&b);
    let i = b
        .windows(r.len())
        .position(|w| w == r.as_slice())
        .expect("the receipt inside the transparent statement");
    b[i + r.len() - 1] ^= 0x01;
    std::fs::write(dst, b).unwrap();
    dst.to_path_buf()
}

fn copy_dir(src: &Path, dst: &Path) {
    let ok = Command::new("cp")
        .args(["-a", s(src), s(dst)])
        .status()
        .unwrap()
        .success();
    assert!(ok, "cp -a {} {}", src.display(), dst.display());
}

/// A static web server (Python's http.server) over `dir` on loopback,
/// killed when dropped.
struct StaticServer {
    child: Child,
    url: String,
}

impl StaticServer {
    fn start(dir: &Path) -> StaticServer {
        setup();
        let port = free_port();
        let child = Command::new(repo().join("target/interop/venv/bin/python"))
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "--directory",
                s(dir),
            ])
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = StaticServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "http.server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
