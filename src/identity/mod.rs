//! Identities: the core's certificates, roles and chain validation
//! (`triage_ledger_core::identity`, re-exported here whole), with what
//! needs the machine: Ed25519 key files and issuing certificates.

mod keys;

pub use triage_ledger_core::identity::*;

pub use keys::{
    private_key_pem, public_key_pem, read_private_key, read_public_key, write_private_key,
    write_public_key,
};

#[cfg(test)]
mod tests;
