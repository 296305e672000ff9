//! Disk backup policies set on a VM: list, create, get, change, delete.

use super::vms::{find_vm, usable};
use super::{ok, ApiArgs, Sim};
use crate::errors::{ApiError, ApiResult};
use crate::lookup::{enum_value, integer, Args};
use crate::state::{BackupPolicy, State};
use axum::extract::State as AxState;
use serde_json::{json, Value};

const INTERVALS: &[&str] = &["hourly", "daily", "weekly", "monthly"];

/// Resolves `disk_backup_policy`; a policy of a trashed VM is 406 `object_in_trash`.
fn find_policy(st: &State, args: &Args) -> ApiResult<usize> {
    let l = args.lookup("disk_backup_policy", &["id"])?;
    let i = st
        .backup_policies
        .iter()
        .position(|p| p.id == l.value)
        .ok_or_else(|| ApiError::not_found("disk_backup_policy_not_found"))?;
    usable(st, &st.backup_policies[i].vm_id)?;
    Ok(i)
}

/// `properties{retention, schedule{interval, frequency, time, minute}}` onto `policy`: what is
/// given changes, what is out of range is a 422 naming each problem.
fn apply(policy: &mut BackupPolicy, args: &Args) -> ApiResult<()> {
    let properties = args.map.get("properties").cloned().unwrap_or(Value::Null);
    let number = |v: &Value, name: &str| integer(name, v);
    let mut errors = Vec::new();
    if let Some(retention) = properties.get("retention").filter(|v| !v.is_null()) {
        match number(retention, "retention")? {
            n @ 1..=1000 => policy.retention = n as u32,
            _ => errors.push("Retention must be between 1 and 1000".to_string()),
        }
    }
    if let Some(schedule) = properties.get("schedule").filter(|v| !v.is_null()) {
        if let Some(interval) = schedule.get("interval").filter(|v| !v.is_null()) {
            policy.interval = enum_value("interval", interval, INTERVALS)?;
        }
        let mut field = |name: &str, range: std::ops::RangeInclusive<i64>, slot: &mut u32| {
            if let Some(v) = schedule.get(name).filter(|v| !v.is_null()) {
                let n = number(v, name)?;
                if range.contains(&n) {
                    *slot = n as u32;
                } else {
                    errors.push(format!(
                        "Schedule {name} must be between {} and {}",
                        range.start(),
                        range.end()
                    ));
                }
            }
            Ok::<_, ApiError>(())
        };
        field("frequency", 1..=1000, &mut policy.frequency)?;
        field("time", 0..=23, &mut policy.time)?;
        field("minute", 0..=59, &mut policy.minute)?;
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

pub async fn list(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    let vm_id = st.vms[find_vm(&st, &args)?].id.clone();
    let page = args.page()?;
    let now = sim.unix_now();
    let policies: Vec<Value> = st
        .backup_policies
        .iter()
        .filter(|p| p.vm_id == vm_id)
        .map(|p| listed_json(p, now))
        .collect();
    let (pagination, items) = page.apply(&policies);
    ok(json!({ "pagination": pagination, "disk_backup_policies": items }))
}

pub async fn create(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let vm_id = st.vms[find_vm(&st, &args)?].id.clone();
    if args.map.get("properties").is_none_or(Value::is_null) {
        return Err(ApiError::missing_required_argument("properties"));
    }
    // Katapult's defaults for what the request leaves out (invented: never recorded).
    let mut policy = BackupPolicy {
        id: st.new_id("dbp"),
        vm_id,
        retention: 7,
        interval: "daily",
        frequency: 1,
        time: 0,
        minute: 0,
    };
    apply(&mut policy, &args)?;
    let body = json!({ "disk_backup_policy": policy_json(&policy, sim.unix_now()) });
    st.backup_policies.push(policy);
    ok(body)
}

pub async fn get(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    let i = find_policy(&st, &args)?;
    ok(json!({ "disk_backup_policy": policy_json(&st.backup_policies[i], sim.unix_now()) }))
}

pub async fn update(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find_policy(&st, &args)?;
    apply(&mut st.backup_policies[i], &args)?;
    ok(json!({ "disk_backup_policy": policy_json(&st.backup_policies[i], sim.unix_now()) }))
}

/// LIVE moves a deleted policy to the trash; the simulator lets it go at once (nothing here
/// restores a policy on its own).
pub async fn delete(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find_policy(&st, &args)?;
    let policy = st.backup_policies.remove(i);
    ok(json!({ "disk_backup_policy": { "id": policy.id } }))
}

/// A policy as a single read, a create and a change return it.
fn policy_json(p: &BackupPolicy, now: i64) -> Value {
    json!({
        "id": p.id,
        "retention": p.retention,
        "total_size": 0.0,
        "schedule": {
            "interval": p.interval,
            "frequency": p.frequency,
            "time": p.time,
            "minute": p.minute,
            "next_invocation_at": next_run(p, now),
        },
        "auto_move_to_trash_at": null,
    })
}

/// A policy as a list gives it: its schedule is only the interval and the next run.
fn listed_json(p: &BackupPolicy, now: i64) -> Value {
    json!({
        "id": p.id,
        "retention": p.retention,
        "total_size": 0.0,
        "schedule": { "interval": p.interval, "next_invocation_at": next_run(p, now) },
    })
}

/// The next run after `now` (Unix time, UTC): the next `minute` past the hour for an hourly
/// policy, else the next `time`:`minute` of a day, a week or a month of days on (invented:
/// Katapult's own calendar is not recorded).
fn next_run(p: &BackupPolicy, now: i64) -> i64 {
    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;
    let frequency = i64::from(p.frequency.max(1));
    if p.interval == "hourly" {
        let at = now - now.rem_euclid(HOUR) + i64::from(p.minute) * 60;
        return if at > now { at } else { at + HOUR * frequency };
    }
    let at = now - now.rem_euclid(DAY) + i64::from(p.time) * HOUR + i64::from(p.minute) * 60;
    let period = match p.interval {
        "weekly" => 7 * DAY,
        "monthly" => 30 * DAY,
        _ => DAY,
    } * frequency;
    if at > now {
        at
    } else {
        at + period
    }
}
