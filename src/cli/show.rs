//! `inspect` and `status`: statements and facilities, readably or as JSON.

use std::path::Path;

use triage_ledger::policy::{self, State};

use super::statements::read;
use super::{CmdResult, Failure};

/// `inspect FILE.cose [--vkey VKEY] [--json]`: a statement or a
/// transparent statement, as `triage_ledger::inspect` reads it.
pub fn inspect(file: &Path, vkey: Option<&str>, json: bool) -> CmdResult {
    let raw = read(file)?;
    let vkey = vkey.map(super::log::load_vkey).transpose()?;
    let view = triage_ledger::inspect::view_statement(&raw, vkey.as_ref())
        .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&view).expect("a view serializes")
        );
    } else {
        print!("{}", view.to_text(&file.display().to_string()));
    }
    if !view.signature_verifies {
        return Err(Failure::verification(format!(
            "{}: the signature does not verify with the certificate it carries",
            file.display()
        )));
    }
    if view.receipts.iter().any(|r| r.verified == Some(false)) {
        return Err(Failure::verification(format!(
            "{}: a receipt does not verify",
            file.display()
        )));
    }
    Ok(())
}

/// `history LEDGER --facility ID [--as-of DATE] [--json]`.
pub fn history(ledger: &Path, facility: &str, as_of: Option<&str>, json: bool) -> CmdResult {
    let as_of = as_of_date(as_of)?;
    let (state, cp): (State, _) = policy::load_state(ledger)?;
    let t = triage_ledger::status::timeline(&state, facility, cp.root().size(), &as_of)
        .ok_or_else(|| {
            Failure::input(format!(
                "facility {facility:?} is not registered in {}",
                ledger.display()
            ))
        })?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&t).expect("a timeline serializes")
        );
    } else {
        print!("{}", t.to_text());
    }
    Ok(())
}

/// `--as-of DATE` checked as a calendar date, or today (UTC).
fn as_of_date(as_of: Option<&str>) -> Result<String, Failure> {
    match as_of {
        Some(d) => {
            triage_ledger::record::parse_date(d).ok_or_else(|| {
                Failure::input(format!(
                    "--as-of {d:?}: expected a YYYY-MM-DD calendar date"
                ))
            })?;
            Ok(d.to_string())
        }
        None => Ok(triage_ledger::status::date_of(super::statements::now())),
    }
}

/// `status LEDGER [--facility ID] [--json] [--as-of DATE]`.
pub fn status(
    ledger: &Path,
    facility: Option<&str>,
    json: bool,
    as_of: Option<&str>,
    overdue: bool,
) -> CmdResult {
    let as_of = as_of_date(as_of)?;
    let (state, cp): (State, _) = policy::load_state(ledger)?;
    let st = triage_ledger::status::ledger_status(&state, cp.root().size(), &as_of, facility);
    if let Some(id) = facility {
        if st.facilities.is_empty() {
            return Err(Failure::input(format!(
                "facility {id:?} is not registered in {}",
                ledger.display()
            )));
        }
    }
    print_status(st, json, overdue);
    Ok(())
}

/// Prints a status (only the overdue facilities with `overdue`), as text
/// or JSON: the same for a ledger here and one served.
fn print_status(mut st: triage_ledger::status::LedgerStatus, json: bool, overdue: bool) {
    if overdue {
        st.keep_overdue();
    }
    if json {
        println!("{}", st.to_json());
    } else {
        print!("{}", st.to_text());
        if overdue && st.facilities.is_empty() {
            println!(
                "no facility has an overdue step or assessment as of {}",
                st.as_of
            );
        }
    }
}

/// `status --url URL [--facility ID] [--json] [--as-of DATE]`: the same
/// output, computed by the service.
pub fn status_remote(
    url: &str,
    facility: Option<&str>,
    json: bool,
    as_of: Option<&str>,
    overdue: bool,
) -> CmdResult {
    use triage_ledger::remote::ClientError;
    let st = triage_ledger::remote::status(url, facility, as_of).map_err(|e| match e {
        ClientError::Status {
            status: 404,
            detail,
        } => Failure::input(detail),
        e => Failure::input(e.to_string()),
    })?;
    print_status(st, json, overdue);
    Ok(())
}
