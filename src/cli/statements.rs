//! The commands people use to sign, submit, inspect and follow statements.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use sha2::{Digest, Sha256};
use triage_ledger::cose::Statement;
use triage_ledger::policy::{self, Admission, SubmitError};
use triage_ledger::record::*;

use super::identity::load_cert;
use super::{CmdResult, Failure};

/// How a statement is signed and where it goes.
#[derive(Args, Clone)]
pub struct SignArgs {
    /// The signer's private key (PKCS#8 PEM).
    #[arg(long)]
    key: PathBuf,
    /// The signer's certificate (PEM).
    #[arg(long)]
    cert: PathBuf,
    /// Write the statement here (to send to the ledger's operator).
    #[arg(long, conflicts_with = "ledger", required_unless_present = "ledger")]
    out: Option<PathBuf>,
    /// Submit the statement to this ledger.
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// Ledger to resolve bare references (INDEX) against when using --out.
    #[arg(long)]
    refs: Option<PathBuf>,
    /// Signing time (POSIX seconds; default now).
    #[arg(long)]
    iat: Option<u64>,
}

#[derive(Subcommand)]
pub enum Verb {
    /// Register a Triage Facility (operator).
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
        /// Where to write the manifest (must not exist).
        #[arg(long)]
        manifest: PathBuf,
        /// What the bundle is.
        #[arg(long, default_value = "evidence bundle")]
        description: String,
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
    /// Decide an assessment (user-cio).
    Decide {
        #[command(flatten)]
        sign: SignArgs,
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// FUSA, VUSA or USSA.
        #[arg(long)]
        assessment: String,
        /// approved, rejected or approved-with-steps.
        #[arg(long)]
        outcome: String,
        /// An additional step, "ID|description|YYYY-MM-DD" (repeatable).
        #[arg(long = "step")]
        steps: Vec<String>,
        /// A finding, "CONTROL|text" (repeatable).
        #[arg(long = "finding")]
        findings: Vec<String>,
        /// The Security Assessment Report (its SHA-256 is signed).
        #[arg(long)]
        report: PathBuf,
        /// Evidence seals the decision rests on (repeatable).
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
        /// FUSA, VUSA or USSA.
        #[arg(long)]
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

pub(super) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(super) fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::input(format!("{}: {e}", path.display())))
}

pub(super) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    s.len().is_multiple_of(2).then_some(())?;
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Resolves "INDEX:HEX" on its own, or "INDEX" against a ledger.
fn parse_ref(text: &str, ledger: Option<&Path>) -> Result<Ref, Failure> {
    let bad = |why: &str| Failure::input(format!("reference {text:?}: {why}"));
    let (idx, hash) = match text.split_once(':') {
        Some((i, h)) => (i, Some(h)),
        None => (text, None),
    };
    let index: u64 = idx
        .parse()
        .map_err(|_| bad("expected INDEX or INDEX:SHA256HEX"))?;
    let sha256 = match hash {
        Some(h) => unhex(h)
            .filter(|b| b.len() == 32)
            .ok_or_else(|| bad("the hash must be 64 hex digits"))?,
        None => {
            let ledger = ledger
                .ok_or_else(|| bad("a bare index needs --ledger or --refs to look up its hash"))?;
            let l = triage_ledger::store::Ledger::open(ledger)?;
            Sha256::digest(l.read_entry(index)?).to_vec()
        }
    };
    Ok(Ref { index, sha256 })
}

fn split3(s: &str, what: &str) -> Result<(String, String, String), Failure> {
    let mut p = s.splitn(3, '|');
    match (p.next(), p.next(), p.next()) {
        (Some(a), Some(b), Some(c)) => Ok((a.into(), b.into(), c.into())),
        _ => Err(Failure::input(format!(
            "{what} {s:?}: expected \"ID|description|YYYY-MM-DD\""
        ))),
    }
}

fn build(verb: &Verb) -> Result<(SignArgs, Record), Failure> {
    let refs_from = |s: &SignArgs| s.ledger.clone().or(s.refs.clone());
    let r = |text: &str, s: &SignArgs| parse_ref(text, refs_from(s).as_deref());
    let rs = |texts: &[String], s: &SignArgs| {
        texts.iter().map(|t| r(t, s)).collect::<Result<Vec<_>, _>>()
    };
    Ok(match verb {
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
            quiet,
        } => {
            let mut progress = super::progress::Progress::new("sealing", *quiet);
            let sealed = triage_ledger::bundle::seal_dir_with(dir, manifest, &mut |f, b| {
                progress.update(f, b)
            });
            progress.finish();
            let sealed = sealed.map_err(|e| Failure::input(e.to_string()))?;
            eprintln!(
                "sealed {} files of {}; manifest {}",
                sealed.items,
                dir.display(),
                manifest.display()
            );
            let seal = Seal {
                facility: facility.clone(),
                description: description.clone(),
                root: sealed.root.as_bytes().to_vec(),
                items: sealed.items,
                manifest_sha256: sealed.manifest_sha256.to_vec(),
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
                .map(|s| {
                    split3(s, "--step").map(|(id, description, due)| Step {
                        id,
                        description,
                        due,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let findings = findings
                .iter()
                .map(|f| match f.split_once('|') {
                    Some((c, t)) => Ok(Finding {
                        control: c.into(),
                        finding: t.into(),
                    }),
                    None => Err(Failure::input(format!(
                        "--finding {f:?}: expected \"CONTROL|text\""
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let report_sha256 = Sha256::digest(read(report)?).to_vec();
            let d = Decision {
                facility: facility.clone(),
                assessment,
                outcome,
                steps,
                findings,
                report_sha256,
                evidence: rs(evidence, sign)?,
            };
            (sign.clone(), Record::Decision(d))
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
        Verb::Revoke {
            sign,
            certificate,
            reason,
        } => {
            let c = load_cert(certificate)?;
            (
                sign.clone(),
                Record::Revocation(Revocation {
                    certificate_sha256: c.fingerprint().to_vec(),
                    reason: reason.clone(),
                }),
            )
        }
    })
}

/// Signs a record as the statement of `sign`'s key and certificate.
pub fn sign_record(sign: &SignArgs, record: &Record) -> Result<Statement, Failure> {
    let (key, warning) = triage_ledger::identity::read_private_key(&sign.key)?;
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    let cert = load_cert(&sign.cert)?;
    if cert.key() != &key.verifying_key() {
        return Err(Failure::input(format!(
            "{} does not certify the key in {}",
            sign.cert.display(),
            sign.key.display()
        )));
    }
    policy::sign_statement(record, &key, &cert, sign.iat.unwrap_or_else(now))
        .map_err(|e| Failure::input(e.to_string()))
}

pub fn run_verb(verb: Verb) -> CmdResult {
    let (sign, record) = build(&verb)?;
    let st = sign_record(&sign, &record)?;
    if let Some(out) = &sign.out {
        std::fs::write(out, st.bytes())
            .map_err(|e| Failure::input(format!("{}: {e}", out.display())))?;
        println!("{}", out.display());
        eprintln!(
            "signed a {} statement ({} bytes, sha256 {})",
            record.kind().name(),
            st.bytes().len(),
            hex(&Sha256::digest(st.bytes()))
        );
        return Ok(());
    }
    let ledger = sign
        .ledger
        .as_ref()
        .ok_or_else(|| Failure::input("--out or --ledger is required"))?;
    submit_files(
        ledger,
        vec![(record.kind().name().to_string(), st.bytes().to_vec())],
        false,
    )
}

impl From<SubmitError> for Failure {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::Store(s) => s.into(),
            e if e.is_refusal() => Failure::verification(format!("{e} (nothing was appended)")),
            e => Failure::input(format!("{e} (nothing was appended)")),
        }
    }
}

fn submit_files(ledger: &Path, statements: Vec<(String, Vec<u8>)>, transparent: bool) -> CmdResult {
    let done = policy::submit(ledger, &statements, now(), 300)?;
    let l = triage_ledger::store::Ledger::open(ledger)?;
    for ((name, bytes), a) in statements.iter().zip(&done.admissions) {
        let h = hex(&Sha256::digest(bytes));
        let i = match a {
            Admission::New(i) => {
                println!("{name}: entry {i} (sha256 {h})");
                *i
            }
            Admission::Duplicate(i) => {
                println!("{name}: already logged as entry {i} (sha256 {h})");
                *i
            }
        };
        if transparent {
            let out = PathBuf::from(format!("{name}.transparent"));
            write_receipt(&l, i, &out, true)?;
        }
    }
    eprintln!("tree size {}", done.checkpoint.root().size());
    Ok(())
}

fn write_receipt(
    l: &triage_ledger::store::Ledger,
    index: u64,
    out: &Path,
    transparent: bool,
) -> CmdResult {
    let r = l.receipt(index, now())?;
    let bytes = if transparent {
        let st = Statement::parse(&l.read_entry(index)?)
            .map_err(|e| Failure::input(format!("entry {index}: {e}")))?;
        triage_ledger::cose::transparent_statement(&st, std::slice::from_ref(&r))
    } else {
        r.to_bytes()
    }
    .map_err(|e| Failure::input(e.to_string()))?;
    std::fs::write(out, bytes).map_err(|e| Failure::input(format!("{}: {e}", out.display())))?;
    eprintln!(
        "wrote {} ({} of entry {index} against tree size {})",
        out.display(),
        if transparent {
            "transparent statement"
        } else {
            "receipt"
        },
        r.proof().size()
    );
    Ok(())
}

/// `receipt LEDGER --index I --out FILE [--transparent]`.
pub fn receipt(ledger: &Path, index: u64, out: &Path, transparent: bool) -> CmdResult {
    let l = triage_ledger::store::Ledger::open(ledger)?;
    write_receipt(&l, index, out, transparent)
}

/// `submit LEDGER FILE... [--transparent]`.
pub fn submit(ledger: &Path, files: &[PathBuf], transparent: bool) -> CmdResult {
    let mut statements = Vec::with_capacity(files.len());
    for f in files {
        let bytes = read(f)?;
        if bytes.len() > triage_ledger::cose::MAX_STATEMENT_SIZE {
            return Err(Failure::input(format!(
                "{}: {} bytes is more than a statement may be (65535); nothing was appended",
                f.display(),
                bytes.len()
            )));
        }
        statements.push((f.display().to_string(), bytes));
    }
    submit_files(ledger, statements, transparent)
}
