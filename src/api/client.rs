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
        guard
            .get_or_insert_with(|| ProcessPool::new(pid))
            .client(settings)
    }

    pub fn settings(&self) -> &ApiSettings {
        self.transport.settings()
    }

    /// The API's rate-limit window as the last answer's `X-Ratelimit-*` headers said; None until
    /// an answer carried them (or once a window has passed since).
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.transport.rate_limit()
    }

    /// How long until the rate-limit minute the last answer was counted in is over; None
    /// before any answer.
    pub fn until_rate_limit_window_turns(&self) -> Option<std::time::Duration> {
        self.transport.until_window_turns()
    }

    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: Vec<(String, String)>,
    ) -> Result<T, ApiError> {
        self.transport
            .call(Method::GET, path, &query, None, Repeat::Harmless)
    }

    /// `get`, running `meanwhile` while the answer is on its way.
    pub(crate) fn get_meanwhile<T: DeserializeOwned, R>(
        &self,
        path: &str,
        query: Vec<(String, String)>,
        meanwhile: impl FnOnce() -> R,
    ) -> (Result<T, ApiError>, R) {
        self.transport
            .call_meanwhile(Method::GET, path, &query, None, Repeat::Harmless, meanwhile)
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

    /// Every item of a paginated list, page by page (`page`/`per_page`, until `pagination.total_pages`), never cut at one page.
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

/// The most clients one process keeps. WHMCS uses one key, so one is the rule; a PHP developer's
/// script going through many keys would otherwise keep a client (and its I/O thread) per key.
const MAX_SHARED_CLIENTS: usize = 8;

/// A process's clients, each with when it was last handed out (a count, not a time).
struct ProcessPool {
    pid: u32,
    clients: HashMap<ApiSettings, (Arc<Client>, u64)>,
    handed_out: u64,
}

impl ProcessPool {
    fn new(pid: u32) -> Self {
        Self {
            pid,
            clients: HashMap::new(),
            handed_out: 0,
        }
    }

    /// The client for these settings, made when missing; past `MAX_SHARED_CLIENTS`, the one
    /// least recently handed out is let go (its holders keep it until they drop it).
    fn client(&mut self, settings: &ApiSettings) -> Result<Arc<Client>, ApiError> {
        self.handed_out += 1;
        if let Some((client, last)) = self.clients.get_mut(settings) {
            *last = self.handed_out;
            return Ok(Arc::clone(client));
        }
        let client = Arc::new(Client::new(settings.clone())?);
        if self.clients.len() >= MAX_SHARED_CLIENTS {
            let stalest = self
                .clients
                .iter()
                .min_by_key(|(_, (_, last))| *last)
                .map(|(settings, _)| settings.clone());
            if let Some(stalest) = stalest {
                self.clients.remove(&stalest);
            }
        }
        self.clients
            .insert(settings.clone(), (Arc::clone(&client), self.handed_out));
        Ok(client)
    }
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
    fn a_process_keeps_a_bounded_number_of_clients_and_lets_the_stalest_go() {
        let settings = |n: usize| {
            ApiSettings::new(
                "http://127.0.0.1:9/core/v1",
                ApiToken::new(format!("key-{n}")),
            )
        };
        let mut pool = ProcessPool::new(std::process::id());
        let held: Vec<_> = (0..MAX_SHARED_CLIENTS)
            .map(|n| pool.client(&settings(n)).unwrap())
            .collect();
        // Keys 0, 1 and 2 are used again, so key 3 is now the stalest.
        for (n, client) in held.iter().enumerate().take(3) {
            assert!(Arc::ptr_eq(client, &pool.client(&settings(n)).unwrap()));
        }
        pool.client(&settings(MAX_SHARED_CLIENTS)).unwrap();
        assert_eq!(pool.clients.len(), MAX_SHARED_CLIENTS);
        assert!(
            !pool.clients.contains_key(&settings(3)),
            "the stalest is let go"
        );
        for n in (0..MAX_SHARED_CLIENTS + 1).filter(|&n| n != 3) {
            assert!(pool.clients.contains_key(&settings(n)), "key {n}");
        }
        // Its holder keeps it; asked for again, the pool makes a new one.
        assert_eq!(Arc::strong_count(&held[3]), 1);
        assert!(!Arc::ptr_eq(&held[3], &pool.client(&settings(3)).unwrap()));
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
