//! A signing key as a person names it: a key file (PKCS#8 PEM, from `keys
//! new`) or a key in a PKCS#11 token (`pkcs11:` URI). Statements,
//! certificates and the scheme root's revocations are signed through it,
//! and the rule that a certificate must certify the key that signs under
//! it lives here, not in the command line.

use std::path::Path;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use super::TokenKey;
use crate::identity::Certificate;

/// A signing key: in memory (read from its file) or in a token.
pub enum KeyRef {
    /// Read from a key file.
    File {
        /// The key.
        key: SigningKey,
        /// Its file, for messages.
        path: String,
    },
    /// In a PKCS#11 token, logged in.
    Token {
        /// The key.
        key: TokenKey,
        /// Its URI, for messages.
        uri: String,
    },
}

/// Why a named key cannot be used, or does not match.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyRefError(pub String);

impl crate::class::Classify for KeyRefError {
    fn class(&self) -> crate::class::Class {
        crate::class::Class::BadInput
    }
}

impl KeyRef {
    /// Opens the key `spec` names: a `pkcs11:` URI, or a key file. Returns
    /// it with a warning for a key file others can read.
    pub fn open(spec: &Path) -> Result<(KeyRef, Option<String>), KeyRefError> {
        let named = spec.to_string_lossy();
        if named.starts_with("pkcs11:") {
            let key = TokenKey::open(&named).map_err(|e| KeyRefError(e.to_string()))?;
            return Ok((
                KeyRef::Token {
                    key,
                    uri: named.to_string(),
                },
                None,
            ));
        }
        let (key, warning) =
            crate::identity::read_private_key(spec).map_err(|e| KeyRefError(e.to_string()))?;
        Ok((
            KeyRef::File {
                key,
                path: spec.display().to_string(),
            },
            warning,
        ))
    }

    /// The public half.
    pub fn public(&self) -> VerifyingKey {
        match self {
            KeyRef::File { key, .. } => key.verifying_key(),
            KeyRef::Token { key, .. } => *key.public(),
        }
    }

    /// Signs `message` with pure Ed25519.
    pub fn sign(&self, message: &[u8]) -> Result<[u8; 64], String> {
        match self {
            KeyRef::File { key, .. } => Ok(key.sign(message).to_bytes()),
            KeyRef::Token { key, .. } => key.sign(message).map_err(|e| e.to_string()),
        }
    }

    /// Where the key is, for messages.
    pub fn describe(&self) -> String {
        match self {
            KeyRef::File { path, .. } => path.clone(),
            KeyRef::Token { key, uri } => format!("token {} ({uri})", key.token()),
        }
    }

    /// Refuses `cert` (named `cert_name`) unless it certifies this key:
    /// checked before anything is signed.
    pub fn check_certified(&self, cert: &Certificate, cert_name: &str) -> Result<(), KeyRefError> {
        if cert.key() != &self.public() {
            return Err(KeyRefError(format!(
                "{cert_name} does not certify the key in {}",
                self.describe()
            )));
        }
        Ok(())
    }
}
