//! Asking a time-stamping authority over RFC 3161 §3.4's HTTP transport (`POST`,
//! `application/timestamp-query` → `application/timestamp-reply`), and a
//! ledger's round of it: stamp the latest checkpoint, check the token
//! against the trusted TSAs, keep it (FORMATS §29).

use std::time::Duration;

use crate::ledger::{Ledger, LedgerError};
use crate::tsa::{TsaError, TsaTrust, Verified};

/// How long one request to a TSA may take, connection to last byte.
pub const TSA_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A TSA to ask, and the anchors its tokens must chain to (the trust
/// policy's `tsa/*.pem`): a token is checked before it is kept, so a
/// wrongly configured TSA is found at once, not by a verifier years later.
#[derive(Clone, Debug)]
pub struct TsaClient {
    /// The TSA's URL (the query is POSTed to it as is).
    pub url: String,
    /// The trusted TSAs.
    pub trusted: Vec<TsaTrust>,
}

impl TsaClient {
    /// The TSA at `url`, trusted through the anchors of the trust
    /// directory `trust` (`trust/tsa/*.pem`, FORMATS §29): refused when
    /// the URL is not one the clients can ask, or when there is no anchor
    /// (a token could not be checked before it is kept).
    pub fn from_trust_dir(url: &str, trust: &std::path::Path) -> Result<TsaClient, StampError> {
        crate::remote::check_url(url)?;
        let dir = trust.join("tsa");
        let as_stamp = |e: crate::verify::TrustError| StampError::Trust {
            path: e.path,
            reason: e.reason,
        };
        let trusted = crate::verify::TrustFiles::read_dir(trust)
            .and_then(|f| f.tsa_anchors())
            .map_err(as_stamp)?;
        if trusted.is_empty() {
            return Err(StampError::Trust {
                path: dir,
                reason: "holds no TSA certificate: put the TSA's root (PEM) there as NAME.pem, so that its tokens are checked before they are kept".into(),
            });
        }
        Ok(TsaClient {
            url: url.to_string(),
            trusted,
        })
    }
}

/// Why a TSA round failed.
#[derive(Debug, thiserror::Error)]
pub enum StampError {
    /// The TSA could not be reached, or its answer not read.
    #[error("TSA: {0}")]
    Net(#[from] crate::remote::NetError),
    /// The TSA answered with an HTTP error.
    #[error("TSA {url} answered {status}: {message}")]
    Http {
        /// The URL asked.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The body, as text (cut to 300 characters).
        message: String,
    },
    /// The reply or its token was refused.
    #[error("TSA {url}: {source}")]
    Token {
        /// The URL asked.
        url: String,
        /// What is wrong with it.
        source: TsaError,
    },
    /// The trust directory names no usable TSA anchor.
    #[error("{}: {reason}", path.display())]
    Trust {
        /// The file or directory at fault.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The ledger would not keep it.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl crate::class::Classify for StampError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            StampError::Net(_) => Class::Unavailable,
            StampError::Http { status, .. } if *status >= 500 => Class::Unavailable,
            StampError::Http { .. } => Class::Refused,
            StampError::Token {
                source: TsaError::Untrusted(_) | TsaError::Signature(_) | TsaError::Mismatch(_),
                ..
            } => Class::VerificationFailed,
            StampError::Token { .. } | StampError::Trust { .. } => Class::BadInput,
            StampError::Ledger(l) => l.class(),
        }
    }
}

impl TsaClient {
    /// Stamps `body` (a checkpoint's body): one query with a fresh nonce,
    /// the reply checked against the query and the trusted TSAs. Returns
    /// the token and what it says.
    pub fn stamp(&self, body: &[u8]) -> Result<(Vec<u8>, Verified), StampError> {
        crate::remote::check_url(&self.url)?;
        let imprint = crate::tsa::imprint(body);
        let nonce = crate::tsa::new_nonce();
        let failed = |e: ureq::Error| {
            StampError::Net(crate::remote::classify(&self.url, e, TSA_REQUEST_TIMEOUT))
        };
        let mut resp = crate::remote::agent(TSA_REQUEST_TIMEOUT)?
            .post(&self.url)
            .header("Content-Type", "application/timestamp-query")
            .header("Accept", "application/timestamp-reply")
            .send(&crate::tsa::request(&imprint, nonce)[..])
            .map_err(failed)?;
        let status = resp.status().as_u16();
        let reply = resp
            .body_mut()
            .with_config()
            .limit(crate::tsa::MAX_TOKEN_SIZE as u64)
            .read_to_vec()
            .map_err(failed)?;
        if status != 200 {
            return Err(StampError::Http {
                url: self.url.clone(),
                status,
                message: String::from_utf8_lossy(&reply)
                    .trim()
                    .chars()
                    .take(300)
                    .collect(),
            });
        }
        let token_err = |source| StampError::Token {
            url: self.url.clone(),
            source,
        };
        let (token, _) =
            crate::tsa::token_from_reply(&reply, &imprint, nonce).map_err(token_err)?;
        let verified =
            crate::tsa::verify_token(&token, &imprint, &self.trusted).map_err(token_err)?;
        Ok((token, verified))
    }
}

/// What a round kept.
#[derive(Clone, Debug)]
pub struct Stamped {
    /// The stamped tree size.
    pub size: u64,
    /// What the token says, and which trusted TSA said it.
    pub verified: Verified,
    /// Where it is kept.
    pub path: std::path::PathBuf,
}

/// Stamps the ledger's latest checkpoint with `tsa` and keeps the token.
/// A ledger whose latest tree already has a token asks again (a round is
/// asked for; the newer token replaces the older, both are valid).
pub fn stamp_ledger(ledger: &Ledger, tsa: &TsaClient) -> Result<Stamped, StampError> {
    let cp = ledger.checkpoint().map_err(LedgerError::from)?;
    let body = cp.checkpoint().to_text();
    let (token, verified) = tsa.stamp(body.as_bytes())?;
    let path = ledger.keep_timestamp(cp.checkpoint(), &token)?;
    Ok(Stamped {
        size: cp.root().size(),
        verified,
        path,
    })
}
