//! How builds, tasks, VM boots and disk resizes move forward. Nothing runs in the background:
//! every API request first calls `State::advance`, which applies whatever the
//! clock (or, for `BuildSpeed::OnPoll`, the poll counters) says has happened.

use crate::config::{BuildSpeed, Timing};
use crate::state::{unix_now, BuildFailure, Disk, Installation, State, TaskKind, Vm};
use rand::Rng;
use std::time::SystemTime;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    Pending,
    Running(u8),
    Done,
    /// Only a build task whose build failed.
    Failed,
}

pub fn phase(speed: BuildSpeed, timing: Timing, created: SystemTime, polls: u32) -> Phase {
    match speed {
        BuildSpeed::OnPoll(n) => {
            if polls >= n {
                Phase::Done
            } else if polls <= 1 {
                Phase::Pending
            } else {
                Phase::Running((polls * 100 / n) as u8)
            }
        }
        _ => {
            // A clock stepped back looks like a job created just now.
            let elapsed = created.elapsed().unwrap_or_default();
            if elapsed >= timing.done {
                Phase::Done
            } else if elapsed < timing.start {
                Phase::Pending
            } else {
                let span = (timing.done - timing.start).as_millis().max(1);
                let pct = (elapsed - timing.start).as_millis() * 100 / span;
                Phase::Running(pct.clamp(1, 99) as u8)
            }
        }
    }
}

/// How far into `building` (percent) the build's VM appears, `stopped`.
const VM_APPEARS_AT: u8 = 50;

impl State {
    pub fn advance(&mut self) {
        self.advance_builds();
        self.advance_tasks();
        let now = SystemTime::now();
        for vm in self.vms.iter_mut() {
            if vm.boots_at.is_some_and(|t| t <= now) {
                finish_boot(vm);
            }
        }
    }

    /// A GET of the VM: in `OnPoll` mode this boots a fresh VM and counts as a
    /// poll of its unfinished tasks (clients often watch the VM, not the task).
    pub fn note_vm_get(&mut self, vm_id: &str) {
        if let BuildSpeed::OnPoll(_) = self.speed {
            if let Some(vm) = self.vm_mut(vm_id) {
                finish_boot(vm);
            }
        }
        self.note_polls(|k| k.vm_id() == Some(vm_id));
    }

    /// A GET of a disk, or of `vm_id`'s disk list: in `OnPoll` mode, a poll of
    /// the unfinished resizes of those disks.
    pub fn note_disk_get(&mut self, vm_id: &str, disk_id: Option<&str>) {
        self.note_polls(|k| {
            matches!(k, TaskKind::ResizeDisk { vm_id: v, disk_id: d, .. }
                if v == vm_id && disk_id.is_none_or(|id| id == d))
        });
    }

    /// In `OnPoll` mode, counts a poll of every unfinished task `watched` selects.
    fn note_polls(&mut self, watched: impl Fn(&TaskKind) -> bool) {
        if let BuildSpeed::OnPoll(_) = self.speed {
            for t in self
                .tasks
                .iter_mut()
                .filter(|t| t.finished_at.is_none() && watched(&t.kind))
            {
                t.polls += 1;
            }
            self.advance_tasks();
        }
    }

    /// LIVE (VirtualMachine_basic): `pending`, then `building` with no VM, then `building` with
    /// the VM already there and `stopped`, then `complete` with the VM `starting`. A build that
    /// fails before its VM appeared ends without one; one that fails after leaves its VM,
    /// `stopped` and annotated, in the organization.
    fn advance_builds(&mut self) {
        let timing = self.speed.build_timing();
        for i in 0..self.builds.len() {
            let b = &self.builds[i];
            if matches!(b.state, "complete" | "failed") {
                continue;
            }
            let vm_made = b.vm_id.is_some();
            match (phase(self.speed, timing, b.created, b.polls), b.failure) {
                (Phase::Pending | Phase::Failed, _) => {}
                (Phase::Running(p), failure) => {
                    self.builds[i].state = "building";
                    if p >= VM_APPEARS_AT && !vm_made && failure != Some(BuildFailure::BeforeVm) {
                        let vm_id = self.create_vm(i);
                        self.builds[i].vm_id = Some(vm_id);
                    }
                }
                (Phase::Done, Some(failure)) => {
                    if failure == BuildFailure::AfterVm && !vm_made {
                        let vm_id = self.create_vm(i);
                        self.builds[i].vm_id = Some(vm_id);
                    }
                    self.builds[i].state = "failed";
                }
                (Phase::Done, None) => {
                    let vm_id = match self.builds[i].vm_id.clone() {
                        Some(id) => id,
                        None => self.create_vm(i),
                    };
                    let boots_at = match self.speed {
                        BuildSpeed::OnPoll(_) => None,
                        s => Some(SystemTime::now() + s.boot_time()),
                    };
                    if let Some(vm) = self.vm_mut(&vm_id) {
                        if vm.trash_id.is_none() {
                            vm.state = "starting";
                            vm.boots_at = boots_at;
                        }
                    }
                    let b = &mut self.builds[i];
                    b.state = "complete";
                    b.vm_id = Some(vm_id);
                }
            }
        }
    }

    fn create_vm(&mut self, build: usize) -> String {
        let id = self.new_id("vm");
        let root_password = self.random_string(20);
        let b = &self.builds[build];
        let pkg = self
            .cat
            .package("id", &b.package_id)
            .cloned()
            .unwrap_or_default();
        let vm = Vm {
            id: id.clone(),
            org_id: b.org_id.clone(),
            name: b.hostname.clone(),
            hostname: b.hostname.clone(),
            created_at: unix_now(),
            root_password,
            state: "stopped",
            package_id: b.package_id.clone(),
            cpu_cores: pkg["cpu_cores"].as_u64().unwrap_or(1),
            memory_in_gb: pkg["memory_in_gb"].as_u64().unwrap_or(1),
            zone_id: b.zone_id.clone(),
            annotations: b.annotations.clone(),
            trash_id: None,
            boots_at: None,
        };
        let org_id = b.org_id.clone();
        let network = self.cat.network("id", &b.network_id).cloned();
        let (specs, template_id) = (b.disks.clone(), b.template_id.clone());
        let fqdn = self.fqdn(&vm);
        self.vms.push(vm);
        if let Some(net) = network {
            let versions: &[u8] = if self.ipv6 { &[4, 6] } else { &[4] };
            for &version in versions {
                if let Some(i) = self.allocate_ip(&org_id, &net, version) {
                    self.ips[i].vm_id = Some(id.clone());
                    self.ips[i].reverse_dns = fqdn.clone();
                }
            }
        }
        for spec in specs {
            let installation = match (&template_id, spec.system) {
                (Some(t), true) => Some(Installation {
                    id: self.new_id("dinst"),
                    template_id: t.clone(),
                }),
                _ => None,
            };
            let disk = Disk {
                id: self.new_id("disk"),
                vm_id: id.clone(),
                name: spec.name,
                size_in_gb: spec.size_in_gb,
                boot: spec.system,
                storage_speed: spec.storage_speed,
                wwn: format!("0x{:016x}", self.rng.random::<u64>()),
                created_at: unix_now(),
                state: "built",
                installation,
            };
            self.disks.push(disk);
        }
        id
    }

    fn advance_tasks(&mut self) {
        let timing = self.speed.task_timing();
        for i in 0..self.tasks.len() {
            if self.tasks[i].finished_at.is_some() {
                continue;
            }
            let t = &self.tasks[i];
            let ph = match &t.kind {
                TaskKind::Build { build_id } => {
                    match self
                        .builds
                        .iter()
                        .find(|b| &b.id == build_id)
                        .map(|b| b.state)
                    {
                        Some("complete") => Phase::Done,
                        Some("failed") => Phase::Failed,
                        Some("building") => Phase::Running(50),
                        _ => Phase::Pending,
                    }
                }
                _ => phase(self.speed, timing, t.created, t.polls),
            };
            match ph {
                Phase::Pending => {}
                Phase::Running(p) => {
                    let kind = self.tasks[i].kind.clone();
                    let t = &mut self.tasks[i];
                    t.status = "running";
                    t.started_at.get_or_insert_with(unix_now);
                    t.progress = p;
                    if let TaskKind::Power { vm_id, action } = kind {
                        if let Some(vm) = self.vm_mut(&vm_id) {
                            vm.state = action.states().0;
                        }
                    }
                }
                Phase::Done => {
                    let now = unix_now();
                    let kind = self.tasks[i].kind.clone();
                    let t = &mut self.tasks[i];
                    t.status = "completed";
                    t.started_at.get_or_insert(now);
                    t.finished_at = Some(now);
                    t.progress = 100;
                    self.complete(kind);
                }
                Phase::Failed => {
                    let now = unix_now();
                    let t = &mut self.tasks[i];
                    t.status = "failed";
                    t.started_at.get_or_insert(now);
                    t.finished_at = Some(now);
                }
            }
        }
    }

    fn complete(&mut self, kind: TaskKind) {
        match kind {
            TaskKind::Build { .. } => {}
            TaskKind::Power { vm_id, action } => {
                if let Some(vm) = self.vm_mut(&vm_id) {
                    vm.boots_at = None;
                    vm.state = action.states().1;
                }
            }
            TaskKind::ChangePackage { vm_id, package_id } => {
                let pkg = self.cat.package("id", &package_id).cloned();
                if let (Some(vm), Some(pkg)) = (self.vm_mut(&vm_id), pkg) {
                    vm.package_id = package_id;
                    vm.cpu_cores = pkg["cpu_cores"].as_u64().unwrap_or(vm.cpu_cores);
                    vm.memory_in_gb = pkg["memory_in_gb"].as_u64().unwrap_or(vm.memory_in_gb);
                }
            }
            TaskKind::ResizeDisk {
                disk_id,
                size_in_gb,
                ..
            } => {
                if let Some(d) = self.disks.iter_mut().find(|d| d.id == disk_id) {
                    d.size_in_gb = size_in_gb;
                    d.state = "built";
                }
            }
            TaskKind::Purge { trash_id } => {
                if let Some(pos) = self.trash.iter().position(|t| t.id == trash_id) {
                    self.purge_trash(pos);
                }
            }
        }
    }
}

fn finish_boot(vm: &mut Vm) {
    if vm.state == "starting" && vm.trash_id.is_none() {
        vm.state = "started";
    }
    vm.boots_at = None;
}

const ADJECTIVES: &[&str] = &[
    "elegant",
    "jealous",
    "bitter",
    "beautiful",
    "popular",
    "shapely",
    "blue",
    "brave",
    "calm",
    "eager",
    "fancy",
    "gentle",
    "happy",
    "jolly",
    "kind",
    "lively",
    "nice",
    "proud",
    "silly",
    "witty",
    "zealous",
    "quiet",
    "rapid",
    "sunny",
];
const NOUNS: &[&str] = &[
    "lily", "mango", "tank", "kumquat", "otter", "falcon", "maple", "river", "comet", "badger",
    "cedar", "harbor", "lantern", "meadow", "pebble", "quartz", "walrus", "yak",
];

/// `adjective-adjective-noun`, like the API's generated hostnames ("elegant-jealous-lily").
pub fn random_hostname(rng: &mut impl rand::Rng) -> String {
    use rand::seq::IndexedRandom;
    let pick = |rng: &mut _, list: &[&'static str]| *list.choose(rng).unwrap_or(&"vm");
    let a = pick(rng, ADJECTIVES);
    let b = pick(rng, ADJECTIVES);
    let n = pick(rng, NOUNS);
    format!("{a}-{b}-{n}")
}

/// Whether `to` has fewer vCPUs or less memory than `from` (needs a stopped VM).
pub fn is_downgrade(from: (u64, u64), to: (u64, u64)) -> bool {
    to.0 < from.0 || to.1 < from.1
}
