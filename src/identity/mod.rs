//! Identities: the core's certificates, roles and chain validation
//! (`triage_ledger_core::identity`, re-exported here whole), with what
//! needs the machine: Ed25519 key files and issuing certificates.

mod issue;
mod keys;

pub use triage_ledger_core::identity::*;

#[cfg(test)]
pub(crate) use issue::issue_role_for;
pub use issue::{issue_role, issue_role_by, issue_root, issue_root_by, CertSigner, SignFn};
pub use keys::{
    generate_key, private_key_pem, public_key_pem, read_private_key, read_public_key,
    write_private_key, write_public_key,
};

#[cfg(test)]
mod tests;
