//! `katapult_ChangePackage()`: the VM moves to the service's (new) package. An upgrade happens
//! while it runs; a downgrade needs it stopped (REFERENCE §8.4), so the VM is shut down (stopped
//! after the grace period), resized, and started again.

use std::time::Duration;

use crate::api::packages::PackageRef;
use crate::api::virtual_machines::{PowerAction, VirtualMachineState};
use crate::service::context::{Context, ModuleError};
use crate::service::params::ServiceParams;
use crate::service::vm_target::{service_vm, wait_for_state, wait_for_task, ServiceVm};

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
    let ServiceVm { client, vm, .. } = match service_vm(ctx, params.service_id)? {
        Ok(target) => target,
        Err(reason) => return Ok(reason),
    };
    ctx.logged(&client, || {
        let current = client.virtual_machine(&vm)?.virtual_machine;
        let wanted = client.virtual_machine_package(&PackageRef::from(target.as_str()))?;
        let Some(from) = current.package.clone() else {
            return Err(ModuleError::Product("the VM has flexible resources, not a package: change it in Katapult".into()));
        };
        if from.id == wanted.id {
            return Ok("success".to_string());
        }
        let must_stop = from.is_downgrade_to(&wanted) && current.state != VirtualMachineState::Stopped;
        if must_stop {
            client.power(&vm, PowerAction::Shutdown)?;
            if !wait_for_state(&client, &vm, VirtualMachineState::Stopped, grace)? {
                client.power(&vm, PowerAction::Stop)?;
                wait_for_state(&client, &vm, VirtualMachineState::Stopped, grace)?;
            }
        }
        let task = client.change_package(&vm, &PackageRef::Id(wanted.id.clone()))?;
        let finished = wait_for_task(&client, &task, RESIZE_TIMEOUT)?;
        if must_stop {
            client.power(&vm, PowerAction::Start)?;
        }
        let name = |p: &crate::api::packages::VirtualMachinePackage| p.permalink.clone().unwrap_or_else(|| p.id.clone());
        ctx.log_for_service(params.service_id, Some(params.client_id), &format!("package change {} → {}{}{}", name(&from),
                name(&wanted),
                if must_stop { " (the VM was stopped for the downgrade and started again)" } else { "" },
                if finished { "" } else { "; Katapult is still resizing it" }));
        if finished {
            Ok("success".to_string())
        } else {
            Ok(format!("Katapult accepted the package change (task {}) but had not finished it after {} minutes; check the VM in Katapult.", task.id, RESIZE_TIMEOUT.as_secs() / 60))
        }
    })
}
