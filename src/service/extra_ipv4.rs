//! Extra IPv4 addresses, sold per address with the "Extra IPv4 Addresses" configurable option
//! (a quantity): the VM gets as many addresses beside its own as the client pays for.
//!
//! The ids of the addresses made for a service are kept in the datastore the moment Katapult
//! makes them, before they are allocated: an interrupted run leaves an address the next run
//! finds and allocates. An address whose making was answered by nothing (a lost answer: the
//! request is never sent twice) sits unallocated in the client's managed organization, which
//! only this module fills: it is taken before a new one is made, so none is left paid for and
//! unused. Only the service's own extra addresses are ever unallocated and released; the VM's
//! own address (WHMCS's dedicated IP) is never touched.

use crate::api::ip_addresses::{IpAddress, IpAddressRef};
use crate::api::organizations::OrganizationRef;
use crate::api::virtual_machines::{VirtualMachine, VirtualMachineRef};
use crate::api::Client;
use crate::store::{DataStore, Owner};

use super::build_sync::HostingFields;
use super::context::{Context, ModuleError};

/// The datastore key (per service) of the extra addresses' ids, comma-separated, oldest first.
pub const EXTRA_IPV4_IDS: &str = "extra_ipv4_ids";

/// What a run changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExtraIpv4Change {
    pub allocated: Vec<String>,
    pub released: Vec<String>,
}

impl ExtraIpv4Change {
    pub fn is_empty(&self) -> bool {
        self.allocated.is_empty() && self.released.is_empty()
    }

    /// "extra IPv4 allocated 203.0.113.9; released 203.0.113.7" for the activity log.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.allocated.is_empty() {
            parts.push(format!(
                "extra IPv4 allocated {}",
                self.allocated.join(", ")
            ));
        }
        if !self.released.is_empty() {
            parts.push(format!("extra IPv4 released {}", self.released.join(", ")));
        }
        parts.join("; ")
    }
}

/// Gives the service's VM `wanted` extra IPv4 addresses: the ones it has, allocated again if
/// they came off it; unclaimed ones of its organization, else new ones made on its own
/// address's network; the newest released past `wanted`. Addresses left unallocated and
/// claimed by no service are released. Then WHMCS's dedicated and assigned IPs follow the VM.
/// The caller holds the service's `vm_options_lock`.
pub fn bring_to(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    client: &Client,
    service_id: u64,
    vm_ref: &VirtualMachineRef,
    wanted: u32,
) -> Result<ExtraIpv4Change, ModuleError> {
    let mut ids = extra_ids(store, service_id)?;
    let mut change = ExtraIpv4Change::default();
    if ids.is_empty() && wanted == 0 {
        return Ok(change);
    }
    let vm = client.virtual_machine(vm_ref)?.virtual_machine;
    let organization = organization_of(&vm)?;

    // The addresses made for the service, back on the VM where they came off it.
    let mut kept = Vec::new();
    for id in ids.drain(..) {
        if vm.ip_addresses.iter().any(|ip| ip.id == id) {
            kept.push(id);
        } else if let Some(address) = allocate(client, vm_ref, &vm.id, &id)? {
            change.allocated.push(address);
            kept.push(id);
        }
    }
    ids = kept;
    remember(ctx, store, service_id, &ids)?;

    while ids.len() < wanted as usize {
        let ip = unclaimed_or_new_address(store, client, &organization, &vm)?;
        ids.push(ip.id.clone());
        remember(ctx, store, service_id, &ids)?;
        match allocate(client, vm_ref, &vm.id, &ip.id)? {
            Some(address) => change.allocated.push(address),
            // Taken by another service's run meanwhile: not this service's after all.
            None => {
                ids.pop();
                remember(ctx, store, service_id, &ids)?;
            }
        }
    }
    while ids.len() > wanted as usize {
        let Some(id) = ids.pop() else { break };
        let address = vm
            .ip_addresses
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.address.clone())
            .unwrap_or_else(|| id.clone());
        release(client, &id)?;
        remember(ctx, store, service_id, &ids)?;
        change.released.push(address);
    }
    change
        .released
        .extend(release_unclaimed(store, client, &organization)?);

    // Written even when nothing changed here: an earlier run may have been cut short after
    // allocating and before writing.
    let vm = if change.is_empty() {
        vm
    } else {
        client.virtual_machine(vm_ref)?.virtual_machine
    };
    HostingFields::of(&vm).write(ctx.sql, service_id)?;
    Ok(change)
}

/// Allocates address `id` to the VM: its address, or None when it is no longer this VM's to
/// have (released, or on another VM). Already on this VM (a lost answer to an earlier
/// allocation, repeated) counts as allocated.
fn allocate(
    client: &Client,
    vm_ref: &VirtualMachineRef,
    vm_id: &str,
    id: &str,
) -> Result<Option<String>, ModuleError> {
    let ip = IpAddressRef::Id(id.to_string());
    match client.allocate_ip(vm_ref, &ip) {
        Ok(allocated) => Ok(Some(allocated.address)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) if error.is_already_allocated() => {
            let now = client.ip_address(&ip)?;
            Ok((now.allocation_id.as_deref() == Some(vm_id)).then_some(now.address))
        }
        Err(error) => Err(error.into()),
    }
}

/// Unallocates and releases address `id`; one already gone counts as released.
fn release(client: &Client, id: &str) -> Result<(), ModuleError> {
    let ip = IpAddressRef::Id(id.to_string());
    match client.unallocate_ip(&ip) {
        Ok(()) => {}
        Err(error) if error.is_not_found() || error.code() == Some("no_allocation") => {}
        Err(error) => return Err(error.into()),
    }
    match client.release_ip_address(&ip) {
        Ok(()) => Ok(()),
        Err(error) if error.is_not_found() => Ok(()),
        Err(error) => Err(error.into()),
    }
}

fn organization_of(vm: &VirtualMachine) -> Result<OrganizationRef, ModuleError> {
    vm.organization
        .as_ref()
        .map(|org| OrganizationRef::Id(org.id.clone()))
        .ok_or_else(|| {
            ModuleError::Product("Katapult did not say which organization the VM is in".into())
        })
}

/// The organization's IPv4 addresses allocated to nothing and kept by no service: made by a
/// run whose answer was lost (the making is never sent twice), so nobody knows of them.
fn unclaimed(
    store: &DataStore<'_>,
    client: &Client,
    organization: &OrganizationRef,
) -> Result<Vec<IpAddress>, ModuleError> {
    let claimed = claimed_ids(store)?;
    Ok(client
        .ip_addresses(organization)?
        .into_iter()
        .filter(|ip| ip.is_ipv4() && ip.allocation_id.is_none() && !claimed.contains(&ip.id))
        .collect())
}

/// An IPv4 address for the VM, on the network of its first IPv4 address: an unclaimed one of
/// its organization, else a new one.
fn unclaimed_or_new_address(
    store: &DataStore<'_>,
    client: &Client,
    organization: &OrganizationRef,
    vm: &VirtualMachine,
) -> Result<IpAddress, ModuleError> {
    let network = vm
        .ip_addresses
        .iter()
        .filter(|ip| ip.is_ipv4())
        .find_map(|ip| ip.network.as_ref())
        .ok_or_else(|| {
            ModuleError::Product(
                "the VM has no IPv4 address on a network to add addresses to".into(),
            )
        })?;
    let on_network = unclaimed(store, client, organization)?
        .into_iter()
        .find(|ip| ip.network.as_ref().is_none_or(|n| n.id == network.id));
    match on_network {
        Some(ip) => Ok(ip),
        None => Ok(client.create_ipv4_address(organization, &network.id)?),
    }
}

/// Releases the organization's unclaimed addresses; their addresses.
fn release_unclaimed(
    store: &DataStore<'_>,
    client: &Client,
    organization: &OrganizationRef,
) -> Result<Vec<String>, ModuleError> {
    let mut released = Vec::new();
    for ip in unclaimed(store, client, organization)? {
        release(client, &ip.id)?;
        released.push(ip.address);
    }
    Ok(released)
}

/// Every service's extra addresses' ids.
fn claimed_ids(store: &DataStore<'_>) -> Result<Vec<String>, ModuleError> {
    let mut claimed = Vec::new();
    for service_id in store.owners_with("service", EXTRA_IPV4_IDS)? {
        claimed.extend(extra_ids(store, service_id)?);
    }
    Ok(claimed)
}

/// The ids of the extra addresses made for the service, oldest first.
pub fn extra_ids(store: &DataStore<'_>, service_id: u64) -> Result<Vec<String>, ModuleError> {
    Ok(store
        .get_text(Owner::Service(service_id), EXTRA_IPV4_IDS)?
        .map(|ids| {
            ids.split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default())
}

fn remember(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    service_id: u64,
    ids: &[String],
) -> Result<(), ModuleError> {
    let owner = Owner::Service(service_id);
    if ids.is_empty() {
        store.delete(owner, EXTRA_IPV4_IDS)?;
    } else {
        store.set_text(owner, EXTRA_IPV4_IDS, &ids.join(","), None, ctx.now)?;
    }
    Ok(())
}
