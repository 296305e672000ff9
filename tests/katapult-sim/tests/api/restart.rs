//! `--state-file`: a simulator stopped and started again on the same file carries on.

use crate::cli::launch;
use crate::common::{poll, Api, PARENT_ORG};
use katapult_sim::{BuildSpeed, SimConfig, Simulator};
use reqwest::blocking::Client;
use serde_json::{json, Value};
use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// A fresh directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("katapult-sim-{}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_string()
}

fn service(id: &str) -> Value {
    json!({"annotations": [{"key": "whmcs_service_id", "value": id}]})
}

#[test]
fn a_restarted_simulator_carries_on() {
    let dir = TempDir::new("carries-on");
    let config = SimConfig {
        tls: true,
        build_speed: BuildSpeed::Fast,
        seed: 7,
        state_file: Some(dir.file("state.json")),
        ..SimConfig::default()
    };
    let api = Api::with_config(config.clone());
    let (org_id, _) = api.managed_org("restart1");
    let (build_id, task_id) = api.start_build(&org_id, "web-1", service("42"));
    let accepted = Instant::now();
    let faults = json!({"errors": [{"endpoint": "GET /zones/*", "probability": 0.25, "status": 503}],
                        "fail_builds": 3});
    assert_eq!(api.control("PUT", "/_sim/faults", Some(faults)).0, 200);
    let (_, faults) = api.control("GET", "/_sim/faults", None);
    let (stats, ca, root_url) = (api.sim.stats(), api.sim.ca_pem(), api.sim.root_url());
    drop(api);

    // Same file, same port: the clients that trusted the old CA trust the new simulator.
    let addr: SocketAddr = root_url.strip_prefix("https://").unwrap().parse().unwrap();
    let api = Api::with_config(SimConfig {
        listen: addr,
        ..config
    });
    assert_eq!(api.sim.root_url(), root_url);
    assert_eq!(api.sim.ca_pem(), ca);
    assert_eq!(api.sim.stats(), stats);
    assert_eq!(api.control("GET", "/_sim/faults", None).1, faults);

    // The build completes on its original schedule (Fast: 0.5 s after it was accepted).
    std::thread::sleep(
        (accepted + Duration::from_millis(550)).saturating_duration_since(Instant::now()),
    );
    let build = api.get(&format!("/virtual_machines/builds/{build_id}"));
    let build = &build.json["virtual_machine_build"];
    assert_eq!(build["state"], "complete", "{build}");
    let vm_id = id(&build["virtual_machine"]);
    assert_eq!(api.wait_task(&task_id)["status"], "completed");
    poll(|| {
        let vm = api.get(&format!("/virtual_machines/{vm_id}"));
        (vm.json["virtual_machine"]["state"] == "started").then_some(())
    });

    // New objects get new ids (the id generator was saved), and the counters carry on.
    let (org2, _) = api.managed_org("restart2");
    let (build2, task2) = api.start_build(&org2, "web-2", service("43"));
    let old = [&org_id, &build_id, &task_id, &vm_id];
    for new in [&org2, &build2, &task2] {
        assert!(!old.contains(&new), "{new} was used before the restart");
    }
    let stats = api.sim.stats();
    assert_eq!(
        stats.builds_by_whmcs_service_id,
        [("42".to_string(), 1), ("43".to_string(), 1)].into()
    );
    assert_eq!((stats.builds_created, stats.builds_failed), (2, 1));
    assert_eq!(api.sim.fail_builds(), 2);
}

#[test]
fn an_unfinished_build_keeps_its_polls() {
    let dir = TempDir::new("polls");
    let config = SimConfig {
        build_speed: BuildSpeed::OnPoll(3),
        seed: 7,
        state_file: Some(dir.file("state.json")),
        ..SimConfig::default()
    };
    let api = Api::with_config(config.clone());
    let (build_id, _) = api.start_build(PARENT_ORG, "polled", json!({}));
    let path = format!("/virtual_machines/builds/{build_id}");
    let state = |api: &Api| api.get(&path).json["virtual_machine_build"]["state"].clone();
    assert_eq!(state(&api), "pending");
    drop(api);
    let api = Api::with_config(config);
    assert_eq!(state(&api), "building");
    assert_eq!(state(&api), "complete");
}

#[test]
fn sigterm_and_sigint_save_and_the_restart_reuses_port_and_ca() {
    let dir = TempDir::new("signals");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (listen, ca_out, state) = (
        format!("127.0.0.1:{port}"),
        dir.file("ca.pem"),
        dir.file("state.json"),
    );
    let args = [
        "--listen",
        &listen,
        "--tls",
        "--ca-out",
        ca_out.to_str().unwrap(),
        "--state-file",
        state.to_str().unwrap(),
    ];
    let stop = |mut sim: crate::cli::Running, signal: &str| {
        let pid = sim.0.id().to_string();
        assert!(Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success());
        let status = sim.0.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{signal}: {status}");
    };

    let (sim, base) = launch(&args);
    let ca = fs::read(&ca_out).unwrap();
    let client = Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .build()
        .unwrap();
    let org: Value = client
        .post(format!("{base}/organizations/_/managed"))
        .bearer_auth("sim-token")
        .json(
            &json!({"organization": {"id": PARENT_ORG}, "name": "Client", "sub_domain": "signals"}),
        )
        .send()
        .unwrap()
        .json()
        .unwrap();
    let org_id = id(&org["organization"]);
    stop(sim, "-TERM");

    let (sim, base2) = launch(&args);
    assert_eq!(base2, base);
    assert_eq!(fs::read(&ca_out).unwrap(), ca);
    let get = client
        .get(format!("{base}/organizations/{org_id}"))
        .bearer_auth("sim-token")
        .send()
        .unwrap();
    assert_eq!(get.status(), 200);
    stop(sim, "-INT");
    let saved: Value = serde_json::from_slice(&fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["stats"]["managed_organizations_created"], 1);
}

#[test]
fn a_corrupt_state_file_is_refused() {
    let dir = TempDir::new("corrupt");
    let state = dir.file("state.json");
    fs::write(&state, "{\"state\": ").unwrap();
    let err = Simulator::start(SimConfig {
        state_file: Some(state.clone()),
        ..SimConfig::default()
    })
    .err()
    .expect("a corrupt file is refused");
    assert!(
        err.to_string()
            .starts_with(&format!("cannot load state file {}: ", state.display())),
        "{err}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_katapult-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--state-file",
            state.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("katapult-sim: cannot load state file "),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(fs::read_to_string(&state).unwrap(), "{\"state\": ");
}
