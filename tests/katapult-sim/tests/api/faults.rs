//! Every fault kind, as a client sees it.

use crate::common::{Api, PARENT_ORG};
use katapult_sim::{BuildSpeed, ErrorRule, Faults};
use serde_json::json;
use std::time::{Duration, Instant};

fn rule(endpoint: &str, status: u16) -> ErrorRule {
    ErrorRule {
        endpoint: endpoint.into(),
        probability: 1.0,
        status,
    }
}

fn raw_get(api: &Api, path: &str) -> reqwest::Result<reqwest::blocking::Response> {
    api.client
        .get(format!("{}{}", api.sim.base_url(), path))
        .bearer_auth("sim-token")
        .timeout(Duration::from_millis(1500))
        .send()
}

#[test]
fn injected_faults_are_observed_and_counted() {
    let api = Api::start(BuildSpeed::Fast);

    for (status, code) in [
        (500, "unhandled_exception"),
        (503, "service_unavailable"),
        (429, "rate_limit_reached"),
    ] {
        api.sim.set_faults(Faults {
            errors: vec![rule("GET /zones", status)],
            ..Faults::default()
        });
        let r = api.get("/zones");
        assert_eq!((r.status, r.code()), (status, code));
        assert_eq!(r.headers["x-api-schema"], "json-error");
        // Rules are per endpoint.
        assert_eq!(api.get("/data_centers").status, 200);
    }

    api.sim.set_faults(Faults {
        errors: vec![rule("*", 502)],
        ..Faults::default()
    });
    let r = raw_get(&api, "/zones").unwrap();
    assert_eq!(r.status(), 502);
    assert!(r.text().unwrap().contains("502 Bad Gateway"));

    api.sim.set_faults(Faults {
        malformed_rate: 1.0,
        ..Faults::default()
    });
    let r = raw_get(&api, "/zones").unwrap();
    assert_eq!(r.status(), 200);
    assert!(serde_json::from_str::<serde_json::Value>(&r.text().unwrap()).is_err());

    api.sim.set_faults(Faults {
        reset_rate: 1.0,
        ..Faults::default()
    });
    let err = raw_get(&api, "/zones").unwrap_err();
    assert!(!err.is_timeout() && err.is_request(), "{err:?}");

    api.sim.set_faults(Faults {
        hang_rate: 1.0,
        hang_ms: 5_000,
        ..Faults::default()
    });
    let err = raw_get(&api, "/zones").unwrap_err();
    assert!(err.is_timeout(), "{err:?}");

    api.sim.set_faults(Faults {
        latency_ms: 200,
        jitter_ms: 50,
        ..Faults::default()
    });
    let t = Instant::now();
    assert_eq!(api.get("/zones").status, 200);
    assert!(t.elapsed() >= Duration::from_millis(200));

    // The control endpoints are never faulted, and replace the faults over HTTP.
    api.sim.set_faults(Faults {
        reset_rate: 1.0,
        ..Faults::default()
    });
    let put = api
        .client
        .put(format!("{}/_sim/faults", api.sim.root_url()))
        .json(&serde_json::json!({"errors": [{"endpoint": "POST *", "probability": 1.0, "status": 503}]}))
        .send()
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(api.get("/zones").status, 200);
    assert_eq!(api.sim.faults().errors[0].status, 503);
    let bad = api
        .client
        .put(format!("{}/_sim/faults", api.sim.root_url()))
        .json(&serde_json::json!({"reset_rate": 2.0}))
        .send()
        .unwrap();
    assert_eq!(bad.status(), 422);

    let stats: serde_json::Value = api
        .client
        .get(format!("{}/_sim/stats", api.sim.root_url()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    for kind in [
        "error_500",
        "error_502",
        "error_503",
        "error_429",
        "malformed",
        "reset",
        "hang",
        "latency",
    ] {
        assert!(
            stats["faults"][kind].as_u64().unwrap_or(0) >= 1,
            "{kind}: {stats}"
        );
    }
}

#[test]
fn fault_dice_follow_the_probability() {
    let api = Api::start(BuildSpeed::Fast);
    api.sim.set_faults(Faults {
        errors: vec![ErrorRule {
            endpoint: "/zones".into(),
            probability: 0.5,
            status: 503,
        }],
        ..Faults::default()
    });
    let failures = (0..200).filter(|_| api.get("/zones").status == 503).count();
    assert!((60..=140).contains(&failures), "{failures}");
}

#[test]
fn injected_403s_are_the_operations_own_permission_errors() {
    let mut api = Api::start(BuildSpeed::Fast);
    api.sim.set_faults(Faults {
        errors: vec![rule("*", 403)],
        ..Faults::default()
    });

    // Managed organizations not enabled: these operations declare no permission_denied,
    // so the refusal is Apia's scope check.
    let managed = format!("/organizations/_/managed?organization[id]={PARENT_ORG}");
    let create = json!({"organization": {"id": PARENT_ORG}, "name": "C", "sub_domain": "denied1"});
    for r in [
        api.get(&managed),
        api.post("/organizations/_/managed", create.clone()),
    ] {
        assert_eq!((r.status, r.code()), (403, "scope_not_granted"));
        assert_eq!(
            r.json["error"]["detail"],
            json!({"scopes": ["managed_organizations"]})
        );
        assert_eq!(r.headers["x-api-schema"], "json-error");
        assert_eq!(r.headers["x-ratelimit-permitted"], "1000");
    }
    // Operations that declare permission_denied refuse with it.
    let r = api.post(
        "/organizations/_/virtual_machines/build",
        json!({"organization": {"id": PARENT_ORG}}),
    );
    assert_eq!((r.status, r.code()), (403, "permission_denied"));
    assert!(r.json["error"]["detail"]["details"].is_string());
    let r = api.get("/tasks/task_x");
    assert_eq!(
        (r.status, &r.json["error"]["detail"]),
        (403, &json!({"scopes": ["tasks", "tasks:read"]}))
    );
    // No scope, no refusal; and authentication comes first.
    assert_eq!(api.get("/zones").status, 200);
    api.token = None;
    assert_eq!(api.get(&managed).code(), "missing_api_token");
    api.token = Some("sim-token".into());

    let stats = api.sim.stats();
    assert_eq!(stats.faults.get("error_403"), Some(&4));
    assert!(!stats
        .requests
        .contains_key("POST /organizations/:organization/managed"));
    assert_eq!(stats.managed_organizations_created, 0);

    // Over the control endpoint; other 4xx statuses are not injectable.
    let (status, _) = api.control(
        "PUT",
        "/_sim/faults",
        Some(json!({"errors": [{"endpoint": "GET /organizations/*/managed", "probability": 1.0, "status": 403}]})),
    );
    assert_eq!(status, 200);
    assert_eq!(api.get(&managed).status, 403);
    assert_eq!(api.post("/organizations/_/managed", create).status, 201);
    let (status, _) = api.control(
        "PUT",
        "/_sim/faults",
        Some(json!({"errors": [{"endpoint": "*", "probability": 1.0, "status": 404}]})),
    );
    assert_eq!(status, 422);

    // A managed organization cannot have managed organizations: the same refusal, unfaulted.
    api.sim.set_faults(Faults::default());
    let child = api
        .get("/organizations/_?organization[sub_domain]=denied1")
        .json["organization"]["id"]
        .clone();
    let r = api.get(&format!(
        "/organizations/_/managed?organization[id]={}",
        child.as_str().unwrap()
    ));
    assert_eq!((r.status, r.code()), (403, "scope_not_granted"));
}
