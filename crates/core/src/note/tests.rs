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

// c2sp.org/tlog-policy: the spec's example shape, quorum evaluation, refusals.

fn wkey(name: &str) -> SignerKey {
    SignerKey::generate(name, SigType::Cosignature).unwrap()
}

#[test]
fn policy_groups_and_quorum_follow_the_spec() {
    let log = SignerKey::generate("example.org/log", SigType::Ed25519).unwrap();
    let ws: Vec<SignerKey> = (1..=6).map(|i| wkey(&format!("w{i}.example"))).collect();
    let text = format!(
        "# the spec's example, two levels of groups\n\
         log {} https://log.example\n\n\
         witness X1 {}\nwitness X2 {}\n\twitness X3 {}  \n\
         group X-witnesses 2 X1 X2 X3\n\
         witness Y1 {}\nwitness Y2 {}\nwitness Y3 {}\n\
         group Y-witnesses any Y1 Y2 Y3\n\
         group X-and-Y all X-witnesses Y-witnesses\n\
         quorum X-and-Y\n",
        log.verifier(),
        ws[0].verifier(),
        ws[1].verifier(),
        ws[2].verifier(),
        ws[3].verifier(),
        ws[4].verifier(),
        ws[5].verifier(),
    );
    let p = Policy::parse(text.as_bytes()).unwrap();
    assert_eq!(p.logs().len(), 1);
    assert_eq!(p.witnesses().len(), 6);
    assert!(p.needs_cosignatures());
    assert_eq!(
        p.describe_quorum(),
        "2 of {2 of {X1, X2, X3}, 1 of {Y1, Y2, Y3}}"
    );
    let tree = crate::merkle::MemoryTree::from_entries(["a", "b"]);
    let cp = SignedCheckpoint::sign(
        Checkpoint::new("example.org/log", tree.root()).unwrap(),
        &log,
    )
    .unwrap();
    let signed_by = |who: &[usize]| {
        let mut c = SignedCheckpoint::open(&cp.to_bytes(), &log.verifier()).unwrap();
        for &i in who {
            c.add_cosignature(cosign(c.checkpoint(), &ws[i], 7).unwrap())
                .unwrap();
        }
        let c = p.open_checkpoint(&c.to_bytes()).unwrap();
        p.check_quorum(&c).unwrap().met
    };
    assert!(!signed_by(&[]));
    assert!(!signed_by(&[0, 1])); // X only
    assert!(!signed_by(&[0, 3])); // one X, one Y
    assert!(signed_by(&[0, 1, 3]));
    assert!(signed_by(&[1, 2, 5]));
    // A damaged cosignature of a listed witness is reported as invalid.
    let mut c = cp.clone();
    let mut raw = cosign(c.checkpoint(), &ws[0], 7)
        .unwrap()
        .signature()
        .to_vec();
    raw[20] ^= 1;
    c.add_cosignature(NoteSignature::new(ws[0].name(), ws[0].verifier().id(), raw).unwrap())
        .unwrap();
    let q = p.check_quorum(&c).unwrap();
    assert_eq!(q.witnesses[0].1, CosignatureCheck::Invalid);
    assert!(!q.met);
    // quorum none needs nothing.
    let none = Policy::parse(format!("log {}\nquorum none\n", log.verifier()).as_bytes()).unwrap();
    assert!(!none.needs_cosignatures());
    assert!(none.check_quorum(&cp).unwrap().met);
    // Two keys of one log (a rotation): a checkpoint by either opens.
    let rotated = SignerKey::generate("example.org/log", SigType::Ed25519).unwrap();
    let both = Policy::parse(
        format!(
            "log {}\nlog {}\nquorum none\n",
            log.verifier(),
            rotated.verifier()
        )
        .as_bytes(),
    )
    .unwrap();
    let by_new = SignedCheckpoint::sign(
        Checkpoint::new("example.org/log", tree.root()).unwrap(),
        &rotated,
    )
    .unwrap();
    assert!(both.open_checkpoint(&by_new.to_bytes()).is_ok());
    assert!(both.open_checkpoint(&cp.to_bytes()).is_ok());
    assert!(none.open_checkpoint(&by_new.to_bytes()).is_err());
    // A checkpoint by a log the policy does not list is refused.
    let other = SignerKey::generate("example.org/other", SigType::Ed25519).unwrap();
    let cp2 = SignedCheckpoint::sign(
        Checkpoint::new("example.org/other", tree.root()).unwrap(),
        &other,
    )
    .unwrap();
    assert!(none.open_checkpoint(&cp2.to_bytes()).is_err());
}

#[test]
fn policy_refusals_name_the_line() {
    let log = SignerKey::generate("example.org/log", SigType::Ed25519).unwrap();
    let w = wkey("w.example");
    let (l, wv) = (log.verifier(), w.verifier());
    let mut cases: Vec<(String, usize, &str)> = vec![
        (format!("log {l}\n"), 0, "no quorum line"),
        (
            format!("log {l}\nquorum none\nquorum none\n"),
            3,
            "second quorum",
        ),
        (
            format!("log {l}\nlog {l}\nquorum none\n"),
            2,
            "duplicate log",
        ),
        (format!("log {wv}\nquorum none\n"), 1, "Ed25519"),
        (format!("witness a {l}\nquorum a\n"), 1, "type 0x04"),
        (
            format!("witness a {wv}\nwitness b {wv}\nquorum a\n"),
            2,
            "duplicate witness",
        ),
        (
            format!("witness a {wv}\nwitness a x\nquorum a\n"),
            2,
            "already defined",
        ),
        (format!("witness none {wv}\nquorum none\n"), 1, "reserved"),
        (
            format!("witness a {wv}\ngroup g 2 a\nquorum g\n"),
            2,
            "threshold",
        ),
        (
            format!("witness a {wv}\ngroup g 0 a\nquorum g\n"),
            2,
            "threshold",
        ),
        (
            format!("witness a {wv}\ngroup g any a a\nquorum g\n"),
            2,
            "twice",
        ),
        (
            format!("witness a {wv}\ngroup g any b\nquorum g\n"),
            2,
            "not a witness or group",
        ),
        ("quorum x\n".to_string(), 1, "not a witness or group"),
        (
            format!("log {l}\nquorum none\nfrobnicate\n"),
            3,
            "unknown keyword",
        ),
        (format!("log {l}\r\nquorum none\n"), 1, "control character"),
    ];
    // A log cannot be its own witness, whichever line comes first.
    let same = VerifierKey::new("w.example", SigType::Cosignature, *l.key()).unwrap();
    cases.push((
        format!("log {l}\nwitness a {same}\nquorum a\n"),
        2,
        "cannot witness itself",
    ));
    cases.push((
        format!("witness a {same}\nlog {l}\nquorum a\n"),
        2,
        "cannot witness itself",
    ));
    for (text, line, what) in cases {
        let e = Policy::parse(text.as_bytes()).unwrap_err();
        assert_eq!(e.line, line, "{text:?}: {e}");
        assert!(e.to_string().contains(what), "{text:?}: {e}");
    }
    assert!(Policy::parse(b"\xff\nquorum none\n").is_err());
}

#[test]
fn cosignature_signs_exactly_the_specs_message() {
    // c2sp.org/tlog-cosignature's example message, signed by an independent
    // computation with ed25519-dalek (Ed25519 is deterministic).
    use base64::Engine as _;
    use ed25519_dalek::Signer as _;
    let seed = [9u8; 32];
    let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
    let id = KeyId::compute(
        "witness.example.com/w1",
        SigType::Cosignature,
        sk.verifying_key().as_bytes(),
    );
    let mut raw = vec![0x04];
    raw.extend_from_slice(&seed);
    let key = SignerKey::parse(&format!(
        "PRIVATE+KEY+witness.example.com/w1+{id}+{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    ))
    .unwrap();
    let body =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let cp = Checkpoint::parse(body).unwrap();
    let line = cosign(&cp, &key, 1_679_315_147).unwrap();
    let message = format!("cosignature/v1\ntime 1679315147\n{body}");
    let mut want = 1_679_315_147u64.to_be_bytes().to_vec();
    want.extend_from_slice(&sk.sign(message.as_bytes()).to_bytes());
    assert_eq!(line.signature(), want.as_slice());
    assert_eq!(line.id(), id);
    assert_eq!(line.name(), "witness.example.com/w1");
}
