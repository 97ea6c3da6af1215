//! The README's walkthrough, run as written: its shell blocks, from the
//! top of "Walkthrough by role" to the end — the service and the
//! witnesses included — in order, in one bash (which the first block moves
//! to a scratch directory), with only the build line replaced by the
//! binary under test and the two fixed ports by free ones. Two blocks need
//! what a newcomer must bring (a TLS certificate chain, a bucket); the README
//! says so, and this test names them. Each `# entry N` comment must match
//! what that command printed.

use std::path::Path;

use crate::common::free_port;
use std::process::Command;

const BUILD_LINE: &str = "cargo build --release && B=$R/target/release/triage-ledger";

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme
        .find("## Walkthrough by role")
        .expect("the walkthrough");
    let section = &readme[start..];
    let mut blocks = Vec::new();
    let mut skipped = Vec::new();
    let mut rest = section;
    while let Some(open) = rest.find("```sh\n") {
        let body = &rest[open + 6..];
        let close = body.find("```").expect("a closed block");
        let block = &body[..close];
        // Bring-your-own: a TLS certificate chain, an S3 bucket (a block
        // that makes its own throwaway certificate with openssl runs).
        let own_cert = block.contains("openssl req -x509");
        if (block.contains("--tls-cert") && !own_cert) || block.contains("s3://") {
            skipped.push(block.lines().next().unwrap_or("").to_string());
        } else {
            blocks.push(block.to_string());
        }
        rest = &body[close + 3..];
    }
    assert_eq!(skipped.len(), 2, "blocks not run: {skipped:#?}");
    assert!(
        blocks.len() >= 8,
        "the walkthrough's blocks: {}",
        blocks.len()
    );
    let script = blocks.join("\n");
    assert!(
        script.contains(BUILD_LINE),
        "the README builds with `{BUILD_LINE}`"
    );
    let bin = env!("CARGO_BIN_EXE_triage-ledger");
    let mut expected = Vec::new();
    let mut lines = vec![
        "exec 2>&1".to_string(),
        // Background services stop with the script, whatever happens.
        "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT".to_string(),
    ];
    let script = script
        .replace(BUILD_LINE, &format!("B={bin}"))
        .replace("127.0.0.1:8090", &format!("127.0.0.1:{}", free_port()))
        .replace("127.0.0.1:8091", &format!("127.0.0.1:{}", free_port()));
    for line in script.lines() {
        lines.push(line.to_string());
        if let Some(n) = entry_comment(line) {
            lines.push(format!("echo '@@ entry {n}'"));
            expected.push(n);
        }
    }
    let scratch = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &lines.join("\n")])
        .current_dir(root)
        .env("TMPDIR", scratch.path())
        // The user's own configuration (settings, pinned log keys) is
        // neither read nor written.
        .env("XDG_CONFIG_HOME", scratch.path())
        .env_remove("TRIAGE_LEDGER_CONFIG")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the walkthrough failed:\n{text}");
    assert!(expected.len() >= 14, "{expected:?}");
    // What each commented command printed, between the markers.
    let mut printed = text.split("@@ entry ");
    let mut before = printed.next().unwrap().to_string();
    for n in expected {
        let claimed = format!("entry {n}");
        assert!(
            before.contains(&claimed),
            "the README says `# {claimed}`, the command printed:\n{before}"
        );
        let chunk = printed.next().expect("a marker per comment");
        before = chunk.split_once('\n').map_or("", |(_, b)| b).to_string();
    }
    assert!(
        !text.contains("warning: "),
        "no warnings as written:\n{text}"
    );
}

/// N of a trailing `# entry N` comment.
fn entry_comment(line: &str) -> Option<u64> {
    let (_, comment) = line.rsplit_once("# entry ")?;
    let digits: String = comment.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
