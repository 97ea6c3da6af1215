//! Policy tests: a whole lifecycle admitted, and every rule refusing.

use super::*;
use crate::cose::StatementHeader;
use crate::identity::{generate_key, issue_root, Role, Validity};
use crate::ledger::testing::submit;
use crate::ledger::LedgerError;
use crate::record::*;
use ed25519_dalek::SigningKey;

pub(crate) const T: u64 = 1_790_000_000;

thread_local! {
    /// The refusal codes `World::admit` met on this thread.
    static REACHED: std::cell::RefCell<std::collections::BTreeSet<&'static str>> =
        Default::default();
}

pub(crate) struct Signer {
    pub key: SigningKey,
    pub cert: Certificate,
}

pub(crate) struct World {
    pub root: Signer,
    pub op: Signer,
    pub cio: Signer,
    pub ssc: Signer,
    /// An operator of another party.
    pub rival: Signer,
    pub state: State,
    pub cfg: Config,
    pub log: Vec<Vec<u8>>,
}

pub(crate) const OP_PARTY: &str = "NTRGB-OP";
pub(crate) const CIO_PARTY: &str = "NTRGB-CIO";
pub(crate) const SSC_PARTY: &str = "SSC-GB";
pub(crate) const RIVAL_PARTY: &str = "NTRGB-RIVAL";

fn validity() -> Validity {
    Validity {
        not_before: T as i64 - 1000,
        not_after: T as i64 + 10_000_000,
    }
}

pub(crate) fn role_signer(root: &Signer, role: Role, name: &str, party: Option<&str>) -> Signer {
    let key = generate_key();
    let cert = crate::identity::issue_role_for(
        name,
        "Org",
        party,
        role,
        &key.verifying_key(),
        &root.cert,
        &root.key,
        validity(),
    )
    .unwrap();
    Signer { key, cert }
}

pub(crate) fn designation(role: DesignatedRole, party: &str) -> Record {
    Record::Designation(Designation {
        role,
        party: party.into(),
        note: "appointed".into(),
    })
}

impl World {
    /// The scheme's signers, with the SSC and the User CIO designated by the
    /// root (entries 0 and 1).
    pub fn new() -> Self {
        let mut w = Self::bare();
        w.by(root, designation(DesignatedRole::Ssc, SSC_PARTY))
            .unwrap();
        w.by(root, designation(DesignatedRole::UserCio, CIO_PARTY))
            .unwrap();
        w
    }

    /// The scheme's signers and an empty log: nobody designated yet.
    pub fn bare() -> Self {
        let rk = generate_key();
        let root = Signer {
            cert: issue_root("Root", "Scheme", &rk, validity()).unwrap(),
            key: rk,
        };
        let op = role_signer(&root, Role::Operator, "Operator", Some(OP_PARTY));
        let cio = role_signer(&root, Role::UserCio, "Assessor", Some(CIO_PARTY));
        let ssc = role_signer(&root, Role::Ssc, "SSC", Some(SSC_PARTY));
        let rival = role_signer(&root, Role::Operator, "Rival", Some(RIVAL_PARTY));
        let cfg = Config {
            root: root.cert.clone(),
            now: T + 100,
            skew: 300,
            max_age: super::DEFAULT_MAX_AGE,
        };
        World {
            root,
            op,
            cio,
            ssc,
            rival,
            state: State::new(),
            cfg,
            log: Vec::new(),
        }
    }

    pub fn sign_at(s: &Signer, record: &Record, iat: u64) -> Vec<u8> {
        let header = StatementHeader {
            content_type: record.kind().content_type(),
            issuer: s.cert.subject().to_string(),
            subject: record.facility().unwrap_or(SCHEME_SUBJECT).to_string(),
            issued_at: iat,
            x5chain: vec![s.cert.der().to_vec()],
        };
        Statement::sign(header, &record.encode().unwrap(), &s.key)
            .unwrap()
            .bytes()
            .to_vec()
    }

    /// Closes a commit as `submit` does: appends the commit index entry to
    /// the log (if anything was admitted since the last one).
    pub fn commit(&mut self) {
        let last_is_index = self
            .log
            .last()
            .is_some_and(|b| crate::history::is_index_entry(b));
        if self.log.is_empty() || last_is_index {
            return;
        }
        for (pos, bytes) in self.state.commit_entries().unwrap() {
            assert_eq!(pos, self.log.len() as u64);
            self.log.push(bytes);
        }
    }

    pub fn admit(&mut self, bytes: Vec<u8>) -> Result<Ref, PolicyError> {
        let index = self.log.len() as u64;
        let admitted = self.state.admit(index, &bytes, &self.cfg);
        if let Err(e) = &admitted {
            REACHED.with(|r| r.borrow_mut().insert(e.code()));
        }
        match admitted? {
            Admission::New(i) => {
                let r = Ref {
                    index: i,
                    sha256: crate::merkle::Hash::from_bytes(sha256(&bytes)),
                };
                self.log.push(bytes);
                Ok(r)
            }
            Admission::Duplicate(i) => Ok(Ref {
                index: i,
                sha256: crate::merkle::Hash::from_bytes(sha256(&bytes)),
            }),
        }
    }

    pub fn by(&mut self, who: fn(&World) -> &Signer, record: Record) -> Result<Ref, PolicyError> {
        let b = Self::sign_at(who(self), &record, T);
        self.admit(b)
    }
}

pub(crate) fn op(w: &World) -> &Signer {
    &w.op
}
pub(crate) fn cio(w: &World) -> &Signer {
    &w.cio
}
pub(crate) fn ssc(w: &World) -> &Signer {
    &w.ssc
}
pub(crate) fn root(w: &World) -> &Signer {
    &w.root
}
pub(crate) fn rival(w: &World) -> &Signer {
    &w.rival
}

pub(crate) fn reg(f: &str) -> Record {
    Record::Registration(Registration {
        facility: f.into(),
        name: "N".into(),
        site: "S".into(),
    })
}
pub(crate) fn seal(f: &str, n: u8) -> Record {
    Record::Seal(Seal {
        facility: f.into(),
        description: "d".into(),
        root: crate::merkle::Hash::from_bytes([n; 32]),
        items: 1,
        manifest_sha256: crate::merkle::Hash::from_bytes([n; 32]),
        addresses: None,
    })
}
pub(crate) fn decision(
    f: &str,
    a: Assessment,
    o: Outcome,
    steps: &[&str],
    evidence: Vec<Ref>,
) -> Record {
    Record::Decision(Decision {
        facility: f.into(),
        assessment: a,
        outcome: o,
        steps: steps
            .iter()
            .map(|s| Step {
                id: s.to_string(),
                description: "do".into(),
                due: "2027-06-30".into(),
                obligations: vec![],
            })
            .collect(),
        findings: vec![],
        report_sha256: crate::merkle::Hash::from_bytes([7; 32]),
        evidence,
        framework: None,
        self_assessment: None,
    })
}
pub(crate) fn ack(f: &str, d: &Ref, position: Position) -> Record {
    Record::Acknowledgement(Acknowledgement {
        facility: f.into(),
        decision: d.clone(),
        response_sha256: crate::merkle::Hash::from_bytes([8; 32]),
        position,
    })
}

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
            let _ = crate::bundle::read_manifest(&noise);

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

/// The reference to the logged entry `index` of the World's log.
pub(crate) fn entry_ref(w: &World, index: u64) -> Ref {
    Ref {
        index,
        sha256: crate::merkle::Hash::from_bytes(sha256(&w.log[index as usize])),
    }
}

/// A decision an honest User CIO would sign for facility `f` now: citing
/// the framework in force (if any) with a finding per applicable obligation
/// consistent with the outcome (the first applicable one not met unless
/// approved, and named by step S1 when approved subject to steps), and, for
/// a USSA, reviewing the self-assessment that awaits review.
pub(crate) fn honest_decision(
    w: &World,
    f: &str,
    a: Assessment,
    o: Outcome,
    evidence: Vec<Ref>,
) -> Record {
    let fw = w.state.framework_in_force();
    let first = fw.and_then(|(_, x)| x.applicable().next().map(|o| o.id.clone()));
    let findings = fw
        .map(|(_, x)| {
            x.applicable()
                .enumerate()
                .map(|(i, ob)| Finding {
                    obligation: ob.id.clone(),
                    result: if i == 0 && o != Outcome::Approved {
                        FindingResult::NotMet
                    } else {
                        FindingResult::Met
                    },
                    note: "seen".into(),
                })
                .collect()
        })
        .unwrap_or_default();
    let steps = if o == Outcome::ApprovedWithSteps {
        vec![Step {
            id: "S1".into(),
            description: "do".into(),
            due: "2027-06-30".into(),
            obligations: first.into_iter().collect(),
        }]
    } else {
        vec![]
    };
    let self_assessment = (a == Assessment::Ussa)
        .then(|| {
            w.state
                .facilities()
                .get(f)
                .and_then(|x| x.pending_self_assessment)
                .map(|i| entry_ref(w, i))
        })
        .flatten();
    // A USSA with nothing to review still needs the field to be well-formed;
    // point it at entry 0 so the lifecycle rule, not the record, refuses it.
    let self_assessment = match (a, self_assessment) {
        (Assessment::Ussa, None) => Some(entry_ref(w, 0)),
        (_, s) => s,
    };
    Record::Decision(Decision {
        facility: f.into(),
        assessment: a,
        outcome: o,
        steps,
        findings,
        report_sha256: crate::merkle::Hash::from_bytes([7; 32]),
        evidence,
        framework: w.state.framework_in_force_ref().map(|(r, _)| r),
        self_assessment,
    })
}

/// A self-assessment an honest operator would sign for `f` now.
pub(crate) fn honest_self_assessment(w: &World, f: &str, evidence: Vec<Ref>) -> Record {
    let fw = w.state.framework_in_force();
    Record::SelfAssessment(SelfAssessment {
        facility: f.into(),
        findings: fw
            .map(|(_, x)| {
                x.applicable()
                    .map(|ob| Finding {
                        obligation: ob.id.clone(),
                        result: FindingResult::Met,
                        note: "self-assessed".into(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        report_sha256: crate::merkle::Hash::from_bytes([6; 32]),
        evidence,
        framework: w.state.framework_in_force_ref().map(|(r, _)| r),
    })
}

/// A framework version with obligations G1..G<n> (the last does not apply).
pub(crate) fn framework(version: &str, n: usize) -> Record {
    Record::Framework(Framework {
        version: version.into(),
        title: "SCF".into(),
        obligations: (1..=n.max(2))
            .map(|i| {
                let applies = i < n.max(2);
                Obligation {
                    id: format!("G{i}"),
                    title: format!("obligation {i}"),
                    applies,
                    reason: (!applies).then(|| "not for triage".into()),
                    evidence: if applies {
                        vec!["records".into()]
                    } else {
                        vec![]
                    },
                }
            })
            .collect(),
    })
}
