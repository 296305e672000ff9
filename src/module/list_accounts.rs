//! `katapult_ListAccounts()`: WHMCS's server sync tool (Setup › Servers › Sync Accounts, WHMCS
//! 7.10+) compares these with the services on the server, matched by domain (the VM's FQDN, which
//! the module writes into every service it builds), and imports the ones WHMCS lacks.
//!
//! The story: the VMs of this installation's organizations (the parent and its managed ones),
//! each read whole for its package, addresses and annotations; another WHMCS installation's VMs
//! are left out. Each account carries what WHMCS needs to import it: the FQDN as domain and
//! unique identifier, `root`, the package (matched with the product's configoption1), the
//! primary IPv4, when it was made, its status, and the email of the WHMCS client whose managed
//! organization holds it (empty in the parent organization, where no client is known).

use chrono::DateTime;
use serde::Serialize;

use crate::api::organizations::OrganizationRef;
use crate::api::virtual_machines::VirtualMachineRef;
use crate::service::build_sync::HostingFields;
use crate::service::client_request::service_status;
use crate::service::context::{Context, ModuleError};
use crate::service::imported_vm::{self, Claim};
use crate::service::links::VM_ID;
use crate::service::settings::ModuleSettings;
use crate::store::{DataStore, Owner, SqlValue};

/// One account, in the keys WHMCS documents for ListAccounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub email: String,
    pub username: String,
    pub domain: String,
    #[serde(rename = "uniqueIdentifier")]
    pub unique_identifier: String,
    pub product: String,
    pub primaryip: String,
    /// `Y-m-d H:i:s`, UTC.
    pub created: String,
    /// `WHMCS\Service\Status::ACTIVE` or `::SUSPENDED`.
    pub status: &'static str,
}

pub fn list_accounts(ctx: &Context<'_>) -> Result<Vec<Account>, ModuleError> {
    let store = ctx.store()?;
    let client = ctx.client(&store)?;
    let installation = ModuleSettings::new(&store, ctx.host).installation_id(ctx.now)?;
    ctx.logged(&client, || {
        let owners = imported_vm::clients_by_organization(&store)?;
        let mut accounts = Vec::new();
        for organization in imported_vm::organizations(ctx, &store, &client)? {
            let email = match owners.get(&organization.id) {
                Some(client_id) => client_email(ctx, *client_id)?,
                None => String::new(),
            };
            let listed = client.virtual_machines(&OrganizationRef::Id(organization.id), None)?;
            for summary in listed {
                let found = client.virtual_machine(&VirtualMachineRef::Id(summary.id))?;
                if Claim::of(&found.annotations, &installation) == Claim::Foreign {
                    continue;
                }
                let vm = found.virtual_machine;
                let fields = HostingFields::of(&vm);
                accounts.push(Account {
                    email: email.clone(),
                    username: "root".into(),
                    unique_identifier: fields.domain.clone(),
                    domain: fields.domain,
                    product: vm.package.and_then(|p| p.permalink).unwrap_or_default(),
                    primaryip: fields.dedicated_ip,
                    created: vm
                        .created_at
                        .and_then(|t| DateTime::from_timestamp(t, 0))
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_default(),
                    status: status(ctx, &store, &vm.id)?,
                });
            }
        }
        Ok(accounts)
    })
}

/// Katapult has no suspension of its own (a stopped VM may be the client's choice): a VM is
/// Suspended only while the service linked to it is, so the report matches.
fn status(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    vm_id: &str,
) -> Result<&'static str, ModuleError> {
    let service = store.owner_with_index(Owner::Service(0).rel_type(), VM_ID, vm_id)?;
    Ok(match service {
        Some(id) if service_status(ctx, id)?.as_deref() == Some("Suspended") => "Suspended",
        _ => "Active",
    })
}

fn client_email(ctx: &Context<'_>, client_id: u64) -> Result<String, ModuleError> {
    let rows = ctx.sql.query(
        "SELECT email FROM tblclients WHERE id = ?",
        &[SqlValue::Int(client_id as i64)],
    )?;
    Ok(rows
        .first()
        .and_then(|row| row.first())
        .and_then(SqlValue::as_text)
        .unwrap_or_default()
        .to_string())
}
