//! The signing verbs, one per record kind: each verb's arguments build its
//! record (`lifecycle`, `scheme`); `statements.rs` signs it and writes or
//! submits it.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use sha2::{Digest, Sha256};
use triage_ledger::bundle::SetAside;
use triage_ledger::record::*;

mod lifecycle;
mod scheme;

pub(crate) use lifecycle::*;
pub(crate) use scheme::*;

use super::common::{parse_ref, parse_time_arg, read, WaitArgs};
use super::failure::Failure;

#[derive(Subcommand)]
pub enum Verb {
    /// Register a Triage Facility; it belongs to the signer's party (operator).
    Register(RegisterArgs),
    /// Seal an evidence bundle: hash every file of DIR, write the manifest, sign the commitment (operator).
    Seal(SealArgs),
    /// Countersign a sealed bundle (user-cio).
    Countersign(CountersignArgs),
    /// Decide an assessment, with a finding per applicable obligation (user-cio).
    Decide(DecideArgs),
    /// Acknowledge a decision with the Security Assessment Response (operator).
    Acknowledge(AcknowledgeArgs),
    /// Submit a User Security Self-Assessment when the SSC determined a USSA (operator).
    SelfAssess(SelfAssessArgs),
    /// Complete an additional step (operator).
    CompleteStep(CompleteStepArgs),
    /// Accept a completed step (user-cio).
    AcceptStep(AcceptStepArgs),
    /// Determine the next assessment's category (ssc).
    Determine(DetermineArgs),
    /// Dispute a decision (operator).
    Dispute(DisputeArgs),
    /// Resolve a dispute (ssc).
    Resolve(ResolveArgs),
    /// Transfer a facility to another party (ssc).
    Transfer(TransferArgs),
    /// Record a facility's Triage Tools and Interfaces from a JSON file (operator).
    Inventory(InventoryArgs),
    /// Publish a version of the Security Controls Framework from a JSON file (ssc).
    PublishFramework(PublishFrameworkArgs),
    /// Designate the party acting as user-cio or ssc (the scheme root; the SSC for user-cio).
    Designate(DesignateArgs),
    /// Revoke a signer's certificate (the scheme root's key and certificate).
    Revoke(RevokeArgs),
}

/// Findings against the framework a decision or self-assessment cites.
#[derive(clap::Args, Clone)]
pub struct FindingArgs {
    /// A finding, "OBLIGATION|met|note" (met, not-met or not-assessed; repeatable).
    #[arg(long = "finding")]
    findings: Vec<String>,
    /// A file of findings, one "OBLIGATION|result|note" per line (# comments).
    #[arg(long)]
    findings_file: Option<PathBuf>,
    /// The framework version (INDEX or INDEX:SHA256HEX; default: the one in
    /// force in --ledger/--refs, if any).
    #[arg(long)]
    framework: Option<String>,
}

impl FindingArgs {
    fn findings(&self) -> Result<Vec<Finding>, Failure> {
        let input = |e: RecordError| Failure::input(e.to_string());
        let mut out = Vec::new();
        for f in &self.findings {
            out.push(finding_from_line(f, "--finding").map_err(input)?);
        }
        if let Some(path) = &self.findings_file {
            let text = String::from_utf8(read(path)?)
                .map_err(|_| Failure::input(format!("{}: not UTF-8 text", path.display())))?;
            out.extend(findings_from_text(&text, &path.display().to_string()).map_err(input)?);
        }
        Ok(out)
    }
}

/// The framework to cite: as given, or the one in force in the ledger that
/// references resolve against (none if the ledger has none, or no ledger).
fn framework_ref(given: Option<&str>, ledger: Option<&Path>) -> Result<Option<Ref>, Failure> {
    if let Some(text) = given {
        return parse_ref(text, ledger).map(Some);
    }
    let Some(ledger) = ledger else {
        return Ok(None);
    };
    let (state, _) = triage_ledger::ledger::Ledger::open(ledger)?.replay()?;
    Ok(state.framework_in_force_ref().map(|(r, f)| {
        tell!(
            "citing framework {} (entry {}), the version in force",
            f.version,
            r.index
        );
        r
    }))
}

fn split_step(s: &str) -> Result<Step, Failure> {
    let parts: Vec<&str> = s.splitn(4, '|').collect();
    match parts.as_slice() {
        [id, description, due, rest @ ..] => Ok(Step {
            id: id.to_string(),
            description: description.to_string(),
            due: due.to_string(),
            obligations: rest
                .first()
                .map(|o| {
                    o.split(',')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        }),
        _ => Err(Failure::input(format!(
            "--step {s:?}: expected \"ID|description|YYYY-MM-DD[|OBLIGATION,…]\""
        ))),
    }
}

/// SHA-256 of a file of any size (streamed), or of standard input for `-`.
fn digest_of(path: &Path) -> Result<triage_ledger::merkle::Hash, Failure> {
    let fail = |e: std::io::Error| Failure::input(format!("{}: {e}", path.display()));
    let mut h = Sha256::new();
    if triage_ledger::output::is_stdout(path) {
        std::io::copy(&mut std::io::stdin().lock(), &mut h).map_err(fail)?;
    } else {
        std::io::copy(&mut std::fs::File::open(path).map_err(fail)?, &mut h).map_err(fail)?;
    }
    Ok(triage_ledger::merkle::Hash::from_bytes(h.finalize().into()))
}

/// How a statement is signed and where it goes.
#[derive(clap::Args, Clone)]
pub struct SignArgs {
    /// The signer's private key (PKCS#8 PEM), or a key in a PKCS#11 token: `pkcs11:token=…;object=…` (RFC 7512; the PIN from TRIAGE_LEDGER_PKCS11_PIN or the URI's pin-source=file:PATH).
    #[arg(long, env = "TRIAGE_LEDGER_KEY")]
    pub(crate) key: PathBuf,
    /// The signer's certificate (PEM).
    #[arg(long, env = "TRIAGE_LEDGER_CERT")]
    pub(crate) cert: PathBuf,
    /// Write the statement here (to send to the ledger's operator; `-` for standard output).
    #[arg(long, conflicts_with = "ledger")]
    pub out: Option<PathBuf>,
    /// Replace --out (and a seal's --manifest) if it exists.
    #[arg(long)]
    pub force: bool,
    /// Submit the statement to this ledger (default without --out: TRIAGE_LEDGER_LEDGER).
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// Ledger to resolve bare references (INDEX) against when using --out.
    #[arg(long)]
    refs: Option<PathBuf>,
    /// Signing time: ISO 8601 (2027-03-01T09:30:00Z), a date (midnight UTC) or POSIX seconds; default now.
    #[arg(long, value_parser = parse_time_arg)]
    pub(crate) iat: Option<u64>,
    /// With --ledger: how to wait for another writer.
    #[command(flatten)]
    pub wait: WaitArgs,
}

impl SignArgs {
    /// The ledger that bare references (INDEX) resolve against.
    pub fn refs_ledger(&self) -> Option<PathBuf> {
        self.ledger().or(self.refs.clone())
    }

    /// The ledger to submit to: --ledger, or without --out the
    /// environment's TRIAGE_LEDGER_LEDGER (a flag wins over it; --out
    /// means "do not submit").
    pub fn ledger(&self) -> Option<PathBuf> {
        match (&self.ledger, &self.out) {
            (Some(l), _) => Some(l.clone()),
            (None, None) => std::env::var_os("TRIAGE_LEDGER_LEDGER").map(PathBuf::from),
            (None, Some(_)) => None,
        }
    }
}

/// The signer and the record a verb describes, and for a seal with
/// `--force` the manifest it replaces, set aside until the seal is made.
pub fn build(verb: &Verb) -> Result<(SignArgs, Record, Option<SetAside>), Failure> {
    let mut aside = None;
    let (sign, record) = match verb {
        Verb::Register(a) => (&a.sign, a.record()?),
        Verb::Seal(a) => (&a.sign, a.record(&mut aside)?),
        Verb::Countersign(a) => (&a.sign, a.record()?),
        Verb::Decide(a) => (&a.sign, a.record()?),
        Verb::Acknowledge(a) => (&a.sign, a.record()?),
        Verb::SelfAssess(a) => (&a.sign, a.record()?),
        Verb::CompleteStep(a) => (&a.sign, a.record()?),
        Verb::AcceptStep(a) => (&a.sign, a.record()?),
        Verb::Determine(a) => (&a.sign, a.record()?),
        Verb::Dispute(a) => (&a.sign, a.record()?),
        Verb::Resolve(a) => (&a.sign, a.record()?),
        Verb::Transfer(a) => (&a.sign, a.record()?),
        Verb::Inventory(a) => (&a.sign, a.record()?),
        Verb::PublishFramework(a) => (&a.sign, a.record()?),
        Verb::Designate(a) => (&a.sign, a.record()?),
        Verb::Revoke(a) => (&a.sign, a.record()?),
    };
    Ok((sign.clone(), record, aside))
}

/// References a verb gives, resolved against the ledger it names
/// (`--ledger` or `--refs`) where they are bare indexes.
pub(super) struct Refs(Option<PathBuf>);

impl Refs {
    pub(super) fn of(sign: &SignArgs) -> Refs {
        Refs(sign.refs_ledger())
    }
    pub(super) fn one(&self, text: &str) -> Result<Ref, Failure> {
        parse_ref(text, self.0.as_deref())
    }
    pub(super) fn many(&self, texts: &[String]) -> Result<Vec<Ref>, Failure> {
        texts.iter().map(|t| self.one(t)).collect()
    }
    /// The framework to cite: as given, or the one in force in the ledger.
    pub(super) fn framework(&self, given: Option<&str>) -> Result<Option<Ref>, Failure> {
        framework_ref(given, self.0.as_deref())
    }
}

/// The scheme's words, parsed by clap (the record's own types behind them;
/// the values carry no doc comments, so help lists them on one line).
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum AssessmentArg {
    // Full User Security Assessment.
    #[value(name = "FUSA")]
    Fusa,
    // Verification User Security Assessment.
    #[value(name = "VUSA")]
    Vusa,
    // User Security Self-Assessment.
    #[value(name = "USSA")]
    Ussa,
}

impl From<AssessmentArg> for Assessment {
    fn from(a: AssessmentArg) -> Self {
        match a {
            AssessmentArg::Fusa => Assessment::Fusa,
            AssessmentArg::Vusa => Assessment::Vusa,
            AssessmentArg::Ussa => Assessment::Ussa,
        }
    }
}

/// An assessment's outcome.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum OutcomeArg {
    // Approved.
    Approved,
    // Rejected.
    Rejected,
    // Approved subject to additional steps.
    ApprovedWithSteps,
}

impl From<OutcomeArg> for Outcome {
    fn from(o: OutcomeArg) -> Self {
        match o {
            OutcomeArg::Approved => Outcome::Approved,
            OutcomeArg::Rejected => Outcome::Rejected,
            OutcomeArg::ApprovedWithSteps => Outcome::ApprovedWithSteps,
        }
    }
}

/// The operator's position on a decision.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum PositionArg {
    // The findings are accepted.
    Accepted,
    // A dispute follows.
    Disputed,
}

impl From<PositionArg> for Position {
    fn from(p: PositionArg) -> Self {
        match p {
            PositionArg::Accepted => Position::Accepted,
            PositionArg::Disputed => Position::Disputed,
        }
    }
}

/// The SSC's resolution of a dispute.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ResolutionArg {
    // The dispute is upheld.
    Upheld,
    // The dispute is dismissed.
    Dismissed,
}

impl From<ResolutionArg> for Resolution {
    fn from(r: ResolutionArg) -> Self {
        match r {
            ResolutionArg::Upheld => Resolution::Upheld,
            ResolutionArg::Dismissed => Resolution::Dismissed,
        }
    }
}

/// A scheme role a party is designated for.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum RoleArg {
    // The User CIO.
    UserCio,
    // The SSC.
    Ssc,
}

impl From<RoleArg> for DesignatedRole {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::UserCio => DesignatedRole::UserCio,
            RoleArg::Ssc => DesignatedRole::Ssc,
        }
    }
}
