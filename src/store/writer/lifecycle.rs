//! The writer's part in a log's lifecycle (issue 26, FORMATS §28):
//! freezing the log, handing its key over, and the public notes both leave.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use super::Writer;
use crate::note::{Signer, VerifierKey};
use crate::store::fsio::{self, AtomicWriter};
use crate::store::{Layout, StoreError};

impl Writer {
    /// Hands the log over to `new`, a key of the same name (FORMATS §28;
    /// the steps and their crash safety: [`crate::store::rotate`]). `keep` is
    /// where the new key lives: its private key text (a file key, staged
    /// into `private/`) or its token URI. The committed tree is signed by
    /// both keys; the rotation note, signed by both, is written to
    /// `log/rotations/`; then `vkey` names the new key, which signs every
    /// checkpoint after. The old key's file is removed. The writer signs
    /// with the new key from here on; a ledger handle holding the old
    /// signer must be opened again.
    pub fn rotate(
        &mut self,
        new: Arc<dyn Signer>,
        keep: NewKey,
    ) -> Result<crate::note::SignedRotation, StoreError> {
        use crate::store::rotate::{install_staged, staged_file_key, staged_token_uri};
        self.check_usable()?;
        self.check_not_frozen()?;
        let unsupported = |why: &str| {
            StoreError::io(
                &self.layout.rotations_dir(),
                std::io::Error::other(why.to_string()),
            )
        };
        if self.public.is_some() {
            return Err(unsupported(
                "rotating the key of a ledger whose public tree is in object storage is not supported yet",
            ));
        }
        if self.size() != self.committed.root().size() {
            return Err(unsupported(
                "entries are appended but not committed: commit first",
            ));
        }
        let (old_vkey, new_vkey) = (self.key.public_key().clone(), new.public_key().clone());
        let note_err = |source| StoreError::Note {
            path: self.layout.rotations_dir(),
            source,
        };
        let rotation = crate::note::Rotation {
            origin: old_vkey.name().to_string(),
            root: *self.committed.root(),
            old: old_vkey.clone(),
            new: new_vkey.clone(),
        };
        // Checked before anything is written: the same name, another key.
        let signed = crate::note::SignedRotation::sign(rotation, self.key.as_ref(), new.as_ref())
            .map_err(note_err)?;
        self.high_water.settle()?;
        // 1. The new key, staged.
        let (file, uri) = (
            staged_file_key(&self.layout, &new_vkey),
            staged_token_uri(&self.layout, &new_vkey),
        );
        match &keep {
            NewKey::File(text) => fsio::write_private_file(&file, text.as_bytes())?,
            NewKey::Token(u) => self.files.write(&uri, format!("{u}\n").as_bytes(), true)?,
        }
        // 2. The hand-over checkpoint: the committed tree, both signatures
        // (the witnesses' cosignatures of its body stay valid).
        let handover = self
            .committed
            .also_signed_by(new.as_ref())
            .map_err(note_err)?;
        self.write_checkpoint(handover.clone())?;
        // 3. The file mark, which opens with either key.
        let mark = self.layout.private_dir().join("log.high-water");
        if !self.layout.log_key_uri().exists() {
            self.files.write(&mark, &handover.to_bytes(), true)?;
        }
        // 4. The note: from here the old key is retired.
        let n = crate::store::rotate::rotation_notes(&self.layout)?.len() + 1;
        fs::create_dir_all(self.layout.rotations_dir())
            .map_err(|e| StoreError::io(&self.layout.rotations_dir(), e))?;
        self.files.write(
            &self.layout.rotations_dir().join(format!("{n:04}")),
            &signed.to_bytes(),
            true,
        )?;
        // 5. The commit point.
        self.files.write(
            &self.layout.vkey(),
            format!("{new_vkey}\n").as_bytes(),
            true,
        )?;
        // 6. The new key in place; the old one's file gone.
        install_staged(&self.layout, &file, &uri)?;
        self.key = new;
        self.high_water =
            crate::store::highwater::HighWater::load(&self.layout, &new_vkey, &self.key)?;
        self.high_water.raise(&handover, &mut self.files)?;
        Ok(signed)
    }

    /// Refuses work on a frozen log.
    pub(super) fn check_not_frozen(&self) -> Result<(), StoreError> {
        match &self.frozen {
            Some(f) => Err(frozen_error(&self.layout, f)),
            None => Ok(()),
        }
    }

    /// The freeze note, if the log is frozen.
    pub fn frozen(&self) -> Option<&crate::note::SignedFrozen> {
        self.frozen.as_ref()
    }

    /// Freezes the log at its committed tree: signs the freeze note (naming
    /// `successor`, the log that takes its appends, and `reason`), writes
    /// it durably to `log/frozen`, and refuses every append after. The
    /// committed checkpoint is the log's last; witnesses may still cosign
    /// it. A log whose public tree is in object storage is not frozen here
    /// (not yet supported: the bucket would need the note too).
    pub fn freeze(
        &mut self,
        successor: Option<VerifierKey>,
        reason: Option<String>,
    ) -> Result<crate::note::SignedFrozen, StoreError> {
        self.check_usable()?;
        self.check_not_frozen()?;
        if self.public.is_some() {
            return Err(StoreError::io(
                &self.layout.frozen(),
                std::io::Error::other(
                    "freezing a ledger whose public tree is in object storage is not supported yet",
                ),
            ));
        }
        if self.size() != self.committed.root().size() {
            return Err(StoreError::io(
                &self.layout.frozen(),
                std::io::Error::other("entries are appended but not committed: commit first"),
            ));
        }
        self.high_water.settle()?;
        let frozen = crate::note::Frozen {
            origin: self.key.public_key().name().to_string(),
            root: *self.committed.root(),
            successor,
            reason,
        };
        let signed =
            crate::note::SignedFrozen::sign(frozen, self.key.as_ref()).map_err(|source| {
                StoreError::Note {
                    path: self.layout.frozen(),
                    source,
                }
            })?;
        self.files
            .write(&self.layout.frozen(), &signed.to_bytes(), true)?;
        self.frozen = Some(signed.clone());
        Ok(signed)
    }
}

/// The ledger's freeze note, if it is frozen (checked with its key).
pub fn read_frozen(
    layout: &Layout,
    vkey: &VerifierKey,
) -> Result<Option<crate::note::SignedFrozen>, StoreError> {
    let path = layout.frozen();
    match fs::read(&path) {
        Ok(bytes) => crate::note::SignedFrozen::open(&bytes, vkey)
            .map(Some)
            .map_err(|source| StoreError::Note { path, source }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io(&path, e)),
    }
}

fn frozen_error(layout: &Layout, f: &crate::note::SignedFrozen) -> StoreError {
    StoreError::Frozen {
        path: layout.frozen(),
        size: f.frozen().root.size(),
        successor: f
            .frozen()
            .successor
            .as_ref()
            .map(|s| format!("; append to its successor {s}"))
            .unwrap_or_default(),
    }
}

/// This ledger's note naming its predecessor, if any (checked with its
/// key).
pub fn read_predecessor(
    layout: &Layout,
    vkey: &VerifierKey,
) -> Result<Option<crate::note::Predecessor>, StoreError> {
    let path = layout.predecessor();
    match fs::read(&path) {
        Ok(bytes) => crate::note::Predecessor::open(&bytes, vkey)
            .map(Some)
            .map_err(|source| StoreError::Note { path, source }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io(&path, e)),
    }
}

/// Writes a public file of the ledger atomically and durably.
pub fn write_public_file(layout: &Layout, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut w = AtomicWriter::new(layout.tmp_dir())?;
    w.write(path, bytes, true)
}

/// Where a rotation's new log key lives.
#[derive(Clone)]
pub enum NewKey {
    /// A key file: its private key text (signed-note form), written with
    /// mode 0600.
    File(zeroize::Zeroizing<String>),
    /// A key in a PKCS#11 token: its URI.
    Token(String),
}
