//! Writing what a command makes (`--out FILE`): `-` is standard output; a
//! file is never replaced unless the caller says so (`--force`), and is
//! written whole or not at all — through a temporary file beside it,
//! fsynced and renamed (linked, when it must not replace anything) into
//! place. A temporary file is removed if writing fails, and by
//! [`remove_temporaries`] when the process is interrupted.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The file exists and replacing it was not asked for.
    #[error("{flag} {path}: the file exists; give --force to replace it")]
    Exists {
        /// The flag that named it.
        flag: String,
        /// The file.
        path: PathBuf,
    },
    /// Writing failed.
    #[error("{flag} {path}: {source}")]
    Io {
        /// The flag that named it.
        flag: String,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Temporary files being written now, removed on interruption.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes every temporary file an unfinished [`write`] left: what a
/// SIGINT or SIGTERM handler calls before the process exits.
pub fn remove_temporaries() {
    // A poisoned lock still holds the list.
    let list = match TEMPORARIES.lock() {
        Ok(l) => l,
        Err(p) => p.into_inner(),
    };
    for p in list.iter() {
        let _ = fs::remove_file(p);
    }
}

/// True when `path` means standard output.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Writes `data` to `path` (named by `flag` in errors), or to standard
/// output for `-`. An existing file is replaced only with `replace`.
pub fn write(path: &Path, data: &[u8], replace: bool, flag: &str) -> Result<(), OutputError> {
    let io = |source| OutputError::Io {
        flag: flag.to_string(),
        path: path.to_path_buf(),
        source,
    };
    if is_stdout(path) {
        let mut out = std::io::stdout().lock();
        return out.write_all(data).and_then(|()| out.flush()).map_err(io);
    }
    let exists = || OutputError::Exists {
        flag: flag.to_string(),
        path: path.to_path_buf(),
    };
    if !replace && fs::symlink_metadata(path).is_ok() {
        return Err(exists());
    }
    let dir = crate::store::fsio::parent_dir(path).ok_or_else(|| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "names no file",
        ))
    })?;
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.join(name);
    register(&tmp, true);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        drop(f);
        if replace {
            fs::rename(&tmp, path)
        } else {
            // link(2) refuses an existing name: no race with a file made
            // since the check above.
            fs::hard_link(&tmp, path).and_then(|()| fs::remove_file(&tmp))
        }
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    register(&tmp, false);
    match result {
        Ok(()) => {
            let _ = crate::store::fsio::sync_dir(dir);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists()),
        Err(e) => Err(io(e)),
    }
}

fn register(tmp: &Path, add: bool) {
    let mut list = match TEMPORARIES.lock() {
        Ok(l) => l,
        Err(p) => p.into_inner(),
    };
    if add {
        list.push(tmp.to_path_buf());
    } else {
        list.retain(|p| p != tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_replace_unless_asked_and_leaves_no_temporary() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.html");
        write(&p, b"one", false, "--out").unwrap();
        let e = write(&p, b"two", false, "--out").unwrap_err();
        assert!(matches!(e, OutputError::Exists { .. }), "{e}");
        assert!(e.to_string().contains("--force"), "{e}");
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write(&p, b"two", true, "--out").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.html")]);
    }

    #[test]
    fn a_failed_write_names_the_flag_and_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("missing-dir").join("x.pack");
        let e = write(&p, b"x", false, "--out").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("--out ") && msg.contains("missing-dir"),
            "{msg}"
        );
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 0);
    }
}
