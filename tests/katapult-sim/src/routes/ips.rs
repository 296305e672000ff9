//! IP addresses and reverse DNS.

use super::organizations::find_org;
use super::{ok, ApiArgs, Sim};
use crate::errors::{ApiError, ApiResult};
use crate::lookup::Args;
use crate::state::{Ip, State};
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
    if let Some(r) = &rdns {
        if !valid_ptr(r) {
            return Err(ApiError::validation(vec!["Reverse DNS is invalid".into()]));
        }
    }
    let vip = args.bool("vip")?;
    let label = args.string("label");
    if vip == Some(true) && label.as_deref().or(st.ips[i].label.as_deref()).is_none() {
        return Err(ApiError::validation(vec!["Label can't be blank".into()]));
    }
    let ip = &mut st.ips[i];
    if let Some(r) = rdns {
        ip.reverse_dns = r;
    }
    if let Some(v) = vip {
        ip.vip = v;
    }
    if label.is_some() {
        ip.label = label;
    }
    ok(json!({ "ip_address": st.ip_json(&st.ips[i]) }))
}
