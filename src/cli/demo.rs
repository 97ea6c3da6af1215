//! `triage-ledger demo DIR`: builds a realistic ledger from scratch with the
//! DEMO ONLY identities of `keys/` and the synthetic evidence of `fixtures/`:
//! two facilities through registration, sealed and countersigned evidence,
//! a conditional FUSA whose steps are completed and accepted, the SSC's
//! determination of a VUSA, the VUSA; a rejection, its dispute and the SSC's
//! resolution; and a revoked key whose later statement is refused.

use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use triage_ledger::identity::Certificate;
use triage_ledger::note::SignedCheckpoint;
use triage_ledger::policy::{self, Admission};
use triage_ledger::record::*;
use triage_ledger::store::{self, Ledger};
use triage_ledger::verify::{make_pack, verify_pack, Pack, Selection, Trust};
use triage_ledger::witness::Witness;

use super::{CmdResult, Failure};

struct Party {
    name: &'static str,
    key: SigningKey,
    cert: Certificate,
}

fn party(name: &'static str, key_pem: &str, cert_pem: &str) -> Result<Party, Failure> {
    let key = SigningKey::from_pkcs8_pem(key_pem)
        .map_err(|e| Failure::input(format!("demo key {name}: {e}")))?;
    let cert = Certificate::from_pem(cert_pem.as_bytes())?;
    Ok(Party { name, key, cert })
}

macro_rules! demo_party {
    ($name:literal) => {
        party(
            $name,
            include_str!(concat!("../../keys/", $name, ".key")),
            include_str!(concat!("../../keys/", $name, ".pem")),
        )
    };
}

/// Evidence files written out for sealing: (path under DIR/evidence, content).
const EVIDENCE: &[(&str, &str)] = &[
    (
        "TF-0001/tool-inventory/inventory.csv",
        include_str!("../../fixtures/evidence/TF-0001/tool-inventory/inventory.csv"),
    ),
    (
        "TF-0001/reset-logs/2027-03-01.log",
        include_str!("../../fixtures/evidence/TF-0001/reset-logs/2027-03-01.log"),
    ),
    (
        "TF-0001/reset-logs/2027-03-02.log",
        include_str!("../../fixtures/evidence/TF-0001/reset-logs/2027-03-02.log"),
    ),
    (
        "TF-0001/risk-assessment/iso27005-risk-assessment.md",
        include_str!("../../fixtures/evidence/TF-0001/risk-assessment/iso27005-risk-assessment.md"),
    ),
    (
        "TF-0001/remediation/custody-log-procedure.md",
        include_str!("../../fixtures/evidence/TF-0001/remediation/custody-log-procedure.md"),
    ),
    (
        "TF-0001/security-assessment-report.md",
        include_str!("../../fixtures/evidence/TF-0001/security-assessment-report.md"),
    ),
    (
        "TF-0002/intake/intake-records.csv",
        include_str!("../../fixtures/evidence/TF-0002/intake/intake-records.csv"),
    ),
    (
        "TF-0002/security-assessment-report.md",
        include_str!("../../fixtures/evidence/TF-0002/security-assessment-report.md"),
    ),
];

struct Demo {
    dir: PathBuf,
    ledger: PathBuf,
    count: usize,
    now: u64,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| Failure::input(format!("{}: {e}", path.display()))
}

impl Demo {
    /// Signs, writes DIR/statements/NN-kind.cose, submits; returns its reference.
    fn emit(&mut self, who: &Party, record: Record, what: &str) -> Result<Ref, Failure> {
        self.count += 1;
        // Distinct, increasing signing times keep the story in order.
        let st = policy::sign_statement(&record, &who.key, &who.cert, self.now + self.count as u64)
            .map_err(|e| Failure::input(e.to_string()))?;
        let file = self.dir.join("statements").join(format!(
            "{:02}-{}.cose",
            self.count,
            record.kind().name()
        ));
        std::fs::write(&file, st.bytes()).map_err(io(&file))?;
        let done = policy::submit(
            &self.ledger,
            &[(file.display().to_string(), st.bytes().to_vec())],
            self.now + 100,
            300,
        )?;
        let (Admission::New(index) | Admission::Duplicate(index)) = done.admissions[0];
        println!(
            "  entry {index:>2}  {:<16} by {:<18} {what}",
            record.kind().name(),
            who.name
        );
        Ok(Ref {
            index,
            sha256: Sha256::digest(st.bytes()).to_vec(),
        })
    }

    fn seal(
        &mut self,
        who: &Party,
        facility: &str,
        sub: &str,
        description: &str,
    ) -> Result<Ref, Failure> {
        let dir = self.dir.join("evidence").join(facility).join(sub);
        let manifest = self
            .dir
            .join("manifests")
            .join(format!("{facility}-{sub}.cbor"));
        let sealed = triage_ledger::bundle::seal_dir(&dir, &manifest)
            .map_err(|e| Failure::input(e.to_string()))?;
        let rec = Record::Seal(Seal {
            facility: facility.into(),
            description: description.into(),
            root: sealed.root.as_bytes().to_vec(),
            items: sealed.items,
            manifest_sha256: sealed.manifest_sha256.to_vec(),
        });
        let files = if sealed.items == 1 { "file" } else { "files" };
        self.emit(
            who,
            rec,
            &format!("{description} ({} {files})", sealed.items),
        )
    }

    /// Has witness `name` cosign the ledger's latest checkpoint.
    fn witness(&self, name: &str) -> CmdResult {
        let c = super::witness::run_local(&self.dir.join("witnesses").join(name), &self.ledger)?;
        println!(
            "  witness {name} cosigns the checkpoint of size {} (consistent with size {})",
            c.size, c.old
        );
        Ok(())
    }

    /// Writes DIR/packs/NAME.pack and verifies it as a third party would.
    fn pack(&self, name: &str, sel: Selection, since: Option<&Pack>) -> Result<Pack, Failure> {
        let old = since.map(|p| p.checkpoint.as_slice());
        let old_size = match old {
            Some(b) => Some(
                SignedCheckpoint::open(b, Ledger::open(&self.ledger)?.vkey())
                    .map_err(|e| Failure::input(e.to_string()))?
                    .root()
                    .size(),
            ),
            None => None,
        };
        let pack = make_pack(&self.ledger, &sel, super::statements::now(), old_size)
            .map_err(|e| Failure::input(e.to_string()))?;
        let file = self.dir.join("packs").join(format!("{name}.pack"));
        let bytes = pack.to_bytes().map_err(|e| Failure::input(e.to_string()))?;
        std::fs::write(&file, bytes).map_err(io(&file))?;
        let trust =
            Trust::load(&self.dir.join("trust")).map_err(|e| Failure::input(e.to_string()))?;
        let report = verify_pack(&pack, &trust, old);
        if !report.verified() {
            return Err(Failure::verification(format!(
                "the demo's own pack {} did not verify:\n{}",
                file.display(),
                report.to_text()
            )));
        }
        println!(
            "  packs/{name}.pack: {} statements, VERIFIED ({} checks){}",
            pack.statements.len(),
            report.checks.len(),
            if since.is_some() {
                ", and its log extends the earlier pack's"
            } else {
                ""
            }
        );
        Ok(pack)
    }

    fn report_hash(&self, facility: &str) -> Result<Vec<u8>, Failure> {
        let p = self
            .dir
            .join("evidence")
            .join(facility)
            .join("security-assessment-report.md");
        Ok(Sha256::digest(std::fs::read(&p).map_err(io(&p))?).to_vec())
    }
}

pub fn run(dir: &Path) -> CmdResult {
    if dir.exists() && std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
        return Err(
            Failure::input(format!("{} already exists and is not empty", dir.display()))
                .hint("pick a new directory"),
        );
    }
    let root = demo_party!("demo-root")?;
    let op = demo_party!("demo-operator")?;
    let op_old = demo_party!("demo-operator-old")?;
    let cio = demo_party!("demo-user-cio")?;
    let ssc = demo_party!("demo-ssc")?;

    for sub in ["trust", "statements", "manifests", "packs"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(io(dir))?;
    }
    for (rel, content) in EVIDENCE {
        let p = dir.join("evidence").join(rel);
        std::fs::create_dir_all(p.parent().unwrap_or(dir)).map_err(io(&p))?;
        std::fs::write(&p, content).map_err(io(&p))?;
    }
    let ledger = dir.join("ledger");
    let vkey = store::init(&ledger, "demo.triage-ledger.example/mp203")?;
    store::install_trust_root(&ledger, root.cert.to_pem().as_bytes())?;
    let trust = dir.join("trust");
    std::fs::write(trust.join("root.pem"), root.cert.to_pem()).map_err(io(&trust))?;
    std::fs::write(trust.join("log.vkey"), format!("{vkey}\n")).map_err(io(&trust))?;
    // Two witnesses, each in its own directory (in real life, on other
    // machines run by other parties); verifiers need one of them.
    let mut wkeys = Vec::new();
    for n in 1..=2 {
        let wdir = dir.join("witnesses").join(format!("w{n}"));
        let wkey = Witness::create(&wdir, &format!("demo.triage-ledger.example/witness-{n}"))
            .map_err(|e| Failure::input(e.to_string()))?;
        let mut w = Witness::open(&wdir).map_err(|e| Failure::input(e.to_string()))?;
        w.add_log(vkey.clone())
            .map_err(|e| Failure::input(e.to_string()))?;
        wkeys.push(wkey);
    }
    let policy = format!(
        "# Who verifiers of the demo ledger trust (c2sp.org/tlog-policy).\n\
         log {vkey}\n\
         witness w1 {}\n\
         witness w2 {}\n\
         group demo-witnesses 1 w1 w2\n\
         quorum demo-witnesses\n",
        wkeys[0], wkeys[1]
    );
    std::fs::write(trust.join("policy"), policy).map_err(io(&trust))?;
    println!("Demo ledger {} (log {})", ledger.display(), vkey.name());
    println!(
        "Trust material for verifiers: {0}/root.pem, {0}/policy (the log, two witnesses, quorum 1)",
        trust.display()
    );
    println!();

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut d = Demo {
        dir: dir.to_path_buf(),
        ledger: ledger.clone(),
        count: 0,
        now,
    };

    println!("Facility TF-0001, Northgate Bay 1:");
    let reg = |f: &str, n: &str, s: &str| {
        Record::Registration(Registration {
            facility: f.into(),
            name: n.into(),
            site: s.into(),
        })
    };
    d.emit(
        &op,
        reg(
            "TF-0001",
            "Northgate Triage — Bay 1",
            "Unit 4, Example Trading Estate (synthetic)",
        ),
        "registers the facility",
    )?;
    let inv = d.seal(
        &op,
        "TF-0001",
        "tool-inventory",
        "Triage Tool inventory with firmware hashes",
    )?;
    let logs = d.seal(
        &op,
        "TF-0001",
        "reset-logs",
        "factory-reset logs, March 2027",
    )?;
    let risk = d.seal(
        &op,
        "TF-0001",
        "risk-assessment",
        "ISO 27005 risk assessment",
    )?;
    for s in [&inv, &logs, &risk] {
        let cs = Record::Countersignature(Countersignature {
            facility: "TF-0001".into(),
            seal: s.clone(),
            note: "reviewed on site".into(),
        });
        d.emit(&cio, cs, &format!("countersigns entry {}", s.index))?;
    }
    let fusa = Record::Decision(Decision {
        facility: "TF-0001".into(),
        assessment: Assessment::Fusa,
        outcome: Outcome::ApprovedWithSteps,
        steps: vec![
            Step {
                id: "S1".into(),
                description: "sign the chain-of-custody log at every hand-over".into(),
                due: "2027-06-30".into(),
            },
            Step {
                id: "S2".into(),
                description: "attest Triage Tool firmware against the vendor's hashes monthly"
                    .into(),
                due: "2027-06-30".into(),
            },
        ],
        findings: vec![
            Finding {
                control: "G3.7".into(),
                finding: "custody log unsigned at hand-over".into(),
            },
            Finding {
                control: "G5.14".into(),
                finding: "tool access control effective".into(),
            },
        ],
        report_sha256: d.report_hash("TF-0001")?,
        evidence: vec![inv.clone(), logs.clone(), risk.clone()],
    });
    let fusa = d.emit(&cio, fusa, "FUSA: approved subject to steps S1, S2")?;
    let fusa_file = format!("{:02}-decision.cose", fusa.index + 1);
    d.witness("w1")?;
    let fusa_pack = d.pack("TF-0001-fusa", Selection::Entries(vec![fusa.index]), None)?;
    let remediation = d.seal(&op, "TF-0001", "remediation", "remediation of S1")?;
    for (step, evidence) in [("S1", vec![remediation.clone()]), ("S2", vec![inv.clone()])] {
        let c = StepCompletion {
            facility: "TF-0001".into(),
            decision: fusa.clone(),
            step: step.into(),
            evidence,
        };
        let c = d.emit(&op, Record::StepCompletion(c), &format!("completes {step}"))?;
        let a = StepAcceptance {
            facility: "TF-0001".into(),
            completion: c,
        };
        d.emit(&cio, Record::StepAcceptance(a), &format!("accepts {step}"))?;
    }
    let det = Determination {
        facility: "TF-0001".into(),
        decision: fusa.clone(),
        next: Assessment::Vusa,
        due: "2028-03-31".into(),
    };
    d.emit(
        &ssc,
        Record::Determination(det),
        "determines the follow-up: VUSA due 2028-03-31",
    )?;
    let vusa = Record::Decision(Decision {
        facility: "TF-0001".into(),
        assessment: Assessment::Vusa,
        outcome: Outcome::Approved,
        steps: vec![],
        findings: vec![Finding {
            control: "G3.7".into(),
            finding: "custody log signed; risk not increased".into(),
        }],
        report_sha256: d.report_hash("TF-0001")?,
        evidence: vec![remediation],
    });
    d.emit(&cio, vusa, "VUSA: approved")?;

    println!();
    println!("Facility TF-0002, Northgate Bay 2:");
    d.emit(
        &op,
        reg(
            "TF-0002",
            "Northgate Triage — Bay 2",
            "Bay 2, Sample Business Park (synthetic)",
        ),
        "registers the facility",
    )?;
    let intake = d.seal(&op, "TF-0002", "intake", "device intake records")?;
    let rej = Record::Decision(Decision {
        facility: "TF-0002".into(),
        assessment: Assessment::Fusa,
        outcome: Outcome::Rejected,
        steps: vec![],
        findings: vec![Finding {
            control: "G3.7".into(),
            finding: "no custody controls".into(),
        }],
        report_sha256: d.report_hash("TF-0002")?,
        evidence: vec![intake],
    });
    let rej = d.emit(&cio, rej, "FUSA: rejected")?;
    let disp = Dispute {
        facility: "TF-0002".into(),
        decision: rej,
        grounds: "custody controls were in place but not shown".into(),
    };
    let disp = d.emit(&op, Record::Dispute(disp), "disputes the rejection")?;
    let res = DisputeResolution {
        facility: "TF-0002".into(),
        dispute: disp,
        resolution: Resolution::Dismissed,
        new_assessment: true,
        reason: "the report is sound; a new FUSA may be requested once controls exist".into(),
    };
    d.emit(
        &ssc,
        Record::Resolution(res),
        "dismisses the dispute; a new FUSA is required",
    )?;

    println!();
    println!("Key management:");
    let rev = Revocation {
        certificate_sha256: op_old.cert.fingerprint().to_vec(),
        reason: "superseded 2026 operator key".into(),
    };
    d.emit(
        &root,
        Record::Revocation(rev),
        "revokes the operator's 2026 key",
    )?;
    // A statement signed with the revoked key must be refused.
    let late = Record::Registration(Registration {
        facility: "TF-0003".into(),
        name: "Northgate Bay 3".into(),
        site: "synthetic".into(),
    });
    let st = policy::sign_statement(&late, &op_old.key, &op_old.cert, now)
        .map_err(|e| Failure::input(e.to_string()))?;
    let refused = dir.join("statements").join("refused-revoked-key.cose");
    std::fs::write(&refused, st.bytes()).map_err(io(&refused))?;
    match policy::submit(
        &ledger,
        &[(refused.display().to_string(), st.bytes().to_vec())],
        now + 1100,
        300,
    ) {
        Err(
            e @ policy::SubmitError::Refused {
                rule: "revoked", ..
            },
        ) => {
            println!("  refused   registration     by demo-operator-old  {e}")
        }
        Err(e) => {
            return Err(Failure::verification(format!(
                "the demo's revoked key was refused for another reason: {e}"
            )))
        }
        Ok(_) => {
            return Err(Failure::verification(
                "the demo's revoked key was not refused",
            ))
        }
    }

    println!();
    println!("Witnesses and evidence packs:");
    d.witness("w1")?;
    d.witness("w2")?;
    d.pack(
        "TF-0001",
        Selection::Facility("TF-0001".into()),
        Some(&fusa_pack),
    )?;
    d.pack("TF-0002", Selection::Facility("TF-0002".into()), None)?;

    println!();
    super::show::status(&ledger, None, false)?;
    let audit = store::audit(&ledger)?;
    println!();
    println!(
        "Audit: {} entries re-hashed, root {} matches the signed checkpoint.",
        audit.size, audit.root
    );
    let dd = dir.display();
    println!();
    println!("Try next:");
    println!("  triage-ledger status {dd}/ledger --json");
    let fi = fusa.index;
    println!("  triage-ledger inspect {dd}/statements/{fusa_file}");
    println!("  triage-ledger submit {dd}/ledger {dd}/statements/refused-revoked-key.cose   # refused: exit 1");
    println!("  triage-ledger log prove {dd}/ledger --index {fi} > fusa.tlog-proof");
    println!("  triage-ledger log verify-inclusion --vkey {dd}/trust/log.vkey --proof fusa.tlog-proof --entry {dd}/statements/{fusa_file}");
    println!("  triage-ledger log audit {dd}/ledger");
    println!("  triage-ledger verify {dd}/packs/TF-0001.pack --trust {dd}/trust --since {dd}/packs/TF-0001-fusa.pack");
    println!("  triage-ledger verify {dd}/packs/TF-0002.pack --trust {dd}/trust --json");
    println!("  triage-ledger witness status {dd}/witnesses/w1");
    println!("The public log is {dd}/ledger/log/: serve it with any static web server.");
    Ok(())
}
