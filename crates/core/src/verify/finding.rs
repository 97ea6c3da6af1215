//! Stable codes of the verifier's own findings that a reader can act on
//! (a failed check's [`Check::code`](super::Check::code), beside the
//! policy's refusal codes): a program, or the command line's hints, match
//! on these, never on the message. Listed in FORMATS.md §23.

/// No committed index: the pack cannot prove it holds every statement of
/// its facility (a verifier may accept it as partial).
pub const NO_INDEX: &str = "complete/no-index";
/// Completeness was required, and the pack holds selected entries.
pub const SELECTED_ENTRIES: &str = "complete/selected-entries";
/// A checkpoint kept from before was given, and the pack carries no
/// consistency proof (it was made without it).
pub const NO_CONSISTENCY_PROOF: &str = "since/no-consistency-proof";
/// The pack's consistency proof starts at another size than the
/// checkpoint kept from before.
pub const PROOF_FROM_ANOTHER_SIZE: &str = "since/proof-from-another-size";
/// The checkpoint kept from before is of a larger tree than the pack's.
pub const OLD_IS_NEWER: &str = "since/old-is-newer";

/// A statement's earliest trusted time (an RFC 3161 token over a tree that
/// holds it) is after its signer's certificate, or one above it, expired:
/// the pack does not show it was logged while the certificate was valid.
pub const AFTER_EXPIRY: &str = "time/after-expiry";

/// Every finding code.
pub const FINDINGS: [&str; 6] = [
    NO_INDEX,
    SELECTED_ENTRIES,
    NO_CONSISTENCY_PROOF,
    PROOF_FROM_ANOTHER_SIZE,
    OLD_IS_NEWER,
    AFTER_EXPIRY,
];
