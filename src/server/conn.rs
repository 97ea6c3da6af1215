//! Connections: the accept loop both services share, with the limits that
//! keep a service answering honest clients while others misbehave.
//!
//! - **Caps**: at most [`Limits::max_connections`] connections at once, and
//!   [`Limits::max_per_peer`] from one IP address; a connection over a cap
//!   is closed as soon as it is accepted (so the kernel's queue never fills
//!   with clients that will not be served).
//! - **Idle deadline**: a connection with no request in flight must
//!   complete its next request's line and headers within [`Limits::idle`]
//!   of connecting or of its previous response; bytes trickled in do not
//!   extend it (a slow-headers client is closed like an idle one). While a
//!   response is written, progress extends it.
//! - **TLS**: each handshake runs in the connection's own task, under
//!   [`Limits::handshake`].
//! - Request bodies are read by the handlers under their own deadline
//!   (`ledger::BODY_TIMEOUT`), before a registration takes a slot.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Sleep};

/// The limits a service puts on its connections.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Connections open at once; more are closed at once.
    pub max_connections: usize,
    /// Connections open at once from one IP address.
    pub max_per_peer: usize,
    /// How long a connection may go without a request in flight before
    /// its next request's headers are complete.
    pub idle: Duration,
    /// How long a client has to complete its TLS handshake.
    pub handshake: Duration,
    /// How long a shutdown waits for the requests in flight.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4096,
            max_per_peer: 128,
            idle: Duration::from_secs(10),
            handshake: Duration::from_secs(10),
            drain: Duration::from_secs(70),
        }
    }
}

impl Limits {
    /// The default limits, with the connection cap lowered to fit the
    /// process's descriptor limit (raised to its hard limit first), less
    /// room for the ledger's own files.
    pub fn for_this_process() -> Limits {
        let mut l = Limits::default();
        if let Ok(open) = crate::os::raise_open_files_limit() {
            let room = usize::try_from(open.saturating_sub(256)).unwrap_or(usize::MAX);
            l.max_connections = l.max_connections.min(room.max(16));
            l.max_per_peer = l.max_per_peer.min(l.max_connections);
        }
        l
    }
}

/// Connections open, in all and per peer.
#[derive(Default)]
struct Tracker {
    total: usize,
    per_peer: HashMap<IpAddr, usize>,
}

/// A connection's place under the caps, given back when it closes.
struct Slot {
    tracker: Arc<Mutex<Tracker>>,
    peer: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut t = self.tracker.lock().unwrap_or_else(|p| p.into_inner());
        t.total -= 1;
        if let Some(n) = t.per_peer.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                t.per_peer.remove(&self.peer);
            }
        }
    }
}

fn admit(tracker: &Arc<Mutex<Tracker>>, peer: IpAddr, limits: &Limits) -> Option<Slot> {
    let mut t = tracker.lock().unwrap_or_else(|p| p.into_inner());
    let from_peer = t.per_peer.get(&peer).copied().unwrap_or(0);
    if t.total >= limits.max_connections || from_peer >= limits.max_per_peer {
        return None;
    }
    t.total += 1;
    *t.per_peer.entry(peer).or_default() += 1;
    Some(Slot {
        tracker: tracker.clone(),
        peer,
    })
}

/// What a connection is doing: requests in flight, and when it last had
/// none (milliseconds since it was accepted).
struct Activity {
    start: Instant,
    in_flight: AtomicUsize,
    idle_since_ms: AtomicU64,
}

impl Activity {
    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }
}

/// A request in flight on a connection; when it ends (or is dropped), the
/// connection's idle deadline starts again.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn enter(a: &Arc<Activity>) -> InFlight {
        a.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(a.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0
            .idle_since_ms
            .store(self.0.now_ms(), Ordering::SeqCst);
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection's stream with its idle deadline: a read or write that
/// would wait past it fails with `TimedOut`, which closes the connection.
struct Guarded<S> {
    inner: S,
    activity: Arc<Activity>,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
}

impl<S> Guarded<S> {
    fn new(inner: S, activity: Arc<Activity>, idle: Duration) -> Self {
        let timer = Box::pin(tokio::time::sleep_until(activity.start + idle));
        Guarded {
            inner,
            activity,
            idle,
            timer,
        }
    }

    /// True when the connection has had no request in flight for longer
    /// than its idle time (arms the timer to wake the task otherwise).
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.activity.in_flight.load(Ordering::SeqCst) > 0 {
            return false;
        }
        let since = self.activity.idle_since_ms.load(Ordering::SeqCst);
        let deadline = self.activity.start + Duration::from_millis(since) + self.idle;
        if self.timer.deadline() != deadline {
            self.timer.as_mut().reset(deadline);
        }
        self.timer.as_mut().poll(cx).is_ready()
    }

    fn timed_out() -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, "idle connection closed")
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(Self::timed_out())),
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(Self::timed_out())),
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    // A client that reads its answer is not idle.
                    let now = self.activity.now_ms();
                    self.activity.idle_since_ms.store(now, Ordering::SeqCst);
                }
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(Self::timed_out())),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves `router` on `tcp` (TLS when `tls` is given) until `shutdown`
/// completes; then stops accepting, lets the requests in flight finish
/// (at most [`Limits::drain`]) and returns.
pub(super) async fn accept_loop(
    tcp: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> io::Result<()> {
    let tracker = Arc::new(Mutex::new(Tracker::default()));
    let (stop, stopping) = watch::channel(false);
    let (open, mut all_closed) = mpsc::channel::<()>(1);
    let mut refused: u64 = 0;
    tokio::pin!(shutdown);
    loop {
        let (socket, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = tcp.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors and the like: wait, then go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Some(slot) = admit(&tracker, peer.ip(), &limits) else {
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(%peer, refused, "connection over the cap closed");
            }
            continue;
        };
        let _ = socket.set_nodelay(true);
        tokio::spawn(connection(
            socket,
            peer,
            slot,
            tls.clone(),
            router.clone(),
            stopping.clone(),
            open.clone(),
            limits.clone(),
        ));
    }
    drop(tcp);
    tracing::info!("shutting down: finishing the requests in flight");
    let _ = stop.send(true);
    drop(open);
    let _ = tokio::time::timeout(limits.drain, all_closed.recv()).await;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn connection(
    socket: TcpStream,
    peer: SocketAddr,
    _slot: Slot,
    tls: Option<tokio_rustls::TlsAcceptor>,
    router: axum::Router,
    stopping: watch::Receiver<bool>,
    _open: mpsc::Sender<()>,
    limits: Limits,
) {
    let activity = Arc::new(Activity {
        start: Instant::now(),
        in_flight: AtomicUsize::new(0),
        idle_since_ms: AtomicU64::new(0),
    });
    match tls {
        None => {
            let io = Guarded::new(socket, activity.clone(), limits.idle);
            http(io, activity, router, stopping, &limits, None).await
        }
        Some(acceptor) => {
            match tokio::time::timeout(limits.handshake, acceptor.accept(socket)).await {
                Ok(Ok(stream)) => {
                    // The client's certificate chain (checked in the
                    // handshake), for reading by role.
                    let peer = stream.get_ref().1.peer_certificates().map(|c| {
                        super::access::PeerChain(Arc::new(c.iter().map(|d| d.to_vec()).collect()))
                    });
                    let io = Guarded::new(stream, activity.clone(), limits.idle);
                    http(io, activity, router, stopping, &limits, peer).await
                }
                Ok(Err(e)) => tracing::info!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
            }
        }
    }
}

async fn http<S>(
    io: Guarded<S>,
    activity: Arc<Activity>,
    router: axum::Router,
    mut stopping: watch::Receiver<bool>,
    limits: &Limits,
    peer: Option<super::access::PeerChain>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    use tower::ServiceExt as _;
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let in_flight = InFlight::enter(&activity);
        let mut req = req.map(axum::body::Body::new);
        if let Some(p) = &peer {
            req.extensions_mut().insert(p.clone());
        }
        let answer = router.clone().oneshot(req);
        async move {
            let r = answer.await;
            drop(in_flight);
            r
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.idle)
        .keep_alive(true);
    let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(io), service);
    tokio::pin!(conn);
    if *stopping.borrow() {
        conn.as_mut().graceful_shutdown();
    }
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stopping.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caps_count_per_peer_and_in_all_and_give_back_on_close() {
        let limits = Limits {
            max_connections: 3,
            max_per_peer: 2,
            ..Limits::default()
        };
        let t = Arc::new(Mutex::new(Tracker::default()));
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let a1 = admit(&t, a, &limits).expect("first from a");
        let _a2 = admit(&t, a, &limits).expect("second from a");
        assert!(
            admit(&t, a, &limits).is_none(),
            "third from a: over the per-peer cap"
        );
        let _b1 = admit(&t, b, &limits).expect("first from b");
        assert!(admit(&t, b, &limits).is_none(), "over the cap in all");
        drop(a1);
        assert!(
            admit(&t, b, &limits).is_some(),
            "a closed connection gives back its place"
        );
        assert_eq!(t.lock().unwrap().per_peer.get(&a), Some(&1));
    }
}
