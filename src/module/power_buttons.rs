//! The custom functions behind the Start, Stop, Shut down and Reset buttons (admin area and
//! client area): the power action, logged to the client's activity log.

use crate::api::virtual_machines::PowerAction;
use crate::service::context::{Context, ModuleError};
use crate::service::links::ServiceLinks;
use crate::service::params::ServiceParams;
use crate::service::vm_target::vm_of;

/// Button label → the function suffix WHMCS calls (`katapult_<suffix>`).
pub const BUTTONS: [(&str, &str, PowerAction); 4] = [
    ("Start VM", "StartVm", PowerAction::Start),
    ("Shut down VM", "ShutdownVm", PowerAction::Shutdown),
    ("Stop VM", "StopVm", PowerAction::Stop),
    ("Reset VM", "ResetVm", PowerAction::Reset),
];

pub fn power(ctx: &Context<'_>, params: &ServiceParams, action: PowerAction) -> String {
    match run(ctx, params, action) {
        Ok(outcome) => outcome,
        Err(error) => format!("Katapult: the VM did not {}: {error}", action.as_str()),
    }
}

fn run(
    ctx: &Context<'_>,
    params: &ServiceParams,
    action: PowerAction,
) -> Result<String, ModuleError> {
    let store = ctx.store()?;
    let client = ctx.client(&store)?;
    let vm = match vm_of(&ServiceLinks::read(&store, params.service_id)?) {
        Ok(vm) => vm,
        Err(reason) => return Ok(reason),
    };
    let task = ctx.logged(&client, || client.power(&vm, action))?;
    ctx.host.log_activity(
        &format!(
            "[Katapult] Service ID {}: {} requested (task {})",
            params.service_id,
            action.as_str(),
            task.id
        ),
        Some(params.client_id),
    );
    Ok("success".to_string())
}
