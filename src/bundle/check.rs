//! Checking a directory against its seal: the manifest must be the one the
//! seal commits to (its SHA-256, its root, its count), and every file must
//! be as the manifest says. The walk and the manifest are both in path
//! order, so they are merged as streams: every missing, changed and extra
//! file is named, in memory that does not grow with the bundle.

use std::cell::RefCell;
use std::iter::Peekable;
use std::path::Path;

use super::hash::{for_each_hashed, FileHash, Job};
use super::{BundleError, Item, ManifestReader, Sealed, Walk};

/// One discrepancy between the directory and the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// In the manifest, not in the directory.
    Missing(String),
    /// In the directory, not in the manifest.
    Extra(String),
    /// Present, with other content.
    Changed {
        /// The file.
        path: String,
        /// What differs.
        what: String,
    },
    /// Present, but could not be hashed (unreadable, or changed meanwhile).
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Missing(p) => write!(f, "missing: {p}"),
            Finding::Extra(p) => write!(f, "extra:   {p}"),
            Finding::Changed { path, what } => write!(f, "changed: {path} ({what})"),
            Finding::Unreadable { path, reason } => write!(f, "unreadable: {path} ({reason})"),
        }
    }
}

/// The outcome of a check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BundleCheck {
    /// Files hashed and compared.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Findings (each was also passed to the callback as it was found).
    pub problems: u64,
    /// Why the manifest is not the one sealed, if it is not.
    pub manifest: Option<String>,
}

impl BundleCheck {
    /// True when the manifest is the sealed one and every file matches.
    pub fn ok(&self) -> bool {
        self.problems == 0 && self.manifest.is_none()
    }
}

struct Merge<'a> {
    walk: Peekable<Walk>,
    reader: &'a RefCell<ManifestReader>,
    item: Option<Item>,
    failed: bool,
}

impl Iterator for Merge<'_> {
    type Item = Result<Job<Result<Item, Finding>>, BundleError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let order = match (self.walk.peek(), &self.item) {
            (None, None) => return None,
            (Some(Err(_)), _) => {
                self.failed = true;
                return match self.walk.next() {
                    Some(Err(e)) => Some(Err(e)),
                    _ => None,
                };
            }
            (Some(Ok(e)), Some(item)) => e.rel.as_bytes().cmp(item.path.as_bytes()),
            (Some(Ok(_)), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
        };
        let job = match order {
            // On disk, not in the manifest.
            std::cmp::Ordering::Less => {
                let e = self.walk.next()?.ok()?;
                let rel = match e.refused {
                    Some(why) => format!("{} ({why} cannot be sealed)", e.rel),
                    None => e.rel,
                };
                return Some(Ok((Err(Finding::Extra(rel)), None)));
            }
            // In the manifest, not on disk.
            std::cmp::Ordering::Greater => (Err(Finding::Missing(self.item.take()?.path)), None),
            std::cmp::Ordering::Equal => {
                let e = self.walk.next()?.ok()?;
                let item = self.item.take()?;
                match e.refused {
                    Some(why) => (
                        Err(Finding::Changed {
                            path: item.path,
                            what: format!("no longer a regular file: {why}"),
                        }),
                        None,
                    ),
                    None => (Ok(item), Some((e.full, e.size))),
                }
            }
        };
        match self.reader.borrow_mut().next_item() {
            Ok(i) => self.item = i,
            Err(e) => {
                self.failed = true;
                return Some(Err(e));
            }
        }
        Some(Ok(job))
    }
}

pub(super) fn compare(item: &Item, h: &FileHash) -> Option<String> {
    let mut diff = Vec::new();
    if item.size != h.size {
        diff.push(format!("size {} → {}", item.size, h.size));
    }
    if *item.sha256.as_bytes() != h.sha256 {
        diff.push("SHA-256 differs".to_string());
    }
    if *item.blake3.as_bytes() != h.blake3 {
        diff.push("BLAKE3 differs".to_string());
    }
    (!diff.is_empty()).then(|| diff.join(", "))
}

/// Re-hashes `dir` against `manifest` and checks the manifest against the
/// seal's commitment. Each finding goes to `report` as it is found;
/// `progress` gets the files and bytes hashed so far.
pub fn check_dir(
    dir: &Path,
    manifest: &Path,
    sealed: &Sealed,
    report: &mut dyn FnMut(Finding),
    progress: &mut dyn FnMut(u64, u64),
) -> Result<BundleCheck, BundleError> {
    let reader = RefCell::new(ManifestReader::open(manifest)?);
    let first = reader.borrow_mut().next_item()?;
    let mut out = BundleCheck::default();
    let mut problems = 0u64;
    let mut found = |f: Finding| {
        problems += 1;
        report(f)
    };
    let merge = Merge {
        walk: Walk::lenient(dir, super::inside(dir, manifest)?.into_iter().collect())?.peekable(),
        reader: &reader,
        item: first,
        failed: false,
    };
    for_each_hashed(merge, |job, h| {
        match (job, h) {
            (Err(finding), _) => found(finding),
            (Ok(item), Some(Ok(h))) => {
                if let Some(what) = compare(&item, &h) {
                    found(Finding::Changed {
                        path: item.path,
                        what,
                    });
                }
                out.files += 1;
                out.bytes += h.size;
                progress(out.files, out.bytes);
            }
            (Ok(item), Some(Err(e))) => found(Finding::Unreadable {
                path: item.path,
                reason: e.to_string(),
            }),
            (Ok(item), None) => found(Finding::Unreadable {
                path: item.path,
                reason: "not hashed".into(),
            }),
        }
        Ok(())
    })?;
    let (root, sha) = reader.borrow().summary();
    out.problems = problems;
    let mut why = Vec::new();
    if sha != sealed.manifest_sha256 {
        why.push("its SHA-256 is not the one the seal commits to".to_string());
    }
    if root.size() != sealed.items {
        why.push(format!(
            "it has {} items, the seal says {}",
            root.size(),
            sealed.items
        ));
    }
    if *root.hash() != sealed.root {
        why.push("its items do not hash to the sealed root".to_string());
    }
    if !why.is_empty() {
        out.manifest = Some(why.join("; "));
    }
    Ok(out)
}
