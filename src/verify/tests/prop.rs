//! Honest packs of random lifecycles verify: a random sequence of actions by
//! the parties, each submitted only if the policy admits it (an honest party
//! does not sign what the scheme forbids), then a pack per facility.

use super::*;
use crate::policy::tests::ssc;
use crate::record::*;
use proptest::prelude::*;

#[derive(Default)]
struct Refs {
    seals: Vec<(usize, Ref)>,
    decisions: Vec<(usize, Ref)>,
    completions: Vec<(usize, Ref)>,
    disputes: Vec<(usize, Ref)>,
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

fn act(w: &mut World, refs: &mut Refs, (action, fi, p): (u8, usize, u8)) {
    let fac = FACILITIES[fi].to_string();
    let f = fac.clone();
    let record = match action {
        0 => reg(&f),
        1 => seal(&f, p),
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
            let steps: &[&str] = if o == Outcome::ApprovedWithSteps {
                &["S1"]
            } else {
                &[]
            };
            let ev: Vec<Ref> = last(&refs.seals, fi).into_iter().collect();
            for k in 0..3 {
                let a = ASSESSMENTS[((p as usize) + k) % 3];
                if let Ok(r) = w.by(cio, decision(&f, a, o, steps, ev.clone())) {
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
        _ => match last(&refs.disputes, fi) {
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
    };
    let who = match record.kind().signer() {
        Some(crate::identity::Role::Operator) => op,
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn honest_packs_of_random_lifecycles_verify(
        actions in proptest::collection::vec((0u8..9, 0usize..3, any::<u8>()), 10..90),
        pick in any::<proptest::sample::Index>(),
    ) {
        let mut w = World::new();
        let mut refs = Refs::default();
        w.by(op, reg("TF-A")).unwrap();
        for a in actions {
            act(&mut w, &mut refs, a);
        }
        let size = w.log.len();
        let f = Fixture::new(w);
        let t = f.trust();
        for fac in FACILITIES {
            let Ok(pack) = make_pack(&f.ledger, &Selection::Facility(fac.into()), T + 200, Some(1)) else {
                continue;
            };
            let r = verify_pack(&Pack::parse(&pack.to_bytes().unwrap()).unwrap(), &t, None);
            prop_assert!(r.verified(), "{fac}: {}", r.to_text());
        }
        let entry = pick.index(size) as u64;
        let pack = f.pack(Selection::Entries(vec![entry]), None);
        let r = verify_pack(&pack, &t, None);
        prop_assert!(r.verified(), "entry {entry}: {}", r.to_text());
    }
}
