//! `katapult_AdminServicesTabFieldsSave()`: when the admin saves the service page, the reverse
//! DNS names edited in the service tab's "Reverse DNS" field are set in Katapult (the changed
//! ones only). WHMCS shows nothing a save function returns: each outcome, refusals included, is
//! in the activity log.

use serde_json::{Map, Value};

use crate::api::virtual_machines::VirtualMachine;
use crate::service::context::Context;
use crate::service::params::ServiceParams;
use crate::views::escape;

use super::reverse_dns::set_reverse_dns;

/// The posted field: `katapult_rdns[<ip id>] = name`.
pub const RDNS_FIELD: &str = "katapult_rdns";
/// Each address's name as the tab showed it, to tell an edit from a name left alone.
pub const RDNS_SHOWN_FIELD: &str = "katapult_rdns_shown";

/// `posted` is the page's `$_POST`, as WHMCS passes it (HTML-encoded).
pub fn save(ctx: &Context<'_>, params: &ServiceParams, posted: &Map<String, Value>) {
    let field = |name: &str| {
        posted
            .get(name)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (names, shown) = (field(RDNS_FIELD), field(RDNS_SHOWN_FIELD));
    let text = |map: &Map<String, Value>, ip: &str| {
        crate::views::unescape_special_chars(
            map.get(ip).and_then(Value::as_str).unwrap_or_default(),
        )
    };
    for ip_id in names.keys() {
        let name = text(&names, ip_id);
        if name.trim() == text(&shown, ip_id).trim() {
            continue;
        }
        // Logged by set_reverse_dns, whatever the outcome.
        set_reverse_dns(ctx, params, None, ip_id, &name);
    }
}

/// The service tab's "Reverse DNS" field: each address of the VM with its name in a text box
/// the page's Save Changes sends here.
pub fn reverse_dns_field(vm: &VirtualMachine) -> String {
    let rows: String = vm
        .ip_addresses
        .iter()
        .map(|ip| {
            let (id, name) = (escape(&ip.id), escape(ip.reverse_dns.as_deref().unwrap_or_default()));
            format!(
                r#"<div class="katapult-rdns form-inline"><code>{}</code> <input type="text" class="form-control input-sm input-300" name="{RDNS_FIELD}[{id}]" value="{name}" aria-label="Reverse DNS of {0}"><input type="hidden" name="{RDNS_SHOWN_FIELD}[{id}]" value="{name}"></div>"#,
                escape(&ip.address)
            )
        })
        .collect();
    if rows.is_empty() {
        return r#"<span class="text-muted">the VM has no address yet</span>"#.into();
    }
    format!(
        r#"{rows}<span class="text-muted">Save Changes sets what you edited; an empty box gives an address Katapult's default name.</span>"#
    )
}
