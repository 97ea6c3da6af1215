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

mod audit;
mod bundles;
mod commands;
mod common;
mod demo;
mod failure;
mod help;
mod hints;
mod identity;
mod lifecycle;
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

use commands::*;
use failure::config_failure;
pub use failure::CmdResult;

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
    Init(InitArgs),
    /// Build the MP203 demo in DIR: two facilities' lifecycles, refusals, packs, reports, audit.
    Demo(DemoArgs),
    /// Append signed statements (COSE_Sign1 files) if the registration policy admits them all; with --url, register them with a served ledger and verify each receipt against the log's key.
    Submit(SubmitArgs),
    /// Write a COSE Receipt (RFC 9942) for a logged statement against the latest checkpoint.
    Receipt(ReceiptArgs),
    /// Write an evidence pack: statements with receipts against one checkpoint.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["facility", "entry"])))]
    Pack(PackArgs),
    /// Serve the ledger over HTTP (SCITT registration, receipts, tiles, status, packs) until SIGTERM.
    Serve(ServeArgs),
    /// Replay a ledger and check every committed index; on a lie, write a proof (exit 1).
    #[command(group(clap::ArgGroup::new("tree").required(true).args(["ledger", "url"])))]
    Monitor(MonitorArgs),
    /// Commit the index of a ledger made before committed histories (appends one index entry).
    Upgrade(UpgradeArgs),
    /// Verify an evidence pack (or a proof of misbehaviour) offline: DIR/root.pem, and DIR/policy (c2sp tlog-policy) or DIR/log.vkey.
    Verify(VerifyArgs),
    /// Self-monitoring: check that a service's log filed each of your statements (FILE.transparent from submit --transparent) under its facility, from each facility's pack (fetched with your certificate).
    Filed(FiledArgs),
    /// Re-hash a sealed directory; name every missing, changed and extra file (exit 1 if any).
    VerifyBundle(VerifyBundleArgs),
    /// Disclose some files of a sealed bundle: their items (with salts) and one multi-proof.
    Disclose(DiscloseArgs),
    /// Check a disclosure against the seal's root, and with --files the files' contents.
    VerifyDisclosure(VerifyDisclosureArgs),
    /// Show any file the tool writes readably: statement, receipt, pack, manifest, disclosure, checkpoint, certificate, trust policy, witness request.
    Inspect(InspectArgs),
    /// A facility's history: every statement about it in log order, then what is overdue.
    History(HistoryArgs),
    /// One facility as a self-contained HTML page for people: verdict, timeline, coverage, tools, signers, digests.
    Report(ReportArgs),
    /// Write the verifier page: one HTML file that verifies packs in a browser, offline.
    VerifierPage(VerifierPageArgs),
    /// Each facility's lifecycle state.
    Status(StatusArgs),
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
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one page per command to --out DIR.
    Man(ManArgs),
}

impl Command {
    /// Whether the command reads settings (flags' environment variables,
    /// the configuration file). Those that do not run even when the
    /// configuration file has a mistake.
    fn reads_settings(&self) -> bool {
        !matches!(self, Command::Completions(_) | Command::Man(_))
    }

    /// Whether the command serves (it handles SIGINT and SIGTERM itself).
    fn serves(&self) -> bool {
        match self {
            Command::Serve(_) => true,
            Command::Demo(d) => d.serve.is_some(),
            Command::Witness(w) => w.serves(),
            _ => false,
        }
    }

    /// Runs the command.
    fn run(self) -> CmdResult {
        match self {
            Command::Init(a) => a.run(),
            Command::Demo(a) => a.run(),
            Command::Submit(a) => a.run(),
            Command::Receipt(a) => a.run(),
            Command::Pack(a) => a.run(),
            Command::Serve(a) => a.run(),
            Command::Monitor(a) => a.run(),
            Command::Upgrade(a) => a.run(),
            Command::Verify(a) => a.run(),
            Command::Filed(a) => a.run(),
            Command::VerifyBundle(a) => a.run(),
            Command::Disclose(a) => a.run(),
            Command::VerifyDisclosure(a) => a.run(),
            Command::Inspect(a) => a.run(),
            Command::History(a) => a.run(),
            Command::Report(a) => a.run(),
            Command::VerifierPage(a) => a.run(),
            Command::Status(a) => a.run(),
            Command::Verb(v) => statements::run_verb(v),
            Command::Keys(c) => identity::keys(c),
            Command::Cert(c) => identity::cert(c),
            Command::Witness(c) => witness::run(c),
            Command::Log(c) => log::run(c),
            Command::Completions(a) => a.run(),
            Command::Man(a) => a.run(),
        }
    }
}

/// The whole command line as clap sees it: definitions, grouped top-level
/// help, examples and exit codes on every command.
pub(crate) fn command() -> clap::Command {
    use clap::CommandFactory;
    help::decorate(Cli::command())
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
    if !cli.command.serves() {
        clean_up_on_interrupt();
    }
    let result = cli.command.run();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            f.print();
            ExitCode::from(f.code)
        }
    }
}
