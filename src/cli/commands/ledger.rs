//! The commands that act on a ledger (a directory, or a service with
//! `--url`): each one's arguments, and its `run`, which only calls the
//! command's module.

use super::{ledger_or_url, neither};
use crate::cli::common::WaitArgs;
use crate::cli::failure::{CmdResult, Failure};
use crate::cli::serve::Listen;
use crate::cli::{log, monitor, packs, serve, show, statements};

#[derive(clap::Args)]
pub struct InitArgs {
    /// The ledger directory to create (must not exist, or be empty).
    pub(crate) ledger: std::path::PathBuf,
    /// The log's origin (also its key name), e.g. `ledger.example.org/mp203`.
    #[arg(long)]
    pub(crate) origin: String,
    /// The scheme root certificate (PEM) that `submit` admits signers against.
    #[arg(long)]
    pub(crate) trust_root: Option<std::path::PathBuf>,
    /// Where the public tree lives: LEDGER/log (the default) or s3://BUCKET/PREFIX
    /// (configured from AWS_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ALLOW_HTTP).
    #[arg(long)]
    pub(crate) public: Option<String>,
    /// The lock that guards the checkpoint of a public tree in a bucket that does not
    /// enforce conditional writes: postgres://USER@HOST:PORT/DB.
    #[arg(long)]
    pub(crate) lock: Option<String>,
    /// What the public tree of a ledger with --trust-root holds: `confidential` (the
    /// default: a salted commitment to each statement, facilities named by VRF labels;
    /// the statements stay in LEDGER/private/openings) or `public` (every statement in
    /// clear, for schemes that want it). A log without --trust-root holds what is
    /// appended, in clear.
    #[arg(long, value_enum)]
    pub(crate) records: Option<super::Records>,
    /// The log's key in a PKCS#11 token instead of a file: an RFC 7512 URI naming
    /// an Ed25519 key made in the token, e.g.
    /// `pkcs11:token=ledger;object=log?module-path=/usr/lib/softhsm/libsofthsm2.so`.
    /// The PIN comes from TRIAGE_LEDGER_PKCS11_PIN or the URI's pin-source=file:PATH,
    /// never from an argument.
    #[arg(long, value_name = "PKCS11_URI")]
    pub(crate) log_key: Option<String>,
}

impl InitArgs {
    pub(crate) fn run(self) -> CmdResult {
        log::init(
            &self.ledger,
            &self.origin,
            self.trust_root.as_deref(),
            self.public.as_deref(),
            self.lock.as_deref(),
            self.records,
            self.log_key.as_deref(),
        )
    }
}

#[derive(clap::Args)]
pub struct SubmitArgs {
    /// LEDGER, then the statement files (.cose); with --url, only the files.
    #[arg(required = true, value_name = "LEDGER FILE")]
    pub(crate) paths: Vec<std::path::PathBuf>,
    /// Register with the ledger served at this URL (triage-ledger serve) instead.
    #[arg(long)]
    pub(crate) url: Option<String>,
    /// Also write each statement's transparent form (with its receipt) as FILE.transparent.
    #[arg(long)]
    pub(crate) transparent: bool,
    /// With --url: the trust directory whose log key the receipts must be signed by (else the key pinned for URL, else the service's own, pinned on first use).
    #[arg(long, env = "TRIAGE_LEDGER_TRUST")]
    pub(crate) trust: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub(crate) wait: WaitArgs,
}

impl SubmitArgs {
    pub(crate) fn run(self) -> CmdResult {
        if let Some(url) = &self.url {
            return statements::submit_remote(
                url,
                &self.paths,
                self.transparent,
                self.trust.as_deref(),
            );
        }
        match self.paths.split_first() {
            Some((ledger, files)) if !files.is_empty() => {
                statements::submit(ledger, files, self.transparent, &self.wait)
            }
            _ => Err(Failure::input(
                "give LEDGER and at least one statement file",
            )),
        }
    }
}

#[derive(clap::Args)]
pub struct ReceiptArgs {
    /// The ledger.
    #[arg(env = "TRIAGE_LEDGER_LEDGER")]
    pub(crate) ledger: std::path::PathBuf,
    /// The statement's log index.
    #[arg(long)]
    pub(crate) index: u64,
    /// Write the receipt here (CBOR; `-` for standard output).
    #[arg(long)]
    pub(crate) out: std::path::PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    pub(crate) force: bool,
    /// Write the transparent statement (statement + receipt) instead.
    #[arg(long)]
    pub(crate) transparent: bool,
}

impl ReceiptArgs {
    pub(crate) fn run(self) -> CmdResult {
        statements::receipt(
            &self.ledger,
            self.index,
            &self.out,
            self.transparent,
            self.force,
        )
    }
}

#[derive(clap::Args)]
pub struct PackArgs {
    /// The ledger (default: TRIAGE_LEDGER_LEDGER, else TRIAGE_LEDGER_URL).
    pub(crate) ledger: Option<std::path::PathBuf>,
    /// Fetch the facility's pack from the ledger served at this URL instead (with --facility).
    #[arg(long, conflicts_with_all = ["ledger", "since", "entry"], requires = "facility")]
    pub(crate) url: Option<String>,
    /// Every statement about this facility.
    #[arg(long)]
    pub(crate) facility: Option<String>,
    /// These entries and the history they rest on (repeatable).
    #[arg(long)]
    pub(crate) entry: Vec<u64>,
    /// Where to write the pack (CBOR; `-` for standard output).
    #[arg(long)]
    pub(crate) out: std::path::PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    pub(crate) force: bool,
    /// Add a consistency proof from OLD (an earlier pack or checkpoint of this log).
    #[arg(long)]
    pub(crate) since: Option<std::path::PathBuf>,
}

impl PackArgs {
    pub(crate) fn run(self) -> CmdResult {
        match ledger_or_url(self.ledger, self.url) {
            (_, Some(url)) => packs::pack_remote(
                &url,
                self.facility.as_deref().unwrap_or_default(),
                &self.out,
                self.force,
            ),
            (Some(ledger), None) => packs::pack(
                &ledger,
                self.facility,
                self.entry,
                &self.out,
                self.force,
                self.since.as_deref(),
            ),
            (None, None) => Err(neither()),
        }
    }
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The ledger (with a trust root).
    #[arg(env = "TRIAGE_LEDGER_LEDGER")]
    pub(crate) ledger: std::path::PathBuf,
    #[command(flatten)]
    pub(crate) listen: Listen,
    /// How far in the future a statement's iat may be, in seconds.
    #[arg(long, default_value_t = 300)]
    pub(crate) skew: u64,
    /// After each commit, ask this witness to cosign: NAME=URL, NAME a witness of --trust's policy (repeatable).
    #[arg(long, requires = "trust")]
    pub(crate) witness: Vec<String>,
    /// The trust directory whose policy names the witnesses' keys (and whose
    /// tsa/*.pem are the TSAs trusted).
    #[arg(long)]
    pub(crate) trust: Option<std::path::PathBuf>,
    /// After each witness round, have this time-stamping authority (RFC 3161,
    /// its URL) stamp the checkpoint; the token is kept in LEDGER/log/timestamps/.
    #[arg(long, requires = "trust")]
    pub(crate) tsa: Option<String>,
}

impl ServeArgs {
    pub(crate) fn run(self) -> CmdResult {
        serve::serve_with(
            &self.ledger,
            &self.listen,
            self.skew,
            &self.witness,
            self.trust.as_deref(),
            self.tsa.as_deref(),
        )
    }
}

#[derive(clap::Args)]
pub struct MonitorArgs {
    /// The ledger, or a public tree in object storage (s3://BUCKET/PREFIX; needs --vkey, --trust or a --state that pinned the key).
    pub(crate) ledger: Option<std::path::PathBuf>,
    /// Monitor the tree served at this URL (tlog-tiles: a `serve`, or a static copy of log/) instead; needs --vkey, --trust or a --state that pinned the key.
    #[arg(long, conflicts_with = "ledger")]
    pub(crate) url: Option<String>,
    /// Resume from (and save to) this state file; the first run pins the log key.
    #[arg(long)]
    pub(crate) state: Option<std::path::PathBuf>,
    /// Trust directory: the checkpoint must be signed by its policy's log and carry its witness quorum.
    #[arg(long, conflicts_with = "vkey")]
    pub(crate) trust: Option<std::path::PathBuf>,
    /// The log's verifier key to expect (else the ledger's own, pinned in the state).
    #[arg(long)]
    pub(crate) vkey: Option<std::path::PathBuf>,
    /// List this facility's new statements.
    #[arg(long)]
    pub(crate) facility: Option<String>,
    /// Where to write a proof of misbehaviour (an existing file is kept: the proof goes to FILE.1, FILE.2, …).
    #[arg(long, default_value = "misbehaviour.cbor")]
    pub(crate) proof_out: std::path::PathBuf,
    /// One JSON object (see FORMATS.md §19).
    #[arg(long)]
    pub(crate) json: bool,
}

impl MonitorArgs {
    pub(crate) fn run(self) -> CmdResult {
        let (ledger, url) = ledger_or_url(self.ledger, self.url);
        monitor::monitor(
            ledger.as_deref(),
            url.as_deref(),
            self.state.as_deref(),
            self.trust.as_deref(),
            self.vkey.as_deref(),
            self.facility.as_deref(),
            &self.proof_out,
            self.json,
        )
    }
}

#[derive(clap::Args)]
pub struct UpgradeArgs {
    /// The ledger.
    #[arg(env = "TRIAGE_LEDGER_LEDGER")]
    pub(crate) ledger: std::path::PathBuf,
}

impl UpgradeArgs {
    pub(crate) fn run(self) -> CmdResult {
        statements::upgrade(&self.ledger)
    }
}

#[derive(clap::Args)]
pub struct StatusArgs {
    /// The ledger (default: TRIAGE_LEDGER_LEDGER, else TRIAGE_LEDGER_URL).
    pub(crate) ledger: Option<std::path::PathBuf>,
    /// Ask the ledger served at this URL instead.
    #[arg(long, conflicts_with = "ledger")]
    pub(crate) url: Option<String>,
    /// Only this facility.
    #[arg(long)]
    pub(crate) facility: Option<String>,
    /// One JSON object: {"tree_size", "statements", "index", "as_of", "designated", "facilities": [{"id", …, "coverage", "warnings"}]} (README).
    #[arg(long)]
    pub(crate) json: bool,
    /// Judge overdue steps, assessments and CPA certificates at this date (YYYY-MM-DD; default today, UTC).
    #[arg(long)]
    pub(crate) as_of: Option<String>,
    /// Only the facilities with an overdue step or assessment.
    #[arg(long)]
    pub(crate) overdue: bool,
}

impl StatusArgs {
    pub(crate) fn run(self) -> CmdResult {
        let (facility, as_of) = (self.facility.as_deref(), self.as_of.as_deref());
        match ledger_or_url(self.ledger, self.url) {
            (_, Some(url)) => show::status_remote(&url, facility, self.json, as_of, self.overdue),
            (Some(ledger), None) => show::status(&ledger, facility, self.json, as_of, self.overdue),
            (None, None) => Err(neither()),
        }
    }
}
