//! A request from the client area: who is logged in, the action token that came with it, the
//! client's language, and the WHMCS CSRF token its forms must carry. Admin-area and API calls
//! have none: WHMCS has checked the admin.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::action_tokens::{ActionTokens, Binding, Refusal, TokenError};
use super::context::{Context, ModuleError};
use super::params::ServiceParams;
use crate::store::SqlValue;

/// The client-area strings of the client's language (WHMCS `lang/` files, English underneath).
#[derive(Debug, Clone, Default)]
pub struct Lang(pub Map<String, Value>);

impl Lang {
    /// The string for `key`; the key itself when no language file has it, so a gap shows.
    pub fn text(&self, key: &str) -> String {
        self.0
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| key.to_string())
    }
}

#[derive(Debug, Clone, Default)]
pub struct ClientRequest {
    /// The logged-in client (`$_SESSION['uid']`), 0 when nobody is.
    pub viewer_client_id: u64,
    /// The `katapult_token` posted with an action.
    pub action_token: String,
    /// WHMCS's CSRF token (`generate_token('plain')`), for the forms the module renders.
    pub csrf_token: String,
    pub lang: Lang,
    /// The module directory, where `views/`, `assets/` and `overrides/` are.
    pub module_dir: PathBuf,
}

/// Why a client's action was not carried out: what the client is told.
#[derive(Debug)]
pub enum Denied {
    /// The client sees this (from the language file).
    Told(String),
    Failed(ModuleError),
}

impl From<ModuleError> for Denied {
    fn from(error: ModuleError) -> Self {
        Denied::Failed(error)
    }
}

impl ClientRequest {
    /// Lets a client act on a service only when it is theirs, it is Active, and the action's
    /// token is good (it is used up here). Every refusal is in the activity log with its reason.
    pub fn authorize(
        &self,
        ctx: &Context<'_>,
        params: &ServiceParams,
        action: &str,
    ) -> Result<(), Denied> {
        let refuse = |reason: &str, told: &str| {
            ctx.log_for_service(
                params.service_id,
                Some(params.client_id),
                &format!("the client's {action} request was refused: {reason}"),
            );
            Err(Denied::Told(self.lang.text(told)))
        };
        if self.viewer_client_id != params.client_id {
            return refuse(
                &format!("client {} does not own the service", self.viewer_client_id),
                "katapult_not_yours",
            );
        }
        if service_status(ctx, params.service_id)?.as_deref() != Some("Active") {
            return refuse("the service is not Active", "katapult_not_active");
        }
        let store = ctx.store()?;
        let tokens = ActionTokens::for_installation(ctx.sql, &store, ctx.host, ctx.now)
            .map_err(|e| ModuleError::Product(e.to_string()))?;
        match tokens.redeem(
            ctx.sql,
            &self.action_token,
            &self.binding(params, action),
            ctx.now,
        ) {
            Ok(()) => Ok(()),
            // WHMCS's own links (its sidebar's console link) carry no token: point to the panel.
            Err(TokenError::Refused(Refusal::Missing)) => {
                refuse(&Refusal::Missing.to_string(), "katapult_use_panel")
            }
            Err(TokenError::Refused(refusal)) => {
                refuse(&refusal.to_string(), "katapult_link_expired")
            }
            Err(TokenError::Store(error)) => Err(ModuleError::Store(error).into()),
            Err(error @ TokenError::Secret(_)) => {
                Err(ModuleError::Product(error.to_string()).into())
            }
        }
    }

    /// What a token for `action` on this service, by this client, is bound to.
    pub fn binding(&self, params: &ServiceParams, action: &str) -> Binding {
        Binding {
            service_id: params.service_id,
            client_id: self.viewer_client_id,
            action: action.to_string(),
        }
    }
}

/// Who acts, for the activity log: the client (a client-area request) or an admin.
pub fn actor(client: Option<&ClientRequest>) -> &'static str {
    if client.is_some() {
        "the client"
    } else {
        "an admin"
    }
}

/// A client's request must pass `ClientRequest::authorize`; an admin's (None) WHMCS has checked.
pub fn authorize_actor(
    client: Option<&ClientRequest>,
    ctx: &Context<'_>,
    params: &ServiceParams,
    action: &str,
) -> Result<(), Denied> {
    client.map_or(Ok(()), |request| request.authorize(ctx, params, action))
}

/// The service's status in WHMCS (`Active`, `Suspended`, …), read fresh.
pub fn service_status(ctx: &Context<'_>, service_id: u64) -> Result<Option<String>, ModuleError> {
    let rows = ctx.sql.query(
        "SELECT domainstatus FROM tblhosting WHERE id = ?",
        &[SqlValue::Int(service_id as i64)],
    )?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(SqlValue::as_text)
        .map(str::to_string))
}
