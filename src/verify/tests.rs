//! Packs: an honest pack verifies; damage to each part fails the check that
//! names it.

use super::*;
use crate::policy::tests::{cio, decision, op, reg, seal, World};
use crate::record::{Assessment, Outcome};

const T: u64 = 1_790_000_000;

fn ledger_with_story() -> (tempfile::TempDir, std::path::PathBuf, World) {
    let mut w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    crate::store::init(&ledger, "example.org/packs").unwrap();
    crate::store::install_trust_root(&ledger, w.root.cert.to_pem().as_bytes()).unwrap();
    w.by(op, reg("TF-1")).unwrap();
    w.by(op, reg("TF-2")).unwrap();
    let s = w.by(op, seal("TF-1", 1)).unwrap();
    w.by(
        cio,
        decision("TF-1", Assessment::Fusa, Outcome::Approved, &[], vec![s]),
    )
    .unwrap();
    let batch: Vec<(String, Vec<u8>)> = w
        .log
        .iter()
        .enumerate()
        .map(|(i, b)| (format!("s{i}"), b.clone()))
        .collect();
    crate::policy::submit(&ledger, &batch, T + 100, 300).unwrap();
    (dir, ledger, w)
}

fn trust(ledger: &std::path::Path, w: &World) -> Trust {
    Trust {
        root: w.root.cert.clone(),
        log: Ledger::open(ledger).unwrap().vkey().clone(),
    }
}

#[test]
fn an_honest_pack_verifies_and_says_what_it_did_not_check() {
    let (_d, ledger, w) = ledger_with_story();
    let pack = make_pack(&ledger, &Selection::Facility("TF-1".into()), T + 200).unwrap();
    assert_eq!(
        pack.statements.len(),
        3,
        "TF-1's registration, seal and decision"
    );
    let bytes = pack.to_bytes().unwrap();
    let back = Pack::parse(&bytes).unwrap();
    let report = verify_pack(&back, &trust(&ledger, &w));
    assert!(report.verified(), "{}", report.to_text());
    assert_eq!(report.checks.len(), 1 + 2 * 3);
    assert!(report.not_checked.iter().any(|n| n.contains("witness")));
    // --entry: the decision and the history it rests on.
    let p = make_pack(&ledger, &Selection::Entries(vec![3]), T + 200).unwrap();
    assert!(verify_pack(&p, &trust(&ledger, &w)).verified());
}

#[test]
fn damage_fails_the_check_that_names_it() {
    let (_d, ledger, w) = ledger_with_story();
    let pack = make_pack(&ledger, &Selection::Facility("TF-1".into()), T + 200).unwrap();
    let t = trust(&ledger, &w);
    let failed = |p: &Pack, t: &Trust| -> Vec<String> {
        verify_pack(p, t)
            .checks
            .into_iter()
            .filter(|c| !c.passed)
            .map(|c| c.name)
            .collect()
    };
    // A changed checkpoint.
    let mut p = pack.clone();
    p.checkpoint[25] ^= 1;
    assert_eq!(failed(&p, &t)[0], "checkpoint");
    // Another log key.
    let other =
        crate::note::SignerKey::generate("example.org/packs", crate::note::SigType::Ed25519)
            .unwrap();
    let t2 = Trust {
        root: t.root.clone(),
        log: other.verifier(),
    };
    assert!(failed(&pack, &t2).contains(&"checkpoint".to_string()));
    // Another scheme root: every statement's signer fails.
    let w2 = World::new();
    let t3 = Trust {
        root: w2.root.cert.clone(),
        log: t.log.clone(),
    };
    assert_eq!(failed(&pack, &t3).len(), 3);
    // A byte of a statement's signature (the last bytes before the receipt
    // array are not it; flip inside the statement, then its receipt fails too).
    let mut p = pack.clone();
    let (st, _) = crate::cose::split_transparent(&p.statements[2]).unwrap();
    let sig_at = p.statements[2]
        .windows(8)
        .position(|w| w == &st.message().signature()[..8])
        .unwrap();
    p.statements[2][sig_at + 3] ^= 1;
    let f = failed(&p, &t);
    assert!(
        f.iter().any(|n| n.starts_with("entry 3: decision")),
        "{f:?}"
    );
    // A dropped statement: the decision's evidence no longer resolves.
    let mut p = pack.clone();
    p.statements.remove(1);
    let f = failed(&p, &t);
    assert!(f.iter().any(|n| n.starts_with("entry 3")), "{f:?}");
    // Not a pack at all.
    assert!(Pack::parse(b"garbage").is_err());
}
