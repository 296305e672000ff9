//! The custom functions behind the Start, Stop, Shut down and Reset buttons: the power action,
//! logged to the client's activity log with who asked and how it went. From the client area
//! the request must carry the button's single-use token (see `ClientRequest::authorize`); from
//! the admin area WHMCS has checked the admin.

use crate::api::virtual_machines::PowerAction;
use crate::service::client_request::{actor, authorize_actor, ClientRequest, Denied};
use crate::service::context::{Context, ModuleError};
use crate::service::params::ServiceParams;
use crate::service::vm_target::{power_for_client, service_vm, ServiceVm};

/// Button label → the function suffix WHMCS calls (`katapult_<suffix>`).
pub const BUTTONS: [(&str, &str, PowerAction); 4] = [
    ("Start VM", "StartVm", PowerAction::Start),
    ("Shut down VM", "ShutdownVm", PowerAction::Shutdown),
    ("Stop VM", "StopVm", PowerAction::Stop),
    ("Reset VM", "ResetVm", PowerAction::Reset),
];

/// The function suffix of an action's button.
fn function_of(action: PowerAction) -> &'static str {
    BUTTONS
        .iter()
        .find(|(_, _, a)| *a == action)
        .map(|(_, function, _)| *function)
        .expect("every power action has a button")
}

pub fn power(
    ctx: &Context<'_>,
    params: &ServiceParams,
    action: PowerAction,
    client: Option<&ClientRequest>,
) -> String {
    let who = actor(client);
    match authorize_actor(client, ctx, params, function_of(action)) {
        Ok(()) => {}
        Err(Denied::Told(text)) => return text,
        Err(Denied::Failed(error)) => return failed(ctx, params, action, who, error),
    }
    let outcome = match run(ctx, params, action) {
        Ok(Ok(task)) => {
            ctx.log_for_service(
                params.service_id,
                Some(params.client_id),
                &format!("{} requested by {who} (task {task})", action.as_str()),
            );
            return "success".to_string();
        }
        Ok(Err(reason)) => reason,
        Err(error) => failed(ctx, params, action, who, error),
    };
    super::told(client, "katapult_action_failed", &outcome)
}

/// The task id; Ok(Err(reason)) when there is no VM to act on.
fn run(
    ctx: &Context<'_>,
    params: &ServiceParams,
    action: PowerAction,
) -> Result<Result<String, String>, ModuleError> {
    let ServiceVm { client, vm, .. } = match service_vm(ctx, params)? {
        Ok(target) => target,
        Err(reason) => return Ok(Err(reason)),
    };
    let task = ctx.logged(&client, || power_for_client(&client, &vm, action))?;
    Ok(Ok(task.id))
}

fn failed(
    ctx: &Context<'_>,
    params: &ServiceParams,
    action: PowerAction,
    who: &str,
    error: ModuleError,
) -> String {
    ctx.log_for_service(
        params.service_id,
        Some(params.client_id),
        &format!("{} requested by {who} failed: {error}", action.as_str()),
    );
    super::said(Err(error), &format!("the VM did not {}", action.as_str()))
}
