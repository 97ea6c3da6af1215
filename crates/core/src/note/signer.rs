//! What signs for a log: a key that can sign bytes and name its public half.
//!
//! Every signature a log makes (checkpoints, COSE receipts) goes through
//! this trait, so where the private key lives is the signer's business: a
//! [`SignerKey`] read from a file is one signer; a key in a hardware token
//! is another. A ledger opens its signer once and keeps it.

use super::{NoteError, SigType, SignerKey, VerifierKey};

/// Signs for a log with an Ed25519 key.
pub trait Signer: Send + Sync {
    /// The public half: the verifier key (name, type, key) its signatures
    /// are checked with.
    fn public_key(&self) -> &VerifierKey;

    /// Signs `message` with Ed25519 (RFC 8032), returning the 64-byte
    /// signature. A signer whose key is elsewhere (a token) may fail; the
    /// error says why.
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], NoteError>;

    /// Where the signer keeps the log's high-water mark itself (a key in a
    /// token keeps it in the token); `None`: the ledger keeps it beside
    /// the key file.
    fn marks(&self) -> Option<&dyn MarkKeeper> {
        None
    }
}

/// A signer's own keeping of the log's high-water mark: the largest
/// checkpoint the key signed, kept with the key, out of reach of whoever
/// can roll the store back.
pub trait MarkKeeper {
    /// Where, for messages.
    fn place(&self) -> String;
    /// The marks kept (signed checkpoint notes; usually one, two after a
    /// crash between writing a new one and removing the old).
    fn read_marks(&self) -> Result<Vec<Vec<u8>>, NoteError>;
    /// Keeps `note` as the mark, replacing the older ones.
    fn keep_mark(&self, note: &[u8]) -> Result<(), NoteError>;
}

impl Signer for SignerKey {
    fn public_key(&self) -> &VerifierKey {
        self.verifier_ref()
    }
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], NoteError> {
        if self.sig_type() != SigType::Ed25519 {
            return Err(NoteError::WrongKeyType {
                reason: "a log signs with an Ed25519 (type 0x01) key".into(),
            });
        }
        Ok(self.sign_raw(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Verifier as _;

    #[test]
    fn a_signer_key_signs_what_its_public_key_verifies() {
        let key = SignerKey::generate("example.org/log", SigType::Ed25519).unwrap();
        let signer: &dyn Signer = &key;
        let sig = signer.sign(b"message").unwrap();
        let public = signer.public_key();
        assert_eq!(public, &key.verifier());
        let sig = ed25519_dalek::Signature::from_bytes(&sig);
        public.key().verify(b"message", &sig).unwrap();
        assert!(public.key().verify(b"other", &sig).is_err());
    }

    #[test]
    fn a_cosignature_key_does_not_sign_for_a_log() {
        let key = SignerKey::generate("w", SigType::Cosignature).unwrap();
        let err = Signer::sign(&key, b"m").unwrap_err();
        assert!(matches!(err, NoteError::WrongKeyType { .. }), "{err}");
    }
}
