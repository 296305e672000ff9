//! The drift check: every Katapult service compared with Katapult, and the VMs of this
//! installation's managed organizations that no service owns, with what differs kept as findings
//! (`store::findings`).
//!
//! A pass is paced under the API's rate limit (it leaves a quarter of each minute's budget to the
//! build sync and the client area) and resumable: where it got to is committed with each
//! service's findings, so a pass cut short (a SIGKILL, a page that stops when the budget runs
//! low) is picked up where it stopped by the next one. One pass runs at a time (a lock; a dead
//! process's lock is taken over at once).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::build_sync::HostingFields;
use super::context::{Context, ModuleError};
use super::links::{ServiceLinks, MANAGED_ORG_ID, VM_ID};
use super::settings::ModuleSettings;
use crate::api::organizations::OrganizationRef;
use crate::api::virtual_machines::{VirtualMachine, VirtualMachineRef, VirtualMachineState};
use crate::api::{ApiError, Client};
use crate::store::findings::{service_subject, vm_subject, Findings, Seen};
use crate::store::locks::{Locks, ZERO_WAIT};
use crate::store::sql::transaction;
use crate::store::{DataStore, Owner, SqlValue, StoreError};

/// The kinds of drift, as stored.
pub const VM_MISSING: &str = "vm_missing";
pub const VM_RUNNING: &str = "vm_running";
pub const VM_STOPPED_LONG: &str = "vm_stopped_long";
pub const PACKAGE_DIFFERS: &str = "package_differs";
pub const DETAILS_DIFFER: &str = "details_differ";
pub const ORPHAN: &str = "orphan";
pub const BUILD_FAILED: &str = "build_failed";
pub const BUILD_TIMED_OUT: &str = "build_timed_out";

/// Every kind, with what the admin reads for it.
pub const KINDS: [(&str, &str); 8] = [
    (VM_MISSING, "VM missing or in the trash"),
    (VM_RUNNING, "VM running while not Active"),
    (VM_STOPPED_LONG, "VM stopped for long"),
    (PACKAGE_DIFFERS, "Package differs"),
    (DETAILS_DIFFER, "FQDN or IPs differ"),
    (ORPHAN, "Orphan VM"),
    (BUILD_FAILED, "Build failed"),
    (BUILD_TIMED_OUT, "Build timed out"),
];

/// A VM of an Active service stopped at least this long (as passes saw it) is a finding.
pub const STOPPED_LONG: Duration = Duration::days(3);
/// On the service: when a pass first saw its VM stopped.
pub const VM_STOPPED_SEEN_AT: &str = "vm_stopped_seen_at";
/// The share of each minute's API budget a pass leaves to the build sync and the client area.
const RATE_LIMIT_RESERVE: f64 = 0.25;
/// A pass's lock outlives a slow pass; a dead process's lock is taken over at once.
const PASS_LOCK_TTL: Duration = Duration::minutes(30);
const PASS_LOCK: &str = "drift-pass";
/// Module items: the pass under way, and what the last finished one did.
const PASS_ITEM: &str = "drift_pass";
const LAST_PASS_ITEM: &str = "drift_last_pass";
/// Services read from WHMCS at a time.
const SERVICE_BATCH: i64 = 200;

/// What a pass does when the minute's budget runs low.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// Waits for the next minute (the cron has the time).
    Wait,
    /// Stops, leaving the rest to the next pass (a page must answer).
    Stop,
}

/// Where a pass is: committed with each service's findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassState {
    pub started_at: i64,
    /// The last service checked (services go in id order).
    pub after_service: u64,
    /// Managed organizations whose VMs were looked through.
    pub organizations_done: usize,
    pub services_checked: u64,
    pub errors: u64,
}

/// What the last finished pass did, for the dashboard and the daily line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastPass {
    pub finished_at: i64,
    pub services_checked: u64,
    pub findings: u64,
    pub errors: u64,
}

/// What one call of `run` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Another process is running a pass.
    Busy,
    /// The pass stopped for the budget; the next call goes on from there.
    Paused(PassState),
    Finished(LastPass),
}

/// A WHMCS service of the module, as the pass reads it.
struct ServiceRow {
    id: u64,
    status: String,
    domain: String,
    dedicated_ip: String,
    assigned_ips: String,
    package: String,
}

/// Runs the pass under way to its end (or starts one when `start` and none is under way).
pub fn run(
    ctx: &Context<'_>,
    run_id: &str,
    start: bool,
    pacing: Pacing,
) -> Result<Option<Outcome>, ModuleError> {
    let store = ctx.store()?;
    // Every cron run asks; most have nothing to finish, and need no lock to say so.
    if !start && pass_under_way(&store)?.is_none() {
        return Ok(None);
    }
    let locks = Locks::open(ctx.sql, run_id).map_err(StoreError::from)?;
    let outcome = locks.while_claimed(
        PASS_LOCK,
        PASS_LOCK_TTL,
        ZERO_WAIT,
        || match pass_under_way(&store)? {
            Some(state) => Pass::new(ctx, &store, pacing)?.go_on(state).map(Some),
            None if start => {
                let state = PassState {
                    started_at: ctx.now.timestamp(),
                    ..PassState::default()
                };
                Pass::new(ctx, &store, pacing)?.go_on(state).map(Some)
            }
            None => Ok(None),
        },
    )?;
    Ok(outcome.unwrap_or(Some(Outcome::Busy)))
}

/// The pass a stopped run left, if any.
pub fn pass_under_way(store: &DataStore<'_>) -> Result<Option<PassState>, ModuleError> {
    Ok(store.get_json(Owner::Module, PASS_ITEM)?)
}

pub fn last_pass(store: &DataStore<'_>) -> Result<Option<LastPass>, ModuleError> {
    Ok(store.get_json(Owner::Module, LAST_PASS_ITEM)?)
}

struct Pass<'c, 'a> {
    ctx: &'c Context<'a>,
    store: &'c DataStore<'a>,
    findings: Findings<'a>,
    client: std::sync::Arc<Client>,
    pacing: Pacing,
    installation: String,
}

impl<'c, 'a> Pass<'c, 'a> {
    fn new(
        ctx: &'c Context<'a>,
        store: &'c DataStore<'a>,
        pacing: Pacing,
    ) -> Result<Self, ModuleError> {
        // The cron has time to wait a 429 out to the next minute; a page does not.
        let mut api = ctx.api.clone();
        if pacing == Pacing::Wait {
            api.retry = api.retry.for_cron();
        }
        let client = Context::new(ctx.sql, ctx.host, api, ctx.now).client(store)?;
        Ok(Self {
            ctx,
            store,
            findings: Findings::open(ctx.sql).map_err(StoreError::from)?,
            client,
            pacing,
            installation: ModuleSettings::new(store, ctx.host).installation_id(ctx.now)?,
        })
    }

    /// Whether the minute's budget spares one more request beside the reserve; with `Wait`, it
    /// waits for the next minute when it does not.
    fn budget(&self) -> bool {
        let spares = |client: &Client| {
            client
                .rate_limit()
                .is_none_or(|limit| limit.spares(1, RATE_LIMIT_RESERVE))
        };
        if spares(&self.client) {
            return true;
        }
        match (self.pacing, self.client.until_rate_limit_window_turns()) {
            (Pacing::Wait, Some(wait)) => {
                std::thread::sleep(wait);
                true
            }
            _ => false,
        }
    }

    fn go_on(&self, mut state: PassState) -> Result<Outcome, ModuleError> {
        let ctx = self.ctx;
        self.store
            .set_json(Owner::Module, PASS_ITEM, &state, ctx.now)?;
        loop {
            let services = self.services_after(state.after_service)?;
            if services.is_empty() {
                break;
            }
            for service in services {
                let links = ServiceLinks::read(self.store, service.id)?;
                let needs_api = links.vm_id.is_some();
                if needs_api && !self.budget() {
                    return Ok(Outcome::Paused(state));
                }
                let subject = service_subject(service.id);
                let seen = self.check_service(&service, &links);
                state.after_service = service.id;
                state.services_checked += 1;
                transaction(ctx.sql, || {
                    match &seen {
                        Ok(seen) => self.findings.replace(&subject, seen, ctx.now)?,
                        Err(_) => self.findings.keep(&subject, ctx.now)?,
                    }
                    self.store
                        .set_json(Owner::Module, PASS_ITEM, &state, ctx.now)
                })?;
                if let Err(error) = seen {
                    state.errors += 1;
                    ctx.log_for_service(
                        service.id,
                        None,
                        &format!("the drift check could not look at the VM: {error}"),
                    );
                }
            }
        }
        let organizations = self.managed_organizations()?;
        if state.organizations_done < organizations.len() {
            let linked = self.linked_vms()?;
            for organization in &organizations[state.organizations_done..] {
                if !self.budget() {
                    return Ok(Outcome::Paused(state));
                }
                match self.orphans_in(organization, &linked) {
                    Ok(Some(orphans)) => {
                        for (vm_id, seen) in orphans {
                            self.findings.record(&vm_subject(&vm_id), &seen, ctx.now)?;
                        }
                    }
                    Ok(None) => return Ok(Outcome::Paused(state)),
                    Err(error) => {
                        state.errors += 1;
                        self.keep_orphans_of(organization)?;
                        ctx.host.log_activity(
                            &format!("[Katapult] The drift check could not list the VMs of managed organization {organization}: {error}"),
                            None,
                        );
                    }
                }
                state.organizations_done += 1;
                self.store
                    .set_json(Owner::Module, PASS_ITEM, &state, ctx.now)?;
            }
        }
        self.finish(state)
    }

    /// The pass is over: what no one saw again is gone.
    fn finish(&self, state: PassState) -> Result<Outcome, ModuleError> {
        let ctx = self.ctx;
        let started = DateTime::from_timestamp(state.started_at, 0).unwrap_or(ctx.now);
        let last = transaction(ctx.sql, || {
            self.findings.forget_unseen_since(started)?;
            let last = LastPass {
                finished_at: ctx.now.timestamp(),
                services_checked: state.services_checked,
                findings: self.findings.count()?,
                errors: state.errors,
            };
            self.store
                .set_json(Owner::Module, LAST_PASS_ITEM, &last, ctx.now)?;
            self.store.delete(Owner::Module, PASS_ITEM)?;
            Ok::<_, StoreError>(last)
        })?;
        Ok(Outcome::Finished(last))
    }

    fn services_after(&self, after: u64) -> Result<Vec<ServiceRow>, ModuleError> {
        let rows = self.ctx.sql.query(
            "SELECT h.id, h.domainstatus, h.domain, h.dedicatedip, h.assignedips, p.configoption1 FROM tblhosting h JOIN tblproducts p ON p.id = h.packageid WHERE p.servertype = 'katapult' AND h.id > ? ORDER BY h.id LIMIT ?",
            &[SqlValue::Int(after as i64), SqlValue::Int(SERVICE_BATCH)],
        )?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let text = |i: usize| {
                    row.get(i)
                        .and_then(SqlValue::as_text)
                        .unwrap_or_default()
                        .to_string()
                };
                ServiceRow {
                    id: row.first().and_then(SqlValue::as_int).unwrap_or(0) as u64,
                    status: text(1),
                    domain: text(2),
                    dedicated_ip: text(3),
                    assigned_ips: text(4),
                    package: text(5),
                }
            })
            .collect())
    }

    /// What differs between one service and its VM.
    fn check_service(
        &self,
        service: &ServiceRow,
        links: &ServiceLinks,
    ) -> Result<Vec<Seen>, ModuleError> {
        let seen = |kind, vm_id: &str, detail: String| Seen {
            kind,
            service_id: service.id,
            vm_id: vm_id.to_string(),
            detail,
        };
        let mut found = Vec::new();
        if links.vm_id.is_none() {
            if let Some(build) = &links.vm_build_id {
                if links.vm_build_failed_at.is_some() {
                    found.push(seen(
                        BUILD_FAILED,
                        "",
                        format!("Katapult reports build {build} failed"),
                    ));
                } else if links.vm_build_timeout_reached_at.is_some() {
                    found.push(seen(
                        BUILD_TIMED_OUT,
                        "",
                        format!("build {build} has not finished in time"),
                    ));
                }
            }
            return Ok(found);
        }
        let vm_id = links.vm_id.as_deref().unwrap_or_default();
        let status = service.status.as_str();
        let vm = match self
            .client
            .virtual_machine(&VirtualMachineRef::Id(vm_id.to_string()))
        {
            Ok(response) => response.virtual_machine,
            Err(error) if error.is_not_found() || error.is_in_trash() => {
                if status == "Active" {
                    let place = if error.is_in_trash() {
                        "is in Katapult's trash"
                    } else {
                        "no longer exists in Katapult"
                    };
                    found.push(seen(VM_MISSING, vm_id, format!("VM {vm_id} {place}")));
                }
                return Ok(found);
            }
            Err(error) => return Err(error.into()),
        };
        let running = matches!(
            vm.state,
            VirtualMachineState::Started | VirtualMachineState::Starting
        );
        if running && matches!(status, "Suspended" | "Terminated") {
            found.push(seen(
                VM_RUNNING,
                vm_id,
                format!(
                    "VM {vm_id} is {} while the service is {status}",
                    vm.state.as_str()
                ),
            ));
        }
        if let Some(since) = self.stopped_since(service, &vm)? {
            if self.ctx.now - since >= STOPPED_LONG {
                found.push(seen(
                    VM_STOPPED_LONG,
                    vm_id,
                    format!(
                        "VM {vm_id} has been stopped since at least {} while the service is Active",
                        since.format("%Y-%m-%d %H:%M UTC")
                    ),
                ));
            }
        }
        if matches!(status, "Active" | "Suspended") {
            if let Some(package) = package_difference(&vm, &service.package) {
                found.push(seen(PACKAGE_DIFFERS, vm_id, package));
            }
            if let Some(details) = details_difference(&vm, service) {
                found.push(seen(DETAILS_DIFFER, vm_id, details));
            }
        }
        Ok(found)
    }

    /// When passes first saw the Active service's VM stopped (kept on the service); None once
    /// it runs again or the service is not Active.
    fn stopped_since(
        &self,
        service: &ServiceRow,
        vm: &VirtualMachine,
    ) -> Result<Option<DateTime<Utc>>, ModuleError> {
        let owner = Owner::Service(service.id);
        if service.status != "Active" || vm.state != VirtualMachineState::Stopped {
            self.store.delete(owner, VM_STOPPED_SEEN_AT)?;
            return Ok(None);
        }
        if let Some(since) = self.store.get_time(owner, VM_STOPPED_SEEN_AT)? {
            return Ok(Some(since));
        }
        self.store
            .set_time(owner, VM_STOPPED_SEEN_AT, self.ctx.now, self.ctx.now)?;
        Ok(Some(self.ctx.now))
    }

    /// The managed organizations of this installation's clients, in a stable order.
    fn managed_organizations(&self) -> Result<Vec<String>, ModuleError> {
        let mut organizations = Vec::new();
        for client_id in self
            .store
            .owners_with(Owner::Client(0).rel_type(), MANAGED_ORG_ID)?
        {
            if let Some(id) = self
                .store
                .get_text(Owner::Client(client_id), MANAGED_ORG_ID)?
            {
                organizations.push(id);
            }
        }
        organizations.sort_unstable();
        organizations.dedup();
        Ok(organizations)
    }

    /// The VMs services are linked to, and the services each build still under way is for.
    fn linked_vms(&self) -> Result<Linked, ModuleError> {
        let mut linked = Linked::default();
        let rel_type = Owner::Service(0).rel_type();
        for service_id in self.store.owners_with(rel_type, VM_ID)? {
            if let Some(vm_id) = self.store.get_text(Owner::Service(service_id), VM_ID)? {
                linked.vms.insert(vm_id);
            }
        }
        for service_id in self
            .store
            .owners_with(rel_type, super::links::VM_BUILD_ID)?
        {
            if ServiceLinks::read(self.store, service_id)?.build_pending() {
                linked.building.insert(service_id);
            }
        }
        linked.statuses = self.service_statuses()?;
        Ok(linked)
    }

    fn service_statuses(&self) -> Result<HashMap<u64, String>, ModuleError> {
        let rows = self
            .ctx
            .sql
            .query("SELECT id, domainstatus FROM tblhosting", &[])?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let id = row.first()?.as_int()? as u64;
                Some((id, row.get(1)?.as_text()?.to_string()))
            })
            .collect())
    }

    /// The VMs of `organization` that carry this installation's service annotation and belong
    /// to no service; None when the budget ran out half way.
    fn orphans_in(
        &self,
        organization: &str,
        linked: &Linked,
    ) -> Result<Option<Vec<(String, Seen)>>, ApiError> {
        let vms = self
            .client
            .virtual_machines(&OrganizationRef::from(organization), None)?;
        let mut orphans = Vec::new();
        for summary in vms.iter().filter(|vm| !linked.vms.contains(&vm.id)) {
            if !self.budget() {
                return Ok(None);
            }
            let response = match self
                .client
                .virtual_machine(&VirtualMachineRef::Id(summary.id.clone()))
            {
                Ok(response) => response,
                Err(error) if error.is_not_found() || error.is_in_trash() => continue,
                Err(error) => return Err(error),
            };
            let Some(service_id) = response
                .annotations
                .iter()
                .find(|a| a.key == crate::module::create_account::SERVICE_ANNOTATION)
                .and_then(|a| a.value.strip_prefix(&format!("{}/", self.installation)))
                .and_then(|id| id.parse::<u64>().ok())
            else {
                continue;
            };
            if linked.building.contains(&service_id) {
                continue;
            }
            let status = linked
                .statuses
                .get(&service_id)
                .map_or("deleted from WHMCS", String::as_str);
            let vm = &response.virtual_machine;
            orphans.push((
                vm.id.clone(),
                Seen {
                    kind: ORPHAN,
                    service_id,
                    vm_id: vm.id.clone(),
                    detail: format!(
                        "VM {} ({}, {}) in organization {organization} was built for service {service_id} ({status}), which is not linked to it",
                        vm.id,
                        vm.fqdn.as_deref().unwrap_or_default(),
                        vm.state.as_str()
                    ),
                },
            ));
        }
        Ok(Some(orphans))
    }

    /// Keeps the orphans found earlier in an organization the pass could not list.
    fn keep_orphans_of(&self, organization: &str) -> Result<(), ModuleError> {
        for finding in self.findings.list(Some(ORPHAN))? {
            if finding
                .detail
                .contains(&format!(" in organization {organization} "))
            {
                self.findings.keep(&finding.subject, self.ctx.now)?;
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct Linked {
    vms: HashSet<String>,
    building: HashSet<u64>,
    statuses: HashMap<u64, String>,
}

/// The product's package against the VM's, by id or permalink.
fn package_difference(vm: &VirtualMachine, product_package: &str) -> Option<String> {
    let package = vm.package.as_ref()?;
    if product_package.is_empty()
        || package.id == product_package
        || package.permalink.as_deref() == Some(product_package)
    {
        return None;
    }
    let name = package.permalink.as_deref().unwrap_or(&package.id);
    Some(format!(
        "VM {} runs package {name}; the product sells {product_package}",
        vm.id
    ))
}

/// Katapult's FQDN and addresses against the service's domain, dedicated and assigned IPs.
fn details_difference(vm: &VirtualMachine, service: &ServiceRow) -> Option<String> {
    let katapult = HostingFields::of(vm);
    let words = |text: &str| -> Vec<String> { text.split_whitespace().map(String::from).collect() };
    let mut differences = Vec::new();
    if katapult.domain != service.domain.trim() {
        differences.push(format!(
            "FQDN {} in Katapult, {} in WHMCS",
            katapult.domain, service.domain
        ));
    }
    if katapult.dedicated_ip != service.dedicated_ip.trim()
        || words(&katapult.assigned_ips) != words(&service.assigned_ips)
    {
        let katapult_ips = words(&format!(
            "{} {}",
            katapult.dedicated_ip, katapult.assigned_ips
        ));
        let whmcs_ips = words(&format!(
            "{} {}",
            service.dedicated_ip, service.assigned_ips
        ));
        differences.push(format!(
            "IPs {} in Katapult, {} in WHMCS",
            katapult_ips.join(", "),
            if whmcs_ips.is_empty() {
                "none".into()
            } else {
                whmcs_ips.join(", ")
            }
        ));
    }
    (!differences.is_empty()).then(|| differences.join("; "))
}
