//! Whether WHMCS loads this module's `hooks.php`. WHMCS loads a module's hooks only while a
//! product uses the module: it keeps the modules in use in the setting `ModuleHooks`, rebuilt
//! when a product is saved in the admin area (not when one is created through the API). Without
//! the hooks the cron does nothing for Katapult: no build is synced, no welcome email held.

use super::context::{Context, ModuleError};
use crate::store::{SqlValue, StoreError};

/// What the admin is told when WHMCS does not load the hooks.
pub const NOT_LOADED: &str = "WHMCS does not load the Katapult module's hooks (no product saved in the admin area uses the module), so the cron syncs no VM builds. Save a product that uses the Katapult module (Setup > Products/Services > edit > Save Changes).";

/// Whether `katapult` is in WHMCS's `ModuleHooks` list.
pub fn loaded(ctx: &Context<'_>) -> Result<bool, ModuleError> {
    let rows = ctx
        .sql
        .query(
            "SELECT value FROM tblconfiguration WHERE setting = 'ModuleHooks'",
            &[],
        )
        .map_err(StoreError::from)?;
    Ok(rows
        .first()
        .and_then(|row| row.first())
        .and_then(SqlValue::as_text)
        .is_some_and(|list| list.split(',').any(|module| module.trim() == "katapult")))
}
