//! `triage-ledger init` and `triage-ledger log …`.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use clap::{ArgGroup, Subcommand};
use triage_ledger::merkle::{leaf_hash, ConsistencyProof, Hash};
use triage_ledger::note::{SignedCheckpoint, TlogProof, VerifierKey};
use triage_ledger::store::{self, Snapshot, Writer, MAX_ENTRY_SIZE};

use super::common::{load_vkey, read_input, write_stdout};
use super::failure::{CmdResult, Failure};
use triage_ledger::class::Classify;

#[derive(Subcommand)]
pub enum LogCommand {
    /// Print the log's verifier key on one line.
    Vkey {
        /// The ledger directory.
        #[arg(env = "TRIAGE_LEDGER_LEDGER")]
        ledger: PathBuf,
    },
    /// Append entries and commit them under one new checkpoint, printed on stdout.
    #[command(group(ArgGroup::new("input").required(true).args(["files", "lines"])))]
    Append {
        /// The ledger directory.
        ledger: PathBuf,
        /// Files, each one entry (`-` reads one entry from stdin).
        files: Vec<PathBuf>,
        /// Read entries from stdin, one per line (without its newline).
        #[arg(long, conflicts_with = "files")]
        lines: bool,
        #[command(flatten)]
        wait: super::common::WaitArgs,
    },
    /// Print the latest signed checkpoint.
    Checkpoint {
        /// The ledger directory.
        #[arg(env = "TRIAGE_LEDGER_LEDGER")]
        ledger: PathBuf,
    },
    /// Print a proof against the latest checkpoint: inclusion (c2sp.org/tlog-proof)
    /// with --index, consistency (base64 hashes, one a line) with --from.
    #[command(group(ArgGroup::new("what").required(true).args(["index", "from"])))]
    Prove {
        /// The ledger directory.
        #[arg(env = "TRIAGE_LEDGER_LEDGER")]
        ledger: PathBuf,
        /// Index of the entry to prove.
        #[arg(long)]
        index: Option<u64>,
        /// Size of the older tree to prove consistency from.
        #[arg(long)]
        from: Option<u64>,
    },
    /// Print one entry's bytes as the log holds them (a confidential ledger's
    /// statements are commitments).
    Get {
        /// The ledger directory.
        #[arg(env = "TRIAGE_LEDGER_LEDGER")]
        ledger: PathBuf,
        /// Index of the entry.
        #[arg(long)]
        index: u64,
    },
    /// Verify a tlog-proof for an entry, offline.
    VerifyInclusion {
        /// The log's verifier key, or a file holding it.
        #[arg(long)]
        vkey: String,
        /// The proof (c2sp.org/tlog-proof), `-` for stdin.
        #[arg(long)]
        proof: PathBuf,
        /// The entry's bytes.
        #[arg(long)]
        entry: PathBuf,
        /// For a confidential ledger: the salt (64 hex digits) that makes the
        /// statement's commitment leaf, which is what the log holds (`log prove`
        /// prints it; a receipt carries it).
        #[arg(long)]
        salt: Option<String>,
    },
    /// Verify that one checkpoint's tree is a prefix of another's, offline.
    VerifyConsistency {
        /// The log's verifier key, or a file holding it.
        #[arg(long)]
        vkey: String,
        /// The older checkpoint.
        #[arg(long)]
        old: PathBuf,
        /// The newer checkpoint.
        #[arg(long)]
        new: PathBuf,
        /// The proof: base64 hashes, one a line (`-` for stdin).
        #[arg(long)]
        proof: PathBuf,
    },
    /// Move the public tree to a bucket (s3://BUCKET/PREFIX) or back to LEDGER/log, auditing it.
    Migrate {
        /// The ledger directory.
        #[arg(env = "TRIAGE_LEDGER_LEDGER")]
        ledger: PathBuf,
        /// The new public tree: s3://BUCKET/PREFIX, or LEDGER/log.
        #[arg(long)]
        public: String,
        /// The lock for a bucket that does not enforce conditional writes: postgres://USER@HOST:PORT/DB.
        #[arg(long)]
        lock: Option<String>,
    },
    /// Freeze the log at its latest checkpoint: the log key signs a final note
    /// (LEDGER/log/frozen); every append after is refused. Witnesses may still
    /// cosign the final checkpoint; packs made after carry the note.
    Freeze {
        /// The ledger directory.
        ledger: PathBuf,
        /// The log that takes its appends from now: its verifier key, or a file
        /// holding it (the successor's LEDGER/vkey).
        #[arg(long)]
        successor: Option<String>,
        /// Why, in one line (signed into the note).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Have a time-stamping authority (RFC 3161) stamp the latest checkpoint; the
    /// token, checked against the trust directory's TSAs, is kept in
    /// LEDGER/log/timestamps/SIZE and packs carry it ("existed by T").
    Timestamp {
        /// The ledger directory.
        ledger: PathBuf,
        /// The TSA's URL (RFC 3161 over HTTP).
        #[arg(long)]
        tsa: String,
        /// The trust directory whose tsa/*.pem are the TSAs trusted.
        #[arg(long, env = "TRIAGE_LEDGER_TRUST")]
        trust: PathBuf,
    },
    /// Hand the log key over to a new key: the latest tree is signed by both, a
    /// rotation note signed by both goes to LEDGER/log/rotations/, and the new key
    /// signs from then on (the old key's file is removed). Give witnesses and
    /// verifiers the new key (`log vkey`); packs carry the note.
    Rotate {
        /// The ledger directory.
        ledger: PathBuf,
        /// The new key in a PKCS#11 token (pkcs11:URI); without it, a new key
        /// file is made (LEDGER/private/log.key).
        #[arg(long)]
        new_key: Option<String>,
    },
    /// Name a frozen ledger as this one's predecessor: its key and final tree,
    /// signed by this log's key (LEDGER/log/predecessor), carried by its packs.
    NamePredecessor {
        /// This (the successor) ledger's directory.
        ledger: PathBuf,
        /// The frozen ledger it continues.
        #[arg(long)]
        predecessor: PathBuf,
    },
    /// Re-read every entry, recompute every tile and the root, check the checkpoint.
    #[command(group(clap::ArgGroup::new("tree").required(true).args(["ledger", "url"])))]
    Audit {
        /// The ledger directory, or a public tree in object storage (s3://BUCKET/PREFIX, with --vkey).
        ledger: Option<PathBuf>,
        /// Audit the tree served at this URL (tlog-tiles: a `serve`, or a static copy of log/) instead, with --vkey.
        #[arg(long, conflicts_with = "ledger", requires = "vkey")]
        url: Option<String>,
        /// The log's verifier key, or a file that holds it (with --url or s3://).
        #[arg(long)]
        vkey: Option<String>,
    },
}

pub fn run(cmd: LogCommand) -> CmdResult {
    match cmd {
        LogCommand::Vkey { ledger } => {
            say!("{}", Snapshot::open(&ledger)?.vkey());
            Ok(())
        }
        LogCommand::Append {
            ledger,
            files,
            lines,
            wait,
        } => append(&ledger, &files, lines, &wait),
        LogCommand::Migrate {
            ledger,
            public,
            lock,
        } => migrate(&ledger, &public, lock.as_deref()),
        LogCommand::Freeze {
            ledger,
            successor,
            reason,
        } => super::lifecycle::freeze(&ledger, successor.as_deref(), reason),
        LogCommand::Timestamp { ledger, tsa, trust } => {
            let tsa = super::lifecycle::tsa_client(&tsa, &trust)?;
            super::lifecycle::timestamp(&triage_ledger::ledger::Ledger::open(&ledger)?, &tsa)
        }
        LogCommand::Rotate { ledger, new_key } => {
            super::lifecycle::rotate(&ledger, new_key.as_deref())
        }
        LogCommand::NamePredecessor {
            ledger,
            predecessor,
        } => super::lifecycle::name_predecessor(&ledger, &predecessor),
        LogCommand::Checkpoint { ledger } => {
            let l = Snapshot::open(&ledger)?;
            write_stdout(&l.checkpoint().to_bytes())
        }
        LogCommand::Prove {
            ledger,
            index,
            from,
        } => prove(&ledger, index, from),
        LogCommand::Get { ledger, index } => {
            // The entry as the log holds it: for a confidential ledger, a
            // statement's commitment (its statement is read by role).
            let l = Snapshot::open(&ledger)?;
            write_stdout(&l.read_leaf(index)?)
        }
        LogCommand::VerifyInclusion {
            vkey,
            proof,
            entry,
            salt,
        } => verify_inclusion(&vkey, &proof, &entry, salt.as_deref()),
        LogCommand::VerifyConsistency {
            vkey,
            old,
            new,
            proof,
        } => verify_consistency(&vkey, &old, &new, &proof),
        LogCommand::Audit { ledger, url, vkey } => {
            let object = ledger
                .as_deref()
                .and_then(Path::to_str)
                .filter(|l| store::is_object_url(l))
                .map(str::to_string);
            match (ledger, url, vkey, object) {
                (_, _, Some(vkey), Some(location)) => super::audit::audit_object(&location, &vkey),
                (Some(ledger), None, None, None) => super::audit::audit(&ledger),
                (None, Some(url), Some(vkey), None) => super::audit::audit_remote(&url, &vkey),
                _ => Err(Failure::input(
                    "give LEDGER, s3://BUCKET/PREFIX --vkey KEY, or --url URL --vkey KEY",
                )),
            }
        }
    }
}

pub fn init(
    ledger: &Path,
    origin: &str,
    trust_root: Option<&Path>,
    public: Option<&str>,
    lock: Option<&str>,
    records: Option<super::commands::Records>,
    log_key: Option<&str>,
) -> CmdResult {
    use super::commands::Records;
    let public = public.filter(|p| !same_dir(Path::new(p), &ledger.join("log")));
    if records == Some(Records::Confidential) && trust_root.is_none() {
        return Err(Failure::input(
            "--records confidential: a confidential ledger admits statements through the registration policy; give --trust-root ROOT.pem",
        ));
    }
    // A policy ledger is confidential unless its records are chosen public.
    let confidential = trust_root.is_some() && records != Some(Records::Public);
    if let Some(p) = public {
        lasting_bucket(p)?;
    }
    if let Some(p) = public.filter(|p| !store::is_object_url(p)) {
        return Err(Failure::input(format!(
            "--public {p}: a public tree is the ledger's own log/ directory or s3://BUCKET/PREFIX"
        )));
    }
    if lock.is_some() && public.is_none() {
        return Err(Failure::input(
            "--lock guards a public tree in object storage; give --public s3://BUCKET/PREFIX too",
        ));
    }
    let root_pem = match trust_root {
        Some(p) => {
            let cert = super::common::load_cert(p)?;
            if !cert.is_ca() {
                return Err(Failure::input(format!(
                    "{}: {} is not a CA certificate",
                    p.display(),
                    cert.subject()
                )));
            }
            Some(cert.to_pem())
        }
        None => None,
    };
    let existed = ledger.exists();
    let vkey = match log_key {
        Some(uri) => store::init_with_token(ledger, origin, uri)?,
        None => store::init(ledger, origin)?,
    };
    if let Some(pem) = root_pem {
        store::install_trust_root(ledger, pem.as_bytes())?;
    }
    if confidential {
        store::confidential::make_confidential(ledger, origin)?;
    }
    let published = match public {
        None => None,
        Some(p) => match store::publish_new(ledger, p, lock) {
            Ok(done) => Some(done),
            Err(e) => {
                // Nothing else refers to the directory just made.
                if existed {
                    clear_dir(ledger);
                } else {
                    let _ = std::fs::remove_dir_all(ledger);
                }
                return Err(match e {
                    store::StoreError::LockRequired { .. } => Failure::from(e)
                        .hint("give --lock postgres://USER@HOST:PORT/DB: the checkpoint is then swapped in PostgreSQL"),
                    e => e.into(),
                });
            }
        },
    };
    say!("{vkey}");
    tell!("created ledger {} (log {origin}, size 0)", ledger.display());
    if confidential {
        tell!(
            "confidential: the public tree holds commitments and labels only; verifiers need {} in their trust directory",
            ledger.join("labels.vrf").display()
        );
    }
    match published {
        None => tell!(
            "public tree: {} (serve it as is); keep {} secret",
            ledger.join("log").display(),
            ledger.join("private").display()
        ),
        Some(p) => tell!(
            "public tree: {} (lock: {}); {} is this sequencer's copy; keep {} secret",
            p.public,
            p.lock,
            ledger.join("log").display(),
            ledger.join("private").display()
        ),
    }
    Ok(())
}

fn same_dir(a: &Path, b: &Path) -> bool {
    a == b
        || (std::fs::canonicalize(a).ok().is_some()
            && std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok())
}

fn clear_dir(dir: &Path) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
}

/// Refuses a bucket in memory (`memory://`, the library's test store) as a
/// ledger's public tree: it would vanish when this command ends.
fn lasting_bucket(public: &str) -> Result<(), Failure> {
    if public.starts_with(store::memory::SCHEME) {
        return Err(Failure::input(format!(
            "--public {public}: a bucket in memory lasts only as long as one process (it is the library's test store); give s3://BUCKET/PREFIX or the ledger's log/ directory"
        )));
    }
    Ok(())
}

/// `log migrate LEDGER --public NEW [--lock URL]`.
fn migrate(ledger: &Path, to: &str, lock: Option<&str>) -> CmdResult {
    lasting_bucket(to)?;
    let to = if same_dir(Path::new(to), &ledger.join("log")) {
        ledger.join("log").to_string_lossy().into_owned()
    } else {
        to.to_string()
    };
    let r = store::migrate(ledger, &to, lock).map_err(|e| match e {
        store::StoreError::LockRequired { .. } => Failure::from(e)
            .hint("give --lock postgres://USER@HOST:PORT/DB: the checkpoint is then swapped in PostgreSQL"),
        e => super::audit::audit_failure(e),
    })?;
    say!("the public tree at {to}:");
    super::audit::print_audit(&r);
    say!("migrated: {} is now the ledger's public tree", to);
    Ok(())
}

fn append(
    ledger: &Path,
    files: &[PathBuf],
    lines: bool,
    wait: &super::common::WaitArgs,
) -> CmdResult {
    let on_wait = wait.on_wait(super::common::waiting(ledger));
    if store::read_config(ledger)?.is_some() {
        return append_published(ledger, files, lines, on_wait);
    }
    let mut w = Writer::open_with(ledger, true, on_wait)?;
    for warning in w.warnings() {
        tell!("warning: {warning}");
    }
    let first = w.size();
    if lines {
        append_lines(&mut w)?;
    } else {
        for f in files {
            let data = read_input(f, MAX_ENTRY_SIZE as u64).map_err(|e| {
                Failure::input(format!("{} (nothing was appended)", e.message))
                    .hint("log a signed statement that carries the file's digest, not the file")
            })?;
            w.append(&data)?;
        }
    }
    let count = w.size() - first;
    let cp = w.commit()?.clone();
    write_stdout(&cp.to_bytes())?;
    if count == 0 {
        tell!("nothing to append; tree size stays {}", cp.root().size());
    } else {
        tell!(
            "appended {count} entries (indexes {first}..={}); tree size {}",
            first + count - 1,
            cp.root().size()
        );
    }
    Ok(())
}

/// `log append` on a ledger whose public tree is in object storage: the
/// entries are read as they come and committed in batches
/// (`store::append_stream`), each retried if another sequencer commits
/// first. An error after some batches were committed says so.
fn append_published(
    ledger: &Path,
    files: &[PathBuf],
    lines: bool,
    on_wait: store::OnWait,
) -> CmdResult {
    let mut stdin = BufReader::with_capacity(1 << 20, std::io::stdin().lock());
    let mut files = files.iter();
    let mut line_no = 0u64;
    let mut next = || -> Result<Option<Vec<u8>>, Failure> {
        if !lines {
            return files
                .next()
                .map(|f| {
                    read_input(f, MAX_ENTRY_SIZE as u64).map_err(|e| {
                        Failure::input(e.message).hint(
                            "log a signed statement that carries the file's digest, not the file",
                        )
                    })
                })
                .transpose();
        }
        let mut line = Vec::new();
        let n = (&mut stdin)
            .take(MAX_ENTRY_SIZE as u64 + 2)
            .read_until(b'\n', &mut line)
            .map_err(|e| Failure::input(format!("stdin: {e}")))?;
        if n == 0 {
            return Ok(None);
        }
        line_no += 1;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.len() > MAX_ENTRY_SIZE {
            return Err(Failure::input(format!(
                "stdin line {line_no} is over {MAX_ENTRY_SIZE} bytes, the limit of a log entry"
            )));
        }
        Ok(Some(line))
    };
    let mut done = store::Appended::default();
    let result = store::append_stream(ledger, &mut done, &mut next, on_wait);
    if let Err(e) = result {
        let committed = match &done.checkpoint {
            None => " (nothing was appended)".to_string(),
            Some(cp) => format!(
                " ({} entries before it were committed; tree size {})",
                done.count,
                cp.root().size()
            ),
        };
        return Err(Failure {
            message: format!("{}{committed}", e.message),
            ..e
        });
    }
    let cp = done.checkpoint.expect("committed at least once");
    write_stdout(&cp.to_bytes())?;
    if done.count == 0 {
        tell!("nothing to append; tree size stays {}", cp.root().size());
    } else {
        tell!(
            "appended {} entries (the first at index {}); tree size {}",
            done.count,
            done.first,
            cp.root().size()
        );
    }
    Ok(())
}

/// Streams stdin line by line into the writer, never holding more than one
/// line (≤ 65535 bytes) beyond the read buffer.
fn append_lines(w: &mut Writer) -> CmdResult {
    let stdin = std::io::stdin();
    let mut reader = BufReader::with_capacity(1 << 20, stdin.lock());
    let mut pending: Vec<u8> = Vec::new();
    let mut line_no: u64 = 0;
    let too_long = |line_no: u64, len: usize| {
        Failure::input(format!("stdin line {line_no} is {len} bytes or more; log entries are at most {MAX_ENTRY_SIZE} bytes (nothing was appended)"))
    };
    loop {
        let buf = reader
            .fill_buf()
            .map_err(|e| Failure::input(format!("stdin: {e}")))?;
        if buf.is_empty() {
            if !pending.is_empty() {
                w.append(&pending)?;
            }
            return Ok(());
        }
        let mut consumed = 0;
        while let Some(pos) = memchr::memchr(b'\n', &buf[consumed..]) {
            line_no += 1;
            let line = &buf[consumed..consumed + pos];
            if pending.is_empty() {
                if line.len() > MAX_ENTRY_SIZE {
                    return Err(too_long(line_no, line.len()));
                }
                w.append(line)?;
            } else {
                pending.extend_from_slice(line);
                if pending.len() > MAX_ENTRY_SIZE {
                    return Err(too_long(line_no, pending.len()));
                }
                w.append(&pending)?;
                pending.clear();
            }
            consumed += pos + 1;
        }
        pending.extend_from_slice(&buf[consumed..]);
        let len = buf.len();
        reader.consume(len);
        if pending.len() > MAX_ENTRY_SIZE {
            return Err(too_long(line_no + 1, pending.len()));
        }
    }
}

fn prove(ledger: &Path, index: Option<u64>, from: Option<u64>) -> CmdResult {
    let l = Snapshot::open(ledger)?;
    let size = l.checkpoint().root().size();
    if let Some(i) = index {
        if i >= size {
            return Err(Failure::input(format!(
                "entry {i} is not in the log (tree size {size})"
            )));
        }
        let p = l.prove_inclusion(i)?;
        let text = TlogProof::new(&p, l.checkpoint()).map_err(|e| Failure::input(e.to_string()))?;
        if let Some(o) = l.read_opening(i)? {
            tell!(
                "entry {i} is a statement's commitment (a confidential ledger): verify the statement with --salt {}",
                triage_ledger::hex::encode(&o.salt)
            );
        }
        return write_stdout(text.to_text().as_bytes());
    }
    let m = from.unwrap_or(0);
    if m > size {
        return Err(Failure::input(format!(
            "--from {m} is larger than the tree size {size}"
        )));
    }
    let p = l.prove_consistency(m)?;
    let mut out = String::new();
    for h in p.path() {
        out.push_str(&h.to_base64());
        out.push('\n');
    }
    write_stdout(out.as_bytes())
}

fn verify_inclusion(vkey: &str, proof: &Path, entry: &Path, salt: Option<&str>) -> CmdResult {
    let vkey = load_vkey(vkey)?;
    let salt = match salt {
        None => None,
        Some(h) => Some(
            triage_ledger::hex::decode(h)
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| {
                    Failure::input(format!("--salt {h:?}: expected 64 hexadecimal digits"))
                })?,
        ),
    };
    let proof_bytes = read_input(proof, 256 * 1024)?;
    let parsed = TlogProof::parse(&proof_bytes)
        .map_err(|e| Failure::input(format!("{}: {e}", proof.display())))?;
    let mut entry_bytes = read_input(entry, MAX_ENTRY_SIZE as u64)?;
    if let Some(salt) = &salt {
        entry_bytes = triage_ledger::commitment::leaf(salt, &entry_bytes).to_vec();
    }
    match parsed.verify(&entry_bytes, &vkey) {
        Ok(cp) => {
            say!(
                "ok: checkpoint signed by {} (key id {})",
                vkey.name(),
                vkey.id()
            );
            say!(
                "ok: {}{} ({} bytes, leaf hash {}) is entry {} of tree size {} (root {})",
                entry.display(),
                if salt.is_some() {
                    ", committed with the salt given,"
                } else {
                    ""
                },
                entry_bytes.len(),
                leaf_hash(&entry_bytes),
                parsed.index(),
                cp.root().size(),
                cp.root().hash()
            );
            say!("not checked: witness cosignatures (no witness policy given), so a split view is not excluded");
            say!("verified");
            Ok(())
        }
        Err(e) if e.is_verdict() => Err(Failure::verification(format!("not verified: {e}"))),
        Err(e) => Err(Failure::input(format!("{}: {e}", proof.display()))),
    }
}

fn open_checkpoint(path: &Path, vkey: &VerifierKey) -> Result<SignedCheckpoint, Failure> {
    let bytes = read_input(path, 256 * 1024)?;
    SignedCheckpoint::open(&bytes, vkey).map_err(|e| {
        let mut f = Failure::of(&e);
        f.message = format!("{}: {e}", path.display());
        f
    })
}

fn verify_consistency(vkey: &str, old: &Path, new: &Path, proof: &Path) -> CmdResult {
    let vkey = load_vkey(vkey)?;
    let old_cp = open_checkpoint(old, &vkey)?;
    let new_cp = open_checkpoint(new, &vkey)?;
    let text = read_input(proof, 64 * 1024)?;
    let text = String::from_utf8(text)
        .map_err(|_| Failure::input(format!("{}: not UTF-8 text", proof.display())))?;
    let mut path = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        path.push(
            Hash::from_base64(line)
                .map_err(|e| Failure::input(format!("{} line {}: {e}", proof.display(), n + 1)))?,
        );
    }
    let (o, n) = (old_cp.root(), new_cp.root());
    if o.size() > n.size() {
        return Err(Failure::input(format!(
            "--old has tree size {} which is larger than --new's {}; swap them",
            o.size(),
            n.size()
        )));
    }
    let p = ConsistencyProof::new(o.size(), n.size(), path);
    say!(
        "ok: both checkpoints signed by {} (key id {})",
        vkey.name(),
        vkey.id()
    );
    match p.verify(o, n) {
        Ok(()) => {
            say!(
                "ok: tree {} (root {}) is a prefix of tree {} (root {})",
                o.size(),
                o.hash(),
                n.size(),
                n.hash()
            );
            say!("not checked: witness cosignatures (no witness policy given)");
            say!("verified");
            Ok(())
        }
        Err(e) if e.is_verdict() => Err(Failure::verification(format!("not verified: {e}"))),
        Err(e) => Err(Failure::input(e.to_string())),
    }
}
