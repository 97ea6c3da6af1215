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
}

struct Frame {
    prefix: String,
    entries: std::vec::IntoIter<(Vec<u8>, String, PathBuf, Option<u64>)>,
}

/// The walk: an iterator of entries in bytewise path order.
pub struct Walk {
    stack: Vec<Frame>,
    skip: Vec<PathBuf>,
}

impl Walk {
    /// Starts a walk of `dir`. `skip` (paths inside `dir`, e.g. the manifest
    /// being written) are left out.
    pub fn new(dir: &Path, skip: Vec<PathBuf>) -> Result<Self, BundleError> {
        let mut w = Walk {
            stack: Vec::new(),
            skip,
        };
        w.push(String::new(), dir)?;
        Ok(w)
    }

    fn push(&mut self, prefix: String, dir: &Path) -> Result<(), BundleError> {
        let mut entries = Vec::new();
        for entry in fs::read_dir(dir).map_err(io(dir))? {
            let entry = entry.map_err(io(dir))?;
            let full = entry.path();
            if self.skip.contains(&full) {
                continue;
            }
            let name = entry.file_name();
            let name = name
                .to_str()
                .filter(|n| !n.contains('\\') && !n.chars().any(char::is_control))
                .ok_or_else(|| BundleError::BadName { path: full.clone() })?
                .to_string();
            let ft = entry.file_type().map_err(io(&full))?;
            let mut key = name.clone().into_bytes();
            let size = if ft.is_symlink() {
                return Err(BundleError::NotAFile {
                    path: full,
                    what: "symbolic links",
                });
            } else if ft.is_dir() {
                key.push(b'/');
                None
            } else if ft.is_file() {
                Some(entry.metadata().map_err(io(&full))?.len())
            } else {
                return Err(BundleError::NotAFile {
                    path: full,
                    what: "devices, sockets and pipes",
                });
            };
            entries.push((key, name, full, size));
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
            let Some((_, name, full, size)) = top.entries.next() else {
                self.stack.pop();
                continue;
            };
            let rel = if top.prefix.is_empty() {
                name
            } else {
                format!("{}/{name}", top.prefix)
            };
            match size {
                Some(size) => return Some(Ok(Entry { rel, full, size })),
                None => {
                    if let Err(e) = self.push(rel, &full) {
                        self.stack.clear();
                        return Some(Err(e));
                    }
                }
            }
        }
    }
}
