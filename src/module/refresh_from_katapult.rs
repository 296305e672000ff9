//! The admin's "Refresh from Katapult" button: a pending build is checked now (as the cron would,
//! with the same claims and hooks), and a built VM's hostname and addresses are written into the
//! service again, for when they changed in Katapult, and its backups set as the service's
//! options say (for when setting them after the build failed). The password is left alone: the VM's
//! initial one may no longer be its password.

use crate::service::backups;
use crate::service::build_sync::{self, HostingFields};
use crate::service::context::{Context, ModuleError};
use crate::service::links::ServiceLinks;
use crate::service::params::ServiceParams;
use crate::service::vm_options_lock;
use crate::service::vm_target::vm_of;
use crate::store::sql::transaction;

pub const FUNCTION: &str = "RefreshFromKatapult";
pub const LABEL: &str = "Refresh from Katapult";

pub fn refresh_from_katapult(ctx: &Context<'_>, params: &ServiceParams) -> String {
    super::said(run(ctx, params), "the service was not refreshed")
}

fn run(ctx: &Context<'_>, params: &ServiceParams) -> Result<String, ModuleError> {
    let store = ctx.store()?;
    let links = ServiceLinks::read(&store, params.service_id)?;
    if links.build_pending() {
        let report = build_sync::sync_service(
            ctx,
            params.service_id,
            &format!("admin-refresh-{}", std::process::id()),
        )?;
        return Ok(match (report.built, report.failed, report.errors) {
            (1, _, _) => "success".into(),
            (_, 1, _) => {
                "Katapult reports the build failed; press Create to build again, or Terminate."
                    .into()
            }
            (_, _, 1) => "The build could not be checked; see the activity log.".into(),
            _ => "The VM is still being built; nothing to write yet.".into(),
        });
    }
    let vm_ref = match vm_of(&links) {
        Ok(vm_ref) => vm_ref,
        Err(reason) => return Ok(reason),
    };
    let client = ctx.client(&store)?;
    let vm = ctx
        .logged(&client, || client.virtual_machine(&vm_ref))?
        .virtual_machine;
    let fields = HostingFields::of(&vm);
    transaction(ctx.sql, || fields.write(ctx.sql, params.service_id))?;
    vm_options_lock::holding(ctx, params.service_id, || {
        ctx.logged(&client, || {
            backups::follow_choice(ctx, &store, &client, params, &vm_ref)
        })
    })?;
    ctx.log_for_service(
        params.service_id,
        Some(params.client_id),
        &format!(
            "refreshed from Katapult: {} {} ({})",
            vm.id,
            fields.domain,
            vm.state.as_str()
        ),
    );
    Ok("success".into())
}
