//! API documentation (topic 30): the OpenAPI 3.1 document is generated from the code with
//! `utoipa`. Each handler carries a `#[utoipa::path]` annotation next to its code, each
//! feature's `router()` registers its handlers with `utoipa_axum::routes!`, so a route and
//! its documentation are added in the same line, and [`ApiDoc`] adds what belongs to the
//! whole API: its description, the tags, the bearer scheme and the shared problem answers.
//!
//! `/openapi.json` serves the document; `/docs` serves Swagger UI, bundled into the binary
//! so the page works offline.
//!
//! Try it: `curl -s http://127.0.0.1:PORT/openapi.json`, or open `http://127.0.0.1:PORT/docs`.

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi, ToResponse};

use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Name of the bearer-token security scheme that protected operations refer to.
pub(crate) const BEARER: &str = "bearer";
/// Name of the session-cookie security scheme (topic 2).
pub(crate) const SESSION: &str = "session";

// region: openapi-spec
/// What the whole API shares. The operations themselves come from the feature routers,
/// which `app()` merges into one `OpenApiRouter` and splits into the router and this
/// document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Backend Dojo sandbox",
        description = "The live API behind Backend Dojo's topics. Every error is an RFC 9457 \
            problem document (`application/problem+json`) whose `instance` is the request id.",
        license(name = "MIT", identifier = "MIT"),
    ),
    tags(
        (name = "auth", description = "JWT login, a protected route (topic 1) and refresh tokens (topic 5)"),
        (name = "sessions", description = "Server-side sessions in a cookie (topic 2)"),
        (name = "verification", description = "Signup with email verification (topic 4)"),
        (name = "password", description = "Password reset by mailed link (topic 6)"),
        (name = "google", description = "Sign in with Google: authorization code flow with PKCE against the mock provider or Google (topic 7)"),
        (name = "otp", description = "One-time codes by mail (topic 32)"),
        (name = "rbac", description = "Roles, permissions and owner-or-admin rules (topic 3)"),
        (name = "versioning", description = "One resource in two versions (topic 14)"),
        (name = "errors", description = "Errors, timeouts and validation (topics 15 and 20)"),
        (name = "uploads", description = "Image upload through a signed object store (topic 21), streamed file upload and ranged download (topic 22)"),
        (name = "health", description = "Liveness and readiness probes (topic 29)"),
        (name = "webhooks", description = "A signed webhook receiver and a test sender (topic 23)"),
        (name = "payments", description = "A shop paid through the mock provider at /mock-pay/v1 (topic 33)"),
        (name = "realtime", description = "Notifications pushed over Socket.IO at /socket.io/ (topic 24)"),
        (name = "chat", description = "Chat history; live chat is the /chat namespace of Socket.IO (topic 25)"),
        (name = "data", description = "Accounts, posts, comments, notifications, schema and analytics on the data suite's storage (topics 8-13, 26, 28)"),
        (name = "cache", description = "Cache-aside reads with a TTL, invalidation on write and stampede protection, in process or in Redis (topic 31)"),
    ),
    components(schemas(Problem), responses(
        BadRequest, Unauthorized, Forbidden, NotFound, NotAcceptable, PayloadTooLarge,
        UnsupportedMediaType, ValidationFailed, TooManyRequests, InternalError, TimedOut,
    )),
    modifiers(&BearerJwt),
)]
pub(crate) struct ApiDoc;

/// The whole document: the feature routers' operations (already in `api`), the health
/// probes (served outside the traced stack, documented all the same) and the answers every
/// `/api` operation shares.
pub(crate) fn complete(mut api: Document, probes: Document) -> Document {
    api.merge(probes);
    RateLimited.modify(&mut api);
    api
}

/// Registers the scheme that `security(("bearer" = []))` on an operation refers to.
struct BearerJwt;

impl Modify for BearerJwt {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        let scheme = Http::builder()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some("An access token from `POST /api/v1/auth/login`"))
            .build();
        components.add_security_scheme(BEARER, SecurityScheme::Http(scheme));
        let session = ApiKey::Cookie(ApiKeyValue::with_description(
            crate::features::sessions::SESSION_COOKIE,
            "A session id from `POST /api/v1/session/login`",
        ));
        components.add_security_scheme(SESSION, SecurityScheme::ApiKey(session));
    }
}

/// Every `/api` route sits behind the rate limiter, so every one of them can answer 429;
/// added here once instead of on each handler.
struct RateLimited;

impl Modify for RateLimited {
    fn modify(&self, document: &mut Document) {
        let too_many = RefOr::Ref(utoipa::openapi::Ref::from_response_name("TooManyRequests"));
        for (path, item) in document.paths.paths.iter_mut() {
            if !path.starts_with("/api/") {
                continue;
            }
            for operation in operations(item) {
                operation
                    .responses
                    .responses
                    .entry("429".to_owned())
                    .or_insert_with(|| too_many.clone());
            }
        }
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}
// endregion

/// 400: the input could not be read (a bad path or query value, malformed JSON).
#[derive(ToResponse)]
#[response(
    description = "The input could not be read; `detail` names the bad value",
    content_type = "application/problem+json",
    example = json!({
        "type": "https://backend-dojo.dev/problems/bad-request",
        "title": "Bad Request",
        "status": 400,
        "detail": "Invalid URL: Cannot parse `ada` to a `u64`",
        "instance": "7f3c9a52-1d2e-4b7a-9c1f-0a6e5d4b3c21"
    }),
)]
pub(crate) struct BadRequest(
    #[expect(dead_code, reason = "describes an answer; never built")] Problem,
);

/// 403: the caller is known but not allowed.
#[derive(ToResponse)]
#[response(
    description = "The caller is signed in but their role does not allow this",
    content_type = "application/problem+json",
    example = json!({
        "type": "https://backend-dojo.dev/problems/forbidden",
        "title": "Forbidden",
        "status": 403,
        "detail": "your role (user) does not allow list-users",
        "instance": "7f3c9a52-1d2e-4b7a-9c1f-0a6e5d4b3c21"
    }),
)]
pub(crate) struct Forbidden(
    #[expect(dead_code, reason = "describes an answer; never built")] Problem,
);

/// 401: no valid access token.
#[derive(ToResponse)]
#[response(
    description = "No valid access token (missing, malformed, unsigned, expired or forged)",
    content_type = "application/problem+json",
    example = json!({
        "type": "https://backend-dojo.dev/problems/unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "token expired",
        "instance": "7f3c9a52-1d2e-4b7a-9c1f-0a6e5d4b3c21"
    }),
    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"backend-dojo\"`")),
)]
pub(crate) struct Unauthorized(
    #[expect(dead_code, reason = "describes an answer; never built")] Problem,
);

/// 404: no such resource.
#[derive(ToResponse)]
#[response(
    description = "No such resource",
    content_type = "application/problem+json",
    example = json!({
        "type": "https://backend-dojo.dev/problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "no user has id 99",
        "instance": "7f3c9a52-1d2e-4b7a-9c1f-0a6e5d4b3c21"
    }),
)]
pub(crate) struct NotFound(
    #[expect(dead_code, reason = "describes an answer; never built")] Problem,
);

/// 406: the `Accept` header asks for a representation the route does not have.
#[derive(ToResponse)]
#[response(
    description = "No representation matches `Accept`; `detail` lists the ones there are",
    content_type = "application/problem+json",
    example = json!({
        "type": "https://backend-dojo.dev/problems/not-acceptable",
        "title": "Not Acceptable",
        "status": 406,
        "detail": "no representation for application/vnd.dojo.v9+json; this route has \
            application/vnd.dojo.v1+json and application/vnd.dojo.v2+json",
        "instance": "7f3c9a52-1d2e-4b7a-9c1f-0a6e5d4b3c21"
    }),
)]
pub(crate) struct NotAcceptable(
    #[expect(dead_code, reason = "describes an answer; never built")] Problem,
);

/// 413: the body is over the sandbox's limit.
#[derive(ToResponse)]
#[response(
    description = "The body is larger than the sandbox accepts (64 KiB by default)",
    content_type = "application/problem+json",
    example = json!({
        "type": "https://backend-dojo.dev/problems/payload-too-large",
        "title": "Payload Too Large",
        "status": 413,
        "detail": "the body is larger than the sandbox accepts",
        "instance": "7f3c9a52-1d2e-4b7a-9c1f-0a6e5d4b3c21"
    }),
)]
pub(crate) struct PayloadTooLarge(
    #[expect(dead_code, reason = "describes an answer; never built")] Problem,
);

/// 415: the body is not sent as JSON.
#[derive(ToResponse)]
#[response(
    description = "The body was not sent with `Content-Type: application/json`",
    content_type = "application/problem+json",
    example = json!({
        "type": "https://backend-dojo.dev/problems/unsupported-media-type",
        "title": "Unsupported Media Type",
        "status": 415,
        "detail": "send the body as JSON with `Content-Type: application/json`",
        "instance": "7f3c9a52-1d2e-4b7a-9c1f-0a6e5d4b3c21"
    }),
)]
pub(crate) struct UnsupportedMediaType(
    #[expect(dead_code, reason = "describes an answer; never built")] Problem,
);

/// 422: well-formed JSON that breaks the rules; `errors` lists every field.
#[derive(ToResponse)]
#[response(
    description = "The body breaks the rules: `errors` lists every invalid field",
    content_type = "application/problem+json",
    example = json!({
        "type": "https://backend-dojo.dev/problems/validation",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "the request has 1 invalid field(s)",
        "errors": [{ "field": "email", "message": "must be an email address" }],
        "instance": "7f3c9a52-1d2e-4b7a-9c1f-0a6e5d4b3c21"
    }),
)]
pub(crate) struct ValidationFailed(
    #[expect(dead_code, reason = "describes an answer; never built")] Problem,
);

/// 429: the client's token bucket is empty.
#[derive(ToResponse)]
#[response(
    description = "The client's token bucket is empty",
    content_type = "application/problem+json",
    example = json!({
        "type": "https://backend-dojo.dev/problems/rate-limited",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "too many requests; retry in 1 s",
        "instance": "7f3c9a52-1d2e-4b7a-9c1f-0a6e5d4b3c21"
    }),
    headers(
        ("Retry-After" = u64, description = "Seconds until a token is back"),
        ("RateLimit" = String, description = "Tokens left and seconds until the bucket is full"),
        ("RateLimit-Policy" = String, description = "Bucket size and refill window"),
    ),
)]
pub(crate) struct TooManyRequests(
    #[expect(dead_code, reason = "describes an answer; never built")] Problem,
);

/// 500: a failure on the sandbox's side; the cause stays in the trace.
#[derive(ToResponse)]
#[response(
    description = "A failure on our side; the cause is in the trace, never in the answer",
    content_type = "application/problem+json",
    example = json!({
        "type": "https://backend-dojo.dev/problems/internal",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "Something went wrong on our side. Quote the request id when you report it.",
        "instance": "7f3c9a52-1d2e-4b7a-9c1f-0a6e5d4b3c21"
    }),
)]
pub(crate) struct InternalError(
    #[expect(dead_code, reason = "describes an answer; never built")] Problem,
);

/// 503: the handler ran past the request timeout.
#[derive(ToResponse)]
#[response(
    description = "The handler did not finish within the request timeout and was stopped",
    content_type = "application/problem+json",
    example = json!({
        "type": "https://backend-dojo.dev/problems/timeout",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "the handler did not finish in time and was stopped",
        "instance": "7f3c9a52-1d2e-4b7a-9c1f-0a6e5d4b3c21"
    }),
)]
pub(crate) struct TimedOut(
    #[expect(dead_code, reason = "describes an answer; never built")] Problem,
);

// region: docs-page
/// `/openapi.json` and the interactive page at `/docs`. The document is serialized once,
/// here; the page and its assets are Swagger UI's files, bundled into the binary.
pub(crate) fn router(document: &Document) -> Router<AppState> {
    let json = document
        .to_json()
        .map(Bytes::from)
        .map_err(|error| error.to_string());
    Router::new()
        .route(
            "/openapi.json",
            get(move || std::future::ready(openapi_json(json.clone()))),
        )
        .route("/docs", get(docs_page))
        .route("/docs/", get(docs_page))
        .route("/docs/{*file}", get(docs_asset))
}

fn openapi_json(json: Result<Bytes, String>) -> Result<Response, ApiError> {
    let json = json.map_err(|error| {
        ApiError::Internal(format!(
            "the OpenAPI document could not be written: {error}"
        ))
    })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// The page's own policy, relaxed from the API's `default-src 'none'` (which would block
/// the page entirely) for this page only: Swagger UI loads its scripts and stylesheet from
/// the sandbox itself (nothing inline, nothing evaluated), draws a few icons from `data:`
/// images, and fetches the document and your "Try it out" requests from the same origin.
/// Everything else, including framing, stays shut.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'none'";

/// The page itself. Asset URLs are absolute, so it works at `/docs` and `/docs/` alike.
const DOCS_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backend Dojo sandbox: API docs</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/swagger-initializer.js"></script>
</body>
</html>
"#;

async fn docs_page() -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        DOCS_HTML,
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCS_CSP),
    );
    response
}

/// Swagger UI's settings: read `/openapi.json`, and no online validator badge (it would
/// call out to the internet).
static SWAGGER_CONFIG: LazyLock<Arc<utoipa_swagger_ui::Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        utoipa_swagger_ui::Config::new(["/openapi.json"])
            .validator_url("none")
            .display_request_duration(true)
            .persist_authorization(true)
            .use_base_layout(),
    )
});

async fn docs_asset(Path(file): Path<String>) -> Result<Response, ApiError> {
    let found = utoipa_swagger_ui::serve(&file, SWAGGER_CONFIG.clone())
        .map_err(|error| ApiError::Internal(format!("Swagger UI file {file}: {error}")))?;
    // `index.html` stays Swagger UI's own; the sandbox serves its page at `/docs`.
    let Some(asset) = found.filter(|_| file != "index.html") else {
        return Err(ApiError::NotFound(format!(
            "the docs page has no file named {file:?}"
        )));
    };
    let mut response = Response::new(Body::from(asset.bytes.into_owned()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    if let Ok(content_type) = HeaderValue::from_str(&asset.content_type) {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    if asset.gzpipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    // The files only change with the binary: a reload of the page costs the rate limiter
    // two requests (the page and the document), not seven.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(response)
}
// endregion
