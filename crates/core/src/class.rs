//! One classification of every library error: what kind of failure it is.
//! The command line maps a class to its exit code in one match, the
//! service to its HTTP status in one match; neither looks inside the error.

/// What kind of failure an error is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// A rule of the scheme refused the input (it was read and understood):
    /// a statement the registration policy does not admit. It names a
    /// refusal code.
    Refused,
    /// A cryptographic or consistency check failed: a signature, a proof, a
    /// tree that does not match its checkpoint, a rolled-back ledger.
    VerificationFailed,
    /// The input could not be read or understood, or was used wrongly (bad
    /// encoding, too large, a directory that is not a ledger).
    BadInput,
    /// What was asked for is not there (an entry past the end of the log, a
    /// facility that is not registered).
    NotFound,
    /// Something the operation depends on is busy or unreachable (another
    /// writer holds the ledger, a server does not answer, the state index
    /// cannot be read): trying again later may succeed.
    Unavailable,
    /// A file could not be read or written, or an invariant broke.
    Internal,
}

impl Class {
    /// A short stable name (`refused`, `verification-failed`, `bad-input`,
    /// `not-found`, `unavailable`, `internal`), for reports and problem
    /// details.
    pub fn name(self) -> &'static str {
        match self {
            Class::Refused => "refused",
            Class::VerificationFailed => "verification-failed",
            Class::BadInput => "bad-input",
            Class::NotFound => "not-found",
            Class::Unavailable => "unavailable",
            Class::Internal => "internal",
        }
    }
}

/// An error that knows its [`Class`].
pub trait Classify {
    /// What kind of failure it is.
    fn class(&self) -> Class;

    /// True when a check failed or a rule refused (as opposed to unreadable
    /// input, a busy ledger or a broken file).
    fn is_verdict(&self) -> bool {
        matches!(self.class(), Class::Refused | Class::VerificationFailed)
    }
}
