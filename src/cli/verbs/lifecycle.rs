//! The lifecycle's signing verbs: a facility's registration, evidence,
//! assessments, acknowledgements, steps, determinations and disputes. Each
//! verb's arguments build its record.

use std::path::PathBuf;

use triage_ledger::bundle::SetAside;
use triage_ledger::record::*;

use super::SignArgs;
use super::{
    digest_of, split_step, AssessmentArg, FindingArgs, OutcomeArg, PositionArg, Refs, ResolutionArg,
};
use crate::cli::failure::Failure;

#[derive(clap::Args)]
pub struct RegisterArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// Facility id.
    #[arg(long)]
    pub(crate) facility: String,
    /// Facility name.
    #[arg(long)]
    pub(crate) name: String,
    /// Site.
    #[arg(long)]
    pub(crate) site: String,
}

impl RegisterArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        Ok(Record::Registration(Registration {
            facility: self.facility.clone(),
            name: self.name.clone(),
            site: self.site.clone(),
        }))
    }
}

#[derive(clap::Args)]
pub struct SealArgs {
    /// The bundle's directory.
    pub(crate) dir: PathBuf,
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// Facility id.
    #[arg(long)]
    pub(crate) facility: String,
    /// Where to write the manifest (with --force, an existing one is replaced once the new seal is made; until then it is .NAME.replaced beside it).
    #[arg(long)]
    pub(crate) manifest: PathBuf,
    /// What the bundle is.
    #[arg(long, default_value = "evidence bundle")]
    pub(crate) description: String,
    /// Framework obligations the bundle's evidence addresses, e.g. G3.7,G5.14.
    #[arg(long, value_delimiter = ',')]
    pub(crate) addresses: Vec<String>,
    /// The framework version they belong to (INDEX or INDEX:SHA256HEX;
    /// default: the one in force in --ledger/--refs).
    #[arg(long)]
    pub(crate) framework: Option<String>,
    /// No progress line on stderr.
    #[arg(long)]
    pub(crate) quiet: bool,
}

impl SealArgs {
    /// Seals the directory (after refusing what would be overwritten); with
    /// --force, the manifest it replaces is set aside in `aside`.
    pub(super) fn record(&self, aside: &mut Option<SetAside>) -> Result<Record, Failure> {
        let addresses = self.addresses()?;
        // Refuse before hashing what may be gigabytes.
        let sign = &self.sign;
        for (flag, path) in [
            ("--manifest", Some(&self.manifest)),
            ("--out", sign.out.as_ref()),
        ] {
            if let Some(p) = path.filter(|p| !sign.force && p.symlink_metadata().is_ok()) {
                return Err(Failure::input(format!(
                    "{flag} {}: the file exists, and it was not replaced",
                    p.display()
                ))
                .hint("give --force to replace it"));
            }
        }
        // The manifest it replaces may belong to a seal in a ledger: it is
        // set aside, and removed only once the new seal is made.
        if sign.force {
            *aside = SetAside::new(&self.manifest)
                .map_err(|e| Failure::input(format!("--manifest: {e}")))?;
        }
        let mut progress =
            super::super::progress::Progress::for_dir("sealing", self.quiet, &self.dir);
        let sealed =
            triage_ledger::bundle::seal_dir_with(&self.dir, &self.manifest, &mut |f, b| {
                progress.update(f, b)
            });
        progress.finish();
        let sealed = sealed.map_err(|e| Failure::input(e.to_string()))?;
        tell!(
            "sealed {} files of {}; manifest {}",
            sealed.items,
            self.dir.display(),
            self.manifest.display()
        );
        Ok(Record::Seal(Seal {
            facility: self.facility.clone(),
            description: self.description.clone(),
            root: sealed.root,
            items: sealed.items,
            manifest_sha256: triage_ledger::merkle::Hash::from_bytes(sealed.manifest_sha256),
            addresses,
        }))
    }

    fn addresses(&self) -> Result<Option<Addresses>, Failure> {
        if self.addresses.is_empty() {
            if self.framework.is_some() {
                return Err(Failure::input(
                    "--framework names the version of the obligations in --addresses: give them",
                ));
            }
            return Ok(None);
        }
        let framework = Refs::of(&self.sign)
            .framework(self.framework.as_deref())?
            .ok_or_else(|| {
                Failure::input("--addresses needs the framework: give --framework, or --ledger/--refs with a framework in force")
            })?;
        Ok(Some(Addresses {
            framework,
            obligations: self.addresses.clone(),
        }))
    }
}

#[derive(clap::Args)]
pub struct CountersignArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// Facility id.
    #[arg(long)]
    pub(crate) facility: String,
    /// The seal: INDEX or INDEX:SHA256HEX.
    #[arg(long)]
    pub(crate) seal: String,
    /// Remarks.
    #[arg(long, default_value = "")]
    pub(crate) note: String,
}

impl CountersignArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        Ok(Record::Countersignature(Countersignature {
            facility: self.facility.clone(),
            seal: Refs::of(&self.sign).one(&self.seal)?,
            note: self.note.clone(),
        }))
    }
}

#[derive(clap::Args)]
pub struct DecideArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// Facility id.
    #[arg(long)]
    pub(crate) facility: String,
    /// The assessment category.
    #[arg(long, value_enum, ignore_case = true)]
    pub(crate) assessment: AssessmentArg,
    /// The outcome.
    #[arg(long, value_enum)]
    pub(crate) outcome: OutcomeArg,
    /// An additional step, "ID|description|YYYY-MM-DD[|OBLIGATION,…]" (repeatable).
    #[arg(long = "step")]
    pub(crate) steps: Vec<String>,
    #[command(flatten)]
    pub(crate) findings: FindingArgs,
    /// The Security Assessment Report (its SHA-256 is signed).
    #[arg(long)]
    pub(crate) report: PathBuf,
    /// Evidence seals the decision rests on (repeatable).
    #[arg(long = "evidence")]
    pub(crate) evidence: Vec<String>,
    /// For a USSA: the operator's self-assessment it reviews.
    #[arg(long)]
    pub(crate) self_assessment: Option<String>,
}

impl DecideArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        let refs = Refs::of(&self.sign);
        let steps = self
            .steps
            .iter()
            .map(|s| split_step(s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Record::Decision(Decision {
            facility: self.facility.clone(),
            assessment: self.assessment.into(),
            outcome: self.outcome.into(),
            steps,
            findings: self.findings.findings()?,
            report_sha256: digest_of(&self.report)?,
            evidence: refs.many(&self.evidence)?,
            framework: refs.framework(self.findings.framework.as_deref())?,
            self_assessment: self
                .self_assessment
                .as_deref()
                .map(|s| refs.one(s))
                .transpose()?,
        }))
    }
}

#[derive(clap::Args)]
pub struct AcknowledgeArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// Facility id.
    #[arg(long)]
    pub(crate) facility: String,
    /// The decision.
    #[arg(long)]
    pub(crate) decision: String,
    /// The Security Assessment Response (its SHA-256 is signed).
    #[arg(long)]
    pub(crate) response: PathBuf,
    /// accepted (the findings) or disputed (a dispute follows).
    #[arg(long, value_enum)]
    pub(crate) position: PositionArg,
}

impl AcknowledgeArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        Ok(Record::Acknowledgement(Acknowledgement {
            facility: self.facility.clone(),
            decision: Refs::of(&self.sign).one(&self.decision)?,
            response_sha256: digest_of(&self.response)?,
            position: self.position.into(),
        }))
    }
}

#[derive(clap::Args)]
pub struct SelfAssessArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// Facility id.
    #[arg(long)]
    pub(crate) facility: String,
    #[command(flatten)]
    pub(crate) findings: FindingArgs,
    /// The self-assessment report (its SHA-256 is signed).
    #[arg(long)]
    pub(crate) report: PathBuf,
    /// Evidence seals it rests on (repeatable).
    #[arg(long = "evidence")]
    pub(crate) evidence: Vec<String>,
}

impl SelfAssessArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        let refs = Refs::of(&self.sign);
        Ok(Record::SelfAssessment(SelfAssessment {
            facility: self.facility.clone(),
            findings: self.findings.findings()?,
            report_sha256: digest_of(&self.report)?,
            evidence: refs.many(&self.evidence)?,
            framework: refs.framework(self.findings.framework.as_deref())?,
        }))
    }
}

#[derive(clap::Args)]
pub struct CompleteStepArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// Facility id.
    #[arg(long)]
    pub(crate) facility: String,
    /// The decision that set the step.
    #[arg(long)]
    pub(crate) decision: String,
    /// The step id.
    #[arg(long)]
    pub(crate) step: String,
    /// Evidence seals of the work (repeatable).
    #[arg(long = "evidence")]
    pub(crate) evidence: Vec<String>,
}

impl CompleteStepArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        let refs = Refs::of(&self.sign);
        Ok(Record::StepCompletion(StepCompletion {
            facility: self.facility.clone(),
            decision: refs.one(&self.decision)?,
            step: self.step.clone(),
            evidence: refs.many(&self.evidence)?,
        }))
    }
}

#[derive(clap::Args)]
pub struct AcceptStepArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// Facility id.
    #[arg(long)]
    pub(crate) facility: String,
    /// The completion statement.
    #[arg(long)]
    pub(crate) completion: String,
}

impl AcceptStepArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        Ok(Record::StepAcceptance(StepAcceptance {
            facility: self.facility.clone(),
            completion: Refs::of(&self.sign).one(&self.completion)?,
        }))
    }
}

#[derive(clap::Args)]
pub struct DetermineArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// Facility id.
    #[arg(long)]
    pub(crate) facility: String,
    /// The approval it follows.
    #[arg(long)]
    pub(crate) decision: String,
    /// The next assessment's category.
    #[arg(long, value_enum, ignore_case = true)]
    pub(crate) next: AssessmentArg,
    /// Due date, YYYY-MM-DD.
    #[arg(long)]
    pub(crate) due: String,
}

impl DetermineArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        Ok(Record::Determination(Determination {
            facility: self.facility.clone(),
            decision: Refs::of(&self.sign).one(&self.decision)?,
            next: self.next.into(),
            due: self.due.clone(),
        }))
    }
}

#[derive(clap::Args)]
pub struct DisputeArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// Facility id.
    #[arg(long)]
    pub(crate) facility: String,
    /// The decision disputed.
    #[arg(long)]
    pub(crate) decision: String,
    /// Grounds.
    #[arg(long)]
    pub(crate) grounds: String,
}

impl DisputeArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        Ok(Record::Dispute(Dispute {
            facility: self.facility.clone(),
            decision: Refs::of(&self.sign).one(&self.decision)?,
            grounds: self.grounds.clone(),
        }))
    }
}

#[derive(clap::Args)]
pub struct ResolveArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// Facility id.
    #[arg(long)]
    pub(crate) facility: String,
    /// The dispute.
    #[arg(long)]
    pub(crate) dispute: String,
    /// upheld or dismissed.
    #[arg(long, value_enum)]
    pub(crate) resolution: ResolutionArg,
    /// A new assessment (FUSA) is required.
    #[arg(long)]
    pub(crate) new_assessment: bool,
    /// Reasons.
    #[arg(long)]
    pub(crate) reason: String,
}

impl ResolveArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        Ok(Record::Resolution(DisputeResolution {
            facility: self.facility.clone(),
            dispute: Refs::of(&self.sign).one(&self.dispute)?,
            resolution: self.resolution.into(),
            new_assessment: self.new_assessment,
            reason: self.reason.clone(),
        }))
    }
}
