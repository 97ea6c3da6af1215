//! Submitting statements to a ledger: all of a batch or nothing.

use super::{LedgerError, StateIndex};
use crate::identity::Certificate;
use crate::note::SignedCheckpoint;
use crate::policy::{Admission, Config, PolicyError, Prepared, State};
use crate::store::{for_each_entry, Layout, StoreError, Writer};

/// The outcome of a submission that was admitted.
#[derive(Clone, Debug)]
pub struct Submitted {
    /// For each statement, in order: its new index or the existing one.
    pub admissions: Vec<Admission>,
    /// The checkpoint after the batch (unchanged if nothing was new).
    pub checkpoint: SignedCheckpoint,
    /// Set when the state index could not be written after the commit:
    /// the statements are logged, and the next submission replays them
    /// into the index.
    pub index_warning: Option<String>,
}

pub(super) fn read_trust_root(layout: &Layout) -> Result<Certificate, LedgerError> {
    let path = layout.trust_root();
    let data = std::fs::read(&path).map_err(|e| LedgerError::TrustRoot {
        path: path.clone(),
        reason: format!("{e}: the ledger has no trust root to admit statements against"),
    })?;
    Certificate::from_pem(&data).map_err(|e| LedgerError::TrustRoot {
        path,
        reason: e.to_string(),
    })
}

pub(super) fn replay(layout: &Layout, cp: &SignedCheckpoint) -> Result<State, LedgerError> {
    let mut state = State::new().with_naming(super::naming(layout)?);
    let mut failed = None;
    for_each_entry(layout, cp, |index, bytes| {
        if failed.is_none() {
            if let Err(source) = state.replay(index, bytes) {
                failed = Some(LedgerError::Replay { index, source });
            }
        }
        Ok(())
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(state),
    }
}

/// Runs `attempt` again (up to 8 more times, after a random backoff) while
/// another sequencer commits first (a public tree in object storage): each
/// attempt opens the ledger again, which catches it up, and admits the
/// statements afresh against the state it now has.
pub(super) fn retry_superseded<T>(
    mut attempt: impl FnMut() -> Result<T, LedgerError>,
) -> Result<T, LedgerError> {
    let mut lost = 0;
    loop {
        match attempt() {
            Err(LedgerError::Store(StoreError::Superseded { .. })) if lost < 8 => {
                lost += 1;
                crate::store::backoff(lost);
            }
            done => return done,
        }
    }
}

/// What a submission judges against: the policy's settings (the ledger's
/// trust root, `now`, `skew`) and the state index opened at the writer's
/// committed checkpoint, with the state it resumes.
fn judging(
    writer: &Writer,
    index: &StateIndex,
    now: u64,
    skew: u64,
) -> Result<(Config, State), LedgerError> {
    let cfg = Config {
        root: read_trust_root(writer.layout())?,
        now,
        skew,
        max_age: crate::policy::DEFAULT_MAX_AGE,
    };
    let state = index.state_at(writer.layout(), writer.committed())?;
    Ok((cfg, state))
}

/// Admits a batch of statements (name, bytes) through `writer` and appends
/// the new ones under one checkpoint. If any statement is refused, nothing
/// is appended. `now` and `skew` bound the statements' `iat`.
pub(super) fn batch(
    writer: &mut Writer,
    index: &StateIndex,
    statements: &[(String, Vec<u8>)],
    now: u64,
    skew: u64,
) -> Result<Submitted, LedgerError> {
    let (cfg, mut state) = judging(writer, index, now, skew)?;
    let refs: Vec<&[u8]> = statements.iter().map(|(_, b)| b.as_slice()).collect();
    let admissions =
        state
            .admit_batch(&refs, &cfg)
            .map_err(|(pos, source)| LedgerError::Refused {
                position: pos + 1,
                name: statements[pos].0.clone(),
                rule: source.rule(),
                source,
            })?;
    let new = new_leaves(statements.iter().map(|(_, b)| b.as_slice()), &admissions);
    let checkpoint = append_and_commit(writer, &mut state, new)?;
    let index_warning = save_index(index, &mut state, &checkpoint);
    Ok(Submitted {
        admissions,
        checkpoint,
        index_warning,
    })
}

/// The admitted statements as (index, bytes).
fn new_leaves<'a>(
    statements: impl Iterator<Item = &'a [u8]>,
    admissions: &[Admission],
) -> Vec<(u64, &'a [u8])> {
    statements
        .zip(admissions)
        .filter_map(|(b, a)| match a {
            Admission::New(i) => Some((*i, b)),
            Admission::Duplicate(_) => None,
        })
        .collect()
}

/// Appends the admitted statements, the index entries admitting them
/// closed, then the commit entries, in log order, under one checkpoint (the
/// committed one again when nothing is new).
fn append_and_commit(
    writer: &mut Writer,
    state: &mut State,
    new: Vec<(u64, &[u8])>,
) -> Result<SignedCheckpoint, LedgerError> {
    if new.is_empty() {
        return Ok(writer.committed().clone());
    }
    let chunks = state.take_index_leaves();
    let mut leaves: Vec<(u64, &[u8])> = new.into_iter().collect();
    let commit = state
        .commit_entries()
        .map_err(|source| LedgerError::Replay {
            index: state.len(),
            source,
        })?;
    leaves.extend(chunks.iter().map(|(i, b)| (*i, b.as_slice())));
    leaves.extend(commit.iter().map(|(i, b)| (*i, b.as_slice())));
    leaves.sort_by_key(|(i, _)| *i);
    for (i, bytes) in leaves {
        let at = writer.append(bytes)?;
        if at != i {
            return Err(LedgerError::Replay {
                index: i,
                source: PolicyError::Index(format!(
                    "the writer placed entry {i} at {at}; nothing was committed"
                )),
            });
        }
    }
    Ok(writer.commit()?.clone())
}

/// The outcome of [`super::Ledger::submit_each`].
#[derive(Debug)]
pub struct SubmittedEach {
    /// For each statement, in order: its index (new or existing), or why
    /// the policy refused it.
    pub results: Vec<Result<Admission, PolicyError>>,
    /// The checkpoint after the commit (unchanged if nothing was new).
    pub checkpoint: SignedCheckpoint,
    /// As [`Submitted::index_warning`].
    pub index_warning: Option<String>,
}

/// Admits statements independently — a group commit of separate
/// submissions: each is checked against every rule in order and appended if
/// it passes, a refusal affects no other, and everything admitted is
/// committed under one checkpoint.
pub(super) fn each(
    writer: &mut Writer,
    index: &StateIndex,
    statements: &[Vec<u8>],
    now: u64,
    skew: u64,
) -> Result<SubmittedEach, LedgerError> {
    let refs: Vec<&[u8]> = statements.iter().map(Vec::as_slice).collect();
    each_with(writer, index, &refs, now, skew, |state, cfg| {
        state.admit_each(&refs, cfg)
    })
}

/// [`each`] for statements whose stateless checks already ran
/// ([`crate::policy::prepare`]).
pub(super) fn each_prepared(
    writer: &mut Writer,
    index: &StateIndex,
    statements: Vec<(Vec<u8>, Result<Prepared, PolicyError>)>,
    now: u64,
    skew: u64,
) -> Result<SubmittedEach, LedgerError> {
    let (bytes, prepared): (Vec<Vec<u8>>, Vec<_>) = statements.into_iter().unzip();
    let refs: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
    each_with(writer, index, &refs, now, skew, |state, cfg| {
        state.admit_each_prepared(refs.iter().copied().zip(prepared), cfg)
    })
}

fn each_with(
    writer: &mut Writer,
    index: &StateIndex,
    refs: &[&[u8]],
    now: u64,
    skew: u64,
    admit: impl FnOnce(&mut State, &Config) -> Vec<Result<Admission, PolicyError>>,
) -> Result<SubmittedEach, LedgerError> {
    let (cfg, mut state) = judging(writer, index, now, skew)?;
    let results = admit(&mut state, &cfg);
    if let Some(Err(e)) = results
        .iter()
        .find(|r| matches!(r, Err(PolicyError::Unavailable(_))))
    {
        return Err(LedgerError::StateIndex {
            path: writer.layout().index_dir(),
            reason: e.to_string(),
        });
    }
    let admissions: Vec<Admission> = results
        .iter()
        .map(|r| match r {
            Ok(a) => *a,
            // Placeholder for a refusal: never New, so never appended.
            Err(_) => Admission::Duplicate(u64::MAX),
        })
        .collect();
    let new = new_leaves(refs.iter().copied(), &admissions);
    let checkpoint = append_and_commit(writer, &mut state, new)?;
    let index_warning = save_index(index, &mut state, &checkpoint);
    Ok(SubmittedEach {
        results,
        checkpoint,
        index_warning,
    })
}

/// Commits the index of a ledger whose checkpoint does not end with a
/// commit entry (one made before committed histories): appends the commit
/// entry under a new checkpoint. Returns `None` if there was nothing to do.
pub(super) fn upgrade(
    writer: &mut Writer,
    index: &StateIndex,
) -> Result<Option<SignedCheckpoint>, LedgerError> {
    let layout = writer.layout().clone();
    let mut state = index.state_at(&layout, writer.committed())?;
    let size = writer.size();
    let committed = state
        .history()
        .and_then(|h| h.last_commit())
        .is_some_and(|(at, _)| at + 1 == size);
    if size == 0 || committed {
        return Ok(None);
    }
    let entries = state
        .commit_entries()
        .map_err(|source| LedgerError::Replay {
            index: size,
            source,
        })?;
    for (_, bytes) in entries {
        writer.append(&bytes)?;
    }
    let checkpoint = writer.commit()?.clone();
    // The index catches up at the next submission if this fails.
    let _ = save_index(index, &mut state, &checkpoint);
    Ok(Some(checkpoint))
}

/// Writes the state after a commit to the state index; a failure is
/// returned as a warning (the log holds the statements; the index is
/// derived, and the next opening replays what it lacks).
fn save_index(
    index: &StateIndex,
    state: &mut State,
    checkpoint: &SignedCheckpoint,
) -> Option<String> {
    index
        .save(state, checkpoint.root())
        .err()
        .map(|e| e.to_string())
}
