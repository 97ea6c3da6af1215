//! Trusted time in a pack (FORMATS §29): RFC 3161 tokens over earlier
//! checkpoints of the pack's log. Each is checked against the TSAs the
//! trust policy names and tied to the pack's checkpoint by a consistency
//! proof; then every statement in a stamped tree existed by the token's
//! time, on that TSA's word, and its signer's certificates are judged at
//! that time: a statement whose earliest trusted time is after its
//! signer's certificate expired is not shown to have been logged while the
//! certificate was valid, and fails.

use super::report::utc;
use super::{Pack, Report, Trust, WITNESSED_TIME_SKEW};
use crate::merkle::ConsistencyProof;
use crate::note::{Checkpoint, SignedCheckpoint};
use crate::tsa::Verified;

/// A checked token: the tree it stamps and what it says.
#[derive(Clone, Debug)]
pub(super) struct Stamp {
    /// The stamped tree size: entries below it existed by `verified`'s time.
    pub(super) size: u64,
    /// The token, verified.
    pub(super) verified: Verified,
}

/// Checks the pack's tokens; returns the ones that verified, smallest
/// tree first.
pub(super) fn check_timestamps(
    r: &mut Report,
    pack: &Pack,
    cp: Option<&SignedCheckpoint>,
    trust: &Trust,
) -> Vec<Stamp> {
    if pack.timestamps.is_empty() {
        if !trust.tsas.is_empty() {
            r.not_checked.push(
                "trusted time: the pack carries no RFC 3161 time-stamp (its log's rounds ask no TSA, or none has stamped a tree holding its statements yet), so certificates are judged at each statement's iat, as its signer claims".into(),
            );
        }
        return Vec::new();
    }
    if trust.tsas.is_empty() {
        r.not_checked.push(format!(
            "the pack's {} RFC 3161 time-stamp(s): the trust policy names no TSA (TRUST/tsa/NAME.pem), so they count for nothing here",
            pack.timestamps.len()
        ));
        return Vec::new();
    }
    let Some(cp) = cp else {
        r.check(
            "timestamps",
            false,
            "cannot be checked: the checkpoint did not verify",
        );
        return Vec::new();
    };
    let mut out: Vec<Stamp> = Vec::new();
    for t in &pack.timestamps {
        let body = String::from_utf8_lossy(&t.checkpoint);
        let stamped = Checkpoint::parse(&body);
        let name = match &stamped {
            Ok(c) => format!("timestamp (tree size {})", c.size()),
            Err(_) => "timestamp".to_string(),
        };
        match check_one(t, stamped, cp, trust) {
            Ok((size, verified)) => {
                r.check(
                    name,
                    true,
                    format!(
                        "the log's tree of size {size} (entries 0 to {}) existed {}; the checkpoint extends it (consistency proof of {} hashes)",
                        size - 1,
                        verified.describe(),
                        t.proof.len()
                    ),
                );
                out.push(Stamp { size, verified });
            }
            Err(e) => r.check(name, false, e),
        }
    }
    out.sort_by_key(|s| s.size);
    out
}

fn check_one(
    t: &super::PackTimestamp,
    stamped: Result<Checkpoint, crate::note::NoteError>,
    cp: &SignedCheckpoint,
    trust: &Trust,
) -> Result<(u64, Verified), String> {
    let stamped = stamped.map_err(|e| format!("the stamped checkpoint body: {e}"))?;
    if stamped.origin() != cp.checkpoint().origin() {
        return Err(format!(
            "it stamps a checkpoint of log {}, the pack's is of {}",
            stamped.origin(),
            cp.checkpoint().origin()
        ));
    }
    let (a, b) = (stamped.root(), cp.root());
    if a.size() == 0 || a.size() > b.size() {
        return Err(format!(
            "it stamps tree size {}, not a tree of 1 to {} entries that the checkpoint extends",
            a.size(),
            b.size()
        ));
    }
    ConsistencyProof::new(a.size(), b.size(), t.proof.clone())
        .verify(a, b)
        .map_err(|e| {
            format!(
                "the proof from the stamped tree (size {}, root {}) to the checkpoint's does not verify: {e}",
                a.size(),
                a.hash()
            )
        })?;
    let imprint = crate::tsa::imprint(&t.checkpoint);
    let v = crate::tsa::verify_token(&t.token, &imprint, &trust.tsas).map_err(|e| e.to_string())?;
    let anchor = trust
        .tsas
        .iter()
        .find(|a| a.name == v.tsa)
        .map(|a| a.sha256());
    if let Some(win) = anchor.and_then(|h| trust.tsa_window(&h)) {
        if !win.window.contains(v.timestamp.gen_time) {
            return Err(format!(
                "TSA {} stamped it at {}, outside the window it counts for: {}",
                v.tsa,
                v.timestamp.gen_time_iso(),
                win.describe(false)
            ));
        }
    }
    Ok((a.size(), v))
}

/// The earliest trusted time for entry `index`: the verified token over the
/// smallest stamped tree holding it (the earliest bound among them).
pub(super) fn earliest(stamps: &[Stamp], index: u64) -> Option<&Stamp> {
    stamps
        .iter()
        .filter(|s| s.size > index)
        .min_by_key(|s| s.verified.timestamp.bound())
}

/// Judges one admitted statement at its trusted time: its signer's
/// certificates (`chain`, with the scheme root) must not have expired by
/// then, and its claimed signing time must not be after it.
pub(super) fn check_statement_time(
    r: &mut Report,
    name: &str,
    iat: u64,
    chain: &[crate::identity::Certificate],
    stamp: &Stamp,
) {
    let t = stamp.verified.timestamp.bound();
    let by = format!(
        "the log's tree of size {} holds it, and existed {}",
        stamp.size,
        stamp.verified.describe()
    );
    let expired = chain
        .iter()
        .map(|c| (c.validity().not_after, c.subject()))
        .min_by_key(|(na, _)| *na);
    if let Some((na, subject)) = expired {
        if i64::try_from(t).unwrap_or(i64::MAX) > na {
            r.refused(
                format!("{name}: trusted time"),
                super::finding::AFTER_EXPIRY,
                format!(
                    "{by}: after the certificate of {subject} expired at {}, so nothing in the pack shows that it was logged while the certificate was valid",
                    utc(u64::try_from(na).unwrap_or(0))
                ),
            );
            return;
        }
    }
    if iat > t.saturating_add(WITNESSED_TIME_SKEW) {
        r.check(
            format!("{name}: trusted time"),
            false,
            format!(
                "it claims to be signed at {} (iat), after {by} (plus {WITNESSED_TIME_SKEW} s): its signing time is false",
                utc(iat)
            ),
        );
        return;
    }
    r.check(
        format!("{name}: trusted time"),
        true,
        format!(
            "logged by {}, on the TSA's word: {by}; its signer's certificates had not expired then (the earliest expiry is {}); revocations are judged by log order",
            utc(t),
            expired
                .map(|(na, _)| utc(u64::try_from(na).unwrap_or(0)))
                .unwrap_or_default()
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stamp over a tree of size 5 from OpenSSL's fixture token (genTime
    /// 2026-12-06T19:17:40.891Z, accuracy ±1.5001 s: by 19:17:43Z).
    fn stamp() -> Stamp {
        let reply = include_bytes!("../tsa/testdata/openssl-reply.tsr");
        let ca = include_bytes!("../tsa/testdata/openssl-ca.pem");
        let data = include_bytes!("../tsa/testdata/data.txt");
        let trusted = [crate::tsa::TsaTrust::from_bytes("openssl-test", ca).unwrap()];
        let token = crate::tsa::token_of_reply(reply).unwrap();
        let verified =
            crate::tsa::verify_token(&token, &crate::tsa::imprint(data), &trusted).unwrap();
        assert_eq!(utc(verified.timestamp.bound()), "2026-12-06T19:17:43Z");
        Stamp { size: 5, verified }
    }

    fn judged(iat: u64, chain: &[crate::identity::Certificate]) -> Check {
        let mut r = Report::default();
        check_statement_time(&mut r, "statement 1 (entry 0)", iat, chain, &stamp());
        assert_eq!(r.checks.len(), 1, "{:?}", r.checks);
        r.checks.remove(0)
    }

    use super::super::Check;

    #[test]
    fn a_statement_is_judged_at_the_tsas_time() {
        let by = stamp().verified.timestamp.bound();
        let demo_root = crate::identity::Certificate::from_pem(include_bytes!(
            "../../../../keys/demo-root.pem"
        ))
        .unwrap();
        // Signed before the TSA's time, its certificate valid then: passes.
        let c = judged(by - 60, std::slice::from_ref(&demo_root));
        assert!(
            c.passed && c.detail.starts_with("logged by 2026-12-06T19:17:43Z"),
            "{c:?}"
        );
        // An iat more than 300 s after the time the TSA says the log held it.
        let c = judged(by + WITNESSED_TIME_SKEW + 1, &[]);
        assert!(
            !c.passed && c.detail.contains("its signing time is false"),
            "{c:?}"
        );
        assert!(judged(by + WITNESSED_TIME_SKEW, &[]).passed);
        // A certificate that had expired by the TSA's time.
        let expired = crate::identity::issue_root(
            "Expired root",
            "Test",
            &crate::identity::generate_key(),
            crate::identity::Validity {
                not_before: 1_700_000_000,
                not_after: i64::try_from(by).unwrap() - 1,
            },
        )
        .unwrap();
        let c = judged(by - 3600, &[demo_root, expired]);
        assert!(!c.passed, "{c:?}");
        assert_eq!(c.code, Some(super::super::finding::AFTER_EXPIRY));
        assert!(c.detail.contains("after the certificate of"), "{c:?}");
    }
}
