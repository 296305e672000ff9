//! Every response body in the Katapult recordings kept in `tests/data/katapult-api` decodes into
//! the typed structs of its endpoint: the go-katapult fixtures and the real terraform cassettes,
//! plus any folder of cassettes named in KATAPULT_EXTRA_RECORDINGS (colon-separated), so a new
//! recording dropped in is checked too. Endpoints a WHMCS module does not use are declared out of scope below and
//! only checked to be JSON; a route in neither list fails the test, so nothing slips by unread.

mod support;

use std::path::{Path, PathBuf};

use katapult::api::builds::{BuildResponse, BuildStarted};
use katapult::api::console_sessions::ConsoleSessionResponse;
use katapult::api::data_centers::{DataCenterResponse, DataCentersList, NetworkResponse};
use katapult::api::disk_backup_policies::{DiskBackupPoliciesPage, DiskBackupPolicyResponse};
use katapult::api::disk_templates::{DiskTemplateResponse, DiskTemplatesPage};
use katapult::api::disks::{DiskResized, VirtualMachineDisksPage};
use katapult::api::ip_addresses::{EmptyAnswer, IpAddressResponse, IpAddressesPage};
use katapult::api::organizations::{
    ManagedOrganizationsPage, OrganizationResponse, OrganizationsList,
};
use katapult::api::packages::{PackageResponse, PackagesPage};
use katapult::api::tasks::TaskResponse;
use katapult::api::trash_objects::TrashObjectResponse;
use katapult::api::virtual_machines::{
    PowerAction, VirtualMachineDeleted, VirtualMachineResponse, VirtualMachinesPage,
};
use katapult::api::ErrorEnvelope;
use serde::de::DeserializeOwned;
use support::cassette::Cassette;

type Decoder = fn(&str) -> Result<(), String>;

fn decode<T: DeserializeOwned>(body: &str) -> Result<(), String> {
    serde_json::from_str::<T>(body)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn decode_build(body: &str) -> Result<(), String> {
    let response: BuildResponse = serde_json::from_str(body).map_err(|e| e.to_string())?;
    match response.virtual_machine_build.or(response.build) {
        Some(_) => Ok(()),
        None => Err("no virtual_machine_build (nor the old `build`) in the body".into()),
    }
}

fn json_only(body: &str) -> Result<(), String> {
    serde_json::from_str::<serde_json::Value>(body)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// (method, path pattern with `:` for any segment, decoder of a success body).
const ROUTES: &[(&str, &str, Decoder)] = &[
    ("GET", "/organizations", decode::<OrganizationsList>),
    ("GET", "/organizations/:", decode::<OrganizationResponse>),
    (
        "GET",
        "/organizations/:/managed",
        decode::<ManagedOrganizationsPage>,
    ),
    (
        "POST",
        "/organizations/:/managed",
        decode::<OrganizationResponse>,
    ),
    ("GET", "/data_centers", decode::<DataCentersList>),
    ("GET", "/data_centers/:", decode::<DataCenterResponse>),
    (
        "GET",
        "/data_centers/:/default_network",
        decode::<NetworkResponse>,
    ),
    ("GET", "/virtual_machine_packages", decode::<PackagesPage>),
    (
        "GET",
        "/virtual_machine_packages/:",
        decode::<PackageResponse>,
    ),
    (
        "GET",
        "/organizations/:/disk_templates",
        decode::<DiskTemplatesPage>,
    ),
    ("GET", "/disk_templates/:", decode::<DiskTemplateResponse>),
    (
        "POST",
        "/organizations/:/virtual_machines/build",
        decode::<BuildStarted>,
    ),
    (
        "POST",
        "/organizations/:/virtual_machines/build_from_spec",
        decode::<BuildStarted>,
    ),
    ("GET", "/virtual_machines/builds/:", decode_build),
    (
        "GET",
        "/organizations/:/virtual_machines",
        decode::<VirtualMachinesPage>,
    ),
    (
        "GET",
        "/virtual_machines/:",
        decode::<VirtualMachineResponse>,
    ),
    (
        "PATCH",
        "/virtual_machines/:",
        decode::<VirtualMachineResponse>,
    ),
    (
        "DELETE",
        "/virtual_machines/:",
        decode::<VirtualMachineDeleted>,
    ),
    ("POST", "/virtual_machines/:/start", decode::<TaskResponse>),
    ("POST", "/virtual_machines/:/stop", decode::<TaskResponse>),
    (
        "POST",
        "/virtual_machines/:/shutdown",
        decode::<TaskResponse>,
    ),
    ("POST", "/virtual_machines/:/reset", decode::<TaskResponse>),
    ("PUT", "/virtual_machines/:/package", decode::<TaskResponse>),
    (
        "POST",
        "/virtual_machines/:/console_sessions",
        decode::<ConsoleSessionResponse>,
    ),
    (
        "GET",
        "/virtual_machines/:/disks",
        decode::<VirtualMachineDisksPage>,
    ),
    ("PUT", "/disks/:/resize", decode::<DiskResized>),
    ("GET", "/tasks/:", decode::<TaskResponse>),
    ("GET", "/trash_objects/:", decode::<TrashObjectResponse>),
    ("DELETE", "/trash_objects/:", decode::<TaskResponse>),
    (
        "POST",
        "/trash_objects/:/restore",
        decode::<TrashObjectResponse>,
    ),
    (
        "GET",
        "/virtual_machines/:/disk_backup_policies",
        decode::<DiskBackupPoliciesPage>,
    ),
    (
        "POST",
        "/virtual_machines/:/disk_backup_policies",
        decode::<DiskBackupPolicyResponse>,
    ),
    (
        "GET",
        "/disk_backup_policies/:",
        decode::<DiskBackupPolicyResponse>,
    ),
    (
        "PATCH",
        "/disk_backup_policies/:",
        decode::<DiskBackupPolicyResponse>,
    ),
    (
        "DELETE",
        "/disk_backup_policies/:",
        decode::<DiskBackupPolicyResponse>,
    ),
    (
        "GET",
        "/organizations/:/ip_addresses",
        decode::<IpAddressesPage>,
    ),
    (
        "POST",
        "/organizations/:/ip_addresses",
        decode::<IpAddressResponse>,
    ),
    ("GET", "/ip_addresses/:", decode::<IpAddressResponse>),
    ("PATCH", "/ip_addresses/:", decode::<IpAddressResponse>),
    ("POST", "/ip_addresses/:/unallocate", decode::<EmptyAnswer>),
    ("DELETE", "/ip_addresses/:", decode::<EmptyAnswer>),
    (
        "POST",
        "/virtual_machines/:/allocate_ip",
        decode::<IpAddressResponse>,
    ),
    // Out of scope for a WHMCS module (Terraform's VM groups and network interfaces): JSON only.
    ("GET", "/organizations/:/virtual_machine_groups", json_only),
    ("POST", "/organizations/:/virtual_machine_groups", json_only),
    ("GET", "/virtual_machine_groups/:", json_only),
    ("DELETE", "/virtual_machine_groups/:", json_only),
    ("GET", "/virtual_machines/:/network_interfaces", json_only),
    ("GET", "/virtual_machine_network_interfaces/:", json_only),
];

/// Fixture file-name prefixes (go-katapult's names) and their decoders, longest prefix first wins.
const FIXTURES: &[(&str, Decoder)] = &[
    ("organizations_list", decode::<OrganizationsList>),
    ("organization_get", decode::<OrganizationResponse>),
    ("organization_managed", decode::<OrganizationResponse>),
    ("data_centers_list", decode::<DataCentersList>),
    ("data_center_get", decode::<DataCenterResponse>),
    ("network_get", decode::<NetworkResponse>),
    ("virtual_machine_packages_list", decode::<PackagesPage>),
    ("virtual_machine_package_get", decode::<PackageResponse>),
    ("disk_templates_list", decode::<DiskTemplatesPage>),
    ("disk_template_get", decode::<DiskTemplateResponse>),
    ("virtual_machine_build_create", decode::<BuildStarted>),
    ("virtual_machine_build_get", decode_build),
    ("virtual_machines_list", decode::<VirtualMachinesPage>),
    ("virtual_machine_get", decode::<VirtualMachineResponse>),
    ("virtual_machine_update", decode::<VirtualMachineResponse>),
    ("virtual_machine_delete", decode::<VirtualMachineDeleted>),
    ("virtual_machine_start", decode::<TaskResponse>),
    ("virtual_machine_stop", decode::<TaskResponse>),
    ("virtual_machine_shutdown", decode::<TaskResponse>),
    ("virtual_machine_reset", decode::<TaskResponse>),
    ("virtual_machine_change_package", decode::<TaskResponse>),
    ("task_get", decode::<TaskResponse>),
    ("trash_object_get", decode::<TrashObjectResponse>),
    ("trash_object_restore", decode::<TrashObjectResponse>),
    ("trash_object_purge", decode::<TaskResponse>),
    ("trash_objects_purge_all", decode::<TaskResponse>),
    ("ip_addresses_list", decode::<IpAddressesPage>),
    ("ip_address_get", decode::<IpAddressResponse>),
    ("ip_address_updated", decode::<IpAddressResponse>),
    ("ipv4_address_create", decode::<IpAddressResponse>),
    ("ipv6_address_create", decode::<IpAddressResponse>),
    // Out of scope for a WHMCS module: JSON only.
    ("certificate", json_only),
    ("dns_zone", json_only),
    ("load_balancer", json_only),
    ("network_speed_profiles_list", json_only),
    ("networks_list", json_only),
    ("security_group", json_only),
    ("trash_objects_list", json_only),
    ("virtual_machine_group", json_only),
    ("virtual_machine_network_interface", json_only),
];

fn recorded_examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/katapult-api/examples")
}

fn route_for(method: &str, path: &str) -> Option<Decoder> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    ROUTES
        .iter()
        .filter(|(m, pattern, _)| {
            let parts: Vec<&str> = pattern.trim_matches('/').split('/').collect();
            *m == method
                && parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| *p == ":" || p == s)
        })
        // A literal segment beats a placeholder (`/virtual_machines/builds/_`), as in the API.
        .max_by_key(|(_, pattern, _)| pattern.split('/').filter(|p| *p != ":").count())
        .map(|(_, _, decoder)| *decoder)
}

fn fixture_decoder(name: &str) -> Option<Decoder> {
    if name.ends_with("_error") || name.contains("validation_error") {
        return Some(decode::<ErrorEnvelope>);
    }
    FIXTURES
        .iter()
        .filter(|(prefix, _)| name.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, d)| *d)
}

/// The path below `/core/v1`, without the query string.
fn api_path(url: &str) -> String {
    let without_query = url.split('?').next().unwrap_or(url);
    match without_query.find("/core/v1") {
        Some(at) => without_query[at + "/core/v1".len()..].to_string(),
        None => without_query.to_string(),
    }
}

fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            found.push(path);
        }
    }
}

/// Decodes every interaction of the cassettes under `dir`; returns (bodies decoded, problems).
fn check_cassettes(dir: &Path) -> (usize, Vec<String>) {
    let mut files = Vec::new();
    yaml_files(dir, &mut files);
    files.sort();
    let mut decoded = 0;
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let cassette: Cassette = match serde_yaml_ng::from_str(&text) {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("{}: not a cassette: {e}", file.display()));
                continue;
            }
        };
        for (index, interaction) in cassette.interactions.iter().enumerate() {
            let method = interaction.request.method.as_str();
            let path = api_path(&interaction.request.url);
            let place = format!(
                "{}#{index} {method} {path} ({})",
                file.display(),
                interaction.response.code
            );
            let result = if (200..300).contains(&interaction.response.code) {
                match route_for(method, &path) {
                    Some(decoder) => decoder(&interaction.response.body),
                    None => Err("route neither decoded nor declared out of scope".into()),
                }
            } else {
                decode::<ErrorEnvelope>(&interaction.response.body)
            };
            match result {
                Ok(()) => decoded += 1,
                Err(e) => problems.push(format!("{place}: {e}")),
            }
        }
    }
    (decoded, problems)
}

#[test]
fn every_fixture_decodes_into_its_endpoint_type() {
    let dir = recorded_examples().join("go-katapult-fixtures");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the go-katapult fixtures in tests/data/katapult-api")
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    let mut problems = Vec::new();
    let mut decoded = 0;
    for path in names
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let body = std::fs::read_to_string(path).unwrap();
        match fixture_decoder(&name) {
            Some(decoder) => match decoder(&body) {
                Ok(()) => decoded += 1,
                Err(e) => problems.push(format!("{name}: {e}")),
            },
            None => problems.push(format!("{name}: no decoder declared for this fixture")),
        }
    }
    println!("fixtures decoded: {decoded}");
    assert!(
        decoded > 80,
        "only {decoded} fixtures found in {}",
        dir.display()
    );
    assert!(
        problems.is_empty(),
        "fixtures that did not decode:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_recorded_cassette_response_decodes() {
    let (decoded, problems) = check_cassettes(&recorded_examples().join("terraform-cassettes"));
    println!("cassette responses decoded: {decoded}");
    assert!(decoded > 200, "only {decoded} recorded responses found");
    assert!(
        problems.is_empty(),
        "recorded responses that did not decode:\n{}",
        problems.join("\n")
    );
}

#[test]
fn extra_recordings_from_the_environment_decode() {
    let Ok(folders) = std::env::var("KATAPULT_EXTRA_RECORDINGS") else {
        println!("KATAPULT_EXTRA_RECORDINGS not set: nothing extra to check");
        return;
    };
    for folder in folders.split(':').filter(|f| !f.is_empty()) {
        let (decoded, problems) = check_cassettes(Path::new(folder));
        println!("{folder}: {decoded} responses decoded");
        assert!(
            decoded > 0 || !problems.is_empty(),
            "{folder} holds no cassette interactions"
        );
        assert!(
            problems.is_empty(),
            "{folder}: responses that did not decode:\n{}",
            problems.join("\n")
        );
    }
}

#[test]
fn an_undecodable_extra_recording_is_reported() {
    let dir = std::env::temp_dir().join(format!("katapult-extra-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("broken.cassette.yaml"),
        "version: 1\ninteractions:\n- request:\n    url: https://api.katapult.io/core/v1/virtual_machines/_\n    method: GET\n  response:\n    body: '{\"virtual_machine\":{\"name\":\"no id\"}}'\n    code: 200\n- request:\n    url: https://api.katapult.io/core/v1/brand_new_things\n    method: GET\n  response:\n    body: '{}'\n    code: 200\n",
    )
    .unwrap();
    let (decoded, problems) = check_cassettes(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(decoded, 0);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].contains("missing field `id`"),
        "{}",
        problems[0]
    );
    assert!(
        problems[1].contains("declared out of scope"),
        "{}",
        problems[1]
    );
}

/// Every (method, path) the client sends, read off its source in `src/api`: `.get…("/path"`,
/// `.write…(Method::X, "/path"`, and a `format!`ed path (the power actions, whose `{}` is each
/// action). Paths are as sent (`_` for the looked-up object).
fn client_calls() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut calls = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        // The code, without its unit tests, on one line without blanks.
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        let code: String = code
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<String>()
            .split_whitespace()
            .collect();
        let mut rest = code.as_str();
        while let Some(at) = rest.find("\"/") {
            let before = &rest[..at];
            let literal = &rest[at + 1..];
            let end = literal.find('"').unwrap();
            let path = &literal[..end];
            rest = &literal[end..];
            // What precedes the literal in its statement says how it is sent.
            let statement = &before[before.rfind([';', '{']).map_or(0, |i| i + 1)..];
            let method = match statement.rfind("Method::") {
                Some(m) => statement[m + 8..].split(',').next().unwrap().to_string(),
                None if statement.contains(".get") => "GET".to_string(),
                None if statement.ends_with("format!(") => {
                    // `let path = format!("/…/{}", action.as_str())`, sent by the next write.
                    let sent = &rest[rest.find("Method::").unwrap() + 8..];
                    let method = sent.split(',').next().unwrap();
                    for action in [
                        PowerAction::Start,
                        PowerAction::Stop,
                        PowerAction::Shutdown,
                        PowerAction::Reset,
                    ] {
                        calls.push((method.to_string(), path.replace("{}", action.as_str())));
                    }
                    continue;
                }
                None => panic!("cannot tell how {path} is sent: {statement}"),
            };
            calls.push((method, path.to_string()));
        }
    }
    calls.sort();
    calls.dedup();
    calls
}

#[test]
fn every_client_call_has_a_decoder_in_the_route_table() {
    let calls = client_calls();
    // The client's calls, all found (a change to how it sends them would hide some).
    assert!(
        calls.len() >= 30,
        "only {} calls found: {calls:?}",
        calls.len()
    );
    let json_only_decoder = json_only as Decoder;
    let missing: Vec<_> = calls
        .iter()
        .filter(|(method, path)| {
            route_for(method, path).is_none_or(|d| std::ptr::fn_addr_eq(d, json_only_decoder))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "client calls without a decoder in ROUTES: {missing:?}"
    );
}
