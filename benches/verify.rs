//! `verify` of a 200-statement evidence pack against the signature checks it
//! must do, measured in the same run:
//!
//! - "all signature checks": one Ed25519 verification for each of the 200
//!   statement signatures, the 200 receipt signatures, the 199 certificate
//!   chain links (the root's signature over each signer's certificate; the
//!   root signs the User CIO's designation itself), the checkpoint's log
//!   signature and the witness cosignature (601 in all);
//! - "distinct signature checks": the same, counting each distinct signed
//!   message once (receipts against one checkpoint sign the same bytes; two
//!   signers have two certificates): 205.
//!
//! Run: `cargo bench --bench verify`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ed25519_dalek::{Signature, VerifyingKey};
use triage_ledger::cose::{split_transparent, to_be_signed};
use triage_ledger::identity::{generate_key, issue_role, issue_root, Role, Validity};
use triage_ledger::ledger::{Ledger, Selection};
use triage_ledger::note::{Policy, SignedCheckpoint};
use triage_ledger::policy;
use triage_ledger::record::{
    Countersignature, DesignatedRole, Designation, Record, Ref, Registration, Seal,
};
use triage_ledger::verify::{verify_pack, Pack, Trust};
use triage_ledger::witness::{request_for, Witness};

const T: u64 = 1_790_000_000;
const SEALS: usize = 99;

struct Setup {
    _dir: tempfile::TempDir,
    pack: Vec<u8>,
    trust: Trust,
    /// Every signature check the pack needs: (key, message, signature).
    all: Vec<(VerifyingKey, Vec<u8>, Signature)>,
}

fn setup() -> Setup {
    let v = Validity {
        not_before: T as i64 - 1000,
        not_after: T as i64 + 10_000_000,
    };
    let rk = generate_key();
    let root = issue_root("Root", "Scheme", &rk, v).unwrap();
    let role = |name: &str, role: Role| {
        let k = generate_key();
        let c = issue_role(name, "Org", name, role, &k.verifying_key(), &root, &rk, v).unwrap();
        (k, c)
    };
    let (ok, oc) = role("Operator", Role::Operator);
    let (ck, cc) = role("Assessor", Role::UserCio);
    let mut sts: Vec<Vec<u8>> = Vec::new();
    let designation = Record::Designation(Designation {
        role: DesignatedRole::UserCio,
        party: "Assessor".into(),
        note: "appointed".into(),
    });
    sts.push(
        policy::sign_statement(&designation, &rk, &root, T)
            .unwrap()
            .bytes()
            .to_vec(),
    );
    let reg = Record::Registration(Registration {
        facility: "TF-1".into(),
        name: "N".into(),
        site: "S".into(),
    });
    sts.push(
        policy::sign_statement(&reg, &ok, &oc, T)
            .unwrap()
            .bytes()
            .to_vec(),
    );
    for i in 0..SEALS {
        let mut h = [0u8; 32];
        h[..8].copy_from_slice(&(i as u64).to_be_bytes());
        let seal = Record::Seal(Seal {
            facility: "TF-1".into(),
            description: format!("bundle {i}"),
            root: triage_ledger::merkle::Hash::from_bytes(h),
            items: 3,
            manifest_sha256: triage_ledger::merkle::Hash::from_bytes(h),
            addresses: None,
        });
        let s = policy::sign_statement(&seal, &ok, &oc, T)
            .unwrap()
            .bytes()
            .to_vec();
        let r = Ref {
            index: sts.len() as u64,
            sha256: triage_ledger::merkle::Hash::digest(&s),
        };
        sts.push(s);
        if sts.len() < 200 {
            let cs = Record::Countersignature(Countersignature {
                facility: "TF-1".into(),
                seal: r,
                note: "reviewed".into(),
            });
            sts.push(
                policy::sign_statement(&cs, &ck, &cc, T)
                    .unwrap()
                    .bytes()
                    .to_vec(),
            );
        }
    }
    assert_eq!(sts.len(), 200);

    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    let vkey = triage_ledger::store::init(&ledger, "bench.example/verify").unwrap();
    triage_ledger::store::install_trust_root(&ledger, root.to_pem().as_bytes()).unwrap();
    let batch: Vec<(String, Vec<u8>)> = sts
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("s{i}"), s.clone()))
        .collect();
    Ledger::open(&ledger)
        .unwrap()
        .submit(&batch, T + 100, 300)
        .unwrap();
    let wdir = dir.path().join("w");
    Witness::create(&wdir, "bench.example/w1").unwrap();
    let mut w = Witness::open(&wdir).unwrap();
    w.add_log(vkey.clone()).unwrap();
    let l = triage_ledger::store::Snapshot::open(&ledger).unwrap();
    let sig = w.add_checkpoint(&request_for(&l, 0).unwrap(), T).unwrap();
    triage_ledger::store::Writer::open(&ledger)
        .unwrap()
        .attach_cosignatures(&w.vkey(), sig.to_line().as_bytes())
        .unwrap();
    let pack = Ledger::open(&ledger)
        .unwrap()
        .pack(&Selection::Facility("TF-1".into()), T + 200, None)
        .unwrap();
    assert_eq!(pack.statements.len(), 200);
    let policy =
        Policy::parse(format!("log {vkey}\nwitness w1 {}\nquorum w1\n", w.vkey()).as_bytes())
            .unwrap();
    let trust = Trust {
        root: root.clone(),
        policy,
        labels: None,
        rotations: Vec::new(),
        tsas: Vec::new(),
        updates: Vec::new(),
    };

    // The signature checks, laid out for the baseline.
    let mut all = Vec::new();
    let cp = SignedCheckpoint::open(&pack.checkpoint, &vkey).unwrap();
    let body = cp.note().text().as_bytes().to_vec();
    for s in cp.note().signatures() {
        let raw = s.signature();
        if s.name() == vkey.name() {
            all.push((
                *vkey.key(),
                body.clone(),
                Signature::from_slice(raw).unwrap(),
            ));
        } else {
            let ts = u64::from_be_bytes(raw[..8].try_into().unwrap());
            let mut m = format!("cosignature/v1\ntime {ts}\n").into_bytes();
            m.extend_from_slice(&body);
            all.push((
                *w.vkey().key(),
                m,
                Signature::from_slice(&raw[8..]).unwrap(),
            ));
        }
    }
    let root_key = *root.key();
    for t in &pack.statements {
        let split = split_transparent(t).unwrap();
        let (st, receipts) = (split.statement, split.receipts);
        let m = st.message();
        let cert = triage_ledger::identity::Certificate::from_der(&st.header().x5chain[0]).unwrap();
        all.push((
            *cert.key(),
            to_be_signed(m.protected_bytes(), m.payload().unwrap()).unwrap(),
            Signature::from_slice(m.signature()).unwrap(),
        ));
        let rm = receipts[0].message();
        all.push((
            *vkey.key(),
            to_be_signed(rm.protected_bytes(), cp.root().hash().as_bytes()).unwrap(),
            Signature::from_slice(rm.signature()).unwrap(),
        ));
        if cert.der() == root.der() {
            continue; // the root signs its designation itself: no chain link
        }
        let (_, x) = x509_parser::parse_x509_certificate(cert.der()).unwrap();
        all.push((
            root_key,
            x.tbs_certificate.as_ref().to_vec(),
            Signature::from_slice(&x.signature_value.data).unwrap(),
        ));
    }
    assert_eq!(all.len(), 601);
    for (k, m, s) in &all {
        k.verify_strict(m, s).unwrap();
    }
    Setup {
        _dir: dir,
        pack: pack.to_bytes().unwrap(),
        trust,
        all,
    }
}

fn bench(c: &mut Criterion) {
    let s = setup();
    let report = verify_pack(&Pack::parse(&s.pack).unwrap(), &s.trust, None);
    assert!(report.verified(), "{}", report.to_text());
    let mut distinct = s.all.clone();
    distinct
        .sort_by(|a, b| (a.1.as_slice(), a.2.to_bytes()).cmp(&(b.1.as_slice(), b.2.to_bytes())));
    distinct.dedup_by(|a, b| a.1 == b.1 && a.2 == b.2);
    assert_eq!(distinct.len(), 205);

    let mut g = c.benchmark_group("verify a 200-statement pack");
    g.sample_size(30);
    g.bench_function("all signature checks (601, verify_strict)", |b| {
        b.iter(|| {
            for (k, m, sig) in &s.all {
                k.verify_strict(m, sig).unwrap();
            }
        })
    });
    g.bench_function("distinct signature checks (205, verify_strict)", |b| {
        b.iter(|| {
            for (k, m, sig) in &distinct {
                k.verify_strict(m, sig).unwrap();
            }
        })
    });
    g.bench_function("verify: parse the pack + verify_pack", |b| {
        b.iter(|| {
            let p = Pack::parse(black_box(&s.pack)).unwrap();
            let r = verify_pack(&p, &s.trust, None);
            assert!(r.verified());
            black_box(r)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
