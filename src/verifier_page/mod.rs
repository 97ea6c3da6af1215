//! The verifier page (issue 27): one HTML file with the offline verifier
//! compiled to WebAssembly (the `triage-ledger-web` crate, which calls
//! `triage_ledger_core::page::run`), the script, optionally the scheme's
//! trust directory, and a Content-Security-Policy that runs only that
//! script (by its SHA-256), lets it compile WebAssembly, and fetches
//! nothing. The module is carried gzip-compressed (the browser's own
//! `DecompressionStream` opens it), which keeps the page under 1 MiB.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::verify::TrustFiles;
use flate2::{write::GzEncoder, Compression};
use std::io::Write as _;

/// The page's script (the WebAssembly module and the trust are put in
/// front of it as `WASM` and `TRUST`).
pub const PAGE_SCRIPT: &str = include_str!("verifier.js");

/// The largest WebAssembly module a page carries.
const MAX_WASM: usize = 8 << 20;

/// Why a page could not be written.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PageError {
    /// The module given is not WebAssembly, or not the verifier's.
    #[error("{0}")]
    NotTheVerifier(String),
    /// The trust directory cannot be read, or the verifier could not use
    /// it (the page carries only a trust that works).
    #[error(transparent)]
    Trust(#[from] crate::verify::TrustError),
}

impl crate::class::Classify for PageError {
    fn class(&self) -> crate::class::Class {
        crate::class::Class::BadInput
    }
}

/// A trust directory for the page to carry: its files, named in the page
/// by the directory's own name (not the path on the maker's machine, which
/// would make the page differ from one machine to another).
pub fn read_trust(dir: &std::path::Path) -> Result<TrustFiles, PageError> {
    let files = TrustFiles::read_dir(dir)?;
    let name = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(TrustFiles {
        dir: name.into(),
        ..files
    })
}

/// The exports the page's script calls.
const EXPORTS: [&str; 4] = ["memory", "tl_input", "tl_run", "tl_output"];

/// The page, for the module `wasm` (the `triage-ledger-web` crate built
/// for `wasm32-unknown-unknown`) and, if given, the trust the page carries.
/// The same inputs give the same bytes: the page has no date in it. A
/// trust the verifier could not use is refused here, not in the reader's
/// browser.
pub fn assemble(wasm: &[u8], trust: Option<&TrustFiles>) -> Result<String, PageError> {
    if let Some(t) = trust {
        crate::verify::Trust::from_files(t)?;
    }
    if !wasm.starts_with(b"\0asm\x01\0\0\0") {
        return Err(PageError::NotTheVerifier(
            "not a WebAssembly module (build it with scripts/verifier-page)".into(),
        ));
    }
    if wasm.len() > MAX_WASM {
        return Err(PageError::NotTheVerifier(format!(
            "{} bytes, over the {MAX_WASM}-byte limit of the page's module",
            wasm.len()
        )));
    }
    for name in EXPORTS {
        if !wasm.windows(name.len()).any(|w| w == name.as_bytes()) {
            return Err(PageError::NotTheVerifier(format!(
                "the module does not export {name}: it is not triage-ledger-web's"
            )));
        }
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let trust_js = match trust {
        None => "null".to_string(),
        Some(t) => serde_json::json!({
            "name": t.dir.to_string_lossy(),
            "files": t.files.iter().map(|(p, b)| (p.clone(), b64.encode(b))).collect::<Vec<_>>(),
        })
        .to_string()
        // Inside <script>: no "</script>" can be written by a name.
        .replace('<', "\\u003c"),
    };
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(wasm)
        .map_err(|e| PageError::NotTheVerifier(e.to_string()))?;
    let gz = gz
        .finish()
        .map_err(|e| PageError::NotTheVerifier(e.to_string()))?;
    let script = format!(
        "const WASM_GZ = \"{}\";\nconst TRUST = {trust_js};\n{PAGE_SCRIPT}",
        b64.encode(gz)
    );
    let hash = b64.encode(Sha256::digest(script.as_bytes()));
    let wasm_sha = crate::hex::encode(&Sha256::digest(wasm));
    let carried = match trust {
        None => "This page carries no trust: choose the scheme's trust directory below.".to_string(),
        Some(t) => format!(
            "This page carries the trust directory {} (built in when the page was made); choosing another replaces it.",
            crate::report::esc(&t.dir.to_string_lossy())
        ),
    };
    Ok(format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-{hash}' 'wasm-unsafe-eval'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'none'; base-uri 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="triage-ledger-verifier-wasm-sha256" content="{wasm_sha}">
<title>triage-ledger: verify an evidence pack</title>
<style>{CSS}</style>
</head>
<body data-state="loading">
<header>
<h1>Verify an evidence pack</h1>
<p>triage-ledger's offline verifier, in this page: it checks a pack's signatures, inclusion and consistency proofs, witnesses and the scheme's rules against the trust you give it, and shows the same verdict and report as <code>triage-ledger verify</code> and <code>report</code>. Nothing is sent anywhere: the page can fetch nothing.</p>
<p class="small">{carried} Module SHA-256 <code>{wasm_sha}</code>.</p>
</header>
<main>
<div id="drop">
<label>Packs to verify <input type="file" id="packs" multiple></label>
<label>Trust directory <input type="file" id="trust" webkitdirectory multiple></label>
<p class="small">Or drop packs here. A link may carry a pack: <code>verifier.html#pack=BASE64URL</code>.</p>
</div>
<p id="trust-used" class="small"></p>
<div id="results"></div>
<p id="timing" class="small"></p>
<pre id="json" hidden></pre>
</main>
<script>{script}</script>
</body>
</html>
"#
    ))
}

const CSS: &str = "body{font:16px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fff}
header,main{max-width:1100px;margin:0 auto;padding:0 20px}
h1{font-size:26px;margin:20px 0 8px}
.small{font-size:13px;color:#57606a}
#drop{border:2px dashed #8c959f;border-radius:8px;padding:16px;display:flex;flex-wrap:wrap;gap:24px}
#drop.over{background:#f3f6fb}
.verdict{padding:14px 18px;border-radius:6px;color:#fff;font-weight:600;margin:10px 0}
.verdict.verified{background:#1e6b34}
.verdict.failed{background:#a4161a}
pre.checks{background:#f6f8fa;padding:12px;overflow-x:auto;font-size:13px;white-space:pre-wrap}
iframe{width:100%;height:900px;border:1px solid #d0d7de}
code{font-size:13px;word-break:break-all}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_needs_the_verifiers_module_and_names_its_script_by_hash() {
        assert!(assemble(b"<html>", None).is_err());
        let e = assemble(b"\0asm\x01\0\0\0memory", None).unwrap_err();
        assert!(e.to_string().contains("tl_input"), "{e}");
        let fake = b"\0asm\x01\0\0\0memory tl_input tl_run tl_output";
        let page = assemble(fake, None).unwrap();
        assert_eq!(page, assemble(fake, None).unwrap(), "reproducible");
        let script = page
            .split("<script>")
            .nth(1)
            .and_then(|s| s.split("</script>").next())
            .unwrap();
        use base64::Engine as _;
        let hash =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()));
        assert!(page.contains(&format!("script-src 'sha256-{hash}' 'wasm-unsafe-eval'")));
        assert_eq!(page.matches("<script").count(), 1);
        // A trust directory's name cannot close the script.
        let root = include_bytes!("../../keys/demo-root.pem").to_vec();
        let log =
            crate::note::SignerKey::generate("example.org/log", crate::note::SigType::Ed25519)
                .unwrap()
                .verifier()
                .to_string();
        let t = TrustFiles::from_named(
            "</script><script>alert(1)",
            [
                ("root.pem".to_string(), root.clone()),
                ("log.vkey".to_string(), log.into_bytes()),
            ],
        );
        let page = assemble(fake, Some(&t)).unwrap();
        assert_eq!(page.matches("<script").count(), 1, "{page}");
        // A trust the verifier could not use is not carried.
        let unusable = TrustFiles::from_named("t", [("root.pem".to_string(), root)]);
        match assemble(fake, Some(&unusable)) {
            Err(PageError::Trust(e)) => {
                assert!(e.to_string().contains("neither policy nor log.vkey"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
}
