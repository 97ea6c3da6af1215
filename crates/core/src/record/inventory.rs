//! The operator's inventory of a facility's Triage Tools and Triage
//! Interfaces. Each record is a whole snapshot; a change is a new record,
//! and the ledger keeps the history.

use serde::{Deserialize, Serialize};

/// A Triage Tool: the equipment that resets devices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// Manufacturer.
    pub make: String,
    /// Model.
    pub model: String,
    /// Serial number, unique within the inventory.
    pub serial: String,
    /// SHA-256 of the installed firmware image.
    pub firmware_sha256: crate::merkle::Hash,
    /// Reference of its NCSC CPA certificate for Use Case 004 (Factory Reset).
    pub cpa_certificate: String,
    /// The CPA certificate's expiry, YYYY-MM-DD.
    pub cpa_expires: String,
}

/// A Triage Interface: an access path into a device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    /// Name, unique within the inventory (e.g. "optical-1").
    pub name: String,
    /// Type: optical port, HAN, WAN via the DCC, a vendor jig, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The access controls on it.
    pub access_controls: String,
}

/// A facility's tools and interfaces as of this record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolInventory {
    /// Facility identifier.
    pub facility: String,
    /// The Triage Tools.
    pub tools: Vec<Tool>,
    /// The Triage Interfaces.
    pub interfaces: Vec<Interface>,
}
