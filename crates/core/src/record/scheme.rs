//! Scheme-level records (CWT `sub` "scheme"): revocations by the scheme
//! root, the designation of the parties that act as User CIO and SSC, and
//! the SSC's Security Controls Framework.

use serde::{Deserialize, Serialize};

use crate::identity::Role;

/// Revocation of a signer's certificate by the scheme root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// SHA-256 of the revoked certificate's DER.
    pub certificate_sha256: crate::merkle::Hash,
    /// Reason.
    pub reason: String,
}

/// The scheme roles held by one designated party.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum DesignatedRole {
    /// The User CIO (the scheme's one independent assessor).
    UserCio,
    /// The Security Sub-Committee.
    Ssc,
}

impl DesignatedRole {
    /// The certificate role it designates a party for.
    pub fn role(self) -> Role {
        match self {
            DesignatedRole::UserCio => Role::UserCio,
            DesignatedRole::Ssc => Role::Ssc,
        }
    }
    /// Parses user-cio or ssc.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user-cio" => Some(DesignatedRole::UserCio),
            "ssc" => Some(DesignatedRole::Ssc),
            _ => None,
        }
    }
    /// user-cio or ssc.
    pub fn name(self) -> &'static str {
        self.role().name()
    }
}

/// Which party acts for the scheme in a role: signed by the scheme root
/// (any role) or by the designated SSC (the User CIO). A later designation
/// of the same role replaces the earlier one for later statements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Designation {
    /// The role.
    pub role: DesignatedRole,
    /// The party (certificates' organizationIdentifier).
    pub party: String,
    /// Why (the appointment it records).
    pub note: String,
}

/// One obligation of the Security Controls Framework.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Obligation {
    /// Identifier, e.g. "G3.7" (a free string of the framework).
    pub id: String,
    /// Title.
    pub title: String,
    /// Whether it applies to Triage Facilities.
    pub applies: bool,
    /// Why it does not apply (present exactly when `applies` is false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The evidence the User CIO looks for (at least one item when it
    /// applies; absent when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

/// A version of the SSC's Security Controls Framework (Part 3 of its
/// guidance): which Section G obligations apply to Triage Facilities and
/// what evidence the User CIO looks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// Version, unique in the ledger (e.g. "2027.1").
    pub version: String,
    /// Title of the document.
    pub title: String,
    /// The obligations, each id once.
    pub obligations: Vec<Obligation>,
}

impl Framework {
    /// The obligation with this id.
    pub fn obligation(&self, id: &str) -> Option<&Obligation> {
        self.obligations.iter().find(|o| o.id == id)
    }
    /// The obligations that apply to Triage Facilities, in framework order.
    pub fn applicable(&self) -> impl Iterator<Item = &Obligation> {
        self.obligations.iter().filter(|o| o.applies)
    }
}
