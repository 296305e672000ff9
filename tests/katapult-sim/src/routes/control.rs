//! The simulator's own control endpoints (no auth, never faulted).

use crate::faults::Faults;
use crate::shared::{lock, Shared};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

type Sim = State<Arc<Shared>>;

/// The fault settings plus `fail_builds` (kept apart from `Faults` in the library).
fn faults_json(sim: &Shared) -> Value {
    let mut v = serde_json::to_value(lock(&sim.faults).clone()).unwrap_or_else(|_| json!({}));
    v["fail_builds"] = json!(sim.fail_builds.load(Ordering::SeqCst));
    v["fail_builds_after_vm"] = json!(sim.fail_builds_after_vm.load(Ordering::SeqCst));
    v
}

async fn get_faults(State(sim): Sim) -> Json<Value> {
    Json(faults_json(&sim))
}

/// `Faults`, `fail_builds` and `fail_builds_after_vm` from one JSON object; missing fields
/// take their defaults.
fn parse_faults(body: &[u8]) -> Result<(Faults, u32, u32), String> {
    let mut v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let mut counter = |name: &str| match v.as_object_mut().and_then(|o| o.remove(name)) {
        Some(n) => serde_json::from_value(n).map_err(|e| format!("{name}: {e}")),
        None => Ok(0),
    };
    let fail_builds = counter("fail_builds")?;
    let fail_builds_after_vm = counter("fail_builds_after_vm")?;
    let faults = serde_json::from_value(v).map_err(|e| e.to_string())?;
    Ok((faults, fail_builds, fail_builds_after_vm))
}

async fn put_faults(State(sim): Sim, body: axum::body::Bytes) -> Response {
    let (faults, fail_builds, fail_builds_after_vm) = match parse_faults(&body) {
        Ok(parsed) => parsed,
        Err(e) => return (StatusCode::BAD_REQUEST, Json(json!({ "error": e }))).into_response(),
    };
    if let Err(e) = faults.validate() {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": e}))).into_response();
    }
    *lock(&sim.faults) = faults;
    sim.fail_builds.store(fail_builds, Ordering::SeqCst);
    sim.fail_builds_after_vm
        .store(fail_builds_after_vm, Ordering::SeqCst);
    sim.changed();
    Json(faults_json(&sim)).into_response()
}

async fn stats(State(sim): Sim) -> Response {
    Json(lock(&sim.stats).clone()).into_response()
}

async fn reset(State(sim): Sim) -> Json<serde_json::Value> {
    sim.reset();
    Json(json!({"reset": true}))
}

fn clock_json(sim: &Shared) -> Value {
    let now = sim
        .now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    json!({ "now": now })
}

async fn get_clock(State(sim): Sim) -> Json<Value> {
    Json(clock_json(&sim))
}

#[derive(Deserialize)]
struct SetClock {
    /// Seconds since the Unix epoch.
    now: f64,
}

async fn put_clock(State(sim): Sim, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<SetClock>(&body) {
        Ok(SetClock { now }) if now.is_finite() && now >= 0.0 => {
            sim.set_clock(now);
            Json(clock_json(&sim)).into_response()
        }
        Ok(_) => bad_request("now must be a non-negative number of seconds".into()),
        Err(e) => bad_request(e.to_string()),
    }
}

#[derive(Deserialize)]
struct Spend {
    token: String,
    requests: u32,
}

async fn spend_rate_limit(State(sim): Sim, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<Spend>(&body) {
        Ok(spend) => {
            let remaining = sim.spend_rate(&spend.token, spend.requests);
            Json(json!({ "remaining": remaining })).into_response()
        }
        Err(e) => bad_request(e.to_string()),
    }
}

/// What `/_sim/virtual_machines/:id` changes, as someone working in Katapult's own panel would.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VmChange {
    /// A new hostname (the FQDN follows it).
    hostname: Option<String>,
    /// A new address for the VM's first IPv4 address.
    ipv4: Option<String>,
}

/// Changes a VM behind its owner's back (no auth, no task, no rate limit): the drift a WHMCS
/// module must notice. Answers the VM's hostname and addresses as they now are.
async fn change_vm(State(sim): Sim, Path(id): Path<String>, body: axum::body::Bytes) -> Response {
    let change = match serde_json::from_slice::<VmChange>(&body) {
        Ok(change) => change,
        Err(e) => return bad_request(e.to_string()),
    };
    let mut st = sim.state();
    let Some(vm) = st.vm_mut(&id) else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "no such VM"}))).into_response();
    };
    if let Some(hostname) = change.hostname {
        vm.hostname = hostname;
    }
    if let Some(address) = change.ipv4 {
        let Some(ip) = st
            .ips
            .iter_mut()
            .find(|ip| ip.vm_id.as_deref() == Some(id.as_str()) && ip.version == 4)
        else {
            return bad_request("the VM has no IPv4 address to change".into());
        };
        ip.address = address;
    }
    let addresses: Vec<&str> = st
        .ips
        .iter()
        .filter(|ip| ip.vm_id.as_deref() == Some(id.as_str()))
        .map(|ip| ip.address.as_str())
        .collect();
    let vm = st.vms.iter().find(|vm| vm.id == id);
    Json(json!({"hostname": vm.map(|vm| &vm.hostname), "ip_addresses": addresses})).into_response()
}

fn bad_request(error: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response()
}

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/faults", get(get_faults).put(put_faults))
        .route("/_sim/clock", get(get_clock).put(put_clock))
        .route("/_sim/rate_limit/spend", post(spend_rate_limit))
        .route("/_sim/stats", get(stats))
        .route("/_sim/reset", post(reset))
        .route("/_sim/virtual_machines/{id}", axum::routing::put(change_vm))
}
