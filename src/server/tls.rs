//! TLS for the services (rustls): the certificate chain and key from PEM
//! files. Handshakes run in each connection's own task, under a deadline
//! (see `conn`), so a slow or silent client holds up no one else.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why the TLS configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file is unreadable or holds no PEM certificate.
    #[error("TLS certificate {path}: {reason}")]
    Cert {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The key file is unreadable or holds no PEM private key.
    #[error("TLS key {path}: {reason}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the pair (key of another certificate, unsupported
    /// algorithm).
    #[error("TLS certificate and key: {0}")]
    Config(String),
}

/// A server's TLS configuration: certificate chain (leaf first) and key.
#[derive(Clone)]
pub struct Tls(Arc<rustls::ServerConfig>);

impl Tls {
    /// Loads a PEM certificate chain (leaf first) and its PEM private key
    /// (PKCS#8, PKCS#1 or SEC1: Ed25519, ECDSA or RSA). Offers TLS 1.3 and
    /// 1.2 and ALPN `http/1.1`.
    pub fn load(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
        Self::load_for(cert, key, None)
    }

    /// [`Tls::load`] that also asks clients for a certificate, when
    /// `clients` (the scheme root) is given: a client may present one of
    /// the scheme's certificates (the root itself, or a role certificate
    /// chained to it), checked by the scheme's own rules; a certificate
    /// from anywhere else fails the handshake. A client without one is
    /// served as anonymous (reading by role decides what it gets).
    pub fn load_for(
        cert: &Path,
        key: &Path,
        clients: Option<crate::identity::Certificate>,
    ) -> Result<Tls, TlsError> {
        let cert_err = |reason: String| TlsError::Cert {
            path: cert.to_path_buf(),
            reason,
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| cert_err(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| cert_err(e.to_string()))?;
        if chain.is_empty() {
            return Err(cert_err("no PEM certificate in the file".into()));
        }
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
            path: key.to_path_buf(),
            reason: match e {
                rustls_pki_types::pem::Error::NoItemsFound => {
                    "no PEM private key in the file".into()
                }
                e => e.to_string(),
            },
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let algs = provider.signature_verification_algorithms;
        let builder = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let builder = match clients {
            None => builder.with_no_client_auth(),
            Some(root) => builder.with_client_cert_verifier(Arc::new(SchemeClients { root, algs })),
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls(Arc::new(config)))
    }

    /// The acceptor that runs a connection's handshake.
    pub(super) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.0.clone())
    }
}

/// Client certificates checked by the scheme's rules
/// ([`crate::policy::access::reader_of`]): chained to the scheme root,
/// valid now, holding a role (or the root itself). Optional: a client
/// without one is anonymous.
#[derive(Debug)]
struct SchemeClients {
    root: crate::identity::Certificate,
    algs: rustls::crypto::WebPkiSupportedAlgorithms,
}

/// A client certificate the scheme does not accept, as rustls reports it.
#[derive(Debug, thiserror::Error)]
#[error("the client certificate is not one of the scheme's: {0}")]
struct NotTheSchemes(String);

impl rustls::server::danger::ClientCertVerifier for SchemeClients {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::server::danger::ClientCertVerified, rustls::Error> {
        use crate::policy::access::{reader_of, Reader};
        let mut chain = vec![end_entity.to_vec()];
        chain.extend(intermediates.iter().map(|c| c.to_vec()));
        let refuse = |why: String| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
                Arc::new(NotTheSchemes(why)),
            )))
        };
        match reader_of(&chain, &self.root, now.as_secs() as i64) {
            Ok(Reader::Anonymous) => Err(refuse("it holds no role".into())),
            Ok(_) => Ok(rustls::server::danger::ClientCertVerified::assertion()),
            Err(e) => Err(refuse(e.to_string())),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algs.supported_schemes()
    }
}
