//! Organizations and managed organizations.

use super::{created, ok, ApiArgs, Sim};
use crate::errors::{ApiError, ApiResult};
use crate::lookup::{annotations_match, Args};
use crate::permissions::managed_organizations_not_enabled;
use crate::render::annotations;
use crate::state::{unix_now, Org, State};
use axum::extract::State as AxState;
use serde_json::{json, Value};

pub const ORG_KEYS: &[&str] = &["id", "sub_domain"];

/// Resolves the `organization` lookup (path fallback included) to an org index.
pub fn find_org(st: &State, args: &Args) -> ApiResult<usize> {
    let l = args.lookup("organization", ORG_KEYS)?;
    st.orgs
        .iter()
        .position(|o| match l.key.as_str() {
            "id" => o.id == l.value,
            _ => o.sub_domain == l.value,
        })
        .ok_or_else(|| ApiError::not_found("organization_not_found"))
}

pub async fn list(AxState(sim): Sim, ApiArgs(_): ApiArgs) -> ApiResult {
    let st = sim.state();
    let orgs: Vec<Value> = st.orgs.iter().map(|o| st.org_json(o)).collect();
    ok(json!({ "organizations": orgs }))
}

pub async fn get(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    let i = find_org(&st, &args)?;
    ok(json!({ "organization": st.org_json(&st.orgs[i]) }))
}

fn managed_parent(st: &State, args: &Args) -> ApiResult<usize> {
    let i = find_org(st, args)?;
    if st.orgs[i].managed {
        return Err(managed_organizations_not_enabled());
    }
    Ok(i)
}

pub async fn list_managed(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    let parent_id = st.orgs[managed_parent(&st, &args)?].id.clone();
    let filters = args.annotations()?;
    let page = args.page()?;
    // LIVE lists the managed organizations of the parent asked for, not every one the token sees.
    let orgs: Vec<&Org> = st
        .orgs
        .iter()
        .filter(|o| o.parent_id.as_deref() == Some(parent_id.as_str()))
        .filter(|o| annotations_match(&o.annotations, &filters))
        .collect();
    let (pagination, items) = page.apply(&orgs);
    let items: Vec<Value> = items
        .iter()
        .map(|o| {
            json!({
                "id": o.id, "name": o.name, "sub_domain": o.sub_domain,
                "infrastructure_domain": format!("{}.katapult.cloud", o.sub_domain),
                "created_at": o.created_at, "managed": true,
            })
        })
        .collect();
    ok(json!({ "pagination": pagination, "organizations": items }))
}

fn valid_sub_domain(s: &str) -> bool {
    (3..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

pub async fn create_managed(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let parent_id = st.orgs[managed_parent(&st, &args)?].id.clone();
    let name = args.require_string("name")?;
    let sub_domain = args.require_string("sub_domain")?;
    let notes = args.annotations()?;
    let mut errors = Vec::new();
    if name.trim().is_empty() {
        errors.push("Name can't be blank".to_string());
    }
    if !valid_sub_domain(&sub_domain) {
        errors.push("Sub domain is invalid".to_string());
    } else if st.orgs.iter().any(|o| o.sub_domain == sub_domain) {
        errors.push("Sub domain has already been taken".to_string());
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let org = Org {
        id: st.new_id("org"),
        uuid: st.new_uuid(),
        name,
        sub_domain,
        created_at: unix_now(),
        managed: true,
        parent_id: Some(parent_id),
        annotations: notes,
    };
    let body =
        json!({ "organization": st.org_json(&org), "annotations": annotations(&org.annotations) });
    st.orgs.push(org);
    // Counted before the state lock is released, so a saved state file always agrees.
    sim.stats_mut().managed_organizations_created += 1;
    drop(st);
    created(body)
}

pub async fn delete_managed(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find_org(&st, &args)?;
    let org_id = st.orgs[i].id.clone();
    if !st.orgs[i].managed {
        return Err(ApiError::new(
            409,
            "managed_organization_required",
            "Only managed organizations can be deleted using this endpoint",
        ));
    }
    let vms = st.vms.iter().filter(|v| v.org_id == org_id).count();
    let trashed = st
        .vms
        .iter()
        .filter(|v| v.org_id == org_id && v.trash_id.is_some())
        .count();
    if vms > 0 {
        let step = |ok: bool, d: &str| json!({"satisfied": ok, "description": d});
        return Err(ApiError::new(
            409,
            "deletion_steps_not_satisfied",
            "Not all deletion steps have been satisfied, ensure all steps are satisfied before attempting deletion",
        )
        .with_detail(json!({"steps": {
            "virtual_machines": step(vms == trashed, "All virtual machines must be deleted"),
            "empty_trash": step(trashed == 0, "The trash must be empty"),
        }})));
    }
    st.ips.retain(|ip| ip.org_id != org_id);
    st.orgs.remove(i);
    ok(json!({ "success": true }))
}
