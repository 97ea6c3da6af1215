//! A ledger whose log key is in a PKCS#11 token (Debian's SoftHSM2, a fresh
//! token per test, its key made by OpenSC's `pkcs11-tool`): `init
//! --log-key pkcs11:…` writes no private key file, and the service signs
//! its checkpoints and receipts in the token; the CLI client checks each
//! receipt, and the ledger audits. Without the PIN, or with a wrong one,
//! the service does not start and says why.

use std::path::Path;
use std::process::Command;

use super::http::{identity, run_env, s, sign, Server};

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A fresh token `label` (user PIN 1234) with two Ed25519 keys made in it,
/// `log` and `op`; the SOFTHSM2_CONF that finds it.
fn token(dir: &Path, label: &str) -> String {
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    let conf = conf.display().to_string();
    let run = |tool: &str, args: &[&str]| {
        let out = Command::new(tool)
            .args(args)
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .unwrap_or_else(|e| panic!("{tool} runs (Debian's softhsm2 and opensc): {e}"));
        assert!(
            out.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        "softhsm2-util",
        &[
            "--init-token",
            "--free",
            "--label",
            label,
            "--so-pin",
            "5678",
            "--pin",
            "1234",
        ],
    );
    for key in ["log", "op"] {
        run(
            "pkcs11-tool",
            &[
                "--module",
                MODULE,
                "--token-label",
                label,
                "--login",
                "--pin",
                "1234",
                "--keypairgen",
                "--key-type",
                "EC:edwards25519",
                "--label",
                key,
            ],
        );
    }
    conf
}

#[test]
fn a_ledger_whose_log_key_is_in_a_token_signs_there_and_keeps_no_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let conf = token(d, "ledger");
    let uri = format!("pkcs11:token=ledger;object=log?module-path={MODULE}");
    let env = [
        ("SOFTHSM2_CONF", conf.as_str()),
        ("TRIAGE_LEDGER_PKCS11_PIN", "1234"),
    ];
    let ledger = d.join("ledger");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem");
    let (code, _, err) = run_env(
        &[
            "init",
            s(&ledger),
            "--origin",
            "example.org/token",
            "--trust-root",
            s(&root),
            "--log-key",
            &uri,
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    assert!(!ledger.join("private/log.key").exists());
    assert_eq!(
        std::fs::read_to_string(ledger.join("log-key.pkcs11")).unwrap(),
        format!("{uri}\n")
    );

    // Without the PIN, or with a wrong one, the service says why.
    let (code, _, err) = run_env(
        &["serve", s(&ledger), "--listen", "127.0.0.1:0"],
        &[("SOFTHSM2_CONF", conf.as_str())],
    );
    assert_ne!(code, 0);
    assert!(err.contains("no PIN for token ledger"), "{err}");
    let (code, _, err) = run_env(
        &["serve", s(&ledger), "--listen", "127.0.0.1:0"],
        &[
            ("SOFTHSM2_CONF", conf.as_str()),
            ("TRIAGE_LEDGER_PKCS11_PIN", "0000"),
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("the PIN is refused"), "{err}");

    // The service signs in the token; the client checks each receipt
    // against the ledger's key.
    let server = Server::start_env(&["serve", s(&ledger), "--listen", "127.0.0.1:0"], &env);
    let root_id = identity(d, "demo-root");
    let op = identity(d, "demo-operator");
    let des = sign(
        d,
        "designate",
        &root_id,
        &["--role", "ssc", "--party", "SECGB-SSC-DEMO", "--note", "n"],
    );
    let reg = sign(
        d,
        "register",
        &op,
        &["--facility", "TF-1", "--name", "N", "--site", "S"],
    );
    std::fs::write(d.join("des.cose"), &des).unwrap();
    std::fs::write(d.join("reg.cose"), &reg).unwrap();
    let (code, out, err) = run_env(
        &[
            "submit",
            "--url",
            &server.url,
            s(&d.join("des.cose")),
            s(&d.join("reg.cose")),
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("reg.cose: entry 2") && out.contains("receipt verified"),
        "{out}"
    );
    // An operator whose key is in the token: the scheme root certifies the
    // token key (its public half read there), and the operator signs its
    // registration in the token.
    let op_uri = format!("pkcs11:token=ledger;object=op?module-path={MODULE}");
    let op_cert = d.join("op-token.pem");
    let (code, out, err) = run_env(
        &[
            "cert",
            "issue",
            "--root-cert",
            &root_id.1,
            "--root-key",
            &root_id.0,
            "--key",
            &op_uri,
            "--role",
            "operator",
            "--name",
            "Token operator",
            "--org",
            "Token Triage Ltd",
            "--party-id",
            "NTRGB-07654321",
            "--out",
            s(&op_cert),
        ],
        &env,
    );
    assert_eq!(code, 0, "{out}{err}");
    let reg2 = d.join("reg2.cose");
    let (code, out, err) = run_env(
        &[
            "register",
            "--key",
            &op_uri,
            "--cert",
            s(&op_cert),
            "--out",
            s(&reg2),
            "--facility",
            "TF-2",
            "--name",
            "N",
            "--site",
            "S",
        ],
        &env,
    );
    assert_eq!(code, 0, "{out}{err}");
    // A certificate of another key is refused before anything is signed.
    let (code, _, err) = run_env(
        &[
            "register",
            "--key",
            &op_uri,
            "--cert",
            &op.1,
            "--out",
            s(&d.join("never.cose")),
            "--facility",
            "TF-3",
            "--name",
            "N",
            "--site",
            "S",
        ],
        &env,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("does not certify the key in token ledger"),
        "{err}"
    );
    assert!(!d.join("never.cose").exists());
    let (code, out, err) = run_env(&["submit", "--url", &server.url, s(&reg2)], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("receipt verified"), "{out}");
    assert_eq!(server.terminate(), Some(0));
    // Every checkpoint the token signed verifies with the ledger's key.
    let (code, out, err) = run_env(&["log", "audit", s(&ledger)], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run_env(&["log", "checkpoint", s(&ledger)], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines().nth(1).unwrap().parse::<u64>().unwrap() >= 3,
        "{out}"
    );
    assert!(!ledger.join("private/log.key").exists());

    // A witness whose cosigning key is made in the token: its cosignature,
    // attached to the ledger's checkpoint, is checked there with the
    // witness's key before it is kept.
    let w_uri = format!("pkcs11:token=ledger;object=witness?module-path={MODULE}");
    let (code, _, err) = run_env(&["keys", "new-in-token", &w_uri], &env);
    assert_eq!(code, 0, "{err}");
    let w = d.join("w");
    let (code, wkey, err) = run_env(
        &[
            "witness",
            "new",
            s(&w),
            "--name",
            "witness.example.org/tw",
            "--key",
            &w_uri,
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    assert!(wkey.starts_with("witness.example.org/tw+"), "{wkey}");
    assert!(!w.join("witness.key").exists() && w.join("witness.pkcs11").exists());
    let (code, _, err) = run_env(
        &[
            "witness",
            "add-log",
            s(&w),
            "--vkey",
            s(&ledger.join("vkey")),
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run_env(&["witness", "run", s(&w), "--ledger", s(&ledger)], &env);
    assert_eq!(code, 0, "{out}{err}");
    let cp = std::fs::read_to_string(ledger.join("log/checkpoint")).unwrap();
    assert!(cp.contains("— witness.example.org/tw "), "{cp}");
    // Without the PIN the witness says why, and cosigns nothing.
    let (code, _, err) = run_env(
        &["witness", "run", s(&w), "--ledger", s(&ledger)],
        &[("SOFTHSM2_CONF", conf.as_str())],
    );
    assert_ne!(code, 0);
    assert!(err.contains("no PIN for token ledger"), "{err}");
}

/// The log's high-water mark lives with its key: in the token, not in the
/// ledger directory. A directory restored from a backup, its own files
/// and all, is then caught as a rollback: the token remembers the larger
/// tree its key signed, and nothing is signed on the old tree.
#[test]
fn a_token_key_keeps_its_high_water_mark_and_refuses_a_restored_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let conf = token(d, "ledger");
    let uri = format!("pkcs11:token=ledger;object=log?module-path={MODULE}");
    let env = [
        ("SOFTHSM2_CONF", conf.as_str()),
        ("TRIAGE_LEDGER_PKCS11_PIN", "1234"),
    ];
    let ledger = d.join("ledger");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem");
    let (code, _, err) = run_env(
        &[
            "init",
            s(&ledger),
            "--origin",
            "example.org/mark",
            "--trust-root",
            s(&root),
            "--log-key",
            &uri,
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    let root_id = identity(d, "demo-root");
    let op = identity(d, "demo-operator");
    let des = d.join("des.cose");
    std::fs::write(
        &des,
        sign(
            d,
            "designate",
            &root_id,
            &["--role", "ssc", "--party", "SECGB-SSC-DEMO", "--note", "n"],
        ),
    )
    .unwrap();
    let reg = d.join("reg.cose");
    std::fs::write(
        &reg,
        sign(
            d,
            "register",
            &op,
            &["--facility", "TF-1", "--name", "N", "--site", "S"],
        ),
    )
    .unwrap();
    let (code, out, err) = run_env(&["submit", s(&ledger), s(&des)], &env);
    assert_eq!(code, 0, "{out}{err}");
    let backup = d.join("backup");
    let cp = |from: &Path, to: &Path| {
        let st = Command::new("cp")
            .args(["-a", s(from), s(to)])
            .status()
            .unwrap();
        assert!(st.success());
    };
    cp(&ledger, &backup);
    let (code, out, err) = run_env(&["submit", s(&ledger), s(&reg)], &env);
    assert_eq!(code, 0, "{out}{err}");
    // No mark in the directory; OpenSC lists it in the token, private.
    assert!(!ledger.join("private/log.high-water").exists());
    let listed = Command::new("pkcs11-tool")
        .args([
            "--module",
            MODULE,
            "--token-label",
            "ledger",
            "--login",
            "--pin",
            "1234",
            "--list-objects",
            "--type",
            "data",
        ])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    assert_eq!(
        listed.matches("high-water example.org/mark").count(),
        1,
        "one mark object: {listed}"
    );
    // The directory restored from before the second commit: refused.
    std::fs::remove_dir_all(&ledger).unwrap();
    cp(&backup, &ledger);
    let reg2 = d.join("reg2.cose");
    std::fs::write(
        &reg2,
        sign(
            d,
            "register",
            &op,
            &["--facility", "TF-2", "--name", "N", "--site", "S"],
        ),
    )
    .unwrap();
    let before = std::fs::read(ledger.join("log/checkpoint")).unwrap();
    let (code, out, err) = run_env(&["submit", s(&ledger), s(&reg2)], &env);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("ROLLBACK"), "{err}");
    assert!(err.contains("signed or seen published tree size"), "{err}");
    assert_eq!(
        std::fs::read(ledger.join("log/checkpoint")).unwrap(),
        before
    );
}

/// The scheme root's own key in the token: `cert root` self-signs there,
/// `cert issue` certifies an operator there, OpenSSL verifies the chain,
/// and a statement the operator signs is admitted under that root.
#[test]
fn the_scheme_roots_key_in_a_token_issues_certificates_openssl_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let conf = token(d, "scheme");
    let env = [
        ("SOFTHSM2_CONF", conf.as_str()),
        ("TRIAGE_LEDGER_PKCS11_PIN", "1234"),
    ];
    let root_uri = format!("pkcs11:token=scheme;object=root?module-path={MODULE}");
    let (code, _, err) = run_env(&["keys", "new-in-token", &root_uri], &env);
    assert_eq!(code, 0, "{err}");
    let root = d.join("root.pem");
    let (code, out, err) = run_env(
        &[
            "cert",
            "root",
            "--key",
            &root_uri,
            "--name",
            "Token Scheme Root",
            "--org",
            "Security Sub-Committee",
            "--out",
            s(&root),
        ],
        &env,
    );
    assert_eq!(code, 0, "{out}{err}");
    // An operator key in a file, certified by the root in the token.
    let (code, _, err) = run_env(&["keys", "new", "--out", s(&d.join("op"))], &[]);
    assert_eq!(code, 0, "{err}");
    let (op_key, op_pub) = (d.join("op.key"), d.join("op.pub"));
    let op_cert = d.join("op.pem");
    let (code, out, err) = run_env(
        &[
            "cert",
            "issue",
            "--root-cert",
            s(&root),
            "--root-key",
            &root_uri,
            "--key",
            s(&op_pub),
            "--role",
            "operator",
            "--name",
            "Ops",
            "--org",
            "Triage Ltd",
            "--party-id",
            "NTRGB-01234567",
            "--out",
            s(&op_cert),
        ],
        &env,
    );
    assert_eq!(code, 0, "{out}{err}");
    // OpenSSL, an independent implementation, verifies the chain.
    let v = Command::new("openssl")
        .args(["verify", "-CAfile", s(&root), s(&op_cert)])
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    // A ledger under that root admits the operator's registration.
    let ledger = d.join("ledger");
    let (code, _, err) = run_env(
        &[
            "init",
            s(&ledger),
            "--origin",
            "example.org/tokenroot",
            "--trust-root",
            s(&root),
            "--records",
            "public",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let reg = d.join("reg.cose");
    let (code, out, err) = run_env(
        &[
            "register",
            "--key",
            s(&op_key),
            "--cert",
            s(&op_cert),
            "--out",
            s(&reg),
            "--facility",
            "TF-1",
            "--name",
            "N",
            "--site",
            "S",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run_env(&["submit", s(&ledger), s(&reg)], &[]);
    assert_eq!(code, 0, "{out}{err}");
    // Without the PIN, the root signs nothing, and says why.
    let (code, _, err) = run_env(
        &[
            "cert",
            "root",
            "--key",
            &root_uri,
            "--name",
            "R",
            "--org",
            "O",
            "--out",
            s(&d.join("never.pem")),
        ],
        &[("SOFTHSM2_CONF", conf.as_str())],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no PIN for token scheme"), "{err}");
    assert!(!d.join("never.pem").exists());
}

/// A `--url` client whose TLS key is in the token: the operator reads its
/// own facility from a confidential ledger's service over mutual TLS, the
/// handshake signed in the token (TRIAGE_LEDGER_KEY=pkcs11:…).
#[test]
fn a_url_clients_tls_key_in_a_token_reads_by_role() {
    use super::http::{confidential_ledger, tls_pair};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let conf = token(d, "client");
    let op_uri = format!("pkcs11:token=client;object=op?module-path={MODULE}");
    let (ledger, _) = confidential_ledger(d, "example.org/tokentls");
    let (cert, key) = tls_pair(d, "srv");
    let server = Server::start(&[
        "serve",
        s(&ledger),
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
    ]);
    let root = identity(d, "demo-root");
    let op_cert = d.join("op-token.pem");
    let env_pin = [
        ("SOFTHSM2_CONF", conf.as_str()),
        ("TRIAGE_LEDGER_PKCS11_PIN", "1234"),
    ];
    let (code, out, err) = run_env(
        &[
            "cert",
            "issue",
            "--root-cert",
            &root.1,
            "--root-key",
            &root.0,
            "--key",
            &op_uri,
            "--role",
            "operator",
            "--name",
            "Token operations",
            "--org",
            "Token Triage Ltd",
            "--party-id",
            "NTRGB-07654321",
            "--out",
            s(&op_cert),
        ],
        &env_pin,
    );
    assert_eq!(code, 0, "{out}{err}");
    let reg = d.join("reg.cose");
    let (code, out, err) = run_env(
        &[
            "register",
            "--key",
            &op_uri,
            "--cert",
            s(&op_cert),
            "--out",
            s(&reg),
            "--facility",
            "TF-TOK",
            "--name",
            "Bay",
            "--site",
            "Site",
        ],
        &env_pin,
    );
    assert_eq!(code, 0, "{out}{err}");
    let ca = ("TRIAGE_LEDGER_CA", cert.as_str());
    let (code, out, err) = run_env(
        &["submit", "--url", &server.url, "--transparent", s(&reg)],
        &[ca],
    );
    assert_eq!(code, 0, "{out}{err}");
    let trust = d.join("trust");
    std::fs::create_dir_all(&trust).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-root.pem"),
        trust.join("root.pem"),
    )
    .unwrap();
    std::fs::copy(ledger.join("vkey"), trust.join("log.vkey")).unwrap();
    std::fs::copy(ledger.join("labels.vrf"), trust.join("labels.vrf")).unwrap();
    let mine = d.join("reg.cose.transparent");
    let filed = |env: &[(&str, &str)]| {
        run_env(
            &[
                "filed",
                s(&mine),
                "--url",
                &server.url,
                "--trust",
                s(&trust),
            ],
            env,
        )
    };
    let op_cert_s = s(&op_cert).to_string();
    let as_token = [
        ca,
        ("SOFTHSM2_CONF", conf.as_str()),
        ("TRIAGE_LEDGER_PKCS11_PIN", "1234"),
        ("TRIAGE_LEDGER_CERT", op_cert_s.as_str()),
        ("TRIAGE_LEDGER_KEY", op_uri.as_str()),
    ];
    let (code, out, err) = filed(&as_token);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("filed under facility TF-TOK"), "{out}");
    // Without the PIN: no handshake, and the reason named.
    let (code, _, err) = filed(&[
        ca,
        ("SOFTHSM2_CONF", conf.as_str()),
        ("TRIAGE_LEDGER_CERT", op_cert_s.as_str()),
        ("TRIAGE_LEDGER_KEY", op_uri.as_str()),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("no PIN for token client"), "{err}");
    // A certificate of another key: refused before any request.
    let other = identity(d, "demo-operator");
    let (code, _, err) = filed(&[
        ca,
        ("SOFTHSM2_CONF", conf.as_str()),
        ("TRIAGE_LEDGER_PKCS11_PIN", "1234"),
        ("TRIAGE_LEDGER_CERT", other.1.as_str()),
        ("TRIAGE_LEDGER_KEY", op_uri.as_str()),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("is not the key of"), "{err}");
}
