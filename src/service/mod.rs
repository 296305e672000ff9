//! The domain: module settings, and (as they land) managed organizations, VM services and the
//! build sync. Plain Rust over the `Host` and `Sql` ports.

pub mod host;
pub mod settings;
