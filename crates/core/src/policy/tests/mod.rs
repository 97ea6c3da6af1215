//! Policy tests: a whole lifecycle admitted, and every rule refusing.

use super::testing::*;
use super::*;
use crate::cose::StatementHeader;
use crate::identity::Role;
use crate::record::*;

#[test]
fn a_whole_lifecycle_is_admitted_and_replays_to_the_same_state() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    let s1 = w.by(op, seal("TF-1", 1)).unwrap();
    w.by(
        cio,
        Record::Countersignature(Countersignature {
            facility: "TF-1".into(),
            seal: s1.clone(),
            note: "ok".into(),
        }),
    )
    .unwrap();
    let d1 = w
        .by(
            cio,
            decision(
                "TF-1",
                Assessment::Fusa,
                Outcome::ApprovedWithSteps,
                &["S1", "S2"],
                vec![s1.clone()],
            ),
        )
        .unwrap();
    w.by(op, ack("TF-1", &d1, Position::Accepted)).unwrap();
    // No determination while steps are open.
    let early = w.by(
        ssc,
        Record::Determination(Determination {
            facility: "TF-1".into(),
            decision: d1.clone(),
            next: Assessment::Vusa,
            due: "2028-01-01".into(),
        }),
    );
    assert_eq!(early.unwrap_err().rule(), "lifecycle");
    for step in ["S1", "S2"] {
        let c = w
            .by(
                op,
                Record::StepCompletion(StepCompletion {
                    facility: "TF-1".into(),
                    decision: d1.clone(),
                    step: step.into(),
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
    }
    w.by(
        ssc,
        Record::Determination(Determination {
            facility: "TF-1".into(),
            decision: d1.clone(),
            next: Assessment::Vusa,
            due: "2028-01-01".into(),
        }),
    )
    .unwrap();
    // The follow-up must be the determined category.
    let wrong = w.by(
        cio,
        decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![]),
    );
    assert!(wrong.unwrap_err().to_string().contains("must be a VUSA"));
    w.by(
        cio,
        decision("TF-1", Assessment::Vusa, Outcome::Approved, &[], vec![]),
    )
    .unwrap();

    // A second facility: rejected, disputed, resolved.
    w.by(op, reg("TF-2")).unwrap();
    let d2 = w
        .by(
            cio,
            decision("TF-2", Assessment::Fusa, Outcome::Rejected, &[], vec![]),
        )
        .unwrap();
    let disp = w
        .by(
            op,
            Record::Dispute(Dispute {
                facility: "TF-2".into(),
                decision: d2.clone(),
                grounds: "g".into(),
            }),
        )
        .unwrap();
    let again = w.by(
        op,
        Record::Dispute(Dispute {
            facility: "TF-2".into(),
            decision: d2,
            grounds: "again".into(),
        }),
    );
    assert_eq!(again.unwrap_err().rule(), "lifecycle");
    w.by(
        ssc,
        Record::Resolution(DisputeResolution {
            facility: "TF-2".into(),
            dispute: disp,
            resolution: Resolution::Upheld,
            new_assessment: true,
            reason: "r".into(),
        }),
    )
    .unwrap();
    w.by(
        cio,
        decision("TF-2", Assessment::Fusa, Outcome::Approved, &[], vec![]),
    )
    .unwrap();

    let f1 = &w.state.facilities()["TF-1"];
    assert_eq!(f1.decisions.len(), 2);
    assert!(f1.decisions[0].steps.iter().all(|s| s.accepted.is_some()));
    let f2 = &w.state.facilities()["TF-2"];
    assert!(f2.open_disputes.is_empty() && f2.decisions[0].overturned.is_some());

    // Replaying the log gives the same state.
    let mut replayed = State::new();
    for (i, b) in w.log.iter().enumerate() {
        replayed.replay(i as u64, b).unwrap();
    }
    assert_eq!(replayed.facilities(), w.state.facilities());
    // Submitting the same bytes again returns the existing index.
    let again = w.log[0].clone();
    assert_eq!(
        w.state.admit(99, &again, &w.cfg).unwrap(),
        Admission::Duplicate(0)
    );
}

#[test]
fn each_rule_refuses_with_its_name() {
    let mut w = World::new();
    let reg_ref = w.by(op, reg("TF-1")).unwrap();
    let s1 = w.by(op, seal("TF-1", 1)).unwrap();

    // Wrong role: an operator cannot decide; an assessor cannot register.
    assert_eq!(
        w.by(
            op,
            decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![])
        )
        .unwrap_err()
        .rule(),
        "role"
    );
    assert_eq!(w.by(cio, reg("TF-9")).unwrap_err().rule(), "role");
    // Revocations only by the root; role holders are refused.
    let rev = |fp: [u8; 32]| {
        Record::Revocation(Revocation {
            certificate_sha256: crate::merkle::Hash::from_bytes(fp),
            reason: "r".into(),
        })
    };
    assert_eq!(w.by(ssc, rev([1; 32])).unwrap_err().rule(), "chain");

    // Bad signature: signed by another key with the operator's certificate.
    let mut forged = World::sign_at(&w.op, &seal("TF-1", 2), T);
    let n = forged.len();
    forged[n - 5] ^= 1;
    assert_eq!(w.admit(forged).unwrap_err().rule(), "signature");

    // Unknown certificate: a role certificate from another root.
    let other = World::new();
    let b = World::sign_at(&other.op, &seal("TF-1", 3), T);
    assert_eq!(w.admit(b).unwrap_err().rule(), "chain");

    // Expired (iat after the certificate's end) and future iat.
    let b = World::sign_at(&w.op, &seal("TF-1", 4), T + 20_000_000);
    let e = w.admit(b).unwrap_err();
    assert_eq!(e.rule(), "future-iat", "{e}");
    w.cfg.now = T + 20_000_100;
    let b = World::sign_at(&w.op, &seal("TF-1", 4), T + 20_000_000);
    assert_eq!(w.admit(b).unwrap_err().rule(), "validity");
    w.cfg.now = T + 100;
    let b = World::sign_at(&w.op, &seal("TF-1", 4), T - 5000);
    assert_eq!(w.admit(b).unwrap_err().rule(), "validity");

    // Dangling, mismatched and wrong-kind references.
    let dangling = Ref {
        index: 77,
        sha256: crate::merkle::Hash::from_bytes([0; 32]),
    };
    let cs = |r: Ref| {
        Record::Countersignature(Countersignature {
            facility: "TF-1".into(),
            seal: r,
            note: "".into(),
        })
    };
    assert_eq!(w.by(cio, cs(dangling)).unwrap_err().rule(), "reference");
    let wrong_hash = Ref {
        index: s1.index,
        sha256: crate::merkle::Hash::from_bytes([0; 32]),
    };
    assert!(w
        .by(cio, cs(wrong_hash))
        .unwrap_err()
        .to_string()
        .contains("SHA-256 does not match"));
    assert!(w
        .by(cio, cs(reg_ref))
        .unwrap_err()
        .to_string()
        .contains("may not reference a registration"));
    // Another facility's seal.
    w.by(op, reg("TF-2")).unwrap();
    let cross = Record::Countersignature(Countersignature {
        facility: "TF-2".into(),
        seal: s1.clone(),
        note: "".into(),
    });
    assert!(w
        .by(cio, cross)
        .unwrap_err()
        .to_string()
        .contains("facility"));

    // Out-of-order lifecycle: registered twice, unregistered facility,
    // VUSA first, determination without approval, completion of no step.
    let rereg = Record::Registration(Registration {
        facility: "TF-1".into(),
        name: "Other".into(),
        site: "S".into(),
    });
    assert_eq!(w.by(op, rereg).unwrap_err().rule(), "lifecycle");
    assert_eq!(w.by(op, seal("TF-404", 1)).unwrap_err().rule(), "lifecycle");
    assert!(w
        .by(
            cio,
            decision("TF-1", Assessment::Vusa, Outcome::Approved, &[], vec![])
        )
        .unwrap_err()
        .to_string()
        .contains("must be a FUSA"));
    let d = w
        .by(
            cio,
            decision("TF-1", Assessment::Fusa, Outcome::Rejected, &[], vec![]),
        )
        .unwrap();
    let det = Record::Determination(Determination {
        facility: "TF-1".into(),
        decision: d.clone(),
        next: Assessment::Vusa,
        due: "2028-01-01".into(),
    });
    let e = w.by(ssc, det).unwrap_err().to_string();
    assert!(e.contains("rejection"), "{e}");
    let comp = Record::StepCompletion(StepCompletion {
        facility: "TF-1".into(),
        decision: d,
        step: "S9".into(),
        evidence: vec![],
    });
    assert!(w.by(op, comp).unwrap_err().to_string().contains("no step"));

    // Claims that disagree with the record or certificate.
    let mut header_sub = StatementHeader {
        content_type: Kind::Seal.content_type(),
        issuer: w.op.cert.subject().to_string(),
        subject: "TF-2".into(),
        issued_at: T,
        x5chain: vec![w.op.cert.der().to_vec()],
    };
    let payload = seal("TF-1", 5).encode().unwrap();
    let b = Statement::sign(header_sub.clone(), &payload, &w.op.key)
        .unwrap()
        .bytes()
        .to_vec();
    assert_eq!(w.admit(b).unwrap_err().rule(), "claims");
    header_sub.subject = "TF-1".into();
    header_sub.issuer = "CN=Someone Else".into();
    let b = Statement::sign(header_sub, &payload, &w.op.key)
        .unwrap()
        .bytes()
        .to_vec();
    assert_eq!(w.admit(b).unwrap_err().rule(), "claims");

    // Revoked signer: the root revokes the operator; later statements refused.
    let fp = w.op.cert.fingerprint();
    w.by(root, rev(fp)).unwrap();
    let e = w.by(op, seal("TF-1", 6)).unwrap_err();
    assert_eq!(e.rule(), "revoked", "{e}");

    // Non-canonical payload and garbage.
    assert_eq!(w.admit(vec![0xd2, 0x84]).unwrap_err().rule(), "malformed");
    let st = World::sign_at(&w.cio, &seal("TF-1", 7), T);
    let parsed = Statement::parse(&st).unwrap();
    let loose = crate::cose::CoseSign1::sign(
        parsed.message().protected_bytes().to_vec(),
        vec![],
        &[0x18, 0x01],
        false,
        &w.cio.key,
    )
    .unwrap();
    assert_eq!(
        w.admit(loose.to_bytes().unwrap()).unwrap_err().rule(),
        "malformed"
    );
}

#[test]
fn stale_statements_overturned_approvals_and_disputed_decisions() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    // Signed long ago: refused even though the certificate was valid then.
    w.cfg.now = T + 40 * 24 * 3600;
    let old = World::sign_at(&w.op, &seal("TF-1", 1), T);
    assert_eq!(w.admit(old).unwrap_err().rule(), "stale-iat");
    w.cfg.now = T + 100;
    // FUSA approved, disputed: no determination while the dispute is open.
    let d = w
        .by(
            cio,
            decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![]),
        )
        .unwrap();
    let disp = w
        .by(
            op,
            Record::Dispute(Dispute {
                facility: "TF-1".into(),
                decision: d.clone(),
                grounds: "g".into(),
            }),
        )
        .unwrap();
    let det = |d: &Ref| {
        Record::Determination(Determination {
            facility: "TF-1".into(),
            decision: d.clone(),
            next: Assessment::Vusa,
            due: "2028-01-01".into(),
        })
    };
    let e = w.by(ssc, det(&d)).unwrap_err().to_string();
    assert!(e.contains("disputed"), "{e}");
    // Upheld without a new assessment: the approval is overturned, so no
    // determination rests on it and the next decision is a FUSA.
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
    assert!(w
        .by(ssc, det(&d))
        .unwrap_err()
        .to_string()
        .contains("overturned"));
    assert!(w
        .by(
            cio,
            decision("TF-1", Assessment::Vusa, Outcome::Approved, &[], vec![])
        )
        .unwrap_err()
        .to_string()
        .contains("must be a FUSA"));
    w.by(
        cio,
        decision(
            "TF-1",
            Assessment::Fusa,
            Outcome::Approved,
            &["x"; 0],
            vec![],
        ),
    )
    .map(|_| ())
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn records_with_tags_or_other_encodings_are_refused() {
    use ciborium::Value;
    let w = World::new();
    // "facility": 32("TF-1") decodes to the same record through serde, but is
    // not its canonical encoding.
    let payload = crate::cbor::encode(&Value::Map(vec![
        (
            Value::Text("facility".into()),
            Value::Tag(32, Box::new(Value::Text("TF-1".into()))),
        ),
        (Value::Text("name".into()), Value::Text("N".into())),
        (Value::Text("site".into()), Value::Text("S".into())),
    ]))
    .unwrap();
    assert!(Record::decode(&Kind::Registration.content_type(), &payload)
        .unwrap_err()
        .to_string()
        .contains("canonical"));
    let _ = w;
}

mod never_panic {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any byte string, and any single-byte change or truncation of a
        /// valid statement, gets an answer from every parser and from the
        /// policy — never a panic — and a mutated statement is never admitted
        /// as new unless it is byte-identical to the original.
        #[test]
        fn parsers_and_policy_answer_every_input(
            noise in proptest::collection::vec(any::<u8>(), 0..600),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
            cut in any::<prop::sample::Index>(),
        ) {
            let _ = Statement::parse(&noise);
            let _ = crate::cose::Receipt::parse(&noise);
            let _ = crate::cose::split_transparent(&noise);
            let _ = Certificate::from_der(&noise);
            let _ = Record::decode(&Kind::Decision.content_type(), &noise);

            let mut w = World::new();
            w.by(op, reg("TF-1")).unwrap();
            let good = World::sign_at(&w.cio, &decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![]), T);
            let mut bad = good.clone();
            let i = at.index(bad.len());
            bad[i] = byte;
            let next = w.log.len() as u64;
            let r = w.state.admit(next, &bad, &w.cfg);
            if bad != good {
                prop_assert!(r.is_err(), "a changed statement was admitted (byte {i})");
            }
            let c = cut.index(good.len());
            prop_assert!(w.state.admit(next, &good[..c], &w.cfg).is_err());
            let _ = w.state.admit(next, &noise, &w.cfg);
        }
    }
}

/// A selection of the log (as an evidence pack carries) replays in order with
/// its original indexes; a reference outside the selection does not resolve.
#[test]
fn sparse_selections_replay_with_their_log_indexes() {
    let mut w = World::new(); // 0, 1: designations
    w.by(op, reg("TF-1")).unwrap(); // 2
    w.by(op, reg("TF-2")).unwrap(); // 3
    let s = w.by(op, seal("TF-1", 1)).unwrap(); // 4
    w.by(op, seal("TF-2", 2)).unwrap(); // 5
    w.by(
        cio,
        Record::Countersignature(Countersignature {
            facility: "TF-1".into(),
            seal: s,
            note: "".into(),
        }),
    )
    .unwrap(); // 6
    let mut sel = State::partial();
    for i in [0usize, 1, 2, 4, 6] {
        sel.replay(i as u64, &w.log[i]).unwrap();
    }
    assert_eq!(sel.len(), 7);
    assert!(sel.get(5).is_none() && sel.get(6).is_some());
    // Without the seal, the countersignature's reference is dangling.
    let mut missing = State::partial();
    for i in [0usize, 1, 2] {
        missing.replay(i as u64, &w.log[i]).unwrap();
    }
    let e = missing.replay(6, &w.log[6]).unwrap_err();
    assert_eq!(e.rule(), "reference", "{e}");
    // Without the User CIO's designation, the countersignature has no authority.
    let mut undesignated = State::partial();
    for i in [0usize, 2, 4] {
        undesignated.replay(i as u64, &w.log[i]).unwrap();
    }
    let e = undesignated.replay(6, &w.log[6]).unwrap_err();
    assert_eq!(e.rule(), "authority", "{e}");
    // Going backwards is refused.
    assert_eq!(sel.replay(3, &w.log[3]).unwrap_err().rule(), "lifecycle");
}

mod duplicate;
mod refusals;
mod scheme;
