//! A local simulator of the Katapult Core API v1, faithful to recorded LIVE
//! traffic, for integration tests and demos of the WHMCS module.
//!
//! ```no_run
//! let sim = katapult_sim::Simulator::start(katapult_sim::SimConfig::default()).unwrap();
//! println!("{}", sim.base_url()); // http://127.0.0.1:PORT/core/v1
//! ```

mod catalogue;
mod config;
mod errors;
mod faults;
mod jobs;
mod lookup;
mod permissions;
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
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// A running simulator. Stops on `shutdown()` or drop.
pub struct Simulator {
    shared: Arc<Shared>,
    ca_pem: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Binds, then serves on its own tokio runtime in a background thread.
    /// Returns once the socket is listening.
    pub fn start(config: SimConfig) -> std::io::Result<Simulator> {
        let listener = std::net::TcpListener::bind(config.listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let tls = if config.tls {
            Some(tls::generate()?)
        } else {
            None
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let root_url = format!("{scheme}://{addr}");
        let shared = Arc::new(Shared::new(config, root_url));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("katapult-sim")
            .enable_all()
            .build()?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let acceptor = tls
            .as_ref()
            .map(|t| tokio_rustls::TlsAcceptor::from(t.server_config.clone()));
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
                // Drops in-flight (e.g. deliberately hanging) connections at once.
                runtime.shutdown_background();
            })?;
        Ok(Simulator {
            shared,
            ca_pem: tls.map(|t| t.ca_pem),
            stop: Some(stop),
            thread: Some(thread),
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
        self.ca_pem.clone()
    }

    /// Replaces the fault configuration for subsequent requests.
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.shared.faults) = faults;
    }

    pub fn faults(&self) -> Faults {
        lock(&self.shared.faults).clone()
    }

    /// Makes the next `n` accepted builds end in `failed` without a VM (each
    /// accepted build takes one off). Builds whose hostname starts with `fail-`
    /// always fail. Also `fail_builds` in the `/_sim/faults` JSON.
    pub fn set_fail_builds(&self, n: u32) {
        self.shared.fail_builds.store(n, Ordering::SeqCst);
    }

    /// How many of the next builds will still fail.
    pub fn fail_builds(&self) -> u32 {
        self.shared.fail_builds.load(Ordering::SeqCst)
    }

    pub fn stats(&self) -> Stats {
        lock(&self.shared.stats).clone()
    }

    /// Clears all state back to the seeded catalogue (faults and stats are kept).
    pub fn reset(&self) {
        self.shared.reset();
    }

    pub fn shutdown(self) {}
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
