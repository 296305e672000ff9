//! Request handling: auth, lookups, pagination, argument errors, rate limiting.

use crate::common::{Api, PARENT_ORG, PARENT_SUB_DOMAIN};
use katapult_sim::{BuildSpeed, SimConfig};
use serde_json::json;

#[test]
fn auth_errors_and_headers() {
    let mut api = Api::start(BuildSpeed::Fast);
    api.token = None;
    let r = api.get("/organizations");
    assert_eq!((r.status, r.code()), (400, "missing_api_token"));
    assert_eq!(r.headers["x-api-schema"], "json-error");
    api.token = Some("nope".into());
    let r = api.get("/organizations");
    assert_eq!((r.status, r.code()), (403, "invalid_api_token"));
    assert_eq!(r.json["error"]["detail"], json!({"details": null}));
    api.token = Some("sim-token".into());
    let r = api.get("/organizations");
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["x-ratelimit-permitted"], "1000");
    assert_eq!(r.headers["x-request-id"].len(), 36);
    assert!(r.headers.get("x-api-schema").is_none());
    assert_eq!(r.json["organizations"][0]["sub_domain"], PARENT_SUB_DOMAIN);
    let next = api.get("/organizations");
    let remaining = |r: &crate::common::Resp| {
        r.headers["x-ratelimit-remaining"]
            .to_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
    };
    assert_eq!(remaining(&next), remaining(&r) - 1);
}

#[test]
fn lookups_by_placeholder_param_name_and_real_id() {
    let api = Api::start(BuildSpeed::Fast);
    for path in [
        format!("/organizations/_?organization[id]={PARENT_ORG}"),
        format!("/organizations/organization?organization[sub_domain]={PARENT_SUB_DOMAIN}"),
        format!("/organizations/{PARENT_ORG}"),
        "/data_centers/_?data_center%5Bpermalink%5D=uk-lon-01".to_string(),
        "/data_centers/loc_UUhPmoCbpic6UX0Y".to_string(),
        "/data_centers/data_center/default_network?data_center[permalink]=uk-lon-01".to_string(),
        "/virtual_machine_packages/_?virtual_machine_package[permalink]=rock-3".to_string(),
        "/disk_templates/_?disk_template[permalink]=templates%2Fubuntu-22-04".to_string(),
        "/zones/_?zone[permalink]=lon-zone-1".to_string(),
    ] {
        let r = api.get(&path);
        assert_eq!(r.status, 200, "{path}: {:?}", r.json);
    }
    let net = api.get("/data_centers/loc_UUhPmoCbpic6UX0Y/default_network");
    assert_eq!(net.json["network"]["id"], "netw_gVRkZdSKczfNg34P");
    let pkg = api.get("/virtual_machine_packages/vmpkg_Eh5LYVKScVHpj7sM");
    assert_eq!(pkg.json["virtual_machine_package"]["permalink"], "rock-3");

    // `_` with no argument looks up the id "_".
    let r = api.get("/organizations/_");
    assert_eq!((r.status, r.code()), (404, "organization_not_found"));
    // Body beats query.
    let r = api.call(
        "GET",
        "/organizations/_?organization[sub_domain]=nope",
        Some(json!({"organization": {"sub_domain": PARENT_SUB_DOMAIN}})),
    );
    assert_eq!(r.status, 200);
    // Two keys (query + body merged) are ambiguous; none is missing.
    let r = api.call(
        "GET",
        &format!("/organizations/_?organization[id]={PARENT_ORG}"),
        Some(json!({"organization": {"sub_domain": PARENT_SUB_DOMAIN}})),
    );
    assert_eq!((r.status, r.code()), (400, "invalid_argument"));
    assert_eq!(
        r.json["error"]["detail"]["issue"],
        "ambiguous_lookup_values"
    );
    assert_eq!(
        r.json["error"]["description"],
        "The 'organization' argument is invalid"
    );
    let r = api.call("GET", "/organizations/_", Some(json!({"organization": {}})));
    assert_eq!(r.json["error"]["detail"]["issue"], "missing_lookup_value");
    let r = api.get("/data_centers/_?data_center[permalink]=mars");
    assert_eq!((r.status, r.code()), (404, "data_center_not_found"));
}

#[test]
fn pagination() {
    let api = Api::start(BuildSpeed::Fast);
    let all = api.get("/virtual_machine_packages");
    assert_eq!(
        all.json["pagination"],
        json!({"current_page": 1, "total_pages": 1, "total": 20, "per_page": 30, "large_set": false})
    );
    let p3 = api.get("/virtual_machine_packages?page=3&per_page=7");
    assert_eq!(
        p3.json["virtual_machine_packages"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(p3.json["pagination"]["total_pages"], 3);
    for bad in ["per_page=201", "page=0", "per_page=-1"] {
        let r = api.get(&format!("/virtual_machine_packages?{bad}"));
        assert_eq!((r.status, r.code()), (400, "invalid_argument"), "{bad}");
        assert_eq!(r.json["error"]["detail"]["issue"], "validation_errors");
    }
    let r = api.get("/virtual_machine_packages?page=abc");
    assert_eq!(r.json["error"]["detail"]["issue"], "invalid_scalar");
    assert_eq!(
        api.get("/virtual_machine_packages?per_page=200").status,
        200
    );

    let own = api.get(&format!(
        "/organizations/_/disk_templates?organization[sub_domain]={PARENT_SUB_DOMAIN}"
    ));
    assert_eq!(own.json["pagination"]["total"], 0);
    assert_eq!(own.json["pagination"]["total_pages"], 0);
    let uni = api.get(&format!(
        "/organizations/_/disk_templates?organization[sub_domain]={PARENT_SUB_DOMAIN}&include_universal=true"
    ));
    assert_eq!(uni.json["pagination"]["total"], 12);
    assert!(uni.json["disk_templates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["permalink"] == "templates/ubuntu-22-04"));
}

#[test]
fn build_argument_errors() {
    let api = Api::start(BuildSpeed::Fast);
    let (org_id, _) = api.managed_org("errs1234");
    let build = |body: serde_json::Value| {
        let mut b = json!({"organization": {"id": org_id}, "data_center": {"permalink": "uk-lon-01"},
                           "package": {"permalink": "rock-3"}});
        for (k, v) in body.as_object().unwrap() {
            if v.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = v.clone();
            }
        }
        api.post("/organizations/_/virtual_machines/build", b)
    };
    let r = build(json!({"data_center": null}));
    assert_eq!((r.status, r.code()), (422, "location_required"));
    let r = build(json!({"package": null}));
    assert_eq!((r.status, r.code()), (400, "missing_required_argument"));
    let r = build(json!({"package": {"permalink": "pebble-1"}}));
    assert_eq!((r.status, r.code()), (404, "package_not_found"));
    let r = build(json!({"disk_template": {"permalink": "templates/beos"}}));
    assert_eq!((r.status, r.code()), (404, "disk_template_not_found"));
    let r = build(json!({"zone": {"permalink": "moon-1"}}));
    assert_eq!((r.status, r.code()), (404, "zone_not_found"));
    let r = build(json!({"organization": {"id": "org_missing"}}));
    assert_eq!((r.status, r.code()), (404, "organization_not_found"));
    let r = build(json!({"disks": [{"size_in_gb": 20}]}));
    assert_eq!((r.status, r.code()), (422, "one_system_disk_required"));
    // No hostname: adjective-adjective-noun.
    let r = build(json!({}));
    assert_eq!(r.status, 201);
    let h = r.json["hostname"].as_str().unwrap();
    assert_eq!(h.split('-').count(), 3, "{h}");

    let raw = api
        .client
        .post(format!("{}/organizations/_/managed", api.sim.base_url()))
        .bearer_auth("sim-token")
        .header("Content-Type", "application/json")
        .body("{\"name\": ")
        .send()
        .unwrap();
    assert_eq!(raw.status(), 400);
    let j: serde_json::Value = raw.json().unwrap();
    assert_eq!(j["error"]["code"], "invalid_json_body");

    let r = api.get("/virtual_machines/_/teleport");
    assert_eq!((r.status, r.code()), (404, "route_not_found"));
    assert_eq!(
        r.json["error"]["description"],
        "No route matches 'virtual_machines/_/teleport' for GET"
    );
}

#[test]
fn rate_limit_and_reset() {
    let api = Api::with_config(SimConfig {
        rate_limit_per_minute: 3,
        ..SimConfig::default()
    });
    // Well inside one minute, so the window does not turn during the test.
    api.sim.set_clock(katapult_sim::minute_start() + 1.0);
    api.managed_org("rl123456");
    assert_eq!(
        api.get("/organizations").json["organizations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(api.get("/zones").headers["x-ratelimit-remaining"], "0");
    let r = api.get("/zones");
    assert_eq!((r.status, r.code()), (429, "rate_limit_reached"));
    assert_eq!(r.json["error"]["detail"], json!({"total_permitted": 3}));

    let reset = api
        .client
        .post(format!("{}/_sim/reset", api.sim.root_url()))
        .send()
        .unwrap();
    assert_eq!(reset.status(), 200);
    assert_eq!(
        api.get("/organizations").json["organizations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn the_window_is_the_wall_clock_minute_shared_by_the_token() {
    let api = Api::with_config(SimConfig {
        rate_limit_per_minute: 10,
        ..SimConfig::default()
    });
    let (status, clock) = api.control(
        "PUT",
        "/_sim/clock",
        Some(json!({"now": katapult_sim::minute_start() + 58.5})),
    );
    assert_eq!(status, 200, "{clock}");
    let first = api.get("/zones");
    assert_eq!(first.headers["x-ratelimit-remaining"], "9");
    assert!(first.headers.get("x-ratelimit-reset").is_none());
    assert!(first.headers.get("retry-after").is_none());
    let date = httpdate_seconds(first.headers["date"].to_str().unwrap());
    assert_eq!(date % 60, 58, "the Date header follows the clock");

    // Another user of the token spends most of the budget.
    let (status, spent) = api.control(
        "POST",
        "/_sim/rate_limit/spend",
        Some(json!({"token": "sim-token", "requests": 8})),
    );
    assert_eq!((status, &spent["remaining"]), (200, &json!(1)));
    assert_eq!(api.get("/zones").headers["x-ratelimit-remaining"], "0");
    let refused = api.get("/zones");
    assert_eq!(
        (refused.status, refused.code()),
        (429, "rate_limit_reached")
    );
    assert_eq!(refused.headers["x-ratelimit-remaining"], "0");

    // The minute turns: the whole budget is back.
    std::thread::sleep(std::time::Duration::from_millis(1600));
    assert_eq!(api.get("/zones").headers["x-ratelimit-remaining"], "9");
}

fn httpdate_seconds(value: &str) -> u64 {
    httpdate::parse_http_date(value)
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn managed_organizations_are_listed_for_their_parent() {
    let api = Api::start(katapult_sim::BuildSpeed::Fast);
    let (org_id, _) = api.managed_org("child001");
    let parent = api.get("/organizations/_/managed?organization[sub_domain]=terraform-acc-test");
    let listed = parent.json["organizations"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{}", parent.json);
    assert_eq!(listed[0]["id"], org_id.as_str());
}
