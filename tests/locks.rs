//! The compare-and-swap lock in a real PostgreSQL (Debian's server, which
//! `scripts/test` installs when missing), started on loopback for the test.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use triage_ledger::store::{CheckpointLock, PgLock};

/// A throwaway cluster owned by the `postgres` user; stopped when dropped.
struct Postgres {
    bin: std::path::PathBuf,
    data: std::path::PathBuf,
    url: String,
    _dir: tempfile::TempDir,
}

fn as_postgres(bin: &Path, args: &[&str]) -> std::process::Output {
    Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(bin)
        .args(args)
        .output()
        .expect("runuser")
}

impl Postgres {
    fn start() -> Postgres {
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

#[test]
fn the_postgres_lock_lets_exactly_one_of_two_racing_sequencers_move() {
    let pg = Postgres::start();
    let lock = PgLock::connect(&pg.url, "example.org/log").unwrap();
    assert_eq!(lock.fetch().unwrap(), None);
    assert!(lock.swap(None, b"0").unwrap(), "the first create");
    assert!(
        !lock.swap(None, b"x").unwrap(),
        "a second create is refused"
    );
    assert!(lock.swap(Some(b"0"), b"1").unwrap());
    assert!(
        !lock.swap(Some(b"0"), b"2").unwrap(),
        "a stale swap is refused"
    );
    assert_eq!(lock.fetch().unwrap().as_deref(), Some(&b"1"[..]));
    // Another log's row is another lock.
    let other = PgLock::connect(&pg.url, "example.org/other").unwrap();
    assert_eq!(other.fetch().unwrap(), None);

    // Two sequencers race to 1,000 commits, each reading the lock and
    // swapping in its successor: every commit has exactly one winner, so
    // the winners' steps form one chain (no two from the same checkpoint).
    let started = Instant::now();
    let winners: Vec<Vec<(u64, String)>> = std::thread::scope(|s| {
        let racers: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|name| {
                let url = pg.url.clone();
                s.spawn(move || {
                    let lock = PgLock::connect(&url, "example.org/race").unwrap();
                    let mut won = Vec::new();
                    loop {
                        let cur = lock.fetch().unwrap();
                        let n = cur.as_deref().map_or(0, |b| {
                            let t = String::from_utf8(b.to_vec()).unwrap();
                            t.split(' ').next().unwrap().parse::<u64>().unwrap()
                        });
                        if n >= 1000 {
                            return won;
                        }
                        let next = format!("{} {name}", n + 1);
                        if lock.swap(cur.as_deref(), next.as_bytes()).unwrap() {
                            won.push((n + 1, next));
                        }
                        assert!(started.elapsed() < Duration::from_secs(120));
                    }
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let mut steps: Vec<u64> = winners.iter().flatten().map(|(n, _)| *n).collect();
    steps.sort_unstable();
    assert_eq!(
        steps,
        (1..=1000).collect::<Vec<_>>(),
        "each commit won once"
    );
}
