//! The configuration file: what a mistake in it stops (and what it does
//! not), and where its relative paths lead.

mod common;

use std::path::Path;

use common::{bin, s};

/// Runs the CLI with `TRIAGE_LEDGER_CONFIG=cfg`, in `cwd`.
fn go(cfg: &Path, cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let o = bin()
        .args(args)
        .current_dir(cwd)
        .env("TRIAGE_LEDGER_CONFIG", cfg)
        .env_remove("TRIAGE_LEDGER_TRUST")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A typo in the file does not take `--help`, `--version`, `help`,
/// `completions` or `man` down with it (they say it as a warning); the
/// commands that read settings fail, naming the file, the line and what
/// is wrong, with a hint.
#[test]
fn a_mistake_in_the_configuration_file_stops_only_the_commands_that_read_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("config");
    std::fs::write(
        &cfg,
        "# mine\nTRIAGE_LEDGER_TRUST=/x\nTRIAGE_LEDGER_TRUTS=/y\n",
    )
    .unwrap();
    let said = format!(
        "configuration file {}:3: unknown setting \"TRIAGE_LEDGER_TRUTS\" (did you mean TRIAGE_LEDGER_TRUST?)",
        cfg.display()
    );
    for args in [
        &["--help"][..],
        &["--version"],
        &["help", "verify"],
        &["verify", "--help"],
        &["log", "append", "--help"],
        &["completions", "bash"],
        &["man"],
    ] {
        let (code, out, err) = go(&cfg, tmp.path(), args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(!out.is_empty(), "{args:?}");
        assert!(err.contains(&format!("warning: {said}")), "{args:?}: {err}");
    }
    let (code, out, err) = go(&cfg, tmp.path(), &["--version"]);
    assert_eq!((code, out.trim()), (0, "triage-ledger 0.1.0"), "{err}");
    // A command that reads settings: an error, and what to do.
    let (code, _, err) = go(&cfg, tmp.path(), &["status"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("error: {said}")), "{err}");
    assert!(err.contains("hint: fix or remove that line"), "{err}");
    // A usage error that a setting of the file would have spared is said
    // with the file's mistake.
    let (code, _, err) = go(&cfg, tmp.path(), &["verify", "x.pack"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--trust"), "{err}");
    assert!(err.contains(&format!("error: {said}")), "{err}");
    // A line without `=`, by line number.
    std::fs::write(
        &cfg,
        "TRIAGE_LEDGER_URL=http://127.0.0.1:1\n\nTRIAGE_LEDGER_KEY\n",
    )
    .unwrap();
    let (code, _, err) = go(&cfg, tmp.path(), &["status"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "{}:3: expected KEY=VALUE, got \"TRIAGE_LEDGER_KEY\"",
            cfg.display()
        )),
        "{err}"
    );
    let (code, out, err) = go(&cfg, tmp.path(), &["keys", "--help"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Usage"), "{out}");
    // An unreadable file (TRIAGE_LEDGER_CONFIG names one that is not
    // there) is the same: help works, the others fail.
    let missing = tmp.path().join("nothing-here");
    let (code, _, err) = go(&missing, tmp.path(), &["--help"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = go(&missing, tmp.path(), &["status"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(s(&missing)), "{err}");
}
