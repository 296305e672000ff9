//! How each served operation refuses permission, for injected 403s: the
//! operation's own `permission_denied` where the OpenAPI file declares it,
//! otherwise Apia's `scope_not_granted` naming the scopes the operation accepts
//! (e.g. `managed_organizations` on the managed-organization endpoints, which is
//! how a token without managed organizations is refused). Operations that need
//! no scope (data centers, zones) cannot refuse and are not listed.

use crate::errors::ApiError;

/// `(route as counted in Stats::requests, accepted scopes, declares permission_denied)`,
/// from `paths.<p>.<m>.security[].Authenticator` and `responses.403` of the spec.
const OPERATIONS: &[(&str, &[&str], bool)] = &[
    ("GET /organizations", &["organizations:read"], false),
    (
        "GET /organizations/:organization",
        &["organizations:read"],
        false,
    ),
    (
        "GET /organizations/:organization/managed",
        &["managed_organizations"],
        false,
    ),
    (
        "POST /organizations/:organization/managed",
        &["managed_organizations"],
        false,
    ),
    (
        "DELETE /managed_organizations/:organization",
        &["managed_organizations:delete"],
        true,
    ),
    (
        "GET /virtual_machine_packages",
        &["virtual_machine_packages:read"],
        false,
    ),
    (
        "GET /virtual_machine_packages/:virtual_machine_package",
        &["virtual_machine_packages:read"],
        false,
    ),
    (
        "GET /organizations/:organization/disk_templates",
        &["disk_templates", "disk_templates:read"],
        false,
    ),
    (
        "GET /disk_templates/:disk_template",
        &["disk_templates", "disk_templates:read"],
        false,
    ),
    (
        "POST /organizations/:organization/virtual_machines/build",
        &["virtual_machines"],
        true,
    ),
    (
        "GET /virtual_machines/builds/:virtual_machine_build",
        &["virtual_machines", "virtual_machines:read"],
        false,
    ),
    (
        "GET /organizations/:organization/virtual_machines",
        &["virtual_machines", "virtual_machines:read"],
        false,
    ),
    (
        "GET /virtual_machines/:virtual_machine",
        &["virtual_machines", "virtual_machines:read"],
        false,
    ),
    (
        "DELETE /virtual_machines/:virtual_machine",
        &["virtual_machines"],
        true,
    ),
    (
        "POST /virtual_machines/:virtual_machine/start",
        &["virtual_machines", "virtual_machines:power_actions"],
        true,
    ),
    (
        "POST /virtual_machines/:virtual_machine/stop",
        &["virtual_machines", "virtual_machines:power_actions"],
        true,
    ),
    (
        "POST /virtual_machines/:virtual_machine/shutdown",
        &["virtual_machines", "virtual_machines:power_actions"],
        true,
    ),
    (
        "POST /virtual_machines/:virtual_machine/reset",
        &["virtual_machines", "virtual_machines:power_actions"],
        true,
    ),
    (
        "PUT /virtual_machines/:virtual_machine/package",
        &["virtual_machines"],
        true,
    ),
    (
        "POST /virtual_machines/:virtual_machine/console_sessions",
        &["virtual_machines", "virtual_machines:console"],
        true,
    ),
    (
        "GET /virtual_machines/:virtual_machine/disks",
        &["disks", "disks:read"],
        false,
    ),
    ("GET /disks/:disk", &["disks", "disks:read"], false),
    ("PUT /disks/:disk/resize", &["disks"], true),
    ("GET /tasks/:task", &["tasks", "tasks:read"], false),
    (
        "GET /trash_objects/:trash_object",
        &["trash_objects:read"],
        false,
    ),
    (
        "DELETE /trash_objects/:trash_object",
        &["trash_objects:purge"],
        true,
    ),
    (
        "GET /organizations/:organization/ip_addresses",
        &["ip_addresses", "ip_addresses:read"],
        true,
    ),
    (
        "GET /ip_addresses/:ip_address",
        &["ip_addresses", "ip_addresses:read"],
        false,
    ),
    ("PATCH /ip_addresses/:ip_address", &["ip_addresses"], true),
    (
        "GET /virtual_machines/:virtual_machine/disk_backup_policies",
        &["disk_backup_policies", "disk_backup_policies:read"],
        true,
    ),
    (
        "POST /virtual_machines/:virtual_machine/disk_backup_policies",
        &["disk_backup_policies"],
        true,
    ),
    (
        "GET /disk_backup_policies/:disk_backup_policy",
        &["disk_backup_policies", "disk_backup_policies:read"],
        false,
    ),
    (
        "PATCH /disk_backup_policies/:disk_backup_policy",
        &["disk_backup_policies"],
        true,
    ),
    (
        "DELETE /disk_backup_policies/:disk_backup_policy",
        &["disk_backup_policies"],
        true,
    ),
    (
        "POST /trash_objects/:trash_object/restore",
        &["trash_objects:restore"],
        true,
    ),
    (
        "POST /organizations/:organization/ip_addresses",
        &["ip_addresses"],
        true,
    ),
    ("DELETE /ip_addresses/:ip_address", &["ip_addresses"], true),
    (
        "POST /ip_addresses/:ip_address/unallocate",
        &["ip_addresses"],
        false,
    ),
    (
        "POST /virtual_machines/:virtual_machine/allocate_ip",
        &["ip_addresses"],
        false,
    ),
    (
        "PATCH /virtual_machines/:virtual_machine",
        &["virtual_machines"],
        false,
    ),
];

/// The 403 the operation `route` answers a refused identity with, if it can refuse.
pub fn refusal(route: &str) -> Option<ApiError> {
    let (_, scopes, denies) = OPERATIONS.iter().find(|(r, _, _)| *r == route)?;
    Some(if *denies {
        ApiError::permission_denied("This API token is not permitted to perform this action")
    } else {
        ApiError::scope_not_granted(scopes)
    })
}

/// What a managed organization, which cannot have managed organizations of its
/// own, gets from the managed-organization endpoints (they declare no
/// `permission_denied`).
pub fn managed_organizations_not_enabled() -> ApiError {
    ApiError::scope_not_granted(&["managed_organizations"])
}
