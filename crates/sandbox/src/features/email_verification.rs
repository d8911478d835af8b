//! Email verification (topic 4): `POST /api/v1/signup` creates an unverified account and
//! mails a link carrying a random single-use token (only its SHA-256 is stored; it expires
//! after 24 hours). `GET /api/v1/verify-email?token=...` verifies the account;
//! `POST /api/v1/verify-email/resend` mails a new link, at most once a minute per address
//! (429 with `Retry-After`). `POST /api/v1/signup/login` refuses an unverified account with
//! 403. Signup answers the same 202 whether or not the address already has an account, so
//! it cannot be used to find out who is registered.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::ValidJson;
use crate::features::jwt::{TokenResponse, issue_access_token};
use crate::features::secrets::{digest, now_ms, random_token};
use crate::features::users::Role;
use crate::passwords;
use crate::state::AppState;

/// Shortest password signup accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Signed-up accounts get ids from here up, clear of the seeded ones.
const FIRST_ID: u64 = 1000;

#[derive(Debug, Clone)]
struct Account {
    id: u64,
    password_hash: String,
    verified: bool,
}

#[derive(Debug, Clone)]
struct PendingToken {
    email: String,
    expires_at: u64,
}

/// Signed-up accounts, their outstanding verification tokens and resend times.
#[derive(Debug, Default)]
pub struct SignupStore {
    inner: Mutex<Signups>,
}

#[derive(Debug, Default)]
struct Signups {
    accounts: HashMap<String, Account>,
    tokens: HashMap<String, PendingToken>,
    last_mailed: HashMap<String, u64>,
}

impl SignupStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Signups> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn clear(&self) {
        *self.lock() = Signups::default();
    }
}

/// The body of `POST /api/v1/signup` and `POST /api/v1/signup/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "email": "new@dojo.test", "password": "a-long-enough-password" }))]
pub struct Credentials {
    #[schema(format = Email)]
    email: String,
    #[schema(format = Password, min_length = 12)]
    password: String,
}

/// The body of `POST /api/v1/verify-email/resend`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResendRequest {
    #[schema(format = Email)]
    email: String,
}

/// The query of `GET /api/v1/verify-email`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct VerifyQuery {
    /// The token from the mailed link.
    token: String,
}

/// What signup and resend answer, whatever happened.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    message: &'static str,
}

/// The answer of a successful verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verified {
    #[schema(format = Email)]
    email: String,
    verified: bool,
}

const ACCEPTED: &str = "If the address can receive mail, a message is on its way.";

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(verify))
        .routes(routes!(resend))
        .routes(routes!(signup_login))
}

fn normalize(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

fn check_email(email: &str) -> ApiResult<()> {
    let valid = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if valid {
        Ok(())
    } else {
        Err(ApiError::Validation(vec![FieldError {
            field: "email".into(),
            message: "must be an email address".into(),
        }]))
    }
}

/// The link's origin: the host the client called, so the link works from the mailbox.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn trace_verify(passed: bool, status: u64, reason: &str) {
    if passed {
        tracing::info!(target: "dojo::trace", layer = "verification", step = "decision", decision = "passed", reason);
    } else {
        tracing::info!(target: "dojo::trace", layer = "verification", step = "decision", decision = "short_circuited", status, reason);
    }
}

// region: verification-mail
/// Issues a fresh single-use token for this address and mails its link.
fn mail_link(state: &AppState, signups: &mut Signups, email: &str, origin: &str) {
    let token = random_token();
    let ttl = u64::try_from(state.config.verification_token_ttl.as_millis()).unwrap_or(u64::MAX);
    // Only the digest is kept: a leaked table holds no usable link.
    signups.tokens.insert(
        digest(&token),
        PendingToken {
            email: email.to_owned(),
            expires_at: now_ms().saturating_add(ttl),
        },
    );
    signups.last_mailed.insert(email.to_owned(), now_ms());
    state.mailbox.send(
        email,
        "Confirm your Backend Dojo address",
        format!(
            "Open this link to confirm your address: {origin}/api/v1/verify-email?token={token} \
             It works once, for 24 hours."
        ),
    );
}
// endregion

/// Sign up
///
/// Creates an unverified account and mails a verification link. Answers the same 202 when the
/// address already has an account (that owner gets a mail saying so instead).
#[utoipa::path(
    post,
    path = "/api/v1/signup",
    tag = "verification",
    request_body = Credentials,
    responses(
        (status = 202, description = "Accepted; a mail is in the mailbox", body = Accepted),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn signup(
    State(state): State<AppState>,
    headers: HeaderMap,
    ValidJson(body): ValidJson<Credentials>,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let email = normalize(&body.email);
    check_email(&email)?;
    if body.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::Validation(vec![FieldError {
            field: "password".into(),
            message: format!("at least {MIN_PASSWORD_CHARS} characters"),
        }]));
    }
    // Hash in every case, so an existing address does not answer faster.
    let hash = passwords::hash(body.password).await?;
    let origin = origin(&headers);
    let seeded = state.users.iter_emails().any(|e| e == email);
    let mut signups = state.signups.lock();
    if seeded || signups.accounts.contains_key(&email) {
        trace_verify(
            true,
            202,
            "address already registered: same answer, a notice mailed",
        );
        state.mailbox.send(
            &email,
            "Someone tried to sign up with your address",
            "Your address already has a Backend Dojo account. If this was you, log in instead."
                .into(),
        );
    } else {
        let id = FIRST_ID + signups.accounts.len() as u64;
        signups.accounts.insert(
            email.clone(),
            Account {
                id,
                password_hash: hash,
                verified: false,
            },
        );
        trace_verify(
            true,
            202,
            "account created unverified; verification link mailed",
        );
        mail_link(&state, &mut signups, &email, &origin);
    }
    Ok((StatusCode::ACCEPTED, Json(Accepted { message: ACCEPTED })))
}

/// Verify an address
///
/// Consumes the token from the mailed link. A used, expired or unknown token is refused.
#[utoipa::path(
    get,
    path = "/api/v1/verify-email",
    tag = "verification",
    params(VerifyQuery),
    responses(
        (status = 200, description = "The address is verified", body = Verified),
        (status = 400, response = crate::openapi::BadRequest),
    ),
)]
// region: verification-consume
async fn verify(
    State(state): State<AppState>,
    Query(query): Query<VerifyQuery>,
) -> ApiResult<Json<Verified>> {
    let mut signups = state.signups.lock();
    // Removed on first use, so the same link never works twice.
    let Some(pending) = signups.tokens.remove(&digest(&query.token)) else {
        trace_verify(false, 400, "unknown or already used verification token");
        return Err(ApiError::BadRequest(
            "this verification link is not valid or was already used".into(),
        ));
    };
    if now_ms() >= pending.expires_at {
        trace_verify(false, 400, "verification token expired");
        return Err(ApiError::BadRequest(
            "this verification link has expired; ask for a new one".into(),
        ));
    }
    if let Some(account) = signups.accounts.get_mut(&pending.email) {
        account.verified = true;
    }
    // Any other outstanding link for this address is now pointless.
    signups.tokens.retain(|_, t| t.email != pending.email);
    trace_verify(true, 200, "address verified");
    Ok(Json(Verified {
        email: pending.email,
        verified: true,
    }))
}
// endregion

/// Mail a new verification link
///
/// At most once a minute per address; answers 202 whether or not the address has an
/// unverified account.
#[utoipa::path(
    post,
    path = "/api/v1/verify-email/resend",
    tag = "verification",
    request_body = ResendRequest,
    responses(
        (status = 202, description = "Accepted", body = Accepted),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
        (status = 429, response = crate::openapi::TooManyRequests),
    ),
)]
// region: verification-resend
async fn resend(
    State(state): State<AppState>,
    headers: HeaderMap,
    ValidJson(body): ValidJson<ResendRequest>,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let email = normalize(&body.email);
    let cooldown = u64::try_from(state.config.mail_resend_cooldown.as_millis()).unwrap_or(0);
    let mut signups = state.signups.lock();
    if let Some(last) = signups.last_mailed.get(&email) {
        let waited = now_ms().saturating_sub(*last);
        if waited < cooldown {
            let retry_after_secs = (cooldown - waited).div_ceil(1000).max(1);
            trace_verify(
                false,
                429,
                "resend cooldown: a link was mailed less than a minute ago",
            );
            return Err(ApiError::RateLimited { retry_after_secs });
        }
    }
    let unverified = signups.accounts.get(&email).is_some_and(|a| !a.verified);
    if unverified {
        mail_link(&state, &mut signups, &email, &origin(&headers));
    } else {
        signups.last_mailed.insert(email, now_ms());
    }
    trace_verify(true, 202, "resend accepted");
    Ok((StatusCode::ACCEPTED, Json(Accepted { message: ACCEPTED })))
}
// endregion

/// Log in to a signed-up account
///
/// Refuses an account whose address is not verified yet with 403.
#[utoipa::path(
    post,
    path = "/api/v1/signup/login",
    tag = "verification",
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn signup_login(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<Credentials>,
) -> ApiResult<Json<TokenResponse>> {
    let email = normalize(&body.email);
    let account = state.signups.lock().accounts.get(&email).cloned();
    // Unknown addresses are checked against the decoy, so both cases take as long.
    let hash = account.as_ref().map_or_else(
        || passwords::DECOY_HASH.to_owned(),
        |a| a.password_hash.clone(),
    );
    let matches = passwords::verify(hash, body.password).await?;
    let Some(account) = account.filter(|_| matches) else {
        return Err(ApiError::Unauthorized {
            reason: "email or password is wrong".into(),
        });
    };
    if !account.verified {
        trace_verify(false, 403, "address not verified yet");
        return Err(ApiError::Forbidden(
            "verify your address first: open the link we mailed you".into(),
        ));
    }
    trace_verify(true, 200, "verified account signed in");
    Ok(Json(issue_access_token(&state, account.id, Role::User)?))
}
