//! `triage-ledger keys …` and `triage-ledger cert …`: what an administrator
//! of the scheme types to create keys and certificates.

use super::common::load_cert;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use triage_ledger::identity::{self, Certificate, Role, Validity};

use super::failure::{CmdResult, Failure};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create an Ed25519 key pair: PATH.key (PKCS#8 PEM, mode 0600) and PATH.pub (SPKI PEM).
    New {
        /// Path prefix of the two files.
        #[arg(long)]
        out: PathBuf,
        /// Replace PATH.key and PATH.pub if they exist (the old private key is lost).
        #[arg(long)]
        force: bool,
    },
    /// Create an Ed25519 key pair inside a PKCS#11 token: the private key sensitive and
    /// never extractable. Prints its public key (SPKI PEM) on standard output.
    NewInToken {
        /// The key to make: `pkcs11:token=…;object=LABEL[;id=%XX]?module-path=…`
        /// (RFC 7512; the PIN from TRIAGE_LEDGER_PKCS11_PIN or pin-source=file:PATH).
        uri: String,
    },
}

#[derive(Subcommand)]
pub enum CertCommand {
    /// Create the self-signed scheme root certificate.
    Root {
        /// The root's private key (from `keys new`).
        #[arg(long)]
        key: PathBuf,
        /// Common name, e.g. "MP203 Scheme Root".
        #[arg(long)]
        name: String,
        /// Organisation, e.g. "Security Sub-Committee".
        #[arg(long)]
        org: String,
        /// Start of validity: a date (midnight UTC), ISO 8601 time or POSIX seconds (default: now).
        #[arg(long)]
        valid_from: Option<String>,
        /// Days of validity.
        #[arg(long, default_value_t = 3650)]
        days: u32,
        /// Where to write the certificate (PEM; `-` for standard output).
        #[arg(long)]
        out: PathBuf,
        /// Replace --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Issue a role certificate for a public key, signed by the scheme root.
    Issue {
        /// The root certificate (PEM).
        #[arg(long)]
        root_cert: PathBuf,
        /// The root's private key.
        #[arg(long)]
        root_key: PathBuf,
        /// The subject's public key (PATH.pub from `keys new`), or the key in a PKCS#11
        /// token that signs for it (`pkcs11:token=…;object=…`).
        #[arg(long)]
        key: PathBuf,
        /// The role the certificate grants.
        #[arg(long, value_parser = ["operator", "user-cio", "ssc"])]
        role: String,
        /// Common name, e.g. "Example Triage Ltd operations".
        #[arg(long)]
        name: String,
        /// Organisation.
        #[arg(long)]
        org: String,
        /// The organisation's scheme identifier (X.520 organizationIdentifier), e.g. NTRGB-01234567.
        #[arg(long)]
        party_id: String,
        /// Start of validity: a date (midnight UTC), ISO 8601 time or POSIX seconds (default: now).
        #[arg(long)]
        valid_from: Option<String>,
        /// Days of validity.
        #[arg(long, default_value_t = 730)]
        days: u32,
        /// Where to write the certificate (PEM; `-` for standard output).
        #[arg(long)]
        out: PathBuf,
        /// Replace --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Sign, as the scheme root, a trust update: the windows in which log keys, witness
    /// keys and TSAs count (FORMATS §30). Verifiers keep it in TRUST/updates/.
    SignTrustUpdate {
        /// The root certificate (PEM).
        #[arg(long)]
        root_cert: PathBuf,
        /// The root's private key (a file or a pkcs11: URI).
        #[arg(long)]
        root_key: PathBuf,
        /// Its number: verifiers apply updates in serial order, a later window for a key
        /// replacing an earlier one.
        #[arg(long)]
        serial: u64,
        /// The windows, one per line ("-" for stdin): `log VKEY [from-size N] [until-size N]`,
        /// `witness VKEY [from TIME] [until TIME]`, `tsa sha256:HEX|CERT.pem [from TIME] [until
        /// TIME]`, `reason TEXT`.
        #[arg(long = "in")]
        input: PathBuf,
        /// Where to write the signed update.
        #[arg(long)]
        out: PathBuf,
        /// Replace --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Show a certificate: subject, issuer, roles, validity, fingerprint.
    Show {
        /// The certificate (PEM or DER).
        cert: PathBuf,
    },
}

/// Writes a certificate to `--out` and describes it (on standard error
/// when the certificate itself goes to standard output).
fn write_cert(out: &Path, c: &Certificate, force: bool) -> CmdResult {
    triage_ledger::output::write(out, c.to_pem().as_bytes(), force, "--out")
        .map_err(super::common::out_failure)?;
    if triage_ledger::output::is_stdout(out) {
        tell_raw!("{}", describe(c));
    } else {
        say_raw!("{}", describe(c));
    }
    Ok(())
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Parses YYYY-MM-DD (midnight UTC) or takes the current time.
fn start_time(valid_from: Option<&str>) -> Result<i64, Failure> {
    let Some(d) = valid_from else {
        return Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0));
    };
    let t = triage_ledger::record::parse_time(d)
        .map_err(|e| Failure::input(format!("--valid-from {e}")))?;
    i64::try_from(t).map_err(|_| Failure::input(format!("--valid-from {d:?}: out of range")))
}

fn validity(valid_from: Option<&str>, days: u32) -> Result<Validity, Failure> {
    let not_before = start_time(valid_from)?;
    let not_after = not_before
        .checked_add(i64::from(days) * 86_400 - 1)
        .ok_or_else(|| {
            Failure::input("--valid-from and --days: the end of validity is out of range")
        })?;
    Ok(Validity {
        not_before,
        not_after,
    })
}

/// The scheme root's key: a file, or a key in a PKCS#11 token.
fn load_root_key(path: &Path) -> Result<triage_ledger::token::KeyRef, Failure> {
    let (key, warning) = triage_ledger::token::KeyRef::open(path)
        .map_err(|e| Failure::input(format!("the root's key: {e}")))?;
    if let Some(w) = warning {
        tell!("warning: {w}");
    }
    Ok(key)
}

pub fn keys(cmd: KeysCommand) -> CmdResult {
    match cmd {
        KeysCommand::NewInToken { uri } => {
            let public =
                triage_ledger::token::generate(&uri).map_err(|e| Failure::input(e.to_string()))?;
            say!("{}", identity::public_key_pem(&public)?.trim_end());
            tell!("made in the token, never to leave it: {uri}");
            tell!("next: cert issue … --key '{uri}', then sign with --key '{uri}'");
            Ok(())
        }
        KeysCommand::New { out, force } => {
            if triage_ledger::output::is_stdout(&out) {
                return Err(Failure::input(
                    "--out -: a key pair is two files, PREFIX.key and PREFIX.pub; give a path prefix (a private key never goes to standard output)",
                ));
            }
            let key = identity::generate_key();
            let (k, p) = (with_suffix(&out, ".key"), with_suffix(&out, ".pub"));
            // Both or neither: check before writing either.
            for f in [&k, &p] {
                if !force && std::fs::symlink_metadata(f).is_ok() {
                    return Err(Failure::input(format!(
                        "--out {}: {} exists; give --force to replace the key pair",
                        out.display(),
                        f.display()
                    )));
                }
            }
            let private = identity::private_key_pem(&key)?;
            triage_ledger::output::write_private(&k, private.as_bytes(), force, "--out")
                .map_err(super::common::out_failure)?;
            let public = identity::public_key_pem(&key.verifying_key())?;
            triage_ledger::output::write(&p, public.as_bytes(), force, "--out")
                .map_err(super::common::out_failure)?;
            say!("{}", p.display());
            tell!(
                "wrote {} (private, mode 0600) and {} (public)",
                k.display(),
                p.display()
            );
            Ok(())
        }
    }
}

fn describe(c: &Certificate) -> String {
    let roles = c.role_names();
    let fp = triage_ledger::hex::encode(&c.fingerprint());
    let v = c.validity();
    let date = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .map(|d| {
                format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                    d.year(),
                    d.month() as u8,
                    d.day(),
                    d.hour(),
                    d.minute(),
                    d.second()
                )
            })
            .unwrap_or_else(|_| t.to_string())
    };
    format!(
        "subject:     {}\nparty:       {}\nissuer:      {}\nserial:      {}\nvalid:       {} to {}\nca:          {}\nroles:       {}\nsha256:      {fp}\n",
        c.subject(),
        c.party().unwrap_or("none (no organizationIdentifier)"),
        c.issuer(),
        c.serial(),
        date(v.not_before),
        date(v.not_after),
        if c.is_ca() { "yes" } else { "no" },
        roles,
    )
}

pub fn cert(cmd: CertCommand) -> CmdResult {
    match cmd {
        CertCommand::Root {
            key,
            name,
            org,
            valid_from,
            days,
            out,
            force,
        } => {
            let k = load_root_key(&key)?;
            let sign = |m: &[u8]| k.sign(m);
            let signer = identity::CertSigner {
                public: k.public(),
                sign: &sign,
            };
            let c = identity::issue_root_by(
                &name,
                &org,
                &signer,
                validity(valid_from.as_deref(), days)?,
            )?;
            write_cert(&out, &c, force)
        }
        CertCommand::Issue {
            root_cert,
            root_key,
            key,
            role,
            name,
            org,
            party_id,
            valid_from,
            days,
            out,
            force,
        } => {
            let role = Role::parse(&role)?;
            identity::check_party_id(&party_id)?;
            let root = load_cert(&root_cert)?;
            let rk = load_root_key(&root_key)?;
            let sign = |m: &[u8]| rk.sign(m);
            let root_signer = identity::CertSigner {
                public: rk.public(),
                sign: &sign,
            };
            // A key in a token is certified by its public half, read there.
            let named = key.to_string_lossy();
            let subject = match named.starts_with("pkcs11:") {
                true => *triage_ledger::token::TokenKey::open(&named)
                    .map_err(|e| Failure::input(format!("--key: {e}")))?
                    .public(),
                false => identity::read_public_key(&key)?,
            };
            let c = identity::issue_role_by(
                &name,
                &org,
                Some(&party_id),
                role,
                &subject,
                &root,
                &root_signer,
                validity(valid_from.as_deref(), days)?,
            )?;
            write_cert(&out, &c, force)
        }
        CertCommand::SignTrustUpdate {
            root_cert,
            root_key,
            serial,
            input,
            out,
            force,
        } => {
            let root = load_cert(&root_cert)?;
            let rk = load_root_key(&root_key)?;
            rk.check_certified(&root, "--root-cert")
                .map_err(|e| Failure::input(e.to_string()).flag("--root-key"))?;
            let text = String::from_utf8(super::common::read_input(
                &input,
                triage_ledger::input::limit::SMALL,
            )?)
            .map_err(|_| Failure::input("--in: not UTF-8 text"))?;
            let anchor = |path: &str| -> Result<[u8; 32], String> {
                let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
                triage_ledger::tsa::TsaTrust::from_bytes(path, &bytes)
                    .map(|t| t.sha256())
                    .map_err(|e| format!("{path}: {e}"))
            };
            let update = triage_ledger::note::TrustUpdate::from_lines(
                serial,
                super::common::now(),
                &text,
                &anchor,
            )
            .map_err(|e| Failure::input(format!("--in: {e}")))?;
            let sign = |m: &[u8]| rk.sign(m);
            let signer = triage_ledger::note::RootNoteSigner::new(&rk.public(), &sign);
            let signed = triage_ledger::note::SignedTrustUpdate::sign(update, &signer)
                .map_err(|e| Failure::input(e.to_string()))?;
            triage_ledger::output::write(&out, &signed.to_bytes(), force, "--out")
                .map_err(super::common::out_failure)?;
            say_raw!("{}", String::from_utf8_lossy(&signed.to_bytes()));
            Ok(())
        }
        CertCommand::Show { cert } => {
            say_raw!("{}", describe(&load_cert(&cert)?));
            Ok(())
        }
    }
}
