//! A state resumed from the state index (`ledger::StateIndex`): it holds the
//! scheme-level state and the log's index summary, and loads a facility,
//! a referenced statement or a statement digest only when a statement needs
//! it. It records what changed, for the index to write after the commit.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{FacilityState, Logged, PolicyError, State};
use crate::cose::Statement;
use crate::history::{is_index_entry, Attribution, History, MapError, NodeId, StoredNode};
use crate::identity::Certificate;
use crate::record::{DesignatedRole, Framework, Record};

/// Why a resumed state could not read what it had not loaded: it refuses
/// nothing (the statement was not judged), it stops the submission.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// What the source should hold is not there (an entry past the end of
    /// the log it reflects).
    #[error("{what} is missing")]
    Missing {
        /// What was looked up.
        what: String,
    },
    /// The source could not be read (the state index or a tile).
    #[error("{what}: {reason}")]
    Unreadable {
        /// What was read.
        what: String,
        /// Why it failed.
        reason: String,
    },
}

impl LookupError {
    /// `what` could not be read, for `reason`.
    pub fn unreadable(what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        LookupError::Unreadable {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}

/// Where a resumed state reads what it has not loaded (the ledger's state
/// index and log, or anything that holds the same).
pub trait Source: Send {
    /// The index of the statement whose logged bytes have this SHA-256.
    fn statement_at(&self, sha256: &[u8; 32]) -> Result<Option<u64>, LookupError>;
    /// A facility's state and its statements' indexes.
    fn facility(&self, id: &str) -> Result<Option<(FacilityState, Vec<u64>)>, LookupError>;
    /// The statements' indexes of the index's list named `name` (a
    /// facility's id, or its label in a confidential ledger).
    fn list(&self, name: &str) -> Result<Vec<u64>, LookupError>;
    /// The logged bytes of entry `index`.
    fn entry(&self, index: u64) -> Result<Vec<u8>, LookupError>;
    /// The logged bytes of several entries, in the order given (a source
    /// may read what they share once; by default, one at a time).
    fn entries(&self, indexes: &[u64]) -> Result<Vec<Vec<u8>>, LookupError> {
        indexes.iter().map(|&i| self.entry(i)).collect()
    }
    /// A node of the facility map.
    fn map_node(&self, id: &NodeId) -> Result<StoredNode, MapError>;
}

/// What changed since the state index was last written.
#[derive(Debug, Default)]
pub struct Changes {
    /// New statements: digest and index.
    pub hashes: Vec<([u8; 32], u64)>,
    /// Facilities whose state changed.
    pub facilities: BTreeSet<String>,
    /// True when a revocation, designation or framework was applied.
    pub scheme: bool,
}

impl Changes {
    pub(super) fn note(&mut self, index: u64, hash: [u8; 32], record: &Record) {
        self.hashes.push((hash, index));
        match record.facility() {
            Some(id) => {
                self.facilities.insert(id.to_string());
            }
            None => self.scheme = true,
        }
    }
}

/// The scheme-level state, kept whole in the state index (it grows with
/// revocations, designations and framework versions, not with facilities).
#[derive(Default, Serialize, Deserialize)]
pub struct SchemeState {
    revoked: Vec<([u8; 32], u64)>,
    designated: Vec<(DesignatedRole, String, u64)>,
    frameworks: Vec<(u64, Framework)>,
    statements: u64,
}

fn unavailable(e: impl std::fmt::Display) -> PolicyError {
    PolicyError::Unavailable(LookupError::unreadable("the state index", e))
}

/// A logged statement read back from the log.
pub(super) fn logged_from(index: u64, bytes: &[u8]) -> Result<Logged, PolicyError> {
    let st = Statement::parse(bytes)?;
    let record = Record::decode(&st.header().content_type, st.payload())?;
    let leaf = Certificate::from_der(&st.header().x5chain[0]).map_err(PolicyError::Certificate)?;
    Ok(Logged {
        index,
        sha256: super::sha256(bytes),
        record,
        issued_at: st.header().issued_at,
        signer: leaf.fingerprint(),
        signer_subject: leaf.subject().to_string(),
        signer_party: leaf.party().map(str::to_string),
    })
}

impl State {
    /// A state resumed from the state index: the scheme-level state, the
    /// log's index summary, the next index, and where to read the rest.
    pub fn resumed(scheme: SchemeState, history: History, source: Box<dyn Source>) -> State {
        let next = history.len();
        State {
            next,
            revoked: scheme.revoked.into_iter().collect(),
            designated: scheme
                .designated
                .into_iter()
                .map(|(r, p, i)| (r, (p, i)))
                .collect(),
            frameworks: scheme.frameworks,
            statements: scheme.statements,
            history: Some(history),
            source: Some(source),
            ..State::default()
        }
    }

    /// The scheme-level state, to keep.
    pub fn scheme_state(&self) -> SchemeState {
        let mut revoked: Vec<_> = self.revoked.iter().map(|(k, v)| (*k, *v)).collect();
        revoked.sort();
        SchemeState {
            revoked,
            designated: self
                .designated
                .iter()
                .map(|(r, (p, i))| (*r, p.clone(), *i))
                .collect(),
            frameworks: self.frameworks.clone(),
            statements: self.statements,
        }
    }

    /// Takes what changed since the last call.
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }

    /// Forgets everything loaded from the state index (after its changes
    /// were written), so that replaying a long log stays within bounded
    /// memory. A state without a source keeps everything.
    pub fn evict(&mut self) {
        if self.source.is_none() {
            return;
        }
        self.logged.clear();
        self.by_hash.clear();
        self.facilities.clear();
        self.chains.clear();
        if let Some(h) = &mut self.history {
            h.evict();
        }
    }

    /// The index of the statement with these logged bytes' SHA-256, if it
    /// is logged.
    pub(super) fn logged_at(&mut self, hash: &[u8; 32]) -> Result<Option<u64>, PolicyError> {
        if let Some(&i) = self.by_hash.get(hash) {
            return Ok(Some(i));
        }
        let Some(src) = &self.source else {
            return Ok(None);
        };
        let found = src.statement_at(hash).map_err(unavailable)?;
        if let Some(i) = found {
            self.by_hash.insert(*hash, i);
        }
        Ok(found)
    }

    /// Loads what the rules need to judge `record`: its facility and the
    /// statements it references.
    pub(super) fn load_for(&mut self, record: &Record) -> Result<(), PolicyError> {
        if self.source.is_none() {
            return Ok(());
        }
        if let Some(id) = record.facility() {
            self.load_facility(id)?;
        }
        for (_, r) in record.references() {
            if self.logged.contains_key(&r.index) || r.index >= self.next {
                continue;
            }
            let Some(src) = &self.source else { break };
            let bytes = src.entry(r.index).map_err(unavailable)?;
            if !is_index_entry(&bytes) {
                let l = logged_from(r.index, &bytes)?;
                self.logged.insert(r.index, l);
            }
        }
        Ok(())
    }

    fn load_facility(&mut self, id: &str) -> Result<(), PolicyError> {
        if self.facilities.contains_key(id) {
            return Ok(());
        }
        let Some(src) = &self.source else {
            return Ok(());
        };
        let (fac, entries) = match src.facility(id).map_err(unavailable)? {
            Some((f, e)) => (Some(f), e),
            None => (None, Vec::new()),
        };
        let name = self.naming.name(id);
        if let (Some(h), Some(name)) = (&mut self.history, name) {
            if !h.is_loaded(&name) {
                let entries = match name == id {
                    true => entries,
                    false => src.list(&name).map_err(unavailable)?,
                };
                h.load(&name, &entries, &mut |n| src.map_node(n))
                    .map_err(unavailable)?;
            }
        }
        if let Some(f) = fac {
            self.facilities.insert(id.to_string(), f);
        }
        Ok(())
    }

    /// Loads the index list of the facility a statement is attributed to
    /// (its `sub`, which admission checks is the record's facility).
    pub(super) fn load_history_of(&mut self, a: &Attribution) -> Result<(), PolicyError> {
        let (Some(src), Some(h), Attribution::Facility(id)) = (&self.source, &mut self.history, a)
        else {
            return Ok(());
        };
        if h.is_loaded(id) {
            return Ok(());
        }
        let entries = src.list(id).map_err(unavailable)?;
        h.load(id, &entries, &mut |n| src.map_node(n))
            .map_err(unavailable)
    }
}
