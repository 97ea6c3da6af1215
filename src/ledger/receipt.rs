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
    issue_for(l, signer, index, &l.read_entry(index)?, issued_at)
}

/// [`issue`] for an entry whose bytes the caller holds (a service that just
/// committed it): they are not read back. `entry` must be entry `index`'s
/// bytes; the receipt proves entry `index` whatever they are, and only its
/// `sub` is taken from them.
pub(super) fn issue_for(
    l: &Snapshot,
    signer: &dyn Signer,
    index: u64,
    entry: &[u8],
    issued_at: u64,
) -> Result<Receipt, LedgerError> {
    issue_salted(l, signer, index, entry, issued_at, None)
}

/// [`issue_for`] with the salt of the entry's commitment, when the caller
/// knows it (the writer drew it): the opening is then not read back.
pub(super) fn issue_salted(
    l: &Snapshot,
    signer: &dyn Signer,
    index: u64,
    entry: &[u8],
    issued_at: u64,
    salt: Option<[u8; crate::commitment::SALT_LEN]>,
) -> Result<Receipt, LedgerError> {
    let proof = l.prove_inclusion(index)?;
    // RFC 9943 §6: the receipt's sub, like the statement's, names what it is
    // about; an index entry is about the log itself.
    let subject = crate::cose::peek_type_and_subject(entry)
        .map(|(_, sub)| sub)
        .unwrap_or_else(|| format!("{} entry {index}", l.vkey().name()));
    let receipt = Receipt::issue(signer, &proof, l.checkpoint().root(), issued_at, &subject)?;
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
