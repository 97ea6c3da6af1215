//! Offline verification of a pack: every check it made, what it could not
//! check, and one verdict.

use std::path::Path;

use super::Pack;
use crate::cose::split_transparent;
use crate::identity::Certificate;
use crate::note::{SignedCheckpoint, VerifierKey};
use crate::policy::{Admission, Config, State};

/// What a verifier trusts: the scheme root and the log key.
#[derive(Clone, Debug)]
pub struct Trust {
    /// The scheme root certificate.
    pub root: Certificate,
    /// The log's verifier key.
    pub log: VerifierKey,
}

impl Trust {
    /// Reads `DIR/root.pem` and `DIR/log.vkey`.
    pub fn load(dir: &Path) -> Result<Trust, String> {
        let root_path = dir.join("root.pem");
        let root =
            std::fs::read(&root_path).map_err(|e| format!("{}: {e}", root_path.display()))?;
        let root =
            Certificate::from_pem(&root).map_err(|e| format!("{}: {e}", root_path.display()))?;
        let vkey_path = dir.join("log.vkey");
        let vkey = std::fs::read_to_string(&vkey_path)
            .map_err(|e| format!("{}: {e}", vkey_path.display()))?;
        let log =
            VerifierKey::parse(vkey.trim()).map_err(|e| format!("{}: {e}", vkey_path.display()))?;
        Ok(Trust { root, log })
    }
}

/// One check and its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// Details (why it failed, or what it established).
    pub detail: String,
}

/// The outcome of verifying a pack.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Every check made, in order.
    pub checks: Vec<Check>,
    /// What could not be checked offline.
    pub not_checked: Vec<String>,
}

impl Report {
    fn check(&mut self, name: impl Into<String>, passed: bool, detail: impl Into<String>) {
        self.checks.push(Check {
            name: name.into(),
            passed,
            detail: detail.into(),
        });
    }

    /// True only when there were checks and every one passed.
    pub fn verified(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    /// The report as one JSON object:
    /// `{"verified": bool, "checks": [{"name", "passed", "detail"}], "not_checked": [string]}`.
    pub fn to_json(&self) -> String {
        let checks: Vec<String> = self
            .checks
            .iter()
            .map(|c| {
                format!(
                    "{{\"name\": {}, \"passed\": {}, \"detail\": {}}}",
                    json_string(&c.name),
                    c.passed,
                    json_string(&c.detail)
                )
            })
            .collect();
        let not: Vec<String> = self.not_checked.iter().map(|n| json_string(n)).collect();
        format!(
            "{{\"verified\": {}, \"checks\": [{}], \"not_checked\": [{}]}}",
            self.verified(),
            checks.join(", "),
            not.join(", ")
        )
    }

    /// The report as text: each check, then what was not checked, then the verdict.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for c in &self.checks {
            s.push_str(&format!(
                "{} {}: {}\n",
                if c.passed { "ok:    " } else { "FAILED:" },
                c.name,
                c.detail
            ));
        }
        for n in &self.not_checked {
            s.push_str(&format!("not checked: {n}\n"));
        }
        let failed = self.checks.iter().filter(|c| !c.passed).count();
        if self.verified() {
            s.push_str(&format!(
                "VERIFIED: all {} checks passed\n",
                self.checks.len()
            ));
        } else {
            s.push_str(&format!(
                "NOT VERIFIED: {failed} of {} checks failed\n",
                self.checks.len()
            ));
        }
        s
    }
}

/// Verifies a pack against the trust material, offline.
pub fn verify_pack(pack: &Pack, trust: &Trust) -> Report {
    let mut r = Report::default();
    let cp = match SignedCheckpoint::open(&pack.checkpoint, &trust.log) {
        Ok(cp) => {
            r.check(
                "checkpoint",
                true,
                format!(
                    "signed by log {} (key id {}), tree size {}, root {}",
                    trust.log.name(),
                    trust.log.id(),
                    cp.root().size(),
                    cp.root().hash()
                ),
            );
            Some(cp)
        }
        Err(e) => {
            r.check("checkpoint", false, e.to_string());
            None
        }
    };
    // Offline, times are not compared with a clock: any iat passes the
    // future/stale window; validity is checked at each statement's own iat.
    let cfg = Config {
        root: trust.root.clone(),
        now: u64::MAX / 2,
        skew: 0,
        max_age: u64::MAX,
    };
    let mut state = State::new();
    for (k, bytes) in pack.statements.iter().enumerate() {
        let n = k + 1;
        let (st, receipts) = match split_transparent(bytes) {
            Ok(x) => x,
            Err(e) => {
                r.check(
                    format!("statement {n}"),
                    false,
                    format!("not a transparent statement: {e}"),
                );
                continue;
            }
        };
        let Some(receipt) = receipts.first() else {
            r.check(format!("statement {n}: receipt"), false, "no receipt");
            continue;
        };
        let index = receipt.proof().index();
        match (&cp, receipt.verify(st.bytes(), &trust.log)) {
            (Some(cp), Ok(root)) if root == *cp.root() => r.check(
                format!("entry {index}: receipt"),
                true,
                format!("included in the checkpoint's tree (size {})", root.size()),
            ),
            (Some(cp), Ok(root)) => r.check(
                format!("entry {index}: receipt"),
                false,
                format!(
                    "the receipt is for tree size {} root {}, not the checkpoint's size {} root {}",
                    root.size(),
                    root.hash(),
                    cp.root().size(),
                    cp.root().hash()
                ),
            ),
            (None, Ok(_)) => r.check(
                format!("entry {index}: receipt"),
                false,
                "signed by the log, but the checkpoint did not verify",
            ),
            (_, Err(e)) => r.check(format!("entry {index}: receipt"), false, e.to_string()),
        }
        let kind = st
            .header()
            .content_type
            .rsplit('.')
            .next()
            .unwrap_or("?")
            .trim_end_matches("+cbor")
            .to_string();
        match state.admit(index, st.bytes(), &cfg) {
            Ok(Admission::New(_)) => r.check(
                format!("entry {index}: {kind} by {}", st.header().issuer),
                true,
                "signature, certificate chain to the root at iat, role, not revoked, claims, references and lifecycle",
            ),
            Ok(Admission::Duplicate(i)) => r.check(format!("entry {index}: {kind}"), false, format!("the same statement appears twice (entry {i})")),
            Err(e) => r.check(format!("entry {index}: {kind} by {}", st.header().issuer), false, format!("rule {}: {e}", e.rule())),
        }
    }
    if let Some(cp) = &cp {
        r.not_checked.push(format!(
            "revocations registered after this checkpoint (tree size {})",
            cp.root().size()
        ));
    }
    r.not_checked.push(
        "witness cosignatures: none configured, so a split view of the log is not excluded".into(),
    );
    r.not_checked
        .push("statements of the log that are not in this pack".into());
    r.not_checked
        .push("the evidence files themselves (only their digests are signed)".into());
    r
}

/// A JSON string literal (RFC 8259 escaping).
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
