//! The publish protocol broken on purpose, one step at a time, against a
//! bucket in memory (`store::memory`): for each break, what the commit
//! answers, and that the next opening recovers to a log where the lock,
//! the bucket's checkpoint and the local copy agree, the bucket audits, and
//! nothing acknowledged is lost. The table is the one in
//! docs/object-storage.md §6; the real servers (Garage, s3s-fs,
//! PostgreSQL) run the same protocol in tests/failover.rs.

use super::*;
use crate::store::memory::{self, Effect, Fault, Op};

/// One row of the table.
struct Case {
    /// The step broken.
    step: &'static str,
    fault: Fault,
    /// The commit that meets the fault returns its checkpoint.
    acknowledged: bool,
    /// After healing, the next opening finds that commit's entries in the log
    /// (the lock had moved: the batch is completed from its staging object).
    kept: bool,
    /// A staging object is left behind after the next opening (of a batch
    /// that never locked: harmless, docs §7).
    leftover: bool,
}

fn case(step: &'static str, op: Op, key: &str, effect: Effect) -> Case {
    let fault = Fault::next(op, key);
    let fault = if effect == Effect::Lost {
        fault.lost()
    } else {
        fault
    };
    Case {
        step,
        fault,
        acknowledged: false,
        kept: false,
        leftover: false,
    }
}

impl Case {
    fn kept(self) -> Case {
        Case { kept: true, ..self }
    }
    fn acknowledged(self) -> Case {
        Case {
            acknowledged: true,
            kept: true,
            ..self
        }
    }
    fn leftover(self) -> Case {
        Case {
            leftover: true,
            ..self
        }
    }
}

fn commit_breaks() -> Vec<Case> {
    use Effect::{Lost, Refused};
    vec![
        case("1 stage", Op::Put, "/staging/", Refused),
        case("1 stage", Op::Put, "/staging/", Lost).leftover(),
        case("2 lock: read", Op::Get, "/lock/checkpoint", Refused).leftover(),
        case("2 lock: swap", Op::Put, "/lock/checkpoint", Refused).leftover(),
        case("2 lock: swap", Op::Put, "/lock/checkpoint", Lost).kept(),
        case("3 tiles", Op::Put, "/tile/", Refused).kept(),
        case("3 tiles", Op::Put, "/tile/entries/", Lost).kept(),
        // A confidential ledger's sealed openings go with the tiles.
        case("3 sealed openings", Op::Put, "/private/openings/", Refused).kept(),
        case("3 sealed openings", Op::Put, "/private/openings/", Lost).kept(),
        case("4 checkpoint", Op::Put, "log/checkpoint", Refused).kept(),
        case("4 checkpoint", Op::Put, "log/checkpoint", Lost).kept(),
        // Left by the commit, removed by the next opening.
        case("4 staging removed", Op::Delete, "/staging/", Refused).acknowledged(),
    ]
}

fn entry(i: u64) -> Vec<u8> {
    format!("break-table entry {i}").into_bytes()
}

/// A ledger of three entries whose public tree is the bucket `name`;
/// confidential (its leaves commitments, their openings sealed in the
/// bucket) if the name says so.
fn bucket_ledger(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ledger");
    init(&root, "example.com/break-log").unwrap();
    if name.contains("confidential") {
        confidential::make_confidential(&root, "example.com/break-log").unwrap();
    }
    let mut w = Writer::open(&root).unwrap();
    for i in 0..3 {
        w.append(&entry(i)).unwrap();
    }
    w.commit().unwrap();
    drop(w);
    publish_new(&root, &format!("memory://{name}/log"), None).unwrap();
    (dir, root)
}

fn staging_keys(bucket: &memory::MemoryBucket) -> Vec<String> {
    bucket
        .keys()
        .into_iter()
        .filter(|k| k.contains("/staging/"))
        .collect()
}

/// Opens again, commits one more entry, and checks the three copies agree,
/// the bucket audits and holds every acknowledged entry.
fn recovers(root: &Path, acknowledged: u64, expect: u64, what: &str) {
    let mut w = Writer::open(root).unwrap_or_else(|e| panic!("{what}: reopen: {e}"));
    assert_eq!(w.size(), expect, "{what}: size after recovery");
    w.append(&entry(expect)).unwrap();
    w.commit()
        .unwrap_or_else(|e| panic!("{what}: the commit after recovery: {e}"));
    drop(w);
    let audited = audit_public(root)
        .unwrap_or_else(|e| panic!("{what}: audit: {e}"))
        .expect("a bucket ledger");
    assert_eq!(audited.audit.size, expect + 1, "{what}");
    let local = Snapshot::open(root).unwrap();
    for i in 0..acknowledged {
        assert_eq!(local.read_entry(i).unwrap(), entry(i), "{what}: entry {i}");
    }
    if Layout::new(root).is_confidential() {
        // Its leaves are commitments.
        assert!(crate::commitment::is_leaf(&local.read_leaf(0).unwrap()));
    }
}

/// No object of the bucket `name` holds any byte string of an entry.
fn nothing_in_clear(name: &str, what: &str) {
    let bucket = memory::bucket(name);
    for key in bucket.keys() {
        let data = bucket.object(&key).unwrap();
        assert!(
            !data.windows(11).any(|w| w == b"break-table"),
            "{what}: {key} holds a statement in clear"
        );
    }
}

#[test]
fn every_step_of_a_commit_broken_recovers_at_the_next_opening() {
    every_step_broken("public");
}

#[test]
fn every_step_of_a_confidential_commit_broken_recovers_with_its_openings() {
    every_step_broken("confidential");
}

fn every_step_broken(mode: &str) {
    let breaks = commit_breaks().into_iter().filter(|c| {
        // A public ledger has no sealed openings to break.
        mode == "confidential" || !c.fault.key_contains.contains("/private/")
    });
    for (n, c) in breaks.enumerate() {
        let what = format!(
            "{mode}: {} ({:?}, {:?})",
            c.step, c.fault.op, c.fault.effect
        );
        let name = format!("break-commit-{mode}-{n}");
        let (_d, root) = bucket_ledger(&name);
        let bucket = memory::bucket(&name);
        let mut w = Writer::open(&root).unwrap();
        w.append(&entry(3)).unwrap();
        w.append(&entry(4)).unwrap();
        bucket.arm(c.fault.clone());
        let answer = w.commit().map(|cp| cp.root().size());
        bucket.heal();
        assert_eq!(bucket.failed().len(), 1, "{what}: the fault was met once");
        match (&answer, c.acknowledged) {
            (Ok(5), true) => {}
            (Err(e), false) => {
                let text = e.to_string();
                assert!(text.contains("on purpose"), "{what}: {text}");
            }
            _ => panic!("{what}: the commit answered {answer:?}"),
        }
        // A failed writer refuses more work; it must be opened again.
        if answer.is_err() {
            assert!(w.append(&entry(5)).is_err(), "{what}");
        }
        drop(w);
        let expect = if c.kept { 5 } else { 3 };
        let acknowledged = if c.acknowledged { 5 } else { 3 };
        recovers(&root, acknowledged, expect, &what);
        if mode == "confidential" {
            nothing_in_clear(&name, &what);
        }
        assert_eq!(
            staging_keys(&bucket).is_empty(),
            !c.leftover,
            "{what}: staging objects left: {:?}",
            staging_keys(&bucket)
        );
    }
}

#[test]
fn an_opening_that_meets_a_broken_store_fails_by_name_and_the_next_recovers() {
    // Each is armed for every matching operation until healed: the opening
    // fails, names the object, and one after healing completes the log.
    let opens = [
        (Op::Get, "/lock/checkpoint"),
        (Op::Put, "/probe/"),
        (Op::Get, "log/checkpoint"),
        (Op::Get, "/staging/"),
        (Op::Put, "/tile/"),
    ];
    for (n, (op, key)) in opens.into_iter().enumerate() {
        let what = format!("opening, {op:?} {key}");
        let name = format!("break-open-{n}");
        let (_d, root) = bucket_ledger(&name);
        let bucket = memory::bucket(&name);
        // A sequencer dies after swapping the lock: the next opening must
        // read the staged batch and write its tiles and checkpoint.
        let mut w = Writer::open(&root).unwrap();
        w.append(&entry(3)).unwrap();
        w.append(&entry(4)).unwrap();
        bucket.arm(Fault::next(Op::Put, "/tile/").always());
        assert!(w.commit().is_err());
        bucket.heal();
        drop(w);
        bucket.arm(Fault::next(op, key).always());
        let e = match Writer::open(&root) {
            Ok(_) => panic!("{what}: opened"),
            Err(e) => e.to_string(),
        };
        bucket.heal();
        assert!(
            e.contains(key.trim_matches('/')) && e.contains("on purpose"),
            "{what}: {e}"
        );
        recovers(&root, 3, 5, &what);
    }
}

#[test]
fn a_fault_matches_by_operation_and_key_and_skips_and_counts() {
    let bucket = memory::bucket("break-unit");
    bucket.arm(Fault {
        skip: 1,
        times: 2,
        ..Fault::next(Op::Put, "x/")
    });
    let (store, prefix) = memory::open("memory://break-unit/p").unwrap();
    assert_eq!(prefix.as_ref(), "p");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let put = |k: &str| {
        let store = store.clone();
        let k = object_store::path::Path::from(k);
        rt.block_on(async move { store.put(&k, b"v".to_vec().into()).await })
            .is_ok()
    };
    use object_store::ObjectStoreExt;
    assert!(put("p/y/1"), "another key");
    assert!(put("p/x/1"), "skipped");
    assert!(!put("p/x/2"));
    assert!(!put("p/x/3"));
    assert!(put("p/x/4"), "spent");
    assert_eq!(bucket.failed(), ["Put p/x/2", "Put p/x/3"]);
    // Refused writes did not land; the store is shared by name.
    assert_eq!(
        memory::bucket("break-unit").keys(),
        ["p/x/1", "p/x/4", "p/y/1"]
    );
}

/// A second sequencer of a confidential ledger (a copy of its directory
/// made before the first committed more) takes its openings from the
/// bucket, sealed, and reads every statement; a sealed object damaged,
/// or swapped for another, stops it by name.
#[test]
fn a_confidential_sequencer_catches_up_from_the_sealed_openings() {
    let name = "break-confidential-copy";
    let (d, root) = bucket_ledger(name);
    let copy = d.path().join("copy");
    let cp = std::process::Command::new("cp")
        .arg("-a")
        .arg(&root)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(cp.success());
    let mut w = Writer::open(&root).unwrap();
    for i in 3..300 {
        w.append(&entry(i)).unwrap();
    }
    w.commit().unwrap();
    drop(w);
    nothing_in_clear(name, "after 300 entries");
    let bucket = memory::bucket(name);
    let full = "log/private/openings/tile/entries/000";
    let good = bucket
        .object(full)
        .expect("the full bundle's openings are sealed");

    // Damaged: the copy refuses to catch up, naming the object.
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    bucket.put_raw(full, bad);
    let e = Writer::open(&copy).err().expect("refused").to_string();
    assert!(e.contains("private/openings/tile/entries/000"), "{e}");
    assert!(e.contains("does not open with this ledger's key"), "{e}");
    // Swapped for the sealed partial bundle of another place.
    let other = bucket
        .keys()
        .into_iter()
        .find(|k| k.starts_with("log/private/openings/tile/entries/001.p/"))
        .unwrap();
    bucket.put_raw(full, bucket.object(&other).unwrap());
    let e = Writer::open(&copy).err().expect("refused").to_string();
    assert!(e.contains("does not open"), "{e}");

    // The audit of the bucket ledger opens every sealed bundle.
    let e = audit_public(&root).expect_err("refused").to_string();
    assert!(e.contains("private/openings/tile/entries/000"), "{e}");
    bucket.put_raw(full, good);
    let w = Writer::open(&copy).unwrap();
    assert_eq!(w.size(), 300);
    drop(w);
    let local = Snapshot::open(&copy).unwrap();
    for i in [0, 3, 255, 256, 299] {
        assert_eq!(local.read_entry(i).unwrap(), entry(i), "entry {i}");
    }
    audit_public(&copy).unwrap().expect("a bucket ledger");
    // The key is the sequencers' own: without it, the copy cannot open.
    std::fs::remove_file(Layout::new(&copy).openings_key()).unwrap();
    let e = Writer::open(&copy).err().expect("refused").to_string();
    assert!(e.contains("openings.key is missing"), "{e}");
}
