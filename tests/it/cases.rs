//! The command-line cases of `tests/cases/*.cases` (usage errors, help,
//! exit codes): data, not code. Each file's header says the format. Every
//! case runs; the failures are reported together, each with its file and
//! line.

use std::path::Path;

use crate::common::{bin, s};

struct Case {
    at: String,
    args: Vec<String>,
    exit: Option<i32>,
    expect: Vec<(bool, String)>,
}

fn parse(file: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut cases = Vec::new();
    let mut current: Option<Case> = None;
    for (n, line) in text.lines().enumerate() {
        let at = format!("{}:{}", file.display(), n + 1);
        let line = line.trim_end();
        if line.is_empty() {
            cases.extend(current.take());
        } else if line.starts_with('#') {
            continue;
        } else if let Some(cmd) = line.strip_prefix("$ ") {
            cases.extend(current.take());
            let args = shlex::split(cmd).unwrap_or_else(|| panic!("{at}: cannot split {cmd:?}"));
            current = Some(Case {
                at,
                args,
                exit: None,
                expect: Vec::new(),
            });
        } else {
            let case = current
                .as_mut()
                .unwrap_or_else(|| panic!("{at}: {line:?} before any `$ ` line"));
            if let Some(code) = line.strip_prefix("exit ") {
                case.exit = Some(
                    code.parse()
                        .unwrap_or_else(|_| panic!("{at}: exit {code:?}")),
                );
            } else if let Some(t) = line.strip_prefix("stdout contains ") {
                case.expect.push((true, t.to_string()));
            } else if let Some(t) = line.strip_prefix("stderr contains ") {
                case.expect.push((false, t.to_string()));
            } else {
                panic!("{at}: not a case line: {line:?}");
            }
        }
    }
    cases.extend(current);
    cases
}

#[test]
fn the_command_line_cases_hold() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("scratch");
    std::fs::create_dir_all(&dir).unwrap();
    let ledger = tmp.path().join("ledger");
    let o = bin()
        .args(["init", s(&ledger), "--origin", "cases.example/log"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cases"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let (mut failures, mut ran) = (Vec::new(), 0);
    for file in &files {
        for case in parse(file) {
            let exit = case
                .exit
                .unwrap_or_else(|| panic!("{}: a case says its exit code", case.at));
            let args: Vec<String> = case
                .args
                .iter()
                .map(|a| a.replace("{ledger}", s(&ledger)).replace("{dir}", s(&dir)))
                .collect();
            let o = bin().args(&args).output().unwrap();
            ran += 1;
            let (out, err) = (
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr),
            );
            let mut wrong = Vec::new();
            if o.status.code() != Some(exit) {
                wrong.push(format!("exit {:?}, not {exit}", o.status.code()));
            }
            for (stdout, text) in &case.expect {
                let (name, got) = if *stdout {
                    ("stdout", &out)
                } else {
                    ("stderr", &err)
                };
                if !got.contains(text.as_str()) {
                    wrong.push(format!("{name} lacks {text:?}"));
                }
            }
            if !wrong.is_empty() {
                failures.push(format!(
                    "{}: {}: {}\n  stdout: {}\n  stderr: {}",
                    case.at,
                    args.join(" "),
                    wrong.join("; "),
                    out.trim(),
                    err.trim()
                ));
            }
        }
    }
    assert!(ran >= 20, "{ran} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
