//! The commands that read what the tool writes (packs, bundles,
//! disclosures, any file), the demo, and the tool's own pages: each one's
//! arguments, and its `run`.

use triage_ledger::verify::Require;

use crate::cli::failure::CmdResult;
use crate::cli::serve::{self, Listen};
use crate::cli::{bundles, demo, help, packs, show};

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Directory to create the demo in (DIR/ledger is the ledger; DIR/reports the HTML reports).
    pub(crate) dir: std::path::PathBuf,
    /// Replace DIR if it holds an earlier demo (a directory that is not a demo is never removed).
    #[arg(long)]
    pub(crate) force: bool,
    /// Then serve the demo ledger over HTTP at this address until SIGTERM or Ctrl-C.
    #[arg(long)]
    pub(crate) serve: Option<String>,
    /// What the ledger's public tree holds: `confidential` (commitments and labels
    /// only) or `public` (every statement in clear).
    #[arg(long, value_enum, default_value_t = super::Records::Confidential)]
    pub(crate) records: super::Records,
}

impl DemoArgs {
    pub(crate) fn run(self) -> CmdResult {
        demo::run(
            &self.dir,
            self.force,
            self.records == super::Records::Confidential,
        )?;
        let Some(addr) = self.serve else {
            return Ok(());
        };
        say!();
        say!(
            "Serving {} (the endpoints are in the README):",
            self.dir.join("ledger").display()
        );
        // With the demo's trust policy: packs are made against the last
        // checkpoint its witnesses cosigned.
        serve::serve_with(
            &self.dir.join("ledger"),
            &Listen::plain(&addr),
            300,
            &[],
            Some(&self.dir.join("trust")),
            None,
        )
    }
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The pack.
    pub(crate) file: std::path::PathBuf,
    /// The trust directory (its absolute path and log key are said on stderr, or in --json's "trust").
    #[arg(long, env = "TRIAGE_LEDGER_TRUST")]
    pub(crate) trust: std::path::PathBuf,
    /// Also prove the pack's log extends OLD (an earlier pack, or a checkpoint you kept).
    #[arg(long)]
    pub(crate) since: Option<std::path::PathBuf>,
    /// Fail unless the pack proves it holds every statement of its facility (a pack of selected entries fails too).
    #[arg(long, conflicts_with = "partial")]
    pub(crate) require_complete: bool,
    /// Accept a pack that proves only that its statements are in the log (no committed index); the verdict says PARTIAL.
    #[arg(long)]
    pub(crate) partial: bool,
    /// One JSON object: {"verified": bool, "verdict": string, "scope": {"kind": "complete"|"entries"|"partial", …}, "checks": [{"name", "passed", "detail"}], "not_checked": [string], "warnings": [string], "trust": {"dir", "from", "logs": ["name+keyid"]}, "summary": {…}}.
    #[arg(long)]
    pub(crate) json: bool,
    /// List every check, not only the failed ones.
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Self-monitoring: also check that each of these statements (yours, as `submit
    /// --transparent` wrote them) is in the pack, filed under its facility (repeatable).
    #[arg(long, value_name = "FILE")]
    pub(crate) filed: Vec<std::path::PathBuf>,
}

impl VerifyArgs {
    pub(crate) fn run(self) -> CmdResult {
        let require = match (self.require_complete, self.partial) {
            (true, _) => Require::Complete,
            (_, true) => Require::Partial,
            _ => Require::Default,
        };
        packs::verify(
            &self.file,
            &self.trust,
            self.since.as_deref(),
            require,
            self.json,
            self.verbose,
            &self.filed,
        )
    }
}

#[derive(clap::Args)]
pub struct FiledArgs {
    /// Your statements with their receipts, as `submit --transparent` wrote them.
    #[arg(required = true)]
    pub(crate) files: Vec<std::path::PathBuf>,
    /// The ledger service (its packs are read with TRIAGE_LEDGER_CERT/KEY, your certificate).
    #[arg(long, env = "TRIAGE_LEDGER_URL")]
    pub(crate) url: String,
    /// The trust directory the packs are verified against (with labels.vrf for a confidential ledger).
    #[arg(long, env = "TRIAGE_LEDGER_TRUST")]
    pub(crate) trust: std::path::PathBuf,
}

impl FiledArgs {
    pub(crate) fn run(self) -> CmdResult {
        packs::filed(&self.url, &self.trust, &self.files)
    }
}

#[derive(clap::Args)]
pub struct VerifyBundleArgs {
    /// The bundle's directory.
    pub(crate) dir: std::path::PathBuf,
    /// The seal statement (.cose).
    #[arg(long)]
    pub(crate) seal: std::path::PathBuf,
    /// The bundle's manifest.
    #[arg(long)]
    pub(crate) manifest: std::path::PathBuf,
    /// No progress line on stderr.
    #[arg(long)]
    pub(crate) quiet: bool,
}

impl VerifyBundleArgs {
    pub(crate) fn run(self) -> CmdResult {
        bundles::verify_bundle(&self.dir, &self.seal, &self.manifest, self.quiet)
    }
}

#[derive(clap::Args)]
pub struct DiscloseArgs {
    /// The bundle's manifest.
    #[arg(long)]
    pub(crate) manifest: std::path::PathBuf,
    /// The paths to disclose, as in the manifest.
    #[arg(long, required = true, num_args = 1..)]
    pub(crate) paths: Vec<String>,
    /// Where to write the disclosure (CBOR; `-` for standard output).
    #[arg(long)]
    pub(crate) out: std::path::PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

impl DiscloseArgs {
    pub(crate) fn run(self) -> CmdResult {
        bundles::disclose(&self.manifest, &self.paths, &self.out, self.force)
    }
}

#[derive(clap::Args)]
pub struct VerifyDisclosureArgs {
    /// The disclosure.
    pub(crate) file: std::path::PathBuf,
    /// The seal statement (.cose).
    #[arg(long)]
    pub(crate) seal: std::path::PathBuf,
    /// A directory holding the disclosed files (at their manifest paths).
    #[arg(long)]
    pub(crate) files: Option<std::path::PathBuf>,
}

impl VerifyDisclosureArgs {
    pub(crate) fn run(self) -> CmdResult {
        bundles::verify_disclosure(&self.file, &self.seal, self.files.as_deref())
    }
}

#[derive(clap::Args)]
pub struct InspectArgs {
    /// The file (`-` for standard input).
    pub(crate) file: std::path::PathBuf,
    /// The log's verifier key (or a file holding it), to check receipts and a checkpoint's signature.
    #[arg(long)]
    pub(crate) vkey: Option<String>,
    /// Print one JSON object instead.
    #[arg(long)]
    pub(crate) json: bool,
}

impl InspectArgs {
    pub(crate) fn run(self) -> CmdResult {
        show::inspect(&self.file, self.vkey.as_deref(), self.json)
    }
}

#[derive(clap::Args)]
pub struct HistoryArgs {
    /// A ledger directory, or a pack (verified against --trust first).
    #[arg(env = "TRIAGE_LEDGER_LEDGER")]
    pub(crate) source: std::path::PathBuf,
    /// The facility.
    #[arg(long)]
    pub(crate) facility: String,
    /// The trust directory a pack is verified against (its absolute path and log key are said on stderr).
    #[arg(long, env = "TRIAGE_LEDGER_TRUST")]
    pub(crate) trust: Option<std::path::PathBuf>,
    /// Judge what is overdue at this date (YYYY-MM-DD; default today, UTC).
    #[arg(long)]
    pub(crate) as_of: Option<String>,
    /// Print one JSON object instead.
    #[arg(long)]
    pub(crate) json: bool,
}

impl HistoryArgs {
    pub(crate) fn run(self) -> CmdResult {
        show::history(
            &self.source,
            &self.facility,
            self.trust.as_deref(),
            self.as_of.as_deref(),
            self.json,
        )
    }
}

#[derive(clap::Args)]
pub struct ReportArgs {
    /// A pack (verified against --trust first), or a ledger directory (its operator's own view).
    #[arg(env = "TRIAGE_LEDGER_LEDGER")]
    pub(crate) source: std::path::PathBuf,
    /// The facility.
    #[arg(long)]
    pub(crate) facility: String,
    /// The trust directory a pack is verified against (its absolute path and log key are said on stderr).
    #[arg(long, env = "TRIAGE_LEDGER_TRUST")]
    pub(crate) trust: Option<std::path::PathBuf>,
    /// The HTML file to write (`-` for standard output).
    #[arg(long)]
    pub(crate) out: std::path::PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    pub(crate) force: bool,
    /// Judge what is overdue at this date (YYYY-MM-DD; default today, UTC).
    #[arg(long)]
    pub(crate) as_of: Option<String>,
}

impl ReportArgs {
    pub(crate) fn run(self) -> CmdResult {
        show::report(
            &self.source,
            &self.facility,
            self.trust.as_deref(),
            &self.out,
            self.force,
            self.as_of.as_deref(),
        )
    }
}

#[derive(clap::Args)]
pub struct VerifierPageArgs {
    /// The verifier's WebAssembly module (scripts/verifier-page builds it:
    /// target/wasm32-unknown-unknown/wasm/triage_ledger_web.wasm).
    #[arg(long)]
    pub(crate) wasm: std::path::PathBuf,
    /// A trust directory the page carries (the scheme's); without it the reader chooses one.
    #[arg(long)]
    pub(crate) trust: Option<std::path::PathBuf>,
    /// The HTML file to write (`-` for standard output).
    #[arg(long)]
    pub(crate) out: std::path::PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

impl VerifierPageArgs {
    pub(crate) fn run(self) -> CmdResult {
        show::verifier_page(&self.wasm, self.trust.as_deref(), &self.out, self.force)
    }
}

#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub(crate) shell: clap_complete::Shell,
}

impl CompletionsArgs {
    pub(crate) fn run(self) -> CmdResult {
        clap_complete::generate(
            self.shell,
            &mut super::super::command(),
            "triage-ledger",
            &mut std::io::stdout(),
        );
        Ok(())
    }
}

#[derive(clap::Args)]
pub struct ManArgs {
    /// Write triage-ledger.1 and triage-ledger-COMMAND.1 pages here.
    #[arg(long)]
    pub(crate) out: Option<std::path::PathBuf>,
    /// Replace pages that exist in --out (otherwise none is written).
    #[arg(long, requires = "out")]
    pub(crate) force: bool,
}

impl ManArgs {
    pub(crate) fn run(self) -> CmdResult {
        help::man(self.out.as_deref(), self.force)
    }
}
