//! How a command fails: its exit code (the same in every command: 1
//! verification failed or refused, 2 usage, parse or I/O error), its
//! `error: …` and `hint: …` lines, and the library's errors mapped to them:
//! the exit code from the error's class ([`exit_code`], one match), the hint
//! from what the error names.

use triage_ledger::class::{Class, Classify};

/// The exit code of each class of failure: 1 when something was checked and
/// did not hold (a rule refused, a check failed), 2 when it could not be
/// checked.
pub(super) fn exit_code(class: Class) -> u8 {
    match class {
        Class::Refused | Class::VerificationFailed => 1,
        Class::BadInput | Class::NotFound | Class::Unavailable | Class::Internal => 2,
    }
}

/// Result of a command.
pub type CmdResult = Result<(), Failure>;

/// Exit code and message of a failed command.
pub struct Failure {
    pub(super) code: u8,
    pub(super) message: String,
    pub(super) hint: Option<String>,
}

impl Failure {
    /// A library error: its class says the exit code.
    pub fn of(e: &(impl Classify + std::fmt::Display)) -> Self {
        Failure {
            code: exit_code(e.class()),
            message: e.to_string(),
            hint: None,
        }
    }
    /// Verification failed (exit 1).
    pub fn verification(message: impl Into<String>) -> Self {
        Failure {
            code: 1,
            message: message.into(),
            hint: None,
        }
    }
    /// Usage, parse or I/O error (exit 2).
    pub fn input(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
            hint: None,
        }
    }
    /// Names the flag whose file failed, before the message.
    pub fn flag(mut self, flag: &str) -> Self {
        self.message = format!("{flag} {}", self.message);
        self
    }
    /// Adds a hint line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// Prints it on stderr: `error: …` and `hint: …`, or `warning: …` for
    /// one that does not fail the command (code 0).
    pub(super) fn print(&self) {
        let label = if self.code == 0 { "warning" } else { "error" };
        tell!("{label}: {}", self.message);
        if let Some(h) = &self.hint {
            tell!("hint: {h}");
        }
    }
}

impl From<triage_ledger::store::StoreError> for Failure {
    fn from(e: triage_ledger::store::StoreError) -> Self {
        use triage_ledger::store::StoreError;
        let hint = match &e {
            StoreError::Locked { .. } => Some(
                "run the same command without --no-wait to wait for it; readers never need the lock",
            ),
            StoreError::HeldByService { url, .. } => {
                return Failure::of(&e).hint(format!(
                    "submit through the service: triage-ledger submit --url {url} FILE.cose (a signing verb: sign with --out FILE.cose, then submit --url); readers need no lock"
                ))
            }
            StoreError::LockTimeout { .. } => Some(
                "wait longer with --wait SECONDS, or find the writer by its pid; readers never need the lock",
            ),
            StoreError::NotALedger { .. } => {
                Some("create one with: triage-ledger init LEDGER --origin ORIGIN")
            }
            StoreError::PolicyLedger { .. } => Some("use: triage-ledger submit LEDGER FILE.cose"),
            StoreError::Corrupt { .. } => {
                Some("run `triage-ledger log audit LEDGER` to check the whole log")
            }
            StoreError::Superseded { .. } => {
                Some("run the command again: the ledger is caught up when it is opened")
            }
            StoreError::EntryTooLarge { .. } => {
                Some("log a signed statement that carries the file's digest, not the file")
            }
            StoreError::Fetch { source, .. } => {
                if let Some(n) = source.downcast_ref::<triage_ledger::remote::NetError>() {
                    let f = Failure::of(&e);
                    return match super::hints::net(n) {
                        Some(h) => f.hint(h),
                        None => f,
                    };
                }
                None
            }
            _ => None,
        };
        let f = Failure::of(&e);
        match hint {
            Some(h) => f.hint(h),
            None => f,
        }
    }
}

impl From<triage_ledger::remote::NetError> for Failure {
    fn from(e: triage_ledger::remote::NetError) -> Self {
        let f = Failure::input(e.to_string());
        match super::hints::net(&e) {
            Some(h) => f.hint(h),
            None => f,
        }
    }
}

impl From<triage_ledger::remote::ClientError> for Failure {
    fn from(e: triage_ledger::remote::ClientError) -> Self {
        use triage_ledger::remote::ClientError;
        match e {
            ClientError::Net(n) => n.into(),
            e => Failure::of(&e),
        }
    }
}

impl From<triage_ledger::remote::RegisterError> for Failure {
    fn from(e: triage_ledger::remote::RegisterError) -> Self {
        use triage_ledger::remote::RegisterError;
        let hint = super::hints::register(&e);
        let f = match e {
            RegisterError::Client(c) => return c.into(),
            e => Failure::of(&e),
        };
        match hint {
            Some(h) => f.hint(h),
            None => f,
        }
    }
}

impl From<triage_ledger::identity::IdentityError> for Failure {
    fn from(e: triage_ledger::identity::IdentityError) -> Self {
        Failure::of(&e)
    }
}

impl From<triage_ledger::monitor::MonitorError> for Failure {
    fn from(e: triage_ledger::monitor::MonitorError) -> Self {
        use triage_ledger::monitor::MonitorError;
        match e {
            MonitorError::Store(s) => s.into(),
            MonitorError::NoKey => Failure::of(&e)
                .hint("give the log's verifier key (--vkey FILE), a trust policy (--trust DIR), or a --state that pinned it"),
            e => Failure::of(&e),
        }
    }
}

impl From<triage_ledger::ledger::LedgerError> for Failure {
    fn from(e: triage_ledger::ledger::LedgerError) -> Self {
        use triage_ledger::ledger::LedgerError;
        let hint = match &e {
            LedgerError::Store(_) => None,
            LedgerError::TrustRoot { .. } => Some(super::hints::NO_TRUST_ROOT),
            LedgerError::Refused { source, .. } => super::hints::refusal(source.code()),
            _ => None,
        };
        let f = match e {
            LedgerError::Store(s) => return s.into(),
            e @ LedgerError::TrustRoot { .. } => Failure::of(&e),
            e => {
                let mut f = Failure::of(&e);
                f.message.push_str(" (nothing was appended)");
                f
            }
        };
        match hint {
            Some(h) => f.hint(h),
            None => f,
        }
    }
}

impl From<triage_ledger::ledger::MakePackError> for Failure {
    fn from(e: triage_ledger::ledger::MakePackError) -> Self {
        match e {
            triage_ledger::ledger::MakePackError::Store(s) => s.into(),
            e => Failure::of(&e),
        }
    }
}

/// A configuration file with a mistake: an error (exit 2) for a command
/// that reads settings, a warning for one that does not.
pub(super) fn config_failure(e: &triage_ledger::config::ConfigError, warning: bool) -> Failure {
    use triage_ledger::config::ConfigError;
    let whom = match std::env::var_os("TRIAGE_LEDGER_CONFIG") {
        Some(_) => "TRIAGE_LEDGER_CONFIG names it",
        None => "or set TRIAGE_LEDGER_CONFIG to another file",
    };
    let hint = match e {
        ConfigError::Unreadable { .. } => format!("make it readable ({whom})"),
        _ => format!("fix or remove that line ({whom})"),
    };
    let f = Failure::input(format!("configuration file {e}")).hint(hint);
    if warning {
        Failure {
            message: format!(
                "{}; commands that read settings refuse to run until it is fixed",
                f.message
            ),
            code: 0,
            hint: None,
        }
    } else {
        f
    }
}
