//! `triage-ledger log audit`: the tree re-read and re-hashed, from a
//! directory, a bucket or a URL, and the state index compared.

use std::path::Path;

use triage_ledger::store;

use triage_ledger::class::Classify;

use super::common::load_vkey;
use super::failure::{CmdResult, Failure};

pub fn audit(ledger: &Path) -> CmdResult {
    // A ledger whose public tree is in a bucket: the local copy is caught
    // up first, then both are audited.
    let published = store::audit_public(ledger).map_err(audit_failure)?;
    let r = store::audit(ledger).map_err(audit_failure)?;
    if published.is_some() {
        say!("the sequencer's copy ({}):", ledger.join("log").display());
    }
    print_audit(&r);
    audit_state_index(ledger)?;
    if let Some(p) = published {
        say!("the public tree ({}):", p.public);
        print_audit(&p.audit);
        say!(
            "ok: the lock ({}), the public tree and this copy hold the same checkpoint",
            p.lock
        );
    }
    say!("audit passed");
    Ok(())
}

/// `log audit --url URL --vkey FILE`: the public tree over HTTP(S).
pub fn audit_remote(url: &str, vkey: &str) -> CmdResult {
    let key = load_vkey(vkey)?;
    let tree = triage_ledger::remote::HttpTree::new(url).map_err(Failure::from)?;
    let r = store::audit_tree(&tree, &key).map_err(audit_failure)?;
    print_audit(&r);
    say!("not checked: the private index of tile interiors and the state index (not part of the public tree)");
    say!("audit passed");
    Ok(())
}

/// `log audit s3://BUCKET/PREFIX --vkey FILE`: the public tree in object
/// storage.
pub fn audit_object(location: &str, vkey: &str) -> CmdResult {
    let key = load_vkey(vkey)?;
    let tree = store::ObjectTree::open(location)?;
    let r = store::audit_tree(&tree, &key).map_err(audit_failure)?;
    print_audit(&r);
    say!("not checked: the private index of tile interiors and the state index (not part of the public tree)");
    say!("audit passed");
    Ok(())
}

pub fn audit_failure(e: store::StoreError) -> Failure {
    let verdict = e.is_verdict();
    let mut f: Failure = e.into();
    if verdict {
        f.message = format!("audit failed: {}", f.message);
    }
    f
}

pub fn print_audit(r: &store::AuditReport) {
    say!(
        "ok: checkpoint signature (tree size {}, root {})",
        r.size,
        r.root
    );
    say!(
        "ok: {} entries in {} bundles re-read and hashed",
        r.size,
        r.bundles
    );
    say!("ok: {} hash tiles recomputed and compared", r.tiles);
    if r.partials_listed {
        say!(
            "ok: {} older partial tiles are prefixes of their tiles",
            r.old_partials
        );
    } else {
        say!("not checked: older partial tiles (a tree over HTTP cannot list them)");
    }
    say!("ok: root recomputed from the entries equals the checkpoint's");
}

/// The persisted state index against a full replay of the log.
fn audit_state_index(ledger: &Path) -> CmdResult {
    use triage_ledger::ledger::{IndexCheck, Ledger};
    match Ledger::open(ledger).and_then(|l| l.check_index()) {
        Ok(IndexCheck::Absent) => {
            say!("ok: no state index (the next submission builds it from the log)")
        }
        Ok(IndexCheck::Behind { size }) => say!(
            "ok: the state index reflects tree size {size}, behind the checkpoint (the next submission replays the rest into it; not compared)"
        ),
        Ok(IndexCheck::NeedsRepair) => say!(
            "ok: the state index was not closed cleanly (a stop while writing it); the next submission repairs it (not compared)"
        ),
        Ok(IndexCheck::Consistent {
            facilities,
            statements,
        }) => say!(
            "ok: state index equals a full replay ({facilities} facilities, {statements} statement digests, the facility map)"
        ),
        Err(e) => {
            return Err(Failure::verification(format!("audit failed: {e}")));
        }
    }
    Ok(())
}
