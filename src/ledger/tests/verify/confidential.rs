//! A confidential ledger: its public tree shows nothing of any record, its
//! packs verify offline as a public ledger's do (with the log's VRF key in
//! the trust directory), and a label the log did not prove fails.

use super::*;
use crate::history::{attribution_of, Attribution};
use crate::record::Record;

/// Every byte an outsider can read of a directory ledger: the public tree
/// (checkpoint, tiles, bundles) and the public key files.
fn public_bytes(ledger: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(&ledger.join("log"), &mut out);
    for f in ["vkey", "labels.vrf"] {
        out.push((ledger.join(f), std::fs::read(ledger.join(f)).unwrap()));
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.len() <= hay.len() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Strings and byte strings of every record the story logged: ids,
/// parties, names, digests, certificates, the statements themselves.
fn secrets(world: &World) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for (k, b) in world.log.iter().enumerate() {
        if crate::history::is_index_entry(b) {
            continue;
        }
        let st = crate::cose::Statement::parse(b).unwrap();
        let h = st.header();
        out.push((
            format!("statement {k}'s SHA-256"),
            crate::merkle::Hash::digest(b).as_bytes().to_vec(),
        ));
        out.push((
            format!("statement {k}'s signature"),
            b[b.len() - 64..].to_vec(),
        ));
        out.push((format!("statement {k}'s payload"), st.payload().to_vec()));
        out.push((
            format!("statement {k}'s certificate"),
            h.x5chain[0][..64.min(h.x5chain[0].len())].to_vec(),
        ));
        out.push((
            format!("statement {k}'s issuer"),
            h.issuer.as_bytes().to_vec(),
        ));
        out.push((
            format!("statement {k}'s content type"),
            h.content_type.as_bytes().to_vec(),
        ));
        // (Scheme-level statements' subject is the word "scheme", which the
        // index's own keys spell.)
        if h.subject != crate::policy::SCHEME_SUBJECT {
            out.push((
                format!("statement {k}'s subject"),
                h.subject.as_bytes().to_vec(),
            ));
        }
        let record = Record::decode(&h.content_type, st.payload()).unwrap();
        if let Some(f) = record.facility() {
            out.push((format!("facility id {f}"), f.as_bytes().to_vec()));
            out.push((
                format!("SHA-256 of facility id {f} (its public-ledger map key)"),
                crate::history::key_of(f).to_vec(),
            ));
        }
    }
    out
}

#[test]
fn the_public_tree_of_a_confidential_ledger_reveals_no_record() {
    let f = Fixture::confidential(story());
    let public = public_bytes(&f.ledger);
    assert!(public.len() > 4, "{public:?}");
    let secrets = secrets(&f.world);
    assert!(secrets.len() > 20);
    for (what, needle) in &secrets {
        for (path, bytes) in &public {
            assert!(
                !contains(bytes, needle),
                "{what} is readable in {}",
                path.display()
            );
        }
    }
    // Every public leaf is a commitment or an index entry naming labels.
    let l = crate::store::Snapshot::open(&f.ledger).unwrap();
    for i in 0..l.checkpoint().root().size() {
        let leaf = l.read_leaf(i).unwrap();
        match attribution_of(&leaf) {
            Attribution::Hidden => assert_eq!(leaf.len(), crate::commitment::LEAF_LEN),
            Attribution::Index => {}
            other => panic!("entry {i} is public as {other}"),
        }
    }
    // While the ledger itself reads its statements from their openings
    // (its index entries name labels where the World's name ids).
    for (i, b) in f.world.log.iter().enumerate() {
        let read = l.read_entry(i as u64).unwrap();
        match crate::history::is_index_entry(b) {
            true => assert!(crate::history::is_index_entry(&read), "entry {i}"),
            false => assert_eq!(&read, b, "entry {i}"),
        }
    }
}

#[test]
fn a_confidential_pack_verifies_offline_and_needs_the_logs_vrf_key() {
    let f = Fixture::confidential(story());
    let t = f.trust();
    assert!(t.labels.is_some());
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let back = Pack::parse(&pack.to_bytes().unwrap()).unwrap();
    assert_eq!(back, pack);
    let r = verify_pack(&pack, &t, None);
    assert!(r.verified(), "{}", r.to_text());
    assert!(
        r.checks.iter().any(|c| c.name == "complete" && c.passed),
        "{}",
        r.to_text()
    );
    let h = pack.history.as_ref().unwrap();
    assert!(h.facilities.iter().all(|f| f.label.is_some()));
    // Without the log's VRF key, the labels cannot be checked.
    let mut blind = t.clone();
    blind.labels = None;
    let names = failed(&pack, &blind, None);
    assert!(
        names.contains(&"history: facility TF-1".into()),
        "{names:?}"
    );
    // A label proof for another facility, or damaged, fails.
    let other = f.pack(Selection::Facility("TF-2".into()), None);
    let mut swapped = pack.clone();
    swapped.history.as_mut().unwrap().facilities[0].label =
        other.history.as_ref().unwrap().facilities[0].label;
    assert!(failed(&swapped, &t, None).contains(&"history: facility TF-1".into()));
    let mut flipped = pack.clone();
    let p = flipped.history.as_mut().unwrap().facilities[0]
        .label
        .as_mut()
        .unwrap();
    let mut b = *p.as_bytes();
    b[40] ^= 1;
    *p = crate::vrf::VrfProof::from_slice(&b).unwrap();
    assert!(failed(&flipped, &t, None).contains(&"history: facility TF-1".into()));
    // A receipt whose salt is changed no longer proves its statement.
    let mut salted = pack.clone();
    let t0 = crate::cose::split_transparent(&salted.statements[2]).unwrap();
    let receipt = t0.receipts[0].clone().with_salt([7; 32]).unwrap();
    salted.statements[2] = crate::cose::transparent_statement(&t0.statement, &[receipt]).unwrap();
    assert!(failed(&salted, &t, None)
        .iter()
        .any(|n| n.ends_with(": receipt")));
}

#[test]
fn a_confidential_ledger_grows_and_its_state_index_agrees_with_a_replay() {
    let mut f = Fixture::confidential(story());
    f.world.by(op, seal("TF-2", 2)).unwrap();
    f.world.by(op, seal("TF-1", 3)).unwrap();
    f.submit_all();
    let ledger = crate::ledger::Ledger::open(&f.ledger).unwrap();
    match ledger.check_index().unwrap() {
        crate::ledger::IndexCheck::Consistent { facilities, .. } => assert_eq!(facilities, 2),
        other => panic!("{other:?}"),
    }
    let pack = f.pack(Selection::Facility("TF-2".into()), None);
    let r = verify_pack(&pack, &f.trust(), None);
    assert!(r.verified(), "{}", r.to_text());
    // A public monitor checks the index's structure over the public tree.
    let (run, _) = crate::monitor::monitor(&f.ledger, None, None, None).unwrap();
    assert!(run.fault.is_none(), "{:?}", run.fault);
    // Two facilities' lists and the scheme's, all labelled.
    assert_eq!(run.facilities, 3);
    assert!(run.labelled);
}

#[test]
fn a_signer_finds_its_statements_filed_under_their_facility() {
    let f = Fixture::confidential(story());
    let t = f.trust();
    let ledger = crate::ledger::Ledger::open(&f.ledger).unwrap();
    // TF-1's registration (entry 4) and seal (entry 6), as `submit
    // --transparent` keeps them; TF-2's registration (entry 5).
    let mine = |i: u64| {
        (
            format!("entry-{i}"),
            ledger.transparent(i, T + 300).unwrap(),
        )
    };
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let mut r = verify_pack(&pack, &t, None);
    check_filed(&mut r, &pack, &t, &[mine(2), mine(4)]);
    assert!(r.verified(), "{}", r.to_text());
    let filed: Vec<&Check> = r
        .checks
        .iter()
        .filter(|c| c.name.starts_with("filed: "))
        .collect();
    assert_eq!(filed.len(), 2);
    assert!(
        filed[0].detail.contains("filed under facility TF-1"),
        "{}",
        filed[0].detail
    );
    // Another facility's statement is not in this pack: ask for its own.
    let mut r = verify_pack(&pack, &t, None);
    check_filed(&mut r, &pack, &t, &[mine(3)]);
    let c = r.checks.last().unwrap();
    assert!(
        !c.passed && c.detail.contains("not facility TF-2's"),
        "{}",
        c.detail
    );
    // A pack that does not prove itself complete shows nothing.
    let partial = f.pack(Selection::Entries(vec![2]), None);
    let mut r = verify_pack(&partial, &t, None);
    check_filed(&mut r, &partial, &t, &[mine(2)]);
    let c = r.checks.last().unwrap();
    assert!(!c.passed, "{}", c.detail);
    // A statement whose receipt was made for another entry fails.
    let mut forged = mine(4);
    let (_, other) = mine(2);
    let a = crate::cose::split_transparent(&forged.1).unwrap();
    let b = crate::cose::split_transparent(&other).unwrap();
    forged.1 = crate::cose::transparent_statement(&a.statement, &b.receipts).unwrap();
    let mut r = verify_pack(&pack, &t, None);
    check_filed(&mut r, &pack, &t, &[forged]);
    let c = r.checks.last().unwrap();
    assert!(
        !c.passed && c.detail.contains("receipt does not verify"),
        "{}",
        c.detail
    );
}

#[test]
fn a_damaged_opening_is_reported_by_the_file_and_never_read_as_a_statement() {
    let f = Fixture::confidential(story());
    let l = crate::store::Snapshot::open(&f.ledger).unwrap();
    let size = l.checkpoint().root().size();
    let bundle = crate::store::Layout::new(&f.ledger).openings(0, size);
    let mut bytes = std::fs::read(&bundle).unwrap();
    // A byte of the first statement's salt (after its u16 length).
    bytes[3] ^= 1;
    std::fs::write(&bundle, &bytes).unwrap();
    let e = l.read_entry(0).unwrap_err().to_string();
    assert!(
        e.contains("does not hold the opening of entry 0") && e.contains("openings"),
        "{e}"
    );
    // The public leaf still reads (and proves), and the writer refuses to
    // open a ledger whose partial bundle no longer opens its leaves.
    assert!(l.read_leaf(0).is_ok());
    let Err(e) = crate::store::Writer::open(&f.ledger) else {
        panic!("a damaged openings bundle was accepted")
    };
    assert!(
        e.to_string()
            .contains("does not hold the opening of entry 0"),
        "{e}"
    );
}

/// A confidential ledger files its scheme-level statements under a label,
/// as one more facility's list: no index entry sets them apart, and a
/// public reader cannot tell which leaves are scheme-level. A pack carries
/// their list with its label proof; without it, or with another list's
/// proof, the pack does not verify.
#[test]
fn a_confidential_ledger_files_scheme_level_statements_under_a_label() {
    let f = Fixture::confidential(story());
    let l = crate::store::Snapshot::open(&f.ledger).unwrap();
    let mut scheme_level = 0;
    for (i, b) in f.world.log.iter().enumerate() {
        if crate::history::is_index_entry(b) {
            let e = crate::history::IndexEntry::parse(&l.read_leaf(i as u64).unwrap()).unwrap();
            assert!(
                !e.of.contains(&Attribution::Scheme),
                "index entry {i} sets scheme-level statements apart"
            );
            if let Some(c) = e.commit {
                assert_eq!(c.scheme_entries, 0, "index entry {i}");
            }
        } else if attribution_of(b) == Attribution::Scheme {
            scheme_level += 1;
        }
    }
    assert!(scheme_level >= 2, "the story has designations");

    let t = f.trust();
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let h = pack.history.as_ref().unwrap();
    assert!(h.scheme.is_empty());
    let list = h
        .facilities
        .iter()
        .find(|x| x.id == crate::history::SCHEME_LIST)
        .expect("the scheme's list, labelled");
    assert_eq!(list.entries.len(), scheme_level);
    assert!(list.label.is_some());
    let r = verify_pack(&pack, &t, None);
    assert!(r.verified(), "{}", r.to_text());
    let text = r.to_text();
    assert!(
        text.contains("history: scheme-level statements (under their label)"),
        "{text}"
    );
    assert!(text.contains("and every revocation, designation and framework version"));
    assert!(!text.contains("facility scheme-level statements"), "{text}");

    let scheme = "history: scheme-level statements".to_string();
    let labelled = "history: scheme-level statements (under their label)".to_string();
    // Without the scheme's list.
    let mut without = pack.clone();
    without
        .history
        .as_mut()
        .unwrap()
        .facilities
        .retain(|x| x.id != crate::history::SCHEME_LIST);
    assert!(failed(&without, &t, None).contains(&scheme));
    // With a facility's label proof on it.
    let mut swapped = pack.clone();
    let fs = &mut swapped.history.as_mut().unwrap().facilities;
    let tf1 = fs[0].label;
    fs.iter_mut()
        .find(|x| x.id == crate::history::SCHEME_LIST)
        .unwrap()
        .label = tf1;
    assert!(failed(&swapped, &t, None).contains(&labelled));
    // A scheme-level statement left out of the pack.
    let mut short = pack.clone();
    let first_scheme = short
        .statements
        .iter()
        .position(|s| {
            let st = crate::cose::split_transparent(s).unwrap().statement;
            crate::history::attribution_of_statement(&st) == Attribution::Scheme
        })
        .unwrap();
    short.statements.remove(first_scheme);
    assert!(failed(&short, &t, None).contains(&labelled));
}

/// A signer's files are grouped by the facility whose pack shows each
/// filed; a scheme-level statement (in every pack) and a file that is not
/// a transparent statement are refused by name.
#[test]
fn a_signers_files_are_grouped_by_facility_and_the_rest_refused_by_name() {
    let f = Fixture::confidential(story());
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let kind = |b: &Vec<u8>| {
        let st = crate::cose::split_transparent(b).unwrap().statement;
        crate::history::attribution_of_statement(&st)
    };
    let (scheme, facility): (Vec<_>, Vec<_>) = pack
        .statements
        .iter()
        .partition(|b| kind(b) == Attribution::Scheme);
    assert!(facility.len() >= 2 && !scheme.is_empty());
    let named = |v: &[&Vec<u8>]| -> Vec<(String, Vec<u8>)> {
        v.iter()
            .enumerate()
            .map(|(i, b)| (format!("f{i}"), (*b).clone()))
            .collect()
    };
    let by = crate::verify::group_filed(named(&facility)).unwrap();
    assert_eq!(by.keys().collect::<Vec<_>>(), ["TF-1"]);
    assert_eq!(by["TF-1"].len(), facility.len());
    let mut with_scheme = named(&facility);
    with_scheme.push(("designation.transparent".into(), scheme[0].clone()));
    let e = crate::verify::group_filed(with_scheme).unwrap_err();
    assert!(
        e.starts_with("designation.transparent: a scheme-level statement"),
        "{e}"
    );
    let e = crate::verify::group_filed(vec![("x".into(), b"not cbor".to_vec())]).unwrap_err();
    assert!(e.starts_with("x: not a transparent statement"), "{e}");
}
