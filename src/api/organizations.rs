//! Organizations, and the managed organizations made under a parent (one per WHMCS client).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::common::Annotation;
use super::lookup::{body, lookup_ref, query, query_with_annotation};
use super::pagination::page_of;
use super::transport::Repeat;
use super::{ApiError, Client};

lookup_ref!(
    /// An organization by id (`org_…`) or sub-domain.
    OrganizationRef, "organization", id prefix "org_", SubDomain => "sub_domain"
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: Option<String>,
    pub sub_domain: Option<String>,
    /// The VM FQDN suffix, e.g. `acme.katapult.cloud`.
    pub infrastructure_domain: Option<String>,
    pub created_at: Option<i64>,
    pub activated_at: Option<i64>,
    pub suspended: Option<bool>,
    pub managed: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrganizationsList {
    pub organizations: Vec<Organization>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrganizationResponse {
    pub organization: Organization,
    #[serde(default)]
    pub annotations: Vec<Annotation>,
}

page_of!(ManagedOrganizationsPage, organizations: Organization);

/// What a new managed organization is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewManagedOrganization {
    pub name: String,
    /// Must be unique across Katapult.
    pub sub_domain: String,
    pub annotations: Vec<Annotation>,
}

impl Client {
    /// Every organization the token can reach (not paginated). Also the cheapest token check.
    pub fn organizations(&self) -> Result<Vec<Organization>, ApiError> {
        Ok(self
            .get::<OrganizationsList>("/organizations", vec![])?
            .organizations)
    }

    pub fn organization(&self, organization: &OrganizationRef) -> Result<Organization, ApiError> {
        Ok(self
            .get::<OrganizationResponse>("/organizations/_", query(organization))?
            .organization)
    }

    /// The managed organizations under `parent`, all pages; optionally only those carrying an
    /// annotation (how a WHMCS client's organization is found again without local state).
    pub fn managed_organizations(
        &self,
        parent: &OrganizationRef,
        with_annotation: Option<&Annotation>,
    ) -> Result<Vec<Organization>, ApiError> {
        let q = query_with_annotation(parent, with_annotation);
        self.get_all::<ManagedOrganizationsPage>("/organizations/_/managed", q)
    }

    /// Never repeated after a lost answer: a second attempt could make a second organization.
    pub fn create_managed_organization(
        &self,
        parent: &OrganizationRef,
        new: &NewManagedOrganization,
    ) -> Result<Organization, ApiError> {
        let request = body(
            &[parent],
            json!({"name": new.name, "sub_domain": new.sub_domain, "annotations": new.annotations}),
        );
        let created: OrganizationResponse = self.write(
            Method::POST,
            "/organizations/_/managed",
            request,
            Repeat::Never,
        )?;
        Ok(created.organization)
    }
}
