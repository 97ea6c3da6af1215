//! Identities: X.509 certificates that bind a key to a role in the scheme,
//! and validation of a signer's chain to the scheme root. (Key files are the
//! main crate's `identity`; issuing certificates needs feature `issue`.)
//!
//! Roles are extended-key-usage OIDs under the project's UUID arc
//! `2.25.323287340818552033492432305026199838632` (a UUID turned into an
//! OID as ITU-T X.667 allows): `.1.1` operator, `.1.2` user-cio, `.1.3` ssc.
//! These certificates are the project's own; they never claim to be SMKI.

mod cert;
#[cfg(any(test, feature = "issue"))]
mod issue;

#[cfg(any(test, feature = "issue"))]
#[doc(hidden)]
pub use issue::issue_role_for;
#[cfg(any(test, feature = "issue"))]
pub use issue::{issue_role, issue_role_by, issue_root, issue_root_by, CertSigner, SignFn};

/// A fresh Ed25519 key from the operating system's random source.
#[cfg(any(test, feature = "rand"))]
pub fn generate_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng)
}

#[doc(hidden)]
pub use cert::{bad, OID_ORGANIZATION_IDENTIFIER};
pub use cert::{check_party_id, validate_chain, Certificate, Validity};

use std::path::PathBuf;

/// The project's OID arc (a UUID under 2.25).
pub const ARC: &str = "2.25.323287340818552033492432305026199838632";
const ARC_UUID: u128 = 323_287_340_818_552_033_492_432_305_026_199_838_632;

/// A signing role of the scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The party operating a Triage Facility.
    Operator,
    /// The independent assessor (User Competent Independent Organisation).
    UserCio,
    /// The Security Sub-Committee.
    Ssc,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Operator, Role::UserCio, Role::Ssc];

    /// The role's name on the command line and in documents.
    pub fn name(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::UserCio => "user-cio",
            Role::Ssc => "ssc",
        }
    }

    /// Parses a role name.
    pub fn parse(name: &str) -> Result<Role, IdentityError> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == name)
            .ok_or_else(|| IdentityError::UnknownRole(name.to_string()))
    }

    fn number(self) -> u128 {
        match self {
            Role::Operator => 1,
            Role::UserCio => 2,
            Role::Ssc => 3,
        }
    }

    /// The role's OID in dotted form.
    pub fn oid(self) -> String {
        format!("{ARC}.1.{}", self.number())
    }

    /// The DER content octets of the role's OID.
    pub fn oid_der(self) -> Vec<u8> {
        encode_oid(&[2, 25, ARC_UUID, 1, self.number()])
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// DER content octets of an OID (X.690 §8.19), arcs of any size up to 128 bits.
fn encode_oid(arcs: &[u128]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut push = |mut v: u128| {
        let mut tmp = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        tmp.reverse();
        out.extend(tmp);
    };
    push(arcs[0] * 40 + arcs[1]);
    for &a in &arcs[2..] {
        push(a);
    }
    out
}

/// Why a key or certificate was refused.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A key file is malformed.
    #[error("{path}: not an Ed25519 {what} in PEM: {reason}")]
    BadKey {
        /// The file.
        path: PathBuf,
        /// "private key (PKCS#8)" or "public key (SPKI)".
        what: &'static str,
        /// What the parser said.
        reason: String,
    },
    /// A certificate is malformed or outside the profile.
    #[error("certificate {subject}: {reason}")]
    BadCertificate {
        /// Its subject, or "?" when unreadable.
        subject: String,
        /// What is wrong.
        reason: String,
    },
    /// A party identifier outside the profile.
    #[error("party identifier {0:?}: 1 to 64 ASCII letters, digits or . _ : / -, starting with a letter or digit")]
    BadPartyId(String),
    /// A role name that does not exist.
    #[error("unknown role {0:?} (roles: operator, user-cio, ssc)")]
    UnknownRole(String),
    /// Certificate creation failed.
    #[error("cannot create the certificate: {0}")]
    Issue(String),
    /// The chain does not lead to the trust root.
    #[error("certificate {subject} does not chain to the scheme root: {reason}")]
    Untrusted {
        /// The certificate that broke the chain.
        subject: String,
        /// Why.
        reason: String,
    },
    /// A certificate was not valid at the time that matters.
    #[error("certificate {subject} is not valid at {at} (valid {not_before} to {not_after})")]
    NotValidAt {
        /// Its subject.
        subject: String,
        /// The time checked (POSIX seconds).
        at: i64,
        /// Start of validity (POSIX seconds).
        not_before: i64,
        /// End of validity (POSIX seconds).
        not_after: i64,
    },
    /// The certificate does not grant the role.
    #[error("certificate {subject} is not a {role} certificate (its roles: {has})")]
    WrongRole {
        /// Its subject.
        subject: String,
        /// The role required.
        role: Role,
        /// The roles it has.
        has: String,
    },
}

impl IdentityError {}

impl crate::class::Classify for IdentityError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            IdentityError::Untrusted { .. }
            | IdentityError::NotValidAt { .. }
            | IdentityError::WrongRole { .. } => Class::VerificationFailed,
            IdentityError::Io { .. } => Class::Internal,
            _ => Class::BadInput,
        }
    }
}
