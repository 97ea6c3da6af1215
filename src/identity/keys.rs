//! Ed25519 key files: private keys as PKCS#8 PEM (RFC 8410), written 0600 and
//! zeroized in memory; public keys as SubjectPublicKeyInfo PEM.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use ed25519_dalek::pkcs8::{
    spki::der::pem::LineEnding, DecodePrivateKey, DecodePublicKey, EncodePrivateKey,
    EncodePublicKey,
};
use ed25519_dalek::{SigningKey, VerifyingKey};

use super::IdentityError;

fn io(path: &Path) -> impl Fn(std::io::Error) -> IdentityError + '_ {
    move |source| IdentityError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A private key as PKCS#8 v1 PEM (RFC 8410 §7, no embedded public key:
/// the form OpenSSL writes and every PKCS#8 reader accepts); zeroed when
/// dropped.
pub fn private_key_pem(key: &SigningKey) -> Result<zeroize::Zeroizing<String>, IdentityError> {
    let bytes = ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    let pem = bytes
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| IdentityError::Issue(e.to_string()))?;
    Ok(zeroize::Zeroizing::new(pem.to_string()))
}

/// A public key as SPKI PEM.
pub fn public_key_pem(key: &VerifyingKey) -> Result<String, IdentityError> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| IdentityError::Issue(e.to_string()))
}

/// Writes a private key as PKCS#8 PEM, mode 0600; refuses to overwrite.
pub fn write_private_key(path: &Path, key: &SigningKey) -> Result<(), IdentityError> {
    let pem = private_key_pem(key)?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io(path))?;
    f.write_all(pem.as_bytes()).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// Writes a public key as SPKI PEM.
pub fn write_public_key(path: &Path, key: &VerifyingKey) -> Result<(), IdentityError> {
    let pem = key
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| IdentityError::Issue(e.to_string()))?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io(path))?;
    f.write_all(pem.as_bytes()).map_err(io(path))
}

/// Reads a PKCS#8 PEM private key. Returns a warning when the file is
/// readable by other users.
pub fn read_private_key(path: &Path) -> Result<(SigningKey, Option<String>), IdentityError> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    let mode = meta.permissions().mode() & 0o777;
    let warning = (mode & 0o077 != 0).then(|| {
        format!(
            "{} is readable by other users (mode {mode:o}); run: chmod 600 {}",
            path.display(),
            path.display()
        )
    });
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(io(path))?);
    let key = SigningKey::from_pkcs8_pem(&text).map_err(|e| IdentityError::BadKey {
        path: path.to_path_buf(),
        what: "private key (PKCS#8)",
        reason: e.to_string(),
    })?;
    Ok((key, warning))
}

/// Reads an SPKI PEM public key.
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, IdentityError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    VerifyingKey::from_public_key_pem(&text).map_err(|e| IdentityError::BadKey {
        path: path.to_path_buf(),
        what: "public key (SPKI)",
        reason: e.to_string(),
    })
}
