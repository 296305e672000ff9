//! The welcome email waits for the VM: WHMCS sends the product's welcome email when CreateAccount
//! succeeds, before the VM exists; the `EmailPreSend` hook holds it back (recording which template
//! it was), and the build sync sends it once the VM is written into the service, when its merge
//! fields carry the VM's address, hostname and the service's password. Every product email about
//! a Katapult service gets those merge fields. A product can opt out (configoption4).
//!
//! WHMCS runs `EmailPreSend` for every email it sends or previews (invoices, tickets, domains, mass
//! mail), and `relid` is the id of that email type's record: only a product template's `relid` is a
//! service id, and only when the email goes to that service's owner is it about that service.

use serde_json::{json, Value};

use super::context::{Context, ModuleError};
use super::imported_vm;
use super::links::WELCOME_EMAIL_HELD;
use super::params::ServiceParams;
use crate::store::sql::{transaction, MaybeTransient};
use crate::store::{Owner, SqlError, SqlValue, StoreError};

/// configoption4: send the welcome email at once, as WHMCS does by default (empty: it waits).
pub const SEND_AT_ONCE_OPTION: usize = 4;

/// An email as `EmailPreSend` describes it.
pub struct Email<'a> {
    /// `messagename`: the template's name.
    pub template: &'a str,
    /// `relid`: the id of the template type's record (a service, for product templates).
    pub related_id: u64,
    /// `mergefields['client_id']`: whom the email goes to.
    pub client_id: Option<u64>,
}

/// What the hook returns to WHMCS: nothing, extra merge fields, or `abortsend`. In a transaction
/// of its own (or the build sync's, when it sends a held email), so a deadlock with a cron run
/// writing beside it is tried again whole: otherwise the email would go out before the VM exists.
/// Inside the build sync's, a conflict has ended that transaction, which runs again whole and
/// sends the email then: this send is stopped, or the email would go out twice.
pub fn email_pre_send(ctx: &Context<'_>, email: &Email<'_>) -> Result<Value, ModuleError> {
    let nested = ctx
        .sql
        .in_transaction()
        .map_err(crate::store::StoreError::from)?;
    match transaction(ctx.sql, || hold_or_fill(ctx, email)) {
        Err(error) if nested && error.is_transient() => {
            ctx.log_for_service(
                email.related_id,
                email.client_id,
                &format!("email \"{}\" was stopped, to be sent when the transaction it is part of runs again: {error}", email.template),
            );
            Ok(json!({"abortsend": true}))
        }
        answer => answer,
    }
}

fn hold_or_fill(ctx: &Context<'_>, email: &Email<'_>) -> Result<Value, ModuleError> {
    let (template, service_id) = (email.template, email.related_id);
    if !is_product_template(ctx, template)? {
        return Ok(json!({}));
    }
    let Some(product) = katapult_product_of(ctx, service_id)? else {
        return Ok(json!({}));
    };
    if email.client_id.is_none() || email.client_id != product.client_id {
        return Ok(json!({}));
    }
    let store = ctx.store()?;
    // A service WHMCS's server sync tool imported gets its welcome email at once: linked to its
    // VM here, it is sent with the VM's details.
    let service = ServiceParams {
        service_id,
        client_id: product.client_id.unwrap_or_default(),
        domain: product.domain.clone(),
        ..ServiceParams::default()
    };
    let links = imported_vm::links(ctx, &store, &service)?;
    if links.vm_id.is_none()
        && !product.send_at_once
        && product.welcome_template.as_deref() == Some(template)
    {
        store.set_text(
            Owner::Service(service_id),
            WELCOME_EMAIL_HELD,
            template,
            None,
            ctx.now,
        )?;
        ctx.log_for_service(
            service_id,
            product.client_id,
            &format!("the welcome email \"{template}\" waits until the VM is built"),
        );
        return Ok(json!({"abortsend": true}));
    }
    merge_fields(ctx, service_id)
}

/// Sends a held welcome email (called once the VM is in the service). A database conflict met
/// while WHMCS sends it is the caller's transaction's to run again, not a failure to log.
pub fn send_held(ctx: &Context<'_>, service_id: u64) -> Result<bool, ModuleError> {
    let store = ctx.store()?;
    let Some(template) = store.get_text(Owner::Service(service_id), WELCOME_EMAIL_HELD)? else {
        return Ok(false);
    };
    store.delete(Owner::Service(service_id), WELCOME_EMAIL_HELD)?;
    ctx.host.send_email(&template, service_id).map_err(|e| {
        let said = format!("the welcome email \"{template}\" could not be sent: {e}");
        match SqlError(said) {
            conflict if conflict.is_transient() => StoreError::Sql(conflict).into(),
            SqlError(said) => ModuleError::Product(said),
        }
    })?;
    Ok(true)
}

/// `katapult_vm_ip`, `katapult_vm_ipv6`, `katapult_vm_hostname`, `katapult_vm_username` from the
/// service as the build sync wrote it.
fn merge_fields(ctx: &Context<'_>, service_id: u64) -> Result<Value, ModuleError> {
    let rows = ctx
        .sql
        .query(
            "SELECT domain, dedicatedip, assignedips, username FROM tblhosting WHERE id = ?",
            &[SqlValue::Int(service_id as i64)],
        )
        .map_err(crate::store::StoreError::from)?;
    let Some(row) = rows.first() else {
        return Ok(json!({}));
    };
    let text = |i: usize| {
        row.get(i)
            .and_then(SqlValue::as_text)
            .unwrap_or_default()
            .to_string()
    };
    let ipv6 = text(2)
        .lines()
        .find(|ip| ip.contains(':'))
        .unwrap_or_default()
        .to_string();
    Ok(json!({
        "katapult_vm_hostname": text(0),
        "katapult_vm_ip": text(1),
        "katapult_vm_ipv6": ipv6,
        "katapult_vm_username": text(3),
    }))
}

/// Whether `template` is a product email template (its `relid` is a service).
fn is_product_template(ctx: &Context<'_>, template: &str) -> Result<bool, ModuleError> {
    let rows = ctx
        .sql
        .query(
            "SELECT 1 FROM tblemailtemplates WHERE name = ? AND type = 'product'",
            &[SqlValue::Text(template.to_string())],
        )
        .map_err(crate::store::StoreError::from)?;
    Ok(!rows.is_empty())
}

struct Product {
    client_id: Option<u64>,
    /// The service's domain.
    domain: String,
    welcome_template: Option<String>,
    send_at_once: bool,
}

/// The service's product, when it uses this module.
fn katapult_product_of(ctx: &Context<'_>, service_id: u64) -> Result<Option<Product>, ModuleError> {
    let column = format!("p.configoption{SEND_AT_ONCE_OPTION}");
    let sql = format!(
        "SELECT h.userid, p.servertype, t.name, {column}, h.domain FROM tblhosting h JOIN tblproducts p ON p.id = h.packageid LEFT JOIN tblemailtemplates t ON t.id = p.welcomeemail WHERE h.id = ?"
    );
    let rows = ctx
        .sql
        .query(&sql, &[SqlValue::Int(service_id as i64)])
        .map_err(crate::store::StoreError::from)?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    if row.get(1).and_then(SqlValue::as_text) != Some("katapult") {
        return Ok(None);
    }
    Ok(Some(Product {
        client_id: row
            .first()
            .and_then(SqlValue::as_int)
            .and_then(|id| u64::try_from(id).ok()),
        welcome_template: row.get(2).and_then(SqlValue::as_text).map(str::to_string),
        send_at_once: row
            .get(3)
            .and_then(SqlValue::as_text)
            .is_some_and(|v| v == "on"),
        domain: row
            .get(4)
            .and_then(SqlValue::as_text)
            .unwrap_or_default()
            .to_string(),
    }))
}
