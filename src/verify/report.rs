//! Offline verification of a pack: every check it made, what it could not
//! check, and one verdict.

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
    pub(crate) fn check(
        &mut self,
        name: impl Into<String>,
        passed: bool,
        detail: impl Into<String>,
    ) {
        self.checks.push(Check {
            name: name.into(),
            passed,
            detail: detail.into(),
        });
    }

    /// For a verifier who relies on completeness (`verify
    /// --require-complete`): unless the report has a passed `complete`
    /// check, adds a failed one saying what is missing.
    pub fn require_complete(&mut self) {
        if self.checks.iter().any(|c| c.name == "complete") {
            return;
        }
        self.check(
            "complete",
            false,
            "required, but this pack does not prove that it holds every statement of its facility (it carries no committed index, or was made with --entry)",
        );
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

/// POSIX seconds as an RFC 3339 UTC time, e.g. `2026-11-28T01:47:46Z`.
pub fn utc(ts: u64) -> String {
    match i64::try_from(ts)
        .ok()
        .and_then(|t| ::time::OffsetDateTime::from_unix_timestamp(t).ok())
    {
        Some(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        None => format!("{ts} (seconds since 1970, out of range)"),
    }
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
