//! Extra IPv4 addresses, sold per address with the "Extra IPv4 Addresses" configurable option
//! (a quantity): the VM gets as many addresses beside its own as the client pays for.
//!
//! The ids of the addresses made for a service are kept in the datastore the moment Katapult
//! makes them, before they are allocated: an interrupted run leaves an address the next run
//! finds and allocates, never one nobody knows of. Only those addresses are ever unallocated
//! and released; the VM's own address (WHMCS's dedicated IP) is never touched.

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
/// they came off it; new ones made in the VM's organization, on its own address's network; the
/// newest released past `wanted`. Then WHMCS's dedicated and assigned IPs follow the VM.
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
    let on_vm = |id: &str| vm.ip_addresses.iter().any(|ip| ip.id == id);

    // The addresses made for the service, back on the VM where they came off it.
    let mut kept = Vec::new();
    for id in ids.drain(..) {
        if on_vm(&id) {
            kept.push(id);
            continue;
        }
        match client.allocate_ip(vm_ref, &IpAddressRef::Id(id.clone())) {
            Ok(ip) => {
                change.allocated.push(ip.address);
                kept.push(id);
            }
            // Released in Katapult, or taken by another VM: no longer the service's.
            Err(error) if error.is_not_found() || error.is_already_allocated() => {}
            Err(error) => return Err(error.into()),
        }
    }
    ids = kept;
    remember(ctx, store, service_id, &ids)?;

    while ids.len() < wanted as usize {
        let ip = make_address(client, &vm)?;
        ids.push(ip.id.clone());
        remember(ctx, store, service_id, &ids)?;
        let allocated = client.allocate_ip(vm_ref, &IpAddressRef::Id(ip.id.clone()))?;
        change.allocated.push(allocated.address);
    }
    while ids.len() > wanted as usize {
        let Some(id) = ids.pop() else { break };
        let ip = IpAddressRef::Id(id.clone());
        let address = vm
            .ip_addresses
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.address.clone())
            .unwrap_or(id);
        match client.unallocate_ip(&ip) {
            Ok(()) => {}
            Err(error) if error.is_not_found() || error.code() == Some("no_allocation") => {}
            Err(error) => return Err(error.into()),
        }
        match client.release_ip_address(&ip) {
            Ok(()) => {}
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(error.into()),
        }
        remember(ctx, store, service_id, &ids)?;
        change.released.push(address);
    }

    if !change.is_empty() {
        let vm = client.virtual_machine(vm_ref)?.virtual_machine;
        HostingFields::of(&vm).write(ctx.sql, service_id)?;
    }
    Ok(change)
}

/// A new IPv4 address in the VM's organization, on the network of the VM's first IPv4 address.
fn make_address(client: &Client, vm: &VirtualMachine) -> Result<IpAddress, ModuleError> {
    let organization = vm
        .organization
        .as_ref()
        .map(|org| OrganizationRef::Id(org.id.clone()))
        .ok_or_else(|| {
            ModuleError::Product("Katapult did not say which organization the VM is in".into())
        })?;
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
    Ok(client.create_ipv4_address(&organization, &network.id)?)
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
