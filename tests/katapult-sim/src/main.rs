//! `katapult-sim`: run the Katapult Core API v1 simulator from the command line.
//!
//! With `--state-file PATH` it can be restarted without losing anything: stop it with
//! SIGTERM or SIGINT (it saves, then exits 0) and start it again with the same flags.
//! A SIGKILL loses what changed in the last ~100 ms, even a request already answered.

use clap::Parser;
use katapult_sim::{BuildSpeed, ErrorRule, Faults, SimConfig, Simulator};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio::signal::unix::{signal, SignalKind};

#[derive(Parser)]
#[command(version, about = "Local simulator of the Katapult Core API v1")]
struct Cli {
    /// Address to listen on (port 0 = ephemeral).
    #[arg(long, default_value = "127.0.0.1:9080")]
    listen: SocketAddr,
    /// Serve HTTPS with a freshly generated CA.
    #[arg(long)]
    tls: bool,
    /// Write the CA certificate (PEM) here (with --tls).
    #[arg(long, requires = "tls")]
    ca_out: Option<PathBuf>,
    /// Keep everything in this JSON file and carry on from it when it exists: the world,
    /// stats, faults and fail_builds (the file's replace the flags'), and with --tls the
    /// same CA and certificate. Saved within ~100 ms of a change and on SIGTERM/SIGINT.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// realtime | fast | poll:N
    #[arg(long, default_value = "fast")]
    build_speed: BuildSpeed,
    /// Accepted API token (repeatable; default: sim-token).
    #[arg(long = "token")]
    tokens: Vec<String>,
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// ENDPOINT=PROB:STATUS, e.g. '*=0.1:503' or 'POST /virtual_machines/*=0.5:500' (repeatable).
    /// STATUS is 500, 502, 503, 429 or 403.
    #[arg(long = "error-rate", value_parser = parse_error_rule)]
    error_rates: Vec<ErrorRule>,
    #[arg(long, default_value_t = 0.0)]
    hang_rate: f64,
    #[arg(long, default_value_t = 60_000)]
    hang_ms: u64,
    #[arg(long, default_value_t = 0.0)]
    malformed_rate: f64,
    #[arg(long, default_value_t = 0.0)]
    reset_rate: f64,
    /// The next N builds end in `failed` before their VM appears.
    #[arg(long, default_value_t = 0)]
    fail_builds: u32,
    /// The next N builds (after those of --fail-builds) end in `failed` after their VM
    /// appeared, leaving it behind.
    #[arg(long, default_value_t = 0)]
    fail_builds_after_vm: u32,
    /// Give VMs an IPv6 address as well (LIVE's recorded VMs have IPv4 only).
    #[arg(long)]
    ipv6: bool,
    /// Seed for ids and fault dice (default: random).
    #[arg(long)]
    seed: Option<u64>,
    /// Requests per token per minute.
    #[arg(long, default_value_t = 1000)]
    rate_limit: u32,
}

fn parse_error_rule(s: &str) -> Result<ErrorRule, String> {
    let (endpoint, rest) = s.rsplit_once('=').ok_or("expected ENDPOINT=PROB:STATUS")?;
    let (prob, status) = rest.split_once(':').ok_or("expected PROB:STATUS")?;
    Ok(ErrorRule {
        endpoint: endpoint.to_string(),
        probability: prob.parse().map_err(|e| format!("probability: {e}"))?,
        status: status.parse().map_err(|e| format!("status: {e}"))?,
    })
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("katapult-sim: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let faults = Faults {
        latency_ms: cli.latency_ms,
        jitter_ms: cli.jitter_ms,
        errors: cli.error_rates,
        hang_rate: cli.hang_rate,
        hang_ms: cli.hang_ms,
        malformed_rate: cli.malformed_rate,
        reset_rate: cli.reset_rate,
    };
    faults.validate()?;
    let mut config = SimConfig {
        listen: cli.listen,
        tls: cli.tls,
        build_speed: cli.build_speed,
        faults,
        rate_limit_per_minute: cli.rate_limit,
        fail_builds: cli.fail_builds,
        fail_builds_after_vm: cli.fail_builds_after_vm,
        ipv6: cli.ipv6,
        state_file: cli.state_file,
        ..SimConfig::default()
    };
    if !cli.tokens.is_empty() {
        config.tokens = cli.tokens;
    }
    if let Some(seed) = cli.seed {
        config.seed = seed;
    }
    // Listen for signals before announcing readiness, so none is missed.
    let signals = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut term, mut int) = {
        let _guard = signals.enter();
        (
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        )
    };
    let sim = Simulator::start(config)?;
    if let (Some(path), Some(pem)) = (cli.ca_out, sim.ca_pem()) {
        std::fs::write(path, pem)?;
    }
    let mut out = std::io::stdout();
    writeln!(out, "katapult-sim listening on {}", sim.base_url())?;
    out.flush()?;
    signals.block_on(async {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    });
    Ok(sim.shutdown()?)
}
