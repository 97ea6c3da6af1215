//! What to try next, for the library's errors that a person can act on:
//! the commands, flags and settings to use. The library's messages say
//! what is wrong; only the command line knows its flags.

use triage_ledger::remote::{known::KnownLogsError, NetError, RegisterError, CA_ENV};

/// What to try after a network failure.
pub(crate) fn net(e: &NetError) -> Option<String> {
    Some(match e {
        NetError::BadUrl { .. } => "give the service's address with its scheme, e.g. http://127.0.0.1:8090 or https://ledger.example.org".into(),
        NetError::ConnectionRefused { .. } => "check the address and port; `triage-ledger serve` prints `listening on URL` when it is ready".into(),
        NetError::CaCertificateAsServer { .. } => format!("give the server an end-entity certificate naming its host or IP: one signed by your CA (serve it with --tls-cert, chain: it, then the CA), or a self-signed one made with `openssl req -x509 … -addext basicConstraints=critical,CA:FALSE -addext subjectAltName=DNS:HOST`; clients trust the CA or that certificate with {CA_ENV}=FILE.pem"),
        NetError::UntrustedCertificate { .. } => format!("if the service uses a private CA or a self-signed certificate, set {CA_ENV}=FILE.pem to it"),
        NetError::WrongHost { .. } => "use the host name the certificate names, or give the server a certificate whose subjectAltName names this host".into(),
        NetError::CaFile { .. } => format!("{CA_ENV} must name a PEM file of CA certificates (-----BEGIN CERTIFICATE-----)"),
        NetError::NotTls { .. } => "try the same address with http://".into(),
        NetError::NotHttp { .. } => "try the same address with https://".into(),
        _ => return None,
    })
}

/// What to try after a registration whose answer was not believed.
pub(crate) fn register(e: &RegisterError) -> Option<String> {
    match e {
        RegisterError::Client(triage_ledger::remote::ClientError::Net(n)) => net(n),
        RegisterError::Client(_) => None,
        RegisterError::KeyChanged { url, file, .. } => Some(format!(
            "if the service's operator really changed its log key, confirm the new key with them, then remove the line for {url} from {} (or give --trust DIR with the log's key)",
            file.display()
        )),
        RegisterError::BadReceipt { .. } => Some(
            "the service is not the log you know, or is broken: do not rely on its answers; nothing was written".into(),
        ),
        RegisterError::NoKey { .. } => {
            Some("give --trust DIR (or TRIAGE_LEDGER_TRUST): a trust directory with the log's key".into())
        }
        RegisterError::KnownLogs(KnownLogsError::Malformed { .. }) => {
            Some("fix or remove that line".into())
        }
        RegisterError::KnownLogs(_) => None,
    }
}

/// What to try after a refusal, by its code.
pub(crate) fn refusal(code: &str) -> Option<&'static str> {
    Some(match code {
        "authority/no-party" => "reissue the certificate naming its party: triage-ledger cert issue … --party-id PARTY",
        "authority/no-designation" => "the scheme root (or, for the User CIO, the SSC) designates the party first: triage-ledger designate --role ROLE --party PARTY",
        "future-iat/in-the-future" | "stale-iat/too-old" => "sign it again now (or give --iat with the time it was signed)",
        _ => return None,
    })
}

/// What to try when a ledger has no trust root.
pub(crate) const NO_TRUST_ROOT: &str =
    "create the ledger with one: triage-ledger init LEDGER --origin ORIGIN --trust-root ROOT.pem";

/// What to try after a pack did not verify, from its failed checks' codes.
pub(crate) fn verify(
    report: &triage_ledger::verify::Report,
    require: triage_ledger::verify::Require,
) -> Option<&'static str> {
    use triage_ledger::verify::{finding, Require};
    let found = |code: &str| {
        report
            .checks
            .iter()
            .any(|c| !c.passed && c.code == Some(code))
    };
    if found(finding::NO_INDEX) && require != Require::Complete {
        Some("give --partial to accept a pack that proves only that its statements are in the log (the verdict then says PARTIAL)")
    } else if found(finding::NO_CONSISTENCY_PROOF) || found(finding::PROOF_FROM_ANOTHER_SIZE) {
        Some("make the pack with `triage-ledger pack … --since OLD`, OLD the checkpoint or pack you kept")
    } else if found(finding::OLD_IS_NEWER) {
        Some("verify the newer pack with --since the older one")
    } else if found(finding::AFTER_EXPIRY) {
        Some("the TSA's earliest word on that entry is after its signer's certificate expired: a pack can only show what the log had stamped (a ledger stamps every round with `serve --tsa` or `witness run --tsa`)")
    } else {
        None
    }
}
