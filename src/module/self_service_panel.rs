//! The overview's "Manage" section (`views/client/virtual_machines/manage.hbs`): the reverse DNS
//! of each of the VM's addresses (the extra IPv4 addresses included) and the rename form, each
//! form with its own single-use token. Rendered on its own, so a provider can override it
//! without copying the whole overview, and given to the overview as `manage_html`.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::api::virtual_machines::VirtualMachine;
use crate::service::action_tokens::ActionTokens;
use crate::service::client_request::ClientRequest;
use crate::service::params::ServiceParams;

use super::client_area::custom_url;
use super::{rename_vm, reverse_dns};

pub const MANAGE_TEMPLATE: &str = "views/client/virtual_machines/manage.hbs";

/// The section's data, under `manage`.
pub fn model(
    params: &ServiceParams,
    request: &ClientRequest,
    vm: &VirtualMachine,
    tokens: &ActionTokens,
    now: DateTime<Utc>,
) -> Value {
    let token = |action: &str| tokens.issue(&request.binding(params, action), now);
    let addresses: Vec<Value> = vm
        .ip_addresses
        .iter()
        .map(|ip| {
            json!({
                "id": ip.id,
                "address": ip.address,
                "name": ip.reverse_dns,
                "token": token(reverse_dns::FUNCTION),
            })
        })
        .collect();
    json!({
        "manage": {
            "reverse_dns": {
                "url": custom_url(params.service_id, reverse_dns::FUNCTION),
                "ip_field": reverse_dns::IP_FIELD,
                "name_field": reverse_dns::NAME_FIELD,
                "addresses": addresses,
            },
            "rename": {
                "url": custom_url(params.service_id, rename_vm::FUNCTION),
                "token": token(rename_vm::FUNCTION),
                "name_field": rename_vm::NAME_FIELD,
                "hostname_field": rename_vm::HOSTNAME_FIELD,
                "name": vm.name,
                "hostname": vm.hostname,
                "hostname_allowed": rename_vm::hostname_changes_allowed(params),
            },
        }
    })
}
