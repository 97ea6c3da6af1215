//! A signed statement as a person reads it (`inspect`): field names, the
//! record as it was signed (byte strings in hex, the scheme's names as the
//! record spells them), times in ISO 8601 UTC, the signer with its party
//! and roles, and what was and was not checked — as text or as one JSON
//! object.

mod files;
mod text;
pub use files::{checkpoint as view_checkpoint, view_file, FileView, InspectError, MANIFEST_SHOWN};

use ciborium::Value;
use serde::Serialize;

use crate::cose::{split_transparent, CoseError};
use crate::note::VerifierKey;

/// What `inspect` says of a statement or transparent statement.
#[derive(Clone, Debug, Serialize)]
pub struct StatementView {
    /// Size of the statement's bytes (without receipts).
    pub bytes: usize,
    /// SHA-256 of those bytes (hex): what the log's entry is.
    pub sha256: String,
    /// The record's kind (`decision`, `seal`, …), or `unknown`.
    pub kind: String,
    /// The content type in the protected header.
    pub content_type: String,
    /// The CWT issuer claim.
    pub issuer: String,
    /// The CWT subject claim (the facility, or the scheme).
    pub subject: String,
    /// When its signer says it signed it (RFC 3339, UTC).
    pub signed_at: String,
    /// The certificate it carries, if readable.
    pub signer: Option<SignerView>,
    /// Whether the signature verifies with that certificate's key.
    pub signature_verifies: bool,
    /// The record (the payload's CBOR, byte strings as hex), if it is one.
    pub record: Option<serde_json::Value>,
    /// Why the payload is not a valid record of its kind.
    pub record_error: Option<String>,
    /// The receipts a transparent statement carries.
    pub receipts: Vec<ReceiptView>,
    /// What a reader should know about the file's form (an old form, a
    /// receipt without `sub`).
    pub warnings: Vec<String>,
    /// What inspecting a file alone cannot establish.
    pub not_checked: Vec<String>,
}

/// The signer's certificate.
#[derive(Clone, Debug, Serialize)]
pub struct SignerView {
    /// Its subject.
    pub subject: String,
    /// Its party (organizationIdentifier), if any.
    pub party: Option<String>,
    /// Its roles.
    pub roles: String,
}

/// One receipt of a transparent statement.
#[derive(Clone, Debug, Serialize)]
pub struct ReceiptView {
    /// The log that issued it.
    pub issuer: String,
    /// Its CWT `sub` (the statement's subject), if it has one.
    pub subject: Option<String>,
    /// The entry it proves.
    pub index: u64,
    /// The tree size it proves it against.
    pub tree_size: u64,
    /// `None` when no log key was given to check it with.
    pub verified: Option<bool>,
    /// The name of the log key it was checked with.
    pub checked_with: Option<String>,
    /// The root it proves the statement into, when verified.
    pub root: Option<String>,
    /// Why it does not verify.
    pub error: Option<String>,
}

/// Reads a statement or transparent statement and checks what a file alone
/// allows: the signature against the certificate it carries, the record
/// against its kind, and each receipt against `vkey` if given.
pub fn view_statement(raw: &[u8], vkey: Option<&VerifierKey>) -> Result<StatementView, CoseError> {
    use sha2::Digest;
    let transparent = split_transparent(raw)?;
    let warnings = transparent.warnings();
    let (st, receipts) = (transparent.statement, transparent.receipts);
    let bytes = st.bytes();
    let h = st.header();
    let (signer, signature_verifies) = match h
        .x5chain
        .first()
        .map(|der| crate::identity::Certificate::from_der(der))
    {
        Some(Ok(c)) => (
            Some(SignerView {
                subject: c.subject().to_string(),
                party: c.party().map(str::to_string),
                roles: c.role_names(),
            }),
            st.verify(c.key()).is_ok(),
        ),
        _ => (None, false),
    };
    let (kind, record, record_error) =
        match crate::record::Record::decode(&h.content_type, st.payload()) {
            Ok(r) => {
                let value: Result<Value, _> = ciborium::from_reader(st.payload());
                (
                    r.kind().name().to_string(),
                    value.ok().map(|v| cbor_json(&v)),
                    None,
                )
            }
            Err(e) => ("unknown".to_string(), None, Some(e.to_string())),
        };
    let receipts: Vec<ReceiptView> = receipts
        .iter()
        .map(|r| {
            let p = r.proof();
            let checked = vkey.map(|k| r.verify(bytes, k));
            ReceiptView {
                issuer: r.issuer().to_string(),
                subject: r.subject().map(str::to_string),
                index: p.index(),
                tree_size: p.size(),
                verified: checked.as_ref().map(Result::is_ok),
                checked_with: vkey.map(|k| k.name().to_string()),
                root: checked
                    .as_ref()
                    .and_then(|c| c.as_ref().ok())
                    .map(|root| root.hash().to_string()),
                error: checked.and_then(|c| c.err()).map(|e| e.to_string()),
            }
        })
        .collect();
    let mut not_checked = vec![
        "the chain to a trust root, revocation and lifecycle (submit does; verify of a pack does)"
            .to_string(),
    ];
    if vkey.is_none() && !receipts.is_empty() {
        not_checked.push("the receipts (give --vkey)".to_string());
    }
    if !receipts.is_empty() {
        not_checked.push(
            "the entry number and tree size a receipt states: RFC 9942 signs the root only, and another (entry, size) can lead to the same root; compare with a signed checkpoint (verify of a pack does)"
                .to_string(),
        );
    }
    Ok(StatementView {
        bytes: bytes.len(),
        sha256: crate::hex::encode(&sha2::Sha256::digest(bytes)),
        kind,
        content_type: h.content_type.clone(),
        issuer: h.issuer.clone(),
        subject: h.subject.clone(),
        signed_at: crate::verify::utc(h.issued_at),
        signer,
        signature_verifies,
        record,
        record_error,
        receipts,
        warnings,
        not_checked,
    })
}

/// A CBOR value as JSON: byte strings as lowercase hex, tags dropped.
pub fn cbor_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Integer(i) => i64::try_from(*i)
            .map(J::from)
            .unwrap_or_else(|_| J::String(i128::from(*i).to_string())),
        Value::Bytes(b) => J::String(crate::hex::encode(b)),
        Value::Float(f) => J::from(*f),
        Value::Text(t) => J::String(t.clone()),
        Value::Bool(b) => J::Bool(*b),
        Value::Null => J::Null,
        Value::Tag(_, inner) => cbor_json(inner),
        Value::Array(items) => J::Array(items.iter().map(cbor_json).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Value::Text(t) => t.clone(),
                        other => cbor_json(other).to_string(),
                    };
                    (key, cbor_json(v))
                })
                .collect(),
        ),
        _ => J::Null,
    }
}

impl StatementView {
    /// The text `inspect` prints for the file named `name`.
    pub fn to_text(&self, name: &str) -> String {
        let mut s = format!(
            "statement   {name} ({} bytes, sha256 {})\n",
            self.bytes, self.sha256
        );
        s += &format!("kind        {} ({})\n", self.kind, self.content_type);
        s += &format!("issuer      {}\n", self.issuer);
        s += &format!("subject     {}\n", self.subject);
        s += &format!("signed at   {} (as its signer says)\n", self.signed_at);
        match &self.signer {
            Some(c) => {
                let sig = if self.signature_verifies {
                    "verifies with the certified key"
                } else {
                    "DOES NOT VERIFY with the certified key"
                };
                s += &format!(
                    "signer      {} (party: {}; roles: {}); signature {sig}\n",
                    c.subject,
                    c.party.as_deref().unwrap_or("none"),
                    c.roles
                );
            }
            None => s += "signer      no readable certificate\n",
        }
        match (&self.record, &self.record_error) {
            (Some(r), _) => {
                s += "record\n";
                render(r, 1, &mut s);
            }
            (None, Some(e)) => s += &format!("record      invalid: {e}\n"),
            (None, None) => s += "record      unreadable\n",
        }
        for (n, r) in self.receipts.iter().enumerate() {
            let what = format!(
                "receipt {}: {} says entry {} of tree size {} (claimed: not signed)",
                n + 1,
                r.issuer,
                r.index,
                r.tree_size
            );
            s += &match (r.verified, &r.root, &r.error) {
                (None, _, _) => format!("{what} (not checked: give --vkey to check it)\n"),
                (Some(true), Some(root), _) => format!(
                    "{what}, root {root}: verified with {}\n",
                    r.checked_with.as_deref().unwrap_or("the log key")
                ),
                (_, _, e) => format!("{what}: DOES NOT VERIFY: {}\n", e.as_deref().unwrap_or("?")),
            };
        }
        s += &text::warnings(&self.warnings);
        for n in &self.not_checked {
            s += &format!("not checked: {n}\n");
        }
        s
    }
}

/// A scalar on one line; `None` for a map or an array.
fn scalar(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value as J;
    match v {
        J::String(t) => Some(t.clone()),
        J::Null => Some("none".into()),
        J::Bool(b) => Some(b.to_string()),
        J::Number(n) => Some(n.to_string()),
        J::Array(a) if a.is_empty() => Some("none".into()),
        _ => None,
    }
}

/// Keys that name what an item is come first; the rest alphabetically.
const FIRST: [&str; 7] = [
    "id",
    "obligation",
    "result",
    "index",
    "facility",
    "assessment",
    "outcome",
];

fn ordered(m: &serde_json::Map<String, serde_json::Value>) -> Vec<(&String, &serde_json::Value)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by_key(|(k, _)| {
        (
            FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()),
            k.as_str(),
        )
    });
    v
}

/// A map whose values are all scalars, on one line: `k: v, k: v`.
fn one_line(v: &serde_json::Value) -> Option<String> {
    let m = v.as_object()?;
    let parts: Option<Vec<String>> = ordered(m)
        .into_iter()
        .map(|(k, v)| scalar(v).map(|v| format!("{k}: {v}")))
        .collect();
    parts.map(|p| p.join(", "))
}

/// Indented `key: value` lines; lists of scalars on one line, lists of
/// small maps one item a line.
fn render(v: &serde_json::Value, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in ordered(m) {
                if let Some(t) = scalar(v) {
                    *out += &format!("{pad}{k}: {t}\n");
                } else if let Some(items) = v.as_array() {
                    if let Some(all) = items.iter().map(scalar).collect::<Option<Vec<_>>>() {
                        *out += &format!("{pad}{k}: {}\n", all.join(", "));
                    } else {
                        *out += &format!("{pad}{k}:\n");
                        for item in items {
                            match one_line(item) {
                                Some(line) => *out += &format!("{pad}  - {line}\n"),
                                None => {
                                    *out += &format!("{pad}  -\n");
                                    render(item, depth + 2, out);
                                }
                            }
                        }
                    }
                } else {
                    *out += &format!("{pad}{k}:\n");
                    render(v, depth + 1, out);
                }
            }
        }
        other => *out += &format!("{pad}{}\n", scalar(other).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_as_names_hex_and_one_line_items() {
        let v = Value::Map(vec![
            (
                Value::Text("facility".into()),
                Value::Text("TF-0001".into()),
            ),
            (Value::Text("assessment".into()), Value::Text("FUSA".into())),
            (Value::Text("digest".into()), Value::Bytes(vec![0xab, 0x01])),
            (
                Value::Text("findings".into()),
                Value::Array(vec![Value::Map(vec![
                    (Value::Text("obligation".into()), Value::Text("G3.7".into())),
                    (Value::Text("result".into()), Value::Text("not-met".into())),
                ])]),
            ),
            (
                Value::Text("obligations".into()),
                Value::Array(vec![
                    Value::Text("G3.7".into()),
                    Value::Text("G3.22".into()),
                ]),
            ),
        ]);
        let mut s = String::new();
        render(&cbor_json(&v), 1, &mut s);
        assert_eq!(
            s,
            "  facility: TF-0001\n  assessment: FUSA\n  digest: ab01\n  findings:\n    - obligation: G3.7, result: not-met\n  obligations: G3.7, G3.22\n"
        );
    }
}
