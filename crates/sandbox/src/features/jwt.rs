//! JWT-protected routes (topic 1). `POST /api/v1/auth/login` checks the password and
//! issues a short-lived HS256 access token; `GET /api/v1/me` needs
//! `Authorization: Bearer <token>`. The [`AuthUser`] extractor refuses a missing,
//! malformed, `alg: none`, wrong-algorithm, tampered or expired token, each with its own
//! reason in the trace and a 401 with `WWW-Authenticate`.
//!
//! Try it:
//! `curl -s -X POST http://127.0.0.1:PORT/api/v1/auth/login -H 'content-type: application/json' -d '{"email":"ada@dojo.test","password":"correct-horse-battery"}'`

use std::borrow::Cow;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::features::logger::RequestLog;
use crate::features::users::{Role, check_credentials};
use crate::state::AppState;
use crate::switches::Switch;

/// The body of `POST /api/v1/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({ "email": "ada@dojo.test", "password": "correct-horse-battery" }))]
pub struct LoginRequest {
    #[schema(format = Email)]
    email: String,
    #[schema(format = Password)]
    password: String,
}

/// A signed-in caller's access token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// An HS256 JWT with `sub`, `role`, `iat`, `exp` and `jti`.
    access_token: String,
    /// Always `Bearer`: send it as `Authorization: Bearer <access_token>`.
    #[schema(value_type = String, example = "Bearer")]
    token_type: &'static str,
    /// Seconds until the token expires.
    expires_in: u64,
}

/// What an access token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

/// Log in with email and password
///
/// Checks the password against its Argon2id hash and answers a short-lived access token.
/// A wrong password and an unknown email get the same 401.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: jwt-login
async fn login(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let (user_id, role) = check_credentials(state.users.clone(), body.email, body.password).await?;
    Ok(Json(issue_access_token(&state, user_id, role)?))
}

/// Signs a short-lived access token for this user.
pub(crate) fn issue_access_token(
    state: &AppState,
    user_id: u64,
    role: Role,
) -> ApiResult<TokenResponse> {
    let now = unix_now();
    let ttl = state.config.access_token_ttl.as_secs();
    let claims = Claims {
        sub: user_id.to_string(),
        role,
        iat: now,
        exp: now + ttl,
        jti: uuid::Uuid::new_v4().to_string(),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&state.config.jwt_secret),
    )
    .map_err(|e| ApiError::Internal(format!("token signing failed: {e}")))?;
    Ok(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: ttl,
    })
}
// endregion

// region: openapi-path
/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(me))
}

/// The caller's own account
///
/// Needs `Authorization: Bearer <token>` with a token from the login route.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account the token belongs to", body = Me),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
async fn me(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Me>> {
    let found = state
        .users
        .by_id(user.id)
        .ok_or_else(|| ApiError::NotFound("the token's user no longer exists".into()))?;
    Ok(Json(Me {
        email: found.email,
        id: found.id,
        role: found.role,
    }))
}

/// The caller's account.
// Members in alphabetical order, like every other JSON object the sandbox writes.
#[derive(Debug, Serialize, ToSchema)]
struct Me {
    #[schema(value_type = String, format = Email)]
    email: &'static str,
    id: u64,
    role: Role,
}
// endregion

/// The caller, proven by a valid access token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: u64,
    pub role: Role,
    pub claims: Claims,
}

// region: jwt-verify
impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<AuthUser> {
        match verify(parts, state) {
            Ok(claims) => {
                let reason = if state.switches.is_on(Switch::JwtAcceptUnsigned)
                    || state.switches.is_on(Switch::JwtSkipExpiry)
                {
                    "accepted with a break-it switch on: signature or expiry may not have been checked"
                } else {
                    "valid signature, not expired"
                };
                tracing::info!(target: "dojo::trace", layer = "auth", step = "decision", decision = "passed", reason);
                let id = claims
                    .sub
                    .parse()
                    .map_err(|_| reject("the token's subject is not a user id"))?;
                // The access log names the caller.
                if let Some(log) = parts.extensions.get::<RequestLog>() {
                    log.set_user(&claims.sub);
                }
                Ok(AuthUser {
                    id,
                    role: claims.role,
                    claims,
                })
            }
            Err(reason) => Err(reject(reason)),
        }
    }
}

fn reject(reason: &str) -> ApiError {
    tracing::info!(target: "dojo::trace", layer = "auth", step = "decision", decision = "short_circuited", status = 401u64, reason);
    ApiError::Unauthorized {
        reason: reason.to_owned(),
    }
}

fn verify(parts: &Parts, state: &AppState) -> Result<Claims, &'static str> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or("no Authorization header")?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or("the Authorization header is not `Bearer <token>`")?
        .trim();
    let mut pieces = token.split('.');
    let (Some(head), Some(_payload), Some(_signature), None) =
        (pieces.next(), pieces.next(), pieces.next(), pieces.next())
    else {
        return Err("malformed token: a JWT has three dot-separated parts");
    };
    let skip_expiry = state.switches.is_on(Switch::JwtSkipExpiry);
    match header_alg(head)?.as_deref() {
        Some("HS256") => {}
        Some(alg) if alg.eq_ignore_ascii_case("none") => {
            if !state.switches.is_on(Switch::JwtAcceptUnsigned) {
                return Err("unsigned token (alg: none) refused");
            }
            return unsigned_claims(token, skip_expiry);
        }
        _ => return Err("algorithm not allowed: only HS256 is accepted"),
    }
    // The algorithm is pinned here, never taken from the token.
    static CHECK_EXPIRY: LazyLock<Validation> = LazyLock::new(|| rules(true));
    static SKIP_EXPIRY: LazyLock<Validation> = LazyLock::new(|| rules(false));
    fn rules(validate_exp: bool) -> Validation {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = validate_exp;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation
    }
    let validation: &Validation = if skip_expiry {
        &SKIP_EXPIRY
    } else {
        &CHECK_EXPIRY
    };
    // Claims are read with every field optional, so a missing one is named as missing
    // instead of failing as unreadable JSON.
    let claims = jsonwebtoken::decode::<LooseClaims>(token, state.jwt_key(), validation)
        .map(|data| data.claims)
        .map_err(|error| match error.kind() {
            ErrorKind::ExpiredSignature => "token expired",
            ErrorKind::InvalidSignature => {
                "signature does not match: the token was tampered with or signed with another key"
            }
            ErrorKind::MissingRequiredClaim(_) => MISSING_CLAIM,
            _ => "malformed token: its claims could not be read",
        })?;
    claims.into_claims()
}

const MISSING_CLAIM: &str = "a required claim (exp, sub) is missing";

/// Claims as a token may carry them, before the sandbox insists on each.
#[derive(Debug, Deserialize)]
struct LooseClaims {
    sub: Option<String>,
    role: Option<Role>,
    iat: Option<u64>,
    exp: Option<u64>,
    jti: Option<String>,
}

impl LooseClaims {
    fn into_claims(self) -> Result<Claims, &'static str> {
        let (Some(sub), Some(exp)) = (self.sub, self.exp) else {
            return Err(MISSING_CLAIM);
        };
        let role = self.role.ok_or("the token carries no role claim")?;
        Ok(Claims {
            sub,
            role,
            iat: self.iat.unwrap_or(0),
            exp,
            jti: self.jti.unwrap_or_default(),
        })
    }
}
// endregion

/// The user id a request's access token proves, checked exactly as [`AuthUser`] checks it
/// but without a trace event: for the rate limiter's per-user bucket (topic 17), which runs
/// before any extractor. The route's own auth check still decides and explains.
pub(crate) fn verified_user_id(parts: &Parts, state: &AppState) -> Option<u64> {
    verify(parts, state).ok()?.sub.parse().ok()
}

/// The `alg` a token's header names, if it is a string; an error when the header is not
/// base64url JSON at all.
fn header_alg(head: &str) -> Result<Option<Cow<'static, str>>, &'static str> {
    // Usually a small JSON object: decoded on the stack and only `alg` read. Anything
    // unusual (long, not an object, `alg` twice or not a string) takes the general path.
    #[derive(Deserialize)]
    struct Head<'a> {
        #[serde(borrow)]
        alg: Option<Cow<'a, str>>,
    }
    let mut bytes = [0u8; 256];
    if let Ok(len) = URL_SAFE_NO_PAD.decode_slice(head, &mut bytes) {
        let json = &bytes[..len];
        let is_object = json.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if let (true, Ok(head)) = (is_object, serde_json::from_slice::<Head<'_>>(json)) {
            return Ok(head.alg.map(|alg| match alg.as_ref() {
                "HS256" => Cow::Borrowed("HS256"),
                _ => Cow::Owned(alg.into_owned()),
            }));
        }
    }
    let head: serde_json::Value = URL_SAFE_NO_PAD
        .decode(head)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or("malformed token: the header is not base64url JSON")?;
    Ok(head
        .get("alg")
        .and_then(|a| a.as_str())
        .map(|alg| Cow::Owned(alg.to_owned())))
}

/// The hole "jwt-accept-unsigned" opens: claims read without any signature check.
fn unsigned_claims(token: &str, skip_expiry: bool) -> Result<Claims, &'static str> {
    let payload = token.split('.').nth(1).unwrap_or("");
    let claims: LooseClaims = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or("malformed token: the payload is not base64url JSON")?;
    let claims = claims.into_claims()?;
    if !skip_expiry && claims.exp <= unix_now() {
        return Err("token expired");
    }
    Ok(claims)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `header_alg` must agree with: the header parsed as any JSON value.
    fn general(head: &str) -> Result<Option<String>, &'static str> {
        let head: serde_json::Value = URL_SAFE_NO_PAD
            .decode(head)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or("malformed token: the header is not base64url JSON")?;
        Ok(head.get("alg").and_then(|a| a.as_str()).map(str::to_owned))
    }

    #[test]
    fn the_quick_header_read_agrees_with_the_general_one() {
        let long = format!(r#"{{"alg":"HS256","pad":"{}"}}"#, "x".repeat(400));
        let headers = [
            r#"{"alg":"HS256","typ":"JWT"}"#,
            r#"{"typ":"JWT","alg":"none"}"#,
            r#" {"alg":"HS384"} "#,
            r#"{"alg":null}"#,
            r#"{"alg":5}"#,
            r#"{"alg":"HS256","alg":"none"}"#,
            r#"{"\u0061lg":"HS256"}"#,
            r#"{"alg":"HS\u0032\u00356"}"#,
            r#"{"alg":"HS256"}x"#,
            r#"["HS256"]"#,
            r#""HS256""#,
            r#"{"typ":"JWT"}"#,
            "not json",
            long.as_str(),
        ];
        for header in headers {
            let encoded = URL_SAFE_NO_PAD.encode(header);
            let quick = header_alg(&encoded).map(|alg| alg.map(Cow::into_owned));
            assert_eq!(quick, general(&encoded), "{header}");
        }
        assert_eq!(
            header_alg("%%%").map(|alg| alg.map(Cow::into_owned)),
            general("%%%")
        );
    }
}

/// How a protected route is tested without a server (topic 27): the whole app, every
/// middleware layer included, driven in process with `tower::ServiceExt::oneshot`.
#[cfg(test)]
mod http_tests {
    // region: oneshot-test
    use axum::Router;
    use axum::body::{Body, to_bytes};
    use axum::http::{HeaderMap, Request, StatusCode, header};
    use serde_json::{Value, json};
    use tower::ServiceExt as _;

    use crate::features::users::SEED_PASSWORD;
    use crate::{AppState, SandboxConfig, app};

    /// Sends one request through the app, no socket involved, and reads the answer.
    async fn send(app: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let response = app
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails");
        let (parts, body) = response.into_parts();
        let bytes = to_bytes(body, 64 * 1024).await.expect("a readable body");
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (parts.status, parts.headers, json)
    }

    #[tokio::test]
    async fn me_refuses_a_caller_without_a_token_and_knows_one_with_a_token() {
        let app = app(AppState::new(SandboxConfig::default()));

        // No token: a 401 problem with a Bearer challenge and the request id as `instance`.
        let anonymous = Request::get("/api/v1/me")
            .body(Body::empty())
            .expect("request");
        let (status, headers, problem) = send(&app, anonymous).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(
            headers[header::WWW_AUTHENTICATE],
            "Bearer realm=\"backend-dojo\""
        );
        assert_eq!(problem["detail"], "no Authorization header");
        assert_eq!(
            problem["instance"],
            headers["x-request-id"].to_str().expect("ascii")
        );

        // The real login, then the token it issued.
        let credentials = json!({ "email": "ada@dojo.test", "password": SEED_PASSWORD });
        let login = Request::post("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(credentials.to_string()))
            .expect("request");
        let (status, _, issued) = send(&app, login).await;
        assert_eq!(status, StatusCode::OK);
        let token = issued["access_token"].as_str().expect("an access token");

        let known = Request::get("/api/v1/me")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        let (status, _, me) = send(&app, known).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            me,
            json!({ "email": "ada@dojo.test", "id": 1, "role": "user" })
        );
    }
    // endregion
}
