//! API response decoding: a body, as the client reads it, into every response type and into
//! the `ApiError` an error status makes of it.
//!
//! The client's decoding (`Answer::decode` and `Answer::into_error` in src/api/transport.rs) is
//! private; it is `serde_json::from_str` of the body text into the endpoint's type on a success
//! status, and on an error status the `ErrorEnvelope` (`ApiError::Api`) or else
//! `ApiError::UnexpectedStatus`. This does the same through the public types and then uses
//! what it got the way callers do. Rules: no panic; whatever decodes serializes and decodes
//! again to the same thing; an `ApiError`'s accessors agree with what it was made from.

use katapult::api::builds::{BuildRequest, BuildResponse, BuildStarted, VirtualMachineBuild};
use katapult::api::console_sessions::ConsoleSessionResponse;
use katapult::api::data_centers::{DataCenterResponse, DataCentersList, NetworkResponse};
use katapult::api::disk_templates::{DiskTemplateResponse, DiskTemplatesPage};
use katapult::api::disks::{DiskResized, VirtualMachineDisksPage};
use katapult::api::ip_addresses::{IpAddressResponse, IpAddressesPage};
use katapult::api::organizations::{
    ManagedOrganizationsPage, OrganizationResponse, OrganizationsList,
};
use katapult::api::packages::{PackageResponse, PackagesPage};
use katapult::api::tasks::TaskResponse;
use katapult::api::trash_objects::TrashObjectResponse;
use katapult::api::virtual_machines::{
    PowerAction, VirtualMachine, VirtualMachineDeleted, VirtualMachineResponse, VirtualMachinesPage,
};
use katapult::api::{ApiError, ErrorEnvelope, Page, ToLookup};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// The statuses an error body is tried with: a not-found, a validation error, a server error.
const ERROR_STATUSES: [u16; 3] = [404, 422, 500];

pub fn check(data: &[u8]) {
    // The client reads the body as text (`Response::text`: invalid UTF-8 becomes U+FFFD).
    let body = String::from_utf8_lossy(data);
    let body = body.as_ref();

    // Success bodies: every endpoint's type.
    decode::<OrganizationsList>(body, |list| {
        list.organizations.iter().for_each(organization)
    });
    decode::<OrganizationResponse>(body, |r| organization(&r.organization));
    decode::<ManagedOrganizationsPage>(body, |page| {
        paged(page);
        page.organizations.iter().for_each(organization)
    });
    decode::<DataCentersList>(body, |_| {});
    decode::<DataCenterResponse>(body, |_| {});
    decode::<NetworkResponse>(body, |_| {});
    decode::<PackagesPage>(body, |page| {
        paged(page);
        for a in &page.virtual_machine_packages {
            assert!(!a.is_downgrade_to(a), "a package is a downgrade of itself");
            for b in &page.virtual_machine_packages {
                let _ = a.is_downgrade_to(b);
            }
        }
    });
    decode::<PackageResponse>(body, |r| {
        assert!(!r
            .virtual_machine_package
            .is_downgrade_to(&r.virtual_machine_package))
    });
    decode::<DiskTemplatesPage>(body, paged);
    decode::<DiskTemplateResponse>(body, |_| {});
    decode::<VirtualMachineDisksPage>(body, paged);
    decode::<DiskResized>(body, |r| {
        let _ = r.task.status.is_finished();
    });
    decode::<BuildStarted>(body, |r| {
        build(r.virtual_machine_build.as_ref());
        build(r.build.as_ref());
    });
    decode::<BuildResponse>(body, |r| {
        build(r.virtual_machine_build.as_ref());
        build(r.build.as_ref());
    });
    decode::<VirtualMachinesPage>(body, |page| {
        paged(page);
        for vm in &page.virtual_machines {
            if let Some(state) = vm.state {
                let _ = (state.as_str(), state.is_transitional());
            }
        }
    });
    decode::<VirtualMachineResponse>(body, |r| virtual_machine(&r.virtual_machine));
    decode::<VirtualMachineDeleted>(body, |_| {});
    decode::<TaskResponse>(body, |r| {
        let _ = (r.task.status.as_str(), r.task.status.is_finished());
    });
    decode::<ConsoleSessionResponse>(body, |_| {});
    decode::<TrashObjectResponse>(body, |_| {});
    decode::<IpAddressesPage>(body, |page| {
        paged(page);
        page.ip_addresses.iter().for_each(|ip| {
            let _ = ip.is_ipv4();
        })
    });
    decode::<IpAddressResponse>(body, |r| {
        let _ = r.ip_address.is_ipv4();
    });

    // Error bodies: what an error status makes of them.
    let envelope = serde_json::from_str::<ErrorEnvelope>(body);
    if let Ok(envelope) = &envelope {
        round_trip(envelope);
    }
    for status in ERROR_STATUSES {
        let error = match &envelope {
            Ok(envelope) => ApiError::Api {
                status,
                body: Box::new(envelope.error.clone()),
                request_id: Some("req-fuzz".into()),
            },
            Err(_) => ApiError::UnexpectedStatus {
                status,
                request_id: None,
                snippet: body.chars().take(200).collect(),
            },
        };
        api_error(&error, status, envelope.as_ref().ok());
    }
    // A success status whose body did not decode.
    if let Err(reason) = serde_json::from_str::<VirtualMachineResponse>(body) {
        let error = ApiError::InvalidBody {
            status: 200,
            request_id: None,
            reason: reason.to_string(),
            snippet: body.chars().take(200).collect(),
        };
        api_error(&error, 200, None);
    }

    // A build request's fields come from PHP as a JSON object of strings and numbers.
    if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(body) {
        build_request(&fields);
    }
}

/// Decodes `body` as `T`; when it decodes, checks the round trip and runs `then` on the value.
fn decode<T: Serialize + DeserializeOwned>(body: &str, then: impl FnOnce(&T)) {
    match serde_json::from_str::<T>(body) {
        Ok(value) => {
            round_trip(&value);
            then(&value);
        }
        // The reason goes into an `ApiError::InvalidBody`.
        Err(reason) => drop(reason.to_string()),
    }
}

/// What decoded serializes, and that JSON decodes to the same value again.
fn round_trip<T: Serialize + DeserializeOwned>(value: &T) {
    let name = std::any::type_name::<T>();
    let json = serde_json::to_value(value)
        .unwrap_or_else(|e| panic!("{name}: a decoded value does not serialize: {e}"));
    let again: T = serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("{name}: its own JSON does not decode: {e}\n{json}"));
    let json_again = serde_json::to_value(&again).expect("serializes");
    assert_eq!(json_again, json, "{name}: the round trip changed the value");
}

fn paged<P: Page + Clone>(page: &P) {
    let pagination = page.pagination().clone();
    let items = page.clone().into_items();
    let last = pagination.is_last(items.len());
    assert!(pagination.is_last(0), "an empty page must end the list");
    if let (Some(total), false, false) = (
        pagination.total_pages,
        pagination.large_set,
        items.is_empty(),
    ) {
        assert_eq!(last, pagination.current_page >= total);
    }
    for count in [1, pagination.per_page as usize, usize::MAX] {
        let _ = pagination.is_last(count);
    }
}

fn organization(organization: &katapult::api::organizations::Organization) {
    let reference = katapult::api::organizations::OrganizationRef::from(organization.id.as_str());
    assert_eq!(reference.to_lookup().value, organization.id);
}

fn virtual_machine(vm: &VirtualMachine) {
    let _ = (vm.state.as_str(), vm.state.is_transitional());
    for action in [
        PowerAction::Start,
        PowerAction::Stop,
        PowerAction::Shutdown,
        PowerAction::Reset,
    ] {
        let _ = (action.allowed_in(vm.state), action.is_disruptive());
    }
    vm.ip_addresses.iter().for_each(|ip| {
        let _ = ip.is_ipv4();
    });
    // Debug never shows the root password: it is the same whatever the password.
    if let Some(password) = &vm.initial_root_password {
        assert_eq!(format!("{password:?}"), "Secret(<redacted>)");
    }
}

fn build(build: Option<&VirtualMachineBuild>) {
    if let Some(build) = build {
        let _ = build.state.as_str();
    }
}

/// An `ApiError` made from this status and body: its message and accessors.
fn api_error(error: &ApiError, status: u16, envelope: Option<&ErrorEnvelope>) {
    let message = error.to_string();
    assert!(!message.is_empty());
    assert_eq!(error.status(), Some(status));
    let _ = (error.request_id(), error.detail(), error.is_in_trash());
    match envelope {
        Some(envelope) => {
            assert_eq!(error.code(), Some(envelope.error.code.as_str()));
            assert_eq!(error.kind(), envelope.error.code);
            assert_eq!(error.detail(), envelope.error.detail);
            assert_eq!(
                error.is_not_found(),
                status == 404 && envelope.error.code.ends_with("_not_found")
            );
            assert_eq!(
                error.is_in_trash(),
                envelope.error.code == "object_in_trash"
            );
        }
        None => {
            assert_eq!(error.code(), None);
            assert!(!error.is_not_found() && !error.is_in_trash());
            assert!(matches!(
                error.kind(),
                "unexpected_status" | "invalid_response"
            ));
        }
    }
}

fn build_request(fields: &serde_json::Map<String, Value>) {
    match BuildRequest::from_fields(fields) {
        Ok(request) => {
            for (name, lookup) in [
                ("organization", request.organization.to_lookup()),
                ("package", request.package.to_lookup()),
                ("data_center", request.data_center.to_lookup()),
            ] {
                assert!(!lookup.value.is_empty(), "{name} accepted empty");
                assert_eq!(lookup.value, lookup.value.trim(), "{name} not trimmed");
            }
            if let Some(size) = request.system_disk_size_in_gb {
                assert!((1..=65_536).contains(&size), "disk size {size} accepted");
            }
            assert!(request
                .hostname
                .as_ref()
                .is_none_or(|h| !h.trim().is_empty()));
        }
        Err(message) => assert!(!message.is_empty()),
    }
}
