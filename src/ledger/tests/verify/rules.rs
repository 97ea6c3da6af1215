//! A log that appends what the scheme's rules forbid (its operator holds the
//! log key and bypasses the policy) still cannot make a verifier accept it:
//! every pack it makes fails the statement with the rule's name.

use super::*;
use crate::cose::{transparent_statement, Statement};
use crate::policy::testing::{
    ack, cio, designation, framework, honest_decision, rival, ssc, World,
};
use crate::record::*;

/// Appends the World's whole log without the policy, has w1 cosign, and
/// packs every entry with its receipt.
fn dishonest_pack(world: World) -> (Pack, Trust) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    let vkey = crate::store::init(&ledger, "example.org/packs").unwrap();
    let mut writer = crate::store::Writer::open(&ledger).unwrap();
    for b in &world.log {
        writer.append(b).unwrap();
    }
    writer.commit().unwrap();
    drop(writer);
    let wdir = dir.path().join("w1");
    Witness::create(&wdir, "example.org/w1").unwrap();
    let mut w1 = Witness::open(&wdir).unwrap();
    w1.add_log(vkey.clone()).unwrap();
    let l = Snapshot::open(&ledger).unwrap();
    let sig = w1
        .add_checkpoint(&request_for(&l, 0).unwrap(), T + 150)
        .unwrap();
    crate::store::Writer::open(&ledger)
        .unwrap()
        .attach_cosignatures(&w1.vkey(), sig.to_line().as_bytes())
        .unwrap();
    let l = Snapshot::open(&ledger).unwrap();
    let handle = crate::ledger::Ledger::open(&ledger).unwrap();
    let statements = (0..world.log.len() as u64)
        .map(|i| {
            let st = Statement::parse(&l.read_entry(i).unwrap()).unwrap();
            let receipt = handle.receipt_in(&l, i, T + 200).unwrap();
            transparent_statement(&st, &[receipt]).unwrap()
        })
        .collect();
    let pack = Pack {
        checkpoint: l.checkpoint().to_bytes(),
        statements,
        consistency: None,
        history: None,
        frozen: None,
        predecessor: None,
        rotations: Vec::new(),
        timestamps: Vec::new(),
    };
    let text = format!("log {vkey}\nwitness w1 {}\nquorum w1\n", w1.vkey());
    let trust = Trust {
        root: world.root.cert.clone(),
        policy: Policy::parse(text.as_bytes()).unwrap(),
        labels: None,
        rotations: Vec::new(),
        tsas: Vec::new(),
        updates: Vec::new(),
    };
    (pack, trust)
}

/// Signs `record` as `who` and appends it to the World's log unchecked.
fn force(w: &mut World, who: fn(&World) -> &crate::policy::testing::Signer, record: Record) {
    let b = World::sign_at(who(w), &record, T);
    w.log.push(b);
}

/// The failed checks of a dishonest pack: exactly the last statement's
/// policy check, with the rule named.
fn only_the_forced_statement_fails(world: World, rule: &str) {
    let n = world.log.len();
    let (pack, trust) = dishonest_pack(world);
    // The pack carries no committed index: accepted as partial.
    let options = Options {
        since: None,
        require: Require::Partial,
        now: None,
    };
    let r = verify_pack_with(&pack, &trust, &options).0;
    let bad: Vec<_> = r.checks.iter().filter(|c| !c.passed).collect();
    assert_eq!(bad.len(), 1, "{}", r.to_text());
    assert!(
        bad[0].name.starts_with(&format!("statement {n} ")),
        "{}",
        r.to_text()
    );
    assert!(
        bad[0].detail.starts_with(&format!("rule {rule} [{rule}/")),
        "{}",
        bad[0].detail
    );
    // The refusal's code, in the check and in the JSON report.
    let code = bad[0].code.expect("a refused statement names its code");
    assert!(code.starts_with(&format!("{rule}/")), "{code}");
    assert!(
        r.to_json().contains(&format!("\"code\": \"{code}\"")),
        "{}",
        r.to_json()
    );
    assert!(!r.verified());
}

fn facility_with_decision(fw: bool) -> (World, Ref) {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    if fw {
        w.by(ssc, framework("v1", 3)).unwrap();
    }
    let d = honest_decision(&w, "TF-1", Assessment::Fusa, Outcome::Approved, vec![]);
    let d = w.by(cio, d).unwrap();
    (w, d)
}

#[test]
fn the_attack_of_another_party_is_caught_offline() {
    let (mut w, d) = facility_with_decision(false);
    force(
        &mut w,
        rival,
        Record::Dispute(Dispute {
            facility: "TF-1".into(),
            decision: d,
            grounds: "ours now".into(),
        }),
    );
    only_the_forced_statement_fails(w, "authority");
    let (mut w, _) = facility_with_decision(false);
    force(&mut w, rival, seal("TF-1", 4));
    only_the_forced_statement_fails(w, "authority");
}

#[test]
fn an_undesignated_assessor_is_caught_offline() {
    // The SSC appoints a new User CIO; the old one's certificate no longer acts.
    let (mut w, _) = facility_with_decision(false);
    w.by(ssc, designation(DesignatedRole::UserCio, "NTRGB-NEW"))
        .unwrap();
    let s = w.by(op, seal("TF-1", 2)).unwrap();
    force(
        &mut w,
        cio,
        Record::Countersignature(Countersignature {
            facility: "TF-1".into(),
            seal: s,
            note: "by the old User CIO".into(),
        }),
    );
    only_the_forced_statement_fails(w, "authority");
}

#[test]
fn framework_and_coverage_violations_are_caught_offline() {
    // A decision without the framework in force.
    let (mut w, _) = facility_with_decision(true);
    w.by(op, reg("TF-2")).unwrap();
    force(
        &mut w,
        cio,
        decision("TF-2", Assessment::Fusa, Outcome::Approved, &[], vec![]),
    );
    only_the_forced_statement_fails(w, "framework");
    // An approval with an obligation not met.
    let (mut w, _) = facility_with_decision(true);
    w.by(op, reg("TF-2")).unwrap();
    let Record::Decision(mut d) =
        honest_decision(&w, "TF-2", Assessment::Fusa, Outcome::Approved, vec![])
    else {
        panic!("a decision")
    };
    d.findings[0].result = FindingResult::NotMet;
    force(&mut w, cio, Record::Decision(d));
    only_the_forced_statement_fails(w, "coverage");
}

#[test]
fn acknowledgement_violations_are_caught_offline() {
    // A determination of a decision the operator has not acknowledged.
    let (mut w, d) = facility_with_decision(true);
    force(
        &mut w,
        ssc,
        Record::Determination(Determination {
            facility: "TF-1".into(),
            decision: d.clone(),
            next: Assessment::Vusa,
            due: "2028-01-01".into(),
        }),
    );
    only_the_forced_statement_fails(w, "lifecycle");
    // Two acknowledgements of one decision.
    let (mut w, d) = facility_with_decision(true);
    w.by(op, ack("TF-1", &d, Position::Accepted)).unwrap();
    force(&mut w, op, ack("TF-1", &d, Position::Disputed));
    only_the_forced_statement_fails(w, "lifecycle");
}

/// A repeat that a log appended (or that a ledger holds from before the
/// `duplicate` rule): the same seal signed again a second later.
#[test]
fn a_repeated_statement_is_caught_offline() {
    let (mut w, _) = facility_with_decision(false);
    w.by(op, seal("TF-1", 2)).unwrap();
    let repeat = World::sign_at(&w.op, &seal("TF-1", 2), T + 1);
    w.log.push(repeat);
    only_the_forced_statement_fails(w, "duplicate");
}

#[test]
fn the_report_shows_both_signatures_of_a_decision() {
    let f = Fixture::new({
        let (mut w, d) = facility_with_decision(true);
        w.by(op, ack("TF-1", &d, Position::Accepted)).unwrap();
        w
    });
    let r = verify_pack(
        &f.pack(Selection::Facility("TF-1".into()), None),
        &f.trust(),
        None,
    );
    assert!(r.verified(), "{}", r.to_text());
    let a = r
        .checks
        .iter()
        .find(|c| c.name.ends_with(": acknowledgement"))
        .expect("an acknowledgement check");
    assert!(
        a.detail.contains("CN=Operator") && a.detail.contains("accepts"),
        "{}",
        a.detail
    );
    // A pack of the decision alone carries its acknowledgement too.
    let d = f.world.state.facilities()["TF-1"].decisions[0].index;
    let p = f.pack(Selection::Entries(vec![d]), None);
    let r = verify_pack(&p, &f.trust(), None);
    assert!(r.verified(), "{}", r.to_text());
    assert!(
        r.checks
            .iter()
            .any(|c| c.name.ends_with(": acknowledgement")),
        "{}",
        r.to_text()
    );
    // Without the acknowledgement, the report says it is pending, and the
    // decision's authority names the User CIO's party.
    let f = Fixture::new(facility_with_decision(true).0);
    let r = verify_pack(
        &f.pack(Selection::Facility("TF-1".into()), None),
        &f.trust(),
        None,
    );
    assert!(r.verified(), "{}", r.to_text());
    assert!(r
        .not_checked
        .iter()
        .any(|n| n.contains("acknowledgement") && n.contains("pending")));
    assert!(r
        .checks
        .iter()
        .any(|c| c.name.contains("decision by") && c.detail.contains("party NTRGB-CIO")));
}

/// Issue 26: a statement logged after its signer's revocation fails the
/// pack, whatever time it claims: revocations are judged by log order (a
/// time-stamp, FORMATS §29, dates the order; it cannot reorder it).
#[test]
fn a_statement_logged_after_its_signers_revocation_fails_offline() {
    let mut w = World::new();
    w.by(op, reg("TF-1")).unwrap();
    let fp = crate::merkle::Hash::from_bytes(w.op.cert.fingerprint());
    w.by(
        crate::policy::testing::root,
        Record::Revocation(Revocation {
            certificate_sha256: fp,
            reason: "key lost".into(),
        }),
    )
    .unwrap();
    // Signed (it claims) before the revocation, logged after it.
    force(&mut w, op, reg("TF-2"));
    only_the_forced_statement_fails(w, "revoked");
}
