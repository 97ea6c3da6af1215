//! Identity tests: issuing and reading certificates, chain validation with
//! every refusal, key files, and OpenSSL's opinion of what we issue.

use super::*;
use std::process::Command;

const YEAR: i64 = 365 * 24 * 3600;
const T0: i64 = 1_780_000_000; // 2026-05-28

fn validity() -> Validity {
    Validity {
        not_before: T0,
        not_after: T0 + 5 * YEAR,
    }
}

struct Pki {
    root: Certificate,
    op_key: ed25519_dalek::SigningKey,
    op: Certificate,
}

fn pki() -> Pki {
    let root_key = generate_key();
    let root = issue_root("Demo Scheme Root", "Demo Scheme", &root_key, validity()).unwrap();
    let op_key = generate_key();
    let op = issue_role(
        "Demo Operator",
        "Demo Triage Ltd",
        "NTRGB-00000001",
        Role::Operator,
        &op_key.verifying_key(),
        &root,
        &root_key,
        validity(),
    )
    .unwrap();
    Pki { root, op_key, op }
}

#[test]
fn issued_certificates_read_back_with_their_role() {
    let p = pki();
    assert!(p.root.is_ca());
    assert_eq!(p.root.roles(), &[] as &[Role]);
    assert!(!p.op.is_ca());
    assert_eq!(p.op.roles(), &[Role::Operator]);
    assert_eq!(p.op.key(), &p.op_key.verifying_key());
    assert_eq!(
        p.op.subject(),
        "O=Demo Triage Ltd, CN=Demo Operator, organizationIdentifier=NTRGB-00000001"
    );
    assert_eq!(p.op.party(), Some("NTRGB-00000001"));
    assert_eq!(p.root.party(), None);
    assert_eq!(p.op.issuer(), p.root.subject());
    assert_eq!(
        Certificate::from_pem(p.op.to_pem().as_bytes()).unwrap(),
        p.op
    );
    assert_eq!(p.op.validity(), validity());
}

#[test]
fn chains_validate_only_for_the_right_root_time_and_role() {
    let p = pki();
    let chain = [p.op.clone()];
    validate_chain(&chain, &p.root, T0 + 100, Some(Role::Operator)).unwrap();
    let err = validate_chain(&chain, &p.root, T0 + 100, Some(Role::UserCio)).unwrap_err();
    assert!(
        matches!(
            err,
            IdentityError::WrongRole {
                role: Role::UserCio,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("its roles: operator"));
    let err = validate_chain(&chain, &p.root, T0 - 1, Some(Role::Operator)).unwrap_err();
    assert!(matches!(err, IdentityError::NotValidAt { .. }), "{err}");
    let err = validate_chain(&chain, &p.root, T0 + 6 * YEAR, Some(Role::Operator)).unwrap_err();
    assert!(matches!(err, IdentityError::NotValidAt { .. }), "{err}");
    // Another root with the same name does not do.
    let other_key = generate_key();
    let other = issue_root("Demo Scheme Root", "Demo Scheme", &other_key, validity()).unwrap();
    let err = validate_chain(&chain, &other, T0 + 100, Some(Role::Operator)).unwrap_err();
    assert!(
        matches!(err, IdentityError::Untrusted { .. })
            && err.to_string().contains("does not verify"),
        "{err}"
    );
    // Only the root may sign root-level statements (revocations).
    validate_chain(std::slice::from_ref(&p.root), &p.root, T0 + 100, None).unwrap();
    assert!(validate_chain(&chain, &p.root, T0 + 100, None).is_err());
    // The root cannot pose as a role holder.
    assert!(validate_chain(
        std::slice::from_ref(&p.root),
        &p.root,
        T0 + 100,
        Some(Role::Operator)
    )
    .is_err());
    // A role certificate cannot issue certificates.
    let mallory = generate_key();
    assert!(issue_role(
        "M",
        "M",
        "M-1",
        Role::Ssc,
        &mallory.verifying_key(),
        &p.op,
        &p.op_key,
        validity()
    )
    .is_err());
}

#[test]
fn tampered_certificates_are_refused() {
    let p = pki();
    let der = p.op.der().to_vec();
    let mut refused = 0;
    for at in (0..der.len()).step_by(7) {
        let mut b = der.clone();
        b[at] ^= 0x01;
        match Certificate::from_der(&b) {
            Err(_) => refused += 1,
            Ok(c) => {
                if c == p.op {
                    continue;
                }
                assert!(
                    validate_chain(&[c], &p.root, T0 + 100, Some(Role::Operator)).is_err(),
                    "byte {at} flipped still validates"
                );
                refused += 1;
            }
        }
    }
    assert!(refused > der.len() / 8);
    assert!(Certificate::from_der(&der[..der.len() - 1]).is_err());
    assert!(Certificate::from_der(&[der.clone(), vec![0]].concat()).is_err());
    assert!(
        Certificate::from_pem(b"-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n")
            .is_err()
    );
}

#[test]
fn role_oids_are_under_the_uuid_arc() {
    assert_eq!(
        Role::Operator.oid(),
        "2.25.323287340818552033492432305026199838632.1.1"
    );
    assert_eq!(Role::parse("user-cio").unwrap(), Role::UserCio);
    assert!(Role::parse("admin").is_err());
    // X.690: 2.25 → 0x69; the UUID arc in base 128.
    let der = Role::Ssc.oid_der();
    assert_eq!(der[0], 0x69);
    assert_eq!(der[der.len() - 2..], [0x01, 0x03]);
}

#[test]
fn key_files_round_trip_and_warn_when_exposed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = generate_key();
    let path = dir.path().join("k.key");
    write_private_key(&path, &key).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (back, warning) = read_private_key(&path).unwrap();
    assert_eq!(back.to_bytes(), key.to_bytes());
    assert!(warning.is_none());
    assert!(
        write_private_key(&path, &key).is_err(),
        "must not overwrite"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(read_private_key(&path)
        .unwrap()
        .1
        .unwrap()
        .contains("chmod 600"));
    let pubp = dir.path().join("k.pub");
    write_public_key(&pubp, &key.verifying_key()).unwrap();
    assert_eq!(read_public_key(&pubp).unwrap(), key.verifying_key());
    std::fs::write(
        dir.path().join("bad.key"),
        // A PEM block with the private-key label and a body that is no key.
        format!(
            "-----BEGIN {l}-----\nAAAA\n-----END {l}-----\n",
            l = "PRIVATE KEY"
        ),
    )
    .unwrap();
    let err = read_private_key(&dir.path().join("bad.key")).unwrap_err();
    assert!(err.to_string().contains("PKCS#8"), "{err}");
}

/// `openssl verify -x509_strict` must accept what we issue (`scripts/test`
/// installs OpenSSL; a missing one fails the test, it never skips it).
#[test]
fn openssl_accepts_our_certificates_and_keys() {
    assert!(
        Command::new("openssl").arg("version").output().is_ok(),
        "openssl is not installed: run the tests with scripts/test, which installs it"
    );
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let v = Validity {
        not_before: now - 3600,
        not_after: now + YEAR,
    };
    let root_key = generate_key();
    let root = issue_root("Demo Scheme Root", "Demo Scheme", &root_key, v).unwrap();
    let root_pem = dir.path().join("root.pem");
    std::fs::write(&root_pem, root.to_pem()).unwrap();
    for role in Role::ALL {
        let k = generate_key();
        let c = issue_role(
            &format!("Demo {role}"),
            "Demo Org",
            "DEMO-1",
            role,
            &k.verifying_key(),
            &root,
            &root_key,
            v,
        )
        .unwrap();
        let p = dir.path().join(format!("{role}.pem"));
        std::fs::write(&p, c.to_pem()).unwrap();
        let out = Command::new("openssl")
            .args(["verify", "-x509_strict", "-CAfile"])
            .arg(&root_pem)
            .arg(&p)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl verify {role}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(&p)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains(&role.oid()), "role OID missing from:\n{text}");
        assert!(
            text.contains("Subject Key Identifier") && text.contains("Authority Key Identifier")
        );
    }
    let key_path = dir.path().join("k.key");
    write_private_key(&key_path, &root_key).unwrap();
    let out = Command::new("openssl")
        .args(["pkey", "-noout", "-in"])
        .arg(&key_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl pkey: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn only_the_canonical_der_of_a_certificate_is_accepted() {
    let p = pki();
    let der = p.op.der().to_vec();
    let tail = 7 + 3 + 64;
    // Locate the signed part: the outer header is 30 82 LL LL.
    assert_eq!(der[0..2], [0x30, 0x82]);
    let tbs = &der[4..der.len() - tail];
    let sig = &der[der.len() - 64..];
    let wrap = |body: Vec<u8>| {
        let mut out = vec![0x30, 0x82, (body.len() >> 8) as u8, body.len() as u8];
        out.extend(body);
        out
    };
    // NULL parameters on the outer algorithm.
    let mut body = tbs.to_vec();
    body.extend_from_slice(&[
        0x30, 0x07, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x05, 0x00, 0x03, 0x41, 0x00,
    ]);
    body.extend_from_slice(sig);
    assert!(Certificate::from_der(&wrap(body))
        .unwrap_err()
        .to_string()
        .contains("canonical"));
    // Junk after the signature, inside the outer SEQUENCE.
    let mut body = der[4..].to_vec();
    body.extend_from_slice(&[0x05, 0x00]);
    assert!(Certificate::from_der(&wrap(body)).is_err());
    // The canonical form itself round-trips.
    let mut body = tbs.to_vec();
    body.extend_from_slice(&[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x41, 0x00]);
    body.extend_from_slice(sig);
    assert_eq!(Certificate::from_der(&wrap(body)).unwrap(), p.op);
}
