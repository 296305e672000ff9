//! Behaviour and conformance tests over real HTTP (one binary to keep link time down).

mod common;
mod faults;
mod lifecycle;
mod requests;
mod schema;
mod tls;
