//! The `duplicate` rule (issue 23): a statement that repeats one in force,
//! signed again later (so its bytes differ), is refused by name for every
//! kind; changing back to something superseded is admitted; a resumed
//! state refuses too; a replayed log that holds a repeat still opens.

use super::*;

/// Signs `record` one second after the World's usual time: the same record
/// as an earlier `by`, in different bytes.
fn again(w: &mut World, who: fn(&World) -> &Signer, record: &Record) -> Result<Ref, PolicyError> {
    let b = World::sign_at(who(w), record, T + 1);
    w.admit(b)
}

fn rule(r: Result<Ref, PolicyError>) -> &'static str {
    r.map(|_| "admitted").unwrap_or_else(|e| e.rule())
}

/// Asserts a refusal by `duplicate` that names the entry repeated.
fn refused_as_repeat_of(r: Result<Ref, PolicyError>, of: &Ref) {
    let e = r.expect_err("a repeat was admitted");
    assert_eq!(e.rule(), "duplicate", "{e}");
    assert!(
        e.to_string().contains(&format!("at entry {}", of.index)),
        "{e}"
    );
}

fn determination(f: &str, d: &Ref, next: Assessment) -> Record {
    Record::Determination(Determination {
        facility: f.into(),
        decision: d.clone(),
        next,
        due: "2028-01-01".into(),
    })
}

fn dispute(f: &str, d: &Ref, grounds: &str) -> Record {
    Record::Dispute(Dispute {
        facility: f.into(),
        decision: d.clone(),
        grounds: grounds.into(),
    })
}

fn transfer(f: &str, to: &str) -> Record {
    Record::Transfer(Transfer {
        facility: f.into(),
        to_party: to.into(),
        reason: "sold".into(),
    })
}

fn completion(f: &str, d: &Ref, step: &str) -> Record {
    Record::StepCompletion(StepCompletion {
        facility: f.into(),
        decision: d.clone(),
        step: step.into(),
        evidence: vec![],
    })
}

fn revocation(fp: [u8; 32], reason: &str) -> Record {
    Record::Revocation(Revocation {
        certificate_sha256: crate::merkle::Hash::from_bytes(fp),
        reason: reason.into(),
    })
}

#[test]
pub(super) fn a_repeated_registration_is_a_duplicate_another_one_a_lifecycle_refusal() {
    let mut w = World::new();
    let r = w.by(op, reg("TF-1")).unwrap();
    refused_as_repeat_of(again(&mut w, op, &reg("TF-1")), &r);
    let renamed = Record::Registration(Registration {
        facility: "TF-1".into(),
        name: "Other".into(),
        site: "S".into(),
    });
    assert_eq!(rule(again(&mut w, op, &renamed)), "lifecycle");
}

#[test]
pub(super) fn a_repeated_seal_is_refused_whichever_operator_of_the_party_signs_it() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    let s = w.by(op, seal("TF-1", 1)).unwrap();
    w.by(op, seal("TF-1", 2)).unwrap();
    refused_as_repeat_of(again(&mut w, op, &seal("TF-1", 1)), &s);
    let colleague = role_signer(&w.root, Role::Operator, "Operator 2", Some(OP_PARTY));
    let b = World::sign_at(&colleague, &seal("TF-1", 1), T);
    refused_as_repeat_of(w.admit(b), &s);
    // Another facility's seal of the same bundle is not a repeat.
    w.by(op, reg("TF-2")).unwrap();
    w.by(op, seal("TF-2", 1)).unwrap();
    // A rival is refused for its authority first.
    assert_eq!(rule(again(&mut w, rival, &seal("TF-1", 1))), "authority");
}

#[test]
pub(super) fn a_repeated_countersignature_is_refused_a_second_opinion_is_not() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    let s = w.by(op, seal("TF-1", 1)).unwrap();
    let c = w.by(cio, countersignature("TF-1", &s, "ok")).unwrap();
    refused_as_repeat_of(again(&mut w, cio, &countersignature("TF-1", &s, "ok")), &c);
    again(&mut w, cio, &countersignature("TF-1", &s, "ok, seen again")).unwrap();
}

#[test]
pub(super) fn a_repeated_decision_is_refused_even_once_overturned() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    let rejected = decision("TF-1", Assessment::Fusa, Outcome::Rejected, &[], vec![]);
    let d = w.by(cio, rejected.clone()).unwrap();
    // The lifecycle allows a FUSA after a rejection: only `duplicate` refuses.
    refused_as_repeat_of(again(&mut w, cio, &rejected), &d);
    let Record::Decision(mut new) = rejected else {
        panic!("a decision")
    };
    new.report_sha256 = crate::merkle::Hash::from_bytes([9; 32]);
    again(&mut w, cio, &Record::Decision(new.clone())).unwrap();
    // A decision since overturned still stays in the log: repeating it is
    // refused too (a new assessment has its own report).
    let approved = decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![]);
    let a = w.by(cio, approved.clone()).unwrap();
    let disp = w.by(op, dispute("TF-1", &a, "g")).unwrap();
    w.by(
        ssc,
        Record::Resolution(DisputeResolution {
            facility: "TF-1".into(),
            dispute: disp,
            resolution: Resolution::Upheld,
            new_assessment: false,
            reason: "r".into(),
        }),
    )
    .unwrap();
    refused_as_repeat_of(again(&mut w, cio, &approved), &a);
}

#[test]
pub(super) fn a_repeated_acknowledgement_is_a_duplicate_a_different_one_a_lifecycle_refusal() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    let d = w
        .by(
            cio,
            decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![]),
        )
        .unwrap();
    let k = w.by(op, ack("TF-1", &d, Position::Accepted)).unwrap();
    refused_as_repeat_of(again(&mut w, op, &ack("TF-1", &d, Position::Accepted)), &k);
    assert_eq!(
        rule(again(&mut w, op, &ack("TF-1", &d, Position::Disputed))),
        "lifecycle"
    );
}

/// A facility whose next assessment the SSC determined to be a USSA.
fn ussa_due(w: &mut World) -> Ref {
    w.by(op, reg("TF-1")).unwrap();
    let d = w
        .by(
            cio,
            decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![]),
        )
        .unwrap();
    w.by(op, ack("TF-1", &d, Position::Accepted)).unwrap();
    w.by(ssc, determination("TF-1", &d, Assessment::Ussa))
        .unwrap();
    d
}

#[test]
pub(super) fn a_repeated_self_assessment_is_refused_a_revised_one_is_not() {
    let mut w = World::new();
    ussa_due(&mut w);
    let sa = honest_self_assessment(&w, "TF-1", vec![]);
    let first = w.by(op, sa.clone()).unwrap();
    // The lifecycle allows another self-assessment: only `duplicate` refuses.
    refused_as_repeat_of(again(&mut w, op, &sa), &first);
    let Record::SelfAssessment(mut revised) = sa else {
        panic!("a self-assessment")
    };
    revised.report_sha256 = crate::merkle::Hash::from_bytes([9; 32]);
    again(&mut w, op, &Record::SelfAssessment(revised)).unwrap();
}

#[test]
pub(super) fn a_repeated_determination_is_refused() {
    let mut w = World::new();
    let d = ussa_due(&mut w);
    let det = w.state.facilities()["TF-1"].decisions[0]
        .determination
        .as_ref()
        .map(|(i, _, _)| *i)
        .unwrap();
    let r = again(&mut w, ssc, &determination("TF-1", &d, Assessment::Ussa));
    refused_as_repeat_of(r, &entry_ref(&w, det));
    // Another determination of the same decision is the lifecycle's refusal.
    assert_eq!(
        rule(again(
            &mut w,
            ssc,
            &determination("TF-1", &d, Assessment::Vusa)
        )),
        "lifecycle"
    );
}

#[test]
pub(super) fn repeated_step_completions_and_acceptances_are_refused() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    let d = w
        .by(
            cio,
            decision(
                "TF-1",
                Assessment::Fusa,
                Outcome::ApprovedWithSteps,
                &["S1", "S2"],
                vec![],
            ),
        )
        .unwrap();
    let c = w.by(op, completion("TF-1", &d, "S1")).unwrap();
    refused_as_repeat_of(again(&mut w, op, &completion("TF-1", &d, "S1")), &c);
    let accept = Record::StepAcceptance(StepAcceptance {
        facility: "TF-1".into(),
        completion: c,
    });
    let a = w.by(cio, accept.clone()).unwrap();
    refused_as_repeat_of(again(&mut w, cio, &accept), &a);
    // The other step goes ahead.
    w.by(op, completion("TF-1", &d, "S2")).unwrap();
}

#[test]
pub(super) fn repeated_disputes_and_resolutions_are_refused() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    let d = w
        .by(
            cio,
            decision("TF-1", Assessment::Fusa, Outcome::Rejected, &[], vec![]),
        )
        .unwrap();
    let disp = w.by(op, dispute("TF-1", &d, "g")).unwrap();
    refused_as_repeat_of(again(&mut w, op, &dispute("TF-1", &d, "g")), &disp);
    let resolution = Record::Resolution(DisputeResolution {
        facility: "TF-1".into(),
        dispute: disp.clone(),
        resolution: Resolution::Dismissed,
        new_assessment: false,
        reason: "r".into(),
    });
    let res = w.by(ssc, resolution.clone()).unwrap();
    refused_as_repeat_of(again(&mut w, ssc, &resolution), &res);
    // Resolved, the dispute is still in the log: the same grounds again are
    // a repeat; new grounds are a new dispute.
    refused_as_repeat_of(again(&mut w, op, &dispute("TF-1", &d, "g")), &disp);
    again(&mut w, op, &dispute("TF-1", &d, "new grounds")).unwrap();
}

#[test]
pub(super) fn a_repeated_transfer_is_refused_transferring_back_is_not() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    // To the registering owner, with no transfer in force: the lifecycle's.
    assert_eq!(
        rule(again(&mut w, ssc, &transfer("TF-1", OP_PARTY))),
        "lifecycle"
    );
    let t = w.by(ssc, transfer("TF-1", RIVAL_PARTY)).unwrap();
    refused_as_repeat_of(again(&mut w, ssc, &transfer("TF-1", RIVAL_PARTY)), &t);
    // The same owner for another reason repeats nothing: the lifecycle's.
    let Record::Transfer(mut other) = transfer("TF-1", RIVAL_PARTY) else {
        panic!("a transfer")
    };
    other.reason = "merged".into();
    assert_eq!(
        rule(again(&mut w, ssc, &Record::Transfer(other))),
        "lifecycle"
    );
    // Back, and to the rival again: changes, admitted.
    let back = w.by(ssc, transfer("TF-1", OP_PARTY)).unwrap();
    refused_as_repeat_of(again(&mut w, ssc, &transfer("TF-1", OP_PARTY)), &back);
    again(&mut w, ssc, &transfer("TF-1", RIVAL_PARTY)).unwrap();
    assert_eq!(w.state.facilities()["TF-1"].party, RIVAL_PARTY);
}

#[test]
pub(super) fn the_inventory_in_force_is_not_repeated_an_older_one_may_return() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    let a = w.by(op, inventory("TF-1", "A")).unwrap();
    refused_as_repeat_of(again(&mut w, op, &inventory("TF-1", "A")), &a);
    w.by(op, inventory("TF-1", "B")).unwrap();
    let back = again(&mut w, op, &inventory("TF-1", "A")).unwrap();
    let b = World::sign_at(&w.op, &inventory("TF-1", "A"), T + 2);
    refused_as_repeat_of(w.admit(b), &back);
}

#[test]
pub(super) fn revoking_a_revoked_certificate_again_is_refused() {
    let mut w = World::new();
    let fp = w.rival.cert.fingerprint();
    let r = w.by(root, revocation(fp, "lost")).unwrap();
    refused_as_repeat_of(again(&mut w, root, &revocation(fp, "lost")), &r);
    // Whatever the reason given: it is revoked already.
    refused_as_repeat_of(again(&mut w, root, &revocation(fp, "stolen")), &r);
    w.by(root, revocation([5; 32], "lost")).unwrap();
}

#[test]
pub(super) fn the_designation_in_force_is_not_repeated_a_replaced_party_may_return() {
    let mut w = World::new(); // entries 0 (SSC) and 1 (User CIO)
    let cio_in_force = entry_ref(&w, 1);
    let same = designation(DesignatedRole::UserCio, CIO_PARTY);
    refused_as_repeat_of(again(&mut w, root, &same), &cio_in_force);
    // Whoever signs it, whatever its note.
    refused_as_repeat_of(again(&mut w, ssc, &same), &cio_in_force);
    let Record::Designation(mut renoted) = same.clone() else {
        panic!("a designation")
    };
    renoted.note = "reappointed".into();
    let r = again(&mut w, root, &Record::Designation(renoted));
    refused_as_repeat_of(r, &cio_in_force);
    refused_as_repeat_of(
        again(&mut w, root, &designation(DesignatedRole::Ssc, SSC_PARTY)),
        &entry_ref(&w, 0),
    );
    // Another party, then the first one back: changes, admitted.
    w.by(ssc, designation(DesignatedRole::UserCio, "NTRGB-OTHER"))
        .unwrap();
    let back = again(&mut w, root, &same).unwrap();
    let b = World::sign_at(&w.ssc, &same, T + 2);
    refused_as_repeat_of(w.admit(b), &back);
}

#[test]
pub(super) fn a_published_framework_is_not_published_again() {
    let mut w = World::new();
    let v1 = w.by(ssc, framework("v1", 3)).unwrap();
    refused_as_repeat_of(again(&mut w, ssc, &framework("v1", 3)), &v1);
    // The same version with other content: the framework rule's refusal.
    assert_eq!(rule(again(&mut w, ssc, &framework("v1", 4))), "framework");
    w.by(ssc, framework("v2", 4)).unwrap();
    // Superseded, still published: a repeat.
    refused_as_repeat_of(again(&mut w, ssc, &framework("v1", 3)), &v1);
}

/// Replaying a log that holds a repeat (a ledger written before the rule)
/// succeeds; re-admitting it (the offline verifier) refuses it.
#[test]
pub(super) fn a_logged_repeat_replays_but_is_not_readmitted() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    w.by(op, seal("TF-1", 1)).unwrap();
    let repeat = World::sign_at(&w.op, &seal("TF-1", 1), T + 1);
    let mut log = w.log.clone();
    log.push(repeat);
    let mut replayed = State::new();
    for (i, b) in log.iter().enumerate() {
        replayed.replay(i as u64, b).unwrap();
    }
    assert_eq!(replayed.facilities()["TF-1"].seals, vec![3, 4]);
    let items: Vec<(u64, Statement)> = log
        .iter()
        .enumerate()
        .map(|(i, b)| (i as u64, Statement::parse(b).unwrap()))
        .collect();
    let results = State::partial().admit_all(&items, &w.cfg);
    assert!(results[..4].iter().all(|r| r.is_ok()));
    let e = results[4].as_ref().unwrap_err();
    assert_eq!(e.rule(), "duplicate", "{e}");
}
