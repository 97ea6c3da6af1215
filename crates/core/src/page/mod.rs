//! The verifier page (issue 27): the offline verifier compiled to
//! WebAssembly and inlined in one HTML file, so that a panel member, a
//! regulator or an arbiter can check a pack with a browser alone.
//!
//! The page makes one call, [`run`]: it hands over the packs and the trust
//! directory's files in one buffer ([`encode_input`] is the format; the
//! page's script writes the same bytes) and reads back JSON: per pack the
//! same report as `verify --json`, its verdict and text, and the HTML
//! report of each facility it holds. Nothing here touches a file, a clock
//! or the network: the page gives the time.
//!
//! The main crate's `verifier_page` writes the page: the WebAssembly
//! module (the `triage-ledger-web` crate, built for
//! `wasm32-unknown-unknown`), the script, optionally the scheme's trust
//! directory, and a Content-Security-Policy that names the script by its
//! SHA-256 and lets the page fetch nothing.

use serde_json::{json, Value};

use crate::verify::{verify_file, Options, Trust, TrustFiles};

/// The largest input the page hands over at once: a few packs and a trust
/// directory.
pub const MAX_INPUT: usize = 64 << 20;

/// What the page hands over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageInput {
    /// The files to verify, by the name the reader gave them.
    pub packs: Vec<(String, Vec<u8>)>,
    /// The trust directory's files.
    pub trust: TrustFiles,
    /// The time now (POSIX seconds), for the report's "made at" and "as of".
    pub now: u64,
}

/// The input as bytes: records of (name, data), each a 4-byte
/// little-endian length and UTF-8 name, then a 4-byte little-endian length
/// and the data. Names: `now` (decimal seconds), `trust-name`,
/// `trust:PATH` (a trust file by its path in the directory), `pack:NAME`.
pub fn encode_input(input: &PageInput) -> Vec<u8> {
    let mut out = Vec::new();
    let mut put = |name: &str, data: &[u8]| {
        out.extend_from_slice(&(name.len() as u32).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
    };
    put("now", input.now.to_string().as_bytes());
    put("trust-name", input.trust.dir.to_string_lossy().as_bytes());
    for (rel, b) in &input.trust.files {
        put(&format!("trust:{rel}"), b);
    }
    for (name, b) in &input.packs {
        put(&format!("pack:{name}"), b);
    }
    out
}

/// Reads [`encode_input`]'s bytes; the error names what is wrong.
pub fn decode_input(bytes: &[u8]) -> Result<PageInput, String> {
    if bytes.len() > MAX_INPUT {
        return Err(format!(
            "{} bytes given, over the {MAX_INPUT}-byte limit",
            bytes.len()
        ));
    }
    fn take<'a>(bytes: &mut &'a [u8], what: &str) -> Result<&'a [u8], String> {
        let Some((len, rest)) = bytes.split_first_chunk::<4>() else {
            return Err(format!("truncated: the length of a {what}"));
        };
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err(format!("truncated: a {what} of {len} bytes"));
        }
        let (v, rest) = rest.split_at(len);
        *bytes = rest;
        Ok(v)
    }
    let mut rest = bytes;
    let mut input = PageInput::default();
    let mut trust = Vec::new();
    let mut trust_name = String::from("the page's trust");
    while !rest.is_empty() {
        let name = take(&mut rest, "name")?;
        let name = std::str::from_utf8(name).map_err(|_| "a name is not UTF-8".to_string())?;
        let data = take(&mut rest, "file")?;
        let text = || String::from_utf8_lossy(data).into_owned();
        if name == "now" {
            input.now = text()
                .parse()
                .map_err(|_| format!("now: {:?} is not a number of seconds", text()))?;
        } else if name == "trust-name" {
            trust_name = text();
        } else if let Some(rel) = name.strip_prefix("trust:") {
            trust.push((rel.to_string(), data.to_vec()));
        } else if let Some(pack) = name.strip_prefix("pack:") {
            input.packs.push((pack.to_string(), data.to_vec()));
        } else {
            return Err(format!("unknown record {name:?}"));
        }
    }
    input.trust = TrustFiles::from_named(&trust_name, trust);
    Ok(input)
}

/// The page's one call: [`decode_input`], the trust, then each pack
/// verified and reported. Always JSON: `{"error": …}` when the input or the
/// trust cannot be used, else `{"trust": …, "packs": [{"name", "verified",
/// "verdict", "text", "report" (as `verify --json`), "facilities": [{"id",
/// "html"}]} or {"name", "error"}]}`.
pub fn run(bytes: &[u8]) -> String {
    let input = match decode_input(bytes) {
        Ok(i) => i,
        Err(e) => return json!({ "error": format!("the page's input: {e}") }).to_string(),
    };
    if input.trust.files.is_empty() {
        return json!({ "error": "no trust: choose the scheme's trust directory (root.pem, policy or log.vkey, …)" }).to_string();
    }
    let trust = match Trust::from_files(&input.trust) {
        Ok(t) => t,
        Err(e) => return json!({ "error": format!("trust: {e}") }).to_string(),
    };
    let trust_name = input.trust.dir.to_string_lossy().into_owned();
    let as_of = crate::status::date_of(input.now);
    let options = Options {
        now: Some(input.now),
        ..Options::default()
    };
    let now = input.now;
    let packs: Vec<Value> = input
        .packs
        .into_iter()
        .map(|(name, bytes)| match verify_file(bytes, &trust, &options) {
            Err(e) => json!({ "name": name, "error": format!("{name}: {e}") }),
            Ok((report, pack)) => {
                let mut facilities = Vec::new();
                if let Some((p, state)) = &pack {
                    for id in state.facilities().keys() {
                        if let Ok(f) = crate::report::from_verified(
                            &report,
                            state,
                            p,
                            &name,
                            &trust_name,
                            id,
                            &as_of,
                            now,
                        ) {
                            facilities.push(json!({ "id": id, "html": f.to_html() }));
                        }
                    }
                }
                let report_json: Value =
                    serde_json::from_str(&report.to_json()).unwrap_or(Value::Null);
                json!({
                    "name": name,
                    "verified": report.verified(),
                    "verdict": report.verdict(),
                    "text": report.to_text(),
                    "report": report_json,
                    "facilities": facilities,
                })
            }
        })
        .collect();
    json!({
        "trust": {
            "name": trust_name,
            "logs": trust.policy.logs().iter().map(|k| format!("{}+{}", k.name(), k.id())).collect::<Vec<_>>(),
            "witnesses": trust.policy.witnesses().len(),
        },
        "packs": packs,
    })
    .to_string()
}

#[cfg(test)]
mod tests;
