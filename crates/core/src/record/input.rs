//! Input people write by hand: a framework version (JSON, as the SSC
//! publishes it), a tool inventory (JSON) and findings (text lines). The
//! JSON fields are those of the records (FORMATS.md §10), digests in hex;
//! unknown fields are refused, and the result is validated as the record.

use serde::Deserialize;

use super::{
    Finding, FindingResult, Framework, Interface, Kind, Record, RecordError, Tool, ToolInventory,
};

/// Parses one finding, `OBLIGATION|result|note` (result: met, not-met or
/// not-assessed); `source` names where it came from in the error.
pub fn finding_from_line(line: &str, source: &str) -> Result<Finding, RecordError> {
    let bad = || RecordError::Invalid {
        kind: "finding",
        reason: format!(
            "{source} {line:?}: expected \"OBLIGATION|met|note\" (met, not-met or not-assessed)"
        ),
    };
    let mut p = line.splitn(3, '|');
    let (Some(o), Some(r), Some(n)) = (p.next(), p.next(), p.next()) else {
        return Err(bad());
    };
    Ok(Finding {
        obligation: o.trim().to_string(),
        result: FindingResult::parse(r.trim()).ok_or_else(bad)?,
        note: n.trim().to_string(),
    })
}

/// Parses findings, one `OBLIGATION|result|note` per line; blank lines and
/// lines starting with `#` are skipped.
pub fn findings_from_text(text: &str, source: &str) -> Result<Vec<Finding>, RecordError> {
    text.lines()
        .enumerate()
        .map(|(n, l)| (n, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(n, l)| finding_from_line(l, &format!("{source} line {}", n + 1)))
        .collect()
}

fn invalid(kind: Kind, reason: String) -> RecordError {
    RecordError::Invalid {
        kind: kind.name(),
        reason,
    }
}

/// Reads a framework version from JSON: `{"version", "title", "obligations":
/// [{"id", "title", "applies", "reason"?, "evidence"?: [..]}]}`.
pub fn framework_from_json(bytes: &[u8]) -> Result<Framework, RecordError> {
    let f: Framework = serde_json::from_slice(bytes)
        .map_err(|e| invalid(Kind::Framework, format!("JSON: {e}")))?;
    Record::Framework(f.clone()).validate()?;
    Ok(f)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolJson {
    make: String,
    model: String,
    serial: String,
    firmware_sha256: String,
    cpa_certificate: String,
    cpa_expires: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InventoryJson {
    #[serde(default)]
    tools: Vec<ToolJson>,
    #[serde(default)]
    interfaces: Vec<Interface>,
}

/// Reads a facility's tool inventory from JSON: `{"tools": [{"make",
/// "model", "serial", "firmware_sha256" (64 hex digits), "cpa_certificate",
/// "cpa_expires"}], "interfaces": [{"name", "type", "access_controls"}]}`.
pub fn inventory_from_json(facility: &str, bytes: &[u8]) -> Result<ToolInventory, RecordError> {
    let k = Kind::ToolInventory;
    let j: InventoryJson =
        serde_json::from_slice(bytes).map_err(|e| invalid(k, format!("JSON: {e}")))?;
    let tools = j
        .tools
        .into_iter()
        .map(|t| {
            let firmware_sha256 = crate::hex::decode(&t.firmware_sha256)
                .and_then(|d| crate::merkle::Hash::from_slice(&d).ok())
                .ok_or_else(|| {
                    invalid(
                        k,
                        format!("tool {}: firmware_sha256 must be 64 hex digits", t.serial),
                    )
                })?;
            Ok(Tool {
                make: t.make,
                model: t.model,
                serial: t.serial,
                firmware_sha256,
                cpa_certificate: t.cpa_certificate,
                cpa_expires: t.cpa_expires,
            })
        })
        .collect::<Result<Vec<_>, RecordError>>()?;
    let inv = ToolInventory {
        facility: facility.to_string(),
        tools,
        interfaces: j.interfaces,
    };
    Record::ToolInventory(inv.clone()).validate()?;
    Ok(inv)
}
