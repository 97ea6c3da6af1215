//! `serve`: the ledger over HTTP (see `triage_ledger::server::ledger`).

use std::path::{Path, PathBuf};

use super::failure::{CmdResult, Failure};

/// `serve LEDGER --listen ADDR [--trust DIR [--witness NAME=URL…]]`:
/// prints the address, serves until SIGTERM or Ctrl-C, then finishes and
/// answers what is being committed. NAME is a witness of the trust policy,
/// whose key checks its answers.
pub fn serve_with(
    ledger: &Path,
    listen: &Listen,
    skew: u64,
    witnesses: &[String],
    trust: Option<&Path>,
    tsa: Option<&str>,
) -> CmdResult {
    let tsa = match (tsa, trust) {
        (Some(url), Some(t)) => Some(super::lifecycle::tsa_client(url, t)?),
        (Some(_), None) => {
            return Err(Failure::input(
                "--tsa needs --trust DIR: its tsa/*.pem are the TSAs whose tokens are kept",
            ))
        }
        (None, _) => None,
    };
    let policy = match trust {
        Some(dir) => Some(
            triage_ledger::verify::Trust::load(dir)
                .map_err(|e| Failure::input(e.to_string()))?
                .policy,
        ),
        None => None,
    };
    let mut at = Vec::new();
    if !witnesses.is_empty() && policy.is_none() {
        return Err(Failure::input(
            "--witness needs --trust DIR: the trust policy names each witness's key",
        ));
    }
    for w in witnesses {
        let (name, url) = w
            .split_once('=')
            .ok_or_else(|| Failure::input(format!("--witness {w:?}: expected NAME=URL")))?;
        triage_ledger::remote::check_url(url).map_err(|e| Failure::from(e).flag("--witness"))?;
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
    triage_ledger::server::init_logging();
    if listen.tls_cert.is_none() {
        let confidential = triage_ledger::store::Layout::new(ledger).is_confidential();
        triage_ledger::server::check_plain_http(confidential, &listen.listen)
            .map_err(Failure::input)?;
    }
    // Before listening: the library refuses what it will not serve.
    let started = triage_ledger::server::ledger::start(
        ledger.to_path_buf(),
        triage_ledger::server::ledger::Options {
            skew,
            witnesses: at,
            policy,
            tsa,
        },
    )?;
    for w in &started.warnings {
        use triage_ledger::server::ledger::Warning;
        let hint = match w {
            Warning::NoWitnessesForPolicy => "give --witness NAME=URL",
            Warning::NoWitnesses => "give --trust DIR --witness NAME=URL",
            Warning::NoTrustPolicy => "give --trust DIR",
        };
        tell!("warning: {w}; {hint}");
    }
    let announcer = started.announcer;
    let (router, committer) = (started.router, started.committer);
    if started.clients.is_some() && listen.tls_cert.is_none() {
        tell!("warning: this ledger is confidential and the service is plain HTTP: readers cannot present certificates, so only its public tree and registration are answered; give --tls-cert and --tls-key");
    }
    let served = run_service(listen, router, started.clients, &|url| {
        if let Err(e) = announcer.announce(url) {
            tell!("warning: writers of the ledger will not be told where the service is: {e}");
        }
    });
    // With the runtime gone, so is every sender: the committer finishes the
    // last group and stops.
    committer.join();
    served
}

/// Where a service listens: `--listen`, and `--tls-cert/--tls-key` for HTTPS.
#[derive(clap::Args, Debug, Clone)]
pub struct Listen {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0: any free port).
    #[arg(long)]
    pub listen: String,
    /// Serve HTTPS with this PEM certificate chain (leaf first).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key (PKCS#8, PKCS#1 or SEC1) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl Listen {
    /// Plain HTTP on `addr`.
    pub fn plain(addr: &str) -> Listen {
        Listen {
            listen: addr.to_string(),
            tls_cert: None,
            tls_key: None,
        }
    }
}

/// Serves `router` as `listen` says until SIGTERM or Ctrl-C: prints
/// `listening on URL` once bound, and returns when the requests in flight
/// are answered and the runtime is gone.
pub fn run_service(
    listen: &Listen,
    router: axum::Router,
    clients: Option<triage_ledger::identity::Certificate>,
    on_listen: &dyn Fn(&str),
) -> CmdResult {
    let tls = match (&listen.tls_cert, &listen.tls_key) {
        (Some(cert), Some(key)) => Some(
            triage_ledger::server::Tls::load_for(cert, key, clients)
                .map_err(|e| Failure::input(e.to_string()))?,
        ),
        _ => None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::input(format!("runtime: {e}")))?;
    let addr = &listen.listen;
    let served = rt.block_on(async {
        let bound = triage_ledger::server::Bound::bind(addr, tls)
            .await
            .map_err(|e| Failure::input(format!("listen on {addr}: {e}")))?;
        let url = bound
            .url()
            .map_err(|e| Failure::input(format!("listen on {addr}: {e}")))?;
        // The signal handlers first: a SIGTERM sent as soon as the service
        // says it listens shuts it down gracefully.
        let shutdown = triage_ledger::server::terminated();
        on_listen(&url);
        say!("listening on {url}");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        triage_ledger::server::serve(bound, router, shutdown)
            .await
            .map_err(|e| Failure::input(format!("serve: {e}")))
    });
    drop(rt);
    served
}
