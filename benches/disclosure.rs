//! Selective disclosure of 10 items out of 100,000: the proof's size, and
//! the time to verify it against the seal's root (and to make it from the
//! manifest file).
//!
//! Run: `cargo bench --bench disclosure`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use triage_ledger::bundle::{check_disclosure, disclose, Disclosure, Item, ManifestWriter, Sealed};

const N: u64 = 100_000;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("manifest.cbor");
    let mut w = ManifestWriter::create(&m).unwrap();
    let mut paths = Vec::new();
    for i in 0..N {
        let path = format!("logs/{:03}/reset-{i:06}.log", i / 1000);
        let d = (i as u32).to_be_bytes();
        let mut h = [7u8; 32];
        h[..4].copy_from_slice(&d);
        w.push(&Item {
            path: path.clone(),
            size: 53_248,
            sha256: triage_ledger::merkle::Hash::from_bytes(h),
            blake3: triage_ledger::merkle::Hash::from_bytes(h),
            salt: h[..16].to_vec(),
        })
        .unwrap();
        // Ten items spread over the bundle.
        if i % (N / 10) == 1234 {
            paths.push(path);
        }
    }
    let (root, manifest_sha256) = w.finish().unwrap();
    let sealed = Sealed {
        root: *root.hash(),
        items: N,
        manifest_sha256,
    };
    assert_eq!(paths.len(), 10);
    let d = disclose(&m, &paths).unwrap();
    let bytes = d.to_bytes().unwrap();
    println!(
        "disclosure of {} of {N} items: {} proof hashes, {} bytes in all ({:.1} KiB)",
        d.items.len(),
        d.proof.len(),
        bytes.len(),
        bytes.len() as f64 / 1024.0
    );
    assert!(bytes.len() < 20 * 1024);
    let mut g = c.benchmark_group("disclosure 10 of 100k");
    g.bench_function("verify: parse + multi-proof to the sealed root", |b| {
        b.iter(|| {
            let d = Disclosure::parse(black_box(&bytes)).unwrap();
            black_box(check_disclosure(&d, &sealed).unwrap())
        })
    });
    g.sample_size(10);
    g.bench_function("make: stream the manifest, build the proof", |b| {
        b.iter(|| black_box(disclose(&m, &paths).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
