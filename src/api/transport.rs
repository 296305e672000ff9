//! One HTTP exchange with the API: headers, time-outs, retries, rate-limit pacing, decoding.
//!
//! What is retried (exponential backoff with full jitter, `RetryPolicy`):
//! - a failure to connect, for every method: the request never reached the API, so sending it
//!   again cannot do anything twice;
//! - a time-out, a dropped connection, 429, 502, 503 or 504, only for calls marked
//!   `Repeat::Harmless`: every GET, and the writes whose repetition changes nothing (power
//!   actions, console sessions, package changes, deletes, rDNS updates: each says so where it is
//!   called). Creating a build or a managed organization is `Repeat::Never`: a second attempt after
//!   an unanswered first one could build a second VM.
//!
//! The API's rate limit counts the token's requests per wall-clock minute (its `Date` clock),
//! shared with everything else using the token, and says only what is permitted and what
//! remains. Figures from an earlier minute count for nothing. A 429 means the request was not
//! carried out, so any call may be sent again once the minute turns: it waits that out when the
//! policy's `rate_limited_wait` allows (the cron), else fails at once (a page).

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;
use reqwest::{Client as HttpClient, RequestBuilder, Response};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::runtime::Runtime;

use super::error::{snippet, ApiError, ErrorEnvelope, ROUTE_NOT_FOUND};
use super::observer::{self, Exchange};
use super::scrub::without_quoted_values;
use super::settings::{ApiSettings, RetryPolicy};

/// Whether a call may be sent again after an answer was lost or refused for load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    Harmless,
    Never,
}

/// Below this share of the permitted requests left in the API's window, calls are spaced out.
const RATE_LIMIT_LOW_WATER: f64 = 0.1;
/// The API's rate-limit window: the wall-clock minute.
const RATE_LIMIT_WINDOW: Duration = Duration::from_secs(60);
/// The longest pause pacing adds before one request (less when the policy says so).
const MAX_PACING_DELAY: Duration = Duration::from_secs(2);
/// Waited past the minute's turn after a 429: the `Date` header counts whole seconds.
const WINDOW_TURN_MARGIN: Duration = Duration::from_millis(250);

/// The last `X-Ratelimit-*` figures seen: requests the API's window permits, and how many of
/// them are left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub permitted: u32,
    pub remaining: u32,
}

impl RateLimit {
    /// Whether `wanted` more requests fit in the window while `reserve` (a share of the
    /// permitted requests) stays unspent for others. A window that permits nothing is no
    /// limit one can pace by: it spares anything.
    pub fn spares(&self, wanted: u32, reserve: f64) -> bool {
        let kept = (f64::from(self.permitted) * reserve).ceil() as u32;
        self.permitted == 0 || self.remaining >= kept.saturating_add(wanted)
    }

    /// When few requests remain, spread them over the window rather than running into 429s.
    fn pacing_delay(&self) -> Duration {
        if self.permitted == 0 {
            return Duration::ZERO;
        }
        let low_water = (self.permitted as f64 * RATE_LIMIT_LOW_WATER).ceil() as u32;
        if self.remaining >= low_water {
            return Duration::ZERO;
        }
        let per_request = RATE_LIMIT_WINDOW.as_secs_f64() / self.permitted as f64;
        let steps = (low_water - self.remaining) as f64;
        Duration::from_secs_f64(per_request * steps).min(MAX_PACING_DELAY)
    }
}

/// Turns of a thread's runtime that take a request on a kept-alive connection onto the wire: the
/// exchange's two for the pool, then a third in which it hands the request over and the
/// connection's task writes it (a test checks that the request is out), and two to spare. Fewer
/// would only run the caller's `meanwhile` before the request leaves (the work then adding to
/// the wait rather than overlapping it), as it does for a connection still being made.
const SENDING_TURNS: usize = 5;

/// The rate-limit headers of an answer, and when it came.
struct RateLimitHeaders {
    permitted: u32,
    remaining: u32,
    /// The API's clock (`Date`).
    date: Option<SystemTime>,
    received: Instant,
}

impl RateLimitHeaders {
    fn of(response: &Response) -> Option<Self> {
        let header = |name: &str| {
            response
                .headers()
                .get(name)?
                .to_str()
                .ok()?
                .trim()
                .parse::<u32>()
                .ok()
        };
        Some(Self {
            permitted: header("x-ratelimit-permitted")?,
            remaining: header("x-ratelimit-remaining")?,
            date: response
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok()),
            received: Instant::now(),
        })
    }
}

/// The work a call runs while its answer is awaited, and then what it gave.
enum Meanwhile<F, R> {
    Waiting(F),
    Done(R),
    Running,
}

impl<F: FnOnce() -> R, R> Meanwhile<F, R> {
    /// Runs the work, the first time only.
    fn run(&mut self) {
        if !matches!(self, Meanwhile::Waiting(_)) {
            return;
        }
        if let Meanwhile::Waiting(work) = std::mem::replace(self, Meanwhile::Running) {
            *self = Meanwhile::Done(work());
        }
    }

    /// What the work gave, running it now if it has not run.
    fn outcome(self) -> R {
        match self {
            Meanwhile::Waiting(work) => work(),
            Meanwhile::Done(outcome) => outcome,
            // Only while `run` runs the work (a panic in it unwinds past any later use).
            Meanwhile::Running => unreachable!("the work is still running"),
        }
    }
}

/// What the last answer said of the rate limit, and until when it holds.
#[derive(Debug, Clone, Copy)]
struct SeenRateLimit {
    limit: RateLimit,
    received: Instant,
    /// When the API's minute that the answer was counted in ends.
    window_ends: Instant,
}

/// The HTTP side of a `Client`: a keep-alive connection pool and what it learned of rate limits.
///
/// Each thread that calls the API runs the exchanges itself, on a runtime of its own with a
/// connection pool of its own (`THREAD_HTTP`): a PHP worker's requests wait on their own
/// socket, as PHP's curl does, rather than hand every request and every part of its answer to
/// a runtime thread and wait to be woken back (two wake-ups a message on a busy machine). The
/// pool lives as long as the thread: for a PHP-FPM worker, across its requests.
pub(crate) struct Transport {
    settings: ApiSettings,
    /// Which of a thread's clients is this transport's.
    id: u64,
    /// The roots the API's certificate is checked against, besides the system's.
    roots: Vec<reqwest::Certificate>,
    rate_limit: Mutex<Option<SeenRateLimit>>,
}

/// A thread's runtimes and HTTP clients, one per transport it used.
type ThreadHttp = Vec<(u64, Runtime, HttpClient)>;

thread_local! {
    static THREAD_HTTP: RefCell<ThreadHttp> = const { RefCell::new(Vec::new()) };
}

impl Transport {
    pub(crate) fn new(settings: ApiSettings) -> Result<Self, ApiError> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        if settings.token.is_empty() {
            return Err(ApiError::Settings("the API token is empty".into()));
        }
        check_api_url(&settings.base_url).map_err(ApiError::Settings)?;
        let mut roots = Vec::new();
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                ApiError::Settings(format!(
                    "cannot read the CA file {} (katapult.ca_file): {e}",
                    path.display()
                ))
            })?;
            roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                ApiError::Settings(format!(
                    "the CA file {} is not a PEM bundle: {e}",
                    path.display()
                ))
            })?;
            if roots.is_empty() {
                return Err(ApiError::Settings(format!(
                    "the CA file {} holds no certificate",
                    path.display()
                )));
            }
        }
        let transport = Self {
            settings,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            roots,
            rate_limit: Mutex::new(None),
        };
        // Set up here on this thread, so that a setting HTTPS cannot work with is said now.
        transport.with_http(|_, _| ())?;
        Ok(transport)
    }

    /// Runs `work` with this thread's runtime and client for this transport, made the first time.
    fn with_http<T>(&self, work: impl FnOnce(&Runtime, &HttpClient) -> T) -> Result<T, ApiError> {
        THREAD_HTTP.with(|http| {
            let mut http = http.borrow_mut();
            let index = match http.iter().position(|(id, ..)| *id == self.id) {
                Some(index) => index,
                None => {
                    let made = self.make_http()?;
                    http.push((self.id, made.0, made.1));
                    http.len() - 1
                }
            };
            let (_, runtime, client) = &http[index];
            Ok(work(runtime, client))
        })
    }

    fn make_http(&self) -> Result<(Runtime, HttpClient), ApiError> {
        let settings = &self.settings;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ApiError::Settings(format!("cannot start the HTTP runtime: {e}")))?;
        let mut builder = HttpClient::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("katapult-whmcs-native/", env!("CARGO_PKG_VERSION")));
        for certificate in &self.roots {
            builder = builder.add_root_certificate(certificate.clone());
        }
        let client = {
            let _inside = runtime.enter();
            builder.build().map_err(|e| {
                ApiError::Settings(format!("cannot set up HTTPS: {}", error_chain(&e)))
            })?
        };
        Ok((runtime, client))
    }

    pub(crate) fn settings(&self) -> &ApiSettings {
        &self.settings
    }

    /// Sends one API call (retrying as the module doc says) and decodes a success body into `T`.
    pub(crate) fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        repeat: Repeat,
    ) -> Result<T, ApiError> {
        self.call_meanwhile(method, path, query, body, repeat, || ())
            .0
    }

    /// `call`, running `meanwhile` once while the first attempt's answer is awaited (its
    /// request sent), so that work which does not need the answer costs no time of its own
    /// beside the API's (a page's database write, say). When no request could be sent,
    /// `meanwhile` runs after the attempts all the same.
    pub(crate) fn call_meanwhile<T: DeserializeOwned, R>(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        repeat: Repeat,
        meanwhile: impl FnOnce() -> R,
    ) -> (Result<T, ApiError>, R) {
        let mut meanwhile = Meanwhile::Waiting(meanwhile);
        let url = format!("{}{}", self.settings.base_url, path);
        let policy = &self.settings.retry;
        let mut attempt = 1;
        let result = loop {
            self.pace();
            let outcome = self.exchange(&method, &url, query, body, &mut || meanwhile.run());
            let retry_delay = match &outcome {
                Err(_) if attempt >= policy.max_attempts => None,
                Err(failure) if failure.is_rate_limited() && self.window_spent() => self
                    .until_window_turns()
                    .filter(|wait| *wait <= policy.rate_limited_wait),
                Err(failure) if failure.may_retry(repeat) => Some(backoff(policy, attempt)),
                _ => None,
            };
            match (outcome, retry_delay) {
                (Err(_), Some(delay)) => {
                    std::thread::sleep(delay);
                    attempt += 1;
                }
                (Err(failure), None) => break Err(failure.into_error(&url, &self.settings)),
                (Ok(answer), _) => break answer.decode(&url),
            }
        };
        (result, meanwhile.outcome())
    }

    fn request(
        &self,
        http: &HttpClient,
        method: &Method,
        url: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> RequestBuilder {
        let mut request = http
            .request(method.clone(), url)
            .bearer_auth(self.settings.token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request
    }

    /// One attempt. The exchange runs as a task on this thread's runtime: the runtime is turned
    /// until the request is out, `meanwhile` runs (the runtime idle, the answer travelling), and
    /// the runtime is driven again until the answer is in.
    fn exchange(
        &self,
        method: &Method,
        url: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        meanwhile: &mut dyn FnMut(),
    ) -> Result<Answer, Failure> {
        let mut logged = None;
        let sent = Instant::now();
        let started = self.with_http(|runtime, http| {
            let request = self
                .request(http, method, url, query, body)
                .build()
                .map_err(Failure::from_reqwest)?;
            // The exchange is copied out for an observer (the module log) only when there is one.
            logged = observer::observing()
                .then(|| (request.url().to_string(), body.map(Value::to_string)));
            let http = http.clone();
            let exchange = runtime.spawn(async move {
                // The runtime is idle between calls: what the API did to pooled connections
                // meanwhile (closed one after its keep-alive time) is read first, so that a
                // closed connection leaves the pool rather than carry this request (a turn to
                // read the events, a turn for the connections to act on them).
                tokio::task::yield_now().await;
                tokio::task::yield_now().await;
                let response = http.execute(request).await.map_err(Failure::from_reqwest)?;
                let limit = RateLimitHeaders::of(&response);
                Ok((Answer::read(response).await?, limit))
            });
            // The exchange's turns, then the connection's turn to write the request out.
            runtime.block_on(async {
                for _ in 0..SENDING_TURNS {
                    tokio::task::yield_now().await;
                }
            });
            Ok(exchange)
        });
        // Outside `with_http`: `meanwhile` may make API calls of its own.
        meanwhile();
        let outcome = started
            .unwrap_or_else(|error| Err(Failure::Unsendable(error.to_string())))
            .and_then(
                |exchange| match self.with_http(|runtime, _| runtime.block_on(exchange)) {
                    Ok(Ok(outcome)) => outcome,
                    Ok(Err(failed)) => Err(Failure::Broken(failed.to_string())),
                    Err(error) => Err(Failure::Unsendable(error.to_string())),
                },
            )
            .map(|(answer, limit)| {
                self.note_rate_limit(limit, sent);
                answer
            });
        if let Some((url, request_body)) = &logged {
            let (status, response) = match &outcome {
                Ok(answer) => (
                    Some(answer.status.as_u16()),
                    std::borrow::Cow::Borrowed(answer.body.as_str()),
                ),
                Err(failure) => (None, std::borrow::Cow::Owned(failure.to_string())),
            };
            observer::report(&Exchange {
                method: method.as_str(),
                url,
                request_body: request_body.as_deref(),
                status,
                response: &response,
            });
        }
        let answer = outcome?;
        if matches!(answer.status.as_u16(), 429 | 502 | 503 | 504) {
            return Err(Failure::Overloaded(answer));
        }
        Ok(answer)
    }

    /// Keeps the answer's `X-Ratelimit-*` figures, and when the API's minute they were counted
    /// in ends (by the answer's `Date`, the API's clock; the local one without it). Answers to
    /// requests in flight together can arrive in another order than the API counted them; one
    /// whose request left before the figures kept were received, in the same minute, may be
    /// older than them, so the lower count of the two stands.
    fn note_rate_limit(&self, headers: Option<RateLimitHeaders>, sent: Instant) {
        let Some(RateLimitHeaders {
            permitted,
            mut remaining,
            date,
            received,
        }) = headers
        else {
            return;
        };
        let server_now = date.unwrap_or_else(SystemTime::now);
        let window_ends = received + until_minute_turns(server_now);
        let mut kept = self.rate_limit.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(last) = *kept {
            let apart = window_ends
                .saturating_duration_since(last.window_ends)
                .max(last.window_ends.saturating_duration_since(window_ends));
            let same_window = apart < Duration::from_secs(2);
            if sent < last.received && same_window && received < last.window_ends {
                remaining = remaining.min(last.limit.remaining);
            }
        }
        *kept = Some(SeenRateLimit {
            limit: RateLimit {
                permitted,
                remaining,
            },
            received,
            window_ends,
        });
    }

    /// The rate limit as last seen, while the API's minute it was counted in lasts; None before
    /// any answer carried the headers and once that minute is over.
    pub(crate) fn rate_limit(&self) -> Option<RateLimit> {
        self.seen_rate_limit()
            .filter(|seen| Instant::now() < seen.window_ends)
            .map(|seen| seen.limit)
    }

    fn seen_rate_limit(&self) -> Option<SeenRateLimit> {
        *self.rate_limit.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the last answer said the minute's budget is spent (a 429 with requests left is
    /// some other refusal for load, retried like a 503).
    fn window_spent(&self) -> bool {
        self.rate_limit().is_some_and(|limit| limit.remaining == 0)
    }

    /// How long until the API's current rate-limit minute is over (with a margin), as the last
    /// answer's `Date` tells; None before any answer did.
    pub(crate) fn until_window_turns(&self) -> Option<Duration> {
        self.seen_rate_limit().map(|seen| {
            seen.window_ends.saturating_duration_since(Instant::now()) + WINDOW_TURN_MARGIN
        })
    }

    fn pace(&self) {
        let delay = self.rate_limit().map_or(Duration::ZERO, |limit| {
            limit
                .pacing_delay()
                .min(self.settings.retry.rate_limited_wait)
        });
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
    }
}

impl Drop for Transport {
    /// This thread's runtime and pool for it go with it (other threads' go when they end).
    fn drop(&mut self) {
        let _ = THREAD_HTTP.try_with(|http| {
            if let Ok(mut http) = http.try_borrow_mut() {
                http.retain(|(id, ..)| *id != self.id);
            }
        });
    }
}

/// The API key travels to this URL: over TLS, or in the clear only to this machine (the
/// simulator, a local TLS-terminating proxy).
fn check_api_url(base_url: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(base_url)
        .map_err(|e| format!("the API URL `{base_url}` is not a URL: {e}"))?;
    let host = url.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" if !host.is_empty() => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(format!(
            "the API URL `{base_url}` is http://, which would send the API key unencrypted: use https://, or http:// only to this machine (127.0.0.1, ::1, localhost)"
        )),
        _ => Err(format!(
            "the API URL `{base_url}` must start with https:// (or http:// to this machine)"
        )),
    }
}

/// The largest body read: the biggest answer the client asks for (a page of VMs) is well under
/// a MiB; one larger is not the API's, and is not read into memory whole.
pub(crate) const MAX_BODY_BYTES: u64 = 4 * 1024 * 1024;

/// How long from `now` until the next wall-clock minute begins.
fn until_minute_turns(now: SystemTime) -> Duration {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let into_minute = Duration::from_millis((since_epoch.as_millis() % 60_000) as u64);
    RATE_LIMIT_WINDOW - into_minute
}

/// A complete HTTP answer.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    request_id: Option<String>,
    body: String,
    /// The body was larger than `MAX_BODY_BYTES` and left unread (`body` is empty).
    too_large: bool,
}

/// A success answer's body as the endpoint's type.
pub(crate) fn decode_success<T: DeserializeOwned>(
    body: &str,
    status: u16,
    request_id: Option<String>,
) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::InvalidBody {
        status,
        request_id,
        reason: without_quoted_values(&e.to_string()),
        snippet: snippet(body),
    })
}

impl Answer {
    async fn read(mut response: Response) -> Result<Self, Failure> {
        let status = response.status();
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let announced_too_large = response
            .content_length()
            .is_some_and(|length| length > MAX_BODY_BYTES);
        let mut bytes = Vec::new();
        if !announced_too_large {
            while let Some(chunk) = response.chunk().await.map_err(Failure::from_reqwest)? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() as u64 > MAX_BODY_BYTES {
                    break;
                }
            }
        }
        let too_large = announced_too_large || bytes.len() as u64 > MAX_BODY_BYTES;
        let body = if too_large {
            String::new()
        } else {
            String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        };
        Ok(Self {
            status,
            request_id,
            body,
            too_large,
        })
    }

    fn decode<T: DeserializeOwned>(self, url: &str) -> Result<T, ApiError> {
        if self.too_large {
            return Err(ApiError::InvalidBody {
                status: self.status.as_u16(),
                request_id: self.request_id,
                reason: format!(
                    "the answer is larger than {} MiB, so it was not read",
                    MAX_BODY_BYTES / 1024 / 1024
                ),
                snippet: String::new(),
            });
        }
        if self.status.is_success() {
            return decode_success(&self.body, self.status.as_u16(), self.request_id);
        }
        Err(self.into_error(url))
    }

    /// An error status: the API's envelope when there is one, else the start of whatever came.
    /// `route_not_found` names the URL asked for: the path, not an object, is what is missing.
    fn into_error(self, url: &str) -> ApiError {
        match serde_json::from_str::<ErrorEnvelope>(&self.body) {
            Ok(envelope) if envelope.error.code == ROUTE_NOT_FOUND => ApiError::NoSuchRoute {
                url: shown_url(url),
                status: self.status.as_u16(),
                description: envelope.error.description,
                request_id: self.request_id,
            },
            Ok(envelope) => ApiError::Api {
                status: self.status.as_u16(),
                body: Box::new(envelope.error),
                request_id: self.request_id,
            },
            Err(_) => ApiError::UnexpectedStatus {
                status: self.status.as_u16(),
                request_id: self.request_id,
                snippet: snippet(&self.body),
            },
        }
    }
}

/// Why one attempt did not produce a usable answer.
#[derive(Debug)]
enum Failure {
    /// The connection could not be made: nothing was sent.
    Connect(String),
    /// Sent, but no complete answer in time.
    Timeout,
    /// Sent, then the connection broke.
    Broken(String),
    /// An answer that says "try later": 429, 502, 503, 504.
    Overloaded(Answer),
    /// The request cannot be made at all (a token that is no header value, say): trying again
    /// cannot help.
    Unsendable(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Connect(reason) => write!(f, "no connection: {reason}"),
            Failure::Timeout => f.write_str("no answer in time"),
            Failure::Broken(reason) => write!(f, "connection broken: {reason}"),
            Failure::Overloaded(answer) => write!(f, "HTTP {}", answer.status),
            Failure::Unsendable(reason) => write!(f, "the request cannot be made: {reason}"),
        }
    }
}

impl Failure {
    fn from_reqwest(error: reqwest::Error) -> Self {
        // The URL is added (shortened) where the error is made.
        let error = error.without_url();
        if error.is_builder() {
            Failure::Unsendable(error_chain(&error))
        } else if error.is_timeout() {
            Failure::Timeout
        } else if error.is_connect() {
            Failure::Connect(error_chain(&error))
        } else {
            Failure::Broken(error_chain(&error))
        }
    }

    /// A 429: the API carried nothing out, so any call may go again once the window turns.
    fn is_rate_limited(&self) -> bool {
        matches!(self, Failure::Overloaded(answer) if answer.status == StatusCode::TOO_MANY_REQUESTS)
    }

    fn may_retry(&self, repeat: Repeat) -> bool {
        match self {
            Failure::Unsendable(_) => false,
            Failure::Connect(_) => true,
            _ => repeat == Repeat::Harmless,
        }
    }

    fn into_error(self, url: &str, settings: &ApiSettings) -> ApiError {
        match self {
            Failure::Connect(reason) | Failure::Broken(reason) => ApiError::Transport {
                url: shown_url(url),
                reason,
            },
            Failure::Unsendable(reason) => ApiError::InvalidRequest {
                url: shown_url(url),
                reason,
            },
            Failure::Timeout => ApiError::Timeout {
                url: shown_url(url),
                seconds: settings.timeout.as_secs().max(1),
            },
            Failure::Overloaded(answer) => answer.into_error(url),
        }
    }
}

/// An id from a caller can be megabytes long: messages carry the URL's beginning.
fn shown_url(url: &str) -> String {
    const URL_SHOWN: usize = 200;
    match url.char_indices().nth(URL_SHOWN) {
        Some((cut, _)) => format!("{}…", &url[..cut]),
        None => url.to_string(),
    }
}

/// Full jitter: a random wait in [0, min(max, base·2^(attempt-1))].
fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let ceiling = policy
        .base_delay
        .saturating_mul(1u32 << (attempt - 1).min(16))
        .min(policy.max_delay);
    ceiling.mul_f64(rand::rng().random_range(0.0..=1.0))
}

/// reqwest's `Display` hides the cause ("error sending request"); the chain names it
/// ("invalid peer certificate: UnknownIssuer", "Connection refused").
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    // reqwest's own top line repeats the URL the message already names.
    let top = error.to_string();
    if !top.starts_with("error sending request") {
        parts.push(top);
    }
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ApiToken;

    #[test]
    fn no_pacing_while_plenty_remain() {
        assert_eq!(
            RateLimit {
                permitted: 1000,
                remaining: 999
            }
            .pacing_delay(),
            Duration::ZERO
        );
        assert_eq!(
            RateLimit {
                permitted: 1000,
                remaining: 100
            }
            .pacing_delay(),
            Duration::ZERO
        );
        assert_eq!(
            RateLimit {
                permitted: 0,
                remaining: 0
            }
            .pacing_delay(),
            Duration::ZERO
        );
    }

    #[test]
    fn pacing_grows_as_the_budget_runs_out_and_is_capped() {
        let some = RateLimit {
            permitted: 1000,
            remaining: 90,
        }
        .pacing_delay();
        let more = RateLimit {
            permitted: 1000,
            remaining: 10,
        }
        .pacing_delay();
        assert!(some > Duration::ZERO && more > some, "{some:?} {more:?}");
        assert_eq!(
            RateLimit {
                permitted: 10,
                remaining: 0
            }
            .pacing_delay(),
            MAX_PACING_DELAY
        );
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(3),
            ..RetryPolicy::default()
        };
        for attempt in 1..6 {
            let d = backoff(&policy, attempt);
            assert!(
                d <= Duration::from_millis(100 * (1 << (attempt - 1))).min(policy.max_delay),
                "{attempt}: {d:?}"
            );
        }
    }

    #[test]
    fn the_window_turns_at_the_wall_clock_minute() {
        let at = |secs: u64| UNIX_EPOCH + Duration::from_millis(secs);
        assert_eq!(until_minute_turns(at(120_000)), Duration::from_secs(60));
        assert_eq!(until_minute_turns(at(178_000)), Duration::from_secs(2));
        assert_eq!(until_minute_turns(at(179_999)), Duration::from_millis(1));
    }

    #[test]
    fn only_a_429_is_rate_limited() {
        let answer = |status| Answer {
            status,
            request_id: None,
            body: String::new(),
            too_large: false,
        };
        assert!(Failure::Overloaded(answer(StatusCode::TOO_MANY_REQUESTS)).is_rate_limited());
        assert!(!Failure::Overloaded(answer(StatusCode::SERVICE_UNAVAILABLE)).is_rate_limited());
        assert!(!Failure::Timeout.is_rate_limited());
    }

    #[test]
    fn only_connect_failures_retry_unrepeatable_calls() {
        assert!(Failure::Connect("refused".into()).may_retry(Repeat::Never));
        assert!(!Failure::Timeout.may_retry(Repeat::Never));
        assert!(!Failure::Broken("reset".into()).may_retry(Repeat::Never));
        assert!(Failure::Timeout.may_retry(Repeat::Harmless));
    }

    #[test]
    fn an_undecodable_success_answer_names_no_password() {
        // A VM with a short name: its root password is within the first 200 characters.
        let body = r#"{"virtual_machine":{"id":"vm_1","name":"a","fqdn":"a.katapult.cloud","initial_root_password":"Hunter2-root-pw","state":"#;
        let answer = Answer {
            status: StatusCode::OK,
            request_id: None,
            body: body.into(),
            too_large: false,
        };
        let error = answer
            .decode::<crate::api::virtual_machines::VirtualMachine>(
                "https://api.katapult.io/core/v1/virtual_machines/_",
            )
            .unwrap_err()
            .to_string();
        assert!(!error.contains("Hunter2-root-pw"), "{error}");
        assert!(error.contains("\"id\":\"vm_1\""), "{error}");
    }

    #[test]
    fn the_key_goes_in_the_clear_only_to_this_machine() {
        for allowed in [
            "https://api.katapult.io/core/v1",
            "http://127.0.0.1:9000/core/v1",
            "http://127.8.9.10/core/v1",
            "http://[::1]:9000/core/v1",
            "http://localhost:9000/core/v1",
        ] {
            assert_eq!(check_api_url(allowed), Ok(()), "{allowed}");
        }
        for refused in [
            "http://api.katapult.io/core/v1",
            "http://10.0.0.1/core/v1",
            "http://localhost.attacker.example/core/v1",
            "ftp://127.0.0.1/core/v1",
            "api.katapult.io/core/v1",
        ] {
            assert!(check_api_url(refused).is_err(), "{refused}");
        }
        assert!(check_api_url("http://evil.example/core/v1")
            .unwrap_err()
            .contains("unencrypted"));
    }

    /// A one-connection HTTP server answering `{}` to each request, telling when each arrived.
    fn answering_server() -> (String, std::sync::mpsc::Receiver<()>) {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/core/v1", listener.local_addr().unwrap());
        let (arrived, arrivals) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            loop {
                let mut line = String::new();
                while line != "\r\n" {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                }
                let _ = arrived.send(());
                let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
                writer.write_all(answer.as_bytes()).unwrap();
            }
        });
        (url, arrivals)
    }

    #[test]
    fn the_work_meanwhile_runs_once_the_request_is_out_and_before_its_answer_is_read() {
        let (url, arrivals) = answering_server();
        let transport = Transport::new(ApiSettings::new(url, ApiToken::new("t"))).unwrap();
        // The first request opens the connection the next one is sent on.
        let _: Value = transport
            .call(Method::GET, "/ping", &[], None, Repeat::Harmless)
            .unwrap();
        arrivals.recv().unwrap();
        let (answer, arrived_meanwhile) = transport.call_meanwhile::<Value, _>(
            Method::GET,
            "/virtual_machines/_",
            &[],
            None,
            Repeat::Harmless,
            // Waits for the server to have the request: it never does if it is sent afterwards.
            || arrivals.recv_timeout(Duration::from_secs(10)).is_ok(),
        );
        assert!(arrived_meanwhile, "the request was out while the work ran");
        assert_eq!(answer.unwrap(), serde_json::json!({}));
    }

    #[test]
    fn the_work_meanwhile_runs_once_even_when_nothing_could_be_sent() {
        let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/core/v1", unused.local_addr().unwrap());
        drop(unused);
        let mut settings = ApiSettings::new(url, ApiToken::new("t"));
        settings.retry.max_attempts = 3;
        settings.retry.base_delay = Duration::from_millis(1);
        settings.retry.max_delay = Duration::from_millis(2);
        let transport = Transport::new(settings).unwrap();
        let runs = std::cell::Cell::new(0);
        let (answer, ran) = transport.call_meanwhile::<Value, _>(
            Method::GET,
            "/ping",
            &[],
            None,
            Repeat::Harmless,
            || {
                runs.set(runs.get() + 1);
                "ran"
            },
        );
        assert!(
            matches!(answer, Err(ApiError::Transport { .. })),
            "{answer:?}"
        );
        assert_eq!((ran, runs.get()), ("ran", 1));
    }
}
