//! `Katapult\ApiClient`: the typed API client, for PHP. Every method returns the API's objects
//! as arrays and throws `Katapult\ApiException` when the call fails.

use std::sync::Arc;

use ext_php_rs::boxed::ZBox;
use ext_php_rs::exception::PhpResult;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;
use serde::Serialize;

use super::convert::{entries, table_to_json, to_php_array, Objects};
use super::exceptions::failure;
use super::ini;
use crate::api::builds::{BuildRef, BuildRequest};
use crate::api::ip_addresses::IpAddressRef;
use crate::api::organizations::{NewManagedOrganization, OrganizationRef};
use crate::api::packages::PackageRef;
use crate::api::tasks::TaskRef;
use crate::api::trash_objects::TrashObjectRef;
use crate::api::virtual_machines::{PowerAction, VirtualMachineRef};
use crate::api::{Annotation, ApiError, Client};

/// A Katapult Core API v1 client. The URL, time-outs and extra CA come from the `katapult.*` INI
/// settings (the `KATAPULT_API_URL` environment variable wins over `katapult.api_url`; both are
/// fixed on the process's first request).
/// Connections are kept alive across requests of one PHP process.
#[php_class]
#[php(name = "Katapult\\ApiClient")]
pub struct ApiClient {
    client: Arc<Client>,
}

/// An API result as a PHP array, or the API failure as an ApiException.
type ArrayResult = PhpResult<ZBox<ZendHashTable>>;

fn returned<T: Serialize>(result: Result<T, ApiError>) -> ArrayResult {
    to_php_array(&result?).map_err(|e| failure("invalid_response", e))
}

fn string_map(table: Option<&ZendHashTable>, what: &str) -> PhpResult<Vec<Annotation>> {
    let Some(table) = table else {
        return Ok(vec![]);
    };
    entries(table)
        .map_err(|e| failure("invalid_argument", format!("{what}: {e}")))?
        .into_iter()
        .map(|(key, value)| match value.str() {
            Some(text) => Ok(Annotation::new(key.to_string(), text)),
            None if value.is_long() => Ok(Annotation::new(
                key.to_string(),
                value.long().unwrap_or_default().to_string(),
            )),
            None => Err(failure(
                "invalid_argument",
                format!("{what}: the value for `{key}` must be a string"),
            )),
        })
        .collect()
}

#[php_impl]
impl ApiClient {
    /// Connects with this API token; `$api_url` overrides the INI setting and environment.
    pub fn __construct(token: String, api_url: Option<String>) -> PhpResult<Self> {
        let settings =
            ini::api_settings(&token, api_url).map_err(|e| failure("invalid_settings", e))?;
        Ok(Self {
            client: Client::shared(&settings)?,
        })
    }

    /// The API URL this client talks to.
    pub fn api_url(&self) -> String {
        self.client.settings().base_url.clone()
    }

    /// Every organization the token can reach (also the cheapest token check).
    pub fn organizations(&self) -> ArrayResult {
        returned(self.client.organizations())
    }

    /// One organization, by id (`org_…`) or sub-domain.
    pub fn organization(&self, organization: String) -> ArrayResult {
        returned(
            self.client
                .organization(&OrganizationRef::from(organization.as_str())),
        )
    }

    /// The managed organizations under a parent (all pages).
    pub fn managed_organizations(&self, parent: String) -> ArrayResult {
        returned(
            self.client
                .managed_organizations(&OrganizationRef::from(parent.as_str()), None),
        )
    }

    /// Creates a managed organization under a parent; `$annotations` is a key => value array.
    pub fn create_managed_organization(
        &self,
        parent: String,
        name: String,
        sub_domain: String,
        annotations: Option<&ZendHashTable>,
    ) -> ArrayResult {
        let new = NewManagedOrganization {
            name,
            sub_domain,
            annotations: string_map(annotations, "annotations")?,
        };
        returned(
            self.client
                .create_managed_organization(&OrganizationRef::from(parent.as_str()), &new),
        )
    }

    /// Every data center.
    pub fn data_centers(&self) -> ArrayResult {
        returned(self.client.data_centers())
    }

    /// Every public VM package (all pages).
    pub fn virtual_machine_packages(&self) -> ArrayResult {
        returned(self.client.virtual_machine_packages())
    }

    /// An organization's disk templates, with Katapult's universal ones unless told otherwise.
    pub fn disk_templates(
        &self,
        organization: String,
        include_universal: Option<bool>,
    ) -> ArrayResult {
        returned(self.client.disk_templates(
            &OrganizationRef::from(organization.as_str()),
            include_universal.unwrap_or(true),
        ))
    }

    /// Requests a VM build. `$request` keys: organization, package, data_center (required),
    /// disk_template, hostname, system_disk_size_in_gb, annotations, disk_template_options.
    /// Returns the API's answer: `virtual_machine_build`, `task`, `hostname`, `annotations`.
    pub fn build_virtual_machine(&self, request: &ZendHashTable) -> ArrayResult {
        let fields = match table_to_json(request, 0, Objects::Refuse)
            .map_err(|e| failure("invalid_argument", e))?
        {
            serde_json::Value::Object(fields) => fields,
            // An empty PHP array is a list as much as a map: it simply names no field.
            serde_json::Value::Array(items) if items.is_empty() => serde_json::Map::new(),
            _ => {
                return Err(failure(
                    "invalid_argument",
                    "the build request must be an array with named fields",
                ))
            }
        };
        let request =
            BuildRequest::from_fields(&fields).map_err(|e| failure("invalid_argument", e))?;
        returned(
            self.client
                .build_virtual_machine(&request)
                .map(|(_, started)| started),
        )
    }

    /// A build's state (`pending`, `building`, `complete`, `failed`) and, once built, its VM.
    pub fn virtual_machine_build(&self, build_id: String) -> ArrayResult {
        returned(
            self.client
                .virtual_machine_build(&BuildRef::from(build_id.as_str())),
        )
    }

    /// A VM by id (`vm_…`) or FQDN, with its annotations.
    pub fn virtual_machine(&self, virtual_machine: String) -> ArrayResult {
        returned(
            self.client
                .virtual_machine(&VirtualMachineRef::from(virtual_machine.as_str())),
        )
    }

    /// Starts the VM; returns the task.
    pub fn start(&self, virtual_machine: String) -> ArrayResult {
        self.power(&virtual_machine, PowerAction::Start)
    }

    /// Stops the VM at once (like pulling the plug); returns the task.
    pub fn stop(&self, virtual_machine: String) -> ArrayResult {
        self.power(&virtual_machine, PowerAction::Stop)
    }

    /// Asks the VM's operating system to shut down; returns the task.
    pub fn shutdown(&self, virtual_machine: String) -> ArrayResult {
        self.power(&virtual_machine, PowerAction::Shutdown)
    }

    /// Resets the VM (a hard reboot); returns the task.
    pub fn reset(&self, virtual_machine: String) -> ArrayResult {
        self.power(&virtual_machine, PowerAction::Reset)
    }

    /// A task's status (`pending`, `running`, `completed`, `failed`).
    pub fn task(&self, task_id: String) -> ArrayResult {
        returned(self.client.task(&TaskRef::from(task_id.as_str())))
    }

    /// Opens a console session (the VM must be started); returns its `url` and `expires_at`.
    pub fn create_console_session(&self, virtual_machine: String) -> ArrayResult {
        returned(
            self.client
                .create_console_session(&VirtualMachineRef::from(virtual_machine.as_str())),
        )
    }

    /// Moves the VM to another package (id or permalink); returns the task.
    pub fn change_package(&self, virtual_machine: String, package: String) -> ArrayResult {
        let vm = VirtualMachineRef::from(virtual_machine.as_str());
        returned(
            self.client
                .change_package(&vm, &PackageRef::from(package.as_str())),
        )
    }

    /// Deletes the VM to Katapult's trash; returns the `trash_object`.
    pub fn delete_virtual_machine(&self, virtual_machine: String) -> ArrayResult {
        returned(
            self.client
                .delete_virtual_machine(&VirtualMachineRef::from(virtual_machine.as_str())),
        )
    }

    /// Purges a trash object for good, by its id (`trsh_…`) or the id of the object in it.
    pub fn purge_trash_object(&self, trash_object: String) -> ArrayResult {
        returned(
            self.client
                .purge_trash_object(&TrashObjectRef::from(trash_object.as_str())),
        )
    }

    /// Brings a trashed object back, by the trash object's id (`trsh_…`) or the object's id.
    pub fn restore_trash_object(&self, trash_object: String) -> ArrayResult {
        returned(
            self.client
                .restore_trash_object(&TrashObjectRef::from(trash_object.as_str())),
        )
    }

    /// The disk backup policies set on a VM (all pages).
    pub fn disk_backup_policies(&self, virtual_machine: String) -> ArrayResult {
        returned(
            self.client
                .virtual_machine_disk_backup_policies(&VirtualMachineRef::from(
                    virtual_machine.as_str(),
                )),
        )
    }

    /// An organization's IP addresses (all pages).
    pub fn ip_addresses(&self, organization: String) -> ArrayResult {
        returned(
            self.client
                .ip_addresses(&OrganizationRef::from(organization.as_str())),
        )
    }

    /// Sets an IP address's reverse DNS (by `ip_…` id or the address itself).
    pub fn update_reverse_dns(&self, ip_address: String, reverse_dns: String) -> ArrayResult {
        returned(
            self.client
                .update_reverse_dns(&IpAddressRef::from(ip_address.as_str()), &reverse_dns),
        )
    }
}

impl ApiClient {
    fn power(&self, virtual_machine: &str, action: PowerAction) -> ArrayResult {
        returned(
            self.client
                .power(&VirtualMachineRef::from(virtual_machine), action),
        )
    }
}
