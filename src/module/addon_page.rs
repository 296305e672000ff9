//! `katapult_output($vars)` of the addon module: the drift findings, filterable by kind, each
//! with its repair buttons, and "Check now". Every form carries its own single-use token bound
//! to the finding, the repair and the admin (`action_tokens`): a replayed, refreshed or forged
//! POST does nothing. Deleting an orphan asks for a confirmation first.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::drift_check;
use crate::service::action_tokens::{ActionTokens, Binding, TokenError};
use crate::service::context::{Context, ModuleError};
use crate::service::drift::{self, KINDS};
use crate::service::drift_repair::{self, Admin, Repair};
use crate::store::findings::{Finding, Findings};
use crate::store::{SqlValue, StoreError};
use crate::views::{escape, Views};

const TEMPLATE: &str = "views/admin/addon/findings.hbs";
/// The token action of "Check now" (bound to finding 0).
const CHECK_NOW: &str = "CheckNow";

/// What the admin asked, as WHMCS hands it to `_output` (`$vars`, `$_GET`, `$_POST`).
#[derive(Debug, Clone)]
pub struct AddonRequest {
    /// Where the views are (the addon's folder).
    pub module_dir: PathBuf,
    /// `$vars['modulelink']`: `addonmodules.php?module=katapult`.
    pub module_link: String,
    /// WHMCS's own admin CSRF token for forms, when it gives one.
    pub whmcs_token: String,
    pub admin: Admin,
    /// `?kind=`: only findings of this kind.
    pub kind: Option<String>,
    /// The POST, if any.
    pub post: Option<Submitted>,
}

#[derive(Debug, Clone, Default)]
pub struct Submitted {
    /// `repair` or `check`.
    pub action: String,
    pub finding_id: u64,
    pub repair: String,
    pub token: String,
    pub confirmed: bool,
}

/// `katapult_config()`: the addon as Setup › Addon Modules lists it. No settings of its own:
/// the API key is the server module's.
pub fn config() -> Value {
    json!({
        "name": "Katapult",
        "description": "Drift between WHMCS and Katapult (VMs missing, running while suspended, orphans, failed builds) with a repair for each; the dashboard widget. Needs the katapult PHP extension and the Katapult server module.",
        "version": crate::build_info::VERSION,
        "author": "katapult-whmcs (native)",
        "fields": {},
    })
}

/// `katapult_activate()`: the findings table, made now rather than on the first pass.
pub fn activate(ctx: &Context<'_>) -> Result<String, ModuleError> {
    Findings::open(ctx.sql).map_err(StoreError::from)?;
    Ok("Katapult's drift findings are ready: the daily cron checks every Katapult service, or press Check now.".into())
}

/// The logged-in admin, named as WHMCS knows them (`tbladmins`).
pub fn admin(ctx: &Context<'_>, id: u64) -> Admin {
    let username = ctx
        .sql
        .query(
            "SELECT username FROM tbladmins WHERE id = ?",
            &[SqlValue::Int(id as i64)],
        )
        .ok()
        .and_then(|rows| rows.into_iter().next())
        .and_then(|row| row.into_iter().next())
        .and_then(|value| value.as_text().map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    Admin { id, username }
}

/// The page's HTML; a failure is a readable notice on it, never a broken page.
pub fn output(ctx: &Context<'_>, request: &AddonRequest) -> String {
    run(ctx, request).unwrap_or_else(|error| {
        format!(
            r#"<div class="alert alert-danger">Katapult: the drift findings cannot be shown: {}</div>"#,
            escape(&error.to_string())
        )
    })
}

fn run(ctx: &Context<'_>, request: &AddonRequest) -> Result<String, ModuleError> {
    let store = ctx.store()?;
    let tokens =
        ActionTokens::for_installation(ctx.sql, &store, ctx.host, ctx.now).map_err(token_error)?;
    let page = Page {
        ctx,
        request,
        tokens: &tokens,
    };
    let mut notice = None;
    if let Some(post) = &request.post {
        match page.act(post)? {
            Acted::Said(text, ok) => notice = Some(json!({"text": text, "ok": ok})),
            Acted::Confirm(finding, repair) => return page.render_confirmation(&finding, repair),
        }
    }
    page.render_list(notice)
}

enum Acted {
    Said(String, bool),
    /// A repair that needs the admin's confirmation, asked for on its own page.
    Confirm(Finding, Repair),
}

struct Page<'p, 'c> {
    ctx: &'p Context<'c>,
    request: &'p AddonRequest,
    tokens: &'p ActionTokens,
}

impl Page<'_, '_> {
    fn binding(&self, finding_id: u64, action: &str) -> Binding {
        Binding {
            service_id: finding_id,
            client_id: self.request.admin.id,
            action: action.to_string(),
        }
    }

    fn token(&self, finding_id: u64, action: &str) -> String {
        self.tokens
            .issue(&self.binding(finding_id, action), self.ctx.now)
    }

    /// Carries out a POST once: its token is used up first, so a replay does nothing.
    fn act(&self, post: &Submitted) -> Result<Acted, ModuleError> {
        const EXPIRED: &str = "This form has expired or was already used: nothing was done. The list below is current.";
        if post.action == "check" {
            let binding = self.binding(0, CHECK_NOW);
            if self.redeem(&post.token, &binding)?.is_err() {
                return Ok(Acted::Said(EXPIRED.into(), false));
            }
            let run_id = format!("admin-{}", self.request.admin.id);
            return Ok(Acted::Said(
                drift_check::check_now(self.ctx, &run_id)?,
                true,
            ));
        }
        let Some(repair) = Repair::parse(&post.repair) else {
            return Ok(Acted::Said(
                "Unknown repair: nothing was done.".into(),
                false,
            ));
        };
        let binding = self.binding(post.finding_id, repair.as_str());
        if repair.needs_confirmation() && !post.confirmed {
            // Checked, not used up: the confirmation page carries a token of its own.
            if self
                .tokens
                .check(&post.token, &binding, self.ctx.now)
                .is_err()
            {
                return Ok(Acted::Said(EXPIRED.into(), false));
            }
            let findings = Findings::open(self.ctx.sql).map_err(StoreError::from)?;
            return Ok(match findings.get(post.finding_id)? {
                Some(finding) => Acted::Confirm(finding, repair),
                None => Acted::Said("That finding is gone: nothing was done.".into(), false),
            });
        }
        if self.redeem(&post.token, &binding)?.is_err() {
            return Ok(Acted::Said(EXPIRED.into(), false));
        }
        Ok(
            match drift_repair::repair(self.ctx, post.finding_id, repair, &self.request.admin) {
                Ok(done) => Acted::Said(done, true),
                Err(error) => Acted::Said(format!("{}: {error}", repair.label()), false),
            },
        )
    }

    /// Uses the token up: Err(()) when it is refused (the refusal is logged with the admin).
    fn redeem(&self, token: &str, binding: &Binding) -> Result<Result<(), ()>, ModuleError> {
        match self
            .tokens
            .redeem(self.ctx.sql, token, binding, self.ctx.now)
        {
            Ok(()) => Ok(Ok(())),
            Err(TokenError::Refused(refusal)) => {
                self.ctx.host.log_activity(
                    &format!(
                        "[Katapult] Drift page: a form of admin {} (ID {}) was refused: {refusal}",
                        self.request.admin.username, self.request.admin.id
                    ),
                    None,
                );
                Ok(Err(()))
            }
            Err(error) => Err(token_error(error)),
        }
    }

    fn render_list(&self, notice: Option<Value>) -> Result<String, ModuleError> {
        let ctx = self.ctx;
        let store = ctx.store()?;
        let findings = Findings::open(ctx.sql).map_err(StoreError::from)?;
        let all = findings.list(None)?;
        let kind = self
            .request
            .kind
            .as_deref()
            .filter(|kind| KINDS.iter().any(|(k, _)| k == kind));
        let mut rows = Vec::new();
        for finding in all.iter().filter(|f| kind.is_none_or(|k| f.kind == k)) {
            let repairs: Vec<Value> = drift_repair::repairs_for(ctx, finding)?
                .into_iter()
                .map(|repair| {
                    json!({
                        "name": repair.as_str(),
                        "label": repair.label(),
                        "token": self.token(finding.id, repair.as_str()),
                        "danger": repair.needs_confirmation(),
                    })
                })
                .collect();
            rows.push(json!({
                "id": finding.id,
                "kind": finding.kind,
                "kind_label": label_of(&finding.kind),
                "service_id": (finding.service_id > 0).then_some(finding.service_id),
                "vm_id": finding.vm_id,
                "detail": finding.detail,
                "first_seen": when(finding.first_seen),
                "last_seen": when(finding.last_seen),
                "repairs": repairs,
            }));
        }
        let filters: Vec<Value> = KINDS
            .iter()
            .map(|(k, label)| {
                json!({
                    "kind": k,
                    "label": label,
                    "count": all.iter().filter(|f| f.kind == *k).count(),
                    "active": kind == Some(*k),
                })
            })
            .collect();
        let last = drift::last_pass(&store)?;
        let under_way = drift::pass_under_way(&store)?;
        self.render(json!({
            "module_link": self.request.module_link,
            "whmcs_token": self.request.whmcs_token,
            "notice": notice,
            "filters": filters,
            "filtered": kind.is_some(),
            "total": all.len(),
            "findings": rows,
            "check_token": self.token(0, CHECK_NOW),
            "last_pass": last.map(|l| json!({
                "finished_at": DateTime::from_timestamp(l.finished_at, 0).map(when),
                "services_checked": l.services_checked,
                "findings": l.findings,
                "errors": l.errors,
            })),
            "under_way": under_way.map(|s| s.services_checked),
        }))
    }

    fn render_confirmation(
        &self,
        finding: &Finding,
        repair: Repair,
    ) -> Result<String, ModuleError> {
        self.render(json!({
            "module_link": self.request.module_link,
            "whmcs_token": self.request.whmcs_token,
            "confirm": {
                "id": finding.id,
                "repair": repair.as_str(),
                "label": repair.label(),
                "detail": finding.detail,
                "vm_id": finding.vm_id,
                "token": self.token(finding.id, repair.as_str()),
            },
        }))
    }

    fn render(&self, data: Value) -> Result<String, ModuleError> {
        Views::new(&self.request.module_dir)
            .render(TEMPLATE, &data)
            .map_err(|e| ModuleError::Product(e.to_string()))
    }
}

fn label_of(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("Drift", |(_, label)| label)
}

fn when(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn token_error(error: TokenError) -> ModuleError {
    ModuleError::Product(format!("the page's form tokens are unavailable: {error}"))
}
