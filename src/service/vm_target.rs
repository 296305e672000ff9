//! Which VM a module function acts on, and waiting for Katapult to finish what it was asked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::context::{Context, ModuleError};
use super::imported_vm;
use super::links::ServiceLinks;
use super::params::ServiceParams;
use crate::api::tasks::{Task, TaskRef, TaskStatus};
use crate::api::trash_objects::TrashObject;
use crate::api::virtual_machines::{PowerAction, VirtualMachineRef, VirtualMachineState};
use crate::api::Client;
use crate::store::DataStore;

/// What a module function that acts on a service's VM works with.
pub struct ServiceVm<'a> {
    pub store: DataStore<'a>,
    pub client: Arc<Client>,
    pub vm: VirtualMachineRef,
}

/// The service's VM with a client to reach it; `Ok(Err(reason))` when there is no VM to act on.
pub fn service_vm<'a>(
    ctx: &Context<'a>,
    params: &ServiceParams,
) -> Result<Result<ServiceVm<'a>, String>, ModuleError> {
    let store = ctx.store()?;
    let client = ctx.client(&store)?;
    let links = imported_vm::links(ctx, &store, params)?;
    Ok(vm_of(&links).map(|vm| ServiceVm { store, client, vm }))
}

/// A service's VM, or the reason there is none to act on (said to the admin as it is).
pub fn vm_of(links: &ServiceLinks) -> Result<VirtualMachineRef, String> {
    match (&links.vm_id, &links.vm_build_id) {
        (Some(vm_id), _) => Ok(VirtualMachineRef::Id(vm_id.clone())),
        (None, Some(build_id)) if links.build_pending() => Err(format!("The VM is still being built ({build_id}); try again once it is built (the cron writes it into the service within minutes).")),
        (None, Some(build_id)) => Err(format!("The VM build {build_id} failed, so there is no VM: press Create to build again, or Terminate.")),
        (None, None) => Err("This service has no Katapult VM: it was never created (press Create).".into()),
    }
}

/// How often a wait asks Katapult again.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Katapult's answer when it cannot queue a task because another one for the VM still runs.
const TASK_QUEUEING_ERROR: &str = "task_queueing_error";

/// What a client is told when Katapult refuses a power action for a task under way.
pub const VM_BUSY: &str = "Katapult is still busy with another task on this VM (its build, a power action or a package change): try again in a minute.";

/// A power action the client asked for; Katapult's refusal while another task runs becomes a
/// sentence for the client.
pub fn power_for_client(
    client: &Client,
    vm: &VirtualMachineRef,
    action: PowerAction,
) -> Result<Task, ModuleError> {
    client.power(vm, action).map_err(|error| {
        if error.code() == Some(TASK_QUEUEING_ERROR) {
            ModuleError::Product(format!("{VM_BUSY} ({error})"))
        } else {
            error.into()
        }
    })
}

/// A power action that follows another task on the VM (the stop after a shutdown, the start
/// after a package change): sent again while Katapult cannot queue it, until `timeout`.
pub fn power_after_task(
    client: &Client,
    vm: &VirtualMachineRef,
    action: PowerAction,
    timeout: Duration,
) -> Result<Task, ModuleError> {
    let deadline = Instant::now() + timeout;
    loop {
        match client.power(vm, action) {
            Err(error)
                if error.code() == Some(TASK_QUEUEING_ERROR) && Instant::now() < deadline =>
            {
                std::thread::sleep(POLL_INTERVAL);
            }
            outcome => return Ok(outcome?),
        }
    }
}

/// Moves VM `vm_id` to Katapult's trash: the trash object, or None when the VM was already
/// gone (not found, or in the trash already).
pub fn trash_vm(client: &Client, vm_id: &str) -> Result<Option<TrashObject>, ModuleError> {
    match client.delete_virtual_machine(&VirtualMachineRef::Id(vm_id.to_string())) {
        Ok(deleted) => Ok(Some(deleted.trash_object)),
        Err(error) if error.is_not_found() || error.is_in_trash() => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Waits for a task to finish; true when it completed within `timeout`.
pub fn wait_for_task(client: &Client, task: &Task, timeout: Duration) -> Result<bool, ModuleError> {
    let deadline = Instant::now() + timeout;
    let mut status = task.status;
    while !status.is_finished() {
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(POLL_INTERVAL);
        status = client.task(&TaskRef::Id(task.id.clone()))?.status;
    }
    Ok(status == TaskStatus::Completed)
}

/// Waits for the VM to reach `state`; true when it did within `timeout`.
pub fn wait_for_state(
    client: &Client,
    vm: &VirtualMachineRef,
    state: VirtualMachineState,
    timeout: Duration,
) -> Result<bool, ModuleError> {
    let deadline = Instant::now() + timeout;
    loop {
        if client.virtual_machine(vm)?.virtual_machine.state == state {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}
