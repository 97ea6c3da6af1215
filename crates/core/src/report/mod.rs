//! A report for people (`report`): one facility, as a panel member, a
//! regulator or the operator's management reads it — the verdict and what
//! it rests on, the facility's timeline drawn as a picture, the coverage of
//! the controls framework, the tools and their CPA certificates, the
//! signers, and an appendix with the digests and how to re-verify.
//!
//! [`FacilityReport`] is the data (built from a verified pack with
//! [`from_pack`], or from a ledger read directly with the main crate's
//! `report::from_ledger`);
//! [`FacilityReport::to_html`] writes it as one self-contained HTML file:
//! inline CSS and SVG, no script, and a Content-Security-Policy that lets
//! the page load nothing at all.

mod html;
mod svg;

#[doc(hidden)]
pub use html::esc;

use serde::Serialize;

use crate::policy::State;
use crate::status::{FacilitySummary, Timeline};
use crate::text::shell_word;
use crate::verify::{verify_pack_state, Pack, Report, Signer, Trust};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The pack did not verify: its history is not to be relied on.
    #[error("{source_name} did not verify ({failed} of {checks} checks failed; first: {first}): run `verify` for the whole report")]
    NotVerified {
        /// The pack.
        source_name: String,
        /// Failed checks.
        failed: usize,
        /// All checks.
        checks: usize,
        /// The first failure (name: detail).
        first: String,
    },
    /// The facility has no statements in the source.
    #[error("facility {facility:?} is not registered in {source_name}")]
    NoFacility {
        /// The facility asked for.
        facility: String,
        /// The ledger or pack.
        source_name: String,
    },
}

/// What a report rests on.
#[derive(Clone, Debug, Serialize)]
pub struct Basis {
    /// `pack` or `ledger`.
    pub kind: String,
    /// The file or directory read, as given.
    pub source: String,
    /// For a pack, whether every check passed; `None` for a ledger read
    /// directly (the operator's own view, not an independent verification).
    pub verified: Option<bool>,
    /// The verdict in one line.
    pub verdict: String,
    /// What the verdict rests on: (label, text), e.g. checkpoint,
    /// witnesses, complete.
    pub facts: Vec<(String, String)>,
    /// The failed checks (name: detail).
    pub failures: Vec<String>,
    /// What was not (or cannot be) checked.
    pub not_checked: Vec<String>,
    /// Commands that re-verify this report's claims with the CLI.
    pub reverify: Vec<String>,
}

/// One statement about the facility, for the appendix.
#[derive(Clone, Debug, Serialize)]
pub struct StatementDigest {
    /// Its log index.
    pub entry: u64,
    /// Its kind.
    pub kind: String,
    /// SHA-256 of the statement as logged (hex).
    pub sha256: String,
    /// The signer's certificate fingerprint (SHA-256 of DER, hex).
    pub signer_sha256: String,
}

/// Everything a facility report shows.
#[derive(Clone, Debug, Serialize)]
pub struct FacilityReport {
    /// What the report rests on.
    pub basis: Basis,
    /// The facility's status at `timeline.as_of`.
    pub facility: FacilitySummary,
    /// Its statements in log order, and what is overdue.
    pub timeline: Timeline,
    /// Who signed the facility's and the scheme's statements here.
    pub signers: Vec<Signer>,
    /// The statements' digests.
    pub statements: Vec<StatementDigest>,
    /// The checkpoint note the statements are in, as signed.
    pub checkpoint_note: String,
    /// When the report was made (RFC 3339, UTC).
    pub generated_at: String,
    /// The pack the report was made from (a report of a pack), carried so
    /// that a reader can hand it to the verifier page with one action.
    #[serde(skip)]
    pub pack: Option<Vec<u8>>,
}

/// A report of `facility` from a pack, verified against `trust` first; a
/// pack that does not verify gives a report that says so on top and shows
/// what the pack *claims*. `source` names the pack as the reader gave it.
pub fn from_pack(
    pack: &Pack,
    trust: &Trust,
    source: &str,
    trust_source: &str,
    facility: &str,
    as_of: &str,
    now: u64,
) -> Result<FacilityReport, ReportError> {
    let (report, state) = verify_pack_state(pack, trust, None);
    from_verified(
        &report,
        &state,
        pack,
        source,
        trust_source,
        facility,
        as_of,
        now,
    )
}

/// [`from_pack`] for a pack already verified: its report and state, as
/// `verify_pack_with` gave them (the verifier page verifies once and then
/// reports each facility).
#[allow(clippy::too_many_arguments)]
pub fn from_verified(
    report: &Report,
    state: &State,
    pack: &Pack,
    source: &str,
    trust_source: &str,
    facility: &str,
    as_of: &str,
    now: u64,
) -> Result<FacilityReport, ReportError> {
    let cp_note = String::from_utf8_lossy(&pack.checkpoint).into_owned();
    let size = report
        .summary
        .as_ref()
        .and_then(|s| s.tree_size)
        .unwrap_or(0);
    let basis = pack_basis(report, source, trust_source, facility);
    let mut r = build(state, size, facility, as_of, now, basis, cp_note, source)?;
    r.pack = pack.to_bytes().ok();
    Ok(r)
}

/// The timeline of `facility` in a pack that verifies against `trust`
/// (`history PACK`); a pack that does not verify is refused, naming its
/// first failure.
pub fn pack_timeline(
    pack: &Pack,
    trust: &Trust,
    source: &str,
    facility: &str,
    as_of: &str,
) -> Result<Timeline, ReportError> {
    let (report, state) = verify_pack_state(pack, trust, None);
    if !report.verified() {
        let failures: Vec<_> = report.checks.iter().filter(|c| !c.passed).collect();
        return Err(ReportError::NotVerified {
            source_name: source.to_string(),
            failed: failures.len(),
            checks: report.checks.len(),
            first: failures.first().map_or("nothing was checked".into(), |c| {
                format!("{}: {}", c.name, c.detail)
            }),
        });
    }
    let size = report
        .summary
        .as_ref()
        .and_then(|s| s.tree_size)
        .unwrap_or(0);
    crate::status::timeline(&state, facility, size, as_of).ok_or_else(|| ReportError::NoFacility {
        facility: facility.to_string(),
        source_name: source.to_string(),
    })
}

fn pack_basis(report: &Report, source: &str, trust_source: &str, facility: &str) -> Basis {
    let named = |name: &str| report.checks.iter().find(|c| c.name == name);
    let failures: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    let verified = report.verified();
    let verdict = if verified {
        format!(
            "VERIFIED: all {} checks of this pack passed",
            report.checks.len()
        )
    } else {
        format!(
            "NOT VERIFIED: {} of {} checks failed; do not rely on what follows",
            failures.len(),
            report.checks.len()
        )
    };
    let mut facts = Vec::new();
    for (label, name) in [
        ("checkpoint", "checkpoint"),
        ("witnesses", "witness quorum"),
        ("complete", "complete"),
    ] {
        if let Some(c) = named(name) {
            let mark = if c.passed { "" } else { "NO: " };
            facts.push((label.to_string(), format!("{mark}{}", c.detail)));
        }
    }
    // "existed by T according to TSA X" (FORMATS §29).
    for c in report
        .checks
        .iter()
        .filter(|c| c.name.starts_with("timestamp"))
    {
        let mark = if c.passed { "" } else { "NO: " };
        facts.push(("trusted time".into(), format!("{mark}{}", c.detail)));
    }
    if named("complete").is_none() {
        facts.push((
            "complete".into(),
            "not proven: the pack's maker could have left statements out".into(),
        ));
    }
    Basis {
        kind: "pack".into(),
        source: source.to_string(),
        verified: Some(verified),
        verdict,
        facts,
        failures,
        not_checked: report.not_checked.clone(),
        reverify: {
            let (src, trust, id) = (
                shell_word(source),
                shell_word(trust_source),
                shell_word(facility),
            );
            vec![
                format!("triage-ledger verify {src} --trust {trust}"),
                format!("triage-ledger verify {src} --trust {trust} --since OLDER.pack   # that the log only grew since a pack you kept"),
                format!("triage-ledger history {src} --trust {trust} --facility {id}"),
            ]
        },
    }
}

/// The report of `facility` in `state` at tree size `size`, on `basis`
/// (the main crate's `from_ledger` builds one from a ledger).
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn build(
    state: &State,
    size: u64,
    facility: &str,
    as_of: &str,
    now: u64,
    basis: Basis,
    checkpoint_note: String,
    source: &str,
) -> Result<FacilityReport, ReportError> {
    let no_facility = || ReportError::NoFacility {
        facility: facility.to_string(),
        source_name: source.to_string(),
    };
    let timeline = crate::status::timeline(state, facility, size, as_of).ok_or_else(no_facility)?;
    let summary = crate::status::ledger_status(state, size, as_of, Some(facility))
        .facilities
        .into_iter()
        .next()
        .ok_or_else(no_facility)?;
    let mine = |l: &&crate::policy::Logged| {
        l.record.facility() == Some(facility) || l.record.kind().is_scheme_level()
    };
    let signers = crate::verify::summarise_signers(state.logged().filter(mine));
    let statements = state
        .logged()
        .filter(|l| l.record.facility() == Some(facility))
        .map(|l| StatementDigest {
            entry: l.index,
            kind: l.record.kind().name().to_string(),
            sha256: crate::hex::encode(&l.sha256),
            signer_sha256: crate::hex::encode(&l.signer),
        })
        .collect();
    Ok(FacilityReport {
        basis,
        facility: summary,
        timeline,
        signers,
        statements,
        checkpoint_note,
        generated_at: crate::verify::utc(now),
        pack: None,
    })
}

impl crate::class::Classify for ReportError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            ReportError::NotVerified { .. } => Class::VerificationFailed,
            ReportError::NoFacility { .. } => Class::NotFound,
        }
    }
}
