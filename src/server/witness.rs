//! A witness over HTTP (c2sp.org/tlog-witness): `POST /add-checkpoint` with
//! the request body; `200` and the cosignature line, or the spec's error
//! answers — `400`, `403`, `404`, `409` (body: the size the witness last
//! cosigned, `text/x.tlog.size`), `422` — and `413` for a body over the limit.

use std::path::PathBuf;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use crate::witness::{AddCheckpoint, Witness, WitnessError, MAX_REQUEST_SIZE};

/// The witness's routes, for the witness directory `dir`.
pub fn router(dir: PathBuf) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_SIZE))
        .with_state(dir)
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn add_checkpoint(State(dir): State<PathBuf>, body: Bytes) -> Response {
    // The witness reads and writes its files under a lock: off the async
    // workers.
    let answer = tokio::task::spawn_blocking(move || {
        let w = Witness::open(&dir)?;
        let req = AddCheckpoint::parse(&body)?;
        w.add_checkpoint(&req, super::now())
    })
    .await;
    match answer {
        Ok(Ok(sig)) => text(StatusCode::OK, "text/plain; charset=utf-8", sig.to_line()),
        Ok(Err(WitnessError::Conflict { size, .. })) => text(
            StatusCode::CONFLICT,
            "text/x.tlog.size",
            format!("{size}\n"),
        ),
        Ok(Err(e)) => {
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            text(status, "text/plain; charset=utf-8", format!("{e}\n"))
        }
        Err(_) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            "the request's task failed\n".into(),
        ),
    }
}
