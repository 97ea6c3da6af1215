//! A log's lifecycle in a pack (issue 26, FORMATS §28): the log key's
//! rotation notes, the freeze note of a frozen log and a successor's note
//! naming its predecessor.

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

/// A log key retired by a rotation: it signs trees up to `at`, no larger.
#[derive(Clone, Debug)]
pub(super) struct Retired {
    key: crate::note::VerifierKey,
    at: u64,
}

/// Follows the pack's rotation notes from the keys the trust policy names:
/// a note whose old key is trusted (or was handed to) hands trust to its
/// new key, for trees from the hand-over on. Returns the trust with those
/// keys added (`None`: nothing added) and the keys retired.
pub(super) fn apply_rotations(
    r: &mut Report,
    pack: &Pack,
    trust: &Trust,
) -> (Option<Trust>, Vec<Retired>) {
    let mut policy = trust.policy.clone();
    let mut retired = Vec::new();
    // The verifier's own notes (its trust directory) and the pack's, each
    // once, in the order of their hand-overs.
    let mut notes: Vec<(String, crate::note::SignedRotation)> = Vec::new();
    let sources = trust
        .rotations
        .iter()
        .map(|b| ("the trust directory", b))
        .chain(pack.rotations.iter().map(|b| ("the pack", b)));
    for (i, (from, bytes)) in sources.enumerate() {
        match crate::note::SignedRotation::open(bytes) {
            Ok(n) if notes.iter().any(|(_, m)| m == &n) => {}
            Ok(n) => notes.push((from.to_string(), n)),
            Err(e) => r.check(
                format!("log key rotation note {} ({from})", i + 1),
                false,
                e.to_string(),
            ),
        }
    }
    notes.sort_by_key(|(_, n)| n.rotation().root.size());
    for (i, (from, note)) in notes.iter().enumerate() {
        let name = format!("log key rotation {} ({from})", i + 1);
        let rot = note.rotation();
        let (old_trusted, new_trusted) = (
            policy.logs().contains(&rot.old),
            policy.logs().contains(&rot.new),
        );
        if !old_trusted && !new_trusted {
            r.warnings.push(format!(
                "{name}: between keys the trust policy does not name ({} to {}); ignored",
                rot.old, rot.new
            ));
            continue;
        }
        if old_trusted && !new_trusted {
            policy = policy.with_log(rot.new.clone());
        }
        retired.push(Retired {
            key: rot.old.clone(),
            at: rot.root.size(),
        });
        r.check(
            name,
            true,
            format!(
                "at tree size {} (root {}) the log key {} handed over to {}, both signing{}",
                rot.root.size(),
                rot.root.hash(),
                rot.old,
                rot.new,
                if old_trusted && !new_trusted {
                    "; the new key is trusted on the old key's word"
                } else {
                    ""
                }
            ),
        );
    }
    let added = policy != trust.policy;
    (
        added.then(|| Trust {
            policy,
            ..trust.clone()
        }),
        retired,
    )
}

/// Fails a checkpoint that only retired keys signed, past their hand-over.
pub(super) fn check_retired(
    r: &mut Report,
    cp: &SignedCheckpoint,
    trust: &Trust,
    retired: &[Retired],
) {
    if retired.is_empty() {
        return;
    }
    let size = cp.root().size();
    let keys: Vec<crate::note::VerifierKey> = trust
        .policy
        .logs()
        .iter()
        .filter(|k| k.name() == cp.checkpoint().origin())
        .cloned()
        .collect();
    let signed = cp.note().verify(&keys).unwrap_or_default();
    let current =
        |k: &crate::note::VerifierKey| retired.iter().filter(|t| &t.key == k).all(|t| size <= t.at);
    match signed.iter().find(|k| current(k)) {
        Some(k) => r.check(
            "log key at this tree",
            true,
            format!("tree size {size} is signed by {k}, a key in charge at that size"),
        ),
        None => {
            let named: Vec<String> = signed.iter().map(|k| k.to_string()).collect();
            let at = retired
                .iter()
                .filter(|t| signed.contains(&&t.key))
                .map(|t| t.at)
                .min()
                .unwrap_or(0);
            r.check(
                "log key at this tree",
                false,
                format!(
                    "tree size {size} is signed only by {}, retired at tree size {at} by a rotation note: a retired key signing after its hand-over",
                    named.join(", ")
                ),
            )
        }
    }
}

/// Says which trust updates of the scheme root the verifier applies.
pub(super) fn report_updates(r: &mut Report, trust: &Trust) {
    for u in &trust.updates {
        let u = u.update();
        r.check(
            format!("trust update {}", u.serial),
            true,
            format!(
                "signed by the scheme root, issued {}: windows for {} log key(s), {} witness key(s), {} TSA(s){}",
                super::utc(u.issued),
                u.logs.len(),
                u.witnesses.len(),
                u.tsas.len(),
                u.reason
                    .as_ref()
                    .map(|r| format!("; reason: {r}"))
                    .unwrap_or_default()
            ),
        );
    }
}

/// Fails a checkpoint whose tree size is outside the window the scheme
/// root's trust updates give every log key that signed it.
pub(super) fn check_log_window(r: &mut Report, cp: &SignedCheckpoint, trust: &Trust) {
    let keys: Vec<crate::note::VerifierKey> = trust
        .policy
        .logs()
        .iter()
        .filter(|k| k.name() == cp.checkpoint().origin())
        .cloned()
        .collect();
    let signed = cp.note().verify(&keys).unwrap_or_default();
    let windows: Vec<_> = signed.iter().map(|k| (*k, trust.log_window(k))).collect();
    if windows.iter().all(|(_, w)| w.is_none()) {
        return;
    }
    let size = cp.root().size();
    match windows
        .iter()
        .find(|(_, w)| w.is_none_or(|w| w.window.contains(size)))
    {
        Some((k, w)) => r.check(
            "log key window",
            true,
            format!(
                "tree size {size} is signed by {k}, within its window{}",
                w.map(|w| format!(": {}", w.describe(true)))
                    .unwrap_or_else(|| " (none given)".into())
            ),
        ),
        None => r.check(
            "log key window",
            false,
            format!(
                "tree size {size} is signed only by keys outside the windows the scheme root gave them: {}",
                windows
                    .iter()
                    .map(|(k, w)| format!(
                        "{k} {}",
                        w.map(|w| w.describe(true)).unwrap_or_default()
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
    }
}
