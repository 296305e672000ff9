//! The accept loop. hyper serves each connection; a thin service in front of the
//! axum router applies the transport-level faults, which axum alone cannot:
//! dropping a connection without a response, holding a response back, and
//! truncating a body.

use crate::errors::ApiError;
use crate::faults::{Action, InjectForbidden, BAD_GATEWAY_HTML};
use crate::routes::common_headers;
use crate::shared::{lock, Shared};
use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use socket2::Socket;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tower::Service;

/// Returned by the service to make hyper drop the connection unanswered.
#[derive(Debug)]
struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("simulated connection reset")
    }
}

impl std::error::Error for ResetConnection {}

pub async fn serve(
    listener: TcpListener,
    router: Router,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        let stream = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        // As a real API front does: without it a small answer (TLS 1.3's session tickets, then
        // the response) can meet Nagle and the client's delayed ACK and wait 40 ms.
        let _ = stream.set_nodelay(true);
        let (router, shared, tls) = (router.clone(), shared.clone(), tls.clone());
        tokio::spawn(async move {
            // A second handle on the socket, so a reset can set SO_LINGER=0 (close
            // with RST) while hyper owns the stream.
            let Ok((stream, raw)) = split_handle(stream) else {
                return;
            };
            let raw = Arc::new(raw);
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                handle(router.clone(), shared.clone(), raw.clone(), req)
            });
            let http = hyper::server::conn::http1::Builder::new();
            // Errors here are client disconnects or our own resets: nothing to do.
            match tls {
                Some(acceptor) => {
                    if let Ok(tls_stream) = acceptor.accept(stream).await {
                        let _ = http
                            .serve_connection(TokioIo::new(tls_stream), service)
                            .await;
                    }
                }
                None => {
                    let _ = http.serve_connection(TokioIo::new(stream), service).await;
                }
            }
        });
    }
}

fn split_handle(stream: TcpStream) -> std::io::Result<(TcpStream, Socket)> {
    let std_stream = stream.into_std()?;
    let raw = Socket::from(std_stream.try_clone()?);
    Ok((TcpStream::from_std(std_stream)?, raw))
}

async fn handle(
    mut router: Router,
    shared: Arc<Shared>,
    raw: Arc<Socket>,
    req: Request<Incoming>,
) -> Result<Response<Body>, ResetConnection> {
    let mut req = req.map(Body::new);
    let Some(api_path) = req.uri().path().strip_prefix("/core/v1") else {
        return Ok(call(&mut router, req).await);
    };
    shared.stats_mut().total_requests += 1;
    let decision = {
        let faults = lock(&shared.faults);
        let mut rng = lock(&shared.fault_rng);
        faults.decide(&mut rng, req.method().as_str(), api_path)
    };
    let count = |kind: String| *shared.stats_mut().faults.entry(kind).or_default() += 1;
    if !decision.latency.is_zero() {
        count("latency".into());
        tokio::time::sleep(decision.latency).await;
    }
    let Some(action) = decision.action else {
        return Ok(call(&mut router, req).await);
    };
    // A 403 is counted by the API layer, which alone knows whether the operation can refuse.
    if action != Action::Forbid {
        count(action.kind());
    }
    match action {
        Action::Reset => {
            let _ = raw.set_linger(Some(std::time::Duration::ZERO));
            Err(ResetConnection)
        }
        Action::Error(status) => {
            // An injected 503 or 500 leaves the token's budget as it was; only a 429 empties it.
            let remaining = match crate::routes::bearer(req.headers()) {
                Some(token) if status != 429 => shared.rate_remaining(&token),
                _ => 0,
            };
            Ok(error_response(&shared, status, remaining))
        }
        Action::Forbid => {
            req.extensions_mut().insert(InjectForbidden);
            Ok(call(&mut router, req).await)
        }
        Action::Hang(d) => {
            tokio::time::sleep(d).await;
            Ok(call(&mut router, req).await)
        }
        Action::Malformed => {
            let resp = call(&mut router, req).await;
            let (mut parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let cut = bytes.slice(..bytes.len() / 2);
            parts.status = StatusCode::OK;
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.remove("x-api-schema");
            Ok(Response::from_parts(parts, Body::from(cut)))
        }
    }
}

async fn call(router: &mut Router, req: Request<Body>) -> Response<Body> {
    match router.call(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    }
}

fn error_response(shared: &Shared, status: u16, remaining: u32) -> Response<Body> {
    let mut resp = match status {
        502 => {
            let mut r = (StatusCode::BAD_GATEWAY, BAD_GATEWAY_HTML).into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            return r;
        }
        503 => ApiError::service_unavailable().into_response(),
        429 => ApiError::rate_limit_reached(shared.config.rate_limit_per_minute).into_response(),
        _ => ApiError::unhandled_exception().into_response(),
    };
    common_headers(resp.headers_mut(), shared, remaining);
    resp
}
