//! VMs made outside WHMCS: the ones this installation may list for WHMCS's server sync tool, and
//! the link of a service that tool imported (or whose links a database restore lost) to its VM.
//!
//! WHMCS calls no module function when its server sync tool imports an account: it only writes
//! the service (the VM's FQDN as its domain, the product matched by package). So a service that
//! is Active or Suspended, has no Katapult links at all, and whose domain is the FQDN of a VM in
//! this installation's organizations that no other service claims, is linked the first time a
//! module function needs its VM, as CreateAccount and the build sync would have linked it.

use std::collections::HashMap;

use super::client_request::service_status;
use super::context::{Context, ModuleError};
use super::links::{ServiceLinks, MANAGED_ORG_ID, VM_ID};
use super::params::ServiceParams;
use super::settings::ModuleSettings;
use crate::api::organizations::Organization;
use crate::api::virtual_machines::{VirtualMachineRef, VirtualMachineResponse};
use crate::api::{Annotation, Client};
use crate::module::create_account::SERVICE_ANNOTATION;
use crate::service::build_sync::HostingFields;
use crate::store::sql::transaction;
use crate::store::{DataStore, Owner, StoreError};

/// Whose a VM is, by its `whmcs_service_id` annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// No WHMCS installation annotated it: made outside WHMCS.
    Unclaimed,
    /// Built by this installation for this service id.
    Ours(u64),
    /// Another WHMCS installation's (staging beside live, say): never listed, never linked.
    Foreign,
}

impl Claim {
    pub fn of(annotations: &[Annotation], installation: &str) -> Self {
        let prefix = format!("{installation}/");
        match annotations.iter().find(|a| a.key == SERVICE_ANNOTATION) {
            None => Claim::Unclaimed,
            Some(mark) => match mark.value.strip_prefix(&prefix).map(str::parse) {
                Some(Ok(service_id)) => Claim::Ours(service_id),
                _ => Claim::Foreign,
            },
        }
    }
}

/// This installation's Katapult organizations: the parent, then its managed ones.
pub fn organizations(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    client: &Client,
) -> Result<Vec<Organization>, ModuleError> {
    let parent = ctx.parent_organization(store, client)?;
    let mut found = vec![client.organization(&parent)?];
    found.extend(client.managed_organizations(&parent, None)?);
    Ok(found)
}

/// The WHMCS client each managed organization belongs to, from the clients' links.
pub fn clients_by_organization(store: &DataStore<'_>) -> Result<HashMap<String, u64>, StoreError> {
    let mut clients = HashMap::new();
    for client_id in store.owners_with(Owner::Client(0).rel_type(), MANAGED_ORG_ID)? {
        if let Some(organization) = store.get_text(Owner::Client(client_id), MANAGED_ORG_ID)? {
            clients.insert(organization, client_id);
        }
    }
    Ok(clients)
}

/// The service's links; for an imported service without any, its VM is found and linked first.
pub fn links(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    params: &ServiceParams,
) -> Result<ServiceLinks, ModuleError> {
    let links = ServiceLinks::read(store, params.service_id)?;
    let unlinked = links == ServiceLinks::default();
    if !unlinked || params.domain.is_empty() {
        return Ok(links);
    }
    let status = service_status(ctx, params.service_id)?;
    if !matches!(status.as_deref(), Some("Active" | "Suspended")) {
        // Pending is CreateAccount's to build; a terminated service keeps no VM.
        return Ok(links);
    }
    let client = ctx.client(store)?;
    ctx.logged(&client, || link(ctx, store, &client, params))?;
    Ok(ServiceLinks::read(store, params.service_id)?)
}

/// Links the VM whose FQDN is the service's domain, when it is this installation's to link.
fn link(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    client: &Client,
    params: &ServiceParams,
) -> Result<(), ModuleError> {
    let VirtualMachineResponse {
        virtual_machine: vm,
        annotations,
    } = match client.virtual_machine(&VirtualMachineRef::Fqdn(params.domain.clone())) {
        Ok(found) => found,
        Err(error) if error.is_not_found() || error.is_in_trash() => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    let installation = ModuleSettings::new(store, ctx.host).installation_id(ctx.now)?;
    let refused = |why: &str| {
        ctx.log_for_service(
            params.service_id,
            Some(params.client_id),
            &format!("VM {} ({}) was not linked: {why}", vm.id, params.domain),
        );
        Ok(())
    };
    match Claim::of(&annotations, &installation) {
        Claim::Foreign => return refused("another WHMCS installation built it"),
        Claim::Ours(other) if other != params.service_id => {
            return refused(&format!("it was built for service {other}"))
        }
        Claim::Ours(_) | Claim::Unclaimed => {}
    }
    let Some(organization) = vm.organization.as_ref().map(|o| o.id.clone()) else {
        return refused("Katapult did not say which organization it is in");
    };
    let ours = organizations(ctx, store, client)?;
    if !ours.iter().any(|o| o.id == organization) {
        return refused("it is not in this installation's Katapult organizations");
    }
    let owner = clients_by_organization(store)?.get(&organization).copied();
    if owner.is_some_and(|owner| owner != params.client_id) {
        return refused("its managed organization belongs to another client");
    }
    if let Some(taken) = store.owner_with_index(Owner::Service(0).rel_type(), VM_ID, &vm.id)? {
        return refused(&format!("service {taken} is linked to it"));
    }

    let fields = HostingFields::of(&vm);
    // The parent comes first; a VM in a managed organization makes it the client's.
    let managed = ours[0].id != organization;
    transaction(ctx.sql, || {
        store.set_text(
            Owner::Service(params.service_id),
            VM_ID,
            &vm.id,
            Some(&vm.id),
            ctx.now,
        )?;
        if managed && owner.is_none() {
            store.set_text(
                Owner::Client(params.client_id),
                MANAGED_ORG_ID,
                &organization,
                None,
                ctx.now,
            )?;
        }
        fields.write(ctx.sql, params.service_id)?;
        Ok::<_, StoreError>(())
    })?;
    ctx.log_for_service(
        params.service_id,
        Some(params.client_id),
        &format!(
            "linked to VM {} ({}) in organization {organization}, made outside WHMCS",
            vm.id, fields.domain
        ),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vm_is_claimed_by_this_installations_annotation_only() {
        let mark = |value: &str| vec![Annotation::new(SERVICE_ANNOTATION, value)];
        assert_eq!(Claim::of(&[], "abc"), Claim::Unclaimed);
        assert_eq!(Claim::of(&mark("abc/42"), "abc"), Claim::Ours(42));
        assert_eq!(Claim::of(&mark("xyz/42"), "abc"), Claim::Foreign);
        assert_eq!(Claim::of(&mark("42"), "abc"), Claim::Foreign);
        assert_eq!(
            Claim::of(&[Annotation::new("colour", "blue")], "abc"),
            Claim::Unclaimed
        );
    }
}
