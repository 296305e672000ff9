//! Fault injection for `/core/v1` requests: latency, error statuses, hangs,
//! malformed bodies and connection resets.

use rand::Rng;
use rand_chacha::ChaCha12Rng;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Faults to inject. `Default` injects nothing. Deserialises from the JSON that
/// `PUT /_sim/faults` takes (less its `fail_builds`, see `Simulator::set_fail_builds`);
/// missing fields take their defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every response.
    pub latency_ms: u64,
    /// Uniform random extra latency in `0..=jitter_ms`.
    pub jitter_ms: u64,
    /// Error responses per endpoint; the first rule that fires wins.
    pub errors: Vec<ErrorRule>,
    /// Probability that a response is held back for `hang_ms` (so clients time out).
    pub hang_rate: f64,
    pub hang_ms: u64,
    /// Probability of a 200 whose JSON body is cut in half.
    pub malformed_rate: f64,
    /// Probability that the connection is dropped without any response.
    pub reset_rate: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency_ms: 0,
            jitter_ms: 0,
            errors: Vec::new(),
            hang_rate: 0.0,
            hang_ms: 60_000,
            malformed_rate: 0.0,
            reset_rate: 0.0,
        }
    }
}

/// `endpoint` is a glob (`*` matches anything, including `/`) over the path below
/// `/core/v1`, optionally prefixed by a method: `"*"`, `"/virtual_machines/*"`,
/// `"POST /organizations/*/virtual_machines/build"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorRule {
    pub endpoint: String,
    pub probability: f64,
    /// 500, 502, 503, 429 or 403. A 403 is the operation's own permission failure
    /// (`permission_denied` or `scope_not_granted`), and only fires on operations
    /// that need a scope, for a request with a valid token.
    pub status: u16,
}

pub const ERROR_STATUSES: [u16; 5] = [500, 502, 503, 429, 403];

impl Faults {
    pub fn validate(&self) -> Result<(), String> {
        let rates = [
            ("hang_rate", self.hang_rate),
            ("malformed_rate", self.malformed_rate),
            ("reset_rate", self.reset_rate),
        ];
        let rules = self
            .errors
            .iter()
            .map(|r| ("errors[].probability", r.probability));
        for (name, p) in rates.into_iter().chain(rules) {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("{name} must be between 0 and 1, got {p}"));
            }
        }
        match self
            .errors
            .iter()
            .find(|r| !ERROR_STATUSES.contains(&r.status))
        {
            Some(r) => Err(format!(
                "errors[].status must be one of {ERROR_STATUSES:?}, got {}",
                r.status
            )),
            None => Ok(()),
        }
    }

    /// Rolls the dice for one request. `path` is below `/core/v1`.
    pub fn decide(&self, rng: &mut ChaCha12Rng, method: &str, path: &str) -> Decision {
        let jitter = if self.jitter_ms > 0 {
            rng.random_range(0..=self.jitter_ms)
        } else {
            0
        };
        let latency = Duration::from_millis(self.latency_ms + jitter);
        let action = if roll(rng, self.reset_rate) {
            Some(Action::Reset)
        } else if let Some(rule) = self
            .errors
            .iter()
            .filter(|r| r.matches(method, path))
            .find(|r| roll(rng, r.probability))
        {
            Some(match rule.status {
                403 => Action::Forbid,
                status => Action::Error(status),
            })
        } else if roll(rng, self.hang_rate) {
            Some(Action::Hang(Duration::from_millis(self.hang_ms)))
        } else if roll(rng, self.malformed_rate) {
            Some(Action::Malformed)
        } else {
            None
        };
        Decision { latency, action }
    }
}

fn roll(rng: &mut ChaCha12Rng, p: f64) -> bool {
    p > 0.0 && rng.random::<f64>() < p
}

impl ErrorRule {
    fn matches(&self, method: &str, path: &str) -> bool {
        let pattern = self.endpoint.trim();
        match pattern.split_once(' ') {
            Some((m, p)) => m.eq_ignore_ascii_case(method) && glob(p.trim(), path),
            None => glob(pattern, path),
        }
    }
}

fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|i| tail.is_char_boundary(*i))
                .any(|i| glob(rest, &tail[i..]))
        }
    }
}

pub struct Decision {
    pub latency: Duration,
    pub action: Option<Action>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    Reset,
    Error(u16),
    /// A 403; only the API layer knows the operation, and so whether and how it
    /// refuses (see `permissions`).
    Forbid,
    Hang(Duration),
    Malformed,
}

/// Request extension: the dice said 403 for this request.
#[derive(Debug, Clone, Copy)]
pub struct InjectForbidden;

impl Action {
    /// The key this fault is counted under in `Stats::faults`.
    pub fn kind(&self) -> String {
        match self {
            Action::Reset => "reset".into(),
            Action::Error(s) => format!("error_{s}"),
            Action::Forbid => "error_403".into(),
            Action::Hang(_) => "hang".into(),
            Action::Malformed => "malformed".into(),
        }
    }
}

/// What an nginx-style proxy in front of the API sends for a 502: HTML, not JSON.
pub const BAD_GATEWAY_HTML: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let r = |e: &str| ErrorRule {
            endpoint: e.into(),
            probability: 1.0,
            status: 500,
        };
        assert!(r("*").matches("GET", "/organizations"));
        assert!(r("/virtual_machines/*").matches("POST", "/virtual_machines/_/start"));
        assert!(r("POST /virtual_machines/*/start").matches("POST", "/virtual_machines/_/start"));
        assert!(!r("GET /virtual_machines/*/start").matches("POST", "/virtual_machines/_/start"));
        assert!(!r("/organizations").matches("GET", "/organizations/_"));
    }

    #[test]
    fn a_403_rule_forbids() {
        let f = Faults {
            errors: vec![ErrorRule {
                endpoint: "*".into(),
                probability: 1.0,
                status: 403,
            }],
            ..Faults::default()
        };
        assert!(f.validate().is_ok());
        let mut rng = rand::SeedableRng::seed_from_u64(1);
        let d = f.decide(&mut rng, "GET", "/organizations");
        assert_eq!(d.action, Some(Action::Forbid));
        assert_eq!(Action::Forbid.kind(), "error_403");
    }

    #[test]
    fn validation() {
        let mut f = Faults::default();
        assert!(f.validate().is_ok());
        f.reset_rate = 1.5;
        assert!(f.validate().is_err());
        f.reset_rate = 0.0;
        f.errors.push(ErrorRule {
            endpoint: "*".into(),
            probability: 1.0,
            status: 404,
        });
        assert!(f.validate().is_err());
    }
}
