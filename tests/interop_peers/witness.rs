//! tlog-witness over HTTP (FORMATS §17).

use super::*;

#[test]
fn aics_witness_server_cosigns_for_our_client_and_refuses_another_key() {
    setup();
    let tmp = scratch();
    let port = free_port().to_string();
    let mut c = Command::new("bash");
    c.arg(repo().join("interop/witness_aics_server.sh"))
        .args([port.as_str(), s(&tmp.path().join("w"))]);
    let out = passes(run(c, "witness_aics_server.sh"), "their server, our client");
    says(&out, "size 5 cosigned after a 409");
    says(&out, "aics-tlog verify-checkpoint");
    says(&out, "refused a checkpoint");
    says(&out, "verified");
}

#[test]
fn our_witness_server_answers_the_aics_witness_client_as_the_spec_says() {
    let tmp = scratch();
    let port = free_port().to_string();
    let out = passes(
        py(
            "witness_aics_client.py",
            &[port.as_str(), s(&tmp.path().join("w"))],
        ),
        "our server, their client",
    );
    says(&out, "size 8 by a client without state (409, then old 7)");
    says(&out, "refused it with 403");
    says(&out, "refused it with 422");
    says(&out, "refused it with 409");
    says(&out, "exited 0 on SIGTERM");
}
