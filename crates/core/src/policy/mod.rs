//! The registration policy: what may be appended to the ledger, and the
//! lifecycle state of every facility, derived from the log alone.
//!
//! [`State`] is rebuilt by replaying the logged statements in order (it is
//! never stored, so it cannot disagree with the log); [`State::admit`] checks
//! one new statement against every rule and, if it passes, applies it, so a
//! batch's later statements may reference its earlier ones.

pub mod access;
mod authority;
mod duplicate;
mod framework;
mod index;
mod lifecycle;
mod prepare;
pub use prepare::{prepare_one as prepare, Prepared};
pub mod refusal;
mod resume;

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use crate::cose::{CoseError, Statement};
use crate::history::{is_index_entry, Fault, History, IndexEntry, Naming, Roots};
use crate::identity::{validate_chain, Certificate, IdentityError};
use crate::record::{DesignatedRole, Framework, Kind, Record, RecordError, Ref};

use duplicate::Judging;
use prepare::{
    prepare_all, prepare_all_with, prepare_statement, required_role, validate_time_and_role,
};

pub use lifecycle::{Acknowledged, DecisionState, FacilityState, StepState};
pub use resume::{Changes, LookupError, SchemeState, Source};

/// The CWT `sub` of statements that are not about one facility (revocations,
/// designations, frameworks).
pub const SCHEME_SUBJECT: &str = "scheme";

/// Signs a record as a statement of the profile: content type from its kind,
/// `iss` the certificate's subject, `sub` its facility, `iat` as given.
pub fn sign_statement(
    record: &Record,
    key: &ed25519_dalek::SigningKey,
    cert: &Certificate,
    iat: u64,
) -> Result<Statement, PolicyError> {
    let header = crate::cose::StatementHeader {
        content_type: record.kind().content_type(),
        issuer: cert.subject().to_string(),
        subject: record.facility().unwrap_or(SCHEME_SUBJECT).to_string(),
        issued_at: iat,
        x5chain: vec![cert.der().to_vec()],
    };
    Ok(Statement::sign(header, &record.encode()?, key)?)
}

/// [`sign_statement`] with a signing function (a key in a token, whose
/// public half `cert` certifies): given the bytes to sign, it returns the
/// Ed25519 signature or why it could not.
pub fn sign_statement_with(
    record: &Record,
    cert: &Certificate,
    iat: u64,
    sign: impl FnOnce(&[u8]) -> Result<[u8; 64], String>,
) -> Result<Statement, PolicyError> {
    let header = crate::cose::StatementHeader {
        content_type: record.kind().content_type(),
        issuer: cert.subject().to_string(),
        subject: record.facility().unwrap_or(SCHEME_SUBJECT).to_string(),
        issued_at: iat,
        x5chain: vec![cert.der().to_vec()],
    };
    Ok(Statement::sign_with(header, &record.encode()?, |tbs| {
        sign(tbs).map_err(CoseError::Signer)
    })?)
}

/// Which rule refused a statement.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Not a well-formed statement of the profile.
    #[error("malformed statement: {0}")]
    Malformed(#[from] CoseError),
    /// The payload is not a valid record of its content type.
    #[error("invalid record: {0}")]
    Record(#[from] RecordError),
    /// The signer's certificate is unreadable.
    #[error("signer certificate: {0}")]
    Certificate(IdentityError),
    /// The signature does not verify with the certified key.
    #[error("signature: the statement is not signed by the key of {subject}")]
    BadSignature {
        /// Subject of the certificate in x5chain.
        subject: String,
    },
    /// The certificate chain, validity or role check failed.
    #[error("signer: {0}")]
    Signer(IdentityError),
    /// The statement was signed too long ago.
    #[error("iat {iat} is older than the allowed {max_age} s before now ({now})")]
    StaleIat {
        /// Claimed time.
        iat: u64,
        /// Verifier's time.
        now: u64,
        /// Allowed age.
        max_age: u64,
    },
    /// The statement claims to be from the future.
    #[error("iat {iat} is in the future (now {now}, allowed skew {skew} s)")]
    FutureIat {
        /// Claimed time.
        iat: u64,
        /// Verifier's time.
        now: u64,
        /// Allowed skew.
        skew: u64,
    },
    /// The signer's certificate was revoked by an earlier entry.
    #[error("signer {subject} was revoked by entry {index}")]
    Revoked {
        /// The certificate's subject.
        subject: String,
        /// The revocation's log index.
        index: u64,
    },
    /// Header claims disagree with the record or certificate.
    #[error("{1}")]
    Claims(refusal::Claims, String),
    /// A reference does not resolve to a logged entry it may reference.
    #[error("reference {field} → entry {index}: {reason}")]
    Reference {
        /// Which case.
        why: refusal::Reference,
        /// The record field.
        field: &'static str,
        /// The index referenced.
        index: u64,
        /// Why it does not resolve.
        reason: String,
    },
    /// The signer's party may not act here: an operator of another party
    /// than the facility's owner, a User CIO or SSC certificate of a party the
    /// scheme has not designated for that role, or a certificate without a
    /// party.
    #[error("{1}")]
    Authority(refusal::Authority, String),
    /// A framework citation does not hold: not the version in force, an
    /// obligation the framework does not list or that does not apply, a
    /// version published twice.
    #[error("{1}")]
    Framework(refusal::Framework, String),
    /// The statement repeats one already in force for the same subject
    /// (the `duplicate` rule, [`State::admit`] only; see `duplicate.rs` for
    /// what counts as a repeat of each kind).
    #[error("a {kind} to the same effect is already in force at entry {index}: it would add nothing; to change it, sign a new one that differs")]
    Duplicate {
        /// The kind of record.
        kind: &'static str,
        /// The log index of the statement in force that it repeats.
        index: u64,
    },
    /// Findings do not cover the framework, or contradict the outcome.
    #[error("{1}")]
    Coverage(refusal::Coverage, String),
    /// A lifecycle rule of domain.md does not hold.
    #[error("{1}")]
    Lifecycle(refusal::Lifecycle, String),
    /// An index entry of the log does not match the leaves before it, or
    /// the log's index cannot be extended.
    #[error("{0}")]
    Index(String),
    /// The persisted state index could not be read (not a refusal: the
    /// statement was not judged).
    #[error("state index: {0}")]
    Unavailable(resume::LookupError),
}

impl crate::class::Classify for PolicyError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            PolicyError::Malformed(_) | PolicyError::Record(_) => Class::BadInput,
            PolicyError::Unavailable(_) => Class::Unavailable,
            _ => Class::Refused,
        }
    }
}

impl PolicyError {
    /// The refusal as a confidential ledger tells it to the statement's
    /// signer, who may be of another party than the facility's owner
    /// (FORMATS §27): a statement about another party's facility is
    /// answered exactly as one about a facility that is not registered —
    /// the same rule, code and text, naming no owner and not saying that
    /// the facility exists. `facility` is the statement's subject.
    pub fn as_told_on_confidential(self, facility: &str) -> PolicyError {
        match self {
            PolicyError::Authority(refusal::Authority::NotOwner, _) => PolicyError::Lifecycle(
                refusal::Lifecycle::NotRegistered,
                format!("facility {facility:?} is not registered"),
            ),
            e => e,
        }
    }

    /// A short name for the rule, for reports and tests.
    pub fn rule(&self) -> &'static str {
        match self {
            PolicyError::Malformed(_) => "malformed",
            PolicyError::Record(_) => "record",
            PolicyError::Certificate(_) => "certificate",
            PolicyError::BadSignature { .. } => "signature",
            PolicyError::Signer(IdentityError::WrongRole { .. }) => "role",
            PolicyError::Signer(IdentityError::NotValidAt { .. }) => "validity",
            PolicyError::Signer(_) => "chain",
            PolicyError::FutureIat { .. } => "future-iat",
            PolicyError::StaleIat { .. } => "stale-iat",
            PolicyError::Revoked { .. } => "revoked",
            PolicyError::Claims(..) => "claims",
            PolicyError::Reference { .. } => "reference",
            PolicyError::Authority(..) => "authority",
            PolicyError::Duplicate { .. } => "duplicate",
            PolicyError::Framework(..) => "framework",
            PolicyError::Coverage(..) => "coverage",
            PolicyError::Lifecycle(..) => "lifecycle",
            PolicyError::Index(_) => "index",
            PolicyError::Unavailable(_) => "state-index",
        }
    }

    /// The refusal's stable code, `rule/case` (see [`refusal`]): what a
    /// client, a report or a test matches on.
    pub fn code(&self) -> &'static str {
        use refusal::single::*;
        match self {
            PolicyError::Malformed(_) => MALFORMED,
            PolicyError::Record(_) => RECORD,
            PolicyError::Certificate(_) => CERTIFICATE,
            PolicyError::BadSignature { .. } => SIGNATURE,
            PolicyError::Signer(IdentityError::WrongRole { .. }) => ROLE,
            PolicyError::Signer(IdentityError::NotValidAt { .. }) => VALIDITY,
            PolicyError::Signer(_) => CHAIN,
            PolicyError::FutureIat { .. } => FUTURE_IAT,
            PolicyError::StaleIat { .. } => STALE_IAT,
            PolicyError::Revoked { .. } => REVOKED,
            PolicyError::Claims(why, _) => why.code(),
            PolicyError::Reference { why, .. } => why.code(),
            PolicyError::Authority(why, _) => why.code(),
            PolicyError::Duplicate { .. } => DUPLICATE,
            PolicyError::Framework(why, _) => why.code(),
            PolicyError::Coverage(why, _) => why.code(),
            PolicyError::Lifecycle(why, _) => why.code(),
            PolicyError::Index(_) => INDEX,
            PolicyError::Unavailable(_) => UNAVAILABLE,
        }
    }
}

/// One logged statement as the state keeps it.
#[derive(Clone, Debug)]
pub struct Logged {
    /// Log index.
    pub index: u64,
    /// SHA-256 of the logged bytes.
    pub sha256: [u8; 32],
    /// The decoded record.
    pub record: Record,
    /// CWT iat.
    pub issued_at: u64,
    /// Signer certificate fingerprint (SHA-256 of DER).
    pub signer: [u8; 32],
    /// Signer certificate subject.
    pub signer_subject: String,
    /// The signer's party (organizationIdentifier); `None` for the root.
    pub signer_party: Option<String>,
}

/// Policy settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The scheme root every signer must chain to.
    pub root: Certificate,
    /// The current time (POSIX seconds).
    pub now: u64,
    /// How far in the future an `iat` may be.
    pub skew: u64,
    /// How far in the past an `iat` may be: a statement signed long ago
    /// (e.g. with a certificate that has since expired, dated inside its old
    /// validity) is refused.
    pub max_age: u64,
}

/// The default `max_age`: 30 days, time enough to send a signed statement
/// to the ledger's operator.
pub const DEFAULT_MAX_AGE: u64 = 30 * 24 * 3600;

/// Everything the ledger knows, derived from its statements in log order.
pub struct State {
    /// Statements by log index. A full replay has every index; a pack
    /// (a selection of the log) has some, in order.
    logged: BTreeMap<u64, Logged>,
    /// One past the last index applied.
    next: u64,
    by_hash: HashMap<[u8; 32], u64>,
    revoked: HashMap<[u8; 32], u64>,
    facilities: BTreeMap<String, FacilityState>,
    /// The party designated for each scheme role, and the designation's index.
    designated: BTreeMap<DesignatedRole, (String, u64)>,
    /// Published framework versions in log order; the last is in force.
    frameworks: Vec<(u64, Framework)>,
    /// Chains that validated (signatures, CA flags): leaf fingerprint → the
    /// fingerprints of the whole chain.
    chains: HashMap<[u8; 32], Vec<[u8; 32]>>,
    /// The log's index of itself (`None` for a pack's selection of the log).
    history: Option<History>,
    /// Index entries `admit` closed (a batch's attributions filled one),
    /// for the writer to append in order with the statements.
    index_leaves: Vec<(u64, Vec<u8>)>,
    /// How many statements were applied.
    statements: u64,
    /// Where a state resumed from the state index reads what it has not
    /// loaded (`None`: everything is in memory).
    source: Option<Box<dyn Source>>,
    /// What changed since the state index was last written.
    changes: Changes,
    /// How the index names facilities (labels in a confidential ledger).
    naming: Naming,
}

impl Default for State {
    fn default() -> Self {
        State {
            logged: BTreeMap::new(),
            next: 0,
            by_hash: HashMap::new(),
            revoked: HashMap::new(),
            facilities: BTreeMap::new(),
            designated: BTreeMap::new(),
            frameworks: Vec::new(),
            chains: HashMap::new(),
            history: Some(History::new()),
            index_leaves: Vec::new(),
            statements: 0,
            source: None,
            changes: Changes::default(),
            naming: Naming::Ids,
        }
    }
}

impl From<Fault> for PolicyError {
    fn from(f: Fault) -> Self {
        PolicyError::Index(f.to_string())
    }
}

/// What [`State::admit`] did with a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A new entry at this index.
    New(u64),
    /// The very same bytes were already logged at this index.
    Duplicate(u64),
}

fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

impl State {
    /// An empty ledger's state.
    pub fn new() -> Self {
        Self::default()
    }

    /// This state, its index naming facilities as `naming` says (labels,
    /// for a confidential ledger). Set before the first statement.
    pub fn with_naming(mut self, naming: Naming) -> Self {
        self.naming = naming;
        self
    }

    /// How the index names facilities.
    pub fn naming(&self) -> &Naming {
        &self.naming
    }

    /// Replays an already-logged statement. The checks that need no
    /// cryptography run again (profile, record, references, lifecycle), so a
    /// log that no policy could have produced is detected; signatures and
    /// certificates are not re-verified here, because only `submit` writes a
    /// ledger that has a trust root (`log append` refuses), and the offline
    /// verifier re-checks every signature of what it is given. The
    /// `duplicate` rule does not run: it judges new submissions, and a
    /// ledger written before it may hold repeats that must still replay.
    pub fn replay(&mut self, index: u64, bytes: &[u8]) -> Result<(), PolicyError> {
        if is_index_entry(bytes) {
            let e = IndexEntry::parse(bytes).map_err(|e| PolicyError::Index(e.to_string()))?;
            if let Some(h) = &mut self.history {
                h.push_index(index, &e, Roots::Skip)?;
            }
            self.next = index + 1;
            return Ok(());
        }
        let st = Statement::parse(bytes)?;
        let record = Record::decode(&st.header().content_type, st.payload())?;
        let leaf =
            Certificate::from_der(&st.header().x5chain[0]).map_err(PolicyError::Certificate)?;
        self.load_for(&record)?;
        self.check_rules(&record, &leaf, Judging::Replay)?;
        self.apply(index, bytes, &st, record, &leaf)
    }

    /// The rules that depend on the ledger's state, in the order refusals
    /// name them: references, authority, duplicate (on admission only),
    /// framework and coverage, lifecycle. `signer` is the leaf certificate
    /// (the scheme root for its own kinds).
    fn check_rules(
        &self,
        record: &Record,
        signer: &Certificate,
        judging: Judging,
    ) -> Result<(), PolicyError> {
        self.check_references(record)?;
        self.check_authority(record, signer)?;
        if judging == Judging::Admission {
            self.check_duplicate(record)?;
        }
        self.check_framework(record)?;
        self.check_lifecycle(record)
    }

    /// Checks a new statement that would get log index `index` against every
    /// rule, and applies it if it passes.
    pub fn admit(
        &mut self,
        index: u64,
        bytes: &[u8],
        cfg: &Config,
    ) -> Result<Admission, PolicyError> {
        if let Some(existing) = self.logged_at(&sha256(bytes))? {
            return Ok(Admission::Duplicate(existing));
        }
        let prepared = prepare::prepare_one(bytes)?;
        self.admit_prepared(index, bytes, prepared, cfg)
    }

    /// Admits a batch: the checks that need no ledger state (parsing, the
    /// signature) run on all cores first, then the rest in order. Stops at
    /// the first refusal, returning its position (0-based) in the batch.
    pub fn admit_batch(
        &mut self,
        statements: &[&[u8]],
        cfg: &Config,
    ) -> Result<Vec<Admission>, (usize, PolicyError)> {
        let prepared = prepare_all(statements);
        let mut out = Vec::with_capacity(statements.len());
        for (pos, (bytes, p)) in statements.iter().zip(prepared).enumerate() {
            if let Some(existing) = self.logged_at(&sha256(bytes)).map_err(|e| (pos, e))? {
                out.push(Admission::Duplicate(existing));
                continue;
            }
            let p = p.map_err(|e| (pos, e))?;
            let index = self.len();
            out.push(
                self.admit_prepared(index, bytes, p, cfg)
                    .map_err(|e| (pos, e))?,
            );
        }
        Ok(out)
    }

    /// Admits statements independently, at the next indexes: each is
    /// checked against every rule and applied if it passes; a refusal
    /// affects no other. The stateless checks run on all cores first.
    pub fn admit_each(
        &mut self,
        statements: &[&[u8]],
        cfg: &Config,
    ) -> Vec<Result<Admission, PolicyError>> {
        let prepared = prepare_all(statements);
        self.admit_each_prepared(statements.iter().copied().zip(prepared), cfg)
    }

    /// [`State::admit_each`] for statements whose stateless checks already
    /// ran ([`prepare`]): e.g. by a service, on every core, while the
    /// previous group was being committed.
    pub fn admit_each_prepared<'a>(
        &mut self,
        items: impl IntoIterator<Item = (&'a [u8], Result<Prepared, PolicyError>)>,
        cfg: &Config,
    ) -> Vec<Result<Admission, PolicyError>> {
        items
            .into_iter()
            .map(|(bytes, p)| {
                if let Some(existing) = self.logged_at(&sha256(bytes))? {
                    return Ok(Admission::Duplicate(existing));
                }
                let index = self.len();
                self.admit_prepared(index, bytes, p?, cfg)
            })
            .collect()
    }

    /// Checks statements at given log indexes (in increasing order) and
    /// applies each that passes; a refused one is reported and skipped, and
    /// the rest are still checked. The stateless checks (parsing, the
    /// signature) run on all cores first. This is how an offline verifier
    /// replays a pack.
    pub fn admit_all(
        &mut self,
        items: &[(u64, Statement)],
        cfg: &Config,
    ) -> Vec<Result<Admission, PolicyError>> {
        let prepared =
            prepare_all_with(items, |(_, st), certs| prepare_statement(st.clone(), certs));
        items
            .iter()
            .zip(prepared)
            .map(|((index, st), p)| {
                if let Some(existing) = self.logged_at(&sha256(st.bytes()))? {
                    return Ok(Admission::Duplicate(existing));
                }
                self.admit_prepared(*index, st.bytes(), p?, cfg)
            })
            .collect()
    }

    fn admit_prepared(
        &mut self,
        index: u64,
        bytes: &[u8],
        p: Prepared,
        cfg: &Config,
    ) -> Result<Admission, PolicyError> {
        let Prepared {
            st,
            kind,
            record,
            chain,
        } = p;
        let h = st.header();
        let leaf = &chain[0];
        if h.issued_at > cfg.now.saturating_add(cfg.skew) {
            return Err(PolicyError::FutureIat {
                iat: h.issued_at,
                now: cfg.now,
                skew: cfg.skew,
            });
        }
        if h.issued_at < cfg.now.saturating_sub(cfg.max_age) {
            return Err(PolicyError::StaleIat {
                iat: h.issued_at,
                now: cfg.now,
                max_age: cfg.max_age,
            });
        }
        let at = i64::try_from(h.issued_at).unwrap_or(i64::MAX);
        let fp = leaf.fingerprint();
        // Signatures and CA flags of a chain do not change: once a chain has
        // validated, later statements by the same certificate only need the
        // time and role checks.
        let fps: Vec<[u8; 32]> = chain.iter().map(|c| c.fingerprint()).collect();
        let role = required_role(kind, leaf);
        if self.chains.get(&fp) == Some(&fps) {
            validate_time_and_role(&chain, &cfg.root, at, role)?;
        } else {
            validate_chain(&chain, &cfg.root, at, role).map_err(PolicyError::Signer)?;
            self.chains.insert(fp, fps);
        }
        for c in &chain {
            if let Some(&index) = self.revoked.get(&c.fingerprint()) {
                return Err(PolicyError::Revoked {
                    subject: c.subject().to_string(),
                    index,
                });
            }
        }
        if h.issuer != leaf.subject() {
            return Err(PolicyError::Claims(
                refusal::Claims::IssuerNotSubject,
                format!(
                    "iss {:?} is not the signer's certificate subject {:?}",
                    h.issuer,
                    leaf.subject()
                ),
            ));
        }
        let facility = record.facility().unwrap_or(SCHEME_SUBJECT);
        if h.subject != facility {
            return Err(PolicyError::Claims(
                refusal::Claims::SubjectNotFacility,
                format!(
                    "sub {:?} is not the record's facility {facility:?}",
                    h.subject
                ),
            ));
        }
        self.load_for(&record)?;
        self.load_repeat_candidates(&record)?;
        self.check_rules(&record, leaf, Judging::Admission)?;
        self.apply(index, bytes, &st, record, leaf)?;
        if let Some(h) = &mut self.history {
            if h.chunk_full() {
                let (pos, entry) = h
                    .next_entry(false)
                    .map_err(|e| PolicyError::Index(e.to_string()))?;
                self.index_leaves.push((pos, entry));
                self.next = pos + 1;
            }
        }
        Ok(Admission::New(index))
    }

    fn check_references(&self, record: &Record) -> Result<(), PolicyError> {
        for (field, r) in record.references() {
            let target = self.resolve(field, r)?;
            let allowed: &[Kind] = match (record.kind(), field) {
                (_, "evidence") => &[Kind::Seal],
                (_, "framework") => &[Kind::Framework],
                (Kind::Countersignature, "seal") => &[Kind::Seal],
                (
                    Kind::StepCompletion
                    | Kind::Determination
                    | Kind::Dispute
                    | Kind::Acknowledgement,
                    "decision",
                ) => &[Kind::Decision],
                (Kind::StepAcceptance, "completion") => &[Kind::StepCompletion],
                (Kind::Resolution, "dispute") => &[Kind::Dispute],
                (Kind::Decision, "self_assessment") => &[Kind::SelfAssessment],
                _ => &[],
            };
            if !allowed.contains(&target.record.kind()) {
                return Err(PolicyError::Reference {
                    why: refusal::Reference::WrongKind,
                    field,
                    index: r.index,
                    reason: format!(
                        "a {} may not reference a {} here",
                        record.kind().name(),
                        target.record.kind().name()
                    ),
                });
            }
            if !target.record.kind().is_scheme_level()
                && target.record.facility() != record.facility()
            {
                return Err(PolicyError::Reference {
                    why: refusal::Reference::OtherFacility,
                    field,
                    index: r.index,
                    reason: format!(
                        "it is about facility {:?}, not {:?}",
                        target.record.facility().unwrap_or("-"),
                        record.facility().unwrap_or("-")
                    ),
                });
            }
        }
        Ok(())
    }

    fn resolve(&self, field: &'static str, r: &Ref) -> Result<&Logged, PolicyError> {
        let target = self
            .logged
            .get(&r.index)
            .ok_or_else(|| PolicyError::Reference {
                why: refusal::Reference::NoSuchEntry,
                field,
                index: r.index,
                reason: "no such entry".into(),
            })?;
        if target.sha256[..] != r.sha256[..] {
            return Err(PolicyError::Reference {
                why: refusal::Reference::DigestMismatch,
                field,
                index: r.index,
                reason: "the SHA-256 does not match the logged statement".into(),
            });
        }
        Ok(target)
    }

    fn apply(
        &mut self,
        index: u64,
        bytes: &[u8],
        st: &Statement,
        record: Record,
        leaf: &Certificate,
    ) -> Result<(), PolicyError> {
        if index < self.next {
            return Err(PolicyError::Lifecycle(
                refusal::Lifecycle::OutOfOrder,
                format!(
                    "entry {index} out of order (the next index is {})",
                    self.next
                ),
            ));
        }
        if let Some(h) = &self.history {
            if index != h.len() {
                return Err(PolicyError::Index(format!(
                    "entry {index} applied out of log order (the index expects {})",
                    h.len()
                )));
            }
        }
        let hash = sha256(bytes);
        match &record {
            Record::Revocation(r) => {
                let mut fp = [0u8; 32];
                fp.copy_from_slice(&r.certificate_sha256);
                self.revoked.entry(fp).or_insert(index);
            }
            Record::Designation(d) => {
                self.designated.insert(d.role, (d.party.clone(), index));
            }
            Record::Framework(f) => self.frameworks.push((index, f.clone())),
            _ => {}
        }
        self.apply_lifecycle(index, &record, leaf)?;
        let attribution = self.naming.attribution(st);
        self.load_history_of(&attribution)?;
        if let Some(h) = &mut self.history {
            h.push_statement(index, attribution);
        }
        self.by_hash.insert(hash, index);
        self.changes.note(index, hash, &record);
        self.statements += 1;
        self.next = index + 1;
        self.logged.insert(
            index,
            Logged {
                index,
                sha256: hash,
                record,
                issued_at: st.header().issued_at,
                signer: leaf.fingerprint(),
                signer_subject: leaf.subject().to_string(),
                signer_party: leaf.party().map(str::to_string),
            },
        );
        Ok(())
    }

    /// The index the next statement gets: one past the last one applied
    /// (the log's size when the whole log was replayed).
    pub fn len(&self) -> u64 {
        self.next
    }
    /// How many statements were applied.
    pub fn statement_count(&self) -> u64 {
        self.statements
    }
    /// True when nothing is logged.
    pub fn is_empty(&self) -> bool {
        self.statements == 0
    }
    /// A logged statement (of a state resumed from the state index: only
    /// those loaded).
    pub fn get(&self, index: u64) -> Option<&Logged> {
        self.logged.get(&index)
    }
    /// Every logged statement the state holds, in log order.
    pub fn logged(&self) -> impl Iterator<Item = &Logged> {
        self.logged.values()
    }
    /// Every facility's state, by id.
    pub fn facilities(&self) -> &BTreeMap<String, FacilityState> {
        &self.facilities
    }
    /// The party designated for a scheme role, and the designation's index.
    pub fn designated(&self, role: DesignatedRole) -> Option<(&str, u64)> {
        self.designated.get(&role).map(|(p, i)| (p.as_str(), *i))
    }
    /// The framework version in force (the latest published) and its index.
    pub fn framework_in_force(&self) -> Option<(u64, &Framework)> {
        self.frameworks.last().map(|(i, f)| (*i, f))
    }
    /// The reference a statement cites the framework in force by.
    pub fn framework_in_force_ref(&self) -> Option<(Ref, &Framework)> {
        let (index, f) = self.framework_in_force()?;
        let sha256 = crate::merkle::Hash::from_slice(&self.logged.get(&index)?.sha256).ok()?;
        Some((Ref { index, sha256 }, f))
    }
    /// The framework published at `index`.
    pub fn framework_at(&self, index: u64) -> Option<&Framework> {
        self.frameworks
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, f)| f)
    }
    /// The index of the statement whose logged bytes have this SHA-256
    /// (of a state resumed from the state index: only those loaded).
    pub fn index_of(&self, sha256: &[u8; 32]) -> Option<u64> {
        self.by_hash.get(sha256).copied()
    }
    /// Revoked certificate fingerprints and the entries that revoked them.
    pub fn revoked(&self) -> &HashMap<[u8; 32], u64> {
        &self.revoked
    }
}

#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing;
#[cfg(test)]
mod tests;
