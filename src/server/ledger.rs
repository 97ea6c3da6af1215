//! The ledger over HTTP: SCITT registration (draft-ietf-scitt-scrapi),
//! receipts, the public tree as C2SP tlog-tiles, facility status and packs.
//!
//! - `POST /entries` (`application/cose`): `201 Created`, `Location:
//!   /entries/INDEX`, the COSE Receipt as body, once the statement's commit
//!   is durable; a refusal is `400` with RFC 9290 concise problem details
//!   (`application/concise-problem-details+cbor`) naming the rule. With
//!   `Prefer: respond-async`, `303` to an operation the client polls
//!   (`GET /entries/op-ID`; the `register` module).
//! - `GET /entries/INDEX`: a receipt against the latest checkpoint;
//!   `GET /entries/INDEX/statement`: the logged statement.
//! - `GET /checkpoint`, `GET /tile/…`: the tiles as on disk (full and
//!   partial tiles immutable, the checkpoint never cached).
//! - `GET /facilities/ID`: the `status --json` object of one facility;
//!   `GET /facilities/ID/pack`: its evidence pack, made against the latest
//!   checkpoint the trust policy accepts (`Triage-Ledger-Pack-Basis`).
//!
//! Submissions are queued to one committer thread, which takes everything
//! that arrived while it was committing as one group: one policy pass, one
//! sync, one checkpoint ([`crate::ledger::Ledger::submit_each`]); each is answered
//! once its commit is durable. The witness rounds follow on their own
//! thread (`rounds`), so no witness stands between a commit and its `201`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use ciborium::Value;
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::class::Class;
use crate::ledger::{Ledger, LedgerError};
use crate::note::Policy;

use super::Failed;
use crate::policy::{Admission, PolicyError, Prepared};
use crate::store::Snapshot;

use super::rounds::{tree_size, Rounds};

/// Most submissions committed as one group.
const MAX_GROUP: usize = 4096;

/// Registrations waiting for, or in, a commit at once; more get `503`
/// with `Retry-After` (a body is read before a slot is taken, so a slow
/// client never holds one).
const MAX_REGISTRATIONS: usize = 4096;

/// How long a client has to send a registration's body once its headers
/// are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Blocking reads (receipts, statements, status, packs) at once; more
/// wait for a slot. Kept apart from registrations, so neither queues
/// behind the other.
const MAX_READS: usize = 64;

/// A registration for the committer: its bytes and the outcome of its
/// stateless checks, which ran on the request's own task (on every core,
/// while the previous group was committing).
pub(super) struct Job {
    pub(super) statement: Vec<u8>,
    pub(super) prepared: Result<Prepared, PolicyError>,
    pub(super) reply: oneshot::Sender<Outcome>,
}

pub(super) enum Outcome {
    /// Durable at `index`; the request makes its receipt against
    /// `snapshot`, the commit's checkpoint, off the committer's thread.
    Logged {
        index: u64,
        snapshot: Arc<Snapshot>,
    },
    Refused {
        rule: &'static str,
        code: &'static str,
        detail: String,
    },
    Failed(Failed),
}

pub(super) struct Service {
    /// The ledger, opened once for the service's life.
    pub(super) ledger: Arc<Ledger>,
    pub(super) queue: mpsc::UnboundedSender<Job>,
    pub(super) metrics: Arc<Metrics>,
    /// The checkpoint `GET /checkpoint` serves: the committed one once the
    /// witness round after its commit is over (staged until then).
    pub(super) published: Published,
    /// The latest checkpoint the trust policy accepts (its witness quorum
    /// met), which packs are made against; `None` until one is, or without
    /// a policy.
    pub(super) accepted: Published,
    /// Whether the service was given a trust policy.
    pub(super) has_policy: bool,
    pub(super) tiles: super::tiles::Tiles,
    pub(super) registrations: Arc<Semaphore>,
    pub(super) reads: Arc<Semaphore>,
    /// Asynchronous registrations (`Prefer: respond-async`).
    pub(super) operations: super::register::Operations,
}

/// A checkpoint shared between the service's threads (empty: none yet),
/// with its tree size at hand for the tile route (read on every request).
#[derive(Clone, Default)]
pub(super) struct Published(Arc<(RwLock<Vec<u8>>, AtomicU64)>);

impl Published {
    fn new(bytes: Vec<u8>) -> Published {
        let p = Published::default();
        set(&p, bytes);
        p
    }

    /// The tree size of the checkpoint (0: none).
    pub(super) fn size(&self) -> u64 {
        self.0 .1.load(Ordering::Acquire)
    }
}

pub(super) fn set(p: &Published, bytes: Vec<u8>) {
    let size = tree_size(&bytes);
    if let Ok(mut b) = p.0 .0.write() {
        *b = bytes;
        p.0 .1.store(size, Ordering::Release);
    }
}

pub(super) fn get_bytes(p: &Published) -> Vec<u8> {
    p.0 .0.read().map(|b| b.clone()).unwrap_or_default()
}

/// Counters for `GET /metrics`.
#[derive(Default)]
pub(super) struct Metrics {
    pub(super) logged: AtomicU64,
    pub(super) refused: AtomicU64,
    pub(super) failed: AtomicU64,
    pub(super) commits: AtomicU64,
    pub(super) committed: AtomicU64,
    pub(super) cosigned: AtomicU64,
    pub(super) witness_failures: AtomicU64,
    pub(super) timestamped: AtomicU64,
    pub(super) timestamp_failures: AtomicU64,
}

/// How long one request may take, commit included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The committer: a thread that commits queued submissions in groups until
/// every sender (the router) is gone, so a graceful shutdown still answers
/// what was queued. Join it after the server stops; the witness rounds'
/// thread is not waited for (a witness never delays a shutdown).
pub struct Committer(std::thread::JoinHandle<()>);

impl Committer {
    /// Waits for the last group to be committed.
    pub fn join(self) {
        let _ = self.0.join();
    }
}

/// The ledger's routes, and the committer behind `POST /entries`. `skew`
/// bounds how far in the future a statement's `iat` may be.
pub fn router(root: PathBuf, skew: u64) -> Result<(Router, Committer), LedgerError> {
    let s = start(
        root,
        Options {
            skew,
            ..Options::default()
        },
    )?;
    Ok((s.router, s.committer))
}

/// A witness the log asks after each commit: its cosigning key and URL.
#[derive(Clone, Debug)]
pub struct WitnessAt {
    /// Its key (to check and attach its answer).
    pub key: crate::note::VerifierKey,
    /// Its URL (c2sp.org/tlog-witness; `/add-checkpoint` is appended).
    pub url: String,
}

/// How a ledger service runs.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// How far in the future a statement's `iat` may be.
    pub skew: u64,
    /// The witnesses asked after each commit.
    pub witnesses: Vec<WitnessAt>,
    /// The trust policy packs must satisfy: packs are made against the
    /// latest checkpoint it accepts.
    pub policy: Option<Policy>,
    /// The time-stamping authority asked once per witness round (after the
    /// witnesses): its token over the round's checkpoint is kept in
    /// `log/timestamps/` (FORMATS §29).
    pub tsa: Option<crate::remote::TsaClient>,
}

/// A started ledger service: its routes, its committer, and what its
/// operator must be told before it listens.
pub struct Started {
    /// The routes.
    pub router: Router,
    /// The committer behind `POST /entries`.
    pub committer: Committer,
    /// What the service cannot do as configured (say them loudly).
    pub warnings: Vec<Warning>,
    /// Says, in the ledger's lock file, where the service listens.
    pub announcer: Announcer,
    /// The scheme root, for a confidential ledger: TLS asks clients for a
    /// certificate chained to it (reading by role).
    pub clients: Option<crate::identity::Certificate>,
}

/// Tells writers that find the ledger held where the service listens.
#[derive(Clone)]
pub struct Announcer(Arc<Ledger>);

impl Announcer {
    /// Writes `url` (the service's base URL) beside the lock: a command
    /// that tries to write the ledger is then told at once to use it.
    pub fn announce(&self, url: &str) -> Result<(), LedgerError> {
        self.0.announce_service(url)
    }
}

/// [`router`], and after each commit a thread asks every witness to cosign
/// the new checkpoint and attaches the answers (a witness that fails is
/// counted in the metrics and skipped). Only a policy ledger (one with a
/// trust root) whose log replays is served.
pub fn router_with_witnesses(
    root: PathBuf,
    skew: u64,
    witnesses: Vec<WitnessAt>,
) -> Result<(Router, Committer), LedgerError> {
    let s = start(
        root,
        Options {
            skew,
            witnesses,
            policy: None,
            tsa: None,
        },
    )?;
    Ok((s.router, s.committer))
}

/// What a service configured this way cannot give its clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Warning {
    /// No witnesses, and the trust policy needs a quorum of them.
    #[error("no witnesses: the trust policy needs a witness quorum, which no new checkpoint will meet; packs are made against the last checkpoint the policy accepted, if any")]
    NoWitnessesForPolicy,
    /// No witnesses and no trust policy.
    #[error("no witnesses: this service's checkpoints carry no cosignatures, so the packs it serves will NOT verify against a trust policy that needs a witness quorum (the demo's does)")]
    NoWitnesses,
    /// Witnesses but no trust policy.
    #[error("no trust policy: packs are made against the latest checkpoint, whether or not its witnesses answered")]
    NoTrustPolicy,
}

fn warnings(o: &Options) -> Vec<Warning> {
    let needs = o.policy.as_ref().is_some_and(|p| p.needs_cosignatures());
    match (o.witnesses.is_empty(), &o.policy) {
        (true, _) if needs => vec![Warning::NoWitnessesForPolicy],
        (true, _) => vec![Warning::NoWitnesses],
        (false, None) => vec![Warning::NoTrustPolicy],
        (false, Some(_)) => vec![],
    }
}

/// Starts a ledger service on `root`: checks it can be served, opens its
/// writer and state index, starts the committer and the witness rounds.
pub fn start(root: PathBuf, options: Options) -> Result<Started, LedgerError> {
    let trust_root = crate::store::Layout::new(&root).trust_root();
    if !trust_root.exists() {
        return Err(LedgerError::TrustRoot {
            path: trust_root,
            reason: "missing: only a policy ledger is served (one with a trust root)".into(),
        });
    }
    // The ledger is opened once: its signer read, its writer taken (the
    // service is the ledger's one writer while it runs) and its state
    // index brought up to the checkpoint.
    let ledger = Arc::new(Ledger::open(&root)?);
    ledger.open_index()?;
    for w in ledger.take_warnings() {
        tracing::warn!(warning = %w, "ledger");
    }
    let tiles = super::tiles::Tiles::new(&root)?;
    let warnings = warnings(&options);
    let (tx, rx) = mpsc::unbounded_channel();
    let metrics = Arc::new(Metrics::default());
    // Until the first round is over, the checkpoint on disk is served.
    let on_disk = std::fs::read(crate::store::Layout::new(&root).checkpoint()).unwrap_or_default();
    let published = Published::new(on_disk);
    let accepted: Published = Default::default();
    let (wake, woken) = std::sync::mpsc::channel();
    let rounds = Rounds {
        ledger: ledger.clone(),
        witnesses: options.witnesses.clone(),
        policy: options.policy.clone(),
        tsa: options.tsa.clone(),
        metrics: metrics.clone(),
        published: published.clone(),
        accepted: accepted.clone(),
    };
    std::thread::Builder::new()
        .name("witness-rounds".into())
        .spawn(move || rounds.run(woken))
        .map_err(|e| LedgerError::Store(crate::store::StoreError::io(&root, e)))?;
    let announcer = Announcer(ledger.clone());
    let committer = {
        let ledger = ledger.clone();
        let metrics = metrics.clone();
        let skew = options.skew;
        // Named, so `top -H` and profilers tell it from the HTTP workers.
        let thread = std::thread::Builder::new()
            .name("committer".into())
            .spawn(move || commit_loop(&ledger, rx, skew, &metrics, &wake))
            .map_err(|e| LedgerError::Store(crate::store::StoreError::io(&root, e)))?;
        Committer(thread)
    };
    let confidential = ledger.layout().is_confidential();
    // Client certificates are checked against the scheme root (reading by
    // role) on a confidential ledger.
    let clients = match confidential {
        true => Some(ledger.trust_root()?),
        false => None,
    };
    let gate = super::access::Gate {
        confidential,
        ledger: ledger.clone(),
        root: clients.clone(),
    };
    let service = Arc::new(Service {
        tiles,
        ledger,
        queue: tx,
        metrics,
        published,
        accepted,
        has_policy: options.policy.is_some(),
        registrations: Arc::new(Semaphore::new(MAX_REGISTRATIONS)),
        reads: Arc::new(Semaphore::new(MAX_READS)),
        operations: Default::default(),
    });
    let router = Router::new()
        .route("/entries", post(super::register::register))
        .route("/entries/{index}", get(super::reads::receipt))
        .route("/entries/{index}/statement", get(super::reads::statement))
        .route("/checkpoint", get(super::reads::checkpoint))
        .route("/frozen", get(super::reads::frozen_note))
        .route("/predecessor", get(super::reads::predecessor_note))
        .route("/rotations/{n}", get(super::reads::rotation_note))
        .route("/tile/{*path}", get(super::reads::tile))
        .route("/facilities", get(super::reads::facilities))
        .route("/facilities/{id}", get(super::reads::facility))
        .route(
            "/.well-known/transparency-configuration",
            get(super::reads::configuration),
        )
        .route("/facilities/{id}/pack", get(super::reads::pack))
        .route("/metrics", get(super::reads::prometheus))
        .with_state(service)
        .layer(axum::middleware::from_fn_with_state(
            gate,
            super::access::guard,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    Ok(Started {
        router,
        committer,
        warnings,
        announcer,
        clients,
    })
}

fn commit_loop(
    ledger: &Ledger,
    mut rx: mpsc::UnboundedReceiver<Job>,
    skew: u64,
    m: &Metrics,
    wake: &std::sync::mpsc::Sender<()>,
) {
    let confidential = ledger.layout().is_confidential();
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        // What a refusal may tell the signer depends on the statement's
        // facility (a confidential ledger answers another party's facility
        // as an unregistered one).
        let subjects: Vec<String> = jobs
            .iter()
            .map(|j| {
                crate::cose::peek_type_and_subject(&j.statement)
                    .map(|(_, sub)| sub)
                    .unwrap_or_default()
            })
            .collect();
        let (statements, replies): (Vec<_>, Vec<_>) = jobs
            .into_iter()
            .map(|j| ((j.statement, j.prepared), j.reply))
            .unzip();
        let count = replies.len();
        let started = std::time::Instant::now();
        let done = ledger.submit_prepared(statements, super::now(), skew);
        let outcomes: Vec<Outcome> = match done {
            Err(e) => {
                tracing::error!(statements = count, error = %e, "commit failed");
                (0..count)
                    .map(|_| Outcome::Failed(Failed::of(&e)))
                    .collect()
            }
            Ok(done) => {
                if let Some(w) = &done.index_warning {
                    tracing::warn!(warning = %w, "state index not written (caught up at the next commit)");
                }
                let new = done
                    .results
                    .iter()
                    .filter(|r| matches!(r, Ok(Admission::New(_))))
                    .count();
                tracing::info!(
                    statements = count,
                    new,
                    refused = done.results.iter().filter(|r| r.is_err()).count(),
                    tree_size = done.checkpoint.root().size(),
                    ms = started.elapsed().as_millis() as u64,
                    "commit"
                );
                // Durable: each request makes its receipt against this
                // commit's checkpoint and answers; the witnesses are asked
                // after, on their own thread.
                let snapshot = ledger.snapshot().map(Arc::new);
                let outcomes = done
                    .results
                    .into_iter()
                    .zip(&subjects)
                    .map(|(r, subject)| match r {
                        Ok(Admission::New(index) | Admission::Duplicate(index)) => {
                            match &snapshot {
                                Ok(snapshot) => Outcome::Logged {
                                    index,
                                    snapshot: snapshot.clone(),
                                },
                                Err(e) => Outcome::Failed(Failed::new(
                                    Class::Internal,
                                    format!(
                                    "entry {index} is logged, but its receipt could not be made: {e}"
                                ),
                                )),
                            }
                        }
                        Err(e) => {
                            let e = match confidential {
                                true => e.as_told_on_confidential(subject),
                                false => e,
                            };
                            Outcome::Refused {
                                rule: e.rule(),
                                code: e.code(),
                                detail: e.to_string(),
                            }
                        }
                    })
                    .collect();
                if new > 0 {
                    let _ = wake.send(());
                }
                outcomes
            }
        };
        m.commits.fetch_add(1, Ordering::Relaxed);
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            let counter = match &outcome {
                Outcome::Logged { .. } => &m.logged,
                Outcome::Refused { .. } => &m.refused,
                Outcome::Failed(_) => &m.failed,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            m.committed.fetch_add(1, Ordering::Relaxed);
            let _ = reply.send(outcome);
        }
    }
}

/// RFC 9290 concise problem details: title (-1), detail (-2), and for a
/// refusal the rule and the refusal's stable code as the extension keys
/// "rule" and "code".
pub(super) fn problem(
    status: StatusCode,
    title: &str,
    detail: &str,
    refusal: Option<(&str, &str)>,
) -> Response {
    let mut m = vec![
        (Value::Integer((-1).into()), Value::Text(title.to_string())),
        (Value::Integer((-2).into()), Value::Text(detail.to_string())),
    ];
    if let Some((rule, code)) = refusal {
        m.push((Value::Text("rule".into()), Value::Text(rule.to_string())));
        m.push((Value::Text("code".into()), Value::Text(code.to_string())));
    }
    let body = crate::cbor::encode(&Value::Map(m)).unwrap_or_default();
    (
        status,
        [(
            header::CONTENT_TYPE,
            "application/concise-problem-details+cbor",
        )],
        body,
    )
        .into_response()
}

pub(super) fn cose(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/cose")], body).into_response()
}

pub use super::reads::PACK_BASIS;
