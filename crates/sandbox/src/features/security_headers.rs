//! Security headers and CORS (topic 18): the headers a hardened Express app gets from
//! helmet, and a CORS allowlist with preflight. The "cors-reflect-any-origin" switch
//! echoes any Origin with credentials, the classic misconfiguration.
//!
//! Try it: `curl -si -X OPTIONS http://127.0.0.1:PORT/api/v1/me -H 'Origin: https://app.dojo.test' -H 'Access-Control-Request-Method: GET'`

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::state::AppState;
use crate::switches::Switch;

// region: security-headers
const SECURITY_HEADERS: [(HeaderName, &str); 7] = [
    (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    (header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    (HeaderName::from_static("cross-origin-resource-policy"), "same-origin"),
];

pub(crate) async fn set_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    response
}
// endregion

// region: cors-allowlist
pub(crate) fn cors(state: &AppState) -> CorsLayer {
    let allowed: Vec<HeaderValue> = state.config.cors_origins.iter().filter_map(|o| o.parse().ok()).collect();
    let switches = state.switches.clone();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _request| {
            // The hole: any origin passes, and credentials are allowed below.
            switches.is_on(Switch::CorsReflectAnyOrigin) || allowed.contains(origin)
        }))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .allow_credentials(true)
        .max_age(std::time::Duration::from_secs(600))
}
// endregion

/// Records what CORS decided for a cross-origin request, for the trace.
pub(crate) async fn note_cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let response = next.run(request).await;
    if let Some(origin) = origin {
        let allowed = response.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN);
        let reason = match (allowed, state.switches.is_on(Switch::CorsReflectAnyOrigin)) {
            (true, true) => "origin reflected because cors-reflect-any-origin is on",
            (true, false) => "origin is on the allowlist",
            (false, _) => "origin is not on the allowlist: no CORS headers, the browser will block the read",
        };
        tracing::info!(target: "dojo::trace", layer = "cors", step = "note", reason, origin = ?origin);
    }
    response
}
