//! Every file the tool writes, recognised and shown as a person reads it
//! (`inspect FILE`): statements and transparent statements (the parent
//! module), receipts, packs, manifests, disclosures, proofs of
//! misbehaviour, checkpoints, certificates, trust policies and witness
//! requests. Each view is text or one JSON object tagged with `"file"`.
//! Inspecting shows what a file *says*; what it checks is listed, and
//! `verify` is what verifies.

use std::path::Path;

use serde::Serialize;

use super::{view_statement, StatementView};
use crate::hex::encode as hex;
use crate::note::VerifierKey;
use crate::verify::utc;

/// What a file is, and what it says.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "file", rename_all = "kebab-case")]
pub enum FileView {
    /// A signed statement, or a transparent statement (with receipts).
    Statement(StatementView),
    /// A receipt on its own.
    Receipt(ReceiptFile),
    /// An evidence pack.
    Pack(PackView),
    /// A bundle's manifest.
    Manifest(ManifestView),
    /// A disclosure of some of a bundle's items.
    Disclosure(DisclosureView),
    /// A proof that a log's index misbehaved.
    Misbehaviour(MisbehaviourView),
    /// A signed checkpoint note (C2SP tlog-checkpoint).
    Checkpoint(CheckpointView),
    /// An X.509 certificate.
    Certificate(CertificateView),
    /// A verifier's trust policy (C2SP tlog-policy).
    TrustPolicy(PolicyView),
    /// A tlog-witness add-checkpoint request.
    WitnessRequest(RequestView),
}

/// Why a file could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// Reading failed.
    #[error("{0}")]
    Io(String),
    /// It is none of the files the tool writes; each reader's complaint.
    #[error("not a file triage-ledger writes or reads: {0}")]
    Unknown(String),
    /// It looks like one kind but is damaged.
    #[error("{kind}: {reason}")]
    Bad {
        /// What it looks like.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// A receipt file.
#[derive(Clone, Debug, Serialize)]
pub struct ReceiptFile {
    /// The log that issued it.
    pub issuer: String,
    /// The entry it proves.
    pub index: u64,
    /// The tree size it proves it against.
    pub tree_size: u64,
    /// Its CWT `sub` (the statement's subject), if it has one.
    pub subject: Option<String>,
    /// When it was issued (RFC 3339, UTC), if it says.
    pub issued_at: Option<String>,
    /// The log key's id (hex).
    pub kid: String,
    /// What a reader should know (a receipt from before RFC 9943).
    pub warnings: Vec<String>,
    /// Hashes in its inclusion proof.
    pub proof_hashes: usize,
    /// What inspecting a receipt alone cannot establish.
    pub not_checked: Vec<String>,
}

/// One statement in a pack.
#[derive(Clone, Debug, Serialize)]
pub struct PackStatement {
    /// Its log index, as its receipt says.
    pub entry: Option<u64>,
    /// Its record kind.
    pub kind: String,
    /// Its issuer.
    pub issuer: String,
    /// Its subject (the facility, or the scheme).
    pub subject: String,
    /// SHA-256 of the statement (hex).
    pub sha256: String,
}

/// A pack, unverified.
#[derive(Clone, Debug, Serialize)]
pub struct PackView {
    /// Its size in bytes.
    pub bytes: usize,
    /// The checkpoint it carries.
    pub checkpoint: CheckpointView,
    /// Its statements.
    pub statements: Vec<PackStatement>,
    /// The older tree size a consistency proof starts from, if any.
    pub consistency_from: Option<u64>,
    /// Whether it carries the log's committed index (its completeness proof).
    pub committed_index: bool,
    /// What was not checked.
    pub not_checked: Vec<String>,
}

/// One manifest item.
#[derive(Clone, Debug, Serialize)]
pub struct ItemView {
    /// Its index in the manifest.
    pub index: u64,
    /// Path in the bundle.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 (hex).
    pub sha256: String,
    /// BLAKE3 (hex).
    pub blake3: String,
}

/// A manifest.
#[derive(Clone, Debug, Serialize)]
pub struct ManifestView {
    /// Items.
    pub items: u64,
    /// Total size of the files.
    pub total_bytes: u64,
    /// The bundle root a seal commits to (hex).
    pub root: String,
    /// SHA-256 of the manifest file (hex), as a seal names it.
    pub sha256: String,
    /// The first items (at most [`MANIFEST_SHOWN`]).
    pub first_items: Vec<ItemView>,
}

/// Items of a manifest listed by `inspect`.
pub const MANIFEST_SHOWN: usize = 1000;

/// A disclosure.
#[derive(Clone, Debug, Serialize)]
pub struct DisclosureView {
    /// Items in the whole bundle.
    pub count: u64,
    /// The disclosed items.
    pub items: Vec<ItemView>,
    /// Hashes in the multi-proof.
    pub proof_hashes: usize,
    /// The root the items and proof lead to (compare with the seal's).
    pub root: Option<String>,
    /// Why the items do not lead to a root.
    pub error: Option<String>,
}

/// A proof of misbehaviour.
#[derive(Clone, Debug, Serialize)]
pub struct MisbehaviourView {
    /// The checkpoint the proven entries are in.
    pub checkpoint: CheckpointView,
    /// The entries: the index entry at fault first, then what it contradicts.
    pub entries: Vec<u64>,
}

/// One signature line of a note.
#[derive(Clone, Debug, Serialize)]
pub struct NoteSignatureView {
    /// The key's name.
    pub name: String,
    /// The key id (hex).
    pub key_id: String,
    /// `ed25519` (a log's signature), `cosignature` (a witness's,
    /// with its time) or `unknown`.
    pub kind: String,
    /// A cosignature's time (RFC 3339, UTC).
    pub time: Option<String>,
    /// Checked against the `--vkey` given: `None` when not checked.
    pub verified: Option<bool>,
}

/// A checkpoint note.
#[derive(Clone, Debug, Serialize)]
pub struct CheckpointView {
    /// The log's origin.
    pub origin: String,
    /// Its tree size.
    pub tree_size: u64,
    /// Its root hash (hex).
    pub root: String,
    /// Its root hash (base64, as in the note).
    pub root_base64: String,
    /// Extension lines.
    pub extensions: Vec<String>,
    /// Signature lines.
    pub signatures: Vec<NoteSignatureView>,
    /// With `--vkey`: whether that key's signature is on it and verifies.
    pub verified: Option<bool>,
}

/// A certificate.
#[derive(Clone, Debug, Serialize)]
pub struct CertificateView {
    /// Subject.
    pub subject: String,
    /// Party (organizationIdentifier).
    pub party: Option<String>,
    /// Issuer.
    pub issuer: String,
    /// Serial number.
    pub serial: String,
    /// Not before (RFC 3339).
    pub not_before: String,
    /// Not after (RFC 3339).
    pub not_after: String,
    /// A CA certificate (the scheme root).
    pub ca: bool,
    /// The roles it grants.
    pub roles: String,
    /// SHA-256 of the DER (hex).
    pub sha256: String,
}

/// A trust policy.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyView {
    /// Trusted logs: `name+keyid`.
    pub logs: Vec<String>,
    /// Witnesses: (policy name, `name+keyid`).
    pub witnesses: Vec<(String, String)>,
    /// The quorum, in words.
    pub quorum: String,
}

/// A witness request.
#[derive(Clone, Debug, Serialize)]
pub struct RequestView {
    /// The size the log believes the witness last cosigned.
    pub old: u64,
    /// Hashes of the consistency proof from there.
    pub proof_hashes: usize,
    /// The checkpoint to cosign.
    pub checkpoint: CheckpointView,
}

/// Reads a file (or `bytes` already read, for standard input) and shows
/// it. `vkey` checks a statement's receipts and a checkpoint's log
/// signature.
pub fn view_file(
    path: &Path,
    bytes: &[u8],
    vkey: Option<&VerifierKey>,
) -> Result<FileView, InspectError> {
    let text = std::str::from_utf8(bytes).ok();
    if let Some(t) = text {
        if t.trim_start().starts_with("-----BEGIN CERTIFICATE-----") {
            return certificate(crate::identity::Certificate::from_pem(bytes));
        }
        if t.starts_with("old ") {
            let r = crate::witness::AddCheckpoint::parse(bytes)
                .map_err(|e| bad("witness request", e))?;
            return Ok(FileView::WitnessRequest(RequestView {
                old: r.old,
                proof_hashes: r.proof.len(),
                checkpoint: checkpoint(&r.checkpoint, vkey)?,
            }));
        }
        if t.lines()
            .any(|l| l.starts_with("log ") || l.starts_with("quorum "))
        {
            let p = crate::note::Policy::parse(bytes).map_err(|e| bad("trust policy", e))?;
            return Ok(FileView::TrustPolicy(PolicyView {
                logs: p
                    .logs()
                    .iter()
                    .map(|k| format!("{}+{}", k.name(), k.id()))
                    .collect(),
                witnesses: p
                    .witnesses()
                    .iter()
                    .map(|w| (w.name.clone(), format!("{}+{}", w.key.name(), w.key.id())))
                    .collect(),
                quorum: p.describe_quorum(),
            }));
        }
        if t.contains("\n\n\u{2014} ") {
            return checkpoint(bytes, vkey).map(FileView::Checkpoint);
        }
    }
    // Binary: CBOR. A map with a type names itself; an item map is a
    // manifest's first item; an array or tag 18 is COSE_Sign1.
    let mut complaints = Vec::new();
    let first: Option<ciborium::Value> = ciborium::from_reader(bytes).ok();
    if let Some(ciborium::Value::Map(m)) = &first {
        let ty = crate::cbor::get(m, "type").and_then(|v| v.as_text());
        match ty {
            Some(crate::verify::PACK_TYPE) => return pack(bytes),
            Some(crate::bundle::DISCLOSURE_TYPE) => return disclosure(bytes),
            Some(crate::verify::MISBEHAVIOUR_TYPE) => {
                let m = crate::verify::Misbehaviour::parse(bytes)
                    .map_err(|e| bad("proof of misbehaviour", e))?;
                return Ok(FileView::Misbehaviour(MisbehaviourView {
                    checkpoint: checkpoint(&m.checkpoint, vkey)?,
                    entries: m.entries.iter().map(|e| e.index).collect(),
                }));
            }
            _ => {}
        }
        if crate::cbor::get(m, "path").is_some() && crate::cbor::get(m, "salt").is_some() {
            if crate::output::is_stdout(path) {
                return Err(InspectError::Io(
                    "a manifest is read from its file, not from standard input".into(),
                ));
            }
            return manifest(path);
        }
    }
    match view_statement(bytes, vkey) {
        Ok(v) => return Ok(FileView::Statement(v)),
        Err(e) => complaints.push(format!("as a statement: {e}")),
    }
    match crate::cose::Receipt::parse(bytes) {
        Ok(r) => return Ok(receipt(&r)),
        Err(e) => complaints.push(format!("as a receipt: {e}")),
    }
    if let Ok(c) = crate::identity::Certificate::from_der(bytes) {
        return certificate(Ok(c));
    }
    Err(InspectError::Unknown(complaints.join("; ")))
}

fn bad(kind: &'static str, e: impl std::fmt::Display) -> InspectError {
    InspectError::Bad {
        kind,
        reason: e.to_string(),
    }
}

fn receipt(r: &crate::cose::Receipt) -> FileView {
    FileView::Receipt(ReceiptFile {
        issuer: r.issuer().to_string(),
        index: r.proof().index(),
        tree_size: r.proof().size(),
        subject: r.subject().map(str::to_string),
        issued_at: r.issued_at().map(utc),
        kid: hex(r.kid()),
        warnings: r.warnings(),
        proof_hashes: r.proof().path().len(),
        not_checked: vec![
            "the receipt's signature and proof: they are over its statement's leaf; inspect the transparent statement with --vkey, or run `log verify-inclusion`".into(),
        ],
    })
}

fn certificate(
    c: Result<crate::identity::Certificate, crate::identity::IdentityError>,
) -> Result<FileView, InspectError> {
    let c = c.map_err(|e| bad("certificate", e))?;
    let v = c.validity();
    Ok(FileView::Certificate(CertificateView {
        subject: c.subject().to_string(),
        party: c.party().map(str::to_string),
        issuer: c.issuer().to_string(),
        serial: c.serial().to_string(),
        not_before: utc(u64::try_from(v.not_before).unwrap_or(0)),
        not_after: utc(u64::try_from(v.not_after).unwrap_or(0)),
        ca: c.is_ca(),
        roles: c.role_names(),
        sha256: hex(&c.fingerprint()),
    }))
}

/// A checkpoint note's fields and signature lines, read without trusting
/// any key; with `vkey`, the log's signature line is checked.
pub fn checkpoint(
    bytes: &[u8],
    vkey: Option<&VerifierKey>,
) -> Result<CheckpointView, InspectError> {
    use base64::Engine;
    let note = crate::note::Note::parse(bytes).map_err(|e| bad("checkpoint", e))?;
    let cp = crate::note::Checkpoint::parse(note.text()).map_err(|e| bad("checkpoint", e))?;
    let verified_by = vkey.and_then(|k| {
        crate::note::SignedCheckpoint::open(bytes, k)
            .ok()
            .map(|_| k)
    });
    let signatures = note
        .signatures()
        .iter()
        .map(|s| {
            let sig = s.signature();
            let (kind, time) = match sig.len() {
                64 => ("ed25519", None),
                72 => {
                    let t = u64::from_be_bytes(sig[..8].try_into().unwrap_or([0; 8]));
                    ("cosignature", Some(utc(t)))
                }
                _ => ("unknown", None),
            };
            let verified = vkey
                .filter(|k| kind == "ed25519" && k.name() == s.name() && k.id() == s.id())
                .map(|_| verified_by.is_some());
            NoteSignatureView {
                name: s.name().to_string(),
                key_id: s.id().to_string(),
                kind: kind.to_string(),
                time,
                verified,
            }
        })
        .collect();
    Ok(CheckpointView {
        origin: cp.origin().to_string(),
        tree_size: cp.size(),
        root: cp.root().hash().to_hex(),
        root_base64: base64::engine::general_purpose::STANDARD.encode(cp.root().hash().as_bytes()),
        extensions: cp.extensions().to_vec(),
        signatures,
        verified: vkey.map(|_| verified_by.is_some()),
    })
}

fn pack(bytes: &[u8]) -> Result<FileView, InspectError> {
    use sha2::Digest;
    let p = crate::verify::Pack::parse(bytes).map_err(|e| bad("pack", e))?;
    let statements = p
        .statements
        .iter()
        .map(|t| match crate::cose::split_transparent(t) {
            Ok(t) => {
                let (st, receipts) = (t.statement, t.receipts);
                let h = st.header();
                PackStatement {
                    entry: receipts.first().map(|r| r.proof().index()),
                    kind: crate::record::Record::decode(&h.content_type, st.payload())
                        .map_or("unknown".into(), |r| r.kind().name().to_string()),
                    issuer: h.issuer.clone(),
                    subject: h.subject.clone(),
                    sha256: hex(&sha2::Sha256::digest(st.bytes())),
                }
            }
            Err(e) => PackStatement {
                entry: None,
                kind: format!("unreadable: {e}"),
                issuer: String::new(),
                subject: String::new(),
                sha256: hex(&sha2::Sha256::digest(t)),
            },
        })
        .collect();
    Ok(FileView::Pack(PackView {
        bytes: bytes.len(),
        checkpoint: checkpoint(&p.checkpoint, None)?,
        statements,
        consistency_from: p.consistency.as_ref().map(|c| c.from.size()),
        committed_index: p.history.is_some(),
        not_checked: vec![
            "everything: this lists what the pack says; `triage-ledger verify PACK --trust DIR` checks it".into(),
        ],
    }))
}

fn item_view(index: u64, i: &crate::bundle::Item) -> ItemView {
    ItemView {
        index,
        path: i.path.clone(),
        size: i.size,
        sha256: hex(&i.sha256),
        blake3: hex(&i.blake3),
    }
}

fn manifest(path: &Path) -> Result<FileView, InspectError> {
    let mut r = crate::bundle::ManifestReader::open(path).map_err(|e| bad("manifest", e))?;
    let (mut n, mut total, mut first) = (0u64, 0u64, Vec::new());
    while let Some(i) = r.next_item().map_err(|e| bad("manifest", e))? {
        if first.len() < MANIFEST_SHOWN {
            first.push(item_view(n, &i));
        }
        total += i.size;
        n += 1;
    }
    let (root, sha) = r.summary();
    Ok(FileView::Manifest(ManifestView {
        items: n,
        total_bytes: total,
        root: root.hash().to_hex(),
        sha256: hex(&sha),
        first_items: first,
    }))
}

fn disclosure(bytes: &[u8]) -> Result<FileView, InspectError> {
    let d = crate::bundle::Disclosure::parse(bytes).map_err(|e| bad("disclosure", e))?;
    let (items, root, error) = match d.open() {
        Ok(o) => (
            o.items.iter().map(|(i, it)| item_view(*i, it)).collect(),
            Some(o.root.to_hex()),
            None,
        ),
        Err(e) => (Vec::new(), None, Some(e.to_string())),
    };
    Ok(FileView::Disclosure(DisclosureView {
        count: d.count,
        items,
        proof_hashes: d.proof.len(),
        root,
        error,
    }))
}
