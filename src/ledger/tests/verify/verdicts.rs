//! Verdicts that cannot mislead (issue 23): a pack proves completeness or
//! its verdict says how much less it proves; every byte of every kind of
//! pack is checked; signing times are checked against what the witnesses
//! claim.

use super::*;

/// A checkpoint note for `from` (an older tree of the fixture's log),
/// signed by the log key: the OLD a verifier kept.
fn old_note(f: &Fixture, from: crate::merkle::RootHash) -> Vec<u8> {
    let key = std::fs::read_to_string(f.ledger.join("private/log.key")).unwrap();
    let key = crate::note::SignerKey::parse(&key).unwrap();
    crate::note::SignedCheckpoint::sign(
        crate::note::Checkpoint::new(key.name(), from).unwrap(),
        &key,
    )
    .unwrap()
    .to_bytes()
}

#[test]
fn a_facility_pack_without_its_history_fails_unless_partial_is_asked_for() {
    let f = Fixture::new(story());
    let t = f.trust();
    let mut pack = f.pack(Selection::Facility("TF-1".into()), None);
    let r = verify_pack(&pack, &t, None);
    assert!(r.verified(), "{}", r.to_text());
    assert_eq!(
        r.scope,
        Some(Scope::Complete {
            facilities: vec!["TF-1".into()],
            size: 7
        })
    );
    // The red team's pack: the history part stripped (a log or a maker
    // that left a statement out cannot show the index).
    pack.history = None;
    let r = verify_pack(&pack, &t, None);
    assert!(!r.verified(), "{}", r.to_text());
    assert!(
        r.to_text().starts_with("NOT VERIFIED: 1 of "),
        "{}",
        r.to_text()
    );
    assert!(r.verdict().starts_with("NOT VERIFIED"));
    let failed: Vec<_> = r.checks.iter().filter(|c| !c.passed).collect();
    assert_eq!(failed[0].name, "complete");
    assert!(r.to_json().contains("\"verified\": false"));
    // Asked for explicitly, it verifies as partial, and says so first.
    let partial = Options {
        since: None,
        require: Require::Partial,
        now: None,
    };
    let r = verify_pack_with(&pack, &t, &partial).0;
    assert!(r.verified(), "{}", r.to_text());
    assert!(
        r.to_text().starts_with("VERIFIED, PARTIAL: all "),
        "{}",
        r.to_text()
    );
    assert!(r.to_json().contains("\"scope\": {\"kind\": \"partial\""));
}

#[test]
fn a_pack_of_selected_entries_says_it_proves_those_only() {
    let f = Fixture::new(story());
    let t = f.trust();
    let pack = f.pack(Selection::Entries(vec![5]), None);
    let r = verify_pack(&pack, &t, None);
    assert!(r.verified(), "{}", r.to_text());
    let first = r.to_text().lines().next().unwrap().to_string();
    assert!(first.starts_with("VERIFIED, ENTRIES ONLY: all "), "{first}");
    assert!(first.contains("through entry 5"), "{first}");
    assert!(
        first.contains("not that there are no later ones"),
        "{first}"
    );
    assert!(r
        .to_json()
        .contains("\"kind\": \"entries\", \"through\": 5"));
    // --require-complete refuses it.
    let strict = Options {
        since: None,
        require: Require::Complete,
        now: None,
    };
    let r = verify_pack_with(&pack, &t, &strict).0;
    assert!(!r.verified());
    assert!(r.checks.iter().any(|c| c.name == "complete"
        && !c.passed
        && c.code == Some(crate::verify::finding::SELECTED_ENTRIES)));
    // A facility pack relabelled as a selection: still no more than that.
    let mut relabelled = f.pack(Selection::Facility("TF-1".into()), None);
    relabelled.history.as_mut().unwrap().selection = HistorySelection::Entries;
    let r = verify_pack(&relabelled, &t, None);
    assert!(
        !r.verified() || r.verdict().starts_with("VERIFIED, ENTRIES ONLY"),
        "{}",
        r.verdict()
    );
}

/// Flips every byte of the pack outside its statements, every byte of its
/// first statement and every 7th byte of the others; each flip must make
/// the pack unreadable or not verified.
fn every_byte_matters(what: &str, pack: &Pack, t: &Trust, since: Option<&[u8]>) -> usize {
    let options = Options {
        since,
        require: Require::Default,
        now: None,
    };
    assert!(
        verify_pack_with(pack, t, &options).0.verified(),
        "{what}: the honest pack verifies"
    );
    let bytes = pack.to_bytes().unwrap();
    let spans: Vec<std::ops::Range<usize>> = pack
        .statements
        .iter()
        .skip(1)
        .map(|s| {
            let at = bytes
                .windows(s.len())
                .position(|w| w == &s[..])
                .expect("the statement is in the pack");
            at..at + s.len()
        })
        .collect();
    let mut flipped = 0;
    for pos in 0..bytes.len() {
        if spans.iter().any(|r| r.contains(&pos) && pos % 7 != 0) {
            continue;
        }
        let mut b = bytes.clone();
        b[pos] ^= 0x01;
        flipped += 1;
        if let Ok(p) = Pack::parse(&b) {
            let r = verify_pack_with(&p, t, &options).0;
            assert!(
                !r.verified(),
                "{what}: byte {pos} of {} changed and the pack still verified: {}",
                bytes.len(),
                r.verdict()
            );
        }
    }
    flipped
}

#[test]
fn every_byte_of_every_kind_of_pack_is_checked() {
    let mut f = Fixture::new(story());
    let old_size = Snapshot::open(&f.ledger)
        .unwrap()
        .checkpoint()
        .root()
        .size();
    // More statements, so the consistency proof has hashes to flip.
    f.world.by(op, reg("TF-3")).unwrap();
    let s = f.world.by(op, seal("TF-3", 1)).unwrap();
    f.world
        .by(
            cio,
            decision("TF-3", Assessment::Fusa, Outcome::Approved, &[], vec![s]),
        )
        .unwrap();
    f.submit_all();
    let t = f.trust();
    let kinds = [
        ("facility pack", Selection::Facility("TF-1".into())),
        ("entries pack", Selection::Entries(vec![5])),
    ];
    let mut total = 0;
    for (what, sel) in kinds {
        total += every_byte_matters(what, &f.pack(sel.clone(), None), &t, None);
        // With a consistency part: checked with and without the OLD.
        let p = f.pack(sel, Some(old_size));
        let c = p.consistency.clone().expect("made --since");
        assert!(!c.proof.is_empty());
        total += every_byte_matters(&format!("{what} --since, no OLD given"), &p, &t, None);
        let old = old_note(&f, c.from);
        total += every_byte_matters(&format!("{what} --since OLD"), &p, &t, Some(&old));
    }
    assert!(total > 10_000, "{total} flips");
}

#[test]
fn a_pack_s_own_consistency_proof_is_checked_without_old() {
    let mut f = Fixture::new(story());
    let old_size = Snapshot::open(&f.ledger)
        .unwrap()
        .checkpoint()
        .root()
        .size();
    f.world.by(op, reg("TF-3")).unwrap();
    f.submit_all();
    let t = f.trust();
    let mut p = f.pack(Selection::Facility("TF-1".into()), Some(old_size));
    let r = verify_pack(&p, &t, None);
    assert!(r.verified(), "{}", r.to_text());
    assert!(r
        .checks
        .iter()
        .any(|c| c.name == "consistency: proof" && c.passed));
    let c = p.consistency.as_mut().unwrap();
    let mut h = *c.proof[0].as_bytes();
    h[0] ^= 1;
    c.proof[0] = crate::merkle::Hash::from_slice(&h).unwrap();
    let r = verify_pack(&p, &t, None);
    assert!(!r.verified());
    assert_eq!(
        r.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["consistency: proof"]
    );
}

/// The fixture's pack after w1 cosigns at `when` instead of T + 150.
fn cosigned_at(when: u64) -> (Fixture, Pack, Trust) {
    let f = Fixture::new(story());
    // Drop the fixture's cosignature: a fresh witness directory for w2,
    // which cosigns at `when`, and a policy that needs w2.
    let l = Snapshot::open(&f.ledger).unwrap();
    let sig =
        f.w2.add_checkpoint(&request_for(&l, 0).unwrap(), when)
            .unwrap();
    crate::store::Writer::open(&f.ledger)
        .unwrap()
        .attach_cosignatures(&f.w2.vkey(), sig.to_line().as_bytes())
        .unwrap();
    let log = l.vkey().clone();
    let text = format!("log {log}\nwitness w2 {}\nquorum w2\n", f.w2.vkey());
    let t = Trust {
        root: f.world.root.cert.clone(),
        policy: Policy::parse(text.as_bytes()).unwrap(),
        labels: None,
        rotations: Vec::new(),
        tsas: Vec::new(),
        updates: Vec::new(),
    };
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    (f, pack, t)
}

#[test]
fn a_statement_signed_after_its_witnessed_time_fails() {
    // Honest: the statements are signed at T, the witness saw them at T+150.
    let (_f, pack, t) = cosigned_at(T + 150);
    let r = verify_pack(&pack, &t, None);
    assert!(r.verified(), "{}", r.to_text());
    let times = r
        .checks
        .iter()
        .find(|c| c.name == "statement times")
        .unwrap();
    assert!(
        times.passed && times.detail.contains("w2"),
        "{}",
        times.detail
    );
    let quorum = r
        .checks
        .iter()
        .find(|c| c.name == "witness quorum")
        .unwrap();
    assert!(
        quorum.detail.contains("w2 claims that every entry"),
        "{}",
        quorum.detail
    );
    // Within the stated skew: still consistent.
    let (_f, pack, t) = cosigned_at(T - WITNESSED_TIME_SKEW);
    assert!(verify_pack(&pack, &t, None).verified());
    // A witness that dates its cosignature 1970: every statement fails its
    // time check, by name.
    let (_f, pack, t) = cosigned_at(86_400);
    let r = verify_pack(&pack, &t, None);
    assert!(!r.verified());
    let late: Vec<_> = r
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(late.len(), pack.statements.len(), "{late:?}");
    assert!(late.iter().all(|n| n.ends_with(": time")), "{late:?}");
    assert!(r.to_text().contains("1970-01-02T00:00:00Z"));
}

#[test]
fn a_witness_whose_time_goes_back_fails_since() {
    let mut f = Fixture::new(story());
    let old_pack = f.pack(Selection::Facility("TF-1".into()), None);
    f.world.by(op, reg("TF-3")).unwrap();
    // submit_all has w1 cosign at T + 150 again: for the new, larger tree
    // that is no later than its cosignature of OLD. Make OLD's later.
    f.submit_all();
    let t = f.trust();
    let new = f.pack(Selection::Facility("TF-1".into()), Some(7));
    let r = verify_pack(&new, &t, Some(&old_pack.checkpoint));
    let clock = r
        .checks
        .iter()
        .find(|c| c.name == "since: witness w1 time")
        .expect("compared");
    assert!(clock.passed, "{}", clock.detail);
    // OLD cosigned at T + 150; a pack whose checkpoint w1 cosigned at
    // T + 100 (earlier: a witness that lies about its clock) fails, naming
    // the witness.
    let key = std::fs::read_to_string(f.dir.path().join("w1").join("witness.key")).unwrap();
    let key = crate::note::SignerKey::parse(&key).unwrap();
    let l = Snapshot::open(&f.ledger).unwrap();
    let sig = crate::note::cosign(l.checkpoint().checkpoint(), &key, T + 100).unwrap();
    let text = std::str::from_utf8(&new.checkpoint).unwrap();
    let (body, sigs) = text.split_once("\n\n").unwrap();
    let log_line = sigs
        .lines()
        .find(|line| line.starts_with("\u{2014} example.org/packs "))
        .unwrap();
    let mut back = new.clone();
    back.checkpoint = format!("{body}\n\n{log_line}\n{}", sig.to_line()).into_bytes();
    let r = verify_pack(&back, &t, Some(&old_pack.checkpoint));
    let clock = r
        .checks
        .iter()
        .find(|c| c.name == "since: witness w1 time")
        .expect("compared");
    assert!(!clock.passed, "{}", r.to_text());
    assert!(clock.detail.contains("only grow"));
    assert!(!r.verified());
}
