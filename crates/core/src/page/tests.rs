//! The page's call on the native build: its input format both ways, and
//! refusals that name what is wrong. (Packs are verified through it in the
//! main crate's tests, beside the CLI's verdicts, and in Chromium.)

use super::*;

#[test]
fn the_input_reads_back_and_bad_input_is_named() {
    let mut input = PageInput {
        packs: vec![("a.pack".into(), vec![1, 2, 3])],
        trust: TrustFiles::from_named(
            "trust",
            [
                ("root.pem".to_string(), b"x".to_vec()),
                ("tsa/one.pem".to_string(), b"y".to_vec()),
                // Not a trust file: left out.
                ("notes.txt".to_string(), b"z".to_vec()),
                ("tsa/deep/two.pem".to_string(), b"z".to_vec()),
            ],
        ),
        now: 1_790_000_000,
    };
    assert_eq!(input.trust.files.len(), 2);
    let bytes = encode_input(&input);
    assert_eq!(decode_input(&bytes).unwrap(), input);
    for cut in 1..bytes.len() {
        // Every truncation that is not at a record's end is named.
        if let Err(e) = decode_input(&bytes[..cut]) {
            assert!(e.starts_with("truncated"), "{e}");
        }
    }
    input.packs.clear();
    let mut odd = encode_input(&input);
    odd.extend_from_slice(&3u32.to_le_bytes());
    odd.extend_from_slice(b"why");
    odd.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(decode_input(&odd).unwrap_err(), "unknown record \"why\"");
}

#[test]
fn no_trust_or_bad_trust_is_an_error_not_a_verdict() {
    let none = run(&encode_input(&PageInput::default()));
    assert!(none.contains("\"error\":\"no trust"), "{none}");
    let bad = PageInput {
        trust: TrustFiles::from_named("t", [("root.pem".to_string(), b"nope".to_vec())]),
        ..Default::default()
    };
    let out = run(&encode_input(&bad));
    assert!(out.contains("\"error\":\"trust: t/root.pem"), "{out}");
    let garbage = run(&[0xff, 0xff, 0xff]);
    assert!(garbage.contains("the page's input: truncated"), "{garbage}");
}
