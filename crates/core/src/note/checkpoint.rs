//! Checkpoints (c2sp.org/tlog-checkpoint): `<origin>\n<size>\n<base64 root>\n`
//! then optional extension lines, signed as a note by the log.

use super::{Note, NoteError, Signer, VerifierKey};
use crate::merkle::{truncate_for_message, Hash, RootHash};

/// The body of a checkpoint: origin, tree size, root hash, extension lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    root: RootHash,
    extensions: Vec<String>,
}

fn bad(reason: impl Into<String>) -> NoteError {
    NoteError::BadCheckpoint {
        reason: reason.into(),
    }
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, root: RootHash) -> Result<Self, NoteError> {
        super::validate_key_name(origin)?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            root,
            extensions: Vec::new(),
        })
    }

    /// Parses a checkpoint body (the note text, ending in a newline).
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("does not end with a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| bad("empty origin line"))?;
        let size_line = lines.next().ok_or_else(|| bad("missing tree size line"))?;
        let size = parse_decimal(size_line).ok_or_else(|| {
            bad(format!(
                "tree size {:?} is not a decimal number without leading zeros",
                truncate_for_message(size_line)
            ))
        })?;
        let hash_line = lines.next().ok_or_else(|| bad("missing root hash line"))?;
        let hash = Hash::from_base64(hash_line).map_err(|e| bad(format!("root hash: {e}")))?;
        let mut extensions = Vec::new();
        for l in lines {
            if l.is_empty() {
                return Err(bad("empty extension line"));
            }
            extensions.push(l.to_string());
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            root: RootHash::new(size, hash),
            extensions,
        })
    }

    /// The log's origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }
    /// Tree size and root hash.
    pub fn root(&self) -> &RootHash {
        &self.root
    }
    /// Tree size.
    pub fn size(&self) -> u64 {
        self.root.size()
    }
    /// Extension lines, if any.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The body text, ending with a newline.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.root.size(),
            self.root.hash().to_base64()
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }
}

/// Parses an ASCII decimal u64 with no sign and no leading zeros.
pub fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// A checkpoint whose log signature has been verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    note: Note,
}

impl SignedCheckpoint {
    /// Verifies the note with the log's key, then parses the checkpoint and
    /// checks that its origin is the key's name.
    pub fn open(bytes: &[u8], log_key: &VerifierKey) -> Result<Self, NoteError> {
        Self::open_any(bytes, std::slice::from_ref(log_key))
    }

    /// [`SignedCheckpoint::open`] with several keys of one log (a rotation):
    /// any one of them must have signed, and the origin must be their name.
    pub fn open_any(bytes: &[u8], log_keys: &[VerifierKey]) -> Result<Self, NoteError> {
        let note = Note::parse(bytes)?;
        let signed = note.verify(log_keys)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        if let Some(k) = signed.iter().find(|k| k.name() != checkpoint.origin()) {
            return Err(NoteError::OriginMismatch {
                origin: checkpoint.origin().to_string(),
                expected: k.name().to_string(),
            });
        }
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// Signs a checkpoint with the log key (whose name must be the origin).
    pub fn sign(checkpoint: Checkpoint, log_key: &dyn Signer) -> Result<Self, NoteError> {
        if checkpoint.origin() != log_key.public_key().name() {
            return Err(NoteError::OriginMismatch {
                origin: checkpoint.origin().to_string(),
                expected: log_key.public_key().name().to_string(),
            });
        }
        let mut note = Note::new(&checkpoint.to_text())?;
        note.sign(log_key)?;
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// This checkpoint signed by `key` too (a log key's hand-over: the
    /// old key's signature and the new's on one tree). `key` must be named
    /// by the origin.
    pub fn also_signed_by(&self, key: &dyn Signer) -> Result<Self, NoteError> {
        if self.checkpoint.origin() != key.public_key().name() {
            return Err(NoteError::OriginMismatch {
                origin: self.checkpoint.origin().to_string(),
                expected: key.public_key().name().to_string(),
            });
        }
        let mut s = self.clone();
        s.note.sign(key)?;
        Ok(s)
    }

    /// The parsed body.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }
    /// The underlying note (with every signature line, cosignatures included).
    pub fn note(&self) -> &Note {
        &self.note
    }
    /// Tree size and root hash.
    pub fn root(&self) -> &RootHash {
        self.checkpoint.root()
    }
    /// Appends a cosignature line (see [`super::cosign`]).
    pub fn add_cosignature(&mut self, sig: super::NoteSignature) -> Result<(), NoteError> {
        self.note.push_signature(sig)
    }
    /// A copy with `sig` as the only line by its (name, key id): an earlier
    /// line by the same key is replaced, the others are kept.
    pub fn with_cosignature(&self, sig: super::NoteSignature) -> Result<Self, NoteError> {
        let mut note = Note::new(self.note.text())?;
        for s in self.note.signatures() {
            if s.name() != sig.name() || s.id() != sig.id() {
                note.push_signature(s.clone())?;
            }
        }
        note.push_signature(sig)?;
        Ok(SignedCheckpoint {
            checkpoint: self.checkpoint.clone(),
            note,
        })
    }
    /// The signed note, as written to `checkpoint`.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.note.to_bytes()
    }
}
