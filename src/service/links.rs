//! What ties a WHMCS service to Katapult: the datastore keys the PHP module defined, read as it
//! wrote them (so services it provisioned keep working).

use std::cell::RefCell;

use chrono::{DateTime, Utc};

use super::decoded_once::{decoded_once, LastDecoded};
use crate::store::datastore::{decode_items, text_item, time_item};
use crate::store::{DataStore, Owner, StoreError};

pub const VM_ID: &str = "vm_id";
pub const VM_BUILD_ID: &str = "vm_build_id";
pub const VM_BUILD_STARTED_AT: &str = "vm_build_started_at";
pub const VM_BUILD_TIMEOUT_REACHED_AT: &str = "vm_build_timeout_reached_at";
/// When Katapult reported the build failed (this module's key; CreateAccount then builds anew).
pub const VM_BUILD_FAILED_AT: &str = "vm_build_failed_at";
/// Set with the VM's persist, cleared in one transaction with the Built hook and the held
/// welcome email: a run killed between the two leaves it, and the next run announces the VM.
pub const VM_BUILT_ANNOUNCEMENT_DUE: &str = "vm_built_announcement_due";
/// The welcome email template held back until the VM is built.
pub const WELCOME_EMAIL_HELD: &str = "welcome_email_held";
/// On the client: its managed organization.
pub const MANAGED_ORG_ID: &str = "managed_org_id";

/// The items the links are read from, in `ServiceLinks` order.
const KEYS: [&str; 6] = [
    VM_ID,
    VM_BUILD_ID,
    VM_BUILD_STARTED_AT,
    VM_BUILD_TIMEOUT_REACHED_AT,
    VM_BUILD_FAILED_AT,
    VM_BUILT_ANNOUNCEMENT_DUE,
];

/// The items as stored (PHP-serialised).
type Stored = [Option<String>; 6];

thread_local! {
    /// The links this thread decoded last, with the items they were decoded from.
    static LAST_DECODED: LastDecoded<Stored, ServiceLinks> = const { RefCell::new(None) };
}

/// A service's Katapult links.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceLinks {
    pub vm_id: Option<String>,
    pub vm_build_id: Option<String>,
    pub vm_build_started_at: Option<DateTime<Utc>>,
    pub vm_build_timeout_reached_at: Option<DateTime<Utc>>,
    pub vm_build_failed_at: Option<DateTime<Utc>>,
    pub vm_built_announcement_due: Option<DateTime<Utc>>,
}

impl ServiceLinks {
    /// The links, in one query (none when the page's statement read them). Decoded once per
    /// thread while the stored items stay the same: every page view and poll reads them.
    pub fn read(store: &DataStore<'_>, service_id: u64) -> Result<Self, StoreError> {
        let stored = store.get_many_raw(Owner::Service(service_id), KEYS)?;
        decoded_once(&LAST_DECODED, stored, Self::decode)
    }

    fn decode(stored: &Stored) -> Result<Self, StoreError> {
        let [vm_id, build_id, started_at, timeout_reached_at, failed_at, announcement_due] =
            decode_items(KEYS, stored)?;
        Ok(Self {
            vm_id: text_item(VM_ID, vm_id)?,
            vm_build_id: text_item(VM_BUILD_ID, build_id)?,
            vm_build_started_at: time_item(VM_BUILD_STARTED_AT, started_at)?,
            vm_build_timeout_reached_at: time_item(
                VM_BUILD_TIMEOUT_REACHED_AT,
                timeout_reached_at,
            )?,
            vm_build_failed_at: time_item(VM_BUILD_FAILED_AT, failed_at)?,
            vm_built_announcement_due: time_item(VM_BUILT_ANNOUNCEMENT_DUE, announcement_due)?,
        })
    }

    /// True while a build is requested and neither built nor failed: the build sync's work.
    pub fn build_pending(&self) -> bool {
        self.vm_id.is_none() && self.vm_build_id.is_some() && self.vm_build_failed_at.is_none()
    }

    /// The state to show without asking Katapult: `building` while a build is pending.
    pub fn offline_state(&self) -> &'static str {
        if self.build_pending() {
            "building"
        } else {
            "unknown"
        }
    }
}
