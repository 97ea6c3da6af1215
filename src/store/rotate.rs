//! A log key's hand-over on disk (issue 26, FORMATS §28): where the new
//! key is staged, where the rotation notes live, and how an interrupted
//! hand-over is finished.
//!
//! [`super::Writer::rotate`], under the writer lock:
//! 1. stages the new key: `private/log-ID.key` (a file key) or
//!    `log-key-ID.pkcs11` (a token key's URI), ID its key id;
//! 2. writes the hand-over checkpoint: the committed tree signed by the old
//!    key and the new (it opens with either);
//! 3. raises the file high-water mark to it (it opens with either key);
//! 4. writes the rotation note `log/rotations/NNNN`, signed by both;
//! 5. writes `vkey`, the new key: the commit point;
//! 6. moves the staged key to `private/log.key` or `log-key.pkcs11` and
//!    removes the old key's file.
//!
//! A crash before 4 leaves the old key in charge (a staged key is ignored,
//! and the hand-over checkpoint is just the old key's checkpoint with one
//! more signature). From 4 on, [`finish_interrupted`], run before every
//! opening of the log's signer, completes 5 and 6: the note says the old
//! key is retired, so it must never sign again.

use std::fs;
use std::path::PathBuf;

use super::{read_vkey, Layout, StoreError};
use crate::note::{SignedRotation, VerifierKey};

/// The rotation notes, oldest first (`log/rotations/NNNN`).
pub fn rotation_notes(layout: &Layout) -> Result<Vec<(PathBuf, Vec<u8>)>, StoreError> {
    let dir = layout.rotations_dir();
    let mut names = match fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()))
            .collect::<Vec<_>>(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io(&dir, e)),
    };
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let p = dir.join(n);
            fs::read(&p)
                .map(|b| (p.clone(), b))
                .map_err(|e| StoreError::io(&p, e))
        })
        .collect()
}

/// The staged file key of `vkey` (`private/log-ID.key`).
pub(crate) fn staged_file_key(layout: &Layout, vkey: &VerifierKey) -> PathBuf {
    layout.private_dir().join(format!("log-{}.key", vkey.id()))
}

/// The staged token URI of `vkey` (`log-key-ID.pkcs11`).
pub(crate) fn staged_token_uri(layout: &Layout, vkey: &VerifierKey) -> PathBuf {
    layout.root().join(format!("log-key-{}.pkcs11", vkey.id()))
}

/// Completes a hand-over a crash interrupted after its note was written
/// (steps 5 and 6): nothing if there is none. Idempotent; safe to run by
/// several processes at once (each step is an atomic rename).
pub fn finish_interrupted(layout: &Layout) -> Result<(), StoreError> {
    let Some((path, bytes)) = rotation_notes(layout)?.pop() else {
        return Ok(());
    };
    let note = SignedRotation::open(&bytes).map_err(|source| StoreError::Note {
        path: path.clone(),
        source,
    })?;
    let r = note.rotation();
    let vkey = read_vkey(layout)?;
    let (file, uri) = (
        staged_file_key(layout, &r.new),
        staged_token_uri(layout, &r.new),
    );
    if vkey == r.old && (file.exists() || uri.exists()) {
        super::write_public_file(layout, &layout.vkey(), format!("{}\n", r.new).as_bytes())?;
    } else if vkey != r.new {
        return Ok(());
    }
    install_staged(layout, &file, &uri)?;
    // Between the two steps of an install, a file key and a token URI may
    // both be there: the one that is the verifier key stays.
    if layout.log_key().exists() && layout.log_key_uri().exists() {
        let text = zeroize::Zeroizing::new(
            fs::read_to_string(layout.log_key())
                .map_err(|e| StoreError::io(&layout.log_key(), e))?,
        );
        let file_is_current = crate::note::SignerKey::parse(&text)
            .map(|k| k.verifier() == r.new)
            .unwrap_or(false);
        let stale = match file_is_current {
            true => layout.log_key_uri(),
            false => layout.log_key(),
        };
        fs::remove_file(&stale).map_err(|e| StoreError::io(&stale, e))?;
    }
    Ok(())
}

/// Step 6: the staged key becomes the ledger's key; the old key's file is
/// removed.
pub(crate) fn install_staged(
    layout: &Layout,
    file: &std::path::Path,
    uri: &std::path::Path,
) -> Result<(), StoreError> {
    let rename = |from: &std::path::Path, to: PathBuf| match fs::rename(from, &to) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::io(&to, e)),
    };
    let remove = |p: PathBuf| match fs::remove_file(&p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io(&p, e)),
    };
    if rename(file, layout.log_key())? {
        remove(layout.log_key_uri())?;
    } else if rename(uri, layout.log_key_uri())? {
        remove(layout.log_key())?;
    }
    super::fsio::sync_dir(layout.root())?;
    super::fsio::sync_dir(&layout.private_dir())
}
