//! `katapult_SuspendAccount()`: the VM is shut down gracefully, and stopped if it has not shut
//! down within the grace period. Katapult has no suspend of its own for a VM.

use std::time::Duration;

use crate::api::virtual_machines::{PowerAction, VirtualMachineState};
use crate::service::context::{Context, ModuleError};
use crate::service::params::ServiceParams;
use crate::service::vm_target::{power_after_task, service_vm, wait_for_state, ServiceVm};

pub fn suspend_account(ctx: &Context<'_>, params: &ServiceParams, grace: Duration) -> String {
    super::said(run(ctx, params, grace), "the VM was not suspended")
}

fn run(ctx: &Context<'_>, params: &ServiceParams, grace: Duration) -> Result<String, ModuleError> {
    let ServiceVm { client, vm, .. } = match service_vm(ctx, params)? {
        Ok(target) => target,
        Err(reason) => return Ok(reason),
    };
    ctx.logged(&client, || {
        if client.virtual_machine(&vm)?.virtual_machine.state == VirtualMachineState::Stopped {
            return Ok("success".to_string());
        }
        client.power(&vm, PowerAction::Shutdown)?;
        let how = if wait_for_state(&client, &vm, VirtualMachineState::Stopped, grace)? {
            "shut down"
        } else {
            power_after_task(&client, &vm, PowerAction::Stop, grace)?;
            "stopped (it had not shut down within the grace period)"
        };
        ctx.log_for_service(
            params.service_id,
            Some(params.client_id),
            &format!("suspended; the VM was {how}"),
        );
        Ok("success".to_string())
    })
}
