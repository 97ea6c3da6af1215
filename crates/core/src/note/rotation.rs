//! A log key's hand-over (issue 26, FORMATS §28): the note, signed by the
//! old key and the new, that the log's key changes at a tree.
//!
//! ```text
//! triage-ledger/rotation/v1
//! <origin>
//! <tree size at the hand-over>
//! <its root, base64>
//! <old verifier key>
//! <new verifier key>
//!
//! — <origin> <old key's signature>
//! — <origin> <new key's signature>
//! ```
//!
//! The old key signs the checkpoints of trees up to the hand-over size; the
//! new key signs the hand-over checkpoint too (it carries both signatures)
//! and every one after. A verifier that trusts the old key learns the new
//! one from the note (the old key's signature vouches for it, as TUF's root
//! rotation does), and refuses a checkpoint of a larger tree that only the
//! old, retired key signed.

use super::{Note, NoteError, Signer, VerifierKey};
use crate::merkle::{Hash, RootHash};

/// First line of a rotation note.
pub const ROTATION_HEADER: &str = "triage-ledger/rotation/v1";

fn bad(reason: impl Into<String>) -> NoteError {
    NoteError::Malformed {
        reason: format!("rotation note: {}", reason.into()),
    }
}

/// A log key's hand-over at a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// The log's origin (both keys' name).
    pub origin: String,
    /// The tree at the hand-over: the old key's last, the new key's first.
    pub root: RootHash,
    /// The retiring key.
    pub old: VerifierKey,
    /// The key from the hand-over on.
    pub new: VerifierKey,
}

impl Rotation {
    /// The note text.
    pub fn to_text(&self) -> String {
        format!(
            "{ROTATION_HEADER}\n{}\n{}\n{}\n{}\n{}\n",
            self.origin,
            self.root.size(),
            self.root.hash().to_base64(),
            self.old,
            self.new
        )
    }

    /// Parses the note text and checks that both keys are the log's.
    pub fn parse(text: &str) -> Result<Rotation, NoteError> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("does not end with a newline"))?;
        let l: Vec<&str> = body.split('\n').collect();
        let [header, origin, size, root, old, new] = l.as_slice() else {
            return Err(bad("a rotation note has six lines"));
        };
        if *header != ROTATION_HEADER {
            return Err(bad(format!("the first line is not {ROTATION_HEADER}")));
        }
        let r = Rotation {
            origin: origin.to_string(),
            root: RootHash::new(
                super::checkpoint::parse_decimal(size)
                    .ok_or_else(|| bad(format!("{size:?} is not a tree size")))?,
                Hash::from_base64(root).map_err(|e| bad(format!("root: {e}")))?,
            ),
            old: VerifierKey::parse(old)?,
            new: VerifierKey::parse(new)?,
        };
        r.check()?;
        Ok(r)
    }

    fn check(&self) -> Result<(), NoteError> {
        if self.old.name() != self.origin || self.new.name() != self.origin {
            return Err(bad("both keys must be named by the log's origin"));
        }
        if self.old == self.new || self.old.key() == self.new.key() {
            return Err(bad("the new key is the old key"));
        }
        Ok(())
    }
}

/// A rotation note with both signatures checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedRotation {
    rotation: Rotation,
    note: Note,
}

impl SignedRotation {
    /// Signs the hand-over with the old key and the new.
    pub fn sign(rotation: Rotation, old: &dyn Signer, new: &dyn Signer) -> Result<Self, NoteError> {
        rotation.check()?;
        if old.public_key() != &rotation.old || new.public_key() != &rotation.new {
            return Err(bad("signed by other keys than the ones it names"));
        }
        let mut note = Note::new(&rotation.to_text())?;
        note.sign(old)?;
        note.sign(new)?;
        Ok(SignedRotation { rotation, note })
    }

    /// Parses the note and checks both signatures with the keys it names
    /// (so it proves only that both keys agreed: whoever trusts the old
    /// key learns the new one from it).
    pub fn open(bytes: &[u8]) -> Result<Self, NoteError> {
        let note = Note::parse(bytes)?;
        let rotation = Rotation::parse(note.text())?;
        for k in [&rotation.old, &rotation.new] {
            note.verify(std::slice::from_ref(k))?;
        }
        Ok(SignedRotation { rotation, note })
    }

    /// What it says.
    pub fn rotation(&self) -> &Rotation {
        &self.rotation
    }

    /// The signed note.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.note.to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::{SigType, SignerKey};

    fn rotation(old: &SignerKey, new: &SignerKey) -> Rotation {
        Rotation {
            origin: "example.org/log".into(),
            root: RootHash::new(9, Hash::from_bytes([3; 32])),
            old: old.verifier(),
            new: new.verifier(),
        }
    }

    #[test]
    fn a_rotation_needs_both_keys_and_binds_every_line() {
        let old = SignerKey::generate("example.org/log", SigType::Ed25519).unwrap();
        let new = SignerKey::generate("example.org/log", SigType::Ed25519).unwrap();
        let r = rotation(&old, &new);
        let signed = SignedRotation::sign(r.clone(), &old, &new).unwrap();
        let bytes = signed.to_bytes();
        assert_eq!(SignedRotation::open(&bytes).unwrap().rotation(), &r);
        let text = String::from_utf8(bytes.clone()).unwrap();
        let body = text.find("\n\n").unwrap();
        for at in 0..body {
            let mut b = bytes.clone();
            b[at] ^= 0x01;
            assert!(SignedRotation::open(&b).is_err(), "byte {at}");
        }
        // Only one signature: refused.
        let one = text
            .rsplit_once('\u{2014}')
            .unwrap()
            .0
            .trim_end_matches(' ');
        assert!(SignedRotation::open(one.as_bytes()).is_err());
        // Signed by keys it does not name; a key rotated to itself; another
        // log's key.
        let third = SignerKey::generate("example.org/log", SigType::Ed25519).unwrap();
        assert!(SignedRotation::sign(r.clone(), &third, &new).is_err());
        assert!(SignedRotation::sign(rotation(&old, &old), &old, &old).is_err());
        let other = SignerKey::generate("example.org/other", SigType::Ed25519).unwrap();
        assert!(SignedRotation::sign(rotation(&old, &other), &old, &other).is_err());
    }
}
