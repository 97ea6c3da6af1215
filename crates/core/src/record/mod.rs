//! The MP203 record kinds: the payloads of signed statements.
//!
//! Each record is a CBOR map with text keys, encoded deterministically
//! (`crate::cbor`), named by the statement's content type
//! `application/vnd.triage-ledger.<kind>+cbor`. FORMATS.md gives the CDDL.
//! Unknown fields are refused; every digest must be 32 bytes; a payload must
//! be exactly the canonical encoding of the record it decodes to.

mod input;
mod inventory;
mod lifecycle;
mod scheme;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::cbor::{self, CborError};
use crate::identity::Role;

pub use input::{finding_from_line, findings_from_text, framework_from_json, inventory_from_json};
pub use inventory::{Interface, Tool, ToolInventory};
pub use lifecycle::{
    Acknowledgement, Addresses, Assessment, Countersignature, Decision, Determination, Dispute,
    DisputeResolution, Finding, FindingResult, Outcome, Position, Registration, Resolution, Seal,
    SelfAssessment, Step, StepAcceptance, StepCompletion, Transfer,
};
pub use scheme::{DesignatedRole, Designation, Framework, Obligation, Revocation};

/// A reference to a logged statement: its index and the SHA-256 of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ref {
    /// Log index of the statement.
    pub index: u64,
    /// SHA-256 of the statement's logged bytes.
    pub sha256: crate::merkle::Hash,
}

/// A reference as people write it: `INDEX` (the hash to be looked up in a
/// ledger, see `Snapshot::statement_ref`) or `INDEX:SHA256HEX`.
pub fn parse_ref_text(text: &str) -> Result<(u64, Option<crate::merkle::Hash>), String> {
    let (idx, hash) = match text.split_once(':') {
        Some((i, h)) => (i, Some(h)),
        None => (text, None),
    };
    let index: u64 = idx
        .parse()
        .map_err(|_| "expected INDEX or INDEX:SHA256HEX".to_string())?;
    let sha256 = match hash {
        None => None,
        Some(h) => Some(
            crate::hex::decode(h)
                .and_then(|b| crate::merkle::Hash::from_slice(&b).ok())
                .ok_or("the hash must be 64 hex digits")?,
        ),
    };
    Ok((index, sha256))
}

macro_rules! kinds {
    ($( $(#[$doc:meta])* $kind:ident ($ty:ty) = $name:literal ),+ $(,)?) => {
        /// The kinds of record.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind {
            $( $(#[$doc])* $kind, )+
        }

        /// A decoded record.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Record {
            $( $(#[$doc])* $kind($ty), )+
        }

        impl Kind {
            /// Every kind.
            pub const ALL: &'static [Kind] = &[$( Kind::$kind ),+];

            /// The kind's name in content types and messages.
            pub fn name(self) -> &'static str {
                match self {
                    $( Kind::$kind => $name, )+
                }
            }
        }

        impl Record {
            /// The record's kind.
            pub fn kind(&self) -> Kind {
                match self {
                    $( Record::$kind(_) => Kind::$kind, )+
                }
            }

            fn decode_kind(kind: Kind, payload: &[u8]) -> Result<Record, CborError> {
                Ok(match kind {
                    $( Kind::$kind => Record::$kind(cbor::from_slice(payload)?), )+
                })
            }

            pub(crate) fn encode_unchecked(&self) -> Result<Vec<u8>, CborError> {
                match self {
                    $( Record::$kind(r) => cbor::to_vec(r), )+
                }
            }
        }
    };
}

kinds! {
    /// Facility registration ([`Registration`]).
    Registration(Registration) = "registration",
    /// Evidence seal ([`Seal`]).
    Seal(Seal) = "seal",
    /// Countersignature of evidence ([`Countersignature`]).
    Countersignature(Countersignature) = "countersignature",
    /// Assessment decision ([`Decision`]).
    Decision(Decision) = "decision",
    /// The operator's acknowledgement of a decision ([`Acknowledgement`]).
    Acknowledgement(Acknowledgement) = "acknowledgement",
    /// The operator's self-assessment ([`SelfAssessment`]).
    SelfAssessment(SelfAssessment) = "self-assessment",
    /// Completion of an additional step ([`StepCompletion`]).
    StepCompletion(StepCompletion) = "step-completion",
    /// Acceptance of a completed step ([`StepAcceptance`]).
    StepAcceptance(StepAcceptance) = "step-acceptance",
    /// Follow-up determination ([`Determination`]).
    Determination(Determination) = "determination",
    /// Dispute ([`Dispute`]).
    Dispute(Dispute) = "dispute",
    /// Dispute resolution ([`DisputeResolution`]).
    Resolution(DisputeResolution) = "resolution",
    /// Transfer of a facility to another party ([`Transfer`]).
    Transfer(Transfer) = "transfer",
    /// Tool and interface inventory ([`ToolInventory`]).
    ToolInventory(ToolInventory) = "tool-inventory",
    /// Certificate revocation ([`Revocation`]).
    Revocation(Revocation) = "revocation",
    /// Designation of the User CIO's or the SSC's party ([`Designation`]).
    Designation(Designation) = "designation",
    /// A version of the Security Controls Framework ([`Framework`]).
    Framework(Framework) = "framework",
}

impl Kind {
    /// `application/vnd.triage-ledger.<kind>+cbor`.
    pub fn content_type(self) -> String {
        format!("application/vnd.triage-ledger.{}+cbor", self.name())
    }

    /// The kind named by a content type.
    pub fn from_content_type(ct: &str) -> Option<Kind> {
        let name = ct
            .strip_prefix("application/vnd.triage-ledger.")?
            .strip_suffix("+cbor")?;
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// The role that signs this kind; `None` for the scheme root.
    /// A designation of the User CIO may also be signed by the SSC.
    pub fn signer(self) -> Option<Role> {
        match self {
            Kind::Registration
            | Kind::Seal
            | Kind::StepCompletion
            | Kind::Dispute
            | Kind::Acknowledgement
            | Kind::SelfAssessment
            | Kind::ToolInventory => Some(Role::Operator),
            Kind::Countersignature | Kind::Decision | Kind::StepAcceptance => Some(Role::UserCio),
            Kind::Determination | Kind::Resolution | Kind::Transfer | Kind::Framework => {
                Some(Role::Ssc)
            }
            Kind::Revocation | Kind::Designation => None,
        }
    }

    /// True for kinds about the whole scheme rather than one facility.
    pub fn is_scheme_level(self) -> bool {
        matches!(self, Kind::Revocation | Kind::Designation | Kind::Framework)
    }
}

/// Why a record was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    /// The content type names no record kind.
    #[error("unknown content type {0:?}")]
    UnknownKind(String),
    /// The payload is not the record's CBOR.
    #[error("{kind} payload: {source}")]
    Cbor {
        /// The kind expected.
        kind: &'static str,
        /// The CBOR problem.
        source: CborError,
    },
    /// A field breaks the record's rules.
    #[error("{kind}: {reason}")]
    Invalid {
        /// The kind.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Field checks of one record kind, each failing with [`RecordError::Invalid`].
struct Checker(Kind);

impl Checker {
    fn fail<T>(&self, reason: String) -> Result<T, RecordError> {
        Err(RecordError::Invalid {
            kind: self.0.name(),
            reason,
        })
    }

    fn digest(&self, field: &str, d: &[u8]) -> Result<(), RecordError> {
        if d.len() != 32 {
            return self.fail(format!(
                "{field} must be a 32-byte SHA-256, got {} bytes",
                d.len()
            ));
        }
        Ok(())
    }

    /// No control characters (but newlines, where `newlines` allows them):
    /// text is printed, and must not be able to forge lines of a report.
    fn printable(&self, field: &str, s: &str, newlines: bool) -> Result<(), RecordError> {
        if let Some(c) = s
            .chars()
            .find(|&c| c.is_control() && !(newlines && c == '\n'))
        {
            return self.fail(format!(
                "{field} holds the control character U+{:04X}{}",
                c as u32,
                if newlines {
                    " (only newlines are allowed)"
                } else {
                    ""
                }
            ));
        }
        Ok(())
    }

    /// Free text, possibly empty (a remark): newlines allowed.
    fn remark(&self, field: &str, s: &str) -> Result<(), RecordError> {
        self.printable(field, s, true)
    }

    /// Free text that must say something: newlines allowed.
    fn text(&self, field: &str, s: &str) -> Result<(), RecordError> {
        if s.trim().is_empty() {
            return self.fail(format!("{field} must not be empty"));
        }
        self.printable(field, s, true)
    }

    /// A name or label: one line, not empty.
    fn line(&self, field: &str, s: &str) -> Result<(), RecordError> {
        if s.trim().is_empty() {
            return self.fail(format!("{field} must not be empty"));
        }
        self.printable(field, s, false)
    }

    /// An identifier people type and lists hold: visible ASCII only (no
    /// spaces, no look-alike characters), without `|` or `,`.
    fn ident(&self, field: &str, s: &str) -> Result<(), RecordError> {
        if s.is_empty() || s.len() > 128 {
            return self.fail(format!("{field} must be 1 to 128 characters"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'|' && b != b',')
        {
            return self.fail(format!(
                "{field} {s:?} may hold only visible ASCII characters other than '|' and ','"
            ));
        }
        Ok(())
    }

    fn date(&self, field: &str, s: &str) -> Result<(), RecordError> {
        if parse_date(s).is_none() {
            return self.fail(format!("{field} {s:?} is not a YYYY-MM-DD calendar date"));
        }
        Ok(())
    }

    fn party(&self, field: &str, s: &str) -> Result<(), RecordError> {
        crate::identity::check_party_id(s).or_else(|e| self.fail(format!("{field}: {e}")))
    }

    fn unique<'a>(
        &self,
        what: &str,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), RecordError> {
        let mut seen = BTreeSet::new();
        for id in ids {
            if !seen.insert(id) {
                return self.fail(format!("{what} {id:?} appears twice"));
            }
        }
        Ok(())
    }

    fn findings(&self, findings: &[Finding], framework: &Option<Ref>) -> Result<(), RecordError> {
        if !findings.is_empty() && framework.is_none() {
            return self.fail("findings name obligations of a framework: cite it".into());
        }
        for f in findings {
            self.ident("finding obligation", &f.obligation)?;
            self.text(&format!("finding {} note", f.obligation), &f.note)?;
        }
        self.unique(
            "finding for obligation",
            findings.iter().map(|f| f.obligation.as_str()),
        )
    }
}

pub use crate::text::{parse_date, parse_time};

impl Record {
    /// The facility the record is about (`None` for scheme-level records).
    pub fn facility(&self) -> Option<&str> {
        Some(match self {
            Record::Registration(r) => &r.facility,
            Record::Seal(r) => &r.facility,
            Record::Countersignature(r) => &r.facility,
            Record::Decision(r) => &r.facility,
            Record::Acknowledgement(r) => &r.facility,
            Record::SelfAssessment(r) => &r.facility,
            Record::StepCompletion(r) => &r.facility,
            Record::StepAcceptance(r) => &r.facility,
            Record::Determination(r) => &r.facility,
            Record::Dispute(r) => &r.facility,
            Record::Resolution(r) => &r.facility,
            Record::Transfer(r) => &r.facility,
            Record::ToolInventory(r) => &r.facility,
            Record::Revocation(_) | Record::Designation(_) | Record::Framework(_) => return None,
        })
    }

    /// The statements this record references, with the field naming each.
    pub fn references(&self) -> Vec<(&'static str, &Ref)> {
        let mut v: Vec<(&'static str, &Ref)> = Vec::new();
        match self {
            Record::Seal(r) => v.extend(r.addresses.as_ref().map(|a| ("framework", &a.framework))),
            Record::Countersignature(r) => v.push(("seal", &r.seal)),
            Record::Decision(r) => {
                v.extend(r.evidence.iter().map(|e| ("evidence", e)));
                v.extend(r.framework.iter().map(|f| ("framework", f)));
                v.extend(r.self_assessment.iter().map(|s| ("self_assessment", s)));
            }
            Record::SelfAssessment(r) => {
                v.extend(r.evidence.iter().map(|e| ("evidence", e)));
                v.extend(r.framework.iter().map(|f| ("framework", f)));
            }
            Record::Acknowledgement(r) => v.push(("decision", &r.decision)),
            Record::StepCompletion(r) => {
                v.push(("decision", &r.decision));
                v.extend(r.evidence.iter().map(|e| ("evidence", e)));
            }
            Record::StepAcceptance(r) => v.push(("completion", &r.completion)),
            Record::Determination(r) => v.push(("decision", &r.decision)),
            Record::Dispute(r) => v.push(("decision", &r.decision)),
            Record::Resolution(r) => v.push(("dispute", &r.dispute)),
            Record::Registration(_)
            | Record::Transfer(_)
            | Record::ToolInventory(_)
            | Record::Revocation(_)
            | Record::Designation(_)
            | Record::Framework(_) => {}
        }
        v
    }

    /// Checks the fields' own rules (digest sizes, calendar dates, non-empty
    /// text, identifiers, uniqueness, steps exactly when the outcome needs
    /// them). Rules that need the ledger's state live in `crate::policy`.
    pub fn validate(&self) -> Result<(), RecordError> {
        let c = Checker(self.kind());
        if let Some(f) = self.facility() {
            c.ident("facility", f)?;
        }
        for (field, r) in self.references() {
            c.digest(&format!("{field}.sha256"), &r.sha256)?;
        }
        match self {
            Record::Registration(r) => {
                c.line("name", &r.name)?;
                c.line("site", &r.site)
            }
            Record::Seal(r) => {
                c.digest("root", &r.root)?;
                c.digest("manifest_sha256", &r.manifest_sha256)?;
                c.text("description", &r.description)?;
                if let Some(a) = &r.addresses {
                    if a.obligations.is_empty() {
                        return c.fail("addresses must name at least one obligation".into());
                    }
                    for o in &a.obligations {
                        c.ident("obligation", o)?;
                    }
                    c.unique("obligation", a.obligations.iter().map(String::as_str))?;
                }
                Ok(())
            }
            Record::Decision(r) => {
                c.digest("report_sha256", &r.report_sha256)?;
                let needs_steps = r.outcome == Outcome::ApprovedWithSteps;
                if needs_steps == r.steps.is_empty() {
                    return c.fail(if needs_steps {
                        "approved-with-steps needs at least one step".into()
                    } else {
                        "only approved-with-steps may list steps".into()
                    });
                }
                for s in &r.steps {
                    c.ident("step id", &s.id)?;
                    c.text("step description", &s.description)?;
                    c.date("step due", &s.due)?;
                    for o in &s.obligations {
                        c.ident("step obligation", o)?;
                    }
                    c.unique("step obligation", s.obligations.iter().map(String::as_str))?;
                    if !s.obligations.is_empty() && r.framework.is_none() {
                        return c.fail(format!(
                            "step {:?} names obligations of a framework: cite it",
                            s.id
                        ));
                    }
                }
                c.unique("step id", r.steps.iter().map(|s| s.id.as_str()))?;
                c.findings(&r.findings, &r.framework)?;
                if (r.assessment == Assessment::Ussa) != r.self_assessment.is_some() {
                    return c.fail(
                        "a USSA decision, and only a USSA decision, reviews a self_assessment"
                            .into(),
                    );
                }
                Ok(())
            }
            Record::SelfAssessment(r) => {
                c.digest("report_sha256", &r.report_sha256)?;
                c.findings(&r.findings, &r.framework)
            }
            Record::Acknowledgement(r) => c.digest("response_sha256", &r.response_sha256),
            Record::StepCompletion(r) => c.ident("step", &r.step),
            Record::Determination(r) => c.date("due", &r.due),
            Record::Dispute(r) => c.text("grounds", &r.grounds),
            Record::Resolution(r) => c.text("reason", &r.reason),
            Record::Transfer(r) => {
                c.party("to_party", &r.to_party)?;
                c.text("reason", &r.reason)
            }
            Record::ToolInventory(r) => {
                if r.tools.is_empty() && r.interfaces.is_empty() {
                    return c.fail("an inventory lists at least one tool or interface".into());
                }
                for t in &r.tools {
                    c.line("tool make", &t.make)?;
                    c.line("tool model", &t.model)?;
                    c.line("tool serial", &t.serial)?;
                    c.digest("tool firmware_sha256", &t.firmware_sha256)?;
                    c.line("tool cpa_certificate", &t.cpa_certificate)?;
                    c.date("tool cpa_expires", &t.cpa_expires)?;
                }
                c.unique("tool serial", r.tools.iter().map(|t| t.serial.as_str()))?;
                for i in &r.interfaces {
                    c.ident("interface name", &i.name)?;
                    c.line("interface type", &i.kind)?;
                    c.text("interface access_controls", &i.access_controls)?;
                }
                c.unique("interface", r.interfaces.iter().map(|i| i.name.as_str()))
            }
            Record::Revocation(r) => {
                c.digest("certificate_sha256", &r.certificate_sha256)?;
                c.text("reason", &r.reason)
            }
            Record::Designation(r) => {
                c.party("party", &r.party)?;
                c.text("note", &r.note)
            }
            Record::Framework(r) => {
                c.ident("version", &r.version)?;
                c.line("title", &r.title)?;
                for o in &r.obligations {
                    c.ident("obligation id", &o.id)?;
                    c.line(&format!("obligation {} title", o.id), &o.title)?;
                    match (o.applies, &o.reason) {
                        (true, Some(_)) => {
                            return c.fail(format!(
                                "obligation {} applies, so it has no reason for not applying",
                                o.id
                            ))
                        }
                        (false, None) => {
                            return c.fail(format!(
                                "obligation {} does not apply: give the reason",
                                o.id
                            ))
                        }
                        (false, Some(why)) => {
                            c.text(&format!("obligation {} reason", o.id), why)?
                        }
                        (true, None) => {}
                    }
                    if o.applies && o.evidence.is_empty() {
                        return c.fail(format!(
                            "obligation {} applies: name the evidence the User CIO looks for",
                            o.id
                        ));
                    }
                    for e in &o.evidence {
                        c.text(&format!("obligation {} evidence", o.id), e)?;
                    }
                }
                c.unique("obligation", r.obligations.iter().map(|o| o.id.as_str()))?;
                if r.applicable().next().is_none() {
                    return c.fail("no obligation applies to Triage Facilities".into());
                }
                Ok(())
            }
            Record::Countersignature(r) => c.remark("note", &r.note),
            Record::StepAcceptance(_) => Ok(()),
        }
    }

    /// Decodes and validates a payload of the kind a content type names.
    pub fn decode(content_type: &str, payload: &[u8]) -> Result<Record, RecordError> {
        let kind = Kind::from_content_type(content_type)
            .ok_or_else(|| RecordError::UnknownKind(content_type.to_string()))?;
        let r = Record::decode_kind(kind, payload).map_err(|source| RecordError::Cbor {
            kind: kind.name(),
            source,
        })?;
        r.validate()?;
        // One record, one encoding: ciborium would also accept tags, enums
        // written as maps, and explicit nulls or empty lists for fields that
        // are left out when absent; each re-encodes differently.
        if r.encode()? != payload {
            return Err(RecordError::Invalid {
                kind: kind.name(),
                reason: "payload is not the canonical encoding of the record (tags, nulls, empty optional lists or other forms)"
                    .into(),
            });
        }
        Ok(r)
    }

    /// Encodes the record's payload (deterministic CBOR).
    pub fn encode(&self) -> Result<Vec<u8>, RecordError> {
        self.validate()?;
        self.encode_unchecked().map_err(|source| RecordError::Cbor {
            kind: self.kind().name(),
            source,
        })
    }
}

impl crate::class::Classify for RecordError {
    fn class(&self) -> crate::class::Class {
        crate::class::Class::BadInput
    }
}

#[cfg(test)]
mod tests;
