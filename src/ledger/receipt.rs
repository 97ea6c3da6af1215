//! Receipts and references the log issues for its entries.

use super::LedgerError;
use crate::cose::Receipt;
use crate::note::Signer;
use crate::record::Ref;
use crate::store::{Snapshot, StoreError};

/// A COSE Receipt (RFC 9942, RFC9162_SHA256) for entry `index` against the
/// checkpoint `l` is opened at, signed by `signer`, issued at `issued_at`.
pub(super) fn issue(
    l: &Snapshot,
    signer: &dyn Signer,
    index: u64,
    issued_at: u64,
) -> Result<Receipt, LedgerError> {
    let proof = l.prove_inclusion(index)?;
    // RFC 9943 §6: the receipt's sub, like the statement's, names what it is
    // about; an index entry is about the log itself.
    let subject = crate::cose::peek_type_and_subject(&l.read_entry(index)?)
        .map(|(_, sub)| sub)
        .unwrap_or_else(|| format!("{} entry {index}", l.vkey().name()));
    Ok(Receipt::issue(
        signer,
        &proof,
        l.checkpoint().root(),
        issued_at,
        &subject,
    )?)
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
