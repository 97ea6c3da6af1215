//! Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519, type 0x04).
//!
//! The signed message is `cosignature/v1\ntime <t>\n` followed by the whole
//! checkpoint body; the signature line carries key id ‖ u64 BE time ‖ signature.

use super::{
    Checkpoint, NoteError, NoteSignature, SigType, SignedCheckpoint, SignerKey, VerifierKey,
};

fn message(body: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{body}").into_bytes()
}

/// Cosigns a checkpoint body at `timestamp` (POSIX seconds) with a witness key.
pub fn cosign(
    checkpoint: &Checkpoint,
    key: &SignerKey,
    timestamp: u64,
) -> Result<NoteSignature, NoteError> {
    cosign_with(checkpoint, &key.verifier(), timestamp, |m| {
        Ok(key.sign_raw(m))
    })
}

/// [`cosign`] with a signing function for the witness key `public` (a key
/// in a token): given the cosignature's signed message, it returns the
/// Ed25519 signature.
pub fn cosign_with(
    checkpoint: &Checkpoint,
    public: &VerifierKey,
    timestamp: u64,
    sign: impl FnOnce(&[u8]) -> Result<[u8; 64], NoteError>,
) -> Result<NoteSignature, NoteError> {
    if public.sig_type() != SigType::Cosignature {
        return Err(NoteError::WrongKeyType {
            reason: "cosignatures need a type 0x04 witness key".into(),
        });
    }
    if timestamp > i64::MAX as u64 {
        return Err(NoteError::Malformed {
            reason: "cosignature time exceeds 2^63-1".into(),
        });
    }
    let sig = sign(&message(&checkpoint.to_text(), timestamp))?;
    let mut raw = Vec::with_capacity(72);
    raw.extend_from_slice(&timestamp.to_be_bytes());
    raw.extend_from_slice(&sig);
    NoteSignature::new(public.name(), public.id(), raw)
}

/// What checking one trusted witness against a checkpoint found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CosignatureCheck {
    /// A valid cosignature, made at this time.
    Valid {
        /// POSIX seconds in the cosignature.
        timestamp: u64,
    },
    /// The witness's (name, id) appears but the signature does not verify.
    Invalid,
    /// The witness did not cosign this checkpoint.
    Missing,
}

/// Checks a witness's cosignature on a checkpoint whose log signature was
/// already verified.
pub fn verify_cosignature(
    cp: &SignedCheckpoint,
    witness: &VerifierKey,
) -> Result<CosignatureCheck, NoteError> {
    if witness.sig_type() != SigType::Cosignature {
        return Err(NoteError::WrongKeyType {
            reason: format!(
                "witness key {} is not a type 0x04 cosigner key",
                witness.name()
            ),
        });
    }
    let body = cp.note().text();
    let mut found = CosignatureCheck::Missing;
    for s in cp.note().signatures() {
        if s.name() != witness.name() || s.id() != witness.id() {
            continue;
        }
        let raw = s.signature();
        if raw.len() != 72 {
            return Ok(CosignatureCheck::Invalid);
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&raw[..8]);
        let timestamp = u64::from_be_bytes(ts);
        if timestamp > i64::MAX as u64 || !witness.verify_raw(&message(body, timestamp), &raw[8..])
        {
            return Ok(CosignatureCheck::Invalid);
        }
        found = CosignatureCheck::Valid { timestamp };
    }
    Ok(found)
}

/// Reads a witness's answer (c2sp.org/tlog-witness: one or more signature
/// lines) for `cp`: returns the lines by `witness` after checking that each
/// verifies over `cp`. Lines by other keys are ignored, as the spec says.
pub fn cosignatures_from_response(
    cp: &SignedCheckpoint,
    response: &[u8],
    witness: &VerifierKey,
) -> Result<Vec<NoteSignature>, NoteError> {
    let mut combined = cp.note().text().as_bytes().to_vec();
    combined.push(b'\n');
    combined.extend_from_slice(response);
    let note = super::Note::parse(&combined)?;
    let mut out = Vec::new();
    for s in note.signatures() {
        if s.name() != witness.name() || s.id() != witness.id() {
            continue;
        }
        let with = cp.with_cosignature(s.clone())?;
        match verify_cosignature(&with, witness)? {
            CosignatureCheck::Valid { .. } => out.push(s.clone()),
            _ => {
                return Err(NoteError::BadSignature {
                    name: witness.name().to_string(),
                    id: witness.id(),
                })
            }
        }
    }
    if out.is_empty() {
        return Err(NoteError::NoTrustedSignature {
            trusted: format!("{}+{}", witness.name(), witness.id()),
        });
    }
    Ok(out)
}
