//! State shared by every connection of one simulator instance.

use crate::catalogue::Catalogue;
use crate::config::SimConfig;
use crate::errors::ApiError;
use crate::faults::Faults;
use crate::state::State;
use crate::stats::Stats;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub struct Shared {
    pub config: SimConfig,
    pub root_url: String,
    cat: Arc<Catalogue>,
    state: Mutex<State>,
    pub faults: Mutex<Faults>,
    /// How many of the next accepted builds end in `failed`.
    pub fail_builds: AtomicU32,
    pub fault_rng: Mutex<StdRng>,
    pub stats: Mutex<Stats>,
    /// Per token: start of the current one-minute window and requests in it.
    rate: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Poisoning only means another request panicked; the data is still usable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(config: SimConfig, root_url: String) -> Shared {
        let cat = Arc::new(Catalogue::load());
        Shared {
            state: Mutex::new(State::new(cat.clone(), config.build_speed, config.seed)),
            faults: Mutex::new(config.faults.clone()),
            fail_builds: AtomicU32::new(0),
            fault_rng: Mutex::new(StdRng::seed_from_u64(config.seed ^ 0x5eed_fa17)),
            stats: Mutex::new(Stats::default()),
            rate: Mutex::new(HashMap::new()),
            cat,
            config,
            root_url,
        }
    }

    /// The world, brought up to date with the clock.
    pub fn state(&self) -> MutexGuard<'_, State> {
        let mut st = lock(&self.state);
        st.advance();
        st
    }

    /// Back to the seeded catalogue; faults (`fail_builds` included) and stats are kept.
    pub fn reset(&self) {
        *lock(&self.state) =
            State::new(self.cat.clone(), self.config.build_speed, self.config.seed);
        lock(&self.rate).clear();
    }

    /// Takes one off `fail_builds`; whether it was still positive.
    pub fn take_failing_build(&self) -> bool {
        self.fail_builds
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    pub fn stats_mut(&self) -> MutexGuard<'_, Stats> {
        lock(&self.stats)
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
