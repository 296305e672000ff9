//! HTTP routing. Every `:param` segment accepts any value (`_`, the parameter's
//! name or a real id); handlers resolve lookups from the merged arguments.

mod backups;
mod catalogue;
mod console;
mod control;
mod disks;
mod ips;
mod organizations;
mod tasks;
mod trash;
mod vms;

use crate::errors::{ApiError, ApiResult};
use crate::faults::{Action, InjectForbidden};
use crate::lookup::Args;
use crate::permissions;
use crate::shared::Shared;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde_json::Value;
use std::sync::Arc;

pub type Sim = State<Arc<Shared>>;

pub fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/organizations", get(organizations::list))
        .route("/organizations/{organization}", get(organizations::get))
        .route(
            "/organizations/{organization}/managed",
            get(organizations::list_managed).post(organizations::create_managed),
        )
        .route(
            "/managed_organizations/{organization}",
            delete(organizations::delete_managed),
        )
        .route("/data_centers", get(catalogue::data_centers))
        .route("/data_centers/{data_center}", get(catalogue::data_center))
        .route(
            "/data_centers/{data_center}/default_network",
            get(catalogue::default_network),
        )
        .route("/zones", get(catalogue::zones))
        .route("/zones/{zone}", get(catalogue::zone))
        .route("/virtual_machine_packages", get(catalogue::packages))
        .route(
            "/virtual_machine_packages/{virtual_machine_package}",
            get(catalogue::package),
        )
        .route(
            "/organizations/{organization}/disk_templates",
            get(catalogue::disk_templates),
        )
        .route(
            "/disk_templates/{disk_template}",
            get(catalogue::disk_template),
        )
        .route(
            "/organizations/{organization}/virtual_machines/build",
            post(vms::build),
        )
        .route(
            "/virtual_machines/builds/{virtual_machine_build}",
            get(vms::get_build),
        )
        .route(
            "/organizations/{organization}/virtual_machines",
            get(vms::list),
        )
        .route(
            "/virtual_machines/{virtual_machine}",
            get(vms::get).patch(vms::update).delete(vms::delete),
        )
        .route(
            "/virtual_machines/{virtual_machine}/start",
            post(vms::start),
        )
        .route("/virtual_machines/{virtual_machine}/stop", post(vms::stop))
        .route(
            "/virtual_machines/{virtual_machine}/shutdown",
            post(vms::shutdown),
        )
        .route(
            "/virtual_machines/{virtual_machine}/reset",
            post(vms::reset),
        )
        .route(
            "/virtual_machines/{virtual_machine}/package",
            put(vms::change_package),
        )
        .route(
            "/virtual_machines/{virtual_machine}/console_sessions",
            post(console::create),
        )
        .route(
            "/virtual_machines/{virtual_machine}/disks",
            get(disks::list),
        )
        .route("/disks/{disk}", get(disks::get))
        .route("/disks/{disk}/resize", put(disks::resize))
        .route(
            "/virtual_machines/{virtual_machine}/disk_backup_policies",
            get(backups::list).post(backups::create),
        )
        .route(
            "/disk_backup_policies/{disk_backup_policy}",
            get(backups::get)
                .patch(backups::update)
                .delete(backups::delete),
        )
        .route("/tasks/{task}", get(tasks::get))
        .route(
            "/trash_objects/{trash_object}",
            get(trash::get).delete(trash::purge),
        )
        .route(
            "/trash_objects/{trash_object}/restore",
            post(trash::restore),
        )
        .route(
            "/organizations/{organization}/ip_addresses",
            get(ips::list).post(ips::create),
        )
        .route(
            "/ip_addresses/{ip_address}",
            get(ips::get).patch(ips::update).delete(ips::release),
        )
        .route(
            "/ip_addresses/{ip_address}/unallocate",
            post(ips::unallocate),
        )
        .route(
            "/virtual_machines/{virtual_machine}/allocate_ip",
            post(ips::allocate),
        )
        .method_not_allowed_fallback(route_not_found)
        .fallback(route_not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), api_layer));
    Router::new()
        .nest("/core/v1", api)
        .merge(control::router())
        .merge(console::router())
        .with_state(shared)
}

/// Auth, injected 403s, rate limit, stats and the LIVE response headers for every API response.
async fn api_layer(
    State(sim): Sim,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let token = bearer(req.headers());
    let limit = sim.config.rate_limit_per_minute;
    let (mut resp, remaining) = match matched {
        None => (
            next.run(req).await,
            token.as_deref().map_or(limit, |t| sim.rate_remaining(t)),
        ),
        Some(path) => {
            let key = format!(
                "{} {}",
                req.method(),
                path.as_str()
                    .trim_start_matches("/core/v1")
                    .replace('{', ":")
                    .replace('}', "")
            );
            // An injected 403 comes after authentication, like Apia's scope check, and is a
            // fault: it is not counted as a request or a response of the route.
            let forbid = req.extensions().get::<InjectForbidden>().is_some();
            if let Some(t) = token
                .as_deref()
                .filter(|t| forbid && sim.config.tokens.iter().any(|k| k == t))
            {
                if let Some(error) = permissions::refusal(&key) {
                    *sim.stats_mut()
                        .faults
                        .entry(Action::Forbid.kind())
                        .or_default() += 1;
                    let mut resp = error.into_response();
                    common_headers(resp.headers_mut(), &sim, sim.rate_remaining(t));
                    return resp;
                }
            }
            *sim.stats_mut().requests.entry(key).or_default() += 1;
            match token {
                None => (ApiError::missing_api_token().into_response(), limit),
                Some(t) if !sim.config.tokens.contains(&t) => {
                    (ApiError::invalid_api_token().into_response(), limit)
                }
                Some(t) => match sim.take_rate(&t) {
                    Err(e) => (e.into_response(), 0),
                    Ok(remaining) => (next.run(req).await, remaining),
                },
            }
        }
    };
    *sim.stats_mut()
        .responses_by_status
        .entry(resp.status().as_u16())
        .or_default() += 1;
    common_headers(resp.headers_mut(), &sim, remaining);
    resp
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or(value);
    Some(token.trim().to_string())
}

/// LIVE's headers: only `X-Ratelimit-Permitted` and `-Remaining` tell of the rate limit (no
/// reset time, no Retry-After); `Date` follows the simulator's clock (`/_sim/clock`), as the
/// window turns with it.
pub fn common_headers(h: &mut HeaderMap, sim: &Shared, remaining: u32) {
    let permitted = sim.config.rate_limit_per_minute;
    let mut set = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    set("date", httpdate::fmt_http_date(sim.now()));
    set("x-request-id", uuid::Uuid::new_v4().to_string());
    set("x-ratelimit-permitted", permitted.to_string());
    set("x-ratelimit-remaining", remaining.to_string());
    set(
        "cache-control",
        "max-age=0, private, must-revalidate".into(),
    );
    set(
        "strict-transport-security",
        "max-age=63072000; includeSubDomains".into(),
    );
    set("access-control-allow-origin", "*".into());
    set(
        "access-control-allow-methods",
        "GET, POST, PUT, PATCH, DELETE, OPTIONS".into(),
    );
    set(
        "access-control-allow-headers",
        "Authorization, Content-Type".into(),
    );
    set("vary", "Accept-Encoding".into());
}

async fn route_not_found(req: Request) -> Response {
    let path = req.uri().path();
    let api_path = path
        .strip_prefix("/core/v1")
        .unwrap_or(path)
        .trim_start_matches('/');
    ApiError::route_not_found(api_path, req.method().as_str()).into_response()
}

/// Apia arguments for a request: query string and JSON body merged, plus the
/// route's `:param` segment for the lookup fallback.
pub struct ApiArgs(pub Args);

impl FromRequest<Arc<Shared>> for ApiArgs {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Arc<Shared>) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let path_param = RawPathParams::from_request_parts(&mut parts, state)
            .await
            .ok()
            .and_then(|p| p.iter().last().map(|(_, v)| v.to_string()));
        let bytes = axum::body::to_bytes(body, 4 << 20)
            .await
            .map_err(|e| ApiError::invalid_json_body(e.to_string()))?;
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(v @ Value::Object(_)) => Some(v),
                Ok(_) => {
                    return Err(ApiError::invalid_json_body(
                        "The JSON body must be an object".into(),
                    ))
                }
                Err(e) => return Err(ApiError::invalid_json_body(e.to_string())),
            }
        };
        Ok(ApiArgs(Args::new(parts.uri.query(), body, path_param)))
    }
}

pub fn ok(v: Value) -> ApiResult {
    Ok(Json(v).into_response())
}

pub fn created(v: Value) -> ApiResult {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}
