//! What `status` reports: each facility's summary — its owner, its
//! decisions and whether the operator acknowledged them, open steps, the
//! next assessment, disputes, coverage of the framework in force, its tool
//! inventory — and the warnings a reader should see first, judged at a date.
//!
//! One serialisable type ([`LedgerStatus`]) gives both `status --json` (its
//! serde form, documented in README.md) and the text (`text.rs`).

mod text;

mod history;
pub use history::{describe, timeline, Event, Timeline};

use serde::{Deserialize, Serialize};

use crate::hex::encode as hex;
use crate::policy::{DecisionState, FacilityState, State};
use crate::record::{parse_date, DesignatedRole};

/// The status of a ledger at a date.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LedgerStatus {
    /// The log's size (statements and index entries).
    pub tree_size: u64,
    /// How many of its entries are statements.
    pub statements: u64,
    /// The latest commit of the log's index (FORMATS.md §18), if any.
    pub index: Option<IndexAt>,
    /// The date warnings are judged at (YYYY-MM-DD).
    pub as_of: String,
    /// The parties designated for the scheme's roles.
    pub designated: Designated,
    /// The facilities.
    pub facilities: Vec<FacilitySummary>,
}

/// The latest commit entry of the log's index.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IndexAt {
    /// Its log index.
    pub entry: u64,
    /// Facilities it commits to.
    pub facilities: u64,
    /// Scheme-level statements it commits to, listed apart (a public
    /// ledger); a confidential ledger files them under a label, as one more
    /// list, which `facilities` does not count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme_entries: Option<u64>,
}

/// The parties designated as User CIO and SSC.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Designated {
    /// The User CIO's party and the designation's entry.
    pub user_cio: Option<PartyAt>,
    /// The SSC's party and the designation's entry.
    pub ssc: Option<PartyAt>,
}

/// A party as designated at an entry.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PartyAt {
    /// The party's identifier.
    pub party: String,
    /// The designation's log index.
    pub entry: u64,
}

/// One facility.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FacilitySummary {
    /// Facility id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The party that owns it.
    pub party: String,
    /// Entry of the registration.
    pub registered: u64,
    /// Number of evidence seals.
    pub seals: usize,
    /// The latest decision.
    pub current: Option<Current>,
    /// Every decision, with the operator's acknowledgement or null (pending).
    pub decisions: Vec<DecisionSummary>,
    /// Steps of the latest decision not yet accepted.
    pub open_steps: Vec<OpenStep>,
    /// The next assessment, or null while the SSC has not determined it.
    pub next_assessment: Option<NextAssessment>,
    /// Disputes not yet resolved.
    pub open_disputes: Vec<OpenDispute>,
    /// The framework version in force.
    pub framework: Option<String>,
    /// The version the latest decision cites (and is judged by), if any.
    pub decision_framework: Option<String>,
    /// One item per applicable obligation of that framework.
    pub coverage: Vec<Coverage>,
    /// The latest tool inventory.
    pub inventory: Option<Inventory>,
    /// What needs attention at `as_of`.
    pub warnings: Vec<Warning>,
    /// While no next assessment is set: what the facility waits for.
    pub awaiting: Option<String>,
}

/// The latest decision.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Current {
    /// Its entry.
    pub entry: u64,
    /// FUSA, VUSA or USSA.
    pub assessment: String,
    /// Its outcome.
    pub outcome: String,
    /// Overturned by an upheld dispute.
    pub overturned: bool,
}

/// A decision and its second signature.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DecisionSummary {
    /// Its entry.
    pub entry: u64,
    /// FUSA, VUSA or USSA.
    pub assessment: String,
    /// Its outcome.
    pub outcome: String,
    /// The operator's acknowledgement, or null while pending.
    pub acknowledged: Option<Ack>,
}

/// An acknowledgement.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ack {
    /// Its entry.
    pub entry: u64,
    /// accepted or disputed.
    pub position: String,
    /// SHA-256 of the Security Assessment Response, hex.
    pub response_sha256: String,
}

/// An additional step not yet accepted.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpenStep {
    /// Step id.
    pub id: String,
    /// Due date.
    pub due: String,
    /// Completed by the operator (awaiting acceptance).
    pub completed: bool,
    /// Due before `as_of` and not completed.
    pub overdue: bool,
}

/// The next assessment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NextAssessment {
    /// FUSA, VUSA or USSA.
    pub assessment: String,
    /// Due date (null for a FUSA no determination has dated).
    pub due: Option<String>,
    /// Due before `as_of`.
    pub overdue: bool,
    /// For a USSA: the operator's self-assessment awaiting the User CIO's
    /// review (its entry), or null.
    pub self_assessment: Option<u64>,
}

/// A dispute not yet resolved.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpenDispute {
    /// The dispute's entry.
    pub entry: u64,
    /// The decision disputed.
    pub decision: u64,
}

/// Coverage of one applicable obligation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Coverage {
    /// Obligation id.
    pub obligation: String,
    /// Seals that address it against the framework in force (a seal that
    /// addressed an older version counts for that version only).
    pub evidence: Vec<u64>,
    /// The latest decision's finding, if that decision cites the framework
    /// in force (met, not-met, not-assessed), else null.
    pub finding: Option<String>,
    /// A step of the latest decision that names it.
    pub step: Option<String>,
}

impl Coverage {
    /// Not met, not assessed, without a finding, or without evidence.
    pub fn is_gap(&self) -> bool {
        self.finding.as_deref() != Some("met") || self.evidence.is_empty()
    }
}

/// A tool inventory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Inventory {
    /// Its entry.
    pub entry: u64,
    /// Tools.
    pub tools: Vec<ToolSummary>,
    /// Interfaces: (name, type).
    pub interfaces: Vec<InterfaceSummary>,
}

/// A Triage Tool.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ToolSummary {
    /// Make.
    pub make: String,
    /// Model.
    pub model: String,
    /// Serial.
    pub serial: String,
    /// Firmware SHA-256, hex.
    pub firmware_sha256: String,
    /// CPA certificate reference.
    pub cpa_certificate: String,
    /// CPA certificate expiry.
    pub cpa_expires: String,
}

/// A Triage Interface.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InterfaceSummary {
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Access controls.
    pub access_controls: String,
}

/// Something that needs attention.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Warning {
    /// `cpa-expired`, `cpa-expires-before-due`, `step-overdue`,
    /// `assessment-overdue`, `acknowledgement-pending`.
    pub kind: String,
    /// What, in words.
    pub message: String,
}

/// Today's date (UTC) for a POSIX time.
pub fn date_of(posix: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(posix).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let d = t.date();
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// Builds the status of `state` (a ledger of `tree_size` entries) as of a
/// date (YYYY-MM-DD), for every facility or the one named.
pub fn ledger_status(
    state: &State,
    tree_size: u64,
    as_of: &str,
    facility: Option<&str>,
) -> LedgerStatus {
    let party_at = |role| {
        state.designated(role).map(|(p, i)| PartyAt {
            party: p.to_string(),
            entry: i,
        })
    };
    LedgerStatus {
        tree_size,
        statements: state.statement_count(),
        index: state
            .history()
            .and_then(|h| h.last_commit())
            .map(|(entry, c)| {
                // A confidential ledger's map holds one list per facility
                // and, once there is a scheme-level statement, the
                // scheme's (every facility list is a registered facility's).
                let registered = state.facilities().len() as u64;
                match state.naming().is_labels() {
                    true => IndexAt {
                        entry,
                        facilities: c.facilities.min(registered),
                        scheme_entries: None,
                    },
                    false => IndexAt {
                        entry,
                        facilities: c.facilities,
                        scheme_entries: Some(c.scheme_entries),
                    },
                }
            }),
        as_of: as_of.to_string(),
        designated: Designated {
            user_cio: party_at(DesignatedRole::UserCio),
            ssc: party_at(DesignatedRole::Ssc),
        },
        facilities: state
            .facilities()
            .values()
            .filter(|f| facility.is_none_or(|id| f.id == id))
            .map(|f| summarize(state, f, as_of))
            .collect(),
    }
}

fn decision_summary(d: &DecisionState) -> DecisionSummary {
    DecisionSummary {
        entry: d.index,
        assessment: d.assessment.name().to_string(),
        outcome: d.outcome.name().to_string(),
        acknowledged: d.acknowledged.as_ref().map(|a| Ack {
            entry: a.index,
            position: a.position.name().to_string(),
            response_sha256: hex(&a.response_sha256),
        }),
    }
}

/// Compares YYYY-MM-DD dates (both validated when logged).
fn before(date: &str, as_of: &str) -> bool {
    match (parse_date(date), parse_date(as_of)) {
        (Some(a), Some(b)) => a < b,
        _ => false,
    }
}

/// One facility's summary at `as_of`.
pub fn summarize(state: &State, f: &FacilityState, as_of: &str) -> FacilitySummary {
    let latest = f.decisions.last();
    let open_steps: Vec<OpenStep> = latest
        .map(|d| {
            d.steps
                .iter()
                .filter(|s| s.accepted.is_none())
                .map(|s| OpenStep {
                    id: s.id.clone(),
                    due: s.due.clone(),
                    completed: s.completion.is_some(),
                    overdue: s.completion.is_none() && before(&s.due, as_of),
                })
                .collect()
        })
        .unwrap_or_default();
    let next_assessment = f.expected_assessment().ok().map(|a| {
        let due = latest
            .and_then(|d| d.determination.as_ref())
            .filter(|_| !f.requires_fusa && latest.is_some_and(|d| d.overturned.is_none()))
            .map(|(_, _, due)| due.clone());
        NextAssessment {
            assessment: a.name().to_string(),
            overdue: due.as_deref().is_some_and(|d| before(d, as_of)),
            due,
            self_assessment: f
                .pending_self_assessment
                .filter(|_| a == crate::record::Assessment::Ussa),
        }
    });
    let (framework, coverage) = match state.framework_in_force() {
        None => (None, Vec::new()),
        Some((fi, fw)) => {
            let judged = latest.filter(|d| d.framework == Some(fi));
            let coverage = fw
                .applicable()
                .map(|o| Coverage {
                    obligation: o.id.clone(),
                    evidence: f
                        .evidence_for
                        .get(&(fi, o.id.clone()))
                        .cloned()
                        .unwrap_or_default(),
                    finding: judged
                        .and_then(|d| d.findings.get(&o.id))
                        .map(|r| r.name().to_string()),
                    step: judged.and_then(|d| {
                        d.steps
                            .iter()
                            .find(|s| s.obligations.contains(&o.id))
                            .map(|s| s.id.clone())
                    }),
                })
                .collect();
            (Some(fw.version.clone()), coverage)
        }
    };
    let inventory = f.inventory.as_ref().map(|(i, inv)| Inventory {
        entry: *i,
        tools: inv
            .tools
            .iter()
            .map(|t| ToolSummary {
                make: t.make.clone(),
                model: t.model.clone(),
                serial: t.serial.clone(),
                firmware_sha256: hex(&t.firmware_sha256),
                cpa_certificate: t.cpa_certificate.clone(),
                cpa_expires: t.cpa_expires.clone(),
            })
            .collect(),
        interfaces: inv
            .interfaces
            .iter()
            .map(|x| InterfaceSummary {
                name: x.name.clone(),
                kind: x.kind.clone(),
                access_controls: x.access_controls.clone(),
            })
            .collect(),
    });
    let warnings = warnings(f, &open_steps, next_assessment.as_ref(), as_of);
    let awaiting = match (&next_assessment, latest) {
        (Some(_), _) | (None, None) => None,
        (None, Some(d)) => Some(awaiting(f, d)),
    };
    FacilitySummary {
        id: f.id.clone(),
        name: f.name.clone(),
        party: f.party.clone(),
        registered: f.registration,
        seals: f.seals.len(),
        current: latest.map(|d| Current {
            entry: d.index,
            assessment: d.assessment.name().to_string(),
            outcome: d.outcome.name().to_string(),
            overturned: d.overturned.is_some(),
        }),
        decisions: f.decisions.iter().map(decision_summary).collect(),
        open_steps,
        next_assessment,
        open_disputes: f
            .open_disputes
            .iter()
            .map(|(i, d)| OpenDispute {
                entry: *i,
                decision: *d,
            })
            .collect(),
        framework,
        decision_framework: latest
            .and_then(|d| d.framework)
            .and_then(|i| state.framework_at(i))
            .map(|fw| fw.version.clone()),
        coverage,
        inventory,
        warnings,
        awaiting,
    }
}

/// What a facility whose next assessment is not set waits for.
fn awaiting(f: &FacilityState, d: &DecisionState) -> String {
    if let Some((i, _)) = f.open_disputes.iter().find(|(_, x)| *x == d.index) {
        return format!("the SSC's resolution of the dispute at entry {i}");
    }
    if d.steps.iter().any(|s| s.completion.is_none()) {
        return "the operator's completion of the additional steps".into();
    }
    if d.steps.iter().any(|s| s.accepted.is_none()) {
        return "the User CIO's acceptance of the completed steps".into();
    }
    match &d.acknowledged {
        None => "the operator's acknowledgement of the latest decision".into(),
        Some(a) if a.position == crate::record::Position::Disputed && d.dismissed.is_none() => {
            format!(
                "the dispute announced at entry {}: the operator raises it, the SSC resolves it",
                a.index
            )
        }
        Some(_) => "the SSC's determination of the next assessment".into(),
    }
}

fn warnings(
    f: &FacilityState,
    open_steps: &[OpenStep],
    next: Option<&NextAssessment>,
    as_of: &str,
) -> Vec<Warning> {
    let mut w = Vec::new();
    for s in open_steps.iter().filter(|s| s.overdue) {
        w.push(Warning {
            kind: "step-overdue".to_string(),
            message: format!("step {} was due {} and is not completed", s.id, s.due),
        });
    }
    if let Some(n) = next.filter(|n| n.overdue) {
        w.push(Warning {
            kind: "assessment-overdue".to_string(),
            message: format!(
                "the {} was due {} and is not decided",
                n.assessment,
                n.due.as_deref().unwrap_or("?")
            ),
        });
    }
    if let Some((i, inv)) = &f.inventory {
        let due = next.and_then(|n| n.due.as_deref().map(|d| (n.assessment.as_str(), d)));
        for t in &inv.tools {
            let who = format!(
                "tool {} {} serial {} (inventory entry {i}): CPA certificate {}",
                t.make, t.model, t.serial, t.cpa_certificate
            );
            if before(&t.cpa_expires, as_of) {
                w.push(Warning {
                    kind: "cpa-expired".to_string(),
                    message: format!("{who} expired {}", t.cpa_expires),
                });
            } else if let Some((a, d)) = due.filter(|(_, d)| before(&t.cpa_expires, d)) {
                w.push(Warning {
                    kind: "cpa-expires-before-due".to_string(),
                    message: format!(
                        "{who} expires {}, before the next assessment ({a}, due {d})",
                        t.cpa_expires
                    ),
                });
            }
        }
    }
    if let Some(d) = f.decisions.last() {
        if d.acknowledged.is_none() {
            w.push(Warning {
                kind: "acknowledgement-pending".to_string(),
                message: format!(
                    "decision {} ({} {}) is not acknowledged by the operator yet",
                    d.index,
                    d.assessment.name(),
                    d.outcome.name()
                ),
            });
        }
    }
    w
}

#[cfg(test)]
mod tests;
