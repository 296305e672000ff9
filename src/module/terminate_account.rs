//! `katapult_TerminateAccount()`: the VM goes to Katapult's trash (an admin can restore it there
//! with "Restore VM" until Katapult purges it; the product may purge it at once instead) and the
//! service's links are cleared. A VM already gone counts as terminated.

use crate::api::builds::{BuildRef, BuildState};
use crate::api::trash_objects::TrashObjectRef;
use crate::service::backups::PURGE_SETTING;
use crate::service::context::{Context, ModuleError};
use crate::service::imported_vm;
use crate::service::params::ServiceParams;
use crate::service::trashed_vm::TrashedVm;
use crate::service::vm_target::trash_vm;
use crate::store::sql::transaction;
use crate::store::Owner;

pub fn terminate_account(ctx: &Context<'_>, params: &ServiceParams) -> String {
    super::said(run(ctx, params), "the VM was not terminated")
}

fn run(ctx: &Context<'_>, params: &ServiceParams) -> Result<String, ModuleError> {
    let store = ctx.store()?;
    let client = ctx.client(&store)?;
    let links = imported_vm::links(ctx, &store, params)?;
    ctx.logged(&client, || {
        // A build's VM exists (stopped) before the build completes, and a failed build can
        // leave one: delete it too. Without a VM yet, or with a build Katapult does not list yet,
        // the links stay, or the VM built next would run on untracked (a build recorded failed
        // that Katapult no longer lists has nothing left to delete).
        let vm_id = match (&links.vm_id, &links.vm_build_id) {
            (Some(vm_id), _) => Some(vm_id.clone()),
            (None, Some(build_id)) => match client.virtual_machine_build(&BuildRef::Id(build_id.clone())) {
                Ok(build) => match build.virtual_machine {
                    Some(vm) => Some(vm.id),
                    None if build.state == BuildState::Failed => None,
                    None => return Ok(format!("The VM is still being built ({build_id}); terminate again once it is built, so that it is not left running.")),
                },
                Err(error) if error.is_not_found() && !links.build_pending() => None,
                Err(error) if error.is_not_found() => return Ok(format!("Katapult does not list build {build_id} yet; try again in a minute, so that the VM it builds is not left running.")),
                Err(error) => return Err(error.into()),
            },
            _ => None,
        };
        let trash = match &vm_id {
            Some(id) => match trash_vm(&client, id)? {
                Some(trash) => Some(trash),
                // Already in the trash (a Terminate repeated after its answer was lost): found
                // there, so it can still be restored, or purged.
                None => match client.trash_object(&TrashObjectRef::ObjectId(id.clone())) {
                    Ok(trash) => Some(trash),
                    Err(error) if error.is_not_found() => None,
                    Err(error) => return Err(error.into()),
                },
            },
            None => None,
        };
        let mut trashed = None;
        let outcome = match (&vm_id, trash) {
            // The product may want it gone at once rather than restorable.
            (Some(id), Some(trash)) if params.config_option(PURGE_SETTING) == "on" => {
                let task = client.purge_trash_object(&TrashObjectRef::Id(trash.id.clone()))?;
                format!("VM {id} moved to Katapult's trash ({}) and purged at once (task {})", trash.id, task.id)
            }
            (Some(id), Some(trash)) => {
                let said = format!("VM {id} moved to Katapult's trash ({}); an admin can restore it until Katapult purges it", trash.id);
                trashed = Some(TrashedVm::of(&trash, id));
                said
            }
            (Some(id), None) => format!("VM {id} was already deleted"),
            (None, _) => "no VM to delete".to_string(),
        };
        transaction(ctx.sql, || {
            store.delete_all(Owner::Service(params.service_id))?;
            match &trashed {
                Some(trashed) => trashed.write(&store, params.service_id, ctx.now),
                None => Ok(()),
            }
        })?;
        ctx.log_for_service(params.service_id, Some(params.client_id), &format!("terminated; {outcome}; the service's Katapult links were cleared"));
        Ok("success".to_string())
    })
}
