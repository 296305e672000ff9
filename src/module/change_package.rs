//! `katapult_ChangePackage()`: after an upgrade or downgrade, the VM follows the service.
//!
//! The story: the VM moves to the service's package (the client's "Package" option, else the
//! product's). An upgrade happens while it runs; a downgrade needs it stopped (Katapult shrinks no running VM),
//! so the VM is shut down (stopped after the grace period), resized, and started again. Then, if
//! the client chose a larger "Custom Disk Size (GB)", the system disk grows to it, online
//! (Katapult cannot shrink a disk: a smaller choice is reported, not attempted). Then the VM gets
//! as many extra IPv4 addresses as the client's "Extra IPv4 Addresses" now says, made and
//! allocated or unallocated and released, and WHMCS's assigned IPs follow. Last, the VM's backup
//! policy follows the "Backups" option: added, changed or removed.

use std::time::Duration;

use crate::api::disks::DiskRef;
use crate::api::packages::{PackageRef, VirtualMachinePackage};
use crate::api::virtual_machines::{PowerAction, VirtualMachineRef, VirtualMachineState};
use crate::api::Client;
use crate::service::backups;
use crate::service::chosen_options::ChosenOptions;
use crate::service::context::{Context, ModuleError};
use crate::service::extra_ipv4;
use crate::service::params::ServiceParams;
use crate::service::vm_options_lock;
use crate::service::vm_target::{
    power_after_task, service_vm, wait_for_state, wait_for_task, ServiceVm,
};

/// How long a resize may take before the admin is told to check on it.
const RESIZE_TIMEOUT: Duration = Duration::from_secs(300);

pub fn change_package(ctx: &Context<'_>, params: &ServiceParams, grace: Duration) -> String {
    super::said(run(ctx, params, grace), "the VM's package was not changed")
}

fn run(ctx: &Context<'_>, params: &ServiceParams, grace: Duration) -> Result<String, ModuleError> {
    // The client's "Package" configurable option where chosen, as at creation; else the product's.
    let target = params
        .configurable_option("Package")
        .or_else(|| Some(params.config_option(1)).filter(|p| !p.is_empty()));
    let Some(target) = target.map(str::to_string) else {
        return Err(ModuleError::Product(
            "the product names no VM package (Module Settings)".into(),
        ));
    };
    let ServiceVm { store, client, vm } = match service_vm(ctx, params)? {
        Ok(target) => target,
        Err(reason) => return Ok(reason),
    };
    let chosen = ChosenOptions::for_service(ctx.sql, &store, params)?;
    ctx.logged(&client, || {
        let mut unfinished = Vec::new();
        if let Some(task) = change_to_package(ctx, params, &client, &vm, &target, grace)? {
            unfinished.push(format!("the package change (task {task})"));
        }
        if let Some(size) = chosen.disk_size_gb {
            match grow_system_disk(ctx, params, &client, &vm, size)? {
                DiskOutcome::AsChosen => {}
                DiskOutcome::Resizing(task) => unfinished.push(format!("the disk resize (task {task})")),
                DiskOutcome::CannotShrink(current) => {
                    return Ok(format!("The VM has its package, but its system disk is {current} GB and Katapult cannot shrink a disk to the {size} GB chosen; choose {current} GB or more."));
                }
            }
        }
        vm_options_lock::holding(ctx, params.service_id, || {
            let extra = extra_ipv4::bring_to(ctx, &store, &client, params.service_id, &vm, chosen.extra_ipv4)?;
            if !extra.is_empty() {
                ctx.log_for_service(params.service_id, Some(params.client_id), &extra.summary());
            }
            backups::follow_choice(ctx, &store, &client, params, &vm)
        })?;
        if unfinished.is_empty() {
            Ok("success".to_string())
        } else {
            Ok(format!("Katapult accepted {} but had not finished after {} minutes; check the VM in Katapult.", unfinished.join(" and "), RESIZE_TIMEOUT.as_secs() / 60))
        }
    })
}

/// Moves the VM to the package; the id of a task still running after the time-out.
fn change_to_package(
    ctx: &Context<'_>,
    params: &ServiceParams,
    client: &Client,
    vm: &VirtualMachineRef,
    target: &str,
    grace: Duration,
) -> Result<Option<String>, ModuleError> {
    let current = client.virtual_machine(vm)?.virtual_machine;
    let wanted = client.virtual_machine_package(&PackageRef::from(target))?;
    let Some(from) = current.package.clone() else {
        return Err(ModuleError::Product(
            "the VM has flexible resources, not a package: change it in Katapult".into(),
        ));
    };
    if from.id == wanted.id {
        return Ok(None);
    }
    let must_stop = from.is_downgrade_to(&wanted) && current.state != VirtualMachineState::Stopped;
    let name = |p: &VirtualMachinePackage| p.permalink.clone().unwrap_or_else(|| p.id.clone());
    let resize = || {
        if must_stop {
            client.power(vm, PowerAction::Shutdown)?;
            if !wait_for_state(client, vm, VirtualMachineState::Stopped, grace)? {
                power_after_task(client, vm, PowerAction::Stop, grace)?;
                wait_for_state(client, vm, VirtualMachineState::Stopped, grace)?;
            }
        }
        let task = client.change_package(vm, &PackageRef::Id(wanted.id.clone()))?;
        let finished = wait_for_task(client, &task, RESIZE_TIMEOUT)?;
        Ok::<_, ModuleError>((task, finished))
    };
    let (task, finished) = match resize() {
        Ok(resized) => resized,
        // The client's VM does not stay off because the downgrade failed.
        Err(error) if must_stop => {
            let restarted = match power_after_task(client, vm, PowerAction::Start, grace) {
                Ok(_) => "the VM, stopped for it, was started again".to_string(),
                Err(start) => {
                    format!("the VM, stopped for it, could not be started again: {start}")
                }
            };
            ctx.log_for_service(
                params.service_id,
                Some(params.client_id),
                &format!(
                    "package change {} → {} failed ({error}); {restarted}",
                    name(&from),
                    name(&wanted)
                ),
            );
            return Err(error);
        }
        Err(error) => return Err(error),
    };
    if must_stop {
        power_after_task(client, vm, PowerAction::Start, grace)?;
    }
    ctx.log_for_service(
        params.service_id,
        Some(params.client_id),
        &format!(
            "package change {} → {}{}{}",
            name(&from),
            name(&wanted),
            if must_stop {
                " (the VM was stopped for the downgrade and started again)"
            } else {
                ""
            },
            if finished {
                ""
            } else {
                "; Katapult is still resizing it"
            }
        ),
    );
    Ok((!finished).then_some(task.id))
}

enum DiskOutcome {
    AsChosen,
    /// The resize task, still running after the time-out.
    Resizing(String),
    /// The disk is larger than chosen: its size.
    CannotShrink(u32),
}

/// Grows the VM's boot disk to `size` GB when it is smaller.
fn grow_system_disk(
    ctx: &Context<'_>,
    params: &ServiceParams,
    client: &Client,
    vm: &VirtualMachineRef,
    size: u32,
) -> Result<DiskOutcome, ModuleError> {
    let disks = client.virtual_machine_disks(vm)?;
    let Some(system) = disks.iter().find(|d| d.boot).or(disks.first()) else {
        return Err(ModuleError::Product(
            "Katapult lists no disk for the VM".into(),
        ));
    };
    let current = system.disk.size_in_gb.unwrap_or_default();
    if current == size {
        return Ok(DiskOutcome::AsChosen);
    }
    if current > size {
        return Ok(DiskOutcome::CannotShrink(current));
    }
    let task = client.resize_disk(&DiskRef::Id(system.disk.id.clone()), size)?;
    let finished = wait_for_task(client, &task, RESIZE_TIMEOUT)?;
    ctx.log_for_service(
        params.service_id,
        Some(params.client_id),
        &format!(
            "system disk {} grown {current} GB → {size} GB{}",
            system.disk.id,
            if finished {
                ""
            } else {
                "; Katapult is still resizing it"
            }
        ),
    );
    Ok(if finished {
        DiskOutcome::AsChosen
    } else {
        DiskOutcome::Resizing(task.id)
    })
}
