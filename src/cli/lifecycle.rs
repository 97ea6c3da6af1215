//! `log freeze` and `log name-predecessor`: a log's last word, and its
//! successor's first (FORMATS §28).

use std::path::Path;

use triage_ledger::ledger::Ledger;

use super::common::load_vkey;
use super::failure::CmdResult;

pub fn freeze(ledger: &Path, successor: Option<&str>, reason: Option<String>) -> CmdResult {
    let successor = successor.map(load_vkey).transpose()?;
    let l = Ledger::open(ledger)?;
    let signed = l.freeze(successor, reason)?;
    let f = signed.frozen();
    say!(
        "{}: frozen at tree size {}, root {}",
        ledger.display(),
        f.root.size(),
        f.root.hash()
    );
    if let Some(s) = &f.successor {
        say!("successor: {s}");
    }
    say!(
        "the freeze note is {}; appends are refused from now",
        l.layout().frozen().display()
    );
    Ok(())
}

pub fn name_predecessor(ledger: &Path, predecessor: &Path) -> CmdResult {
    let l = Ledger::open(ledger)?;
    let p = l.name_predecessor(predecessor)?;
    say!(
        "{} continues {} from its final tree, size {}, root {} ({})",
        ledger.display(),
        p.vkey,
        p.root.size(),
        p.root.hash(),
        l.layout().predecessor().display()
    );
    Ok(())
}
