//! COSE Receipts (RFC 9942) with the RFC9162_SHA256 verifiable data
//! structure: the log's signed proof that a statement is in its tree, and
//! transparent statements (RFC 9943 §7) that carry them.
//!
//! ```text
//! receipt = 18([
//!   protected   {1: -8, 4: kid, 395: 1, 15: {1: origin, 2: sub, 6: iat}},
//!   unprotected {396: {-1: [bstr .cbor [tree_size, leaf_index, [+ path hash]]]}},
//!   payload     nil (detached): the tree root the proof leads to,
//!   signature])
//! transparent statement = the statement with unprotected {394: [+ bstr .cbor receipt]}
//! ```
//!
//! A verifier recomputes the root from the statement's leaf hash and the
//! path, then checks the log's signature with that root as the payload,
//! over the protected header bytes as received: receipts from other
//! services need not be in deterministic CBOR. What the ledger writes is.
//!
//! `sub` (RFC 9943 §6: a receipt's CWT claims hold `iss` and `sub`) is the
//! subject of the statement the receipt is for. Receipts written before
//! the RFCs had no `sub`, and transparent statements put the receipts in
//! the array directly instead of as byte strings; both are still read, with
//! a warning.

use ciborium::Value;

use super::{
    cbor, header, CoseError, CoseSign1, Statement, ALG_EDDSA, LABEL_ALG, LABEL_CWT_CLAIMS,
    LABEL_KID,
};
use crate::merkle::{leaf_hash, Hash, InclusionProof, RootHash};
use crate::note::{Signer, VerifierKey};

/// Header label: verifiable data structure.
pub const LABEL_VDS: i64 = 395;
/// Header label: verifiable data proofs.
pub const LABEL_VDP: i64 = 396;
/// Header label: receipts, in a transparent statement's unprotected header.
pub const LABEL_RECEIPTS: i64 = 394;
/// Unprotected header label of a receipt (private use, RFC 9052 §3.1:
/// below -65536) holding the salt that opens a confidential ledger's
/// commitment leaf: the leaf the proof is of is then
/// `crate::commitment::leaf(salt, statement)`, not the statement.
pub const LABEL_SALT: i64 = -65537;
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

/// Largest receipt read (ours are under 2 KiB: a path of 64 hashes).
pub const MAX_RECEIPT_SIZE: usize = 64 * 1024;

/// A parsed receipt.
#[derive(Clone, Debug, PartialEq)]
pub struct Receipt {
    bytes: Vec<u8>,
    message: CoseSign1,
    kid: Vec<u8>,
    issuer: String,
    subject: Option<String>,
    issued_at: Option<u64>,
    proof: InclusionProof,
    /// The salt of the commitment leaf the proof is of (a confidential
    /// ledger's); unsigned, like the proof, and checked by it.
    salt: Option<[u8; crate::commitment::SALT_LEN]>,
}

impl Receipt {
    /// This receipt for a statement logged as its commitment leaf under
    /// `salt`: the salt is added to the unprotected header (the signature,
    /// over the root, is unchanged).
    pub fn with_salt(mut self, salt: [u8; crate::commitment::SALT_LEN]) -> Result<Self, CoseError> {
        let mut unprotected: Vec<(Value, Value)> = self
            .message
            .unprotected()
            .iter()
            .filter(|(k, _)| *k != int(LABEL_SALT))
            .cloned()
            .collect();
        unprotected.push((int(LABEL_SALT), Value::Bytes(salt.to_vec())));
        self.message.set_unprotected(unprotected);
        self.bytes = self.message.to_bytes()?;
        self.salt = Some(salt);
        Ok(self)
    }

    /// The salt of the commitment leaf the proof is of, if any.
    pub fn salt(&self) -> Option<&[u8; crate::commitment::SALT_LEN]> {
        self.salt.as_ref()
    }
    /// Issues a receipt for `proof` against the tree `root`, signed by the
    /// log key: [`SignedRoot::sign`] then [`SignedRoot::receipt`]. A log
    /// issuing many receipts against one root signs it once and reuses the
    /// [`SignedRoot`].
    pub fn issue(
        log_key: &dyn Signer,
        proof: &InclusionProof,
        root: &RootHash,
        issued_at: u64,
    ) -> Result<Self, CoseError> {
        SignedRoot::sign(log_key, root, issued_at)?.receipt(proof)
    }

    /// Reads a receipt from a decoded message; `bytes` is its encoding as
    /// received. The protected header may be in any well-formed encoding;
    /// labels other than alg, kid, vds and CWT claims are ignored unless
    /// listed as critical.
    fn from_message(message: CoseSign1, bytes: Vec<u8>) -> Result<Self, CoseError> {
        if message.payload().is_some() {
            return Err(bad("the payload must be detached (nil)"));
        }
        let p = message.protected_map_relaxed()?;
        let known = |l: i64| matches!(l, LABEL_ALG | LABEL_KID | LABEL_VDS | LABEL_CWT_CLAIMS);
        if let Some(crit) = header(&p, super::LABEL_CRIT) {
            let labels = crit
                .as_array()
                .filter(|a| !a.is_empty())
                .ok_or_else(|| bad("crit (2) must be a non-empty array of labels"))?;
            for l in labels {
                let l = l.as_integer().and_then(|i| i64::try_from(i).ok());
                if !l.is_some_and(known) {
                    return Err(bad(format!(
                        "critical header parameter {l:?} is not understood"
                    )));
                }
            }
        }
        let int_of = |v: Option<&Value>| {
            v.and_then(|v| v.as_integer())
                .and_then(|i| i64::try_from(i).ok())
        };
        match int_of(header(&p, LABEL_ALG)) {
            Some(ALG_EDDSA) => {}
            Some(other) => {
                return Err(bad(format!(
                    "algorithm {other} is not supported: EdDSA (-8) only"
                )))
            }
            None => return Err(bad("no algorithm (1)")),
        }
        if int_of(header(&p, LABEL_VDS)) != Some(VDS_RFC9162_SHA256) {
            return Err(bad("verifiable data structure is not RFC9162_SHA256 (1)"));
        }
        let kid = match header(&p, LABEL_KID) {
            Some(Value::Bytes(b)) => b.clone(),
            Some(_) => return Err(bad("kid (4) must be a byte string")),
            None => Vec::new(),
        };
        let claims = header(&p, LABEL_CWT_CLAIMS)
            .and_then(|v| v.as_map())
            .ok_or_else(|| bad("no CWT claims (15); RFC 9943 requires iss and sub"))?;
        let issuer = header(claims, super::CWT_ISS)
            .and_then(|v| v.as_text())
            .ok_or_else(|| bad("no text iss claim"))?
            .to_string();
        let subject = match header(claims, super::CWT_SUB) {
            Some(Value::Text(t)) => Some(t.clone()),
            Some(_) => return Err(bad("the sub claim must be text")),
            None => None,
        };
        let issued_at = match header(claims, super::CWT_IAT) {
            Some(v) => Some(
                v.as_integer()
                    .and_then(|i| u64::try_from(i).ok())
                    .ok_or_else(|| bad("the iat claim must be a non-negative integer"))?,
            ),
            None => None,
        };
        let vdp = header(message.unprotected(), LABEL_VDP)
            .and_then(|v| v.as_map())
            .ok_or_else(|| bad("no verifiable data proofs (396)"))?;
        let proofs = header(vdp, INCLUSION_PROOFS)
            .and_then(|v| v.as_array())
            .ok_or_else(|| bad("no inclusion proofs (-1)"))?;
        let [Value::Bytes(encoded)] = proofs.as_slice() else {
            return Err(bad("expected exactly one inclusion proof"));
        };
        let Value::Array(parts) = cbor::decode_relaxed(encoded, encoded.len())? else {
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
        let salt = match header(message.unprotected(), LABEL_SALT) {
            None => None,
            Some(v) => Some(
                v.as_bytes()
                    .and_then(|b| <[u8; crate::commitment::SALT_LEN]>::try_from(b.as_slice()).ok())
                    .ok_or_else(|| bad("the salt (-65537) is not a 32-byte string"))?,
            ),
        };
        Ok(Receipt {
            bytes,
            message,
            kid,
            issuer,
            subject,
            issued_at,
            proof: InclusionProof::new(index, size, path),
            salt,
        })
    }

    /// Parses a receipt: a tagged COSE_Sign1 in any well-formed CBOR
    /// encoding (its signature covers the bytes as received).
    pub fn parse(bytes: &[u8]) -> Result<Self, CoseError> {
        let message = CoseSign1::parse_relaxed(bytes, MAX_RECEIPT_SIZE)?;
        Self::from_message(message, bytes.to_vec())
    }

    /// What a reader should know: a receipt from before RFC 9943 has no
    /// `sub` claim.
    pub fn warnings(&self) -> Vec<String> {
        if self.subject.is_none() {
            vec![format!(
                "the receipt from {} has no sub claim (RFC 9943 §6 requires one; receipts written before the RFC lacked it)",
                self.issuer
            )]
        } else {
            Vec::new()
        }
    }

    /// The receipt's bytes: as received, or as issued (deterministic CBOR).
    pub fn to_bytes(&self) -> Result<Vec<u8>, CoseError> {
        Ok(self.bytes.clone())
    }
    /// The receipt's bytes, borrowed.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
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
    /// The CWT `sub`: the tree it signs ([`tree_subject`]); in receipts
    /// issued before one signature served a whole tree, the subject of the
    /// statement it is for; absent from receipts written before RFC 9943.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }
    /// When the log issued it (`iat`; optional in RFC 9943).
    pub fn issued_at(&self) -> Option<u64> {
        self.issued_at
    }

    /// Verifies that `statement` (its logged bytes, or those its commitment
    /// leaf commits to, with the receipt's salt) is in the log's tree:
    /// recomputes the root from the proof, then checks the log's signature
    /// over that root. Returns that root with the tree size the proof
    /// states. RFC 9942 signs only the root: the size is signed when the
    /// `sub` names the tree ([`tree_subject`], what this ledger writes; a
    /// proof of another size is refused), and is otherwise a claim, like the
    /// leaf index of [`Receipt::proof`]; another (index, size) pair can lead
    /// to the same root (found by fuzzing). Compare the returned tree head
    /// with a signed checkpoint before relying on them, as the pack
    /// verifier does.
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

    /// The root the proof leads to from `statement`. The receipt must name
    /// the log (`iss` is the key's name, the log's origin); its kid is a
    /// hint (RFC 9052 §3.1) and is not compared: the signature decides.
    fn root_for(&self, statement: &[u8], log_key: &VerifierKey) -> Result<Hash, CoseError> {
        if self.issuer != log_key.name() {
            return Err(bad(format!(
                "issued by {}, not by the log {} (key {})",
                self.issuer,
                log_key.name(),
                log_key.id()
            )));
        }
        if let Some(size) = self
            .subject
            .as_deref()
            .and_then(|s| signed_size(&self.issuer, s))
        {
            if size != self.proof.size() {
                return Err(bad(format!(
                    "its proof is for a tree of {} entries, but it signs the tree of {size}",
                    self.proof.size()
                )));
            }
        }
        let leaf = match &self.salt {
            Some(salt) => leaf_hash(&crate::commitment::leaf(salt, statement)),
            None => leaf_hash(statement),
        };
        self.proof
            .root_from_leaf(&leaf)
            .map_err(|e| bad(format!("inclusion proof: {e}")))
    }
}

/// The `sub` of a receipt this ledger issues: the tree it signs, named by
/// the log's origin and the tree's size (RFC 9943 §6 requires a `sub`; the
/// receipt's issuer, the log, defines it). Every receipt against one tree
/// then has the same protected header and shares one signature; the
/// statement a receipt is for is named by its proof, not by a claim, and
/// the size, which RFC 9942 leaves unsigned, is signed.
pub fn tree_subject(origin: &str, size: u64) -> String {
    format!("{origin} tree {size}")
}

/// The tree size a receipt's `sub` signs, if it is in the form
/// [`tree_subject`] writes for the receipt's issuer.
fn signed_size(issuer: &str, subject: &str) -> Option<u64> {
    crate::note::parse_decimal(subject.strip_prefix(issuer)?.strip_prefix(" tree ")?)
}

/// The log's signature over one tree root, as every receipt against that
/// root carries it (RFC 9942 signs the root, with the proof in the
/// unprotected header; scitt-ccf-ledger shares one signature per batch the
/// same way): the protected header `{alg, kid, vds, {iss, sub, iat}}`, with
/// `sub` from [`tree_subject`], and the signature over it and the root.
/// One signature then serves every receipt of a commit, or of a pack.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedRoot {
    root: RootHash,
    protected: Vec<u8>,
    signature: [u8; 64],
    kid: Vec<u8>,
    issuer: String,
    subject: String,
    issued_at: u64,
}

impl SignedRoot {
    /// Signs `root` with the log key (one signature), as issued at
    /// `issued_at`.
    pub fn sign(log_key: &dyn Signer, root: &RootHash, issued_at: u64) -> Result<Self, CoseError> {
        let public = log_key.public_key();
        let kid = public.id().as_bytes().to_vec();
        let subject = tree_subject(public.name(), root.size());
        let protected = cbor::encode(&Value::Map(vec![
            (int(LABEL_ALG), int(ALG_EDDSA)),
            (int(LABEL_KID), Value::Bytes(kid.clone())),
            (int(LABEL_VDS), int(VDS_RFC9162_SHA256)),
            (
                int(LABEL_CWT_CLAIMS),
                Value::Map(vec![
                    (int(super::CWT_ISS), Value::Text(public.name().to_string())),
                    (int(super::CWT_SUB), Value::Text(subject.clone())),
                    (int(super::CWT_IAT), Value::Integer(issued_at.into())),
                ]),
            ),
        ]))?;
        let tbs = super::to_be_signed(&protected, root.hash().as_bytes())?;
        let signature = log_key
            .sign(&tbs)
            .map_err(|e| CoseError::Signer(format!("the log key: {e}")))?;
        Ok(SignedRoot {
            root: *root,
            protected,
            signature,
            kid,
            issuer: public.name().to_string(),
            subject,
            issued_at,
        })
    }

    /// The tree it signs.
    pub fn root(&self) -> &RootHash {
        &self.root
    }

    /// When it was signed (the receipts' `iat`).
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// A receipt for `proof`, which must be a proof in this tree: no
    /// signature is made.
    pub fn receipt(&self, proof: &InclusionProof) -> Result<Receipt, CoseError> {
        if proof.size() != self.root.size() {
            return Err(bad(format!(
                "proof for size {} but root of size {}",
                proof.size(),
                self.root.size()
            )));
        }
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
        // The signature is the tree's, made once: nothing is signed here.
        let message =
            CoseSign1::detached(self.protected.clone(), unprotected, self.signature.to_vec());
        Ok(Receipt {
            bytes: message.to_bytes()?,
            message,
            kid: self.kid.clone(),
            issuer: self.issuer.clone(),
            subject: Some(self.subject.clone()),
            issued_at: Some(self.issued_at),
            proof: proof.clone(),
            salt: None,
        })
    }
}

/// A transparent statement (RFC 9943 §7): the statement with its
/// receipts in the unprotected header, label 394, each a byte string holding
/// a tagged COSE_Sign1 receipt. Everything else is byte for byte the logged
/// statement.
pub fn transparent_statement(
    statement: &Statement,
    receipts: &[Receipt],
) -> Result<Vec<u8>, CoseError> {
    let mut msg = statement.message().clone();
    msg.set_unprotected(vec![(
        int(LABEL_RECEIPTS),
        Value::Array(
            receipts
                .iter()
                .map(|r| Value::Bytes(r.bytes.clone()))
                .collect(),
        ),
    )]);
    msg.to_bytes()
}

/// A transparent statement taken apart.
#[derive(Clone, Debug, PartialEq)]
pub struct Transparent {
    /// The logged statement (its unprotected header emptied, RFC 9943 §6.3).
    pub statement: Statement,
    /// Its receipts, in the order given.
    pub receipts: Vec<Receipt>,
    /// True when the receipts were written into the array directly, as
    /// before RFC 9942 (not as byte strings).
    pub legacy_form: bool,
}

impl Transparent {
    /// What a reader should know about the form (an old form is still read).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.legacy_form {
            w.push("the receipts are in the array directly, the form from before RFC 9942 (394 must hold byte strings); make the pack or receipt again to get the RFC form".to_string());
        }
        for r in &self.receipts {
            w.extend(r.warnings());
        }
        w
    }
}

/// Largest transparent statement read: a statement and a few receipts.
pub const MAX_TRANSPARENT_SIZE: usize = super::MAX_STATEMENT_SIZE + 4 * MAX_RECEIPT_SIZE;

/// Splits a transparent statement (or a plain statement: no receipts) into
/// the logged statement and its receipts. The envelope may be in any
/// well-formed encoding (another implementation may have attached the
/// receipts); the statement itself must be the ledger's deterministic one.
pub fn split_transparent(bytes: &[u8]) -> Result<Transparent, CoseError> {
    let mut msg = CoseSign1::parse_relaxed(bytes, MAX_TRANSPARENT_SIZE)?;
    let mut legacy_form = false;
    let receipts = match header(msg.unprotected(), LABEL_RECEIPTS) {
        Some(Value::Array(items)) if items.is_empty() => {
            return Err(bad("label 394 holds no receipts ([+ bstr .cbor Receipt])"))
        }
        Some(Value::Array(items)) if items.iter().all(|i| matches!(i, Value::Bytes(_))) => items
            .iter()
            .filter_map(Value::as_bytes)
            .map(|b| Receipt::parse(b))
            .collect::<Result<Vec<_>, _>>()?,
        Some(Value::Array(items)) if items.iter().all(|i| matches!(i, Value::Tag(..))) => {
            legacy_form = true;
            items
                .iter()
                .map(|v| {
                    let bytes = cbor::encode(v)?;
                    Receipt::from_message(CoseSign1::from_value(v.clone())?, bytes)
                })
                .collect::<Result<Vec<_>, _>>()?
        }
        Some(_) => {
            return Err(bad(
                "label 394 must hold an array of byte strings, each an encoded receipt",
            ))
        }
        None => Vec::new(),
    };
    if msg.unprotected().len() != usize::from(header(msg.unprotected(), LABEL_RECEIPTS).is_some()) {
        return Err(bad(
            "a transparent statement's unprotected header holds only receipts (394)",
        ));
    }
    msg.set_unprotected(Vec::new());
    let statement = Statement::parse(&msg.to_bytes()?)?;
    Ok(Transparent {
        statement,
        receipts,
        legacy_form,
    })
}
