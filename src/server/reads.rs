//! The ledger service's reading routes: receipts, statements, the
//! checkpoint and tiles, the lifecycle notes, facility status, packs,
//! metrics and the SCRAPI configuration.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ciborium::Value;
use tokio::sync::Semaphore;

use super::ledger::{cose, get_bytes, problem, Service};
use super::rounds::tree_size;
use super::Failed;
use crate::class::{Class, Classify};
use crate::ledger::Selection;

/// Runs blocking ledger reads off the async workers, at most
/// [`MAX_READS`] at once; a failure's status is its class's
/// ([`super::status_of`]).
pub(super) async fn blocking<T: Send + 'static>(
    reads: &Arc<Semaphore>,
    f: impl FnOnce() -> Result<T, Failed> + Send + 'static,
) -> Result<T, Response> {
    let Ok(_slot) = reads.clone().acquire_owned().await else {
        return Err(problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Shutting down",
            "the service is stopping",
            None,
        ));
    };
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(problem(
            super::status_of(e.class),
            "Not available",
            &e.detail,
            None,
        )),
        Err(_) => Err(problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Not available",
            "the request's task failed",
            None,
        )),
    }
}

pub(super) fn failed(e: impl Classify + std::fmt::Display) -> Failed {
    Failed::of(&e)
}

/// `GET /entries/INDEX`: a receipt; `GET /entries/op-ID`: an asynchronous
/// registration (the `register` module).
pub(super) async fn receipt(
    State(s): State<Arc<Service>>,
    UrlPath(at): UrlPath<String>,
) -> Response {
    if let Some(id) = at.strip_prefix(super::register::OPERATION_PREFIX) {
        return super::register::operation(&s, id);
    }
    let Ok(index) = at.parse::<u64>() else {
        return problem(
            StatusCode::NOT_FOUND,
            "Not found",
            "an entry is named by its index, an operation by op-ID",
            None,
        );
    };
    match blocking(&s.reads.clone(), move || {
        let r = s.ledger.receipt(index, super::now()).map_err(failed)?;
        r.to_bytes()
            .map_err(|e| Failed::new(Class::Internal, e.to_string()))
    })
    .await
    {
        Ok(b) => cose(StatusCode::OK, b),
        Err(r) => r,
    }
}

/// The media type of a transparent statement (RFC 9943): asked for by
/// `Accept`, the logged statement comes with its receipt in its
/// unprotected header.
const TRANSPARENT: &str = "application/scitt-statement+cose";

pub(super) async fn statement(
    State(s): State<Arc<Service>>,
    UrlPath(index): UrlPath<u64>,
    headers: HeaderMap,
) -> Response {
    let transparent = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.split(';').next().map(str::trim) == Some(TRANSPARENT));
    match blocking(&s.reads.clone(), move || {
        let l = s.ledger.snapshot().map_err(failed)?;
        let bytes = l.read_entry(index).map_err(failed)?;
        if !transparent {
            return Ok(bytes);
        }
        if crate::history::is_index_entry(&bytes) {
            return Err(Failed::new(
                Class::NotFound,
                format!("entry {index} is an index entry, not a statement"),
            ));
        }
        // The log's own entry: a failure here is the service's.
        let unusable = |e: String| Failed::new(Class::Internal, e);
        let st = crate::cose::Statement::parse(&bytes).map_err(|e| unusable(e.to_string()))?;
        let r = s
            .ledger
            .receipt_in(&l, index, super::now())
            .map_err(failed)?;
        crate::cose::transparent_statement(&st, &[r]).map_err(|e| unusable(e.to_string()))
    })
    .await
    {
        Ok(b) if transparent => {
            (StatusCode::OK, [(header::CONTENT_TYPE, TRANSPARENT)], b).into_response()
        }
        Ok(b) => cose(StatusCode::OK, b),
        Err(r) => r,
    }
}

/// `GET /frozen`: the freeze note of a frozen log (FORMATS §28); 404
/// while it takes entries.
pub(super) async fn frozen_note(State(s): State<Arc<Service>>) -> Response {
    public_note(s.ledger.layout().frozen())
}

/// `GET /predecessor`: the note naming the log this one continues; 404 if
/// none.
pub(super) async fn predecessor_note(State(s): State<Arc<Service>>) -> Response {
    public_note(s.ledger.layout().predecessor())
}

/// `GET /rotations/NNNN`: the log key's rotation notes, in order.
pub(super) async fn rotation_note(
    State(s): State<Arc<Service>>,
    UrlPath(n): UrlPath<String>,
) -> Response {
    if n.len() != 4 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return (StatusCode::NOT_FOUND, "none\n").into_response();
    }
    public_note(s.ledger.layout().rotations_dir().join(n))
}

pub(super) fn public_note(path: PathBuf) -> Response {
    match std::fs::read(&path) {
        Ok(b) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            b,
        )
            .into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "none\n").into_response(),
    }
}

pub(super) async fn checkpoint(State(s): State<Arc<Service>>) -> Response {
    let staged = get_bytes(&s.published);
    let read = if staged.is_empty() {
        tokio::fs::read(s.ledger.layout().checkpoint()).await
    } else {
        Ok(staged)
    };
    match read {
        Ok(b) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            b,
        )
            .into_response(),
        Err(e) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Not available",
            &e.to_string(),
            None,
        ),
    }
}

pub(super) async fn tile(
    State(s): State<Arc<Service>>,
    UrlPath(path): UrlPath<String>,
) -> Response {
    const OCTETS: header::HeaderValue =
        header::HeaderValue::from_static("application/octet-stream");
    const IMMUTABLE: header::HeaderValue =
        header::HeaderValue::from_static("public, max-age=31536000, immutable");
    match s.tiles.get(&path, s.published.size()).await {
        Some(b) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, OCTETS),
                (header::CACHE_CONTROL, IMMUTABLE),
            ],
            b,
        )
            .into_response(),
        None => problem(StatusCode::NOT_FOUND, "No such tile", &path, None),
    }
}

/// `?as_of=YYYY-MM-DD`: the date warnings are judged at (default today).
#[derive(serde::Deserialize)]
pub(super) struct AsOf {
    as_of: Option<String>,
}

pub(super) async fn facilities(
    State(s): State<Arc<Service>>,
    Query(q): Query<AsOf>,
    reader: Option<axum::Extension<crate::policy::access::Reader>>,
) -> Response {
    status_json(s, None, q.as_of, reader.map(|r| r.0)).await
}

pub(super) async fn facility(
    State(s): State<Arc<Service>>,
    UrlPath(id): UrlPath<String>,
    Query(q): Query<AsOf>,
) -> Response {
    status_json(s, Some(id), q.as_of, None).await
}

/// The status JSON; with `reader` (a confidential ledger's), only the
/// facilities it may read are listed.
pub(super) async fn status_json(
    s: Arc<Service>,
    id: Option<String>,
    as_of: Option<String>,
    reader: Option<crate::policy::access::Reader>,
) -> Response {
    match blocking(&s.reads.clone(), move || {
        let as_of = match as_of {
            Some(d) if crate::record::parse_date(&d).is_some() => d,
            Some(d) => {
                return Err(Failed::new(
                    Class::BadInput,
                    format!("as_of {d:?}: expected a YYYY-MM-DD calendar date"),
                ))
            }
            None => crate::status::date_of(super::now()),
        };
        let st = s
            .ledger
            .with_state(|state, l| {
                let mut st = crate::status::ledger_status(
                    state,
                    l.checkpoint().root().size(),
                    &as_of,
                    id.as_deref(),
                );
                if let Some(r) = &reader {
                    use crate::policy::access::{Read, Verdict};
                    st.facilities.retain(|f| {
                        state.may_read(r, None, Read::Facility(&f.id)) == Verdict::Allowed
                    });
                }
                st
            })
            .map_err(failed)?;
        if let (Some(id), true) = (&id, st.facilities.is_empty()) {
            return Err(Failed::new(
                Class::NotFound,
                format!("facility {id:?} is not registered"),
            ));
        }
        Ok(st.to_json())
    })
    .await
    {
        Ok(json) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            json,
        )
            .into_response(),
        Err(r) => r,
    }
}

/// `GET /facilities/ID/pack`: made against the latest checkpoint the
/// trust policy accepts (with a policy), else the latest; the
/// `Triage-Ledger-Pack-Basis` header says which (`accepted SIZE`,
/// `latest SIZE`, or `latest SIZE, not accepted by the trust policy`).
pub(super) async fn pack(State(s): State<Arc<Service>>, UrlPath(id): UrlPath<String>) -> Response {
    match blocking(&s.reads.clone(), move || {
        let accepted = get_bytes(&s.accepted);
        let selection = Selection::Facility(id);
        let (p, basis) = if accepted.is_empty() {
            let p = s.ledger.pack_at(None, &selection, super::now());
            let size = p.as_ref().map_or(0, |p| tree_size(&p.checkpoint));
            let basis = if s.has_policy {
                format!("latest {size}, not accepted by the trust policy")
            } else {
                format!("latest {size}")
            };
            (p, basis)
        } else {
            let p = s.ledger.pack_at(Some(&accepted), &selection, super::now());
            (p, format!("accepted {}", tree_size(&accepted)))
        };
        let p = p.map_err(failed)?;
        let bytes = p
            .to_bytes()
            .map_err(|e| Failed::new(Class::Internal, e.to_string()))?;
        Ok((bytes, basis))
    })
    .await
    {
        Ok((b, basis)) => {
            tracing::info!(%basis, "pack made");
            let mut r = (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/cbor")],
                b,
            )
                .into_response();
            if let Ok(v) = header::HeaderValue::from_str(&basis) {
                r.headers_mut().insert(PACK_BASIS, v);
            }
            r
        }
        Err(r) => r,
    }
}

/// The response header of a served pack that names the checkpoint it was
/// made against.
pub const PACK_BASIS: &str = "triage-ledger-pack-basis";

/// The counters in the Prometheus text format (0.0.4), and the tree size.
pub(super) async fn prometheus(State(s): State<Arc<Service>>) -> Response {
    let m = &s.metrics;
    let size = s.ledger.checkpoint().map_or(0, |cp| cp.root().size());
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let body = format!(
        "# HELP triage_ledger_registrations_total Statements answered by POST /entries, by result.\n\
         # TYPE triage_ledger_registrations_total counter\n\
         triage_ledger_registrations_total{{result=\"logged\"}} {}\n\
         triage_ledger_registrations_total{{result=\"refused\"}} {}\n\
         triage_ledger_registrations_total{{result=\"failed\"}} {}\n\
         # HELP triage_ledger_commit_groups_total Groups of submissions committed together.\n\
         # TYPE triage_ledger_commit_groups_total counter\n\
         triage_ledger_commit_groups_total {}\n\
         # HELP triage_ledger_witness_rounds_total Cosignature requests to witnesses after commits, by result.\n\
         # TYPE triage_ledger_witness_rounds_total counter\n\
         triage_ledger_witness_rounds_total{{result=\"cosigned\"}} {}\n\
         triage_ledger_witness_rounds_total{{result=\"failed\"}} {}\n\
         # HELP triage_ledger_timestamp_rounds_total Time-stamp requests to the TSA after witness rounds, by result.\n\
         # TYPE triage_ledger_timestamp_rounds_total counter\n\
         triage_ledger_timestamp_rounds_total{{result=\"stamped\"}} {}\n\
         triage_ledger_timestamp_rounds_total{{result=\"failed\"}} {}\n\
         # HELP triage_ledger_tree_size Entries in the log at the latest checkpoint.\n\
         # TYPE triage_ledger_tree_size gauge\n\
         triage_ledger_tree_size {size}\n",
        get(&m.logged),
        get(&m.refused),
        get(&m.failed),
        get(&m.commits),
        get(&m.cosigned),
        get(&m.witness_failures),
        get(&m.timestamped),
        get(&m.timestamp_failures),
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        body,
    )
        .into_response()
}

/// The transparency service's configuration (SCRAPI
/// `/.well-known/transparency-configuration`), as CBOR: the issuer of
/// receipts (the log's origin), its verifier key (c2sp.org/signed-note),
/// and where registration and the tiles are.
pub(super) async fn configuration(State(s): State<Arc<Service>>) -> Response {
    match blocking(&s.reads.clone(), move || {
        let l = s.ledger.snapshot().map_err(failed)?;
        let t = |x: &str| Value::Text(x.to_string());
        crate::cbor::encode(&Value::Map(vec![
            (t("issuer"), t(l.checkpoint().checkpoint().origin())),
            (t("vkey"), t(&l.vkey().to_string())),
            (t("registration"), t("/entries")),
            (t("tiles"), t("/")),
        ]))
        .map_err(|e| Failed::new(Class::Internal, e.to_string()))
    })
    .await
    {
        Ok(b) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/cbor")],
            b,
        )
            .into_response(),
        Err(r) => r,
    }
}
