//! The VM a terminated service left in Katapult's trash: what an admin can restore until
//! Katapult purges it. Kept in the service's datastore after Terminate clears its links.

use chrono::{DateTime, TimeZone, Utc};

use crate::api::trash_objects::TrashObject;
use crate::store::datastore::text_item;
use crate::store::{DataStore, Owner, StoreError};

const VM_ID: &str = "trashed_vm_id";
const TRASH_OBJECT_ID: &str = "trashed_vm_trash_object_id";
const KEEP_UNTIL: &str = "trashed_vm_keep_until";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashedVm {
    pub vm_id: String,
    pub trash_object_id: String,
    /// When Katapult purges it, if it said.
    pub keep_until: Option<DateTime<Utc>>,
}

impl TrashedVm {
    pub fn of(trash: &TrashObject, vm_id: &str) -> Self {
        Self {
            vm_id: trash.object_id.clone().unwrap_or_else(|| vm_id.to_string()),
            trash_object_id: trash.id.clone(),
            keep_until: trash
                .keep_until
                .and_then(|at| Utc.timestamp_opt(at, 0).single()),
        }
    }

    pub fn read(store: &DataStore<'_>, service_id: u64) -> Result<Option<Self>, StoreError> {
        let [vm_id, trash_id, keep_until] = store.get_many(
            Owner::Service(service_id),
            [VM_ID, TRASH_OBJECT_ID, KEEP_UNTIL],
        )?;
        let (Some(vm_id), Some(trash_object_id)) = (
            text_item(VM_ID, vm_id)?,
            text_item(TRASH_OBJECT_ID, trash_id)?,
        ) else {
            return Ok(None);
        };
        let keep_until = text_item(KEEP_UNTIL, keep_until)?
            .and_then(|at| at.parse::<i64>().ok())
            .and_then(|at| Utc.timestamp_opt(at, 0).single());
        Ok(Some(Self {
            vm_id,
            trash_object_id,
            keep_until,
        }))
    }

    pub fn write(
        &self,
        store: &DataStore<'_>,
        service_id: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let owner = Owner::Service(service_id);
        store.set_text(owner, VM_ID, &self.vm_id, None, now)?;
        store.set_text(owner, TRASH_OBJECT_ID, &self.trash_object_id, None, now)?;
        match self.keep_until {
            Some(at) => store.set_text(owner, KEEP_UNTIL, &at.timestamp().to_string(), None, now),
            None => store.delete(owner, KEEP_UNTIL).map(|_| ()),
        }
    }

    pub fn forget(store: &DataStore<'_>, service_id: u64) -> Result<(), StoreError> {
        for key in [VM_ID, TRASH_OBJECT_ID, KEEP_UNTIL] {
            store.delete(Owner::Service(service_id), key)?;
        }
        Ok(())
    }

    /// Whether Katapult's time for it has passed.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.keep_until.is_some_and(|at| at <= now)
    }
}
