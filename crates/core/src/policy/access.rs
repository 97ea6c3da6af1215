//! Reading by role: who may read which record of a confidential ledger
//! (FORMATS.md §27, domain.md "Confidentiality"). The one place the rule
//! lives; the service maps its answers to HTTP statuses.
//!
//! | reader | may read |
//! |---|---|
//! | the scheme root, the designated SSC | everything |
//! | the designated User CIO | every facility (it assesses all of them today) |
//! | an operator | its own party's facilities, and the scheme-level statements |
//! | anyone else | nothing of any record |

use super::State;
use crate::identity::{validate_chain, Certificate, IdentityError, Role};
use crate::record::DesignatedRole;

/// Who is reading, from the certificate chain they authenticated with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reader {
    /// No certificate.
    Anonymous,
    /// The scheme root itself.
    Root,
    /// A certificate of the SSC role, of this party.
    Ssc(String),
    /// A certificate of the User CIO role, of this party.
    UserCio(String),
    /// A certificate of the operator role, of this party.
    Operator(String),
}

impl std::fmt::Display for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reader::Anonymous => f.write_str("an anonymous reader"),
            Reader::Root => f.write_str("the scheme root"),
            Reader::Ssc(p) => write!(f, "the SSC role of party {p}"),
            Reader::UserCio(p) => write!(f, "the User CIO role of party {p}"),
            Reader::Operator(p) => write!(f, "an operator of party {p}"),
        }
    }
}

/// The reader a certificate chain (leaf first, DER) names, validated
/// against the scheme root at time `at`: the root itself, or a role
/// certificate chained to it (the strongest role it holds: SSC, then User
/// CIO, then operator). `None` for no chain.
pub fn reader_of(chain: &[Vec<u8>], root: &Certificate, at: i64) -> Result<Reader, IdentityError> {
    let Some(leaf_der) = chain.first() else {
        return Ok(Reader::Anonymous);
    };
    let certs = chain
        .iter()
        .map(|d| Certificate::from_der(d))
        .collect::<Result<Vec<_>, _>>()?;
    if leaf_der.as_slice() == root.der() {
        validate_chain(&certs, root, at, None)?;
        return Ok(Reader::Root);
    }
    let leaf = &certs[0];
    let party = leaf.party().unwrap_or_default().to_string();
    for role in [Role::Ssc, Role::UserCio, Role::Operator] {
        if leaf.roles().contains(&role) {
            validate_chain(&certs, root, at, Some(role))?;
            return Ok(match role {
                Role::Ssc => Reader::Ssc(party),
                Role::UserCio => Reader::UserCio(party),
                Role::Operator => Reader::Operator(party),
            });
        }
    }
    // No role: validate_chain names what is missing.
    validate_chain(&certs, root, at, Some(Role::Operator))?;
    Ok(Reader::Anonymous)
}

/// What is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read<'a> {
    /// The list of facilities (each shown only if the reader may read it).
    Facilities,
    /// One facility: its status, statements and pack.
    Facility(&'a str),
    /// The log entry at this index: its statement and receipt.
    Entry(u64),
}

/// The answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Read it.
    Allowed,
    /// Not without credentials (HTTP 401).
    Unauthenticated,
    /// Not for this reader: answered as if it did not exist, since whether
    /// a Party has a facility is itself confidential (HTTP 404).
    Hidden,
}

impl State {
    /// May `reader` read `what`? A role counts only for the party the
    /// ledger designates for it (SSC, User CIO); a revoked certificate
    /// (`fingerprint` of the reader's leaf) counts as none.
    pub fn may_read(&self, reader: &Reader, fingerprint: Option<[u8; 32]>, what: Read) -> Verdict {
        if matches!(reader, Reader::Anonymous) {
            return Verdict::Unauthenticated;
        }
        if fingerprint.is_some_and(|fp| self.revoked().contains_key(&fp)) {
            return Verdict::Unauthenticated;
        }
        let designated = |role, party: &str| self.designated(role).is_some_and(|(p, _)| p == party);
        match reader {
            Reader::Anonymous => Verdict::Unauthenticated,
            Reader::Root => Verdict::Allowed,
            Reader::Ssc(p) if designated(DesignatedRole::Ssc, p) => Verdict::Allowed,
            Reader::UserCio(p) if designated(DesignatedRole::UserCio, p) => Verdict::Allowed,
            Reader::Operator(p) => self.operator_may_read(p, what),
            _ => Verdict::Hidden,
        }
    }

    fn operator_may_read(&self, party: &str, what: Read) -> Verdict {
        let owns = |id: &str| self.facilities().get(id).is_some_and(|f| f.party == party);
        let allowed = match what {
            Read::Facilities => true,
            Read::Facility(id) => owns(id),
            Read::Entry(i) => match self.get(i) {
                // Index entries are public as they are.
                None => i < self.len(),
                Some(l) => match l.record.facility() {
                    None => true,
                    Some(id) => owns(id),
                },
            },
        };
        match allowed {
            true => Verdict::Allowed,
            false => Verdict::Hidden,
        }
    }
}
