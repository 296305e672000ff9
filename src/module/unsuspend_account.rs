//! `katapult_UnsuspendAccount()`: the VM is started again. It works whatever WHMCS's status of
//! the service says (the PHP module refused services WHMCS still marked Suspended).

use crate::api::virtual_machines::{PowerAction, VirtualMachineState};
use crate::service::context::{Context, ModuleError};
use crate::service::links::ServiceLinks;
use crate::service::params::ServiceParams;
use crate::service::vm_target::vm_of;

pub fn unsuspend_account(ctx: &Context<'_>, params: &ServiceParams) -> String {
    match run(ctx, params) {
        Ok(outcome) => outcome,
        Err(error) => format!("Katapult: the VM was not started: {error}"),
    }
}

fn run(ctx: &Context<'_>, params: &ServiceParams) -> Result<String, ModuleError> {
    let store = ctx.store()?;
    let client = ctx.client(&store)?;
    let vm = match vm_of(&ServiceLinks::read(&store, params.service_id)?) {
        Ok(vm) => vm,
        Err(reason) => return Ok(reason),
    };
    ctx.logged(&client, || {
        if client.virtual_machine(&vm)?.virtual_machine.state != VirtualMachineState::Started {
            client.power(&vm, PowerAction::Start)?;
        }
        ctx.host.log_activity(
            &format!(
                "[Katapult] Service ID {}: unsuspended; the VM was started",
                params.service_id
            ),
            Some(params.client_id),
        );
        Ok("success".to_string())
    })
}
