//! The configuration file: what a mistake in it stops (and what it does
//! not), and where its relative paths lead.

use std::path::Path;

use crate::common::{bin, s};

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

fn demo(dir: &Path) -> std::path::PathBuf {
    let (code, _, err) = crate::common::run_env(&["demo", s(dir)], &[]);
    assert_eq!(code, 0, "{err}");
    dir.to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// `TRIAGE_LEDGER_TRUST=trust` in the user's configuration file is the
/// `trust/` beside that file: run inside a folder someone mailed, with a
/// `trust/` and a pack of their own, `verify` does not take their trust
/// for the user's. `verify`, `report` and `history` say which trust they
/// used: its absolute path and the log key.
#[test]
fn relative_paths_in_the_configuration_file_are_its_neighbours_and_verifiers_say_which_trust() {
    let tmp = tempfile::tempdir().unwrap();
    let genuine = demo(&tmp.path().join("genuine"));
    let forger = demo(&tmp.path().join("forger"));
    // The user's settings: the scheme's trust directory, beside the file.
    let home = tmp.path().join("home");
    copy_dir(&genuine.join("trust"), &home.join("trust"));
    let cfg = home.join("config");
    std::fs::write(&cfg, "TRIAGE_LEDGER_TRUST=trust\n").unwrap();
    // The mailed folder: a forged pack, and the trust that "verifies" it.
    let mail = tmp.path().join("mail");
    copy_dir(&forger.join("trust"), &mail.join("trust"));
    std::fs::copy(forger.join("packs/TF-0001.pack"), mail.join("forged.pack")).unwrap();
    std::fs::copy(genuine.join("packs/TF-0001.pack"), mail.join("real.pack")).unwrap();
    let vkey = |d: &Path| {
        let v = std::fs::read_to_string(d.join("ledger/vkey")).unwrap();
        let v = triage_ledger::note::VerifierKey::parse(v.trim()).unwrap();
        format!("{}+{}", v.name(), v.id())
    };
    let (ours, theirs) = (vkey(&genuine), vkey(&forger));
    assert_ne!(ours, theirs);
    let used = format!(
        "trust: {} (policy: log {ours})",
        std::fs::canonicalize(home.join("trust")).unwrap().display()
    );

    let (code, out, err) = go(&cfg, &mail, &["verify", "forged.pack"]);
    assert_eq!(code, 1, "the forged pack verified: {out}{err}");
    assert!(err.contains(&used), "{err}");
    let (code, out, err) = go(&cfg, &mail, &["verify", "real.pack"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains(&used), "{err}");
    assert!(!err.contains(&theirs), "{err}");
    // In JSON, a field of the object.
    let (code, out, err) = go(&cfg, &mail, &["verify", "real.pack", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["trust"]["dir"],
        s(&std::fs::canonicalize(home.join("trust")).unwrap())
    );
    assert_eq!(v["trust"]["from"], "policy");
    assert_eq!(v["trust"]["logs"], serde_json::json!([ours]));
    assert!(!err.contains("trust:"), "{err}");
    // report and history say it too; the report's re-verify commands name
    // the absolute directory.
    let (code, _, err) = go(
        &cfg,
        &mail,
        &[
            "report",
            "real.pack",
            "--facility",
            "TF-0001",
            "--out",
            "r.html",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&used), "{err}");
    let html = std::fs::read_to_string(mail.join("r.html")).unwrap();
    assert!(html.contains(s(&home.join("trust"))), "re-verify commands");
    let (code, _, err) = go(
        &cfg,
        &mail,
        &[
            "report",
            "forged.pack",
            "--facility",
            "TF-0001",
            "--out",
            "f.html",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&used), "{err}");
    let (code, _, err) = go(
        &cfg,
        &mail,
        &["history", "real.pack", "--facility", "TF-0001"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&used), "{err}");
    // A flag is relative to the working directory, as always: the user
    // who names the mailed trust gets it, and is told so.
    let (code, _, err) = go(&cfg, &mail, &["verify", "forged.pack", "--trust", "trust"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("(policy: log {theirs})")), "{err}");
}
