//! `katapult_SetReverseDns()`: the reverse DNS (PTR name) of one of the VM's addresses, set by
//! the client from the panel (one form per address, each with its single-use token) or by an
//! admin from the service tab (`admin_services_tab_save`).
//!
//! The story: the client's token is used up; the name is checked as a hostname before anything
//! is sent (empty gives Katapult's default name back); a client has a few writes per window, so
//! the form cannot spend the installation's API budget; the address must be one of this
//! service's VM (an id from someone else's server is refused and logged); then Katapult sets it,
//! and a refusal of Katapult's becomes a sentence in the client's language.

use chrono::Duration;

use crate::api::ip_addresses::IpAddressRef;
use crate::service::client_request::ClientRequest;
use crate::service::context::{Context, ModuleError};
use crate::service::dns_names::reverse_dns_name;
use crate::service::params::ServiceParams;
use crate::service::vm_target::{service_vm, ServiceVm};
use crate::store::client_budget::ClientBudget;
use crate::store::live_reads::LiveReads;

use super::asked::Asked;

pub const FUNCTION: &str = "SetReverseDns";
/// The posted fields of the panel's form: the address's id and the name typed.
pub const IP_FIELD: &str = "katapult_ip";
pub const NAME_FIELD: &str = "katapult_reverse_dns";

/// The reverse-DNS writes one client may make in a window.
pub const WRITES_PER_WINDOW: u32 = 10;
pub const WRITES_WINDOW: Duration = Duration::minutes(10);
const BUDGET_TABLE: &str = "mod_katapult_rdns_writes";

/// 'success', or why nothing was set: the client's language for a client, plain text for an admin.
pub fn set_reverse_dns(
    ctx: &Context<'_>,
    params: &ServiceParams,
    client: Option<&ClientRequest>,
    ip_id: &str,
    name: &str,
) -> String {
    let asked = Asked {
        ctx,
        params,
        client,
        what: "reverse DNS",
        not_done: "the reverse DNS was not set",
    };
    if let Err(answer) = asked.authorized(FUNCTION) {
        return answer;
    }
    let Some(name) = reverse_dns_name(name) else {
        return asked.refused(
            &format!("\"{}\" is not a hostname", name.trim()),
            "katapult_rdns_invalid",
        );
    };
    if let Some(request) = client {
        match spend_write(ctx, request) {
            Ok(true) => {}
            Ok(false) => {
                return asked.refused(
                    &format!(
                        "more than {WRITES_PER_WINDOW} changes in {} minutes",
                        WRITES_WINDOW.num_minutes()
                    ),
                    "katapult_rdns_too_many",
                )
            }
            Err(error) => return asked.failed(error),
        }
    }
    match run(ctx, params, ip_id, &name) {
        Ok(Set::Done(address)) => {
            let shown = if name.is_empty() {
                "Katapult's default name".to_string()
            } else {
                name
            };
            asked.log(&format!(
                "reverse DNS of {address} set to {shown} by {}",
                asked.who()
            ));
            "success".into()
        }
        Ok(Set::NoVm(reason)) => super::told(client, "katapult_action_failed", &reason),
        Ok(Set::NotTheVms) => asked.refused(
            &format!("address {ip_id} is not one of this service's VM"),
            "katapult_rdns_not_yours",
        ),
        Ok(Set::Refused(errors)) => asked.refused(
            &format!("Katapult refused the name: {errors}"),
            "katapult_rdns_refused",
        ),
        Err(error) => asked.failed(error),
    }
}

enum Set {
    /// Set, on this address.
    Done(String),
    NoVm(String),
    NotTheVms,
    /// Katapult's refusal of the name, its reasons joined.
    Refused(String),
}

fn run(
    ctx: &Context<'_>,
    params: &ServiceParams,
    ip_id: &str,
    name: &str,
) -> Result<Set, ModuleError> {
    let ServiceVm { client, vm, .. } = match service_vm(ctx, params)? {
        Ok(target) => target,
        Err(reason) => return Ok(Set::NoVm(reason)),
    };
    ctx.logged(&client, || {
        let vm = client.virtual_machine(&vm)?.virtual_machine;
        let Some(address) = vm.ip_addresses.iter().find(|ip| ip.id == ip_id) else {
            return Ok(Set::NotTheVms);
        };
        match client.update_reverse_dns(&IpAddressRef::Id(address.id.clone()), name) {
            Ok(_) => {}
            Err(error) if !error.refused_values().is_empty() => {
                return Ok(Set::Refused(error.refused_values().join("; ")))
            }
            Err(error) => return Err(error.into()),
        }
        // The panel's next read shows the new name.
        LiveReads::open(ctx.sql)?.forget(params.service_id)?;
        Ok(Set::Done(address.address.clone()))
    })
}

/// Spends one of the client's writes; false when the window's are spent.
fn spend_write(ctx: &Context<'_>, request: &ClientRequest) -> Result<bool, ModuleError> {
    Ok(ClientBudget::open(ctx.sql, BUDGET_TABLE)?.spend(
        request.viewer_client_id,
        ctx.now,
        WRITES_PER_WINDOW,
        WRITES_WINDOW,
    )?)
}
