//! `Katapult\Module\*`: what `module/katapult.php` hands each WHMCS module function to.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use ext_php_rs::boxed::ZBox;
use ext_php_rs::exception::PhpResult;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};

use super::bailout::or_resume_bailout;
use super::convert::{entries, table_to_json, to_php_array, zval_to_json, Objects};
use super::exceptions::failure;
use super::ini;
use super::pdo::PdoSql;
use super::whmcs_host::{call_function, WhmcsHost};
use crate::module::{
    admin_services_tab, admin_services_tab_save, backup_time, change_package, client_area,
    config_options, create_account, list_accounts, meta_data, power_buttons, product_settings_pane,
    refresh_from_katapult, rename_vm, restore_vm, reverse_dns, single_sign_on, suspend_account,
    terminate_account, test_connection, unsuspend_account,
};
use crate::service::client_request::{ClientRequest, Lang};
use crate::service::context::{Context, ModuleError};
use crate::service::host::Host;
use crate::service::option_sync::{self, SyncMode};
use crate::service::params::{ParamsSource, ServiceParams};
use crate::service::{build_sync, cron_record, welcome_email};

type ArrayResult = PhpResult<ZBox<ZendHashTable>>;

/// Runs `work` with WHMCS's database, WHMCS itself, the INI API settings (the token is the
/// stored key, filled in later) and the time; or says, as (kind, message), what kept it from
/// running. PHP code that `work` calls and that ends in a fatal error ends the request here,
/// once `work` has unwound (`bailout`).
pub(super) fn in_context<T>(
    work: impl FnOnce(&Context<'_>) -> T,
) -> Result<T, (&'static str, String)> {
    or_resume_bailout(run_in_context(work))
}

fn run_in_context<T>(work: impl FnOnce(&Context<'_>) -> T) -> Result<T, (&'static str, String)> {
    let sql = PdoSql::from_whmcs().map_err(|e| ("database", e.to_string()))?;
    let api = ini::api_settings("", None).map_err(|e| ("invalid_settings", e))?;
    Ok(work(&Context::new(&sql, &WhmcsHost, api, Utc::now())))
}

/// `in_context` for PHP: what kept the work from running is thrown.
pub(super) fn with_context<T>(work: impl FnOnce(&Context<'_>) -> T) -> PhpResult<T> {
    in_context(work).map_err(|(kind, message)| failure(kind, message))
}

/// A `value => label` list as WHMCS's loader functions return it.
fn options(list: Result<Vec<(String, String)>, ModuleError>) -> ArrayResult {
    let list = list.map_err(|e| failure("module", e.to_string()))?;
    let mut table = ZendHashTable::new();
    for (value, label) in list {
        table
            .insert(value.as_str(), label)
            .map_err(|e| failure("module", e.to_string()))?;
    }
    Ok(table)
}

/// katapult_MetaData(): the module's name and needs.
#[php_function]
#[php(name = "Katapult\\Module\\metaData")]
pub fn module_meta_data() -> ArrayResult {
    to_php_array(&meta_data::meta_data()).map_err(|e| failure("module", e))
}

/// katapult_ConfigOptions(): the product's Module Settings fields.
#[php_function]
#[php(name = "Katapult\\Module\\configOptions")]
pub fn module_config_options() -> ArrayResult {
    to_php_array(&config_options::config_options()).map_err(|e| failure("module", e))
}

/// The "Virtual machine package" dropdown: permalink => label.
#[php_function]
#[php(name = "Katapult\\Module\\loadPackages")]
pub fn module_load_packages(params: Option<&ZendHashTable>) -> ArrayResult {
    let _ = params; // WHMCS passes the product's params; the list does not depend on them.
    options(with_context(config_options::packages)?)
}

/// The "Data center" dropdown: "client chooses", then permalink => name.
#[php_function]
#[php(name = "Katapult\\Module\\loadDataCenters")]
pub fn module_load_data_centers(params: Option<&ZendHashTable>) -> ArrayResult {
    let _ = params;
    options(with_context(config_options::data_centers)?)
}

/// The "Disk template" dropdown: "client chooses", then permalink => name.
#[php_function]
#[php(name = "Katapult\\Module\\loadDiskTemplates")]
pub fn module_load_disk_templates(params: Option<&ZendHashTable>) -> ArrayResult {
    let _ = params;
    options(with_context(config_options::disk_templates)?)
}

/// katapult_TestConnection(): ['success' => bool, 'error' => string].
#[php_function]
#[php(name = "Katapult\\Module\\testConnection")]
pub fn module_test_connection(params: Option<&ZendHashTable>) -> ArrayResult {
    let _ = params;
    let result = match with_context(test_connection::test_connection) {
        Ok(result) => result,
        Err(_) => test_connection::ConnectionTest {
            success: false,
            error: "The module could not reach WHMCS's database.".into(),
        },
    };
    let mut table = ZendHashTable::new();
    table
        .insert("success", result.success)
        .map_err(|e| failure("module", e.to_string()))?;
    table
        .insert("error", result.error)
        .map_err(|e| failure("module", e.to_string()))?;
    Ok(table)
}

/// katapult_ListAccounts(): `['success' => true, 'accounts' => [...]]` for WHMCS's server sync
/// tool, or `['success' => false, 'error' => …]`.
#[php_function]
#[php(name = "Katapult\\Module\\listAccounts")]
pub fn module_list_accounts(params: Option<&ZendHashTable>) -> ArrayResult {
    let _ = params; // the server's fields: the module's key and organizations are its own
                    // Every failure is the documented answer, which the sync tool shows the admin.
    let answer = match in_context(list_accounts::list_accounts) {
        Ok(Ok(accounts)) => serde_json::json!({"success": true, "accounts": accounts}),
        Ok(Err(error)) => serde_json::json!({"success": false, "error": error.to_string()}),
        Err((_, message)) => serde_json::json!({"success": false, "error": message}),
    };
    to_php_array(&answer).map_err(|e| failure("module", e))
}

/// An integer entry of a hook's `$vars` (`pid`), also when WHMCS passes it as a string.
pub(super) fn id_from(vars: &ZendHashTable, key: &str) -> Option<u64> {
    let value = vars.get(key)?;
    value
        .long()
        .or_else(|| value.str()?.trim().parse().ok())
        .and_then(|id| u64::try_from(id).ok())
}

pub(super) fn text_from(table: &ZendHashTable, key: &str) -> String {
    table
        .get(key)
        .and_then(|v| v.str())
        .unwrap_or_default()
        .to_string()
}

/// A posted value as it was typed: WHMCS HTML-encodes every request value when it boots
/// (`htmlspecialchars`, ENT_QUOTES), which this undoes.
pub(super) fn posted_text(post: &ZendHashTable, key: &str) -> String {
    crate::views::unescape_special_chars(&text_from(post, key))
}

/// Hook AdminProductConfigFields: the API key and parent organization pane, for Katapult
/// products only. A failure is shown in the pane rather than breaking the product page.
#[php_function]
#[php(name = "Katapult\\Module\\productSettingsFields")]
pub fn module_product_settings_fields(vars: &ZendHashTable) -> ArrayResult {
    let Some(product_id) = id_from(vars, "pid") else {
        return Ok(ZendHashTable::new());
    };
    let fields = with_context(|ctx| {
        if !product_settings_pane::is_katapult_product(ctx, product_id)? {
            return Ok(vec![]);
        }
        product_settings_pane::fields(ctx)
    })?;
    let fields =
        fields.unwrap_or_else(|e| vec![("Katapult".into(), crate::views::escape(&e.to_string()))]);
    options(Ok(fields))
}

/// Hook AdminProductConfigFieldsSave: saves the pane's fields from the posted form.
#[php_function]
#[php(name = "Katapult\\Module\\saveProductSettings")]
pub fn module_save_product_settings(vars: &ZendHashTable, post: &ZendHashTable) -> PhpResult<()> {
    let Some(product_id) = id_from(vars, "pid") else {
        return Ok(());
    };
    with_context(|ctx| {
        let saved =
            product_settings_pane::is_katapult_product(ctx, product_id).and_then(|katapult| {
                if katapult {
                    product_settings_pane::save(
                        ctx,
                        &posted_text(post, "katapult_api_key"),
                        &posted_text(post, "katapult_parent_organization"),
                        !posted_text(post, "katapult_sync_config_options").is_empty(),
                    )
                } else {
                    Ok(())
                }
            });
        if let Err(error) = saved {
            ctx.host.log_activity(
                &format!("[Katapult] The product's Katapult settings were not saved: {error}"),
                None,
            );
        }
    })
}

/// A service's `$params` as the module reads them.
fn service_params(params: &ZendHashTable) -> Result<ServiceParams, String> {
    // Read key by key: WHMCS's $params also carry the client's every detail, the server's and
    // Eloquent models, which every page would otherwise convert.
    ServiceParams::read(&PhpParams(params))
}

/// WHMCS's `$params` as `ServiceParams` reads them.
struct PhpParams<'a>(&'a ZendHashTable);

impl PhpParams<'_> {
    fn scalar_of(value: Option<&Zval>) -> Result<Option<serde_json::Value>, String> {
        match value {
            Some(value) if value.is_long() || value.is_double() || value.is_string() => {
                zval_to_json(value, 1, Objects::Skip).map(Some)
            }
            _ => Ok(None),
        }
    }
}

impl ParamsSource for PhpParams<'_> {
    fn scalar(&self, key: &str) -> Result<Option<serde_json::Value>, String> {
        Self::scalar_of(self.0.get(key))
    }

    fn scalar_in(&self, table: &str, key: &str) -> Result<Option<serde_json::Value>, String> {
        Self::scalar_of(
            self.0
                .get(table)
                .and_then(Zval::array)
                .and_then(|t| t.get(key)),
        )
    }

    fn entries_of(&self, table: &str) -> Result<Vec<(String, Option<serde_json::Value>)>, String> {
        let Some(table) = self.0.get(table).and_then(Zval::array) else {
            return Ok(Vec::new());
        };
        entries(table)?
            .into_iter()
            .map(|(name, value)| Ok((name.to_string(), Self::scalar_of(Some(value))?)))
            .collect()
    }
}

/// Runs a module function on a service's params; Err is what kept it from running, said the way
/// WHMCS shows module errors.
fn in_service_context<T>(
    params: &ZendHashTable,
    work: impl FnOnce(&Context<'_>, &ServiceParams) -> T,
) -> Result<T, String> {
    let params = service_params(params).map_err(|error| format!("Katapult: {error}"))?;
    in_context(|ctx| work(ctx, &params)).map_err(|(_, message)| format!("Katapult: {message}"))
}

/// A module function acting on a service, whose outcome is the string WHMCS shows.
fn for_service(
    params: &ZendHashTable,
    work: impl FnOnce(&Context<'_>, &ServiceParams) -> String,
) -> String {
    in_service_context(params, |ctx, params| {
        let outcome = work(ctx, params);
        crate::module::after_action(ctx, params.service_id, params.client_id);
        outcome
    })
    .unwrap_or_else(|message| message)
}

/// `for_service` for the functions that may wait for a VM to shut down (katapult.suspend_grace).
fn for_service_with_grace(
    params: &ZendHashTable,
    work: impl FnOnce(&Context<'_>, &ServiceParams, Duration) -> String,
) -> String {
    match ini::suspend_grace() {
        Ok(grace) => for_service(params, |ctx, params| work(ctx, params, grace)),
        Err(error) => format!("Katapult: {error}"),
    }
}

/// katapult_CreateAccount(): requests the VM build; 'success' or what went wrong.
#[php_function]
#[php(name = "Katapult\\Module\\createAccount")]
pub fn module_create_account(params: &ZendHashTable) -> String {
    for_service(params, create_account::create_account)
}

/// katapult_SuspendAccount(): shuts the VM down (stopping it after katapult.suspend_grace).
#[php_function]
#[php(name = "Katapult\\Module\\suspendAccount")]
pub fn module_suspend_account(params: &ZendHashTable) -> String {
    for_service_with_grace(params, suspend_account::suspend_account)
}

/// katapult_ChangePackage(): moves the VM to the service's package (a downgrade through a stop).
#[php_function]
#[php(name = "Katapult\\Module\\changePackage")]
pub fn module_change_package(params: &ZendHashTable) -> String {
    for_service_with_grace(params, change_package::change_package)
}

/// katapult_UnsuspendAccount(): starts the VM.
#[php_function]
#[php(name = "Katapult\\Module\\unsuspendAccount")]
pub fn module_unsuspend_account(params: &ZendHashTable) -> String {
    for_service(params, unsuspend_account::unsuspend_account)
}

/// katapult_TerminateAccount(): deletes the VM to Katapult's trash and clears the links.
#[php_function]
#[php(name = "Katapult\\Module\\terminateAccount")]
pub fn module_terminate_account(params: &ZendHashTable) -> String {
    for_service(params, terminate_account::terminate_account)
}

/// What `katapult.php` tells of a client-area request (`katapult_client_request()`):
/// `['client' => uid, 'token' => posted katapult_token, 'csrf' => WHMCS token, 'language' =>
/// the client's language, 'dir' => module directory]`. None (admin area, API) when PHP passes null.
fn client_request(request: Option<&ZendHashTable>) -> Result<Option<ClientRequest>, String> {
    request.map(client_request_from).transpose()
}

fn client_request_from(request: &ZendHashTable) -> Result<ClientRequest, String> {
    let module_dir = text_from(request, "dir");
    if module_dir.is_empty() {
        return Err("the client-area request names no module directory ('dir')".into());
    }
    let lang = Lang::cached(
        Path::new(&module_dir),
        &text_from(request, "language"),
        read_lang,
    )?;
    Ok(ClientRequest {
        viewer_client_id: id_from(request, "client").unwrap_or(0),
        action_token: text_from(request, "token"),
        csrf_token: text_from(request, "csrf"),
        lang,
        module_dir: module_dir.into(),
    })
}

/// A language's strings as `katapult_lang()` (module/functions.php) reads its files.
fn read_lang(language: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let strings = call_function("katapult_lang", vec![&language]).map_err(|e| e.to_string())?;
    match strings
        .array()
        .map(|table| table_to_json(table, 0, Objects::Skip))
    {
        Some(Ok(serde_json::Value::Object(strings))) => Ok(strings),
        // (PHP's empty array reads as a list.)
        Some(Ok(serde_json::Value::Array(none))) if none.is_empty() => Ok(Default::default()),
        Some(Err(e)) => Err(format!(
            "katapult_lang() returned strings that cannot be read: {e}"
        )),
        _ => Err("katapult_lang() did not return the strings as an array with keys".into()),
    }
}

/// The Start/Stop/Shut down/Reset buttons: `$action` is start, stop, shutdown or reset;
/// `$client` the client-area request, null from the admin area.
#[php_function]
#[php(name = "Katapult\\Module\\power")]
pub fn module_power(
    params: &ZendHashTable,
    action: String,
    client: Option<&ZendHashTable>,
) -> String {
    let Some((_, _, action)) = power_buttons::BUTTONS
        .iter()
        .find(|(_, _, a)| a.as_str() == action)
    else {
        return format!(
            "Katapult: `{action}` is not a power action (start, stop, shutdown, reset)"
        );
    };
    for_service_asked_by(params, client, |ctx, params, request| {
        power_buttons::power(ctx, params, *action, request)
    })
}

/// `for_service` for a custom function a client calls from the panel (`$client`, the
/// client-area request) or an admin from the admin area (`$client` null).
fn for_service_asked_by(
    params: &ZendHashTable,
    client: Option<&ZendHashTable>,
    work: impl FnOnce(&Context<'_>, &ServiceParams, Option<&ClientRequest>) -> String,
) -> String {
    match client_request(client) {
        Ok(request) => for_service(params, |ctx, params| work(ctx, params, request.as_ref())),
        Err(error) => format!("Katapult: {error}"),
    }
}

/// The backups section's "Change time" form: `$hour` as posted; `$client` the client-area
/// request, null from the admin area.
#[php_function]
#[php(name = "Katapult\\Module\\backupTime")]
pub fn module_backup_time(
    params: &ZendHashTable,
    hour: String,
    client: Option<&ZendHashTable>,
) -> String {
    for_service_asked_by(params, client, |ctx, params, request| {
        backup_time::backup_time(
            ctx,
            params,
            &crate::views::unescape_special_chars(&hour),
            request,
        )
    })
}

/// The admin's "Restore VM" button: undoes a termination from Katapult's trash.
#[php_function]
#[php(name = "Katapult\\Module\\restoreVm")]
pub fn module_restore_vm(params: &ZendHashTable) -> String {
    for_service(params, restore_vm::restore_vm)
}

/// The posted form (`$_POST`) as JSON; an empty one when it cannot be read.
fn posted_form(post: &ZendHashTable) -> serde_json::Map<String, serde_json::Value> {
    match table_to_json(post, 0, Objects::Skip) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => serde_json::Map::new(),
    }
}

/// katapult_SetReverseDns(): the reverse DNS of one of the VM's addresses (`katapult_ip`,
/// `katapult_reverse_dns` in `$post`); `$client` the client-area request, null from the admin area.
#[php_function]
#[php(name = "Katapult\\Module\\setReverseDns")]
pub fn module_set_reverse_dns(
    params: &ZendHashTable,
    client: Option<&ZendHashTable>,
    post: &ZendHashTable,
) -> String {
    let (ip, name) = (
        posted_text(post, reverse_dns::IP_FIELD),
        posted_text(post, reverse_dns::NAME_FIELD),
    );
    for_service_asked_by(params, client, |ctx, params, request| {
        reverse_dns::set_reverse_dns(ctx, params, request, &ip, &name)
    })
}

/// katapult_RenameVm(): the VM's display name and, where the product allows, hostname
/// (`katapult_name`, `katapult_hostname` in `$post`).
#[php_function]
#[php(name = "Katapult\\Module\\renameVm")]
pub fn module_rename_vm(
    params: &ZendHashTable,
    client: Option<&ZendHashTable>,
    post: &ZendHashTable,
) -> String {
    let (name, hostname) = (
        posted_text(post, rename_vm::NAME_FIELD),
        posted_text(post, rename_vm::HOSTNAME_FIELD),
    );
    for_service_asked_by(params, client, |ctx, params, request| {
        rename_vm::rename_vm(ctx, params, request, &name, &hostname)
    })
}

/// katapult_AdminServicesTabFieldsSave(): sets the reverse DNS names edited in the service tab.
/// Returns nothing (WHMCS shows nothing): what kept it from running goes to the activity log.
#[php_function]
#[php(name = "Katapult\\Module\\adminServicesTabSave")]
pub fn module_admin_services_tab_save(params: &ZendHashTable, post: &ZendHashTable) {
    let posted = posted_form(post);
    if let Err(problem) = in_service_context(params, |ctx, params| {
        admin_services_tab_save::save(ctx, params, &posted)
    }) {
        WhmcsHost.log_activity(
            &format!("[Katapult] The service tab's changes were not saved: {problem}"),
            None,
        );
    }
}

/// katapult_ClientArea(): the panel's HTML (building, overview, or a readable problem).
#[php_function]
#[php(name = "Katapult\\Module\\clientArea")]
pub fn module_client_area(params: &ZendHashTable, client: &ZendHashTable) -> String {
    for_client_area(
        params,
        client,
        client_area::client_area,
        client_area::unavailable_panel,
    )
}

/// katapult_LiveState(): the panel afresh as JSON, for the panel's script.
#[php_function]
#[php(name = "Katapult\\Module\\liveState")]
pub fn module_live_state(params: &ZendHashTable, client: &ZendHashTable) -> String {
    for_client_area(
        params,
        client,
        |ctx, params, request| client_area::live_state(ctx, params, request).to_string(),
        json_unavailable,
    )
}

/// katapult_RevealPassword(): the service's password as JSON, for the panel's Show button.
#[php_function]
#[php(name = "Katapult\\Module\\revealPassword")]
pub fn module_reveal_password(params: &ZendHashTable, client: &ZendHashTable) -> String {
    for_client_area(
        params,
        client,
        |ctx, params, request| client_area::reveal_password(ctx, params, request).to_string(),
        json_unavailable,
    )
}

/// A client-area page's work on the request `katapult.php` gathered. It never throws: WHMCS
/// turns any exception from ClientArea or a custom function into its "Oops" page. What kept the
/// work from running goes to WHMCS's activity log; the client gets `unavailable`'s answer.
fn for_client_area(
    params: &ZendHashTable,
    client: &ZendHashTable,
    work: impl FnOnce(&Context<'_>, &ServiceParams, &ClientRequest) -> String,
    unavailable: impl FnOnce(&ClientRequest, u64) -> String,
) -> String {
    let service_id = id_from(params, "serviceid").unwrap_or(0);
    let request = client_request_from(client).unwrap_or_else(|problem| {
        log_client_area_failure(service_id, &problem);
        ClientRequest::default()
    });
    in_service_context(params, |ctx, params| work(ctx, params, &request)).unwrap_or_else(
        |problem| {
            log_client_area_failure(service_id, &problem);
            unavailable(&request, service_id)
        },
    )
}

/// `{"error": …}` in the client's language, for the panel's script.
fn json_unavailable(request: &ClientRequest, _service_id: u64) -> String {
    serde_json::json!({ "error": request.lang.text("katapult_unavailable") }).to_string()
}

fn log_client_area_failure(service_id: u64, problem: &str) {
    WhmcsHost.log_activity(
        &format!("[Katapult] Service ID: {service_id}: the client area could not run: {problem}"),
        None,
    );
}

/// ClientAreaAllowedFunctions: the power actions, the panel's poll, its password fetch, its
/// reverse DNS and rename forms, and the backup time form.
#[php_function]
#[php(name = "Katapult\\Module\\clientAreaFunctions")]
pub fn module_client_area_functions() -> Vec<String> {
    power_buttons::BUTTONS
        .iter()
        .map(|(_, function, _)| function.to_string())
        .chain(
            [
                client_area::LIVE_STATE_FUNCTION,
                client_area::REVEAL_PASSWORD_FUNCTION,
                reverse_dns::FUNCTION,
                rename_vm::FUNCTION,
                backup_time::FUNCTION,
            ]
            .map(str::to_string),
        )
        .collect()
}

/// AdminCustomButtonArray: label => function suffix: the power actions, "Refresh from Katapult"
/// and "Restore VM".
#[php_function]
#[php(name = "Katapult\\Module\\adminButtons")]
pub fn module_admin_buttons() -> ArrayResult {
    options(Ok(power_buttons::BUTTONS
        .iter()
        .map(|(label, suffix, _)| (label.to_string(), suffix.to_string()))
        .chain([
            (
                refresh_from_katapult::LABEL.to_string(),
                refresh_from_katapult::FUNCTION.to_string(),
            ),
            (
                restore_vm::LABEL.to_string(),
                restore_vm::FUNCTION.to_string(),
            ),
        ])
        .collect()))
}

/// The admin's "Refresh from Katapult" button.
#[php_function]
#[php(name = "Katapult\\Module\\refreshFromKatapult")]
pub fn module_refresh_from_katapult(params: &ZendHashTable) -> String {
    for_service(params, refresh_from_katapult::refresh_from_katapult)
}

/// katapult_AdminServicesTabFields(): label => HTML for the admin's service page, ending with the
/// extension's version beside `$moduleVersion`, the module files' own.
#[php_function]
#[php(name = "Katapult\\Module\\adminServicesTabFields")]
pub fn module_admin_services_tab_fields(
    params: &ZendHashTable,
    module_version: Option<String>,
) -> ArrayResult {
    let mut fields = in_service_context(params, |ctx, params| {
        admin_services_tab::fields(ctx, params, &ini::vm_link())
    })
    .unwrap_or_else(|error| vec![("Katapult".into(), crate::views::escape(&error))]);
    fields.push(admin_services_tab::versions(
        crate::build_info::VERSION,
        module_version.as_deref(),
    ));
    options(Ok(fields))
}

/// katapult_ServiceSingleSignOn(): ['success' => true, 'redirectTo' => url] or
/// ['success' => false, 'errorMsg' => reason].
#[php_function]
#[php(name = "Katapult\\Module\\singleSignOn")]
pub fn module_single_sign_on(
    params: &ZendHashTable,
    client: Option<&ZendHashTable>,
) -> ArrayResult {
    let outcome = client_request(client)
        .map_err(|e| format!("Katapult: {e}"))
        .and_then(|request| {
            in_service_context(params, |ctx, params| {
                single_sign_on::single_sign_on(ctx, params, request.as_ref())
            })
        })
        .unwrap_or_else(single_sign_on::SingleSignOn::Failed);
    let mut table = ZendHashTable::new();
    let inserted = match outcome {
        single_sign_on::SingleSignOn::RedirectTo(url) => table
            .insert("success", true)
            .and_then(|()| table.insert("redirectTo", url)),
        single_sign_on::SingleSignOn::Failed(reason) => table
            .insert("success", false)
            .and_then(|()| table.insert("errorMsg", reason)),
    };
    inserted.map_err(|e| failure("module", e.to_string()))?;
    Ok(table)
}

/// Hook EmailPreSend: holds a Katapult service's welcome email back until its VM is built, and
/// adds the VM's merge fields to the product emails of such a service. Never throws: WHMCS
/// swallows a hook's exception and silently does not send the email.
#[php_function]
#[php(name = "Katapult\\Module\\emailPreSend")]
pub fn module_email_pre_send(vars: &ZendHashTable) -> ZBox<ZendHashTable> {
    let Some(related_id) = id_from(vars, "relid") else {
        return ZendHashTable::new();
    };
    let template = text_from(vars, "messagename");
    let client_id = vars
        .get("mergefields")
        .and_then(|fields| fields.array())
        .and_then(|fields| id_from(fields, "client_id"));
    let email = welcome_email::Email {
        template: &template,
        related_id,
        client_id,
    };
    let answer = in_context(|ctx| match welcome_email::email_pre_send(ctx, &email) {
        Ok(answer) => answer,
        Err(error) => {
            ctx.log_for_service(
                related_id,
                None,
                &format!("email \"{template}\" went out without the VM's details: {error}"),
            );
            serde_json::json!({})
        }
    });
    // Where no service context could be had (the database, the settings, PHP's array).
    let went_out_without_details = |error: &dyn std::fmt::Display| {
        WhmcsHost.log_activity(
            &format!("[Katapult] email \"{template}\" went out without the VM's details: {error}"),
            None,
        );
    };
    let answer = answer.unwrap_or_else(|(_, error)| {
        went_out_without_details(&error);
        serde_json::json!({})
    });
    to_php_array(&answer).unwrap_or_else(|error| {
        went_out_without_details(&error);
        ZendHashTable::new()
    })
}

/// Hook AfterCronJob: checks pending builds and writes finished VMs into WHMCS. Returns what it
/// did; logs a line only when there was something to do.
#[php_function]
#[php(name = "Katapult\\Module\\syncBuilds")]
pub fn module_sync_builds() -> ArrayResult {
    let run_id = format!("cron-{:08x}", rand::random::<u32>());
    let concurrency = ini::sync_concurrency().map_err(|e| failure("invalid_settings", e))?;
    let report = with_context(|ctx| {
        let report = build_sync::sync_builds(ctx, concurrency, &run_id);
        match &report {
            Ok(r) if r.built + r.failed + r.timed_out + r.errors + r.deferred + r.resumed > 0 => ctx.host.log_activity(
                &format!("[Katapult] Build sync: {}", r.summary()),
                None,
            ),
            Ok(_) => {}
            Err(error) => ctx.host.log_activity(&format!("[Katapult] Build sync did not run: {error}"), None),
        }
        let recorded = match &report {
            Ok(r) => cron_record::record(ctx, &r.summary(), None),
            Err(error) => cron_record::record(ctx, "did not run", Some(&error.to_string())),
        };
        if let Err(error) = recorded {
            ctx.host.log_activity(&format!("[Katapult] The build sync's outcome could not be kept for the dashboard: {error}"), None);
        }
        report
    })?
    .map_err(|e| failure("module", e.to_string()))?;
    let mut table = ZendHashTable::new();
    for (key, value) in [
        ("checked", report.checked),
        ("built", report.built),
        ("failed", report.failed),
        ("timed_out", report.timed_out),
        ("still_building", report.still_building),
        ("errors", report.errors),
        ("deferred", report.deferred),
        ("resumed", report.resumed),
    ] {
        table
            .insert(key, value as i64)
            .map_err(|e| failure("module", e.to_string()))?;
    }
    Ok(table)
}

/// Hook DailyCronJob: keeps the "Katapult Virtual Machines" configurable options in step with
/// Katapult. Returns what changed (`group_created`, `options_created`, `choices_added`,
/// `left_deleted`: lists of names); logs a line only when something changed or it failed.
#[php_function]
#[php(name = "Katapult\\Module\\syncConfigurableOptions")]
pub fn module_sync_configurable_options() -> ArrayResult {
    let report = with_context(|ctx| {
        option_sync::sync_configurable_options(ctx, SyncMode::Daily).inspect_err(|error| {
            ctx.host.log_activity(
                &format!("[Katapult] Configurable options were not synced: {error}"),
                None,
            )
        })
    })?
    .map_err(|e| failure("module", e.to_string()))?;
    to_php_array(&serde_json::json!({
        "group_created": report.group_created,
        "options_created": report.options_created,
        "choices_added": report.choices_added.iter().map(|c| format!("{}: {}", c.option, c.value)).collect::<Vec<_>>(),
        "left_deleted": report.left_deleted,
        "skipped_busy": report.skipped_busy,
    }))
    .map_err(|e| failure("module", e))
}

pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module
        .function(wrap_function!(module_meta_data))
        .function(wrap_function!(module_config_options))
        .function(wrap_function!(module_load_packages))
        .function(wrap_function!(module_load_data_centers))
        .function(wrap_function!(module_load_disk_templates))
        .function(wrap_function!(module_test_connection))
        .function(wrap_function!(module_list_accounts))
        .function(wrap_function!(module_create_account))
        .function(wrap_function!(module_suspend_account))
        .function(wrap_function!(module_change_package))
        .function(wrap_function!(module_unsuspend_account))
        .function(wrap_function!(module_terminate_account))
        .function(wrap_function!(module_power))
        .function(wrap_function!(module_admin_buttons))
        .function(wrap_function!(module_refresh_from_katapult))
        .function(wrap_function!(module_restore_vm))
        .function(wrap_function!(module_backup_time))
        .function(wrap_function!(module_admin_services_tab_fields))
        .function(wrap_function!(module_admin_services_tab_save))
        .function(wrap_function!(module_set_reverse_dns))
        .function(wrap_function!(module_rename_vm))
        .function(wrap_function!(module_client_area))
        .function(wrap_function!(module_live_state))
        .function(wrap_function!(module_reveal_password))
        .function(wrap_function!(module_client_area_functions))
        .function(wrap_function!(module_single_sign_on))
        .function(wrap_function!(module_sync_builds))
        .function(wrap_function!(module_sync_configurable_options))
        .function(wrap_function!(module_email_pre_send))
        .function(wrap_function!(module_product_settings_fields))
        .function(wrap_function!(module_save_product_settings))
}
