//! The state file (`SimConfig::state_file`, `--state-file`): the whole simulator as one
//! JSON document, so it can be stopped and started again as a new process and carry on.
//!
//! It is written atomically (a temporary file in the same folder, fsynced, then renamed
//! over the old one) at most every `SAVE_EVERY` while anything changes, and once more when
//! the simulator stops. A process killed with SIGKILL loses what changed since the last
//! save: a request answered just before the kill may be forgotten. Stop it with SIGTERM
//! or SIGINT (or `Simulator::shutdown`) to lose nothing.

use crate::faults::Faults;
use crate::state::State;
use crate::stats::Stats;
use crate::tls::Identity;
use rand_chacha::ChaCha12Rng;
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

/// How often the saver looks for changes.
pub const SAVE_EVERY: Duration = Duration::from_millis(100);

/// What a state file holds. The build speed, tokens and rate limit are not in it: each
/// run takes them from its own configuration (rate-limit windows start afresh).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Saved {
    pub state: State,
    pub stats: Stats,
    pub faults: Faults,
    pub fail_builds: u32,
    /// Absent from files written before builds could fail after their VM appeared.
    #[serde(default)]
    pub fail_builds_after_vm: u32,
    pub fault_rng: ChaCha12Rng,
    /// Present once the simulator has served HTTPS.
    pub tls: Option<Identity>,
}

/// `Saved`, borrowed from a running simulator.
#[derive(Serialize)]
pub struct SavedRef<'a> {
    pub state: &'a State,
    pub stats: &'a Stats,
    pub faults: &'a Faults,
    pub fail_builds: u32,
    pub fail_builds_after_vm: u32,
    pub fault_rng: &'a ChaCha12Rng,
    pub tls: Option<&'a Identity>,
}

/// The saved simulator, or `None` if there is no file yet. A file that cannot be read or
/// parsed is an error, never a fresh start: that would silently lose everything.
pub fn load(path: &Path) -> io::Result<Option<Saved>> {
    let refuse = |e: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("cannot load state file {}: {e}", path.display()),
        )
    };
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| refuse(&e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(refuse(&e)),
    }
}

/// Replaces `path` with `json` so that a reader (or a crash) sees the old file or the new one.
pub fn write(path: &Path, json: &[u8]) -> io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    let mut file = File::create(&tmp)?;
    file.write_all(json)?;
    file.sync_all()?;
    fs::rename(&tmp, path)
}
