//! `katapult_RenameVm()`: the client changes the VM's display name and, where the product allows
//! it (Module Settings: "Clients may change the hostname"), its hostname; WHMCS's domain field
//! follows the new FQDN.
//!
//! The story: the client's token is used up; the name (and hostname) are checked before anything
//! is sent; a hostname on a product that does not offer it is refused; Katapult renames the VM
//! (its refusal, a hostname taken say, becomes a sentence in the client's language); the
//! service's domain and addresses are written from the renamed VM; the activity log says who
//! renamed what.

use crate::api::virtual_machines::VirtualMachineChanges;
use crate::service::build_sync::HostingFields;
use crate::service::client_request::ClientRequest;
use crate::service::context::{Context, ModuleError};
use crate::service::dns_names::{display_name, vm_hostname, DISPLAY_NAME_MAX};
use crate::service::params::ServiceParams;
use crate::service::vm_target::{service_vm, ServiceVm};
use crate::store::live_reads::LiveReads;

use super::asked::Asked;
use super::config_options::HOSTNAME_CHANGES;

pub const FUNCTION: &str = "RenameVm";
/// The posted fields of the panel's form.
pub const NAME_FIELD: &str = "katapult_name";
pub const HOSTNAME_FIELD: &str = "katapult_hostname";

/// Whether the service's product lets clients change the hostname.
pub fn hostname_changes_allowed(params: &ServiceParams) -> bool {
    params.config_option(HOSTNAME_CHANGES) == "on"
}

/// 'success', or why nothing was changed (in the client's language for a client).
pub fn rename_vm(
    ctx: &Context<'_>,
    params: &ServiceParams,
    client: Option<&ClientRequest>,
    name: &str,
    hostname: &str,
) -> String {
    let asked = Asked {
        ctx,
        params,
        client,
        what: "rename",
        not_done: "the VM was not renamed",
    };
    if let Err(answer) = asked.authorized(FUNCTION) {
        return answer;
    }
    let Some(name) = display_name(name) else {
        return asked.refused(
            &format!("a name is 1 to {DISPLAY_NAME_MAX} characters of plain text"),
            "katapult_rename_bad_name",
        );
    };
    let mut changes = VirtualMachineChanges {
        name: Some(name),
        hostname: None,
    };
    if !hostname.trim().is_empty() {
        if !hostname_changes_allowed(params) {
            return asked.refused(
                "the product does not let clients change the hostname",
                "katapult_hostname_not_offered",
            );
        }
        let Some(hostname) = vm_hostname(hostname) else {
            return asked.refused(
                &format!(
                    "\"{}\" is not a hostname (letters, digits and hyphens, at most 63)",
                    hostname.trim()
                ),
                "katapult_rename_bad_hostname",
            );
        };
        changes.hostname = Some(hostname);
    }
    match run(ctx, params, &changes) {
        Ok(Renamed::Done(fqdn)) => {
            asked.log(&format!(
                "VM renamed by {} to \"{}\"{}",
                asked.who(),
                changes.name.as_deref().unwrap_or_default(),
                match &changes.hostname {
                    Some(hostname) =>
                        format!(", hostname {hostname} (the service's domain is now {fqdn})"),
                    None => String::new(),
                }
            ));
            "success".into()
        }
        Ok(Renamed::NoVm(reason)) => super::told(client, "katapult_action_failed", &reason),
        Ok(Renamed::Refused(reasons)) => asked.refused(
            &format!("Katapult refused it: {reasons}"),
            "katapult_rename_refused",
        ),
        Err(error) => asked.failed(error),
    }
}

enum Renamed {
    /// Renamed; the VM's FQDN now.
    Done(String),
    NoVm(String),
    Refused(String),
}

fn run(
    ctx: &Context<'_>,
    params: &ServiceParams,
    changes: &VirtualMachineChanges,
) -> Result<Renamed, ModuleError> {
    let ServiceVm { client, vm, .. } = match service_vm(ctx, params)? {
        Ok(target) => target,
        Err(reason) => return Ok(Renamed::NoVm(reason)),
    };
    let renamed = match ctx.logged(&client, || client.update_virtual_machine(&vm, changes)) {
        Ok(renamed) => renamed,
        Err(error) if !error.refused_values().is_empty() => {
            return Ok(Renamed::Refused(error.refused_values().join("; ")))
        }
        Err(error) => return Err(error.into()),
    };
    let fields = HostingFields::of(&renamed);
    fields.write(ctx.sql, params.service_id)?;
    LiveReads::open(ctx.sql)?.forget(params.service_id)?;
    Ok(Renamed::Done(fields.domain))
}
