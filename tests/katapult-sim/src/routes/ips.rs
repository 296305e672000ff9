//! IP addresses: reverse DNS, and addresses made in an organization, allocated to a VM,
//! unallocated and released.

use super::organizations::find_org;
use super::vms::find_vm;
use super::{ok, ApiArgs, Sim};
use crate::errors::{ApiError, ApiResult};
use crate::lookup::Args;
use crate::state::{default_rdns, Ip, State};
use axum::extract::State as AxState;
use serde_json::{json, Value};

fn find(st: &State, args: &Args) -> ApiResult<usize> {
    let l = args.lookup("ip_address", &["id", "address"])?;
    st.ips
        .iter()
        .position(|ip| match l.key.as_str() {
            "id" => ip.id == l.value,
            _ => ip.address == l.value,
        })
        .ok_or_else(|| ApiError::not_found("ip_address_not_found"))
}

pub async fn list(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    let org_id = st.orgs[find_org(&st, &args)?].id.clone();
    let allocated = args.bool("allocated")?;
    let page = args.page()?;
    let ips: Vec<&Ip> = st
        .ips
        .iter()
        .filter(|ip| ip.org_id == org_id)
        .filter(|ip| allocated.is_none_or(|a| a == ip.vm_id.is_some()))
        .collect();
    let (pagination, items) = page.apply(&ips);
    let items: Vec<Value> = items.iter().map(|ip| st.ip_json(ip)).collect();
    ok(json!({ "pagination": pagination, "ip_addresses": items }))
}

fn allocation(st: &State, ip: &Ip) -> Value {
    // LIVE shape `{type, value{id,name}}`, not the spec's `{id,name}` (as recorded).
    ip.vm_id
        .as_deref()
        .and_then(|id| st.vms.iter().find(|v| v.id == id))
        .map(|vm| json!({"type": "VirtualMachine", "value": {"id": vm.id, "name": vm.name}}))
        .unwrap_or(Value::Null)
}

pub async fn get(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    let ip = &st.ips[find(&st, &args)?];
    ok(json!({ "ip_address": st.ip_json(ip), "allocation": allocation(&st, ip) }))
}

fn valid_ptr(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

pub async fn update(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find(&st, &args)?;
    let rdns = args.string("reverse_dns");
    if let Some(r) = rdns.as_deref().filter(|r| !r.is_empty()) {
        if !valid_ptr(r) {
            return Err(ApiError::validation(vec!["Reverse DNS is invalid".into()]));
        }
    }
    let vip = args.bool("vip")?;
    let label = args.string("label");
    if vip == Some(true) && label.as_deref().or(st.ips[i].label.as_deref()).is_none() {
        return Err(ApiError::validation(vec!["Label can't be blank".into()]));
    }
    // An empty name gives the address Katapult's default back: its VM's FQDN while allocated.
    let default = match st.ips[i].vm_id.as_deref() {
        Some(vm_id) => st.vms.iter().find(|v| v.id == vm_id).map(|vm| st.fqdn(vm)),
        None => None,
    }
    .unwrap_or_else(|| default_rdns(&st.ips[i].address));
    let ip = &mut st.ips[i];
    if let Some(r) = rdns {
        ip.reverse_dns = if r.is_empty() { default } else { r };
    }
    if let Some(v) = vip {
        ip.vip = v;
    }
    if label.is_some() {
        ip.label = label;
    }
    ok(json!({ "ip_address": st.ip_json(&st.ips[i]) }))
}

/// `POST /organizations/_/ip_addresses`: a new address on the network, the organization's,
/// allocated to nothing.
pub async fn create(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let org_id = st.orgs[find_org(&st, &args)?].id.clone();
    let network = args.required_lookup("network", &["id", "permalink"])?;
    let network = st
        .cat
        .network(&network.key, &network.value)
        .cloned()
        .ok_or_else(|| ApiError::not_found("network_not_found"))?;
    let version = match args.require_string("version")?.as_str() {
        "ipv4" => 4,
        "ipv6" => 6,
        _ => {
            return Err(ApiError::invalid_argument(
                "version",
                "invalid_enum_value",
                "Version must be one of ipv4, ipv6",
            ))
        }
    };
    let i = st
        .allocate_ip(&org_id, &network, version)
        .ok_or_else(no_available_addresses)?;
    ok(json!({ "ip_address": st.ip_json(&st.ips[i]) }))
}

fn no_available_addresses() -> ApiError {
    ApiError::new(503, "no_available_addresses", "We don't have any available IPs for that network and address version at the moment. Please contact support for assistance.")
}

/// `POST /virtual_machines/_/allocate_ip`: an address of the VM's organization, on the VM.
pub async fn allocate(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let v = find_vm(&st, &args)?;
    let ip_lookup = args.required_lookup("ip_address", &["id", "address"])?;
    let i = st
        .ips
        .iter()
        .position(|ip| match ip_lookup.key.as_str() {
            "id" => ip.id == ip_lookup.value,
            _ => ip.address == ip_lookup.value,
        })
        .filter(|i| st.ips[*i].org_id == st.vms[v].org_id)
        .ok_or_else(|| ApiError::not_found("ip_address_not_found"))?;
    if st.ips[i].vm_id.is_some() {
        return Err(ApiError::new(
            422,
            "ip_already_allocated",
            "This IP address has already been allocated to another virtual machine.",
        ));
    }
    let fqdn = st.fqdn(&st.vms[v]);
    let vm_id = st.vms[v].id.clone();
    let ip = &mut st.ips[i];
    ip.vm_id = Some(vm_id);
    ip.reverse_dns = fqdn;
    ok(json!({ "ip_address": st.ip_json(&st.ips[i]) }))
}

/// `POST /ip_addresses/_/unallocate`: off its VM, back to the organization with its default name.
pub async fn unallocate(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find(&st, &args)?;
    let ip = &mut st.ips[i];
    if ip.vm_id.take().is_none() {
        return Err(ApiError::new(
            422,
            "no_allocation",
            "This IP address is not allocated to anything.",
        ));
    }
    ip.reverse_dns = default_rdns(&ip.address);
    ok(json!({}))
}

/// `DELETE /ip_addresses/_`: the address goes back to Katapult (allocated or not, as LIVE's
/// release takes it off its VM first).
pub async fn release(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find(&st, &args)?;
    st.ips.remove(i);
    ok(json!({}))
}
