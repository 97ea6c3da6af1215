//! The configuration file: `KEY=VALUE` lines naming the same settings as
//! the environment (`TRIAGE_LEDGER_KEY`, `_CERT`, `_TRUST`, `_LEDGER`,
//! `_URL`, `_CA`), so that a signer's settings need no shell word
//! splitting. Precedence: a flag on the command line, then the
//! environment, then this file. The file is `$TRIAGE_LEDGER_CONFIG`, else
//! `$XDG_CONFIG_HOME/triage-ledger/config`, else
//! `~/.config/triage-ledger/config`; only the first must exist.

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

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {reason}")]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// Its line (1-based; 0 for the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Reads `KEY=VALUE` lines (blank lines and `#` comments allowed; the
/// value is the rest of the line, trimmed, unquoted if in double quotes).
pub fn parse(path: &Path, text: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let err = |line, reason: String| ConfigError {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| err(n + 1, format!("expected KEY=VALUE, got {line:?}")))?;
        let k = k.trim();
        if !KEYS.contains(&k) {
            return Err(err(
                n + 1,
                format!("unknown setting {k:?}; known: {}", KEYS.join(", ")),
            ));
        }
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        if v.is_empty() {
            return Err(err(n + 1, format!("{k} has no value")));
        }
        if out.iter().any(|(have, _)| have == k) {
            return Err(err(n + 1, format!("{k} is set twice")));
        }
        out.push((k.to_string(), v.to_string()));
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

/// The settings of the configuration file that the environment does not
/// already set (the environment wins).
pub fn load() -> Result<Vec<(String, String)>, ConfigError> {
    let Some((path, required)) = location() else {
        return Ok(Vec::new());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(Vec::new()),
        Err(e) => {
            return Err(ConfigError {
                path,
                line: 0,
                reason: e.to_string(),
            })
        }
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
        let p = Path::new("cfg");
        let got = parse(
            p,
            "# signer\nTRIAGE_LEDGER_KEY = ops/operator.key\n\nTRIAGE_LEDGER_CERT=\"ops/my cert.pem\"\n",
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                ("TRIAGE_LEDGER_KEY".into(), "ops/operator.key".into()),
                ("TRIAGE_LEDGER_CERT".into(), "ops/my cert.pem".into())
            ]
        );
        for (text, line, says) in [
            ("TRIAGE_LEDGER_KEY", 1, "expected KEY=VALUE"),
            ("\nTRIAGE_LEDGER_KYE=x", 2, "unknown setting"),
            ("TRIAGE_LEDGER_URL=", 1, "no value"),
            ("TRIAGE_LEDGER_URL=a\nTRIAGE_LEDGER_URL=b", 2, "set twice"),
        ] {
            let e = parse(p, text).unwrap_err();
            assert_eq!(e.line, line, "{e}");
            assert!(e.to_string().contains(says), "{e}");
        }
    }
}
