//! What the last cron build sync did, kept for the admin dashboard: when it ran, what it did,
//! and what kept it from running, if anything.

use serde::{Deserialize, Serialize};

use super::context::{Context, ModuleError};
use crate::store::{DataStore, Owner};

const LAST_SYNC_ITEM: &str = "build_sync_last_run";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSync {
    /// Unix seconds.
    pub at: i64,
    pub did: String,
    pub error: Option<String>,
}

pub fn record(ctx: &Context<'_>, did: &str, error: Option<&str>) -> Result<(), ModuleError> {
    let last = LastSync {
        at: ctx.now.timestamp(),
        did: did.to_string(),
        error: error.map(str::to_string),
    };
    ctx.store()?
        .set_json(Owner::Module, LAST_SYNC_ITEM, &last, ctx.now)?;
    Ok(())
}

pub fn last(store: &DataStore<'_>) -> Result<Option<LastSync>, ModuleError> {
    Ok(store.get_json(Owner::Module, LAST_SYNC_ITEM)?)
}
