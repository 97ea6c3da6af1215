//! The log never signs a fork (issue 23): an attacker with write access to
//! the lock — a PostgreSQL row restored with `UPDATE`, or the lock object
//! in a bucket that is its own lock — puts back an older checkpoint. Every
//! sequencer, the one that wrote the newer tree and a failover copy that
//! never saw it, refuses to sign on top of it and names the rollback; the
//! bucket's checkpoint is not rolled back; once the lock is restored, the
//! log goes on. Real Garage, s3s-fs and PostgreSQL on loopback.

mod common;

use std::path::Path;

use common::*;
use triage_ledger::note::SignedCheckpoint;
use triage_ledger::store::{CheckpointLock, ObjectLock, ObjectTree, PgLock, PublicTree, Snapshot};

/// One test at a time: the library's clients take the store's address
/// from the process environment.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn lines(prefix: &str, n: usize) -> String {
    (0..n).map(|i| format!("{prefix}-{i}\n")).collect()
}

fn size_of(note: &[u8]) -> u64 {
    std::str::from_utf8(note)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

/// The attack and what must follow, for any lock: `a` wrote the tree up to
/// 300 entries after `b` (a copy made at 200) was taken; the lock is put
/// back to 200.
fn rolled_back_lock_is_refused(
    a: &Path,
    b: &Path,
    lock: &dyn CheckpointLock,
    public: &str,
    env: &[(&str, String)],
) {
    let (code, _, err) = append_lines(a, &lines("a", 200), env);
    assert_eq!(code, 0, "{err}");
    let old = lock.fetch().unwrap().unwrap();
    assert_eq!(size_of(&old), 200);
    copy_dir(a, b);
    let (code, _, err) = append_lines(a, &lines("b", 100), env);
    assert_eq!(code, 0, "{err}");
    let new = lock.fetch().unwrap().unwrap();
    assert_eq!(size_of(&new), 300);
    let bucket = ObjectTree::open(public).unwrap();
    let published = bucket.get("checkpoint").unwrap().unwrap();
    assert_eq!(size_of(&published), 300);

    // The attack: the older checkpoint put back in the lock.
    assert!(lock.swap(Some(&new), &old).unwrap());

    // The failover copy never saw size 300: it finds the rollback in the
    // bucket, refuses, signs nothing, and says what happened.
    let (code, _, err) = append_lines(b, "fork-0\n", env);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("ROLLBACK"), "{err}");
    assert!(err.contains("tree size 200"), "{err}");
    // The first sequencer is not confused into "not a copy": a rollback.
    let (code, _, err) = append_lines(a, "after-0\n", env);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("ROLLBACK"), "{err}");
    // Nothing was signed on top of 200: the lock and the bucket are as
    // the attacker and the honest sequencer left them.
    assert_eq!(lock.fetch().unwrap().unwrap(), old);
    assert_eq!(bucket.get("checkpoint").unwrap().unwrap(), published);
    // Readers of the rolled-back ledger are told too.
    let (code, _, err) = run_env(&["log", "checkpoint", s(a)], env);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("ROLLBACK"), "{err}");
    let vkey = std::fs::read_to_string(a.join("vkey")).unwrap();
    let vkey = triage_ledger::note::VerifierKey::parse(vkey.trim()).unwrap();
    assert_eq!(
        SignedCheckpoint::open(&published, &vkey)
            .unwrap()
            .root()
            .size(),
        300
    );

    // The lock restored: the copy catches up to 300 and goes on.
    assert!(lock.swap(Some(&old), &new).unwrap());
    let (code, _, err) = append_lines(b, "b-after\n", env);
    assert_eq!(code, 0, "{err}");
    assert_eq!(size_of(&lock.fetch().unwrap().unwrap()), 301);
    let (code, _, err) = append_lines(a, "a-after\n", env);
    assert_eq!(code, 0, "{err}");
    assert_eq!(size_of(&lock.fetch().unwrap().unwrap()), 302);
    let (code, out, err) = run_env(&["log", "audit", s(a)], env);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_lock_row_restored_in_postgresql_never_makes_the_key_sign_a_fork() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let garage = Garage::start();
    let pg = Postgres::start();
    let env = garage.set_env();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (origin, public) = ("example.org/rollback-pg", "s3://ledger/rollback-pg");
    let (code, _, err) = run_env(
        &[
            "init",
            s(&a),
            "--origin",
            origin,
            "--public",
            public,
            "--lock",
            &pg.url,
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    let lock = PgLock::connect(&pg.url, origin).unwrap();
    rolled_back_lock_is_refused(&a, &b, &lock, public, &env);
}

#[test]
fn a_lock_object_put_back_in_the_bucket_never_makes_the_key_sign_a_fork() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let store = S3sFs::start();
    let env = store.set_env();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let public = "s3://ledger/rollback-cas";
    let (code, _, err) = run_env(
        &[
            "init",
            s(&a),
            "--origin",
            "example.org/rollback-cas",
            "--public",
            public,
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    let lock = ObjectLock::open(public).unwrap();
    rolled_back_lock_is_refused(&a, &b, &lock, public, &env);
}

#[test]
fn a_directory_restored_from_an_older_backup_is_refused_before_signing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, backup) = (dir.path().join("a"), dir.path().join("backup"));
    let (code, _, err) = run_env(&["init", s(&a), "--origin", "example.org/backup"], &[]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = append_lines(&a, &lines("x", 10), &[]);
    assert_eq!(code, 0, "{err}");
    copy_dir(&a, &backup);
    let (code, _, err) = append_lines(&a, &lines("y", 10), &[]);
    assert_eq!(code, 0, "{err}");
    // The log directory put back from the backup; the key's mark stays.
    std::fs::remove_dir_all(a.join("log")).unwrap();
    copy_dir(&backup.join("log"), &a.join("log"));
    if backup.join("index").exists() {
        let _ = std::fs::remove_dir_all(a.join("index"));
        copy_dir(&backup.join("index"), &a.join("index"));
    }
    let (code, _, err) = append_lines(&a, "fork\n", &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("ROLLBACK"), "{err}");
    assert!(err.contains("tree size 10") && err.contains("20"), "{err}");
    let l = Snapshot::open(&a).unwrap();
    assert_eq!(l.checkpoint().root().size(), 10, "nothing signed on it");
}
