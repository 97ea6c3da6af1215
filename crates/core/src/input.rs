//! Reading untrusted files with a bound: the size is checked before any
//! byte is read (a 1 GiB file given as a statement is refused at once, not
//! after reading it), and reading stops one byte past the limit (a pipe,
//! or a file that grows). `-` is standard input.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest file of a kind the tool reads. Each parser checks its own
/// limit again; these bound what is read to reach it.
pub mod limit {
    /// A signed statement or transparent statement (a statement and a few
    /// receipts).
    pub const STATEMENT: u64 = crate::cose::MAX_TRANSPARENT_SIZE as u64;
    /// A receipt.
    pub const RECEIPT: u64 = crate::cose::MAX_RECEIPT_SIZE as u64;
    /// A signed note: a checkpoint, a witness's cosignature answer.
    pub const NOTE: u64 = crate::note::MAX_NOTE_SIZE as u64;
    /// A witness add-checkpoint request (`witness::MAX_REQUEST_SIZE`: a
    /// note and 64 proof lines; a test keeps the two equal).
    pub const WITNESS_REQUEST: u64 = 128 * 1024 + 64 * 64;
    /// A tlog-proof or a consistency proof as text.
    pub const PROOF: u64 = 256 * 1024;
    /// A trust policy, a verifier key, a certificate (PEM).
    pub const SMALL: u64 = 256 * 1024;
    /// A disclosure (`bundle::MAX_DISCLOSURE` in the main crate; a test
    /// there keeps the two equal).
    pub const DISCLOSURE: u64 = 16 << 20;
    /// An evidence pack, a proof of misbehaviour, a monitor's state: and
    /// any file `inspect` is given.
    /// (`verify::MAX_PACK_SIZE`; a test keeps the two equal: `input` sits
    /// below the verifier, which reads its trust files through it).
    pub const PACK: u64 = 16 << 20;
}

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Larger than its kind may be (`size` when known before reading).
    #[error("{}: {} than the {limit}-byte limit", path.display(), match size { Some(s) => format!("{s} bytes, larger"), None => "larger".to_string() })]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size, if the file system said.
        size: Option<u64>,
        /// The limit.
        limit: u64,
    },
    /// It could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Reads `path` (`-`: standard input), refusing more than `limit` bytes:
/// a regular file's size is checked before reading.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let too_large = |size| InputError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    };
    let mut data = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut data)
            .map_err(io)?;
    } else {
        let f = std::fs::File::open(path).map_err(io)?;
        let meta = f.metadata().map_err(io)?;
        if meta.is_file() {
            if meta.len() > limit {
                return Err(too_large(Some(meta.len())));
            }
            data.reserve_exact(meta.len() as usize + 1);
        }
        f.take(limit + 1).read_to_end(&mut data).map_err(io)?;
    }
    if data.len() as u64 > limit {
        return Err(too_large(None));
    }
    Ok(data)
}

/// [`read_bounded`] for a file that may be missing (`None`).
pub fn read_optional(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, InputError> {
    match read_bounded(path, limit) {
        Ok(b) => Ok(Some(b)),
        Err(InputError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

impl crate::class::Classify for InputError {
    fn class(&self) -> crate::class::Class {
        // Too large, or not there or not readable: the input given.
        crate::class::Class::BadInput
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_are_their_formats_own() {
        // The witness's and the disclosure's are checked in the main crate.
        assert_eq!(limit::PACK, crate::verify::MAX_PACK_SIZE as u64);
    }

    #[test]
    fn the_size_is_checked_before_reading() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big");
        // Sparse: 1 GiB on paper, nothing on disk; refused from its size.
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(1 << 30).unwrap();
        match read_bounded(&p, 1024) {
            Err(InputError::TooLarge { size, limit, .. }) => {
                assert_eq!((size, limit), (Some(1 << 30), 1024));
            }
            other => panic!("{other:?}"),
        }
        let e = read_bounded(&p, 1024).unwrap_err().to_string();
        assert!(
            e.ends_with("1073741824 bytes, larger than the 1024-byte limit"),
            "{e}"
        );
        std::fs::write(&p, b"12345").unwrap();
        assert_eq!(read_bounded(&p, 5).unwrap(), b"12345");
        assert!(read_bounded(&p, 4).is_err());
        assert!(read_optional(&d.path().join("none"), 4).unwrap().is_none());
    }
}
