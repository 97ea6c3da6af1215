//! ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381 §5, suite 0x03): a verifiable
//! random function on the Ed25519 curve.
//!
//! A confidential ledger names each facility in its public index by a
//! *label*: the VRF output of the facility id under the ledger's VRF key.
//! Only the key's holder can compute a label; anyone given a proof can check
//! it against the public key; and a public key gives one id exactly one
//! output (RFC 9381's full uniqueness), so a log cannot file one facility
//! under two labels. Key transparency uses the same construction
//! (IETF KEYTRANS, CONIKS).
//!
//! No well-kept Rust crate implements the suite on the dalek 4 curve the rest
//! of the tool uses (NOTES.md, issue 25 research), so it is written here on
//! `curve25519-dalek`, ~150 lines after the RFC's pseudo-code, and tested
//! against RFC 9381 Appendix B.3's vectors.

use curve25519_dalek::constants::ED25519_BASEPOINT_TABLE;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::{clamp_integer, Scalar};
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

/// The suite string of ECVRF-EDWARDS25519-SHA512-TAI.
const SUITE: u8 = 0x03;
/// Length of a proof: Gamma (32) ‖ c (16) ‖ s (32).
pub const PROOF_LEN: usize = 80;

/// Why a VRF key or proof was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VrfError {
    /// The public key is not a valid point, or is of small order (RFC 9381
    /// §5.4.5, validate_key).
    #[error("the VRF public key is not a valid Ed25519 point of large order")]
    BadPublicKey,
    /// The proof is not 80 bytes, Gamma is not a point, or s is not reduced.
    #[error("the VRF proof is malformed ({0})")]
    Malformed(&'static str),
    /// The proof does not verify for this key and input.
    #[error("the VRF proof does not verify for this key and input")]
    Invalid,
}

/// A VRF secret key (the 32-byte seed of RFC 8032, from which the scalar
/// and the nonce prefix derive). Zeroized when dropped; no Debug.
pub struct VrfSecretKey {
    seed: Zeroizing<[u8; 32]>,
    scalar: Zeroizing<Scalar>,
    prefix: Zeroizing<[u8; 32]>,
    public: VrfPublicKey,
}

/// A VRF public key: a validated Ed25519 point of large order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VrfPublicKey {
    bytes: [u8; 32],
    point: EdwardsPoint,
}

/// A VRF proof (pi_string, 80 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VrfProof([u8; PROOF_LEN]);

/// A VRF output (beta_string, 64 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VrfOutput([u8; 64]);

impl VrfSecretKey {
    /// A new random key.
    #[cfg(feature = "rand")]
    pub fn generate() -> VrfSecretKey {
        let mut seed = Zeroizing::new([0u8; 32]);
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, seed.as_mut());
        Self::from_seed(&seed)
    }

    /// The key of a 32-byte seed (RFC 8032 §5.1.5).
    pub fn from_seed(seed: &[u8; 32]) -> VrfSecretKey {
        let h = Zeroizing::new(<[u8; 64]>::from(Sha512::digest(seed)));
        let mut low = Zeroizing::new([0u8; 32]);
        low.copy_from_slice(&h[..32]);
        let scalar = Zeroizing::new(Scalar::from_bytes_mod_order(clamp_integer(*low)));
        let mut prefix = Zeroizing::new([0u8; 32]);
        prefix.copy_from_slice(&h[32..]);
        let point = ED25519_BASEPOINT_TABLE * &*scalar;
        VrfSecretKey {
            seed: Zeroizing::new(*seed),
            public: VrfPublicKey {
                bytes: point.compress().to_bytes(),
                point,
            },
            scalar,
            prefix,
        }
    }

    /// The seed (to save the key; handle with care).
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The public key.
    pub fn public(&self) -> &VrfPublicKey {
        &self.public
    }

    /// The proof for `alpha` (RFC 9381 §5.1).
    pub fn prove(&self, alpha: &[u8]) -> VrfProof {
        let h = encode_to_curve(&self.public.bytes, alpha);
        let h_bytes = h.compress().to_bytes();
        let gamma = h * *self.scalar;
        // Nonce (§5.4.2.2): SHA-512(prefix ‖ h_string) mod q.
        let k = Zeroizing::new(Scalar::from_bytes_mod_order_wide(
            &Sha512::new()
                .chain_update(*self.prefix)
                .chain_update(h_bytes)
                .finalize()
                .into(),
        ));
        let c = challenge(&[
            &self.public.point,
            &h,
            &gamma,
            &(ED25519_BASEPOINT_TABLE * &*k),
            &(h * *k),
        ]);
        let s = *k + c * *self.scalar;
        let mut pi = [0u8; PROOF_LEN];
        pi[..32].copy_from_slice(&gamma.compress().to_bytes());
        pi[32..48].copy_from_slice(&c.to_bytes()[..16]);
        pi[48..].copy_from_slice(&s.to_bytes());
        VrfProof(pi)
    }

    /// The output for `alpha`: the hash of its proof's Gamma = x·H, which
    /// is all the output depends on, so the proof's two other scalar
    /// multiplications are skipped (the holder of the key needs no proof
    /// to know its own output).
    pub fn output(&self, alpha: &[u8]) -> VrfOutput {
        let gamma = encode_to_curve(&self.public.bytes, alpha) * *self.scalar;
        gamma_to_hash(&gamma)
    }
}

impl VrfPublicKey {
    /// The key of 32 bytes, validated (a point of large order).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<VrfPublicKey, VrfError> {
        let point = CompressedEdwardsY(*bytes)
            .decompress()
            .ok_or(VrfError::BadPublicKey)?;
        if point.is_small_order() {
            return Err(VrfError::BadPublicKey);
        }
        Ok(VrfPublicKey {
            bytes: *bytes,
            point,
        })
    }

    /// The key's 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.bytes
    }

    /// Checks `proof` for `alpha` (RFC 9381 §5.3) and returns its output.
    pub fn verify(&self, alpha: &[u8], proof: &VrfProof) -> Result<VrfOutput, VrfError> {
        let (gamma, c, s) = proof.decode()?;
        let h = encode_to_curve(&self.bytes, alpha);
        let u = EdwardsPoint::vartime_double_scalar_mul_basepoint(&-c, &self.point, &s);
        let v = h * s - gamma * c;
        if challenge(&[&self.point, &h, &gamma, &u, &v]) != c {
            return Err(VrfError::Invalid);
        }
        proof.to_hash()
    }
}

impl VrfProof {
    /// A proof of 80 bytes (decoded when verified).
    pub fn from_slice(bytes: &[u8]) -> Result<VrfProof, VrfError> {
        let a: [u8; PROOF_LEN] = bytes
            .try_into()
            .map_err(|_| VrfError::Malformed("not 80 bytes"))?;
        Ok(VrfProof(a))
    }

    /// The proof's bytes.
    pub fn as_bytes(&self) -> &[u8; PROOF_LEN] {
        &self.0
    }

    fn decode(&self) -> Result<(EdwardsPoint, Scalar, Scalar), VrfError> {
        let gamma = CompressedEdwardsY(self.0[..32].try_into().expect("32 bytes"))
            .decompress()
            .ok_or(VrfError::Malformed("Gamma is not a point"))?;
        let mut c = [0u8; 32];
        c[..16].copy_from_slice(&self.0[32..48]);
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(
            self.0[48..].try_into().expect("32 bytes"),
        ))
        .ok_or(VrfError::Malformed("s is not below the group order"))?;
        Ok((gamma, Scalar::from_bytes_mod_order(c), s))
    }

    /// The output (RFC 9381 §5.2, proof_to_hash).
    pub fn to_hash(&self) -> Result<VrfOutput, VrfError> {
        let (gamma, _, _) = self.decode()?;
        Ok(gamma_to_hash(&gamma))
    }
}

/// proof_to_hash's hash: SHA-512(suite ‖ 0x03 ‖ cofactor·Gamma ‖ 0x00).
fn gamma_to_hash(gamma: &EdwardsPoint) -> VrfOutput {
    let beta = Sha512::new()
        .chain_update([SUITE, 0x03])
        .chain_update(gamma.mul_by_cofactor().compress().as_bytes())
        .chain_update([0x00])
        .finalize();
    VrfOutput(beta.into())
}

impl std::fmt::Debug for VrfProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VrfProof({})", crate::hex::encode(&self.0))
    }
}

impl VrfOutput {
    /// The output's 64 bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl std::fmt::Debug for VrfOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VrfOutput({})", crate::hex::encode(&self.0))
    }
}

/// encode_to_curve by try-and-increment (§5.4.1.1): the first
/// SHA-512(suite ‖ 0x01 ‖ PK ‖ alpha ‖ ctr ‖ 0x00) whose first 32 bytes
/// decode to a point, times the cofactor. Half of all strings decode, so 256
/// tries fail with probability 2⁻²⁵⁶.
fn encode_to_curve(public: &[u8; 32], alpha: &[u8]) -> EdwardsPoint {
    for ctr in 0..=255u8 {
        let hash = Sha512::new()
            .chain_update([SUITE, 0x01])
            .chain_update(public)
            .chain_update(alpha)
            .chain_update([ctr, 0x00])
            .finalize();
        let candidate = CompressedEdwardsY(hash[..32].try_into().expect("32 bytes"));
        if let Some(p) = candidate.decompress() {
            return p.mul_by_cofactor();
        }
    }
    // Unreachable in practice (probability 2^-256); RFC 9381 says INVALID.
    // The identity makes the proof fail to verify rather than panic.
    EdwardsPoint::default()
}

/// challenge_generation (§5.4.3): the first 16 bytes of
/// SHA-512(suite ‖ 0x02 ‖ P1 … P5 ‖ 0x00), as a little-endian scalar.
fn challenge(points: &[&EdwardsPoint; 5]) -> Scalar {
    let mut h = Sha512::new().chain_update([SUITE, 0x02]);
    for p in points {
        h.update(p.compress().as_bytes());
    }
    let digest = h.chain_update([0x00]).finalize();
    let mut c = [0u8; 32];
    c[..16].copy_from_slice(&digest[..16]);
    Scalar::from_bytes_mod_order(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    /// RFC 9381 Appendix B.3, examples 16 to 18: SK, PK, alpha, pi, beta
    /// (the third example's beta is checked through its proof only).
    const VECTORS: [(&str, &str, &str, &str, &str); 3] = [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f26f8a57ccaed74ee1b190bed1f479d9727d2d0f9b005a6e456a35d4fb0daab1268a1b0db10836d9826a528ca76567805",
            "90cf1df3b703cce59e2a35b925d411164068269d7b2d29f3301c03dd757876ff66b71dda49d2de59d03450451af026798e8f81cd2e333de5cdf4f3e140fdd8ae",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed5933bf0864a62558b3ed7f2fea45c92a465301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02",
            "eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031",
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "9bc0f79119cc5604bf02d23b4caede71393cedfbb191434dd016d30177ccbf8096bb474e53895c362d8628ee9f9ea3c0e52c7a5c691b6c18c9979866568add7a2d41b00b05081ed0f58ee5e31b3a970e",
            "",
        ),
    ];

    fn bytes(s: &str) -> Vec<u8> {
        hex::decode(s).expect("hex")
    }

    #[test]
    fn rfc_9381_vectors_prove_and_verify() {
        for (sk, pk, alpha, pi, beta) in VECTORS {
            let key = VrfSecretKey::from_seed(&bytes(sk).try_into().unwrap());
            assert_eq!(hex::encode(&key.public().to_bytes()), pk);
            let proof = key.prove(&bytes(alpha));
            assert_eq!(hex::encode(proof.as_bytes()), pi, "alpha {alpha:?}");
            let public = VrfPublicKey::from_bytes(&bytes(pk).try_into().unwrap()).unwrap();
            let out = public.verify(&bytes(alpha), &proof).unwrap();
            if !beta.is_empty() {
                assert_eq!(hex::encode(out.as_bytes()), beta);
            }
            assert_eq!(out, key.output(&bytes(alpha)));
        }
    }

    #[test]
    fn a_proof_fails_for_another_input_key_or_any_flipped_bit() {
        let key = VrfSecretKey::from_seed(&[7; 32]);
        let proof = key.prove(b"TF-0001");
        assert_eq!(
            key.public().verify(b"TF-0002", &proof),
            Err(VrfError::Invalid)
        );
        let other = VrfSecretKey::from_seed(&[8; 32]);
        assert_eq!(
            other.public().verify(b"TF-0001", &proof),
            Err(VrfError::Invalid)
        );
        for bit in 0..PROOF_LEN * 8 {
            let mut b = *proof.as_bytes();
            b[bit / 8] ^= 1 << (bit % 8);
            assert!(
                key.public()
                    .verify(b"TF-0001", &VrfProof::from_slice(&b).unwrap())
                    .is_err(),
                "bit {bit}"
            );
        }
        assert!(VrfProof::from_slice(&[0; 79]).is_err());
    }

    #[test]
    fn small_order_and_invalid_public_keys_are_refused() {
        // The identity (small order) and a y with no x on the curve.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            VrfPublicKey::from_bytes(&identity),
            Err(VrfError::BadPublicKey)
        );
        let mut no_point = [0u8; 32];
        no_point[0] = 2;
        assert_eq!(
            VrfPublicKey::from_bytes(&no_point),
            Err(VrfError::BadPublicKey)
        );
    }
}
