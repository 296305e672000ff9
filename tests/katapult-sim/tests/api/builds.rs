//! A build's lifecycle as LIVE's (VirtualMachine_basic), and builds that fail, by the
//! `fail_builds` (before the VM appears) and `fail_builds_after_vm` controls only.

use crate::common::{poll, Api};
use katapult_sim::BuildSpeed;
use serde_json::json;

#[test]
fn failed_builds_by_count_only() {
    let api = Api::start(BuildSpeed::OnPoll(2));
    let (org_id, _) = api.managed_org("failing1");
    let (status, _) = api.control("PUT", "/_sim/faults", Some(json!({"fail_builds": -1})));
    assert_eq!(status, 400);
    let (status, faults) = api.control("PUT", "/_sim/faults", Some(json!({"fail_builds": 1})));
    assert_eq!((status, &faults["fail_builds"]), (200, &json!(1)));

    // pending on poll 1, then failed where it would have completed: no VM, a failed task.
    let (build_id, task_id) = api.start_build(&org_id, "web-a", json!({}));
    assert_eq!(api.sim.fail_builds(), 0);
    let (_, faults) = api.control("GET", "/_sim/faults", None);
    assert_eq!(faults["fail_builds"], 0);
    let path = format!("/virtual_machines/builds/{build_id}");
    let first = api.get(&path).json["virtual_machine_build"].clone();
    assert_eq!(first["state"], "pending");
    for _ in 0..3 {
        let b = api.get(&path);
        assert_eq!(b.status, 200);
        let b = &b.json["virtual_machine_build"];
        assert_eq!(b["state"], "failed", "{b}");
        assert!(b["virtual_machine"].is_null(), "{b}");
        assert_eq!(b["id"], build_id.as_str());
    }
    let task = api.get(&format!("/tasks/{task_id}")).json["task"].clone();
    assert_eq!(task["status"], "failed", "{task}");
    assert!(task["finished_at"].is_i64(), "{task}");

    // The counter is spent: the next build completes.
    let vm_b = api.built_vm(&org_id, "web-b");

    // A hostname never decides: `fail-web` builds like any other.
    let vm_c = api.built_vm(&org_id, "fail-web");
    // A failed build leaves its hostname free.
    let vm_a = api.built_vm(&org_id, "web-a");
    let list = api.get(&format!(
        "/organizations/_/virtual_machines?organization[id]={org_id}"
    ));
    let mut hostnames: Vec<_> = list.json["virtual_machines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["id"].as_str().unwrap().to_string(), v["hostname"].clone()))
        .collect();
    hostnames.sort_by(|a, b| a.1.as_str().cmp(&b.1.as_str()));
    assert_eq!(
        hostnames,
        [
            (vm_c, json!("fail-web")),
            (vm_a, json!("web-a")),
            (vm_b, json!("web-b"))
        ]
    );

    let stats = api.sim.stats();
    assert_eq!((stats.builds_created, stats.builds_failed), (4, 1));
    let (_, over_http) = api.control("GET", "/_sim/stats", None);
    assert_eq!(over_http["builds_failed"], 1);
}

#[test]
fn the_counter_applies_to_the_next_builds_in_real_time_modes() {
    let api = Api::start(BuildSpeed::Fast);
    api.sim.set_fail_builds(2);
    let (org_id, _) = api.managed_org("failing2");
    let builds: Vec<_> = ["one", "two", "three"]
        .iter()
        .map(|h| api.start_build(&org_id, h, json!({})).0)
        .collect();
    let states: Vec<_> = builds
        .iter()
        .map(|id| {
            poll(|| {
                let b = api.get(&format!("/virtual_machines/builds/{id}"));
                let state = b.json["virtual_machine_build"]["state"].clone();
                (state == "failed" || state == "complete").then_some(state)
            })
        })
        .collect();
    assert_eq!(
        states,
        [json!("failed"), json!("failed"), json!("complete")]
    );
    assert_eq!(api.sim.stats().builds_failed, 2);
}

#[test]
fn the_vm_appears_stopped_while_building_and_starts_after_complete() {
    let api = Api::start(BuildSpeed::OnPoll(4));
    let (org_id, _) = api.managed_org("lifecycle1");
    let (build_id, _) = api.start_build(
        &org_id,
        "web-life",
        json!({"annotations": [{"key": "whmcs_service_id", "value": "7"}]}),
    );
    let path = format!("/virtual_machines/builds/{build_id}");
    let mut seen = Vec::new();
    let vm_id = loop {
        let b = api.get(&path).json["virtual_machine_build"].clone();
        let vm_state = b["virtual_machine"]["state"].clone();
        seen.push((b["state"].clone(), vm_state));
        if b["state"] == "complete" {
            break b["virtual_machine"]["id"].as_str().unwrap().to_string();
        }
    };
    assert_eq!(
        seen,
        [
            (json!("pending"), json!(null)),
            (json!("building"), json!("stopped")),
            (json!("building"), json!("stopped")),
            (json!("complete"), json!("starting")),
        ]
    );
    // Power actions are refused while the VM is still being built, and a console session
    // until the VM is `started`; the next GET of the VM finds it started (OnPoll).
    let list = api.get(&format!(
        "/organizations/_/virtual_machines?organization[id]={org_id}"
    ));
    let item = &list.json["virtual_machines"][0];
    assert_eq!(item["id"], vm_id.as_str());
    assert!(item.get("state").is_none(), "{item}");
    assert_eq!(item["package"], json!({"name": "ROCK-3"}), "{item}");
    let ips = item["ip_addresses"].as_array().unwrap();
    assert_eq!(ips.len(), 1, "IPv4 only without the ipv6 flag: {item}");
    assert_eq!(ips[0].as_object().unwrap().len(), 1, "{item}");
    let console = api.post(
        &format!("/virtual_machines/{vm_id}/console_sessions"),
        json!({}),
    );
    assert_eq!(
        (console.status, console.code()),
        (406, "virtual_machine_must_be_started")
    );
    let vm = api.get(&format!("/virtual_machines/{vm_id}"));
    assert_eq!(vm.json["virtual_machine"]["state"], "started");
}

#[test]
fn power_is_refused_while_the_build_runs() {
    let api = Api::start(BuildSpeed::OnPoll(6));
    let (org_id, _) = api.managed_org("lifecycle2");
    let (build_id, _) = api.start_build(&org_id, "web-busy", json!({}));
    let path = format!("/virtual_machines/builds/{build_id}");
    let vm_id = poll(|| {
        let b = api.get(&path).json["virtual_machine_build"].clone();
        b["virtual_machine"]["id"].as_str().map(str::to_string)
    });
    let start = api.post(&format!("/virtual_machines/{vm_id}/start"), json!({}));
    assert_eq!((start.status, start.code()), (406, "task_queueing_error"));
}

#[test]
fn a_build_failing_after_its_vm_appeared_leaves_the_vm() {
    let api = Api::start(BuildSpeed::OnPoll(2));
    api.sim.set_fail_builds_after_vm(1);
    let (org_id, _) = api.managed_org("failing3");
    let (build_id, task_id) = api.start_build(
        &org_id,
        "web-late",
        json!({"annotations": [{"key": "whmcs_service_id", "value": "9"}]}),
    );
    let path = format!("/virtual_machines/builds/{build_id}");
    assert_eq!(
        api.get(&path).json["virtual_machine_build"]["state"],
        "pending"
    );
    let b = api.get(&path).json["virtual_machine_build"].clone();
    assert_eq!(b["state"], "failed", "{b}");
    let vm_id = b["virtual_machine"]["id"].as_str().unwrap().to_string();
    let vm = api.get(&format!("/virtual_machines/{vm_id}"));
    assert_eq!(vm.json["virtual_machine"]["state"], "stopped");
    assert_eq!(
        vm.json["annotations"],
        json!([{"key": "whmcs_service_id", "value": "9"}])
    );
    let task = api.get(&format!("/tasks/{task_id}")).json["task"].clone();
    assert_eq!(task["status"], "failed", "{task}");
    let (_, faults) = api.control("GET", "/_sim/faults", None);
    assert_eq!(faults["fail_builds_after_vm"], 0);
}

#[test]
fn a_template_refuses_a_system_disk_below_its_minimum() {
    let api = Api::start(BuildSpeed::OnPoll(2));
    let (org_id, _) = api.managed_org("smalldisk");
    let refused = api.post(
        "/organizations/_/virtual_machines/build",
        json!({"organization": {"id": org_id}, "data_center": {"permalink": "uk-lon-01"},
               "package": {"permalink": "rock-1"}, "disk_template": {"permalink": "templates/ubuntu-20-04"}}),
    );
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.json["error"]["detail"]["errors"],
        json!(["First system disk must be greater than 50GB (required for Ubuntu 20.04)"])
    );
    let accepted = api.post(
        "/organizations/_/virtual_machines/build",
        json!({"organization": {"id": org_id}, "data_center": {"permalink": "uk-lon-01"},
               "package": {"permalink": "rock-6"}, "disk_template": {"permalink": "templates/ubuntu-20-04"}}),
    );
    assert_eq!(accepted.status, 201, "{}", accepted.json);
}
