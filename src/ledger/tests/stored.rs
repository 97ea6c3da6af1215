//! The persisted state index: a writer resumed from it writes the very log
//! a full replay writes, whether the index is fresh, rebuilt, behind,
//! damaged or another ledger's; a resubmitted statement is found in it.

use crate::history::is_index_entry;
use crate::ledger::testing::{load_state, submit};
use crate::ledger::{IndexCheck, Ledger};
use crate::policy::testing::*;
use crate::policy::Admission;
use crate::record::Record;
use crate::record::{Assessment, Outcome};
use crate::store::Snapshot;

struct Ledgered {
    _dir: tempfile::TempDir,
    ledger: std::path::PathBuf,
    world: World,
    /// How much of the World's log was submitted.
    sent: usize,
}

impl Ledgered {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger");
        let world = World::new();
        crate::store::init(&ledger, "example.org/state-index").unwrap();
        crate::store::install_trust_root(&ledger, world.root.cert.to_pem().as_bytes()).unwrap();
        Ledgered {
            _dir: dir,
            ledger,
            world,
            sent: 0,
        }
    }

    fn index_file(&self) -> std::path::PathBuf {
        self.ledger.join("index").join("state.redb")
    }

    /// Submits the World's statements since the last call as one batch and
    /// checks the ledger's log is the World's, byte for byte (the index
    /// entries, whose commits a resumed state computes, included).
    fn submit(&mut self) {
        self.world.commit();
        let batch: Vec<(String, Vec<u8>)> = self.world.log[self.sent..]
            .iter()
            .filter(|b| !is_index_entry(b))
            .enumerate()
            .map(|(i, b)| (format!("s{i}"), b.clone()))
            .collect();
        let done = submit(&self.ledger, &batch, T + 100, 300).unwrap();
        assert_eq!(done.index_warning, None);
        self.sent = self.world.log.len();
        let l = Snapshot::open(&self.ledger).unwrap();
        assert_eq!(l.checkpoint().root().size(), self.sent as u64);
        for (i, b) in self.world.log.iter().enumerate() {
            assert_eq!(&l.read_entry(i as u64).unwrap(), b, "entry {i}");
        }
    }

    /// A round of statements about facilities `from..to`.
    fn round(&mut self, from: u32, to: u32, step: u32) {
        for n in from..to {
            let f = format!("TF-{n}");
            match step {
                0 => {
                    self.world.by(op, reg(&f)).unwrap();
                }
                1 => {
                    let s = self.world.by(op, seal(&f, n as u8)).unwrap();
                    let d = decision(&f, Assessment::Fusa, Outcome::Approved, &[], vec![s]);
                    self.world.by(cio, d).unwrap();
                }
                _ => {
                    self.world.by(op, seal(&f, (n + 100) as u8)).unwrap();
                }
            }
        }
        self.submit();
    }
}

#[test]
fn a_resumed_writer_writes_the_log_a_full_replay_writes() {
    let mut l = Ledgered::new();
    l.round(0, 12, 0);
    assert!(l.index_file().exists());
    l.round(0, 12, 1);
    // Deleted: rebuilt from the log (evicting every few entries in tests).
    std::fs::remove_file(l.index_file()).unwrap();
    l.round(12, 20, 0);
    // Behind: an index saved one commit ago catches up.
    let old = std::fs::read(l.index_file()).unwrap();
    l.round(12, 20, 1);
    std::fs::write(l.index_file(), &old).unwrap();
    l.round(0, 20, 2);
    // Damaged beyond redb's reading: rebuilt.
    std::fs::write(l.index_file(), b"not a database").unwrap();
    l.round(20, 24, 0);
    // Another ledger's index (same size, other root): rebuilt, not used.
    let mut other = Ledgered::new();
    other.round(100, 106, 0);
    std::fs::copy(other.index_file(), l.index_file()).unwrap();
    l.round(20, 24, 1);
    // Every statement is found again: resubmitting appends nothing.
    let size = l.world.log.len() as u64;
    let again: Vec<(String, Vec<u8>)> = l.world.log[..size as usize]
        .iter()
        .filter(|b| !is_index_entry(b))
        .map(|b| ("again".to_string(), b.clone()))
        .collect();
    let done = submit(&l.ledger, &again, T + 100, 300).unwrap();
    assert_eq!(done.checkpoint.root().size(), size);
    assert!(done
        .admissions
        .iter()
        .all(|a| matches!(a, Admission::Duplicate(i) if *i < size)));
    // And the rules still hold against the index: a second registration
    // of a facility registered long ago is refused by name (as a repeat
    // when it says the same, by the lifecycle when it does not).
    let again = World::sign_at(&l.world.op, &reg("TF-3"), T + 1);
    let e = submit(&l.ledger, &[("reg".into(), again)], T + 100, 300).unwrap_err();
    assert!(e.to_string().contains("rule duplicate"), "{e}");
    let renamed = Record::Registration(crate::record::Registration {
        facility: "TF-3".into(),
        name: "Renamed".into(),
        site: "S".into(),
    });
    let other = World::sign_at(&l.world.op, &renamed, T + 1);
    let e = submit(&l.ledger, &[("reg".into(), other)], T + 100, 300).unwrap_err();
    assert!(e.to_string().contains("already registered"), "{e}");
}

/// `log audit`'s comparison: consistent, behind, and each kind of damage
/// named.
#[test]
fn the_index_check_names_what_differs_from_the_log() {
    use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
    let mut l = Ledgered::new();
    assert_eq!(
        Ledger::open(&l.ledger).unwrap().check_index().unwrap(),
        IndexCheck::Absent
    );
    l.round(0, 6, 0);
    let old = std::fs::read(l.index_file()).unwrap();
    l.round(0, 6, 1);
    assert_eq!(
        Ledger::open(&l.ledger).unwrap().check_index().unwrap(),
        IndexCheck::Consistent {
            facilities: 6,
            statements: 20
        }
    );
    let good = std::fs::read(l.index_file()).unwrap();
    std::fs::write(l.index_file(), &old).unwrap();
    assert!(matches!(
        Ledger::open(&l.ledger).unwrap().check_index().unwrap(),
        IndexCheck::Behind { size: 9 }
    ));
    let damage = |table: &str, key: &[u8], value: &[u8]| {
        std::fs::write(l.index_file(), &good).unwrap();
        let db = Database::open(l.index_file()).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn
                .open_table(TableDefinition::<&[u8], &[u8]>::new(table))
                .unwrap();
            t.insert(key, value).unwrap();
        }
        txn.commit().unwrap();
        drop(db);
        Ledger::open(&l.ledger)
            .unwrap()
            .check_index()
            .unwrap_err()
            .to_string()
    };
    let damage_str = |table: &str, key: &str, value: &[u8]| {
        std::fs::write(l.index_file(), &good).unwrap();
        let db = Database::open(l.index_file()).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn
                .open_table(TableDefinition::<&str, &[u8]>::new(table))
                .unwrap();
            t.insert(key, value).unwrap();
        }
        txn.commit().unwrap();
        drop(db);
        Ledger::open(&l.ledger)
            .unwrap()
            .check_index()
            .unwrap_err()
            .to_string()
    };
    // A facility's list one entry short.
    let e = damage_str("lists", "TF-2", &[0u8; 8]);
    assert!(e.contains("facility \"TF-2\" differs"), "{e}");
    // A facility the log does not have.
    let e = damage_str("facilities", "TF-X", b"\xa0");
    assert!(e.contains("7 facilities"), "{e}");
    // A scheme-level state that is not the log's.
    let e = damage_str("meta", "scheme", b"\xa0");
    assert!(e.contains("scheme-level"), "{e}");
    // A map node changed: the stored map no longer proves the lists.
    let root = {
        let db = Database::open(l.index_file()).unwrap();
        let txn = db.begin_read().unwrap();
        let t = txn
            .open_table(TableDefinition::<&[u8], &[u8]>::new("map"))
            .unwrap();
        let first = t.first().unwrap().unwrap();
        (first.0.value().to_vec(), first.1.value().to_vec())
    };
    let mut node = root.1.clone();
    let last = node.len() - 1;
    node[last] ^= 1;
    let e = damage("map", &root.0, &node);
    assert!(e.contains("facility map"), "{e}");
    // A digest placed at the wrong entry.
    std::fs::write(l.index_file(), &good).unwrap();
    {
        let db = Database::open(l.index_file()).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn
                .open_table(TableDefinition::<&[u8], u64>::new("hashes"))
                .unwrap();
            t.insert([5u8; 32].as_slice(), 3).unwrap();
        }
        txn.commit().unwrap();
    }
    let e = Ledger::open(&l.ledger)
        .unwrap()
        .check_index()
        .unwrap_err()
        .to_string();
    assert!(e.contains("at entry 3"), "{e}");
}

/// The service's reader state: caught up commit by commit, it says what a
/// full replay says (status and packs, byte for byte).
#[test]
fn a_follower_caught_up_says_what_a_full_replay_says() {
    let mut l = Ledgered::new();
    // One handle, opened once, read after each round (as a service reads).
    let reader = Ledger::open(&l.ledger).unwrap();
    let compare = |l: &Ledgered, reader: &Ledger| {
        let (full, cp) = load_state(&l.ledger).unwrap();
        let size = cp.root().size();
        let expected = crate::status::ledger_status(&full, size, "2027-06-01", None).to_json();
        let sel = crate::ledger::Selection::Facility("TF-1".into());
        let pack = crate::ledger::testing::make_pack(&l.ledger, &sel, T + 200, None)
            .unwrap()
            .to_bytes()
            .unwrap();
        let got = reader
            .with_state(|state, ledger| {
                assert_eq!(ledger.checkpoint().root().size(), size);
                crate::status::ledger_status(state, size, "2027-06-01", None).to_json()
            })
            .unwrap();
        let got_pack = reader
            .pack(&sel, T + 200, None)
            .unwrap()
            .to_bytes()
            .unwrap();
        assert_eq!(got, expected);
        assert_eq!(got_pack, pack);
    };
    l.round(0, 6, 0);
    compare(&l, &reader);
    l.round(0, 6, 1);
    compare(&l, &reader);
    l.round(6, 9, 0);
    l.round(0, 9, 2);
    compare(&l, &reader);
}

/// A handle keeps the state index open across its submissions (a service's
/// committer does not reopen it per group), reads it for `log audit`
/// through that opening, and leaves it for the next handle to resume.
#[test]
fn one_handle_keeps_the_index_open_across_submissions() {
    let mut l = Ledgered::new();
    let handle = Ledger::open(&l.ledger).unwrap();
    assert!(
        handle.held_index().is_none(),
        "opened by the first write only"
    );
    for (from, to) in [(0, 4), (4, 8), (8, 12)] {
        for n in from..to {
            l.world.by(op, reg(&format!("TF-{n}"))).unwrap();
        }
        l.world.commit();
        let batch: Vec<(String, Vec<u8>)> = l.world.log[l.sent..]
            .iter()
            .filter(|b| !is_index_entry(b))
            .map(|b| ("s".to_string(), b.clone()))
            .collect();
        handle.submit(&batch, T + 100, 300).unwrap();
        l.sent = l.world.log.len();
        assert!(handle.held_index().is_some());
    }
    // A second opening of the file in this process is refused by redb; the
    // check goes through the handle's own.
    assert!(redb::ReadOnlyDatabase::open(l.index_file()).is_err());
    assert!(matches!(
        handle.check_index().unwrap(),
        IndexCheck::Consistent { .. }
    ));
    drop(handle);
    // The next handle resumes it: a repeat is found, nothing is appended.
    let again = Ledger::open(&l.ledger).unwrap();
    let size = l.world.log.len() as u64;
    let reg0 = l
        .world
        .log
        .iter()
        .find(|b| !is_index_entry(b))
        .unwrap()
        .clone();
    let done = again
        .submit(&[("again".into(), reg0)], T + 100, 300)
        .unwrap();
    assert_eq!(done.checkpoint.root().size(), size);
    assert!(matches!(
        again.check_index().unwrap(),
        IndexCheck::Consistent { .. }
    ));
}
