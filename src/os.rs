//! The operating-system calls the standard library does not offer, and the
//! only module of the library allowed `unsafe` (each block a single libc
//! call on arguments it owns).

#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::path::Path;

fn c_path(p: &Path) -> io::Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::other("a path holds a NUL byte"))
}

/// `renameat2(RENAME_NOREPLACE)`: renames `from` to `to`, failing with
/// `AlreadyExists` if `to` exists.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let (f, t) = (c_path(from)?, c_path(to)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            f.as_ptr(),
            libc::AT_FDCWD,
            t.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Puts the finished temporary file `tmp` at `dest` without ever replacing
/// a file there (`AlreadyExists` if one is): a hard link, which never
/// replaces; where the file system has none (vfat, some network shares), a
/// rename that does not replace. `tmp` is gone afterwards on success.
pub fn publish_noreplace(tmp: &Path, dest: &Path) -> io::Result<()> {
    match std::fs::hard_link(tmp, dest) {
        Ok(()) => {
            let _ = std::fs::remove_file(tmp);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => rename_noreplace(tmp, dest),
    }
}

/// Makes every write to the file system holding the open file `f` durable:
/// `syncfs(2)` on Linux; elsewhere `sync(2)`.
pub fn sync_filesystem(f: &std::fs::File) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `f` is an open file descriptor for the duration of the call.
        if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = f;
        // SAFETY: sync(2) takes no arguments and cannot fail.
        unsafe { libc::sync() };
    }
    Ok(())
}

/// Restores the default action of SIGPIPE (Rust ignores it), so that a
/// command whose output pipe closes (`… | head`) ends quietly, like other
/// Unix tools. Call before any other thread exists.
pub fn default_sigpipe() {
    // SAFETY: SIG_DFL is always a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Makes a named pipe (tests: a file that would block a reader).
pub fn mkfifo(path: &Path) -> io::Result<()> {
    let c = c_path(path)?;
    // SAFETY: mkfifo reads a valid NUL-terminated path.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Raises this process's soft limit on open descriptors to its hard limit
/// (as Go's runtime does for every program): a service holds one per
/// connection. Returns the soft limit now in force.
pub fn raise_open_files_limit() -> io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the call's duration.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: `raised` is a valid rlimit; only this process's limit changes.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim = raised;
        }
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 everywhere
    Ok(lim.rlim_cur as u64)
}

#[cfg(test)]
mod tests {
    /// The crate denies `unsafe_code`; this module alone allows it. The
    /// lint is what enforces it; this says where the exception is.
    #[test]
    fn unsafe_code_lives_in_this_module_only() {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, found);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("src/os.rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    if text.contains(concat!("unsafe", " {")) || text.contains("allow(unsafe_code")
                    {
                        found.push(p.display().to_string());
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(found.is_empty(), "unsafe outside src/os.rs: {found:?}");
        let lib = include_str!("lib.rs");
        assert!(lib.contains("#![deny(unsafe_code)]"));
    }

    #[test]
    fn publishing_never_replaces_a_file() {
        let d = tempfile::tempdir().unwrap();
        let (tmp, dest) = (d.path().join("t"), d.path().join("d"));
        std::fs::write(&tmp, "new").unwrap();
        std::fs::write(&dest, "old").unwrap();
        let e = super::publish_noreplace(&tmp, &dest).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "old");
        std::fs::remove_file(&dest).unwrap();
        super::publish_noreplace(&tmp, &dest).unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "new");
        assert!(!tmp.exists());
        // The fallback alone: a rename that does not replace.
        std::fs::write(&tmp, "newer").unwrap();
        let e = super::rename_noreplace(&tmp, &dest).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "new");
    }
}
