//! Store tests: round trips against the in-memory reference tree, crash
//! leftovers, locking, and audit blame.

use super::*;

#[cfg(feature = "service")]
mod breaks;
use crate::merkle::{leaf_hash, MemoryTree};

fn entry(i: u64) -> Vec<u8> {
    format!("entry number {i}").into_bytes()
}

fn new_ledger() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ledger");
    init(&root, "example.com/test-log").unwrap();
    (dir, root)
}

#[test]
fn appends_in_batches_match_the_reference_tree_and_prove() {
    let (_d, root) = new_ledger();
    let mut reference = MemoryTree::new();
    let mut checkpoints = Vec::new();
    // Batch sizes chosen to cross tile and level boundaries: 256, 65536.
    for batch in [1u64, 2, 253, 1, 255, 256, 300, 65_000, 600] {
        let mut w = Writer::open(&root).unwrap();
        for _ in 0..batch {
            let i = reference.size();
            assert_eq!(w.append(&entry(i)).unwrap(), i);
            reference.push(leaf_hash(&entry(i)));
        }
        let cp = w.commit().unwrap().clone();
        assert_eq!(cp.root(), &reference.root(), "after batch of {batch}");
        checkpoints.push(cp);
        drop(w);
        let ledger = Snapshot::open(&root).unwrap();
        let size = reference.size();
        for i in [0, size / 3, size / 2, size - 1] {
            let p = ledger.prove_inclusion(i).unwrap();
            assert_eq!(
                p,
                crate::merkle::inclusion_proof(&reference, i, size).unwrap()
            );
            p.verify(&reference.leaves()[i as usize], ledger.checkpoint().root())
                .unwrap();
            assert_eq!(ledger.read_entry(i).unwrap(), entry(i));
        }
        for old in &checkpoints {
            let p = ledger.prove_consistency(old.root().size()).unwrap();
            p.verify(old.root(), ledger.checkpoint().root()).unwrap();
        }
        audit(&root).unwrap();
    }
}

#[test]
fn uncommitted_appends_vanish_on_reopen() {
    let (_d, root) = new_ledger();
    let mut w = Writer::open(&root).unwrap();
    for i in 0..300 {
        w.append(&entry(i)).unwrap();
    }
    w.commit().unwrap();
    for i in 300..2000 {
        w.append(&entry(i)).unwrap();
    }
    // Simulate a crash: full tiles past the checkpoint exist, no commit.
    drop(w);
    let layout = Layout::new(&root);
    assert!(layout.tile(TileKind::Hashes(0), 5, 256).exists());
    let w = Writer::open(&root).unwrap();
    assert_eq!(w.size(), 300);
    assert!(!layout.tile(TileKind::Hashes(0), 5, 256).exists());
    assert!(!layout.tile(TileKind::Hashes(0), 1, 256).exists());
    assert!(layout.tile(TileKind::Hashes(0), 1, 44).exists());
    drop(w);
    let report = audit(&root).unwrap();
    assert_eq!(report.size, 300);
    // Appending again reuses the same paths with new content.
    let mut w = Writer::open(&root).unwrap();
    for i in 0..1000 {
        w.append(format!("other {i}").as_bytes()).unwrap();
    }
    w.commit().unwrap();
    drop(w);
    audit(&root).unwrap();
}

#[test]
fn second_writer_is_refused() {
    let (_d, root) = new_ledger();
    let _w = Writer::open(&root).unwrap();
    let err = Writer::open(&root).err().unwrap();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("locked by another writer"));
    // The holder said who it is in the lock file.
    assert!(
        err.to_string()
            .contains(&format!("pid {}: ", std::process::id())),
        "{err}"
    );
}

#[test]
fn a_second_writer_that_may_wait_gets_the_ledger_when_the_first_is_done() {
    let (_d, root) = new_ledger();
    let mut first = Writer::open(&root).unwrap();
    let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    std::thread::scope(|s| {
        let second = s.spawn(|| {
            let told = told.clone();
            let on_wait = move |holder: &str| told.lock().unwrap().push(holder.to_string());
            let waiting = crate::store::Waiting {
                say: std::sync::Arc::new(on_wait),
                limit: std::time::Duration::from_secs(60),
            };
            let mut w = Writer::open_with(&root, true, Some(waiting)).unwrap();
            w.append(b"second").unwrap();
            w.commit().unwrap().root().size()
        });
        // The second is waiting (told) before the first commits and lets go.
        while told.lock().unwrap().is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        first.append(b"first").unwrap();
        first.commit().unwrap();
        drop(first);
        assert_eq!(second.join().unwrap(), 2, "built on the first's commit");
    });
    let told = told.lock().unwrap().clone();
    assert_eq!(told.len(), 1);
    assert!(
        told[0].starts_with(&format!("pid {}: ", std::process::id())),
        "{told:?}"
    );
}

#[test]
fn a_writer_waits_a_bounded_time_and_never_for_a_service() {
    let (_d, root) = new_ledger();
    let mut first = Writer::open(&root).unwrap();
    let say: std::sync::Arc<dyn Fn(&str) + Send + Sync> = std::sync::Arc::new(|_: &str| {});
    let briefly = crate::store::Waiting {
        say: say.clone(),
        limit: std::time::Duration::from_millis(300),
    };
    let started = std::time::Instant::now();
    let err = Writer::open_with(&root, true, Some(briefly)).err().unwrap();
    assert!(
        matches!(err, StoreError::LockTimeout { waited: 0, .. }),
        "{err}"
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    // Held by a service: named at once, with its URL, even to a writer
    // that would wait.
    first.announce_service("http://127.0.0.1:8090").unwrap();
    let long = crate::store::Waiting {
        say,
        limit: std::time::Duration::from_secs(3600),
    };
    match Writer::open_with(&root, true, Some(long)).err().unwrap() {
        StoreError::HeldByService { url, holder, .. } => {
            assert_eq!(url, "http://127.0.0.1:8090");
            assert!(holder.starts_with(&format!("pid {}: ", std::process::id())));
        }
        e => panic!("{e}"),
    }
    drop(first);
    // Once the service is gone, its note does not stand in the way.
    assert!(Writer::open(&root).is_ok());
}

#[test]
fn entries_over_65535_bytes_are_refused() {
    let (_d, root) = new_ledger();
    let mut w = Writer::open(&root).unwrap();
    w.append(&vec![0u8; 65535]).unwrap();
    let err = w.append(&vec![0u8; 65536]).err().unwrap();
    assert!(matches!(err, StoreError::EntryTooLarge { len: 65536, .. }));
}

#[test]
fn init_refuses_a_non_empty_directory_and_protects_the_key() {
    use std::os::unix::fs::PermissionsExt;
    let (_d, root) = new_ledger();
    assert!(matches!(
        init(&root, "x"),
        Err(StoreError::AlreadyExists { .. })
    ));
    let layout = Layout::new(&root);
    let mode = std::fs::metadata(layout.log_key())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let mode = std::fs::metadata(layout.private_dir())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
    // The public tree holds only the checkpoint so far.
    let names: Vec<_> = std::fs::read_dir(layout.log_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("checkpoint")]);
}

fn flip_byte(path: &Path, at: usize) {
    let mut data = std::fs::read(path).unwrap();
    data[at] ^= 0x01;
    std::fs::write(path, data).unwrap();
}

fn filled(n: u64) -> (tempfile::TempDir, PathBuf) {
    let (d, root) = new_ledger();
    let mut w = Writer::open(&root).unwrap();
    for i in 0..n {
        w.append(&entry(i)).unwrap();
    }
    w.commit().unwrap();
    (d, root)
}

#[test]
fn audit_names_a_tampered_tile() {
    let (_d, root) = filled(70_000);
    let layout = Layout::new(&root);
    for (kind, n, w) in [
        (TileKind::Hashes(0), 7, 256),
        (TileKind::Hashes(1), 0, 256),
        (TileKind::Hashes(0), 273, 112),
        (TileKind::Hashes(2), 0, 1),
    ] {
        let path = layout.tile(kind, n, w);
        flip_byte(&path, 20);
        let err = audit(&root).err().unwrap();
        assert!(crate::class::Classify::is_verdict(&err));
        assert!(
            err.to_string().contains(&tile_rel_path(kind, n, w)),
            "{err} should name {}",
            path.display()
        );
        flip_byte(&path, 20);
        audit(&root).unwrap();
    }
}

#[test]
fn audit_names_a_tampered_entry_and_the_checkpoint() {
    let (_d, root) = filled(1000);
    let layout = Layout::new(&root);
    let path = layout.tile(TileKind::Entries, 2, 256);
    flip_byte(&path, 100);
    let err = audit(&root).err().unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("tile/entries/002") && msg.contains("entry 517"),
        "{msg}"
    );
    flip_byte(&path, 100);
    // A flipped length prefix is a structural error naming the bundle.
    flip_byte(&path, 0);
    assert!(audit(&root)
        .err()
        .unwrap()
        .to_string()
        .contains("tile/entries/002"));
    flip_byte(&path, 0);
    audit(&root).unwrap();

    let cp = layout.checkpoint();
    for at in [0, 25, 40, 70, 120] {
        flip_byte(&cp, at);
        let err = audit(&root).err().unwrap();
        assert!(err.to_string().contains("checkpoint"), "{err}");
        flip_byte(&cp, at);
    }
    // A missing committed tile is named too.
    let t = layout.tile(TileKind::Hashes(0), 1, 256);
    std::fs::rename(&t, root.join("moved")).unwrap();
    let err = audit(&root).err().unwrap();
    assert!(
        err.to_string().contains("tile/0/001") && err.to_string().contains("missing"),
        "{err}"
    );
}

#[test]
fn audit_checks_old_partial_tiles() {
    let (_d, root) = new_ledger();
    let mut w = Writer::open(&root).unwrap();
    for i in 0..10 {
        w.append(&entry(i)).unwrap();
    }
    w.commit().unwrap();
    for i in 10..300 {
        w.append(&entry(i)).unwrap();
    }
    w.commit().unwrap();
    drop(w);
    let report = audit(&root).unwrap();
    assert!(report.old_partials >= 2, "{report:?}");
    let old = Layout::new(&root).tile(TileKind::Hashes(0), 0, 10);
    flip_byte(&old, 3);
    assert!(audit(&root)
        .err()
        .unwrap()
        .to_string()
        .contains("tile/0/000.p/10"));
}

#[test]
fn the_interior_index_is_derived_checked_and_never_trusted_blindly() {
    let (_d, root) = filled(70_000);
    let layout = Layout::new(&root);
    let reference = MemoryTree::from_entries((0..70_000u64).map(entry));
    let index0 = interior::interior_path(&layout, 0);
    let full_len = std::fs::metadata(&index0).unwrap().len();
    assert_eq!(full_len, (70_000 / 256) * interior::RECORD_BYTES);

    // A corrupted record: proofs stay correct (checked against the signed
    // root, made again from the tiles), and audit names the index file.
    flip_byte(&index0, interior::RECORD_BYTES as usize * 3 + 100);
    // (record 3 covers entries 768..1024)
    let ledger = Snapshot::open(&root).unwrap();
    for i in [768u64, 800, 1000, 69_999] {
        let p = ledger.prove_inclusion(i).unwrap();
        assert_eq!(
            p,
            crate::merkle::inclusion_proof(&reference, i, 70_000).unwrap()
        );
    }
    let p = ledger.prove_consistency(900).unwrap();
    assert_eq!(
        p,
        crate::merkle::consistency_proof(&reference, 900, 70_000).unwrap()
    );
    let err = audit(&root).err().unwrap();
    assert!(err.to_string().contains("index/interior-0"), "{err}");

    // Deleted or truncated: readers fall back, the next writer rebuilds it.
    std::fs::remove_file(&index0).unwrap();
    let ledger = Snapshot::open(&root).unwrap();
    assert_eq!(
        ledger.prove_inclusion(5).unwrap(),
        crate::merkle::inclusion_proof(&reference, 5, 70_000).unwrap()
    );
    drop(Writer::open(&root).unwrap());
    assert_eq!(std::fs::metadata(&index0).unwrap().len(), full_len);
    let report = audit(&root).unwrap();
    assert_eq!(report.index_records, 70_000 / 256 + 70_000 / 65_536);
    // Records past the checkpoint (a crashed writer's) are cut off on open.
    let f = std::fs::OpenOptions::new()
        .append(true)
        .open(&index0)
        .unwrap();
    f.set_len(full_len + 1000).unwrap();
    drop(Writer::open(&root).unwrap());
    assert_eq!(std::fs::metadata(&index0).unwrap().len(), full_len);
}

#[test]
fn reopening_keeps_the_partial_tiles_of_earlier_checkpoints() {
    let (_d, root) = new_ledger();
    let layout = Layout::new(&root);
    for (from, to) in [(0u64, 10u64), (10, 20)] {
        let mut w = Writer::open(&root).unwrap();
        for i in from..to {
            w.append(&entry(i)).unwrap();
        }
        w.commit().unwrap();
    }
    drop(Writer::open(&root).unwrap());
    for w in [10, 20] {
        assert!(
            layout.tile(TileKind::Hashes(0), 0, w).exists(),
            "tile/0/000.p/{w}"
        );
        assert!(
            layout.tile(TileKind::Entries, 0, w).exists(),
            "entries/000.p/{w}"
        );
    }
    // A stale wider partial (a crashed writer's) is removed.
    std::fs::copy(
        layout.tile(TileKind::Hashes(0), 0, 20),
        layout.tile(TileKind::Hashes(0), 0, 30),
    )
    .unwrap();
    drop(Writer::open(&root).unwrap());
    assert!(!layout.tile(TileKind::Hashes(0), 0, 30).exists());
    assert!(layout.tile(TileKind::Hashes(0), 0, 10).exists());
}

#[test]
fn cleanup_finds_uncommitted_tiles_past_a_gap() {
    let (_d, root) = filled(300);
    let layout = Layout::new(&root);
    // As if threads wrote tiles 3 and 5 but not 2 and 4 before a crash.
    for n in [3u64, 5] {
        std::fs::write(layout.tile(TileKind::Hashes(0), n, 256), [0u8; 8192]).unwrap();
        std::fs::write(layout.tile(TileKind::Entries, n, 256), [0u8; 2]).unwrap();
    }
    drop(Writer::open(&root).unwrap());
    for n in [3u64, 5] {
        assert!(!layout.tile(TileKind::Hashes(0), n, 256).exists());
        assert!(!layout.tile(TileKind::Entries, n, 256).exists());
    }
}

#[test]
fn a_failed_writer_refuses_to_commit() {
    let (_d, root) = new_ledger();
    let mut w = Writer::open(&root).unwrap();
    w.append(b"fine").unwrap();
    // Make the next full bundle unwritable: a directory where a file must go.
    let layout = Layout::new(&root);
    std::fs::create_dir_all(layout.tile(TileKind::Entries, 0, 256)).unwrap();
    std::fs::write(layout.tile(TileKind::Entries, 0, 256).join("x"), b"x").unwrap();
    let mut failed = false;
    for i in 1..2000u64 {
        if w.append(&entry(i)).is_err() {
            failed = true;
            break;
        }
    }
    let commit = w.commit();
    assert!(
        failed || commit.is_err(),
        "the blocked tile write went unnoticed"
    );
    assert!(w.commit().is_err(), "a failed writer must stay failed");
    drop(w);
    std::fs::remove_dir_all(layout.tile(TileKind::Entries, 0, 256)).unwrap();
    assert_eq!(Snapshot::open(&root).unwrap().checkpoint().root().size(), 0);
    audit(&root).unwrap();
}

#[test]
fn audit_blames_entries_changed_together_with_their_leaf_tile() {
    let (_d, root) = filled(300);
    let layout = Layout::new(&root);
    // Replace entry 7 and its leaf hash consistently: only the tree above disagrees.
    let bundle = layout.tile(TileKind::Entries, 0, 256);
    let data = std::fs::read(&bundle).unwrap();
    let mut entries: Vec<Vec<u8>> = tiles::bundle_at(&data, 256, &bundle)
        .unwrap()
        .iter()
        .map(|e| e.to_vec())
        .collect();
    entries[7] = b"forged statement!".to_vec();
    let mut out = Vec::new();
    for e in &entries {
        out.extend_from_slice(&(e.len() as u16).to_be_bytes());
        out.extend_from_slice(e);
    }
    std::fs::write(&bundle, out).unwrap();
    let tile = layout.tile(TileKind::Hashes(0), 0, 256);
    let mut t = std::fs::read(&tile).unwrap();
    t[7 * 32..8 * 32].copy_from_slice(leaf_hash(b"forged statement!").as_bytes());
    std::fs::write(&tile, t).unwrap();
    let err = audit(&root).err().unwrap().to_string();
    assert!(
        err.contains("tile/entries/000") && err.contains("level-0 tile was changed"),
        "{err}"
    );
    // Reading the entry refuses it too.
    let l = Snapshot::open(&root).unwrap();
    assert!(l.read_entry(7).is_err());
    assert!(l.read_entry(300).is_err());
}
