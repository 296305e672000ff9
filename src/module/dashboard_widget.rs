//! The admin dashboard widget (`AdminHomeWidgets`): builds pending, failed and timed out; what
//! the last cron build sync did; the API budget left this minute; the drift findings. Each
//! figure links to the addon page. `data` is the widget's `getData()`, `render` its
//! `generateOutput($data)`; WHMCS may cache the data between the two.

use std::path::Path;

use serde_json::{json, Value};

use crate::service::context::{Context, ModuleError};
use crate::service::cron_record;
use crate::service::drift;
use crate::service::links::{ServiceLinks, VM_BUILD_ID};
use crate::store::findings::Findings;
use crate::store::{Owner, StoreError};
use crate::views::{escape, Views};

const TEMPLATE: &str = "views/admin/widget.hbs";
const ADDON_PAGE: &str = "addonmodules.php?module=katapult";

/// What the widget shows; a part that cannot be had says why in its place.
pub fn data(ctx: &Context<'_>) -> Value {
    let part = |result: Result<Value, ModuleError>| {
        result.unwrap_or_else(|error| json!({"error": error.to_string()}))
    };
    json!({
        "addon_page": ADDON_PAGE,
        "builds": part(builds(ctx)),
        "last_sync": part(last_sync(ctx)),
        "budget": part(budget(ctx)),
        "drift": part(drift_findings(ctx)),
    })
}

/// The widget's HTML from `data` (as WHMCS hands it back).
pub fn render(module_dir: &Path, data: &Value) -> String {
    Views::new(module_dir)
        .render(TEMPLATE, data)
        .unwrap_or_else(|error| {
            format!(
                r#"<div class="widget-content-padded text-danger">Katapult: {}</div>"#,
                escape(&error.to_string())
            )
        })
}

fn builds(ctx: &Context<'_>) -> Result<Value, ModuleError> {
    let store = ctx.store()?;
    let (mut pending, mut failed, mut timed_out) = (0, 0, 0);
    for service_id in store.owners_with(Owner::Service(0).rel_type(), VM_BUILD_ID)? {
        let links = ServiceLinks::read(&store, service_id)?;
        if links.vm_id.is_some() {
            continue;
        }
        if links.vm_build_failed_at.is_some() {
            failed += 1;
        } else if links.vm_build_timeout_reached_at.is_some() {
            timed_out += 1;
        } else {
            pending += 1;
        }
    }
    Ok(json!({
        "pending": pending,
        "failed": failed,
        "timed_out": timed_out,
        "failed_link": format!("{ADDON_PAGE}&kind={}", drift::BUILD_FAILED),
        "timed_out_link": format!("{ADDON_PAGE}&kind={}", drift::BUILD_TIMED_OUT),
    }))
}

fn last_sync(ctx: &Context<'_>) -> Result<Value, ModuleError> {
    Ok(match cron_record::last(&ctx.store()?)? {
        Some(last) => json!({
            "at": chrono::DateTime::from_timestamp(last.at, 0)
                .map(|at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
            "did": last.did,
            "failure": last.error,
        }),
        None => json!({"never": true}),
    })
}

/// One cheap request (the data centers) to read the budget this minute; it counts as one.
fn budget(ctx: &Context<'_>) -> Result<Value, ModuleError> {
    let store = ctx.store()?;
    let client = ctx.client(&store)?;
    ctx.logged(&client, || client.data_centers())?;
    Ok(match client.rate_limit() {
        Some(limit) => json!({"remaining": limit.remaining, "permitted": limit.permitted}),
        None => json!({"unknown": true}),
    })
}

fn drift_findings(ctx: &Context<'_>) -> Result<Value, ModuleError> {
    let store = ctx.store()?;
    let count = Findings::open(ctx.sql).map_err(StoreError::from)?.count()?;
    let last = drift::last_pass(&store)?;
    Ok(json!({
        "count": count,
        "checked_at": last.and_then(|l| chrono::DateTime::from_timestamp(l.finished_at, 0))
            .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string()),
    }))
}
