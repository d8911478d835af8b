//! Password reset (topic 6): `POST /api/v1/password/forgot` answers the same 202 whether or
//! not the address has an account, doing the same token work in both cases, and mails a
//! single-use link that expires after 30 minutes (only its SHA-256 is stored).
//! `POST /api/v1/password/reset` sets the new password and ends every session and refresh
//! token family of that user, so whoever had the account is out.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::ValidJson;
use crate::features::email_verification::MIN_PASSWORD_CHARS;
use crate::features::secrets::{digest, now_ms, random_token};
use crate::state::AppState;

#[derive(Debug, Clone, Copy)]
struct PendingReset {
    user_id: u64,
    expires_at: u64,
}

/// Outstanding reset tokens, by digest.
#[derive(Debug, Default)]
pub struct ResetTokens {
    pending: Mutex<HashMap<String, PendingReset>>,
}

impl ResetTokens {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, PendingReset>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// The body of `POST /api/v1/password/forgot`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "email": "ada@dojo.test" }))]
pub struct ForgotRequest {
    #[schema(format = Email)]
    email: String,
}

/// The body of `POST /api/v1/password/reset`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The token from the mailed link.
    token: String,
    #[schema(format = Password, min_length = 12)]
    new_password: String,
}

/// What forgot answers, whatever happened.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForgotAccepted {
    message: &'static str,
}

/// What a reset did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetDone {
    /// Refresh token families revoked.
    refresh_families_revoked: usize,
    reset: bool,
    /// Sessions destroyed.
    sessions_revoked: usize,
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(forgot))
        .routes(routes!(reset))
}

fn trace_reset(passed: bool, status: u64, reason: &str) {
    if passed {
        tracing::info!(target: "dojo::trace", layer = "password_reset", step = "decision", decision = "passed", reason);
    } else {
        tracing::info!(target: "dojo::trace", layer = "password_reset", step = "decision", decision = "short_circuited", status, reason);
    }
}

/// Ask for a password reset link
///
/// Always answers the same 202, so it cannot tell anyone which addresses have accounts.
#[utoipa::path(
    post,
    path = "/api/v1/password/forgot",
    tag = "password",
    request_body = ForgotRequest,
    responses(
        (status = 202, description = "Accepted; if the account exists, a mail is in the mailbox", body = ForgotAccepted),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: reset-forgot
async fn forgot(
    State(state): State<AppState>,
    headers: HeaderMap,
    ValidJson(body): ValidJson<ForgotRequest>,
) -> (StatusCode, Json<ForgotAccepted>) {
    // The same work whether or not the account exists: a token and its digest are made in
    // both cases, so the answer's timing does not tell them apart.
    let token = random_token();
    let token_digest = digest(&token);
    let ttl = u64::try_from(state.config.password_reset_ttl.as_millis()).unwrap_or(u64::MAX);
    match state.users.by_email(&body.email) {
        Some(user) => {
            state.reset_tokens.lock().insert(
                token_digest,
                PendingReset {
                    user_id: user.id,
                    expires_at: now_ms().saturating_add(ttl),
                },
            );
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            state.mailbox.send(
                user.email,
                "Reset your Backend Dojo password",
                format!(
                    "Open this link to choose a new password: \
                     http://{host}/reset-password?token={token} It works once, for 30 minutes. \
                     If you did not ask, ignore this mail."
                ),
            );
            trace_reset(true, 202, "account found: reset link mailed");
        }
        None => trace_reset(true, 202, "no such account: same answer, nothing mailed"),
    }
    let message = "If that address has an account, a reset link is on its way.";
    (StatusCode::ACCEPTED, Json(ForgotAccepted { message }))
}
// endregion

/// Set a new password with a reset token
///
/// The token works once. Every session and refresh token of the account is revoked.
#[utoipa::path(
    post,
    path = "/api/v1/password/reset",
    tag = "password",
    request_body = ResetRequest,
    responses(
        (status = 200, description = "The password is changed", body = ResetDone),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: reset-apply
async fn reset(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<ResetRequest>,
) -> ApiResult<Json<ResetDone>> {
    if body.new_password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::Validation(vec![FieldError {
            field: "new_password".into(),
            message: format!("at least {MIN_PASSWORD_CHARS} characters"),
        }]));
    }
    // Removed on first use: a second try with the same token finds nothing.
    let Some(pending) = state.reset_tokens.lock().remove(&digest(&body.token)) else {
        trace_reset(false, 400, "unknown or already used reset token");
        return Err(ApiError::BadRequest(
            "this reset link is not valid or was already used".into(),
        ));
    };
    if now_ms() >= pending.expires_at {
        trace_reset(false, 400, "reset token expired");
        return Err(ApiError::BadRequest(
            "this reset link has expired; ask for a new one".into(),
        ));
    }
    state
        .users
        .set_password(pending.user_id, body.new_password)
        .await?;
    // Whoever was signed in, perhaps the attacker the user is locking out, is signed out.
    let sessions_revoked = state.sessions.remove_user(pending.user_id).await?;
    let refresh_families_revoked = state.refresh_tokens.revoke_user(pending.user_id);
    state
        .reset_tokens
        .lock()
        .retain(|_, r| r.user_id != pending.user_id);
    trace_reset(
        true,
        200,
        "password changed; sessions and refresh tokens revoked",
    );
    Ok(Json(ResetDone {
        refresh_families_revoked,
        reset: true,
        sessions_revoked,
    }))
}
// endregion
