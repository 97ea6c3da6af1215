//! Policy tests that need a ledger on disk: a refused batch leaves it
//! unchanged, and a writer resumed from the persisted state refuses repeats.
//! (The policy's own tests are the core's `policy::tests`.)

use crate::cose::Statement;
use crate::history::is_index_entry;
use crate::identity::Role;
use crate::ledger::testing::submit;
use crate::ledger::LedgerError;
use crate::policy::testing::*;
use crate::policy::*;
use crate::record::*;

/// Every refusal through `submit` leaves the ledger exactly as it was, even
/// when valid statements precede the refused one in the batch.
#[test]
fn refused_batches_leave_the_ledger_unchanged() {
    let mut w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    crate::store::init(&ledger, "example.org/policy").unwrap();
    crate::store::install_trust_root(&ledger, w.root.cert.to_pem().as_bytes()).unwrap();
    let now = T + 100;
    let fw = w.by(ssc, framework("v1", 3)).unwrap();
    w.by(op, reg("TF-1")).unwrap();
    let d = honest_decision(&w, "TF-1", Assessment::Fusa, Outcome::Approved, vec![]);
    let d = w.by(cio, d).unwrap();
    w.by(op, ack("TF-1", &d, Position::Accepted)).unwrap();
    let first: Vec<(String, Vec<u8>)> = w
        .log
        .iter()
        .map(|b| ("first".to_string(), b.clone()))
        .collect();
    let done = submit(&ledger, &first, now, 300).unwrap();
    assert_eq!(
        done.admissions,
        (0..6).map(Admission::New).collect::<Vec<_>>()
    );
    let incomplete = Record::Decision(Decision {
        facility: "TF-1".into(),
        assessment: Assessment::Fusa,
        outcome: Outcome::Approved,
        steps: vec![],
        findings: vec![Finding {
            obligation: "G1".into(),
            result: FindingResult::Met,
            note: "seen".into(),
        }],
        report_sha256: crate::merkle::Hash::from_bytes([1; 32]),
        evidence: vec![],
        framework: Some(fw),
        self_assessment: None,
    });
    let before = crate::store::Snapshot::open(&ledger)
        .unwrap()
        .checkpoint()
        .to_bytes();

    let other = World::new();
    let mut forged = World::sign_at(&w.op, &seal("TF-1", 2), T);
    let n = forged.len();
    forged[n - 3] ^= 1;
    let oversized = vec![0u8; crate::cose::MAX_STATEMENT_SIZE + 1];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "role",
            World::sign_at(
                &w.op,
                &decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![]),
                T,
            ),
        ),
        ("signature", forged),
        ("chain", World::sign_at(&other.op, &seal("TF-1", 3), T)),
        (
            "validity",
            World::sign_at(&w.op, &seal("TF-1", 4), T - 5000),
        ),
        (
            "future-iat",
            World::sign_at(&w.op, &seal("TF-1", 4), now + 10_000),
        ),
        (
            "reference",
            World::sign_at(
                &w.cio,
                &Record::Countersignature(Countersignature {
                    facility: "TF-1".into(),
                    seal: Ref {
                        index: 9,
                        sha256: crate::merkle::Hash::from_bytes([0; 32]),
                    },
                    note: "".into(),
                }),
                T,
            ),
        ),
        ("duplicate", World::sign_at(&w.op, &reg("TF-1"), T + 1)),
        (
            "lifecycle",
            World::sign_at(
                &w.op,
                &Record::Registration(Registration {
                    facility: "TF-1".into(),
                    name: "Renamed".into(),
                    site: "S".into(),
                }),
                T + 1,
            ),
        ),
        (
            "lifecycle",
            World::sign_at(&w.op, &ack("TF-1", &d, Position::Disputed), T),
        ),
        (
            "lifecycle",
            World::sign_at(&w.op, &honest_self_assessment(&w, "TF-1", vec![]), T),
        ),
        (
            "lifecycle",
            World::sign_at(
                &w.ssc,
                &Record::Transfer(Transfer {
                    facility: "TF-1".into(),
                    to_party: OP_PARTY.into(),
                    reason: "r".into(),
                }),
                T,
            ),
        ),
        ("authority", World::sign_at(&w.rival, &seal("TF-1", 5), T)),
        (
            "authority",
            World::sign_at(
                &role_signer(&w.root, Role::UserCio, "Other CIO", Some("NTRGB-OTHER")),
                &decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![]),
                T,
            ),
        ),
        (
            "framework",
            World::sign_at(
                &w.cio,
                &decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![]),
                T,
            ),
        ),
        ("coverage", World::sign_at(&w.cio, &incomplete, T)),
        ("malformed", oversized),
        ("malformed", vec![0xd2, 0x84, 0x40]),
        ("malformed", non_canonical_payload(&w)),
    ];
    for (rule, bad) in cases {
        let good_first = World::sign_at(&w.op, &seal("TF-1", 9), T);
        let err = submit(
            &ledger,
            &[("good".into(), good_first), ("bad".into(), bad)],
            now,
            300,
        )
        .unwrap_err();
        match &err {
            LedgerError::Refused {
                position, rule: r, ..
            } => {
                assert_eq!((*position, *r), (2, rule), "{err}");
            }
            other => panic!("expected a refusal by {rule}, got {other}"),
        }
        let after = crate::store::Snapshot::open(&ledger)
            .unwrap()
            .checkpoint()
            .to_bytes();
        assert_eq!(after, before, "a refused batch ({rule}) changed the ledger");
    }
    // Revocation: the root revokes the operator; its next statement is refused.
    let rev = Record::Revocation(Revocation {
        certificate_sha256: crate::merkle::Hash::from_bytes(w.op.cert.fingerprint()),
        reason: "r".into(),
    });
    submit(
        &ledger,
        &[("rev".into(), World::sign_at(&w.root, &rev, T))],
        now,
        300,
    )
    .unwrap();
    let before = crate::store::Snapshot::open(&ledger)
        .unwrap()
        .checkpoint()
        .to_bytes();
    let err = submit(
        &ledger,
        &[("late".into(), World::sign_at(&w.op, &seal("TF-1", 5), T))],
        now,
        300,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::Refused {
                rule: "revoked",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        crate::store::Snapshot::open(&ledger)
            .unwrap()
            .checkpoint()
            .to_bytes(),
        before
    );
    crate::store::audit(&ledger).unwrap();
}

/// A writer resumed from the persisted state index, which holds the
/// facility's statements on disk only, refuses repeats too.
#[test]
fn a_resumed_state_refuses_repeats() {
    let mut w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    crate::store::init(&ledger, "example.org/duplicate").unwrap();
    crate::store::install_trust_root(&ledger, w.root.cert.to_pem().as_bytes()).unwrap();
    let now = T + 100;
    w.by(op, reg("TF-1")).unwrap();
    let s = w.by(op, seal("TF-1", 1)).unwrap();
    w.by(op, seal("TF-1", 2)).unwrap();
    let c = w.by(cio, countersignature("TF-1", &s, "ok")).unwrap();
    w.by(op, inventory("TF-1", "A")).unwrap();
    let batch: Vec<(String, Vec<u8>)> = w
        .log
        .iter()
        .filter(|b| !is_index_entry(b))
        .map(|b| ("first".to_string(), b.clone()))
        .collect();
    submit(&ledger, &batch, now, 300).unwrap();
    assert!(ledger.join("index").join("state.redb").exists());
    let repeats = [
        (
            "registration",
            World::sign_at(&w.op, &reg("TF-1"), T + 1),
            2,
        ),
        (
            "seal",
            World::sign_at(&w.op, &seal("TF-1", 1), T + 1),
            s.index,
        ),
        (
            "countersignature",
            World::sign_at(&w.cio, &countersignature("TF-1", &s, "ok"), T + 1),
            c.index,
        ),
        (
            "tool-inventory",
            World::sign_at(&w.op, &inventory("TF-1", "A"), T + 1),
            6,
        ),
        (
            "designation",
            World::sign_at(&w.root, &designation(DesignatedRole::Ssc, SSC_PARTY), T + 1),
            0,
        ),
    ];
    for (kind, bytes, index) in repeats {
        let fresh = World::sign_at(&w.op, &seal("TF-1", 9), T + 1);
        let err = submit(
            &ledger,
            &[("fresh".into(), fresh), (kind.into(), bytes)],
            now,
            300,
        )
        .unwrap_err();
        match &err {
            LedgerError::Refused {
                position, rule: r, ..
            } => assert_eq!((*position, *r), (2, "duplicate"), "{kind}: {err}"),
            other => panic!("{kind}: expected a refusal, got {other}"),
        }
        assert!(
            err.to_string().contains(&format!("at entry {index}")),
            "{kind}: {err}"
        );
    }
    // A seal that repeats nothing is admitted.
    let fresh = World::sign_at(&w.op, &seal("TF-1", 9), T + 1);
    submit(&ledger, &[("fresh".into(), fresh)], now, 300).unwrap();
}

/// A correctly signed statement whose payload is not deterministic CBOR
/// (an integer in a longer form than needed).
fn non_canonical_payload(w: &World) -> Vec<u8> {
    let st = World::sign_at(&w.op, &seal("TF-1", 8), T);
    let parsed = Statement::parse(&st).unwrap();
    crate::cose::CoseSign1::sign(
        parsed.message().protected_bytes().to_vec(),
        vec![],
        &[0x18, 0x01],
        false,
        &w.op.key,
    )
    .unwrap()
    .to_bytes()
    .unwrap()
}
