//! The log keys a user pinned on first use (trust on first use, as SSH's
//! `known_hosts`): `known-logs` in the configuration directory, beside the
//! configuration file. One line per service:
//!
//! ```text
//! # comments and blank lines are ignored
//! https://ledger.example.org ledger.example.org/mp203+1a2b3c4d+AXr…
//! ```
//!
//! the service's URL (normalised: scheme, host, port and path, without a
//! trailing `/`) and the log's signed-note verifier key. A line is added
//! the first time a service's answer is checked against the key the
//! service gave; from then on, answers from that URL must be signed by it.
//! To accept a service's new key, remove its line.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::note::VerifierKey;

/// The file's name, in the configuration directory.
pub const KNOWN_LOGS: &str = "known-logs";

/// A `known-logs` file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KnownLogsError {
    /// It could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not `URL VKEY`.
    #[error("{path}:{line}: {reason}; each line is URL VKEY")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// The pinned keys, as read from the file.
#[derive(Clone, Debug)]
pub struct KnownLogs {
    path: PathBuf,
    entries: Vec<(String, VerifierKey)>,
}

/// The service URL as it is pinned: parsed and written back (lower-case
/// host, no default port), without a trailing `/`.
pub fn normalise(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => u.as_str().trim_end_matches('/').to_string(),
        Err(_) => url.trim_end_matches('/').to_string(),
    }
}

impl KnownLogs {
    /// The user's file: `known-logs` beside the configuration file
    /// (`config::directory`), or `None` when there is no home.
    pub fn default_path() -> Option<PathBuf> {
        crate::config::directory().map(|d| d.join(KNOWN_LOGS))
    }

    /// Reads `path` (a missing file pins nothing).
    pub fn open(path: &Path) -> Result<KnownLogs, KnownLogsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(KnownLogsError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason: String| KnownLogsError::Malformed {
                path: path.to_path_buf(),
                line: n + 1,
                reason,
            };
            let mut words = line.split_whitespace();
            let (Some(url), Some(key), None) = (words.next(), words.next(), words.next()) else {
                return Err(bad("expected two words".into()));
            };
            let key = VerifierKey::parse(key).map_err(|e| bad(format!("the key: {e}")))?;
            entries.push((normalise(url), key));
        }
        Ok(KnownLogs {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key pinned for `url` (the first line for it).
    pub fn get(&self, url: &str) -> Option<&VerifierKey> {
        let url = normalise(url);
        self.entries.iter().find(|(u, _)| *u == url).map(|(_, k)| k)
    }

    /// Pins `key` for `url`: appends its line (creating the file and its
    /// directory), in one write.
    pub fn pin(&mut self, url: &str, key: &VerifierKey) -> Result<(), KnownLogsError> {
        let io = |source| KnownLogsError::Io {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        let mut line = String::new();
        if f.metadata().map_err(io)?.len() == 0 {
            line.push_str("# Log keys pinned on first use by `triage-ledger submit --url`: URL, then the log's\n# verifier key. Answers from URL must be signed by that key; remove a line to accept a new one.\n");
        }
        let url = normalise(url);
        line.push_str(&format!("{url} {key}\n"));
        f.write_all(line.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        self.entries.push((url, key.clone()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::{SigType, SignerKey};

    #[test]
    fn keys_are_pinned_per_url_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg").join(KNOWN_LOGS);
        let mut k = KnownLogs::open(&path).unwrap();
        assert!(k.get("http://127.0.0.1:8090").is_none());
        let a = SignerKey::generate("example.org/a", SigType::Ed25519)
            .unwrap()
            .verifier();
        k.pin("HTTP://127.0.0.1:8090/", &a).unwrap();
        let k = KnownLogs::open(&path).unwrap();
        assert_eq!(k.get("http://127.0.0.1:8090"), Some(&a));
        assert_eq!(k.get("http://127.0.0.1:8090/"), Some(&a));
        assert!(k.get("http://127.0.0.1:8091").is_none());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# Log keys pinned"), "{text}");
        assert!(
            text.ends_with(&format!("http://127.0.0.1:8090 {a}\n")),
            "{text}"
        );
        std::fs::write(&path, "http://x\n").unwrap();
        let e = KnownLogs::open(&path).unwrap_err();
        assert!(e.to_string().contains(":1: expected two words"), "{e}");
    }
}
