//! COSE known answers (COSE WG Examples), the statement profile, and tampering.

use super::*;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// cose-wg/Examples eddsa-examples/eddsa-sig-01.json ("EdDSA-01: EdDSA - 25519 - sign0"):
/// the RFC 8032 test-1 key signing "This is the content." with protected
/// {1: -8, 3: 0} and unprotected {4: '11'}.
const WG_D: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const WG_X: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const WG_MSG: &str = "d28445a201270300a10442313154546869732069732074686520636f6e74656e742e58407142fd2ff96d56db85bee905a76ba1d0b7321a95c8c4d3607c5781932b7afb8711497dfa751bf40b58b3bcc32300b1487f3db34085eef013bf08f4a44d6fef0d";

fn wg_key() -> SigningKey {
    SigningKey::from_bytes(&unhex(WG_D).try_into().unwrap())
}

#[test]
fn cose_wg_eddsa_sig_01_verifies_and_signs_bit_for_bit() {
    let key = wg_key();
    assert_eq!(key.verifying_key().as_bytes().to_vec(), unhex(WG_X));
    let msg = CoseSign1::parse(&unhex(WG_MSG)).unwrap();
    msg.verify(&key.verifying_key(), None).unwrap();
    assert_eq!(msg.payload(), Some(&b"This is the content."[..]));
    let resigned = CoseSign1::sign(
        msg.protected_bytes().to_vec(),
        msg.unprotected().to_vec(),
        b"This is the content.",
        false,
        &key,
    )
    .unwrap();
    assert_eq!(resigned.to_bytes().unwrap(), unhex(WG_MSG));
    // Flip any bit of the protected header, payload or signature: refused.
    let good = unhex(WG_MSG);
    for at in [5, 6, 8, 20, 30, 40, 60, good.len() - 1] {
        let mut b = good.clone();
        b[at] ^= 0x01;
        let ok = CoseSign1::parse(&b).and_then(|m| m.verify(&key.verifying_key(), None));
        assert!(ok.is_err(), "flipped byte {at} still verified");
    }
}

fn demo_header() -> StatementHeader {
    StatementHeader {
        content_type: "application/vnd.triage-ledger.test+cbor".into(),
        issuer: "CN=Demo Operator".into(),
        subject: "TF-0001".into(),
        issued_at: 1_790_000_000,
        x5chain: vec![vec![0x30, 0x03, 0x02, 0x01, 0x01]],
    }
}

fn payload() -> Vec<u8> {
    crate::cbor::encode(&Value::Map(vec![(
        Value::Text("k".into()),
        Value::Integer(7.into()),
    )]))
    .unwrap()
}

#[test]
fn statements_round_trip_and_verify_over_the_received_bytes() {
    let key = wg_key();
    let st = Statement::sign(demo_header(), &payload(), &key).unwrap();
    let parsed = Statement::parse(st.bytes()).unwrap();
    assert_eq!(parsed.header(), &demo_header());
    assert_eq!(parsed.payload(), payload().as_slice());
    parsed.verify(&key.verifying_key()).unwrap();
    let other = SigningKey::from_bytes(&[7; 32]);
    assert_eq!(
        parsed.verify(&other.verifying_key()).unwrap_err(),
        CoseError::BadSignature
    );
    // Every single-byte change is refused by parsing or by the signature.
    let good = st.bytes().to_vec();
    for at in 0..good.len() {
        let mut b = good.clone();
        b[at] ^= 0x20;
        let r = Statement::parse(&b).and_then(|s| s.verify(&key.verifying_key()));
        assert!(r.is_err(), "byte {at} flipped still verified");
    }
    // Truncation.
    for cut in 0..good.len() {
        assert!(Statement::parse(&good[..cut]).is_err());
    }
}

#[test]
fn coset_an_independent_implementation_reads_and_verifies_our_statements() {
    use coset::TaggedCborSerializable;
    let key = wg_key();
    let st = Statement::sign(demo_header(), &payload(), &key).unwrap();
    let theirs = coset::CoseSign1::from_tagged_slice(st.bytes()).unwrap();
    assert_eq!(
        theirs.protected.header.alg,
        Some(coset::RegisteredLabelWithPrivate::Assigned(
            coset::iana::Algorithm::EdDSA
        ))
    );
    assert_eq!(theirs.payload.as_deref(), Some(payload().as_slice()));
    theirs
        .verify_signature(b"", |sig, data| {
            let sig = ed25519_dalek::Signature::from_slice(sig).map_err(|_| ())?;
            key.verifying_key()
                .verify_strict(data, &sig)
                .map_err(|_| ())
        })
        .unwrap();
    // And a message coset builds and signs verifies with ours.
    let protected = coset::HeaderBuilder::new()
        .algorithm(coset::iana::Algorithm::EdDSA)
        .build();
    let built = coset::CoseSign1Builder::new()
        .protected(protected)
        .payload(b"hello".to_vec())
        .create_signature(b"", |data| key.sign(data).to_bytes().to_vec())
        .build();
    let bytes = built.to_tagged_vec().unwrap();
    CoseSign1::parse(&bytes)
        .unwrap()
        .verify(&key.verifying_key(), None)
        .unwrap();
}

fn resign_with_protected(map: Vec<(Value, Value)>) -> Vec<u8> {
    let protected = crate::cbor::encode(&Value::Map(map)).unwrap();
    CoseSign1::sign(protected, Vec::new(), &payload(), false, &wg_key())
        .unwrap()
        .to_bytes()
        .unwrap()
}

#[test]
fn the_profile_refuses_what_it_does_not_define() {
    let h = demo_header();
    let good_map = match crate::cbor::decode(&h.encode().unwrap()).unwrap() {
        Value::Map(m) => m,
        _ => unreachable!(),
    };
    let with = |f: &dyn Fn(&mut HeaderMap)| {
        let mut m = good_map.clone();
        f(&mut m);
        Statement::parse(&resign_with_protected(m))
    };
    let alg_es256 = with(&|m| m[0].1 = Value::Integer((-7).into()));
    assert!(
        matches!(alg_es256, Err(CoseError::Profile(ref s)) if s.contains("not EdDSA")),
        "{alg_es256:?}"
    );
    let extra = with(&|m| m.push((Value::Integer(4.into()), Value::Bytes(vec![1]))));
    assert!(
        matches!(extra, Err(CoseError::Profile(ref s)) if s.contains("unexpected protected header label"))
    );
    let no_chain = with(&|m| m.retain(|(k, _)| k != &Value::Integer(33.into())));
    assert!(matches!(no_chain, Err(CoseError::Profile(ref s)) if s.contains("x5chain")));
    let no_ct = with(&|m| m.retain(|(k, _)| k != &Value::Integer(3.into())));
    assert!(matches!(no_ct, Err(CoseError::Profile(_))));
    let neg_iat = with(&|m| {
        if let Value::Map(c) = &mut m[2].1 {
            c[2].1 = Value::Integer((-5).into());
        }
    });
    assert!(matches!(neg_iat, Err(CoseError::Profile(ref s)) if s.contains("iat")));

    // Non-empty unprotected header, detached payload, non-deterministic payload.
    let key = wg_key();
    let mut msg =
        CoseSign1::sign(h.encode().unwrap(), Vec::new(), &payload(), false, &key).unwrap();
    msg.set_unprotected(vec![(Value::Integer(4.into()), Value::Bytes(vec![1]))]);
    assert!(matches!(
        Statement::parse(&msg.to_bytes().unwrap()),
        Err(CoseError::Profile(_))
    ));
    let detached =
        CoseSign1::sign(h.encode().unwrap(), Vec::new(), &payload(), true, &key).unwrap();
    assert!(matches!(
        Statement::parse(&detached.to_bytes().unwrap()),
        Err(CoseError::Profile(_))
    ));
    let loose =
        CoseSign1::sign(h.encode().unwrap(), Vec::new(), &unhex("1817"), false, &key).unwrap();
    assert!(
        matches!(Statement::parse(&loose.to_bytes().unwrap()), Err(CoseError::Profile(ref s)) if s.contains("payload"))
    );
    // A protected header whose map is not deterministic (keys out of order).
    let unsorted = unhex("a403781d6170706c69636174696f6e2f766e642e782b63626f720127");
    let m = CoseSign1::sign(unsorted, Vec::new(), &payload(), false, &key).unwrap();
    assert!(matches!(
        Statement::parse(&m.to_bytes().unwrap()),
        Err(CoseError::Cbor(_))
    ));
    // Untagged, wrong arity.
    assert!(matches!(
        CoseSign1::parse(&unhex("8440a0f640")),
        Err(CoseError::Structure(_))
    ));
    assert!(matches!(
        CoseSign1::parse(&unhex("d28340a0f6")),
        Err(CoseError::Structure(_))
    ));
    // Oversized.
    assert!(matches!(
        Statement::parse(&vec![0u8; MAX_STATEMENT_SIZE + 1]),
        Err(CoseError::TooLarge(_))
    ));
}

mod receipts {
    use super::*;
    use crate::merkle::{inclusion_proof, MemoryTree};
    use crate::note::{SigType, SignerKey};

    fn setup() -> (SignerKey, Vec<Vec<u8>>, MemoryTree) {
        let log = SignerKey::generate("ledger.example.org/mp203", SigType::Ed25519).unwrap();
        let key = wg_key();
        let statements: Vec<Vec<u8>> = (0..7u64)
            .map(|i| {
                let mut h = demo_header();
                h.issued_at += i;
                Statement::sign(h, &payload(), &key)
                    .unwrap()
                    .bytes()
                    .to_vec()
            })
            .collect();
        let tree = MemoryTree::from_entries(&statements);
        (log, statements, tree)
    }

    #[test]
    fn receipts_verify_and_every_part_is_bound() {
        let (log, sts, tree) = setup();
        let vk = log.verifier();
        let root = tree.root();
        let proof = inclusion_proof(&tree, 4, 7).unwrap();
        let r = Receipt::issue(&log, &proof, &root, 1_790_000_000).unwrap();
        let bytes = r.to_bytes().unwrap();
        let parsed = Receipt::parse(&bytes).unwrap();
        assert_eq!(parsed.verify(&sts[4], &vk).unwrap(), root);
        assert_eq!(parsed.issuer(), "ledger.example.org/mp203");
        // Another statement, another log key: refused.
        assert!(parsed.verify(&sts[3], &vk).is_err());
        let other = SignerKey::generate("ledger.example.org/mp203", SigType::Ed25519).unwrap();
        assert!(parsed.verify(&sts[4], &other.verifier()).is_err());
        // Every byte of the receipt matters: parse or verification fails.
        for at in 0..bytes.len() {
            let mut b = bytes.clone();
            b[at] ^= 0x01;
            let ok = Receipt::parse(&b).and_then(|r| r.verify(&sts[4], &vk));
            assert!(
                ok.is_err(),
                "flipped byte {at} of the receipt still verified"
            );
        }
    }

    #[test]
    fn transparent_statements_split_back_into_statement_and_receipt() {
        let (log, sts, tree) = setup();
        let st = Statement::parse(&sts[2]).unwrap();
        let r = Receipt::issue(
            &log,
            &inclusion_proof(&tree, 2, 7).unwrap(),
            &tree.root(),
            1,
        )
        .unwrap();
        let ts = transparent_statement(&st, std::slice::from_ref(&r)).unwrap();
        let t = split_transparent(&ts).unwrap();
        assert_eq!(t.statement.bytes(), sts[2].as_slice());
        assert_eq!(t.receipts.len(), 1);
        assert!(!t.legacy_form && t.warnings().is_empty());
        t.receipts[0]
            .verify(t.statement.bytes(), &log.verifier())
            .unwrap();
        // A plain statement is a transparent statement with no receipts.
        assert!(split_transparent(&sts[2]).unwrap().receipts.is_empty());
    }

    #[test]
    fn coset_reads_our_receipts_and_checks_the_signature_over_the_root() {
        use coset::TaggedCborSerializable;
        let (log, sts, tree) = setup();
        let root = tree.root();
        let r = Receipt::issue(&log, &inclusion_proof(&tree, 6, 7).unwrap(), &root, 1).unwrap();
        let theirs = coset::CoseSign1::from_tagged_slice(&r.to_bytes().unwrap()).unwrap();
        assert!(theirs.payload.is_none());
        let vk = *log.verifier().key();
        theirs
            .verify_detached_signature(root.hash().as_bytes(), b"", |sig, data| {
                let sig = ed25519_dalek::Signature::from_slice(sig).map_err(|_| ())?;
                vk.verify_strict(data, &sig).map_err(|_| ())
            })
            .unwrap();
        let _ = sts;
    }

    /// RFC 9942 §2 / RFC 9943 §7: label 394 holds `[+ bstr .cbor Receipt]`,
    /// each receipt a tagged COSE_Sign1 whose CWT claims hold iss and sub.
    /// Read with coset, an independent COSE implementation.
    #[test]
    fn transparent_statements_carry_receipts_as_byte_strings_rfc_9942() {
        use coset::TaggedCborSerializable;
        let (log, sts, tree) = setup();
        let st = Statement::parse(&sts[3]).unwrap();
        let r = Receipt::issue(
            &log,
            &inclusion_proof(&tree, 3, 7).unwrap(),
            &tree.root(),
            1,
        )
        .unwrap();
        let ts = transparent_statement(&st, std::slice::from_ref(&r)).unwrap();
        let theirs = coset::CoseSign1::from_tagged_slice(&ts).unwrap();
        let (label, value) = &theirs.unprotected.rest[0];
        assert_eq!(*label, coset::Label::Int(394));
        let items = value.as_array().unwrap();
        assert_eq!(items.len(), 1);
        let receipt_bytes = items[0].as_bytes().expect("a receipt is a byte string");
        let receipt = coset::CoseSign1::from_tagged_slice(receipt_bytes).unwrap();
        let claims = receipt
            .protected
            .header
            .rest
            .iter()
            .find(|(l, _)| *l == coset::Label::Int(15))
            .and_then(|(_, v)| v.as_map())
            .unwrap();
        let claim = |k: i64| {
            claims
                .iter()
                .find(|(l, _)| l.as_integer() == Some(k.into()))
                .and_then(|(_, v)| v.as_text())
        };
        assert_eq!(claim(1), Some("ledger.example.org/mp203"));
        // The sub names the tree the receipt signs (one signature serves
        // every receipt against it), with its size.
        assert_eq!(claim(2), Some("ledger.example.org/mp203 tree 7"));
        assert_eq!(
            Receipt::parse(receipt_bytes).unwrap().subject(),
            Some("ledger.example.org/mp203 tree 7")
        );
    }

    /// The form written before RFC 9942 (receipts directly in the array)
    /// is still read, with a warning; so is a receipt without `sub`.
    #[test]
    fn the_pre_rfc_form_is_read_with_a_warning() {
        let (log, sts, tree) = setup();
        let st = Statement::parse(&sts[1]).unwrap();
        let r = Receipt::issue(
            &log,
            &inclusion_proof(&tree, 1, 7).unwrap(),
            &tree.root(),
            1,
        )
        .unwrap();
        let mut msg = st.message().clone();
        msg.set_unprotected(vec![(
            Value::Integer(LABEL_RECEIPTS.into()),
            Value::Array(vec![cbor::decode(r.bytes()).unwrap()]),
        )]);
        let old = msg.to_bytes().unwrap();
        let t = split_transparent(&old).unwrap();
        assert!(t.legacy_form);
        assert!(
            t.warnings()[0].contains("before RFC 9942"),
            "{:?}",
            t.warnings()
        );
        t.receipts[0].verify(st.bytes(), &log.verifier()).unwrap();
        // A mix of the two forms, or anything else under 394, is refused.
        msg.set_unprotected(vec![(
            Value::Integer(LABEL_RECEIPTS.into()),
            Value::Array(vec![
                cbor::decode(r.bytes()).unwrap(),
                Value::Bytes(r.bytes().to_vec()),
            ]),
        )]);
        assert!(split_transparent(&msg.to_bytes().unwrap()).is_err());
        // A receipt with no sub claim (as written before RFC 9943).
        let protected = cbor::encode(&Value::Map(vec![
            (int(LABEL_ALG), int(ALG_EDDSA)),
            (int(LABEL_VDS), int(VDS_RFC9162_SHA256)),
            (
                int(LABEL_CWT_CLAIMS),
                Value::Map(vec![(int(CWT_ISS), Value::Text(log.name().into()))]),
            ),
        ]))
        .unwrap();
        let no_sub = foreign_receipt(&log, protected, &tree, 1);
        let parsed = Receipt::parse(&no_sub).unwrap();
        assert_eq!(parsed.subject(), None);
        assert!(parsed.warnings()[0].contains("no sub"));
        parsed.verify(st.bytes(), &log.verifier()).unwrap();
    }

    /// One signature of a root serves every receipt against it: the
    /// receipts differ only in their proofs, each verifies its own entry
    /// only, and the signer is asked once.
    #[test]
    fn receipts_against_one_root_share_one_signature() {
        struct Counting<'a>(&'a SignerKey, std::sync::atomic::AtomicUsize);
        impl crate::note::Signer for Counting<'_> {
            fn public_key(&self) -> &crate::note::VerifierKey {
                self.0.verifier_ref()
            }
            fn sign(&self, m: &[u8]) -> Result<[u8; 64], crate::note::NoteError> {
                self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                crate::note::Signer::sign(self.0, m)
            }
        }
        let (log, sts, tree) = setup();
        let counting = Counting(&log, Default::default());
        let signed = SignedRoot::sign(&counting, &tree.root(), 1_790_000_000).unwrap();
        let receipts: Vec<Receipt> = (0..7)
            .map(|i| {
                signed
                    .receipt(&inclusion_proof(&tree, i, 7).unwrap())
                    .unwrap()
            })
            .collect();
        assert_eq!(counting.1.load(std::sync::atomic::Ordering::SeqCst), 1);
        for (i, r) in receipts.iter().enumerate() {
            let parsed = Receipt::parse(r.bytes()).unwrap();
            assert_eq!(
                parsed.message().protected_bytes(),
                receipts[0].message().protected_bytes()
            );
            assert_eq!(
                parsed.message().signature(),
                receipts[0].message().signature()
            );
            parsed.verify(&sts[i], &log.verifier()).unwrap();
            let other = (i + 1) % 7;
            assert!(parsed.verify(&sts[other], &log.verifier()).is_err());
        }
        // A proof from another tree is not given this root's signature.
        let smaller = MemoryTree::from_entries(&sts[..5]);
        assert!(signed
            .receipt(&inclusion_proof(&smaller, 1, 5).unwrap())
            .is_err());
    }

    /// The `sub` of our receipts signs the tree's size: a receipt whose
    /// proof claims another size is refused, even when the root matches
    /// (RFC 9942 signs only the root).
    #[test]
    fn a_receipt_signing_one_size_with_a_proof_of_another_is_refused() {
        let (log, sts, tree) = setup();
        let claims = |sub: &str| {
            cbor::encode(&Value::Map(vec![
                (int(LABEL_ALG), int(ALG_EDDSA)),
                (int(LABEL_VDS), int(VDS_RFC9162_SHA256)),
                (
                    int(LABEL_CWT_CLAIMS),
                    Value::Map(vec![
                        (int(CWT_ISS), Value::Text(log.name().into())),
                        (int(CWT_SUB), Value::Text(sub.into())),
                    ]),
                ),
            ]))
            .unwrap()
        };
        let name = log.name().to_string();
        let good = foreign_receipt(&log, claims(&format!("{name} tree 7")), &tree, 2);
        Receipt::parse(&good)
            .unwrap()
            .verify(&sts[2], &log.verifier())
            .unwrap();
        let lying = foreign_receipt(&log, claims(&format!("{name} tree 6")), &tree, 2);
        let e = Receipt::parse(&lying)
            .unwrap()
            .verify(&sts[2], &log.verifier())
            .unwrap_err();
        assert!(e.to_string().contains("signs the tree of 6"), "{e}");
        // Another log's name, or another form, is only a subject: not read
        // as a size.
        for sub in [
            "other.example tree 6".to_string(),
            format!("{name} tree 06"),
            "TF-0001".into(),
        ] {
            let r = foreign_receipt(&log, claims(&sub), &tree, 2);
            Receipt::parse(&r)
                .unwrap()
                .verify(&sts[2], &log.verifier())
                .unwrap();
        }
    }

    /// A receipt as another service might write it: `protected` as given
    /// (any encoding), the proof of leaf `index`, signed with the log key.
    fn foreign_receipt(
        log: &SignerKey,
        protected: Vec<u8>,
        tree: &MemoryTree,
        index: u64,
    ) -> Vec<u8> {
        let root = tree.root();
        let proof = inclusion_proof(tree, index, root.size()).unwrap();
        let encoded = cbor::encode(&Value::Array(vec![
            Value::Integer(proof.size().into()),
            Value::Integer(proof.index().into()),
            Value::Array(
                proof
                    .path()
                    .iter()
                    .map(|h| Value::Bytes(h.as_bytes().to_vec()))
                    .collect(),
            ),
        ]))
        .unwrap();
        let tbs = to_be_signed(&protected, root.hash().as_bytes()).unwrap();
        let sig = crate::note::Signer::sign(log, &tbs).unwrap().to_vec();
        // 18([protected, {396: {-1: [proof]}}, nil, sig]), the outer array
        // of indefinite length: well-formed, not deterministic.
        let mut out = vec![0xd2, 0x9f];
        out.extend(cbor::encode(&Value::Bytes(protected)).unwrap());
        out.extend(
            cbor::encode(&Value::Map(vec![(
                int(LABEL_VDP),
                Value::Map(vec![(int(-1), Value::Array(vec![Value::Bytes(encoded)]))]),
            )]))
            .unwrap(),
        );
        out.push(0xf6);
        out.extend(cbor::encode(&Value::Bytes(sig)).unwrap());
        out.push(0xff);
        out
    }

    /// RFC 9052 signs the protected header bytes as received: a receipt
    /// whose header is not in deterministic order (here kid, claims, vds,
    /// alg, with a long-form integer) verifies over those bytes; the same
    /// receipt with a header byte changed does not.
    #[test]
    fn receipts_from_other_services_verify_over_the_header_bytes_as_received() {
        let (log, sts, tree) = setup();
        let kid = log.verifier().id().as_bytes().to_vec();
        let mut protected = vec![0xa4, 0x04];
        protected.extend(cbor::encode(&Value::Bytes(kid)).unwrap());
        protected.push(0x0f);
        protected.extend(
            cbor::encode(&Value::Map(vec![
                (int(CWT_ISS), Value::Text(log.name().into())),
                (int(CWT_SUB), Value::Text("TF-0001".into())),
            ]))
            .unwrap(),
        );
        protected.extend([0x19, 0x01, 0x8b, 0x18, 0x01]); // 395: 1 (long form)
        protected.extend([0x01, 0x27]); // 1: -8
        assert!(cbor::decode(&protected).is_err(), "not deterministic");
        let bytes = foreign_receipt(&log, protected.clone(), &tree, 5);
        let r = Receipt::parse(&bytes).unwrap();
        assert_eq!(r.verify(&sts[5], &log.verifier()).unwrap(), tree.root());
        assert_eq!(r.bytes(), bytes.as_slice(), "kept as received");
        assert!(r.warnings().is_empty());
        // In a transparent statement attached by that service.
        let st = Statement::parse(&sts[5]).unwrap();
        let mut msg = st.message().clone();
        msg.set_unprotected(vec![(
            int(LABEL_RECEIPTS),
            Value::Array(vec![Value::Bytes(bytes.clone())]),
        )]);
        let t = split_transparent(&msg.to_bytes().unwrap()).unwrap();
        t.receipts[0]
            .verify(t.statement.bytes(), &log.verifier())
            .unwrap();
        // The same map with its entries in another order is other bytes:
        // the signature made over the first order does not verify.
        let alg_at = protected.len() - 2;
        let mut reordered = vec![0xa4, 0x01, 0x27];
        reordered.extend_from_slice(&protected[1..alg_at]);
        assert_eq!(reordered.len(), protected.len());
        let mut swapped = foreign_receipt(&log, reordered.clone(), &tree, 5);
        let n = swapped.len();
        swapped[n - 65..n - 1].copy_from_slice(&bytes[n - 65..n - 1]);
        assert!(Receipt::parse(&swapped)
            .unwrap()
            .verify(&sts[5], &log.verifier())
            .is_err());
        // A critical header this reader does not understand is refused.
        let mut crit = vec![0xa5, 0x02, 0x81, 0x19, 0x03, 0xe8]; // 2: [1000]
        crit.extend_from_slice(&protected[1..]);
        let e = Receipt::parse(&foreign_receipt(&log, crit, &tree, 5)).unwrap_err();
        assert!(e.to_string().contains("critical"), "{e}");
    }
}

/// Issue 14, item 5: a statement's text cannot hold a control character or
/// a bidirectional override (in iss, sub, the content type or the record):
/// it is refused when signed and when read.
#[test]
fn statements_refuse_hidden_characters_in_their_text() {
    let key = wg_key();
    let base = StatementHeader {
        content_type: "application/vnd.triage-ledger.seal+cbor".into(),
        issuer: "CN=Operator".into(),
        subject: "TF-0001".into(),
        issued_at: 1,
        x5chain: vec![vec![0x30, 0x00]],
    };
    let clean = cbor::encode(&Value::Map(vec![(
        Value::Text("facility".into()),
        Value::Text("TF-0001".into()),
    )]))
    .unwrap();
    assert!(Statement::sign(base.clone(), &clean, &key).is_ok());
    let mut evil = base.clone();
    evil.issuer = "CN=Operator\u{1b}[2J\nVERIFIED".into();
    let e = Statement::sign(evil.clone(), &clean, &key).unwrap_err();
    assert!(e.to_string().contains("U+001B"), "{e}");
    // Made around the check, it is refused when read.
    let forged = CoseSign1::sign(evil.encode().unwrap(), Vec::new(), &clean, false, &key)
        .unwrap()
        .to_bytes()
        .unwrap();
    let e = Statement::parse(&forged).unwrap_err();
    assert!(
        e.to_string()
            .contains("iss holds the control character U+001B"),
        "{e}"
    );
    // In the record, at any depth, and a right-to-left override.
    let record = cbor::encode(&Value::Map(vec![(
        Value::Text("steps".into()),
        Value::Array(vec![Value::Text("fix \u{202e}gnp.exe".into())]),
    )]))
    .unwrap();
    let e = Statement::sign(base, &record, &key).unwrap_err();
    assert!(e.to_string().contains("U+202E"), "{e}");
}
