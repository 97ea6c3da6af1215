//! HTTP services over the library: each handler parses the request, calls
//! the library, and maps its typed error to a status. No rule lives here.
//!
//! - [`ledger`]: SCITT registration, receipts, tiles, status and packs;
//! - [`witness`]: c2sp.org/tlog-witness `POST /add-checkpoint`.

pub mod access;
mod conn;
pub mod ledger;
mod reads;
mod register;
mod rounds;
mod tiles;
mod tls;
pub mod witness;

pub use conn::Limits;
pub use tls::{Tls, TlsError};

use std::future::Future;

use axum::http::StatusCode;

use crate::class::{Class, Classify};

/// The HTTP status of each class of library failure: the one place a
/// service chooses a status for an error.
pub fn status_of(class: Class) -> StatusCode {
    match class {
        // The client's input: refused by a rule, or not understood.
        Class::Refused | Class::BadInput => StatusCode::BAD_REQUEST,
        Class::NotFound => StatusCode::NOT_FOUND,
        Class::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        // The service's own data failed a check, or a file failed.
        Class::VerificationFailed | Class::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A failed request: its class (hence its status) and what to say.
#[derive(Clone, Debug)]
pub(crate) struct Failed {
    pub(crate) class: Class,
    pub(crate) detail: String,
}

impl Failed {
    /// A library error.
    pub(crate) fn of(e: &(impl Classify + std::fmt::Display)) -> Self {
        Failed {
            class: e.class(),
            detail: e.to_string(),
        }
    }
    /// A failure the handler found itself.
    pub(crate) fn new(class: Class, detail: impl Into<String>) -> Self {
        Failed {
            class,
            detail: detail.into(),
        }
    }
}

/// Installs the structured log (stderr, one line per event with its
/// fields): level from `TRIAGE_LEDGER_LOG` (`error`, `warn`, `info` —
/// the default —, `debug`, `trace`). Each request is logged with its
/// method, path, status and latency; each commit with its counts.
pub fn init_logging() {
    let level = std::env::var("TRIAGE_LEDGER_LOG")
        .ok()
        .and_then(|v| v.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// A bound listening socket, plain or TLS.
pub struct Bound {
    tcp: tokio::net::TcpListener,
    tls: Option<Tls>,
}

impl Bound {
    /// Binds `addr` (e.g. `127.0.0.1:8080`; port 0 for any free port), with
    /// TLS when given its configuration. Needs a tokio runtime.
    pub async fn bind(addr: &str, tls: Option<Tls>) -> std::io::Result<Bound> {
        let tcp = tokio::net::TcpListener::bind(addr).await?;
        Ok(Bound { tcp, tls })
    }

    /// The base URL clients use: `http://ADDR` or `https://ADDR`.
    pub fn url(&self) -> std::io::Result<String> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        Ok(format!("{scheme}://{}", self.tcp.local_addr()?))
    }
}

/// Serves `router` on `listener` until `shutdown` completes; requests in
/// flight are finished and answered first. Requests are logged. The
/// connection limits are [`Limits::for_this_process`].
pub async fn serve(
    listener: Bound,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, shutdown, Limits::for_this_process()).await
}

/// [`serve`] with the given connection limits.
pub async fn serve_with(
    listener: Bound,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    let url = listener.url()?;
    tracing::info!(
        %url,
        max_connections = limits.max_connections,
        max_per_peer = limits.max_per_peer,
        idle_s = limits.idle.as_secs(),
        "listening"
    );
    let router = router.layer(traced());
    let tls = listener.tls.map(|t| t.acceptor());
    conn::accept_loop(listener.tcp, tls, router, shutdown, limits).await
}

/// The request log: a span per request (method, path with any facility id
/// masked: [`logged_path`]), and its status and latency when answered, at
/// INFO.
fn traced() -> tower_http::trace::TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    Masked,
> {
    use tower_http::trace::{DefaultOnResponse, TraceLayer};
    TraceLayer::new_for_http()
        .make_span_with(Masked)
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
}

/// A request's span with its path as [`logged_path`] gives it (no query,
/// no facility id): a service's log holds no record of a confidential
/// ledger (FORMATS §27).
#[derive(Clone, Copy, Debug)]
pub struct Masked;

impl<B> tower_http::trace::MakeSpan<B> for Masked {
    fn make_span(&mut self, req: &axum::http::Request<B>) -> tracing::Span {
        tracing::info_span!(
            "request",
            method = %req.method(),
            path = %logged_path(req.uri().path()),
        )
    }
}

/// Whether a confidential ledger may be served over plain HTTP at
/// `listen`: only on a loopback address (a test, or a TLS-terminating
/// proxy on the same machine). Elsewhere statements would cross the
/// network in clear, and no reader could present a certificate: the error
/// says so, and to give `--tls-cert` and `--tls-key`.
pub fn check_plain_http(confidential: bool, listen: &str) -> Result<(), String> {
    if !confidential {
        return Ok(());
    }
    let loopback = match listen.parse::<std::net::SocketAddr>() {
        Ok(a) => a.ip().is_loopback(),
        Err(_) => listen
            .rsplit_once(':')
            .is_some_and(|(host, _)| host == "localhost"),
    };
    match loopback {
        true => Ok(()),
        false => Err(format!(
            "--listen {listen}: this ledger is confidential, and plain HTTP would carry its statements in clear on the network and let no reader present a certificate; serve it with --tls-cert and --tls-key (plain HTTP only on a loopback address)"
        )),
    }
}

/// A request path as the log shows it: the segment after `facilities/`
/// (a facility id, which a confidential ledger keeps from its log) masked
/// as `*`; the query is never logged.
pub fn logged_path(path: &str) -> String {
    let mut out = Vec::new();
    let mut after_facilities = false;
    for seg in path.split('/') {
        // A facility's id names a record; an asynchronous registration's
        // id is the capability to read its answer (which may name one).
        let masked = after_facilities || seg.starts_with("op-");
        out.push(if masked { "*" } else { seg });
        after_facilities = seg == "facilities";
    }
    out.join("/")
}

/// Completes on SIGTERM or SIGINT. The handlers are installed when this is
/// called (inside a runtime), not when the future is first polled: a
/// service calls it before it says it listens, so a signal sent as soon as
/// it listens is answered by a graceful shutdown, never by the default
/// action (the process killed).
pub fn terminated() -> impl Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        match (term, int) {
            (Ok(mut t), Ok(mut i)) => {
                tokio::select! {
                    _ = t.recv() => {}
                    _ = i.recv() => {}
                }
            }
            (Ok(mut t), Err(_)) => {
                t.recv().await;
            }
            (Err(_), Ok(mut i)) => {
                i.recv().await;
            }
            (Err(_), Err(_)) => std::future::pending().await,
        }
    }
}

/// Seconds since the epoch, for the witness's cosignature timestamps.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::logged_path;

    #[test]
    fn a_confidential_ledger_is_served_in_plain_http_only_on_loopback() {
        use super::check_plain_http;
        for ok in [
            "127.0.0.1:0",
            "[::1]:8080",
            "localhost:8080",
            "127.0.0.2:80",
        ] {
            assert!(check_plain_http(true, ok).is_ok(), "{ok}");
        }
        for refused in ["0.0.0.0:8080", "192.0.2.1:80", "[::]:80", "example.org:80"] {
            let e = check_plain_http(true, refused).unwrap_err();
            assert!(e.contains("--tls-cert and --tls-key"), "{refused}: {e}");
        }
        assert!(check_plain_http(false, "0.0.0.0:8080").is_ok());
    }

    #[test]
    fn the_request_log_never_shows_a_facility_id() {
        assert_eq!(logged_path("/facilities/TF-0001"), "/facilities/*");
        assert_eq!(
            logged_path("/facilities/TF-0001/pack"),
            "/facilities/*/pack"
        );
        assert_eq!(logged_path("/facilities"), "/facilities");
        assert_eq!(logged_path("/facilities/"), "/facilities/*");
        assert_eq!(
            logged_path("/tile/entries/000.p/3"),
            "/tile/entries/000.p/3"
        );
        assert_eq!(
            logged_path("/entries/12/statement"),
            "/entries/12/statement"
        );
        assert_eq!(logged_path("/checkpoint"), "/checkpoint");
        assert_eq!(
            logged_path("/entries/op-0123456789abcdef0123456789abcdef"),
            "/entries/*"
        );
    }
}
