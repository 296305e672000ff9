//! What every module function works with: the database, WHMCS, the API settings and the clock;
//! and the one error type module functions report.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::host::Host;
use super::settings::{ModuleSettings, SettingsError};
use crate::api::observer::{observe, Exchange, Observer};
use crate::api::organizations::OrganizationRef;
use crate::api::scrub::without_secrets;
use crate::api::{ApiError, ApiSettings, Client};
use crate::store::datastore::Preloaded;
use crate::store::live_reads::LiveReads;
use crate::store::service_reads::{setting_is_on, ServiceReads, MODULE_DEBUG_SETTING};
use crate::store::{DataStore, Sql, SqlValue, StoreError};

/// Why a module function could not do its job, each with what the provider can do about it.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    #[error("The Katapult API key is not set: set it on the Other tab of a Katapult product (Setup › Products/Services).")]
    NoApiKey,
    #[error("{0}")]
    Settings(#[from] SettingsError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Api(#[from] ApiError),
    /// The product is not set up to do this (a missing package, data center, template).
    #[error("{0}")]
    Product(String),
    #[error("The API key reaches no organization of its own to build in: set the parent organization on the Other tab of a Katapult product.")]
    NoParentOrganization,
}

impl crate::store::MaybeTransient for ModuleError {
    /// A database conflict worth one more try (see `SqlError::is_transient`).
    fn is_transient(&self) -> bool {
        matches!(self, ModuleError::Store(StoreError::Sql(error)) if error.is_transient())
    }
}

impl From<crate::store::SqlError> for ModuleError {
    fn from(error: crate::store::SqlError) -> Self {
        ModuleError::Store(error.into())
    }
}

pub struct Context<'a> {
    pub sql: &'a dyn Sql,
    pub host: &'a dyn Host,
    /// From the INI settings; the token comes from the module settings.
    pub api: ApiSettings,
    pub now: DateTime<Utc>,
    /// The datastore's table was checked in this context (once per module call is enough).
    store_checked: Cell<bool>,
    /// The same for the client area's tables of live reads.
    live_reads_checked: Cell<bool>,
    /// Datastore items read ahead with the rest of a page (`read_service`).
    preloaded: RefCell<Option<Arc<Preloaded>>>,
    /// WHMCS's module debug logging switch, read once per module call.
    module_logging: Cell<Option<bool>>,
}

impl<'a> Context<'a> {
    pub fn new(sql: &'a dyn Sql, host: &'a dyn Host, api: ApiSettings, now: DateTime<Utc>) -> Self {
        Self {
            sql,
            host,
            api,
            now,
            store_checked: Cell::new(false),
            live_reads_checked: Cell::new(false),
            preloaded: RefCell::new(None),
            module_logging: Cell::new(None),
        }
    }

    pub fn store(&self) -> Result<DataStore<'a>, ModuleError> {
        if let Some(preloaded) = self.preloaded.borrow().as_ref() {
            return Ok(DataStore::with_preloaded(self.sql, preloaded.clone()));
        }
        if self.store_checked.get() {
            return Ok(DataStore::checked(self.sql));
        }
        let store = DataStore::open(self.sql)?;
        self.store_checked.set(true);
        Ok(store)
    }

    /// The client area's last VM reads and live-read budgets.
    pub fn live_reads(&self) -> Result<LiveReads<'a>, ModuleError> {
        if self.live_reads_checked.get() {
            return Ok(LiveReads::checked(self.sql));
        }
        let reads = LiveReads::open(self.sql)?;
        self.live_reads_checked.set(true);
        Ok(reads)
    }

    /// What a page reads about a service of a client, in one statement; the datastore's reads of
    /// the service and the module are then served from it for the rest of this call (until a
    /// write). Before the module's first use, when its tables are missing, the reads one by one
    /// (which make them).
    pub fn read_service(
        &self,
        service_id: u64,
        client_id: u64,
    ) -> Result<ServiceReads, ModuleError> {
        if let Ok(reads) = ServiceReads::read(self.sql, service_id, client_id) {
            self.store_checked.set(true);
            self.live_reads_checked.set(true);
            self.module_logging.set(Some(reads.module_debug_logging));
            *self.preloaded.borrow_mut() = Some(reads.items.clone());
            return Ok(reads);
        }
        let live_reads = self.live_reads()?;
        Ok(ServiceReads {
            status: super::client_request::service_status(self, service_id)?,
            module_debug_logging: self.module_logging(),
            items: Arc::default(),
            vm_read: live_reads.last(service_id)?,
            spending: live_reads.spent().spending(client_id)?,
        })
    }

    /// Whether WHMCS's module debug logging is on (`logModuleCall` writes nothing otherwise).
    /// When the setting cannot be read, on: WHMCS's `logModuleCall` then decides.
    fn module_logging(&self) -> bool {
        if let Some(on) = self.module_logging.get() {
            return on;
        }
        let on = self
            .sql
            .query(
                "SELECT value FROM tblconfiguration WHERE setting = ?",
                &[MODULE_DEBUG_SETTING.into()],
            )
            .map(|rows| {
                let value = rows
                    .first()
                    .and_then(|row| row.first())
                    .and_then(SqlValue::as_text);
                setting_is_on(value)
            })
            .unwrap_or(true);
        self.module_logging.set(Some(on));
        on
    }

    /// A client with the stored API key.
    pub fn client(&self, store: &DataStore<'_>) -> Result<Arc<Client>, ModuleError> {
        let token = ModuleSettings::new(store, self.host)
            .api_key(self.now)?
            .ok_or(ModuleError::NoApiKey)?;
        self.client_with(token)
    }

    /// A client with a given key (to validate a key before it is saved).
    pub fn client_with(&self, token: crate::api::ApiToken) -> Result<Arc<Client>, ModuleError> {
        let mut settings = self.api.clone();
        settings.token = token;
        Ok(Client::shared(&settings)?)
    }

    /// A line in the client's activity log about one service: `[Katapult] Service ID N: …`.
    pub fn log_for_service(&self, service_id: u64, client_id: Option<u64>, message: &str) {
        self.host.log_activity(
            &format!("[Katapult] Service ID {service_id}: {message}"),
            client_id,
        );
    }

    /// Fires a custom hook with the service's object; hook code failing is logged, never fatal.
    pub fn fire_hook(&self, hook: &str, service_id: u64, client_id: Option<u64>) {
        // Hook code may write the datastore through its own connection to the module.
        self.preloaded.borrow_mut().take();
        if let Err(error) = self.host.fire_hook(hook, service_id) {
            self.log_for_service(
                service_id,
                client_id,
                &format!("hook {hook} failed: {error}"),
            );
        }
    }

    /// Runs `work`, logging each API exchange it makes to WHMCS's module log, with the API key
    /// masked by WHMCS and root passwords removed here; only when module debug logging is on.
    pub fn logged<T>(&self, client: &Client, work: impl FnOnce() -> T) -> T {
        if !self.module_logging() {
            return work();
        }
        let log = ModuleLog {
            host: self.host,
            token: client.settings().token.expose_for_scrubbing(),
        };
        observe(&log, work)
    }

    /// The annotation marking a Katapult object as this installation's WHMCS `kind` (a service,
    /// a client): `whmcs_service_id` = `<installation id>/<id>`.
    pub fn whmcs_annotation(
        &self,
        store: &DataStore<'_>,
        key: &str,
        id: u64,
    ) -> Result<crate::api::Annotation, ModuleError> {
        let installation = ModuleSettings::new(store, self.host).installation_id(self.now)?;
        Ok(crate::api::Annotation::new(
            key,
            format!("{installation}/{id}"),
        ))
    }

    /// The parent organization: the stored one, or the token's own (not managed) organization,
    /// which is then stored, as the PHP module does for organization keys.
    pub fn parent_organization(
        &self,
        store: &DataStore<'_>,
        client: &Client,
    ) -> Result<OrganizationRef, ModuleError> {
        let settings = ModuleSettings::new(store, self.host);
        if let Some(parent) = settings.parent_organization()? {
            return Ok(OrganizationRef::from(parent.as_str()));
        }
        let own = client
            .organizations()?
            .into_iter()
            .find(|o| o.managed != Some(true))
            .ok_or(ModuleError::NoParentOrganization)?;
        settings.set_parent_organization(&own.id, self.now)?;
        Ok(OrganizationRef::Id(own.id))
    }
}

impl Context<'_> {
    /// Logs exchanges recorded on other threads, as `logged` does for this one's.
    pub fn log_recorded(
        &self,
        client: &Client,
        exchanges: &[crate::api::observer::RecordedExchange],
    ) {
        if !self.module_logging() {
            return;
        }
        let log = ModuleLog {
            host: self.host,
            token: client.settings().token.expose_for_scrubbing(),
        };
        for exchange in exchanges {
            log.exchange(&exchange.as_exchange());
        }
    }
}

struct ModuleLog<'a> {
    host: &'a dyn Host,
    token: String,
}

impl Observer for ModuleLog<'_> {
    fn exchange(&self, exchange: &Exchange<'_>) {
        let path = exchange
            .url
            .split("/core/v1")
            .nth(1)
            .unwrap_or(exchange.url)
            .split('?')
            .next()
            .unwrap_or_default();
        let action = format!("{} {path}", exchange.method);
        let request = match exchange.request_body {
            Some(body) => format!("{} {}\n\n{body}", exchange.method, exchange.url),
            None => format!("{} {}", exchange.method, exchange.url),
        };
        let status = exchange
            .status
            .map(|s| format!("HTTP {s}"))
            .unwrap_or_else(|| "no answer".into());
        let response = format!("{status}\n\n{}", without_secrets(exchange.response));
        self.host
            .log_module_call(&action, &request, &response, &[self.token.as_str()]);
    }
}
