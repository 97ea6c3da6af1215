//! A client's TLS key in a PKCS#11 token (issue 26): the `--url` clients
//! present `TRIAGE_LEDGER_CERT` and prove it with `TRIAGE_LEDGER_KEY` set
//! to a `pkcs11:` URI; the handshake's CertificateVerify is signed in the
//! token (Ed25519, the scheme's only key type).
//!
//! ureq takes a client key as bytes. The token's key has none, so the
//! client hands rustls a placeholder key and a crypto provider whose key
//! provider answers every key with the token's signer (one token identity
//! per process, as the environment names one).

use std::sync::{Arc, OnceLock};

use rustls::crypto::{CryptoProvider, KeyProvider};
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::{Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};

use crate::token::TokenKey;

/// The token key behind the placeholder.
#[derive(Debug)]
struct TokenKeys(Arc<TokenKey>);

impl KeyProvider for TokenKeys {
    fn load_private_key(
        &self,
        _placeholder: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        Ok(Arc::new(TokenTlsKey(self.0.clone())))
    }
}

#[derive(Debug)]
struct TokenTlsKey(Arc<TokenKey>);

impl SigningKey for TokenTlsKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered
            .contains(&SignatureScheme::ED25519)
            .then(|| Box::new(TokenTlsSigner(self.0.clone())) as Box<dyn Signer>)
    }
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::ED25519
    }
}

#[derive(Debug)]
struct TokenTlsSigner(Arc<TokenKey>);

impl Signer for TokenTlsSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        self.0
            .sign(message)
            .map(|s| s.to_vec())
            .map_err(|e| rustls::Error::General(e.to_string()))
    }
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ED25519
    }
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKey({})", self.token())
    }
}

/// A token key opened for TLS: the crypto provider that signs with it, the
/// placeholder key (PEM), and the key.
pub(crate) type Opened = (Arc<CryptoProvider>, Vec<u8>, Arc<TokenKey>);

/// The crypto provider whose keys are the token key `uri` names (opened
/// once per process), and a placeholder key (PKCS#8 PEM, a throwaway
/// Ed25519 key that never signs) to hand ureq with the certificate.
pub(crate) fn provider(uri: &str) -> Result<Opened, String> {
    static OPENED: OnceLock<(String, Arc<CryptoProvider>, Arc<TokenKey>)> = OnceLock::new();
    if let Some((u, p, k)) = OPENED.get() {
        if u == uri {
            return Ok((p.clone(), placeholder()?, k.clone()));
        }
        return Err(format!(
            "one token key per process: {u} is open already, not {uri}"
        ));
    }
    let key = Arc::new(TokenKey::open(uri).map_err(|e| e.to_string())?);
    let keys: &'static TokenKeys = Box::leak(Box::new(TokenKeys(key.clone())));
    let provider = Arc::new(CryptoProvider {
        key_provider: keys,
        ..rustls::crypto::ring::default_provider()
    });
    let (_, p, k) = OPENED.get_or_init(|| (uri.to_string(), provider, key));
    Ok((p.clone(), placeholder()?, k.clone()))
}

fn placeholder() -> Result<Vec<u8>, String> {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let throwaway = crate::identity::generate_key();
    throwaway
        .to_pkcs8_pem(Default::default())
        .map(|p| p.as_bytes().to_vec())
        .map_err(|e| e.to_string())
}
