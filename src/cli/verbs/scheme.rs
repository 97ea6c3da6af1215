//! The scheme's signing verbs: transfers, tool inventories, framework
//! versions, designations and revocations. Each verb's arguments build its
//! record.

use std::path::PathBuf;

use triage_ledger::record::*;

use super::RoleArg;
use super::SignArgs;
use crate::cli::common::load_cert;
use crate::cli::common::read;
use crate::cli::failure::Failure;

#[derive(clap::Args)]
pub struct TransferArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// Facility id.
    #[arg(long)]
    pub(crate) facility: String,
    /// The party (organizationIdentifier) it now belongs to.
    #[arg(long)]
    pub(crate) to_party: String,
    /// Reasons.
    #[arg(long)]
    pub(crate) reason: String,
}

impl TransferArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        Ok(Record::Transfer(Transfer {
            facility: self.facility.clone(),
            to_party: self.to_party.clone(),
            reason: self.reason.clone(),
        }))
    }
}

#[derive(clap::Args)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// Facility id.
    #[arg(long)]
    pub(crate) facility: String,
    /// {"tools": [{"make", "model", "serial", "firmware_sha256", "cpa_certificate", "cpa_expires"}], "interfaces": [{"name", "type", "access_controls"}]}.
    #[arg(long)]
    pub(crate) file: PathBuf,
}

impl InventoryArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        let inv = inventory_from_json(&self.facility, &read(&self.file)?)
            .map_err(|e| Failure::input(format!("{}: {e}", self.file.display())))?;
        Ok(Record::ToolInventory(inv))
    }
}

#[derive(clap::Args)]
pub struct PublishFrameworkArgs {
    /// {"version", "title", "obligations": [{"id", "title", "applies", "reason"?, "evidence"?}]}.
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) sign: SignArgs,
}

impl PublishFrameworkArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        let f = framework_from_json(&read(&self.file)?)
            .map_err(|e| Failure::input(format!("{}: {e}", self.file.display())))?;
        Ok(Record::Framework(f))
    }
}

#[derive(clap::Args)]
pub struct DesignateArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// The scheme role the party is designated for.
    #[arg(long, value_enum)]
    pub(crate) role: RoleArg,
    /// The party's identifier (certificates' organizationIdentifier).
    #[arg(long)]
    pub(crate) party: String,
    /// The appointment it records.
    #[arg(long)]
    pub(crate) note: String,
}

impl DesignateArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        Ok(Record::Designation(Designation {
            role: self.role.into(),
            party: self.party.clone(),
            note: self.note.clone(),
        }))
    }
}

#[derive(clap::Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// The certificate revoked (PEM).
    #[arg(long)]
    pub(crate) certificate: PathBuf,
    /// Reason.
    #[arg(long)]
    pub(crate) reason: String,
}

impl RevokeArgs {
    pub(super) fn record(&self) -> Result<Record, Failure> {
        let c = load_cert(&self.certificate)?;
        Ok(Record::Revocation(Revocation {
            certificate_sha256: triage_ledger::merkle::Hash::from_bytes(c.fingerprint()),
            reason: self.reason.clone(),
        }))
    }
}
