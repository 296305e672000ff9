//! `katapult_ConfigOptions()` and its loaders: the product's Module Settings.
//!
//! configoption1 is the VM package, as in the PHP module (so its products keep their setting);
//! configoption2 and configoption3 fix the data center and disk template for the product, or
//! leave them to the client's configurable options; configoption4 lets the welcome email go out
//! before the VM is built; configoption5 lets the client change the VM's hostname;
//! configoption6 and 7 are the backups offered and the hours they may start at (see
//! `service::backups`); configoption8 purges a terminated VM at once instead of leaving it
//! restorable in Katapult's trash. The dropdowns are filled live from the API
//! by loader functions, every page of every list.

use serde_json::{json, Value};

use crate::service::catalogue;
use crate::service::context::{Context, ModuleError};

/// The configoption of "Clients may change the hostname" (WHMCS stores a ticked yesno as `on`).
pub const HOSTNAME_CHANGES: usize = 5;

/// The value a product stores for "the client chooses (configurable option)".
pub const CLIENT_CHOOSES: &str = "";

/// The field definitions, in configoption order.
pub fn config_options() -> Value {
    json!({
        "Package": {
            "FriendlyName": "Virtual machine package",
            "Type": "text",
            "Size": "25",
            "Loader": "katapult_PackageLoader",
            "SimpleMode": true,
            "Description": "The Katapult package (CPU, memory, disk) every VM of this product gets.",
        },
        "Data Center": {
            "FriendlyName": "Data center",
            "Type": "text",
            "Size": "25",
            "Loader": "katapult_DataCenterLoader",
            "SimpleMode": true,
            "Description": "Where VMs are built, unless the client chooses in the \"Data Center\" configurable option (the daily sync keeps it in step with Katapult).",
        },
        "Disk Template": {
            "FriendlyName": "Disk template",
            "Type": "text",
            "Size": "25",
            "Loader": "katapult_DiskTemplateLoader",
            "SimpleMode": true,
            "Description": "The operating system image, unless the client chooses in the \"Disk Template\" configurable option.",
        },
        "Welcome Email At Once": {
            "FriendlyName": "Send the welcome email at once",
            "Type": "yesno",
            "Description": "Leave unticked and the welcome email waits until the VM is built, so it can give its address: {$katapult_vm_ip}, {$katapult_vm_ipv6}, {$katapult_vm_hostname}, {$katapult_vm_username}.",
        },
        "Hostname Changes": {
            "FriendlyName": "Clients may change the hostname",
            "Type": "yesno",
            "Description": "Tick to let clients change their VM's hostname (and so its FQDN and the service's domain) from the client area, beside its display name.",
        },
        "Backup Retentions": {
            "FriendlyName": "Backups offered",
            "Type": "text",
            "Size": "25",
            "Description": "The numbers of daily backups a client may choose in the \"Backups\" configurable option, e.g. 7, 14, 30 (the option sync adds them as choices). Empty: no backups.",
        },
        "Backup Hours": {
            "FriendlyName": "Backup hours (UTC)",
            "Type": "text",
            "Size": "25",
            "Description": "The hours a daily backup may start at, which the client chooses from, e.g. 1-5 or 2, 3, 22; new backups start at the first. Empty: any hour.",
        },
        "Purge On Terminate": {
            "FriendlyName": "Purge the VM on termination",
            "Type": "yesno",
            "Description": "Tick to delete a terminated service's VM at once. Unticked, it waits in Katapult's trash (48 hours), and the admin can press \"Restore VM\" to undo the termination.",
        },
    })
}

/// Every package: permalink → "Name (CPU, memory, disk)".
pub fn packages(ctx: &Context<'_>) -> Result<Vec<(String, String)>, ModuleError> {
    let store = ctx.store()?;
    let client = ctx.client(&store)?;
    let packages = ctx.logged(&client, || client.virtual_machine_packages())?;
    Ok(packages
        .into_iter()
        .filter_map(|p| {
            let permalink = p.permalink?;
            let name = p.name.unwrap_or_else(|| permalink.clone());
            let size = match (p.cpu_cores, p.memory_in_gb, p.storage_in_gb) {
                (Some(cpu), Some(memory), Some(disk)) => {
                    format!(" ({cpu} vCPU, {memory} GB RAM, {disk} GB disk)")
                }
                _ => String::new(),
            };
            Some((permalink, format!("{name}{size}")))
        })
        .collect())
}

/// "Client chooses", then every data center: permalink → name.
pub fn data_centers(ctx: &Context<'_>) -> Result<Vec<(String, String)>, ModuleError> {
    let store = ctx.store()?;
    let client = ctx.client(&store)?;
    let listed = ctx.logged(&client, || catalogue::data_centers(&client))?;
    Ok(std::iter::once(client_chooses("Data Center"))
        .chain(listed)
        .collect())
}

/// "Client chooses", then the parent organization's templates and Katapult's universal ones.
pub fn disk_templates(ctx: &Context<'_>) -> Result<Vec<(String, String)>, ModuleError> {
    let store = ctx.store()?;
    let client = ctx.client(&store)?;
    let listed = ctx.logged(&client, || catalogue::disk_templates(ctx, &store, &client))?;
    Ok(std::iter::once(client_chooses("Disk Template"))
        .chain(listed)
        .collect())
}

fn client_chooses(option: &str) -> (String, String) {
    (
        CLIENT_CHOOSES.to_string(),
        format!("Client chooses (\"{option}\" configurable option)"),
    )
}
