//! The domain: module settings, and (as they land) managed organizations, VM services and the
//! build sync. Plain Rust over the `Host` and `Sql` ports.

pub mod action_tokens;
pub mod backups;
pub mod build_sync;
pub mod catalogue;
pub mod chosen_options;
pub mod client_request;
pub mod context;
pub mod cron_record;
pub mod decoded_once;
pub mod dns_names;
pub mod drift;
pub mod drift_repair;
pub mod extra_ipv4;
pub mod host;
pub mod imported_vm;
pub mod links;
pub mod managed_organization;
pub mod module_hooks;
pub mod option_sync;
pub mod params;
pub mod settings;
pub mod trashed_vm;
pub mod vm_options_lock;
pub mod vm_target;
pub mod welcome_email;
pub mod whmcs_config;
