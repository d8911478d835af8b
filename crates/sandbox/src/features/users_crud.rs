//! User CRUD with validation (topic 8), on the data suite's storage.
//!
//! - `POST /api/v1/accounts` creates an account: every field is checked by `validator`
//!   rules and all failures come back together in one 422; unknown members (such as
//!   `role`) are refused, so a client cannot assign itself a role; a live account with the
//!   same email is a 409; the password is hashed with Argon2id and never leaves the server.
//! - `GET /api/v1/accounts` lists accounts by offset (`X-Total-Count`), `GET
//!   /api/v1/accounts/{id}` reads one.
//! - `PATCH /api/v1/accounts/{id}` changes the members sent (owner or admin, bearer token).
//! - `DELETE /api/v1/accounts/{id}` soft-deletes (owner or admin); topic 13 restores.
//!
//! Try it: `curl -s -X POST http://127.0.0.1:PORT/api/v1/accounts -H 'content-type: application/json' -d '{"email":"not-an-email","name":"","password":"short"}'`

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dojo_storage::model::{NewUser, Scope, User, UserPatch, UserRole};
use dojo_storage::{StoreError, filter::Filter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::ValidJson;
use crate::features::data_suite::{now, rfc3339};
use crate::features::jwt::AuthUser;
use crate::features::users::Role;
use crate::features::validation;
use crate::passwords;
use crate::state::AppState;

/// Largest page of accounts.
pub const MAX_ACCOUNTS_PAGE: u32 = 100;

/// An account as clients see it: no password, no hash, not even a "has password" flag.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    pub id: u64,
    #[schema(format = Email)]
    pub email: String,
    pub name: String,
    pub role: Role,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
    /// Set only for soft-deleted accounts (the trash, topic 13).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
}

impl From<User> for AccountView {
    fn from(user: User) -> AccountView {
        AccountView {
            id: user.id,
            email: user.email,
            name: user.name,
            role: role_of(user.role),
            created_at: rfc3339(user.created_at),
            updated_at: rfc3339(user.updated_at),
            deleted_at: user.deleted_at.map(rfc3339),
        }
    }
}

/// The sandbox's role for a stored role.
pub fn role_of(role: UserRole) -> Role {
    match role {
        UserRole::User => Role::User,
        UserRole::Moderator => Role::Moderator,
        UserRole::Admin => Role::Admin,
    }
}

// region: account-rules
/// The body of `POST /api/v1/accounts`. Members are optional in the type so that a missing
/// one is reported by the rules with the others, not by the JSON reader alone.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "email": "alan@dojo.test", "name": "Alan Turing", "password": "a-long-passphrase" }))]
pub struct NewAccount {
    #[validate(
        required(message = "is required"),
        email(message = "must be an email address"),
        length(max = 254, message = "must be at most 254 characters")
    )]
    #[schema(format = Email)]
    email: Option<String>,
    #[validate(
        required(message = "is required"),
        length(min = 1, max = 80, message = "must be 1 to 80 characters")
    )]
    name: Option<String>,
    #[validate(
        required(message = "is required"),
        length(min = 12, max = 128, message = "must be 12 to 128 characters")
    )]
    #[schema(format = Password, min_length = 12, max_length = 128)]
    password: Option<String>,
}

/// The body of `PATCH /api/v1/accounts/{id}`: the members to change, same rules.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "Ada King" }))]
pub struct AccountChange {
    #[validate(
        email(message = "must be an email address"),
        length(max = 254, message = "must be at most 254 characters")
    )]
    #[schema(format = Email)]
    email: Option<String>,
    #[validate(length(min = 1, max = 80, message = "must be 1 to 80 characters"))]
    name: Option<String>,
    #[validate(length(min = 12, max = 128, message = "must be 12 to 128 characters"))]
    #[schema(format = Password)]
    password: Option<String>,
}
// endregion

/// Emails compare lowercased and trimmed; names trimmed. Done before the rules run, so
/// `"  "` is an empty name, not a valid one.
fn normalize_email(email: Option<String>) -> Option<String> {
    email.map(|e| e.trim().to_ascii_lowercase())
}

fn normalize_name(name: Option<String>) -> Option<String> {
    name.map(|n| n.trim().to_owned())
}

/// `?offset=&limit=` of the account list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccountsQuery {
    /// Accounts to skip (default 0).
    offset: Option<u64>,
    /// Accounts per page, 1 to 100 (default 20; larger values are capped at 100).
    limit: Option<u32>,
}

/// One page of accounts, in id order.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountPage {
    pub items: Vec<AccountView>,
    pub offset: u64,
    pub limit: u32,
    /// Every live account, whatever the page.
    pub total: u64,
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_account, list_accounts))
        .routes(routes!(get_account, update_account, delete_account))
}

pub(crate) fn trace(passed: bool, status: u64, reason: &str) {
    if passed {
        tracing::info!(target: "dojo::trace", layer = "accounts", step = "decision", decision = "passed", reason);
    } else {
        tracing::info!(target: "dojo::trace", layer = "accounts", step = "decision", decision = "short_circuited", status, reason);
    }
}

/// The conflict answer for a taken email, traced.
fn email_taken(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict { field } => {
            trace(
                false,
                409,
                "the unique index refused a second live account with this email",
            );
            ApiError::Conflict(format!("an account with this {field} already exists"))
        }
        other => other.into(),
    }
}

/// Create an account
///
/// Every field is checked and every failure reported at once (422). Unknown members such
/// as `role` are refused. A live account with the same email is a 409.
#[utoipa::path(
    post,
    path = "/api/v1/accounts",
    tag = "data",
    request_body = NewAccount,
    responses(
        (status = 201, description = "Created; `Location` names the new account", body = AccountView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 409, description = "A live account already has this email", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: create-account
async fn create_account(
    State(state): State<AppState>,
    ValidJson(mut body): ValidJson<NewAccount>,
) -> ApiResult<Response> {
    body.email = normalize_email(body.email);
    body.name = normalize_name(body.name);
    validation::check(&body)?;
    let (Some(email), Some(name), Some(password)) = (body.email, body.name, body.password) else {
        return Err(ApiError::Internal("validated members are missing".into()));
    };
    // Argon2id before storing; the plain password goes no further than this line.
    let password_hash = passwords::hash(password).await?;
    let data = state.data.ready().await?;
    let user = data
        .users
        .create(NewUser {
            email,
            name,
            role: UserRole::User,
            password_hash,
            created_at: now(),
        })
        .await
        .map_err(email_taken)?;
    trace(true, 201, "account created");
    let location = HeaderValue::try_from(format!("/api/v1/accounts/{}", user.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let view = AccountView::from(user);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(view),
    )
        .into_response())
}
// endregion

/// List accounts
///
/// Live accounts in id order, by offset. `X-Total-Count` carries the total.
#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    tag = "data",
    params(AccountsQuery),
    responses(
        (status = 200, description = "One page of accounts", body = AccountPage),
        (status = 400, response = crate::openapi::BadRequest),
    ),
)]
async fn list_accounts(
    State(state): State<AppState>,
    Query(query): Query<AccountsQuery>,
) -> ApiResult<Response> {
    let offset = query.offset.unwrap_or(0);
    let limit = query.limit.unwrap_or(20).clamp(1, MAX_ACCOUNTS_PAGE);
    let data = state.data.ready().await?;
    let page = data
        .users
        .list(Filter::all(), Scope::Live, offset, limit)
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(page.total));
    let body = AccountPage {
        items: page.items.into_iter().map(AccountView::from).collect(),
        offset,
        limit,
        total: page.total,
    };
    Ok((headers, Json(body)).into_response())
}

/// Read an account
#[utoipa::path(
    get,
    path = "/api/v1/accounts/{id}",
    tag = "data",
    params(("id" = u64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account", body = AccountView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
async fn get_account(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> ApiResult<Json<AccountView>> {
    let data = state.data.ready().await?;
    // The default scope: a soft-deleted account is as gone as a missing one.
    let user = data.users.get(id, Scope::Live).await?;
    user.map(|u| Json(AccountView::from(u)))
        .ok_or_else(|| ApiError::NotFound(format!("no account with id {id}")))
}

/// Only the account's owner or an admin may change or delete it.
pub(crate) fn owner_or_admin(caller: &AuthUser, id: u64) -> ApiResult<()> {
    if caller.id == id || caller.role == Role::Admin {
        trace(true, 200, "the caller owns the account or is an admin");
        return Ok(());
    }
    trace(false, 403, "not the account's owner, not an admin");
    Err(ApiError::Forbidden(
        "only the account's owner or an admin may change it".into(),
    ))
}

/// Change an account
///
/// Sends only the members to change; the same rules as creation apply to each. The owner
/// or an admin only.
#[utoipa::path(
    patch,
    path = "/api/v1/accounts/{id}",
    tag = "data",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The account's id")),
    request_body = AccountChange,
    responses(
        (status = 200, description = "The changed account", body = AccountView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, description = "Another live account has this email", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn update_account(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<u64>,
    ValidJson(mut body): ValidJson<AccountChange>,
) -> ApiResult<Json<AccountView>> {
    owner_or_admin(&caller, id)?;
    body.email = normalize_email(body.email);
    body.name = normalize_name(body.name);
    validation::check(&body)?;
    if body.email.is_none() && body.name.is_none() && body.password.is_none() {
        return Err(ApiError::Validation(vec![FieldError {
            field: "body".into(),
            message: "send at least one of email, name, password".into(),
        }]));
    }
    let password_hash = match body.password {
        Some(password) => Some(passwords::hash(password).await?),
        None => None,
    };
    let data = state.data.ready().await?;
    let patch = UserPatch {
        email: body.email,
        name: body.name,
        role: None,
        password_hash,
        updated_at: now(),
    };
    let user = data.users.update(id, patch).await.map_err(|e| match e {
        StoreError::NotFound { .. } => ApiError::NotFound(format!("no account with id {id}")),
        other => email_taken(other),
    })?;
    trace(true, 200, "account changed");
    Ok(Json(AccountView::from(user)))
}

/// Delete an account (soft)
///
/// Sets `deleted_at`: the account disappears from every read but can be restored by an
/// admin until the retention period ends (topic 13). The owner or an admin only.
#[utoipa::path(
    delete,
    path = "/api/v1/accounts/{id}",
    tag = "data",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The account's id")),
    responses(
        (status = 204, description = "Soft-deleted"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
// region: soft-delete-route
async fn delete_account(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<u64>,
) -> ApiResult<StatusCode> {
    owner_or_admin(&caller, id)?;
    let data = state.data.ready().await?;
    data.users
        .soft_delete(id, now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => ApiError::NotFound(format!("no account with id {id}")),
            other => other.into(),
        })?;
    trace(
        true,
        204,
        "deleted_at set: hidden from every default read, restorable",
    );
    Ok(StatusCode::NO_CONTENT)
}
// endregion
