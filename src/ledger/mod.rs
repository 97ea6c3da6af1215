//! The ledger handle: a policy ledger opened once, from its directory and a
//! [`Signer`], holding what every operation on it needs — the layout, the
//! verifier key, the signer, the writer (taken at the first write and kept:
//! the ledger's one sequencer), the persisted state index and the readers'
//! state. The command line and the service call the same methods.
//!
//! ```text
//! Ledger::open(root)            the signer read from LEDGER/private/log.key
//! Ledger::open_with(root, opts) a signer given (a hardware key), a lock wait
//!   .submit / .submit_each      admit and commit (all or nothing / each alone)
//!   .receipt / .transparent     a COSE Receipt, a transparent statement
//!   .pack / .pack_since         an evidence pack (with a consistency proof)
//!   .with_state                 the policy state as of the latest checkpoint
//!   .attach_cosignatures        a witness's answer on the committed checkpoint
//! ```
//!
//! The signer is used for every signature the log makes (checkpoints and
//! receipts) and is opened once per handle: the key file is read at the
//! first signature (or never, by a handle that only reads).

mod error;
mod follow;
mod pack;
mod receipt;
mod stored;
mod submit;

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

pub use error::LedgerError;
pub use pack::{MakePackError, Selection, SplitView};
pub use stored::{IndexCheck, StateIndex};
pub use submit::{Submitted, SubmittedEach};

use crate::cose::{transparent_statement, Receipt, Statement};
use crate::note::{SignedCheckpoint, Signer, VerifierKey};
use crate::policy::State;
use crate::record::Ref;
use crate::store::{read_vkey, Layout, OnWait, Snapshot, StoreError, Writer};
use crate::verify::Pack;

/// How a ledger is opened.
#[derive(Clone, Default)]
pub struct Options {
    /// The log's signer; `None` reads `LEDGER/private/log.key` at the first
    /// signature.
    pub signer: Option<Arc<dyn Signer>>,
    /// What a write does when another command-line writer holds the ledger
    /// (`None`: fail at once).
    pub wait: OnWait,
}

/// A ledger, opened once.
pub struct Ledger {
    layout: Layout,
    vkey: VerifierKey,
    signer: OnceLock<Arc<dyn Signer>>,
    wait: OnWait,
    /// Findings to tell the operator (a key file readable by others).
    warnings: Mutex<Vec<String>>,
    /// The writer, once a write took it; dropped after a failure (the next
    /// write opens the ledger's tree afresh).
    writer: Mutex<Option<Writer>>,
    /// The state index, opened by the first submission and kept open with
    /// the writer (dropped with it after a failure).
    index: Mutex<Option<StateIndex>>,
    /// The checkpoint this handle last committed while it holds the writer
    /// (reads then need not read it from disk).
    committed: RwLock<Option<SignedCheckpoint>>,
    /// The readers' state as of the latest checkpoint.
    latest_state: follow::Follower,
    /// The readers' state as of the checkpoints packs are made against
    /// (a service's accepted checkpoint lags the latest).
    pack_state: follow::Follower,
    /// The salts of a confidential ledger's latest statements (index →
    /// salt), for their receipts: reading one back from the openings reads
    /// a whole bundle.
    salts: Mutex<std::collections::BTreeMap<u64, [u8; crate::commitment::SALT_LEN]>>,
    /// How the index names facilities (labels for a confidential ledger),
    /// once read.
    naming: OnceLock<crate::history::Naming>,
    /// The log's signatures of its latest roots, shared by their receipts.
    signed_roots: receipt::SignedRoots,
}

/// How many recent salts a handle keeps (a service answers each statement
/// right after its commit).
const RECENT_SALTS: usize = 1 << 16;

impl Ledger {
    /// Opens the ledger at `root`; its signer is read from
    /// `LEDGER/private/log.key` at the first signature.
    pub fn open(root: &Path) -> Result<Ledger, LedgerError> {
        Self::open_with(root, Options::default())
    }

    /// Opens the ledger at `root` as `options` say. A ledger whose public
    /// tree is in object storage is brought up to the lock's checkpoint
    /// first (unless another writer holds it, which keeps it current).
    pub fn open_with(root: &Path, options: Options) -> Result<Ledger, LedgerError> {
        let layout = Layout::new(root);
        let vkey = read_vkey(&layout)?;
        let signer = OnceLock::new();
        if let Some(s) = options.signer {
            if s.public_key() != &vkey {
                return Err(StoreError::NotALedger {
                    path: root.to_path_buf(),
                    reason: format!(
                        "its signer's key {} is not its verifier key {}",
                        s.public_key(),
                        vkey
                    ),
                }
                .into());
            }
            let _ = signer.set(s);
        }
        let ledger = Ledger {
            layout,
            vkey,
            signer,
            wait: options.wait,
            warnings: Mutex::new(Vec::new()),
            writer: Mutex::new(None),
            index: Mutex::new(None),
            committed: RwLock::new(None),
            latest_state: Default::default(),
            pack_state: Default::default(),
            salts: Mutex::new(Default::default()),
            naming: OnceLock::new(),
            signed_roots: Default::default(),
        };
        if ledger.layout.public_config().exists() {
            match ledger.take_writer() {
                Ok(()) => *ledger.writer.lock().unwrap_or_else(|p| p.into_inner()) = None,
                Err(LedgerError::Store(
                    StoreError::Locked { .. } | StoreError::HeldByService { .. },
                )) => {}
                Err(e) => return Err(e),
            }
        }
        // A directory that is not a ledger fails here, not at first use.
        Snapshot::latest(&ledger.layout, &ledger.vkey)?;
        Ok(ledger)
    }

    /// The directory layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The log's verifier key.
    pub fn vkey(&self) -> &VerifierKey {
        &self.vkey
    }

    /// Computes, ahead of the writer, the label a confidential ledger's
    /// index will name facility `id` by (a service does it on the request's
    /// task, so the committer finds it computed); nothing for a public
    /// ledger.
    pub fn warm_label(&self, id: &str) -> Result<(), StoreError> {
        let n = match self.naming.get() {
            Some(n) => n.clone(),
            None => {
                let n = naming(&self.layout)?;
                let _ = self.naming.set(n.clone());
                n
            }
        };
        if n.is_labels() {
            n.name(id);
        }
        Ok(())
    }

    /// The scheme root statements are admitted against
    /// (`LEDGER/trust/root.pem`).
    pub fn trust_root(&self) -> Result<crate::identity::Certificate, LedgerError> {
        submit::read_trust_root(&self.layout)
    }

    /// What the operator should be told (e.g. a key file readable by other
    /// users), gathered since the last call.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The log's signer, read from its file at the first use.
    pub fn signer(&self) -> Result<&Arc<dyn Signer>, StoreError> {
        if let Some(s) = self.signer.get() {
            return Ok(s);
        }
        let (key, warnings) = crate::store::open_log_signer(&self.layout)?;
        self.warnings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(warnings);
        Ok(self.signer.get_or_init(|| key))
    }

    /// The ledger as of its latest checkpoint.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let committed = self
            .committed
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match committed {
            Some(cp) => Ok(Snapshot::with_checkpoint(&self.layout, &self.vkey, cp)),
            None => Snapshot::latest(&self.layout, &self.vkey),
        }
    }

    /// The latest checkpoint.
    pub fn checkpoint(&self) -> Result<SignedCheckpoint, StoreError> {
        Ok(self.snapshot()?.checkpoint().clone())
    }

    /// A COSE Receipt (RFC 9942, RFC9162_SHA256) for entry `index` against
    /// the latest checkpoint, issued at `issued_at`.
    pub fn receipt(&self, index: u64, issued_at: u64) -> Result<Receipt, LedgerError> {
        self.receipt_in(&self.snapshot()?, index, issued_at)
    }

    /// [`Ledger::receipt`] against the checkpoint `l` is opened at. Every
    /// receipt against one checkpoint shares one signature of its root, made
    /// by the first (so `issued_at` is the first one's).
    pub fn receipt_in(
        &self,
        l: &Snapshot,
        index: u64,
        issued_at: u64,
    ) -> Result<Receipt, LedgerError> {
        receipt::issue(l, &self.signed_root(l, issued_at)?, index)
    }

    /// The log's signature of the root of `l`'s checkpoint, as receipts
    /// carry it: made once per root and kept.
    fn signed_root(
        &self,
        l: &Snapshot,
        issued_at: u64,
    ) -> Result<crate::cose::SignedRoot, LedgerError> {
        self.signed_roots
            .get(self.signer()?.as_ref(), l.checkpoint().root(), issued_at)
    }

    /// [`Ledger::receipt_in`] for an entry whose bytes the caller holds
    /// (the statement it just submitted): they are not read back from the
    /// log. The proof is of entry `index` as logged.
    pub fn receipt_for(
        &self,
        l: &Snapshot,
        index: u64,
        entry: &[u8],
        issued_at: u64,
    ) -> Result<Receipt, LedgerError> {
        let salt = self
            .salts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&index)
            .copied();
        receipt::issue_salted(l, &self.signed_root(l, issued_at)?, index, entry, salt)
    }

    /// The statement at `index` with its receipt against the latest
    /// checkpoint in the unprotected header: a transparent statement.
    pub fn transparent(&self, index: u64, issued_at: u64) -> Result<Vec<u8>, LedgerError> {
        let l = self.snapshot()?;
        let bytes = l.read_entry(index)?;
        let statement = Statement::parse(&bytes)?;
        let receipt = self.receipt_in(&l, index, issued_at)?;
        Ok(transparent_statement(&statement, &[receipt])?)
    }

    /// A reference (index and SHA-256 of the logged bytes) to the statement
    /// at `index`; an index entry is refused.
    pub fn statement_ref(&self, index: u64) -> Result<Ref, StoreError> {
        receipt::statement_ref(&self.snapshot()?, index)
    }

    /// Takes the ledger's writer now, if this handle does not hold it yet
    /// (a service takes it before it listens, and keeps it).
    pub fn take_writer(&self) -> Result<(), LedgerError> {
        self.with_writer(|_| Ok(()))
    }

    /// Runs `f` with this handle's writer (opened first if needed). After
    /// an error the writer is dropped; while another sequencer commits first
    /// (object storage), the ledger is opened again and `f` retried.
    /// The state index, opened at the first use and kept (call with the
    /// writer held).
    fn state_index(&self) -> Result<StateIndex, LedgerError> {
        let mut slot = self.index.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(index) = slot.as_ref() {
            return Ok(index.clone());
        }
        let index = StateIndex::open_file(&self.layout)?;
        *slot = Some(index.clone());
        Ok(index)
    }

    /// The state index if this handle holds it open (`log audit` reads it
    /// through this handle then, not through a second opening).
    pub(crate) fn held_index(&self) -> Option<StateIndex> {
        self.index.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn with_writer<R>(
        &self,
        mut f: impl FnMut(&mut Writer) -> Result<R, LedgerError>,
    ) -> Result<R, LedgerError> {
        let mut slot = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        submit::retry_superseded(|| {
            if slot.as_ref().is_some_and(Writer::has_failed) {
                *slot = None;
            }
            if slot.is_none() {
                let signer = self.signer()?.clone();
                let w = Writer::open_signed(self.layout.root(), false, self.wait.clone(), signer)?;
                *slot = Some(w);
            }
            let w = slot.as_mut().expect("opened above");
            let done = f(w);
            match &done {
                Ok(_) => {
                    let cp = w.committed().clone();
                    *self.committed.write().unwrap_or_else(|p| p.into_inner()) = Some(cp);
                    let new = w.take_salts();
                    if !new.is_empty() {
                        let mut salts = self.salts.lock().unwrap_or_else(|p| p.into_inner());
                        salts.extend(new);
                        while salts.len() > RECENT_SALTS {
                            salts.pop_first();
                        }
                    }
                }
                Err(_) => {
                    *slot = None;
                    *self.index.lock().unwrap_or_else(|p| p.into_inner()) = None;
                }
            }
            done
        })
    }

    /// Says in the ledger's lock file that a service holds it, listening at
    /// `url` (see [`Writer::announce_service`]).
    pub fn announce_service(&self, url: &str) -> Result<(), LedgerError> {
        self.with_writer(|w| Ok(w.announce_service(url)?))
    }

    /// Admits a batch of statements (name, bytes) and appends the new ones
    /// under one checkpoint. If any statement is refused, nothing is
    /// appended. `now` and `skew` bound the statements' `iat`.
    pub fn submit(
        &self,
        statements: &[(String, Vec<u8>)],
        now: u64,
        skew: u64,
    ) -> Result<Submitted, LedgerError> {
        self.with_writer(|w| submit::batch(w, &self.state_index()?, statements, now, skew))
    }

    /// Admits statements independently — a group commit of separate
    /// submissions: each is checked against every rule in order and
    /// appended if it passes, a refusal affects no other, and everything
    /// admitted is committed under one checkpoint.
    pub fn submit_each(
        &self,
        statements: &[Vec<u8>],
        now: u64,
        skew: u64,
    ) -> Result<SubmittedEach, LedgerError> {
        self.with_writer(|w| submit::each(w, &self.state_index()?, statements, now, skew))
    }

    /// [`Ledger::submit_each`] for statements whose stateless checks
    /// (parsing, certificates, signature) already ran, with their outcome
    /// ([`crate::policy::prepare`]): a service runs them on every core as
    /// requests arrive, while the previous group is being committed, and the
    /// writer only judges the rules that need the ledger's state.
    pub fn submit_prepared(
        &self,
        statements: Vec<(
            Vec<u8>,
            Result<crate::policy::Prepared, crate::policy::PolicyError>,
        )>,
        now: u64,
        skew: u64,
    ) -> Result<SubmittedEach, LedgerError> {
        // A retry (another sequencer committed first) prepares them again.
        let bytes: Vec<Vec<u8>> = statements.iter().map(|(b, _)| b.clone()).collect();
        let mut first = Some(statements);
        self.with_writer(|w| {
            let index = self.state_index()?;
            match first.take() {
                Some(prepared) => submit::each_prepared(w, &index, prepared, now, skew),
                None => submit::each(w, &index, &bytes, now, skew),
            }
        })
    }

    /// Commits the index of a ledger whose checkpoint does not end with a
    /// commit entry (one made before committed histories): appends the
    /// commit entry under a new checkpoint. Returns `None` if there was
    /// nothing to do.
    pub fn upgrade(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        self.with_writer(|w| submit::upgrade(w, &self.state_index()?))
    }

    /// Takes the writer and brings the state index up to the checkpoint
    /// (building it from the log if missing): what a service does before it
    /// accepts submissions, so the first is not the one that waits.
    pub fn open_index(&self) -> Result<(), LedgerError> {
        self.with_writer(|w| {
            submit::read_trust_root(w.layout())?;
            self.state_index()?
                .state_at(w.layout(), w.committed())
                .map(|_| ())
        })
    }

    /// Freezes the log at its latest checkpoint: the log key signs the
    /// freeze note (naming `successor`, the log that takes its appends, and
    /// `reason`), written to `log/frozen`; every append after is refused
    /// with [`StoreError::Frozen`]. Packs made after carry the note.
    pub fn freeze(
        &self,
        successor: Option<VerifierKey>,
        reason: Option<String>,
    ) -> Result<crate::note::SignedFrozen, LedgerError> {
        self.with_writer(|w| Ok(w.freeze(successor.clone(), reason.clone())?))
    }

    /// Hands the log over to `new`, a key of the same name, kept as `keep`
    /// says ([`crate::store::Writer::rotate`]). The handle is consumed: it
    /// holds the old key; open the ledger again to go on.
    pub fn rotate(
        self,
        new: Arc<dyn Signer>,
        keep: crate::store::NewKey,
    ) -> Result<crate::note::SignedRotation, LedgerError> {
        self.with_writer(|w| Ok(w.rotate(new.clone(), keep.clone())?))
    }

    /// The log key's rotation notes (oldest first), as the log holds them.
    pub fn rotations(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(crate::store::rotate::rotation_notes(&self.layout)?
            .into_iter()
            .map(|(_, b)| b)
            .collect())
    }

    /// Keeps an RFC 3161 token over `checkpoint`, a checkpoint of this log
    /// (its body is what the token must stamp; its tree must be this log's
    /// at its size), in `log/timestamps/SIZE` (FORMATS §29). The token's
    /// signature is the TSA's business: whoever asked checked it
    /// ([`crate::tsa::verify_token`]); verifiers check it again.
    pub fn keep_timestamp(
        &self,
        checkpoint: &crate::note::Checkpoint,
        token: &[u8],
    ) -> Result<std::path::PathBuf, LedgerError> {
        let bad = |m: String| LedgerError::Timestamp(m);
        if checkpoint.origin() != self.vkey.name() {
            return Err(bad(format!(
                "the checkpoint is of log {}, this ledger is {}",
                checkpoint.origin(),
                self.vkey.name()
            )));
        }
        let l = self.snapshot()?;
        let size = checkpoint.size();
        if size == 0 || size > l.checkpoint().root().size() {
            return Err(bad(format!(
                "tree size {size} is not a stamped size of this log (1 to {})",
                l.checkpoint().root().size()
            )));
        }
        let (root, _) = l.prove_consistency_from(size)?;
        if root != *checkpoint.root() {
            return Err(bad(format!(
                "the log's tree of size {size} has root {}, not the checkpoint's {}",
                root.hash(),
                checkpoint.root().hash()
            )));
        }
        let want = crate::tsa::imprint(checkpoint.to_text().as_bytes());
        let stamped = crate::tsa::stamped_imprint(token).map_err(|e| bad(e.to_string()))?;
        if stamped != want {
            return Err(bad(format!(
                "the token stamps sha256 {}, not the checkpoint body's {}",
                crate::hex::encode(&stamped),
                crate::hex::encode(&want)
            )));
        }
        Ok(crate::store::timestamps::write(&self.layout, size, token)?)
    }

    /// The tree sizes whose checkpoints have a kept time-stamp token.
    pub fn timestamp_sizes(&self) -> Result<Vec<u64>, StoreError> {
        crate::store::timestamps::sizes(&self.layout)
    }

    /// The freeze note, if the log is frozen.
    pub fn frozen(&self) -> Result<Option<crate::note::SignedFrozen>, StoreError> {
        crate::store::read_frozen(&self.layout, &self.vkey)
    }

    /// Names `old`, a frozen ledger, as this one's predecessor: its key and
    /// final tree, signed by this log's key, in `log/predecessor`. If the
    /// old log's freeze note names a successor, it must be this log.
    pub fn name_predecessor(&self, old: &Path) -> Result<crate::note::Predecessor, LedgerError> {
        let old_layout = Layout::new(old);
        let old_vkey = read_vkey(&old_layout)?;
        let Some(f) = crate::store::read_frozen(&old_layout, &old_vkey)? else {
            return Err(LedgerError::Lifecycle(format!(
                "{} is not frozen: freeze it first (`log freeze`), so that its final tree is known",
                old.display()
            )));
        };
        if let Some(s) = &f.frozen().successor {
            if s != &self.vkey {
                return Err(LedgerError::Lifecycle(format!(
                    "{} names its successor {s}, not this log ({})",
                    old.display(),
                    self.vkey
                )));
            }
        }
        if old_vkey == self.vkey {
            return Err(LedgerError::Lifecycle(
                "a log cannot be its own predecessor".into(),
            ));
        }
        let p = crate::note::Predecessor {
            origin: self.vkey.name().to_string(),
            vkey: old_vkey,
            root: f.frozen().root,
        };
        let note = p
            .sign(self.signer()?.as_ref())
            .map_err(|source| StoreError::Note {
                path: self.layout.predecessor(),
                source,
            })?;
        crate::store::write_public_file(&self.layout, &self.layout.predecessor(), &note)?;
        Ok(p)
    }

    /// This log's predecessor, if it names one.
    pub fn predecessor(&self) -> Result<Option<crate::note::Predecessor>, StoreError> {
        crate::store::read_predecessor(&self.layout, &self.vkey)
    }

    /// Compares the persisted state index with a full replay of the log
    /// (read-only; `log audit`). A difference is an error that names it.
    pub fn check_index(&self) -> Result<IndexCheck, LedgerError> {
        StateIndex::check(self)
    }

    /// Attaches a witness's cosignature lines to the committed checkpoint.
    pub fn attach_cosignatures(
        &self,
        witness: &VerifierKey,
        lines: &[u8],
    ) -> Result<SignedCheckpoint, LedgerError> {
        self.with_writer(|w| Ok(w.attach_cosignatures(witness, lines)?.clone()))
    }

    /// The policy state, replayed from the whole log as of the latest
    /// checkpoint (no lock), with that checkpoint.
    pub fn replay(&self) -> Result<(State, SignedCheckpoint), LedgerError> {
        let l = self.snapshot()?;
        let state = submit::replay(l.layout(), l.checkpoint())?;
        Ok((state, l.checkpoint().clone()))
    }

    /// Calls `f` with the state as of the latest checkpoint and the ledger
    /// as of it; the state is kept between calls and caught up with what
    /// was committed since (calls are serialised).
    pub fn with_state<R>(
        &self,
        f: impl FnOnce(&mut State, &Snapshot) -> R,
    ) -> Result<R, LedgerError> {
        self.latest_state.with(&self.snapshot()?, f)
    }

    /// An evidence pack against the latest checkpoint (see
    /// [`Ledger::pack_at`]); with `since` (an older tree size), it carries the
    /// consistency proof from the log's tree at that size.
    pub fn pack(
        &self,
        selection: &Selection,
        issued_at: u64,
        since: Option<u64>,
    ) -> Result<Pack, MakePackError> {
        let l = self.snapshot()?;
        self.pack_in(&l, selection, issued_at, since)
    }

    /// An evidence pack against `checkpoint`, an earlier checkpoint of this
    /// ledger (the bytes of its note; e.g. the latest one a trust policy
    /// accepts), or the latest one if `None`.
    pub fn pack_at(
        &self,
        checkpoint: Option<&[u8]>,
        selection: &Selection,
        issued_at: u64,
    ) -> Result<Pack, MakePackError> {
        let latest = self.snapshot()?;
        let l = match checkpoint {
            Some(cp) => latest.earlier(cp)?,
            None => latest,
        };
        self.pack_in(&l, selection, issued_at, None)
    }

    fn pack_in(
        &self,
        l: &Snapshot,
        selection: &Selection,
        issued_at: u64,
        since: Option<u64>,
    ) -> Result<Pack, MakePackError> {
        let signer = self.signer()?.clone();
        self.pack_state
            .with(l, |state, l| {
                pack::build(l, signer.as_ref(), state, selection, issued_at, since)
            })
            .map_err(MakePackError::State)?
    }

    /// A pack with a consistency proof from OLD (the bytes of a checkpoint
    /// note kept from before, signed by this ledger's log key). The pack is
    /// made even when the ledger's tree at OLD's size is not OLD's: it
    /// records this ledger's side, and the split is returned with it.
    pub fn pack_since(
        &self,
        selection: &Selection,
        issued_at: u64,
        old: &[u8],
    ) -> Result<(Pack, Option<SplitView>), MakePackError> {
        let l = self.snapshot()?;
        let cp = SignedCheckpoint::open(old, &self.vkey)
            .map_err(|e| MakePackError::NotThisLog(e.to_string()))?;
        let size = l.checkpoint().root().size();
        if cp.root().size() > size {
            return Err(MakePackError::Behind {
                old: cp.root().size(),
                size,
            });
        }
        let pack = self.pack_in(&l, selection, issued_at, Some(cp.root().size()))?;
        let split = pack.consistency.as_ref().and_then(|c| {
            (c.from.hash() != cp.root().hash()).then(|| SplitView {
                size: c.from.size(),
                ours: *c.from.hash(),
                theirs: *cp.root().hash(),
            })
        });
        Ok((pack, split))
    }
}

/// How the index of the ledger at `layout` names facilities: by label
/// (with its VRF secret key) if it is confidential, else by id.
/// One naming per VRF key in the process, so that every state of a ledger
/// (the writer's, the readers', a service's request tasks warming it) shares
/// the labels computed (one VRF evaluation per facility).
pub(crate) fn naming(layout: &Layout) -> Result<crate::history::Naming, StoreError> {
    use std::collections::HashMap;
    static NAMINGS: Mutex<Option<HashMap<[u8; 32], crate::history::Naming>>> = Mutex::new(None);
    if !layout.is_confidential() {
        return Ok(crate::history::Naming::Ids);
    }
    let public = crate::store::confidential::read_label_key(layout)?
        .key
        .to_bytes();
    let mut all = NAMINGS.lock().unwrap_or_else(|p| p.into_inner());
    let all = all.get_or_insert_with(HashMap::new);
    if let Some(n) = all.get(&public) {
        return Ok(n.clone());
    }
    // Checked against the public key it is filed under.
    let secret = crate::store::confidential::read_label_secret(layout)?;
    let n = crate::history::Naming::labels(secret);
    all.insert(public, n.clone());
    Ok(n)
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
pub(crate) mod tests;
