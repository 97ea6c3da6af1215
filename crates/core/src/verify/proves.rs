//! What a pack proves, beyond each check's pass or fail (issue 23): its
//! scope (complete, selected entries, partial), its own consistency proof,
//! and the times its witnesses claim against its statements' signing times.

use super::check::Require;
use super::report::utc;
use super::{Pack, Report, Trust, WITNESSED_TIME_SKEW};
use crate::history::Attribution;
use crate::merkle::ConsistencyProof;
use crate::note::{CosignatureCheck, SignedCheckpoint};

/// The time by which the witnesses whose cosignatures verified say the
/// checkpoint existed: their claim, not a fact the verifier checked.
#[derive(Clone, Debug)]
pub(super) struct Witnessed {
    /// The latest of their cosignature times (each witness signs its time
    /// after seeing the checkpoint, so all of them claim it by then).
    pub(super) time: u64,
    /// Their names in the trust policy.
    pub(super) by: Vec<String>,
}

/// What the scope of a pack is, given its checks: a failed `complete`
/// check is added when the pack proves less than `require` asks.
pub(super) fn scope(
    r: &mut Report,
    pack: &Pack,
    cp: Option<&SignedCheckpoint>,
    items: &[(u64, Attribution)],
    complete: &[String],
    require: Require,
) -> Option<super::Scope> {
    use super::history::HistorySelection;
    use super::Scope;
    let statements = pack.statements.len();
    match &pack.history {
        Some(h) if h.selection == HistorySelection::Facility => {
            if !complete.is_empty() {
                return Some(Scope::Complete {
                    facilities: complete.to_vec(),
                    size: cp.map_or(0, |c| c.root().size()),
                });
            }
            if !r.checks.iter().any(|c| c.name == "complete") {
                r.check(
                    "complete",
                    false,
                    "the pack says it holds whole facility histories, but proves none complete (its committed history lists no facility)",
                );
            }
            None
        }
        Some(_) => {
            let through = items
                .iter()
                .filter(|(_, a)| matches!(a, Attribution::Facility(_)))
                .map(|(i, _)| *i)
                .max()
                .or_else(|| items.iter().map(|(i, _)| *i).max())
                .unwrap_or_default();
            if require == Require::Complete {
                r.refused(
                    "complete",
                    super::finding::SELECTED_ENTRIES,
                    "required, but this pack holds selected entries, not every statement of its facility",
                );
            }
            Some(Scope::Entries {
                through,
                statements,
            })
        }
        None if require == Require::Partial => Some(Scope::Partial { statements }),
        None => {
            r.refused(
                "complete",
                super::finding::NO_INDEX,
                "this pack carries no committed index, so it cannot prove that it holds every statement of its facility (a revocation or a later decision may have been left out); a verifier that accepts a partial pack checks only that its statements are in the log, and says so",
            );
            None
        }
    }
}

/// The pack's consistency part on its own: its proof must lead from the
/// older tree it names to the checkpoint's tree, whether or not the
/// verifier has that older checkpoint (`--since` compares the roots).
pub(super) fn check_consistency(
    r: &mut Report,
    c: &super::PackConsistency,
    cp: Option<&SignedCheckpoint>,
) {
    let name = "consistency: proof";
    let Some(cp) = cp else {
        r.check(
            name,
            false,
            "cannot be checked: the checkpoint did not verify",
        );
        return;
    };
    let b = cp.root();
    if c.from.size() == 0 && *c.from.hash() != crate::merkle::empty_root() {
        r.check(
            name,
            false,
            format!(
                "the pack names size 0 with root {}, which is not the empty tree's",
                c.from.hash()
            ),
        );
        return;
    }
    let proof = ConsistencyProof::new(c.from.size(), b.size(), c.proof.clone());
    match proof.verify(&c.from, b) {
        Ok(()) => r.check(
            name,
            true,
            format!(
                "the log at size {} extends its tree of size {} root {} (proof of {} hashes)",
                b.size(),
                c.from.size(),
                c.from.hash(),
                c.proof.len()
            ),
        ),
        Err(e) => r.check(
            name,
            false,
            format!(
                "the pack's proof from size {} to the checkpoint's size {} does not verify: {e}",
                c.from.size(),
                b.size()
            ),
        ),
    }
}

/// A witness's times only grow: its cosignature on OLD (the smaller or
/// equal tree) must not be later than its cosignature on the pack's
/// checkpoint. A failed check names the witness.
pub(super) fn check_witness_clocks(
    r: &mut Report,
    old: &SignedCheckpoint,
    cp: &SignedCheckpoint,
    trust: &Trust,
) {
    let (Ok(then), Ok(now)) = (
        trust.policy.check_quorum(old),
        trust.policy.check_quorum(cp),
    ) else {
        return;
    };
    for ((w, before), (_, after)) in then.witnesses.iter().zip(&now.witnesses) {
        if let (
            CosignatureCheck::Valid { timestamp: t0 },
            CosignatureCheck::Valid { timestamp: t1 },
        ) = (before, after)
        {
            let fine = t1 >= t0;
            r.check(
                format!("since: witness {} time", w.name),
                fine,
                if fine {
                    format!(
                        "cosigned OLD (size {}) at {} and this pack's checkpoint (size {}) at {}: its time went forward",
                        old.root().size(),
                        utc(*t0),
                        cp.root().size(),
                        utc(*t1)
                    )
                } else {
                    format!(
                        "cosigned OLD (size {}) at {} but this pack's later checkpoint (size {}) at {}, earlier: a witness's times only grow, so one of its claimed times is false",
                        old.root().size(),
                        utc(*t0),
                        cp.root().size(),
                        utc(*t1)
                    )
                },
            );
        }
    }
}

/// A statement's claimed signing time against the time by which the
/// witnesses claim its checkpoint existed: later (beyond the skew) means
/// the signer's clock, or the witnesses' claim, is false.
/// Adds a failed check when late; returns whether the time is consistent.
pub(super) fn check_witnessed_time(r: &mut Report, name: &str, iat: u64, w: &Witnessed) -> bool {
    if iat <= w.time.saturating_add(WITNESSED_TIME_SKEW) {
        return true;
    }
    r.check(
        format!("{name}: time"),
        false,
        format!(
            "signed (by its iat) at {}, after {} (the time by which {} claim the checkpoint that includes it existed) plus {WITNESSED_TIME_SKEW} s: the signer's clock or the witnesses' claim is false",
            utc(iat),
            utc(w.time),
            w.by.join(", ")
        ),
    );
    false
}
