//! Counters a test or demo can read back through `Simulator::stats()` or `GET /_sim/stats`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Stats {
    /// Every request to `/core/v1`, including faulted ones.
    pub total_requests: u64,
    /// Requests that reached a route, keyed by `"METHOD /route/:param"`.
    pub requests: BTreeMap<String, u64>,
    /// Responses the API produced, by HTTP status (faults excluded).
    pub responses_by_status: BTreeMap<u16, u64>,
    /// Injected faults by kind: `latency`, `error_500`, `error_502`, `error_503`,
    /// `error_429`, `error_403`, `hang`, `malformed`, `reset`.
    pub faults: BTreeMap<String, u64>,
    /// Builds accepted, keyed by their `whmcs_service_id` annotation value.
    pub builds_by_whmcs_service_id: BTreeMap<String, u64>,
    /// Builds accepted (failing ones included).
    pub builds_created: u64,
    /// Builds accepted that end in `failed` (by `fail_builds` or `fail_builds_after_vm`),
    /// counted when accepted.
    pub builds_failed: u64,
    pub managed_organizations_created: u64,
    /// Requests counted against the rate limit (all tokens), keyed by the wall-clock minute
    /// they fell in (Unix seconds / 60, as text): a client's pace, read against the limit.
    #[serde(default)]
    pub requests_per_minute: BTreeMap<String, u64>,
}
