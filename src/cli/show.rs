//! `inspect` and `status`: statements and facilities, readably or as JSON.

use std::path::Path;

use triage_ledger::policy::State;

use super::common::read;
use super::failure::{CmdResult, Failure};

/// `inspect FILE [--vkey VKEY] [--json]`: any file the tool writes, as
/// `triage_ledger::inspect` reads it; exit 1 if a check it could make
/// failed (a statement's signature, a receipt or checkpoint with --vkey).
pub fn inspect(file: &Path, vkey: Option<&str>, json: bool) -> CmdResult {
    let raw = read(file)?;
    let vkey = vkey.map(super::common::load_vkey).transpose()?;
    let view = triage_ledger::inspect::view_file(file, &raw, vkey.as_ref())
        .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?;
    if json {
        say!(
            "{}",
            serde_json::to_string(&view).expect("a view serializes")
        );
    } else {
        say_raw!("{}", view.to_text(&file.display().to_string()));
    }
    if view.failed() {
        return Err(Failure::verification(format!(
            "{}: a check failed (see above)",
            file.display()
        )));
    }
    Ok(())
}

/// `history LEDGER|PACK --facility ID [--trust DIR] [--as-of DATE] [--json]`.
pub fn history(
    source: &Path,
    facility: &str,
    trust: Option<&Path>,
    as_of: Option<&str>,
    json: bool,
) -> CmdResult {
    let as_of = as_of_date(as_of)?;
    let t = if source.is_dir() {
        let (state, cp): (State, _) = triage_ledger::ledger::Ledger::open(source)?.replay()?;
        triage_ledger::status::timeline(&state, facility, cp.root().size(), &as_of).ok_or_else(
            || {
                Failure::input(format!(
                    "facility {facility:?} is not registered in {}",
                    source.display()
                ))
            },
        )?
    } else {
        let (pack, trust, _) = open_pack(source, trust)?;
        triage_ledger::report::pack_timeline(
            &pack,
            &trust,
            &source.display().to_string(),
            facility,
            &as_of,
        )
        .map_err(|e| Failure::of(&e))?
    };
    if json {
        say!(
            "{}",
            serde_json::to_string(&t).expect("a timeline serializes")
        );
    } else {
        say_raw!("{}", t.to_text());
    }
    Ok(())
}

/// A pack and the trust it is verified against (`--trust`, required; its
/// absolute path, which the report's re-verify commands name). Says on
/// stderr which trust directory it is and the log keys it names.
fn open_pack(
    source: &Path,
    trust: Option<&Path>,
) -> Result<
    (
        triage_ledger::verify::Pack,
        triage_ledger::verify::Trust,
        String,
    ),
    Failure,
> {
    let trust_dir = trust.ok_or_else(|| {
        Failure::input(format!(
            "{} is a pack: give --trust DIR (or TRIAGE_LEDGER_TRUST) to verify it against",
            source.display()
        ))
    })?;
    let (t, used) = triage_ledger::verify::Trust::open(trust_dir)
        .map_err(|e| Failure::input(format!("--trust {e}")))?;
    let bytes = read(source)?;
    let pack = triage_ledger::verify::Pack::parse(&bytes)
        .map_err(|e| Failure::input(format!("{}: {e}", source.display())))?;
    // Which trust, whether it came from a flag, the environment or the
    // configuration file.
    tell!("trust: {used}");
    Ok((pack, t, used.dir.display().to_string()))
}

/// `report PACK|LEDGER --facility ID --out FILE.html [--trust DIR] [--force] [--as-of DATE]`.
/// A pack that does not verify still gets its report (saying so on top),
/// and the command exits 1.
pub fn report(
    source: &Path,
    facility: &str,
    trust: Option<&Path>,
    out: &Path,
    force: bool,
    as_of: Option<&str>,
) -> CmdResult {
    let as_of = as_of_date(as_of)?;
    let now = super::common::now();
    let r = if source.is_dir() {
        triage_ledger::ledger::Ledger::open(source)
            .map_err(Into::into)
            .and_then(|l| triage_ledger::report::from_ledger(&l, facility, &as_of, now))
            .map_err(|e| Failure::of(&e))
    } else {
        let (pack, t, trust_dir) = open_pack(source, trust)?;
        triage_ledger::report::from_pack(
            &pack,
            &t,
            &source.display().to_string(),
            &trust_dir,
            facility,
            &as_of,
            now,
        )
        .map_err(|e| Failure::of(&e))
    }?;
    triage_ledger::output::write(out, r.to_html().as_bytes(), force, "--out")
        .map_err(super::common::out_failure)?;
    if !triage_ledger::output::is_stdout(out) {
        tell!("{}: {}", out.display(), r.basis.verdict);
    }
    match r.basis.verified {
        Some(false) => Err(Failure::verification(format!(
            "{} did not verify (the report says so on top)",
            source.display()
        ))),
        _ => Ok(()),
    }
}

/// `verifier-page --wasm FILE --out FILE.html [--trust DIR] [--force]`: the
/// page, and its SHA-256 on standard output (what the SSC publishes).
pub fn verifier_page(wasm: &Path, trust: Option<&Path>, out: &Path, force: bool) -> CmdResult {
    use triage_ledger::verifier_page::{assemble, read_trust, PageError};
    let module = triage_ledger::input::read_bounded(wasm, 8 << 20)
        .map_err(|e| Failure::input(format!("--wasm {e}")))?;
    let page = trust
        .map(read_trust)
        .transpose()
        .and_then(|files| assemble(&module, files.as_ref()))
        .map_err(|e| match e {
            PageError::Trust(_) => Failure::of(&e).flag("--trust"),
            e => Failure::input(format!("--wasm {}: {e}", wasm.display())),
        })?;
    triage_ledger::output::write(out, page.as_bytes(), force, "--out")
        .map_err(super::common::out_failure)?;
    if !triage_ledger::output::is_stdout(out) {
        use sha2::Digest as _;
        say!(
            "{}: {} bytes, SHA-256 {}",
            out.display(),
            page.len(),
            triage_ledger::hex::encode(&sha2::Sha256::digest(page.as_bytes()))
        );
    }
    Ok(())
}

/// `--as-of DATE` checked as a calendar date, or today (UTC).
fn as_of_date(as_of: Option<&str>) -> Result<String, Failure> {
    match as_of {
        Some(d) => {
            triage_ledger::record::parse_date(d).ok_or_else(|| {
                Failure::input(format!(
                    "--as-of {d:?}: expected a YYYY-MM-DD calendar date"
                ))
            })?;
            Ok(d.to_string())
        }
        None => Ok(triage_ledger::status::date_of(super::common::now())),
    }
}

/// `status LEDGER [--facility ID] [--json] [--as-of DATE]`.
pub fn status(
    ledger: &Path,
    facility: Option<&str>,
    json: bool,
    as_of: Option<&str>,
    overdue: bool,
) -> CmdResult {
    let as_of = as_of_date(as_of)?;
    let (state, cp): (State, _) = triage_ledger::ledger::Ledger::open(ledger)?.replay()?;
    let st = triage_ledger::status::ledger_status(&state, cp.root().size(), &as_of, facility);
    if let Some(id) = facility {
        if st.facilities.is_empty() {
            return Err(Failure::input(format!(
                "facility {id:?} is not registered in {}",
                ledger.display()
            )));
        }
    }
    print_status(st, json, overdue);
    Ok(())
}

/// Prints a status (only the overdue facilities with `overdue`), as text
/// or JSON: the same for a ledger here and one served.
fn print_status(mut st: triage_ledger::status::LedgerStatus, json: bool, overdue: bool) {
    if overdue {
        st.keep_overdue();
    }
    if json {
        say!("{}", st.to_json());
    } else {
        say_raw!("{}", st.to_text());
        if overdue && st.facilities.is_empty() {
            say!(
                "no facility has an overdue step or assessment as of {}",
                st.as_of
            );
        }
    }
}

/// `status --url URL [--facility ID] [--json] [--as-of DATE]`: the same
/// output, computed by the service.
pub fn status_remote(
    url: &str,
    facility: Option<&str>,
    json: bool,
    as_of: Option<&str>,
    overdue: bool,
) -> CmdResult {
    use triage_ledger::remote::ClientError;
    let st = triage_ledger::remote::status(url, facility, as_of).map_err(|e| match e {
        ClientError::Status {
            status: 404,
            detail,
            ..
        } => Failure::input(detail),
        e => e.into(),
    })?;
    print_status(st, json, overdue);
    Ok(())
}
