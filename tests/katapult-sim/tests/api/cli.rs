//! The `katapult-sim` binary: the failed-build and 403 flags.

use crate::common::{poll, PARENT_ORG};
use reqwest::blocking::Client;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the simulator when the test ends, failed assertions included.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with `args` and waits until it is listening; returns its base URL.
pub fn launch(args: &[&str]) -> (Running, String) {
    let mut sim = Running(
        Command::new(env!("CARGO_BIN_EXE_katapult-sim"))
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("katapult-sim starts"),
    );
    let mut line = String::new();
    BufReader::new(sim.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("katapult-sim listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    (sim, base)
}

#[test]
fn fail_builds_and_403_flags() {
    let (_sim, base) = launch(&[
        "--listen",
        "127.0.0.1:0",
        "--seed",
        "5",
        "--fail-builds",
        "1",
        "--error-rate",
        "GET /organizations/*/managed=1:403",
    ]);
    let root = base.trim_end_matches("/core/v1");
    let client = Client::new();
    let api = |method: &str, path: &str, body: Option<Value>| -> (u16, Value) {
        let mut req = client
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .bearer_auth("sim-token");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().unwrap();
        (r.status().as_u16(), r.json().unwrap())
    };

    let faults: Value = client
        .get(format!("{root}/_sim/faults"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(faults["fail_builds"], 1);
    assert_eq!(faults["errors"][0]["status"], 403);

    let (status, body) = api(
        "GET",
        &format!("/organizations/_/managed?organization[id]={PARENT_ORG}"),
        None,
    );
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &json!("scope_not_granted"))
    );

    let (status, build) = api(
        "POST",
        "/organizations/_/virtual_machines/build",
        Some(
            json!({"organization": {"id": PARENT_ORG}, "zone": {"permalink": "lon-zone-1"},
                    "package": {"permalink": "rock-1"}}),
        ),
    );
    assert_eq!(status, 201, "{build}");
    let id = build["virtual_machine_build"]["id"].as_str().unwrap();
    let state = poll(|| {
        let (_, b) = api("GET", &format!("/virtual_machines/builds/{id}"), None);
        let state = b["virtual_machine_build"]["state"].clone();
        (state == "failed" || state == "complete").then_some(state)
    });
    assert_eq!(state, "failed");
    let stats: Value = client
        .get(format!("{root}/_sim/stats"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        (&stats["builds_failed"], &stats["faults"]["error_403"]),
        (&json!(1), &json!(1))
    );
}
