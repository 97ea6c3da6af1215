//! The text proof format of c2sp.org/tlog-proof@v1: an index, an inclusion
//! path and the checkpoint it leads to, verifiable offline.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::checkpoint::parse_decimal;
use super::{NoteError, SignedCheckpoint, VerifierKey};
use crate::merkle::{truncate_for_message, Hash, InclusionProof};

const HEADER: &str = "c2sp.org/tlog-proof@v1";
/// A proof holds at most 64 path hashes (trees of up to 2^64 leaves).
const MAX_PATH: usize = 64;

/// A parsed tlog-proof. The checkpoint is kept verbatim and only trusted after
/// [`TlogProof::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    extra: Option<Vec<u8>>,
    index: u64,
    path: Vec<Hash>,
    checkpoint: Vec<u8>,
}

fn bad(reason: impl Into<String>) -> NoteError {
    NoteError::BadProofText {
        reason: reason.into(),
    }
}

impl TlogProof {
    /// Assembles a proof from an inclusion proof and the signed checkpoint it
    /// was made against.
    pub fn new(proof: &InclusionProof, checkpoint: &SignedCheckpoint) -> Result<Self, NoteError> {
        if proof.size() != checkpoint.root().size() {
            return Err(bad(format!(
                "inclusion proof is for tree size {}, checkpoint has size {}",
                proof.size(),
                checkpoint.root().size()
            )));
        }
        Ok(TlogProof {
            extra: None,
            index: proof.index(),
            path: proof.path().to_vec(),
            checkpoint: checkpoint.to_bytes(),
        })
    }

    /// Parses the text form.
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        if bytes.len() > super::MAX_NOTE_SIZE + 8 * 1024 {
            return Err(NoteError::TooLarge {
                reason: format!("proof of {} bytes", bytes.len()),
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| bad("not valid UTF-8"))?;
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(bad(format!("first line must be {HEADER:?}")));
        }
        let mut line = lines.next().ok_or_else(|| bad("missing index line"))?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix("extra ") {
            extra = Some(
                B64.decode(b64)
                    .map_err(|_| bad("extra data is not base64"))?,
            );
            line = lines.next().ok_or_else(|| bad("missing index line"))?;
        }
        let idx = line.strip_prefix("index ").ok_or_else(|| {
            bad(format!(
                "expected \"index N\", got {:?}",
                truncate_for_message(line)
            ))
        })?;
        let index = parse_decimal(idx).ok_or_else(|| {
            bad(format!(
                "index {:?} is not a decimal number",
                truncate_for_message(idx)
            ))
        })?;
        let mut path = Vec::new();
        for (n, l) in lines.enumerate() {
            if path.len() == MAX_PATH {
                return Err(bad(format!("more than {MAX_PATH} path hashes")));
            }
            path.push(Hash::from_base64(l).map_err(|e| bad(format!("path hash {}: {e}", n + 1)))?);
        }
        Ok(TlogProof {
            extra,
            index,
            path,
            checkpoint: checkpoint.as_bytes().to_vec(),
        })
    }

    /// The text form.
    pub fn to_text(&self) -> String {
        let mut s = String::from(HEADER);
        s.push('\n');
        if let Some(e) = &self.extra {
            s.push_str(&format!("extra {}\n", B64.encode(e)));
        }
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.path {
            s.push_str(&h.to_base64());
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&String::from_utf8_lossy(&self.checkpoint));
        s
    }

    /// The entry index the proof claims.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The unauthenticated extra data, if any.
    pub fn extra(&self) -> Option<&[u8]> {
        self.extra.as_deref()
    }

    /// Opens the checkpoint with the log's key and checks that `entry` is at
    /// the proof's index in that tree. Returns the verified checkpoint.
    pub fn verify(
        &self,
        entry: &[u8],
        log_key: &VerifierKey,
    ) -> Result<SignedCheckpoint, VerifyProofError> {
        let cp = SignedCheckpoint::open(&self.checkpoint, log_key)?;
        let proof = InclusionProof::new(self.index, cp.root().size(), self.path.clone());
        proof.verify(&crate::merkle::leaf_hash(entry), cp.root())?;
        Ok(cp)
    }
}

/// Why a tlog-proof did not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyProofError {
    /// The checkpoint is malformed or not signed by the log.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] NoteError),
    /// The inclusion path does not verify.
    #[error("inclusion: {0}")]
    Inclusion(#[from] crate::merkle::MerkleError),
}

impl VerifyProofError {}

impl crate::class::Classify for VerifyProofError {
    fn class(&self) -> crate::class::Class {
        match self {
            VerifyProofError::Checkpoint(e) => e.class(),
            VerifyProofError::Inclusion(e) => e.class(),
        }
    }
}
