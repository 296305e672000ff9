//! The build sync (WHMCS's `AfterCronJob`): every pending build is checked with Katapult, and a
//! finished VM is written into WHMCS.
//!
//! Checks run on a bounded pool of threads (plain Rust and HTTP only); everything that touches
//! WHMCS (the database, logs, hooks) stays on the calling thread, because PHP's objects belong to
//! it. Each persist happens under a database lock and re-reads the service first, so two cron
//! runs at once (a long run meeting the next, two web nodes) never persist a VM or fire a hook
//! twice. One service failing never stops the others.
//!
//! A run can die anywhere (a SIGKILL, a PHP fatal, the machine going down). Each step commits
//! together with the mark that says what is left: the VM is written with an "announcement due"
//! mark, and the Built hook and the held welcome email commit with its removal. What they write
//! to WHMCS happens once; a run killed in between leaves the mark, and the next run finishes.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{mpsc, OnceLock};

use chrono::Duration;

use super::chosen_options::ChosenOptions;
use super::context::{Context, ModuleError};
use super::extra_ipv4::{self, ExtraIpv4Change};
use super::links::{
    ServiceLinks, VM_BUILD_FAILED_AT, VM_BUILD_ID, VM_BUILD_TIMEOUT_REACHED_AT,
    VM_BUILT_ANNOUNCEMENT_DUE, VM_ID,
};
use super::vm_options_lock;
use crate::api::builds::{BuildRef, BuildState};
use crate::api::observer::{observe, RecordedExchange, Recorder};
use crate::api::virtual_machines::{VirtualMachine, VirtualMachineRef};
use crate::api::{ApiError, Client, RateLimit};
use crate::store::locks::{Locks, ZERO_WAIT};
use crate::store::sql::{transaction, MaybeTransient};
use crate::store::{DataStore, Owner, Sql, SqlError, SqlValue, StoreError};

pub const HOOK_BUILT: &str = "KatapultVirtualMachineBuilt";
pub const HOOK_TIMED_OUT: &str = "KatapultVirtualMachineBuildTimedOut";
/// After this, the time-out hook fires (once); the build is still checked on later runs.
pub const BUILD_TIMEOUT: Duration = Duration::minutes(15);
/// The most builds checked at once.
pub const MAX_CONCURRENCY: usize = 64;
/// The share of the API's rate-limit window a run leaves unspent: it takes no build whose
/// requests would reach into it, and the client area keeps working meanwhile.
const RATE_LIMIT_RESERVE: f64 = 0.1;
/// The requests one check makes: the build, then (once it is complete) its VM.
const REQUESTS_PER_CHECK: u32 = 2;
/// A claim older than this belongs to a run that died.
const CLAIM_TTL: Duration = Duration::minutes(5);

/// What one cron run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub checked: usize,
    pub built: usize,
    pub failed: usize,
    pub timed_out: usize,
    pub still_building: usize,
    pub errors: usize,
    /// Not checked this run: the API's rate-limit budget ran low. The next run checks them.
    pub deferred: usize,
    /// Built VMs whose hook and welcome email a stopped run left due, announced now.
    pub resumed: usize,
}

impl SyncReport {
    /// What the run did, in a line.
    pub fn summary(&self) -> String {
        format!(
            "{} built, {} failed, {} timed out, {} still building, {} errors, {} left for the next run (API rate limit), {} announced after a stopped run",
            self.built, self.failed, self.timed_out, self.still_building, self.errors, self.deferred, self.resumed
        )
    }
}

/// What Katapult says of one build.
enum Check {
    Building,
    Failed,
    /// Complete, and the VM has its root password and an IP.
    Ready(Box<VirtualMachine>),
    Error(ApiError),
}

/// A service the run works on, with its links as read at the start.
struct Pending {
    service_id: u64,
    links: ServiceLinks,
    /// The service's client, read once for the lines logged and the hooks fired.
    client_id: OnceLock<Option<u64>>,
}

pub fn sync_builds(
    ctx: &Context<'_>,
    concurrency: usize,
    run_id: &str,
) -> Result<SyncReport, ModuleError> {
    // The cron has time to wait a 429 out to the next minute; a page checking one build does not.
    let mut api = ctx.api.clone();
    api.retry = api.retry.for_cron();
    let ctx = &Context::new(ctx.sql, ctx.host, api, ctx.now);
    let store = ctx.store()?;
    let rel_type = Owner::Service(0).rel_type();
    let mut service_ids = store.owners_with(rel_type, VM_BUILD_ID)?;
    service_ids.extend(store.owners_with(rel_type, VM_BUILT_ANNOUNCEMENT_DUE)?);
    service_ids.sort_unstable();
    service_ids.dedup();
    let mut services = Vec::with_capacity(service_ids.len());
    for service_id in service_ids {
        services.push(Pending::new(
            service_id,
            ServiceLinks::read(&store, service_id)?,
        ));
    }
    sync(ctx, &store, run_id, services, concurrency)
}

/// One service's build, checked now: the client area asks while its building panel is open, so
/// a finished VM shows at once rather than at the next cron run. Same claims, same hooks, once.
pub fn sync_service(
    ctx: &Context<'_>,
    service_id: u64,
    run_id: &str,
) -> Result<SyncReport, ModuleError> {
    let store = ctx.store()?;
    let service = Pending::new(service_id, ServiceLinks::read(&store, service_id)?);
    sync(ctx, &store, run_id, vec![service], 1)
}

/// Announces the built VMs a stopped run left due, then settles the pending builds.
fn sync(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    run_id: &str,
    services: Vec<Pending>,
    concurrency: usize,
) -> Result<SyncReport, ModuleError> {
    let locks = Locks::open(ctx.sql, run_id).map_err(StoreError::from)?;
    let (due, others): (Vec<_>, Vec<_>) = services
        .into_iter()
        .partition(|service| announcement_due(&service.links));
    let pending = others
        .into_iter()
        .filter(|service| service.links.build_pending())
        .collect();
    let announced = resume_announcements(ctx, store, &locks, due);
    let mut report = settle(ctx, store, &locks, pending, concurrency)?;
    report.resumed = announced.resumed;
    report.errors += announced.errors;
    Ok(report)
}

/// What resuming the due announcements did.
#[derive(Default)]
struct Announced {
    resumed: usize,
    errors: usize,
}

/// Announces the built VMs a stopped run left due (see the module's notes).
fn resume_announcements(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    locks: &Locks<'_>,
    due: Vec<Pending>,
) -> Announced {
    let mut report = Announced::default();
    for item in &due {
        let resumed = claimed(store, locks, item, announcement_due, || {
            log(
                ctx,
                item,
                "announcing the built VM, which a stopped run left unannounced",
            );
            announce_built(ctx, store, item)
        });
        match resumed {
            Ok(done) => report.resumed += usize::from(done),
            Err(error) => {
                report.errors += 1;
                log(
                    ctx,
                    item,
                    &format!("the build sync could not announce the built VM: {error}"),
                );
            }
        }
    }
    report
}

fn announcement_due(links: &ServiceLinks) -> bool {
    links.vm_built_announcement_due.is_some()
}

impl Pending {
    fn new(service_id: u64, links: ServiceLinks) -> Self {
        Pending {
            service_id,
            links,
            client_id: OnceLock::new(),
        }
    }

    fn build_id(&self) -> &str {
        self.links.vm_build_id.as_deref().unwrap_or_default()
    }

    fn client_id(&self, ctx: &Context<'_>) -> Option<u64> {
        *self
            .client_id
            .get_or_init(|| client_of(ctx, self.service_id))
    }
}

/// Checks the pending builds on a pool of threads and writes down each outcome on this thread
/// as it arrives, so writing overlaps the waiting on Katapult.
fn settle(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    locks: &Locks<'_>,
    pending: Vec<Pending>,
    concurrency: usize,
) -> Result<SyncReport, ModuleError> {
    let mut report = SyncReport {
        checked: pending.len(),
        ..SyncReport::default()
    };
    if pending.is_empty() {
        return Ok(report);
    }
    let client = ctx.client(store)?;
    let exchanges = check_all(&client, &pending, concurrency, |index, check| {
        let item = &pending[index];
        let outcome = match check {
            Check::Ready(vm) => persist_built(ctx, store, locks, item, &vm)
                .map(|done| report.built += usize::from(done)),
            Check::Failed => record_failure(ctx, store, locks, item)
                .map(|done| report.failed += usize::from(done)),
            Check::Building => {
                report.still_building += 1;
                record_timeout(ctx, store, locks, item)
                    .map(|done| report.timed_out += usize::from(done))
            }
            Check::Error(error) => Err(error.into()),
        };
        if let Err(error) = outcome {
            report.errors += 1;
            log(
                ctx,
                item,
                &format!(
                    "the build sync could not check build {}: {error}",
                    item.build_id()
                ),
            );
        }
    });
    ctx.log_recorded(&client, &exchanges.recorded);
    report.deferred = pending.len() - exchanges.checked;
    Ok(report)
}

/// What the pool of checks leaves: how many builds it checked, and the API exchanges for the
/// module log.
struct Checked {
    checked: usize,
    recorded: Vec<RecordedExchange>,
}

/// Checks builds on at most `concurrency` threads, handing each result (with its index in
/// `pending`) to `outcome` on the calling thread, where WHMCS may be touched. Takes no build
/// whose requests the API's rate-limit window cannot spare beside the reserve: the rest wait for
/// the next run, and the budget left serves the client area meanwhile.
fn check_all(
    client: &Client,
    pending: &[Pending],
    concurrency: usize,
    mut outcome: impl FnMut(usize, Check),
) -> Checked {
    let window = Window::new(client);
    let next = AtomicUsize::new(0);
    let mut checked = 0;
    let mut recorded = Vec::new();
    if client.rate_limit().is_none() && !pending.is_empty() {
        // The budget is unknown until an answer tells it: one check learns it before a pool of
        // them could spend what the window does not have.
        let recorder = Recorder::default();
        let first = observe(&recorder, || window.check(&pending[0]));
        recorded.extend(recorder.take());
        next.store(1, Ordering::Relaxed);
        if let Some(first) = first {
            checked += 1;
            outcome(0, first);
        }
    }
    let workers = concurrency.clamp(1, MAX_CONCURRENCY).min(pending.len());
    std::thread::scope(|scope| {
        let (results, arriving) = mpsc::channel();
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let results = results.clone();
                let (next, window) = (&next, &window);
                scope.spawn(move || {
                    let recorder = Recorder::default();
                    observe(&recorder, || loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = pending.get(index) else {
                            break;
                        };
                        let Some(check) = window.check(item) else {
                            break;
                        };
                        if results.send((index, check)).is_err() {
                            break;
                        }
                    });
                    recorder.take()
                })
            })
            .collect();
        drop(results);
        for (index, check) in arriving {
            checked += 1;
            outcome(index, check);
        }
        for handle in handles {
            // A panicking check is a bug, not an API answer: re-raise it on this thread.
            recorded.extend(
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
    });
    Checked { checked, recorded }
}

/// The run's share of the API's rate-limit window: what the last answer said is left, less the
/// requests of checks under way that it cannot count yet, less the reserve.
struct Window<'a> {
    client: &'a Client,
    unanswered: AtomicU32,
}

impl<'a> Window<'a> {
    fn new(client: &'a Client) -> Self {
        Self {
            client,
            unanswered: AtomicU32::new(0),
        }
    }

    /// Checks the build if the window can spare its requests; None when it cannot.
    fn check(&self, item: &Pending) -> Option<Check> {
        let taken = self
            .unanswered
            .fetch_add(REQUESTS_PER_CHECK, Ordering::SeqCst);
        if !has_room(self.client.rate_limit(), taken + REQUESTS_PER_CHECK) {
            self.answered(REQUESTS_PER_CHECK);
            return None;
        }
        let check = check(self.client, item.build_id(), || self.answered(1));
        self.answered(REQUESTS_PER_CHECK - 1);
        Some(check)
    }

    fn answered(&self, requests: u32) {
        self.unanswered.fetch_sub(requests, Ordering::SeqCst);
    }
}

/// Whether the window, as last seen, still holds `wanted` requests beyond the reserve. Before
/// any answer told the limit, it does.
fn has_room(limit: Option<RateLimit>, wanted: u32) -> bool {
    limit.is_none_or(|limit| limit.spares(wanted, RATE_LIMIT_RESERVE))
}

/// Asks Katapult about one build; `build_answered` runs once the build's own request is done.
fn check(client: &Client, build_id: &str, build_answered: impl FnOnce()) -> Check {
    let build = client.virtual_machine_build(&BuildRef::Id(build_id.to_string()));
    build_answered();
    let build = match build {
        Ok(build) => build,
        // Katapult can briefly not list a build it has just accepted.
        Err(error) if error.is_not_found() => return Check::Building,
        Err(error) => return Check::Error(error),
    };
    match (build.state, build.virtual_machine) {
        (BuildState::Failed, _) => Check::Failed,
        (BuildState::Complete, Some(summary)) => {
            match client.virtual_machine(&VirtualMachineRef::Id(summary.id)) {
                Ok(response) => {
                    let vm = response.virtual_machine;
                    if is_ready(&vm) {
                        Check::Ready(Box::new(vm))
                    } else {
                        Check::Building
                    }
                }
                Err(error) => Check::Error(error),
            }
        }
        _ => Check::Building,
    }
}

/// A VM is ready to hand over once it has its root password and an IP address.
pub fn is_ready(vm: &VirtualMachine) -> bool {
    let has_password = vm
        .initial_root_password
        .as_ref()
        .is_some_and(|p| !p.expose().is_empty());
    has_password && !vm.ip_addresses.is_empty()
}

fn claim_name(service_id: u64) -> String {
    format!("build-sync:service:{service_id}")
}

/// Runs `work` holding the service's claim, on fresh links; false when another run holds it or
/// `still_due` says the work was done meanwhile.
fn claimed(
    store: &DataStore<'_>,
    locks: &Locks<'_>,
    item: &Pending,
    still_due: impl Fn(&ServiceLinks) -> bool,
    work: impl FnOnce() -> Result<(), ModuleError>,
) -> Result<bool, ModuleError> {
    let done = locks.while_claimed(&claim_name(item.service_id), CLAIM_TTL, ZERO_WAIT, || {
        let fresh = ServiceLinks::read(store, item.service_id)?;
        if still_due(&fresh) && fresh.vm_build_id == item.links.vm_build_id {
            work().map(|()| true)
        } else {
            Ok(false)
        }
    })?;
    Ok(done == Some(true))
}

/// Writes the VM into WHMCS: its id in the datastore, and in tblhosting the FQDN, the first IPv4
/// as the dedicated IP, the other addresses as assigned IPs, `root` and the initial root
/// password (encrypted, as WHMCS stores service passwords). Then the announcement.
fn persist_built(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    locks: &Locks<'_>,
    item: &Pending,
    vm: &VirtualMachine,
) -> Result<bool, ModuleError> {
    claimed(store, locks, item, ServiceLinks::build_pending, || {
        persist(ctx, store, item, vm)
    })
}

/// CreateAccount found a finished VM built for this service that was never written in (the
/// answer to its build request was lost on the way): written in and announced as the build
/// sync would have. False when another process got there first.
pub fn adopt(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    service_id: u64,
    vm: &VirtualMachine,
) -> Result<bool, ModuleError> {
    let locks = Locks::open(ctx.sql, "adopt").map_err(StoreError::from)?;
    let item = Pending::new(service_id, ServiceLinks::read(store, service_id)?);
    claimed(
        store,
        &locks,
        &item,
        |links| links.vm_id.is_none(),
        || persist(ctx, store, &item, vm),
    )
}

fn persist(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    item: &Pending,
    vm: &VirtualMachine,
) -> Result<(), ModuleError> {
    let password = vm
        .initial_root_password
        .as_ref()
        .map(|p| p.expose())
        .unwrap_or_default();
    let encrypted = ctx.host.whmcs_encrypt(password).map_err(|e| {
        ModuleError::Product(format!("WHMCS could not encrypt the root password: {e}"))
    })?;
    let HostingFields {
        domain: fqdn,
        dedicated_ip: dedicated,
        assigned_ips: assigned,
    } = HostingFields::of(vm);
    let service = Owner::Service(item.service_id);
    transaction(ctx.sql, || {
        store.set_text(service, VM_ID, &vm.id, Some(&vm.id), ctx.now)?;
        ctx.sql.execute(
            "UPDATE tblhosting SET domain = ?, dedicatedip = ?, assignedips = ?, username = ?, password = ? WHERE id = ?",
            &[fqdn.as_str().into(), dedicated.as_str().into(), assigned.as_str().into(), "root".into(), encrypted.as_str().into(), SqlValue::Int(item.service_id as i64)],
        )?;
        store.set_time(service, VM_BUILT_ANNOUNCEMENT_DUE, ctx.now, ctx.now)?;
        Ok::<_, StoreError>(())
    })?;
    log(
        ctx,
        item,
        &format!(
            "VM {} is built ({})",
            vm.id,
            vm.fqdn.as_deref().unwrap_or_default()
        ),
    );
    add_extra_ipv4(ctx, store, item, vm);
    let announced = announce_built(ctx, store, item);
    // After the announcement: a run killed while Katapult sets the policy has announced the VM.
    super::backups::after_build(ctx, store, item.service_id, &vm.id);
    announced
}

/// The extra IPv4 addresses the client paid for, on the VM just built. A failure is logged, not
/// the build's: the VM is there all the same, and ChangePackage adds what is missing.
fn add_extra_ipv4(ctx: &Context<'_>, store: &DataStore<'_>, item: &Pending, vm: &VirtualMachine) {
    let added = vm_options_lock::holding(ctx, item.service_id, || {
        let wanted = ChosenOptions::extra_ipv4_of(ctx.sql, store, item.service_id)?;
        if wanted == 0 {
            return Ok(ExtraIpv4Change::default());
        }
        let client = ctx.client(store)?;
        let vm_ref = VirtualMachineRef::Id(vm.id.clone());
        ctx.logged(&client, || {
            extra_ipv4::bring_to(ctx, store, &client, item.service_id, &vm_ref, wanted)
        })
    });
    match added {
        Ok(change) if change.is_empty() => {}
        Ok(change) => log(ctx, item, &change.summary()),
        Err(error) => log(
            ctx,
            item,
            &format!("the extra IPv4 addresses were not all added: {error} (ChangePackage adds what is missing)"),
        ),
    }
}

/// The Built hook and the held welcome email, committed with the removal of the announcement
/// mark: what they write to WHMCS's database happens exactly once even if the run is killed.
/// Their failures are logged, never the build's.
fn announce_built(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    item: &Pending,
) -> Result<(), ModuleError> {
    transaction(ctx.sql, || {
        fire(ctx, item, HOOK_BUILT);
        match super::welcome_email::send_held(ctx, item.service_id) {
            Ok(true) => log(
                ctx,
                item,
                "the welcome email was sent, now with the VM's details",
            ),
            Ok(false) => {}
            // A conflict ended this transaction: it runs again whole.
            Err(error) if error.is_transient() => return Err(error),
            Err(error) => log(ctx, item, &error.to_string()),
        }
        store.delete(Owner::Service(item.service_id), VM_BUILT_ANNOUNCEMENT_DUE)?;
        Ok(())
    })
}

/// What WHMCS's service row shows of a VM: the FQDN as its domain, the first IPv4 as its
/// dedicated IP, the other addresses (IPv6 included) one a line as its assigned IPs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostingFields {
    pub domain: String,
    pub dedicated_ip: String,
    pub assigned_ips: String,
}

impl HostingFields {
    /// Writes them into the service's row (domain, dedicated IP, assigned IPs).
    pub fn write(&self, sql: &dyn Sql, service_id: u64) -> Result<(), SqlError> {
        sql.execute(
            "UPDATE tblhosting SET domain = ?, dedicatedip = ?, assignedips = ? WHERE id = ?",
            &[
                self.domain.as_str().into(),
                self.dedicated_ip.as_str().into(),
                self.assigned_ips.as_str().into(),
                SqlValue::Int(service_id as i64),
            ],
        )?;
        Ok(())
    }

    pub fn of(vm: &VirtualMachine) -> Self {
        let mut addresses: Vec<&str> = vm
            .ip_addresses
            .iter()
            .filter(|ip| ip.is_ipv4())
            .map(|ip| ip.address.as_str())
            .collect();
        addresses.extend(
            vm.ip_addresses
                .iter()
                .filter(|ip| !ip.is_ipv4())
                .map(|ip| ip.address.as_str()),
        );
        Self {
            domain: vm
                .fqdn
                .clone()
                .or_else(|| vm.hostname.clone())
                .unwrap_or_default(),
            dedicated_ip: addresses.first().copied().unwrap_or_default().to_string(),
            assigned_ips: addresses
                .iter()
                .skip(1)
                .copied()
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

fn record_failure(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    locks: &Locks<'_>,
    item: &Pending,
) -> Result<bool, ModuleError> {
    claimed(store, locks, item, ServiceLinks::build_pending, || {
        let message = format!(
            "Katapult reports build {} failed; press Create to build again, or Terminate",
            item.build_id()
        );
        mark(ctx, store, item, VM_BUILD_FAILED_AT, &message, || {})
    })
}

/// Past the time-out with no VM: fire the hook once (committed with the mark that it fired),
/// and keep checking on later runs.
fn record_timeout(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    locks: &Locks<'_>,
    item: &Pending,
) -> Result<bool, ModuleError> {
    let overdue = |links: &ServiceLinks| {
        links.build_pending()
            && links.vm_build_timeout_reached_at.is_none()
            && links
                .vm_build_started_at
                .is_some_and(|started| ctx.now - started >= BUILD_TIMEOUT)
    };
    if !overdue(&item.links) {
        return Ok(false);
    }
    claimed(store, locks, item, overdue, || {
        let message = format!(
            "build {} has not finished after {} minutes; still checking",
            item.build_id(),
            BUILD_TIMEOUT.num_minutes()
        );
        mark(
            ctx,
            store,
            item,
            VM_BUILD_TIMEOUT_REACHED_AT,
            &message,
            || fire(ctx, item, HOOK_TIMED_OUT),
        )
    })
}

/// Sets the service's time `key`, logs `message` and runs `then` (a hook), in one transaction.
fn mark(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    item: &Pending,
    key: &str,
    message: &str,
    then: impl Fn(),
) -> Result<(), ModuleError> {
    transaction(ctx.sql, || {
        store.set_time(Owner::Service(item.service_id), key, ctx.now, ctx.now)?;
        log(ctx, item, message);
        then();
        Ok(())
    })
}

fn client_of(ctx: &Context<'_>, service_id: u64) -> Option<u64> {
    let rows = ctx
        .sql
        .query(
            "SELECT userid FROM tblhosting WHERE id = ?",
            &[SqlValue::Int(service_id as i64)],
        )
        .ok()?;
    rows.first()?
        .first()?
        .as_int()
        .and_then(|id| u64::try_from(id).ok())
}

fn log(ctx: &Context<'_>, item: &Pending, message: &str) {
    ctx.log_for_service(item.service_id, item.client_id(ctx), message);
}

fn fire(ctx: &Context<'_>, item: &Pending, hook: &str) {
    ctx.fire_hook(hook, item.service_id, item.client_id(ctx));
}
