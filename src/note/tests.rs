//! Known-answer tests from the specs and Go's sumdb/note, plus negative cases.

use super::*;
use crate::merkle::{leaf_hash, Hash, RootHash};

// Go's golang.org/x/mod/sumdb/note test vector (the origin of c2sp.org/signed-note).
const GO_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_SIG_LINE: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

#[test]
fn go_note_vector_signs_and_verifies_bit_for_bit() {
    let skey = SignerKey::parse(GO_SKEY).unwrap();
    assert_eq!(skey.verifier().to_string(), GO_VKEY);
    assert_eq!(&*skey.to_private_string(), GO_SKEY);
    let mut note = Note::new(GO_TEXT).unwrap();
    note.sign(&skey).unwrap();
    let want = format!("{GO_TEXT}\n{GO_SIG_LINE}");
    assert_eq!(String::from_utf8(note.to_bytes()).unwrap(), want);

    let vkey = VerifierKey::parse(GO_VKEY).unwrap();
    let parsed = Note::parse(want.as_bytes()).unwrap();
    assert_eq!(parsed.text(), GO_TEXT);
    assert_eq!(parsed.verify(std::slice::from_ref(&vkey)).unwrap().len(), 1);
}

#[test]
fn signed_note_spec_example_parses_and_is_refused_without_its_key() {
    let example = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n\u{2014} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
    let note = Note::parse(example.as_bytes()).unwrap();
    // The text may contain blank lines: the last blank line separates the signatures.
    assert!(note.text().ends_with("ed è subito sera.\n"));
    assert_eq!(note.signatures()[0].name(), "quasimodo.example/salvatore");
    let vkey = VerifierKey::parse(GO_VKEY).unwrap();
    assert!(matches!(
        note.verify(&[vkey]),
        Err(NoteError::NoTrustedSignature { .. })
    ));
}

#[test]
fn cosignature_spec_example_line_carries_its_timestamp() {
    let example = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";
    let note = Note::parse(example.as_bytes()).unwrap();
    let cp = Checkpoint::parse(note.text()).unwrap();
    assert_eq!(cp.size(), 20852163);
    let w = &note.signatures()[1];
    assert_eq!(w.signature().len(), 72);
    let ts = u64::from_be_bytes(w.signature()[..8].try_into().unwrap());
    // The spec's example message says "time 1679315147".
    assert_eq!(ts, 1679315147);
}

fn log_key() -> SignerKey {
    SignerKey::generate("example.com/log", SigType::Ed25519).unwrap()
}

fn signed(key: &SignerKey, size: u64) -> SignedCheckpoint {
    let cp = Checkpoint::new(
        key.name(),
        RootHash::new(size, leaf_hash(&size.to_be_bytes())),
    )
    .unwrap();
    SignedCheckpoint::sign(cp, key).unwrap()
}

#[test]
fn checkpoint_round_trip_and_tampering() {
    let key = log_key();
    let vk = key.verifier();
    let cp = signed(&key, 42);
    let bytes = cp.to_bytes();
    let opened = SignedCheckpoint::open(&bytes, &vk).unwrap();
    assert_eq!(opened.root().size(), 42);
    assert_eq!(opened, cp);

    // Every single-byte change is refused (bad signature, malformed, or no trusted sig).
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        assert!(
            SignedCheckpoint::open(&b, &vk).is_err(),
            "byte {i} flipped still opened"
        );
    }
    // Truncations are refused.
    for cut in 0..bytes.len() {
        assert!(
            SignedCheckpoint::open(&bytes[..cut], &vk).is_err(),
            "truncated at {cut}"
        );
    }
    // Another key with the same name is not trusted.
    let other = SignerKey::generate("example.com/log", SigType::Ed25519).unwrap();
    assert!(matches!(
        SignedCheckpoint::open(&bytes, &other.verifier()),
        Err(NoteError::NoTrustedSignature { .. })
    ));
}

#[test]
fn checkpoint_body_grammar() {
    let h = Hash::from_bytes([7; 32]).to_base64();
    assert!(Checkpoint::parse(&format!("o\n1\n{h}\n")).is_ok());
    assert!(Checkpoint::parse(&format!("o\n1\n{h}\next one\n")).is_ok());
    for bad in [
        format!("o\n01\n{h}\n"),
        format!("o\n-1\n{h}\n"),
        format!("o\n1\n{h}"),
        format!("\n1\n{h}\n"),
        format!("o\n18446744073709551616\n{h}\n"),
        "o\n1\nAAAA\n".to_string(),
        "o\n1\n".to_string(),
        format!("o\n1\n{h}\n\n"),
    ] {
        assert!(Checkpoint::parse(&bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn note_grammar_and_limits() {
    let key = log_key();
    let good = signed(&key, 1).to_bytes();
    let s = String::from_utf8(good).unwrap();
    // Control characters, missing final newline, missing separator, oversize.
    assert!(Note::parse(s.replace("example", "exa\rmple").as_bytes()).is_err());
    assert!(Note::parse(s.trim_end().as_bytes()).is_err());
    assert!(Note::parse(s.replace("\n\n", "\n").as_bytes()).is_err());
    assert!(Note::parse(&vec![b'a'; MAX_NOTE_SIZE + 1]).is_err());
    assert!(Note::parse(&[0xff, 0xfe, b'\n']).is_err());
    // A second copy of the signature line is still a valid note.
    let twice = format!("{s}{}\n", s.lines().last().unwrap());
    assert!(Note::parse(twice.as_bytes()).is_ok());
    let mut too_many = s.clone();
    let line = format!("{}\n", s.lines().last().unwrap());
    for _ in 0..MAX_SIGNATURES {
        too_many.push_str(&line);
    }
    assert!(matches!(
        Note::parse(too_many.as_bytes()),
        Err(NoteError::TooLarge { .. })
    ));
}

#[test]
fn verifier_key_errors_name_the_problem() {
    assert!(matches!(
        VerifierKey::parse("nope"),
        Err(NoteError::BadVerifierKey { .. })
    ));
    // Wrong key id for the key.
    let wrong_id = GO_VKEY.replace("c74f20a3", "c74f20a4");
    assert!(matches!(
        VerifierKey::parse(&wrong_id),
        Err(NoteError::BadVerifierKey { .. })
    ));
    // Unknown type byte (0x02 ECDSA).
    let k = VerifierKey::parse(GO_VKEY).unwrap();
    let mut raw = vec![0x02];
    raw.extend_from_slice(k.key().as_bytes());
    let s = format!("PeterNeumann+c74f20a3+{}", B64.encode(raw));
    assert!(matches!(
        VerifierKey::parse(&s),
        Err(NoteError::UnsupportedKeyType { type_byte: 2 })
    ));
    assert!(matches!(
        VerifierKey::parse("bad name+c74f20a3+AA=="),
        Err(NoteError::BadKeyName { .. })
    ));
    // Private key errors never echo the key.
    let err = SignerKey::parse("PRIVATE+KEY+n+00000000+c2VjcmV0c2VjcmV0")
        .err()
        .unwrap()
        .to_string();
    assert!(!err.contains("c2VjcmV0"), "{err}");
}

#[test]
fn cosignatures_round_trip_and_fail_when_tampered() {
    let key = log_key();
    let w = SignerKey::generate("witness.example/w1", SigType::Cosignature).unwrap();
    let wv = w.verifier();
    let mut cp = signed(&key, 9);
    assert_eq!(
        verify_cosignature(&cp, &wv).unwrap(),
        CosignatureCheck::Missing
    );
    let line = cosign(cp.checkpoint(), &w, 1_700_000_000).unwrap();
    cp.add_cosignature(line).unwrap();
    let bytes = cp.to_bytes();
    let reopened = SignedCheckpoint::open(&bytes, &key.verifier()).unwrap();
    assert_eq!(
        verify_cosignature(&reopened, &wv).unwrap(),
        CosignatureCheck::Valid {
            timestamp: 1_700_000_000
        }
    );

    // Flip a byte inside the cosignature's base64 (last line).
    let text = String::from_utf8(bytes).unwrap();
    let last = text.trim_end().rsplit('\n').next().unwrap().to_string();
    let sig_b64 = last.rsplit(' ').next().unwrap();
    let mut raw = B64.decode(sig_b64).unwrap();
    raw[20] ^= 1; // inside the signature
    let tampered = text.replace(sig_b64, &B64.encode(&raw));
    let reopened = SignedCheckpoint::open(tampered.as_bytes(), &key.verifier()).unwrap();
    assert_eq!(
        verify_cosignature(&reopened, &wv).unwrap(),
        CosignatureCheck::Invalid
    );
    // Changing the timestamp invalidates it too.
    let mut raw = B64.decode(sig_b64).unwrap();
    raw[11] ^= 1;
    let tampered = text.replace(sig_b64, &B64.encode(&raw));
    let reopened = SignedCheckpoint::open(tampered.as_bytes(), &key.verifier()).unwrap();
    assert_eq!(
        verify_cosignature(&reopened, &wv).unwrap(),
        CosignatureCheck::Invalid
    );
    // A note-signing key cannot cosign, and a log key is not a witness key.
    assert!(cosign(cp.checkpoint(), &key, 1).is_err());
    assert!(verify_cosignature(&cp, &key.verifier()).is_err());
}

#[test]
fn tlog_proof_text_round_trip_and_errors() {
    use crate::merkle::{inclusion_proof, MemoryTree};
    let key = log_key();
    let t = MemoryTree::from_entries((0..10u32).map(|i| i.to_string()));
    let cp = SignedCheckpoint::sign(Checkpoint::new(key.name(), t.root()).unwrap(), &key).unwrap();
    let p = inclusion_proof(&t, 3, 10).unwrap();
    let text = TlogProof::new(&p, &cp).unwrap().to_text();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nindex 3\n"));
    let parsed = TlogProof::parse(text.as_bytes()).unwrap();
    parsed.verify(b"3", &key.verifier()).unwrap();
    assert!(matches!(
        parsed.verify(b"4", &key.verifier()),
        Err(VerifyProofError::Inclusion(_))
    ));
    let other = SignerKey::generate("example.com/log", SigType::Ed25519).unwrap();
    assert!(matches!(
        parsed.verify(b"3", &other.verifier()),
        Err(VerifyProofError::Checkpoint(_))
    ));
    for bad in [
        text.replace("tlog-proof@v1", "tlog-proof@v2"),
        text.replace("index 3", "index 03"),
        text.replace("index 3", "idx 3"),
        text.replacen("\n\n", "\n", 1),
        text.replacen("=\n", "\n", 1),
    ] {
        assert!(
            TlogProof::parse(bad.as_bytes()).is_err()
                || TlogProof::parse(bad.as_bytes())
                    .unwrap()
                    .verify(b"3", &key.verifier())
                    .is_err(),
            "accepted {bad}"
        );
    }
    let with_extra = text.replace("index 3", "extra aGVsbG8=\nindex 3");
    let parsed = TlogProof::parse(with_extra.as_bytes()).unwrap();
    assert_eq!(parsed.extra(), Some(&b"hello"[..]));
    parsed.verify(b"3", &key.verifier()).unwrap();
}

mod never_panic {
    use super::*;
    use proptest::prelude::*;

    fn valid_checkpoint() -> Vec<u8> {
        let key = SignerKey::parse(GO_SKEY).unwrap();
        let cp =
            Checkpoint::new("PeterNeumann", RootHash::new(7, Hash::from_bytes([9; 32]))).unwrap();
        SignedCheckpoint::sign(cp, &key).unwrap().to_bytes()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parsers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let vk = VerifierKey::parse(GO_VKEY).unwrap();
            let _ = Note::parse(&bytes);
            let _ = SignedCheckpoint::open(&bytes, &vk);
            let _ = TlogProof::parse(&bytes).map(|p| p.verify(b"x", &vk));
            if let Ok(s) = std::str::from_utf8(&bytes) {
                let _ = Checkpoint::parse(s);
                let _ = VerifierKey::parse(s);
                let _ = SignerKey::parse(s);
            }
        }

        #[test]
        fn mutated_checkpoints_are_refused_or_unchanged(at in 0usize..200, byte in any::<u8>(), cut in 0usize..200) {
            let vk = VerifierKey::parse(GO_VKEY).unwrap();
            let good = valid_checkpoint();
            let mut b = good.clone();
            let at = at % b.len();
            b[at] = byte;
            if let Ok(cp) = SignedCheckpoint::open(&b, &vk) {
                prop_assert_eq!(&cp.to_bytes(), &good);
            }
            let cut = cut % good.len();
            prop_assert!(SignedCheckpoint::open(&good[..cut], &vk).is_err());
        }
    }
}
