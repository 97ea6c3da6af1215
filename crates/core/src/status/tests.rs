//! The status summary: coverage of the framework in force, acknowledgements,
//! and warnings judged at a date.

use super::*;
use crate::policy::testing::{
    ack, cio, entry_ref, framework, honest_decision, op, reg, ssc, World,
};
use crate::record::*;

fn world() -> World {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    let fw = w.by(ssc, framework("v1", 4)).unwrap(); // G1..G3 apply
    w.by(
        op,
        Record::Seal(Seal {
            facility: "TF-1".into(),
            description: "d".into(),
            root: crate::merkle::Hash::from_bytes([1; 32]),
            items: 1,
            manifest_sha256: crate::merkle::Hash::from_bytes([1; 32]),
            addresses: Some(Addresses {
                framework: fw,
                obligations: vec!["G1".into(), "G2".into()],
            }),
        }),
    )
    .unwrap();
    w.by(
        op,
        Record::ToolInventory(ToolInventory {
            facility: "TF-1".into(),
            tools: ["2027-01-31", "2028-03-31", "2030-01-01"]
                .iter()
                .enumerate()
                .map(|(i, exp)| Tool {
                    make: "M".into(),
                    model: "X".into(),
                    serial: format!("SN-{i}"),
                    firmware_sha256: crate::merkle::Hash::from_bytes([i as u8; 32]),
                    cpa_certificate: format!("CPA-{i}"),
                    cpa_expires: exp.to_string(),
                })
                .collect(),
            interfaces: vec![],
        }),
    )
    .unwrap();
    w
}

#[test]
fn coverage_lists_each_applicable_obligation_with_evidence_finding_and_step() {
    let mut w = world();
    let s = status_of(&w, "2026-12-01");
    assert_eq!(s.framework.as_deref(), Some("v1"));
    assert_eq!(s.coverage.len(), 3);
    assert!(s.coverage.iter().all(|c| c.finding.is_none() && c.is_gap()));
    assert_eq!(s.coverage[0].evidence, vec![4]);
    // G1 not met, named by step S1; G2, G3 met.
    let d = honest_decision(
        &w,
        "TF-1",
        Assessment::Fusa,
        Outcome::ApprovedWithSteps,
        vec![],
    );
    let d = w.by(cio, d).unwrap();
    let s = status_of(&w, "2026-12-01");
    let by_id = |id: &str| {
        s.coverage
            .iter()
            .find(|c| c.obligation == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("G1").finding.as_deref(), Some("not-met"));
    assert_eq!(by_id("G1").step.as_deref(), Some("S1"));
    assert!(by_id("G1").is_gap());
    assert!(!by_id("G2").is_gap(), "met with evidence");
    assert!(by_id("G3").is_gap(), "met without evidence");
    assert!(s.decisions[0].acknowledged.is_none());
    assert!(s
        .warnings
        .iter()
        .any(|w| w.kind == "acknowledgement-pending"));
    // The text shows gaps first, before the decisions.
    let text = s.to_text();
    let gap = text.find("gap     G1").unwrap();
    assert!(gap < text.find("current").unwrap(), "{text}");
    w.by(op, ack("TF-1", &d, Position::Accepted)).unwrap();
    let s = status_of(&w, "2026-12-01");
    assert_eq!(
        s.decisions[0].acknowledged.as_ref().unwrap().position,
        "accepted"
    );
    // A newer framework version: gaps until assessed under it.
    w.by(ssc, framework("v2", 4)).unwrap();
    let s = status_of(&w, "2026-12-01");
    assert_eq!(s.framework.as_deref(), Some("v2"));
    assert_eq!(s.decision_framework.as_deref(), Some("v1"));
    assert!(s.coverage.iter().all(|c| c.finding.is_none()));
    assert!(
        s.coverage.iter().all(|c| c.evidence.is_empty()),
        "evidence addressed v1, not v2"
    );
    assert!(s.to_text().contains("the latest decision was judged by v1"));
    let _ = entry_ref(&w, 0);
}

fn status_of(w: &World, as_of: &str) -> FacilitySummary {
    let st = ledger_status(&w.state, w.log.len() as u64, as_of, Some("TF-1"));
    assert_eq!(st.designated.user_cio.as_ref().unwrap().entry, 1);
    st.facilities.into_iter().next().unwrap()
}

#[test]
fn warnings_are_judged_at_the_date_given() {
    let mut w = world();
    let d = honest_decision(
        &w,
        "TF-1",
        Assessment::Fusa,
        Outcome::ApprovedWithSteps,
        vec![],
    );
    let d = w.by(cio, d).unwrap();
    w.by(op, ack("TF-1", &d, Position::Accepted)).unwrap();
    // Step S1 is due 2027-06-30.
    let kinds = |s: &FacilitySummary| {
        s.warnings
            .iter()
            .map(|w| w.kind.clone())
            .collect::<Vec<_>>()
    };
    let early = status_of(&w, "2026-12-01");
    assert_eq!(kinds(&early), Vec::<&str>::new());
    let late = status_of(&w, "2027-07-01");
    assert_eq!(kinds(&late), ["step-overdue", "cpa-expired"]);
    assert!(late.open_steps[0].overdue);
    // Once the steps are accepted and a VUSA is due 2028-06-30, the CPA
    // certificate expiring 2028-03-31 is flagged before it lapses, and the
    // assessment is overdue after its date.
    let c = w
        .by(
            op,
            Record::StepCompletion(StepCompletion {
                facility: "TF-1".into(),
                decision: d.clone(),
                step: "S1".into(),
                evidence: vec![],
            }),
        )
        .unwrap();
    w.by(
        cio,
        Record::StepAcceptance(StepAcceptance {
            facility: "TF-1".into(),
            completion: c,
        }),
    )
    .unwrap();
    w.by(
        ssc,
        Record::Determination(Determination {
            facility: "TF-1".into(),
            decision: d,
            next: Assessment::Vusa,
            due: "2028-06-30".into(),
        }),
    )
    .unwrap();
    let s = status_of(&w, "2026-12-01");
    assert_eq!(
        kinds(&s),
        ["cpa-expires-before-due", "cpa-expires-before-due"]
    );
    assert!(
        s.warnings[1].message.contains("SN-1"),
        "{}",
        s.warnings[1].message
    );
    let next = s.next_assessment.as_ref().unwrap();
    assert_eq!(
        (next.assessment.as_str(), next.due.as_deref()),
        ("VUSA", Some("2028-06-30"))
    );
    let s = status_of(&w, "2028-07-01");
    assert_eq!(
        kinds(&s),
        ["assessment-overdue", "cpa-expired", "cpa-expired"]
    );
    // The JSON has the documented fields.
    let st = ledger_status(&w.state, w.log.len() as u64, "2026-12-01", None);
    let v: serde_json::Value = serde_json::from_str(&st.to_json()).unwrap();
    let f = &v["facilities"][0];
    for key in [
        "id",
        "name",
        "party",
        "registered",
        "seals",
        "current",
        "decisions",
        "open_steps",
        "next_assessment",
        "open_disputes",
        "framework",
        "coverage",
        "inventory",
        "warnings",
    ] {
        assert!(f.get(key).is_some(), "{key} missing: {f}");
    }
    assert_eq!(f["coverage"][0]["obligation"], "G1");
    assert_eq!(f["coverage"][0]["finding"], "not-met");
    assert_eq!(f["coverage"][0]["step"], "S1");
    assert_eq!(f["coverage"][0]["evidence"][0], 4);
}

#[test]
fn dates_of_posix_times_are_utc_calendar_days() {
    assert_eq!(date_of(0), "1970-01-01");
    assert_eq!(date_of(1_798_761_599), "2026-12-31");
    assert_eq!(date_of(1_798_761_600), "2027-01-01");
}
