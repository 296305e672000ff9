//! Read-only catalogue: data centers, zones, packages, disk templates.

use super::organizations::{find_org, ORG_KEYS};
use super::{ok, ApiArgs, Sim};
use crate::errors::{ApiError, ApiResult};
use crate::lookup::Args;
use crate::state::State;
use axum::extract::State as AxState;
use serde_json::{json, Value};

pub fn find_data_center<'a>(st: &'a State, args: &Args) -> ApiResult<&'a Value> {
    let l = args.lookup("data_center", &["id", "permalink"])?;
    st.cat
        .data_center(&l.key, &l.value)
        .ok_or_else(|| ApiError::not_found("data_center_not_found"))
}

pub async fn data_centers(AxState(sim): Sim, ApiArgs(_): ApiArgs) -> ApiResult {
    let st = sim.state();
    ok(json!({ "data_centers": st.cat.data_centers }))
}

pub async fn data_center(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    ok(json!({ "data_center": find_data_center(&st, &args)? }))
}

pub async fn default_network(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    let dc = find_data_center(&st, &args)?;
    let net = st
        .cat
        .default_network(dc["id"].as_str().unwrap_or_default())
        .ok_or_else(|| ApiError::not_found("network_not_found"))?;
    ok(json!({ "network": st.cat.network_json(net, false) }))
}

pub async fn zones(AxState(sim): Sim, ApiArgs(_): ApiArgs) -> ApiResult {
    let st = sim.state();
    let zones: Vec<Value> = st.cat.zones.iter().map(|z| st.cat.zone_json(z)).collect();
    ok(json!({ "zones": zones }))
}

pub async fn zone(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    let l = args.lookup("zone", &["id", "permalink"])?;
    let z = st
        .cat
        .zone(&l.key, &l.value)
        .ok_or_else(|| ApiError::not_found("zone_not_found"))?;
    ok(json!({ "zone": st.cat.zone_json(z) }))
}

pub async fn packages(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    // An organization only adds its private packages, and the seed has none.
    if let Some(l) = args.optional_lookup("organization", ORG_KEYS)? {
        st.org(&l.key, &l.value)
            .ok_or_else(|| ApiError::not_found("organization_not_found"))?;
    }
    let (pagination, items) = args.page()?.apply(&st.cat.packages);
    ok(json!({ "pagination": pagination, "virtual_machine_packages": items }))
}

pub async fn package(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    let l = args.lookup("virtual_machine_package", &["id", "permalink"])?;
    let p = st
        .cat
        .package(&l.key, &l.value)
        .ok_or_else(|| ApiError::not_found("package_not_found"))?;
    ok(json!({ "virtual_machine_package": p }))
}

pub async fn disk_templates(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    find_org(&st, &args)?;
    let universal = args.bool("include_universal")?.unwrap_or(false);
    let os = args.optional_lookup("operating_system", &["id"])?;
    let page = args.page()?;
    // Seeded organizations own no templates, so only universal ones can be listed.
    let items: Vec<Value> = st
        .cat
        .disk_templates
        .iter()
        .filter(|t| universal && t["universal"] == true)
        .filter(|t| {
            os.as_ref()
                .is_none_or(|l| t["operating_system"]["id"].as_str() == Some(l.value.as_str()))
        })
        .map(|t| st.cat.disk_template_json(t, false))
        .collect();
    let (pagination, items) = page.apply(&items);
    ok(json!({ "pagination": pagination, "disk_templates": items }))
}

pub async fn disk_template(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    let l = args.lookup("disk_template", &["id", "permalink"])?;
    let t = st
        .cat
        .disk_template(&l.key, &l.value)
        .ok_or_else(|| ApiError::not_found("disk_template_not_found"))?;
    ok(json!({ "disk_template": st.cat.disk_template_json(t, true) }))
}
