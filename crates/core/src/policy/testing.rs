//! The tests' fixtures: a scheme's signers (root, operator, User CIO, SSC
//! and a rival operator), a [`World`] that signs and admits their records
//! as the ledger would, and honest records to admit. For this crate's tests
//! and, with feature `testing`, the main crate's.

#![allow(missing_docs)]

use super::*;
use crate::cose::StatementHeader;
use crate::identity::{generate_key, issue_root, Role, Validity};
use crate::record::*;
use ed25519_dalek::SigningKey;

pub const T: u64 = 1_790_000_000;

thread_local! {
    /// The refusal codes `World::admit` met on this thread.
    pub static REACHED: std::cell::RefCell<std::collections::BTreeSet<&'static str>> =
        Default::default();
}

pub struct Signer {
    pub key: SigningKey,
    pub cert: Certificate,
}

pub struct World {
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

pub const OP_PARTY: &str = "NTRGB-OP";
pub const CIO_PARTY: &str = "NTRGB-CIO";
pub const SSC_PARTY: &str = "SSC-GB";
pub const RIVAL_PARTY: &str = "NTRGB-RIVAL";

pub fn validity() -> Validity {
    Validity {
        not_before: T as i64 - 1000,
        not_after: T as i64 + 10_000_000,
    }
}

pub fn role_signer(root: &Signer, role: Role, name: &str, party: Option<&str>) -> Signer {
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

pub fn designation(role: DesignatedRole, party: &str) -> Record {
    Record::Designation(Designation {
        role,
        party: party.into(),
        note: "appointed".into(),
    })
}

#[allow(clippy::new_without_default)]
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

pub fn op(w: &World) -> &Signer {
    &w.op
}
pub fn cio(w: &World) -> &Signer {
    &w.cio
}
pub fn ssc(w: &World) -> &Signer {
    &w.ssc
}
pub fn root(w: &World) -> &Signer {
    &w.root
}
pub fn rival(w: &World) -> &Signer {
    &w.rival
}

pub fn reg(f: &str) -> Record {
    Record::Registration(Registration {
        facility: f.into(),
        name: "N".into(),
        site: "S".into(),
    })
}
pub fn seal(f: &str, n: u8) -> Record {
    Record::Seal(Seal {
        facility: f.into(),
        description: "d".into(),
        root: crate::merkle::Hash::from_bytes([n; 32]),
        items: 1,
        manifest_sha256: crate::merkle::Hash::from_bytes([n; 32]),
        addresses: None,
    })
}
pub fn decision(f: &str, a: Assessment, o: Outcome, steps: &[&str], evidence: Vec<Ref>) -> Record {
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
pub fn ack(f: &str, d: &Ref, position: Position) -> Record {
    Record::Acknowledgement(Acknowledgement {
        facility: f.into(),
        decision: d.clone(),
        response_sha256: crate::merkle::Hash::from_bytes([8; 32]),
        position,
    })
}

/// The reference to the logged entry `index` of the World's log.
pub fn entry_ref(w: &World, index: u64) -> Ref {
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
pub fn honest_decision(
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
pub fn honest_self_assessment(w: &World, f: &str, evidence: Vec<Ref>) -> Record {
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
pub fn framework(version: &str, n: usize) -> Record {
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

/// A tool inventory of one tool with this serial.
pub fn inventory(f: &str, serial: &str) -> Record {
    Record::ToolInventory(ToolInventory {
        facility: f.into(),
        tools: vec![Tool {
            make: "M".into(),
            model: "X".into(),
            serial: serial.into(),
            firmware_sha256: crate::merkle::Hash::from_bytes([3; 32]),
            cpa_certificate: "CPA-1".into(),
            cpa_expires: "2029-01-01".into(),
        }],
        interfaces: vec![],
    })
}

/// A countersignature of seal `s`.
pub fn countersignature(f: &str, s: &Ref, note: &str) -> Record {
    Record::Countersignature(Countersignature {
        facility: f.into(),
        seal: s.clone(),
        note: note.into(),
    })
}
