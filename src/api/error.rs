//! Every way a Katapult API call can fail, each with a message a provider can act on.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::scrub::without_secrets;

/// The API's error envelope: `{"error":{"code","description","detail"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    #[serde(default)]
    pub description: String,
    /// Always an object on the wire; its shape depends on the code.
    #[serde(default)]
    pub detail: Value,
}

/// A Katapult API failure.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The API answered with its error envelope.
    #[error("Katapult API error {}: {}{} (HTTP {status}{})", .body.code, .body.description, detail_suffix(&.body.detail), request_suffix(.request_id))]
    Api {
        status: u16,
        /// Boxed: by far the largest variant.
        body: Box<ErrorBody>,
        request_id: Option<String>,
    },

    /// The API has no route for the request (`route_not_found`): the API URL is wrong or a proxy
    /// rewrites paths. A configuration error, never "the object does not exist".
    #[error("the Katapult API has no route for {url} ({description}; HTTP {status}{}): check the API URL (katapult.api_url), which ends in /core/v1, and that no proxy rewrites paths", request_suffix(.request_id))]
    NoSuchRoute {
        url: String,
        status: u16,
        description: String,
        request_id: Option<String>,
    },

    /// No connection: DNS, refused, reset, TLS.
    #[error("could not reach the Katapult API at {url}: {reason}. Check the API URL (katapult.api_url), DNS, the firewall and, for a private CA, katapult.ca_file")]
    Transport { url: String, reason: String },

    /// The request cannot be made at all: nothing was sent, and trying again cannot help.
    #[error("a request to the Katapult API at {url} cannot be made: {reason}. Check the API key (pasted whole, without line breaks) and the id given")]
    InvalidRequest { url: String, reason: String },

    /// No (complete) answer in time.
    #[error("the Katapult API at {url} did not answer within {seconds} s; it may be slow or unreachable. Try again, or raise katapult.timeout")]
    Timeout { url: String, seconds: u64 },

    /// A success status whose body is not the JSON this endpoint returns.
    #[error("the Katapult API sent a response that could not be read (HTTP {status}{}): {reason}; body starts: {snippet}", request_suffix(.request_id))]
    InvalidBody {
        status: u16,
        request_id: Option<String>,
        reason: String,
        snippet: String,
    },

    /// An error status without the API's error envelope (a proxy's HTML page, say).
    #[error("unexpected HTTP {status} from the Katapult API{}; body starts: {snippet}", request_suffix(.request_id))]
    UnexpectedStatus {
        status: u16,
        request_id: Option<String>,
        snippet: String,
    },

    /// The settings themselves are unusable (empty token, unreadable CA file, bad URL).
    #[error("invalid Katapult API settings: {0}")]
    Settings(String),
}

impl ApiError {
    /// The API's error code (`virtual_machine_not_found`, …), when the API sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Api { body, .. } => Some(&body.code),
            ApiError::NoSuchRoute { .. } => Some(ROUTE_NOT_FOUND),
            _ => None,
        }
    }

    /// A stable name for the failure: the API's code, or what went wrong on the way to it.
    pub fn kind(&self) -> &str {
        match self {
            ApiError::Api { body, .. } => &body.code,
            ApiError::NoSuchRoute { .. } => ROUTE_NOT_FOUND,
            ApiError::Transport { .. } => "transport_error",
            ApiError::InvalidRequest { .. } => "invalid_request",
            ApiError::Timeout { .. } => "timeout",
            ApiError::InvalidBody { .. } => "invalid_response",
            ApiError::UnexpectedStatus { .. } => "unexpected_status",
            ApiError::Settings(_) => "invalid_settings",
        }
    }

    /// The API's error detail (`{}` when there is none).
    pub fn detail(&self) -> Value {
        match self {
            ApiError::Api { body, .. } => body.detail.clone(),
            _ => Value::Object(Default::default()),
        }
    }

    /// The HTTP status, when there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Api { status, .. }
            | ApiError::NoSuchRoute { status, .. }
            | ApiError::InvalidBody { status, .. }
            | ApiError::UnexpectedStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Api { request_id, .. }
            | ApiError::NoSuchRoute { request_id, .. }
            | ApiError::InvalidBody { request_id, .. }
            | ApiError::UnexpectedStatus { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// True for an object's own `*_not_found` error (`virtual_machine_not_found`, …): the thing
    /// looked up does not exist (any more). Never for `route_not_found` (a wrong path) nor a 404
    /// without the API's envelope (a proxy's page).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::Api { status: 404, body, .. }
            if body.code.ends_with("_not_found") && body.code != ROUTE_NOT_FOUND)
    }

    /// True when the object was deleted to Katapult's trash and not purged yet.
    pub fn is_in_trash(&self) -> bool {
        self.code() == Some("object_in_trash")
    }

    /// True when an address to allocate is allocated already (to this VM after a lost answer,
    /// or to another).
    pub fn is_already_allocated(&self) -> bool {
        self.code() == Some("ip_already_allocated")
    }

    /// What Katapult found wrong with a value it was sent: `validation_error`'s
    /// `detail.errors`, or Apia's `invalid_argument` `detail.issue_description`; empty for any
    /// other failure.
    pub fn refused_values(&self) -> Vec<String> {
        let detail = self.detail();
        match self.code() {
            Some("validation_error") => detail["errors"]
                .as_array()
                .map(|errors| {
                    errors
                        .iter()
                        .filter_map(|e| e.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            Some("invalid_argument") => detail["issue_description"]
                .as_str()
                .map(|issue| vec![issue.to_string()])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// The API's code for a path it has no route for.
pub const ROUTE_NOT_FOUND: &str = "route_not_found";

/// Up to 200 characters of a body, on one line and without its secrets, for error messages.
pub(crate) fn snippet(body: &str) -> String {
    let body = without_secrets(body);
    let flat: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    if body.chars().count() > 200 {
        format!("{flat}…")
    } else {
        flat
    }
}

fn request_suffix(request_id: &Option<String>) -> String {
    request_id
        .as_ref()
        .map(|id| format!(", request id {id}"))
        .unwrap_or_default()
}

/// The detail shapes of the API's error envelope (`{"error":{"code","description","detail"}}`):
/// `details` (a string), `errors` (a string or a list), and a few single facts; flattened into
/// the message as katapult-whmcs does.
fn detail_suffix(detail: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(details) = detail.get("details").and_then(Value::as_str) {
        parts.push(details.to_string());
    }
    match detail.get("errors") {
        Some(Value::String(s)) => parts.push(s.clone()),
        Some(Value::Array(list)) => parts.push(
            list.iter()
                .map(|e| {
                    e.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| e.to_string())
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => {}
    }
    if let Some(state) = detail.get("current_state").and_then(Value::as_str) {
        parts.push(format!("current state: {state}"));
    }
    if let Some(scopes) = detail.get("scopes").and_then(Value::as_array) {
        let names: Vec<_> = scopes.iter().filter_map(Value::as_str).collect();
        parts.push(format!("missing scopes: {}", names.join(", ")));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn api_error(code: &str, detail: Value) -> ApiError {
        ApiError::Api {
            status: 422,
            body: Box::new(ErrorBody {
                code: code.into(),
                description: "A validation error occurred".into(),
                detail,
            }),
            request_id: Some("req-1".into()),
        }
    }

    #[test]
    fn message_flattens_detail_errors_and_names_the_request() {
        let e = api_error(
            "validation_error",
            json!({"errors": ["Sub domain has already been taken", "Name can't be blank"]}),
        );
        assert_eq!(
            e.to_string(),
            "Katapult API error validation_error: A validation error occurred (Sub domain has already been taken, Name can't be blank) (HTTP 422, request id req-1)"
        );
    }

    #[test]
    fn detail_errors_as_a_string_and_details() {
        let e = api_error(
            "invalid_spec_xml",
            json!({"errors": "1:21: FATAL", "details": "bad"}),
        );
        assert!(e.to_string().contains("(bad; 1:21: FATAL)"), "{e}");
    }

    #[test]
    fn snippet_is_short_and_single_line() {
        let long = "<html>\n".repeat(100);
        let s = snippet(&long);
        assert!(!s.contains('\n'));
        assert!(s.chars().count() <= 201);
    }

    #[test]
    fn not_found_and_trash_are_recognised() {
        let e = ApiError::Api {
            status: 404,
            body: Box::new(ErrorBody {
                code: "virtual_machine_not_found".into(),
                description: String::new(),
                detail: json!({}),
            }),
            request_id: None,
        };
        assert!(e.is_not_found());
        assert!(!e.is_in_trash());
        assert_eq!(e.status(), Some(404));
    }

    #[test]
    fn a_wrong_path_is_a_configuration_error_not_a_missing_object() {
        let e = ApiError::NoSuchRoute {
            url: "https://api.example/v1/virtual_machines/_".into(),
            status: 404,
            description: "No route matches 'v1/virtual_machines/_' for GET".into(),
            request_id: None,
        };
        assert!(!e.is_not_found());
        assert_eq!(e.kind(), "route_not_found");
        assert!(e.to_string().contains("katapult.api_url"), "{e}");
        let enveloped = ApiError::Api {
            status: 404,
            body: Box::new(ErrorBody {
                code: "route_not_found".into(),
                description: String::new(),
                detail: json!({}),
            }),
            request_id: None,
        };
        assert!(!enveloped.is_not_found());
    }
}
