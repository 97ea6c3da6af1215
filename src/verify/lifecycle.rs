//! A log's lifecycle in a pack (issue 26, FORMATS §28): the freeze note of
//! a frozen log and a successor's note naming its predecessor.

use super::{Pack, Report, Trust};
use crate::note::SignedCheckpoint;

/// A frozen log's freeze note, and a successor's note naming its
/// predecessor (FORMATS §28), when the pack carries them: signed by the log
/// key that signed the checkpoint, and not contradicted by it.
pub(super) fn check_lifecycle(
    r: &mut Report,
    pack: &Pack,
    cp: Option<&SignedCheckpoint>,
    trust: &Trust,
) {
    let Some(cp) = cp else {
        if pack.frozen.is_some() || pack.predecessor.is_some() {
            r.not_checked.push(
                "the log's freeze or predecessor note: the pack's checkpoint did not verify".into(),
            );
        }
        return;
    };
    let keys: Vec<&crate::note::VerifierKey> = trust
        .policy
        .logs()
        .iter()
        .filter(|k| k.name() == cp.checkpoint().origin())
        .collect();
    if let Some(bytes) = &pack.frozen {
        let opened = keys
            .iter()
            .find_map(|k| crate::note::SignedFrozen::open(bytes, k).ok());
        match opened {
            None => r.check(
                "log frozen",
                false,
                "the pack's freeze note is not signed by the log's key",
            ),
            Some(f) => {
                let f = f.frozen();
                match f.contradicted_by(cp) {
                    Some(why) => r.check("log frozen", false, why),
                    None => {
                        let mut d = format!(
                            "the log is frozen: its final tree is size {}, root {} (signed by the log's key); it takes no more entries",
                            f.root.size(),
                            f.root.hash()
                        );
                        if cp.root().size() < f.root.size() {
                            d.push_str(&format!(
                                "; this pack's checkpoint (size {}) is from before the freeze",
                                cp.root().size()
                            ));
                        }
                        if let Some(s) = &f.successor {
                            d.push_str(&format!("; its successor is {s}"));
                        }
                        if let Some(why) = &f.reason {
                            d.push_str(&format!("; reason: {why}"));
                        }
                        r.check("log frozen", true, d);
                    }
                }
            }
        }
    }
    if let Some(bytes) = &pack.predecessor {
        match keys
            .iter()
            .find_map(|k| crate::note::Predecessor::open(bytes, k).ok())
        {
            None => r.check(
                "log predecessor",
                false,
                "the pack's predecessor note is not signed by the log's key",
            ),
            Some(p) => r.check(
                "log predecessor",
                true,
                format!(
                    "this log continues {} from that log's final tree, size {}, root {}; that log's statements verify in its own packs, under its own key",
                    p.vkey,
                    p.root.size(),
                    p.root.hash()
                ),
            ),
        }
    }
}
