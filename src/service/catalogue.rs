//! What Katapult offers to build with, as `(permalink, name)` choices: the product settings'
//! dropdowns and the configurable-option sync both list them from here.

use crate::api::Client;
use crate::service::context::{Context, ModuleError};
use crate::store::DataStore;

/// A choice: the machine value (a permalink) and its display name.
pub type Choice = (String, String);

/// Every data center.
pub fn data_centers(client: &Client) -> Result<Vec<Choice>, ModuleError> {
    Ok(client
        .data_centers()?
        .into_iter()
        .filter_map(|dc| {
            let permalink = dc.permalink?;
            Some((permalink.clone(), dc.name.unwrap_or(permalink)))
        })
        .collect())
}

/// The parent organization's disk templates and Katapult's universal (stock) ones.
pub fn disk_templates(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    client: &Client,
) -> Result<Vec<Choice>, ModuleError> {
    let parent = ctx.parent_organization(store, client)?;
    Ok(client
        .disk_templates(&parent, true)?
        .into_iter()
        .filter_map(|t| {
            let permalink = t.permalink?;
            Some((permalink.clone(), t.name.unwrap_or(permalink)))
        })
        .collect())
}
