//! Known answers from OpenSSL's TSA (`scripts/openssl-tsa`, OpenSSL 3.0):
//! `testdata/openssl-reply.tsr` answers `testdata/query.tsq` (made by
//! `openssl ts -query -data testdata/data.txt -sha256 -cert`) and
//! `openssl ts -verify -data testdata/data.txt -in openssl-reply.tsr
//! -CAfile testdata/openssl-ca.pem` says `Verification: OK`. Its genTime has
//! fractional seconds (`clock_precision_digits = 3`), which a strict DER
//! GeneralizedTime refuses; its signer is named by ESS
//! signing-certificate-v2.

use super::*;

const REPLY: &[u8] = include_bytes!("testdata/openssl-reply.tsr");
const QUERY: &[u8] = include_bytes!("testdata/query.tsq");
const DATA: &[u8] = include_bytes!("testdata/data.txt");
const CA: &[u8] = include_bytes!("testdata/openssl-ca.pem");

fn trusted() -> Vec<TsaTrust> {
    vec![TsaTrust::from_bytes("openssl-test", CA).unwrap()]
}

fn token() -> Vec<u8> {
    token::token_of_reply(REPLY).unwrap()
}

#[test]
fn openssl_token_verifies_with_its_fractional_gen_time() {
    let v = verify_token(&token(), &imprint(DATA), &trusted()).unwrap();
    let t = &v.timestamp;
    assert_eq!(t.gen_time_text, "20261206191740.891Z");
    assert_eq!(t.gen_time_iso(), "2026-12-06T19:17:40.891Z");
    assert_eq!(t.gen_micros, 891_000);
    // accuracy = secs:1, millisecs:500, microsecs:100.
    assert_eq!(t.accuracy_micros, Some(1_500_100));
    // 40.891 + 1.5001 = 42.3911, rounded up.
    assert_eq!(crate::text::utc(t.bound()), "2026-12-06T19:17:43Z");
    assert_eq!(t.policy, "1.3.6.1.4.1.99999.3161.1");
    assert_eq!(v.tsa, "openssl-test");
    assert!(v.signer.contains("CN=Test TSA"), "{}", v.signer);
    assert!(
        v.describe().starts_with("by 2026-12-06T19:17:43Z"),
        "{}",
        v.describe()
    );
    assert_eq!(
        t.tsa_name.as_deref().map(|n| n.contains("Test TSA")),
        Some(true)
    );
    // The strict parser refuses this token's TSTInfo.
    let info = token::read(&token()).unwrap();
    use der::Decode;
    assert!(x509_tsp::TstInfo::from_der(&info.econtent).is_err());
}

#[test]
fn our_request_encodes_as_openssl_reads_it() {
    // The query OpenSSL made, decoded, re-encodes to its bytes; ours has the
    // same shape (version, SHA-256 imprint with NULL parameters, nonce,
    // certReq).
    use der::{Decode, Encode};
    let q = x509_tsp::TimeStampReq::from_der(QUERY).unwrap();
    assert_eq!(q.to_der().unwrap(), QUERY);
    let ours = request(
        &imprint(DATA),
        q.nonce.as_ref().map_or(0, |n| {
            u64::from_be_bytes(
                <[u8; 8]>::try_from(&n.as_bytes()[n.as_bytes().len() - 8..]).unwrap(),
            )
        }),
    );
    assert_eq!(
        ours, QUERY,
        "byte for byte what `openssl ts -query -sha256 -cert` writes"
    );
}

#[test]
fn a_reply_is_checked_against_its_request() {
    let q = {
        use der::Decode;
        x509_tsp::TimeStampReq::from_der(QUERY).unwrap()
    };
    let n = q.nonce.unwrap();
    let nonce =
        u64::from_be_bytes(<[u8; 8]>::try_from(&n.as_bytes()[n.as_bytes().len() - 8..]).unwrap());
    let (tok, t) = token_from_reply(REPLY, &imprint(DATA), nonce).unwrap();
    assert_eq!(tok, token());
    assert_eq!(t.gen_micros, 891_000);
    assert!(matches!(
        token_from_reply(REPLY, &imprint(DATA), nonce ^ 1),
        Err(TsaError::Mismatch(m)) if m.contains("nonce")
    ));
    assert!(matches!(
        token_from_reply(REPLY, &imprint(b"other"), nonce),
        Err(TsaError::Mismatch(m)) if m.contains("not this checkpoint")
    ));
}

#[test]
fn every_flipped_byte_of_the_token_is_refused_or_changes_nothing_it_says() {
    let good = verify_token(&token(), &imprint(DATA), &trusted()).unwrap();
    let tok = token();
    for i in 0..tok.len() {
        let mut t = tok.clone();
        t[i] ^= 0x01;
        // Never a panic; either refused, or (a byte of an unsigned part,
        // such as the carried root certificate's own signature) the same
        // verified statement.
        if let Ok(v) = verify_token(&t, &imprint(DATA), &trusted()) {
            assert_eq!(v.timestamp, good.timestamp, "byte {i} changed what it says");
        }
    }
}

#[test]
fn another_message_another_anchor_and_a_truncated_token_are_refused() {
    let e = verify_token(&token(), &imprint(b"else"), &trusted()).unwrap_err();
    assert!(matches!(e, TsaError::Mismatch(_)), "{e}");
    let e = verify_token(&token(), &imprint(DATA), &[]).unwrap_err();
    assert!(e.to_string().contains("names no TSA"), "{e}");
    // Another anchor: the P-384 fixture's root is not this TSA's.
    let other = include_bytes!("testdata/p384-root.pem");
    let e = verify_token(
        &token(),
        &imprint(DATA),
        &[TsaTrust::from_bytes("other", other).unwrap()],
    )
    .unwrap_err();
    assert!(matches!(e, TsaError::Untrusted(_)), "{e}");
    let tok = token();
    for n in [0, 1, 10, tok.len() / 2, tok.len() - 1] {
        assert!(verify_token(&tok[..n], &imprint(DATA), &trusted()).is_err());
    }
    let big = vec![0u8; MAX_TOKEN_SIZE + 1];
    assert!(matches!(
        verify_token(&big, &imprint(DATA), &trusted()),
        Err(TsaError::TooLarge { .. })
    ));
}

#[test]
fn fractional_times_are_read_as_rfc_3161_writes_them() {
    use der::Decode;
    let read = |s: &str| {
        let mut enc = vec![0x18, s.len() as u8];
        enc.extend_from_slice(s.as_bytes());
        token::GenTime::from_der(&enc)
    };
    let t = read("20261206191740.5Z").unwrap();
    assert_eq!((t.micros, t.secs % 60), (500_000, 40));
    assert!(read("20261206191740Z").is_ok());
    for bad in [
        "20261206191740.50Z", // trailing zero
        "20261206191740.Z",   // a dot with no digits
        "20261206191740.5",   // no Z
        "202612061917Z",      // no seconds
        "20261306191740Z",    // month 13
        "20261206191740+0100",
    ] {
        assert!(read(bad).is_err(), "{bad}");
    }
}

/// OpenSSL's defaults on the other axes: ECDSA P-384 with SHA-384, the TSA
/// under an intermediate CA (both carried in the token), ESS
/// signing-certificate v1 (SHA-1), whole seconds, no accuracy.
/// `openssl ts -verify -data testdata/data.txt -in p384-chain-reply.tsr
/// -CAfile p384-root.pem -untrusted INTERMEDIATE` says `Verification: OK`.
#[test]
fn a_p384_token_under_an_intermediate_with_ess_v1_verifies() {
    let reply = include_bytes!("testdata/p384-chain-reply.tsr");
    let root = include_bytes!("testdata/p384-root.pem");
    let tok = token::token_of_reply(reply).unwrap();
    let p384 = [TsaTrust::from_bytes("p384", root).unwrap()];
    let v = verify_token(&tok, &imprint(DATA), &p384).unwrap();
    assert!(v.signer.contains("CN=P384 TSA"), "{}", v.signer);
    assert_eq!(v.timestamp.accuracy_micros, None);
    assert_eq!(v.timestamp.gen_micros, 0);
    assert_eq!(v.timestamp.bound(), v.timestamp.gen_time);
    assert!(
        v.describe().contains("no accuracy stated"),
        "{}",
        v.describe()
    );
    // The first token's root is not this one's anchor.
    assert!(matches!(
        verify_token(&tok, &imprint(DATA), &trusted()),
        Err(TsaError::Untrusted(_))
    ));
    // Every byte flipped: refused, or (an unsigned part) the same statement.
    // Every fifth byte: P-384 in a debug build is slow, and the first test
    // flips them all.
    for i in (0..tok.len()).step_by(5) {
        let mut t = tok.clone();
        t[i] ^= 0x80;
        if let Ok(w) = verify_token(&t, &imprint(DATA), &p384) {
            assert_eq!(w.timestamp, v.timestamp, "byte {i}");
        }
    }
}
