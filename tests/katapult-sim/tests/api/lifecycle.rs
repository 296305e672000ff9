//! The whole provisioning cycle a WHMCS module drives, step by step (OnPoll: deterministic).

use crate::common::{Api, PARENT_ORG};
use katapult_sim::{BuildSpeed, SimConfig};
use serde_json::json;
use std::net::Ipv4Addr;

#[test]
fn build_power_console_resize_delete_purge() {
    // With the IPv6 flag: a VM gets an IPv6 address only when asked for.
    let api = Api::with_config(SimConfig {
        build_speed: BuildSpeed::OnPoll(3),
        ipv6: true,
        ..SimConfig::default()
    });
    let (org_id, sub) = api.managed_org("acme1234");

    // Sub domains are unique.
    let dup = api.post(
        "/organizations/_/managed",
        json!({"organization": {"id": PARENT_ORG}, "name": "Again", "sub_domain": "acme1234"}),
    );
    assert_eq!(dup.status, 422);
    assert_eq!(dup.code(), "validation_error");
    assert_eq!(
        dup.json["error"]["detail"]["errors"],
        json!(["Sub domain has already been taken"])
    );

    let build = api.post(
        "/organizations/organization/virtual_machines/build",
        json!({
            "organization": {"sub_domain": sub},
            "data_center": {"permalink": "uk-lon-01"},
            "package": {"permalink": "rock-3"},
            "disk_template": {"permalink": "templates/ubuntu-22-04"},
            "hostname": "Web-1",
            "annotations": [{"key": "whmcs_service_id", "value": "42"}],
        }),
    );
    assert_eq!(build.status, 201, "{:?}", build.json);
    assert_eq!(build.json["hostname"], "web-1");
    assert_eq!(build.json["task"]["status"], "pending");
    assert_eq!(build.json["build"], build.json["virtual_machine_build"]);
    assert_eq!(
        build.json["annotations"],
        json!([{"key": "whmcs_service_id", "value": "42"}])
    );
    let build_id = build.json["virtual_machine_build"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Hostnames are unique per organization (even while the first build runs).
    let again = api.post(
        "/organizations/_/virtual_machines/build",
        json!({"organization": {"id": org_id}, "zone": {"permalink": "lon-zone-1"},
               "package": {"permalink": "rock-3"}, "hostname": "web-1"}),
    );
    assert_eq!(again.status, 422, "{:?}", again.json);

    // pending on poll 1, building on poll 2, complete on poll 3.
    let path = format!("/virtual_machines/builds/_?virtual_machine_build[id]={build_id}");
    let states: Vec<_> = (0..3)
        .map(|_| api.get(&path).json["virtual_machine_build"].clone())
        .collect();
    assert_eq!(states[0]["state"], "pending");
    assert!(states[0]["virtual_machine"].is_null());
    assert_eq!(states[1]["state"], "building");
    assert_eq!(states[2]["state"], "complete");
    let vm_ref = &states[2]["virtual_machine"];
    assert_eq!(vm_ref["state"], "starting");
    let vm_id = vm_ref["id"].as_str().unwrap().to_string();
    let fqdn = format!("web-1.{sub}.katapult.cloud");
    assert_eq!(vm_ref["fqdn"], fqdn);

    // The next VM GET sees it started, with password and addresses.
    let vm = api.get(&format!("/virtual_machines/{vm_id}"));
    assert_eq!(vm.status, 200);
    let v = &vm.json["virtual_machine"];
    assert_eq!(v["state"], "started");
    assert!(v["initial_root_password"].as_str().unwrap().len() >= 16);
    assert_eq!(v["package"]["permalink"], "rock-3");
    assert_eq!(v["zone"]["data_center"]["permalink"], "uk-lon-01");
    assert_eq!(v["organization"]["id"], org_id.as_str());
    let ips = v["ip_addresses"].as_array().unwrap();
    assert_eq!(ips.len(), 2);
    let v4: Ipv4Addr = ips[0]["address"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        u32::from(v4) >> 10,
        u32::from(Ipv4Addr::new(185, 44, 252, 0)) >> 10
    );
    assert!(ips[1]["address"].as_str().unwrap().contains(':'));
    assert_eq!(ips[0]["reverse_dns"], fqdn);
    assert_eq!(
        vm.json["annotations"],
        json!([{"key": "whmcs_service_id", "value": "42"}])
    );

    // By fqdn in the query and by the parameter name in the path.
    let by_fqdn = api.get(&format!(
        "/virtual_machines/virtual_machine?virtual_machine[fqdn]={fqdn}"
    ));
    assert_eq!(by_fqdn.json["virtual_machine"]["id"], vm_id.as_str());

    // Annotation filter on the org's VM list.
    let list = api.get(&format!(
        "/organizations/_/virtual_machines?organization[id]={org_id}&annotations[][key]=whmcs_service_id&annotations[][value]=42"
    ));
    assert_eq!(list.json["virtual_machines"].as_array().unwrap().len(), 1);
    let none = api.get(&format!(
        "/organizations/_/virtual_machines?organization[id]={org_id}&annotations[][key]=whmcs_service_id&annotations[][value]=43"
    ));
    assert_eq!(none.json["pagination"]["total"], 0);

    // Console on a started VM, and the page it points at.
    let console = api.post(
        &format!("/virtual_machines/{vm_id}/console_sessions"),
        json!({}),
    );
    assert_eq!(console.status, 201, "{:?}", console.json);
    let url = console.json["console_session"]["url"].as_str().unwrap();
    assert!(url.starts_with(&api.sim.root_url()));
    let page = api.client.get(url).send().unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().unwrap().contains(&fqdn));

    // Stop (lookup in the body, `_` in the path): pending → running → completed.
    let stop = api.post(
        "/virtual_machines/_/stop",
        json!({"virtual_machine": {"id": vm_id}}),
    );
    assert_eq!(stop.status, 200);
    assert_eq!(stop.json["task"]["name"], "Stop virtual machine");
    let task_id = stop.json["task"]["id"].as_str().unwrap().to_string();
    let t1 = api.get(&format!("/tasks/_?task[id]={task_id}"));
    assert_eq!(t1.json["task"]["status"], "pending");
    let t2 = api.get(&format!("/tasks/{task_id}"));
    assert_eq!(t2.json["task"]["status"], "running");
    assert_eq!(
        api.get(&format!("/virtual_machines/{vm_id}")).json["virtual_machine"]["state"],
        "stopped"
    );

    let refused = api.post(
        &format!("/virtual_machines/{vm_id}/console_sessions"),
        json!({}),
    );
    assert_eq!(refused.status, 406);
    assert_eq!(refused.code(), "virtual_machine_must_be_started");
    assert_eq!(refused.json["error"]["detail"]["current_state"], "stopped");

    // Downgrade while stopped is fine.
    let change = api.call(
        "PUT",
        "/virtual_machines/_/package",
        Some(json!({"virtual_machine": {"id": vm_id}, "virtual_machine_package": {"permalink": "rock-1"}})),
    );
    assert_eq!(change.status, 200, "{:?}", change.json);
    assert_eq!(change.json["task"]["name"], "Change package");
    api.wait_task(change.json["task"]["id"].as_str().unwrap());
    let v = api.get(&format!("/virtual_machines/{vm_id}")).json["virtual_machine"].clone();
    assert_eq!(
        (
            v["package"]["permalink"].as_str(),
            v["cpu_cores"].as_u64(),
            v["memory_in_gb"].as_u64()
        ),
        (Some("rock-1"), Some(1), Some(1))
    );

    // Start, upgrade online, then a downgrade while started is refused.
    let start = api.post(
        &format!("/virtual_machines/_/start?virtual_machine[id]={vm_id}"),
        json!({}),
    );
    api.wait_task(start.json["task"]["id"].as_str().unwrap());
    assert_eq!(
        api.get(&format!("/virtual_machines/{vm_id}")).json["virtual_machine"]["state"],
        "started"
    );
    let up = api.call(
        "PUT",
        &format!("/virtual_machines/{vm_id}/package"),
        Some(json!({"virtual_machine_package": {"permalink": "rock-6"}})),
    );
    assert_eq!(up.status, 200);
    api.wait_task(up.json["task"]["id"].as_str().unwrap());
    let down = api.call(
        "PUT",
        &format!("/virtual_machines/{vm_id}/package"),
        Some(json!({"virtual_machine_package": {"permalink": "rock-3"}})),
    );
    assert_eq!((down.status, down.code()), (406, "task_queueing_error"));
    assert!(down.json["error"]["detail"]["details"]
        .as_str()
        .unwrap()
        .contains("stopped"));

    for action in ["reset", "shutdown"] {
        let r = api.post(&format!("/virtual_machines/{vm_id}/{action}"), json!({}));
        assert_eq!(r.status, 200, "{action}");
        api.wait_task(r.json["task"]["id"].as_str().unwrap());
    }
    assert_eq!(
        api.get(&format!("/virtual_machines/{vm_id}")).json["virtual_machine"]["state"],
        "stopped"
    );

    // IPs: list, rDNS update, lookup by address.
    let ips = api.get(&format!(
        "/organizations/_/ip_addresses?organization[id]={org_id}&allocated=true"
    ));
    assert_eq!(ips.json["pagination"]["total"], 2);
    let address = ips.json["ip_addresses"][0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let patched = api.call(
        "PATCH",
        "/ip_addresses/_",
        Some(json!({"ip_address": {"address": address}, "reverse_dns": "mail.example.com"})),
    );
    assert_eq!(patched.status, 200, "{:?}", patched.json);
    assert_eq!(
        patched.json["ip_address"]["reverse_dns"],
        "mail.example.com"
    );
    let ip = api.get(&format!("/ip_addresses/_?ip_address[address]={address}"));
    assert_eq!(ip.json["allocation"]["value"]["id"], vm_id.as_str());

    // Delete → trash → 406 → purge → 404.
    let del = api.call(
        "DELETE",
        "/virtual_machines/_",
        Some(json!({"virtual_machine": {"id": vm_id}})),
    );
    assert_eq!(del.status, 200);
    let trash = del.json["trash_object"].clone();
    assert_eq!(trash["object_id"], vm_id.as_str());
    assert_eq!(trash["object_type"], "VirtualMachine");
    let keep = trash["keep_until"].as_i64().unwrap() - katapult_now();
    assert!((172_790..=172_800).contains(&keep), "{keep}");
    let gone = api.get(&format!("/virtual_machines/{vm_id}"));
    assert_eq!(gone.status, 406);
    assert_eq!(gone.code(), "object_in_trash");
    assert_eq!(
        gone.json["error"]["detail"]["trash_object"]["id"],
        trash["id"]
    );
    let t = api.get(&format!("/trash_objects/_?trash_object[object_id]={vm_id}"));
    assert_eq!(t.json["trash_object"]["id"], trash["id"]);
    let purge = api.call(
        "DELETE",
        "/trash_objects/_",
        Some(json!({"trash_object": {"object_id": vm_id}})),
    );
    assert_eq!(purge.json["task"]["name"], "Purge items from trash");
    api.wait_task(purge.json["task"]["id"].as_str().unwrap());
    let t = api.get(&format!("/trash_objects/{}", trash["id"].as_str().unwrap()));
    assert_eq!((t.status, t.code()), (404, "trash_object_not_found"));
    let v = api.get(&format!("/virtual_machines/{vm_id}"));
    assert_eq!((v.status, v.code()), (404, "virtual_machine_not_found"));
    assert_eq!(
        v.json["error"]["description"],
        "No virtual machine was found matching any of the criteria provided in the arguments"
    );

    // The empty managed org can now be deleted.
    let d = api.call(
        "DELETE",
        "/managed_organizations/_",
        Some(json!({"organization": {"id": org_id}})),
    );
    assert_eq!(d.json, json!({"success": true}));

    let stats = api.sim.stats();
    assert_eq!(stats.builds_by_whmcs_service_id.get("42"), Some(&1));
    assert_eq!(stats.builds_created, 1);
    assert!(stats.requests["GET /virtual_machines/:virtual_machine"] >= 5);
}

fn katapult_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn fast_builds_complete_without_polling_rules() {
    let api = Api::start(BuildSpeed::Fast);
    let (org_id, _) = api.managed_org("fastorg1");
    let vm_id = api.built_vm(&org_id, "fast-1");
    let vm = api.get(&format!("/virtual_machines/{vm_id}"));
    assert_eq!(vm.json["virtual_machine"]["state"], "started");
    // A managed org with a VM cannot be deleted.
    let d = api.call(
        "DELETE",
        &format!("/managed_organizations/{org_id}"),
        Some(json!({})),
    );
    assert_eq!((d.status, d.code()), (409, "deletion_steps_not_satisfied"));
    // The parent is not managed.
    let p = api.call(
        "DELETE",
        &format!("/managed_organizations/{PARENT_ORG}"),
        None,
    );
    assert_eq!((p.status, p.code()), (409, "managed_organization_required"));
}
