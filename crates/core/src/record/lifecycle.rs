//! The records of one facility's lifecycle: registration, evidence,
//! assessments, steps, the SSC's determinations, disputes, the operator's
//! acknowledgements and self-assessments, and transfers between parties.

use serde::{Deserialize, Serialize};

use super::Ref;

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
    /// Obligations of the framework the step remedies (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub obligations: Vec<String>,
}

/// What an assessor (or, in a self-assessment, the operator) found for one
/// obligation of the Security Controls Framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingResult {
    /// The obligation is met.
    Met,
    /// The obligation is not met.
    NotMet,
    /// The obligation was not assessed this time.
    NotAssessed,
}

impl FindingResult {
    /// Parses met, not-met or not-assessed.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "met" => Some(FindingResult::Met),
            "not-met" => Some(FindingResult::NotMet),
            "not-assessed" => Some(FindingResult::NotAssessed),
            _ => None,
        }
    }
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            FindingResult::Met => "met",
            FindingResult::NotMet => "not-met",
            FindingResult::NotAssessed => "not-assessed",
        }
    }
}

/// A finding against one obligation of the framework a decision cites.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Obligation identifier, e.g. "G5.14".
    pub obligation: String,
    /// Met, not met, or not assessed.
    pub result: FindingResult,
    /// The assessor's note.
    pub note: String,
}

/// Registration of a Triage Facility by its operator. The facility belongs
/// to the party of the certificate that signs it.
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

/// Which obligations of which framework version a seal's evidence addresses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Addresses {
    /// The framework statement (the version in force when sealing).
    pub framework: Ref,
    /// Obligation identifiers, each at most once.
    pub obligations: Vec<String>,
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
    pub root: crate::merkle::Hash,
    /// Number of items (files).
    pub items: u64,
    /// SHA-256 of the manifest file.
    pub manifest_sha256: crate::merkle::Hash,
    /// The framework obligations the bundle addresses (absent when it does
    /// not claim any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Addresses>,
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
    /// One finding per applicable obligation of the cited framework.
    pub findings: Vec<Finding>,
    /// SHA-256 of the Security Assessment Report.
    pub report_sha256: crate::merkle::Hash,
    /// Evidence seals the decision rests on.
    pub evidence: Vec<Ref>,
    /// The framework version the findings are judged by (the one in force;
    /// absent only while the SSC has published none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework: Option<Ref>,
    /// The operator's self-assessment a USSA reviews (USSA only, required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_assessment: Option<Ref>,
}

/// The operator's User Security Self-Assessment, when the SSC has
/// determined that the next assessment is a USSA; the User CIO's USSA
/// decision reviews it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfAssessment {
    /// Facility identifier.
    pub facility: String,
    /// The operator's findings, one per applicable obligation.
    pub findings: Vec<Finding>,
    /// SHA-256 of the self-assessment report.
    pub report_sha256: crate::merkle::Hash,
    /// Evidence seals it rests on.
    pub evidence: Vec<Ref>,
    /// The framework version in force (absent only while none is published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework: Option<Ref>,
}

/// The operator's position on a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    /// The findings are accepted.
    Accepted,
    /// The operator announces a dispute.
    Disputed,
}

impl Position {
    /// Parses accepted or disputed.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "accepted" => Some(Position::Accepted),
            "disputed" => Some(Position::Disputed),
            _ => None,
        }
    }
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Position::Accepted => "accepted",
            Position::Disputed => "disputed",
        }
    }
}

/// The operator's acknowledgement of a decision: the second signature on
/// every decision, carrying the digest of the Security Assessment Response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    /// Facility identifier.
    pub facility: String,
    /// The decision acknowledged.
    pub decision: Ref,
    /// SHA-256 of the Security Assessment Response.
    pub response_sha256: crate::merkle::Hash,
    /// Accepting the findings, or announcing a dispute.
    pub position: Position,
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

impl Resolution {
    /// upheld or dismissed.
    pub fn name(self) -> &'static str {
        match self {
            Resolution::Upheld => "upheld",
            Resolution::Dismissed => "dismissed",
        }
    }
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

/// The SSC's record that a facility now belongs to another party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// Facility identifier.
    pub facility: String,
    /// The party (organizationIdentifier) that owns the facility from now on.
    pub to_party: String,
    /// Reasons.
    pub reason: String,
}
