//! `witness …`: an offline c2sp.org/tlog-witness. The log side makes a
//! request (`witness request`), the witness answers it (`witness cosign`),
//! the log attaches the answer (`witness attach`); `witness run` does all
//! three when both directories are on this machine.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use triage_ledger::ledger::Ledger;
use triage_ledger::note::MAX_NOTE_SIZE;
use triage_ledger::witness::{
    cosign_ledger, cosign_ledger_remote, request_for, AddCheckpoint, Cosigned, RemoteError,
    RoundError, Witness, WitnessError,
};

use super::common::now;
use super::common::{load_vkey, read_input};
use super::failure::{CmdResult, Failure};

#[derive(Subcommand)]
pub enum WitnessCommand {
    /// Create a witness: a cosigning key (type 0x04) and an empty state; prints its verifier key.
    New {
        /// The witness directory to create.
        dir: PathBuf,
        /// The witness's key name, e.g. `witness.example.org/w1`.
        #[arg(long)]
        name: String,
        /// Cosign with the Ed25519 key in a PKCS#11 token that this RFC 7512 URI names
        /// (made with `keys new-in-token`) instead of a key file; the PIN from
        /// TRIAGE_LEDGER_PKCS11_PIN or the URI's pin-source=file:PATH.
        #[arg(long, value_name = "PKCS11_URI")]
        key: Option<String>,
    },
    /// Witness a log: trust its key for checkpoints of its origin (the key name);
    /// or follow its key's rotation note (the new key added, the old one retired
    /// at the hand-over).
    #[command(group(clap::ArgGroup::new("what").required(true).args(["vkey", "rotation"])))]
    AddLog {
        /// The witness directory.
        dir: PathBuf,
        /// The log's verifier key, or a file holding it.
        #[arg(long)]
        vkey: Option<String>,
        /// A rotation note of a log it witnesses (LEDGER/log/rotations/NNNN).
        #[arg(long)]
        rotation: Option<PathBuf>,
    },
    /// Replace the witness's cosigning key (the logs it witnesses and the sizes it
    /// cosigned stay); prints the old and the new key. Verifiers then need the new key
    /// in their policy and the scheme root's trust update ending the old one
    /// (`cert sign-trust-update`).
    Rotate {
        /// The witness directory.
        dir: PathBuf,
        /// The new key in a PKCS#11 token (made with `keys new-in-token`); without it, a
        /// new key file.
        #[arg(long = "key", value_name = "PKCS11_URI")]
        key: Option<String>,
    },
    /// (Log side) Write an add-checkpoint request for the ledger's checkpoint.
    Request {
        /// The ledger.
        #[arg(env = "TRIAGE_LEDGER_LEDGER")]
        ledger: PathBuf,
        /// The size the witness last cosigned (0 if never; a 409 answer names it).
        #[arg(long, default_value_t = 0)]
        old: u64,
        /// Where to write the request ("-" for stdout).
        #[arg(long)]
        out: PathBuf,
        /// Replace --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// (Witness side) Answer an add-checkpoint request: cosign, or refuse with the spec's reason.
    Cosign {
        /// The witness directory.
        dir: PathBuf,
        /// The request ("-" for stdin).
        #[arg(long)]
        request: PathBuf,
        /// Where to write the cosignature lines ("-" for stdout).
        #[arg(long)]
        out: PathBuf,
        /// Replace --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// (Log side) Attach a witness's answer to the ledger's checkpoint.
    Attach {
        /// The ledger.
        #[arg(env = "TRIAGE_LEDGER_LEDGER")]
        ledger: PathBuf,
        /// The witness's verifier key, or a file holding it.
        #[arg(long)]
        witness: String,
        /// The witness's answer (cosignature lines; "-" for stdin).
        #[arg(long)]
        cosignature: PathBuf,
    },
    /// Request, cosign and attach in one go, for a witness directory on this machine.
    #[command(group(clap::ArgGroup::new("where").required(true).args(["dir", "url"])))]
    Run {
        /// The witness directory (a witness on this machine).
        dir: Option<PathBuf>,
        /// Or the witness's URL (c2sp.org/tlog-witness over HTTP).
        #[arg(long, requires = "witness")]
        url: Option<String>,
        /// With --url: the witness's verifier key, or a file holding it.
        #[arg(long)]
        witness: Option<String>,
        /// The ledger whose latest checkpoint to cosign.
        #[arg(long, env = "TRIAGE_LEDGER_LEDGER")]
        ledger: PathBuf,
        /// Also have this time-stamping authority (RFC 3161, its URL) stamp the
        /// checkpoint, once for the round (as `log timestamp`).
        #[arg(long, requires = "trust")]
        tsa: Option<String>,
        /// With --tsa: the trust directory whose tsa/*.pem are the TSAs trusted.
        #[arg(long, env = "TRIAGE_LEDGER_TRUST")]
        trust: Option<PathBuf>,
    },
    /// Serve the witness over HTTP (POST /add-checkpoint) until SIGTERM or Ctrl-C.
    Serve {
        /// The witness directory.
        dir: PathBuf,
        #[command(flatten)]
        listen: super::serve::Listen,
    },
    /// Show the witness's key, the logs it witnesses and the last size it cosigned for each.
    Status {
        /// The witness directory.
        dir: PathBuf,
    },
}

fn refusal(e: WitnessError) -> Failure {
    let hint = match &e {
        WitnessError::Conflict { size, .. } => Some(format!(
            "make the request again with --old {size} (a conflict at equal size is a split view: keep both checkpoints)"
        )),
        WitnessError::UnknownLog(_) => {
            Some("add the log first: triage-ledger witness add-log DIR --vkey LOG.vkey".into())
        }
        _ => None,
    };
    let mut f = Failure::of(&e);
    f.message = format!("witness refused: {e}");
    match hint {
        Some(h) => f.hint(h),
        None => f,
    }
}

fn write_out(out: &Path, bytes: &[u8], force: bool) -> CmdResult {
    triage_ledger::output::write(out, bytes, force, "--out").map_err(super::common::out_failure)
}

impl WitnessCommand {
    /// True for `witness serve`, which handles SIGINT and SIGTERM itself.
    pub fn serves(&self) -> bool {
        matches!(self, WitnessCommand::Serve { .. })
    }
}

pub fn run(cmd: WitnessCommand) -> CmdResult {
    match cmd {
        WitnessCommand::New { dir, name, key } => {
            let vkey = match key {
                Some(uri) => Witness::create_with_token(&dir, &name, &uri),
                None => Witness::create(&dir, &name),
            }
            .map_err(refusal)?;
            say!("{vkey}");
            Ok(())
        }
        WitnessCommand::AddLog {
            dir,
            vkey: None,
            rotation: Some(note),
        } => {
            let mut w = Witness::open(&dir).map_err(refusal)?;
            let bytes = std::fs::read(&note)
                .map_err(|e| Failure::input(format!("{}: {e}", note.display())))?;
            let r = w.follow_rotation(&bytes).map_err(refusal)?;
            tell!(
                "following the hand-over of log {} at tree size {}: key {} retired, {} witnessed",
                r.origin,
                r.root.size(),
                r.old.id(),
                r.new.id()
            );
            Ok(())
        }
        WitnessCommand::AddLog { dir, vkey, .. } => {
            let mut w = Witness::open(&dir).map_err(refusal)?;
            let vkey = vkey.ok_or_else(|| Failure::input("give --vkey or --rotation"))?;
            let log = load_vkey(&vkey)?;
            w.add_log(log.clone()).map_err(refusal)?;
            tell!("witnessing log {} (key id {})", log.name(), log.id());
            Ok(())
        }
        WitnessCommand::Request {
            ledger,
            old,
            out,
            force,
        } => {
            let l = Ledger::open(&ledger)?.snapshot()?;
            write_out(&out, &request_for(&l, old)?.to_bytes(), force)
        }
        WitnessCommand::Cosign {
            dir,
            request,
            out,
            force,
        } => cosign(&dir, &request, &out, force),
        WitnessCommand::Attach {
            ledger,
            witness,
            cosignature,
        } => {
            let wkey = load_vkey(&witness)?;
            let answer = read_input(&cosignature, 64 * 1024)?;
            let cp = Ledger::open(&ledger)?.attach_cosignatures(&wkey, &answer)?;
            tell!(
                "attached {}'s cosignature to checkpoint size {}",
                wkey.name(),
                cp.root().size()
            );
            Ok(())
        }
        WitnessCommand::Serve { dir, listen } => serve(&dir, &listen),
        WitnessCommand::Run {
            dir,
            url,
            witness,
            ledger,
            tsa,
            trust,
        } => {
            // The TSA's trust is read before the round, so a wrong one stops it.
            let tsa = match (tsa, trust) {
                (Some(u), Some(t)) => Some(super::lifecycle::tsa_client(&u, &t)?),
                _ => None,
            };
            run_round(dir.as_deref(), url.as_deref(), witness.as_deref(), &ledger)?;
            match tsa {
                Some(t) => super::lifecycle::timestamp(&Ledger::open(&ledger)?, &t),
                None => Ok(()),
            }
        }
        WitnessCommand::Status { dir } => status(&dir),
        WitnessCommand::Rotate { dir, key } => {
            let (old, new) = Witness::rotate_key(&dir, key.as_deref()).map_err(refusal)?;
            say!("retired: {old}");
            say!("now:     {new}");
            say!(
                "give verifiers the new key (a `witness` line in their policy) and the scheme root's trust update ending the old one: `triage-ledger cert sign-trust-update … --in` a file with `witness {old} until {}`",
                triage_ledger::verify::utc(super::common::now())
            );
            Ok(())
        }
    }
}

/// `witness cosign DIR --request FILE --out FILE`: the answer, or on a
/// conflict the size the witness holds (as the spec's 409 body).
fn cosign(dir: &Path, request: &Path, out: &Path, force: bool) -> CmdResult {
    let w = Witness::open(dir).map_err(refusal)?;
    let body = read_input(request, (MAX_NOTE_SIZE + 8192) as u64)?;
    let req = AddCheckpoint::parse(&body).map_err(refusal)?;
    match w.add_checkpoint(&req, now()) {
        Ok(sig) => write_out(out, sig.to_line().as_bytes(), force),
        Err(e) => {
            // As the spec's 409 body (text/x.tlog.size): the size.
            if let WitnessError::Conflict { size, .. } = &e {
                write_out(out, format!("{size}\n").as_bytes(), force)?;
            }
            Err(refusal(e))
        }
    }
}

/// `witness run`: one round, with a witness directory or over HTTP.
fn run_round(
    dir: Option<&Path>,
    url: Option<&str>,
    witness: Option<&str>,
    ledger: &Path,
) -> CmdResult {
    let c = match (dir, url, witness) {
        (Some(dir), _, _) => run_local(dir, ledger)?,
        (None, Some(url), Some(w)) => {
            let wkey = load_vkey(w)?;
            cosign_ledger_remote(url, &wkey, &Ledger::open(ledger)?).map_err(round_failure)?
        }
        _ => {
            return Err(Failure::input(
                "give a witness directory, or --url and --witness",
            ))
        }
    };
    tell!(
        "{} cosigned {} at size {} (consistent with size {})",
        c.witness,
        c.origin,
        c.size,
        c.old
    );
    Ok(())
}

/// `witness status DIR`: each log and the size last cosigned.
fn status(dir: &Path) -> CmdResult {
    let w = Witness::open(dir).map_err(refusal)?;
    say!("witness {}", w.vkey());
    for log in w.logs() {
        match w.latest(log.name()).map_err(refusal)? {
            Some(cp) => say!(
                "log {} last cosigned size {} root {}",
                log.name(),
                cp.size(),
                cp.root().hash()
            ),
            None => say!("log {} never cosigned", log.name()),
        }
    }
    Ok(())
}

/// Has the witness in `dir` cosign the ledger's latest checkpoint and
/// attaches the cosignature (the round is the library's).
pub fn run_local(dir: &Path, ledger: &Path) -> Result<Cosigned, Failure> {
    cosign_ledger(dir, &Ledger::open(ledger)?, now()).map_err(round_failure)
}

pub(super) fn round_failure(e: RoundError) -> Failure {
    match e {
        RoundError::Witness(w) => refusal(w),
        RoundError::Store(s) => s.into(),
        RoundError::Remote(RemoteError::Net(n)) => {
            let mut f = Failure::input(format!("witness: {n}"));
            f.code = super::failure::exit_code(triage_ledger::class::Class::Unavailable);
            match super::hints::net(&n) {
                Some(h) => f.hint(h),
                None => f,
            }
        }
        e @ RoundError::Remote(RemoteError::Refused { .. }) => {
            let mut f = Failure::of(&e);
            if let RoundError::Remote(RemoteError::Refused { status, message }) = &e {
                if *status == 400 || *status >= 500 {
                    f.message = format!("witness refused: {status}: {message}");
                }
            }
            f
        }
        e => Failure::of(&e),
    }
}

/// `witness serve DIR --listen ADDR`: prints the address it listens on,
/// then serves until SIGTERM or Ctrl-C (finishing requests in flight).
fn serve(dir: &Path, listen: &super::serve::Listen) -> CmdResult {
    // Fail early, before listening, if the directory is no witness.
    Witness::open(dir).map_err(refusal)?;
    triage_ledger::server::init_logging();
    let router = triage_ledger::server::witness::router(dir.to_path_buf());
    super::serve::run_service(listen, router, None, &|_| {})
}
