//! The typed client driven through a VM's whole life on the project's Katapult simulator, over
//! HTTPS with the simulator's own CA, and again with faults injected: every call ends in a
//! result or a typed error (after retries where retrying is harmless), never a panic.

use std::time::{Duration, Instant};

use katapult::api::builds::{BuildRef, BuildRequest, BuildState, VirtualMachineBuild};
use katapult::api::data_centers::DataCenterRef;
use katapult::api::disk_backup_policies::{DailyBackups, DiskBackupPolicyRef};
use katapult::api::disk_templates::DiskTemplateRef;
use katapult::api::ip_addresses::IpAddressRef;
use katapult::api::organizations::{NewManagedOrganization, Organization, OrganizationRef};
use katapult::api::packages::PackageRef;
use katapult::api::tasks::{Task, TaskRef, TaskStatus};
use katapult::api::trash_objects::TrashObjectRef;
use katapult::api::virtual_machines::{
    PowerAction, VirtualMachine, VirtualMachineRef, VirtualMachineResponse, VirtualMachineState,
};
use katapult::api::{Annotation, ApiError, ApiSettings, ApiToken, Client, RetryPolicy};
use katapult_sim::{BuildSpeed, ErrorRule, Faults, SimConfig, Simulator};

const TOKEN: &str = "sim-token";

fn start(tls: bool) -> Simulator {
    Simulator::start(SimConfig {
        tls,
        build_speed: BuildSpeed::Fast,
        seed: 7,
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

fn settings_for(sim: &Simulator) -> ApiSettings {
    let mut settings = ApiSettings::new(sim.base_url(), ApiToken::new(TOKEN));
    settings.timeout = Duration::from_secs(5);
    settings.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..RetryPolicy::default()
    };
    if let Some(pem) = sim.ca_pem() {
        let path = std::env::temp_dir().join(format!(
            "katapult-sim-ca-{}-{}.pem",
            std::process::id(),
            sim.root_url().len()
        ));
        std::fs::write(&path, pem).unwrap();
        settings.ca_file = Some(path);
    }
    settings
}

fn wait<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(done) = check() {
            return done;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_task(client: &Client, task: &Task) -> Task {
    wait(&format!("task {}", task.id), || {
        let task = client.task(&TaskRef::Id(task.id.clone())).unwrap();
        task.status.is_finished().then_some(task)
    })
}

fn vm(client: &Client, id: &str) -> VirtualMachine {
    client
        .virtual_machine(&VirtualMachineRef::Id(id.into()))
        .unwrap()
        .virtual_machine
}

fn wait_state(client: &Client, id: &str, state: VirtualMachineState) -> VirtualMachine {
    wait(&format!("{id} {}", state.as_str()), || {
        Some(vm(client, id)).filter(|v| v.state == state)
    })
}

/// The token's own (not managed) organization: the parent of managed ones.
fn parent_of(client: &Client) -> Organization {
    client
        .organizations()
        .unwrap()
        .into_iter()
        .find(|o| o.managed != Some(true))
        .expect("a parent organization")
}

fn managed_org(client: &Client, parent: &Organization, sub_domain: &str) -> Organization {
    let new = NewManagedOrganization {
        name: format!("Client {sub_domain}"),
        sub_domain: sub_domain.into(),
        annotations: vec![Annotation::new("whmcs_client_id", sub_domain)],
    };
    client
        .create_managed_organization(&OrganizationRef::Id(parent.id.clone()), &new)
        .unwrap()
}

fn build_request(org: &Organization, service_id: &str) -> BuildRequest {
    BuildRequest {
        organization: OrganizationRef::Id(org.id.clone()),
        package: PackageRef::Permalink("rock-3".into()),
        data_center: DataCenterRef::Permalink("uk-lon-01".into()),
        disk_template: Some(DiskTemplateRef::Permalink("templates/ubuntu-22-04".into())),
        disk_template_options: vec![],
        system_disk_size_in_gb: None,
        hostname: Some(format!("Web-{service_id}")),
        annotations: vec![Annotation::new("whmcs_service_id", service_id)],
    }
}

fn wait_build(client: &Client, build: &VirtualMachineBuild) -> VirtualMachineBuild {
    wait("the build", || {
        let build = client
            .virtual_machine_build(&BuildRef::Id(build.id.clone()))
            .unwrap();
        matches!(build.state, BuildState::Complete | BuildState::Failed).then_some(build)
    })
}

#[test]
fn a_vm_lives_its_whole_life_over_https() {
    let sim = start(true);
    let client = Client::new(settings_for(&sim)).unwrap();

    // Catalogue and parent organization.
    let parent = parent_of(&client);
    assert!(client
        .data_centers()
        .unwrap()
        .iter()
        .any(|dc| dc.permalink.as_deref() == Some("uk-lon-01")));
    let london = DataCenterRef::Permalink("uk-lon-01".into());
    assert_eq!(
        client.data_center(&london).unwrap().id,
        "loc_UUhPmoCbpic6UX0Y"
    );
    assert_eq!(
        client.default_network(&london).unwrap().id,
        "netw_gVRkZdSKczfNg34P"
    );
    assert!(
        client.virtual_machine_packages().unwrap().len() >= 20,
        "all packages, every page"
    );
    let templates = client
        .disk_templates(&OrganizationRef::Id(parent.id.clone()), true)
        .unwrap();
    assert!(templates
        .iter()
        .any(|t| t.permalink.as_deref() == Some("templates/ubuntu-22-04")));
    assert_eq!(
        client
            .organization(&OrganizationRef::Id(parent.id.clone()))
            .unwrap()
            .id,
        parent.id
    );

    // A managed organization, found again by its annotation.
    let org = managed_org(&client, &parent, "acme-client-1");
    let found = client
        .managed_organizations(
            &OrganizationRef::Id(parent.id.clone()),
            Some(&Annotation::new("whmcs_client_id", "acme-client-1")),
        )
        .unwrap();
    assert_eq!(
        found.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        vec![org.id.as_str()]
    );

    // Build.
    let (build, started) = client
        .build_virtual_machine(&build_request(&org, "101"))
        .unwrap();
    assert_eq!(
        started.hostname.as_deref(),
        Some("web-101"),
        "hostnames are lower-cased by Katapult"
    );
    let built = wait_build(&client, &build);
    assert_eq!(built.state, BuildState::Complete);
    let vm_id = built
        .virtual_machine
        .expect("a complete build names its VM")
        .id;
    let running = wait_state(&client, &vm_id, VirtualMachineState::Started);
    assert!(running
        .initial_root_password
        .as_ref()
        .is_some_and(|p| !p.expose().is_empty()));
    assert!(running.ip_addresses.iter().any(|ip| ip.is_ipv4()));
    let fqdn = running.fqdn.clone().expect("an FQDN");
    // Read as the API's JSON (as a page reads it), it decodes to the same VM, root password and
    // all; JSON of another shape is an invalid response, as from any other read.
    let (json, ()) =
        client.virtual_machine_json_meanwhile(&VirtualMachineRef::Id(vm_id.clone()), || ());
    let read = VirtualMachineResponse::from_json(json.unwrap().get()).unwrap();
    assert_eq!(read.virtual_machine, running);
    let other_shape = VirtualMachineResponse::from_json(r#"{"virtual_machine": "vm_1"}"#);
    assert_eq!(other_shape.unwrap_err().kind(), "invalid_response");
    assert_eq!(
        client
            .virtual_machine(&VirtualMachineRef::Fqdn(fqdn.clone()))
            .unwrap()
            .virtual_machine
            .id,
        vm_id
    );
    assert_eq!(
        client
            .virtual_machines(
                &OrganizationRef::Id(org.id.clone()),
                Some(&Annotation::new("whmcs_service_id", "101"))
            )
            .unwrap()
            .len(),
        1
    );

    // Power.
    let vm_ref = VirtualMachineRef::Id(vm_id.clone());
    assert_eq!(
        wait_task(&client, &client.power(&vm_ref, PowerAction::Stop).unwrap()).status,
        TaskStatus::Completed
    );
    wait_state(&client, &vm_id, VirtualMachineState::Stopped);
    let refused = client.create_console_session(&vm_ref).unwrap_err();
    assert_eq!(
        refused.code(),
        Some("virtual_machine_must_be_started"),
        "{refused}"
    );
    assert_eq!(refused.status(), Some(406));
    wait_task(&client, &client.power(&vm_ref, PowerAction::Start).unwrap());
    wait_state(&client, &vm_id, VirtualMachineState::Started);
    wait_task(&client, &client.power(&vm_ref, PowerAction::Reset).unwrap());
    wait_state(&client, &vm_id, VirtualMachineState::Started);

    // Console.
    let console = client.create_console_session(&vm_ref).unwrap();
    assert!(console.url.starts_with(&sim.root_url()), "{}", console.url);
    assert!(console.expires_at.is_some());

    // Change package: up while running; down only once stopped.
    wait_task(
        &client,
        &client
            .change_package(&vm_ref, &PackageRef::Permalink("rock-6".into()))
            .unwrap(),
    );
    assert_eq!(
        wait("rock-6", || Some(vm(&client, &vm_id))
            .filter(|v| v.cpu_cores == Some(2)))
        .memory_in_gb,
        Some(6)
    );
    let current = vm(&client, &vm_id).package.unwrap();
    let smaller = client
        .virtual_machine_package(&PackageRef::Permalink("rock-1".into()))
        .unwrap();
    assert!(current.is_downgrade_to(&smaller));
    assert!(
        client
            .change_package(&vm_ref, &PackageRef::Permalink("rock-1".into()))
            .is_err(),
        "a downgrade needs a stopped VM"
    );
    wait_task(
        &client,
        &client.power(&vm_ref, PowerAction::Shutdown).unwrap(),
    );
    wait_state(&client, &vm_id, VirtualMachineState::Stopped);
    wait_task(
        &client,
        &client
            .change_package(&vm_ref, &PackageRef::Permalink("rock-1".into()))
            .unwrap(),
    );
    wait("rock-1", || {
        Some(vm(&client, &vm_id)).filter(|v| v.memory_in_gb == Some(1))
    });

    // Reverse DNS and the organization's addresses.
    let ip = vm(&client, &vm_id)
        .ip_addresses
        .into_iter()
        .find(|ip| ip.is_ipv4())
        .unwrap();
    let updated = client
        .update_reverse_dns(&IpAddressRef::Id(ip.id.clone()), "mail.example.com")
        .unwrap();
    assert_eq!(updated.reverse_dns.as_deref(), Some("mail.example.com"));
    assert!(client
        .ip_addresses(&OrganizationRef::Id(org.id.clone()))
        .unwrap()
        .iter()
        .any(|a| a.address == ip.address));
    assert_eq!(
        client
            .ip_address(&IpAddressRef::Address(ip.address.clone()))
            .unwrap()
            .id,
        ip.id
    );

    // Delete to the trash, then purge.
    let deleted = client.delete_virtual_machine(&vm_ref).unwrap();
    let in_trash = client.virtual_machine(&vm_ref).unwrap_err();
    assert!(in_trash.is_in_trash(), "{in_trash}");
    assert!(
        client
            .delete_virtual_machine(&vm_ref)
            .unwrap_err()
            .is_in_trash(),
        "a second delete finds it in the trash"
    );
    assert_eq!(
        client
            .trash_object(&TrashObjectRef::ObjectId(vm_id.clone()))
            .unwrap()
            .id,
        deleted.trash_object.id
    );
    wait_task(
        &client,
        &client
            .purge_trash_object(&TrashObjectRef::Id(deleted.trash_object.id.clone()))
            .unwrap(),
    );
    wait("the purge", || {
        client
            .trash_object(&TrashObjectRef::Id(deleted.trash_object.id.clone()))
            .err()
            .filter(|e| e.is_not_found())
    });
    assert!(client.virtual_machine(&vm_ref).unwrap_err().is_not_found());
}

fn route_count(sim: &Simulator, method: &str, suffix: &str) -> u64 {
    sim.stats()
        .requests
        .iter()
        .filter(|(k, _)| k.starts_with(&format!("{method} ")) && k.ends_with(suffix))
        .map(|(_, n)| *n)
        .sum()
}

#[test]
fn lists_are_read_past_the_first_page() {
    let sim = start(false);
    let client = Client::new(settings_for(&sim)).unwrap();
    let parent = parent_of(&client);
    for n in 0..105 {
        managed_org(&client, &parent, &format!("paging-{n}"));
    }
    let all = client
        .managed_organizations(&OrganizationRef::Id(parent.id.clone()), None)
        .unwrap();
    assert_eq!(
        all.iter()
            .filter(|o| o
                .sub_domain
                .as_deref()
                .is_some_and(|s| s.starts_with("paging-")))
            .count(),
        105
    );
    assert_eq!(route_count(&sim, "GET", "/managed"), 2, "two pages of 100");
}

#[test]
fn typed_errors_for_auth_missing_objects_and_duplicates() {
    let sim = start(false);
    let client = Client::new(settings_for(&sim)).unwrap();

    let mut wrong = settings_for(&sim);
    wrong.token = ApiToken::new("not-a-token");
    let denied = Client::new(wrong).unwrap().organizations().unwrap_err();
    assert_eq!(
        (denied.code(), denied.status()),
        (Some("invalid_api_token"), Some(403))
    );
    assert!(denied.request_id().is_some_and(|id| !id.is_empty()));
    assert!(!denied.to_string().contains("not-a-token"));

    let missing = client
        .virtual_machine(&VirtualMachineRef::Id("vm_doesnotexist0000".into()))
        .unwrap_err();
    assert!(missing.is_not_found());
    assert_eq!(missing.code(), Some("virtual_machine_not_found"));
    assert!(
        missing.to_string().contains("No virtual machine was found"),
        "{missing}"
    );

    let parent = parent_of(&client);
    managed_org(&client, &parent, "taken");
    let new = NewManagedOrganization {
        name: "Again".into(),
        sub_domain: "taken".into(),
        annotations: vec![],
    };
    let duplicate = client
        .create_managed_organization(&OrganizationRef::Id(parent.id.clone()), &new)
        .unwrap_err();
    assert_eq!(
        (duplicate.code(), duplicate.status()),
        (Some("validation_error"), Some(422))
    );
    assert!(
        duplicate
            .to_string()
            .contains("Sub domain has already been taken"),
        "{duplicate}"
    );

    let mut nowhere = settings_for(&sim);
    nowhere.base_url = "http://127.0.0.1:1/core/v1".into();
    assert!(matches!(
        Client::new(nowhere).unwrap().organizations().unwrap_err(),
        ApiError::Transport { .. }
    ));
}

fn error_rule(endpoint: &str, probability: f64, status: u16) -> ErrorRule {
    ErrorRule {
        endpoint: endpoint.into(),
        probability,
        status,
    }
}

#[test]
fn reads_are_retried_and_builds_are_never_sent_twice() {
    let sim = start(false);
    let client = Client::new(settings_for(&sim)).unwrap();
    let parent = parent_of(&client);
    let org = managed_org(&client, &parent, "retry-org");

    // A GET that always meets 503 is tried max_attempts times, then reported with the API's code.
    sim.set_faults(Faults {
        errors: vec![error_rule("GET /data_centers", 1.0, 503)],
        ..Faults::default()
    });
    let unavailable = client.data_centers().unwrap_err();
    assert_eq!(
        (unavailable.code(), unavailable.status()),
        (Some("service_unavailable"), Some(503)),
        "{unavailable}"
    );
    assert_eq!(sim.stats().faults.get("error_503"), Some(&4));

    // A build that meets 503 is not repeated: the first may have been accepted.
    sim.set_faults(Faults {
        errors: vec![error_rule(
            "POST /organizations/*/virtual_machines/build",
            1.0,
            503,
        )],
        ..Faults::default()
    });
    let before = sim.stats().total_requests;
    assert_eq!(
        client
            .build_virtual_machine(&build_request(&org, "201"))
            .unwrap_err()
            .status(),
        Some(503)
    );
    assert_eq!(
        sim.stats().total_requests - before,
        1,
        "the build was sent once"
    );

    // 502 from a proxy: an HTML body, reported as an unexpected status with its start.
    sim.set_faults(Faults {
        errors: vec![error_rule("GET /tasks/*", 1.0, 502)],
        ..Faults::default()
    });
    let proxy = client.task(&TaskRef::Id("task_x".into())).unwrap_err();
    assert!(
        matches!(proxy, ApiError::UnexpectedStatus { status: 502, .. }),
        "{proxy}"
    );

    // A dropped connection: retried for reads; a build is not resent.
    sim.set_faults(Faults {
        reset_rate: 1.0,
        ..Faults::default()
    });
    let before = sim.stats().total_requests;
    assert!(matches!(
        client
            .build_virtual_machine(&build_request(&org, "202"))
            .unwrap_err(),
        ApiError::Transport { .. }
    ));
    assert_eq!(sim.stats().total_requests - before, 1);
    assert!(matches!(
        client.data_centers().unwrap_err(),
        ApiError::Transport { .. }
    ));

    // Intermittent 503s and 429s on reads are absorbed by the retries.
    sim.set_faults(Faults {
        errors: vec![error_rule("GET *", 0.3, 503), error_rule("GET *", 0.1, 429)],
        ..Faults::default()
    });
    let successes = (0..20).filter(|_| client.data_centers().is_ok()).count();
    assert!(
        successes >= 15,
        "only {successes} of 20 reads got through the retries"
    );
    assert_eq!(
        sim.stats().builds_by_whmcs_service_id.get("201"),
        None,
        "no build was accepted behind a 503"
    );
}

#[test]
fn hangs_time_out_and_malformed_bodies_are_reported() {
    let sim = start(false);
    let mut settings = settings_for(&sim);
    settings.timeout = Duration::from_millis(300);
    settings.retry.max_attempts = 2;
    let client = Client::new(settings).unwrap();

    sim.set_faults(Faults {
        hang_rate: 1.0,
        hang_ms: 5_000,
        ..Faults::default()
    });
    let started = Instant::now();
    let hung = client.organizations().unwrap_err();
    assert!(matches!(hung, ApiError::Timeout { .. }), "{hung}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "gave up after two time-outs, not the hang"
    );
    assert!(hung.to_string().contains("katapult.timeout"));

    sim.set_faults(Faults {
        malformed_rate: 1.0,
        ..Faults::default()
    });
    let malformed = client.organizations().unwrap_err();
    assert!(
        matches!(malformed, ApiError::InvalidBody { status: 200, .. }),
        "{malformed}"
    );

    sim.set_faults(Faults {
        latency_ms: 50,
        jitter_ms: 50,
        ..Faults::default()
    });
    assert!(client.organizations().is_ok());
}

#[test]
fn a_faulty_api_never_panics_the_client() {
    let sim = start(false);
    let mut settings = settings_for(&sim);
    settings.timeout = Duration::from_millis(400);
    let client = Client::new(settings).unwrap();
    let parent = parent_of(&client);
    let org = managed_org(&client, &parent, "chaos");
    sim.set_faults(Faults {
        latency_ms: 5,
        jitter_ms: 20,
        errors: vec![
            error_rule("*", 0.15, 503),
            error_rule("*", 0.05, 500),
            error_rule("*", 0.05, 502),
            error_rule("*", 0.05, 429),
        ],
        hang_rate: 0.02,
        hang_ms: 2_000,
        malformed_rate: 0.05,
        reset_rate: 0.05,
    });
    let mut outcomes = std::collections::BTreeMap::<String, u32>::new();
    for n in 0..40 {
        let outcome = match n % 4 {
            0 => client.data_centers().map(|_| ()),
            1 => client.virtual_machine_packages().map(|_| ()),
            2 => client
                .build_virtual_machine(&build_request(&org, &format!("chaos-{n}")))
                .map(|_| ()),
            _ => client
                .managed_organizations(&OrganizationRef::Id(parent.id.clone()), None)
                .map(|_| ()),
        };
        let key = match outcome {
            Ok(()) => "ok".to_string(),
            Err(e) => e.kind().to_string(),
        };
        *outcomes.entry(key).or_default() += 1;
    }
    println!(
        "outcomes under faults: {outcomes:?}; injected: {:?}",
        sim.stats().faults
    );
    let allowed = [
        "ok",
        "service_unavailable",
        "unhandled_exception",
        "rate_limit_reached",
        "unexpected_status",
        "timeout",
        "transport_error",
        "invalid_response",
    ];
    assert!(
        outcomes.keys().all(|k| allowed.contains(&k.as_str())),
        "{outcomes:?}"
    );
    assert!(
        outcomes.get("ok").copied().unwrap_or(0) >= 20,
        "{outcomes:?}"
    );
    let builds = sim.stats().builds_by_whmcs_service_id;
    assert!(
        builds.values().all(|n| *n == 1),
        "a build was duplicated: {builds:?}"
    );
}

#[test]
fn calls_slow_down_as_the_rate_limit_budget_runs_out() {
    let sim = Simulator::start(SimConfig {
        rate_limit_per_minute: 10,
        seed: 3,
        ..SimConfig::default()
    })
    .unwrap();
    // Early in a minute, so the window does not turn during the test.
    sim.set_clock(katapult_sim::minute_start() + 1.0);
    let mut settings = settings_for(&sim);
    // The cron's policy: pacing may pause up to its cap (a page's stops at a few hundred ms).
    settings.retry = settings.retry.for_cron();
    settings.retry.max_attempts = 1;
    let client = Client::new(settings).unwrap();

    // Nine calls leave one request in the window: above the 10% low-water mark, no pacing.
    let started = Instant::now();
    for _ in 0..9 {
        client.data_centers().unwrap();
    }
    let unpaced = started.elapsed();
    // The tenth leaves none; the eleventh is held back before it is sent, then refused.
    client.data_centers().unwrap();
    let before_eleventh = Instant::now();
    let refused = client.data_centers().unwrap_err();
    let paced = before_eleventh.elapsed();
    assert_eq!(
        (refused.code(), refused.status()),
        (Some("rate_limit_reached"), Some(429))
    );
    assert!(
        paced >= Duration::from_millis(1900),
        "the call after the budget ran out waited only {paced:?}"
    );
    assert!(
        unpaced < Duration::from_secs(2),
        "calls with budget left were slowed: {unpaced:?}"
    );
}

/// A request that cannot be made (a token that is no header value) fails at once, without
/// retries, and a huge id does not make a huge message.
#[test]
fn a_request_that_cannot_be_made_is_not_retried() {
    let sim = start(false);
    let mut settings = settings_for(&sim);
    settings.token = ApiToken::new("bad\ntoken");
    // Retries would wait about a second each (full jitter up to 2 s).
    settings.retry.base_delay = Duration::from_secs(2);
    settings.retry.max_delay = Duration::from_secs(2);
    let client = Client::new(settings).unwrap();
    let huge_id = "x".repeat(1 << 20);
    let started = Instant::now();
    let error = client
        .virtual_machine(&VirtualMachineRef::Id(huge_id))
        .unwrap_err();
    assert!(
        matches!(error, ApiError::InvalidRequest { .. }),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(300), "retried");
    let message = error.to_string();
    assert!(message.len() < 1_000, "{} bytes", message.len());
    assert!(message.contains("cannot be made"), "{message}");
    assert_eq!(sim.stats().total_requests, 0);
}

/// Serves each of `answers` (status line and headers, then `body_bytes` of JSON-ish body) to one
/// connection, on a loopback port; returns the API URL.
fn serve_raw(answers: Vec<(&'static str, usize)>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/core/v1", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for (head, body_bytes) in answers {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(head.as_bytes());
            let chunk = vec![b' '; 64 * 1024];
            let mut sent = 0;
            // The client stops reading at its cap and closes: the writes then fail, and that ends it.
            while sent < body_bytes && stream.write_all(&chunk).is_ok() {
                sent += chunk.len();
            }
        }
    });
    url
}

#[test]
fn an_answer_larger_than_the_cap_is_an_invalid_response_and_is_not_read_whole() {
    let url = serve_raw(vec![
        // No length given: read up to the cap, then refused.
        (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
            64 * 1024 * 1024,
        ),
        // A length above the cap: refused before reading.
        (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\nConnection: close\r\n\r\n",
            0,
        ),
    ]);
    let mut settings = ApiSettings::new(url, ApiToken::new("t"));
    settings.retry.max_attempts = 1;
    let client = Client::new(settings).unwrap();
    for _ in 0..2 {
        let error = client.data_centers().unwrap_err();
        assert_eq!(error.kind(), "invalid_response", "{error}");
        assert!(error.to_string().contains("larger than 4 MiB"), "{error}");
    }
}

/// The window is the API's wall-clock minute, shared with every other user of the token: a page
/// meets a spent budget with the error at once, without waiting the minute out.
#[test]
fn a_page_does_not_wait_out_a_spent_minute() {
    let sim = Simulator::start(SimConfig {
        seed: 4,
        ..SimConfig::default()
    })
    .unwrap();
    sim.set_clock(katapult_sim::minute_start() + 30.0);
    let client = Client::new(settings_for(&sim)).unwrap();
    client.data_centers().unwrap();
    // Another tool on the same token spends the rest of the minute's budget.
    sim.spend_rate_limit(TOKEN, 1000);
    let started = Instant::now();
    let refused = client.data_centers().unwrap_err();
    assert_eq!(refused.code(), Some("rate_limit_reached"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a page waited for the minute to turn"
    );
}

/// A VM's backup policy set, read, changed and removed; the VM deleted and restored from the
/// trash with its policy; and once Katapult's time for a trashed VM is over, it is gone.
#[test]
fn backup_policies_and_the_trash_restore() {
    let sim = start(false);
    let client = Client::new(settings_for(&sim)).unwrap();
    let org = managed_org(&client, &parent_of(&client), "backup-client");
    let (build, _) = client
        .build_virtual_machine(&build_request(&org, "301"))
        .unwrap();
    let vm_id = wait_build(&client, &build).virtual_machine.unwrap().id;
    let vm_ref = VirtualMachineRef::Id(vm_id.clone());

    let daily = |retention, hour| DailyBackups { retention, hour };
    let created = client
        .create_virtual_machine_disk_backup_policy(&vm_ref, daily(7, 3))
        .unwrap();
    let schedule = created.schedule.clone().unwrap();
    assert_eq!(
        (
            created.retention,
            schedule.interval.as_deref(),
            schedule.time
        ),
        (Some(7), Some("daily"), Some(3))
    );
    assert!(schedule.next_invocation_at.is_some_and(|at| at % 3600 == 0));
    let listed = client
        .virtual_machine_disk_backup_policies(&vm_ref)
        .unwrap();
    assert_eq!(
        listed.iter().map(|p| &p.id).collect::<Vec<_>>(),
        vec![&created.id]
    );
    let policy = DiskBackupPolicyRef::Id(created.id.clone());
    client
        .update_disk_backup_policy(&policy, daily(14, 5))
        .unwrap();
    let read = client.disk_backup_policy(&policy).unwrap();
    assert_eq!(
        (read.retention, read.schedule.unwrap().time),
        (Some(14), Some(5))
    );
    let refused = client
        .update_disk_backup_policy(&policy, daily(14, 24))
        .unwrap_err();
    assert_eq!(refused.code(), Some("validation_error"), "{refused}");

    // Deleted to the trash and restored: the VM and its policy are back.
    let trash = client.delete_virtual_machine(&vm_ref).unwrap().trash_object;
    let restored = client
        .restore_trash_object(&TrashObjectRef::Id(trash.id.clone()))
        .unwrap();
    assert_eq!(restored.object_id.as_deref(), Some(vm_id.as_str()));
    assert_eq!(
        client.virtual_machine(&vm_ref).unwrap().virtual_machine.id,
        vm_id
    );
    assert_eq!(
        client
            .virtual_machine_disk_backup_policies(&vm_ref)
            .unwrap()
            .len(),
        1
    );
    assert!(client
        .restore_trash_object(&TrashObjectRef::Id(trash.id))
        .unwrap_err()
        .is_not_found());
    client.delete_disk_backup_policy(&policy).unwrap();
    assert!(client
        .virtual_machine_disk_backup_policies(&vm_ref)
        .unwrap()
        .is_empty());

    // Trashed again, and Katapult's 48 hours pass: it purges the VM by itself.
    let trash = client.delete_virtual_machine(&vm_ref).unwrap().trash_object;
    let keep_until = trash.keep_until.unwrap();
    sim.set_clock((keep_until + 1) as f64);
    assert!(client
        .restore_trash_object(&TrashObjectRef::Id(trash.id))
        .unwrap_err()
        .is_not_found());
    assert!(client.virtual_machine(&vm_ref).unwrap_err().is_not_found());
}

/// A kept-alive connection the API closed while the client sat idle (a server's keep-alive
/// time-out, a restart) is not the next call's: that call goes out on a new connection and is
/// answered, with no attempt spent on the closed one (this client retries nothing).
#[test]
fn a_connection_the_api_closed_while_idle_is_not_used_again() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/core/v1", listener.local_addr().unwrap());
    let served = std::thread::spawn(move || {
        let body = r#"{"data_centers":[]}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut connections = 0;
        for _ in 0..2 {
            let (mut stream, _) = listener.accept().unwrap();
            connections += 1;
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request);
            stream.write_all(answer.as_bytes()).unwrap();
            // Kept alive for a moment, then closed by the server while the client is idle.
            std::thread::sleep(Duration::from_millis(100));
        }
        connections
    });
    let mut settings = ApiSettings::new(url, ApiToken::new("t"));
    settings.retry.max_attempts = 1;
    let client = Client::new(settings).unwrap();
    client.data_centers().unwrap();
    std::thread::sleep(Duration::from_millis(400));
    client.data_centers().unwrap();
    assert_eq!(served.join().unwrap(), 2);
}

/// The work a read runs meanwhile (a page's database writes) runs while its request is at the
/// API, over HTTPS as over plain HTTP: the simulator has the request before the work ends (the
/// work waits for it, and would wait in vain were the request sent afterwards), and answers
/// after the 200 ms it adds.
#[test]
fn work_meanwhile_runs_while_the_request_is_at_the_api_over_https() {
    let sim = start(true);
    let client = Client::new(settings_for(&sim)).unwrap();
    client.organizations().unwrap(); // the connection and its TLS handshake, made
    sim.set_faults(Faults {
        latency_ms: 200,
        ..Faults::default()
    });
    let before = sim.stats().total_requests;
    let (answer, at_the_api) =
        client.virtual_machine_json_meanwhile(&VirtualMachineRef::Id("vm_none".into()), || {
            let deadline = Instant::now() + Duration::from_secs(10);
            while sim.stats().total_requests == before && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            sim.stats().total_requests > before
        });
    assert!(at_the_api, "the request was at the API while the work ran");
    assert!(answer.unwrap_err().is_not_found());
}
