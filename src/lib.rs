//! triage-ledger: a cryptographic evidence ledger for MP203 triage-facility
//! security assessments, built on an RFC 9162 Merkle log published as C2SP
//! tiles with signed checkpoints.
//!
//! Modules, lower never importing higher: [`merkle`] (hashing and proofs,
//! no I/O), [`note`] (signed notes, checkpoints, cosignatures, tlog-proof
//! text), [`store`] (the ledger directory: tiles, appends, recovery, audit).
//! The binary's `cli` module only parses arguments and prints.
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

pub mod bundle;
pub mod cbor;
pub mod config;
pub mod cose;
pub mod hex;
pub mod history;
pub mod identity;
pub mod input;
pub mod inspect;
pub mod merkle;
pub mod monitor;
pub mod note;
pub mod os;
pub mod output;
pub mod policy;
pub mod record;
pub mod remote;
pub mod report;
pub mod server;
pub mod status;
pub mod store;
pub mod text;
pub mod verify;
pub mod witness;
