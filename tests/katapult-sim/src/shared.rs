//! State shared by every connection of one simulator instance.

use crate::config::SimConfig;
use crate::errors::ApiError;
use crate::faults::Faults;
use crate::persist::{self, Saved, SavedRef};
use crate::state::{BuildFailure, State};
use crate::stats::Stats;
use crate::tls::Identity;
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Locks are taken in field order (`state`, `stats`, `faults`, `fault_rng`) when more than
/// one is held, as `to_json` holds them all.
pub struct Shared {
    pub config: SimConfig,
    pub root_url: String,
    state: Mutex<State>,
    /// Changed only through `stats_mut`, which marks the state file out of date.
    pub stats: Mutex<Stats>,
    pub faults: Mutex<Faults>,
    /// How many of the next accepted builds end in `failed` before their VM appears.
    pub fail_builds: AtomicU32,
    /// How many of the next accepted builds end in `failed` after their VM appeared.
    pub fail_builds_after_vm: AtomicU32,
    /// What the rate-limit clock (and the `Date` header) is ahead of the wall clock, in ms
    /// (`/_sim/clock`): lets a test start just before a minute turns instead of waiting.
    pub clock_offset_ms: AtomicI64,
    pub fault_rng: Mutex<ChaCha12Rng>,
    /// Per token: the wall-clock minute (Unix time / 60) counted in, and requests in it.
    rate: Mutex<HashMap<String, (i64, u32)>>,
    /// The HTTPS identity, when serving HTTPS, kept for the state file.
    pub tls: Option<Identity>,
    /// Something saved in the state file may have changed since the last save.
    dirty: AtomicBool,
}

/// Poisoning only means another request panicked; the data is still usable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// A fresh simulator, or the `saved` one, whose faults and `fail_builds` then replace
    /// the configured ones.
    pub fn new(
        config: SimConfig,
        root_url: String,
        tls: Option<Identity>,
        saved: Option<Saved>,
    ) -> Shared {
        let saved = saved.unwrap_or_else(|| Saved {
            state: State::new(config.build_speed, config.ipv6, config.seed),
            stats: Stats::default(),
            faults: config.faults.clone(),
            fail_builds: config.fail_builds,
            fail_builds_after_vm: config.fail_builds_after_vm,
            fault_rng: ChaCha12Rng::seed_from_u64(config.seed ^ 0x5eed_fa17),
            tls: None,
        });
        let state = State {
            speed: config.build_speed,
            ipv6: config.ipv6,
            ..saved.state
        };
        Shared {
            state: Mutex::new(state),
            stats: Mutex::new(saved.stats),
            faults: Mutex::new(saved.faults),
            fail_builds: AtomicU32::new(saved.fail_builds),
            fail_builds_after_vm: AtomicU32::new(saved.fail_builds_after_vm),
            clock_offset_ms: AtomicI64::new(0),
            fault_rng: Mutex::new(saved.fault_rng),
            rate: Mutex::new(HashMap::new()),
            tls,
            dirty: AtomicBool::new(false),
            config,
            root_url,
        }
    }

    /// The world, brought up to date with the clock.
    pub fn state(&self) -> MutexGuard<'_, State> {
        let mut st = lock(&self.state);
        // Under the lock: a save that starts after this waits for the caller's changes.
        self.changed();
        st.advance();
        st.purge_expired_trash(self.unix_now());
        st
    }

    /// Marks the state file out of date: call after a change, or under the changed lock.
    pub fn changed(&self) {
        self.dirty.store(true, Ordering::SeqCst);
    }

    /// Whether the state file was out of date; it counts as saved from now on.
    pub fn take_changed(&self) -> bool {
        self.dirty.swap(false, Ordering::SeqCst)
    }

    /// Writes the state file, if there is one.
    pub fn save(&self) -> io::Result<()> {
        let Some(path) = &self.config.state_file else {
            return Ok(());
        };
        persist::write(path, &self.to_json()?).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("saving state file {}: {e}", path.display()),
            )
        })
    }

    /// The state file's contents, taken under all the locks at once so that they agree
    /// (a build in `state` is counted in `stats`).
    fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let state = lock(&self.state);
        let stats = lock(&self.stats);
        let faults = lock(&self.faults);
        let fault_rng = lock(&self.fault_rng);
        serde_json::to_vec_pretty(&SavedRef {
            state: &state,
            stats: &stats,
            faults: &faults,
            fail_builds: self.fail_builds.load(Ordering::SeqCst),
            fail_builds_after_vm: self.fail_builds_after_vm.load(Ordering::SeqCst),
            fault_rng: &fault_rng,
            tls: self.tls.as_ref(),
        })
    }

    /// Back to the seeded catalogue; faults (`fail_builds` included) and stats are kept.
    pub fn reset(&self) {
        *lock(&self.state) =
            State::new(self.config.build_speed, self.config.ipv6, self.config.seed);
        self.changed();
        lock(&self.rate).clear();
    }

    /// How the next accepted build ends: it takes one off `fail_builds`, or else off
    /// `fail_builds_after_vm`, while either is positive.
    pub fn take_failing_build(&self) -> Option<BuildFailure> {
        let take = |n: &AtomicU32| {
            n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        };
        if take(&self.fail_builds) {
            Some(BuildFailure::BeforeVm)
        } else if take(&self.fail_builds_after_vm) {
            Some(BuildFailure::AfterVm)
        } else {
            None
        }
    }

    pub fn stats_mut(&self) -> MutexGuard<'_, Stats> {
        let stats = lock(&self.stats);
        self.changed();
        stats
    }

    /// The simulator's wall clock: the real one plus the `/_sim/clock` offset.
    pub fn now(&self) -> SystemTime {
        let offset = self.clock_offset_ms.load(Ordering::SeqCst);
        let magnitude = Duration::from_millis(offset.unsigned_abs());
        if offset >= 0 {
            SystemTime::now() + magnitude
        } else {
            SystemTime::now() - magnitude
        }
    }

    /// The simulator's wall clock in seconds since the Unix epoch.
    pub fn unix_now(&self) -> i64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }

    /// Sets the simulator's wall clock to `now` (seconds since the Unix epoch).
    pub fn set_clock(&self, now: f64) {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let offset = ((now - real) * 1000.0).round() as i64;
        self.clock_offset_ms.store(offset, Ordering::SeqCst);
    }

    /// The wall-clock minute the rate limit counts in: LIVE's window resets at :00.
    fn minute(&self) -> i64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| (d.as_secs() / 60) as i64)
    }

    /// Counts a request against the token's budget for this minute; returns what remains.
    pub fn take_rate(&self, token: &str) -> Result<u32, ApiError> {
        let limit = self.config.rate_limit_per_minute;
        let minute = self.minute();
        let mut rate = lock(&self.rate);
        let entry = rate.entry(token.to_string()).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 >= limit {
            return Err(ApiError::rate_limit_reached(limit));
        }
        entry.1 += 1;
        let remaining = limit - entry.1;
        drop(rate);
        *self
            .stats_mut()
            .requests_per_minute
            .entry(minute.to_string())
            .or_default() += 1;
        Ok(remaining)
    }

    /// Spends `requests` of the token's budget for this minute, as another user of the same
    /// token (another tool, another WHMCS node) would; returns what remains.
    pub fn spend_rate(&self, token: &str, requests: u32) -> u32 {
        let limit = self.config.rate_limit_per_minute;
        let minute = self.minute();
        let mut rate = lock(&self.rate);
        let entry = rate.entry(token.to_string()).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 = entry.1.saturating_add(requests).min(limit);
        limit - entry.1
    }

    pub fn rate_remaining(&self, token: &str) -> u32 {
        let limit = self.config.rate_limit_per_minute;
        let minute = self.minute();
        lock(&self.rate)
            .get(token)
            .filter(|(counted_in, _)| *counted_in == minute)
            .map_or(limit, |(_, used)| limit.saturating_sub(*used))
    }
}
