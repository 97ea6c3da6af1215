//! The file views of `files.rs` as text: one block per file, the kind
//! first, fields aligned, what was not checked last.

use super::files::{CheckpointView, FileView, MANIFEST_SHOWN};

impl FileView {
    /// The view as text; `name` is the file as the user gave it. Control
    /// characters from the file (which could rewrite a terminal) are shown
    /// as `\u{..}`, never sent.
    pub fn to_text(&self, name: &str) -> String {
        clean(&self.raw_text(name))
    }

    fn raw_text(&self, name: &str) -> String {
        match self {
            FileView::Statement(v) => v.to_text(name),
            FileView::Receipt(r) => format!(
                "{name}: receipt (COSE Receipt, RFC 9162 inclusion proof)\n  log         {}\n  subject     {}\n  entry       {}\n  tree size   {}\n  issued      {}\n  key id      {}\n  proof       {} hashes\n{}{}",
                r.issuer,
                r.subject.as_deref().unwrap_or("none"),
                r.index,
                r.tree_size,
                r.issued_at.as_deref().unwrap_or("not said"),
                r.kid,
                r.proof_hashes,
                warnings(&r.warnings),
                not_checked(&r.not_checked)
            ),
            FileView::Pack(p) => {
                let mut s = format!(
                    "{name}: evidence pack ({} bytes, {} statements)\n{}",
                    p.bytes,
                    p.statements.len(),
                    checkpoint_text(&p.checkpoint, "  ")
                );
                s += &format!(
                    "  consistency {}\n  complete    {}\n  statements\n",
                    p.consistency_from
                        .map_or("none".into(), |f| format!("proof from tree size {f}")),
                    if p.committed_index {
                        "carries the log's committed index (verify proves completeness)"
                    } else {
                        "no committed index: completeness cannot be proven"
                    }
                );
                for st in &p.statements {
                    s += &format!(
                        "    entry {:<6} {:<18} {:<16} {}\n",
                        st.entry.map_or("?".into(), |e| e.to_string()),
                        st.kind,
                        st.subject,
                        st.issuer
                    );
                }
                s + &not_checked(&p.not_checked)
            }
            FileView::Manifest(m) => {
                let mut s = format!(
                    "{name}: bundle manifest\n  items       {}\n  total       {} bytes\n  root        {}\n  sha256      {}\n",
                    m.items, m.total_bytes, m.root, m.sha256
                );
                for i in m.first_items.iter().take(20) {
                    s += &format!("    {:<40} {:>12} bytes  sha256 {}\n", i.path, i.size, i.sha256);
                }
                if m.items > 20 {
                    s += &format!("    … {} more (--json lists up to {MANIFEST_SHOWN})\n", m.items - 20);
                }
                s
            }
            FileView::Disclosure(d) => {
                let mut s = format!(
                    "{name}: disclosure of {} of {} items (multi-proof of {} hashes)\n  root        {}\n",
                    d.items.len(),
                    d.count,
                    d.proof_hashes,
                    d.root.as_deref().unwrap_or("none: the items and proof do not lead to a root")
                );
                if let Some(e) = &d.error {
                    s += &format!("  error       {e}\n");
                }
                for i in &d.items {
                    s += &format!("    item {:<6} {:<40} {:>12} bytes  sha256 {}\n", i.index, i.path, i.size, i.sha256);
                }
                s + "not checked: that the root is a seal's (verify-disclosure FILE --seal SEAL.cose)\n"
            }
            FileView::Misbehaviour(m) => format!(
                "{name}: proof of misbehaviour of a log's index ({} entries: {})\n{}not checked: anything (verify FILE --trust DIR checks the proof)\n",
                m.entries.len(),
                m.entries.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
                checkpoint_text(&m.checkpoint, "  ")
            ),
            FileView::Checkpoint(c) => format!("{name}: checkpoint (C2SP signed note)\n{}", checkpoint_text(c, "  ")),
            FileView::Certificate(c) => format!(
                "{name}: X.509 certificate\n  subject     {}\n  party       {}\n  issuer      {}\n  serial      {}\n  valid       {} to {}\n  ca          {}\n  roles       {}\n  sha256      {}\n",
                c.subject,
                c.party.as_deref().unwrap_or("none"),
                c.issuer,
                c.serial,
                c.not_before,
                c.not_after,
                if c.ca { "yes" } else { "no" },
                c.roles,
                c.sha256
            ),
            FileView::TrustPolicy(p) => {
                let mut s = format!("{name}: trust policy (C2SP tlog-policy)\n");
                for l in &p.logs {
                    s += &format!("  log         {l}\n");
                }
                for (n, k) in &p.witnesses {
                    s += &format!("  witness     {n}: {k}\n");
                }
                s + &format!("  quorum      {}\n", p.quorum)
            }
            FileView::WitnessRequest(r) => format!(
                "{name}: witness add-checkpoint request (C2SP tlog-witness)\n  old size    {}\n  proof       {} hashes\n{}",
                r.old,
                r.proof_hashes,
                checkpoint_text(&r.checkpoint, "  ")
            ),
        }
    }

    /// True when something the view checked failed (exit 1).
    pub fn failed(&self) -> bool {
        match self {
            FileView::Statement(v) => {
                !v.signature_verifies || v.receipts.iter().any(|r| r.verified == Some(false))
            }
            FileView::Checkpoint(c) => c.verified == Some(false),
            FileView::Disclosure(d) => d.error.is_some(),
            _ => false,
        }
    }
}

pub(super) fn warnings(list: &[String]) -> String {
    list.iter().map(|n| format!("warning: {n}\n")).collect()
}

fn not_checked(list: &[String]) -> String {
    list.iter().map(|n| format!("not checked: {n}\n")).collect()
}

fn checkpoint_text(c: &CheckpointView, indent: &str) -> String {
    let mut s = format!(
        "{indent}log         {}\n{indent}tree size   {}\n{indent}root        {} ({})\n",
        c.origin, c.tree_size, c.root, c.root_base64
    );
    for e in &c.extensions {
        s += &format!("{indent}extension   {e}\n");
    }
    if c.verified == Some(false) {
        s += &format!("{indent}NOT VERIFIED: no valid log signature by the --vkey given (witness cosignatures are checked by `verify` against a trust policy)\n");
    }
    for g in &c.signatures {
        s += &format!(
            "{indent}signed by   {}+{} ({}{}){}\n",
            g.name,
            g.key_id,
            g.kind,
            g.time
                .as_deref()
                .map_or(String::new(), |t| format!(", at {t}")),
            match g.verified {
                Some(true) => ": verified with --vkey",
                Some(false) => ": DOES NOT VERIFY with --vkey",
                None => "",
            }
        );
    }
    s
}

/// `s` with every control character but the newline written as `\u{..}`.
fn clean(s: &str) -> String {
    crate::text::visible(s).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(
            super::clean("a\u{1b}[2J\u{9b}b\nc"),
            "a\\u001b[2J\\u009bb\nc"
        );
    }
}
