//! The custom functions behind the Start, Stop, Shut down and Reset buttons (admin area and
//! client area): the power action, logged to the client's activity log.

use crate::api::virtual_machines::PowerAction;
use crate::service::context::{Context, ModuleError};
use crate::service::params::ServiceParams;
use crate::service::vm_target::{service_vm, ServiceVm};

/// Button label → the function suffix WHMCS calls (`katapult_<suffix>`).
pub const BUTTONS: [(&str, &str, PowerAction); 4] = [
    ("Start VM", "StartVm", PowerAction::Start),
    ("Shut down VM", "ShutdownVm", PowerAction::Shutdown),
    ("Stop VM", "StopVm", PowerAction::Stop),
    ("Reset VM", "ResetVm", PowerAction::Reset),
];

pub fn power(ctx: &Context<'_>, params: &ServiceParams, action: PowerAction) -> String {
    super::said(
        run(ctx, params, action),
        &format!("the VM did not {}", action.as_str()),
    )
}

fn run(
    ctx: &Context<'_>,
    params: &ServiceParams,
    action: PowerAction,
) -> Result<String, ModuleError> {
    let ServiceVm { client, vm, .. } = match service_vm(ctx, params.service_id)? {
        Ok(target) => target,
        Err(reason) => return Ok(reason),
    };
    let task = ctx.logged(&client, || client.power(&vm, action))?;
    ctx.log_for_service(
        params.service_id,
        Some(params.client_id),
        &format!("{} requested (task {})", action.as_str(), task.id),
    );
    Ok("success".to_string())
}
