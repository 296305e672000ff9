//! The simulator's own control endpoints (no auth, never faulted).

use crate::faults::Faults;
use crate::shared::{lock, Shared};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;

type Sim = State<Arc<Shared>>;

/// The fault settings plus `fail_builds` (kept apart from `Faults` in the library).
fn faults_json(sim: &Shared) -> Value {
    let mut v = serde_json::to_value(lock(&sim.faults).clone()).unwrap_or_else(|_| json!({}));
    v["fail_builds"] = json!(sim.fail_builds.load(Ordering::SeqCst));
    v
}

async fn get_faults(State(sim): Sim) -> Json<Value> {
    Json(faults_json(&sim))
}

/// `Faults` and `fail_builds` from one JSON object; missing fields take their defaults.
fn parse_faults(body: &[u8]) -> Result<(Faults, u32), String> {
    let mut v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let fail_builds = match v.as_object_mut().and_then(|o| o.remove("fail_builds")) {
        Some(n) => serde_json::from_value(n).map_err(|e| format!("fail_builds: {e}"))?,
        None => 0,
    };
    let faults = serde_json::from_value(v).map_err(|e| e.to_string())?;
    Ok((faults, fail_builds))
}

async fn put_faults(State(sim): Sim, body: axum::body::Bytes) -> Response {
    let (faults, fail_builds) = match parse_faults(&body) {
        Ok(parsed) => parsed,
        Err(e) => return (StatusCode::BAD_REQUEST, Json(json!({ "error": e }))).into_response(),
    };
    if let Err(e) = faults.validate() {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": e}))).into_response();
    }
    *lock(&sim.faults) = faults;
    sim.fail_builds.store(fail_builds, Ordering::SeqCst);
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

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/faults", get(get_faults).put(put_faults))
        .route("/_sim/stats", get(stats))
        .route("/_sim/reset", post(reset))
}
