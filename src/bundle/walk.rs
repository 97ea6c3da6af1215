//! Walks a bundle directory in the manifest's order — relative paths sorted
//! bytewise — holding one directory listing per level, not the whole tree.
//!
//! Depth-first order equals bytewise order of the full paths when each
//! directory's entries are sorted by their name followed by `/` for
//! directories (so `a.txt` < `a/…`, as `.` < `/`).

use std::fs;
use std::path::{Path, PathBuf};

use super::{io, BundleError};

/// A regular file found by the walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the bundle root, `/`-separated.
    pub rel: String,
    /// Path on disk.
    pub full: PathBuf,
    /// Size when listed (the hash pass checks it again).
    pub size: u64,
    /// In a lenient walk: why this entry cannot be sealed (a symbolic link,
    /// a device, a name that cannot travel). Strict walks return an error.
    pub refused: Option<&'static str>,
}

enum Kind {
    File(u64),
    Dir(u64),
    Refused(&'static str),
}

struct Frame {
    prefix: String,
    entries: std::vec::IntoIter<(Vec<u8>, String, PathBuf, Kind)>,
}

/// The walk: an iterator of entries in bytewise path order.
pub struct Walk {
    stack: Vec<Frame>,
    skip: Vec<PathBuf>,
    lenient: bool,
}

impl Walk {
    /// Starts a walk of `dir`. `skip` (paths inside `dir`, e.g. the manifest
    /// being written) are left out.
    pub fn new(dir: &Path, skip: Vec<PathBuf>) -> Result<Self, BundleError> {
        let mut w = Walk {
            stack: Vec::new(),
            skip,
            lenient: false,
        };
        w.push(String::new(), dir, None)?;
        Ok(w)
    }

    /// A walk for checking: entries that cannot be sealed are yielded with
    /// `refused` set (so they can be reported) instead of ending the walk.
    pub fn lenient(dir: &Path, skip: Vec<PathBuf>) -> Result<Self, BundleError> {
        let mut w = Walk {
            stack: Vec::new(),
            skip,
            lenient: true,
        };
        w.push(String::new(), dir, None)?;
        Ok(w)
    }

    fn push(&mut self, prefix: String, dir: &Path, ino: Option<u64>) -> Result<(), BundleError> {
        use std::os::unix::fs::{DirEntryExt, MetadataExt};
        // The directory must still be the one listed (not swapped for a link).
        let check = |m: fs::Metadata| ino.is_none_or(|i| m.is_dir() && m.ino() == i);
        if !fs::symlink_metadata(dir).map(check).map_err(io(dir))? {
            return Err(BundleError::Changed {
                path: dir.to_path_buf(),
            });
        }
        let mut entries = Vec::new();
        for entry in fs::read_dir(dir).map_err(io(dir))? {
            let entry = entry.map_err(io(dir))?;
            let full = entry.path();
            if self.skip.contains(&full) {
                continue;
            }
            let raw = entry.file_name();
            let name = raw
                .to_str()
                .filter(|n| !n.contains('\\') && !n.chars().any(char::is_control))
                .map(str::to_string);
            let ft = entry.file_type().map_err(io(&full))?;
            let refused = match &name {
                None => Some("file names must be UTF-8 without '\\' or control characters"),
                Some(_) if ft.is_symlink() => Some("symbolic links"),
                Some(_) if !ft.is_dir() && !ft.is_file() => Some("devices, sockets and pipes"),
                Some(_) => None,
            };
            if let (Some(what), false) = (refused, self.lenient) {
                return Err(if name.is_none() {
                    BundleError::BadName { path: full }
                } else {
                    BundleError::NotAFile { path: full, what }
                });
            }
            let name = name.unwrap_or_else(|| raw.to_string_lossy().into_owned());
            let mut key = name.clone().into_bytes();
            let kind = if refused.is_some() {
                Kind::Refused(refused.unwrap_or("not sealable"))
            } else if ft.is_dir() {
                key.push(b'/');
                Kind::Dir(entry.ino())
            } else {
                Kind::File(entry.metadata().map_err(io(&full))?.len())
            };
            entries.push((key, name, full, kind));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        self.stack.push(Frame {
            prefix,
            entries: entries.into_iter(),
        });
        Ok(())
    }
}

impl Iterator for Walk {
    type Item = Result<Entry, BundleError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let top = self.stack.last_mut()?;
            let Some((_, name, full, kind)) = top.entries.next() else {
                self.stack.pop();
                continue;
            };
            let rel = if top.prefix.is_empty() {
                name
            } else {
                format!("{}/{name}", top.prefix)
            };
            match kind {
                Kind::File(size) => {
                    return Some(Ok(Entry {
                        rel,
                        full,
                        size,
                        refused: None,
                    }))
                }
                Kind::Refused(why) => {
                    return Some(Ok(Entry {
                        rel,
                        full,
                        size: 0,
                        refused: Some(why),
                    }))
                }
                Kind::Dir(ino) => {
                    if let Err(e) = self.push(rel, &full, Some(ino)) {
                        self.stack.clear();
                        return Some(Err(e));
                    }
                }
            }
        }
    }
}
