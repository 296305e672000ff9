//! A local simulator of the Katapult Core API v1, faithful to recorded LIVE
//! traffic, for integration tests and demos of the WHMCS module.
//!
//! ```no_run
//! let sim = katapult_sim::Simulator::start(katapult_sim::SimConfig::default()).unwrap();
//! println!("{}", sim.base_url()); // http://127.0.0.1:PORT/core/v1
//! ```
//!
//! With `SimConfig::state_file` (`--state-file`), everything lives in a JSON file as well,
//! so a simulator can be stopped and a new one started on the same file to carry on (see
//! `Simulator::start`).

mod catalogue;
mod config;
mod errors;
mod faults;
mod jobs;
mod lookup;
mod permissions;
mod persist;
mod render;
mod routes;
mod server;
mod shared;
mod state;
mod stats;
mod tls;

pub use config::{BuildSpeed, SimConfig};
pub use faults::{ErrorRule, Faults};
pub use stats::Stats;

use shared::{lock, Shared};

/// The start of the current wall-clock minute, in seconds since the Unix epoch: tests set the
/// simulator's clock (`Simulator::set_clock`) relative to it, so that none waits for a real
/// minute to turn.
pub fn minute_start() -> f64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    (now - now % 60) as f64
}
use std::io;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

/// A running simulator. Stops on `shutdown()` or drop.
pub struct Simulator {
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// With a state file: the saver thread, which stops when the sender is dropped.
    saver: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl Simulator {
    /// Binds, then serves on its own tokio runtime in a background thread.
    /// Returns once the socket is listening.
    ///
    /// With `config.state_file`: if the file exists, the simulator carries on from it
    /// (organizations, VMs, builds, tasks, disks, IPs, trash, console sessions, the id
    /// generator, stats, faults and `fail_builds`, and with `tls` the same CA and
    /// certificate); its faults and `fail_builds` replace `config`'s. Unfinished builds and
    /// tasks keep their wall-clock schedule: time spent stopped counts. A file that cannot
    /// be read or parsed is an error. The file is then written at once, again at most every
    /// 100 ms while anything changes, and on `shutdown` or drop. Without `shutdown` or drop
    /// (a killed process) the changes since the last write are lost, so a request answered
    /// just before may be forgotten.
    pub fn start(config: SimConfig) -> io::Result<Simulator> {
        let mut saved = match &config.state_file {
            Some(path) => persist::load(path)?,
            None => None,
        };
        // std sets SO_REUSEADDR, so a restart can bind the port its predecessor just left.
        let listener = std::net::TcpListener::bind(config.listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let tls = match (config.tls, saved.as_mut().and_then(|s| s.tls.take())) {
            (false, _) => None,
            (true, Some(identity)) => Some(identity),
            (true, None) => Some(tls::generate()?),
        };
        let acceptor = tls.as_ref().map(tls::Identity::acceptor).transpose()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let root_url = format!("{scheme}://{addr}");
        let shared = Arc::new(Shared::new(config, root_url, tls, saved));
        shared.save()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("katapult-sim")
            .enable_all()
            .build()?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let router = routes::router(shared.clone());
        let (stop, stopped) = oneshot::channel();
        let serve_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("katapult-sim".into())
            .spawn(move || {
                runtime.block_on(server::serve(
                    listener,
                    router,
                    serve_shared,
                    acceptor,
                    stopped,
                ));
                // Drops in-flight (e.g. deliberately hanging) connections at once, but
                // lets a request handler that is running finish, so the last save sees it.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        let saver = shared
            .config
            .state_file
            .is_some()
            .then(|| spawn_saver(shared.clone()))
            .transpose()?;
        Ok(Simulator {
            shared,
            stop: Some(stop),
            thread: Some(thread),
            saver,
        })
    }

    /// E.g. `https://127.0.0.1:40123/core/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/core/v1", self.shared.root_url)
    }

    /// E.g. `https://127.0.0.1:40123`.
    pub fn root_url(&self) -> String {
        self.shared.root_url.clone()
    }

    /// The CA certificate (PEM) that signed the server certificate, when TLS is on.
    pub fn ca_pem(&self) -> Option<String> {
        self.shared.tls.as_ref().map(|t| t.ca_pem.clone())
    }

    /// Replaces the fault configuration for subsequent requests.
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.shared.faults) = faults;
        self.shared.changed();
    }

    pub fn faults(&self) -> Faults {
        lock(&self.shared.faults).clone()
    }

    /// Makes the next `n` accepted builds end in `failed` before their VM appears (each
    /// accepted build takes one off). Also `fail_builds` in the `/_sim/faults` JSON.
    pub fn set_fail_builds(&self, n: u32) {
        self.shared.fail_builds.store(n, Ordering::SeqCst);
        self.shared.changed();
    }

    /// How many of the next builds will still fail.
    pub fn fail_builds(&self) -> u32 {
        self.shared.fail_builds.load(Ordering::SeqCst)
    }

    /// Makes the next `n` accepted builds (once `fail_builds` is spent) end in `failed`
    /// after their VM appeared: the VM stays, `stopped` and annotated. Also
    /// `fail_builds_after_vm` in the `/_sim/faults` JSON.
    pub fn set_fail_builds_after_vm(&self, n: u32) {
        self.shared.fail_builds_after_vm.store(n, Ordering::SeqCst);
        self.shared.changed();
    }

    /// Sets the clock the rate-limit minute and the `Date` header follow to `now` (seconds
    /// since the Unix epoch); it runs on from there. Also `PUT /_sim/clock`.
    pub fn set_clock(&self, now: f64) {
        self.shared.set_clock(now);
    }

    /// Spends `requests` of `token`'s budget for the current minute, as another user of the
    /// token would; returns what remains. Also `POST /_sim/rate_limit/spend`.
    pub fn spend_rate_limit(&self, token: &str, requests: u32) -> u32 {
        self.shared.spend_rate(token, requests)
    }

    pub fn stats(&self) -> Stats {
        lock(&self.shared.stats).clone()
    }

    /// Clears all state back to the seeded catalogue (faults and stats are kept).
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops serving, then writes the state file (if any) a last time.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        match self.saver.take() {
            Some((stop, thread)) => {
                drop(stop);
                let _ = thread.join();
                self.shared.save()
            }
            None => Ok(()),
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("katapult-sim: {e}");
        }
    }
}

/// Saves whenever something changed, at most every `persist::SAVE_EVERY`, until the
/// sender is dropped. A failed save is reported and tried again.
fn spawn_saver(shared: Arc<Shared>) -> io::Result<(mpsc::Sender<()>, JoinHandle<()>)> {
    let (stop, stopped) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("katapult-sim-saver".into())
        .spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(persist::SAVE_EVERY)
            {
                if shared.take_changed() {
                    if let Err(e) = shared.save() {
                        eprintln!("katapult-sim: {e}");
                        shared.changed();
                    }
                }
            }
        })?;
    Ok((stop, thread))
}
