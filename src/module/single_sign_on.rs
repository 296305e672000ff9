//! `katapult_ServiceSingleSignOn()`: a Katapult console session for the VM, opened by redirect.
//! Always the shape WHMCS expects, also on failure (the PHP module threw a TypeError there).

use super::client_area::CONSOLE_ACTION;
use crate::service::client_request::{ClientRequest, Denied};
use crate::service::context::{Context, ModuleError};
use crate::service::params::ServiceParams;
use crate::service::vm_target::{service_vm, ServiceVm};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SingleSignOn {
    RedirectTo(String),
    Failed(String),
}

/// From the client area (`client`), the console button's single-use token must come with it.
pub fn single_sign_on(
    ctx: &Context<'_>,
    params: &ServiceParams,
    client: Option<&ClientRequest>,
) -> SingleSignOn {
    let who = if client.is_some() {
        "the client"
    } else {
        "an admin"
    };
    let outcome = match client.map(|request| request.authorize(ctx, params, CONSOLE_ACTION)) {
        Some(Err(Denied::Told(text))) => return SingleSignOn::Failed(text),
        Some(Err(Denied::Failed(error))) => Err(error),
        Some(Ok(())) | None => run(ctx, params, who),
    };
    let reason = match outcome {
        Ok(SingleSignOn::Failed(reason)) => reason,
        Ok(redirect) => return redirect,
        Err(error) => format!("The console could not be opened: {error}"),
    };
    ctx.log_for_service(
        params.service_id,
        Some(params.client_id),
        &format!("{who} asked for the VM's console: {reason}"),
    );
    SingleSignOn::Failed(super::told(client, "katapult_console_failed", &reason))
}

fn run(ctx: &Context<'_>, params: &ServiceParams, who: &str) -> Result<SingleSignOn, ModuleError> {
    let ServiceVm { client, vm, .. } = match service_vm(ctx, params)? {
        Ok(target) => target,
        Err(reason) => return Ok(SingleSignOn::Failed(reason)),
    };
    let session = ctx
        .logged(&client, || client.create_console_session(&vm))
        .map_err(|error| match error.code() {
            Some("virtual_machine_must_be_started") => {
                ModuleError::Product("the VM is not running yet: if it was just built or started, try again in a minute; otherwise start it first".into())
            }
            _ => error.into(),
        })?;
    ctx.log_for_service(
        params.service_id,
        Some(params.client_id),
        &format!("{who} opened the VM's console"),
    );
    Ok(SingleSignOn::RedirectTo(session.url))
}
