//! Disk backup policies: how many backups of a VM's disks Katapult keeps, and when it takes them.
//! A policy set on the VM covers every disk it has.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::lookup::{body, lookup_ref, query};
use super::pagination::page_of;
use super::transport::Repeat;
use super::virtual_machines::VirtualMachineRef;
use super::{ApiError, Client};

lookup_ref!(
    /// A disk backup policy by id (`dbp_…`).
    DiskBackupPolicyRef, "disk_backup_policy", id prefix "dbp_"
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiskBackupPolicy {
    pub id: String,
    /// How many backups are kept; the oldest goes when a new one is taken.
    pub retention: Option<u32>,
    pub schedule: Option<Schedule>,
    /// Gigabytes the policy's backups take.
    pub total_size: Option<f64>,
}

/// When backups are taken. Lists give only `interval` and `next_invocation_at`; a single
/// policy gives all of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// `hourly`, `daily`, `weekly` or `monthly`.
    pub interval: Option<String>,
    /// Every how many intervals.
    pub frequency: Option<u32>,
    /// The hour of the day (0-23).
    pub time: Option<u32>,
    pub minute: Option<u32>,
    /// Unix time of the next backup.
    pub next_invocation_at: Option<i64>,
}

/// What a new or changed policy is: keep `retention` backups, one a day at `hour`:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyBackups {
    pub retention: u32,
    pub hour: u32,
}

impl DailyBackups {
    fn properties(&self) -> serde_json::Value {
        json!({
            "retention": self.retention,
            "schedule": { "interval": "daily", "frequency": 1, "time": self.hour, "minute": 0 },
        })
    }
}

page_of!(
    /// A page of a VM's policies.
    DiskBackupPoliciesPage, disk_backup_policies: DiskBackupPolicy
);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiskBackupPolicyResponse {
    pub disk_backup_policy: DiskBackupPolicy,
}

impl Client {
    /// The policies set on the VM itself (not those of single disks), all pages.
    pub fn virtual_machine_disk_backup_policies(
        &self,
        vm: &VirtualMachineRef,
    ) -> Result<Vec<DiskBackupPolicy>, ApiError> {
        self.get_all::<DiskBackupPoliciesPage>(
            "/virtual_machines/_/disk_backup_policies",
            query(vm),
        )
    }

    pub fn disk_backup_policy(
        &self,
        policy: &DiskBackupPolicyRef,
    ) -> Result<DiskBackupPolicy, ApiError> {
        Ok(self
            .get::<DiskBackupPolicyResponse>("/disk_backup_policies/_", query(policy))?
            .disk_backup_policy)
    }

    /// A new policy on the VM. Never repeated after a lost answer: it would make a second one.
    pub fn create_virtual_machine_disk_backup_policy(
        &self,
        vm: &VirtualMachineRef,
        backups: DailyBackups,
    ) -> Result<DiskBackupPolicy, ApiError> {
        let request = body(&[vm], json!({ "properties": backups.properties() }));
        Ok(self
            .write::<DiskBackupPolicyResponse>(
                Method::POST,
                "/virtual_machines/_/disk_backup_policies",
                request,
                Repeat::Never,
            )?
            .disk_backup_policy)
    }

    /// Changes a policy's retention and schedule. Harmless to repeat: it sets the same again.
    pub fn update_disk_backup_policy(
        &self,
        policy: &DiskBackupPolicyRef,
        backups: DailyBackups,
    ) -> Result<DiskBackupPolicy, ApiError> {
        let request = body(&[policy], json!({ "properties": backups.properties() }));
        Ok(self
            .write::<DiskBackupPolicyResponse>(
                Method::PATCH,
                "/disk_backup_policies/_",
                request,
                Repeat::Harmless,
            )?
            .disk_backup_policy)
    }

    /// Deletes a policy (Katapult moves it to the trash). Harmless to repeat: a repeat is 404.
    pub fn delete_disk_backup_policy(&self, policy: &DiskBackupPolicyRef) -> Result<(), ApiError> {
        self.write::<DiskBackupPolicyResponse>(
            Method::DELETE,
            "/disk_backup_policies/_",
            body(&[policy], json!({})),
            Repeat::Harmless,
        )?;
        Ok(())
    }
}
