//! triage-ledger-core: the formats, rules and offline verifier of
//! triage-ledger, with no I/O stack, so that they build alone and for the
//! web (issue 27). The `triage-ledger` crate re-exports every module here
//! under its own name (`triage_ledger::merkle` is this crate's `merkle`).
//!
//! Moved so far, the lowest layer: [`hex`], [`text`], [`class`], [`cbor`]
//! and [`merkle`]. NOTES.md says what follows.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod cbor;
pub mod class;
pub mod hex;
pub mod merkle;
pub mod text;
