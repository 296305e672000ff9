//! Virtual machines: reading them, renaming them, power actions, package changes, deletion to the
//! trash.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;

use super::common::{api_enum, Annotation, Secret};
use super::data_centers::DataCenter;
use super::ip_addresses::IpAddress;
use super::lookup::{body, lookup_ref, query, query_with_annotation};
use super::organizations::{Organization, OrganizationRef};
use super::packages::{PackageRef, VirtualMachinePackage};
use super::pagination::page_of;
use super::tasks::{Task, TaskResponse};
use super::transport::{decode_success, Repeat};
use super::trash_objects::TrashObject;
use super::{ApiError, Client};

lookup_ref!(
    /// A VM by id (`vm_…`) or FQDN.
    VirtualMachineRef, "virtual_machine", id prefix "vm_", Fqdn => "fqdn"
);

api_enum!(
    /// VirtualMachineStateEnum.
    VirtualMachineState {
        Stopped => "stopped", Failed => "failed", Started => "started", Starting => "starting",
        Allocated => "allocated", Allocating => "allocating", Resetting => "resetting",
        Migrating => "migrating", Stopping => "stopping", ShuttingDown => "shutting_down",
        Transferring => "transferring", Orphaned => "orphaned",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VirtualMachine {
    pub id: String,
    pub name: Option<String>,
    pub hostname: Option<String>,
    pub fqdn: Option<String>,
    pub description: Option<String>,
    pub created_at: Option<i64>,
    /// Set by the disk template; may be null for a short while after the build.
    pub initial_root_password: Option<Secret>,
    #[serde(default)]
    pub state: VirtualMachineState,
    pub zone: Option<Zone>,
    pub organization: Option<Organization>,
    /// Null for flexible-resource VMs.
    pub package: Option<VirtualMachinePackage>,
    pub memory_in_gb: Option<u32>,
    pub cpu_cores: Option<u32>,
    #[serde(default)]
    pub ip_addresses: Vec<IpAddress>,
    #[serde(default)]
    pub tag_names: Vec<String>,
    /// LIVE only, not in the 2.68.0 spec.
    pub suspended: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    pub id: String,
    pub name: Option<String>,
    pub permalink: Option<String>,
    pub data_center: Option<DataCenter>,
}

/// The short VM object inside builds, lists and console sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VirtualMachineSummary {
    pub id: String,
    pub name: Option<String>,
    pub hostname: Option<String>,
    pub fqdn: Option<String>,
    pub state: Option<VirtualMachineState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VirtualMachineResponse {
    pub virtual_machine: VirtualMachine,
    #[serde(default)]
    pub annotations: Vec<Annotation>,
}

impl VirtualMachineResponse {
    /// The answer `virtual_machine_json_meanwhile` gave (its text), decoded.
    pub fn from_json(json: &str) -> Result<Self, ApiError> {
        decode_success(json, 200, None)
    }
}

page_of!(VirtualMachinesPage, virtual_machines: VirtualMachineSummary);

/// What `DELETE /virtual_machines/_` returns: the VM is in the trash, not gone yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VirtualMachineDeleted {
    pub trash_object: TrashObject,
    pub virtual_machine: Option<VirtualMachineSummary>,
}

/// What `PATCH /virtual_machines/_` changes (`VirtualMachineArguments`); a field left None
/// is left as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VirtualMachineChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
}

/// The power actions Katapult offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    Start,
    Stop,
    Shutdown,
    Reset,
}

impl PowerAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            PowerAction::Start => "start",
            PowerAction::Stop => "stop",
            PowerAction::Shutdown => "shutdown",
            PowerAction::Reset => "reset",
        }
    }

    /// Whether the action does anything in `state`: start a stopped VM; stop, shut down or
    /// reset a running one. In between (starting, stopping, …) none does.
    pub fn allowed_in(&self, state: VirtualMachineState) -> bool {
        match self {
            PowerAction::Start => state == VirtualMachineState::Stopped,
            PowerAction::Stop | PowerAction::Shutdown | PowerAction::Reset => {
                state == VirtualMachineState::Started
            }
        }
    }

    /// Whether the action interrupts what runs on the VM (so a client confirms it first).
    pub fn is_disruptive(&self) -> bool {
        !matches!(self, PowerAction::Start)
    }
}

impl VirtualMachineState {
    /// On the way from one steady state to another: worth watching closely.
    pub fn is_transitional(&self) -> bool {
        matches!(
            self,
            VirtualMachineState::Starting
                | VirtualMachineState::Stopping
                | VirtualMachineState::ShuttingDown
                | VirtualMachineState::Resetting
                | VirtualMachineState::Allocating
                | VirtualMachineState::Allocated
                | VirtualMachineState::Migrating
                | VirtualMachineState::Transferring
        )
    }
}

impl Client {
    pub fn virtual_machine(
        &self,
        vm: &VirtualMachineRef,
    ) -> Result<VirtualMachineResponse, ApiError> {
        self.get("/virtual_machines/_", query(vm))
    }

    /// `virtual_machine` as the API's JSON, running `meanwhile` while the answer is on its way
    /// (the work it does then costs no time beside the API's): for a caller that decodes only
    /// the answers new to it (`VirtualMachineResponse::from_json`).
    pub fn virtual_machine_json_meanwhile<R>(
        &self,
        vm: &VirtualMachineRef,
        meanwhile: impl FnOnce() -> R,
    ) -> (Result<Box<RawValue>, ApiError>, R) {
        self.get_meanwhile("/virtual_machines/_", query(vm), meanwhile)
    }

    /// The organization's VMs, all pages; optionally only those carrying an annotation.
    pub fn virtual_machines(
        &self,
        organization: &OrganizationRef,
        with_annotation: Option<&Annotation>,
    ) -> Result<Vec<VirtualMachineSummary>, ApiError> {
        let q = query_with_annotation(organization, with_annotation);
        self.get_all::<VirtualMachinesPage>("/organizations/_/virtual_machines", q)
    }

    /// Asks for a power action and returns its task. Harmless to repeat: asking twice for the
    /// same power state ends in that state.
    pub fn power(&self, vm: &VirtualMachineRef, action: PowerAction) -> Result<Task, ApiError> {
        let path = format!("/virtual_machines/_/{}", action.as_str());
        Ok(self
            .write::<TaskResponse>(
                Method::POST,
                &path,
                body(&[vm], json!({})),
                Repeat::Harmless,
            )?
            .task)
    }

    /// Moves the VM to another package. Harmless to repeat: the target is the same package.
    /// A downgrade needs the VM stopped (see `VirtualMachinePackage::is_downgrade_to`).
    pub fn change_package(
        &self,
        vm: &VirtualMachineRef,
        package: &PackageRef,
    ) -> Result<Task, ApiError> {
        let request = body(&[vm, package], json!({}));
        Ok(self
            .write::<TaskResponse>(
                Method::PUT,
                "/virtual_machines/_/package",
                request,
                Repeat::Harmless,
            )?
            .task)
    }

    /// Deletes the VM to Katapult's trash (it can be restored until `keep_until`). Harmless to
    /// repeat: a second delete answers 406 `object_in_trash`, which `ApiError::is_in_trash` names.
    pub fn delete_virtual_machine(
        &self,
        vm: &VirtualMachineRef,
    ) -> Result<VirtualMachineDeleted, ApiError> {
        self.write(
            Method::DELETE,
            "/virtual_machines/_",
            body(&[vm], json!({})),
            Repeat::Harmless,
        )
    }

    /// Changes the VM's display name and/or hostname. Harmless to repeat: it sets the same values.
    pub fn update_virtual_machine(
        &self,
        vm: &VirtualMachineRef,
        changes: &VirtualMachineChanges,
    ) -> Result<VirtualMachine, ApiError> {
        let request = body(&[vm], json!({ "properties": changes }));
        Ok(self
            .write::<VirtualMachineResponse>(
                Method::PATCH,
                "/virtual_machines/_",
                request,
                Repeat::Harmless,
            )?
            .virtual_machine)
    }
}
