//! Disks of built VMs: list, get, grow.

use super::vms::{find_vm, usable};
use super::{ok, ApiArgs, Sim};
use crate::errors::{ApiError, ApiResult};
use crate::lookup::{enum_value, Args};
use crate::state::{State, TaskKind};
use axum::extract::State as AxState;
use serde_json::{json, Value};

/// Resolves `disk` to a disk index; a disk of a trashed VM is 406 `object_in_trash`.
fn find_disk(st: &State, args: &Args) -> ApiResult<usize> {
    let l = args.lookup("disk", &["id"])?;
    let i = st
        .disks
        .iter()
        .position(|d| d.id == l.value)
        .ok_or_else(|| ApiError::not_found("disk_not_found"))?;
    usable(st, &st.disks[i].vm_id)?;
    Ok(i)
}

pub async fn list(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let vm_id = st.vms[find_vm(&st, &args)?].id.clone();
    let page = args.page()?;
    st.note_disk_get(&vm_id, None);
    let disks: Vec<Value> = st
        .disks
        .iter()
        .filter(|d| d.vm_id == vm_id)
        .map(|d| st.vm_disk_json(d))
        .collect();
    let (pagination, items) = page.apply(&disks);
    ok(json!({ "pagination": pagination, "disks": items }))
}

pub async fn get(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find_disk(&st, &args)?;
    let (vm_id, disk_id) = (st.disks[i].vm_id.clone(), st.disks[i].id.clone());
    st.note_disk_get(&vm_id, Some(&disk_id));
    // The simulator's disks carry no annotations.
    ok(json!({ "disk": st.disk_json(&st.disks[i]), "annotations": [] }))
}

/// Grows a disk. A smaller size is 422 `validation_error` (the only validation
/// error the operation declares); a disk already resizing is 406 `task_queueing_error`.
pub async fn resize(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find_disk(&st, &args)?;
    let size = args.require_integer("size_in_gb")?;
    if let Some(method) = args.map.get("resize_method").filter(|v| !v.is_null()) {
        enum_value("resize_method", method, &["offline", "online"])?;
    }
    let d = &st.disks[i];
    if d.state == "resizing" {
        return Err(ApiError::task_queueing_error(
            "The disk is already being resized".into(),
        ));
    }
    if size < d.size_in_gb as i64 {
        return Err(ApiError::validation(vec![format!(
            "Size in GB cannot be less than the disk's current size ({} GB); disks can only grow",
            d.size_in_gb
        )]));
    }
    let kind = TaskKind::ResizeDisk {
        vm_id: d.vm_id.clone(),
        disk_id: d.id.clone(),
        size_in_gb: size as u64,
    };
    let task_id = st.new_task("Resize disk", kind);
    st.disks[i].state = "resizing";
    let task = st
        .tasks
        .iter()
        .find(|t| t.id == task_id)
        .map(|t| st.task_json(t));
    ok(json!({ "disk": st.disk_json(&st.disks[i]), "task": task }))
}
