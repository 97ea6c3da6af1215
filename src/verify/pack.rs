//! Evidence packs: one self-contained CBOR file holding the statements a
//! question rests on, each with a receipt against one common checkpoint, and
//! that checkpoint (with any witness cosignatures).
//!
//! ```cddl
//! pack = {
//!   "type": "triage-ledger/pack@1",
//!   "checkpoint": bstr,            ; the signed checkpoint note, verbatim
//!   "statements": [+ bstr],        ; transparent statements, in log order
//! }
//! ```

use ciborium::Value;

use crate::cbor::{self, CborError};

/// The pack format's type string.
pub const PACK_TYPE: &str = "triage-ledger/pack@1";
/// Largest pack accepted.
pub const MAX_PACK_SIZE: usize = 64 << 20;

/// A decoded (not yet verified) pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pack {
    /// The checkpoint note bytes.
    pub checkpoint: Vec<u8>,
    /// Transparent statements, in log order.
    pub statements: Vec<Vec<u8>>,
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
        Ok(cbor::encode(&Value::Map(vec![
            (Value::Text("type".into()), Value::Text(PACK_TYPE.into())),
            (
                Value::Text("checkpoint".into()),
                Value::Bytes(self.checkpoint.clone()),
            ),
            (
                Value::Text("statements".into()),
                Value::Array(self.statements.iter().cloned().map(Value::Bytes).collect()),
            ),
        ]))?)
    }

    /// Decodes a pack, refusing anything but the exact structure.
    pub fn parse(bytes: &[u8]) -> Result<Pack, PackError> {
        let bad = |m: &str| PackError::Structure(m.to_string());
        if bytes.len() > MAX_PACK_SIZE {
            return Err(bad("larger than the 64 MiB limit"));
        }
        let Value::Map(m) = cbor::decode(bytes)? else {
            return Err(bad("not a map"));
        };
        let get = |k: &str| {
            m.iter()
                .find(|(key, _)| key.as_text() == Some(k))
                .map(|(_, v)| v)
        };
        if m.len() != 3 {
            return Err(bad(
                "expected exactly the keys type, checkpoint, statements",
            ));
        }
        if get("type").and_then(|v| v.as_text()) != Some(PACK_TYPE) {
            return Err(bad(&format!("type is not {PACK_TYPE:?}")));
        }
        let checkpoint = get("checkpoint")
            .and_then(|v| v.as_bytes())
            .ok_or_else(|| bad("no checkpoint byte string"))?
            .clone();
        let statements = get("statements")
            .and_then(|v| v.as_array())
            .ok_or_else(|| bad("no statements array"))?
            .iter()
            .map(|v| {
                v.as_bytes()
                    .cloned()
                    .ok_or_else(|| bad("statements must be byte strings"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if statements.is_empty() {
            return Err(bad("no statements"));
        }
        Ok(Pack {
            checkpoint,
            statements,
        })
    }
}
