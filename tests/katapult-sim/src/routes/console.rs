//! Console (VNC) sessions. The real URL format was never recorded,
//! so sessions point at a small page this simulator serves itself.

use super::vms::find_vm;
use super::{created, ApiArgs, Sim};
use crate::errors::{ApiError, ApiResult};
use crate::shared::Shared;
use crate::state::{unix_now, Console};
use axum::extract::{Path, Query, State as AxState};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

const SESSION_SECS: i64 = 300;

pub async fn create(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find_vm(&st, &args)?;
    if st.vms[i].state != "started" {
        return Err(ApiError::new(
            406,
            "virtual_machine_must_be_started",
            "Virtual machines must be in a started state to create console sessions",
        )
        .with_detail(json!({ "current_state": st.vms[i].state })));
    }
    let session = Console {
        id: st.new_uuid(),
        token: st.random_string(32),
        vm_id: st.vms[i].id.clone(),
        expires_at: unix_now() + SESSION_SECS,
    };
    let body = json!({"console_session": {
        "id": session.id,
        "url": format!("{}/console/{}?token={}", sim.root_url, session.id, session.token),
        "expires_at": session.expires_at,
        "virtual_machine": st.vm_ref_json(&st.vms[i]),
    }});
    st.consoles.push(session);
    created(body)
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn page(
    AxState(sim): AxState<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
) -> (StatusCode, Html<String>) {
    let st = sim.state();
    let session = st.consoles.iter().find(|c| {
        c.id == id && q.token.as_deref() == Some(c.token.as_str()) && c.expires_at > unix_now()
    });
    let vm = session.and_then(|c| st.vms.iter().find(|v| v.id == c.vm_id));
    match vm {
        Some(vm) => (
            StatusCode::OK,
            Html(format!(
                "<!doctype html><html><head><title>Console: {fqdn}</title></head><body><h1>Console: {fqdn}</h1><p>katapult-sim console session for {id} ({state}).</p><pre>{hostname} login: _</pre></body></html>",
                fqdn = st.fqdn(vm),
                id = vm.id,
                state = vm.state,
                hostname = vm.hostname,
            )),
        ),
        None => (
            StatusCode::NOT_FOUND,
            Html("<!doctype html><html><body><h1>Console session not found or expired</h1></body></html>".into()),
        ),
    }
}

pub fn router() -> Router<Arc<Shared>> {
    Router::new().route("/console/{id}", get(page))
}
