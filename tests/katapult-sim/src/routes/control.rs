//! The simulator's own control endpoints (no auth, never faulted).

use crate::faults::Faults;
use crate::shared::{lock, Shared};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;

type Sim = State<Arc<Shared>>;

async fn get_faults(State(sim): Sim) -> Json<Faults> {
    Json(lock(&sim.faults).clone())
}

async fn put_faults(State(sim): Sim, body: axum::body::Bytes) -> Response {
    let faults = match serde_json::from_slice::<Faults>(&body) {
        Ok(f) => f,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": e.to_string()})),
            )
                .into_response()
        }
    };
    if let Err(e) = faults.validate() {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": e}))).into_response();
    }
    *lock(&sim.faults) = faults.clone();
    Json(faults).into_response()
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
