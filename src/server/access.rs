//! Who may read what from a ledger service: the one place the service
//! decides it (FORMATS §27).
//!
//! A public ledger answers every route to anyone, as it always has. A
//! confidential ledger answers, without credentials, only what its public
//! tree already shows and what a submitter needs: the checkpoint, tiles and
//! entry bundles (commitments and labels only), the transparency
//! configuration, the metrics (counts, no record content), and registration
//! (whose answer goes to the one who signed the statement). Every other
//! route — receipts, statements, facilities, their status and packs — names
//! or holds record content, and is refused with 401 until reading by role
//! (mutual TLS with the scheme's certificates) is built: nothing is
//! answered that the table of domain.md does not allow.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// True if anyone may have the answer to `method path` from a
/// confidential ledger.
pub fn public_on_confidential(method: &Method, path: &str) -> bool {
    match (method, path) {
        (&Method::POST, "/entries") => true,
        (&Method::GET | &Method::HEAD, p) => {
            p == "/checkpoint"
                || p.starts_with("/tile/")
                || p == "/.well-known/transparency-configuration"
                || p == "/metrics"
        }
        _ => false,
    }
}

/// The body of a refusal: the same for every refused path, so it says
/// nothing of what the path names (not even whether it exists).
pub const REFUSED: &str = "this ledger is confidential: reading its records needs the reader's certificate (reading by role is not offered by this version)\n";

/// Middleware: refuses what [`public_on_confidential`] does not allow when
/// `confidential` is true.
pub async fn guard(State(confidential): State<bool>, req: Request, next: Next) -> Response {
    if confidential && !public_on_confidential(req.method(), req.uri().path()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(axum::http::header::WWW_AUTHENTICATE, "Mutual-TLS")],
            REFUSED,
        )
            .into_response();
    }
    next.run(req).await
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
}
