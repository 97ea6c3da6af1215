//! Submitting statements to a ledger: all of a batch or nothing.

use std::path::Path;

use super::{Admission, Config, PolicyError, State, StateIndex};
use crate::identity::Certificate;
use crate::note::SignedCheckpoint;
use crate::store::{for_each_entry, Layout, Ledger, StoreError, Writer};

/// Why a submission appended nothing.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The ledger could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The ledger has no trust root to admit statements against.
    #[error("{path}: {reason}")]
    TrustRoot {
        /// The trust root file.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A statement was refused; the whole batch was.
    #[error("statement {position} ({name}) refused by rule {rule}: {source}")]
    Refused {
        /// 1-based position in the batch.
        position: usize,
        /// The name it was given (its file).
        name: String,
        /// The rule's short name.
        rule: &'static str,
        /// The refusal.
        source: PolicyError,
    },
    /// The persisted state index could not be opened, rebuilt or written.
    #[error("state index {path}: {reason}")]
    StateIndex {
        /// The index file.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The log holds an entry the policy cannot read back.
    #[error("log entry {index} cannot be replayed: {source}")]
    Replay {
        /// Its index.
        index: u64,
        /// Why.
        source: PolicyError,
    },
}

impl SubmitError {
    /// True when a statement was refused, or the log holds something the
    /// policy cannot replay (rather than unreadable input or I/O).
    pub fn is_refusal(&self) -> bool {
        match self {
            SubmitError::Refused { source, .. } => !matches!(
                source,
                PolicyError::Malformed(_) | PolicyError::Record(_) | PolicyError::Unavailable(_)
            ),
            SubmitError::Replay {
                source: PolicyError::Unavailable(_),
                ..
            } => false,
            SubmitError::Replay { .. } => true,
            _ => false,
        }
    }
}

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

fn read_trust_root(layout: &Layout) -> Result<Certificate, SubmitError> {
    let path = layout.trust_root();
    let data = std::fs::read(&path).map_err(|e| SubmitError::TrustRoot {
        path: path.clone(),
        reason: format!("{e} (create the ledger with `init --trust-root ROOT.pem`)"),
    })?;
    Certificate::from_pem(&data).map_err(|e| SubmitError::TrustRoot {
        path,
        reason: e.to_string(),
    })
}

fn replay(layout: &Layout, cp: &SignedCheckpoint) -> Result<State, SubmitError> {
    let mut state = State::new();
    let mut failed = None;
    for_each_entry(layout, cp, |index, bytes| {
        if failed.is_none() {
            if let Err(source) = state.replay(index, bytes) {
                failed = Some(SubmitError::Replay { index, source });
            }
        }
        Ok(())
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(state),
    }
}

/// Reads a ledger's state (no lock; as of its latest checkpoint).
pub fn load_state(root: &Path) -> Result<(State, SignedCheckpoint), SubmitError> {
    let ledger = Ledger::open(root)?;
    let state = replay(ledger.layout(), ledger.checkpoint())?;
    Ok((state, ledger.checkpoint().clone()))
}

/// Opens the ledger for writing and brings its state index up to the
/// checkpoint (building it from the log if missing): what a service does
/// before it accepts submissions, so the first is not the one that waits.
pub fn open_index(root: &Path) -> Result<(), SubmitError> {
    let writer = Writer::open(root)?;
    read_trust_root(writer.layout())?;
    StateIndex::open(writer.layout(), writer.committed()).map(|_| ())
}

/// Admits a batch of statements (name, bytes) and appends the new ones under
/// one checkpoint. If any statement is refused, nothing is appended.
/// `now` and `skew` bound the statements' `iat`.
pub fn submit(
    root: &Path,
    statements: &[(String, Vec<u8>)],
    now: u64,
    skew: u64,
) -> Result<Submitted, SubmitError> {
    submit_with(root, statements, now, skew, None)
}

/// [`submit`], waiting for the writer lock if another writer holds the
/// ledger and `on_wait` is given (see [`crate::store::OnWait`]).
pub fn submit_with(
    root: &Path,
    statements: &[(String, Vec<u8>)],
    now: u64,
    skew: u64,
    on_wait: crate::store::OnWait,
) -> Result<Submitted, SubmitError> {
    retry_superseded(|| submit_once(root, statements, now, skew, on_wait))
}

/// Runs `attempt` again (up to 8 more times, after a random backoff) while
/// another sequencer commits first (a public tree in object storage): each
/// attempt opens the ledger again, which catches it up, and admits the
/// statements afresh against the state it now has.
fn retry_superseded<T>(
    mut attempt: impl FnMut() -> Result<T, SubmitError>,
) -> Result<T, SubmitError> {
    let mut lost = 0;
    loop {
        match attempt() {
            Err(SubmitError::Store(StoreError::Superseded { .. })) if lost < 8 => {
                lost += 1;
                crate::store::backoff(lost);
            }
            done => return done,
        }
    }
}

fn submit_once(
    root: &Path,
    statements: &[(String, Vec<u8>)],
    now: u64,
    skew: u64,
    on_wait: crate::store::OnWait,
) -> Result<Submitted, SubmitError> {
    let mut writer = Writer::open_with(root, false, on_wait)?;
    let layout = writer.layout().clone();
    let cfg = Config {
        root: read_trust_root(&layout)?,
        now,
        skew,
        max_age: super::DEFAULT_MAX_AGE,
    };
    let (index, mut state) = StateIndex::open(&layout, writer.committed())?;
    let refs: Vec<&[u8]> = statements.iter().map(|(_, b)| b.as_slice()).collect();
    let admissions =
        state
            .admit_batch(&refs, &cfg)
            .map_err(|(pos, source)| SubmitError::Refused {
                position: pos + 1,
                name: statements[pos].0.clone(),
                rule: source.rule(),
                source,
            })?;
    let new = new_leaves(statements.iter().map(|(_, b)| b.as_slice()), &admissions);
    let checkpoint = append_and_commit(&mut writer, &mut state, new)?;
    let index_warning = save_index(&index, &mut state, &checkpoint);
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
) -> Result<SignedCheckpoint, SubmitError> {
    if new.is_empty() {
        return Ok(writer.committed().clone());
    }
    let chunks = state.take_index_leaves();
    let mut leaves: Vec<(u64, &[u8])> = new.into_iter().collect();
    let commit = state
        .commit_entries()
        .map_err(|source| SubmitError::Replay {
            index: state.len(),
            source,
        })?;
    leaves.extend(chunks.iter().map(|(i, b)| (*i, b.as_slice())));
    leaves.extend(commit.iter().map(|(i, b)| (*i, b.as_slice())));
    leaves.sort_by_key(|(i, _)| *i);
    for (i, bytes) in leaves {
        let at = writer.append(bytes)?;
        if at != i {
            return Err(SubmitError::Replay {
                index: i,
                source: PolicyError::Index(format!(
                    "the writer placed entry {i} at {at}; nothing was committed"
                )),
            });
        }
    }
    Ok(writer.commit()?.clone())
}

/// The outcome of [`submit_each`].
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
pub fn submit_each(
    root: &Path,
    statements: &[Vec<u8>],
    now: u64,
    skew: u64,
) -> Result<SubmittedEach, SubmitError> {
    Sequencer::new(root).submit_each(statements, now, skew)
}

/// The ledger's one writer kept open between group commits (a service):
/// the lock is taken, the tree's edge loaded and a crashed writer's leftovers
/// removed once, not per group. After any error the writer is dropped and
/// the next call opens the ledger afresh.
pub struct Sequencer {
    root: std::path::PathBuf,
    writer: Option<Writer>,
}

impl Sequencer {
    /// A sequencer of the ledger at `root` (opened at first use).
    pub fn new(root: &Path) -> Sequencer {
        Sequencer {
            root: root.to_path_buf(),
            writer: None,
        }
    }

    /// The open writer, opening the ledger if needed.
    pub fn writer(&mut self) -> Result<&mut Writer, StoreError> {
        if self.writer.is_none() {
            self.writer = Some(Writer::open(&self.root)?);
        }
        Ok(self.writer.as_mut().expect("opened above"))
    }

    /// [`submit_each`] through the open writer.
    pub fn submit_each(
        &mut self,
        statements: &[Vec<u8>],
        now: u64,
        skew: u64,
    ) -> Result<SubmittedEach, SubmitError> {
        // After any error the writer is dropped: the next attempt opens the
        // ledger again.
        retry_superseded(|| {
            let done = submit_each_with(self.writer()?, statements, now, skew);
            if done.is_err() {
                self.writer = None;
            }
            done
        })
    }

    /// Says in the ledger's lock file that a service holds it, listening
    /// at `url` (see [`Writer::announce_service`]).
    pub fn announce_service(&mut self, url: &str) -> Result<(), StoreError> {
        self.writer()?.announce_service(url)
    }

    /// Attaches a witness's cosignature lines to the committed checkpoint.
    pub fn attach_cosignatures(
        &mut self,
        witness: &crate::note::VerifierKey,
        lines: &[u8],
    ) -> Result<(), StoreError> {
        let done = self
            .writer()?
            .attach_cosignatures(witness, lines)
            .map(|_| ());
        if done.is_err() {
            self.writer = None;
        }
        done
    }
}

fn submit_each_with(
    writer: &mut Writer,
    statements: &[Vec<u8>],
    now: u64,
    skew: u64,
) -> Result<SubmittedEach, SubmitError> {
    let layout = writer.layout().clone();
    let cfg = Config {
        root: read_trust_root(&layout)?,
        now,
        skew,
        max_age: super::DEFAULT_MAX_AGE,
    };
    let (index, mut state) = StateIndex::open(&layout, writer.committed())?;
    let refs: Vec<&[u8]> = statements.iter().map(Vec::as_slice).collect();
    let results = state.admit_each(&refs, &cfg);
    if let Some(Err(e)) = results
        .iter()
        .find(|r| matches!(r, Err(PolicyError::Unavailable(_))))
    {
        return Err(SubmitError::StateIndex {
            path: layout.index_dir(),
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
    let index_warning = save_index(&index, &mut state, &checkpoint);
    Ok(SubmittedEach {
        results,
        checkpoint,
        index_warning,
    })
}

/// Commits the index of a ledger whose checkpoint does not end with a
/// commit entry (one made before committed histories): appends the commit
/// entry under a new checkpoint. Returns `None` if there was nothing to do.
pub fn upgrade(root: &Path) -> Result<Option<SignedCheckpoint>, SubmitError> {
    let mut writer = Writer::open(root)?;
    let layout = writer.layout().clone();
    let (index, mut state) = StateIndex::open(&layout, writer.committed())?;
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
        .map_err(|source| SubmitError::Replay {
            index: size,
            source,
        })?;
    for (_, bytes) in entries {
        writer.append(&bytes)?;
    }
    let checkpoint = writer.commit()?.clone();
    // The index catches up at the next submission if this fails.
    let _ = save_index(&index, &mut state, &checkpoint);
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
