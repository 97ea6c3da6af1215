//! Record encoding: round trips, a pinned encoding, and refusals.

use super::*;
use ciborium::Value;

fn r(i: u64) -> Ref {
    Ref {
        index: i,
        sha256: vec![i as u8; 32],
    }
}

pub(crate) fn samples() -> Vec<Record> {
    vec![
        Record::Registration(Registration {
            facility: "TF-1".into(),
            name: "North".into(),
            site: "Unit 4".into(),
        }),
        Record::Seal(Seal {
            facility: "TF-1".into(),
            description: "reset logs".into(),
            root: vec![1; 32],
            items: 3,
            manifest_sha256: vec![2; 32],
        }),
        Record::Countersignature(Countersignature {
            facility: "TF-1".into(),
            seal: r(1),
            note: "".into(),
        }),
        Record::Decision(Decision {
            facility: "TF-1".into(),
            assessment: Assessment::Fusa,
            outcome: Outcome::ApprovedWithSteps,
            steps: vec![Step {
                id: "S1".into(),
                description: "fix".into(),
                due: "2027-01-31".into(),
            }],
            findings: vec![Finding {
                control: "G5.14".into(),
                finding: "partial".into(),
            }],
            report_sha256: vec![3; 32],
            evidence: vec![r(1)],
        }),
        Record::StepCompletion(StepCompletion {
            facility: "TF-1".into(),
            decision: r(3),
            step: "S1".into(),
            evidence: vec![],
        }),
        Record::StepAcceptance(StepAcceptance {
            facility: "TF-1".into(),
            completion: r(4),
        }),
        Record::Determination(Determination {
            facility: "TF-1".into(),
            decision: r(3),
            next: Assessment::Vusa,
            due: "2028-01-31".into(),
        }),
        Record::Dispute(Dispute {
            facility: "TF-1".into(),
            decision: r(3),
            grounds: "scope".into(),
        }),
        Record::Resolution(DisputeResolution {
            facility: "TF-1".into(),
            dispute: r(7),
            resolution: Resolution::Dismissed,
            new_assessment: false,
            reason: "in scope".into(),
        }),
        Record::Revocation(Revocation {
            certificate_sha256: vec![9; 32],
            reason: "key retired".into(),
        }),
    ]
}

#[test]
fn every_kind_round_trips_through_its_content_type() {
    let all = samples();
    assert_eq!(all.len(), Kind::ALL.len());
    for rec in all {
        let bytes = rec.encode().unwrap();
        let ct = rec.kind().content_type();
        assert_eq!(Record::decode(&ct, &bytes).unwrap(), rec);
        // The same payload under another kind's content type is refused.
        let other = Kind::ALL.iter().find(|k| **k != rec.kind()).unwrap();
        assert!(Record::decode(&other.content_type(), &bytes).is_err());
    }
}

#[test]
fn the_encoding_is_pinned() {
    let rec = Record::Registration(Registration {
        facility: "TF-1".into(),
        name: "N".into(),
        site: "S".into(),
    });
    let hex: String = rec
        .encode()
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // {"name": "N", "site": "S", "facility": "TF-1"}: keys in bytewise order of their encoding.
    assert_eq!(
        hex,
        "a3646e616d65614e6473697465615368666163696c6974796454462d31"
    );
}

#[test]
fn refusals_name_the_problem() {
    let reg = Record::Registration(Registration {
        facility: "TF-1".into(),
        name: "N".into(),
        site: "S".into(),
    });
    let ct = Kind::Registration.content_type();
    // Unknown field.
    let Value::Map(mut m) = crate::cbor::decode(&reg.encode().unwrap()).unwrap() else {
        panic!()
    };
    m.push((Value::Text("extra".into()), Value::Integer(1.into())));
    let extra = crate::cbor::encode(&Value::Map(m)).unwrap();
    assert!(matches!(
        Record::decode(&ct, &extra),
        Err(RecordError::Cbor { .. })
    ));
    // Non-canonical payload.
    let mut loose = reg.encode().unwrap();
    loose[0] = 0xbf; // indefinite map
    loose.push(0xff);
    assert!(matches!(
        Record::decode(&ct, &loose),
        Err(RecordError::Cbor { .. })
    ));
    // Unknown content type.
    assert!(matches!(
        Record::decode("application/json", &[0xa0]),
        Err(RecordError::UnknownKind(_))
    ));
    // Field rules.
    let bad_digest = Record::Seal(Seal {
        facility: "F".into(),
        description: "d".into(),
        root: vec![1; 31],
        items: 1,
        manifest_sha256: vec![2; 32],
    });
    assert!(bad_digest
        .encode()
        .unwrap_err()
        .to_string()
        .contains("root must be a 32-byte"));
    let mut d = match &samples()[3] {
        Record::Decision(d) => d.clone(),
        _ => unreachable!(),
    };
    d.steps.clear();
    assert!(Record::Decision(d.clone())
        .validate()
        .unwrap_err()
        .to_string()
        .contains("at least one step"));
    d.outcome = Outcome::Approved;
    Record::Decision(d.clone()).validate().unwrap();
    d.steps.push(Step {
        id: "S1".into(),
        description: "x".into(),
        due: "2027-02-30x".into(),
    });
    assert!(Record::Decision(d.clone()).validate().is_err());
    d.outcome = Outcome::ApprovedWithSteps;
    d.steps[0].due = "2027-13-01".into();
    assert!(Record::Decision(d.clone())
        .validate()
        .unwrap_err()
        .to_string()
        .contains("YYYY-MM-DD"));
    d.steps[0].due = "2027-12-01".into();
    d.steps.push(d.steps[0].clone());
    assert!(Record::Decision(d)
        .validate()
        .unwrap_err()
        .to_string()
        .contains("twice"));
    let empty = Record::Registration(Registration {
        facility: " ".into(),
        name: "N".into(),
        site: "S".into(),
    });
    assert!(empty.validate().is_err());
}

#[test]
fn kinds_know_their_signers() {
    assert_eq!(Kind::Decision.signer(), Some(Role::UserCio));
    assert_eq!(Kind::Seal.signer(), Some(Role::Operator));
    assert_eq!(Kind::Resolution.signer(), Some(Role::Ssc));
    assert_eq!(Kind::Revocation.signer(), None);
    assert_eq!(
        Kind::from_content_type("application/vnd.triage-ledger.step-acceptance+cbor"),
        Some(Kind::StepAcceptance)
    );
}
