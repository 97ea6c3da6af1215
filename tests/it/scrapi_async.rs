//! SCRAPI's asynchronous registration against the real service: `Prefer:
//! respond-async` gets `303` to an operation, polled until it ends in the
//! receipt (`200`, `Location: /entries/INDEX`) or in the same refusal a
//! synchronous request gets.

use std::time::{Duration, Instant};

use crate::http::{get, identity, policy_ledger, post_cose, s, sign, Server};

/// A client that neither follows redirects nor fails on 4xx/5xx.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// `POST /entries` asking for an asynchronous answer: status, Location,
/// Retry-After.
fn post_async(url: &str, body: &[u8]) -> (u16, String, Option<String>) {
    let r = agent()
        .post(&format!("{url}/entries"))
        .header("Content-Type", "application/cose")
        .header("Prefer", "respond-async")
        .send(body)
        .unwrap();
    let h = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    (
        r.status().as_u16(),
        h("location").unwrap_or_default(),
        h("retry-after"),
    )
}

/// Polls `url` until it stops answering 302: its final status, Location
/// and body.
fn poll(url: &str) -> (u16, Option<String>, Vec<u8>) {
    let start = Instant::now();
    loop {
        let mut r = agent().get(url).call().unwrap();
        let status = r.status().as_u16();
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if status != 302 {
            return (status, loc, r.body_mut().read_to_vec().unwrap());
        }
        assert!(
            url.ends_with(loc.as_deref().unwrap()),
            "302 to itself: {loc:?}"
        );
        assert!(start.elapsed() < Duration::from_secs(30), "still running");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_asynchronous_registration_is_polled_to_its_receipt_or_its_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ledger, root_pem) = policy_ledger(d);
    let op = identity(d, "demo-operator");
    let regs: Vec<Vec<u8>> = (0..8)
        .map(|i| {
            let f = format!("TF-{i}");
            sign(
                d,
                "register",
                &op,
                &["--facility", &f, "--name", "N", "--site", "S"],
            )
        })
        .collect();
    let server = Server::start(&["serve", s(&ledger), "--listen", "127.0.0.1:0"]);
    let url = server.url.clone();
    // Several at once: each gets its own operation.
    let ops: Vec<String> = std::thread::scope(|sc| {
        let hs: Vec<_> = regs[..6]
            .iter()
            .map(|r| {
                let url = url.clone();
                sc.spawn(move || {
                    let (status, loc, retry) = post_async(&url, r);
                    assert_eq!(status, 303, "{loc}");
                    assert_eq!(retry.as_deref(), Some("1"));
                    assert!(loc.starts_with("/entries/op-"), "{loc}");
                    // 128 random bits, hex.
                    assert_eq!(loc.len(), "/entries/op-".len() + 32, "{loc}");
                    loc
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let unique: std::collections::BTreeSet<_> = ops.iter().collect();
    assert_eq!(unique.len(), ops.len());
    let vkey = ledger.join("vkey");
    for (i, loc) in ops.iter().enumerate() {
        let (status, entry, receipt) = poll(&format!("{url}{loc}"));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&receipt));
        let entry = entry.expect("the entry's Location");
        let index: u64 = entry.strip_prefix("/entries/").unwrap().parse().unwrap();
        // The entry is the statement sent, and the receipt proves it.
        let (st, logged) = get(&format!("{url}{entry}/statement"));
        assert_eq!((st, &logged), (200, &regs[i]));
        let r = triage_ledger::cose::Receipt::parse(&receipt).unwrap();
        let vk =
            triage_ledger::note::VerifierKey::parse(std::fs::read_to_string(&vkey).unwrap().trim())
                .unwrap();
        r.verify(&regs[i], &vk).unwrap();
        assert_eq!(r.proof().index(), index);
        // Read again: the same answer while it is kept.
        assert_eq!(poll(&format!("{url}{loc}")).0, 200);
    }
    // The same statement again: registration is idempotent, the
    // operation ends in the same entry.
    let (status, loc, _) = post_async(&url, &regs[0]);
    assert_eq!(status, 303);
    let (status, entry, _) = poll(&format!("{url}{loc}"));
    assert_eq!(status, 200);
    assert_eq!(entry, post_cose(&url, &regs[0]).1);
    // A statement the policy refuses (an operator cannot decide): the
    // operation ends in the refusal a synchronous request gets, with its
    // rule and code.
    let decision = sign(
        d,
        "decide",
        &op,
        &[
            "--facility",
            "TF-1",
            "--assessment",
            "FUSA",
            "--outcome",
            "approved",
            "--report",
            s(&root_pem),
        ],
    );
    let (status, loc, _) = post_async(&url, &decision);
    assert_eq!(status, 303);
    let (status, _, problem) = poll(&format!("{url}{loc}"));
    let (sync_status, _, sync_problem) = post_cose(&url, &decision);
    assert_eq!((status, &problem), (400, &sync_problem), "{sync_status}");
    let text = String::from_utf8_lossy(&problem);
    assert!(text.contains("rule") && text.contains("code"), "{text}");
    // Malformed input is refused at once, as synchronously: no operation.
    let (status, loc, _) = post_async(&url, b"not a statement");
    assert_eq!(status, 400, "{loc}");
    assert!(loc.is_empty());
    // An unknown operation, and one from before a restart: 404, saying so.
    let (status, body) = get(&format!(
        "{url}/entries/op-00000000000000000000000000000000"
    ));
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("register the statement again"));
    drop(server);
    let again = Server::start(&["serve", s(&ledger), "--listen", "127.0.0.1:0"]);
    let (status, _) = get(&format!("{}{}", again.url, ops[0]));
    assert_eq!(status, 404);
    // Without the preference, registration is synchronous: 201.
    assert_eq!(post_cose(&again.url, &regs[7]).0, 201);
    // Not an index, not an operation.
    assert_eq!(get(&format!("{}/entries/x", again.url)).0, 404);
}
