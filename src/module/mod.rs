//! One file per WHMCS module function, each a short story told with the service layer.
//! They return plain data; `php/` hands it to WHMCS in the shape WHMCS expects.

pub mod addon_page;
pub mod admin_services_tab;
pub mod admin_services_tab_save;
mod asked;
pub mod backup_time;
pub mod change_package;
pub mod client_area;
pub mod config_options;
pub mod create_account;
pub mod dashboard_widget;
pub mod drift_check;
pub mod list_accounts;
pub mod meta_data;
pub mod power_buttons;
pub mod product_settings_pane;
pub mod refresh_from_katapult;
pub mod rename_vm;
pub mod restore_vm;
pub mod reverse_dns;
pub mod self_service_panel;
pub mod single_sign_on;
pub mod suspend_account;
pub mod terminate_account;
pub mod test_connection;
pub mod unsuspend_account;

use crate::service::client_request::ClientRequest;
use crate::service::context::{Context, ModuleError};
use crate::views::without_markup;

/// What WHMCS shows for a module function's outcome: its own text (`success`, or why nothing was
/// done), or what failed, prefixed with what was not done; never markup (see `without_markup`).
fn said(outcome: Result<String, ModuleError>, not_done: &str) -> String {
    outcome.unwrap_or_else(|error| without_markup(&format!("Katapult: {not_done}: {error}")))
}

/// A failure as told to whoever asked: a client gets their language's `key` (WHMCS prints the
/// answer in their page as it is; the log has Katapult's wording), an admin the text itself,
/// without markup.
fn told(client: Option<&ClientRequest>, key: &str, text: &str) -> String {
    match client {
        Some(request) => request.lang.text(key),
        None => without_markup(text),
    }
}

/// After any action on a service (power, package change, suspension, termination, a build, a
/// refresh; from WHMCS, the client area or hook code), whether it succeeded or not: the client
/// area's last read of the VM is forgotten, so the next page or poll reads the VM afresh instead
/// of showing it as it was.
pub fn after_action(ctx: &Context<'_>, service_id: u64, client_id: u64) {
    let forgotten = ctx
        .live_reads()
        .and_then(|reads| Ok(reads.forget(service_id)?));
    if let Err(error) = forgotten {
        ctx.log_for_service(
            service_id,
            Some(client_id),
            &format!("the client area may show the VM as it was for a few seconds: {error}"),
        );
    }
}
