//! `pack` and `verify`: evidence packs for third parties, and their offline
//! verification.

use std::path::Path;

use triage_ledger::ledger::{Ledger, MakePackError, Selection};
use triage_ledger::verify::{old_checkpoint, verify_pack_with, Options, Pack, Require, Trust};

use super::common::{now, read};
use super::failure::{CmdResult, Failure};

/// The checkpoint note an OLD file (a pack or a note) holds. Unreadable is an
/// input error (exit 2); a readable checkpoint that fails its signature is a
/// failed check (exit 1), decided by the caller.
fn read_old(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = old_checkpoint(
        &super::common::read_input(path, triage_ledger::input::limit::NOTE)
            .map_err(|f| f.flag("--since"))?,
    );
    triage_ledger::note::Note::parse(&bytes).map_err(|e| {
        Failure::input(format!(
            "--since {}: neither a pack nor a checkpoint note: {e}",
            path.display()
        ))
    })?;
    Ok(bytes)
}

/// `pack LEDGER (--facility ID | --entry I...) --out FILE [--since OLD]`.
pub fn pack(
    ledger: &Path,
    facility: Option<String>,
    entries: Vec<u64>,
    out: &Path,
    force: bool,
    since: Option<&Path>,
) -> CmdResult {
    let sel = match facility {
        Some(f) => Selection::Facility(f),
        None => Selection::Entries(entries),
    };
    let failure = |e: MakePackError| -> Failure { e.into() };
    let l = Ledger::open(ledger)?;
    let (p, split) = match since {
        None => (l.pack(&sel, now(), None).map_err(failure)?, None),
        Some(path) => l
            .pack_since(&sel, now(), &read_old(path)?)
            .map_err(failure)?,
    };
    let bytes = p.to_bytes().map_err(|e| Failure::input(e.to_string()))?;
    triage_ledger::output::write(out, &bytes, force, "--out")
        .map_err(super::common::out_failure)?;
    super::common::announce(out);
    tell!(
        "wrote a pack of {} statements ({} bytes){}{}",
        p.statements.len(),
        bytes.len(),
        if p.consistency.is_some() {
            ", with a consistency proof from OLD's tree"
        } else {
            ""
        },
        if p.history.is_some() {
            ", with the log's committed index (the pack proves what it holds is complete)"
        } else {
            "; the ledger has no committed index at its checkpoint, so the pack cannot prove it is complete (run `triage-ledger upgrade LEDGER`)"
        }
    );
    match split {
        None => Ok(()),
        Some(s) => Err(Failure::verification(format!(
            "SPLIT VIEW: at tree size {} this ledger has root {}, but OLD has root {}; both are signed by the log key. The pack records this ledger's side",
            s.size, s.ours, s.theirs
        ))),
    }
}

/// `pack --url URL --facility ID --out FILE`: the service's pack.
pub fn pack_remote(url: &str, facility: &str, out: &Path, force: bool) -> CmdResult {
    let bytes = triage_ledger::remote::pack(url, facility).map_err(Failure::from)?;
    triage_ledger::output::write(out, &bytes, force, "--out")
        .map_err(super::common::out_failure)?;
    super::common::announce(out);
    // Which checkpoint it rests on (the service makes packs against the
    // latest one its trust policy accepts): read from the pack itself.
    let size = Pack::parse(&bytes)
        .ok()
        .and_then(|p| triage_ledger::note::Note::parse(&p.checkpoint).ok())
        .and_then(|n| n.text().lines().nth(1)?.parse::<u64>().ok());
    tell!(
        "wrote the pack the service made ({} bytes){}; verify it offline: triage-ledger verify {} --trust DIR",
        bytes.len(),
        size.map(|s| format!(", against its checkpoint of tree size {s}"))
            .unwrap_or_default(),
        triage_ledger::text::shell_word(&out.display().to_string())
    );
    Ok(())
}

/// `verify FILE --trust DIR [--since OLD] [--require-complete | --partial] [--json]`:
/// the trust directory used is said on stderr (`trust: DIR (policy: log
/// NAME+KEYID)`), or in the JSON object's `trust`.
pub fn verify(
    file: &Path,
    trust: &Path,
    since: Option<&Path>,
    require: Require,
    json: bool,
    verbose: bool,
    filed: &[std::path::PathBuf],
) -> CmdResult {
    let (t, used) = Trust::open(trust).map_err(|e| Failure::input(format!("--trust {e}")))?;
    let mut mine = Vec::with_capacity(filed.len());
    for f in filed {
        mine.push((f.display().to_string(), read(f)?));
    }
    let bytes = read(file)?;
    let old = match since {
        None => None,
        Some(path) => Some(read_old(path)?),
    };
    let options = Options {
        since: old.as_deref(),
        require,
        now: None,
    };
    let (mut report, pack) = triage_ledger::verify::verify_file(bytes, &t, &options)
        .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?;
    match &pack {
        Some((p, _)) => triage_ledger::verify::check_filed(&mut report, p, &t, &mine),
        None if !filed.is_empty() => {
            return Err(Failure::input(
                "--filed applies to packs, not to proofs of misbehaviour",
            ))
        }
        None if since.is_some() => {
            return Err(Failure::input(
                "--since applies to packs, not to proofs of misbehaviour",
            ))
        }
        None => {}
    }
    if json {
        report.trust = Some(used);
        say!("{}", report.to_json());
    } else {
        // Which trust, whether it came from a flag, the environment or the
        // configuration file.
        tell!("trust: {used}");
        say_raw!("{}", report.to_text_with(verbose));
    }
    if report.verified() {
        return Ok(());
    }
    let failure = Failure::verification(format!("{} did not verify", file.display()));
    Err(match super::hints::verify(&report, require) {
        Some(h) => failure.hint(h),
        None => failure,
    })
}

/// `filed FILE… --url URL --trust DIR`: self-monitoring. For each facility
/// the files name, the service's pack (read with the signer's certificate)
/// is verified and each file checked to be in it, filed under its facility
/// ([`triage_ledger::verify::check_filed`]). Exit 1 if any is not.
pub fn filed(url: &str, trust: &Path, files: &[std::path::PathBuf]) -> CmdResult {
    let (t, used) = Trust::open(trust).map_err(|e| Failure::input(format!("--trust {e}")))?;
    tell!("trust: {used}");
    let mut named = Vec::with_capacity(files.len());
    for f in files {
        named.push((f.display().to_string(), read(f)?));
    }
    let by = triage_ledger::verify::group_filed(named).map_err(Failure::input)?;
    let mut failed = 0;
    for (facility, mine) in &by {
        let bytes = triage_ledger::remote::pack(url, facility).map_err(Failure::from)?;
        let p = Pack::parse(&bytes)
            .map_err(|e| Failure::input(format!("the pack of {facility}: {e}")))?;
        let mut r = verify_pack_with(
            &p,
            &t,
            &Options {
                since: None,
                require: Require::Default,
                now: None,
            },
        )
        .0;
        if !r.verified() {
            say!("facility {facility}: its pack {}", r.verdict());
        }
        triage_ledger::verify::check_filed(&mut r, &p, &t, mine);
        for c in r.checks.iter().filter(|c| c.name.starts_with("filed: ")) {
            let name = c.name.trim_start_matches("filed: ");
            match c.passed {
                true => say!("ok: {name}: {}", c.detail),
                false => {
                    failed += 1;
                    say!("FAILED: {name}: {}", c.detail)
                }
            }
        }
    }
    match failed {
        0 => {
            say!("filed: every statement is in its facility's committed history");
            Ok(())
        }
        n => Err(Failure::verification(format!(
            "{n} of {} statements are not shown filed under their facility",
            files.len()
        ))),
    }
}
