//! Tile serving: `triage-ledger serve` against nginx serving the same tile
//! files, side by side in one run, under the same load generator (wrk,
//! Debian's `wrk`, with a Lua script that asks for random tiles).
//!
//! `cargo build --release && cargo bench --bench tile_serving`
//! (needs `nginx` and `wrk` on PATH: `apt-get install nginx-light wrk`).
//!
//! The ledger: 100,000 statements (~200,000 entries; built once, kept in
//! target/bench-submit-100000 as `benches/submit_one.rs` keeps it). Two
//! loads: full level-0 hash tiles (8 KiB) and full entry bundles. Each is
//! run for 10 s with 64 connections on 2 wrk threads, against nginx (2
//! workers, sendfile, access log on as by default) and against the service
//! (2 worker threads, its request log on at INFO as by default, written to
//! /dev/null), one after the other, on the same 2 cores.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CONNECTIONS: u32 = 64;
const SECONDS: u32 = 10;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        // SIGTERM: nginx's master then stops its workers too.
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(port: u16) {
    // A first start builds the state index of the 200,000 entries.
    for _ in 0..1200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on port {port}");
}

fn nginx(root: &Path, work: &Path) -> (Killed, u16) {
    let port = free_port();
    let conf = work.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nworker_processes 2;\npid {w}/nginx.pid;\nerror_log {w}/error.log;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log {w}/access.log;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 1000000;\n\
               client_body_temp_path {w}/body;\n  proxy_temp_path {w}/proxy;\n  fastcgi_temp_path {w}/fastcgi;\n\
               uwsgi_temp_path {w}/uwsgi;\n  scgi_temp_path {w}/scgi;\n\
               server {{\n    listen 127.0.0.1:{port};\n    root {r};\n\
                 location /tile/ {{ default_type application/octet-stream; add_header Cache-Control \"public, max-age=31536000, immutable\"; }}\n\
               }}\n}}\n",
            w = work.display(),
            r = root.display(),
        ),
    )
    .unwrap();
    let child = Command::new("nginx")
        .args(["-c", conf.to_str().unwrap(), "-p", work.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx (apt-get install nginx-light)");
    wait_for(port);
    (Killed(child), port)
}

fn service(ledger: &Path, cache_mb: &str) -> (Killed, u16) {
    let port = free_port();
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/triage-ledger");
    assert!(bin.exists(), "cargo build --release first");
    let child = Command::new(bin)
        .args([
            "serve",
            ledger.to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("TRIAGE_LEDGER_TILE_CACHE_MB", cache_mb)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(port);
    (Killed(child), port)
}

/// Requests per second that wrk reached, and its latency line.
fn wrk(port: u16, script: &Path) -> (f64, String) {
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{CONNECTIONS}"),
            &format!("-d{SECONDS}s"),
            "--latency",
            "-s",
            script.to_str().unwrap(),
            &format!("http://127.0.0.1:{port}"),
        ])
        .output()
        .expect("wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rate = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("wrk said: {text}"));
    let non2xx = text
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .map(str::to_string);
    assert!(non2xx.is_none(), "errors: {text}");
    let p99 = text
        .lines()
        .find(|l| l.trim_start().starts_with("99%"))
        .unwrap_or("")
        .trim()
        .to_string();
    (rate, p99)
}

/// A wrk script that asks for a random path of `paths`.
fn script(work: &Path, name: &str, paths: &[String]) -> PathBuf {
    let file = work.join(format!("{name}.lua"));
    let list: Vec<String> = paths.iter().map(|p| format!("\"{p}\"")).collect();
    std::fs::write(
        &file,
        format!(
            "paths = {{{}}}\nrequest = function()\n  return wrk.format(\"GET\", paths[math.random(#paths)])\nend\n",
            list.join(",")
        ),
    )
    .unwrap();
    file
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (ledger, _) = common::ledger(&root.join("target/bench-submit-100000"), 100_000);
    let work = tempfile::tempdir().unwrap();
    let cp = std::fs::read_to_string(ledger.join("log/checkpoint")).unwrap();
    let size: u64 = cp.lines().nth(1).unwrap().parse().unwrap();
    let full = size / 256;
    let path = |kind: &str, n: u64| {
        let mut s = format!("{n:03}");
        let mut m = n / 1000;
        while m > 0 {
            s = format!("x{:03}/{s}", m % 1000);
            m /= 1000;
        }
        format!("/tile/{kind}/{s}")
    };
    let hashes: Vec<String> = (0..full).map(|n| path("0", n)).collect();
    let bundles: Vec<String> = (0..full).map(|n| path("entries", n)).collect();
    let loads = [
        (
            "level-0 hash tiles (8 KiB)",
            script(work.path(), "hashes", &hashes),
        ),
        ("entry bundles", script(work.path(), "bundles", &bundles)),
    ];
    println!(
        "tree size {size}: {full} full tiles per kind; wrk -t2 -c{CONNECTIONS} -d{SECONDS}s, random tiles"
    );
    let (ng, ng_port) = nginx(&ledger.join("log"), work.path());
    // The service as it runs by default (tiles kept in memory, 256 MiB),
    // and with no tile cache: every request read from the page cache.
    let (sv, sv_port) = service(&ledger, "256");
    // A service holds its ledger's writer for its life: the second one
    // serves a copy.
    let copy = work.path().join("ledger-copy");
    let copied = Command::new("cp")
        .args(["-a", ledger.to_str().unwrap(), copy.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(copied.success(), "cp -a {}", ledger.display());
    let (raw, raw_port) = service(&copy, "0");
    for (name, lua) in &loads {
        // Warm the page cache and the servers.
        let _ = wrk(ng_port, lua);
        let _ = wrk(sv_port, lua);
        let (n, n99) = wrk(ng_port, lua);
        let (t, t99) = wrk(sv_port, lua);
        let (r, r99) = wrk(raw_port, lua);
        println!("{name}:");
        println!("  nginx                  {n:>9.0} req/s   p99 {n99}");
        println!(
            "  triage-ledger          {t:>9.0} req/s   p99 {t99}   = {:.0}% of nginx",
            100.0 * t / n
        );
        println!(
            "  triage-ledger, no cache{r:>9.0} req/s   p99 {r99}   = {:.0}% of nginx",
            100.0 * r / n
        );
    }
    drop((sv, raw, ng));
}
