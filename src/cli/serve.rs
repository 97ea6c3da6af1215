//! `serve`: the ledger over HTTP (see `triage_ledger::server::ledger`).

use std::path::Path;

use super::{CmdResult, Failure};

/// `serve LEDGER --listen ADDR`: prints the address, serves until SIGTERM
/// or Ctrl-C, then finishes and answers what is being committed.
pub fn serve(ledger: &Path, listen: &str, skew: u64) -> CmdResult {
    serve_with(ledger, listen, skew, &[], None)
}

/// `serve … --witness NAME=URL… --trust DIR`: NAME is a witness of the
/// trust policy, whose key checks its answers.
pub fn serve_with(
    ledger: &Path,
    listen: &str,
    skew: u64,
    witnesses: &[String],
    trust: Option<&Path>,
) -> CmdResult {
    let policy = match trust {
        Some(dir) => Some(
            triage_ledger::verify::Trust::load(dir)
                .map_err(|e| Failure::input(e.to_string()))?
                .policy,
        ),
        None => None,
    };
    let mut at = Vec::new();
    for w in witnesses {
        let (name, url) = w
            .split_once('=')
            .ok_or_else(|| Failure::input(format!("--witness {w:?}: expected NAME=URL")))?;
        let key = policy
            .as_ref()
            .and_then(|p| p.witnesses().iter().find(|x| x.name == name))
            .map(|x| x.key.clone())
            .ok_or_else(|| {
                Failure::input(format!(
                    "--witness {name}: no witness of that name in the trust policy"
                ))
            })?;
        at.push(triage_ledger::server::ledger::WitnessAt {
            key,
            url: url.to_string(),
        });
    }
    serve_inner(ledger, listen, skew, at)
}

fn serve_inner(
    ledger: &Path,
    listen: &str,
    skew: u64,
    witnesses: Vec<triage_ledger::server::ledger::WitnessAt>,
) -> CmdResult {
    triage_ledger::server::init_logging();
    // Before listening: the library refuses what it will not serve.
    let (router, committer) = triage_ledger::server::ledger::router_with_witnesses(
        ledger.to_path_buf(),
        skew,
        witnesses,
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::input(format!("runtime: {e}")))?;
    let served = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| Failure::input(format!("listen on {listen}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::input(format!("listen on {listen}: {e}")))?;
        println!("listening on http://{addr}");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        triage_ledger::server::serve(listener, router, triage_ledger::server::terminated())
            .await
            .map_err(|e| Failure::input(format!("serve: {e}")))
    });
    // With the runtime gone, so is every sender: the committer finishes the
    // last group and stops.
    drop(rt);
    committer.join();
    served
}
