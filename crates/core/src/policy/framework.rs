//! The Security Controls Framework as data (domain.md): which version is in
//! force, and the findings a decision must record against it.
//!
//! - `framework`: a version is published once; a seal, self-assessment or
//!   decision cites the version in force (the latest published) — so a new
//!   version applies to later assessments only, and earlier ones stay judged
//!   by the version they cite —, and names only obligations that the version
//!   lists and that apply to Triage Facilities. While none is published,
//!   decisions cite none.
//! - `coverage`: a decision (or self-assessment) has a finding for every
//!   applicable obligation; an approval has none "not met", except, when
//!   approved subject to steps, obligations a step names; a rejection has at
//!   least one "not met".

use super::refusal::{Coverage as C, Framework as F};
use super::{PolicyError, State};
use crate::record::{Finding, FindingResult, Framework, Outcome, Record, Ref};

fn fw(why: F, msg: String) -> PolicyError {
    PolicyError::Framework(why, msg)
}

fn cov(why: C, msg: String) -> PolicyError {
    PolicyError::Coverage(why, msg)
}

/// Checks that `id` is an obligation of `f` that applies to triage.
fn applicable(f: &Framework, id: &str, field: &str) -> Result<(), PolicyError> {
    match f.obligation(id) {
        None => Err(fw(
            F::NotAnObligation,
            format!(
                "{field} {id:?} is not an obligation of framework {}",
                f.version
            ),
        )),
        Some(o) if !o.applies => Err(fw(
            F::DoesNotApply,
            format!(
                "{field} {id:?} does not apply to Triage Facilities in framework {} ({})",
                f.version,
                o.reason.as_deref().unwrap_or("no reason given")
            ),
        )),
        Some(_) => Ok(()),
    }
}

impl State {
    /// The framework a statement must cite: the one in force (checked
    /// against what it cites), or none while none is published.
    fn cited(&self, cites: Option<&Ref>, what: &str) -> Result<Option<&Framework>, PolicyError> {
        match (self.frameworks.last(), cites) {
            (None, None) => Ok(None),
            // A citation with nothing published cannot resolve; the
            // reference rule has refused it already.
            (None, Some(r)) => Err(fw(
                F::NotAFramework,
                format!("entry {} is not a published framework", r.index),
            )),
            (Some((i, f)), None) => Err(fw(
                F::CitationMissing,
                format!(
                    "framework {} (entry {i}) is in force: a {what} cites it",
                    f.version
                ),
            )),
            (Some((i, f)), Some(r)) if r.index != *i => {
                let old = self
                    .framework_at(r.index)
                    .map_or("?", |o| o.version.as_str());
                Err(fw(F::Superseded, format!(
                    "cites framework {old} (entry {}), superseded by {} (entry {i}): a {what} cites the version in force",
                    r.index, f.version
                )))
            }
            (Some((_, f)), Some(_)) => Ok(Some(f)),
        }
    }

    pub(super) fn check_framework(&self, record: &Record) -> Result<(), PolicyError> {
        match record {
            Record::Framework(f) => {
                if let Some((i, _)) = self.frameworks.iter().find(|(_, o)| o.version == f.version) {
                    return Err(fw(
                        F::AlreadyPublished,
                        format!(
                        "version {} was already published (entry {i}); a change is a new version",
                        f.version
                    ),
                    ));
                }
                Ok(())
            }
            Record::Seal(s) => {
                let Some(a) = &s.addresses else {
                    return Ok(());
                };
                if let Some(f) = self.cited(Some(&a.framework), "seal")? {
                    for o in &a.obligations {
                        applicable(f, o, "addressed obligation")?;
                    }
                }
                Ok(())
            }
            Record::SelfAssessment(s) => {
                let Some(f) = self.cited(s.framework.as_ref(), "self-assessment")? else {
                    return Ok(());
                };
                complete(f, &s.findings)
            }
            Record::Decision(d) => {
                let Some(f) = self.cited(d.framework.as_ref(), "decision")? else {
                    return Ok(());
                };
                for s in &d.steps {
                    for o in &s.obligations {
                        applicable(f, o, &format!("step {} obligation", s.id))?;
                    }
                }
                complete(f, &d.findings)?;
                let not_met: Vec<&str> = d
                    .findings
                    .iter()
                    .filter(|x| x.result == FindingResult::NotMet)
                    .map(|x| x.obligation.as_str())
                    .collect();
                match d.outcome {
                    Outcome::Approved if !not_met.is_empty() => Err(cov(C::ApprovalWithNotMet, format!(
                        "an approval with {} not met: approve subject to steps that name {}, or reject",
                        not_met.join(", "),
                        if not_met.len() == 1 { "it" } else { "them" }
                    ))),
                    Outcome::ApprovedWithSteps => {
                        let uncovered: Vec<&str> = not_met
                            .into_iter()
                            .filter(|o| !d.steps.iter().any(|s| s.obligations.iter().any(|x| x == o)))
                            .collect();
                        if uncovered.is_empty() {
                            Ok(())
                        } else {
                            Err(cov(C::StepsDoNotCover, format!(
                                "approved subject to steps, but no step names {} (not met)",
                                uncovered.join(", ")
                            )))
                        }
                    }
                    Outcome::Rejected if not_met.is_empty() => Err(cov(C::RejectionWithoutNotMet,
                        "a rejection needs at least one obligation found not met".into(),
                    )),
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }
}

/// Every finding names an applicable obligation; every applicable
/// obligation has a finding.
fn complete(f: &Framework, findings: &[Finding]) -> Result<(), PolicyError> {
    for x in findings {
        applicable(f, &x.obligation, "finding for")?;
    }
    let missing: Vec<&str> = f
        .applicable()
        .filter(|o| !findings.iter().any(|x| x.obligation == o.id))
        .map(|o| o.id.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(cov(C::MissingFinding, format!(
            "no finding for {} of framework {} (every applicable obligation needs one: met, not-met or not-assessed)",
            missing.join(", "),
            f.version
        )));
    }
    Ok(())
}
