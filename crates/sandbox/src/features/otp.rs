//! One-time codes (topic 32): `POST /api/v1/otp/request` mails a six-digit code that lives
//! five minutes (only a digest is stored); `POST /api/v1/otp/verify` trades it for an access
//! token. Five wrong guesses burn the code. A new code can be asked for at most once a
//! minute per account and once a minute per client address, so neither one account nor one
//! client can flood the mailbox.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use rand::RngExt as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::features::jwt::{TokenResponse, issue_access_token};
use crate::features::secrets::{digest, now_ms};
use crate::state::AppState;

/// Wrong guesses allowed before the code is burned.
pub const MAX_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone)]
struct PendingCode {
    digest: String,
    expires_at: u64,
    attempts: u32,
}

/// Outstanding codes by account, and when each account and client last asked for one.
#[derive(Debug, Default)]
pub struct OtpStore {
    inner: Mutex<Codes>,
}

#[derive(Debug, Default)]
struct Codes {
    pending: HashMap<String, PendingCode>,
    last_by_account: HashMap<String, u64>,
    last_by_client: HashMap<String, u64>,
}

impl OtpStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Codes> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn clear(&self) {
        *self.lock() = Codes::default();
    }
}

/// The client's address, the key of the per-client cooldown; `local` in process.
#[derive(Debug, Clone)]
pub struct ClientKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<ClientKey> {
        Ok(ClientKey(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(
                    || "local".to_owned(),
                    |ConnectInfo(peer)| peer.ip().to_string(),
                ),
        ))
    }
}

/// The body of `POST /api/v1/otp/request`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "email": "ada@dojo.test" }))]
pub struct CodeRequest {
    #[schema(format = Email)]
    email: String,
}

/// The body of `POST /api/v1/otp/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "email": "ada@dojo.test", "code": "042917" }))]
pub struct CodeCheck {
    #[schema(format = Email)]
    email: String,
    code: String,
}

/// What a code request answers, whatever happened.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeSent {
    message: &'static str,
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_code))
        .routes(routes!(verify_code))
}

fn trace_otp(passed: bool, status: u64, reason: &str) {
    if passed {
        tracing::info!(target: "dojo::trace", layer = "otp", step = "decision", decision = "passed", reason);
    } else {
        tracing::info!(target: "dojo::trace", layer = "otp", step = "decision", decision = "short_circuited", status, reason);
    }
}

/// The digest of a code, bound to its account so one account's code means nothing for
/// another.
fn code_digest(email: &str, code: &str) -> String {
    digest(&format!("{email}:{code}"))
}

/// Mail a one-time code
///
/// Answers the same 202 whether or not the account exists. At most once a minute per
/// account and per client (429 with `Retry-After`).
#[utoipa::path(
    post,
    path = "/api/v1/otp/request",
    tag = "otp",
    request_body = CodeRequest,
    responses(
        (status = 202, description = "Accepted; if the account exists, a code is in the mailbox", body = CodeSent),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
        (status = 429, response = crate::openapi::TooManyRequests),
    ),
)]
// region: otp-request
async fn request_code(
    State(state): State<AppState>,
    ClientKey(client): ClientKey,
    ValidJson(body): ValidJson<CodeRequest>,
) -> ApiResult<(StatusCode, Json<CodeSent>)> {
    let email = body.email.trim().to_ascii_lowercase();
    let cooldown = u64::try_from(state.config.mail_resend_cooldown.as_millis()).unwrap_or(0);
    let now = now_ms();
    let mut codes = state.otp.lock();
    // Two keys: the account (someone flooding one victim's inbox) and the client (one
    // client spraying many accounts). The longer wait wins.
    let wait = [
        codes.last_by_account.get(&email),
        codes.last_by_client.get(&client),
    ]
    .into_iter()
    .flatten()
    .map(|last| cooldown.saturating_sub(now.saturating_sub(*last)))
    .max()
    .unwrap_or(0);
    if wait > 0 {
        trace_otp(false, 429, "resend cooldown (per account and per client)");
        return Err(ApiError::RateLimited {
            retry_after_secs: wait.div_ceil(1000).max(1),
        });
    }
    codes.last_by_account.insert(email.clone(), now);
    codes.last_by_client.insert(client, now);
    if let Some(user) = state.users.by_email(&email) {
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let ttl = u64::try_from(state.config.otp_ttl.as_millis()).unwrap_or(u64::MAX);
        codes.pending.insert(
            email.clone(),
            PendingCode {
                digest: code_digest(&email, &code),
                expires_at: now.saturating_add(ttl),
                attempts: 0,
            },
        );
        state.mailbox.send(
            user.email,
            "Your Backend Dojo sign-in code",
            format!("Your code is {code}. It works once, for 5 minutes."),
        );
        trace_otp(true, 202, "code mailed");
    } else {
        trace_otp(true, 202, "no such account: same answer, nothing mailed");
    }
    let message = "If that address has an account, a code is on its way.";
    Ok((StatusCode::ACCEPTED, Json(CodeSent { message })))
}
// endregion

/// Sign in with a one-time code
///
/// Five wrong codes burn the pending code; ask for a new one then.
#[utoipa::path(
    post,
    path = "/api/v1/otp/verify",
    tag = "otp",
    request_body = CodeCheck,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: otp-verify
async fn verify_code(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<CodeCheck>,
) -> ApiResult<Json<TokenResponse>> {
    let email = body.email.trim().to_ascii_lowercase();
    let refuse = |reason: String| {
        trace_otp(false, 401, &reason);
        Err(ApiError::Unauthorized { reason })
    };
    let mut codes = state.otp.lock();
    let Some(pending) = codes.pending.get_mut(&email) else {
        return refuse("no code pending for this account; ask for one".into());
    };
    if now_ms() >= pending.expires_at {
        codes.pending.remove(&email);
        return refuse("code expired; ask for a new one".into());
    }
    if pending.digest != code_digest(&email, body.code.trim()) {
        pending.attempts += 1;
        if pending.attempts >= MAX_ATTEMPTS {
            // Burned: with a million codes and five guesses, guessing stays hopeless.
            codes.pending.remove(&email);
            return refuse("too many wrong codes: the code is burned; ask for a new one".into());
        }
        let left = MAX_ATTEMPTS - pending.attempts;
        return refuse(format!("wrong code ({left} attempts left)"));
    }
    // Single use: gone the moment it works.
    codes.pending.remove(&email);
    drop(codes);
    let user = state
        .users
        .by_email(&email)
        .ok_or_else(|| ApiError::Internal("a code was pending for an unknown account".into()))?;
    trace_otp(true, 200, "code accepted");
    Ok(Json(issue_access_token(&state, user.id, user.role)?))
}
// endregion
