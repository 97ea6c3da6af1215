//! The demo's story, in log order: the scheme (designations, the controls
//! framework), facility TF-0001 through a conditional FUSA and a VUSA,
//! facility TF-0002 through a rejection and a dispute, another party's
//! attempt to act for TF-0001, a revoked key, witnesses and packs.

use triage_ledger::ledger::Selection;
use triage_ledger::record::*;

use super::{input, Cast, Demo};
use crate::cli::failure::Failure;

/// What the closing hints of the demo point at.
pub(super) struct Told {
    pub fusa: Ref,
    pub fusa_file: String,
    pub revoked_file: String,
}

const TF1: &str = "TF-0001";
const TF2: &str = "TF-0002";

fn step(id: &str, description: &str, obligations: &[&str]) -> Step {
    Step {
        id: id.into(),
        description: description.into(),
        due: "2027-06-30".into(),
        obligations: obligations.iter().map(|o| o.to_string()).collect(),
    }
}

/// Findings for every applicable obligation of `fw`: `met` unless listed.
fn findings(fw: &Framework, others: &[(&str, FindingResult, &str)]) -> Vec<Finding> {
    fw.applicable()
        .map(|o| match others.iter().find(|(id, _, _)| *id == o.id) {
            Some((_, result, note)) => Finding {
                obligation: o.id.clone(),
                result: *result,
                note: note.to_string(),
            },
            None => Finding {
                obligation: o.id.clone(),
                result: FindingResult::Met,
                note: "seen on site".into(),
            },
        })
        .collect()
}

pub(super) fn tell(d: &mut Demo, c: &Cast) -> Result<Told, Failure> {
    say!();
    say!("The scheme:");
    let ssc_party = c.ssc.cert.party().unwrap_or_default().to_string();
    let cio_party = c.cio.cert.party().unwrap_or_default().to_string();
    d.emit(
        &c.root,
        Record::Designation(Designation {
            role: DesignatedRole::Ssc,
            party: ssc_party.clone(),
            note: "the Security Sub-Committee of the SEC Panel".into(),
        }),
        &format!("designates party {ssc_party} as the SSC"),
    )?;
    d.emit(
        &c.ssc,
        Record::Designation(Designation {
            role: DesignatedRole::UserCio,
            party: cio_party.clone(),
            note: "appointed User CIO under the SEC (synthetic)".into(),
        }),
        &format!("designates party {cio_party} as the User CIO"),
    )?;
    let fw =
        framework_from_json(d.text("scheme/framework-2027.1.json")?.as_bytes()).map_err(input)?;
    let applicable = fw.applicable().count();
    let fw_ref = d.emit(
        &c.ssc,
        Record::Framework(fw.clone()),
        &format!(
            "publishes framework {} ({} obligations, {applicable} apply to triage)",
            fw.version,
            fw.obligations.len()
        ),
    )?;

    say!();
    say!(
        "Facility TF-0001, Northgate Bay 1 (party {}):",
        c.op.cert.party().unwrap_or("?")
    );
    let reg = |f: &str, n: &str, s: &str| {
        Record::Registration(Registration {
            facility: f.into(),
            name: n.into(),
            site: s.into(),
        })
    };
    d.emit(
        &c.op,
        reg(
            TF1,
            "Northgate Triage — Bay 1",
            "Unit 4, Example Trading Estate (synthetic)",
        ),
        "registers the facility",
    )?;
    let tools =
        inventory_from_json(TF1, d.text("scheme/TF-0001-tools.json")?.as_bytes()).map_err(input)?;
    let what = format!(
        "records {} Triage Tools and {} Triage Interfaces",
        tools.tools.len(),
        tools.interfaces.len()
    );
    d.emit(&c.op, Record::ToolInventory(tools), &what)?;
    let fwa = |o: &'static [&'static str]| Some((&fw_ref, o));
    let inv = d.seal(
        &c.op,
        TF1,
        "tool-inventory",
        "Triage Tool inventory with firmware hashes",
        fwa(&["G3.2", "G3.5", "G3.22", "G5.14"]),
    )?;
    let logs = d.seal(
        &c.op,
        TF1,
        "reset-logs",
        "factory-reset logs, March 2027",
        fwa(&["G3.10", "G3.20", "G3.21"]),
    )?;
    let risk = d.seal(
        &c.op,
        TF1,
        "risk-assessment",
        "ISO 27005 risk assessment",
        fwa(&["G3.3", "G5.1", "G5.4"]),
    )?;
    for s in [&inv, &logs, &risk] {
        let cs = Record::Countersignature(Countersignature {
            facility: TF1.into(),
            seal: s.clone(),
            note: "reviewed on site".into(),
        });
        d.emit(&c.cio, cs, &format!("countersigns entry {}", s.index))?;
    }
    let fusa_findings =
        findings_from_text(&d.text("scheme/TF-0001-fusa-findings.txt")?, "findings")
            .map_err(input)?;
    let fusa = |outcome, steps| Decision {
        facility: TF1.into(),
        assessment: Assessment::Fusa,
        outcome,
        steps,
        findings: fusa_findings.clone(),
        report_sha256: Default::default(),
        evidence: vec![inv.clone(), logs.clone(), risk.clone()],
        framework: Some(fw_ref.clone()),
        self_assessment: None,
    };
    let report = d.digest("evidence/TF-0001/security-assessment-report.md")?;
    let mut premature = fusa(Outcome::Approved, vec![]);
    premature.report_sha256 = report;
    d.refuse(
        &c.cio,
        Record::Decision(premature),
        "coverage",
        "FUSA: approved, with G3.7 and G3.22 found not met",
    )?;
    let mut conditional = fusa(
        Outcome::ApprovedWithSteps,
        vec![
            step(
                "S1",
                "sign the chain-of-custody log at every hand-over",
                &["G3.7"],
            ),
            step(
                "S2",
                "attest Triage Tool firmware against the vendor's hashes monthly",
                &["G3.22"],
            ),
        ],
    );
    conditional.report_sha256 = report;
    let fusa = d.emit(
        &c.cio,
        Record::Decision(conditional),
        &format!("FUSA: approved subject to steps S1 (G3.7), S2 (G3.22); {applicable} findings"),
    )?;
    let fusa_file = d.last_file.clone();
    d.emit(
        &c.op,
        Record::Acknowledgement(Acknowledgement {
            facility: TF1.into(),
            decision: fusa.clone(),
            response_sha256: d.digest("evidence/TF-0001/security-assessment-response.md")?,
            position: Position::Accepted,
        }),
        "acknowledges the FUSA: accepts the findings",
    )?;
    d.witness("w1")?;
    let fusa_pack = d.pack("TF-0001-fusa", Selection::Entries(vec![fusa.index]), None)?;
    let remediation = d.seal(
        &c.op,
        TF1,
        "remediation",
        "remediation of S1",
        fwa(&["G3.7"]),
    )?;
    for (id, evidence) in [("S1", vec![remediation.clone()]), ("S2", vec![inv.clone()])] {
        let comp = StepCompletion {
            facility: TF1.into(),
            decision: fusa.clone(),
            step: id.into(),
            evidence,
        };
        let comp = d.emit(
            &c.op,
            Record::StepCompletion(comp),
            &format!("completes {id}"),
        )?;
        let acc = StepAcceptance {
            facility: TF1.into(),
            completion: comp,
        };
        d.emit(
            &c.cio,
            Record::StepAcceptance(acc),
            &format!("accepts {id}"),
        )?;
    }
    let det = Determination {
        facility: TF1.into(),
        decision: fusa.clone(),
        next: Assessment::Vusa,
        due: "2028-03-31".into(),
    };
    d.emit(
        &c.ssc,
        Record::Determination(det),
        "determines the follow-up: VUSA due 2028-03-31",
    )?;
    let vusa = Decision {
        facility: TF1.into(),
        assessment: Assessment::Vusa,
        outcome: Outcome::Approved,
        steps: vec![],
        findings: findings(
            &fw,
            &[(
                "G5.19",
                FindingResult::NotAssessed,
                "incident procedure not exercised this period",
            )],
        ),
        report_sha256: d.digest("evidence/TF-0001/security-assessment-report.md")?,
        evidence: vec![remediation],
        framework: Some(fw_ref.clone()),
        self_assessment: None,
    };
    let vusa = d.emit(&c.cio, Record::Decision(vusa), "VUSA: approved")?;
    d.emit(
        &c.op,
        Record::Acknowledgement(Acknowledgement {
            facility: TF1.into(),
            decision: vusa.clone(),
            response_sha256: d.digest("evidence/TF-0001/security-assessment-response.md")?,
            position: Position::Accepted,
        }),
        "acknowledges the VUSA",
    )?;
    d.emit(
        &c.ssc,
        Record::Determination(Determination {
            facility: TF1.into(),
            decision: vusa,
            next: Assessment::Ussa,
            due: "2028-09-30".into(),
        }),
        "determines the follow-up: USSA due 2028-09-30",
    )?;
    let self_assessment = SelfAssessment {
        facility: TF1.into(),
        findings: findings(
            &fw,
            &[(
                "G5.19",
                FindingResult::NotAssessed,
                "incident exercise planned for 2028-Q3",
            )],
        ),
        report_sha256: d.digest("evidence/TF-0001/security-assessment-response.md")?,
        evidence: vec![inv.clone(), logs.clone()],
        framework: Some(fw_ref.clone()),
    };
    d.emit(
        &c.op,
        Record::SelfAssessment(self_assessment),
        "submits its USSA self-assessment for the User CIO's review",
    )?;

    say!();
    say!("Facility TF-0002, Northgate Bay 2:");
    d.emit(
        &c.op,
        reg(
            TF2,
            "Northgate Triage — Bay 2",
            "Bay 2, Sample Business Park (synthetic)",
        ),
        "registers the facility",
    )?;
    let intake = d.seal(
        &c.op,
        TF2,
        "intake",
        "device intake records",
        fwa(&["G3.7"]),
    )?;
    let rejection = Decision {
        facility: TF2.into(),
        assessment: Assessment::Fusa,
        outcome: Outcome::Rejected,
        steps: vec![],
        findings: findings(
            &fw,
            &[
                ("G3.7", FindingResult::NotMet, "no custody controls shown"),
                ("G5.19", FindingResult::NotAssessed, "not reached"),
            ],
        ),
        report_sha256: d.digest("evidence/TF-0002/security-assessment-report.md")?,
        evidence: vec![intake],
        framework: Some(fw_ref.clone()),
        self_assessment: None,
    };
    let rej = d.emit(
        &c.cio,
        Record::Decision(rejection),
        "FUSA: rejected (G3.7 not met)",
    )?;
    d.emit(
        &c.op,
        Record::Acknowledgement(Acknowledgement {
            facility: TF2.into(),
            decision: rej.clone(),
            response_sha256: d.digest("evidence/TF-0002/security-assessment-response.md")?,
            position: Position::Disputed,
        }),
        "acknowledges the FUSA: announces a dispute",
    )?;
    let disp = Dispute {
        facility: TF2.into(),
        decision: rej,
        grounds: "custody controls were in place but not shown".into(),
    };
    let disp = d.emit(&c.op, Record::Dispute(disp), "disputes the rejection")?;
    let res = DisputeResolution {
        facility: TF2.into(),
        dispute: disp,
        resolution: Resolution::Dismissed,
        new_assessment: true,
        reason: "the report is sound; a new FUSA may be requested once controls exist".into(),
    };
    d.emit(
        &c.ssc,
        Record::Resolution(res),
        "dismisses the dispute; a new FUSA is required",
    )?;

    say!();
    say!(
        "Another party ({}) tries to act for TF-0001:",
        c.rival.cert.party().unwrap_or("?")
    );
    d.refuse(
        &c.rival,
        Record::Dispute(Dispute {
            facility: TF1.into(),
            decision: fusa.clone(),
            grounds: "we dispute this".into(),
        }),
        "authority",
        "disputes TF-0001's FUSA",
    )?;
    let bogus = triage_ledger::bundle::seal_dir(
        &d.path("evidence/TF-0002/intake"),
        &d.path("manifests/rival.cbor"),
    )
    .map_err(input)?;
    d.refuse(
        &c.rival,
        Record::Seal(Seal {
            facility: TF1.into(),
            description: "evidence".into(),
            root: bogus.root,
            items: bogus.items,
            manifest_sha256: triage_ledger::merkle::Hash::from_bytes(bogus.manifest_sha256),
            addresses: None,
        }),
        "authority",
        "seals \"evidence\" into TF-0001",
    )?;

    say!();
    say!("Key management:");
    let rev = Revocation {
        certificate_sha256: triage_ledger::merkle::Hash::from_bytes(c.op_old.cert.fingerprint()),
        reason: "superseded 2026 operator key".into(),
    };
    d.emit(
        &c.root,
        Record::Revocation(rev),
        "revokes the operator's 2026 key",
    )?;
    d.refuse(
        &c.op_old,
        reg("TF-0003", "Northgate Bay 3", "synthetic"),
        "revoked",
        "registers TF-0003 with the revoked key",
    )?;
    let revoked_file = d.last_file.clone();

    say!();
    say!("Witnesses and evidence packs:");
    d.witness("w1")?;
    d.witness("w2")?;
    d.pack("TF-0001", Selection::Facility(TF1.into()), Some(&fusa_pack))?;
    d.pack("TF-0002", Selection::Facility(TF2.into()), None)?;
    Ok(Told {
        fusa,
        fusa_file,
        revoked_file,
    })
}
