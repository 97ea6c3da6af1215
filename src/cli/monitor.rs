//! `monitor`: replay a ledger, check every committed index, write a proof
//! of misbehaviour when the log lied.

use std::path::Path;

use triage_ledger::monitor::{monitor as run_monitor, MonitorState};
use triage_ledger::verify::{json_string, utc};

use super::statements::read;
use super::{CmdResult, Failure};

/// `monitor LEDGER [--state FILE] [--trust DIR | --vkey FILE] [--facility ID] [--proof-out FILE] [--json]`.
#[allow(clippy::too_many_arguments)]
pub fn monitor(
    ledger: Option<&Path>,
    url: Option<&str>,
    state_file: Option<&Path>,
    trust: Option<&Path>,
    vkey: Option<&Path>,
    facility: Option<&str>,
    proof_out: &Path,
    json: bool,
) -> CmdResult {
    let state = match state_file {
        Some(p) if p.exists() => Some(
            MonitorState::parse(&read(p)?)
                .map_err(|e| Failure::input(format!("{}: {e}", p.display())))?,
        ),
        _ => None,
    };
    let policy = match (trust, vkey) {
        (Some(dir), _) => Some(
            triage_ledger::verify::Trust::load(dir)
                .map_err(|e| Failure::input(e.to_string()))?
                .policy,
        ),
        (None, Some(p)) => {
            let text = String::from_utf8(read(p)?)
                .map_err(|_| Failure::input(format!("{}: not UTF-8", p.display())))?;
            let key = triage_ledger::note::VerifierKey::parse(text.trim())
                .map_err(|e| Failure::input(format!("{}: {e}", p.display())))?;
            Some(triage_ledger::note::Policy::single_log(key))
        }
        (None, None) => None,
    };
    let object = ledger
        .and_then(Path::to_str)
        .filter(|l| triage_ledger::store::is_object_url(l));
    let (run, next) = match (ledger, url) {
        (Some(_), _) if object.is_some() => {
            let tree = triage_ledger::store::ObjectTree::open(object.unwrap_or_default())?;
            triage_ledger::monitor::monitor_tree(&tree, None, state, policy.as_ref(), facility)?
        }
        (Some(ledger), _) => run_monitor(ledger, state, policy.as_ref(), facility)?,
        (None, Some(url)) => {
            let tree = triage_ledger::remote::HttpTree::new(url).map_err(Failure::from)?;
            triage_ledger::monitor::monitor_tree(&tree, None, state, policy.as_ref(), facility)?
        }
        (None, None) => return Err(Failure::input("give LEDGER or --url URL")),
    };
    // An earlier proof is evidence too: kept, the new one goes beside it.
    let proof_out = match &run.proof {
        Some(proof) => {
            let bytes = proof.to_bytes().map_err(Failure::input)?;
            triage_ledger::output::write_beside(proof_out, &bytes, "--proof-out")
                .map_err(super::statements::out_failure)?
        }
        None => proof_out.to_path_buf(),
    };
    if let (Some(p), Some(s)) = (state_file, &next) {
        s.save(p)?;
    }
    if json {
        let watched: Vec<String> = run
            .watched
            .iter()
            .map(|w| {
                format!(
                    "{{\"index\":{},\"kind\":{},\"issuer\":{},\"iat\":{}}}",
                    w.index,
                    json_string(&w.kind),
                    json_string(&w.issuer),
                    w.issued_at
                )
            })
            .collect();
        say!(
            "{{\"origin\":{},\"from\":{},\"to\":{},\"index_entries\":{},\"commits\":{},\"facilities\":{},\"uncommitted\":{},\"watched\":[{}],\"misbehaviour\":{},\"proof\":{}}}",
            json_string(&run.origin),
            run.from,
            run.to,
            run.index_entries,
            run.commits,
            run.facilities,
            run.pending,
            watched.join(","),
            run.fault
                .as_ref()
                .map_or("null".to_string(), |f| json_string(&f.to_string())),
            if run.proof.is_some() {
                json_string(&proof_out.display().to_string())
            } else {
                "null".into()
            }
        );
    } else {
        if run.from == run.to {
            say!(
                "log {}: nothing new since tree size {} ({} facilities in the index)",
                run.origin,
                run.to,
                run.facilities
            );
        } else {
            say!(
                "log {}: entries {}..{} replayed; {} index entries checked, {} commits recomputed; {} facilities",
                run.origin, run.from, run.to, run.index_entries, run.commits, run.facilities
            );
        }
        if run.pending > 0 {
            say!(
                "not checked: the last {} entries are not yet covered by an index entry (a ledger from before committed histories: run `triage-ledger upgrade LEDGER`)",
                run.pending
            );
        }
        if let Some(f) = facility {
            if run.watched.is_empty() {
                say!("facility {f}: no new statements");
            }
            for w in &run.watched {
                say!(
                    "facility {f}: entry {}: {} by {} at {}",
                    w.index,
                    w.kind,
                    w.issuer,
                    utc(w.issued_at)
                );
            }
        }
    }
    match &run.fault {
        None => Ok(()),
        Some(f) if run.proof.is_none() => Err(Failure::verification(format!(
            "MISBEHAVIOUR: {f}; no other signed entry contradicts it, so no proof file was written"
        ))),
        Some(f) => Err(Failure::verification(format!(
            "MISBEHAVIOUR: {f}; the proof is in {}",
            proof_out.display()
        ))
        .hint(format!(
            "anyone can check it offline: triage-ledger verify {} --trust TRUST",
            proof_out.display()
        ))),
    }
}
