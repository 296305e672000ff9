//! `katapult_UnsuspendAccount()`: the VM is started again. It works whatever WHMCS's status of
//! the service says (the PHP module refused services WHMCS still marked Suspended).

use crate::api::virtual_machines::{PowerAction, VirtualMachineState};
use crate::service::context::{Context, ModuleError};
use crate::service::params::ServiceParams;
use crate::service::vm_target::{service_vm, ServiceVm};

pub fn unsuspend_account(ctx: &Context<'_>, params: &ServiceParams) -> String {
    super::said(run(ctx, params), "the VM was not started")
}

fn run(ctx: &Context<'_>, params: &ServiceParams) -> Result<String, ModuleError> {
    let ServiceVm { client, vm, .. } = match service_vm(ctx, params)? {
        Ok(target) => target,
        Err(reason) => return Ok(reason),
    };
    ctx.logged(&client, || {
        if client.virtual_machine(&vm)?.virtual_machine.state != VirtualMachineState::Started {
            client.power(&vm, PowerAction::Start)?;
        }
        ctx.log_for_service(
            params.service_id,
            Some(params.client_id),
            "unsuspended; the VM was started",
        );
        Ok("success".to_string())
    })
}
