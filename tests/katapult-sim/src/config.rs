//! Simulator configuration.

use crate::faults::Faults;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address to listen on; port 0 picks an ephemeral port.
    pub listen: SocketAddr,
    /// Serve HTTPS with a generated CA (see `Simulator::ca_pem`).
    pub tls: bool,
    pub build_speed: BuildSpeed,
    /// Accepted bearer tokens.
    pub tokens: Vec<String>,
    pub faults: Faults,
    /// Seeds ids, passwords, addresses and fault dice, so runs are reproducible.
    pub seed: u64,
    /// `X-Ratelimit-Permitted`: requests per token per minute (LIVE: 1000).
    pub rate_limit_per_minute: u32,
    /// How many of the first accepted builds end in `failed` before their VM appears (see
    /// `Simulator::set_fail_builds`).
    pub fail_builds: u32,
    /// How many of the next accepted builds (after those) end in `failed` after their VM
    /// appeared, leaving it (see `Simulator::set_fail_builds_after_vm`).
    pub fail_builds_after_vm: u32,
    /// Give VMs an IPv6 address as well as their IPv4 one (LIVE's recorded VMs have none).
    pub ipv6: bool,
    /// Keep the whole simulator in this JSON file (see `Simulator::start`).
    pub state_file: Option<PathBuf>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: false,
            build_speed: BuildSpeed::Fast,
            tokens: vec!["sim-token".into()],
            faults: Faults::default(),
            seed: rand::random(),
            rate_limit_per_minute: 1000,
            fail_builds: 0,
            fail_builds_after_vm: 0,
            ipv6: false,
            state_file: None,
        }
    }
}

/// How builds, tasks and VM boots progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuildSpeed {
    /// Like LIVE: a build is `building` after ~3 s and `complete` after ~30 s.
    RealTime,
    /// Building after ~0.2 s, complete after ~0.5 s.
    #[default]
    Fast,
    /// Deterministic: complete on the Nth GET (pending on the first, building in between).
    OnPoll(u32),
}

impl std::str::FromStr for BuildSpeed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "realtime" => Ok(BuildSpeed::RealTime),
            "fast" => Ok(BuildSpeed::Fast),
            _ => s
                .strip_prefix("poll:")
                .and_then(|n| n.parse().ok())
                .filter(|n| *n >= 1)
                .map(BuildSpeed::OnPoll)
                .ok_or_else(|| format!("expected realtime, fast or poll:N (N >= 1), got {s:?}")),
        }
    }
}

/// When a time-driven job leaves `pending` and when it finishes.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub start: Duration,
    pub done: Duration,
}

impl BuildSpeed {
    pub fn build_timing(self) -> Timing {
        match self {
            BuildSpeed::RealTime => Timing {
                start: Duration::from_secs(3),
                done: Duration::from_secs(30),
            },
            _ => Timing {
                start: Duration::from_millis(200),
                done: Duration::from_millis(500),
            },
        }
    }

    pub fn task_timing(self) -> Timing {
        match self {
            BuildSpeed::RealTime => Timing {
                start: Duration::from_secs(1),
                done: Duration::from_secs(6),
            },
            _ => Timing {
                start: Duration::from_millis(100),
                done: Duration::from_millis(300),
            },
        }
    }

    /// How long a freshly built VM stays `starting`.
    pub fn boot_time(self) -> Duration {
        match self {
            BuildSpeed::RealTime => Duration::from_secs(5),
            _ => Duration::from_millis(300),
        }
    }
}
