//! What a verifier trusts, read from a trust directory:
//!
//! ```text
//! TRUST/
//!   root.pem   the scheme's root certificate (required)
//!   policy     c2sp.org/tlog-policy: the log(s), the witnesses, the quorum
//!   log.vkey   the log's verifier key (used when there is no policy file:
//!              then no witness is required, and the report says so)
//! ```
//!
//! When both `policy` and `log.vkey` exist, the policy must list that log.

use std::path::Path;

use crate::identity::Certificate;
use crate::note::{Policy, VerifierKey};

/// The scheme root and the transparency policy.
#[derive(Clone, Debug)]
pub struct Trust {
    /// The scheme root certificate.
    pub root: Certificate,
    /// Which logs and witnesses are trusted, and the cosigning quorum.
    pub policy: Policy,
}

impl Trust {
    /// Reads a trust directory (see the module documentation).
    pub fn load(dir: &Path) -> Result<Trust, String> {
        let read = |name: &str| -> Result<Option<Vec<u8>>, String> {
            let p = dir.join(name);
            match std::fs::read(&p) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(format!("{}: {e}", p.display())),
            }
        };
        let root_path = dir.join("root.pem");
        let root = read("root.pem")?
            .ok_or_else(|| format!("{}: missing (the scheme root)", root_path.display()))?;
        let root =
            Certificate::from_pem(&root).map_err(|e| format!("{}: {e}", root_path.display()))?;
        let vkey_path = dir.join("log.vkey");
        let vkey = read("log.vkey")?
            .map(|b| {
                let text = String::from_utf8(b).map_err(|_| "not UTF-8".to_string())?;
                VerifierKey::parse(text.trim()).map_err(|e| e.to_string())
            })
            .transpose()
            .map_err(|e| format!("{}: {e}", vkey_path.display()))?;
        let policy_path = dir.join("policy");
        let policy = match (read("policy")?, vkey) {
            (Some(text), vkey) => {
                let p =
                    Policy::parse(&text).map_err(|e| format!("{}: {e}", policy_path.display()))?;
                if p.logs().is_empty() {
                    return Err(format!("{}: lists no log", policy_path.display()));
                }
                if let Some(v) = vkey {
                    if !p.logs().contains(&v) {
                        return Err(format!(
                            "{} names log {}+{}, which {} does not list",
                            vkey_path.display(),
                            v.name(),
                            v.id(),
                            policy_path.display()
                        ));
                    }
                }
                p
            }
            (None, Some(v)) => Policy::single_log(v),
            (None, None) => {
                return Err(format!(
                    "{}: neither policy nor log.vkey (the log's key) is there",
                    dir.display()
                ))
            }
        };
        Ok(Trust { root, policy })
    }

    /// Trust in one log with no witnesses.
    pub fn single_log(root: Certificate, log: VerifierKey) -> Trust {
        Trust {
            root,
            policy: Policy::single_log(log),
        }
    }
}
