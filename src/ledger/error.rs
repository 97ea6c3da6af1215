//! Why a ledger operation failed.

use crate::policy::PolicyError;
use crate::store::StoreError;

/// Why a ledger operation failed (a submission that fails appended nothing).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The ledger could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The ledger has no trust root to admit statements against.
    #[error("{path}: {reason}")]
    TrustRoot {
        /// The trust root file.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A statement was refused; the whole batch was.
    #[error("statement {position} ({name}) refused by rule {rule} [{code}]: {source}", code = .source.code())]
    Refused {
        /// 1-based position in the batch.
        position: usize,
        /// The name it was given (its file).
        name: String,
        /// The rule's short name.
        rule: &'static str,
        /// The refusal.
        source: PolicyError,
    },
    /// The persisted state index could not be opened, rebuilt or written.
    #[error("state index {path}: {reason}")]
    StateIndex {
        /// The index file.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A receipt could not be made (the log key could not sign it).
    #[error("receipt: {0}")]
    Receipt(#[from] crate::cose::CoseError),
    /// The log holds an entry the policy cannot read back.
    #[error("log entry {index} cannot be replayed: {source}")]
    Replay {
        /// Its index.
        index: u64,
        /// Why.
        source: PolicyError,
    },
    /// A log lifecycle step (naming a predecessor) was asked of the wrong
    /// ledgers.
    #[error("{0}")]
    Lifecycle(String),
    /// A time-stamp token that does not stamp this log's checkpoint.
    #[error("time-stamp: {0}")]
    Timestamp(String),
}

impl LedgerError {}

impl crate::class::Classify for LedgerError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            LedgerError::Store(e) => e.class(),
            LedgerError::TrustRoot { .. } => Class::BadInput,
            LedgerError::Refused { source, .. } => source.class(),
            LedgerError::StateIndex { .. } => Class::Unavailable,
            LedgerError::Receipt(_) => Class::Internal,
            LedgerError::Lifecycle(_) | LedgerError::Timestamp(_) => Class::BadInput,
            // The log holds what its own policy cannot read back.
            LedgerError::Replay { source, .. } => match source.class() {
                Class::Unavailable => Class::Unavailable,
                _ => Class::VerificationFailed,
            },
        }
    }
}
