//! The admin's "Restore VM" button: undoes a termination while Katapult still keeps the VM in
//! its trash. The story: find the VM the termination left there; refuse when the service has a
//! VM again, or Katapult's time for it has passed; restore it (`POST /trash_objects/_/restore`);
//! bring its backups in line with the service's options; link it to the service again with its
//! hostname and addresses; set the service Active, as an admin undoing a termination in WHMCS
//! does. Pressed again after a lost answer, it finds the VM already restored and carries on. The service tab's "Katapult trash" field says what there is to restore, and until when.

use chrono::{DateTime, Utc};

use crate::api::trash_objects::TrashObjectRef;
use crate::api::virtual_machines::VirtualMachineRef;
use crate::service::backups;
use crate::service::build_sync::HostingFields;
use crate::service::context::{Context, ModuleError};
use crate::service::links::{ServiceLinks, VM_ID};
use crate::service::params::ServiceParams;
use crate::service::trashed_vm::TrashedVm;
use crate::service::vm_options_lock;
use crate::store::sql::transaction;
use crate::store::{Owner, SqlValue, StoreError};
use crate::views::escape;

pub const FUNCTION: &str = "RestoreVm";
pub const LABEL: &str = "Restore VM";

/// What a termination whose VM is no longer in the trash leaves: said on the tab and the button.
fn gone_for_good(trashed: &TrashedVm) -> String {
    format!(
        "VM {} is gone for good: Katapult purged it from its trash{}. Press Create to build a new one.",
        trashed.vm_id,
        trashed
            .keep_until
            .map(|at| format!(" ({})", at.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default()
    )
}

pub fn restore_vm(ctx: &Context<'_>, params: &ServiceParams) -> String {
    super::said(run(ctx, params), "the VM was not restored")
}

fn run(ctx: &Context<'_>, params: &ServiceParams) -> Result<String, ModuleError> {
    let store = ctx.store()?;
    let Some(trashed) = TrashedVm::read(&store, params.service_id)? else {
        return Ok(
            "This service left no VM in Katapult's trash: there is nothing to restore.".into(),
        );
    };
    let links = ServiceLinks::read(&store, params.service_id)?;
    if let Some(current) = links.vm_id.as_ref().or(links.vm_build_id.as_ref()) {
        return Ok(format!("This service has VM {current} since its termination; restoring VM {} would leave one of them untracked. Terminate the service first, then restore.", trashed.vm_id));
    }
    if trashed.expired(ctx.now) {
        return Ok(gone_for_good(&trashed));
    }
    let client = ctx.client(&store)?;
    ctx.logged(&client, || {
        let trash = TrashObjectRef::Id(trashed.trash_object_id.clone());
        let vm_ref = VirtualMachineRef::Id(trashed.vm_id.clone());
        let vm = match client.restore_trash_object(&trash) {
            Ok(_) => client.virtual_machine(&vm_ref)?.virtual_machine,
            // Restored by an earlier press whose answer was lost, or purged: the VM says which.
            Err(error) if error.is_not_found() => match client.virtual_machine(&vm_ref) {
                Ok(found) => found.virtual_machine,
                Err(gone) if gone.is_not_found() => return Ok(gone_for_good(&trashed)),
                Err(other) => return Err(other.into()),
            },
            Err(error) => return Err(error.into()),
        };
        // The VM came back as it was; the service's options may have changed since. Before the
        // service is linked, so that a failure here is pressed again, not left unseen.
        vm_options_lock::holding(ctx, params.service_id, || {
            backups::follow_choice(ctx, &store, &client, params, &vm_ref)
        })?;
        let fields = HostingFields::of(&vm);
        transaction(ctx.sql, || {
            store.set_text(Owner::Service(params.service_id), VM_ID, &vm.id, Some(&vm.id), ctx.now)?;
            TrashedVm::forget(&store, params.service_id)?;
            fields.write(ctx.sql, params.service_id)?;
            ctx.sql.execute(
                "UPDATE tblhosting SET domainstatus = 'Active', termination_date = '0000-00-00' WHERE id = ?",
                &[SqlValue::Int(params.service_id as i64)],
            )?;
            Ok::<_, StoreError>(())
        })?;
        ctx.log_for_service(
            params.service_id,
            Some(params.client_id),
            &format!("VM {} restored from Katapult's trash by an admin ({}); the service is Active again", vm.id, vm.state.as_str()),
        );
        Ok("success".to_string())
    })
}

/// The service tab's "Katapult trash" field, for a service whose VM a termination left in the
/// trash: until when it can be restored (as Katapult says now), or that it is gone for good.
pub fn trash_field(
    ctx: &Context<'_>,
    service_id: u64,
) -> Result<Option<(String, String)>, ModuleError> {
    let store = ctx.store()?;
    let Some(trashed) = TrashedVm::read(&store, service_id)? else {
        return Ok(None);
    };
    let until = |at: Option<DateTime<Utc>>| {
        at.map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "Katapult purges it".into())
    };
    let in_trash = |keep_until: Option<DateTime<Utc>>| {
        format!(
            r#"VM <code>{}</code> is in Katapult's trash until {}: press <strong>{LABEL}</strong> to bring it back."#,
            escape(&trashed.vm_id),
            escape(&until(keep_until))
        )
    };
    let gone = || {
        format!(
            r#"<span class="text-muted">{}</span>"#,
            escape(&gone_for_good(&trashed))
        )
    };
    let html = if trashed.expired(ctx.now) {
        gone()
    } else {
        let client = ctx.client(&store)?;
        let trash = TrashObjectRef::Id(trashed.trash_object_id.clone());
        match ctx.logged(&client, || client.trash_object(&trash)) {
            Ok(object) => in_trash(TrashedVm::of(&object, &trashed.vm_id).keep_until),
            Err(error) if error.is_not_found() => gone(),
            Err(error) => format!(
                r#"{} <span class="text-danger">(Katapult could not be asked: {})</span>"#,
                in_trash(trashed.keep_until),
                escape(&error.to_string())
            ),
        }
    };
    Ok(Some(("Katapult trash".into(), html)))
}
