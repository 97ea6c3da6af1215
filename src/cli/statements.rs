//! The commands people use to sign, submit, inspect and follow statements.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use triage_ledger::cose::Statement;
use triage_ledger::ledger::{Ledger, Options};
use triage_ledger::policy::{self, Admission};

use super::common::{announce, hex, load_cert, now, out_failure};
use super::failure::{CmdResult, Failure};
use super::verbs::SignArgs;
use triage_ledger::remote::{known::KnownLogs, KeySource, Registrar};

/// Signs a record as the statement of `sign`'s key and certificate.
pub fn sign_record(
    sign: &SignArgs,
    record: &triage_ledger::record::Record,
) -> Result<Statement, Failure> {
    // A key file, or a key in a PKCS#11 token (`--key pkcs11:…`, RFC 7512;
    // the PIN from the environment or the URI's pin-source file).
    let (key, warning) = triage_ledger::token::KeyRef::open(&sign.key)
        .map_err(|e| Failure::input(format!("--key: {e}")))?;
    if let Some(w) = warning {
        tell!("warning: {w}");
    }
    let cert = load_cert(&sign.cert)?;
    key.check_certified(&cert, &sign.cert.display().to_string())
        .map_err(|e| Failure::input(e.to_string()))?;
    policy::sign_statement_with(record, &cert, sign.iat.unwrap_or_else(now), |tbs| {
        key.sign(tbs)
    })
    .map_err(|e| Failure::input(e.to_string()))
}

pub fn run_verb(verb: super::verbs::Verb) -> CmdResult {
    let (sign, record, aside) = super::verbs::build(&verb)?;
    let result = sign_and_deliver(&sign, &record);
    // A seal that was not delivered (refused, or not written) leaves no
    // manifest behind: the manifest is only meaningful with its seal. The
    // one it was to replace is put back.
    let super::verbs::Verb::Seal(super::verbs::SealArgs { manifest, .. }) = &verb else {
        return result;
    };
    match (&result, aside) {
        (Ok(_), Some(old)) => old.discard().map_err(|e| {
            Failure::input(format!(
                "the seal is made, but the manifest it replaces could not be removed: {e}"
            ))
        })?,
        (Ok(_), None) => {}
        (Err(_), Some(old)) => {
            let at = old.aside_path().to_path_buf();
            match old.restore() {
                Ok(()) => tell!(
                    "restored the earlier {}: the seal that was to replace it was not made",
                    manifest.display()
                ),
                Err(e) => tell!(
                    "error: the earlier manifest is still at {} (it could not be put back: {e})",
                    at.display()
                ),
            }
        }
        (Err(_), None) => {
            if std::fs::remove_file(manifest).is_ok() {
                tell!(
                    "removed {}: the seal it belongs to was not made",
                    manifest.display()
                );
            }
        }
    }
    result
}

fn sign_and_deliver(sign: &SignArgs, record: &triage_ledger::record::Record) -> CmdResult {
    let st = sign_record(sign, record)?;
    if let Some(out) = &sign.out {
        triage_ledger::output::write(out, st.bytes(), sign.force, "--out").map_err(out_failure)?;
        announce(out);
        tell!(
            "signed a {} statement ({} bytes, sha256 {})",
            record.kind().name(),
            st.bytes().len(),
            hex(&Sha256::digest(st.bytes()))
        );
        return Ok(());
    }
    let ledger = sign.ledger().ok_or_else(|| {
        Failure::input("--out FILE or --ledger LEDGER is required (or set TRIAGE_LEDGER_LEDGER)")
    })?;
    submit_files(
        &ledger,
        vec![(record.kind().name().to_string(), st.bytes().to_vec())],
        false,
        &sign.wait,
    )
}

fn submit_files(
    ledger: &Path,
    statements: Vec<(String, Vec<u8>)>,
    transparent: bool,
    wait: &super::common::WaitArgs,
) -> CmdResult {
    let l = Ledger::open_with(
        ledger,
        Options {
            wait: wait.on_wait(super::common::waiting(ledger)),
            ..Options::default()
        },
    )?;
    let done = l.submit(&statements, now(), 300)?;
    for w in l.take_warnings() {
        tell!("warning: {w}");
    }
    if let Some(w) = &done.index_warning {
        tell!("warning: the statements are logged, but {w}; the next submission rebuilds what it lacks");
    }
    for ((name, bytes), a) in statements.iter().zip(&done.admissions) {
        let h = hex(&Sha256::digest(bytes));
        let i = match a {
            Admission::New(i) => {
                say!("{name}: entry {i} (sha256 {h})");
                *i
            }
            Admission::Duplicate(i) => {
                say!("{name}: already logged as entry {i} (sha256 {h})");
                *i
            }
        };
        if transparent {
            let out = PathBuf::from(format!("{name}.transparent"));
            // Derived from the statement just logged: replaced on a re-run.
            write_receipt(&l, i, &out, true, true)?;
        }
    }
    tell!("tree size {}", done.checkpoint.root().size());
    Ok(())
}

fn write_receipt(
    ledger: &Ledger,
    index: u64,
    out: &Path,
    transparent: bool,
    force: bool,
) -> CmdResult {
    let l = ledger.snapshot()?;
    let r = ledger.receipt_in(&l, index, now())?;
    let bytes = if transparent {
        let st = Statement::parse(&l.read_entry(index)?)
            .map_err(|e| Failure::input(format!("entry {index}: {e}")))?;
        triage_ledger::cose::transparent_statement(&st, std::slice::from_ref(&r))
    } else {
        r.to_bytes()
    }
    .map_err(|e| Failure::input(e.to_string()))?;
    triage_ledger::output::write(out, &bytes, force, "--out").map_err(out_failure)?;
    tell!(
        "wrote {} ({} of entry {index} against tree size {})",
        out.display(),
        if transparent {
            "transparent statement"
        } else {
            "receipt"
        },
        r.proof().size()
    );
    Ok(())
}

/// `receipt LEDGER --index I --out FILE [--transparent]`.
pub fn receipt(ledger: &Path, index: u64, out: &Path, transparent: bool, force: bool) -> CmdResult {
    write_receipt(&Ledger::open(ledger)?, index, out, transparent, force)
}

/// `upgrade LEDGER`.
pub fn upgrade(ledger: &Path) -> CmdResult {
    match Ledger::open(ledger)?.upgrade() {
        Ok(Some(cp)) => {
            say!(
                "committed the index: entry {} is the commit entry; checkpoint size {}",
                cp.root().size() - 1,
                cp.root().size()
            );
            Ok(())
        }
        Ok(None) => {
            say!("nothing to do: the checkpoint's last entry already commits the index");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// `submit --url URL FILE... [--transparent] [--trust DIR]`: each file
/// registered on its own, and believed only when its receipt verifies
/// against the log's key (`remote::Registrar`: the trust directory's, else
/// the one pinned for URL, else the service's own, pinned on first use).
/// Exit 1 if any was refused or a receipt does not verify (then nothing
/// more is sent, and that file's `.transparent` is not written), 2 if the
/// server could not be used.
pub fn submit_remote(
    url: &str,
    files: &[PathBuf],
    transparent: bool,
    trust: Option<&Path>,
) -> CmdResult {
    use triage_ledger::remote::{ClientError, RegisterError};
    let mut registrar = registrar_for(url, trust)?;
    let mut refused = 0;
    for f in files {
        let bytes = super::common::read_input(f, triage_ledger::input::limit::STATEMENT)?;
        let name = f.display().to_string();
        let h = hex(&Sha256::digest(&bytes));
        let statement = match transparent {
            true => {
                Some(Statement::parse(&bytes).map_err(|e| Failure::input(format!("{name}: {e}")))?)
            }
            false => None,
        };
        match registrar.register(&bytes) {
            Ok(v) => {
                let key = keys(std::slice::from_ref(&v.key));
                match &v.pinned {
                    Some(Ok(file)) => tell!(
                        "pinned the log key {key} of {url} on first use (in {}); later answers must be signed by it",
                        file.display()
                    ),
                    Some(Err(e)) => tell!(
                        "warning: the log key {key} of {url} could not be pinned: {e}; it is learnt from the service again next time"
                    ),
                    None => {}
                }
                say!(
                    "{name}: entry {} (sha256 {h}); receipt verified against {key}",
                    v.index
                );
                if let Some(st) = statement {
                    let t = triage_ledger::cose::transparent_statement(&st, &[v.receipt])
                        .map_err(|e| Failure::input(e.to_string()))?;
                    let out = PathBuf::from(format!("{name}.transparent"));
                    // Derived from the statement just registered: replaced
                    // on a re-run, written whole or not at all.
                    triage_ledger::output::write(&out, &t, true, "--transparent")
                        .map_err(out_failure)?;
                }
            }
            Err(RegisterError::Client(e @ ClientError::Refused { .. })) => {
                refused += 1;
                tell!("error: {name}: {e} (nothing was appended)");
            }
            Err(e) => {
                let mut f = Failure::from(e);
                f.message = format!("{name}: {}", f.message);
                return Err(f);
            }
        }
    }
    match refused {
        0 => Ok(()),
        n => Err(Failure::verification(format!(
            "{n} of {} statements refused",
            files.len()
        ))),
    }
}

/// The registrar of `url`, with the log key its receipts must be signed
/// by (said on stderr when it is known before the first answer).
fn registrar_for(url: &str, trust: Option<&Path>) -> Result<Registrar, Failure> {
    triage_ledger::remote::check_url(url)?;
    let trusted = match trust {
        Some(dir) => {
            let (t, used) = triage_ledger::verify::Trust::open(dir)
                .map_err(|e| Failure::input(format!("--trust {e}")))?;
            Some((t.policy.logs().to_vec(), used.dir))
        }
        None => None,
    };
    let registrar = Registrar::connect(url, trusted, KnownLogs::default_path())?;
    match registrar.source() {
        KeySource::Trust { dir } => tell!(
            "receipts must be signed by the log key {} of the trust directory {}",
            keys(registrar.keys()),
            dir.display()
        ),
        KeySource::Pinned { file } => tell!(
            "receipts must be signed by the log key {} pinned for {url} in {}",
            keys(registrar.keys()),
            file.display()
        ),
        // Said once an answer verifies with it.
        KeySource::FirstUse { .. } => {}
    }
    Ok(registrar)
}

/// Log keys as `name+keyid`, comma-separated.
fn keys(keys: &[triage_ledger::note::VerifierKey]) -> String {
    keys.iter()
        .map(|k| format!("{}+{}", k.name(), k.id()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `submit LEDGER FILE... [--transparent]`.
pub fn submit(
    ledger: &Path,
    files: &[PathBuf],
    transparent: bool,
    wait: &super::common::WaitArgs,
) -> CmdResult {
    let mut statements = Vec::with_capacity(files.len());
    for f in files {
        let bytes = super::common::read_input(f, triage_ledger::input::limit::STATEMENT)?;
        if bytes.len() > triage_ledger::cose::MAX_STATEMENT_SIZE {
            return Err(Failure::input(format!(
                "{}: {} bytes is more than a statement may be (65535); nothing was appended",
                f.display(),
                bytes.len()
            )));
        }
        statements.push((f.display().to_string(), bytes));
    }
    submit_files(ledger, statements, transparent, wait)
}
