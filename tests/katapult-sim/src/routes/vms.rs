//! Virtual machines: build, build status, list, get, power, package, delete.

use super::organizations::find_org;
use super::{created, ok, ApiArgs, Sim};
use crate::errors::{ApiError, ApiResult};
use crate::jobs::{is_downgrade, random_hostname};
use crate::lookup::{annotations_match, enum_value, integer, Args};
use crate::render::annotations;
use crate::state::{
    default_rdns, unix_now, Build, DiskSpec, Power, State, TaskKind, TrashObject,
    DEFAULT_STORAGE_SPEED, SYSTEM_DISK_NAME,
};
use axum::extract::State as AxState;
use serde_json::{json, Value};
use std::time::SystemTime;

/// How long a deleted VM stays in the trash (LIVE: 48 h).
const TRASH_KEEP_SECS: i64 = 172_800;

/// Resolves `virtual_machine` to a VM index; a trashed VM is 406 `object_in_trash`.
pub fn find_vm(st: &State, args: &Args) -> ApiResult<usize> {
    let l = args.lookup("virtual_machine", &["id", "fqdn"])?;
    let i = st
        .vms
        .iter()
        .position(|v| match l.key.as_str() {
            "id" => v.id == l.value,
            _ => st.fqdn(v) == l.value,
        })
        .ok_or_else(|| ApiError::not_found("virtual_machine_not_found"))?;
    usable(st, &st.vms[i].id)?;
    Ok(i)
}

/// Refuses what belongs to VM `vm_id` while the VM is in the trash: 406 `object_in_trash`.
pub fn usable(st: &State, vm_id: &str) -> ApiResult<()> {
    let trash = st
        .vms
        .iter()
        .find(|v| v.id == vm_id)
        .and_then(|vm| vm.trash_id.as_ref())
        .and_then(|id| st.trash.iter().find(|t| &t.id == id));
    match trash {
        Some(t) => Err(ApiError::object_in_trash(st.trash_json(t))),
        None => Ok(()),
    }
}

fn valid_hostname(h: &str) -> bool {
    (1..=63).contains(&h.len())
        && h.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !h.starts_with('-')
        && !h.ends_with('-')
}

/// Taken by a VM out of the trash or by a build still running (a failed build without a VM
/// frees its hostname).
fn hostname_taken(st: &State, org_id: &str, hostname: &str) -> bool {
    st.vms
        .iter()
        .any(|v| v.org_id == org_id && v.hostname == hostname && v.trash_id.is_none())
        || st.builds.iter().any(|b| {
            b.vm_id.is_none() && b.state != "failed" && b.org_id == org_id && b.hostname == hostname
        })
}

/// The template's smallest system disk (its `size_in_gb`), if `disks` are below it: LIVE refuses
/// such a build with a 422 naming the template (the sentence katapult-whmcs quotes for Ubuntu 20.04).
fn below_template_minimum(template: &Value, disks: &[DiskSpec]) -> Option<String> {
    let min = template["size_in_gb"].as_u64()?;
    let system = disks.iter().find(|d| d.system)?;
    (system.size_in_gb < min).then(|| {
        format!(
            "First system disk must be greater than {min}GB (required for {})",
            template["name"].as_str().unwrap_or_default()
        )
    })
}

/// A power action is refused while the VM has a task unfinished (its build included): the
/// API cannot queue a second one.
fn refuse_while_busy(st: &State, vm_id: &str) -> ApiResult<()> {
    let building = st
        .builds
        .iter()
        .any(|b| b.vm_id.as_deref() == Some(vm_id) && b.state == "building");
    let task = st
        .tasks
        .iter()
        .find(|t| t.finished_at.is_none() && t.kind.vm_id() == Some(vm_id));
    match (building, task) {
        (true, _) => Err(ApiError::task_queueing_error(
            "The virtual machine is still being built".into(),
        )),
        (false, Some(t)) => Err(ApiError::task_queueing_error(format!(
            "Another task is already running for this virtual machine ({})",
            t.name
        ))),
        (false, None) => Ok(()),
    }
}

/// `disks[]` of a build (`VirtualMachineBuildDiskArguments`), or, without it, one
/// system disk of the package's `storage_in_gb`.
fn build_disks(args: &Args, package: &Value) -> ApiResult<Vec<DiskSpec>> {
    let Some(disks) = args.map.get("disks").filter(|v| !v.is_null()) else {
        return Ok(vec![DiskSpec {
            name: SYSTEM_DISK_NAME.into(),
            size_in_gb: package["storage_in_gb"].as_u64().unwrap_or(10),
            system: true,
            storage_speed: DEFAULT_STORAGE_SPEED,
        }]);
    };
    let Value::Array(disks) = disks else {
        return Err(ApiError::invalid_argument(
            "disks",
            "array_expected",
            "An array was expected but something else was provided",
        ));
    };
    let system = |d: &Value| matches!(d.get("system"), Some(v) if *v == true || *v == "true");
    if disks.iter().filter(|d| system(d)).count() != 1 {
        return Err(ApiError::new(
            422,
            "one_system_disk_required",
            "Exactly one disk must be marked as the system disk",
        ));
    }
    let mut specs = Vec::new();
    for (i, d) in disks.iter().enumerate() {
        let size = d
            .get("size_in_gb")
            .filter(|v| !v.is_null())
            .ok_or_else(|| {
                ApiError::missing_required_argument("size_in_gb").with_detail(json!({
                    "path": ["disks", "size_in_gb"],
                    "argument": {"name": "size_in_gb", "description": null},
                }))
            })?;
        let size = integer("size_in_gb", size)?;
        if size < 1 {
            return Err(ApiError::validation(vec![
                "Size in GB must be greater than 0".into(),
            ]));
        }
        let storage_speed = match d.get("storage_speed").filter(|v| !v.is_null()) {
            Some(v) => enum_value("storage_speed", v, &["nvme", "ssd"])?,
            None => DEFAULT_STORAGE_SPEED,
        };
        let name = match d.get("name").and_then(Value::as_str) {
            Some(n) if !n.trim().is_empty() => n.to_string(),
            _ if system(d) => SYSTEM_DISK_NAME.into(),
            _ => format!("Disk {}", i + 1),
        };
        specs.push(DiskSpec {
            name,
            size_in_gb: size as u64,
            system: system(d),
            storage_speed,
        });
    }
    Ok(specs)
}

pub async fn build(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let org_i = find_org(&st, &args)?;
    let org_id = st.orgs[org_i].id.clone();

    let zone = match args.optional_lookup("zone", &["id", "permalink"])? {
        Some(l) => Some(
            st.cat
                .zone(&l.key, &l.value)
                .ok_or_else(|| ApiError::not_found("zone_not_found"))?
                .clone(),
        ),
        None => None,
    };
    let zone = match (
        zone,
        args.optional_lookup("data_center", &["id", "permalink"])?,
    ) {
        (Some(z), _) => z,
        (None, Some(l)) => {
            let dc = st
                .cat
                .data_center(&l.key, &l.value)
                .ok_or_else(|| ApiError::not_found("data_center_not_found"))?;
            st.cat
                .zones
                .iter()
                .find(|z| z["data_center"] == dc["id"])
                .cloned()
                .ok_or_else(|| ApiError::not_found("zone_not_found"))?
        }
        (None, None) => {
            return Err(ApiError::new(
                422,
                "location_required",
                "A zone or a data_center argument must be provided",
            ))
        }
    };
    let dc_id = zone["data_center"].as_str().unwrap_or_default().to_string();

    let pl = args.required_lookup("package", &["id", "permalink"])?;
    let package = st
        .cat
        .package(&pl.key, &pl.value)
        .ok_or_else(|| ApiError::not_found("package_not_found"))?;
    let package_id = package["id"].as_str().unwrap_or_default().to_string();
    let disks = build_disks(&args, package)?;

    let template_id = match args.optional_lookup("disk_template", &["id", "permalink"])? {
        Some(l) => {
            let template = st
                .cat
                .disk_template(&l.key, &l.value)
                .ok_or_else(|| ApiError::not_found("disk_template_not_found"))?;
            if let Some(refusal) = below_template_minimum(template, &disks) {
                return Err(ApiError::validation(vec![refusal]));
            }
            Some(template["id"].as_str().unwrap_or_default().to_string())
        }
        None => None,
    };

    let network = match args.optional_lookup("network", &["id", "permalink"])? {
        Some(l) => st.cat.network(&l.key, &l.value),
        None => st.cat.default_network(&dc_id),
    }
    .ok_or_else(|| ApiError::not_found("network_not_found"))?;
    let network_id = network["id"].as_str().unwrap_or_default().to_string();

    let notes = args.annotations()?;
    let hostname = match args.string("hostname").filter(|h| !h.trim().is_empty()) {
        Some(h) => {
            let h = h.trim().to_lowercase();
            if !valid_hostname(&h) {
                return Err(ApiError::validation(vec!["Hostname is invalid".into()]));
            }
            if hostname_taken(&st, &org_id, &h) {
                return Err(ApiError::validation(vec![
                    "Hostname has already been taken".into(),
                ]));
            }
            h
        }
        None => loop {
            let h = random_hostname(&mut st.rng);
            if !hostname_taken(&st, &org_id, &h) {
                break h;
            }
        },
    };

    let failure = sim.take_failing_build();
    let build_id = st.new_id("vmbuild");
    let task_id = st.new_task(
        "Build virtual machine",
        TaskKind::Build {
            build_id: build_id.clone(),
        },
    );
    st.builds.push(Build {
        id: build_id.clone(),
        org_id,
        hostname: hostname.clone(),
        package_id,
        zone_id: zone["id"].as_str().unwrap_or_default().to_string(),
        template_id,
        network_id,
        annotations: notes.clone(),
        created: SystemTime::now(),
        created_at: unix_now(),
        polls: 0,
        state: "pending",
        vm_id: None,
        failure,
        disks,
    });
    // Counted before the state lock is released, so a saved state file always agrees.
    let mut stats = sim.stats_mut();
    stats.builds_created += 1;
    stats.builds_failed += u64::from(failure.is_some());
    if let Some((_, v)) = notes.iter().find(|(k, _)| k == "whmcs_service_id") {
        *stats
            .builds_by_whmcs_service_id
            .entry(v.clone())
            .or_default() += 1;
    }
    drop(stats);
    drop(st);
    let b = json!({"id": build_id, "state": "pending"});
    created(json!({
        "task": {"id": task_id, "name": "Build virtual machine", "status": "pending"},
        "build": b,
        "virtual_machine_build": b,
        "hostname": hostname,
        "annotations": annotations(&notes),
    }))
}

pub async fn get_build(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let l = args.lookup("virtual_machine_build", &["id"])?;
    let i = st
        .builds
        .iter()
        .position(|b| b.id == l.value)
        .ok_or_else(|| ApiError::not_found("build_not_found"))?;
    st.builds[i].polls += 1;
    st.advance();
    let b = &st.builds[i];
    ok(
        json!({ "virtual_machine_build": st.build_json(b), "annotations": annotations(&b.annotations) }),
    )
}

pub async fn list(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let st = sim.state();
    let org_id = st.orgs[find_org(&st, &args)?].id.clone();
    let filters = args.annotations()?;
    let page = args.page()?;
    let vms: Vec<Value> = st
        .vms
        .iter()
        .filter(|v| v.org_id == org_id && v.trash_id.is_none())
        .filter(|v| annotations_match(&v.annotations, &filters))
        .map(|v| st.vm_summary_json(v))
        .collect();
    let (pagination, items) = page.apply(&vms);
    ok(json!({ "pagination": pagination, "virtual_machines": items }))
}

pub async fn get(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find_vm(&st, &args)?;
    let id = st.vms[i].id.clone();
    st.note_vm_get(&id);
    let vm = &st.vms[i];
    ok(json!({ "virtual_machine": st.vm_json(vm), "annotations": annotations(&vm.annotations) }))
}

/// `PATCH /virtual_machines/_`: `properties.name` and `properties.hostname` (checked as a build's);
/// the addresses still carrying the old default PTR name get the new FQDN. The spec lists no 422
/// for this operation: a bad value is Apia's 400 `invalid_argument`.
pub async fn update(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find_vm(&st, &args)?;
    let properties = args
        .value("properties")
        .filter(|p| p.is_object())
        .cloned()
        .ok_or_else(|| ApiError::missing_required_argument("properties"))?;
    let name = properties["name"]
        .as_str()
        .map(str::trim)
        .map(str::to_string);
    if name.as_deref() == Some("") {
        return Err(bad_property("name", "Name can't be blank"));
    }
    let hostname = properties["hostname"]
        .as_str()
        .map(|h| h.trim().to_lowercase());
    if let Some(h) = &hostname {
        if !valid_hostname(h) {
            return Err(bad_property("hostname", "Hostname is invalid"));
        }
        let org_id = st.vms[i].org_id.clone();
        if *h != st.vms[i].hostname && hostname_taken(&st, &org_id, h) {
            return Err(bad_property("hostname", "Hostname has already been taken"));
        }
    }
    let old_fqdn = st.fqdn(&st.vms[i]);
    if let Some(name) = name {
        st.vms[i].name = name;
    }
    if let Some(hostname) = hostname {
        st.vms[i].hostname = hostname;
    }
    let new_fqdn = st.fqdn(&st.vms[i]);
    let vm_id = st.vms[i].id.clone();
    for ip in st
        .ips
        .iter_mut()
        .filter(|ip| ip.vm_id.as_deref() == Some(&vm_id))
    {
        if ip.reverse_dns == old_fqdn {
            ip.reverse_dns = new_fqdn.clone();
        }
    }
    let vm = &st.vms[i];
    ok(json!({ "virtual_machine": st.vm_json(vm), "annotations": annotations(&vm.annotations) }))
}

fn bad_property(name: &str, problem: &str) -> ApiError {
    ApiError::invalid_argument(&format!("properties[{name}]"), "invalid", problem)
}

pub async fn delete(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find_vm(&st, &args)?;
    let trash = TrashObject {
        id: st.new_id("trsh"),
        object_id: st.vms[i].id.clone(),
        // On the simulator's clock, so a test can move past it (`/_sim/clock`).
        keep_until: sim.unix_now() + TRASH_KEEP_SECS,
    };
    st.vms[i].trash_id = Some(trash.id.clone());
    let vm_id = st.vms[i].id.clone();
    // LIVE: a trashed VM's addresses fall back to their default PTR names.
    for ip in st
        .ips
        .iter_mut()
        .filter(|ip| ip.vm_id.as_deref() == Some(&vm_id))
    {
        ip.reverse_dns = default_rdns(&ip.address);
    }
    let body =
        json!({ "trash_object": st.trash_json(&trash), "virtual_machine": st.vm_json(&st.vms[i]) });
    st.trash.push(trash);
    ok(body)
}

async fn power(sim: Sim, args: Args, action: Power) -> ApiResult {
    let mut st = sim.state();
    let i = find_vm(&st, &args)?;
    let vm_id = st.vms[i].id.clone();
    refuse_while_busy(&st, &vm_id)?;
    let id = st.new_task(action.task_name(), TaskKind::Power { vm_id, action });
    ok(json!({ "task": {"id": id, "name": action.task_name(), "status": "pending"} }))
}

pub async fn start(sim: Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    power(sim, args, Power::Start).await
}

pub async fn stop(sim: Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    power(sim, args, Power::Stop).await
}

pub async fn shutdown(sim: Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    power(sim, args, Power::Shutdown).await
}

pub async fn reset(sim: Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    power(sim, args, Power::Reset).await
}

pub async fn change_package(AxState(sim): Sim, ApiArgs(args): ApiArgs) -> ApiResult {
    let mut st = sim.state();
    let i = find_vm(&st, &args)?;
    let l = args.required_lookup("virtual_machine_package", &["id", "permalink"])?;
    let pkg = st
        .cat
        .package(&l.key, &l.value)
        .ok_or_else(|| ApiError::not_found("package_not_found"))?;
    let to = (
        pkg["cpu_cores"].as_u64().unwrap_or_default(),
        pkg["memory_in_gb"].as_u64().unwrap_or_default(),
    );
    let package_id = pkg["id"].as_str().unwrap_or_default().to_string();
    let vm = &st.vms[i];
    // Katapult needs a stopped VM to downgrade. Apia endpoints can only raise the
    // errors they declare, and this one declares no 422, so the refusal is the
    // declared 406 `task_queueing_error` (the resize task cannot be queued).
    if is_downgrade((vm.cpu_cores, vm.memory_in_gb), to) && vm.state != "stopped" {
        return Err(ApiError::task_queueing_error(format!(
            "The virtual machine must be stopped before its package can be downgraded (fewer CPU cores or less memory); it is {}",
            vm.state
        )));
    }
    let vm_id = vm.id.clone();
    let id = st.new_task(
        "Change package",
        TaskKind::ChangePackage { vm_id, package_id },
    );
    let task = st
        .tasks
        .iter()
        .find(|t| t.id == id)
        .map(|t| st.task_json(t));
    ok(json!({ "task": task }))
}
