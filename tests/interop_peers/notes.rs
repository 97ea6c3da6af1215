//! Signed notes, checkpoints, cosignatures and tiles (FORMATS §2–§5).

use super::*;

#[test]
fn aics_tlog_verifies_our_witnessed_checkpoint_and_authenticates_our_tiles() {
    let d = demo();
    let tmp = scratch();
    let t = |p: &str| tmp.path().join(p);
    let cp = d.join("ledger/log/checkpoint");
    let (log, w1, w2) = (
        d.join("trust/log.vkey"),
        d.join("witnesses/w1/witness.vkey"),
        d.join("witnesses/w2/witness.vkey"),
    );
    let args = |note: &Path, tiles: &Path| -> Vec<String> {
        [
            "--note",
            s(note),
            "--log-vkey",
            s(&log),
            "--witness-vkey",
            s(&w1),
            "--witness-vkey",
            s(&w2),
            "--tiles",
            s(tiles),
        ]
        .map(String::from)
        .to_vec()
    };
    let probe = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        py("aics_tlog_verify_checkpoint.py", &a)
    };
    let tiles = d.join("ledger/log");
    let out = passes(
        probe(args(&cp, &tiles)),
        "aics-tlog on the demo's checkpoint",
    );
    says(&out, "2 cosignature(s)");
    says(&out, "(quorum 2)");
    says(&out, "authenticated against the root");

    let body = tamper_body(&cp, &t("body"));
    says(
        &refuses(probe(args(&body, &tiles)), "a changed checkpoint body"),
        "log signature",
    );
    let cosig = tamper_signature(&cp, &t("cosig"), "demo.triage-ledger.example/witness-2");
    says(
        &refuses(probe(args(&cosig, &tiles)), "a changed cosignature"),
        "cosignature from demo.triage-ledger.example/witness-2",
    );
    let copy = t("log");
    copy_dir(&tiles, &copy);
    let size = demo_size();
    assert!(size < 256, "the demo's entries fit one partial bundle");
    let bundle = format!("tile/entries/000.p/{size}");
    flip(&tiles.join(&bundle), &copy.join(&bundle), 100);
    refuses(probe(args(&cp, &copy)), "a changed entry bundle");

    // A tree of three tile levels (70,000 entries), full and partial tiles.
    let big = t("big");
    let init = tl(&["init", s(&big), "--origin", "interop.example/big"]);
    passes(init, "init");
    let mut append = Command::new(ours())
        .args(["log", "append", s(&big), "--lines"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = append.stdin.take().unwrap();
        for i in 0..70_000 {
            writeln!(stdin, "entry {i}").unwrap();
        }
    }
    assert!(append.wait().unwrap().success(), "log append");
    let big_args = |tiles: &Path| {
        [
            "--note",
            s(&big.join("log/checkpoint")),
            "--log-vkey",
            s(&big.join("vkey")),
            "--tiles",
            s(tiles),
        ]
        .map(String::from)
        .to_vec()
    };
    let out = passes(
        probe(big_args(&big.join("log"))),
        "aics-tlog on 70,000 entries",
    );
    says(&out, "277 hash tile(s) and 274 entry bundle(s)");
    flip(
        &big.join("log/tile/1/000"),
        &big.join("log/tile/1/000"),
        1000,
    );
    refuses(probe(big_args(&big.join("log"))), "a changed level-1 tile");
}

#[test]
fn tlog_scales_verifies_our_checkpoint_inclusion_proof_and_tiles() {
    let d = demo();
    let tmp = scratch();
    let t = |p: &str| tmp.path().join(p);
    let ledger = d.join("ledger");
    let proof = t("12.tlog-proof");
    let r = tl(&["log", "prove", s(&ledger), "--index", "12"]);
    std::fs::write(&proof, passes(r, "log prove")).unwrap();
    // The entry as the log holds it: the demo is confidential, so entry 12
    // is a statement's 34-byte commitment leaf.
    let entry = t("12.entry");
    let leaf = log_get(&ledger, 12);
    assert_eq!(leaf.len(), 34, "a commitment leaf");
    std::fs::write(&entry, leaf).unwrap();
    let cp = ledger.join("log/checkpoint");
    let probe = |note: &Path, entry: &Path| {
        py(
            "tlog_scales_verify_checkpoint.py",
            &[
                "--note",
                s(note),
                "--log-vkey",
                s(&d.join("trust/log.vkey")),
                "--witness-vkey",
                s(&d.join("witnesses/w1/witness.vkey")),
                "--witness-vkey",
                s(&d.join("witnesses/w2/witness.vkey")),
                "--proof",
                s(&proof),
                "--entry",
                s(entry),
                "--tiles",
                s(&ledger.join("log")),
            ],
        )
    };
    let out = passes(probe(&cp, &entry), "tlog-scales on the demo");
    says(
        &out,
        &format!(
            "InclusionProof.check: the entry is leaf 12 of {}",
            demo_size()
        ),
    );
    says(
        &out,
        "the inclusion path computed from the tiles is the proof's",
    );
    says(&out, "witness-1");
    says(&out, "witness-2");

    let cosig = tamper_signature(&cp, &t("cosig"), "demo.triage-ledger.example/witness-1");
    says(
        &refuses(probe(&cosig, &entry), "a changed cosignature"),
        "witness-1",
    );
    refuses(
        probe(&tamper_body(&cp, &t("body")), &entry),
        "a changed body",
    );
    refuses(
        probe(&cp, &flip(&entry, &t("entry.bad"), 20)),
        "a changed entry",
    );
}

#[test]
fn our_binary_attaches_a_cosignature_made_by_aics_tlog() {
    let d = demo();
    let tmp = scratch();
    let t = |p: &str| tmp.path().join(p);
    let cosign = py(
        "aics_tlog_cosign_checkpoint.py",
        &[
            "--note",
            s(&d.join("ledger/log/checkpoint")),
            "--log-vkey",
            s(&d.join("trust/log.vkey")),
            "--name",
            "interop.example/aics-witness",
            "--out-vkey",
            s(&t("w.vkey")),
            "--out-cosignature",
            s(&t("w.cosig")),
        ],
    );
    passes(cosign, "aics-tlog cosigns");
    let attach = |ledger: &Path, cosig: &Path| {
        tl(&[
            "witness",
            "attach",
            s(ledger),
            "--witness",
            s(&t("w.vkey")),
            "--cosignature",
            s(cosig),
        ])
    };
    copy_dir(&d.join("ledger"), &t("L"));
    passes(attach(&t("L"), &t("w.cosig")), "witness attach");
    let note = std::fs::read_to_string(t("L/log/checkpoint")).unwrap();
    says(&note, "\u{2014} interop.example/aics-witness ");

    copy_dir(&d.join("ledger"), &t("L2"));
    let bad = tamper_signature(
        &t("w.cosig"),
        &t("w.cosig.bad"),
        "interop.example/aics-witness",
    );
    says(
        &refuses(attach(&t("L2"), &bad), "a changed cosignature"),
        "does not verify",
    );
}

/// Our `log verify-inclusion` and `log audit --url` on a log another
/// implementation built: `maker` writes DIR/log.vkey, DIR/entry,
/// DIR/entry.tlog-proof and the tiles with the checkpoint in DIR/log.
fn our_binary_checks_a_peer_log(maker: &str, entries: &str, index: &str, dir: &Path) {
    let made = py(
        maker,
        &[
            "--origin",
            "interop.example/peer-log",
            "--entries",
            entries,
            "--index",
            index,
            "--out",
            s(dir),
        ],
    );
    passes(made, maker);
    let vkey = dir.join("log.vkey");
    let verify = |entry: &Path| {
        tl(&[
            "log",
            "verify-inclusion",
            "--vkey",
            s(&vkey),
            "--proof",
            s(&dir.join("entry.tlog-proof")),
            "--entry",
            s(entry),
        ])
    };
    let out = passes(verify(&dir.join("entry")), "log verify-inclusion");
    says(&out, &format!("is entry {index} of tree size {entries}"));
    refuses(
        verify(&flip(&dir.join("entry"), &dir.join("entry.bad"), 0)),
        "a changed entry",
    );

    let server = StaticServer::start(&dir.join("log"));
    let audit = || {
        tl(&[
            "log",
            "audit",
            "--url",
            server.url.as_str(),
            "--vkey",
            s(&vkey),
        ])
    };
    let out = passes(audit(), "log audit --url");
    says(&out, &format!("ok: {entries} entries"));
    says(&out, "audit passed");
    let tile = dir.join("log/tile/0/000");
    flip(&tile, &tile, 64);
    refuses(audit(), "a changed tile");
}

#[test]
fn our_binary_verifies_a_log_aics_tlog_built() {
    let tmp = scratch();
    our_binary_checks_a_peer_log("aics_tlog_make_log.py", "70000", "65600", tmp.path());
}

#[test]
fn our_binary_verifies_a_log_tlog_scales_built() {
    let tmp = scratch();
    our_binary_checks_a_peer_log("tlog_scales_make_log.py", "1000", "700", tmp.path());
}
