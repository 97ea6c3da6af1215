//! Authority: roles say *what* a signer may do; the party says *for which
//! facility* (domain.md, "Parties and authority").
//!
//! - A facility belongs to the party of the operator certificate that
//!   registered it, until the SSC records a transfer; every other operator
//!   statement about it must be signed by a certificate of that party.
//! - User CIO statements must be signed by a certificate of the party the
//!   scheme designates as User CIO, SSC statements by one of the party
//!   designated as SSC; with no designation, nobody may act in that role.
//! - The scheme root designates either role; the designated SSC may
//!   designate the User CIO (not itself).
//! - Independence: the User CIO's and the SSC's statements about a facility
//!   are refused when the facility belongs to their own party.
//! - Every role certificate must name its party (organizationIdentifier).

use super::refusal::Authority as A;
use super::{PolicyError, State};
use crate::identity::{Certificate, Role};
use crate::record::{DesignatedRole, Kind, Record};

fn deny(why: A, msg: String) -> PolicyError {
    PolicyError::Authority(why, msg)
}

impl State {
    pub(super) fn check_authority(
        &self,
        record: &Record,
        signer: &Certificate,
    ) -> Result<(), PolicyError> {
        // The scheme root signs revocations and designations itself (the
        // chain rules have checked that a CA signer is the root) and acts
        // for no party.
        let by_root = match record.kind() {
            Kind::Revocation => true,
            Kind::Designation => signer.is_ca(),
            _ => false,
        };
        if by_root {
            return Ok(());
        }
        let party = signer.party().ok_or_else(|| {
            deny(A::NoParty, format!(
                "certificate {} names no party (X.520 organizationIdentifier, 2.5.4.97), so the party it acts for is unknown; a certificate that acts for a party names it",
                signer.subject()
            ))
        })?;
        let role = match record.kind() {
            Kind::Designation => Role::Ssc,
            k => match k.signer() {
                Some(r) => r,
                None => return Ok(()),
            },
        };
        if let Record::Designation(d) = record {
            if d.role != DesignatedRole::UserCio {
                return Err(deny(A::SscDesignatesOnlyUserCio,
                    "the SSC designates only the User CIO's party; the scheme root designates the SSC's"
                        .into(),
                ));
            }
        }
        match role {
            Role::Operator => self.check_owner(record, party),
            Role::UserCio => {
                self.check_designated(DesignatedRole::UserCio, party)?;
                self.check_independent(record, party, "the User CIO")
            }
            Role::Ssc => {
                self.check_designated(DesignatedRole::Ssc, party)?;
                self.check_independent(record, party, "the SSC")
            }
        }
    }

    /// The assessor and the SSC do not act on facilities of their own party.
    fn check_independent(
        &self,
        record: &Record,
        party: &str,
        who: &str,
    ) -> Result<(), PolicyError> {
        match record.facility().and_then(|id| self.facilities.get(id)) {
            Some(f) if f.party == party => Err(deny(A::NotIndependent, format!(
                "facility {:?} belongs to party {party}, which acts as {who}: {who} does not act on its own party's facilities",
                f.id
            ))),
            _ => Ok(()),
        }
    }

    fn check_owner(&self, record: &Record, party: &str) -> Result<(), PolicyError> {
        if let Record::Registration(_) = record {
            return Ok(()); // the registering party becomes the owner
        }
        let Some(f) = record.facility().and_then(|id| self.facilities.get(id)) else {
            return Ok(()); // not registered: the lifecycle rule refuses it
        };
        if f.party != party {
            return Err(deny(A::NotOwner, format!(
                "facility {:?} belongs to party {} ({} entry {}); this {} is signed for party {party}",
                f.id,
                f.party,
                if f.transfers.is_empty() {
                    "registered at"
                } else {
                    "transferred at"
                },
                f.transfers.last().map_or(f.registration, |(i, _)| *i),
                record.kind().name()
            )));
        }
        Ok(())
    }

    fn check_designated(&self, role: DesignatedRole, party: &str) -> Result<(), PolicyError> {
        match self.designated.get(&role) {
            None => Err(deny(A::NoDesignation, format!(
                "no party is designated as {} yet: the scheme root{} records a designation first",
                role.name(),
                if role == DesignatedRole::UserCio {
                    " or the SSC"
                } else {
                    ""
                }
            ))),
            Some((p, i)) if p != party => Err(deny(A::NotDesignatedParty, format!(
                "the scheme designates party {p} as {} (entry {i}); this certificate acts for party {party}",
                role.name()
            ))),
            Some(_) => Ok(()),
        }
    }
}
