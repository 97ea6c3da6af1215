//! The scheme's rules added with parties, the controls framework, tools and
//! acknowledgements: each refuses with its name, and the honest path works.

use super::*;

fn dispute(f: &str, d: &Ref) -> Record {
    Record::Dispute(Dispute {
        facility: f.into(),
        decision: d.clone(),
        grounds: "g".into(),
    })
}

fn determination(f: &str, d: &Ref, next: Assessment) -> Record {
    Record::Determination(Determination {
        facility: f.into(),
        decision: d.clone(),
        next,
        due: "2028-01-01".into(),
    })
}

fn transfer(f: &str, to: &str) -> Record {
    Record::Transfer(Transfer {
        facility: f.into(),
        to_party: to.into(),
        reason: "sold".into(),
    })
}

fn rule(r: Result<Ref, PolicyError>) -> &'static str {
    r.map(|_| "admitted").unwrap_or_else(|e| e.rule())
}

/// The attack of issue 9: a second organisation with an ordinary operator
/// certificate disputes another operator's decision and seals "evidence"
/// into its facility. Both are refused by `authority`, and the real
/// operator's follow-up goes ahead.
#[test]
pub(super) fn another_party_cannot_act_for_a_facility_it_does_not_own() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    let d = w
        .by(
            cio,
            decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![]),
        )
        .unwrap();
    let e = w.by(rival, dispute("TF-1", &d)).unwrap_err();
    assert_eq!(e.rule(), "authority", "{e}");
    assert!(
        e.to_string().contains("belongs to party NTRGB-OP")
            && e.to_string().contains("NTRGB-RIVAL"),
        "{e}"
    );
    assert_eq!(rule(w.by(rival, seal("TF-1", 1))), "authority");
    assert_eq!(
        rule(w.by(rival, ack("TF-1", &d, Position::Disputed))),
        "authority"
    );
    let inv = Record::ToolInventory(ToolInventory {
        facility: "TF-1".into(),
        tools: vec![],
        interfaces: vec![Interface {
            name: "optical-1".into(),
            kind: "optical".into(),
            access_controls: "none".into(),
        }],
    });
    assert_eq!(rule(w.by(rival, inv.clone())), "authority");
    // The rival may run its own facility.
    w.by(rival, reg("TF-R")).unwrap();
    assert_eq!(rule(w.by(op, seal("TF-R", 2))), "authority");
    // The owner's follow-up is not blocked by a dispute it never raised.
    w.by(op, inv).unwrap();
    w.by(op, ack("TF-1", &d, Position::Accepted)).unwrap();
    w.by(ssc, determination("TF-1", &d, Assessment::Vusa))
        .unwrap();
    assert_eq!(w.state.facilities()["TF-1"].party, OP_PARTY);
    assert_eq!(w.state.facilities()["TF-R"].party, RIVAL_PARTY);
}

#[test]
pub(super) fn a_transfer_by_the_ssc_moves_the_facility_to_another_party() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    // Only the SSC transfers; not to the owner itself.
    assert_eq!(rule(w.by(op, transfer("TF-1", RIVAL_PARTY))), "role");
    assert_eq!(rule(w.by(ssc, transfer("TF-1", OP_PARTY))), "lifecycle");
    w.by(ssc, transfer("TF-1", RIVAL_PARTY)).unwrap();
    let e = w.by(op, seal("TF-1", 1)).unwrap_err();
    assert_eq!(e.rule(), "authority");
    assert!(e.to_string().contains("transferred at entry"), "{e}");
    w.by(rival, seal("TF-1", 1)).unwrap();
    // Replaying gives the same owner.
    let mut replayed = State::new();
    for (i, b) in w.log.iter().enumerate() {
        replayed.replay(i as u64, b).unwrap();
    }
    assert_eq!(replayed.facilities()["TF-1"].party, RIVAL_PARTY);
}

#[test]
pub(super) fn only_designated_parties_act_as_user_cio_and_ssc() {
    let mut w = World::bare();
    w.by(op, reg("TF-1")).unwrap();
    let fusa = decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![]);
    // Nobody designated: the User CIO cannot decide, the SSC cannot designate.
    let e = w.by(cio, fusa.clone()).unwrap_err();
    assert_eq!(e.rule(), "authority");
    assert!(
        e.to_string().contains("no party is designated as user-cio"),
        "{e}"
    );
    assert_eq!(
        rule(w.by(ssc, designation(DesignatedRole::UserCio, CIO_PARTY))),
        "authority"
    );
    // An operator cannot designate; the root designates the SSC; the SSC
    // designates the User CIO but not itself.
    assert_eq!(
        rule(w.by(op, designation(DesignatedRole::UserCio, OP_PARTY))),
        "role"
    );
    w.by(root, designation(DesignatedRole::Ssc, SSC_PARTY))
        .unwrap();
    assert_eq!(
        rule(w.by(ssc, designation(DesignatedRole::Ssc, OP_PARTY))),
        "authority"
    );
    w.by(ssc, designation(DesignatedRole::UserCio, "NTRGB-OTHER"))
        .unwrap();
    // A User CIO certificate of a party that is not the designated one.
    let e = w.by(cio, fusa.clone()).unwrap_err();
    assert_eq!(e.rule(), "authority");
    assert!(
        e.to_string().contains("designates party NTRGB-OTHER"),
        "{e}"
    );
    w.by(ssc, designation(DesignatedRole::UserCio, CIO_PARTY))
        .unwrap();
    w.by(cio, fusa).unwrap();
    // An SSC certificate of another party.
    let other_ssc = role_signer(&w.root, Role::Ssc, "Other SSC", Some("SSC-XX"));
    let b = World::sign_at(&other_ssc, &transfer("TF-1", RIVAL_PARTY), T);
    assert_eq!(w.admit(b).unwrap_err().rule(), "authority");
    // A role certificate without a party.
    let anonymous = role_signer(&w.root, Role::Operator, "Anon", None);
    assert_eq!(anonymous.cert.party(), None);
    let b = World::sign_at(&anonymous, &reg("TF-9"), T);
    let e = w.admit(b).unwrap_err();
    assert_eq!(e.rule(), "authority");
    assert!(e.to_string().contains("organizationIdentifier"), "{e}");
}

#[test]
pub(super) fn decisions_are_judged_by_the_framework_in_force() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    let v1 = w.by(ssc, framework("v1", 3)).unwrap(); // G1, G2 apply; G3 does not
    assert_eq!(rule(w.by(ssc, framework("v1", 4))), "framework");
    assert_eq!(rule(w.by(cio, framework("v9", 3))), "role");
    // Seals address obligations of the framework in force that apply.
    let addressing = |n: u8, fw: &Ref, obligations: &[&str]| {
        Record::Seal(Seal {
            facility: "TF-1".into(),
            description: "d".into(),
            root: crate::merkle::Hash::from_bytes([n; 32]),
            items: 1,
            manifest_sha256: crate::merkle::Hash::from_bytes([n; 32]),
            addresses: Some(Addresses {
                framework: fw.clone(),
                obligations: obligations.iter().map(|o| o.to_string()).collect(),
            }),
        })
    };
    let e = w.by(op, addressing(1, &v1, &["G3"])).unwrap_err();
    assert_eq!(e.rule(), "framework");
    assert!(e.to_string().contains("does not apply"), "{e}");
    assert_eq!(rule(w.by(op, addressing(1, &v1, &["G7"]))), "framework");
    let s = w.by(op, addressing(1, &v1, &["G1", "G2"])).unwrap();
    assert_eq!(
        w.state.facilities()["TF-1"].evidence_for[&(v1.index, "G2".to_string())],
        vec![s.index]
    );

    let base = |o: Outcome, findings: &[(&str, FindingResult)], steps: &[(&str, &[&str])]| {
        Record::Decision(Decision {
            facility: "TF-1".into(),
            assessment: Assessment::Fusa,
            outcome: o,
            steps: steps
                .iter()
                .map(|(id, obs)| Step {
                    id: id.to_string(),
                    description: "do".into(),
                    due: "2027-06-30".into(),
                    obligations: obs.iter().map(|x| x.to_string()).collect(),
                })
                .collect(),
            findings: findings
                .iter()
                .map(|(ob, r)| Finding {
                    obligation: ob.to_string(),
                    result: *r,
                    note: "n".into(),
                })
                .collect(),
            report_sha256: crate::merkle::Hash::from_bytes([7; 32]),
            evidence: vec![s.clone()],
            framework: Some(v1.clone()),
            self_assessment: None,
        })
    };
    use FindingResult::*;
    // No framework cited while one is in force.
    let no_fw = decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![]);
    let e = w.by(cio, no_fw).unwrap_err();
    assert_eq!(e.rule(), "framework");
    assert!(e.to_string().contains("is in force"), "{e}");
    // A finding missing, or for an obligation that does not apply.
    let e = w
        .by(cio, base(Outcome::Approved, &[("G1", Met)], &[]))
        .unwrap_err();
    assert_eq!(e.rule(), "coverage");
    assert!(e.to_string().contains("no finding for G2"), "{e}");
    assert_eq!(
        rule(w.by(
            cio,
            base(
                Outcome::Approved,
                &[("G1", Met), ("G2", Met), ("G3", Met)],
                &[]
            )
        )),
        "framework"
    );
    // Approved with a not-met obligation; with steps that do not name it.
    let e = w
        .by(
            cio,
            base(Outcome::Approved, &[("G1", Met), ("G2", NotMet)], &[]),
        )
        .unwrap_err();
    assert_eq!(e.rule(), "coverage");
    assert!(e.to_string().contains("G2 not met"), "{e}");
    let e = w
        .by(
            cio,
            base(
                Outcome::ApprovedWithSteps,
                &[("G1", Met), ("G2", NotMet)],
                &[("S1", &["G1"])],
            ),
        )
        .unwrap_err();
    assert_eq!(e.rule(), "coverage");
    assert!(e.to_string().contains("no step names G2"), "{e}");
    // A step naming an obligation the framework does not list.
    assert_eq!(
        rule(w.by(
            cio,
            base(
                Outcome::ApprovedWithSteps,
                &[("G1", Met), ("G2", NotMet)],
                &[("S1", &["G2", "G8"])],
            )
        )),
        "framework"
    );
    // A rejection with nothing found not met.
    let e = w
        .by(
            cio,
            base(Outcome::Rejected, &[("G1", Met), ("G2", NotAssessed)], &[]),
        )
        .unwrap_err();
    assert_eq!(e.rule(), "coverage");
    // The honest conditional approval, with not-assessed allowed.
    let d1 = w
        .by(
            cio,
            base(
                Outcome::ApprovedWithSteps,
                &[("G1", NotAssessed), ("G2", NotMet)],
                &[("S1", &["G2"])],
            ),
        )
        .unwrap();
    // A new version applies to later assessments: citing v1 is now refused,
    // while the decision that cited v1 stays as it was judged.
    let v2 = w.by(ssc, framework("v2", 4)).unwrap();
    let e = w.by(op, addressing(2, &v1, &["G1"])).unwrap_err();
    assert!(e.to_string().contains("superseded by v2"), "{e}");
    w.by(op, addressing(2, &v2, &["G3"])).unwrap();
    let f = &w.state.facilities()["TF-1"];
    assert_eq!(f.decisions[0].index, d1.index);
    assert_eq!(f.decisions[0].framework, Some(v1.index));
    assert_eq!(f.decisions[0].findings["G2"], NotMet);
    let mut replayed = State::new();
    for (i, b) in w.log.iter().enumerate() {
        replayed.replay(i as u64, b).unwrap();
    }
    assert_eq!(replayed.facilities(), w.state.facilities());
    assert_eq!(replayed.framework_in_force().unwrap().1.version, "v2");
}

#[test]
pub(super) fn determinations_rest_on_acknowledged_decisions() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    let d = w
        .by(
            cio,
            decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![]),
        )
        .unwrap();
    let e = w
        .by(ssc, determination("TF-1", &d, Assessment::Vusa))
        .unwrap_err();
    assert_eq!(e.rule(), "lifecycle");
    assert!(e.to_string().contains("not acknowledged"), "{e}");
    // The operator announces a dispute: no determination until it is resolved.
    let a = w.by(op, ack("TF-1", &d, Position::Disputed)).unwrap();
    let e = w.by(op, ack("TF-1", &d, Position::Accepted)).unwrap_err();
    assert!(e.to_string().contains("already acknowledged"), "{e}");
    let e = w
        .by(ssc, determination("TF-1", &d, Assessment::Vusa))
        .unwrap_err();
    assert!(e.to_string().contains("announced a dispute"), "{e}");
    let disp = w.by(op, dispute("TF-1", &d)).unwrap();
    w.by(
        ssc,
        Record::Resolution(DisputeResolution {
            facility: "TF-1".into(),
            dispute: disp,
            resolution: Resolution::Dismissed,
            new_assessment: false,
            reason: "r".into(),
        }),
    )
    .unwrap();
    w.by(ssc, determination("TF-1", &d, Assessment::Ussa))
        .unwrap();
    let f = &w.state.facilities()["TF-1"];
    assert_eq!(f.decisions[0].acknowledged.as_ref().unwrap().index, a.index);
    // An acknowledgement refers to a decision of its own facility.
    w.by(op, reg("TF-2")).unwrap();
    assert_eq!(
        rule(w.by(op, ack("TF-2", &d, Position::Accepted))),
        "reference"
    );
}

#[test]
pub(super) fn a_ussa_reviews_the_operators_self_assessment() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    w.by(ssc, framework("v1", 3)).unwrap();
    // Not before the SSC determines a USSA.
    let sa = honest_self_assessment(&w, "TF-1", vec![]);
    assert_eq!(rule(w.by(op, sa)), "lifecycle");
    let d = w
        .by(
            cio,
            honest_decision(&w, "TF-1", Assessment::Fusa, Outcome::Approved, vec![]),
        )
        .unwrap();
    w.by(op, ack("TF-1", &d, Position::Accepted)).unwrap();
    w.by(ssc, determination("TF-1", &d, Assessment::Ussa))
        .unwrap();
    // A USSA decision with nothing to review is refused.
    let early = honest_decision(&w, "TF-1", Assessment::Ussa, Outcome::Approved, vec![]);
    assert_ne!(rule(w.by(cio, early)), "admitted");
    // Self-assessments are complete against the framework, by the owner.
    let Record::SelfAssessment(mut partial) = honest_self_assessment(&w, "TF-1", vec![]) else {
        panic!("a self-assessment")
    };
    partial.findings.pop();
    assert_eq!(rule(w.by(op, Record::SelfAssessment(partial))), "coverage");
    let sa = honest_self_assessment(&w, "TF-1", vec![]);
    assert_eq!(rule(w.by(rival, sa.clone())), "authority");
    let first = w.by(op, sa).unwrap();
    let Record::SelfAssessment(mut revised) = honest_self_assessment(&w, "TF-1", vec![]) else {
        panic!("a self-assessment")
    };
    revised.report_sha256 = crate::merkle::Hash::from_bytes([9; 32]);
    let second = w.by(op, Record::SelfAssessment(revised)).unwrap();
    assert_ne!(first.index, second.index);
    // The review names the latest self-assessment.
    let Record::Decision(mut stale) =
        honest_decision(&w, "TF-1", Assessment::Ussa, Outcome::Approved, vec![])
    else {
        panic!("a decision")
    };
    stale.self_assessment = Some(first);
    let e = w.by(cio, Record::Decision(stale)).unwrap_err();
    assert!(e.to_string().contains("latest self-assessment"), "{e}");
    let ussa = honest_decision(&w, "TF-1", Assessment::Ussa, Outcome::Approved, vec![]);
    w.by(cio, ussa).unwrap();
    let f = &w.state.facilities()["TF-1"];
    assert_eq!(f.pending_self_assessment, None);
    assert_eq!(f.self_assessments.last(), Some(&second.index));
}

/// The assessor (and the SSC) do not act on facilities of their own party.
#[test]
pub(super) fn the_user_cio_does_not_assess_its_own_party() {
    let mut w = World::new();
    let cio_ops = role_signer(&w.root, Role::Operator, "CIO ops", Some(CIO_PARTY));
    let b = World::sign_at(&cio_ops, &reg("TF-C"), T);
    w.admit(b).unwrap();
    let e = w
        .by(
            cio,
            decision("TF-C", Assessment::Fusa, Outcome::Approved, &[], vec![]),
        )
        .unwrap_err();
    assert_eq!(e.rule(), "authority");
    assert!(e.to_string().contains("its own party's facilities"), "{e}");
    // Nor may the SSC move a facility to itself and then decide its fate.
    w.by(op, reg("TF-1")).unwrap();
    w.by(ssc, transfer("TF-1", SSC_PARTY)).unwrap();
    assert_eq!(rule(w.by(ssc, transfer("TF-1", OP_PARTY))), "authority");
}
