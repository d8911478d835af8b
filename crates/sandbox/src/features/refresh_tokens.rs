//! Refresh tokens (topic 5): `POST /api/v1/auth/login-refresh` answers a short access JWT
//! and sets a long-lived opaque refresh token in an `HttpOnly` cookie scoped to
//! `/api/v1/auth`. `POST /api/v1/auth/refresh` rotates it: the presented token is consumed
//! and a new one of the same family issued. Presenting a consumed token again means two
//! parties hold it, so the whole family is revoked. `POST /api/v1/auth/logout` revokes the
//! family. Only SHA-256 digests are stored.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::features::jwt::{TokenResponse, issue_access_token};
use crate::features::secrets::{digest, now_ms, random_token};
use crate::features::sessions::{CookieTransport, cookie_value, set_cookie};
use crate::features::users::{Role, check_credentials};
use crate::state::AppState;
use crate::switches::Switch;

/// The refresh cookie's name.
pub const REFRESH_COOKIE: &str = "dojo_refresh";
/// The only path the browser sends the refresh cookie to.
pub const REFRESH_PATH: &str = "/api/v1/auth";

/// One issued refresh token, by digest.
#[derive(Debug, Clone, Copy)]
struct Issued {
    family: u64,
    user_id: u64,
    role: Role,
    expires_at: u64,
    consumed: bool,
}

/// Every refresh token issued, and the families revoked.
#[derive(Debug, Default)]
pub struct RefreshStore {
    inner: Mutex<Families>,
}

#[derive(Debug, Default)]
struct Families {
    next_family: u64,
    tokens: HashMap<String, Issued>,
    revoked: HashSet<u64>,
}

/// Why a refresh token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    Unknown,
    Expired,
    Revoked,
    Reused,
}

impl Refused {
    fn reason(self) -> &'static str {
        match self {
            Refused::Unknown => "unknown refresh token",
            Refused::Expired => "refresh token expired",
            Refused::Revoked => "refresh token family revoked",
            Refused::Reused => "refresh token reused: family revoked",
        }
    }
}

impl RefreshStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Families> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn clear(&self) {
        *self.lock() = Families::default();
    }

    /// Starts a family for a fresh login; returns its first token.
    fn start(&self, user_id: u64, role: Role, ttl_ms: u64) -> String {
        let mut families = self.lock();
        families.next_family += 1;
        let family = families.next_family;
        let token = random_token();
        families.tokens.insert(
            digest(&token),
            Issued {
                family,
                user_id,
                role,
                expires_at: now_ms().saturating_add(ttl_ms),
                consumed: false,
            },
        );
        token
    }

    /// Revokes every family of a user (after a password reset); how many were live.
    pub fn revoke_user(&self, user_id: u64) -> usize {
        let mut families = self.lock();
        let owned: HashSet<u64> = families
            .tokens
            .values()
            .filter(|t| t.user_id == user_id)
            .map(|t| t.family)
            .collect();
        let before = families.revoked.len();
        families.revoked.extend(owned);
        families.revoked.len() - before
    }

    /// Revokes the family of this token, if it names one.
    fn revoke_family_of(&self, token: &str) -> bool {
        let mut families = self.lock();
        let Some(issued) = families.tokens.get(&digest(token)).copied() else {
            return false;
        };
        families.revoked.insert(issued.family)
    }

    // region: refresh-rotate
    /// Uses a refresh token: consumes it and issues the next of its family, or (with
    /// `rotate` off, the hole) leaves it valid and hands it back.
    fn rotate(
        &self,
        token: &str,
        ttl_ms: u64,
        rotate: bool,
    ) -> Result<(u64, Role, String), Refused> {
        let mut families = self.lock();
        let digest_of_presented = digest(token);
        let issued = *families
            .tokens
            .get(&digest_of_presented)
            .ok_or(Refused::Unknown)?;
        if families.revoked.contains(&issued.family) {
            return Err(Refused::Revoked);
        }
        if issued.consumed {
            // Someone already used this one: the legitimate client or a thief. We cannot
            // tell which, so neither keeps access.
            families.revoked.insert(issued.family);
            return Err(Refused::Reused);
        }
        let now = now_ms();
        if now >= issued.expires_at {
            return Err(Refused::Expired);
        }
        if !rotate {
            return Ok((issued.user_id, issued.role, token.to_owned()));
        }
        if let Some(old) = families.tokens.get_mut(&digest_of_presented) {
            old.consumed = true;
        }
        let next = random_token();
        families.tokens.insert(
            digest(&next),
            Issued {
                expires_at: now.saturating_add(ttl_ms),
                consumed: false,
                ..issued
            },
        );
        Ok((issued.user_id, issued.role, next))
    }
    // endregion
}

/// The body of `POST /api/v1/auth/login-refresh`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({ "email": "ada@dojo.test", "password": "correct-horse-battery" }))]
pub struct RefreshLogin {
    #[schema(format = Email)]
    email: String,
    #[schema(format = Password)]
    password: String,
}

/// An optional body for clients without a cookie jar: the refresh token itself.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    refresh_token: String,
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login_refresh))
        .routes(routes!(refresh))
        .routes(routes!(logout))
}

fn ttl_ms(state: &AppState) -> u64 {
    u64::try_from(state.config.refresh_token_ttl.as_millis()).unwrap_or(u64::MAX)
}

fn with_refresh_cookie(
    state: &AppState,
    transport: CookieTransport,
    token: &str,
    access: TokenResponse,
) -> ApiResult<Response> {
    let max_age = state.config.refresh_token_ttl.as_secs();
    let cookie = set_cookie(
        REFRESH_COOKIE,
        token,
        REFRESH_PATH,
        "Strict",
        max_age,
        transport,
    )?;
    Ok(([(header::SET_COOKIE, cookie)], Json(access)).into_response())
}

fn trace_refresh(passed: bool, reason: &str) {
    if passed {
        tracing::info!(target: "dojo::trace", layer = "refresh", step = "decision", decision = "passed", reason);
    } else {
        tracing::info!(target: "dojo::trace", layer = "refresh", step = "decision", decision = "short_circuited", status = 401u64, reason);
    }
}

/// Log in for an access token and a refresh cookie
///
/// Answers a short-lived access token and sets `dojo_refresh`, an opaque token that only
/// `/api/v1/auth` routes receive.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login-refresh",
    operation_id = "login_refresh",
    tag = "auth",
    request_body = RefreshLogin,
    responses(
        (status = 200, description = "Signed in; `Set-Cookie` carries the refresh token", body = TokenResponse),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn login_refresh(
    State(state): State<AppState>,
    transport: CookieTransport,
    ValidJson(body): ValidJson<RefreshLogin>,
) -> ApiResult<Response> {
    let (user_id, role) = check_credentials(state.users.clone(), body.email, body.password).await?;
    let token = state.refresh_tokens.start(user_id, role, ttl_ms(&state));
    trace_refresh(true, "new refresh token family started");
    let access = issue_access_token(&state, user_id, role)?;
    with_refresh_cookie(&state, transport, &token, access)
}

/// The refresh token from the JSON body if there is one, else from the cookie.
fn presented(headers: &HeaderMap, body: &Bytes) -> ApiResult<Option<String>> {
    if !body.is_empty() {
        let RefreshBody { refresh_token } = serde_json::from_slice(body).map_err(|e| {
            ApiError::BadRequest(format!(
                "the body must be {{\"refresh_token\": \"...\"}}: {e}"
            ))
        })?;
        return Ok(Some(refresh_token));
    }
    Ok(cookie_value(headers, REFRESH_COOKIE).map(str::to_owned))
}

/// Trade a refresh token for a new access token
///
/// Reads the `dojo_refresh` cookie (or a `refresh_token` JSON body). The token is consumed
/// and a new one set; presenting a consumed token revokes its whole family.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    operation_id = "refresh_rotate",
    tag = "auth",
    request_body(content = Option<RefreshBody>, description = "Only for clients without cookies"),
    responses(
        (status = 200, description = "A new access token; `Set-Cookie` carries the next refresh token", body = TokenResponse),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
    ),
)]
// region: refresh-route
async fn refresh(
    State(state): State<AppState>,
    transport: CookieTransport,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let Some(token) = presented(&headers, &body)? else {
        trace_refresh(false, "no refresh token");
        return Err(ApiError::Unauthorized {
            reason: "no refresh token".into(),
        });
    };
    let rotate = !state.switches.is_on(Switch::RefreshNoRotation);
    match state.refresh_tokens.rotate(&token, ttl_ms(&state), rotate) {
        Ok((user_id, role, next)) => {
            trace_refresh(
                true,
                if rotate {
                    "refresh token consumed; the next one of its family issued"
                } else {
                    "refresh token accepted and left valid (refresh-no-rotation is on)"
                },
            );
            let access = issue_access_token(&state, user_id, role)?;
            with_refresh_cookie(&state, transport, &next, access)
        }
        Err(refused) => {
            trace_refresh(false, refused.reason());
            Err(ApiError::Unauthorized {
                reason: refused.reason().into(),
            })
        }
    }
}
// endregion

/// Revoke the refresh token's family
///
/// Every token of the family stops working and the cookie is cleared. Access tokens
/// already issued live until they expire.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    operation_id = "refresh_logout",
    tag = "auth",
    request_body(content = Option<RefreshBody>, description = "Only for clients without cookies"),
    responses(
        (status = 204, description = "Signed out; the refresh cookie is cleared"),
        (status = 400, response = crate::openapi::BadRequest),
    ),
)]
async fn logout(
    State(state): State<AppState>,
    transport: CookieTransport,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    if let Some(token) = presented(&headers, &body)? {
        let revoked = state.refresh_tokens.revoke_family_of(&token);
        trace_refresh(
            true,
            if revoked {
                "refresh token family revoked"
            } else {
                "nothing live to revoke"
            },
        );
    }
    let cleared = set_cookie(REFRESH_COOKIE, "", REFRESH_PATH, "Strict", 0, transport)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cleared)]).into_response())
}
