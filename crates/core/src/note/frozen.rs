//! A log's last word (issue 26): the signed note that freezes it at its
//! final tree, optionally naming its successor; and the successor's signed
//! note naming its predecessor's final tree.
//!
//! ```text
//! triage-ledger/frozen/v1          triage-ledger/predecessor/v1
//! <origin>                         <this log's origin>
//! <final tree size>                <predecessor's verifier key>
//! <final root, base64>             <its final tree size>
//! [successor <verifier key>]       <its final root, base64>
//! [reason <text>]
//! ```
//!
//! Each is a signed note (c2sp.org/signed-note) by the log key of the log
//! its second line names. The first line is not a log origin this program
//! writes, so neither note reads as a checkpoint of that log, nor a
//! checkpoint as one of them (a checkpoint's first line is its origin).

use super::{Note, NoteError, SignedCheckpoint, Signer, VerifierKey};
use crate::merkle::{Hash, RootHash};

/// First line of a freeze note.
pub const FROZEN_HEADER: &str = "triage-ledger/frozen/v1";
/// First line of a successor's note naming its predecessor.
pub const PREDECESSOR_HEADER: &str = "triage-ledger/predecessor/v1";

fn bad(reason: impl Into<String>) -> NoteError {
    NoteError::Malformed {
        reason: format!("freeze note: {}", reason.into()),
    }
}

/// A log frozen at its final tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frozen {
    /// The log's origin.
    pub origin: String,
    /// Its final tree: nothing is appended after it.
    pub root: RootHash,
    /// The log that takes its appends, if named.
    pub successor: Option<VerifierKey>,
    /// Why (one line), if given.
    pub reason: Option<String>,
}

/// A freeze note as signed by the log key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedFrozen {
    frozen: Frozen,
    note: Note,
}

fn lines(text: &str) -> Result<Vec<&str>, NoteError> {
    let body = text
        .strip_suffix('\n')
        .ok_or_else(|| bad("does not end with a newline"))?;
    Ok(body.split('\n').collect())
}

fn size_of(line: &str) -> Result<u64, NoteError> {
    super::checkpoint::parse_decimal(line)
        .ok_or_else(|| bad(format!("{line:?} is not a tree size")))
}

impl Frozen {
    /// The note text.
    pub fn to_text(&self) -> String {
        let mut t = format!(
            "{FROZEN_HEADER}\n{}\n{}\n{}\n",
            self.origin,
            self.root.size(),
            self.root.hash().to_base64()
        );
        if let Some(s) = &self.successor {
            t.push_str(&format!("successor {s}\n"));
        }
        if let Some(r) = &self.reason {
            t.push_str(&format!("reason {r}\n"));
        }
        t
    }

    /// Parses the note text.
    pub fn parse(text: &str) -> Result<Frozen, NoteError> {
        let l = lines(text)?;
        if l.first() != Some(&FROZEN_HEADER) {
            return Err(bad(format!("the first line is not {FROZEN_HEADER}")));
        }
        let [_, origin, size, root, rest @ ..] = l.as_slice() else {
            return Err(bad("expected the origin, the final size and root"));
        };
        let root = RootHash::new(
            size_of(size)?,
            Hash::from_base64(root).map_err(|e| bad(format!("root: {e}")))?,
        );
        let mut successor = None;
        let mut reason = None;
        for line in rest {
            if let Some(v) = line.strip_prefix("successor ") {
                if successor.is_some() || reason.is_some() {
                    return Err(bad("successor comes once, before the reason"));
                }
                successor = Some(VerifierKey::parse(v)?);
            } else if let Some(v) = line.strip_prefix("reason ") {
                if reason.is_some() {
                    return Err(bad("reason comes once"));
                }
                reason = Some(v.to_string());
            } else {
                return Err(bad(format!("unknown line {line:?}")));
            }
        }
        Ok(Frozen {
            origin: origin.to_string(),
            root,
            successor,
            reason,
        })
    }

    /// Why `cp`, a checkpoint of this log, shows the log signed after it
    /// was frozen (a larger tree, or another tree of the final size).
    pub fn contradicted_by(&self, cp: &SignedCheckpoint) -> Option<String> {
        let (final_size, size) = (self.root.size(), cp.root().size());
        if size > final_size {
            Some(format!(
                "the log was frozen at tree size {final_size}, but it signed a checkpoint of size {size}"
            ))
        } else if size == final_size && cp.root().hash() != self.root.hash() {
            Some(format!(
                "the log was frozen at tree size {final_size} with root {}, but it signed root {} at that size",
                self.root.hash(),
                cp.root().hash()
            ))
        } else {
            None
        }
    }
}

impl SignedFrozen {
    /// Signs `frozen` with the log key (named its origin).
    pub fn sign(frozen: Frozen, log_key: &dyn Signer) -> Result<Self, NoteError> {
        if frozen.origin != log_key.public_key().name() {
            return Err(NoteError::OriginMismatch {
                origin: frozen.origin.clone(),
                expected: log_key.public_key().name().to_string(),
            });
        }
        if frozen.reason.as_deref().is_some_and(|r| r.contains('\n')) {
            return Err(bad("the reason is one line"));
        }
        let mut note = Note::new(&frozen.to_text())?;
        note.sign(log_key)?;
        Ok(SignedFrozen { frozen, note })
    }

    /// Verifies the note with the log's key and parses it; its origin must
    /// be the key's name.
    pub fn open(bytes: &[u8], log_key: &VerifierKey) -> Result<Self, NoteError> {
        let note = Note::parse(bytes)?;
        note.verify(std::slice::from_ref(log_key))?;
        let frozen = Frozen::parse(note.text())?;
        if frozen.origin != log_key.name() {
            return Err(NoteError::OriginMismatch {
                origin: frozen.origin.clone(),
                expected: log_key.name().to_string(),
            });
        }
        Ok(SignedFrozen { frozen, note })
    }

    /// What it says.
    pub fn frozen(&self) -> &Frozen {
        &self.frozen
    }

    /// The signed note.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.note.to_bytes()
    }
}

/// A successor's signed statement of the log it continues: that log's key
/// and final tree (as its freeze note states it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Predecessor {
    /// This (the successor) log's origin.
    pub origin: String,
    /// The predecessor's verifier key.
    pub vkey: VerifierKey,
    /// The predecessor's final tree.
    pub root: RootHash,
}

impl Predecessor {
    /// The note text.
    pub fn to_text(&self) -> String {
        format!(
            "{PREDECESSOR_HEADER}\n{}\n{}\n{}\n{}\n",
            self.origin,
            self.vkey,
            self.root.size(),
            self.root.hash().to_base64()
        )
    }

    /// Parses the note text.
    pub fn parse(text: &str) -> Result<Predecessor, NoteError> {
        let l = lines(text)?;
        let [header, origin, vkey, size, root] = l.as_slice() else {
            return Err(bad("a predecessor note has five lines"));
        };
        if *header != PREDECESSOR_HEADER {
            return Err(bad(format!("the first line is not {PREDECESSOR_HEADER}")));
        }
        Ok(Predecessor {
            origin: origin.to_string(),
            vkey: VerifierKey::parse(vkey)?,
            root: RootHash::new(
                size_of(size)?,
                Hash::from_base64(root).map_err(|e| bad(format!("root: {e}")))?,
            ),
        })
    }

    /// Signs it with the successor's log key; opens it with that key.
    pub fn sign(&self, log_key: &dyn Signer) -> Result<Vec<u8>, NoteError> {
        if self.origin != log_key.public_key().name() {
            return Err(NoteError::OriginMismatch {
                origin: self.origin.clone(),
                expected: log_key.public_key().name().to_string(),
            });
        }
        let mut note = Note::new(&self.to_text())?;
        note.sign(log_key)?;
        Ok(note.to_bytes())
    }

    /// Verifies `bytes` with the successor's key and parses them.
    pub fn open(bytes: &[u8], log_key: &VerifierKey) -> Result<Predecessor, NoteError> {
        let note = Note::parse(bytes)?;
        note.verify(std::slice::from_ref(log_key))?;
        let p = Predecessor::parse(note.text())?;
        if p.origin != log_key.name() {
            return Err(NoteError::OriginMismatch {
                origin: p.origin.clone(),
                expected: log_key.name().to_string(),
            });
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::{Checkpoint, SigType, SignerKey};

    fn root(n: u64, b: u8) -> RootHash {
        RootHash::new(n, Hash::from_bytes([b; 32]))
    }

    #[test]
    fn a_freeze_note_round_trips_and_binds_every_line() {
        let log = SignerKey::generate("example.org/old", SigType::Ed25519).unwrap();
        let next = SignerKey::generate("example.org/new", SigType::Ed25519).unwrap();
        let f = Frozen {
            origin: "example.org/old".into(),
            root: root(7, 1),
            successor: Some(next.verifier()),
            reason: Some("moved to new infrastructure".into()),
        };
        let signed = SignedFrozen::sign(f.clone(), &log).unwrap();
        let bytes = signed.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with("triage-ledger/frozen/v1\nexample.org/old\n7\n"),
            "{text}"
        );
        assert_eq!(
            SignedFrozen::open(&bytes, &log.verifier())
                .unwrap()
                .frozen(),
            &f
        );
        // Another key, or any changed byte of the text: refused.
        assert!(SignedFrozen::open(&bytes, &next.verifier()).is_err());
        let body = text.find("\n\n").unwrap();
        for at in 0..body {
            let mut b = bytes.clone();
            b[at] ^= 0x01;
            assert!(
                SignedFrozen::open(&b, &log.verifier()).is_err(),
                "byte {at}"
            );
        }
        // It does not read as a checkpoint of the log, nor a checkpoint as it.
        assert!(SignedCheckpoint::open(&bytes, &log.verifier()).is_err());
        let cp = SignedCheckpoint::sign(
            Checkpoint::new("example.org/old", root(7, 1)).unwrap(),
            &log,
        )
        .unwrap();
        assert!(SignedFrozen::open(&cp.to_bytes(), &log.verifier()).is_err());
    }

    #[test]
    fn a_checkpoint_past_the_freeze_or_beside_it_contradicts_it() {
        let log = SignerKey::generate("example.org/old", SigType::Ed25519).unwrap();
        let f = Frozen {
            origin: "example.org/old".into(),
            root: root(7, 1),
            successor: None,
            reason: None,
        };
        let cp = |r| {
            SignedCheckpoint::sign(Checkpoint::new("example.org/old", r).unwrap(), &log).unwrap()
        };
        assert_eq!(f.contradicted_by(&cp(root(7, 1))), None);
        assert_eq!(f.contradicted_by(&cp(root(5, 9))), None);
        assert!(f
            .contradicted_by(&cp(root(8, 1)))
            .unwrap()
            .contains("size 8"));
        assert!(f
            .contradicted_by(&cp(root(7, 2)))
            .unwrap()
            .contains("at that size"));
    }

    #[test]
    fn a_predecessor_note_names_the_old_log_and_its_final_tree() {
        let old = SignerKey::generate("example.org/old", SigType::Ed25519).unwrap();
        let new = SignerKey::generate("example.org/new", SigType::Ed25519).unwrap();
        let p = Predecessor {
            origin: "example.org/new".into(),
            vkey: old.verifier(),
            root: root(7, 1),
        };
        let bytes = p.sign(&new).unwrap();
        assert_eq!(Predecessor::open(&bytes, &new.verifier()).unwrap(), p);
        assert!(Predecessor::open(&bytes, &old.verifier()).is_err());
        assert!(p.sign(&old).is_err(), "signed by the log it names");
    }
}
