//! C2SP signed notes (c2sp.org/signed-note), checkpoints
//! (c2sp.org/tlog-checkpoint), witness cosignatures (c2sp.org/tlog-cosignature)
//! and the text proof format (c2sp.org/tlog-proof).
//!
//! The only way to get a [`SignedCheckpoint`] from bytes is
//! [`SignedCheckpoint::open`], which verifies the log's signature first and
//! parses second.

mod checkpoint;
mod cosign;
mod frozen;
mod keys;
mod policy;
mod proof_text;
mod rotation;
mod signer;
mod trust_update;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

#[doc(hidden)]
pub use checkpoint::parse_decimal;
pub use checkpoint::{Checkpoint, SignedCheckpoint};
pub use cosign::{
    cosign, cosign_with, cosignatures_from_response, verify_cosignature, CosignatureCheck,
};
pub use frozen::{Frozen, Predecessor, SignedFrozen, FROZEN_HEADER, PREDECESSOR_HEADER};
pub use keys::{keys_named, validate_key_name, KeyId, SigType, SignerKey, VerifierKey};
pub use policy::{Policy, PolicyError, PolicyWitness, QuorumReport, MAX_POLICY_ITEMS};
pub use proof_text::{TlogProof, VerifyProofError};
pub use rotation::{Rotation, SignedRotation, ROTATION_HEADER};
pub use signer::{MarkKeeper, Signer};
pub use trust_update::{
    scheme_root_key, RootNoteSigner, SignedTrustUpdate, TrustUpdate, Window, SCHEME_ROOT_KEY_NAME,
    TRUST_UPDATE_HEADER,
};

use crate::merkle::truncate_for_message;

/// Largest note accepted (room for 16+ post-quantum signatures, as the spec asks).
pub const MAX_NOTE_SIZE: usize = 128 * 1024;
/// Most signature lines accepted on one note.
pub const MAX_SIGNATURES: usize = 100;

/// Why a note, key, checkpoint or proof was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    /// The text breaks the signed-note grammar.
    #[error("malformed note: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// The note is larger than [`MAX_NOTE_SIZE`] or has too many signatures.
    #[error("note too large: {reason}")]
    TooLarge {
        /// Which limit.
        reason: String,
    },
    /// A key name is empty or contains spaces or `+`.
    #[error("invalid key name {name:?}: must be non-empty, without spaces or '+'")]
    BadKeyName {
        /// The name (truncated).
        name: String,
    },
    /// A verifier key string is malformed or inconsistent.
    #[error("invalid verifier key {key:?}: {reason}")]
    BadVerifierKey {
        /// The key string (truncated).
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A private key string is malformed (its content is never echoed).
    #[error("invalid private key: {reason}")]
    BadSignerKey {
        /// What is wrong.
        reason: String,
    },
    /// A key of a signature type this crate does not implement.
    #[error("unsupported key type 0x{type_byte:02x} (supported: 0x01 Ed25519, 0x04 Ed25519 cosignature)")]
    UnsupportedKeyType {
        /// The type byte.
        type_byte: u8,
    },
    /// A signature from a known key does not verify.
    #[error("signature by {name} (key id {id}) does not verify")]
    BadSignature {
        /// Key name.
        name: String,
        /// Key id.
        id: KeyId,
    },
    /// No signature from any trusted key was found.
    #[error("no signature by a trusted key (trusted: {trusted})")]
    NoTrustedSignature {
        /// Names and ids of the keys that were trusted.
        trusted: String,
    },
    /// The checkpoint text is not a valid tlog-checkpoint.
    #[error("malformed checkpoint: {reason}")]
    BadCheckpoint {
        /// What is wrong.
        reason: String,
    },
    /// The checkpoint's origin is not the log's key name.
    #[error("checkpoint origin {origin:?} is not the log's name {expected:?}")]
    OriginMismatch {
        /// Origin in the checkpoint.
        origin: String,
        /// Expected origin (the key name).
        expected: String,
    },
    /// A tlog-proof text is malformed.
    #[error("malformed tlog-proof: {reason}")]
    BadProofText {
        /// What is wrong.
        reason: String,
    },
    /// The key given is of the wrong kind for the operation.
    #[error("wrong key type: {reason}")]
    WrongKeyType {
        /// What was expected.
        reason: String,
    },
    /// A signer whose key is elsewhere (a token) could not sign.
    #[error("the signer failed: {0}")]
    Signer(String),
}

impl NoteError {}

impl crate::class::Classify for NoteError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            NoteError::BadSignature { .. }
            | NoteError::NoTrustedSignature { .. }
            | NoteError::OriginMismatch { .. } => Class::VerificationFailed,
            NoteError::Signer(_) => Class::Unavailable,
            _ => Class::BadInput,
        }
    }
}

fn malformed(reason: impl Into<String>) -> NoteError {
    NoteError::Malformed {
        reason: reason.into(),
    }
}

/// One signature line of a note: `— <name> base64(key id ‖ signature)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    name: String,
    id: KeyId,
    sig: Vec<u8>,
}

impl NoteSignature {
    /// Builds a signature line from its parts.
    pub fn new(name: &str, id: KeyId, sig: Vec<u8>) -> Result<Self, NoteError> {
        validate_key_name(name)?;
        Ok(NoteSignature {
            name: name.to_string(),
            id,
            sig,
        })
    }
    /// Signer name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Signer key id.
    pub fn id(&self) -> KeyId {
        self.id
    }
    /// The signature bytes after the key id.
    pub fn signature(&self) -> &[u8] {
        &self.sig
    }
    /// The full line, with its final newline.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.sig.len());
        raw.extend_from_slice(self.id.as_bytes());
        raw.extend_from_slice(&self.sig);
        format!("\u{2014} {} {}\n", self.name, B64.encode(raw))
    }

    fn parse_line(line: &str) -> Result<Self, NoteError> {
        let rest = line.strip_prefix("\u{2014} ").ok_or_else(|| {
            malformed(format!(
                "signature line does not start with an em dash: {:?}",
                truncate_for_message(line)
            ))
        })?;
        let (name, b64) = rest.split_once(' ').ok_or_else(|| {
            malformed(format!(
                "signature line has no signature: {:?}",
                truncate_for_message(line)
            ))
        })?;
        validate_key_name(name)?;
        let raw = B64
            .decode(b64)
            .map_err(|_| malformed(format!("signature by {name} is not base64")))?;
        if raw.len() < 5 {
            return Err(malformed(format!(
                "signature by {name} is too short ({} bytes)",
                raw.len()
            )));
        }
        let id = KeyId::from_bytes([raw[0], raw[1], raw[2], raw[3]]);
        Ok(NoteSignature {
            name: name.to_string(),
            id,
            sig: raw[4..].to_vec(),
        })
    }
}

/// A signed note: text plus signature lines. Parsing does not verify; use
/// [`Note::verify`] (or [`SignedCheckpoint::open`]) before trusting the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    text: String,
    sigs: Vec<NoteSignature>,
}

impl Note {
    /// Parses a note, enforcing the grammar and the size limits.
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        if bytes.len() > MAX_NOTE_SIZE {
            return Err(NoteError::TooLarge {
                reason: format!("{} bytes, limit {MAX_NOTE_SIZE}", bytes.len()),
            });
        }
        let s = std::str::from_utf8(bytes).map_err(|_| malformed("not valid UTF-8"))?;
        if let Some(c) = s.chars().find(|&c| c.is_ascii_control() && c != '\n') {
            return Err(malformed(format!(
                "contains control character U+{:04X}",
                c as u32
            )));
        }
        if !s.ends_with('\n') {
            return Err(malformed("does not end with a newline"));
        }
        // The text ends at the last blank line; everything after is signatures.
        let split = s
            .rfind("\n\n")
            .ok_or_else(|| malformed("no blank line between text and signatures"))?;
        let text = &s[..split + 1];
        let sig_block = &s[split + 2..];
        if sig_block.is_empty() {
            return Err(malformed("no signature lines"));
        }
        let mut sigs = Vec::new();
        for line in sig_block
            .strip_suffix('\n')
            .unwrap_or(sig_block)
            .split('\n')
        {
            if sigs.len() == MAX_SIGNATURES {
                return Err(NoteError::TooLarge {
                    reason: format!("more than {MAX_SIGNATURES} signatures"),
                });
            }
            sigs.push(NoteSignature::parse_line(line)?);
        }
        Ok(Note {
            text: text.to_string(),
            sigs,
        })
    }

    /// Builds an unsigned note from text that must end in a newline.
    pub fn new(text: &str) -> Result<Self, NoteError> {
        if !text.ends_with('\n') || text.contains("\n\n") || text.is_empty() {
            return Err(malformed(
                "note text must end with one newline and contain no blank line",
            ));
        }
        if let Some(c) = text.chars().find(|&c| c.is_ascii_control() && c != '\n') {
            return Err(malformed(format!(
                "contains control character U+{:04X}",
                c as u32
            )));
        }
        Ok(Note {
            text: text.to_string(),
            sigs: Vec::new(),
        })
    }

    /// The note text, including its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// All signature lines, verified or not.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.sigs
    }

    /// Adds an Ed25519 (type 0x01) signature by `key`.
    pub fn sign(&mut self, key: &dyn Signer) -> Result<(), NoteError> {
        let public = key.public_key();
        if public.sig_type() != SigType::Ed25519 {
            return Err(NoteError::WrongKeyType {
                reason: "note signatures need an Ed25519 (type 0x01) key".into(),
            });
        }
        let sig = key.sign(self.text.as_bytes())?;
        self.sigs.push(NoteSignature::new(
            public.name(),
            public.id(),
            sig.to_vec(),
        )?);
        Ok(())
    }

    /// Adds an already-made signature line (e.g. a cosignature).
    pub fn push_signature(&mut self, sig: NoteSignature) -> Result<(), NoteError> {
        if self.sigs.len() >= MAX_SIGNATURES {
            return Err(NoteError::TooLarge {
                reason: format!("more than {MAX_SIGNATURES} signatures"),
            });
        }
        self.sigs.push(sig);
        Ok(())
    }

    /// Verifies the note against trusted Ed25519 keys, as the spec requires:
    /// signatures by unknown (name, id) pairs are ignored, a bad signature by a
    /// known key rejects the note, and at least one known key must have signed.
    /// Returns the keys whose signatures verified.
    pub fn verify<'k>(
        &self,
        trusted: &'k [VerifierKey],
    ) -> Result<Vec<&'k VerifierKey>, NoteError> {
        let mut ok = Vec::new();
        for sig in &self.sigs {
            let Some(key) = trusted.iter().find(|k| {
                k.sig_type() == SigType::Ed25519 && k.name() == sig.name && k.id() == sig.id
            }) else {
                continue;
            };
            if !key.verify_raw(self.text.as_bytes(), &sig.sig) {
                return Err(NoteError::BadSignature {
                    name: sig.name.clone(),
                    id: sig.id,
                });
            }
            if !ok
                .iter()
                .any(|k: &&VerifierKey| k.id() == key.id() && k.name() == key.name())
            {
                ok.push(key);
            }
        }
        if ok.is_empty() {
            let trusted = trusted
                .iter()
                .map(|k| format!("{}+{}", k.name(), k.id()))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(NoteError::NoTrustedSignature { trusted });
        }
        Ok(ok)
    }

    /// The whole signed note.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(self.text.len() + 1 + 120 * self.sigs.len());
        out.push_str(&self.text);
        out.push('\n');
        for s in &self.sigs {
            out.push_str(&s.to_line());
        }
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests;
