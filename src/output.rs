//! Writing what a command makes (`--out FILE`): `-` is standard output; a
//! file is never replaced unless the caller says so (`--force`), and is
//! written whole or not at all — through a temporary file beside it,
//! fsynced and renamed (linked, when it must not replace anything) into
//! place. A temporary file is removed if writing fails, and by
//! [`remove_temporaries`] when the process is interrupted.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The file exists and replacing it was not asked for.
    #[error("{flag} {path}: the file exists, and it was not replaced")]
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

/// Files moved aside (aside, original) until what replaces them is made,
/// moved back on interruption.
static SET_ASIDE: Mutex<Vec<(PathBuf, PathBuf)>> = Mutex::new(Vec::new());

/// Undoes what an unfinished command left: removes every temporary file an
/// unfinished [`fn@write`] or manifest left, and moves back every file set
/// aside for a replacement that was not made. What a SIGINT or SIGTERM
/// handler calls before the process exits.
pub fn remove_temporaries() {
    // A poisoned lock still holds the list.
    let list = match TEMPORARIES.lock() {
        Ok(l) => l,
        Err(p) => p.into_inner(),
    };
    for p in list.iter() {
        let _ = fs::remove_file(p);
    }
    let aside = match SET_ASIDE.lock() {
        Ok(l) => l,
        Err(p) => p.into_inner(),
    };
    for (aside, original) in aside.iter() {
        let _ = fs::rename(aside, original);
    }
}

/// Records that `original` was moved to `aside` until its replacement is
/// made: [`remove_temporaries`] moves it back.
pub fn register_set_aside(aside: &Path, original: &Path) {
    let mut list = match SET_ASIDE.lock() {
        Ok(l) => l,
        Err(p) => p.into_inner(),
    };
    list.push((aside.to_path_buf(), original.to_path_buf()));
}

/// Forgets a file set aside (its replacement was made, or it is back).
pub fn forget_set_aside(aside: &Path) {
    let mut list = match SET_ASIDE.lock() {
        Ok(l) => l,
        Err(p) => p.into_inner(),
    };
    list.retain(|(a, _)| a != aside);
}

/// True when `path` means standard output.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Writes `data` to `path` (named by `flag` in errors), or to standard
/// output for `-`. An existing file is replaced only with `replace`.
pub fn write(path: &Path, data: &[u8], replace: bool, flag: &str) -> Result<(), OutputError> {
    write_mode(path, data, replace, flag, 0o644)
}

/// [`fn@write`] for a secret (a private key): the file is made 0600 from the
/// start, and never written to standard output.
pub fn write_private(
    path: &Path,
    data: &[u8],
    replace: bool,
    flag: &str,
) -> Result<(), OutputError> {
    if is_stdout(path) {
        return Err(OutputError::Io {
            flag: flag.to_string(),
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a private key is not written to standard output",
            ),
        });
    }
    write_mode(path, data, replace, flag, 0o600)
}

/// Writes `data` to `path`, or, if a file is there, to the first free
/// `path.1`, `path.2`, … (evidence that must not be lost, nor overwrite
/// earlier evidence); returns the path written.
pub fn write_beside(path: &Path, data: &[u8], flag: &str) -> Result<PathBuf, OutputError> {
    let mut candidate = path.to_path_buf();
    for n in 1..10_000u32 {
        match write(&candidate, data, false, flag) {
            Err(OutputError::Exists { .. }) => {
                let mut s = path.as_os_str().to_owned();
                s.push(format!(".{n}"));
                candidate = PathBuf::from(s);
            }
            other => return other.map(|()| candidate),
        }
    }
    Err(OutputError::Exists {
        flag: flag.to_string(),
        path: path.to_path_buf(),
    })
}

/// Registers a temporary file that [`remove_temporaries`] removes if the
/// process is interrupted before [`forget_temporary`].
pub fn register_temporary(tmp: &Path) {
    register(tmp, true);
}

/// The temporary file is gone or renamed: no longer to be removed.
pub fn forget_temporary(tmp: &Path) {
    register(tmp, false);
}

fn write_mode(
    path: &Path,
    data: &[u8],
    replace: bool,
    flag: &str,
    mode: u32,
) -> Result<(), OutputError> {
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
        let _ = fs::remove_file(&tmp);
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        drop(f);
        if replace {
            fs::rename(&tmp, path)
        } else {
            // link(2) refuses an existing name: no race with a file made
            // since the check above; without hard links, a rename that
            // does not replace.
            crate::os::publish_noreplace(&tmp, path)
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

impl crate::class::Classify for OutputError {
    fn class(&self) -> crate::class::Class {
        match self {
            OutputError::Exists { .. } => crate::class::Class::BadInput,
            OutputError::Io { .. } => crate::class::Class::Internal,
        }
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
        assert!(
            e.to_string()
                .contains("the file exists, and it was not replaced"),
            "{e}"
        );
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
    fn private_files_are_0600_and_evidence_goes_beside() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let k = d.path().join("a.key");
        write_private(&k, b"secret", false, "--out").unwrap();
        assert_eq!(
            fs::metadata(&k).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(write_private(Path::new("-"), b"secret", false, "--out").is_err());
        let p = d.path().join("proof.cbor");
        assert_eq!(write_beside(&p, b"1", "--proof-out").unwrap(), p);
        let second = write_beside(&p, b"2", "--proof-out").unwrap();
        assert_eq!(second, d.path().join("proof.cbor.1"));
        assert_eq!(fs::read(&p).unwrap(), b"1");
        assert_eq!(fs::read(&second).unwrap(), b"2");
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
