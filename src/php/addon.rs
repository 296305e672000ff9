//! `Katapult\Module\*` for the addon module (`modules/addons/katapult/katapult.php`), the
//! dashboard widget and the drift check's cron hooks.

use std::path::PathBuf;

use ext_php_rs::exception::PhpResult;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;

use super::convert::{table_to_json, to_php_array, Objects};
use super::exceptions::failure;
use super::module_functions::{id_from, in_context, posted_text, text_from, with_context};
use crate::module::addon_page::{self, AddonRequest, Submitted};
use crate::module::{dashboard_widget, drift_check};

/// katapult_config(): the addon's name and description for Setup › Addon Modules.
#[php_function]
#[php(name = "Katapult\\Module\\addonConfig")]
pub fn module_addon_config() -> PhpResult<ext_php_rs::boxed::ZBox<ZendHashTable>> {
    to_php_array(&addon_page::config()).map_err(|e| failure("module", e))
}

/// katapult_activate(): makes the findings table, or says why it could not.
#[php_function]
#[php(name = "Katapult\\Module\\addonActivate")]
pub fn module_addon_activate() -> PhpResult<ext_php_rs::boxed::ZBox<ZendHashTable>> {
    let answer = match in_context(addon_page::activate) {
        Ok(Ok(said)) => serde_json::json!({"status": "success", "description": said}),
        Ok(Err(error)) => serde_json::json!({"status": "error", "description": error.to_string()}),
        Err((_, error)) => serde_json::json!({"status": "error", "description": error}),
    };
    to_php_array(&answer).map_err(|e| failure("module", e))
}

/// katapult_output($vars): the findings page. `$get`, `$post` are WHMCS's (HTML-encoded)
/// request arrays, `$adminId` the logged-in admin, `$moduleDir` the addon's folder,
/// `$whmcsToken` WHMCS's admin form token (or '').
#[php_function]
#[php(name = "Katapult\\Module\\addonOutput")]
pub fn module_addon_output(
    vars: &ZendHashTable,
    get: &ZendHashTable,
    post: &ZendHashTable,
    admin_id: i64,
    module_dir: String,
    whmcs_token: String,
) -> PhpResult<String> {
    let module_link = text_from(vars, "modulelink");
    let kind = Some(posted_text(get, "kind")).filter(|k| !k.is_empty());
    let action = posted_text(post, "katapult_action");
    let submitted = (!action.is_empty()).then(|| Submitted {
        action,
        finding_id: id_from(post, "finding").unwrap_or(0),
        repair: posted_text(post, "repair"),
        token: posted_text(post, "katapult_token"),
        confirmed: posted_text(post, "confirmed") == "1",
    });
    with_context(|ctx| {
        let admin = addon_page::admin(ctx, u64::try_from(admin_id).unwrap_or(0));
        let request = AddonRequest {
            module_dir: PathBuf::from(&module_dir),
            module_link: module_link.clone(),
            whmcs_token: whmcs_token.clone(),
            admin,
            kind: kind.clone(),
            post: submitted.clone(),
        };
        addon_page::output(ctx, &request)
    })
}

/// The dashboard widget's getData().
#[php_function]
#[php(name = "Katapult\\Module\\dashboardWidgetData")]
pub fn module_dashboard_widget_data() -> PhpResult<ext_php_rs::boxed::ZBox<ZendHashTable>> {
    let data = with_context(dashboard_widget::data)?;
    to_php_array(&data).map_err(|e| failure("module", e))
}

/// The dashboard widget's generateOutput($data); `$moduleDir` is where its views are.
#[php_function]
#[php(name = "Katapult\\Module\\dashboardWidgetOutput")]
pub fn module_dashboard_widget_output(
    data: &ZendHashTable,
    module_dir: String,
) -> PhpResult<String> {
    let data = table_to_json(data, 0, Objects::Refuse).map_err(|e| failure("module", e))?;
    Ok(dashboard_widget::render(
        std::path::Path::new(&module_dir),
        &data,
    ))
}

/// Hooks DailyCronJob (`$daily`: start a pass) and AfterCronJob (finish one a stopped run
/// left): what the drift check did.
#[php_function]
#[php(name = "Katapult\\Module\\driftCheck")]
pub fn module_drift_check(daily: bool) -> PhpResult<String> {
    let run_id = format!("drift-{:08x}", rand::random::<u32>());
    with_context(|ctx| {
        if daily {
            drift_check::daily(ctx, &run_id)
        } else {
            drift_check::resume(ctx, &run_id)
        }
    })?
    .map_err(|e| failure("module", e.to_string()))
}

pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module
        .function(wrap_function!(module_addon_config))
        .function(wrap_function!(module_addon_activate))
        .function(wrap_function!(module_addon_output))
        .function(wrap_function!(module_dashboard_widget_data))
        .function(wrap_function!(module_dashboard_widget_output))
        .function(wrap_function!(module_drift_check))
}
