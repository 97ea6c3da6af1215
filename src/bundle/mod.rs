//! Evidence bundles (formats.md §6): a commitment to a directory of files,
//! never the files. Each file becomes an item (relative path, size, SHA-256,
//! BLAKE3, a random 16-byte salt); the bundle root is the RFC 9162 root over
//! `SHA-256(0x00 ‖ deterministic CBOR of the item)` in path order. The
//! manifest is the items as a CBOR sequence (RFC 8742), one item after another.
//!
//! This is the straightforward sealer: one file at a time, read once, both
//! hashes fed from the same buffer. Streaming manifests, parallel hashing and
//! selective disclosure come with the evidence-at-disk-speed work.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cbor;
use crate::merkle::{root_from_leaf_hashes, Hash};

/// One file of a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Path relative to the bundle directory, `/`-separated, normalised.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content.
    #[serde(with = "serde_bytes")]
    pub sha256: Vec<u8>,
    /// BLAKE3 of the content.
    #[serde(with = "serde_bytes")]
    pub blake3: Vec<u8>,
    /// Random salt, so that an item's leaf reveals nothing guessable.
    #[serde(with = "serde_bytes")]
    pub salt: Vec<u8>,
}

impl Item {
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

/// Lists regular files under `dir` as (relative path, full path), sorted by
/// the relative path's bytes; refuses symlinks, devices and odd names.
fn list(dir: &Path) -> Result<Vec<(String, PathBuf)>, BundleError> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), dir.to_path_buf())];
    while let Some((prefix, path)) = stack.pop() {
        for entry in std::fs::read_dir(&path).map_err(io(&path))? {
            let entry = entry.map_err(io(&path))?;
            let full = entry.path();
            let name = entry.file_name();
            let name = name
                .to_str()
                .filter(|n| !n.contains('\\') && !n.chars().any(char::is_control))
                .ok_or_else(|| BundleError::BadName { path: full.clone() })?;
            let rel = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            let ft = entry.file_type().map_err(io(&full))?;
            if ft.is_symlink() {
                return Err(BundleError::NotAFile {
                    path: full,
                    what: "symbolic links",
                });
            } else if ft.is_dir() {
                stack.push((rel, full));
            } else if ft.is_file() {
                out.push((rel, full));
            } else {
                return Err(BundleError::NotAFile {
                    path: full,
                    what: "devices, sockets and pipes",
                });
            }
        }
    }
    out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(out)
}

/// Hashes one file with SHA-256 and BLAKE3 in one read pass, checking that
/// it did not change meanwhile.
fn hash_file(path: &Path) -> Result<(u64, [u8; 32], [u8; 32]), BundleError> {
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let before = f.metadata().map_err(io(path))?;
    let mut sha = Sha256::new();
    let mut b3 = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        b3.update(&buf[..n]);
        size += n as u64;
    }
    let after = std::fs::metadata(path).map_err(io(path))?;
    if size != before.len()
        || after.len() != size
        || after.modified().ok() != before.modified().ok()
    {
        return Err(BundleError::Changed {
            path: path.to_path_buf(),
        });
    }
    Ok((size, sha.finalize().into(), *b3.finalize().as_bytes()))
}

/// Seals the files under `dir`: writes the manifest to `manifest` (which
/// must not exist) and returns the commitment.
pub fn seal_dir(dir: &Path, manifest: &Path) -> Result<Sealed, BundleError> {
    let files = list(dir)?;
    if files.is_empty() {
        return Err(BundleError::Empty(dir.to_path_buf()));
    }
    let mut bytes = Vec::new();
    let mut leaves = Vec::with_capacity(files.len());
    for (rel, full) in files {
        let (size, sha256, blake3) = hash_file(&full)?;
        let mut salt = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut salt);
        let item = Item {
            path: rel,
            size,
            sha256: sha256.to_vec(),
            blake3: blake3.to_vec(),
            salt: salt.to_vec(),
        };
        let enc = cbor::to_vec(&item).map_err(|e| BundleError::Manifest(e.to_string()))?;
        leaves.push(crate::merkle::leaf_hash(&enc));
        bytes.extend_from_slice(&enc);
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(manifest)
        .map_err(io(manifest))?;
    std::io::Write::write_all(&mut f, &bytes).map_err(io(manifest))?;
    f.sync_all().map_err(io(manifest))?;
    Ok(Sealed {
        root: root_from_leaf_hashes(&leaves),
        items: leaves.len() as u64,
        manifest_sha256: Sha256::digest(&bytes).into(),
    })
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
        items.push(item);
        rest = &rest[used..];
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_commits_to_every_file_and_the_manifest() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("evidence");
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        std::fs::write(dir.join("b.txt"), b"bee").unwrap();
        std::fs::write(dir.join("a.txt"), b"ay").unwrap();
        std::fs::write(dir.join("logs/reset-1.log"), b"reset ok").unwrap();
        let m = d.path().join("manifest.cbor");
        let sealed = seal_dir(&dir, &m).unwrap();
        assert_eq!(sealed.items, 3);
        let bytes = std::fs::read(&m).unwrap();
        assert_eq!(
            sealed.manifest_sha256,
            <[u8; 32]>::from(Sha256::digest(&bytes))
        );
        let items = read_manifest(&bytes).unwrap();
        let paths: Vec<&str> = items.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["a.txt", "b.txt", "logs/reset-1.log"]);
        assert_eq!(items[1].sha256, Sha256::digest(b"bee").to_vec());
        assert_eq!(items[1].blake3, blake3::hash(b"bee").as_bytes().to_vec());
        let leaves: Vec<Hash> = items.iter().map(|i| i.leaf().unwrap()).collect();
        assert_eq!(root_from_leaf_hashes(&leaves), sealed.root);
        // Salts differ, so sealing again gives another root.
        let again = seal_dir(&dir, &d.path().join("m2")).unwrap();
        assert_ne!(again.root, sealed.root);
        // Refusals: existing manifest, symlinks, empty directories.
        assert!(seal_dir(&dir, &m).is_err());
        std::os::unix::fs::symlink(dir.join("a.txt"), dir.join("link")).unwrap();
        assert!(matches!(
            seal_dir(&dir, &d.path().join("m3")),
            Err(BundleError::NotAFile { .. })
        ));
        let empty = d.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(matches!(
            seal_dir(&empty, &d.path().join("m4")),
            Err(BundleError::Empty(_))
        ));
        assert!(read_manifest(&[0x18]).is_err());
        // A tagged path decodes to the same item through serde, but is not
        // the item's canonical encoding.
        let mut v = ciborium::Value::serialized(&items[0]).unwrap();
        if let ciborium::Value::Map(m) = &mut v {
            for (k, val) in m.iter_mut() {
                if k.as_text() == Some("path") {
                    *val = ciborium::Value::Tag(32, Box::new(val.clone()));
                }
            }
        }
        let tagged = cbor::encode(&v).unwrap();
        assert!(read_manifest(&tagged)
            .unwrap_err()
            .to_string()
            .contains("canonical"));
    }
}
