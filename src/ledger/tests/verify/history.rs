//! Completeness: a pack proves it holds every statement of its facility and
//! every scheme-level statement; any omission, insertion, duplication or
//! reorder fails with the check that names it.

use super::*;
use crate::ledger::MakePackError;
use crate::policy::testing::root;
use crate::record::{Record, Revocation};
use crate::store::Snapshot;

/// The story, a revocation of the rival's certificate, and more statements
/// in a second commit.
fn longer() -> Fixture {
    let mut f = Fixture::new(story());
    let fp = crate::merkle::Hash::from_bytes(f.world.rival.cert.fingerprint());
    f.world
        .by(
            root,
            Record::Revocation(Revocation {
                certificate_sha256: fp,
                reason: "key lost".into(),
            }),
        )
        .unwrap();
    f.world.by(op, seal("TF-1", 2)).unwrap();
    f.world.by(op, seal("TF-2", 3)).unwrap();
    f.submit_all();
    f
}

fn failed_names(p: &Pack, t: &Trust) -> Vec<String> {
    failed(p, t, None)
}

#[test]
fn every_omission_duplication_and_reorder_fails_by_name() {
    let f = longer();
    let t = f.trust();
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let r = verify_pack(&pack, &t, None);
    assert!(r.verified(), "{}", r.to_text());
    assert!(r.checks.iter().any(|c| c.name == "complete" && c.passed));
    // designations 0, 1; TF-1: 2, 4, 5; commit 6; revocation 7, seal 8, commit 10.
    assert_eq!(pack.statements.len(), 7);
    let n = pack.statements.len();
    for k in 0..n {
        // Omit statement k.
        let mut p = pack.clone();
        p.statements.remove(k);
        let failed = failed_names(&p, &t);
        assert!(
            failed.iter().any(|c| c.starts_with("history: "))
                && failed.contains(&"complete".into()),
            "omitting statement {k}: {failed:?}"
        );
        // Duplicate statement k.
        let mut p = pack.clone();
        p.statements.insert(k, pack.statements[k].clone());
        let failed = failed_names(&p, &t);
        assert!(
            failed.iter().any(|c| c.starts_with("history: ")),
            "duplicating statement {k}: {failed:?}"
        );
        // Swap statement k with the next.
        if k + 1 < n {
            let mut p = pack.clone();
            p.statements.swap(k, k + 1);
            let failed = failed_names(&p, &t);
            assert!(
                failed.iter().any(|c| c.starts_with("history: ")),
                "swapping statements {k} and {}: {failed:?}",
                k + 1
            );
        }
    }
    // The revocation's omission is named as such.
    let mut p = pack.clone();
    p.statements.remove(5);
    let r = verify_pack(&p, &t, None);
    let c = r
        .checks
        .iter()
        .find(|c| c.name == "history: scheme-level statements")
        .unwrap();
    assert!(!c.passed);
    assert!(
        c.detail.contains("entry 7") && c.detail.contains("missing"),
        "{}",
        c.detail
    );
    // The latest statement's omission too (no prefix for a facility pack).
    let mut p = pack.clone();
    p.statements.pop();
    let r = verify_pack(&p, &t, None);
    let c = r
        .checks
        .iter()
        .find(|c| c.name == "history: facility TF-1")
        .unwrap();
    assert!(!c.passed && c.detail.contains("entry 8"), "{}", c.detail);
}

#[test]
fn a_statement_from_a_later_tree_is_not_in_the_committed_list() {
    let mut f = Fixture::new(story());
    let t = f.trust();
    let early = f.pack(Selection::Facility("TF-1".into()), None);
    f.world.by(op, seal("TF-1", 4)).unwrap();
    f.submit_all();
    let late = f.pack(Selection::Facility("TF-1".into()), None);
    let mut p = early.clone();
    p.statements.push(late.statements.last().unwrap().clone());
    let r = verify_pack(&p, &t, None);
    let c = r
        .checks
        .iter()
        .find(|c| c.name == "history: facility TF-1")
        .unwrap();
    assert!(!c.passed);
    assert!(
        c.detail.contains("not one of the committed statements"),
        "{}",
        c.detail
    );
    // Rewriting the committed list to hide a statement breaks the map proof.
    let mut p = late.clone();
    p.statements.pop();
    let h = p.history.as_mut().unwrap();
    h.facilities[0].entries.pop();
    let mut pr = h.facilities[0].proof.clone();
    let l = pr.terminal.as_mut().unwrap();
    l.count -= 1;
    l.digest = crate::history::list_digest(&h.facilities[0].entries);
    h.facilities[0].proof = pr;
    let failed = failed_names(&p, &t);
    assert!(
        failed.contains(&"history: facility TF-1".into()),
        "{failed:?}"
    );
}

#[test]
fn entry_packs_name_what_they_leave_out() {
    let f = longer();
    let t = f.trust();
    // The seal at entry 4, and what it rests on: TF-1's later statements
    // (the decision at 5, the seal at 8) are named as left out.
    let p = f.pack(Selection::Entries(vec![4]), None);
    let r = verify_pack(&p, &t, None);
    assert!(r.verified(), "{}", r.to_text());
    assert!(!r.checks.iter().any(|c| c.name == "complete"));
    assert!(
        r.not_checked
            .iter()
            .any(|n| n.contains("2 later statements of facility TF-1")
                && n.ends_with("entries 5, 8")),
        "{:?}",
        r.not_checked
    );
    // Relabelled as a facility pack, the same statements fail.
    let mut q = p.clone();
    q.history.as_mut().unwrap().selection = HistorySelection::Facility;
    assert!(failed_names(&q, &t).contains(&"history: facility TF-1".into()));
}

#[test]
fn a_facility_without_statements_gets_a_pack_that_proves_it() {
    let f = longer();
    let t = f.trust();
    let p = f.pack(Selection::Facility("TF-9".into()), None);
    assert_eq!(p.statements.len(), 3, "the scheme-level statements only");
    let bytes = p.to_bytes().unwrap();
    let p = Pack::parse(&bytes).unwrap();
    let r = verify_pack(&p, &t, None);
    assert!(r.verified(), "{}", r.to_text());
    let c = r
        .checks
        .iter()
        .find(|c| c.name == "history: facility TF-9")
        .unwrap();
    assert!(
        c.detail.contains("no statement of this facility"),
        "{}",
        c.detail
    );
    // Claiming absence for a facility that has statements fails.
    let mut q = f.pack(Selection::Facility("TF-2".into()), None);
    let absent = p.history.as_ref().unwrap().facilities[0].clone();
    let h = q.history.as_mut().unwrap();
    h.facilities[0] = crate::history::FacilityHistory {
        id: "TF-2".into(),
        ..absent
    };
    q.statements.retain(|s| {
        let st = crate::cose::split_transparent(s).unwrap().statement;
        st.header().subject != "TF-2"
    });
    assert!(failed_names(&q, &t).contains(&"history: facility TF-2".into()));
}

#[test]
fn every_byte_of_the_history_part_matters() {
    let f = longer();
    let t = f.trust();
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let bytes = pack.to_bytes().unwrap();
    let part = crate::cbor::encode(&pack.history.as_ref().unwrap().to_value()).unwrap();
    let at = bytes
        .windows(part.len())
        .position(|w| w == part.as_slice())
        .unwrap();
    let mut tried = 0;
    for pos in at..at + part.len() {
        let mut b = bytes.clone();
        b[pos] ^= 0x01;
        if let Ok(p) = Pack::parse(&b) {
            tried += 1;
            let r = verify_pack(&p, &t, None);
            assert!(
                !r.verified(),
                "history byte {} changed and still verified",
                pos - at
            );
            assert!(
                r.checks
                    .iter()
                    .any(|c| !c.passed && (c.name.starts_with("history") || c.name == "complete")),
                "history byte {}: {:?}",
                pos - at,
                r.checks
                    .iter()
                    .filter(|c| !c.passed)
                    .map(|c| &c.name)
                    .collect::<Vec<_>>()
            );
        }
    }
    assert!(
        tried > part.len() / 2,
        "most mutations still parse: {tried}"
    );
}

#[test]
fn a_ledger_from_before_committed_histories_verifies_as_before_then_upgrades() {
    // The story's statements, written without index entries (as a ledger
    // made before this change holds them).
    let w = story();
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("old");
    crate::store::init(&ledger, "example.org/old").unwrap();
    crate::store::install_trust_root(&ledger, w.root.cert.to_pem().as_bytes()).unwrap();
    let mut wr = crate::store::Writer::open(&ledger).unwrap();
    for b in &w.log {
        wr.append(b).unwrap();
    }
    wr.commit().unwrap();
    drop(wr);
    let vkey = Snapshot::open(&ledger).unwrap().vkey().clone();
    let t = Trust::single_log(w.root.cert.clone(), vkey);
    let sel = Selection::Facility("TF-1".into());
    let old = make_pack(&ledger, &sel, T + 200, None).unwrap();
    assert!(old.history.is_none());
    // By default a pack that cannot prove it is complete fails, naming why;
    // asked for less (--partial), it verifies and its verdict says so.
    let r = verify_pack(&old, &t, None);
    assert!(!r.verified(), "{}", r.to_text());
    let failed: Vec<_> = r.checks.iter().filter(|c| !c.passed).collect();
    assert_eq!(failed.len(), 1, "{}", r.to_text());
    assert_eq!(failed[0].name, "complete");
    assert!(failed[0].detail.contains("carries no committed index"));
    assert_eq!(failed[0].code, Some(crate::verify::finding::NO_INDEX));
    let partial = Options {
        since: None,
        require: Require::Partial,
        now: None,
    };
    let r = verify_pack_with(&old, &t, &partial).0;
    assert!(r.verified(), "{}", r.to_text());
    assert!(
        r.verdict().starts_with("VERIFIED, PARTIAL: "),
        "{}",
        r.verdict()
    );
    assert!(r.to_text().starts_with("VERIFIED, PARTIAL: "));
    assert!(r
        .not_checked
        .iter()
        .any(|n| n.contains("carries no committed index")));
    // Upgraded: one commit entry, and packs prove completeness.
    let cp = crate::ledger::Ledger::open(&ledger)
        .unwrap()
        .upgrade()
        .unwrap()
        .unwrap();
    assert_eq!(cp.root().size(), w.log.len() as u64 + 1);
    assert!(
        crate::ledger::Ledger::open(&ledger)
            .unwrap()
            .upgrade()
            .unwrap()
            .is_none(),
        "nothing more to do"
    );
    let new = make_pack(&ledger, &sel, T + 200, None).unwrap();
    let r = verify_pack(&new, &t, None);
    assert!(r.verified(), "{}", r.to_text());
    assert!(r.checks.iter().any(|c| c.name == "complete" && c.passed));
    // The old pack still verifies (as partial) against its own checkpoint.
    assert!(verify_pack_with(&old, &t, &partial).0.verified());
}

#[test]
fn a_facility_pack_must_answer_for_every_facility_it_holds() {
    // An honest absence proof for a facility nobody registered, padded with
    // TF-1's statements (leaving out what does not suit): not complete.
    let f = longer();
    let t = f.trust();
    let absent = f.pack(Selection::Facility("TF-9".into()), None);
    let tf1 = f.pack(Selection::Facility("TF-1".into()), None);
    let mut p = absent.clone();
    p.statements = tf1.statements.clone();
    p.statements.pop();
    let r = verify_pack(&p, &t, None);
    let c = r
        .checks
        .iter()
        .find(|c| c.name == "history: facility TF-1")
        .unwrap();
    assert!(
        !c.passed && c.detail.contains("no committed history"),
        "{}",
        c.detail
    );
    assert!(r.checks.iter().any(|c| c.name == "complete" && !c.passed));
    // And an unacknowledged decision is not called pending on its strength.
    assert!(!r
        .not_checked
        .iter()
        .any(|n| n.contains("(this pack is complete")));
}

#[test]
fn the_library_keeps_the_rules_the_cli_used_to() {
    let mut f = longer();
    // A policy ledger refuses raw appends; references to index entries are
    // refused, to statements carry their SHA-256.
    let e = crate::store::Writer::open_raw(&f.ledger).err().unwrap();
    assert!(
        matches!(e, crate::store::StoreError::PolicyLedger { .. }),
        "{e}"
    );
    let l = Snapshot::open(&f.ledger).unwrap();
    let handle = crate::ledger::Ledger::open(&f.ledger).unwrap();
    assert!(matches!(
        handle.statement_ref(6),
        Err(crate::store::StoreError::NotAStatement { index: 6 })
    ));
    let r = handle.statement_ref(5).unwrap();
    drop(handle);
    assert_eq!(r.sha256, crate::merkle::Hash::digest(&f.world.log[5]));
    // pack --since: OLD of another log, OLD ahead of the ledger, and a split.
    let old = l.checkpoint().to_bytes();
    let sel = Selection::Facility("TF-1".into());
    let other =
        crate::note::SignerKey::generate("example.org/packs", crate::note::SigType::Ed25519)
            .unwrap();
    let foreign = crate::note::SignedCheckpoint::sign(l.checkpoint().checkpoint().clone(), &other)
        .unwrap()
        .to_bytes();
    assert!(matches!(
        crate::ledger::Ledger::open(&f.ledger)
            .unwrap()
            .pack_since(&sel, T, &foreign),
        Err(MakePackError::NotThisLog(_))
    ));
    let fork = f.dir.path().join("fork");
    super::copy_dir(&f.ledger, &fork);
    f.world.by(op, seal("TF-1", 7)).unwrap();
    f.submit_all();
    let (p, split) = crate::ledger::Ledger::open(&f.ledger)
        .unwrap()
        .pack_since(&sel, T, &old)
        .unwrap();
    assert!(split.is_none() && p.consistency.is_some());
    let ahead = Snapshot::open(&f.ledger).unwrap().checkpoint().to_bytes();
    assert!(matches!(
        crate::ledger::Ledger::open(&fork)
            .unwrap()
            .pack_since(&sel, T, &ahead),
        Err(MakePackError::Behind { .. })
    ));
    // The fork takes another statement: the honest ledger's pack --since the
    // fork's checkpoint names the split (and is still made).
    let st = World::sign_at(&f.world.op, &seal("TF-2", 9), T);
    crate::ledger::testing::submit(&fork, &[("x".into(), st)], T + 100, 300).unwrap();
    let forked = Snapshot::open(&fork).unwrap().checkpoint().to_bytes();
    let (_, split) = crate::ledger::Ledger::open(&f.ledger)
        .unwrap()
        .pack_since(&sel, T, &forked)
        .unwrap();
    let s = split.unwrap();
    assert_ne!(s.ours, s.theirs);
    // The witness round: w1 follows the honest ledger, and refuses the fork.
    let w1 = f.dir.path().join("w1");
    let c = crate::witness::cosign_ledger(
        &w1,
        &crate::ledger::Ledger::open(&f.ledger).unwrap(),
        T + 300,
    )
    .unwrap();
    assert_eq!(
        c.size,
        Snapshot::open(&f.ledger)
            .unwrap()
            .checkpoint()
            .root()
            .size()
    );
    assert!(crate::witness::cosign_ledger(
        &w1,
        &crate::ledger::Ledger::open(&fork).unwrap(),
        T + 300
    )
    .is_err());
}
