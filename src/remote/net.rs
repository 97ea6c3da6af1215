//! The network under the clients: one HTTP(S) agent (ureq on rustls), and
//! every way a request can fail to get an answer, said as what failed,
//! where (the URL) and what to try — never as the libraries' internals
//! (`Other(OtherError(CaUsedAsEndEntity))`, `http: invalid format`).

use std::time::Duration;

/// The environment variable that names a PEM file of CA certificates: when
/// set, `https://` servers (the ledger's service, witnesses) are checked
/// against those certificates only — a scheme's private CA, or a
/// self-signed certificate — instead of Mozilla's roots (webpki-roots).
pub const CA_ENV: &str = "TRIAGE_LEDGER_CA";

/// Why a request got no answer. Each names the URL asked and, in its
/// message, what to try; the command line's hints say more where it helps.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The URL is not one the clients can ask.
    #[error("not a valid URL: {url:?}: {reason}; expected http(s)://HOST:PORT")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The host name does not resolve.
    #[error("could not connect to {url}: no such host {host:?}; is the name right?")]
    HostNotFound {
        /// The URL asked.
        url: String,
        /// Its host.
        host: String,
    },
    /// Nothing listens at the address.
    #[error("could not connect to {url}: connection refused; is the service running?")]
    ConnectionRefused {
        /// The URL asked.
        url: String,
    },
    /// The address could not be reached, or the connection was cut.
    #[error("could not connect to {url}: {reason}")]
    Connection {
        /// The URL asked.
        url: String,
        /// What the system said.
        reason: String,
    },
    /// No answer in time.
    #[error("{url}: no answer within {secs} s; is the service overloaded, or the address wrong?")]
    TimedOut {
        /// The URL asked.
        url: String,
        /// The time allowed.
        secs: u64,
    },
    /// The server's certificate is a CA certificate, not its own
    /// (end-entity) certificate: what `openssl req -x509` makes by default.
    #[error("{url}: the server's TLS certificate is a CA certificate (basicConstraints CA:TRUE), used as the server's own; a server needs an end-entity certificate")]
    CaCertificateAsServer {
        /// The URL asked.
        url: String,
    },
    /// The server's certificate is not signed by a CA this client trusts.
    #[error(
        "{url}: the server's TLS certificate is not issued by a CA this client trusts ({trusted})"
    )]
    UntrustedCertificate {
        /// The URL asked.
        url: String,
        /// What this client trusts: Mozilla's roots, or `TRIAGE_LEDGER_CA`'s file.
        trusted: String,
    },
    /// The server's certificate does not name the host asked for.
    #[error("{url}: the server's TLS certificate is not for {host:?}{}", if presented.is_empty() { String::new() } else { format!(" (it names {})", presented.join(", ")) })]
    WrongHost {
        /// The URL asked.
        url: String,
        /// Its host.
        host: String,
        /// The names the certificate gives.
        presented: Vec<String>,
    },
    /// The server's certificate has expired or is not yet valid.
    #[error("{url}: the server's TLS certificate {when}")]
    CertificateTime {
        /// The URL asked.
        url: String,
        /// `has expired` or `is not valid yet`.
        when: &'static str,
    },
    /// The server did not speak TLS to an `https://` URL.
    #[error(
        "{url}: the server did not answer in TLS; is it serving http:// rather than https://?"
    )]
    NotTls {
        /// The URL asked.
        url: String,
    },
    /// Any other TLS failure.
    #[error("{url}: TLS failed: {reason}")]
    Tls {
        /// The URL asked.
        url: String,
        /// rustls's reason.
        reason: String,
    },
    /// The answer was not HTTP, or was cut short.
    #[error(
        "{url}: the answer is not HTTP ({reason}); is it serving https:// rather than http://?"
    )]
    NotHttp {
        /// The URL asked.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The answer was larger than the client reads.
    #[error("{url}: the answer is larger than {limit} bytes")]
    TooLarge {
        /// The URL asked.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// Anything else on the way.
    #[error("{url}: {reason}")]
    Other {
        /// The URL asked.
        url: String,
        /// What failed.
        reason: String,
    },
    /// `TRIAGE_LEDGER_CA` names a file that is not a PEM file of
    /// certificates.
    #[error("{CA_ENV}={path}: {reason}")]
    CaFile {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// `TRIAGE_LEDGER_CERT` / `TRIAGE_LEDGER_KEY`, the certificate a
    /// client presents to a service that asks (reading by role), cannot be
    /// used.
    #[error("the client certificate {path}: {reason}")]
    ClientIdentity {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl NetError {
    /// The URL asked (the file, for [`NetError::CaFile`]).
    pub fn url(&self) -> &str {
        match self {
            NetError::BadUrl { url, .. }
            | NetError::HostNotFound { url, .. }
            | NetError::ConnectionRefused { url }
            | NetError::Connection { url, .. }
            | NetError::TimedOut { url, .. }
            | NetError::CaCertificateAsServer { url }
            | NetError::UntrustedCertificate { url, .. }
            | NetError::WrongHost { url, .. }
            | NetError::CertificateTime { url, .. }
            | NetError::NotTls { url }
            | NetError::Tls { url, .. }
            | NetError::NotHttp { url, .. }
            | NetError::TooLarge { url, .. }
            | NetError::Other { url, .. } => url,
            NetError::CaFile { path, .. } | NetError::ClientIdentity { path, .. } => path,
        }
    }
}

/// Checks that `url` is one the clients can ask: `http://` or `https://`
/// with a host (and no user name or password: they would be sent in
/// clear to whoever answers, and printed in errors).
pub fn check_url(url: &str) -> Result<(), NetError> {
    let bad = |reason: &str| NetError::BadUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let parsed = url::Url::parse(url).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => bad("no scheme"),
        e => bad(&e.to_string()),
    })?;
    match parsed.scheme() {
        "http" | "https" => {}
        // `localhost:8090` parses as scheme `localhost`.
        s if !url.contains("://") => {
            return Err(bad(&format!("no scheme (it reads as scheme {s:?})")))
        }
        s => return Err(bad(&format!("scheme {s:?} is not http or https"))),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("a user name or password in the URL is not supported"));
    }
    Ok(())
}

/// A blocking HTTP(S) client with `timeout` for the whole exchange; any
/// status is returned as an answer.
pub(crate) fn agent(timeout: Duration) -> Result<ureq::Agent, NetError> {
    use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
    let roots = match std::env::var_os(CA_ENV) {
        None => RootCerts::WebPki,
        Some(path) => {
            let named = |reason: String| NetError::CaFile {
                path: path.to_string_lossy().into_owned(),
                reason,
            };
            let pem = std::fs::read(&path).map_err(|e| named(e.to_string()))?;
            let mut certs: Vec<Certificate<'static>> = Vec::new();
            for item in ureq::tls::parse_pem(&pem) {
                if let PemItem::Certificate(c) = item.map_err(|e| named(e.to_string()))? {
                    certs.push(c);
                }
            }
            if certs.is_empty() {
                return Err(named("no PEM certificate in the file".into()));
            }
            RootCerts::new_with_certs(&certs)
        }
    };
    let (client, provider) = client_identity()?;
    let mut tls = TlsConfig::builder().root_certs(roots).client_cert(client);
    if let Some(p) = provider {
        // A client key in a token: its signer, through rustls's key
        // provider (the `token_tls` module).
        tls = tls.unversioned_rustls_crypto_provider(p);
    }
    Ok(ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .tls_config(tls.build())
        .build()
        .into())
}

/// The client's identity, and the crypto provider that signs with a
/// token key (`None` for a key file).
type ClientIdentity = (
    Option<ureq::tls::ClientCert>,
    Option<std::sync::Arc<rustls::crypto::CryptoProvider>>,
);

/// The certificate and key a client presents when a service asks for one
/// (a confidential ledger's reading by role): the signer's own,
/// `TRIAGE_LEDGER_CERT` and `TRIAGE_LEDGER_KEY` (set directly, or by the
/// configuration file). Checked to be a pair here: a key of another
/// certificate would fail in the handshake with a less helpful message.
fn client_identity() -> Result<ClientIdentity, NetError> {
    use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey};
    let (Some(cert_path), Some(key_path)) = (
        std::env::var_os("TRIAGE_LEDGER_CERT"),
        std::env::var_os("TRIAGE_LEDGER_KEY"),
    ) else {
        return Ok((None, None));
    };
    let named = |p: &std::ffi::OsString, reason: String| NetError::ClientIdentity {
        path: p.to_string_lossy().into_owned(),
        reason,
    };
    let pem = std::fs::read(&cert_path).map_err(|e| named(&cert_path, e.to_string()))?;
    let mut chain: Vec<Certificate<'static>> = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let PemItem::Certificate(c) = item.map_err(|e| named(&cert_path, e.to_string()))? {
            chain.push(c);
        }
    }
    let Some(leaf) = chain.first() else {
        return Err(named(&cert_path, "no PEM certificate in the file".into()));
    };
    let cert = crate::identity::Certificate::from_der(leaf.der())
        .map_err(|e| named(&cert_path, e.to_string()))?;
    let key_name = key_path.to_string_lossy();
    if key_name.starts_with("pkcs11:") {
        let (provider, placeholder, key) =
            super::token_tls::provider(&key_name).map_err(|e| named(&key_path, e))?;
        if key.public() != cert.key() {
            return Err(named(
                &key_path,
                format!(
                    "is not the key of {} (token {})",
                    cert_path.to_string_lossy(),
                    key.token()
                ),
            ));
        }
        let key =
            PrivateKey::from_pem(&placeholder).map_err(|e| named(&key_path, e.to_string()))?;
        return Ok((
            Some(ClientCert::new_with_certs(&chain, key)),
            Some(provider),
        ));
    }
    let key_pem = zeroize::Zeroizing::new(
        std::fs::read(&key_path).map_err(|e| named(&key_path, e.to_string()))?,
    );
    let key = PrivateKey::from_pem(&key_pem).map_err(|e| named(&key_path, e.to_string()))?;
    let signing = {
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        let text =
            std::str::from_utf8(&key_pem).map_err(|_| named(&key_path, "not PEM text".into()))?;
        ed25519_dalek::SigningKey::from_pkcs8_pem(text)
            .map_err(|e| named(&key_path, format!("not an Ed25519 PKCS#8 key: {e}")))?
    };
    if signing.verifying_key() != *cert.key() {
        return Err(named(
            &key_path,
            format!("is not the key of {}", cert_path.to_string_lossy()),
        ));
    }
    Ok((Some(ClientCert::new_with_certs(&chain, key)), None))
}

/// What this client trusts for `https://`, as a reader knows it.
fn trusted() -> String {
    match std::env::var_os(CA_ENV) {
        Some(p) => format!("only the certificates in {CA_ENV}={}", p.to_string_lossy()),
        None => format!("Mozilla's root CAs; {CA_ENV} is not set"),
    }
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

/// Says why `url` got no answer, from ureq's error.
pub(crate) fn classify(url: &str, e: ureq::Error, timeout: Duration) -> NetError {
    let u = || url.to_string();
    let other = |reason: String| NetError::Other { url: u(), reason };
    match e {
        ureq::Error::BadUri(reason) => NetError::BadUrl { url: u(), reason },
        ureq::Error::Http(e) => NetError::BadUrl {
            url: u(),
            reason: e.to_string(),
        },
        ureq::Error::HostNotFound => NetError::HostNotFound {
            url: u(),
            host: host_of(url),
        },
        ureq::Error::Timeout(_) => NetError::TimedOut {
            url: u(),
            secs: timeout.as_secs(),
        },
        ureq::Error::Rustls(e) => tls(url, &e),
        ureq::Error::Tls(reason) => NetError::Tls {
            url: u(),
            reason: reason.to_string(),
        },
        ureq::Error::Protocol(e) => NetError::NotHttp {
            url: u(),
            reason: e.to_string(),
        },
        ureq::Error::BodyExceedsLimit(limit) => NetError::TooLarge { url: u(), limit },
        ureq::Error::LargeResponseHeader(..) => NetError::NotHttp {
            url: u(),
            reason: "its header is too large".into(),
        },
        ureq::Error::ConnectionFailed => NetError::Connection {
            url: u(),
            reason: "the connection failed".into(),
        },
        ureq::Error::Io(e) => io(url, e, timeout),
        ureq::Error::StatusCode(s) => other(format!("HTTP {s}")),
        e => other(e.to_string()),
    }
}

fn io(url: &str, e: std::io::Error, timeout: Duration) -> NetError {
    use std::io::ErrorKind as K;
    let u = || url.to_string();
    if let Some(t) = e.get_ref().and_then(|x| x.downcast_ref::<rustls::Error>()) {
        return tls(url, t);
    }
    let reason = || {
        // The OS error without its number: "Connection reset by peer".
        let s = e.to_string();
        s.split(" (os error").next().unwrap_or(&s).to_string()
    };
    match e.kind() {
        K::ConnectionRefused => NetError::ConnectionRefused { url: u() },
        K::TimedOut | K::WouldBlock => NetError::TimedOut {
            url: u(),
            secs: timeout.as_secs(),
        },
        K::ConnectionReset
        | K::ConnectionAborted
        | K::BrokenPipe
        | K::UnexpectedEof
        | K::HostUnreachable
        | K::NetworkUnreachable
        | K::AddrNotAvailable => NetError::Connection {
            url: u(),
            reason: reason(),
        },
        // std's resolver failures have no kind of their own.
        _ if e.to_string().contains("lookup address") => NetError::HostNotFound {
            url: u(),
            host: host_of(url),
        },
        _ => NetError::Other {
            url: u(),
            reason: reason(),
        },
    }
}

/// A subjectAltName as webpki describes it (`DnsName("localhost")`,
/// `IpAddress(127.0.0.1)`), as people write it.
fn plain_name(n: &str) -> String {
    n.strip_prefix("DnsName(\"")
        .and_then(|x| x.strip_suffix("\")"))
        .or_else(|| {
            n.strip_prefix("IpAddress(")
                .and_then(|x| x.strip_suffix(')'))
        })
        .unwrap_or(n)
        .to_string()
}

fn tls(url: &str, e: &rustls::Error) -> NetError {
    use rustls::{CertificateError as C, Error as E};
    let u = || url.to_string();
    match e {
        E::InvalidCertificate(c) => match c {
            C::UnknownIssuer => NetError::UntrustedCertificate {
                url: u(),
                trusted: trusted(),
            },
            C::NotValidForName => NetError::WrongHost {
                url: u(),
                host: host_of(url),
                presented: Vec::new(),
            },
            C::NotValidForNameContext { presented, .. } => NetError::WrongHost {
                url: u(),
                host: host_of(url),
                presented: presented.iter().map(|n| plain_name(n)).collect(),
            },
            C::Expired | C::ExpiredContext { .. } => NetError::CertificateTime {
                url: u(),
                when: "has expired",
            },
            C::NotValidYet | C::NotValidYetContext { .. } => NetError::CertificateTime {
                url: u(),
                when: "is not valid yet",
            },
            C::Other(o)
                if matches!(
                    o.0.downcast_ref::<webpki::Error>(),
                    Some(webpki::Error::CaUsedAsEndEntity)
                ) =>
            {
                NetError::CaCertificateAsServer { url: u() }
            }
            C::Other(o) => NetError::Tls {
                url: u(),
                reason: format!("the server's certificate is not accepted: {}", o.0),
            },
            c => NetError::Tls {
                url: u(),
                reason: format!("the server's certificate is not accepted: {c:?}"),
            },
        },
        E::InvalidMessage(_) | E::InappropriateMessage { .. } => NetError::NotTls { url: u() },
        e => NetError::Tls {
            url: u(),
            reason: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_without_a_scheme_or_host_are_named() {
        for (url, says) in [
            ("localhost:8090", "no scheme"),
            ("127.0.0.1:8090", "no scheme"),
            ("ledger.example.org", "no scheme"),
            ("ftp://x", "scheme \"ftp\""),
            ("http://exa mple", "invalid"),
            ("http://[::1", "invalid"),
            ("", "no scheme"),
            ("https://u:p@ledger.example.org", "user name or password"),
        ] {
            let e = check_url(url).unwrap_err();
            let m = e.to_string();
            assert!(m.starts_with("not a valid URL: "), "{m}");
            assert!(m.contains(says), "{url}: {m}");
            assert!(m.ends_with("expected http(s)://HOST:PORT"), "{m}");
        }
        for url in [
            "http://127.0.0.1:8090",
            "https://ledger.example.org/",
            "http://[::1]:80",
        ] {
            check_url(url).unwrap();
        }
    }
}
