//! The public tree in object storage: a real S3-compatible server (Garage,
//! `cargo install garage --locked`, which `scripts/test` installs) started
//! on loopback for the test, never a mock of it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use triage_ledger::store::{ObjectTree, PublicTree};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_triage-ledger"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The version `scripts/test` installs.
const GARAGE: &str = "2.5.0";

const KEY_ID: &str = "GK0000000000000000000000a1";
const SECRET: &str = "00000000000000000000000000000000000000000000000000000000000000b2";

/// A single-node Garage on loopback with one bucket, `ledger`, and one key
/// allowed on it; stopped when dropped.
struct Garage {
    child: Child,
    config: PathBuf,
    endpoint: String,
    _dir: tempfile::TempDir,
}

impl Garage {
    fn start() -> Garage {
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
    fn until_ok(&self, args: &[&str]) -> String {
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

    /// The environment a client of this store needs.
    fn env(&self) -> Vec<(&'static str, String)> {
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

fn run_env(args: &[&str], env: &[(&str, String)]) -> (i32, String, String) {
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
fn files(dir: &Path) -> Vec<String> {
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

#[test]
fn a_public_tree_in_a_bucket_is_audited_where_it_is() {
    let garage = Garage::start();
    let env = garage.env();
    for (k, v) in &env {
        // This test binary's own client (the upload below) reads them too.
        std::env::set_var(k, v);
    }
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let (code, _, err) = run_env(&["demo", s(&demo)], &[]);
    assert_eq!(code, 0, "{err}");
    let ledger = demo.join("ledger");
    let log = ledger.join("log");
    let vkey = ledger.join("vkey");

    // The directory's public tree, object by object, into the bucket; read
    // back byte for byte.
    let tree = ObjectTree::open("s3://ledger/demo").unwrap();
    let names = files(&log);
    assert!(names.iter().any(|n| n.starts_with("tile/entries/")));
    for n in &names {
        tree.put(n, std::fs::read(log.join(n)).unwrap()).unwrap();
    }
    for n in &names {
        assert_eq!(
            tree.get(n).unwrap().unwrap(),
            std::fs::read(log.join(n)).unwrap(),
            "{n}"
        );
    }
    assert_eq!(tree.get("tile/0/999").unwrap(), None, "absent is None");

    let audit = |env: &[(&str, String)]| {
        run_env(
            &["log", "audit", "s3://ledger/demo", "--vkey", s(&vkey)],
            env,
        )
    };
    let (code, out, err) = audit(&env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok: 60 entries in 1 bundles"), "{out}");
    // The bucket can be listed, so older partial tiles are compared.
    assert!(out.contains("older partial tiles are prefixes"), "{out}");
    let (_, local, _) = run_env(&["log", "audit", s(&ledger)], &[]);
    assert_eq!(
        out.lines().next(),
        local.lines().next(),
        "the same checkpoint"
    );

    // The monitor reads the bucket as it reads a directory.
    let (code, remote, err) = run_env(
        &[
            "monitor",
            "s3://ledger/demo",
            "--trust",
            s(&demo.join("trust")),
            "--facility",
            "TF-0001",
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    let (_, local, _) = run_env(&["monitor", s(&ledger), "--facility", "TF-0001"], &[]);
    assert_eq!(remote, local);

    // Wrong credentials: an I/O error (exit 2) naming the object.
    let mut wrong = env.clone();
    wrong.retain(|(k, _)| *k != "AWS_SECRET_ACCESS_KEY");
    wrong.push(("AWS_SECRET_ACCESS_KEY", "f".repeat(64)));
    let (code, _, err) = audit(&wrong);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("s3://ledger/demo/checkpoint"), "{err}");

    // One entry changed in the bucket: named, exit 1.
    let bundle = "tile/entries/000.p/60";
    let mut bytes = tree.get(bundle).unwrap().unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    tree.put(bundle, bytes).unwrap();
    let (code, _, err) = audit(&env);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("s3://ledger/demo/tile/entries/000.p/60"),
        "{err}"
    );
    assert!(err.contains("does not hash to the leaf hash"), "{err}");

    // Garage accepts conditional writes and does not enforce them: the
    // probe a lock must pass before it relies on them says so.
    let probed = tree.probe_conditional_writes().unwrap();
    assert_eq!(
        probed,
        triage_ledger::store::ConditionalWrites {
            create_refused: false,
            stale_update_refused: false,
        },
        "Garage {GARAGE:?} was measured to ignore both; if this changed, revisit the lock choice"
    );
    assert!(!probed.enforced());

    // Without a key there is nothing to check the checkpoint with.
    let (code, _, err) = run_env(&["log", "audit", "s3://ledger/demo"], &env);
    assert_eq!(code, 2, "{err}");
}
