//! Text from inputs, made safe to show. A statement, certificate, manifest
//! or checkpoint can carry any characters; printed raw, escape sequences
//! could clear a terminal and draw a "VERIFIED" line that is not there.
//!
//! Two rules, both showing a character as `\uXXXX` (a JSON escape too, so
//! `--json` output passes through unchanged in meaning):
//! - [`visible`] for whole outputs: every control character (C0, DEL, C1)
//!   and every bidirectional override or isolate, but not the newline that
//!   lays the output out;
//! - [`one_line`] for one value inside an output: the same, and newlines.
//!
//! [`refuse_hidden`] is the rule for fields the ledger signs or logs: a
//! statement's text, a certificate's names.

use std::borrow::Cow;

/// True for a character that changes how a terminal shows what follows:
/// C0 and C1 controls, DEL, and the Unicode bidirectional controls
/// (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

fn escape(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_hidden(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hidden(c) && !keep(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A whole output for a terminal: hidden characters escaped, newlines kept.
pub fn visible(s: &str) -> Cow<'_, str> {
    escape(s, |c| c == '\n')
}

/// One value inside an output: hidden characters and newlines escaped, so
/// it stays on its line.
pub fn one_line(s: &str) -> Cow<'_, str> {
    escape(s, |_| false)
}

/// Refuses text holding a hidden character (newline included), naming
/// `what` and the first such character.
pub fn refuse_hidden(what: &str, s: &str) -> Result<(), String> {
    match s.char_indices().find(|(_, c)| is_hidden(*c)) {
        Some((at, c)) => Err(format!(
            "{what} holds the control character U+{:04X} at byte {at}",
            c as u32
        )),
        None => Ok(()),
    }
}

/// `word` as one POSIX shell word (quoted when it needs to be), for the
/// commands a reader copies into a shell: a name from an input cannot
/// become two arguments or run something. A NUL, which no argument can
/// hold, is dropped.
pub fn shell_word(word: &str) -> String {
    let word = word.replace('\0', "");
    shlex::try_quote(&word).map(Cow::into_owned).unwrap_or(word)
}

/// POSIX seconds as an RFC 3339 UTC time, e.g. `2026-11-28T01:47:46Z`.
pub fn utc(ts: u64) -> String {
    match i64::try_from(ts)
        .ok()
        .and_then(|t| ::time::OffsetDateTime::from_unix_timestamp(t).ok())
    {
        Some(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        None => format!("{ts} (seconds since 1970, out of range)"),
    }
}

/// Parses a YYYY-MM-DD date of the proleptic Gregorian calendar.
pub fn parse_date(s: &str) -> Option<time::Date> {
    let b = s.as_bytes();
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !s
            .bytes()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return None;
    }
    let y: i32 = s[..4].parse().ok()?;
    let m: u8 = s[5..7].parse().ok()?;
    let d: u8 = s[8..].parse().ok()?;
    time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

/// Parses a time as a person gives it: ISO 8601 / RFC 3339 in UTC or with
/// an offset (`2027-03-01T09:30:00Z`, `2027-03-01T10:30:00+01:00`,
/// fractions of a second dropped), a date alone (`2027-03-01`, midnight
/// UTC), or POSIX seconds (`1803000000`). Returns POSIX seconds.
pub fn parse_time(s: &str) -> Result<u64, String> {
    let expected = "expected an ISO 8601 time (2027-03-01T09:30:00Z, or with an offset such as +01:00), a date (2027-03-01, midnight UTC) or POSIX seconds";
    let bad = || format!("{s:?}: {expected}");
    if !s.is_ascii() {
        return Err(bad());
    }
    if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
        return s.parse().map_err(|_| bad());
    }
    let (date, rest) = match s.get(..10) {
        Some(d) => (
            parse_date(d).ok_or_else(|| format!("{s:?}: not a calendar date; {expected}"))?,
            &s[10..],
        ),
        None => return Err(bad()),
    };
    let at = if rest.is_empty() {
        date.midnight().assume_utc()
    } else {
        let rest = rest
            .strip_prefix('T')
            .or_else(|| rest.strip_prefix('t'))
            .or_else(|| rest.strip_prefix(' '))
            .ok_or_else(bad)?;
        let b = rest.as_bytes();
        if b.len() < 8 || b[2] != b':' || b[5] != b':' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u8, String> {
            let t = &rest[r];
            if t.bytes().all(|c| c.is_ascii_digit()) {
                t.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (h, m, sec) = (num(0..2)?, num(3..5)?, num(6..8)?);
        let time = time::Time::from_hms(h, m, sec)
            .map_err(|_| format!("{s:?}: not a time of day; {expected}"))?;
        let mut zone = &rest[8..];
        if let Some(frac) = zone.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(bad());
            }
            zone = &frac[digits..];
        }
        let offset = match zone {
            "Z" | "z" => 0i32,
            z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && &z[3..4] == ":" => {
                let oh: i32 = z[1..3].parse().map_err(|_| bad())?;
                let om: i32 = z[4..6].parse().map_err(|_| bad())?;
                if oh > 23 || om > 59 {
                    return Err(bad());
                }
                let o = oh * 3600 + om * 60;
                if z.starts_with('-') {
                    -o
                } else {
                    o
                }
            }
            "" => {
                return Err(format!(
                    "{s:?}: give the zone (Z for UTC, or an offset such as +01:00)"
                ))
            }
            _ => return Err(bad()),
        };
        let local = time::PrimitiveDateTime::new(date, time).assume_utc();
        local
            .checked_sub(time::Duration::seconds(i64::from(offset)))
            .ok_or_else(bad)?
    };
    u64::try_from(at.unix_timestamp()).map_err(|_| format!("{s:?}: before 1970"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_stay_one_word() {
        assert_eq!(shell_word("TF-0001.pack"), "TF-0001.pack");
        assert_eq!(shell_word("a\0b"), "ab");
        for w in [
            "my packs/a.pack",
            "x; rm -rf ~",
            "it's",
            "$(id)`id`",
            "a b\tc\nd",
            "*",
            "",
        ] {
            let q = shell_word(w);
            assert_ne!(q, w, "{w:?} needs quoting");
            assert_eq!(shlex::split(&q), Some(vec![w.to_string()]), "{q}");
        }
    }

    #[test]
    fn escape_sequences_and_overrides_are_shown_not_sent() {
        let attack = "ok\u{1b}[2J\u{1b}[HVERIFIED\r\u{9b}1m\u{202e}x\ny";
        assert_eq!(
            visible(attack),
            "ok\\u001b[2J\\u001b[HVERIFIED\\u000d\\u009b1m\\u202ex\ny"
        );
        assert_eq!(one_line("a\nb\tc"), "a\\u000ab\\u0009c");
        assert!(matches!(visible("plain: é ✓\n"), Cow::Borrowed(_)));
        // The escape is JSON's: a JSON reader gets the character back.
        let json = format!("\"{}\"", visible("\u{9b}\u{202e}"));
        let back: String = serde_json::from_str(&json).unwrap();
        assert_eq!(back, "\u{9b}\u{202e}");
        assert!(refuse_hidden("iss", "Operator\u{1b}[2J")
            .unwrap_err()
            .contains("U+001B at byte 8"));
        assert!(refuse_hidden("iss", "Opérateur Ltd").is_ok());
    }
}
