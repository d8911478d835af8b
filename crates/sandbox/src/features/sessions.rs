//! Session cookies (topic 2): `POST /api/v1/session/login` checks the password, starts a
//! server-side session and sets the `dojo_session` cookie (`HttpOnly`, `SameSite=Lax`,
//! `Path=/`, `Secure` off loopback); `GET /api/v1/session/me` answers the session's user;
//! `POST /api/v1/session/logout` destroys it. The id is 256 random bits, a fresh one at
//! every login (so a planted id is worthless), and the store (SQLite, or Redis when the
//! sandbox runs with `--redis-url`) keeps only its SHA-256. Every request checks the idle
//! and the absolute expiry, and the trace says which decided. A store that cannot be
//! reached answers 503, naming it.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::features::secrets::{digest, now_ms, random_token};
use crate::features::session_store::SessionRecord;
use crate::features::users::{Role, check_credentials};
use crate::state::AppState;
use crate::switches::Switch;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "dojo_session";

/// The body of `POST /api/v1/session/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({ "email": "ada@dojo.test", "password": "correct-horse-battery" }))]
pub struct SessionLogin {
    #[schema(format = Email)]
    email: String,
    #[schema(format = Password)]
    password: String,
}

/// The user a session belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionUser {
    #[schema(value_type = String, format = Email)]
    email: &'static str,
    id: u64,
    role: Role,
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(me))
        .routes(routes!(logout))
}

/// Whether cookies set on this request get `Secure`: always, unless the client is on
/// loopback (plain `http://127.0.0.1` during development, where a `Secure` cookie would
/// never come back). In process, with no socket, the caller counts as local.
#[derive(Debug, Clone, Copy)]
pub struct CookieTransport {
    pub secure: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for CookieTransport {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<CookieTransport> {
        let secure = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .is_some_and(|ConnectInfo(peer)| !peer.ip().is_loopback());
        Ok(CookieTransport { secure })
    }
}

/// The value of the named cookie in the request's `Cookie` headers.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value; `max_age` 0 deletes the cookie.
pub fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
    max_age: u64,
    transport: CookieTransport,
) -> ApiResult<HeaderValue> {
    let secure = if transport.secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite={same_site}; Path={path}; Max-Age={max_age}{secure}"
    ))
    .map_err(|e| ApiError::Internal(format!("cookie header: {e}")))
}

fn trace_session(passed: bool, reason: &str) {
    if passed {
        tracing::info!(target: "dojo::trace", layer = "session", step = "decision", decision = "passed", reason);
    } else {
        tracing::info!(target: "dojo::trace", layer = "session", step = "decision", decision = "short_circuited", status = 401u64, reason);
    }
}

/// Traces a session store that failed (Redis down): the request ends with its error.
fn trace_store_failed(error: &ApiError) {
    let status = u64::from(error.status().as_u16());
    let reason = error.to_string();
    tracing::info!(target: "dojo::trace", layer = "session", step = "decision", decision = "short_circuited", status, reason = reason.as_str());
}

/// Start a session with email and password
///
/// Sets `dojo_session` to a fresh random id; any id the client came with is discarded.
#[utoipa::path(
    post,
    path = "/api/v1/session/login",
    operation_id = "session_login",
    tag = "sessions",
    request_body = SessionLogin,
    responses(
        (status = 200, description = "Signed in; the `Set-Cookie` header carries the session id", body = SessionUser,
            headers(("Set-Cookie" = String, description = "`dojo_session=...; HttpOnly; SameSite=Lax; Path=/`"))),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: session-login
async fn login(
    State(state): State<AppState>,
    transport: CookieTransport,
    headers: HeaderMap,
    ValidJson(body): ValidJson<SessionLogin>,
) -> ApiResult<Response> {
    let (user_id, _) = check_credentials(state.users.clone(), body.email, body.password).await?;
    let came_with = cookie_value(&headers, SESSION_COOKIE).map(str::to_owned);
    let id = match came_with {
        // The hole: the id the client arrived with becomes the signed-in session, so an
        // attacker who planted it is signed in too.
        Some(planted) if state.switches.is_on(Switch::SessionKeepPreLoginId) => {
            trace_session(
                true,
                "kept the id the client came with (session-keep-pre-login-id is on)",
            );
            planted
        }
        // The fix: a new id at every login; the old one, if the store knew it, is gone.
        Some(old) => {
            state.sessions.remove(&digest(&old)).await?;
            trace_session(true, "pre-login session id discarded; a fresh id issued");
            random_token()
        }
        None => {
            trace_session(true, "fresh session id issued");
            random_token()
        }
    };
    let now = now_ms();
    let record = SessionRecord {
        user_id,
        created_at: now,
        last_seen: now,
    };
    state
        .sessions
        .put(&digest(&id), record)
        .await
        .inspect_err(trace_store_failed)?;
    let max_age = state.config.session_absolute_timeout.as_secs();
    let cookie = set_cookie(SESSION_COOKIE, &id, "/", "Lax", max_age, transport)?;
    let user = session_user(&state, user_id)?;
    Ok(([(header::SET_COOKIE, cookie)], Json(user)).into_response())
}
// endregion

fn session_user(state: &AppState, user_id: u64) -> ApiResult<SessionUser> {
    let user = state
        .users
        .by_id(user_id)
        .ok_or_else(|| ApiError::NotFound("the session's user no longer exists".into()))?;
    Ok(SessionUser {
        email: user.email,
        id: user.id,
        role: user.role,
    })
}

/// The caller, proven by a live session cookie.
#[derive(Debug, Clone, Copy)]
pub struct SessionAuth {
    pub user_id: u64,
}

// region: session-check
impl FromRequestParts<AppState> for SessionAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<SessionAuth> {
        let refuse = |reason: &str| {
            trace_session(false, reason);
            Err(ApiError::Unauthorized {
                reason: reason.to_owned(),
            })
        };
        let Some(id) = cookie_value(&parts.headers, SESSION_COOKIE) else {
            return refuse("no session cookie");
        };
        let id_hash = digest(id);
        let Some(record) = state
            .sessions
            .get(&id_hash)
            .await
            .inspect_err(trace_store_failed)?
        else {
            return refuse("unknown session id");
        };
        let now = now_ms();
        let absolute = millis(state.config.session_absolute_timeout);
        let idle = millis(state.config.session_idle_timeout);
        // Both limits, on every request: idle ends a forgotten session soon, absolute ends
        // even a busy one, so a stolen id does not live forever.
        if now.saturating_sub(record.created_at) >= absolute {
            state.sessions.remove(&id_hash).await?;
            return refuse("session absolute-expired");
        }
        if now.saturating_sub(record.last_seen) >= idle {
            state.sessions.remove(&id_hash).await?;
            return refuse("session idle-expired");
        }
        state.sessions.touch(&id_hash, now).await?;
        trace_session(true, "session ok");
        Ok(SessionAuth {
            user_id: record.user_id,
        })
    }
}
// endregion

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The session's user
///
/// Needs the `dojo_session` cookie from the login route.
#[utoipa::path(
    get,
    path = "/api/v1/session/me",
    operation_id = "session_me",
    tag = "sessions",
    security(("session" = [])),
    responses(
        (status = 200, description = "The account the session belongs to", body = SessionUser),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
async fn me(State(state): State<AppState>, session: SessionAuth) -> ApiResult<Json<SessionUser>> {
    Ok(Json(session_user(&state, session.user_id)?))
}

/// End the session
///
/// Destroys the session on the server and clears the cookie. Answers 204 even without a
/// live session, so logging out twice is harmless.
#[utoipa::path(
    post,
    path = "/api/v1/session/logout",
    operation_id = "session_logout",
    tag = "sessions",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
    ),
)]
// region: session-logout
async fn logout(
    State(state): State<AppState>,
    transport: CookieTransport,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(id) = cookie_value(&headers, SESSION_COOKIE) {
        let existed = state.sessions.remove(&digest(id)).await?;
        trace_session(
            true,
            if existed {
                "session destroyed"
            } else {
                "no live session to destroy"
            },
        );
    }
    let cleared = set_cookie(SESSION_COOKIE, "", "/", "Lax", 0, transport)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cleared)]).into_response())
}
// endregion
