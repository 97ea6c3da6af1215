//! COSE_Sign1 (RFC 9052 §4.2) with EdDSA / Ed25519, and the signed-statement
//! profile of SCITT (RFC 9943) that the ledger logs.
//!
//! Two layers: [`CoseSign1`] is the generic message (any headers, attached or
//! detached payload), signed and verified over the protected header bytes *as
//! received*; [`Statement`] is the ledger's strict profile of it.

mod receipt;

pub use receipt::{
    split_transparent, transparent_statement, tree_subject, Receipt, SignedRoot, Transparent,
    LABEL_RECEIPTS, LABEL_SALT, LABEL_VDP, LABEL_VDS, MAX_RECEIPT_SIZE, MAX_TRANSPARENT_SIZE,
    VDS_RFC9162_SHA256,
};

use ciborium::Value;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use crate::cbor::{self, CborError};

/// CBOR tag of COSE_Sign1.
pub const TAG_COSE_SIGN1: u64 = 18;
/// COSE algorithm id of EdDSA.
pub const ALG_EDDSA: i64 = -8;
/// Header label: algorithm.
pub const LABEL_ALG: i64 = 1;
/// Header label: content type.
pub const LABEL_CONTENT_TYPE: i64 = 3;
/// Header label: key id.
pub const LABEL_KID: i64 = 4;
/// Header label: CWT claims (RFC 9597).
pub const LABEL_CWT_CLAIMS: i64 = 15;
/// Header label: x5chain (RFC 9360).
pub const LABEL_X5CHAIN: i64 = 33;
/// CWT claim key: issuer.
pub const CWT_ISS: i64 = 1;
/// CWT claim key: subject.
pub const CWT_SUB: i64 = 2;
/// Header label: critical headers (RFC 9052 §3.1).
pub const LABEL_CRIT: i64 = 2;
/// CWT claim key: issued at.
pub const CWT_IAT: i64 = 6;
/// Largest signed statement the ledger accepts (a log entry's limit).
pub const MAX_STATEMENT_SIZE: usize = 65_535;

/// A COSE header map: (label, value) pairs.
pub type HeaderMap = Vec<(Value, Value)>;

/// Why a COSE message was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CoseError {
    /// The bytes are not acceptable CBOR.
    #[error(transparent)]
    Cbor(#[from] CborError),
    /// The CBOR is not a COSE_Sign1 of the expected shape.
    #[error("not a valid COSE_Sign1: {0}")]
    Structure(String),
    /// The message breaks the ledger's statement profile.
    #[error("statement profile: {0}")]
    Profile(String),
    /// The statement is larger than a log entry may be.
    #[error("statement of {0} bytes exceeds the {MAX_STATEMENT_SIZE}-byte limit")]
    TooLarge(usize),
    /// The signature does not verify with the given key.
    #[error("the COSE signature does not verify with the signer's key")]
    BadSignature,
    /// A key kept elsewhere (a token) could not sign.
    #[error("the key could not sign: {0}")]
    Signer(String),
}

impl CoseError {}

impl crate::class::Classify for CoseError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            CoseError::BadSignature => Class::VerificationFailed,
            CoseError::Signer(_) => Class::Unavailable,
            _ => Class::BadInput,
        }
    }
}

fn structure(msg: impl Into<String>) -> CoseError {
    CoseError::Structure(msg.into())
}

/// A COSE_Sign1 message: `18([protected: bstr, unprotected: map, payload: bstr / nil, signature: bstr])`.
#[derive(Clone, Debug, PartialEq)]
pub struct CoseSign1 {
    protected: Vec<u8>,
    unprotected: Vec<(Value, Value)>,
    payload: Option<Vec<u8>>,
    signature: Vec<u8>,
}

impl CoseSign1 {
    /// Signs with Ed25519. `protected` is the already-encoded protected header
    /// map; a detached payload is signed but not carried (`payload` None in
    /// the message, `detached` given here).
    pub fn sign(
        protected: Vec<u8>,
        unprotected: Vec<(Value, Value)>,
        payload: &[u8],
        detached: bool,
        key: &SigningKey,
    ) -> Result<Self, CoseError> {
        Self::sign_with(protected, unprotected, payload, detached, |tbs| {
            Ok(key.sign(tbs).to_bytes())
        })
    }

    /// [`CoseSign1::sign`] with a signing function (a log's signer, which
    /// may live elsewhere): it is given the `Sig_structure` bytes and
    /// returns the Ed25519 signature.
    pub fn sign_with(
        protected: Vec<u8>,
        unprotected: Vec<(Value, Value)>,
        payload: &[u8],
        detached: bool,
        sign: impl FnOnce(&[u8]) -> Result<[u8; 64], CoseError>,
    ) -> Result<Self, CoseError> {
        let tbs = to_be_signed(&protected, payload)?;
        let signature = sign(&tbs)?.to_vec();
        Ok(CoseSign1 {
            protected,
            unprotected,
            payload: (!detached).then(|| payload.to_vec()),
            signature,
        })
    }

    /// A message with a detached payload from parts already signed (a
    /// signature shared by several messages over the same protected header
    /// and payload, as receipts against one tree share theirs).
    pub(crate) fn detached(
        protected: Vec<u8>,
        unprotected: Vec<(Value, Value)>,
        signature: Vec<u8>,
    ) -> Self {
        CoseSign1 {
            protected,
            unprotected,
            payload: None,
            signature,
        }
    }

    /// Parses a tagged COSE_Sign1 from a CBOR value.
    pub fn from_value(v: Value) -> Result<Self, CoseError> {
        let Value::Tag(TAG_COSE_SIGN1, inner) = v else {
            return Err(structure("expected CBOR tag 18 (COSE_Sign1)"));
        };
        let Value::Array(items) = *inner else {
            return Err(structure("expected an array of 4 items"));
        };
        let [protected, unprotected, payload, signature]: [Value; 4] = items
            .try_into()
            .map_err(|v: Vec<Value>| structure(format!("expected 4 items, got {}", v.len())))?;
        let Value::Bytes(protected) = protected else {
            return Err(structure("protected header must be a byte string"));
        };
        let Value::Map(unprotected) = unprotected else {
            return Err(structure("unprotected header must be a map"));
        };
        let payload = match payload {
            Value::Bytes(b) => Some(b),
            Value::Null => None,
            _ => return Err(structure("payload must be a byte string or nil")),
        };
        let Value::Bytes(signature) = signature else {
            return Err(structure("signature must be a byte string"));
        };
        Ok(CoseSign1 {
            protected,
            unprotected,
            payload,
            signature,
        })
    }

    /// Parses and checks that the whole message is deterministic CBOR.
    pub fn parse(bytes: &[u8]) -> Result<Self, CoseError> {
        Self::from_value(cbor::decode(bytes)?)
    }

    /// Parses a COSE_Sign1 written by another implementation: any
    /// well-formed CBOR encoding up to `limit` bytes. The protected header
    /// is kept as received, which is what its signature covers.
    pub fn parse_relaxed(bytes: &[u8], limit: usize) -> Result<Self, CoseError> {
        Self::from_value(cbor::decode_relaxed(bytes, limit)?)
    }

    /// The message as a CBOR value.
    pub fn to_value(&self) -> Value {
        Value::Tag(
            TAG_COSE_SIGN1,
            Box::new(Value::Array(vec![
                Value::Bytes(self.protected.clone()),
                Value::Map(self.unprotected.clone()),
                self.payload
                    .clone()
                    .map(Value::Bytes)
                    .unwrap_or(Value::Null),
                Value::Bytes(self.signature.clone()),
            ])),
        )
    }

    /// The message in deterministic CBOR.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CoseError> {
        Ok(cbor::encode(&self.to_value())?)
    }

    /// The protected header bytes, as received.
    pub fn protected_bytes(&self) -> &[u8] {
        &self.protected
    }
    /// The decoded protected header map (must itself be deterministic CBOR).
    pub fn protected_map(&self) -> Result<Vec<(Value, Value)>, CoseError> {
        if self.protected.is_empty() {
            return Ok(Vec::new());
        }
        match cbor::decode(&self.protected)? {
            Value::Map(m) => Ok(m),
            _ => Err(structure("protected header must encode a map")),
        }
    }
    /// The decoded protected header map of a message from another
    /// implementation: any well-formed encoding (its bytes stay as received).
    pub fn protected_map_relaxed(&self) -> Result<Vec<(Value, Value)>, CoseError> {
        if self.protected.is_empty() {
            return Ok(Vec::new());
        }
        match cbor::decode_relaxed(&self.protected, self.protected.len())? {
            Value::Map(m) => Ok(m),
            _ => Err(structure("protected header must encode a map")),
        }
    }
    /// The unprotected header.
    pub fn unprotected(&self) -> &[(Value, Value)] {
        &self.unprotected
    }
    /// Replaces the unprotected header (it is not signed).
    pub fn set_unprotected(&mut self, unprotected: Vec<(Value, Value)>) {
        self.unprotected = unprotected;
    }
    /// The attached payload, if any.
    pub fn payload(&self) -> Option<&[u8]> {
        self.payload.as_deref()
    }
    /// The signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Verifies the Ed25519 signature over `Sig_structure1` built from the
    /// received protected bytes and the attached payload (or `detached`).
    pub fn verify(&self, key: &VerifyingKey, detached: Option<&[u8]>) -> Result<(), CoseError> {
        let payload = match (&self.payload, detached) {
            (Some(p), None) => p.as_slice(),
            (None, Some(d)) => d,
            (Some(_), Some(_)) => {
                return Err(structure(
                    "payload is attached; a detached payload was also given",
                ))
            }
            (None, None) => return Err(structure("payload is detached and none was given")),
        };
        let sig = ed25519_dalek::Signature::from_slice(&self.signature).map_err(|_| {
            structure(format!(
                "an Ed25519 signature is 64 bytes, got {}",
                self.signature.len()
            ))
        })?;
        let tbs = to_be_signed(&self.protected, payload)?;
        key.verify_strict(&tbs, &sig)
            .map_err(|_| CoseError::BadSignature)
    }
}

/// `Sig_structure1 = ["Signature1", protected, external_aad = h'', payload]`.
pub fn to_be_signed(protected: &[u8], payload: &[u8]) -> Result<Vec<u8>, CoseError> {
    Ok(cbor::encode(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(protected.to_vec()),
        Value::Bytes(Vec::new()),
        Value::Bytes(payload.to_vec()),
    ]))?)
}

/// Looks up an integer label in a header map.
pub fn header(map: &[(Value, Value)], label: i64) -> Option<&Value> {
    map.iter()
        .find(|(k, _)| k.as_integer().and_then(|i| i64::try_from(i).ok()) == Some(label))
        .map(|(_, v)| v)
}

fn int(n: i64) -> Value {
    Value::Integer(n.into())
}

/// The content type and CWT `sub` of a tagged COSE_Sign1, read from its
/// protected header alone (no canonical-form or profile checks, no
/// signature): how a monitor classifies a million leaves quickly. `None` if
/// the bytes are not a COSE_Sign1 whose protected header has both.
pub fn peek_type_and_subject(bytes: &[u8]) -> Option<(String, String)> {
    if bytes.len() > MAX_STATEMENT_SIZE {
        return None;
    }
    let v: Value = ciborium::from_reader(bytes).ok()?;
    let Value::Tag(TAG_COSE_SIGN1, inner) = v else {
        return None;
    };
    let Value::Array(parts) = *inner else {
        return None;
    };
    let protected = parts.first()?.as_bytes()?;
    let Value::Map(map) = ciborium::from_reader::<Value, _>(protected.as_slice()).ok()? else {
        return None;
    };
    let ct = header(&map, LABEL_CONTENT_TYPE)?.as_text()?.to_string();
    let Value::Map(claims) = header(&map, LABEL_CWT_CLAIMS)? else {
        return None;
    };
    let sub = header(claims, CWT_SUB)?.as_text()?.to_string();
    Some((ct, sub))
}

/// Refuses a record whose text (values or keys, at any depth) holds a
/// control character or a bidirectional override: nothing a statement says
/// can rewrite the terminal or the lines of a report that shows it.
fn no_hidden_text(v: &Value) -> Result<(), CoseError> {
    match v {
        Value::Text(t) => crate::text::refuse_hidden("a text in the record", t)
            .map_err(|e| CoseError::Profile(format!("{e} (\"{}\")", crate::text::one_line(t)))),
        Value::Array(items) => items.iter().try_for_each(no_hidden_text),
        Value::Map(entries) => entries
            .iter()
            .try_for_each(|(k, v)| no_hidden_text(k).and_then(|()| no_hidden_text(v))),
        Value::Tag(_, inner) => no_hidden_text(inner),
        _ => Ok(()),
    }
}

/// The protected header of a ledger statement (formats.md §2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementHeader {
    /// Media type naming the record kind (`application/vnd.triage-ledger.<kind>+cbor`).
    pub content_type: String,
    /// CWT `iss`: the signer's identity (its certificate subject).
    pub issuer: String,
    /// CWT `sub`: the facility the statement is about.
    pub subject: String,
    /// CWT `iat`: when it was signed, in POSIX seconds.
    pub issued_at: u64,
    /// The signer's certificate, then intermediates (DER).
    pub x5chain: Vec<Vec<u8>>,
}

impl StatementHeader {
    /// Encodes the protected header map deterministically.
    pub fn encode(&self) -> Result<Vec<u8>, CoseError> {
        if self.x5chain.is_empty() {
            return Err(CoseError::Profile(
                "x5chain must hold the signer's certificate".into(),
            ));
        }
        let claims = Value::Map(vec![
            (int(CWT_ISS), Value::Text(self.issuer.clone())),
            (int(CWT_SUB), Value::Text(self.subject.clone())),
            (int(CWT_IAT), Value::Integer(self.issued_at.into())),
        ]);
        // RFC 9360: one certificate as a bstr, several as an array of bstr.
        let chain = if self.x5chain.len() == 1 {
            Value::Bytes(self.x5chain[0].clone())
        } else {
            Value::Array(self.x5chain.iter().cloned().map(Value::Bytes).collect())
        };
        Ok(cbor::encode(&Value::Map(vec![
            (int(LABEL_ALG), int(ALG_EDDSA)),
            (
                int(LABEL_CONTENT_TYPE),
                Value::Text(self.content_type.clone()),
            ),
            (int(LABEL_CWT_CLAIMS), claims),
            (int(LABEL_X5CHAIN), chain),
        ]))?)
    }

    /// Reads and checks a protected header map against the profile: exactly
    /// alg (-8), content type (text), CWT claims {iss, sub, iat} and x5chain.
    pub fn decode(map: &[(Value, Value)]) -> Result<Self, CoseError> {
        let profile = |m: &str| CoseError::Profile(m.to_string());
        for (k, _) in map {
            match k.as_integer().and_then(|i| i64::try_from(i).ok()) {
                Some(LABEL_ALG | LABEL_CONTENT_TYPE | LABEL_CWT_CLAIMS | LABEL_X5CHAIN) => {}
                _ => return Err(profile(&format!("unexpected protected header label {k:?}"))),
            }
        }
        match header(map, LABEL_ALG)
            .and_then(|v| v.as_integer())
            .and_then(|i| i64::try_from(i).ok())
        {
            Some(ALG_EDDSA) => {}
            Some(other) => return Err(profile(&format!("algorithm {other} is not EdDSA (-8)"))),
            None => return Err(profile("protected header has no algorithm (label 1)")),
        }
        let content_type = header(map, LABEL_CONTENT_TYPE)
            .and_then(|v| v.as_text())
            .ok_or_else(|| profile("protected header has no text content type (label 3)"))?
            .to_string();
        let claims = header(map, LABEL_CWT_CLAIMS)
            .and_then(|v| v.as_map())
            .ok_or_else(|| profile("protected header has no CWT claims map (label 15)"))?;
        for (k, _) in claims {
            match k.as_integer().and_then(|i| i64::try_from(i).ok()) {
                Some(CWT_ISS | CWT_SUB | CWT_IAT) => {}
                _ => return Err(profile(&format!("unexpected CWT claim {k:?}"))),
            }
        }
        let text_claim = |key: i64, name: &str| -> Result<String, CoseError> {
            header(claims, key)
                .and_then(|v| v.as_text())
                .map(str::to_string)
                .ok_or_else(|| profile(&format!("CWT claims lack a text {name} ({key})")))
        };
        let issuer = text_claim(CWT_ISS, "iss")?;
        let subject = text_claim(CWT_SUB, "sub")?;

        let issued_at = header(claims, CWT_IAT)
            .and_then(|v| v.as_integer())
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| profile("CWT claims lack a non-negative integer iat (6)"))?;
        let x5chain = match header(map, LABEL_X5CHAIN) {
            Some(Value::Bytes(b)) => vec![b.clone()],
            Some(Value::Array(items)) if items.len() >= 2 => items
                .iter()
                .map(|i| {
                    i.as_bytes()
                        .cloned()
                        .ok_or_else(|| profile("x5chain items must be byte strings"))
                })
                .collect::<Result<_, _>>()?,
            Some(Value::Array(_)) => {
                return Err(profile(
                    "an x5chain of one certificate must be a byte string",
                ))
            }
            _ => return Err(profile("protected header has no x5chain (label 33)")),
        };
        let header = StatementHeader {
            content_type,
            issuer,
            subject,
            issued_at,
            x5chain,
        };
        header.check_text()?;
        Ok(header)
    }

    /// Refuses a control character or bidirectional override in the
    /// content type, `iss` or `sub` (they are shown on one line each).
    fn check_text(&self) -> Result<(), CoseError> {
        for (what, text) in [
            ("the content type", &self.content_type),
            ("iss", &self.issuer),
            ("sub", &self.subject),
        ] {
            crate::text::refuse_hidden(what, text).map_err(CoseError::Profile)?;
        }
        Ok(())
    }
}

/// A signed statement as the ledger logs it: a COSE_Sign1 in deterministic
/// CBOR with the [`StatementHeader`] profile, an attached payload and an empty
/// unprotected header. The bytes are kept exactly as received.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    bytes: Vec<u8>,
    message: CoseSign1,
    header: StatementHeader,
}

impl Statement {
    /// Signs a payload (deterministic CBOR of a record) under `header`.
    pub fn sign(
        header: StatementHeader,
        payload: &[u8],
        key: &SigningKey,
    ) -> Result<Self, CoseError> {
        Self::sign_with(header, payload, |tbs| Ok(key.sign(tbs).to_bytes()))
    }

    /// [`Statement::sign`] with a signing function (a key in a token): it
    /// is given the `Sig_structure` bytes and returns the Ed25519
    /// signature.
    pub fn sign_with(
        header: StatementHeader,
        payload: &[u8],
        sign: impl FnOnce(&[u8]) -> Result<[u8; 64], CoseError>,
    ) -> Result<Self, CoseError> {
        no_hidden_text(&cbor::decode(payload)?)?;
        header.check_text()?;
        let message = CoseSign1::sign_with(header.encode()?, Vec::new(), payload, false, sign)?;
        let bytes = message.to_bytes()?;
        if bytes.len() > MAX_STATEMENT_SIZE {
            return Err(CoseError::TooLarge(bytes.len()));
        }
        Ok(Statement {
            bytes,
            message,
            header,
        })
    }

    /// Parses a statement, enforcing the profile. Does not verify the
    /// signature (that needs the certificate, see [`Statement::verify`]).
    pub fn parse(bytes: &[u8]) -> Result<Self, CoseError> {
        if bytes.len() > MAX_STATEMENT_SIZE {
            return Err(CoseError::TooLarge(bytes.len()));
        }
        let message = CoseSign1::parse(bytes)?;
        if !message.unprotected.is_empty() {
            return Err(CoseError::Profile(
                "a logged statement has an empty unprotected header".into(),
            ));
        }
        let payload = message
            .payload()
            .ok_or_else(|| CoseError::Profile("the payload must be attached".into()))?;
        let record =
            cbor::decode(payload).map_err(|e| CoseError::Profile(format!("payload: {e}")))?;
        no_hidden_text(&record)?;
        let header = StatementHeader::decode(&message.protected_map()?)?;
        Ok(Statement {
            bytes: bytes.to_vec(),
            message,
            header,
        })
    }

    /// Verifies the signature with the signer's public key.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), CoseError> {
        self.message.verify(key, None)
    }

    /// The exact bytes (what the log stores as the entry).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// The protected header, decoded.
    pub fn header(&self) -> &StatementHeader {
        &self.header
    }
    /// The payload (deterministic CBOR of the record).
    pub fn payload(&self) -> &[u8] {
        self.message.payload().unwrap_or_default()
    }
    /// The underlying COSE_Sign1.
    pub fn message(&self) -> &CoseSign1 {
        &self.message
    }
}

#[cfg(test)]
mod tests;
