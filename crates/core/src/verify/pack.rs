//! Evidence packs: one self-contained CBOR file holding the statements a
//! question rests on, each with a receipt against one common checkpoint, and
//! that checkpoint (with any witness cosignatures).
//!
//! ```cddl
//! pack = {
//!   "type": "triage-ledger/pack@1",
//!   "checkpoint": bstr,            ; the signed checkpoint note, verbatim
//!   "statements": [+ bstr],        ; transparent statements, in log order
//!   ? "consistency": {             ; added by `pack --since OLD`
//!     "size": uint,                ; OLD's tree size
//!     "root": bstr .size 32,       ; this log's root at that size
//!     "proof": [* bstr .size 32],  ; RFC 9162 consistency proof size → checkpoint
//!   },
//!   ? "history": pack-history,     ; the committed index (FORMATS.md §18)
//!   ? "frozen": bstr, ? "predecessor": bstr, ? "rotations": [+ bstr],  ; FORMATS §28
//!   ? "timestamps": [+ {           ; RFC 3161 tokens over earlier checkpoints (FORMATS §29)
//!     "checkpoint": bstr,          ; the stamped checkpoint's body (origin, size, root)
//!     "token": bstr,               ; the TimeStampToken (DER ContentInfo)
//!     "proof": [* bstr .size 32],  ; RFC 9162 consistency proof from it to the checkpoint
//!   }],
//! }
//! ```

use ciborium::Value;

use crate::cbor::{self, CborError};
use crate::merkle::{Hash, RootHash};

use super::history::PackHistory;

/// The pack format's type string.
pub const PACK_TYPE: &str = "triage-ledger/pack@1";
/// Largest pack accepted.
pub const MAX_PACK_SIZE: usize = 16 << 20;

/// A decoded (not yet verified) pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pack {
    /// The checkpoint note bytes.
    pub checkpoint: Vec<u8>,
    /// Transparent statements, in log order.
    pub statements: Vec<Vec<u8>>,
    /// A consistency proof from an older tree to the checkpoint's.
    pub consistency: Option<PackConsistency>,
    /// The log's committed index for the pack's facilities.
    pub history: Option<PackHistory>,
    /// The log's freeze note, if it was frozen when the pack was made
    /// (FORMATS §28).
    pub frozen: Option<Vec<u8>>,
    /// The log's note naming its predecessor, if it names one.
    pub predecessor: Option<Vec<u8>>,
    /// The log key's rotation notes, oldest first (FORMATS §28).
    pub rotations: Vec<Vec<u8>>,
    /// RFC 3161 tokens over checkpoints of this log up to the pack's, each
    /// with the proof that the pack's tree extends it (FORMATS §29).
    pub timestamps: Vec<PackTimestamp>,
}

/// A TSA's token over a checkpoint of the pack's log, and the proof that
/// the pack's checkpoint extends that checkpoint's tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackTimestamp {
    /// The stamped checkpoint's body (the note text before its signatures).
    pub checkpoint: Vec<u8>,
    /// The RFC 3161 `TimeStampToken` (DER).
    pub token: Vec<u8>,
    /// Consistency proof from the stamped tree to the pack's.
    pub proof: Vec<Hash>,
}

/// The pack's claim that its log extends an older tree: this log's root at
/// the older size and the RFC 9162 proof from there to the checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackConsistency {
    /// The older tree, as this log has it.
    pub from: RootHash,
    /// Proof hashes from `from` to the checkpoint's tree.
    pub proof: Vec<Hash>,
}

/// Why a pack could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PackError {
    /// Not deterministic CBOR.
    #[error("pack: {0}")]
    Cbor(#[from] CborError),
    /// Not the pack structure.
    #[error("pack: {0}")]
    Structure(String),
}

impl Pack {
    /// Encodes the pack (deterministic CBOR).
    pub fn to_bytes(&self) -> Result<Vec<u8>, PackError> {
        let mut map = vec![
            (Value::Text("type".into()), Value::Text(PACK_TYPE.into())),
            (
                Value::Text("checkpoint".into()),
                Value::Bytes(self.checkpoint.clone()),
            ),
            (
                Value::Text("statements".into()),
                Value::Array(self.statements.iter().cloned().map(Value::Bytes).collect()),
            ),
        ];
        if let Some(c) = &self.consistency {
            map.push((
                Value::Text("consistency".into()),
                Value::Map(vec![
                    (
                        Value::Text("size".into()),
                        Value::Integer(c.from.size().into()),
                    ),
                    (
                        Value::Text("root".into()),
                        Value::Bytes(c.from.hash().as_bytes().to_vec()),
                    ),
                    (
                        Value::Text("proof".into()),
                        Value::Array(
                            c.proof
                                .iter()
                                .map(|h| Value::Bytes(h.as_bytes().to_vec()))
                                .collect(),
                        ),
                    ),
                ]),
            ));
        }
        if let Some(h) = &self.history {
            map.push((Value::Text("history".into()), h.to_value()));
        }
        if let Some(f) = &self.frozen {
            map.push((Value::Text("frozen".into()), Value::Bytes(f.clone())));
        }
        if let Some(p) = &self.predecessor {
            map.push((Value::Text("predecessor".into()), Value::Bytes(p.clone())));
        }
        if !self.rotations.is_empty() {
            map.push((
                Value::Text("rotations".into()),
                Value::Array(self.rotations.iter().cloned().map(Value::Bytes).collect()),
            ));
        }
        if !self.timestamps.is_empty() {
            let items = self
                .timestamps
                .iter()
                .map(|t| {
                    Value::Map(vec![
                        (
                            Value::Text("checkpoint".into()),
                            Value::Bytes(t.checkpoint.clone()),
                        ),
                        (Value::Text("token".into()), Value::Bytes(t.token.clone())),
                        (
                            Value::Text("proof".into()),
                            Value::Array(
                                t.proof
                                    .iter()
                                    .map(|h| Value::Bytes(h.as_bytes().to_vec()))
                                    .collect(),
                            ),
                        ),
                    ])
                })
                .collect();
            map.push((Value::Text("timestamps".into()), Value::Array(items)));
        }
        let bytes = cbor::encode(&Value::Map(map))?;
        if bytes.len() > MAX_PACK_SIZE {
            return Err(PackError::Structure(format!(
                "{} bytes, larger than the {MAX_PACK_SIZE}-byte limit: select fewer entries",
                bytes.len()
            )));
        }
        Ok(bytes)
    }

    /// Decodes a pack, refusing anything but the exact structure.
    pub fn parse(bytes: &[u8]) -> Result<Pack, PackError> {
        let bad = |m: &str| PackError::Structure(m.to_string());
        if bytes.len() > MAX_PACK_SIZE {
            return Err(bad(&format!(
                "{} bytes, larger than the {MAX_PACK_SIZE}-byte limit",
                bytes.len()
            )));
        }
        let Value::Map(mut m) = cbor::decode_with_limit(bytes, MAX_PACK_SIZE)? else {
            return Err(bad("not a map"));
        };
        let get = |k: &str| crate::cbor::get(&m, k);
        let consistency = match get("consistency") {
            None => None,
            Some(v) => Some(parse_consistency(v).map_err(|e| bad(&format!("consistency: {e}")))?),
        };
        let history = match get("history") {
            None => None,
            Some(v) => Some(PackHistory::from_value(v).map_err(|e| bad(&format!("history: {e}")))?),
        };
        let note = |k: &str| match get(k) {
            None => Ok(None),
            Some(Value::Bytes(b)) if b.len() <= MAX_NOTE_SIZE => Ok(Some(b.clone())),
            Some(_) => Err(bad(&format!(
                "{k} must be a signed note of at most {MAX_NOTE_SIZE} bytes"
            ))),
        };
        let frozen = note("frozen")?;
        let predecessor = note("predecessor")?;
        let rotations = match get("rotations") {
            None => Vec::new(),
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_ROTATIONS => items
                .iter()
                .map(|v| match v {
                    Value::Bytes(b) if b.len() <= MAX_NOTE_SIZE => Ok(b.clone()),
                    _ => Err(bad("rotations must be signed notes")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => {
                return Err(bad(&format!(
                    "rotations must be a non-empty array of at most {MAX_ROTATIONS} notes"
                )))
            }
        };
        let timestamps = match get("timestamps") {
            None => Vec::new(),
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_TIMESTAMPS => {
                items
                    .iter()
                    .map(parse_timestamp)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| bad(&format!("timestamps: {e}")))?
            }
            Some(_) => {
                return Err(bad(&format!(
                    "timestamps must be a non-empty array of at most {MAX_TIMESTAMPS} items"
                )))
            }
        };
        let optional = [
            !timestamps.is_empty(),
            consistency.is_some(),
            history.is_some(),
            frozen.is_some(),
            predecessor.is_some(),
            !rotations.is_empty(),
        ];
        if m.len() != 3 + optional.iter().filter(|&&b| b).count() {
            return Err(bad(
                "expected exactly the keys type, checkpoint, statements (and consistency, history, frozen, predecessor, rotations, timestamps)",
            ));
        }
        if get("type").and_then(|v| v.as_text()) != Some(PACK_TYPE) {
            return Err(bad(&format!("type is not {PACK_TYPE:?}")));
        }
        let checkpoint = get("checkpoint")
            .and_then(|v| v.as_bytes())
            .ok_or_else(|| bad("no checkpoint byte string"))?
            .clone();
        // Moved out of the decoded map, not copied: they are most of a pack.
        let statements = match m
            .iter_mut()
            .find(|(k, _)| k.as_text() == Some("statements"))
            .map(|(_, v)| std::mem::replace(v, Value::Null))
        {
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::Bytes(b) => Ok(b),
                    _ => Err(bad("statements must be byte strings")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(bad("no statements array")),
        };
        if statements.is_empty() && history.is_none() {
            return Err(bad("no statements"));
        }
        Ok(Pack {
            checkpoint,
            statements,
            consistency,
            history,
            frozen,
            predecessor,
            rotations,
            timestamps,
        })
    }
}

/// Most time-stamp tokens a pack carries.
const MAX_TIMESTAMPS: usize = 256;

/// Largest stamped checkpoint body.
const MAX_BODY_SIZE: usize = 1024;

fn parse_timestamp(v: &Value) -> Result<PackTimestamp, String> {
    let Value::Map(m) = v else {
        return Err("an item is not a map".into());
    };
    if m.len() != 3 {
        return Err("expected exactly the keys checkpoint, token, proof".into());
    }
    let get = |k: &str| crate::cbor::get(m, k);
    let bytes = |k: &str, max: usize| match get(k) {
        Some(Value::Bytes(b)) if b.len() <= max => Ok(b.clone()),
        _ => Err(format!("{k} must be a byte string of at most {max} bytes")),
    };
    let proof = get("proof")
        .and_then(|v| v.as_array())
        .ok_or("no proof array")?;
    if proof.len() > 128 {
        return Err("a consistency proof has at most 128 hashes".into());
    }
    Ok(PackTimestamp {
        checkpoint: bytes("checkpoint", MAX_BODY_SIZE)?,
        token: bytes("token", crate::tsa::MAX_TOKEN_SIZE)?,
        proof: proof
            .iter()
            .map(|h| {
                h.as_bytes()
                    .ok_or_else(|| "hashes must be byte strings".to_string())
                    .and_then(|b| Hash::from_slice(b).map_err(|e| e.to_string()))
            })
            .collect::<Result<_, _>>()?,
    })
}

/// Largest freeze, predecessor or rotation note a pack carries.
const MAX_NOTE_SIZE: usize = 4096;

/// Most rotation notes a pack carries.
const MAX_ROTATIONS: usize = 256;

fn parse_consistency(v: &Value) -> Result<PackConsistency, String> {
    let Value::Map(m) = v else {
        return Err("not a map".into());
    };
    let get = |k: &str| crate::cbor::get(m, k);
    if m.len() != 3 {
        return Err("expected exactly the keys size, root, proof".into());
    }
    let size = get("size")
        .and_then(|v| v.as_integer())
        .and_then(|i| u64::try_from(i).ok())
        .ok_or("no size")?;
    let hash = |v: &Value| {
        v.as_bytes()
            .ok_or_else(|| "hashes must be byte strings".to_string())
            .and_then(|b| Hash::from_slice(b).map_err(|e| e.to_string()))
    };
    let root = hash(get("root").ok_or("no root")?)?;
    let proof = get("proof")
        .and_then(|v| v.as_array())
        .ok_or("no proof array")?;
    if proof.len() > 128 {
        return Err("a consistency proof has at most 128 hashes".into());
    }
    Ok(PackConsistency {
        from: RootHash::new(size, root),
        proof: proof.iter().map(hash).collect::<Result<_, _>>()?,
    })
}
