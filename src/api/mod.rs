//! A typed Katapult Core API v1 client. Plain Rust: it knows nothing of WHMCS or PHP.
//!
//! One module per resource, as Krystal's go-katapult: each holds the resource's structs, its
//! `…Ref` lookup enum, its state enum (with an `Unknown` fallback) and its calls on `Client`.
//! Decoding is tolerant: unknown fields are ignored and fields the recordings show missing are
//! optional.

mod client;
mod common;
mod error;
mod lookup;
pub mod observer;
mod pagination;
pub mod scrub;
mod settings;
mod transport;

pub mod builds;
pub mod console_sessions;
pub mod data_centers;
pub mod disk_backup_policies;
pub mod disk_templates;
pub mod disks;
pub mod ip_addresses;
pub mod organizations;
pub mod packages;
pub mod tasks;
pub mod trash_objects;
pub mod virtual_machines;

pub use client::Client;
pub use common::{Annotation, IdName, Secret};
pub use error::{ApiError, ErrorBody, ErrorEnvelope};
pub use lookup::{Lookup, ToLookup};
pub use pagination::{Page, Pagination};
pub use settings::{ApiSettings, ApiToken, RetryPolicy, DEFAULT_API_URL};
pub use transport::RateLimit;
