//! Registration that believes nothing it cannot check: a `201` is a
//! registration only when its receipt is signed by the log's key and its
//! inclusion proof leads from the leaf of the statement sent to the root
//! that signature covers (RFC 9942). The log's key comes, in this order,
//! from a trust directory's policy, from the key pinned earlier for the
//! service's URL (`known-logs`), or from the service itself
//! (`/.well-known/transparency-configuration`), pinned on first use once
//! an answer verifies with it.

use std::path::PathBuf;

use ciborium::Value;

use super::known::{KnownLogs, KnownLogsError};
use super::{ClientError, NetError};
use crate::cose::Receipt;
use crate::merkle::RootHash;
use crate::note::VerifierKey;

/// Where the log key that receipts are checked against came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// The log keys of a trust directory (its policy, or `log.vkey`).
    Trust {
        /// The directory.
        dir: PathBuf,
    },
    /// The key pinned for the URL in a `known-logs` file.
    Pinned {
        /// The file.
        file: PathBuf,
    },
    /// The service's own configuration, to be pinned in `file` once an
    /// answer verifies with it (trust on first use).
    FirstUse {
        /// The file it will be pinned in.
        file: PathBuf,
    },
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Trust { dir } => write!(f, "the trust directory {}", dir.display()),
            KeySource::Pinned { file } => write!(f, "pinned in {}", file.display()),
            KeySource::FirstUse { .. } => {
                write!(f, "the service's own configuration, on first use")
            }
        }
    }
}

/// Why a statement is not known to be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// No answer, a refusal, or another status (see [`ClientError`]).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The service answered `201` with a receipt that is not one for the
    /// statement sent, signed by the log key: the registration is not
    /// believed.
    #[error("{url}: the receipt for entry {index} does not verify against the log key {key} ({source_of_key}): {reason}")]
    BadReceipt {
        /// The URL asked.
        url: String,
        /// The index the service claimed.
        index: u64,
        /// The expected key(s), `name+keyid`.
        key: String,
        /// Where that key came from.
        source_of_key: KeySource,
        /// What failed: parsing, the proof, the signature, the index.
        reason: String,
    },
    /// The service presents another log key than the one pinned for its
    /// URL.
    #[error("{url} presents the log key {presented}, but {pinned} is pinned for it in {file}; nothing was submitted")]
    KeyChanged {
        /// The service.
        url: String,
        /// The key pinned (`name+keyid`).
        pinned: String,
        /// The key it presents (`name+keyid`).
        presented: String,
        /// The `known-logs` file.
        file: PathBuf,
    },
    /// No key to check receipts with: none given, none pinned, and the
    /// service's configuration does not give one.
    #[error("{url}: no log key to check its receipts with: {reason}")]
    NoKey {
        /// The service.
        url: String,
        /// Why.
        reason: String,
    },
    /// The `known-logs` file could not be read.
    #[error(transparent)]
    KnownLogs(#[from] KnownLogsError),
}

impl RegisterError {}

impl crate::class::Classify for RegisterError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            RegisterError::Client(c) => c.class(),
            RegisterError::BadReceipt { .. } | RegisterError::KeyChanged { .. } => {
                Class::VerificationFailed
            }
            RegisterError::NoKey { .. } | RegisterError::KnownLogs(_) => Class::BadInput,
        }
    }
}

/// A registration whose receipt verified.
#[derive(Debug)]
pub struct Verified {
    /// The statement's log index.
    pub index: u64,
    /// Its receipt, as received.
    pub receipt: Receipt,
    /// The root the receipt proves the statement under.
    pub root: RootHash,
    /// The key it verified with.
    pub key: VerifierKey,
    /// Set when this registration pinned the key (trust on first use):
    /// the file, or why it could not be written (the key was still the
    /// one the service gave, and is learnt again next time).
    pub pinned: Option<Result<PathBuf, KnownLogsError>>,
}

/// The client of one service, with the log key(s) its receipts must be
/// signed by.
pub struct Registrar {
    base: String,
    keys: Vec<VerifierKey>,
    source: KeySource,
    known: Option<KnownLogs>,
}

fn name_id(k: &VerifierKey) -> String {
    format!("{}+{}", k.name(), k.id())
}

impl Registrar {
    /// The client of the service at `base`. `trusted`: the log keys of a
    /// trust directory, which decide; else the key pinned for `base` in
    /// `known` (checked against what the service presents now, so that
    /// nothing is sent to a service with another key); else the service's
    /// own key, pinned in `known` after its first answer verifies.
    pub fn connect(
        base: &str,
        trusted: Option<(Vec<VerifierKey>, PathBuf)>,
        known: Option<PathBuf>,
    ) -> Result<Registrar, RegisterError> {
        super::check_url(base).map_err(ClientError::from)?;
        let base = base.trim_end_matches('/').to_string();
        if let Some((keys, dir)) = trusted {
            return Ok(Registrar {
                base,
                keys,
                source: KeySource::Trust { dir },
                known: None,
            });
        }
        let Some(file) = known else {
            return Err(RegisterError::NoKey {
                url: base,
                reason: "no trust directory was given, and there is no configuration directory to pin the service's key in".into(),
            });
        };
        let known = KnownLogs::open(&file)?;
        match known.get(&base).cloned() {
            Some(pinned) => {
                // A service that no longer says which key it signs with is
                // judged by its receipts; one that names another is refused
                // before anything is sent.
                if let Ok(p) = &configured_key(&base) {
                    if *p != pinned {
                        return Err(RegisterError::KeyChanged {
                            url: base,
                            pinned: name_id(&pinned),
                            presented: name_id(p),
                            file,
                        });
                    }
                }
                Ok(Registrar {
                    base,
                    keys: vec![pinned],
                    source: KeySource::Pinned { file },
                    known: None,
                })
            }
            None => {
                let key = configured_key(&base)?;
                Ok(Registrar {
                    base,
                    keys: vec![key],
                    source: KeySource::FirstUse { file },
                    known: Some(known),
                })
            }
        }
    }

    /// Where the key came from.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// The key(s) receipts must be signed by.
    pub fn keys(&self) -> &[VerifierKey] {
        &self.keys
    }

    /// Registers `statement` and verifies the receipt: the proof from the
    /// statement's leaf, the log's signature over the root it leads to,
    /// the index the service claimed. Pins the key on first use once a
    /// receipt verifies.
    pub fn register(&mut self, statement: &[u8]) -> Result<Verified, RegisterError> {
        let r = super::register(&self.base, statement)?;
        let bad = |reason: String| RegisterError::BadReceipt {
            url: format!("{}/entries", self.base),
            index: r.index,
            key: self
                .keys
                .iter()
                .map(name_id)
                .collect::<Vec<_>>()
                .join(" or "),
            source_of_key: self.source.clone(),
            reason,
        };
        let receipt =
            Receipt::parse(&r.receipt).map_err(|e| bad(format!("not a COSE receipt: {e}")))?;
        let mut failure = String::new();
        let mut verified = None;
        for key in &self.keys {
            match receipt.verify(statement, key) {
                Ok(root) => {
                    verified = Some((root, key.clone()));
                    break;
                }
                Err(e) => failure = e.to_string(),
            }
        }
        let Some((root, key)) = verified else {
            return Err(bad(failure));
        };
        if receipt.proof().index() != r.index {
            return Err(bad(format!(
                "its proof is for leaf {}, not the entry the service named",
                receipt.proof().index()
            )));
        }
        let pinned = match self.known.take() {
            Some(mut known) => {
                let result = known
                    .pin(&self.base, &key)
                    .map(|()| known.path().to_path_buf());
                if result.is_ok() {
                    self.source = KeySource::Pinned {
                        file: known.path().to_path_buf(),
                    };
                }
                Some(result)
            }
            None => None,
        };
        Ok(Verified {
            index: r.index,
            receipt,
            root,
            key,
            pinned,
        })
    }
}

/// The log key the service at `base` says it signs with
/// (`/.well-known/transparency-configuration`, CBOR with `vkey`).
fn configured_key(base: &str) -> Result<VerifierKey, RegisterError> {
    let no_key = |reason: String| RegisterError::NoKey {
        url: base.to_string(),
        reason,
    };
    let body = match super::get(base, "/.well-known/transparency-configuration") {
        Ok(b) => b,
        Err(ClientError::Net(n)) => return Err(n.into()),
        Err(e) => return Err(no_key(format!("its transparency configuration: {e}"))),
    };
    let config: Value = ciborium::from_reader(body.as_slice())
        .map_err(|e| no_key(format!("its transparency configuration is not CBOR: {e}")))?;
    let vkey = config
        .as_map()
        .and_then(|m| {
            m.iter()
                .find(|(k, _)| k.as_text() == Some("vkey"))
                .and_then(|(_, v)| v.as_text())
        })
        .ok_or_else(|| no_key("its transparency configuration has no text \"vkey\"".into()))?;
    VerifierKey::parse(vkey)
        .map_err(|e| no_key(format!("the vkey of its transparency configuration: {e}")))
}

impl From<NetError> for RegisterError {
    fn from(e: NetError) -> Self {
        RegisterError::Client(e.into())
    }
}
