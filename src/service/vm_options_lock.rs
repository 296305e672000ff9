//! One process at a time brings a service's VM in line with its options (extra IPv4 addresses,
//! the backup policy). Each run reads what the service wants and what the VM has, then acts: two
//! at once (the build sync adding the addresses ordered while ChangePackage releases the ones
//! downgraded) would each act on what they read before the other's change, and leave the VM
//! with what neither wanted. Runs read what they bring the VM to once they hold the lock.

use chrono::Duration;

use crate::store::locks::Locks;
use crate::store::StoreError;

use super::context::{Context, ModuleError};

/// Longer than a run takes (a few API calls, each retried a little): the next one waits for it.
const WAIT: std::time::Duration = std::time::Duration::from_secs(30);
/// A run killed while holding the lock leaves it to expire (or, on its own machine, to be taken
/// over at once).
const TTL: Duration = Duration::minutes(5);

/// Runs `work` holding the service's lock, waiting for another run to finish first.
pub fn holding<T>(
    ctx: &Context<'_>,
    service_id: u64,
    work: impl FnOnce() -> Result<T, ModuleError>,
) -> Result<T, ModuleError> {
    let name = format!("vm-options:service:{service_id}");
    let locks = Locks::open(ctx.sql, "vm-options").map_err(StoreError::from)?;
    locks.while_claimed(&name, TTL, WAIT, work)?.ok_or_else(|| {
        ModuleError::Product(format!(
            "another run has been changing this service's extra IPv4 addresses or backups for {} seconds; try again in a few minutes",
            WAIT.as_secs()
        ))
    })
}
