//! triage-ledger-core: the formats, rules and offline verifier of
//! triage-ledger, with no I/O stack, so that they build alone and for the
//! web (issue 27). The `triage-ledger` crate re-exports every module here
//! under its own name (`triage_ledger::merkle` is this crate's `merkle`).
//!
//! Here: [`hex`], [`text`], [`class`], [`cbor`], [`merkle`], [`note`]
//! (signed notes, checkpoints, cosignatures, the lifecycle notes), [`vrf`],
//! [`commitment`] (a confidential log's commitments and labels), [`cose`]
//! (statements, receipts, transparent statements), [`identity`]
//! (certificates, roles, chain validation), [`tsa`] (RFC 3161 time-stamp
//! tokens), [`record`] (the scheme's records), [`policy`] (the
//! registration rules), [`history`] (the committed index), [`status`] (a
//! facility's standing), [`verify`] (packs and the offline verifier), [`report`]
//! (the facility report's data and HTML) and [`input`] (bounded reads and the size limits).
//!
//! Feature `rand` (default): key generation from the operating system's
//! random source; feature `issue`: issuing certificates (rcgen); feature
//! `testing`: the tests' fixtures (`policy::testing`). Without
//! `rand` the crate verifies and signs with keys it is given, and builds for `wasm32-unknown-unknown` with no getrandom.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod cbor;
pub mod class;
pub mod commitment;
pub mod cose;
pub mod hex;
pub mod history;
pub mod identity;
pub mod input;
pub mod merkle;
pub mod note;
pub mod page;
pub mod policy;
pub mod record;
pub mod report;
pub mod status;
pub mod text;
pub mod tsa;
pub mod verify;
pub mod vrf;
