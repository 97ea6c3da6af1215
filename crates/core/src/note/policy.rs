//! Trust policies (c2sp.org/tlog-policy): which logs a verifier accepts,
//! which witnesses it knows, and the quorum of cosignatures a checkpoint
//! needs.
//!
//! ```text
//! log <vkey> [<url>]
//! witness <name> <vkey> [<url>]
//! group <name> all|any|<k> <name>...
//! quorum <name>|none
//! ```
//!
//! One deviation: the file must be UTF-8 (the spec treats high-bit octets as
//! opaque; we refuse what is not UTF-8 rather than carry raw octets around).

use super::{
    verify_cosignature, CosignatureCheck, NoteError, SigType, SignedCheckpoint, VerifierKey,
};

/// Most logs, witnesses or groups in one policy (the spec asks for ≥ 32).
pub const MAX_POLICY_ITEMS: usize = 256;

/// Why a policy file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("policy line {line}: {reason}")]
pub struct PolicyError {
    /// 1-based line number (0 for the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// A witness the policy names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyWitness {
    /// The policy's name for it (used only inside the policy).
    pub name: String,
    /// Its cosigning key (type 0x04).
    pub key: VerifierKey,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Member {
    Witness(usize),
    Group(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Group {
    name: String,
    threshold: usize,
    members: Vec<Member>,
}

/// A parsed, checked policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    logs: Vec<VerifierKey>,
    witnesses: Vec<PolicyWitness>,
    groups: Vec<Group>,
    quorum: Option<Member>,
}

/// What a policy found on one checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumReport {
    /// Each policy witness and what its cosignature line showed.
    pub witnesses: Vec<(PolicyWitness, CosignatureCheck)>,
    /// Whether the quorum is met (always true for `quorum none`).
    pub met: bool,
}

impl Policy {
    /// A policy trusting one log and no witnesses (`quorum none`).
    pub fn single_log(log: VerifierKey) -> Self {
        Policy {
            logs: vec![log],
            witnesses: Vec::new(),
            groups: Vec::new(),
            quorum: None,
        }
    }

    /// Parses a policy file.
    pub fn parse(bytes: &[u8]) -> Result<Self, PolicyError> {
        let err = |line: usize, reason: String| PolicyError { line, reason };
        let text = std::str::from_utf8(bytes)
            .map_err(|e| err(0, format!("not UTF-8 (at byte {})", e.valid_up_to())))?;
        let mut p = Policy {
            logs: Vec::new(),
            witnesses: Vec::new(),
            groups: Vec::new(),
            quorum: None,
        };
        let mut quorum_seen = false;
        for (n, line) in text.split('\n').enumerate() {
            let n = n + 1;
            if let Some(c) = line
                .chars()
                .find(|&c| (c.is_ascii_control() && c != '\t') || c == '\u{7f}')
            {
                return Err(err(n, format!("control character U+{:04X}", c as u32)));
            }
            let fields: Vec<&str> = line.split([' ', '\t']).filter(|f| !f.is_empty()).collect();
            let Some(&keyword) = fields.first() else {
                continue;
            };
            if keyword.starts_with('#') {
                continue;
            }
            if quorum_seen && keyword == "quorum" {
                return Err(err(n, "a second quorum line".into()));
            }
            if p.logs.len() + p.witnesses.len() + p.groups.len() >= 3 * MAX_POLICY_ITEMS {
                return Err(err(n, "too many lines".into()));
            }
            match keyword {
                "log" => {
                    if !(2..=3).contains(&fields.len()) {
                        return Err(err(n, "expected: log <vkey> [<url>]".into()));
                    }
                    let key = VerifierKey::parse(fields[1]).map_err(|e| err(n, e.to_string()))?;
                    if key.sig_type() != SigType::Ed25519 {
                        return Err(err(
                            n,
                            "a log key must be an Ed25519 (type 0x01) key".into(),
                        ));
                    }
                    if p.logs.iter().any(|k| k.key() == key.key()) {
                        return Err(err(n, "duplicate log key".into()));
                    }
                    if p.witnesses.iter().any(|w| w.key.key() == key.key()) {
                        return Err(err(
                            n,
                            "this log's key is also a witness's: a log cannot witness itself"
                                .into(),
                        ));
                    }
                    p.logs.push(key);
                }
                "witness" => {
                    if !(3..=4).contains(&fields.len()) {
                        return Err(err(n, "expected: witness <name> <vkey> [<url>]".into()));
                    }
                    let name = p.new_name(fields[1]).map_err(|r| err(n, r))?;
                    let key = VerifierKey::parse(fields[2]).map_err(|e| err(n, e.to_string()))?;
                    if key.sig_type() != SigType::Cosignature {
                        return Err(err(
                            n,
                            "a witness key must be a cosignature (type 0x04) key".into(),
                        ));
                    }
                    if p.witnesses.iter().any(|w| w.key.key() == key.key()) {
                        return Err(err(n, "duplicate witness key".into()));
                    }
                    if p.logs.iter().any(|k| k.key() == key.key()) {
                        return Err(err(
                            n,
                            "this witness's key is also a log's: a log cannot witness itself"
                                .into(),
                        ));
                    }
                    p.witnesses.push(PolicyWitness { name, key });
                }
                "group" => {
                    if fields.len() < 4 {
                        return Err(err(
                            n,
                            "expected: group <name> all|any|<k> <name>...".into(),
                        ));
                    }
                    let name = p.new_name(fields[1]).map_err(|r| err(n, r))?;
                    let mut members = Vec::new();
                    for m in &fields[3..] {
                        let member = p.lookup(m).ok_or_else(|| {
                            err(n, format!("{m:?} is not a witness or group defined above"))
                        })?;
                        if members.contains(&member) {
                            return Err(err(n, format!("{m:?} is listed twice")));
                        }
                        members.push(member);
                    }
                    let threshold = match fields[2] {
                        "all" => members.len(),
                        "any" => 1,
                        k => super::checkpoint::parse_decimal(k)
                            .and_then(|k| usize::try_from(k).ok())
                            .filter(|k| (1..=members.len()).contains(k))
                            .ok_or_else(|| {
                                err(
                                    n,
                                    format!(
                                        "threshold {k:?} must be all, any or 1..={}",
                                        members.len()
                                    ),
                                )
                            })?,
                    };
                    p.groups.push(Group {
                        name,
                        threshold,
                        members,
                    });
                }
                "quorum" => {
                    if fields.len() != 2 {
                        return Err(err(n, "expected: quorum <name>|none".into()));
                    }
                    quorum_seen = true;
                    p.quorum = if fields[1] == "none" {
                        None
                    } else {
                        Some(p.lookup(fields[1]).ok_or_else(|| {
                            err(
                                n,
                                format!("{:?} is not a witness or group defined above", fields[1]),
                            )
                        })?)
                    };
                }
                other => return Err(err(n, format!("unknown keyword {other:?}"))),
            }
            if p.logs.len().max(p.witnesses.len()).max(p.groups.len()) > MAX_POLICY_ITEMS {
                return Err(err(n, format!("more than {MAX_POLICY_ITEMS} of one kind")));
            }
        }
        if !quorum_seen {
            return Err(err(
                0,
                "no quorum line (write `quorum none` for none)".into(),
            ));
        }
        Ok(p)
    }

    fn new_name(&self, name: &str) -> Result<String, String> {
        if name == "none" {
            return Err("the name \"none\" is reserved".into());
        }
        if self.lookup(name).is_some() {
            return Err(format!("{name:?} is already defined"));
        }
        Ok(name.to_string())
    }

    fn lookup(&self, name: &str) -> Option<Member> {
        if let Some(i) = self.witnesses.iter().position(|w| w.name == name) {
            return Some(Member::Witness(i));
        }
        self.groups
            .iter()
            .position(|g| g.name == name)
            .map(Member::Group)
    }

    /// This policy accepting `key` as a log key too (a key a trusted key
    /// handed over to, by a rotation note).
    pub fn with_log(&self, key: VerifierKey) -> Policy {
        let mut p = self.clone();
        if !p.logs.contains(&key) {
            p.logs.push(key);
        }
        p
    }

    /// The logs accepted.
    pub fn logs(&self) -> &[VerifierKey] {
        &self.logs
    }

    /// The witnesses named.
    pub fn witnesses(&self) -> &[PolicyWitness] {
        &self.witnesses
    }

    /// True unless the quorum is `none`.
    pub fn needs_cosignatures(&self) -> bool {
        self.quorum.is_some()
    }

    /// Opens a checkpoint signed by one of the policy's logs (the one whose
    /// key name is the checkpoint's origin).
    pub fn open_checkpoint(&self, bytes: &[u8]) -> Result<SignedCheckpoint, NoteError> {
        let note = super::Note::parse(bytes)?;
        let origin = note.text().split('\n').next().unwrap_or("");
        let keys = super::keys_named(&self.logs, origin);
        if keys.is_empty() {
            let names: Vec<&str> = self.logs.iter().map(|k| k.name()).collect();
            return Err(NoteError::OriginMismatch {
                origin: origin.to_string(),
                expected: names.join(" or "),
            });
        }
        SignedCheckpoint::open_any(bytes, &keys)
    }

    /// Checks every policy witness's cosignature on a checkpoint and
    /// evaluates the quorum.
    pub fn check_quorum(&self, cp: &SignedCheckpoint) -> Result<QuorumReport, NoteError> {
        let mut witnesses = Vec::with_capacity(self.witnesses.len());
        for w in &self.witnesses {
            witnesses.push((w.clone(), verify_cosignature(cp, &w.key)?));
        }
        let cosigned: Vec<bool> = witnesses
            .iter()
            .map(|(_, c)| matches!(c, CosignatureCheck::Valid { .. }))
            .collect();
        let met = match self.quorum {
            None => true,
            Some(m) => self.satisfied(m, &cosigned),
        };
        Ok(QuorumReport { witnesses, met })
    }

    fn satisfied(&self, m: Member, cosigned: &[bool]) -> bool {
        match m {
            Member::Witness(i) => cosigned[i],
            Member::Group(g) => {
                let g = &self.groups[g];
                g.members
                    .iter()
                    .filter(|&&m| self.satisfied(m, cosigned))
                    .count()
                    >= g.threshold
            }
        }
    }

    /// The quorum rule in words, e.g. `1 of {w1, w2}`.
    pub fn describe_quorum(&self) -> String {
        match self.quorum {
            None => "none".into(),
            Some(m) => self.describe(m),
        }
    }

    fn describe(&self, m: Member) -> String {
        match m {
            Member::Witness(i) => self.witnesses[i].name.clone(),
            Member::Group(g) => {
                let g = &self.groups[g];
                let members: Vec<String> = g.members.iter().map(|&m| self.describe(m)).collect();
                format!("{} of {{{}}}", g.threshold, members.join(", "))
            }
        }
    }
}
