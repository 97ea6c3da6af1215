//! The lifecycle of one facility (domain.md, "Lifecycle of one facility";
//! the rules marked *(model)* there are this project's choices):
//!
//! - a facility is registered once, by an operator, before anything else;
//! - its first decision is a FUSA; after a rejection, or a dispute upheld
//!   with a new assessment required, the next decision is a FUSA again;
//! - after an overturned decision (a dispute upheld) the next is a FUSA too;
//! - otherwise a follow-up decision needs an SSC determination of the latest
//!   decision, and its category must be the determined one;
//! - a determination follows the facility's latest decision, which must be
//!   approved, or approved subject to steps that have all been accepted, and
//!   not overturned nor under an open dispute; one determination per decision;
//! - a step is completed once (for a step the referenced decision lists) and
//!   accepted once;
//! - a decision has at most one open dispute; a resolution closes an open one;
//! - a decision is acknowledged once by its facility's operator (the second
//!   signature on it); a determination needs the decision acknowledged as
//!   accepted, or a dispute of it dismissed, and not an acknowledgement that
//!   announced a dispute still unresolved;
//! - a self-assessment answers a determination of a USSA; a USSA decision
//!   reviews the latest self-assessment made since;
//! - a transfer moves the facility to a party that does not own it yet.

use std::collections::BTreeMap;

use super::refusal::Lifecycle as L;
use super::{PolicyError, State};
use crate::identity::Certificate;
use crate::record::{
    Assessment, FindingResult, Outcome, Position, Record, Resolution, ToolInventory,
};

/// An additional step and what happened to it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StepState {
    /// Step id.
    pub id: String,
    /// Description.
    pub description: String,
    /// Due date.
    pub due: String,
    /// Index of the completion statement.
    pub completion: Option<u64>,
    /// Index of the acceptance statement.
    pub accepted: Option<u64>,
    /// Obligations the step names.
    pub obligations: Vec<String>,
}

/// The operator's acknowledgement of a decision.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Acknowledged {
    /// Log index of the acknowledgement.
    pub index: u64,
    /// Accepted, or a dispute announced.
    pub position: Position,
    /// SHA-256 of the Security Assessment Response.
    pub response_sha256: Vec<u8>,
}

/// A decision and what followed it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DecisionState {
    /// Log index.
    pub index: u64,
    /// Category.
    pub assessment: Assessment,
    /// Outcome.
    pub outcome: Outcome,
    /// Its additional steps.
    pub steps: Vec<StepState>,
    /// The SSC's determination: (index, next category, due date).
    pub determination: Option<(u64, Assessment, String)>,
    /// Index of an upheld dispute resolution, if the decision was overturned.
    pub overturned: Option<u64>,
    /// Index of a resolution that dismissed a dispute of it.
    pub dismissed: Option<u64>,
    /// The operator's acknowledgement.
    pub acknowledged: Option<Acknowledged>,
    /// Index of the framework version it cites.
    pub framework: Option<u64>,
    /// Its findings: obligation → result.
    pub findings: BTreeMap<String, FindingResult>,
}

impl DecisionState {
    /// Approved, or approved with steps all accepted, and not overturned.
    pub fn is_effective_approval(&self) -> bool {
        self.overturned.is_none()
            && match self.outcome {
                Outcome::Approved => true,
                Outcome::ApprovedWithSteps => self.steps.iter().all(|s| s.accepted.is_some()),
                Outcome::Rejected => false,
            }
    }
}

/// Everything known about one facility.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FacilityState {
    /// Facility id.
    pub id: String,
    /// Name from the registration.
    pub name: String,
    /// Site from the registration.
    pub site: String,
    /// Index of the registration.
    pub registration: u64,
    /// The party that owns it (registered it, or received it by transfer).
    pub party: String,
    /// Transfers: (index, party it went to).
    pub transfers: Vec<(u64, String)>,
    /// Indexes of evidence seals.
    pub seals: Vec<u64>,
    /// (framework version's index, obligation) → the seals that address it
    /// against that version, in log order.
    pub evidence_for: BTreeMap<(u64, String), Vec<u64>>,
    /// The latest tool inventory and its index.
    pub inventory: Option<(u64, ToolInventory)>,
    /// Indexes of self-assessments.
    pub self_assessments: Vec<u64>,
    /// The latest self-assessment not yet reviewed by a decision.
    pub pending_self_assessment: Option<u64>,
    /// Indexes of countersignatures.
    pub countersignatures: Vec<u64>,
    /// Decisions in log order.
    pub decisions: Vec<DecisionState>,
    /// Open disputes: (dispute index, decision index).
    pub open_disputes: Vec<(u64, u64)>,
    /// Resolutions: (resolution index, dispute index, outcome).
    pub resolutions: Vec<(u64, u64, Resolution)>,
    /// Whether the next decision must be a FUSA.
    pub requires_fusa: bool,
    /// The `duplicate` rule's memory of the statements that stay in force
    /// for good (seals, countersignatures, decisions, self-assessments,
    /// disputes): each record's digest (`repeat_digest`) and the entry
    /// that first logged it, so that a repeat is found without reading the
    /// earlier statements back from the log.
    #[serde(default)]
    pub repeats: BTreeMap<serde_bytes::ByteArray<32>, u64>,
}

/// The digest the `duplicate` rule knows a record by: SHA-256 of its kind's
/// name, a zero byte and its deterministic CBOR payload (equal records,
/// equal digests; `None` for the kinds it compares otherwise).
pub(super) fn repeat_digest(record: &Record) -> Option<serde_bytes::ByteArray<32>> {
    use sha2::Digest;
    let remembered = matches!(
        record,
        Record::Seal(_)
            | Record::Countersignature(_)
            | Record::Decision(_)
            | Record::SelfAssessment(_)
            | Record::Dispute(_)
    );
    if !remembered {
        return None;
    }
    let payload = record.encode_unchecked().ok()?;
    let mut h = sha2::Sha256::new();
    h.update(record.kind().name().as_bytes());
    h.update([0]);
    h.update(&payload);
    Some(serde_bytes::ByteArray::new(h.finalize().into()))
}

impl FacilityState {
    /// The category the next decision must have, or why none may be made yet.
    pub fn expected_assessment(&self) -> Result<Assessment, String> {
        let Some(latest) = self.decisions.last() else {
            return Ok(Assessment::Fusa);
        };
        if self.requires_fusa || latest.overturned.is_some() {
            return Ok(Assessment::Fusa);
        }
        match &latest.determination {
            Some((_, next, _)) => Ok(*next),
            None => Err(format!(
                "the latest decision (entry {}, {} {}) has no SSC determination of the next assessment yet",
                latest.index,
                latest.assessment.name(),
                latest.outcome.name()
            )),
        }
    }

    fn decision(&self, index: u64) -> Result<&DecisionState, PolicyError> {
        self.decisions
            .iter()
            .find(|d| d.index == index)
            .ok_or_else(|| {
                life(
                    L::NotThisFacilitysDecision,
                    "the referenced decision is not one of this facility's".into(),
                )
            })
    }

    fn decision_mut(&mut self, index: u64) -> Option<&mut DecisionState> {
        self.decisions.iter_mut().find(|d| d.index == index)
    }
}

fn life(why: L, msg: String) -> PolicyError {
    PolicyError::Lifecycle(why, msg)
}

impl State {
    pub(super) fn check_lifecycle(&self, record: &Record) -> Result<(), PolicyError> {
        let Some(fid) = record.facility() else {
            return Ok(());
        };
        let fac = self.facilities.get(fid);
        if let Record::Registration(_) = record {
            if let Some(f) = fac {
                return Err(life(
                    L::AlreadyRegistered,
                    format!(
                        "facility {fid:?} is already registered (entry {})",
                        f.registration
                    ),
                ));
            }
            return Ok(());
        }
        let f = fac.ok_or_else(|| {
            life(
                L::NotRegistered,
                format!("facility {fid:?} is not registered"),
            )
        })?;
        match record {
            Record::Decision(d) => {
                let expected = f
                    .expected_assessment()
                    .map_err(|m| life(L::AwaitsDetermination, m))?;
                if d.assessment != expected {
                    return Err(life(
                        L::WrongAssessment,
                        format!(
                            "the next decision for {fid:?} must be a {}, not a {}",
                            expected.name(),
                            d.assessment.name()
                        ),
                    ));
                }
                if let Some(r) = &d.self_assessment {
                    match f.pending_self_assessment {
                        None => {
                            return Err(life(L::NoSelfAssessmentPending, format!(
                                "no self-assessment of {fid:?} awaits review (the operator submits one first)"
                            )))
                        }
                        Some(p) if p != r.index => {
                            return Err(life(L::NotLatestSelfAssessment, format!(
                                "a USSA reviews the latest self-assessment (entry {p}), not entry {}",
                                r.index
                            )))
                        }
                        Some(_) => {}
                    }
                }
            }
            Record::StepCompletion(c) => {
                let d = f
                    .decisions
                    .iter()
                    .find(|d| d.index == c.decision.index)
                    .ok_or_else(|| {
                        life(
                            L::NotThisFacilitysDecision,
                            "the referenced decision is not one of this facility's".into(),
                        )
                    })?;
                let step = d.steps.iter().find(|s| s.id == c.step).ok_or_else(|| {
                    life(
                        L::NoSuchStep,
                        format!("decision {} has no step {:?}", d.index, c.step),
                    )
                })?;
                if let Some(done) = step.completion {
                    return Err(life(
                        L::StepAlreadyCompleted,
                        format!("step {:?} was already completed (entry {done})", c.step),
                    ));
                }
            }
            Record::StepAcceptance(a) => {
                let (d, s) = f
                    .decisions
                    .iter()
                    .flat_map(|d| d.steps.iter().map(move |s| (d, s)))
                    .find(|(_, s)| s.completion == Some(a.completion.index))
                    .ok_or_else(|| {
                        life(
                            L::NotAPendingStep,
                            "the referenced completion is not a pending step of this facility"
                                .into(),
                        )
                    })?;
                if let Some(acc) = s.accepted {
                    return Err(life(
                        L::StepAlreadyAccepted,
                        format!(
                            "step {:?} of decision {} was already accepted (entry {acc})",
                            s.id, d.index
                        ),
                    ));
                }
            }
            Record::Determination(det) => {
                let latest = f
                    .decisions
                    .last()
                    .ok_or_else(|| life(L::NoDecision, "there is no decision to follow".into()))?;
                if latest.index != det.decision.index {
                    return Err(life(
                        L::NotLatestDecision,
                        format!(
                            "a determination follows the latest decision (entry {}), not entry {}",
                            latest.index, det.decision.index
                        ),
                    ));
                }
                if !latest.is_effective_approval() {
                    let why = match (latest.overturned, latest.outcome) {
                        (Some(r), _) => format!("it was overturned by entry {r}"),
                        (None, Outcome::Rejected) => "it is a rejection".to_string(),
                        _ => "not all of its additional steps are accepted".to_string(),
                    };
                    return Err(life(
                        L::NotAnApproval,
                        format!(
                            "a determination follows an approval; entry {}: {why}",
                            latest.index
                        ),
                    ));
                }
                if let Some((i, _, _)) = latest.determination {
                    return Err(life(
                        L::AlreadyDetermined,
                        format!(
                            "decision {} already has a determination (entry {i})",
                            latest.index
                        ),
                    ));
                }
                if let Some((i, _)) = f.open_disputes.iter().find(|(_, d)| *d == latest.index) {
                    return Err(life(
                        L::DecisionDisputed,
                        format!(
                        "decision {} is disputed (entry {i}); the SSC resolves the dispute first",
                        latest.index
                    ),
                    ));
                }
                match (&latest.acknowledged, latest.dismissed) {
                    (_, Some(_)) => {}
                    (Some(a), None) if a.position == Position::Accepted => {}
                    (Some(a), None) => {
                        return Err(life(L::DisputeAnnounced, format!(
                            "the operator announced a dispute of decision {} (entry {}); the SSC determines once a dispute of it is resolved",
                            latest.index, a.index
                        )))
                    }
                    (None, None) => {
                        return Err(life(L::NotAcknowledged, format!(
                            "decision {} is not acknowledged by the operator yet: a determination rests on an acknowledged decision (or a dismissed dispute)",
                            latest.index
                        )))
                    }
                }
            }
            Record::Dispute(d) => {
                if let Some((i, _)) = f
                    .open_disputes
                    .iter()
                    .find(|(_, dec)| *dec == d.decision.index)
                {
                    return Err(life(
                        L::DisputeAlreadyOpen,
                        format!(
                            "decision {} already has an open dispute (entry {i})",
                            d.decision.index
                        ),
                    ));
                }
            }
            Record::Acknowledgement(a) => {
                let d = f.decision(a.decision.index)?;
                if let Some(k) = &d.acknowledged {
                    return Err(life(
                        L::AlreadyAcknowledged,
                        format!(
                            "decision {} was already acknowledged (entry {})",
                            d.index, k.index
                        ),
                    ));
                }
            }
            Record::SelfAssessment(_) => {
                let expected = f
                    .expected_assessment()
                    .map_err(|m| life(L::AwaitsDetermination, m))?;
                if expected != Assessment::Ussa {
                    return Err(life(L::NoUssaDetermined, format!(
                        "a self-assessment answers the SSC's determination of a USSA; the next assessment of {fid:?} is a {}",
                        expected.name()
                    )));
                }
            }
            Record::Transfer(t) if t.to_party == f.party => {
                return Err(life(
                    L::AlreadyOwner,
                    format!("facility {fid:?} already belongs to party {}", f.party),
                ));
            }
            Record::Resolution(r)
                if !f.open_disputes.iter().any(|(i, _)| *i == r.dispute.index) =>
            {
                return Err(life(
                    L::NotAnOpenDispute,
                    format!("entry {} is not an open dispute", r.dispute.index),
                ));
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn apply_lifecycle(
        &mut self,
        index: u64,
        record: &Record,
        signer: &Certificate,
    ) -> Result<(), PolicyError> {
        let Some(fid) = record.facility() else {
            return Ok(());
        };
        if let Record::Registration(r) = record {
            self.facilities.insert(
                fid.to_string(),
                FacilityState {
                    id: fid.to_string(),
                    name: r.name.clone(),
                    site: r.site.clone(),
                    registration: index,
                    party: signer.party().unwrap_or_default().to_string(),
                    transfers: Vec::new(),
                    seals: Vec::new(),
                    evidence_for: BTreeMap::new(),
                    inventory: None,
                    self_assessments: Vec::new(),
                    pending_self_assessment: None,
                    countersignatures: Vec::new(),
                    decisions: Vec::new(),
                    open_disputes: Vec::new(),
                    resolutions: Vec::new(),
                    requires_fusa: false,
                    repeats: BTreeMap::new(),
                },
            );
            return Ok(());
        }
        let f = self.facilities.get_mut(fid).ok_or_else(|| {
            life(
                L::NotRegistered,
                format!("facility {fid:?} is not registered"),
            )
        })?;
        if let Some(d) = repeat_digest(record) {
            // The first entry of a record stays the one a repeat is told
            // of (a ledger from before the rule may hold repeats).
            f.repeats.entry(d).or_insert(index);
        }
        match record {
            Record::Seal(seal) => {
                f.seals.push(index);
                if let Some(a) = &seal.addresses {
                    for o in &a.obligations {
                        let key = (a.framework.index, o.clone());
                        f.evidence_for.entry(key).or_default().push(index);
                    }
                }
            }
            Record::Countersignature(_) => f.countersignatures.push(index),
            Record::Acknowledgement(a) => {
                if let Some(d) = f.decision_mut(a.decision.index) {
                    d.acknowledged = Some(Acknowledged {
                        index,
                        position: a.position,
                        response_sha256: a.response_sha256.to_vec(),
                    });
                }
            }
            Record::SelfAssessment(_) => {
                f.self_assessments.push(index);
                f.pending_self_assessment = Some(index);
            }
            Record::Transfer(t) => {
                f.party = t.to_party.clone();
                f.transfers.push((index, t.to_party.clone()));
            }
            Record::ToolInventory(inv) => f.inventory = Some((index, inv.clone())),
            Record::Decision(d) => {
                f.requires_fusa = d.outcome == Outcome::Rejected;
                f.pending_self_assessment = None;
                f.decisions.push(DecisionState {
                    index,
                    assessment: d.assessment,
                    outcome: d.outcome,
                    steps: d
                        .steps
                        .iter()
                        .map(|s| StepState {
                            id: s.id.clone(),
                            description: s.description.clone(),
                            due: s.due.clone(),
                            completion: None,
                            accepted: None,
                            obligations: s.obligations.clone(),
                        })
                        .collect(),
                    determination: None,
                    overturned: None,
                    dismissed: None,
                    acknowledged: None,
                    framework: d.framework.as_ref().map(|r| r.index),
                    findings: d
                        .findings
                        .iter()
                        .map(|x| (x.obligation.clone(), x.result))
                        .collect(),
                });
            }
            Record::StepCompletion(c) => {
                if let Some(s) = f
                    .decision_mut(c.decision.index)
                    .and_then(|d| d.steps.iter_mut().find(|s| s.id == c.step))
                {
                    s.completion = Some(index);
                }
            }
            Record::StepAcceptance(a) => {
                for d in &mut f.decisions {
                    for s in &mut d.steps {
                        if s.completion == Some(a.completion.index) {
                            s.accepted = Some(index);
                        }
                    }
                }
            }
            Record::Determination(det) => {
                if let Some(d) = f.decision_mut(det.decision.index) {
                    d.determination = Some((index, det.next, det.due.clone()));
                }
            }
            Record::Dispute(d) => f.open_disputes.push((index, d.decision.index)),
            Record::Resolution(r) => {
                let decision = f
                    .open_disputes
                    .iter()
                    .find(|(i, _)| *i == r.dispute.index)
                    .map(|(_, d)| *d);
                f.open_disputes.retain(|(i, _)| *i != r.dispute.index);
                f.resolutions.push((index, r.dispute.index, r.resolution));
                if let Some(d) = decision.and_then(|d| f.decision_mut(d)) {
                    match r.resolution {
                        Resolution::Upheld => d.overturned = Some(index),
                        Resolution::Dismissed => d.dismissed = Some(index),
                    }
                }
                if r.new_assessment {
                    f.requires_fusa = true;
                }
            }
            Record::Registration(_)
            | Record::Revocation(_)
            | Record::Designation(_)
            | Record::Framework(_) => {}
        }
        Ok(())
    }
}
