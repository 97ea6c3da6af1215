//! A monitor passes an honest log, resumes, watches a facility, and catches
//! a log that commits a false index, with a proof `verify` accepts.

use super::*;
use crate::history::{Attribution, History, IndexEntry};
use crate::policy::testing::{op, reg, root, seal, World};
use crate::record::{Record, Revocation};
use crate::store::Writer;
use crate::verify::{verify_misbehaviour, Trust};

const T: u64 = 1_790_000_000;

fn honest_world() -> World {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    w.by(op, reg("TF-2")).unwrap();
    w.by(op, seal("TF-1", 1)).unwrap();
    w.by(op, seal("TF-2", 2)).unwrap();
    let fp = crate::merkle::Hash::from_bytes(w.rival.cert.fingerprint());
    w.by(
        root,
        Record::Revocation(Revocation {
            certificate_sha256: fp,
            reason: "lost".into(),
        }),
    )
    .unwrap();
    w
}

/// The honest index of the world's statements, not yet committed.
fn honest_index(w: &World) -> History {
    let mut h = History::new();
    for (i, b) in w.log.iter().enumerate() {
        h.push_statement(i as u64, crate::history::attribution_of(b));
    }
    h
}

/// A ledger holding exactly these leaves (no policy: a log that lies).
fn raw_ledger(dir: &Path, leaves: &[Vec<u8>]) -> std::path::PathBuf {
    let l = dir.join("ledger");
    crate::store::init(&l, "example.org/monitored").unwrap();
    let mut w = Writer::open(&l).unwrap();
    for b in leaves {
        w.append(b).unwrap();
    }
    w.commit().unwrap();
    l
}

fn trust(ledger: &Path, w: &World) -> Trust {
    Trust::single_log(
        w.root.cert.clone(),
        Snapshot::open(ledger).unwrap().vkey().clone(),
    )
}

#[test]
fn an_honest_log_passes_resumes_and_reports_a_watched_facility() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    crate::store::init(&ledger, "example.org/monitored").unwrap();
    let mut world = honest_world();
    crate::store::install_trust_root(&ledger, world.root.cert.to_pem().as_bytes()).unwrap();
    let batch = |w: &World, from: usize| -> Vec<(String, Vec<u8>)> {
        w.log[from..]
            .iter()
            .map(|b| ("s".to_string(), b.clone()))
            .collect()
    };
    crate::ledger::testing::submit(&ledger, &batch(&world, 0), T + 100, 300).unwrap();
    world.commit();
    let (run, state) = monitor(&ledger, None, None, Some("TF-1")).unwrap();
    assert!(run.fault.is_none(), "{:?}", run.fault);
    assert_eq!((run.from, run.to, run.commits, run.pending), (0, 8, 1, 0));
    assert_eq!(run.facilities, 2);
    let kinds: Vec<(u64, &str)> = run
        .watched
        .iter()
        .map(|w| (w.index, w.kind.as_str()))
        .collect();
    assert_eq!(kinds, [(2, "registration"), (4, "seal")]);
    // Saved and restored, the monitor resumes where it stopped.
    let saved = state.unwrap().to_bytes().unwrap();
    let state = MonitorState::parse(&saved).unwrap();
    world.by(op, seal("TF-1", 3)).unwrap();
    world.by(op, seal("TF-2", 4)).unwrap();
    crate::ledger::testing::submit(&ledger, &batch(&world, 8), T + 100, 300).unwrap();
    let (run, state) = monitor(&ledger, Some(state), None, Some("TF-1")).unwrap();
    assert!(run.fault.is_none());
    assert_eq!((run.from, run.to, run.commits), (8, 11, 1));
    let kinds: Vec<u64> = run.watched.iter().map(|w| w.index).collect();
    assert_eq!(kinds, [8]);
    // A state whose edge does not hash to its root is refused.
    let state = state.unwrap();
    let mut bytes = state.to_bytes().unwrap();
    let at = bytes
        .windows(32)
        .position(|w| w == state.root.as_bytes())
        .unwrap();
    bytes[at] ^= 1;
    assert!(MonitorState::parse(&bytes).is_err());
    // Another log (another key) is refused against the pinned state.
    let other = tempfile::tempdir().unwrap();
    let l2 = raw_ledger(other.path(), &world.log[..2]);
    let (_, s) = monitor(&ledger, None, None, None).unwrap();
    let Err(e) = monitor(&l2, s, None, None) else {
        panic!("another log's key was accepted")
    };
    assert!(matches!(e, MonitorError::Key { .. }), "{e}");
}

#[test]
fn a_log_that_attributes_an_entry_to_another_facility_is_caught_and_proven() {
    let world = honest_world();
    // The lie: entry 4 (TF-1's seal) is said to be TF-2's, and the commit
    // is consistent with the lie, so only the attribution gives it away.
    let mut lying = History::new();
    let mut leaves = world.log.clone();
    for (i, b) in world.log.iter().enumerate() {
        let mut a = crate::history::attribution_of(b);
        if i == 4 {
            assert_eq!(a, Attribution::Facility("TF-1".into()));
            a = Attribution::Facility("TF-2".into());
        }
        lying.push_statement(i as u64, a);
    }
    leaves.push(lying.next_entry(true).unwrap().1);
    let dir = tempfile::tempdir().unwrap();
    let ledger = raw_ledger(dir.path(), &leaves);
    let (run, state) = monitor(&ledger, None, None, None).unwrap();
    assert!(state.is_none());
    let f = run.fault.unwrap();
    assert!(
        matches!(
            &f,
            Fault::Attribution {
                at: 7,
                entry: 4,
                ..
            }
        ),
        "{f:?}"
    );
    let proof = run.proof.unwrap();
    assert_eq!(proof.entries.len(), 2);
    let bytes = proof.to_bytes().unwrap();
    let proof = Misbehaviour::parse(&bytes).unwrap();
    let t = trust(&ledger, &world);
    let r = verify_misbehaviour(&proof, &t);
    assert!(r.verified(), "{}", r.to_text());
    let m = r.checks.last().unwrap();
    assert!(m.detail.starts_with("PROVEN"), "{}", m.detail);
    assert!(m.detail.contains("entry 4"), "{}", m.detail);
    // The proof is small: two entries and their paths.
    assert!(bytes.len() < 4096, "{}", bytes.len());
    // Tampered, it proves nothing.
    let mut bad = proof.clone();
    bad.entries[1].bytes[10] ^= 1;
    assert!(!verify_misbehaviour(&bad, &t).verified());
    let mut bad = proof.clone();
    bad.entries.pop();
    assert!(!verify_misbehaviour(&bad, &t).verified());
    // Against another log's key, nothing is proven.
    let other = Trust::single_log(
        world.root.cert.clone(),
        crate::note::SignerKey::generate("example.org/monitored", crate::note::SigType::Ed25519)
            .unwrap()
            .verifier(),
    );
    assert!(!verify_misbehaviour(&proof, &other).verified());
}

#[test]
fn a_log_that_commits_an_index_missing_one_entry_is_caught_and_proven() {
    let world = honest_world();
    // Honest attributions, but a commit computed as if TF-1's seal were not
    // TF-1's: packs for TF-1 would verify as complete without it. Two index
    // entries (at 3 and 8): the chain the proof must carry.
    let attr = |b: &Vec<u8>| crate::history::attribution_of(b);
    let (mut honest, mut lie) = (History::new(), History::new());
    let mut leaves = Vec::new();
    for (i, b) in world.log[..3].iter().enumerate() {
        honest.push_statement(i as u64, attr(b));
        lie.push_statement(i as u64, attr(b));
        leaves.push(b.clone());
    }
    let (_, first) = honest.next_entry(false).unwrap();
    lie.push_index(
        3,
        &IndexEntry::parse(&first).unwrap(),
        crate::history::Roots::Skip,
    )
    .unwrap();
    leaves.push(first);
    for (k, b) in world.log[3..].iter().enumerate() {
        let pos = 4 + k as u64;
        honest.push_statement(pos, attr(b));
        lie.push_statement(
            pos,
            if pos == 5 {
                Attribution::Scheme
            } else {
                attr(b)
            },
        );
        leaves.push(b.clone());
    }
    let (_, last) = honest.next_entry(true).unwrap();
    let mut last = IndexEntry::parse(&last).unwrap();
    last.commit = Some(lie.commit_now().unwrap());
    leaves.push(last.to_bytes().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let ledger = raw_ledger(dir.path(), &leaves);
    let (run, _) = monitor(&ledger, None, None, None).unwrap();
    let f = run.fault.unwrap();
    assert!(matches!(f, Fault::Commit { at: 8, .. }), "{f:?}");
    let proof = run.proof.unwrap();
    assert_eq!(
        proof.entries.iter().map(|e| e.index).collect::<Vec<_>>(),
        [8, 3]
    );
    let t = trust(&ledger, &world);
    let r = verify_misbehaviour(&proof, &t);
    assert!(r.verified(), "{}", r.to_text());
    // Without the chain's first entry the commit cannot be recomputed.
    let mut cut = proof.clone();
    cut.entries.pop();
    assert!(!verify_misbehaviour(&cut, &t).verified());
}

#[test]
fn a_false_previous_entry_and_a_wrong_count_are_proven() {
    let world = honest_world();
    let mut h = honest_index(&world);
    let (_, good) = h.next_entry(true).unwrap();
    // prev names entry 2 (a statement) as an index entry.
    let mut e = IndexEntry::parse(&good).unwrap();
    e.prev = Some(2);
    e.of.drain(..3);
    let mut leaves = world.log.clone();
    leaves.push(e.to_bytes().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let ledger = raw_ledger(dir.path(), &leaves);
    let (run, _) = monitor(&ledger, None, None, None).unwrap();
    assert!(
        matches!(run.fault, Some(Fault::Prev { .. })),
        "{:?}",
        run.fault
    );
    let r = verify_misbehaviour(&run.proof.unwrap(), &trust(&ledger, &world));
    assert!(r.verified(), "{}", r.to_text());
    // One attribution too few: self-evident from the entry alone.
    let mut e = IndexEntry::parse(&good).unwrap();
    e.of.pop();
    e.commit = None;
    let mut leaves = world.log.clone();
    leaves.push(e.to_bytes().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let ledger = raw_ledger(dir.path(), &leaves);
    let (run, _) = monitor(&ledger, None, None, None).unwrap();
    assert!(
        matches!(run.fault, Some(Fault::Count { .. })),
        "{:?}",
        run.fault
    );
    let proof = run.proof.unwrap();
    assert_eq!(proof.entries.len(), 1);
    assert!(verify_misbehaviour(&proof, &trust(&ledger, &world)).verified());
}

#[test]
fn a_prev_beyond_the_entry_is_proven_by_the_entry_alone_and_junk_is_no_proof() {
    let world = honest_world();
    let mut h = honest_index(&world);
    let (_, good) = h.next_entry(true).unwrap();
    let mut e = IndexEntry::parse(&good).unwrap();
    e.prev = Some(1_000_000);
    let mut leaves = world.log.clone();
    leaves.push(e.to_bytes().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let ledger = raw_ledger(dir.path(), &leaves);
    let (run, _) = monitor(&ledger, None, None, None).unwrap();
    assert!(
        matches!(run.fault, Some(Fault::Prev { .. })),
        "{:?}",
        run.fault
    );
    let proof = run.proof.unwrap();
    assert_eq!(proof.entries.len(), 1);
    assert!(verify_misbehaviour(&proof, &trust(&ledger, &world)).verified());
    // A leaf that looks like an index entry but is not one: the monitor
    // fails, with no proof (it contradicts nothing else), and such a leaf
    // given as a "proof" proves nothing.
    let mut leaves = world.log.clone();
    leaves.push(vec![0xa1, 0x61, 0x78, 0x01]);
    let dir = tempfile::tempdir().unwrap();
    let ledger = raw_ledger(dir.path(), &leaves);
    let (run, state) = monitor(&ledger, None, None, None).unwrap();
    assert!(
        matches!(run.fault, Some(Fault::Unreadable { at: 7 })),
        "{:?}",
        run.fault
    );
    assert!(run.proof.is_none() && state.is_none());
    let l = Snapshot::open(&ledger).unwrap();
    let junk = Misbehaviour {
        checkpoint: l.checkpoint().to_bytes(),
        entries: vec![ProvenEntry {
            index: 7,
            bytes: l.read_entry(7).unwrap(),
            path: l.prove_inclusion(7).unwrap().path().to_vec(),
            opening: None,
        }],
    };
    assert!(!verify_misbehaviour(&junk, &trust(&ledger, &world)).verified());
}

#[test]
fn a_trust_policy_makes_the_monitor_check_the_witnessed_tree() {
    let world = honest_world();
    let dir = tempfile::tempdir().unwrap();
    let mut h = honest_index(&world);
    let mut leaves = world.log.clone();
    leaves.push(h.next_entry(true).unwrap().1);
    let ledger = raw_ledger(dir.path(), &leaves);
    let log = Snapshot::open(&ledger).unwrap().vkey().clone();
    let w = crate::note::SignerKey::generate("example.org/w", crate::note::SigType::Cosignature)
        .unwrap();
    let text = format!("log {log}\nwitness w {}\nquorum w\n", w.verifier());
    let policy = crate::note::Policy::parse(text.as_bytes()).unwrap();
    let Err(e) = monitor(&ledger, None, Some(&policy), None) else {
        panic!("a checkpoint without the quorum was monitored")
    };
    assert!(e.to_string().contains("witness quorum"), "{e}");
    let alone = crate::note::Policy::single_log(log);
    let (run, _) = monitor(&ledger, None, Some(&alone), None).unwrap();
    assert!(run.fault.is_none());
}

/// Found by fuzzing (fuzz/artifacts-found/monitor_state): a state whose
/// history lists a facility twice, or two facilities out of order, was
/// read, and then saved in another encoding. Both are refused now.
#[test]
fn a_state_with_facilities_out_of_order_or_twice_is_refused() {
    for (name, bytes) in [
        (
            "out of order",
            &include_bytes!(
                "../../fuzz/artifacts-found/monitor_state/history-facilities-out-of-order"
            )[..],
        ),
        (
            "twice",
            &include_bytes!("../../fuzz/artifacts-found/monitor_state/history-facility-twice")[..],
        ),
    ] {
        let Err(e) = MonitorState::parse(bytes) else {
            panic!("{name}: read")
        };
        let e = e.to_string();
        assert!(e.contains("out of order or repeated"), "{name}: {e}");
    }
}

/// Found by fuzzing (CI's smoke run, 2026-12-02): a state whose history
/// holds a key the monitor never writes (`last_commit` with one byte
/// changed) was read, the key ignored, and the state saved without it.
#[test]
fn a_state_with_an_unknown_history_key_is_refused() {
    let bytes = include_bytes!("../../fuzz/artifacts-found/monitor_state/history-unknown-key");
    let Err(e) = MonitorState::parse(bytes) else {
        panic!("read")
    };
    let e = e.to_string();
    assert!(e.contains("unknown key \"last_commi)\""), "{e}");
}

/// A confidential log that files TF-1's seal under TF-2's label: its public
/// tree stays well-formed (a public monitor sees commitments, each filed
/// under some label), and the ledger's own monitor, which opens every
/// commitment and computes every label, catches the lie.
#[test]
fn a_confidential_log_that_files_a_statement_under_another_label_is_caught_by_its_operator() {
    let world = honest_world();
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    crate::store::init(&ledger, "example.org/monitored").unwrap();
    crate::store::confidential::make_confidential(&ledger, "example.org/monitored").unwrap();
    let layout = crate::store::Layout::new(&ledger);
    let naming = crate::history::Naming::labels(
        crate::store::confidential::read_label_secret(&layout).unwrap(),
    );
    let mut lying = History::new();
    for (i, b) in world.log.iter().enumerate() {
        let a = match crate::history::attribution_of(b) {
            Attribution::Facility(_) if i == 4 => Attribution::Facility("TF-2".into()),
            a => a,
        };
        lying.push_statement(i as u64, naming.rename(a));
    }
    let mut leaves = world.log.clone();
    leaves.push(lying.next_entry(true).unwrap().1);
    let mut w = Writer::open(&ledger).unwrap();
    for b in &leaves {
        w.append(b).unwrap();
    }
    w.commit().unwrap();
    drop(w);
    // The public tree: commitments, each filed under a label; nothing to
    // contradict.
    let l = Snapshot::open(&ledger).unwrap();
    assert!(crate::commitment::is_leaf(&l.read_leaf(4).unwrap()));
    let tree = crate::store::dir_tree(&ledger);
    let (run, _) = monitor_tree(&tree, Some(l.vkey().clone()), None, None, None).unwrap();
    assert!(run.fault.is_none(), "{:?}", run.fault);
    // The ledger's own monitor opens entry 4: TF-1's, filed as TF-2's.
    let (run, state) = monitor(&ledger, None, None, None).unwrap();
    assert!(state.is_none());
    let f = run.fault.unwrap();
    assert!(
        matches!(
            &f,
            Fault::Attribution {
                at: 7,
                entry: 4,
                ..
            }
        ),
        "{f:?}"
    );
    // The proof: the index entry and the one commitment it misfiles, opened
    // (statement, salt, label proof); a third party with the trust
    // directory's labels.vrf checks it, and it reveals no other statement.
    let proof = run.proof.unwrap();
    assert_eq!(proof.entries.len(), 2);
    assert!(proof.entries[0].opening.is_none() && proof.entries[1].opening.is_some());
    let proof = Misbehaviour::parse(&proof.to_bytes().unwrap()).unwrap();
    let mut t = trust(&ledger, &world);
    t.labels = Some(crate::store::confidential::read_label_key(&layout).unwrap());
    let r = verify_misbehaviour(&proof, &t);
    assert!(r.verified(), "{}", r.to_text());
    assert!(
        r.checks.last().unwrap().detail.starts_with("PROVEN"),
        "{}",
        r.to_text()
    );
    // Without the VRF key, or with an opening that does not open the leaf,
    // it proves nothing.
    let mut blind = t.clone();
    blind.labels = None;
    assert!(!verify_misbehaviour(&proof, &blind).verified());
    let mut bad = proof.clone();
    bad.entries[1].opening.as_mut().unwrap().salt[0] ^= 1;
    assert!(!verify_misbehaviour(&bad, &t).verified());
    // Nor does an honest filing "opened" as if it were the lie: the leaf of
    // another entry (TF-2's seal, entry 5) with its own opening.
    let l = Snapshot::open(&ledger).unwrap();
    let o5 = l.read_opening(5).unwrap().unwrap();
    let mut honest_one = proof.clone();
    honest_one.entries[1] = ProvenEntry {
        index: 5,
        bytes: l.read_leaf(5).unwrap(),
        path: l.prove_inclusion(5).unwrap().path().to_vec(),
        opening: Some(crate::verify::OpenedLeaf {
            salt: o5.salt,
            statement: o5.statement,
            label: naming.label_proof("TF-2"),
        }),
    };
    assert!(!verify_misbehaviour(&honest_one, &t).verified());
    // An honest confidential ledger passes both.
    let dir = tempfile::tempdir().unwrap();
    let honest = dir.path().join("ledger");
    crate::store::init(&honest, "example.org/monitored").unwrap();
    crate::store::confidential::make_confidential(&honest, "example.org/monitored").unwrap();
    let naming = crate::history::Naming::labels(
        crate::store::confidential::read_label_secret(&crate::store::Layout::new(&honest)).unwrap(),
    );
    let mut h = History::new();
    for (i, b) in world.log.iter().enumerate() {
        h.push_statement(i as u64, naming.rename(crate::history::attribution_of(b)));
    }
    let mut leaves = world.log.clone();
    leaves.push(h.next_entry(true).unwrap().1);
    let mut w = Writer::open(&honest).unwrap();
    for b in &leaves {
        w.append(b).unwrap();
    }
    w.commit().unwrap();
    drop(w);
    let (run, _) = monitor(&honest, None, None, Some("TF-1")).unwrap();
    assert!(run.fault.is_none(), "{:?}", run.fault);
    let watched: Vec<u64> = run.watched.iter().map(|w| w.index).collect();
    assert_eq!(watched, [2, 4]);
}

/// A confidential log that files a scheme-level statement (a designation)
/// under a facility's label instead of the scheme's: the public monitor
/// cannot see it; the operator's monitor opens it, and its proof (the
/// statement with the label proof of the scheme's list) is checked by a
/// third party.
#[test]
fn a_confidential_log_that_misfiles_a_scheme_level_statement_is_caught() {
    let world = honest_world();
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    crate::store::init(&ledger, "example.org/monitored").unwrap();
    crate::store::confidential::make_confidential(&ledger, "example.org/monitored").unwrap();
    let layout = crate::store::Layout::new(&ledger);
    let naming = crate::history::Naming::labels(
        crate::store::confidential::read_label_secret(&layout).unwrap(),
    );
    let first_scheme = world
        .log
        .iter()
        .position(|b| crate::history::attribution_of(b) == Attribution::Scheme)
        .unwrap() as u64;
    let mut lying = History::new();
    for (i, b) in world.log.iter().enumerate() {
        let a = match crate::history::attribution_of(b) {
            Attribution::Scheme if i as u64 == first_scheme => Attribution::Facility("TF-2".into()),
            a => a,
        };
        lying.push_statement(i as u64, naming.rename(a));
    }
    let mut leaves = world.log.clone();
    leaves.push(lying.next_entry(true).unwrap().1);
    let mut w = Writer::open(&ledger).unwrap();
    for b in &leaves {
        w.append(b).unwrap();
    }
    w.commit().unwrap();
    drop(w);
    let tree = crate::store::dir_tree(&ledger);
    let l = Snapshot::open(&ledger).unwrap();
    let (run, _) = monitor_tree(&tree, Some(l.vkey().clone()), None, None, None).unwrap();
    assert!(run.fault.is_none(), "{:?}", run.fault);
    let (run, _) = monitor(&ledger, None, None, None).unwrap();
    let f = run.fault.unwrap();
    assert!(
        matches!(&f, Fault::Attribution { entry, .. } if *entry == first_scheme),
        "{f:?}"
    );
    let proof = Misbehaviour::parse(&run.proof.unwrap().to_bytes().unwrap()).unwrap();
    let mut t = trust(&ledger, &world);
    t.labels = Some(crate::store::confidential::read_label_key(&layout).unwrap());
    let r = verify_misbehaviour(&proof, &t);
    assert!(r.verified(), "{}", r.to_text());
    assert!(
        r.checks.last().unwrap().detail.starts_with("PROVEN"),
        "{}",
        r.to_text()
    );
}
