//! triage-ledger: a cryptographic evidence ledger for MP203 triage-facility
//! security assessments, built on an RFC 9162 Merkle log published as C2SP
//! tiles with signed checkpoints.
//!
//! Modules, by layer; a module imports from its own layer or those below,
//! never from above, and never in a circle (`tests/it/suite.rs` checks):
//!
//! 1. Plain helpers: [`hex`], [`text`], [`os`], [`class`] (the one error
//!    classification), [`config`], [`cbor`] (deterministic CBOR).
//! 2. Formats, no I/O: [`merkle`] (RFC 9162 hashing and proofs), [`note`]
//!    (signed notes, checkpoints, cosignatures, the log's [`note::Signer`]),
//!    [`vrf`] (RFC 9381 ECVRF), [`commitment`] (the public leaves and
//!    facility labels of confidential ledgers),
//!    [`identity`] (X.509 roles and parties), [`cose`] (COSE_Sign1
//!    statements and receipts), [`record`] (the scheme's records),
//!    [`history`] (the log's committed index), [`tiles`] (C2SP
//!    tlog-tiles paths and codecs).
//! 3. Files: [`store`] (the tile tree on disk or in object storage, the
//!    writer, locks, audit), [`output`] (writing files safely), [`bundle`]
//!    (sealing evidence directories), [`input`] (bounded reads).
//! 4. Rules, no I/O: [`policy`] (the registration policy and its typed
//!    refusals), [`status`] (a facility's standing), [`verify`] (packs and
//!    the offline verifier).
//! 5. The ledger: [`ledger`] (the handle: opened once with its signer; submit,
//!    receipts, packs, state), [`monitor`], [`remote`] (clients of a
//!    service), [`witness`], [`report`] (HTML for people), [`inspect`].
//! 6. [`server`]: the ledger and witness over HTTP.
//!
//! [`remote`], [`server`], object storage (`store::ObjectTree`, the locks,
//! `store::memory`) and the witnesses' HTTP client come with the `service`
//! feature (on by default; the binary needs it). Without it the library is
//! the formats, the rules, the ledger directory and the offline verifier —
//! no async runtime, HTTP or TLS stack — which is what the fuzz targets
//! link.
//!
//! The binary's `cli` module only parses arguments, calls the library and
//! maps its errors' [`class::Class`] to exit codes.
//!
//! ```
//! use triage_ledger::merkle::{inclusion_proof, leaf_hash, MemoryTree};
//! use triage_ledger::note::{Checkpoint, SigType, SignedCheckpoint, SignerKey};
//!
//! // A log of three entries, its signed checkpoint, and a proof of entry 1.
//! let tree = MemoryTree::from_entries(["a", "b", "c"]);
//! let key = SignerKey::generate("example.org/log", SigType::Ed25519)?;
//! let cp = SignedCheckpoint::sign(Checkpoint::new("example.org/log", tree.root())?, &key)?;
//! let proof = inclusion_proof(&tree, 1, 3)?;
//!
//! // A verifier holds only the verifier key, the checkpoint bytes, the proof and the entry.
//! let opened = SignedCheckpoint::open(&cp.to_bytes(), &key.verifier())?;
//! proof.verify(&leaf_hash(b"b"), opened.root())?;
//! assert!(proof.verify(&leaf_hash(b"x"), opened.root()).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub use triage_ledger_core::{
    cbor, class, commitment, cose, hex, history, input, merkle, note, page, policy, record, status,
    text, tsa, verify, vrf,
};

pub mod bundle;
pub mod config;
pub mod identity;
pub mod inspect;
pub mod ledger;
pub mod monitor;
pub mod os;
pub mod output;
#[cfg(feature = "service")]
pub mod remote;
pub mod report;
#[cfg(feature = "service")]
pub mod server;
pub mod store;
pub mod tiles;
#[cfg(feature = "service")]
pub mod token;
pub mod verifier_page;
pub mod witness;
