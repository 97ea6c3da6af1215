//! The compare-and-swap lock in a real PostgreSQL (Debian's server, which
//! `scripts/test` installs when missing), started on loopback for the test.

use std::time::{Duration, Instant};

use crate::common::Postgres;
use triage_ledger::store::{CheckpointLock, PgLock};

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
