//! Evidence packs made from the ledger: which statements a pack holds, and
//! building one against a checkpoint of the ledger.

use crate::cose::{transparent_statement, SignedRoot, Statement};
use crate::note::Signer;
use crate::policy::State;
use crate::store::{Snapshot, StoreError};
use crate::verify::{HistorySelection, Pack, PackConsistency, PackHistory, PackTimestamp};

use super::LedgerError;

/// Which statements a pack holds.
#[derive(Clone, Debug)]
pub enum Selection {
    /// Every statement about the facility.
    Facility(String),
    /// These entries, and every earlier statement of their facilities (the
    /// history their lifecycle rests on); a decision with the operator's
    /// acknowledgement of it.
    Entries(Vec<u64>),
}

/// Why a pack could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MakePackError {
    /// The ledger could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The ledger's statements could not be replayed.
    #[error(transparent)]
    State(#[from] LedgerError),
    /// Nothing matched the selection.
    #[error("{0}")]
    Empty(String),
    /// Encoding failed.
    #[error("{0}")]
    Encode(String),
    /// OLD is not a checkpoint signed by this ledger's log key.
    #[error("OLD is not a checkpoint of this ledger's log: {0}")]
    NotThisLog(String),
    /// OLD is of a larger tree than the ledger holds.
    #[error("OLD is of tree size {old}, but this ledger is at size {size}: the ledger is behind it, or was rolled back")]
    Behind {
        /// OLD's size.
        old: u64,
        /// The ledger's.
        size: u64,
    },
}

impl MakePackError {}

impl crate::class::Classify for MakePackError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            MakePackError::NotThisLog(_) | MakePackError::Behind { .. } => {
                Class::VerificationFailed
            }
            MakePackError::Store(s) => s.class(),
            MakePackError::State(s) => s.class(),
            MakePackError::Empty(_) => Class::NotFound,
            MakePackError::Encode(_) => Class::Internal,
        }
    }
}

/// The two roots a `pack --since OLD` found for OLD's tree size: both
/// signed by the log key, so together a proof that it forked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitView {
    /// OLD's tree size.
    pub size: u64,
    /// This ledger's root at that size.
    pub ours: crate::merkle::Hash,
    /// OLD's root.
    pub theirs: crate::merkle::Hash,
}

/// Builds a pack from the ledger as of `l` and its state as of (at least)
/// that checkpoint: the selected statements and, for every facility they
/// concern, its earlier statements; plus every scheme-level statement of the
/// log (revocations, designations, framework versions). Each gets a receipt
/// signed by `signer` against `l`'s checkpoint. With `since` (an older tree
/// size), the pack also carries the consistency proof from the log's tree
/// at that size.
pub(super) fn build(
    l: &Snapshot,
    signer: &dyn Signer,
    state: &mut State,
    selection: &Selection,
    issued_at: u64,
    since: Option<u64>,
) -> Result<Pack, MakePackError> {
    let size = l.checkpoint().root().size();
    // The committed index, if the checkpoint's last leaf commits it.
    let committed = state
        .history()
        .and_then(|h| h.last_commit())
        .is_some_and(|(at, _)| at + 1 == size);
    // Each facility's statements up to a cutoff (exclusive).
    let mut cutoff: std::collections::BTreeMap<String, u64> = Default::default();
    match selection {
        Selection::Facility(f) => {
            if !state.facilities().contains_key(f) && !committed {
                return Err(MakePackError::Empty(format!(
                    "facility {f:?} is not registered"
                )));
            }
            cutoff.insert(f.clone(), size);
        }
        Selection::Entries(idx) => {
            for &i in idx {
                let e = state.get(i).ok_or_else(|| {
                    MakePackError::Empty(format!("entry {i} is not in the log (size {size})"))
                })?;
                let Some(f) = e.record.facility() else {
                    continue;
                };
                // A decision comes with its second signature: the
                // operator's acknowledgement, and what precedes it.
                let acked = state
                    .facilities()
                    .get(f)
                    .and_then(|fs| fs.decisions.iter().find(|d| d.index == i))
                    .and_then(|d| d.acknowledged.as_ref())
                    .map_or(i, |a| a.index.max(i));
                let c = cutoff.entry(f.to_string()).or_default();
                *c = (*c).max(acked + 1);
            }
        }
    }
    let mut statements = Vec::new();
    let mut indices = Vec::new();
    let mut signed_root: Option<SignedRoot> = None;
    for i in 0..size {
        let Some(e) = state.get(i) else { continue };
        let wanted = match e.record.facility() {
            Some(f) => cutoff.get(f).is_some_and(|&c| i < c),
            // Scheme-level records (revocations, designations, framework
            // versions) are what every facility's statements are judged by.
            None => e.record.kind().is_scheme_level(),
        };
        if !wanted {
            continue;
        }
        // A confidential ledger's receipt carries the salt that opens the
        // statement's commitment leaf.
        let bytes = l.read_entry(i)?;
        let st = Statement::parse(&bytes)
            .map_err(|e| MakePackError::Encode(format!("entry {i}: {e}")))?;
        // One signature of the root serves every receipt of the pack.
        let signed = match &signed_root {
            Some(s) => s,
            None => signed_root.insert(
                SignedRoot::sign(signer, l.checkpoint().root(), issued_at)
                    .map_err(LedgerError::from)?,
            ),
        };
        let receipt = super::receipt::issue_for(l, signed, i, &bytes)?;
        indices.push(i);
        statements.push(
            transparent_statement(&st, &[receipt])
                .map_err(|e| MakePackError::Encode(e.to_string()))?,
        );
    }
    if statements.is_empty() && !committed {
        return Err(MakePackError::Empty("no statements selected".into()));
    }
    let naming = state.naming().clone();
    let history = match (committed, state.history_mut()) {
        (true, Some(h)) => {
            let at = size - 1;
            let index = l.read_entry(at)?;
            let path = l.prove_inclusion(at)?.path().to_vec();
            // The index names a facility's list by its id, or (confidential)
            // by its label, whose proof the pack carries.
            // A confidential log files the scheme-level statements under a
            // label too: their list comes with its label proof, as one
            // more facility's.
            let scheme_list = naming
                .is_labels()
                .then(|| crate::history::SCHEME_LIST.to_string());
            let facilities = cutoff
                .keys()
                .chain(scheme_list.iter())
                .map(|f| {
                    let name = naming.name(f).unwrap_or_else(|| f.clone());
                    h.prove(&name).map(|mut fh| {
                        fh.id = f.clone();
                        fh.label = naming.label_proof(f);
                        fh
                    })
                })
                .collect::<Result<_, _>>()
                .map_err(|e| MakePackError::Encode(e.to_string()))?;
            Some(PackHistory {
                selection: match selection {
                    Selection::Facility(_) => HistorySelection::Facility,
                    Selection::Entries(_) => HistorySelection::Entries,
                },
                index,
                path,
                facilities,
                scheme: h.scheme_entries().to_vec(),
            })
        }
        _ => None,
    };
    let consistency = match since {
        None => None,
        Some(old) => {
            let (from, proof) = l.prove_consistency_from(old)?;
            Some(PackConsistency {
                from,
                proof: proof.path().to_vec(),
            })
        }
    };
    // A frozen log's pack carries its freeze note, a successor's its note
    // naming its predecessor: the verifier checks and reports them.
    let public_note = |path: std::path::PathBuf| match std::fs::read(&path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io(&path, e)),
    };
    Ok(Pack {
        checkpoint: l.checkpoint().to_bytes(),
        statements,
        consistency,
        history,
        frozen: public_note(l.layout().frozen())?,
        predecessor: public_note(l.layout().predecessor())?,
        rotations: crate::store::rotate::rotation_notes(l.layout())?
            .into_iter()
            .map(|(_, b)| b)
            .collect(),
        timestamps: stamps_for(l, &indices)?,
    })
}

/// Most time-stamp tokens a pack is given (each about 1.5 KiB with its
/// proof); a verifier reads up to 256.
const PACK_TIMESTAMPS: usize = 64;

/// The kept time-stamp tokens a pack carries (FORMATS §29): for each of
/// its statements, the earliest token over a tree that holds it (size above
/// its index) and that the pack's tree extends, which is the tightest
/// "existed by" the log has for it. When more than [`PACK_TIMESTAMPS`] are
/// wanted, evenly spaced ones are kept, the largest always: a statement
/// whose own is left out is covered by a later one (a weaker bound, never
/// a false one). A token that does not stamp the log's tree at its size is
/// left out: a verifier would refuse it.
fn stamps_for(l: &Snapshot, indices: &[u64]) -> Result<Vec<PackTimestamp>, MakePackError> {
    let size = l.checkpoint().root().size();
    let sizes: Vec<u64> = crate::store::timestamps::sizes(l.layout())?
        .into_iter()
        .filter(|&s| s <= size)
        .collect();
    let mut chosen: Vec<u64> = indices
        .iter()
        .filter_map(|&i| sizes.iter().copied().find(|&s| s > i))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if chosen.len() > PACK_TIMESTAMPS {
        let n = chosen.len();
        chosen = (1..=PACK_TIMESTAMPS)
            .map(|k| chosen[k * n / PACK_TIMESTAMPS - 1])
            .collect();
    }
    let origin = l.checkpoint().checkpoint().origin().to_string();
    let mut out = Vec::new();
    for s in chosen {
        let (root, proof) = l.prove_consistency_from(s)?;
        let body = crate::note::Checkpoint::new(&origin, root)
            .map_err(|e| MakePackError::Encode(e.to_string()))?
            .to_text();
        let token = crate::store::timestamps::read(l.layout(), s)?;
        let stamps = crate::tsa::stamped_imprint(&token)
            .is_ok_and(|i| i == crate::tsa::imprint(body.as_bytes()));
        if stamps {
            out.push(PackTimestamp {
                checkpoint: body.into_bytes(),
                token,
                proof: proof.path().to_vec(),
            });
        }
    }
    Ok(out)
}
