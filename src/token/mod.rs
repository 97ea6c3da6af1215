//! Ed25519 keys that never leave a PKCS#11 token (an HSM; SoftHSM2 in the
//! tests), named by RFC 7512 `pkcs11:` URIs ([`Pkcs11Uri`]), through the
//! well-kept `cryptoki` crate.
//!
//! A [`TokenKey`] logs in once (the PIN from `TRIAGE_LEDGER_PKCS11_PIN`,
//! or the file the URI's `pin-source` names; never an argument), finds the
//! private key by label and/or id, reads its public half from the matching
//! public key object, and signs with `CKM_EDDSA` (pure Ed25519, RFC 8032):
//! signatures any Ed25519 verifier checks. [`TokenSigner`] is the log's
//! [`Signer`](crate::note::Signer) over it: checkpoints and receipts signed
//! in the token.
//!
//! Tokens write an Ed25519 public key's `CKA_EC_POINT` either as the raw
//! 32 bytes or DER-wrapped in an OCTET STRING (`04 20 ‖ key`, what SoftHSM2
//! writes); both are read.

mod uri;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

pub use uri::{Pkcs11Uri, UriError};

/// The environment variable holding a token's user PIN.
pub const PIN_ENV: &str = "TRIAGE_LEDGER_PKCS11_PIN";
/// The environment variable naming the PKCS#11 module when the URI does not
/// (`module-path`).
pub const MODULE_ENV: &str = "TRIAGE_LEDGER_PKCS11_MODULE";

/// Why a token key cannot be used; each names what to do.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The URI is not one this tool can use.
    #[error(transparent)]
    Uri(#[from] UriError),
    /// No module named.
    #[error("no PKCS#11 module: give module-path=… in the URI or set {MODULE_ENV} (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)")]
    NoModule,
    /// The module does not load or initialise.
    #[error("the PKCS#11 module {module}: {reason}")]
    Module {
        /// Its path.
        module: String,
        /// What went wrong.
        reason: String,
    },
    /// No PIN given.
    #[error("no PIN for token {token}: set {PIN_ENV}, or give pin-source=file:PATH in the URI")]
    NoPin {
        /// The token.
        token: String,
    },
    /// The PIN file cannot be read.
    #[error("the PIN file {path}: {reason}")]
    PinFile {
        /// Its path.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// No token matches, or more than one.
    #[error("{0}")]
    Token(String),
    /// The PIN is refused.
    #[error("token {token}: the PIN is refused ({reason})")]
    Login {
        /// The token.
        token: String,
        /// The token's answer.
        reason: String,
    },
    /// No key matches, or more than one, or it is not Ed25519.
    #[error("token {token}: {reason}")]
    Key {
        /// The token.
        token: String,
        /// What is wrong.
        reason: String,
    },
    /// The token refused to sign.
    #[error("token {token}: signing failed: {reason}")]
    Sign {
        /// The token.
        token: String,
        /// The token's answer.
        reason: String,
    },
    /// A data object could not be read or kept.
    #[error("token {token}: data object {label:?}: {reason}")]
    Data {
        /// The token.
        token: String,
        /// The object's label.
        label: String,
        /// What failed.
        reason: String,
    },
}

impl crate::class::Classify for TokenError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            // The token answered, but did not do it: trying again may work.
            TokenError::Sign { .. } | TokenError::Data { .. } => Class::Unavailable,
            // A URI, module, token, PIN or key named wrongly, or missing.
            _ => Class::BadInput,
        }
    }
}

/// An Ed25519 private key in a PKCS#11 token, logged in and ready to sign.
pub struct TokenKey {
    session: Mutex<Session>,
    key: ObjectHandle,
    public: ed25519_dalek::VerifyingKey,
    token: String,
}

fn module_of(uri: &Pkcs11Uri) -> Result<String, TokenError> {
    uri.module_path
        .clone()
        .or_else(|| std::env::var(MODULE_ENV).ok().filter(|m| !m.is_empty()))
        .ok_or(TokenError::NoModule)
}

fn pin_of(uri: &Pkcs11Uri, token: &str) -> Result<AuthPin, TokenError> {
    if let Some(path) = &uri.pin_source {
        let path = Path::new(path);
        let text =
            Zeroizing::new(
                std::fs::read_to_string(path).map_err(|e| TokenError::PinFile {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })?,
            );
        return Ok(AuthPin::from(
            text.trim_end_matches(['\n', '\r']).to_string(),
        ));
    }
    match std::env::var(PIN_ENV) {
        Ok(pin) if !pin.is_empty() => Ok(AuthPin::from(pin)),
        _ => Err(TokenError::NoPin {
            token: token.to_string(),
        }),
    }
}

/// The Ed25519 public key in a `CKA_EC_POINT`: 32 raw bytes, or those
/// bytes in a DER OCTET STRING (`04 20 ‖ key`).
pub fn ec_point_key(point: &[u8]) -> Option<ed25519_dalek::VerifyingKey> {
    let raw: &[u8] = match point {
        [0x04, 0x20, rest @ ..] if rest.len() == 32 => rest,
        p if p.len() == 32 => p,
        _ => return None,
    };
    ed25519_dalek::VerifyingKey::from_bytes(raw.try_into().ok()?).ok()
}

/// A logged-in session on the one token `uri` names, and its label.
fn login(uri: &Pkcs11Uri, rw: bool) -> Result<(Session, String), TokenError> {
    let module = module_of(uri)?;
    let module_err = |reason: String| TokenError::Module {
        module: module.clone(),
        reason,
    };
    let ctx = Pkcs11::new(&module).map_err(|e| module_err(e.to_string()))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(())
        | Err(cryptoki::error::Error::Pkcs11(
            cryptoki::error::RvError::CryptokiAlreadyInitialized,
            _,
        )) => {}
        Err(e) => return Err(module_err(e.to_string())),
    }
    let slots = ctx
        .get_slots_with_token()
        .map_err(|e| module_err(e.to_string()))?;
    let mut found = Vec::new();
    for slot in slots {
        let info = ctx
            .get_token_info(slot)
            .map_err(|e| module_err(e.to_string()))?;
        let matches = |want: &Option<String>, have: &str| {
            want.as_deref().is_none_or(|w| w == have.trim_end())
        };
        if matches(&uri.token, info.label())
            && matches(&uri.serial, info.serial_number())
            && matches(&uri.manufacturer, info.manufacturer_id())
            && matches(&uri.model, info.model())
        {
            found.push((slot, info.label().trim_end().to_string()));
        }
    }
    let wanted = uri.token.clone().unwrap_or_else(|| "(any)".into());
    let (slot, token) = match found.len() {
        1 => found.remove(0),
        0 => {
            return Err(TokenError::Token(format!(
                "no token {wanted:?} in {module}: is it plugged in, and initialised?"
            )))
        }
        n => {
            return Err(TokenError::Token(format!(
                "{n} tokens in {module} match {wanted:?}: name it by token=, serial= or model="
            )))
        }
    };
    let pin = pin_of(uri, &token)?;
    let session = match rw {
        true => ctx.open_rw_session(slot),
        false => ctx.open_ro_session(slot),
    }
    .map_err(|e| module_err(e.to_string()))?;
    match session.login(UserType::User, Some(&pin)) {
        Ok(())
        | Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::UserAlreadyLoggedIn, _)) => {
        }
        Err(e) => {
            return Err(TokenError::Login {
                token,
                reason: e.to_string(),
            })
        }
    }
    Ok((session, token))
}

/// The DER of the curve `edwards25519` as PKCS#11 v3 names it by OID
/// (1.3.101.112), for a key made in a token.
const ED25519_OID: [u8; 5] = [0x06, 0x03, 0x2b, 0x65, 0x70];

/// Makes a new Ed25519 key pair inside the token `uri` names, under its
/// `object` label and/or `id`: the private key sensitive and never
/// extractable (it cannot leave the token), the public key readable.
/// Refused if a key of that label or id is there already. Returns the
/// public key.
pub fn generate(uri: &str) -> Result<ed25519_dalek::VerifyingKey, TokenError> {
    let uri = Pkcs11Uri::parse(uri)?;
    let (session, token) = login(&uri, true)?;
    let key_err = |reason: String| TokenError::Key {
        token: token.clone(),
        reason,
    };
    let mut named = Vec::new();
    if let Some(l) = &uri.object {
        named.push(Attribute::Label(l.as_bytes().to_vec()));
    }
    if let Some(id) = &uri.id {
        named.push(Attribute::Id(id.clone()));
    }
    for attr in &named {
        let there = session
            .find_objects(std::slice::from_ref(attr))
            .map_err(|e| key_err(e.to_string()))?;
        if !there.is_empty() {
            return Err(key_err(
                "a key of that label or id is there already (a key is never replaced)".into(),
            ));
        }
    }
    let mut public = vec![
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::EcParams(ED25519_OID.to_vec()),
    ];
    public.extend(named.iter().cloned());
    let mut private = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
    ];
    private.extend(named);
    let (pubkey, _) = session
        .generate_key_pair(&Mechanism::EccEdwardsKeyPairGen, &public, &private)
        .map_err(|e| key_err(format!("the token did not make the key: {e}")))?;
    let attrs = session
        .get_attributes(pubkey, &[AttributeType::EcPoint])
        .map_err(|e| key_err(e.to_string()))?;
    attrs
        .iter()
        .find_map(|a| match a {
            Attribute::EcPoint(p) => ec_point_key(p),
            _ => None,
        })
        .ok_or_else(|| key_err("the key made is not an Ed25519 point".into()))
}

impl TokenKey {
    /// Opens the key `uri` names: loads the module, finds the one token
    /// that matches, logs in, finds the one Ed25519 private key that
    /// matches and its public half.
    pub fn open(uri: &str) -> Result<TokenKey, TokenError> {
        Self::open_session(uri, false)
    }

    /// [`TokenKey::open`] with a read-write session (a log's key keeps its
    /// high-water mark in the token).
    fn open_session(uri: &str, rw: bool) -> Result<TokenKey, TokenError> {
        let uri = Pkcs11Uri::parse(uri)?;
        let (session, token) = login(&uri, rw)?;
        let key_err = |reason: String| TokenError::Key {
            token: token.clone(),
            reason,
        };
        let mut template = vec![Attribute::KeyType(KeyType::EC_EDWARDS)];
        if let Some(l) = &uri.object {
            template.push(Attribute::Label(l.as_bytes().to_vec()));
        }
        if let Some(id) = &uri.id {
            template.push(Attribute::Id(id.clone()));
        }
        let named = || {
            let mut n = Vec::new();
            if let Some(l) = &uri.object {
                n.push(format!("object={l}"));
            }
            if let Some(id) = &uri.id {
                n.push(format!("id={}", crate::hex::encode(id)));
            }
            n.join(", ")
        };
        let find = |class: ObjectClass| -> Result<Vec<ObjectHandle>, TokenError> {
            let mut t = template.clone();
            t.push(Attribute::Class(class));
            session.find_objects(&t).map_err(|e| key_err(e.to_string()))
        };
        let private = find(ObjectClass::PRIVATE_KEY)?;
        let key = match private.as_slice() {
            [k] => *k,
            [] => {
                return Err(key_err(format!(
                    "no Ed25519 private key with {} (removed, or never made: `pkcs11-tool --keypairgen --key-type EC:edwards25519`)",
                    named()
                )))
            }
            _ => {
                return Err(key_err(format!(
                    "{} Ed25519 private keys match {}: name one by its id",
                    private.len(),
                    named()
                )))
            }
        };
        let public_objects = find(ObjectClass::PUBLIC_KEY)?;
        let &[pubkey] = public_objects.as_slice() else {
            return Err(key_err(format!(
                "{} public key objects match {} (one is needed, to read the key's public half)",
                public_objects.len(),
                named()
            )));
        };
        let attrs = session
            .get_attributes(pubkey, &[AttributeType::EcPoint])
            .map_err(|e| key_err(e.to_string()))?;
        let public = attrs
            .iter()
            .find_map(|a| match a {
                Attribute::EcPoint(p) => ec_point_key(p),
                _ => None,
            })
            .ok_or_else(|| {
                key_err(format!(
                    "the public key of {} is not an Ed25519 point",
                    named()
                ))
            })?;
        Ok(TokenKey {
            session: Mutex::new(session),
            key,
            public,
            token,
        })
    }

    /// The public half.
    pub fn public(&self) -> &ed25519_dalek::VerifyingKey {
        &self.public
    }

    /// The token's label.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Signs `message` with pure Ed25519 in the token.
    pub fn sign(&self, message: &[u8]) -> Result<[u8; 64], TokenError> {
        let fail = |reason: String| TokenError::Sign {
            token: self.token.clone(),
            reason,
        };
        let session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let mechanism = Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Ed25519));
        let sig = session
            .sign(&mechanism, self.key, message)
            .map_err(|e| fail(e.to_string()))?;
        let sig: [u8; 64] = sig
            .as_slice()
            .try_into()
            .map_err(|_| fail(format!("a {}-byte signature", sig.len())))?;
        // A token that signs with another key, or wrongly, is caught here,
        // not by the first verifier.
        use ed25519_dalek::Verifier as _;
        self.public
            .verify(message, &ed25519_dalek::Signature::from_bytes(&sig))
            .map_err(|_| fail("its signature does not verify under its public key".into()))?;
        Ok(sig)
    }
}

impl TokenKey {
    /// The values of the token's private data objects labelled `label`
    /// (`CKO_DATA`, application [`DATA_APPLICATION`]).
    pub fn read_data(&self, label: &str) -> Result<Vec<Vec<u8>>, TokenError> {
        let fail = |reason: String| TokenError::Data {
            token: self.token.clone(),
            label: label.to_string(),
            reason,
        };
        let session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let found = session
            .find_objects(&data_template(label))
            .map_err(|e| fail(e.to_string()))?;
        let mut values = Vec::new();
        for o in found {
            let attrs = session
                .get_attributes(o, &[AttributeType::Value])
                .map_err(|e| fail(e.to_string()))?;
            for a in attrs {
                if let Attribute::Value(v) = a {
                    values.push(v);
                }
            }
        }
        Ok(values)
    }

    /// Makes `value` the value of the private data object `label`: a new
    /// object is made first, then the older ones destroyed, so a crash
    /// between the two leaves both (a reader takes what it needs of them),
    /// never none. (Tokens need not let a data object's value be changed
    /// in place: SoftHSM2 refuses it.)
    pub fn write_data(&self, label: &str, value: &[u8]) -> Result<(), TokenError> {
        let fail = |reason: String| TokenError::Data {
            token: self.token.clone(),
            label: label.to_string(),
            reason,
        };
        let session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let older = session
            .find_objects(&data_template(label))
            .map_err(|e| fail(e.to_string()))?;
        let mut template = data_template(label);
        template.push(Attribute::Value(value.to_vec()));
        session
            .create_object(&template)
            .map_err(|e| fail(format!("the token did not keep it: {e}")))?;
        for o in older {
            session
                .destroy_object(o)
                .map_err(|e| fail(format!("the older value was not removed: {e}")))?;
        }
        Ok(())
    }
}

/// The `CKA_APPLICATION` of the data objects this program keeps in a token.
pub const DATA_APPLICATION: &str = "triage-ledger";

fn data_template(label: &str) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::DATA),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Application(DATA_APPLICATION.as_bytes().to_vec()),
        Attribute::Label(label.as_bytes().to_vec()),
    ]
}

/// A log's signer whose key is in a token: checkpoints and receipts are
/// signed there, and the log's high-water mark (the largest tree the key
/// signed) is kept there too, in a private data object labelled
/// [`mark_label`], so that restoring the store from a backup cannot make
/// the key forget what it signed.
pub struct TokenSigner {
    key: TokenKey,
    vkey: crate::note::VerifierKey,
}

/// The label of the data object that holds the high-water mark of the log
/// `vkey` signs for.
pub fn mark_label(vkey: &crate::note::VerifierKey) -> String {
    format!("high-water {} {}", vkey.name(), vkey.id())
}

impl TokenSigner {
    /// The token key `uri` names, signing for the log `origin`.
    pub fn open(uri: &str, origin: &str) -> Result<TokenSigner, TokenError> {
        let key = TokenKey::open_session(uri, true)?;
        let vkey = crate::note::VerifierKey::new(origin, crate::note::SigType::Ed25519, key.public)
            .map_err(|e| TokenError::Key {
                token: key.token.clone(),
                reason: e.to_string(),
            })?;
        Ok(TokenSigner { key, vkey })
    }
}

impl crate::note::MarkKeeper for TokenSigner {
    fn place(&self) -> String {
        format!(
            "token {:?} (data object {:?})",
            self.key.token,
            mark_label(&self.vkey)
        )
    }
    fn read_marks(&self) -> Result<Vec<Vec<u8>>, crate::note::NoteError> {
        self.key
            .read_data(&mark_label(&self.vkey))
            .map_err(|e| crate::note::NoteError::Signer(e.to_string()))
    }
    fn keep_mark(&self, note: &[u8]) -> Result<(), crate::note::NoteError> {
        self.key
            .write_data(&mark_label(&self.vkey), note)
            .map_err(|e| crate::note::NoteError::Signer(e.to_string()))
    }
}

impl crate::note::Signer for TokenSigner {
    fn public_key(&self) -> &crate::note::VerifierKey {
        &self.vkey
    }
    fn marks(&self) -> Option<&dyn crate::note::MarkKeeper> {
        Some(self)
    }
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], crate::note::NoteError> {
        self.key
            .sign(message)
            .map_err(|e| crate::note::NoteError::Signer(e.to_string()))
    }
}

mod key_ref;
pub use key_ref::{KeyRef, KeyRefError};

#[cfg(test)]
mod tests;
