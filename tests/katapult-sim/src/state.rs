//! The mutable world: organizations, builds, VMs, disks, tasks, trash and IPs.
//! All of it is saved in the state file (see `persist`), so its clocks are wall-clock
//! `SystemTime`s: a job keeps its schedule across a restart.

use crate::catalogue::Catalogue;
use crate::config::BuildSpeed;
use rand::distr::{Alphanumeric, SampleString};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub type Annotations = Vec<(String, String)>;

/// A state or a name: a literal in memory; one read from a state file is leaked instead
/// (see `leak`). Also an alias because serde would borrow a field spelt `&str` from its input.
pub type Label = &'static str;

/// Leaks each label read from a state file: once per object per start, so bounded by the file.
fn leak<'de, D: Deserializer<'de>>(d: D) -> Result<Label, D::Error> {
    String::deserialize(d).map(|s| &*s.leak())
}

#[derive(Serialize, Deserialize)]
pub struct Org {
    pub id: String,
    pub uuid: String,
    pub name: String,
    pub sub_domain: String,
    pub created_at: i64,
    pub managed: bool,
    /// The organization a managed one was created under.
    pub parent_id: Option<String>,
    pub annotations: Annotations,
}

#[derive(Serialize, Deserialize)]
pub struct Build {
    pub id: String,
    pub org_id: String,
    pub hostname: String,
    pub package_id: String,
    pub zone_id: String,
    pub template_id: Option<String>,
    pub network_id: String,
    pub annotations: Annotations,
    pub created: SystemTime,
    pub created_at: i64,
    pub polls: u32,
    #[serde(deserialize_with = "leak")]
    pub state: Label,
    /// Set once the VM appears, while the build is still `building`.
    pub vm_id: Option<String>,
    /// Ends in `failed` instead of `complete`.
    pub failure: Option<BuildFailure>,
    /// The disks the VM gets: the build's `disks[]`, or one system disk of the package's size.
    pub disks: Vec<DiskSpec>,
}

/// How a build asked to fail ends: before its VM appeared (no VM), or after (the VM stays).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BuildFailure {
    BeforeVm,
    AfterVm,
}

/// What Katapult calls a disk a build does not name (invented: never recorded).
pub const SYSTEM_DISK_NAME: &str = "System Disk";
/// A disk's `storage_speed` when the build does not choose one (invented).
pub const DEFAULT_STORAGE_SPEED: &str = "nvme";

/// A disk a build asks for.
#[derive(Clone, Serialize, Deserialize)]
pub struct DiskSpec {
    pub name: String,
    pub size_in_gb: u64,
    pub system: bool,
    #[serde(deserialize_with = "leak")]
    pub storage_speed: Label,
}

#[derive(Serialize, Deserialize)]
pub struct Disk {
    pub id: String,
    pub vm_id: String,
    pub name: String,
    pub size_in_gb: u64,
    /// The system disk: the VM boots from it.
    pub boot: bool,
    #[serde(deserialize_with = "leak")]
    pub storage_speed: Label,
    pub wwn: String,
    pub created_at: i64,
    /// `built`, or `resizing` while a resize task is unfinished.
    #[serde(deserialize_with = "leak")]
    pub state: Label,
    /// The template installed on a system disk.
    pub installation: Option<Installation>,
}

#[derive(Serialize, Deserialize)]
pub struct Installation {
    pub id: String,
    pub template_id: String,
}

#[derive(Serialize, Deserialize)]
pub struct Vm {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub hostname: String,
    pub created_at: i64,
    pub root_password: String,
    #[serde(deserialize_with = "leak")]
    pub state: Label,
    pub package_id: String,
    pub cpu_cores: u64,
    pub memory_in_gb: u64,
    pub zone_id: String,
    pub annotations: Annotations,
    /// Set while the VM sits in the trash.
    pub trash_id: Option<String>,
    /// When a freshly built VM, still `starting`, becomes `started`.
    pub boots_at: Option<SystemTime>,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub enum TaskKind {
    Build {
        build_id: String,
    },
    Power {
        vm_id: String,
        action: Power,
    },
    ChangePackage {
        vm_id: String,
        package_id: String,
    },
    ResizeDisk {
        vm_id: String,
        disk_id: String,
        size_in_gb: u64,
    },
    Purge {
        trash_id: String,
    },
}

impl TaskKind {
    /// The VM a task acts on, if any.
    pub fn vm_id(&self) -> Option<&str> {
        match self {
            TaskKind::Power { vm_id, .. }
            | TaskKind::ChangePackage { vm_id, .. }
            | TaskKind::ResizeDisk { vm_id, .. } => Some(vm_id),
            TaskKind::Build { .. } | TaskKind::Purge { .. } => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Power {
    Start,
    Stop,
    Shutdown,
    Reset,
}

impl Power {
    pub fn task_name(self) -> &'static str {
        match self {
            Power::Start => "Start virtual machine",
            Power::Stop => "Stop virtual machine",
            Power::Shutdown => "Shutdown virtual machine",
            Power::Reset => "Reset virtual machine",
        }
    }

    /// VM state while the task runs, and once it has completed.
    pub fn states(self) -> (&'static str, &'static str) {
        match self {
            Power::Start => ("starting", "started"),
            Power::Stop => ("stopping", "stopped"),
            Power::Shutdown => ("shutting_down", "stopped"),
            Power::Reset => ("resetting", "started"),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    #[serde(deserialize_with = "leak")]
    pub name: Label,
    pub kind: TaskKind,
    pub created: SystemTime,
    pub created_at: i64,
    pub polls: u32,
    #[serde(deserialize_with = "leak")]
    pub status: Label,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub progress: u8,
}

#[derive(Serialize, Deserialize)]
pub struct TrashObject {
    pub id: String,
    pub object_id: String,
    pub keep_until: i64,
}

/// A disk backup policy set on a VM (it covers all of the VM's disks).
#[derive(Serialize, Deserialize)]
pub struct BackupPolicy {
    pub id: String,
    pub vm_id: String,
    pub retention: u32,
    #[serde(deserialize_with = "leak")]
    pub interval: Label,
    pub frequency: u32,
    /// The hour of the day (UTC) and its minute.
    pub time: u32,
    pub minute: u32,
}

#[derive(Serialize, Deserialize)]
pub struct Ip {
    pub id: String,
    pub org_id: String,
    pub address: String,
    pub version: u8,
    pub network_id: String,
    pub reverse_dns: String,
    pub vip: bool,
    pub label: Option<String>,
    pub vm_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub struct Console {
    pub id: String,
    pub token: String,
    pub vm_id: String,
    pub expires_at: i64,
}

#[derive(Serialize, Deserialize)]
pub struct State {
    #[serde(skip, default = "Catalogue::shared")]
    pub cat: Arc<Catalogue>,
    /// Not saved: each run takes it from its own `SimConfig`.
    #[serde(skip)]
    pub speed: BuildSpeed,
    /// Whether VMs get an IPv6 address as well (`SimConfig::ipv6`); not saved either.
    #[serde(skip)]
    pub ipv6: bool,
    pub orgs: Vec<Org>,
    pub builds: Vec<Build>,
    pub vms: Vec<Vm>,
    pub disks: Vec<Disk>,
    pub tasks: Vec<Task>,
    pub trash: Vec<TrashObject>,
    /// Absent from state files written before policies were simulated.
    #[serde(default)]
    pub backup_policies: Vec<BackupPolicy>,
    pub ips: Vec<Ip>,
    pub consoles: Vec<Console>,
    /// Saved with the rest, so ids made after a restart never repeat earlier ones.
    pub rng: ChaCha12Rng,
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

impl State {
    pub fn new(speed: BuildSpeed, ipv6: bool, seed: u64) -> State {
        let cat = Catalogue::shared();
        let p = &cat.parent_org;
        let parent = Org {
            id: p["id"].as_str().unwrap_or_default().into(),
            uuid: p["uuid"].as_str().unwrap_or_default().into(),
            name: p["name"].as_str().unwrap_or_default().into(),
            sub_domain: p["sub_domain"].as_str().unwrap_or_default().into(),
            created_at: p["created_at"].as_i64().unwrap_or_default(),
            managed: false,
            parent_id: None,
            annotations: Vec::new(),
        };
        State {
            cat,
            speed,
            ipv6,
            orgs: vec![parent],
            builds: Vec::new(),
            vms: Vec::new(),
            disks: Vec::new(),
            tasks: Vec::new(),
            trash: Vec::new(),
            backup_policies: Vec::new(),
            ips: Vec::new(),
            consoles: Vec::new(),
            rng: ChaCha12Rng::seed_from_u64(seed),
        }
    }

    /// `prefix_` plus 16 alphanumerics, like Katapult ids.
    pub fn new_id(&mut self, prefix: &str) -> String {
        format!("{prefix}_{}", Alphanumeric.sample_string(&mut self.rng, 16))
    }

    pub fn random_string(&mut self, len: usize) -> String {
        Alphanumeric.sample_string(&mut self.rng, len)
    }

    pub fn new_uuid(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.rng.random())
            .into_uuid()
            .to_string()
    }

    pub fn org(&self, key: &str, value: &str) -> Option<&Org> {
        self.orgs.iter().find(|o| match key {
            "id" => o.id == value,
            _ => o.sub_domain == value,
        })
    }

    pub fn org_by_id(&self, id: &str) -> Option<&Org> {
        self.orgs.iter().find(|o| o.id == id)
    }

    pub fn vm_mut(&mut self, id: &str) -> Option<&mut Vm> {
        self.vms.iter_mut().find(|v| v.id == id)
    }

    pub fn fqdn(&self, vm: &Vm) -> String {
        let domain = self
            .org_by_id(&vm.org_id)
            .map(|o| o.sub_domain.as_str())
            .unwrap_or_default();
        format!("{}.{}.katapult.cloud", vm.hostname, domain)
    }

    pub fn new_task(&mut self, name: &'static str, kind: TaskKind) -> String {
        let id = self.new_id("task");
        self.tasks.push(Task {
            id: id.clone(),
            name,
            kind,
            created: SystemTime::now(),
            created_at: unix_now(),
            polls: 0,
            status: "pending",
            started_at: None,
            finished_at: None,
            progress: 0,
        });
        id
    }

    /// A free address in the network's subnet of `version`, recorded as an IP of `org_id`.
    pub fn allocate_ip(&mut self, org_id: &str, network: &Value, version: u8) -> Option<usize> {
        let subnet = self.cat.subnet(network, version)?;
        let base = subnet["address"].as_str()?;
        let mask = subnet["mask"].as_u64()? as u32;
        let gateway = subnet["gateway"].as_str().unwrap_or_default().to_string();
        let address = (0..10_000).find_map(|_| {
            let candidate = if version == 4 {
                let net = u32::from(base.parse::<Ipv4Addr>().ok()?);
                let hosts = (1u32 << (32 - mask)) - 2;
                Ipv4Addr::from(net + 1 + self.rng.random_range(0..hosts)).to_string()
            } else {
                let net = u128::from(base.parse::<Ipv6Addr>().ok()?);
                Ipv6Addr::from(net + self.rng.random_range(2..u64::MAX as u128)).to_string()
            };
            let taken = candidate == gateway || self.ips.iter().any(|i| i.address == candidate);
            (!taken).then_some(candidate)
        })?;
        let id = self.new_id("ip");
        self.ips.push(Ip {
            id,
            org_id: org_id.into(),
            reverse_dns: default_rdns(&address),
            address,
            version,
            network_id: network["id"].as_str().unwrap_or_default().into(),
            vip: false,
            label: None,
            vm_id: None,
        });
        Some(self.ips.len() - 1)
    }
}

impl State {
    /// Deletes what trash object `pos` holds for good: the VM and everything of it.
    pub fn purge_trash(&mut self, pos: usize) {
        let trash = self.trash.remove(pos);
        let vm_id = trash.object_id;
        self.vms.retain(|v| v.id != vm_id);
        self.disks.retain(|d| d.vm_id != vm_id);
        self.ips.retain(|ip| ip.vm_id.as_deref() != Some(&vm_id));
        self.consoles.retain(|c| c.vm_id != vm_id);
        self.backup_policies.retain(|p| p.vm_id != vm_id);
    }

    /// LIVE purges a trash object by itself once its `keep_until` (Unix time) has passed.
    pub fn purge_expired_trash(&mut self, now: i64) {
        while let Some(pos) = self.trash.iter().position(|t| t.keep_until <= now) {
            self.purge_trash(pos);
        }
    }
}

/// Katapult's default PTR name for an unallocated address.
pub fn default_rdns(address: &str) -> String {
    format!("{}.rdns.katapult.io", address.replace(['.', ':'], "-"))
}
