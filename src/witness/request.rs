//! The body of a c2sp.org/tlog-witness `add-checkpoint` request: an old size
//! line, up to 63 consistency proof lines, an empty line, the checkpoint.
//!
//! ```text
//! old 20852014
//! PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
//!
//! example.com/behind-the-sofa
//! 20852163
//! CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
//!
//! — example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5…
//! ```

use crate::merkle::Hash;
use crate::note::MAX_NOTE_SIZE;

/// Most consistency proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;

/// Largest request body accepted.
pub const MAX_REQUEST_SIZE: usize = MAX_NOTE_SIZE + 64 * (MAX_PROOF_LINES + 1);

/// An `add-checkpoint` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the checkpoint the client believes the witness last cosigned.
    pub old: u64,
    /// Consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint, verbatim.
    pub checkpoint: Vec<u8>,
}

impl AddCheckpoint {
    /// Encodes the request body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("old {}\n", self.old).into_bytes();
        for h in &self.proof {
            out.extend_from_slice(h.to_base64().as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(&self.checkpoint);
        out
    }

    /// Parses a request body; errors say what is wrong (a 400 answer).
    pub fn parse(bytes: &[u8]) -> Result<Self, super::WitnessError> {
        Self::parse_inner(bytes).map_err(super::WitnessError::BadRequest)
    }

    fn parse_inner(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() > MAX_REQUEST_SIZE {
            return Err("request too large".into());
        }
        let mut rest = bytes;
        let mut line = || -> Result<&[u8], String> {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .ok_or("a line does not end with a newline")?;
            let (l, r) = rest.split_at(end);
            rest = &r[1..];
            Ok(l)
        };
        let first = line()?;
        let old = first
            .strip_prefix(b"old ")
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(crate::note::parse_decimal)
            .ok_or("the first line must be `old <size>` (decimal, no leading zeros)")?;
        let mut proof = Vec::new();
        loop {
            let l = line()?;
            if l.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(format!(
                    "more than {MAX_PROOF_LINES} consistency proof lines"
                ));
            }
            let text = std::str::from_utf8(l).map_err(|_| "a proof line is not text")?;
            proof.push(
                Hash::from_base64(text)
                    .map_err(|e| format!("proof line {}: {e}", proof.len() + 1))?,
            );
        }
        Ok(AddCheckpoint {
            old,
            proof,
            checkpoint: rest.to_vec(),
        })
    }
}
