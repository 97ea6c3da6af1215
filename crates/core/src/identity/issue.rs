//! Issuing the scheme root and role certificates (rcgen, signing with an
//! Ed25519 key anywhere: a file read into memory, or a key in a token). The
//! certificates' reading and validation are in `cert`. Feature `issue`.

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, IsCa, Issuer,
    KeyIdMethod, KeyUsagePurpose, PublicKeyData, SerialNumber, SignatureAlgorithm, PKCS_ED25519,
};
use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

use super::{
    bad, check_party_id, Certificate, IdentityError, Role, Validity, OID_ORGANIZATION_IDENTIFIER,
};

/// Signs a message with pure Ed25519; the error says why it could not.
pub type SignFn<'a> = dyn Fn(&[u8]) -> Result<[u8; 64], String> + 'a;

/// What signs a certificate: an Ed25519 key anywhere (a key file read into
/// memory, or a key in a PKCS#11 token), given by its public half and a
/// function that signs.
pub struct CertSigner<'a> {
    /// The public half.
    pub public: VerifyingKey,
    /// Signs a message with pure Ed25519; the error says why it could not.
    pub sign: &'a SignFn<'a>,
}

impl<'a> CertSigner<'a> {
    /// A key in memory.
    pub fn of(key: &'a SigningKey, sign: &'a SignFn<'a>) -> Self {
        CertSigner {
            public: key.verifying_key(),
            sign,
        }
    }
}

/// rcgen's view of a [`CertSigner`].
struct DalekSigner<'a> {
    signer: &'a CertSigner<'a>,
    public: [u8; 32],
}

impl PublicKeyData for DalekSigner<'_> {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ED25519
    }
}

impl rcgen::SigningKey for DalekSigner<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let sig = (self.signer.sign)(msg).map_err(|_| rcgen::Error::RemoteKeyError)?;
        // A signer that signs with another key is caught here.
        use ed25519_dalek::Verifier as _;
        self.signer
            .public
            .verify(msg, &ed25519_dalek::Signature::from_bytes(&sig))
            .map_err(|_| rcgen::Error::RemoteKeyError)?;
        Ok(sig.to_vec())
    }
}

/// The signing function of a key in memory.
fn in_memory(key: &SigningKey) -> impl Fn(&[u8]) -> Result<[u8; 64], String> + '_ {
    move |m: &[u8]| Ok(key.sign(m).to_bytes())
}

struct PublicOnly([u8; 32]);

impl PublicKeyData for PublicOnly {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ED25519
    }
}

/// RFC 7093 §2 method 1: the leftmost 160 bits of the SHA-256 of the key.
fn key_id(key: &VerifyingKey) -> Vec<u8> {
    Sha256::digest(key.as_bytes())[..20].to_vec()
}

fn to_time(t: i64) -> Result<::time::OffsetDateTime, IdentityError> {
    ::time::OffsetDateTime::from_unix_timestamp(t)
        .map_err(|e| IdentityError::Issue(format!("time {t}: {e}")))
}

fn random_serial() -> SerialNumber {
    let mut b = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    b[0] &= 0x7f; // positive
    b[0] |= 0x01; // and of full length
    SerialNumber::from_slice(&b)
}

fn dn(common_name: &str, organisation: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::OrganizationName, organisation);
    d.push(DnType::CommonName, common_name);
    d
}

fn root_params(
    common_name: &str,
    organisation: &str,
    key: &VerifyingKey,
    validity: Validity,
) -> Result<CertificateParams, IdentityError> {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(common_name, organisation);
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = to_time(validity.not_before)?;
    p.not_after = to_time(validity.not_after)?;
    p.key_identifier_method = KeyIdMethod::PreSpecified(key_id(key));
    Ok(p)
}

/// Issues a self-signed scheme root: basicConstraints CA (path length 0),
/// keyCertSign, cRLSign and digitalSignature (it signs revocations itself).
pub fn issue_root(
    common_name: &str,
    organisation: &str,
    key: &SigningKey,
    validity: Validity,
) -> Result<Certificate, IdentityError> {
    let sign = in_memory(key);
    issue_root_by(
        common_name,
        organisation,
        &CertSigner::of(key, &sign),
        validity,
    )
}

/// [`issue_root`] signed by `key` wherever it is (a token).
pub fn issue_root_by(
    common_name: &str,
    organisation: &str,
    key: &CertSigner<'_>,
    validity: Validity,
) -> Result<Certificate, IdentityError> {
    let mut p = root_params(common_name, organisation, &key.public, validity)?;
    p.serial_number = Some(random_serial());
    let signer = DalekSigner {
        signer: key,
        public: key.public.to_bytes(),
    };
    let cert = p
        .self_signed(&signer)
        .map_err(|e| IdentityError::Issue(e.to_string()))?;
    Certificate::from_der(cert.der())
}

/// Issues a role certificate for `subject_key`, signed by the root. `party`
/// is the organisation's scheme identifier, written as the subject's X.520
/// `organizationIdentifier`; every role of the scheme needs one (the
/// registration policy checks it), so it is required here.
#[allow(clippy::too_many_arguments)]
pub fn issue_role(
    common_name: &str,
    organisation: &str,
    party: &str,
    role: Role,
    subject_key: &VerifyingKey,
    root: &Certificate,
    root_key: &SigningKey,
    validity: Validity,
) -> Result<Certificate, IdentityError> {
    check_party_id(party)?;
    issue_role_for(
        common_name,
        organisation,
        Some(party),
        role,
        subject_key,
        root,
        root_key,
        validity,
    )
}

/// [`issue_role`] with the party optional: tests use it to make the
/// certificates without a party that the policy must refuse.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn issue_role_for(
    common_name: &str,
    organisation: &str,
    party: Option<&str>,
    role: Role,
    subject_key: &VerifyingKey,
    root: &Certificate,
    root_key: &SigningKey,
    validity: Validity,
) -> Result<Certificate, IdentityError> {
    let sign = in_memory(root_key);
    issue_role_by(
        common_name,
        organisation,
        party,
        role,
        subject_key,
        root,
        &CertSigner::of(root_key, &sign),
        validity,
    )
}

/// [`issue_role`] signed by the root's key wherever it is (a token); the
/// party is optional only for tests.
#[allow(clippy::too_many_arguments)]
pub fn issue_role_by(
    common_name: &str,
    organisation: &str,
    party: Option<&str>,
    role: Role,
    subject_key: &VerifyingKey,
    root: &Certificate,
    root_key: &CertSigner<'_>,
    validity: Validity,
) -> Result<Certificate, IdentityError> {
    if let Some(p) = party {
        check_party_id(p)?;
    }
    if !root.is_ca() {
        return Err(IdentityError::Issue(format!(
            "{} is not a CA certificate",
            root.subject()
        )));
    }
    if root_key.public != *root.key() {
        return Err(IdentityError::Issue(
            "the root key does not match the root certificate".into(),
        ));
    }
    // Rebuild the issuer's name as the root was issued (O then CN, UTF8String).
    let (root_cn, root_o) = root_names(root)?;
    let issuer_params = root_params(&root_cn, &root_o, root.key(), root.validity())?;
    let issuer = Issuer::new(
        issuer_params,
        DalekSigner {
            signer: root_key,
            public: root_key.public.to_bytes(),
        },
    );
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(common_name, organisation);
    if let Some(party) = party {
        p.distinguished_name.push(
            DnType::CustomDnType(OID_ORGANIZATION_IDENTIFIER.to_vec()),
            party,
        );
    }
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.not_before = to_time(validity.not_before)?;
    p.not_after = to_time(validity.not_after)?;
    p.serial_number = Some(random_serial());
    p.use_authority_key_identifier_extension = true;
    p.key_identifier_method = KeyIdMethod::PreSpecified(key_id(subject_key));
    // extKeyUsage (2.5.29.37) = SEQUENCE OF OBJECT IDENTIFIER, with the role.
    let oid = role.oid_der();
    let mut content = vec![0x06, oid.len() as u8];
    content.extend_from_slice(&oid);
    let mut seq = vec![0x30, content.len() as u8];
    seq.extend(content);
    p.custom_extensions
        .push(CustomExtension::from_oid_content(&[2, 5, 29, 37], seq));
    let cert = p
        .signed_by(&PublicOnly(subject_key.to_bytes()), &issuer)
        .map_err(|e| IdentityError::Issue(e.to_string()))?;
    let parsed = Certificate::from_der(cert.der())?;
    if parsed.issuer_raw() != root.subject_raw() {
        return Err(IdentityError::Issue(
            "the root's name could not be reproduced (was it issued by this tool?)".into(),
        ));
    }
    Ok(parsed)
}

fn root_names(root: &Certificate) -> Result<(String, String), IdentityError> {
    let (_, x) =
        X509Certificate::from_der(root.der()).map_err(|e| bad(root.subject(), e.to_string()))?;
    let cn = x
        .subject()
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .unwrap_or_default()
        .to_string();
    let o = x
        .subject()
        .iter_organization()
        .next()
        .and_then(|a| a.as_str().ok())
        .unwrap_or_default()
        .to_string();
    Ok((cn, o))
}
