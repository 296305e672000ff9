//! `katapult_ClientArea()`: the panel on the client's product page, and the JSON its script polls
//! (`katapult_LiveState`) to keep it current without a reload.
//!
//! The story: while the build runs, a "being built" panel (the build is checked right then, so
//! a finished VM shows at once rather than at the next cron run); once built, the overview: live
//! state, addresses, SSH command, credentials, package and data center, and the power actions
//! and console that make sense in that state, each with its own single-use token. When Katapult
//! cannot be reached or the VM is gone, a readable message in the panel; the page around it
//! always renders. Below the details, the "Manage" section (`self_service_panel`): reverse DNS
//! and rename. The root password is never in the page: Show fetches it
//! (`katapult_RevealPassword`) with its own single-use token, and the fetch is logged.

use std::cell::RefCell;
use std::rc::Rc;
use std::thread::LocalKey;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::api::virtual_machines::{
    VirtualMachine, VirtualMachineRef, VirtualMachineResponse, VirtualMachineState,
};
use crate::service::action_tokens::ActionTokens;
use crate::service::build_sync;
use crate::service::client_request::{ClientRequest, Denied};
use crate::service::context::{Context, ModuleError};
use crate::service::decoded_once::{decoded_once, LastDecoded};
use crate::service::imported_vm;
use crate::service::links::ServiceLinks;
use crate::service::params::ServiceParams;
use crate::service::vm_target::vm_of;
use crate::store::client_budget::has_left;
use crate::store::live_reads::VmRead;
use crate::store::service_reads::ServiceReads;
use crate::store::{DataStore, SqlValue};
use crate::views::{Slots, ViewData, Views};

use super::backup_time;
use super::power_buttons::BUTTONS;
use super::self_service_panel;

pub const PAGE_TEMPLATE: &str = "views/client/virtual_machines/page.hbs";
pub const OVERVIEW_TEMPLATE: &str = "views/client/virtual_machines/overview.hbs";
pub const BUILDING_TEMPLATE: &str = "views/client/virtual_machines/building.hbs";
pub const PROBLEM_TEMPLATE: &str = "views/client/virtual_machines/problem.hbs";
const CLIENT_CSS: &str = "assets/css/client.css";
const CLIENT_JS: &str = "assets/js/client.js";

/// The module function the panel's script polls.
pub const LIVE_STATE_FUNCTION: &str = "LiveState";
/// The action name console tokens are bound to.
pub const CONSOLE_ACTION: &str = "Console";
/// The module function the password's Show button fetches it from.
pub const REVEAL_PASSWORD_FUNCTION: &str = "RevealPassword";

/// How soon the panel asks again: quickly while something is changing.
const POLL_BUILDING_MS: u64 = 4_000;
const POLL_CHANGING_MS: u64 = 2_000;
const POLL_STEADY_MS: u64 = 15_000;
const POLL_PROBLEM_MS: u64 = 30_000;

/// How long a read of the VM serves the panel (page loads and polls, from any worker).
const VM_READ_FRESH: chrono::Duration = chrono::Duration::seconds(6);
/// The live reads (a VM read, or a build check while building) one client's panels may make
/// in a window; past that they show the last read until the window is over.
pub const LIVE_READS_PER_WINDOW: u32 = 12;
pub const LIVE_READS_WINDOW: chrono::Duration = chrono::Duration::minutes(1);

/// The panel, with its stylesheet and script: what WHMCS puts on the product page. The page
/// around the panel is made with it (by a page reading its VM, while the API answers).
pub fn client_area(ctx: &Context<'_>, params: &ServiceParams, request: &ClientRequest) -> String {
    panel_html(ctx, params, request, Logging::Failures, |panel| {
        in_page(ctx, params, request, panel)
    })
}

/// The panel with its stylesheet and script.
fn in_page(
    ctx: &Context<'_>,
    params: &ServiceParams,
    request: &ClientRequest,
    panel: Panel,
) -> String {
    let views = Views::new(&request.module_dir);
    let page = (|| {
        let mut slots = Slots::default();
        let data = json!({
            "panel": slots.slot(panel.html.clone()),
            "assets": {
                "css": views.asset_url(CLIENT_CSS)?,
                "js": views.asset_url(CLIENT_JS)?,
            },
        });
        let page = views.render_reused(&[PAGE_TEMPLATE], 0, data, |data| {
            views.render(PAGE_TEMPLATE, &data)
        })?;
        Ok::<_, crate::views::ViewError>(slots.fill(&page))
    })();
    page.unwrap_or_else(|error| {
        log_view_problem(ctx, params, &error.to_string());
        panel.html
    })
}

/// What the panel's script gets when it polls: the panel afresh, its version (it is swapped in
/// when that changes) and when to ask next.
pub fn live_state(ctx: &Context<'_>, params: &ServiceParams, request: &ClientRequest) -> Value {
    // A poll repeats every few seconds: a failure it meets was logged when the page loaded.
    panel_html(ctx, params, request, Logging::Quiet, |panel| {
        let Panel {
            html,
            version,
            poll_after_ms,
        } = panel;
        json!({ "version": version, "html": html, "poll_after_ms": poll_after_ms })
    })
}

/// The service's password, for the panel's Show button: `{"password": …}`, or `{"error": …}` in
/// the client's language. The same rules as a power action: owner, Active, a good token.
pub fn reveal_password(
    ctx: &Context<'_>,
    params: &ServiceParams,
    request: &ClientRequest,
) -> Value {
    let revealed = request
        .authorize(ctx, params, REVEAL_PASSWORD_FUNCTION)
        .and_then(|()| with_stored_credentials(ctx, params).map_err(Denied::Failed));
    match revealed {
        Ok(stored) => {
            ctx.log_for_service(
                params.service_id,
                Some(params.client_id),
                "the client revealed the service's password in the client area",
            );
            json!({ "password": stored.password })
        }
        Err(Denied::Told(text)) => json!({ "error": text }),
        Err(Denied::Failed(error)) => {
            ctx.log_for_service(
                params.service_id,
                Some(params.client_id),
                &format!("the client's password request failed: {error}"),
            );
            json!({ "error": request.lang.text("katapult_action_failed") })
        }
    }
}

struct Panel {
    html: String,
    version: String,
    poll_after_ms: u64,
}

/// What the panel shows now, rendered; a problem panel when anything fails, and plain escaped
/// text if even that template cannot render.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Logging {
    Failures,
    Quiet,
}

/// What `finish` makes of the panel rendered.
fn panel_html<T>(
    ctx: &Context<'_>,
    params: &ServiceParams,
    request: &ClientRequest,
    logging: Logging,
    finish: impl Fn(Panel) -> T,
) -> T {
    let render = |template, data| finish(render_panel(ctx, params, request, template, data));
    panel(ctx, params, request, &render).unwrap_or_else(|problem| {
        let (template, data) = problem_model(ctx, params, request, problem, logging);
        render(template, data)
    })
}

/// Renders a panel (one of the panel templates with its data) and makes the answer of it.
type Render<'a, T> = dyn Fn(&'static str, Value) -> T + 'a;

fn render_panel(
    ctx: &Context<'_>,
    params: &ServiceParams,
    request: &ClientRequest,
    template: &'static str,
    mut data: Value,
) -> Panel {
    let views = Views::new(&request.module_dir);
    let common = json!({
        "service_id": params.service_id,
        "csrf": request.csrf_token,
        "urls": { "poll": custom_url(params.service_id, LIVE_STATE_FUNCTION) },
    });
    merge(&mut data, common);
    let version = data["version"].as_str().unwrap_or_default().to_string();
    let poll_after_ms = data["poll_after_ms"].as_u64().unwrap_or(POLL_PROBLEM_MS);
    let sections: Vec<&Section> = SECTIONS
        .iter()
        .filter(|section| data.get(section.key).is_some())
        .collect();
    let templates: Vec<&str> = std::iter::once(template)
        .chain(sections.iter().map(|section| section.template))
        .collect();
    let slots = Slots::take(&mut data);
    let rendered = views.render_reused(&templates, request.lang.generation(), data, |mut data| {
        data["lang"] = request.lang.to_value();
        let mut data = ViewData::new(data);
        for section in &sections {
            match views.render_data(section.template, &data) {
                Ok(html) => data.values_mut()[section.html_key] = Value::String(html),
                // The overview shows without the section; the reason goes to the log.
                Err(error) => log_view_problem(ctx, params, &error.to_string()),
            }
        }
        views.render_data(template, &data)
    });
    let html = match rendered {
        Ok(html) => slots.fill(&html),
        Err(error) => {
            log_view_problem(ctx, params, &error.to_string());
            format!(
                r#"<div class="katapult alert alert-warning" data-katapult-service="{}">{}</div>"#,
                params.service_id,
                crate::views::escape(&request.lang.text("katapult_unavailable"))
            )
        }
    };
    Panel {
        html,
        version,
        poll_after_ms,
    }
}

/// A section of the overview, rendered on its own from the panel's values (so a provider can
/// override it alone) and given to the overview as HTML.
struct Section {
    /// The value whose presence says the panel has the section.
    key: &'static str,
    template: &'static str,
    /// Where the overview gets the section's HTML.
    html_key: &'static str,
}

const SECTIONS: [Section; 2] = [
    Section {
        key: "backups_offered",
        template: backup_time::TEMPLATE,
        html_key: "backups_html",
    },
    Section {
        key: "manage",
        template: self_service_panel::MANAGE_TEMPLATE,
        html_key: "manage_html",
    },
];

/// Why there is no overview to show.
enum Problem {
    /// Said to the client as it is (a language string).
    Told(&'static str),
    Failed(ModuleError),
}

impl From<ModuleError> for Problem {
    fn from(error: ModuleError) -> Self {
        Problem::Failed(error)
    }
}

fn panel<T>(
    ctx: &Context<'_>,
    params: &ServiceParams,
    request: &ClientRequest,
    render: &Render<'_, T>,
) -> Result<T, Problem> {
    if request.viewer_client_id != params.client_id {
        return Err(Problem::Told("katapult_not_yours"));
    }
    // Everything the page reads, in one statement.
    let service = ctx.read_service(params.service_id, params.client_id)?;
    // WHMCS shows the module's output only for an Active service and throws it away otherwise:
    // no API call and no build check for a page nobody sees.
    if service.status.as_deref() != Some("Active") {
        return Err(Problem::Told("katapult_not_active"));
    }
    let store = ctx.store()?;
    let mut links = imported_vm::links(ctx, &store, params)?;
    let was_building = links.build_pending();
    if was_building {
        // Checked now while the client has live reads left; else it stays "being built" until
        // then (or the cron's next run).
        if spend_live_read(ctx, params)? {
            build_sync::sync_service(
                ctx,
                params.service_id,
                &format!("client-area-{}", std::process::id()),
            )?;
            links = ServiceLinks::read(&store, params.service_id).map_err(ModuleError::from)?;
        }
        if links.build_pending() {
            return Ok(render(BUILDING_TEMPLATE, building_model(&links, ctx.now)));
        }
    }
    let vm_ref = match vm_of(&links) {
        Ok(vm_ref) => vm_ref,
        Err(_) if links.vm_build_id.is_some() => {
            return Err(Problem::Told("katapult_build_failed"))
        }
        Err(_) => return Err(Problem::Told("katapult_not_provisioned")),
    };
    // WHMCS made $params before the build was written into the service: its credentials are
    // the ones WHMCS generated, not the VM's.
    let fresh;
    let params = if was_building {
        fresh = with_stored_credentials(ctx, params)?;
        &fresh
    } else {
        params
    };
    let overview = |vm: &VirtualMachine| {
        let tokens = ActionTokens::for_installation(ctx.sql, &store, ctx.host, ctx.now)
            .map_err(|e| ModuleError::Product(e.to_string()))?;
        let mut overview = overview_model(params, request, vm, &tokens, ctx.now);
        merge(
            &mut overview,
            self_service_panel::model(params, request, vm, &tokens, ctx.now),
        );
        let section = backup_time::section_model(&store, params, request, &tokens, ctx.now)?;
        if let Some(section) = section {
            merge(&mut overview, section);
        }
        Ok(render(OVERVIEW_TEMPLATE, overview))
    };
    read_vm(ctx, &store, &service, params, &vm_ref, &overview)
}

/// The answer made of a VM's overview panel.
type Overview<'a, T> = dyn Fn(&VirtualMachine) -> Result<T, Problem> + 'a;

/// The overview of the VM as the panel shows it: the last read while it is fresh; a new read
/// while the client has live reads left; else the last read however old. One client polling as
/// fast as it can so costs the installation's API key at most `LIVE_READS_PER_WINDOW` requests a
/// window (and one read per service the first time it is shown), give or take the pages that
/// race for the window's last read.
fn read_vm<T>(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    service: &ServiceReads,
    params: &ServiceParams,
    vm_ref: &VirtualMachineRef,
    overview: &Overview<'_, T>,
) -> Result<T, Problem> {
    let VirtualMachineRef::Id(vm_id) = vm_ref else {
        return Err(ModuleError::Product("the service's VM has no id".into()).into());
    };
    let last = service
        .vm_read
        .as_ref()
        .filter(|(read_vm_id, _)| read_vm_id == vm_id)
        .and_then(|(_, read)| {
            let vm = vm_decoded_once(&LAST_READ, &read.vm_json, |json| serde_json::from_str(json))
                .ok()?;
            Some((vm, read))
        });
    let reads_left = has_left(
        service.spending,
        ctx.now,
        LIVE_READS_PER_WINDOW,
        LIVE_READS_WINDOW,
    );
    match last {
        Some((vm, read)) if ctx.now - read.read_at < VM_READ_FRESH => overview(&vm),
        Some((vm, _)) if !reads_left => overview(&vm),
        // Never read: read now, but it counts against the client's reads all the same.
        last => read_vm_live(ctx, store, params, vm_ref, vm_id, last, overview),
    }
}

type Decoded = LastDecoded<[u8; 32], Rc<VirtualMachine>>;

thread_local! {
    /// The VM of the last read this thread decoded.
    static LAST_READ: Decoded = const { RefCell::new(None) };
    /// The VM of the last answer this thread decoded, as it is kept (without its root password).
    static LAST_ANSWER: Decoded = const { RefCell::new(None) };
}

/// What `decode` makes of `json`, decoded once per thread while the same text comes again: a
/// client's page views and polls read the same VM again and again. Only the text's SHA-256 is
/// kept (an answer's text holds the VM's root password).
fn vm_decoded_once<E>(
    last: &'static LocalKey<Decoded>,
    json: &str,
    decode: impl FnOnce(&str) -> Result<VirtualMachine, E>,
) -> Result<Rc<VirtualMachine>, E> {
    let digest: [u8; 32] = Sha256::digest(json.as_bytes()).into();
    decoded_once(last, digest, |_| decode(json).map(Rc::new))
}

/// The overview of the VM read from Katapult, kept as the service's last read. While the
/// request is on its way, the read is spent (whether one was left was decided on the page's own
/// read of the budget: two of the client's pages racing for the window's last read both make
/// theirs, and the spend that finds none left changes nothing), the last read is dated now, so
/// that an answer that is the same VM leaves nothing to write, and the answer is made of the last
/// read's overview (the panel, and the page around it), which is the page's when the answer is
/// the same VM.
fn read_vm_live<T>(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    params: &ServiceParams,
    vm_ref: &VirtualMachineRef,
    vm_id: &str,
    last: Option<(Rc<VirtualMachine>, &VmRead)>,
    overview: &Overview<'_, T>,
) -> Result<T, Problem> {
    let reads = ctx.live_reads()?;
    let client = ctx.client(store)?;
    let (answer, meanwhile) = ctx.logged(&client, || {
        client.virtual_machine_json_meanwhile(vm_ref, || {
            spend_live_read(ctx, params)?;
            let Some((last_vm, read)) = &last else {
                return Ok::<_, Problem>(None);
            };
            let redated = reads
                .redate(params.service_id, vm_id, read.read_at, ctx.now)
                .map_err(|e| Problem::from(ModuleError::from(e)))?;
            Ok(redated.then(|| (*read, overview(last_vm))))
        })
    });
    let (redated, last_overview) = meanwhile?.unzip();
    // Kept without its root password: the panel never shows it, and the table is not for secrets.
    let answered = answer.and_then(|json| {
        vm_decoded_once(&LAST_ANSWER, json.get(), |json| {
            let vm = VirtualMachineResponse::from_json(json)?.virtual_machine;
            Ok(VirtualMachine {
                initial_root_password: None,
                ..vm
            })
        })
    });
    let vm = match answered {
        Ok(vm) => vm,
        Err(error) if error.is_not_found() || error.is_in_trash() => {
            reads.forget(params.service_id).map_err(ModuleError::from)?;
            return Err(Problem::Told("katapult_vm_missing"));
        }
        Err(error) => {
            if let Some(read) = redated {
                // Not read after all: the next page asks again rather than take the last read as
                // fresh. Should this write fail too, the last read serves pages for a few seconds.
                let _ = reads.redate(params.service_id, vm_id, ctx.now, read.read_at);
            }
            return Err(ModuleError::from(error).into());
        }
    };
    if let (Some(last_overview), Some((last_vm, _))) = (last_overview, &last) {
        if vm == *last_vm {
            return last_overview;
        }
    }
    if let Ok(vm_json) = serde_json::to_string(&*vm) {
        let read = VmRead {
            vm_json,
            read_at: ctx.now,
        };
        reads
            .keep(params.service_id, vm_id, &read)
            .map_err(ModuleError::from)?;
    }
    overview(&vm)
}

/// Spends one of the client's live reads; false when the window's are spent.
fn spend_live_read(ctx: &Context<'_>, params: &ServiceParams) -> Result<bool, Problem> {
    ctx.live_reads()?
        .spent()
        .spend(
            params.client_id,
            ctx.now,
            LIVE_READS_PER_WINDOW,
            LIVE_READS_WINDOW,
        )
        .map_err(|e| ModuleError::from(e).into())
}

/// The params with the service's username and password as now stored (decrypted).
fn with_stored_credentials(
    ctx: &Context<'_>,
    params: &ServiceParams,
) -> Result<ServiceParams, ModuleError> {
    let rows = ctx.sql.query(
        "SELECT username, password FROM tblhosting WHERE id = ?",
        &[SqlValue::Int(params.service_id as i64)],
    )?;
    let text = |column: usize| {
        rows.first()
            .and_then(|row| row[column].as_text())
            .unwrap_or_default()
            .to_string()
    };
    let password = ctx.host.whmcs_decrypt(&text(1)).map_err(|e| {
        ModuleError::Product(format!("WHMCS could not decrypt the service password: {e}"))
    })?;
    Ok(ServiceParams {
        username: text(0),
        password,
        ..params.clone()
    })
}

fn building_model(links: &ServiceLinks, now: DateTime<Utc>) -> Value {
    let since = links.vm_build_started_at.unwrap_or(now);
    json!({
        "version": "building",
        "poll_after_ms": POLL_BUILDING_MS,
        "building": {
            "since": since.timestamp(),
            "since_iso": since.to_rfc3339(),
            "elapsed": elapsed(since, now),
            "slow": links.vm_build_timeout_reached_at.is_some(),
        },
    })
}

/// `m:ss` (or `h:mm:ss`) since `since`, as the panel's script keeps counting it.
fn elapsed(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - since).num_seconds().max(0);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The overview's data, for an Active service (WHMCS shows no other).
/// Public for the benchmarks, which time this and its rendering.
pub fn overview_model(
    params: &ServiceParams,
    request: &ClientRequest,
    vm: &VirtualMachine,
    tokens: &ActionTokens,
    now: DateTime<Utc>,
) -> Value {
    let lang = &request.lang;
    let state = vm.state;
    let ipv4: Vec<&str> = vm
        .ip_addresses
        .iter()
        .filter(|ip| ip.is_ipv4())
        .map(|ip| ip.address.as_str())
        .collect();
    let ipv6: Vec<&str> = vm
        .ip_addresses
        .iter()
        .filter(|ip| !ip.is_ipv4())
        .map(|ip| ip.address.as_str())
        .collect();
    let username = Some(params.username.as_str())
        .filter(|u| !u.is_empty())
        .unwrap_or("root");
    let ssh_host = ipv4.first().copied().or(vm.fqdn.as_deref());
    let token = |action: &str| tokens.issue(&request.binding(params, action), now);

    let actions: Vec<Value> = BUTTONS
        .iter()
        .filter(|(_, _, action)| action.allowed_in(state))
        .map(|(_, function, action)| {
            let key = action.as_str();
            let confirm = action
                .is_disruptive()
                .then(|| lang.text(&format!("katapult_confirm_{key}")));
            json!({
                "function": function,
                "label": lang.text(&format!("katapult_action_{key}")),
                "url": custom_url(params.service_id, function),
                "token": token(function),
                "confirm": confirm,
                "style": if action.is_disruptive() { "outline-danger" } else { "success" },
            })
        })
        .collect();
    let console = (state == VirtualMachineState::Started).then(|| {
        json!({
            "url": format!("clientarea.php?action=productdetails&id={}&dosinglesignon=1", params.service_id),
            "token": token(CONSOLE_ACTION),
        })
    });
    let data_center = vm
        .zone
        .as_ref()
        .and_then(|z| z.data_center.as_ref())
        .and_then(|dc| dc.name.clone());
    let package = vm.package.as_ref().map(|p| {
        let name = p
            .name
            .clone()
            .or_else(|| p.permalink.clone())
            .unwrap_or_default();
        match (p.cpu_cores, p.memory_in_gb, p.storage_in_gb) {
            (Some(cpu), Some(memory), Some(disk)) => {
                format!("{name} ({cpu} vCPU, {memory} GB RAM, {disk} GB disk)")
            }
            _ => name,
        }
    });
    let changing = state.is_transitional();
    json!({
        "version": format!("{}:{}:{}", state.as_str(), vm.id, vm.ip_addresses.len()),
        "poll_after_ms": if changing { POLL_CHANGING_MS } else { POLL_STEADY_MS },
        "vm": {
            "id": vm.id,
            "name": vm.name,
            "hostname": vm.hostname,
            "fqdn": vm.fqdn.clone().or_else(|| vm.hostname.clone()),
            "state": state.as_str(),
            "state_label": lang.text(&format!("katapult_state_{}", state.as_str())),
            "state_class": state_class(state),
            "changing": changing,
            "ipv4": ipv4,
            "ipv6": ipv6,
            "package": package,
            "data_center": data_center,
        },
        "ssh": ssh_host.map(|host| format!("ssh {username}@{host}")),
        "credentials": {
            "username": username,
            // Only whether there is one, and how to fetch it: never the password itself.
            "reveal": (!params.password.is_empty()).then(|| json!({
                "url": custom_url(params.service_id, REVEAL_PASSWORD_FUNCTION),
                "token": token(REVEAL_PASSWORD_FUNCTION),
            })),
        },
        "actions": actions,
        "console": console,
    })
}

/// The Bootstrap colour of a state's badge.
fn state_class(state: VirtualMachineState) -> &'static str {
    match state {
        VirtualMachineState::Started => "success",
        VirtualMachineState::Stopped => "secondary",
        VirtualMachineState::Failed | VirtualMachineState::Orphaned => "danger",
        _ => "warning",
    }
}

fn problem_model(
    ctx: &Context<'_>,
    params: &ServiceParams,
    request: &ClientRequest,
    problem: Problem,
    logging: Logging,
) -> (&'static str, Value) {
    let key = match problem {
        Problem::Told(key) => key,
        Problem::Failed(error) => {
            if logging == Logging::Failures {
                // The client gets a plain message; the reason goes where the provider looks.
                ctx.log_for_service(
                    params.service_id,
                    Some(params.client_id),
                    &format!("the client area could not show the VM: {error}"),
                );
            }
            "katapult_unavailable"
        }
    };
    (
        PROBLEM_TEMPLATE,
        json!({
            "version": format!("problem:{key}"),
            "poll_after_ms": POLL_PROBLEM_MS,
            "problem": { "kind": key, "message": request.lang.text(key) },
        }),
    )
}

/// The problem panel when the panel's work could not even start (WHMCS's database, the module's
/// settings): the reason is logged by the caller; the client gets the plain message.
pub fn unavailable_panel(request: &ClientRequest, service_id: u64) -> String {
    let message = request.lang.text("katapult_unavailable");
    let data = json!({
        "service_id": service_id,
        "lang": request.lang.to_value(),
        "csrf": request.csrf_token,
        "urls": { "poll": custom_url(service_id, LIVE_STATE_FUNCTION) },
        "version": "problem:katapult_unavailable",
        "poll_after_ms": POLL_PROBLEM_MS,
        "problem": { "kind": "katapult_unavailable", "message": message },
    });
    Views::new(&request.module_dir)
        .render(PROBLEM_TEMPLATE, &data)
        .unwrap_or_else(|_| {
            format!(
                r#"<div class="katapult alert alert-warning" data-katapult-service="{service_id}">{}</div>"#,
                crate::views::escape(&message)
            )
        })
}

/// `clientarea.php?…&modop=custom&a=<function>`: how WHMCS routes a client's custom action.
pub(super) fn custom_url(service_id: u64, function: &str) -> String {
    format!("clientarea.php?action=productdetails&id={service_id}&modop=custom&a={function}")
}

fn merge(data: &mut Value, extra: Value) {
    if let (Value::Object(data), Value::Object(extra)) = (data, extra) {
        data.extend(extra);
    }
}

fn log_view_problem(ctx: &Context<'_>, params: &ServiceParams, problem: &str) {
    ctx.log_for_service(
        params.service_id,
        Some(params.client_id),
        &format!("the client area panel could not be rendered: {problem}"),
    );
}
