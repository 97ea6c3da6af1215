//! What the fuzz targets share: the demo world they check soundness
//! against, loaded once per process.
//!
//! `fuzz/seeds.sh` builds the demo (`triage-ledger demo fuzz/work/demo`)
//! and the seed corpora from it. The targets read the demo's trust
//! directory, its genuine log (verified here against its checkpoint), its
//! witnesses, manifests and the committed demo certificates, so that they
//! can assert more than "no panic": nothing the fuzzer makes up may verify
//! as a statement, checkpoint, receipt, cosignature, certificate or
//! disclosure the demo did not really sign — the fuzzer holds no private
//! key except the committed demo identities used by the `admit` target.
//!
//! `TRIAGE_FUZZ_DEMO` overrides where the demo is.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use triage_ledger::bundle::{read_manifest, Item, Sealed};
use triage_ledger::cbor;
use triage_ledger::identity::Certificate;
use triage_ledger::merkle::{leaf_hash, Hash, MemoryTree, RootHash};
use triage_ledger::note::{Note, NoteSignature, SignedCheckpoint, VerifierKey};
use triage_ledger::store::{DirTree, OpenTree, PublicTree, RightEdge, StoreError};
use triage_ledger::verify::{Pack, Trust};

/// The demo world.
pub struct Demo {
    /// Where it is.
    pub dir: PathBuf,
    /// `DIR/trust`: the scheme root and the policy (the log, two
    /// witnesses, a quorum of one).
    pub trust: Trust,
    /// The log's verifier key.
    pub log_key: VerifierKey,
    /// The witnesses' cosigning keys.
    pub witness_keys: Vec<VerifierKey>,
    /// The latest checkpoint note, verbatim.
    pub checkpoint: Vec<u8>,
    /// It, opened.
    pub signed: SignedCheckpoint,
    /// An older checkpoint of the same log (from the demo's first pack).
    pub old_checkpoint: Vec<u8>,
    /// Every log entry, read from the tiles and checked against the checkpoint.
    pub entries: Vec<Vec<u8>>,
    /// The same, as a set.
    pub entry_set: HashSet<Vec<u8>>,
    /// Every signed statement the demo made: the log's, and the refused
    /// ones in `DIR/statements`.
    pub statements: HashSet<Vec<u8>>,
    /// The log as a tree (its root at any size up to the checkpoint's).
    pub tree: MemoryTree,
    /// The entries' leaf hashes.
    pub leaves: Vec<Hash>,
    /// Every root the log had, with its size.
    pub roots: std::collections::HashMap<Hash, u64>,
    /// Every object of the public log (`checkpoint`, `tile/...`), by path.
    pub log_objects: BTreeMap<String, Vec<u8>>,
    /// Each manifest of `DIR/manifests`: its items and its seal.
    pub manifests: Vec<(Vec<Item>, Sealed)>,
    /// Fingerprints of the committed demo certificates (`keys/*.pem`): the
    /// only ones the demo root ever signed.
    pub certs: HashSet<[u8; 32]>,
    /// Every signature line of every genuine note the demo holds (the
    /// ledger's checkpoint, the packs' checkpoints, the witnesses' states).
    /// (as lines, `— name base64`).
    pub note_signatures: HashSet<String>,
}

/// The demo directory (`TRIAGE_FUZZ_DEMO`, else `fuzz/work/demo`).
pub fn demo_dir() -> PathBuf {
    match std::env::var_os("TRIAGE_FUZZ_DEMO") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("work/demo"),
    }
}

/// The repository's `keys/` directory (the committed demo identities).
pub fn keys_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../keys")
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (build the demo and the seeds first: fuzz/seeds.sh)",
            p.display()
        )
    })
}

fn files_under(dir: &Path, rel: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir.join(rel))
        .unwrap_or_else(|e| panic!("{}/{rel}: {e}", dir.display()))
        .map(|e| e.expect("directory entry"))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().into_string().expect("UTF-8 name");
        let r = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if e.file_type().expect("file type").is_dir() {
            files_under(dir, &r, out);
        } else {
            out.insert(r, read(&e.path()));
        }
    }
}

/// The demo, loaded on first use.
pub fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| load(&demo_dir()))
}

fn load(dir: &Path) -> Demo {
    let trust = Trust::load(&dir.join("trust"))
        .unwrap_or_else(|e| panic!("{e} (build the demo first: fuzz/seeds.sh)"));
    let log_key = trust.policy.logs()[0].clone();
    let witness_keys: Vec<VerifierKey> = trust
        .policy
        .witnesses()
        .iter()
        .map(|w| w.key.clone())
        .collect();
    let log_dir = dir.join("ledger/log");
    let mut log_objects = BTreeMap::new();
    files_under(&log_dir, "", &mut log_objects);
    let checkpoint = log_objects["checkpoint"].clone();
    let signed = trust
        .policy
        .open_checkpoint(&checkpoint)
        .expect("the demo's checkpoint opens with its trust policy");
    let tree_dir = DirTree::new(&log_dir);
    let open = OpenTree::open(&tree_dir, &log_key).expect("the demo log opens");
    let mut entries = Vec::new();
    open.for_each_entry_from(RightEdge::new(), |_, e| {
        entries.push(e.to_vec());
        Ok(())
    })
    .expect("the demo log's entries hash to its checkpoint");
    let tree = MemoryTree::from_entries(entries.iter());
    assert_eq!(&tree.root(), signed.root());
    let entry_set: HashSet<Vec<u8>> = entries.iter().cloned().collect();
    let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
    let roots = (1..=entries.len() as u64)
        .map(|n| (*tree.root_at(n).expect("a size of the log").hash(), n))
        .collect();
    let mut statements = entry_set.clone();
    for e in std::fs::read_dir(dir.join("statements")).expect("DIR/statements") {
        statements.insert(read(&e.expect("entry").path()));
    }
    let mut notes = vec![checkpoint.clone()];
    let mut old_checkpoint = None;
    for e in std::fs::read_dir(dir.join("packs")).expect("DIR/packs") {
        let p = e.expect("entry").path();
        let pack = Pack::parse(&read(&p)).expect("a demo pack parses");
        let size = Note::parse(&pack.checkpoint)
            .ok()
            .and_then(|n| triage_ledger::note::Checkpoint::parse(n.text()).ok())
            .map(|c| c.size());
        if size < Some(signed.root().size()) && old_checkpoint.is_none() {
            old_checkpoint = Some(pack.checkpoint.clone());
        }
        notes.push(pack.checkpoint);
    }
    for w in std::fs::read_dir(dir.join("witnesses")).expect("DIR/witnesses") {
        let state = w.expect("entry").path().join("state");
        for s in std::fs::read_dir(state).into_iter().flatten() {
            notes.push(read(&s.expect("entry").path()));
        }
    }
    let note_signatures = notes
        .iter()
        .filter_map(|n| Note::parse(n).ok())
        .flat_map(|n| {
            n.signatures()
                .iter()
                .map(NoteSignature::to_line)
                .collect::<Vec<_>>()
        })
        .collect();
    let mut manifests = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(dir.join("manifests"))
        .expect("DIR/manifests")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    for p in names {
        let bytes = read(&p);
        let items = read_manifest(&bytes).expect("a demo manifest reads");
        let mut t = MemoryTree::new();
        for i in &items {
            t.push(leaf_hash(&cbor::to_vec(i).expect("an item encodes")));
        }
        let sealed = Sealed {
            root: *t.root().hash(),
            items: items.len() as u64,
            manifest_sha256: Sha256::digest(&bytes).into(),
        };
        manifests.push((items, sealed));
    }
    let mut certs = HashSet::new();
    for e in std::fs::read_dir(keys_dir()).expect("keys/") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "pem") {
            let c = Certificate::from_pem(&read(&p)).expect("a committed demo certificate");
            certs.insert(c.fingerprint());
        }
    }
    assert!(certs.contains(&trust.root.fingerprint()));
    Demo {
        dir: dir.to_path_buf(),
        trust,
        log_key,
        witness_keys,
        checkpoint,
        signed,
        old_checkpoint: old_checkpoint.expect("a demo pack of an older tree"),
        entries,
        entry_set,
        statements,
        tree,
        leaves,
        roots,
        log_objects,
        manifests,
        certs,
        note_signatures,
    }
}

impl Demo {
    /// Panics unless `root` is the genuine log's root at its size: the
    /// log key signs nothing else, so whatever verified as signed by it
    /// must carry one.
    pub fn assert_genuine_root(&self, root: &RootHash, what: &str) {
        let genuine = self.tree.root_at(root.size()).ok();
        assert_eq!(
            genuine.as_ref(),
            Some(root),
            "{what}: verified as signed by the log, but the log never had this tree head"
        );
    }

    /// Panics unless `root`'s hash is a root the genuine log had at some
    /// size. What a receipt proves alone: RFC 9942 signs the root, not the
    /// tree size or leaf index of the proof (finding F1 in RUNS.md; the
    /// library reports those as claimed, and `verify` of a pack checks them
    /// against the signed checkpoint).
    pub fn assert_genuine_root_hash(&self, root: &RootHash, what: &str) {
        assert!(
            self.roots.contains_key(root.hash()),
            "{what}: verified as signed by the log, but the log never had root {}",
            root.hash()
        );
    }
}

/// A public log held in memory: the demo's objects, with at most one
/// replaced by the fuzzer.
pub struct MemTree<'a> {
    /// The genuine objects.
    pub base: &'a BTreeMap<String, Vec<u8>>,
    /// The object replaced, and its new bytes (`None`: removed).
    pub replaced: Option<(&'a str, Option<&'a [u8]>)>,
}

impl PublicTree for MemTree<'_> {
    fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some((r, bytes)) = self.replaced {
            if r == rel {
                return Ok(bytes.map(<[u8]>::to_vec));
            }
        }
        Ok(self.base.get(rel).cloned())
    }

    fn locate(&self, rel: &str) -> PathBuf {
        PathBuf::from("mem").join(rel)
    }

    fn partial_widths(&self, full_rel: &str) -> Result<Option<Vec<u64>>, StoreError> {
        let prefix = format!("{full_rel}.p/");
        let mut widths: Vec<u64> = self
            .base
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|w| self.get(&format!("{prefix}{w}")).ok().flatten().is_some())
            .filter_map(|w| w.parse().ok())
            .collect();
        widths.sort_unstable();
        Ok(Some(widths))
    }
}

/// Sorts every map's entries by encoded key, recursively: two values that
/// differ only in map order (which a relaxed decode keeps) compare equal.
pub fn normalise(v: &ciborium::Value) -> ciborium::Value {
    use ciborium::Value;
    match v {
        Value::Array(items) => Value::Array(items.iter().map(normalise).collect()),
        Value::Map(entries) => {
            let mut e: Vec<(Vec<u8>, Value, Value)> = entries
                .iter()
                .map(|(k, v)| {
                    let nk = normalise(k);
                    (cbor::encode(&nk).unwrap_or_default(), nk, normalise(v))
                })
                .collect();
            e.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Map(e.into_iter().map(|(_, k, v)| (k, v)).collect())
        }
        Value::Tag(t, inner) => Value::Tag(*t, Box::new(normalise(inner))),
        other => other.clone(),
    }
}

/// A scratch directory for this process (under the system's temporary
/// directory), created empty.
pub fn scratch_dir(name: &str) -> PathBuf {
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    // Those of processes that have ended (libFuzzer exits without
    // unwinding; fork mode starts a process per job).
    let prefix = format!("triage-fuzz-{name}-");
    for e in std::fs::read_dir(&base).into_iter().flatten().flatten() {
        let file_name = e.file_name();
        let pid = file_name.to_str().and_then(|n| n.strip_prefix(&prefix));
        if pid.is_some_and(|p| !Path::new("/proc").join(p).exists()) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    let d = base.join(format!("{prefix}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch directory");
    d
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create directory");
    for e in std::fs::read_dir(from).expect("read directory") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("file type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// A hash that is certainly no node of the demo log.
pub fn bogus_hash() -> Hash {
    Hash::digest(b"triage-ledger fuzz: not a node of any log")
}
