//! Builds that fail: the next N by the `fail_builds` control, and any whose hostname starts `fail-`.

use crate::common::{poll, Api};
use katapult_sim::BuildSpeed;
use serde_json::json;

#[test]
fn failed_builds_by_count_and_by_hostname() {
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

    // A `fail-` hostname always fails, counter or not.
    let (fail_id, _) = api.start_build(&org_id, "fail-web", json!({}));
    let fail_path = format!("/virtual_machines/builds/_?virtual_machine_build[id]={fail_id}");
    let states: Vec<_> = (0..3)
        .map(|_| api.get(&fail_path).json["virtual_machine_build"]["state"].clone())
        .collect();
    assert_eq!(states, [json!("pending"), json!("failed"), json!("failed")]);

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
    assert_eq!(hostnames, [(vm_a, json!("web-a")), (vm_b, json!("web-b"))]);

    let stats = api.sim.stats();
    assert_eq!((stats.builds_created, stats.builds_failed), (4, 2));
    let (_, over_http) = api.control("GET", "/_sim/stats", None);
    assert_eq!(over_http["builds_failed"], 2);
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
