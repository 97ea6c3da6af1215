//! triage-ledger: a cryptographic evidence ledger for MP203 triage-facility
//! security assessments, built on an RFC 9162 Merkle log published as C2SP
//! tiles with signed checkpoints.
//!
//! Modules, lower never importing higher: [`merkle`] (hashing and proofs,
//! no I/O), [`note`] (signed notes, checkpoints, cosignatures, tlog-proof
//! text), [`store`] (the ledger directory: tiles, appends, recovery, audit).
//! The binary's `cli` module only parses arguments and prints.

#![forbid(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod merkle;
pub mod note;
pub mod store;
