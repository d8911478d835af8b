//! Soft delete (topic 13). `DELETE /api/v1/accounts/{id}` (in `users_crud`) only sets
//! `deleted_at`; every default read filters on it, so the account is gone for clients but
//! still restorable. These routes are the admin's side:
//!
//! - `GET /api/v1/accounts/trash` lists soft-deleted accounts with the time each one is
//!   purged after;
//! - `POST /api/v1/accounts/{id}/restore` brings one back, unless a live account took its
//!   email meanwhile (409);
//! - `POST /api/v1/accounts/purge` hard-deletes accounts deleted longer ago than the
//!   retention period (30 days by default), with their notifications.
//!
//! The email rule: unique among live accounts only (a partial unique index `WHERE
//! deleted_at IS NULL`), so a deleted account does not hold its address hostage, and a
//! restore that would make two live owners is refused instead.
//!
//! Try it: log in as grace@dojo.test (admin), then `curl -s http://127.0.0.1:PORT/api/v1/accounts/trash -H "authorization: Bearer $TOKEN"`

use axum::Json;
use axum::extract::{Path, State};
use dojo_storage::StoreError;
use dojo_storage::filter::Filter;
use dojo_storage::model::Scope;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::features::data_suite::{now, rfc3339};
use crate::features::jwt::AuthUser;
use crate::features::users::Role;
use crate::features::users_crud::{AccountView, trace};
use crate::state::AppState;

/// A deleted account and when it becomes purgeable.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrashedAccount {
    #[serde(flatten)]
    pub account: AccountView,
    /// After this time a purge removes it for good (RFC 3339).
    pub purge_after: String,
}

/// The trash.
#[derive(Debug, Serialize, ToSchema)]
pub struct Trash {
    pub items: Vec<TrashedAccount>,
    pub retention_days: u64,
}

/// What a purge removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Purged {
    pub purged: u64,
    /// Accounts deleted before this time were removed (RFC 3339).
    pub deleted_before: String,
    pub retention_days: u64,
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(account_trash))
        .routes(routes!(restore_account))
        .routes(routes!(purge_accounts))
}

fn admin_only(caller: &AuthUser) -> ApiResult<()> {
    if caller.role == Role::Admin {
        return Ok(());
    }
    trace(false, 403, "the trash is for admins");
    Err(ApiError::Forbidden(
        "only an admin may see or change the trash".into(),
    ))
}

fn retention_ms(state: &AppState) -> i64 {
    i64::try_from(state.config.soft_delete_retention.as_millis()).unwrap_or(i64::MAX)
}

fn retention_days(state: &AppState) -> u64 {
    state.config.soft_delete_retention.as_secs() / 86_400
}

/// Soft-deleted accounts
///
/// Admins only. Each with the time after which a purge removes it.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/trash",
    tag = "data",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted accounts, in id order", body = Trash),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
    ),
)]
async fn account_trash(State(state): State<AppState>, caller: AuthUser) -> ApiResult<Json<Trash>> {
    admin_only(&caller)?;
    let data = state.data.ready().await?;
    let page = data
        .users
        .list(Filter::all(), Scope::Deleted, 0, 100)
        .await?;
    let retention = retention_ms(&state);
    let items = page
        .items
        .into_iter()
        .map(|user| {
            let purge_after = rfc3339(user.deleted_at.unwrap_or(0).saturating_add(retention));
            TrashedAccount {
                account: AccountView::from(user),
                purge_after,
            }
        })
        .collect();
    Ok(Json(Trash {
        items,
        retention_days: retention_days(&state),
    }))
}

/// Restore a soft-deleted account
///
/// Admins only. 409 if a live account holds its email now: restoring would make two.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{id}/restore",
    tag = "data",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "Live again", body = AccountView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, description = "A live account holds its email now", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
// region: restore-route
async fn restore_account(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<u64>,
) -> ApiResult<Json<AccountView>> {
    admin_only(&caller)?;
    let data = state.data.ready().await?;
    let user = data
        .users
        .restore(id, now())
        .await
        .map_err(|error| match error {
            StoreError::NotFound { .. } => {
                ApiError::NotFound(format!("no deleted account with id {id}"))
            }
            StoreError::Conflict { .. } => {
                trace(false, 409, "a live account took the email meanwhile");
                ApiError::Conflict(format!(
                    "account {id} cannot be restored: a live account uses its email now"
                ))
            }
            other => other.into(),
        })?;
    trace(
        true,
        200,
        "deleted_at cleared: visible to every default read again",
    );
    Ok(Json(AccountView::from(user)))
}
// endregion

/// Purge accounts past retention
///
/// Admins only. Hard-deletes accounts soft-deleted longer ago than the retention period,
/// with their notifications. What a nightly job would run.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/purge",
    tag = "data",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many were removed", body = Purged),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
    ),
)]
// region: purge-route
async fn purge_accounts(
    State(state): State<AppState>,
    caller: AuthUser,
) -> ApiResult<Json<Purged>> {
    admin_only(&caller)?;
    let deleted_before = now().saturating_sub(retention_ms(&state));
    let data = state.data.ready().await?;
    let purged = data.users.purge_deleted(deleted_before).await?;
    trace(true, 200, "accounts past retention removed for good");
    Ok(Json(Purged {
        purged,
        deleted_before: rfc3339(deleted_before),
        retention_days: retention_days(&state),
    }))
}
// endregion
