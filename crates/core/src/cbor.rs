//! Deterministic CBOR (RFC 8949 §4.2.1 "core deterministic encoding").
//!
//! Everything the ledger hashes or signs goes through [`encode`], which
//! writes the shortest integer and length forms, definite lengths only, map
//! keys sorted by their encoded bytes, and refuses duplicate keys and floats.
//! [`decode`] accepts only input that re-encodes to the very same bytes, so a
//! statement has exactly one valid encoding. `ciborium` parses; it does not
//! enforce any of this on its own.

pub use ciborium::Value;

/// Largest CBOR item accepted by [`decode`] (signed statements are smaller).
pub const MAX_CBOR_SIZE: usize = 1 << 20;

/// Why CBOR was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CborError {
    /// Not well-formed CBOR.
    #[error("malformed CBOR: {0}")]
    Malformed(String),
    /// Well-formed, but not in deterministic form.
    #[error("CBOR is not in deterministic form (RFC 8949 §4.2.1): {0}")]
    NotDeterministic(String),
    /// Bytes after the single top-level item.
    #[error("{0} trailing bytes after the CBOR item")]
    TrailingBytes(usize),
    /// Larger than the limit ([`MAX_CBOR_SIZE`] unless the caller set another).
    #[error("CBOR item of {0} bytes exceeds the {1}-byte limit")]
    TooLarge(usize, usize),
    /// A value the profile does not allow.
    #[error("not allowed in this profile: {0}")]
    Unsupported(String),
    /// Mapping to or from a Rust type failed.
    #[error("CBOR does not match the expected structure: {0}")]
    Shape(String),
}

/// Where an encoding goes: a buffer, or a comparison with bytes received.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Compares an encoding with `expected` as it is produced, keeping nothing:
/// the check that input is its own deterministic encoding costs no copy
/// of it (a pack is up to 16 MiB).
struct Compare<'a> {
    expected: &'a [u8],
    at: usize,
    differs: Option<usize>,
}

impl Sink for Compare<'_> {
    fn put(&mut self, bytes: &[u8]) {
        if self.differs.is_some() {
            return;
        }
        let rest = &self.expected[self.at..];
        match rest.iter().zip(bytes).position(|(a, b)| a != b) {
            Some(i) => self.differs = Some(self.at + i),
            None if bytes.len() > rest.len() => self.differs = Some(self.expected.len()),
            None => self.at += bytes.len(),
        }
    }
}

fn head(out: &mut dyn Sink, major: u8, arg: u64) {
    let m = major << 5;
    match arg {
        0..=23 => out.put(&[m | arg as u8]),
        24..=0xff => out.put(&[m | 24, arg as u8]),
        0x100..=0xffff => {
            out.put(&[m | 25]);
            out.put(&(arg as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.put(&[m | 26]);
            out.put(&(arg as u32).to_be_bytes());
        }
        _ => {
            out.put(&[m | 27]);
            out.put(&arg.to_be_bytes());
        }
    }
}

fn encode_into(v: &Value, out: &mut dyn Sink) -> Result<(), CborError> {
    match v {
        Value::Integer(i) => {
            let n = i128::from(*i);
            if n >= 0 {
                head(out, 0, n as u64);
            } else {
                head(out, 1, (-1 - n) as u64);
            }
        }
        Value::Bytes(b) => {
            head(out, 2, b.len() as u64);
            out.put(b);
        }
        Value::Text(t) => {
            head(out, 3, t.len() as u64);
            out.put(t.as_bytes());
        }
        Value::Array(items) => {
            head(out, 4, items.len() as u64);
            for item in items {
                encode_into(item, out)?;
            }
        }
        Value::Map(entries) => {
            // Sorted by the keys' encodings; the values are written in
            // place, never held encoded.
            let mut keyed: Vec<(Vec<u8>, &Value)> = Vec::with_capacity(entries.len());
            for (k, val) in entries {
                keyed.push((encode(k)?, val));
            }
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            if let Some(w) = keyed.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(CborError::NotDeterministic(format!(
                    "duplicate map key {}",
                    crate::hex::encode(&w[0].0)
                )));
            }
            head(out, 5, keyed.len() as u64);
            for (k, val) in keyed {
                out.put(&k);
                encode_into(val, out)?;
            }
        }
        Value::Tag(2 | 3, _) => return Err(bignums()),
        Value::Tag(tag, inner) => {
            head(out, 6, *tag);
            encode_into(inner, out)?;
        }
        Value::Bool(b) => out.put(&[if *b { 0xf5 } else { 0xf4 }]),
        Value::Null => out.put(&[0xf6]),
        Value::Float(_) => return Err(CborError::Unsupported("floating-point numbers".into())),
        _ => return Err(CborError::Unsupported("this kind of simple value".into())),
    }
    Ok(())
}

/// Encodes a value in deterministic form.
pub fn encode(v: &Value) -> Result<Vec<u8>, CborError> {
    let mut out = Vec::new();
    encode_into(v, &mut out)?;
    Ok(out)
}

/// A decoding error in words (truncation named as such).
pub fn describe_de_error(e: ciborium::de::Error<std::io::Error>) -> String {
    match e {
        ciborium::de::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated: the data ends inside an item".into()
        }
        ciborium::de::Error::Io(io) => io.to_string(),
        ciborium::de::Error::Syntax(at) => format!("syntax error at byte {at}"),
        ciborium::de::Error::Semantic(at, m) => match at {
            Some(at) => format!("{m} at byte {at}"),
            None => m,
        },
        ciborium::de::Error::RecursionLimitExceeded => "nested too deeply".into(),
    }
}

/// The value of a text key in a decoded map (the first, if a non-canonical
/// map repeats it; [`decode`] refuses those).
pub fn get<'a>(map: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

/// Decodes one CBOR item, refusing anything that is not exactly its own
/// deterministic encoding (non-shortest forms, indefinite lengths, unsorted
/// or duplicate map keys, floats, trailing bytes).
pub fn decode(bytes: &[u8]) -> Result<Value, CborError> {
    decode_with_limit(bytes, MAX_CBOR_SIZE)
}

/// [`decode`] with another size limit (e.g. for evidence packs).
pub fn decode_with_limit(bytes: &[u8], limit: usize) -> Result<Value, CborError> {
    if bytes.len() > limit {
        return Err(CborError::TooLarge(bytes.len(), limit));
    }
    let mut cursor = std::io::Cursor::new(bytes);
    let v: Value = ciborium::de::from_reader(&mut cursor).map_err(|e| {
        CborError::Malformed(format!("{} ({} bytes)", describe_de_error(e), bytes.len()))
    })?;
    let used = cursor.position() as usize;
    if used != bytes.len() {
        return Err(CborError::TrailingBytes(bytes.len() - used));
    }
    let mut same = Compare {
        expected: bytes,
        at: 0,
        differs: None,
    };
    encode_into(&v, &mut same)?;
    if let Some(at) = same.differs.or((same.at != bytes.len()).then_some(same.at)) {
        return Err(CborError::NotDeterministic(format!(
            "differs from the deterministic encoding at byte {at}"
        )));
    }
    Ok(v)
}

/// Decodes one well-formed CBOR item in any encoding (what another
/// implementation may write: unsorted map keys, long forms, indefinite
/// lengths). Still refused: trailing bytes, more than `limit` bytes,
/// duplicate map keys (RFC 8949 §5.6, RFC 9052 §3), floats and other simple
/// values, nesting past ciborium's limit. For reading others' signed
/// messages, whose signatures cover the bytes as received; nothing the
/// ledger writes goes through this.
pub fn decode_relaxed(bytes: &[u8], limit: usize) -> Result<Value, CborError> {
    if bytes.len() > limit {
        return Err(CborError::TooLarge(bytes.len(), limit));
    }
    let mut cursor = std::io::Cursor::new(bytes);
    let v: Value = ciborium::de::from_reader(&mut cursor).map_err(|e| {
        CborError::Malformed(format!("{} ({} bytes)", describe_de_error(e), bytes.len()))
    })?;
    let used = cursor.position() as usize;
    if used != bytes.len() {
        return Err(CborError::TrailingBytes(bytes.len() - used));
    }
    // ciborium reads `undefined` as null; only false, true and null are
    // simple values here.
    let mut at = 0;
    skip_item(bytes, &mut at, 0)?;
    // The deterministic encoder refuses duplicate keys and floats wherever
    // they are; its output is thrown away.
    encode(&v).map_err(|e| match e {
        CborError::NotDeterministic(m) => CborError::Malformed(m),
        other => other,
    })?;
    Ok(v)
}

/// Walks one well-formed item from `bytes[*at..]` (already parsed by
/// ciborium, so lengths are in range), refusing simple values other than
/// false, true and null.
/// Bignums (tags 2 and 3) are in no profile read here, and their
/// deterministic form depends on their value (RFC 8949 §4.2.2: an integer
/// when it fits): refused (found by fuzzing: `c3 5f ff`, read by the relaxed
/// decoder, encoded to a form the strict decoder refused).
fn bignums() -> CborError {
    CborError::Unsupported("bignums (tags 2 and 3)".into())
}

fn skip_item(bytes: &[u8], at: &mut usize, depth: usize) -> Result<(), CborError> {
    let malformed = |m: &str| CborError::Malformed(m.to_string());
    if depth > 256 {
        return Err(malformed("nested too deeply"));
    }
    let head = *bytes.get(*at).ok_or_else(|| malformed("truncated"))?;
    *at += 1;
    let (major, info) = (head >> 5, head & 0x1f);
    let arg = |at: &mut usize| -> Result<Option<u64>, CborError> {
        let n = match info {
            0..=23 => return Ok(Some(u64::from(info))),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 => return Ok(None),
            _ => return Err(malformed("reserved additional information")),
        };
        let b = bytes
            .get(*at..*at + n)
            .ok_or_else(|| malformed("truncated"))?;
        *at += n;
        Ok(Some(b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x))))
    };
    match major {
        0 | 1 => {
            arg(at)?.ok_or_else(|| malformed("indefinite integer"))?;
        }
        2 | 3 => match arg(at)? {
            Some(n) => *at += usize::try_from(n).map_err(|_| malformed("string too long"))?,
            None => {
                while bytes.get(*at) != Some(&0xff) {
                    skip_item(bytes, at, depth + 1)?;
                }
                *at += 1;
            }
        },
        4 | 5 => {
            let per = if major == 5 { 2 } else { 1 };
            match arg(at)? {
                Some(n) => {
                    for _ in 0..n.saturating_mul(per) {
                        skip_item(bytes, at, depth + 1)?;
                    }
                }
                None => {
                    while bytes.get(*at) != Some(&0xff) {
                        skip_item(bytes, at, depth + 1)?;
                    }
                    *at += 1;
                }
            }
        }
        6 => {
            let tag = arg(at)?.ok_or_else(|| malformed("indefinite tag"))?;
            if tag == 2 || tag == 3 {
                return Err(bignums());
            }
            skip_item(bytes, at, depth + 1)?;
        }
        _ => match info {
            20..=22 => {}
            23 => return Err(CborError::Unsupported("the simple value undefined".into())),
            25..=27 => return Err(CborError::Unsupported("floating-point numbers".into())),
            _ => return Err(CborError::Unsupported("this kind of simple value".into())),
        },
    }
    if *at > bytes.len() {
        return Err(malformed("truncated"));
    }
    Ok(())
}

/// Serialises a Rust value (through serde) in deterministic form.
pub fn to_vec<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CborError> {
    let v = Value::serialized(value).map_err(|e| CborError::Shape(e.to_string()))?;
    encode(&v)
}

/// Decodes deterministic CBOR into a Rust value (through serde).
pub fn from_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, CborError> {
    decode(bytes)?
        .deserialized()
        .map_err(|e| CborError::Shape(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn int(n: i128) -> Value {
        Value::Integer(n.try_into().unwrap())
    }

    /// RFC 8949 Appendix A examples that are in deterministic form.
    #[test]
    fn rfc8949_appendix_a_round_trips() {
        let cases: Vec<(Value, &str)> = vec![
            (int(0), "00"),
            (int(1), "01"),
            (int(10), "0a"),
            (int(23), "17"),
            (int(24), "1818"),
            (int(25), "1819"),
            (int(100), "1864"),
            (int(1000), "1903e8"),
            (int(1000000), "1a000f4240"),
            (int(1000000000000), "1b000000e8d4a51000"),
            (int(18446744073709551615), "1bffffffffffffffff"),
            (int(-18446744073709551616), "3bffffffffffffffff"),
            (int(-1), "20"),
            (int(-10), "29"),
            (int(-100), "3863"),
            (int(-1000), "3903e7"),
            (Value::Bool(false), "f4"),
            (Value::Bool(true), "f5"),
            (Value::Null, "f6"),
            (Value::Tag(1, Box::new(int(1363896240))), "c11a514b67b0"),
            (Value::Bytes(vec![]), "40"),
            (Value::Bytes(vec![1, 2, 3, 4]), "4401020304"),
            (Value::Text(String::new()), "60"),
            (Value::Text("a".into()), "6161"),
            (Value::Text("IETF".into()), "6449455446"),
            (Value::Text("\"\\".into()), "62225c"),
            (Value::Text("\u{00fc}".into()), "62c3bc"),
            (Value::Text("\u{6c34}".into()), "63e6b0b4"),
            (Value::Array(vec![]), "80"),
            (Value::Array(vec![int(1), int(2), int(3)]), "83010203"),
            (
                Value::Array(vec![
                    int(1),
                    Value::Array(vec![int(2), int(3)]),
                    Value::Array(vec![int(4), int(5)]),
                ]),
                "8301820203820405",
            ),
            (
                Value::Array((1..=25).map(int).collect()),
                "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
            ),
            (Value::Map(vec![]), "a0"),
            (
                Value::Map(vec![(int(1), int(2)), (int(3), int(4))]),
                "a201020304",
            ),
            (
                Value::Map(vec![
                    (Value::Text("a".into()), int(1)),
                    (Value::Text("b".into()), Value::Array(vec![int(2), int(3)])),
                ]),
                "a26161016162820203",
            ),
        ];
        for (v, h) in cases {
            assert_eq!(crate::hex::encode(&encode(&v).unwrap()), h, "{v:?}");
            assert_eq!(decode(&unhex(h)).unwrap(), v, "{h}");
        }
    }

    /// RFC 8949 §4.2.1's example of key order.
    #[test]
    fn map_keys_sort_by_encoded_bytes() {
        let keys = vec![
            Value::Bool(false),
            Value::Array(vec![int(-1)]),
            Value::Array(vec![int(100)]),
            Value::Text("aa".into()),
            Value::Text("z".into()),
            int(-1),
            int(100),
            int(10),
        ];
        let m = Value::Map(keys.iter().cloned().map(|k| (k, Value::Null)).collect());
        let bytes = encode(&m).unwrap();
        let Value::Map(sorted) = decode(&bytes).unwrap() else {
            panic!()
        };
        let order: Vec<Value> = sorted.into_iter().map(|(k, _)| k).collect();
        let mut want = keys;
        want.reverse();
        assert_eq!(order, want);
    }

    #[test]
    fn non_deterministic_input_is_refused_with_a_reason() {
        for (h, what) in [
            ("1817", "non-shortest integer"),
            ("190017", "non-shortest integer"),
            ("5800", "non-shortest length"),
            ("9f0102ff", "indefinite array"),
            ("5f4101ff", "indefinite bytes"),
            ("a203040102", "unsorted map"),
            ("a201020103", "duplicate key"),
            ("f93c00", "half float"),
            ("fb3ff0000000000000", "double float"),
            ("f7", "undefined"),
        ] {
            let err = decode(&unhex(h)).unwrap_err();
            assert!(
                matches!(
                    err,
                    CborError::NotDeterministic(_) | CborError::Unsupported(_)
                ),
                "{what} ({h}) gave {err:?}"
            );
        }
        assert_eq!(
            decode(&unhex("0000")).unwrap_err(),
            CborError::TrailingBytes(1)
        );
        assert!(matches!(
            decode(&unhex("18")).unwrap_err(),
            CborError::Malformed(_)
        ));
        assert!(matches!(
            decode(&unhex("62c3")).unwrap_err(),
            CborError::Malformed(_)
        ));
        assert!(matches!(decode(&[]).unwrap_err(), CborError::Malformed(_)));
        assert!(matches!(
            decode(&vec![0x40; MAX_CBOR_SIZE + 1]).unwrap_err(),
            CborError::TooLarge(..)
        ));
    }

    #[test]
    fn relaxed_decoding_takes_any_order_but_not_duplicates_or_trailing_bytes() {
        // {2: 0, 1: 0}: unsorted, refused by decode, taken by decode_relaxed.
        let unsorted = unhex("a202000100");
        assert!(matches!(
            decode(&unsorted),
            Err(CborError::NotDeterministic(_))
        ));
        assert!(decode_relaxed(&unsorted, 100).is_ok());
        // An indefinite-length array [_ 1, 2] and a long-form 1.
        assert!(decode_relaxed(&unhex("9f0102ff"), 100).is_ok());
        assert!(decode_relaxed(&unhex("1801"), 100).is_ok());
        // {1: 0, 1: 1}: a duplicate key.
        let e = decode_relaxed(&unhex("a201000101"), 100).unwrap_err();
        assert!(e.to_string().contains("duplicate"), "{e}");
        assert_eq!(
            decode_relaxed(&unhex("0100"), 100),
            Err(CborError::TrailingBytes(1))
        );
        assert_eq!(
            decode_relaxed(&unhex("01"), 0),
            Err(CborError::TooLarge(1, 0))
        );
        // undefined (ciborium reads it as null), inside an indefinite array.
        assert!(decode_relaxed(&unhex("9ff6ff"), 100).is_ok());
        assert!(decode_relaxed(&unhex("9ff7ff"), 100).is_err());
        assert!(decode_relaxed(&unhex("f7"), 100).is_err());
    }

    /// Found by fuzzing (`cbor_decode`, 2026-12-02): `c3 5f ff`, a negative
    /// bignum of an indefinite empty byte string, was read by the relaxed
    /// decoder and encoded as `c3 40`, which the strict decoder refused (it
    /// reads -1, whose encoding is `20`): its "deterministic encoding" was not.
    #[test]
    fn bignums_are_refused_by_every_decoder_and_the_encoder() {
        for hex in ["c35fff", "c340", "c24101", "c2420100"] {
            let e = decode_relaxed(&unhex(hex), 100).unwrap_err();
            assert!(e.to_string().contains("bignums"), "{hex}: {e}");
            assert!(decode(&unhex(hex)).is_err(), "{hex}");
        }
        let big = Value::Tag(2, Box::new(Value::Bytes(vec![1])));
        assert!(encode(&big).unwrap_err().to_string().contains("bignums"));
        // Other tags still pass.
        assert!(decode_relaxed(&unhex("d818450102030405"), 100).is_ok());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut deep = vec![0x81u8; 100_000];
        deep.push(0x00);
        assert!(decode(&deep).is_err());
    }

    #[test]
    fn serde_structs_come_out_sorted() {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct S {
            zeta: u8,
            #[serde(with = "serde_bytes")]
            alpha: Vec<u8>,
        }
        let s = S {
            zeta: 1,
            alpha: vec![7],
        };
        let b = to_vec(&s).unwrap();
        // Keys sort by their encoded bytes, length byte first: "zeta" (64 7a…)
        // comes before "alpha" (65 61…), whatever the struct's field order.
        assert_eq!(crate::hex::encode(&b), "a2647a6574610165616c7068614107");
        assert_eq!(from_slice::<S>(&b).unwrap(), s);
    }
}
