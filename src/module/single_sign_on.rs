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
    if let Some(request) = client {
        match request.authorize(ctx, params, CONSOLE_ACTION) {
            Ok(()) => {}
            Err(Denied::Told(text)) => return SingleSignOn::Failed(text),
            Err(Denied::Failed(error)) => {
                return SingleSignOn::Failed(format!("The console could not be opened: {error}"))
            }
        }
    }
    match run(
        ctx,
        params,
        if client.is_some() {
            "the client"
        } else {
            "an admin"
        },
    ) {
        Ok(outcome) => outcome,
        Err(error) => SingleSignOn::Failed(format!("The console could not be opened: {error}")),
    }
}

fn run(ctx: &Context<'_>, params: &ServiceParams, who: &str) -> Result<SingleSignOn, ModuleError> {
    let ServiceVm { client, vm, .. } = match service_vm(ctx, params.service_id)? {
        Ok(target) => target,
        Err(reason) => return Ok(SingleSignOn::Failed(reason)),
    };
    let session = ctx
        .logged(&client, || client.create_console_session(&vm))
        .map_err(|error| match error.code() {
            Some("virtual_machine_must_be_started") => {
                ModuleError::Product("the VM is not running: start it first".into())
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
