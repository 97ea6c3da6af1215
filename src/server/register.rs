//! Registration (`POST /entries`, draft-ietf-scitt-scrapi §2.1.2) and
//! its asynchronous form: an operation the client polls.
//!
//! - Synchronous (the default): `201 Created`, `Location: /entries/INDEX`,
//!   the receipt as body, once the statement's commit is durable.
//! - Asynchronous (`Prefer: respond-async`, RFC 7240): `303 See Other`,
//!   `Location: /entries/op-ID`, `Retry-After: 1`, once the statement has
//!   passed its stateless checks and is queued for the committer.
//!   `GET /entries/op-ID` answers `302 Found` (same Location) while it
//!   runs, then what the synchronous request would have: `200 OK` with the
//!   receipt and `Location: /entries/INDEX`, or the same problem details.
//!   The ID is 128 random bits: whoever holds it reads the outcome (a
//!   receipt, or the refusal sent to the submitter). A `303` is not an
//!   acknowledgement: only a receipt says the statement is durable. The
//!   operations live in the service's memory, for [`OPERATION_TTL`] after
//!   they end; after a restart an operation is `404` (register it again:
//!   a statement already logged is answered with its entry's receipt).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use tokio::sync::oneshot;

use super::ledger::{cose, problem, Job, Outcome, Service, BODY_TIMEOUT};
use crate::cose::MAX_STATEMENT_SIZE;

/// How long an ended operation's outcome is kept.
pub const OPERATION_TTL: Duration = Duration::from_secs(600);

/// Most operations kept at once (running ones are bounded by the
/// registration slots; ended ones are dropped oldest first past this).
const MAX_OPERATIONS: usize = 1 << 16;

/// Prefix of an operation's id in `/entries/op-ID`.
pub const OPERATION_PREFIX: &str = "op-";

/// `POST /entries`. With `Prefer: respond-async` (RFC 7240), the answer
/// is `303 See Other` to an operation as soon as the statement is queued,
/// and the commit's outcome is read from it.
pub(super) async fn register(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/cose") {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "register a signed statement as application/cose",
            None,
        );
    }
    let too_large = || {
        problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Statement too large",
            &format!("a statement is at most {MAX_STATEMENT_SIZE} bytes"),
            None,
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_STATEMENT_SIZE as u64) {
        return too_large();
    }
    // The whole body first, under its own deadline: a slow client holds
    // its connection, never a registration slot.
    let body: Bytes =
        match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_STATEMENT_SIZE))
            .await
        {
            Ok(Ok(b)) => b,
            Ok(Err(_)) => return too_large(),
            Err(_) => {
                return problem(
                    StatusCode::REQUEST_TIMEOUT,
                    "Body too slow",
                    &format!(
                        "the statement did not arrive within {} s of the request's headers",
                        BODY_TIMEOUT.as_secs()
                    ),
                    None,
                )
            }
        };
    let Ok(slot) = s.registrations.clone().try_acquire_owned() else {
        let mut r = problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Busy",
            "too many registrations are waiting for a commit; try again shortly",
            None,
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return r;
    };
    // The checks that need no ledger state (parsing, certificates, the
    // signature) here, on whichever core is free, not on the committer's.
    let statement = body.to_vec();
    let ledger = s.ledger.clone();
    let Ok((statement, prepared)) = tokio::task::spawn_blocking(move || {
        let prepared = crate::policy::prepare(&statement);
        // A confidential ledger's label of the facility, computed here too.
        if prepared.is_ok() {
            if let Some((ct, sub)) = crate::cose::peek_type_and_subject(&statement) {
                let facility = crate::record::Kind::from_content_type(&ct)
                    .is_some_and(|k| !k.is_scheme_level());
                if facility {
                    let _ = ledger.warm_label(&sub);
                }
            }
        }
        (statement, prepared)
    })
    .await
    else {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Not logged",
            "the statement's checks failed to run",
            None,
        );
    };
    // A statement its stateless checks refused is answered at once, even
    // when asked to answer asynchronously: there is nothing to wait for.
    let asynchronous = prefers_async(&headers) && prepared.is_ok();
    let (reply, answer) = oneshot::channel();
    if s.queue
        .send(Job {
            statement: statement.clone(),
            prepared,
            reply,
        })
        .is_err()
    {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Shutting down",
            "the ledger is not taking statements",
            None,
        );
    }
    let Some(id) = asynchronous.then(|| s.operations.start()) else {
        let answer = answer_of(&s, answer.await, statement).await;
        drop(slot);
        return answer.respond(false);
    };
    let service = s.clone();
    let op = id.clone();
    tokio::spawn(async move {
        let answer = answer_of(&service, answer.await, statement).await;
        drop(slot);
        service.operations.finish(&op, answer);
    });
    let mut r = cose(StatusCode::SEE_OTHER, Vec::new());
    let h = r.headers_mut();
    if let Ok(v) = format!("/entries/{OPERATION_PREFIX}{id}").parse() {
        h.insert(header::LOCATION, v);
    }
    h.insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    r
}

/// True if the request asks for an asynchronous answer
/// (`Prefer: respond-async`, RFC 7240 §4.1).
fn prefers_async(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| {
            p.split(';')
                .next()
                .map(str::trim)
                .is_some_and(|t| t.eq_ignore_ascii_case("respond-async"))
        })
}

/// What a registration comes to, answered now or kept for its operation.
#[derive(Clone, Debug)]
pub(super) enum Answer {
    /// Durable at `index`, with its receipt.
    Logged { index: u64, receipt: Vec<u8> },
    /// Not logged: a problem-details answer.
    Problem {
        status: StatusCode,
        title: &'static str,
        detail: String,
        refusal: Option<(&'static str, &'static str)>,
    },
}

impl Answer {
    fn problem(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Answer {
        Answer::Problem {
            status,
            title,
            detail: detail.into(),
            refusal: None,
        }
    }

    /// The response: `201` for a synchronous request, `200` for an ended
    /// operation (SCRAPI §2.1.3).
    pub(super) fn respond(&self, operation: bool) -> Response {
        match self {
            Answer::Logged { index, receipt } => {
                let status = if operation {
                    StatusCode::OK
                } else {
                    StatusCode::CREATED
                };
                let mut r = cose(status, receipt.clone());
                if let Ok(v) = format!("/entries/{index}").parse() {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                r
            }
            Answer::Problem {
                status,
                title,
                detail,
                refusal,
            } => problem(*status, title, detail, *refusal),
        }
    }
}

/// The answer to a queued registration, once the committer replied.
async fn answer_of(
    s: &Arc<Service>,
    outcome: Result<Outcome, oneshot::error::RecvError>,
    statement: Vec<u8>,
) -> Answer {
    match outcome {
        Ok(Outcome::Logged { index, snapshot }) => {
            let ledger = s.ledger.clone();
            let made = tokio::task::spawn_blocking(move || {
                ledger
                    .receipt_for(&snapshot, index, &statement, crate::server::now())
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.to_bytes().map_err(|e| e.to_string()))
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
            match made {
                Ok(receipt) => Answer::Logged { index, receipt },
                Err(e) => Answer::problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Receipt not made",
                    format!(
                        "entry {index} is logged, but its receipt could not be made: {e}; fetch it from /entries/{index}"
                    ),
                ),
            }
        }
        Ok(Outcome::Refused { rule, code, detail }) => Answer::Problem {
            status: StatusCode::BAD_REQUEST,
            title: "Statement refused",
            detail: format!("rule {rule}: {detail}"),
            refusal: Some((rule, code)),
        },
        Ok(Outcome::Failed(e)) => {
            Answer::problem(crate::server::status_of(e.class), "Not logged", e.detail)
        }
        Err(_) => Answer::problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Not logged",
            "the committer stopped",
        ),
    }
}

/// The service's asynchronous registrations: running (`None`) or ended.
#[derive(Default)]
pub(super) struct Operations(Mutex<Ops>);

#[derive(Default)]
struct Ops {
    by_id: HashMap<String, Option<Answer>>,
    /// Ids in the order they ended (with when), for expiry.
    ended: VecDeque<(String, Instant)>,
}

impl Operations {
    /// A new running operation's id: 128 random bits, hex.
    pub(super) fn start(&self) -> String {
        let mut bytes = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
        let id = crate::hex::encode(&bytes);
        let mut ops = self.0.lock().unwrap_or_else(|p| p.into_inner());
        ops.expire();
        ops.by_id.insert(id.clone(), None);
        id
    }

    /// Records how operation `id` ended.
    pub(super) fn finish(&self, id: &str, answer: Answer) {
        let mut ops = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = ops.by_id.get_mut(id) {
            *slot = Some(answer);
            ops.ended.push_back((id.to_string(), Instant::now()));
        }
        ops.expire();
    }

    /// Operation `id`: `None` if unknown (never started, expired, or from
    /// before a restart), `Some(None)` while it runs.
    pub(super) fn get(&self, id: &str) -> Option<Option<Answer>> {
        let mut ops = self.0.lock().unwrap_or_else(|p| p.into_inner());
        ops.expire();
        ops.by_id.get(id).cloned()
    }
}

impl Ops {
    fn expire(&mut self) {
        while let Some((id, at)) = self.ended.front() {
            if at.elapsed() < OPERATION_TTL && self.by_id.len() <= MAX_OPERATIONS {
                break;
            }
            self.by_id.remove(id);
            self.ended.pop_front();
        }
    }
}

/// `GET /entries/op-ID`: `302` while the operation runs, then its answer.
pub(super) fn operation(s: &Service, id: &str) -> Response {
    match s.operations.get(id) {
        Some(Some(answer)) => answer.respond(true),
        Some(None) => {
            let mut r = cose(StatusCode::FOUND, Vec::new());
            let h = r.headers_mut();
            if let Ok(v) = format!("/entries/{OPERATION_PREFIX}{id}").parse() {
                h.insert(header::LOCATION, v);
            }
            h.insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            r
        }
        None => problem(
            StatusCode::NOT_FOUND,
            "Operation Not Found",
            &format!(
                "no registration operation {OPERATION_PREFIX}{id} is running or ended within the last {} s here (operations are not kept across restarts): register the statement again",
                OPERATION_TTL.as_secs()
            ),
            None,
        ),
    }
}
