//! A confidential ledger under SIGKILL: every statement answered 201 is
//! there after the crash, openable, and the ledger audits clean (its state
//! index, replayed through the openings, agrees).

use super::http::{confidential_ledger, identity, post_cose, run, s, send_signal, sign, Server};

#[test]
fn sigkill_under_load_loses_no_acknowledged_statement_of_a_confidential_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ledger, _) = confidential_ledger(d, "example.org/kill");
    assert!(
        ledger.join("labels.vrf").exists(),
        "confidential by default"
    );
    let op = identity(d, "demo-operator");
    let regs: Vec<Vec<u8>> = (0..40)
        .map(|i| {
            sign(
                d,
                "register",
                &op,
                &[
                    "--facility",
                    &format!("TF-{i}"),
                    "--name",
                    "N",
                    "--site",
                    "S",
                ],
            )
        })
        .collect();
    let server = Server::start(&["serve", s(&ledger), "--listen", "127.0.0.1:0"]);
    let url = server.url.clone();
    assert_eq!(post_cose(&url, &regs[0]).0, 201);
    let pid = server.child.id();
    let acknowledged: Vec<(Vec<u8>, u64)> = std::thread::scope(|sc| {
        let hs: Vec<_> = regs[1..]
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let url = url.clone();
                sc.spawn(move || {
                    if k == 15 {
                        send_signal(pid, "KILL");
                    }
                    match post_cose(&url, r) {
                        (201, Some(loc), _) => {
                            Some((r.clone(), loc.rsplit('/').next().unwrap().parse().unwrap()))
                        }
                        _ => None,
                    }
                })
            })
            .collect();
        hs.into_iter().filter_map(|h| h.join().unwrap()).collect()
    });
    let _ = server.terminate_wait();
    let (code, out, err) = run(&["log", "audit", s(&ledger)], b"");
    assert_eq!(code, 0, "{out}{err}");
    let l = triage_ledger::store::Snapshot::open(&ledger).unwrap();
    for (bytes, index) in &acknowledged {
        assert_eq!(
            &l.read_entry(*index).unwrap(),
            bytes,
            "entry {index} answered 201"
        );
        assert!(triage_ledger::commitment::is_leaf(
            &l.read_leaf(*index).unwrap()
        ));
    }
    // And it takes statements again.
    let again = Server::start(&["serve", s(&ledger), "--listen", "127.0.0.1:0"]);
    let (st, _, _) = post_cose(&again.url, &regs[39]);
    assert_eq!(st, 201);
    assert_eq!(again.terminate(), Some(0));
}
