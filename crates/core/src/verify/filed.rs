//! Self-monitoring: a signer checks that each statement it had logged is
//! in the log, filed under its facility (FORMATS §27), as a key
//! transparency client checks its own label.
//!
//! The signer keeps its statements with their receipts (`submit
//! --transparent`) and, later, obtains its facility's pack (the service
//! gives an operator its own facilities' packs, the User CIO every one).
//! A verified pack that proves itself complete holds exactly the statements
//! the log's committed index files under the facility's label, which its
//! VRF proof binds to the facility id; so each of the signer's statements
//! must be in it, byte for byte, at the entry its receipt names.

use super::{Pack, Report, Trust};
use crate::cose::split_transparent;
use crate::history::{attribution_of_statement, Attribution};

/// A file the signer kept: its name, and its transparent statement's bytes.
pub type Named = (String, Vec<u8>);
/// A signer's files by facility.
pub type ByFacility = std::collections::BTreeMap<String, Vec<Named>>;

/// The signer's transparent statements (name, bytes) grouped by the
/// facility whose pack shows each filed: the facility of its `sub`. A
/// scheme-level statement is in every pack, whose verification checks it;
/// it, or a file that is not a transparent statement, is refused by name.
pub fn group_filed(files: Vec<Named>) -> Result<ByFacility, String> {
    let mut by = ByFacility::new();
    for (name, bytes) in files {
        let st = split_transparent(&bytes)
            .map_err(|e| format!("{name}: not a transparent statement: {e}"))?
            .statement;
        match attribution_of_statement(&st) {
            Attribution::Facility(id) => by.entry(id).or_default().push((name, bytes)),
            _ => {
                return Err(format!(
                    "{name}: a scheme-level statement is in every pack: `verify` a pack checks it"
                ))
            }
        }
    }
    Ok(by)
}

/// Adds a check per statement of `mine` (name, transparent statement
/// bytes) to `report`, the report of `pack` verified against `trust`.
pub fn check_filed(report: &mut Report, pack: &Pack, trust: &Trust, mine: &[(String, Vec<u8>)]) {
    let complete = report.verified()
        && report
            .checks
            .iter()
            .any(|c| c.name == "complete" && c.passed);
    // The pack's statements: entry → statement bytes.
    let held: std::collections::HashMap<u64, Vec<u8>> = pack
        .statements
        .iter()
        .filter_map(|b| split_transparent(b).ok())
        .filter_map(|t| {
            let index = t.receipts.first()?.proof().index();
            Some((index, t.statement.bytes().to_vec()))
        })
        .collect();
    let facilities: Vec<&str> = pack
        .history
        .as_ref()
        .map(|h| h.facilities.iter().map(|f| f.id.as_str()).collect())
        .unwrap_or_default();
    // The pack's tree size (its checkpoint verified, if the report did).
    let size: Option<u64> = std::str::from_utf8(&pack.checkpoint)
        .ok()
        .and_then(|t| t.lines().nth(1))
        .and_then(|l| l.parse().ok());
    for (name, bytes) in mine {
        let check = format!("filed: {name}");
        let t = match split_transparent(bytes) {
            Ok(t) => t,
            Err(e) => {
                report.check(check, false, format!("not a transparent statement: {e}"));
                continue;
            }
        };
        let Some(receipt) = t.receipts.first() else {
            report.check(
                check,
                false,
                "it carries no receipt (keep what `submit --transparent` writes)",
            );
            continue;
        };
        let index = receipt.proof().index();
        let by_log = trust
            .policy
            .logs()
            .iter()
            .find(|k| k.id().as_bytes() == receipt.kid());
        if let Err(e) = by_log
            .ok_or_else(|| "its receipt is not signed by a log of the trust policy".to_string())
            .and_then(|k| {
                receipt
                    .verify(t.statement.bytes(), k)
                    .map_err(|e| e.to_string())
            })
        {
            report.check(check, false, format!("its receipt does not verify: {e}"));
            continue;
        }
        let facility = match attribution_of_statement(&t.statement) {
            Attribution::Facility(id) => id,
            _ => {
                report.check(
                    check,
                    false,
                    "it is a scheme-level statement: every pack holds those, checked by `complete`",
                );
                continue;
            }
        };
        let result = if !complete {
            Err("the pack does not prove itself complete, so it cannot show where the log filed the statement".to_string())
        } else if !facilities.contains(&facility.as_str()) {
            Err(format!(
                "the pack is not facility {facility}'s: ask for that facility's pack"
            ))
        } else if size.is_some_and(|s| index >= s) {
            Err(format!(
                "its receipt names entry {index}, past the pack's tree: ask for a newer pack"
            ))
        } else {
            match held.get(&index) {
                Some(b) if b == t.statement.bytes() => Ok(format!(
                    "entry {index}, filed under facility {facility} in the log's committed index (the facility's complete list, its label proven)"
                )),
                Some(_) => Err(format!(
                    "the log holds another statement of facility {facility} at entry {index}"
                )),
                None => Err(format!(
                    "entry {index} is in the log (its receipt verifies) but not filed under facility {facility}: the log filed it elsewhere"
                )),
            }
        };
        match result {
            Ok(d) => report.check(check, true, d),
            Err(d) => report.check(check, false, d),
        }
    }
}
