//! Offline verification of a pack: the checkpoint and its witnesses, the
//! link to an older checkpoint (`--since`), then every statement: its
//! receipt, and its re-admission by the registration policy.
//!
//! Check names say which part of the pack they cover, so a failure points
//! at the damaged part: `checkpoint` (the body and the log's signature),
//! `witness <name>` and `witness quorum` (cosignatures), `since: …` (the
//! consistency proof), `statement <n>: encoding`, `statement <n> (entry
//! <i>): receipt` (inclusion path and the log's receipt signature) and
//! `statement <n> (entry <i>): <kind> by <issuer>` (payload, protected
//! header, signature, certificate chain, role, revocations, references,
//! lifecycle).

use std::collections::HashSet;

use super::history::check_history;
use super::proves::{
    check_consistency, check_witness_clocks, check_witnessed_time, scope, Witnessed,
};
use super::report::utc;
use super::{Pack, Report, Trust};
use crate::cose::{split_transparent, Statement};
use crate::history::{attribution_of_statement, Attribution};
use crate::merkle::ConsistencyProof;
use crate::note::{CosignatureCheck, SignedCheckpoint};
use crate::policy::{Admission, Config, State};
use crate::record::Kind;

/// How much a verifier asks a pack to prove.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Require {
    /// A facility pack proves that it holds every statement of its
    /// facility (or fails); a pack of selected entries (`pack --entry`)
    /// verifies with a verdict that says it proves those entries only; a
    /// pack with no committed index fails.
    #[default]
    Default,
    /// Only a complete pack verifies (`verify --require-complete`).
    Complete,
    /// A pack that proves only that its statements are in the log is
    /// accepted, and its verdict says so (`verify --partial`).
    Partial,
}

/// What a verifier gives besides the pack and the trust.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'a> {
    /// The bytes of a checkpoint note kept from before (`--since OLD`):
    /// the pack's log must extend it.
    pub since: Option<&'a [u8]>,
    /// How much the pack must prove.
    pub require: Require,
    /// The time (POSIX seconds) the summary judges what is overdue at;
    /// `None`: the system clock (a web page, which has none here, gives it).
    pub now: Option<u64>,
}

/// How far a statement's claimed signing time may be after the time by
/// which the witnesses say its checkpoint existed (clocks differ).
pub const WITNESSED_TIME_SKEW: u64 = 300;

/// Verifies a pack against the trust material, offline. With `since` (the
/// bytes of a checkpoint note kept from before), also checks that the
/// pack's log extends that checkpoint's, and names the split if it does not.
/// Completeness as [`Require::Default`].
pub fn verify_pack(pack: &Pack, trust: &Trust, since: Option<&[u8]>) -> Report {
    verify_pack_state(pack, trust, since).0
}

/// [`verify_pack`], with the state its admitted statements make (what
/// `history PACK` and `report PACK` read; a state of a pack that did not
/// verify is what the pack *claims*).
pub fn verify_pack_state(pack: &Pack, trust: &Trust, since: Option<&[u8]>) -> (Report, State) {
    verify_pack_with(
        pack,
        trust,
        &Options {
            since,
            ..Options::default()
        },
    )
}

/// [`verify_pack_state`] with every option.
pub fn verify_pack_with(pack: &Pack, trust: &Trust, options: &Options) -> (Report, State) {
    verify_pack_state_in(pack, trust, options, STATEMENTS_AT_ONCE)
}

/// [`verify_pack_with`], parsing and admitting `at_once` statements at a
/// time (the result does not depend on it; tests vary it).
#[doc(hidden)]
pub fn verify_pack_state_in(
    pack: &Pack,
    trust: &Trust,
    options: &Options,
    at_once: usize,
) -> (Report, State) {
    let mut r = Report::default();
    super::lifecycle::report_updates(&mut r, trust);
    // The log key's rotations first: they may hand trust to a newer key.
    let (rotated, retired) = super::lifecycle::apply_rotations(&mut r, pack, trust);
    let trust = rotated.as_ref().unwrap_or(trust);
    let (cp, witnessed) = check_checkpoint(&mut r, pack, trust);
    if let Some(c) = &cp {
        super::lifecycle::check_retired(&mut r, c, trust, &retired);
        super::lifecycle::check_log_window(&mut r, c, trust);
    }
    super::lifecycle::check_lifecycle(&mut r, pack, cp.as_ref(), trust);
    let stamps = super::time::check_timestamps(&mut r, pack, cp.as_ref(), trust);
    if let Some(c) = &pack.consistency {
        check_consistency(&mut r, c, cp.as_ref());
    }
    match options.since {
        Some(old) => check_since(&mut r, pack, cp.as_ref(), old, trust),
        None => r.not_checked.push(
            "that this log extends a checkpoint you kept from before (none was given)".into(),
        ),
    }
    let (items, unacknowledged, state) = check_statements(
        &mut r,
        pack,
        cp.as_ref(),
        witnessed.as_ref(),
        &stamps,
        trust,
        at_once.max(1),
    );
    let complete = match &pack.history {
        Some(h) => check_history(
            &mut r,
            h,
            cp.as_ref().map(|c| c.root()),
            &items,
            trust.labels.as_ref(),
        ),
        None => {
            r.not_checked.push(
                "statements of the log that the pack's maker left out: this pack carries no committed index (made by a ledger from before committed histories, or of a log with none); a verifier who can read the log can compare with `triage-ledger status`. The authority and framework checks assume the pack holds every designation, framework version and transfer up to its checkpoint".into(),
            );
            Vec::new()
        }
    };
    r.scope = scope(
        &mut r,
        pack,
        cp.as_ref(),
        &items,
        &complete,
        options.require,
    );
    // The second signature on every decision. A pack proven complete for
    // the decision's facility settles what a selection cannot: none in the
    // pack means none in the log.
    for (index, facility) in unacknowledged {
        let tail = match &cp {
            Some(cp) if complete.contains(&facility) => format!(
                "none in the log up to tree size {} (this pack is complete for {facility}): pending",
                cp.root().size()
            ),
            _ => "none in this pack (pending, or left out by the pack's maker)".to_string(),
        };
        r.not_checked.push(format!(
            "the operator's acknowledgement of the decision at entry {index}: {tail}"
        ));
    }
    if let Some(cp) = &cp {
        r.not_checked.push(format!(
            "revocations registered after this checkpoint (tree size {}): a key revoked later is treated as valid here",
            cp.root().size()
        ));
    }
    r.not_checked.push(
        "the evidence files themselves: only their digests are signed (check them against the bundle's manifest)".into(),
    );
    r.not_checked.push(format!(
        "the wall-clock time of signing: each statement's iat is as its signer claimed, checked against its certificate's validity and, where witnesses cosigned, against the time they claim (within {WITNESSED_TIME_SKEW} s); an iat earlier than the truth is not detected"
    ));
    r.summary = Some(super::summary::summarise_at(
        &state,
        cp.as_ref(),
        options.now.unwrap_or_else(super::summary::system_now),
    ));
    (r, state)
}

/// Who signed a note, as `name+keyid` (the key hash's first 4 bytes in
/// hex, as verifier keys name them), read from its signature lines
/// without verifying them: what a verifier compares with its trust.
fn signers_of(note: &[u8]) -> String {
    use base64::Engine;
    let text = String::from_utf8_lossy(note);
    let names: Vec<String> = text
        .split_once("\n\n")
        .map(|(_, sigs)| sigs)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("\u{2014} "))
        .filter_map(|l| {
            let (name, sig) = l.rsplit_once(' ')?;
            let raw = base64::engine::general_purpose::STANDARD.decode(sig).ok()?;
            (raw.len() > 4).then(|| format!("{name}+{}", crate::hex::encode(&raw[..4])))
        })
        .collect();
    if names.is_empty() {
        "no one (it has no signature lines)".into()
    } else {
        names.join(", ")
    }
}

fn check_checkpoint(
    r: &mut Report,
    pack: &Pack,
    trust: &Trust,
) -> (Option<SignedCheckpoint>, Option<Witnessed>) {
    let cp = match trust.policy.open_checkpoint(&pack.checkpoint) {
        Ok(cp) => cp,
        Err(e) => {
            r.check(
                "checkpoint",
                false,
                format!(
                    "{e}; the pack's checkpoint is signed by {}",
                    signers_of(&pack.checkpoint)
                ),
            );
            return (None, None);
        }
    };
    r.check(
        "checkpoint",
        true,
        format!(
            "signed by log {}, tree size {}, root {}",
            cp.checkpoint().origin(),
            cp.root().size(),
            cp.root().hash()
        ),
    );
    // A signature line from a key the trust policy does not name is ignored
    // (c2sp.org/signed-note): said, not dropped silently.
    for sig in cp.note().signatures() {
        let known = trust
            .policy
            .logs()
            .iter()
            .map(|k| (k.name(), k.id()))
            .chain(
                trust
                    .policy
                    .witnesses()
                    .iter()
                    .map(|w| (w.key.name(), w.key.id())),
            )
            .any(|(name, id)| name == sig.name() && id == sig.id());
        if !known {
            r.warnings.push(format!(
                "the checkpoint's signature line by {} (key id {}) was ignored: the trust policy names no such key",
                sig.name(),
                sig.id()
            ));
        }
    }
    let quorum = match trust.policy.check_quorum(&cp) {
        Ok(q) => q,
        Err(e) => {
            r.check("witness quorum", false, e.to_string());
            return (Some(cp), None);
        }
    };
    let mut cosigned = Vec::new();
    let mut latest: Option<u64> = None;
    for (w, check) in &quorum.witnesses {
        let name = format!("witness {}", w.name);
        match check {
            CosignatureCheck::Valid { timestamp } => {
                // The scheme root may have bounded when this key counts.
                if let Some(win) = trust.witness_window(&w.key) {
                    if !win.window.contains(*timestamp) {
                        r.check(
                            name,
                            false,
                            format!(
                                "{} cosigned this checkpoint at {}, outside the window its key counts for: {}",
                                w.key,
                                utc(*timestamp),
                                win.describe(false)
                            ),
                        );
                        continue;
                    }
                }
                cosigned.push(w.name.clone());
                latest = latest.max(Some(*timestamp));
                r.check(
                    name,
                    true,
                    format!(
                        "cosigned by {}, which claims it saw this checkpoint at {}",
                        w.key.name(),
                        utc(*timestamp)
                    ),
                );
            }
            CosignatureCheck::Invalid => r.check(
                name,
                false,
                format!(
                    "a cosignature line by {} (key id {}) does not verify over this checkpoint",
                    w.key.name(),
                    w.key.id()
                ),
            ),
            CosignatureCheck::Missing => {}
        }
    }
    if trust.policy.needs_cosignatures() {
        r.check(
            "witness quorum",
            quorum.met,
            format!(
                "the policy needs {}; valid cosignatures from: {}{}",
                trust.policy.describe_quorum(),
                if cosigned.is_empty() {
                    "none".to_string()
                } else {
                    cosigned.join(", ")
                },
                match latest {
                    // Each witness signed its time after seeing the
                    // checkpoint: by their claim, every entry existed by
                    // the latest of them.
                    Some(t) if quorum.met => format!(
                        "; {} {} that every entry of this checkpoint existed by {} (the latest of their cosignature times: their claim, checked against the statements' signing times)",
                        cosigned.join(", "),
                        if cosigned.len() == 1 { "claims" } else { "claim" },
                        utc(t)
                    ),
                    _ => String::new(),
                }
            ),
        );
    } else {
        r.not_checked.push(
            "witness cosignatures: the trust policy requires none (quorum none), so a split view of the log is not excluded".into(),
        );
    }
    let witnessed = latest.map(|time| Witnessed { time, by: cosigned });
    (Some(cp), witnessed)
}

fn check_since(
    r: &mut Report,
    pack: &Pack,
    cp: Option<&SignedCheckpoint>,
    old_bytes: &[u8],
    trust: &Trust,
) {
    let old = match trust.policy.open_checkpoint(old_bytes) {
        Ok(o) => o,
        Err(e) => {
            r.check("since: old checkpoint", false, e.to_string());
            return;
        }
    };
    let (a, log) = (old.root(), old.checkpoint().origin());
    r.check(
        "since: old checkpoint",
        true,
        format!(
            "signed by log {log}, tree size {}, root {}",
            a.size(),
            a.hash()
        ),
    );
    let name = "since: consistency";
    let Some(cp) = cp else {
        r.check(name, false, "the pack's checkpoint did not verify");
        return;
    };
    let b = cp.root();
    if cp.checkpoint().origin() != log {
        r.check(
            name,
            false,
            format!(
                "OLD is a checkpoint of log {log}, the pack's is of {}",
                cp.checkpoint().origin()
            ),
        );
        return;
    }
    if a.size() <= b.size() {
        check_witness_clocks(r, &old, cp, trust);
    }
    let split = |at: &str| {
        format!(
            "SPLIT VIEW: log {log} signed two histories that cannot both be true. OLD: size {} root {}. This pack: size {} root {}{at}. Keep both files: together they prove that the log changed some of its first {} entries",
            a.size(),
            a.hash(),
            b.size(),
            b.hash(),
            a.size()
        )
    };
    if a.size() > b.size() {
        r.refused(
            name,
            super::finding::OLD_IS_NEWER,
            format!(
                "OLD (size {}) is newer than this pack's checkpoint (size {}): verify the newer file against the older one",
                a.size(),
                b.size()
            ),
        );
    } else if a.size() == b.size() {
        if a.hash() == b.hash() {
            r.check(name, true, format!("the same tree (size {})", a.size()));
        } else {
            r.check(name, false, split(""));
        }
    } else if a.size() == 0 {
        if *a.hash() == crate::merkle::empty_root() {
            r.check(name, true, "OLD is the empty tree");
        } else {
            r.check(
                name,
                false,
                format!(
                    "OLD is signed by the log for size 0 with root {}, which is not the empty tree's: the log misbehaved",
                    a.hash()
                ),
            );
        }
    } else {
        match &pack.consistency {
            None => r.refused(
                name,
                super::finding::NO_CONSISTENCY_PROOF,
                "the pack carries no consistency proof: make it against OLD",
            ),
            Some(c) if c.from.size() != a.size() => r.refused(
                name,
                super::finding::PROOF_FROM_ANOTHER_SIZE,
                format!(
                    "the pack's consistency proof starts at size {}, OLD has size {}: make the pack against OLD",
                    c.from.size(),
                    a.size()
                ),
            ),
            Some(c) => {
                let proof = ConsistencyProof::new(a.size(), b.size(), c.proof.clone());
                match proof.verify(&c.from, b) {
                    Err(e) => r.check(
                        name,
                        false,
                        format!("the pack's consistency proof does not verify: {e}"),
                    ),
                    Ok(()) if c.from.hash() == a.hash() => r.check(
                        name,
                        true,
                        format!(
                            "the log at size {} extends OLD's tree of size {} (consistency proof of {} hashes)",
                            b.size(),
                            a.size(),
                            c.proof.len()
                        ),
                    ),
                    Ok(()) => r.check(
                        name,
                        false,
                        split(&format!(
                            ", which commits (by a verified consistency proof) to root {} at size {}",
                            c.from.hash(),
                            a.size()
                        )),
                    ),
                }
            }
        }
    }
}

/// Statements parsed and admitted together (see [`check_statements`]).
const STATEMENTS_AT_ONCE: usize = 512;

/// Decisions (log index, facility) with no acknowledgement in the pack.
type Unacknowledged = Vec<(u64, String)>;

/// Checks every statement; returns each readable statement's log index
/// (from its receipt) and attribution, in pack order, and the decisions
/// (index, facility) with no acknowledgement in the pack.
fn check_statements(
    report: &mut Report,
    pack: &Pack,
    cp: Option<&SignedCheckpoint>,
    witnessed: Option<&Witnessed>,
    stamps: &[super::time::Stamp],
    trust: &Trust,
    at_once: usize,
) -> (Vec<(u64, Attribution)>, Unacknowledged, State) {
    // Admitted entries that no verified time-stamp covers.
    let mut unstamped = Vec::new();
    let origin = cp.map(|cp| cp.checkpoint().origin().to_string());
    let log_for = |kid: &[u8]| {
        trust
            .policy
            .logs()
            .iter()
            .find(|k| Some(k.name()) == origin.as_deref() && k.id().as_bytes() == kid)
    };
    let mut memo = HashSet::new();
    // Each statement's checks, kept together in the report.
    let mut slots: Vec<Report> = vec![Report::default(); pack.statements.len()];
    let mut last: Option<u64> = None;
    let mut seen = Vec::new();
    // Offline, times are not compared with a clock: any iat passes the
    // future/stale window; validity is checked at each statement's own iat.
    let cfg = Config {
        root: trust.root.clone(),
        now: u64::MAX / 2,
        skew: 0,
        max_age: u64::MAX,
    };
    let mut state = State::partial();
    let mut decisions = Vec::new();
    // Signing times against the witnessed time: how many were compared,
    // how many were late, the latest.
    let (mut timed, mut late, mut latest_iat) = (0usize, 0usize, 0u64);
    // A chunk at a time: the parsed and prepared forms of a statement are
    // several times its size, so a pack at the size limit must not hold
    // them all at once (BENCHMARKS.md, "the largest pack").
    for from in (0..pack.statements.len()).step_by(at_once) {
        let to = (from + at_once).min(pack.statements.len());
        let mut admit = Vec::new();
        let mut items: Vec<(u64, Statement)> = Vec::new();
        for (k, bytes) in pack.statements[from..to].iter().enumerate() {
            let k = from + k;
            let n = k + 1;
            let r = &mut slots[k];
            let (st, receipts) = match split_transparent(bytes) {
                Ok(t) => {
                    for w in t.warnings() {
                        r.warnings.push(format!("statement {n}: {w}"));
                    }
                    (t.statement, t.receipts)
                }
                Err(e) => {
                    r.check(
                        format!("statement {n}: encoding"),
                        false,
                        format!("not a transparent statement: {e}"),
                    );
                    continue;
                }
            };
            let [receipt] = receipts.as_slice() else {
                r.check(
                    format!("statement {n}: receipt"),
                    false,
                    format!(
                        "a pack's statement carries exactly one receipt, this one {}",
                        receipts.len()
                    ),
                );
                continue;
            };
            let index = receipt.proof().index();
            seen.push((index, attribution_of_statement(&st)));
            let name = format!("statement {n} (entry {index})");
            let in_order = last.is_none_or(|l| index > l);
            let result = match (cp, log_for(receipt.kid())) {
                (Some(cp), Some(log)) => match receipt.verify_memo(st.bytes(), log, &mut memo) {
                    Ok(root) if root != *cp.root() => Err(format!(
                        "the receipt is for tree size {} root {}, not the checkpoint's size {} root {}",
                        root.size(),
                        root.hash(),
                        cp.root().size(),
                        cp.root().hash()
                    )),
                    Ok(_) if !in_order => Err(format!(
                        "entry {index} is not after the previous statement's entry {}: a pack lists statements in log order, once each",
                        last.unwrap_or_default()
                    )),
                    Ok(root) => Ok(format!(
                        "in the checkpoint's tree (size {}), signed by the log",
                        root.size()
                    )),
                    Err(e) => Err(e.to_string()),
                },
                (None, _) => Err("cannot be checked: the checkpoint did not verify".into()),
                (Some(_), None) => Err(format!(
                    "signed by key id {}, which is not a key of this log in the trust policy",
                    crate::hex::encode(receipt.kid())
                )),
            };
            match result {
                Ok(d) => r.check(format!("{name}: receipt"), true, d),
                Err(d) => r.check(format!("{name}: receipt"), false, d),
            }
            if in_order {
                last = Some(index);
                admit.push((k, name));
                items.push((index, st));
            } else {
                r.check(
                    format!("{name}: policy"),
                    false,
                    "not re-admitted: out of log order",
                );
            }
        }
        let results = state.admit_all(&items, &cfg);
        for (((k, name), (index, st)), res) in admit.iter().zip(&items).zip(results) {
            let r = &mut slots[*k];
            let h = st.header();
            if let Some(w) = witnessed {
                timed += 1;
                latest_iat = latest_iat.max(h.issued_at);
                late += usize::from(!check_witnessed_time(r, name, h.issued_at, w));
            }
            let kind = Kind::from_content_type(&h.content_type);
            let name = format!(
                "{name}: {} by {}",
                kind.map(|k| k.name()).unwrap_or("unknown kind"),
                h.issuer
            );
            match res {
                Ok(Admission::New(_)) => {
                    let party = state
                        .get(*index)
                        .and_then(|l| l.signer_party.clone())
                        .map(|p| format!(" (party {p})"))
                        .unwrap_or_else(|| " (the scheme root)".into());
                    if kind == Some(Kind::Decision) {
                        decisions.push((*k, *index));
                    }
                    let timed = super::time::earliest(stamps, *index);
                    if timed.is_none() && !stamps.is_empty() {
                        unstamped.push(*index);
                    }
                    r.check(
                        name.clone(),
                        true,
                        format!(
                            "signature, certificate chain to the root at iat {}, role, not revoked by the revocations in this pack, claims, references, authority{party}, not a repeat, framework, coverage and lifecycle",
                            utc(h.issued_at)
                        ),
                    );
                    if let Some(stamp) = timed {
                        let chain: Vec<_> = h
                            .x5chain
                            .iter()
                            .filter_map(|d| crate::identity::Certificate::from_der(d).ok())
                            .chain(std::iter::once(trust.root.clone()))
                            .collect();
                        super::time::check_statement_time(r, &name, h.issued_at, &chain, stamp);
                    }
                }
                Ok(Admission::Duplicate(i)) => r.check(
                    name,
                    false,
                    format!("the same statement appears twice (entry {i})"),
                ),
                Err(e) => r.refused(
                    name,
                    e.code(),
                    format!("rule {} [{}]: {e}", e.rule(), e.code()),
                ),
            }
        }
    }
    // The second signature on every decision: the operator's acknowledgement.
    let mut unacknowledged = Vec::new();
    for (k, index) in decisions {
        let ack = state
            .facilities()
            .values()
            .flat_map(|f| &f.decisions)
            .find(|d| d.index == index)
            .and_then(|d| d.acknowledged.as_ref());
        match ack.and_then(|a| state.get(a.index).map(|l| (a, l))) {
            Some((a, l)) => slots[k].check(
                format!("decision at entry {index}: acknowledgement"),
                true,
                format!(
                    "signed by the operator {} at entry {}: {} the findings, Security Assessment Response sha256 {}",
                    l.signer_subject,
                    a.index,
                    if a.position == crate::record::Position::Accepted {
                        "accepts"
                    } else {
                        "disputes"
                    },
                    crate::hex::encode(&a.response_sha256)
                ),
            ),
            None => unacknowledged.push((
                index,
                state
                    .get(index)
                    .and_then(|l| l.record.facility())
                    .unwrap_or_default()
                    .to_string(),
            )),
        }
    }
    for slot in slots {
        report.checks.extend(slot.checks);
        report.warnings.extend(slot.warnings);
    }
    if !unstamped.is_empty() {
        let shown: Vec<String> = unstamped.iter().take(20).map(|i| i.to_string()).collect();
        report.not_checked.push(format!(
            "trusted time for entries {}{}: no verified time-stamp is over a tree that holds them (the largest stamped tree has {} entries), so their certificates are judged at their iat, as their signers claim",
            shown.join(", "),
            if unstamped.len() > 20 {
                format!(" and {} more", unstamped.len() - 20)
            } else {
                String::new()
            },
            stamps.iter().map(|s| s.size).max().unwrap_or(0),
        ));
    }
    if let (Some(w), true, 0) = (witnessed, timed > 0, late) {
        report.check(
            "statement times",
            true,
            format!(
                "no statement claims to be signed after {} (the time by which {} claim the checkpoint existed) plus {WITNESSED_TIME_SKEW} s; the latest iat is {}",
                utc(w.time),
                w.by.join(", "),
                utc(latest_iat)
            ),
        );
    }
    (seen, unacknowledged, state)
}
