//! The Katapult error envelope: `{"error":{"code","description","detail"}}` with
//! `X-Api-Schema: json-error`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
    pub detail: Value,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, description: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::from_u16(status).expect("valid status"),
            code,
            description: description.into(),
            detail: json!({}),
        }
    }

    pub fn with_detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }

    /// 404 `<thing>_not_found` with the standard Apia wording.
    pub fn not_found(code: &'static str) -> Self {
        let thing = match code {
            "organization_not_found" => "organization",
            "virtual_machine_not_found" => "virtual machine",
            "build_not_found" => "build",
            "task_not_found" => "task",
            "trash_object_not_found" => "trash object",
            // Sic: LIVE/fixture wording.
            "data_center_not_found" => "data centers",
            "zone_not_found" => "zone",
            "package_not_found" => "package",
            "disk_template_not_found" => "disk template",
            "network_not_found" => "network",
            "disk_not_found" => "disk",
            "ip_address_not_found" => return Self::new(
                404,
                code,
                "No IP addresses were found matching any of the criteria provided in the arguments",
            ),
            other => other,
        };
        Self::new(
            404,
            code,
            format!("No {thing} was found matching any of the criteria provided in the arguments"),
        )
    }

    pub fn missing_api_token() -> Self {
        Self::new(
            400,
            "missing_api_token",
            "No API token was provided in the Authorization header. Ensure a token is provided prefixed with Bearer",
        )
    }

    pub fn invalid_api_token() -> Self {
        Self::new(
            403,
            "invalid_api_token",
            "The API token provided was not valid (it may not exist or have expired)",
        )
        .with_detail(json!({"details": null}))
    }

    /// Apia's scope check: the token lacks every scope the operation accepts.
    pub fn scope_not_granted(scopes: &[&str]) -> Self {
        Self::new(
            403,
            "scope_not_granted",
            "The scope required for this endpoint has not been granted to the authenticating identity",
        )
        .with_detail(json!({ "scopes": scopes }))
    }

    pub fn permission_denied(details: &str) -> Self {
        Self::new(
            403,
            "permission_denied",
            "The authenticated identity is not permitted to perform this action",
        )
        .with_detail(json!({ "details": details }))
    }

    pub fn task_queueing_error(details: String) -> Self {
        Self::new(
            406,
            "task_queueing_error",
            "This error means that a background task that was needed to complete your request could not be queued",
        )
        .with_detail(json!({ "details": details }))
    }

    pub fn rate_limit_reached(total_permitted: u32) -> Self {
        Self::new(
            429,
            "rate_limit_reached",
            "You have reached the rate limit for this type of request",
        )
        .with_detail(json!({"total_permitted": total_permitted}))
    }

    pub fn service_unavailable() -> Self {
        Self::new(
            503,
            "service_unavailable",
            "The service is currently unavailable, please try again later",
        )
    }

    pub fn unhandled_exception() -> Self {
        Self::new(
            500,
            "unhandled_exception",
            "An internal error occurred while processing this request",
        )
        .with_detail(json!({"class": "RuntimeError", "message": "simulated failure"}))
    }

    pub fn route_not_found(api_path: &str, method: &str) -> Self {
        Self::new(
            404,
            "route_not_found",
            format!("No route matches '{api_path}' for {method}"),
        )
    }

    pub fn invalid_json_body(details: String) -> Self {
        Self::new(
            400,
            "invalid_json_body",
            "The JSON body provided with this request is invalid",
        )
        .with_detail(json!({"details": details}))
    }

    pub fn missing_required_argument(name: &str) -> Self {
        Self::new(
            400,
            "missing_required_argument",
            format!("The '{name}' argument is required but has not been provided"),
        )
        .with_detail(json!({
            "path": [name],
            "argument": {"name": name, "description": null},
        }))
    }

    /// Apia `InvalidArgumentError`; `issue` is one of its issue symbols.
    pub fn invalid_argument(name: &str, issue: &str, issue_description: &str) -> Self {
        Self::new(
            400,
            "invalid_argument",
            format!("The '{name}' argument is invalid"),
        )
        .with_detail(json!({
            "path": [name],
            "index": null,
            "issue": issue,
            "issue_description": issue_description,
            "errors": [],
            "argument": {"id": format!("CoreAPI/Arguments/{name}"), "name": name, "description": null},
        }))
    }

    pub fn validation(errors: Vec<String>) -> Self {
        Self::new(
            422,
            "validation_error",
            "A validation error occurred with the object that was being created/updated/deleted",
        )
        .with_detail(json!({ "errors": errors }))
    }

    pub fn object_in_trash(trash_object: Value) -> Self {
        Self::new(
            406,
            "object_in_trash",
            "The object found is in the trash and therefore cannot be manipulated through the API. It should be restored in order to run this operation.",
        )
        .with_detail(json!({ "trash_object": trash_object }))
    }

    pub fn body(&self) -> Value {
        json!({"error": {"code": self.code, "description": self.description, "detail": self.detail}})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body())).into_response();
        resp.headers_mut()
            .insert("x-api-schema", HeaderValue::from_static("json-error"));
        resp
    }
}

pub type ApiResult<T = Response> = Result<T, ApiError>;
