//! The VM objects hook code works with:
//! - `Krystal\Katapult\API\RestfulKatapultApiV1\Resources\Organization\VirtualMachine`: a live
//!   Katapult VM (named as the PHP module's VM class, so hook type hints keep working), its
//!   fields as read-only properties named as the API names them, and its power actions;
//! - `Katapult\VirtualMachineService`: a WHMCS service's Katapult links, behind the documented
//!   `WHMCS\Module\Server\Katapult\WHMCS\Service\VirtualMachine` (a PHP shim in module/lib/,
//!   because only a PHP class can extend WHMCS's Eloquent `Service`).

use std::sync::Arc;

use ext_php_rs::boxed::ZBox;
use ext_php_rs::exception::PhpResult;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use serde_json::Value;

use super::convert::{json_to_zval, to_php_array};
use super::exceptions::failure;
use super::module_functions::with_context;
use crate::api::virtual_machines::{PowerAction, VirtualMachineRef};
use crate::api::{ApiError, Client};
use crate::service::context::ModuleError;
use crate::service::links::ServiceLinks;

/// A Katapult VM, as read when the object was made. Not constructible from PHP: get one from
/// `$service->vm`.
#[php_class]
#[php(
    name = "Krystal\\Katapult\\API\\RestfulKatapultApiV1\\Resources\\Organization\\VirtualMachine"
)]
pub struct PhpVirtualMachine {
    client: Arc<Client>,
    fields: Value,
    service_id: u64,
    client_id: u64,
}

fn module_failure(error: ModuleError) -> ext_php_rs::exception::PhpException {
    match error {
        ModuleError::Api(api) => api.into(),
        other => failure("module", other.to_string()),
    }
}

#[php_impl]
impl PhpVirtualMachine {
    /// A field by the API's name (`id`, `name`, `hostname`, `fqdn`, `state`, `ip_addresses`,
    /// `package`, `zone`, `data_center`, `created_at`, …); null when the VM has no such field.
    pub fn __get(&self, name: String) -> PhpResult<Zval> {
        let value = match name.as_str() {
            "data_center" => self
                .fields
                .pointer("/zone/data_center")
                .cloned()
                .unwrap_or(Value::Null),
            _ => self.fields.get(&name).cloned().unwrap_or(Value::Null),
        };
        json_to_zval(&value).map_err(|e| failure("invalid_response", e))
    }

    pub fn __isset(&self, name: String) -> bool {
        name == "data_center" && self.fields.pointer("/zone/data_center").is_some()
            || self.fields.get(&name).is_some_and(|v| !v.is_null())
    }

    /// The VM's fields are read-only.
    pub fn __set(&self, name: String, value: &Zval) -> PhpResult<()> {
        let _ = value;
        Err(failure(
            "read_only",
            format!("the VM's `{name}` is read-only: change the VM through Katapult"),
        ))
    }

    /// Every field, as the API sent it.
    pub fn to_array(&self) -> PhpResult<ZBox<ZendHashTable>> {
        to_php_array(&self.fields).map_err(|e| failure("invalid_response", e))
    }

    /// Starts the VM; returns the task.
    pub fn start(&self) -> PhpResult<ZBox<ZendHashTable>> {
        self.power(PowerAction::Start)
    }

    /// Stops the VM at once (like pulling the plug); returns the task.
    pub fn stop(&self) -> PhpResult<ZBox<ZendHashTable>> {
        self.power(PowerAction::Stop)
    }

    /// Asks the VM's operating system to shut down; returns the task.
    pub fn shutdown(&self) -> PhpResult<ZBox<ZendHashTable>> {
        self.power(PowerAction::Shutdown)
    }

    /// Resets the VM (a hard reboot); returns the task.
    pub fn reset(&self) -> PhpResult<ZBox<ZendHashTable>> {
        self.power(PowerAction::Reset)
    }

    /// Opens a console session (the VM must be started); returns its `url` and `expires_at`.
    pub fn create_console_session(&self) -> PhpResult<ZBox<ZendHashTable>> {
        let session = self.act("Opened a console session", |client, vm| {
            client.create_console_session(vm)
        })?;
        to_php_array(&session).map_err(|e| failure("invalid_response", e))
    }
}

impl PhpVirtualMachine {
    fn id(&self) -> String {
        self.fields
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// Runs an action on the VM with API logging, and records it in the client's activity log.
    fn act<T>(
        &self,
        what: &str,
        action: impl FnOnce(&Client, &VirtualMachineRef) -> Result<T, ApiError>,
    ) -> PhpResult<T> {
        let vm = VirtualMachineRef::Id(self.id());
        with_context(|ctx| {
            let result = ctx.logged(&self.client, || action(&self.client, &vm));
            crate::module::after_action(ctx, self.service_id, self.client_id);
            let outcome = match &result {
                Ok(_) => "done".to_string(),
                Err(error) => format!("failed: {error}"),
            };
            ctx.log_for_service(
                self.service_id,
                Some(self.client_id),
                &format!("{what} on VM {}: {outcome}", self.id()),
            );
            result.map_err(ext_php_rs::exception::PhpException::from)
        })?
    }

    fn power(&self, action: PowerAction) -> PhpResult<ZBox<ZendHashTable>> {
        let label = match action {
            PowerAction::Start => "Start",
            PowerAction::Stop => "Stop",
            PowerAction::Shutdown => "Shut down",
            PowerAction::Reset => "Reset",
        };
        let task = self.act(label, |client, vm| client.power(vm, action))?;
        to_php_array(&task).map_err(|e| failure("invalid_response", e))
    }
}

/// A WHMCS service's Katapult side. Links are read once per object (one request's view).
#[php_class]
#[php(name = "Katapult\\VirtualMachineService")]
pub struct VirtualMachineService {
    service_id: u64,
    client_id: u64,
    links: Option<ServiceLinks>,
}

#[php_impl]
impl VirtualMachineService {
    pub fn __construct(service_id: i64, client_id: i64) -> PhpResult<Self> {
        let id = |value: i64, what: &str| {
            u64::try_from(value).ok().filter(|v| *v > 0).ok_or_else(|| {
                failure(
                    "invalid_argument",
                    format!("{what} must be a positive id, not {value}"),
                )
            })
        };
        Ok(Self {
            service_id: id(service_id, "service_id")?,
            client_id: id(client_id, "client_id")?,
            links: None,
        })
    }

    /// The Katapult VM id, once built.
    pub fn vm_id(&mut self) -> PhpResult<Option<String>> {
        Ok(self.links()?.vm_id.clone())
    }

    /// The id of the VM build requested for this service.
    pub fn vm_build_id(&mut self) -> PhpResult<Option<String>> {
        Ok(self.links()?.vm_build_id.clone())
    }

    /// When the build was requested, as a Unix time.
    pub fn vm_build_started_at(&mut self) -> PhpResult<Option<i64>> {
        Ok(self.links()?.vm_build_started_at.map(|t| t.timestamp()))
    }

    /// The live VM from Katapult, or null when the service has none yet.
    pub fn vm(&mut self) -> PhpResult<Option<PhpVirtualMachine>> {
        let Some(vm_id) = self.links()?.vm_id.clone() else {
            return Ok(None);
        };
        let (service_id, client_id) = (self.service_id, self.client_id);
        with_context(|ctx| {
            let store = ctx.store()?;
            let client = ctx.client(&store)?;
            let response = ctx.logged(&client, || {
                client.virtual_machine(&VirtualMachineRef::Id(vm_id))
            })?;
            let fields = serde_json::to_value(&response.virtual_machine)
                .map_err(|e| ModuleError::Api(ApiError::Settings(e.to_string())))?;
            Ok(PhpVirtualMachine {
                client,
                fields,
                service_id,
                client_id,
            })
        })?
        .map(Some)
        .map_err(module_failure)
    }

    /// The state to show when the VM itself is not at hand: `building` while a build is pending,
    /// else `unknown`.
    pub fn offline_state(&mut self) -> PhpResult<String> {
        Ok(self.links()?.offline_state().to_string())
    }
}

impl VirtualMachineService {
    fn links(&mut self) -> PhpResult<&ServiceLinks> {
        if self.links.is_none() {
            let service_id = self.service_id;
            let links = with_context(|ctx| {
                Ok::<_, ModuleError>(ServiceLinks::read(&ctx.store()?, service_id)?)
            })?
            .map_err(module_failure)?;
            self.links = Some(links);
        }
        Ok(self.links.as_ref().expect("just read"))
    }
}
