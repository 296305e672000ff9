//! Disks: a VM's disks, and growing one (the client's custom disk size after an upgrade).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::lookup::{body, lookup_ref, query};
use super::pagination::page_of;
use super::tasks::Task;
use super::transport::Repeat;
use super::virtual_machines::VirtualMachineRef;
use super::{ApiError, Client};

lookup_ref!(
    /// A disk by id (`disk_…`).
    DiskRef, "disk", id prefix "disk_"
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disk {
    pub id: String,
    pub name: Option<String>,
    pub size_in_gb: Option<u32>,
}

/// A disk as attached to a VM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VirtualMachineDisk {
    pub disk: Disk,
    /// The disk the VM boots from: its system disk.
    #[serde(default)]
    pub boot: bool,
}

page_of!(VirtualMachineDisksPage, disks: VirtualMachineDisk);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiskResized {
    pub disk: Disk,
    pub task: Task,
}

impl Client {
    /// Every disk attached to the VM, all pages.
    pub fn virtual_machine_disks(
        &self,
        vm: &VirtualMachineRef,
    ) -> Result<Vec<VirtualMachineDisk>, ApiError> {
        self.get_all::<VirtualMachineDisksPage>("/virtual_machines/_/disks", query(vm))
    }

    /// Grows a disk while its VM runs (Katapult cannot shrink one). Harmless to repeat: the
    /// target is the same size.
    pub fn resize_disk(&self, disk: &DiskRef, size_in_gb: u32) -> Result<Task, ApiError> {
        let request = body(
            &[disk],
            json!({ "size_in_gb": size_in_gb, "resize_method": "online" }),
        );
        Ok(self
            .write::<DiskResized>(Method::PUT, "/disks/_/resize", request, Repeat::Harmless)?
            .task)
    }
}
