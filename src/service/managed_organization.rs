//! Each WHMCS client gets one Katapult managed organization under the parent; its VMs are built
//! there. Found again by its stored id, or by its `whmcs_client_id` annotation when an earlier
//! attempt created it but could not record it, so a retry never makes a second one.

use rand::Rng;

use super::context::{Context, ModuleError};
use super::links::MANAGED_ORG_ID;
use crate::api::organizations::{NewManagedOrganization, OrganizationRef};
use crate::api::{Annotation, Client};
use crate::store::{DataStore, Owner};

pub const CLIENT_ANNOTATION: &str = "whmcs_client_id";

/// Sub-domains are unique across Katapult: a taken one is retried with another.
const SUB_DOMAIN_ATTEMPTS: usize = 3;

pub fn for_client(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    client: &Client,
    parent: &OrganizationRef,
    client_id: u64,
    label: &str,
) -> Result<OrganizationRef, ModuleError> {
    if let Some(id) = store.get_text(Owner::Client(client_id), MANAGED_ORG_ID)? {
        return Ok(OrganizationRef::Id(id));
    }
    let annotation = ctx.whmcs_annotation(store, CLIENT_ANNOTATION, client_id)?;
    let organization = match client
        .managed_organizations(parent, Some(&annotation))?
        .into_iter()
        .next()
    {
        Some(found) => found,
        None => create(client, parent, label, &annotation)?,
    };
    store.set_text(
        Owner::Client(client_id),
        MANAGED_ORG_ID,
        &organization.id,
        None,
        ctx.now,
    )?;
    ctx.host.log_activity(
        &format!(
            "[Katapult] Managed organization {} is the client's Katapult organization",
            organization.id
        ),
        Some(client_id),
    );
    Ok(OrganizationRef::Id(organization.id))
}

fn create(
    client: &Client,
    parent: &OrganizationRef,
    label: &str,
    annotation: &Annotation,
) -> Result<crate::api::organizations::Organization, ModuleError> {
    let mut attempt = 1;
    loop {
        let new = NewManagedOrganization {
            name: label.to_string(),
            sub_domain: sub_domain(),
            annotations: vec![annotation.clone()],
        };
        match client.create_managed_organization(parent, &new) {
            Err(error)
                if attempt < SUB_DOMAIN_ATTEMPTS
                    && error.code() == Some("validation_error")
                    && error.to_string().contains("Sub domain") =>
            {
                attempt += 1;
            }
            result => return Ok(result?),
        }
    }
}

/// "whmcs-" and 8 random hex digits, as unguessable as the PHP module's and recognisable.
fn sub_domain() -> String {
    format!("whmcs-{:08x}", rand::rng().random::<u32>())
}
