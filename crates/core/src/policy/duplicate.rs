//! The `duplicate` rule (issue 23): a statement that repeats one already in
//! force for the same subject is refused, whoever signs it. Two statements
//! that differ only in their signing time (`iat`), or in who of the same
//! party signed them, have different bytes, so [`super::Admission::Duplicate`]
//! (the very same bytes submitted again) does not catch them; they would add
//! a second, permanent entry that says nothing new.
//!
//! What "repeats one in force" means, per kind:
//!
//! - seal, countersignature, decision, acknowledgement, self-assessment, step
//!   completion, step acceptance, determination, dispute, resolution: an
//!   earlier statement of the same kind about the same facility whose record
//!   is equal (these statements stay in force for good: a later one does not
//!   replace them, so any earlier equal one counts, even a decision since
//!   overturned or a dispute since resolved — a new assessment has its own
//!   report, a new dispute its own grounds);
//! - registration: the facility's registration is equal;
//! - transfer: equal to the facility's latest transfer (the one that made its
//!   owner the owner); a transfer to the owner that repeats nothing is left
//!   to the lifecycle rule;
//! - tool inventory: equal to the facility's latest inventory (going back to
//!   an older, superseded one is a change, and admitted);
//! - revocation: the certificate is already revoked (whatever the reason);
//! - designation: the same party is designated for the role by the
//!   designation in force (whatever the note); designating again a party that
//!   was since replaced is a change, and admitted;
//! - framework: a published version is equal (one with the same version and
//!   other content is the framework rule's refusal: a version is published
//!   once).
//!
//! The rule runs on admission only (new submissions, and the offline
//! verifier's re-admission of a pack), after `reference` and `authority` (a
//! signer who may not act is told so first) and before `framework`,
//! `coverage` and `lifecycle`, so that an exact repeat is named `duplicate`
//! even where those rules would refuse it too (a second registration or
//! acknowledgement, a framework version published again). It does not run
//! on [`State::replay`]: a ledger written before the rule may hold such
//! repeats, and must still open.

use std::borrow::Cow;

use super::{PolicyError, State};
use crate::history::is_index_entry;
use crate::record::Record;

/// Which rules a statement is judged by: a new one by all of them; one
/// already logged, replayed, by all but `duplicate` (a ledger written before
/// that rule may hold repeats, and must still open).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Judging {
    /// [`State::admit`] and its batch forms: every rule.
    Admission,
    /// [`State::replay`]: not `duplicate`.
    Replay,
}

impl State {
    /// The earlier statements about `record`'s facility that `record` would
    /// repeat if its record equals theirs (the kinds compared by content;
    /// empty for the others, and for an unknown facility).
    fn repeat_candidates(&self, record: &Record) -> Vec<u64> {
        let Some(f) = record.facility().and_then(|id| self.facilities.get(id)) else {
            return Vec::new();
        };
        let decision = |index: u64| f.decisions.iter().find(|d| d.index == index);
        match record {
            Record::Registration(_) => vec![f.registration],
            // Known by their digests (`FacilityState::repeats`): nothing to
            // read back.
            Record::Seal(_)
            | Record::Countersignature(_)
            | Record::Decision(_)
            | Record::SelfAssessment(_)
            | Record::Dispute(_) => Vec::new(),
            Record::Acknowledgement(a) => decision(a.decision.index)
                .and_then(|d| d.acknowledged.as_ref())
                .map(|k| k.index)
                .into_iter()
                .collect(),
            Record::StepCompletion(c) => decision(c.decision.index)
                .and_then(|d| d.steps.iter().find(|s| s.id == c.step))
                .and_then(|s| s.completion)
                .into_iter()
                .collect(),
            Record::StepAcceptance(a) => f
                .decisions
                .iter()
                .flat_map(|d| &d.steps)
                .filter(|s| s.completion == Some(a.completion.index))
                .filter_map(|s| s.accepted)
                .collect(),
            Record::Determination(det) => decision(det.decision.index)
                .and_then(|d| d.determination.as_ref())
                .map(|(i, _, _)| *i)
                .into_iter()
                .collect(),
            Record::Resolution(r) => f
                .resolutions
                .iter()
                .filter(|(_, dispute, _)| *dispute == r.dispute.index)
                .map(|(i, _, _)| *i)
                .collect(),
            Record::Transfer(_) => f.transfers.last().map(|(i, _)| *i).into_iter().collect(),
            // Compared with the state's own copies (the latest inventory,
            // the revocations, designations and frameworks).
            Record::ToolInventory(_)
            | Record::Revocation(_)
            | Record::Designation(_)
            | Record::Framework(_) => Vec::new(),
        }
    }

    /// Loads the records the `duplicate` rule compares `record` with, for a
    /// state resumed from the state index (reading each tile once, and
    /// keeping them until [`State::evict`], so a batch about one facility
    /// reads them once). A state without a source holds them already.
    pub(super) fn load_repeat_candidates(&mut self, record: &Record) -> Result<(), PolicyError> {
        let Some(src) = &self.source else {
            return Ok(());
        };
        let missing: Vec<u64> = self
            .repeat_candidates(record)
            .into_iter()
            .filter(|i| !self.logged.contains_key(i) && *i < self.next)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let entries = src.entries(&missing).map_err(PolicyError::Unavailable)?;
        for (index, bytes) in missing.into_iter().zip(entries) {
            if !is_index_entry(&bytes) {
                let l = super::resume::logged_from(index, &bytes)?;
                self.logged.insert(index, l);
            }
        }
        Ok(())
    }

    /// The record logged at `index`: held in memory, or read through the
    /// source of a resumed state; `None` when neither has it.
    fn record_at(&self, index: u64) -> Result<Option<Cow<'_, Record>>, PolicyError> {
        if let Some(l) = self.logged.get(&index) {
            return Ok(Some(Cow::Borrowed(&l.record)));
        }
        let Some(src) = &self.source else {
            return Ok(None);
        };
        let bytes = src.entry(index).map_err(PolicyError::Unavailable)?;
        if is_index_entry(&bytes) {
            return Ok(None);
        }
        Ok(Some(Cow::Owned(
            super::resume::logged_from(index, &bytes)?.record,
        )))
    }

    /// The `duplicate` rule: refuses `record` when it repeats a statement
    /// already in force for the same subject (see the module's comment for
    /// what that means per kind). Call [`State::load_repeat_candidates`]
    /// first in a resumed state, or each candidate is read on its own.
    pub(super) fn check_duplicate(&self, record: &Record) -> Result<(), PolicyError> {
        let repeat = |index: u64| PolicyError::Duplicate {
            kind: record.kind().name(),
            index,
        };
        match record {
            Record::Revocation(r) => {
                let mut fp = [0u8; 32];
                fp.copy_from_slice(&r.certificate_sha256);
                if let Some(&i) = self.revoked.get(&fp) {
                    return Err(repeat(i));
                }
            }
            Record::Designation(d) => {
                if let Some((party, i)) = self.designated.get(&d.role) {
                    if *party == d.party {
                        return Err(repeat(*i));
                    }
                }
            }
            Record::Framework(new) => {
                if let Some((i, _)) = self.frameworks.iter().find(|(_, f)| f == new) {
                    return Err(repeat(*i));
                }
            }
            Record::ToolInventory(new) => {
                let f = record.facility().and_then(|id| self.facilities.get(id));
                if let Some((i, _)) = f
                    .and_then(|f| f.inventory.as_ref())
                    .filter(|(_, v)| v == new)
                {
                    return Err(repeat(*i));
                }
            }
            _ => {
                let f = record.facility().and_then(|id| self.facilities.get(id));
                if let (Some(f), Some(d)) = (f, super::lifecycle::repeat_digest(record)) {
                    if let Some(&i) = f.repeats.get(&d) {
                        return Err(repeat(i));
                    }
                }
                for i in self.repeat_candidates(record) {
                    if self.record_at(i)?.is_some_and(|r| *r == *record) {
                        return Err(repeat(i));
                    }
                }
            }
        }
        Ok(())
    }
}
