//! Who may read what from a ledger service (FORMATS §27): the service's
//! half of reading by role. The rule itself is the library's
//! ([`crate::policy::access`]); this module finds the reader (the client
//! certificate the TLS handshake checked against the scheme root) and what
//! is read (the path), asks the rule, and maps its answer to a status.
//!
//! A public ledger answers every route to anyone, as it always has. A
//! confidential ledger answers, without credentials, only what its public
//! tree already shows and what a submitter needs: the checkpoint, tiles and
//! entry bundles (commitments and labels only), the transparency
//! configuration, the metrics (counts, no record content), and registration
//! (whose answer goes to the one who signed the statement). Every other
//! route names or holds record content: anonymous readers get 401 with one
//! body for every path; a reader the rule does not allow gets the same 404
//! as a facility that does not exist.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::identity::Certificate;
use crate::ledger::Ledger;
use crate::policy::access::{reader_of, Read, Reader, Verdict};

/// The certificate chain (leaf first, DER) a TLS client authenticated
/// with, put into each of its requests' extensions.
#[derive(Clone, Debug)]
pub struct PeerChain(pub Arc<Vec<Vec<u8>>>);

/// True if anyone may have the answer to `method path` from a
/// confidential ledger.
pub fn public_on_confidential(method: &Method, path: &str) -> bool {
    match (method, path) {
        (&Method::POST, "/entries") => true,
        (&Method::GET | &Method::HEAD, p) => {
            p == "/checkpoint"
                || p == "/frozen"
                || p == "/predecessor"
                || p.starts_with("/rotations/")
                || p.starts_with("/tile/")
                || p == "/.well-known/transparency-configuration"
                || p == "/metrics"
                // An asynchronous registration's outcome, read by whoever
                // holds its 128-bit id (the submitter: `POST /entries` is
                // open to all, and this is its answer).
                || p.starts_with("/entries/op-")
        }
        _ => false,
    }
}

/// What a reading path reads; `None` for a path that reads no record.
pub fn read_of<'a>(method: &Method, path: &'a str) -> Option<Read<'a>> {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return None;
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["facilities"] => Some(Read::Facilities),
        ["facilities", id] | ["facilities", id, "pack"] if !id.is_empty() => {
            Some(Read::Facility(id))
        }
        ["entries", n] | ["entries", n, "statement"] => n.parse().ok().map(Read::Entry),
        _ => None,
    }
}

/// The body of a refusal to an anonymous reader: the same for every
/// refused path, so it says nothing of what the path names.
pub const REFUSED: &str = "this ledger is confidential: reading its records needs a client certificate of the scheme (TLS)\n";

/// The body of every 404 on a confidential ledger's reading routes: the
/// same whether the record does not exist or the reader may not read it.
pub const NOT_FOUND: &str = "not found, or not yours to read\n";

/// What the guard needs: whether the ledger is confidential, the ledger
/// (its state decides), and the scheme root client certificates chain to.
#[derive(Clone)]
pub struct Gate {
    /// A confidential ledger (else everything passes).
    pub confidential: bool,
    /// The ledger.
    pub ledger: Arc<Ledger>,
    /// The scheme root (`None`: no client is authenticated).
    pub root: Option<Certificate>,
}

fn unauthenticated() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Mutual-TLS")],
        REFUSED,
    )
        .into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, NOT_FOUND).into_response()
}

/// Middleware: on a confidential ledger, lets through what the rule
/// allows the request's reader (put into the request's extensions for the
/// handlers that filter lists), refuses the rest.
pub async fn guard(State(gate): State<Gate>, mut req: Request, next: Next) -> Response {
    if !gate.confidential || public_on_confidential(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let path = req.uri().path().to_string();
    let Some(read) = read_of(req.method(), &path) else {
        return unauthenticated();
    };
    let chain = req
        .extensions()
        .get::<PeerChain>()
        .map(|p| p.0.clone())
        .unwrap_or_default();
    let reader = match &gate.root {
        Some(root) => reader_of(&chain, root, super::now() as i64).unwrap_or(Reader::Anonymous),
        None => Reader::Anonymous,
    };
    if reader == Reader::Anonymous {
        return unauthenticated();
    }
    let fingerprint = chain
        .first()
        .map(|d| <[u8; 32]>::from(sha2::Sha256::digest(d)));
    let read = match read {
        Read::Facility(id) => ReadOwned::Facility(id.to_string()),
        Read::Facilities => ReadOwned::Facilities,
        Read::Entry(i) => ReadOwned::Entry(i),
    };
    let (ledger, who) = (gate.ledger.clone(), reader.clone());
    let verdict = tokio::task::spawn_blocking(move || {
        ledger.with_state(|state, _| state.may_read(&who, fingerprint, read.as_read()))
    })
    .await;
    match verdict {
        Ok(Ok(Verdict::Allowed)) => {}
        Ok(Ok(Verdict::Unauthenticated)) => return unauthenticated(),
        Ok(Ok(Verdict::Hidden)) => return not_found(),
        _ => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the ledger's state could not be read\n",
            )
                .into_response()
        }
    }
    req.extensions_mut().insert(reader);
    let answer = next.run(req).await;
    match answer.status() {
        StatusCode::NOT_FOUND => not_found(),
        _ => answer,
    }
}

use sha2::Digest as _;

enum ReadOwned {
    Facilities,
    Facility(String),
    Entry(u64),
}

impl ReadOwned {
    fn as_read(&self) -> Read<'_> {
        match self {
            ReadOwned::Facilities => Read::Facilities,
            ReadOwned::Facility(id) => Read::Facility(id),
            ReadOwned::Entry(i) => Read::Entry(*i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_public_tree_and_registration_are_open_on_a_confidential_ledger() {
        for (m, p) in [
            (Method::GET, "/checkpoint"),
            (Method::GET, "/tile/0/000"),
            (Method::GET, "/tile/entries/000.p/7"),
            (Method::POST, "/entries"),
            (Method::GET, "/metrics"),
        ] {
            assert!(public_on_confidential(&m, p), "{m} {p}");
        }
        for (m, p) in [
            (Method::GET, "/entries/3"),
            (Method::GET, "/entries/3/statement"),
            (Method::GET, "/facilities"),
            (Method::GET, "/facilities/TF-0001"),
            (Method::GET, "/facilities/TF-0001/pack"),
            (Method::GET, "/tile"),
            (Method::DELETE, "/checkpoint"),
        ] {
            assert!(!public_on_confidential(&m, p), "{m} {p}");
        }
    }

    #[test]
    fn reading_paths_name_what_they_read() {
        let g = Method::GET;
        assert_eq!(read_of(&g, "/facilities"), Some(Read::Facilities));
        assert_eq!(
            read_of(&g, "/facilities/TF-1"),
            Some(Read::Facility("TF-1"))
        );
        assert_eq!(
            read_of(&g, "/facilities/TF-1/pack"),
            Some(Read::Facility("TF-1"))
        );
        assert_eq!(read_of(&g, "/entries/7"), Some(Read::Entry(7)));
        assert_eq!(read_of(&g, "/entries/7/statement"), Some(Read::Entry(7)));
        assert_eq!(read_of(&g, "/entries/x"), None);
        assert_eq!(read_of(&g, "/facilities/TF-1/other"), None);
        assert_eq!(read_of(&Method::POST, "/facilities"), None);
    }
}
