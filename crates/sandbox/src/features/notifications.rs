//! Notification read state (topic 26): a signed-in user lists their notifications, reads
//! the unread count, marks one or all as read. Ownership is part of every query: someone
//! else's notification is answered exactly like a missing one (404), so ids reveal nothing.
//!
//! - `GET /api/v1/notifications?unread=true` lists the caller's, newest first, with the
//!   unread count; `GET /api/v1/notifications/unread-count` is the badge alone.
//! - `GET /api/v1/notifications/{id}` reads one; `POST /api/v1/notifications/{id}/read`
//!   marks it read (idempotent: the first read time stays).
//! - `POST /api/v1/notifications/read-all` marks every unread one of the caller's.
//! - `POST /api/v1/notifications` sends one (to yourself; an admin may name `user_id`), and
//!   publishes `notification.created` to the owner's sockets (topic 24).
//!
//! Break it: `notifications-no-ownership` drops the owner from the query: Ada reads and
//! marks Grace's notifications by changing the id (IDOR).
//!
//! Try it: log in as ada@dojo.test, then `curl -s http://127.0.0.1:PORT/api/v1/notifications -H "authorization: Bearer $TOKEN"`

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use dojo_storage::StoreError;
use dojo_storage::model::{NewNotification, Notification};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::features::data_suite::{now, rfc3339};
use crate::features::jwt::AuthUser;
use crate::features::users::Role;
use crate::features::validation;
use crate::state::AppState;
use crate::switches::Switch;

/// The event a new notification is pushed as.
pub const CREATED_EVENT: &str = "notification.created";

/// A notification as its owner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: u64,
    pub user_id: u64,
    /// What happened, such as `comment.reply` or `mention`.
    pub kind: String,
    pub message: String,
    pub created_at: String,
    /// When the owner first read it; absent while unread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_at: Option<String>,
    pub read: bool,
}

impl From<Notification> for NotificationView {
    fn from(note: Notification) -> NotificationView {
        NotificationView {
            id: note.id,
            user_id: note.user_id,
            kind: note.kind,
            message: note.message,
            created_at: rfc3339(note.created_at),
            read: note.read_at.is_some(),
            read_at: note.read_at.map(rfc3339),
        }
    }
}

/// Pushes a new notification to its owner's sockets.
pub fn publish_created(state: &AppState, note: &NotificationView) {
    let data = serde_json::to_value(note).unwrap_or_default();
    state.user_events.publish(note.user_id, CREATED_EVENT, data);
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications, send_notification))
        .routes(routes!(notification_unread_count))
        .routes(routes!(mark_all_notifications_read))
        .routes(routes!(get_notification))
        .routes(routes!(mark_notification_read))
}

// region: owner-scope
/// Whose notifications a call may touch: the caller's, or (the hole) anyone's.
fn owner_scope(state: &AppState, caller: &AuthUser) -> Option<u64> {
    if state.switches.is_on(Switch::NotificationsNoOwnership) {
        tracing::info!(target: "dojo::trace", layer = "ownership", step = "decision", decision = "passed",
            reason = "no owner in the query (notifications-no-ownership is on)");
        None
    } else {
        tracing::info!(target: "dojo::trace", layer = "ownership", step = "decision", decision = "passed",
            reason = "the query is scoped to the caller's notifications");
        Some(caller.id)
    }
}

/// Missing and not-yours are one answer.
fn not_found(id: u64) -> ApiError {
    tracing::info!(target: "dojo::trace", layer = "ownership", step = "decision", decision = "short_circuited",
        status = 404u64, reason = "no notification with this id among the caller's");
    ApiError::NotFound(format!("no notification {id} among yours"))
}
// endregion

/// `?unread=&limit=` of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only unread ones (default false).
    unread: Option<bool>,
    /// 1 to 100 (default 20).
    limit: Option<u32>,
}

/// The caller's notifications.
#[derive(Debug, Serialize, ToSchema)]
pub struct Inbox {
    pub items: Vec<NotificationView>,
    /// Every unread one, whatever the page.
    pub unread_count: u64,
}

/// The unread badge.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread_count: u64,
}

/// How many `read-all` changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    pub marked: u64,
    pub unread_count: u64,
}

/// The body of `POST /api/v1/notifications`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "message": "Your export is ready" }))]
pub struct SendNotification {
    /// The recipient: yourself unless you are an admin.
    user_id: Option<u64>,
    #[validate(length(min = 1, max = 40, message = "must be 1 to 40 characters"))]
    kind: Option<String>,
    #[validate(length(min = 1, max = 500, message = "must be 1 to 500 characters"))]
    message: String,
}

/// Your notifications
///
/// Newest first, with the unread count.
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    tag = "data",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "The caller's notifications", body = Inbox),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
    ),
)]
async fn list_notifications(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Inbox>> {
    let limit = query.limit.unwrap_or(20).clamp(1, 100);
    let data = state.data.ready().await?;
    let items = data
        .notifications
        .list(caller.id, query.unread.unwrap_or(false), limit)
        .await?;
    let unread_count = data.notifications.unread_count(caller.id).await?;
    Ok(Json(Inbox {
        items: items.into_iter().map(NotificationView::from).collect(),
        unread_count,
    }))
}

/// Your unread count
#[utoipa::path(
    get,
    path = "/api/v1/notifications/unread-count",
    tag = "data",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The badge number", body = UnreadCount),
        (status = 401, response = crate::openapi::Unauthorized),
    ),
)]
async fn notification_unread_count(
    State(state): State<AppState>,
    caller: AuthUser,
) -> ApiResult<Json<UnreadCount>> {
    let data = state.data.ready().await?;
    Ok(Json(UnreadCount {
        unread_count: data.notifications.unread_count(caller.id).await?,
    }))
}

/// One of your notifications
#[utoipa::path(
    get,
    path = "/api/v1/notifications/{id}",
    tag = "data",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "The notification", body = NotificationView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, description = "Missing, or not yours (the same answer)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
async fn get_notification(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<u64>,
) -> ApiResult<Json<NotificationView>> {
    let owner = owner_scope(&state, &caller);
    let data = state.data.ready().await?;
    data.notifications
        .get(id, owner)
        .await?
        .map(|n| Json(NotificationView::from(n)))
        .ok_or_else(|| not_found(id))
}

/// Mark one of your notifications read
///
/// Idempotent: marking it again keeps the first read time.
#[utoipa::path(
    post,
    path = "/api/v1/notifications/{id}/read",
    tag = "data",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "The notification, read", body = NotificationView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, description = "Missing, or not yours (the same answer)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
// region: mark-read
async fn mark_notification_read(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<u64>,
) -> ApiResult<Json<NotificationView>> {
    let owner = owner_scope(&state, &caller);
    let data = state.data.ready().await?;
    match data.notifications.mark_read(id, owner, now()).await {
        Ok(note) => Ok(Json(NotificationView::from(note))),
        Err(StoreError::NotFound { .. }) => Err(not_found(id)),
        Err(other) => Err(other.into()),
    }
}
// endregion

/// Mark all your notifications read
#[utoipa::path(
    post,
    path = "/api/v1/notifications/read-all",
    tag = "data",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many changed", body = MarkedRead),
        (status = 401, response = crate::openapi::Unauthorized),
    ),
)]
async fn mark_all_notifications_read(
    State(state): State<AppState>,
    caller: AuthUser,
) -> ApiResult<Json<MarkedRead>> {
    let data = state.data.ready().await?;
    let marked = data.notifications.mark_all_read(caller.id, now()).await?;
    Ok(Json(MarkedRead {
        marked,
        unread_count: data.notifications.unread_count(caller.id).await?,
    }))
}

/// Send a notification
///
/// To yourself, or (admins) to `user_id`. It is stored unread and pushed to the
/// recipient's sockets as `notification.created`.
#[utoipa::path(
    post,
    path = "/api/v1/notifications",
    tag = "data",
    security(("bearer" = [])),
    request_body = SendNotification,
    responses(
        (status = 201, description = "Stored and pushed", body = NotificationView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn send_notification(
    State(state): State<AppState>,
    caller: AuthUser,
    ValidJson(body): ValidJson<SendNotification>,
) -> ApiResult<(StatusCode, Json<NotificationView>)> {
    validation::check(&body)?;
    let recipient = body.user_id.unwrap_or(caller.id);
    if recipient != caller.id && caller.role != Role::Admin {
        return Err(ApiError::Forbidden(
            "only an admin may notify someone else".into(),
        ));
    }
    let data = state.data.ready().await?;
    let note = data
        .notifications
        .create(NewNotification {
            user_id: recipient,
            kind: body.kind.unwrap_or_else(|| "message".into()),
            message: body.message,
            created_at: now(),
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => {
                ApiError::NotFound(format!("no live account with id {recipient}"))
            }
            other => other.into(),
        })?;
    let view = NotificationView::from(note);
    publish_created(&state, &view);
    Ok((StatusCode::CREATED, Json(view)))
}
