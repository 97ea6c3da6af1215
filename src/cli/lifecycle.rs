//! `log freeze`, `log rotate` and `log name-predecessor`: a log's last
//! word, its key's hand-over, and its successor's first (FORMATS §28).

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

pub fn rotate(ledger: &Path, new_key: Option<&str>) -> CmdResult {
    use std::sync::Arc;
    use triage_ledger::note::{SigType, Signer, SignerKey};
    use triage_ledger::store::NewKey;
    let l = Ledger::open(ledger)?;
    let origin = l.vkey().name().to_string();
    let (signer, keep): (Arc<dyn Signer>, NewKey) = match new_key {
        Some(uri) => (
            Arc::new(
                triage_ledger::token::TokenSigner::open(uri, &origin)
                    .map_err(|e| super::failure::Failure::of(&e))?,
            ),
            NewKey::Token(uri.to_string()),
        ),
        None => {
            let key = SignerKey::generate(&origin, SigType::Ed25519)
                .map_err(|e| super::failure::Failure::of(&e))?;
            let text = key.to_private_string();
            (Arc::new(key), NewKey::File(text))
        }
    };
    let layout = l.layout().clone();
    let signed = l.rotate(signer, keep)?;
    let r = signed.rotation();
    say!(
        "{}: the log key is handed over at tree size {} (root {})",
        ledger.display(),
        r.root.size(),
        r.root.hash()
    );
    say!("retired: {}", r.old);
    say!("now:     {}", r.new);
    say!(
        "the rotation note, signed by both, is in {}; give witnesses and verifiers the new key (`triage-ledger log vkey {}`)",
        layout.rotations_dir().display(),
        ledger.display()
    );
    Ok(())
}
