//! The top-level commands' arguments, one type per command with its own
//! `run` (`ledger`: commands on a ledger; `reading`: commands on files, the
//! demo, the tool's pages).

mod ledger;
mod reading;

pub(crate) use ledger::*;
pub(crate) use reading::*;

use crate::cli::failure::Failure;

/// LEDGER or --url as given; when neither, TRIAGE_LEDGER_LEDGER, else
/// TRIAGE_LEDGER_URL (a local ledger is preferred to a service).
pub(crate) fn ledger_or_url(
    ledger: Option<std::path::PathBuf>,
    url: Option<String>,
) -> (Option<std::path::PathBuf>, Option<String>) {
    if ledger.is_some() || url.is_some() {
        return (ledger, url);
    }
    match std::env::var_os("TRIAGE_LEDGER_LEDGER") {
        Some(l) => (Some(l.into()), None),
        None => (None, std::env::var("TRIAGE_LEDGER_URL").ok()),
    }
}

/// Neither a ledger nor a URL was given.
fn neither() -> Failure {
    Failure::input("give LEDGER or --url URL (or set TRIAGE_LEDGER_LEDGER or TRIAGE_LEDGER_URL)")
}

/// What a policy ledger's public tree holds (`init --records`, `demo
/// --records`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Records {
    /// A salted commitment to each statement; facilities named by VRF labels.
    Confidential,
    /// Every statement in clear.
    Public,
}
