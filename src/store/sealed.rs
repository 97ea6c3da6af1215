//! A confidential ledger's openings in object storage, sealed: each
//! openings bundle ([`super::confidential`]) is encrypted with
//! XChaCha20-Poly1305 under a key the sequencers hold
//! (`LEDGER/private/openings.key`, never in the bucket) before it goes to
//! the bucket, beside the public tree:
//!
//! ```text
//! s3://BUCKET/PREFIX/private/openings/tile/entries/<N>[.p/<W>]
//!     "triage-ledger sealed openings v1\n" ‖ nonce (24 random bytes)
//!     ‖ XChaCha20-Poly1305(key, nonce,
//!           aad = origin ‖ "\n" ‖ the object's path under PREFIX,
//!           plaintext = length (4 bytes, big-endian) ‖ bundle ‖ zeros)
//! ```
//!
//! The associated data binds each object to its log and its place, so an
//! object moved, swapped or copied from another log fails to open. The
//! plaintext is padded to a multiple of [`PAD`] bytes: what an object's
//! length tells a reader of the bucket is the bundle's size to 4 KiB (its
//! number of statements is public anyway, in the entry bundle beside it).
//! Random 192-bit nonces never repeat in practice, however many objects a
//! key seals.

use std::path::Path;

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand_core::RngCore;
use zeroize::Zeroizing;

use super::{fsio, tiles, Layout, StoreError, TileKind};

const MAGIC: &[u8] = b"triage-ledger sealed openings v1\n";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// The plaintext of a sealed object is padded to a multiple of this.
pub const PAD: usize = 4096;

/// The bucket path (under the ledger's prefix) of the sealed openings of
/// entry bundle `n` of `width` entries.
pub fn sealed_rel(n: u64, width: u64) -> String {
    format!(
        "private/openings/{}",
        tiles::tile_rel_path(TileKind::Entries, n, width)
    )
}

/// True for a path [`sealed_rel`] makes.
pub fn is_sealed_rel(rel: &str) -> bool {
    rel.starts_with("private/openings/tile/entries/")
}

/// The largest sealed object: a bundle of 256 openings of 65,535 bytes,
/// padded, with its header.
pub const MAX_SEALED: u64 =
    (256 * (2 + 65_535) + 4 + PAD + MAGIC.len() + NONCE_LEN + TAG_LEN) as u64;

/// The sequencers' key for a ledger's sealed openings.
pub struct OpeningsKey {
    cipher: XChaCha20Poly1305,
    origin: String,
}

impl OpeningsKey {
    /// The key of the ledger at `layout` (log `origin`), made now if the
    /// ledger has none yet (its first move to a bucket).
    pub fn load_or_make(layout: &Layout, origin: &str) -> Result<OpeningsKey, StoreError> {
        let path = layout.openings_key();
        if !path.exists() {
            let mut raw = Zeroizing::new([0u8; 32]);
            rand_core::OsRng.fill_bytes(raw.as_mut());
            let text = Zeroizing::new(format!(
                "{}\n",
                base64::engine::general_purpose::STANDARD.encode(raw.as_ref())
            ));
            fsio::write_private_file(&path, text.as_bytes())?;
        }
        OpeningsKey::load(layout, origin)
    }

    /// The key of the ledger at `layout` (log `origin`).
    pub fn load(layout: &Layout, origin: &str) -> Result<OpeningsKey, StoreError> {
        let path = layout.openings_key();
        let text = Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotALedger {
                path: layout.root().to_path_buf(),
                reason: format!(
                    "{} is missing: a sequencer of a confidential ledger in a bucket needs the key its openings are sealed with (copy it from another sequencer's LEDGER/private/)",
                    path.display()
                ),
            },
            _ => StoreError::io(&path, e),
        })?);
        let raw = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(text.trim_end())
                .map_err(|_| StoreError::corrupt(&path, "is not a base64 key".into()))?,
        );
        if raw.len() != 32 {
            return Err(StoreError::corrupt(&path, "is not a 32-byte key".into()));
        }
        Ok(OpeningsKey {
            cipher: XChaCha20Poly1305::new(Key::from_slice(&raw)),
            origin: origin.to_string(),
        })
    }

    fn aad(&self, rel: &str) -> Vec<u8> {
        let mut aad = self.origin.as_bytes().to_vec();
        aad.push(b'\n');
        aad.extend_from_slice(rel.as_bytes());
        aad
    }

    /// Seals the openings bundle `bundle` for the object at `rel`.
    pub fn seal(&self, rel: &str, bundle: &[u8]) -> Vec<u8> {
        let len = 4 + bundle.len();
        let mut plain = Zeroizing::new(Vec::with_capacity(len.next_multiple_of(PAD)));
        plain.extend_from_slice(&(bundle.len() as u32).to_be_bytes());
        plain.extend_from_slice(bundle);
        plain.resize(len.next_multiple_of(PAD), 0);
        let mut nonce = [0u8; NONCE_LEN];
        rand_core::OsRng.fill_bytes(&mut nonce);
        let aad = self.aad(rel);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 seals any length this store writes");
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens the sealed object `bytes` read from `rel` (`at` names it in
    /// errors): the openings bundle, or an error that says it was not
    /// sealed by this log's key for this place.
    pub fn open(&self, rel: &str, bytes: &[u8], at: &Path) -> Result<Vec<u8>, StoreError> {
        let bad = |why: &str| StoreError::corrupt(at, format!("is not sealed openings: {why}"));
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| bad("wrong header"))?;
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(bad("truncated"));
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let aad = self.aad(rel);
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: sealed,
                        aad: &aad,
                    },
                )
                .map_err(|_| {
                    bad("it does not open with this ledger's key (LEDGER/private/openings.key) at this path: damaged, moved, or sealed by another log")
                })?,
        );
        let len = plain
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| bad("no length"))?;
        plain
            .get(4..4 + len)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| bad("its length is past its end"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(dir: &Path, origin: &str) -> OpeningsKey {
        OpeningsKey::load_or_make(&Layout::new(dir), origin).unwrap()
    }

    #[test]
    fn a_sealed_bundle_opens_only_with_its_key_its_log_and_its_place() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("private")).unwrap();
        let k = key(dir.path(), "example.org/a");
        let bundle = b"\x00\x03abc\x00\x00".to_vec();
        let rel = sealed_rel(0, 2);
        assert_eq!(rel, "private/openings/tile/entries/000.p/2");
        assert!(is_sealed_rel(&rel));
        let sealed = k.seal(&rel, &bundle);
        let at = Path::new("s3://b/x");
        assert_eq!(k.open(&rel, &sealed, at).unwrap(), bundle);
        // Nothing of the plaintext shows, and the length is padded.
        assert!(!sealed.windows(3).any(|w| w == b"abc"));
        assert_eq!(sealed.len(), MAGIC.len() + NONCE_LEN + PAD + TAG_LEN);
        // Sealed twice, two different objects (fresh nonces).
        assert_ne!(k.seal(&rel, &bundle), sealed);

        let err = |r: Result<Vec<u8>, StoreError>| r.unwrap_err().to_string();
        // Another place.
        assert!(err(k.open(&sealed_rel(0, 3), &sealed, at)).contains("does not open"));
        // Another log with the same key file.
        let other = OpeningsKey::load(&Layout::new(dir.path()), "example.org/b").unwrap();
        assert!(err(other.open(&rel, &sealed, at)).contains("does not open"));
        // Another key.
        let dir2 = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir2.path().join("private")).unwrap();
        let k2 = key(dir2.path(), "example.org/a");
        assert!(err(k2.open(&rel, &sealed, at)).contains("does not open"));
        // Any byte flipped.
        for i in [0, MAGIC.len(), MAGIC.len() + NONCE_LEN, sealed.len() - 1] {
            let mut b = sealed.clone();
            b[i] ^= 1;
            assert!(k.open(&rel, &b, at).is_err(), "byte {i}");
        }
        assert!(err(k.open(&rel, &sealed[..MAGIC.len() + 10], at)).contains("truncated"));
        // The key file is read back as it was made, and kept.
        let again = key(dir.path(), "example.org/a");
        assert_eq!(again.open(&rel, &sealed, at).unwrap(), bundle);
    }

    #[test]
    fn a_missing_or_damaged_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let e = OpeningsKey::load(&layout, "o").err().unwrap().to_string();
        assert!(e.contains("openings.key is missing"), "{e}");
        std::fs::create_dir_all(dir.path().join("private")).unwrap();
        std::fs::write(layout.openings_key(), "AAAA\n").unwrap();
        let e = OpeningsKey::load(&layout, "o").err().unwrap().to_string();
        assert!(e.contains("not a 32-byte key"), "{e}");
    }
}
