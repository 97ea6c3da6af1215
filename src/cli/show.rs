//! `inspect` and `status`: statements and facilities, readably or as JSON.

use std::path::Path;

use sha2::{Digest, Sha256};
use triage_ledger::policy::{self, State};
use triage_ledger::record::*;

use super::statements::{hex, read};
use super::{CmdResult, Failure};

/// `inspect FILE.cose [--vkey VKEY]`: a statement or a transparent statement.
pub fn inspect(file: &Path, vkey: Option<&str>) -> CmdResult {
    let raw = read(file)?;
    let (st, receipts) = triage_ledger::cose::split_transparent(&raw)
        .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?;
    let bytes = st.bytes();
    let h = st.header();
    println!(
        "statement   {} ({} bytes, sha256 {})",
        file.display(),
        bytes.len(),
        hex(&Sha256::digest(bytes))
    );
    println!("type        {}", h.content_type);
    println!("issuer      {}", h.issuer);
    println!("subject     {}", h.subject);
    println!("signed at   {} (POSIX seconds)", h.issued_at);
    let mut verified = false;
    match triage_ledger::identity::Certificate::from_der(&h.x5chain[0]) {
        Ok(c) => {
            verified = st.verify(c.key()).is_ok();
            let sig = if verified {
                "verifies with the certified key"
            } else {
                "DOES NOT VERIFY with the certified key"
            };
            let roles = c.role_names();
            println!(
                "signer      {} (roles: {roles}), signature {sig}",
                c.subject()
            );
        }
        Err(e) => println!("signer      unreadable certificate: {e}"),
    }
    match Record::decode(&h.content_type, st.payload()) {
        Ok(r) => println!("record      {r:#?}"),
        Err(e) => println!("record      invalid: {e}"),
    }
    let vkey = vkey.map(super::log::load_vkey).transpose()?;
    let mut receipts_ok = true;
    for (n, r) in receipts.iter().enumerate() {
        let p = r.proof();
        let what = format!(
            "receipt {}: {} says entry {} of tree size {}",
            n + 1,
            r.issuer(),
            p.index(),
            p.size()
        );
        match &vkey {
            None => println!("{what} (not checked: give --vkey to check it)"),
            Some(k) => match r.verify(bytes, k) {
                Ok(root) => println!("{what}, root {} — verified with {}", root.hash(), k.name()),
                Err(e) => {
                    receipts_ok = false;
                    println!("{what} — DOES NOT VERIFY: {e}");
                }
            },
        }
    }
    println!("not checked: the chain to a trust root, revocation and lifecycle (submit does; the offline verifier will)");
    if !verified {
        return Err(Failure::verification(format!(
            "{}: the signature does not verify with the certificate it carries",
            file.display()
        )));
    }
    if !receipts_ok {
        return Err(Failure::verification(format!(
            "{}: a receipt does not verify",
            file.display()
        )));
    }
    Ok(())
}

fn json_str(s: &str) -> String {
    triage_ledger::verify::json_string(s)
}

fn facility_json(f: &policy::FacilityState) -> String {
    let esc = |s: &str| json_str(s);
    let latest = f.decisions.last();
    let outcome = latest
        .map(|d| format!("{{\"entry\": {}, \"assessment\": \"{}\", \"outcome\": \"{}\", \"overturned\": {}}}", d.index, d.assessment.name(), d.outcome.name(), d.overturned.is_some()))
        .unwrap_or_else(|| "null".into());
    let open_steps: Vec<String> = latest
        .map(|d| {
            d.steps
                .iter()
                .filter(|s| s.accepted.is_none())
                .map(|s| {
                    format!(
                        "{{\"id\": {}, \"due\": {}, \"completed\": {}}}",
                        esc(&s.id),
                        esc(&s.due),
                        s.completion.is_some()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let next = match (
        f.requires_fusa,
        latest.and_then(|d| d.determination.as_ref()),
    ) {
        (true, _) | (false, None) if latest.is_none() || f.requires_fusa => {
            "{\"assessment\": \"FUSA\", \"due\": null}".to_string()
        }
        (_, Some((_, a, due))) => format!(
            "{{\"assessment\": \"{}\", \"due\": {}}}",
            a.name(),
            esc(due)
        ),
        _ => "null".into(),
    };
    let disputes: Vec<String> = f
        .open_disputes
        .iter()
        .map(|(i, d)| format!("{{\"entry\": {i}, \"decision\": {d}}}"))
        .collect();
    format!(
        "{{\"id\": {}, \"name\": {}, \"registered\": {}, \"seals\": {}, \"current\": {outcome}, \"open_steps\": [{}], \"next_assessment\": {next}, \"open_disputes\": [{}]}}",
        esc(&f.id),
        esc(&f.name),
        f.registration,
        f.seals.len(),
        open_steps.join(", "),
        disputes.join(", ")
    )
}

fn facility_text(f: &policy::FacilityState) -> String {
    let mut s = format!(
        "{} — {} (registered at entry {}; {} evidence seals)\n",
        f.id,
        f.name,
        f.registration,
        f.seals.len()
    );
    match f.decisions.last() {
        None => s.push_str("  current:  no decision yet\n"),
        Some(d) => {
            let over = d
                .overturned
                .map(|r| format!(" — overturned by entry {r}"))
                .unwrap_or_default();
            s.push_str(&format!(
                "  current:  {} {} (entry {}){over}\n",
                d.assessment.name(),
                d.outcome.name(),
                d.index
            ));
            for st in d.steps.iter().filter(|st| st.accepted.is_none()) {
                let state = if st.completion.is_some() {
                    "completed, awaiting acceptance"
                } else {
                    "open"
                };
                s.push_str(&format!("  step:     {} due {} — {state}\n", st.id, st.due));
            }
        }
    }
    match f.expected_assessment() {
        Ok(a) => {
            let due = f
                .decisions
                .last()
                .and_then(|d| d.determination.as_ref())
                .filter(|_| !f.requires_fusa)
                .map(|(_, _, due)| format!(" due {due}"))
                .unwrap_or_default();
            s.push_str(&format!("  next:     {}{due}\n", a.name()));
        }
        Err(_) => s.push_str("  next:     awaiting the SSC's determination\n"),
    }
    for (i, d) in &f.open_disputes {
        s.push_str(&format!(
            "  dispute:  entry {i} against decision {d} — open\n"
        ));
    }
    s
}

/// `status LEDGER [--facility ID] [--json]`.
pub fn status(ledger: &Path, facility: Option<&str>, json: bool) -> CmdResult {
    let (state, cp): (State, _) = policy::load_state(ledger)?;
    let facilities: Vec<&policy::FacilityState> = state
        .facilities()
        .values()
        .filter(|f| facility.is_none_or(|id| f.id == id))
        .collect();
    if let Some(id) = facility {
        if facilities.is_empty() {
            return Err(Failure::input(format!(
                "facility {id:?} is not registered in {}",
                ledger.display()
            )));
        }
    }
    if json {
        let items: Vec<String> = facilities.iter().map(|f| facility_json(f)).collect();
        println!(
            "{{\"tree_size\": {}, \"facilities\": [{}]}}",
            cp.root().size(),
            items.join(", ")
        );
    } else {
        println!(
            "ledger {} — {} statements",
            ledger.display(),
            cp.root().size()
        );
        for f in facilities {
            print!("{}", facility_text(f));
        }
    }
    Ok(())
}
