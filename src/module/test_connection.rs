//! `katapult_TestConnection()`: the "Test Connection" button. It names what is wrong: no key, a
//! refused key, no access to the parent organization, managed organizations not enabled, the
//! network, or WHMCS not loading the module's hooks (then the cron would do nothing).

use crate::api::ApiError;
use crate::service::context::{Context, ModuleError};
use crate::service::module_hooks;

/// What WHMCS shows: success, or the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionTest {
    pub success: bool,
    pub error: String,
}

pub fn test_connection(ctx: &Context<'_>) -> ConnectionTest {
    match check(ctx).and_then(|()| check_hooks(ctx)) {
        Ok(()) => ConnectionTest {
            success: true,
            error: String::new(),
        },
        Err(error) => ConnectionTest {
            success: false,
            error,
        },
    }
}

fn check(ctx: &Context<'_>) -> Result<(), String> {
    let store = ctx.store().map_err(|e| e.to_string())?;
    let client = ctx.client(&store).map_err(|e| e.to_string())?;
    ctx.logged(&client, || {
        client.organizations().map_err(|e| explain(e, "The API key was checked"))?;
        let parent = ctx.parent_organization(&store, &client).map_err(|e| match e {
            ModuleError::Api(api) => explain(api, "The parent organization was looked up"),
            other => other.to_string(),
        })?;
        client.organization(&parent).map_err(|e| explain(e, "The parent organization was looked up"))?;
        client.managed_organizations(&parent, None).map_err(|e| match e.code() {
            Some("permission_denied" | "scope_not_granted") | None if e.status() == Some(403) => format!(
                "The API key cannot manage organizations under the parent organization: enable managed organizations for it in Katapult, and give the key the managed_organizations scope. ({e})"
            ),
            _ => explain(e, "Managed organizations were listed"),
        })?;
        Ok(())
    })
}

/// The connection works; the cron must work too.
fn check_hooks(ctx: &Context<'_>) -> Result<(), String> {
    match module_hooks::loaded(ctx) {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!(
            "The connection to Katapult works, but {}",
            module_hooks::NOT_LOADED
        )),
        Err(error) => Err(format!("The connection to Katapult works, but whether WHMCS loads the module's hooks could not be read: {error}")),
    }
}

/// A provider-facing reason for a failed check.
fn explain(error: ApiError, step: &str) -> String {
    match error.code() {
        Some("invalid_api_token") => format!("Katapult refused the API key: check it, or create a new one in Katapult and set it on the Other tab of a Katapult product. ({error})"),
        Some("organization_not_found") => format!("The parent organization was not found: check it on the Other tab of a Katapult product (an org_… id or a sub-domain). ({error})"),
        Some("organization_suspended" | "organization_not_activated") => format!("The parent organization cannot be used: {error}"),
        _ => match error {
            ApiError::Transport { .. } | ApiError::Timeout { .. } => format!("Katapult could not be reached: {error}"),
            other => format!("{step} and Katapult answered: {other}"),
        },
    }
}
