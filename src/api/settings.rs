//! How to reach the Katapult API: base URL, token, time-outs, extra CA, retry policy.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The public Katapult Core API v1.
pub const DEFAULT_API_URL: &str = "https://api.katapult.io/core/v1";

/// An API token. It is sent in the `Authorization` header and nowhere else: `Debug` and
/// `Display` print a redaction, so a token can never leak through a log line or an error.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ApiToken(String);

impl ApiToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// The token, for the one other place it may go: the list of strings WHMCS masks in its
    /// module log.
    pub fn expose_for_scrubbing(&self) -> String {
        self.0.clone()
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Retries with exponential backoff and full jitter (see `transport.rs` for what is retried).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest a call waits for the API's rate-limit window to turn (at the wall-clock
    /// minute) after a 429, and the longest pacing pauses before one request. A page keeps it
    /// short; the cron can wait a 429 out.
    pub rate_limited_wait: Duration,
}

impl Default for RetryPolicy {
    /// For a page: a 429 is not waited out.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            rate_limited_wait: Duration::from_millis(300),
        }
    }
}

impl RetryPolicy {
    /// This policy for the cron: it has time to wait a 429 out to the next minute.
    pub fn for_cron(self) -> Self {
        Self {
            rate_limited_wait: Duration::from_secs(61),
            ..self
        }
    }
}

/// Everything a `Client` is built from. Two equal settings share one pooled client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiSettings {
    pub base_url: String,
    pub token: ApiToken,
    /// The whole request, from connect to the last body byte.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// An extra CA bundle (PEM) trusted besides the system roots, for TLS-intercepting proxies
    /// and the simulator's self-signed CA.
    pub ca_file: Option<PathBuf>,
    pub retry: RetryPolicy,
}

impl ApiSettings {
    pub fn new(base_url: impl Into<String>, token: ApiToken) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            token,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            ca_file: None,
            retry: RetryPolicy::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_never_shows_in_debug_or_display() {
        let settings = ApiSettings::new(DEFAULT_API_URL, ApiToken::new("s3cret-token-value"));
        let printed = format!("{settings:?} {}", settings.token);
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(printed.contains("redacted"));
    }

    #[test]
    fn base_url_loses_trailing_slashes() {
        let settings = ApiSettings::new("http://127.0.0.1:9/core/v1//", ApiToken::new("t"));
        assert_eq!(settings.base_url, "http://127.0.0.1:9/core/v1");
    }
}
