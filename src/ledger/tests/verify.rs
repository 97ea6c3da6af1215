//! Packs: an honest pack verifies; damage to each part fails the check that
//! names it; `--since` proves extension or names the split.

use crate::ledger::testing::make_pack;
use crate::ledger::Selection;
use crate::note::Policy;
use crate::policy::testing::{cio, decision, op, reg, seal, World};
use crate::record::{Assessment, Outcome};
use crate::store::Snapshot;
use crate::verify::*;
use crate::witness::{request_for, Witness};

mod confidential;
mod history;
mod mutation;
mod prop;
mod rules;
mod verdicts;

pub(crate) const T: u64 = 1_790_000_000;

/// A ledger with a trust root, the World's statements submitted, and two
/// witnesses of which only w1 has cosigned the latest checkpoint.
pub(crate) struct Fixture {
    pub dir: tempfile::TempDir,
    pub ledger: std::path::PathBuf,
    pub world: World,
    pub w1: Witness,
    pub w2: Witness,
}

impl Fixture {
    pub fn new(world: World) -> Self {
        Self::made(world, false)
    }

    /// [`Fixture::new`] with a confidential ledger.
    pub fn confidential(world: World) -> Self {
        Self::made(world, true)
    }

    fn made(world: World, confidential: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger");
        let vkey = crate::store::init(&ledger, "example.org/packs").unwrap();
        crate::store::install_trust_root(&ledger, world.root.cert.to_pem().as_bytes()).unwrap();
        if confidential {
            crate::store::confidential::make_confidential(&ledger, "example.org/packs").unwrap();
        }
        let mut ws = Vec::new();
        for name in ["w1", "w2"] {
            let wdir = dir.path().join(name);
            Witness::create(&wdir, &format!("example.org/{name}")).unwrap();
            let mut w = Witness::open(&wdir).unwrap();
            w.add_log(vkey.clone()).unwrap();
            ws.push(w);
        }
        let w2 = ws.pop().unwrap();
        let w1 = ws.pop().unwrap();
        let mut f = Fixture {
            dir,
            ledger,
            world,
            w1,
            w2,
        };
        f.submit_all();
        f
    }

    /// Submits whatever of the World's log is not yet in the ledger, then
    /// has w1 cosign.
    pub fn submit_all(&mut self) {
        self.world.commit();
        let have = Snapshot::open(&self.ledger)
            .unwrap()
            .checkpoint()
            .root()
            .size() as usize;
        // One submit per commit of the World: its index entries end batches.
        let mut batch: Vec<(String, Vec<u8>)> = Vec::new();
        for b in &self.world.log[have..] {
            if crate::history::is_index_entry(b) {
                if !batch.is_empty() {
                    crate::ledger::testing::submit(&self.ledger, &batch, T + 100, 300).unwrap();
                }
                batch.clear();
            } else {
                batch.push((format!("s{}", batch.len()), b.clone()));
            }
        }
        let size = Snapshot::open(&self.ledger)
            .unwrap()
            .checkpoint()
            .root()
            .size();
        assert_eq!(
            size,
            self.world.log.len() as u64,
            "the World mirrors the ledger"
        );
        self.cosign(&self.w1);
    }

    pub fn cosign(&self, w: &Witness) {
        let l = Snapshot::open(&self.ledger).unwrap();
        let old = w
            .latest(l.checkpoint().checkpoint().origin())
            .unwrap()
            .map_or(0, |c| c.size());
        let sig = w
            .add_checkpoint(&request_for(&l, old).unwrap(), T + 150)
            .unwrap();
        crate::store::Writer::open(&self.ledger)
            .unwrap()
            .attach_cosignatures(&w.vkey(), sig.to_line().as_bytes())
            .unwrap();
    }

    /// Trust: the scheme root, the log, both witnesses, quorum any one.
    pub fn trust(&self) -> Trust {
        let log = Snapshot::open(&self.ledger).unwrap().vkey().clone();
        let text = format!(
            "log {log}\nwitness w1 {}\nwitness w2 {}\ngroup any-witness any w1 w2\nquorum any-witness\n",
            self.w1.vkey(),
            self.w2.vkey()
        );
        let layout = crate::store::Layout::new(&self.ledger);
        Trust {
            root: self.world.root.cert.clone(),
            policy: Policy::parse(text.as_bytes()).unwrap(),
            labels: layout
                .is_confidential()
                .then(|| crate::store::confidential::read_label_key(&layout).unwrap()),
            rotations: Vec::new(),
            tsas: Vec::new(),
            updates: Vec::new(),
        }
    }

    pub fn pack(&self, sel: Selection, since: Option<u64>) -> Pack {
        make_pack(&self.ledger, &sel, T + 200, since).unwrap()
    }
}

pub(crate) fn story() -> World {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    w.by(op, reg("TF-2")).unwrap();
    let s = w.by(op, seal("TF-1", 1)).unwrap();
    w.by(
        cio,
        decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![s]),
    )
    .unwrap();
    w
}

pub(super) fn failed(p: &Pack, t: &Trust, since: Option<&[u8]>) -> Vec<String> {
    verify_pack(p, t, since)
        .checks
        .into_iter()
        .filter(|c| !c.passed)
        .map(|c| c.name)
        .collect()
}

#[test]
fn an_honest_pack_verifies_and_says_what_it_did_not_check() {
    let f = Fixture::new(story());
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    assert_eq!(
        pack.statements.len(),
        5,
        "the two designations, TF-1's registration, seal and decision"
    );
    let bytes = pack.to_bytes().unwrap();
    let back = Pack::parse(&bytes).unwrap();
    assert_eq!(back, pack);
    let report = verify_pack(&back, &f.trust(), None);
    assert!(report.verified(), "{}", report.to_text());
    // checkpoint, witness w1, quorum, then a receipt and a policy check
    // each, the statements' times, then the committed index: its entry,
    // the scheme-level list, the facility's list, and the verdict on
    // completeness.
    assert_eq!(
        report.checks.len(),
        3 + 2 * 5 + 1 + 4,
        "{}",
        report.to_text()
    );
    assert!(
        report.verdict().starts_with(
            "VERIFIED: all 18 checks passed; complete: every statement of TF-1 up to tree size 7"
        ),
        "{}",
        report.verdict()
    );
    let complete = report.checks.last().unwrap();
    assert_eq!(complete.name, "complete");
    assert!(complete
        .detail
        .starts_with("every statement of facility TF-1 up to tree size 7, and every revocation"));
    assert!(!report
        .not_checked
        .iter()
        .any(|n| n.contains("statements of the log that the pack's maker left out")));
    // Complete, the pack settles that the decision is not yet acknowledged.
    assert!(report.not_checked.iter().any(|n| n.ends_with(
        "decision at entry 5: none in the log up to tree size 7 (this pack is complete for TF-1): pending"
    )));
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names[..3], ["checkpoint", "witness w1", "witness quorum"]);
    assert!(names[3].starts_with("statement 1 (entry 0): receipt"));
    assert!(report.not_checked.iter().any(|n| n.contains("revocations")));
    assert!(report
        .not_checked
        .iter()
        .any(|n| n.contains("extends a checkpoint you kept")));
    // --entry: the decision and the history it rests on.
    let p = f.pack(Selection::Entries(vec![5]), None);
    assert!(verify_pack(&p, &f.trust(), None).verified());
    // With `quorum none` the report says that a split view is not excluded.
    let t = Trust::single_log(
        f.world.root.cert.clone(),
        Snapshot::open(&f.ledger).unwrap().vkey().clone(),
    );
    let r = verify_pack(&pack, &t, None);
    assert!(r.verified());
    assert!(r.not_checked.iter().any(|n| n.contains("split view")));
}

#[test]
fn the_witness_quorum_is_enforced() {
    let f = Fixture::new(story());
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let t = f.trust();
    assert!(failed(&pack, &t, None).is_empty());
    // Strip the cosignature: the quorum fails, and says what it needs.
    let mut p = pack.clone();
    let text = String::from_utf8(p.checkpoint.clone()).unwrap();
    let kept: Vec<&str> = text
        .split_inclusive('\n')
        .filter(|l| !l.contains("example.org/w1"))
        .collect();
    p.checkpoint = kept.concat().into_bytes();
    let r = verify_pack(&p, &t, None);
    let q = r
        .checks
        .iter()
        .find(|c| c.name == "witness quorum")
        .unwrap();
    assert!(!q.passed);
    assert!(q.detail.contains("1 of {w1, w2}"), "{}", q.detail);
    assert!(q.detail.contains("from: none"), "{}", q.detail);
    // w2 cosigns too: two valid witness checks.
    f.cosign(&f.w2);
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let r = verify_pack(&pack, &t, None);
    assert!(r.verified(), "{}", r.to_text());
    assert!(r.checks.iter().any(|c| c.name == "witness w2" && c.passed));
    // The cosignatures' times bound when the entries existed.
    let q = r
        .checks
        .iter()
        .find(|c| c.name == "witness quorum")
        .unwrap();
    assert!(
        q.detail
            .contains("every entry of this checkpoint existed by "),
        "{}",
        q.detail
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

/// Issue 14, item 7: a signature line from a key the trust policy does not
/// name is ignored (c2sp.org/signed-note) and the report says so.
#[test]
fn a_signature_line_from_an_unknown_key_is_reported_as_ignored() {
    use crate::note::{SigType, SignerKey};
    let f = Fixture::new(story());
    let mut pack = f.pack(Selection::Facility("TF-1".into()), None);
    let stranger = SignerKey::generate("stranger.example/w9", SigType::Ed25519).unwrap();
    let mut note = crate::note::Note::parse(&pack.checkpoint).unwrap();
    note.sign(&stranger).unwrap();
    pack.checkpoint = note.to_bytes();
    let r = verify_pack(&pack, &f.trust(), None);
    assert!(r.verified(), "{}", r.to_text());
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].contains("stranger.example/w9")
            && r.warnings[0].contains(&stranger.verifier().id().to_string())
            && r.warnings[0].contains("ignored"),
        "{}",
        r.warnings[0]
    );
    assert!(r
        .to_text()
        .contains("warning: the checkpoint's signature line by stranger.example/w9"));
    assert!(r
        .to_json()
        .contains("\"warnings\": [\"the checkpoint's signature line"));
}

#[test]
fn since_proves_extension_and_names_a_split_view() {
    let mut f = Fixture::new(story());
    let old = f.pack(Selection::Facility("TF-1".into()), None);
    let t = f.trust();
    // A copy of the ledger at size 7 (six statements and the commit entry),
    // with the same log key: the fork.
    let forked = f.dir.path().join("fork");
    copy_dir(&f.ledger, &forked);
    // The log grows.
    f.world.by(op, seal("TF-1", 2)).unwrap();
    f.world.by(op, seal("TF-2", 3)).unwrap();
    f.submit_all();
    // Without a proof, --since cannot be shown.
    let new = f.pack(Selection::Facility("TF-1".into()), None);
    assert_eq!(
        failed(&new, &t, Some(&old.checkpoint)),
        ["since: consistency"]
    );
    let code = |p: &Pack, old: &[u8]| {
        verify_pack(p, &t, Some(old))
            .checks
            .iter()
            .find(|c| !c.passed)
            .and_then(|c| c.code)
    };
    use crate::verify::finding;
    assert_eq!(
        code(&new, &old.checkpoint),
        Some(finding::NO_CONSISTENCY_PROOF)
    );
    // With one, it is.
    let new = f.pack(Selection::Facility("TF-1".into()), Some(7));
    let r = verify_pack(&new, &t, Some(&old.checkpoint));
    assert!(r.verified(), "{}", r.to_text());
    assert!(r.checks.iter().any(|c| c.detail.contains("extends OLD")));
    // Reversed, it is refused plainly.
    let r = verify_pack(&old, &t, Some(&new.checkpoint));
    assert!(!r.verified());
    assert_eq!(code(&old, &new.checkpoint), Some(finding::OLD_IS_NEWER));
    // A proof from another size is named.
    let other = f.pack(Selection::Facility("TF-1".into()), Some(5));
    assert_eq!(
        failed(&other, &t, Some(&old.checkpoint)),
        ["since: consistency"]
    );
    assert_eq!(
        code(&other, &old.checkpoint),
        Some(finding::PROOF_FROM_ANOTHER_SIZE)
    );
    // A damaged proof does not verify.
    let mut bad = new.clone();
    bad.consistency.as_mut().unwrap().proof[0] = crate::merkle::Hash::digest(b"x");
    let r = verify_pack(&bad, &t, Some(&old.checkpoint));
    assert!(r
        .checks
        .iter()
        .any(|c| !c.passed && c.detail.contains("does not verify")));

    // The fork takes another statement at entry 7 (and its commit entry).
    // On its own it is a valid history; --since its checkpoint, the honest
    // log's pack exposes the split.
    let st = World::sign_at(&f.world.op, &seal("TF-1", 9), T);
    crate::ledger::testing::submit(&forked, &[("x".into(), st)], T + 100, 300).unwrap();
    let fork_pack = make_pack(
        &forked,
        &Selection::Facility("TF-1".into()),
        T + 200,
        Some(7),
    )
    .unwrap();
    let t_nowit = Trust::single_log(f.world.root.cert.clone(), t.policy.logs()[0].clone());
    assert!(verify_pack(&fork_pack, &t_nowit, None).verified());
    assert!(verify_pack(&fork_pack, &t_nowit, Some(&old.checkpoint)).verified());
    let honest = f.pack(Selection::Facility("TF-1".into()), Some(9));
    let r = verify_pack(&honest, &t_nowit, Some(&fork_pack.checkpoint));
    let c = r
        .checks
        .iter()
        .find(|c| c.name == "since: consistency")
        .unwrap();
    assert!(!c.passed);
    assert!(c.detail.starts_with("SPLIT VIEW"), "{}", c.detail);
    assert!(c.detail.contains("at size 9"), "{}", c.detail);
    // Grown to the same size (12), the two views differ at equal size.
    let batch: Vec<(String, Vec<u8>)> = [("y", 8), ("z", 7)]
        .iter()
        .map(|(n, k)| {
            (
                n.to_string(),
                World::sign_at(&f.world.op, &seal("TF-2", *k), T),
            )
        })
        .collect();
    crate::ledger::testing::submit(&forked, &batch, T + 100, 300).unwrap();
    f.world.by(op, seal("TF-2", 4)).unwrap();
    f.submit_all();
    let fork12 = make_pack(&forked, &Selection::Facility("TF-1".into()), T + 200, None).unwrap();
    let honest12 = f.pack(Selection::Facility("TF-1".into()), Some(12));
    let r = verify_pack(&honest12, &t_nowit, Some(&fork12.checkpoint));
    assert!(r
        .checks
        .iter()
        .any(|c| !c.passed && c.detail.starts_with("SPLIT VIEW")));
    // The witness that cosigned the honest log refuses the fork's checkpoint.
    let l = Snapshot::open(&forked).unwrap();
    let e =
        f.w1.add_checkpoint(&request_for(&l, 12).unwrap(), T)
            .unwrap_err();
    assert_eq!(e.status(), 409, "{e}");
}

#[test]
fn packs_larger_than_a_statement_limit_round_trip() {
    // Packs may be far larger than one statement (up to MAX_PACK_SIZE).
    let p = Pack {
        checkpoint: b"cp".to_vec(),
        statements: vec![vec![7u8; 3 << 20]],
        consistency: None,
        history: None,
        frozen: None,
        predecessor: None,
        rotations: Vec::new(),
        timestamps: Vec::new(),
    };
    let bytes = p.to_bytes().unwrap();
    assert!(bytes.len() > 3 << 20);
    assert_eq!(Pack::parse(&bytes).unwrap(), p);
    let mut too_big = bytes.clone();
    too_big.resize(MAX_PACK_SIZE + 1, 0);
    assert!(Pack::parse(&too_big).is_err());
}

#[test]
fn since_an_empty_tree_must_be_the_empty_tree() {
    let f = Fixture::new(story());
    let t = f.trust();
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let key = std::fs::read_to_string(f.ledger.join("private/log.key")).unwrap();
    let key = crate::note::SignerKey::parse(&key).unwrap();
    let old = |h: crate::merkle::Hash| {
        crate::note::SignedCheckpoint::sign(
            crate::note::Checkpoint::new(key.name(), crate::merkle::RootHash::new(0, h)).unwrap(),
            &key,
        )
        .unwrap()
        .to_bytes()
    };
    assert!(verify_pack(&pack, &t, Some(&old(crate::merkle::empty_root()))).verified());
    let r = verify_pack(&pack, &t, Some(&old(crate::merkle::Hash::digest(b"x"))));
    assert_eq!(
        r.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["since: consistency"]
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
fn wrong_keys_roots_order_and_receipts_fail_with_their_checks() {
    let f = Fixture::new(story());
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let t = f.trust();
    // Another log key of the same name: the checkpoint, and so every receipt.
    let other =
        crate::note::SignerKey::generate("example.org/packs", crate::note::SigType::Ed25519)
            .unwrap();
    let t2 = Trust::single_log(t.root.clone(), other.verifier());
    let fl = failed(&pack, &t2, None);
    assert_eq!(fl[0], "checkpoint");
    assert_eq!(fl.iter().filter(|n| n.ends_with(": receipt")).count(), 5);
    // Another scheme root: every statement fails its chain (rule certificate/chain).
    let t3 = Trust {
        root: World::new().root.cert.clone(),
        policy: t.policy.clone(),
        labels: None,
        rotations: Vec::new(),
        tsas: Vec::new(),
        updates: Vec::new(),
    };
    let r = verify_pack(&pack, &t3, None);
    let bad: Vec<_> = r.checks.iter().filter(|c| !c.passed).collect();
    assert_eq!(bad.len(), 5, "{}", r.to_text());
    assert!(
        bad.iter().all(|c| c.detail.starts_with("rule chain")),
        "{}",
        r.to_text()
    );
    // Statements out of log order, or twice.
    let mut p = pack.clone();
    p.statements.swap(1, 2);
    let r = verify_pack(&p, &t, None);
    assert!(r
        .checks
        .iter()
        .any(|c| !c.passed && c.detail.contains("not after the previous")));
    let mut p = pack.clone();
    p.statements.push(p.statements[2].clone());
    assert!(!verify_pack(&p, &t, None).verified());
    // A statement with two receipts.
    let mut p = pack.clone();
    let split = crate::cose::split_transparent(&p.statements[0]).unwrap();
    let (st, receipts) = (split.statement, split.receipts);
    p.statements[0] =
        crate::cose::transparent_statement(&st, &[receipts[0].clone(), receipts[0].clone()])
            .unwrap();
    assert!(failed(&p, &t, None).contains(&"statement 1: receipt".to_string()));
}

#[test]
fn a_truncated_consistency_proof_fails_and_bad_trust_dirs_are_named() {
    let mut f = Fixture::new(story());
    let old = f.pack(Selection::Facility("TF-1".into()), None);
    f.world.by(op, seal("TF-1", 5)).unwrap();
    f.world.by(op, seal("TF-1", 6)).unwrap();
    f.world.by(op, seal("TF-1", 7)).unwrap();
    f.submit_all();
    let t = f.trust();
    let mut new = f.pack(Selection::Facility("TF-1".into()), Some(7));
    assert!(verify_pack(&new, &t, Some(&old.checkpoint)).verified());
    new.consistency.as_mut().unwrap().proof.pop();
    let r = verify_pack(&new, &t, Some(&old.checkpoint));
    let c = r
        .checks
        .iter()
        .find(|c| c.name == "since: consistency")
        .unwrap();
    assert!(
        !c.passed && c.detail.contains("hashes, expected"),
        "{}",
        c.detail
    );
    // Trust directories: a missing root, a policy that does not list log.vkey.
    let d = tempfile::tempdir().unwrap();
    let e = Trust::load(d.path()).unwrap_err();
    assert!(
        e.path.ends_with("root.pem") && e.reason.contains("missing"),
        "{e}"
    );
    std::fs::write(d.path().join("root.pem"), f.world.root.cert.to_pem()).unwrap();
    let e = Trust::load(d.path()).unwrap_err();
    assert!(e.reason.contains("neither policy nor log.vkey"), "{e}");
    let other =
        crate::note::SignerKey::generate("example.org/x", crate::note::SigType::Ed25519).unwrap();
    std::fs::write(d.path().join("log.vkey"), format!("{}\n", other.verifier())).unwrap();
    std::fs::write(
        d.path().join("policy"),
        format!("log {}\nquorum none\n", t.policy.logs()[0]),
    )
    .unwrap();
    let e = Trust::load(d.path()).unwrap_err();
    assert!(
        e.path.ends_with("log.vkey") && e.reason.contains("does not list"),
        "{e}"
    );
    std::fs::remove_file(d.path().join("log.vkey")).unwrap();
    assert!(Trust::load(d.path()).is_ok());
}

/// Issue 14, item 1: a pack made before RFC 9942's form (receipts written
/// into label 394 directly) still verifies, and the report warns about it.
#[test]
fn a_pack_in_the_pre_rfc_form_verifies_with_a_warning() {
    use ciborium::Value;
    let f = Fixture::new(story());
    let mut pack = f.pack(Selection::Facility("TF-1".into()), None);
    for st in pack.statements.iter_mut() {
        let Value::Tag(18, inner) = crate::cbor::decode(st).unwrap() else {
            panic!("not a COSE_Sign1")
        };
        let Value::Array(mut parts) = *inner else {
            panic!("not an array")
        };
        let Value::Map(unprotected) = &mut parts[1] else {
            panic!("no map")
        };
        for (_, v) in unprotected.iter_mut() {
            let Value::Array(items) = v else { panic!() };
            for item in items.iter_mut() {
                let Value::Bytes(b) = item else {
                    panic!("not the RFC form")
                };
                *item = crate::cbor::decode(b).unwrap();
            }
        }
        *st = crate::cbor::encode(&Value::Tag(18, Box::new(Value::Array(parts)))).unwrap();
    }
    let r = verify_pack(&pack, &f.trust(), None);
    assert!(r.verified(), "{}", r.to_text());
    assert_eq!(r.warnings.len(), pack.statements.len(), "{:?}", r.warnings);
    assert!(r.warnings[0].starts_with("statement 1: the receipts are in the array directly"));
}

/// Statements are parsed and admitted a chunk at a time (so a pack at the
/// size limit verifies in bounded memory): the report is the same whatever
/// the chunk, for an honest pack and for packs that fail in the middle.
#[test]
fn the_report_does_not_depend_on_how_many_statements_are_checked_at_once() {
    let f = Fixture::new(story());
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let t = f.trust();
    let n = pack.statements.len();
    assert!(n >= 5, "{n}");
    let mut swapped = pack.clone();
    swapped.statements.swap(2, 3);
    let mut twice = pack.clone();
    twice.statements.insert(4, pack.statements[1].clone());
    let mut broken = pack.clone();
    let last = broken.statements[3].len() - 1;
    broken.statements[3][last] ^= 1;
    let mut unreadable = pack.clone();
    unreadable.statements[2] = vec![0xa0];
    for p in [&pack, &swapped, &twice, &broken, &unreadable] {
        let (whole, _) =
            crate::verify::verify_pack_state_in(p, &t, &Options::default(), usize::MAX);
        for at_once in [1, 2, 3, n - 1] {
            let (r, _) = crate::verify::verify_pack_state_in(p, &t, &Options::default(), at_once);
            assert_eq!(r.checks, whole.checks, "{at_once} at once");
            assert_eq!(r.warnings, whole.warnings);
            assert_eq!(r.not_checked, whole.not_checked);
            assert_eq!(r.to_text_with(true), whole.to_text_with(true));
        }
    }
    assert!(verify_pack(&pack, &t, None).verified());
    for p in [&swapped, &twice, &broken, &unreadable] {
        assert!(!verify_pack(p, &t, None).verified());
    }
}
