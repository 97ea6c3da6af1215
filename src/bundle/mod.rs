//! Evidence bundles (formats.md §6): a commitment to a directory of files,
//! never the files. Each file becomes an item (relative path, size, SHA-256,
//! BLAKE3, a random 16-byte salt); the bundle root is the RFC 9162 root over
//! `SHA-256(0x00 ‖ deterministic CBOR of the item)` in path order. The
//! manifest is the items as a CBOR sequence (RFC 8742), one item after another.
//!
//! Sealing streams: the directory is walked in manifest order one listing
//! at a time (`walk`), files are hashed at disk speed on every core
//! (`hash`), and the manifest and root are produced as the items come
//! (`manifest`); memory does not grow with the number of files.

mod check;
mod disclose;
mod hash;
mod manifest;
mod walk;

pub use check::{check_dir, BundleCheck, Finding};
pub use disclose::{
    check_disclosure, check_files, disclose, Disclosure, Opened, DISCLOSURE_TYPE, MAX_DISCLOSURE,
};
pub use hash::{bytes_hashed, hash_file, FileHash, LARGE_FILE};
pub use manifest::{set_aside_path, ManifestReader, ManifestWriter, SetAside, MAX_ITEM};
pub use walk::{Entry, Walk};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cbor;
use crate::merkle::Hash;

/// One file of a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Path relative to the bundle directory, `/`-separated, normalised.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: Hash,
    /// BLAKE3 of the content (32 bytes, held in the same digest type).
    pub blake3: Hash,
    /// Random salt, so that an item's leaf reveals nothing guessable.
    #[serde(with = "serde_bytes")]
    pub salt: Vec<u8>,
}

impl Item {
    /// Checks the item's shape: a normalised relative path (`/`-separated,
    /// no empty, `.` or `..` components, no `\\` or control characters),
    /// and a 16-byte salt (the digests are [`struct@Hash`]es: 32 bytes by type).
    pub fn validate(&self) -> Result<(), String> {
        let p = &self.path;
        if p.is_empty()
            || p.split('/').any(|c| c.is_empty() || c == "." || c == "..")
            || p.contains('\\')
            || p.chars().any(char::is_control)
        {
            return Err(format!("path {p:?} is not a normalised relative path"));
        }
        if self.salt.len() != 16 {
            return Err(format!("{p:?}: the salt must be 16 bytes"));
        }
        Ok(())
    }

    /// The item's leaf hash: SHA-256(0x00 ‖ CBOR(item)).
    pub fn leaf(&self) -> Result<Hash, BundleError> {
        Ok(crate::merkle::leaf_hash(
            &cbor::to_vec(self).map_err(|e| BundleError::Manifest(e.to_string()))?,
        ))
    }
}

/// A sealed bundle: what a seal statement commits to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// The items' root.
    pub root: Hash,
    /// Number of items.
    pub items: u64,
    /// SHA-256 of the manifest bytes.
    pub manifest_sha256: [u8; 32],
}

/// Why sealing failed.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Something that is not a regular file or directory.
    #[error("{path}: {what} are not sealed (only regular files and directories)")]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is.
        what: &'static str,
    },
    /// A path that cannot be represented portably.
    #[error("{path}: file names must be UTF-8 without '\\\\' or control characters")]
    BadName {
        /// The path.
        path: PathBuf,
    },
    /// The file changed while it was being hashed.
    #[error("{path}: changed while it was being hashed")]
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// A disclosure or manifest that is well-formed but not what was sealed.
    #[error("not sealed: {0}")]
    NotSealed(String),
    /// The bundle has no files.
    #[error("{0}: no files to seal")]
    Empty(PathBuf),
    /// The manifest could not be encoded.
    #[error("manifest: {0}")]
    Manifest(String),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Seals the files under `dir`: writes the manifest to `manifest` (which
/// must not exist) and returns the commitment. `progress` is called after
/// each file with the files and bytes hashed so far.
pub fn seal_dir_with(
    dir: &Path,
    manifest: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Sealed, BundleError> {
    let meta = std::fs::metadata(dir).map_err(io(dir))?;
    if !meta.is_dir() {
        return Err(BundleError::NotAFile {
            path: dir.to_path_buf(),
            what: "files (give the directory to seal)",
        });
    }
    // A manifest written inside the directory must not seal itself.
    let mut out = ManifestWriter::create(manifest)?;
    // Nor the manifest it replaces, set aside beside it.
    let skip = [
        inside(dir, manifest)?,
        inside(dir, out.tmp_path())?,
        inside(dir, &set_aside_path(manifest))?,
    ]
    .into_iter()
    .flatten()
    .collect();
    let (mut files, mut bytes) = (0u64, 0u64);
    let jobs = Walk::new(dir, skip)?.map(|e| e.map(|e| (e.rel, Some((e.full, e.size)))));
    hash::for_each_hashed(jobs, |rel, h| {
        let h = h.ok_or_else(|| BundleError::Manifest("internal: no file".into()))??;
        let mut salt = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut salt);
        out.push(&Item {
            path: rel,
            size: h.size,
            sha256: Hash::from_bytes(h.sha256),
            blake3: Hash::from_bytes(h.blake3),
            salt: salt.to_vec(),
        })?;
        files += 1;
        bytes += h.size;
        progress(files, bytes);
        Ok(())
    })?;
    if out.count() == 0 {
        return Err(BundleError::Empty(dir.to_path_buf()));
    }
    let items = out.count();
    let (root, manifest_sha256) = out.finish()?;
    Ok(Sealed {
        root: *root.hash(),
        items,
        manifest_sha256,
    })
}

/// The files and bytes a seal of `dir` will hash (a listing, no reads):
/// the total a progress line counts towards.
pub fn total_size(dir: &Path) -> Result<(u64, u64), BundleError> {
    let (mut files, mut bytes) = (0u64, 0u64);
    for e in Walk::new(dir, Vec::new())? {
        files += 1;
        bytes += e?.size;
    }
    Ok((files, bytes))
}

/// [`seal_dir_with`] without progress reports.
pub fn seal_dir(dir: &Path, manifest: &Path) -> Result<Sealed, BundleError> {
    seal_dir_with(dir, manifest, &mut |_, _| {})
}

/// If `file` would be inside `dir`, its path as the walk will see it.
pub(super) fn inside(dir: &Path, file: &Path) -> Result<Option<PathBuf>, BundleError> {
    let parent = match file.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => p.to_path_buf(),
        None => PathBuf::from("."),
    };
    let (Ok(d), Ok(p)) = (dir.canonicalize(), parent.canonicalize()) else {
        return Ok(None);
    };
    if !p.starts_with(&d) {
        return Ok(None);
    }
    let rest = p.strip_prefix(&d).unwrap_or(Path::new(""));
    let name = file.file_name().ok_or_else(|| BundleError::BadName {
        path: file.to_path_buf(),
    })?;
    Ok(Some(dir.join(rest).join(name)))
}

/// Reads a manifest (a CBOR sequence of items, each deterministic).
pub fn read_manifest(bytes: &[u8]) -> Result<Vec<Item>, BundleError> {
    let mut items = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let mut cursor = std::io::Cursor::new(rest);
        let v: ciborium::Value = ciborium::de::from_reader(&mut cursor)
            .map_err(|e| BundleError::Manifest(format!("item {}: {e}", items.len())))?;
        let used = cursor.position() as usize;
        let enc = cbor::encode(&v).map_err(|e| BundleError::Manifest(e.to_string()))?;
        if enc != rest[..used] {
            return Err(BundleError::Manifest(format!(
                "item {} is not in deterministic CBOR",
                items.len()
            )));
        }
        let item: Item = v
            .deserialized()
            .map_err(|e| BundleError::Manifest(format!("item {}: {e}", items.len())))?;
        if cbor::to_vec(&item).ok().as_deref() != Some(&rest[..used]) {
            return Err(BundleError::Manifest(format!(
                "item {} is not the canonical encoding of an item",
                items.len()
            )));
        }
        item.validate()
            .map_err(|e| BundleError::Manifest(format!("item {}: {e}", items.len())))?;
        if items
            .last()
            .is_some_and(|l: &Item| l.path.as_bytes() >= item.path.as_bytes())
        {
            return Err(BundleError::Manifest(format!(
                "item {}: {:?} is out of order",
                items.len(),
                item.path
            )));
        }
        items.push(item);
        rest = &rest[used..];
    }
    Ok(items)
}

impl crate::class::Classify for BundleError {
    fn class(&self) -> crate::class::Class {
        use crate::class::Class;
        match self {
            BundleError::Changed { .. } | BundleError::NotSealed(_) => Class::VerificationFailed,
            BundleError::Io { .. } => Class::Internal,
            BundleError::NotAFile { .. }
            | BundleError::BadName { .. }
            | BundleError::Empty(_)
            | BundleError::Manifest(_) => Class::BadInput,
        }
    }
}

#[cfg(test)]
mod tests;
