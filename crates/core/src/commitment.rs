//! The public leaves of a confidential ledger: a salted commitment to each
//! statement, and the facility labels of its index.
//!
//! A confidential ledger's public tree holds, for each statement, only
//!
//! ```text
//! leaf = 0x58 0x20 ‖ SHA-256(0x06 ‖ salt ‖ statement)
//! ```
//!
//! (the deterministic CBOR encoding of a 32-byte byte string: 34 bytes,
//! whatever the statement), with a random 32-byte salt kept, with the
//! statement, in the ledger's private part: the *opening*. Without the salt
//! the leaf says nothing of the statement and cannot be confirmed by
//! guessing it; with the opening anyone can recompute the leaf, so receipts
//! and inclusion proofs stay RFC 9162 / RFC 9942 proofs of the public leaf.
//!
//! Its index names facilities by *labels*: the first 32 bytes of the RFC
//! 9381 VRF output of the facility id under the ledger's VRF key, written
//! as 64 lowercase hex digits where a public ledger writes the id.

use sha2::{Digest, Sha256};

use crate::merkle::Hash;
use crate::vrf::{VrfError, VrfOutput, VrfProof, VrfPublicKey, VrfSecretKey};

/// Length of a salt (256 bits: guessing a statement needs the salt).
pub const SALT_LEN: usize = 32;
/// Length of a commitment leaf.
pub const LEAF_LEN: usize = 34;
/// The leaf's first two bytes: CBOR major type 2, one-byte length 32.
const LEAF_PREFIX: [u8; 2] = [0x58, 0x20];
/// Domain byte of a commitment (the history's digests use 0x02 to 0x05).
const COMMITMENT_DOMAIN: u8 = 0x06;

/// The commitment to `statement` under `salt`.
pub fn commitment(salt: &[u8; SALT_LEN], statement: &[u8]) -> Hash {
    let d = Sha256::new()
        .chain_update([COMMITMENT_DOMAIN])
        .chain_update(salt)
        .chain_update(statement)
        .finalize();
    Hash::from_bytes(d.into())
}

/// The public leaf of `statement` under `salt`.
pub fn leaf(salt: &[u8; SALT_LEN], statement: &[u8]) -> [u8; LEAF_LEN] {
    let mut out = [0u8; LEAF_LEN];
    out[..2].copy_from_slice(&LEAF_PREFIX);
    out[2..].copy_from_slice(commitment(salt, statement).as_bytes());
    out
}

/// True if `bytes` has the form of a commitment leaf.
pub fn is_leaf(bytes: &[u8]) -> bool {
    bytes.len() == LEAF_LEN && bytes[..2] == LEAF_PREFIX
}

/// A statement with its salt: what opens a commitment leaf.
#[derive(Clone, PartialEq, Eq)]
pub struct Opening {
    /// The salt.
    pub salt: [u8; SALT_LEN],
    /// The statement's logged bytes.
    pub statement: Vec<u8>,
}

impl std::fmt::Debug for Opening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the salt or the statement: an opening is confidential.
        write!(f, "Opening({} bytes)", self.statement.len())
    }
}

impl Opening {
    /// A fresh random salt for `statement`.
    #[cfg(feature = "rand")]
    pub fn new(statement: Vec<u8>) -> Opening {
        use rand_core::{OsRng, RngCore};
        let mut salt = [0u8; SALT_LEN];
        OsRng.fill_bytes(&mut salt);
        Opening { salt, statement }
    }

    /// The public leaf it opens.
    pub fn leaf(&self) -> [u8; LEAF_LEN] {
        leaf(&self.salt, &self.statement)
    }

    /// True if it opens `public_leaf`.
    pub fn opens(&self, public_leaf: &[u8]) -> bool {
        public_leaf == self.leaf()
    }

    /// Its stored form: salt ‖ statement.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(SALT_LEN + self.statement.len());
        b.extend_from_slice(&self.salt);
        b.extend_from_slice(&self.statement);
        b
    }

    /// Reads the stored form; `None` if shorter than a salt.
    pub fn from_bytes(b: &[u8]) -> Option<Opening> {
        if b.len() < SALT_LEN {
            return None;
        }
        let (salt, statement) = b.split_at(SALT_LEN);
        Some(Opening {
            salt: salt.try_into().expect("32 bytes"),
            statement: statement.to_vec(),
        })
    }
}

/// A facility's label from a VRF output: its first 32 bytes.
pub fn label_of(output: &VrfOutput) -> [u8; 32] {
    output.as_bytes()[..32].try_into().expect("64 bytes")
}

/// The name the index gives a label: 64 lowercase hex digits.
pub fn label_name(label: &[u8; 32]) -> String {
    crate::hex::encode(label)
}

/// The label of facility `id` under `key`, without a proof (the key's
/// holder naming its index).
pub fn label_only(key: &VrfSecretKey, id: &str) -> [u8; 32] {
    label_of(&key.output(id.as_bytes()))
}

/// The label of facility `id` under `key`, with its proof.
pub fn label(key: &VrfSecretKey, id: &str) -> ([u8; 32], VrfProof) {
    let proof = key.prove(id.as_bytes());
    let out = proof.to_hash().expect("a proof this key made decodes");
    (label_of(&out), proof)
}

/// Checks that `proof` gives facility `id` its label under `key`, and
/// returns the label.
pub fn check_label(key: &VrfPublicKey, id: &str, proof: &VrfProof) -> Result<[u8; 32], VrfError> {
    key.verify(id.as_bytes(), proof).map(|o| label_of(&o))
}

/// A confidential log's VRF public key, named by the log's origin: the
/// file `LEDGER/labels.vrf` and `TRUST/labels.vrf`, one line
/// `<origin> <base64 of the 32-byte key>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelKey {
    /// The log's origin (its key name).
    pub origin: String,
    /// The VRF public key.
    pub key: VrfPublicKey,
}

impl LabelKey {
    /// Parses the one-line text form.
    pub fn parse(text: &str) -> Result<LabelKey, String> {
        use base64::Engine;
        let line = text
            .strip_suffix('\n')
            .ok_or("it does not end with a newline")?;
        let (origin, b64) = line
            .split_once(' ')
            .ok_or("it is not `<origin> <base64 key>`")?;
        crate::note::validate_key_name(origin).map_err(|e| format!("origin: {e}"))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| "the key is not base64")?;
        let bytes: [u8; 32] = raw
            .as_slice()
            .try_into()
            .map_err(|_| "the key is not 32 bytes")?;
        let key = VrfPublicKey::from_bytes(&bytes).map_err(|e| e.to_string())?;
        Ok(LabelKey {
            origin: origin.to_string(),
            key,
        })
    }

    /// The one-line text form.
    pub fn to_text(&self) -> String {
        use base64::Engine;
        format!(
            "{} {}\n",
            self.origin,
            base64::engine::general_purpose::STANDARD.encode(self.key.to_bytes())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_vectors() {
        // Computed independently: python3 -c "import hashlib;
        // print(hashlib.sha256(bytes([6])+bytes(32)+b'statement').hexdigest())"
        let l = leaf(&[0; 32], b"statement");
        assert_eq!(
            crate::hex::encode(&l),
            "5820".to_string() + "bed68921f50a8a48922bdf309c87ccd7ac1704be79870fbac421a777925ceaf4"
        );
        assert!(is_leaf(&l));
        assert!(!is_leaf(&l[..33]));
        assert!(!is_leaf(b"\xa1abcdefabcdefabcdefabcdefabcdefabcd"));
    }

    #[test]
    fn an_opening_opens_only_its_leaf() {
        let o = Opening::new(b"statement".to_vec());
        let back = Opening::from_bytes(&o.to_bytes()).unwrap();
        assert_eq!(back, o);
        assert!(o.opens(&o.leaf()));
        let other = Opening::new(b"statement".to_vec());
        assert_ne!(other.salt, o.salt);
        assert!(!other.opens(&o.leaf()), "a fresh salt gives another leaf");
        assert!(Opening::from_bytes(&[0; 31]).is_none());
        assert_eq!(format!("{o:?}"), "Opening(9 bytes)");
    }

    #[test]
    fn labels_are_proven_and_bound_to_the_id() {
        let key = VrfSecretKey::from_seed(&[1; 32]);
        let (l, proof) = label(&key, "TF-0001");
        assert_eq!(check_label(key.public(), "TF-0001", &proof), Ok(l));
        assert!(check_label(key.public(), "TF-0002", &proof).is_err());
        assert_ne!(label(&key, "TF-0002").0, l);
        assert_eq!(label_only(&key, "TF-0001"), l);
        assert_eq!(label_name(&l).len(), 64);
    }

    #[test]
    fn label_keys_round_trip_and_refuse_bad_text() {
        let key = VrfSecretKey::from_seed(&[1; 32]);
        let lk = LabelKey {
            origin: "example.org/log".into(),
            key: *key.public(),
        };
        assert_eq!(LabelKey::parse(&lk.to_text()), Ok(lk.clone()));
        let text = lk.to_text();
        assert!(LabelKey::parse(text.trim_end()).is_err());
        assert!(LabelKey::parse("example.org/log AAAA\n").is_err());
        assert!(LabelKey::parse(&text.replace(' ', "")).is_err());
    }
}
