//! Reports for people: the core's (`triage_ledger_core::report`: the data,
//! from a verified pack, and its HTML), re-exported whole, with a report
//! read directly from a ledger directory (the operator's own view).

pub use triage_ledger_core::report::*;

use crate::ledger::{Ledger, LedgerError};
use crate::note::SignedCheckpoint;
use crate::policy::State;
use crate::text::shell_word;

/// Why a report of a ledger could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FromLedgerError {
    /// The ledger could not be read or replayed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The report could not be made (the facility is not there).
    #[error(transparent)]
    Report(#[from] ReportError),
}

impl crate::class::Classify for FromLedgerError {
    fn class(&self) -> crate::class::Class {
        match self {
            FromLedgerError::Ledger(e) => e.class(),
            FromLedgerError::Report(e) => e.class(),
        }
    }
}

/// A report of `facility` read directly from a ledger directory: the
/// operator's own view, labelled as such (a panel should be given a pack
/// and verify it: the report says how).
pub fn from_ledger(
    ledger: &Ledger,
    facility: &str,
    as_of: &str,
    now: u64,
) -> Result<FacilityReport, FromLedgerError> {
    let (state, cp): (State, SignedCheckpoint) = ledger.replay()?;
    let size = cp.root().size();
    let source = ledger.layout().root().display().to_string();
    let basis = Basis {
        kind: "ledger".into(),
        source: source.clone(),
        verified: None,
        verdict: format!(
            "Read from the ledger {source}, not independently verified"
        ),
        facts: vec![
            (
                "checkpoint".into(),
                format!(
                    "{} at tree size {}, root {}",
                    cp.checkpoint().origin(),
                    size,
                    cp.root().hash().to_hex()
                ),
            ),
            (
                "read".into(),
                "the ledger's own files, by whoever holds them: the log key's signature and the tree were checked when the ledger opened; witnesses and the scheme's trust were not".into(),
            ),
        ],
        failures: Vec::new(),
        not_checked: vec![
            "independent verification: for a panel, make a pack of this facility and report (or verify) it against the scheme's trust, as below".into(),
        ],
        reverify: {
            let (src, pack, html, id) = (
                shell_word(&source),
                shell_word(&format!("{facility}.pack")),
                shell_word(&format!("{facility}.html")),
                shell_word(facility),
            );
            vec![
                format!("triage-ledger pack {src} --facility {id} --out {pack}"),
                format!("triage-ledger verify {pack} --trust TRUST-DIR"),
                format!("triage-ledger report {pack} --trust TRUST-DIR --facility {id} --out {html}"),
            ]
        },
    };
    let note = String::from_utf8_lossy(&cp.to_bytes()).into_owned();
    Ok(build(
        &state, size, facility, as_of, now, basis, note, &source,
    )?)
}

#[cfg(test)]
mod tests;
