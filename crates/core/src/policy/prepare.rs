//! The checks that need no ledger state — parsing, the record, the
//! certificates, the signature — run for many statements on all cores, and
//! the cached form of the chain checks that depend on the statement.

use std::collections::HashMap;

use super::PolicyError;
use crate::cose::Statement;
use crate::identity::{Certificate, IdentityError, Role};
use crate::record::{Kind, Record, RecordError};

/// A statement whose stateless checks passed: well-formed, a valid record,
/// readable certificates, and a signature that verifies with the leaf's key.
pub struct Prepared {
    pub(super) st: Statement,
    pub(super) kind: Kind,
    pub(super) record: Record,
    pub(super) chain: Vec<Certificate>,
}

/// Parsed certificates by DER, so a batch parses each signer's once.
#[derive(Default)]
pub(super) struct CertCache(HashMap<Vec<u8>, Certificate>);

impl CertCache {
    fn get(&mut self, der: &[u8]) -> Result<Certificate, PolicyError> {
        if let Some(c) = self.0.get(der) {
            return Ok(c.clone());
        }
        let c = Certificate::from_der(der).map_err(PolicyError::Certificate)?;
        self.0.insert(der.to_vec(), c.clone());
        Ok(c)
    }
}

/// The checks of a statement that need no ledger state (parsing, the
/// record, the certificates, the signature), for
/// [`State::admit_each_prepared`](super::State::admit_each_prepared): they
/// can run anywhere, in parallel, before the statement reaches the writer.
pub fn prepare_one(bytes: &[u8]) -> Result<Prepared, PolicyError> {
    prepare(bytes, &mut CertCache::default())
}

pub(super) fn prepare(bytes: &[u8], certs: &mut CertCache) -> Result<Prepared, PolicyError> {
    prepare_statement(Statement::parse(bytes)?, certs)
}

pub(super) fn prepare_statement(
    st: Statement,
    certs: &mut CertCache,
) -> Result<Prepared, PolicyError> {
    let h = st.header();
    let kind = Kind::from_content_type(&h.content_type)
        .ok_or_else(|| RecordError::UnknownKind(h.content_type.clone()))?;
    let record = Record::decode(&h.content_type, st.payload())?;
    let chain: Vec<Certificate> = h
        .x5chain
        .iter()
        .map(|der| certs.get(der))
        .collect::<Result<_, _>>()?;
    st.verify(chain[0].key())
        .map_err(|_| PolicyError::BadSignature {
            subject: chain[0].subject().to_string(),
        })?;
    Ok(Prepared {
        st,
        kind,
        record,
        chain,
    })
}

/// [`prepare`] for many statements on all available cores, in order.
pub(super) fn prepare_all(statements: &[&[u8]]) -> Vec<Result<Prepared, PolicyError>> {
    prepare_all_with(statements, |b, certs| prepare(b, certs))
}

/// `prepare` (any form of input) on all available cores, in order.
pub(super) fn prepare_all_with<T: Sync>(
    statements: &[T],
    prepare: impl Fn(&T, &mut CertCache) -> Result<Prepared, PolicyError> + Sync,
) -> Vec<Result<Prepared, PolicyError>> {
    let prepare = &prepare;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if threads == 1 || statements.len() < 64 {
        let mut certs = CertCache::default();
        return statements.iter().map(|b| prepare(b, &mut certs)).collect();
    }
    let chunk = statements.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = statements
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut certs = CertCache::default();
                    part.iter()
                        .map(|b| prepare(b, &mut certs))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                // `prepare` does not panic on any input; if a worker ever
                // did, that is a bug, so let it propagate.
                h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
            })
            .collect()
    })
}

/// The role a statement of `kind` must be signed with, `None` meaning the
/// scheme root itself. A designation is the root's (signed by a CA
/// certificate, which must then be the root), or the SSC's when a role
/// certificate signs it (the policy then allows only the User CIO's).
pub(super) fn required_role(kind: Kind, leaf: &Certificate) -> Option<Role> {
    match kind {
        Kind::Designation if !leaf.is_ca() => Some(Role::Ssc),
        k => k.signer(),
    }
}

/// The checks of [`crate::identity::validate_chain`] that depend on the
/// statement rather than on the certificates: validity at `at` and the role.
pub(super) fn validate_time_and_role(
    chain: &[Certificate],
    root: &Certificate,
    at: i64,
    role: Option<Role>,
) -> Result<(), PolicyError> {
    for c in chain.iter().chain(std::iter::once(root)) {
        let v = c.validity();
        if at < v.not_before || at > v.not_after {
            return Err(PolicyError::Signer(IdentityError::NotValidAt {
                subject: c.subject().to_string(),
                at,
                not_before: v.not_before,
                not_after: v.not_after,
            }));
        }
    }
    match role {
        Some(_) if chain[0].is_ca() => Err(PolicyError::Signer(IdentityError::Untrusted {
            subject: chain[0].subject().to_string(),
            reason: "a CA certificate cannot sign statements".into(),
        })),
        Some(role) if !chain[0].roles().contains(&role) => {
            Err(PolicyError::Signer(IdentityError::WrongRole {
                subject: chain[0].subject().to_string(),
                role,
                has: chain[0].role_names(),
            }))
        }
        None if chain.len() != 1 || chain[0].der() != root.der() => {
            Err(PolicyError::Signer(IdentityError::Untrusted {
                subject: chain[0].subject().to_string(),
                reason: "only the scheme root itself may sign this".into(),
            }))
        }
        _ => Ok(()),
    }
}
