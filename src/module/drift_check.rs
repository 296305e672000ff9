//! The drift check's ways in: the daily pass (`DailyCronJob`), the rest of a pass a stopped run
//! left (every `AfterCronJob`), and the admin's "Check now" on the addon page. A pass finished
//! by the cron gives one line a day in the activity log, with what it found by kind.

use crate::service::context::{Context, ModuleError};
use crate::service::drift::{self, LastPass, Outcome, Pacing, KINDS};
use crate::store::findings::Findings;
use crate::store::{Owner, StoreError};

/// On the module: the day (UTC) the last summary line was written.
const SUMMARY_LOGGED_ON: &str = "drift_summary_logged_on";

/// DailyCronJob: starts a pass (or finishes the one under way), waiting out the API's minutes.
pub fn daily(ctx: &Context<'_>, run_id: &str) -> Result<String, ModuleError> {
    let outcome = drift::run(ctx, run_id, true, Pacing::Wait)?;
    told_by_cron(ctx, outcome)
}

/// AfterCronJob: finishes a pass a stopped run left; starts none.
pub fn resume(ctx: &Context<'_>, run_id: &str) -> Result<String, ModuleError> {
    let outcome = drift::run(ctx, run_id, false, Pacing::Wait)?;
    told_by_cron(ctx, outcome)
}

/// The admin's "Check now": a pass that stops when the minute's budget runs low (a page must
/// answer); the cron finishes it.
pub fn check_now(ctx: &Context<'_>, run_id: &str) -> Result<String, ModuleError> {
    Ok(match drift::run(ctx, run_id, true, Pacing::Stop)? {
        Some(outcome) => said(&outcome),
        None => "No drift check was under way.".into(),
    })
}

fn told_by_cron(ctx: &Context<'_>, outcome: Option<Outcome>) -> Result<String, ModuleError> {
    let Some(outcome) = outcome else {
        return Ok("No drift check was under way.".into());
    };
    if let Outcome::Finished(last) = &outcome {
        log_summary_once_a_day(ctx, last)?;
    }
    Ok(said(&outcome))
}

fn said(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Busy => "A drift check is already running.".into(),
        Outcome::Paused(state) => format!(
            "The drift check paused for the API's rate limit after {} services; the next cron run goes on from there.",
            state.services_checked
        ),
        Outcome::Finished(last) => format!(
            "The drift check is done: {} services checked, {} findings, {} errors.",
            last.services_checked, last.findings, last.errors
        ),
    }
}

/// One activity-log line a day: what the finished pass found, by kind.
fn log_summary_once_a_day(ctx: &Context<'_>, last: &LastPass) -> Result<(), ModuleError> {
    let store = ctx.store()?;
    let today = ctx.now.format("%Y-%m-%d").to_string();
    if store.get_text(Owner::Module, SUMMARY_LOGGED_ON)?.as_deref() == Some(today.as_str()) {
        return Ok(());
    }
    let findings = Findings::open(ctx.sql)
        .map_err(StoreError::from)?
        .list(None)?;
    let by_kind: Vec<String> = KINDS
        .iter()
        .filter_map(|(kind, label)| {
            let count = findings.iter().filter(|f| f.kind == *kind).count();
            (count > 0).then(|| format!("{label}: {count}"))
        })
        .collect();
    let found = if by_kind.is_empty() {
        "no drift".to_string()
    } else {
        by_kind.join(", ")
    };
    ctx.host.log_activity(
        &format!(
            "[Katapult] Drift check: {} services checked, {} findings ({found}), {} errors. See Addons › Katapult.",
            last.services_checked, last.findings, last.errors
        ),
        None,
    );
    store.set_text(Owner::Module, SUMMARY_LOGGED_ON, &today, None, ctx.now)?;
    Ok(())
}
