//! `log freeze`, `log rotate` and `log name-predecessor`: a log's last
//! word, its key's hand-over, and its successor's first (FORMATS §28);
//! `log timestamp`, its checkpoint stamped by a TSA (FORMATS §29).

use std::path::Path;

use triage_ledger::ledger::Ledger;
use triage_ledger::remote::TsaClient;

use super::common::load_vkey;
use super::failure::{CmdResult, Failure};

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

/// The TSA a round asks, with the anchors of `trust`'s `tsa/*.pem` that its
/// tokens must chain to (the rule is the library's).
pub fn tsa_client(url: &str, trust: &Path) -> Result<TsaClient, Failure> {
    TsaClient::from_trust_dir(url, trust).map_err(|e| {
        let flag = match e {
            triage_ledger::remote::StampError::Net(_) => "--tsa",
            _ => "--trust",
        };
        Failure::of(&e).flag(flag)
    })
}

/// `log timestamp LEDGER --tsa URL --trust DIR` (and the end of `witness run
/// --tsa`): the latest checkpoint stamped and the token kept.
pub fn timestamp(l: &Ledger, tsa: &TsaClient) -> CmdResult {
    let s = triage_ledger::remote::stamp_ledger(l, tsa).map_err(|e| Failure::of(&e))?;
    say!(
        "tree size {} existed {}; token kept in {}",
        s.size,
        s.verified.describe(),
        s.path.display()
    );
    Ok(())
}
