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
            let party = c.party().unwrap_or("none");
            println!(
                "signer      {} (party: {party}; roles: {roles}), signature {sig}",
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

/// `status LEDGER [--facility ID] [--json] [--as-of DATE]`.
pub fn status(ledger: &Path, facility: Option<&str>, json: bool, as_of: Option<&str>) -> CmdResult {
    let as_of = match as_of {
        Some(d) => {
            triage_ledger::record::parse_date(d).ok_or_else(|| {
                Failure::input(format!(
                    "--as-of {d:?}: expected a YYYY-MM-DD calendar date"
                ))
            })?;
            d.to_string()
        }
        None => triage_ledger::status::date_of(super::statements::now()),
    };
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
    if json {
        println!("{}", st.to_json());
    } else {
        print!("{}", st.to_text());
    }
    Ok(())
}

/// `status --url URL [--facility ID] [--json] [--as-of DATE]`: the same
/// output, computed by the service.
pub fn status_remote(
    url: &str,
    facility: Option<&str>,
    json: bool,
    as_of: Option<&str>,
) -> CmdResult {
    use triage_ledger::remote::ClientError;
    let st = triage_ledger::remote::status(url, facility, as_of).map_err(|e| match e {
        ClientError::Status {
            status: 404,
            detail,
        } => Failure::input(detail),
        e => Failure::input(e.to_string()),
    })?;
    if json {
        println!("{}", st.to_json());
    } else {
        print!("{}", st.to_text());
    }
    Ok(())
}
