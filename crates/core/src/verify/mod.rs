//! Evidence packs and their offline verification.

mod check;
mod filed;
pub mod finding;
mod history;
mod lifecycle;
mod misbehaviour;
mod pack;
mod proves;
mod report;
mod summary;
mod time;
mod trust;

#[doc(hidden)]
pub use check::verify_pack_state_in;
pub use check::{
    verify_pack, verify_pack_state, verify_pack_with, Options, Require, WITNESSED_TIME_SKEW,
};
pub use filed::{check_filed, group_filed};
pub use finding::FINDINGS;
pub use history::{check_history, HistorySelection, PackHistory};
pub use misbehaviour::{
    verify_misbehaviour, Misbehaviour, OpenedLeaf, ProvenEntry, MISBEHAVIOUR_TYPE,
};
pub use pack::{Pack, PackConsistency, PackError, PackTimestamp, MAX_PACK_SIZE, PACK_TYPE};
pub use report::{json_string, utc, Check, Report, Scope};
pub use summary::{summarise, summarise_at, summarise_signers, Signer, Summary};
pub use trust::{Trust, TrustError, TrustFiles, TrustUsed, Windowed, TRUST_DIRS, TRUST_FILES};

/// A file given to verify: a pack, or a proof of misbehaviour, as `verify`
/// and the verifier page read it. Gives the report and, for a pack, the
/// pack and the state its statements make (for `--filed` and the facility
/// reports); a file that is neither is refused with the pack's error. The
/// file's bytes are let go once the pack is read.
pub fn verify_file(
    bytes: Vec<u8>,
    trust: &Trust,
    options: &Options,
) -> Result<(Report, Option<(Pack, crate::policy::State)>), PackError> {
    match Pack::parse(&bytes) {
        Ok(p) => {
            drop(bytes);
            let (r, state) = verify_pack_with(&p, trust, options);
            Ok((r, Some((p, state))))
        }
        Err(e) => match Misbehaviour::parse(&bytes) {
            Ok(m) => Ok((verify_misbehaviour(&m, trust), None)),
            Err(_) => Err(e),
        },
    }
}

/// The checkpoint note held by an "OLD" file given to `--since`: a pack's
/// checkpoint if the file is a pack, else the file itself (a checkpoint note
/// the verifier kept).
pub fn old_checkpoint(bytes: &[u8]) -> Vec<u8> {
    match Pack::parse(bytes) {
        Ok(p) => p.checkpoint,
        Err(_) => bytes.to_vec(),
    }
}
