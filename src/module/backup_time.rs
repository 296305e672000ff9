//! The backups section of the client's panel, and the custom function behind its "Change time"
//! form (`katapult_BackupTime`): the client moves the daily backup to another hour the product
//! allows. The request must carry the form's single-use token (see `ClientRequest::authorize`);
//! an hour the product does not allow is refused before Katapult is asked. Both are in the
//! client's activity log.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::api::disk_backup_policies::DailyBackups;
use crate::service::action_tokens::ActionTokens;
use crate::service::backups::{self, BackupOffer, BackupRecord};
use crate::service::client_request::{actor, authorize_actor, ClientRequest, Denied};
use crate::service::context::{Context, ModuleError};
use crate::service::params::ServiceParams;
use crate::service::vm_options_lock;
use crate::service::vm_target::{service_vm, ServiceVm};
use crate::store::DataStore;

pub const FUNCTION: &str = "BackupTime";
pub const TEMPLATE: &str = "views/client/virtual_machines/backups.hbs";

/// The panel's values for the backups section: `backups_offered`, and `backups`, the policy as
/// last set (no API call) with the form to move it, or null for none yet. Nothing when the
/// product offers no backups and the VM has none. The panel renders the section (`TEMPLATE`)
/// from them.
pub fn section_model(
    store: &DataStore<'_>,
    params: &ServiceParams,
    request: &ClientRequest,
    tokens: &ActionTokens,
    now: DateTime<Utc>,
) -> Result<Option<Value>, ModuleError> {
    let offer = BackupOffer::of(params)?;
    let record = BackupRecord::read(store, params.service_id)?;
    if record.is_none() && offer.retentions.is_empty() {
        return Ok(None);
    }
    let backups = record.map(|r| {
        let next_run = r.next_run(now);
        let change = (offer.hours.len() > 1).then(|| {
            let hours: Vec<Value> = offer
                .hours
                .iter()
                .map(|h| json!({ "value": h, "label": hour_label(*h), "selected": *h == r.hour }))
                .collect();
            json!({
                "url": format!("clientarea.php?action=productdetails&id={}&modop=custom&a={FUNCTION}", params.service_id),
                "token": tokens.issue(&request.binding(params, FUNCTION), now),
                "hours": hours,
            })
        });
        json!({
            "retention": r.retention,
            "time": hour_label(r.hour),
            "next_run": next_run.map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string()),
            "next_run_iso": next_run.map(|at| at.to_rfc3339()),
            "change": change,
        })
    });
    Ok(Some(json!({ "backups_offered": true, "backups": backups })))
}

fn hour_label(hour: u32) -> String {
    format!("{hour:02}:00 UTC")
}

/// 'success', or what the client is told (their language) or the admin (the text).
pub fn backup_time(
    ctx: &Context<'_>,
    params: &ServiceParams,
    hour: &str,
    client: Option<&ClientRequest>,
) -> String {
    let who = actor(client);
    match authorize_actor(client, ctx, params, FUNCTION) {
        Ok(()) => {}
        Err(Denied::Told(text)) => return text,
        Err(Denied::Failed(error)) => return failed(ctx, params, who, client, error),
    }
    match run(ctx, params, hour) {
        Ok(Ok(said)) => {
            ctx.log_for_service(
                params.service_id,
                Some(params.client_id),
                &format!("the daily backup's time was changed by {who}: {said}"),
            );
            "success".into()
        }
        Ok(Err(Refused { log, told })) => {
            ctx.log_for_service(
                params.service_id,
                Some(params.client_id),
                &format!("{who}'s backup time change was refused: {log}"),
            );
            super::told(client, told, &log)
        }
        Err(error) => failed(ctx, params, who, client, error),
    }
}

/// A change refused before Katapult was asked: the reason logged, and the language key a
/// client is told.
struct Refused {
    log: String,
    told: &'static str,
}

fn run(
    ctx: &Context<'_>,
    params: &ServiceParams,
    hour: &str,
) -> Result<Result<String, Refused>, ModuleError> {
    let offer = BackupOffer::of(params)?;
    let allowed: Vec<String> = offer.hours.iter().map(|h| h.to_string()).collect();
    let Some(hour) = hour
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|h| offer.hours.contains(h))
    else {
        return Ok(Err(Refused {
            log: format!(
                "{hour:?} is not an hour the product allows ({})",
                allowed.join(", ")
            ),
            told: "katapult_backup_time_not_offered",
        }));
    };
    let ServiceVm { store, client, vm } = match service_vm(ctx, params)? {
        Ok(target) => target,
        Err(reason) => {
            return Ok(Err(Refused {
                log: reason,
                told: "katapult_action_failed",
            }))
        }
    };
    // The retention as it is once no other run (a ChangePackage) is changing it.
    vm_options_lock::holding(ctx, params.service_id, || {
        let Some(record) = BackupRecord::read(&store, params.service_id)? else {
            return Ok(Err(Refused {
                log: "the service has no backups".into(),
                told: "katapult_backups_none",
            }));
        };
        let wanted = DailyBackups {
            retention: record.retention,
            hour,
        };
        let said = ctx.logged(&client, || {
            backups::apply(ctx, &store, &client, params, &vm, Some(wanted))
        })?;
        Ok(Ok(said))
    })
}

fn failed(
    ctx: &Context<'_>,
    params: &ServiceParams,
    who: &str,
    client: Option<&ClientRequest>,
    error: ModuleError,
) -> String {
    ctx.log_for_service(
        params.service_id,
        Some(params.client_id),
        &format!("{who}'s backup time change failed: {error}"),
    );
    match client {
        Some(request) => request.lang.text("katapult_action_failed"),
        None => super::said(Err(error), "the backup time was not changed"),
    }
}
