//! The RFC 9162 §2.1 hash functions and the [`Hash`] type.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::MerkleError;

/// Size of a SHA-256 hash in bytes.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 hash: a leaf hash, an interior node hash or a tree root.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash([u8; HASH_SIZE]);

/// The one 32-byte digest type: records hold their SHA-256 digests as
/// `Hash`, so a digest of the wrong length cannot exist past decoding.
/// In CBOR (serde) a byte string of exactly 32 bytes.
impl serde::Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Hash;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a 32-byte SHA-256 digest as a byte string")
            }
            fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<Hash, E> {
                Hash::from_slice(b).map_err(|_| {
                    E::custom(format!(
                        "a SHA-256 digest is 32 bytes, got {} bytes",
                        b.len()
                    ))
                })
            }
        }
        d.deserialize_bytes(V)
    }
}

impl std::ops::Deref for Hash {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Hash {
    /// Wraps 32 raw bytes.
    pub const fn from_bytes(bytes: [u8; HASH_SIZE]) -> Self {
        Hash(bytes)
    }

    /// Reads a hash from a slice that must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, MerkleError> {
        let arr: [u8; HASH_SIZE] = bytes
            .try_into()
            .map_err(|_| MerkleError::BadHashLength { len: bytes.len() })?;
        Ok(Hash(arr))
    }

    /// Parses standard base64 (RFC 4648 §4, padded) of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, MerkleError> {
        let bytes = B64
            .decode(text.as_bytes())
            .map_err(|_| MerkleError::BadHashEncoding {
                text: truncate_for_message(text),
            })?;
        Self::from_slice(&bytes)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; HASH_SIZE] {
        &self.0
    }

    /// Standard padded base64, as used in checkpoints and proofs.
    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// SHA-256 of arbitrary bytes (no domain separation prefix).
    pub fn digest(data: &[u8]) -> Self {
        Hash(Sha256::digest(data).into())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// Keeps error messages short when echoing untrusted input back.
pub fn truncate_for_message(text: &str) -> String {
    const MAX: usize = 60;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Hash::digest(b"")
}

/// Leaf hash: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// Interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 1 + 2 * HASH_SIZE];
    buf[0] = 1;
    buf[1..33].copy_from_slice(&left.0);
    buf[33..].copy_from_slice(&right.0);
    Hash(Sha256::digest(buf).into())
}

/// The root of a *complete* subtree whose leaves' (or lower subtrees') hashes
/// are given; `hashes.len()` must be a power of two (checked by the caller).
/// Works in place on a scratch copy, so it allocates once.
pub fn complete_subtree_root(hashes: &[Hash]) -> Hash {
    debug_assert!(hashes.len().is_power_of_two());
    if hashes.len() == 1 {
        return hashes[0];
    }
    let mut level: Vec<Hash> = hashes
        .chunks_exact(2)
        .map(|p| node_hash(&p[0], &p[1]))
        .collect();
    while level.len() > 1 {
        let half = level.len() / 2;
        for i in 0..half {
            level[i] = node_hash(&level[2 * i], &level[2 * i + 1]);
        }
        level.truncate(half);
    }
    level[0]
}

/// RFC 9162 MTH over a list of leaf hashes (any length), computed iteratively.
pub fn root_from_leaf_hashes(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return empty_root();
    }
    // Decompose into maximal complete subtrees, largest first, then fold from the right.
    let mut pieces = Vec::new();
    let mut start = 0usize;
    let mut rest = leaves.len();
    while rest > 0 {
        let size = 1usize << (usize::BITS - 1 - rest.leading_zeros());
        pieces.push(complete_subtree_root(&leaves[start..start + size]));
        start += size;
        rest -= size;
    }
    fold_right(&pieces)
}

/// Folds subtree roots (largest, leftmost first) into one root: node(p0, node(p1, …)).
pub fn fold_right(pieces: &[Hash]) -> Hash {
    let mut iter = pieces.iter().rev();
    let Some(last) = iter.next() else {
        return empty_root();
    };
    iter.fold(*last, |acc, p| node_hash(p, &acc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_the_published_value() {
        assert_eq!(
            empty_root().to_base64(),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn base64_round_trip_and_rejects_bad_input() {
        let h = leaf_hash(b"x");
        assert_eq!(Hash::from_base64(&h.to_base64()).unwrap(), h);
        assert!(matches!(
            Hash::from_base64("AAAA"),
            Err(MerkleError::BadHashLength { len: 3 })
        ));
        assert!(matches!(
            Hash::from_base64("not base64!"),
            Err(MerkleError::BadHashEncoding { .. })
        ));
    }
}
