//! Security headers and CORS (topic 18): the headers a hardened Express app gets from
//! helmet, and a CORS allowlist with preflight. The "cors-reflect-any-origin" switch
//! echoes any Origin with credentials, the classic misconfiguration.
//!
//! Try it: `curl -si -X OPTIONS http://127.0.0.1:PORT/api/v1/me -H 'Origin: https://app.dojo.test' -H 'Access-Control-Request-Method: GET'`

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Response, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::middleware::{Exit, Middleware, MiddlewareLayer};
use crate::state::AppState;
use crate::switches::{Switch, Switches};

// region: security-headers
const SECURITY_HEADERS: [(HeaderName, &str); 7] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
    (
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    ),
];

pub(crate) fn set_headers() -> MiddlewareLayer<SecurityHeaders> {
    MiddlewareLayer::new(SecurityHeaders)
}

/// Adds the headers on the way out, keeping any a handler set itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SecurityHeaders;

impl<B> Middleware<B> for SecurityHeaders {
    type Exit = SecurityHeaders;

    fn enter(&self, _request: &mut Request) -> Result<SecurityHeaders, Response<B>> {
        Ok(SecurityHeaders)
    }
}

impl<B> Exit<B> for SecurityHeaders {
    fn exit(self, response: &mut Response<B>) {
        add_security_headers(response.headers_mut());
    }
}

/// Adds every security header the answer does not set itself.
pub(crate) fn add_security_headers(headers: &mut HeaderMap) {
    // Room for these and the request id added further out, so the map grows once.
    headers.reserve(SECURITY_HEADERS.len() + 2);
    for (name, value) in SECURITY_HEADERS {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
}
// endregion

// region: cors-allowlist
pub(crate) fn cors(state: &AppState) -> CorsLayer {
    let origins = AllowedOrigins::of(state);
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _request| {
            origins.allows(origin)
        }))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .allow_credentials(true)
        .max_age(std::time::Duration::from_secs(600))
}

/// The origins that may read the sandbox's answers with credentials.
#[derive(Debug, Clone)]
pub(crate) struct AllowedOrigins {
    allowlist: Arc<[HeaderValue]>,
    switches: Arc<Switches>,
}

impl AllowedOrigins {
    pub(crate) fn of(state: &AppState) -> AllowedOrigins {
        let allowlist = state
            .config
            .cors_origins
            .iter()
            .filter_map(|o| o.parse().ok())
            .collect();
        AllowedOrigins {
            allowlist,
            switches: state.switches.clone(),
        }
    }

    pub(crate) fn allows(&self, origin: &HeaderValue) -> bool {
        // The hole: any origin passes, and credentials are allowed.
        self.switches.is_on(Switch::CorsReflectAnyOrigin) || self.allowlist.contains(origin)
    }
}
// endregion

/// Records what CORS decided for a cross-origin request, for the trace.
pub(crate) fn note_cors(state: &AppState) -> MiddlewareLayer<NoteCors> {
    MiddlewareLayer::new(NoteCors {
        switches: state.switches.clone(),
    })
}

#[derive(Debug, Clone)]
pub(crate) struct NoteCors {
    switches: Arc<Switches>,
}

impl<B> Middleware<B> for NoteCors {
    /// Only cross-origin requests have anything to note.
    type Exit = Option<CorsNote>;

    fn enter(&self, request: &mut Request) -> Result<Option<CorsNote>, Response<B>> {
        let origin = request.headers().get(header::ORIGIN);
        Ok(origin.map(|origin| CorsNote {
            origin: origin.clone(),
            switches: self.switches.clone(),
        }))
    }
}

#[derive(Debug)]
pub(crate) struct CorsNote {
    origin: HeaderValue,
    switches: Arc<Switches>,
}

impl<B> Exit<B> for Option<CorsNote> {
    fn exit(self, response: &mut Response<B>) {
        let Some(CorsNote { origin, switches }) = self else {
            return;
        };
        let allowed = response
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN);
        let reason = match (allowed, switches.is_on(Switch::CorsReflectAnyOrigin)) {
            (true, true) => "origin reflected because cors-reflect-any-origin is on",
            (true, false) => "origin is on the allowlist",
            (false, _) => {
                "origin is not on the allowlist: no CORS headers, the browser will block the read"
            }
        };
        tracing::info!(target: "dojo::trace", layer = "cors", step = "note", reason, origin = ?origin);
    }
}
