//! The ledger handle: opened once, its signer read once and used for every
//! signature the log makes; the persisted state index (`stored`).

mod policy;
mod stored;
pub(crate) mod verify;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{Ledger, LedgerError, Options, Selection};
use crate::history::is_index_entry;
use crate::note::{NoteError, SigType, Signer, SignerKey, VerifierKey};
use crate::policy::testing::*;
use crate::record::{Assessment, Outcome};
use crate::store::{read_log_key, Layout, StoreError};

/// A ledger with the World's trust root, and the World's statements.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    world: World,
    sent: usize,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ledger");
        let world = World::new();
        crate::store::init(&root, "example.org/handle").unwrap();
        crate::store::install_trust_root(&root, world.root.cert.to_pem().as_bytes()).unwrap();
        Fixture {
            _dir: dir,
            root,
            world,
            sent: 0,
        }
    }

    /// The World's statements since the last call, as one batch.
    fn batch(&mut self) -> Vec<(String, Vec<u8>)> {
        self.world.commit();
        let batch = self.world.log[self.sent..]
            .iter()
            .filter(|b| !is_index_entry(b))
            .enumerate()
            .map(|(i, b)| (format!("s{i}"), b.clone()))
            .collect();
        self.sent = self.world.log.len();
        batch
    }

    /// A registration, a seal and the CIO's decision about `f`.
    fn story(&mut self, f: &str, n: u8) -> Vec<(String, Vec<u8>)> {
        self.world.by(op, reg(f)).unwrap();
        let s = self.world.by(op, seal(f, n)).unwrap();
        let d = decision(f, Assessment::Fusa, Outcome::Approved, &[], vec![s]);
        self.world.by(cio, d).unwrap();
        self.batch()
    }
}

fn hide_key(root: &Path) -> PathBuf {
    let key = Layout::new(root).log_key();
    let away = root.join("log.key.away");
    std::fs::rename(&key, &away).unwrap();
    away
}

/// Counts the signatures it makes.
struct Counting {
    key: SignerKey,
    signed: AtomicU64,
}

impl Signer for Counting {
    fn public_key(&self) -> &VerifierKey {
        self.key.public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], NoteError> {
        self.signed.fetch_add(1, Ordering::SeqCst);
        Signer::sign(&self.key, message)
    }
}

#[test]
fn the_key_file_is_read_once_per_open_and_never_again() {
    let mut f = Fixture::new();
    let ledger = Ledger::open(&f.root).unwrap();
    // The first write reads the key.
    let first = f.story("TF-1", 1);
    ledger.submit(&first, T + 100, 300).unwrap();
    // Gone from disk: every signature from now on is made by the signer
    // this handle already holds.
    hide_key(&f.root);
    let second = f.story("TF-2", 2);
    let done = ledger.submit(&second, T + 100, 300).unwrap();
    let size = done.checkpoint.root().size();
    let receipt = ledger.receipt(2, T + 200).unwrap();
    receipt
        .verify(
            &ledger.snapshot().unwrap().read_entry(2).unwrap(),
            ledger.vkey(),
        )
        .unwrap();
    ledger.transparent(2, T + 200).unwrap();
    let pack = ledger
        .pack(&Selection::Facility("TF-2".into()), T + 200, Some(size - 1))
        .unwrap();
    assert_eq!(pack.checkpoint, ledger.checkpoint().unwrap().to_bytes());
    let witness_dir = f._dir.path().join("witness");
    crate::witness::Witness::create(&witness_dir, "example.org/witness").unwrap();
    crate::witness::Witness::open(&witness_dir)
        .unwrap()
        .add_log(ledger.vkey().clone())
        .unwrap();
    crate::witness::cosign_ledger(&witness_dir, &ledger, T + 200).unwrap();
    assert_eq!(ledger.upgrade().unwrap(), None);
    // A handle opened now would have to read it, and says so.
    drop(ledger);
    let again = Ledger::open(&f.root).unwrap();
    let third = f.story("TF-3", 3);
    let e = again.submit(&third, T + 100, 300).unwrap_err();
    assert!(
        matches!(e, LedgerError::Store(StoreError::Io { ref path, .. }) if path.ends_with("log.key")),
        "{e}"
    );
}

#[test]
fn a_given_signer_makes_every_signature_and_the_file_is_never_read() {
    let mut f = Fixture::new();
    let (key, _) = read_log_key(&Layout::new(&f.root)).unwrap();
    hide_key(&f.root);
    let signer = Arc::new(Counting {
        key,
        signed: AtomicU64::new(0),
    });
    let ledger = Ledger::open_with(
        &f.root,
        Options {
            signer: Some(signer.clone()),
            ..Options::default()
        },
    )
    .unwrap();
    let batch = f.story("TF-1", 1);
    ledger.submit(&batch, T + 100, 300).unwrap();
    assert_eq!(signer.signed.load(Ordering::SeqCst), 1, "one checkpoint");
    // Every receipt against that checkpoint shares one signature of its
    // root (RFC 9942 signs the root; the proofs are unprotected).
    let size = ledger.checkpoint().unwrap().root().size();
    let l = ledger.snapshot().unwrap();
    let receipts: Vec<_> = (0..3)
        .map(|i| ledger.receipt_in(&l, i, T + 200 + i).unwrap())
        .collect();
    assert_eq!(signer.signed.load(Ordering::SeqCst), 2, "and one root");
    for (i, r) in receipts.iter().enumerate() {
        r.verify(&l.read_entry(i as u64).unwrap(), ledger.vkey())
            .unwrap();
        assert_eq!(r.issued_at(), Some(T + 200), "the first's time");
        assert_eq!(r.message().signature(), receipts[0].message().signature());
    }
    ledger.transparent(1, T + 300).unwrap();
    assert_eq!(signer.signed.load(Ordering::SeqCst), 2);
    // A pack of several statements: one signature for all its receipts.
    let pack = ledger
        .pack(&Selection::Facility("TF-1".into()), T + 200, None)
        .unwrap();
    assert!(pack.statements.len() >= 3, "{}", pack.statements.len());
    assert_eq!(signer.signed.load(Ordering::SeqCst), 3);
    // The next commit's receipts are under a new signature.
    let batch = f.story("TF-2", 2);
    ledger.submit(&batch, T + 300, 300).unwrap();
    assert_eq!(signer.signed.load(Ordering::SeqCst), 4, "its checkpoint");
    ledger.receipt(size, T + 400).unwrap();
    ledger.receipt(size + 1, T + 400).unwrap();
    assert_eq!(signer.signed.load(Ordering::SeqCst), 5);
}

#[test]
fn a_signer_that_is_not_the_ledgers_key_is_refused_at_open() {
    let f = Fixture::new();
    let other = SignerKey::generate("example.org/handle", SigType::Ed25519).unwrap();
    let e = Ledger::open_with(
        &f.root,
        Options {
            signer: Some(Arc::new(other)),
            ..Options::default()
        },
    )
    .err()
    .unwrap();
    assert!(
        matches!(e, LedgerError::Store(StoreError::NotALedger { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("is not its verifier key"), "{e}");
}

#[test]
fn a_reader_never_needs_the_key() {
    let mut f = Fixture::new();
    let batch = f.story("TF-1", 1);
    Ledger::open(&f.root)
        .unwrap()
        .submit(&batch, T + 100, 300)
        .unwrap();
    hide_key(&f.root);
    let reader = Ledger::open(&f.root).unwrap();
    let size = reader.checkpoint().unwrap().root().size();
    let facilities = reader
        .with_state(|state, _| state.facilities().len())
        .unwrap();
    assert_eq!(facilities, 1);
    assert_eq!(reader.replay().unwrap().1.root().size(), size);
    assert_eq!(reader.statement_ref(0).unwrap().index, 0);
    // What signs fails, naming the key file.
    let e = reader.receipt(0, T + 200).unwrap_err();
    assert!(e.to_string().contains("log.key"), "{e}");
}
