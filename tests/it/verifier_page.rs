//! The verifier page in a real browser (issue 27): the offline verifier
//! compiled to WebAssembly (crates/web, built here for
//! wasm32-unknown-unknown), inlined by `verifier-page`, and run by Debian's
//! headless Chromium, driven over the DevTools protocol by
//! tests/browser/verifier_page.py (websocket-client in the interop venv
//! that scripts/test installs). Each pack is opened as a reader would:
//! `verifier.html#pack=BASE64URL`.
//!
//! The page's verdict and checks must equal the CLI's `verify --json` for
//! the demo's packs, the pack the demo's report carries, and every pack of
//! a byte-flip and tamper suite (302 packs).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{bin, s};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The verifier's module, built as scripts/verifier-page builds it, in a
/// target directory of its own (the test's `cargo` holds the other).
fn wasm() -> PathBuf {
    let target = root().join("target").join("verifier-page");
    let home = std::env::var("CARGO_HOME")
        .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap()));
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root())
        .args([
            "build",
            "--locked",
            "--quiet",
            "-p",
            "triage-ledger-web",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm",
        ])
        .env("CARGO_TARGET_DIR", &target)
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            format!(
                "--remap-path-prefix={}=/triage-ledger --remap-path-prefix={home}=/cargo",
                root().display()
            ),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the wasm build failed (scripts/test adds the wasm32-unknown-unknown target): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    target.join("wasm32-unknown-unknown/wasm/triage_ledger_web.wasm")
}

/// The page's answers for `packs`, in order: (answer, ms, console). With
/// `reuse`, the page is loaded once and each later pack given by changing
/// the URL's fragment (as a second link would).
fn in_chromium(page: &Path, packs: &[PathBuf], reuse: bool) -> Vec<(Value, f64, Vec<String>)> {
    let python = root().join("target/interop/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: scripts/test installs it (scripts/interop-setup)",
        python.display()
    );
    let out = Command::new(python)
        .arg(root().join("tests/browser/verifier_page.py"))
        .args(reuse.then_some("--reuse"))
        .arg(page)
        .args(packs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the browser run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<(Value, f64, Vec<String>)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let console = v["console"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            (v["answer"].clone(), v["ms"].as_f64().unwrap(), console)
        })
        .collect();
    assert_eq!(lines.len(), packs.len());
    lines
}

/// The CLI's `verify --json` of a file: (exit code, the report or None when
/// the file is refused before verifying).
fn cli(pack: &Path, trust: &Path) -> (i32, Option<Value>, String) {
    let out = bin()
        .args(["verify", s(pack), "--trust", s(trust), "--json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (code, serde_json::from_slice(&out.stdout).ok(), stderr)
}

/// What must be equal: the verdict and every check, what was not checked,
/// the warnings and the scope (the trust directory's path and the summary's
/// "today" are the reader's).
fn comparable(report: &Value) -> Value {
    let mut r = report.clone();
    let o = r.as_object_mut().unwrap();
    o.remove("trust");
    o.remove("summary");
    r
}

/// `verifier-page --wasm WASM [--trust DIR] --out PAGE`, which must
/// succeed; what it said on standard output.
fn make_page(wasm: &Path, trust: Option<&Path>, page: &Path) -> String {
    let mut cmd = bin();
    cmd.args(["verifier-page", "--wasm", s(wasm), "--out", s(page)]);
    if let Some(t) = trust {
        cmd.args(["--trust", s(t)]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn demo(dir: &Path) -> PathBuf {
    let d = dir.join("demo");
    let out = bin().args(["demo", s(&d)]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    d
}

#[test]
fn the_page_gives_the_clis_verdict_for_the_demo_and_every_tampered_pack() {
    let tmp = tempfile::tempdir().unwrap();
    let d = demo(tmp.path());
    let trust = d.join("trust");
    let wasm = wasm();

    // The page, carrying the demo's trust; reproducible; under 1 MiB.
    let page = tmp.path().join("verifier.html");
    make_page(&wasm, Some(&trust), &page);
    let html = std::fs::read(&page).unwrap();
    assert!(html.len() < 1 << 20, "the page is {} bytes", html.len());
    let again = tmp.path().join("again.html");
    let said = make_page(&wasm, Some(&trust), &again);
    assert_eq!(std::fs::read(&again).unwrap(), html, "the same page twice");
    assert!(said.contains("SHA-256 "), "{said}");

    // The demo's packs, and the pack its TF-0001 report carries (the link
    // that opens it in a verifier.html beside the report).
    let mut packs: Vec<PathBuf> = Vec::new();
    for name in ["TF-0001.pack", "TF-0002.pack", "TF-0001-fusa.pack"] {
        packs.push(d.join("packs").join(name));
    }
    let report = std::fs::read_to_string(d.join("reports/TF-0001.html")).unwrap();
    let fragment = report
        .split("href=\"verifier.html#pack=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the report links its pack to the verifier page");
    use base64::Engine as _;
    let carried = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(fragment)
        .unwrap();
    assert_eq!(
        carried,
        std::fs::read(&packs[0]).unwrap(),
        "the report carries the pack"
    );
    let from_report = tmp.path().join("from-report.pack");
    std::fs::write(&from_report, carried).unwrap();
    packs.push(from_report);

    // The tamper suite: one byte flipped at 240 places spread over
    // TF-0002's pack and 60 over TF-0001's (every part of each: checkpoint,
    // statements, receipts, proofs, index, witnesses' cosignatures), each
    // pack cut short, and one with a byte added.
    let good = std::fs::read(d.join("packs/TF-0002.pack")).unwrap();
    let n = good.len();
    for (name, count) in [("TF-0002.pack", 240), ("TF-0001.pack", 60)] {
        let bytes = std::fs::read(d.join("packs").join(name)).unwrap();
        let len = bytes.len();
        for k in 0..count {
            let at = (k * (len - 1)) / (count - 1);
            let mut b = bytes.clone();
            b[at] ^= 1 << (k % 8);
            let p = tmp.path().join(format!("flip-{at}-{name}"));
            std::fs::write(&p, b).unwrap();
            packs.push(p);
        }
    }
    let cut = tmp.path().join("cut.pack");
    std::fs::write(&cut, &good[..n / 2]).unwrap();
    packs.push(cut);
    let longer = tmp.path().join("longer.pack");
    std::fs::write(&longer, [good.as_slice(), &[0]].concat()).unwrap();
    packs.push(longer);

    let answers = in_chromium(&page, &packs, true);
    let mut failed_in_both = 0;
    for (pack, (answer, _ms, console)) in packs.iter().zip(&answers) {
        let name = pack.file_name().unwrap().to_string_lossy();
        assert!(console.is_empty(), "{name}: console: {console:#?}");
        assert!(answer.get("error").is_none(), "{name}: {answer}");
        let p = &answer["packs"][0];
        let (code, report, stderr) = cli(pack, &trust);
        match report {
            Some(r) => {
                assert_eq!(
                    comparable(&r),
                    comparable(&p["report"]),
                    "{name}: the page and the CLI differ"
                );
                assert_eq!(p["verified"], r["verified"], "{name}");
                assert_eq!(code == 0, r["verified"] == true, "{name}: exit {code}");
                if r["verified"] == false {
                    failed_in_both += 1;
                    assert!(
                        p["verdict"].as_str().unwrap().starts_with("NOT VERIFIED"),
                        "{name}: {}",
                        p["verdict"]
                    );
                }
            }
            None => {
                // Refused before verifying (not a pack): exit 2 there, the
                // same refusal here (after the name the page gives the
                // pack), to the kind of fault. Its detail may differ: a
                // flipped length byte that declares more than 4 GiB is
                // "truncated" on 64 bits and a syntax error at that byte
                // for ciborium on wasm32, whose usize cannot hold it.
                assert_eq!(code, 2, "{name}");
                let e = p["error"].as_str().unwrap_or_default();
                let reason = e.split_once(": ").map_or("", |(_, r)| r);
                let kind: Vec<&str> = reason.splitn(3, ": ").take(2).collect();
                let kind = kind.join(": ");
                assert!(
                    !kind.is_empty() && stderr.contains(&kind),
                    "{name}: the page says {e:?}, the CLI {stderr:?}"
                );
                failed_in_both += 1;
            }
        }
    }
    // The demo's packs verify in the page, with their facility's report.
    for (answer, _, _) in &answers[..4] {
        let p = &answer["packs"][0];
        assert_eq!(p["verified"], true, "{p}");
        assert!(p["verdict"].as_str().unwrap().starts_with("VERIFIED"));
        let reports = p["facilities"].as_array().unwrap();
        assert!(!reports.is_empty());
        assert!(reports[0]["html"].as_str().unwrap().contains("Timeline"));
    }
    // Every change to TF-0002's pack fails somewhere (in both), or changes
    // nothing the verifier reads; most fail.
    assert!(
        failed_in_both >= 30,
        "only {failed_in_both} tampered packs failed"
    );
}

#[test]
fn a_page_without_trust_says_so_takes_the_readers_choice_and_a_bad_module_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = demo(tmp.path());
    let page = tmp.path().join("bare.html");
    make_page(&wasm(), None, &page);
    let answers = in_chromium(&page, &[d.join("packs/TF-0001.pack")], false);
    let (answer, _, console) = &answers[0];
    assert!(console.is_empty(), "{console:#?}");
    assert!(
        answer["error"].as_str().unwrap().starts_with("no trust"),
        "{answer}"
    );

    // The reader chooses the trust directory's files, then a pack, in the
    // page's file inputs: the CLI's verdict.
    let python = root().join("target/interop/venv/bin/python");
    let pack = d.join("packs/TF-0002.pack");
    let out = Command::new(python)
        .arg(root().join("tests/browser/verifier_page.py"))
        .args(["--choose", s(&d.join("trust")), s(&page), s(&pack)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let chosen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(chosen["console"], serde_json::json!([]), "{chosen}");
    let p = &chosen["answer"]["packs"][0];
    let (code, report, _) = cli(&pack, &d.join("trust"));
    assert_eq!(code, 0);
    assert_eq!(comparable(&p["report"]), comparable(&report.unwrap()));
    assert_eq!(p["verified"], true, "{p}");
    // The directory as chosen, by its name.
    assert_eq!(chosen["answer"]["trust"]["name"], "trust");

    // A trust directory the verifier could not use is not carried: exit 2,
    // naming the file.
    let bad = tmp.path().join("bad-trust");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(bad.join("root.pem"), b"not a certificate").unwrap();
    let out = bin()
        .args([
            "verifier-page",
            "--wasm",
            s(&wasm()),
            "--trust",
            s(&bad),
            "--out",
            s(&tmp.path().join("z.html")),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("--trust") && e.contains("root.pem"), "{e}");
    assert!(!tmp.path().join("z.html").exists());

    let not_wasm = tmp.path().join("x.wasm");
    std::fs::write(&not_wasm, b"<html>").unwrap();
    let out = bin()
        .args([
            "verifier-page",
            "--wasm",
            s(&not_wasm),
            "--out",
            s(&tmp.path().join("y.html")),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("not a WebAssembly module"), "{e}");
}
