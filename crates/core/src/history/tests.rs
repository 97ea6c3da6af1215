//! Known answers (computed independently by `fixtures/history/vectors.py`
//! from FORMATS.md §18), canonical encoding, and the writer's index entries
//! checked as a monitor checks them.

use super::*;
use crate::hex;

fn h(x: &str) -> Hash {
    Hash::from_slice(&hex::decode(x).unwrap()).unwrap()
}

fn map_of(lists: &[(&str, &[u64])]) -> Map {
    let mut m = Map::new();
    for (id, l) in lists {
        m.insert(MapLeaf {
            key: key_of(id),
            count: l.len() as u64,
            digest: list_digest(l),
        })
        .unwrap();
    }
    m
}

#[test]
fn known_answers_from_the_format_text() {
    assert_eq!(
        list_digest(&[]),
        h("e77b9a9ae9e30b0dbdb6f510a264ef9de781501d7b6b92ae89eb059c5ab743db")
    );
    assert_eq!(
        list_digest(&[2, 4]),
        h("18809ea1a6c28871bba82d6f2f3a868c551af4d0a21fe29f4761827101ff57a5")
    );
    let mut m = map_of(&[("TF-0001", &[2, 4])]);
    assert_eq!(
        m.root(),
        h("35cc0674356779a59c27604055174c1f1ffdebc9c5d47d098ca591b390aff3b2")
    );
    let mut m = map_of(&[
        ("TF-0003", &[5, 6, 7]),
        ("TF-0001", &[2, 4]),
        ("TF-0002", &[3]),
    ]);
    assert_eq!(
        m.root(),
        h("0b7172e5df47a5d66e4eebb4a9da40aef101c60694a0b87eb4a807ccc677391c")
    );
    // The index entry at position 4 over: a designation, TF-0001's
    // registration, TF-0002's registration, TF-0001's seal.
    let mut hist = History::new();
    for a in [
        Attribution::Scheme,
        Attribution::Facility("TF-0001".into()),
        Attribution::Facility("TF-0002".into()),
        Attribution::Facility("TF-0001".into()),
    ] {
        let n = hist.len();
        hist.push_statement(n, a);
    }
    let (pos, bytes) = hist.next_entry(true).unwrap();
    assert_eq!(pos, 4);
    assert_eq!(
        hex::encode(&bytes),
        "a4626f6648ffff00000001000063696473826754462d303030316754462d303030326474797065757472696167652d6c65646765722f696e646578403166636f6d6d6974a4636d617058206a7845a4863a8eb36c83ed36d2084fabe778b6a713f3520518030f6854a5fa7066736368656d6558206c449f91c1adbf3945ad078f5f875c0c1f133f246c4588668faffbe23a3c195f6a666163696c6974696573026e736368656d655f656e747269657301"
    );
    assert!(is_index_entry(&bytes));
    let e = IndexEntry::parse(&bytes).unwrap();
    assert_eq!(e.to_bytes().unwrap(), bytes);
    assert_eq!(e.commit.unwrap().facilities, 2);
}

#[test]
fn only_the_canonical_encoding_parses() {
    let e = IndexEntry {
        prev: Some(9),
        of: vec![
            Attribution::Facility("B".into()),
            Attribution::Facility("A".into()),
            Attribution::Scheme,
        ],
        commit: None,
    };
    let bytes = e.to_bytes().unwrap();
    assert_eq!(IndexEntry::parse(&bytes).unwrap(), e);
    type Pairs = Vec<(ciborium::Value, ciborium::Value)>;
    let with = |f: &dyn Fn(&mut Pairs)| {
        let ciborium::Value::Map(mut m) = crate::cbor::decode(&bytes).unwrap() else {
            unreachable!()
        };
        f(&mut m);
        let b = crate::cbor::encode(&ciborium::Value::Map(m)).unwrap();
        IndexEntry::parse(&b)
    };
    let set = |m: &mut Pairs, k: &str, v: ciborium::Value| {
        for (key, val) in m.iter_mut() {
            if key.as_text() == Some(k) {
                *val = v.clone();
            }
        }
    };
    use ciborium::Value as V;
    // ids out of first-use order, an unused id, an id beyond the table, odd
    // bytes, an extra key, another type: each refused.
    let ids = |a: &[&str]| V::Array(a.iter().map(|s| V::Text(s.to_string())).collect());
    assert!(with(&|m| set(m, "of", V::Bytes(vec![0, 1, 0, 0, 0xff, 0xff]))).is_err());
    assert!(
        with(&|m| set(m, "ids", ids(&["A", "B"]))).is_ok(),
        "another attribution, canonical"
    );
    assert!(with(&|m| set(m, "ids", ids(&["B", "A", "C"]))).is_err());
    let twice = with(&|m| set(m, "ids", ids(&["B", "B"]))).unwrap_err();
    assert!(twice.to_string().contains("appears twice"), "{twice}");
    assert!(with(&|m| set(m, "of", V::Bytes(vec![0, 0, 0, 2, 0xff, 0xff]))).is_err());
    assert!(with(&|m| set(m, "of", V::Bytes(vec![0, 0, 0]))).is_err());
    assert!(with(&|m| m.push((V::Text("x".into()), V::Integer(1.into())))).is_err());
    assert!(with(&|m| set(m, "type", V::Text("triage-ledger/index@2".into()))).is_err());
    // Non-canonical CBOR (a long-form integer) is refused by the decoder.
    let mut long = bytes.clone();
    let at = long.windows(4).position(|w| w == b"prev").unwrap() + 4;
    assert_eq!(long[at], 9);
    long.splice(at..at + 1, [0x18, 9]);
    assert!(IndexEntry::parse(&long).is_err());
    // Statements are not index entries.
    assert!(!is_index_entry(&[0xd2, 0x84]));
}

#[test]
fn the_writers_entries_pass_the_monitors_checks_and_chunks_stay_under_the_limit() {
    // 40,000 statements of 400 facilities with 100-character ids: the
    // writer closes index entries as they fill; a monitor replaying the
    // same leaves accepts every one, commit included.
    let mut writer = History::new();
    let mut leaves = Vec::new();
    for i in 0..40_000u64 {
        let a = if i % 97 == 0 {
            Attribution::Scheme
        } else {
            Attribution::Facility(format!("{:0>100}", i % 400))
        };
        let pos = writer.len();
        writer.push_statement(pos, a.clone());
        leaves.push(Some(a));
        if writer.chunk_full() {
            let (_, b) = writer.next_entry(false).unwrap();
            assert!(b.len() <= 65_535);
            leaves.push(None);
            let pos = writer.len();
            assert_eq!(pos as usize, leaves.len());
            let _ = b;
        }
    }
    let (at, last) = writer.next_entry(true).unwrap();
    assert!(
        leaves.iter().filter(|l| l.is_none()).count() >= 2,
        "several chunks"
    );
    // Rebuild the chunk bytes by replaying: a second writer must produce the
    // same entries, and the monitor (roots checked) accepts them.
    let mut again = History::new();
    let mut monitor = History::new();
    for (pos, l) in leaves.iter().enumerate() {
        let pos = pos as u64;
        match l {
            Some(a) => {
                again.push_statement(pos, a.clone());
                monitor.push_statement(pos, a.clone());
            }
            None => {
                let (p, b) = again.next_entry(false).unwrap();
                assert_eq!(p, pos);
                monitor
                    .push_index(pos, &IndexEntry::parse(&b).unwrap(), Roots::Check)
                    .unwrap();
            }
        }
    }
    let (p, b) = again.next_entry(true).unwrap();
    assert_eq!((p, &b), (at, &last));
    monitor
        .push_index(at, &IndexEntry::parse(&last).unwrap(), Roots::Check)
        .unwrap();
    assert_eq!(monitor.facility_count(), 400);
    // A proof for each facility evaluates against the commit.
    let (_, commit) = monitor.last_commit().unwrap();
    for f in ["0".repeat(100), format!("{:0>100}", 399)] {
        let p = monitor.prove(&f).unwrap();
        let leaf = p.proof.evaluate(&key_of(&f), &commit.map).unwrap().unwrap();
        assert_eq!(leaf.count, p.entries.len() as u64);
        assert_eq!(leaf.digest, list_digest(&p.entries));
    }
    // Saved and restored, the index is the same.
    let restored = History::from_value(&monitor.to_value()).unwrap();
    assert_eq!(restored.to_value(), monitor.to_value());
}

#[test]
fn too_many_unindexed_statements_for_one_entry_are_refused_not_truncated() {
    // A ledger from before committed histories with 40,000 statements: no
    // index entry can attribute them all at once.
    let mut h = History::new();
    for i in 0..40_000u64 {
        h.push_statement(i, Attribution::Facility(format!("TF-{}", i % 7)));
    }
    let e = h.commit_entries().unwrap_err();
    assert!(e.to_string().contains("more than an entry may hold"), "{e}");
    assert_eq!(h.len(), 40_000, "nothing was appended to the index");
}

#[test]
fn duplicate_ids_and_inconsistent_saved_states_are_refused() {
    use ciborium::Value as V;
    let e = crate::cbor::encode(&V::Map(vec![
        (V::Text("type".into()), V::Text(INDEX_TYPE.into())),
        (
            V::Text("ids".into()),
            V::Array(vec![V::Text("A".into()), V::Text("A".into())]),
        ),
        (V::Text("of".into()), V::Bytes(vec![0, 0, 0, 1])),
    ]))
    .unwrap();
    assert!(IndexEntry::parse(&e)
        .unwrap_err()
        .to_string()
        .contains("twice"));
    // A saved index whose parts do not describe one log.
    let mut h = History::new();
    for i in 0..3 {
        h.push_statement(i, Attribution::Facility("A".into()));
    }
    let ok = h.to_value();
    assert!(History::from_value(&ok).is_ok());
    let V::Map(mut m) = ok else { unreachable!() };
    for (k, v) in m.iter_mut() {
        if k.as_text() == Some("next") {
            *v = V::Integer(1.into());
        }
    }
    assert!(History::from_value(&V::Map(m)).is_err());
}
