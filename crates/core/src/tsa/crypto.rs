//! The token's signature and the TSA's certificate chain: ECDSA P-256 and
//! P-384 (pure Rust, `p256`/`p384`), digests SHA-256/384/512 and, for
//! ESS signing-certificate v1 only, SHA-1.

use der::asn1::{ObjectIdentifier as Oid, OctetString, UintRef};
use der::{Decode, Encode, Sequence};
use sha2::Digest;
use x509_cert::Certificate;

use super::token::{TokenInfo, ID_CT_TST_INFO};
use super::TsaError;

const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const SIGNING_CERT: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.12");
const SIGNING_CERT_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");
const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
const EKU: Oid = Oid::new_unwrap("2.5.29.37");
const TIME_STAMPING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.8");
const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");

/// A certificate with what the checks need of it.
#[derive(Clone, Debug)]
pub(crate) struct Cert {
    pub(super) der: Vec<u8>,
    pub(super) cert: Certificate,
    /// RFC 4514 text of the subject.
    pub(crate) subject: String,
}

/// A trusted TSA's anchor certificate.
pub(crate) type Anchor = Cert;

impl Cert {
    fn from_cert(cert: Certificate) -> Result<Cert, TsaError> {
        let der = cert
            .to_der()
            .map_err(|e| TsaError::malformed("certificate", e))?;
        Ok(Cert {
            subject: cert.tbs_certificate.subject.to_string(),
            der,
            cert,
        })
    }

    /// A certificate from PEM or DER.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Cert, TsaError> {
        let der = if bytes.starts_with(b"-----") {
            x509_parser::pem::parse_x509_pem(bytes)
                .map_err(|e| TsaError::malformed("certificate", format!("PEM: {e}")))?
                .1
                .contents
        } else {
            bytes.to_vec()
        };
        Cert::from_cert(
            Certificate::from_der(&der).map_err(|e| TsaError::malformed("certificate", e))?,
        )
    }

    fn extension(&self, oid: Oid) -> Option<&x509_cert::ext::Extension> {
        self.cert
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id == oid)
    }

    /// Checks that `at` is within the certificate's validity.
    fn valid_at(&self, at: u64) -> Result<(), String> {
        let v = &self.cert.tbs_certificate.validity;
        let (from, to) = (
            v.not_before.to_unix_duration().as_secs(),
            v.not_after.to_unix_duration().as_secs(),
        );
        if at < from || at > to {
            return Err(format!(
                "{} is valid from {} to {}, not at the token's time {}",
                self.subject,
                crate::text::utc(from),
                crate::text::utc(to),
                crate::text::utc(at)
            ));
        }
        Ok(())
    }

    /// Checks that `issuer`'s key signed this certificate.
    fn signed_by(&self, issuer: &Cert) -> Result<(), String> {
        let tbs = self
            .cert
            .tbs_certificate
            .to_der()
            .map_err(|e| e.to_string())?;
        let sig = self
            .cert
            .signature
            .as_bytes()
            .ok_or("a signature with unused bits")?;
        verify(
            &issuer.cert.tbs_certificate.subject_public_key_info,
            self.cert.signature_algorithm.oid,
            None,
            &tbs,
            sig,
        )
    }
}

fn hash(alg: Oid, data: &[u8]) -> Result<Vec<u8>, TsaError> {
    Ok(match alg {
        a if a == super::SHA256 => sha2::Sha256::digest(data).to_vec(),
        a if a == SHA384 => sha2::Sha384::digest(data).to_vec(),
        a if a == SHA512 => sha2::Sha512::digest(data).to_vec(),
        a if a == SHA1 => {
            use sha1::Digest as _;
            sha1::Sha1::digest(data).to_vec()
        }
        other => return Err(TsaError::Unsupported(format!("digest algorithm {other}"))),
    })
}

/// `ECDSA-Sig-Value`.
#[derive(Sequence)]
struct EcdsaSig<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

fn padded(x: &[u8], n: usize) -> Result<Vec<u8>, String> {
    if x.len() > n {
        return Err("an ECDSA scalar too long for the curve".into());
    }
    let mut v = vec![0; n - x.len()];
    v.extend_from_slice(x);
    Ok(v)
}

/// Checks an ECDSA signature over `message` with the key of `spki`.
/// `alg` is the signature algorithm; `digest` the digest algorithm when
/// `alg` is `id-ecPublicKey` (as CMS allows).
fn verify(
    spki: &x509_cert::spki::SubjectPublicKeyInfoOwned,
    alg: Oid,
    digest: Option<Oid>,
    message: &[u8],
    sig: &[u8],
) -> Result<(), String> {
    let digest_alg = match alg {
        a if a == ECDSA_SHA256 => super::SHA256,
        a if a == ECDSA_SHA384 => SHA384,
        a if a == ECDSA_SHA512 => SHA512,
        a if a == EC_PUBLIC_KEY => digest.ok_or("id-ecPublicKey with no digest")?,
        a if a.to_string().starts_with("1.2.840.113549.1.1.") => {
            return Err(format!(
                "RSA signatures ({a}) are not checked by this verifier: its TSAs use ECDSA P-256 or P-384"
            ))
        }
        a if a.to_string() == "1.3.101.112" => {
            return Err("Ed25519 TSA signatures are not checked by this verifier: its TSAs use ECDSA P-256 or P-384".into())
        }
        other => return Err(format!("signature algorithm {other}")),
    };
    let digest = hash(digest_alg, message).map_err(|e| e.to_string())?;
    if spki.algorithm.oid != EC_PUBLIC_KEY {
        return Err(format!(
            "the signer's key is {}, not an EC key",
            spki.algorithm.oid
        ));
    }
    let curve: Oid = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as().ok())
        .ok_or("an EC key with no named curve")?;
    let point = spki
        .subject_public_key
        .as_bytes()
        .ok_or("a key with unused bits")?;
    let s = EcdsaSig::from_der(sig).map_err(|e| format!("not an ECDSA signature: {e}"))?;
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    let bad = |e: p256::ecdsa::Error| e.to_string();
    if curve == P256 {
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?;
        let (r, s) = (padded(s.r.as_bytes(), 32)?, padded(s.s.as_bytes(), 32)?);
        let sig = p256::ecdsa::Signature::from_scalars(
            *p256::FieldBytes::from_slice(&r),
            *p256::FieldBytes::from_slice(&s),
        )
        .map_err(bad)?;
        key.verify_prehash(&digest, &sig)
            .map_err(|_| "the ECDSA P-256 signature does not verify".into())
    } else if curve == P384 {
        let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?;
        let (r, s) = (padded(s.r.as_bytes(), 48)?, padded(s.s.as_bytes(), 48)?);
        let sig = p384::ecdsa::Signature::from_scalars(
            *p384::FieldBytes::from_slice(&r),
            *p384::FieldBytes::from_slice(&s),
        )
        .map_err(bad)?;
        key.verify_prehash(&digest, &sig)
            .map_err(|_| "the ECDSA P-384 signature does not verify".into())
    } else {
        Err(format!(
            "curve {curve} (this verifier checks P-256 and P-384)"
        ))
    }
}

/// The one value of a signed attribute, if present once.
fn attribute(info: &TokenInfo, oid: Oid) -> Result<Option<der::Any>, TsaError> {
    let Some(attrs) = &info.signer.signed_attrs else {
        return Err(TsaError::Signature("no signed attributes".into()));
    };
    let found: Vec<_> = attrs.iter().filter(|a| a.oid == oid).collect();
    match found.as_slice() {
        [] => Ok(None),
        [a] if a.values.len() == 1 => Ok(a.values.get(0).cloned()),
        _ => Err(TsaError::Signature(format!(
            "attribute {oid} appears more than once or with many values"
        ))),
    }
}

/// RFC 5652 §5.4 and RFC 3161 §2.4.2: the content type is `TSTInfo` and
/// the message digest is the `TSTInfo`'s.
pub(super) fn check_signed_attributes(info: &TokenInfo) -> Result<(), TsaError> {
    let ct: Oid = attribute(info, CONTENT_TYPE)?
        .ok_or_else(|| TsaError::Signature("no content-type attribute".into()))?
        .decode_as()
        .map_err(|e| TsaError::Signature(format!("content-type attribute: {e}")))?;
    if ct != ID_CT_TST_INFO {
        return Err(TsaError::Signature(format!(
            "the content-type attribute says {ct}, not TSTInfo"
        )));
    }
    let md: OctetString = attribute(info, MESSAGE_DIGEST)?
        .ok_or_else(|| TsaError::Signature("no message-digest attribute".into()))?
        .decode_as()
        .map_err(|e| TsaError::Signature(format!("message-digest attribute: {e}")))?;
    if md.as_bytes() != hash(info.signer.digest_alg.oid, &info.econtent)? {
        return Err(TsaError::Signature(
            "the message-digest attribute is not the TSTInfo's digest: the token was altered"
                .into(),
        ));
    }
    Ok(())
}

/// ESS `SigningCertificateV2` / `SigningCertificate`: the first certificate
/// id names the signer (RFC 5816, RFC 2634).
#[derive(Sequence)]
struct SigningCert {
    certs: Vec<EssCertId>,
    #[asn1(optional = "true")]
    policies: Option<der::Any>,
}

#[derive(Sequence)]
struct EssCertId {
    /// v2 only; SHA-256 when absent.
    #[asn1(optional = "true")]
    hash_algorithm: Option<x509_cert::spki::AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<der::Any>,
}

/// The signer's certificate: the one the signer identifier names, among
/// the token's certificates and the anchors, which the ESS
/// signing-certificate attribute also names by its hash.
pub(super) fn signer_certificate(
    info: &TokenInfo,
    anchors: &[super::TsaTrust],
) -> Result<Cert, TsaError> {
    use cms::signed_data::SignerIdentifier;
    let candidates = info
        .certificates
        .iter()
        .cloned()
        .chain(anchors.iter().map(|a| a.anchor.cert.clone()));
    let mut signer = None;
    for c in candidates {
        let tbs = &c.tbs_certificate;
        let names = match &info.signer.sid {
            SignerIdentifier::IssuerAndSerialNumber(i) => {
                i.issuer == tbs.issuer && i.serial_number == tbs.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                tbs.extensions.iter().flatten().any(|e| {
                    e.extn_id == Oid::new_unwrap("2.5.29.14")
                        && OctetString::from_der(e.extn_value.as_bytes()).ok().as_ref()
                            == Some(&ski.0)
                })
            }
        };
        if names {
            signer = Some(Cert::from_cert(c)?);
            break;
        }
    }
    let signer = signer.ok_or_else(|| {
        TsaError::Untrusted(
            "the token does not carry its signer's certificate, and no trusted anchor is it".into(),
        )
    })?;
    let (ess, v2) = match attribute(info, SIGNING_CERT_V2)? {
        Some(a) => (a, true),
        None => (
            attribute(info, SIGNING_CERT)?.ok_or_else(|| {
                TsaError::Signature(
                    "no ESS signing-certificate attribute (RFC 3161 §2.4.1 requires one)".into(),
                )
            })?,
            false,
        ),
    };
    let ess: SigningCert = ess
        .decode_as()
        .map_err(|e| TsaError::Signature(format!("ESS signing-certificate: {e}")))?;
    let first = ess.certs.first().ok_or_else(|| {
        TsaError::Signature("ESS signing-certificate names no certificate".into())
    })?;
    let alg = match (&first.hash_algorithm, v2) {
        (Some(a), true) => a.oid,
        (None, true) => super::SHA256,
        (_, false) => SHA1,
    };
    if first.cert_hash.as_bytes() != hash(alg, &signer.der)? {
        return Err(TsaError::Signature(format!(
            "the ESS signing-certificate attribute names another certificate than the signer's ({})",
            signer.subject
        )));
    }
    Ok(signer)
}

/// The CMS signature over the signed attributes, by the signer's key.
pub(super) fn check_signature(info: &TokenInfo, signer: &Cert) -> Result<(), TsaError> {
    verify(
        &signer.cert.tbs_certificate.subject_public_key_info,
        info.signer.signature_algorithm.oid,
        Some(info.signer.digest_alg.oid),
        &info.signed_attrs,
        info.signer.signature.as_bytes(),
    )
    .map_err(|e| {
        if e.contains("not checked")
            || e.starts_with("signature algorithm")
            || e.starts_with("curve")
        {
            TsaError::Unsupported(e)
        } else {
            TsaError::Signature(e)
        }
    })
}

/// RFC 3161 §2.3: the signer's certificate has exactly one extended key
/// usage, `id-kp-timeStamping`, in a critical extension.
fn check_time_stamping(signer: &Cert) -> Result<(), String> {
    let e = signer
        .extension(EKU)
        .ok_or("it has no extended key usage (RFC 3161 requires id-kp-timeStamping)")?;
    let eku = x509_cert::ext::pkix::ExtendedKeyUsage::from_der(e.extn_value.as_bytes())
        .map_err(|e| format!("extended key usage: {e}"))?;
    if !e.critical {
        return Err("its extended key usage is not critical (RFC 3161 §2.3)".into());
    }
    if eku.0 != [TIME_STAMPING] {
        return Err(format!(
            "its extended key usage is {:?}, not only id-kp-timeStamping",
            eku.0.iter().map(|o| o.to_string()).collect::<Vec<_>>()
        ));
    }
    Ok(())
}

fn is_ca(c: &Cert) -> bool {
    c.extension(BASIC_CONSTRAINTS)
        .and_then(|e| {
            x509_cert::ext::pkix::BasicConstraints::from_der(e.extn_value.as_bytes()).ok()
        })
        .is_some_and(|b| b.ca)
}

/// The path from the signer to `anchor`, through the token's certificates
/// (at most 4 deep), each certificate valid at `at` and signed by the
/// next; the signer's key usage is time stamping.
pub(super) fn chain_to(
    signer: &Cert,
    carried: &[Certificate],
    anchor: &Anchor,
    at: u64,
) -> Result<(), String> {
    check_time_stamping(signer).map_err(|e| format!("{}: {e}", signer.subject))?;
    let mut cur = signer.clone();
    for _ in 0..5 {
        cur.valid_at(at)?;
        if cur.der == anchor.der {
            return Ok(());
        }
        let issuer = &cur.cert.tbs_certificate.issuer;
        if *issuer == anchor.cert.tbs_certificate.subject {
            cur.signed_by(anchor)
                .map_err(|e| format!("{} is not signed by the anchor: {e}", cur.subject))?;
            return anchor.valid_at(at);
        }
        let next = carried
            .iter()
            .filter(|c| c.tbs_certificate.subject == *issuer)
            .filter_map(|c| Cert::from_cert(c.clone()).ok())
            .find(|c| is_ca(c) && c.der != cur.der && cur.signed_by(c).is_ok())
            .ok_or_else(|| {
                format!(
                    "no certificate in the token or the anchor issued {} (issuer {issuer})",
                    cur.subject
                )
            })?;
        cur = next;
    }
    Err("a chain longer than 4 certificates".into())
}
