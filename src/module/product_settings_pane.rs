//! The Katapult pane on a product's Other tab (hooks `AdminProductConfigFields` and
//! `AdminProductConfigFieldsSave`): the API key every product uses, and the parent organization.
//! It shows whether a key is set, never the key, and checks a new key with Katapult before
//! saving it.

use crate::api::{ApiToken, Client};
use crate::service::context::{Context, ModuleError};
use crate::service::option_sync::{sync_configurable_options, SyncMode, GROUP_NAME};
use crate::service::settings::{ApiKeyStatus, ModuleSettings};
use crate::store::{DataStore, Owner, SqlValue};
use crate::views::escape;

/// Why the last key entered was not saved, shown on the next render (WHMCS ignores the save
/// hook's return value).
const REJECTED_KEY_REASON: &str = "api_key_rejected";

/// True when the product uses this module (the hooks run for every product).
pub fn is_katapult_product(ctx: &Context<'_>, product_id: u64) -> Result<bool, ModuleError> {
    let rows = ctx
        .sql
        .query(
            "SELECT servertype FROM tblproducts WHERE id = ?",
            &[SqlValue::Int(product_id as i64)],
        )
        .map_err(crate::store::StoreError::from)?;
    Ok(rows
        .first()
        .and_then(|row| row.first())
        .and_then(SqlValue::as_text)
        == Some("katapult"))
}

/// The pane's fields: label => HTML.
pub fn fields(ctx: &Context<'_>) -> Result<Vec<(String, String)>, ModuleError> {
    let store = ctx.store()?;
    let settings = ModuleSettings::new(&store, ctx.host);
    let mut notes = vec![match settings.api_key_status(ctx.now) {
        ApiKeyStatus::NotSet => "No API key is set yet. It applies to every Katapult product.".to_string(),
        ApiKeyStatus::Set => "An API key is set. Enter a new one to replace it; it applies to every Katapult product.".to_string(),
        ApiKeyStatus::Unreadable(reason) => reason,
    }];
    if let Some(reason) = store.get_text(Owner::Module, REJECTED_KEY_REASON)? {
        notes.push(format!("The last key entered was not saved: {reason}"));
    }
    let key_field = format!(
        r#"<input type="password" name="katapult_api_key" value="" autocomplete="new-password" class="form-control input-400" placeholder="Katapult API token"><p class="help-block">{}</p>"#,
        notes
            .iter()
            .map(|n| escape(n))
            .collect::<Vec<_>>()
            .join("<br>")
    );
    let parent = settings.parent_organization()?.unwrap_or_default();
    let parent_field = format!(
        r#"<input type="text" name="katapult_parent_organization" value="{}" class="form-control input-400" placeholder="org_… or sub-domain"><p class="help-block">The organization whose managed organizations hold your clients' VMs. Leave empty to use the API key's own organization.</p>"#,
        escape(&parent)
    );
    let mut fields = vec![
        ("Katapult API key".into(), key_field),
        ("Katapult parent organization".into(), parent_field),
    ];
    if settings.api_key_status(ctx.now) == ApiKeyStatus::Set {
        fields.push((
            "Katapult configurable options".into(),
            format!(r#"<label class="checkbox-inline"><input type="checkbox" name="katapult_sync_config_options" value="1"> Re-sync the "{GROUP_NAME}" configurable options on save (data centers, disk templates, custom disk size); also re-creates any you deleted</label><p class="help-block">The daily cron adds new data centers and templates by itself, hidden and at zero price.</p>"#),
        ));
    }
    Ok(fields)
}

/// Saves what was entered: a new key only once Katapult accepts it. A new key, or the re-sync
/// box, then brings the configurable options in step (its failure is logged, the save stands).
pub fn save(
    ctx: &Context<'_>,
    api_key: &str,
    parent_organization: &str,
    sync_requested: bool,
) -> Result<(), ModuleError> {
    let store = ctx.store()?;
    let settings = ModuleSettings::new(&store, ctx.host);
    let api_key = api_key.trim();
    let mut new_key = false;
    if !api_key.is_empty() {
        match check_key(ctx, api_key) {
            Ok(()) => {
                settings.set_api_key(api_key, ctx.now)?;
                store.delete(Owner::Module, REJECTED_KEY_REASON)?;
                new_key = true;
            }
            Err(reason) => {
                store.set_text(Owner::Module, REJECTED_KEY_REASON, &reason, None, ctx.now)?;
                ctx.host.log_activity(
                    &format!("[Katapult] A new API key was not saved: {reason}"),
                    None,
                );
            }
        }
    }
    let parent_organization = parent_organization.trim();
    if !parent_organization.is_empty()
        && settings.parent_organization()?.as_deref() != Some(parent_organization)
    {
        settings.set_parent_organization(parent_organization, ctx.now)?;
    }
    if sync_requested || new_key {
        let mode = if sync_requested {
            SyncMode::Requested
        } else {
            SyncMode::Daily
        };
        if let Err(error) = sync_configurable_options(ctx, mode) {
            ctx.host.log_activity(
                &format!("[Katapult] Configurable options were not synced: {error}"),
                None,
            );
        }
    }
    Ok(())
}

fn check_key(ctx: &Context<'_>, api_key: &str) -> Result<(), String> {
    let client: std::sync::Arc<Client> = ctx
        .client_with(ApiToken::new(api_key))
        .map_err(|e| e.to_string())?;
    ctx.logged(&client, || client.organizations())
        .map(|_| ())
        .map_err(|e| match e.code() {
            Some("invalid_api_token") => {
                "Katapult refused it (invalid_api_token): check that it was copied whole."
                    .to_string()
            }
            _ => e.to_string(),
        })
}

/// Why the last key entered was refused, while no accepted key has replaced it.
pub fn rejected_key_reason(store: &DataStore<'_>) -> Result<Option<String>, ModuleError> {
    Ok(store.get_text(Owner::Module, REJECTED_KEY_REASON)?)
}
