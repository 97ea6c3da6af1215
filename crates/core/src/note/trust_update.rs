//! The scheme root's word on which keys counted when (issue 26, FORMATS
//! §30): a signed note of validity windows for the log keys, witness keys
//! and TSAs a trust policy names.
//!
//! ```text
//! triage-ledger/trust-update/v1
//! serial <n>
//! issued <YYYY-MM-DDTHH:MM:SSZ>
//! log <verifier key> [from-size <n>] [until-size <n>]
//! witness <verifier key> [from <time>] [until <time>]
//! tsa sha256:<hex of the anchor certificate's DER> [from <time>] [until <time>]
//! [reason <one line>]
//!
//! — triage-ledger/scheme-root <signature>
//! ```
//!
//! Signed with the scheme root's own Ed25519 key (the key of `root.pem`,
//! as a signed-note key named `triage-ledger/scheme-root`), so whoever
//! trusts the root trusts its windows, years later. An update only narrows:
//! it never adds a key to a policy (the verifier's policy names which keys
//! it trusts at all); a key it does not name keeps the window of an earlier
//! update, or none. Updates are read in serial order, and a later one's
//! window for a key replaces an earlier one's. Windows are inclusive:
//! `until-size N` lets the key sign trees up to N entries; `until T` a
//! cosignature or a token at T.

use super::{Note, NoteError, SigType, Signer, VerifierKey};

/// First line of a trust update.
pub const TRUST_UPDATE_HEADER: &str = "triage-ledger/trust-update/v1";

/// The signed-note key name of the scheme root.
pub const SCHEME_ROOT_KEY_NAME: &str = "triage-ledger/scheme-root";

fn bad(reason: impl Into<String>) -> NoteError {
    NoteError::Malformed {
        reason: format!("trust update: {}", reason.into()),
    }
}

/// A window: the first and last value (tree size, or POSIX seconds) a key
/// counts for; `None` is unbounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// First value it counts for.
    pub from: Option<u64>,
    /// Last value it counts for.
    pub until: Option<u64>,
}

impl Window {
    /// Whether `v` is inside.
    pub fn contains(&self, v: u64) -> bool {
        self.from.is_none_or(|f| v >= f) && self.until.is_none_or(|u| v <= u)
    }
}

/// What a trust update says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustUpdate {
    /// Its number: updates are applied in increasing serial order.
    pub serial: u64,
    /// When it was issued (POSIX seconds).
    pub issued: u64,
    /// Log keys and the tree sizes they sign.
    pub logs: Vec<(VerifierKey, Window)>,
    /// Witness keys and the cosignature times they count for.
    pub witnesses: Vec<(VerifierKey, Window)>,
    /// TSA anchors (SHA-256 of the certificate's DER) and the token times
    /// they count for.
    pub tsas: Vec<([u8; 32], Window)>,
    /// Why, in one line.
    pub reason: Option<String>,
}

fn time_text(t: u64) -> String {
    crate::text::utc(t)
}

/// A time in the one form a note writes (`YYYY-MM-DDTHH:MM:SSZ`).
fn parse_time(s: &str) -> Result<u64, NoteError> {
    let t = crate::text::parse_time(s).map_err(bad)?;
    if time_text(t) != s {
        return Err(bad(format!(
            "{s:?}: a time is written YYYY-MM-DDTHH:MM:SSZ ({})",
            time_text(t)
        )));
    }
    Ok(t)
}

fn window_text(w: &Window, sizes: bool) -> String {
    let (f, u) = if sizes {
        ("from-size", "until-size")
    } else {
        ("from", "until")
    };
    let v = |x: u64| {
        if sizes {
            x.to_string()
        } else {
            time_text(x)
        }
    };
    let mut s = String::new();
    if let Some(x) = w.from {
        s.push_str(&format!(" {f} {}", v(x)));
    }
    if let Some(x) = w.until {
        s.push_str(&format!(" {u} {}", v(x)));
    }
    s
}

/// Reads `[from… V] [until… V]` from the words after a key.
fn parse_window(words: &[&str], sizes: bool) -> Result<Window, NoteError> {
    let (f, u) = if sizes {
        ("from-size", "until-size")
    } else {
        ("from", "until")
    };
    let value = |s: &str| {
        if sizes {
            super::checkpoint::parse_decimal(s).ok_or_else(|| bad(format!("{s:?} is not a size")))
        } else {
            parse_time(s)
        }
    };
    let mut w = Window::default();
    let mut rest = words;
    if let [k, v, tail @ ..] = rest {
        if *k == f {
            w.from = Some(value(v)?);
            rest = tail;
        }
    }
    if let [k, v, tail @ ..] = rest {
        if *k == u {
            w.until = Some(value(v)?);
            rest = tail;
        }
    }
    if !rest.is_empty() {
        return Err(bad(format!(
            "expected [{f} V] [{u} V], found {:?}",
            rest.join(" ")
        )));
    }
    if w.from.is_none() && w.until.is_none() {
        return Err(bad("a line gives a window (from, until or both)"));
    }
    if let (Some(a), Some(b)) = (w.from, w.until) {
        if a > b {
            return Err(bad("a window ends before it starts"));
        }
    }
    Ok(w)
}

impl TrustUpdate {
    /// An update from the lines a person writes (`log VKEY [from-size N]
    /// [until-size N]`, `witness VKEY [from TIME] [until TIME]`, `tsa
    /// sha256:HEX|CERTIFICATE [from TIME] [until TIME]`, `reason TEXT`;
    /// blank lines and `#` comments ignored): times in any form
    /// [`crate::text::parse_time`] reads, a TSA named by its anchor's
    /// SHA-256 or by a certificate file `anchor` reads and hashes.
    pub fn from_lines(
        serial: u64,
        issued: u64,
        text: &str,
        anchor: &dyn Fn(&str) -> Result<[u8; 32], String>,
    ) -> Result<TrustUpdate, NoteError> {
        let mut u = TrustUpdate {
            serial,
            issued,
            ..Default::default()
        };
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = |e: NoteError| bad(format!("line {}: {e}", n + 1));
            if let Some(r) = line.strip_prefix("reason ") {
                u.reason = Some(r.to_string());
                continue;
            }
            // Times normalised to the one written form.
            let mut words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
            for i in 2..words.len() {
                if i % 2 == 1 && matches!(words[i - 1].as_str(), "from" | "until") {
                    let t = crate::text::parse_time(&words[i]).map_err(|e| at(bad(e)))?;
                    words[i] = time_text(t);
                }
            }
            let w: Vec<&str> = words.iter().map(String::as_str).collect();
            match w.as_slice() {
                ["log", key, rest @ ..] => u.logs.push((
                    VerifierKey::parse(key).map_err(at)?,
                    parse_window(rest, true).map_err(at)?,
                )),
                ["witness", key, rest @ ..] => u.witnesses.push((
                    VerifierKey::parse(key).map_err(at)?,
                    parse_window(rest, false).map_err(at)?,
                )),
                ["tsa", name, rest @ ..] => {
                    let h = match name.strip_prefix("sha256:") {
                        Some(hex) => crate::hex::decode(hex)
                            .and_then(|v| <[u8; 32]>::try_from(v).ok())
                            .ok_or_else(|| at(bad(format!("{hex:?} is not a SHA-256"))))?,
                        None => anchor(name).map_err(|e| at(bad(e)))?,
                    };
                    u.tsas.push((h, parse_window(rest, false).map_err(at)?));
                }
                _ => return Err(at(bad(format!("unexpected line {line:?}")))),
            }
        }
        if u.logs.is_empty() && u.witnesses.is_empty() && u.tsas.is_empty() {
            return Err(bad("it gives no window"));
        }
        TrustUpdate::parse(&u.to_text())
    }

    /// The note text.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{TRUST_UPDATE_HEADER}\nserial {}\nissued {}\n",
            self.serial,
            time_text(self.issued)
        );
        for (k, w) in &self.logs {
            s.push_str(&format!("log {k}{}\n", window_text(w, true)));
        }
        for (k, w) in &self.witnesses {
            s.push_str(&format!("witness {k}{}\n", window_text(w, false)));
        }
        for (h, w) in &self.tsas {
            s.push_str(&format!(
                "tsa sha256:{}{}\n",
                crate::hex::encode(h),
                window_text(w, false)
            ));
        }
        if let Some(r) = &self.reason {
            s.push_str(&format!("reason {r}\n"));
        }
        s
    }

    /// Parses the note text (which must re-encode to itself).
    pub fn parse(text: &str) -> Result<TrustUpdate, NoteError> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("does not end with a newline"))?;
        let mut lines = body.split('\n');
        if lines.next() != Some(TRUST_UPDATE_HEADER) {
            return Err(bad(format!("the first line is not {TRUST_UPDATE_HEADER}")));
        }
        let mut u = TrustUpdate {
            serial: lines
                .next()
                .and_then(|l| l.strip_prefix("serial "))
                .and_then(super::checkpoint::parse_decimal)
                .ok_or_else(|| bad("the second line is serial N"))?,
            issued: parse_time(
                lines
                    .next()
                    .and_then(|l| l.strip_prefix("issued "))
                    .ok_or_else(|| bad("the third line is issued TIME"))?,
            )?,
            ..Default::default()
        };
        for line in lines {
            let words: Vec<&str> = line.split(' ').collect();
            match words.as_slice() {
                ["log", key, w @ ..] => u
                    .logs
                    .push((VerifierKey::parse(key)?, parse_window(w, true)?)),
                ["witness", key, w @ ..] => u
                    .witnesses
                    .push((VerifierKey::parse(key)?, parse_window(w, false)?)),
                ["tsa", h, w @ ..] => {
                    let hex = h
                        .strip_prefix("sha256:")
                        .ok_or_else(|| bad("a TSA is named sha256:HEX"))?;
                    let raw = crate::hex::decode(hex)
                        .and_then(|v| <[u8; 32]>::try_from(v).ok())
                        .ok_or_else(|| bad(format!("{hex:?} is not a SHA-256")))?;
                    u.tsas.push((raw, parse_window(w, false)?));
                }
                ["reason", ..] if u.reason.is_none() => {
                    u.reason = Some(line["reason ".len()..].to_string())
                }
                _ => return Err(bad(format!("unexpected line {line:?}"))),
            }
        }
        if u.to_text() != text {
            return Err(bad(
                "not in its one written form (lines in the order log, witness, tsa, reason; one space apart)",
            ));
        }
        Ok(u)
    }
}

/// The scheme root's signed-note verifier key for its Ed25519 public key.
pub fn scheme_root_key(key: &ed25519_dalek::VerifyingKey) -> VerifierKey {
    VerifierKey::new(SCHEME_ROOT_KEY_NAME, SigType::Ed25519, *key).expect("a fixed valid key name")
}

/// A trust update with the scheme root's signature checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTrustUpdate {
    update: TrustUpdate,
    note: Note,
}

impl SignedTrustUpdate {
    /// Signs `update` with the scheme root's key (`root` signs as
    /// [`SCHEME_ROOT_KEY_NAME`]).
    pub fn sign(update: TrustUpdate, root: &dyn Signer) -> Result<Self, NoteError> {
        if root.public_key().name() != SCHEME_ROOT_KEY_NAME {
            return Err(bad(format!("signed as {SCHEME_ROOT_KEY_NAME}")));
        }
        let text = update.to_text();
        let update = TrustUpdate::parse(&text)?;
        let mut note = Note::new(&text)?;
        note.sign(root)?;
        Ok(SignedTrustUpdate { update, note })
    }

    /// Parses the note and checks the root's signature.
    pub fn open(bytes: &[u8], root: &ed25519_dalek::VerifyingKey) -> Result<Self, NoteError> {
        let note = Note::parse(bytes)?;
        note.verify(&[scheme_root_key(root)])?;
        let update = TrustUpdate::parse(note.text())?;
        Ok(SignedTrustUpdate { update, note })
    }

    /// What it says.
    pub fn update(&self) -> &TrustUpdate {
        &self.update
    }

    /// The signed note.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.note.to_bytes()
    }
}

/// A raw Ed25519 signing function: the message in, the signature out.
pub type RawSign<'a> = dyn Fn(&[u8]) -> Result<[u8; 64], String> + Sync + 'a;

/// A [`Signer`] over a raw Ed25519 signing function (a key file, or a key
/// in a token), as the scheme root's note key.
pub struct RootNoteSigner<'a> {
    vkey: VerifierKey,
    sign: &'a RawSign<'a>,
}

impl<'a> RootNoteSigner<'a> {
    /// The root's public key and its signing function.
    pub fn new(public: &ed25519_dalek::VerifyingKey, sign: &'a RawSign<'a>) -> Self {
        RootNoteSigner {
            vkey: scheme_root_key(public),
            sign,
        }
    }
}

impl Signer for RootNoteSigner<'_> {
    fn public_key(&self) -> &VerifierKey {
        &self.vkey
    }
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], NoteError> {
        (self.sign)(message).map_err(|reason| NoteError::Malformed { reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::SignerKey;

    fn update() -> TrustUpdate {
        let log = SignerKey::generate("example.org/log", SigType::Ed25519).unwrap();
        let w = SignerKey::generate("w.example/1", SigType::Ed25519).unwrap();
        TrustUpdate {
            serial: 2,
            issued: 1_800_000_000,
            logs: vec![(
                log.verifier(),
                Window {
                    from: None,
                    until: Some(1234),
                },
            )],
            witnesses: vec![(
                w.verifier(),
                Window {
                    from: Some(1_790_000_000),
                    until: Some(1_800_000_000),
                },
            )],
            tsas: vec![(
                [7; 32],
                Window {
                    from: None,
                    until: Some(1_900_000_000),
                },
            )],
            reason: Some("witness w1 rotated its key".into()),
        }
    }

    #[test]
    fn an_update_is_signed_by_the_root_and_binds_every_line() {
        let root = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let f = |m: &[u8]| -> Result<[u8; 64], String> {
            use ed25519_dalek::Signer as _;
            Ok(root.sign(m).to_bytes())
        };
        let signer = RootNoteSigner::new(&root.verifying_key(), &f);
        let u = update();
        let signed = SignedTrustUpdate::sign(u.clone(), &signer).unwrap();
        let bytes = signed.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\nlog example.org/log+"), "{text}");
        assert!(text.contains(" until-size 1234\n"), "{text}");
        assert!(text.contains(" from 2026-09-21T"), "{text}");
        assert!(
            text.contains("\n\u{2014} triage-ledger/scheme-root "),
            "{text}"
        );
        let opened = SignedTrustUpdate::open(&bytes, &root.verifying_key()).unwrap();
        assert_eq!(opened.update(), &u);
        // Another root's key: refused.
        let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
        assert!(SignedTrustUpdate::open(&bytes, &other.verifying_key()).is_err());
        let body = text.find("\n\n").unwrap();
        for at in 0..body {
            let mut b = bytes.clone();
            b[at] ^= 0x01;
            assert!(
                SignedTrustUpdate::open(&b, &root.verifying_key()).is_err(),
                "byte {at}"
            );
        }
    }

    #[test]
    fn windows_are_inclusive_and_the_text_has_one_form() {
        let w = Window {
            from: Some(5),
            until: Some(9),
        };
        assert!(!w.contains(4) && w.contains(5) && w.contains(9) && !w.contains(10));
        assert!(Window::default().contains(0));
        let u = update();
        let text = u.to_text();
        assert_eq!(TrustUpdate::parse(&text).unwrap(), u);
        for bad in [
            text.replace("until-size 1234", "until-size 01234"),
            text.replace("issued 2027", "issued 2027-01-15"),
            text.replace("serial 2", "serial two"),
            text.replace(" until-size 1234", ""),
            text.replace("until-size 1234", "until-size 1234 extra"),
            text.replace("tsa sha256:", "tsa sha1:"),
            format!("{text}log nonsense\n"),
            text.trim_end().to_string(),
        ] {
            assert!(TrustUpdate::parse(&bad).is_err(), "{bad}");
        }
        // from after until.
        let mut u = u;
        u.witnesses[0].1 = Window {
            from: Some(10),
            until: Some(9),
        };
        assert!(TrustUpdate::parse(&u.to_text()).is_err());
    }
}
