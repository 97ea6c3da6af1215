//! The MP203 record kinds: the payloads of signed statements.
//!
//! Each record is a CBOR map with text keys, encoded deterministically
//! (`crate::cbor`), named by the statement's content type
//! `application/vnd.triage-ledger.<kind>+cbor`. FORMATS.md gives the CDDL.
//! Unknown fields are refused; every digest must be 32 bytes.

use serde::{Deserialize, Serialize};

use crate::cbor::{self, CborError};
use crate::identity::Role;

/// A reference to a logged statement: its index and the SHA-256 of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ref {
    /// Log index of the statement.
    pub index: u64,
    /// SHA-256 of the statement's logged bytes.
    #[serde(with = "serde_bytes")]
    pub sha256: Vec<u8>,
}

/// Assessment categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Assessment {
    /// Full User Security Assessment.
    #[serde(rename = "FUSA")]
    Fusa,
    /// Verification User Security Assessment.
    #[serde(rename = "VUSA")]
    Vusa,
    /// User Security Self-Assessment (reviewed by the User CIO).
    #[serde(rename = "USSA")]
    Ussa,
}

impl Assessment {
    /// Parses FUSA, VUSA or USSA (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "FUSA" => Some(Assessment::Fusa),
            "VUSA" => Some(Assessment::Vusa),
            "USSA" => Some(Assessment::Ussa),
            _ => None,
        }
    }
    /// FUSA, VUSA or USSA.
    pub fn name(self) -> &'static str {
        match self {
            Assessment::Fusa => "FUSA",
            Assessment::Vusa => "VUSA",
            Assessment::Ussa => "USSA",
        }
    }
}

/// Outcome of an assessment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Approved.
    Approved,
    /// Rejected.
    Rejected,
    /// Approved subject to additional steps.
    ApprovedWithSteps,
}

impl Outcome {
    /// Parses approved, rejected or approved-with-steps.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approved" => Some(Outcome::Approved),
            "rejected" => Some(Outcome::Rejected),
            "approved-with-steps" => Some(Outcome::ApprovedWithSteps),
            _ => None,
        }
    }
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::Rejected => "rejected",
            Outcome::ApprovedWithSteps => "approved-with-steps",
        }
    }
}

/// An additional step required by a conditional approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Identifier, unique within the decision (e.g. "S1").
    pub id: String,
    /// What must be done.
    pub description: String,
    /// Due date, YYYY-MM-DD.
    pub due: String,
}

/// A finding against one control of the Security Controls Framework.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Control identifier, e.g. "G5.14".
    pub control: String,
    /// The assessor's finding.
    pub finding: String,
}

/// Registration of a Triage Facility by its operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// Facility identifier (also the statement's `sub`).
    pub facility: String,
    /// Facility name.
    pub name: String,
    /// Site address or description.
    pub site: String,
}

/// An evidence bundle sealed by the operator (formats.md §6): a commitment to
/// files, never the files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seal {
    /// Facility identifier.
    pub facility: String,
    /// What the bundle is (e.g. "factory-reset logs, March 2027").
    pub description: String,
    /// RFC 9162 root over the bundle's items.
    #[serde(with = "serde_bytes")]
    pub root: Vec<u8>,
    /// Number of items (files).
    pub items: u64,
    /// SHA-256 of the manifest file.
    #[serde(with = "serde_bytes")]
    pub manifest_sha256: Vec<u8>,
}

/// The User CIO's countersignature of evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Countersignature {
    /// Facility identifier.
    pub facility: String,
    /// The seal countersigned.
    pub seal: Ref,
    /// Remarks.
    pub note: String,
}

/// An assessment decision by the User CIO.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Facility identifier.
    pub facility: String,
    /// FUSA, VUSA or USSA.
    pub assessment: Assessment,
    /// The outcome.
    pub outcome: Outcome,
    /// Additional steps (only, and at least one, for approved-with-steps).
    pub steps: Vec<Step>,
    /// Findings per control.
    pub findings: Vec<Finding>,
    /// SHA-256 of the Security Assessment Report.
    #[serde(with = "serde_bytes")]
    pub report_sha256: Vec<u8>,
    /// Evidence seals the decision rests on.
    pub evidence: Vec<Ref>,
}

/// The operator's completion of an additional step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepCompletion {
    /// Facility identifier.
    pub facility: String,
    /// The decision that required the step.
    pub decision: Ref,
    /// The step's id.
    pub step: String,
    /// Evidence seals of the work done.
    pub evidence: Vec<Ref>,
}

/// The User CIO's acceptance of a completed step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepAcceptance {
    /// Facility identifier.
    pub facility: String,
    /// The completion accepted.
    pub completion: Ref,
}

/// The SSC's determination of the next assessment's category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Determination {
    /// Facility identifier.
    pub facility: String,
    /// The approval it follows.
    pub decision: Ref,
    /// FUSA, VUSA or USSA.
    pub next: Assessment,
    /// Due date, YYYY-MM-DD.
    pub due: String,
}

/// A dispute of a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dispute {
    /// Facility identifier.
    pub facility: String,
    /// The decision disputed.
    pub decision: Ref,
    /// Grounds.
    pub grounds: String,
}

/// How a dispute was resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resolution {
    /// The dispute is upheld: the decision stands no more.
    Upheld,
    /// The dispute is dismissed: the decision stands.
    Dismissed,
}

/// The SSC's resolution of a dispute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisputeResolution {
    /// Facility identifier.
    pub facility: String,
    /// The dispute resolved.
    pub dispute: Ref,
    /// Upheld or dismissed.
    pub resolution: Resolution,
    /// Whether a new assessment is required (then a FUSA).
    pub new_assessment: bool,
    /// Reasons.
    pub reason: String,
}

/// Revocation of a signer's certificate by the scheme root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// SHA-256 of the revoked certificate's DER.
    #[serde(with = "serde_bytes")]
    pub certificate_sha256: Vec<u8>,
    /// Reason.
    pub reason: String,
}

/// The kinds of record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// [`Registration`].
    Registration,
    /// [`Seal`].
    Seal,
    /// [`Countersignature`].
    Countersignature,
    /// [`Decision`].
    Decision,
    /// [`StepCompletion`].
    StepCompletion,
    /// [`StepAcceptance`].
    StepAcceptance,
    /// [`Determination`].
    Determination,
    /// [`Dispute`].
    Dispute,
    /// [`DisputeResolution`].
    Resolution,
    /// [`Revocation`].
    Revocation,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 10] = [
        Kind::Registration,
        Kind::Seal,
        Kind::Countersignature,
        Kind::Decision,
        Kind::StepCompletion,
        Kind::StepAcceptance,
        Kind::Determination,
        Kind::Dispute,
        Kind::Resolution,
        Kind::Revocation,
    ];

    /// The kind's name in content types and messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Registration => "registration",
            Kind::Seal => "seal",
            Kind::Countersignature => "countersignature",
            Kind::Decision => "decision",
            Kind::StepCompletion => "step-completion",
            Kind::StepAcceptance => "step-acceptance",
            Kind::Determination => "determination",
            Kind::Dispute => "dispute",
            Kind::Resolution => "resolution",
            Kind::Revocation => "revocation",
        }
    }

    /// `application/vnd.triage-ledger.<kind>+cbor`.
    pub fn content_type(self) -> String {
        format!("application/vnd.triage-ledger.{}+cbor", self.name())
    }

    /// The kind named by a content type.
    pub fn from_content_type(ct: &str) -> Option<Kind> {
        let name = ct
            .strip_prefix("application/vnd.triage-ledger.")?
            .strip_suffix("+cbor")?;
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The role that signs this kind; `None` for the scheme root.
    pub fn signer(self) -> Option<Role> {
        match self {
            Kind::Registration | Kind::Seal | Kind::StepCompletion | Kind::Dispute => {
                Some(Role::Operator)
            }
            Kind::Countersignature | Kind::Decision | Kind::StepAcceptance => Some(Role::UserCio),
            Kind::Determination | Kind::Resolution => Some(Role::Ssc),
            Kind::Revocation => None,
        }
    }
}

/// A decoded record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// Facility registration.
    Registration(Registration),
    /// Evidence seal.
    Seal(Seal),
    /// Countersignature of evidence.
    Countersignature(Countersignature),
    /// Assessment decision.
    Decision(Decision),
    /// Completion of an additional step.
    StepCompletion(StepCompletion),
    /// Acceptance of a completed step.
    StepAcceptance(StepAcceptance),
    /// Follow-up determination.
    Determination(Determination),
    /// Dispute.
    Dispute(Dispute),
    /// Dispute resolution.
    Resolution(DisputeResolution),
    /// Certificate revocation.
    Revocation(Revocation),
}

/// Why a record was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    /// The content type names no record kind.
    #[error("unknown content type {0:?}")]
    UnknownKind(String),
    /// The payload is not the record's CBOR.
    #[error("{kind} payload: {source}")]
    Cbor {
        /// The kind expected.
        kind: &'static str,
        /// The CBOR problem.
        source: CborError,
    },
    /// A field breaks the record's rules.
    #[error("{kind}: {reason}")]
    Invalid {
        /// The kind.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
}

fn check_digest(kind: Kind, field: &str, d: &[u8]) -> Result<(), RecordError> {
    if d.len() != 32 {
        return Err(RecordError::Invalid {
            kind: kind.name(),
            reason: format!("{field} must be a 32-byte SHA-256, got {} bytes", d.len()),
        });
    }
    Ok(())
}

fn check_text(kind: Kind, field: &str, s: &str) -> Result<(), RecordError> {
    if s.trim().is_empty() {
        return Err(RecordError::Invalid {
            kind: kind.name(),
            reason: format!("{field} must not be empty"),
        });
    }
    Ok(())
}

fn check_date(kind: Kind, field: &str, s: &str) -> Result<(), RecordError> {
    let ok = s.len() == 10
        && s.as_bytes()[4] == b'-'
        && s.as_bytes()[7] == b'-'
        && s.split('-').all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && matches!(s[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(s[8..10].parse::<u8>(), Ok(1..=31));
    if !ok {
        return Err(RecordError::Invalid {
            kind: kind.name(),
            reason: format!("{field} {s:?} is not a YYYY-MM-DD date"),
        });
    }
    Ok(())
}

fn check_ref(kind: Kind, field: &str, r: &Ref) -> Result<(), RecordError> {
    check_digest(kind, &format!("{field}.sha256"), &r.sha256)
}

impl Record {
    /// The record's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Record::Registration(_) => Kind::Registration,
            Record::Seal(_) => Kind::Seal,
            Record::Countersignature(_) => Kind::Countersignature,
            Record::Decision(_) => Kind::Decision,
            Record::StepCompletion(_) => Kind::StepCompletion,
            Record::StepAcceptance(_) => Kind::StepAcceptance,
            Record::Determination(_) => Kind::Determination,
            Record::Dispute(_) => Kind::Dispute,
            Record::Resolution(_) => Kind::Resolution,
            Record::Revocation(_) => Kind::Revocation,
        }
    }

    /// The facility the record is about (`None` for revocations).
    pub fn facility(&self) -> Option<&str> {
        Some(match self {
            Record::Registration(r) => &r.facility,
            Record::Seal(r) => &r.facility,
            Record::Countersignature(r) => &r.facility,
            Record::Decision(r) => &r.facility,
            Record::StepCompletion(r) => &r.facility,
            Record::StepAcceptance(r) => &r.facility,
            Record::Determination(r) => &r.facility,
            Record::Dispute(r) => &r.facility,
            Record::Resolution(r) => &r.facility,
            Record::Revocation(_) => return None,
        })
    }

    /// The statements this record references, with the field naming each.
    pub fn references(&self) -> Vec<(&'static str, &Ref)> {
        match self {
            Record::Countersignature(r) => vec![("seal", &r.seal)],
            Record::Decision(r) => r.evidence.iter().map(|e| ("evidence", e)).collect(),
            Record::StepCompletion(r) => {
                let mut v = vec![("decision", &r.decision)];
                v.extend(r.evidence.iter().map(|e| ("evidence", e)));
                v
            }
            Record::StepAcceptance(r) => vec![("completion", &r.completion)],
            Record::Determination(r) => vec![("decision", &r.decision)],
            Record::Dispute(r) => vec![("decision", &r.decision)],
            Record::Resolution(r) => vec![("dispute", &r.dispute)],
            Record::Registration(_) | Record::Seal(_) | Record::Revocation(_) => vec![],
        }
    }

    /// Checks the fields' own rules (digest sizes, dates, non-empty text,
    /// steps exactly when the outcome needs them).
    pub fn validate(&self) -> Result<(), RecordError> {
        let k = self.kind();
        if let Some(f) = self.facility() {
            check_text(k, "facility", f)?;
        }
        for (field, r) in self.references() {
            check_ref(k, field, r)?;
        }
        match self {
            Record::Registration(r) => {
                check_text(k, "name", &r.name)?;
                check_text(k, "site", &r.site)
            }
            Record::Seal(r) => {
                check_digest(k, "root", &r.root)?;
                check_digest(k, "manifest_sha256", &r.manifest_sha256)?;
                check_text(k, "description", &r.description)
            }
            Record::Decision(r) => {
                check_digest(k, "report_sha256", &r.report_sha256)?;
                let needs_steps = r.outcome == Outcome::ApprovedWithSteps;
                if needs_steps == r.steps.is_empty() {
                    let reason = if needs_steps {
                        "approved-with-steps needs at least one step"
                    } else {
                        "only approved-with-steps may list steps"
                    };
                    return Err(RecordError::Invalid {
                        kind: k.name(),
                        reason: reason.into(),
                    });
                }
                let mut ids = std::collections::BTreeSet::new();
                for s in &r.steps {
                    check_text(k, "step id", &s.id)?;
                    check_text(k, "step description", &s.description)?;
                    check_date(k, "step due", &s.due)?;
                    if !ids.insert(&s.id) {
                        return Err(RecordError::Invalid {
                            kind: k.name(),
                            reason: format!("step id {:?} appears twice", s.id),
                        });
                    }
                }
                for f in &r.findings {
                    check_text(k, "finding control", &f.control)?;
                }
                Ok(())
            }
            Record::StepCompletion(r) => check_text(k, "step", &r.step),
            Record::Determination(r) => check_date(k, "due", &r.due),
            Record::Dispute(r) => check_text(k, "grounds", &r.grounds),
            Record::Resolution(r) => check_text(k, "reason", &r.reason),
            Record::Revocation(r) => {
                check_digest(k, "certificate_sha256", &r.certificate_sha256)?;
                check_text(k, "reason", &r.reason)
            }
            Record::Countersignature(_) | Record::StepAcceptance(_) => Ok(()),
        }
    }

    /// Decodes and validates a payload of the kind a content type names.
    pub fn decode(content_type: &str, payload: &[u8]) -> Result<Record, RecordError> {
        let kind = Kind::from_content_type(content_type)
            .ok_or_else(|| RecordError::UnknownKind(content_type.to_string()))?;
        let err = |source| RecordError::Cbor {
            kind: kind.name(),
            source,
        };
        let r = match kind {
            Kind::Registration => Record::Registration(cbor::from_slice(payload).map_err(err)?),
            Kind::Seal => Record::Seal(cbor::from_slice(payload).map_err(err)?),
            Kind::Countersignature => {
                Record::Countersignature(cbor::from_slice(payload).map_err(err)?)
            }
            Kind::Decision => Record::Decision(cbor::from_slice(payload).map_err(err)?),
            Kind::StepCompletion => Record::StepCompletion(cbor::from_slice(payload).map_err(err)?),
            Kind::StepAcceptance => Record::StepAcceptance(cbor::from_slice(payload).map_err(err)?),
            Kind::Determination => Record::Determination(cbor::from_slice(payload).map_err(err)?),
            Kind::Dispute => Record::Dispute(cbor::from_slice(payload).map_err(err)?),
            Kind::Resolution => Record::Resolution(cbor::from_slice(payload).map_err(err)?),
            Kind::Revocation => Record::Revocation(cbor::from_slice(payload).map_err(err)?),
        };
        r.validate()?;
        // One record, one encoding: ciborium would also accept tags and
        // enums written as maps, which re-encode differently.
        if r.encode()? != payload {
            return Err(RecordError::Invalid {
                kind: kind.name(),
                reason: "payload is not the canonical encoding of the record (tags or other forms)"
                    .into(),
            });
        }
        Ok(r)
    }

    /// Encodes the record's payload (deterministic CBOR).
    pub fn encode(&self) -> Result<Vec<u8>, RecordError> {
        self.validate()?;
        let kind = self.kind().name();
        let err = |source| RecordError::Cbor { kind, source };
        match self {
            Record::Registration(r) => cbor::to_vec(r),
            Record::Seal(r) => cbor::to_vec(r),
            Record::Countersignature(r) => cbor::to_vec(r),
            Record::Decision(r) => cbor::to_vec(r),
            Record::StepCompletion(r) => cbor::to_vec(r),
            Record::StepAcceptance(r) => cbor::to_vec(r),
            Record::Determination(r) => cbor::to_vec(r),
            Record::Dispute(r) => cbor::to_vec(r),
            Record::Resolution(r) => cbor::to_vec(r),
            Record::Revocation(r) => cbor::to_vec(r),
        }
        .map_err(err)
    }
}

#[cfg(test)]
mod tests;
