//! Building VMs: the request, and the build whose state a cron job follows.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::common::{api_enum, Annotation};
use super::data_centers::DataCenterRef;
use super::disk_templates::DiskTemplateRef;
use super::lookup::{body, lookup_ref, query, ToLookup};
use super::organizations::OrganizationRef;
use super::packages::PackageRef;
use super::tasks::Task;
use super::transport::Repeat;
use super::virtual_machines::VirtualMachineSummary;
use super::{ApiError, Client};

lookup_ref!(
    /// A build by id (`vmbuild_…`).
    BuildRef, "virtual_machine_build", id prefix "vmbuild_"
);

api_enum!(
    /// VirtualMachineBuildStateEnum.
    BuildState { Draft => "draft", Failed => "failed", Pending => "pending", Building => "building", Complete => "complete" }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VirtualMachineBuild {
    pub id: String,
    #[serde(default)]
    pub state: BuildState,
    pub spec_xml: Option<String>,
    /// Null until the VM exists.
    pub virtual_machine: Option<VirtualMachineSummary>,
    pub created_at: Option<i64>,
}

/// A simple build (`POST /organizations/_/virtual_machines/build`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRequest {
    pub organization: OrganizationRef,
    pub package: PackageRef,
    pub data_center: DataCenterRef,
    pub disk_template: Option<DiskTemplateRef>,
    pub disk_template_options: Vec<Annotation>,
    /// A system disk of this size instead of the package's.
    pub system_disk_size_in_gb: Option<u32>,
    /// Katapult generates one when missing.
    pub hostname: Option<String>,
    pub annotations: Vec<Annotation>,
}

impl BuildRequest {
    fn to_body(&self) -> Value {
        let package = self.package.to_lookup();
        let mut lookups: Vec<&dyn ToLookup> = vec![&self.organization, &self.data_center];
        if let Some(template) = &self.disk_template {
            lookups.push(template);
        }
        let mut request = body(&lookups, json!({ "package": { package.key: package.value } }));
        let fields = request.as_object_mut().expect("a build body is an object");
        if !self.disk_template_options.is_empty() {
            fields.insert("disk_template_options".into(), json!(self.disk_template_options));
        }
        if let Some(size) = self.system_disk_size_in_gb {
            fields.insert("disks".into(), json!([{"name": "System Disk", "size_in_gb": size, "system": true}]));
        }
        if let Some(hostname) = &self.hostname {
            fields.insert("hostname".into(), json!(hostname));
        }
        if !self.annotations.is_empty() {
            fields.insert("annotations".into(), json!(self.annotations));
        }
        request
    }
}

/// The answer to a build request. Old API versions named the build `build` only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildStarted {
    pub task: Option<Task>,
    pub virtual_machine_build: Option<VirtualMachineBuild>,
    pub build: Option<VirtualMachineBuild>,
    pub hostname: Option<String>,
    #[serde(default)]
    pub annotations: Vec<Annotation>,
}

/// The answer to a build status request (same `build` alias as above).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildResponse {
    pub virtual_machine_build: Option<VirtualMachineBuild>,
    pub build: Option<VirtualMachineBuild>,
    #[serde(default)]
    pub annotations: Vec<Annotation>,
}

fn either_build(current: Option<VirtualMachineBuild>, old: Option<VirtualMachineBuild>) -> Result<VirtualMachineBuild, ApiError> {
    current.or(old).ok_or_else(|| ApiError::InvalidBody {
        status: 200,
        request_id: None,
        reason: "the response names no virtual_machine_build".into(),
        snippet: String::new(),
    })
}

impl Client {
    /// Requests a VM build and returns at once; the build runs in Katapult's background.
    /// Never repeated after a lost answer: a second attempt could build a second VM.
    pub fn build_virtual_machine(&self, request: &BuildRequest) -> Result<(VirtualMachineBuild, BuildStarted), ApiError> {
        let started: BuildStarted = self.write(Method::POST, "/organizations/_/virtual_machines/build", request.to_body(), Repeat::Never)?;
        let build = either_build(started.virtual_machine_build.clone(), started.build.clone())?;
        Ok((build, started))
    }

    pub fn virtual_machine_build(&self, build: &BuildRef) -> Result<VirtualMachineBuild, ApiError> {
        let response: BuildResponse = self.get("/virtual_machines/builds/_", query(build))?;
        either_build(response.virtual_machine_build, response.build)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_body_names_each_lookup_once() {
        let request = BuildRequest {
            organization: OrganizationRef::Id("org_a".into()),
            package: PackageRef::Permalink("rock-3".into()),
            data_center: DataCenterRef::Permalink("uk-lon-01".into()),
            disk_template: Some(DiskTemplateRef::Permalink("templates/ubuntu-22-04".into())),
            disk_template_options: vec![],
            system_disk_size_in_gb: Some(50),
            hostname: Some("web-1".into()),
            annotations: vec![Annotation::new("whmcs_service_id", "7")],
        };
        assert_eq!(
            request.to_body(),
            json!({
                "organization": {"id": "org_a"},
                "data_center": {"permalink": "uk-lon-01"},
                "disk_template": {"permalink": "templates/ubuntu-22-04"},
                "package": {"permalink": "rock-3"},
                "disks": [{"name": "System Disk", "size_in_gb": 50, "system": true}],
                "hostname": "web-1",
                "annotations": [{"key": "whmcs_service_id", "value": "7"}],
            })
        );
    }
}
