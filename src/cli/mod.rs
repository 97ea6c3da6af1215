//! Command-line interface. Results go to stdout, diagnostics to stderr.
//! Exit codes, the same for every command: 0 success or verified,
//! 1 verification failed, 2 usage, parse or I/O error.

//! Every line of text goes out through `say!`/`tell!` (stdout/stderr),
//! which pass it through the library's `text::visible`: a string from an
//! input cannot send a control sequence to the terminal.

/// `println!` for text that may hold strings from inputs.
macro_rules! say {
    () => { println!() };
    ($($t:tt)*) => { println!("{}", triage_ledger::text::visible(&format!($($t)*))) };
}
/// `print!`, the same way.
macro_rules! say_raw {
    ($($t:tt)*) => { print!("{}", triage_ledger::text::visible(&format!($($t)*))) };
}
/// `eprintln!`, the same way.
macro_rules! tell {
    () => { eprintln!() };
    ($($t:tt)*) => { eprintln!("{}", triage_ledger::text::visible(&format!($($t)*))) };
}
/// `eprint!`, the same way.
macro_rules! tell_raw {
    ($($t:tt)*) => { eprint!("{}", triage_ledger::text::visible(&format!($($t)*))) };
}

mod bundles;
mod demo;
mod failure;
mod help;
mod identity;
mod log;
mod monitor;
mod packs;
mod progress;
mod serve;
mod show;
mod statements;
mod verbs;
mod witness;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use failure::config_failure;
pub use failure::Failure;

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
    pub fn on_wait(
        &self,
        say: impl Fn(&str) + Send + Sync + 'static,
    ) -> triage_ledger::store::OnWait {
        (!self.no_wait).then(|| triage_ledger::store::Waiting {
            say: std::sync::Arc::new(say),
            limit: std::time::Duration::from_secs(self.wait),
        })
    }
}

/// Result of a command.
pub type CmdResult = Result<(), Failure>;

const AFTER_HELP: &str = help::EXIT_CODES;

/// triage-ledger: a verifiable evidence ledger for MP203 triage-facility assessments.
#[derive(Parser)]
#[command(name = "triage-ledger", version, about, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new ledger: a log key, a signed empty checkpoint; prints the verifier key.
    Init {
        /// The ledger directory to create (must not exist, or be empty).
        ledger: std::path::PathBuf,
        /// The log's origin (also its key name), e.g. `ledger.example.org/mp203`.
        #[arg(long)]
        origin: String,
        /// The scheme root certificate (PEM) that `submit` admits signers against.
        #[arg(long)]
        trust_root: Option<std::path::PathBuf>,
        /// Where the public tree lives: LEDGER/log (the default) or s3://BUCKET/PREFIX
        /// (configured from AWS_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ALLOW_HTTP).
        #[arg(long)]
        public: Option<String>,
        /// The lock that guards the checkpoint of a public tree in a bucket that does not
        /// enforce conditional writes: postgres://USER@HOST:PORT/DB.
        #[arg(long)]
        lock: Option<String>,
    },
    /// Build the MP203 demo in DIR: two facilities' lifecycles, refusals, packs, reports, audit.
    Demo {
        /// Directory to create the demo in (DIR/ledger is the ledger; DIR/reports the HTML reports).
        dir: std::path::PathBuf,
        /// Replace DIR if it holds an earlier demo (a directory that is not a demo is never removed).
        #[arg(long)]
        force: bool,
        /// Then serve the demo ledger over HTTP at this address until SIGTERM or Ctrl-C.
        #[arg(long)]
        serve: Option<String>,
    },
    /// Append signed statements (COSE_Sign1 files) if the registration policy admits them all; with --url, register them with a served ledger and verify each receipt against the log's key.
    Submit {
        /// LEDGER, then the statement files (.cose); with --url, only the files.
        #[arg(required = true, value_name = "LEDGER FILE")]
        paths: Vec<std::path::PathBuf>,
        /// Register with the ledger served at this URL (triage-ledger serve) instead.
        #[arg(long)]
        url: Option<String>,
        /// Also write each statement's transparent form (with its receipt) as FILE.transparent.
        #[arg(long)]
        transparent: bool,
        /// With --url: the trust directory whose log key the receipts must be signed by (else the key pinned for URL, else the service's own, pinned on first use).
        #[arg(long, env = "TRIAGE_LEDGER_TRUST")]
        trust: Option<std::path::PathBuf>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Write a COSE Receipt (RFC 9942) for a logged statement against the latest checkpoint.
    Receipt {
        /// The ledger.
        #[arg(env = "TRIAGE_LEDGER_LEDGER")]
        ledger: std::path::PathBuf,
        /// The statement's log index.
        #[arg(long)]
        index: u64,
        /// Write the receipt here (CBOR; `-` for standard output).
        #[arg(long)]
        out: std::path::PathBuf,
        /// Replace --out if it exists.
        #[arg(long)]
        force: bool,
        /// Write the transparent statement (statement + receipt) instead.
        #[arg(long)]
        transparent: bool,
    },
    /// Write an evidence pack: statements with receipts against one checkpoint.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["facility", "entry"])))]
    Pack {
        /// The ledger (default: TRIAGE_LEDGER_LEDGER, else TRIAGE_LEDGER_URL).
        ledger: Option<std::path::PathBuf>,
        /// Fetch the facility's pack from the ledger served at this URL instead (with --facility).
        #[arg(long, conflicts_with_all = ["ledger", "since", "entry"], requires = "facility")]
        url: Option<String>,
        /// Every statement about this facility.
        #[arg(long)]
        facility: Option<String>,
        /// These entries and the history they rest on (repeatable).
        #[arg(long)]
        entry: Vec<u64>,
        /// Where to write the pack (CBOR; `-` for standard output).
        #[arg(long)]
        out: std::path::PathBuf,
        /// Replace --out if it exists.
        #[arg(long)]
        force: bool,
        /// Add a consistency proof from OLD (an earlier pack or checkpoint of this log).
        #[arg(long)]
        since: Option<std::path::PathBuf>,
    },
    /// Serve the ledger over HTTP (SCITT registration, receipts, tiles, status, packs) until SIGTERM.
    Serve {
        /// The ledger (with a trust root).
        #[arg(env = "TRIAGE_LEDGER_LEDGER")]
        ledger: std::path::PathBuf,
        #[command(flatten)]
        listen: serve::Listen,
        /// How far in the future a statement's iat may be, in seconds.
        #[arg(long, default_value_t = 300)]
        skew: u64,
        /// After each commit, ask this witness to cosign: NAME=URL, NAME a witness of --trust's policy (repeatable).
        #[arg(long, requires = "trust")]
        witness: Vec<String>,
        /// The trust directory whose policy names the witnesses' keys.
        #[arg(long)]
        trust: Option<std::path::PathBuf>,
    },
    /// Replay a ledger and check every committed index; on a lie, write a proof (exit 1).
    #[command(group(clap::ArgGroup::new("tree").required(true).args(["ledger", "url"])))]
    Monitor {
        /// The ledger, or a public tree in object storage (s3://BUCKET/PREFIX; needs --vkey, --trust or a --state that pinned the key).
        ledger: Option<std::path::PathBuf>,
        /// Monitor the tree served at this URL (tlog-tiles: a `serve`, or a static copy of log/) instead; needs --vkey, --trust or a --state that pinned the key.
        #[arg(long, conflicts_with = "ledger")]
        url: Option<String>,
        /// Resume from (and save to) this state file; the first run pins the log key.
        #[arg(long)]
        state: Option<std::path::PathBuf>,
        /// Trust directory: the checkpoint must be signed by its policy's log and carry its witness quorum.
        #[arg(long, conflicts_with = "vkey")]
        trust: Option<std::path::PathBuf>,
        /// The log's verifier key to expect (else the ledger's own, pinned in the state).
        #[arg(long)]
        vkey: Option<std::path::PathBuf>,
        /// List this facility's new statements.
        #[arg(long)]
        facility: Option<String>,
        /// Where to write a proof of misbehaviour (an existing file is kept: the proof goes to FILE.1, FILE.2, …).
        #[arg(long, default_value = "misbehaviour.cbor")]
        proof_out: std::path::PathBuf,
        /// One JSON object (see FORMATS.md §19).
        #[arg(long)]
        json: bool,
    },
    /// Commit the index of a ledger made before committed histories (appends one index entry).
    Upgrade {
        /// The ledger.
        #[arg(env = "TRIAGE_LEDGER_LEDGER")]
        ledger: std::path::PathBuf,
    },
    /// Verify an evidence pack (or a proof of misbehaviour) offline: DIR/root.pem, and DIR/policy (c2sp tlog-policy) or DIR/log.vkey.
    Verify {
        /// The pack.
        file: std::path::PathBuf,
        /// The trust directory (its absolute path and log key are said on stderr, or in --json's "trust").
        #[arg(long, env = "TRIAGE_LEDGER_TRUST")]
        trust: std::path::PathBuf,
        /// Also prove the pack's log extends OLD (an earlier pack, or a checkpoint you kept).
        #[arg(long)]
        since: Option<std::path::PathBuf>,
        /// Fail unless the pack proves it holds every statement of its facility (a pack of selected entries fails too).
        #[arg(long, conflicts_with = "partial")]
        require_complete: bool,
        /// Accept a pack that proves only that its statements are in the log (no committed index); the verdict says PARTIAL.
        #[arg(long)]
        partial: bool,
        /// One JSON object: {"verified": bool, "verdict": string, "scope": {"kind": "complete"|"entries"|"partial", …}, "checks": [{"name", "passed", "detail"}], "not_checked": [string], "warnings": [string], "trust": {"dir", "from", "logs": ["name+keyid"]}, "summary": {…}}.
        #[arg(long)]
        json: bool,
        /// List every check, not only the failed ones.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Re-hash a sealed directory; name every missing, changed and extra file (exit 1 if any).
    VerifyBundle {
        /// The bundle's directory.
        dir: std::path::PathBuf,
        /// The seal statement (.cose).
        #[arg(long)]
        seal: std::path::PathBuf,
        /// The bundle's manifest.
        #[arg(long)]
        manifest: std::path::PathBuf,
        /// No progress line on stderr.
        #[arg(long)]
        quiet: bool,
    },
    /// Disclose some files of a sealed bundle: their items (with salts) and one multi-proof.
    Disclose {
        /// The bundle's manifest.
        #[arg(long)]
        manifest: std::path::PathBuf,
        /// The paths to disclose, as in the manifest.
        #[arg(long, required = true, num_args = 1..)]
        paths: Vec<String>,
        /// Where to write the disclosure (CBOR; `-` for standard output).
        #[arg(long)]
        out: std::path::PathBuf,
        /// Replace --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Check a disclosure against the seal's root, and with --files the files' contents.
    VerifyDisclosure {
        /// The disclosure.
        file: std::path::PathBuf,
        /// The seal statement (.cose).
        #[arg(long)]
        seal: std::path::PathBuf,
        /// A directory holding the disclosed files (at their manifest paths).
        #[arg(long)]
        files: Option<std::path::PathBuf>,
    },
    /// Show any file the tool writes readably: statement, receipt, pack, manifest, disclosure, checkpoint, certificate, trust policy, witness request.
    Inspect {
        /// The file (`-` for standard input).
        file: std::path::PathBuf,
        /// The log's verifier key (or a file holding it), to check receipts and a checkpoint's signature.
        #[arg(long)]
        vkey: Option<String>,
        /// Print one JSON object instead.
        #[arg(long)]
        json: bool,
    },
    /// A facility's history: every statement about it in log order, then what is overdue.
    History {
        /// A ledger directory, or a pack (verified against --trust first).
        #[arg(env = "TRIAGE_LEDGER_LEDGER")]
        source: std::path::PathBuf,
        /// The facility.
        #[arg(long)]
        facility: String,
        /// The trust directory a pack is verified against (its absolute path and log key are said on stderr).
        #[arg(long, env = "TRIAGE_LEDGER_TRUST")]
        trust: Option<std::path::PathBuf>,
        /// Judge what is overdue at this date (YYYY-MM-DD; default today, UTC).
        #[arg(long)]
        as_of: Option<String>,
        /// Print one JSON object instead.
        #[arg(long)]
        json: bool,
    },
    /// One facility as a self-contained HTML page for people: verdict, timeline, coverage, tools, signers, digests.
    Report {
        /// A pack (verified against --trust first), or a ledger directory (its operator's own view).
        #[arg(env = "TRIAGE_LEDGER_LEDGER")]
        source: std::path::PathBuf,
        /// The facility.
        #[arg(long)]
        facility: String,
        /// The trust directory a pack is verified against (its absolute path and log key are said on stderr).
        #[arg(long, env = "TRIAGE_LEDGER_TRUST")]
        trust: Option<std::path::PathBuf>,
        /// The HTML file to write (`-` for standard output).
        #[arg(long)]
        out: std::path::PathBuf,
        /// Replace --out if it exists.
        #[arg(long)]
        force: bool,
        /// Judge what is overdue at this date (YYYY-MM-DD; default today, UTC).
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Each facility's lifecycle state.
    Status {
        /// The ledger (default: TRIAGE_LEDGER_LEDGER, else TRIAGE_LEDGER_URL).
        ledger: Option<std::path::PathBuf>,
        /// Ask the ledger served at this URL instead.
        #[arg(long, conflicts_with = "ledger")]
        url: Option<String>,
        /// Only this facility.
        #[arg(long)]
        facility: Option<String>,
        /// One JSON object: {"tree_size", "statements", "index", "as_of", "designated", "facilities": [{"id", …, "coverage", "warnings"}]} (README).
        #[arg(long)]
        json: bool,
        /// Judge overdue steps, assessments and CPA certificates at this date (YYYY-MM-DD; default today, UTC).
        #[arg(long)]
        as_of: Option<String>,
        /// Only the facilities with an overdue step or assessment.
        #[arg(long)]
        overdue: bool,
    },
    #[command(flatten)]
    Verb(verbs::Verb),
    /// Key pairs for the scheme's signers.
    #[command(subcommand)]
    Keys(identity::KeysCommand),
    /// Certificates: the scheme root and role certificates.
    #[command(subcommand)]
    Cert(identity::CertCommand),
    /// Witnesses: cosign checkpoints only when they extend what was cosigned before.
    #[command(subcommand, after_help = AFTER_HELP)]
    Witness(witness::WitnessCommand),
    /// The transparency log: append, checkpoints, proofs, audit.
    #[command(subcommand, after_help = AFTER_HELP)]
    Log(log::LogCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command to --out DIR.
    Man {
        /// Write triage-ledger.1 and triage-ledger-COMMAND.1 pages here.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Replace pages that exist in --out (otherwise none is written).
        #[arg(long, requires = "out")]
        force: bool,
    },
}

impl Command {
    /// Whether the command reads settings (flags' environment variables,
    /// the configuration file). Those that do not run even when the
    /// configuration file has a mistake.
    fn reads_settings(&self) -> bool {
        !matches!(self, Command::Completions { .. } | Command::Man { .. })
    }
}

/// The whole command line as clap sees it: definitions, grouped top-level
/// help, examples and exit codes on every command.
pub(crate) fn command() -> clap::Command {
    use clap::CommandFactory;
    help::decorate(Cli::command())
}

/// LEDGER or --url as given; when neither, TRIAGE_LEDGER_LEDGER, else
/// TRIAGE_LEDGER_URL (a local ledger is preferred to a service).
fn ledger_or_url(
    ledger: Option<std::path::PathBuf>,
    url: Option<String>,
) -> (Option<std::path::PathBuf>, Option<String>) {
    if ledger.is_some() || url.is_some() {
        return (ledger, url);
    }
    match std::env::var_os("TRIAGE_LEDGER_LEDGER") {
        Some(l) => (Some(l.into()), None),
        None => (None, std::env::var("TRIAGE_LEDGER_URL").ok()),
    }
}

/// `man [--out DIR]`: the manual page on stdout, or every page into DIR.
fn man(out: Option<&std::path::Path>, force: bool) -> CmdResult {
    let render = |page: &clap_mangen::Man| {
        let mut buf = Vec::new();
        page.render(&mut buf)
            .map_err(|e| Failure::input(e.to_string()))?;
        Ok::<_, Failure>(buf)
    };
    let Some(dir) = out else {
        let buf = render(&clap_mangen::Man::new(command()))?;
        return triage_ledger::output::write(std::path::Path::new("-"), &buf, false, "man")
            .map_err(|e| Failure::input(e.to_string()));
    };
    // Every page rendered, and (without --force) none in the way, before
    // one is written.
    fn pages(cmd: clap::Command, into: &mut Vec<clap_mangen::Man>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            pages(sub.clone(), into);
        }
        into.push(clap_mangen::Man::new(cmd));
    }
    let mut cmd = command().disable_help_subcommand(true);
    cmd.build();
    let mut all = Vec::new();
    pages(cmd, &mut all);
    let mut files = Vec::with_capacity(all.len());
    for page in &all {
        files.push((dir.join(page.get_filename()), render(page)?));
    }
    if !force {
        if let Some((p, _)) = files.iter().find(|(p, _)| p.symlink_metadata().is_ok()) {
            return Err(Failure::input(format!(
                "--out {}: the file exists; give --force to replace the pages",
                p.display()
            )));
        }
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::input(format!("--out {}: {e}", dir.display())))?;
    for (path, bytes) in &files {
        triage_ledger::output::write(path, bytes, force, "--out")
            .map_err(|e| Failure::input(e.to_string()))?;
    }
    tell!("wrote {} manual pages to {}", files.len(), dir.display());
    Ok(())
}

/// On SIGINT or SIGTERM, removes the temporary files being written
/// (`triage_ledger::output`) and exits as a shell expects (128 + signal).
/// Services handle the signals themselves, to shut down gracefully.
fn clean_up_on_interrupt() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            triage_ledger::output::remove_temporaries();
            std::process::exit(128 + sig);
        }
    });
}

pub fn main() -> ExitCode {
    use clap::FromArgMatches;
    // Settings from the configuration file, where the environment has none
    // (flags win over both): before any thread exists. A mistake in the
    // file stops only the commands that read settings.
    let config_error = match triage_ledger::config::load() {
        Ok(settings) => {
            for (k, v) in settings {
                std::env::set_var(k, v);
            }
            None
        }
        Err(e) => Some(e),
    };
    let parsed = command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            // --help, --version and `help` print and succeed, whatever the
            // file says; a usage error may come from a setting the file
            // failed to give, so its mistake is said too.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            if let Some(c) = &config_error {
                config_failure(c, code == 0).print();
            }
            return ExitCode::from(code);
        }
    };
    if let Some(c) = &config_error {
        let reads = cli.command.reads_settings();
        let f = config_failure(c, !reads);
        f.print();
        if reads {
            return ExitCode::from(f.code);
        }
    }
    let serving = matches!(
        cli.command,
        Command::Serve { .. } | Command::Demo { serve: Some(_), .. }
    ) || matches!(&cli.command, Command::Witness(w) if w.serves());
    if !serving {
        clean_up_on_interrupt();
    }
    let result = match cli.command {
        Command::Init {
            ledger,
            origin,
            trust_root,
            public,
            lock,
        } => log::init(
            &ledger,
            &origin,
            trust_root.as_deref(),
            public.as_deref(),
            lock.as_deref(),
        ),
        Command::Demo {
            dir,
            force,
            serve: addr,
        } => match (demo::run(&dir, force), addr) {
            (Err(e), _) => Err(e),
            (Ok(()), None) => Ok(()),
            (Ok(()), Some(addr)) => {
                say!();
                say!(
                    "Serving {} (the endpoints are in the README):",
                    dir.join("ledger").display()
                );
                // With the demo's trust policy: packs are made against the
                // last checkpoint its witnesses cosigned.
                serve::serve_with(
                    &dir.join("ledger"),
                    &serve::Listen::plain(&addr),
                    300,
                    &[],
                    Some(&dir.join("trust")),
                )
            }
        },
        Command::Log(cmd) => log::run(cmd),
        Command::Keys(cmd) => identity::keys(cmd),
        Command::Submit {
            paths,
            url,
            transparent,
            trust,
            wait,
        } => match url {
            Some(url) => statements::submit_remote(&url, &paths, transparent, trust.as_deref()),
            None => match paths.split_first() {
                Some((ledger, files)) if !files.is_empty() => {
                    statements::submit(ledger, files, transparent, &wait)
                }
                _ => Err(Failure::input(
                    "give LEDGER and at least one statement file",
                )),
            },
        },
        Command::Serve {
            ledger,
            listen,
            skew,
            witness,
            trust,
        } => serve::serve_with(&ledger, &listen, skew, &witness, trust.as_deref()),
        Command::Receipt {
            ledger,
            index,
            out,
            force,
            transparent,
        } => statements::receipt(&ledger, index, &out, transparent, force),
        Command::Pack {
            ledger,
            url,
            facility,
            entry,
            out,
            force,
            since,
        } => match ledger_or_url(ledger, url) {
            (_, Some(url)) => {
                packs::pack_remote(&url, facility.as_deref().unwrap_or_default(), &out, force)
            }
            (Some(ledger), None) => {
                packs::pack(&ledger, facility, entry, &out, force, since.as_deref())
            }
            (None, None) => Err(Failure::input(
                "give LEDGER or --url URL (or set TRIAGE_LEDGER_LEDGER or TRIAGE_LEDGER_URL)",
            )),
        },
        Command::Verify {
            file,
            trust,
            since,
            require_complete,
            partial,
            json,
            verbose,
        } => packs::verify(
            &file,
            &trust,
            since.as_deref(),
            match (require_complete, partial) {
                (true, _) => triage_ledger::verify::Require::Complete,
                (_, true) => triage_ledger::verify::Require::Partial,
                _ => triage_ledger::verify::Require::Default,
            },
            json,
            verbose,
        ),
        Command::Monitor {
            ledger,
            url,
            state,
            trust,
            vkey,
            facility,
            proof_out,
            json,
        } => {
            let (ledger, url) = ledger_or_url(ledger, url);
            monitor::monitor(
                ledger.as_deref(),
                url.as_deref(),
                state.as_deref(),
                trust.as_deref(),
                vkey.as_deref(),
                facility.as_deref(),
                &proof_out,
                json,
            )
        }
        Command::Upgrade { ledger } => statements::upgrade(&ledger),
        Command::Witness(cmd) => witness::run(cmd),
        Command::VerifyBundle {
            dir,
            seal,
            manifest,
            quiet,
        } => bundles::verify_bundle(&dir, &seal, &manifest, quiet),
        Command::Disclose {
            manifest,
            paths,
            out,
            force,
        } => bundles::disclose(&manifest, &paths, &out, force),
        Command::VerifyDisclosure { file, seal, files } => {
            bundles::verify_disclosure(&file, &seal, files.as_deref())
        }
        Command::History {
            source,
            facility,
            trust,
            as_of,
            json,
        } => show::history(&source, &facility, trust.as_deref(), as_of.as_deref(), json),
        Command::Report {
            source,
            facility,
            trust,
            out,
            force,
            as_of,
        } => show::report(
            &source,
            &facility,
            trust.as_deref(),
            &out,
            force,
            as_of.as_deref(),
        ),
        Command::Inspect { file, vkey, json } => show::inspect(&file, vkey.as_deref(), json),
        Command::Status {
            ledger,
            url,
            facility,
            json,
            as_of,
            overdue,
        } => match ledger_or_url(ledger, url) {
            (_, Some(url)) => {
                show::status_remote(&url, facility.as_deref(), json, as_of.as_deref(), overdue)
            }
            (Some(ledger), None) => show::status(
                &ledger,
                facility.as_deref(),
                json,
                as_of.as_deref(),
                overdue,
            ),
            (None, None) => Err(Failure::input(
                "give LEDGER or --url URL (or set TRIAGE_LEDGER_LEDGER or TRIAGE_LEDGER_URL)",
            )),
        },
        Command::Verb(v) => statements::run_verb(v),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut command(),
                "triage-ledger",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        Command::Man { out, force } => man(out.as_deref(), force),
        Command::Cert(cmd) => identity::cert(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            f.print();
            ExitCode::from(f.code)
        }
    }
}
