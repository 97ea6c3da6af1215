//! The log side of c2sp.org/tlog-witness over HTTP: send an `add-checkpoint`
//! request to a witness's URL, follow a `409` to the size it names, attach
//! the cosignature. A blocking client (ureq): the CLI's, and the log
//! service's (on a blocking thread).

use std::time::Duration;

use super::{request_for, AddCheckpoint, Cosigned, RoundError};
use crate::note::VerifierKey;

/// What a witness answered, other than a cosignature.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The witness could not be reached, or its answer not read (the
    /// error names the URL and what to try).
    #[error("witness: {0}")]
    Net(#[from] crate::remote::NetError),
    /// `409`: the witness last cosigned another size (its body names it).
    #[error("409 Conflict: the witness last cosigned size {size}")]
    Conflict {
        /// That size.
        size: u64,
    },
    /// Any other refusal, with the witness's status and message.
    #[error("{status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The body, as text (cut to 1,000 characters).
        message: String,
    },
}

/// How long one request to a witness may take, connection to last byte:
/// a round is at most two requests (the first and the one `409` follow-up),
/// so a witness holds up a log for at most twice this.
pub const WITNESS_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends one `add-checkpoint` request to the witness at `base` (its URL
/// prefix; `/add-checkpoint` is appended) and returns its cosignature lines.
/// Gives up after `WITNESS_REQUEST_TIMEOUT` (10 s).
pub fn add_checkpoint_remote(base: &str, req: &AddCheckpoint) -> Result<Vec<u8>, RemoteError> {
    let url = format!("{}/add-checkpoint", base.trim_end_matches('/'));
    crate::remote::check_url(base)?;
    let failed = |e: ureq::Error| {
        RemoteError::Net(crate::remote::classify(&url, e, WITNESS_REQUEST_TIMEOUT))
    };
    let mut resp = crate::remote::agent(WITNESS_REQUEST_TIMEOUT)?
        .post(&url)
        .header("Content-Type", "text/plain; charset=utf-8")
        .send(&req.to_bytes()[..])
        .map_err(failed)?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_vec()
        .map_err(failed)?;
    let text = String::from_utf8_lossy(&body);
    match status {
        200 => Ok(body),
        409 => match text.trim().parse::<u64>() {
            Ok(size) => Err(RemoteError::Conflict { size }),
            Err(_) => Err(RemoteError::Refused {
                status,
                message: format!("a 409 whose body is not a size: {}", cut(&text)),
            }),
        },
        _ => Err(RemoteError::Refused {
            status,
            message: cut(text.trim()),
        }),
    }
}

fn cut(s: &str) -> String {
    s.chars().take(1000).collect()
}

/// One witness round over HTTP: asks the witness at `url` to cosign the
/// ledger's checkpoint (from size 0, then from the size a `409` names) and
/// attaches its answer, checked against `witness`'s key.
pub fn cosign_ledger_remote(
    url: &str,
    witness: &VerifierKey,
    ledger: &crate::ledger::Ledger,
) -> Result<Cosigned, RoundError> {
    let (answer, cosigned) = ask_witness(url, witness, &ledger.snapshot()?)?;
    ledger.attach_cosignatures(witness, &answer)?;
    Ok(cosigned)
}

/// The round of [`cosign_ledger_remote`] without the attachment: the
/// witness's answer (its cosignature lines) for the ledger's checkpoint,
/// for a caller that holds the ledger's writer.
///
/// c2sp.org/tlog-witness needs one follow-up: the first request assumes
/// the witness has seen nothing of the log (size 0); a `409` names the
/// size it last cosigned, and the second request proves consistency from
/// there. A second `409` means the witness's state moved between two
/// requests (another log instance, or a witness that misbehaves): the
/// round fails ([`RoundError::Unsettled`]) instead of chasing it.
pub fn ask_witness(
    url: &str,
    witness: &VerifierKey,
    l: &crate::store::Snapshot,
) -> Result<(Vec<u8>, Cosigned), RoundError> {
    let origin = l.checkpoint().checkpoint().origin().to_string();
    let size = l.checkpoint().root().size();
    let mut old = 0;
    let mut follow_up = None;
    let answer = loop {
        match add_checkpoint_remote(url, &request_for(l, old)?) {
            Ok(a) => break a,
            Err(RemoteError::Conflict { size: s }) if s > size => {
                return Err(RoundError::Behind {
                    origin,
                    cosigned: s,
                    size,
                })
            }
            Err(RemoteError::Conflict { size: s }) if follow_up.is_none() && s != old => {
                follow_up = Some(s);
                old = s;
            }
            Err(RemoteError::Conflict { size: s }) => {
                return Err(RoundError::Unsettled {
                    url: url.to_string(),
                    first: follow_up.unwrap_or(old),
                    then: s,
                })
            }
            Err(e) => return Err(RoundError::Remote(e)),
        }
    };
    Ok((
        answer,
        Cosigned {
            witness: witness.name().to_string(),
            origin,
            size,
            old,
        },
    ))
}
