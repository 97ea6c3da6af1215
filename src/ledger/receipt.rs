//! Receipts and references the log issues for its entries.

use super::LedgerError;
use crate::cose::{Receipt, SignedRoot};
use crate::merkle::RootHash;
use crate::note::Signer;
use crate::record::Ref;
use crate::store::{Snapshot, StoreError};

/// A COSE Receipt (RFC 9942, RFC9162_SHA256) for entry `index` against
/// the checkpoint `l` is opened at, under `signed`, the log's signature of
/// that checkpoint's root (shared by every receipt against it).
pub(super) fn issue(l: &Snapshot, signed: &SignedRoot, index: u64) -> Result<Receipt, LedgerError> {
    issue_for(l, signed, index, &l.read_entry(index)?)
}

/// [`issue`] for an entry whose bytes the caller holds (a service that just
/// committed it): they are not read back. `entry` must be entry `index`'s
/// bytes; the receipt proves entry `index` whatever they are, and they are
/// used only to find a confidential ledger's opening.
pub(super) fn issue_for(
    l: &Snapshot,
    signed: &SignedRoot,
    index: u64,
    entry: &[u8],
) -> Result<Receipt, LedgerError> {
    issue_salted(l, signed, index, entry, None)
}

/// [`issue_for`] with the salt of the entry's commitment, when the caller
/// knows it (the writer drew it): the opening is then not read back.
pub(super) fn issue_salted(
    l: &Snapshot,
    signed: &SignedRoot,
    index: u64,
    entry: &[u8],
    salt: Option<[u8; crate::commitment::SALT_LEN]>,
) -> Result<Receipt, LedgerError> {
    if signed.root() != l.checkpoint().root() {
        return Err(LedgerError::Receipt(crate::cose::CoseError::Profile(format!(
            "receipt: the log's signature is of the tree of {} entries, not of this checkpoint's ({})",
            signed.root().size(),
            l.checkpoint().root().size()
        ))));
    }
    let receipt = signed.receipt(&l.prove_inclusion(index)?)?;
    // A confidential ledger's statement is logged as a commitment leaf:
    // the receipt carries the salt that opens it (known, or read back).
    if let Some(salt) = salt {
        return Ok(receipt.with_salt(salt)?);
    }
    match l.read_opening(index)? {
        Some(o) if o.statement == entry => Ok(receipt.with_salt(o.salt)?),
        Some(_) => Err(StoreError::corrupt(
            &l.layout().openings_dir(),
            format!("the opening of entry {index} is not the statement given"),
        )
        .into()),
        None => Ok(receipt),
    }
}

/// Keeps the log's signatures of the latest few tree roots, so that every
/// receipt against one root shares one signature (a service's commit of
/// many statements signs its root once for all their receipts).
#[derive(Default)]
pub(super) struct SignedRoots {
    recent: std::sync::Mutex<std::collections::VecDeque<SignedRoot>>,
}

/// How many roots' signatures are kept (a service answers against its
/// latest commit; packs against the accepted checkpoint, which lags).
const KEPT_ROOTS: usize = 4;

impl SignedRoots {
    /// The log's signature of `root`: a kept one, or a new one made now
    /// (issued at `issued_at`) and kept. Callers asking for one root at
    /// once wait for the first to sign it, and share its signature.
    pub(super) fn get(
        &self,
        signer: &dyn Signer,
        root: &RootHash,
        issued_at: u64,
    ) -> Result<SignedRoot, LedgerError> {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = recent.iter().find(|s| s.root() == root) {
            return Ok(s.clone());
        }
        let signed = SignedRoot::sign(signer, root, issued_at)?;
        if recent.len() == KEPT_ROOTS {
            recent.pop_front();
        }
        recent.push_back(signed.clone());
        Ok(signed)
    }
}

/// A reference (index and SHA-256 of the logged bytes) to the statement at
/// `index`; an index entry is refused.
pub(super) fn statement_ref(l: &Snapshot, index: u64) -> Result<Ref, StoreError> {
    let bytes = l.read_entry(index)?;
    if crate::history::is_index_entry(&bytes) {
        return Err(StoreError::NotAStatement { index });
    }
    Ok(Ref {
        index,
        sha256: crate::merkle::Hash::digest(&bytes),
    })
}
