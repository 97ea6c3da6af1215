//! Clients of a ledger served over HTTP (`triage-ledger serve`): blocking
//! (ureq), for the CLI's `--url` forms.

pub mod known;
mod net;
mod register;
mod token_tls;
mod tsa;

use std::time::Duration;

use ciborium::Value;

pub(crate) use net::{agent, classify};
pub use net::{check_url, NetError, CA_ENV};
pub use register::{KeySource, RegisterError, Registrar, Verified};
pub use tsa::{stamp_ledger, StampError, Stamped, TsaClient, TSA_REQUEST_TIMEOUT};

/// Why a request to the ledger's service did not give its answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached, or its answer not read.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The registration policy refused the statement (400).
    #[error("refused [{code}]: {detail}")]
    Refused {
        /// The rule, from the problem details.
        rule: String,
        /// The refusal's stable code (`rule/case`), from the problem
        /// details; the rule alone from a service that gives none.
        code: String,
        /// The detail.
        detail: String,
    },
    /// Any other answer.
    #[error("{url}: HTTP {status}: {detail}")]
    Status {
        /// The URL asked.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The problem detail or body.
        detail: String,
    },
}

impl ClientError {
    /// True for a refusal by the policy (a verification failure, exit 1).
    pub fn is_refusal(&self) -> bool {
        matches!(self, ClientError::Refused { .. })
    }
}

impl crate::class::Classify for ClientError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            ClientError::Refused { .. } => Class::Refused,
            ClientError::Net(_) => Class::Unavailable,
            ClientError::Status { status: 404, .. } => Class::NotFound,
            ClientError::Status { status, .. } if (400..500).contains(status) => Class::BadInput,
            ClientError::Status { .. } => Class::Unavailable,
        }
    }
}

/// What a service answered to a registration, unverified (see
/// [`Registrar`], which verifies it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Registered {
    /// Its log index (from `Location: /entries/INDEX`).
    pub index: u64,
    /// Its COSE Receipt.
    pub receipt: Vec<u8>,
}

/// How long a client waits for the ledger's service.
const TIMEOUT: Duration = Duration::from_secs(120);

/// An agent for the service at `base` (its URL as the user gave it), once
/// that is known to be a URL the client can ask.
fn client(base: &str) -> Result<ureq::Agent, NetError> {
    check_url(base)?;
    agent(TIMEOUT)
}

/// RFC 9290 problem details: (detail, rule).
fn problem(body: &[u8]) -> (String, Option<(String, Option<String>)>) {
    let Ok(Value::Map(m)) = ciborium::from_reader::<Value, _>(body) else {
        return (
            String::from_utf8_lossy(body).chars().take(1000).collect(),
            None,
        );
    };
    let key = |k: &Value| {
        m.iter()
            .find(|(x, _)| x == k)
            .and_then(|(_, v)| v.as_text())
            .map(str::to_string)
    };
    (
        key(&Value::Integer((-2).into())).unwrap_or_default(),
        key(&Value::Text("rule".into())).map(|r| (r, key(&Value::Text("code".into())))),
    )
}

/// `POST {base}/entries` with the statement (`application/cose`): the
/// answer as given; [`Registrar::register`] believes it only once its
/// receipt verifies.
pub(crate) fn register(base: &str, statement: &[u8]) -> Result<Registered, ClientError> {
    let url = format!("{}/entries", base.trim_end_matches('/'));
    let failed = |e: ureq::Error| ClientError::Net(classify(&url, e, TIMEOUT));
    let mut resp = client(base)?
        .post(&url)
        .header("Content-Type", "application/cose")
        .send(statement)
        .map_err(failed)?;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_vec()
        .map_err(failed)?;
    match status {
        201 => {
            let index = location
                .as_deref()
                .and_then(|l| l.rsplit('/').next())
                .and_then(|i| i.parse().ok())
                .ok_or_else(|| ClientError::Status {
                    url: url.clone(),
                    status,
                    detail: "201 without a Location: /entries/INDEX".into(),
                })?;
            Ok(Registered {
                index,
                receipt: body,
            })
        }
        400 => {
            let (detail, rule) = problem(&body);
            match rule {
                Some((rule, code)) => Err(ClientError::Refused {
                    code: code.unwrap_or_else(|| rule.clone()),
                    rule,
                    detail,
                }),
                None => Err(ClientError::Status {
                    url,
                    status,
                    detail,
                }),
            }
        }
        _ => Err(ClientError::Status {
            url,
            status,
            detail: problem(&body).0,
        }),
    }
}

/// `GET {base}{path}`: the body of a `200`; any other status is an error
/// with the problem detail.
fn get(base: &str, path: &str) -> Result<Vec<u8>, ClientError> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let failed = |e: ureq::Error| ClientError::Net(classify(&url, e, TIMEOUT));
    let mut resp = client(base)?.get(&url).call().map_err(failed)?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(crate::verify::MAX_PACK_SIZE as u64)
        .read_to_vec()
        .map_err(failed)?;
    match status {
        200 => Ok(body),
        _ => Err(ClientError::Status {
            url,
            status,
            detail: problem(&body).0,
        }),
    }
}

/// The facility status the service computes (`GET /facilities[/ID]`), as
/// `status --json` prints it.
pub fn status(
    base: &str,
    facility: Option<&str>,
    as_of: Option<&str>,
) -> Result<crate::status::LedgerStatus, ClientError> {
    let mut path = match facility {
        Some(id) => format!("/facilities/{}", encode_segment(id)),
        None => "/facilities".to_string(),
    };
    if let Some(d) = as_of {
        path.push_str(&format!("?as_of={}", encode_segment(d)));
    }
    let body = get(base, &path)?;
    serde_json::from_slice(&body).map_err(|e| ClientError::Status {
        url: format!("{}{path}", base.trim_end_matches('/')),
        status: 200,
        detail: format!("not a status object: {e}"),
    })
}

/// A facility's evidence pack (`GET /facilities/ID/pack`), checked to
/// parse as one.
pub fn pack(base: &str, facility: &str) -> Result<Vec<u8>, ClientError> {
    let path = format!("/facilities/{}/pack", encode_segment(facility));
    let body = get(base, &path)?;
    crate::verify::Pack::parse(&body).map_err(|e| ClientError::Status {
        url: format!("{}{path}", base.trim_end_matches('/')),
        status: 200,
        detail: format!("not a pack: {e}"),
    })?;
    Ok(body)
}

/// Percent-encodes a path segment (ids are visible ASCII; encode all but
/// unreserved characters).
fn encode_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A public tree served over HTTP(S) as c2sp.org/tlog-tiles lays it out
/// (`BASE/checkpoint`, `BASE/tile/…`): a ledger's `serve`, or any static
/// web server of a `log/` directory. `404` is an absent object; anything
/// else that is not `200` is an I/O error naming the URL.
pub struct HttpTree {
    base: String,
    agent: ureq::Agent,
}

impl HttpTree {
    /// The tree at `base` (e.g. `https://ledger.example.org`).
    pub fn new(base: &str) -> Result<HttpTree, NetError> {
        let base = base.trim_end_matches('/').to_string();
        let agent = client(&base)?;
        Ok(HttpTree { base, agent })
    }

    fn url(&self, rel: &str) -> String {
        format!("{}/{rel}", self.base)
    }
}

impl crate::store::PublicTree for HttpTree {
    fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, crate::store::StoreError> {
        let url = self.url(rel);
        let failed = |e: NetError| crate::store::StoreError::Fetch {
            url: url.clone(),
            source: Box::new(e),
        };
        // The largest object: an entry bundle of 256 entries of 64 KiB.
        let limit: u64 = if rel.starts_with("tile/entries/") {
            256 * (2 + 65_535)
        } else {
            1 << 20
        };
        let net = |e: ureq::Error| failed(classify(&url, e, TIMEOUT));
        let mut resp = self.agent.get(&url).call().map_err(net)?;
        match resp.status().as_u16() {
            200 => resp
                .body_mut()
                .with_config()
                .limit(limit)
                .read_to_vec()
                .map(Some)
                .map_err(net),
            404 => Ok(None),
            status => Err(failed(NetError::Other {
                url: url.clone(),
                reason: format!("HTTP {status}"),
            })),
        }
    }

    fn locate(&self, rel: &str) -> std::path::PathBuf {
        self.url(rel).into()
    }
}
