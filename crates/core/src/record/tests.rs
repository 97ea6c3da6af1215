//! Record encoding: round trips, a pinned encoding, and refusals.

use super::*;
use crate::identity::Role;
use ciborium::Value;

fn r(i: u64) -> Ref {
    Ref {
        index: i,
        sha256: crate::merkle::Hash::from_bytes([i as u8; 32]),
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
            root: crate::merkle::Hash::from_bytes([1; 32]),
            items: 3,
            manifest_sha256: crate::merkle::Hash::from_bytes([2; 32]),
            addresses: Some(Addresses {
                framework: r(0),
                obligations: vec!["G3.7".into()],
            }),
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
                obligations: vec!["G5.14".into()],
            }],
            findings: vec![Finding {
                obligation: "G5.14".into(),
                result: FindingResult::NotMet,
                note: "partial".into(),
            }],
            report_sha256: crate::merkle::Hash::from_bytes([3; 32]),
            evidence: vec![r(1)],
            framework: Some(r(0)),
            self_assessment: None,
        }),
        Record::Acknowledgement(Acknowledgement {
            facility: "TF-1".into(),
            decision: r(3),
            response_sha256: crate::merkle::Hash::from_bytes([4; 32]),
            position: Position::Accepted,
        }),
        Record::SelfAssessment(SelfAssessment {
            facility: "TF-1".into(),
            findings: vec![],
            report_sha256: crate::merkle::Hash::from_bytes([5; 32]),
            evidence: vec![],
            framework: None,
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
        Record::Transfer(Transfer {
            facility: "TF-1".into(),
            to_party: "NTRGB-00000002".into(),
            reason: "sold".into(),
        }),
        Record::ToolInventory(ToolInventory {
            facility: "TF-1".into(),
            tools: vec![Tool {
                make: "M".into(),
                model: "X".into(),
                serial: "1".into(),
                firmware_sha256: crate::merkle::Hash::from_bytes([6; 32]),
                cpa_certificate: "CPA-1".into(),
                cpa_expires: "2028-02-29".into(),
            }],
            interfaces: vec![Interface {
                name: "optical-1".into(),
                kind: "optical port".into(),
                access_controls: "login".into(),
            }],
        }),
        Record::Revocation(Revocation {
            certificate_sha256: crate::merkle::Hash::from_bytes([9; 32]),
            reason: "key retired".into(),
        }),
        Record::Designation(Designation {
            role: DesignatedRole::UserCio,
            party: "NTRGB-00000003".into(),
            note: "appointed".into(),
        }),
        Record::Framework(framework()),
    ]
}

pub(crate) fn framework() -> Framework {
    Framework {
        version: "2027.1".into(),
        title: "T".into(),
        obligations: vec![
            Obligation {
                id: "G3.7".into(),
                title: "custody".into(),
                applies: true,
                reason: None,
                evidence: vec!["custody log".into()],
            },
            Obligation {
                id: "G6.1".into(),
                title: "anomaly detection".into(),
                applies: false,
                reason: Some("no Service Requests".into()),
                evidence: vec![],
            },
        ],
    }
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
    // A digest is a `Hash`: one of 31 bytes cannot be built, and is
    // refused when decoded, naming the length.
    let seal = Record::Seal(Seal {
        facility: "F".into(),
        description: "d".into(),
        root: crate::merkle::Hash::from_bytes([1; 32]),
        items: 1,
        manifest_sha256: crate::merkle::Hash::from_bytes([2; 32]),
        addresses: None,
    });
    let good = seal.encode().unwrap();
    let mut v = crate::cbor::decode(&good).unwrap();
    if let ciborium::Value::Map(m) = &mut v {
        for (k, val) in m.iter_mut() {
            if k.as_text() == Some("root") {
                *val = ciborium::Value::Bytes(vec![1; 31]);
            }
        }
    }
    let short = crate::cbor::encode(&v).unwrap();
    let e = Record::decode(&seal.kind().content_type(), &short)
        .unwrap_err()
        .to_string();
    assert!(e.contains("a SHA-256 digest is 32 bytes, got 31"), "{e}");
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
        obligations: vec![],
    });
    assert!(Record::Decision(d.clone()).validate().is_err());
    d.outcome = Outcome::ApprovedWithSteps;
    for bad in [
        "2027-13-01",
        "2027-02-29",
        "2027-04-31",
        "2027-00-10",
        "+027-01-01",
    ] {
        d.steps[0].due = bad.into();
        assert!(
            Record::Decision(d.clone())
                .validate()
                .unwrap_err()
                .to_string()
                .contains("calendar date"),
            "{bad}"
        );
    }
    d.steps[0].due = "2028-02-29".into();
    Record::Decision(d.clone()).validate().unwrap();
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
    assert_eq!(Kind::Designation.signer(), None);
    assert_eq!(Kind::Framework.signer(), Some(Role::Ssc));
    assert_eq!(Kind::Transfer.signer(), Some(Role::Ssc));
    for k in [
        Kind::Acknowledgement,
        Kind::SelfAssessment,
        Kind::ToolInventory,
    ] {
        assert_eq!(k.signer(), Some(Role::Operator));
    }
    assert_eq!(
        Kind::from_content_type("application/vnd.triage-ledger.step-acceptance+cbor"),
        Some(Kind::StepAcceptance)
    );
}

fn invalid(r: Record) -> String {
    r.validate().unwrap_err().to_string()
}

#[test]
fn new_records_refuse_what_their_rules_forbid() {
    let fw = framework();
    // A framework: an applicable obligation needs evidence and no reason; one
    // that does not apply needs a reason; ids are unique, without spaces;
    // something must apply.
    let mut f = fw.clone();
    f.obligations[0].evidence.clear();
    assert!(invalid(Record::Framework(f)).contains("name the evidence"));
    let mut f = fw.clone();
    f.obligations[1].reason = None;
    assert!(invalid(Record::Framework(f)).contains("give the reason"));
    let mut f = fw.clone();
    f.obligations[0].reason = Some("x".into());
    assert!(invalid(Record::Framework(f)).contains("no reason"));
    let mut f = fw.clone();
    f.obligations[1].id = "G3.7".into();
    assert!(invalid(Record::Framework(f)).contains("twice"));
    let mut f = fw.clone();
    f.obligations[0].id = "G3 7".into();
    assert!(invalid(Record::Framework(f)).contains("visible ASCII"));
    let mut f = fw.clone();
    f.obligations.remove(0);
    assert!(invalid(Record::Framework(f)).contains("no obligation applies"));
    // Findings and step obligations need a framework; one finding per obligation.
    let Record::Decision(mut d) = samples()[3].clone() else {
        panic!("sample 3 is a decision")
    };
    d.framework = None;
    assert!(invalid(Record::Decision(d.clone())).contains("framework"));
    d.findings.clear();
    assert!(invalid(Record::Decision(d.clone())).contains("step \"S1\" names obligations"));
    d.steps[0].obligations.clear();
    Record::Decision(d.clone()).validate().unwrap();
    d.framework = Some(r(0));
    d.findings = vec![
        Finding {
            obligation: "G3.7".into(),
            result: FindingResult::Met,
            note: "seen".into(),
        };
        2
    ];
    assert!(invalid(Record::Decision(d.clone())).contains("appears twice"));
    // A USSA, and only a USSA, reviews a self-assessment.
    d.findings.truncate(1);
    d.assessment = Assessment::Ussa;
    assert!(invalid(Record::Decision(d.clone())).contains("self_assessment"));
    d.self_assessment = Some(r(9));
    Record::Decision(d.clone()).validate().unwrap();
    d.assessment = Assessment::Vusa;
    assert!(invalid(Record::Decision(d)).contains("self_assessment"));
    // Parties are identifiers; an inventory names something, serials once.
    let t = Record::Transfer(Transfer {
        facility: "TF-1".into(),
        to_party: "Example Ltd".into(),
        reason: "r".into(),
    });
    assert!(invalid(t).contains("party identifier"));
    let Record::ToolInventory(inv) = samples()[12].clone() else {
        panic!("sample 12 is an inventory")
    };
    let mut i = inv.clone();
    i.tools.push(i.tools[0].clone());
    assert!(invalid(Record::ToolInventory(i)).contains("tool serial \"1\" appears twice"));
    let mut i = inv.clone();
    i.tools[0].cpa_expires = "2027-02-29".into();
    assert!(invalid(Record::ToolInventory(i)).contains("calendar date"));
    let mut i = inv;
    i.tools.clear();
    i.interfaces.clear();
    assert!(invalid(Record::ToolInventory(i)).contains("at least one"));
}

/// Optional fields are left out when absent; an explicit null or empty list
/// is another encoding of the same record, so it is refused.
#[test]
fn absent_optional_fields_have_one_encoding() {
    let Record::Decision(d) = samples()[3].clone() else {
        panic!("sample 3 is a decision")
    };
    let bytes = Record::Decision(d).encode().unwrap();
    let ct = Kind::Decision.content_type();
    let Value::Map(m) = crate::cbor::decode(&bytes).unwrap() else {
        panic!("a record is a map")
    };
    for (key, value) in [
        ("self_assessment", Value::Null),
        ("self_assessment", Value::Array(vec![])),
    ] {
        let mut m2 = m.clone();
        m2.push((Value::Text(key.into()), value));
        let b = crate::cbor::encode(&Value::Map(m2)).unwrap();
        assert!(Record::decode(&ct, &b).is_err(), "{key}");
    }
    // A step with an explicit empty obligations list.
    let mut m3 = m.clone();
    for (k, v) in m3.iter_mut() {
        if k == &Value::Text("steps".into()) {
            if let Value::Array(steps) = v {
                if let Value::Map(step) = &mut steps[0] {
                    step.retain(|(k, _)| k != &Value::Text("obligations".into()));
                    step.push((Value::Text("obligations".into()), Value::Array(vec![])));
                }
            }
        }
    }
    let b = crate::cbor::encode(&Value::Map(m3)).unwrap();
    let e = Record::decode(&ct, &b).unwrap_err().to_string();
    assert!(e.contains("canonical"), "{e}");
}

#[test]
fn hand_written_input_is_read_and_checked() {
    let json = br#"{"version": "1", "title": "T", "obligations": [
        {"id": "G1", "title": "a", "applies": true, "evidence": ["e"]},
        {"id": "G2", "title": "b", "applies": false, "reason": "n/a"}]}"#;
    let f = framework_from_json(json).unwrap();
    assert_eq!(f.applicable().count(), 1);
    let e = framework_from_json(br#"{"version": "1", "title": "T", "obligations": [], "x": 1}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field"), "{e}");
    let inv = br#"{"tools": [{"make": "M", "model": "X", "serial": "1",
        "firmware_sha256": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        "cpa_certificate": "C", "cpa_expires": "2028-01-31"}]}"#;
    let i = inventory_from_json("TF-1", inv).unwrap();
    assert_eq!(i.tools[0].firmware_sha256[1], 0x11);
    let short = String::from_utf8_lossy(inv).replace("eeff\"", "ee\"");
    assert!(inventory_from_json("TF-1", short.as_bytes())
        .unwrap_err()
        .to_string()
        .contains("64 hex digits"));
    let f = findings_from_text("# c\nG1|met|ok\n\nG2 | not-met | no\n", "f").unwrap();
    assert_eq!(f[1].result, FindingResult::NotMet);
    assert_eq!(f[1].obligation, "G2");
    let e = findings_from_text("G1|maybe|x", "f")
        .unwrap_err()
        .to_string();
    assert!(e.contains("f line 1"), "{e}");
}

#[test]
fn text_cannot_forge_lines_and_ids_are_plain_ascii() {
    let reg = |facility: &str, name: &str| {
        Record::Registration(Registration {
            facility: facility.into(),
            name: name.into(),
            site: "S".into(),
        })
    };
    reg("TF-1", "Bay \"1\" \\ naïve").validate().unwrap();
    for name in ["a\nb", "tab\there", "del\u{7f}", "esc\u{1b}[2J"] {
        assert!(
            invalid(reg("TF-1", name)).contains("control character"),
            "{name:?}"
        );
    }
    for id in ["TF\u{2011}1", "TF 1", "TF|1", ""] {
        assert!(invalid(reg(id, "n")).contains("facility"), "{id:?}");
    }
    // Remarks and reasons may span lines, but hold no other control character.
    let d = |grounds: &str| {
        Record::Dispute(Dispute {
            facility: "TF-1".into(),
            decision: r(1),
            grounds: grounds.into(),
        })
    };
    d("first line\nsecond line").validate().unwrap();
    assert!(invalid(d("bell\u{7}")).contains("only newlines"));
    // A finding says something.
    let Record::Decision(mut dec) = samples()[3].clone() else {
        panic!("sample 3 is a decision")
    };
    dec.findings[0].note = " ".into();
    assert!(invalid(Record::Decision(dec)).contains("note must not be empty"));
}

#[test]
fn times_are_read_as_iso_8601_dates_or_posix_seconds() {
    assert_eq!(parse_time("1803000000"), Ok(1_803_000_000));
    assert_eq!(parse_time("1970-01-02"), Ok(86_400));
    assert_eq!(parse_time("2027-03-01T09:30:00Z"), Ok(1_803_893_400));
    assert_eq!(parse_time("2027-03-01T10:30:00+01:00"), Ok(1_803_893_400));
    assert_eq!(parse_time("2027-03-01T04:00:00-05:30"), Ok(1_803_893_400));
    assert_eq!(parse_time("2027-03-01T09:30:00.250Z"), Ok(1_803_893_400));
    for bad in [
        "",
        "2027-02-31",
        "2027-03-01T09:30:00",
        "2027-03-01T25:00:00Z",
        "2027-03-01T09:30Z",
        "2027-03-01T09:30:00+1:00",
        "2027-03-01T09:30:00.Z",
        "1969-12-31",
        "yesterday",
        "-5",
        "2027-03-01T09:30:0\u{20ac}",
        "2027-03-01T09:30:00+\u{20ac}00",
        "9999-12-31T23:30:00-01:00",
    ] {
        let e = parse_time(bad).unwrap_err();
        assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
    }
    assert!(parse_time("2027-03-01T09:30:00")
        .unwrap_err()
        .contains("zone"));
}
