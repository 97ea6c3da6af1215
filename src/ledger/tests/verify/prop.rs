//! Honest packs of random lifecycles verify: a random sequence of actions by
//! the parties — registrations by two operator parties, tool inventories,
//! seals (addressing the framework in force), countersignatures, decisions
//! with findings, acknowledgements, self-assessments, steps, determinations,
//! disputes, resolutions, framework versions and transfers — each submitted
//! only if the policy admits it (an honest party does not sign what the
//! scheme forbids), then a pack per facility.

use super::*;
use crate::policy::testing::{
    ack, framework, honest_decision, honest_self_assessment, rival, ssc, Signer, OP_PARTY,
};
use crate::record::*;
use proptest::prelude::*;

#[derive(Default)]
struct Refs {
    seals: Vec<(usize, Ref)>,
    decisions: Vec<(usize, Ref)>,
    completions: Vec<(usize, Ref)>,
    disputes: Vec<(usize, Ref)>,
    versions: u32,
}

fn last(v: &[(usize, Ref)], f: usize) -> Option<Ref> {
    v.iter()
        .rev()
        .find(|(g, _)| *g == f)
        .map(|(_, r)| r.clone())
}

const FACILITIES: [&str; 3] = ["TF-A", "TF-B", "TF-C"];
const ASSESSMENTS: [Assessment; 3] = [Assessment::Fusa, Assessment::Vusa, Assessment::Ussa];
const OUTCOMES: [Outcome; 3] = [
    Outcome::Approved,
    Outcome::Rejected,
    Outcome::ApprovedWithSteps,
];

/// The operator that honestly acts for facility `f`: its owner's (or, for a
/// facility not yet registered, either party's, by `p`).
fn owner(w: &World, f: &str, p: u8) -> fn(&World) -> &Signer {
    match w.state.facilities().get(f).map(|x| x.party.as_str()) {
        Some(OP_PARTY) => op,
        Some(_) => rival,
        None if p.is_multiple_of(4) => rival,
        None => op,
    }
}

/// Moves facility `fi` one step along its lifecycle: the first of
/// acknowledging, completing or accepting a step, resolving a dispute,
/// determining, self-assessing and deciding that the policy admits.
fn advance(w: &mut World, refs: &mut Refs, fi: usize, p: u8) {
    for action in [9, 4, 5, 8, 6, 10, 3, 0] {
        let before = w.log.len();
        act(w, refs, (action, fi, p));
        if w.log.len() > before {
            return;
        }
    }
}

/// One action: 0..=13 as below, 14.. advance a facility's lifecycle.
fn act(w: &mut World, refs: &mut Refs, (action, fi, p): (u8, usize, u8)) {
    if action == 23 {
        // The log commits here (as `submit` does after each batch).
        return w.commit();
    }
    if action >= 14 {
        return advance(w, refs, fi, p);
    }
    let fac = FACILITIES[fi].to_string();
    let f = fac.clone();
    let framework_ref = w
        .state
        .framework_in_force()
        .map(|(i, _)| crate::policy::testing::entry_ref(w, i));
    let record = match action {
        0 => reg(&f),
        1 => {
            let Record::Seal(mut s) = seal(&f, p) else {
                return;
            };
            if let (Some(fw), Some((_, x))) = (&framework_ref, w.state.framework_in_force()) {
                if p % 2 == 0 {
                    s.addresses = x.applicable().next().map(|o| Addresses {
                        framework: fw.clone(),
                        obligations: vec![o.id.clone()],
                    });
                }
            }
            Record::Seal(s)
        }
        2 => match last(&refs.seals, fi) {
            Some(s) => Record::Countersignature(Countersignature {
                facility: f,
                seal: s,
                note: "seen".into(),
            }),
            None => return,
        },
        3 => {
            // An honest assessor assesses what is due: try the categories
            // in turn, starting from a random one.
            let o = OUTCOMES[(p / 3 % 3) as usize];
            let ev: Vec<Ref> = last(&refs.seals, fi).into_iter().collect();
            for k in 0..3 {
                let a = ASSESSMENTS[((p as usize) + k) % 3];
                if let Ok(r) = w.by(cio, honest_decision(w, &f, a, o, ev.clone())) {
                    refs.decisions.push((fi, r));
                    return;
                }
            }
            return;
        }
        4 => match last(&refs.decisions, fi) {
            Some(d) => Record::StepCompletion(StepCompletion {
                facility: f,
                decision: d,
                step: "S1".into(),
                evidence: vec![],
            }),
            None => return,
        },
        5 => match last(&refs.completions, fi) {
            Some(c) => Record::StepAcceptance(StepAcceptance {
                facility: f,
                completion: c,
            }),
            None => return,
        },
        6 => match last(&refs.decisions, fi) {
            Some(d) => Record::Determination(Determination {
                facility: f,
                decision: d,
                next: ASSESSMENTS[(p % 3) as usize],
                due: "2028-01-01".into(),
            }),
            None => return,
        },
        7 => match last(&refs.decisions, fi) {
            Some(d) => Record::Dispute(Dispute {
                facility: f,
                decision: d,
                grounds: "we disagree".into(),
            }),
            None => return,
        },
        8 => match last(&refs.disputes, fi) {
            Some(d) => Record::Resolution(DisputeResolution {
                facility: f,
                dispute: d,
                resolution: if p % 2 == 0 {
                    Resolution::Upheld
                } else {
                    Resolution::Dismissed
                },
                new_assessment: p % 3 == 0,
                reason: "considered".into(),
            }),
            None => return,
        },
        9 => match last(&refs.decisions, fi) {
            Some(d) => {
                let position = if p % 3 == 0 {
                    Position::Disputed
                } else {
                    Position::Accepted
                };
                ack(&f, &d, position)
            }
            None => return,
        },
        10 => honest_self_assessment(w, &f, last(&refs.seals, fi).into_iter().collect()),
        11 => Record::ToolInventory(ToolInventory {
            facility: f,
            tools: vec![Tool {
                make: "M".into(),
                model: "X".into(),
                serial: format!("S-{p}"),
                firmware_sha256: crate::merkle::Hash::from_bytes([p; 32]),
                cpa_certificate: "CPA-1".into(),
                cpa_expires: "2028-01-31".into(),
            }],
            interfaces: vec![],
        }),
        12 if p % 3 != 0 => return,
        12 => {
            refs.versions += 1;
            framework(&format!("v{}", refs.versions), 2 + (p % 4) as usize)
        }
        _ if p % 2 != 0 => return,
        _ => {
            let owned_by_op = w
                .state
                .facilities()
                .get(&f)
                .is_some_and(|x| x.party == OP_PARTY);
            let to = if owned_by_op {
                crate::policy::testing::RIVAL_PARTY
            } else {
                OP_PARTY
            };
            Record::Transfer(Transfer {
                facility: f,
                to_party: to.into(),
                reason: "sold".into(),
            })
        }
    };
    let who = match record.kind().signer() {
        Some(crate::identity::Role::Operator) => owner(w, &fac, p),
        Some(crate::identity::Role::UserCio) => cio,
        _ => ssc,
    };
    let kind = record.kind();
    if let Ok(r) = w.by(who, record) {
        let list = match kind {
            Kind::Seal => &mut refs.seals,
            Kind::Decision => &mut refs.decisions,
            Kind::StepCompletion => &mut refs.completions,
            Kind::Dispute => &mut refs.disputes,
            _ => return,
        };
        list.push((fi, r));
    }
}

/// Names of the failed checks.
fn failing(p: &Pack, t: &Trust) -> Vec<String> {
    failed(p, t, None)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn honest_packs_of_random_lifecycles_verify_as_complete(
        actions in proptest::collection::vec((0u8..24, 0usize..3, any::<u8>()), 10..120),
        pick in any::<proptest::sample::Index>(),
    ) {
        let mut w = World::new();
        let mut refs = Refs::default();
        w.by(op, reg("TF-A")).unwrap();
        // A revoked key, so every pack holds a revocation to leave out.
        let gone = crate::policy::testing::role_signer(
            &w.root, crate::identity::Role::Operator, "Gone", Some(OP_PARTY));
        w.by(crate::policy::testing::root, Record::Revocation(Revocation {
            certificate_sha256: crate::merkle::Hash::from_bytes(gone.cert.fingerprint()),
            reason: "lost".into(),
        })).unwrap();
        for a in actions {
            act(&mut w, &mut refs, a);
        }
        let mut f = Fixture::new(w);
        let size = f.world.log.len();
        let t = f.trust();
        for fac in FACILITIES {
            let Ok(pack) = make_pack(&f.ledger, &Selection::Facility(fac.into()), T + 200, Some(1)) else {
                continue;
            };
            let r = verify_pack(&Pack::parse(&pack.to_bytes().unwrap()).unwrap(), &t, None);
            prop_assert!(r.verified(), "{fac}: {}", r.to_text());
            prop_assert!(r.checks.iter().any(|c| c.name == "complete" && c.passed), "{}", r.to_text());
        }
        // Every single omission, duplication and swap of TF-A's pack fails
        // a history check (or, for a swap, the order of receipts).
        let pack = f.pack(Selection::Facility("TF-A".into()), None);
        let n = pack.statements.len();
        for k in 0..n {
            let mut p = pack.clone();
            p.statements.remove(k);
            let fl = failing(&p, &t);
            prop_assert!(fl.iter().any(|c| c.starts_with("history: ")), "omit {k}: {fl:?}");
            let mut p = pack.clone();
            p.statements.insert(k, pack.statements[k].clone());
            let fl = failing(&p, &t);
            prop_assert!(fl.iter().any(|c| c.starts_with("history: ")), "duplicate {k}: {fl:?}");
            if k + 1 < n {
                let mut p = pack.clone();
                p.statements.swap(k, k + 1);
                let fl = failing(&p, &t);
                prop_assert!(fl.iter().any(|c| c == "history: order"), "swap {k}: {fl:?}");
            }
        }
        let entry = pick.index(size) as u64;
        if !crate::history::is_index_entry(&f.world.log[entry as usize]) {
            let pack = f.pack(Selection::Entries(vec![entry]), None);
            let r = verify_pack(&pack, &t, None);
            prop_assert!(r.verified(), "entry {entry}: {}", r.to_text());
        }
        // A statement of TF-A from a later tree is not in the committed list.
        let who = owner(&f.world, "TF-A", 1);
        // A root no generated seal has (theirs are one byte repeated), so
        // it is never a repeat of one of the random lifecycle's.
        let Record::Seal(mut extra) = seal("TF-A", 250) else {
            unreachable!("seal() makes a seal")
        };
        let mut root = [250u8; 32];
        root[0] = 1;
        extra.root = crate::merkle::Hash::from_bytes(root);
        f.world.by(who, Record::Seal(extra)).unwrap();
        f.submit_all();
        let later = f.pack(Selection::Facility("TF-A".into()), None);
        let mut p = pack.clone();
        let extra = later.statements.last().unwrap().clone();
        p.statements.push(extra);
        let fl = failing(&p, &t);
        prop_assert!(fl.iter().any(|c| c == "history: facility TF-A"), "insert: {fl:?}");
    }
}
