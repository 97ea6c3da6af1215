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
//! - a decision has at most one open dispute; a resolution closes an open one.

use super::{PolicyError, State};
use crate::record::{Assessment, Outcome, Record, Resolution};

/// An additional step and what happened to it.
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

/// A decision and what followed it.
#[derive(Clone, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacilityState {
    /// Facility id.
    pub id: String,
    /// Name from the registration.
    pub name: String,
    /// Site from the registration.
    pub site: String,
    /// Index of the registration.
    pub registration: u64,
    /// Indexes of evidence seals.
    pub seals: Vec<u64>,
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

    fn decision_mut(&mut self, index: u64) -> Option<&mut DecisionState> {
        self.decisions.iter_mut().find(|d| d.index == index)
    }
}

fn life(msg: String) -> PolicyError {
    PolicyError::Lifecycle(msg)
}

impl State {
    pub(super) fn check_lifecycle(&self, record: &Record) -> Result<(), PolicyError> {
        let Some(fid) = record.facility() else {
            return Ok(());
        };
        let fac = self.facilities.get(fid);
        if let Record::Registration(_) = record {
            if let Some(f) = fac {
                return Err(life(format!(
                    "facility {fid:?} is already registered (entry {})",
                    f.registration
                )));
            }
            return Ok(());
        }
        let f = fac.ok_or_else(|| life(format!("facility {fid:?} is not registered")))?;
        match record {
            Record::Decision(d) => {
                let expected = f.expected_assessment().map_err(life)?;
                if d.assessment != expected {
                    return Err(life(format!(
                        "the next decision for {fid:?} must be a {}, not a {}",
                        expected.name(),
                        d.assessment.name()
                    )));
                }
            }
            Record::StepCompletion(c) => {
                let d = f
                    .decisions
                    .iter()
                    .find(|d| d.index == c.decision.index)
                    .ok_or_else(|| {
                        life("the referenced decision is not one of this facility's".into())
                    })?;
                let step = d.steps.iter().find(|s| s.id == c.step).ok_or_else(|| {
                    life(format!("decision {} has no step {:?}", d.index, c.step))
                })?;
                if let Some(done) = step.completion {
                    return Err(life(format!(
                        "step {:?} was already completed (entry {done})",
                        c.step
                    )));
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
                            "the referenced completion is not a pending step of this facility"
                                .into(),
                        )
                    })?;
                if let Some(acc) = s.accepted {
                    return Err(life(format!(
                        "step {:?} of decision {} was already accepted (entry {acc})",
                        s.id, d.index
                    )));
                }
            }
            Record::Determination(det) => {
                let latest = f
                    .decisions
                    .last()
                    .ok_or_else(|| life("there is no decision to follow".into()))?;
                if latest.index != det.decision.index {
                    return Err(life(format!(
                        "a determination follows the latest decision (entry {}), not entry {}",
                        latest.index, det.decision.index
                    )));
                }
                if !latest.is_effective_approval() {
                    let why = match (latest.overturned, latest.outcome) {
                        (Some(r), _) => format!("it was overturned by entry {r}"),
                        (None, Outcome::Rejected) => "it is a rejection".to_string(),
                        _ => "not all of its additional steps are accepted".to_string(),
                    };
                    return Err(life(format!(
                        "a determination follows an approval; entry {}: {why}",
                        latest.index
                    )));
                }
                if let Some((i, _, _)) = latest.determination {
                    return Err(life(format!(
                        "decision {} already has a determination (entry {i})",
                        latest.index
                    )));
                }
                if let Some((i, _)) = f.open_disputes.iter().find(|(_, d)| *d == latest.index) {
                    return Err(life(format!(
                        "decision {} is disputed (entry {i}); the SSC resolves the dispute first",
                        latest.index
                    )));
                }
            }
            Record::Dispute(d) => {
                if let Some((i, _)) = f
                    .open_disputes
                    .iter()
                    .find(|(_, dec)| *dec == d.decision.index)
                {
                    return Err(life(format!(
                        "decision {} already has an open dispute (entry {i})",
                        d.decision.index
                    )));
                }
            }
            Record::Resolution(r)
                if !f.open_disputes.iter().any(|(i, _)| *i == r.dispute.index) =>
            {
                return Err(life(format!(
                    "entry {} is not an open dispute",
                    r.dispute.index
                )));
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn apply_lifecycle(
        &mut self,
        index: u64,
        record: &Record,
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
                    seals: Vec::new(),
                    countersignatures: Vec::new(),
                    decisions: Vec::new(),
                    open_disputes: Vec::new(),
                    resolutions: Vec::new(),
                    requires_fusa: false,
                },
            );
            return Ok(());
        }
        let f = self
            .facilities
            .get_mut(fid)
            .ok_or_else(|| life(format!("facility {fid:?} is not registered")))?;
        match record {
            Record::Seal(_) => f.seals.push(index),
            Record::Countersignature(_) => f.countersignatures.push(index),
            Record::Decision(d) => {
                f.requires_fusa = d.outcome == Outcome::Rejected;
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
                        })
                        .collect(),
                    determination: None,
                    overturned: None,
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
                if r.resolution == Resolution::Upheld {
                    if let Some(d) = decision.and_then(|d| f.decision_mut(d)) {
                        d.overturned = Some(index);
                    }
                }
                if r.new_assessment {
                    f.requires_fusa = true;
                }
            }
            Record::Registration(_) | Record::Revocation(_) => {}
        }
        Ok(())
    }
}
