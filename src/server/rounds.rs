//! The ledger service's witness rounds (issue 23): run on a thread of
//! their own after each commit, so no witness stands between a durable
//! statement and its `201`, nor delays listening or shutdown.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::ledger::{set, Metrics, Published, WitnessAt};
use crate::ledger::Ledger;
use crate::note::Policy;

/// The witness rounds: after each commit, and once at start (a checkpoint
/// left unwitnessed when the service stopped). Run on their own thread,
/// so no witness stands between a durable commit and its `201`, nor
/// delays listening or shutdown.
pub(super) struct Rounds {
    pub(super) ledger: Arc<Ledger>,
    pub(super) witnesses: Vec<WitnessAt>,
    pub(super) policy: Option<Policy>,
    pub(super) tsa: Option<crate::remote::TsaClient>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) published: Published,
    pub(super) accepted: Published,
}

impl Rounds {
    /// Asks every witness to cosign the checkpoint on disk (without
    /// holding the writer), attaches the answers (holding it briefly),
    /// then publishes the checkpoint if no commit came in between, and
    /// keeps it as the accepted one if the trust policy accepts it.
    fn round(&self) {
        let Ok(snapshot) = self.ledger.snapshot() else {
            return;
        };
        let before = snapshot.checkpoint().to_bytes();
        let mut answers = Vec::new();
        for w in &self.witnesses {
            match crate::witness::ask_witness(&w.url, &w.key, &snapshot) {
                Ok((answer, _)) => answers.push((w, answer)),
                Err(e) => {
                    tracing::warn!(witness = %w.url, error = %e, "witness round failed");
                    self.metrics
                        .witness_failures
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        if !answers.is_empty() {
            for (w, answer) in answers {
                let counter = match self.ledger.attach_cosignatures(&w.key, &answer) {
                    Ok(_) => {
                        tracing::info!(witness = %w.url, "cosigned");
                        &self.metrics.cosigned
                    }
                    Err(e) => {
                        tracing::warn!(witness = %w.url, error = %e, "cosignature not attached");
                        &self.metrics.witness_failures
                    }
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
        // Trusted time, once per round, for the checkpoint as it now is.
        if let Some(tsa) = &self.tsa {
            match crate::remote::stamp_ledger(&self.ledger, tsa) {
                Ok(s) => {
                    tracing::info!(tree_size = s.size, tsa = %tsa.url, "time-stamped");
                    self.metrics.timestamped.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    tracing::warn!(tsa = %tsa.url, error = %e, "time-stamp round failed");
                    self.metrics
                        .timestamp_failures
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        let Ok(after) = self.ledger.checkpoint().map(|cp| cp.to_bytes()) else {
            return;
        };
        // A commit that landed during the round has its own round next: its
        // checkpoint stays staged until then.
        if tree_size(&after) != tree_size(&before) {
            return;
        }
        if let Some(policy) = &self.policy {
            let met = policy
                .open_checkpoint(&after)
                .and_then(|cp| policy.check_quorum(&cp))
                .is_ok_and(|q| q.met);
            if met {
                set(&self.accepted, after.clone());
            } else {
                tracing::warn!(
                    tree_size = tree_size(&after),
                    "checkpoint not accepted by the trust policy (witness quorum not met): packs stay on the last accepted one"
                );
            }
        }
        set(&self.published, after);
    }

    /// Runs a round at start, then one per signal (signals that arrive
    /// during a round are taken together), until the committer is gone.
    pub(super) fn run(self, wake: std::sync::mpsc::Receiver<()>) {
        self.round();
        while wake.recv().is_ok() {
            while wake.try_recv().is_ok() {}
            self.round();
        }
    }
}

/// The tree size a checkpoint note names (its second line), 0 if none.
pub(super) fn tree_size(note: &[u8]) -> u64 {
    std::str::from_utf8(note)
        .ok()
        .and_then(|t| t.lines().nth(1)?.parse().ok())
        .unwrap_or(0)
}
