//! RFC 7512 `pkcs11:` URIs: which token, which key, which module.
//!
//! ```text
//! pkcs11:token=ledger;object=log%20key;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/ledger/pin
//! ```
//!
//! The path part names the token (`token`, `serial`, `manufacturer`,
//! `model`) and the key (`object`, its label; `id`, its CKA_ID), values
//! percent-encoded; the query names the module (`module-path`) and where
//! the PIN is (`pin-source`, a file). A PIN written into the URI itself
//! (`pin-value`) is refused: a PIN is never an argument, which other users
//! of the machine could read; it comes from the environment or a file.
//! An attribute this parser does not know is refused by name (RFC 7512
//! §2.3: a URI with an unknown path attribute matches nothing).

/// A parsed `pkcs11:` URI.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// The token's label (`token`).
    pub token: Option<String>,
    /// The token's serial number (`serial`).
    pub serial: Option<String>,
    /// The token's manufacturer (`manufacturer`).
    pub manufacturer: Option<String>,
    /// The token's model (`model`).
    pub model: Option<String>,
    /// The key's label (`object`).
    pub object: Option<String>,
    /// The key's CKA_ID (`id`), raw bytes.
    pub id: Option<Vec<u8>>,
    /// The PKCS#11 module to load (`module-path`).
    pub module_path: Option<String>,
    /// Where the PIN is (`pin-source`): a file path (`file:` prefix taken
    /// off, or a plain path).
    pub pin_source: Option<String>,
}

/// Why a string is not a `pkcs11:` URI this tool can use.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{uri}: {reason}")]
pub struct UriError {
    /// The URI, with any `pin-value` masked.
    pub uri: String,
    /// What is wrong.
    pub reason: String,
}

fn pct_decode(s: &str) -> Result<Vec<u8>, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("{s:?} has a bad percent escape"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn text(name: &str, raw: &str) -> Result<String, String> {
    String::from_utf8(pct_decode(raw)?).map_err(|_| format!("{name} is not UTF-8"))
}

impl Pkcs11Uri {
    /// Parses `uri`.
    pub fn parse(uri: &str) -> Result<Pkcs11Uri, UriError> {
        let masked = || match uri.find("pin-value=") {
            Some(i) => format!("{}pin-value=…", &uri[..i]),
            None => uri.to_string(),
        };
        let fail = |reason: String| UriError {
            uri: masked(),
            reason,
        };
        let rest = uri
            .strip_prefix("pkcs11:")
            .ok_or_else(|| fail("not a pkcs11: URI (RFC 7512)".into()))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut u = Pkcs11Uri::default();
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            let (name, value) = attr
                .split_once('=')
                .ok_or_else(|| fail(format!("path attribute {attr:?} has no value")))?;
            let slot: &mut Option<String> = match name {
                "token" => &mut u.token,
                "serial" => &mut u.serial,
                "manufacturer" => &mut u.manufacturer,
                "model" => &mut u.model,
                "object" => &mut u.object,
                "id" => {
                    if u.id.is_some() {
                        return Err(fail("id is given twice".into()));
                    }
                    u.id = Some(pct_decode(value).map_err(&fail)?);
                    continue;
                }
                "type" => {
                    if value != "private" {
                        return Err(fail(format!(
                            "type={value}: a signer's key is a private key (type=private)"
                        )));
                    }
                    continue;
                }
                other => {
                    return Err(fail(format!(
                        "unknown path attribute {other:?} (known: token, serial, manufacturer, model, object, id, type)"
                    )))
                }
            };
            if slot.is_some() {
                return Err(fail(format!("{name} is given twice")));
            }
            *slot = Some(text(name, value).map_err(&fail)?);
        }
        for attr in query.split('&').filter(|a| !a.is_empty()) {
            let (name, value) = attr
                .split_once('=')
                .ok_or_else(|| fail(format!("query attribute {attr:?} has no value")))?;
            match name {
                "module-path" => u.module_path = Some(text(name, value).map_err(&fail)?),
                "pin-source" => {
                    let v = text(name, value).map_err(&fail)?;
                    let path = v.strip_prefix("file:").unwrap_or(&v).to_string();
                    u.pin_source = Some(path);
                }
                "pin-value" => {
                    return Err(fail(
                        "a PIN is never written into a URI or an argument: give it in TRIAGE_LEDGER_PKCS11_PIN, or in a file named by pin-source=file:PATH".into(),
                    ))
                }
                other => {
                    return Err(fail(format!(
                        "unknown query attribute {other:?} (known: module-path, pin-source)"
                    )))
                }
            }
        }
        if u.object.is_none() && u.id.is_none() {
            return Err(fail(
                "names no key: give object=LABEL or id=%XX… in the path".into(),
            ));
        }
        Ok(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uri_names_its_token_key_module_and_pin_file() {
        let u = Pkcs11Uri::parse(
            "pkcs11:token=ledger%20one;object=log%20key;id=%01%ff;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin",
        )
        .unwrap();
        assert_eq!(u.token.as_deref(), Some("ledger one"));
        assert_eq!(u.object.as_deref(), Some("log key"));
        assert_eq!(u.id.as_deref(), Some(&[1u8, 0xff][..]));
        assert_eq!(
            u.module_path.as_deref(),
            Some("/usr/lib/softhsm/libsofthsm2.so")
        );
        assert_eq!(u.pin_source.as_deref(), Some("/run/pin"));
        let u = Pkcs11Uri::parse("pkcs11:serial=0123;id=%2a").unwrap();
        assert_eq!(u.serial.as_deref(), Some("0123"));
        assert_eq!(u.id.as_deref(), Some(&[0x2a][..]));
    }

    #[test]
    fn a_pin_in_the_uri_and_unknown_or_bad_attributes_are_refused_by_name() {
        let e = Pkcs11Uri::parse("pkcs11:object=k?pin-value=1234").unwrap_err();
        assert!(e.reason.contains("never written into a URI"), "{e}");
        assert!(!e.to_string().contains("1234"), "{e}");
        let refused = [
            ("https://x", "not a pkcs11: URI"),
            (
                "pkcs11:object=k;slot-x=1",
                "unknown path attribute \"slot-x\"",
            ),
            ("pkcs11:object=k?foo=1", "unknown query attribute \"foo\""),
            ("pkcs11:object=k;object=j", "object is given twice"),
            ("pkcs11:object=%zz", "bad percent escape"),
            ("pkcs11:object=k;type=public", "type=private"),
            ("pkcs11:token=t", "names no key"),
            ("pkcs11:object", "has no value"),
        ];
        for (uri, why) in refused {
            let e = Pkcs11Uri::parse(uri).unwrap_err();
            assert!(e.to_string().contains(why), "{uri}: {e}");
        }
    }
}
