//! The report: what it rests on, escaping of every string from a
//! statement, a pack that fails says so, and the timeline's scale.

use super::*;
use crate::ledger::tests::verify::{story, Fixture, T};
use crate::ledger::Selection;
use crate::verify::Pack;

fn pack_report(f: &Fixture, pack: &Pack) -> FacilityReport {
    from_pack(
        pack,
        &f.trust(),
        "tf-1.pack",
        "trust",
        "TF-1",
        "2026-12-02",
        T + 300,
    )
    .unwrap()
}

#[test]
fn a_verified_pack_reports_its_facility_and_what_it_rests_on() {
    let f = Fixture::new(story());
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let r = pack_report(&f, &pack);
    assert_eq!(r.basis.verified, Some(true));
    assert!(
        r.basis.verdict.starts_with("VERIFIED"),
        "{}",
        r.basis.verdict
    );
    let labels: Vec<&str> = r.basis.facts.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(labels, ["checkpoint", "witnesses", "complete"]);
    // TF-1's statements only (TF-2 is in the log, not in this report).
    let kinds: Vec<&str> = r.statements.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, ["registration", "seal", "decision"]);
    assert_eq!(r.timeline.events.len(), 3);
    assert_eq!(r.facility.current.as_ref().unwrap().outcome, "approved");
    let html = r.to_html();
    assert!(html.contains("class=\"verdict ok\""));
    assert!(html.contains("<svg class=\"timeline\""));
    // Self-contained: the page loads nothing. Its only links are two the
    // reader may follow: the pack itself (data:) and a verifier.html beside
    // the report.
    for bad in ["<script", "src=", "@import", "url("] {
        assert!(!html.contains(bad), "the page holds {bad:?}");
    }
    let links: Vec<&str> = html.split("href=\"").skip(1).collect();
    assert_eq!(links.len(), 2, "{links:?}");
    assert!(links[0].starts_with("data:application/octet-stream;base64,"));
    assert!(links[1].starts_with("verifier.html#pack="));
    assert!(html.contains("Content-Security-Policy"));
    // Every digest of the appendix is the statement's as logged.
    let l = crate::store::Snapshot::open(&f.ledger).unwrap();
    for s in &r.statements {
        let bytes = l.read_entry(s.entry).unwrap();
        assert_eq!(
            s.sha256,
            crate::hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(&bytes))
        );
        assert!(html.contains(&s.sha256));
    }
}

#[test]
fn a_pack_that_fails_says_so_on_top_and_history_refuses_it() {
    let f = Fixture::new(story());
    let mut pack = f.pack(Selection::Facility("TF-1".into()), None);
    // Another log's key in the trust: the checkpoint fails, and all after it.
    let last = pack.statements.len() - 1;
    let n = pack.statements[last].len();
    pack.statements[last][n - 1] ^= 1;
    let r = pack_report(&f, &pack);
    assert_eq!(r.basis.verified, Some(false));
    assert!(
        r.basis.verdict.starts_with("NOT VERIFIED"),
        "{}",
        r.basis.verdict
    );
    assert!(!r.basis.failures.is_empty());
    let html = r.to_html();
    assert!(html.contains("class=\"verdict bad\""));
    assert!(html.contains("first failure"));
    let e = pack_timeline(&pack, &f.trust(), "tf-1.pack", "TF-1", "2026-12-02").unwrap_err();
    assert!(matches!(e, ReportError::NotVerified { .. }), "{e}");
    assert!(e.to_string().contains("did not verify"), "{e}");
    // The honest pack's timeline is given.
    let honest = f.pack(Selection::Facility("TF-1".into()), None);
    let t = pack_timeline(&honest, &f.trust(), "tf-1.pack", "TF-1", "2026-12-02").unwrap();
    assert_eq!(t.events.len(), 3);
    let e = pack_timeline(&honest, &f.trust(), "tf-1.pack", "TF-9", "2026-12-02").unwrap_err();
    assert!(matches!(e, ReportError::NoFacility { .. }), "{e}");
}

#[test]
fn every_string_from_a_statement_is_escaped() {
    let f = Fixture::new(story());
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let mut r = pack_report(&f, &pack);
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
    r.facility.name = evil.into();
    r.facility.party = evil.into();
    r.timeline.events[0].what = evil.into();
    r.timeline.events[0].signer = evil.into();
    r.timeline.events[0].party = Some(evil.into());
    r.signers[0].subject = evil.into();
    r.basis.source = evil.into();
    r.checkpoint_note = evil.into();
    let html = r.to_html();
    assert!(!html.contains("<script"), "unescaped");
    assert!(!html.contains("<img"), "unescaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&#39;&amp;"));
    assert_eq!(esc("a\u{1b}[2Jb"), "a\\u{001b}[2Jb");
}

#[test]
fn a_ledger_read_directly_is_labelled_as_its_operators_view() {
    let f = Fixture::new(story());
    let r = from_ledger(
        &crate::ledger::Ledger::open(&f.ledger).unwrap(),
        "TF-1",
        "2026-12-02",
        T + 300,
    )
    .unwrap();
    assert_eq!(r.basis.verified, None);
    assert!(r.basis.verdict.contains("not independently verified"));
    assert!(r
        .basis
        .reverify
        .iter()
        .any(|c| c.contains("triage-ledger verify")));
    assert!(r.to_html().contains("class=\"verdict ledger\""));
    let e = from_ledger(
        &crate::ledger::Ledger::open(&f.ledger).unwrap(),
        "TF-9",
        "2026-12-02",
        T + 300,
    )
    .unwrap_err();
    assert!(e.to_string().contains("TF-9"), "{e}");
}

#[test]
fn the_commands_to_re_verify_keep_each_name_one_word() {
    let f = Fixture::new(story());
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let (source, trust) = ("my packs/tf-1; rm -rf ~.pack", "$(id)/trust");
    let r = from_pack(
        &pack,
        &f.trust(),
        source,
        trust,
        "TF-1",
        "2026-12-02",
        T + 300,
    )
    .unwrap();
    let words = shlex::split(&r.basis.reverify[0]).unwrap();
    assert_eq!(words, ["triage-ledger", "verify", source, "--trust", trust]);
    let words = shlex::split(&r.basis.reverify[2]).unwrap();
    assert_eq!(words[2], source);
}

#[test]
fn a_report_of_a_pack_carries_the_pack_for_the_verifier_page() {
    use base64::Engine as _;
    let f = Fixture::new(story());
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let html = pack_report(&f, &pack).to_html();
    let href = html
        .split("href=\"data:application/octet-stream;base64,")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a link that saves the pack");
    let saved = base64::engine::general_purpose::STANDARD
        .decode(href)
        .unwrap();
    assert_eq!(saved, pack.to_bytes().unwrap());
    let fragment = html
        .split("href=\"verifier.html#pack=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a link that opens it in the page");
    let opened = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(fragment)
        .unwrap();
    assert_eq!(opened, saved);
    assert!(html.contains("download=\"TF-1.pack\""));
    // A ledger read directly has no pack to hand over.
    let own = from_ledger(
        &crate::ledger::Ledger::open(&f.ledger).unwrap(),
        "TF-1",
        "2026-12-02",
        T + 300,
    )
    .unwrap();
    assert!(!own.to_html().contains("verifier.html#pack="));
}
