//! Servers the tests start on loopback — Garage (S3) and PostgreSQL, both
//! installed by `scripts/test` — and small helpers for the CLI.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The CLI, with a configuration directory of this test process's own.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_triage-ledger"));
    c.env("XDG_CONFIG_HOME", config_home())
        .env_remove("TRIAGE_LEDGER_CONFIG");
    c
}

/// A configuration directory (`XDG_CONFIG_HOME`) of this test process's
/// own, empty when the process starts: what the CLI remembers there (log
/// keys pinned on first use, `known-logs`) never lands in the user's, nor
/// outlives the run into another that reuses a port. Under the target
/// directory's scratch space (`cargo clean` removes it).
pub fn config_home() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        // Those of test processes that have ended go.
        for e in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            let name = e.file_name();
            let pid = name.to_str().and_then(|n| n.strip_prefix("config-home-"));
            if pid.is_some_and(|p| !Path::new("/proc").join(p).exists()) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        let d = tmp.join(format!("config-home-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The version `scripts/test` installs.
pub const GARAGE: &str = "2.5.0";

pub const KEY_ID: &str = "GK0000000000000000000000a1";
pub const SECRET: &str = "00000000000000000000000000000000000000000000000000000000000000b2";

/// A single-node Garage on loopback with one bucket, `ledger`, and one key
/// allowed on it; stopped when dropped.
pub struct Garage {
    child: Child,
    config: PathBuf,
    pub endpoint: String,
    _dir: tempfile::TempDir,
}

impl Garage {
    pub fn start() -> Garage {
        let dir = tempfile::tempdir().unwrap();
        let (rpc, api) = (free_port(), free_port());
        let config = dir.path().join("garage.toml");
        std::fs::write(
            &config,
            format!(
                "metadata_dir = \"{d}/meta\"\ndata_dir = \"{d}/data\"\ndb_engine = \"sqlite\"\n\
                 replication_factor = 1\nrpc_bind_addr = \"127.0.0.1:{rpc}\"\n\
                 rpc_public_addr = \"127.0.0.1:{rpc}\"\nrpc_secret = \"{secret}\"\n\
                 [s3_api]\ns3_region = \"garage\"\napi_bind_addr = \"127.0.0.1:{api}\"\n",
                d = dir.path().display(),
                secret = "c".repeat(64),
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("garage.log")).unwrap();
        let child = Command::new("garage")
            .args(["-c", s(&config), "server"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("garage could not be started ({e}): run the tests with scripts/test, which installs it")
            });
        let g = Garage {
            child,
            config,
            endpoint: format!("http://127.0.0.1:{api}"),
            _dir: dir,
        };
        g.until_ok(&["status"]);
        let id = g.until_ok(&["node", "id", "-q"]);
        let id = id.trim().split('@').next().unwrap().to_string();
        g.until_ok(&["layout", "assign", "-z", "dc1", "-c", "1G", &id]);
        g.until_ok(&["layout", "apply", "--version", "1"]);
        g.until_ok(&["key", "import", "--yes", "-n", "test", KEY_ID, SECRET]);
        g.until_ok(&["bucket", "create", "ledger"]);
        g.until_ok(&[
            "bucket", "allow", "--read", "--write", "--owner", "ledger", "--key", "test",
        ]);
        g
    }

    /// Runs a `garage` command until it succeeds (the node takes a moment
    /// to come up); its stdout.
    pub fn until_ok(&self, args: &[&str]) -> String {
        let started = Instant::now();
        loop {
            let out = Command::new("garage")
                .args(["-c", s(&self.config)])
                .args(args)
                .output()
                .unwrap();
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout).into_owned();
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "garage {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Makes another bucket the test key may use.
    pub fn bucket(&self, name: &str) {
        self.until_ok(&["bucket", "create", name]);
        self.until_ok(&[
            "bucket", "allow", "--read", "--write", "--owner", name, "--key", "test",
        ]);
    }

    /// Sets this store's client environment in the test process itself
    /// (for the library's clients) and returns it (for the CLI's).
    pub fn set_env(&self) -> Vec<(&'static str, String)> {
        let env = self.env();
        for (k, v) in &env {
            std::env::set_var(k, v);
        }
        env
    }

    /// The environment a client of this store needs.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_REGION", "garage".into()),
            ("AWS_ACCESS_KEY_ID", KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.into()),
        ]
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn run_env(args: &[&str], env: &[(&str, String)]) -> (i32, String, String) {
    let out = bin()
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `dir`, as paths relative to it.
pub fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_str().unwrap().to_string());
            }
        }
    }
    out.sort();
    out
}

/// A throwaway cluster owned by the `postgres` user; stopped when dropped.
pub struct Postgres {
    bin: std::path::PathBuf,
    data: std::path::PathBuf,
    pub url: String,
    _dir: tempfile::TempDir,
}

pub fn as_postgres(bin: &Path, args: &[&str]) -> std::process::Output {
    Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(bin)
        .args(args)
        .output()
        .expect("runuser")
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .map(|rd| {
                let mut v: Vec<_> = rd
                    .filter_map(|e| e.ok())
                    .map(|e| e.path().join("bin"))
                    .collect();
                v.sort();
                v.pop()
            })
            .ok()
            .flatten()
            .filter(|b| b.join("initdb").exists())
            .expect(
                "PostgreSQL is not installed: run the tests with scripts/test, which installs it",
            );
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("chown")
            .args(["postgres:", dir.path().to_str().unwrap()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "chown to postgres");
        let data = dir.path().join("data");
        let out = as_postgres(
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            dir.path().display()
        );
        let log = dir.path().join("log");
        let out = as_postgres(
            &bin.join("pg_ctl"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-o",
                &opts,
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Postgres {
            bin,
            data,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            _dir: dir,
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_postgres(
            &self.bin.join("pg_ctl"),
            &["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"],
        );
    }
}

/// A demo identity (`keys/NAME.{key,pem}`) copied into `dir` with mode 0600.
pub fn identity(dir: &Path, name: &str) -> (String, String) {
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

/// Signs a statement with a verb's `--out` form into `dir`; its path.
pub fn sign(dir: &Path, verb: &str, id: &(String, String), args: &[&str]) -> PathBuf {
    let out = dir.join(format!("st-{}.cose", args.join("-").replace('/', "_")));
    let mut all = vec![verb, "--key", &id.0, "--cert", &id.1, "--out", s(&out)];
    all.extend_from_slice(args);
    let (code, _, err) = run_env(&all, &[]);
    assert_eq!(code, 0, "{verb}: {err}");
    out
}

/// A `serve` process, killed when dropped.
pub struct Served {
    child: Child,
    pub url: String,
}

impl Served {
    pub fn start(args: &[&str], env: &[(&str, String)]) -> Served {
        use std::io::BufRead;
        let mut child = bin()
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
        let url = loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).unwrap();
            assert!(n > 0, "the server stopped before listening");
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
        Served { child, url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GET, with the status and body of any answer.
pub fn http_get(url: &str) -> (u16, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.get(url).call().unwrap();
    (r.status().as_u16(), r.body_mut().read_to_vec().unwrap())
}

/// The s3s-fs version `scripts/test` installs.
pub const S3S_FS: &str = "0.14.1";

/// s3s-fs (an S3 server over a directory, from crates.io) on loopback with
/// one bucket, `ledger`; stopped when dropped. Unlike Garage it enforces
/// conditional writes.
pub struct S3sFs {
    child: Child,
    pub endpoint: String,
    _dir: tempfile::TempDir,
}

impl S3sFs {
    pub fn start() -> S3sFs {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("ledger")).unwrap();
        let port = free_port();
        let child = Command::new("s3s-fs")
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", KEY_ID, "--secret-key", SECRET])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("s3s-fs could not be started ({e}): run the tests with scripts/test, which installs it")
            });
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "s3s-fs did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        S3sFs {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    /// Sets this store's client environment in the test process and
    /// returns it.
    pub fn set_env(&self) -> Vec<(&'static str, String)> {
        let env = vec![
            ("AWS_ENDPOINT", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.into()),
        ];
        for (k, v) in &env {
            std::env::set_var(k, v);
        }
        env
    }
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies a ledger directory: how a second sequencer is made.
pub fn copy_dir(from: &Path, to: &Path) {
    let ok = std::process::Command::new("cp")
        .args(["-a", s(from), s(to)])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

pub fn append_lines(ledger: &Path, lines: &str, env: &[(&str, String)]) -> (i32, String, String) {
    let mut child = bin()
        .args(["log", "append", s(ledger), "--lines"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
