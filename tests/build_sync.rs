//! The build sync against the simulator, on a real SQLite with WHMCS's tblhosting.

mod support;

use std::time::Duration;

use chrono::Utc;
use katapult::api::virtual_machines::{VirtualMachine, VirtualMachineRef, VirtualMachineState};
use katapult::api::{ApiSettings, ApiToken, Client};
use katapult::module::create_account::create_account;
use katapult::module::terminate_account::terminate_account;
use katapult::service::build_sync::{
    sync_builds, SyncReport, BUILD_TIMEOUT, HOOK_BUILT, HOOK_TIMED_OUT, MAX_CONCURRENCY,
};
use katapult::service::context::Context;
use katapult::service::host::{Host, HostError};
use katapult::service::links::{
    ServiceLinks, VM_BUILD_ID, VM_BUILD_STARTED_AT, VM_BUILT_ANNOUNCEMENT_DUE, WELCOME_EMAIL_HELD,
};
use katapult::service::params::ServiceParams;
use katapult::store::locks::Locks;
use katapult::store::{DataStore, Owner, Sql, SqlValue};
use katapult_sim::{BuildSpeed, ErrorRule, Faults, SimConfig, Simulator};
use support::{database, MemoryHost, Sqlite};

/// A service's params as WHMCS passes them: the product's package, data center and template.
fn params(service_id: u64, client_id: u64) -> ServiceParams {
    ServiceParams {
        service_id,
        client_id,
        domain: format!("vm{service_id}.example.com"),
        config_options: ["rock-3", "uk-lon-01", "templates/ubuntu-22-04"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..ServiceParams::default()
    }
}

struct World {
    sim: Simulator,
    db: Sqlite,
    host: MemoryHost,
}

impl World {
    fn new(build_speed: BuildSpeed) -> Self {
        Self::with(SimConfig {
            build_speed,
            seed: 5,
            ..SimConfig::default()
        })
    }

    fn with(config: SimConfig) -> Self {
        let world = Self {
            sim: Simulator::start(config).unwrap(),
            db: database(),
            host: MemoryHost::new(),
        };
        support::create_tblhosting(&world.db);
        support::set_api_key(&world.db, &world.host, "sim-token");
        world
    }

    fn context(&self) -> Context<'_> {
        // Quick retries: the fault tests would otherwise wait out real back-off.
        let mut ctx = support::context(&self.db, &self.host, &self.sim.base_url());
        ctx.api.retry.base_delay = Duration::from_millis(10);
        ctx.api.retry.max_delay = Duration::from_millis(50);
        ctx
    }

    /// A service row and its CreateAccount.
    fn order(&self, service_id: u64, client_id: u64) {
        self.db
            .execute(
                "INSERT INTO tblhosting (id, userid, domain) VALUES (?, ?, ?)",
                &[
                    SqlValue::Int(service_id as i64),
                    SqlValue::Int(client_id as i64),
                    format!("vm{service_id}.example.com").into(),
                ],
            )
            .unwrap();
        assert_eq!(
            create_account(&self.context(), &params(service_id, client_id)),
            "success"
        );
    }

    fn sync(&self) -> SyncReport {
        self.sync_with(8)
    }

    fn sync_with(&self, concurrency: usize) -> SyncReport {
        sync_builds(&self.context(), concurrency, "test-run").unwrap()
    }

    fn sync_until_built(&self, count: usize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut built = 0;
        while built < count {
            assert!(
                std::time::Instant::now() < deadline,
                "only {built} of {count} built"
            );
            built += self.sync().built;
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A client of the simulator, to look at the VMs the module made.
    fn api(&self) -> Client {
        Client::new(ApiSettings::new(
            self.sim.base_url(),
            ApiToken::new("sim-token"),
        ))
        .unwrap()
    }

    fn vm(&self, vm_id: &str) -> VirtualMachine {
        self.api()
            .virtual_machine(&VirtualMachineRef::Id(vm_id.into()))
            .unwrap()
            .virtual_machine
    }

    fn wait_state(&self, vm_id: &str, wanted: VirtualMachineState) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while self.vm(vm_id).state != wanted {
            assert!(
                std::time::Instant::now() < deadline,
                "{vm_id} never reached {}",
                wanted.as_str()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Orders a service, runs the cron until its VM is built and started; the VM's id.
    fn running_vm(&self, service_id: u64, client_id: u64) -> String {
        self.order(service_id, client_id);
        self.sync_until_built(1);
        let vm_id = ServiceLinks::read(&DataStore::open(&self.db).unwrap(), service_id)
            .unwrap()
            .vm_id
            .unwrap();
        self.wait_state(&vm_id, VirtualMachineState::Started);
        vm_id
    }

    fn hooks(&self, name: &str) -> Vec<u64> {
        self.host
            .hooks_fired
            .borrow()
            .iter()
            .filter(|(hook, _)| hook == name)
            .map(|(_, id)| *id)
            .collect()
    }

    fn hosting(&self, service_id: u64) -> Vec<SqlValue> {
        self.db.query("SELECT domain, dedicatedip, assignedips, username, password FROM tblhosting WHERE id = ?", &[SqlValue::Int(service_id as i64)]).unwrap().remove(0)
    }
}

#[test]
fn a_finished_build_is_written_into_whmcs_once() {
    // IPv6 only when the simulator is asked for it, as on Katapult.
    let world = World::with(SimConfig {
        build_speed: BuildSpeed::Fast,
        ipv6: true,
        seed: 5,
        ..SimConfig::default()
    });
    world.order(1, 10);
    world.sync_until_built(1);

    let links = ServiceLinks::read(&DataStore::open(&world.db).unwrap(), 1).unwrap();
    let vm_id = links.vm_id.expect("the VM id is recorded");
    let row = world.hosting(1);
    let text = |i: usize| row[i].as_text().unwrap().to_string();
    assert!(
        text(0).starts_with("vm1-example-com.") && text(0).ends_with(".katapult.cloud"),
        "{row:?}"
    );
    assert!(text(1).parse::<std::net::Ipv4Addr>().is_ok(), "{row:?}");
    assert!(
        text(2).contains(':'),
        "the IPv6 address is an assigned IP: {row:?}"
    );
    assert_eq!(text(3), "root");
    let password = world.host.whmcs_decrypt_for_test(&text(4));
    assert!(
        password.len() >= 12,
        "the initial root password, encrypted by WHMCS"
    );
    assert_eq!(world.hooks(HOOK_BUILT), vec![1]);
    assert!(world
        .host
        .activity
        .borrow()
        .iter()
        .any(
            |(line, client)| line.contains(&format!("VM {vm_id} is built")) && *client == Some(10)
        ));

    assert_eq!(
        world.sync(),
        SyncReport::default(),
        "nothing left to do, and nothing logged"
    );
    assert_eq!(world.hooks(HOOK_BUILT), vec![1]);
}

/// The state a run killed after writing the VM in leaves behind: the VM and its fields are in
/// WHMCS, the announcement is due, the welcome email still held.
#[test]
fn a_vm_a_killed_run_left_unannounced_is_announced_once_by_the_next() {
    let world = World::new(BuildSpeed::Fast);
    world.order(11, 110);
    world.sync_until_built(1);
    let store = DataStore::open(&world.db).unwrap();
    let service = Owner::Service(11);
    store
        .set_time(service, VM_BUILT_ANNOUNCEMENT_DUE, Utc::now(), Utc::now())
        .unwrap();
    store
        .set_text(
            service,
            WELCOME_EMAIL_HELD,
            "Hosting Account Welcome Email",
            None,
            Utc::now(),
        )
        .unwrap();
    world.host.hooks_fired.borrow_mut().clear();

    let report = world.sync();
    assert_eq!((report.resumed, report.built, report.errors), (1, 0, 0));
    assert_eq!(world.hooks(HOOK_BUILT), vec![11]);
    assert_eq!(
        *world.host.emails_sent.borrow(),
        vec![("Hosting Account Welcome Email".to_string(), 11)]
    );
    let links = ServiceLinks::read(&store, 11).unwrap();
    assert!(links.vm_built_announcement_due.is_none());

    assert_eq!(world.sync(), SyncReport::default(), "announced once");
    assert_eq!(world.hooks(HOOK_BUILT), vec![11]);
    assert_eq!(world.host.emails_sent.borrow().len(), 1);
}

/// WHMCS as `MemoryHost`, but the first Built hook runs another cron (a fresh one) before it
/// returns: the fresh run meets the first one in the middle of its announcements.
struct FreshRunDuringBuilt<'a> {
    world: &'a World,
    fresh: std::cell::Cell<Option<SyncReport>>,
    ran: std::cell::Cell<bool>,
}

impl Host for FreshRunDuringBuilt<'_> {
    fn log_activity(&self, message: &str, client_id: Option<u64>) {
        self.world.host.log_activity(message, client_id)
    }
    fn log_module_call(&self, action: &str, request: &str, response: &str, scrub: &[&str]) {
        self.world
            .host
            .log_module_call(action, request, response, scrub)
    }
    fn fire_hook(&self, name: &str, service_id: u64) -> Result<(), HostError> {
        self.world.host.fire_hook(name, service_id)?;
        if name == HOOK_BUILT && !self.ran.replace(true) {
            self.fresh.set(Some(
                sync_builds(&self.world.context(), 8, "fresh-run").unwrap(),
            ));
        }
        Ok(())
    }
    fn send_email(&self, template: &str, service_id: u64) -> Result<(), HostError> {
        self.world.host.send_email(template, service_id)
    }
    fn module_command(&self, command: &str, service_id: u64) -> Result<(), HostError> {
        self.world.host.module_command(command, service_id)
    }
    fn whmcs_encrypt(&self, value: &str) -> Result<String, HostError> {
        Host::whmcs_encrypt(&self.world.host, value)
    }
    fn whmcs_decrypt(&self, value: &str) -> Result<String, HostError> {
        self.world.host.whmcs_decrypt(value)
    }
    fn installation_secret(&self) -> Result<String, HostError> {
        self.world.host.installation_secret()
    }
}

/// A cron run that started 6 minutes ago (a slow one) still holds its claims for their whole
/// time from when it writes them: a fresh run beside it leaves its VMs alone, and each VM is
/// announced once.
#[test]
fn a_cron_that_started_long_ago_and_a_fresh_one_announce_each_vm_once() {
    let world = World::new(BuildSpeed::Fast);
    for service in 1..=3 {
        world.order(service, 10 * service);
    }
    std::thread::sleep(Duration::from_millis(1500)); // the simulator's fast builds complete
    let beside = FreshRunDuringBuilt {
        world: &world,
        fresh: std::cell::Cell::new(None),
        ran: std::cell::Cell::new(false),
    };
    let started_long_ago = Context::new(
        &world.db,
        &beside,
        world.context().api,
        Utc::now() - chrono::Duration::minutes(6),
    );

    let slow = sync_builds(&started_long_ago, 1, "slow-run").unwrap();
    let fresh = beside
        .fresh
        .take()
        .expect("the fresh run ran during a Built hook");
    assert_eq!(slow.built + fresh.built, 3, "{slow:?} {fresh:?}");
    assert_eq!(fresh.resumed, 0, "{fresh:?}: nothing announced twice");
    let mut built = world.hooks(HOOK_BUILT);
    built.sort_unstable();
    assert_eq!(built, vec![1, 2, 3], "each VM's Built hook fired once");
    assert_eq!(world.sync(), SyncReport::default());
}

/// CreateAccount's build request reached Katapult but its answer was lost: nothing recorded.
/// Pressing Create again writes the finished VM in, as the build sync would have.
#[test]
fn create_again_writes_in_a_vm_whose_build_answer_was_lost() {
    let world = World::new(BuildSpeed::Fast);
    world.order(12, 120);
    let store = DataStore::open(&world.db).unwrap();
    for key in [VM_BUILD_ID, VM_BUILD_STARTED_AT] {
        store.delete(Owner::Service(12), key).unwrap();
    }
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        create_account(&world.context(), &params(12, 120)),
        "success"
    );

    let links = ServiceLinks::read(&store, 12).unwrap();
    assert!(links.vm_id.is_some() && links.vm_built_announcement_due.is_none());
    let row = world.hosting(12);
    assert!(
        row[1]
            .as_text()
            .unwrap()
            .parse::<std::net::Ipv4Addr>()
            .is_ok(),
        "{row:?}"
    );
    assert_eq!(row[3].as_text(), Some("root"));
    assert_eq!(world.hooks(HOOK_BUILT), vec![12]);
    assert_eq!(world.sim.stats().builds_created, 1, "built once");
    assert_eq!(world.sync(), SyncReport::default());
}

#[test]
fn the_timeout_hook_fires_once_and_checking_goes_on() {
    let world = World::new(BuildSpeed::OnPoll(1000));
    world.order(2, 20);
    let store = DataStore::open(&world.db).unwrap();
    let long_ago = Utc::now() - BUILD_TIMEOUT - chrono::Duration::minutes(1);
    store
        .set_time(Owner::Service(2), VM_BUILD_STARTED_AT, long_ago, Utc::now())
        .unwrap();
    let first = world.sync();
    assert_eq!((first.timed_out, first.still_building), (1, 1));
    let second = world.sync();
    assert_eq!((second.timed_out, second.still_building), (0, 1));
    assert_eq!(world.hooks(HOOK_TIMED_OUT), vec![2]);
    let links = ServiceLinks::read(&store, 2).unwrap();
    assert!(links.vm_build_timeout_reached_at.is_some() && links.build_pending());
}

#[test]
fn a_build_claimed_by_another_run_is_left_to_it() {
    let world = World::new(BuildSpeed::Fast);
    world.order(3, 30);
    let other_run = Locks::open(&world.db, "other-run").unwrap();
    assert!(other_run
        .try_claim("build-sync:service:3", chrono::Duration::minutes(5))
        .unwrap());
    std::thread::sleep(Duration::from_millis(800));
    for _ in 0..3 {
        assert_eq!(world.sync().built, 0, "the other run holds the claim");
    }
    assert!(world.hooks(HOOK_BUILT).is_empty());
    other_run.release("build-sync:service:3").unwrap();
    world.sync_until_built(1);
    assert_eq!(world.hooks(HOOK_BUILT), vec![3]);
}

#[test]
fn api_faults_are_logged_and_the_next_run_completes() {
    let world = World::new(BuildSpeed::Fast);
    world.order(4, 40);
    std::thread::sleep(Duration::from_millis(800));
    world.sim.set_faults(Faults {
        errors: vec![ErrorRule {
            endpoint: "GET /virtual_machines/builds/*".into(),
            probability: 1.0,
            status: 503,
        }],
        ..Faults::default()
    });
    let failing = world.sync();
    assert_eq!((failing.errors, failing.built), (1, 0));
    assert!(world
        .host
        .activity
        .borrow()
        .iter()
        .any(|(line, _)| line.contains("could not check build")
            && line.contains("service_unavailable")));
    world.sim.set_faults(Faults::default());
    world.sync_until_built(1);
}

#[test]
fn a_run_stops_when_the_rate_limit_runs_low_and_the_next_finishes_the_rest() {
    // 150 builds need 300 requests; the sync's key may make 200 a minute, of which it leaves 20
    // (10%) unspent. (The orders use other keys, so the sync has its whole budget.) The whole
    // pool checks at once: 64 checks in flight could spend 128 requests after the last answer.
    let setup_keys = ["setup-0", "setup-1", "setup-2", "setup-3", "setup-4"];
    let world = World::with(SimConfig {
        build_speed: BuildSpeed::Fast,
        seed: 8,
        rate_limit_per_minute: 200,
        tokens: ["sim-token", "next-window"]
            .iter()
            .chain(&setup_keys)
            .map(|key| key.to_string())
            .collect(),
        ..SimConfig::default()
    });
    for service in 1..=150 {
        support::set_api_key(&world.db, &world.host, setup_keys[service as usize % 5]);
        world.order(service, 1000 + service);
    }
    support::set_api_key(&world.db, &world.host, "sim-token");
    std::thread::sleep(Duration::from_millis(1500)); // the simulator's fast builds finish

    let before = world.sim.stats().total_requests;
    let first = world.sync_with(MAX_CONCURRENCY);
    let sent = world.sim.stats().total_requests - before;
    // The reserve is kept, and the run spends the rest of the budget.
    assert!((170..=180).contains(&sent), "{sent} requests: {first:?}");
    assert!(first.deferred > 0, "{first:?}");
    assert_eq!(
        first.built + first.still_building + first.deferred,
        150,
        "{first:?}"
    );
    assert_eq!(first.errors, 0, "no build is given up on a 429: {first:?}");
    let stats = world.sim.stats();
    assert_eq!(
        stats.responses_by_status.get(&429),
        None,
        "the run stopped before the limit: {stats:?}"
    );

    // The next run, in a fresh rate-limit window (here: a key with its own budget), checks the rest.
    support::set_api_key(&world.db, &world.host, "next-window");
    let second = world.sync();
    assert_eq!(first.built + second.built, 150, "{second:?}");
    assert_eq!(world.hooks("KatapultVirtualMachineBuilt").len(), 150);
}

#[test]
fn many_builds_are_checked_at_once_and_each_persisted_once() {
    let world = World::new(BuildSpeed::Fast);
    for service_id in 100..140 {
        world.order(service_id, service_id % 7 + 1);
    }
    world.sync_until_built(40);
    let mut built = world.hooks(HOOK_BUILT);
    built.sort_unstable();
    assert_eq!(built, (100..140).collect::<Vec<_>>());
    assert!(world
        .sim
        .stats()
        .builds_by_whmcs_service_id
        .values()
        .all(|n| *n == 1));
    assert!(
        !world.host.module_log.borrow().is_empty(),
        "the checks made on worker threads are in the module log"
    );
}

mod lifecycle {
    use super::*;
    use katapult::api::virtual_machines::PowerAction;
    use katapult::module::power_buttons::power;
    use katapult::module::single_sign_on::{single_sign_on, SingleSignOn};
    use katapult::module::suspend_account::suspend_account;
    use katapult::module::terminate_account::terminate_account;
    use katapult::module::unsuspend_account::unsuspend_account;

    fn params(service_id: u64, client_id: u64) -> ServiceParams {
        ServiceParams {
            service_id,
            client_id,
            ..ServiceParams::default()
        }
    }

    #[test]
    fn suspend_unsuspend_power_console_and_terminate() {
        let world = World::new(BuildSpeed::Fast);
        let vm = world.running_vm(7, 70);
        let ctx = world.context();

        assert_eq!(
            suspend_account(&ctx, &params(7, 70), Duration::from_secs(10)),
            "success"
        );
        assert_eq!(world.vm(&vm).state, VirtualMachineState::Stopped);
        assert_eq!(
            suspend_account(&ctx, &params(7, 70), Duration::from_secs(10)),
            "success",
            "suspending a stopped VM is fine"
        );
        assert!(
            matches!(single_sign_on(&ctx, &params(7, 70), None), SingleSignOn::Failed(m) if m.contains("the VM is not running yet"))
        );

        assert_eq!(unsuspend_account(&ctx, &params(7, 70)), "success");
        world.wait_state(&vm, VirtualMachineState::Started);
        assert!(
            matches!(single_sign_on(&ctx, &params(7, 70), None), SingleSignOn::RedirectTo(url) if url.starts_with(&world.sim.root_url()))
        );

        assert_eq!(
            power(&ctx, &params(7, 70), PowerAction::Reset, None),
            "success"
        );
        assert!(world
            .host
            .activity
            .borrow()
            .iter()
            .any(
                |(line, client)| line.contains("Service ID 7: reset requested")
                    && *client == Some(70)
            ));

        assert_eq!(terminate_account(&ctx, &params(7, 70)), "success");
        assert!(world
            .api()
            .virtual_machine(&VirtualMachineRef::Id(vm.clone()))
            .unwrap_err()
            .is_in_trash());
        assert_eq!(
            ServiceLinks::read(&DataStore::open(&world.db).unwrap(), 7).unwrap(),
            ServiceLinks::default()
        );
        assert_eq!(
            terminate_account(&ctx, &params(7, 70)),
            "success",
            "terminating twice is fine"
        );
        assert_eq!(
            unsuspend_account(&ctx, &params(7, 70)),
            "This service has no Katapult VM: it was never created (press Create)."
        );
    }

    #[test]
    fn a_service_still_building_says_so() {
        let world = World::new(BuildSpeed::OnPoll(1000));
        world.order(8, 80);
        let ctx = world.context();
        let pending = suspend_account(&ctx, &params(8, 80), Duration::from_secs(1));
        assert!(
            pending.starts_with("The VM is still being built (vmbuild_"),
            "{pending}"
        );
        let terminate = terminate_account(&ctx, &params(8, 80));
        assert!(
            terminate.starts_with("The VM is still being built"),
            "{terminate}"
        );
        assert!(
            matches!(single_sign_on(&ctx, &params(8, 80), None), SingleSignOn::Failed(m) if m.starts_with("The VM is still being built"))
        );
    }
}

mod change_package {
    use super::*;
    use katapult::module::change_package::change_package;

    fn params(service_id: u64, package: &str) -> ServiceParams {
        ServiceParams {
            service_id,
            client_id: 90,
            config_options: vec![package.to_string()],
            ..ServiceParams::default()
        }
    }

    #[test]
    fn upgrades_online_and_downgrades_through_a_stop() {
        let world = World::new(BuildSpeed::Fast);
        let vm_id = world.running_vm(9, 90);
        let vm = || world.vm(&vm_id);
        let ctx = world.context();

        assert_eq!(
            change_package(&ctx, &params(9, "rock-6"), Duration::from_secs(10)),
            "success"
        );
        assert_eq!(vm().package.unwrap().permalink.as_deref(), Some("rock-6"));
        assert_eq!(
            change_package(&ctx, &params(9, "rock-6"), Duration::from_secs(10)),
            "success",
            "already there"
        );

        assert_eq!(
            change_package(&ctx, &params(9, "rock-1"), Duration::from_secs(10)),
            "success"
        );
        assert_eq!(vm().package.unwrap().permalink.as_deref(), Some("rock-1"));
        assert!(world.host.activity.borrow().iter().any(|(line, _)| line
            .contains("rock-6 → rock-1 (the VM was stopped for the downgrade and started again)")));
        world.wait_state(&vm_id, VirtualMachineState::Started); // started again after the downgrade

        let unknown = change_package(&ctx, &params(9, "rock-9000"), Duration::from_secs(10));
        assert!(
            unknown.starts_with(
                "Katapult: the VM's package was not changed: Katapult API error package_not_found"
            ),
            "{unknown}"
        );
    }

    #[test]
    fn a_failed_downgrade_starts_the_vm_again() {
        let world = World::new(BuildSpeed::Fast);
        let vm_id = world.running_vm(12, 90);
        let ctx = world.context();
        world.sim.set_faults(Faults {
            errors: vec![ErrorRule {
                endpoint: "PUT /virtual_machines/*/package".into(),
                probability: 1.0,
                status: 500,
            }],
            ..Faults::default()
        });
        let failed = change_package(&ctx, &params(12, "rock-1"), Duration::from_secs(10));
        assert!(
            failed.starts_with("Katapult: the VM's package was not changed"),
            "{failed}"
        );
        world.sim.set_faults(Faults::default());
        world.wait_state(&vm_id, VirtualMachineState::Started);
        assert_eq!(
            world.vm(&vm_id).package.unwrap().permalink.as_deref(),
            Some("rock-3")
        );
        assert!(world
            .host
            .activity
            .borrow()
            .iter()
            .any(|(line, _)| line.contains("rock-3 → rock-1 failed")
                && line.contains("the VM, stopped for it, was started again")));
    }
}

/// The service's links as stored.
fn links(world: &World, service_id: u64) -> ServiceLinks {
    ServiceLinks::read(&DataStore::open(&world.db).unwrap(), service_id).unwrap()
}

/// Polls the service's build until Katapult shows a VM for it (while still `building`).
fn vm_of_build(world: &World, service_id: u64) -> (String, String) {
    let build_id = links(world, service_id).vm_build_id.expect("a build");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let build = world
            .api()
            .virtual_machine_build(&katapult::api::builds::BuildRef::Id(build_id.clone()))
            .unwrap();
        if let Some(vm) = build.virtual_machine {
            return (vm.id, build.state.as_str().to_string());
        }
        assert!(std::time::Instant::now() < deadline, "no VM for {build_id}");
    }
}

fn in_trash(world: &World, vm_id: &str) -> bool {
    world
        .api()
        .virtual_machine(&VirtualMachineRef::Id(vm_id.into()))
        .unwrap_err()
        .is_in_trash()
}

#[test]
fn terminate_during_a_build_deletes_the_vm_the_build_made() {
    // Polls decide: the VM appears halfway through `building`, long before `complete`.
    let world = World::new(BuildSpeed::OnPoll(20));
    world.order(1, 10);
    let (vm_id, build_state) = vm_of_build(&world, 1);
    assert_eq!(build_state, "building");
    assert_eq!(
        terminate_account(&world.context(), &params(1, 10)),
        "success"
    );
    assert!(in_trash(&world, &vm_id), "{vm_id} was left running");
    assert_eq!(links(&world, 1).vm_build_id, None);
}

#[test]
fn terminate_on_an_unlisted_pending_build_keeps_the_links() {
    let world = World::new(BuildSpeed::Fast);
    world.order(1, 10);
    // A build Katapult has accepted but does not list (yet).
    let store = DataStore::open(&world.db).unwrap();
    store
        .set_text(
            Owner::Service(1),
            VM_BUILD_ID,
            "vmbuild_notlistedyet01",
            Some("vmbuild_notlistedyet01"),
            Utc::now(),
        )
        .unwrap();
    let said = terminate_account(&world.context(), &params(1, 10));
    assert!(said.contains("try again in a minute"), "{said}");
    assert_eq!(
        links(&world, 1).vm_build_id.as_deref(),
        Some("vmbuild_notlistedyet01")
    );
}

#[test]
fn a_failed_build_that_left_a_vm_is_rebuilt_once_and_the_old_vm_is_gone() {
    let world = World::new(BuildSpeed::Fast);
    world.sim.set_fail_builds_after_vm(1);
    world.order(1, 10);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while world.sync().failed == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the build never failed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (left_vm, build_state) = vm_of_build(&world, 1);
    assert_eq!(build_state, "failed");
    assert_eq!(create_account(&world.context(), &params(1, 10)), "success");
    assert!(in_trash(&world, &left_vm), "the failed build's VM is left");
    world.sync_until_built(1);
    let built = links(&world, 1).vm_id.expect("the new VM");
    assert_ne!(built, left_vm);
    assert_eq!(world.sim.stats().builds_created, 2, "rebuilt once");
}

#[test]
fn a_wrong_api_path_never_clears_links() {
    let world = World::new(BuildSpeed::Fast);
    world.order(1, 10);
    world.sync_until_built(1);
    let vm_id = links(&world, 1).vm_id.expect("built");
    // A mistyped katapult.api_url (the version twice): the API answers route_not_found.
    let mut wrong = world.context();
    wrong.api.base_url = format!("{}/v1", world.sim.base_url());
    let said = terminate_account(&wrong, &params(1, 10));
    assert!(said.contains("katapult.api_url"), "{said}");
    assert!(!said.contains("already deleted"), "{said}");
    assert_eq!(links(&world, 1).vm_id.as_deref(), Some(vm_id.as_str()));
    assert!(
        world
            .api()
            .virtual_machine(&VirtualMachineRef::Id(vm_id.clone()))
            .is_ok(),
        "the VM is still there, out of the trash"
    );

    // A pending build is not taken for gone either: the cron reports the error, links kept.
    world.order(2, 10);
    let report = sync_builds(&wrong, 8, "wrong-path").unwrap();
    assert_eq!((report.errors, report.failed), (1, 0), "{report:?}");
    assert!(links(&world, 2).build_pending());
}

#[test]
fn the_cron_waits_a_429_out_and_completes_after_the_minute_turns() {
    let world = World::new(BuildSpeed::Fast);
    world.order(1, 10);
    std::thread::sleep(Duration::from_secs(1));
    // Two seconds before the minute turns, another user of the token spends the budget.
    let turn = katapult_sim::minute_start() + 60.0;
    world.sim.set_clock(turn - 2.0);
    world.sim.spend_rate_limit("sim-token", 1000);
    let report = world.sync();
    assert_eq!(report.built, 1, "{report:?}");
    assert_eq!(report.errors, 0, "{report:?}");
    let stats = world.sim.stats();
    assert!(
        stats.responses_by_status.get(&429).copied().unwrap_or(0) >= 1,
        "the run met the spent budget: {stats:?}"
    );
}

#[test]
fn the_apis_own_sentence_reaches_the_admin_when_a_disk_is_below_the_templates_minimum() {
    let world = World::new(BuildSpeed::Fast);
    world
        .db
        .execute(
            "INSERT INTO tblhosting (id, userid, domain) VALUES (1, 10, 'small.example.com')",
            &[],
        )
        .unwrap();
    let mut small = params(1, 10);
    small.domain = "small.example.com".into();
    small.config_options = ["rock-1", "uk-lon-01", "templates/ubuntu-20-04"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let said = create_account(&world.context(), &small);
    assert!(
        said.contains("First system disk must be greater than 50GB (required for Ubuntu 20.04)"),
        "{said}"
    );
    assert_eq!(links(&world, 1).vm_build_id, None, "nothing recorded");
}

/// A proxy in front of the simulator that drops the annotation filter from the organization's VM
/// list, as an API (or a proxy) that ignored it would; everything else passes through.
fn filter_dropping_proxy(upstream_root: String) -> String {
    let http = reqwest::blocking::Client::new();
    let root = support::loopback_http::serve(move |request| {
        let target = match request.target.split_once('?') {
            Some((path, query)) if path.ends_with("/virtual_machines") => {
                let kept: Vec<_> = query
                    .split('&')
                    .filter(|p| !p.starts_with("annotations"))
                    .collect();
                format!("{path}?{}", kept.join("&"))
            }
            _ => request.target.clone(),
        };
        let mut forwarded = http.request(
            request.method.parse().unwrap(),
            format!("{upstream_root}{target}"),
        );
        for (name, value) in &request.headers {
            if matches!(name.as_str(), "authorization" | "content-type") {
                forwarded = forwarded.header(name, value);
            }
        }
        let answer = forwarded.body(request.body).send().unwrap();
        (answer.status().as_u16(), answer.bytes().unwrap().to_vec())
    });
    format!("{root}/core/v1")
}

#[test]
fn a_foreign_vm_with_a_near_miss_annotation_is_never_adopted() {
    let world = World::new(BuildSpeed::Fast);
    // The client's organization holds service 2's VM, and one whose mark nearly is service 1's.
    world.order(2, 10);
    world.sync_until_built(1);
    let store = DataStore::open(&world.db).unwrap();
    let organization = store
        .get_text(Owner::Client(10), "managed_org_id")
        .unwrap()
        .unwrap();
    let service_2_vm = links(&world, 2).vm_id.unwrap();
    let mark_2 = world
        .api()
        .virtual_machine(&VirtualMachineRef::Id(service_2_vm))
        .unwrap()
        .annotations
        .remove(0);
    let near_miss = mark_2.value.replace("/2", "/10");
    let (build, _) = world
        .api()
        .build_virtual_machine(&katapult::api::builds::BuildRequest {
            organization: katapult::api::organizations::OrganizationRef::Id(organization),
            package: "rock-3".into(),
            data_center: "uk-lon-01".into(),
            disk_template: Some("templates/ubuntu-22-04".into()),
            disk_template_options: vec![],
            system_disk_size_in_gb: None,
            hostname: Some("foreign".into()),
            annotations: vec![katapult::api::Annotation::new(&mark_2.key, near_miss)],
        })
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while world
        .api()
        .virtual_machine_build(&katapult::api::builds::BuildRef::Id(build.id.clone()))
        .unwrap()
        .state
        != katapult::api::builds::BuildState::Complete
    {
        assert!(std::time::Instant::now() < deadline, "never built");
        std::thread::sleep(Duration::from_millis(50));
    }

    // The server's filter is lost on the way: both VMs are listed for service 1.
    world
        .db
        .execute(
            "INSERT INTO tblhosting (id, userid, domain) VALUES (1, 10, 'vm1.example.com')",
            &[],
        )
        .unwrap();
    let mut through_proxy = world.context();
    through_proxy.api.base_url = filter_dropping_proxy(world.sim.root_url());
    assert_eq!(create_account(&through_proxy, &params(1, 10)), "success");
    let linked = links(&world, 1);
    assert_eq!(linked.vm_id, None, "a foreign VM was adopted");
    assert!(linked.vm_build_id.is_some(), "a build of its own");
}
