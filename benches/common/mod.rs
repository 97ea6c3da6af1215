//! The signed statements and ledgers the benches share: statement `i` is
//! the registration of facility `i` (the first 10,000) or a seal of facility
//! `i mod 10,000`, all signed by one operator; a ledger of `entries`
//! statements is written in commits of 10,000 with the index entries
//! `submit` writes.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use ed25519_dalek::SigningKey;
use triage_ledger::history::{attribution_of, History};
use triage_ledger::identity::{generate_key, issue_role, issue_root, Certificate, Role, Validity};
use triage_ledger::policy;
use triage_ledger::record::{Record, Registration, Seal};
use triage_ledger::store::Writer;

pub const FACILITIES: u64 = 10_000;
pub const BATCH: u64 = 10_000;
pub const T: u64 = 1_790_000_000;

pub fn facility(i: u64) -> String {
    format!("TF-{:05}", i % FACILITIES)
}

pub fn record(i: u64) -> Record {
    if i < FACILITIES {
        return Record::Registration(Registration {
            facility: facility(i),
            name: format!("Facility {i}"),
            site: "Site".into(),
        });
    }
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&i.to_be_bytes());
    Record::Seal(Seal {
        facility: facility(i),
        description: format!("bundle {i}"),
        root: triage_ledger::merkle::Hash::from_bytes(h),
        items: 3,
        manifest_sha256: triage_ledger::merkle::Hash::from_bytes(h),
        addresses: None,
    })
}

/// Signs statements `range` on two threads.
pub fn sign(range: std::ops::Range<u64>, key: &SigningKey, cert: &Certificate) -> Vec<Vec<u8>> {
    sign_at(range, key, cert, T)
}

/// [`sign`], issued at `iat`.
pub fn sign_at(
    range: std::ops::Range<u64>,
    key: &SigningKey,
    cert: &Certificate,
    iat: u64,
) -> Vec<Vec<u8>> {
    let mid = range.start + (range.end - range.start) / 2;
    let half = |r: std::ops::Range<u64>| -> Vec<Vec<u8>> {
        r.map(|i| {
            policy::sign_statement(&record(i), key, cert, iat)
                .unwrap()
                .bytes()
                .to_vec()
        })
        .collect()
    };
    std::thread::scope(|s| {
        let a = s.spawn(|| half(range.start..mid));
        let mut b = half(mid..range.end);
        let mut a = a.join().unwrap();
        a.append(&mut b);
        a
    })
}

pub struct Identities {
    pub key: SigningKey,
    pub cert: Certificate,
}

/// The ledger, built once: key and certificate come from its own files.
pub fn ledger(dir: &Path, entries: u64) -> (PathBuf, Identities) {
    ledger_of(dir, entries, false)
}

/// [`ledger`], confidential if asked: its statements logged as commitment
/// leaves (openings in its private part), its index naming facilities by
/// their VRF labels.
#[allow(dead_code)] // each bench uses part of this module
pub fn ledger_of(dir: &Path, entries: u64, confidential: bool) -> (PathBuf, Identities) {
    let l = dir.join("ledger");
    let id_file = dir.join("operator.key");
    if dir.join("complete").exists() {
        let key = SigningKey::from_bytes(&std::fs::read(&id_file).unwrap().try_into().unwrap());
        let cert =
            Certificate::from_pem(&std::fs::read(dir.join("operator.pem")).unwrap()).unwrap();
        return (l, Identities { key, cert });
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let v = Validity {
        not_before: T as i64 - 1000,
        not_after: T as i64 + 10_000_000,
    };
    let rk = generate_key();
    let root = issue_root("Root", "Scheme", &rk, v).unwrap();
    let key = generate_key();
    let cert = issue_role(
        "Operator",
        "Triage Ltd",
        "NTRGB-00000001",
        Role::Operator,
        &key.verifying_key(),
        &root,
        &rk,
        v,
    )
    .unwrap();
    triage_ledger::store::init(&l, "bench.example/history").unwrap();
    triage_ledger::store::install_trust_root(&l, root.to_pem().as_bytes()).unwrap();
    let naming = match confidential {
        true => {
            triage_ledger::store::confidential::make_confidential(&l, "bench.example/history")
                .unwrap();
            let layout = triage_ledger::store::Layout::new(&l);
            let secret = triage_ledger::store::confidential::read_label_secret(&layout).unwrap();
            triage_ledger::history::Naming::labels(secret)
        }
        false => triage_ledger::history::Naming::Ids,
    };
    let started = Instant::now();
    let mut h = History::new();
    let mut w = Writer::open(&l).unwrap();
    for b in 0..entries / BATCH {
        for st in sign(b * BATCH..(b + 1) * BATCH, &key, &cert) {
            let pos = w.append(&st).unwrap();
            h.push_statement(pos, naming.rename(attribution_of(&st)));
            if h.chunk_full() {
                let (at, e) = h.next_entry(false).unwrap();
                assert_eq!(w.append(&e).unwrap(), at);
            }
        }
        for (at, e) in h.commit_entries().unwrap() {
            assert_eq!(w.append(&e).unwrap(), at);
        }
        w.commit().unwrap();
        eprint!("\rbuilt {} statements", (b + 1) * BATCH);
    }
    eprintln!(" in {:.0?}", started.elapsed());
    std::fs::write(&id_file, key.to_bytes()).unwrap();
    std::fs::write(dir.join("operator.pem"), cert.to_pem()).unwrap();
    std::fs::write(dir.join("complete"), b"").unwrap();
    (l, Identities { key, cert })
}
