//! State shared by every connection of one simulator instance.

use crate::config::SimConfig;
use crate::errors::ApiError;
use crate::faults::Faults;
use crate::persist::{self, Saved, SavedRef};
use crate::state::State;
use crate::stats::Stats;
use crate::tls::Identity;
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Locks are taken in field order (`state`, `stats`, `faults`, `fault_rng`) when more than
/// one is held, as `to_json` holds them all.
pub struct Shared {
    pub config: SimConfig,
    pub root_url: String,
    state: Mutex<State>,
    /// Changed only through `stats_mut`, which marks the state file out of date.
    pub stats: Mutex<Stats>,
    pub faults: Mutex<Faults>,
    /// How many of the next accepted builds end in `failed`.
    pub fail_builds: AtomicU32,
    pub fault_rng: Mutex<ChaCha12Rng>,
    /// Per token: start of the current one-minute window and requests in it.
    rate: Mutex<HashMap<String, (Instant, u32)>>,
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
            state: State::new(config.build_speed, config.seed),
            stats: Stats::default(),
            faults: config.faults.clone(),
            fail_builds: config.fail_builds,
            fault_rng: ChaCha12Rng::seed_from_u64(config.seed ^ 0x5eed_fa17),
            tls: None,
        });
        let state = State {
            speed: config.build_speed,
            ..saved.state
        };
        Shared {
            state: Mutex::new(state),
            stats: Mutex::new(saved.stats),
            faults: Mutex::new(saved.faults),
            fail_builds: AtomicU32::new(saved.fail_builds),
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
            fault_rng: &fault_rng,
            tls: self.tls.as_ref(),
        })
    }

    /// Back to the seeded catalogue; faults (`fail_builds` included) and stats are kept.
    pub fn reset(&self) {
        *lock(&self.state) = State::new(self.config.build_speed, self.config.seed);
        self.changed();
        lock(&self.rate).clear();
    }

    /// Takes one off `fail_builds`; whether it was still positive.
    pub fn take_failing_build(&self) -> bool {
        self.fail_builds
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    pub fn stats_mut(&self) -> MutexGuard<'_, Stats> {
        let stats = lock(&self.stats);
        self.changed();
        stats
    }

    /// Counts a request against the token's per-minute budget; returns what remains.
    pub fn take_rate(&self, token: &str) -> Result<u32, ApiError> {
        let limit = self.config.rate_limit_per_minute;
        let mut rate = lock(&self.rate);
        let now = Instant::now();
        let entry = rate.entry(token.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            return Err(ApiError::rate_limit_reached(limit));
        }
        entry.1 += 1;
        Ok(limit - entry.1)
    }

    pub fn rate_remaining(&self, token: &str) -> u32 {
        let limit = self.config.rate_limit_per_minute;
        lock(&self.rate)
            .get(token)
            .filter(|(start, _)| start.elapsed() < Duration::from_secs(60))
            .map_or(limit, |(_, used)| limit.saturating_sub(*used))
    }
}
