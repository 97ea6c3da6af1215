//! `serve`: the ledger over HTTP (see `triage_ledger::server::ledger`).

use std::path::Path;

use super::{CmdResult, Failure};

/// `serve LEDGER --listen ADDR`: prints the address, serves until SIGTERM
/// or Ctrl-C, then finishes and answers what is being committed.
pub fn serve(ledger: &Path, listen: &str, skew: u64) -> CmdResult {
    // Fail early if this is no ledger, or one without a trust root.
    triage_ledger::policy::load_state(ledger).map_err(|e| Failure::input(e.to_string()))?;
    if !triage_ledger::store::Layout::new(ledger)
        .trust_root()
        .exists()
    {
        return Err(Failure::input(format!(
            "{} has no trust root: only a policy ledger is served",
            ledger.display()
        ))
        .hint("create one with: triage-ledger init LEDGER --origin ORIGIN --trust-root ROOT.pem"));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::input(format!("runtime: {e}")))?;
    let (router, committer) = triage_ledger::server::ledger::router(ledger.to_path_buf(), skew);
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
