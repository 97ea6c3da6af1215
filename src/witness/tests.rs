//! The witness cosigns only what extends what it cosigned before, and answers
//! every other request with the spec's refusal.

use super::*;
use crate::merkle::{consistency_proof, MemoryTree};
use crate::note::{verify_cosignature, CosignatureCheck, SignedCheckpoint};

const ORIGIN: &str = "example.org/witnessed";

struct Log {
    key: SignerKey,
    tree: MemoryTree,
}

impl Log {
    fn new() -> Self {
        Log {
            key: SignerKey::generate(ORIGIN, SigType::Ed25519).unwrap(),
            tree: MemoryTree::new(),
        }
    }
    fn grow(&mut self, n: usize, tag: &str) {
        for i in 0..n {
            let s = self.tree.size();
            self.tree
                .push(crate::merkle::leaf_hash(format!("{tag}{s}-{i}").as_bytes()));
        }
    }
    fn checkpoint(&self) -> SignedCheckpoint {
        SignedCheckpoint::sign(
            Checkpoint::new(ORIGIN, self.tree.root()).unwrap(),
            &self.key,
        )
        .unwrap()
    }
    fn request(&self, old: u64) -> AddCheckpoint {
        let proof = if old == 0 {
            Vec::new()
        } else {
            consistency_proof(&self.tree, old, self.tree.size())
                .unwrap()
                .path()
                .to_vec()
        };
        AddCheckpoint {
            old,
            proof,
            checkpoint: self.checkpoint().to_bytes(),
        }
    }
}

fn witness(dir: &Path, log: &Log) -> Witness {
    Witness::create(dir, "example.org/w1").unwrap();
    let mut w = Witness::open(dir).unwrap();
    w.add_log(log.key.verifier()).unwrap();
    w
}

#[test]
fn cosigns_a_growing_log_and_keeps_its_state() {
    let d = tempfile::tempdir().unwrap();
    let mut log = Log::new();
    log.grow(5, "a");
    let w = witness(&d.path().join("w"), &log);
    let sig = w.add_checkpoint(&log.request(0), 1_700_000_000).unwrap();
    let mut cp = log.checkpoint();
    cp.add_cosignature(sig).unwrap();
    assert_eq!(
        verify_cosignature(&cp, &w.vkey()).unwrap(),
        CosignatureCheck::Valid {
            timestamp: 1_700_000_000
        }
    );
    log.grow(7, "a");
    // The state survives reopening: the witness wants old = 5 now.
    let w = Witness::open(&d.path().join("w")).unwrap();
    assert_eq!(w.latest(ORIGIN).unwrap().unwrap().size(), 5);
    let e = w.add_checkpoint(&log.request(0), 1).unwrap_err();
    assert_eq!(e.status(), 409);
    assert!(matches!(e, WitnessError::Conflict { size: 5, .. }), "{e}");
    w.add_checkpoint(&log.request(5), 2).unwrap();
    assert_eq!(w.latest(ORIGIN).unwrap().unwrap().size(), 12);
    // The same checkpoint again (old = size, empty proof) is fine.
    w.add_checkpoint(&log.request(12), 3).unwrap();
    // The witness's key answers through the note API as a request/response pair.
    let parsed = AddCheckpoint::parse(&log.request(12).to_bytes()).unwrap();
    assert_eq!(parsed, log.request(12));
}

#[test]
fn refuses_with_the_specs_reasons() {
    let d = tempfile::tempdir().unwrap();
    let mut log = Log::new();
    log.grow(8, "a");
    let w = witness(&d.path().join("w"), &log);
    w.add_checkpoint(&log.request(0), 1).unwrap();

    // 404: a log it does not witness.
    let other = Log {
        key: SignerKey::generate("example.org/other", SigType::Ed25519).unwrap(),
        tree: log.tree.clone(),
    };
    let cp = SignedCheckpoint::sign(
        Checkpoint::new("example.org/other", other.tree.root()).unwrap(),
        &other.key,
    )
    .unwrap();
    let req = AddCheckpoint {
        old: 0,
        proof: vec![],
        checkpoint: cp.to_bytes(),
    };
    assert_eq!(w.add_checkpoint(&req, 1).unwrap_err().status(), 404);

    // 403: the right origin, another key.
    let impostor = Log {
        key: SignerKey::generate(ORIGIN, SigType::Ed25519).unwrap(),
        tree: log.tree.clone(),
    };
    assert_eq!(
        w.add_checkpoint(&impostor.request(8), 1)
            .unwrap_err()
            .status(),
        403
    );

    // 400: old past the checkpoint; a malformed body.
    let mut req = log.request(8);
    req.old = 9;
    assert_eq!(w.add_checkpoint(&req, 1).unwrap_err().status(), 400);
    assert!(AddCheckpoint::parse(b"old 01\n\n").is_err());
    assert!(AddCheckpoint::parse(b"old 1\nnot base64\n\n").is_err());

    // 422: a fork that rewrote entry 3 cannot prove it extends size 8.
    let mut fork = Log {
        key: SignerKey::parse(&log.key.to_private_string()).unwrap(),
        tree: MemoryTree::from_entries((0..8).map(|i| format!("fork{i}"))),
    };
    fork.grow(4, "f");
    let e = w.add_checkpoint(&fork.request(8), 1).unwrap_err();
    assert_eq!(e.status(), 422, "{e}");
    // A damaged proof from the honest log, likewise.
    log.grow(3, "a");
    let mut req = log.request(8);
    req.proof[0] = crate::merkle::Hash::digest(b"x");
    assert_eq!(w.add_checkpoint(&req, 1).unwrap_err().status(), 422);

    // 409: the same size with another root is a split view.
    let forked_same_size = Log {
        key: SignerKey::parse(&log.key.to_private_string()).unwrap(),
        tree: MemoryTree::from_entries((0..8).map(|i| format!("fork{i}"))),
    };
    let e = w
        .add_checkpoint(&forked_same_size.request(8), 1)
        .unwrap_err();
    assert_eq!(e.status(), 409);
    assert!(e.to_string().contains("SPLIT VIEW"), "{e}");

    // 400: a log-signed size-0 checkpoint must carry the empty root.
    let cp0 = SignedCheckpoint::sign(
        Checkpoint::new(
            ORIGIN,
            crate::merkle::RootHash::new(0, crate::merkle::Hash::digest(b"x")),
        )
        .unwrap(),
        &log.key,
    )
    .unwrap();
    let req = AddCheckpoint {
        old: 0,
        proof: vec![],
        checkpoint: cp0.to_bytes(),
    };
    assert_eq!(w.add_checkpoint(&req, 1).unwrap_err().status(), 400);
    // The witness will not witness its own key as a log.
    let mut w2 = Witness::open(&d.path().join("w")).unwrap();
    let own = VerifierKey::new(ORIGIN, SigType::Ed25519, *w2.vkey().key()).unwrap();
    assert!(w2.add_log(own).is_err());

    // Nothing refused changed the state.
    assert_eq!(w.latest(ORIGIN).unwrap().unwrap().size(), 8);
    w.add_checkpoint(&log.request(8), 2).unwrap();
    assert_eq!(w.latest(ORIGIN).unwrap().unwrap().size(), 11);
}

#[test]
fn a_ledger_attaches_cosignatures_until_its_next_commit() {
    let d = tempfile::tempdir().unwrap();
    let ledger = d.path().join("ledger");
    let vkey = crate::store::init(&ledger, ORIGIN).unwrap();
    let wdir = d.path().join("w");
    Witness::create(&wdir, "example.org/w1").unwrap();
    let mut w = Witness::open(&wdir).unwrap();
    w.add_log(vkey.clone()).unwrap();
    let mut writer = crate::store::Writer::open(&ledger).unwrap();
    for i in 0..3u8 {
        writer.append(&[i]).unwrap();
    }
    writer.commit().unwrap();
    drop(writer);

    let l = crate::store::Snapshot::open(&ledger).unwrap();
    let sig = w.add_checkpoint(&request_for(&l, 0).unwrap(), 5).unwrap();
    let mut writer = crate::store::Writer::open(&ledger).unwrap();
    // An answer by another witness key is refused.
    let stranger = SignerKey::generate("example.org/w2", SigType::Cosignature).unwrap();
    assert!(writer
        .attach_cosignatures(&stranger.verifier(), sig.to_line().as_bytes())
        .is_err());
    writer
        .attach_cosignatures(&w.vkey(), sig.to_line().as_bytes())
        .unwrap();
    drop(writer);
    let cp = crate::store::Snapshot::open(&ledger)
        .unwrap()
        .checkpoint()
        .clone();
    assert!(matches!(
        verify_cosignature(&cp, &w.vkey()).unwrap(),
        CosignatureCheck::Valid { timestamp: 5 }
    ));
    // The next commit signs a new body; the old cosignature does not carry over.
    let mut writer = crate::store::Writer::open(&ledger).unwrap();
    writer.append(b"more").unwrap();
    writer.commit().unwrap();
    drop(writer);
    let l = crate::store::Snapshot::open(&ledger).unwrap();
    assert_eq!(
        verify_cosignature(l.checkpoint(), &w.vkey()).unwrap(),
        CosignatureCheck::Missing
    );
    // A stale answer (for size 3) does not attach to the size-4 checkpoint.
    let mut writer = crate::store::Writer::open(&ledger).unwrap();
    assert!(writer
        .attach_cosignatures(&w.vkey(), sig.to_line().as_bytes())
        .is_err());
    drop(writer);
    // The witness moves on with a consistency proof from 3.
    w.add_checkpoint(&request_for(&l, 3).unwrap(), 6).unwrap();
    crate::store::audit(&ledger).unwrap();
}

#[test]
fn the_input_limits_are_their_formats_own() {
    use crate::input::limit;
    assert_eq!(
        limit::WITNESS_REQUEST,
        crate::witness::MAX_REQUEST_SIZE as u64
    );
    assert_eq!(limit::DISCLOSURE, crate::bundle::MAX_DISCLOSURE as u64);
}
