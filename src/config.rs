//! The configuration file: `KEY=VALUE` lines naming the same settings as
//! the environment (`TRIAGE_LEDGER_KEY`, `_CERT`, `_TRUST`, `_LEDGER`,
//! `_URL`, `_CA`), so that a signer's settings need no shell word
//! splitting. Precedence: a flag on the command line, then the
//! environment, then this file. The file is `$TRIAGE_LEDGER_CONFIG`, else
//! `$XDG_CONFIG_HOME/triage-ledger/config`, else
//! `~/.config/triage-ledger/config`; only the first must exist.
//!
//! A relative path in the file (`TRIAGE_LEDGER_TRUST=trust`) is relative to
//! the file's own directory, never to the working directory: a folder
//! someone sent, with a `trust/` of their own, cannot stand in for the
//! user's trust directory by being where a command is run.
//!
//! A mistake in the file (an unknown key, a line without `=`, a key set
//! twice, an empty value) is an error, named by file and line, for every
//! command that reads settings: a setting the user believes in (a signer, a
//! trust directory) must not silently fail to apply. `--help`, `--version`,
//! `help`, `completions` and `man` read no settings and work regardless
//! (the CLI decides which commands read them).

use std::path::{Path, PathBuf};

/// The settings a configuration file may hold.
pub const KEYS: &[&str] = &[
    "TRIAGE_LEDGER_KEY",
    "TRIAGE_LEDGER_CERT",
    "TRIAGE_LEDGER_TRUST",
    "TRIAGE_LEDGER_LEDGER",
    "TRIAGE_LEDGER_URL",
    "TRIAGE_LEDGER_CA",
];

/// The settings whose value is a path (all but the URL).
const PATHS: &[&str] = &[
    "TRIAGE_LEDGER_KEY",
    "TRIAGE_LEDGER_CERT",
    "TRIAGE_LEDGER_TRUST",
    "TRIAGE_LEDGER_LEDGER",
    "TRIAGE_LEDGER_CA",
];

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line that is neither blank, a `#` comment nor `KEY=VALUE`.
    #[error("{path}:{line}: expected KEY=VALUE, got {text:?}")]
    NotKeyValue {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// The line as written.
        text: String,
    },
    /// A key that is not a setting.
    #[error("{path}:{line}: unknown setting {key:?}{}; known: {}", did_you_mean(*.suggestion), KEYS.join(", "))]
    UnknownKey {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// The key as written.
        key: String,
        /// The known key it most resembles, if one is close.
        suggestion: Option<&'static str>,
    },
    /// `KEY=` with nothing after it.
    #[error("{path}:{line}: {key} has no value")]
    NoValue {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// The key.
        key: String,
    },
    /// A key set on two lines.
    #[error("{path}:{line}: {key} is set twice")]
    SetTwice {
        /// The file.
        path: PathBuf,
        /// The second line (1-based).
        line: usize,
        /// The key.
        key: String,
    },
}

fn did_you_mean(s: Option<&str>) -> String {
    s.map(|k| format!(" (did you mean {k}?)"))
        .unwrap_or_default()
}

impl ConfigError {
    /// The file at fault.
    pub fn path(&self) -> &Path {
        match self {
            ConfigError::Unreadable { path, .. }
            | ConfigError::NotKeyValue { path, .. }
            | ConfigError::UnknownKey { path, .. }
            | ConfigError::NoValue { path, .. }
            | ConfigError::SetTwice { path, .. } => path,
        }
    }

    /// The line at fault (1-based), or `None` for the file as a whole.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Unreadable { .. } => None,
            ConfigError::NotKeyValue { line, .. }
            | ConfigError::UnknownKey { line, .. }
            | ConfigError::NoValue { line, .. }
            | ConfigError::SetTwice { line, .. } => Some(*line),
        }
    }
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Reads `KEY=VALUE` lines (blank lines and `#` comments allowed; the
/// value is the rest of the line, trimmed, unquoted if in double quotes).
/// A relative path is made relative to the directory of `path` (the file
/// itself), made absolute.
pub fn parse(path: &Path, text: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let file = path.to_path_buf();
    let base = std::path::absolute(path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let mut out: Vec<(String, String)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(ConfigError::NotKeyValue {
                path: file,
                line: n + 1,
                text: line.to_string(),
            });
        };
        let k = k.trim();
        let Some(&known) = KEYS.iter().find(|x| **x == k) else {
            let suggestion = KEYS
                .iter()
                .map(|x| (distance(&k.to_ascii_uppercase(), x), *x))
                .filter(|(d, _)| *d <= 3)
                .min()
                .map(|(_, x)| x);
            return Err(ConfigError::UnknownKey {
                path: file,
                line: n + 1,
                key: k.to_string(),
                suggestion,
            });
        };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        if v.is_empty() {
            return Err(ConfigError::NoValue {
                path: file,
                line: n + 1,
                key: known.to_string(),
            });
        }
        if out.iter().any(|(have, _)| have == known) {
            return Err(ConfigError::SetTwice {
                path: file,
                line: n + 1,
                key: known.to_string(),
            });
        }
        let v = if PATHS.contains(&known) && Path::new(v).is_relative() {
            base.join(v).to_string_lossy().into_owned()
        } else {
            v.to_string()
        };
        out.push((known.to_string(), v));
    }
    Ok(out)
}

/// Where the configuration file is, and whether it must exist (it must
/// when `TRIAGE_LEDGER_CONFIG` names it).
pub fn location() -> Option<(PathBuf, bool)> {
    if let Some(p) = std::env::var_os("TRIAGE_LEDGER_CONFIG") {
        return Some((PathBuf::from(p), true));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some((base.join("triage-ledger").join("config"), false))
}

/// The directory the configuration file is in (whether or not the file
/// exists): where the tool keeps what it remembers for the user, such as
/// the log keys it pinned (`remote::known`).
pub fn directory() -> Option<PathBuf> {
    let (path, _) = location()?;
    let path = std::path::absolute(&path).unwrap_or(path);
    path.parent().map(Path::to_path_buf)
}

/// The settings of the configuration file that the environment does not
/// already set (the environment wins).
pub fn load() -> Result<Vec<(String, String)>, ConfigError> {
    let Some((path, required)) = location() else {
        return Ok(Vec::new());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(Vec::new()),
        Err(source) => return Err(ConfigError::Unreadable { path, source }),
    };
    // The environment wins over the file, also where the file's setting
    // would outrank it: a ledger from the file does not displace a URL
    // from the environment, nor the other way round.
    let env_has = |k: &str| std::env::var_os(k).is_some();
    let either = env_has("TRIAGE_LEDGER_LEDGER") || env_has("TRIAGE_LEDGER_URL");
    Ok(parse(&path, &text)?
        .into_iter()
        .filter(|(k, _)| !env_has(k))
        .filter(|(k, _)| !(either && (k == "TRIAGE_LEDGER_LEDGER" || k == "TRIAGE_LEDGER_URL")))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_and_mistakes_named_by_line() {
        let p = Path::new("/home/u/.config/triage-ledger/config");
        let got = parse(
            p,
            "# signer\nTRIAGE_LEDGER_KEY = /ops/operator.key\n\nTRIAGE_LEDGER_CERT=\"/ops/my cert.pem\"\nTRIAGE_LEDGER_URL=https://l.example\n",
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                ("TRIAGE_LEDGER_KEY".into(), "/ops/operator.key".into()),
                ("TRIAGE_LEDGER_CERT".into(), "/ops/my cert.pem".into()),
                ("TRIAGE_LEDGER_URL".into(), "https://l.example".into()),
            ]
        );
        for (text, line, says) in [
            ("TRIAGE_LEDGER_KEY", 1, "expected KEY=VALUE"),
            (
                "\nTRIAGE_LEDGER_KYE=x",
                2,
                "unknown setting \"TRIAGE_LEDGER_KYE\" (did you mean TRIAGE_LEDGER_KEY?)",
            ),
            ("\nFOO=x", 2, "unknown setting \"FOO\"; known:"),
            ("TRIAGE_LEDGER_URL=", 1, "no value"),
            ("TRIAGE_LEDGER_URL=a\nTRIAGE_LEDGER_URL=b", 2, "set twice"),
        ] {
            let e = parse(p, text).unwrap_err();
            assert_eq!(e.line(), Some(line), "{e}");
            assert_eq!(e.path(), p);
            assert!(e.to_string().contains(says), "{e}");
        }
    }

    /// A relative path is the configuration file's neighbour, not the
    /// working directory's.
    #[test]
    fn relative_paths_are_relative_to_the_file() {
        let p = Path::new("/home/u/.config/triage-ledger/config");
        let got = parse(
            p,
            "TRIAGE_LEDGER_TRUST=trust\nTRIAGE_LEDGER_KEY=../keys/op.key\nTRIAGE_LEDGER_CA=/etc/ca.pem\nTRIAGE_LEDGER_URL=ledger.example:8443\n",
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                (
                    "TRIAGE_LEDGER_TRUST".into(),
                    "/home/u/.config/triage-ledger/trust".into()
                ),
                (
                    "TRIAGE_LEDGER_KEY".into(),
                    "/home/u/.config/triage-ledger/../keys/op.key".into()
                ),
                ("TRIAGE_LEDGER_CA".into(), "/etc/ca.pem".into()),
                ("TRIAGE_LEDGER_URL".into(), "ledger.example:8443".into()),
            ]
        );
    }
}
