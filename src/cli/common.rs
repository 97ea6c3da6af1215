//! What the commands share: reading inputs, writing outputs, the clock,
//! references, keys and certificates, and waiting for the writer lock. It
//! imports no other command module, so none imports another in a circle.

use std::io::Write;
use std::path::Path;

use triage_ledger::identity::Certificate;
use triage_ledger::ledger::Ledger;
use triage_ledger::note::VerifierKey;
use triage_ledger::record::Ref;

use super::failure::{CmdResult, Failure};

pub(crate) use triage_ledger::hex::encode as hex;

/// A time argument as `triage_ledger::record::parse_time` reads it.
pub(crate) fn parse_time_arg(s: &str) -> Result<u64, String> {
    triage_ledger::record::parse_time(s)
}

pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Prints the file written (for scripts), unless it went to standard
/// output.
pub(crate) fn announce(out: &Path) {
    if !triage_ledger::output::is_stdout(out) {
        say!("{}", out.display());
    }
}

/// A failed `--out` write, named by its flag.
pub(crate) fn out_failure(e: triage_ledger::output::OutputError) -> Failure {
    let exists = matches!(e, triage_ledger::output::OutputError::Exists { .. });
    let f = Failure::input(e.to_string());
    if exists {
        f.hint("give --force to replace it")
    } else {
        f
    }
}

/// Reads an input file (statement, pack, disclosure, JSON, …), or
/// standard input for `-`, up to the largest any of them may be (a pack's
/// limit), without reading more than that.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    read_input(path, triage_ledger::input::limit::PACK)
}

/// Resolves "INDEX:HEX" on its own, or "INDEX" against a ledger.
pub(crate) fn parse_ref(text: &str, ledger: Option<&Path>) -> Result<Ref, Failure> {
    let bad = |why: &str| Failure::input(format!("reference {text:?}: {why}"));
    match triage_ledger::record::parse_ref_text(text).map_err(|e| bad(&e))? {
        (index, Some(sha256)) => Ok(Ref { index, sha256 }),
        (index, None) => {
            let ledger = ledger
                .ok_or_else(|| bad("a bare index needs --ledger or --refs to look up its hash"))?;
            let l = Ledger::open(ledger)?;
            l.statement_ref(index).map_err(|e| bad(&e.to_string()))
        }
    }
}

pub(crate) fn write_stdout(bytes: &[u8]) -> CmdResult {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| Failure::input(format!("stdout: {e}")))
}

pub(crate) fn read_input(path: &Path, limit: u64) -> Result<Vec<u8>, Failure> {
    triage_ledger::input::read_bounded(path, limit).map_err(|e| Failure::input(e.to_string()))
}

/// `--vkey` takes the key itself or a file that holds it.
pub(crate) fn load_vkey(arg: &str) -> Result<VerifierKey, Failure> {
    if let Ok(k) = VerifierKey::parse(arg) {
        return Ok(k);
    }
    let path = Path::new(arg);
    if !path.exists() {
        return Err(Failure::input(format!(
            "--vkey {arg:?} is neither a verifier key (name+id+key) nor a file"
        )));
    }
    let text = read_input(path, 4096)?;
    let text =
        String::from_utf8(text).map_err(|_| Failure::input(format!("{arg}: not UTF-8 text")))?;
    VerifierKey::parse(text.trim()).map_err(|e| Failure::input(format!("{arg}: {e}")))
}

/// Reads a certificate in PEM or DER.
pub(crate) fn load_cert(path: &Path) -> Result<Certificate, Failure> {
    let data =
        std::fs::read(path).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    let parsed = if data.starts_with(b"-----BEGIN") {
        Certificate::from_pem(&data)
    } else {
        Certificate::from_der(&data)
    };
    parsed.map_err(|e| Failure::input(format!("{}: {e}", path.display())))
}

/// What a writing command says when another writer holds LEDGER, before
/// it waits for it.
pub(crate) fn waiting(ledger: &std::path::Path) -> impl Fn(&str) + Send + Sync + 'static {
    let ledger = ledger.to_path_buf();
    move |holder: &str| {
        tell!(
            "waiting for {}: another writer holds it ({holder}); --no-wait fails instead, --wait SECONDS bounds the wait",
            ledger.display()
        );
    }
}

/// How a writing command waits for another command-line writer of the
/// ledger (a running service is never waited for: it is named at once).
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct WaitArgs {
    /// Fail at once if another writer holds the ledger, instead of waiting for it.
    #[arg(long)]
    pub no_wait: bool,
    /// Wait at most this many seconds for another writer to finish.
    #[arg(long, value_name = "SECONDS", default_value_t = triage_ledger::store::DEFAULT_LOCK_WAIT.as_secs(), conflicts_with = "no_wait")]
    pub wait: u64,
}

impl WaitArgs {
    /// The library's waiting rule for these flags, telling `say`.
    pub(crate) fn on_wait(
        &self,
        say: impl Fn(&str) + Send + Sync + 'static,
    ) -> triage_ledger::store::OnWait {
        (!self.no_wait).then(|| triage_ledger::store::Waiting {
            say: std::sync::Arc::new(say),
            limit: std::time::Duration::from_secs(self.wait),
        })
    }
}
