//! The recorded VM flows of the real API, replayed to the module: every
//! `VirtualMachine_*.cassette.yaml` under the terraform cassettes is served by a small server on
//! loopback, each route's responses in recorded order (the last repeating once they run out).
//! - The build sync must announce the VM once, at `complete`, with the recorded FQDN and
//!   addresses, and delete nothing.
//! - A flow that changes the VM's package is replayed to ChangePackage from the VM as it was just
//!   before the change; a flow that stops the VM, to the Stop button from the VM as it was then:
//!   each must succeed with the calls the recording made, and delete nothing.
//!
//! A new recording dropped in beside them is replayed too. An id in a recorded path
//! (`/tasks/task_…`) is the same route as the `_` lookup the client sends (`/tasks/_?task[id]=…`).

mod support;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use katapult::api::virtual_machines::PowerAction;
use katapult::module::change_package::change_package;
use katapult::module::power_buttons::power;
use katapult::service::build_sync::{sync_builds, HOOK_BUILT};
use katapult::service::links::{ServiceLinks, VM_BUILD_ID, VM_BUILD_STARTED_AT, VM_ID};
use katapult::service::params::ServiceParams;
use katapult::store::{DataStore, Owner, Sql, SqlValue};
use serde_json::Value;
use support::cassette::{Cassette, Interaction};
use support::{database, loopback_http, MemoryHost};

/// The route of a recorded or replayed request: method and path below `/core/v1`, no query, an
/// object id in the path (`task_` and 16 letters or digits) read as the `_` placeholder.
fn route(method: &str, url: &str) -> Route {
    let path = url.split('?').next().unwrap_or(url);
    let below = path
        .find("/core/v1")
        .map_or(path, |at| &path[at + "/core/v1".len()..]);
    let is_id = |segment: &str| {
        segment.split_once('_').is_some_and(|(kind, id)| {
            !kind.is_empty()
                && kind.chars().all(|c| c.is_ascii_lowercase())
                && id.len() == 16
                && id.chars().all(|c| c.is_ascii_alphanumeric())
        })
    };
    let below = below
        .split('/')
        .map(|segment| if is_id(segment) { "_" } else { segment })
        .collect::<Vec<_>>()
        .join("/");
    (method.to_string(), below)
}

type Route = (String, String);
type Queues = HashMap<Route, VecDeque<(u16, String)>>;
/// The routes a replay server was asked for, in order.
type Asked = Arc<Mutex<Vec<Route>>>;

/// Serves the cassette's answers per route in recorded order; returns its base URL and the routes
/// it was asked for, in order.
fn replay_server(cassette: &Cassette) -> (String, Asked) {
    replay_server_from(cassette, 0)
}

/// Serves the cassette as the API stood at interaction `start`: each route's answers from there on
/// in recorded order, else the last one recorded before it; a package looked up by permalink
/// that the recording never looked up is answered with that package as a recorded VM shows it
/// (the same object in the recordings).
fn replay_server_from(cassette: &Cassette, start: usize) -> (String, Asked) {
    let mut queues = Queues::new();
    for i in &cassette.interactions[start..] {
        queues
            .entry(route(&i.request.method, &i.request.url))
            .or_default()
            .push_back((i.response.code, i.response.body.clone()));
    }
    for i in cassette.interactions[..start].iter().rev() {
        queues
            .entry(route(&i.request.method, &i.request.url))
            .or_insert_with(|| VecDeque::from([(i.response.code, i.response.body.clone())]));
    }
    let packages_route = ("GET".to_string(), "/virtual_machine_packages/_".to_string());
    if let std::collections::hash_map::Entry::Vacant(lookups) = queues.entry(packages_route) {
        let package = cassette
            .interactions
            .iter()
            .filter(|i| {
                i.request.method == "PUT" && i.request.url.ends_with("/virtual_machines/_/package")
            })
            .find_map(|i| recorded_package(cassette, &package_of_change(i)?));
        if let Some(package) = package {
            let body = serde_json::json!({ "virtual_machine_package": package }).to_string();
            lookups.insert(VecDeque::from([(200, body)]));
        }
    }
    let queues = Mutex::new(queues);
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    let root = loopback_http::serve(move |request| {
        let key = route(&request.method, &request.target);
        log.lock().unwrap().push(key.clone());
        let mut queues = queues.lock().unwrap();
        let (status, body) = match queues.get_mut(&key) {
            Some(queue) if queue.len() > 1 => queue.pop_front().unwrap(),
            Some(queue) => queue.front().cloned().unwrap(),
            None => (404, format!("{{\"error\":{{\"code\":\"route_not_found\",\"description\":\"not recorded: {} {}\",\"detail\":{{}}}}}}", key.0, key.1)),
        };
        (status, body.into_bytes())
    });
    (format!("{root}/core/v1"), asked)
}

/// What the recording says the sync must write: the build id, and the VM the first VM answer
/// after `complete` shows (its id, FQDN and addresses).
struct Expected {
    build_id: String,
    vm_id: String,
    fqdn: String,
    addresses: Vec<String>,
    /// Build answers up to and including the first `complete`.
    polls_to_complete: usize,
}

fn expected(cassette: &Cassette) -> Expected {
    let bodies = |method: &str, path: &str| -> Vec<Value> {
        cassette
            .interactions
            .iter()
            .filter(|i| route(&i.request.method, &i.request.url) == (method.into(), path.into()))
            .map(|i| serde_json::from_str(&i.response.body).unwrap())
            .collect()
    };
    let builds = bodies("GET", "/virtual_machines/builds/_");
    let polls_to_complete = builds
        .iter()
        .position(|b| b["virtual_machine_build"]["state"] == "complete")
        .expect("the recording completes its build")
        + 1;
    let build = &builds[polls_to_complete - 1]["virtual_machine_build"];
    let vm = bodies("GET", "/virtual_machines/_").remove(0);
    let vm = &vm["virtual_machine"];
    assert_eq!(vm["id"], build["virtual_machine"]["id"]);
    Expected {
        build_id: build["id"].as_str().unwrap().into(),
        vm_id: vm["id"].as_str().unwrap().into(),
        fqdn: vm["fqdn"].as_str().unwrap().into(),
        addresses: vm["ip_addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|ip| ip["address"].as_str().unwrap().to_string())
            .collect(),
        polls_to_complete,
    }
}

fn recorded_flows() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/katapult-api/examples/terraform-cassettes/provider");
    let mut flows: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("VirtualMachine_") && name.ends_with(".cassette.yaml")
        })
        .collect();
    flows.sort();
    flows
}

/// The permalink a recorded `PUT /virtual_machines/_/package` moves the VM to.
fn package_of_change(put: &Interaction) -> Option<String> {
    let body: Value = serde_json::from_str(&put.request.body).ok()?;
    body["virtual_machine_package"]["permalink"]
        .as_str()
        .map(str::to_string)
}

/// The package `permalink` as a recorded VM answer shows it.
fn recorded_package(cassette: &Cassette, permalink: &str) -> Option<Value> {
    cassette.interactions.iter().find_map(|i| {
        let body: Value = serde_json::from_str(&i.response.body).ok()?;
        let package = &body["virtual_machine"]["package"];
        (package["permalink"] == permalink).then(|| package.clone())
    })
}

/// The index of the first interaction on `wanted`, and of the last VM read before it: the VM as
/// it stood when the flow acted.
fn acting_at(cassette: &Cassette, wanted: &Route) -> Option<(usize, usize)> {
    let at = cassette
        .interactions
        .iter()
        .position(|i| &route(&i.request.method, &i.request.url) == wanted)?;
    let vm_read = ("GET".to_string(), "/virtual_machines/_".to_string());
    let from = cassette.interactions[..at]
        .iter()
        .rposition(|i| route(&i.request.method, &i.request.url) == vm_read)?;
    Some((at, from))
}

/// Service 1 of client 10 on a fresh database, with the API key set.
fn a_service() -> (support::Sqlite, MemoryHost) {
    let (db, host) = (database(), MemoryHost::new());
    support::create_tblhosting(&db);
    support::set_api_key(&db, &host, "replayed-token");
    db.execute(
        "INSERT INTO tblhosting (id, userid, domain) VALUES (1, 10, 'vm.example.com')",
        &[],
    )
    .unwrap();
    (db, host)
}

/// A service linked to the recorded VM, on a fresh database.
fn service_of_vm(vm_id: &str) -> (support::Sqlite, MemoryHost) {
    let (db, host) = a_service();
    DataStore::open(&db)
        .unwrap()
        .set_text(Owner::Service(1), VM_ID, vm_id, Some(vm_id), Utc::now())
        .unwrap();
    (db, host)
}

fn params(package: &str) -> ServiceParams {
    ServiceParams {
        service_id: 1,
        client_id: 10,
        config_options: vec![package.to_string()],
        ..ServiceParams::default()
    }
}

/// The routes asked that change something, in order.
fn changes(asked: &Asked) -> Vec<Route> {
    asked
        .lock()
        .unwrap()
        .iter()
        .filter(|(method, _)| method != "GET")
        .cloned()
        .collect()
}

fn load(flow: &Path) -> Cassette {
    serde_yaml_ng::from_str(&std::fs::read_to_string(flow).unwrap()).unwrap()
}

/// Replays every recorded flow that makes the request `wanted` to `act` (given the context, the
/// recording and the index of that request), from the VM as it stood then: `act` must answer
/// "success" having made that request and no other change. Returns the flows replayed.
fn replay_each_flow_making(
    wanted: (&str, &str),
    act: impl Fn(&katapult::service::context::Context<'_>, &Cassette, usize) -> String,
    check: impl Fn(&Path, &Cassette, usize, &MemoryHost),
) -> usize {
    let wanted: Route = (wanted.0.to_string(), wanted.1.to_string());
    let mut replayed = 0;
    for flow in recorded_flows() {
        let cassette = load(&flow);
        let Some((at, from)) = acting_at(&cassette, &wanted) else {
            continue;
        };
        let vm: Value = serde_json::from_str(&cassette.interactions[from].response.body).unwrap();
        let (db, host) = service_of_vm(vm["virtual_machine"]["id"].as_str().unwrap());
        let (base_url, asked) = replay_server_from(&cassette, from);
        let ctx = support::context(&db, &host, &base_url);

        let answer = act(&ctx, &cassette, at);
        assert_eq!(
            answer,
            "success",
            "{}: {:?}",
            flow.display(),
            asked.lock().unwrap()
        );
        assert_eq!(
            changes(&asked),
            vec![wanted.clone()],
            "{}: the recorded change, and nothing else",
            flow.display()
        );
        check(&flow, &cassette, at, &host);
        replayed += 1;
    }
    replayed
}

#[test]
fn the_recorded_package_changes_replay_through_change_package() {
    let target =
        |cassette: &Cassette, at: usize| package_of_change(&cassette.interactions[at]).unwrap();
    let replayed = replay_each_flow_making(
        ("PUT", "/virtual_machines/_/package"),
        |ctx, cassette, at| {
            change_package(
                ctx,
                &params(&target(cassette, at)),
                std::time::Duration::from_secs(10),
            )
        },
        |flow, cassette, at, host| {
            let moved_to = format!("→ {}", target(cassette, at));
            assert!(
                host.activity
                    .borrow()
                    .iter()
                    .any(|(line, _)| line.contains(&moved_to)),
                "{}: {:?}",
                flow.display(),
                host.activity.borrow()
            );
        },
    );
    assert!(
        replayed >= 2,
        "the package-change recordings were replayed: {replayed}"
    );
}

#[test]
fn the_recorded_stops_replay_through_the_stop_button() {
    let replayed = replay_each_flow_making(
        ("POST", "/virtual_machines/_/stop"),
        |ctx, _, _| power(ctx, &params(""), PowerAction::Stop, None),
        |_, _, _, _| {},
    );
    assert!(
        replayed >= 2,
        "the recordings that stop a VM were replayed: {replayed}"
    );
}

#[test]
fn the_recorded_builds_are_announced_once_at_complete_with_the_recorded_vm() {
    let flows = recorded_flows();
    assert!(flows.len() >= 3, "{flows:?}");
    for flow in flows {
        let cassette = load(&flow);
        let want = expected(&cassette);
        let (base_url, asked) = replay_server(&cassette);

        let (db, host) = a_service();
        let store = DataStore::open(&db).unwrap();
        let now = Utc::now();
        store
            .set_text(
                Owner::Service(1),
                VM_BUILD_ID,
                &want.build_id,
                Some(&want.build_id),
                now,
            )
            .unwrap();
        store
            .set_time(Owner::Service(1), VM_BUILD_STARTED_AT, now, now)
            .unwrap();

        // One cron run per recorded build answer: nothing is announced before `complete`.
        let ctx = support::context(&db, &host, &base_url);
        for run in 1..=want.polls_to_complete {
            let report = sync_builds(&ctx, 1, "replay").unwrap();
            let announced = host
                .hooks_fired
                .borrow()
                .iter()
                .filter(|(hook, _)| hook == HOOK_BUILT)
                .count();
            let at_complete = run == want.polls_to_complete;
            assert_eq!(
                report.errors,
                0,
                "{}: run {run}: {report:?}",
                flow.display()
            );
            assert_eq!(
                announced,
                usize::from(at_complete),
                "{}: run {run}",
                flow.display()
            );
        }
        // Later runs have nothing left to do: announced once.
        sync_builds(&ctx, 1, "replay").unwrap();
        let links = ServiceLinks::read(&store, 1).unwrap();
        assert_eq!(links.vm_id.as_deref(), Some(want.vm_id.as_str()));
        let row = db
            .query(
                "SELECT domain, dedicatedip, assignedips FROM tblhosting WHERE id = ?",
                &[SqlValue::Int(1)],
            )
            .unwrap()
            .remove(0);
        let text = |i: usize| row[i].as_text().unwrap_or_default().to_string();
        assert_eq!(text(0), want.fqdn, "{}", flow.display());
        assert_eq!(text(1), want.addresses[0], "{}", flow.display());
        for other in &want.addresses[1..] {
            assert!(
                text(2).contains(other.as_str()),
                "{}: {row:?}",
                flow.display()
            );
        }
        assert_eq!(
            host.hooks_fired
                .borrow()
                .iter()
                .filter(|(hook, _)| hook == HOOK_BUILT)
                .count(),
            1
        );
        let asked = asked.lock().unwrap();
        assert!(
            asked.iter().all(|(method, _)| method == "GET"),
            "{}: only reads, nothing deleted: {asked:?}",
            flow.display()
        );
    }
}
