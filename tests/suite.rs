//! The test command runs every test: no target is left out of `cargo
//! test`, no test is ignored or skipped because a tool is missing. The
//! binary's own tests (every help example parsed by clap, the progress
//! line) were once left out by `test = false`.

use std::path::{Path, PathBuf};

/// The ignored tests, each a tool run by hand and not a check: name, why.
const IGNORED: &[(&str, &str)] = &[(
    "regenerate_vectors",
    "writes fixtures/merkle/vectors.txt from the peer implementation; the vectors are checked by the other tests",
)];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_target_and_every_test_is_run_by_the_test_command() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    // Sections that hold tests: the library, the binaries, the test targets.
    let mut section = String::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.to_string();
            continue;
        }
        let tested = matches!(section.as_str(), "[lib]" | "[[bin]]" | "[[test]]");
        let key = line.split('=').next().unwrap_or("").trim();
        assert!(
            !(tested && key == "test" && line.contains("false")),
            "{section} has `{line}`: its tests would never run"
        );
        assert!(
            !(section == "[[test]]" && key == "harness" && line.contains("false")),
            "{section} has `{line}`: its #[test]s would never run"
        );
    }
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    sources(&root.join("tests"), &mut files);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.strip_prefix(root).unwrap().display().to_string();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let t = line.trim();
            if t.starts_with("#[ignore") || (t.starts_with("#[cfg_attr") && t.contains("ignore")) {
                let test = lines[n + 1..]
                    .iter()
                    .find_map(|l| l.trim().strip_prefix("fn "))
                    .and_then(|l| l.split('(').next())
                    .unwrap_or("");
                assert!(
                    IGNORED.iter().any(|(k, _)| *k == test),
                    "{name}:{}: test {test} is ignored",
                    n + 1
                );
            }
            // A test that returns early when a tool is missing passes
            // without checking anything.
            assert!(
                !t.contains("SKIPPED") || f.ends_with("suite.rs"),
                "{name}:{}: a test skips: {t}",
                n + 1
            );
            assert!(
                !(t.starts_with("if let Ok(") && t.contains("Command::new(")),
                "{name}:{}: a test checks only when a command runs: {t}",
                n + 1
            );
        }
    }
}
