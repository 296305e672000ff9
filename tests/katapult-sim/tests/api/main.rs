//! Behaviour and conformance tests over real HTTP (one binary to keep link time down).

mod builds;
mod cli;
mod common;
mod disks;
mod faults;
mod lifecycle;
mod requests;
mod restart;
mod schema;
mod tls;
