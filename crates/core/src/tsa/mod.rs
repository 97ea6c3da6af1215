//! Trusted time: RFC 3161 time-stamp tokens (with RFC 5816's ESS
//! signing-certificate-v2) over the log's checkpoints (FORMATS §29).
//!
//! A checkpoint's body (origin, tree size, root) is hashed with SHA-256 and
//! sent to a time-stamping authority (TSA) as a `TimeStampReq`; the token
//! it answers, a CMS `SignedData` over a `TSTInfo`, says that this tree, and
//! so every entry in it, existed by the token's time. The TSA learns a
//! digest of a public checkpoint and nothing of any record.
//!
//! The parts:
//! - [`request`] builds the query (SHA-256 imprint, a nonce, `certReq`);
//! - [`token_from_reply`] reads a `TimeStampResp`: granted, the imprint and
//!   nonce asked for, and returns the token;
//! - [`verify_token`] checks a token against the TSAs a verifier trusts
//!   ([`TsaTrust`]): the imprint, the CMS signature over the signed
//!   attributes (content type, message digest, the ESS certificate id of
//!   the signer), the signer's certificate chain to a trusted anchor, each
//!   certificate valid at the token's time, and the signer's extended key
//!   usage (only `id-kp-timeStamping`, critical: RFC 3161 §2.3).
//!
//! Parsing is as lenient as the tokens real TSAs write, and no more:
//! OpenSSL's TSA writes `genTime` with fractional seconds
//! (`clock_precision_digits`), which RFC 3161 allows and a strict DER
//! `GeneralizedTime` refuses; the signature is checked over the signed
//! attributes' bytes as they are in the token, not as re-encoded. Keys:
//! ECDSA P-256 and P-384 with SHA-256, SHA-384 or SHA-512 (what OpenSSL,
//! Sigstore's timestamp-authority and most EC TSAs use); an RSA or Ed25519
//! TSA is refused by name (FORMATS §29 says why).
//!
//! No CRL or OCSP is fetched: a verifier is offline. A TSA whose key is
//! compromised is removed from the trust policy.

mod crypto;
#[cfg(test)]
mod tests;
mod token;

use sha2::Digest;

pub use token::Timestamp;

/// The DER OID of SHA-256 (2.16.840.1.101.3.4.2.1).
const SHA256: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// The largest token or reply read (a token with a short chain is 1–4 KiB).
pub const MAX_TOKEN_SIZE: usize = 64 << 10;

/// Why a time-stamp reply or token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TsaError {
    /// Not the ASN.1 structure RFC 3161 or RFC 5652 defines.
    #[error("not an RFC 3161 {what}: {reason}")]
    Malformed {
        /// Which structure.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The TSA did not grant the request.
    #[error("the TSA refused the request: status {status}{text}")]
    NotGranted {
        /// The PKIStatus number (2 rejection, 3 waiting, ...).
        status: u8,
        /// Its status text and failure info, if any.
        text: String,
    },
    /// The token is for another message, nonce or hash algorithm.
    #[error("the token does not answer this request: {0}")]
    Mismatch(String),
    /// The CMS signature or its signed attributes do not check.
    #[error("the token's signature does not verify: {0}")]
    Signature(String),
    /// An algorithm this verifier does not check.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The signer's certificate does not lead to a trusted TSA anchor.
    #[error("the TSA's certificate is not trusted: {0}")]
    Untrusted(String),
    /// Too large to be a token.
    #[error("{what} is {size} bytes, over the {MAX_TOKEN_SIZE}-byte limit")]
    TooLarge {
        /// Which input.
        what: &'static str,
        /// Its size.
        size: usize,
    },
}

impl TsaError {
    fn malformed(what: &'static str, reason: impl ToString) -> TsaError {
        TsaError::Malformed {
            what,
            reason: reason.to_string(),
        }
    }
}

/// One TSA a verifier trusts: its anchor certificate (the TSA's root, or
/// its own certificate), named by the trust file it came from.
#[derive(Clone, Debug)]
pub struct TsaTrust {
    /// The name a report gives it (the trust file's stem, e.g. `freetsa`).
    pub name: String,
    /// The anchor, DER.
    pub(crate) anchor: crypto::Anchor,
}

impl TsaTrust {
    /// An anchor from a PEM or DER certificate.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<TsaTrust, TsaError> {
        Ok(TsaTrust {
            name: name.to_string(),
            anchor: crypto::Anchor::parse(bytes)?,
        })
    }

    /// SHA-256 of the anchor certificate's DER (how a trust update names
    /// it).
    pub fn sha256(&self) -> [u8; 32] {
        sha2::Sha256::digest(&self.anchor.der).into()
    }

    /// The anchor's subject, as RFC 4514 text.
    pub fn subject(&self) -> &str {
        &self.anchor.subject
    }
}

/// The message imprint of a checkpoint: SHA-256 of its body (the note's
/// text up to the blank line, signatures excluded).
pub fn imprint(body: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(body).into()
}

/// A `TimeStampReq` (DER) for a SHA-256 imprint, with a nonce and
/// `certReq` (the TSA puts its certificate in the token, so a verifier
/// needs only the anchor).
pub fn request(imprint: &[u8; 32], nonce: u64) -> Vec<u8> {
    use der::Encode;
    let req = x509_tsp::TimeStampReq {
        version: x509_tsp::TspVersion::V1,
        message_imprint: x509_tsp::MessageImprint {
            hash_algorithm: x509_cert::spki::AlgorithmIdentifier {
                oid: SHA256,
                parameters: Some(der::Any::null()),
            },
            hashed_message: der::asn1::OctetString::new(imprint.to_vec())
                .expect("32 bytes is an octet string"),
        },
        req_policy: None,
        nonce: Some(token::nonce_int(nonce)),
        cert_req: true,
        extensions: None,
    };
    req.to_der().expect("a fixed structure encodes")
}

/// A fresh random nonce for [`request`].
#[cfg(feature = "rand")]
pub fn new_nonce() -> u64 {
    use rand_core::RngCore;
    rand_core::OsRng.next_u64()
}

/// Reads a `TimeStampResp`: it must grant the request, and its token must
/// carry the imprint and the nonce asked for. Returns the token (a DER
/// `ContentInfo`), which is what is kept; its signature is checked by
/// [`verify_token`].
pub fn token_from_reply(
    reply: &[u8],
    imprint: &[u8; 32],
    nonce: u64,
) -> Result<(Vec<u8>, Timestamp), TsaError> {
    let token = token::token_of_reply(reply)?;
    let info = token::read(&token)?;
    info.timestamp.check_imprint(imprint)?;
    match &info.timestamp.nonce {
        Some(n) if *n == token::nonce_int(nonce).as_bytes() => {}
        Some(_) => return Err(TsaError::Mismatch("another nonce".into())),
        None => return Err(TsaError::Mismatch("no nonce, one was asked for".into())),
    }
    Ok((token, info.timestamp))
}

/// The token a `TimeStampResp` carries, once its status says granted (its
/// imprint and nonce are not compared: [`token_from_reply`] does that).
pub fn token_of_reply(reply: &[u8]) -> Result<Vec<u8>, TsaError> {
    token::token_of_reply(reply)
}

/// The SHA-256 message imprint a token stamps (read, not verified).
pub fn stamped_imprint(token_der: &[u8]) -> Result<Vec<u8>, TsaError> {
    if token_der.len() > MAX_TOKEN_SIZE {
        return Err(TsaError::TooLarge {
            what: "the token",
            size: token_der.len(),
        });
    }
    let t = token::read(token_der)?.timestamp;
    if t.hash_oid != SHA256 {
        return Err(TsaError::Mismatch(format!(
            "its imprint is hashed with {}, not SHA-256",
            t.hash_oid
        )));
    }
    Ok(t.imprint)
}

/// What a verified token says, and who said it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The token's contents.
    pub timestamp: Timestamp,
    /// The trusted TSA it chains to (its trust name).
    pub tsa: String,
    /// The signer certificate's subject.
    pub signer: String,
}

impl Verified {
    /// "by T according to TSA X": what a report says.
    pub fn describe(&self) -> String {
        format!(
            "{} according to TSA {} ({}, trusted as {})",
            self.timestamp.describe_bound(),
            self.signer_cn(),
            self.signer,
            self.tsa
        )
    }

    fn signer_cn(&self) -> &str {
        self.signer
            .split(',')
            .find_map(|p| p.trim().strip_prefix("CN="))
            .unwrap_or(&self.signer)
    }
}

/// Checks a token for a message imprint against the trusted TSAs: the
/// imprint, the signature, the chain, the validity at the token's time and
/// the signer's key usage. The first anchor the chain reaches counts.
pub fn verify_token(
    token_der: &[u8],
    imprint: &[u8; 32],
    trusted: &[TsaTrust],
) -> Result<Verified, TsaError> {
    if token_der.len() > MAX_TOKEN_SIZE {
        return Err(TsaError::TooLarge {
            what: "the token",
            size: token_der.len(),
        });
    }
    let info = token::read(token_der)?;
    info.timestamp.check_imprint(imprint)?;
    if trusted.is_empty() {
        return Err(TsaError::Untrusted(
            "the trust policy names no TSA (TRUST/tsa/*.pem)".into(),
        ));
    }
    crypto::check_signed_attributes(&info)?;
    let signer = crypto::signer_certificate(&info, trusted)?;
    crypto::check_signature(&info, &signer)?;
    let at = info.timestamp.gen_time;
    let mut reasons = Vec::new();
    for t in trusted {
        match crypto::chain_to(&signer, &info.certificates, &t.anchor, at) {
            Ok(()) => {
                return Ok(Verified {
                    timestamp: info.timestamp,
                    tsa: t.name.clone(),
                    signer: signer.subject.clone(),
                })
            }
            Err(e) => reasons.push(format!("{}: {e}", t.name)),
        }
    }
    Err(TsaError::Untrusted(format!(
        "signed by {}, which chains to no trusted TSA ({})",
        signer.subject,
        reasons.join("; ")
    )))
}
