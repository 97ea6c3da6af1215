//! The signing verbs, one per record kind: each builds its record from the
//! command line; `statements.rs` signs it and writes or submits it.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use sha2::{Digest, Sha256};
use triage_ledger::bundle::SetAside;
use triage_ledger::record::*;

use super::identity::load_cert;
use super::statements::{parse_ref, read, SignArgs};
use super::Failure;

#[derive(Subcommand)]
pub enum Verb {
    /// Register a Triage Facility; it belongs to the signer's party (operator).
    Register {
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// Facility name.
        #[arg(long)]
        name: String,
        /// Site.
        #[arg(long)]
        site: String,
    },
    /// Seal an evidence bundle: hash every file of DIR, write the manifest, sign the commitment (operator).
    Seal {
        /// The bundle's directory.
        dir: PathBuf,
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// Where to write the manifest (with --force, an existing one is replaced once the new seal is made; until then it is .NAME.replaced beside it).
        #[arg(long)]
        manifest: PathBuf,
        /// What the bundle is.
        #[arg(long, default_value = "evidence bundle")]
        description: String,
        /// Framework obligations the bundle's evidence addresses, e.g. G3.7,G5.14.
        #[arg(long, value_delimiter = ',')]
        addresses: Vec<String>,
        /// The framework version they belong to (INDEX or INDEX:SHA256HEX;
        /// default: the one in force in --ledger/--refs).
        #[arg(long)]
        framework: Option<String>,
        /// No progress line on stderr.
        #[arg(long)]
        quiet: bool,
    },
    /// Countersign a sealed bundle (user-cio).
    Countersign {
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// The seal: INDEX or INDEX:SHA256HEX.
        #[arg(long)]
        seal: String,
        /// Remarks.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Decide an assessment, with a finding per applicable obligation (user-cio).
    Decide {
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// The assessment category.
        #[arg(long, value_parser = ["FUSA", "VUSA", "USSA"], ignore_case = true)]
        assessment: String,
        /// The outcome.
        #[arg(long, value_parser = ["approved", "rejected", "approved-with-steps"])]
        outcome: String,
        /// An additional step, "ID|description|YYYY-MM-DD[|OBLIGATION,…]" (repeatable).
        #[arg(long = "step")]
        steps: Vec<String>,
        #[command(flatten)]
        findings: FindingArgs,
        /// The Security Assessment Report (its SHA-256 is signed).
        #[arg(long)]
        report: PathBuf,
        /// Evidence seals the decision rests on (repeatable).
        #[arg(long = "evidence")]
        evidence: Vec<String>,
        /// For a USSA: the operator's self-assessment it reviews.
        #[arg(long)]
        self_assessment: Option<String>,
    },
    /// Acknowledge a decision with the Security Assessment Response (operator).
    Acknowledge {
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// The decision.
        #[arg(long)]
        decision: String,
        /// The Security Assessment Response (its SHA-256 is signed).
        #[arg(long)]
        response: PathBuf,
        /// accepted (the findings) or disputed (a dispute follows).
        #[arg(long, value_parser = ["accepted", "disputed"])]
        position: String,
    },
    /// Submit a User Security Self-Assessment when the SSC determined a USSA (operator).
    SelfAssess {
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        #[command(flatten)]
        findings: FindingArgs,
        /// The self-assessment report (its SHA-256 is signed).
        #[arg(long)]
        report: PathBuf,
        /// Evidence seals it rests on (repeatable).
        #[arg(long = "evidence")]
        evidence: Vec<String>,
    },
    /// Complete an additional step (operator).
    CompleteStep {
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// The decision that set the step.
        #[arg(long)]
        decision: String,
        /// The step id.
        #[arg(long)]
        step: String,
        /// Evidence seals of the work (repeatable).
        #[arg(long = "evidence")]
        evidence: Vec<String>,
    },
    /// Accept a completed step (user-cio).
    AcceptStep {
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// The completion statement.
        #[arg(long)]
        completion: String,
    },
    /// Determine the next assessment's category (ssc).
    Determine {
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// The approval it follows.
        #[arg(long)]
        decision: String,
        /// The next assessment's category.
        #[arg(long, value_parser = ["FUSA", "VUSA", "USSA"], ignore_case = true)]
        next: String,
        /// Due date, YYYY-MM-DD.
        #[arg(long)]
        due: String,
    },
    /// Dispute a decision (operator).
    Dispute {
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// The decision disputed.
        #[arg(long)]
        decision: String,
        /// Grounds.
        #[arg(long)]
        grounds: String,
    },
    /// Resolve a dispute (ssc).
    Resolve {
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// The dispute.
        #[arg(long)]
        dispute: String,
        /// upheld or dismissed.
        #[arg(long)]
        resolution: String,
        /// A new assessment (FUSA) is required.
        #[arg(long)]
        new_assessment: bool,
        /// Reasons.
        #[arg(long)]
        reason: String,
    },
    /// Transfer a facility to another party (ssc).
    Transfer {
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// The party (organizationIdentifier) it now belongs to.
        #[arg(long)]
        to_party: String,
        /// Reasons.
        #[arg(long)]
        reason: String,
    },
    /// Record a facility's Triage Tools and Interfaces from a JSON file (operator).
    Inventory {
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// {"tools": [{"make", "model", "serial", "firmware_sha256", "cpa_certificate", "cpa_expires"}], "interfaces": [{"name", "type", "access_controls"}]}.
        #[arg(long)]
        file: PathBuf,
    },
    /// Publish a version of the Security Controls Framework from a JSON file (ssc).
    PublishFramework {
        /// {"version", "title", "obligations": [{"id", "title", "applies", "reason"?, "evidence"?}]}.
        file: PathBuf,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Designate the party acting as user-cio or ssc (the scheme root; the SSC for user-cio).
    Designate {
        #[command(flatten)]
        sign: SignArgs,
        /// The scheme role the party is designated for.
        #[arg(long, value_parser = ["user-cio", "ssc"])]
        role: String,
        /// The party's identifier (certificates' organizationIdentifier).
        #[arg(long)]
        party: String,
        /// The appointment it records.
        #[arg(long)]
        note: String,
    },
    /// Revoke a signer's certificate (the scheme root's key and certificate).
    Revoke {
        #[command(flatten)]
        sign: SignArgs,
        /// The certificate revoked (PEM).
        #[arg(long)]
        certificate: PathBuf,
        /// Reason.
        #[arg(long)]
        reason: String,
    },
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

/// The signer and the record a verb describes, and for a seal with
/// `--force` the manifest it replaces, set aside until the seal is made.
pub fn build(verb: &Verb) -> Result<(SignArgs, Record, Option<SetAside>), Failure> {
    let mut aside = None;
    let r = |text: &str, s: &SignArgs| parse_ref(text, s.refs_ledger().as_deref());
    let rs = |texts: &[String], s: &SignArgs| {
        texts.iter().map(|t| r(t, s)).collect::<Result<Vec<_>, _>>()
    };
    let fw = |given: &Option<String>, s: &SignArgs| {
        framework_ref(given.as_deref(), s.refs_ledger().as_deref())
    };
    let (sign, record) = match verb {
        Verb::Register {
            sign,
            facility,
            name,
            site,
        } => (
            sign.clone(),
            Record::Registration(Registration {
                facility: facility.clone(),
                name: name.clone(),
                site: site.clone(),
            }),
        ),
        Verb::Seal {
            dir,
            sign,
            facility,
            manifest,
            description,
            addresses,
            framework,
            quiet,
        } => {
            let addresses = if addresses.is_empty() {
                if framework.is_some() {
                    return Err(Failure::input(
                        "--framework names the version of the obligations in --addresses: give them",
                    ));
                }
                None
            } else {
                let framework = fw(framework, sign)?.ok_or_else(|| {
                    Failure::input("--addresses needs the framework: give --framework, or --ledger/--refs with a framework in force")
                })?;
                Some(Addresses {
                    framework,
                    obligations: addresses.clone(),
                })
            };
            // Refuse before hashing what may be gigabytes.
            for (flag, path) in [("--manifest", Some(manifest)), ("--out", sign.out.as_ref())] {
                if let Some(p) = path.filter(|p| !sign.force && p.symlink_metadata().is_ok()) {
                    return Err(Failure::input(format!(
                        "{flag} {}: the file exists; give --force to replace it",
                        p.display()
                    )));
                }
            }
            // The manifest it replaces may belong to a seal in a ledger: it
            // is set aside, and removed only once the new seal is made.
            if sign.force {
                aside = SetAside::new(manifest)
                    .map_err(|e| Failure::input(format!("--manifest: {e}")))?;
            }
            let mut progress = super::progress::Progress::for_dir("sealing", *quiet, dir);
            let sealed = triage_ledger::bundle::seal_dir_with(dir, manifest, &mut |f, b| {
                progress.update(f, b)
            });
            progress.finish();
            let sealed = sealed.map_err(|e| Failure::input(e.to_string()))?;
            tell!(
                "sealed {} files of {}; manifest {}",
                sealed.items,
                dir.display(),
                manifest.display()
            );
            let seal = Seal {
                facility: facility.clone(),
                description: description.clone(),
                root: sealed.root,
                items: sealed.items,
                manifest_sha256: triage_ledger::merkle::Hash::from_bytes(sealed.manifest_sha256),
                addresses,
            };
            (sign.clone(), Record::Seal(seal))
        }
        Verb::Countersign {
            sign,
            facility,
            seal,
            note,
        } => (
            sign.clone(),
            Record::Countersignature(Countersignature {
                facility: facility.clone(),
                seal: r(seal, sign)?,
                note: note.clone(),
            }),
        ),
        Verb::Decide {
            sign,
            facility,
            assessment,
            outcome,
            steps,
            findings,
            report,
            evidence,
            self_assessment,
        } => {
            let assessment = Assessment::parse(assessment).ok_or_else(|| {
                Failure::input(format!("--assessment {assessment:?}: FUSA, VUSA or USSA"))
            })?;
            let outcome = Outcome::parse(outcome).ok_or_else(|| {
                Failure::input(format!(
                    "--outcome {outcome:?}: approved, rejected or approved-with-steps"
                ))
            })?;
            let steps = steps
                .iter()
                .map(|s| split_step(s))
                .collect::<Result<Vec<_>, _>>()?;
            let d = Decision {
                facility: facility.clone(),
                assessment,
                outcome,
                steps,
                findings: findings.findings()?,
                report_sha256: digest_of(report)?,
                evidence: rs(evidence, sign)?,
                framework: fw(&findings.framework, sign)?,
                self_assessment: self_assessment.as_deref().map(|s| r(s, sign)).transpose()?,
            };
            (sign.clone(), Record::Decision(d))
        }
        Verb::Acknowledge {
            sign,
            facility,
            decision,
            response,
            position,
        } => {
            let position = Position::parse(position).ok_or_else(|| {
                Failure::input(format!("--position {position:?}: accepted or disputed"))
            })?;
            let a = Acknowledgement {
                facility: facility.clone(),
                decision: r(decision, sign)?,
                response_sha256: digest_of(response)?,
                position,
            };
            (sign.clone(), Record::Acknowledgement(a))
        }
        Verb::SelfAssess {
            sign,
            facility,
            findings,
            report,
            evidence,
        } => {
            let s = SelfAssessment {
                facility: facility.clone(),
                findings: findings.findings()?,
                report_sha256: digest_of(report)?,
                evidence: rs(evidence, sign)?,
                framework: fw(&findings.framework, sign)?,
            };
            (sign.clone(), Record::SelfAssessment(s))
        }
        Verb::CompleteStep {
            sign,
            facility,
            decision,
            step,
            evidence,
        } => (
            sign.clone(),
            Record::StepCompletion(StepCompletion {
                facility: facility.clone(),
                decision: r(decision, sign)?,
                step: step.clone(),
                evidence: rs(evidence, sign)?,
            }),
        ),
        Verb::AcceptStep {
            sign,
            facility,
            completion,
        } => (
            sign.clone(),
            Record::StepAcceptance(StepAcceptance {
                facility: facility.clone(),
                completion: r(completion, sign)?,
            }),
        ),
        Verb::Determine {
            sign,
            facility,
            decision,
            next,
            due,
        } => {
            let next = Assessment::parse(next)
                .ok_or_else(|| Failure::input(format!("--next {next:?}: FUSA, VUSA or USSA")))?;
            (
                sign.clone(),
                Record::Determination(Determination {
                    facility: facility.clone(),
                    decision: r(decision, sign)?,
                    next,
                    due: due.clone(),
                }),
            )
        }
        Verb::Dispute {
            sign,
            facility,
            decision,
            grounds,
        } => (
            sign.clone(),
            Record::Dispute(Dispute {
                facility: facility.clone(),
                decision: r(decision, sign)?,
                grounds: grounds.clone(),
            }),
        ),
        Verb::Resolve {
            sign,
            facility,
            dispute,
            resolution,
            new_assessment,
            reason,
        } => {
            let resolution = match resolution.as_str() {
                "upheld" => Resolution::Upheld,
                "dismissed" => Resolution::Dismissed,
                other => {
                    return Err(Failure::input(format!(
                        "--resolution {other:?}: upheld or dismissed"
                    )))
                }
            };
            let rec = DisputeResolution {
                facility: facility.clone(),
                dispute: r(dispute, sign)?,
                resolution,
                new_assessment: *new_assessment,
                reason: reason.clone(),
            };
            (sign.clone(), Record::Resolution(rec))
        }
        Verb::Transfer {
            sign,
            facility,
            to_party,
            reason,
        } => (
            sign.clone(),
            Record::Transfer(Transfer {
                facility: facility.clone(),
                to_party: to_party.clone(),
                reason: reason.clone(),
            }),
        ),
        Verb::Inventory {
            sign,
            facility,
            file,
        } => {
            let inv = inventory_from_json(facility, &read(file)?)
                .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?;
            (sign.clone(), Record::ToolInventory(inv))
        }
        Verb::PublishFramework { file, sign } => {
            let f = framework_from_json(&read(file)?)
                .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?;
            (sign.clone(), Record::Framework(f))
        }
        Verb::Designate {
            sign,
            role,
            party,
            note,
        } => {
            let role = DesignatedRole::parse(role)
                .ok_or_else(|| Failure::input(format!("--role {role:?}: user-cio or ssc")))?;
            (
                sign.clone(),
                Record::Designation(Designation {
                    role,
                    party: party.clone(),
                    note: note.clone(),
                }),
            )
        }
        Verb::Revoke {
            sign,
            certificate,
            reason,
        } => {
            let c = load_cert(certificate)?;
            (
                sign.clone(),
                Record::Revocation(Revocation {
                    certificate_sha256: triage_ledger::merkle::Hash::from_bytes(c.fingerprint()),
                    reason: reason.clone(),
                }),
            )
        }
    };
    Ok((sign, record, aside))
}
