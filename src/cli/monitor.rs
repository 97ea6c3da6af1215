//! `monitor`: replay a ledger, check every committed index, write a proof
//! of misbehaviour when the log lied.

use std::path::Path;

use triage_ledger::monitor::{monitor as run_monitor, monitor_tree, MonitorRun, MonitorState};
use triage_ledger::note::Policy;
use triage_ledger::verify::{json_string, utc};

use super::common::read;
use super::failure::{CmdResult, Failure};

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
    let state = load_state(state_file)?;
    let policy = load_policy(trust, vkey)?;
    let (run, next) = replay(ledger, url, state, policy.as_ref(), facility)?;
    // An earlier proof is evidence too: kept, the new one goes beside it.
    let proof_out = match &run.proof {
        Some(proof) => {
            let bytes = proof.to_bytes().map_err(Failure::input)?;
            triage_ledger::output::write_beside(proof_out, &bytes, "--proof-out")
                .map_err(super::common::out_failure)?
        }
        None => proof_out.to_path_buf(),
    };
    if let (Some(p), Some(s)) = (state_file, &next) {
        s.save(p)?;
    }
    if json {
        say!("{}", run_json(&run, &proof_out));
    } else {
        print_run(&run, facility);
    }
    verdict(&run, &proof_out)
}

fn load_state(state_file: Option<&Path>) -> Result<Option<MonitorState>, Failure> {
    match state_file {
        Some(p) if p.exists() => {
            Ok(Some(MonitorState::parse(&read(p)?).map_err(|e| {
                Failure::input(format!("{}: {e}", p.display()))
            })?))
        }
        _ => Ok(None),
    }
}

/// The trust policy from --trust, or a single-log policy from --vkey.
fn load_policy(trust: Option<&Path>, vkey: Option<&Path>) -> Result<Option<Policy>, Failure> {
    match (trust, vkey) {
        (Some(dir), _) => Ok(Some(
            triage_ledger::verify::Trust::load(dir)
                .map_err(|e| Failure::input(e.to_string()))?
                .policy,
        )),
        (None, Some(p)) => {
            let text = String::from_utf8(read(p)?)
                .map_err(|_| Failure::input(format!("{}: not UTF-8", p.display())))?;
            let key = triage_ledger::note::VerifierKey::parse(text.trim())
                .map_err(|e| Failure::input(format!("{}: {e}", p.display())))?;
            Ok(Some(Policy::single_log(key)))
        }
        (None, None) => Ok(None),
    }
}

/// Replays the ledger (a directory, a bucket, or a service's tree).
fn replay(
    ledger: Option<&Path>,
    url: Option<&str>,
    state: Option<MonitorState>,
    policy: Option<&Policy>,
    facility: Option<&str>,
) -> Result<(MonitorRun, Option<MonitorState>), Failure> {
    let object = ledger
        .and_then(Path::to_str)
        .filter(|l| triage_ledger::store::is_object_url(l));
    Ok(match (ledger, url) {
        (Some(_), _) if object.is_some() => {
            let tree = triage_ledger::store::ObjectTree::open(object.unwrap_or_default())?;
            monitor_tree(&tree, None, state, policy, facility)?
        }
        (Some(ledger), _) => run_monitor(ledger, state, policy, facility)?,
        (None, Some(url)) => {
            let tree = triage_ledger::remote::HttpTree::new(url).map_err(Failure::from)?;
            monitor_tree(&tree, None, state, policy, facility)?
        }
        (None, None) => return Err(Failure::input("give LEDGER or --url URL")),
    })
}

/// `--json`: one object.
fn run_json(run: &MonitorRun, proof_out: &Path) -> String {
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
    format!(
        "{{\"origin\":{},\"from\":{},\"to\":{},\"index_entries\":{},\"commits\":{},\"facilities\":{},\"uncommitted\":{},\"watched\":[{}],\"hidden\":{},\"misbehaviour\":{},\"proof\":{},\"frozen\":{}}}",
        json_string(&run.origin),
        run.from,
        run.to,
        run.index_entries,
        run.commits,
        run.facilities,
        run.pending,
        watched.join(","),
        run.hidden,
        run.fault
            .as_ref()
            .map_or("null".to_string(), |f| json_string(&f.to_string())),
        if run.proof.is_some() {
            json_string(&proof_out.display().to_string())
        } else {
            "null".into()
        },
        run.frozen.as_ref().map_or("null".to_string(), |f| format!(
            "{{\"size\":{},\"successor\":{}}}",
            f.root.size(),
            f.successor
                .as_ref()
                .map_or("null".to_string(), |s| json_string(&s.to_string()))
        ))
    )
}

/// The text report: what was replayed, what was not checked, what the
/// watched facility did.
fn print_run(run: &MonitorRun, facility: Option<&str>) {
    let lists = match run.labelled {
        // A confidential log files the scheme-level statements under a
        // label too: one list more than its facilities.
        true => format!(
            "{} labelled lists (the facilities' and the scheme's)",
            run.facilities
        ),
        false => format!("{} facilities", run.facilities),
    };
    if run.from == run.to {
        say!(
            "log {}: nothing new since tree size {} ({lists} in the index)",
            run.origin,
            run.to,
        );
    } else {
        say!(
            "log {}: entries {}..{} replayed; {} index entries checked, {} commits recomputed; {lists}",
            run.origin, run.from, run.to, run.index_entries, run.commits
        );
    }
    for r in &run.rotations {
        say!(
            "log {}: its key handed over at tree size {} from {} to {} (both signed); the monitor now pins the new key",
            run.origin,
            r.root.size(),
            r.old,
            r.new
        );
    }
    if let Some(f) = &run.frozen {
        say!(
            "log {} is frozen at tree size {}, its final tree (signed by its key){}",
            run.origin,
            f.root.size(),
            f.successor
                .as_ref()
                .map(|s| format!("; its successor is {s}"))
                .unwrap_or_default()
        );
    }
    if run.pending > 0 {
        say!(
            "not checked: the last {} entries are not yet covered by an index entry (a ledger from before committed histories: run `triage-ledger upgrade LEDGER`)",
            run.pending
        );
    }
    if let Some(f) = facility {
        if run.hidden > 0 {
            // Commitments name no facility: saying "no new statements"
            // would claim what was not seen.
            say!(
                "not checked: which of the {} new statements are facility {f}'s: they are commitments (a confidential ledger's public tree); the ledger's own monitor, or the facility's pack, shows them",
                run.hidden
            );
        } else if run.watched.is_empty() {
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

/// Exit 1 on misbehaviour, naming the proof written.
fn verdict(run: &MonitorRun, proof_out: &Path) -> CmdResult {
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
