//! Every refusal code the policy can give is reached by a statement: the
//! scenarios of the other policy tests are run again on this thread, with
//! `World::admit` noting each code it meets, and the few cases no scenario
//! reaches get their own below.

use super::*;

/// Codes a signed statement cannot reach: guards on the log itself and on
/// the state index, each with why.
const NOT_FROM_A_STATEMENT: &[(&str, &str)] = &[
    (
        "index/mismatch",
        "an index entry of the log that does not match the leaves before it: the replay of a log, not the admission of a statement",
    ),
    (
        "lifecycle/out-of-order",
        "an entry applied at an index before the state's next: a replay given a log out of order",
    ),
    (
        "state-index/unavailable",
        "the persisted state index could not be read: the statement was not judged",
    ),
    (
        "lifecycle/decision-of-another-facility",
        "a statement references a decision of its own facility or is refused first by reference/other-facility",
    ),
    (
        "lifecycle/not-a-pending-step",
        "every logged completion is its step's completion (a second one is refused), so an acceptance's completion is always pending or accepted",
    ),
    (
        "lifecycle/step-already-accepted",
        "an acceptance names only its completion, so a second acceptance equals the first: duplicate/already-in-force first (the lifecycle guard is for a log written before that rule)",
    ),
    (
        "lifecycle/no-decision",
        "a determination references a decision of its facility, so the facility has one: reference rule first",
    ),
    (
        "framework/not-a-framework",
        "a citation with no framework published: the reference rule refuses it first (reference/no-such-entry or reference/wrong-kind)",
    ),
];

#[test]
fn every_refusal_code_is_reached_by_a_statement() {
    REACHED.with(|r| r.borrow_mut().clear());
    a_whole_lifecycle_is_admitted_and_replays_to_the_same_state();
    each_rule_refuses_with_its_name();
    stale_statements_overturned_approvals_and_disputed_decisions();
    records_with_tags_or_other_encodings_are_refused();
    scheme::another_party_cannot_act_for_a_facility_it_does_not_own();
    scheme::a_transfer_by_the_ssc_moves_the_facility_to_another_party();
    scheme::only_designated_parties_act_as_user_cio_and_ssc();
    scheme::decisions_are_judged_by_the_framework_in_force();
    scheme::determinations_rest_on_acknowledged_decisions();
    scheme::a_ussa_reviews_the_operators_self_assessment();
    scheme::the_user_cio_does_not_assess_its_own_party();
    duplicate::a_repeated_registration_is_a_duplicate_another_one_a_lifecycle_refusal();
    duplicate::a_repeated_acknowledgement_is_a_duplicate_a_different_one_a_lifecycle_refusal();
    duplicate::repeated_step_completions_and_acceptances_are_refused();
    duplicate::repeated_disputes_and_resolutions_are_refused();
    duplicate::a_repeated_determination_is_refused();
    duplicate::a_published_framework_is_not_published_again();
    the_refusals_no_other_scenario_reaches();
    let reached = REACHED.with(|r| r.borrow().clone());
    let all = crate::policy::refusal::all_codes();
    let unique: std::collections::BTreeSet<_> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "a code is given twice: {all:?}");
    for (code, why) in NOT_FROM_A_STATEMENT {
        assert!(unique.contains(code), "{code} is not a code");
        assert!(
            !why.is_empty() && !reached.contains(code),
            "{code} was reached"
        );
    }
    let missing: Vec<_> = all
        .iter()
        .filter(|c| !reached.contains(*c) && !NOT_FROM_A_STATEMENT.iter().any(|(n, _)| n == *c))
        .collect();
    assert!(missing.is_empty(), "no statement reached: {missing:?}");
    for code in &reached {
        assert!(unique.contains(code), "{code} is reached but not listed");
    }
}

fn refused(r: Result<Ref, PolicyError>) -> &'static str {
    r.map(|_| "admitted").unwrap_or_else(|e| e.code())
}

fn determination(f: &str, d: &Ref, next: Assessment) -> Record {
    Record::Determination(Determination {
        facility: f.into(),
        decision: d.clone(),
        next,
        due: "2028-01-01".into(),
    })
}

/// A statement by the operator with this header's content type and payload.
fn statement(w: &World, kind: Kind, payload: &[u8], x5chain: Vec<Vec<u8>>) -> Vec<u8> {
    let header = StatementHeader {
        content_type: kind.content_type(),
        issuer: w.op.cert.subject().to_string(),
        subject: "TF-1".into(),
        issued_at: T,
        x5chain,
    };
    Statement::sign(header, payload, &w.op.key)
        .unwrap()
        .bytes()
        .to_vec()
}

#[test]
fn the_refusals_no_other_scenario_reaches() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    // A seal's payload under a registration's content type.
    let seal_payload = seal("TF-1", 1).encode().unwrap();
    let der = w.op.cert.der().to_vec();
    let b = statement(&w, Kind::Registration, &seal_payload, vec![der]);
    assert_eq!(refused(w.admit(b)), "record/invalid");
    // A certificate that is not DER.
    let b = statement(
        &w,
        Kind::Seal,
        &seal_payload,
        vec![b"not a certificate".to_vec()],
    );
    assert_eq!(refused(w.admit(b)), "certificate/unreadable");

    // A second decision before the SSC determines the next assessment.
    let s1 = w.by(op, seal("TF-1", 1)).unwrap();
    let d1 = w
        .by(
            cio,
            decision(
                "TF-1",
                Assessment::Fusa,
                Outcome::ApprovedWithSteps,
                &["S1"],
                vec![s1.clone()],
            ),
        )
        .unwrap();
    let next = decision("TF-1", Assessment::Vusa, Outcome::Approved, &[], vec![]);
    assert_eq!(refused(w.by(cio, next)), "lifecycle/awaits-determination");
    // A step completed twice (with other evidence: not a repeat).
    let completion = |evidence: Vec<Ref>| {
        Record::StepCompletion(StepCompletion {
            facility: "TF-1".into(),
            decision: d1.clone(),
            step: "S1".into(),
            evidence,
        })
    };
    let c1 = w.by(op, completion(vec![])).unwrap();
    assert_eq!(
        refused(w.by(op, completion(vec![s1.clone()]))),
        "lifecycle/step-already-completed"
    );
    w.by(
        cio,
        Record::StepAcceptance(StepAcceptance {
            facility: "TF-1".into(),
            completion: c1,
        }),
    )
    .unwrap();
    w.by(op, ack("TF-1", &d1, Position::Accepted)).unwrap();
    w.by(ssc, determination("TF-1", &d1, Assessment::Ussa))
        .unwrap();
    // A USSA reviews the self-assessment that awaits review.
    let sa = honest_self_assessment(&w, "TF-1", vec![s1.clone()]);
    let sa1 = w.by(op, sa).unwrap();
    let mut ussa = honest_decision(&w, "TF-1", Assessment::Ussa, Outcome::Approved, vec![]);
    let d2 = w.by(cio, ussa.clone()).unwrap();
    w.by(op, ack("TF-1", &d2, Position::Accepted)).unwrap();
    w.by(ssc, determination("TF-1", &d2, Assessment::Ussa))
        .unwrap();
    // Reviewed already: nothing awaits review.
    if let Record::Decision(d) = &mut ussa {
        d.self_assessment = Some(sa1);
        d.report_sha256 = crate::merkle::Hash::from_bytes([9; 32]);
    }
    assert_eq!(
        refused(w.by(cio, ussa)),
        "lifecycle/no-self-assessment-pending"
    );
    // A determination of an older decision.
    assert_eq!(
        refused(w.by(ssc, determination("TF-1", &d1, Assessment::Fusa))),
        "lifecycle/not-latest-decision"
    );

    // A dispute resolved twice (with other reasons: not a repeat).
    w.by(op, reg("TF-2")).unwrap();
    let d = w
        .by(
            cio,
            decision("TF-2", Assessment::Fusa, Outcome::Rejected, &[], vec![]),
        )
        .unwrap();
    let dispute = w
        .by(
            op,
            Record::Dispute(Dispute {
                facility: "TF-2".into(),
                decision: d,
                grounds: "g".into(),
            }),
        )
        .unwrap();
    let resolution = |reason: &str| {
        Record::Resolution(DisputeResolution {
            facility: "TF-2".into(),
            dispute: dispute.clone(),
            resolution: Resolution::Dismissed,
            new_assessment: false,
            reason: reason.into(),
        })
    };
    w.by(ssc, resolution("r")).unwrap();
    assert_eq!(
        refused(w.by(ssc, resolution("again"))),
        "lifecycle/not-an-open-dispute"
    );
}

/// FORMATS.md §23 lists exactly the codes the policy gives.
#[test]
fn the_formats_table_lists_every_code() {
    let formats =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../FORMATS.md")).unwrap();
    let section = formats
        .split("## 23. Refusal codes")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .and_then(|s| s.split("\n### ").next())
        .expect("FORMATS.md has §23");
    let listed: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
        .collect();
    let mut all = crate::policy::refusal::all_codes();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    all.sort_unstable();
    assert_eq!(sorted, all);
}
