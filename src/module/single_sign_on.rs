//! `katapult_ServiceSingleSignOn()`: a Katapult console session for the VM, opened by redirect.
//! Always the shape WHMCS expects, also on failure (the PHP module threw a TypeError there).

use crate::service::context::{Context, ModuleError};
use crate::service::params::ServiceParams;
use crate::service::vm_target::{service_vm, ServiceVm};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SingleSignOn {
    RedirectTo(String),
    Failed(String),
}

pub fn single_sign_on(ctx: &Context<'_>, params: &ServiceParams) -> SingleSignOn {
    match run(ctx, params) {
        Ok(outcome) => outcome,
        Err(error) => SingleSignOn::Failed(format!("The console could not be opened: {error}")),
    }
}

fn run(ctx: &Context<'_>, params: &ServiceParams) -> Result<SingleSignOn, ModuleError> {
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
        "opened the VM's console",
    );
    Ok(SingleSignOn::RedirectTo(session.url))
}
