//! What a pack establishes, for the top of `verify`'s report: the
//! facility's status as its statements (all of them verified) make it, who
//! signed them, and the checkpoint they are in. Read with the checks: a
//! summary of a pack that did not verify says what the pack *claims*.

use serde::Serialize;

use crate::note::SignedCheckpoint;
use crate::policy::{Logged, State};
use crate::status::LedgerStatus;

/// The summary of a pack.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// The log whose checkpoint the pack is in, if the checkpoint verified.
    pub log: Option<String>,
    /// That checkpoint's tree size.
    pub tree_size: Option<u64>,
    /// The facilities' status as the pack's statements make it, with
    /// warnings judged at the date of verification.
    pub status: LedgerStatus,
    /// Who signed the pack's statements.
    pub signers: Vec<Signer>,
}

/// One signer of statements in a pack.
#[derive(Clone, Debug, Serialize)]
pub struct Signer {
    /// The certificate's subject.
    pub subject: String,
    /// Its party; `None` for the scheme root.
    pub party: Option<String>,
    /// The kinds of record it signed here, in log order, without repeats.
    pub signed: Vec<String>,
}

/// Who signed these statements, in order of first appearance, with the
/// kinds of record each signed.
pub fn summarise_signers<'a>(logged: impl Iterator<Item = &'a Logged>) -> Vec<Signer> {
    let mut signers: Vec<Signer> = Vec::new();
    for l in logged {
        let kind = l.record.kind().name().to_string();
        match signers.iter_mut().find(|s| s.subject == l.signer_subject) {
            Some(s) => {
                if !s.signed.contains(&kind) {
                    s.signed.push(kind);
                }
            }
            None => signers.push(Signer {
                subject: l.signer_subject.clone(),
                party: l.signer_party.clone(),
                signed: vec![kind],
            }),
        }
    }
    signers
}

/// The system clock, POSIX seconds.
pub(crate) fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The summary of what `state` (the pack's admitted statements) holds,
/// judged today by the system clock.
pub fn summarise(state: &State, cp: Option<&SignedCheckpoint>) -> Summary {
    summarise_at(state, cp, system_now())
}

/// [`summarise`], judging what is overdue at `now` (POSIX seconds).
pub fn summarise_at(state: &State, cp: Option<&SignedCheckpoint>, now: u64) -> Summary {
    let today = crate::status::date_of(now);
    let size = cp.map(|c| c.root().size());
    let signers = summarise_signers(state.logged());
    Summary {
        log: cp.map(|c| c.checkpoint().origin().to_string()),
        tree_size: size,
        status: crate::status::ledger_status(state, size.unwrap_or(0), &today, None),
        signers,
    }
}

impl Summary {
    /// The summary as text: the facilities' status, then the signers.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for f in &self.status.facilities {
            s += &f.to_text();
        }
        if self.status.facilities.is_empty() {
            s += "no facility's statements are in this pack (scheme-level statements only)\n";
        }
        s += "signed by\n";
        for g in &self.signers {
            s += &format!(
                "  {} ({}): {}\n",
                g.subject,
                g.party
                    .as_deref()
                    .map_or("the scheme root".to_string(), |p| format!("party {p}")),
                g.signed.join(", ")
            );
        }
        s
    }
}
