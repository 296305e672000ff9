//! Trash objects: inspect, purge and restore.

use super::{ok, ApiArgs, Sim};
use crate::errors::{ApiError, ApiResult};
use crate::lookup::Args;
use crate::state::{State, TaskKind};
use axum::extract::State as AxState;
use serde_json::json;

fn find(st: &State, args: &Args) -> ApiResult<usize> {
    let l = args.lookup("trash_object", &["id", "object_id"])?;
    st.trash
        .iter()
        .position(|t| match l.key.as_str() {
            "id" => t.id == l.value,
            _ => t.object_id == l.value,
        })
        .ok_or_else(|| ApiError::not_found("trash_object_not_found"))
}

pub async fn get(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    let i = find(&st, &args)?;
    ok(json!({ "trash_object": st.trash_json(&st.trash[i]) }))
}

pub async fn purge(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find(&st, &args)?;
    let trash_id = st.trash[i].id.clone();
    let id = st.new_task("Purge items from trash", TaskKind::Purge { trash_id });
    let task = st
        .tasks
        .iter()
        .find(|t| t.id == id)
        .map(|t| st.task_json(t));
    ok(json!({ "task": task }))
}

/// The object goes back where it was: a VM is found again, in the state it was deleted in.
pub async fn restore(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find(&st, &args)?;
    let trash = st.trash.remove(i);
    if let Some(vm) = st.vm_mut(&trash.object_id) {
        vm.trash_id = None;
    }
    ok(json!({ "trash_object": st.trash_json(&trash) }))
}
