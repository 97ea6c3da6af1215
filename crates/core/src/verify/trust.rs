//! What a verifier trusts, read from a trust directory:
//!
//! ```text
//! TRUST/
//!   root.pem   the scheme's root certificate (required)
//!   policy     c2sp.org/tlog-policy: the log(s), the witnesses, the quorum
//!   log.vkey   the log's verifier key (used when there is no policy file:
//!              then no witness is required, and the report says so)
//!   labels.vrf   a confidential log's VRF key (optional)
//!   rotations/   the log keys' rotation notes the verifier keeps (optional)
//!   tsa/NAME.pem the time-stamping authorities trusted (optional; FORMATS §29):
//!              each the anchor (root or own certificate) of one TSA
//!   updates/*    the scheme root's signed trust updates (optional; FORMATS §30):
//!              validity windows of the log keys, witness keys and TSAs
//! ```
//!
//! When both `policy` and `log.vkey` exist, the policy must list that log.

use std::path::{Path, PathBuf};

use crate::identity::Certificate;
use crate::note::{Policy, VerifierKey};

/// Why a trust directory could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{path}: {reason}")]
pub struct TrustError {
    /// The file (or directory) at fault.
    pub path: PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

fn terr(path: &Path, reason: impl ToString) -> TrustError {
    TrustError {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// The scheme root and the transparency policy.
#[derive(Clone, Debug)]
pub struct Trust {
    /// The scheme root certificate.
    pub root: Certificate,
    /// Which logs and witnesses are trusted, and the cosigning quorum.
    pub policy: Policy,
    /// The VRF key of a confidential log (`TRUST/labels.vrf`): packs of
    /// that log must prove each facility's label under it.
    pub labels: Option<crate::commitment::LabelKey>,
    /// Rotation notes of the logs' keys the verifier keeps
    /// (`TRUST/rotations/*`, FORMATS §28): with them, a retired key's
    /// window is known even from a pack that does not carry its note.
    pub rotations: Vec<Vec<u8>>,
    /// The time-stamping authorities trusted (`TRUST/tsa/*.pem`, FORMATS
    /// §29): a pack's RFC 3161 tokens count only if they chain to one.
    pub tsas: Vec<crate::tsa::TsaTrust>,
    /// The scheme root's trust updates (`TRUST/updates/*`, FORMATS §30),
    /// each checked with the root's key, in increasing serial order.
    pub updates: Vec<crate::note::SignedTrustUpdate>,
}

/// A key's window and the update that set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windowed {
    /// The window.
    pub window: crate::note::Window,
    /// The serial of the update that gave it.
    pub serial: u64,
}

impl Windowed {
    /// "from … until … (trust update N)".
    pub fn describe(&self, sizes: bool) -> String {
        let v = |x: u64| {
            if sizes {
                format!("tree size {x}")
            } else {
                super::utc(x)
            }
        };
        let mut parts = Vec::new();
        if let Some(f) = self.window.from {
            parts.push(format!("from {}", v(f)));
        }
        if let Some(u) = self.window.until {
            parts.push(format!("until {}", v(u)));
        }
        format!(
            "{} (the scheme root's trust update {})",
            parts.join(" "),
            self.serial
        )
    }
}

/// Which trust a verifier used, for it to say so: a trust directory is
/// chosen by a flag, the environment or the configuration file, and a
/// reader must be able to tell whose it was.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TrustUsed {
    /// The trust directory, absolute (symbolic links resolved).
    pub dir: PathBuf,
    /// The file that names the log: `policy` or `log.vkey`.
    pub from: &'static str,
    /// The log keys trusted, as `name+keyid`.
    pub logs: Vec<String>,
}

impl std::fmt::Display for TrustUsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}: log {})",
            self.dir.display(),
            self.from,
            self.logs.join(", log ")
        )
    }
}

impl Trust {
    /// Reads a trust directory (see the module documentation), and says
    /// which it was.
    pub fn open(dir: &Path) -> Result<(Trust, TrustUsed), TrustError> {
        let trust = Trust::load(dir)?;
        let dir = std::fs::canonicalize(dir)
            .or_else(|_| std::path::absolute(dir))
            .unwrap_or_else(|_| dir.to_path_buf());
        let from = if dir.join("policy").exists() {
            "policy"
        } else {
            "log.vkey"
        };
        let logs = trust
            .policy
            .logs()
            .iter()
            .map(|k| format!("{}+{}", k.name(), k.id()))
            .collect();
        Ok((trust, TrustUsed { dir, from, logs }))
    }

    /// Reads a trust directory (see the module documentation).
    pub fn load(dir: &Path) -> Result<Trust, TrustError> {
        Trust::from_files(&TrustFiles::read_dir(dir)?)
    }

    /// A trust directory's files, already read (by [`TrustFiles::read_dir`],
    /// or given to a web page): the one place they are parsed and checked.
    pub fn from_files(files: &TrustFiles) -> Result<Trust, TrustError> {
        let dir = files.dir.as_path();
        let read = |name: &str| -> Result<Option<Vec<u8>>, TrustError> {
            Ok(files.files.get(name).cloned())
        };
        let root_path = dir.join("root.pem");
        let root =
            read("root.pem")?.ok_or_else(|| terr(&root_path, "missing (the scheme root)"))?;
        let root = Certificate::from_pem(&root).map_err(|e| terr(&root_path, e))?;
        let vkey_path = dir.join("log.vkey");
        let vkey = read("log.vkey")?
            .map(|b| {
                let text = String::from_utf8(b).map_err(|_| "not UTF-8".to_string())?;
                VerifierKey::parse(text.trim()).map_err(|e| e.to_string())
            })
            .transpose()
            .map_err(|e| terr(&vkey_path, e))?;
        let policy_path = dir.join("policy");
        let policy = match (read("policy")?, vkey) {
            (Some(text), vkey) => {
                let p = Policy::parse(&text).map_err(|e| terr(&policy_path, e))?;
                if p.logs().is_empty() {
                    return Err(terr(&policy_path, "lists no log"));
                }
                if let Some(v) = vkey {
                    if !p.logs().contains(&v) {
                        return Err(terr(
                            &vkey_path,
                            format!(
                                "names log {}+{}, which {} does not list",
                                v.name(),
                                v.id(),
                                policy_path.display()
                            ),
                        ));
                    }
                }
                p
            }
            (None, Some(v)) => Policy::single_log(v),
            (None, None) => {
                return Err(terr(
                    dir,
                    "neither policy nor log.vkey (the log's key) is there",
                ))
            }
        };
        let labels_path = dir.join("labels.vrf");
        let labels = read("labels.vrf")?
            .map(|b| {
                let text = String::from_utf8(b).map_err(|_| "not UTF-8".to_string())?;
                crate::commitment::LabelKey::parse(&text)
            })
            .transpose()
            .map_err(|e| terr(&labels_path, e))?;
        if let Some(l) = &labels {
            if !policy.logs().iter().any(|k| k.name() == l.origin) {
                return Err(terr(
                    &labels_path,
                    format!(
                        "is the VRF key of log {}, which the trust policy does not list",
                        l.origin
                    ),
                ));
            }
        }
        let mut rotations = Vec::new();
        for (rel, b) in files.within("rotations") {
            crate::note::SignedRotation::open(b).map_err(|e| terr(&dir.join(rel), e))?;
            rotations.push(b.clone());
        }
        let tsas = files.tsa_anchors()?;
        let updates = load_updates(files, &root)?;
        Ok(Trust {
            root,
            policy,
            labels,
            rotations,
            tsas,
            updates,
        })
    }

    /// Trust in one log with no witnesses.
    pub fn single_log(root: Certificate, log: VerifierKey) -> Trust {
        Trust {
            root,
            policy: Policy::single_log(log),
            labels: None,
            rotations: Vec::new(),
            tsas: Vec::new(),
            updates: Vec::new(),
        }
    }

    /// The window the latest trust update gives log key `k`, if any.
    pub fn log_window(&self, k: &VerifierKey) -> Option<Windowed> {
        self.latest(|u| u.logs.iter().find(|(x, _)| x == k).map(|(_, w)| *w))
    }

    /// The window the latest trust update gives witness key `k`, if any.
    pub fn witness_window(&self, k: &VerifierKey) -> Option<Windowed> {
        self.latest(|u| u.witnesses.iter().find(|(x, _)| x == k).map(|(_, w)| *w))
    }

    /// The window the latest trust update gives the TSA anchor whose
    /// certificate's SHA-256 is `anchor`, if any.
    pub fn tsa_window(&self, anchor: &[u8; 32]) -> Option<Windowed> {
        self.latest(|u| u.tsas.iter().find(|(x, _)| x == anchor).map(|(_, w)| *w))
    }

    fn latest(
        &self,
        f: impl Fn(&crate::note::TrustUpdate) -> Option<crate::note::Window>,
    ) -> Option<Windowed> {
        self.updates.iter().rev().find_map(|u| {
            f(u.update()).map(|window| Windowed {
                window,
                serial: u.update().serial,
            })
        })
    }
}

/// `TRUST/updates/*`: each signed by the scheme root of `root`, serials
/// distinct; in serial order.
fn load_updates(
    files: &TrustFiles,
    root: &Certificate,
) -> Result<Vec<crate::note::SignedTrustUpdate>, TrustError> {
    let mut updates: Vec<crate::note::SignedTrustUpdate> = Vec::new();
    for (rel, b) in files.within("updates") {
        let path = files.dir.join(rel);
        let u = crate::note::SignedTrustUpdate::open(b, root.key()).map_err(|e| {
            terr(
                &path,
                format!("{e} (a trust update must be signed by the scheme root of root.pem)"),
            )
        })?;
        let serial = u.update().serial;
        match updates.iter().find(|x| x.update().serial == serial) {
            Some(same) if same == &u => {}
            Some(_) => {
                return Err(terr(
                    &path,
                    format!("a second, different trust update with serial {serial}"),
                ))
            }
            None => updates.push(u),
        }
    }
    updates.sort_by_key(|u| u.update().serial);
    Ok(updates)
}

/// The files of a trust directory that [`Trust::from_files`] reads, each
/// by its path inside the directory with `/` between names (`root.pem`,
/// `tsa/NAME.pem`, `rotations/N`, `updates/N`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustFiles {
    /// Where they came from, as errors name it: the directory, or a name
    /// a web page gives.
    pub dir: PathBuf,
    /// The files' bytes by relative path.
    pub files: std::collections::BTreeMap<String, Vec<u8>>,
}

/// The files of a trust directory at its top.
pub const TRUST_FILES: [&str; 4] = ["root.pem", "log.vkey", "policy", "labels.vrf"];
/// Its directories, each of files one level down.
pub const TRUST_DIRS: [&str; 3] = ["rotations", "tsa", "updates"];

impl TrustFiles {
    /// Reads what a trust directory holds ([`TRUST_FILES`], and the files
    /// of [`TRUST_DIRS`]), each bounded by `input::limit::SMALL`; a missing
    /// file or directory is left out.
    pub fn read_dir(dir: &Path) -> Result<TrustFiles, TrustError> {
        let mut files = std::collections::BTreeMap::new();
        let read = |rel: &str| -> Result<Option<Vec<u8>>, TrustError> {
            let p = dir.join(rel);
            crate::input::read_optional(&p, crate::input::limit::SMALL).map_err(|e| match e {
                crate::input::InputError::Io { source, .. } => terr(&p, source),
                too_large => terr(&p, too_large),
            })
        };
        for name in TRUST_FILES {
            if let Some(b) = read(name)? {
                files.insert(name.to_string(), b);
            }
        }
        for sub in TRUST_DIRS {
            let d = dir.join(sub);
            if !d.is_dir() {
                continue;
            }
            let mut names: Vec<_> = std::fs::read_dir(&d)
                .map_err(|e| terr(&d, e))?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name())
                .collect();
            names.sort();
            for n in names {
                let rel = format!("{sub}/{}", n.to_string_lossy());
                // Only certificates are read from tsa/.
                let cert = rel.ends_with(".pem") || rel.ends_with(".der");
                if sub == "tsa" && !cert {
                    continue;
                }
                if let Some(b) = read(&rel)? {
                    files.insert(rel, b);
                }
            }
        }
        Ok(TrustFiles {
            dir: dir.to_path_buf(),
            files,
        })
    }

    /// Files given by name (a web page's): each path relative to the trust
    /// directory; only the names [`Trust::from_files`] reads are kept.
    pub fn from_named(dir: &str, named: impl IntoIterator<Item = (String, Vec<u8>)>) -> TrustFiles {
        let files = named
            .into_iter()
            .filter(|(rel, _)| {
                TRUST_FILES.contains(&rel.as_str())
                    || rel.split_once('/').is_some_and(|(d, n)| {
                        TRUST_DIRS.contains(&d) && !n.is_empty() && !n.contains('/')
                    })
            })
            .collect();
        TrustFiles {
            dir: PathBuf::from(dir),
            files,
        }
    }

    /// The time-stamping authorities of `tsa/*.pem` (and `.der`), in name
    /// order, each named by its file's stem (FORMATS §29).
    pub fn tsa_anchors(&self) -> Result<Vec<crate::tsa::TsaTrust>, TrustError> {
        let mut tsas = Vec::new();
        for (rel, b) in self.within("tsa") {
            let path = Path::new(rel);
            if !path.extension().is_some_and(|x| x == "pem" || x == "der") {
                continue;
            }
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            tsas.push(
                crate::tsa::TsaTrust::from_bytes(&name, b)
                    .map_err(|e| terr(&self.dir.join(rel), e))?,
            );
        }
        Ok(tsas)
    }

    /// The files of directory `sub`, in name order: `(relative path, bytes)`.
    fn within<'a>(&'a self, sub: &'a str) -> impl Iterator<Item = (&'a String, &'a Vec<u8>)> + 'a {
        self.files.iter().filter(move |(rel, _)| {
            rel.split_once('/')
                .is_some_and(|(d, n)| d == sub && !n.contains('/'))
        })
    }
}
