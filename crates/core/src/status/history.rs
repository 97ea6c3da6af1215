//! A facility's history (`history`): every statement about it in log
//! order, each as one line a person reads — its date, entry, kind, signer's
//! party and what it says — followed by what is overdue or about to lapse
//! at a date.

use serde::{Deserialize, Serialize};

use crate::policy::{Logged, State};
use crate::record::Record;

/// A facility's timeline.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Timeline {
    /// The facility.
    pub facility: String,
    /// Its name.
    pub name: String,
    /// The tree size the history is read at.
    pub tree_size: u64,
    /// The date flags are judged at (YYYY-MM-DD).
    pub as_of: String,
    /// Its statements, in log order.
    pub events: Vec<Event>,
    /// Overdue steps and assessments, tools whose certificate lapses, a
    /// decision awaiting its acknowledgement: the facility's warnings.
    pub flags: Vec<super::Warning>,
}

/// One statement of a facility's history.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Event {
    /// Its log index.
    pub entry: u64,
    /// When its signer signed it (YYYY-MM-DD, UTC).
    pub date: String,
    /// The record's kind.
    pub kind: String,
    /// The signer's certificate subject.
    pub signer: String,
    /// The signer's party; `None` for the scheme root.
    pub party: Option<String>,
    /// What it says, in one line.
    pub what: String,
}

/// The history of `facility` in `state` (a ledger of `tree_size`), flags
/// judged at `as_of`; `None` if the facility is not registered.
pub fn timeline(state: &State, facility: &str, tree_size: u64, as_of: &str) -> Option<Timeline> {
    let f = state.facilities().get(facility)?;
    let status = super::ledger_status(state, tree_size, as_of, Some(facility));
    let events = state
        .logged()
        .filter(|l| l.record.facility() == Some(facility))
        .map(event)
        .collect();
    Some(Timeline {
        facility: facility.to_string(),
        name: f.name.clone(),
        tree_size,
        as_of: as_of.to_string(),
        events,
        flags: status
            .facilities
            .into_iter()
            .next()
            .map(|s| s.warnings)
            .unwrap_or_default(),
    })
}

fn event(l: &Logged) -> Event {
    Event {
        entry: l.index,
        date: super::date_of(l.issued_at),
        kind: l.record.kind().name().to_string(),
        signer: l.signer_subject.clone(),
        party: l.signer_party.clone(),
        what: describe(&l.record),
    }
}

/// An enum as the record spells it (`approved-with-steps`, `FUSA`).
fn spelled<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// What a record says, in one line.
pub fn describe(r: &Record) -> String {
    match r {
        Record::Registration(x) => format!("registered {:?} at {:?}", x.name, x.site),
        Record::Seal(x) => format!(
            "sealed evidence: {} ({} items, root {}…)",
            x.description,
            x.items,
            crate::hex::encode(&x.root[..x.root.len().min(4)])
        ),
        Record::Countersignature(x) => format!(
            "countersigned the seal at entry {}: {}",
            x.seal.index, x.note
        ),
        Record::Decision(x) => {
            let mut s = format!("{} {}", x.assessment.name(), x.outcome.name());
            let not_met = x
                .findings
                .iter()
                .filter(|f| spelled(&f.result) == "not-met")
                .count();
            s += &format!("; {} findings, {not_met} not met", x.findings.len());
            if !x.steps.is_empty() {
                let steps: Vec<String> = x
                    .steps
                    .iter()
                    .map(|st| format!("{} due {}", st.id, st.due))
                    .collect();
                s += &format!("; steps {}", steps.join(", "));
            }
            s
        }
        Record::Acknowledgement(x) => format!(
            "acknowledged the decision at entry {}: {}",
            x.decision.index,
            spelled(&x.position)
        ),
        Record::SelfAssessment(x) => format!("self-assessment: {} findings", x.findings.len()),
        Record::StepCompletion(x) => format!(
            "completed step {} of the decision at entry {}",
            x.step, x.decision.index
        ),
        Record::StepAcceptance(x) => format!(
            "accepted the step completed at entry {}",
            x.completion.index
        ),
        Record::Determination(x) => format!(
            "next assessment: {} due {} (after the decision at entry {})",
            x.next.name(),
            x.due,
            x.decision.index
        ),
        Record::Dispute(x) => format!(
            "disputed the decision at entry {}: {}",
            x.decision.index, x.grounds
        ),
        Record::Resolution(x) => format!(
            "resolved the dispute at entry {}: {}{}: {}",
            x.dispute.index,
            spelled(&x.resolution),
            if x.new_assessment {
                ", a new assessment"
            } else {
                ""
            },
            x.reason
        ),
        Record::Transfer(x) => format!("transferred to party {}: {}", x.to_party, x.reason),
        Record::ToolInventory(x) => format!(
            "tool inventory: {} tools, {} interfaces",
            x.tools.len(),
            x.interfaces.len()
        ),
        other => other.kind().name().to_string(),
    }
}

impl Timeline {
    /// The history as text: a header, one line per statement, the flags.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{} — {}: {} statements up to tree size {}; flags as of {}\n",
            self.facility,
            self.name,
            self.events.len(),
            self.tree_size,
            self.as_of
        );
        for e in &self.events {
            s += &format!(
                "  {}  entry {:<5} {:<17} {:<16} {}\n",
                e.date,
                e.entry,
                e.kind,
                e.party.as_deref().unwrap_or("scheme root"),
                e.what
            );
        }
        if self.flags.is_empty() {
            s += "  nothing overdue\n";
        }
        for w in &self.flags {
            let mark = match w.kind.as_str() {
                k if k.ends_with("overdue") => "OVERDUE ",
                "cpa-expired" => "EXPIRED ",
                _ => "WARNING ",
            };
            s += &format!("  {mark}  {}\n", w.message);
        }
        s
    }
}
