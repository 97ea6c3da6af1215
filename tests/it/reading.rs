//! Reading by role on a confidential ledger's real service, over mutual
//! TLS with the demo's certificates: each reader gets exactly what the
//! table of FORMATS §27 allows; a certificate of another root fails the
//! handshake.

use std::path::Path;

use super::http::{confidential_ledger, identity, run, run_env, s, sign, tls_pair, Server};

/// An HTTPS client trusting the server's certificate `ca`, presenting
/// `who` (certificate, key) if given.
fn reader(ca: &str, who: Option<(&str, &str)>) -> ureq::Agent {
    use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
    let certs = |path: &str| -> Vec<Certificate<'static>> {
        let pem = std::fs::read(path).unwrap();
        ureq::tls::parse_pem(&pem)
            .filter_map(|i| match i.unwrap() {
                PemItem::Certificate(c) => Some(c.to_owned()),
                _ => None,
            })
            .collect()
    };
    let mut tls = TlsConfig::builder().root_certs(RootCerts::new_with_certs(&certs(ca)));
    if let Some((cert, key)) = who {
        let key = PrivateKey::from_pem(&std::fs::read(key).unwrap()).unwrap();
        tls = tls.client_cert(Some(ClientCert::new_with_certs(&certs(cert), key)));
    }
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(tls.build())
        .build()
        .into()
}

/// GET `url` as `agent`: the status and body, or the error (a refused
/// handshake).
fn read(agent: &ureq::Agent, url: &str) -> Result<(u16, String), String> {
    let mut r = agent.get(url).call().map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    Ok((status, r.body_mut().read_to_string().unwrap_or_default()))
}

#[test]
fn each_reader_reads_what_its_role_allows_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ledger, root_pem) = confidential_ledger(d, "example.org/roles");
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
    let ca = [("TRIAGE_LEDGER_CA", cert.as_str())];
    let root = identity(d, "demo-root");
    let ssc = identity(d, "demo-ssc");
    let op = identity(d, "demo-operator");
    let rival = identity(d, "demo-rival-operator");
    let cio = identity(d, "demo-user-cio");
    let statements = [
        sign(
            d,
            "designate",
            &root,
            &["--role", "ssc", "--party", "SECGB-SSC-DEMO", "--note", "n"],
        ),
        sign(
            d,
            "designate",
            &ssc,
            &[
                "--role",
                "user-cio",
                "--party",
                "NTRGB-DEMO0002",
                "--note",
                "n",
            ],
        ),
        sign(
            d,
            "register",
            &op,
            &["--facility", "TF-OURS", "--name", "Bay 1", "--site", "Ours"],
        ),
        sign(
            d,
            "register",
            &rival,
            &[
                "--facility",
                "TF-THEIRS",
                "--name",
                "Bay 2",
                "--site",
                "Theirs",
            ],
        ),
    ];
    let mut files = Vec::new();
    for (k, st) in statements.iter().enumerate() {
        let f = d.join(format!("st{k}.cose"));
        std::fs::write(&f, st).unwrap();
        files.push(f);
    }
    let mut args = vec!["submit", "--url", &server.url, "--transparent"];
    args.extend(files.iter().map(|f| s(f)));
    let (code, out, err) = run_env(&args, &ca);
    assert_eq!(code, 0, "{out}{err}");
    // Entries: designations 0 and 2, TF-OURS's registration 4, TF-THEIRS's 6.
    assert!(out.contains("st3.cose: entry 6"), "{out}");

    let url = |p: &str| format!("{}{p}", server.url);
    let anonymous = reader(&cert, None);
    let as_op = reader(&cert, Some((&op.1, &op.0)));
    let as_rival = reader(&cert, Some((&rival.1, &rival.0)));
    let as_cio = reader(&cert, Some((&cio.1, &cio.0)));
    let as_ssc = reader(&cert, Some((&ssc.1, &ssc.0)));
    let as_root = reader(&cert, Some((&root.1, &root.0)));

    // Anyone: the public tree; nothing of a record.
    assert_eq!(read(&anonymous, &url("/checkpoint")).unwrap().0, 200);
    for p in ["/facilities", "/facilities/TF-OURS", "/entries/4/statement"] {
        assert_eq!(read(&anonymous, &url(p)).unwrap().0, 401, "anonymous {p}");
    }
    // The owning operator: its facility, its statements, the scheme's.
    let (status, body) = read(&as_op, &url("/facilities/TF-OURS")).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("TF-OURS") && !body.contains("TF-THEIRS"),
        "{body}"
    );
    let (status, body) = read(&as_op, &url("/facilities")).unwrap();
    assert_eq!(status, 200);
    assert!(
        body.contains("TF-OURS") && !body.contains("TF-THEIRS"),
        "{body}"
    );
    assert_eq!(
        read(&as_op, &url("/facilities/TF-OURS/pack")).unwrap().0,
        200
    );
    assert_eq!(read(&as_op, &url("/entries/4/statement")).unwrap().0, 200);
    assert_eq!(
        read(&as_op, &url("/entries/0/statement")).unwrap().0,
        200,
        "scheme-level"
    );
    // ... and of the rival's, exactly what a facility that does not exist gets.
    let missing = read(&as_op, &url("/facilities/TF-NONE")).unwrap();
    assert_eq!(missing.0, 404);
    for p in [
        "/facilities/TF-THEIRS",
        "/facilities/TF-THEIRS/pack",
        "/entries/6/statement",
    ] {
        assert_eq!(read(&as_op, &url(p)).unwrap(), missing, "operator {p}");
    }
    // The rival: the mirror image.
    assert_eq!(
        read(&as_rival, &url("/facilities/TF-OURS")).unwrap(),
        missing
    );
    assert_eq!(
        read(&as_rival, &url("/facilities/TF-THEIRS")).unwrap().0,
        200
    );
    // The User CIO, the SSC and the root: everything.
    for (who, agent) in [("cio", &as_cio), ("ssc", &as_ssc), ("root", &as_root)] {
        let (status, body) = read(agent, &url("/facilities")).unwrap();
        assert_eq!(status, 200, "{who}");
        assert!(
            body.contains("TF-OURS") && body.contains("TF-THEIRS"),
            "{who}: {body}"
        );
        assert_eq!(
            read(agent, &url("/entries/6/statement")).unwrap().0,
            200,
            "{who}"
        );
    }
    // The CLI's client presents the signer's certificate.
    let mut env = ca.to_vec();
    env.push(("TRIAGE_LEDGER_CERT", op.1.as_str()));
    env.push(("TRIAGE_LEDGER_KEY", op.0.as_str()));
    let (code, out, err) = run_env(
        &["status", "--url", &server.url, "--facility", "TF-OURS"],
        &env,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("TF-OURS"), "{out}");
    let (code, _, err) = run_env(
        &["status", "--url", &server.url, "--facility", "TF-THEIRS"],
        &env,
    );
    assert_ne!(code, 0, "{err}");
    // A rival's statement about TF-OURS is refused exactly as one about a
    // facility that does not exist: no owner named, no existence told.
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scheme/TF-0001-tools.json");
    let theirs = sign(
        d,
        "inventory",
        &rival,
        &["--facility", "TF-OURS", "--file", s(&tools)],
    );
    let none = sign(
        d,
        "inventory",
        &rival,
        &["--facility", "TF-NONE", "--file", s(&tools)],
    );
    let post = |body: &[u8]| -> (u16, Vec<u8>) {
        let mut r = anonymous
            .post(&url("/entries"))
            .header("Content-Type", "application/cose")
            .send(body)
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_vec().unwrap())
    };
    let (st_ours, body_ours) = post(&theirs);
    let (st_none, body_none) = post(&none);
    assert_eq!((st_ours, st_none), (400, 400));
    let swapped: Vec<u8> = {
        let mut b = body_ours.clone();
        for i in 0..b.len().saturating_sub(6) {
            if &b[i..i + 7] == b"TF-OURS" {
                b[i..i + 7].copy_from_slice(b"TF-NONE");
            }
        }
        b
    };
    assert_eq!(
        swapped,
        body_none,
        "{}",
        String::from_utf8_lossy(&body_ours)
    );
    assert!(
        !String::from_utf8_lossy(&body_ours).contains("NTRGB-DEMO0001"),
        "{}",
        String::from_utf8_lossy(&body_ours)
    );
    // Self-monitoring: the operator checks, with its own certificate, that
    // the log filed its registration under TF-OURS.
    let trust = d.join("trust");
    std::fs::create_dir_all(&trust).unwrap();
    std::fs::copy(&root_pem, trust.join("root.pem")).unwrap();
    std::fs::copy(ledger.join("vkey"), trust.join("log.vkey")).unwrap();
    std::fs::copy(ledger.join("labels.vrf"), trust.join("labels.vrf")).unwrap();
    let mine = d.join("st2.cose.transparent");
    let (code, out, err) = run_env(
        &[
            "filed",
            s(&mine),
            "--url",
            &server.url,
            "--trust",
            s(&trust),
        ],
        &env,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("filed under facility TF-OURS"), "{out}");
    // The rival cannot even read that facility's pack to check it.
    let rival_env = [
        ca[0],
        ("TRIAGE_LEDGER_CERT", rival.1.as_str()),
        ("TRIAGE_LEDGER_KEY", rival.0.as_str()),
    ];
    let (code, _, err) = run_env(
        &[
            "filed",
            s(&mine),
            "--url",
            &server.url,
            "--trust",
            s(&trust),
        ],
        &rival_env,
    );
    assert_ne!(code, 0, "{err}");
    // A key that is not the certificate's is refused before any request.
    env[2] = ("TRIAGE_LEDGER_KEY", rival.0.as_str());
    let (code, _, err) = run_env(&["status", "--url", &server.url], &env);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not the key of"), "{err}");

    // A certificate from another root fails the handshake.
    let other = d.join("other");
    std::fs::create_dir_all(&other).unwrap();
    let o = |f: &str| s(&other.join(f)).to_string();
    for args in [
        vec!["keys", "new", "--out", &o("root")],
        vec![
            "cert",
            "root",
            "--key",
            &o("root.key"),
            "--name",
            "Another Root",
            "--org",
            "Elsewhere",
            "--out",
            &o("root.pem"),
        ],
        vec!["keys", "new", "--out", &o("op")],
        vec![
            "cert",
            "issue",
            "--root-cert",
            &o("root.pem"),
            "--root-key",
            &o("root.key"),
            "--key",
            &o("op.pub"),
            "--role",
            "operator",
            "--name",
            "Impostor",
            "--org",
            "Elsewhere",
            "--party-id",
            "NTRGB-DEMO0001",
            "--out",
            &o("op.pem"),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(|a| a.as_ref()).collect();
        let (code, _, err) = run(&args, b"");
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let impostor = reader(&cert, Some((&o("op.pem"), &o("op.key"))));
    assert!(
        read(&impostor, &url("/facilities/TF-OURS")).is_err(),
        "handshake refused"
    );
    assert_eq!(server.terminate(), Some(0));
}
