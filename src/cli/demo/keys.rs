//! The demo's key lifecycle (issue 26): a second, small ledger whose log
//! key is moved into a PKCS#11 token by a rotation (SoftHSM2, when it is
//! installed; a new key file otherwise, and the demo says so), with packs
//! from before and after the hand-over that verify under the trust
//! directory made before it. The main demo ledger keeps its key: its saved
//! monitor state, witnesses and trust policy pin it.

use std::path::Path;
use std::sync::Arc;

use triage_ledger::ledger::{Ledger, Selection};
use triage_ledger::note::{SigType, Signer, SignerKey};
use triage_ledger::policy;
use triage_ledger::record::{Record, Registration};
use triage_ledger::store::{self, NewKey};
use triage_ledger::verify::{verify_pack, Trust};

use super::{input, io, Cast};
use crate::cli::failure::{CmdResult, Failure};

/// SoftHSM2's module, where Debian installs it.
const SOFTHSM2: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A token of the demo's own (DIR/lifecycle/tokens), initialised with
/// `softhsm2-util`, and the URI of a log key to make in it; `None` when
/// SoftHSM2 is not installed.
fn demo_token(base: &Path) -> Result<Option<String>, Failure> {
    if !Path::new(SOFTHSM2).exists() {
        return Ok(None);
    }
    let tokens = base.join("tokens");
    std::fs::create_dir_all(&tokens).map_err(io(&tokens))?;
    let conf = base.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .map_err(io(&conf))?;
    let pin = base.join("token.pin");
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&pin)
            .and_then(|mut f| f.write_all(b"1234"))
            .map_err(io(&pin))?;
    }
    let init = std::process::Command::new("softhsm2-util")
        .args(["--init-token", "--free", "--label", "demo-log"])
        .args(["--so-pin", "5678", "--pin", "1234"])
        .env("SOFTHSM2_CONF", &conf)
        .output();
    match init {
        Ok(o) if o.status.success() => {}
        // The module without its tool: treated as not installed.
        Err(_) => return Ok(None),
        Ok(o) => {
            return Err(Failure::input(format!(
                "softhsm2-util --init-token: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )))
        }
    }
    // SoftHSM2 reads its configuration from the environment when the
    // module is loaded; no token was loaded before in this process, and
    // no other thread reads the environment now (edition 2021: safe).
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let abs = std::path::absolute(&pin).map_err(io(&pin))?;
    Ok(Some(format!(
        "pkcs11:token=demo-log;object=log-2027?module-path={SOFTHSM2}&pin-source=file:{}",
        abs.display()
    )))
}

/// Builds DIR/lifecycle: a ledger, a pack, the log key handed over into a
/// token, a pack after; both packs verified under the trust made first.
pub(super) fn lifecycle(dir: &Path, cast: &Cast, now: u64) -> CmdResult {
    let base = dir.join("lifecycle");
    let ledger = base.join("ledger");
    let origin = "demo.triage-ledger.example/lifecycle";
    let vkey = store::init(&ledger, origin)?;
    store::install_trust_root(&ledger, cast.root.cert.to_pem().as_bytes())?;
    let trust_dir = base.join("trust");
    std::fs::create_dir_all(&trust_dir).map_err(io(&trust_dir))?;
    std::fs::write(trust_dir.join("root.pem"), cast.root.cert.to_pem()).map_err(io(&trust_dir))?;
    std::fs::write(trust_dir.join("log.vkey"), format!("{vkey}\n")).map_err(io(&trust_dir))?;
    let register = |facility: &str, at: u64| -> Result<(String, Vec<u8>), Failure> {
        let r = Record::Registration(Registration {
            facility: facility.into(),
            name: format!("{facility} bay (lifecycle demo)"),
            site: "Unit 9, Northgate".into(),
        });
        let st = policy::sign_statement(&r, &cast.op.key, &cast.op.cert, at).map_err(input)?;
        Ok((format!("{facility} registration"), st.bytes().to_vec()))
    };
    let pack = |l: &Ledger, name: &str| -> Result<std::path::PathBuf, Failure> {
        let p = l
            .pack(&Selection::Facility("TF-0100".into()), now + 100, None)?
            .to_bytes()
            .map_err(input)?;
        let out = base.join(name);
        std::fs::write(&out, p).map_err(io(&out))?;
        Ok(out)
    };
    let l = Ledger::open(&ledger)?;
    l.submit(&[register("TF-0100", now)?], now + 100, 300)?;
    let before = pack(&l, "before.pack")?;
    let token = demo_token(&base)?;
    let (signer, keep, into): (Arc<dyn Signer>, NewKey, String) = match &token {
        Some(uri) => {
            triage_ledger::token::generate(uri).map_err(|e| Failure::of(&e))?;
            (
                Arc::new(
                    triage_ledger::token::TokenSigner::open(uri, origin)
                        .map_err(|e| Failure::of(&e))?,
                ),
                NewKey::Token(uri.clone()),
                "a key made inside a SoftHSM2 token (sensitive, never extractable)".into(),
            )
        }
        None => {
            let key = SignerKey::generate(origin, SigType::Ed25519).map_err(|e| Failure::of(&e))?;
            let text = key.to_private_string();
            (
                Arc::new(key),
                NewKey::File(text),
                "a new key file (SoftHSM2 is not installed: `apt-get install softhsm2` to see the key moved into a token)".into(),
            )
        }
    };
    let signed = l.rotate(signer, keep)?;
    let r = signed.rotation();
    let l = Ledger::open(&ledger)?;
    l.submit(&[register("TF-0101", now + 1)?], now + 100, 300)?;
    let after = pack(&l, "after.pack")?;
    drop(l);
    say!();
    say!("Key lifecycle ({}):", base.display());
    say!(
        "  the log key was handed over at tree size {} to {into}",
        r.root.size()
    );
    say!("  retired: {}", r.old);
    say!("  now:     {}", r.new);
    let trust = Trust::load(&trust_dir).map_err(input)?;
    for (what, p) in [("before", &before), ("after", &after)] {
        let bytes = std::fs::read(p).map_err(io(p))?;
        let pk = triage_ledger::verify::Pack::parse(&bytes).map_err(input)?;
        let report = verify_pack(&pk, &trust, None);
        if !report.verified() {
            return Err(Failure::verification(format!(
                "the lifecycle demo's pack from {what} the hand-over did not verify: {}",
                report
                    .checks
                    .iter()
                    .find(|c| !c.passed)
                    .map(|c| format!("{}: {}", c.name, c.detail))
                    .unwrap_or_default()
            )));
        }
        say!(
            "  {}: verified under {} (the trust made before the hand-over; the pack's rotation note hands it on)",
            p.display(),
            trust_dir.display()
        );
    }
    Ok(())
}
