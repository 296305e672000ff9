//! The drift pass over 1,000 services on the simulator: it stays under the API's rate limit
//! (figures from the simulator's own counts, printed), and a pass SIGKILLed half way is picked
//! up where it stopped by the next one, which finds each planted drift once.
//!
//! The killed pass runs in a child process: this same test binary, started again on this test
//! with `KATAPULT_DRIFT_CHILD` naming the database and the simulator.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use katapult::api::builds::{BuildRef, BuildRequest};
use katapult::api::data_centers::DataCenterRef;
use katapult::api::disk_templates::DiskTemplateRef;
use katapult::api::organizations::{NewManagedOrganization, OrganizationRef};
use katapult::api::packages::PackageRef;
use katapult::api::virtual_machines::VirtualMachineRef;
use katapult::api::{Annotation, ApiSettings, ApiToken, Client};
use katapult::service::build_sync::HostingFields;
use katapult::service::drift::{self, Outcome, Pacing, PassState};
use katapult::service::settings::ModuleSettings;
use katapult::store::findings::Findings;
use katapult::store::{DataStore, Owner, Sql, SqlValue};
use katapult_sim::{BuildSpeed, SimConfig, Simulator};
use support::{MemoryHost, Sqlite};

const SERVICES: u64 = 1000;
const CLIENTS: u64 = 5;
const CHILD: &str = "KATAPULT_DRIFT_CHILD";
/// Tokens that seed the simulator, so the pass's token starts with its whole budget.
const SEED_TOKENS: usize = 10;

fn open(path: &Path) -> Sqlite {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection.busy_timeout(Duration::from_secs(10)).unwrap();
    // Two processes share it; a commit need not wait for the disk (nothing here outlives the test).
    connection
        .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")
        .unwrap();
    Sqlite(connection)
}

#[test]
fn a_pass_over_1000_services_stays_under_the_rate_limit_and_survives_a_sigkill() {
    if let Ok(child) = std::env::var(CHILD) {
        // The child: a pass that the parent kills half way.
        let (path, url) = child.split_once('|').unwrap();
        let db = open(Path::new(path));
        let host = MemoryHost::new();
        drift::run(
            &support::context(&db, &host, url),
            "child",
            true,
            Pacing::Wait,
        )
        .unwrap();
        return;
    }
    let sim = Simulator::start(SimConfig {
        build_speed: BuildSpeed::Fast,
        tokens: std::iter::once("sim-token".to_string())
            .chain((0..SEED_TOKENS).map(|i| format!("seed-{i}")))
            .collect(),
        seed: 18,
        ..SimConfig::default()
    })
    .unwrap();
    let url = sim.base_url();
    let folder = std::env::temp_dir().join(format!("katapult-drift-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("whmcs.sqlite");
    let db = open(&path);
    let host = MemoryHost::new();
    let planted = seed(&db, &host, &url);

    // The pass starts 10 seconds before the API's minute turns: it must wait for the turn.
    let before = sim.stats();
    let started = Instant::now();
    sim.set_clock((unix_now() / 60.0).floor() * 60.0 + 50.0);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_pass_over_1000_services_stays_under_the_rate_limit_and_survives_a_sigkill",
            "--test-threads=1",
        ])
        .env(CHILD, format!("{}|{url}", path.display()))
        .spawn()
        .unwrap();
    let killed_at = wait_for_progress(&db, &mut child, 300);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let state_at_kill = drift::pass_under_way(&DataStore::open(&db).unwrap())
        .unwrap()
        .expect("the killed pass left its place");
    assert!(state_at_kill.services_checked >= killed_at);
    let vm_reads_by_child = vm_reads(&sim.stats()) - vm_reads(&before);

    // The next pass goes on from there.
    let ctx = support::context(&db, &host, &url);
    let outcome = drift::run(&ctx, "parent", false, Pacing::Wait).unwrap();
    let Some(Outcome::Finished(last)) = outcome else {
        panic!("the pass did not finish: {outcome:?}");
    };
    let after = sim.stats();
    let vm_reads_by_parent = vm_reads(&after) - vm_reads(&before) - vm_reads_by_child;
    assert_eq!(
        last.services_checked, SERVICES,
        "every service checked once, across the two"
    );
    assert_eq!(last.errors, 0);
    assert!(
        vm_reads_by_parent <= SERVICES - state_at_kill.services_checked + 2 + planted.orphans,
        "the second pass picked up where the first stopped: {vm_reads_by_parent} VM reads after {} services were done",
        state_at_kill.services_checked
    );

    // Each planted drift is found once; another installation's VM is not.
    let findings = Findings::open(&db).unwrap().list(None).unwrap();
    let mut found: Vec<(String, String)> = findings
        .iter()
        .map(|f| (f.kind.clone(), f.vm_id.clone()))
        .collect();
    found.sort();
    let mut expected = planted.findings.clone();
    expected.sort();
    assert_eq!(found, expected);
    assert!(!findings.iter().any(|f| f.vm_id == planted.theirs));

    // Under the rate limit: the simulator's counts, minute by minute.
    let per_minute = per_minute(&before, &after);
    let peak = per_minute.values().copied().max().unwrap_or(0);
    let refused = after.responses_by_status.get(&429).copied().unwrap_or(0)
        - before.responses_by_status.get(&429).copied().unwrap_or(0);
    println!(
        "drift pass over {SERVICES} services ({CLIENTS} managed organizations, SIGKILLed after {} services and resumed): {} API requests in {:.1} s; per API minute {:?}; peak {peak} of {} permitted (a quarter left to the build sync and the client area); {refused} answered 429",
        state_at_kill.services_checked,
        per_minute.values().sum::<u64>(),
        started.elapsed().as_secs_f64(),
        per_minute.values().collect::<Vec<_>>(),
        1000
    );
    assert_eq!(refused, 0, "no request over the limit");
    assert!(
        peak <= 750,
        "the pass keeps a quarter of each minute: {peak}"
    );
    assert!(
        per_minute.len() >= 2,
        "the pass waited for the minute to turn"
    );
    let _ = std::fs::remove_dir_all(&folder);
}

/// Polls the database until the child's pass has checked `services`; the count then.
fn wait_for_progress(db: &Sqlite, child: &mut std::process::Child, services: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state: Option<PassState> = DataStore::open(db)
            .ok()
            .and_then(|store| drift::pass_under_way(&store).ok().flatten());
        if let Some(state) = state.filter(|s| s.services_checked >= services) {
            return state.services_checked;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child ended before it was killed"
        );
        assert!(
            Instant::now() < deadline,
            "the child's pass made no progress"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn vm_reads(stats: &katapult_sim::Stats) -> u64 {
    stats
        .requests
        .iter()
        .filter(|(route, _)| {
            route.starts_with("GET /virtual_machines/") && !route.contains("build")
        })
        .map(|(_, count)| count)
        .sum()
}

fn per_minute(before: &katapult_sim::Stats, after: &katapult_sim::Stats) -> BTreeMap<String, u64> {
    after
        .requests_per_minute
        .iter()
        .map(|(minute, count)| {
            let earlier = before.requests_per_minute.get(minute).copied().unwrap_or(0);
            (minute.clone(), count - earlier)
        })
        .filter(|(_, count)| *count > 0)
        .collect()
}

/// What was planted: the findings expected (kind, VM) and the other installation's VM.
struct Planted {
    findings: Vec<(String, String)>,
    theirs: String,
    orphans: u64,
}

/// 1,000 Active services with their VMs (5 clients, a managed organization each), then drift:
/// 5 VMs deleted, 3 services suspended with their VMs running, 2 services' links lost, and a VM
/// of another installation.
fn seed(db: &Sqlite, host: &MemoryHost, url: &str) -> Planted {
    db.execute("CREATE TABLE tblproducts (id INTEGER PRIMARY KEY, servertype TEXT NOT NULL, configoption1 TEXT NOT NULL DEFAULT '')", &[]).unwrap();
    db.execute("CREATE TABLE tblhosting (id INTEGER PRIMARY KEY, userid INTEGER NOT NULL, packageid INTEGER NOT NULL, domainstatus TEXT NOT NULL, domain TEXT NOT NULL DEFAULT '', dedicatedip TEXT NOT NULL DEFAULT '', assignedips TEXT NOT NULL DEFAULT '', username TEXT NOT NULL DEFAULT '', password TEXT NOT NULL DEFAULT '')", &[]).unwrap();
    db.execute(
        "INSERT INTO tblproducts (id, servertype, configoption1) VALUES (1, 'katapult', 'rock-3')",
        &[],
    )
    .unwrap();
    support::set_api_key(db, host, "sim-token");
    let store = DataStore::open(db).unwrap();
    let installation = ModuleSettings::new(&store, host)
        .installation_id(chrono::Utc::now())
        .unwrap();
    let seeders: Vec<Client> = (0..SEED_TOKENS)
        .map(|i| Client::new(ApiSettings::new(url, ApiToken::new(format!("seed-{i}")))).unwrap())
        .collect();
    let parent = OrganizationRef::Id(seeders[0].organizations().unwrap()[0].id.clone());
    let organizations: Vec<String> = (1..=CLIENTS)
        .map(|client| {
            let organization = seeders[0]
                .create_managed_organization(
                    &parent,
                    &NewManagedOrganization {
                        name: format!("Client {client}"),
                        sub_domain: format!("drift-client-{client}"),
                        annotations: vec![],
                    },
                )
                .unwrap();
            store
                .set_text(
                    Owner::Client(client),
                    "managed_org_id",
                    &organization.id,
                    Some(&organization.id),
                    chrono::Utc::now(),
                )
                .unwrap();
            organization.id
        })
        .collect();
    let build = |seeder: &Client, organization: &str, hostname: String, annotation: String| {
        seeder
            .build_virtual_machine(&BuildRequest {
                organization: OrganizationRef::Id(organization.to_string()),
                package: PackageRef::from("rock-3"),
                data_center: DataCenterRef::from("uk-lon-01"),
                disk_template: Some(DiskTemplateRef::from("templates/ubuntu-22-04")),
                disk_template_options: vec![],
                system_disk_size_in_gb: None,
                hostname: Some(hostname),
                annotations: vec![Annotation::new("whmcs_service_id", annotation)],
            })
            .unwrap()
            .0
            .id
    };
    let builds: Vec<(u64, String)> = (1..=SERVICES)
        .map(|service| {
            let seeder = &seeders[service as usize % SEED_TOKENS];
            let organization = &organizations[(service % CLIENTS) as usize];
            (
                service,
                build(
                    seeder,
                    organization,
                    format!("svc-{service}"),
                    format!("{installation}/{service}"),
                ),
            )
        })
        .collect();
    let theirs_build = build(
        &seeders[0],
        &organizations[0],
        "theirs".into(),
        "another-installation/7".into(),
    );
    let vm_of_build = |seeder: &Client, build_id: &str| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let build = seeder
                .virtual_machine_build(&BuildRef::Id(build_id.to_string()))
                .unwrap();
            if let (katapult::api::builds::BuildState::Complete, Some(vm)) =
                (build.state, build.virtual_machine)
            {
                return vm.id;
            }
            assert!(Instant::now() < deadline, "build {build_id} did not finish");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    for (service, build_id) in &builds {
        let seeder = &seeders[*service as usize % SEED_TOKENS];
        let vm = seeder
            .virtual_machine(&VirtualMachineRef::Id(vm_of_build(seeder, build_id)))
            .unwrap()
            .virtual_machine;
        let fields = HostingFields::of(&vm);
        db.execute(
            "INSERT INTO tblhosting (id, userid, packageid, domainstatus, domain, dedicatedip, assignedips, username) VALUES (?, ?, 1, 'Active', ?, ?, ?, 'root')",
            &[SqlValue::Int(*service as i64), SqlValue::Int((*service % CLIENTS + 1) as i64), fields.domain.as_str().into(), fields.dedicated_ip.as_str().into(), fields.assigned_ips.as_str().into()],
        )
        .unwrap();
        store
            .set_text(
                Owner::Service(*service),
                "vm_id",
                &vm.id,
                Some(&vm.id),
                chrono::Utc::now(),
            )
            .unwrap();
    }
    let theirs = vm_of_build(&seeders[0], &theirs_build);
    let vm = |service: u64| {
        store
            .get_text(Owner::Service(service), "vm_id")
            .unwrap()
            .unwrap()
    };
    let mut findings = Vec::new();
    for service in [10, 200, 420, 777, 999] {
        seeders[1]
            .delete_virtual_machine(&VirtualMachineRef::Id(vm(service)))
            .unwrap();
        findings.push((drift::VM_MISSING.to_string(), vm(service)));
    }
    for service in [3, 333, 901] {
        db.execute(
            "UPDATE tblhosting SET domainstatus = 'Suspended' WHERE id = ?",
            &[SqlValue::Int(service)],
        )
        .unwrap();
        findings.push((drift::VM_RUNNING.to_string(), vm(service as u64)));
    }
    for service in [50, 650] {
        findings.push((drift::ORPHAN.to_string(), vm(service)));
        store.delete_all(Owner::Service(service)).unwrap();
    }
    Planted {
        findings,
        theirs,
        orphans: 2,
    }
}
