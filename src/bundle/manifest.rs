//! Manifests as streams: the items as a CBOR sequence (RFC 8742), written
//! and read one item at a time, so a million files need no more memory than
//! a thousand. The writer computes the manifest's SHA-256 and the bundle
//! root as it goes; the reader checks each item is deterministic CBOR and
//! the paths strictly increase.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{io, BundleError, Item};
use crate::cbor;
use crate::merkle::{leaf_hash, RootBuilder, RootHash};

/// Largest encoded item accepted (a path of a few KiB and three digests).
pub const MAX_ITEM: usize = 16 << 10;

/// Writes a manifest to a temporary file beside its destination; `finish`
/// syncs it and links it into place (never replacing an existing file).
pub struct ManifestWriter {
    dest: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
    sha: Sha256,
    root: RootBuilder,
    last: Option<String>,
}

impl ManifestWriter {
    /// Starts a manifest at `dest`, which must not exist.
    pub fn create(dest: &Path) -> Result<Self, BundleError> {
        if dest.symlink_metadata().is_ok() {
            return Err(io(dest)(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "already exists; a manifest is never overwritten",
            )));
        }
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "manifest".into());
        let tmp = dest.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        // Registered before it exists: an interrupt between the two would
        // otherwise leave it behind (the SIGINT test caught it under load).
        crate::output::register_temporary(&tmp);
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| {
                crate::output::forget_temporary(&tmp);
                io(&tmp)(e)
            })?;
        Ok(ManifestWriter {
            dest: dest.to_path_buf(),
            tmp,
            out: Some(BufWriter::with_capacity(1 << 20, f)),
            sha: Sha256::new(),
            root: RootBuilder::new(),
            last: None,
        })
    }

    /// Appends the next item (paths must strictly increase).
    pub fn push(&mut self, item: &Item) -> Result<(), BundleError> {
        if self
            .last
            .as_deref()
            .is_some_and(|l| l.as_bytes() >= item.path.as_bytes())
        {
            return Err(BundleError::Manifest(format!(
                "item {:?} is out of order",
                item.path
            )));
        }
        let enc = cbor::to_vec(item).map_err(|e| BundleError::Manifest(e.to_string()))?;
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| BundleError::Manifest("the manifest is already finished".into()))?;
        out.write_all(&enc).map_err(io(&self.tmp))?;
        self.sha.update(&enc);
        self.root.push(leaf_hash(&enc));
        self.last = Some(item.path.clone());
        Ok(())
    }

    /// The temporary file being written (moved into place by `finish`).
    pub fn tmp_path(&self) -> &Path {
        &self.tmp
    }

    /// Items written so far.
    pub fn count(&self) -> u64 {
        self.root.count()
    }

    /// Syncs the manifest, puts it in place; returns (root, SHA-256 of the manifest).
    pub fn finish(mut self) -> Result<(RootHash, [u8; 32]), BundleError> {
        let (dest, tmp) = (self.dest.clone(), self.tmp.clone());
        let out = self
            .out
            .take()
            .ok_or_else(|| BundleError::Manifest("the manifest is already finished".into()))?;
        let f = out.into_inner().map_err(|e| io(&tmp)(e.into_error()))?;
        f.sync_all().map_err(io(&tmp))?;
        drop(f);
        // Never replaces an existing file (a hard link, else a rename
        // without replacing).
        let linked = crate::os::publish_noreplace(&tmp, &dest).map_err(io(&dest));
        let _ = std::fs::remove_file(&tmp);
        linked?;
        sync_parent(&dest)?;
        Ok((self.root.root(), self.sha.clone().finalize().into()))
    }
}

impl Drop for ManifestWriter {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.tmp);
        crate::output::forget_temporary(&self.tmp);
    }
}

/// The name an existing manifest is moved to while a new seal replaces it:
/// `.NAME.replaced` beside it.
pub fn set_aside_path(manifest: &Path) -> PathBuf {
    let name = manifest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "manifest".into());
    manifest.with_file_name(format!(".{name}.replaced"))
}

/// An existing manifest moved out of the way of a new seal, and kept until
/// that seal is made: [`SetAside::discard`] it then, [`SetAside::restore`]
/// it if the seal is not made (dropping it restores it too). The old
/// manifest may belong to a seal already in a ledger; until the new seal
/// replaces it, it is at [`set_aside_path`], so that a failure or a crash
/// at any instant loses neither manifest.
#[derive(Debug)]
pub struct SetAside {
    original: PathBuf,
    aside: PathBuf,
    done: bool,
}

impl SetAside {
    /// Moves the manifest at `original` aside; `None` when there is no file
    /// there. Refused when something is already set aside (an earlier seal
    /// that was stopped without its handler): that file is never replaced.
    pub fn new(original: &Path) -> Result<Option<Self>, BundleError> {
        match original.symlink_metadata() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(original)(e)),
            Ok(m) if !m.is_file() => {
                return Err(io(original)(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "not a file; a manifest replaces only a file",
                )))
            }
            Ok(_) => {}
        }
        let aside = set_aside_path(original);
        if aside.symlink_metadata().is_ok() {
            return Err(io(&aside)(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "a manifest set aside by an earlier seal that did not finish; \
                     move it back to {} or remove it, then seal again",
                    original.display()
                ),
            )));
        }
        std::fs::rename(original, &aside).map_err(io(original))?;
        crate::output::register_set_aside(&aside, original);
        sync_parent(original)?;
        Ok(Some(SetAside {
            original: original.to_path_buf(),
            aside,
            done: false,
        }))
    }

    /// Where the old manifest is now.
    pub fn aside_path(&self) -> &Path {
        &self.aside
    }

    /// The new seal is made: removes the old manifest.
    pub fn discard(mut self) -> Result<(), BundleError> {
        self.done = true;
        crate::output::forget_set_aside(&self.aside);
        std::fs::remove_file(&self.aside).map_err(io(&self.aside))
    }

    /// The new seal was not made: puts the old manifest back, replacing the
    /// new one in one step if it was written.
    pub fn restore(mut self) -> Result<(), BundleError> {
        self.done = true;
        self.put_back()
    }

    fn put_back(&self) -> Result<(), BundleError> {
        std::fs::rename(&self.aside, &self.original).map_err(io(&self.original))?;
        crate::output::forget_set_aside(&self.aside);
        sync_parent(&self.original)
    }
}

impl Drop for SetAside {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.put_back();
        }
    }
}

fn sync_parent(file: &Path) -> Result<(), BundleError> {
    match file.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir)),
        None => Ok(()),
    }
}

/// Reads a manifest item by item.
pub struct ManifestReader {
    path: PathBuf,
    input: Recorder<BufReader<File>>,
    sha: Sha256,
    root: RootBuilder,
    last: Option<String>,
}

/// A reader that keeps the bytes of the item being decoded.
struct Recorder<R> {
    inner: R,
    seen: Vec<u8>,
}

impl<R: Read> Read for Recorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.extend_from_slice(&buf[..n]);
        if self.seen.len() > MAX_ITEM {
            return Err(std::io::Error::other(format!(
                "an item is larger than {MAX_ITEM} bytes"
            )));
        }
        Ok(n)
    }
}

impl ManifestReader {
    /// Opens a manifest file.
    pub fn open(path: &Path) -> Result<Self, BundleError> {
        let f = File::open(path).map_err(io(path))?;
        Ok(ManifestReader {
            path: path.to_path_buf(),
            input: Recorder {
                inner: BufReader::with_capacity(1 << 20, f),
                seen: Vec::new(),
            },
            sha: Sha256::new(),
            root: RootBuilder::new(),
            last: None,
        })
    }

    /// The next item, or `None` at the end.
    pub fn next_item(&mut self) -> Result<Option<Item>, BundleError> {
        let n = self.root.count();
        let bad = |m: String| BundleError::Manifest(format!("item {n}: {m}"));
        self.input.seen.clear();
        // End of input: a clean end only between items.
        let at_end = self.input.inner.fill_buf_empty().map_err(io(&self.path))?;
        if at_end {
            return Ok(None);
        }
        let v: ciborium::Value = ciborium::de::from_reader(&mut self.input)
            .map_err(|e| bad(cbor::describe_de_error(e)))?;
        let raw = std::mem::take(&mut self.input.seen);
        let item: Item = v.deserialized().map_err(|e| bad(e.to_string()))?;
        if cbor::to_vec(&item).ok().as_deref() != Some(raw.as_slice()) {
            return Err(bad("not the deterministic encoding of an item".to_string()));
        }
        item.validate().map_err(bad)?;
        if self
            .last
            .as_deref()
            .is_some_and(|l| l.as_bytes() >= item.path.as_bytes())
        {
            return Err(bad(format!(
                "{:?} is out of order (paths are sorted bytewise, once each)",
                item.path
            )));
        }
        self.sha.update(&raw);
        self.root.push(leaf_hash(&raw));
        self.last = Some(item.path.clone());
        self.input.seen = raw;
        Ok(Some(item))
    }

    /// The encoded bytes of the item last returned.
    pub fn last_raw(&self) -> &[u8] {
        &self.input.seen
    }

    /// After the last item: (root, SHA-256 of the manifest); the root's size
    /// is the item count.
    pub fn summary(&self) -> (RootHash, [u8; 32]) {
        (self.root.root(), self.sha.clone().finalize().into())
    }
}

trait FillBufEmpty {
    fn fill_buf_empty(&mut self) -> std::io::Result<bool>;
}

impl<R: Read> FillBufEmpty for BufReader<R> {
    fn fill_buf_empty(&mut self) -> std::io::Result<bool> {
        use std::io::BufRead;
        Ok(self.fill_buf()?.is_empty())
    }
}
