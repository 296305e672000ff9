//! Task status.

use super::{ok, ApiArgs, Sim};
use crate::errors::{ApiError, ApiResult};
use axum::extract::State as AxState;
use serde_json::json;

pub async fn get(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let l = args.lookup("task", &["id"])?;
    let i = st
        .tasks
        .iter()
        .position(|t| t.id == l.value)
        .ok_or_else(|| ApiError::not_found("task_not_found"))?;
    st.tasks[i].polls += 1;
    st.advance();
    ok(json!({ "task": st.task_json(&st.tasks[i]) }))
}
