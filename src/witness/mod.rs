//! A witness (c2sp.org/tlog-witness semantics, offline form): it cosigns a
//! log's checkpoint only when a consistency proof from the last checkpoint it
//! cosigned for that log verifies, and refuses otherwise with the spec's
//! answer (400, 403, 404, 409, 422).
//!
//! ```text
//! WITNESS/
//!   witness.key        its cosigning key (type 0x04, 0600, directory 0700)
//!   witness.vkey       the matching verifier key (public)
//!   logs               the logs it witnesses: one `log <vkey>` line each
//!   state/<sha256(origin) hex>   the last checkpoint it cosigned per log
//!   lock               held while a request is checked and the state updated
//!   tmp/               temporary files
//! ```
//!
//! Checking the old size against the state and recording the new checkpoint
//! happen under one lock, and the state file is replaced atomically and
//! durably before the cosignature is returned, so a witness never rolls back.

#[cfg(feature = "service")]
mod remote;
mod request;

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[cfg(feature = "service")]
pub use remote::{add_checkpoint_remote, ask_witness, cosign_ledger_remote, RemoteError};
pub use request::{AddCheckpoint, MAX_PROOF_LINES, MAX_REQUEST_SIZE};

use crate::merkle::ConsistencyProof;
use crate::note::{cosign, Checkpoint, Note, NoteSignature, SigType, SignerKey, VerifierKey};
use crate::store::fsio;

/// Why a witness refused (the tlog-witness status codes) or failed.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// 400: the request is malformed, or its old size is past the checkpoint.
    #[error("400 Bad Request: {0}")]
    BadRequest(String),
    /// 403: no signature by a trusted key for the origin verifies.
    #[error("403 Forbidden: {0}")]
    Forbidden(String),
    /// 404: the witness does not witness this origin.
    #[error("404 Not Found: the witness does not know the log {0:?}")]
    UnknownLog(String),
    /// 409: the old size is not the size the witness last cosigned, or a
    /// checkpoint of that size has another root.
    #[error("409 Conflict: {reason}")]
    Conflict {
        /// The size of the last checkpoint the witness cosigned for the log.
        size: u64,
        /// What conflicted.
        reason: String,
    },
    /// 422: the consistency proof does not verify.
    #[error("422 Unprocessable Entity: {0}")]
    BadProof(String),
    /// The witness's own files could not be read or written.
    #[error("witness {path}: {reason}")]
    Storage {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

impl WitnessError {
    /// The HTTP status the spec gives this answer (500 for storage faults).
    pub fn status(&self) -> u16 {
        match self {
            WitnessError::BadRequest(_) => 400,
            WitnessError::Forbidden(_) => 403,
            WitnessError::UnknownLog(_) => 404,
            WitnessError::Conflict { .. } => 409,
            WitnessError::BadProof(_) => 422,
            WitnessError::Storage { .. } => 500,
        }
    }

    fn storage(path: &Path, reason: impl ToString) -> Self {
        WitnessError::Storage {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }
}

/// A witness's cosigning key: in `witness.key`, or in a PKCS#11 token
/// that `witness.pkcs11` names.
enum WitnessKey {
    File(SignerKey),
    #[cfg(feature = "service")]
    Token(crate::token::TokenKey, VerifierKey),
}

impl WitnessKey {
    fn verifier(&self) -> VerifierKey {
        match self {
            WitnessKey::File(k) => k.verifier(),
            #[cfg(feature = "service")]
            WitnessKey::Token(_, v) => v.clone(),
        }
    }

    fn cosign(
        &self,
        body: &crate::note::Checkpoint,
        now: u64,
    ) -> Result<crate::note::NoteSignature, crate::note::NoteError> {
        match self {
            WitnessKey::File(k) => cosign(body, k, now),
            #[cfg(feature = "service")]
            WitnessKey::Token(t, v) => crate::note::cosign_with(body, v, now, |m| {
                t.sign(m)
                    .map_err(|e| crate::note::NoteError::Signer(e.to_string()))
            }),
        }
    }
}

/// The token key `uri` names, as the cosigning key `name` (type 0x04);
/// `at` names where the URI is kept, in errors.
#[cfg(feature = "service")]
fn open_token(
    uri: &str,
    name: &str,
    at: &Path,
) -> Result<(crate::token::TokenKey, VerifierKey), WitnessError> {
    let key = crate::token::TokenKey::open(uri).map_err(|e| WitnessError::storage(at, e))?;
    let vkey = VerifierKey::new(name, SigType::Cosignature, *key.public())
        .map_err(|e| WitnessError::BadRequest(e.to_string()))?;
    Ok((key, vkey))
}

#[cfg(not(feature = "service"))]
fn open_token(_uri: &str, _name: &str, at: &Path) -> Result<((), VerifierKey), WitnessError> {
    Err(WitnessError::storage(
        at,
        "the witness key is in a PKCS#11 token, and this build has none (built without the `service` feature)",
    ))
}

/// The witness's key: `witness.pkcs11`'s token key (checked against
/// `witness.vkey`), else `witness.key`.
fn open_key(dir: &Path) -> Result<WitnessKey, WitnessError> {
    let uri_path = dir.join("witness.pkcs11");
    if uri_path.exists() {
        let uri = fs::read_to_string(&uri_path).map_err(|e| WitnessError::storage(&uri_path, e))?;
        let vkey_path = dir.join("witness.vkey");
        let text =
            fs::read_to_string(&vkey_path).map_err(|e| WitnessError::storage(&vkey_path, e))?;
        let vkey =
            VerifierKey::parse(text.trim()).map_err(|e| WitnessError::storage(&vkey_path, e))?;
        let (_key, opened) = open_token(uri.trim(), vkey.name(), &uri_path)?;
        if opened != vkey {
            return Err(WitnessError::storage(
                &uri_path,
                format!("names a token key that is not {vkey} (witness.vkey)"),
            ));
        }
        #[cfg(feature = "service")]
        return Ok(WitnessKey::Token(_key, vkey));
    }
    let key_path = dir.join("witness.key");
    let text = zeroize::Zeroizing::new(
        fs::read_to_string(&key_path).map_err(|e| WitnessError::storage(&key_path, e))?,
    );
    let key = SignerKey::parse(&text).map_err(|e| WitnessError::storage(&key_path, e))?;
    if key.sig_type() != SigType::Cosignature {
        return Err(WitnessError::storage(
            &key_path,
            "not a cosignature (type 0x04) key",
        ));
    }
    Ok(WitnessKey::File(key))
}

/// An opened witness directory.
pub struct Witness {
    dir: PathBuf,
    key: WitnessKey,
    logs: Vec<VerifierKey>,
    /// Log keys retired by a rotation the witness followed, with the tree
    /// size of their hand-over: they sign no larger tree.
    retired: Vec<(VerifierKey, u64)>,
}

impl Witness {
    /// Creates a witness directory with a new cosigning key named `name`.
    /// Returns its verifier key.
    pub fn create(dir: &Path, name: &str) -> Result<VerifierKey, WitnessError> {
        Self::create_keyed(dir, name, None)
    }

    /// [`Witness::create`], its cosigning key being the Ed25519 key in a
    /// PKCS#11 token that `uri` names (RFC 7512): `witness.pkcs11` holds
    /// the URI, and no key file is written.
    pub fn create_with_token(
        dir: &Path,
        name: &str,
        uri: &str,
    ) -> Result<VerifierKey, WitnessError> {
        Self::create_keyed(dir, name, Some(uri))
    }

    fn create_keyed(
        dir: &Path,
        name: &str,
        uri: Option<&str>,
    ) -> Result<VerifierKey, WitnessError> {
        if dir.exists()
            && fs::read_dir(dir)
                .map_err(|e| WitnessError::storage(dir, e))?
                .next()
                .is_some()
        {
            return Err(WitnessError::storage(dir, "exists and is not empty"));
        }
        let vkey = match uri {
            Some(u) => {
                let (_, vkey) = open_token(u, name, &dir.join("witness.pkcs11"))?;
                fsio::create_private_dir(dir).map_err(|e| WitnessError::storage(dir, e))?;
                let at = dir.join("witness.pkcs11");
                fs::write(&at, format!("{u}\n")).map_err(|e| WitnessError::storage(&at, e))?;
                vkey
            }
            None => {
                let key = SignerKey::generate(name, SigType::Cosignature)
                    .map_err(|e| WitnessError::BadRequest(e.to_string()))?;
                fsio::create_private_dir(dir).map_err(|e| WitnessError::storage(dir, e))?;
                let key_path = dir.join("witness.key");
                fsio::write_private_file(&key_path, key.to_private_string().as_bytes())
                    .map_err(|e| WitnessError::storage(&key_path, e))?;
                key.verifier()
            }
        };
        for sub in ["state", "tmp"] {
            fs::create_dir_all(dir.join(sub)).map_err(|e| WitnessError::storage(dir, e))?;
        }
        fsio::sync_dir(dir).map_err(|e| WitnessError::storage(dir, e))?;
        let mut w =
            fsio::AtomicWriter::new(dir.join("tmp")).map_err(|e| WitnessError::storage(dir, e))?;
        for (file, text) in [
            ("witness.vkey", format!("{vkey}\n")),
            (
                "logs",
                "# The logs this witness cosigns: one `log <vkey>` line each.\n".into(),
            ),
        ] {
            w.write(&dir.join(file), text.as_bytes(), true)
                .map_err(|e| WitnessError::storage(&dir.join(file), e))?;
        }
        Ok(vkey)
    }

    /// Opens a witness directory.
    pub fn open(dir: &Path) -> Result<Self, WitnessError> {
        let key = open_key(dir)?;
        let logs_path = dir.join("logs");
        let logs_text =
            fs::read_to_string(&logs_path).map_err(|e| WitnessError::storage(&logs_path, e))?;
        let mut logs = Vec::new();
        let mut retired = Vec::new();
        for (n, line) in logs_text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // `retired <vkey> <size>`: a log key handed over at that size
            // (a rotation note the witness followed).
            if let Some(rest) = line.strip_prefix("retired ") {
                let parsed = rest
                    .rsplit_once(' ')
                    .and_then(|(k, size)| {
                        Some((VerifierKey::parse(k.trim()).ok()?, size.parse().ok()?))
                    })
                    .ok_or_else(|| {
                        WitnessError::storage(
                            &logs_path,
                            format!("line {}: expected `retired <vkey> <size>`", n + 1),
                        )
                    })?;
                retired.push(parsed);
                continue;
            }
            let vkey = line
                .strip_prefix("log ")
                .map(str::trim)
                .ok_or_else(|| format!("line {}: expected `log <vkey>`", n + 1))
                .and_then(|k| VerifierKey::parse(k).map_err(|e| format!("line {}: {e}", n + 1)))
                .map_err(|e| WitnessError::storage(&logs_path, e))?;
            logs.push(vkey);
        }
        Ok(Witness {
            dir: dir.to_path_buf(),
            key,
            logs,
            retired,
        })
    }

    /// Replaces the witness's cosigning key (FORMATS §30): a new key of
    /// the same name, in a file, or the token key `uri` names. The logs it
    /// witnesses and the sizes it cosigned stay; the old key file is
    /// removed (a token key stays in its token for its operator to
    /// destroy). Returns the old and the new verifier key: verifiers learn
    /// of the change from the scheme root's trust update giving the old key
    /// an end and the new one a start, and from their policy naming the new
    /// key. Holds the witness's lock, so no request is answered half way.
    pub fn rotate_key(
        dir: &Path,
        uri: Option<&str>,
    ) -> Result<(VerifierKey, VerifierKey), WitnessError> {
        let w = Witness::open(dir)?;
        let _lock = w.lock()?;
        let old = w.vkey();
        let (new, token) = match uri {
            Some(u) => {
                let (_, vkey) = open_token(u, old.name(), &dir.join("witness.pkcs11"))?;
                (vkey, Some(u))
            }
            None => {
                let key = SignerKey::generate(old.name(), SigType::Cosignature)
                    .map_err(|e| WitnessError::BadRequest(e.to_string()))?;
                let staged = dir.join("witness.key.new");
                let _ = fs::remove_file(&staged);
                fsio::write_private_file(&staged, key.to_private_string().as_bytes())
                    .map_err(|e| WitnessError::storage(&staged, e))?;
                (key.verifier(), None)
            }
        };
        if new == old {
            return Err(WitnessError::BadRequest(
                "the new key is the witness's key already".into(),
            ));
        }
        // The key first, then `witness.vkey`: a file key is its own
        // authority (a crash between leaves a stale vkey file, rewritten
        // by a second run), and a token key must match `witness.vkey`, so
        // a crash between refuses to open: never a key cosigning that its
        // vkey does not name.
        let mut aw =
            fsio::AtomicWriter::new(dir.join("tmp")).map_err(|e| WitnessError::storage(dir, e))?;
        let (key_path, uri_path) = (dir.join("witness.key"), dir.join("witness.pkcs11"));
        match token {
            Some(u) => aw
                .write(&uri_path, format!("{u}\n").as_bytes(), true)
                .map_err(|e| WitnessError::storage(&uri_path, e))?,
            None => {
                fs::rename(dir.join("witness.key.new"), &key_path)
                    .map_err(|e| WitnessError::storage(&key_path, e))?;
                let _ = fs::remove_file(&uri_path);
            }
        }
        let vkey_path = dir.join("witness.vkey");
        aw.write(&vkey_path, format!("{new}\n").as_bytes(), true)
            .map_err(|e| WitnessError::storage(&vkey_path, e))?;
        if token.is_some() {
            let _ = fs::remove_file(&key_path);
        }
        fsio::sync_dir(dir).map_err(|e| WitnessError::storage(dir, e))?;
        Ok((old, new))
    }

    /// The witness's verifier key.
    pub fn vkey(&self) -> VerifierKey {
        self.key.verifier()
    }

    /// The logs it witnesses.
    pub fn logs(&self) -> &[VerifierKey] {
        &self.logs
    }

    /// Adds a log to witness (idempotent).
    pub fn add_log(&mut self, log: VerifierKey) -> Result<(), WitnessError> {
        if log.sig_type() != SigType::Ed25519 {
            return Err(WitnessError::BadRequest(
                "a log key must be an Ed25519 (type 0x01) key".into(),
            ));
        }
        if log.key() == self.key.verifier().key() {
            return Err(WitnessError::BadRequest(
                "that is this witness's own key: a log cannot witness itself".into(),
            ));
        }
        if self.logs.contains(&log) {
            return Ok(());
        }
        let _lock = self.lock()?;
        let logs_path = self.dir.join("logs");
        let mut text =
            fs::read_to_string(&logs_path).map_err(|e| WitnessError::storage(&logs_path, e))?;
        text.push_str(&format!("log {log}\n"));
        self.writer()?
            .write(&logs_path, text.as_bytes(), true)
            .map_err(|e| WitnessError::storage(&logs_path, e))?;
        self.logs.push(log);
        Ok(())
    }

    /// Follows a log key's rotation note (FORMATS §28): its old key must be
    /// one this witness witnesses; its new key is added, and the old key is
    /// retired at the hand-over size (a larger tree it alone signed is
    /// refused from now). Idempotent.
    pub fn follow_rotation(&mut self, note: &[u8]) -> Result<crate::note::Rotation, WitnessError> {
        let signed = crate::note::SignedRotation::open(note)
            .map_err(|e| WitnessError::BadRequest(format!("rotation note: {e}")))?;
        let r = signed.rotation().clone();
        if !self.logs.contains(&r.old) {
            return Err(WitnessError::BadRequest(format!(
                "the rotation hands over from {}, a key this witness does not witness",
                r.old
            )));
        }
        self.add_log(r.new.clone())?;
        if self.retired.iter().any(|(k, _)| k == &r.old) {
            return Ok(r);
        }
        let _lock = self.lock()?;
        let logs_path = self.dir.join("logs");
        let mut text =
            fs::read_to_string(&logs_path).map_err(|e| WitnessError::storage(&logs_path, e))?;
        text.push_str(&format!("retired {} {}\n", r.old, r.root.size()));
        self.writer()?
            .write(&logs_path, text.as_bytes(), true)
            .map_err(|e| WitnessError::storage(&logs_path, e))?;
        self.retired.push((r.old.clone(), r.root.size()));
        Ok(r)
    }

    fn writer(&self) -> Result<fsio::AtomicWriter, WitnessError> {
        fsio::AtomicWriter::new(self.dir.join("tmp"))
            .map_err(|e| WitnessError::storage(&self.dir, e))
    }

    fn lock(&self) -> Result<fs::File, WitnessError> {
        let path = self.dir.join("lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| WitnessError::storage(&path, e))?;
        f.lock().map_err(|e| WitnessError::storage(&path, e))?;
        Ok(f)
    }

    fn state_path(&self, origin: &str) -> PathBuf {
        let h = Sha256::digest(origin.as_bytes());
        self.dir.join("state").join(crate::hex::encode(&h))
    }

    /// The last checkpoint this witness cosigned for `origin`, if any.
    pub fn latest(&self, origin: &str) -> Result<Option<Checkpoint>, WitnessError> {
        let path = self.state_path(origin);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(WitnessError::storage(&path, e)),
        };
        let note = Note::parse(&bytes).map_err(|e| WitnessError::storage(&path, e))?;
        let cp = Checkpoint::parse(note.text()).map_err(|e| WitnessError::storage(&path, e))?;
        if cp.origin() != origin {
            return Err(WitnessError::storage(
                &path,
                format!("holds a checkpoint of {:?}, not {origin:?}", cp.origin()),
            ));
        }
        Ok(Some(cp))
    }

    /// Handles an `add-checkpoint` request at time `now` (POSIX seconds):
    /// verifies it, records the checkpoint, returns the cosignature.
    pub fn add_checkpoint(
        &self,
        req: &AddCheckpoint,
        now: u64,
    ) -> Result<NoteSignature, WitnessError> {
        let note = Note::parse(&req.checkpoint)
            .map_err(|e| WitnessError::BadRequest(format!("checkpoint: {e}")))?;
        let body = Checkpoint::parse(note.text())
            .map_err(|e| WitnessError::BadRequest(format!("checkpoint: {e}")))?;
        let origin = body.origin().to_string();
        let keys = crate::note::keys_named(&self.logs, &origin);
        if keys.is_empty() {
            return Err(WitnessError::UnknownLog(origin));
        }
        let signers = note
            .verify(&keys)
            .map_err(|e| WitnessError::Forbidden(format!("checkpoint of {origin:?}: {e}")))?;
        let size = body.size();
        // A key retired by a rotation this witness followed signs no tree
        // past its hand-over.
        let in_charge = |k: &&VerifierKey| {
            self.retired
                .iter()
                .filter(|(r, _)| r == *k)
                .all(|(_, at)| size <= *at)
        };
        if !signers.iter().any(in_charge) {
            return Err(WitnessError::Forbidden(format!(
                "checkpoint of {origin:?} of size {size} is signed only by a key retired at a smaller tree (a rotation this witness followed)"
            )));
        }
        if size == 0 && *body.root().hash() != crate::merkle::empty_root() {
            return Err(WitnessError::BadRequest(format!(
                "a checkpoint of size 0 must carry the empty tree's root, not {}",
                body.root().hash()
            )));
        }
        if req.old > size {
            return Err(WitnessError::BadRequest(format!(
                "old size {} is larger than the checkpoint's size {size}",
                req.old
            )));
        }
        let _lock = self.lock()?;
        let last = self.latest(&origin)?;
        let last_size = last.as_ref().map_or(0, |c| c.size());
        if req.old != last_size {
            return Err(WitnessError::Conflict {
                size: last_size,
                reason: format!(
                    "the last checkpoint cosigned for {origin:?} has size {last_size}, not {}; ask again with old {last_size}",
                    req.old
                ),
            });
        }
        if let Some(last) = &last {
            if last.size() == size && last.root().hash() != body.root().hash() {
                return Err(WitnessError::Conflict {
                    size: last_size,
                    reason: format!(
                        "SPLIT VIEW: {origin:?} signed two roots for size {size}: {} (cosigned before) and {}",
                        last.root().hash(),
                        body.root().hash()
                    ),
                });
            }
            if size > last.size() {
                ConsistencyProof::new(last.size(), size, req.proof.clone())
                    .verify(last.root(), body.root())
                    .map_err(|e| {
                        WitnessError::BadProof(format!(
                            "{e}: the checkpoint (size {size}) is not shown to extend the one cosigned before (size {}, root {})",
                            last.size(),
                            last.root().hash()
                        ))
                    })?;
            }
        }
        if last_size == 0 && !req.proof.is_empty() {
            return Err(WitnessError::BadProof(
                "the proof must be empty when the old size is 0".into(),
            ));
        }
        if last.as_ref().is_some_and(|l| l.size() == size) && !req.proof.is_empty() {
            return Err(WitnessError::BadProof(
                "the proof must be empty between checkpoints of the same size".into(),
            ));
        }
        let sig = self
            .key
            .cosign(&body, now)
            .map_err(|e| WitnessError::storage(&self.dir.join("witness.key"), e))?;
        let mut recorded = Note::new(note.text())
            .and_then(|mut n| n.push_signature(sig.clone()).map(|_| n))
            .map_err(|e| WitnessError::BadRequest(e.to_string()))?;
        for s in note.signatures() {
            if keys
                .iter()
                .any(|k| k.name() == s.name() && k.id() == s.id())
            {
                let _ = recorded.push_signature(s.clone());
            }
        }
        let path = self.state_path(&origin);
        self.writer()?
            .write(&path, &recorded.to_bytes(), true)
            .map_err(|e| WitnessError::storage(&path, e))?;
        Ok(sig)
    }
}

/// Builds the request a ledger sends to a witness that last cosigned the
/// ledger at size `old`.
pub fn request_for(
    ledger: &crate::store::Snapshot,
    old: u64,
) -> Result<AddCheckpoint, crate::store::StoreError> {
    let proof = if old == 0 {
        Vec::new()
    } else {
        ledger.prove_consistency(old)?.path().to_vec()
    };
    Ok(AddCheckpoint {
        old,
        proof,
        checkpoint: ledger.checkpoint().to_bytes(),
    })
}

/// Why a local witness round ([`cosign_ledger`]) did not complete.
#[derive(Debug, thiserror::Error)]
pub enum RoundError {
    /// The witness refused, or its files failed.
    #[error("witness refused: {0}")]
    Witness(#[from] WitnessError),
    /// The ledger could not be read or written.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The ledger refused the cosignature, or could not be written.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    /// A witness over HTTP refused, or could not be reached.
    #[error("witness refused: {0}")]
    #[cfg(feature = "service")]
    Remote(#[from] remote::RemoteError),
    /// The witness answered `409` to the follow-up request too: its state
    /// moved between two requests, or it does not follow the protocol.
    #[error("witness {url} answered 409 twice (it last cosigned size {first}, then size {then}): its state keeps moving, so this round gives up (tlog-witness needs one follow-up)")]
    Unsettled {
        /// The witness's URL.
        url: String,
        /// The size its first 409 named.
        first: u64,
        /// The size its second 409 named.
        then: u64,
    },
    /// The witness has cosigned a larger tree of this log than the ledger
    /// holds.
    #[error("the witness has cosigned {origin} at size {cosigned}, but this ledger is at size {size}: the ledger was rolled back, or is another copy of the log (a split view)")]
    Behind {
        /// The log.
        origin: String,
        /// What the witness cosigned.
        cosigned: u64,
        /// The ledger's size.
        size: u64,
    },
}

/// What a witness round did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosigned {
    /// The witness's key name.
    pub witness: String,
    /// The log.
    pub origin: String,
    /// The size cosigned.
    pub size: u64,
    /// The size it was shown consistent with.
    pub old: u64,
}

/// One witness round for a witness directory and a ledger on this machine:
/// the request (the ledger's checkpoint and a consistency proof from the
/// size the witness last cosigned), the witness's answer at time `now`, and
/// the cosignature attached to the ledger's checkpoint.
pub fn cosign_ledger(
    dir: &Path,
    ledger: &crate::ledger::Ledger,
    now: u64,
) -> Result<Cosigned, RoundError> {
    let w = Witness::open(dir)?;
    let l = ledger.snapshot()?;
    let origin = l.checkpoint().checkpoint().origin().to_string();
    let old = w.latest(&origin)?.map_or(0, |c| c.size());
    let size = l.checkpoint().root().size();
    if old > size {
        return Err(RoundError::Behind {
            origin,
            cosigned: old,
            size,
        });
    }
    let sig = w.add_checkpoint(&request_for(&l, old)?, now)?;
    ledger.attach_cosignatures(&w.vkey(), sig.to_line().as_bytes())?;
    Ok(Cosigned {
        witness: w.vkey().name().to_string(),
        origin,
        size,
        old,
    })
}

impl crate::class::Classify for WitnessError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            WitnessError::BadRequest(_) => Class::BadInput,
            WitnessError::Storage { .. } => Class::Internal,
            // The witness read the request and will not cosign it.
            WitnessError::Forbidden(_)
            | WitnessError::UnknownLog(_)
            | WitnessError::Conflict { .. }
            | WitnessError::BadProof(_) => Class::Refused,
        }
    }
}

impl crate::class::Classify for RoundError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            RoundError::Witness(w) => w.class(),
            RoundError::Store(s) => s.class(),
            RoundError::Ledger(l) => l.class(),
            #[cfg(feature = "service")]
            RoundError::Remote(remote::RemoteError::Net(_)) => Class::Unavailable,
            #[cfg(feature = "service")]
            RoundError::Remote(remote::RemoteError::Refused { status, .. }) if *status == 400 => {
                Class::BadInput
            }
            #[cfg(feature = "service")]
            RoundError::Remote(remote::RemoteError::Refused { status, .. }) if *status >= 500 => {
                Class::Unavailable
            }
            #[cfg(feature = "service")]
            RoundError::Remote(_) => Class::Refused,
            RoundError::Unsettled { .. } | RoundError::Behind { .. } => Class::VerificationFailed,
        }
    }
}

#[cfg(test)]
mod tests;
