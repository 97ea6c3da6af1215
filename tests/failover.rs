//! A ledger whose public tree is in a bucket (real Garage on loopback) and
//! whose checkpoint is guarded by a lock in a real PostgreSQL: the bucket
//! holds what a directory ledger holds, sequencers on copies of the ledger
//! take over from each other without forking, a sequencer killed mid-batch
//! is completed or discarded by the next, and the service serves the
//! bucket.

mod common;

use std::path::Path;
use std::process::Stdio;

use common::*;
use triage_ledger::note::SignedCheckpoint;
use triage_ledger::store::{self, ObjectTree, PublicTree, Snapshot, StoreError, Writer};

/// One test at a time: each starts its own servers, and the library's
/// clients take the store's address from the process environment.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn lines(prefix: &str, range: std::ops::Range<usize>) -> String {
    range.map(|i| format!("{prefix}-{i}\n")).collect()
}

/// A ledger in the bucket `s3://ledger/NAME` with its lock in PostgreSQL,
/// and a copy of its directory (a second sequencer): `a` and `b`.
struct TwoCopies {
    a: std::path::PathBuf,
    b: std::path::PathBuf,
    env: Vec<(&'static str, String)>,
    _dir: tempfile::TempDir,
    _pg: Postgres,
    _garage: Garage,
    _serial: std::sync::MutexGuard<'static, ()>,
}

impl TwoCopies {
    fn new(name: &str) -> TwoCopies {
        TwoCopies::made(name, &[])
    }

    /// A confidential ledger: its leaves are commitments, and their
    /// openings are sealed in the bucket with the sequencers' key. For the
    /// store's protocol under kills, its trust root is then removed from
    /// both copies, so that `log append` may write raw entries (each still
    /// logged as a commitment); statements through the policy are
    /// `confidential_services_fail_over_under_sigkill`.
    fn confidential(name: &str) -> TwoCopies {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem");
        let two = TwoCopies::made(name, &["--trust-root", root.to_str().unwrap()]);
        for copy in [&two.a, &two.b] {
            std::fs::remove_file(copy.join("trust/root.pem")).unwrap();
            assert!(copy.join("labels.vrf").exists());
        }
        two
    }

    fn made(name: &str, more: &[&str]) -> TwoCopies {
        let serial = serial();
        let garage = Garage::start();
        let pg = Postgres::start();
        let env = garage.set_env();
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let (origin, public) = (format!("example.org/{name}"), format!("s3://ledger/{name}"));
        let mut args = vec!["init", s(&a), "--origin", &origin, "--public", &public];
        args.extend(["--lock", &pg.url]);
        args.extend(more);
        let (code, _, err) = run_env(&args, &env);
        assert_eq!(code, 0, "{err}");
        let b = dir.path().join("b");
        copy_dir(&a, &b);
        TwoCopies {
            a,
            b,
            env,
            _dir: dir,
            _pg: pg,
            _garage: garage,
            _serial: serial,
        }
    }
}

/// `init LEDGER --origin ORIGIN --public PUBLIC [--lock LOCK]`, which must
/// succeed; its stderr.
fn init_in_bucket(
    ledger: &Path,
    origin: &str,
    public: &str,
    lock: Option<&str>,
    env: &[(&str, String)],
) -> String {
    let mut args = vec!["init", s(ledger), "--origin", origin, "--public", public];
    args.extend(lock.iter().flat_map(|l| ["--lock", *l]));
    let (code, _, err) = run_env(&args, env);
    assert_eq!(code, 0, "{err}");
    err
}

fn size_of(ledger: &Path, env: &[(&str, String)]) -> u64 {
    let (code, out, err) = run_env(&["log", "checkpoint", s(ledger)], env);
    assert_eq!(code, 0, "{err}");
    out.lines().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_bucket_ledger_holds_what_a_directory_ledger_holds_and_moves_between_them() {
    let _serial = serial();
    let garage = Garage::start();
    let pg = Postgres::start();
    let env = garage.set_env();
    let dir = tempfile::tempdir().unwrap();
    let obj = dir.path().join("obj");
    let plain = dir.path().join("plain");

    // Garage ignores conditional writes: without a lock, init refuses and
    // leaves nothing behind.
    let (code, _, err) = run_env(
        &[
            "init",
            s(&obj),
            "--origin",
            "example.org/obj",
            "--public",
            "s3://ledger/obj",
        ],
        &env,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does not enforce conditional writes"), "{err}");
    assert!(err.contains("--lock postgres://"), "{err}");
    assert!(!obj.exists());

    // A lock that cannot be reached: named (without its password), exit 2.
    let unreachable = format!("postgres://postgres:hunter2@127.0.0.1:{}/x", free_port());
    let (code, _, err) = run_env(
        &[
            "init",
            s(&obj),
            "--origin",
            "example.org/obj",
            "--public",
            "s3://ledger/obj",
            "--lock",
            &unreachable,
        ],
        &env,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("postgres://postgres:***@127.0.0.1:"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert!(!obj.exists());

    let err = init_in_bucket(
        &obj,
        "example.org/obj",
        "s3://ledger/obj",
        Some(&pg.url),
        &env,
    );
    assert!(err.contains("s3://ledger/obj"), "{err}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(obj.join("public.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the lock's URL may carry a password");
    }
    let (code, _, err) = run_env(&["init", s(&plain), "--origin", "example.org/plain"], &env);
    assert_eq!(code, 0, "{err}");

    // The same entries in the same batches (within a tile, across tile
    // boundaries, one large batch) to both.
    // (A bucket ledger commits at most 4,096 entries at a time.)
    for (prefix, range) in [("a", 0..1), ("b", 0..300), ("c", 0..5), ("d", 0..4_000)] {
        let text = lines(prefix, range);
        for l in [&obj, &plain] {
            let (code, _, err) = append_lines(l, &text, &env);
            assert_eq!(code, 0, "{err}");
        }
    }
    let size = 4_306;
    assert_eq!(size_of(&obj, &env), size);

    // Every tile and bundle in the bucket is the directory's, byte for byte,
    // and the bucket holds nothing else public.
    let tree = ObjectTree::open("s3://ledger/obj").unwrap();
    let mut ours = files(&plain.join("log"));
    ours.retain(|n| n != "checkpoint");
    let mut theirs = tree.list("tile").unwrap();
    theirs.sort();
    assert_eq!(theirs, ours, "the same objects");
    for n in &ours {
        assert_eq!(
            tree.get(n).unwrap().unwrap(),
            std::fs::read(plain.join("log").join(n)).unwrap(),
            "{n}"
        );
    }
    // Tiles are cached forever, the checkpoint revalidated (for a CDN).
    assert_eq!(
        tree.cache_control_of("tile/entries/000")
            .unwrap()
            .as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(
        tree.cache_control_of("checkpoint").unwrap().as_deref(),
        Some("no-cache")
    );
    let listed = tree.list("").unwrap();
    assert!(
        listed
            .iter()
            .all(|n| n.starts_with("tile/") || n == "checkpoint"),
        "no staging or private object is left in the bucket: {listed:?}"
    );
    let vkey = std::fs::read_to_string(obj.join("vkey")).unwrap();
    let cp = SignedCheckpoint::open(
        &tree.get("checkpoint").unwrap().unwrap(),
        &triage_ledger::note::VerifierKey::parse(vkey.trim()).unwrap(),
    )
    .unwrap();
    assert_eq!(cp.root().size(), size);

    // The audit of the ledger covers its copy, the bucket and the lock.
    let (code, out, err) = run_env(&["log", "audit", s(&obj)], &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("the public tree (s3://ledger/obj)"), "{out}");
    assert!(out.contains("hold the same checkpoint"), "{out}");
    let (code, out, err) = run_env(
        &[
            "log",
            "audit",
            "s3://ledger/obj",
            "--vkey",
            s(&obj.join("vkey")),
        ],
        &env,
    );
    assert_eq!(code, 0, "{out}{err}");

    // A copy of the directory on "another machine" appends; the first copy
    // sees it at its next opening, entry for entry.
    let second = dir.path().join("second");
    copy_dir(&obj, &second);
    let (code, _, err) = append_lines(&second, "from-the-second\n", &env);
    assert_eq!(code, 0, "{err}");
    assert_eq!(size_of(&obj, &env), size + 1);
    let (code, out, _) = run_env(&["log", "get", s(&obj), "--index", &size.to_string()], &env);
    assert_eq!(code, 0);
    assert_eq!(out, "from-the-second");

    // Moved to another bucket (the lock already holds this checkpoint, so
    // it is kept), then back to the directory; audited each time.
    garage.bucket("moved");
    let (code, out, err) = run_env(
        &[
            "log",
            "migrate",
            s(&obj),
            "--public",
            "s3://moved/log",
            "--lock",
            &pg.url,
        ],
        &env,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("ok: {} entries", size + 1)), "{out}");
    let (code, _, err) = append_lines(&obj, "in-the-new-bucket\n", &env);
    assert_eq!(code, 0, "{err}");
    let moved = ObjectTree::open("s3://moved/log").unwrap();
    assert!(moved.get("checkpoint").unwrap().is_some());
    let (code, out, err) = run_env(&["log", "audit", s(&obj)], &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("s3://moved/log"), "{out}");
    let log = obj.join("log");
    let (code, out, err) = run_env(&["log", "migrate", s(&obj), "--public", s(&log)], &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!obj.join("public.json").exists());
    let (code, _, err) = append_lines(&obj, "back-home\n", &[]);
    assert_eq!(code, 0, "a directory ledger needs no store: {err}");
    assert_eq!(size_of(&obj, &[]), size + 3);

    // A bucket that already holds a tree is not overwritten.
    let (code, _, err) = run_env(
        &[
            "log",
            "migrate",
            s(&plain),
            "--public",
            "s3://ledger/obj",
            "--lock",
            &pg.url,
        ],
        &env,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already exists"), "{err}");
}

/// Two sequencers on two copies of the ledger race for 1,000 commits
/// through the library's writer: each commit is won by one, the loser
/// catches up and retries, and every checkpoint either saw is a prefix of
/// the final tree.
#[test]
fn two_sequencers_racing_for_a_thousand_commits_never_fork() {
    let two = TwoCopies::new("race");
    let (a, b, env) = (&two.a, &two.b, &two.env);

    let seen: Vec<(Vec<SignedCheckpoint>, usize)> = std::thread::scope(|scope| {
        let racers: Vec<_> = [(&a, "a"), (&b, "b")]
            .into_iter()
            .map(|(root, name)| {
                scope.spawn(move || {
                    let mut seen = Vec::new();
                    let mut slot: Option<Writer> = None;
                    let mut lost = 0;
                    let mut won = 0;
                    while won < 500 {
                        let entry = format!("{name}-{won}").into_bytes();
                        let before = slot.as_ref().map(|w| w.committed().clone());
                        let cp = match store::append_batch(root, &mut slot, &[entry]) {
                            Ok(cp) => cp,
                            // Lost every retry: stepped down; try again.
                            Err(StoreError::Superseded { .. }) => {
                                lost += 1;
                                continue;
                            }
                            Err(e) => panic!("{name}: {e}"),
                        };
                        won += 1;
                        // A commit not built on the checkpoint this writer
                        // held had lost the lock and caught up first.
                        if before.is_some_and(|b| cp.root().size() != b.root().size() + 1) {
                            lost += 1;
                        }
                        seen.push(cp);
                    }
                    (seen, lost)
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let losses: usize = seen.iter().map(|(_, l)| l).sum();
    assert!(
        losses > 0,
        "the race was real: some commits were lost and retried"
    );

    // One tree of 1,000 entries, each appended once, audited in the bucket.
    let tree = ObjectTree::open("s3://ledger/race").unwrap();
    let vkey = Snapshot::open(a).unwrap().vkey().clone();
    let report = store::audit_tree(&tree, &vkey).unwrap();
    assert_eq!(report.size, 1000);
    let l = Snapshot::open(a).unwrap();
    let mut entries: Vec<String> = (0..1000)
        .map(|i| String::from_utf8(l.read_entry(i).unwrap()).unwrap())
        .collect();
    entries.sort();
    entries.dedup();
    assert_eq!(entries.len(), 1000, "no entry twice, none lost");
    // Every checkpoint either saw is consistent with the final one.
    for cp in seen.iter().flat_map(|(s, _)| s) {
        let (old_root, proof) = l.prove_consistency_from(cp.root().size()).unwrap();
        assert_eq!(&old_root, cp.root(), "a fork at size {}", cp.root().size());
        proof.verify(&old_root, l.checkpoint().root()).unwrap();
    }
    let (code, out, err) = run_env(&["log", "audit", s(b)], env);
    assert_eq!(code, 0, "{out}{err}");
}

/// A sequencer killed between the steps of a commit: staged but not
/// locked (its batch is discarded), locked but not published, or tiles
/// written but no checkpoint (its batch is completed); and killed at
/// arbitrary moments. The next sequencer carries on, and the log audits.
#[test]
fn a_sequencer_killed_mid_batch_is_completed_or_discarded_by_the_next() {
    let two = TwoCopies::new("crash");
    killed_mid_batch(&two, &[30, 80, 150, 250]);
    streamed_in_batches(&two);
}

/// The same on a confidential ledger: what the killed sequencer locked is
/// completed with its openings (from the staged batch, sealed), the other
/// copy reads every statement, and no object of the bucket holds one in
/// clear.
#[test]
fn a_confidential_sequencer_killed_mid_batch_loses_no_opening() {
    let two = TwoCopies::confidential("crash-confidential");
    assert!(two.a.join("private/openings.key").exists());
    killed_mid_batch(&two, &[80, 250]);
    let tree = ObjectTree::open("s3://ledger/crash-confidential").unwrap();
    let objects = tree.list("").unwrap();
    assert!(
        objects
            .iter()
            .any(|o| o.starts_with("private/openings/tile/entries/")),
        "{objects:?}"
    );
    for o in &objects {
        let data = tree.get(o).unwrap().unwrap_or_default();
        for clear in [&b"base-"[..], b"locked-", b"after-", b"killed-"] {
            assert!(
                !data.windows(clear.len()).any(|w| w == clear),
                "{o} holds a statement in clear"
            );
        }
    }
}

fn killed_mid_batch(two: &TwoCopies, delays: &[u64]) {
    let (a, b, env) = (&two.a, &two.b, &two.env);
    let (code, _, err) = append_lines(a, &lines("base", 0..300), env);
    assert_eq!(code, 0, "{err}");

    let mut expected = 300;
    for (point, kept) in [("staged", false), ("locked", true), ("tiles", true)] {
        let mut crash = env.clone();
        crash.push(("TRIAGE_LEDGER_CRASH_AT", point.into()));
        let (code, _, err) = append_lines(a, &lines(point, 0..600), &crash);
        assert_ne!(code, 0, "killed at {point}: {err}");
        if kept {
            expected += 600;
        }
        // The other sequencer opens, completes or ignores, and commits.
        let (code, _, err) = append_lines(b, &format!("after-{point}\n"), env);
        assert_eq!(code, 0, "after {point}: {err}");
        expected += 1;
        assert_eq!(size_of(b, env), expected, "after {point}");
        let (code, out, err) = run_env(&["log", "audit", s(b)], env);
        assert_eq!(code, 0, "after {point}: {out}{err}");
        // The killed one's own copy catches up over its leftovers.
        let (code, out, err) = run_env(&["log", "audit", s(a)], env);
        assert_eq!(code, 0, "the killed copy after {point}: {out}{err}");
    }
    let l = Snapshot::open(b).unwrap();
    let entry = |i: u64| String::from_utf8(l.read_entry(i).unwrap()).unwrap();
    assert_eq!(entry(300), "after-staged", "the staged batch was discarded");
    assert_eq!(entry(301), "locked-0", "the locked batch was completed");

    // Killed at arbitrary moments of a long append.
    for &delay_ms in delays {
        let mut child = bin()
            .args(["log", "append", s(a), "--lines"])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Fed from another thread, so that the kill lands while it runs
        // (a pipe holds only 64 KiB).
        let mut stdin = child.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(lines("killed", 0..10_000).as_bytes());
        });
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        feeder.join().unwrap();
        let (code, _, err) = append_lines(b, "next\n", env);
        assert_eq!(code, 0, "after a kill at {delay_ms} ms: {err}");
        let (code, out, err) = run_env(&["log", "audit", s(b)], env);
        assert_eq!(code, 0, "after a kill at {delay_ms} ms: {out}{err}");
    }
    let (code, out, err) = run_env(&["log", "audit", s(a)], env);
    assert_eq!(code, 0, "{out}{err}");
    // Both copies read the same statements.
    let (la, lb) = (Snapshot::open(a).unwrap(), Snapshot::open(b).unwrap());
    let size = lb.checkpoint().root().size();
    assert_eq!(la.checkpoint().root().size(), size);
    for i in (0..size).step_by(97) {
        assert_eq!(la.read_entry(i).unwrap(), lb.read_entry(i).unwrap(), "{i}");
    }
}

fn streamed_in_batches(two: &TwoCopies) {
    let (a, b, env) = (&two.a, &two.b, &two.env);
    // Input is committed as it comes, 4,096 entries a batch: a bad line
    // after the first batch stops the append and says what was committed.
    let before = size_of(b, env);
    let input = format!("{}{}\n", lines("streamed", 0..5000), "x".repeat(70_000));
    let (code, _, err) = append_lines(b, &input, env);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("stdin line 5001 is over 65535 bytes"), "{err}");
    assert!(
        err.contains(&format!(
            "4096 entries before it were committed; tree size {}",
            before + 4096
        )),
        "{err}"
    );
    assert_eq!(size_of(a, env), before + 4096);
}

/// Two services on two copies of a policy ledger whose tree is in the
/// bucket: each registers statements, the one that falls behind catches up
/// and retries, and the tiles are served from the bucket.
#[test]
fn two_services_share_a_bucket_ledger_and_serve_its_tiles_from_the_bucket() {
    let _serial = serial();
    let garage = Garage::start();
    let pg = Postgres::start();
    let env = garage.set_env();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let one = d.join("one");
    let root_pem = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem");
    let (code, _, err) = run_env(
        &[
            "init",
            s(&one),
            "--origin",
            "example.org/srv",
            "--trust-root",
            s(&root_pem),
            "--records",
            "public",
            "--public",
            "s3://ledger/srv",
            "--lock",
            &pg.url,
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    let two = d.join("two");
    copy_dir(&one, &two);
    let root = identity(d, "demo-root");
    let op = identity(d, "demo-operator");
    let submit = |url: &str, file: &Path| {
        let (code, out, err) = run_env(&["submit", "--url", url, s(file)], &env);
        assert_eq!(code, 0, "{out}{err}");
        out
    };
    let des = sign(
        d,
        "designate",
        &root,
        &["--role", "ssc", "--party", "SECGB-SSC-DEMO", "--note", "n"],
    );
    let reg = |id: &str| {
        sign(
            d,
            "register",
            &op,
            &["--facility", id, "--name", "N", "--site", "S"],
        )
    };

    let first = Served::start(&["serve", s(&one), "--listen", "127.0.0.1:0"], &env);
    submit(&first.url, &des);
    submit(&first.url, &reg("TF-1"));
    // The second service opens its copy after those commits: it catches up.
    let second = Served::start(&["serve", s(&two), "--listen", "127.0.0.1:0"], &env);
    let out = submit(&second.url, &reg("TF-2"));
    assert!(out.contains("entry 4"), "{out}");
    // The first one's next commit loses the lock, catches up, retries.
    let out = submit(&first.url, &reg("TF-3"));
    assert!(out.contains("entry 6"), "{out}");

    let tree = ObjectTree::open("s3://ledger/srv").unwrap();
    let (code, body) = http_get(&format!("{}/checkpoint", first.url));
    assert_eq!(code, 200);
    assert_eq!(Some(body), tree.get("checkpoint").unwrap());
    // The partial bundle: changed in the first copy's directory, served
    // as the bucket holds it.
    let rel = "tile/entries/000.p/8";
    let local = one.join("log").join(rel);
    let good = std::fs::read(&local).unwrap();
    std::fs::write(&local, b"not what the log holds").unwrap();
    let (code, body) = http_get(&format!("{}/{rel}", first.url));
    assert_eq!(code, 200);
    assert_eq!(body, good);
    assert_eq!(Some(body), tree.get(rel).unwrap());
    std::fs::write(&local, &good).unwrap();
    let (code, out, err) = run_env(
        &[
            "log",
            "audit",
            "--url",
            &first.url,
            "--vkey",
            s(&one.join("vkey")),
        ],
        &env,
    );
    assert_eq!(code, 0, "{out}{err}");
    drop(first);
    drop(second);
    for copy in [&one, &two] {
        let (code, out, err) = run_env(&["log", "audit", s(copy)], &env);
        assert_eq!(code, 0, "{out}{err}");
        let (code, out, err) = run_env(&["status", s(copy), "--facility", "TF-3"], &env);
        assert_eq!(code, 0, "{out}{err}");
    }
}

/// A store that enforces conditional writes (s3s-fs) holds the lock
/// itself: the probe proves it refuses a second create and a stale update
/// before `init` relies on it, and a sequencer that built on an old
/// checkpoint loses its swap and catches up.
#[test]
fn a_store_that_enforces_conditional_writes_is_its_own_lock() {
    own_lock("cas", false);
}

/// The same with a confidential ledger: the loser catches up with the
/// winner's openings, sealed in the bucket.
#[test]
fn a_confidential_ledger_on_a_store_that_is_its_own_lock_catches_up_its_openings() {
    own_lock("cas-confidential", true);
}

fn own_lock(name: &str, confidential: bool) {
    let _serial = serial();
    let store = S3sFs::start();
    let env = store.set_env();
    let tree = ObjectTree::open("s3://ledger/probe").unwrap();
    let probed = tree.probe_conditional_writes().unwrap();
    assert!(probed.create_refused, "s3s-fs {S3S_FS:?}: {probed}");
    assert!(probed.stale_update_refused, "s3s-fs {S3S_FS:?}: {probed}");

    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let (origin, public) = (format!("example.org/{name}"), format!("s3://ledger/{name}"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem");
    let mut args = vec!["init", s(&a), "--origin", &origin, "--public", &public];
    if confidential {
        args.extend(["--trust-root", s(&root)]);
    }
    let (code, _, err) = run_env(&args, &env);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("lock: {public}/lock/checkpoint")),
        "{err}"
    );
    if confidential {
        // Raw entries for the store's protocol (see TwoCopies::confidential).
        std::fs::remove_file(a.join("trust/root.pem")).unwrap();
    }
    let b = dir.path().join("b");
    copy_dir(&a, &b);
    let (code, _, err) = append_lines(&a, &lines("a", 0..300), &env);
    assert_eq!(code, 0, "{err}");

    // b opens its copy (caught up to 300) and holds its writer while a
    // commits again: b's swap names a checkpoint the lock no longer holds.
    let mut held = Some(Writer::open_raw(&b).unwrap());
    assert_eq!(held.as_ref().unwrap().committed().root().size(), 300);
    let (code, _, err) = append_lines(&a, "a-again\n", &env);
    assert_eq!(code, 0, "{err}");
    let w = held.as_mut().unwrap();
    w.append(b"b-stale").unwrap();
    match w.commit() {
        Err(StoreError::Superseded { size, .. }) => assert_eq!(size, 301),
        other => panic!(
            "a stale swap must lose: {:?}",
            other.map(|c| c.root().size())
        ),
    }
    // Through append_batch the loser reopens, catches up and wins.
    let cp = store::append_batch(&b, &mut held, &[b"b-retried".to_vec()]).unwrap();
    assert_eq!(cp.root().size(), 302);
    let l = Snapshot::open(&a).unwrap();
    assert_eq!(l.read_entry(301).unwrap(), b"b-retried");
    assert_eq!(l.read_entry(299).unwrap(), b"a-299");
    assert_eq!(
        triage_ledger::commitment::is_leaf(&l.read_leaf(301).unwrap()),
        confidential
    );
    let (code, out, err) = run_env(&["log", "audit", s(&a)], &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("the lock ({public}/lock/checkpoint)")),
        "{out}"
    );
}

/// Completing a crashed sequencer's batch never replaces an object with
/// different bytes: a tile changed in the bucket before the next sequencer
/// opens is named, and nothing is written over it.
#[test]
fn a_recovery_refuses_to_overwrite_an_object_that_differs() {
    let two = TwoCopies::new("refuse");
    let (a, b, env) = (&two.a, &two.b, &two.env);
    let (code, _, err) = append_lines(a, &lines("base", 0..300), env);
    assert_eq!(code, 0, "{err}");
    let mut crash = env.clone();
    crash.push(("TRIAGE_LEDGER_CRASH_AT", "tiles".into()));
    let (code, _, _) = append_lines(a, &lines("crashed", 0..600), &crash);
    assert_ne!(code, 0);
    // The batch's partial bundle, in the bucket, with one byte changed.
    let tree = ObjectTree::open("s3://ledger/refuse").unwrap();
    let rel = "tile/entries/003.p/132";
    let good = tree.get(rel).unwrap().expect("written before the crash");
    let mut bad = good.clone();
    bad[10] ^= 1;
    tree.put(rel, bad.clone()).unwrap();
    let (code, _, err) = append_lines(b, "next\n", env);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("s3://ledger/refuse/tile/entries/003.p/132"),
        "{err}"
    );
    assert!(err.contains("is not replaced"), "{err}");
    assert_eq!(tree.get(rel).unwrap().unwrap(), bad, "left as it was");
    // Put back, the next opening completes the batch and carries on.
    tree.put(rel, good).unwrap();
    let (code, _, err) = append_lines(b, "next\n", env);
    assert_eq!(code, 0, "{err}");
    assert_eq!(size_of(b, env), 901);
    let (code, out, err) = run_env(&["log", "audit", s(b)], env);
    assert_eq!(code, 0, "{out}{err}");
}

fn post_cose(url: &str, body: &[u8]) -> (u16, Option<u64>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into();
    let Ok(r) = agent
        .post(&format!("{url}/entries"))
        .header("Content-Type", "application/cose")
        .send(body)
    else {
        return (0, None);
    };
    let index = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|l| l.rsplit('/').next()?.parse().ok());
    (r.status().as_u16(), index)
}

/// Two services on two copies of a confidential ledger whose tree is in
/// the bucket: the first is killed (SIGKILL) while it registers
/// statements; the second takes over, and every statement the first
/// answered 201 is in the log, opened from the sealed openings, at the
/// entry it was answered with. No object of the bucket names a facility.
#[test]
fn confidential_services_fail_over_under_sigkill() {
    let _serial = serial();
    let garage = Garage::start();
    let pg = Postgres::start();
    let env = garage.set_env();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let one = d.join("one");
    let root_pem = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem");
    let (code, _, err) = run_env(
        &[
            "init",
            s(&one),
            "--origin",
            "example.org/csrv",
            "--trust-root",
            s(&root_pem),
            "--public",
            "s3://ledger/csrv",
            "--lock",
            &pg.url,
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    assert!(one.join("labels.vrf").exists(), "confidential by default");
    let two = d.join("two");
    copy_dir(&one, &two);
    let root = identity(d, "demo-root");
    let op = identity(d, "demo-operator");
    let des = sign(
        d,
        "designate",
        &root,
        &["--role", "ssc", "--party", "SECGB-SSC-DEMO", "--note", "n"],
    );
    let regs: Vec<Vec<u8>> = (0..40)
        .map(|i| {
            let id = format!("TF-{i:03}");
            std::fs::read(sign(
                d,
                "register",
                &op,
                &["--facility", &id, "--name", "N", "--site", "S"],
            ))
            .unwrap()
        })
        .collect();

    let first = Served::start(&["serve", s(&one), "--listen", "127.0.0.1:0"], &env);
    assert_eq!(post_cose(&first.url, &std::fs::read(&des).unwrap()).0, 201);
    let url = first.url.clone();
    let mut acknowledged: Vec<(Vec<u8>, u64)> = regs[..10]
        .iter()
        .map(|r| match post_cose(&url, r) {
            (201, Some(index)) => (r.clone(), index),
            other => panic!("{other:?}"),
        })
        .collect();
    let first = std::sync::Mutex::new(Some(first));
    acknowledged.extend(std::thread::scope(|sc| {
        let hs: Vec<_> = regs[10..39]
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let (url, first) = (url.clone(), &first);
                sc.spawn(move || {
                    if k == 12 {
                        // SIGKILL, while the others are in flight.
                        drop(first.lock().unwrap().take());
                    }
                    match post_cose(&url, r) {
                        (201, Some(index)) => Some((r.clone(), index)),
                        _ => None,
                    }
                })
            })
            .collect();
        hs.into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    }));
    // The second copy takes over: it catches up from the bucket, openings
    // included, and registers.
    let second = Served::start(&["serve", s(&two), "--listen", "127.0.0.1:0"], &env);
    assert_eq!(post_cose(&second.url, &regs[39]).0, 201);
    drop(second);
    let (code, out, err) = run_env(&["log", "audit", s(&two)], &env);
    assert_eq!(code, 0, "{out}{err}");
    let l = Snapshot::open(&two).unwrap();
    for (bytes, index) in &acknowledged {
        assert_eq!(
            &l.read_entry(*index).unwrap(),
            bytes,
            "entry {index} answered 201"
        );
        assert!(triage_ledger::commitment::is_leaf(
            &l.read_leaf(*index).unwrap()
        ));
    }
    // The killed copy catches up too, and both agree.
    let (code, out, err) = run_env(&["log", "audit", s(&one)], &env);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run_env(&["status", s(&one), "--facility", "TF-039"], &env);
    assert_eq!(code, 0, "{out}{err}");
    let tree = ObjectTree::open("s3://ledger/csrv").unwrap();
    for o in tree.list("").unwrap() {
        let data = tree.get(&o).unwrap().unwrap_or_default();
        for clear in [&b"TF-0"[..], b"SECGB-", b"demo"] {
            assert!(
                !data.windows(clear.len()).any(|w| w == clear),
                "{o} names a record"
            );
        }
    }
}

/// The confidential demo moved to a real bucket (Garage, lock in
/// PostgreSQL): no object of the bucket — tiles, checkpoint, staging,
/// sealed openings — holds any statement, its hash, signature, payload,
/// certificate, issuer, subject, content type, any facility id or its
/// SHA-256; and the ledger's audit opens every commitment from the
/// bucket's sealed openings.
#[test]
fn the_confidential_demo_in_a_bucket_shows_no_record() {
    let _serial = serial();
    let garage = Garage::start();
    let pg = Postgres::start();
    let env = garage.set_env();
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let (code, _, err) = run_env(&["demo", s(&demo)], &env);
    assert_eq!(code, 0, "{err}");
    let ledger = demo.join("ledger");
    assert!(
        ledger.join("labels.vrf").exists(),
        "the demo is confidential"
    );
    let (code, out, err) = run_env(
        &[
            "log",
            "migrate",
            s(&ledger),
            "--public",
            "s3://ledger/demo",
            "--lock",
            &pg.url,
        ],
        &env,
    );
    assert_eq!(code, 0, "{out}{err}");

    // What the records say, from the ledger's own reading.
    let l = Snapshot::open(&ledger).unwrap();
    let size = l.checkpoint().root().size();
    let mut secrets: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..size {
        let b = l.read_entry(i).unwrap();
        if triage_ledger::history::is_index_entry(&b) {
            continue;
        }
        let st = triage_ledger::cose::Statement::parse(&b).unwrap();
        let h = st.header();
        let mut add =
            |what: &str, v: &[u8]| secrets.push((format!("entry {i}'s {what}"), v.to_vec()));
        add("statement", &b[..64]);
        add(
            "SHA-256",
            triage_ledger::merkle::Hash::digest(&b).as_bytes(),
        );
        add("signature", &b[b.len() - 64..]);
        add("payload", st.payload());
        add("certificate", &h.x5chain[0][..64]);
        add("issuer", h.issuer.as_bytes());
        add("content type", h.content_type.as_bytes());
        if h.subject != triage_ledger::policy::SCHEME_SUBJECT {
            add("subject", h.subject.as_bytes());
            add(
                "subject's SHA-256",
                &triage_ledger::history::key_of(&h.subject),
            );
        }
    }
    assert!(secrets.len() > 100, "{}", secrets.len());
    let tree = ObjectTree::open("s3://ledger/demo").unwrap();
    let objects = tree.list("").unwrap();
    assert!(
        objects.iter().any(|o| o.starts_with("private/openings/")),
        "{objects:?}"
    );
    for o in &objects {
        let data = tree.get(o).unwrap().unwrap_or_default();
        for (what, needle) in &secrets {
            assert!(
                !data.windows(needle.len()).any(|w| w == needle.as_slice()),
                "{what} is readable in s3://ledger/demo/{o}"
            );
        }
    }
    // The audit of a bucket ledger opens every commitment from the
    // bucket's sealed openings.
    let (code, out, err) = run_env(&["log", "audit", s(&ledger)], &env);
    assert_eq!(code, 0, "{out}{err}");
}
