//! Change any byte of any part of a pack and the verifier fails, with the
//! check that names that part.

use super::*;
use crate::cose::split_transparent;
use std::ops::Range;

fn locate(hay: &[u8], needle: &[u8]) -> Range<usize> {
    let at = hay
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the part is in the bytes");
    at..at + needle.len()
}

fn encoded_proof(r: &crate::cose::Receipt) -> Vec<u8> {
    use ciborium::Value;
    let p = r.proof();
    crate::cbor::encode(&Value::Array(vec![
        Value::Integer(p.size().into()),
        Value::Integer(p.index().into()),
        Value::Array(
            p.path()
                .iter()
                .map(|h| Value::Bytes(h.as_bytes().to_vec()))
                .collect(),
        ),
    ]))
    .unwrap()
}

#[test]
fn every_byte_of_every_statement_part_fails_the_check_that_names_it() {
    let f = Fixture::new(story());
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let t = f.trust();
    assert!(verify_pack(&pack, &t, None).verified());
    let mut tried = 0;
    for (k, bytes) in pack.statements.iter().enumerate() {
        let n = k + 1;
        let split = split_transparent(bytes).unwrap();
        let (st, receipts) = (split.statement, split.receipts);
        let msg = st.message();
        let rc = receipts[0].message();
        let parts: Vec<(&str, Range<usize>, bool)> = vec![
            (
                "protected header",
                locate(bytes, msg.protected_bytes()),
                true,
            ),
            ("certificate", locate(bytes, &st.header().x5chain[0]), true),
            ("payload", locate(bytes, msg.payload().unwrap()), true),
            ("signature", locate(bytes, msg.signature()), true),
            (
                "receipt protected header",
                locate(bytes, rc.protected_bytes()),
                false,
            ),
            (
                "receipt path",
                locate(bytes, &encoded_proof(&receipts[0])),
                false,
            ),
            ("receipt signature", locate(bytes, rc.signature()), false),
        ];
        for (part, range, signed_by_statement) in parts {
            for pos in range {
                let mut p = pack.clone();
                p.statements[k][pos] ^= 0x01;
                let f = failed(&p, &t, None);
                let prefix = format!("statement {n}");
                let named = f.iter().any(|name| {
                    name.starts_with(&prefix)
                        && (name.ends_with(": encoding")
                            || name.ends_with(": receipt") != signed_by_statement)
                });
                assert!(
                    named,
                    "statement {n} {part}, byte {pos}: failed checks {f:?}"
                );
                tried += 1;
            }
        }
    }
    assert!(tried > 1500, "{tried}");
}

#[test]
fn every_byte_of_the_checkpoint_fails_the_check_that_names_it() {
    let f = Fixture::new(story());
    let pack = f.pack(Selection::Facility("TF-1".into()), None);
    let t = f.trust();
    let text = String::from_utf8(pack.checkpoint.clone()).unwrap();
    let body_end = text.find("\n\n").unwrap() + 1;
    let w1_line = locate(&pack.checkpoint, b"\xe2\x80\x94 example.org/w1 ");
    for pos in 0..pack.checkpoint.len() {
        let mut p = pack.clone();
        p.checkpoint[pos] ^= 0x01;
        let f = failed(&p, &t, None);
        let in_cosignature = pos >= w1_line.start && pos < pack.checkpoint.len();
        let ok = if pos < body_end || !in_cosignature {
            // Body or the log's signature line.
            f.first().map(String::as_str) == Some("checkpoint")
        } else {
            // The cosignature line: its witness check fails, or the quorum
            // (a changed name or key id makes it some other key's line), or
            // the note no longer parses at all.
            f.iter()
                .any(|n| n.starts_with("witness") || n == "checkpoint")
        };
        assert!(ok, "checkpoint byte {pos}: failed checks {f:?}");
    }
    // The decoded cosignature (key id ‖ time ‖ signature): each bit of it.
    let sig_line_at = w1_line.end;
    let b64 = &text[sig_line_at..text.len() - 1];
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(raw.len(), 76);
    for i in 0..raw.len() {
        let mut r = raw.clone();
        r[i] ^= 0x01;
        let mut p = pack.clone();
        p.checkpoint = format!(
            "{}{}\n",
            &text[..sig_line_at],
            base64::engine::general_purpose::STANDARD.encode(&r)
        )
        .into_bytes();
        let f = failed(&p, &t, None);
        let want = if i < 4 {
            "witness quorum"
        } else {
            "witness w1"
        };
        assert!(
            f.iter().any(|n| n == want),
            "cosignature byte {i}: failed checks {f:?}"
        );
    }
}

#[test]
fn every_byte_of_the_whole_pack_matters() {
    let f = Fixture::new(story());
    let pack = f.pack(Selection::Entries(vec![5]), Some(2));
    let t = f.trust();
    let old = {
        // A checkpoint of size 2 whose root the pack's proof starts from.
        let c = pack.consistency.clone().unwrap();
        let key = std::fs::read_to_string(f.ledger.join("private/log.key")).unwrap();
        let key = crate::note::SignerKey::parse(&key).unwrap();
        crate::note::SignedCheckpoint::sign(
            crate::note::Checkpoint::new(key.name(), c.from).unwrap(),
            &key,
        )
        .unwrap()
        .to_bytes()
    };
    assert!(verify_pack(&pack, &t, Some(&old)).verified());
    let bytes = pack.to_bytes().unwrap();
    for pos in 0..bytes.len() {
        let mut b = bytes.clone();
        b[pos] ^= 0x01;
        if let Ok(p) = Pack::parse(&b) {
            assert!(
                !verify_pack(&p, &t, Some(&old)).verified(),
                "pack byte {pos} changed and still verified"
            );
        }
    }
}
