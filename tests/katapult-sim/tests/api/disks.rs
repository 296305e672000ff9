//! A built VM's disks, and growing its system disk (OnPoll: deterministic).

use crate::common::Api;
use katapult_sim::BuildSpeed;
use serde_json::json;

#[test]
fn system_disk_from_the_package_or_the_build_and_growing_it() {
    let api = Api::start(BuildSpeed::OnPoll(2));
    let (org_id, sub) = api.managed_org("disks123");

    // No `disks` in the build: one system disk of the package's size (rock-3: 25 GB).
    let vm_id = api.built_vm(&org_id, "disk-1");
    let list = api.get(&format!(
        "/virtual_machines/_/disks?virtual_machine[id]={vm_id}"
    ));
    assert_eq!(list.status, 200, "{:?}", list.json);
    assert_eq!(list.json["pagination"]["total"], 1);
    let item = &list.json["disks"][0];
    assert_eq!(
        (&item["boot"], &item["attach_on_boot"], &item["state"]),
        (&json!(true), &json!(true), &json!("attached"))
    );
    assert_eq!(item["disk"]["size_in_gb"], 25);
    assert_eq!(item["disk"]["state"], "built");
    assert_eq!(item["disk"]["name"], "System Disk");
    let disk_id = item["disk"]["id"].as_str().unwrap().to_string();
    assert!(disk_id.starts_with("disk_"), "{disk_id}");

    let disk = api.get(&format!("/disks/_?disk[id]={disk_id}"));
    assert_eq!(disk.status, 200);
    assert_eq!(disk.json["annotations"], json!([]));
    let d = &disk.json["disk"];
    assert_eq!(d["size_in_gb"], 25);
    assert_eq!(d["data_center"]["permalink"], "uk-lon-01");
    let vm = api.get(&format!("/virtual_machines/{vm_id}")).json["virtual_machine"].clone();
    assert_eq!(
        d["virtual_machine_disk"],
        json!({"virtual_machine": {"id": vm_id, "fqdn": format!("disk-1.{sub}.katapult.cloud")},
               "attach_on_boot": true, "boot": true, "state": "attached"})
    );
    let installation = &d["installation"];
    assert_eq!(
        installation["disk_template_version"]["disk_template"]["permalink"],
        "templates/ubuntu-22-04"
    );
    assert_eq!(installation["attributes"][0]["key"], "root_password");
    assert_eq!(
        installation["attributes"][0]["value"],
        vm["initial_root_password"]
    );

    // Sizes from the build's `disks`; only the system disk boots and carries the template.
    let sized = api.built_vm_with(
        &org_id,
        "disk-2",
        json!({"disks": [
            {"name": "Root", "system": true, "size_in_gb": 60, "storage_speed": "ssd"},
            {"size_in_gb": 100},
        ]}),
    );
    let list = api.get(&format!("/virtual_machines/{sized}/disks"));
    let disks: Vec<_> = list.json["disks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["disk"]["name"].clone(),
                d["disk"]["size_in_gb"].clone(),
                d["boot"].clone(),
            )
        })
        .collect();
    assert_eq!(
        disks,
        [
            (json!("Root"), json!(60), json!(true)),
            (json!("Disk 2"), json!(100), json!(false)),
        ]
    );
    let data_id = list.json["disks"][1]["disk"]["id"].as_str().unwrap();
    let data = api.get(&format!("/disks/{data_id}")).json["disk"].clone();
    assert!(data["installation"].is_null(), "{data}");
    let root_id = list.json["disks"][0]["disk"]["id"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("/disks/{root_id}")).json["disk"]["storage_speed"],
        "ssd"
    );

    // Grow only: smaller is the spec's 422 validation_error.
    let resize = |body: serde_json::Value| api.call("PUT", "/disks/_/resize", Some(body));
    let r = resize(json!({"disk": {"id": disk_id}, "size_in_gb": 20}));
    assert_eq!(
        (r.status, r.code()),
        (422, "validation_error"),
        "{:?}",
        r.json
    );
    assert!(r.json["error"]["detail"]["errors"][0]
        .as_str()
        .unwrap()
        .contains("25 GB"));
    let r = resize(json!({"disk": {"id": disk_id}}));
    assert_eq!((r.status, r.code()), (400, "missing_required_argument"));
    let r = resize(json!({"disk": {"id": disk_id}, "size_in_gb": 40, "resize_method": "sideways"}));
    assert_eq!((r.status, r.code()), (400, "invalid_argument"));
    assert_eq!(r.json["error"]["detail"]["issue"], "invalid_enum_value");

    let r = resize(json!({"disk": {"id": disk_id}, "size_in_gb": 40, "resize_method": "online"}));
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["task"]["name"], "Resize disk");
    assert_eq!(r.json["task"]["status"], "pending");
    assert_eq!(
        (&r.json["disk"]["state"], &r.json["disk"]["size_in_gb"]),
        (&json!("resizing"), &json!(25))
    );
    // One resize at a time.
    let again = api.call(
        "PUT",
        &format!("/disks/{disk_id}/resize"),
        Some(json!({"size_in_gb": 50})),
    );
    assert_eq!((again.status, again.code()), (406, "task_queueing_error"));
    let task = api.wait_task(r.json["task"]["id"].as_str().unwrap());
    assert_eq!(task["progress"], 100);
    let d = api.get(&format!("/disks/{disk_id}")).json["disk"].clone();
    assert_eq!(
        (&d["state"], &d["size_in_gb"]),
        (&json!("built"), &json!(40))
    );
    let list = api.get(&format!("/virtual_machines/{vm_id}/disks"));
    assert_eq!(list.json["disks"][0]["disk"]["size_in_gb"], 40);

    // The package does not grow the disk.
    let up = api.call(
        "PUT",
        &format!("/virtual_machines/{vm_id}/package"),
        Some(json!({"virtual_machine_package": {"permalink": "rock-6"}})),
    );
    api.wait_task(up.json["task"]["id"].as_str().unwrap());
    assert_eq!(
        api.get(&format!("/disks/{disk_id}")).json["disk"]["size_in_gb"],
        40
    );

    let r = api.get("/disks/disk_nope");
    assert_eq!((r.status, r.code()), (404, "disk_not_found"));
    assert_eq!(
        r.json["error"]["description"],
        "No disk was found matching any of the criteria provided in the arguments"
    );

    // Trashed with the VM, gone with the purge.
    let del = api.call("DELETE", &format!("/virtual_machines/{vm_id}"), None);
    let trash_id = del.json["trash_object"]["id"].clone();
    for r in [
        api.get(&format!("/disks/{disk_id}")),
        api.get(&format!("/virtual_machines/{vm_id}/disks")),
        resize(json!({"disk": {"id": disk_id}, "size_in_gb": 80})),
    ] {
        assert_eq!((r.status, r.code()), (406, "object_in_trash"));
        assert_eq!(r.json["error"]["detail"]["trash_object"]["id"], trash_id);
    }
    let purge = api.call(
        "DELETE",
        &format!("/trash_objects/{}", trash_id.as_str().unwrap()),
        None,
    );
    api.wait_task(purge.json["task"]["id"].as_str().unwrap());
    let r = api.get(&format!("/disks/{disk_id}"));
    assert_eq!((r.status, r.code()), (404, "disk_not_found"));
}

#[test]
fn build_disk_argument_errors() {
    let api = Api::start(BuildSpeed::Fast);
    let (org_id, _) = api.managed_org("diskerr1");
    let build = |disks: serde_json::Value| {
        api.post(
            "/organizations/_/virtual_machines/build",
            json!({"organization": {"id": org_id}, "data_center": {"permalink": "uk-lon-01"},
                   "package": {"permalink": "rock-3"}, "disks": disks}),
        )
    };
    let r = build(json!([{"system": true}]));
    assert_eq!((r.status, r.code()), (400, "missing_required_argument"));
    let r = build(json!([{"system": true, "size_in_gb": "big"}]));
    assert_eq!((r.status, r.code()), (400, "invalid_argument"));
    let r = build(json!([{"system": true, "size_in_gb": 20, "storage_speed": "tape"}]));
    assert_eq!(r.json["error"]["detail"]["issue"], "invalid_enum_value");
    let r = build(json!([{"system": true, "size_in_gb": 0}]));
    assert_eq!((r.status, r.code()), (422, "validation_error"));
    let r = build(json!([{"system": true, "size_in_gb": 20}, {"system": true, "size_in_gb": 20}]));
    assert_eq!((r.status, r.code()), (422, "one_system_disk_required"));
    let r = build(json!({"system": true}));
    assert_eq!(r.json["error"]["detail"]["issue"], "array_expected");
    assert_eq!(
        build(json!([{"system": true, "size_in_gb": 20}])).status,
        201
    );
}
