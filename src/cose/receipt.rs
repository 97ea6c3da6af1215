//! COSE Receipts (RFC 9942) with the RFC9162_SHA256 verifiable data
//! structure: the log's signed proof that a statement is in its tree.
//!
//! ```text
//! protected   {1: -8, 4: kid, 395: 1, 15: {1: origin, 6: iat}}
//! unprotected {396: {-1: [bstr .cbor [tree_size, leaf_index, [+ path hash]]]}}
//! payload     nil (detached): the tree root the proof leads to
//! ```
//!
//! A verifier recomputes the root from the statement's leaf hash and the
//! path, then checks the log's signature with that root as the payload.

use ciborium::Value;

use super::{
    cbor, header, CoseError, CoseSign1, Statement, ALG_EDDSA, LABEL_ALG, LABEL_CWT_CLAIMS,
    LABEL_KID,
};
use crate::merkle::{leaf_hash, Hash, InclusionProof, RootHash};
use crate::note::{SignerKey, VerifierKey};

/// Header label: verifiable data structure.
pub const LABEL_VDS: i64 = 395;
/// Header label: verifiable data proofs.
pub const LABEL_VDP: i64 = 396;
/// Header label: receipts, in a transparent statement's unprotected header.
pub const LABEL_RECEIPTS: i64 = 394;
/// The RFC9162_SHA256 verifiable data structure.
pub const VDS_RFC9162_SHA256: i64 = 1;
/// Proof type: inclusion proofs.
pub const INCLUSION_PROOFS: i64 = -1;

fn int(n: i64) -> Value {
    Value::Integer(n.into())
}

fn bad(m: impl Into<String>) -> CoseError {
    CoseError::Profile(format!("receipt: {}", m.into()))
}

/// A parsed receipt.
#[derive(Clone, Debug, PartialEq)]
pub struct Receipt {
    message: CoseSign1,
    kid: Vec<u8>,
    issuer: String,
    issued_at: u64,
    proof: InclusionProof,
}

impl Receipt {
    /// Issues a receipt for `proof` (of a statement in the tree `root`),
    /// signed by the log key.
    pub fn issue(
        log_key: &SignerKey,
        proof: &InclusionProof,
        root: &RootHash,
        issued_at: u64,
    ) -> Result<Self, CoseError> {
        if proof.size() != root.size() {
            return Err(bad(format!(
                "proof for size {} but root of size {}",
                proof.size(),
                root.size()
            )));
        }
        let kid = log_key.verifier().id().as_bytes().to_vec();
        let protected = cbor::encode(&Value::Map(vec![
            (int(LABEL_ALG), int(ALG_EDDSA)),
            (int(LABEL_KID), Value::Bytes(kid.clone())),
            (int(LABEL_VDS), int(VDS_RFC9162_SHA256)),
            (
                int(LABEL_CWT_CLAIMS),
                Value::Map(vec![
                    (int(super::CWT_ISS), Value::Text(log_key.name().to_string())),
                    (int(super::CWT_IAT), Value::Integer(issued_at.into())),
                ]),
            ),
        ]))?;
        let encoded_proof = cbor::encode(&Value::Array(vec![
            Value::Integer(proof.size().into()),
            Value::Integer(proof.index().into()),
            Value::Array(
                proof
                    .path()
                    .iter()
                    .map(|h| Value::Bytes(h.as_bytes().to_vec()))
                    .collect(),
            ),
        ]))?;
        let unprotected = vec![(
            int(LABEL_VDP),
            Value::Map(vec![(
                int(INCLUSION_PROOFS),
                Value::Array(vec![Value::Bytes(encoded_proof)]),
            )]),
        )];
        let message = CoseSign1::sign(
            protected,
            unprotected,
            root.hash().as_bytes(),
            true,
            log_key.ed25519(),
        )?;
        Ok(Receipt {
            message,
            kid,
            issuer: log_key.name().to_string(),
            issued_at,
            proof: proof.clone(),
        })
    }

    /// Parses a receipt from a CBOR value (strict profile).
    pub fn from_value(v: Value) -> Result<Self, CoseError> {
        let message = CoseSign1::from_value(v)?;
        if message.payload().is_some() {
            return Err(bad("the payload must be detached (nil)"));
        }
        let p = message.protected_map()?;
        for (k, _) in &p {
            match k.as_integer().and_then(|i| i64::try_from(i).ok()) {
                Some(LABEL_ALG | LABEL_KID | LABEL_VDS | LABEL_CWT_CLAIMS) => {}
                _ => return Err(bad(format!("unexpected protected label {k:?}"))),
            }
        }
        let int_of = |v: Option<&Value>| {
            v.and_then(|v| v.as_integer())
                .and_then(|i| i64::try_from(i).ok())
        };
        if int_of(header(&p, LABEL_ALG)) != Some(ALG_EDDSA) {
            return Err(bad("algorithm is not EdDSA (-8)"));
        }
        if int_of(header(&p, LABEL_VDS)) != Some(VDS_RFC9162_SHA256) {
            return Err(bad("verifiable data structure is not RFC9162_SHA256 (1)"));
        }
        let kid = header(&p, LABEL_KID)
            .and_then(|v| v.as_bytes())
            .ok_or_else(|| bad("no kid"))?
            .clone();
        let claims = header(&p, LABEL_CWT_CLAIMS)
            .and_then(|v| v.as_map())
            .ok_or_else(|| bad("no CWT claims"))?;
        let issuer = header(claims, super::CWT_ISS)
            .and_then(|v| v.as_text())
            .ok_or_else(|| bad("no iss claim"))?
            .to_string();
        let issued_at = header(claims, super::CWT_IAT)
            .and_then(|v| v.as_integer())
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| bad("no iat claim"))?;
        let vdp = header(message.unprotected(), LABEL_VDP)
            .and_then(|v| v.as_map())
            .ok_or_else(|| bad("no verifiable data proofs (396)"))?;
        let proofs = header(vdp, INCLUSION_PROOFS)
            .and_then(|v| v.as_array())
            .ok_or_else(|| bad("no inclusion proofs (-1)"))?;
        let [Value::Bytes(encoded)] = proofs.as_slice() else {
            return Err(bad("expected exactly one inclusion proof"));
        };
        let Value::Array(parts) = cbor::decode(encoded)? else {
            return Err(bad("inclusion proof is not an array"));
        };
        let [size, index, Value::Array(path)] = parts.as_slice() else {
            return Err(bad(
                "inclusion proof must be [tree_size, leaf_index, [path]]",
            ));
        };
        let as_u64 = |v: &Value| v.as_integer().and_then(|i| u64::try_from(i).ok());
        let (size, index) = (
            as_u64(size).ok_or_else(|| bad("bad tree size"))?,
            as_u64(index).ok_or_else(|| bad("bad leaf index"))?,
        );
        let path = path
            .iter()
            .map(|h| {
                h.as_bytes()
                    .and_then(|b| Hash::from_slice(b).ok())
                    .ok_or_else(|| bad("path hashes are 32-byte strings"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Receipt {
            message,
            kid,
            issuer,
            issued_at,
            proof: InclusionProof::new(index, size, path),
        })
    }

    /// Parses a receipt (deterministic CBOR).
    pub fn parse(bytes: &[u8]) -> Result<Self, CoseError> {
        Self::from_value(cbor::decode(bytes)?)
    }

    /// The receipt in deterministic CBOR.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CoseError> {
        self.message.to_bytes()
    }
    /// The receipt as a CBOR value.
    pub fn to_value(&self) -> Value {
        self.message.to_value()
    }
    /// The key id of the log key that signed it.
    pub fn kid(&self) -> &[u8] {
        &self.kid
    }
    /// The COSE_Sign1 message (signed by the log, payload detached).
    pub fn message(&self) -> &CoseSign1 {
        &self.message
    }
    /// The inclusion proof.
    pub fn proof(&self) -> &InclusionProof {
        &self.proof
    }
    /// The log origin named in `iss`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// When the log issued it.
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// Verifies that `statement` (its logged bytes) is in the log's tree:
    /// recomputes the root from the proof, then checks the log's signature
    /// over that root. Returns the tree head the receipt commits to.
    pub fn verify(&self, statement: &[u8], log_key: &VerifierKey) -> Result<RootHash, CoseError> {
        let root = self.root_for(statement, log_key)?;
        self.message.verify(log_key.key(), Some(root.as_bytes()))?;
        Ok(RootHash::new(self.proof.size(), root))
    }

    /// [`Receipt::verify`], remembering in `verified` the signed bytes
    /// (key, protected header, root, signature) already checked: receipts
    /// issued together against one checkpoint sign the very same bytes, and
    /// Ed25519 verification is deterministic, so each distinct one is
    /// verified once.
    pub fn verify_memo(
        &self,
        statement: &[u8],
        log_key: &VerifierKey,
        verified: &mut std::collections::HashSet<Vec<u8>>,
    ) -> Result<RootHash, CoseError> {
        let root = self.root_for(statement, log_key)?;
        let protected = self.message.protected_bytes();
        let sig = self.message.signature();
        let mut signed = Vec::with_capacity(32 + protected.len() + 32 + sig.len() + 24);
        for part in [
            log_key.key().as_bytes().as_slice(),
            protected,
            root.as_bytes(),
            sig,
        ] {
            signed.extend_from_slice(&(part.len() as u64).to_be_bytes());
            signed.extend_from_slice(part);
        }
        if !verified.contains(&signed) {
            self.message.verify(log_key.key(), Some(root.as_bytes()))?;
            verified.insert(signed);
        }
        Ok(RootHash::new(self.proof.size(), root))
    }

    fn root_for(&self, statement: &[u8], log_key: &VerifierKey) -> Result<Hash, CoseError> {
        if self.kid != log_key.id().as_bytes() || self.issuer != log_key.name() {
            return Err(bad(format!(
                "issued by {} (kid {}), not by the log key {}+{}",
                self.issuer,
                crate::hex::encode(&self.kid),
                log_key.name(),
                log_key.id()
            )));
        }
        self.proof
            .root_from_leaf(&leaf_hash(statement))
            .map_err(|e| bad(format!("inclusion proof: {e}")))
    }
}

/// A transparent statement: the statement with its receipts in the
/// unprotected header (label 394). Everything else is byte for byte the
/// logged statement.
pub fn transparent_statement(
    statement: &Statement,
    receipts: &[Receipt],
) -> Result<Vec<u8>, CoseError> {
    let mut msg = statement.message().clone();
    msg.set_unprotected(vec![(
        int(LABEL_RECEIPTS),
        Value::Array(receipts.iter().map(Receipt::to_value).collect()),
    )]);
    msg.to_bytes()
}

/// Splits a transparent statement into the logged statement bytes (empty
/// unprotected header) and its receipts.
pub fn split_transparent(bytes: &[u8]) -> Result<(Statement, Vec<Receipt>), CoseError> {
    let mut msg = CoseSign1::parse(bytes)?;
    let receipts = match header(msg.unprotected(), LABEL_RECEIPTS) {
        Some(Value::Array(items)) => items
            .iter()
            .cloned()
            .map(Receipt::from_value)
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(bad("label 394 must hold an array of receipts")),
        None => Vec::new(),
    };
    if msg.unprotected().len() != usize::from(header(msg.unprotected(), LABEL_RECEIPTS).is_some()) {
        return Err(bad(
            "a transparent statement's unprotected header holds only receipts",
        ));
    }
    msg.set_unprotected(Vec::new());
    let statement = Statement::parse(&msg.to_bytes()?)?;
    Ok((statement, receipts))
}
