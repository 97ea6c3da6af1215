//! X.509 certificates: reading them (x509-parser) and validating a chain to
//! the root at a given time for a given role. Issuing them (rcgen) is the
//! main crate's (`triage_ledger::identity::issue_root`, …).

use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

use super::{IdentityError, Role};

/// OID of Ed25519 (RFC 8410).
const OID_ED25519: &str = "1.3.101.112";
/// X.520 organizationIdentifier (2.5.4.97): the party's scheme identifier.
pub const OID_ORGANIZATION_IDENTIFIER: [u64; 4] = [2, 5, 4, 97];

/// A name as text ("O=…, CN=…, organizationIdentifier=…"): x509-parser's
/// rendering, with organizationIdentifier named (its registry lacks it).
fn name_text(name: &X509Name<'_>) -> String {
    static REGISTRY: std::sync::OnceLock<x509_parser::oid_registry::OidRegistry<'static>> =
        std::sync::OnceLock::new();
    let registry = REGISTRY.get_or_init(|| {
        let mut r = x509_parser::oid_registry::OidRegistry::default().with_x509();
        if let Ok(oid) = x509_parser::der_parser::oid::Oid::from(&OID_ORGANIZATION_IDENTIFIER[..]) {
            r.insert(
                oid,
                x509_parser::oid_registry::OidEntry::new(
                    "organizationIdentifier",
                    "X.520 organizationIdentifier",
                ),
            );
        }
        r
    });
    name.to_string_with_registry(registry)
        .unwrap_or_else(|_| name.to_string())
}

/// Checks a party identifier: 1 to 64 characters of ASCII letters, digits
/// and `.` `_` `:` `/` `-`, starting with a letter or digit (ETSI EN 319
/// 412-1 semantic identifiers such as `NTRGB-01234567` fit).
pub fn check_party_id(id: &str) -> Result<(), IdentityError> {
    let ok = (1..=64).contains(&id.len())
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:/-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(IdentityError::BadPartyId(id.to_string()))
    }
}

/// The subject's organizationIdentifier: at most one, a string that is a
/// valid party identifier.
fn read_party(x: &X509Certificate<'_>, subject: &str) -> Result<Option<String>, IdentityError> {
    let oid = x509_parser::der_parser::oid::Oid::from(&OID_ORGANIZATION_IDENTIFIER[..])
        .map_err(|_| bad(subject, "organizationIdentifier OID"))?;
    let mut found = x.subject().iter_by_oid(&oid);
    let Some(attr) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(bad(
            subject,
            "more than one organizationIdentifier (2.5.4.97)",
        ));
    }
    let id = attr
        .as_str()
        .map_err(|_| bad(subject, "organizationIdentifier (2.5.4.97) is not a string"))?;
    check_party_id(id).map_err(|e| bad(subject, e.to_string()))?;
    Ok(Some(id.to_string()))
}

/// DER of a certificate with this signed part and Ed25519 signature.
fn canonical_der(tbs: &[u8], sig: &[u8]) -> Option<Vec<u8>> {
    if sig.len() != 64 {
        return None;
    }
    let mut body = tbs.to_vec();
    body.extend_from_slice(&[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70]); // AlgorithmIdentifier Ed25519
    body.extend_from_slice(&[0x03, 0x41, 0x00]); // BIT STRING, 65 bytes, 0 unused bits
    body.extend_from_slice(sig);
    let mut out = vec![0x30];
    let len = body.len();
    match len {
        0..=0x7f => out.push(len as u8),
        0x80..=0xff => out.extend_from_slice(&[0x81, len as u8]),
        0x100..=0xffff => out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
        _ => return None,
    }
    out.extend(body);
    Some(out)
}

/// A validity period in POSIX seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validity {
    /// First second of validity.
    pub not_before: i64,
    /// Last second of validity.
    pub not_after: i64,
}

/// A parsed certificate of the scheme's profile (Ed25519 keys and signatures).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    subject: String,
    issuer: String,
    subject_raw: Vec<u8>,
    issuer_raw: Vec<u8>,
    key: VerifyingKey,
    validity: Validity,
    is_ca: bool,
    can_sign_certs: bool,
    can_sign_data: bool,
    roles: Vec<Role>,
    tbs: Vec<u8>,
    signature: Vec<u8>,
    serial: String,
    party: Option<String>,
}

/// A certificate refused: whose, and why.
pub fn bad(subject: &str, reason: impl Into<String>) -> IdentityError {
    IdentityError::BadCertificate {
        subject: subject.to_string(),
        reason: reason.into(),
    }
}

impl Certificate {
    /// Parses DER, checking the profile: Ed25519 key and signature algorithm,
    /// no trailing bytes.
    pub fn from_der(der: &[u8]) -> Result<Self, IdentityError> {
        let (rest, x) = X509Certificate::from_der(der)
            .map_err(|e| bad("?", format!("not a DER X.509 certificate: {e}")))?;
        if !rest.is_empty() {
            return Err(bad(
                "?",
                format!("{} bytes after the certificate", rest.len()),
            ));
        }
        let subject = name_text(x.subject());
        for (what, name) in [("subject", &subject), ("issuer", &name_text(x.issuer()))] {
            if let Err(e) = crate::text::refuse_hidden(&format!("the certificate's {what}"), name) {
                return Err(bad(&crate::text::one_line(&subject), e));
            }
        }
        if x.signature_algorithm.algorithm.to_id_string() != OID_ED25519 {
            return Err(bad(&subject, "signature algorithm is not Ed25519"));
        }
        let spki = x.public_key();
        if spki.algorithm.algorithm.to_id_string() != OID_ED25519 {
            return Err(bad(&subject, "public key is not Ed25519"));
        }
        let key_bytes: [u8; 32] = spki
            .subject_public_key
            .data
            .as_ref()
            .try_into()
            .map_err(|_| bad(&subject, "an Ed25519 public key is 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&key_bytes)
            .map_err(|_| bad(&subject, "invalid Ed25519 public key"))?;
        // Only the canonical encoding is accepted: SEQUENCE { tbs, the
        // Ed25519 AlgorithmIdentifier without parameters, BIT STRING of the
        // 64-byte signature }, nothing else. So a certificate has exactly one
        // DER, and its fingerprint (what revocations name) cannot be changed
        // by re-wrapping the signed part.
        if x.tbs_certificate.signature.algorithm.to_id_string() != OID_ED25519
            || x.tbs_certificate.signature.parameters.is_some()
        {
            return Err(bad(
                &subject,
                "the signed part's signature algorithm is not Ed25519 without parameters",
            ));
        }
        let canonical = canonical_der(x.tbs_certificate.as_ref(), &x.signature_value.data);
        if canonical.as_deref() != Some(der) {
            return Err(bad(
                &subject,
                "not in canonical DER (extra bytes or algorithm parameters around the signed part)",
            ));
        }
        let mut is_ca = false;
        let mut ku: Option<(bool, bool)> = None;
        let mut roles = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for ext in x.extensions() {
            if !seen.insert(ext.oid.to_id_string()) {
                return Err(bad(
                    &subject,
                    format!("extension {} appears twice", ext.oid),
                ));
            }
            let known_critical = matches!(
                ext.parsed_extension(),
                ParsedExtension::BasicConstraints(_)
                    | ParsedExtension::KeyUsage(_)
                    | ParsedExtension::ExtendedKeyUsage(_)
            );
            if ext.critical && !known_critical {
                return Err(bad(
                    &subject,
                    format!(
                        "critical extension {} is not one this profile enforces",
                        ext.oid
                    ),
                ));
            }
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) => is_ca = bc.ca,
                ParsedExtension::KeyUsage(k) => {
                    ku = Some((k.key_cert_sign(), k.digital_signature()))
                }
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    for oid in &eku.other {
                        if let Some(r) = Role::ALL
                            .into_iter()
                            .find(|r| r.oid_der() == oid.as_bytes())
                        {
                            roles.push(r);
                        }
                    }
                }
                ParsedExtension::ParseError { .. } => {
                    return Err(bad(
                        &subject,
                        format!("extension {} cannot be parsed", ext.oid),
                    ));
                }
                _ => {}
            }
        }
        let party = read_party(&x, &subject)?;
        let (can_sign_certs, can_sign_data) = ku.unwrap_or((false, false));
        let validity = Validity {
            not_before: x.validity().not_before.timestamp(),
            not_after: x.validity().not_after.timestamp(),
        };
        Ok(Certificate {
            der: der.to_vec(),
            issuer: name_text(x.issuer()),
            subject_raw: x.subject().as_raw().to_vec(),
            issuer_raw: x.issuer().as_raw().to_vec(),
            subject,
            key,
            validity,
            is_ca,
            can_sign_certs,
            can_sign_data,
            roles,
            tbs: x.tbs_certificate.as_ref().to_vec(),
            signature: x.signature_value.data.to_vec(),
            serial: x.raw_serial_as_string(),
            party,
        })
    }

    /// Parses a PEM file's first CERTIFICATE block.
    pub fn from_pem(text: &[u8]) -> Result<Self, IdentityError> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(text)
            .map_err(|e| bad("?", format!("not a PEM certificate: {e}")))?;
        if pem.label != "CERTIFICATE" {
            return Err(bad(
                "?",
                format!("PEM block is {:?}, not CERTIFICATE", pem.label),
            ));
        }
        Self::from_der(&pem.contents)
    }

    /// PEM text.
    pub fn to_pem(&self) -> String {
        let b64 = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(&self.der)
        };
        let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            s.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            s.push('\n');
        }
        s.push_str("-----END CERTIFICATE-----\n");
        s
    }

    /// DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// The subject name's DER (to compare names byte for byte).
    pub fn subject_raw(&self) -> &[u8] {
        &self.subject_raw
    }
    /// The issuer name's DER.
    pub fn issuer_raw(&self) -> &[u8] {
        &self.issuer_raw
    }
    /// Subject distinguished name, as text (x509-parser's rendering:
    /// attributes in certificate order, ", "-separated, unescaped; not
    /// RFC 4514, see FORMATS.md §25).
    pub fn subject(&self) -> &str {
        &self.subject
    }
    /// Issuer distinguished name, as text.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The certified public key.
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }
    /// Validity period.
    pub fn validity(&self) -> Validity {
        self.validity
    }
    /// Whether it is a CA certificate that may sign certificates.
    pub fn is_ca(&self) -> bool {
        self.is_ca && self.can_sign_certs
    }
    /// Roles granted by its extended key usage.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }
    /// Its roles' names, comma-separated ("none" when it has none).
    pub fn role_names(&self) -> String {
        if self.roles.is_empty() {
            return "none".into();
        }
        self.roles
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
    /// The party (organisation) the certificate speaks for: the subject's
    /// X.520 `organizationIdentifier` (2.5.4.97), if it has one.
    pub fn party(&self) -> Option<&str> {
        self.party.as_deref()
    }
    /// Serial number, hex.
    pub fn serial(&self) -> &str {
        &self.serial
    }
    /// SHA-256 of the DER: how statements and revocations name a certificate.
    pub fn fingerprint(&self) -> [u8; 32] {
        Sha256::digest(&self.der).into()
    }

    /// Checks that `issuer` signed this certificate.
    fn verify_signed_by(&self, issuer: &Certificate) -> Result<(), IdentityError> {
        let untrusted = |reason: String| IdentityError::Untrusted {
            subject: self.subject.clone(),
            reason,
        };
        if self.issuer_raw != issuer.subject_raw {
            return Err(untrusted(format!(
                "its issuer {} is not {}",
                self.issuer, issuer.subject
            )));
        }
        if !issuer.is_ca() {
            return Err(untrusted(format!(
                "{} is not a CA allowed to sign certificates",
                issuer.subject
            )));
        }
        let sig = ed25519_dalek::Signature::from_slice(&self.signature)
            .map_err(|_| untrusted("signature is not 64 bytes".into()))?;
        issuer
            .key
            .verify_strict(&self.tbs, &sig)
            .map_err(|_| untrusted(format!("signature by {} does not verify", issuer.subject)))
    }

    fn check_time(&self, at: i64) -> Result<(), IdentityError> {
        if at < self.validity.not_before || at > self.validity.not_after {
            return Err(IdentityError::NotValidAt {
                subject: self.subject.clone(),
                at,
                not_before: self.validity.not_before,
                not_after: self.validity.not_after,
            });
        }
        Ok(())
    }
}

/// Validates `chain` (signer first, then intermediates) against the trust
/// root at time `at` (POSIX seconds): every signature, every validity period,
/// CA flags and key usages, and — when `role` is given — that the signer
/// holds it. With `role` None the signer must be the root itself (the scheme
/// root signs revocations with its own key).
pub fn validate_chain(
    chain: &[Certificate],
    root: &Certificate,
    at: i64,
    role: Option<Role>,
) -> Result<(), IdentityError> {
    let leaf = chain
        .first()
        .ok_or_else(|| bad("?", "empty certificate chain"))?;
    root.check_time(at)?;
    match role {
        None => {
            if chain.len() != 1 || leaf.der != root.der {
                return Err(IdentityError::Untrusted {
                    subject: leaf.subject.clone(),
                    reason: "only the scheme root itself may sign this".into(),
                });
            }
            if !leaf.can_sign_data {
                return Err(bad(&leaf.subject, "key usage lacks digitalSignature"));
            }
            return Ok(());
        }
        Some(role) => {
            if !leaf.roles.contains(&role) {
                let has = leaf
                    .roles
                    .iter()
                    .map(|r| r.name())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(IdentityError::WrongRole {
                    subject: leaf.subject.clone(),
                    role,
                    has: if has.is_empty() { "none".into() } else { has },
                });
            }
            if !leaf.can_sign_data {
                return Err(IdentityError::Untrusted {
                    subject: leaf.subject.clone(),
                    reason: "key usage lacks digitalSignature".into(),
                });
            }
            if leaf.is_ca {
                return Err(IdentityError::Untrusted {
                    subject: leaf.subject.clone(),
                    reason: "a CA certificate cannot sign statements".into(),
                });
            }
        }
    }
    if chain.len() > 1 {
        return Err(IdentityError::Untrusted {
            subject: leaf.subject.clone(),
            reason: "the scheme root issues role certificates directly; chains with intermediates are not accepted".into(),
        });
    }
    for (i, cert) in chain.iter().enumerate() {
        cert.check_time(at)?;
        let issuer = chain.get(i + 1).unwrap_or(root);
        cert.verify_signed_by(issuer)?;
    }
    Ok(())
}
