//! HTTP services over the library: each handler parses the request, calls
//! the library, and maps its typed error to a status. No rule lives here.
//!
//! - [`ledger`]: SCITT registration, receipts, tiles, status and packs;
//! - [`witness`]: c2sp.org/tlog-witness `POST /add-checkpoint`.

pub mod ledger;
pub mod witness;

use std::future::Future;

/// Serves `router` on `listener` until `shutdown` completes; requests in
/// flight are finished and answered first.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on SIGTERM or SIGINT.
pub async fn terminated() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// Seconds since the epoch, for the witness's cosignature timestamps.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
