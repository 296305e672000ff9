//! Disk templates: the operating system images a VM is built from.

use serde::{Deserialize, Serialize};

use super::common::IdName;
use super::lookup::{lookup_ref, query};
use super::organizations::OrganizationRef;
use super::pagination::page_of;
use super::{ApiError, Client};

lookup_ref!(
    /// A disk template by id (`dtpl_…`) or permalink (`templates/ubuntu-22-04`).
    DiskTemplateRef, "disk_template", id prefix "dtpl_", Permalink => "permalink"
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiskTemplate {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub permalink: Option<String>,
    pub universal: Option<bool>,
    /// The smallest system disk the template fits on.
    pub size_in_gb: Option<u32>,
    pub latest_version: Option<DiskTemplateVersion>,
    pub operating_system: Option<IdName>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiskTemplateVersion {
    pub id: String,
    pub number: Option<u32>,
}

page_of!(DiskTemplatesPage, disk_templates: DiskTemplate);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiskTemplateResponse {
    pub disk_template: DiskTemplate,
}

impl Client {
    /// The organization's own templates, and Katapult's stock ("universal") ones when asked.
    pub fn disk_templates(
        &self,
        organization: &OrganizationRef,
        include_universal: bool,
    ) -> Result<Vec<DiskTemplate>, ApiError> {
        let mut q = query(organization);
        q.push(("include_universal".into(), include_universal.to_string()));
        self.get_all::<DiskTemplatesPage>("/organizations/_/disk_templates", q)
    }

    pub fn disk_template(&self, template: &DiskTemplateRef) -> Result<DiskTemplate, ApiError> {
        Ok(self
            .get::<DiskTemplateResponse>("/disk_templates/_", query(template))?
            .disk_template)
    }
}
