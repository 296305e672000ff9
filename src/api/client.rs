//! The `Client` every resource module adds its calls to, and the per-process pool of clients.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;
use super::pagination::{Page, Pagination, PER_PAGE};
use super::settings::ApiSettings;
use super::transport::{RateLimit, Repeat, Transport};

/// A Katapult Core API v1 client. Cheap to share; calls block the calling thread.
pub struct Client {
    transport: Transport,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("settings", self.transport.settings())
            .finish()
    }
}

impl Client {
    /// A fresh client with its own connection pool. Prefer `Client::shared`.
    pub fn new(settings: ApiSettings) -> Result<Self, ApiError> {
        Ok(Self {
            transport: Transport::new(settings)?,
        })
    }

    /// The client for these settings in this process: PHP-FPM workers reuse connections (and TLS
    /// sessions) across requests this way. Keyed by the settings (base URL and token among them)
    /// and by process id: a child forked from a process that had clients gets new ones, because a
    /// client's connection pool and I/O thread do not survive `fork()`.
    pub fn shared(settings: &ApiSettings) -> Result<Arc<Self>, ApiError> {
        static POOL: Mutex<Option<ProcessPool>> = Mutex::new(None);
        let mut guard = POOL.lock().unwrap_or_else(|p| p.into_inner());
        let pid = std::process::id();
        if guard.as_ref().is_some_and(|pool| pool.pid != pid) {
            // Inherited across fork(): dropping these would wait on I/O threads that only exist in
            // the parent, so they are leaked on purpose (once per fork).
            std::mem::forget(guard.take());
        }
        let pool = guard.get_or_insert_with(|| ProcessPool {
            pid,
            clients: HashMap::new(),
        });
        if let Some(client) = pool.clients.get(settings) {
            return Ok(Arc::clone(client));
        }
        let client = Arc::new(Client::new(settings.clone())?);
        pool.clients.insert(settings.clone(), Arc::clone(&client));
        Ok(client)
    }

    pub fn settings(&self) -> &ApiSettings {
        self.transport.settings()
    }

    /// The API's rate-limit window as the last answer's `X-Ratelimit-*` headers said; None until
    /// an answer carried them (or once a window has passed since).
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.transport.rate_limit()
    }

    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: Vec<(String, String)>,
    ) -> Result<T, ApiError> {
        self.transport
            .call(Method::GET, path, &query, None, Repeat::Harmless)
    }

    pub(crate) fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Value,
        repeat: Repeat,
    ) -> Result<T, ApiError> {
        self.transport.call(method, path, &[], Some(&body), repeat)
    }

    /// Every item of a paginated list, page by page (REFERENCE §1.4), never cut at one page.
    pub(crate) fn get_all<P: Page + DeserializeOwned>(
        &self,
        path: &str,
        query: Vec<(String, String)>,
    ) -> Result<Vec<P::Item>, ApiError> {
        let mut items = Vec::new();
        let mut page_number = 1u32;
        loop {
            let mut page_query = query.clone();
            page_query.push(("page".into(), page_number.to_string()));
            page_query.push(("per_page".into(), PER_PAGE.to_string()));
            let page: P = self.get(path, page_query)?;
            let pagination: Pagination = page.pagination().clone();
            let fetched = page.into_items();
            let count = fetched.len();
            items.extend(fetched);
            if pagination.is_last(count) {
                return Ok(items);
            }
            page_number += 1;
        }
    }
}

struct ProcessPool {
    pid: u32,
    clients: HashMap<ApiSettings, Arc<Client>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::settings::ApiToken;

    #[test]
    fn shared_clients_are_reused_per_settings() {
        let a = ApiSettings::new("http://127.0.0.1:9/core/v1", ApiToken::new("one"));
        let b = ApiSettings::new("http://127.0.0.1:9/core/v1", ApiToken::new("two"));
        let first = Client::shared(&a).unwrap();
        assert!(Arc::ptr_eq(&first, &Client::shared(&a).unwrap()));
        assert!(!Arc::ptr_eq(&first, &Client::shared(&b).unwrap()));
    }

    #[test]
    fn unusable_settings_are_refused_with_a_reason() {
        let empty = ApiSettings::new("http://127.0.0.1:9/core/v1", ApiToken::new(" "));
        assert!(Client::new(empty)
            .unwrap_err()
            .to_string()
            .contains("token is empty"));
        let ftp = ApiSettings::new("ftp://example/core/v1", ApiToken::new("t"));
        assert!(Client::new(ftp)
            .unwrap_err()
            .to_string()
            .contains("must start with https://"));
        let mut missing_ca = ApiSettings::new("https://127.0.0.1:9/core/v1", ApiToken::new("t"));
        missing_ca.ca_file = Some("/nonexistent/ca.pem".into());
        assert!(Client::new(missing_ca)
            .unwrap_err()
            .to_string()
            .contains("katapult.ca_file"));
    }

    #[test]
    fn debug_output_hides_the_token() {
        let client = Client::new(ApiSettings::new(
            "http://127.0.0.1:9/core/v1",
            ApiToken::new("tok-secret-1"),
        ))
        .unwrap();
        assert!(!format!("{client:?}").contains("tok-secret-1"));
    }
}
