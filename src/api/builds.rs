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

/// The fields a build request is given as (from PHP: an array with these keys).
pub const BUILD_REQUEST_FIELDS: [&str; 8] = [
    "organization",
    "package",
    "data_center",
    "disk_template",
    "disk_template_options",
    "system_disk_size_in_gb",
    "hostname",
    "annotations",
];

impl BuildRequest {
    /// A request from named fields: lookups as strings (an id, or the other key: sub-domain,
    /// permalink), `annotations` and `disk_template_options` as `{key: value}` maps.
    pub fn from_fields(fields: &serde_json::Map<String, Value>) -> Result<Self, String> {
        if let Some(unknown) = fields
            .keys()
            .find(|k| !BUILD_REQUEST_FIELDS.contains(&k.as_str()))
        {
            return Err(format!(
                "unknown build request field `{unknown}`; the fields are: {}",
                BUILD_REQUEST_FIELDS.join(", ")
            ));
        }
        let text = |name: &str| -> Result<Option<String>, String> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
                Some(other) => Err(format!(
                    "build request field `{name}` must be a string, not {other}"
                )),
            }
        };
        let required = |name: &str| {
            text(name)?.ok_or_else(|| format!("build request field `{name}` is required"))
        };
        let pairs = |name: &str| -> Result<Vec<Annotation>, String> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(vec![]),
                Some(Value::Object(map)) => map
                    .iter()
                    .map(|(k, v)| match v {
                        Value::String(s) => Ok(Annotation::new(k, s)),
                        Value::Number(n) => Ok(Annotation::new(k, n.to_string())),
                        Value::Bool(b) => Ok(Annotation::new(k, b.to_string())),
                        other => Err(format!(
                            "`{name}` value for `{k}` must be a string, not {other}"
                        )),
                    })
                    .collect(),
                Some(Value::Array(list)) if list.is_empty() => Ok(vec![]),
                Some(other) => Err(format!(
                    "build request field `{name}` must be a key => value array, not {other}"
                )),
            }
        };
        let disk_size = match fields.get("system_disk_size_in_gb") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                    .filter(|size| (1..=65_536).contains(size))
                    .ok_or_else(|| {
                        format!("system_disk_size_in_gb must be a whole number of GB, not {v}")
                    })? as u32,
            ),
        };
        Ok(Self {
            organization: OrganizationRef::from(required("organization")?.as_str()),
            package: PackageRef::from(required("package")?.as_str()),
            data_center: DataCenterRef::from(required("data_center")?.as_str()),
            disk_template: text("disk_template")?.as_deref().map(DiskTemplateRef::from),
            disk_template_options: pairs("disk_template_options")?,
            system_disk_size_in_gb: disk_size,
            hostname: text("hostname")?,
            annotations: pairs("annotations")?,
        })
    }

    fn to_body(&self) -> Value {
        let package = self.package.to_lookup();
        let mut lookups: Vec<&dyn ToLookup> = vec![&self.organization, &self.data_center];
        if let Some(template) = &self.disk_template {
            lookups.push(template);
        }
        let mut request = body(
            &lookups,
            json!({ "package": { package.key: package.value } }),
        );
        let fields = request.as_object_mut().expect("a build body is an object");
        if !self.disk_template_options.is_empty() {
            fields.insert(
                "disk_template_options".into(),
                json!(self.disk_template_options),
            );
        }
        if let Some(size) = self.system_disk_size_in_gb {
            fields.insert(
                "disks".into(),
                json!([{"name": "System Disk", "size_in_gb": size, "system": true}]),
            );
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

fn either_build(
    current: Option<VirtualMachineBuild>,
    old: Option<VirtualMachineBuild>,
) -> Result<VirtualMachineBuild, ApiError> {
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
    pub fn build_virtual_machine(
        &self,
        request: &BuildRequest,
    ) -> Result<(VirtualMachineBuild, BuildStarted), ApiError> {
        let started: BuildStarted = self.write(
            Method::POST,
            "/organizations/_/virtual_machines/build",
            request.to_body(),
            Repeat::Never,
        )?;
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

    fn fields(value: Value) -> serde_json::Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn request_from_fields_reads_ids_and_permalinks() {
        let request = BuildRequest::from_fields(&fields(json!({
            "organization": "org_abc", "package": "rock-3", "data_center": "loc_x",
            "disk_template": "templates/ubuntu-22-04", "system_disk_size_in_gb": "40",
            "annotations": {"whmcs_service_id": 12},
        })))
        .unwrap();
        assert_eq!(request.organization, OrganizationRef::Id("org_abc".into()));
        assert_eq!(request.package, PackageRef::Permalink("rock-3".into()));
        assert_eq!(request.data_center, DataCenterRef::Id("loc_x".into()));
        assert_eq!(request.system_disk_size_in_gb, Some(40));
        assert_eq!(
            request.annotations,
            vec![Annotation::new("whmcs_service_id", "12")]
        );
    }

    #[test]
    fn request_from_fields_says_what_is_wrong() {
        let missing = BuildRequest::from_fields(&fields(
            json!({"organization": "org_a", "package": "rock-3"}),
        ))
        .unwrap_err();
        assert_eq!(missing, "build request field `data_center` is required");
        let unknown = BuildRequest::from_fields(&fields(json!({"pakage": "rock-3"}))).unwrap_err();
        assert!(
            unknown.starts_with("unknown build request field `pakage`"),
            "{unknown}"
        );
        let bad_size = BuildRequest::from_fields(&fields(json!({
            "organization": "o", "package": "p", "data_center": "d", "system_disk_size_in_gb": -5
        })))
        .unwrap_err();
        assert!(bad_size.contains("whole number of GB"), "{bad_size}");
    }

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
