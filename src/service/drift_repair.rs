//! The repair each drift finding offers: only what is safe (nothing a client paid for is lost
//! without an admin's confirmation), done on an admin's word and logged with their name. A
//! repair that worked forgets its finding; the next pass finds it again if it did not hold.

use super::build_sync::{self, HostingFields};
use super::context::{Context, ModuleError};
use super::drift;
use super::host::HostError;
use super::links::{ServiceLinks, VM_ID};
use super::vm_target::trash_vm;
use crate::api::virtual_machines::{PowerAction, VirtualMachine, VirtualMachineRef};
use crate::store::findings::{Finding, Findings};
use crate::store::sql::transaction;
use crate::store::{DataStore, Owner, SqlValue, StoreError};

/// A repair, as its button names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// Katapult's FQDN and addresses written into the service.
    WriteDetails,
    StopVm,
    StartVm,
    /// WHMCS's own ChangePackage, which moves the VM to the product's package.
    ChangePackage,
    /// WHMCS's own Create, after the dead VM's links are cleared.
    BuildAgain,
    /// The build checked now, as the cron would.
    CheckBuild,
    Relink,
    DeleteOrphan,
}

impl Repair {
    pub const ALL: [Repair; 8] = [
        Repair::WriteDetails,
        Repair::StopVm,
        Repair::StartVm,
        Repair::ChangePackage,
        Repair::BuildAgain,
        Repair::CheckBuild,
        Repair::Relink,
        Repair::DeleteOrphan,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Repair::WriteDetails => "WriteDetails",
            Repair::StopVm => "StopVm",
            Repair::StartVm => "StartVm",
            Repair::ChangePackage => "ChangePackage",
            Repair::BuildAgain => "BuildAgain",
            Repair::CheckBuild => "CheckBuild",
            Repair::Relink => "Relink",
            Repair::DeleteOrphan => "DeleteOrphan",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    pub fn label(&self) -> &'static str {
        match self {
            Repair::WriteDetails => "Write Katapult's FQDN and IPs into WHMCS",
            Repair::StopVm => "Stop the VM",
            Repair::StartVm => "Start the VM",
            Repair::ChangePackage => "Move the VM to the product's package",
            Repair::BuildAgain => "Build again",
            Repair::CheckBuild => "Check the build now",
            Repair::Relink => "Link the VM to its service again",
            Repair::DeleteOrphan => "Delete the VM (to Katapult's trash)",
        }
    }

    /// Whether the admin confirms it on a second page first.
    pub fn needs_confirmation(&self) -> bool {
        matches!(self, Repair::DeleteOrphan)
    }
}

/// The repairs a finding offers now. An orphan is offered its service back only when that
/// service is live and linked to no VM.
pub fn repairs_for(ctx: &Context<'_>, finding: &Finding) -> Result<Vec<Repair>, ModuleError> {
    Ok(match finding.kind.as_str() {
        drift::DETAILS_DIFFER => vec![Repair::WriteDetails],
        drift::VM_RUNNING => vec![Repair::StopVm],
        drift::VM_STOPPED_LONG => vec![Repair::StartVm],
        drift::PACKAGE_DIFFERS => vec![Repair::ChangePackage],
        drift::VM_MISSING | drift::BUILD_FAILED => vec![Repair::BuildAgain],
        drift::BUILD_TIMED_OUT => vec![Repair::CheckBuild],
        drift::ORPHAN if can_take_back(ctx, finding.service_id)? => {
            vec![Repair::Relink, Repair::DeleteOrphan]
        }
        drift::ORPHAN => vec![Repair::DeleteOrphan],
        _ => Vec::new(),
    })
}

/// A live service (Pending, Active, Suspended) that has no VM and no build under way.
fn can_take_back(ctx: &Context<'_>, service_id: u64) -> Result<bool, ModuleError> {
    let rows = ctx.sql.query(
        "SELECT domainstatus FROM tblhosting WHERE id = ?",
        &[SqlValue::Int(service_id as i64)],
    )?;
    let live = rows
        .first()
        .and_then(|row| row.first())
        .and_then(SqlValue::as_text)
        .is_some_and(|status| matches!(status, "Pending" | "Active" | "Suspended"));
    if !live {
        return Ok(false);
    }
    let links = ServiceLinks::read(&ctx.store()?, service_id)?;
    Ok(links.vm_id.is_none() && !links.build_pending())
}

/// Who asked for a repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub id: u64,
    pub username: String,
}

/// Does `repair` for finding `finding_id`: what was done, for the admin. The finding is
/// forgotten once the repair worked; every attempt is in the activity log with the admin.
pub fn repair(
    ctx: &Context<'_>,
    finding_id: u64,
    repair: Repair,
    admin: &Admin,
) -> Result<String, ModuleError> {
    let findings = Findings::open(ctx.sql).map_err(StoreError::from)?;
    let Some(finding) = findings.get(finding_id)? else {
        return Ok("That finding is gone (repaired, or no longer seen): nothing was done.".into());
    };
    if !repairs_for(ctx, &finding)?.contains(&repair) {
        return Ok(format!(
            "\"{}\" is not a repair this finding offers: nothing was done.",
            repair.label()
        ));
    }
    let outcome = carry_out(ctx, &finding, repair);
    let said = match &outcome {
        Ok(done) => format!("{done}; the finding is closed"),
        Err(error) => format!("failed: {error}"),
    };
    ctx.host.log_activity(
        &format!(
            "[Katapult] Drift repair \"{}\" by admin {} (ID {}) for {} ({}): {said}",
            repair.label(),
            admin.username,
            admin.id,
            finding.subject,
            finding.detail
        ),
        None,
    );
    let done = outcome?;
    findings.forget(finding.id)?;
    Ok(done)
}

fn carry_out(ctx: &Context<'_>, finding: &Finding, repair: Repair) -> Result<String, ModuleError> {
    let store = ctx.store()?;
    let service_id = finding.service_id;
    let vm = VirtualMachineRef::Id(finding.vm_id.clone());
    match repair {
        Repair::WriteDetails => {
            let (_, fields) = as_katapult_has_it(ctx, &store, &vm)?;
            fields.write(ctx.sql, service_id)?;
            Ok(format!(
                "service {service_id} now has {} {} {}",
                fields.domain,
                fields.dedicated_ip,
                fields.assigned_ips.replace('\n', " ")
            ))
        }
        Repair::StopVm | Repair::StartVm => {
            let action = if repair == Repair::StopVm {
                PowerAction::Stop
            } else {
                PowerAction::Start
            };
            let client = ctx.client(&store)?;
            ctx.logged(&client, || client.power(&vm, action))?;
            // Stopped for long counts from the next time a pass sees it stopped, if it does.
            store.delete(Owner::Service(service_id), drift::VM_STOPPED_SEEN_AT)?;
            Ok(format!(
                "Katapult was asked to {} VM {}",
                action.as_str(),
                finding.vm_id
            ))
        }
        Repair::ChangePackage => {
            module_command(ctx, "ModuleChangePackage", service_id)?;
            Ok(format!(
                "service {service_id}'s VM was moved to the product's package"
            ))
        }
        Repair::BuildAgain => {
            if finding.kind == drift::VM_MISSING {
                // The VM is gone: its links would make Create report it instead of building.
                store.delete_all(Owner::Service(service_id))?;
            }
            module_command(ctx, "ModuleCreate", service_id)?;
            Ok(format!("a new VM is being built for service {service_id}"))
        }
        Repair::CheckBuild => {
            let report = build_sync::sync_service(
                ctx,
                service_id,
                &format!("drift-repair-{}", std::process::id()),
            )?;
            if report.built == 1 || report.failed == 1 {
                Ok(format!(
                    "service {service_id}'s build was checked and written down"
                ))
            } else {
                Err(ModuleError::Product(format!(
                    "Katapult still reports service {service_id}'s build as under way"
                )))
            }
        }
        Repair::Relink => {
            let (vm, fields) = as_katapult_has_it(ctx, &store, &vm)?;
            transaction(ctx.sql, || {
                store.set_text(
                    Owner::Service(service_id),
                    VM_ID,
                    &vm.id,
                    Some(&vm.id),
                    ctx.now,
                )?;
                fields.write(ctx.sql, service_id)?;
                Ok::<_, StoreError>(())
            })?;
            Ok(format!(
                "VM {} is service {service_id}'s again ({})",
                vm.id, fields.domain
            ))
        }
        Repair::DeleteOrphan => {
            let client = ctx.client(&store)?;
            let trash = ctx.logged(&client, || trash_vm(&client, &finding.vm_id))?;
            Ok(match trash {
                Some(trash) => format!(
                    "VM {} moved to Katapult's trash ({})",
                    finding.vm_id, trash.id
                ),
                None => format!("VM {} was already deleted", finding.vm_id),
            })
        }
    }
}

/// The VM as Katapult has it now, and what WHMCS's service row would show of it.
fn as_katapult_has_it(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    vm: &VirtualMachineRef,
) -> Result<(VirtualMachine, HostingFields), ModuleError> {
    let client = ctx.client(store)?;
    let vm = ctx
        .logged(&client, || client.virtual_machine(vm))?
        .virtual_machine;
    let fields = HostingFields::of(&vm);
    Ok((vm, fields))
}

/// One of WHMCS's own module commands (`localAPI`), so WHMCS records it as it would its button.
fn module_command(ctx: &Context<'_>, command: &str, service_id: u64) -> Result<(), ModuleError> {
    ctx.host
        .module_command(command, service_id)
        .map_err(|HostError(message)| ModuleError::Product(format!("{command}: {message}")))
}
