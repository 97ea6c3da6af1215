//! `verify-bundle`: re-hash a sealed directory and name every missing,
//! changed and extra file.

use std::path::Path;

use triage_ledger::bundle::{check_dir, Sealed};
use triage_ledger::cose::Statement;
use triage_ledger::merkle::Hash;
use triage_ledger::record::Record;

use super::failure::{CmdResult, Failure};
use super::progress::Progress;

/// The commitment a seal statement makes, after checking its signature with
/// the key of the certificate it carries.
pub fn sealed_from(seal: &Path) -> Result<(Sealed, String), Failure> {
    let bytes = super::common::read_input(seal, triage_ledger::input::limit::STATEMENT)
        .map_err(|f| f.flag("--seal"))?;
    let st =
        Statement::parse(&bytes).map_err(|e| Failure::input(format!("{}: {e}", seal.display())))?;
    let cert = triage_ledger::identity::Certificate::from_der(&st.header().x5chain[0])
        .map_err(|e| Failure::input(format!("{}: {e}", seal.display())))?;
    st.verify(cert.key()).map_err(|e| {
        Failure::verification(format!(
            "{}: the seal's signature does not verify with its certificate: {e}",
            seal.display()
        ))
    })?;
    let rec = Record::decode(&st.header().content_type, st.payload())
        .map_err(|e| Failure::input(format!("{}: {e}", seal.display())))?;
    let Record::Seal(s) = rec else {
        return Err(Failure::input(format!(
            "{}: a {} statement, not a seal",
            seal.display(),
            rec.kind().name()
        )));
    };
    let root = Hash::from_slice(&s.root)
        .map_err(|e| Failure::input(format!("{}: root: {e}", seal.display())))?;
    let manifest_sha256: [u8; 32] = (*s.manifest_sha256).try_into().map_err(|_| {
        Failure::input(format!(
            "{}: manifest digest is not 32 bytes",
            seal.display()
        ))
    })?;
    Ok((
        Sealed {
            root,
            items: s.items,
            manifest_sha256,
        },
        format!(
            "seal of {} by {} ({} files)",
            s.facility,
            st.header().issuer,
            s.items
        ),
    ))
}

/// `verify-bundle DIR --seal SEAL.cose --manifest MANIFEST [--quiet]`.
pub fn verify_bundle(dir: &Path, seal: &Path, manifest: &Path, quiet: bool) -> CmdResult {
    let (sealed, what) = sealed_from(seal)?;
    let mut progress = Progress::for_dir("checking", quiet, dir);
    let result = check_dir(
        dir,
        manifest,
        &sealed,
        &mut |f| say!("{f}"),
        &mut |files, bytes| progress.update(files, bytes),
    );
    progress.finish();
    let c = result.map_err(|e| Failure::input(e.to_string()))?;
    say!(
        "{}: {} files ({} bytes) hashed against the {what}; {} problems",
        dir.display(),
        c.files,
        c.bytes,
        c.problems
    );
    if let Some(why) = &c.manifest {
        say!(
            "manifest {} is NOT the sealed one: {why}",
            manifest.display()
        );
    }
    say!(
        "not checked: the seal's certificate chain and its place in the log (verify a pack for that)"
    );
    if c.ok() {
        say!("VERIFIED: every file matches the sealed manifest");
        Ok(())
    } else {
        Err(Failure::verification(format!(
            "{} does not match its seal",
            dir.display()
        )))
    }
}

/// `disclose --manifest MANIFEST --paths P… --out D`.
pub fn disclose(manifest: &Path, paths: &[String], out: &Path, force: bool) -> CmdResult {
    let d = triage_ledger::bundle::disclose(manifest, paths)
        .map_err(|e| Failure::input(format!("--manifest {e}")))?;
    let bytes = d.to_bytes().map_err(|e| Failure::input(e.to_string()))?;
    triage_ledger::output::write(out, &bytes, force, "--out")
        .map_err(super::common::out_failure)?;
    super::common::announce(out);
    tell!(
        "disclosed {} of {} items with a proof of {} hashes ({} bytes)",
        d.items.len(),
        d.count,
        d.proof.len(),
        bytes.len()
    );
    Ok(())
}

/// `verify-disclosure D --seal SEAL.cose [--files DIR]`.
pub fn verify_disclosure(file: &Path, seal: &Path, files: Option<&Path>) -> CmdResult {
    use triage_ledger::bundle::{check_disclosure, check_files, BundleError, Disclosure};
    let (sealed, what) = sealed_from(seal)?;
    let d = Disclosure::parse(&super::common::read_input(
        file,
        triage_ledger::input::limit::DISCLOSURE,
    )?)
    .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?;
    let opened = check_disclosure(&d, &sealed).map_err(|e| match e {
        BundleError::NotSealed(_) => Failure::verification(format!("{}: {e}", file.display())),
        other => Failure::input(format!("{}: {other}", file.display())),
    })?;
    say!(
        "{} items of the {what} are in the sealed root (multi-proof of {} hashes):",
        opened.items.len(),
        d.proof.len()
    );
    for (_, item) in &opened.items {
        say!(
            "  {} ({} bytes, SHA-256 {})",
            item.path,
            item.size,
            triage_ledger::hex::encode(&item.sha256)
        );
    }
    match files {
        None => {
            say!("not checked: the files' contents (give --files DIR)");
            say!("VERIFIED: the disclosed items are in the sealed bundle");
            Ok(())
        }
        Some(dir) => {
            let findings = check_files(&opened, dir).map_err(|e| Failure::input(e.to_string()))?;
            for f in &findings {
                say!("{f}");
            }
            if findings.is_empty() {
                say!("VERIFIED: the disclosed items are in the sealed bundle, and the files in {} match them", dir.display());
                Ok(())
            } else {
                Err(Failure::verification(format!(
                    "{} disclosed files do not match",
                    findings.len()
                )))
            }
        }
    }
}
