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
    /// For a statement the registration policy refuses: the refusal's
    /// stable code (`rule/case`, see [`crate::policy::refusal`]); for a
    /// finding of the verifier's own that a reader can act on, one of
    /// [`super::FINDINGS`] (FORMATS.md §23).
    pub code: Option<&'static str>,
}

/// The outcome of verifying a pack.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Every check made, in order.
    pub checks: Vec<Check>,
    /// What could not be checked offline.
    pub not_checked: Vec<String>,
    /// What a reader should know that is not a failed check: an input in
    /// an old form still read, a signature line from an unknown key ignored.
    pub warnings: Vec<String>,
    /// What the pack establishes (a pack's report; not a proof of
    /// misbehaviour's).
    pub summary: Option<super::Summary>,
    /// The trust directory it was verified against, when the verifier
    /// read one (set by the caller, who knows where it came from).
    pub trust: Option<super::TrustUsed>,
    /// How much of the log the pack answers for (a pack's report): what
    /// the verdict line says it proved.
    pub scope: Option<Scope>,
}

/// How much a verified pack proves about its facilities: the verdict's
/// first words say which, so a reader of one line is not told more than
/// was proved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every statement of these facilities up to the checkpoint's tree
    /// size is in the pack (the committed index says so).
    Complete {
        /// The facilities.
        facilities: Vec<String>,
        /// The checkpoint's tree size.
        size: u64,
    },
    /// The pack holds its facilities' statements up to a selected entry
    /// and what they rest on, proven to be all of them up to there; later
    /// statements are left out (`pack --entry`).
    Entries {
        /// The last facility statement the pack holds (its selection).
        through: u64,
        /// How many statements the pack holds.
        statements: usize,
    },
    /// The pack proves only that the statements it holds are in the log
    /// (it carries no committed index); accepted with `verify --partial`.
    Partial {
        /// How many statements the pack holds.
        statements: usize,
    },
}

impl Scope {
    /// The verdict's first words for a pack whose checks all passed.
    fn verified(&self) -> &'static str {
        match self {
            Scope::Complete { .. } => "VERIFIED",
            Scope::Entries { .. } => "VERIFIED, ENTRIES ONLY",
            Scope::Partial { .. } => "VERIFIED, PARTIAL",
        }
    }

    /// What the pack proved, after the check count.
    fn tail(&self) -> String {
        match self {
            Scope::Complete { facilities, size } => format!(
                "; complete: every statement of {} up to tree size {size} is in the pack",
                facilities.join(", ")
            ),
            Scope::Entries { through, statements } => format!(
                "; it proves its {statements} statements through entry {through} are in the log and are all of their facility's up to there, not that there are no later ones"
            ),
            Scope::Partial { statements } => format!(
                "; it proves only that its {statements} statements are in the log, not that they are all of their facility's (no committed index)"
            ),
        }
    }

    /// The scope as a JSON object (`{"kind": "complete" | "entries" |
    /// "partial", …}`).
    pub fn to_json(&self) -> String {
        match self {
            Scope::Complete { facilities, size } => format!(
                "{{\"kind\": \"complete\", \"facilities\": [{}], \"tree_size\": {size}}}",
                facilities
                    .iter()
                    .map(|f| json_string(f))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Scope::Entries {
                through,
                statements,
            } => format!(
                "{{\"kind\": \"entries\", \"through\": {through}, \"statements\": {statements}}}"
            ),
            Scope::Partial { statements } => {
                format!("{{\"kind\": \"partial\", \"statements\": {statements}}}")
            }
        }
    }
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
            code: None,
        });
    }

    /// A failed check with a stable code: the policy refused a statement,
    /// or a verifier finding of [`super::FINDINGS`].
    pub(crate) fn refused(
        &mut self,
        name: impl Into<String>,
        code: &'static str,
        detail: impl Into<String>,
    ) {
        self.checks.push(Check {
            name: name.into(),
            passed: false,
            detail: detail.into(),
            code: Some(code),
        });
    }

    /// True only when there were checks and every one passed.
    pub fn verified(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    /// The report as one JSON object:
    /// `{"verified": bool, "verdict": string, "scope": {…}, "checks": [{"name", "passed", "detail"[, "code"]}], "not_checked": [string], "warnings": [string]}`
    /// (`code`: a refused statement's refusal code)
    /// (`scope` only for a pack), then `"trust": {"dir", "from", "logs":
    /// ["name+keyid"]}` when set, and `"summary"` for a pack.
    pub fn to_json(&self) -> String {
        let checks: Vec<String> = self
            .checks
            .iter()
            .map(|c| {
                format!(
                    "{{\"name\": {}, \"passed\": {}, \"detail\": {}{}}}",
                    json_string(&c.name),
                    c.passed,
                    json_string(&c.detail),
                    c.code
                        .map(|code| format!(", \"code\": {}", json_string(code)))
                        .unwrap_or_default()
                )
            })
            .collect();
        let not: Vec<String> = self.not_checked.iter().map(|n| json_string(n)).collect();
        let warnings: Vec<String> = self.warnings.iter().map(|n| json_string(n)).collect();
        let summary = match &self.summary {
            Some(s) => format!(
                ", \"summary\": {}",
                serde_json::to_string(s).expect("a summary serializes")
            ),
            None => String::new(),
        };
        let scope = match &self.scope {
            Some(s) => format!(", \"scope\": {}", s.to_json()),
            None => String::new(),
        };
        let trust = match &self.trust {
            Some(t) => format!(
                ", \"trust\": {}",
                serde_json::to_string(t).expect("a trust description serializes")
            ),
            None => String::new(),
        };
        format!(
            "{{\"verified\": {}, \"verdict\": {}{scope}, \"checks\": [{}], \"not_checked\": [{}], \"warnings\": [{}]{trust}{summary}}}",
            self.verified(),
            json_string(self.verdict().trim_end()),
            checks.join(", "),
            not.join(", "),
            warnings.join(", ")
        )
    }

    /// The report as text, the answer first: the verdict and the first
    /// failure (the root cause the others usually follow from), what the
    /// pack establishes, the failures, then every check if `verbose` (else
    /// their count), what was not checked, and the verdict again.
    pub fn to_text_with(&self, verbose: bool) -> String {
        if self.summary.is_none() {
            return self.to_text_plain();
        }
        let failures: Vec<&Check> = self.checks.iter().filter(|c| !c.passed).collect();
        let mut s = match failures.first() {
            None if self.verified() => self.verdict(),
            None => "NOT VERIFIED: nothing was checked\n".to_string(),
            Some(first) => format!(
                "NOT VERIFIED: {} of {} checks failed; first: {}: {}\n",
                failures.len(),
                self.checks.len(),
                first.name,
                first.detail
            ),
        };
        let named = |name: &str| self.checks.iter().find(|c| c.name == name);
        if let Some(c) = named("checkpoint") {
            s += &format!("checkpoint: {}\n", c.detail);
        }
        if let Some(c) = named("witness quorum") {
            s += &format!("witnesses:  {}\n", c.detail);
        }
        if let Some(c) = named("since: consistency") {
            let mark = if c.passed { "" } else { "NO: " };
            s += &format!("since:      {mark}{}\n", c.detail);
        }
        match named("complete") {
            Some(c) if c.passed => s += &format!("complete:   {}\n", c.detail),
            Some(c) => s += &format!("complete:   NO: {}\n", c.detail),
            None => s += "complete:   not proven (see below)\n",
        }
        if let Some(summary) = &self.summary {
            if !self.verified() {
                s += "what the pack claims (it did not verify: do not rely on it):\n";
            }
            s += "\n";
            s += &summary.to_text();
        }
        s += "\n";
        if verbose {
            s += &self.checks_text(self.checks.iter());
        } else {
            s += &collapsed(&failures);
            let passed = self.checks.len() - failures.len();
            s += &format!("{passed} checks passed (-v lists every check)\n");
        }
        for n in &self.warnings {
            s.push_str(&format!("warning: {n}\n"));
        }
        for n in &self.not_checked {
            s.push_str(&format!("not checked: {n}\n"));
        }
        s += &self.verdict();
        s
    }

    /// [`Report::to_text_with`], every check listed.
    pub fn to_text(&self) -> String {
        self.to_text_with(true)
    }

    fn checks_text<'a>(&self, checks: impl Iterator<Item = &'a Check>) -> String {
        let mut s = String::new();
        for c in checks {
            s.push_str(&format!(
                "{} {}: {}\n",
                if c.passed { "ok:    " } else { "FAILED:" },
                c.name,
                c.detail
            ));
        }
        s
    }

    /// The verdict line: for a verified pack, its first words say how much
    /// it proved ([`Scope`]).
    pub fn verdict(&self) -> String {
        let failed = self.checks.iter().filter(|c| !c.passed).count();
        if self.verified() {
            match &self.scope {
                Some(scope) => format!(
                    "{}: all {} checks passed{}\n",
                    scope.verified(),
                    self.checks.len(),
                    scope.tail()
                ),
                None => format!("VERIFIED: all {} checks passed\n", self.checks.len()),
            }
        } else {
            format!(
                "NOT VERIFIED: {failed} of {} checks failed\n",
                self.checks.len()
            )
        }
    }

    /// Every check, what was not checked and the verdict (a report with no
    /// summary: a proof of misbehaviour's).
    fn to_text_plain(&self) -> String {
        let mut s = String::new();
        for c in &self.checks {
            s.push_str(&format!(
                "{} {}: {}\n",
                if c.passed { "ok:    " } else { "FAILED:" },
                c.name,
                c.detail
            ));
        }
        for n in &self.warnings {
            s.push_str(&format!("warning: {n}\n"));
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

/// Failures, those with the same detail (one cause) on one line.
fn collapsed(failures: &[&Check]) -> String {
    let mut s = String::new();
    let mut i = 0;
    while i < failures.len() {
        let detail = &failures[i].detail;
        let same = failures[i..]
            .iter()
            .take_while(|c| &c.detail == detail)
            .count();
        if same > 2 {
            s += &format!(
                "FAILED: {same} checks ({} … {}): {detail}\n",
                failures[i].name,
                failures[i + same - 1].name
            );
        } else {
            for c in &failures[i..i + same] {
                s += &format!("FAILED: {}: {}\n", c.name, c.detail);
            }
        }
        i += same;
    }
    s
}

pub use crate::text::utc;

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
