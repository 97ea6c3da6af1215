//! `submit` of 10,000 valid statements in one batch against the raw Ed25519
//! verification rate of ed25519-dalek, in the same run; into a public and a
//! confidential ledger, side by side.
//!
//! Run: `cargo bench --bench submit`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ed25519_dalek::{Signer as _, SigningKey};
use triage_ledger::identity::{generate_key, issue_role, issue_root, Role, Validity};
use triage_ledger::policy::{self, Config, State};
use triage_ledger::record::{Record, Registration, Seal};

const N: usize = 10_000;
const T: u64 = 1_790_000_000;

fn statements() -> (Config, Vec<Vec<u8>>) {
    let v = Validity {
        not_before: T as i64 - 1000,
        not_after: T as i64 + 10_000_000,
    };
    let rk = generate_key();
    let root = issue_root("Root", "Scheme", &rk, v).unwrap();
    let ok = generate_key();
    let op = issue_role(
        "Operator",
        "Triage Ltd",
        "NTRGB-00000001",
        Role::Operator,
        &ok.verifying_key(),
        &root,
        &rk,
        v,
    )
    .unwrap();
    let mut out = Vec::with_capacity(N);
    let reg = Record::Registration(Registration {
        facility: "TF-1".into(),
        name: "N".into(),
        site: "S".into(),
    });
    out.push(
        policy::sign_statement(&reg, &ok, &op, T)
            .unwrap()
            .bytes()
            .to_vec(),
    );
    for i in 1..N {
        let mut root_hash = [0u8; 32];
        root_hash[..8].copy_from_slice(&(i as u64).to_be_bytes());
        let seal = Record::Seal(Seal {
            facility: "TF-1".into(),
            description: format!("bundle {i}"),
            root: triage_ledger::merkle::Hash::from_bytes(root_hash),
            items: 3,
            manifest_sha256: triage_ledger::merkle::Hash::from_bytes(root_hash),
            addresses: None,
        });
        out.push(
            policy::sign_statement(&seal, &ok, &op, T)
                .unwrap()
                .bytes()
                .to_vec(),
        );
    }
    (
        Config {
            root,
            now: T + 100,
            skew: 300,
            max_age: policy::DEFAULT_MAX_AGE,
        },
        out,
    )
}

fn bench(c: &mut Criterion) {
    let (cfg, sts) = statements();
    let mut g = c.benchmark_group("10k statements");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));

    // The physical limit: one signature check per statement.
    let key = SigningKey::from_bytes(&[7; 32]);
    let vk = key.verifying_key();
    let msgs: Vec<(Vec<u8>, ed25519_dalek::Signature)> = (0..N)
        .map(|i| {
            let m = format!(
                "message {i} of about the size of a statement's to-be-signed bytes, padded"
            )
            .into_bytes();
            let s = key.sign(&m);
            (m, s)
        })
        .collect();
    g.bench_function("raw ed25519-dalek verify_strict", |b| {
        b.iter(|| {
            for (m, s) in &msgs {
                vk.verify_strict(m, s).unwrap();
            }
        })
    });
    g.bench_function("raw ed25519-dalek verify", |b| {
        b.iter(|| {
            for (m, s) in &msgs {
                ed25519_dalek::Verifier::verify(&vk, m, s).unwrap();
            }
        })
    });
    let refs: Vec<&[u8]> = sts.iter().map(|s| s.as_slice()).collect();
    g.bench_function("policy: admit_batch in memory", |b| {
        b.iter(|| black_box(State::new().admit_batch(&refs, &cfg).unwrap()))
    });
    let batch: Vec<(String, Vec<u8>)> = sts
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("s{i}"), s.clone()))
        .collect();
    let base = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-submit");
    let _ = std::fs::remove_dir_all(&base);
    let mut run = 0;
    g.bench_function("submit: one batch into a new ledger (durable)", |b| {
        b.iter_batched(
            || {
                run += 1;
                let l = base.join(format!("l{run}"));
                triage_ledger::store::init(&l, "bench.example/submit").unwrap();
                triage_ledger::store::install_trust_root(&l, cfg.root.to_pem().as_bytes()).unwrap();
                l
            },
            |l| {
                black_box(
                    triage_ledger::ledger::Ledger::open(&l)
                        .unwrap()
                        .submit(&batch, cfg.now, cfg.skew)
                        .unwrap(),
                )
            },
            BatchSize::PerIteration,
        )
    });
    // Side by side (issue 25): the same batch into a new confidential
    // ledger (each statement logged as a commitment, its opening kept).
    g.bench_function(
        "submit: one batch into a new confidential ledger (durable)",
        |b| {
            b.iter_batched(
                || {
                    run += 1;
                    let l = base.join(format!("l{run}"));
                    triage_ledger::store::init(&l, "bench.example/submit").unwrap();
                    triage_ledger::store::install_trust_root(&l, cfg.root.to_pem().as_bytes())
                        .unwrap();
                    triage_ledger::store::confidential::make_confidential(
                        &l,
                        "bench.example/submit",
                    )
                    .unwrap();
                    l
                },
                |l| {
                    black_box(
                        triage_ledger::ledger::Ledger::open(&l)
                            .unwrap()
                            .submit(&batch, cfg.now, cfg.skew)
                            .unwrap(),
                    )
                },
                BatchSize::PerIteration,
            )
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
