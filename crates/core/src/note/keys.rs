//! Note signer and verifier keys: C2SP signed-note verifier-key strings
//! (`name+<hex id>+<base64(type ‖ public key)>`) and the matching private-key
//! strings (`PRIVATE+KEY+name+<hex id>+<base64(type ‖ seed)>`, as Go's
//! `golang.org/x/mod/sumdb/note` writes them).

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::NoteError;
use crate::merkle::truncate_for_message;

/// A 4-byte key identifier: the first four bytes of
/// SHA-256(name ‖ 0x0A ‖ type ‖ public key).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; 4]);

impl KeyId {
    /// Wraps raw bytes.
    pub const fn from_bytes(b: [u8; 4]) -> Self {
        KeyId(b)
    }
    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 4] {
        &self.0
    }
    /// Computes the key id of a public key.
    pub fn compute(name: &str, sig_type: SigType, public_key: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(name.as_bytes());
        h.update([b'\n', sig_type as u8]);
        h.update(public_key);
        let d = h.finalize();
        KeyId([d[0], d[1], d[2], d[3]])
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02x}{:02x}{:02x}{:02x}",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// The signature types this crate speaks (c2sp.org/signed-note §Signature types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SigType {
    /// 0x01: Ed25519 signatures over the note text (log checkpoints).
    Ed25519 = 0x01,
    /// 0x04: timestamped Ed25519 witness cosignatures (c2sp.org/tlog-cosignature).
    Cosignature = 0x04,
}

impl SigType {
    fn from_byte(b: u8) -> Result<Self, NoteError> {
        match b {
            0x01 => Ok(SigType::Ed25519),
            0x04 => Ok(SigType::Cosignature),
            other => Err(NoteError::UnsupportedKeyType { type_byte: other }),
        }
    }
}

/// Checks a key name: non-empty, no Unicode spaces, no `+`, no control characters.
pub fn validate_key_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(NoteError::BadKeyName {
            name: truncate_for_message(name),
        });
    }
    Ok(())
}

/// The keys of `keys` whose name is `name` (e.g. a log's keys for an origin).
pub fn keys_named(keys: &[VerifierKey], name: &str) -> Vec<VerifierKey> {
    keys.iter().filter(|k| k.name() == name).cloned().collect()
}

/// A public key that verifies note signatures or cosignatures.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: KeyId,
    sig_type: SigType,
    key: VerifyingKey,
}

impl VerifierKey {
    /// Builds the verifier for a public key.
    pub fn new(name: &str, sig_type: SigType, key: VerifyingKey) -> Result<Self, NoteError> {
        validate_key_name(name)?;
        let id = KeyId::compute(name, sig_type, key.as_bytes());
        Ok(VerifierKey {
            name: name.to_string(),
            id,
            sig_type,
            key,
        })
    }

    /// Parses `name+<8 hex digits>+<base64(type ‖ 32-byte key)>`, checking
    /// that the id is the one the key and name imply.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let text = text.trim_end_matches(['\n', '\r']);
        let bad = |reason: &str| NoteError::BadVerifierKey {
            key: truncate_for_message(text),
            reason: reason.to_string(),
        };
        // Names and ids cannot contain '+', base64 can: split at the first two.
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected name+<8 hex digits>+<base64 key>"));
        };
        validate_key_name(name)?;
        let id = parse_key_id_hex(hex).ok_or_else(|| bad("key id is not 8 hex digits"))?;
        let raw = B64.decode(b64).map_err(|_| bad("key is not base64"))?;
        let (&type_byte, key_bytes) = raw.split_first().ok_or_else(|| bad("empty key"))?;
        let sig_type = SigType::from_byte(type_byte)?;
        let key_arr: [u8; 32] = key_bytes
            .try_into()
            .map_err(|_| bad("an Ed25519 key must be 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&key_arr)
            .map_err(|_| bad("not a valid Ed25519 public key"))?;
        let vk = VerifierKey::new(name, sig_type, key)?;
        if vk.id != id {
            return Err(bad(&format!(
                "key id {} does not match the key (expected {})",
                hex, vk.id
            )));
        }
        Ok(vk)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The key id.
    pub fn id(&self) -> KeyId {
        self.id
    }
    /// The signature type.
    pub fn sig_type(&self) -> SigType {
        self.sig_type
    }
    /// The Ed25519 public key.
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Verifies an Ed25519 signature over `msg` (strict RFC 8032 checks).
    pub(crate) fn verify_raw(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
            return false;
        };
        self.key.verify_strict(msg, &sig).is_ok()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(33);
        raw.push(self.sig_type as u8);
        raw.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{}+{}", self.name, self.id, B64.encode(raw))
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

fn parse_key_id_hex(hex: &str) -> Option<KeyId> {
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let v = u32::from_str_radix(hex, 16).ok()?;
    Some(KeyId(v.to_be_bytes()))
}

/// A private signing key with its name and type. It zeroizes on drop and has
/// no `Debug` or `Display`, so it cannot leak into logs.
pub struct SignerKey {
    name: String,
    sig_type: SigType,
    secret: SigningKey,
    /// The public half, computed once.
    public: VerifierKey,
}

fn public_of(name: &str, sig_type: SigType, secret: &SigningKey) -> VerifierKey {
    let key = secret.verifying_key();
    VerifierKey {
        name: name.to_string(),
        id: KeyId::compute(name, sig_type, key.as_bytes()),
        sig_type,
        key,
    }
}

impl SignerKey {
    /// Generates a new key from the operating system's random source.
    #[cfg(feature = "rand")]
    pub fn generate(name: &str, sig_type: SigType) -> Result<Self, NoteError> {
        validate_key_name(name)?;
        let secret = SigningKey::generate(&mut rand_core::OsRng);
        Ok(SignerKey {
            name: name.to_string(),
            sig_type,
            public: public_of(name, sig_type, &secret),
            secret,
        })
    }

    /// Parses `PRIVATE+KEY+name+<hex id>+<base64(type ‖ 32-byte seed)>`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let text = text.trim_end_matches(['\n', '\r']);
        // Never echo secret material in errors.
        let bad = |reason: &str| NoteError::BadSignerKey {
            reason: reason.to_string(),
        };
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("expected PRIVATE+KEY+name+<hex id>+<base64 key>"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected PRIVATE+KEY+name+<hex id>+<base64 key>"));
        };
        validate_key_name(name)?;
        let id = parse_key_id_hex(hex).ok_or_else(|| bad("key id is not 8 hex digits"))?;
        let raw = Zeroizing::new(B64.decode(b64).map_err(|_| bad("key is not base64"))?);
        let (&type_byte, seed) = raw.split_first().ok_or_else(|| bad("empty key"))?;
        let sig_type = SigType::from_byte(type_byte)?;
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
            seed.try_into()
                .map_err(|_| bad("an Ed25519 seed must be 32 bytes"))?,
        );
        let secret = SigningKey::from_bytes(&seed);
        let key = SignerKey {
            name: name.to_string(),
            sig_type,
            public: public_of(name, sig_type, &secret),
            secret,
        };
        if key.verifier().id() != id {
            return Err(bad("key id does not match the key"));
        }
        Ok(key)
    }

    /// The private-key string; handle with care (zeroized when dropped).
    pub fn to_private_string(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(Vec::with_capacity(33));
        raw.push(self.sig_type as u8);
        raw.extend_from_slice(self.secret.as_bytes());
        let vk = self.verifier();
        Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            vk.id(),
            B64.encode(&*raw)
        ))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> VerifierKey {
        self.public.clone()
    }

    #[doc(hidden)]
    pub fn verifier_ref(&self) -> &VerifierKey {
        &self.public
    }

    /// The signature type.
    pub fn sig_type(&self) -> SigType {
        self.sig_type
    }

    /// Signs raw bytes with Ed25519.
    pub(crate) fn sign_raw(&self, msg: &[u8]) -> [u8; 64] {
        self.secret.sign(msg).to_bytes()
    }
}
