//! Against a real SoftHSM2 token (Debian's `softhsm2`, installed by the
//! test command), a fresh one per test, its key made by an independent
//! client (OpenSC's `pkcs11-tool`): signatures made in the token verify
//! with ed25519-dalek and as checkpoints; a wrong PIN, a missing token and
//! a removed key each give a clear error; no private key file exists.

use super::*;
use std::process::Command;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A fresh SoftHSM2 token `label` (user PIN 1234) in its own directory,
/// with an Ed25519 key `logkey` (id 01) made in it by `pkcs11-tool`.
struct Token {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Token {
    fn new(label: &str) -> Token {
        let dir = tempfile::tempdir().unwrap();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        let t = Token { dir, conf };
        t.run(
            "softhsm2-util",
            &[
                "--init-token",
                "--free",
                "--label",
                label,
                "--so-pin",
                "5678",
                "--pin",
                "1234",
            ],
        );
        t.run(
            "pkcs11-tool",
            &[
                "--module",
                MODULE,
                "--token-label",
                label,
                "--login",
                "--pin",
                "1234",
                "--keypairgen",
                "--key-type",
                "EC:edwards25519",
                "--label",
                "logkey",
                "--id",
                "01",
            ],
        );
        t
    }

    fn run(&self, tool: &str, args: &[&str]) -> String {
        let out = Command::new(tool)
            .args(args)
            .env("SOFTHSM2_CONF", &self.conf)
            .output()
            .unwrap_or_else(|e| panic!("{tool} (Debian's softhsm2 / opensc) runs: {e}"));
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// SoftHSM2 reads its configuration from the environment at load: the
/// tests that load the module run one at a time, each with its own file.
static SERIAL: Mutex<()> = Mutex::new(());

fn with_token<R>(t: &Token, pin: Option<&str>, f: impl FnOnce() -> R) -> R {
    let _g = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // SAFETY (edition 2021: set_var is safe): the tests that read these
    // variables hold SERIAL.
    std::env::set_var("SOFTHSM2_CONF", &t.conf);
    match pin {
        Some(p) => std::env::set_var(PIN_ENV, p),
        None => std::env::remove_var(PIN_ENV),
    }
    let r = f();
    std::env::remove_var(PIN_ENV);
    r
}

fn uri(token: &str) -> String {
    format!("pkcs11:token={token};object=logkey;id=%01?module-path={MODULE}")
}

#[test]
fn a_token_key_signs_what_ed25519_and_checkpoints_verify() {
    let t = Token::new("ledger");
    let (sig, public, cp) = with_token(&t, Some("1234"), || {
        let key = TokenKey::open(&uri("ledger")).unwrap();
        assert_eq!(key.token(), "ledger");
        let sig = key.sign(b"a message").unwrap();
        let signer = TokenSigner::open(&uri("ledger"), "example.org/token-log").unwrap();
        let cp = crate::note::Checkpoint::new(
            "example.org/token-log",
            crate::merkle::RootHash::new(1, crate::merkle::Hash::digest(b"x")),
        )
        .and_then(|c| crate::note::SignedCheckpoint::sign(c, &signer))
        .unwrap();
        (sig, *key.public(), cp)
    });
    use ed25519_dalek::Verifier as _;
    public
        .verify(b"a message", &ed25519_dalek::Signature::from_bytes(&sig))
        .unwrap();
    let vkey = crate::note::VerifierKey::new(
        "example.org/token-log",
        crate::note::SigType::Ed25519,
        public,
    )
    .unwrap();
    crate::note::SignedCheckpoint::open(&cp.to_bytes(), &vkey).unwrap();
    // The public key the token reports is the one pkcs11-tool made.
    let listed = t.run(
        "pkcs11-tool",
        &[
            "--module",
            MODULE,
            "--token-label",
            "ledger",
            "--list-objects",
        ],
    );
    let hex = crate::hex::encode(public.as_bytes());
    assert!(listed.contains(&format!("0420{hex}")), "{listed}");
    // The private key is sensitive and never extractable, and no key file
    // was written anywhere: the token's directory holds its own objects.
    let access = t.run(
        "pkcs11-tool",
        &[
            "--module",
            MODULE,
            "--token-label",
            "ledger",
            "--login",
            "--pin",
            "1234",
            "--list-objects",
            "--type",
            "privkey",
        ],
    );
    assert!(access.contains("never extractable"), "{access}");
    assert!(t.dir.path().join("tokens").exists());
}

#[test]
fn a_wrong_pin_a_missing_token_and_a_removed_key_are_named() {
    let t = Token::new("errors");
    let err = |u: &str, pin: Option<&str>| {
        with_token(&t, pin, || match TokenKey::open(u) {
            Ok(_) => panic!("{u} opened"),
            Err(e) => e.to_string(),
        })
    };
    let e = err(&uri("errors"), Some("0000"));
    assert!(e.contains("token errors: the PIN is refused"), "{e}");
    let e = err(&uri("errors"), None);
    assert!(
        e.contains("no PIN for token errors") && e.contains(PIN_ENV),
        "{e}"
    );
    let e = err(&uri("absent"), Some("1234"));
    assert!(e.contains("no token \"absent\""), "{e}");
    let e = err(
        &format!("pkcs11:token=errors;object=other?module-path={MODULE}"),
        Some("1234"),
    );
    assert!(
        e.contains("no Ed25519 private key with object=other"),
        "{e}"
    );
    let e = err(
        "pkcs11:token=errors;object=logkey?module-path=/nonexistent/lib.so",
        Some("1234"),
    );
    assert!(e.contains("the PKCS#11 module /nonexistent/lib.so"), "{e}");
    // A PIN from a file named by the URI.
    let pin = t.dir.path().join("pin");
    std::fs::write(&pin, "1234\n").unwrap();
    let from_file = format!("{}&pin-source=file:{}", uri("errors"), pin.display());
    with_token(&t, None, || TokenKey::open(&from_file).map(|_| ())).unwrap();
    // The key removed from the token.
    t.run(
        "pkcs11-tool",
        &[
            "--module",
            MODULE,
            "--token-label",
            "errors",
            "--login",
            "--pin",
            "1234",
            "--delete-object",
            "--type",
            "privkey",
            "--id",
            "01",
        ],
    );
    let e = err(&uri("errors"), Some("1234"));
    assert!(
        e.contains("no Ed25519 private key with object=logkey, id=01"),
        "{e}"
    );
    assert!(e.contains("removed"), "{e}");
}

#[test]
fn both_encodings_of_an_ed25519_point_are_read() {
    let k = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
    let raw = k.to_bytes();
    let mut der = vec![0x04, 0x20];
    der.extend_from_slice(&raw);
    assert_eq!(ec_point_key(&raw), Some(k));
    assert_eq!(ec_point_key(&der), Some(k));
    assert_eq!(ec_point_key(&der[..33]), None);
    assert_eq!(ec_point_key(&[0x04, 0x21, 0]), None);
}

#[test]
fn a_key_made_in_the_token_never_leaves_it_and_signs() {
    let t = Token::new("made");
    let u = format!("pkcs11:token=made;object=ours;id=%09?module-path={MODULE}");
    let (made, signed) = with_token(&t, Some("1234"), || {
        let made = generate(&u).unwrap();
        let again = generate(&u).map(|_| ()).unwrap_err().to_string();
        assert!(again.contains("never replaced"), "{again}");
        let key = TokenKey::open(&u).unwrap();
        (made, (*key.public(), key.sign(b"m").unwrap()))
    });
    assert_eq!(made, signed.0);
    use ed25519_dalek::Verifier as _;
    made.verify(b"m", &ed25519_dalek::Signature::from_bytes(&signed.1))
        .unwrap();
    // As OpenSC's client sees it: sensitive, never extractable.
    let listed = t.run(
        "pkcs11-tool",
        &[
            "--module",
            MODULE,
            "--token-label",
            "made",
            "--login",
            "--pin",
            "1234",
            "--list-objects",
            "--type",
            "privkey",
        ],
    );
    let ours = listed
        .split("Private Key Object")
        .find(|o| o.contains("label:      ours"))
        .unwrap();
    assert!(
        ours.contains("sensitive") && ours.contains("never extractable"),
        "{listed}"
    );
}

/// The log's high-water mark kept in the token: a private data object,
/// replaced (made anew, the older destroyed) at each keep; two left by a
/// crash between the two steps are both read, and the store takes the
/// largest that opens with the key.
#[test]
fn a_token_signer_keeps_its_mark_in_a_private_data_object() {
    use crate::note::Signer as _;
    let t = Token::new("marks");
    let u = format!("pkcs11:token=marks;object=logkey;id=%01?module-path={MODULE}");
    let label = with_token(&t, Some("1234"), || {
        let signer = TokenSigner::open(&u, "example.org/marks").unwrap();
        let keeper = signer.marks().expect("a token signer keeps its mark");
        assert!(keeper.read_marks().unwrap().is_empty());
        keeper.keep_mark(b"first").unwrap();
        keeper.keep_mark(b"second").unwrap();
        assert_eq!(keeper.read_marks().unwrap(), vec![b"second".to_vec()]);
        // A crash between making the new object and destroying the old.
        let label = mark_label(signer.public_key());
        signer.key.write_data("unrelated", b"x").unwrap();
        let mut template = data_template(&label);
        template.push(Attribute::Value(b"third".to_vec()));
        signer
            .key
            .session
            .lock()
            .unwrap()
            .create_object(&template)
            .unwrap();
        let mut both = keeper.read_marks().unwrap();
        both.sort();
        assert_eq!(both, vec![b"second".to_vec(), b"third".to_vec()]);
        // The next keep leaves one.
        keeper.keep_mark(b"fourth").unwrap();
        assert_eq!(keeper.read_marks().unwrap(), vec![b"fourth".to_vec()]);
        label
    });
    // OpenSC sees it private: not listed without logging in.
    let listed = t.run(
        "pkcs11-tool",
        &[
            "--module",
            MODULE,
            "--token-label",
            "marks",
            "--list-objects",
            "--type",
            "data",
        ],
    );
    assert!(!listed.contains(&label), "{listed}");
    let listed = t.run(
        "pkcs11-tool",
        &[
            "--module",
            MODULE,
            "--token-label",
            "marks",
            "--login",
            "--pin",
            "1234",
            "--list-objects",
            "--type",
            "data",
        ],
    );
    assert!(listed.contains(&label), "{listed}");
}
