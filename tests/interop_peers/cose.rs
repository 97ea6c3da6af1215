//! Signed statements (COSE_Sign1, FORMATS §9), receipts and transparent
//! statements (FORMATS §13).

use super::*;

/// Every statement of the demo (the key from each one's x5chain), then one
/// with the signer's public key given; a changed signature, and a changed
/// protected header (its sub), must fail.
fn peer_verifies_our_statements(probe: fn(&str, &[&str]) -> Run, script: &str, word: &str) {
    let d = public_demo();
    let tmp = scratch();
    let mut files: Vec<String> = std::fs::read_dir(d.join("statements"))
        .unwrap()
        .map(|e| e.unwrap().path().to_str().unwrap().to_string())
        .filter(|p| p.ends_with(".cose"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "{files:?}");
    let all: Vec<&str> = files.iter().map(String::as_str).collect();
    let out = passes(probe(script, &all), script);
    assert_eq!(out.matches(word).count(), files.len(), "{out}");

    let reg = d.join("statements/04-registration.cose");
    let pub_key = repo().join("keys/demo-operator.pub");
    passes(
        probe(script, &["--pub", s(&pub_key), s(&reg)]),
        "with --pub",
    );
    let sig = flip(&reg, &tmp.path().join("sig.cose"), -1);
    refuses(probe(script, &[s(&sig)]), "a changed signature");
    let sub = replace_once(&reg, &tmp.path().join("sub.cose"), b"TF-0001", b"TF-0009");
    refuses(probe(script, &[s(&sub)]), "a changed sub");
    refuses(
        probe(
            script,
            &["--pub", s(&repo().join("keys/demo-ssc.pub")), s(&reg)],
        ),
        "another signer's key",
    );
}

#[test]
fn pycose_verifies_our_statements() {
    peer_verifies_our_statements(py, "pycose_verify_statement.py", "verify_signature with");
}

#[test]
fn cwt_verifies_our_statements() {
    peer_verifies_our_statements(py, "cwt_verify_statement.py", "COSE.decode verified");
}

#[test]
fn auth0_cose_verifies_our_statements() {
    peer_verifies_our_statements(node, "auth0_cose_verify_statement.mjs", "Sign1.verify with");
}

/// A peer signs a registration in our profile with the demo operator's
/// identity: `inspect` verifies it and `submit` admits it to a ledger whose
/// trust root is the demo root; with a byte of its signature changed, both
/// refuse it.
fn our_binary_admits_a_statement_signed_by(probe: fn(&str, &[&str]) -> Run, script: &str) {
    let tmp = scratch();
    let t = |p: &str| tmp.path().join(p);
    let (key, cert) = identity(tmp.path(), "demo-operator");
    let stmt = t("reg.cose");
    let signed = probe(
        script,
        &[
            "--key",
            key.as_str(),
            "--cert",
            cert.as_str(),
            "--facility",
            "TF-0042",
            "--name",
            "Bay 42",
            "--site",
            "Unit 42",
            "--out",
            s(&stmt),
        ],
    );
    passes(signed, script);
    let out = passes(tl(&["inspect", s(&stmt)]), "inspect");
    says(&out, "signature verifies with the certified key");
    says(&out, "registration");
    says(&out, "TF-0042");
    let ledger = t("L");
    let root = repo().join("keys/demo-root.pem");
    passes(
        tl(&[
            "init",
            s(&ledger),
            "--origin",
            "interop.example/peer-statements",
            "--trust-root",
            s(&root),
            "--records",
            "public",
        ]),
        "init",
    );
    let bad = flip(&stmt, &t("bad.cose"), -1);
    says(
        &refuses(tl(&["inspect", s(&bad)]), "inspect of a changed signature"),
        "a check failed",
    );
    refuses(
        tl(&["submit", s(&ledger), s(&bad)]),
        "submit of a changed signature",
    );
    let out = passes(tl(&["submit", s(&ledger), s(&stmt)]), "submit");
    says(&out, "entry 0");
}

#[test]
fn our_binary_admits_a_statement_pycose_signed() {
    our_binary_admits_a_statement_signed_by(py, "pycose_sign_statement.py");
}

#[test]
fn our_binary_admits_a_statement_cwt_signed() {
    our_binary_admits_a_statement_signed_by(py, "cwt_sign_statement.py");
}

#[test]
fn our_binary_admits_a_statement_auth0_cose_signed() {
    our_binary_admits_a_statement_signed_by(node, "auth0_cose_sign_statement.mjs");
}

// Receipts and transparent statements (FORMATS §13).

/// Our receipt for demo entry 12 with the entry, and our transparent
/// statement; a changed entry, a changed receipt signature, and a changed
/// receipt inside the transparent statement must fail.
fn peer_verifies_our_receipts(probe: fn(&str, &[&str]) -> Run, script: &str) {
    let d = public_demo();
    let tmp = scratch();
    let t = |p: &str| tmp.path().join(p);
    let ledger = d.join("ledger");
    let vkey = d.join("trust/log.vkey");
    let (receipt, ts, entry) = (t("12.receipt"), t("12.transparent.cose"), t("12.entry"));
    passes(
        tl(&["receipt", s(&ledger), "--index", "12", "--out", s(&receipt)]),
        "receipt",
    );
    passes(
        tl(&[
            "receipt",
            s(&ledger),
            "--index",
            "12",
            "--out",
            s(&ts),
            "--transparent",
        ]),
        "receipt --transparent",
    );
    std::fs::write(&entry, log_get(&ledger, 12)).unwrap();

    let with_entry = |r: &Path, e: &Path| {
        probe(
            script,
            &["--vkey", s(&vkey), "--receipt", s(r), "--entry", s(e)],
        )
    };
    let transparent = |f: &Path| probe(script, &["--vkey", s(&vkey), "--transparent", s(f)]);
    let out = passes(with_entry(&receipt, &entry), "the receipt");
    says(&out, &format!("leaf 12 of tree size {}", demo_size()));
    says(&out, "the receipt's iss is the log's name");
    let out = passes(transparent(&ts), "the transparent statement");
    says(&out, "1 receipt(s) in label 394");
    says(&out, "receipt 1");

    refuses(
        with_entry(&receipt, &flip(&entry, &t("entry.bad"), 200)),
        "a changed entry",
    );
    refuses(
        with_entry(&flip(&receipt, &t("receipt.bad"), -1), &entry),
        "a changed receipt signature",
    );
    refuses(
        transparent(&tamper_receipt_inside(&ts, &t("ts.bad"))),
        "a changed receipt inside the transparent statement",
    );
    refuses(
        transparent(&flip(&ts, &t("ts-statement.bad"), -1)),
        "a changed statement signature in the transparent statement",
    );
}

#[test]
fn scitt_cose_verifies_our_receipts_and_transparent_statements() {
    peer_verifies_our_receipts(py, "scitt_cose_verify_receipt.py");
}

#[test]
fn transmute_cose_verifies_our_receipts_and_transparent_statements() {
    peer_verifies_our_receipts(node, "transmute_verify_receipt.mjs");
}

/// A peer issues a receipt for demo entry 12 from the log's tiles with the
/// log's key, and a transparent statement: `inspect --vkey` verifies it; with
/// the receipt's signature changed inside it, `inspect` refuses it.
fn our_binary_verifies_receipts_issued_by(probe: fn(&str, &[&str]) -> Run, script: &str) {
    let d = public_demo();
    let tmp = scratch();
    let t = |p: &str| tmp.path().join(p);
    let (receipt, ts) = (t("peer.receipt"), t("peer.transparent.cose"));
    let issued = probe(
        script,
        &[
            "--log-key",
            s(&d.join("ledger/private/log.key")),
            "--log",
            s(&d.join("ledger/log")),
            "--index",
            "12",
            "--out-receipt",
            s(&receipt),
            "--out-transparent",
            s(&ts),
        ],
    );
    says(&passes(issued, script), "is the checkpoint's root");
    let vkey = d.join("trust/log.vkey");
    let out = passes(
        tl(&["inspect", s(&ts), "--vkey", s(&vkey)]),
        "inspect --vkey",
    );
    says(&out, &format!("says entry 12 of tree size {}", demo_size()));
    says(&out, "verified with demo.triage-ledger.example/mp203");
    assert!(!out.contains("warning"), "{out}");
    let bad = tamper_receipt_inside(&ts, &t("bad.cose"));
    let out = refuses(
        tl(&["inspect", s(&bad), "--vkey", s(&vkey)]),
        "a changed receipt",
    );
    says(&out, "a check failed");
}

#[test]
fn our_binary_verifies_receipts_scitt_cose_issued() {
    our_binary_verifies_receipts_issued_by(py, "scitt_cose_issue_receipt.py");
}

#[test]
fn our_binary_verifies_receipts_transmute_cose_issued() {
    our_binary_verifies_receipts_issued_by(node, "transmute_issue_receipt.mjs");
}
